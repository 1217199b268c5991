/* SPDX-License-Identifier: MIT */
/*
 * EENTER and EEXIT: the state inside and outside, and every EENTER check of
 * the SDM pseudo-code (SDMnew order), each provoked on its own.
 */
#include "common.h"

#define PF_PT_W (SGX_PF_U | SGX_PF_W) /* not present, write */

/* EENTER with RBX = @rbx (RCX = FX_AEP, RIP = FX_ENCLU_RIP). */
static int eenter_at(struct sgx_lp *lp, uint64_t rbx)
{
	struct sgx_regs regs = { .rbx = rbx, .rcx = FX_AEP, .rip = FX_ENCLU_RIP };

	return enclu_eenter(lp, &regs);
}

/* EENTER through the TCS at @tcs_off: #PF at @fault_off with @pfec, the LP still outside. */
static void eenter_pf(struct sgx_lp *lp, struct fx_enclave *e, uint64_t tcs_off, uint64_t fault_off,
		      uint32_t pfec)
{
	EXPECT_SGX(eenter_at(lp, fx_la(e, tcs_off)), SGX_PF);
	EXPECT_PF(lp, fx_la(e, fault_off), pfec);
	EXPECT_TRUE(!sgx_lp_in_enclave(lp));
}

/*
 * On an enclave built by build_custom() with @secs (NULL: default) and a
 * TCS0 from fx_tcs_default(@ossa) that the statement @edit (on struct
 * sgx_tcs *tcs) changed, the statement @check runs with @lp outside.
 */
#define CRAFTED(secs, ossa, edit, check)                                  \
	do {                                                              \
		struct fx *fx = fx_new(0);                                \
		struct sgx_tcs tcs_, *tcs = &tcs_;                        \
		struct fx_enclave *e;                                     \
		fx_tcs_default(tcs, ossa);                                \
		edit;                                                     \
		e = build_custom(fx, secs, tcs);                          \
		if (e) {                                                  \
			struct sgx_lp *lp = fx_lp(e);                     \
			check;                                            \
		}                                                         \
		fx_free(fx);                                              \
	} while (0)

/* EENTER through a TCS0 that @edit changed (on a default SECS) gives @want. */
#define EENTER_CRAFTED_TEST(name, edit, want)                                     \
	TEST(name)                                                                \
	{                                                                         \
		CRAFTED(NULL, FX_SSA0, edit, {                                    \
			EXPECT_SGX(eenter_at(lp, fx_la(e, FX_TCS0)), want);       \
			EXPECT_TRUE(!sgx_lp_in_enclave(lp));                      \
			EXPECT_EQ(tcs_mem(e, FX_TCS0)->aep, 0);                   \
		});                                                               \
	}

/* Registers that EENTER passes through, all distinct. */
static void regs_pattern(struct sgx_regs *r, uint64_t seed)
{
	r->rax = seed + 0x100;
	r->rdx = seed + 0x300;
	r->rsi = seed + 0x600;
	r->rdi = seed + 0x700;
	r->r8 = seed + 0x800;
	r->r9 = seed + 0x900;
	r->r10 = seed + 0xA00;
	r->r11 = seed + 0xB00;
	r->r12 = seed + 0xC00;
	r->r13 = seed + 0xD00;
	r->r14 = seed + 0xE00;
	r->r15 = seed + 0xF00;
	r->rflags = 0x202;
	r->fsbase = seed + 0xF5;
	r->gsbase = seed + 0x65;
}

