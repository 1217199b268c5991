/* SPDX-License-Identifier: MIT */
/*
 * Signals during a system call, as the kernel has them. softsgx's calls
 * run in the caller's own thread, where a signal would run its handler in
 * the middle of the call. So the calls that Linux lets a signal interrupt
 * run with every signal blocked (sgx_syscall_enter()), look at the
 * program's pending signals where Linux calls signal_pending(), and end
 * as Linux ends an interrupted call (sgx_syscall_exit()): the signals are
 * delivered as the call returns, and -ERESTARTSYS becomes EINTR, or a
 * restart under SA_RESTART.
 */
#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "driver/driver.h"
#include "sys.h"
#include "tidlocal.h"

/* The kernel's struct sigaction (rt_sigaction with a sigset size of 8). */
struct ksigaction {
	void *handler;
	unsigned long flags;
	void (*restorer)(void);
	uint64_t mask;
};

/*
 * The caller's mask while one of its calls runs with every signal blocked
 * (call_mask, in_call: per thread, tidlocal.h).
 */
void sgx_syscall_enter(void)
{
	struct sgx_thread_local *tl = sgx_thread_local();
	uint64_t all = ~0ull;

	sys_sigprocmask(SIG_SETMASK, &all, &tl->call_mask);
	tl->in_call = true;
}

/* Default action "ignore" (kernel/signal.c's SIG_KERNEL_IGNORE_MASK). */
static bool default_ignored(int sig)
{
	return sig == SIGCHLD || sig == SIGURG || sig == SIGWINCH || sig == SIGCONT;
}

/*
 * The program's signals pending now that Linux would count (pending and
 * not blocked by the caller, and not discarded as ignored). With @restart,
 * *@restart is false if any of them has a handler without SA_RESTART.
 */
static uint64_t pending(bool *restart)
{
	uint64_t set = 0, bit;
	struct sgx_platform *plat = sgx_platform_get();
	struct ksigaction act;
	int sig;

	if (syscall(SYS_rt_sigpending, &set, 8))
		return 0;
	set &= ~sgx_thread_local()->call_mask & ~(plat ? atomic_load(&plat->own_signals) : 0);
	for (sig = 1; sig <= 64 && set; sig++) {
		bit = 1ull << (sig - 1);
		if (!(set & bit) || syscall(SYS_rt_sigaction, sig, NULL, &act, 8))
			continue;
		if (act.handler == SIG_IGN || (act.handler == SIG_DFL && default_ignored(sig))) {
			set &= ~bit;
			continue;
		}
		if (restart && act.handler != SIG_DFL && !(act.flags & SA_RESTART))
			*restart = false;
	}
	return set;
}

bool sgx_signal_pending(void)
{
	return sgx_thread_local()->in_call && pending(NULL);
}

long sgx_syscall_exit(long ret)
{
	struct sgx_thread_local *tl = sgx_thread_local();
	bool restart = true;

	if (ret == -ERESTARTSYS && !pending(&restart))
		restart = true; /* nothing left to deliver (it was discarded): go on */
	tl->in_call = false;
	/* The signals are delivered here, as on the way back to user space. */
	sys_sigprocmask(SIG_SETMASK, &tl->call_mask, NULL);
	if (ret == -ERESTARTSYS && !restart)
		return -EINTR;
	return ret;
}
