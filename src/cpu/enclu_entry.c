/* SPDX-License-Identifier: MIT */
/*
 * Entering and leaving an enclave: EENTER, ERESUME, EEXIT and the
 * asynchronous exit (AEX). These are the leaves that switch a logical
 * processor into and out of enclave mode: they mark the TCS active or
 * inactive (an SDM erratum: docs/fidelity.md), swap the FS/GS bases,
 * count the LP in or out of the enclave's tracking epoch (track.c) and
 * move register state between struct sgx_regs and the SSA frames (GPRSGX,
 * MISC.EXINFO, XSAVE area).
 *
 * Processor model: always 64-bit mode with CR4.OSFXSR = CR4.OSXSAVE = 1 and
 * XCR0 = the platform's XFRM mask (cfg.xfrm); the checks on DS/ES/SS, the
 * CS limit and 32-bit FS/GS segments therefore never apply, and an enclave
 * with MODE64BIT = 0 cannot be entered. TF, XCR0 switching, breakpoints and
 * performance-monitoring suppression are not modelled (docs/fidelity.md).
 */
#include <string.h>

#include "cpu_internal.h"


#define RFLAGS_IF 0x000200ull
#define RFLAGS_IOPL 0x003000ull
#define RFLAGS_NT 0x004000ull
#define RFLAGS_RF 0x010000ull
#define RFLAGS_VM 0x020000ull
#define RFLAGS_AC 0x040000ull
#define RFLAGS_ID 0x200000ull
/* ERESUME restores these from GPRSGX.RFLAGS. */
#define RFLAGS_RESUMED (SGX_RFLAGS_CF | SGX_RFLAGS_PF | SGX_RFLAGS_AF | SGX_RFLAGS_ZF | \
			SGX_RFLAGS_SF | SGX_RFLAGS_DF | SGX_RFLAGS_OF | RFLAGS_NT | RFLAGS_AC | \
			RFLAGS_ID | RFLAGS_RF)
/* AEX clears these in the synthetic state. */
#define RFLAGS_AEX_CLEARED (SGX_RFLAGS_CF | SGX_RFLAGS_PF | SGX_RFLAGS_AF | SGX_RFLAGS_ZF | \
			    SGX_RFLAGS_SF | SGX_RFLAGS_OF | RFLAGS_RF)

/* Standard (non-compacted) XSAVE layout: legacy area + header, then components. */
#define XSAVE_LEGACY_HEADER 576
#define XSAVE_FCW 0
#define XSAVE_MXCSR 24
#define XSAVE_XSTATE_BV 512
#define XSAVE_FCW_INIT 0x037F
#define XSAVE_MXCSR_INIT 0x1F80u
#define XSAVE_MXCSR_MASK 0xFFFFu

/* The components beyond x87 and SSE, at their standard-format offsets (CPUID.(0DH,i)). */
static const struct {
	uint8_t bit;
	uint16_t start, end;
} xsave_components[] = {
	{ 2, 576, 832 },   /* AVX (YMM_Hi128) */
	{ 3, 960, 1024 },  /* MPX BNDREGS */
	{ 4, 1024, 1088 }, /* MPX BNDCSR */
	{ 5, 1088, 1152 }, /* AVX-512 opmask */
	{ 6, 1152, 1664 }, /* AVX-512 ZMM_Hi256 */
	{ 7, 1664, 2688 }, /* AVX-512 Hi16_ZMM */
	{ 9, 2688, 2696 }, /* PKRU */
};

/*
 * compute_XSAVE_frame_size(XFRM) of the SDM. Never above 2696 bytes, so the
 * XSAVE area always lies within the first page of its (page-aligned) frame.
 */
size_t xsave_size(uint64_t xfrm)
{
	size_t size = XSAVE_LEGACY_HEADER, i;

	for (i = 0; i < sizeof(xsave_components) / sizeof(xsave_components[0]); i++)
		if ((xfrm & (1ull << xsave_components[i].bit)) && xsave_components[i].end > size)
			size = xsave_components[i].end;
	return size;
}

