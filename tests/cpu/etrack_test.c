/* SPDX-License-Identifier: MIT */
/*
 * ETRACK: each check of the SDM pseudo-code in order, and its effect: a
 * blocked page becomes evictable only after an ETRACK. SGX_PREV_TRK_INCMPL
 * (an LP still inside from before the previous ETRACK) is in
 * paging_sequence_test.c, with the other sequences that need EENTER.
 */
#include <stdlib.h>

#include "fixture.h"

#define PF_EPC_W (SGX_PF_SGX | SGX_PF_P | SGX_PF_W)

static bool fault_is(struct fx *fx, uint64_t addr, uint32_t code)
{
	const struct sgx_fault_info *f = sgx_lp_fault(fx->klp);

	return f->vector == SGX_VEC_PF && f->addr == addr && f->error_code == code;
}

TEST(etrack_success_flags_clear)
{
	struct fx *fx = fx_new(0);
	struct fx_enclave *e = fx_build_init(fx);

	ASSERT_TRUE(e);
	/* Leave ZF=1 behind first, so that clearing it is seen. */
	ASSERT_SGX(encls_eblock(fx->klp, fx_epc_alloc(fx)), SGX_PG_INVLD);
	EXPECT_SGX(encls_etrack(fx->klp, e->secs), SGX_SUCCESS);
	EXPECT_EQ(sgx_lp_rflags(fx->klp) & (SGX_RFLAGS_ZF | SGX_RFLAGS_CF), 0);
	/* With nobody inside, cycles follow each other freely. */
	EXPECT_SGX(encls_etrack(fx->klp, e->secs), SGX_SUCCESS);
	fx_free(fx);
}

/* EWB of a blocked page is NOT_TRACKED until an ETRACK after the EBLOCK. */
TEST(etrack_success_makes_blocked_page_evictable)
{
	struct fx *fx = fx_new(0);
	struct fx_enclave *e = fx_build_init(fx);
	uint8_t *page = aligned_alloc(SGX_PAGE_SIZE, SGX_PAGE_SIZE);
	struct sgx_pcmd pcmd;
	struct sgx_pageinfo pi = { 0 };
	uint64_t va = fx_epc_alloc(fx), epc;

	ASSERT_TRUE(e && page);
	epc = e->pa[FX_DATA / SGX_PAGE_SIZE];
	ASSERT_SGX(encls_epa(fx->klp, SGX_PAGE_TYPE_VA, va), SGX_SUCCESS);
	/* An ETRACK before the EBLOCK does not count. */
	ASSERT_SGX(encls_etrack(fx->klp, e->secs), SGX_SUCCESS);
	ASSERT_SGX(encls_eblock(fx->klp, epc), SGX_SUCCESS);
	pi.srcpge = (uintptr_t)page;
	pi.pcmd = (uintptr_t)&pcmd;
	EXPECT_SGX(encls_ewb(fx->klp, &pi, epc, va), SGX_NOT_TRACKED);
	EXPECT_TRUE(fx_epcm(e, FX_DATA).valid);
	ASSERT_SGX(encls_etrack(fx->klp, e->secs), SGX_SUCCESS);
	EXPECT_SGX(encls_ewb(fx->klp, &pi, epc, va), SGX_SUCCESS);
	EXPECT_TRUE(!fx_epcm(e, FX_DATA).valid);
	free(page);
	fx_free(fx);
}

TEST(etrack_unaligned_gp)
{
	struct fx *fx = fx_new(0);
	struct fx_enclave *e = fx_build_init(fx);

	ASSERT_TRUE(e);
	EXPECT_SGX(encls_etrack(fx->klp, e->secs + 64), SGX_GP);
	fx_free(fx);
}

TEST(etrack_not_epc_pf)
{
	struct fx *fx = fx_new(0);

	EXPECT_SGX(encls_etrack(fx->klp, 0x7000), SGX_PF);
	EXPECT_TRUE(fault_is(fx, 0x7000, PF_EPC_W));
	fx_free(fx);
}

TEST(etrack_invalid_page_pf)
{
	struct fx *fx = fx_new(0);
	uint64_t epc = fx_epc_alloc(fx);

	EXPECT_SGX(encls_etrack(fx->klp, epc), SGX_PF);
	EXPECT_TRUE(fault_is(fx, epc, PF_EPC_W));
	fx_free(fx);
}

TEST(etrack_not_secs_pf)
{
	struct fx *fx = fx_new(0);
	struct fx_enclave *e = fx_build_init(fx);
	uint64_t va = fx_epc_alloc(fx);

	ASSERT_TRUE(e);
	EXPECT_SGX(encls_etrack(fx->klp, e->pa[FX_TCS0 / SGX_PAGE_SIZE]), SGX_PF);
	EXPECT_TRUE(fault_is(fx, e->pa[FX_TCS0 / SGX_PAGE_SIZE], PF_EPC_W));
	ASSERT_SGX(encls_epa(fx->klp, SGX_PAGE_TYPE_VA, va), SGX_SUCCESS);
	EXPECT_SGX(encls_etrack(fx->klp, va), SGX_PF);
	EXPECT_TRUE(fault_is(fx, va, PF_EPC_W));
	fx_free(fx);
}
