/* SPDX-License-Identifier: MIT */
/*
 * Host threads that run enclaves: registration (alternate stack in the
 * arena, Syscall User Dispatch, the logical processor), the signal
 * handlers, and the interrupt of every thread inside an enclave that the
 * driver's ETRACK flow asks for (sgx_ipi_ops).
 *
 * Lock order: registry_lock is a leaf lock (no other lock is taken under it).
 */
#include <errno.h>
#include <linux/futex.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <asm/prctl.h>

#include "driver/driver.h"
#include "driver/uaccess.h"
#include "host/features.h"
#include "host/host.h"
#include "softsgx/softsgx.h"
#include "sys.h"
#include "tidlocal.h"
#include "trace/trace.h"
#include "sys.h"

#ifndef PR_SET_SYSCALL_USER_DISPATCH
#define PR_SET_SYSCALL_USER_DISPATCH 59
#define PR_SYS_DISPATCH_OFF 0
#define PR_SYS_DISPATCH_ON 1
#endif

#define ARENA_SLOTS HOST_ARENA_SLOTS
#define IPI_SPINS 2048 /* pause loops before an interrupt sender sleeps (tens of us) */

uintptr_t softsgx_altstack_arena_start __attribute__((visibility("hidden")));
uintptr_t softsgx_altstack_arena_end __attribute__((visibility("hidden")));

static pthread_mutex_t registry_lock = PTHREAD_MUTEX_INITIALIZER;
static struct host_thread *registry;
uint8_t host_slot_used[HOST_ARENA_SLOTS]; /* host.h */
#define slot_used host_slot_used
pthread_key_t host_thread_key; /* host.h */
#define thread_key host_thread_key
bool host_thread_key_ready;
static pthread_once_t init_once = PTHREAD_ONCE_INIT;
static int init_error;
static bool sud_available;

static const int trapped_signals[] = { SIGILL, SIGSEGV, SIGBUS, SIGSYS, SIGFPE, SIGTRAP };
/* Signals users send to stop a program: deliverable in enclave code while their action is SIG_DFL. */
static const int stop_signals[] = { SIGINT, SIGTERM };
static atomic_ullong stop_signals_dfl; /* those of them whose action is SIG_DFL */
/* Signals whose program handler runs behind the trampoline (not the trapped ones). */
static atomic_ullong routed;
/* The previous handlers, for faults that are not softsgx's. */
#define previous host_previous /* forward.c */

#define SA_RESTORER_FLAG 0x04000000


const void *host_previous_action(int sig, unsigned long *flags, uint64_t *mask)
{
	*flags = previous[sig].flags;
	*mask = previous[sig].mask;
	return previous[sig].handler;
}

/* rt_sigaction(2): 0 or -errno, errno untouched (a raw clone()'s is its creator's too). */
static int raw_sigaction(int sig, const struct kernel_sigaction *act, struct kernel_sigaction *old)
{
	return (int)softsgx_raw_syscall(SYS_rt_sigaction, sig, (long)act, (long)old, 8, 0, 0);
}

/*
 * sigaction() as glibc makes it, without the symbol (a preloaded library
 * may route that to softsgx_sigaction()): the C library's own signals are
 * EINVAL, a handler returns through a restorer.
 */
static int libc_sigaction(int sig, const struct sigaction *act, struct sigaction *oldact)
{
	struct kernel_sigaction k, old;

	if (sig == SIGRTMIN - 2 || sig == SIGRTMIN - 1) { /* SIGCANCEL, SIGSETXID */
		errno = EINVAL;
		return -1;
	}
	if (act) {
		k = (struct kernel_sigaction){
			.handler = (act->sa_flags & SA_SIGINFO) ? (void *)act->sa_sigaction
								: (void *)act->sa_handler,
			.flags = (unsigned long)act->sa_flags | SA_RESTORER_FLAG,
			.restorer = softsgx_sig_restorer,
		};
		memcpy(&k.mask, &act->sa_mask, sizeof(k.mask));
	}
	if (sys_rt_sigaction(sig, act ? &k : NULL, oldact ? &old : NULL))
		return -1;
	if (oldact) {
		memset(oldact, 0, sizeof(*oldact));
		oldact->sa_sigaction = old.handler;
		oldact->sa_flags = (int)old.flags;
		oldact->sa_restorer = old.restorer;
		memcpy(&oldact->sa_mask, &old.mask, sizeof(old.mask));
	}
	return 0;
}

