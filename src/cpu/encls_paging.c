/* SPDX-License-Identifier: MIT */
/*
 * EPC paging: EPA, EBLOCK, ETRACK, EWB, ELDB and ELDU.
 * PLACEHOLDER: not implemented yet; every leaf here raises #GP(0).
 */
#include "cpu_internal.h"

int encls_epa(struct sgx_lp *lp, uint64_t page_type, uint64_t epc)
{
	(void)page_type;
	(void)epc;
	leaf_begin(lp, SGX_LEAF_ENCLS(ENCLS_EPA));
	return leaf_end(lp, lp_gp(lp));
}

int encls_eblock(struct sgx_lp *lp, uint64_t epc)
{
	(void)epc;
	leaf_begin(lp, SGX_LEAF_ENCLS(ENCLS_EBLOCK));
	return leaf_end(lp, lp_gp(lp));
}

int encls_etrack(struct sgx_lp *lp, uint64_t secs)
{
	(void)secs;
	leaf_begin(lp, SGX_LEAF_ENCLS(ENCLS_ETRACK));
	return leaf_end(lp, lp_gp(lp));
}

int encls_ewb(struct sgx_lp *lp, struct sgx_pageinfo *pginfo, uint64_t epc, uint64_t va_slot)
{
	(void)pginfo;
	(void)epc;
	(void)va_slot;
	leaf_begin(lp, SGX_LEAF_ENCLS(ENCLS_EWB));
	return leaf_end(lp, lp_gp(lp));
}

int encls_eldb(struct sgx_lp *lp, const struct sgx_pageinfo *pginfo, uint64_t epc, uint64_t va_slot)
{
	(void)pginfo;
	(void)epc;
	(void)va_slot;
	leaf_begin(lp, SGX_LEAF_ENCLS(ENCLS_ELDB));
	return leaf_end(lp, lp_gp(lp));
}

int encls_eldu(struct sgx_lp *lp, const struct sgx_pageinfo *pginfo, uint64_t epc, uint64_t va_slot)
{
	(void)pginfo;
	(void)epc;
	(void)va_slot;
	leaf_begin(lp, SGX_LEAF_ENCLS(ENCLS_ELDU));
	return leaf_end(lp, lp_gp(lp));
}
