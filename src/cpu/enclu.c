/* SPDX-License-Identifier: MIT */
/*
 * What every ENCLU leaf shares: translating an enclave linear address
 * through the logical processor's MMU and the EPCM checks of an enclave
 * access to its own pages.
 */
#include "cpu_internal.h"

int lp_pf_epcm(struct sgx_lp *lp, uint64_t la, uint32_t access)
{
	return lp_pf(lp, la, SGX_PF_SGX | SGX_PF_U | SGX_PF_P | access);
}

/* A 64-bit linear address whose bits 63:47 are not all equal (4-level paging). */
static bool non_canonical(uint64_t la)
{
	return (uint64_t)((int64_t)(la << 16) >> 16) != la;
}

int enclu_translate(struct sgx_lp *lp, uint64_t la, uint32_t access, struct epc_page **pg)
{
	uint64_t pa = 0;
	uint32_t pfec;

	/* Any memory operand: a non-canonical address is #GP(0) before paging is consulted. */
	if (non_canonical(la))
		return lp_gp(lp);
	pfec = lp->mmu->translate(lp->mmu_ctx, la, access, &pa);
	if (pfec)
		return lp_pf(lp, la, pfec | SGX_PF_U);
	*pg = epc_page_at(lp->cpu, pa);
	if (!*pg)
		return lp_pf_epcm(lp, la, access);
	return 0;
}

bool epcm_enclave_page_ok(const struct sgx_lp *lp, const struct epc_page *pg, uint64_t la,
			  uint8_t perm)
{
	return pg->valid && !pg->blocked && !pg->pending && !pg->modified &&
	       pg->type == SGX_PAGE_TYPE_REG && pg->secs == lp->secs &&
	       pg->linaddr == (la & SGX_PAGE_MASK) && (pg->perm & perm) == perm;
}

static int enclu_leaf(struct sgx_lp *lp, struct sgx_regs *r)
{
	switch (r->rax) {
	case ENCLU_EREPORT:
		return enclu_ereport(lp, r->rbx, r->rcx, r->rdx);
	case ENCLU_EGETKEY:
		return enclu_egetkey(lp, r->rbx, r->rcx);
	case ENCLU_EENTER:
		return enclu_eenter(lp, r);
	case ENCLU_ERESUME:
		return enclu_eresume(lp, r);
	case ENCLU_EEXIT:
		return enclu_eexit(lp, r);
	case ENCLU_EACCEPT:
		return enclu_eaccept(lp, r->rbx, r->rcx);
	case ENCLU_EMODPE:
		return enclu_emodpe(lp, r->rbx, r->rcx);
	case ENCLU_EACCEPTCOPY:
		return enclu_eacceptcopy(lp, r->rbx, r->rcx, r->rdx);
	case ENCLU_EDECCSSA:
		/* Without AEX-Notify, leaf 9 is undefined (SDM: EDECCSSA) */
		return lp->cpu->cfg.aexnotify ? enclu_edeccssa(lp) : lp_gp(lp);
	default:
		return lp_gp(lp); /* ENCLU prologue: undefined leaf -> #GP(0) */
	}
}

int enclu(struct sgx_lp *lp, struct sgx_regs *regs)
{
	uint64_t leaf = regs->rax;
	int ret = enclu_leaf(lp, regs);

	if (sgx_is_fault(ret))
		return ret;
	switch (leaf) {
	case ENCLU_EACCEPT:
	case ENCLU_EACCEPTCOPY:
	case ENCLU_EGETKEY:
		regs->rax = (uint64_t)ret;
		regs->rflags = (regs->rflags & ~LP_ARITH_FLAGS) | (lp->rflags & LP_ARITH_FLAGS);
		/* fall through */
	case ENCLU_EREPORT:
	case ENCLU_EMODPE:
	case ENCLU_EDECCSSA:
		regs->rip += ENCLU_INSN_LEN;
		break;
	default:
		break; /* EENTER, ERESUME, EEXIT set RIP themselves */
	}
	return ret;
}

static unsigned int access_perm(uint32_t access)
{
	return (access & SGX_PF_W) ? SGX_SECINFO_W : (access & SGX_PF_I) ? SGX_SECINFO_X : SGX_SECINFO_R;
}

static int __enclave_access(struct sgx_lp *lp, uint64_t la, uint32_t access)
{
	struct epc_page *pg = NULL;
	uint64_t pa;
	uint32_t pfec;
	int ret;

	if (!lp->in_enclave)
		return lp_gp(lp);
	if (!in_elrange(lp->secs, la)) {
		/* Code outside ELRANGE cannot be fetched in enclave mode; data can be read and written. */
		if (access & SGX_PF_I)
			return lp_gp(lp);
		pfec = lp->mmu->translate(lp->mmu_ctx, la, access, &pa);
		return pfec ? lp_pf(lp, la, pfec | SGX_PF_U) : 0;
	}
	ret = enclu_translate(lp, la, access, &pg);
	if (ret)
		return ret;
	if (!epcm_enclave_page_ok(lp, pg, la, access_perm(access)))
		return lp_pf_epcm(lp, la, access);
	return 0;
}

int sgx_enclave_access(struct sgx_lp *lp, uint64_t la, uint32_t access)
{
	int ret;

	/* Not a leaf: no counter, no pause; the processor lock keeps the EPCM stable. */
	pthread_mutex_lock(&lp->cpu->lock);
	ret = __enclave_access(lp, la, access);
	pthread_mutex_unlock(&lp->cpu->lock);
	return ret;
}
