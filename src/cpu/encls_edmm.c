/* SPDX-License-Identifier: MIT */
/*
 * SGX2 ENCLS leaves: EAUG, EMODPR and EMODT.
 * PLACEHOLDER: not implemented yet; every leaf here raises #GP(0).
 */
#include "cpu_internal.h"

int encls_eaug(struct sgx_lp *lp, const struct sgx_pageinfo *pginfo, uint64_t epc)
{
	(void)pginfo;
	(void)epc;
	leaf_begin(lp, SGX_LEAF_ENCLS(ENCLS_EAUG));
	return leaf_end(lp, lp_gp(lp));
}

int encls_emodpr(struct sgx_lp *lp, const struct sgx_secinfo *secinfo, uint64_t epc)
{
	(void)secinfo;
	(void)epc;
	leaf_begin(lp, SGX_LEAF_ENCLS(ENCLS_EMODPR));
	return leaf_end(lp, lp_gp(lp));
}

int encls_emodt(struct sgx_lp *lp, const struct sgx_secinfo *secinfo, uint64_t epc)
{
	(void)secinfo;
	(void)epc;
	leaf_begin(lp, SGX_LEAF_ENCLS(ENCLS_EMODT));
	return leaf_end(lp, lp_gp(lp));
}
