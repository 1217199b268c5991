/* SPDX-License-Identifier: MIT */
/*
 * The SGX2 life cycle of tests/host/scenario_test.c through the Linux
 * interface alone: the enclave (enclaves/test) is loaded by plain_loader.c
 * and entered through the entry function the program found in the vDSO.
 * Each scenario loads its own enclave, so that one that fails leaves the
 * others a clean start. Expected outcomes are those of SGX2 Linux:
 *   EAUG on a fault and EACCEPT (also of a page never touched before);
 *   RESTRICT_PERMISSIONS stopped by a pending page (-1/EFAULT, count,
 *   result SGX_PAGE_NOT_MODIFIABLE), EACCEPT and the retry;
 *   EMODPE lifting an EPCM refusal (#PF 0x8007);
 *   mprotect() refusing a write (#PF 0x7, no SGX bit), then restored;
 *   a TCS made at run time; trimming and REMOVE_PAGES;
 *   RESTRICT_PERMISSIONS while another thread spins inside the enclave.
 */
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "check.h"
#include "scenarios.h"
#include "test/abi.h"
#include "test/spin.h"
#ifdef PL_RAW_SYSCALLS
#include "raw_sys.h" /* the runtime-shaped test: its own system calls */
#endif

#define PAGE PL_PAGE
#define EENTER 2
#define ERESUME 3
#define EEXIT 4
#define VEC_PF 14
#define SGX_PAGE_NOT_MODIFIABLE 20
#define REG_RW (PL_SECINFO_REG | PL_SECINFO_R | PL_SECINFO_W)
#define REG_R_PR (PL_SECINFO_REG | PL_SECINFO_R | PL_SECINFO_PR)

static pl_vdso_entry_t entry;

_Noreturn void sgx_entry_missing(const char *name, const char *why)
{
	const char *req = getenv("PRELOAD_TEST_REQUIRE_SGX");

	if (req && !strcmp(req, "1"))
		check_fatal(__FILE__, __LINE__, "%s: __vdso_sgx_enter_enclave: %s", name, why);
	check_skip("%s: no __vdso_sgx_enter_enclave (%s): this kernel has no SGX", name, why);
}

static uint64_t ns_of(const struct timespec *ts)
{
	return (uint64_t)ts->tv_sec * 1000000000ull + (uint64_t)ts->tv_nsec;
}

void check_vdso_clock_gettime(vdso_clock_gettime_t fn)
{
	struct timespec before, t, after;

	REQUIRE(fn, "no __vdso_clock_gettime");
	CHECK_OK(clock_gettime(CLOCK_MONOTONIC, &before));
	CHECK_OK(fn(CLOCK_MONOTONIC, &t));
	CHECK_OK(clock_gettime(CLOCK_MONOTONIC, &after));
	CHECK(ns_of(&before) <= ns_of(&t) && ns_of(&t) <= ns_of(&after),
	      "vDSO CLOCK_MONOTONIC %llu not within [%llu, %llu]", (unsigned long long)ns_of(&t),
	      (unsigned long long)ns_of(&before), (unsigned long long)ns_of(&after));
	/* An invalid clock: -EINVAL from the vDSO's fallback system call. */
	CHECK(fn(-1000, &t) < 0, "an invalid clock was accepted");
}

void check_vdso_getcpu(vdso_getcpu_t fn)
{
	unsigned int cpu = ~0u, node = ~0u;
	cpu_set_t set;

	REQUIRE(fn, "no __vdso_getcpu");
	CHECK_EQ(fn(&cpu, &node, NULL), 0);
	CHECK(cpu < CPU_SETSIZE, "cpu %u", cpu);
	CHECK(node != ~0u, "node not written");
	CHECK_OK(sched_getaffinity(0, sizeof(set), &set));
	CHECK(cpu < CPU_SETSIZE && CPU_ISSET(cpu, &set), "cpu %u is not in the affinity mask", cpu);
	CHECK(sched_getcpu() >= 0 && CPU_ISSET(sched_getcpu(), &set), "sched_getcpu() %d",
	      sched_getcpu());
}