static void expect_inside(struct fx_enclave *e, struct sgx_lp *lp, uint64_t tcs, uint64_t ssa,
			  const struct sgx_regs *r, uint64_t seed)
{
	EXPECT_TRUE(sgx_lp_in_enclave(lp));
	EXPECT_EQ(sgx_lp_tcs(lp), fx_la(e, tcs));
	EXPECT_EQ(r->rax, 0);                         /* CSSA */
	EXPECT_EQ(r->rbx, fx_la(e, tcs));
	EXPECT_EQ(r->rcx, FX_ENCLU_RIP + 3);          /* address after ENCLU */
	EXPECT_EQ(r->rip, fx_la(e, FX_CODE));         /* BASE + OENTRY */
	EXPECT_EQ(r->rsp, FX_URSP);
	EXPECT_EQ(r->rbp, FX_URBP);
	EXPECT_EQ(r->rdx, seed + 0x300);
	EXPECT_EQ(r->rsi, seed + 0x600);
	EXPECT_EQ(r->rdi, seed + 0x700);
	EXPECT_EQ(r->r8, seed + 0x800);
	EXPECT_EQ(r->r11, seed + 0xB00);
	EXPECT_EQ(r->r15, seed + 0xF00);
	EXPECT_EQ(r->rflags, 0x202);
	EXPECT_EQ(r->fsbase, fx_la(e, FX_DATA));      /* BASE + OFSBASE */
	EXPECT_EQ(r->gsbase, fx_la(e, FX_DATA + SGX_PAGE_SIZE));
	EXPECT_EQ(tcs_mem(e, tcs)->aep, FX_AEP);
	EXPECT_EQ(tcs_mem(e, tcs)->cssa, 0);
	EXPECT_EQ(gprsgx(e, ssa, 0)->ursp, FX_URSP);
	EXPECT_EQ(gprsgx(e, ssa, 0)->urbp, FX_URBP);
}

TEST(eenter_crafted_default_tcs_success)
{
	/* Control for EENTER_CRAFTED_TEST: the unedited TCS enters. */
	CRAFTED(NULL, FX_SSA0, (void)0, {
		EXPECT_SGX(eenter_at(lp, fx_la(e, FX_TCS0)), SGX_SUCCESS);
		EXPECT_TRUE(sgx_lp_in_enclave(lp));
		fx_exit(lp);
	});
}

TEST(eenter_both_tcs_success_regs_pass_through)
{
	SETUP_FX(fx, e);
	struct sgx_regs r0 = { 0 }, r1 = { 0 };
	struct sgx_lp *lp0 = fx_lp(e), *lp1 = fx_lp(e);

	regs_pattern(&r0, 0x1000000);
	regs_pattern(&r1, 0x2000000);
	ASSERT_SGX(fx_enter(lp0, e, FX_TCS0, &r0), SGX_SUCCESS);
	ASSERT_SGX(fx_enter(lp1, e, FX_TCS1, &r1), SGX_SUCCESS);
	expect_inside(e, lp0, FX_TCS0, FX_SSA0, &r0, 0x1000000);
	expect_inside(e, lp1, FX_TCS1, FX_SSA1, &r1, 0x2000000);
	fx_exit(lp0);
	fx_exit(lp1);
	EXPECT_TRUE(!sgx_lp_in_enclave(lp0));
	EXPECT_TRUE(!sgx_lp_in_enclave(lp1));
	fx_free(fx);
}

TEST(eenter_in_enclave_mode_gp)
{
	SETUP_FX_LP(fx, e, lp);

	ASSERT_SGX(fx_enter(lp, e, FX_TCS0, NULL), SGX_SUCCESS);
	EXPECT_SGX(fx_enter(lp, e, FX_TCS1, NULL), SGX_GP);
	EXPECT_EQ(sgx_lp_fault(lp)->vector, SGX_VEC_GP);
	EXPECT_EQ(sgx_lp_tcs(lp), fx_la(e, FX_TCS0));
	EXPECT_EQ(tcs_mem(e, FX_TCS1)->aep, 0);
	fx_exit(lp);
	fx_free(fx);
}

TEST(eenter_tcs_busy_gp)
{
	SETUP_FX(fx, e);
	struct sgx_regs r = { 0 };
	struct sgx_lp *lp0 = fx_lp(e), *lp1 = fx_lp(e);

	ASSERT_SGX(fx_enter(lp0, e, FX_TCS0, NULL), SGX_SUCCESS);
	r.rdx = 77;
	EXPECT_SGX(fx_enter(lp1, e, FX_TCS0, &r), SGX_GP);
	EXPECT_TRUE(!sgx_lp_in_enclave(lp1));
	EXPECT_EQ(r.rdx, 77);
	EXPECT_EQ(r.rcx, FX_AEP); /* a fault leaves the registers alone */
	fx_exit(lp0);
	/* Once the first thread left, the TCS is free again. */
	EXPECT_SGX(fx_enter(lp1, e, FX_TCS0, NULL), SGX_SUCCESS);
	fx_exit(lp1);
	fx_free(fx);
}

