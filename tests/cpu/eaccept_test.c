/* SPDX-License-Identifier: MIT */
/*
 * EACCEPT: every check of the SDM pseudo-code in order, the legal SECINFO
 * requests, SGX_PAGE_ATTRIBUTES_MISMATCH, SGX_NOT_TRACKED and the TCS-only
 * checks; the effect (PENDING=MODIFIED=PR=0). The in-use #GP is in
 * edmm_race_test.c, tracking across ETRACK/EEXIT/AEX in
 * edmm_sequence_test.c.
 */
#include "common.h"

static int accept_at(struct env *v, uint64_t si_off, uint64_t flags, uint64_t la)
{
	fx_put_secinfo(v->e, si_off, flags);
	return enclu_eaccept(v->lp, fx_la(v->e, si_off), la);
}

static int accept(struct env *v, uint64_t flags, uint64_t off)
{
	return accept_at(v, SI_OFF, flags, fx_la(v->e, off));
}

/* EMODT(@type) or EMODPR(@perm) of @off, then ETRACK with nobody inside: accept-ready. */
static bool modify_tracked(struct env *v, uint64_t off, bool to_type, uint64_t flags)
{
	int ret = to_type ? emodt(v->e, off, flags) : emodpr(v->e, off, flags);

	return !ret && !etrack(v->e);
}

#define SETUP_EAUG(v)                                 \
	SETUP_INSIDE(v);                              \
	ASSERT_SGX(fx_eaug(v.e, FX_FREE, NULL), SGX_SUCCESS)

/* The EAUGed page at FX_FREE is still waiting for its EACCEPT. */
static bool still_pending(struct env *v)
{
	struct sgx_epcm_info i = fx_epcm(v->e, FX_FREE);

	return i.valid && i.pending && i.perm == RW && i.type == SGX_PAGE_TYPE_REG;
}

/* Success paths */

TEST(eaccept_eaug_page_success)
{
	SETUP_EAUG(v);
	struct sgx_epcm_info info;

	/* An EAUGed page carries no tracked change: no ETRACK needed. */
	ASSERT_SGX(accept(&v, REG_PENDING, FX_FREE), SGX_SUCCESS);
	EXPECT_EQ(sgx_lp_rflags(v.lp) & ZF_CF, 0);
	info = fx_epcm(v.e, FX_FREE);
	EXPECT_TRUE(info.valid && !info.pending && !info.modified && !info.pr && !info.blocked);
	EXPECT_EQ(info.perm, RW);
	EXPECT_EQ(info.type, SGX_PAGE_TYPE_REG);
	fx_free(v.fx);
}

/* A SECINFO mid-page: its page's ENCLAVEADDRESS is compared with RBX's page base (erratum). */
TEST(eaccept_secinfo_mid_page_success)
{
	SETUP_EAUG(v);

	ASSERT_SGX(accept_at(&v, SI_OFF + 0x7C0, REG_PENDING, fx_la(v.e, FX_FREE)), SGX_SUCCESS);
	EXPECT_TRUE(!fx_epcm(v.e, FX_FREE).pending);
	fx_free(v.fx);
}

/* PR is not compared: a pending page accepted with PR=1 in the SECINFO. */
TEST(eaccept_pr_not_compared_success)
{
	SETUP_EAUG(v);

	ASSERT_SGX(accept(&v, REG_PENDING | SGX_SECINFO_PR, FX_FREE), SGX_SUCCESS);
	EXPECT_TRUE(!fx_epcm(v.e, FX_FREE).pending);
	fx_free(v.fx);
}

TEST(eaccept_restricted_page_success)
{
	SETUP(v);
	struct sgx_epcm_info info;

	ASSERT_TRUE(modify_tracked(&v, PAGE, false, SGX_SECINFO_R));
	ASSERT_TRUE(env_enter(&v));
	ASSERT_SGX(accept(&v, SGX_SECINFO_REG | SGX_SECINFO_R | SGX_SECINFO_PR, PAGE), SGX_SUCCESS);
	info = fx_epcm(v.e, PAGE);
	EXPECT_TRUE(!info.pr && !info.pending && !info.modified);
	EXPECT_EQ(info.perm, SGX_SECINFO_R);
	fx_free(v.fx);
}

