/* SPDX-License-Identifier: MIT */
/*
 * Real enclave code (enclaves/test) through the library interface and the
 * entry function only: the SGX2 scenarios a runtime lives through.
 */
#include <pthread.h>
#include <stdlib.h>
#include <unistd.h>

#include <openssl/core_names.h>
#include <openssl/evp.h>

#include "harness.h"
#include "host/features.h"
#include "test_enclave.h"
#include "test/spin.h"
#include "softsgx/arch.h"
#include "softsgx/loader.h"
#include "softsgx/softsgx.h"
#include "test/abi.h"

#include <asm/sgx.h>
#include <sys/mman.h>

#define PAGE 4096ull
#define EENTER 2
#define ERESUME 3
#define EEXIT 4
#define REG_RW (SGX_SECINFO_REG | SGX_SECINFO_R | SGX_SECINFO_W)

static uint64_t free_page(struct softsgx_enclave *e, unsigned int n)
{
	return softsgx_enclave_free_start(e) + n * PAGE;
}

static uint64_t offset_of(struct softsgx_enclave *e, uint64_t addr)
{
	return addr - softsgx_enclave_base(e);
}

/* The EDMM ioctls on a range of pages. */
static int restrict_perms(struct softsgx_enclave *e, uint64_t addr, uint64_t len, uint64_t perms,
			  struct sgx_enclave_restrict_permissions *p)
{
	*p = (struct sgx_enclave_restrict_permissions){ .offset = offset_of(e, addr), .length = len,
							 .permissions = perms };
	return softsgx_ioctl(softsgx_enclave_fd(e), SGX_IOC_ENCLAVE_RESTRICT_PERMISSIONS, p);
}

static int modify_types(struct softsgx_enclave *e, uint64_t addr, uint64_t len, uint64_t type)
{
	struct sgx_enclave_modify_types m = { .offset = offset_of(e, addr), .length = len,
					      .page_type = type };

	return softsgx_ioctl(softsgx_enclave_fd(e), SGX_IOC_ENCLAVE_MODIFY_TYPES, &m);
}

static int remove_pages(struct softsgx_enclave *e, uint64_t addr, uint64_t len)
{
	struct sgx_enclave_remove_pages r = { .offset = offset_of(e, addr), .length = len };

	return softsgx_ioctl(softsgx_enclave_fd(e), SGX_IOC_ENCLAVE_REMOVE_PAGES, &r);
}

/*
 * An EENTER whose exceptions are handled inside the same entry-function
 * call, as runtimes do through run->user_handler: the handler records the
 * exception, lets @fix repair things (from another TCS, say) and returns
 * ERESUME. ERESUME must come from the same call: the enclave EEXITs to
 * the stack it was entered on, which AEX and ERESUME leave alone.
 */
struct fixup {
	void (*fix)(struct fixup *f);
	struct softsgx_enclave *e;
	uint64_t page;
	int exceptions;
	uint16_t vector;
	uint16_t error_code;
	uint64_t addr;
};

static int fixup_handler(long rdi, long rsi, long rdx, long rsp, long r8, long r9,
			 struct sgx_enclave_run *run)
{
	struct fixup *f = (struct fixup *)(uintptr_t)run->user_data;

	if (run->function != ERESUME)
		return 0;
	f->exceptions++;
	f->vector = run->exception_vector;
	f->error_code = run->exception_error_code;
	f->addr = run->exception_addr;
	if (f->exceptions > 1)
		return 0; /* a second exception: give up, the test says what it saw */
	f->fix(f);
	return ERESUME;
}

static int enter_with_fixup(struct softsgx_enclave *e, unsigned int tcs, struct te_call *c,
			    struct fixup *f, struct sgx_enclave_run *run)
{
	memset(run, 0, sizeof(*run));
	run->tcs = softsgx_enclave_tcs(e, tcs);
	run->user_handler = (uintptr_t)fixup_handler;
	run->user_data = (uintptr_t)f;
	return softsgx_call_enclave((long)c, 0, 0, EENTER, 0, 0, run);
}

/* 1. Enter, put and get a value, exit; both TCSs; with a user handler. */

