/* SPDX-License-Identifier: MIT */
/*
 * Ordinary enclave memory accesses (sgx_enclave_access): the page walk,
 * then the EPCM's word, with the #PF error codes hardware reports.
 */
#include "fixture.h"

struct inside {
	struct fx *fx;
	struct fx_enclave *e;
	struct sgx_lp *lp;
};

static bool enter(struct inside *in)
{
	in->fx = fx_new(0);
	in->e = fx_build_init(in->fx);
	if (!in->e)
		return false;
	in->lp = fx_lp(in->e);
	return fx_enter(in->lp, in->e, FX_TCS0, NULL) == SGX_SUCCESS;
}

#define EXPECT_PF(in, la, pfec)                                               \
	do {                                                                  \
		EXPECT_EQ(sgx_lp_fault((in)->lp)->vector, SGX_VEC_PF);         \
		EXPECT_EQ(sgx_lp_fault((in)->lp)->addr, la);                   \
		EXPECT_EQ(sgx_lp_fault((in)->lp)->error_code, pfec);           \
	} while (0)

TEST(access_allowed_page_success)
{
	struct inside in;

	ASSERT_TRUE(enter(&in));
	EXPECT_SGX(sgx_enclave_access(in.lp, fx_la(in.e, FX_DATA + 8), SGX_PF_W), SGX_SUCCESS);
	EXPECT_SGX(sgx_enclave_access(in.lp, fx_la(in.e, FX_RODATA), 0), SGX_SUCCESS);
	EXPECT_SGX(sgx_enclave_access(in.lp, fx_la(in.e, FX_CODE), SGX_PF_I), SGX_SUCCESS);
	fx_free(in.fx);
}

TEST(access_outside_enclave_mode_gp)
{
	struct fx *fx = fx_new(0);
	struct fx_enclave *e = fx_build_init(fx);

	ASSERT_TRUE(e);
	EXPECT_SGX(sgx_enclave_access(fx_lp(e), fx_la(e, FX_DATA), 0), SGX_GP);
	fx_free(fx);
}

TEST(access_write_readonly_epcm_pf_8007)
{
	struct inside in;

	ASSERT_TRUE(enter(&in));
	EXPECT_SGX(sgx_enclave_access(in.lp, fx_la(in.e, FX_RODATA + 16), SGX_PF_W), SGX_PF);
	EXPECT_PF(&in, fx_la(in.e, FX_RODATA + 16), 0x8007);
	fx_free(in.fx);
}

TEST(access_pending_page_epcm_pf_8005)
{
	struct inside in;

	ASSERT_TRUE(enter(&in));
	ASSERT_SGX(fx_eaug(in.e, FX_FREE, NULL), SGX_SUCCESS);
	EXPECT_SGX(sgx_enclave_access(in.lp, fx_la(in.e, FX_FREE), 0), SGX_PF);
	EXPECT_PF(&in, fx_la(in.e, FX_FREE), 0x8005);
	fx_free(in.fx);
}

TEST(access_fetch_not_executable_epcm_pf_8015)
{
	struct inside in;

	ASSERT_TRUE(enter(&in));
	EXPECT_SGX(sgx_enclave_access(in.lp, fx_la(in.e, FX_DATA), SGX_PF_I), SGX_PF);
	EXPECT_PF(&in, fx_la(in.e, FX_DATA), 0x8015);
	fx_free(in.fx);
}

TEST(access_tcs_page_epcm_pf)
{
	struct inside in;

	ASSERT_TRUE(enter(&in));
	EXPECT_SGX(sgx_enclave_access(in.lp, fx_la(in.e, FX_TCS1), 0), SGX_PF);
	EXPECT_PF(&in, fx_la(in.e, FX_TCS1), 0x8005);
	fx_free(in.fx);
}

TEST(access_unmapped_page_pf_4)
{
	struct inside in;

	ASSERT_TRUE(enter(&in));
	EXPECT_SGX(sgx_enclave_access(in.lp, fx_la(in.e, FX_FREE), 0), SGX_PF);
	EXPECT_PF(&in, fx_la(in.e, FX_FREE), 0x4);
	EXPECT_SGX(sgx_enclave_access(in.lp, fx_la(in.e, FX_FREE), SGX_PF_W), SGX_PF);
	EXPECT_PF(&in, fx_la(in.e, FX_FREE), 0x6);
	fx_free(in.fx);
}

TEST(access_page_table_readonly_pf_7)
{
	struct inside in;

	ASSERT_TRUE(enter(&in));
	in.e->pt_perm[FX_DATA / SGX_PAGE_SIZE] = SGX_SECINFO_R;
	EXPECT_SGX(sgx_enclave_access(in.lp, fx_la(in.e, FX_DATA), SGX_PF_W), SGX_PF);
	EXPECT_PF(&in, fx_la(in.e, FX_DATA), 0x7);
	fx_free(in.fx);
}

TEST(access_fetch_outside_elrange_gp)
{
	struct inside in;

	ASSERT_TRUE(enter(&in));
	EXPECT_SGX(sgx_enclave_access(in.lp, FX_ENCL_BASE + FX_ENCL_SIZE, SGX_PF_I), SGX_GP);
	/* Data outside ELRANGE goes through the page tables only (here: not present). */
	EXPECT_SGX(sgx_enclave_access(in.lp, FX_ENCL_BASE + FX_ENCL_SIZE, 0), SGX_PF);
	EXPECT_PF(&in, FX_ENCL_BASE + FX_ENCL_SIZE, 0x4);
	fx_free(in.fx);
}
