/* SPDX-License-Identifier: MIT */
/*
 * EMODT: every check of the SDM pseudo-code in order (the page type
 * BEFORE PENDING/MODIFIED, unlike EMODPR), and the effect: PR=0,
 * MODIFIED=1, RWX=0, new type, address and PENDING unchanged. The
 * in-use SGX_EPC_PAGE_CONFLICT cases are in edmm_race_test.c.
 */
#include "common.h"

/* The page at @off is unchanged: a REG RW page without flags. */
static bool untouched_rw(struct fx_enclave *e, uint64_t off)
{
	struct sgx_epcm_info i = fx_epcm(e, off);

	return i.valid && i.type == SGX_PAGE_TYPE_REG && i.perm == RW && !i.modified && !i.pr &&
	       !i.pending;
}

TEST(emodt_reg_to_trim_success)
{
	SETUP_FX(fx, e);
	struct sgx_epcm_info info;

	ASSERT_SGX(emodt(e, PAGE, SGX_SECINFO_TRIM), SGX_SUCCESS);
	EXPECT_EQ(sgx_lp_rflags(fx->klp) & ZF_CF, 0);
	info = fx_epcm(e, PAGE);
	EXPECT_TRUE(info.valid && info.modified);
	EXPECT_TRUE(!info.pending && !info.pr && !info.blocked);
	EXPECT_EQ(info.type, SGX_PAGE_TYPE_TRIM);
	EXPECT_EQ(info.perm, 0);
	EXPECT_EQ(info.linaddr, fx_la(e, PAGE));
	EXPECT_EQ(info.secs, e->secs);
	fx_free(fx);
}

TEST(emodt_reg_to_tcs_success)
{
	SETUP_FX(fx, e);
	struct sgx_epcm_info info;

	ASSERT_SGX(emodt(e, PAGE, SGX_SECINFO_TCS), SGX_SUCCESS);
	info = fx_epcm(e, PAGE);
	EXPECT_TRUE(info.modified && !info.pr);
	EXPECT_EQ(info.type, SGX_PAGE_TYPE_TCS);
	EXPECT_EQ(info.perm, 0);
	EXPECT_EQ(info.linaddr, fx_la(e, PAGE));
	fx_free(fx);
}

TEST(emodt_tcs_to_trim_success)
{
	SETUP_FX(fx, e);

	ASSERT_SGX(emodt(e, FX_TCS1, SGX_SECINFO_TRIM), SGX_SUCCESS);
	EXPECT_EQ(fx_epcm(e, FX_TCS1).type, SGX_PAGE_TYPE_TRIM);
	EXPECT_TRUE(fx_epcm(e, FX_TCS1).modified);
	fx_free(fx);
}

/* SECINFO RWX is ignored; the new page has none. */
/*
 * EMODT does not ask whether an LP is inside through the TCS: the page is an
 * active TRIM M page until the thread leaves (EACCEPT needs it gone first).
 */
TEST(emodt_active_tcs_to_trim_success)
{
	SETUP_INSIDE(v);

	EXPECT_SGX(emodt(v.e, FX_TCS0, SGX_SECINFO_TRIM), SGX_SUCCESS);
	EXPECT_EQ(fx_epcm(v.e, FX_TCS0).type, SGX_PAGE_TYPE_TRIM);
	EXPECT_SGX(encls_eremove(v.fx->klp, epc_of(v.e, FX_TCS0)), SGX_ENCLAVE_ACT);
	fx_exit(v.lp);
	EXPECT_SGX(encls_eremove(v.fx->klp, epc_of(v.e, FX_TCS0)), SGX_SUCCESS);
	fx_free(v.fx);
}

TEST(emodt_secinfo_rwx_ignored)
{
	SETUP_FX(fx, e);

	ASSERT_SGX(emodt(e, PAGE, SGX_SECINFO_TRIM | SGX_SECINFO_PERM_MASK), SGX_SUCCESS);
	EXPECT_EQ(fx_epcm(e, PAGE).perm, 0);
	fx_free(fx);
}

TEST(emodt_restricted_page_pr_cleared)
{
	SETUP_FX(fx, e);

	ASSERT_SGX(emodpr(e, PAGE, SGX_SECINFO_R), SGX_SUCCESS);
	ASSERT_TRUE(fx_epcm(e, PAGE).pr);
	ASSERT_SGX(emodt(e, PAGE, SGX_SECINFO_TRIM), SGX_SUCCESS);
	EXPECT_TRUE(!fx_epcm(e, PAGE).pr);
	EXPECT_TRUE(fx_epcm(e, PAGE).modified);
	fx_free(fx);
}

/* EMODT(TRIM) of PAGE on @e, on a machine that refuses it: #GP, PAGE untouched. */
static void emodt_refused_gp(struct fx_enclave *e)
{
	EXPECT_SGX(emodt(e, PAGE, SGX_SECINFO_TRIM), SGX_GP);
	EXPECT_TRUE(untouched_rw(e, PAGE));
	fx_free(e->fx);
}

ENCLAVE_TEST(emodt_no_sgx2_gp, fx_build_init(fx_new_sgx1()), emodt_refused_gp)
ENCLAVE_TEST(emodt_not_initialized_gp, fx_build(fx_new(0)), emodt_refused_gp)