TEST(eaccept_trim_page_success)
{
	SETUP(v);
	struct sgx_epcm_info info;

	memset(fx_mem(v.e, PAGE), 0xEE, SGX_PAGE_SIZE); /* not a TCS: contents never checked */
	ASSERT_TRUE(modify_tracked(&v, PAGE, true, SGX_SECINFO_TRIM));
	ASSERT_TRUE(env_enter(&v));
	ASSERT_SGX(accept(&v, SGX_SECINFO_TRIM | SGX_SECINFO_MODIFIED, PAGE), SGX_SUCCESS);
	info = fx_epcm(v.e, PAGE);
	EXPECT_TRUE(info.valid && !info.modified && !info.pending && !info.pr);
	EXPECT_EQ(info.type, SGX_PAGE_TYPE_TRIM);
	fx_free(v.fx);
}

/* A TCS as EADD leaves it, at PAGE, turned into a TCS by EMODT and tracked. */
static bool tcs_env(struct env *v, void (*edit)(struct sgx_tcs *))
{
	struct sgx_tcs *tcs;

	if (!env_new(v))
		return false;
	tcs = fx_mem(v->e, PAGE);
	fx_tcs_default(tcs, FX_SSA1);
	if (edit)
		edit(tcs);
	return modify_tracked(v, PAGE, true, SGX_SECINFO_TCS) && env_enter(v);
}

static int accept_tcs(struct env *v)
{
	return accept(v, SGX_SECINFO_TCS | SGX_SECINFO_MODIFIED, PAGE);
}

TEST(eaccept_tcs_page_success)
{
	struct env v;
	struct sgx_epcm_info info;

	ASSERT_TRUE(tcs_env(&v, NULL));
	ASSERT_SGX(accept_tcs(&v), SGX_SUCCESS);
	info = fx_epcm(v.e, PAGE);
	EXPECT_TRUE(!info.modified && !info.pending && !info.pr);
	EXPECT_EQ(info.type, SGX_PAGE_TYPE_TCS);
	EXPECT_EQ(info.perm, 0);
	fx_free(v.fx);
}

/* Prologue and SECINFO operand */

TEST(eaccept_outside_enclave_gp)
{
	SETUP(v);

	ASSERT_SGX(fx_eaug(v.e, FX_FREE, NULL), SGX_SUCCESS);
	EXPECT_SGX(accept(&v, REG_PENDING, FX_FREE), SGX_GP);
	EXPECT_EQ(sgx_lp_fault(v.lp)->vector, SGX_VEC_GP);
	EXPECT_TRUE(still_pending(&v));
	fx_free(v.fx);
}

TEST(eaccept_no_sgx2_gp)
{
	struct env v;

	ASSERT_TRUE(env_build(&v, fx_new_sgx1()) && env_enter(&v));
	EXPECT_SGX(accept(&v, SGX_SECINFO_REG | SGX_SECINFO_R | SGX_SECINFO_PR, PAGE), SGX_GP);
	fx_free(v.fx);
}

TEST(eaccept_secinfo_unaligned_gp)
{
	SETUP_EAUG(v);

	fx_put_secinfo(v.e, SI_OFF + 64, REG_PENDING);
	EXPECT_SGX(enclu_eaccept(v.lp, fx_la(v.e, SI_OFF + 64 + 8), fx_la(v.e, FX_FREE)), SGX_GP);
	EXPECT_TRUE(still_pending(&v));
	fx_free(v.fx);
}

TEST(eaccept_secinfo_outside_elrange_gp)
{
	SETUP_EAUG(v);

	EXPECT_SGX(enclu_eaccept(v.lp, v.e->base - 64, fx_la(v.e, FX_FREE)), SGX_GP);
	EXPECT_SGX(enclu_eaccept(v.lp, v.e->base + v.e->size, fx_la(v.e, FX_FREE)), SGX_GP);
	EXPECT_TRUE(still_pending(&v));
	fx_free(v.fx);
}