TEST(scenario1_put_get_both_tcs)
{
	struct softsgx_enclave *e = te_load();

	ASSERT_TRUE(e);
	EXPECT_EQ(te_run(e, 0, TE_OP_PUT, 0x1234, 0, 0), 0);
	EXPECT_EQ(te_run(e, 1, TE_OP_GET, 0, 0, 0), 0x1234);
	EXPECT_EQ(te_run(e, 1, TE_OP_PUT, 77, 0, 0), 0);
	EXPECT_EQ(te_run(e, 0, TE_OP_GET, 0, 0, 0), 77);
	EXPECT_EQ(te_run(e, 0, TE_OP_RDSELF, 0, 0, 0), softsgx_enclave_base(e));
	softsgx_unload(e);
}

struct handler_seen {
	int calls;
	long rdi;
	uint32_t function;
};

static int count_handler(long rdi, long rsi, long rdx, long rsp, long r8, long r9,
			 struct sgx_enclave_run *run)
{
	struct handler_seen *seen = (struct handler_seen *)(uintptr_t)run->user_data;

	seen->calls++;
	seen->rdi = rdi;
	seen->function = run->function;
	return 0;
}

TEST(scenario1_user_handler)
{
	struct softsgx_enclave *e = te_load();
	struct te_call c = { .op = TE_OP_PUT, .arg = { 5 } };
	struct handler_seen seen = { 0 };
	struct sgx_enclave_run run;

	ASSERT_TRUE(e);
	memset(&run, 0, sizeof(run));
	run.tcs = softsgx_enclave_tcs(e, 0);
	run.user_handler = (uintptr_t)count_handler;
	run.user_data = (uintptr_t)&seen;
	EXPECT_EQ(softsgx_call_enclave((long)&c, 0, 0, EENTER, 0, 0, &run), 0);
	EXPECT_EQ(seen.calls, 1);
	EXPECT_EQ(seen.function, EEXIT);
	EXPECT_EQ(te_run(e, 1, TE_OP_GET, 0, 0, 0), 5);
	softsgx_unload(e);
}

TEST(scenario1_bad_function_and_reserved_einval)
{
	struct softsgx_enclave *e = te_load();
	struct sgx_enclave_run run;

	ASSERT_TRUE(e);
	memset(&run, 0, sizeof(run));
	run.tcs = softsgx_enclave_tcs(e, 0);
	EXPECT_EQ(softsgx_call_enclave(0, 0, 0, EEXIT, 0, 0, &run), -EINVAL);
	run.reserved[100] = 1;
	EXPECT_EQ(softsgx_call_enclave(0, 0, 0, EENTER, 0, 0, &run), -EINVAL);
	softsgx_unload(e);
}

/* 2. A write to a fresh page faults until the enclave accepts it. */

static void accept_pending(struct fixup *f)
{
	EXPECT_EQ(te_run(f->e, 1, TE_OP_EACCEPT, REG_RW | SGX_SECINFO_PENDING, f->page, 0), 0);
}

TEST(scenario2_fresh_page_write_8007_then_accept_resume)
{
	struct softsgx_enclave *e = te_load();
	struct fixup f = { .fix = accept_pending };
	struct sgx_enclave_run run;
	struct te_call c;

	ASSERT_TRUE(e);
	f.e = e;
	f.page = free_page(e, 0);
	c = (struct te_call){ .op = TE_OP_PUT_AT, .arg = { f.page + 0x18, 0xfeed } };
	EXPECT_EQ(enter_with_fixup(e, 0, &c, &f, &run), 0);
	/* The write faulted once (0x8007 at the page), the other TCS accepted, ERESUME finished it. */
	EXPECT_EQ(f.exceptions, 1);
	EXPECT_EQ(f.vector, SGX_VEC_PF);
	EXPECT_EQ(f.error_code, 0x8007);
	EXPECT_EQ(f.addr, f.page);
	EXPECT_EQ(run.function, EEXIT);
	EXPECT_EQ(te_run(e, 1, TE_OP_GET_AT, f.page + 0x18, 0, 0), 0xfeed);
	softsgx_unload(e);
}

/* 3. EACCEPT of an unbacked address: fault, EAUG, EACCEPT again; nothing reported. */

