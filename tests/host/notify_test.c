/* softsgx-test: threads */
/* SPDX-License-Identifier: MIT */
/*
 * AEX-Notify on real threads: an enclave with ATTRIBUTES.AEXNOTIFY (every
 * TCS with FLAGS.AEXNOTIFY) whose thread computes a checked result while
 * the ETRACK flow interrupts it again and again. After each AEX the host's
 * ERESUME enters the enclave's handler (enclaves/test/entry.S, as the Intel
 * SGX SDK's: copy, EDECCSSA, continue), which counts it: exactly one
 * notification per AEX of the armed frame, and the result is right.
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

/* What a run counted, from its start. */
struct notify_counts {
	uint64_t aex;        /* AEXs */
	uint64_t armed;      /* of them, from a frame armed for notification */
	uint64_t notifying;  /* ERESUMEs that entered the handler */
	uint64_t edeccssa;   /* EDECCSSAs */
	uint64_t handled;    /* the handler's own count */
};

static void counts_now(struct notify_counts *n)
{
	n->aex = softsgx_leaf_count(24); /* AEX */
	n->armed = softsgx_counter(SOFTSGX_CNT_AEX_ARMED);
	n->notifying = softsgx_counter(SOFTSGX_CNT_ERESUME_NOTIFY);
	n->edeccssa = softsgx_leaf_count(25); /* EDECCSSA */
}

/*
 * Thread 1 computes (notifications armed or not) while the ETRACK flow
 * interrupts it until @want AEXs (armed ones, when @arm) have happened.
 */
static void run_interrupted(bool arm, uint64_t want, struct notify_counts *out)
{
	struct softsgx_enclave *e = load_notifying();
	struct computer c = { .e = e, .arm = arm };
	struct notify_counts n0, n;
	uint64_t page, rounds = 0;
	pthread_t th;

	ASSERT_TRUE(e);
	page = softsgx_enclave_free_start(e);
	EXPECT_EQ(te_run(e, 0, TE_OP_EACCEPT, SGX_SECINFO_REG | SGX_SECINFO_R | SGX_SECINFO_W |
			 SGX_SECINFO_PENDING, page), 0);
	counts_now(&n0);
	ASSERT_EQ(pthread_create(&th, NULL, compute, &c), 0);
	while (!__atomic_load_n(&c.started, __ATOMIC_ACQUIRE))
		usleep(100);
	for (;;) {
		counts_now(&n);
		if ((arm ? n.armed - n0.armed : n.aex - n0.aex) >= want || rounds++ >= 10 * want)
			break;
		restrict_page(e, page);
		usleep(1000);
	}
	__atomic_store_n(&c.stop, 1, __ATOMIC_RELEASE);
	pthread_join(th, NULL);
	counts_now(&n);
	out->aex = n.aex - n0.aex;
	out->armed = n.armed - n0.armed;
	out->notifying = n.notifying - n0.notifying;
	out->edeccssa = n.edeccssa - n0.edeccssa;
	out->handled = c.notified;
	EXPECT_EQ(c.wrong, 0);
	EXPECT_TRUE(c.calls >= 2);
	softsgx_unload(e);
}

static void interrupted_many_times(void)
{
	struct notify_counts n = { 0 };

	run_interrupted(true, WANT_INTERRUPTS, &n);
	/*
	 * Every AEX of the armed frame (the computation's) was followed by an
	 * ERESUME into the handler, which ran once for it and left with one
	 * EDECCSSA. AEXs that struck the handler itself, after it disarmed
	 * the frame, resume plainly: they are the only AEXs not counted.
	 */
	EXPECT_TRUE(n.armed >= WANT_INTERRUPTS);
	EXPECT_EQ(n.notifying, n.armed);
	EXPECT_EQ(n.handled, n.armed);
	EXPECT_EQ(n.edeccssa, n.armed);
	EXPECT_TRUE(n.aex >= n.armed);
}

TEST(notifying_thread_interrupted_a_thousand_times)
{
	const struct softsgx_config cfg = { 0 };

	harness_in_child(&cfg, interrupted_many_times);
}

/* Unarmed, the same enclave's thread resumes at the interrupted instruction: no handler runs. */
static void not_armed(void)
{
	struct notify_counts n = { 0 };

	run_interrupted(false, 100, &n);
	EXPECT_TRUE(n.aex >= 100);
	EXPECT_EQ(n.armed, 0);
	EXPECT_EQ(n.notifying, 0);
	EXPECT_EQ(n.handled, 0);
	EXPECT_EQ(n.edeccssa, 0);
}

TEST(notifying_enclave_unarmed_resumes_plainly)
{
	const struct softsgx_config cfg = { 0 };

	harness_in_child(&cfg, not_armed);
}
