/* SPDX-License-Identifier: MIT */
/*
 * The C half of the signal trampoline: what the hardware and Linux would
 * do with a trap of enclave code, and with the ENCLU[EENTER/ERESUME] of
 * host code.
 *
 * - ENCLU in enclave code (SIGILL on 0F 01 D7): the leaf runs on the
 *   thread's logical processor; a #PF it raises is an AEX, the driver's
 *   fault handler, and ERESUME with the leaf run again once resolved.
 * - A fault of enclave code (SIGSEGV/SIGFPE/SIGILL/SIGSYS/SIGTRAP): AEX,
 *   then for a #PF the driver's fault handler (EAUG, page-table entry) and
 *   ERESUME when it resolved it; otherwise the exception goes where Linux
 *   sends it: the entry function reports it (its ENCLU is the AEP), or the
 *   program gets the signal with the synthetic AEX state.
 * - The interrupt signal (the driver's ETRACK flow): AEX, then ERESUME.
 * - ENCLU[EENTER/ERESUME] of host code: the leaf, then enclave code.
 * - Anything else, and faults on memory that is not an enclave's, goes to
 *   the handler the program had installed.
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <asm/prctl.h>

#include "driver/driver.h"
#include "driver/uaccess.h"
#include "host/host.h"
#include "sys.h"
#include "trace/trace.h"

#define VEC_INTERRUPT 32
#define VEC_OF 4
#define FP_XSTATE_MAGIC1_VALUE 0x46505853u
#define FP_XSTATE_MAGIC2_VALUE 0x46505845u
#define FP_XSTATE_SW_BYTES 464   /* struct _fpx_sw_bytes in the FXSAVE area's software bytes */
#define XFEATURE_XTILEDATA 18    /* AMX tile data: a dynamic feature, off in Linux's default set */
#define SYS_USER_DISPATCH_CODE 2
#define SYS_SECCOMP_CODE 1

void (*host_raw_syscall_hook)(ucontext_t *uc);

/*
 * The instruction bytes at @rip as they are now. Enclave code may be
 * execute-only in the host mapping, so anything but softsgx's own text is
 * read with a copy that fails instead of faulting.
 */
static bool read_insn_now(uint64_t rip, uint8_t *buf, size_t len)
{
	struct sgx_platform *plat = sgx_platform_peek();
	uint64_t epc = 0;
	size_t i;

	if (rip >= (uintptr_t)softsgx_host_text_start && rip + len <= (uintptr_t)softsgx_host_text_end) {
		memcpy(buf, (const void *)(uintptr_t)rip, len);
		return true;
	}
	/* Enclave code is read through the emulator's view of its EPC page: no system call. */
	for (i = 0; plat && i < len; i++) {
		if (!i || !((rip + i) & 0xfff))
			epc = sgx_pte_lookup(plat, rip + i);
		if (!epc)
			break;
		buf[i] = *(const uint8_t *)sgx_cpu_epc_mem(plat->cpu, (epc & ~0xfffull) + ((rip + i) & 0xfff));
	}
	return i == len || copy_from_user(buf, (const void *)(uintptr_t)rip, len) == 0;
}

/*
 * The instruction bytes at @rip: from @snap (the trap's snapshot, may be
 * NULL) where it holds them, else as they are now.
 */
static bool read_insn(const struct host_insn *snap, uint64_t rip, uint8_t *buf, size_t len)
{
	if (snap && snap->len && rip >= snap->start && rip + len <= snap->start + snap->len) {
		memcpy(buf, snap->b + (rip - snap->start), len);
		return true;
	}
	return read_insn_now(rip, buf, len);
}

/*
 * Take @t's snapshot of the bytes around the instruction at @rip that
 * trapped in enclave code (two before it, for INT n, and sixteen from it, as
 * far as they can be read), so that every decoder of this trap sees the
 * same bytes. Return: false if not even the byte at @rip can be read while
 * it lies in an enclave mapping: the reclaimer took the page away after the
 * fetch. Running the instruction again is then what hardware, where fetch
 * and trap are one, would have seen: its fetch faults, the driver brings
 * the page back, and the instruction traps anew.
 */
static bool insn_snapshot(struct host_thread *t, uint64_t rip)
{
	struct host_insn *snap = &t->insn;
	size_t before = rip >= 2 && read_insn_now(rip - 2, snap->b, 2) ? 2 : 0;
	size_t page_left = 4096 - (rip & 0xfff), n;

	snap->len = 0;
	/* Sixteen bytes, else what is left of the page, else the one byte. */
	n = 16;
	if (!read_insn_now(rip, snap->b + before, n)) {
		n = page_left < 16 ? page_left : 1;
		if (!read_insn_now(rip, snap->b + before, n) &&
		    (n == 1 || !read_insn_now(rip, snap->b + before, n = 1)))
			return !sgx_range_may_be_enclave(rip, 1);
	}
	snap->start = rip - before;
	snap->len = (uint8_t)(before + n);
	return true;
}

static bool is_enclu(const struct host_insn *snap, uint64_t rip)
{
	uint8_t b[3];

	return read_insn(snap, rip, b, 3) && b[0] == 0x0f && b[1] == 0x01 && b[2] == 0xd7;
}

/*
 * ENCLU traps as #UD (SIGILL) where the processor has no SGX; where it has
 * SGX but it is not enabled (many VMs) it may raise #GP, or even a #PF on
 * an operand: SIGSEGV. An instruction fetch fault is never one.
 */
static bool enclu_trap(const struct host_insn *snap, int sig, const ucontext_t *uc)
{
	const greg_t *g = uc->uc_mcontext.gregs;

	if (sig != SIGILL && sig != SIGSEGV)
		return false;
	if (sig == SIGSEGV && g[REG_TRAPNO] == SGX_VEC_PF && (g[REG_ERR] & SGX_PF_I))
		return false;
	return is_enclu(snap, g[REG_RIP]);
}

static bool is_cpuid(uint64_t rip)
{
	uint8_t b[2];

	return read_insn_now(rip, b, 2) && b[0] == 0x0f && b[1] == 0xa2;
}

/* Register state */

static size_t xsave_size_of(const ucontext_t *uc)
{
	const uint8_t *fp = (const uint8_t *)uc->uc_mcontext.fpregs;
	uint32_t magic, size;

	if (!fp)
		return 0;
	memcpy(&magic, fp + 464, 4);
	memcpy(&size, fp + 464 + 16, 4);
	return magic == FP_XSTATE_MAGIC1_VALUE ? size : 512;
}