static void xsave_init(uint8_t *area, size_t size)
{
	uint16_t fcw = XSAVE_FCW_INIT;
	uint32_t mxcsr = XSAVE_MXCSR_INIT;

	memset(area, 0, size);
	if (size >= XSAVE_MXCSR + sizeof(mxcsr)) {
		memcpy(area + XSAVE_FCW, &fcw, sizeof(fcw));
		memcpy(area + XSAVE_MXCSR, &mxcsr, sizeof(mxcsr));
	}
}

/*
 * The thread's extended state @img (@size bytes, standard format) as XRSTOR
 * with RFBM = XFRM leaves it: the legacy area (x87 and SSE are always in
 * XFRM) and the XFRM components from @src, or their INIT state when @src is
 * NULL, with XSTATE_BV's XFRM bits to match. Components outside XFRM keep
 * their value: XCR0 is XFRM while the enclave runs, so only the state
 * outside the enclave has them.
 */
static void xstate_load_xfrm(uint8_t *img, size_t size, const uint8_t *src, uint64_t xfrm)
{
	uint64_t bv, src_bv = 0;
	size_t i, start, end;

	end = size < XSAVE_XSTATE_BV ? size : XSAVE_XSTATE_BV;
	if (src)
		memcpy(img, src, end);
	else
		xsave_init(img, end);
	if (size < XSAVE_LEGACY_HEADER)
		return;
	for (i = 0; i < sizeof(xsave_components) / sizeof(xsave_components[0]); i++) {
		start = xsave_components[i].start;
		end = xsave_components[i].end < size ? xsave_components[i].end : size;
		if (!(xfrm & (1ull << xsave_components[i].bit)) || start >= end)
			continue;
		if (src)
			memcpy(img + start, src + start, end - start);
		else
			memset(img + start, 0, end - start);
	}
	memcpy(&bv, img + XSAVE_XSTATE_BV, sizeof(bv));
	if (src)
		memcpy(&src_bv, src + XSAVE_XSTATE_BV, sizeof(src_bv));
	bv = (bv & ~xfrm) | (src_bv & xfrm);
	memcpy(img + XSAVE_XSTATE_BV, &bv, sizeof(bv));
}

static struct sgx_tcs *tcs_of(const struct epc_page *pg)
{
	return (struct sgx_tcs *)pg->mem;
}

/* What EENTER, ERESUME and AEX work on: the TCS, its enclave and one SSA frame. */
struct entry {
	struct epc_page *tcs_pg;
	struct sgx_tcs *tcs;
	struct epc_page *secs_pg;
	struct sgx_secs *secs;
	uint8_t *xsave;            /* XSAVE area of the frame (physical view) */
	struct sgx_gprsgx *gpr;    /* GPRSGX of the frame */
};

/*
 * One page of an SSA frame: read/write accessible in the page tables, and a
 * valid, unblocked, accepted REG page of the enclave at @la with R and W.
 */
static int ssa_page(struct sgx_lp *lp, const struct epc_page *secs_pg, uint64_t la,
		    struct epc_page **out)
{
	struct epc_page *pg = NULL;
	int ret;

	ret = enclu_translate(lp, la, SGX_PF_W, &pg);
	if (ret)
		return ret;
	if (!pg->valid || pg->blocked || pg->pending || pg->modified ||
	    pg->linaddr != (la & SGX_PAGE_MASK) || pg->type != SGX_PAGE_TYPE_REG ||
	    pg->secs != secs_pg || !(pg->perm & SGX_SECINFO_R) || !(pg->perm & SGX_SECINFO_W))
		return lp_pf_epcm(lp, la, SGX_PF_W);
	*out = pg;
	return 0;
}