TEST(scenario3_eaccept_unbacked_transparent)
{
	struct softsgx_enclave *e = te_load();
	uint64_t before = softsgx_counter(SOFTSGX_CNT_FAULT_EAUG);

	ASSERT_TRUE(e);
	EXPECT_EQ(te_run(e, 0, TE_OP_EACCEPT, REG_RW | SGX_SECINFO_PENDING, free_page(e, 3), 0), 0);
	EXPECT_EQ(softsgx_counter(SOFTSGX_CNT_FAULT_EAUG), before + 1);
	EXPECT_EQ(te_run(e, 0, TE_OP_PUT_AT, free_page(e, 3), 9, 0), 0);
	EXPECT_EQ(te_run(e, 1, TE_OP_GET_AT, free_page(e, 3), 0, 0), 9);
	softsgx_unload(e);
}

/* A fresh, accepted RW page. */
static uint64_t accepted_page(struct softsgx_enclave *e, unsigned int n)
{
	uint64_t page = free_page(e, n);

	if (te_run(e, 0, TE_OP_EACCEPT, REG_RW | SGX_SECINFO_PENDING, page, 0))
		harness_fail(__FILE__, __LINE__, "EACCEPT of a fresh page failed");
	return page;
}

/* 4. RESTRICT to R, EACCEPT, write -> 0x8007, EMODPE(RW) from the other TCS, ERESUME. */

static void extend_rw(struct fixup *f)
{
	EXPECT_EQ(te_run(f->e, 1, TE_OP_EMODPE, SGX_SECINFO_R | SGX_SECINFO_W, f->page, 0), 0);
}

TEST(scenario4_restrict_accept_write_emodpe_resume)
{
	struct softsgx_enclave *e = te_load();
	struct sgx_enclave_restrict_permissions p;
	struct fixup f = { .fix = extend_rw };
	struct sgx_enclave_run run;
	struct te_call c;

	ASSERT_TRUE(e);
	f.e = e;
	f.page = accepted_page(e, 0);
	EXPECT_EQ(restrict_perms(e, f.page, PAGE, SGX_SECINFO_R, &p), 0);
	EXPECT_EQ(p.count, PAGE);
	EXPECT_EQ(te_run(e, 1, TE_OP_EACCEPT, SGX_SECINFO_REG | SGX_SECINFO_R | SGX_SECINFO_PR, f.page, 0),
		  0);
	c = (struct te_call){ .op = TE_OP_PUT_AT, .arg = { f.page, 0xabc } };
	EXPECT_EQ(enter_with_fixup(e, 0, &c, &f, &run), 0);
	EXPECT_EQ(f.exceptions, 1);
	EXPECT_EQ(f.vector, SGX_VEC_PF);
	EXPECT_EQ(f.error_code, 0x8007);
	EXPECT_EQ(run.function, EEXIT);
	EXPECT_EQ(te_run(e, 1, TE_OP_GET_AT, f.page, 0, 0), 0xabc);
	softsgx_unload(e);
}

/* 5. mprotect(R): a write faults without the SGX bit; mprotect back; ERESUME. */

static void mprotect_back(struct fixup *f)
{
	EXPECT_EQ(te_run(f->e, 1, TE_OP_GET_AT, f->page, 0, 0), 1); /* reads still work */
	EXPECT_EQ(softsgx_mprotect((void *)(uintptr_t)f->page, PAGE, PROT_READ | PROT_WRITE), 0);
}

TEST(scenario5_mprotect_write_7_then_restore)
{
	struct softsgx_enclave *e = te_load();
	struct fixup f = { .fix = mprotect_back };
	struct sgx_enclave_run run;
	struct te_call c;

	ASSERT_TRUE(e);
	f.e = e;
	f.page = accepted_page(e, 0);
	EXPECT_EQ(te_run(e, 0, TE_OP_PUT_AT, f.page, 1, 0), 0);
	ASSERT_EQ(softsgx_mprotect((void *)(uintptr_t)f.page, PAGE, PROT_READ), 0);
	c = (struct te_call){ .op = TE_OP_PUT_AT, .arg = { f.page, 2 } };
	EXPECT_EQ(enter_with_fixup(e, 0, &c, &f, &run), 0);
	EXPECT_EQ(f.exceptions, 1);
	EXPECT_EQ(f.vector, SGX_VEC_PF);
	EXPECT_EQ(f.error_code, 0x7);
	EXPECT_EQ(run.function, EEXIT);
	EXPECT_EQ(te_run(e, 1, TE_OP_GET_AT, f.page, 0, 0), 2);
	softsgx_unload(e);
}