static void regs_from_uc(struct sgx_regs *r, const ucontext_t *uc, uint64_t fs, uint64_t gs)
{
	const greg_t *g = uc->uc_mcontext.gregs;

	*r = (struct sgx_regs){
		.rax = g[REG_RAX], .rcx = g[REG_RCX], .rdx = g[REG_RDX], .rbx = g[REG_RBX],
		.rsp = g[REG_RSP], .rbp = g[REG_RBP], .rsi = g[REG_RSI], .rdi = g[REG_RDI],
		.r8 = g[REG_R8], .r9 = g[REG_R9], .r10 = g[REG_R10], .r11 = g[REG_R11],
		.r12 = g[REG_R12], .r13 = g[REG_R13], .r14 = g[REG_R14], .r15 = g[REG_R15],
		.rflags = g[REG_EFL], .rip = g[REG_RIP], .fsbase = fs, .gsbase = gs,
		.xsave = uc->uc_mcontext.fpregs, .xsave_size = xsave_size_of(uc),
	};
}

static void regs_to_uc(const struct sgx_regs *r, ucontext_t *uc)
{
	greg_t *g = uc->uc_mcontext.gregs;

	g[REG_RAX] = r->rax; g[REG_RCX] = r->rcx; g[REG_RDX] = r->rdx; g[REG_RBX] = r->rbx;
	g[REG_RSP] = r->rsp; g[REG_RBP] = r->rbp; g[REG_RSI] = r->rsi; g[REG_RDI] = r->rdi;
	g[REG_R8] = r->r8; g[REG_R9] = r->r9; g[REG_R10] = r->r10; g[REG_R11] = r->r11;
	g[REG_R12] = r->r12; g[REG_R13] = r->r13; g[REG_R14] = r->r14; g[REG_R15] = r->r15;
	g[REG_EFL] = r->rflags;
	g[REG_RIP] = r->rip;
}

/*
 * Signal masks. Enclave code runs with softsgx's own signals unblocked (a
 * trap or the interrupt must never find its signal blocked: Linux would
 * force it to SIG_DFL), and the program's signals as its mask @prog has
 * them where they can be delivered as hardware delivers them: those whose
 * handler runs behind softsgx's trampoline (which performs the AEX first,
 * so the handler runs on host state with the AEP as the interrupted RIP),
 * and those users send to stop a program while their action is the
 * default one (the kernel ends the process, no handler runs: a spinning
 * enclave still stops on Ctrl-C). Any other signal (a handler installed
 * around softsgx) waits for the exit to host code, whose mask is @prog.
 */
static uint64_t enclave_sigmask(uint64_t prog)
{
	return ~host_signal_mask() & ~((host_stop_signals_default() | host_routed_signals()) & ~prog);
}

static uint64_t uc_sigmask(const ucontext_t *uc)
{
	uint64_t m;

	memcpy(&m, &uc->uc_sigmask, sizeof(m)); /* the kernel's sigset: the first 64 bits */
	return m;
}

static void uc_set_sigmask(ucontext_t *uc, uint64_t m)
{
	memcpy(&uc->uc_sigmask, &m, sizeof(m));
}

/* State changes */

/*
 * On an SGX1 processor RDTSC and RDTSCP are illegal in enclave code: the
 * TSC faults (#GP, then #UD by the decoder) while the thread runs enclave
 * code, and works again in emulator and host code (the vDSO's clocks).
 */
static void tsc_faulting(struct host_thread *t, bool on)
{
	if (t->tsc_faulting)
		prctl(PR_SET_TSC, on ? PR_TSC_SIGSEGV : PR_TSC_ENABLE, 0, 0, 0);
}

/* The last step before enclave code runs: no RDTSC may follow (tsc_faulting()). */
static void go_enclave(struct host_thread *t, const struct sgx_regs *r, ucontext_t *uc)
{
	regs_to_uc(r, uc);
	uc_set_sigmask(uc, t->encl_mask);
	t->encl_fs = r->fsbase; /* the trampoline installs them on the way out */
	t->encl_gs = r->gsbase;
	atomic_store(&t->state, HOST_STATE_ENCLAVE);
	tsc_faulting(t, true);
}

static void go_host(struct host_thread *t, const struct sgx_regs *r, ucontext_t *uc)
{
	regs_to_uc(r, uc);
	uc_set_sigmask(uc, t->prog_mask);
	atomic_store(&t->state, HOST_STATE_HOST);
}

/*
 * EENTER/ERESUME through TCS @tcs is about to run: the thread counts as
 * inside that enclave from before the leaf, so an ETRACK flow that runs
 * meanwhile interrupts it (the signal waits until enclave code runs).
 * Must be called with plat->mmap_lock held (the VMA lookup).
 */
static void entering(struct host_thread *t, uint64_t tcs)
{
	struct sgx_vma *vma = sgx_find_vma(t->plat, tcs);

	/* Read by the interrupt sender on other threads. */
	__atomic_store_n(&t->elrange_base, vma ? vma->encl->base : 0, __ATOMIC_RELAXED);
	t->encl = vma ? vma->encl : NULL;
	if (t->encl)
		sgx_encl_get(t->encl); /* dropped when the LP leaves (host_thread_not_entered()) */
	atomic_store(&t->inside, true);
}

/* After entering(): the leaf succeeded (@ok), or the thread never got in. */
static void entered(struct host_thread *t, bool ok)
{
	if (!ok) {
		host_thread_not_entered(t);
		return;
	}
	if (trace_on())
		trace_enclave_enter(sgx_lp_tcs(t->lp), t->elrange_base);
}

/* Chaining to the program */

/* A fault the kernel forces on the thread (force_sig_fault): it cannot be ignored. */
static bool forced_fault(int sig, const siginfo_t *info)
{
	return info->si_code > 0 && (sig == SIGSEGV || sig == SIGBUS || sig == SIGILL ||
				     sig == SIGFPE || sig == SIGTRAP);
}

/*
 * Hand signal @sig to the program's own action, from softsgx's handler in
 * host state (@uc's mask is the program's).
 */