/* Check SSA frame @frame of the TCS in @en and locate its XSAVE area and GPRSGX. */
static int ssa_frame(struct sgx_lp *lp, struct entry *en, uint32_t frame)
{
	uint64_t frame_size = (uint64_t)en->secs->ssa_frame_size * SGX_PAGE_SIZE;
	uint64_t ssa = en->secs->base + en->tcs->ossa + frame_size * frame;
	uint64_t gpr = ssa + frame_size - sizeof(struct sgx_gprsgx);
	struct epc_page *pg = NULL;
	int ret;

	/* EENTER/ERESUME: XSAVE page of the frame not RW, not EPC, or bad EPCM -> #PF(page) */
	ret = ssa_page(lp, en->secs_pg, ssa, &pg);
	if (ret)
		return ret;
	en->xsave = pg->mem;
	/* EENTER/ERESUME: GPRSGX page, same checks -> #PF(GPRSGX address) */
	ret = ssa_page(lp, en->secs_pg, gpr, &pg);
	if (ret)
		return ret;
	en->gpr = (struct sgx_gprsgx *)((uint8_t *)pg->mem + (gpr & (SGX_PAGE_SIZE - 1)));
	return 0;
}

/* TCS.FLAGS bits EENTER and ERESUME refuse: AEXNOTIFY too on a processor without AEX-Notify. */
static uint64_t tcs_flags_reserved(const struct sgx_cpu *cpu)
{
	return SGX_TCS_FLAGS_RESERVED_MASK | (cpu->cfg.aexnotify ? 0 : SGX_TCS_FLAGS_AEXNOTIFY);
}

/* AEX-Notify: NOTIFY = TCS.FLAGS.AEXNOTIFY AND bit 0 of the AEXNOTIFY byte of the frame @en locates. */
static bool frame_notifies(const struct entry *en)
{
	return (en->tcs->flags & SGX_TCS_FLAGS_AEXNOTIFY) && (en->gpr->aexnotify & 1);
}

/* The TCS and enclave of the thread @lp runs (in enclave mode). */
static void entry_current(const struct sgx_lp *lp, struct entry *en)
{
	en->tcs_pg = lp->tcs;
	en->tcs = tcs_of(lp->tcs);
	en->secs_pg = lp->secs;
	en->secs = secs_of(lp->secs);
}

static bool tcs_page_ok(const struct epc_page *pg, uint64_t la)
{
	return pg->valid && !pg->blocked && !pg->pending && !pg->modified &&
	       pg->linaddr == la && pg->type == SGX_PAGE_TYPE_TCS;
}

/* EENTER/ERESUME from RBX up to the TCS's EPCM entry. */
static int tcs_find(struct sgx_lp *lp, const struct sgx_regs *regs, struct entry *en)
{
	struct epc_page *pg = NULL;
	int ret;

	/* EENTER/ERESUME: RBX not 4K-aligned -> #GP */
	if (!is_aligned(regs->rbx, SGX_PAGE_SIZE))
		return lp_gp(lp);
	/* EENTER/ERESUME: RBX not EPC -> #PF(RBX) (read/write: the TCS is written) */
	ret = enclu_translate(lp, regs->rbx, SGX_PF_W, &pg);
	if (ret)
		return ret;
	/* EENTER/ERESUME: AEP (RCX) not canonical -> #GP */
	if (!is_canonical(regs->rcx))
		return lp_gp(lp);
	/* EENTER/ERESUME: TCS in use by another SGX instruction -> #GP */
	if (!epc_use_try(lp, pg, EPC_USE_SHARED))
		return lp_gp(lp);
	epc_pause(lp, pg);
	/* EENTER/ERESUME: not VALID, BLOCKED, PENDING/MODIFIED, address != RBX or not TCS -> #PF(RBX) */
	if (!tcs_page_ok(pg, regs->rbx))
		return lp_pf_epcm(lp, regs->rbx, SGX_PF_W);
	en->tcs_pg = pg;
	en->tcs = tcs_of(pg);
	en->secs_pg = pg->secs;
	en->secs = secs_of(pg->secs);
	return 0;
}

