/* SPDX-License-Identifier: MIT */
/*
 * The EDMM flows through the driver: EAUG on fault, permission
 * restriction with the partial-success contract, mprotect/EPCM
 * independence, new TCS, trim and removal.
 */
#include "dfx.h"

#define REG_RW (SGX_SECINFO_REG | SGX_SECINFO_R | SGX_SECINFO_W)

TEST(build_enter_exit)
{
	struct dfx_encl *e = dfx_build();
	struct dfx_thread t;

	ASSERT_TRUE(e);
	dfx_thread_init(&t);
	EXPECT_SGX(dfx_enter(&t, e, DFX_TCS0), SGX_SUCCESS);
	EXPECT_SGX(dfx_access(&t, dfx_la(e, DFX_DATA), SGX_PF_W), SGX_SUCCESS);
	EXPECT_SGX(dfx_exit(&t), SGX_SUCCESS);
	dfx_thread_fini(&t);
	dfx_close(e);
}

TEST(eaccept_unbacked_address_eaugs_transparently)
{
	struct dfx_encl *e = dfx_build();
	struct dfx_thread t;
	uint64_t eaug_before;

	ASSERT_TRUE(e);
	dfx_thread_init(&t);
	ASSERT_SGX(dfx_enter(&t, e, DFX_TCS0), SGX_SUCCESS);
	eaug_before = DFX_COUNT(SOFTSGX_CNT_FAULT_EAUG);
	EXPECT_SGX(dfx_eaccept(&t, dfx_secinfo(e, 0, REG_RW | SGX_SECINFO_PENDING),
			       dfx_la(e, DFX_FREE)), SGX_SUCCESS);
	EXPECT_EQ(DFX_COUNT(SOFTSGX_CNT_FAULT_EAUG), eaug_before + 1);
	EXPECT_SGX(dfx_access(&t, dfx_la(e, DFX_FREE), SGX_PF_W), SGX_SUCCESS);
	EXPECT_SGX(dfx_exit(&t), SGX_SUCCESS);
	dfx_thread_fini(&t);
	dfx_close(e);
}

TEST(write_to_fresh_page_faults_8007_until_accepted)
{
	struct dfx_encl *e = dfx_build();
	struct dfx_thread t;

	ASSERT_TRUE(e);
	dfx_thread_init(&t);
	ASSERT_SGX(dfx_enter(&t, e, DFX_TCS0), SGX_SUCCESS);
	ASSERT_EQ(dfx_access(&t, dfx_la(e, DFX_FREE + 0x1000), SGX_PF_W), DFX_EXCEPTION);
	EXPECT_EQ(t.exc.vector, SGX_VEC_PF);
	EXPECT_EQ(t.exc.error_code, 0x8007);
	EXPECT_EQ(t.exc.addr, dfx_la(e, DFX_FREE + 0x1000));
	EXPECT_TRUE(dfx_epcm(e, DFX_FREE + 0x1000).pending);
	dfx_thread_fini(&t);
	dfx_close(e);
}
