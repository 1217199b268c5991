/* softsgx-test: threads */
/* SPDX-License-Identifier: MIT */
/*
 * What a host thread keeps across enclave calls and traps: x87/SSE state,
 * its FS/GS bases, CPUID in threads it creates, and what the program's
 * signal dispositions decide for faults softsgx hands over (SIG_IGN of a
 * fault, SIGBUS of an enclave mapping that has no page).
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <asm/prctl.h>
#include <asm/sgx.h>

#include "harness.h"
#include "host/features.h"
#include "test_enclave.h"
#include "test/spin.h"
#include "softsgx/arch.h"
#include "softsgx/loader.h"
#include "softsgx/softsgx.h"
#include "test/abi.h"

#define PAGE 4096ull
#define EENTER 2
#define ERESUME 3
#define EEXIT 4
#define MXCSR_MASKED_RZ 0x7f80u /* all exceptions masked, round toward zero */
#define MXCSR_MASKED_RD 0x3f80u /* all exceptions masked, round down */
#define FCW_TEST 0x0f7fu        /* round toward zero, extended precision, all masked */

static uint32_t get_mxcsr(void)
{
	uint32_t v;

	__asm__ volatile("stmxcsr %0" : "=m"(v));
	return v;
}

static void set_mxcsr(uint32_t v)
{
	__asm__ volatile("ldmxcsr %0" : : "m"(v));
}

static uint16_t get_fcw(void)
{
	uint16_t v;

	__asm__ volatile("fnstcw %0" : "=m"(v));
	return v;
}

static void set_fcw(uint16_t v)
{
	__asm__ volatile("fldcw %0" : : "m"(v));
}

/* EENTER/EEXIT change no extended state: the caller's MXCSR and FCW survive a call. */
TEST(fpu_mxcsr_fcw_kept_across_call)
{
	struct softsgx_enclave *e = te_load();
	struct te_call c = { .op = TE_OP_NOP };
	struct sgx_enclave_run run;
	uint32_t mxcsr = get_mxcsr();
	uint16_t fcw = get_fcw();
	uint32_t mx_after;
	uint16_t fcw_after;

	ASSERT_TRUE(e);
	set_mxcsr(MXCSR_MASKED_RZ);
	set_fcw(FCW_TEST);
	EXPECT_EQ(te_enter(e, 0, &c, &run), 0);
	mx_after = get_mxcsr();
	fcw_after = get_fcw();
	set_mxcsr(mxcsr);
	set_fcw(fcw);
	EXPECT_EQ(run.function, EEXIT);
	EXPECT_EQ(mx_after, MXCSR_MASKED_RZ);
	EXPECT_EQ(fcw_after, FCW_TEST);
	softsgx_unload(e);
}

/*
 * ERESUME from the entry function's user handler loads the extended state
 * the AEX saved in the SSA (the caller's, which the enclave inherited), not
 * what the handler left in MXCSR.
 */
struct resume_fpu {
	uint64_t page;
	int exceptions;
	uint32_t mxcsr_in_handler;
};

static int resume_fpu_handler(long rdi, long rsi, long rdx, long rsp, long r8, long r9,
			      struct sgx_enclave_run *run)
{
	struct resume_fpu *f = (struct resume_fpu *)(uintptr_t)run->user_data;

	(void)rdi, (void)rsi, (void)rdx, (void)rsp, (void)r8, (void)r9;
	if (run->function != ERESUME || f->exceptions++)
		return 0;
	f->mxcsr_in_handler = get_mxcsr();
	set_mxcsr(MXCSR_MASKED_RD);
	if (softsgx_mprotect((void *)(uintptr_t)f->page, PAGE, PROT_READ | PROT_WRITE))
		return -1;
	return ERESUME;
}

