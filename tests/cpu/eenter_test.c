/* SPDX-License-Identifier: MIT */
/*
 * EENTER and EEXIT: the state inside and outside, and every EENTER check of
 * the SDM pseudo-code (SDMnew order), each provoked on its own.
 */
#include <stdlib.h>

#include "fixture.h"

#define PF_PT_W (SGX_PF_U | SGX_PF_W)                        /* not present, write */
#define PF_EPCM_W (SGX_PF_SGX | SGX_PF_U | SGX_PF_P | SGX_PF_W) /* EPCM-induced, write */
#define NONCANONICAL 0x0000800000000000ull
#define GPRSGX_OFFSET (SGX_PAGE_SIZE - sizeof(struct sgx_gprsgx))

#define EXPECT_PF(lp, la, code)                                         \
	do {                                                            \
		const struct sgx_fault_info *f_ = sgx_lp_fault(lp);     \
		EXPECT_EQ(f_->vector, SGX_VEC_PF);                      \
		EXPECT_EQ(f_->addr, (la));                              \
		EXPECT_EQ(f_->error_code, (code));                      \
	} while (0)

static struct sgx_gprsgx *gprsgx(struct fx_enclave *e, uint64_t ssa, uint32_t frame)
{
	return fx_mem(e, ssa + frame * SGX_PAGE_SIZE + GPRSGX_OFFSET);
}

static struct sgx_tcs *tcs_mem(struct fx_enclave *e, uint64_t offset)
{
	return fx_mem(e, offset);
}

/* EENTER with RBX = @rbx (RCX = FX_AEP, RIP = FX_ENCLU_RIP). */
static int eenter_at(struct sgx_lp *lp, uint64_t rbx)
{
	struct sgx_regs regs = { .rbx = rbx, .rcx = FX_AEP, .rip = FX_ENCLU_RIP };

	return enclu_eenter(lp, &regs);
}

/*
 * An initialized enclave with @secs (NULL: default) whose TCS0 is @tcs:
 * TCS0, SSA pages from FX_SSA0 for two frames, code, data and read-only data.
 */
static struct fx_enclave *build_with_tcs(struct fx *fx, const struct sgx_secs *secs,
					 const struct sgx_tcs *tcs)
{
	const uint64_t rw = SGX_SECINFO_REG | SGX_SECINFO_R | SGX_SECINFO_W;
	uint32_t frame = secs ? secs->ssa_frame_size : 1, i;
	struct fx_enclave *e = fx_ecreate(fx, secs);
	int ret;

	if (!e)
		return NULL;
	ret = fx_eadd(e, FX_TCS0, SGX_SECINFO_TCS, tcs, true, NULL);
	for (i = 0; !ret && i < 2 * frame; i++)
		ret = fx_eadd(e, FX_SSA0 + i * SGX_PAGE_SIZE, rw, NULL, true, NULL);
	if (!ret)
		ret = fx_eadd(e, FX_CODE, SGX_SECINFO_REG | SGX_SECINFO_R | SGX_SECINFO_X, NULL, true, NULL);
	for (i = 0; !ret && i < FX_DATA_PAGES; i++)
		ret = fx_eadd(e, FX_DATA + i * SGX_PAGE_SIZE, rw, NULL, true, NULL);
	if (!ret)
		ret = fx_eadd(e, FX_RODATA, SGX_SECINFO_REG | SGX_SECINFO_R, NULL, true, NULL);
	if (!ret)
		ret = fx_einit(e);
	if (ret) {
		harness_fail(__FILE__, __LINE__, "building the enclave: %s", sgx_code_name(ret));
		return NULL;
	}
	return e;
}

