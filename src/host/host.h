/* SPDX-License-Identifier: MIT */
/*
 * The bridge to the real process: per-thread enclave mode, the signal
 * trampolines that turn hardware traps of enclave code into processor and
 * driver calls, the interrupt of threads inside an enclave, and the
 * vDSO-compatible entry function (entry.S).
 *
 * Thread states (struct host_thread.state):
 *
 *   HOST --EENTER/ERESUME (entry function or a trapped ENCLU)--> ENCLAVE
 *   ENCLAVE --trap (ENCLU, #PF, #UD, ... or the interrupt signal)--> EMU
 *   EMU --leaf done, fault resolved (ERESUME)--> ENCLAVE
 *   EMU --EEXIT, or an exception reported after AEX--> HOST
 *
 * HOST: host code runs with the host's FS/GS bases and syscalls allowed.
 * ENCLAVE: enclave code runs natively with the enclave's FS/GS bases,
 *   syscalls blocked (Syscall User Dispatch selector), and every signal
 *   blocked but softsgx's own (the traps and the interrupt): the program's
 *   signals wait for the exit to HOST, whose mask (t->prog_mask) the
 *   program had at entry. CPUID faults in every state of a registered
 *   thread; host code's CPUID is emulated.
 * EMU: emulator code runs in a signal handler on the thread's alternate
 *   stack with the host's FS/GS, every softsgx signal blocked.
 * The logical processor is in enclave mode (t->inside) from just before an
 * EENTER/ERESUME (under mmap_lock, so an ETRACK flow cannot miss it) to the
 * AEX or EEXIT, or to the leaf's failure; that is what the interrupt waits for.
 *
 * Lock order (driver/driver.h): plat->mmap_lock -> encl->lock -> ...;
 * registry_lock (thread.c) is a leaf lock: nothing else is taken under it.
 * host_interrupt() runs with mmap_lock held for reading and encl->lock
 * held, and waits there for its targets' AEX: the interrupt's way to the
 * AEX (the handler in trap.c) takes mmap_lock for reading only, never
 * encl->lock, and no target may keep the interrupt signal blocked.
 */
#ifndef SOFTSGX_HOST_H
#define SOFTSGX_HOST_H

/* Layout shared with entry.S. */
#define HOST_ALTSTACK_SHIFT 18 /* 256 KiB per thread: context at the bottom, stack above */
#define HOST_ALTSTACK_SIZE (1 << HOST_ALTSTACK_SHIFT)
#define HOST_ALTSTACK_GUARD 4096 /* the context's page, below the stack proper */
#define HOST_T_STATE 0
#define HOST_T_SELECTOR 4
#define HOST_T_FSGSBASE 5
#define HOST_T_SUD 6
#define HOST_T_RDBASE 7
#define HOST_T_HOST_FS 8
#define HOST_T_HOST_GS 16
#define HOST_T_ENCL_FS 24
#define HOST_T_ENCL_GS 32

/* struct fast_enter (trap.c): sgx_regs at 0 (GPRs in its order, RFLAGS @128, RIP @136). */
#define HOST_FE_RSP 32
#define HOST_FE_RFLAGS 128
#define HOST_FE_RIP 136
#define HOST_FE_T 176
#define HOST_FE_UC 192
#define HOST_FE_XSAVE 4096 /* its XSAVE image (uc's fpregs); larger states take the trap path */
#define HOST_FE_FRAME 5336 /* >= sizeof(struct fast_enter), = 8 (mod 16) for the call */

#define HOST_STATE_HOST 0
#define HOST_STATE_ENCLAVE 1
#define HOST_STATE_EMU 2

#ifndef __ASSEMBLER__

#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <ucontext.h>

#include "cpu/cpu.h"

struct sgx_platform;
struct sgx_encl;

/* The kernel's struct sigaction (rt_sigaction with a sigset size of 8). */
struct kernel_sigaction {
	void *handler;
	unsigned long flags;
	void (*restorer)(void);
	uint64_t mask;
};

