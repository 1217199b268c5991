/* SPDX-License-Identifier: MIT */
/*
 * EMODPE: every check of the SDM pseudo-code in order, and the effect:
 * EPCM RWX |= SECINFO RWX, PR untouched, RAX and RFLAGS untouched. The
 * in-use #GP is in edmm_race_test.c.
 */
#include "common.h"

static uint64_t la(struct env *v, uint64_t off)
{
	return fx_la(v->e, off);
}

static int emodpe_at(struct env *v, uint64_t si_off, uint64_t flags, uint64_t page_la)
{
	fx_put_secinfo(v->e, si_off, flags);
	return enclu_emodpe(v->lp, la(v, si_off), page_la);
}

static int emodpe(struct env *v, uint64_t flags, uint64_t off)
{
	return emodpe_at(v, SI_OFF, flags, la(v, off));
}

/* Success paths */

TEST(emodpe_extend_r_to_rwx_success)
{
	SETUP_INSIDE(v);
	struct sgx_epcm_info info;

	ASSERT_SGX(emodpe(&v, SGX_SECINFO_W | SGX_SECINFO_X, FX_RODATA), SGX_SUCCESS);
	info = fx_epcm(v.e, FX_RODATA);
	EXPECT_EQ(info.perm, SGX_SECINFO_PERM_MASK);
	EXPECT_TRUE(!info.pr && !info.pending && !info.modified);
	fx_free(v.fx);
}

/* EMODPE has no RAX code: the flags of the previous leaf stay. */
TEST(emodpe_success_rflags_untouched)
{
	SETUP_INSIDE(v);

	ASSERT_SGX(fx_eaug(v.e, FX_FREE, NULL), SGX_SUCCESS);
	fx_put_secinfo(v.e, SI_OFF, SGX_SECINFO_REG | SGX_SECINFO_R | SGX_SECINFO_PENDING);
	ASSERT_SGX(enclu_eaccept(v.lp, la(&v, SI_OFF), la(&v, FX_FREE)),
		   SGX_PAGE_ATTRIBUTES_MISMATCH);
	ASSERT_EQ(sgx_lp_rflags(v.lp) & SGX_RFLAGS_ZF, SGX_RFLAGS_ZF);
	ASSERT_SGX(emodpe(&v, SGX_SECINFO_X, PAGE), SGX_SUCCESS);
	EXPECT_EQ(sgx_lp_rflags(v.lp) & SGX_RFLAGS_ZF, SGX_RFLAGS_ZF);
	EXPECT_EQ(fx_epcm(v.e, PAGE).perm, SGX_SECINFO_PERM_MASK);
	fx_free(v.fx);
}

/* Only extends: a SECINFO with fewer rights changes nothing. */
TEST(emodpe_never_restricts)
{
	SETUP_INSIDE(v);

	ASSERT_SGX(emodpe(&v, 0, PAGE), SGX_SUCCESS);
	EXPECT_EQ(fx_epcm(v.e, PAGE).perm, RW);
	ASSERT_SGX(emodpe(&v, SGX_SECINFO_R, PAGE), SGX_SUCCESS);
	EXPECT_EQ(fx_epcm(v.e, PAGE).perm, RW);
	fx_free(v.fx);
}

/* PR stays as EMODPR left it. */
TEST(emodpe_restricted_page_pr_kept)
{
	SETUP_INSIDE(v);
	struct sgx_epcm_info info;

	ASSERT_SGX(emodpr(v.e, PAGE, SGX_SECINFO_R), SGX_SUCCESS);
	ASSERT_SGX(emodpe(&v, SGX_SECINFO_W, PAGE), SGX_SUCCESS);
	info = fx_epcm(v.e, PAGE);
	EXPECT_TRUE(info.pr);
	EXPECT_EQ(info.perm, RW);
	fx_free(v.fx);
}

/* SECINFO PT and state bits are not reserved and are ignored. */
TEST(emodpe_secinfo_type_ignored)
{
	SETUP_INSIDE(v);

	ASSERT_SGX(emodpe(&v, SGX_SECINFO_TCS | SGX_SECINFO_X | SGX_SECINFO_PENDING, PAGE),
		   SGX_SUCCESS);
	EXPECT_EQ(fx_epcm(v.e, PAGE).perm, SGX_SECINFO_PERM_MASK);
	EXPECT_EQ(fx_epcm(v.e, PAGE).type, SGX_PAGE_TYPE_REG);
	EXPECT_TRUE(!fx_epcm(v.e, PAGE).pending);
	fx_free(v.fx);
}

/* W alone is fine when the EPCM already has R. */
TEST(emodpe_w_with_epcm_r_success)
{
	SETUP_INSIDE(v);

	ASSERT_SGX(emodpe(&v, SGX_SECINFO_W, FX_RODATA), SGX_SUCCESS);
	EXPECT_EQ(fx_epcm(v.e, FX_RODATA).perm, RW);
	fx_free(v.fx);
}

