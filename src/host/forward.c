/* SPDX-License-Identifier: MIT */
/*
 * The program's actions behind softsgx's trampoline, and how their
 * handlers run: as the kernel runs them. softsgx's handler does not call
 * the program's; it builds the frame the kernel would have built (struct
 * rt_sigframe: the restorer's address, the ucontext of the interrupted
 * state, the siginfo, the extended state) on the stack the kernel would
 * have chosen (the program's alternate stack with SA_ONSTACK, else below
 * the interrupted RSP's red zone), and returns into the handler. softsgx's
 * own frames are gone by the time the handler runs, so a handler may do
 * anything, enter an enclave included. When it returns, its restorer's
 * rt_sigreturn reaches softsgx (host_prog_sigreturn()): the program's view
 * of the mask and of its alternate stack becomes softsgx's again.
 *
 * A program's signal on a thread softsgx does not know (no enclave ever
 * ran on it) takes the same way, straight from the trampoline. That
 * thread may be one where instrumented code cannot run (a race detector's
 * own thread, say, which the C library's SIGSETXID reaches too), so this
 * file is built without sanitizer instrumentation, and calls nothing that
 * is instrumented.
 */
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>

#include "host/host.h"
#include "sys.h"
#include "tidlocal.h"

#define SA_RESTORER_FLAG 0x04000000
#define REDZONE 128
#define MIN_ALTSTACK 2048         /* the kernel's MINSIGSTKSZ */
#define FP_XSTATE_MAGIC1_VALUE 0x46505853u
#define FP_SW_BYTES 464          /* struct _fpx_sw_bytes in the legacy area */
#define XSTATE_BV 512            /* the XSAVE header's first word */
#define XFEATURE_MASK_PKRU (1ull << 9)
#define EFLAGS_TF 0x100ull
#define EFLAGS_DF 0x400ull
#define EFLAGS_RF 0x10000ull
#ifndef SS_AUTODISARM
#define SS_AUTODISARM (1u << 31)
#endif

/* The kernel's struct ucontext: glibc's ucontext_t up to the first word of uc_sigmask. */
#define KERNEL_UC_SIZE (offsetof(ucontext_t, uc_sigmask) + 8)

/* struct rt_sigframe of x86-64, the extended state following it (64-byte aligned). */
struct rt_frame {
	void *pretcode;
	unsigned char uc[KERNEL_UC_SIZE]; /* a ucontext_t's first bytes (frame_uc()) */
	siginfo_t info;
};

_Static_assert(offsetof(struct rt_frame, info) == 8 + KERNEL_UC_SIZE, "rt_sigframe layout");
_Static_assert(sizeof(siginfo_t) == 128, "siginfo");

static ucontext_t *frame_uc(struct rt_frame *f)
{
	return (ucontext_t *)(void *)f->uc;
}

struct kernel_sigaction host_previous[65];
struct host_range host_raw_text[HOST_RAW_TEXT_MAX];
unsigned int host_raw_text_count;

/* tidlocal.h */
__thread struct sgx_tidlocal_slot sgx_tidlocal_own;
struct sgx_tidlocal_slot sgx_tidlocal_table[SGX_TIDLOCAL_TABLE];
struct sgx_tidlocal_slot sgx_tidlocal_spill;

/* What the program believes it blocks of softsgx's own signals (host.h). */
uint64_t host_virtual_mask(void)
{
	return sgx_thread_local()->virtual_blocked;
}

void host_set_virtual_mask(uint64_t mask)
{
	sgx_thread_local()->virtual_blocked = mask & host_signal_mask();
}

/* No library call: memcpy and memset would be the sanitizer's. */
static void copy_bytes(void *d, const void *s, size_t n)
{
	__asm__ volatile("rep movsb" : "+D"(d), "+S"(s), "+c"(n) : : "memory");
}

static void zero_bytes(void *d, size_t n)
{
	__asm__ volatile("rep stosb" : "+D"(d), "+c"(n) : "a"(0) : "memory");
}

static uint64_t load64(const void *p)
{
	uint64_t v;

	copy_bytes(&v, p, 8);
	return v;
}

static void store64(void *p, uint64_t v)
{
	copy_bytes(p, &v, 8);
}

static uint32_t load32(const void *p)
{
	uint32_t v;

	copy_bytes(&v, p, 4);
	return v;
}

static void store32(void *p, uint32_t v)
{
	copy_bytes(p, &v, 4);
}

/* The size of the extended state a kernel frame carries (its trailer included). */
size_t host_fpstate_size(const ucontext_t *uc)
{
	const unsigned char *fp = (const unsigned char *)uc->uc_mcontext.fpregs;

	if (!fp)
		return 0;
	return load32(fp + FP_SW_BYTES) == FP_XSTATE_MAGIC1_VALUE ? load32(fp + FP_SW_BYTES + 4)
								    : 512;
}

