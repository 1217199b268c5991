/* SPDX-License-Identifier: MIT */
/*
 * The program's signal calls. Its handlers go behind softsgx's trampoline
 * (softsgx_sigaction()), which delivers a signal that arrives in enclave
 * code after an AEX, as hardware does, and keeps softsgx's own traps from
 * the program; its masks never block softsgx's own signals, and what it
 * blocked of them is kept for it to read back. pthread_create() is where
 * the C library first installs its own signal (SIGSETXID), which then goes
 * behind the trampoline too.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>

#include "driver/driver.h"
#include "driver/uaccess.h"
#include "host/host.h"
#include "preload/preload.h"
#include "softsgx/softsgx.h"
#include "sys.h"

#define EXPORT __attribute__((visibility("default")))

static int (*next_sigprocmask)(int, const sigset_t *, sigset_t *);
static int (*next_pthread_sigmask)(int, const sigset_t *, sigset_t *);
static int (*next_pthread_create)(pthread_t *, const pthread_attr_t *, void *(*)(void *), void *);
static int (*next_pthread_cancel)(pthread_t);

/* The next definition of @name, found on first use (preload.c has the same). */
#define NEXT_OF(name)                                                                              \
	({                                                                                         \
		if (__builtin_expect(!next_##name, 0))                                             \
			next_##name = (typeof(next_##name))preload_next(#name);                   \
		next_##name;                                                                       \
	})

void preload_signals_init(void)
{
	if (host_start())
		return;
	host_adopt_libc_signals();
	/*
	 * The program's CPUID sees an SGX2 processor (the handlers run it, with
	 * the platform's answer: it must exist before, for a handler cannot
	 * create it).
	 */
	if (sgx_platform_get())
		host_cpuid_faulting_on();
}

EXPORT int sigaction(int sig, const struct sigaction *act, struct sigaction *oldact)
{
	preload_start();
	return softsgx_sigaction(sig, act, oldact);
}

EXPORT int __sigaction(int sig, const struct sigaction *act, struct sigaction *oldact);
EXPORT int __sigaction(int sig, const struct sigaction *act, struct sigaction *oldact)
{
	return sigaction(sig, act, oldact);
}

/* signal(): BSD semantics, as glibc's (restarting, @sig blocked in its handler). */
EXPORT sighandler_t signal(int sig, sighandler_t handler)
{
	struct sigaction act = { .sa_handler = handler, .sa_flags = SA_RESTART }, old;

	if (sig < 1 || sig >= 65 || handler == SIG_ERR) {
		errno = EINVAL;
		return SIG_ERR;
	}
	sigemptyset(&act.sa_mask);
	sigaddset(&act.sa_mask, sig);
	if (sigaction(sig, &act, &old))
		return SIG_ERR;
	return old.sa_handler;
}

EXPORT sighandler_t bsd_signal(int sig, sighandler_t handler);
EXPORT sighandler_t bsd_signal(int sig, sighandler_t handler)
{
	return signal(sig, handler);
}

/* sysv_signal(): the handler once, not blocked while it runs, no restart. */
EXPORT sighandler_t sysv_signal(int sig, sighandler_t handler)
{
	struct sigaction act = { .sa_handler = handler, .sa_flags = SA_RESETHAND | SA_NODEFER }, old;

	if (sig < 1 || sig >= 65 || handler == SIG_ERR) {
		errno = EINVAL;
		return SIG_ERR;
	}
	sigemptyset(&act.sa_mask);
	if (sigaction(sig, &act, &old))
		return SIG_ERR;
	return old.sa_handler;
}

/*
 * A mask change through @next (the C library's): softsgx's signals are
 * taken out of what the kernel gets and kept as the program's view.
 * Return: as @next (@posix: an error number, else -1 and errno).
 */
static int mask_change(int (*next)(int, const sigset_t *, sigset_t *), bool posix, int how,
		       const sigset_t *set, sigset_t *oldset)
{
	uint64_t own = host_signal_mask(), virt = host_virtual_mask(), want = 0, kold;
	sigset_t kset, kout;
	int ret;

	if (set) {
		if (copy_from_user(&kset, set, sizeof(kset))) {
			if (posix)
				return EFAULT;
			errno = EFAULT;
			return -1;
		}
		memcpy(&want, &kset, sizeof(want));
		for (int sig = 1; sig <= 64; sig++)
			if (own & (1ull << (sig - 1)))
				sigdelset(&kset, sig);
	}
	ret = next(how, set ? &kset : NULL, &kout);
	if (ret)
		return ret;
	if (set) {
		if (how == SIG_BLOCK)
			host_set_virtual_mask(virt | (want & own));
		else if (how == SIG_UNBLOCK)
			host_set_virtual_mask(virt & ~(want & own));
		else
			host_set_virtual_mask(want & own);
	}
	if (oldset) {
		memcpy(&kold, &kout, sizeof(kold));
		kold = (kold & ~own) | virt;
		memcpy(&kout, &kold, sizeof(kold));
		if (copy_to_user(oldset, &kout, sizeof(kout))) {
			if (posix)
				return EFAULT;
			errno = EFAULT;
			return -1;
		}
	}
	return 0;
}

EXPORT int sigprocmask(int how, const sigset_t *set, sigset_t *oldset)
{
	return mask_change(NEXT_OF(sigprocmask), false, how, set, oldset);
}

EXPORT int pthread_sigmask(int how, const sigset_t *set, sigset_t *oldset)
{
	return mask_change(NEXT_OF(pthread_sigmask), true, how, set, oldset);
}

EXPORT int pthread_create(pthread_t *thread, const pthread_attr_t *attr,
			  void *(*start)(void *), void *arg)
{
	int ret;

	ret = NEXT_OF(pthread_create)(thread, attr, start, arg);
	host_adopt_libc_signals();
	return ret;
}

EXPORT int pthread_cancel(pthread_t thread)
{
	int ret;

	ret = NEXT_OF(pthread_cancel)(thread);
	host_adopt_libc_signals();
	return ret;
}

/*
 * A thread that runs enclaves keeps softsgx's alternate stack (host.h);
 * any other thread's call is the system's, made here: a sanitizer's
 * runtime sets up a new thread's alternate stack before instrumented
 * code may run on it.
 */
EXPORT int sigaltstack(const stack_t *ss, stack_t *old)
{
	struct host_thread *t;

	if (__atomic_load_n(&host_thread_key_ready, __ATOMIC_ACQUIRE) &&
	    (t = pthread_getspecific(host_thread_key)) &&
	    __atomic_load_n(&t->tid, __ATOMIC_RELAXED) ==
		    (int)softsgx_raw_syscall(SYS_gettid, 0, 0, 0, 0, 0, 0))
		return host_sigaltstack(ss, old);
	return sys_sigaltstack(ss, old);
}