static int install_handlers(void)
{
	struct kernel_sigaction act = {
		.handler = (void *)softsgx_sig_trampoline,
		.flags = SA_SIGINFO | SA_ONSTACK | SA_RESTART | SA_RESTORER_FLAG,
		.restorer = softsgx_sig_restorer,
		.mask = ~0ull, /* emulator code runs with every signal blocked */
	};
	size_t i;
	int ret;

	for (i = 0; i < sizeof(trapped_signals) / sizeof(trapped_signals[0]); i++) {
		ret = raw_sigaction(trapped_signals[i], &act, &previous[trapped_signals[i]]);
		if (ret)
			return ret;
	}
	return raw_sigaction(host_ipi_signal(), &act, &previous[host_ipi_signal()]);
}

void host_stop_signals_refresh(void)
{
	struct kernel_sigaction act;
	uint64_t dfl = 0;
	size_t i;

	for (i = 0; i < sizeof(stop_signals) / sizeof(stop_signals[0]); i++)
		if (!raw_sigaction(stop_signals[i], NULL, &act) && act.handler == SIG_DFL)
			dfl |= 1ull << (stop_signals[i] - 1);
	atomic_store(&stop_signals_dfl, dfl);
}

uint64_t host_stop_signals_default(void)
{
	return atomic_load_explicit(&stop_signals_dfl, memory_order_relaxed);
}