static void chain(int sig, siginfo_t *info, ucontext_t *uc)
{
	uint64_t bit = 1ull << (sig - 1);
	struct kernel_sigaction a;

	a.handler = (void *)host_previous_action(sig, &a.flags, &a.mask);
	a.restorer = host_previous[sig].restorer;
	/*
	 * Linux resets an ignored or blocked fault signal to SIG_DFL
	 * (force_sig_info_to_task): returning would re-execute the faulting
	 * instruction forever.
	 */
	if (a.handler == SIG_IGN && !forced_fault(sig, info))
		return;
	if (a.handler == SIG_DFL || a.handler == SIG_IGN ||
	    (forced_fault(sig, info) && ((uc_sigmask(uc) | host_virtual_mask()) & bit))) {
		/* Die of it, as without softsgx: delivered, unblocked, once the handler returns. */
		struct kernel_sigaction dfl = { .handler = SIG_DFL };

		syscall(SYS_rt_sigaction, sig, &dfl, NULL, 8);
		syscall(SYS_tgkill, getpid(), syscall(SYS_gettid), sig);
		uc_set_sigmask(uc, uc_sigmask(uc) & ~bit);
		return;
	}
	if (a.flags & SA_RESETHAND)
		host_reset_action(sig); /* the kernel resets it before the handler runs */
	host_deliver(sig, info, uc, &a);
}

/* The signal Linux sends for an exception of enclave code it does not fix up. */
static int signal_of(uint8_t vector)
{
	switch (vector) {
	case SGX_VEC_DE:
	case SGX_VEC_MF:
	case SGX_VEC_XM:
		return SIGFPE;
	case SGX_VEC_UD:
		return SIGILL;
	case SGX_VEC_DB:
	case SGX_VEC_BP:
		return SIGTRAP;
	default:
		return SIGSEGV;
	}
}

/*
 * Report an exception the way Linux does: through the entry function when
 * @r (the state after AEX, or at a faulting EENTER/ERESUME) is at its ENCLU,
 * else as a signal to the program. #DB and #BP always go to the program.
 */
static void report(struct host_thread *t, struct sgx_regs *r, const struct sgx_exception *exc,
		   bool sigbus, ucontext_t *uc, siginfo_t *info)
{
	if (r->rip == (uintptr_t)softsgx_vdso_enclu && exc->vector != SGX_VEC_DB &&
	    exc->vector != SGX_VEC_BP) {
		r->rip = (uintptr_t)softsgx_vdso_exception;
		r->rdi = exc->vector;
		r->rsi = exc->error_code & 0xffff;
		r->rdx = exc->vector == SGX_VEC_PF ? exc->addr : 0;
		go_host(t, r, uc);
		return;
	}
	go_host(t, r, uc);
	info->si_signo = sigbus ? SIGBUS : signal_of(exc->vector);
	if (sigbus)
		info->si_code = BUS_ADRERR;
	if (exc->vector == SGX_VEC_PF)
		info->si_addr = (void *)(uintptr_t)exc->addr;
	chain(info->si_signo, info, uc);
}

/* Page faults */

/* Resolve a #PF of enclave or host code at @addr through the driver. */
static enum sgx_fault_result resolve(struct sgx_platform *plat, uint64_t addr, uint32_t hw_pfec,
				     bool leaf, uint32_t *pfec)
{
	enum sgx_fault_result res;

	/* A leaf's fault carries the emulated walk's code; a native one only its access. */
	pthread_rwlock_rdlock(&plat->mmap_lock);
	res = sgx_vma_fault(plat, addr, leaf ? hw_pfec | SGX_FAULT_WALK : hw_pfec & (SGX_PF_W | SGX_PF_I),
			    pfec);
	pthread_rwlock_unlock(&plat->mmap_lock);
	if (res == SGX_FAULT_NOT_OURS)
		*pfec = hw_pfec;
	return res;
}

/*
 * A leaf's #PF that the driver answered RETRY (a page-table entry now
 * there, an EAUG, a reload) is retried. One that recurs unchanged was not
 * the kernel's to fix and is reported, unless the reclaimer took a page's
 * mapping away meanwhile: it may have been this page, as it may on Linux.
 * No leaf is retried more than LEAF_RETRIES times: the loops below end.
 */
#define LEAF_RETRIES 64

struct leaf_retry {
	unsigned int tries;
	uint64_t addr;
	uint32_t error_code;
	uint64_t zaps;
};

static bool retry_leaf(struct sgx_platform *plat, struct leaf_retry *lr,
		       const struct sgx_exception *exc)
{
	uint64_t zaps = atomic_load_explicit(&plat->reclaim_zaps, memory_order_acquire);

	if (lr->tries && lr->addr == exc->addr && lr->error_code == exc->error_code &&
	    lr->zaps == zaps)
		return false;
	if (++lr->tries > LEAF_RETRIES)
		return false;
	lr->addr = exc->addr;
	lr->error_code = exc->error_code;
	lr->zaps = zaps;
	return true;
}

/* ERESUME right after an AEX (the AEP's ENCLU, done here): 0 when back inside. */
static int eresume(struct host_thread *t, struct sgx_regs *r, struct sgx_exception *exc)
{
	struct leaf_retry lr = { 0 };
	uint32_t pfec;
	int ret;

	for (;;) {
		pthread_rwlock_rdlock(&t->plat->mmap_lock);
		entering(t, r->rbx);
		ret = enclu_eresume(t->lp, r);
		pthread_rwlock_unlock(&t->plat->mmap_lock);
		entered(t, !ret);
		if (!ret)
			return 0;
		/* ERESUME itself faulted (SSA page not mapped yet, say): the kernel's turn. */
		*exc = (struct sgx_exception){ .vector = sgx_lp_fault(t->lp)->vector,
					       .has_error_code = true,
					       .error_code = sgx_lp_fault(t->lp)->error_code,
					       .addr = sgx_lp_fault(t->lp)->addr };
		if (exc->vector != SGX_VEC_PF || !retry_leaf(t->plat, &lr, exc))
			return -1;
		if (resolve(t->plat, exc->addr, exc->error_code, true, &pfec) != SGX_FAULT_RETRY) {
			exc->error_code = pfec;
			return -1;
		}
	}
}

/*
 * An exception @exc of enclave code in state @r: AEX; a #PF the driver
 * resolves goes back in (ERESUME), anything else is reported.
 */
/*
 * A fault of enclave code that the driver resolved and that comes back at
 * once, unchanged, NATIVE_RETRIES times in a row is not being resolved (the
 * host refuses what the model allows): it is reported instead of retried
 * for ever. A resolved fault normally does not recur at all.
 */
#define NATIVE_RETRIES 4096

