/* softsgx-test: threads */
/* SPDX-License-Identifier: MIT */
/*
 * A program's signals while its thread runs enclave code, delivered as
 * SGX hardware and Linux deliver them: the signal interrupts the enclave
 * (AEX), the program's handler runs on host state with the AEP as the
 * interrupted RIP, and the enclave resumes when it returns. And a
 * program's own fault handlers get the program's faults, never softsgx's.
 */
#include <asm/sgx.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"
#include "softsgx/arch.h"
#include "softsgx/loader.h"
#include "softsgx/softsgx.h"
#include "test/abi.h"
#include "test_enclave.h"
#include "test/spin.h"

#define ERESUME 3
#define LEAF_AEX 24

/* Shared between the handler, the sending thread and the test (atomics: TSan runs this). */
static uint64_t spin_flag;
static uint64_t spin_beat; /* TE_OP_SPIN's heartbeat (test/spin.h) */
static int handled;
static volatile greg_t seen_rip, seen_rax, seen_rbx, seen_rcx;
static struct timespec sent_at, handled_at;

static void on_alarm(int sig, siginfo_t *info, void *ucv)
{
	const ucontext_t *uc = ucv;

	clock_gettime(CLOCK_MONOTONIC, &handled_at);
	seen_rip = uc->uc_mcontext.gregs[REG_RIP];
	seen_rax = uc->uc_mcontext.gregs[REG_RAX];
	seen_rbx = uc->uc_mcontext.gregs[REG_RBX];
	seen_rcx = uc->uc_mcontext.gregs[REG_RCX];
	__atomic_fetch_add(&handled, 1, __ATOMIC_SEQ_CST);
	__atomic_store_n(&spin_flag, 1, __ATOMIC_SEQ_CST); /* the enclave, resumed, sees it */
}

struct sender {
	pthread_t target;
	int sig;
};

/*
 * Once the enclave spins, the signal goes to the thread inside it; if no
 * handler has run 5 s later, the enclave is let go (the test fails).
 */
static void *send_later(void *arg)
{
	struct sender *s = arg;
	int i;

	if (!te_spin_wait(&spin_beat, 0)) {
		__atomic_store_n(&spin_flag, 1, __ATOMIC_SEQ_CST);
		return NULL;
	}
	clock_gettime(CLOCK_MONOTONIC, &sent_at);
	pthread_kill(s->target, s->sig);
	for (i = 0; i < 500 && !__atomic_load_n(&handled, __ATOMIC_SEQ_CST); i++)
		usleep(10000);
	__atomic_store_n(&spin_flag, 1, __ATOMIC_SEQ_CST);
	return NULL;
}

static double ms_between(const struct timespec *a, const struct timespec *b)
{
	return (double)(b->tv_sec - a->tv_sec) * 1e3 + (double)(b->tv_nsec - a->tv_nsec) / 1e6;
}