/* 6. A TCS made at run time, entered; pages trimmed, accepted, removed, re-added. */

TEST(scenario6_new_tcs_then_trim_remove_reaug)
{
	struct softsgx_enclave *e = te_load();
	struct sgx_enclave_run run;
	struct te_call c = { .op = TE_OP_THREAD_INFO };
	/* pages: 0 TCS, 1-2 SSA, 3 thread data, 4-7 stack */
	uint64_t tcs;
	unsigned int i;

	ASSERT_TRUE(e);
	for (i = 0; i < 8; i++)
		accepted_page(e, i);
	tcs = free_page(e, 0);
	{
		struct te_call init = { .op = TE_OP_INIT_TCS,
					.arg = { tcs, offset_of(e, free_page(e, 1)), 2,
						 offset_of(e, free_page(e, 3)), offset_of(e, free_page(e, 8)) } };

		ASSERT_EQ(te_enter(e, 0, &init, &run), 0);
		ASSERT_EQ(run.function, EEXIT);
	}
	ASSERT_EQ(modify_types(e, tcs, PAGE, SGX_PAGE_TYPE_TCS), 0);
	EXPECT_EQ(te_run(e, 0, TE_OP_EACCEPT, SGX_SECINFO_TCS | SGX_SECINFO_MODIFIED, tcs, 0), 0);
	/* Enter through it. */
	memset(&run, 0, sizeof(run));
	run.tcs = tcs;
	EXPECT_EQ(softsgx_call_enclave((long)&c, 0, 0, EENTER, 0, 0, &run), 0);
	EXPECT_EQ(run.function, EEXIT);
	EXPECT_EQ(c.out[0], tcs);
	EXPECT_EQ(c.out[1], free_page(e, 3));

	/* Trim three pages of the new thread's stack, accept, remove. */
	ASSERT_EQ(modify_types(e, free_page(e, 5), 3 * PAGE, SGX_PAGE_TYPE_TRIM), 0);
	for (i = 5; i < 8; i++)
		EXPECT_EQ(te_run(e, 0, TE_OP_EACCEPT, SGX_SECINFO_TRIM | SGX_SECINFO_MODIFIED,
			     free_page(e, i), 0), 0);
	EXPECT_EQ(remove_pages(e, free_page(e, 5), 3 * PAGE), 0);
	/* The address comes back as a fresh page. */
	EXPECT_EQ(te_run(e, 0, TE_OP_EACCEPT, REG_RW | SGX_SECINFO_PENDING, free_page(e, 6), 0), 0);
	EXPECT_EQ(te_run(e, 0, TE_OP_PUT_AT, free_page(e, 6), 66, 0), 0);
	EXPECT_EQ(te_run(e, 1, TE_OP_GET_AT, free_page(e, 6), 0, 0), 66);
	softsgx_unload(e);
}

/* 7. A trimmed page reads as an EPCM fault before and after its EACCEPT. */

TEST(scenario7_trimmed_page_read_8005_remove_needs_accept)
{
	struct softsgx_enclave *e = te_load();
	struct sgx_enclave_run run;
	struct te_call c;
	uint64_t page;

	ASSERT_TRUE(e);
	page = accepted_page(e, 0);
	ASSERT_EQ(modify_types(e, page, PAGE, SGX_PAGE_TYPE_TRIM), 0);
	c = (struct te_call){ .op = TE_OP_GET_AT, .arg = { page } };
	EXPECT_EQ(te_enter(e, 0, &c, &run), 0);
	EXPECT_EQ(run.exception_vector, SGX_VEC_PF);
	EXPECT_EQ(run.exception_error_code, 0x8005);
	EXPECT_ERRNO(remove_pages(e, page, PAGE), EPERM);
	EXPECT_EQ(te_run(e, 1, TE_OP_EACCEPT, SGX_SECINFO_TRIM | SGX_SECINFO_MODIFIED, page, 0), 0);
	c = (struct te_call){ .op = TE_OP_GET_AT, .arg = { page } };
	EXPECT_EQ(te_enter(e, 1, &c, &run), 0);
	EXPECT_EQ(run.exception_vector, SGX_VEC_PF);
	EXPECT_EQ(run.exception_error_code, 0x8005);
	EXPECT_EQ(remove_pages(e, page, PAGE), 0);
	softsgx_unload(e);
}