/* Prologue */

/* EMODPE(X) of PAGE on @v: #GP, PAGE still RW. */
static void emodpe_x_gp(struct env *v)
{
	EXPECT_SGX(emodpe(v, SGX_SECINFO_X, PAGE), SGX_GP);
	EXPECT_EQ(fx_epcm(v->e, PAGE).perm, RW);
	fx_free(v->fx);
}

TEST(emodpe_outside_enclave_gp)
{
	SETUP(v);

	emodpe_x_gp(&v);
}

TEST(emodpe_no_sgx2_gp)
{
	struct env v;

	ASSERT_TRUE(env_build(&v, fx_new_sgx1()) && env_enter(&v));
	emodpe_x_gp(&v);
}

/* Alignment, ELRANGE, translation */

TEST(emodpe_secinfo_unaligned_gp)
{
	SETUP_INSIDE(v);

	fx_put_secinfo(v.e, SI_OFF + 64, SGX_SECINFO_X);
	EXPECT_SGX(enclu_emodpe(v.lp, la(&v, SI_OFF + 64 + 16), la(&v, PAGE)), SGX_GP);
	EXPECT_EQ(fx_epcm(v.e, PAGE).perm, RW);
	fx_free(v.fx);
}

TEST(emodpe_page_unaligned_gp)
{
	SETUP_INSIDE(v);

	EXPECT_SGX(emodpe_at(&v, SI_OFF, SGX_SECINFO_X, la(&v, PAGE) + 0x200), SGX_GP);
	EXPECT_EQ(fx_epcm(v.e, PAGE).perm, RW);
	fx_free(v.fx);
}

TEST(emodpe_outside_elrange_gp)
{
	SETUP_INSIDE(v);

	fx_put_secinfo(v.e, SI_OFF, SGX_SECINFO_X);
	EXPECT_SGX(enclu_emodpe(v.lp, v.e->base - 64, la(&v, PAGE)), SGX_GP);
	EXPECT_SGX(enclu_emodpe(v.lp, la(&v, SI_OFF), v.e->base + v.e->size), SGX_GP);
	EXPECT_EQ(fx_epcm(v.e, PAGE).perm, RW);
	fx_free(v.fx);
}

/* A SECINFO operand at ALIAS mapped by @prep (nothing written there): #PF at it with @pfec. */
#define SECINFO_ALIAS_PF_TEST(name, prep, pfec)                                        \
	TEST(name)                                                                     \
	{                                                                              \
		SETUP_INSIDE(v);                                                       \
		prep;                                                                  \
		EXPECT_SGX(enclu_emodpe(v.lp, la(&v, ALIAS), la(&v, PAGE)), SGX_PF);   \
		EXPECT_PF(v.lp, la(&v, ALIAS), pfec);                                  \
		fx_free(v.fx);                                                         \
	}

SECINFO_ALIAS_PF_TEST(emodpe_secinfo_unmapped_pf, (void)0, SGX_PF_U)
SECINFO_ALIAS_PF_TEST(emodpe_secinfo_not_epc_pf, map(v.e, ALIAS, 0x3000), PF_EPCM)

/* EMODPE with the SECINFO @flags at @si_off, of the page at @off: #PF at @fault with PF_EPCM. */
static void emodpe_pf(struct env *v, uint64_t si_off, uint64_t flags, uint64_t off, uint64_t fault)
{
	EXPECT_SGX(emodpe_at(v, si_off, flags, la(v, off)), SGX_PF);
	EXPECT_PF(v->lp, la(v, fault), PF_EPCM);
}

/* After @prep, emodpe_pf(). */
#define EMODPE_PF_TEST(name, prep, si_off, flags, off, fault)                   \
	TEST(name)                                                              \
	{                                                                       \
		SETUP_INSIDE(v);                                                \
		prep;                                                           \
		emodpe_pf(&v, si_off, flags, off, fault);                       \
		fx_free(v.fx);                                                  \
	}

EMODPE_PF_TEST(emodpe_page_not_epc_pf, map(v.e, ALIAS, 0x3000), SI_OFF, SGX_SECINFO_X, ALIAS,
	       ALIAS)
/* Both operands are translated before the SECINFO page's EPCM check. */
EMODPE_PF_TEST(emodpe_page_not_epc_before_secinfo_page_pf, map(v.e, ALIAS, 0x3000), FX_TCS1,
	       SGX_SECINFO_X, ALIAS, ALIAS)

/* SECINFO operand */

TEST(emodpe_secinfo_page_tcs_pf)
{
	SETUP_INSIDE(v);

	emodpe_pf(&v, FX_TCS1, SGX_SECINFO_X, PAGE, FX_TCS1);
	EXPECT_EQ(fx_epcm(v.e, PAGE).perm, RW);
	fx_free(v.fx);
}