/* A signal to a thread spinning in the enclave: AEX, the handler, ERESUME, and on. */
static void signal_interrupts_spinning_enclave(int sig)
{
	struct sigaction sa = { .sa_sigaction = on_alarm, .sa_flags = SA_SIGINFO }, old;
	struct softsgx_enclave *e = te_load();
	struct sender s = { .target = pthread_self(), .sig = sig };
	struct sgx_enclave_run run;
	struct te_call c;
	uint64_t aex;
	pthread_t th;

	ASSERT_TRUE(e);
	sigemptyset(&sa.sa_mask);
	ASSERT_EQ(softsgx_sigaction(sig, &sa, &old), 0);
	__atomic_store_n(&spin_flag, 0, __ATOMIC_SEQ_CST);
	__atomic_store_n(&handled, 0, __ATOMIC_SEQ_CST);
	__atomic_store_n(&spin_beat, 0, __ATOMIC_SEQ_CST);
	aex = softsgx_leaf_count(LEAF_AEX);
	ASSERT_EQ(pthread_create(&th, NULL, send_later, &s), 0);
	c = (struct te_call){ .op = TE_OP_SPIN,
			      .arg = { (uintptr_t)&spin_flag, (uintptr_t)&spin_beat } };
	EXPECT_EQ(te_enter(e, 0, &c, &run), 0);
	pthread_join(th, NULL);
	EXPECT_EQ(run.function, TE_EEXIT); /* resumed after the handler and left normally */
	EXPECT_TRUE(c.ret > 0);
	EXPECT_EQ(__atomic_load_n(&handled, __ATOMIC_SEQ_CST), 1);
	EXPECT_TRUE(softsgx_leaf_count(LEAF_AEX) > aex);
	/* The synthetic state of an AEX: RAX = ERESUME, RBX = TCS, RCX = RIP = AEP. */
	EXPECT_EQ(seen_rax, ERESUME);
	EXPECT_EQ((uint64_t)seen_rbx, softsgx_enclave_tcs(e, 0));
	EXPECT_EQ(seen_rcx, seen_rip);
	printf("# signal %d: handler %.3f ms after it was sent\n", sig, ms_between(&sent_at, &handled_at));
	softsgx_sigaction(sig, &old, NULL);
	softsgx_unload(e);
}

TEST(sigalrm_interrupts_an_enclave_that_loops)
{
	signal_interrupts_spinning_enclave(SIGALRM);
}

/* A handler for a signal softsgx traps as well (SIGSEGV sent with kill): no trap, a signal. */
TEST(sent_sigsegv_is_the_programs_signal_not_a_fault)
{
	signal_interrupts_spinning_enclave(SIGSEGV);
}

/* The program's SIGSEGV handler gets its own faults; the enclave's go to the entry function. */
static sigjmp_buf fault_jump;
static volatile void *fault_addr;

static void on_segv(int sig, siginfo_t *info, void *uc)
{
	fault_addr = info->si_addr;
	siglongjmp(fault_jump, 1);
}