struct host_thread {
	/* read and written by entry.S: keep the offsets above */
	atomic_int state;
	uint8_t selector;          /* Syscall User Dispatch: 0 allow, 1 block */
	uint8_t fsgsbase;          /* RDFSBASE & co. usable */
	uint8_t sud;               /* Syscall User Dispatch on: enclave code makes no system call */
	uint8_t rdbase;            /* without @fsgsbase: RDFSBASE/RDGSBASE execute all the same, and
				    * read what enclave code's own WRFSBASE/WRGSBASE left */
	uint64_t host_fs;
	uint64_t host_gs;
	uint64_t encl_fs;
	uint64_t encl_gs;
	/* C only */
	struct sgx_platform *plat;
	struct sgx_lp *lp;
	int tid;
	atomic_bool inside;        /* the LP is in enclave mode */
	atomic_uint exits;         /* AEX + EEXIT count (futex word for the interrupt); kept,
				    * with @waiters, when the slot is reused */
	atomic_uint interrupts;    /* interrupt signals that made this thread AEX */
	atomic_uint waiters;       /* interrupt senders waiting on @exits */
	uint64_t elrange_base;     /* the enclave it runs in (its ELRANGE base) */
	struct sgx_encl *encl;     /* that enclave, kept alive while the LP is inside (as
				    * Linux's mm keeps it until exit): an AEX after munmap
				    * and close still finds its pages */
	bool cpuid_faulting;       /* CPUID faults on this thread (ARCH_SET_CPUID) */
	bool tsc_faulting;         /* SGX1: RDTSC faults while the thread runs enclave code */
	bool prog_mask_saved;      /* @prog_mask holds the mask for a trapped EENTER/ERESUME */
	uint64_t prog_mask;        /* the program's signal mask, restored when it leaves ENCLAVE */
	uint64_t encl_mask;        /* the mask in ENCLAVE (trap.c: enclave_sigmask()) */
	stack_t prog_ss;           /* the alternate stack the program set for the thread (ours
				    * is the kernel's: host_sigaltstack()) */
	struct {                   /* the last fault of enclave code the driver resolved */
		uint64_t rip, addr;
		uint32_t error_code;
		unsigned int count; /* how often in a row (trap.c: resolved_again()) */
	} resolved;
	struct host_insn {         /* the bytes around the trapping instruction of enclave code,
				    * read once per trap (trap.c: insn_snapshot()) */
		uint64_t start;
		uint8_t len;
		uint8_t b[2 + 16];
	} insn;
	struct host_thread *next;  /* registry */
};

_Static_assert(__builtin_offsetof(struct host_thread, state) == HOST_T_STATE, "asm offset");
_Static_assert(__builtin_offsetof(struct host_thread, selector) == HOST_T_SELECTOR, "asm offset");
_Static_assert(__builtin_offsetof(struct host_thread, fsgsbase) == HOST_T_FSGSBASE, "asm offset");
_Static_assert(__builtin_offsetof(struct host_thread, sud) == HOST_T_SUD, "asm offset");
_Static_assert(__builtin_offsetof(struct host_thread, rdbase) == HOST_T_RDBASE, "asm offset");
_Static_assert(__builtin_offsetof(struct host_thread, host_fs) == HOST_T_HOST_FS, "asm offset");
_Static_assert(__builtin_offsetof(struct host_thread, host_gs) == HOST_T_HOST_GS, "asm offset");
_Static_assert(__builtin_offsetof(struct host_thread, encl_fs) == HOST_T_ENCL_FS, "asm offset");
_Static_assert(__builtin_offsetof(struct host_thread, encl_gs) == HOST_T_ENCL_GS, "asm offset");

/* entry.S */
extern const char softsgx_vdso_enclu[];      /* the entry function's ENCLU: its AEP */
extern const char softsgx_vdso_exception[];  /* where it reports an exception */
extern const char softsgx_host_text_start[];  /* the region where syscalls are always allowed */
extern const char softsgx_host_text_end[];
void softsgx_sig_trampoline(int sig, siginfo_t *info, void *uc);
/*
 * The byte at @p, or -1 if reading it faults (once softsgx's handlers are
 * installed: host_start()); no system call.
 */
int softsgx_probe_byte(const void *p);
/* fn(arg) on the stack that ends at @top (16-byte aligned). */
void softsgx_call_on_stack(void (*fn)(void *), void *arg, void *top);
extern const char softsgx_probe_fault[];
void softsgx_sig_restorer(void);
/* The altstack arena [start, end): entry.S tells a registered thread by its RSP. */
extern uintptr_t softsgx_altstack_arena_start;
extern uintptr_t softsgx_altstack_arena_end;

/* thread.c */
/* The calling thread's context, registering it on first use. NULL if it cannot be. */
struct host_thread *host_thread_get(void);
/*
 * The same for a thread that may not own the C library's thread data its
 * FS base shows (a raw clone()): found by its thread ID; @sp, its stack
 * pointer, tells whether that thread data is its own to keep it in.
 */
struct host_thread *host_thread_get_at(uintptr_t sp);
/*
 * Install the signal handlers (once per process), before any enclave
 * exists: a preloaded library's start, so that every handler the program
 * installs goes behind them. 0 or -errno.
 */
int host_start(void);
/* Install the signal handlers and the interrupt (once per process). 0 or -errno. */
int host_init(struct sgx_platform *plat);
/* The signal that interrupts threads inside an enclave. */
static inline int host_ipi_signal(void)
{
	return SIGRTMAX - 1;
}

