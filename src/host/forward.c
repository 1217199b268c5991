/* SPDX-License-Identifier: MIT */
/*
 * The program's actions behind softsgx's trampoline, and the shortest way
 * to them: a program's signal on a thread softsgx does not know (no
 * enclave ever ran on it) needs no emulation, only its handler run as the
 * kernel would run it. That thread may be one where instrumented code
 * cannot run (a race detector's own thread, say, which the C library's
 * SIGSETXID reaches too), so this file is built without sanitizer
 * instrumentation, and calls nothing that is instrumented.
 */
#include <signal.h>
#include <stdbool.h>

#include "host/host.h"
#include "sys.h"

#define SA_RESTORER_FLAG 0x04000000

struct kernel_sigaction host_previous[65];

__attribute__((visibility("hidden"))) int softsgx_sig_forward(int sig, siginfo_t *info, ucontext_t *uc);

__attribute__((visibility("hidden"))) int softsgx_sig_forward(int sig, siginfo_t *info, ucontext_t *uc)
{
	const struct kernel_sigaction *a = &host_previous[sig];
	uint64_t bit = 1ull << (sig - 1);
	void *h = a->handler;

	/*
	 * softsgx's own signals, a default action, a reset after delivery:
	 * the C handler decides (softsgx_sig_handler()).
	 */
	if (sig < 1 || sig > 64 || (host_signal_mask() & bit) || h == SIG_DFL ||
	    (a->flags & SA_RESETHAND))
		return 0;
	if (h == SIG_IGN)
		return 1;
	host_call_handler(sig, info, uc, h, a->flags, a->mask);
	return 1;
}

void host_call_handler(int sig, siginfo_t *info, ucontext_t *uc, void *h, unsigned long flags,
		       uint64_t sa_mask)
{
	uint64_t mask;

	/* The mask the kernel would give the handler: the thread's, its sa_mask, @sig. */
	__builtin_memcpy(&mask, &uc->uc_sigmask, sizeof(mask));
	mask |= sa_mask | ((flags & SA_NODEFER) ? 0 : 1ull << (sig - 1));
	sys_sigprocmask(SIG_SETMASK, &mask, NULL);
	if (flags & SA_SIGINFO)
		((void (*)(int, siginfo_t *, void *))h)(sig, info, uc);
	else
		((void (*)(int))h)(sig);
}
