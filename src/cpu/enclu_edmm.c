/* SPDX-License-Identifier: MIT */
/*
 * SGX2 ENCLU leaves, the enclave's half of dynamic memory management:
 * EACCEPT confirms a change the kernel made (EAUG, EMODPR, EMODT),
 * EACCEPTCOPY initializes an EAUGed page from another enclave page and
 * sets its permissions, EMODPE extends the EPCM permissions of a regular
 * page. Operands are enclave linear addresses, translated through the LP's
 * MMU (enclu.c). Checks run in the order of the SDM pseudo-code, with its
 * errata corrected (docs/fidelity.md, "Which SDM text").
 */
#include <string.h>

#include "cpu_internal.h"

#define SECINFO_RW (SGX_SECINFO_R | SGX_SECINFO_W)

static bool flag(uint64_t flags, uint64_t bit)
{
	return (flags & bit) != 0;
}

/* ENCLU prologue: SGX2 leaves are undefined without SGX2, and need enclave mode. */
static int enclu_sgx2_prologue(struct sgx_lp *lp)
{
	if (!lp->cpu->cfg.sgx2 || !lp->in_enclave)
		return lp_gp(lp);
	return 0;
}

/*
 * The SECINFO operand at @la (already translated to @pg): a readable
 * regular page of the running enclave mapped at @la's page, else #PF(la)
 * (EACCEPT/EACCEPTCOPY compare ENCLAVEADDRESS with the page base: an erratum).
 * On success the 64 bytes are copied into @si (SCRATCH_SECINFO).
 */
static int secinfo_fetch(struct sgx_lp *lp, const struct epc_page *pg, uint64_t la,
			 struct sgx_secinfo *si)
{
	if (!epcm_enclave_page_ok(lp, pg, la, SGX_SECINFO_R))
		return lp_pf_epcm(lp, la, 0);
	memcpy(si, (const uint8_t *)pg->mem + (la & (SGX_PAGE_SIZE - 1)), sizeof(*si));
	return 0;
}

/* EACCEPT: legal are REG with (PR or PENDING) and not MODIFIED, or TCS/TRIM with MODIFIED only. */
static bool eaccept_request_legal(uint64_t f)
{
	unsigned int type = secinfo_type(f);

	if (type == SGX_PAGE_TYPE_REG)
		return (flag(f, SGX_SECINFO_PR) || flag(f, SGX_SECINFO_PENDING)) &&
		       !flag(f, SGX_SECINFO_MODIFIED);
	if (type == SGX_PAGE_TYPE_TCS || type == SGX_PAGE_TYPE_TRIM)
		return !flag(f, SGX_SECINFO_PR) && !flag(f, SGX_SECINFO_PENDING) &&
		       flag(f, SGX_SECINFO_MODIFIED);
	return false;
}

/* EACCEPT: the page's EPCM differs from the request (PR is not compared). */
static bool eaccept_mismatch(const struct epc_page *pg, uint64_t f, uint64_t la)
{
	return pg->linaddr != la || pg->pending != flag(f, SGX_SECINFO_PENDING) ||
	       pg->modified != flag(f, SGX_SECINFO_MODIFIED) ||
	       pg->perm != (f & SGX_SECINFO_PERM_MASK) || pg->type != secinfo_type(f);
}

/* EACCEPT of a TCS (SDMnew: TCS only): a TCS as EADD would have left it. */
static bool eaccept_tcs_ok(const struct epc_page *pg)
{
	const struct sgx_tcs *tcs = pg->mem;
	const struct sgx_secs *secs = secs_of(pg->secs);

	if (!mem_is_zero(tcs->reserved, sizeof(tcs->reserved)))
		return false;
	if ((tcs->flags & SGX_TCS_FLAGS_DBGOPTIN) || tcs->cssa >= tcs->nssa || tcs->aep ||
	    tcs->state)
		return false;
	/* 32-bit enclave: FSLIMIT and GSLIMIT end on a page boundary */
	return (secs->attributes.flags & SGX_ATTR_MODE64BIT) ||
	       ((tcs->fslimit & 0xFFF) == 0xFFF && (tcs->gslimit & 0xFFF) == 0xFFF);
}