TEST(fpu_eresume_loads_ssa_state)
{
	struct softsgx_enclave *e = te_load();
	struct resume_fpu f = { 0 };
	struct sgx_enclave_run run;
	struct te_call c;
	uint32_t mxcsr = get_mxcsr(), mx_after;
	int ret;

	ASSERT_TRUE(e);
	/* A heap page of the enclave's: write it once, then make the VMA read-only. */
	f.page = softsgx_enclave_free_start(e);
	c = (struct te_call){ .op = TE_OP_EACCEPT,
			      .arg = { SGX_SECINFO_REG | SGX_SECINFO_R | SGX_SECINFO_W |
				       SGX_SECINFO_PENDING, f.page } };
	EXPECT_EQ(te_enter(e, 0, &c, &run), 0);
	ASSERT_EQ(softsgx_mprotect((void *)(uintptr_t)f.page, PAGE, PROT_READ), 0);
	c = (struct te_call){ .op = TE_OP_PUT_AT, .arg = { f.page, 7 } };
	memset(&run, 0, sizeof(run));
	run.tcs = softsgx_enclave_tcs(e, 0);
	run.user_handler = (uintptr_t)resume_fpu_handler;
	run.user_data = (uintptr_t)&f;
	set_mxcsr(MXCSR_MASKED_RZ);
	ret = softsgx_call_enclave((long)&c, 0, 0, EENTER, 0, 0, &run);
	mx_after = get_mxcsr();
	set_mxcsr(mxcsr);
	EXPECT_EQ(ret, 0);
	EXPECT_EQ(f.exceptions, 1);
	EXPECT_EQ(run.function, EEXIT);
	/* AEX left the synthetic (INIT) state to the handler; ERESUME took the SSA's back. */
	EXPECT_EQ(f.mxcsr_in_handler, 0x1f80u);
	EXPECT_EQ(mx_after, MXCSR_MASKED_RZ);
	softsgx_unload(e);
}

/* sigaction(2)'s rules for the program's structures: EFAULT, nothing changed by a bad @act. */
TEST(sigaction_bad_pointers_efault)
{
	struct sigaction sa = { .sa_handler = SIG_IGN }, old;
	const int sigs[] = { SIGSEGV, SIGUSR1 };

	for (size_t i = 0; i < 2; i++) {
		EXPECT_ERRNO(softsgx_sigaction(sigs[i], (const struct sigaction *)8, NULL), EFAULT);
		EXPECT_ERRNO(softsgx_sigaction(sigs[i], NULL, (struct sigaction *)8), EFAULT);
		EXPECT_EQ(softsgx_sigaction(sigs[i], NULL, &old), 0);
		EXPECT_TRUE(old.sa_handler != SIG_IGN);
		EXPECT_EQ(softsgx_sigaction(sigs[i], &sa, &old), 0);
		EXPECT_EQ(softsgx_sigaction(sigs[i], &old, &sa), 0);
		EXPECT_TRUE(sa.sa_handler == SIG_IGN);
	}
}

/*
 * A GS base the program set after the thread registered survives an enclave
 * call: read at every entry where FSGSBASE makes that free, else taken
 * from softsgx_thread_init(), which a program that changes its bases calls.
 */
TEST(gs_base_set_after_registration_kept)
{
	static char area[64];
	struct softsgx_enclave *e = te_load();
	struct te_call c = { .op = TE_OP_NOP };
	struct sgx_enclave_run run;
	unsigned long old_gs = 0, gs = 0;

	ASSERT_TRUE(e);
	EXPECT_EQ(te_enter(e, 0, &c, &run), 0); /* registers the thread */
	ASSERT_EQ(syscall(SYS_arch_prctl, ARCH_GET_GS, &old_gs), 0);
	ASSERT_EQ(syscall(SYS_arch_prctl, ARCH_SET_GS, (unsigned long)area), 0);
	if (!(host_features() & HOST_FSGSBASE))
		EXPECT_EQ(softsgx_thread_init(), 0);
	EXPECT_EQ(te_enter(e, 0, &c, &run), 0);
	syscall(SYS_arch_prctl, ARCH_GET_GS, &gs);
	syscall(SYS_arch_prctl, ARCH_SET_GS, old_gs);
	EXPECT_EQ(run.function, EEXIT);
	EXPECT_EQ(gs, (unsigned long)area);
	softsgx_unload(e);
}

/* A thread created by a registered thread inherits CPUID faulting: its CPUID still runs. */
static void *cpuid_child(void *arg)
{
	uint32_t eax = 0, ebx, ecx = 0, edx;

	__asm__ volatile("cpuid" : "+a"(eax), "=b"(ebx), "+c"(ecx), "=d"(edx));
	*(uint32_t *)arg = eax;
	return NULL;
}

