/* SPDX-License-Identifier: MIT */
/*
 * Signals of a program written against Linux alone, as SGX hardware and
 * Linux deliver them, under the preload library:
 *  - SIGALRM, sent to the process while its thread spins in the enclave,
 *    interrupts the enclave: its handler runs while the enclave still spins
 *    (the handler ends the spin, not the sender's 5 s timeout), on the state
 *    an AEX leaves (RAX = ERESUME, RBX = TCS, RIP = RCX = AEP), and the
 *    enclave resumes and finishes (the AEX is in the trace: the script);
 *  - its own SIGSEGV handler gets its own faults; the enclave's go to the
 *    entry function;
 *  - sigprocmask() reads back what it blocked, while an enclave call still
 *    works with every signal blocked;
 *  - setuid() on one thread completes while another spins in the enclave;
 *  - an alternate stack it sets on a thread that ran enclave code reads
 *    back, and enclave calls and faults go on;
 *  - with EXPECT_SGX_CPUID=1, its CPUID shows SGX2 (leaf 7 and leaf 0x12).
 */
#include <cpuid.h>
#include <dlfcn.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "plain_loader.h"
#include "test/abi.h"
#include "test/spin.h"

#define EENTER 2
#define ERESUME 3
#define EEXIT 4
#define VEC_PF 14

static pl_vdso_entry_t entry;
static struct pl_enclave encl;

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int enter(unsigned int t, struct te_call *c, struct sgx_enclave_run *run)
{
	memset(run, 0, sizeof(*run));
	run->tcs = encl.tcs[t];
	return pl_call_enclave((long)c, 0, 0, EENTER, 0, 0, run, entry);
}

/* SIGALRM into a spinning enclave */

/* Shared by the handler, the sender and the test: atomics (TSan runs this). */
static uint64_t spin_flag;
static uint64_t spin_beat; /* TE_OP_SPIN's heartbeat (test/spin.h) */
static int alarms;
static int sender_timed_out; /* the handler never ran: the sender ended the spin */
static volatile double sent_ms, handled_ms;
static volatile greg_t seen_rip, seen_rax, seen_rbx, seen_rcx;

static void on_alarm(int sig, siginfo_t *info, void *ucv)
{
	const ucontext_t *uc = ucv;

	handled_ms = now_ms();
	seen_rip = uc->uc_mcontext.gregs[REG_RIP];
	seen_rax = uc->uc_mcontext.gregs[REG_RAX];
	seen_rbx = uc->uc_mcontext.gregs[REG_RBX];
	seen_rcx = uc->uc_mcontext.gregs[REG_RCX];
	__atomic_fetch_add(&alarms, 1, __ATOMIC_SEQ_CST);
	__atomic_store_n(&spin_flag, 1, __ATOMIC_SEQ_CST);
}

/* Sends SIGALRM to the process (not a thread) once the enclave spins; lets it go after 5 s. */
static void *alarm_sender(void *arg)
{
	sigset_t set;
	int i;

	sigemptyset(&set);
	sigaddset(&set, SIGALRM);
	pthread_sigmask(SIG_BLOCK, &set, NULL); /* the thread in the enclave must take it */
	if (!te_spin_wait(&spin_beat, 0)) {
		__atomic_store_n(&sender_timed_out, 1, __ATOMIC_SEQ_CST);
		__atomic_store_n(&spin_flag, 1, __ATOMIC_SEQ_CST);
		return arg;
	}
	sent_ms = now_ms();
	kill(getpid(), SIGALRM);
	for (i = 0; i < 500 && !__atomic_load_n(&alarms, __ATOMIC_SEQ_CST); i++)
		usleep(10000);
	if (!__atomic_load_n(&alarms, __ATOMIC_SEQ_CST))
		__atomic_store_n(&sender_timed_out, 1, __ATOMIC_SEQ_CST);
	__atomic_store_n(&spin_flag, 1, __ATOMIC_SEQ_CST);
	return arg;
}

static void alarm_interrupts_enclave(void)
{
	struct sigaction sa = { .sa_sigaction = on_alarm, .sa_flags = SA_SIGINFO };
	struct sgx_enclave_run run;
	struct te_call c = { .op = TE_OP_SPIN,
			     .arg = { (uintptr_t)&spin_flag, (uintptr_t)&spin_beat } };
	pthread_t th;

	sigemptyset(&sa.sa_mask);
	REQUIRE(sigaction(SIGALRM, &sa, NULL) == 0, "sigaction: %s", strerror(errno));
	__atomic_store_n(&spin_flag, 0, __ATOMIC_SEQ_CST);
	REQUIRE(pthread_create(&th, NULL, alarm_sender, NULL) == 0, "pthread_create");
	CHECK_EQ(enter(0, &c, &run), 0);
	pthread_join(th, NULL);
	CHECK_EQ(__atomic_load_n(&alarms, __ATOMIC_SEQ_CST), 1);
	CHECK_EQ(run.function, EEXIT); /* resumed after the handler, then left normally */
	CHECK(c.ret > 0, "the enclave never spun");
	CHECK_EQ(seen_rax, ERESUME);
	CHECK_EQ(seen_rbx, encl.tcs[0]);
	CHECK_EQ(seen_rcx, seen_rip);
	/* Delivered in enclave code, not after the call returned: the handler ended the spin. */
	CHECK(!__atomic_load_n(&sender_timed_out, __ATOMIC_SEQ_CST),
	      "the handler did not run while the enclave spun");
	check_note("SIGALRM: handler %.3f ms after kill()", handled_ms - sent_ms);
}