/*
 * EACCEPT of the pending FX_FREE with the SECINFO operand at @si_off
 * (written there first if @put): #PF at the operand with @code, and the
 * page still pending.
 */
static void secinfo_pf(struct env *v, uint64_t si_off, bool put, uint32_t code)
{
	if (put)
		fx_put_secinfo(v->e, si_off, REG_PENDING);
	EXPECT_SGX(enclu_eaccept(v->lp, fx_la(v->e, si_off), fx_la(v->e, FX_FREE)), SGX_PF);
	EXPECT_PF(v->lp, fx_la(v->e, si_off), code);
	EXPECT_TRUE(still_pending(v));
}

/* After @prep on a machine with FX_FREE EAUGed, secinfo_pf(). */
#define SECINFO_PF_TEST(name, prep, si_off, put, code)                    \
	TEST(name)                                                        \
	{                                                                 \
		SETUP_EAUG(v);                                            \
		prep;                                                     \
		secinfo_pf(&v, si_off, put, code);                        \
		fx_free(v.fx);                                            \
	}

/* Not present in the page tables: an ordinary #PF (no SGX bit). */
SECINFO_PF_TEST(eaccept_secinfo_unmapped_pf, (void)0, ALIAS, false, SGX_PF_U)
SECINFO_PF_TEST(eaccept_secinfo_not_epc_pf, map(v.e, ALIAS, 0x5000), ALIAS, false, PF_EPCM)
SECINFO_PF_TEST(eaccept_secinfo_page_pending_pf,
		ASSERT_SGX(fx_eaug(v.e, FX_FREE + SGX_PAGE_SIZE, NULL), SGX_SUCCESS),
		FX_FREE + SGX_PAGE_SIZE, true, PF_EPCM)
SECINFO_PF_TEST(eaccept_secinfo_page_modified_pf,
		ASSERT_SGX(emodt(v.e, SPARE, SGX_SECINFO_TRIM), SGX_SUCCESS), SPARE, true, PF_EPCM)
/* TCS1 is never entered here: its contents may be overwritten. */
SECINFO_PF_TEST(eaccept_secinfo_page_tcs_pf, (void)0, FX_TCS1 + 0x800, true, PF_EPCM)
SECINFO_PF_TEST(eaccept_secinfo_page_blocked_pf,
		ASSERT_SGX(encls_eblock(v.fx->klp, epc_of(v.e, SPARE)), SGX_SUCCESS), SPARE, true,
		PF_EPCM)
/* The SECINFO page's ENCLAVEADDRESS must be the page of RBX (an SDM erratum). */
SECINFO_PF_TEST(eaccept_secinfo_page_wrong_address_pf, map(v.e, ALIAS, epc_of(v.e, SPARE)),
		ALIAS + 0x40, true, PF_EPCM)

TEST(eaccept_secinfo_page_not_readable_pf)
{
	SETUP(v);

	ASSERT_SGX(emodpr(v.e, SPARE, 0), SGX_SUCCESS);
	ASSERT_TRUE(env_enter(&v));
	ASSERT_SGX(fx_eaug(v.e, FX_FREE, NULL), SGX_SUCCESS);
	secinfo_pf(&v, SPARE, true, PF_EPCM);
	fx_free(v.fx);
}

TEST(eaccept_secinfo_page_foreign_pf)
{
	SETUP_EAUG(v);
	struct fx_enclave *e2 = fx_build_init_at(v.fx, ENCL_B_BASE);

	ASSERT_TRUE(e2);
	map(v.e, ALIAS, epc_of(e2, SPARE));
	secinfo_pf(&v, ALIAS, true, PF_EPCM);
	fx_free(v.fx);
}

TEST(eaccept_secinfo_reserved_flags_gp)
{
	SETUP_EAUG(v);

	EXPECT_SGX(accept(&v, REG_PENDING | 0x40, FX_FREE), SGX_GP);
	EXPECT_SGX(accept(&v, REG_PENDING | (1ull << 32), FX_FREE), SGX_GP);
	EXPECT_TRUE(still_pending(&v));
	fx_free(v.fx);
}