TEST(cpuid_in_thread_of_registered_thread)
{
	uint32_t max_leaf = 0;
	pthread_t th;

	ASSERT_EQ(softsgx_thread_init(), 0);
	ASSERT_EQ(pthread_create(&th, NULL, cpuid_child, &max_leaf), 0);
	pthread_join(th, NULL);
	EXPECT_TRUE(max_leaf >= 1);
}

/* Run @fn in a child process; its wait status. */
static int in_child(void (*fn)(void))
{
	int status = -1;
	pid_t pid = fork();

	if (pid == 0) {
		fn();
		_exit(0);
	}
	if (pid < 0 || waitpid(pid, &status, 0) != pid)
		return -1;
	return status;
}

/* A fault with SIG_IGN: Linux resets it to SIG_DFL, the process dies of it (no endless loop). */
static void ignored_segv(void)
{
	struct sigaction sa = { .sa_handler = SIG_IGN };
	void *none = mmap(NULL, PAGE, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	alarm(10); /* a loop would die of SIGALRM instead */
	if (none == MAP_FAILED || softsgx_thread_init() || softsgx_sigaction(SIGSEGV, &sa, NULL))
		_exit(2);
	*(volatile int *)none = 1;
	_exit(3);
}

TEST(segv_ignored_still_kills)
{
	int status = in_child(ignored_segv);

	EXPECT_TRUE(WIFSIGNALED(status));
	EXPECT_EQ(WTERMSIG(status), SIGSEGV);
}

/* Host code reads an enclave mapping before EINIT: Linux's fault handler says SIGBUS. */
static void sigbus_handler(int sig, siginfo_t *si, void *uc)
{
	(void)uc;
	_exit(sig == SIGBUS && si->si_code == BUS_ADRERR ? 42 : sig == SIGSEGV ? 43 : 44);
}

static void read_before_init(void)
{
	struct sigaction sa = { .sa_sigaction = sigbus_handler, .sa_flags = SA_SIGINFO };
	int fd = softsgx_open("/dev/sgx_enclave", O_RDWR);
	void *p;

	alarm(10);
	if (fd < 0)
		_exit(2);
	p = softsgx_mmap(NULL, 1 << 20, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED || softsgx_sigaction(SIGSEGV, &sa, NULL) ||
	    softsgx_sigaction(SIGBUS, &sa, NULL))
		_exit(2);
	(void)*(volatile char *)p;
	_exit(3);
}

TEST(host_read_before_init_sigbus_adrerr)
{
	int status = in_child(read_before_init);

	EXPECT_TRUE(WIFEXITED(status));
	EXPECT_EQ(WEXITSTATUS(status), 42);
}

/* The same read with SIGBUS blocked: the kernel would force it unblocked and default. */
static void read_before_init_sigbus_blocked(void)
{
	int fd = softsgx_open("/dev/sgx_enclave", O_RDWR);
	sigset_t bus;
	void *p;

	alarm(10);
	if (fd < 0)
		_exit(2);
	p = softsgx_mmap(NULL, 1 << 20, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED || softsgx_thread_init())
		_exit(2);
	sigemptyset(&bus);
	sigaddset(&bus, SIGBUS);
	pthread_sigmask(SIG_BLOCK, &bus, NULL);
	(void)*(volatile char *)p;
	_exit(3);
}

TEST(host_read_before_init_sigbus_blocked_kills)
{
	int status = in_child(read_before_init_sigbus_blocked);

	EXPECT_TRUE(WIFSIGNALED(status));
	EXPECT_EQ(WTERMSIG(status), SIGBUS);
}

/* A thread that blocks every signal runs enclave code (its traps are softsgx's), mask kept. */
static void masked_all_call(void)
{
	struct softsgx_enclave *e = te_load();
	struct te_call c = { .op = TE_OP_PUT, .arg = { 5 } };
	struct sgx_enclave_run run;
	sigset_t all, now;

	alarm(20);
	if (!e)
		_exit(2);
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, NULL);
	if (te_enter(e, 0, &c, &run) || run.function != EEXIT)
		_exit(4);
	c = (struct te_call){ .op = TE_OP_GET };
	if (te_enter(e, 0, &c, &run) || run.function != EEXIT || c.ret != 5)
		_exit(5);
	pthread_sigmask(SIG_SETMASK, NULL, &now);
	_exit(sigismember(&now, SIGUSR1) && sigismember(&now, SIGILL) ? 0 : 6);
}