/* EENTER through a TCS0 that @edit changed (on a default SECS) gives @want. */
#define EENTER_CRAFTED_EXPECT(edit, want)                                  \
	do {                                                               \
		struct fx *fx = fx_new(0);                                  \
		struct sgx_tcs *tcs = aligned_alloc(SGX_PAGE_SIZE, sizeof(*tcs)); \
		struct fx_enclave *e;                                       \
		fx_tcs_default(tcs, FX_SSA0);                               \
		edit;                                                       \
		e = build_with_tcs(fx, NULL, tcs);                          \
		if (e) {                                                    \
			struct sgx_lp *lp = fx_lp(e);                       \
			EXPECT_SGX(eenter_at(lp, fx_la(e, FX_TCS0)), want); \
			EXPECT_TRUE(!sgx_lp_in_enclave(lp));                \
			EXPECT_EQ(tcs_mem(e, FX_TCS0)->aep, 0);             \
		}                                                           \
		free(tcs);                                                  \
		fx_free(fx);                                                \
	} while (0)

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
	/* Control for EENTER_CRAFTED_EXPECT: the unedited TCS enters. */
	struct fx *fx = fx_new(0);
	struct sgx_tcs *tcs = aligned_alloc(SGX_PAGE_SIZE, sizeof(*tcs));
	struct fx_enclave *e;

	fx_tcs_default(tcs, FX_SSA0);
	e = build_with_tcs(fx, NULL, tcs);
	if (e) {
		struct sgx_lp *lp = fx_lp(e);

		EXPECT_SGX(eenter_at(lp, fx_la(e, FX_TCS0)), SGX_SUCCESS);
		EXPECT_TRUE(sgx_lp_in_enclave(lp));
		fx_exit(lp);
	}
	free(tcs);
	fx_free(fx);
}

TEST(eenter_both_tcs_success_regs_pass_through)
{
	struct fx *fx = fx_new(0);
	struct fx_enclave *e = fx_build_init(fx);
	struct sgx_regs r0 = { 0 }, r1 = { 0 };
	struct sgx_lp *lp0, *lp1;

	ASSERT_TRUE(e);
	lp0 = fx_lp(e);
	lp1 = fx_lp(e);
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
	struct fx *fx = fx_new(0);
	struct fx_enclave *e = fx_build_init(fx);
	struct sgx_lp *lp;

	ASSERT_TRUE(e);
	lp = fx_lp(e);
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
	struct fx *fx = fx_new(0);
	struct fx_enclave *e = fx_build_init(fx);
	struct sgx_regs r = { 0 };
	struct sgx_lp *lp0, *lp1;

	ASSERT_TRUE(e);
	lp0 = fx_lp(e);
	lp1 = fx_lp(e);
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
	struct fx *fx = fx_new(0);
	struct fx_enclave *e = fx_build_init(fx);
	struct sgx_lp *lp;

	ASSERT_TRUE(e);
	lp = fx_lp(e);
	EXPECT_SGX(eenter_at(lp, fx_la(e, FX_TCS0) + 0x40), SGX_GP);
	EXPECT_TRUE(!sgx_lp_in_enclave(lp));
	fx_free(fx);
}

TEST(eenter_tcs_unmapped_pf)
{
	struct fx *fx = fx_new(0);
	struct fx_enclave *e = fx_build_init(fx);
	struct sgx_lp *lp;

	ASSERT_TRUE(e);
	lp = fx_lp(e);
	EXPECT_SGX(eenter_at(lp, fx_la(e, FX_FREE)), SGX_PF);
	EXPECT_PF(lp, fx_la(e, FX_FREE), PF_PT_W);
	fx_free(fx);
}

TEST(eenter_tcs_not_epc_pf)
{
	struct fx *fx = fx_new(0);
	struct fx_enclave *e = fx_build_init(fx);
	struct sgx_lp *lp;

	ASSERT_TRUE(e);
	lp = fx_lp(e);
	/* The page table maps the address to ordinary memory. */
	e->pa[FX_FREE / SGX_PAGE_SIZE] = 0x1000;
	e->pt_perm[FX_FREE / SGX_PAGE_SIZE] = SGX_SECINFO_R | SGX_SECINFO_W;
	EXPECT_SGX(eenter_at(lp, fx_la(e, FX_FREE)), SGX_PF);
	EXPECT_PF(lp, fx_la(e, FX_FREE), PF_EPCM_W);
	fx_free(fx);
}

TEST(eenter_aep_noncanonical_gp)
{
	struct fx *fx = fx_new(0);
	struct fx_enclave *e = fx_build_init(fx);
	struct sgx_regs r = { 0 };
	struct sgx_lp *lp;

	ASSERT_TRUE(e);
	lp = fx_lp(e);
	r.rbx = fx_la(e, FX_TCS0);
	r.rcx = NONCANONICAL;
	EXPECT_SGX(enclu_eenter(lp, &r), SGX_GP);
	EXPECT_TRUE(!sgx_lp_in_enclave(lp));
	EXPECT_EQ(tcs_mem(e, FX_TCS0)->aep, 0);
	fx_free(fx);
}