static bool resolved_again(struct host_thread *t, uint64_t rip, const struct sgx_exception *exc)
{
	static atomic_bool warned;

	if (t->resolved.count && t->resolved.rip == rip && t->resolved.addr == exc->addr &&
	    t->resolved.error_code == exc->error_code) {
		if (++t->resolved.count < NATIVE_RETRIES)
			return false;
		if (!atomic_exchange(&warned, true))
			fprintf(stderr, "softsgx: a fault at %#llx (rip %#llx) recurs after every fix; "
					"reported to the program\n",
				(unsigned long long)exc->addr, (unsigned long long)rip);
		t->resolved.count = 0;
		return true;
	}
	t->resolved.rip = rip;
	t->resolved.addr = exc->addr;
	t->resolved.error_code = exc->error_code;
	t->resolved.count = 1;
	return false;
}

/* AEX: the SSA frame is written through the enclave's mappings, which munmap may change. */
static int aex(struct host_thread *t, struct sgx_regs *r, const struct sgx_exception *exc)
{
	int ret;

	pthread_rwlock_rdlock(&t->plat->mmap_lock);
	ret = sgx_aex(t->lp, r, exc);
	pthread_rwlock_unlock(&t->plat->mmap_lock);
	return ret;
}

static void enclave_exception(struct host_thread *t, struct sgx_regs *r, struct sgx_exception exc,
			      bool leaf, ucontext_t *uc, siginfo_t *info)
{
	enum sgx_fault_result res = SGX_FAULT_SIGSEGV;
	uint64_t rip = r->rip; /* the AEX replaces it with the AEP */
	uint32_t pfec;

	if (trace_on())
		trace_aex(&exc);
	if (aex(t, r, &exc)) {
		/* No AEX (the LP was not in enclave mode): the processor reports why. */
		host_thread_left(t);
		exc = (struct sgx_exception){ .vector = sgx_lp_fault(t->lp)->vector,
					      .error_code = sgx_lp_fault(t->lp)->error_code,
					      .addr = sgx_lp_fault(t->lp)->addr };
		report(t, r, &exc, false, uc, info);
		return;
	}
	host_thread_left(t);
	if (exc.vector == SGX_VEC_PF) {
		res = resolve(t->plat, exc.addr, exc.error_code, leaf, &pfec);
		if (res == SGX_FAULT_RETRY && resolved_again(t, rip, &exc)) {
			res = SGX_FAULT_SIGSEGV;
			pfec = exc.error_code;
		}

		if (res == SGX_FAULT_RETRY && !eresume(t, r, &exc)) {
			go_enclave(t, r, uc);
			return;
		}
		if (res != SGX_FAULT_RETRY) {
			exc.error_code = pfec;
			/* AEX clears the low 12 bits of the address the OS sees. */
			exc.addr &= ~0xfffull;
		}
	}
	/* Linux's SIGBUS (sgx_vma_fault's VM_FAULT_SIGBUS) goes to a program as SIGBUS. */
	report(t, r, &exc, res == SGX_FAULT_SIGBUS, uc, info);
}

/* ENCLU */

/* Pages a leaf may have made accessible: host protections follow the EPCM. */
static void leaf_update_host(struct host_thread *t, uint64_t leaf, const struct sgx_regs *r)
{
	uint64_t page;

	if (leaf != ENCLU_EACCEPT && leaf != ENCLU_EACCEPTCOPY && leaf != ENCLU_EMODPE)
		return;
	page = r->rcx & ~0xfffull;
	pthread_rwlock_rdlock(&t->plat->mmap_lock);
	sgx_update_host(t->plat, page, page + 4096);
	pthread_rwlock_unlock(&t->plat->mmap_lock);
}

static void enclave_enclu(struct host_thread *t, ucontext_t *uc, siginfo_t *info)
{
	struct sgx_regs r;
	uint64_t leaf;
	int ret;

	regs_from_uc(&r, uc, t->encl_fs, t->encl_gs);
	leaf = r.rax;
	pthread_rwlock_rdlock(&t->plat->mmap_lock);
	ret = enclu(t->lp, &r);
	pthread_rwlock_unlock(&t->plat->mmap_lock);
	if (sgx_is_fault(ret)) {
		const struct sgx_fault_info *f = sgx_lp_fault(t->lp);

		/* A leaf that faults did not retire: the AEX saves the ENCLU's own RIP. */
		enclave_exception(t, &r,
				  (struct sgx_exception){ .vector = f->vector, .has_error_code = true,
							  .error_code = f->error_code, .addr = f->addr },
				  true, uc, info);
		return;
	}
	if (!sgx_lp_in_enclave(t->lp)) { /* EEXIT */
		host_thread_left(t);
		go_host(t, &r, uc);
		return;
	}
	leaf_update_host(t, leaf, &r);
	go_enclave(t, &r, uc);
}

/*
 * ENCLU[EENTER/ERESUME] of host code on @r: the leaf, with the #PF of an
 * operand (TCS or SSA page without a page-table entry yet) resolved by the
 * driver and the leaf retried. Any other leaf is #GP outside an enclave.
 * Return: 0 with @r the state inside, or -1 with the exception in @exc
 * and @r as it was (a faulting leaf changes nothing).
 */
static int host_enter_leaf(struct host_thread *t, struct sgx_regs *r, struct sgx_exception *exc)
{
	const struct sgx_regs in = *r;
	struct leaf_retry lr = { 0 };
	uint32_t pfec;
	int ret;

	for (;;) {
		pthread_rwlock_rdlock(&t->plat->mmap_lock);
		entering(t, r->rbx);
		ret = enclu(t->lp, r);
		pthread_rwlock_unlock(&t->plat->mmap_lock);
		entered(t, !ret && sgx_lp_in_enclave(t->lp));
		if (!ret && sgx_lp_in_enclave(t->lp))
			return 0;
		*r = in;
		*exc = (struct sgx_exception){ .vector = sgx_lp_fault(t->lp)->vector,
					       .has_error_code = true,
					       .error_code = sgx_lp_fault(t->lp)->error_code,
					       .addr = sgx_lp_fault(t->lp)->addr };
		if (!sgx_is_fault(ret))
			*exc = (struct sgx_exception){ .vector = SGX_VEC_GP };
		if (exc->vector != SGX_VEC_PF || !retry_leaf(t->plat, &lr, exc))
			return -1;
		if (resolve(t->plat, exc->addr, exc->error_code, true, &pfec) != SGX_FAULT_RETRY) {
			exc->error_code = pfec;
			return -1;
		}
	}
}

