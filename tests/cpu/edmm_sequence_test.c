/* SPDX-License-Identifier: MIT */
/*
 * The SGX2 flows as a runtime and the Linux driver use them, end to end
 * through the real leaves: EAUG -> EACCEPT/EACCEPTCOPY; EMODPR -> ETRACK ->
 * every LP that was inside leaves (EEXIT or AEX) -> EACCEPT; EMODT(TCS) ->
 * EACCEPT -> EENTER through the new TCS; EMODT(TRIM) -> EACCEPT ->
 * EREMOVE (REMOVE_PAGES). Each step asserts the EPCM state it leaves.
 */
#include "common.h"

#define SRC SPARE
#define ACCEPT_R_PR (SGX_SECINFO_REG | SGX_SECINFO_R | SGX_SECINFO_PR)
#define ACCEPT_TRIM (SGX_SECINFO_TRIM | SGX_SECINFO_MODIFIED)
#define ACCEPT_TCS (SGX_SECINFO_TCS | SGX_SECINFO_MODIFIED)

struct seq {
	struct fx *fx;
	struct fx_enclave *e;
	struct sgx_lp *a, *b;   /* two LPs: a enters through TCS0, b through TCS1 */
};

static bool seq_new(struct seq *v)
{
	v->fx = fx_new(0);
	v->e = fx_build_init(v->fx);
	if (!v->e)
		return false;
	v->a = fx_lp(v->e);
	v->b = fx_lp(v->e);
	return true;
}

#define SETUP_SEQ(v)                                  \
	struct seq v;                                 \
	ASSERT_TRUE(seq_new(&v))

static int enter(struct seq *v, struct sgx_lp *lp, uint64_t tcs)
{
	return fx_enter(lp, v->e, tcs, NULL);
}

static int accept(struct seq *v, struct sgx_lp *lp, uint64_t flags, uint64_t off)
{
	fx_put_secinfo(v->e, SI_OFF, flags);
	return enclu_eaccept(lp, fx_la(v->e, SI_OFF), fx_la(v->e, off));
}

/* An interrupt while @lp is inside: AEX. */
static int aex(struct sgx_lp *lp)
{
	struct sgx_regs regs = { .rip = FX_ENCL_BASE + FX_CODE };
	struct sgx_exception exc = { .vector = 32 };

	return sgx_aex(lp, &regs, &exc);
}

static bool epcm_is(struct seq *v, uint64_t off, uint8_t type, uint8_t perm)
{
	struct sgx_epcm_info i = fx_epcm(v->e, off);

	return i.valid && i.type == type && i.perm == perm && !i.pending && !i.modified && !i.pr &&
	       !i.blocked;
}

/* EAUG -> EACCEPT -> the page is an ordinary REG RW page. */
TEST(edmm_eaug_eaccept_page_usable)
{
	SETUP_SEQ(v);

	ASSERT_SGX(enter(&v, v.a, FX_TCS0), SGX_SUCCESS);
	ASSERT_SGX(fx_eaug(v.e, FX_FREE, NULL), SGX_SUCCESS);
	EXPECT_TRUE(fx_epcm(v.e, FX_FREE).pending);
	/* Unusable while pending: as a SECINFO page it faults. */
	fx_put_secinfo(v.e, FX_FREE, SGX_SECINFO_X);
	EXPECT_SGX(enclu_emodpe(v.a, fx_la(v.e, FX_FREE), fx_la(v.e, FX_RODATA)), SGX_PF);
	ASSERT_SGX(accept(&v, v.a, REG_PENDING, FX_FREE), SGX_SUCCESS);
	EXPECT_TRUE(epcm_is(&v, FX_FREE, SGX_PAGE_TYPE_REG, RW));
	EXPECT_EQ(fx_epcm(v.e, FX_FREE).linaddr, fx_la(v.e, FX_FREE));
	/* Usable: the same access now succeeds. */
	fx_put_secinfo(v.e, FX_FREE, SGX_SECINFO_X);
	EXPECT_SGX(enclu_emodpe(v.a, fx_la(v.e, FX_FREE), fx_la(v.e, FX_RODATA)), SGX_SUCCESS);
	EXPECT_EQ(fx_epcm(v.e, FX_RODATA).perm, SGX_SECINFO_R | SGX_SECINFO_X);
	fx_free(v.fx);
}

