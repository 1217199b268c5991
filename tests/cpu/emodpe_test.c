/* SPDX-License-Identifier: MIT */
/*
 * EMODPE: every check of the SDM pseudo-code in order, and the effect:
 * EPCM RWX |= SECINFO RWX, PR untouched, RAX and RFLAGS untouched. The
 * in-use #GP is in edmm_race_test.c.
 */
#include "fixture.h"

#define SI_OFF FX_DATA
#define PAGE (FX_DATA + SGX_PAGE_SIZE)
#define SPARE (FX_DATA + 2 * SGX_PAGE_SIZE)
#define ALIAS (FX_FREE + 8 * SGX_PAGE_SIZE)
#define RW (SGX_SECINFO_R | SGX_SECINFO_W)
#define PF_EPCM (SGX_PF_SGX | SGX_PF_U | SGX_PF_P)

struct env {
	struct fx *fx;
	struct fx_enclave *e;
	struct sgx_lp *lp;
};

static bool env_new(struct env *v)
{
	v->fx = fx_new(0);
	v->e = fx_build_init(v->fx);
	v->lp = v->e ? fx_lp(v->e) : NULL;
	return v->e != NULL;
}

static bool env_enter(struct env *v)
{
	return fx_enter(v->lp, v->e, FX_TCS0, NULL) == SGX_SUCCESS;
}

static uint64_t epc_of(const struct fx_enclave *e, uint64_t off)
{
	return e->pa[off / SGX_PAGE_SIZE];
}

static void map(struct fx_enclave *e, uint64_t off, uint64_t epc)
{
	e->pa[off / SGX_PAGE_SIZE] = epc;
	e->pt_perm[off / SGX_PAGE_SIZE] = SGX_SECINFO_PERM_MASK;
}

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

static int encls_secinfo(struct env *v, int (*leaf)(struct sgx_lp *, const struct sgx_secinfo *,
						    uint64_t),
			 uint64_t off, uint64_t flags)
{
	struct sgx_secinfo si = { .flags = flags };

	return leaf(v->fx->klp, &si, epc_of(v->e, off));
}

static bool pf_at(struct env *v, uint64_t addr, uint32_t code)
{
	const struct sgx_fault_info *f = sgx_lp_fault(v->lp);

	return f->vector == SGX_VEC_PF && f->addr == addr && f->error_code == code;
}

#define SETUP(v)                                      \
	struct env v;                                 \
	ASSERT_TRUE(env_new(&v) && env_enter(&v))

/* Success paths */

TEST(emodpe_extend_r_to_rwx_success)
{
	SETUP(v);
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
	SETUP(v);

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
	SETUP(v);

	ASSERT_SGX(emodpe(&v, 0, PAGE), SGX_SUCCESS);
	EXPECT_EQ(fx_epcm(v.e, PAGE).perm, RW);
	ASSERT_SGX(emodpe(&v, SGX_SECINFO_R, PAGE), SGX_SUCCESS);
	EXPECT_EQ(fx_epcm(v.e, PAGE).perm, RW);
	fx_free(v.fx);
}

/* PR stays as EMODPR left it. */
TEST(emodpe_restricted_page_pr_kept)
{
	SETUP(v);
	struct sgx_epcm_info info;

	ASSERT_SGX(encls_secinfo(&v, encls_emodpr, PAGE, SGX_SECINFO_R), SGX_SUCCESS);
	ASSERT_SGX(emodpe(&v, SGX_SECINFO_W, PAGE), SGX_SUCCESS);
	info = fx_epcm(v.e, PAGE);
	EXPECT_TRUE(info.pr);
	EXPECT_EQ(info.perm, RW);
	fx_free(v.fx);
}

/* SECINFO PT and state bits are not reserved and are ignored. */
TEST(emodpe_secinfo_type_ignored)
{
	SETUP(v);

	ASSERT_SGX(emodpe(&v, SGX_SECINFO_TCS | SGX_SECINFO_X | SGX_SECINFO_PENDING, PAGE),
		   SGX_SUCCESS);
	EXPECT_EQ(fx_epcm(v.e, PAGE).perm, SGX_SECINFO_PERM_MASK);
	EXPECT_EQ(fx_epcm(v.e, PAGE).type, SGX_PAGE_TYPE_REG);
	EXPECT_TRUE(!fx_epcm(v.e, PAGE).pending);
	fx_free(v.fx);
}

/* Prologue */

TEST(emodpe_outside_enclave_gp)
{
	struct env v;

	ASSERT_TRUE(env_new(&v));
	EXPECT_SGX(emodpe(&v, SGX_SECINFO_X, PAGE), SGX_GP);
	EXPECT_EQ(fx_epcm(v.e, PAGE).perm, RW);
	fx_free(v.fx);
}