/* Enclave calls */

static int enter(uint64_t tcs, struct te_call *c, struct sgx_enclave_run *run)
{
	memset(run, 0, sizeof(*run));
	run->tcs = tcs;
	return pl_call_enclave((long)c, 0, 0, EENTER, 0, 0, run, entry);
}

/* te_run(e, tcs index, op, args...): @op must end in EEXIT; its ret (~0 on failure). */
#define te_run(e, t, code, ...)                                                                    \
	te_run_at(__LINE__, (e), (t), &(struct te_call){ .op = (code), .arg = { __VA_ARGS__ } })

static uint64_t te_run_at(int line, struct pl_enclave *e, unsigned int t, struct te_call *c)
{
	struct sgx_enclave_run run;
	int ret = enter(e->tcs[t], c, &run);

	if (ret || run.function != EEXIT) {
		check_fail(__FILE__, line, "op %llu on TCS %u: returned %d, function %u, vector %u, "
			   "error code %#x, address %#llx", (unsigned long long)c->op, t, ret,
			   run.function, run.exception_vector, run.exception_error_code,
			   (unsigned long long)run.exception_addr);
		return ~0ull;
	}
	return c->ret;
}

static uint64_t free_page(struct pl_enclave *e, unsigned int n)
{
	return e->free_start + n * PAGE;
}

/* A fresh page, EAUGed by the fault of the enclave's EACCEPT and accepted. */
static uint64_t accepted_page(struct pl_enclave *e, unsigned int n)
{
	uint64_t page = free_page(e, n);

	CHECK_EQ(te_run(e, 0, TE_OP_EACCEPT, REG_RW | PL_SECINFO_PENDING, page), 0);
	return page;
}

static void load(struct pl_enclave *e)
{
	REQUIRE(!pl_load(SOFTSGX_TEST_ENCLAVE, e), "loading %s", SOFTSGX_TEST_ENCLAVE);
}

static int restrict_perms(struct pl_enclave *e, uint64_t addr, uint64_t len, uint64_t perms,
			  struct sgx_enclave_restrict_permissions *p)
{
	*p = (struct sgx_enclave_restrict_permissions){ .offset = addr - e->base, .length = len,
							 .permissions = perms };
	return ioctl(e->fd, SGX_IOC_ENCLAVE_RESTRICT_PERMISSIONS, p);
}

static int modify_types(struct pl_enclave *e, uint64_t addr, uint64_t len, uint64_t type)
{
	struct sgx_enclave_modify_types m = { .offset = addr - e->base, .length = len,
					      .page_type = type };

	return ioctl(e->fd, SGX_IOC_ENCLAVE_MODIFY_TYPES, &m);
}

static int remove_pages(struct pl_enclave *e, uint64_t addr, uint64_t len)
{
	struct sgx_enclave_remove_pages r = { .offset = addr - e->base, .length = len };

	return ioctl(e->fd, SGX_IOC_ENCLAVE_REMOVE_PAGES, &r);
}

/*
 * An EENTER whose exception is repaired inside the same call of the entry
 * function, through run->user_handler: the handler records the first
 * exception, lets @fix repair it (from the other TCS) and answers ERESUME;
 * a second exception is recorded and ends the call.
 */
struct fixup {
	void (*fix)(struct fixup *f);
	struct pl_enclave *e;
	uint64_t page;
	int exceptions;
	int eexits;
	uint16_t vector;
	uint16_t error_code;
	uint64_t addr;
};

static int fixup_handler(long rdi, long rsi, long rdx, long rsp, long r8, long r9,
			 struct sgx_enclave_run *run)
{
	struct fixup *f = (struct fixup *)(uintptr_t)run->user_data;

