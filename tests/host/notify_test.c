/* softsgx-test: threads */
/* SPDX-License-Identifier: MIT */
/*
 * AEX-Notify on real threads: an enclave with ATTRIBUTES.AEXNOTIFY (every
 * TCS with FLAGS.AEXNOTIFY) whose thread computes a checked result while
 * the ETRACK flow interrupts it again and again. After each AEX the host's
 * ERESUME enters the enclave's handler (enclaves/test/entry.S, as the Intel
 * SGX SDK's: copy, EDECCSSA, continue), which counts it: exactly one
 * notification per AEX, and the result is right.
 */
#include <pthread.h>
#include <unistd.h>

#include "harness.h"
#include "test_enclave.h"

#define ROUNDS 200000000ull
#define WANT_INTERRUPTS 1000

struct computer {
	struct softsgx_enclave *e;
	bool arm;                  /* notifications on for the thread */
	int started, stop; /* atomic */
	uint64_t calls, wrong, notified;
};

/* Thread 1 of the enclave: notifications on (if armed), COMPUTE until told to stop, each checked. */
static void *compute(void *arg)
{
	struct computer *c = arg;
	uint64_t seed;

	te_run(c->e, 1, TE_OP_NOTIFY, c->arm);
	__atomic_store_n(&c->started, 1, __ATOMIC_RELEASE);
	for (seed = 1; !__atomic_load_n(&c->stop, __ATOMIC_ACQUIRE) || c->calls < 2; seed++, c->calls++)
		if (te_run(c->e, 1, TE_OP_COMPUTE, seed, ROUNDS / 20) != te_compute(seed, ROUNDS / 20))
			c->wrong++;
	c->notified = te_run(c->e, 1, TE_OP_NOTIFY, 0);
	return NULL;
}

/* Page faults of enclave code the driver resolved (each an AEX). */
static uint64_t page_faults(void)
{
	return softsgx_counter(SOFTSGX_CNT_FAULT_EAUG) + softsgx_counter(SOFTSGX_CNT_FAULT_MAP) +
	       softsgx_counter(SOFTSGX_CNT_FAULT_EPCM) + softsgx_counter(SOFTSGX_CNT_FAULT_VMA);
}

static struct softsgx_enclave *load_notifying(void)
{
	struct softsgx_load_options opts = { .attributes = SGX_ATTR_AEXNOTIFY };
	struct softsgx_enclave *e = NULL;

	EXPECT_EQ(softsgx_load_file(SOFTSGX_TEST_ENCLAVE, &opts, &e), 0);
	return e;
}

/* RESTRICT_PERMISSIONS of one accepted page: ETRACK and an interrupt round (per-page tracking). */
static void restrict_page(struct softsgx_enclave *e, uint64_t page)
{
	struct sgx_enclave_restrict_permissions p = {
		.offset = page - softsgx_enclave_base(e), .length = 4096, .permissions = SGX_SECINFO_R
	};

	EXPECT_EQ(softsgx_ioctl(softsgx_enclave_fd(e), SGX_IOC_ENCLAVE_RESTRICT_PERMISSIONS, &p), 0);
}

/*
 * Thread 1 computes (notifications armed or not) while the ETRACK flow
 * interrupts it @want times; into *@out: AEXs, notifications, and the AEXs that may
 * have struck inside the handler (page faults, interrupt rounds not its own).
 */
static void run_interrupted(bool arm, uint64_t want, uint64_t out[3])
{
	struct softsgx_enclave *e = load_notifying();
	struct computer c = { .e = e, .arm = arm };
	uint64_t page, aex0, faults0, rounds0, rounds = 0;
	pthread_t th;

	ASSERT_TRUE(e);
	page = softsgx_enclave_free_start(e);
	EXPECT_EQ(te_run(e, 0, TE_OP_EACCEPT, SGX_SECINFO_REG | SGX_SECINFO_R | SGX_SECINFO_W |
			 SGX_SECINFO_PENDING, page), 0);
	aex0 = softsgx_leaf_count(24); /* AEX */
	faults0 = page_faults();
	rounds0 = softsgx_counter(SOFTSGX_CNT_IPI_ROUNDS);
	ASSERT_EQ(pthread_create(&th, NULL, compute, &c), 0);
	while (!__atomic_load_n(&c.started, __ATOMIC_ACQUIRE))
		usleep(100);
	/*
	 * One round, then time for the handler to finish: an AEX inside the
	 * handler, after it disarmed the frame, resumes without a notification
	 * (as on hardware with the SDK's handler), and would not be counted.
	 */
	while (softsgx_leaf_count(24) - aex0 < want && rounds++ < 10 * want) {
		restrict_page(e, page);
		usleep(1000);
	}
	__atomic_store_n(&c.stop, 1, __ATOMIC_RELEASE);
	pthread_join(th, NULL);
	out[0] = softsgx_leaf_count(24) - aex0;
	out[1] = c.notified;
	/* AEXs the spaced rounds do not account for: faults, and rounds beyond one per RESTRICT
	 * (the reclaimer's, an ETRACK that met an open cycle), which may land in the handler. */
	out[2] = page_faults() - faults0 + (softsgx_counter(SOFTSGX_CNT_IPI_ROUNDS) - rounds0) - rounds;
	EXPECT_TRUE(out[0] >= want);
	EXPECT_EQ(c.wrong, 0);
	EXPECT_TRUE(c.calls >= 2);
	softsgx_unload(e);
}

static void interrupted_many_times(void)
{
	uint64_t n[3] = { 0 };

	run_interrupted(true, WANT_INTERRUPTS, n);
	/*
	 * Each interrupt's AEX (from the armed frame: the computation) ran the
	 * handler once. The AEXs the handler did not see can only be those
	 * that struck it while its own frame was unarmed: page faults, and
	 * interrupt rounds other than the one per RESTRICT (the reclaimer's).
	 */
	EXPECT_TRUE(n[1] <= n[0]);
	if (n[0] - n[1] > n[2])
		harness_fail(__FILE__, __LINE__, "%llu AEXs, %llu notifications, %llu faults or other rounds",
			     (unsigned long long)n[0], (unsigned long long)n[1],
			     (unsigned long long)n[2]);
}

TEST(notifying_thread_interrupted_a_thousand_times)
{
	const struct softsgx_config cfg = { 0 };

	harness_in_child(&cfg, interrupted_many_times);
}

/* Unarmed, the same enclave's thread resumes at the interrupted instruction: no handler runs. */
static void not_armed(void)
{
	uint64_t n[3] = { 0 };

	run_interrupted(false, 100, n);
	EXPECT_EQ(n[1], 0);
}

TEST(notifying_enclave_unarmed_resumes_plainly)
{
	const struct softsgx_config cfg = { 0 };

	harness_in_child(&cfg, not_armed);
}
