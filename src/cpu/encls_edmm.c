/* SPDX-License-Identifier: MIT */
/*
 * SGX2 ENCLS leaves, the kernel's half of enclave dynamic memory
 * management: EAUG adds a zeroed, PENDING page to an initialized enclave;
 * EMODPR restricts the EPCM permissions of a regular page; EMODT turns a
 * page into a TCS or TRIM page. Each change waits for the enclave's
 * EACCEPT (enclu_edmm.c); EMODPR and EMODT stamp the page for epoch
 * tracking (track.c) so that EACCEPT fails with SGX_NOT_TRACKED until an
 * ETRACK and the exit of every thread that might hold a stale translation.
 * Checks run in the order of each leaf's SDM pseudo-code.
 */
#include <string.h>

#include "cpu_internal.h"

/*
 * #PF on an ENCLS EPC operand. The target of EAUG/EMODPR/EMODT is written
 * (R/W memory semantics), and so is EAUG's PAGEINFO.SECS (SDM EAUG memory
 * parameter semantics: PAGEINFO.SECS read/write, as in EADD).
 */
static int pf_epc(struct sgx_lp *lp, uint64_t epc)
{
	return lp_pf(lp, epc, SGX_PF_SGX | SGX_PF_P | SGX_PF_W);
}

static int pf_secs(struct sgx_lp *lp, uint64_t secs)
{
	return lp_pf(lp, secs, SGX_PF_SGX | SGX_PF_P | SGX_PF_W);
}

/* SGX2 leaves are undefined ENCLS leaves on an SGX1-only processor. */
static bool sgx2_present(const struct sgx_lp *lp)
{
	return lp->cpu->cfg.sgx2;
}

/* EAUG: the PAGEINFO fields and both EPC addresses, before any mark is taken. */
static int eaug_operands(struct sgx_lp *lp, const struct sgx_pageinfo *pi, uint64_t epc,
			 struct epc_page **pg, struct epc_page **secs)
{
	/* EAUG: RCX not 4K-aligned -> #GP */
	if (!is_aligned(epc, SGX_PAGE_SIZE))
		return lp_gp(lp);
	/* EAUG: RCX not in the EPC -> #PF(RCX) */
	*pg = epc_page_at(lp->cpu, epc);
	if (!*pg)
		return pf_epc(lp, epc);
	/* EAUG (SDMnew): PAGEINFO.SECINFO non-zero and not 64-aligned -> #GP */
	if (pi->secinfo && !is_aligned(pi->secinfo, 64))
		return lp_gp(lp);
	/* EAUG: PAGEINFO.SECS or LINADDR not 4K-aligned -> #GP */
	if (!is_aligned(pi->secs, SGX_PAGE_SIZE) || !is_aligned(pi->linaddr, SGX_PAGE_SIZE))
		return lp_gp(lp);
	/* EAUG: SRCPGE must be 0 -> #GP */
	if (pi->srcpge)
		return lp_gp(lp);
	/* EAUG: PAGEINFO.SECS not in the EPC -> #PF(SECS) */
	*secs = epc_page_at(lp->cpu, pi->secs);
	if (!*secs)
		return pf_secs(lp, pi->secs);
	return 0;
}

/* EAUG's effect: a zeroed REG RW- page, PENDING, owned by @secs. */
static void eaug_commit(struct epc_page *pg, struct epc_page *secs, uint64_t linaddr)
{
	memset(pg->mem, 0, SGX_PAGE_SIZE);
	pg->perm = SGX_SECINFO_R | SGX_SECINFO_W;
	pg->type = SGX_PAGE_TYPE_REG;
	pg->linaddr = linaddr;
	pg->blocked = false;
	pg->pending = true;
	pg->modified = false;
	pg->pr = false;
	pg->secs = secs;
	pg->tracked_change = false; /* nothing to track: no LP ever saw this page */
	pg->valid = true;
	secs->secs_state->child_cnt++;
}

