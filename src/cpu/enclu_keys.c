/* SPDX-License-Identifier: MIT */
/*
 * EREPORT and EGETKEY: reports for local attestation and derived keys.
 * PLACEHOLDER: not implemented yet; every leaf here raises #GP(0).
 */
#include "cpu_internal.h"

int enclu_ereport(struct sgx_lp *lp, uint64_t targetinfo, uint64_t reportdata, uint64_t report)
{
	(void)targetinfo;
	(void)reportdata;
	(void)report;
	leaf_begin(lp, SGX_LEAF_ENCLU(ENCLU_EREPORT));
	return leaf_end(lp, lp_gp(lp));
}

int enclu_egetkey(struct sgx_lp *lp, uint64_t keyrequest, uint64_t key)
{
	(void)keyrequest;
	(void)key;
	leaf_begin(lp, SGX_LEAF_ENCLU(ENCLU_EGETKEY));
	return leaf_end(lp, lp_gp(lp));
}
