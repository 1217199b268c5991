/* SPDX-License-Identifier: MIT */
/*
 * A host program written the way a library OS's loader is written, run
 * unchanged under `softsgx exec`: every call that matters to SGX is its
 * own SYSCALL instruction (runtime_asm.S, raw_sys.h), never the C
 * library's. It
 *   - checks the platform as such a loader does: CPUID leaf 0x12 (SGX2),
 *     and EDMM by SGX_IOC_ENCLAVE_REMOVE_PAGES(0, 0) answering EINVAL;
 *   - loads the test enclave (plain_loader.c with raw system calls);
 *   - installs its SIGILL handler with rt_sigaction, SA_ONSTACK and its
 *     own restorer, and gives each thread its own alternate stack;
 *   - keeps each thread's data in its GS base (arch_prctl(ARCH_SET_GS));
 *   - runs two threads, the second made by a raw clone() without the C
 *     library, each entering the enclave with its own ENCLU, whose AEP is
 *     that ENCLU; each enclave call executes UD2, and the handler, on the
 *     thread's alternate stack with the AEP as the interrupted RIP, enters
 *     the enclave again (CSSA 1) to move the interrupted RIP past it, then
 *     returns to the AEP, which resumes the enclave (ERESUME);
 *   - restricts permissions of a range as such a runtime does: retrying
 *     on EAGAIN, EBUSY and EINTR and moving on by count;
 *   - then runs the SGX2 scenarios (scenarios.c, raw system calls too).
 */
#include <asm/prctl.h>
#include <errno.h>
#include <asm/sgx.h>
#include <elf.h>
#include <linux/futex.h>
#include <sched.h>
#include <stddef.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <ucontext.h>

#include "check.h"
#include "plain_loader.h"
#include "raw_sys.h"
#include "scenarios.h"
#include "test/abi.h"
#include "vdso_elf.h"

#define NAME "runtime"
#define EXCEPTIONS_PER_THREAD 500
#define ALTSTACK_SIZE (64 * 1024)
#define THREAD_STACK_SIZE (256 * 1024)
#define SA_RESTORER_FLAG 0x04000000
#define EXITINFO_UD 0x80000306u /* valid, hardware exception, vector 6 */
#define EXITINFO_MASK 0x800007ffu

long rt_eenter(uint64_t tcs, struct te_call *call);
long rt_clone(unsigned long flags, void *stack_top, int *ptid, int *ctid, void (*fn)(void *),
	      void *arg);
void rt_restorer(void);
extern const char rt_aep[];

struct kernel_sigaction {
	void *handler;
	unsigned long flags;
	void (*restorer)(void);
	uint64_t mask;
};

/* A thread's data, at its GS base. */
struct rt_thread {
	struct rt_thread *self;
	uint64_t tcs;
	uint8_t *altstack;
	unsigned int calls_ok;     /* enclave calls that came back past their UD2 */
	unsigned int handled;      /* exceptions the handler fixed */
	unsigned int wrong_aep;    /* interrupted RIP or RAX not the AEP's */
	unsigned int wrong_stack;  /* handler not on the thread's alternate stack */
	unsigned int wrong_frame;  /* uc_stack or the restorer slot not as the kernel sets them */
	unsigned int wrong_gs;     /* the GS base not the thread's data */
	unsigned int wrong_mask;   /* sa_mask not blocked in the handler */
	unsigned int wrong_ssa;    /* the in-enclave handler did not see a #UD frame */
	unsigned int wrong_exit;   /* an EENTER that did not end in EEXIT */
	stack_t bad_stack;         /* the first uc_stack that was wrong */
	int ctid;                  /* cleared by the kernel when a cloned thread ends */
};

static struct pl_enclave encl;
static struct rt_thread threads[PL_NR_TCS];

static struct rt_thread *self(void)
{
	struct rt_thread *t;

	__asm__ volatile("mov %%gs:0, %0" : "=r"(t));
	return t;
}

static bool on_altstack(const struct rt_thread *t, const void *p)
{
	return (const uint8_t *)p >= t->altstack && (const uint8_t *)p < t->altstack + ALTSTACK_SIZE;
}

