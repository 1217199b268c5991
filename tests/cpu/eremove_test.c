/* SPDX-License-Identifier: MIT */
/*
 * EREMOVE: freeing pages, the child rule for SECS pages, and the rule that
 * no page of an enclave that a logical processor executes in is removed.
 */
#include "common.h"
#include "cpu/cpu_internal.h"

TEST(eremove_unaligned_gp)
{
	struct fx *fx = fx_new(0);

	EXPECT_SGX(encls_eremove(fx->klp, sgx_cpu_epc_base(fx->cpu) + 8), SGX_GP);
	fx_free(fx);
}

TEST(eremove_not_epc_pf)
{
	struct fx *fx = fx_new(0);

	EXPECT_SGX(encls_eremove(fx->klp, 0x4000), SGX_PF);
	EXPECT_EQ(sgx_lp_fault(fx->klp)->addr, 0x4000);
	fx_free(fx);
}

TEST(eremove_invalid_page_success)
{
	struct fx *fx = fx_new(0);

	EXPECT_SGX(encls_eremove(fx->klp, fx_epc_alloc(fx)), SGX_SUCCESS);
	fx_free(fx);
}

static void eremove_in_hook(struct fx *fx, struct sgx_lp *lp, unsigned int leaf, uint64_t epc,
			    void *ctx)
{
	struct sgx_lp *other = sgx_lp_create(fx->cpu, NULL, NULL);

	EXPECT_SGX(encls_eremove(other, epc), SGX_GP);
	sgx_lp_destroy(other);
}

TEST(eremove_page_in_use_gp)
{
	struct fx *fx = fx_new(0);
	struct fx_enclave *e = fx_ecreate(fx, NULL);
	uint64_t page;

	ASSERT_SGX(fx_eadd(e, FX_DATA, REG_RW, NULL, false, &page), SGX_SUCCESS);
	fx_on_pause(fx, eremove_in_hook, NULL);
	EXPECT_SGX(encls_eextend(fx->klp, e->secs, page), SGX_SUCCESS);
	fx_free(fx);
}

TEST(eremove_secs_child_present)
{
	struct fx *fx = fx_new(0);
	struct fx_enclave *e = fx_ecreate(fx, NULL);
	uint64_t page;

	ASSERT_SGX(fx_eadd(e, FX_DATA, REG_RW, NULL, false, &page), SGX_SUCCESS);
	EXPECT_SGX(encls_eremove(fx->klp, e->secs), SGX_CHILD_PRESENT);
	EXPECT_TRUE(sgx_lp_rflags(fx->klp) & SGX_RFLAGS_ZF);
	EXPECT_TRUE(epcm_of(fx, e->secs).valid);
	/* Once the child is gone, the SECS goes too. */
	EXPECT_SGX(encls_eremove(fx->klp, page), SGX_SUCCESS);
	EXPECT_TRUE(!epcm_of(fx, page).valid);
	EXPECT_SGX(encls_eremove(fx->klp, e->secs), SGX_SUCCESS);
	EXPECT_TRUE(!epcm_of(fx, e->secs).valid);
	fx_free(fx);
}

TEST(eremove_whole_initialized_enclave_success)
{
	SETUP_FX(fx, e);
	uint64_t i;

	for (i = 0; i < FX_PAGES; i++)
		if (e->pa[i])
			EXPECT_SGX(encls_eremove(fx->klp, e->pa[i]), SGX_SUCCESS);
	EXPECT_SGX(encls_eremove(fx->klp, e->secs), SGX_SUCCESS);
	fx_free(fx);
}

TEST(eremove_page_while_thread_inside_enclave_act)
{
	SETUP_FX_LP(fx, e, lp);
	uint64_t page = epc_of(e, FX_DATA);

	ASSERT_SGX(fx_enter(lp, e, FX_TCS0, NULL), SGX_SUCCESS);
	EXPECT_SGX(encls_eremove(fx->klp, page), SGX_ENCLAVE_ACT);
	EXPECT_TRUE(epcm_of(fx, page).valid);
	fx_exit(lp);
	EXPECT_SGX(encls_eremove(fx->klp, page), SGX_SUCCESS);
	fx_free(fx);
}

/* Hidden states of evicted SECS pages parked on @fx's processor. */
static size_t parked_count(struct fx *fx)
{
	const struct secs_state *st;
	size_t n = 0;

	for (st = fx->cpu->parked; st; st = st->parked_next)
		n++;
	return n;
}

/* A removed VA page takes its versions along: an evicted SECS under one is gone for good. */
TEST(eremove_va_with_evicted_secs_version_frees_state)
{
	struct fx *fx = fx_new(0);
	struct fx_enclave *e = fx_ecreate(fx, NULL);
	uint64_t va = new_va(fx);
	struct blob *b = blob_new(va + 8);

	ASSERT_TRUE(e && va);
	ASSERT_SGX(blob_ewb(fx->klp, b, e->secs), SGX_SUCCESS);
	ASSERT_EQ(parked_count(fx), 1);
	EXPECT_SGX(encls_eremove(fx->klp, va), SGX_SUCCESS);
	EXPECT_EQ(parked_count(fx), 0);
	free(b);
	fx_free(fx);
}
