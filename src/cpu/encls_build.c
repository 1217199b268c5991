/* SPDX-License-Identifier: MIT */
/*
 * Building and tearing down an enclave: ECREATE, EADD, EEXTEND, EREMOVE.
 * Each worker follows the order of its SDM pseudo-code: the first check
 * that fails decides what the caller sees.
 */
#include <stdlib.h>
#include <string.h>

#include "cpu_internal.h"

/* ENCLS #PF on an EPC operand: EPCM-induced, present, (write). */
static int encls_pf(struct sgx_lp *lp, uint64_t addr, bool write)
{
	return lp_pf(lp, addr, SGX_PF_SGX | SGX_PF_P | (write ? SGX_PF_W : 0));
}

/* XCR0 components whose XFRM combinations XSETBV would refuse. */
#define XFRM_X87_SSE 0x3ull
#define XFRM_AVX 0x4ull
#define XFRM_MPX 0x18ull             /* BNDREGS, BNDCSR */
#define XFRM_AVX512 0xE0ull          /* opmask, ZMM_Hi256, Hi16_ZMM */
#define XFRM_SUPERVISOR 0x1FD00ull   /* PT (8), PASID, CET_U/S, HDC, UINTR, LBR, HWP (10..16) */

/*
 * ECREATE: XFRM is legal (as XCR0 would be) and enclave-supported: x87 and
 * SSE set (so AVX always has its SSE), MPX components both or neither, AVX-512
 * components all or none and only with AVX, no supervisor component, every
 * bit enumerated in CPUID.(12H,1).ECX:EDX.
 */
static bool xfrm_ok(const struct sgx_cpu *cpu, uint64_t xfrm)
{
	if ((xfrm & XFRM_X87_SSE) != XFRM_X87_SSE)
		return false;
	if ((xfrm & XFRM_MPX) && (xfrm & XFRM_MPX) != XFRM_MPX)
		return false;
	if ((xfrm & XFRM_AVX512) &&
	    ((xfrm & XFRM_AVX512) != XFRM_AVX512 || !(xfrm & XFRM_AVX)))
		return false;
	if (xfrm & XFRM_SUPERVISOR)
		return false;
	return !(xfrm & ~cpu->cfg.xfrm);
}

/* ECREATE's checks of the copied SECS; true if it may become a SECS. */
static bool ecreate_secs_ok(const struct sgx_cpu *cpu, const struct sgx_secs *secs)
{
	const struct sgx_cpu_config *cfg = &cpu->cfg;
	bool mode64 = secs->attributes.flags & SGX_ATTR_MODE64BIT;
	uint64_t misc_size = (secs->miscselect & SGX_MISC_EXINFO) ? sizeof(struct sgx_exinfo) : 0;
	unsigned int max_log2 = mode64 ? cfg->max_enclave_size_64 : cfg->max_enclave_size_32;

	/* XFRM[1:0] must be 11b and XFRM enclave-supported. */
	if (!xfrm_ok(cpu, secs->attributes.xfrm))
		return false;
	/* Every MISCSELECT bit must be enumerated (SDM erratum: docs/fidelity.md). */
	if (secs->miscselect & ~cfg->miscselect)
		return false;
	/* The SSA frame must hold XSAVE(XFRM) + GPRSGX + MISC. */
	if ((uint64_t)secs->ssa_frame_size * SGX_PAGE_SIZE <
	    xsave_size(secs->attributes.xfrm) + sizeof(struct sgx_gprsgx) + misc_size)
		return false;
	if (mode64 ? !is_canonical(secs->base) : secs->base >= (1ull << 32))
		return false;
	if (max_log2 < 64 && secs->size >= (1ull << max_log2))
		return false;
	if (secs->size < 2 * SGX_PAGE_SIZE || (secs->size & (secs->size - 1)))
		return false;
	if (secs->base & (secs->size - 1))
		return false;
	/* ATTRIBUTES within what the platform allows; INIT must be clear. */
	if ((secs->attributes.flags & ~cfg->attributes) || (secs->attributes.flags & SGX_ATTR_INIT))
		return false;
	if (!mem_is_zero(secs->reserved1, sizeof(secs->reserved1)) ||
	    !mem_is_zero(secs->reserved2, sizeof(secs->reserved2)) ||
	    !mem_is_zero(secs->reserved3, sizeof(secs->reserved3)) ||
	    !mem_is_zero(secs->reserved4, sizeof(secs->reserved4)))
		return false;
	/* CONFIGID/CONFIGSVN need KSS. */
	if (!(secs->attributes.flags & SGX_ATTR_KSS) &&
	    (!mem_is_zero(secs->config_id, sizeof(secs->config_id)) || secs->config_svn))
		return false;
	return true;
}