/* SIGSEGV: the program's own faults only */

static sigjmp_buf segv_jump;
static volatile void *segv_addr;
static volatile int segvs;

static void on_segv(int sig, siginfo_t *info, void *uc)
{
	segvs++;
	segv_addr = info->si_addr;
	siglongjmp(segv_jump, 1);
}

static void own_sigsegv_handler(void)
{
	struct sigaction sa = { .sa_sigaction = on_segv, .sa_flags = SA_SIGINFO }, old;
	volatile uint8_t *p = mmap(NULL, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	struct te_call c = { .op = TE_OP_WRITE, .arg = { encl.base } }; /* the read-only ELF header */
	struct sgx_enclave_run run;

	REQUIRE(p != MAP_FAILED, "mmap");
	sigemptyset(&sa.sa_mask);
	REQUIRE(sigaction(SIGSEGV, &sa, &old) == 0, "sigaction");
	/* What it reads back is never softsgx's: SIG_DFL, or a sanitizer runtime's handler. */
	if (old.sa_handler != SIG_DFL) {
		Dl_info where;

		CHECK(dladdr((void *)old.sa_handler, &where) && where.dli_fname &&
			      !strstr(where.dli_fname, "softsgx"),
		      "the previous SIGSEGV action is softsgx's (%s)",
		      dladdr((void *)old.sa_handler, &where) ? where.dli_fname : "?");
	}
	if (!sigsetjmp(segv_jump, 1))
		(void)p[0];
	CHECK_EQ(segvs, 1);
	CHECK_EQ((uintptr_t)segv_addr, (uintptr_t)p);
	CHECK_EQ(enter(0, &c, &run), 0);
	CHECK_EQ(run.function, ERESUME);
	CHECK_EQ(run.exception_vector, VEC_PF);
	CHECK_EQ(segvs, 1); /* the enclave's fault was not the program's signal */
	REQUIRE(sigaction(SIGSEGV, &old, NULL) == 0, "sigaction");
	munmap((void *)p, 4096);
}

/* The kernel's mask of this thread, from /proc (SigBlk). */
static uint64_t kernel_blocked(void)
{
	char line[256];
	unsigned long long m = 0;
	FILE *f = fopen("/proc/thread-self/status", "r");

	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "SigBlk: %llx", &m) == 1)
			break;
	if (f)
		fclose(f);
	return m;
}

static void masks(void)
{
	sigset_t all, old, now;
	struct te_call c = { .op = TE_OP_PUT, .arg = { 17 } };
	struct sgx_enclave_run run;

	sigfillset(&all);
	CHECK_EQ(sigprocmask(SIG_SETMASK, &all, &old), 0);
	CHECK_EQ(sigprocmask(SIG_SETMASK, NULL, &now), 0);
	CHECK(sigismember(&now, SIGSEGV) == 1, "SIGSEGV does not read back as blocked");
	CHECK(sigismember(&now, SIGUSR1) == 1, "SIGUSR1 does not read back as blocked");
	/* The kernel never holds SIGSEGV: a trap must reach the emulator. */
	CHECK(!(kernel_blocked() & (1ull << (SIGSEGV - 1))), "the kernel's mask blocks SIGSEGV");
	CHECK(kernel_blocked() & (1ull << (SIGUSR1 - 1)), "the kernel's mask lets SIGUSR1 through");
	/* With every signal blocked, enclave calls (traps, faults) work. */
	CHECK_EQ(enter(1, &c, &run), 0);
	CHECK_EQ(run.function, EEXIT);
	CHECK_EQ(sigprocmask(SIG_SETMASK, &old, NULL), 0);
	CHECK_EQ(sigprocmask(SIG_SETMASK, NULL, &now), 0);
	CHECK(sigismember(&now, SIGSEGV) == 0, "SIGSEGV still reads back as blocked");
}

/* setuid() while a thread spins in the enclave: the C library's SIGSETXID must get through. */
static uint64_t setxid_flag; /* atomics */
static int spinner_done;

static void *spin_in_enclave(void *arg)
{
	struct te_call c = { .op = TE_OP_SPIN, .arg = { (uintptr_t)&setxid_flag } };
	struct sgx_enclave_run run;

	CHECK_EQ(enter(1, &c, &run), 0);
	CHECK_EQ(run.function, EEXIT);
	__atomic_store_n(&spinner_done, 1, __ATOMIC_SEQ_CST);
	return arg;
}

