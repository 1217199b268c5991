/* SPDX-License-Identifier: MIT */
/*
 * SGX2 ENCLU leaves: EACCEPT, EACCEPTCOPY and EMODPE.
 * PLACEHOLDER: not implemented yet; every leaf here raises #GP(0).
 */
#include "cpu_internal.h"

int enclu_eaccept(struct sgx_lp *lp, uint64_t secinfo, uint64_t page)
{
	(void)secinfo;
	(void)page;
	leaf_begin(lp, SGX_LEAF_ENCLU(ENCLU_EACCEPT));
	return leaf_end(lp, lp_gp(lp));
}

int enclu_emodpe(struct sgx_lp *lp, uint64_t secinfo, uint64_t page)
{
	(void)secinfo;
	(void)page;
	leaf_begin(lp, SGX_LEAF_ENCLU(ENCLU_EMODPE));
	return leaf_end(lp, lp_gp(lp));
}

int enclu_eacceptcopy(struct sgx_lp *lp, uint64_t secinfo, uint64_t dst, uint64_t src)
{
	(void)secinfo;
	(void)dst;
	(void)src;
	leaf_begin(lp, SGX_LEAF_ENCLU(ENCLU_EACCEPTCOPY));
	return leaf_end(lp, lp_gp(lp));
}