/* The handler starts with the extended state in its initial configuration, PKRU kept (Linux). */
static void fpstate_init(ucontext_t *uc)
{
	unsigned char *fp = (unsigned char *)uc->uc_mcontext.fpregs;

	if (!fp)
		return;
	zero_bytes(fp, 24);                 /* FCW, FSW, FTW, FOP, FIP, FDP */
	store32(fp, 0x37f);                 /* FCW */
	store32(fp + 24, 0x1f80);           /* MXCSR */
	zero_bytes(fp + 32, 416 - 32);      /* ST0-7, XMM0-15 */
	if (load32(fp + FP_SW_BYTES) == FP_XSTATE_MAGIC1_VALUE)
		store64(fp + XSTATE_BV, load64(fp + XSTATE_BV) & XFEATURE_MASK_PKRU);
}

static uintptr_t current_sp(void)
{
	uintptr_t sp;

	__asm__ volatile("mov %%rsp, %0" : "=r"(sp));
	return sp;
}

/* The thread softsgx runs this handler for, when it runs on the thread's stack in the arena. */
static struct host_thread *arena_thread(uintptr_t sp)
{
	if (sp < softsgx_altstack_arena_start || sp >= softsgx_altstack_arena_end)
		return NULL;
	return (struct host_thread *)(sp & ~(uintptr_t)(HOST_ALTSTACK_SIZE - 1));
}

static bool ss_enabled(const stack_t *ss)
{
	return !(ss->ss_flags & SS_DISABLE) && ss->ss_size;
}

/* on_sig_stack(): @sp within the alternate stack (its top included, its base not). */
static bool ss_on(const stack_t *ss, uintptr_t sp)
{
	return ss_enabled(ss) && sp > (uintptr_t)ss->ss_sp && sp - (uintptr_t)ss->ss_sp <= ss->ss_size;
}

void host_deliver(int sig, const siginfo_t *info, ucontext_t *uc, const struct kernel_sigaction *a)
{
	greg_t *g = uc->uc_mcontext.gregs;
	uintptr_t here = current_sp(), sp = (uintptr_t)g[REG_RSP] - REDZONE, fp;
	struct host_thread *t = arena_thread(here);
	size_t fpsize = host_fpstate_size(uc);
	uint64_t view, blocked, bit = 1ull << (sig - 1);
	struct rt_frame *frame;
	stack_t ss;

	/* The program's alternate stack: kept by softsgx for a thread it runs, else the kernel's. */
	if (t)
		ss = t->prog_ss;
	else if (sys_sigaltstack(NULL, &ss))
		ss = (stack_t){ .ss_flags = SS_DISABLE };
	if ((a->flags & SA_ONSTACK) && ss_enabled(&ss) && !ss_on(&ss, sp)) {
		sp = (uintptr_t)ss.ss_sp + ss.ss_size;
		if (t && ((unsigned int)ss.ss_flags & SS_AUTODISARM))
			t->prog_ss = (stack_t){ .ss_flags = SS_DISABLE };
	}
	/*
	 * softsgx's frame lies on that very stack (a thread it does not run,
	 * whose handler went where this one goes): the program's goes below it.
	 */
	if (!t && here < sp && ss_on(&ss, here) == ss_on(&ss, sp) && sp > here - REDZONE * 2)
		sp = here - REDZONE * 2;
	fp = (sp - fpsize) & ~(uintptr_t)63;
	frame = (struct rt_frame *)(((fp - sizeof(*frame)) & ~(uintptr_t)15) - 8);

	view = load64(&uc->uc_sigmask) | host_virtual_mask();
	/*
	 * The program's own restorer where its rt_sigreturn reaches softsgx
	 * (host_raw_text_contains()), else softsgx's, which does what
	 * host_prog_sigreturn() says before it returns.
	 */
	frame->pretcode = (a->flags & SA_RESTORER_FLAG) && host_raw_text_contains((uintptr_t)a->restorer)
				  ? (void *)a->restorer
				  : (void *)softsgx_prog_restorer;
	copy_bytes(frame->uc, uc, KERNEL_UC_SIZE);
	frame_uc(frame)->uc_link = NULL;
	frame_uc(frame)->uc_stack = ss;
	frame_uc(frame)->uc_stack.ss_flags = !ss_enabled(&ss) ? SS_DISABLE
				      : (int)(((unsigned int)ss.ss_flags & SS_AUTODISARM) |
					      (ss_on(&ss, (uintptr_t)g[REG_RSP]) ? SS_ONSTACK : 0));
	store64(&frame_uc(frame)->uc_sigmask, view);
	if (fpsize) {
		copy_bytes((void *)fp, uc->uc_mcontext.fpregs, fpsize);
		frame_uc(frame)->uc_mcontext.fpregs = (struct _libc_fpstate *)fp;
	}
	copy_bytes(&frame->info, info, sizeof(frame->info));

	/* The handler's state, which the trampoline's return (rt_sigreturn) installs. */
	/*
	 * softsgx's own signals stay as the program had them: the kernel's
	 * mask cannot hold them, and a handler that leaves by siglongjmp()
	 * restores its mask where softsgx does not see it.
	 */
	blocked = view | a->mask | ((a->flags & SA_NODEFER) ? 0 : bit);
	store64(&uc->uc_sigmask, blocked & ~host_signal_mask());
	g[REG_RIP] = (greg_t)a->handler;
	g[REG_RSP] = (greg_t)(uintptr_t)frame;
	g[REG_RDI] = sig;
	g[REG_RSI] = (greg_t)(uintptr_t)&frame->info;
	g[REG_RDX] = (greg_t)(uintptr_t)frame_uc(frame);
	g[REG_RAX] = 0;
	g[REG_EFL] &= ~(greg_t)(EFLAGS_DF | EFLAGS_RF | EFLAGS_TF);
	fpstate_init(uc);
}