/* SIGILL of enclave code: the in-enclave handler (CSSA 1) skips the UD2; back to the AEP. */
static void on_sigill(int sig, siginfo_t *info, void *ucv)
{
	ucontext_t *uc = ucv;
	greg_t *g = uc->uc_mcontext.gregs;
	struct rt_thread *t = self();
	struct te_call c = { .op = TE_OP_SSA_SKIP, .arg = { 2 } };
	uint64_t blocked = 0;

	if (t != &threads[0] && t != &threads[1])
		rt_syscall(SYS_exit_group, 3, 0, 0, 0, 0, 0); /* no thread data: nothing to count in */
	if (sig != SIGILL || info->si_signo != SIGILL || g[REG_RIP] != (greg_t)(uintptr_t)rt_aep ||
	    g[REG_RAX] != 3 || (uint64_t)g[REG_RBX] != t->tcs)
		t->wrong_aep++;
	if (!on_altstack(t, __builtin_frame_address(0))) /* a sanitizer may keep locals elsewhere */
		t->wrong_stack++;
	/* The frame: the restorer is the return address; uc_stack the thread's, not in use. */
	if (*(void **)((uint8_t *)uc - 8) != (void *)rt_restorer ||
	    uc->uc_stack.ss_sp != t->altstack || uc->uc_stack.ss_size != ALTSTACK_SIZE ||
	    uc->uc_stack.ss_flags != 0) {
		if (!t->wrong_frame++)
			t->bad_stack = uc->uc_stack;
	}
	if (rt_syscall(SYS_rt_sigprocmask, SIG_BLOCK, 0, (long)&blocked, 8, 0, 0) ||
	    !(blocked & (1ull << (SIGUSR1 - 1))))
		t->wrong_mask++;
	/* On the alternate stack, sigaltstack() may not change it. */
	{
		stack_t ss = { .ss_sp = t->altstack, .ss_size = ALTSTACK_SIZE };

		if (rt_syscall(SYS_sigaltstack, (long)&ss, 0, 0, 0, 0, 0) != -EPERM)
			t->wrong_stack++;
	}
	if (rt_eenter(t->tcs, &c) != TE_ENCLU_EEXIT)
		t->wrong_exit++;
	if ((c.ret & EXITINFO_MASK) != EXITINFO_UD || c.out[0] < encl.base ||
	    c.out[0] >= encl.base + encl.size)
		t->wrong_ssa++;
	if (self() != t)
		t->wrong_gs++;
	t->handled++;
}

static void thread_setup(struct rt_thread *t)
{
	stack_t ss = { .ss_sp = t->altstack, .ss_size = ALTSTACK_SIZE };

	t->self = t;
	if (rt_syscall(SYS_arch_prctl, ARCH_SET_GS, (long)t, 0, 0, 0, 0) ||
	    rt_syscall(SYS_sigaltstack, (long)&ss, 0, 0, 0, 0, 0))
		rt_syscall(SYS_exit_group, 4, 0, 0, 0, 0, 0);
}

/* A thread's work: enclave calls that each raise #UD inside, fixed by the handler. */
static void exceptions(void *arg)
{
	struct rt_thread *t = arg;
	unsigned int i;

	thread_setup(t);
	for (i = 0; i < EXCEPTIONS_PER_THREAD; i++) {
		struct te_call c = { .op = TE_OP_UD2 };

		if (rt_eenter(t->tcs, &c) != TE_ENCLU_EEXIT)
			t->wrong_exit++;
		else if (c.ret == TE_RET_UD2_SKIPPED)
			t->calls_ok++;
		if (self() != t)
			t->wrong_gs++;
	}
}