/* EENTER/ERESUME from TCS.OSSA up to the XFRM check. */
static int tcs_check(struct sgx_lp *lp, const struct entry *en)
{
	const struct sgx_tcs *tcs = en->tcs;
	uint64_t xfrm = en->secs->attributes.xfrm;

	/* EENTER/ERESUME: OSSA not 4K-aligned -> #GP */
	if (!is_aligned(tcs->ossa, SGX_PAGE_SIZE))
		return lp_gp(lp);
	/* EENTER/ERESUME: OFSBASE or OGSBASE not 4K-aligned -> #GP */
	if (!is_aligned(tcs->ofsbase, SGX_PAGE_SIZE) || !is_aligned(tcs->ogsbase, SGX_PAGE_SIZE))
		return lp_gp(lp);
	/* EENTER/ERESUME: TCS.FLAGS reserved bits set (63:2; 63:1 without AEX-Notify) -> #GP */
	if (tcs->flags & tcs_flags_reserved(lp->cpu))
		return lp_gp(lp);
	/* EENTER/ERESUME: enclave not initialized -> #GP */
	if (!en->secs_pg->secs_state->initialized)
		return lp_gp(lp);
	/* EENTER/ERESUME: CPU mode (always 64-bit) != SECS.MODE64BIT -> #GP */
	if (!(en->secs->attributes.flags & SGX_ATTR_MODE64BIT))
		return lp_gp(lp);
	/* EENTER/ERESUME: OSXSAVE=1 and XFRM not a subset of XCR0 (= cfg.xfrm) -> #GP */
	if ((xfrm & lp->cpu->cfg.xfrm) != xfrm)
		return lp_gp(lp);
	/* EENTER/ERESUME: DBGOPTIN = 0 and TCS.FLAGS.AEXNOTIFY != SECS.ATTRIBUTES.AEXNOTIFY -> #GP */
	if (!(tcs->flags & SGX_TCS_FLAGS_DBGOPTIN) &&
	    !(tcs->flags & SGX_TCS_FLAGS_AEXNOTIFY) != !(en->secs->attributes.flags & SGX_ATTR_AEXNOTIFY))
		return lp_gp(lp);
	return 0;
}

/* Effects common to EENTER and ERESUME (before their own register loads). */
static void enter_mode(struct sgx_lp *lp, const struct entry *en, const struct sgx_regs *regs)
{
	en->tcs->aep = regs->rcx;
	lp->saved_fsbase = regs->fsbase;
	lp->saved_gsbase = regs->gsbase;
	lp->in_enclave = true;
	lp->secs = en->secs_pg;
	lp->tcs = en->tcs_pg;
	lp->tcs_la = regs->rbx;
	lp->ssa_xsave = en->xsave;
	lp->ssa_gpr = en->gpr;
	en->tcs_pg->tcs_active = true;
	track_enter(lp, en->secs_pg);
}

/* Effects common to EEXIT and AEX: outside FS/GS back, TCS inactive, out of enclave mode. */
static void leave_mode(struct sgx_lp *lp, struct sgx_regs *regs)
{
	regs->fsbase = lp->saved_fsbase;
	regs->gsbase = lp->saved_gsbase;
	lp->tcs->tcs_active = false;
	lp->in_enclave = false;
	track_leave(lp);
}

static int enter_at_oentry(struct sgx_lp *lp, struct entry *en, struct sgx_regs *regs);

static int __eenter(struct sgx_lp *lp, struct sgx_regs *regs)
{
	struct entry en;
	int ret;

	/* ENCLU: EENTER in enclave mode -> #GP */
	if (lp->in_enclave)
		return lp_gp(lp);
	ret = tcs_find(lp, regs, &en);
	if (!ret)
		ret = tcs_check(lp, &en);
	if (ret)
		return ret;
	/* EENTER: CSSA >= NSSA -> #GP */
	if (en.tcs->cssa >= en.tcs->nssa)
		return lp_gp(lp);
	ret = ssa_frame(lp, &en, en.tcs->cssa);
	if (ret)
		return ret;
	return enter_at_oentry(lp, &en, regs);
}

/*
 * EENTER from its OENTRY check on, and ERESUME's notify branch (AEX-Notify)
 * likewise: into the enclave at TCS.OENTRY with RAX = CSSA and the TCS's
 * FS/GS bases, the outside RSP/RBP kept in frame CSSA (located in @en).
 */