	if (run->function == EEXIT) {
		f->eexits++;
		return 0;
	}
	f->exceptions++;
	f->vector = run->exception_vector;
	f->error_code = run->exception_error_code;
	f->addr = run->exception_addr;
	if (f->exceptions > 1 || !f->fix)
		return 0;
	f->fix(f);
	return ERESUME;
}

static int enter_with_fixup(struct pl_enclave *e, unsigned int t, struct te_call *c,
			    struct fixup *f, struct sgx_enclave_run *run)
{
	memset(run, 0, sizeof(*run));
	run->tcs = e->tcs[t];
	run->user_handler = (uintptr_t)fixup_handler;
	run->user_data = (uintptr_t)f;
	return pl_call_enclave((long)c, 0, 0, EENTER, 0, 0, run, entry);
}

/* Exactly one exception (#PF @code at @addr), repaired, then a normal EEXIT. */
#define CHECK_ONE_PF(f, run, code, address)                                                        \
	do {                                                                                       \
		CHECK_EQ((f)->exceptions, 1);                                                      \
		CHECK_EQ((f)->vector, VEC_PF);                                                     \
		CHECK_EQ((f)->error_code, (code));                                                 \
		CHECK_EQ((f)->addr & ~(PAGE - 1), (address));                                     \
		CHECK_EQ((f)->eexits, 1);                                                          \
		CHECK_EQ((run)->function, EEXIT);                                                  \
	} while (0)

/* 1. Enter both TCSs, a value through the enclave, EREPORT's MRENCLAVE, bad calls. */

static void scenario_basic(void)
{
	struct pl_enclave e;
	struct sgx_enclave_run run;
	struct te_call c = { .op = TE_OP_PUT, .arg = { 5 } };
	struct fixup f = { 0 };
	uint8_t *report = aligned_alloc(512, 512);

	check_note("basic: enter, both TCSs, MRENCLAVE, user handler, invalid calls");
	load(&e);
	CHECK_EQ(te_run(&e, 0, TE_OP_PUT, 0x1234), 0);
	CHECK_EQ(te_run(&e, 1, TE_OP_GET), 0x1234);
	CHECK_EQ(te_run(&e, 1, TE_OP_PUT, 77), 0);
	CHECK_EQ(te_run(&e, 0, TE_OP_GET), 77);
	CHECK_EQ(te_run(&e, 0, TE_OP_RDSELF), e.base);
	/* The enclave's own REPORT carries the MRENCLAVE computed by plain_loader.c. */
	REQUIRE(report, "out of memory");
	memset(report, 0, 512);
	CHECK_EQ(te_run(&e, 1, TE_OP_EREPORT, 0, 0, (uintptr_t)report), 0);
	CHECK(!memcmp(report + 64, e.mrenclave, 32), "REPORT.MRENCLAVE differs from ours");
	free(report);
	/* The user handler sees the EEXIT, with the enclave's RDI. */
	CHECK_EQ(enter_with_fixup(&e, 0, &c, &f, &run), 0);
	CHECK_EQ(f.eexits, 1);
	CHECK_EQ(f.exceptions, 0);
	CHECK_EQ(te_run(&e, 1, TE_OP_GET), 5);
	/* EEXIT is no function of the entry; reserved bytes must be zero. */
	memset(&run, 0, sizeof(run));
	run.tcs = e.tcs[0];
	CHECK_EQ(pl_call_enclave(0, 0, 0, EEXIT, 0, 0, &run, entry), -EINVAL);
	run.reserved[100] = 1;
	CHECK_EQ(pl_call_enclave(0, 0, 0, EENTER, 0, 0, &run, entry), -EINVAL);
	pl_unload(&e);
}

/* 2. A write to a fresh page: EAUG on the fault, #PF 0x8007 (pending), EACCEPT, ERESUME. */

static void accept_pending(struct fixup *f)
{
	CHECK_EQ(te_run(f->e, 1, TE_OP_EACCEPT, REG_RW | PL_SECINFO_PENDING, f->page), 0);
}