static void *raw_mmap(size_t len)
{
	long p = rt_syscall(SYS_mmap, 0, (long)len, PROT_READ | PROT_WRITE,
			    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	REQUIRE(p > 0 || p < -4095, "mmap: %s", strerror((int)-p));
	return (void *)p;
}

static void check_thread(const struct rt_thread *t, const char *who)
{
	CHECK(t->calls_ok == EXCEPTIONS_PER_THREAD, "%s: calls past their UD2: %u", who, t->calls_ok);
	CHECK(t->handled == EXCEPTIONS_PER_THREAD, "%s: exceptions handled: %u", who, t->handled);
	CHECK(t->wrong_aep == 0, "%s: handler not at the AEP (RIP, RAX, RBX): %u", who, t->wrong_aep);
	CHECK(t->wrong_stack == 0, "%s: handler not on the alternate stack: %u", who, t->wrong_stack);
	CHECK(t->wrong_frame == 0, "%s: frame (restorer, uc_stack) not the kernel's: %u (uc_stack %p+%zu "
	      "flags %#x, the thread's %p)", who, t->wrong_frame, t->bad_stack.ss_sp,
	      t->bad_stack.ss_size, (unsigned int)t->bad_stack.ss_flags, (void *)t->altstack);
	CHECK(t->wrong_gs == 0, "%s: GS base lost: %u", who, t->wrong_gs);
	CHECK(t->wrong_mask == 0, "%s: sa_mask not in force in the handler: %u", who, t->wrong_mask);
	CHECK(t->wrong_ssa == 0, "%s: in-enclave handler did not find the #UD frame: %u", who, t->wrong_ssa);
	CHECK(t->wrong_exit == 0, "%s: enclave calls that did not end in EEXIT: %u", who, t->wrong_exit);
}

/* Wait for a cloned thread to end: the kernel clears ctid then (CLONE_CHILD_CLEARTID). */
static void join(struct rt_thread *t)
{
	int i;

	for (i = 0; i < 600 && __atomic_load_n(&t->ctid, __ATOMIC_ACQUIRE); i++) {
		struct timespec tick = { .tv_nsec = 100 * 1000 * 1000 };
		int v = __atomic_load_n(&t->ctid, __ATOMIC_ACQUIRE);

		if (v)
			rt_syscall(SYS_futex, (long)&t->ctid, FUTEX_WAIT, v, (long)&tick, 0, 0);
	}
	REQUIRE(!__atomic_load_n(&t->ctid, __ATOMIC_ACQUIRE),
		"the cloned thread did not end within a minute");
}

/* Two threads, one of them a raw clone(), each with enclave exceptions handled by EENTER. */
static void exceptions_on_two_threads(void)
{
	struct kernel_sigaction sa = { .handler = (void *)on_sigill,
				       .flags = SA_SIGINFO | SA_ONSTACK | SA_RESTORER_FLAG,
				       .restorer = rt_restorer,
				       .mask = 1ull << (SIGUSR1 - 1) };
	const unsigned long flags = CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND |
				    CLONE_THREAD | CLONE_SYSVSEM | CLONE_PARENT_SETTID |
				    CLONE_CHILD_CLEARTID;
	uint8_t *stack = raw_mmap(THREAD_STACK_SIZE);
	long tid;
	int i;

	check_note("%d enclave exceptions on each of two threads (one a raw clone), each fixed "
		   "by an EENTER from the SIGILL handler",
		   EXCEPTIONS_PER_THREAD);
	for (i = 0; i < PL_NR_TCS; i++) {
		threads[i].tcs = encl.tcs[i];
		threads[i].altstack = raw_mmap(ALTSTACK_SIZE);
	}
	REQUIRE(!rt_syscall(SYS_rt_sigaction, SIGILL, (long)&sa, 0, 8, 0, 0), "rt_sigaction");
	tid = rt_clone(flags, stack + THREAD_STACK_SIZE, &threads[1].ctid, &threads[1].ctid,
		       exceptions, &threads[1]);
	REQUIRE(tid > 0, "clone: %s", strerror((int)-tid));
	exceptions(&threads[0]);
	join(&threads[1]);
	check_thread(&threads[0], "main thread");
	check_thread(&threads[1], "cloned thread");
	/* A second cloned thread, after the first ended by its own exit(). */
	memset(&threads[1], 0, offsetof(struct rt_thread, ctid));
	threads[1].tcs = encl.tcs[1];
	threads[1].altstack = raw_mmap(ALTSTACK_SIZE);
	tid = rt_clone(flags, stack + THREAD_STACK_SIZE, &threads[1].ctid, &threads[1].ctid,
		       exceptions, &threads[1]);
	REQUIRE(tid > 0, "clone: %s", strerror((int)-tid));
	join(&threads[1]);
	check_thread(&threads[1], "second cloned thread");
}

/* The answers softsgx gives the program's own signal calls, errors included, as Linux's. */
static void signal_calls(void)
{
	const uint64_t segv = 1ull << (SIGSEGV - 1), kill = 1ull << (SIGKILL - 1);
	struct kernel_sigaction old, sa = { .handler = SIG_DFL };
	stack_t ss = { .ss_sp = threads[0].altstack, .ss_size = 100 }, cur;
	uint64_t m = 0;

	check_note("the program's own rt_sigaction, rt_sigprocmask, sigaltstack");
	CHECK_EQ(rt_syscall(SYS_rt_sigaction, SIGILL, 0, (long)&old, 8, 0, 0), 0);
	CHECK(old.handler == (void *)on_sigill && old.restorer == rt_restorer &&
	      (old.flags & SA_RESTORER_FLAG) && (old.flags & SA_ONSTACK),
	      "the old action is not the one installed");
	CHECK_EQ(rt_syscall(SYS_rt_sigaction, SIGILL, 0, (long)&old, 4, 0, 0), -EINVAL);
	CHECK_EQ(rt_syscall(SYS_rt_sigaction, SIGKILL, (long)&sa, 0, 8, 0, 0), -EINVAL);
	CHECK_EQ(rt_syscall(SYS_rt_sigaction, SIGILL, 1, 0, 8, 0, 0), -EFAULT);
	CHECK_EQ(rt_syscall(SYS_rt_sigaction, SIGILL, 0, 1, 8, 0, 0), -EFAULT);
	CHECK_EQ(rt_syscall(SYS_rt_sigprocmask, SIG_BLOCK, 0, (long)&m, 4, 0, 0), -EINVAL);
	CHECK_EQ(rt_syscall(SYS_rt_sigprocmask, 99, (long)&m, 0, 8, 0, 0), -EINVAL);
	CHECK_EQ(rt_syscall(SYS_rt_sigprocmask, SIG_BLOCK, 1, 0, 8, 0, 0), -EFAULT);
	CHECK_EQ(rt_syscall(SYS_rt_sigprocmask, SIG_BLOCK, 0, 1, 8, 0, 0), -EFAULT);
	/* softsgx's own SIGSEGV "blocked" reads back so; SIGKILL never. */
	m = segv | kill;
	CHECK_EQ(rt_syscall(SYS_rt_sigprocmask, SIG_BLOCK, (long)&m, 0, 8, 0, 0), 0);
	CHECK_EQ(rt_syscall(SYS_rt_sigprocmask, SIG_BLOCK, 0, (long)&m, 8, 0, 0), 0);
	CHECK((m & segv) && !(m & kill), "mask read back %#llx", (unsigned long long)m);
	m = segv;
	CHECK_EQ(rt_syscall(SYS_rt_sigprocmask, SIG_UNBLOCK, (long)&m, 0, 8, 0, 0), 0);
	CHECK_EQ(rt_syscall(SYS_rt_sigprocmask, SIG_BLOCK, 0, (long)&m, 8, 0, 0), 0);
	CHECK(!(m & segv), "SIGSEGV still reads back as blocked");
	/* The thread's alternate stack reads back as set; a tiny one is ENOMEM, a bad mode EINVAL. */
	CHECK_EQ(rt_syscall(SYS_sigaltstack, 0, (long)&cur, 0, 0, 0, 0), 0);
	CHECK(cur.ss_sp == threads[0].altstack && cur.ss_size == ALTSTACK_SIZE && !cur.ss_flags,
	      "sigaltstack reads back %p+%zu flags %#x", cur.ss_sp, cur.ss_size,
	      (unsigned int)cur.ss_flags);
	CHECK_EQ(rt_syscall(SYS_sigaltstack, (long)&ss, 0, 0, 0, 0, 0), -ENOMEM);
	ss.ss_size = ALTSTACK_SIZE;
	ss.ss_flags = 0x40;
	CHECK_EQ(rt_syscall(SYS_sigaltstack, (long)&ss, 0, 0, 0, 0, 0), -EINVAL);
	CHECK_EQ(rt_syscall(SYS_sigaltstack, 1, 0, 0, 0, 0, 0), -EFAULT);
}

static volatile int usr2_handled, usr2_on_altstack;
static int main_tid;
static int read_returned; /* the interrupter stops sending */

static void on_sigusr2(int sig, siginfo_t *info, void *uc)
{
	(void)info;
	(void)uc;
	if (sig == SIGUSR2)
		usr2_handled++;
	if (on_altstack(&threads[0], __builtin_frame_address(0)))
		usr2_on_altstack++;
}

/*
 * A thread of the program's own that interrupts the main thread's blocking
 * read: SIGUSR2 every 50 ms until the read has returned (a signal that
 * comes before the read blocks only runs the handler), for at most 60 s.
 */
static void interrupter(void *arg)
{
	struct timespec pause = { .tv_nsec = 50 * 1000 * 1000 };
	uint64_t block = 1ull << (SIGILL - 1) | 1ull << (SIGSEGV - 1);
	int i;

	(void)arg;
	/* Its own mask is its own: the main thread's exceptions still reach their handler. */
	rt_syscall(SYS_rt_sigprocmask, SIG_BLOCK, (long)&block, 0, 8, 0, 0);
	for (i = 0; i < 1200 && !__atomic_load_n(&read_returned, __ATOMIC_ACQUIRE); i++) {
		rt_syscall(SYS_nanosleep, (long)&pause, 0, 0, 0, 0, 0);
		if (!__atomic_load_n(&read_returned, __ATOMIC_ACQUIRE))
			rt_syscall(SYS_tgkill, rt_syscall(SYS_getpid, 0, 0, 0, 0, 0, 0), main_tid,
				   SIGUSR2, 0, 0, 0);
	}
}

/*
 * A signal of the program's own (SIGUSR2, installed without SA_RESTART)
 * interrupts a blocking system call: EINTR, its handler on the alternate
 * stack, as a runtime wakes a thread that waits in the host.
 */
static void interrupted_call(void)
{
	struct kernel_sigaction sa = { .handler = (void *)on_sigusr2,
				       .flags = SA_SIGINFO | SA_ONSTACK | SA_RESTORER_FLAG,
				       .restorer = rt_restorer };
	const unsigned long flags = CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND |
				    CLONE_THREAD | CLONE_SYSVSEM | CLONE_CHILD_CLEARTID;
	static int ctid;
	uint8_t *stack = raw_mmap(THREAD_STACK_SIZE);
	int pipefd[2];
	char byte;
	int i;

	check_note("a blocking read interrupted by the program's SIGUSR2: EINTR");
	main_tid = (int)rt_syscall(SYS_gettid, 0, 0, 0, 0, 0, 0);
	REQUIRE(!rt_syscall(SYS_pipe2, (long)pipefd, 0, 0, 0, 0, 0), "pipe2");
	REQUIRE(!rt_syscall(SYS_rt_sigaction, SIGUSR2, (long)&sa, 0, 8, 0, 0), "rt_sigaction");
	ctid = 1;
	REQUIRE(rt_clone(flags, stack + THREAD_STACK_SIZE, NULL, &ctid, interrupter, NULL) > 0,
		"clone");
	CHECK_EQ(rt_syscall(SYS_read, pipefd[0], (long)&byte, 1, 0, 0, 0), -EINTR);
	__atomic_store_n(&read_returned, 1, __ATOMIC_RELEASE);
	for (i = 0; i < 600 && __atomic_load_n(&ctid, __ATOMIC_ACQUIRE); i++) {
		struct timespec tick = { .tv_nsec = 100 * 1000 * 1000 };

		rt_syscall(SYS_futex, (long)&ctid, FUTEX_WAIT, 1, (long)&tick, 0, 0);
	}
	/* Every SIGUSR2 ran its handler on the alternate stack, the interrupting one too. */
	CHECK(usr2_handled >= 1, "SIGUSR2 handled %d times", usr2_handled);
	CHECK_EQ(usr2_on_altstack, usr2_handled);
	rt_syscall(SYS_close, pipefd[0], 0, 0, 0, 0, 0);
	rt_syscall(SYS_close, pipefd[1], 0, 0, 0, 0, 0);
	/* The interrupter blocked SIGILL for itself, not for this thread. */
	for (i = 0; i < 10; i++) {
		struct te_call c = { .op = TE_OP_UD2 };

		CHECK_EQ(rt_eenter(threads[0].tcs, &c), TE_ENCLU_EEXIT);
		CHECK_EQ(c.ret, TE_RET_UD2_SKIPPED);
	}
}

/*
 * The child of the program's own fork (SYS_fork, and clone() without
 * CLONE_VM with a new stack) gets the enclave detached, as fork()'s does:
 * the device's ioctls are EIO there. The parent's enclave goes on.
 */
static void child_checks(void)
{
	struct sgx_enclave_restrict_permissions rp = { .offset = 0, .length = PL_PAGE,
						       .permissions = PL_SECINFO_R };

	rt_syscall(SYS_exit_group,
		   rt_ioctl(encl.fd, SGX_IOC_ENCLAVE_RESTRICT_PERMISSIONS, &rp) == -1 &&
				   errno == EIO
			   ? 0
			   : 1,
		   0, 0, 0, 0, 0);
}

static void own_forks(void)
{
	uint8_t *stack = raw_mmap(THREAD_STACK_SIZE);
	struct te_call c = { .op = TE_OP_GET };
	int status = -1, ctid = 0;
	long pid;

	check_note("the program's own fork() and clone() of a process: the child's enclave is detached");
	pid = rt_syscall(SYS_fork, 0, 0, 0, 0, 0, 0);
	if (!pid)
		child_checks();
	REQUIRE(pid > 0, "fork: %s", strerror((int)-pid));
	CHECK_EQ(rt_syscall(SYS_wait4, pid, (long)&status, 0, 0, 0, 0), pid);
	CHECK(WIFEXITED(status) && !WEXITSTATUS(status), "the forked child saw status %#x", status);
	/* clone(SIGCHLD | CLONE_CHILD_SETTID) onto a stack of its own: rt_clone runs child_checks. */
	pid = rt_clone(SIGCHLD | CLONE_CHILD_SETTID, stack + THREAD_STACK_SIZE, NULL, &ctid,
		       (void (*)(void *))child_checks, NULL);
	REQUIRE(pid > 0, "clone: %s", strerror((int)-pid));
	CHECK_EQ(rt_syscall(SYS_wait4, pid, (long)&status, 0, 0, 0, 0), pid);
	CHECK(WIFEXITED(status) && !WEXITSTATUS(status), "the cloned child saw status %#x", status);
	CHECK_EQ(ctid, 0); /* CLONE_CHILD_SETTID stores in the child's memory only */
	CHECK_EQ(rt_eenter(threads[0].tcs, &c), TE_ENCLU_EEXIT);
}

/* EAUG by EACCEPT of @n pages from @addr, through the test's own ENCLU. */
static void eaug(uint64_t addr, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++) {
		struct te_call c = { .op = TE_OP_EACCEPT,
				     .arg = { PL_SECINFO_REG | PL_SECINFO_R | PL_SECINFO_W |
						      PL_SECINFO_PENDING,
					      addr + i * PL_PAGE } };

		CHECK_EQ(rt_eenter(threads[0].tcs, &c), TE_ENCLU_EEXIT);
		CHECK(c.ret == 0, "EACCEPT of a new page %u: %#llx", i, (unsigned long long)c.ret);
	}
}