/*
 * softsgx's signals (the trapped ones and the interrupt) as a kernel
 * sigset. Inline: code that may call nothing instrumented uses it.
 */
static inline uint64_t host_signal_mask(void)
{
	return 1ull << (SIGILL - 1) | 1ull << (SIGSEGV - 1) | 1ull << (SIGBUS - 1) |
	       1ull << (SIGSYS - 1) | 1ull << (SIGFPE - 1) | 1ull << (SIGTRAP - 1) |
	       1ull << (host_ipi_signal() - 1);
}
/*
 * forward.c: the program's actions behind the trampoline, by signal
 * number (written under thread.c's action_lock).
 */
extern struct kernel_sigaction host_previous[65];
/*
 * forward.c: deliver @sig to the program's handler @a as the kernel
 * would: a kernel-shaped frame on the program's stack (its alternate
 * stack with SA_ONSTACK), and @uc, softsgx's own frame, changed so that
 * its rt_sigreturn enters the handler with the mask the kernel gives it.
 * The caller returns at once.
 */
void host_deliver(int sig, const siginfo_t *info, ucontext_t *uc, const struct kernel_sigaction *a);
/*
 * forward.c: a program frame's ucontext @uc on its way back (rt_sigreturn):
 * the program's view of the mask and of its alternate stack (@t: the
 * thread, if softsgx runs enclaves on it) into softsgx's, leaving @uc as
 * the kernel's rt_sigreturn must find it.
 */
void host_prog_sigreturn(ucontext_t *uc, struct host_thread *t);
/* The size of the extended state in a kernel signal frame @uc (its trailer included). */
size_t host_fpstate_size(const ucontext_t *uc);
/* The restorer of program handlers installed without one of their own (entry.S). */
void softsgx_prog_restorer(void);
/*
 * trap.c: fn(arg) on a stack of softsgx's (one for the process, taken in
 * turn), off the alternate stack a handler runs on: sigaltstack() may
 * change that one there. false if the stack stayed busy.
 */
bool host_call_on_spare_stack(void (*fn)(void *), void *arg);
/*
 * trap.c: register the calling thread from a handler whose frame is @uc
 * (its alternate stack becomes softsgx's, in @uc too). NULL if it cannot.
 */
struct host_thread *host_register_from_trap(ucontext_t *uc);
/* The calling thread's context if it runs enclaves: by thread ID, no TLS, no lock. */
struct host_thread *host_thread_self(void);
/*
 * The program's code whose own system calls softsgx traps (a seccomp
 * filter: preload/rawsys.c): set once, before the filter, read by
 * signal handlers.
 */
#define HOST_RAW_TEXT_MAX 8
struct host_range {
	uintptr_t start, end;
};
extern struct host_range host_raw_text[HOST_RAW_TEXT_MAX];
extern unsigned int host_raw_text_count;
static inline bool host_raw_text_contains(uintptr_t addr)
{
	unsigned int i;

	for (i = 0; i < host_raw_text_count; i++)
		if (addr >= host_raw_text[i].start && addr < host_raw_text[i].end)
			return true;
	return false;
}
/*
 * trap.c: where SIGSYS of softsgx's seccomp filter goes (a trapped system
 * call of the program's own, @uc its state, RIP past the instruction): set
 * by whoever installs the filter. Its SECCOMP_RET_DATA, which the signal
 * carries in si_errno, tells it from a program's own filter.
 */
#define HOST_SECCOMP_DATA 0x5347
extern void (*host_raw_syscall_hook)(ucontext_t *uc);
#define HOST_ARENA_SLOTS 1024
/*
 * thread.c: which arena slots hold a thread (read without a lock by
 * host_thread_self(), which reads only slots in use): free, being set up,
 * in use, or left by a thread that exited by its own system call, to be
 * taken again once that thread is gone.
 */
#define HOST_SLOT_FREE 0
#define HOST_SLOT_USED 1
#define HOST_SLOT_EXITED 2
#define HOST_SLOT_RESERVED 3 /* being set up: its memory may not be readable yet */
/* The calling thread @t ends by its own exit(2): out of the registry, its slot to be reused. */
void host_thread_exit(struct host_thread *t);
extern uint8_t host_slot_used[HOST_ARENA_SLOTS];
/* The action the program had for @sig before softsgx took it (or set through softsgx_sigaction). */
const void *host_previous_action(int sig, unsigned long *flags, uint64_t *mask);
/*
 * Signals with a program handler that runs behind softsgx's trampoline
 * (softsgx_sigaction() of a handler, the C library's own signals once
 * adopted): deliverable in enclave code, where they cause an AEX first.
 */
