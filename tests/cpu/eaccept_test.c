/* SPDX-License-Identifier: MIT */
/*
 * EACCEPT: every check of the SDM pseudo-code in order, the legal SECINFO
 * requests, SGX_PAGE_ATTRIBUTES_MISMATCH, SGX_NOT_TRACKED and the TCS-only
 * checks; the effect (PENDING=MODIFIED=PR=0). The in-use #GP is in
 * edmm_race_test.c, tracking across ETRACK/EEXIT/AEX in
 * edmm_sequence_test.c.
 */
#include "fixture.h"

#define SI_OFF FX_DATA                          /* the SECINFO operand */
#define PAGE (FX_DATA + SGX_PAGE_SIZE)          /* an EADDed RW page */
#define SPARE (FX_DATA + 2 * SGX_PAGE_SIZE)     /* another EADDed RW page */
#define ALIAS (FX_FREE + 8 * SGX_PAGE_SIZE)     /* a page-table slot tests point anywhere */
#define RW (SGX_SECINFO_R | SGX_SECINFO_W)
#define REG_PENDING (SGX_SECINFO_REG | RW | SGX_SECINFO_PENDING)
#define PF_EPCM (SGX_PF_SGX | SGX_PF_U | SGX_PF_P)

struct env {
	struct fx *fx;
	struct fx_enclave *e;
	struct sgx_lp *lp;
};

/* An initialized enclave and an LP, not yet inside. */
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

/* Point the page table entry of @off at EPC address @epc (or anything). */
static void map(struct fx_enclave *e, uint64_t off, uint64_t epc)
{
	e->pa[off / SGX_PAGE_SIZE] = epc;
	e->pt_perm[off / SGX_PAGE_SIZE] = SGX_SECINFO_PERM_MASK;
}

static int accept_at(struct env *v, uint64_t si_off, uint64_t flags, uint64_t la)
{
	fx_put_secinfo(v->e, si_off, flags);
	return enclu_eaccept(v->lp, fx_la(v->e, si_off), la);
}

static int accept(struct env *v, uint64_t flags, uint64_t off)
{
	return accept_at(v, SI_OFF, flags, fx_la(v->e, off));
}

static bool pf_at(struct env *v, uint64_t la, uint32_t code)
{
	const struct sgx_fault_info *f = sgx_lp_fault(v->lp);

	return f->vector == SGX_VEC_PF && f->addr == la && f->error_code == code;
}

static int encls_secinfo(struct env *v, int (*leaf)(struct sgx_lp *, const struct sgx_secinfo *,
						    uint64_t),
			 uint64_t off, uint64_t flags)
{
	struct sgx_secinfo si = { .flags = flags };

	return leaf(v->fx->klp, &si, epc_of(v->e, off));
}

/* EMODT(@type) or EMODPR(@perm) of @off, then ETRACK with nobody inside: accept-ready. */
static bool modify_tracked(struct env *v, uint64_t off, bool emodt, uint64_t flags)
{
	int ret = encls_secinfo(v, emodt ? encls_emodt : encls_emodpr, off, flags);

	return !ret && !encls_etrack(v->fx->klp, v->e->secs);
}

#define SETUP(v)                                      \
	struct env v;                                 \
	ASSERT_TRUE(env_new(&v) && env_enter(&v))

#define SETUP_EAUG(v)                                 \
	SETUP(v);                                     \
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
	EXPECT_EQ(sgx_lp_rflags(v.lp) & (SGX_RFLAGS_ZF | SGX_RFLAGS_CF), 0);
	info = fx_epcm(v.e, FX_FREE);
	EXPECT_TRUE(info.valid && !info.pending && !info.modified && !info.pr && !info.blocked);
	EXPECT_EQ(info.perm, RW);
	EXPECT_EQ(info.type, SGX_PAGE_TYPE_REG);
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
	struct env v;
	struct sgx_epcm_info info;

	ASSERT_TRUE(env_new(&v));
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
	struct env v;
	struct sgx_epcm_info info;

	ASSERT_TRUE(env_new(&v));
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
	struct env v;

	ASSERT_TRUE(env_new(&v));
	ASSERT_SGX(fx_eaug(v.e, FX_FREE, NULL), SGX_SUCCESS);
	EXPECT_SGX(accept(&v, REG_PENDING, FX_FREE), SGX_GP);
	EXPECT_EQ(sgx_lp_fault(v.lp)->vector, SGX_VEC_GP);
	EXPECT_TRUE(still_pending(&v));
	fx_free(v.fx);
}

TEST(eaccept_no_sgx2_gp)
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