static int enter_at_oentry(struct sgx_lp *lp, struct entry *en, struct sgx_regs *regs)
{
	uint64_t base = en->secs->base;

	/* EENTER: BASE+OENTRY not canonical -> #GP */
	if (!is_canonical(base + en->tcs->oentry))
		return lp_gp(lp);
	/* EENTER: BASE+OFSBASE or BASE+OGSBASE not canonical -> #GP (SDMnew order) */
	if (!is_canonical(base + en->tcs->ofsbase) || !is_canonical(base + en->tcs->ogsbase))
		return lp_gp(lp);
	/* EENTER: TCS already active -> #GP (SDM erratum: docs/fidelity.md) */
	if (en->tcs_pg->tcs_active)
		return lp_gp(lp);
	enter_mode(lp, en, regs);
	regs->rcx = regs->rip + ENCLU_INSN_LEN;
	regs->rip = base + en->tcs->oentry;
	regs->rax = en->tcs->cssa;
	en->gpr->ursp = regs->rsp;
	en->gpr->urbp = regs->rbp;
	regs->fsbase = base + en->tcs->ofsbase;
	regs->gsbase = base + en->tcs->ogsbase;
	/* No RAX code: RFLAGS untouched (no lp_ok()). */
	return SGX_SUCCESS;
}

int enclu_eenter(struct sgx_lp *lp, struct sgx_regs *regs)
{
	leaf_begin(lp, SGX_LEAF_ENCLU(ENCLU_EENTER));
	return leaf_end(lp, __eenter(lp, regs));
}

/* What XRSTOR would #GP on: XSTATE_BV beyond XFRM, bytes 520..535 set, bad MXCSR. */
static bool xrstor_ok(const uint8_t *xsave, uint64_t xfrm)
{
	uint64_t xstate_bv, hdr[2];
	uint32_t mxcsr;

	memcpy(&xstate_bv, xsave + XSAVE_XSTATE_BV, sizeof(xstate_bv));
	memcpy(hdr, xsave + XSAVE_XSTATE_BV + 8, sizeof(hdr));
	memcpy(&mxcsr, xsave + XSAVE_MXCSR, sizeof(mxcsr));
	return !(xstate_bv & ~xfrm) && !hdr[0] && !hdr[1] && !(mxcsr & ~XSAVE_MXCSR_MASK);
}

static void gprs_load(struct sgx_regs *regs, const struct sgx_gprsgx *gpr)
{
	regs->rax = gpr->rax;
	regs->rcx = gpr->rcx;
	regs->rdx = gpr->rdx;
	regs->rbx = gpr->rbx;
	regs->rsp = gpr->rsp;
	regs->rbp = gpr->rbp;
	regs->rsi = gpr->rsi;
	regs->rdi = gpr->rdi;
	regs->r8 = gpr->r8;
	regs->r9 = gpr->r9;
	regs->r10 = gpr->r10;
	regs->r11 = gpr->r11;
	regs->r12 = gpr->r12;
	regs->r13 = gpr->r13;
	regs->r14 = gpr->r14;
	regs->r15 = gpr->r15;
}

static uint64_t resume_rflags(uint64_t now, uint64_t saved)
{
	uint64_t from_ssa = RFLAGS_RESUMED;

	/* ERESUME: IF from the SSA only when IOPL = 3 */
	if ((now & RFLAGS_IOPL) == RFLAGS_IOPL)
		from_ssa |= RFLAGS_IF;
	/* ERESUME: VM <- 0 */
	return (now & ~(from_ssa | RFLAGS_VM)) | (saved & from_ssa);
}

/* ERESUME's effects after enter_mode(): registers and extended state from frame CSSA-1. */
static void resume_load(const struct entry *en, struct sgx_regs *regs)
{
	size_t n = xsave_size(en->secs->attributes.xfrm);

	gprs_load(regs, en->gpr);
	regs->rip = en->gpr->rip;
	regs->rflags = resume_rflags(regs->rflags, en->gpr->rflags);
	regs->fsbase = en->gpr->fsbase;
	regs->gsbase = en->gpr->gsbase;
	if (regs->xsave)
		xstate_load_xfrm(regs->xsave, regs->xsave_size < n ? regs->xsave_size : n, en->xsave,
				 en->secs->attributes.xfrm);
	en->tcs->cssa--;
}

