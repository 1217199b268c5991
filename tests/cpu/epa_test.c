/* SPDX-License-Identifier: MIT */
/*
 * EPA: each check of the SDM pseudo-code in order, and the version array it
 * creates (zeroed, PT_VA, no owner, flags untouched). The in-use #GP is in
 * paging_race_test.c.
 */
#include "common.h"

TEST(epa_success_zeroed_va_page)
{
	struct fx *fx = fx_new(0);
	uint64_t epc = fx_epc_alloc(fx);
	const uint8_t *mem = sgx_cpu_epc_mem(fx->cpu, epc);
	struct sgx_epcm_info info;
	int i, nonzero = 0;

	memset(sgx_cpu_epc_mem(fx->cpu, epc), 0x5A, SGX_PAGE_SIZE); /* stale contents */
	ASSERT_SGX(encls_epa(fx->klp, SGX_PAGE_TYPE_VA, epc), SGX_SUCCESS);
	info = epcm_of(fx, epc);
	EXPECT_TRUE(info.valid);
	EXPECT_EQ(info.type, SGX_PAGE_TYPE_VA);
	EXPECT_EQ(info.perm, 0);
	EXPECT_EQ(info.linaddr, 0);
	EXPECT_EQ(info.secs, 0);
	EXPECT_TRUE(!info.blocked && !info.pending && !info.modified && !info.pr);
	for (i = 0; i < (int)SGX_PAGE_SIZE; i++)
		nonzero += mem[i] != 0;
	EXPECT_EQ(nonzero, 0);
	fx_free(fx);
}

TEST(epa_success_leaves_flags_untouched)
{
	struct fx *fx = fx_new(0);
	uint64_t epc = fx_epc_alloc(fx);

	/* EBLOCK of a free page leaves ZF=1; EPA has no RAX code and keeps it. */
	ASSERT_SGX(encls_eblock(fx->klp, epc), SGX_PG_INVLD);
	ASSERT_TRUE(sgx_lp_rflags(fx->klp) & SGX_RFLAGS_ZF);
	ASSERT_SGX(encls_epa(fx->klp, SGX_PAGE_TYPE_VA, epc), SGX_SUCCESS);
	EXPECT_TRUE(sgx_lp_rflags(fx->klp) & SGX_RFLAGS_ZF);
	fx_free(fx);
}

TEST(epa_rbx_not_pt_va_gp)
{
	struct fx *fx = fx_new(0);
	uint64_t epc = fx_epc_alloc(fx);

	EXPECT_SGX(encls_epa(fx->klp, SGX_PAGE_TYPE_REG, epc), SGX_GP);
	EXPECT_SGX(encls_epa(fx->klp, SGX_PAGE_TYPE_SECS, epc), SGX_GP);
	EXPECT_TRUE(!epcm_of(fx, epc).valid);
	fx_free(fx);
}

TEST(epa_unaligned_gp)
{
	struct fx *fx = fx_new(0);
	uint64_t epc = fx_epc_alloc(fx);

	EXPECT_SGX(encls_epa(fx->klp, SGX_PAGE_TYPE_VA, epc + 8), SGX_GP);
	EXPECT_TRUE(!epcm_of(fx, epc).valid);
	fx_free(fx);
}

/* RBX is checked before the EPC address: a wrong type on a non-EPC address is #GP. */
TEST(epa_rbx_checked_before_epc_gp)
{
	struct fx *fx = fx_new(0);

	EXPECT_SGX(encls_epa(fx->klp, SGX_PAGE_TYPE_TCS, 0x1000), SGX_GP);
	fx_free(fx);
}

TEST(epa_not_epc_pf)
{
	struct fx *fx = fx_new(0);
	uint64_t outside = sgx_cpu_epc_base(fx->cpu) + sgx_cpu_epc_pages(fx->cpu) * SGX_PAGE_SIZE;

	EXPECT_SGX(encls_epa(fx->klp, SGX_PAGE_TYPE_VA, outside), SGX_PF);
	EXPECT_PF(fx->klp, outside, PF_EPC_W);
	fx_free(fx);
}

TEST(epa_valid_page_pf)
{
	struct fx *fx = fx_new(0);
	struct fx_enclave *e = fx_build(fx);
	uint64_t va = fx_epc_alloc(fx);

	ASSERT_TRUE(e);
	/* A valid SECS and a valid VA page are both refused, unchanged. */
	EXPECT_SGX(encls_epa(fx->klp, SGX_PAGE_TYPE_VA, e->secs), SGX_PF);
	EXPECT_PF(fx->klp, e->secs, PF_EPC_W);
	EXPECT_EQ(epcm_of(fx, e->secs).type, SGX_PAGE_TYPE_SECS);
	ASSERT_SGX(encls_epa(fx->klp, SGX_PAGE_TYPE_VA, va), SGX_SUCCESS);
	*(uint64_t *)sgx_cpu_epc_mem(fx->cpu, va + 16) = 77;
	EXPECT_SGX(encls_epa(fx->klp, SGX_PAGE_TYPE_VA, va), SGX_PF);
	EXPECT_EQ(epc_u64(fx, va + 16), 77); /* not zeroed again */
	fx_free(fx);
}