static int __ecreate(struct sgx_lp *lp, const struct sgx_pageinfo *pginfo, uint64_t epc)
{
	struct epc_page *pg;
	const struct sgx_secinfo *si;
	struct sgx_secs *secs;
	struct secs_state *st;

	if (!is_aligned((uintptr_t)pginfo, 32) || !is_aligned(epc, SGX_PAGE_SIZE))
		return lp_gp(lp);
	pg = epc_page_at(lp->cpu, epc);
	if (!pg)
		return encls_pf(lp, epc, true);
	if (!is_aligned(pginfo->srcpge, SGX_PAGE_SIZE) || !is_aligned(pginfo->secinfo, 64))
		return lp_gp(lp);
	if (pginfo->linaddr || pginfo->secs)
		return lp_gp(lp);
	si = (const struct sgx_secinfo *)(uintptr_t)pginfo->secinfo;
	if (!secinfo_reserved_ok(si) || secinfo_type(si->flags) != SGX_PAGE_TYPE_SECS)
		return lp_gp(lp);
	if (!epc_use_try(lp, pg, EPC_USE_EXCLUSIVE))
		return lp_gp(lp);
	if (pg->valid)
		return encls_pf(lp, epc, true);
	epc_pause(lp, pg);

	/* ECREATE: the source is copied first, then checked in the EPC page. */
	secs = pg->mem;
	memcpy(secs, (const void *)(uintptr_t)pginfo->srcpge, SGX_PAGE_SIZE);
	if (!ecreate_secs_ok(lp->cpu, secs))
		return lp_gp(lp);

	st = calloc(1, sizeof(*st));
	if (st)
		st->mrenclave = sgx_measure_new();
	if (!st || !st->mrenclave) {
		free(st);
		cpu_crypto_panic("ECREATE state");
	}
	sgx_measure_ecreate(st->mrenclave, secs->ssa_frame_size, secs->size);
	st->eid = cpu_next_eid(lp->cpu);
	secs->isv_svn = 0;
	secs->isv_prod_id = 0;
	memset(secs->mrenclave, 0, sizeof(secs->mrenclave));
	memset(secs->mrsigner, 0, sizeof(secs->mrsigner));

	pg->secs_state = st;
	pg->type = SGX_PAGE_TYPE_SECS;
	pg->valid = true;
	return lp_ok(lp);
}

int encls_ecreate(struct sgx_lp *lp, const struct sgx_pageinfo *pginfo, uint64_t epc)
{
	leaf_begin(lp, SGX_LEAF_ENCLS(ENCLS_ECREATE));
	return leaf_end(lp, __ecreate(lp, pginfo, epc));
}

/* EADD: the copied TCS must have zero reserved bytes. */
static bool eadd_tcs_ok(const struct sgx_tcs *tcs, bool mode64)
{
	if (!mem_is_zero(tcs->reserved, sizeof(tcs->reserved)))
		return false;
	if (!mode64 && ((tcs->fslimit & 0xFFF) != 0xFFF || (tcs->gslimit & 0xFFF) != 0xFFF))
		return false;
	return true;
}