/*
 * ERESUME's notify branch (AEX-Notify): the interrupted frame CSSA-1 stays
 * as AEX left it, and the thread enters at OENTRY as EENTER would, on frame
 * CSSA, so that the enclave's handler runs first (it can return to the
 * interrupted frame with EDECCSSA). No XRSTOR, no GPR or RFLAGS load, CSSA
 * unchanged. RCX: the address after ENCLU, as for EENTER (docs/fidelity.md).
 */
static int eresume_notify(struct sgx_lp *lp, struct entry *en, struct sgx_regs *regs)
{
	int ret;

	/* ERESUME (notify): CSSA >= NSSA -> #GP */
	if (en->tcs->cssa >= en->tcs->nssa)
		return lp_gp(lp);
	/* ERESUME (notify): frame CSSA's XSAVE and GPRSGX pages, as EENTER checks them -> #PF */
	ret = ssa_frame(lp, en, en->tcs->cssa);
	if (ret)
		return ret;
	ret = enter_at_oentry(lp, en, regs);
	if (ret == SGX_SUCCESS) {
		lp->notify = true;
		cpu_count_stat(lp->cpu, SGX_CPU_STAT_ERESUME_NOTIFY);
	}
	return ret;
}

static int __eresume(struct sgx_lp *lp, struct sgx_regs *regs)
{
	struct entry en;
	int ret;

	/* ENCLU: ERESUME in enclave mode -> #GP */
	if (lp->in_enclave)
		return lp_gp(lp);
	ret = tcs_find(lp, regs, &en);
	if (!ret)
		ret = tcs_check(lp, &en);
	if (ret)
		return ret;
	/* ERESUME: CSSA = 0 -> #GP */
	if (en.tcs->cssa == 0)
		return lp_gp(lp);
	ret = ssa_frame(lp, &en, en.tcs->cssa - 1);
	if (ret)
		return ret;
	/* ERESUME: NOTIFY = TCS.FLAGS.AEXNOTIFY AND frame CSSA-1's AEXNOTIFY bit 0 */
	if (frame_notifies(&en))
		return eresume_notify(lp, &en, regs);
	/* ERESUME: GPRSGX.RIP not canonical -> #GP */
	if (!is_canonical(en.gpr->rip))
		return lp_gp(lp);
	/* ERESUME: GPRSGX.FSBASE or GSBASE not canonical -> #GP */
	if (!is_canonical(en.gpr->fsbase) || !is_canonical(en.gpr->gsbase))
		return lp_gp(lp);
	/* ERESUME: TCS already active -> #GP (SDM erratum: docs/fidelity.md) */
	if (en.tcs_pg->tcs_active)
		return lp_gp(lp);
	/* ERESUME: XRSTOR of the frame faults -> #GP (TCS stays inactive) */
	if (!xrstor_ok(en.xsave, en.secs->attributes.xfrm))
		return lp_gp(lp);
	enter_mode(lp, &en, regs);
	resume_load(&en, regs);
	/* No RAX code: RAX and RFLAGS come from the SSA. */
	return SGX_SUCCESS;
}

int enclu_eresume(struct sgx_lp *lp, struct sgx_regs *regs)
{
	leaf_begin(lp, SGX_LEAF_ENCLU(ENCLU_ERESUME));
	return leaf_end(lp, __eresume(lp, regs));
}

/*
 * EDECCSSA (AEX-Notify): back to the interrupted frame without leaving the
 * enclave. CSSA is decremented and the next AEX saves into frame CSSA-1;
 * nothing else changes (no register or state is loaded: the handler copies
 * what it needs from the frame first).
 */
static int __edeccssa(struct sgx_lp *lp)
{
	struct entry en;
	int ret;

	/* ENCLU: EDECCSSA outside enclave mode -> #GP */
	if (!lp->in_enclave)
		return lp_gp(lp);
	/* EDECCSSA: TCS in use by another SGX instruction -> #GP */
	if (!epc_use_try(lp, lp->tcs, EPC_USE_SHARED))
		return lp_gp(lp);
	epc_pause(lp, lp->tcs);
	entry_current(lp, &en);
	/* EDECCSSA: CSSA = 0 -> #GP */
	if (en.tcs->cssa == 0)
		return lp_gp(lp);
	/* EDECCSSA: frame CSSA-1's XSAVE and GPRSGX pages not RW, not EPC, or bad EPCM -> #PF */
	ret = ssa_frame(lp, &en, en.tcs->cssa - 1);
	if (ret)
		return ret;
	en.tcs->cssa--;
	lp->ssa_xsave = en.xsave;
	lp->ssa_gpr = en.gpr;
	return SGX_SUCCESS;
}