/* EACCEPT, after taking the target's marks: the re-checks and the effect. */
static int eaccept_commit(struct sgx_lp *lp, struct epc_page *pg, uint64_t f, uint64_t la)
{
	/* EACCEPT: re-check VALID and owner -> #PF(RCX) */
	if (!pg->valid || pg->secs != lp->secs)
		return lp_pf_epcm(lp, la, 0);
	/* EACCEPT: address, PENDING, MODIFIED, RWX or PT differ -> SGX_PAGE_ATTRIBUTES_MISMATCH */
	if (eaccept_mismatch(pg, f, la))
		return lp_err(lp, SGX_PAGE_ATTRIBUTES_MISMATCH);
	/* EACCEPT: an EMODPR/EMODT change not yet tracked -> SGX_NOT_TRACKED */
	if (!track_complete(pg) ||
	    ((pg->pr || pg->modified) &&
	     cpu_event(lp, SGX_EVENT_EACCEPT_NOT_TRACKED, pg->secs, la)))
		return lp_err(lp, SGX_NOT_TRACKED);
	/* EACCEPT: TCS not in its initial state -> #GP */
	if (secinfo_type(f) == SGX_PAGE_TYPE_TCS && !eaccept_tcs_ok(pg))
		return lp_gp(lp);
	pg->pending = false;
	pg->modified = false;
	pg->pr = false;
	return lp_ok(lp);
}

/* EACCEPT: the target page's EPCM before taking marks (VALID, BLOCKED, type, owner). */
static bool eaccept_target_ok(const struct sgx_lp *lp, const struct epc_page *pg)
{
	return pg->valid && !pg->blocked &&
	       (pg->type == SGX_PAGE_TYPE_REG || pg->type == SGX_PAGE_TYPE_TCS ||
		pg->type == SGX_PAGE_TYPE_TRIM) &&
	       pg->secs == lp->secs;
}

static int __eaccept(struct sgx_lp *lp, uint64_t rbx, uint64_t rcx)
{
	struct sgx_secinfo si;
	struct epc_page *sp = NULL, *pg = NULL;
	int ret;

	if ((ret = enclu_sgx2_prologue(lp)))
		return ret;
	/* EACCEPT: RBX not 64-aligned or outside ELRANGE -> #GP */
	if (!is_aligned(rbx, 64) || !in_elrange(lp->secs, rbx))
		return lp_gp(lp);
	/* EACCEPT: RBX not EPC -> #PF(RBX); SECINFO page EPCM -> #PF(RBX) */
	if ((ret = enclu_translate(lp, rbx, 0, &sp)) || (ret = secinfo_fetch(lp, sp, rbx, &si)))
		return ret;
	/* EACCEPT: SECINFO reserved fields -> #GP */
	if (!secinfo_reserved_ok(&si))
		return lp_gp(lp);
	/* EACCEPT: RCX not 4K-aligned or outside ELRANGE -> #GP */
	if (!is_aligned(rcx, SGX_PAGE_SIZE) || !in_elrange(lp->secs, rcx))
		return lp_gp(lp);
	/* EACCEPT: RCX not EPC -> #PF(RCX) */
	if ((ret = enclu_translate(lp, rcx, 0, &pg)))
		return ret;
	/* EACCEPT: illegal PT/PENDING/MODIFIED/PR combination -> #GP */
	if (!eaccept_request_legal(si.flags))
		return lp_gp(lp);
	/* EACCEPT: target not VALID, BLOCKED, not REG/TCS/TRIM or foreign -> #PF(RCX) */
	if (!eaccept_target_ok(lp, pg))
		return lp_pf_epcm(lp, rcx, 0);
	/* EACCEPT: target in use (base shared, SGX2 exclusive) -> #GP */
	if (!epc_use_try(lp, pg, EPC_USE_SHARED) || !epc_use_try(lp, pg, EPC_USE_SGX2))
		return lp_gp(lp);
	epc_pause(lp, pg);
	return eaccept_commit(lp, pg, si.flags, rcx);
}

int enclu_eaccept(struct sgx_lp *lp, uint64_t secinfo, uint64_t page)
{
	leaf_begin(lp, SGX_LEAF_ENCLU(ENCLU_EACCEPT));
	return leaf_end(lp, __eaccept(lp, secinfo, page));
}

/* EMODPE: the target page before and after taking its mark (the re-check adds the address). */
static bool emodpe_target_ok(const struct sgx_lp *lp, const struct epc_page *pg, uint64_t la,
			     bool recheck)
{
	return pg->valid && !pg->pending && !pg->modified && pg->type == SGX_PAGE_TYPE_REG &&
	       pg->secs == lp->secs && (!recheck || pg->linaddr == la);
}

