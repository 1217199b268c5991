/* softsgx-test: threads */
/* SPDX-License-Identifier: MIT */
/*
 * The hostile platform against softsgx's own runtime code: the loader and
 * the EDMM calls (softsgx_ioctl_retrying) with every injection a runtime
 * can survive switched on at a high rate, while two threads grow,
 * restrict, trim and remove memory of one test enclave in a loop. Every
 * byte must read back as written, every call must end as a runtime expects
 * it to, and the injections must have struck. Also: spurious interrupts
 * (aex.rate) while threads compute inside.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#include "harness.h"
#include "test_enclave.h"

#define PAGE 4096ull
#define PAGES 16       /* each thread's region */
#define ROUNDS 12
#define ACCEPT_TRIES 100

/* Everything but the results no runtime can get past (fault.sigbus, alloc.enomem). */
static const char soak_spec[] =
	"restrict.eagain=0.2,modify.eagain=0.2,remove.eagain=0.2,remove.ebusy=0.2,"
	"emodpr.conflict=0.2,emodt.conflict=0.2,ioctl.ebusy=0.1,etrack.irq=0.2,"
	"fault.retry=0.2:n=3,evict=0.1,ewb.not_tracked=0.5,alloc.ebusy=0.1,"
	"eaccept.not_tracked=0.2,add.signal=0.2,einit.unmasked_event=0.3,aex.rate=2000/s,seed=";

struct soaker {
	struct softsgx_enclave *e;
	unsigned int tcs;
	uint64_t addr;
	char failure[160]; /* the first thing that went wrong; empty if nothing */
	pthread_t thread;
};

static bool failed(struct soaker *s, const char *what, uint64_t v)
{
	if (!s->failure[0])
		snprintf(s->failure, sizeof(s->failure), "tcs %u: %s (%#llx)", s->tcs, what,
			 (unsigned long long)v);
	return false;
}

/* One enclave operation that must end in EEXIT; its ret in *@ret. */
static bool op(struct soaker *s, uint64_t code, uint64_t a0, uint64_t a1, uint64_t a2,
	       uint64_t a3, uint64_t *ret)
{
	struct te_call c = { .op = code, .arg = { a0, a1, a2, a3 } };
	struct sgx_enclave_run run;

	if (te_enter(s->e, s->tcs, &c, &run) || run.function != TE_EEXIT)
		return failed(s, "an operation did not end in EEXIT", run.exception_addr);
	*ret = c.ret;
	return true;
}

/* EACCEPT of each page of the region, again after SGX_NOT_TRACKED (a bounded number of times). */
static bool accept_all(struct soaker *s, uint64_t flags)
{
	uint64_t i, ret = 0;
	int tries;

	for (i = 0; i < PAGES; i++) {
		for (tries = 0; tries < ACCEPT_TRIES; tries++) {
			if (!op(s, TE_OP_EACCEPT, flags, s->addr + i * PAGE, 0, 0, &ret))
				return false;
			if (ret != SGX_NOT_TRACKED)
				break;
		}
		if (ret)
			return failed(s, "EACCEPT failed", ret);
	}
	return true;
}

static bool sgx2(struct soaker *s, unsigned long request, void *arg, const __u64 *count)
{
	if (softsgx_ioctl_retrying(softsgx_enclave_fd(s->e), request, arg))
		return failed(s, strerrorname_np(errno), request);
	if (*count != PAGES * PAGE)
		return failed(s, "short count", *count);
	return true;
}

static bool round_trip(struct soaker *s, uint64_t seed)
{
	uint64_t off = s->addr - softsgx_enclave_base(s->e), ret = 0;
	struct sgx_enclave_restrict_permissions rp = { .offset = off, .length = PAGES * PAGE,
						       .permissions = SGX_SECINFO_R };
	struct sgx_enclave_modify_types mt = { .offset = off, .length = PAGES * PAGE,
					       .page_type = SGX_PAGE_TYPE_TRIM };
	struct sgx_enclave_remove_pages rm = { .offset = off, .length = PAGES * PAGE };

	/* Grow: EAUG on the faults, EACCEPT, write. */
	if (!op(s, TE_OP_FILL, s->addr, PAGES, seed, 1, &ret) || ret)
		return failed(s, "fill", ret);
	if (!sgx2(s, SGX_IOC_ENCLAVE_RESTRICT_PERMISSIONS, &rp, &rp.count) ||
	    !accept_all(s, SGX_SECINFO_REG | SGX_SECINFO_R | SGX_SECINFO_PR))
		return false;
	if (!op(s, TE_OP_CHECK, s->addr, PAGES, seed, 7, &ret) || ret)
		return failed(s, "check after the restriction", ret);
	if (!sgx2(s, SGX_IOC_ENCLAVE_MODIFY_TYPES, &mt, &mt.count) ||
	    !accept_all(s, SGX_SECINFO_TRIM | SGX_SECINFO_MODIFIED))
		return false;
	return sgx2(s, SGX_IOC_ENCLAVE_REMOVE_PAGES, &rm, &rm.count);
}