static int __eaug(struct sgx_lp *lp, const struct sgx_pageinfo *pginfo, uint64_t epc)
{
	struct sgx_pageinfo pi;
	struct epc_page *pg = NULL, *secs = NULL;
	int ret;

	if (!sgx2_present(lp))
		return lp_gp(lp);
	/* EAUG: RBX (PAGEINFO) not 32-aligned -> #GP */
	if (!is_aligned((uintptr_t)pginfo, 32))
		return lp_gp(lp);
	pi = *pginfo;
	ret = eaug_operands(lp, &pi, epc, &pg, &secs);
	if (ret)
		return ret;
	/* EAUG: target in use -> #GP */
	if (!epc_use_try(lp, pg, EPC_USE_EXCLUSIVE))
		return lp_gp(lp);
	/* EAUG: target already VALID -> #PF(RCX) */
	if (pg->valid)
		return pf_epc(lp, epc);
	/* EAUG: a SECINFO is legal only for CET shadow-stack pages -> #GP */
	if (pi.secinfo)
		return lp_gp(lp);
	/* EAUG: SECS in use -> #GP */
	if (!epc_use_try(lp, secs, EPC_USE_SHARED))
		return lp_gp(lp);
	epc_pause(lp, pg);
	/* EAUG: SECS not VALID or not PT_SECS -> #PF(SECS) */
	if (!secs->valid || secs->type != SGX_PAGE_TYPE_SECS)
		return pf_secs(lp, pi.secs);
	/* EAUG: enclave not initialized -> #GP */
	if (!secs->secs_state->initialized)
		return lp_gp(lp);
	/* EAUG: LINADDR outside ELRANGE -> #GP */
	if (!in_elrange(secs, pi.linaddr))
		return lp_gp(lp);
	eaug_commit(pg, secs, pi.linaddr);
	return SGX_SUCCESS; /* EAUG has no RAX code: RAX and RFLAGS untouched */
}

int encls_eaug(struct sgx_lp *lp, const struct sgx_pageinfo *pginfo, uint64_t epc)
{
	leaf_begin(lp, SGX_LEAF_ENCLS(ENCLS_EAUG));
	return leaf_end(lp, __eaug(lp, pginfo, epc));
}

/*
 * EMODPR/EMODT: RBX 64-aligned, RCX 4K-aligned and in the EPC; the SECINFO
 * copied into @si (SCRATCH_SECINFO).
 */
static int emod_operands(struct sgx_lp *lp, const struct sgx_secinfo *secinfo, uint64_t epc,
			 struct sgx_secinfo *si, struct epc_page **pg)
{
	/* EMODPR/EMODT: RBX not 64-aligned or RCX not 4K-aligned -> #GP */
	if (!is_aligned((uintptr_t)secinfo, 64) || !is_aligned(epc, SGX_PAGE_SIZE))
		return lp_gp(lp);
	/* EMODPR/EMODT: RCX not in the EPC -> #PF(RCX) */
	*pg = epc_page_at(lp->cpu, epc);
	if (!*pg)
		return pf_epc(lp, epc);
	*si = *secinfo;
	return 0;
}

static int __emodpr(struct sgx_lp *lp, const struct sgx_secinfo *secinfo, uint64_t epc)
{
	struct sgx_secinfo si;
	struct epc_page *pg = NULL;
	int ret;

	if (!sgx2_present(lp))
		return lp_gp(lp);
	ret = emod_operands(lp, secinfo, epc, &si, &pg);
	if (ret)
		return ret;
	/* EMODPR: SECINFO reserved bits set, or W without R -> #GP */
	if (!secinfo_reserved_ok(&si) ||
	    ((si.flags & SGX_SECINFO_W) && !(si.flags & SGX_SECINFO_R)))
		return lp_gp(lp);
	/* EMODPR: page used by an SGX1 or other SGX2 instruction (base, shared) -> #GP */
	if (!epc_use_try(lp, pg, EPC_USE_SHARED))
		return lp_gp(lp);
	/* EMODPR: VALID=0 -> #PF(RCX) */
	if (!pg->valid)
		return pf_epc(lp, epc);
	/* EMODPR: in use by another SGX2 instruction -> SGX_EPC_PAGE_CONFLICT */
	if (!epc_use_try(lp, pg, EPC_USE_SGX2) ||
	    cpu_event(lp, SGX_EVENT_EMODPR_CONFLICT, pg->secs, pg->linaddr))
		return lp_err(lp, SGX_EPC_PAGE_CONFLICT);
	epc_pause(lp, pg);
	/* EMODPR: PENDING or MODIFIED -> SGX_PAGE_NOT_MODIFIABLE (before the type check) */
	if (pg->pending || pg->modified)
		return lp_err(lp, SGX_PAGE_NOT_MODIFIABLE);
	/* EMODPR: PT != REG -> #PF(RCX) (an accepted TRIM page lands here) */
	if (pg->type != SGX_PAGE_TYPE_REG)
		return pf_epc(lp, epc);
	/* EMODPR: enclave not initialized -> #GP */
	if (!pg->secs->secs_state->initialized)
		return lp_gp(lp);
	/* EMODPR: PR=1 even when nothing is restricted; RWX &= SECINFO RWX */
	pg->pr = true;
	pg->perm &= (uint8_t)(si.flags & SGX_SECINFO_PERM_MASK);
	track_stamp(pg);
	return lp_ok(lp);
}