TEST(eenter_rbx_unaligned_gp)
{
	SETUP_FX_LP(fx, e, lp);

	EXPECT_SGX(eenter_at(lp, fx_la(e, FX_TCS0) + 0x40), SGX_GP);
	EXPECT_TRUE(!sgx_lp_in_enclave(lp));
	fx_free(fx);
}

TEST(eenter_aep_noncanonical_gp)
{
	SETUP_FX_LP(fx, e, lp);
	struct sgx_regs r = { .rbx = fx_la(e, FX_TCS0), .rcx = NONCANONICAL };

	EXPECT_SGX(enclu_eenter(lp, &r), SGX_GP);
	EXPECT_TRUE(!sgx_lp_in_enclave(lp));
	EXPECT_EQ(tcs_mem(e, FX_TCS0)->aep, 0);
	fx_free(fx);
}

/* After @prep, EENTER through the TCS at @off: #PF there with @pfec (eenter_pf()). */
#define TCS_PF_TEST(name, prep, off, pfec)                                \
	TEST(name)                                                        \
	{                                                                 \
		SETUP_FX_LP(fx, e, lp);                                               \
		prep;                                                     \
		eenter_pf(lp, e, off, off, pfec);                         \
		fx_free(fx);                                              \
	}

TCS_PF_TEST(eenter_tcs_unmapped_pf, (void)0, FX_FREE, PF_PT_W)
/* The page table maps the address to ordinary memory. */
TCS_PF_TEST(eenter_tcs_not_epc_pf, map(e, FX_FREE, 0x1000), FX_FREE, PF_EPCM_W)
TCS_PF_TEST(eenter_tcs_not_tcs_pf, (void)0, FX_DATA, PF_EPCM_W)
/* A second mapping of TCS0: EPCM.ENCLAVEADDRESS != RBX. */
TCS_PF_TEST(eenter_tcs_wrong_address_pf, map(e, FX_FREE, epc_of(e, FX_TCS0)), FX_FREE, PF_EPCM_W)
TCS_PF_TEST(eenter_tcs_invalid_pf,
	    ASSERT_SGX(encls_eremove(fx->klp, epc_of(e, FX_TCS1)), SGX_SUCCESS), FX_TCS1,
	    PF_EPCM_W)
TCS_PF_TEST(eenter_tcs_blocked_pf,
	    ASSERT_SGX(encls_eblock(fx->klp, epc_of(e, FX_TCS1)), SGX_SUCCESS);
	    EXPECT_TRUE(fx_epcm(e, FX_TCS1).blocked), FX_TCS1, PF_EPCM_W)
/* EMODT to TCS: a TCS page that is MODIFIED until the enclave accepts it. */
TCS_PF_TEST(eenter_tcs_modified_pf,
	    ASSERT_SGX(emodt(e, SPARE, SGX_SECINFO_TCS), SGX_SUCCESS);
	    EXPECT_EQ(fx_epcm(e, SPARE).type, SGX_PAGE_TYPE_TCS);
	    EXPECT_TRUE(fx_epcm(e, SPARE).modified), SPARE, PF_EPCM_W)

EENTER_CRAFTED_TEST(eenter_ossa_unaligned_gp, tcs->ossa = FX_SSA0 + 0x800, SGX_GP)
EENTER_CRAFTED_TEST(eenter_ofsbase_unaligned_gp, tcs->ofsbase = FX_DATA + 0x10, SGX_GP)
EENTER_CRAFTED_TEST(eenter_ogsbase_unaligned_gp, tcs->ogsbase = FX_DATA + 0x10, SGX_GP)