static void scenario_eaug_fault(void)
{
	struct pl_enclave e;
	struct fixup f = { .fix = accept_pending, .e = &e };
	struct sgx_enclave_run run;
	struct te_call c;

	check_note("EAUG by fault: write to a fresh page, #PF 0x8007, EACCEPT, ERESUME");
	load(&e);
	f.page = free_page(&e, 0);
	c = (struct te_call){ .op = TE_OP_PUT_AT, .arg = { f.page + 0x18, 0xfeed } };
	CHECK_EQ(enter_with_fixup(&e, 0, &c, &f, &run), 0);
	CHECK_ONE_PF(&f, &run, 0x8007, f.page);
	CHECK_EQ(te_run(&e, 1, TE_OP_GET_AT, f.page + 0x18), 0xfeed);
	/* 3. EACCEPT of an address never touched: EAUG by its fault, invisibly. */
	CHECK_EQ(te_run(&e, 0, TE_OP_EACCEPT, REG_RW | PL_SECINFO_PENDING, free_page(&e, 3)), 0);
	CHECK_EQ(te_run(&e, 0, TE_OP_PUT_AT, free_page(&e, 3), 9), 0);
	CHECK_EQ(te_run(&e, 1, TE_OP_GET_AT, free_page(&e, 3)), 9);
	/* An accepted page is accepted once. */
	CHECK(te_run(&e, 0, TE_OP_EACCEPT, REG_RW | PL_SECINFO_PENDING, free_page(&e, 3)) != 0,
	      "a second EACCEPT of the same page succeeded");
	pl_unload(&e);
}

/*
 * 4. RESTRICT_PERMISSIONS with partial success. P0 and P1 accepted; the
 * enclave reads P2, which the fault EAUGs but leaves pending (#PF 0x8005).
 * The runtime restricts P0..P2 to R: the call stops at P2 (-1/EFAULT,
 * count 0x2000, SGX_PAGE_NOT_MODIFIABLE); the enclave accepts P2, the
 * runtime retries from offset + count, the enclave accepts the
 * restrictions; ERESUME. Then a write to P0 is an EPCM refusal (#PF
 * 0x8007) that EMODPE lifts.
 */
struct restrict_seen {
	int first_ret, first_errno;
	struct sgx_enclave_restrict_permissions first, retry;
	int retry_ret;
};

static struct restrict_seen seen;

static void restrict_while_pending(struct fixup *f)
{
	uint64_t p0 = free_page(f->e, 0);
	unsigned int i;

	seen.first_ret = restrict_perms(f->e, p0, 3 * PAGE, PL_SECINFO_R, &seen.first);
	seen.first_errno = errno;
	CHECK_EQ(te_run(f->e, 1, TE_OP_EACCEPT, REG_RW | PL_SECINFO_PENDING, f->page), 0);
	seen.retry_ret = restrict_perms(f->e, p0 + seen.first.count, 3 * PAGE - seen.first.count,
					PL_SECINFO_R, &seen.retry);
	for (i = 0; i < 3; i++)
		CHECK_EQ(te_run(f->e, 1, TE_OP_EACCEPT, REG_R_PR, free_page(f->e, i)), 0);
}

static void extend_rw(struct fixup *f)
{
	CHECK_EQ(te_run(f->e, 1, TE_OP_EMODPE, PL_SECINFO_R | PL_SECINFO_W, f->page), 0);
}