TEST(eaccept_secinfo_reserved_bytes_gp)
{
	SETUP_EAUG(v);
	struct sgx_secinfo *si;

	fx_put_secinfo(v.e, SI_OFF, REG_PENDING);
	si = fx_mem(v.e, SI_OFF);
	si->reserved[20] = 0x1;
	EXPECT_SGX(enclu_eaccept(v.lp, fx_la(v.e, SI_OFF), fx_la(v.e, FX_FREE)), SGX_GP);
	EXPECT_TRUE(still_pending(&v));
	fx_free(v.fx);
}

/* Target operand */

TEST(eaccept_page_unaligned_gp)
{
	SETUP_EAUG(v);

	EXPECT_SGX(accept_at(&v, SI_OFF, REG_PENDING, fx_la(v.e, FX_FREE) + 0x10), SGX_GP);
	EXPECT_TRUE(still_pending(&v));
	fx_free(v.fx);
}

TEST(eaccept_page_outside_elrange_gp)
{
	SETUP_INSIDE(v);

	EXPECT_SGX(accept_at(&v, SI_OFF, REG_PENDING, v.e->base + v.e->size), SGX_GP);
	EXPECT_SGX(accept_at(&v, SI_OFF, REG_PENDING, v.e->base - SGX_PAGE_SIZE), SGX_GP);
	fx_free(v.fx);
}

/* EACCEPT(REG_PENDING) of FX_FREE: #PF there with @code. */
static void page_pf(struct env *v, uint32_t code)
{
	EXPECT_SGX(accept(v, REG_PENDING, FX_FREE), SGX_PF);
	EXPECT_PF(v->lp, fx_la(v->e, FX_FREE), code);
}

/* The page table maps FX_FREE to @epc, which holds no pending page of this enclave. */
#define PAGE_MAPPED_PF_TEST(name, epc)                                    \
	TEST(name)                                                        \
	{                                                                 \
		SETUP_INSIDE(v);                                          \
		map(v.e, FX_FREE, epc);                                   \
		page_pf(&v, PF_EPCM);                                     \
		fx_free(v.fx);                                            \
	}

PAGE_MAPPED_PF_TEST(eaccept_page_not_epc_pf, 0x9000)
PAGE_MAPPED_PF_TEST(eaccept_page_invalid_pf, fx_epc_alloc(v.fx))
PAGE_MAPPED_PF_TEST(eaccept_page_secs_pf, v.e->secs)

/* Not in the page tables: the #PF on which the kernel EAUGs the page. */
TEST(eaccept_page_unmapped_pf)
{
	SETUP_INSIDE(v);

	page_pf(&v, SGX_PF_U);
	fx_free(v.fx);
}

static const uint64_t illegal_requests[] = {
	SGX_SECINFO_REG | RW,                                               /* nothing to accept */
	SGX_SECINFO_REG | RW | SGX_SECINFO_PENDING | SGX_SECINFO_MODIFIED,  /* REG never MODIFIED */
	SGX_SECINFO_REG | RW | SGX_SECINFO_MODIFIED,
	SGX_SECINFO_TRIM,                                                   /* TRIM needs MODIFIED */
	SGX_SECINFO_TRIM | SGX_SECINFO_MODIFIED | SGX_SECINFO_PENDING,
	SGX_SECINFO_TRIM | SGX_SECINFO_MODIFIED | SGX_SECINFO_PR,
	SGX_SECINFO_TCS | SGX_SECINFO_PENDING,
	SGX_SECINFO_TCS | SGX_SECINFO_MODIFIED | SGX_SECINFO_PR,
	SGX_SECINFO_SECS | SGX_SECINFO_MODIFIED,
	SGX_SECINFO_VA | SGX_SECINFO_MODIFIED,
	SGX_SECINFO_PT(5) | SGX_SECINFO_PENDING,
};

TEST(eaccept_illegal_request_gp)
{
	SETUP_EAUG(v);
	size_t i;

	for (i = 0; i < sizeof(illegal_requests) / sizeof(illegal_requests[0]); i++) {
		EXPECT_SGX(accept(&v, illegal_requests[i], FX_FREE), SGX_GP);
		EXPECT_TRUE(still_pending(&v));
	}
	fx_free(v.fx);
}