TEST(eenter_tcs_flags_reserved_gp)
{
	SETUP_FX_LP(fx, e, lp);

	/* TCS.FLAGS bit 2 (reserved; bit 1 is AEXNOTIFY: aexnotify_test), behind the processor's back. */
	tcs_mem(e, FX_TCS0)->flags = 0x4;
	EXPECT_SGX(eenter_at(lp, fx_la(e, FX_TCS0)), SGX_GP);
	/* DBGOPTIN alone is fine. */
	tcs_mem(e, FX_TCS0)->flags = SGX_TCS_FLAGS_DBGOPTIN;
	EXPECT_SGX(eenter_at(lp, fx_la(e, FX_TCS0)), SGX_SUCCESS);
	fx_exit(lp);
	fx_free(fx);
}

TEST(eenter_not_initialized_gp)
{
	struct fx *fx = fx_new(0);
	struct fx_enclave *e = fx_build(fx);
	struct sgx_lp *lp;

	ASSERT_TRUE(e);
	lp = fx_lp(e);
	EXPECT_SGX(eenter_at(lp, fx_la(e, FX_TCS0)), SGX_GP);
	EXPECT_TRUE(!sgx_lp_in_enclave(lp));
	EXPECT_SGX(fx_einit(e), SGX_SUCCESS);
	EXPECT_SGX(eenter_at(lp, fx_la(e, FX_TCS0)), SGX_SUCCESS);
	fx_exit(lp);
	fx_free(fx);
}

TEST(eenter_mode32_enclave_gp)
{
	struct sgx_secs secs;

	fx_secs_default(&secs, FX_ENCL_BASE, FX_ENCL_SIZE);
	secs.attributes.flags &= ~SGX_ATTR_MODE64BIT;
	/* CPU mode (64-bit) != SECS.ATTRIBUTES.MODE64BIT */
	CRAFTED(&secs, FX_SSA0, (void)0, {
		EXPECT_SGX(eenter_at(lp, fx_la(e, FX_TCS0)), SGX_GP);
		EXPECT_TRUE(!sgx_lp_in_enclave(lp));
	});
}

EENTER_CRAFTED_TEST(eenter_cssa_ge_nssa_gp, tcs->nssa = 0, SGX_GP)

/* EENTER through a TCS0 whose OSSA is @ossa (EAUGed first if @eaug): #PF there with @pfec. */
#define EENTER_SSA_PF_TEST(name, ossa, eaug, pfec)                                     \
	TEST(name)                                                                     \
	{                                                                              \
		CRAFTED(NULL, ossa, (void)0, {                                         \
			if (eaug)                                                      \
				EXPECT_SGX(fx_eaug(e, ossa, NULL), SGX_SUCCESS);       \
			eenter_pf(lp, e, FX_TCS0, ossa, pfec);                         \
		});                                                                    \
	}

EENTER_SSA_PF_TEST(eenter_ssa_unmapped_pf, FX_FREE, false, PF_PT_W)
EENTER_SSA_PF_TEST(eenter_ssa_readonly_pf, FX_RODATA, false, PF_EPCM_W)
EENTER_SSA_PF_TEST(eenter_ssa_not_reg_pf, FX_TCS0, false, PF_EPCM_W)
EENTER_SSA_PF_TEST(eenter_ssa_pending_pf, FX_FREE, true, PF_EPCM_W)

TEST(eenter_ssa_pt_readonly_pf)
{
	SETUP_FX_LP(fx, e, lp);

	e->pt_perm[FX_SSA0 / SGX_PAGE_SIZE] = SGX_SECINFO_R;
	eenter_pf(lp, e, FX_TCS0, FX_SSA0, SGX_PF_P | PF_PT_W);
	fx_free(fx);
}

TEST(eenter_gprsgx_page_readonly_pf)
{
	struct sgx_secs secs;

	/* Two-page frames: the XSAVE page is the last data page, GPRSGX's the read-only one. */
	fx_secs_default(&secs, FX_ENCL_BASE, FX_ENCL_SIZE);
	secs.ssa_frame_size = 2;
	CRAFTED(&secs, FX_RODATA - SGX_PAGE_SIZE, (void)0,
		eenter_pf(lp, e, FX_TCS0, FX_RODATA + GPRSGX_OFFSET, PF_EPCM_W));
}

