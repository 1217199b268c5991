/* SPDX-License-Identifier: MIT */
/*
 * Ordinary enclave memory accesses (sgx_enclave_access): the page walk,
 * then the EPCM's word, with the #PF error codes hardware reports.
 */
#include "common.h"

TEST(access_allowed_page_success)
{
	SETUP_INSIDE(v);

	EXPECT_SGX(sgx_enclave_access(v.lp, fx_la(v.e, FX_DATA + 8), SGX_PF_W), SGX_SUCCESS);
	EXPECT_SGX(sgx_enclave_access(v.lp, fx_la(v.e, FX_RODATA), 0), SGX_SUCCESS);
	EXPECT_SGX(sgx_enclave_access(v.lp, fx_la(v.e, FX_CODE), SGX_PF_I), SGX_SUCCESS);
	fx_free(v.fx);
}

TEST(access_outside_enclave_mode_gp)
{
	SETUP(v);

	EXPECT_SGX(sgx_enclave_access(v.lp, fx_la(v.e, FX_DATA), 0), SGX_GP);
	fx_free(v.fx);
}

/* An access of kind @acc (SGX_PF_W/I bits) to @la: #PF there with @pfec. */
static void access_pf(struct env *v, uint64_t la, uint32_t acc, uint32_t pfec)
{
	EXPECT_SGX(sgx_enclave_access(v->lp, la, acc), SGX_PF);
	EXPECT_PF(v->lp, la, pfec);
}

/* Inside the enclave, after @prep, access_pf() at the enclave offset @off. */
#define ACCESS_PF_TEST(name, prep, off, acc, pfec)                        \
	TEST(name)                                                        \
	{                                                                 \
		SETUP_INSIDE(v);                                          \
		prep;                                                     \
		access_pf(&v, fx_la(v.e, off), acc, pfec);                \
		fx_free(v.fx);                                            \
	}

ACCESS_PF_TEST(access_write_readonly_epcm_pf_8007, (void)0, FX_RODATA + 16, SGX_PF_W, 0x8007)
ACCESS_PF_TEST(access_pending_page_epcm_pf_8005,
	       ASSERT_SGX(fx_eaug(v.e, FX_FREE, NULL), SGX_SUCCESS), FX_FREE, 0, 0x8005)
ACCESS_PF_TEST(access_fetch_not_executable_epcm_pf_8015, (void)0, FX_DATA, SGX_PF_I, 0x8015)
ACCESS_PF_TEST(access_tcs_page_epcm_pf, (void)0, FX_TCS1, 0, 0x8005)
ACCESS_PF_TEST(access_page_table_readonly_pf_7,
	       v.e->pt_perm[FX_DATA / SGX_PAGE_SIZE] = SGX_SECINFO_R, FX_DATA, SGX_PF_W, 0x7)

TEST(access_unmapped_page_pf_4)
{
	SETUP_INSIDE(v);

	access_pf(&v, fx_la(v.e, FX_FREE), 0, 0x4);
	access_pf(&v, fx_la(v.e, FX_FREE), SGX_PF_W, 0x6);
	fx_free(v.fx);
}

TEST(access_fetch_outside_elrange_gp)
{
	SETUP_INSIDE(v);

	EXPECT_SGX(sgx_enclave_access(v.lp, FX_ENCL_BASE + FX_ENCL_SIZE, SGX_PF_I), SGX_GP);
	/* Data outside ELRANGE goes through the page tables only (here: not present). */
	access_pf(&v, FX_ENCL_BASE + FX_ENCL_SIZE, 0, 0x4);
	fx_free(v.fx);
}