/* The request is checked before the target's EPCM entry (invalid here). */
TEST(eaccept_illegal_request_before_target_gp)
{
	SETUP_INSIDE(v);

	map(v.e, FX_FREE, fx_epc_alloc(v.fx));
	EXPECT_SGX(accept(&v, SGX_SECINFO_REG | RW, FX_FREE), SGX_GP);
	fx_free(v.fx);
}

TEST(eaccept_page_blocked_pf)
{
	SETUP_EAUG(v);

	ASSERT_SGX(encls_eblock(v.fx->klp, epc_of(v.e, FX_FREE)), SGX_SUCCESS);
	page_pf(&v, PF_EPCM);
	EXPECT_TRUE(fx_epcm(v.e, FX_FREE).pending);
	fx_free(v.fx);
}

TEST(eaccept_page_va_pf)
{
	SETUP_INSIDE(v);
	uint64_t va = fx_epc_alloc(v.fx);

	ASSERT_SGX(encls_epa(v.fx->klp, SGX_PAGE_TYPE_VA, va), SGX_SUCCESS);
	map(v.e, FX_FREE, va);
	page_pf(&v, PF_EPCM);
	fx_free(v.fx);
}

TEST(eaccept_page_foreign_pf)
{
	SETUP_INSIDE(v);
	struct fx_enclave *e2 = fx_build_init_at(v.fx, ENCL_B_BASE);
	uint64_t epc;

	ASSERT_TRUE(e2);
	ASSERT_SGX(fx_eaug(e2, FX_FREE, &epc), SGX_SUCCESS);
	map(v.e, FX_FREE, epc);
	page_pf(&v, PF_EPCM);
	EXPECT_TRUE(fx_epcm(e2, FX_FREE).pending);
	fx_free(v.fx);
}

/* SGX_PAGE_ATTRIBUTES_MISMATCH */

/* EACCEPT of the pending FX_FREE with @flags: a mismatch, the page still pending. */
#define MISMATCH_TEST(name, flags)                                                        \
	TEST(name)                                                                        \
	{                                                                                 \
		SETUP_EAUG(v);                                                            \
		EXPECT_SGX(accept(&v, flags, FX_FREE), SGX_PAGE_ATTRIBUTES_MISMATCH);     \
		EXPECT_TRUE(still_pending(&v));                                           \
		fx_free(v.fx);                                                            \
	}

MISMATCH_TEST(eaccept_pending_mismatch, SGX_SECINFO_REG | RW | SGX_SECINFO_PR)
MISMATCH_TEST(eaccept_type_mismatch, SGX_SECINFO_TRIM | SGX_SECINFO_MODIFIED)

TEST(eaccept_permissions_mismatch)
{
	SETUP_EAUG(v);

	EXPECT_SGX(accept(&v, SGX_SECINFO_REG | SGX_SECINFO_R | SGX_SECINFO_PENDING, FX_FREE),
		   SGX_PAGE_ATTRIBUTES_MISMATCH);
	EXPECT_EQ(sgx_lp_rflags(v.lp) & SGX_RFLAGS_ZF, SGX_RFLAGS_ZF);
	EXPECT_SGX(accept(&v, REG_PENDING | SGX_SECINFO_X, FX_FREE), SGX_PAGE_ATTRIBUTES_MISMATCH);
	EXPECT_TRUE(still_pending(&v));
	fx_free(v.fx);
}

/* The page mapped at RCX was added for another linear address. */
TEST(eaccept_address_mismatch)
{
	SETUP_EAUG(v);

	map(v.e, ALIAS, epc_of(v.e, FX_FREE));
	EXPECT_SGX(accept(&v, REG_PENDING, ALIAS), SGX_PAGE_ATTRIBUTES_MISMATCH);
	EXPECT_TRUE(still_pending(&v));
	fx_free(v.fx);
}