EMODPE_PF_TEST(emodpe_secinfo_page_pending_pf,
	       ASSERT_SGX(fx_eaug(v.e, FX_FREE, NULL), SGX_SUCCESS), FX_FREE, SGX_SECINFO_X, PAGE,
	       FX_FREE)

TEST(emodpe_secinfo_reserved_gp)
{
	SETUP_INSIDE(v);
	struct sgx_secinfo *si;

	EXPECT_SGX(emodpe(&v, SGX_SECINFO_X | 0x40, PAGE), SGX_GP);
	EXPECT_SGX(emodpe(&v, SGX_SECINFO_X | (1ull << 17), PAGE), SGX_GP);
	fx_put_secinfo(v.e, SI_OFF, SGX_SECINFO_X);
	si = fx_mem(v.e, SI_OFF);
	si->reserved[7] = 0x80;
	EXPECT_SGX(enclu_emodpe(v.lp, la(&v, SI_OFF), la(&v, PAGE)), SGX_GP);
	EXPECT_EQ(fx_epcm(v.e, PAGE).perm, RW);
	fx_free(v.fx);
}

/* Target page */

/* After @prep, EMODPE(@flags) of @off: #PF there; then the page at @at is still @want. */
#define PAGE_PF_TEST(name, prep, flags, off, at, want)                          \
	TEST(name)                                                              \
	{                                                                       \
		SETUP_INSIDE(v);                                                \
		prep;                                                           \
		emodpe_pf(&v, SI_OFF, flags, off, off);                         \
		EXPECT_EQ(fx_epcm(v.e, at).perm, want);                         \
		fx_free(v.fx);                                                  \
	}

PAGE_PF_TEST(emodpe_page_pending_pf, ASSERT_SGX(fx_eaug(v.e, FX_FREE, NULL), SGX_SUCCESS),
	     SGX_SECINFO_X, FX_FREE, FX_FREE, RW)
PAGE_PF_TEST(emodpe_page_modified_pf, ASSERT_SGX(emodt(v.e, PAGE, SGX_SECINFO_TRIM), SGX_SUCCESS),
	     SGX_SECINFO_R, PAGE, PAGE, 0)
PAGE_PF_TEST(emodpe_page_tcs_pf, (void)0, SGX_SECINFO_R, FX_TCS1, FX_TCS1, 0)
PAGE_PF_TEST(emodpe_page_blocked_pf,
	     ASSERT_SGX(encls_eblock(v.fx->klp, epc_of(v.e, PAGE)), SGX_SUCCESS), SGX_SECINFO_X,
	     PAGE, PAGE, RW)
/* The re-check after the in-use mark adds ENCLAVEADDRESS == RCX. */
PAGE_PF_TEST(emodpe_page_wrong_address_pf, map(v.e, ALIAS, epc_of(v.e, PAGE)), SGX_SECINFO_X,
	     ALIAS, PAGE, RW)

EMODPE_PF_TEST(emodpe_page_invalid_pf, map(v.e, ALIAS, fx_epc_alloc(v.fx)), SI_OFF,
	       SGX_SECINFO_R, ALIAS, ALIAS)
EMODPE_PF_TEST(emodpe_page_secs_pf, map(v.e, ALIAS, v.e->secs), SI_OFF, SGX_SECINFO_R, ALIAS,
	       ALIAS)

TEST(emodpe_page_foreign_pf)
{
	SETUP_INSIDE(v);
	struct fx_enclave *e2 = fx_build_init_at(v.fx, ENCL_B_BASE);

	ASSERT_TRUE(e2);
	map(v.e, ALIAS, epc_of(e2, PAGE));
	emodpe_pf(&v, SI_OFF, SGX_SECINFO_X, ALIAS, ALIAS);
	EXPECT_EQ(fx_epcm(e2, PAGE).perm, RW);
	fx_free(v.fx);
}

/* EPCM R=0, SECINFO R=0 W=1 would leave W without R (SDM18; SDMnew lost the #GP). */
TEST(emodpe_w_without_r_gp)
{
	SETUP_INSIDE(v);

	ASSERT_SGX(emodpr(v.e, PAGE, 0), SGX_SUCCESS);
	EXPECT_SGX(emodpe(&v, SGX_SECINFO_W, PAGE), SGX_GP);
	EXPECT_EQ(sgx_lp_fault(v.lp)->vector, SGX_VEC_GP);
	EXPECT_EQ(fx_epcm(v.e, PAGE).perm, 0);
	ASSERT_SGX(emodpe(&v, RW, PAGE), SGX_SUCCESS);
	EXPECT_EQ(fx_epcm(v.e, PAGE).perm, RW);
	fx_free(v.fx);
}