/* ENCLU of host code (trapped): EENTER or ERESUME. */
static void host_enclu(struct host_thread *t, ucontext_t *uc, siginfo_t *info)
{
	struct sgx_exception exc;
	struct sgx_regs r;

	/* The entry function's fallback saved the program's mask already (softsgx_fast_enter). */
	if (!t->prog_mask_saved) {
		t->prog_mask = uc_sigmask(uc);
		t->encl_mask = enclave_sigmask(t->prog_mask);
	}
	t->prog_mask_saved = false;
	/* A runtime's own ENCLU: it may manage its bases itself (a trap costs more anyway). */
	host_thread_bases_refresh(t);
	regs_from_uc(&r, uc, t->host_fs, t->host_gs);
	if (!host_enter_leaf(t, &r, &exc))
		go_enclave(t, &r, uc);
	else
		report(t, &r, &exc, false, uc, info);
}

/*
 * The entry function's EENTER/ERESUME without a trap (entry.S): @f holds
 * the registers at its ENCLU. On success @f->uc is the signal frame that
 * rt_sigreturn turns into the enclave state in one step: registers, the
 * extended state (@f->xsave, the caller's or ERESUME's) and the enclave's
 * signal mask, with every signal blocked until then (a handler must never
 * run between the switch of FS and the first enclave instruction).
 * Return: 0 for rt_sigreturn, -1 to take the trap path instead (which runs
 * the leaf again and reports what it raises).
 */
struct fast_enter {
	struct sgx_regs regs;          /* GPRs, RFLAGS, RIP as at the ENCLU */
	struct host_thread *t;         /* out: for entry.S to install the enclave's FS/GS */
	ucontext_t uc __attribute__((aligned(16)));
	/* uc's fpregs: an XSAVE image at the first 64-byte boundary inside (64 bytes of slack) */
	uint8_t xsave[HOST_FE_XSAVE + 64];
};

_Static_assert(__builtin_offsetof(struct fast_enter, regs.rsp) == HOST_FE_RSP, "asm offset");
_Static_assert(__builtin_offsetof(struct fast_enter, regs.rflags) == HOST_FE_RFLAGS, "asm offset");
_Static_assert(__builtin_offsetof(struct fast_enter, regs.rip) == HOST_FE_RIP, "asm offset");
_Static_assert(__builtin_offsetof(struct fast_enter, t) == HOST_FE_T, "asm offset");
_Static_assert(__builtin_offsetof(struct fast_enter, uc) == HOST_FE_UC, "asm offset");
_Static_assert(sizeof(struct fast_enter) + 8 <= HOST_FE_FRAME && HOST_FE_FRAME % 16 == 8, "frame");

/*
 * The extended state as Linux's signal frames carry it (fpu__init_prepare_fx_sw_frame):
 * XSAVE of the user features in the standard format, or FXSAVE without XSAVE.
 */
static bool fpu_xsave;
static uint64_t fpu_xfeatures;
static uint32_t fpu_xstate_size = 512;

uint64_t host_xfeatures(void)
{
	return fpu_xsave ? fpu_xfeatures : 0x3;
}

static void cpuid_count(uint32_t leaf, uint32_t sub, uint32_t r[4])
{
	__asm__ volatile("cpuid" : "=a"(r[0]), "=b"(r[1]), "=c"(r[2]), "=d"(r[3]) : "a"(leaf), "c"(sub));
}

void host_fpu_init(void)
{
	uint32_t r[4], lo, hi;
	unsigned int i;

	cpuid_count(1, 0, r);
	if (!(r[2] & (1u << 27))) /* CPUID.1:ECX.OSXSAVE */
		return;
	__asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
	/* Linux's default user features: XCR0 without the dynamic (permission-gated) ones. */
	fpu_xfeatures = ((uint64_t)hi << 32 | lo) & ~(1ull << XFEATURE_XTILEDATA);
	fpu_xstate_size = 576; /* legacy area + header */
	for (i = 2; i < 64; i++) {
		if (!(fpu_xfeatures & (1ull << i)))
			continue;
		cpuid_count(0xd, i, r); /* EAX = size, EBX = offset in the standard format */
		if (r[0] + r[1] > fpu_xstate_size)
			fpu_xstate_size = r[0] + r[1];
	}
	fpu_xsave = true;
}

static uint8_t *fast_enter_xsave(struct fast_enter *f)
{
	return (uint8_t *)(((uintptr_t)f->xsave + 63) & ~(uintptr_t)63);
}

/* The live extended state into @f's image, for the leaf (ERESUME loads the SSA's over it). */
static bool fast_enter_save_fpu(struct fast_enter *f)
{
	uint8_t *x = fast_enter_xsave(f);

	if (fpu_xstate_size + 4 > HOST_FE_XSAVE)
		return false; /* the trap path's kernel frame carries it */
	if (fpu_xsave) {
		memset(x + 512, 0, 64); /* XSAVE leaves XCOMP_BV and the reserved header bytes */
		__asm__ volatile("xsave64 %0"
				 : "+m"(*(uint8_t(*)[HOST_FE_XSAVE])x)
				 : "a"((uint32_t)fpu_xfeatures), "d"((uint32_t)(fpu_xfeatures >> 32)));
	} else {
		__asm__ volatile("fxsave64 %0" : "=m"(*(uint8_t(*)[512])x));
	}
	f->regs.xsave = x;
	f->regs.xsave_size = fpu_xstate_size;
	return true;
}

/* @f's image as rt_sigreturn reads it: the software bytes and the trailer (restore_fpregs_from_user). */
static void fast_enter_fpregs(struct fast_enter *f)
{
	uint8_t *x = fast_enter_xsave(f);
	struct {
		uint32_t magic1, extended_size;
		uint64_t xfeatures;
		uint32_t xstate_size, padding[7];
	} sw = { 0 };
	uint32_t magic2 = FP_XSTATE_MAGIC2_VALUE;

	_Static_assert(sizeof(sw) == 48, "struct _fpx_sw_bytes");
	if (fpu_xsave) {
		sw = (typeof(sw)){ .magic1 = FP_XSTATE_MAGIC1_VALUE,
				   .extended_size = fpu_xstate_size + sizeof(magic2),
				   .xfeatures = fpu_xfeatures, .xstate_size = fpu_xstate_size };
		memcpy(x + fpu_xstate_size, &magic2, sizeof(magic2));
	}
	memcpy(x + FP_XSTATE_SW_BYTES, &sw, sizeof(sw));
	f->uc.uc_mcontext.fpregs = (struct _libc_fpstate *)x;
}