static int __eadd(struct sgx_lp *lp, const struct sgx_pageinfo *pginfo, uint64_t epc)
{
	struct epc_page *pg, *secs_pg;
	const struct sgx_secinfo *si;
	struct sgx_secs *secs;
	uint64_t flags;
	unsigned int type;

	if (!is_aligned((uintptr_t)pginfo, 32) || !is_aligned(epc, SGX_PAGE_SIZE))
		return lp_gp(lp);
	pg = epc_page_at(lp->cpu, epc);
	if (!pg)
		return encls_pf(lp, epc, true);
	if (!is_aligned(pginfo->srcpge, SGX_PAGE_SIZE) || !is_aligned(pginfo->secs, SGX_PAGE_SIZE) ||
	    !is_aligned(pginfo->linaddr, SGX_PAGE_SIZE) || !is_aligned(pginfo->secinfo, 64))
		return lp_gp(lp);
	secs_pg = epc_page_at(lp->cpu, pginfo->secs);
	/* EADD: PAGEINFO.SECS not in the EPC -> #PF(SECS), W: the SECS is read/written */
	if (!secs_pg)
		return encls_pf(lp, pginfo->secs, true);
	si = (const struct sgx_secinfo *)(uintptr_t)pginfo->secinfo;
	flags = si->flags;
	type = secinfo_type(si->flags);
	if (!secinfo_reserved_ok(si) || (type != SGX_PAGE_TYPE_REG && type != SGX_PAGE_TYPE_TCS))
		return lp_gp(lp);
	if (!epc_use_try(lp, pg, EPC_USE_EXCLUSIVE))
		return lp_gp(lp);
	if (pg->valid)
		return encls_pf(lp, epc, true);
	if (!epc_use_try(lp, secs_pg, EPC_USE_SHARED))
		return lp_gp(lp);
	/* EADD: PAGEINFO.SECS not VALID or not PT_SECS -> #PF(SECS), W as above */
	if (!secs_pg->valid || secs_pg->type != SGX_PAGE_TYPE_SECS)
		return encls_pf(lp, pginfo->secs, true);

	secs = secs_of(secs_pg);
	memcpy(pg->mem, (const void *)(uintptr_t)pginfo->srcpge, SGX_PAGE_SIZE);
	if (type == SGX_PAGE_TYPE_TCS) {
		struct sgx_tcs *tcs = pg->mem;

		if (!eadd_tcs_ok(tcs, secs->attributes.flags & SGX_ATTR_MODE64BIT))
			return lp_gp(lp);
	} else if ((flags & SGX_SECINFO_W) && !(flags & SGX_SECINFO_R)) {
		return lp_gp(lp);
	}
	if (!in_elrange(secs_pg, pginfo->linaddr))
		return lp_gp(lp);
	/* EADD: measurement being updated concurrently (EADD/EEXTEND/EINIT) -> #GP */
	if (!epc_use_try(lp, secs_pg, EPC_USE_MEASURE))
		return lp_gp(lp);
	if (secs_pg->secs_state->initialized)
		return lp_gp(lp);
	epc_pause(lp, pg);

	if (type == SGX_PAGE_TYPE_TCS) {
		struct sgx_tcs *tcs = pg->mem;

		/* EADD of a TCS: RWX forced to 0; DBGOPTIN, CSSA, AEP, STATE cleared. */
		flags &= ~SGX_SECINFO_PERM_MASK;
		tcs->flags &= ~SGX_TCS_FLAGS_DBGOPTIN;
		tcs->cssa = 0;
		tcs->aep = 0;
		tcs->state = 0;
	}
	sgx_measure_eadd(secs_pg->secs_state->mrenclave, pginfo->linaddr - secs->base, flags);

	pg->type = type;
	pg->perm = flags & SGX_SECINFO_PERM_MASK;
	pg->linaddr = pginfo->linaddr;
	pg->secs = secs_pg;
	pg->valid = true;
	secs_pg->secs_state->child_cnt++;
	return lp_ok(lp);
}

