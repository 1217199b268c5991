/* SPDX-License-Identifier: MIT */
/*
 * EDBGRD and EDBGWR: debugger access to pages of debug enclaves.
 * PLACEHOLDER: not implemented yet; every leaf here raises #GP(0).
 */
#include "cpu_internal.h"

int encls_edbgrd(struct sgx_lp *lp, uint64_t epc, uint64_t *data)
{
	(void)epc;
	(void)data;
	leaf_begin(lp, SGX_LEAF_ENCLS(ENCLS_EDBGRD));
	return leaf_end(lp, lp_gp(lp));
}

int encls_edbgwr(struct sgx_lp *lp, uint64_t epc, uint64_t data)
{
	(void)epc;
	(void)data;
	leaf_begin(lp, SGX_LEAF_ENCLS(ENCLS_EDBGWR));
	return leaf_end(lp, lp_gp(lp));
}
