/* SPDX-License-Identifier: MIT */
/*
 * EDBGRD and EDBGWR: a debugger's 8-byte reads and writes of pages of
 * DEBUG enclaves (Linux's ptrace access to enclave memory, sgx_vma_access()).
 * softsgx models 64-bit mode only: RCX must be 8-byte aligned and 8 bytes
 * move. EPCM RWX are ignored; the accesses go through the page storage.
 */
#include <string.h>

#include "cpu_internal.h"

#define PF_EPC (SGX_PF_SGX | SGX_PF_P)

/*
 * SGX_TCS_LIMIT: the SDM gives no number; softsgx uses the end of the
 * defined TCS fields (GSLIMIT ends at byte 72). Listed in docs/fidelity.md.
 */
#define TCS_LIMIT 72
_Static_assert(offsetof(struct sgx_tcs, reserved) == TCS_LIMIT, "TCS defined fields end at 72");

/*
 * The checks EDBGRD and EDBGWR share, up to PAGE_NOT_DEBUGGABLE. On success
 * (0) the page is in *pgp, held shared.
 */
static int edbg_page(struct sgx_lp *lp, uint64_t epc, bool write, struct epc_page **pgp)
{
	uint32_t pfec = PF_EPC | (write ? SGX_PF_W : 0);
	struct epc_page *pg = NULL;

	/* EDBGRD/EDBGWR: RCX not 8-aligned (64-bit mode) -> #GP */
	if (!is_aligned(epc, 8))
		return lp_gp(lp);
	/* EDBGRD/EDBGWR: RCX not in the EPC -> #PF(RCX) */
	pg = epc_page_at(lp->cpu, epc);
	if (!pg)
		return lp_pf(lp, epc, pfec);
	/* EDBGRD/EDBGWR: EPCM entry being modified by another leaf -> #GP */
	if (!epc_use_try(lp, pg, EPC_USE_SHARED))
		return lp_gp(lp);
	epc_pause(lp, pg);
	/* EDBGRD/EDBGWR: VALID=0 -> #PF(RCX) */
	if (!pg->valid)
		return lp_pf(lp, epc, pfec);
	/* EDBGRD: not REG/TCS/VA -> #PF(RCX); EDBGWR: not REG/TCS -> #PF(RCX) */
	if (pg->type != SGX_PAGE_TYPE_REG && pg->type != SGX_PAGE_TYPE_TCS &&
	    (write || pg->type != SGX_PAGE_TYPE_VA))
		return lp_pf(lp, epc, pfec);
	/* EDBGRD/EDBGWR: PENDING or MODIFIED -> SGX_PAGE_NOT_DEBUGGABLE */
	if (pg->pending || pg->modified)
		return lp_err(lp, SGX_PAGE_NOT_DEBUGGABLE);
	*pgp = pg;
	return 0;
}

static bool edbg_debug_enclave(const struct epc_page *pg)
{
	return secs_of(pg->secs)->attributes.flags & SGX_ATTR_DEBUG;
}

static int __edbgrd(struct sgx_lp *lp, uint64_t epc, uint64_t *data)
{
	uint8_t *src;
	struct epc_page *pg = NULL;
	uint64_t val;
	int ret;

	ret = edbg_page(lp, epc, false, &pg);
	if (ret)
		return ret;
	/* EDBGRD: TCS offset >= SGX_TCS_LIMIT -> #GP */
	if (pg->type == SGX_PAGE_TYPE_TCS && (epc & (SGX_PAGE_SIZE - 1)) >= TCS_LIMIT)
		return lp_gp(lp);
	src = (uint8_t *)pg->mem + (epc & (SGX_PAGE_SIZE - 1));
	memcpy(&val, src, sizeof(val));
	if (pg->type == SGX_PAGE_TYPE_VA) {
		/* EDBGRD: VA slot reads as all-ones if in use (low 3 bits masked), else 0 */
		*data = (val & ~7ull) ? ~0ull : 0;
		return lp_ok(lp);
	}
	/* EDBGRD: REG/TCS of an enclave with ATTRIBUTES.DEBUG=0 -> #GP */
	if (!edbg_debug_enclave(pg))
		return lp_gp(lp);
	*data = val;
	return lp_ok(lp);
}

int encls_edbgrd(struct sgx_lp *lp, uint64_t epc, uint64_t *data)
{
	leaf_begin(lp, SGX_LEAF_ENCLS(ENCLS_EDBGRD));
	return leaf_end(lp, __edbgrd(lp, epc, data));
}

static int __edbgwr(struct sgx_lp *lp, uint64_t epc, uint64_t data)
{
	struct epc_page *pg = NULL;
	int ret;

	ret = edbg_page(lp, epc, true, &pg);
	if (ret)
		return ret;
	/* EDBGWR: TCS and not the FLAGS field -> #GP */
	if (pg->type == SGX_PAGE_TYPE_TCS &&
	    (epc & 0xFF8) != (offsetof(struct sgx_tcs, flags) & 0xFF8))
		return lp_gp(lp);
	/* EDBGWR: owning enclave with ATTRIBUTES.DEBUG=0 -> #GP */
	if (!edbg_debug_enclave(pg))
		return lp_gp(lp);
	memcpy((uint8_t *)pg->mem + (epc & (SGX_PAGE_SIZE - 1)), &data, sizeof(data));
	return lp_ok(lp);
}

int encls_edbgwr(struct sgx_lp *lp, uint64_t epc, uint64_t data)
{
	leaf_begin(lp, SGX_LEAF_ENCLS(ENCLS_EDBGWR));
	return leaf_end(lp, __edbgwr(lp, epc, data));
}