static void scenario_restrict_partial_emodpe(void)
{
	struct pl_enclave e;
	struct fixup f = { .fix = restrict_while_pending, .e = &e };
	struct sgx_enclave_run run;
	struct te_call c;

	check_note("RESTRICT_PERMISSIONS: partial success on a pending page, retry; EMODPE");
	load(&e);
	accepted_page(&e, 0);
	accepted_page(&e, 1);
	CHECK_EQ(te_run(&e, 0, TE_OP_PUT_AT, free_page(&e, 0), 0x55), 0);
	f.page = free_page(&e, 2);
	c = (struct te_call){ .op = TE_OP_READ, .arg = { f.page } };
	CHECK_EQ(enter_with_fixup(&e, 0, &c, &f, &run), 0);
	CHECK_ONE_PF(&f, &run, 0x8005, f.page);
	CHECK_EQ(seen.first_ret, -1);
	CHECK_EQ(seen.first_errno, EFAULT);
	CHECK_EQ(seen.first.count, 2 * PAGE);
	CHECK_EQ(seen.first.result, SGX_PAGE_NOT_MODIFIABLE);
	CHECK_EQ(seen.retry_ret, 0);
	CHECK_EQ(seen.retry.count, PAGE);
	CHECK_EQ(seen.retry.result, 0);
	CHECK_EQ(c.ret, 0); /* the read of the fresh page, resumed */
	/* P0 is read-only in the EPCM now: a write faults with the SGX bit; EMODPE; ERESUME. */
	memset(&f, 0, sizeof(f));
	f = (struct fixup){ .fix = extend_rw, .e = &e, .page = free_page(&e, 0) };
	c = (struct te_call){ .op = TE_OP_PUT_AT, .arg = { f.page, 0xabc } };
	CHECK_EQ(enter_with_fixup(&e, 0, &c, &f, &run), 0);
	CHECK_ONE_PF(&f, &run, 0x8007, f.page);
	CHECK_EQ(te_run(&e, 1, TE_OP_GET_AT, f.page), 0xabc);
	/* P1 stays read-only: without a fix the write is reported and the call ends. */
	f = (struct fixup){ .e = &e, .page = free_page(&e, 1) };
	c = (struct te_call){ .op = TE_OP_PUT_AT, .arg = { f.page, 1 } };
	CHECK_EQ(enter_with_fixup(&e, 1, &c, &f, &run), 0);
	CHECK_EQ(f.exceptions, 1);
	CHECK_EQ(f.error_code, 0x8007);
	CHECK_EQ(run.function, ERESUME);
	pl_unload(&e);
}

/* 5. mprotect(PROT_READ): a write is #PF 0x7 (no SGX bit); mprotect back; ERESUME. */

static void mprotect_back(struct fixup *f)
{
	CHECK_EQ(te_run(f->e, 1, TE_OP_GET_AT, f->page), 1); /* reads still work */
	CHECK_OK(mprotect((void *)(uintptr_t)f->page, PAGE, PROT_READ | PROT_WRITE));
}

static void scenario_mprotect(void)
{
	struct pl_enclave e;
	struct fixup f = { .fix = mprotect_back, .e = &e };
	struct sgx_enclave_run run;
	struct te_call c;

	check_note("mprotect: write refused by the mapping (#PF 0x7), restored, ERESUME");
	load(&e);
	f.page = accepted_page(&e, 0);
	CHECK_EQ(te_run(&e, 0, TE_OP_PUT_AT, f.page, 1), 0);
	CHECK_OK(mprotect((void *)(uintptr_t)f.page, PAGE, PROT_READ));
	c = (struct te_call){ .op = TE_OP_PUT_AT, .arg = { f.page, 2 } };
	CHECK_EQ(enter_with_fixup(&e, 0, &c, &f, &run), 0);
	CHECK_ONE_PF(&f, &run, 0x7, f.page);
	CHECK_EQ(te_run(&e, 1, TE_OP_GET_AT, f.page), 2);
	/* Nor beyond the permissions a page was added with: the ELF header's page is R. */
	CHECK_ERRNO(mprotect((void *)(uintptr_t)e.base, PAGE, PROT_READ | PROT_WRITE), EACCES);
	CHECK_EQ(te_run(&e, 0, TE_OP_READ, e.base), 0x7f); /* ELFMAG0, still readable */
	pl_unload(&e);
}

/* 6. A TCS made at run time and entered; its stack trimmed, removed and re-added. */