TEST(emodpe_no_sgx2_gp)
{
	struct sgx_cpu_config cfg;
	struct env v;

	sgx_cpu_config_default(&cfg);
	cfg.epc_pages = 256;
	cfg.sgx2 = false;
	v.fx = fx_new_config(&cfg);
	v.e = fx_build_init(v.fx);
	ASSERT_TRUE(v.e);
	v.lp = fx_lp(v.e);
	ASSERT_TRUE(env_enter(&v));
	EXPECT_SGX(emodpe(&v, SGX_SECINFO_X, PAGE), SGX_GP);
	EXPECT_EQ(fx_epcm(v.e, PAGE).perm, RW);
	fx_free(v.fx);
}

/* Alignment, ELRANGE, translation */

TEST(emodpe_secinfo_unaligned_gp)
{
	SETUP(v);

	fx_put_secinfo(v.e, SI_OFF + 64, SGX_SECINFO_X);
	EXPECT_SGX(enclu_emodpe(v.lp, la(&v, SI_OFF + 64 + 16), la(&v, PAGE)), SGX_GP);
	EXPECT_EQ(fx_epcm(v.e, PAGE).perm, RW);
	fx_free(v.fx);
}

TEST(emodpe_page_unaligned_gp)
{
	SETUP(v);

	EXPECT_SGX(emodpe_at(&v, SI_OFF, SGX_SECINFO_X, la(&v, PAGE) + 0x200), SGX_GP);
	EXPECT_EQ(fx_epcm(v.e, PAGE).perm, RW);
	fx_free(v.fx);
}

TEST(emodpe_outside_elrange_gp)
{
	SETUP(v);

	fx_put_secinfo(v.e, SI_OFF, SGX_SECINFO_X);
	EXPECT_SGX(enclu_emodpe(v.lp, v.e->base - 64, la(&v, PAGE)), SGX_GP);
	EXPECT_SGX(enclu_emodpe(v.lp, la(&v, SI_OFF), v.e->base + v.e->size), SGX_GP);
	EXPECT_EQ(fx_epcm(v.e, PAGE).perm, RW);
	fx_free(v.fx);
}

TEST(emodpe_secinfo_unmapped_pf)
{
	SETUP(v);

	EXPECT_SGX(enclu_emodpe(v.lp, la(&v, ALIAS), la(&v, PAGE)), SGX_PF);
	EXPECT_TRUE(pf_at(&v, la(&v, ALIAS), SGX_PF_U));
	fx_free(v.fx);
}

TEST(emodpe_secinfo_not_epc_pf)
{
	SETUP(v);

	map(v.e, ALIAS, 0x3000);
	EXPECT_SGX(enclu_emodpe(v.lp, la(&v, ALIAS), la(&v, PAGE)), SGX_PF);
	EXPECT_TRUE(pf_at(&v, la(&v, ALIAS), PF_EPCM));
	fx_free(v.fx);
}

TEST(emodpe_page_not_epc_pf)
{
	SETUP(v);

	map(v.e, ALIAS, 0x3000);
	EXPECT_SGX(emodpe(&v, SGX_SECINFO_X, ALIAS), SGX_PF);
	EXPECT_TRUE(pf_at(&v, la(&v, ALIAS), PF_EPCM));
	fx_free(v.fx);
}

/* Both operands are translated before the SECINFO page's EPCM check. */
TEST(emodpe_page_not_epc_before_secinfo_page_pf)
{
	SETUP(v);

	map(v.e, ALIAS, 0x3000);
	EXPECT_SGX(emodpe_at(&v, FX_TCS1, SGX_SECINFO_X, la(&v, ALIAS)), SGX_PF);
	EXPECT_TRUE(pf_at(&v, la(&v, ALIAS), PF_EPCM));
	fx_free(v.fx);
}

/* SECINFO operand */

TEST(emodpe_secinfo_page_tcs_pf)
{
	SETUP(v);

	EXPECT_SGX(emodpe_at(&v, FX_TCS1, SGX_SECINFO_X, la(&v, PAGE)), SGX_PF);
	EXPECT_TRUE(pf_at(&v, la(&v, FX_TCS1), PF_EPCM));
	EXPECT_EQ(fx_epcm(v.e, PAGE).perm, RW);
	fx_free(v.fx);
}

TEST(emodpe_secinfo_page_pending_pf)
{
	SETUP(v);

	ASSERT_SGX(fx_eaug(v.e, FX_FREE, NULL), SGX_SUCCESS);
	EXPECT_SGX(emodpe_at(&v, FX_FREE, SGX_SECINFO_X, la(&v, PAGE)), SGX_PF);
	EXPECT_TRUE(pf_at(&v, la(&v, FX_FREE), PF_EPCM));
	fx_free(v.fx);
}