/* EAUG -> EACCEPTCOPY: initialized from another page, permissions from the SECINFO. */
TEST(edmm_eaug_eacceptcopy_page_usable)
{
	SETUP_SEQ(v);

	ASSERT_SGX(enter(&v, v.a, FX_TCS0), SGX_SUCCESS);
	ASSERT_SGX(fx_eaug(v.e, FX_FREE, NULL), SGX_SUCCESS);
	fx_put_secinfo(v.e, SI_OFF, SGX_SECINFO_REG | SGX_SECINFO_R | SGX_SECINFO_X);
	ASSERT_SGX(enclu_eacceptcopy(v.a, fx_la(v.e, SI_OFF), fx_la(v.e, FX_FREE), fx_la(v.e, SRC)),
		   SGX_SUCCESS);
	EXPECT_TRUE(epcm_is(&v, FX_FREE, SGX_PAGE_TYPE_REG, SGX_SECINFO_R | SGX_SECINFO_X));
	EXPECT_TRUE(!memcmp(fx_mem(v.e, FX_FREE), fx_mem(v.e, SRC), SGX_PAGE_SIZE));
	fx_free(v.fx);
}

/*
 * EMODPR(R) -> EACCEPT is SGX_NOT_TRACKED until ETRACK and until every LP
 * that was inside at ETRACK time has left: B (the accepting LP) by EEXIT
 * and re-entry, A (which stays inside across the ETRACK) finally by AEX
 * (@by_aex) or EEXIT.
 */
static void tracked_after_a_leaves(bool by_aex)
{
	SETUP_SEQ(v);

	ASSERT_SGX(enter(&v, v.a, FX_TCS0), SGX_SUCCESS);
	ASSERT_SGX(enter(&v, v.b, FX_TCS1), SGX_SUCCESS);
	ASSERT_SGX(emodpr(v.e, PAGE, SGX_SECINFO_R), SGX_SUCCESS);
	EXPECT_SGX(accept(&v, v.b, ACCEPT_R_PR, PAGE), SGX_NOT_TRACKED);      /* no ETRACK */
	ASSERT_SGX(etrack(v.e), SGX_SUCCESS);
	EXPECT_SGX(accept(&v, v.b, ACCEPT_R_PR, PAGE), SGX_NOT_TRACKED);      /* A and B inside */
	fx_exit(v.b);
	ASSERT_SGX(enter(&v, v.b, FX_TCS1), SGX_SUCCESS);
	EXPECT_SGX(accept(&v, v.b, ACCEPT_R_PR, PAGE), SGX_NOT_TRACKED);      /* A still inside */
	EXPECT_TRUE(fx_epcm(v.e, PAGE).pr);
	if (by_aex)
		ASSERT_SGX(aex(v.a), SGX_SUCCESS);
	else
		fx_exit(v.a);
	ASSERT_TRUE(!sgx_lp_in_enclave(v.a));
	EXPECT_SGX(accept(&v, v.b, ACCEPT_R_PR, PAGE), SGX_SUCCESS);
	EXPECT_TRUE(epcm_is(&v, PAGE, SGX_PAGE_TYPE_REG, SGX_SECINFO_R));
	fx_free(v.fx);
}

TEST(edmm_emodpr_eaccept_tracked_after_aex)
{
	tracked_after_a_leaves(true);
}

TEST(edmm_emodpr_eaccept_tracked_after_eexit)
{
	tracked_after_a_leaves(false);
}