int enclu_edeccssa(struct sgx_lp *lp)
{
	leaf_begin(lp, SGX_LEAF_ENCLU(ENCLU_EDECCSSA));
	return leaf_end(lp, __edeccssa(lp));
}

static int __eexit(struct sgx_lp *lp, struct sgx_regs *regs)
{
	/* ENCLU: EEXIT outside enclave mode -> #GP */
	if (!lp->in_enclave)
		return lp_gp(lp);
	/* EEXIT: RBX not canonical -> #GP */
	if (!is_canonical(regs->rbx))
		return lp_gp(lp);
	epc_pause(lp, lp->tcs);
	regs->rip = regs->rbx;
	regs->rcx = tcs_of(lp->tcs)->aep;
	/* EEXIT restores no GPR (not even RSP/RBP, whatever EENTER's prose says). */
	leave_mode(lp, regs);
	return SGX_SUCCESS;
}

int enclu_eexit(struct sgx_lp *lp, struct sgx_regs *regs)
{
	leaf_begin(lp, SGX_LEAF_ENCLU(ENCLU_EEXIT));
	return leaf_end(lp, __eexit(lp, regs));
}

/* AEX: EXITINFO for @exc (and whether MISC.EXINFO is written). */
static uint32_t aex_exitinfo(const struct sgx_exception *exc, bool exinfo, bool *write_exinfo)
{
	uint32_t type = SGX_EXITINFO_TYPE_HW;

	*write_exinfo = false;
	switch (exc->vector) {
	case SGX_VEC_BP:
		type = SGX_EXITINFO_TYPE_SW;
		break;
	case SGX_VEC_DE: case SGX_VEC_DB: case SGX_VEC_BR: case SGX_VEC_UD:
	case SGX_VEC_MF: case SGX_VEC_AC: case SGX_VEC_XM:
		break;
	case SGX_VEC_PF: case SGX_VEC_GP:
		/* AEX: #PF/#GP reported only when MISCSELECT.EXINFO is set */
		if (!exinfo)
			return 0;
		*write_exinfo = true;
		break;
	default:
		return 0; /* interrupts and other events: EXITINFO.VALID = 0 */
	}
	return SGX_EXITINFO_VALID | (type << SGX_EXITINFO_TYPE_SHIFT) | exc->vector;
}

static void aex_save_gprs(struct sgx_gprsgx *gpr, const struct sgx_regs *regs)
{
	gpr->rax = regs->rax;
	gpr->rcx = regs->rcx;
	gpr->rdx = regs->rdx;
	gpr->rbx = regs->rbx;
	gpr->rsp = regs->rsp;
	gpr->rbp = regs->rbp;
	gpr->rsi = regs->rsi;
	gpr->rdi = regs->rdi;
	gpr->r8 = regs->r8;
	gpr->r9 = regs->r9;
	gpr->r10 = regs->r10;
	gpr->r11 = regs->r11;
	gpr->r12 = regs->r12;
	gpr->r13 = regs->r13;
	gpr->r14 = regs->r14;
	gpr->r15 = regs->r15;
	gpr->rflags = regs->rflags;
	gpr->rip = regs->rip;
	gpr->fsbase = regs->fsbase;
	gpr->gsbase = regs->gsbase;
}

/*
 * AEX: XFRM state into the frame's XSAVE area (XSAVE with RFBM = XFRM: the
 * header names XFRM's components only), the thread's XFRM components back to INIT.
 */