static void *soak(void *arg)
{
	struct soaker *s = arg;
	uint64_t r;

	for (r = 0; r < ROUNDS && round_trip(s, 0x50a0 + r * 2 + s->tcs); r++)
		;
	return NULL;
}

static void soak_two_threads(void)
{
	struct softsgx_enclave *e = te_load();
	struct soaker s[2];
	uint64_t base, injected = 0;
	unsigned int c, points = 0;
	int i;

	ASSERT_TRUE(e);
	base = softsgx_enclave_free_start(e);
	for (i = 0; i < 2; i++) {
		s[i] = (struct soaker){ .e = e, .tcs = (unsigned int)i,
					.addr = base + (uint64_t)i * PAGES * PAGE };
		ASSERT_EQ(pthread_create(&s[i].thread, NULL, soak, &s[i]), 0);
	}
	for (i = 0; i < 2; i++) {
		pthread_join(s[i].thread, NULL);
		if (s[i].failure[0])
			harness_fail(__FILE__, __LINE__, "%s", s[i].failure);
	}
	for (c = SOFTSGX_CNT_INJECT_EMODPR_CONFLICT; c <= SOFTSGX_CNT_INJECT_ETRACK_IRQ; c++) {
		uint64_t v = softsgx_counter((enum softsgx_counter)c);

		injected += v;
		points += v != 0;
	}
	printf("  %llu injections at %u points\n", (unsigned long long)injected, points);
	EXPECT_TRUE(points >= 12);
	EXPECT_EQ(softsgx_counter(SOFTSGX_CNT_FAULT_SIGBUS), 0);
	softsgx_unload(e);
}

static void soak_with_seed(const char *seed)
{
	char spec[1024];
	struct softsgx_config cfg = { .inject = spec };
	const char *own = getenv("SOFTSGX_SOAK_INJECT"); /* another mix, for a longer soak by hand */

	snprintf(spec, sizeof(spec), "%s%s", own ? own : soak_spec, own ? "" : seed);
	harness_in_child(&cfg, soak_two_threads);
}

TEST(runtime_survives_every_injection_seed_1)
{
	soak_with_seed("1");
}

TEST(runtime_survives_every_injection_seed_2)
{
	soak_with_seed("2");
}

/* aex.rate: a thread computing inside is interrupted again and again and computes right. */
static void interrupted_while_computing(void)
{
	struct softsgx_enclave *e = te_load();
	uint64_t aex, addr, ret;
	int i;

	ASSERT_TRUE(e);
	addr = softsgx_enclave_free_start(e);
	aex = softsgx_leaf_count(SGX_LEAF_AEX);
	ASSERT_EQ(te_run(e, 0, TE_OP_FILL, addr, 64, 0xaec, 1), 0);
	/* Until 20 rounds struck the thread inside (a bounded number of checks). */
	for (i = 0; i < 20000 && softsgx_counter(SOFTSGX_CNT_INJECT_AEX) < 20; i++) {
		ret = te_run(e, 0, TE_OP_CHECK, addr, 64, 0xaec, 7);
		EXPECT_EQ(ret, 0);
		if (ret)
			break;
	}
	EXPECT_TRUE(softsgx_counter(SOFTSGX_CNT_INJECT_AEX) >= 20);
	EXPECT_TRUE(softsgx_leaf_count(SGX_LEAF_AEX) > aex);
	softsgx_unload(e);
}

TEST(aex_rate_interrupts_enclave_code)
{
	static const struct softsgx_config cfg = { .inject = "aex.rate=5000/s" };

	harness_in_child(&cfg, interrupted_while_computing);
}