/* 8. RESTRICT while another thread spins inside: it is interrupted and finishes. */

struct spinner {
	struct softsgx_enclave *e;
	volatile uint64_t flag;
	struct te_call c;
	struct sgx_enclave_run run;
	int ret;
	uint64_t beat; /* TE_OP_SPIN's heartbeat (test/spin.h) */
};

static void *spin_thread(void *arg)
{
	struct spinner *s = arg;

	s->c = (struct te_call){ .op = TE_OP_SPIN,
				 .arg = { (uintptr_t)&s->flag, (uintptr_t)&s->beat } };
	memset(&s->run, 0, sizeof(s->run));
	s->run.tcs = softsgx_enclave_tcs(s->e, 1);
	s->ret = softsgx_call_enclave((long)&s->c, 0, 0, EENTER, 0, 0, &s->run);
	return NULL;
}

TEST(scenario8_restrict_interrupts_spinning_thread)
{
	struct spinner s = { 0 };
	struct sgx_enclave_restrict_permissions p;
	uint64_t page, rounds, threads;
	pthread_t th;

	s.e = te_load();
	ASSERT_TRUE(s.e);
	page = accepted_page(s.e, 0);
	ASSERT_EQ(pthread_create(&th, NULL, spin_thread, &s), 0);
	EXPECT_TRUE(te_spin_wait(&s.beat, 0)); /* inside and spinning */
	rounds = softsgx_counter(SOFTSGX_CNT_IPI_ROUNDS);
	threads = softsgx_counter(SOFTSGX_CNT_IPI_THREADS);
	EXPECT_EQ(restrict_perms(s.e, page, PAGE, SGX_SECINFO_R, &p), 0);
	EXPECT_TRUE(softsgx_counter(SOFTSGX_CNT_IPI_ROUNDS) > rounds);
	EXPECT_TRUE(softsgx_counter(SOFTSGX_CNT_IPI_THREADS) > threads);
	/* Tracking completed: the restriction can be accepted at once. */
	EXPECT_EQ(te_run(s.e, 0, TE_OP_EACCEPT, SGX_SECINFO_REG | SGX_SECINFO_R | SGX_SECINFO_PR, page, 0), 0);
	__atomic_store_n(&s.flag, 1, __ATOMIC_RELAXED); /* read by the enclave */
	pthread_join(th, NULL);
	EXPECT_EQ(s.ret, 0);
	EXPECT_EQ(s.run.function, EEXIT);
	EXPECT_TRUE(s.c.ret > 0);
	softsgx_unload(s.e);
}

/* 9. SYSCALL inside the enclave is #UD; the process goes on. */

TEST(scenario9_syscall_ud)
{
	struct softsgx_enclave *e;
	struct te_call c = { .op = TE_OP_SYSCALL };
	struct sgx_enclave_run run;

	SKIP_UNLESS(host_features() & HOST_SUD, "SYSCALL is trapped only with Syscall User Dispatch");
	e = te_load();
	ASSERT_TRUE(e);
	EXPECT_EQ(te_enter(e, 0, &c, &run), 0);
	EXPECT_EQ(run.function, ERESUME);
	EXPECT_EQ(run.exception_vector, SGX_VEC_UD);
	EXPECT_TRUE(getpid() > 0);
	/* The other thread still works. */
	EXPECT_EQ(te_run(e, 1, TE_OP_NOP, 0, 0, 0), 0);
	softsgx_unload(e);
}

/* 10. Local attestation: a REPORT for enclave B, checked with B's EGETKEY(REPORT). */