TEST(emodpe_secinfo_reserved_gp)
{
	SETUP(v);
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

TEST(emodpe_page_pending_pf)
{
	SETUP(v);

	ASSERT_SGX(fx_eaug(v.e, FX_FREE, NULL), SGX_SUCCESS);
	EXPECT_SGX(emodpe(&v, SGX_SECINFO_X, FX_FREE), SGX_PF);
	EXPECT_TRUE(pf_at(&v, la(&v, FX_FREE), PF_EPCM));
	EXPECT_EQ(fx_epcm(v.e, FX_FREE).perm, RW);
	fx_free(v.fx);
}

TEST(emodpe_page_modified_pf)
{
	SETUP(v);

	ASSERT_SGX(encls_secinfo(&v, encls_emodt, PAGE, SGX_SECINFO_TRIM), SGX_SUCCESS);
	EXPECT_SGX(emodpe(&v, SGX_SECINFO_R, PAGE), SGX_PF);
	EXPECT_TRUE(pf_at(&v, la(&v, PAGE), PF_EPCM));
	EXPECT_EQ(fx_epcm(v.e, PAGE).perm, 0);
	fx_free(v.fx);
}

TEST(emodpe_page_tcs_pf)
{
	SETUP(v);

	EXPECT_SGX(emodpe(&v, SGX_SECINFO_R, FX_TCS1), SGX_PF);
	EXPECT_TRUE(pf_at(&v, la(&v, FX_TCS1), PF_EPCM));
	EXPECT_EQ(fx_epcm(v.e, FX_TCS1).perm, 0);
	fx_free(v.fx);
}

TEST(emodpe_page_invalid_pf)
{
	SETUP(v);

	map(v.e, ALIAS, fx_epc_alloc(v.fx));
	EXPECT_SGX(emodpe(&v, SGX_SECINFO_R, ALIAS), SGX_PF);
	EXPECT_TRUE(pf_at(&v, la(&v, ALIAS), PF_EPCM));
	fx_free(v.fx);
}

TEST(emodpe_page_blocked_pf)
{
	SETUP(v);

	ASSERT_SGX(encls_eblock(v.fx->klp, epc_of(v.e, PAGE)), SGX_SUCCESS);
	EXPECT_SGX(emodpe(&v, SGX_SECINFO_X, PAGE), SGX_PF);
	EXPECT_TRUE(pf_at(&v, la(&v, PAGE), PF_EPCM));
	EXPECT_EQ(fx_epcm(v.e, PAGE).perm, RW);
	fx_free(v.fx);
}

TEST(emodpe_page_secs_pf)
{
	SETUP(v);

	map(v.e, ALIAS, v.e->secs);
	EXPECT_SGX(emodpe(&v, SGX_SECINFO_R, ALIAS), SGX_PF);
	EXPECT_TRUE(pf_at(&v, la(&v, ALIAS), PF_EPCM));
	fx_free(v.fx);
}

TEST(emodpe_page_foreign_pf)
{
	SETUP(v);
	struct fx_enclave *e2 = fx_build_init_at(v.fx, FX_ENCL_BASE + FX_ENCL_SIZE);

	ASSERT_TRUE(e2);
	map(v.e, ALIAS, epc_of(e2, PAGE));
	EXPECT_SGX(emodpe(&v, SGX_SECINFO_X, ALIAS), SGX_PF);
	EXPECT_TRUE(pf_at(&v, la(&v, ALIAS), PF_EPCM));
	EXPECT_EQ(fx_epcm(e2, PAGE).perm, RW);
	fx_free(v.fx);
}

/* The re-check after the in-use mark adds ENCLAVEADDRESS == RCX. */
TEST(emodpe_page_wrong_address_pf)
{
	SETUP(v);

	map(v.e, ALIAS, epc_of(v.e, PAGE));
	EXPECT_SGX(emodpe(&v, SGX_SECINFO_X, ALIAS), SGX_PF);
	EXPECT_TRUE(pf_at(&v, la(&v, ALIAS), PF_EPCM));
	EXPECT_EQ(fx_epcm(v.e, PAGE).perm, RW);
	fx_free(v.fx);
}

/* EPCM R=0, SECINFO R=0 W=1 would leave W without R (SDM18; SDMnew lost the #GP). */
TEST(emodpe_w_without_r_gp)
{
	SETUP(v);

	ASSERT_SGX(encls_secinfo(&v, encls_emodpr, PAGE, 0), SGX_SUCCESS);
	EXPECT_SGX(emodpe(&v, SGX_SECINFO_W, PAGE), SGX_GP);
	EXPECT_EQ(sgx_lp_fault(v.lp)->vector, SGX_VEC_GP);
	EXPECT_EQ(fx_epcm(v.e, PAGE).perm, 0);
	ASSERT_SGX(emodpe(&v, RW, PAGE), SGX_SUCCESS);
	EXPECT_EQ(fx_epcm(v.e, PAGE).perm, RW);
	fx_free(v.fx);
}

/* W alone is fine when the EPCM already has R. */
TEST(emodpe_w_with_epcm_r_success)
{
	SETUP(v);

	ASSERT_SGX(emodpe(&v, SGX_SECINFO_W, FX_RODATA), SGX_SUCCESS);
	EXPECT_EQ(fx_epcm(v.e, FX_RODATA).perm, RW);
	fx_free(v.fx);
}
