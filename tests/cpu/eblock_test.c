/* SPDX-License-Identifier: MIT */
/*
 * EBLOCK: each check of the SDM pseudo-code in order, the flags of its
 * error (ZF=1) and informational (CF=1) results, and the BLOCKED bit it
 * sets on REG, TCS and TRIM pages. SGX_EPC_PAGE_CONFLICT is in
 * paging_race_test.c.
 */
#include "fixture.h"

#define PF_EPC_W (SGX_PF_SGX | SGX_PF_P | SGX_PF_W)

static bool flags_are(struct fx *fx, uint64_t want)
{
	uint64_t arith = SGX_RFLAGS_CF | SGX_RFLAGS_PF | SGX_RFLAGS_AF | SGX_RFLAGS_ZF |
			 SGX_RFLAGS_SF | SGX_RFLAGS_OF;

	return (sgx_lp_rflags(fx->klp) & arith) == want;
}

static struct sgx_epcm_info epcm(struct fx *fx, uint64_t epc)
{
	struct sgx_epcm_info info = { 0 };

	sgx_cpu_epcm_read(fx->cpu, epc, &info);
	return info;
}

TEST(eblock_reg_success_blocked)
{
	struct fx *fx = fx_new(0);
	struct fx_enclave *e = fx_build_init(fx);
	struct sgx_epcm_info before, after;

	ASSERT_TRUE(e);
	before = fx_epcm(e, FX_DATA);
	ASSERT_SGX(encls_eblock(fx->klp, e->pa[FX_DATA / SGX_PAGE_SIZE]), SGX_SUCCESS);
	EXPECT_TRUE(flags_are(fx, 0));
	after = fx_epcm(e, FX_DATA);
	EXPECT_TRUE(after.valid && after.blocked);
	/* Nothing else changes. */
	EXPECT_EQ(after.perm, before.perm);
	EXPECT_EQ(after.type, before.type);
	EXPECT_EQ(after.linaddr, before.linaddr);
	EXPECT_TRUE(!after.pending && !after.modified && !after.pr);
	/* Unrelated pages stay unblocked. */
	EXPECT_TRUE(!fx_epcm(e, FX_DATA + SGX_PAGE_SIZE).blocked);
	fx_free(fx);
}

TEST(eblock_tcs_success_blocked)
{
	struct fx *fx = fx_new(0);
	struct fx_enclave *e = fx_build_init(fx);

	ASSERT_TRUE(e);
	ASSERT_SGX(encls_eblock(fx->klp, e->pa[FX_TCS1 / SGX_PAGE_SIZE]), SGX_SUCCESS);
	EXPECT_TRUE(fx_epcm(e, FX_TCS1).blocked);
	EXPECT_EQ(fx_epcm(e, FX_TCS1).type, SGX_PAGE_TYPE_TCS);
	fx_free(fx);
}

TEST(eblock_trim_success_blocked)
{
	struct fx *fx = fx_new(0);
	struct fx_enclave *e = fx_build_init(fx);
	struct sgx_secinfo si = { .flags = SGX_SECINFO_TRIM };
	uint64_t epc;

	ASSERT_TRUE(e);
	epc = e->pa[FX_DATA / SGX_PAGE_SIZE];
	ASSERT_SGX(encls_emodt(fx->klp, &si, epc), SGX_SUCCESS);
	ASSERT_SGX(encls_eblock(fx->klp, epc), SGX_SUCCESS);
	EXPECT_TRUE(fx_epcm(e, FX_DATA).blocked);
	EXPECT_TRUE(fx_epcm(e, FX_DATA).modified);
	EXPECT_EQ(fx_epcm(e, FX_DATA).type, SGX_PAGE_TYPE_TRIM);
	fx_free(fx);
}

TEST(eblock_unaligned_gp)
{
	struct fx *fx = fx_new(0);
	struct fx_enclave *e = fx_build_init(fx);

	ASSERT_TRUE(e);
	EXPECT_SGX(encls_eblock(fx->klp, e->pa[FX_DATA / SGX_PAGE_SIZE] + 0x800), SGX_GP);
	EXPECT_TRUE(!fx_epcm(e, FX_DATA).blocked);
	fx_free(fx);
}

TEST(eblock_not_epc_pf)
{
	struct fx *fx = fx_new(0);
	const struct sgx_fault_info *f = sgx_lp_fault(fx->klp);

	EXPECT_SGX(encls_eblock(fx->klp, 0x200000), SGX_PF);
	EXPECT_EQ(f->vector, SGX_VEC_PF);
	EXPECT_EQ(f->addr, 0x200000);
	EXPECT_EQ(f->error_code, PF_EPC_W);
	fx_free(fx);
}

TEST(eblock_invalid_page_pg_invld)
{
	struct fx *fx = fx_new(0);
	uint64_t epc = fx_epc_alloc(fx);

	EXPECT_SGX(encls_eblock(fx->klp, epc), SGX_PG_INVLD);
	EXPECT_TRUE(flags_are(fx, SGX_RFLAGS_ZF));
	EXPECT_TRUE(!epcm(fx, epc).valid && !epcm(fx, epc).blocked);
	fx_free(fx);
}

TEST(eblock_secs_pg_is_secs)
{
	struct fx *fx = fx_new(0);
	struct fx_enclave *e = fx_build_init(fx);

	ASSERT_TRUE(e);
	EXPECT_SGX(encls_eblock(fx->klp, e->secs), SGX_PG_IS_SECS);
	EXPECT_TRUE(flags_are(fx, SGX_RFLAGS_CF));
	EXPECT_TRUE(!epcm(fx, e->secs).blocked);
	fx_free(fx);
}

TEST(eblock_va_notblockable)
{
	struct fx *fx = fx_new(0);
	uint64_t va = fx_epc_alloc(fx);

	ASSERT_SGX(encls_epa(fx->klp, SGX_PAGE_TYPE_VA, va), SGX_SUCCESS);
	EXPECT_SGX(encls_eblock(fx->klp, va), SGX_NOTBLOCKABLE);
	EXPECT_TRUE(flags_are(fx, SGX_RFLAGS_CF));
	EXPECT_TRUE(!epcm(fx, va).blocked);
	fx_free(fx);
}

TEST(eblock_already_blocked_blkstate)
{
	struct fx *fx = fx_new(0);
	struct fx_enclave *e = fx_build_init(fx);
	uint64_t epc;

	ASSERT_TRUE(e);
	epc = e->pa[FX_CODE / SGX_PAGE_SIZE];
	ASSERT_SGX(encls_eblock(fx->klp, epc), SGX_SUCCESS);
	EXPECT_SGX(encls_eblock(fx->klp, epc), SGX_BLKSTATE);
	EXPECT_TRUE(flags_are(fx, SGX_RFLAGS_CF));
	EXPECT_TRUE(fx_epcm(e, FX_CODE).blocked);
	fx_free(fx);
}

/* The EPC check comes before the validity check: an unaligned free page is #GP, not PG_INVLD. */
TEST(eblock_alignment_before_validity_gp)
{
	struct fx *fx = fx_new(0);
	uint64_t epc = fx_epc_alloc(fx);

	EXPECT_SGX(encls_eblock(fx->klp, epc + 1), SGX_GP);
	fx_free(fx);
}