/* Not present in the page tables: an ordinary #PF (no SGX bit). */
TEST(eaccept_secinfo_unmapped_pf)
{
	SETUP_EAUG(v);

	EXPECT_SGX(enclu_eaccept(v.lp, fx_la(v.e, ALIAS), fx_la(v.e, FX_FREE)), SGX_PF);
	EXPECT_TRUE(pf_at(&v, fx_la(v.e, ALIAS), SGX_PF_U));
	EXPECT_TRUE(still_pending(&v));
	fx_free(v.fx);
}

TEST(eaccept_secinfo_not_epc_pf)
{
	SETUP_EAUG(v);

	map(v.e, ALIAS, 0x5000);
	EXPECT_SGX(enclu_eaccept(v.lp, fx_la(v.e, ALIAS), fx_la(v.e, FX_FREE)), SGX_PF);
	EXPECT_TRUE(pf_at(&v, fx_la(v.e, ALIAS), PF_EPCM));
	EXPECT_TRUE(still_pending(&v));
	fx_free(v.fx);
}

TEST(eaccept_secinfo_page_pending_pf)
{
	SETUP_EAUG(v);

	ASSERT_SGX(fx_eaug(v.e, FX_FREE + SGX_PAGE_SIZE, NULL), SGX_SUCCESS);
	EXPECT_SGX(accept_at(&v, FX_FREE + SGX_PAGE_SIZE, REG_PENDING, fx_la(v.e, FX_FREE)), SGX_PF);
	EXPECT_TRUE(pf_at(&v, fx_la(v.e, FX_FREE + SGX_PAGE_SIZE), PF_EPCM));
	EXPECT_TRUE(still_pending(&v));
	fx_free(v.fx);
}

TEST(eaccept_secinfo_page_not_readable_pf)
{
	struct env v;

	ASSERT_TRUE(env_new(&v));
	ASSERT_SGX(encls_secinfo(&v, encls_emodpr, SPARE, 0), SGX_SUCCESS);
	ASSERT_TRUE(env_enter(&v));
	ASSERT_SGX(fx_eaug(v.e, FX_FREE, NULL), SGX_SUCCESS);
	EXPECT_SGX(accept_at(&v, SPARE, REG_PENDING, fx_la(v.e, FX_FREE)), SGX_PF);
	EXPECT_TRUE(pf_at(&v, fx_la(v.e, SPARE), PF_EPCM));
	EXPECT_TRUE(still_pending(&v));
	fx_free(v.fx);
}

TEST(eaccept_secinfo_page_modified_pf)
{
	SETUP_EAUG(v);

	ASSERT_SGX(encls_secinfo(&v, encls_emodt, SPARE, SGX_SECINFO_TRIM), SGX_SUCCESS);
	EXPECT_SGX(accept_at(&v, SPARE, REG_PENDING, fx_la(v.e, FX_FREE)), SGX_PF);
	EXPECT_TRUE(pf_at(&v, fx_la(v.e, SPARE), PF_EPCM));
	fx_free(v.fx);
}

TEST(eaccept_secinfo_page_tcs_pf)
{
	SETUP_EAUG(v);

	/* TCS1 is never entered here: its contents may be overwritten. */
	EXPECT_SGX(accept_at(&v, FX_TCS1 + 0x800, REG_PENDING, fx_la(v.e, FX_FREE)), SGX_PF);
	EXPECT_TRUE(pf_at(&v, fx_la(v.e, FX_TCS1 + 0x800), PF_EPCM));
	fx_free(v.fx);
}

TEST(eaccept_secinfo_page_blocked_pf)
{
	SETUP_EAUG(v);

	ASSERT_SGX(encls_eblock(v.fx->klp, epc_of(v.e, SPARE)), SGX_SUCCESS);
	EXPECT_SGX(accept_at(&v, SPARE, REG_PENDING, fx_la(v.e, FX_FREE)), SGX_PF);
	EXPECT_TRUE(pf_at(&v, fx_la(v.e, SPARE), PF_EPCM));
	fx_free(v.fx);
}

/* The SECINFO page's ENCLAVEADDRESS must be the page of RBX (SDM erratum §6). */
TEST(eaccept_secinfo_page_wrong_address_pf)
{
	SETUP_EAUG(v);

	map(v.e, ALIAS, epc_of(v.e, SPARE));
	EXPECT_SGX(accept_at(&v, ALIAS + 0x40, REG_PENDING, fx_la(v.e, FX_FREE)), SGX_PF);
	EXPECT_TRUE(pf_at(&v, fx_la(v.e, ALIAS + 0x40), PF_EPCM));
	EXPECT_TRUE(still_pending(&v));
	fx_free(v.fx);
}