uint64_t host_routed_signals(void);
/*
 * rt_sigaction(2) of the program's own (a raw system call): @act, with its
 * restorer, behind the trampoline; the old action into @oldact. The
 * program's pointers may be bad (-EFAULT). 0 or -errno.
 */
int host_raw_sigaction(int sig, const struct kernel_sigaction *act, struct kernel_sigaction *oldact);
/* @sig's action back to SIG_DFL (SA_RESETHAND after a delivery). */
void host_reset_action(int sig);
/*
 * The C library's own signals (SIGCANCEL, SIGSETXID), installed by it
 * when it first needs them, go behind the trampoline too, so that a
 * setuid() on another thread does not wait for an enclave to exit.
 */
void host_adopt_libc_signals(void);
/*
 * softsgx's signals cannot be blocked (a blocked trap kills, a blocked
 * interrupt hangs the driver); what a program blocks of them is kept per
 * thread here, for what it reads back and for the faults it must die of.
 */
uint64_t host_virtual_mask(void);
void host_set_virtual_mask(uint64_t mask);
/* The LP left enclave mode (AEX or EEXIT): wake whoever waits for it. */
void host_thread_left(struct host_thread *t);
/* An EENTER/ERESUME counted as inside (t->inside) failed: the same without the trace event. */
void host_thread_not_entered(struct host_thread *t);
/*
 * The thread's own FS and GS bases into @t (RDFSBASE, or two arch_prctl
 * calls without FSGSBASE): at registration, softsgx_thread_init() and a
 * trapped ENCLU of host code. The entry function uses what is there.
 */
void host_thread_bases_refresh(struct host_thread *t);
/*
 * sigaltstack() for the program: a thread that runs enclaves keeps
 * softsgx's alternate stack (its traps are recognized by it), and what the
 * program sets and reads is its own, kept beside it (what it had when
 * registered, then what it sets). Other threads: sigaltstack(2) itself.
 * Return: 0, or -1 with errno as sigaltstack(2) (EFAULT, EINVAL, ENOMEM, EPERM).
 */
int host_sigaltstack(const stack_t *ss, stack_t *old);
/*
 * The same for a program whose RSP is @sp (a trapped system call's).
 * Return: 0 or -errno (the same errors); errno is left alone: a thread
 * made by a raw clone() shares it with its creator, whose handlers may
 * write it meanwhile.
 */
int host_sigaltstack_at(const stack_t *ss, stack_t *old, uintptr_t sp);
/*
 * The key of the calling thread's struct host_thread, once
 * @host_thread_key_ready: for code that must tell a thread that runs
 * enclaves from one that does not without calling into the library.
 */
extern pthread_key_t host_thread_key;
extern bool host_thread_key_ready;
/* The calling thread changed its FS or GS base (arch_prctl): read them anew if it is registered. */
void host_bases_changed(void);
/*
 * SIGINT and SIGTERM, as a kernel sigset, where their action is SIG_DFL:
 * read at start-up, by softsgx_sigaction() and softsgx_thread_init(). The
 * enclave mask leaves these deliverable so that Ctrl-C stops a spinning
 * enclave; a signal with a handler never runs on enclave state.
 */
uint64_t host_stop_signals_default(void);
void host_stop_signals_refresh(void);
/*
 * CPUID for host code of a thread whose CPUID faults: @regs = EAX, EBX,
 * ECX, EDX, the host's answer with the emulated processor's SGX parts.
 * @t may be NULL (a thread that inherited CPUID faulting).
 */
void host_cpuid(struct host_thread *t, uint32_t regs[4]);
/*
 * CPUID faulting for the calling thread and the threads it creates from
 * now on (a preloaded program's start): its CPUID sees the emulated SGX.
 * Return: 0, -ENODEV (the host has none, or it is turned off), -errno.
 */
int host_cpuid_faulting_on(void);

/*
 * insn.c: whether the instruction in @b (@n bytes readable) is one that SGX
 * makes illegal inside a 64-bit enclave (#UD); RDTSC/RDTSCP are only on
 * an SGX1 processor (@sgx1).
 */
bool host_insn_illegal_in_enclave(const uint8_t *b, size_t n, bool sgx1);

/* trap.c: the extended state's format in signal frames (once, before CPUID faults). */
void host_fpu_init(void);
/* trap.c: the XSAVE components of the signal frames (XCR0 without AMX tile data); 0x3 without XSAVE. */
uint64_t host_xfeatures(void);
/*
 * trap.c: the C half of the signal trampoline (runs with the host's FS/GS).
 * Return: @t, or the thread it registered (an unknown thread's ENCLU).
 */
struct host_thread *softsgx_sig_handler(int sig, siginfo_t *info, ucontext_t *uc,
					struct host_thread *t);

#endif /* __ASSEMBLER__ */
#endif /* SOFTSGX_HOST_H */