int encls_eadd(struct sgx_lp *lp, const struct sgx_pageinfo *pginfo, uint64_t epc)
{
	leaf_begin(lp, SGX_LEAF_ENCLS(ENCLS_EADD));
	return leaf_end(lp, __eadd(lp, pginfo, epc));
}

static int __eextend(struct sgx_lp *lp, uint64_t secs, uint64_t epc)
{
	struct epc_page *pg, *secs_pg;
	uint64_t offset;

	if (!is_aligned(secs, SGX_PAGE_SIZE))
		return lp_gp(lp);
	secs_pg = epc_page_at(lp->cpu, secs);
	if (!secs_pg)
		return encls_pf(lp, secs, false);
	if (!is_aligned(epc, 256))
		return lp_gp(lp);
	pg = epc_page_at(lp->cpu, epc);
	if (!pg)
		return encls_pf(lp, epc, false);
	if (!epc_use_try(lp, pg, EPC_USE_SHARED))
		return lp_gp(lp);
	if (!pg->valid)
		return encls_pf(lp, epc, false);
	if (pg->type != SGX_PAGE_TYPE_REG && pg->type != SGX_PAGE_TYPE_TCS)
		return encls_pf(lp, epc, false);
	if (pg->secs != secs_pg)
		return lp_gp(lp);
	/* EEXTEND: MRENCLAVE or INIT accessed concurrently (EADD/EEXTEND/EINIT) -> #GP */
	if (!epc_use_try(lp, secs_pg, EPC_USE_MEASURE))
		return lp_gp(lp);
	/* EEXTEND: an initialized enclave can no longer be measured (#GP). */
	if (secs_pg->secs_state->initialized)
		return lp_gp(lp);
	epc_pause(lp, pg);

	offset = pg->linaddr - secs_of(secs_pg)->base + (epc & (SGX_PAGE_SIZE - 1));
	sgx_measure_eextend(secs_pg->secs_state->mrenclave, offset,
			(const uint8_t *)pg->mem + (epc & (SGX_PAGE_SIZE - 1)));
	return lp_ok(lp);
}

int encls_eextend(struct sgx_lp *lp, uint64_t secs, uint64_t epc)
{
	leaf_begin(lp, SGX_LEAF_ENCLS(ENCLS_EEXTEND));
	return leaf_end(lp, __eextend(lp, secs, epc));
}

static int __eremove(struct sgx_lp *lp, uint64_t epc)
{
	struct epc_page *pg;

	if (!is_aligned(epc, SGX_PAGE_SIZE))
		return lp_gp(lp);
	pg = epc_page_at(lp->cpu, epc);
	if (!pg)
		return encls_pf(lp, epc, true);
	if (!epc_use_try(lp, pg, EPC_USE_EXCLUSIVE))
		return lp_gp(lp);
	epc_pause(lp, pg);
	/* EREMOVE of an invalid page succeeds and does nothing. */
	if (!pg->valid)
		return lp_ok(lp);
	switch (pg->type) {
	case SGX_PAGE_TYPE_VA:
		/* Its versions go with it: an evicted SECS parked under one can never return. */
		va_drop_versions(lp->cpu, pg);
		break;
	case SGX_PAGE_TYPE_SECS:
		if (pg->secs_state->child_cnt)
			return lp_err(lp, SGX_CHILD_PRESENT);
		break;
	default:
		/* An accepted TRIM page goes without the thread check (SDM erratum). */
		if (!(pg->type == SGX_PAGE_TYPE_TRIM && !pg->modified) && track_inside(pg->secs))
			return lp_err(lp, SGX_ENCLAVE_ACT);
		pg->secs->secs_state->child_cnt--;
		break;
	}
	epcm_set_invalid(pg);
	return lp_ok(lp);
}

int encls_eremove(struct sgx_lp *lp, uint64_t epc)
{
	leaf_begin(lp, SGX_LEAF_ENCLS(ENCLS_EREMOVE));
	return leaf_end(lp, __eremove(lp, epc));
}
