/* SPDX-License-Identifier: MIT */
/*
 * EBLOCK: each check of the SDM pseudo-code in order, the flags of its
 * error (ZF=1) and informational (CF=1) results, and the BLOCKED bit it
 * sets on REG, TCS and TRIM pages. SGX_EPC_PAGE_CONFLICT is in
 * paging_race_test.c.
 */
#include "common.h"

/* EBLOCK of the EPC page @epc: @want, leaving the arithmetic flags @flags. */
static void eblock_expect(struct fx *fx, uint64_t epc, int want, uint64_t flags)
{
	EXPECT_SGX(encls_eblock(fx->klp, epc), want);
	EXPECT_EQ(arith_flags(fx->klp), flags);
}

TEST(eblock_reg_success_blocked)
{
	SETUP_FX(fx, e);
	struct sgx_epcm_info before = fx_epcm(e, FX_DATA), after;

	eblock_expect(fx, epc_of(e, FX_DATA), SGX_SUCCESS, 0);
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
	SETUP_FX(fx, e);

	ASSERT_SGX(encls_eblock(fx->klp, epc_of(e, FX_TCS1)), SGX_SUCCESS);
	EXPECT_TRUE(fx_epcm(e, FX_TCS1).blocked);
	EXPECT_EQ(fx_epcm(e, FX_TCS1).type, SGX_PAGE_TYPE_TCS);
	fx_free(fx);
}

TEST(eblock_trim_success_blocked)
{
	SETUP_FX(fx, e);

	ASSERT_SGX(emodt(e, FX_DATA, SGX_SECINFO_TRIM), SGX_SUCCESS);
	ASSERT_SGX(encls_eblock(fx->klp, epc_of(e, FX_DATA)), SGX_SUCCESS);
	EXPECT_TRUE(fx_epcm(e, FX_DATA).blocked);
	EXPECT_TRUE(fx_epcm(e, FX_DATA).modified);
	EXPECT_EQ(fx_epcm(e, FX_DATA).type, SGX_PAGE_TYPE_TRIM);
	fx_free(fx);
}

TEST(eblock_unaligned_gp)
{
	SETUP_FX(fx, e);

	EXPECT_SGX(encls_eblock(fx->klp, epc_of(e, FX_DATA) + 0x800), SGX_GP);
	EXPECT_TRUE(!fx_epcm(e, FX_DATA).blocked);
	fx_free(fx);
}

TEST(eblock_not_epc_pf)
{
	struct fx *fx = fx_new(0);

	EXPECT_SGX(encls_eblock(fx->klp, 0x200000), SGX_PF);
	EXPECT_PF(fx->klp, 0x200000, PF_EPC_W);
	fx_free(fx);
}

/* The EPC check comes before the validity check: an unaligned free page is #GP, not PG_INVLD. */
TEST(eblock_alignment_before_validity_gp)
{
	struct fx *fx = fx_new(0);

	EXPECT_SGX(encls_eblock(fx->klp, fx_epc_alloc(fx) + 1), SGX_GP);
	fx_free(fx);
}

TEST(eblock_invalid_page_pg_invld)
{
	struct fx *fx = fx_new(0);
	uint64_t epc = fx_epc_alloc(fx);

	eblock_expect(fx, epc, SGX_PG_INVLD, SGX_RFLAGS_ZF);
	EXPECT_TRUE(!epcm_of(fx, epc).valid && !epcm_of(fx, epc).blocked);
	fx_free(fx);
}

TEST(eblock_secs_pg_is_secs)
{
	SETUP_FX(fx, e);

	eblock_expect(fx, e->secs, SGX_PG_IS_SECS, SGX_RFLAGS_CF);
	EXPECT_TRUE(!epcm_of(fx, e->secs).blocked);
	fx_free(fx);
}

static void eblock_secs_in_einit(struct fx *fx, struct sgx_lp *lp, unsigned int leaf,
				 uint64_t epc, void *ctx)
{
	struct fx_enclave *e = ctx;
	struct sgx_lp *other = sgx_lp_create(fx->cpu, NULL, NULL);

	/* EINIT's base access to the SECS is shared, like EBLOCK's: no conflict. */
	EXPECT_EQ(leaf, SGX_LEAF_ENCLS(ENCLS_EINIT));
	EXPECT_SGX(encls_eblock(other, e->secs), SGX_PG_IS_SECS);
	EXPECT_EQ(arith_flags(other), SGX_RFLAGS_CF);
	sgx_lp_destroy(other);
}

TEST(eblock_secs_during_einit_pg_is_secs)
{
	struct fx *fx = fx_new(0);
	struct fx_enclave *e = fx_build(fx);

	ASSERT_TRUE(e);
	fx_on_pause(fx, eblock_secs_in_einit, e);
	EXPECT_SGX(fx_einit(e), SGX_SUCCESS);
	fx_free(fx);
}

TEST(eblock_va_notblockable)
{
	struct fx *fx = fx_new(0);
	uint64_t va = new_va(fx);

	ASSERT_TRUE(va);
	eblock_expect(fx, va, SGX_NOTBLOCKABLE, SGX_RFLAGS_CF);
	EXPECT_TRUE(!epcm_of(fx, va).blocked);
	fx_free(fx);
}

TEST(eblock_already_blocked_blkstate)
{
	SETUP_FX(fx, e);

	ASSERT_SGX(encls_eblock(fx->klp, epc_of(e, FX_CODE)), SGX_SUCCESS);
	eblock_expect(fx, epc_of(e, FX_CODE), SGX_BLKSTATE, SGX_RFLAGS_CF);
	EXPECT_TRUE(fx_epcm(e, FX_CODE).blocked);
	fx_free(fx);
}