TEST(eenter_tcs_not_tcs_pf)
{
	struct fx *fx = fx_new(0);
	struct fx_enclave *e = fx_build_init(fx);
	struct sgx_lp *lp;

	ASSERT_TRUE(e);
	lp = fx_lp(e);
	EXPECT_SGX(eenter_at(lp, fx_la(e, FX_DATA)), SGX_PF);
	EXPECT_PF(lp, fx_la(e, FX_DATA), PF_EPCM_W);
	fx_free(fx);
}

TEST(eenter_tcs_wrong_address_pf)
{
	struct fx *fx = fx_new(0);
	struct fx_enclave *e = fx_build_init(fx);
	struct sgx_lp *lp;

	ASSERT_TRUE(e);
	lp = fx_lp(e);
	/* A second mapping of TCS0: EPCM.ENCLAVEADDRESS != RBX. */
	e->pa[FX_FREE / SGX_PAGE_SIZE] = e->pa[FX_TCS0 / SGX_PAGE_SIZE];
	e->pt_perm[FX_FREE / SGX_PAGE_SIZE] = SGX_SECINFO_R | SGX_SECINFO_W;
	EXPECT_SGX(eenter_at(lp, fx_la(e, FX_FREE)), SGX_PF);
	EXPECT_PF(lp, fx_la(e, FX_FREE), PF_EPCM_W);
	fx_free(fx);
}

TEST(eenter_tcs_invalid_pf)
{
	struct fx *fx = fx_new(0);
	struct fx_enclave *e = fx_build_init(fx);
	struct sgx_lp *lp;

	ASSERT_TRUE(e);
	lp = fx_lp(e);
	ASSERT_SGX(encls_eremove(fx->klp, e->pa[FX_TCS1 / SGX_PAGE_SIZE]), SGX_SUCCESS);
	EXPECT_SGX(eenter_at(lp, fx_la(e, FX_TCS1)), SGX_PF);
	EXPECT_PF(lp, fx_la(e, FX_TCS1), PF_EPCM_W);
	fx_free(fx);
}

TEST(eenter_tcs_blocked_pf)
{
	struct fx *fx = fx_new(0);
	struct fx_enclave *e = fx_build_init(fx);
	struct sgx_lp *lp;

	ASSERT_TRUE(e);
	lp = fx_lp(e);
	ASSERT_SGX(encls_eblock(fx->klp, e->pa[FX_TCS1 / SGX_PAGE_SIZE]), SGX_SUCCESS);
	EXPECT_TRUE(fx_epcm(e, FX_TCS1).blocked);
	EXPECT_SGX(eenter_at(lp, fx_la(e, FX_TCS1)), SGX_PF);
	EXPECT_PF(lp, fx_la(e, FX_TCS1), PF_EPCM_W);
	fx_free(fx);
}

TEST(eenter_tcs_modified_pf)
{
	struct fx *fx = fx_new(0);
	struct fx_enclave *e = fx_build_init(fx);
	struct sgx_secinfo si = { .flags = SGX_SECINFO_TCS };
	uint64_t off = FX_DATA + 2 * SGX_PAGE_SIZE;
	struct sgx_lp *lp;

	ASSERT_TRUE(e);
	lp = fx_lp(e);
	/* EMODT to TCS: a TCS page that is MODIFIED until the enclave accepts it. */
	ASSERT_SGX(encls_emodt(fx->klp, &si, e->pa[off / SGX_PAGE_SIZE]), SGX_SUCCESS);
	EXPECT_EQ(fx_epcm(e, off).type, SGX_PAGE_TYPE_TCS);
	EXPECT_TRUE(fx_epcm(e, off).modified);
	EXPECT_SGX(eenter_at(lp, fx_la(e, off)), SGX_PF);
	EXPECT_PF(lp, fx_la(e, off), PF_EPCM_W);
	fx_free(fx);
}

TEST(eenter_ossa_unaligned_gp)
{
	EENTER_CRAFTED_EXPECT(tcs->ossa = FX_SSA0 + 0x800, SGX_GP);
}

TEST(eenter_ofsbase_unaligned_gp)
{
	EENTER_CRAFTED_EXPECT(tcs->ofsbase = FX_DATA + 0x10, SGX_GP);
}

TEST(eenter_ogsbase_unaligned_gp)
{
	EENTER_CRAFTED_EXPECT(tcs->ogsbase = FX_DATA + 0x10, SGX_GP);
}