static void *arena_reserve(void)
{
	size_t len = (size_t)(ARENA_SLOTS + 1) << HOST_ALTSTACK_SHIFT;
	uint8_t *p = sys_mmap(NULL, len, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	uintptr_t start;

	if (p == MAP_FAILED)
		return NULL;
	start = ((uintptr_t)p + HOST_ALTSTACK_SIZE - 1) & ~(uintptr_t)(HOST_ALTSTACK_SIZE - 1);
	softsgx_altstack_arena_start = start;
	softsgx_altstack_arena_end = start + ((uintptr_t)ARENA_SLOTS << HOST_ALTSTACK_SHIFT);
	return p;
}

static void thread_unregister(void *arg);
static void slot_free_child(struct host_thread *t);

/*
 * A fork()ed child has one thread: the one that forked, with a new thread
 * ID. The others' entries go, or an interrupt would wait for them.
 */
static void atfork_child(void)
{
	struct host_thread *self = pthread_getspecific(thread_key), *t;

	/* A thread that held it is gone. */
	pthread_mutex_init(&registry_lock, NULL);
	for (t = registry; t; t = t->next)
		if (t != self)
			slot_free_child(t);
	registry = self;
	if (self) {
		self->next = NULL;
		self->tid = (int)syscall(SYS_gettid);
	}
}

/* The thread that forks, for its per-thread records in the child (tidlocal.h). */
static int forking_tid;

static void tidlocal_prepare(void)
{
	forking_tid = (int)syscall(SYS_gettid);
}

static void tidlocal_child(void)
{
	sgx_tidlocal_forked(forking_tid);
}

static void process_init(void)
{
	if (pthread_key_create(&thread_key, thread_unregister) || !arena_reserve()) {
		init_error = -ENOMEM;
		return;
	}
	__atomic_store_n(&host_thread_key_ready, true, __ATOMIC_RELEASE);
	sud_available = host_features() & HOST_SUD;
	pthread_atfork(tidlocal_prepare, NULL, tidlocal_child);
	pthread_atfork(NULL, NULL, atfork_child);
	host_fpu_init();
	host_stop_signals_refresh();
	init_error = install_handlers();
}

void host_thread_bases_refresh(struct host_thread *t)
{
	unsigned long fs = 0, gs = 0;

	if (t->fsgsbase) {
		__asm__ volatile("rdfsbase %0\n\trdgsbase %1" : "=r"(fs), "=r"(gs));
	} else {
		syscall(SYS_arch_prctl, ARCH_GET_FS, &fs);
		syscall(SYS_arch_prctl, ARCH_GET_GS, &gs);
	}
	t->host_fs = fs;
	t->host_gs = gs;
}

static size_t slot_index(const struct host_thread *t)
{
	return ((uintptr_t)t - softsgx_altstack_arena_start) >> HOST_ALTSTACK_SHIFT;
}

static struct host_thread *slot_alloc(void)
{
	struct host_thread *t = NULL;
	int i;

	pthread_mutex_lock(&registry_lock);
	for (i = 0; i < ARENA_SLOTS && !t; i++) {
		if (__atomic_load_n(&slot_used[i], __ATOMIC_ACQUIRE) == HOST_SLOT_FREE) {
			__atomic_store_n(&slot_used[i], HOST_SLOT_RESERVED, __ATOMIC_RELEASE);
			t = (struct host_thread *)(softsgx_altstack_arena_start +
						   ((uintptr_t)i << HOST_ALTSTACK_SHIFT));
		}
	}
	/* The slot of a thread that exited by its own system call, once the thread is gone. */
	for (i = 0; i < ARENA_SLOTS && !t; i++) {
		struct host_thread *x = (struct host_thread *)(softsgx_altstack_arena_start +
							       ((uintptr_t)i << HOST_ALTSTACK_SHIFT));

		if (__atomic_load_n(&slot_used[i], __ATOMIC_ACQUIRE) == HOST_SLOT_EXITED &&
		    syscall(SYS_tgkill, getpid(), x->tid, 0) == -1 && errno == ESRCH) {
			__atomic_store_n(&slot_used[i], HOST_SLOT_RESERVED, __ATOMIC_RELEASE);
			t = x;
		}
	}
	pthread_mutex_unlock(&registry_lock);
	if (t && sys_mprotect(t, HOST_ALTSTACK_SIZE, PROT_READ | PROT_WRITE)) {
		pthread_mutex_lock(&registry_lock);
		__atomic_store_n(&slot_used[slot_index(t)], 0, __ATOMIC_RELEASE);
		pthread_mutex_unlock(&registry_lock);
		t = NULL;
	}
	return t;
}

static void slot_free(struct host_thread *t)
{
	/* The slot stays mapped: an interrupt may still read a thread that just left. */
	__atomic_store_n(&t->tid, 0, __ATOMIC_RELAXED); /* host_thread_self() */
	pthread_mutex_lock(&registry_lock);
	__atomic_store_n(&slot_used[slot_index(t)], 0, __ATOMIC_RELEASE);
	pthread_mutex_unlock(&registry_lock);
}

static int thread_setup(struct host_thread *t, struct sgx_platform *plat)
{
	stack_t ss = { .ss_sp = (uint8_t *)t + HOST_ALTSTACK_GUARD,
		       .ss_size = HOST_ALTSTACK_SIZE - HOST_ALTSTACK_GUARD };
	const size_t after = __builtin_offsetof(struct host_thread, elrange_base);
	int ret;

	/*
	 * A reused slot keeps @exits and @waiters untouched: an interrupt
	 * sender that snapshotted the previous thread may still wait on them,
	 * and a count reset to its snapshot would keep it waiting.
	 */
	_Static_assert(__builtin_offsetof(struct host_thread, waiters) <
		       __builtin_offsetof(struct host_thread, elrange_base), "host_thread layout");
	_Static_assert(__builtin_offsetof(struct host_thread, exits) -
			       __builtin_offsetof(struct host_thread, tid) <= 2 * sizeof(int),
		       "only @tid and @inside lie between the memset and @exits");
	/* The thread ID, which host_thread_self() of other threads reads, by atomic stores only. */
	memset(t, 0, __builtin_offsetof(struct host_thread, tid));
	atomic_store(&t->inside, false);
	atomic_store(&t->interrupts, 0);
	memset((uint8_t *)t + after, 0, sizeof(*t) - after);
	t->plat = plat;
	t->lp = sgx_current_lp(plat);
	__atomic_store_n(&t->tid, (int)syscall(SYS_gettid), __ATOMIC_RELAXED);
	t->fsgsbase = (host_features() & HOST_FSGSBASE) != 0;
	t->rdbase = !t->fsgsbase && (host_features() & HOST_FSGSBASE_READ);
	t->tsc_faulting = t->plat->cpu && !sgx_cpu_config(t->plat->cpu)->sgx2 &&
			  (host_features() & HOST_TSC_FAULTING);
	host_thread_bases_refresh(t);
	/* The program's own alternate stack is kept for it (host_sigaltstack()). */
	if (sys_sigaltstack(&ss, &t->prog_ss))
		return -errno;
	/* Syscalls outside entry.S are dispatched (SIGSYS) while the selector says block. */
	if (sud_available &&
	    prctl(PR_SET_SYSCALL_USER_DISPATCH, PR_SYS_DISPATCH_ON,
		  (unsigned long)softsgx_host_text_start,
		  (unsigned long)(softsgx_host_text_end - softsgx_host_text_start), &t->selector)) {
		ret = -errno;
		goto err_altstack;
	}
	t->sud = sud_available;
	/*
	 * CPUID faulting stays on for the thread's life: CPUID in enclave code
	 * is #UD, and host code's CPUID is run by the handler (host_cpuid()).
	 * Turning it on and off at every entry and exit would write an MSR, a
	 * VM exit in a virtual machine, each time.
	 */
	t->cpuid_faulting = (host_features() & HOST_CPUID_FAULTING) &&
			    !syscall(SYS_arch_prctl, ARCH_SET_CPUID, 0);
	return 0;

err_altstack:
	/* The slot goes back to the arena: the thread must not keep it as its stack. */
	ss = (stack_t){ .ss_flags = SS_DISABLE };
	sys_sigaltstack(&ss, NULL);
	return ret;
}

/* In a fork()ed child, whose other threads are gone: no lock can be held. */
static void slot_free_child(struct host_thread *t)
{
	atomic_store(&t->inside, false);
	__atomic_store_n(&slot_used[slot_index(t)], 0, __ATOMIC_RELEASE);
}

static struct host_thread *thread_register(struct sgx_platform *plat, bool claim_tls)
{
	struct host_thread *t = slot_alloc();

	if (!t)
		return NULL;
	if (thread_setup(t, plat)) {
		slot_free(t);
		return NULL;
	}
	/* host_thread_self() may read it from now on: its memory and its thread ID are set. */
	__atomic_store_n(&slot_used[slot_index(t)], HOST_SLOT_USED, __ATOMIC_RELEASE);
	if (claim_tls)
		pthread_setspecific(thread_key, t);
	pthread_mutex_lock(&registry_lock);
	t->next = registry;
	registry = t;
	pthread_mutex_unlock(&registry_lock);
	/* A second thread: the C library has installed SIGSETXID by now. */
	host_adopt_libc_signals();
	return t;
}

struct host_thread *host_thread_get(void)
{
	struct sgx_platform *plat = sgx_platform_get();
	struct host_thread *t;

	if (!plat || host_init(plat))
		return NULL;
	t = pthread_getspecific(thread_key);
	return t ? t : thread_register(plat, true);
}

/*
 * Whether the C library's thread data that the FS base points to is the
 * calling thread's own: a thread made by a raw clone() without
 * CLONE_SETTLS shares its creator's, and its stack (@sp) is elsewhere.
 */
static bool owns_tls(uintptr_t sp)
{
	pthread_attr_t attr;
	size_t size;
	void *addr;
	bool own = false;

	if (pthread_getattr_np(pthread_self(), &attr))
		return false;
	if (!pthread_attr_getstack(&attr, &addr, &size))
		own = sp >= (uintptr_t)addr && sp - (uintptr_t)addr <= size;
	pthread_attr_destroy(&attr);
	return own;
}

struct host_thread *host_thread_get_at(uintptr_t sp)
{
	struct sgx_platform *plat = sgx_platform_get();
	struct host_thread *t;

	if (!plat || host_init(plat))
		return NULL;
	t = host_thread_self();
	if (t)
		return t;
	/* The thread data may be another thread's, which keeps its own key there. */
	return thread_register(plat, !pthread_getspecific(thread_key) && owns_tls(sp));
}

void host_thread_exit(struct host_thread *t)
{
	struct host_thread **pp;

	pthread_mutex_lock(&registry_lock);
	for (pp = &registry; *pp; pp = &(*pp)->next) {
		if (*pp == t) {
			*pp = t->next;
			break;
		}
	}
	/* It runs on the slot until it is gone: slot_alloc() waits for that. */
	__atomic_store_n(&slot_used[slot_index(t)], HOST_SLOT_EXITED, __ATOMIC_RELEASE);
	pthread_mutex_unlock(&registry_lock);
}

static void thread_unregister(void *arg)
{
	struct host_thread *t = arg, **pp;
	stack_t ss = { .ss_flags = SS_DISABLE };

	pthread_mutex_lock(&registry_lock);
	for (pp = &registry; *pp; pp = &(*pp)->next) {
		if (*pp == t) {
			*pp = t->next;
			break;
		}
	}
	pthread_mutex_unlock(&registry_lock);
	if (sud_available)
		prctl(PR_SET_SYSCALL_USER_DISPATCH, PR_SYS_DISPATCH_OFF, 0, 0, 0);
	if (t->cpuid_faulting)
		syscall(SYS_arch_prctl, ARCH_SET_CPUID, 1);
	sys_sigaltstack(&ss, NULL);
	slot_free(t);
}

void host_cpuid(struct host_thread *t, uint32_t regs[4])
{
	struct sgx_platform *plat = t ? t->plat : sgx_platform_peek();
	uint32_t leaf = regs[0], subleaf = regs[2];

	syscall(SYS_arch_prctl, ARCH_SET_CPUID, 1);
	__asm__ volatile("cpuid" : "+a"(regs[0]), "=b"(regs[1]), "+c"(regs[2]), "=d"(regs[3]));
	syscall(SYS_arch_prctl, ARCH_SET_CPUID, 0);
	/* What the program sees of SGX is the emulated processor's. */
	if (plat && plat->cpu)
		sgx_cpu_cpuid(plat->cpu, leaf, subleaf, regs);
}

int host_cpuid_faulting_on(void)
{
	if (!(host_features() & HOST_CPUID_FAULTING))
		return -ENODEV;
	return syscall(SYS_arch_prctl, ARCH_SET_CPUID, 0) ? -errno : 0;
}

void host_thread_left(struct host_thread *t)
{
	if (trace_on())
		trace_enclave_leave();
	host_thread_not_entered(t);
}

void host_thread_not_entered(struct host_thread *t)
{
	struct sgx_encl *encl = t->encl;

	atomic_store(&t->inside, false);
	/* The last reference when the program unmapped and closed the enclave meanwhile. */
	t->encl = NULL;
	if (encl)
		sgx_encl_put(encl);
	atomic_fetch_add(&t->exits, 1);
	/* Only an interrupt sender waits (a 1 ms timed wait: a missed wake costs no more). */
	if (atomic_load(&t->waiters))
		syscall(SYS_futex, &t->exits, FUTEX_WAKE, INT32_MAX, NULL, NULL, 0);
}

/*
 * The driver's "interrupt every thread inside @encl (NULL: any enclave) and
 * wait": a signal to each such thread; its handler performs the AEX. Threads running
 * emulator code take it when they return to enclave code, or never need
 * it (EEXIT).
 */
static unsigned int host_interrupt(void *ctx, struct sgx_encl *encl)
{
	struct host_thread *t, *targets[ARENA_SLOTS];
	unsigned int snapshot[ARENA_SLOTS], n = 0, i;
	pid_t pid = getpid(), tids[ARENA_SLOTS];

	(void)ctx;
	pthread_mutex_lock(&registry_lock);
	for (t = registry; t && n < ARENA_SLOTS; t = t->next) {
		snapshot[n] = atomic_load(&t->exits);
		if (!atomic_load(&t->inside) ||
		    (encl && __atomic_load_n(&t->elrange_base, __ATOMIC_RELAXED) != encl->base))
			continue;
		/* Read while registered: a thread that leaves clears it (slot_free()). */
		tids[n] = __atomic_load_n(&t->tid, __ATOMIC_RELAXED);
		targets[n++] = t;
	}
	pthread_mutex_unlock(&registry_lock);
	/* One that left meanwhile is gone (ESRCH) or takes a signal it ignores outside. */
	for (i = 0; i < n; i++)
		syscall(SYS_tgkill, pid, tids[i], host_ipi_signal());
	for (i = 0; i < n; i++) {
		struct timespec tick = { .tv_nsec = 1000000 };
		unsigned int spins;

		/* A handler's AEX and ERESUME take microseconds; being woken from a futex takes more. */
		for (spins = 0; spins < IPI_SPINS && atomic_load(&targets[i]->exits) == snapshot[i]; spins++)
			__builtin_ia32_pause();
		atomic_fetch_add(&targets[i]->waiters, 1);
		while (atomic_load(&targets[i]->exits) == snapshot[i])
			syscall(SYS_futex, &targets[i]->exits, FUTEX_WAIT, snapshot[i], &tick, NULL, 0);
		atomic_fetch_sub(&targets[i]->waiters, 1);
	}
	return n;
}

/* The interrupt, given to the platform once (host_thread_get() made it exist). */
static void ipi_install(void)
{
	const struct sgx_ipi_ops ipi = { .interrupt = host_interrupt,
					  .own_signals = host_signal_mask() };

	sgx_platform_set_ipi(sgx_platform_get(), &ipi);
}

int host_start(void)
{
	pthread_once(&init_once, process_init);
	return init_error;
}

int host_init(struct sgx_platform *plat)
{
	static pthread_once_t ipi_once = PTHREAD_ONCE_INIT;

	(void)plat; /* the process's platform: the only one */
	pthread_once(&init_once, process_init);
	/*
	 * Every thread waits until the interrupt is installed: one that entered
	 * before would run where the ETRACK flow cannot interrupt it.
	 */
	if (!init_error)
		pthread_once(&ipi_once, ipi_install);
	return init_error;
}

static bool is_trapped(int sig)
{
	size_t i;

	for (i = 0; i < sizeof(trapped_signals) / sizeof(trapped_signals[0]); i++)
		if (trapped_signals[i] == sig)
			return true;
	return false;
}

/*
 * The trampoline as the kernel's action for @sig on behalf of a program's
 * handler with @flags: the kernel's part of them (restart, SIGCHLD's)
 * stays with the kernel; emulator code runs with every signal blocked.
 */
static struct kernel_sigaction trampoline_action(unsigned long flags)
{
	return (struct kernel_sigaction){
		.handler = (void *)softsgx_sig_trampoline,
		.flags = SA_SIGINFO | SA_ONSTACK | SA_RESTORER_FLAG |
			 (flags & (SA_RESTART | SA_NOCLDSTOP | SA_NOCLDWAIT)),
		.restorer = softsgx_sig_restorer,
		.mask = ~0ull,
	};
}

static void *handler_of(const struct sigaction *a)
{
	return (a->sa_flags & SA_SIGINFO) ? (void *)a->sa_sigaction : (void *)a->sa_handler;
}

static struct kernel_sigaction kernel_form(const struct sigaction *a)
{
	struct kernel_sigaction k = { .handler = handler_of(a), .flags = (unsigned long)a->sa_flags };

	memcpy(&k.mask, &a->sa_mask, sizeof(k.mask));
	return k;
}

uint64_t host_routed_signals(void)
{
	return atomic_load_explicit(&routed, memory_order_relaxed);
}

/*
 * Serializes changes of previous[], routed and the kernel's actions. Taken
 * with every signal blocked: a handler that resets its action
 * (SA_RESETHAND) may run on any thread, the holder's too.
 */
static pthread_mutex_t action_lock = PTHREAD_MUTEX_INITIALIZER;

static void action_lock_take(uint64_t *saved)
{
	const uint64_t all = ~0ull;

	sys_sigprocmask(SIG_SETMASK, &all, saved);
	pthread_mutex_lock(&action_lock);
}

static void action_lock_drop(const uint64_t *saved)
{
	pthread_mutex_unlock(&action_lock);
	sys_sigprocmask(SIG_SETMASK, saved, NULL);
}

/*
 * @sig's action becomes the program's handler @k behind the trampoline
 * (@k->handler a function) or, for SIG_DFL and SIG_IGN, the kernel's own.
 * Under action_lock. Return: 0 or -errno.
 */
static int set_action(int sig, const struct kernel_sigaction *k)
{
	uint64_t bit = 1ull << (sig - 1);
	struct kernel_sigaction saved = previous[sig], tramp;
	int ret;

	if (is_trapped(sig)) {
		previous[sig] = *k; /* softsgx's trampoline stays */
		return 0;
	}
	if (k->handler == SIG_DFL || k->handler == SIG_IGN) {
		struct kernel_sigaction kk = *k;

		kk.flags |= SA_RESTORER_FLAG;
		kk.restorer = softsgx_sig_restorer;
		ret = raw_sigaction(sig, &kk, NULL);
		if (!ret)
			atomic_fetch_and(&routed, ~bit);
		return ret;
	}
	/* The program's action first: a signal that comes meanwhile finds it. */
	previous[sig] = *k;
	tramp = trampoline_action(k->flags);
	ret = raw_sigaction(sig, &tramp, NULL);
	if (ret) {
		previous[sig] = saved;
		return ret;
	}
	atomic_fetch_or(&routed, bit);
	return 0;
}

void host_reset_action(int sig)
{
	const struct kernel_sigaction dfl = { .handler = SIG_DFL };
	uint64_t saved;

	action_lock_take(&saved);
	set_action(sig, &dfl);
	action_lock_drop(&saved);
}

void host_adopt_libc_signals(void)
{
	const int libc_signals[] = { SIGRTMIN - 2, SIGRTMIN - 1 }; /* SIGCANCEL, SIGSETXID */
	struct kernel_sigaction k;
	uint64_t saved;
	size_t i;

	if (pthread_once(&init_once, process_init), init_error)
		return;
	for (i = 0; i < sizeof(libc_signals) / sizeof(libc_signals[0]); i++) {
		int sig = libc_signals[i];

		if (host_routed_signals() & (1ull << (sig - 1)))
			continue;
		action_lock_take(&saved);
		/* The C library installs them itself, when it first needs them. */
		if (!raw_sigaction(sig, NULL, &k) && k.handler != SIG_DFL && k.handler != SIG_IGN &&
		    k.handler != (void *)softsgx_sig_trampoline)
			set_action(sig, &k);
		action_lock_drop(&saved);
	}
}

/*
 * @sig's action: the program's old one into @old, @act (if any) the new
 * one, behind the trampoline. Both in the kernel's form. 0 or -errno.
 */
static int action_change(int sig, const struct kernel_sigaction *act, struct kernel_sigaction *old)
{
	uint64_t saved;
	int ret = 0;

	memset(old, 0, sizeof(*old));
	action_lock_take(&saved);
	if (is_trapped(sig) || (host_routed_signals() & (1ull << (sig - 1))))
		*old = previous[sig];
	else
		ret = raw_sigaction(sig, NULL, old);
	/* The restorer softsgx gives the kernel for a default action is not the program's. */
	if (old->restorer == softsgx_sig_restorer) {
		old->restorer = NULL;
		old->flags &= ~(unsigned long)SA_RESTORER_FLAG;
	}
	if (!ret && act)
		ret = set_action(sig, act);
	action_lock_drop(&saved);
	if (act && !ret)
		host_stop_signals_refresh(); /* SIGINT or SIGTERM may have changed */
	return ret;
}

int softsgx_sigaction(int sig, const struct sigaction *act, struct sigaction *oldact)
{
	struct sigaction new, old;
	struct kernel_sigaction k, kold;
	int ret;

	pthread_once(&init_once, process_init);
	if (init_error) {
		ret = libc_sigaction(sig, act, oldact);
		return ret;
	}
	if (sig == host_ipi_signal()) {
		errno = EINVAL; /* reserved for the interrupt of threads inside enclaves */
		return -1;
	}
	/* The program's structures are read and written as rt_sigaction(2) would: EFAULT. */
	if (act && copy_from_user(&new, act, sizeof(new))) {
		errno = EFAULT;
		return -1;
	}
	/* sigaction(2)'s own refusals: no such signal, SIGKILL, SIGSTOP, the C library's. */
	if (sig < 1 || sig > 64 || sig == SIGRTMIN - 2 || sig == SIGRTMIN - 1 ||
	    (act && (sig == SIGKILL || sig == SIGSTOP))) {
		errno = EINVAL;
		return -1;
	}
	if (act)
		k = kernel_form(&new);
	ret = action_change(sig, act ? &k : NULL, &kold);
	if (ret) {
		errno = -ret;
		return -1;
	}
	memset(&old, 0, sizeof(old));
	old.sa_sigaction = kold.handler;
	old.sa_flags = (int)(kold.flags & ~(unsigned long)SA_RESTORER_FLAG);
	memcpy(&old.sa_mask, &kold.mask, sizeof(kold.mask));
	if (oldact && copy_to_user(oldact, &old, sizeof(old))) {
		errno = EFAULT;
		return -1;
	}
	return 0;
}

int host_raw_sigaction(int sig, const struct kernel_sigaction *act, struct kernel_sigaction *oldact)
{
	struct kernel_sigaction k, old;
	int ret;

	if (pthread_once(&init_once, process_init), init_error)
		return init_error;
	if (sig == host_ipi_signal())
		return -EINVAL;
	if (act && copy_from_user(&k, act, sizeof(k)))
		return -EFAULT;
	if (sig < 1 || sig > 64 || (act && (sig == SIGKILL || sig == SIGSTOP)))
		return -EINVAL;
	ret = action_change(sig, act ? &k : NULL, &old);
	if (ret)
		return ret;
	if (oldact && copy_to_user(oldact, &old, sizeof(old)))
		return -EFAULT;
	return 0;
}

#ifndef SS_AUTODISARM
#define SS_AUTODISARM (1u << 31) /* linux/signal.h */
#endif

/* The calling thread's context if it is registered; never registers it. */
static struct host_thread *registered_self(void)
{
	struct host_thread *t;

	if (!sgx_platform_peek() || pthread_once(&init_once, process_init) || init_error)
		return NULL;
	t = pthread_getspecific(thread_key);
	return t && __atomic_load_n(&t->tid, __ATOMIC_RELAXED) == (int)syscall(SYS_gettid) ? t : NULL;
}

int host_sigaltstack(const stack_t *ss, stack_t *old)
{
	return (int)sys_result(host_sigaltstack_at(ss, old, (uintptr_t)__builtin_frame_address(0)));
}

int host_sigaltstack_at(const stack_t *ss, stack_t *old, uintptr_t sp)
{
	struct host_thread *t = sgx_platform_peek() ? host_thread_self() : NULL;
	stack_t in, out;
	bool on;

	if (!t)
		return (int)softsgx_raw_syscall(SYS_sigaltstack, (long)ss, (long)old, 0, 0, 0, 0);
	if (ss && copy_from_user(&in, ss, sizeof(in)))
		return -EFAULT;
	/* In a handler on the program's alternate stack (on_sig_stack()). */
	on = !(t->prog_ss.ss_flags & SS_DISABLE) && t->prog_ss.ss_size &&
	     sp > (uintptr_t)t->prog_ss.ss_sp && sp - (uintptr_t)t->prog_ss.ss_sp <= t->prog_ss.ss_size;
	out = t->prog_ss;
	out.ss_flags = !out.ss_size || (out.ss_flags & SS_DISABLE)
			       ? SS_DISABLE
			       : (int)((unsigned int)out.ss_flags & SS_AUTODISARM) | (on ? SS_ONSTACK : 0);
	if (ss) {
		int mode = (int)((unsigned int)in.ss_flags & ~SS_AUTODISARM);

		if (mode != 0 && mode != SS_ONSTACK && mode != SS_DISABLE)
			return -EINVAL;
		if (on)
			return -EPERM;
		if (mode == SS_DISABLE)
			in = (stack_t){ .ss_flags = SS_DISABLE };
		else if (in.ss_size < (size_t)sysconf(_SC_MINSIGSTKSZ))
			return -ENOMEM;
		in.ss_flags &= ~SS_ONSTACK;
	}
	if (old && copy_to_user(old, &out, sizeof(out)))
		return -EFAULT;
	if (ss)
		t->prog_ss = in;
	return 0;
}

void host_bases_changed(void)
{
	/* Only a thread that runs enclaves keeps them; its host state is where this is called. */
	struct host_thread *t = registered_self();

	if (t && atomic_load(&t->state) == HOST_STATE_HOST)
		host_thread_bases_refresh(t);
}

int softsgx_thread_init(void)
{
	struct host_thread *t = host_thread_get();

	if (!t) {
		errno = ENOMEM;
		return -1;
	}
	/* What the entry function keeps between calls, read anew. */
	if (atomic_load(&t->state) == HOST_STATE_HOST)
		host_thread_bases_refresh(t);
	host_stop_signals_refresh();
	return 0;
}