static void cmac(const uint8_t key[16], const void *data, size_t len, uint8_t out[16])
{
	EVP_MAC *m = EVP_MAC_fetch(NULL, "CMAC", NULL);
	EVP_MAC_CTX *ctx = EVP_MAC_CTX_new(m);
	char cipher[] = "AES-128-CBC";
	OSSL_PARAM params[] = { OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_CIPHER, cipher, 0),
				OSSL_PARAM_construct_end() };
	size_t n = 0;

	EVP_MAC_init(ctx, key, 16, params);
	EVP_MAC_update(ctx, data, len);
	EVP_MAC_final(ctx, out, &n, 16);
	EVP_MAC_CTX_free(ctx);
	EVP_MAC_free(m);
}

TEST(scenario10_local_attestation)
{
	struct softsgx_enclave *a = te_load(), *b = te_load();
	struct sgx_targetinfo *ti = aligned_alloc(512, 512);
	struct sgx_keyrequest *req = aligned_alloc(512, 512);
	struct sgx_report *report = aligned_alloc(512, 512);
	uint8_t data[64], key[16], mac[16];

	ASSERT_TRUE(a && b);
	memset(ti, 0, sizeof(*ti));
	memcpy(ti->mrenclave, softsgx_enclave_mrenclave(b), 32);
	ti->attributes.flags = SGX_ATTR_INIT | SGX_ATTR_DEBUG | SGX_ATTR_MODE64BIT;
	ti->attributes.xfrm = 3;
	ti->miscselect = SGX_MISC_EXINFO;
	memset(data, 0x5c, sizeof(data));
	EXPECT_EQ(te_run(a, 0, TE_OP_EREPORT, (uintptr_t)ti, (uintptr_t)data, (uintptr_t)report), 0);
	EXPECT_TRUE(!memcmp(report->body.report_data, data, 64));
	EXPECT_TRUE(!memcmp(report->body.mrenclave, softsgx_enclave_mrenclave(a), 32));
	/* B derives its report key and checks the MAC. */
	memset(req, 0, sizeof(*req));
	req->keyname = SGX_KEYNAME_REPORT;
	memcpy(req->keyid, report->keyid, 32);
	EXPECT_EQ(te_run(b, 0, TE_OP_EGETKEY, (uintptr_t)req, (uintptr_t)key, 0), 0);
	cmac(key, report, 384, mac);
	EXPECT_TRUE(!memcmp(mac, report->mac, 16));
	/* A changed report no longer verifies. */
	report->body.isv_svn ^= 1;
	cmac(key, report, 384, mac);
	EXPECT_TRUE(memcmp(mac, report->mac, 16) != 0);
	free(report);
	free(req);
	free(ti);
	softsgx_unload(b);
	softsgx_unload(a);
}

/* The AEX of a native fault records the architectural error code in the SSA. */

#include "driver/driver.h"

static void read_exinfo(struct fixup *f)
{
	struct sgx_exinfo ei;
	struct sgx_gprsgx gpr;

	ASSERT_TRUE(te_ssa_read(f->e, 0, &gpr, &ei));
	EXPECT_EQ(gpr.exitinfo, SGX_EXITINFO_VALID | (SGX_EXITINFO_TYPE_HW << 8) | SGX_VEC_PF);
	EXPECT_EQ(ei.errcd, 0x8007);
	EXPECT_EQ(ei.maddr & ~0xfffull, f->page);
	accept_pending(f);
}

TEST(aex_of_native_fault_records_architectural_error_code)
{
	struct softsgx_enclave *e = te_load();
	struct fixup f = { .fix = read_exinfo };
	struct sgx_enclave_run run;
	struct te_call c;

	ASSERT_TRUE(e);
	f.e = e;
	f.page = free_page(e, 0);
	c = (struct te_call){ .op = TE_OP_PUT_AT, .arg = { f.page + 0x20, 1 } };
	EXPECT_EQ(enter_with_fixup(e, 0, &c, &f, &run), 0);
	EXPECT_EQ(f.exceptions, 1);
	EXPECT_EQ(run.function, EEXIT);
	softsgx_unload(e);
}