TEST(eenter_tcs_flags_reserved_gp)
{
	struct fx *fx = fx_new(0);
	struct fx_enclave *e = fx_build_init(fx);
	struct sgx_lp *lp;

	ASSERT_TRUE(e);
	lp = fx_lp(e);
	/* TCS.FLAGS bit 1 (reserved without AEX-Notify), set behind the processor's back. */
	tcs_mem(e, FX_TCS0)->flags = 0x2;
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
	struct fx *fx = fx_new(0);
	struct sgx_secs *secs = aligned_alloc(SGX_PAGE_SIZE, sizeof(*secs));
	struct sgx_tcs *tcs = aligned_alloc(SGX_PAGE_SIZE, sizeof(*tcs));
	struct fx_enclave *e;

	fx_secs_default(secs, FX_ENCL_BASE, FX_ENCL_SIZE);
	secs->attributes.flags &= ~SGX_ATTR_MODE64BIT;
	fx_tcs_default(tcs, FX_SSA0);
	e = build_with_tcs(fx, secs, tcs);
	if (e) {
		struct sgx_lp *lp = fx_lp(e);

		/* CPU mode (64-bit) != SECS.ATTRIBUTES.MODE64BIT */
		EXPECT_SGX(eenter_at(lp, fx_la(e, FX_TCS0)), SGX_GP);
		EXPECT_TRUE(!sgx_lp_in_enclave(lp));
	}
	free(secs);
	free(tcs);
	fx_free(fx);
}

TEST(eenter_cssa_ge_nssa_gp)
{
	EENTER_CRAFTED_EXPECT(tcs->nssa = 0, SGX_GP);
}

/* EENTER through a TCS0 whose OSSA is @ossa gives #PF at @fault_off with @code. */
static void eenter_ssa_pf(uint64_t ossa, uint64_t fault_off, uint32_t code, bool eaug)
{
	struct fx *fx = fx_new(0);
	struct sgx_tcs *tcs = aligned_alloc(SGX_PAGE_SIZE, sizeof(*tcs));
	struct fx_enclave *e;

	fx_tcs_default(tcs, ossa);
	e = build_with_tcs(fx, NULL, tcs);
	if (e) {
		struct sgx_lp *lp = fx_lp(e);

		if (eaug)
			EXPECT_SGX(fx_eaug(e, ossa, NULL), SGX_SUCCESS);
		EXPECT_SGX(eenter_at(lp, fx_la(e, FX_TCS0)), SGX_PF);
		EXPECT_PF(lp, fx_la(e, fault_off), code);
		EXPECT_TRUE(!sgx_lp_in_enclave(lp));
	}
	free(tcs);
	fx_free(fx);
}

TEST(eenter_ssa_unmapped_pf)
{
	eenter_ssa_pf(FX_FREE, FX_FREE, PF_PT_W, false);
}

TEST(eenter_ssa_readonly_pf)
{
	eenter_ssa_pf(FX_RODATA, FX_RODATA, PF_EPCM_W, false);
}

TEST(eenter_ssa_not_reg_pf)
{
	eenter_ssa_pf(FX_TCS0, FX_TCS0, PF_EPCM_W, false);
}

TEST(eenter_ssa_pending_pf)
{
	eenter_ssa_pf(FX_FREE, FX_FREE, PF_EPCM_W, true);
}

TEST(eenter_ssa_pt_readonly_pf)
{
	struct fx *fx = fx_new(0);
	struct fx_enclave *e = fx_build_init(fx);
	struct sgx_lp *lp;

	ASSERT_TRUE(e);
	lp = fx_lp(e);
	e->pt_perm[FX_SSA0 / SGX_PAGE_SIZE] = SGX_SECINFO_R;
	EXPECT_SGX(eenter_at(lp, fx_la(e, FX_TCS0)), SGX_PF);
	EXPECT_PF(lp, fx_la(e, FX_SSA0), SGX_PF_P | PF_PT_W);
	fx_free(fx);
}

TEST(eenter_gprsgx_page_readonly_pf)
{
	struct fx *fx = fx_new(0);
	struct sgx_secs *secs = aligned_alloc(SGX_PAGE_SIZE, sizeof(*secs));
	struct sgx_tcs *tcs = aligned_alloc(SGX_PAGE_SIZE, sizeof(*tcs));
	struct fx_enclave *e;

	/* Two-page frames: the XSAVE page is the last data page, GPRSGX's the read-only one. */
	fx_secs_default(secs, FX_ENCL_BASE, FX_ENCL_SIZE);
	secs->ssa_frame_size = 2;
	fx_tcs_default(tcs, FX_RODATA - SGX_PAGE_SIZE);
	e = build_with_tcs(fx, secs, tcs);
	if (e) {
		struct sgx_lp *lp = fx_lp(e);

		EXPECT_SGX(eenter_at(lp, fx_la(e, FX_TCS0)), SGX_PF);
		EXPECT_PF(lp, fx_la(e, FX_RODATA + GPRSGX_OFFSET), PF_EPCM_W);
	}
	free(secs);
	free(tcs);
	fx_free(fx);
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
	EXPECT_SGX(eenter_at(lp, fx_la(a, FX_TCS0)), SGX_PF);
	EXPECT_PF(lp, fx_la(a, FX_SSA0), PF_EPCM_W);
	fx_free(fx);
}