TEST(signals_masked_all_enclave_call_works)
{
	int status = in_child(masked_all_call);

	EXPECT_TRUE(WIFEXITED(status));
	EXPECT_EQ(WEXITSTATUS(status), 0);
}

/*
 * A thread spinning in the enclave (TE_OP_SPIN until *flag): the interrupt
 * of a restriction reaches it even if the program blocked every signal
 * there, and a program signal sent meanwhile waits for the exit and runs
 * on host state.
 */
struct spinner {
	struct softsgx_enclave *e;
	struct te_call c;
	struct sgx_enclave_run run;
	uint64_t flag; /* read by the enclave: written with __atomic_store_n */
	uint64_t beat; /* TE_OP_SPIN's heartbeat: it spins in the enclave (test/spin.h) */
	bool block_all;
	int ret;
	unsigned long host_fs;
};

static atomic_int usr1_runs;
static atomic_int usr1_while_spinning;
static unsigned long usr1_fs;
static struct spinner *usr1_spinner;

static void usr1_handler(int sig)
{
	int saved_errno = errno;
	unsigned long fs = 0;

	(void)sig;
	syscall(SYS_arch_prctl, ARCH_GET_FS, &fs);
	__atomic_store_n(&usr1_fs, fs, __ATOMIC_RELAXED);
	if (!__atomic_load_n(&usr1_spinner->flag, __ATOMIC_RELAXED))
		atomic_fetch_add(&usr1_while_spinning, 1);
	atomic_fetch_add(&usr1_runs, 1);
	errno = saved_errno;
}

static void *spin_thread(void *arg)
{
	struct spinner *s = arg;
	sigset_t all;

	if (s->block_all) {
		sigfillset(&all);
		pthread_sigmask(SIG_SETMASK, &all, NULL);
	}
	syscall(SYS_arch_prctl, ARCH_GET_FS, &s->host_fs);
	s->c = (struct te_call){ .op = TE_OP_SPIN,
				 .arg = { (uintptr_t)&s->flag, (uintptr_t)&s->beat } };
	memset(&s->run, 0, sizeof(s->run));
	s->run.tcs = softsgx_enclave_tcs(s->e, 1);
	s->ret = softsgx_call_enclave((long)&s->c, 0, 0, EENTER, 0, 0, &s->run);
	return NULL;
}

static void restrict_blocked_ipi(void)
{
	struct spinner s = { .block_all = true };
	struct sgx_enclave_restrict_permissions p;
	struct te_call c;
	struct sgx_enclave_run run;
	uint64_t page;
	pthread_t th;

	alarm(20); /* a restriction that never completes dies of SIGALRM */
	s.e = te_load();
	if (!s.e)
		_exit(2);
	page = softsgx_enclave_free_start(s.e);
	c = (struct te_call){ .op = TE_OP_EACCEPT,
			      .arg = { SGX_SECINFO_REG | SGX_SECINFO_R | SGX_SECINFO_W |
				       SGX_SECINFO_PENDING, page } };
	if (te_enter(s.e, 0, &c, &run) || c.ret)
		_exit(3);
	if (pthread_create(&th, NULL, spin_thread, &s))
		_exit(4);
	if (!te_spin_wait(&s.beat, 0))
		_exit(7);
	p = (struct sgx_enclave_restrict_permissions){
		.offset = page - softsgx_enclave_base(s.e), .length = PAGE,
		.permissions = SGX_SECINFO_R };
	if (softsgx_ioctl(softsgx_enclave_fd(s.e), SGX_IOC_ENCLAVE_RESTRICT_PERMISSIONS, &p) ||
	    p.count != PAGE)
		_exit(5);
	__atomic_store_n(&s.flag, 1, __ATOMIC_RELAXED);
	pthread_join(th, NULL);
	_exit(s.ret == 0 && s.run.function == EEXIT ? 0 : 6);
}