TEST(eaccept_twice_mismatch)
{
	SETUP_EAUG(v);

	ASSERT_SGX(accept(&v, REG_PENDING, FX_FREE), SGX_SUCCESS);
	EXPECT_SGX(accept(&v, REG_PENDING, FX_FREE), SGX_PAGE_ATTRIBUTES_MISMATCH);
	fx_free(v.fx);
}

/* SGX_NOT_TRACKED */

TEST(eaccept_restricted_page_not_tracked)
{
	SETUP_INSIDE(v);
	struct sgx_epcm_info info;

	ASSERT_SGX(emodpr(v.e, PAGE, SGX_SECINFO_R), SGX_SUCCESS);
	EXPECT_SGX(accept(&v, SGX_SECINFO_REG | SGX_SECINFO_R | SGX_SECINFO_PR, PAGE),
		   SGX_NOT_TRACKED);
	EXPECT_EQ(sgx_lp_rflags(v.lp) & SGX_RFLAGS_ZF, SGX_RFLAGS_ZF);
	info = fx_epcm(v.e, PAGE);
	EXPECT_TRUE(info.pr);
	EXPECT_EQ(info.perm, SGX_SECINFO_R);
	fx_free(v.fx);
}

TEST(eaccept_trim_page_not_tracked)
{
	SETUP_INSIDE(v);

	ASSERT_SGX(emodt(v.e, PAGE, SGX_SECINFO_TRIM), SGX_SUCCESS);
	EXPECT_SGX(accept(&v, SGX_SECINFO_TRIM | SGX_SECINFO_MODIFIED, PAGE), SGX_NOT_TRACKED);
	EXPECT_TRUE(fx_epcm(v.e, PAGE).modified);
	fx_free(v.fx);
}

/* The attributes are compared before the tracking state. */
TEST(eaccept_mismatch_before_not_tracked)
{
	SETUP_INSIDE(v);

	ASSERT_SGX(emodpr(v.e, PAGE, SGX_SECINFO_R), SGX_SUCCESS);
	EXPECT_SGX(accept(&v, SGX_SECINFO_REG | RW | SGX_SECINFO_PR, PAGE),
		   SGX_PAGE_ATTRIBUTES_MISMATCH);
	fx_free(v.fx);
}

/* TCS-only checks (SDMnew: only when SECINFO.PT is TCS) */

/*
 * EACCEPT of a TCS whose contents the statement @edit (on struct sgx_tcs *t)
 * broke: #GP, the page stays MODIFIED.
 */
#define TCS_GP_TEST(name, edit)                                           \
	static void name##_edit(struct sgx_tcs *t)                        \
	{                                                                 \
		edit;                                                     \
	}                                                                 \
	TEST(name)                                                        \
	{                                                                 \
		struct env v;                                             \
		ASSERT_TRUE(tcs_env(&v, name##_edit));                    \
		EXPECT_SGX(accept_tcs(&v), SGX_GP);                       \
		EXPECT_TRUE(fx_epcm(v.e, PAGE).modified);                 \
		fx_free(v.fx);                                            \
	}

TCS_GP_TEST(eaccept_tcs_reserved_gp, t->reserved[4000] = 1)
TCS_GP_TEST(eaccept_tcs_dbgoptin_gp, t->flags = SGX_TCS_FLAGS_DBGOPTIN)
TCS_GP_TEST(eaccept_tcs_cssa_not_below_nssa_gp, t->cssa = t->nssa)
TCS_GP_TEST(eaccept_tcs_aep_gp, t->aep = 0x1234000)
TCS_GP_TEST(eaccept_tcs_state_gp, t->state = 1)

/* The TCS contents are checked after the tracking state. */
TEST(eaccept_tcs_not_tracked_before_contents)
{
	SETUP_INSIDE(v);
	struct sgx_tcs *tcs;

	tcs = fx_mem(v.e, PAGE);
	fx_tcs_default(tcs, FX_SSA1);
	tcs->aep = 1;
	ASSERT_SGX(emodt(v.e, PAGE, SGX_SECINFO_TCS), SGX_SUCCESS);
	EXPECT_SGX(accept_tcs(&v), SGX_NOT_TRACKED);
	fx_free(v.fx);
}