/*
 * rt_sigreturn of a program frame @uc (host_deliver()'s, or one its
 * handler changed): the mask it holds becomes the kernel's and the
 * program's view, and for a thread softsgx runs, its alternate stack the
 * program's (softsgx's own stays the kernel's). @sp is the RSP it
 * returns to. The frame is then fit for the kernel's rt_sigreturn.
 */
void host_prog_sigreturn(ucontext_t *uc, struct host_thread *t)
{
	uint64_t view = load64(&uc->uc_sigmask);
	stack_t ss = uc->uc_stack;
	unsigned int mode = (unsigned int)ss.ss_flags & ~(SS_AUTODISARM | SS_ONSTACK);

	host_set_virtual_mask(view);
	store64(&uc->uc_sigmask, view & ~host_signal_mask());
	if (!t)
		return; /* the kernel restores the alternate stack itself */
	/* restore_altstack(): what sigaltstack() would accept, unless it returns onto the stack. */
	if (!ss_on(&t->prog_ss, (uintptr_t)uc->uc_mcontext.gregs[REG_RSP]) &&
	    (mode == SS_DISABLE || (mode == 0 && ss.ss_size >= MIN_ALTSTACK))) {
		ss.ss_flags &= ~SS_ONSTACK;
		t->prog_ss = mode == SS_DISABLE ? (stack_t){ .ss_flags = SS_DISABLE } : ss;
	}
	uc->uc_stack = (stack_t){ .ss_sp = (uint8_t *)t + HOST_ALTSTACK_GUARD,
				  .ss_size = HOST_ALTSTACK_SIZE - HOST_ALTSTACK_GUARD };
}

/*
 * The calling thread's context if softsgx runs enclaves on it, found by
 * its thread ID among the arena's slots: no TLS (a raw clone() shares its
 * creator's) and no lock.
 */
struct host_thread *host_thread_self(void)
{
	int tid = (int)softsgx_raw_syscall(SYS_gettid, 0, 0, 0, 0, 0, 0);
	uintptr_t slot;

	for (slot = softsgx_altstack_arena_start; slot < softsgx_altstack_arena_end;
	     slot += HOST_ALTSTACK_SIZE) {
		const struct host_thread *t = (const struct host_thread *)slot;

		if (__atomic_load_n(&host_slot_used[(slot - softsgx_altstack_arena_start) >>
						    HOST_ALTSTACK_SHIFT],
				    __ATOMIC_ACQUIRE) == HOST_SLOT_USED &&
		    __atomic_load_n(&t->tid, __ATOMIC_RELAXED) == tid)
			return (struct host_thread *)t;
	}
	return NULL;
}

__attribute__((visibility("hidden"))) void softsgx_prog_sigreturn(ucontext_t *uc);

/* softsgx_prog_restorer (entry.S): a handler returned through softsgx's restorer. */
__attribute__((visibility("hidden"))) void softsgx_prog_sigreturn(ucontext_t *uc)
{
	host_prog_sigreturn(uc, host_thread_self());
}

__attribute__((visibility("hidden"))) int softsgx_sig_forward(int sig, siginfo_t *info, ucontext_t *uc);

__attribute__((visibility("hidden"))) int softsgx_sig_forward(int sig, siginfo_t *info, ucontext_t *uc)
{
	const struct kernel_sigaction *a = &host_previous[sig];
	uint64_t bit = 1ull << (sig - 1);
	struct kernel_sigaction copy;

	/*
	 * softsgx's own signals, a default action, a reset after delivery:
	 * the C handler decides (softsgx_sig_handler()).
	 */
	if (sig < 1 || sig > 64 || (host_signal_mask() & bit) || a->handler == SIG_DFL ||
	    (a->flags & SA_RESETHAND))
		return 0;
	if (a->handler == SIG_IGN)
		return 1;
	copy_bytes(&copy, a, sizeof(copy));
	host_deliver(sig, info, uc, &copy);
	return 1;
}