/* EMODPE: alignment, ELRANGE, translation and the SECINFO. */
static int emodpe_operands(struct sgx_lp *lp, uint64_t rbx, uint64_t rcx, struct sgx_secinfo *si,
			   struct epc_page **pg)
{
	struct epc_page *sp = NULL;
	int ret;

	/* EMODPE: RBX not 64-aligned, RCX not 4K-aligned -> #GP */
	if (!is_aligned(rbx, 64) || !is_aligned(rcx, SGX_PAGE_SIZE))
		return lp_gp(lp);
	/* EMODPE: RBX or RCX outside ELRANGE -> #GP */
	if (!in_elrange(lp->secs, rbx) || !in_elrange(lp->secs, rcx))
		return lp_gp(lp);
	/* EMODPE: RBX, then RCX not EPC -> #PF */
	if ((ret = enclu_translate(lp, rbx, 0, &sp)) || (ret = enclu_translate(lp, rcx, 0, pg)))
		return ret;
	/* EMODPE: SECINFO page EPCM -> #PF(RBX) */
	if ((ret = secinfo_fetch(lp, sp, rbx, si)))
		return ret;
	/* EMODPE: SECINFO reserved fields -> #GP */
	if (!secinfo_reserved_ok(si))
		return lp_gp(lp);
	return 0;
}

static int __emodpe(struct sgx_lp *lp, uint64_t rbx, uint64_t rcx)
{
	struct sgx_secinfo si;
	struct epc_page *pg = NULL;
	int ret;

	if ((ret = enclu_sgx2_prologue(lp)) || (ret = emodpe_operands(lp, rbx, rcx, &si, &pg)))
		return ret;
	/* EMODPE: target not VALID, PENDING, MODIFIED, BLOCKED, not REG or foreign -> #PF(RCX) */
	if (pg->blocked || !emodpe_target_ok(lp, pg, rcx, false))
		return lp_pf_epcm(lp, rcx, 0);
	/* EMODPE: target in use by another SGX2 instruction -> #GP */
	if (!epc_use_try(lp, pg, EPC_USE_SGX2))
		return lp_gp(lp);
	epc_pause(lp, pg);
	/* EMODPE: re-check, now with ENCLAVEADDRESS == RCX -> #PF(RCX) */
	if (!emodpe_target_ok(lp, pg, rcx, true))
		return lp_pf_epcm(lp, rcx, 0);
	/* EMODPE: result would be W without R -> #GP (SDM18; SDMnew lost the action) */
	if (!(pg->perm & SGX_SECINFO_R) && !flag(si.flags, SGX_SECINFO_R) &&
	    flag(si.flags, SGX_SECINFO_W))
		return lp_gp(lp);
	/* EMODPE: EPCM RWX |= SECINFO RWX; PR untouched */
	pg->perm |= (uint8_t)(si.flags & SGX_SECINFO_PERM_MASK);
	return SGX_SUCCESS; /* EMODPE has no RAX code: RAX and RFLAGS untouched */
}

int enclu_emodpe(struct sgx_lp *lp, uint64_t secinfo, uint64_t page)
{
	leaf_begin(lp, SGX_LEAF_ENCLU(ENCLU_EMODPE));
	return leaf_end(lp, __emodpe(lp, secinfo, page));
}

/* EACCEPTCOPY: destination before its mark (BLOCKED of the destination: an erratum). */
static bool eacceptcopy_dst_ok(const struct sgx_lp *lp, const struct epc_page *pg)
{
	return pg->valid && pg->pending && !pg->modified && !pg->blocked &&
	       pg->type == SGX_PAGE_TYPE_REG && pg->secs == lp->secs;
}

/* EACCEPTCOPY: destination re-checked after its mark: exactly as EAUG left it, at @la. */
static bool eacceptcopy_dst_recheck(const struct sgx_lp *lp, const struct epc_page *pg,
				    uint64_t la)
{
	return pg->valid && pg->pending && !pg->modified && pg->perm == SECINFO_RW &&
	       pg->type == SGX_PAGE_TYPE_REG && pg->secs == lp->secs && pg->linaddr == la;
}

/* EACCEPTCOPY: alignment, ELRANGE and translation of RBX, RCX, RDX. */
static int eacceptcopy_translate(struct sgx_lp *lp, uint64_t rbx, uint64_t rcx, uint64_t rdx,
				 struct epc_page *pg[3])
{
	int ret;

