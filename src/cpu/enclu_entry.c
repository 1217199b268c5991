/* SPDX-License-Identifier: MIT */
/*
 * Entering and leaving an enclave: EENTER, ERESUME, EEXIT and AEX.
 * PLACEHOLDER: not implemented yet; every leaf here raises #GP(0).
 */
#include "cpu_internal.h"

int enclu_eenter(struct sgx_lp *lp, struct sgx_regs *regs)
{
	(void)regs;
	leaf_begin(lp, SGX_LEAF_ENCLU(ENCLU_EENTER));
	return leaf_end(lp, lp_gp(lp));
}

int enclu_eresume(struct sgx_lp *lp, struct sgx_regs *regs)
{
	(void)regs;
	leaf_begin(lp, SGX_LEAF_ENCLU(ENCLU_ERESUME));
	return leaf_end(lp, lp_gp(lp));
}

int enclu_eexit(struct sgx_lp *lp, struct sgx_regs *regs)
{
	(void)regs;
	leaf_begin(lp, SGX_LEAF_ENCLU(ENCLU_EEXIT));
	return leaf_end(lp, lp_gp(lp));
}

int sgx_aex(struct sgx_lp *lp, struct sgx_regs *regs, const struct sgx_exception *exc)
{
	(void)regs;
	(void)exc;
	leaf_begin(lp, SGX_LEAF_AEX);
	return leaf_end(lp, lp_gp(lp));
}
