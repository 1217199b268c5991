/* SPDX-License-Identifier: MIT */
/*
 * ETRACK: each check of the SDM pseudo-code in order, and its effect: a
 * blocked page becomes evictable only after an ETRACK. SGX_PREV_TRK_INCMPL
 * (an LP still inside from before the previous ETRACK) is in
 * paging_sequence_test.c, with the other sequences that need EENTER.
 */
#include "common.h"

/* ETRACK of the EPC page @epc, which is no SECS: #PF there. */
static void etrack_pf(struct fx *fx, uint64_t epc)
{
	EXPECT_SGX(encls_etrack(fx->klp, epc), SGX_PF);
	EXPECT_PF(fx->klp, epc, PF_EPC_W);
}

TEST(etrack_success_flags_clear)
{
	SETUP_FX(fx, e);

	/* Leave ZF=1 behind first, so that clearing it is seen. */
	ASSERT_SGX(encls_eblock(fx->klp, fx_epc_alloc(fx)), SGX_PG_INVLD);
	EXPECT_SGX(encls_etrack(fx->klp, e->secs), SGX_SUCCESS);
	EXPECT_EQ(sgx_lp_rflags(fx->klp) & ZF_CF, 0);
	/* With nobody inside, cycles follow each other freely. */
	EXPECT_SGX(encls_etrack(fx->klp, e->secs), SGX_SUCCESS);
	fx_free(fx);
}

/* EWB of a blocked page is NOT_TRACKED until an ETRACK after the EBLOCK. */
TEST(etrack_success_makes_blocked_page_evictable)
{
	SETUP_FX(fx, e);
	uint64_t epc = epc_of(e, FX_DATA);
	struct blob *b = blob_new(new_va(fx));

	ASSERT_TRUE(b->slot);
	/* An ETRACK before the EBLOCK does not count. */
	ASSERT_SGX(etrack(e), SGX_SUCCESS);
	ASSERT_SGX(encls_eblock(fx->klp, epc), SGX_SUCCESS);
	EXPECT_SGX(blob_ewb(fx->klp, b, epc), SGX_NOT_TRACKED);
	EXPECT_TRUE(fx_epcm(e, FX_DATA).valid);
	ASSERT_SGX(etrack(e), SGX_SUCCESS);
	EXPECT_SGX(blob_ewb(fx->klp, b, epc), SGX_SUCCESS);
	EXPECT_TRUE(!fx_epcm(e, FX_DATA).valid);
	free(b);
	fx_free(fx);
}

static void etrack_in_einit(struct fx *fx, struct sgx_lp *lp, unsigned int leaf, uint64_t epc,
			    void *ctx)
{
	struct fx_enclave *e = ctx;
	struct sgx_lp *other = sgx_lp_create(fx->cpu, NULL, NULL);

	/* EINIT's base access to the SECS is shared, like ETRACK's: no conflict. */
	EXPECT_EQ(leaf, SGX_LEAF_ENCLS(ENCLS_EINIT));
	EXPECT_SGX(encls_etrack(other, e->secs), SGX_SUCCESS);
	sgx_lp_destroy(other);
}

TEST(etrack_during_einit_success)
{
	struct fx *fx = fx_new(0);
	struct fx_enclave *e = fx_build(fx);

	ASSERT_TRUE(e);
	fx_on_pause(fx, etrack_in_einit, e);
	EXPECT_SGX(fx_einit(e), SGX_SUCCESS);
	fx_free(fx);
}

TEST(etrack_unaligned_gp)
{
	SETUP_FX(fx, e);

	EXPECT_SGX(encls_etrack(fx->klp, e->secs + 64), SGX_GP);
	fx_free(fx);
}

TEST(etrack_not_epc_pf)
{
	struct fx *fx = fx_new(0);

	etrack_pf(fx, 0x7000);
	fx_free(fx);
}

TEST(etrack_invalid_page_pf)
{
	struct fx *fx = fx_new(0);

	etrack_pf(fx, fx_epc_alloc(fx));
	fx_free(fx);
}

TEST(etrack_not_secs_pf)
{
	SETUP_FX(fx, e);

	etrack_pf(fx, epc_of(e, FX_TCS0));
	etrack_pf(fx, new_va(fx));
	fx_free(fx);
}