TEST(eenter_oentry_noncanonical_gp)
{
	EENTER_CRAFTED_EXPECT(tcs->oentry = NONCANONICAL - FX_ENCL_BASE, SGX_GP);
}

TEST(eenter_fsbase_noncanonical_gp)
{
	EENTER_CRAFTED_EXPECT(tcs->ofsbase = NONCANONICAL - FX_ENCL_BASE, SGX_GP);
}

TEST(eenter_gsbase_noncanonical_gp)
{
	EENTER_CRAFTED_EXPECT(tcs->ogsbase = NONCANONICAL - FX_ENCL_BASE, SGX_GP);
}

TEST(eenter_lp_inside_eremove_enclave_act)
{
	struct fx *fx = fx_new(0);
	struct fx_enclave *e = fx_build_init(fx);
	uint64_t data = 0;
	struct sgx_lp *lp;

	ASSERT_TRUE(e);
	lp = fx_lp(e);
	data = e->pa[FX_RODATA / SGX_PAGE_SIZE];
	ASSERT_SGX(fx_enter(lp, e, FX_TCS0, NULL), SGX_SUCCESS);
	/* EREMOVE sees the thread inside. */
	EXPECT_SGX(encls_eremove(fx->klp, data), SGX_ENCLAVE_ACT);
	fx_exit(lp);
	EXPECT_SGX(encls_eremove(fx->klp, data), SGX_SUCCESS);
	fx_free(fx);
}

TEST(eexit_outside_enclave_gp)
{
	struct fx *fx = fx_new(0);
	struct fx_enclave *e = fx_build_init(fx);
	struct sgx_regs r = { .rbx = FX_ENCLU_RIP };
	struct sgx_lp *lp;

	ASSERT_TRUE(e);
	lp = fx_lp(e);
	EXPECT_SGX(enclu_eexit(lp, &r), SGX_GP);
	EXPECT_EQ(r.rip, 0);
	fx_free(fx);
}

TEST(eexit_target_noncanonical_gp)
{
	struct fx *fx = fx_new(0);
	struct fx_enclave *e = fx_build_init(fx);
	struct sgx_regs r = { 0 };
	struct sgx_lp *lp;

	ASSERT_TRUE(e);
	lp = fx_lp(e);
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
	struct fx *fx = fx_new(0);
	struct fx_enclave *e = fx_build_init(fx);
	struct sgx_regs r = { 0 };
	struct sgx_lp *lp, *lp2;

	ASSERT_TRUE(e);
	lp = fx_lp(e);
	lp2 = fx_lp(e);
	r.fsbase = 0x7f0000001000;
	r.gsbase = 0x7f0000002000;
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
	struct fx *fx = fx_new(0);
	struct fx_enclave *e = fx_build_init(fx);
	struct pause_ctx p = { 0 };

	ASSERT_TRUE(e);
	p.e = e;
	p.lp = fx_lp(e);
	fx_on_pause(fx, eenter_during, &p);
	EXPECT_SGX(encls_eremove(fx->klp, e->pa[FX_TCS1 / SGX_PAGE_SIZE]), SGX_SUCCESS);
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
	struct fx *fx = fx_new(0);
	struct fx_enclave *e = fx_build_init(fx);
	struct pause_ctx p = { 0 };
	struct sgx_lp *lp;

	ASSERT_TRUE(e);
	lp = fx_lp(e);
	fx_on_pause(fx, emodt_during, &p);
	EXPECT_SGX(fx_enter(lp, e, FX_TCS0, NULL), SGX_SUCCESS);
	ASSERT_TRUE(p.ran);
	EXPECT_EQ(p.leaf, SGX_LEAF_ENCLU(ENCLU_EENTER));
	EXPECT_SGX(p.ret, SGX_EPC_PAGE_CONFLICT);
	EXPECT_EQ(fx_epcm(e, FX_TCS0).type, SGX_PAGE_TYPE_TCS);
	fx_exit(lp);
	fx_free(fx);
}