static void scenario_new_tcs_trim_remove(void)
{
	struct pl_enclave e;
	struct sgx_enclave_run run;
	struct te_call c = { .op = TE_OP_THREAD_INFO };
	uint64_t tcs;
	unsigned int i;

	check_note("TCS made at run time (EAUG, MODIFY_TYPES, EACCEPT); trim and REMOVE_PAGES");
	load(&e);
	/* pages: 0 TCS, 1-2 SSA, 3 thread data, 4-7 stack */
	for (i = 0; i < 8; i++)
		accepted_page(&e, i);
	tcs = free_page(&e, 0);
	CHECK_EQ(te_run(&e, 0, TE_OP_INIT_TCS, tcs, free_page(&e, 1) - e.base, 2,
			free_page(&e, 3) - e.base, free_page(&e, 8) - e.base), 0);
	/* Entering it before it is a TCS: EENTER's #PF at the page (EPCM.PT is not PT_TCS). */
	memset(&run, 0, sizeof(run));
	run.tcs = tcs;
	CHECK_EQ(pl_call_enclave((long)&c, 0, 0, EENTER, 0, 0, &run, entry), 0);
	CHECK_EQ(run.function, EENTER);
	CHECK_EQ(run.exception_vector, VEC_PF);
	CHECK_EQ(run.exception_addr, tcs);
	CHECK_OK(modify_types(&e, tcs, PAGE, PL_PT_TCS));
	CHECK_EQ(te_run(&e, 0, TE_OP_EACCEPT, PL_SECINFO_TCS | PL_SECINFO_MODIFIED, tcs), 0);
	memset(&run, 0, sizeof(run));
	run.tcs = tcs;
	memset(c.out, 0, sizeof(c.out));
	CHECK_EQ(pl_call_enclave((long)&c, 0, 0, EENTER, 0, 0, &run, entry), 0);
	CHECK_EQ(run.function, EEXIT);
	CHECK_EQ(c.out[0], tcs);
	CHECK_EQ(c.out[1], free_page(&e, 3));
	CHECK(c.out[3] >= free_page(&e, 4) && c.out[3] < free_page(&e, 8),
	      "the new thread's stack %#llx is not its own", (unsigned long long)c.out[3]);

	/* Trim three pages of its stack: EACCEPT each, then remove them. */
	CHECK_OK(modify_types(&e, free_page(&e, 5), 3 * PAGE, PL_PT_TRIM));
	/* Not accepted yet: the pages cannot go. */
	CHECK_ERRNO(remove_pages(&e, free_page(&e, 5), 3 * PAGE), EPERM);
	for (i = 5; i < 8; i++)
		CHECK_EQ(te_run(&e, 0, TE_OP_EACCEPT, PL_SECINFO_TRIM | PL_SECINFO_MODIFIED,
				free_page(&e, i)), 0);
	/* A trimmed page reads as an EPCM fault (#PF 0x8005), reported when no handler repairs it. */
	c = (struct te_call){ .op = TE_OP_GET_AT, .arg = { free_page(&e, 6) } };
	CHECK_EQ(enter(e.tcs[1], &c, &run), 0);
	CHECK_EQ(run.function, ERESUME);
	CHECK_EQ(run.exception_vector, VEC_PF);
	CHECK_EQ(run.exception_error_code, 0x8005);
	CHECK_EQ(run.exception_addr & ~(PAGE - 1), free_page(&e, 6));
	CHECK_OK(remove_pages(&e, free_page(&e, 5), 3 * PAGE));
	/* The address comes back as a fresh page. */
	CHECK_EQ(te_run(&e, 0, TE_OP_EACCEPT, REG_RW | PL_SECINFO_PENDING, free_page(&e, 6)), 0);
	CHECK_EQ(te_run(&e, 0, TE_OP_PUT_AT, free_page(&e, 6), 66), 0);
	CHECK_EQ(te_run(&e, 0, TE_OP_GET_AT, free_page(&e, 6)), 66);
	pl_unload(&e);
}