int encls_emodpr(struct sgx_lp *lp, const struct sgx_secinfo *secinfo, uint64_t epc)
{
	leaf_begin(lp, SGX_LEAF_ENCLS(ENCLS_EMODPR));
	return leaf_end(lp, __emodpr(lp, secinfo, epc));
}

/* EMODT: REG may become TCS or TRIM, TCS only TRIM. */
static bool emodt_type_ok(unsigned int from, unsigned int to)
{
	return from == SGX_PAGE_TYPE_REG || (from == SGX_PAGE_TYPE_TCS && to == SGX_PAGE_TYPE_TRIM);
}

/* EMODT, after its marks: the checks on the page and the effect. */
static int emodt_commit(struct sgx_lp *lp, struct epc_page *pg, uint64_t epc, unsigned int type)
{
	/* EMODT: source not REG (or TCS when target is TRIM) -> #PF(RCX), before PENDING */
	if (!emodt_type_ok(pg->type, type))
		return pf_epc(lp, epc);
	/* EMODT: PENDING or MODIFIED -> SGX_PAGE_NOT_MODIFIABLE */
	if (pg->pending || pg->modified)
		return lp_err(lp, SGX_PAGE_NOT_MODIFIABLE);
	/* EMODT: enclave not initialized -> #GP */
	if (!pg->secs->secs_state->initialized)
		return lp_gp(lp);
	/* EMODT: PR=0, MODIFIED=1, RWX=0, new type; address and PENDING unchanged */
	pg->pr = false;
	pg->modified = true;
	pg->perm = 0;
	pg->type = (uint8_t)type;
	track_stamp(pg);
	return lp_ok(lp);
}

static int __emodt(struct sgx_lp *lp, const struct sgx_secinfo *secinfo, uint64_t epc)
{
	struct sgx_secinfo si;
	struct epc_page *pg = NULL;
	unsigned int type;
	int ret;

	if (!sgx2_present(lp))
		return lp_gp(lp);
	ret = emod_operands(lp, secinfo, epc, &si, &pg);
	if (ret)
		return ret;
	type = secinfo_type(si.flags);
	/* EMODT: SECINFO reserved bits set, or PT neither TCS nor TRIM -> #GP */
	if (!secinfo_reserved_ok(&si) || (type != SGX_PAGE_TYPE_TCS && type != SGX_PAGE_TYPE_TRIM))
		return lp_gp(lp);
	/* EMODT: used by another SGX1 instruction (base, exclusive) -> SGX_EPC_PAGE_CONFLICT */
	if (!epc_use_try(lp, pg, EPC_USE_EXCLUSIVE))
		return lp_err(lp, SGX_EPC_PAGE_CONFLICT);
	/* EMODT: VALID=0 -> #PF(RCX) */
	if (!pg->valid)
		return pf_epc(lp, epc);
	/* EMODT: in use by another SGX2 instruction -> SGX_EPC_PAGE_CONFLICT */
	if (!epc_use_try(lp, pg, EPC_USE_SGX2) ||
	    cpu_event(lp, SGX_EVENT_EMODT_CONFLICT, pg->secs, pg->linaddr))
		return lp_err(lp, SGX_EPC_PAGE_CONFLICT);
	epc_pause(lp, pg);
	return emodt_commit(lp, pg, epc, type);
}

int encls_emodt(struct sgx_lp *lp, const struct sgx_secinfo *secinfo, uint64_t epc)
{
	leaf_begin(lp, SGX_LEAF_ENCLS(ENCLS_EMODT));
	return leaf_end(lp, __emodt(lp, secinfo, epc));
}