/* CS and SS as rt_sigreturn finds them in a signal frame. */
static greg_t host_segments(void)
{
	uint16_t cs, ss;

	__asm__("mov %%cs, %0\n\tmov %%ss, %1" : "=r"(cs), "=r"(ss));
	return (greg_t)cs | ((greg_t)ss << 48);
}

__attribute__((visibility("hidden"))) int softsgx_fast_enter(struct fast_enter *f);

__attribute__((visibility("hidden"))) int softsgx_fast_enter(struct fast_enter *f)
{
	struct host_thread *t = host_thread_get();
	struct sgx_exception exc;
	const uint64_t all = ~0ull;

	if (!t || atomic_load(&t->state) != HOST_STATE_HOST)
		return -1;
	if (sys_sigprocmask(SIG_SETMASK, &all, &t->prog_mask))
		return -1;
	t->encl_mask = enclave_sigmask(t->prog_mask);
	if (!fast_enter_save_fpu(f))
		goto trap_path;
	/* Without FSGSBASE the bases stay as registered: no system call to read them. */
	if (t->fsgsbase)
		host_thread_bases_refresh(t);
	f->regs.fsbase = t->host_fs;
	f->regs.gsbase = t->host_gs;
	if (host_enter_leaf(t, &f->regs, &exc))
		goto trap_path;
	memset(&f->uc, 0, sizeof(f->uc));
	/* The enclave starts with the caller's x87/SSE/AVX state, or ERESUME's from the SSA. */
	fast_enter_fpregs(f);
	/* rt_sigreturn sets the alternate stack too: the thread's own, as registered. */
	f->uc.uc_stack = (stack_t){ .ss_sp = (uint8_t *)t + HOST_ALTSTACK_GUARD,
				    .ss_size = HOST_ALTSTACK_SIZE - HOST_ALTSTACK_GUARD };
	f->uc.uc_mcontext.gregs[REG_CSGSFS] = host_segments();
	f->t = t;
	t->prog_mask_saved = false;
	go_enclave(t, &f->regs, &f->uc);
	return 0;

trap_path:
	/*
	 * The ENCLU traps with the enclave's mask: its SIGILL is deliverable
	 * even if the program blocks it, and no program handler runs before
	 * host_enclu() takes the program's mask from @t.
	 */
	t->prog_mask_saved = true;
	sys_sigprocmask(SIG_SETMASK, &t->encl_mask, NULL);
	return -1;
}

/* Faults */

/*
 * Whether the instruction at @rip is one SGX forbids in an enclave. It is
 * read whole where it can be, else up to the end of its page (the decoder
 * asks for no byte it does not need).
 */
static bool illegal_at(struct host_thread *t, uint64_t rip)
{
	uint8_t b[15];
	size_t n = sizeof(b);

	if (!read_insn(&t->insn, rip, b, n)) {
		n = 4096 - (rip & 0xfff);
		if (n > sizeof(b) || !read_insn(&t->insn, rip, b, n))
			return false;
	}
	return host_insn_illegal_in_enclave(b, n, !sgx_cpu_config(t->plat->cpu)->sgx2);
}

/* INT 3 and INT 4 (CD 03, CD 04) trap with RIP past them: the instruction ends at @rip. */
static bool int_n_before(const struct host_thread *t, uint64_t rip)
{
	uint8_t b[2];

	return rip >= 2 && read_insn(&t->insn, rip - 2, b, 2) && b[0] == 0xcd &&
	       (b[1] == 3 || b[1] == 4);
}

/* The 64-bit user code segment, as the kernel gives every 64-bit thread. */
static uint16_t host_cs(void)
{
	uint16_t cs;

	__asm__("mov %%cs, %0" : "=r"(cs));
	return cs;
}

/*
 * The exception a signal of enclave code stands for. Whatever the host
 * raised for an instruction SGX forbids inside an enclave (#GP, #BP, a
 * dispatched system call, a #PF on its memory operand), SGX raises #UD
 * at the instruction, before it touches memory.
 */
static struct sgx_exception exception_of(struct host_thread *t, int sig, const siginfo_t *info,
					 ucontext_t *uc, struct sgx_regs *r)
{
	greg_t *g = uc->uc_mcontext.gregs;
	struct sgx_exception exc = { .vector = (uint8_t)g[REG_TRAPNO], .has_error_code = true,
				     .error_code = (uint32_t)g[REG_ERR] };
	const struct sgx_exception ud = { .vector = SGX_VEC_UD };

	/*
	 * A return to a 32-bit code segment: SYSENTER, which a kernel with
	 * IA32 emulation takes as a 32-bit system call on Intel processors,
	 * losing the instruction's RIP and RSP (docs/fidelity.md), or a far
	 * transfer to that segment. Either is #UD; the host goes on in 64-bit mode.
	 */
	if ((uint16_t)g[REG_CSGSFS] != host_cs()) {
		g[REG_CSGSFS] = (g[REG_CSGSFS] & ~(greg_t)0xffff) | host_cs();
		return ud;
	}
	switch (sig) {
	case SIGSEGV:
	case SIGBUS:
		if (g[REG_TRAPNO] == SGX_VEC_PF) {
			exc.addr = (uintptr_t)info->si_addr;
			if (exc.error_code & SGX_PF_I)
				return exc; /* the instruction could not even be fetched */
		} else if (g[REG_TRAPNO] == VEC_OF && int_n_before(t, r->rip)) {
			r->rip -= 2; /* INT 4: Linux's #OF gate lets user code in */
			return ud;
		} else {
			exc = (struct sgx_exception){ .vector = SGX_VEC_GP, .has_error_code = true };
		}
		break;
	case SIGSYS:
		/* SYSCALL or INT 0x80 blocked by Syscall User Dispatch: #UD at the instruction. */
		r->rip -= 2;
		r->rax = (uint64_t)info->si_syscall;
		return ud;
	case SIGILL:
		return ud;
	case SIGTRAP:
		if (g[REG_TRAPNO] == SGX_VEC_BP && int_n_before(t, r->rip)) {
			r->rip -= 2; /* INT 3 in its two-byte form: #BP on the host */
			return ud;
		}
		return exc;
	default:
		return exc; /* SIGFPE: the trap number is the vector */
	}
	return illegal_at(t, r->rip) ? ud : exc;
}