/*
 * RESTRICT_PERMISSIONS as a runtime issues it: the ioctl may stop early
 * (EAGAIN, EBUSY, EINTR) with count saying how far it got; it goes on
 * from there, a bounded number of times.
 */
static int restrict_range(uint64_t addr, uint64_t len, uint64_t perms)
{
	struct sgx_enclave_restrict_permissions p = { .offset = addr - encl.base, .length = len,
						       .permissions = perms };
	unsigned int tries;

	for (tries = 0; tries < 1000 && p.length; tries++) {
		p.count = 0;
		if (!rt_ioctl(encl.fd, SGX_IOC_ENCLAVE_RESTRICT_PERMISSIONS, &p))
			return 0;
		if (errno != EAGAIN && errno != EBUSY && errno != EINTR)
			return -1;
		p.offset += p.count;
		p.length -= p.count;
	}
	return p.length ? -1 : 0;
}

static void edmm_by_own_calls(void)
{
	const unsigned int n = 8;
	uint64_t addr = encl.free_start;
	struct sgx_enclave_remove_pages rm = { 0 };
	unsigned int i;

	check_note("EDMM through the program's own system calls and ENCLU");
	/* The probe of a runtime: REMOVE_PAGES of nothing is EINVAL where EDMM exists. */
	CHECK_ERRNO(rt_ioctl(encl.fd, SGX_IOC_ENCLAVE_REMOVE_PAGES, &rm), EINVAL);
	eaug(addr, n);
	CHECK_OK(restrict_range(addr, n * PL_PAGE, PL_SECINFO_R));
	for (i = 0; i < n; i++) {
		struct te_call c = { .op = TE_OP_EACCEPT,
				     .arg = { PL_SECINFO_REG | PL_SECINFO_R | PL_SECINFO_PR,
					      addr + i * PL_PAGE } };

		CHECK_EQ(rt_eenter(threads[0].tcs, &c), TE_ENCLU_EEXIT);
		CHECK(c.ret == 0, "EACCEPT after the restriction, page %u: %#llx", i,
		      (unsigned long long)c.ret);
	}
}