TEST(eenter_ssa_other_enclave_pf)
{
	struct fx *fx = fx_new(0);
	/* Two enclaves at the same ELRANGE, as in two processes. */
	struct fx_enclave *a = fx_build_init(fx), *b = fx_build_init(fx);
	struct sgx_lp *lp;

	ASSERT_TRUE(a && b);
	lp = fx_lp(a);
	/* A's page table maps B's SSA page, same linear address: only the owner differs. */
	a->pa[FX_SSA0 / SGX_PAGE_SIZE] = b->pa[FX_SSA0 / SGX_PAGE_SIZE];
	eenter_pf(lp, a, FX_TCS0, FX_SSA0, PF_EPCM_W);
	fx_free(fx);
}

EENTER_CRAFTED_TEST(eenter_oentry_noncanonical_gp, tcs->oentry = NONCANONICAL - FX_ENCL_BASE,
		    SGX_GP)
EENTER_CRAFTED_TEST(eenter_fsbase_noncanonical_gp, tcs->ofsbase = NONCANONICAL - FX_ENCL_BASE,
		    SGX_GP)
EENTER_CRAFTED_TEST(eenter_gsbase_noncanonical_gp, tcs->ogsbase = NONCANONICAL - FX_ENCL_BASE,
		    SGX_GP)

/* The FS/GS bases are checked after the SSA frame (SDMnew; SDM18 checked them before). */
TEST(eenter_ssa_pf_before_fsbase_gp)
{
	CRAFTED(NULL, FX_FREE, tcs->ofsbase = NONCANONICAL - FX_ENCL_BASE,
		eenter_pf(lp, e, FX_TCS0, FX_FREE, PF_PT_W));
}

TEST(eenter_lp_inside_eremove_enclave_act)
{
	SETUP_FX_LP(fx, e, lp);
	uint64_t data = epc_of(e, FX_RODATA);

	ASSERT_SGX(fx_enter(lp, e, FX_TCS0, NULL), SGX_SUCCESS);
	/* EREMOVE sees the thread inside. */
	EXPECT_SGX(encls_eremove(fx->klp, data), SGX_ENCLAVE_ACT);
	fx_exit(lp);
	EXPECT_SGX(encls_eremove(fx->klp, data), SGX_SUCCESS);
	fx_free(fx);
}

TEST(eexit_outside_enclave_gp)
{
	SETUP_FX_LP(fx, e, lp);
	struct sgx_regs r = { .rbx = FX_ENCLU_RIP };

	EXPECT_SGX(enclu_eexit(lp, &r), SGX_GP);
	EXPECT_EQ(r.rip, 0);
	fx_free(fx);
}

TEST(eexit_target_noncanonical_gp)
{
	SETUP_FX_LP(fx, e, lp);
	struct sgx_regs r = { 0 };

	ASSERT_SGX(fx_enter(lp, e, FX_TCS0, &r), SGX_SUCCESS);
	r.rbx = NONCANONICAL;
	EXPECT_SGX(enclu_eexit(lp, &r), SGX_GP);
	EXPECT_TRUE(sgx_lp_in_enclave(lp));
	EXPECT_EQ(r.fsbase, fx_la(e, FX_DATA));
	fx_exit(lp);
	fx_free(fx);
}