/* An ETRACK before the change does not track it; the accepting LP must re-enter. */
TEST(edmm_etrack_before_emodpr_not_tracked)
{
	SETUP_SEQ(v);

	ASSERT_SGX(etrack(v.e), SGX_SUCCESS);
	ASSERT_SGX(emodpr(v.e, PAGE, 0), SGX_SUCCESS);
	ASSERT_SGX(enter(&v, v.b, FX_TCS1), SGX_SUCCESS);
	EXPECT_SGX(accept(&v, v.b, SGX_SECINFO_REG | SGX_SECINFO_PR, PAGE), SGX_NOT_TRACKED);
	ASSERT_SGX(etrack(v.e), SGX_SUCCESS);
	EXPECT_SGX(accept(&v, v.b, SGX_SECINFO_REG | SGX_SECINFO_PR, PAGE), SGX_NOT_TRACKED);
	fx_exit(v.b);
	ASSERT_SGX(enter(&v, v.b, FX_TCS1), SGX_SUCCESS);
	EXPECT_SGX(accept(&v, v.b, SGX_SECINFO_REG | SGX_SECINFO_PR, PAGE), SGX_SUCCESS);
	EXPECT_TRUE(epcm_is(&v, PAGE, SGX_PAGE_TYPE_REG, 0));
	fx_free(v.fx);
}

/* An LP that enters after the ETRACK never blocks the EACCEPT. */
TEST(edmm_emodpr_lp_entering_after_etrack_accepts)
{
	SETUP_SEQ(v);

	ASSERT_SGX(emodpr(v.e, PAGE, SGX_SECINFO_R), SGX_SUCCESS);
	ASSERT_SGX(etrack(v.e), SGX_SUCCESS);
	ASSERT_SGX(enter(&v, v.a, FX_TCS0), SGX_SUCCESS);
	EXPECT_SGX(accept(&v, v.a, ACCEPT_R_PR, PAGE), SGX_SUCCESS);
	fx_free(v.fx);
}

/* EMODT(TCS) of a page holding a valid TCS -> EACCEPT(TCS|MODIFIED) -> EENTER through it. */
TEST(edmm_emodt_tcs_eaccept_then_enter)
{
	SETUP_SEQ(v);
	struct sgx_tcs *tcs;

	tcs = fx_mem(v.e, PAGE);
	fx_tcs_default(tcs, FX_SSA1);  /* TCS1 is never used here: its SSA frames are free */
	ASSERT_SGX(emodt(v.e, PAGE, SGX_SECINFO_TCS), SGX_SUCCESS);
	EXPECT_SGX(enter(&v, v.b, PAGE), SGX_PF);       /* MODIFIED: not enterable yet */
	ASSERT_SGX(etrack(v.e), SGX_SUCCESS);
	ASSERT_SGX(enter(&v, v.a, FX_TCS0), SGX_SUCCESS);
	ASSERT_SGX(accept(&v, v.a, ACCEPT_TCS, PAGE), SGX_SUCCESS);
	EXPECT_TRUE(epcm_is(&v, PAGE, SGX_PAGE_TYPE_TCS, 0));
	EXPECT_SGX(enter(&v, v.b, PAGE), SGX_SUCCESS);
	EXPECT_EQ(sgx_lp_tcs(v.b), fx_la(v.e, PAGE));
	fx_free(v.fx);
}

/* A runtime's dynamic thread: EAUG -> EACCEPT -> write the TCS -> EMODT(TCS) -> EACCEPT. */
TEST(edmm_eaug_page_becomes_tcs)
{
	SETUP_SEQ(v);

	ASSERT_SGX(enter(&v, v.a, FX_TCS0), SGX_SUCCESS);
	ASSERT_SGX(fx_eaug(v.e, FX_FREE, NULL), SGX_SUCCESS);
	ASSERT_SGX(accept(&v, v.a, REG_PENDING, FX_FREE), SGX_SUCCESS);
	fx_tcs_default(fx_mem(v.e, FX_FREE), FX_SSA1);
	ASSERT_SGX(emodt(v.e, FX_FREE, SGX_SECINFO_TCS), SGX_SUCCESS);
	ASSERT_SGX(etrack(v.e), SGX_SUCCESS);
	fx_exit(v.a);
	ASSERT_SGX(enter(&v, v.a, FX_TCS0), SGX_SUCCESS);
	ASSERT_SGX(accept(&v, v.a, ACCEPT_TCS, FX_FREE), SGX_SUCCESS);
	EXPECT_TRUE(epcm_is(&v, FX_FREE, SGX_PAGE_TYPE_TCS, 0));
	EXPECT_SGX(enter(&v, v.b, FX_FREE), SGX_SUCCESS);
	fx_free(v.fx);
}