TEST(signals_restrict_interrupts_thread_blocking_all)
{
	int status = in_child(restrict_blocked_ipi);

	EXPECT_TRUE(WIFEXITED(status));
	EXPECT_EQ(WEXITSTATUS(status), 0);
}

TEST(signals_program_signal_waits_for_enclave_exit)
{
	struct sigaction sa = { .sa_handler = usr1_handler }, old;
	struct spinner s = { 0 };
	pthread_t th;

	s.e = te_load();
	ASSERT_TRUE(s.e);
	usr1_spinner = &s;
	ASSERT_EQ(sigaction(SIGUSR1, &sa, &old), 0);
	ASSERT_EQ(pthread_create(&th, NULL, spin_thread, &s), 0);
	EXPECT_TRUE(te_spin_wait(&s.beat, 0));
	EXPECT_EQ(pthread_kill(th, SIGUSR1), 0);
	usleep(20000); /* time for a wrong delivery in enclave mode to show */
	EXPECT_EQ(atomic_load(&usr1_runs), 0); /* blocked while the thread is in enclave mode */
	__atomic_store_n(&s.flag, 1, __ATOMIC_RELAXED);
	pthread_join(th, NULL);
	sigaction(SIGUSR1, &old, NULL);
	EXPECT_EQ(s.ret, 0);
	EXPECT_EQ(s.run.function, EEXIT);
	EXPECT_EQ(atomic_load(&usr1_runs), 1);
	EXPECT_EQ(atomic_load(&usr1_while_spinning), 0);
	EXPECT_EQ(__atomic_load_n(&usr1_fs, __ATOMIC_RELAXED), s.host_fs); /* the host's FS: the handler ran on host state */
	softsgx_unload(s.e);
}

/* An EENTER that faults (not a TCS) takes the trap path; the program's mask comes back. */
TEST(signals_mask_restored_after_faulting_eenter)
{
	struct softsgx_enclave *e = te_load();
	struct te_call c = { .op = TE_OP_NOP };
	struct sgx_enclave_run run;
	sigset_t usr2, old, now;

	ASSERT_TRUE(e);
	sigemptyset(&usr2);
	sigaddset(&usr2, SIGUSR2);
	ASSERT_EQ(pthread_sigmask(SIG_BLOCK, &usr2, &old), 0);
	memset(&run, 0, sizeof(run));
	run.tcs = softsgx_enclave_free_start(e); /* not a TCS */
	EXPECT_EQ(softsgx_call_enclave((long)&c, 0, 0, EENTER, 0, 0, &run), 0);
	pthread_sigmask(SIG_SETMASK, NULL, &now);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	EXPECT_EQ(run.function, EENTER);
	EXPECT_TRUE(run.exception_vector == 13 || run.exception_vector == 14);
	EXPECT_TRUE(sigismember(&now, SIGUSR2));
	EXPECT_TRUE(!sigismember(&now, SIGUSR1));
	EXPECT_TRUE(!sigismember(&now, SIGALRM));
	softsgx_unload(e);
}

/* SIGTERM with its default action still ends a process spinning in enclave code. */
static void spin_forever(void)
{
	struct softsgx_enclave *e = te_load();
	uint64_t never = 0;
	struct te_call c = { .op = TE_OP_SPIN, .arg = { (uintptr_t)&never } };
	struct sgx_enclave_run run;

	if (!e)
		_exit(2);
	te_enter(e, 0, &c, &run);
	_exit(3);
}

TEST(signals_sigterm_default_ends_spinning_enclave)
{
	int status = -1, i;
	pid_t pid = fork();

	if (pid == 0)
		spin_forever();
	ASSERT_TRUE(pid > 0);
	usleep(300000); /* loaded, inside and spinning */
	kill(pid, SIGTERM);
	for (i = 0; i < 500 && waitpid(pid, &status, WNOHANG) == 0; i++)
		usleep(10000);
	if (i == 500) {
		kill(pid, SIGKILL);
		waitpid(pid, &status, 0);
	}
	EXPECT_TRUE(WIFSIGNALED(status));
	EXPECT_EQ(WTERMSIG(status), SIGTERM);
}
