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
#include <asm/sgx.h>
#include <pthread.h>
#include <signal.h>
#include <sys/mman.h>
#include <unistd.h>

#include "harness.h"
#include "softsgx/arch.h"
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

/* Every AEX of the armed frame: one ERESUME into the handler, one run of it, one EDECCSSA. */
static void expect_one_handler_run_per_armed_aex(const struct notify_counts *n)
{
	EXPECT_EQ(n->notifying, n->armed);
	EXPECT_EQ(n->handled, n->armed);
	EXPECT_EQ(n->edeccssa, n->armed);
	EXPECT_TRUE(n->aex >= n->armed);
}

static void counts_since(const struct notify_counts *n0, uint64_t handled, struct notify_counts *out)
{
	counts_now(out);
	out->aex -= n0->aex;
	out->armed -= n0->armed;
	out->notifying -= n0->notifying;
	out->edeccssa -= n0->edeccssa;
	out->handled = handled;
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
	counts_since(&n0, c.notified, out);
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
	expect_one_handler_run_per_armed_aex(&n);
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

#define FAULTED_PAGES 32

/*
 * Faults the driver resolves (EAUG on the EACCEPT of each fresh page): the
 * AEX of the armed frame, the driver's EAUG, then the ERESUME enters the
 * handler, whose EDECCSSA returns to the EACCEPT, which now succeeds.
 */
static void faults_resolved_by_driver(void)
{
	struct softsgx_enclave *e = load_notifying();
	struct notify_counts n0, n;
	uint64_t page, eaug0;

	ASSERT_TRUE(e);
	page = softsgx_enclave_free_start(e);
	te_run(e, 1, TE_OP_NOTIFY, 1);
	counts_now(&n0);
	eaug0 = softsgx_counter(SOFTSGX_CNT_FAULT_EAUG);
	EXPECT_EQ(te_run(e, 1, TE_OP_ACCEPT_RANGE, SGX_SECINFO_REG | SGX_SECINFO_R | SGX_SECINFO_W |
			 SGX_SECINFO_PENDING, page, FAULTED_PAGES), 0);
	counts_since(&n0, te_run(e, 1, TE_OP_NOTIFY, 0), &n);
	EXPECT_EQ(softsgx_counter(SOFTSGX_CNT_FAULT_EAUG) - eaug0, FAULTED_PAGES);
	EXPECT_TRUE(n.armed >= FAULTED_PAGES);
	expect_one_handler_run_per_armed_aex(&n);
	EXPECT_EQ(te_run(e, 0, TE_OP_PUT_AT, page + (FAULTED_PAGES - 1) * 4096, 7), 0);
	EXPECT_EQ(te_run(e, 1, TE_OP_GET_AT, page + (FAULTED_PAGES - 1) * 4096), 7);
	softsgx_unload(e);
}

TEST(notifying_faults_resolved_by_the_driver)
{
	const struct softsgx_config cfg = { 0 };

	harness_in_child(&cfg, faults_resolved_by_driver);
}

/* The user handler of the entry function: mprotect the page back, ERESUME. */
static int restore_and_resume(long rdi, long rsi, long rdx, long rsp, long r8, long r9,
			      struct sgx_enclave_run *run)
{
	uint64_t page = run->user_data;

	(void)rdi, (void)rsi, (void)rdx, (void)rsp, (void)r8, (void)r9;
	if (run->function != 3 || run->exception_vector != SGX_VEC_PF || run->exception_addr != page)
		return 0;
	if (softsgx_mprotect((void *)(uintptr_t)page, 4096, PROT_READ | PROT_WRITE))
		return 0;
	return 3; /* ERESUME */
}

/*
 * A fault the runtime handles through the entry function's user handler
 * (a write to a page mprotect()ed read-only): its ERESUME, made by the
 * entry function, enters the enclave's handler first, and the write is
 * made when the handler's EDECCSSA returns to it.
 */
static void user_handler_eresumes(void)
{
	struct softsgx_enclave *e = load_notifying();
	struct notify_counts n0, n;
	struct sgx_enclave_run run;
	struct te_call c;
	uint64_t page;

	ASSERT_TRUE(e);
	page = softsgx_enclave_free_start(e);
	EXPECT_EQ(te_run(e, 0, TE_OP_EACCEPT, SGX_SECINFO_REG | SGX_SECINFO_R | SGX_SECINFO_W |
			 SGX_SECINFO_PENDING, page), 0);
	ASSERT_EQ(softsgx_mprotect((void *)(uintptr_t)page, 4096, PROT_READ), 0);
	te_run(e, 1, TE_OP_NOTIFY, 1);
	counts_now(&n0);
	c = (struct te_call){ .op = TE_OP_PUT_AT, .arg = { page, 0x5a5a } };
	memset(&run, 0, sizeof(run));
	run.tcs = softsgx_enclave_tcs(e, 1);
	run.user_handler = (uintptr_t)restore_and_resume;
	run.user_data = page;
	EXPECT_EQ(softsgx_call_enclave((long)&c, 0, 0, TE_EENTER, 0, 0, &run), 0);
	EXPECT_EQ(run.function, TE_EEXIT);
	counts_since(&n0, te_run(e, 1, TE_OP_NOTIFY, 0), &n);
	EXPECT_TRUE(n.armed >= 1);
	expect_one_handler_run_per_armed_aex(&n);
	EXPECT_EQ(te_run(e, 0, TE_OP_GET_AT, page), 0x5a5a);
	softsgx_unload(e);
}

TEST(notifying_eresume_of_the_entry_functions_user_handler)
{
	const struct softsgx_config cfg = { 0 };

	harness_in_child(&cfg, user_handler_eresumes);
}

#define SIGNALS 50

static int program_handled; /* atomic: the program's handler counts */

static void on_usr1(int sig)
{
	(void)sig;
	__atomic_fetch_add(&program_handled, 1, __ATOMIC_SEQ_CST);
}

struct signaller {
	pthread_t target;
	struct computer *c;
};

/* SIGNALS signals to the computing thread, each after the last was handled (5 s at most). */
static void *send_signals(void *arg)
{
	struct signaller *s = arg;
	int i, wait;

	for (i = 0; i < SIGNALS; i++) {
		usleep(2000);
		pthread_kill(s->target, SIGUSR1);
		for (wait = 0; wait < 5000 && __atomic_load_n(&program_handled, __ATOMIC_SEQ_CST) <= i;
		     wait++)
			usleep(1000);
	}
	__atomic_store_n(&s->c->stop, 1, __ATOMIC_RELEASE);
	return NULL;
}

/*
 * The program's signals to a thread of a notifying enclave: each one that
 * strikes enclave code is an AEX, the program's handler on host state, and
 * the ERESUME at the AEP when it returns, which enters the enclave's handler.
 */
static void program_signals(void)
{
	struct sigaction sa = { .sa_handler = on_usr1 };
	struct softsgx_enclave *e = load_notifying();
	struct computer c = { .e = e, .arm = true };
	struct signaller s = { .target = pthread_self(), .c = &c };
	struct notify_counts n0, n;
	pthread_t th;

	ASSERT_TRUE(e);
	sigemptyset(&sa.sa_mask);
	ASSERT_EQ(softsgx_sigaction(SIGUSR1, &sa, NULL), 0);
	counts_now(&n0);
	ASSERT_EQ(pthread_create(&th, NULL, send_signals, &s), 0);
	compute(&c);
	pthread_join(th, NULL);
	counts_since(&n0, c.notified, &n);
	EXPECT_EQ(__atomic_load_n(&program_handled, __ATOMIC_SEQ_CST), SIGNALS);
	EXPECT_EQ(c.wrong, 0);
	/* Nearly all the time goes to enclave code: signals strike it there. */
	EXPECT_TRUE(n.armed >= 1);
	expect_one_handler_run_per_armed_aex(&n);
	softsgx_unload(e);
}

TEST(notifying_enclave_and_the_programs_signals)
{
	const struct softsgx_config cfg = { 0 };

	harness_in_child(&cfg, program_signals);
}