/*
 * CPUID as a runtime reads it: SGX in leaf 7, SGX1 and SGX2 in leaf 0x12,
 * where softsgx answers CPUID, i.e. where CPUID faults on this thread
 * (ARCH_GET_CPUID says 0); elsewhere the instruction is the host's.
 */
static void cpuid_checks(void)
{
	unsigned int a, b, c, d;

	if (rt_syscall(SYS_arch_prctl, ARCH_GET_CPUID, 0, 0, 0, 0, 0) != 0) {
		check_note("CPUID does not fault on this thread: the host's CPUID, not checked");
		return;
	}
	__asm__ volatile("cpuid" : "=a"(a), "=b"(b), "=c"(c), "=d"(d) : "a"(7), "c"(0));
	CHECK(b & (1u << 2), "CPUID 7.0 EBX %#x: SGX expected", b);
	__asm__ volatile("cpuid" : "=a"(a), "=b"(b), "=c"(c), "=d"(d) : "a"(0x12), "c"(0));
	CHECK((a & 3) == 3, "CPUID 0x12.0 EAX %#x: SGX1 and SGX2 expected", a);
}

static pl_vdso_entry_t vdso_entry(void)
{
	const Elf64_Ehdr *vdso = (const Elf64_Ehdr *)getauxval(AT_SYSINFO_EHDR);
	const Elf64_Phdr *ph;
	const char *why = "no vDSO";
	uintptr_t sgx = 0;
	unsigned int i;

	if (vdso) {
		ph = (const Elf64_Phdr *)((const char *)vdso + vdso->e_phoff);
		for (i = 0; i < vdso->e_phnum && ph[i].p_type != PT_LOAD; i++)
			;
		REQUIRE(i < vdso->e_phnum, "the vDSO has no PT_LOAD");
		sgx = vdso_elf_lookup((uintptr_t)vdso + ph[i].p_offset - ph[i].p_vaddr, ph,
				      vdso->e_phnum, "__vdso_sgx_enter_enclave", "LINUX_2.6",
				      VDSO_HASH_GNU, &why);
	}
	if (!sgx)
		sgx_entry_missing(NAME, why);
	return (pl_vdso_entry_t)sgx;
}

int main(void)
{
	pl_vdso_entry_t entry = vdso_entry();

	cpuid_checks();
	if (pl_load(SOFTSGX_TEST_ENCLAVE, &encl))
		sgx_entry_missing(NAME, "the enclave cannot be loaded through /dev/sgx_enclave");
	exceptions_on_two_threads();
	signal_calls();
	interrupted_call();
	own_forks();
	edmm_by_own_calls();
	pl_unload(&encl);
	scenarios_run(NAME, entry);
}