TEST(own_sigsegv_handler_gets_own_faults_only)
{
	struct sigaction sa = { .sa_sigaction = on_segv, .sa_flags = SA_SIGINFO }, old;
	struct softsgx_enclave *e = te_load();
	struct sgx_enclave_run run;
	struct te_call c;
	volatile uint8_t *p = mmap(NULL, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	ASSERT_TRUE(e);
	ASSERT_TRUE(p != MAP_FAILED);
	sigemptyset(&sa.sa_mask);
	ASSERT_EQ(softsgx_sigaction(SIGSEGV, &sa, &old), 0);
	fault_addr = NULL;
	if (!sigsetjmp(fault_jump, 1))
		(void)p[0];
	EXPECT_EQ((uintptr_t)fault_addr, (uintptr_t)p);
	/* A write to the enclave's read-only ELF header: #PF reported in run, no handler. */
	fault_addr = NULL;
	c = (struct te_call){ .op = TE_OP_WRITE, .arg = { softsgx_enclave_base(e) } };
	EXPECT_EQ(te_enter(e, 0, &c, &run), 0);
	EXPECT_EQ(run.function, ERESUME);
	EXPECT_EQ(run.exception_vector, SGX_VEC_PF);
	EXPECT_TRUE(fault_addr == NULL);
	softsgx_sigaction(SIGSEGV, &old, NULL);
	munmap((void *)p, 4096);
	softsgx_unload(e);
}

static volatile int usr2_count;

static void on_usr2(int sig)
{
	usr2_count++;
}

/* The program reads back its own actions, never softsgx's trampoline; SA_RESETHAND holds. */
TEST(actions_read_back_and_resethand)
{
	struct sigaction a = { .sa_handler = on_usr2, .sa_flags = SA_RESETHAND }, old;

	sigemptyset(&a.sa_mask);
	ASSERT_EQ(softsgx_sigaction(SIGUSR2, &a, NULL), 0);
	ASSERT_EQ(softsgx_sigaction(SIGUSR2, NULL, &old), 0);
	EXPECT_TRUE(old.sa_handler == on_usr2);
	EXPECT_TRUE(old.sa_flags & SA_RESETHAND);
	/* The kernel's action behind it is softsgx's; what sigaction(2) itself says is the program's. */
	usr2_count = 0;
	raise(SIGUSR2);
	EXPECT_EQ(usr2_count, 1);
	ASSERT_EQ(softsgx_sigaction(SIGUSR2, NULL, &old), 0);
	EXPECT_TRUE(old.sa_handler == SIG_DFL);
	/* SIG_IGN stays the kernel's: an ignored signal is discarded. */
	a = (struct sigaction){ .sa_handler = SIG_IGN };
	ASSERT_EQ(softsgx_sigaction(SIGUSR2, &a, NULL), 0);
	raise(SIGUSR2);
	EXPECT_EQ(usr2_count, 1);
	ASSERT_EQ(softsgx_sigaction(SIGUSR2, NULL, &old), 0);
	EXPECT_TRUE(old.sa_handler == SIG_IGN);
	/* What sigaction(2) refuses, softsgx refuses. */
	EXPECT_EQ(softsgx_sigaction(SIGKILL, &a, NULL), -1);
	EXPECT_EQ(errno, EINVAL);
	EXPECT_EQ(softsgx_sigaction(65, NULL, &old), -1);
	EXPECT_EQ(errno, EINVAL);
	EXPECT_EQ(softsgx_sigaction(SIGRTMAX - 1, &a, NULL), -1); /* softsgx's interrupt */
	EXPECT_EQ(errno, EINVAL);
}

/* setuid() on one thread while another spins in the enclave: the C library's SIGSETXID gets through. */
struct setxid_spinner {
	struct softsgx_enclave *e;
	uint64_t flag;              /* atomics: TSan runs this */
	int started;
	int done;                   /* setuid() returned */
	uint64_t ret;
};

static void *setxid_spin(void *arg)
{
	struct setxid_spinner *s = arg;

	__atomic_store_n(&s->started, 1, __ATOMIC_SEQ_CST);
	s->ret = te_run(s->e, 1, TE_OP_SPIN, (uintptr_t)&s->flag);
	return NULL;
}

/* If setuid() has not returned in 5 s, the spinner is let go (and the test fails). */
static void *setxid_watchdog(void *arg)
{
	struct setxid_spinner *s = arg;
	int i;

	for (i = 0; i < 500 && !__atomic_load_n(&s->done, __ATOMIC_SEQ_CST); i++)
		usleep(10000);
	if (__atomic_load_n(&s->done, __ATOMIC_SEQ_CST))
		return NULL;
	__atomic_store_n(&s->flag, 1, __ATOMIC_SEQ_CST);
	return (void *)1;
}

TEST(setuid_does_not_wait_for_a_thread_inside)
{
	struct setxid_spinner s = { 0 };
	pthread_t spinner, dog;
	void *late;

	s.e = te_load();
	ASSERT_TRUE(s.e);
	ASSERT_EQ(pthread_create(&spinner, NULL, setxid_spin, &s), 0);
	while (!__atomic_load_n(&s.started, __ATOMIC_SEQ_CST))
		;
	usleep(50000); /* inside and spinning */
	ASSERT_EQ(pthread_create(&dog, NULL, setxid_watchdog, &s), 0);
	EXPECT_EQ(setuid(getuid()), 0);
	__atomic_store_n(&s.done, 1, __ATOMIC_SEQ_CST);
	pthread_join(dog, &late);
	EXPECT_TRUE(late == NULL); /* setuid() returned before the watchdog gave up */
	__atomic_store_n(&s.flag, 1, __ATOMIC_SEQ_CST);
	pthread_join(spinner, NULL);
	EXPECT_TRUE(s.ret > 0 && s.ret != ~0ull);
	softsgx_unload(s.e);
}