TEST(eaccept_secinfo_page_foreign_pf)
{
	SETUP_EAUG(v);
	struct fx_enclave *e2 = fx_build_init_at(v.fx, FX_ENCL_BASE + FX_ENCL_SIZE);

	ASSERT_TRUE(e2);
	map(v.e, ALIAS, epc_of(e2, SPARE));
	EXPECT_SGX(accept_at(&v, ALIAS, REG_PENDING, fx_la(v.e, FX_FREE)), SGX_PF);
	EXPECT_TRUE(pf_at(&v, fx_la(v.e, ALIAS), PF_EPCM));
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
	SETUP(v);

	EXPECT_SGX(accept_at(&v, SI_OFF, REG_PENDING, v.e->base + v.e->size), SGX_GP);
	EXPECT_SGX(accept_at(&v, SI_OFF, REG_PENDING, v.e->base - SGX_PAGE_SIZE), SGX_GP);
	fx_free(v.fx);
}

/* Not in the page tables: the #PF on which the kernel EAUGs the page. */
TEST(eaccept_page_unmapped_pf)
{
	SETUP(v);

	EXPECT_SGX(accept(&v, REG_PENDING, FX_FREE), SGX_PF);
	EXPECT_TRUE(pf_at(&v, fx_la(v.e, FX_FREE), SGX_PF_U));
	fx_free(v.fx);
}

TEST(eaccept_page_not_epc_pf)
{
	SETUP(v);

	map(v.e, FX_FREE, 0x9000);
	EXPECT_SGX(accept(&v, REG_PENDING, FX_FREE), SGX_PF);
	EXPECT_TRUE(pf_at(&v, fx_la(v.e, FX_FREE), PF_EPCM));
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
	SETUP(v);

	map(v.e, FX_FREE, fx_epc_alloc(v.fx));
	EXPECT_SGX(accept(&v, SGX_SECINFO_REG | RW, FX_FREE), SGX_GP);
	fx_free(v.fx);
}

TEST(eaccept_page_invalid_pf)
{
	SETUP(v);

	map(v.e, FX_FREE, fx_epc_alloc(v.fx));
	EXPECT_SGX(accept(&v, REG_PENDING, FX_FREE), SGX_PF);
	EXPECT_TRUE(pf_at(&v, fx_la(v.e, FX_FREE), PF_EPCM));
	fx_free(v.fx);
}

TEST(eaccept_page_blocked_pf)
{
	SETUP_EAUG(v);

	ASSERT_SGX(encls_eblock(v.fx->klp, epc_of(v.e, FX_FREE)), SGX_SUCCESS);
	EXPECT_SGX(accept(&v, REG_PENDING, FX_FREE), SGX_PF);
	EXPECT_TRUE(pf_at(&v, fx_la(v.e, FX_FREE), PF_EPCM));
	EXPECT_TRUE(fx_epcm(v.e, FX_FREE).pending);
	fx_free(v.fx);
}

TEST(eaccept_page_secs_pf)
{
	SETUP(v);

	map(v.e, FX_FREE, v.e->secs);
	EXPECT_SGX(accept(&v, REG_PENDING, FX_FREE), SGX_PF);
	EXPECT_TRUE(pf_at(&v, fx_la(v.e, FX_FREE), PF_EPCM));
	fx_free(v.fx);
}

TEST(eaccept_page_va_pf)
{
	SETUP(v);
	uint64_t va = fx_epc_alloc(v.fx);

	ASSERT_SGX(encls_epa(v.fx->klp, SGX_PAGE_TYPE_VA, va), SGX_SUCCESS);
	map(v.e, FX_FREE, va);
	EXPECT_SGX(accept(&v, REG_PENDING, FX_FREE), SGX_PF);
	EXPECT_TRUE(pf_at(&v, fx_la(v.e, FX_FREE), PF_EPCM));
	fx_free(v.fx);
}

TEST(eaccept_page_foreign_pf)
{
	SETUP(v);
	struct fx_enclave *e2 = fx_build_init_at(v.fx, FX_ENCL_BASE + FX_ENCL_SIZE);
	uint64_t epc;

	ASSERT_TRUE(e2);
	ASSERT_SGX(fx_eaug(e2, FX_FREE, &epc), SGX_SUCCESS);
	map(v.e, FX_FREE, epc);
	EXPECT_SGX(accept(&v, REG_PENDING, FX_FREE), SGX_PF);
	EXPECT_TRUE(pf_at(&v, fx_la(v.e, FX_FREE), PF_EPCM));
	EXPECT_TRUE(fx_epcm(e2, FX_FREE).pending);
	fx_free(v.fx);
}