/*
 * REMOVE_PAGES: EMODT(TRIM) -> (EREMOVE refused while an LP is inside) ->
 * ETRACK -> EACCEPT(TRIM|MODIFIED) -> EMODPR probe #PF -> EREMOVE.
 */
TEST(edmm_emodt_trim_eaccept_eremove)
{
	SETUP_SEQ(v);
	uint64_t epc = epc_of(v.e, PAGE);

	ASSERT_SGX(enter(&v, v.a, FX_TCS0), SGX_SUCCESS);
	ASSERT_SGX(emodt(v.e, PAGE, SGX_SECINFO_TRIM), SGX_SUCCESS);
	EXPECT_SGX(encls_eremove(v.fx->klp, epc), SGX_ENCLAVE_ACT);
	EXPECT_TRUE(fx_epcm(v.e, PAGE).valid && fx_epcm(v.e, PAGE).modified);
	/* Linux's probe: not accepted yet. */
	EXPECT_SGX(emodpr(v.e, PAGE, SGX_SECINFO_R), SGX_PAGE_NOT_MODIFIABLE);
	ASSERT_SGX(etrack(v.e), SGX_SUCCESS);
	fx_exit(v.a);
	ASSERT_SGX(enter(&v, v.a, FX_TCS0), SGX_SUCCESS);
	ASSERT_SGX(accept(&v, v.a, ACCEPT_TRIM, PAGE), SGX_SUCCESS);
	EXPECT_TRUE(epcm_is(&v, PAGE, SGX_PAGE_TYPE_TRIM, 0));
	/* Linux's probe: accepted. */
	EXPECT_SGX(emodpr(v.e, PAGE, SGX_SECINFO_R), SGX_PF);
	/* An accepted TRIM page goes even with an LP inside. */
	ASSERT_TRUE(sgx_lp_in_enclave(v.a));
	EXPECT_SGX(encls_eremove(v.fx->klp, epc), SGX_SUCCESS);
	EXPECT_TRUE(!fx_epcm(v.e, PAGE).valid);
	fx_free(v.fx);
}

/* An unaccepted TRIM page is removable once no LP is inside. */
TEST(edmm_unaccepted_trim_eremove_when_nobody_inside)
{
	SETUP_SEQ(v);

	ASSERT_SGX(enter(&v, v.a, FX_TCS0), SGX_SUCCESS);
	ASSERT_SGX(emodt(v.e, PAGE, SGX_SECINFO_TRIM), SGX_SUCCESS);
	EXPECT_SGX(encls_eremove(v.fx->klp, epc_of(v.e, PAGE)), SGX_ENCLAVE_ACT);
	fx_exit(v.a);
	EXPECT_SGX(encls_eremove(v.fx->klp, epc_of(v.e, PAGE)), SGX_SUCCESS);
	EXPECT_TRUE(!fx_epcm(v.e, PAGE).valid);
	fx_free(v.fx);
}

/* A TCS can be trimmed too (REG/TCS -> TRIM). */
TEST(edmm_emodt_tcs_to_trim_eaccept_eremove)
{
	SETUP_SEQ(v);

	ASSERT_SGX(emodt(v.e, FX_TCS1, SGX_SECINFO_TRIM), SGX_SUCCESS);
	ASSERT_SGX(etrack(v.e), SGX_SUCCESS);
	ASSERT_SGX(enter(&v, v.a, FX_TCS0), SGX_SUCCESS);
	ASSERT_SGX(accept(&v, v.a, ACCEPT_TRIM, FX_TCS1), SGX_SUCCESS);
	EXPECT_SGX(enter(&v, v.b, FX_TCS1), SGX_PF);
	EXPECT_SGX(encls_eremove(v.fx->klp, epc_of(v.e, FX_TCS1)), SGX_SUCCESS);
	fx_free(v.fx);
}