	/* EACCEPTCOPY: RBX not 64-aligned -> #GP; RCX or RDX not 4K-aligned -> #GP */
	if (!is_aligned(rbx, 64))
		return lp_gp(lp);
	if (!is_aligned(rcx, SGX_PAGE_SIZE) || !is_aligned(rdx, SGX_PAGE_SIZE))
		return lp_gp(lp);
	/* EACCEPTCOPY: RBX, RCX or RDX outside ELRANGE -> #GP */
	if (!in_elrange(lp->secs, rbx) || !in_elrange(lp->secs, rcx) || !in_elrange(lp->secs, rdx))
		return lp_gp(lp);
	/* EACCEPTCOPY: RBX, then RCX (written), then RDX not EPC -> #PF */
	if ((ret = enclu_translate(lp, rbx, 0, &pg[0])) ||
	    (ret = enclu_translate(lp, rcx, SGX_PF_W, &pg[1])) ||
	    (ret = enclu_translate(lp, rdx, 0, &pg[2])))
		return ret;
	return 0;
}

/* EACCEPTCOPY: everything before the destination's mark. */
static int eacceptcopy_checks(struct sgx_lp *lp, uint64_t rbx, uint64_t rcx, uint64_t rdx,
			      struct sgx_secinfo *si, struct epc_page **dst, struct epc_page **src)
{
	struct epc_page *pg[3];
	int ret;

	if ((ret = eacceptcopy_translate(lp, rbx, rcx, rdx, pg)))
		return ret;
	/* EACCEPTCOPY: SECINFO page EPCM -> #PF(RBX) */
	if ((ret = secinfo_fetch(lp, pg[0], rbx, si)))
		return ret;
	/* EACCEPTCOPY: SECINFO reserved fields, W without R, or PT != REG -> #GP */
	if (!secinfo_reserved_ok(si) ||
	    (flag(si->flags, SGX_SECINFO_W) && !flag(si->flags, SGX_SECINFO_R)) ||
	    secinfo_type(si->flags) != SGX_PAGE_TYPE_REG)
		return lp_gp(lp);
	/* EACCEPTCOPY: source not a readable REG page of this enclave at RDX -> #PF(RDX) */
	if (!epcm_enclave_page_ok(lp, pg[2], rdx, SGX_SECINFO_R))
		return lp_pf_epcm(lp, rdx, 0);
	/* EACCEPTCOPY: destination not a pending REG page of this enclave -> MISMATCH */
	if (!eacceptcopy_dst_ok(lp, pg[1]))
		return lp_err(lp, SGX_PAGE_ATTRIBUTES_MISMATCH);
	*dst = pg[1];
	*src = pg[2];
	return 0;
}

static int __eacceptcopy(struct sgx_lp *lp, uint64_t rbx, uint64_t rcx, uint64_t rdx)
{
	struct sgx_secinfo si;
	struct epc_page *dst = NULL, *src = NULL;
	int ret;

	if ((ret = enclu_sgx2_prologue(lp)) ||
	    (ret = eacceptcopy_checks(lp, rbx, rcx, rdx, &si, &dst, &src)))
		return ret;
	/* EACCEPTCOPY: destination in use -> #GP */
	if (!epc_use_try(lp, dst, EPC_USE_SGX2))
		return lp_gp(lp);
	epc_pause(lp, dst);
	/* EACCEPTCOPY: re-check the destination (RW-, REG, address) -> MISMATCH */
	if (!eacceptcopy_dst_recheck(lp, dst, rcx))
		return lp_err(lp, SGX_PAGE_ATTRIBUTES_MISMATCH);
	/* EACCEPTCOPY: copy through the processor's page storage; RWX from SECINFO */
	memcpy(dst->mem, src->mem, SGX_PAGE_SIZE);
	dst->perm = (uint8_t)(si.flags & SGX_SECINFO_PERM_MASK);
	dst->pending = false;
	return lp_ok(lp);
}

int enclu_eacceptcopy(struct sgx_lp *lp, uint64_t secinfo, uint64_t dst, uint64_t src)
{
	leaf_begin(lp, SGX_LEAF_ENCLU(ENCLU_EACCEPTCOPY));
	return leaf_end(lp, __eacceptcopy(lp, secinfo, dst, src));
}