/* SGX_PAGE_ATTRIBUTES_MISMATCH */

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

TEST(eaccept_pending_mismatch)
{
	SETUP_EAUG(v);

	EXPECT_SGX(accept(&v, SGX_SECINFO_REG | RW | SGX_SECINFO_PR, FX_FREE),
		   SGX_PAGE_ATTRIBUTES_MISMATCH);
	EXPECT_TRUE(still_pending(&v));
	fx_free(v.fx);
}

TEST(eaccept_type_mismatch)
{
	SETUP_EAUG(v);

	EXPECT_SGX(accept(&v, SGX_SECINFO_TRIM | SGX_SECINFO_MODIFIED, FX_FREE),
		   SGX_PAGE_ATTRIBUTES_MISMATCH);
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
	SETUP(v);
	struct sgx_epcm_info info;

	ASSERT_SGX(encls_secinfo(&v, encls_emodpr, PAGE, SGX_SECINFO_R), SGX_SUCCESS);
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
	SETUP(v);

	ASSERT_SGX(encls_secinfo(&v, encls_emodt, PAGE, SGX_SECINFO_TRIM), SGX_SUCCESS);
	EXPECT_SGX(accept(&v, SGX_SECINFO_TRIM | SGX_SECINFO_MODIFIED, PAGE), SGX_NOT_TRACKED);
	EXPECT_TRUE(fx_epcm(v.e, PAGE).modified);
	fx_free(v.fx);
}

/* The attributes are compared before the tracking state. */
TEST(eaccept_mismatch_before_not_tracked)
{
	SETUP(v);

	ASSERT_SGX(encls_secinfo(&v, encls_emodpr, PAGE, SGX_SECINFO_R), SGX_SUCCESS);
	EXPECT_SGX(accept(&v, SGX_SECINFO_REG | RW | SGX_SECINFO_PR, PAGE),
		   SGX_PAGE_ATTRIBUTES_MISMATCH);
	fx_free(v.fx);
}

/* TCS-only checks (SDMnew: only when SECINFO.PT is TCS) */

static void tcs_reserved(struct sgx_tcs *t) { t->reserved[4000] = 1; }
static void tcs_dbgoptin(struct sgx_tcs *t) { t->flags = SGX_TCS_FLAGS_DBGOPTIN; }
static void tcs_cssa(struct sgx_tcs *t) { t->cssa = t->nssa; }
static void tcs_aep(struct sgx_tcs *t) { t->aep = 0x1234000; }
static void tcs_state(struct sgx_tcs *t) { t->state = 1; }

/* EACCEPT of a TCS whose contents @edit broke: #GP, the page stays MODIFIED. */
#define TCS_EXPECT_GP(edit)                                         \
	do {                                                        \
		struct env v;                                       \
		ASSERT_TRUE(tcs_env(&v, edit));                     \
		EXPECT_SGX(accept_tcs(&v), SGX_GP);                 \
		EXPECT_TRUE(fx_epcm(v.e, PAGE).modified);           \
		fx_free(v.fx);                                      \
	} while (0)

TEST(eaccept_tcs_reserved_gp)
{
	TCS_EXPECT_GP(tcs_reserved);
}

TEST(eaccept_tcs_dbgoptin_gp)
{
	TCS_EXPECT_GP(tcs_dbgoptin);
}

TEST(eaccept_tcs_cssa_not_below_nssa_gp)
{
	TCS_EXPECT_GP(tcs_cssa);
}

TEST(eaccept_tcs_aep_gp)
{
	TCS_EXPECT_GP(tcs_aep);
}

TEST(eaccept_tcs_state_gp)
{
	TCS_EXPECT_GP(tcs_state);
}

/* The TCS contents are checked after the tracking state. */
TEST(eaccept_tcs_not_tracked_before_contents)
{
	struct env v;
	struct sgx_tcs *tcs;

	ASSERT_TRUE(env_new(&v) && env_enter(&v));
	tcs = fx_mem(v.e, PAGE);
	fx_tcs_default(tcs, FX_SSA1);
	tcs->aep = 1;
	ASSERT_SGX(encls_secinfo(&v, encls_emodt, PAGE, SGX_SECINFO_TCS), SGX_SUCCESS);
	EXPECT_SGX(accept_tcs(&v), SGX_NOT_TRACKED);
	fx_free(v.fx);
}