TEST(emodt_secinfo_unaligned_gp)
{
	SETUP_FX(fx, e);

	EXPECT_SGX(encls_secinfo_misaligned(encls_emodt, e, epc_of(e, PAGE), SGX_SECINFO_TRIM, 8),
		   SGX_GP);
	EXPECT_TRUE(untouched_rw(e, PAGE));
	fx_free(fx);
}

TEST(emodt_page_unaligned_gp)
{
	SETUP_FX(fx, e);

	EXPECT_SGX(emodt_epc(e, epc_of(e, PAGE) + 0x800, SGX_SECINFO_TRIM), SGX_GP);
	EXPECT_TRUE(untouched_rw(e, PAGE));
	fx_free(fx);
}

TEST(emodt_secinfo_reserved_gp)
{
	SETUP_FX(fx, e);
	struct sgx_secinfo si = { .flags = SGX_SECINFO_TRIM };

	EXPECT_SGX(emodt(e, PAGE, SGX_SECINFO_TRIM | 0x80), SGX_GP);
	EXPECT_SGX(emodt(e, PAGE, SGX_SECINFO_TRIM | (1ull << 20)), SGX_GP);
	si.reserved[0] = 1;
	EXPECT_SGX(encls_emodt(fx->klp, &si, epc_of(e, PAGE)), SGX_GP);
	EXPECT_TRUE(untouched_rw(e, PAGE));
	fx_free(fx);
}

TEST(emodt_type_not_tcs_or_trim_gp)
{
	SETUP_FX(fx, e);

	EXPECT_SGX(emodt(e, PAGE, SGX_SECINFO_REG), SGX_GP);
	EXPECT_SGX(emodt(e, PAGE, SGX_SECINFO_SECS), SGX_GP);
	EXPECT_SGX(emodt(e, PAGE, SGX_SECINFO_VA), SGX_GP);
	EXPECT_SGX(emodt(e, PAGE, SGX_SECINFO_PT(5)), SGX_GP);
	EXPECT_TRUE(untouched_rw(e, PAGE));
	fx_free(fx);
}

/* The SECINFO is checked before the page's VALID bit. */
TEST(emodt_secinfo_checked_before_valid_gp)
{
	SETUP_FX(fx, e);

	EXPECT_SGX(emodt_epc(e, fx_epc_alloc(fx), SGX_SECINFO_REG), SGX_GP);
	fx_free(fx);
}

/* EMODT(TRIM) of the EPC page @epc: #PF there. */
#define EPC_PF_TEST(name, epc) SECINFO_LEAF_PF_TEST(name, emodt_epc, SGX_SECINFO_TRIM, epc)

EPC_PF_TEST(emodt_page_not_epc_pf,
	    sgx_cpu_epc_base(fx->cpu) + sgx_cpu_epc_pages(fx->cpu) * SGX_PAGE_SIZE)
EPC_PF_TEST(emodt_invalid_page_pf, fx_epc_alloc(fx))
EPC_PF_TEST(emodt_secs_page_pf, e->secs)
EPC_PF_TEST(emodt_va_page_pf, new_va(fx))

/* EMODT(@type) of the page at @off: #PF there. */
static void page_pf(struct fx_enclave *e, uint64_t off, uint64_t type)
{
	EXPECT_SGX(emodt(e, off, type), SGX_PF);
	EXPECT_PF(e->fx->klp, epc_of(e, off), PF_EPC_W);
}

TEST(emodt_tcs_to_tcs_pf)
{
	SETUP_FX(fx, e);

	page_pf(e, FX_TCS1, SGX_SECINFO_TCS);
	EXPECT_TRUE(!fx_epcm(e, FX_TCS1).modified);
	fx_free(fx);
}

/* An unaccepted TRIM page (MODIFIED=1) faults on its type first: #PF, not NOT_MODIFIABLE. */
TEST(emodt_modified_trim_page_type_first_pf)
{
	SETUP_FX(fx, e);

	ASSERT_SGX(emodt(e, PAGE, SGX_SECINFO_TRIM), SGX_SUCCESS);
	page_pf(e, PAGE, SGX_SECINFO_TRIM);
	fx_free(fx);
}

/* A TCS page still MODIFIED from EMODT(TCS) passes the type check for TRIM. */
TEST(emodt_modified_tcs_page_not_modifiable)
{
	SETUP_FX(fx, e);

	ASSERT_SGX(emodt(e, PAGE, SGX_SECINFO_TCS), SGX_SUCCESS);
	EXPECT_SGX(emodt(e, PAGE, SGX_SECINFO_TRIM), SGX_PAGE_NOT_MODIFIABLE);
	EXPECT_EQ(sgx_lp_rflags(fx->klp) & SGX_RFLAGS_ZF, SGX_RFLAGS_ZF);
	EXPECT_EQ(fx_epcm(e, PAGE).type, SGX_PAGE_TYPE_TCS);
	fx_free(fx);
}

TEST(emodt_pending_page_not_modifiable)
{
	SETUP_FX(fx, e);
	struct sgx_epcm_info info;

	ASSERT_SGX(fx_eaug(e, FX_FREE, NULL), SGX_SUCCESS);
	EXPECT_SGX(emodt(e, FX_FREE, SGX_SECINFO_TRIM), SGX_PAGE_NOT_MODIFIABLE);
	info = fx_epcm(e, FX_FREE);
	EXPECT_TRUE(info.pending && !info.modified);
	EXPECT_EQ(info.type, SGX_PAGE_TYPE_REG);
	fx_free(fx);
}