static void aex_save_xstate(uint8_t *area, size_t size, uint64_t xfrm, struct sgx_regs *regs)
{
	uint64_t xstate_bv;
	size_t n;

	if (!regs->xsave) {
		xsave_init(area, size);
		return;
	}
	n = regs->xsave_size < size ? regs->xsave_size : size;
	memcpy(area, regs->xsave, n);
	memset(area + n, 0, size - n);
	if (size >= XSAVE_LEGACY_HEADER) {
		memcpy(&xstate_bv, area + XSAVE_XSTATE_BV, sizeof(xstate_bv));
		xstate_bv &= xfrm;
		memcpy(area + XSAVE_XSTATE_BV, &xstate_bv, sizeof(xstate_bv));
		memset(area + XSAVE_XSTATE_BV + 8, 0, 56); /* XCOMP_BV and the rest of the header */
	}
	xstate_load_xfrm(regs->xsave, regs->xsave_size, NULL, xfrm);
}

static void aex_save(const struct entry *en, struct sgx_regs *regs, const struct sgx_exception *exc)
{
	bool exinfo = en->secs->miscselect & SGX_MISC_EXINFO, write_exinfo;
	struct sgx_exinfo *ei = (struct sgx_exinfo *)((uint8_t *)en->gpr - sizeof(*ei));

	aex_save_gprs(en->gpr, regs);
	en->gpr->exitinfo = aex_exitinfo(exc, exinfo, &write_exinfo);
	memset(en->gpr->reserved, 0, sizeof(en->gpr->reserved));
	/* GPRSGX.AEXNOTIFY (byte 167) is software's: AEX leaves it (SDM: AEX-Notify) */
	if (write_exinfo) {
		ei->maddr = exc->vector == SGX_VEC_PF ? exc->addr : 0;
		ei->errcd = exc->has_error_code ? exc->error_code : 0;
		ei->reserved = 0;
	}
	aex_save_xstate(en->xsave, xsave_size(en->secs->attributes.xfrm), en->secs->attributes.xfrm, regs);
}

/* AEX: the synthetic state the OS sees (ERESUME in RAX, RIP = AEP). */
static void aex_synthesize(const struct entry *en, struct sgx_lp *lp, struct sgx_regs *regs)
{
	uint64_t xsave_size_saved = regs->xsave_size;
	void *xsave = regs->xsave;

	*regs = (struct sgx_regs){
		.rax = ENCLU_ERESUME,
		.rbx = lp->tcs_la,
		.rcx = en->tcs->aep,
		.rsp = en->gpr->ursp,
		.rbp = en->gpr->urbp,
		.rflags = regs->rflags & ~RFLAGS_AEX_CLEARED,
		.rip = en->tcs->aep,
		.xsave = xsave,
		.xsave_size = xsave_size_saved,
	};
}

/*
 * The SSA frame is the one EENTER/ERESUME checked, written through the
 * addresses cached then, whatever the page tables or the EPCM say now.
 * On #PF the OS-visible CR2 has its low 12 bits cleared on hardware; the
 * caller, which delivers the exception, does that (EXINFO keeps the full
 * address).
 */
static int __aex(struct sgx_lp *lp, struct sgx_regs *regs, const struct sgx_exception *exc)
{
	struct entry en;

	/* AEX happens only in enclave mode: anything else is a caller bug. */
	if (!lp->in_enclave)
		return lp_gp(lp);
	epc_pause(lp, lp->tcs);
	entry_current(lp, &en);
	/*
	 * The frame is written where EENTER/ERESUME found it (CR_XSAVE_PAGE_n,
	 * CR_GPR_PA): no page walk, so an AEX completes even when the enclave's
	 * mappings are gone meanwhile (munmap under a thread inside).
	 */
	en.xsave = lp->ssa_xsave;
	en.gpr = lp->ssa_gpr;
	aex_save(&en, regs, exc);
	/* The frame's ERESUME will notify: counted for AEX-Notify's users. */
	if (frame_notifies(&en))
		cpu_count_stat(lp->cpu, SGX_CPU_STAT_AEX_ARMED);
	aex_synthesize(&en, lp, regs);
	en.tcs->cssa++;
	leave_mode(lp, regs);
	return SGX_SUCCESS;
}

int sgx_aex(struct sgx_lp *lp, struct sgx_regs *regs, const struct sgx_exception *exc)
{
	leaf_begin(lp, SGX_LEAF_AEX);
	return leaf_end(lp, __aex(lp, regs, exc));
}