TEST(eexit_success_restores_outside_state)
{
	SETUP_FX_LP(fx, e, lp);
	struct sgx_regs r = { .fsbase = 0x7f0000001000, .gsbase = 0x7f0000002000 };
	struct sgx_lp *lp2 = fx_lp(e);

	ASSERT_SGX(fx_enter(lp, e, FX_TCS1, &r), SGX_SUCCESS);
	/* The enclave's own state before EEXIT. */
	r.rax = ENCLU_EEXIT;
	r.rbx = 0x700000005000;
	r.rcx = 0x1234;
	r.rsp = fx_la(e, FX_DATA + 0x800);
	r.rbp = fx_la(e, FX_DATA + 0x900);
	r.rdi = 0x5555;
	ASSERT_SGX(enclu_eexit(lp, &r), SGX_SUCCESS);
	EXPECT_TRUE(!sgx_lp_in_enclave(lp));
	EXPECT_EQ(sgx_lp_tcs(lp), fx_la(e, FX_TCS1));
	EXPECT_EQ(r.rip, 0x700000005000);             /* RIP <- RBX */
	EXPECT_EQ(r.rcx, FX_AEP);                     /* RCX <- TCS.AEP */
	EXPECT_EQ(r.fsbase, 0x7f0000001000);
	EXPECT_EQ(r.gsbase, 0x7f0000002000);
	EXPECT_EQ(r.rax, ENCLU_EEXIT);                /* no GPR scrubbed */
	EXPECT_EQ(r.rsp, fx_la(e, FX_DATA + 0x800));  /* RSP/RBP not restored */
	EXPECT_EQ(r.rbp, fx_la(e, FX_DATA + 0x900));
	EXPECT_EQ(r.rdi, 0x5555);
	/* The TCS is inactive again: another LP may enter through it. */
	EXPECT_SGX(fx_enter(lp2, e, FX_TCS1, NULL), SGX_SUCCESS);
	fx_exit(lp2);
	fx_free(fx);
}

struct pause_ctx {
	struct fx_enclave *e;
	struct sgx_lp *lp;
	unsigned int leaf;
	int ret;
	bool ran;
};

/* While EREMOVE holds TCS1 exclusively, EENTER through it. */
static void eenter_during(struct fx *fx, struct sgx_lp *lp, unsigned int leaf_id, uint64_t epc,
			  void *ctx)
{
	struct pause_ctx *p = ctx;

	(void)fx;
	(void)lp;
	(void)epc;
	p->leaf = leaf_id;
	p->ran = true;
	p->ret = eenter_at(p->lp, fx_la(p->e, FX_TCS1));
}

TEST(eenter_tcs_in_use_gp)
{
	SETUP_FX(fx, e);
	struct pause_ctx p = { .e = e, .lp = fx_lp(e) };

	fx_on_pause(fx, eenter_during, &p);
	EXPECT_SGX(encls_eremove(fx->klp, epc_of(e, FX_TCS1)), SGX_SUCCESS);
	ASSERT_TRUE(p.ran);
	EXPECT_EQ(p.leaf, SGX_LEAF_ENCLS(ENCLS_EREMOVE));
	EXPECT_SGX(p.ret, SGX_GP);
	EXPECT_TRUE(!sgx_lp_in_enclave(p.lp));
	EXPECT_TRUE(!fx_epcm(e, FX_TCS1).valid);
	fx_free(fx);
}

/* While EENTER holds TCS0 (shared), EMODT and EREMOVE want it exclusively. */
static void emodt_during(struct fx *fx, struct sgx_lp *lp, unsigned int leaf_id, uint64_t epc,
			 void *ctx)
{
	struct sgx_secinfo si = { .flags = SGX_SECINFO_TRIM };
	struct pause_ctx *p = ctx;

	(void)lp;
	p->leaf = leaf_id;
	p->ran = true;
	p->ret = encls_emodt(fx->klp, &si, epc);
	if (encls_eremove(fx->klp, epc) != SGX_GP)
		p->ret = -1;
}

TEST(eenter_holds_tcs_emodt_epc_page_conflict)
{
	SETUP_FX_LP(fx, e, lp);
	struct pause_ctx p = { 0 };

	fx_on_pause(fx, emodt_during, &p);
	EXPECT_SGX(fx_enter(lp, e, FX_TCS0, NULL), SGX_SUCCESS);
	ASSERT_TRUE(p.ran);
	EXPECT_EQ(p.leaf, SGX_LEAF_ENCLU(ENCLU_EENTER));
	EXPECT_SGX(p.ret, SGX_EPC_PAGE_CONFLICT);
	EXPECT_EQ(fx_epcm(e, FX_TCS0).type, SGX_PAGE_TYPE_TCS);
	fx_exit(lp);
	fx_free(fx);
}