/*
 * The #PF hardware would have raised for an access of enclave code that the
 * host's mapping refused: the processor model walks the page tables and the
 * EPCM (sgx_enclave_access), so the AEX records the architectural error
 * code (0x8007 for a write the EPCM refuses, say), not the host's. When the
 * model allows the access, the host protection was stale: the fault keeps
 * the host's code and the driver refreshes the protection.
 */
static void architectural_pf(struct host_thread *t, struct sgx_exception *exc)
{
	int ret;

	pthread_rwlock_rdlock(&t->plat->mmap_lock);
	ret = sgx_enclave_access(t->lp, exc->addr, exc->error_code & (SGX_PF_W | SGX_PF_I));
	pthread_rwlock_unlock(&t->plat->mmap_lock);
	if (ret == SGX_PF)
		exc->error_code = sgx_lp_fault(t->lp)->error_code;
	else if (ret == SGX_GP)
		*exc = (struct sgx_exception){ .vector = SGX_VEC_GP, .has_error_code = true };
}

/*
 * A program's signal arrived while the thread ran enclave code: an
 * interrupt, so AEX; the handler then runs on the host state the AEX left
 * (RIP = AEP), as Linux delivers it on SGX hardware, and when it returns
 * the AEP decides (the entry function's ERESUMEs).
 */
static void enclave_signal(struct host_thread *t, int sig, siginfo_t *info, ucontext_t *uc)
{
	struct sgx_exception irq = { .vector = VEC_INTERRUPT };
	struct sgx_regs r;

	regs_from_uc(&r, uc, t->encl_fs, t->encl_gs);
	if (trace_on())
		trace_aex(&irq);
	if (aex(t, &r, &irq)) {
		/* No AEX (the LP was not in enclave mode): the processor reports why. */
		host_thread_left(t);
		irq = (struct sgx_exception){ .vector = sgx_lp_fault(t->lp)->vector,
					      .error_code = sgx_lp_fault(t->lp)->error_code,
					      .addr = sgx_lp_fault(t->lp)->addr };
		report(t, &r, &irq, false, uc, info);
		return;
	}
	host_thread_left(t);
	go_host(t, &r, uc);
	chain(sig, info, uc);
}

/* Whether @sig is the program's rather than a trap of the thread's own instruction. */
static bool program_signal(int sig, const siginfo_t *info)
{
	if (sig == host_ipi_signal())
		return false;
	/* A trapped signal someone sent (kill, tgkill, sigqueue) is no trap. */
	return !(host_signal_mask() & (1ull << (sig - 1))) || info->si_code <= 0;
}

static void enclave_trap(struct host_thread *t, int sig, siginfo_t *info, ucontext_t *uc)
{
	struct sgx_exception exc;
	struct sgx_regs r;

	atomic_store(&t->state, HOST_STATE_EMU);
	tsc_faulting(t, false);
	if (program_signal(sig, info)) {
		enclave_signal(t, sig, info, uc);
		return;
	}
	regs_from_uc(&r, uc, t->encl_fs, t->encl_gs);
	t->insn.len = 0;
	/* A trap other than a page fault: the instruction's bytes, read once. */
	if (sig != host_ipi_signal() && !(sig == SIGSEGV && uc->uc_mcontext.gregs[REG_TRAPNO] == SGX_VEC_PF) &&
	    !insn_snapshot(t, r.rip)) {
		go_enclave(t, &r, uc);
		return;
	}
	if (enclu_trap(&t->insn, sig, uc)) {
		enclave_enclu(t, uc, info);
		return;
	}
	if (sig == host_ipi_signal()) {
		struct sgx_exception irq = { .vector = VEC_INTERRUPT };

		if (trace_on())
			trace_ipi_received(true);
		if (trace_on())
			trace_aex(&irq);
		/* The driver's interrupt: AEX, and back in at once as the AEP's ERESUME would. */
		if (!aex(t, &r, &irq)) {
			atomic_fetch_add(&t->interrupts, 1);
			host_thread_left(t);
			if (!eresume(t, &r, &irq)) {
				/*
				 * The interrupt that makes a real AEX also gives the
				 * kernel a chance to schedule. Here the sender may be
				 * waiting for threads inside that are runnable but
				 * have no CPU (more threads than CPUs): without the
				 * yield they would get one only at the end of this
				 * thread's time slice, milliseconds later.
				 */
				sched_yield();
				go_enclave(t, &r, uc);
				return;
			}
		} else {
			/* No AEX (the LP was not in enclave mode): the processor reports why. */
			host_thread_left(t);
			irq = (struct sgx_exception){ .vector = sgx_lp_fault(t->lp)->vector,
						      .error_code = sgx_lp_fault(t->lp)->error_code,
						      .addr = sgx_lp_fault(t->lp)->addr };
		}
		/* What the program sees is that fault's signal, not the interrupt's. */
		memset(info, 0, sizeof(*info));
		info->si_code = irq.vector != SGX_VEC_PF	     ? SI_KERNEL
				: (irq.error_code & SGX_PF_P) ? SEGV_ACCERR
							      : SEGV_MAPERR;
		report(t, &r, &irq, false, uc, info);
		return;
	}
	exc = exception_of(t, sig, info, uc, &r);
	if (exc.vector == SGX_VEC_PF)
		architectural_pf(t, &exc);
	enclave_exception(t, &r, exc, false, uc, info);
}

/*
 * CPUID of host code on a thread whose CPUID faults: run it for it. @t may
 * be NULL: threads created by a registered thread inherit CPUID faulting.
 */
static bool host_cpuid_trap(struct host_thread *t, int sig, ucontext_t *uc)
{
	greg_t *g = uc->uc_mcontext.gregs;
	uint32_t regs[4];

	if (sig != SIGSEGV || g[REG_TRAPNO] != SGX_VEC_GP || !is_cpuid(g[REG_RIP]))
		return false;
	regs[0] = (uint32_t)g[REG_RAX];
	regs[2] = (uint32_t)g[REG_RCX];
	host_cpuid(t, regs);
	g[REG_RAX] = regs[0];
	g[REG_RBX] = regs[1];
	g[REG_RCX] = regs[2];
	g[REG_RDX] = regs[3];
	g[REG_RIP] += 2;
	return true;
}