static void *setxid_watchdog(void *arg)
{
	int i;

	for (i = 0; i < 500 && !__atomic_load_n((int *)arg, __ATOMIC_SEQ_CST); i++)
		usleep(10000);
	if (!__atomic_load_n((int *)arg, __ATOMIC_SEQ_CST))
		check_fail(__FILE__, __LINE__, "setuid() waited 5 s for the thread in the enclave");
	__atomic_store_n(&setxid_flag, 1, __ATOMIC_SEQ_CST);
	return NULL;
}

static void setuid_with_thread_inside(void)
{
	pthread_t spinner, dog;
	int done = 0;

	__atomic_store_n(&setxid_flag, 0, __ATOMIC_SEQ_CST);
	REQUIRE(pthread_create(&spinner, NULL, spin_in_enclave, NULL) == 0, "pthread_create");
	usleep(50000); /* inside and spinning */
	REQUIRE(pthread_create(&dog, NULL, setxid_watchdog, &done) == 0, "pthread_create");
	CHECK_EQ(setuid(getuid()), 0);
	__atomic_store_n(&done, 1, __ATOMIC_SEQ_CST);
	__atomic_store_n(&setxid_flag, 1, __ATOMIC_SEQ_CST);
	pthread_join(spinner, NULL);
	pthread_join(dog, NULL);
	CHECK_EQ(__atomic_load_n(&spinner_done, __ATOMIC_SEQ_CST), 1);
}

/*
 * A thread that has run enclave code sets its own alternate stack (as
 * runtimes do for their handlers): it reads back what it set, and enclave
 * calls, their exits and their faults still work.
 */
static void own_alternate_stack(void)
{
	static uint8_t stack[64 * 1024];
	stack_t mine = { .ss_sp = stack, .ss_size = sizeof(stack) }, now, off = { .ss_flags = SS_DISABLE };
	struct te_call c = { .op = TE_OP_PUT, .arg = { 29 } };
	struct sgx_enclave_run run;

	CHECK_EQ(sigaltstack(&mine, NULL), 0);
	CHECK_EQ(sigaltstack(NULL, &now), 0);
	CHECK_EQ((uintptr_t)now.ss_sp, (uintptr_t)stack);
	CHECK_EQ(now.ss_size, sizeof(stack));
	CHECK_EQ(now.ss_flags, 0);
	CHECK_EQ(enter(0, &c, &run), 0);
	CHECK_EQ(run.function, EEXIT);
	c = (struct te_call){ .op = TE_OP_WRITE, .arg = { encl.base } }; /* read-only: #PF */
	CHECK_EQ(enter(0, &c, &run), 0);
	CHECK_EQ(run.function, ERESUME);
	CHECK_EQ(run.exception_vector, VEC_PF);
	c = (struct te_call){ .op = TE_OP_GET };
	CHECK_EQ(enter(1, &c, &run), 0);
	CHECK_EQ(c.ret, 29);
	/* Still the program's after enclave calls. */
	CHECK_EQ(sigaltstack(NULL, &now), 0);
	CHECK_EQ((uintptr_t)now.ss_sp, (uintptr_t)stack);
	CHECK_ERRNO(sigaltstack(&(stack_t){ .ss_sp = stack, .ss_size = 16 }, NULL), ENOMEM);
	CHECK_EQ(sigaltstack(&off, NULL), 0);
	CHECK_EQ(sigaltstack(NULL, &now), 0);
	CHECK_EQ(now.ss_flags, SS_DISABLE);
}

static void cpuid_shows_sgx2(void)
{
	unsigned int a, b, c, d;

	if (!getenv("EXPECT_SGX_CPUID") || strcmp(getenv("EXPECT_SGX_CPUID"), "1")) {
		check_note("CPUID: not checked (the host has no CPUID faulting)");
		return;
	}
	__cpuid_count(7, 0, a, b, c, d);
	CHECK(b & (1u << 2), "CPUID.(7,0).EBX.SGX is clear");
	__cpuid_count(0x12, 0, a, b, c, d);
	CHECK_EQ(a & 3, 3); /* SGX1 and SGX2 */
	__cpuid_count(0x12, 2, a, b, c, d);
	CHECK_EQ(a & 0xf, 1); /* an EPC section */
}

int main(void)
{
	void *h = dlopen("linux-vdso.so.1", RTLD_NOLOAD | RTLD_LAZY);

	entry = h ? (pl_vdso_entry_t)dlsym(h, "__vdso_sgx_enter_enclave") : NULL;
	if (!entry)
		check_skip("no __vdso_sgx_enter_enclave: not on SGX2 Linux or softsgx");
	REQUIRE(pl_load(SOFTSGX_TEST_ENCLAVE, &encl) == 0, "loading the test enclave: %s",
		strerror(errno));
	alarm_interrupts_enclave();
	own_sigsegv_handler();
	masks();
	setuid_with_thread_inside();
	own_alternate_stack();
	cpuid_shows_sgx2();
	pl_unload(&encl);
	check_exit("signals");
}