/*
 * 7. RESTRICT_PERMISSIONS while another thread spins inside the enclave:
 * the ETRACK flow interrupts it, the ioctl completes while it still spins,
 * the restriction can be accepted at once, and the thread goes on and
 * leaves when the flag is set.
 */
struct spinner {
	struct pl_enclave *e;
	uint64_t flag;
	struct te_call c;
	struct sgx_enclave_run run;
	int ret;
	uint64_t beat; /* TE_OP_SPIN's heartbeat (test/spin.h) */
	int done;
};

static void *spin_thread(void *arg)
{
	struct spinner *s = arg;

	s->c = (struct te_call){ .op = TE_OP_SPIN,
				 .arg = { (uintptr_t)&s->flag, (uintptr_t)&s->beat } };
	memset(&s->run, 0, sizeof(s->run));
	s->run.tcs = s->e->tcs[1];
	s->ret = pl_call_enclave((long)&s->c, 0, 0, EENTER, 0, 0, &s->run, entry);
	__atomic_store_n(&s->done, 1, __ATOMIC_RELEASE);
	return NULL;
}

static void scenario_etrack_spinning_thread(void)
{
	struct pl_enclave e;
	struct spinner s = { .e = &e };
	struct sgx_enclave_restrict_permissions p;
	uint64_t page;
	pthread_t th;

	check_note("ETRACK: RESTRICT_PERMISSIONS while another thread spins inside");
	load(&e);
	page = accepted_page(&e, 0);
	REQUIRE(!pthread_create(&th, NULL, spin_thread, &s), "pthread_create");
	CHECK(te_spin_wait(&s.beat, 0), "the thread never spun in the enclave");
	CHECK_OK(restrict_perms(&e, page, PAGE, PL_SECINFO_R, &p));
	CHECK_EQ(p.count, PAGE);
	CHECK_EQ(p.result, 0);
	/* The ioctl did not wait for the thread to leave: it is still inside. */
	CHECK(!__atomic_load_n(&s.done, __ATOMIC_ACQUIRE), "the spinning thread left early");
	/* Tracking is complete: the restriction is accepted at once. */
	CHECK_EQ(te_run(&e, 0, TE_OP_EACCEPT, REG_R_PR, page), 0);
	__atomic_store_n(&s.flag, 1, __ATOMIC_RELEASE); /* read by the enclave */
	REQUIRE(!pthread_join(th, NULL), "pthread_join");
	CHECK_EQ(s.ret, 0);
	CHECK_EQ(s.run.function, EEXIT);
	CHECK(s.c.ret > 0, "the enclave spun %llu times", (unsigned long long)s.c.ret);
	/* The page is read-only for the enclave now. */
	{
		struct sgx_enclave_run run;
		struct te_call c = { .op = TE_OP_WRITE, .arg = { page } };

		CHECK_EQ(enter(e.tcs[0], &c, &run), 0);
		CHECK_EQ(run.function, ERESUME);
		CHECK_EQ(run.exception_error_code, 0x8007);
	}
	pl_unload(&e);
}

/* A hang inside an ioctl or the enclave ends the test with a message, not a timeout. */
static void *watchdog(void *arg)
{
	static const char msg[] = "FAIL: the scenarios did not finish within 240 s\n";

	sleep(240);
	if (write(2, msg, sizeof(msg) - 1) < 0)
		_exit(1);
	_exit(1);
}

_Noreturn void scenarios_run(const char *name, pl_vdso_entry_t fn)
{
	pthread_t th;

	entry = fn;
	REQUIRE(!pthread_create(&th, NULL, watchdog, NULL), "pthread_create");
	pthread_detach(th);
	if (access("/dev/sgx_enclave", F_OK))
		sgx_entry_missing(name, "/dev/sgx_enclave is absent");
	scenario_basic();
	scenario_eaug_fault();
	scenario_restrict_partial_emodpe();
	scenario_mprotect();
	scenario_new_tcs_trim_remove();
	scenario_etrack_spinning_thread();
	check_exit(name);
}