/* Host code touched enclave memory (pre-faulting, or a bug): the driver decides. */
static void host_fault(int sig, siginfo_t *info, ucontext_t *uc, struct sgx_platform *plat)
{
	const greg_t *g = uc->uc_mcontext.gregs;
	enum sgx_fault_result res = SGX_FAULT_NOT_OURS;
	uint32_t pfec;

	if (sig == SIGSEGV && info->si_code > 0 && g[REG_TRAPNO] == SGX_VEC_PF && plat)
		res = resolve(plat, (uintptr_t)info->si_addr, (uint32_t)g[REG_ERR], false, &pfec);
	if (res == SGX_FAULT_RETRY)
		return;
	/* softsgx_probe_byte() of a bad pointer: its exception-table entry. */
	if ((sig == SIGSEGV || sig == SIGBUS) && info->si_code > 0 &&
	    g[REG_RIP] == (greg_t)(uintptr_t)softsgx_probe_byte) {
		uc->uc_mcontext.gregs[REG_RIP] = (greg_t)(uintptr_t)softsgx_probe_fault;
		return;
	}
	if (res == SGX_FAULT_SIGBUS) {
		/* sgx_vma_fault's VM_FAULT_SIGBUS: the program gets SIGBUS, BUS_ADRERR. */
		sig = SIGBUS;
		info->si_signo = SIGBUS;
		info->si_code = BUS_ADRERR;
	}
	chain(sig, info, uc);
}

__attribute__((visibility("hidden"))) int softsgx_host_thread_ensure(void);

/* Called by the entry function before its ENCLU: the thread must be known. */
__attribute__((visibility("hidden"))) int softsgx_host_thread_ensure(void)
{
	return host_thread_get() ? 0 : -ENOMEM;
}

/*
 * The first ENCLU of a thread softsgx has not seen (a runtime's own
 * thread and its own EENTER): the thread is registered now, and the ENCLU
 * runs again, trapping onto the thread's new alternate stack. This
 * handler may run on the thread's own alternate stack (a runtime's, a
 * sanitizer's): small, and one that sigaltstack() cannot replace while it
 * runs there (EPERM). So the registration runs on a stack of its own, and
 * rt_sigreturn, which restores the frame's uc_stack, keeps the new one.
 */
#define REGISTER_STACK_SIZE (64 * 1024)

struct registration {
	uintptr_t sp;
	struct host_thread *t;
};

static void register_on_own_stack(void *arg)
{
	struct registration *r = arg;

	r->t = host_thread_get_at(r->sp);
}

bool host_call_on_spare_stack(void (*fn)(void *), void *arg)
{
	static uint8_t stack[REGISTER_STACK_SIZE] __attribute__((aligned(16)));
	static atomic_flag stack_busy = ATOMIC_FLAG_INIT;
	unsigned int spins;

	/*
	 * A spin lock, not a mutex: a thread made by a raw clone() may share
	 * the C library's thread data (and so a mutex's idea of its owner)
	 * with another. Its users take microseconds; the loop is bounded.
	 */
	for (spins = 0; atomic_flag_test_and_set_explicit(&stack_busy, memory_order_acquire); spins++) {
		if (spins > (1u << 24))
			return false;
		__builtin_ia32_pause();
		if (spins > 1024)
			softsgx_raw_syscall(SYS_sched_yield, 0, 0, 0, 0, 0, 0);
	}
	softsgx_call_on_stack(fn, arg, stack + sizeof(stack));
	atomic_flag_clear_explicit(&stack_busy, memory_order_release);
	return true;
}

struct host_thread *host_register_from_trap(ucontext_t *uc)
{
	struct registration r = { .sp = (uintptr_t)uc->uc_mcontext.gregs[REG_RSP] };
	struct host_thread *t;

	if (!host_call_on_spare_stack(register_on_own_stack, &r))
		return NULL;
	t = r.t;
	if (t)
		uc->uc_stack = (stack_t){ .ss_sp = (uint8_t *)t + HOST_ALTSTACK_GUARD,
					  .ss_size = HOST_ALTSTACK_SIZE - HOST_ALTSTACK_GUARD };
	return t;
}

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/asan_interface.h>
/*
 * A program handler that left the alternate stack by siglongjmp() left
 * AddressSanitizer's marks of its frames there, where this handler's
 * frames now lie: the whole stack is unmarked first (what is live on it
 * is this handler's frame and the kernel's, which carry no marks that
 * matter).
 */
static void altstack_unpoison(struct host_thread *t)
{
	if (t)
		__asan_unpoison_memory_region((uint8_t *)t + HOST_ALTSTACK_GUARD,
					      HOST_ALTSTACK_SIZE - HOST_ALTSTACK_GUARD);
}
#else
static void altstack_unpoison(struct host_thread *t)
{
	(void)t;
}
#endif

/* Return: the thread, for the trampoline to switch to enclave state if it is there now. */
__attribute__((visibility("hidden"))) struct host_thread *
softsgx_sig_handler(int sig, siginfo_t *info, ucontext_t *uc, struct host_thread *t)
{
	int saved_errno = errno;

	altstack_unpoison(t);

	if (t && atomic_load(&t->state) == HOST_STATE_ENCLAVE) {
		enclave_trap(t, sig, info, uc);
	} else if (sig == host_ipi_signal()) {
		/* Not in enclave code: it left already, nothing to do. */
		if (trace_on())
			trace_ipi_received(false);
	} else if (!t && enclu_trap(NULL, sig, uc) && !program_signal(sig, info) &&
		   (t = host_register_from_trap(uc))) {
		/* done: the ENCLU runs again, on the thread's alternate stack */
	} else if (t && enclu_trap(NULL, sig, uc) && !program_signal(sig, info)) {
		host_enclu(t, uc, info);
	} else if (info->si_code > 0 && host_cpuid_trap(t, sig, uc)) {
		/* done */
	} else if (sig == SIGSYS && info->si_code == SYS_SECCOMP_CODE &&
		   info->si_errno == HOST_SECCOMP_DATA && host_raw_syscall_hook) {
		host_raw_syscall_hook(uc); /* one of the program's own system calls */
	} else {
		host_fault(sig, info, uc, sgx_platform_peek());
	}
	/*
	 * Only where it changed: a thread made by a raw clone() shares errno
	 * with its creator, and a store here could undo the creator's own.
	 */
	if (errno != saved_errno)
		errno = saved_errno;
	return t;
}
