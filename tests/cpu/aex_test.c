/* SPDX-License-Identifier: MIT */
/*
 * AEX and ERESUME: what an asynchronous exit saves into the SSA frame
 * (GPRSGX, EXITINFO, MISC.EXINFO, the XSAVE area), the synthetic state it
 * leaves, nesting up to NSSA, and every ERESUME check on its own.
 */
#include "common.h"

#define RFLAGS_INSIDE 0x10ED7ull /* CF PF AF ZF SF IF DF OF RF + bit 1 */
#define RFLAGS_SYNTH 0x00602ull  /* the same without CF PF AF ZF SF OF RF */
#define PF_ADDR_OFF 0x7123
#define PF_ERRCD 0x8007u

static struct sgx_exinfo *exinfo(struct fx_enclave *e, uint64_t ssa, uint32_t frame)
{
	return (struct sgx_exinfo *)((uint8_t *)gprsgx(e, ssa, frame) - sizeof(struct sgx_exinfo));
}

static const struct sgx_exception pf_exc = {
	.vector = SGX_VEC_PF, .has_error_code = true, .error_code = PF_ERRCD,
	.addr = FX_ENCL_BASE + PF_ADDR_OFF,
};

/* The state of a thread inside the enclave at the moment of the event. */
static void regs_inside(struct fx_enclave *e, struct sgx_regs *r, uint64_t seed)
{
	uint64_t *gpr = &r->rax;
	int i;

	for (i = 0; i < 16; i++)
		gpr[i] = seed + 0x11 * (uint64_t)(i + 1);
	r->rsp = fx_la(e, FX_DATA + 0x800);
	r->rbp = fx_la(e, FX_DATA + 0x880);
	r->rflags = RFLAGS_INSIDE;
	r->rip = fx_la(e, FX_CODE + 0x40);
	r->fsbase = fx_la(e, FX_DATA + SGX_PAGE_SIZE); /* the enclave moved its FS base */
	r->gsbase = fx_la(e, FX_DATA);
}

/* Build, enter TCS0 with outside FS/GS set, and load the inside state. */
static struct sgx_lp *enter_inside(struct fx_enclave *e, struct sgx_regs *r, uint64_t seed)
{
	struct sgx_lp *lp = fx_lp(e);

	memset(r, 0, sizeof(*r));
	r->fsbase = 0x7f00000f0000;
	r->gsbase = 0x7f00000e0000;
	if (fx_enter(lp, e, FX_TCS0, r)) {
		harness_fail(__FILE__, __LINE__, "EENTER failed");
		return NULL;
	}
	regs_inside(e, r, seed);
	return lp;
}

/* Declare @fx, @e, @r and @lp: the default enclave, entered by enter_inside(@seed). */
#define SETUP_ENTERED(seed)                                   \
	SETUP_FX(fx, e);                                      \
	struct sgx_regs r;                                    \
	struct sgx_lp *lp = enter_inside(e, &r, seed);        \
	ASSERT_TRUE(lp)

static void expect_gprsgx_saved(struct fx_enclave *e, uint32_t frame, uint64_t seed)
{
	struct sgx_gprsgx *g = gprsgx(e, FX_SSA0, frame);
	struct sgx_regs want;

	regs_inside(e, &want, seed);
	/* GPRSGX RAX..R15 and struct sgx_regs rax..r15 share their order. */
	EXPECT_TRUE(memcmp(g, &want.rax, 16 * sizeof(uint64_t)) == 0);
	EXPECT_EQ(g->rdi, want.rdi);
	EXPECT_EQ(g->r15, want.r15);
	EXPECT_EQ(g->rflags, RFLAGS_INSIDE);
	EXPECT_EQ(g->rip, fx_la(e, FX_CODE + 0x40));
	EXPECT_EQ(g->fsbase, fx_la(e, FX_DATA + SGX_PAGE_SIZE));
	EXPECT_EQ(g->gsbase, fx_la(e, FX_DATA));
	EXPECT_EQ(g->ursp, FX_URSP);
	EXPECT_EQ(g->urbp, FX_URBP);
}

static void expect_synthetic(struct fx_enclave *e, const struct sgx_regs *r)
{
	EXPECT_EQ(r->rax, ENCLU_ERESUME);
	EXPECT_EQ(r->rbx, fx_la(e, FX_TCS0));
	EXPECT_EQ(r->rcx, FX_AEP);
	EXPECT_EQ(r->rip, FX_AEP);
	EXPECT_EQ(r->rdx, 0);
	EXPECT_EQ(r->rsi, 0);
	EXPECT_EQ(r->rdi, 0);
	EXPECT_EQ(r->r8, 0);
	EXPECT_EQ(r->r12, 0);
	EXPECT_EQ(r->r15, 0);
	EXPECT_EQ(r->rsp, FX_URSP);
	EXPECT_EQ(r->rbp, FX_URBP);
	EXPECT_EQ(r->rflags, RFLAGS_SYNTH);
	EXPECT_EQ(r->fsbase, 0x7f00000f0000);
	EXPECT_EQ(r->gsbase, 0x7f00000e0000);
}

TEST(aex_pf_saves_state_and_synthesizes)
{
	SETUP_ENTERED(0x1000);

	ASSERT_SGX(sgx_aex(lp, &r, &pf_exc), SGX_SUCCESS);
	expect_gprsgx_saved(e, 0, 0x1000);
	EXPECT_EQ(gprsgx(e, FX_SSA0, 0)->exitinfo,
		  SGX_EXITINFO_VALID | (SGX_EXITINFO_TYPE_HW << SGX_EXITINFO_TYPE_SHIFT) | SGX_VEC_PF);
	EXPECT_EQ(exinfo(e, FX_SSA0, 0)->maddr, FX_ENCL_BASE + PF_ADDR_OFF);
	EXPECT_EQ(exinfo(e, FX_SSA0, 0)->errcd, PF_ERRCD);
	expect_synthetic(e, &r);
	EXPECT_EQ(tcs_mem(e, FX_TCS0)->cssa, 1);
	EXPECT_TRUE(!sgx_lp_in_enclave(lp));
	EXPECT_EQ(sgx_cpu_leaf_count(fx->cpu, SGX_LEAF_AEX), 1);
	fx_free(fx);
}

TEST(aex_then_eresume_restores_every_register)
{
	SETUP_ENTERED(0x2000);
	struct sgx_regs want;

	ASSERT_SGX(sgx_aex(lp, &r, &pf_exc), SGX_SUCCESS);
	/* The OS runs its handler, then ERESUMEs with the synthetic RBX/RCX. */
	r.rcx = FX_AEP + 0x100;
	ASSERT_SGX(enclu_eresume(lp, &r), SGX_SUCCESS);
	regs_inside(e, &want, 0x2000);
	EXPECT_TRUE(memcmp(&r.rax, &want.rax, 16 * sizeof(uint64_t)) == 0);
	EXPECT_EQ(r.rip, want.rip);
	EXPECT_EQ(r.rflags, RFLAGS_INSIDE);
	EXPECT_EQ(r.fsbase, want.fsbase);
	EXPECT_EQ(r.gsbase, want.gsbase);
	EXPECT_EQ(tcs_mem(e, FX_TCS0)->cssa, 0);
	EXPECT_EQ(tcs_mem(e, FX_TCS0)->aep, FX_AEP + 0x100); /* TCS.AEP <- RCX */
	EXPECT_TRUE(sgx_lp_in_enclave(lp));
	EXPECT_EQ(sgx_lp_tcs(lp), fx_la(e, FX_TCS0));
	/* EEXIT restores the FS/GS that were outside at ERESUME. */
	r.fsbase = 0;
	fx_exit(lp);
	EXPECT_TRUE(!sgx_lp_in_enclave(lp));
	fx_free(fx);
}

/* AEX with @exc on the default enclave; checks EXITINFO and EXINFO. */
static void aex_expect_exitinfo(const struct sgx_exception *exc, uint32_t exitinfo,
				bool exinfo_written, uint64_t maddr)
{
	SETUP_ENTERED(0x3000);
	struct sgx_exinfo *ei = exinfo(e, FX_SSA0, 0);

	memset(ei, 0xAA, sizeof(*ei));
	ASSERT_SGX(sgx_aex(lp, &r, exc), SGX_SUCCESS);
	EXPECT_EQ(gprsgx(e, FX_SSA0, 0)->exitinfo, exitinfo);
	if (exinfo_written) {
		EXPECT_EQ(ei->maddr, maddr);
		EXPECT_EQ(ei->errcd, exc->error_code);
		EXPECT_EQ(ei->reserved, 0);
	} else {
		EXPECT_EQ(ei->maddr, 0xAAAAAAAAAAAAAAAAull);
		EXPECT_EQ(ei->errcd, 0xAAAAAAAAu);
	}
	fx_free(fx);
}

/* AEX with the exception { @... }: aex_expect_exitinfo(). */
#define EXITINFO_TEST(name, exitinfo, exinfo_written, maddr, ...)                  \
	TEST(name)                                                                 \
	{                                                                          \
		const struct sgx_exception exc_ = { __VA_ARGS__ };                 \
		aex_expect_exitinfo(&exc_, exitinfo, exinfo_written, maddr);       \
	}

EXITINFO_TEST(aex_gp_exinfo_maddr_zero, SGX_EXITINFO_VALID | (3u << 8) | SGX_VEC_GP, true, 0,
	      .vector = SGX_VEC_GP, .has_error_code = true, .error_code = 0x18, .addr = 0x1234)
EXITINFO_TEST(aex_bp_exitinfo_software_type, SGX_EXITINFO_VALID | (6u << 8) | SGX_VEC_BP, false,
	      0, .vector = SGX_VEC_BP)
EXITINFO_TEST(aex_ud_exitinfo_hardware_type, SGX_EXITINFO_VALID | (3u << 8) | SGX_VEC_UD, false,
	      0, .vector = SGX_VEC_UD)
EXITINFO_TEST(aex_interrupt_exitinfo_invalid, 0, false, 0, .vector = 0xEC)

TEST(aex_pf_without_misc_exinfo_exitinfo_invalid)
{
	struct fx *fx = fx_new(0);
	struct fx_enclave *e;
	struct sgx_secs secs;
	struct sgx_regs r;
	struct sgx_lp *lp;

	fx_secs_default(&secs, FX_ENCL_BASE, FX_ENCL_SIZE);
	secs.miscselect = 0;
	e = build_custom(fx, &secs, NULL);
	ASSERT_TRUE(e);
	lp = enter_inside(e, &r, 0x4000);
	ASSERT_TRUE(lp);
	memset(exinfo(e, FX_SSA0, 0), 0xAA, sizeof(struct sgx_exinfo));
	ASSERT_SGX(sgx_aex(lp, &r, &pf_exc), SGX_SUCCESS);
	EXPECT_EQ(gprsgx(e, FX_SSA0, 0)->exitinfo, 0);
	EXPECT_EQ(exinfo(e, FX_SSA0, 0)->maddr, 0xAAAAAAAAAAAAAAAAull);
	expect_gprsgx_saved(e, 0, 0x4000);
	fx_free(fx);
}

TEST(aex_nested_up_to_nssa_then_eenter_gp)
{
	SETUP_ENTERED(0x5000);
	uint32_t frame;

	ASSERT_SGX(sgx_aex(lp, &r, &pf_exc), SGX_SUCCESS);
	/* The handler entry: EENTER with CSSA = 1 uses frame 1. */
	memset(&r, 0, sizeof(r));
	ASSERT_SGX(fx_enter(lp, e, FX_TCS0, &r), SGX_SUCCESS);
	EXPECT_EQ(r.rax, 1);
	regs_inside(e, &r, 0x6000);
	ASSERT_SGX(sgx_aex(lp, &r, &pf_exc), SGX_SUCCESS);
	EXPECT_EQ(tcs_mem(e, FX_TCS0)->cssa, 2);
	expect_gprsgx_saved(e, 0, 0x5000);
	expect_gprsgx_saved(e, 1, 0x6000);
	/* CSSA = NSSA: no frame left. */
	EXPECT_SGX(fx_enter(lp, e, FX_TCS0, NULL), SGX_GP);
	EXPECT_TRUE(!sgx_lp_in_enclave(lp));
	/* ERESUME pops frame 1 (saved from seed 0x6000), then frame 0 (seed 0x5000). */
	for (frame = 2; frame-- > 0;) {
		r.rbx = fx_la(e, FX_TCS0);
		r.rcx = FX_AEP;
		ASSERT_SGX(enclu_eresume(lp, &r), SGX_SUCCESS);
		EXPECT_EQ(r.rax, (frame ? 0x6000 : 0x5000) + 0x11);
		EXPECT_EQ(tcs_mem(e, FX_TCS0)->cssa, frame);
		fx_exit(lp);
	}
	fx_free(fx);
}

/* An XSAVE image with recognizable legacy and AVX contents and a valid header. */
static void xsave_pattern(uint8_t *img, size_t size, uint64_t xstate_bv)
{
	uint32_t mxcsr = 0x1FA0;
	size_t i;

	for (i = 0; i < size; i++)
		img[i] = (uint8_t)(i * 13 + 5);
	memcpy(img + 24, &mxcsr, sizeof(mxcsr));
	memset(img + 512, 0, 64);
	memcpy(img + 512, &xstate_bv, sizeof(xstate_bv));
}

/* AEX then ERESUME with an XSAVE image on an enclave with @xfrm; @frame_bytes of it are saved. */
static void xsave_round_trip(uint64_t xfrm, size_t frame_bytes)
{
	struct fx *fx = fx_new(0);
	uint8_t img[1024], saved[1024], *frame;
	struct fx_enclave *e;
	struct sgx_secs secs;
	struct sgx_regs r;
	struct sgx_lp *lp;
	size_t i;

	fx_secs_default(&secs, FX_ENCL_BASE, FX_ENCL_SIZE);
	secs.attributes.xfrm = xfrm;
	e = build_custom(fx, &secs, NULL);
	ASSERT_TRUE(e);
	lp = enter_inside(e, &r, 0x7000);
	ASSERT_TRUE(lp);
	frame = fx_mem(e, FX_SSA0);
	memset(frame, 0x5A, 1024);
	xsave_pattern(img, sizeof(img), xfrm);
	memcpy(saved, img, sizeof(img));
	r.xsave = img;
	r.xsave_size = sizeof(img);
	ASSERT_SGX(sgx_aex(lp, &r, &pf_exc), SGX_SUCCESS);
	/* The frame holds the XFRM part of the image; nothing beyond it was written. */
	EXPECT_TRUE(memcmp(frame, saved, frame_bytes) == 0);
	for (i = frame_bytes; i < 1024; i++)
		if (frame[i] != 0x5A)
			break;
	EXPECT_EQ(i, 1024);
	/* The thread's XFRM state is back to INIT: zero, FCW 037Fh, MXCSR 1F80h, XSTATE_BV 0. */
	EXPECT_EQ(img[0] | img[1] << 8, 0x037F);
	EXPECT_EQ(img[24] | img[25] << 8, 0x1F80);
	for (i = 32; i < frame_bytes; i++)
		if (img[i])
			break;
	EXPECT_EQ(i, frame_bytes);
	/* What lies beyond XFRM's components is not the enclave's: untouched. */
	EXPECT_TRUE(memcmp(img + frame_bytes, saved + frame_bytes, sizeof(img) - frame_bytes) == 0);
	ASSERT_SGX(enclu_eresume(lp, &r), SGX_SUCCESS);
	EXPECT_TRUE(memcmp(img, saved, frame_bytes) == 0);
	fx_exit(lp);
	fx_free(fx);
}

TEST(aex_xsave_round_trip_sse)
{
	xsave_round_trip(0x3, 576);
}

TEST(aex_xsave_round_trip_avx)
{
	xsave_round_trip(0x7, 832);
}

/*
 * State outside XFRM (here AVX, in use outside an SSE-only enclave) belongs
 * to the code outside: neither AEX nor ERESUME touches it or its XSTATE_BV bit.
 */
TEST(aex_eresume_keep_state_outside_xfrm)
{
	struct fx *fx = fx_new(0);
	uint8_t img[1024], saved[1024];
	struct fx_enclave *e;
	struct sgx_secs secs;
	struct sgx_regs r;
	struct sgx_lp *lp;
	uint64_t bv;

	fx_secs_default(&secs, FX_ENCL_BASE, FX_ENCL_SIZE);
	secs.attributes.xfrm = 0x3;
	e = build_custom(fx, &secs, NULL);
	ASSERT_TRUE(e);
	lp = enter_inside(e, &r, 0x7000);
	ASSERT_TRUE(lp);
	xsave_pattern(img, sizeof(img), 0x7);
	memcpy(saved, img, sizeof(img));
	r.xsave = img;
	r.xsave_size = sizeof(img);
	ASSERT_SGX(sgx_aex(lp, &r, &pf_exc), SGX_SUCCESS);
	memcpy(&bv, img + 512, sizeof(bv));
	EXPECT_EQ(bv, 0x4); /* x87 and SSE at INIT, AVX as it was */
	EXPECT_TRUE(memcmp(img + 576, saved + 576, 256) == 0);
	/* The SSA frame has the enclave's part only. */
	memcpy(&bv, fx_mem(e, FX_SSA0) + 512, sizeof(bv));
	EXPECT_EQ(bv, 0x3);
	ASSERT_SGX(enclu_eresume(lp, &r), SGX_SUCCESS);
	EXPECT_TRUE(memcmp(img, saved, sizeof(img)) == 0);
	fx_exit(lp);
	fx_free(fx);
}

/*
 * The SSA frame unmapped after the entry: the AEX writes it all the same,
 * where EENTER found it (CR_XSAVE_PAGE_n, CR_GPR_PA), and exits to the AEP.
 */
TEST(aex_ssa_unmapped_after_entry_still_written)
{
	SETUP_ENTERED(0x8000);
	uint64_t ssa_pa = e->pa[FX_SSA0 / SGX_PAGE_SIZE];

	e->pa[FX_SSA0 / SGX_PAGE_SIZE] = 0;
	EXPECT_SGX(sgx_aex(lp, &r, &pf_exc), SGX_SUCCESS);
	EXPECT_TRUE(!sgx_lp_in_enclave(lp));
	EXPECT_EQ(r.fsbase, 0x7f00000f0000);
	EXPECT_EQ(tcs_mem(e, FX_TCS0)->cssa, 1);
	e->pa[FX_SSA0 / SGX_PAGE_SIZE] = ssa_pa;
	EXPECT_EQ(gprsgx(e, FX_SSA0, 0)->exitinfo,
		  SGX_EXITINFO_VALID | (SGX_EXITINFO_TYPE_HW << 8) | SGX_VEC_PF);
	EXPECT_EQ(gprsgx(e, FX_SSA0, 0)->rip, 0x40006040);
	/* ERESUME takes the frame back once it is mapped again. */
	EXPECT_SGX(enclu_eresume(lp, &r), SGX_SUCCESS);
	EXPECT_EQ(r.rip, 0x40006040);
	fx_exit(lp);
	fx_free(fx);
}

TEST(aex_outside_enclave_gp)
{
	SETUP(v);
	struct sgx_regs r = { 0 };

	EXPECT_SGX(sgx_aex(v.lp, &r, &pf_exc), SGX_GP);
	EXPECT_EQ(r.rax, 0);
	fx_free(v.fx);
}

TEST(aex_leaves_enclave_eremove_success)
{
	SETUP_ENTERED(0x9000);

	EXPECT_SGX(encls_eremove(fx->klp, e->pa[FX_RODATA / SGX_PAGE_SIZE]), SGX_ENCLAVE_ACT);
	ASSERT_SGX(sgx_aex(lp, &r, &pf_exc), SGX_SUCCESS);
	EXPECT_SGX(encls_eremove(fx->klp, e->pa[FX_RODATA / SGX_PAGE_SIZE]), SGX_SUCCESS);
	/* ERESUME counts the thread inside again. */
	ASSERT_SGX(enclu_eresume(lp, &r), SGX_SUCCESS);
	EXPECT_SGX(encls_eremove(fx->klp, e->pa[FX_DATA / SGX_PAGE_SIZE + 2]), SGX_ENCLAVE_ACT);
	fx_exit(lp);
	fx_free(fx);
}

/* Enter, AEX once; @r holds the synthetic state (ready for ERESUME). */
static struct sgx_lp *after_aex(struct fx_enclave *e, struct sgx_regs *r)
{
	struct sgx_lp *lp = enter_inside(e, r, 0xA000);

	if (lp && sgx_aex(lp, r, &pf_exc)) {
		harness_fail(__FILE__, __LINE__, "AEX failed");
		return NULL;
	}
	return lp;
}

/* Declare @fx, @e, @r and @lp: the default enclave after after_aex(). */
#define SETUP_AFTER_AEX()                                     \
	SETUP_FX(fx, e);                                      \
	struct sgx_regs r;                                    \
	struct sgx_lp *lp = after_aex(e, &r);                 \
	ASSERT_TRUE(lp)

TEST(eresume_cssa_zero_gp)
{
	SETUP(v);
	struct sgx_regs r = { .rbx = fx_la(v.e, FX_TCS0), .rcx = FX_AEP };

	EXPECT_SGX(enclu_eresume(v.lp, &r), SGX_GP);
	EXPECT_TRUE(!sgx_lp_in_enclave(v.lp));
	EXPECT_EQ(tcs_mem(v.e, FX_TCS0)->aep, 0);
	fx_free(v.fx);
}

TEST(eresume_in_enclave_gp)
{
	SETUP_AFTER_AEX();
	struct sgx_regs r1 = { 0 };

	ASSERT_SGX(fx_enter(lp, e, FX_TCS1, &r1), SGX_SUCCESS);
	EXPECT_SGX(enclu_eresume(lp, &r), SGX_GP);
	EXPECT_EQ(tcs_mem(e, FX_TCS0)->cssa, 1);
	fx_exit(lp);
	fx_free(fx);
}

TEST(eresume_tcs_active_gp)
{
	SETUP_AFTER_AEX();
	struct sgx_regs r1 = { 0 };
	struct sgx_lp *lp2 = fx_lp(e);

	/* The handler runs on frame 1 through the same TCS ... */
	ASSERT_SGX(fx_enter(lp, e, FX_TCS0, &r1), SGX_SUCCESS);
	/* ... so nobody may ERESUME through it meanwhile. */
	EXPECT_SGX(enclu_eresume(lp2, &r), SGX_GP);
	EXPECT_TRUE(!sgx_lp_in_enclave(lp2));
	EXPECT_EQ(tcs_mem(e, FX_TCS0)->cssa, 1);
	fx_exit(lp);
	EXPECT_SGX(enclu_eresume(lp2, &r), SGX_SUCCESS);
	fx_exit(lp2);
	fx_free(fx);
}

/*
 * After an AEX, the statement @edit changes the frame (GPRSGX at g, the
 * XSAVE area at xs); ERESUME then gives @want, leaves the LP outside and
 * the TCS usable.
 */
#define ERESUME_EDITED_TEST(name, edit, want)                                   \
	TEST(name)                                                              \
	{                                                                       \
		SETUP_AFTER_AEX();                                              \
		struct sgx_gprsgx *g = gprsgx(e, FX_SSA0, 0);                   \
		uint8_t *xs = fx_mem(e, FX_SSA0);                               \
		(void)g;                                                        \
		(void)xs;                                                       \
		edit;                                                           \
		EXPECT_SGX(enclu_eresume(lp, &r), want);                        \
		EXPECT_TRUE(!sgx_lp_in_enclave(lp));                            \
		EXPECT_EQ(tcs_mem(e, FX_TCS0)->cssa, 1);                        \
		EXPECT_SGX(fx_enter(lp, e, FX_TCS0, NULL), SGX_SUCCESS);        \
		fx_exit(lp);                                                    \
		fx_free(fx);                                                    \
	}

ERESUME_EDITED_TEST(eresume_rip_noncanonical_gp, g->rip = NONCANONICAL, SGX_GP)
ERESUME_EDITED_TEST(eresume_fsbase_noncanonical_gp, g->fsbase = NONCANONICAL, SGX_GP)
ERESUME_EDITED_TEST(eresume_gsbase_noncanonical_gp, g->gsbase = NONCANONICAL | 0x1000, SGX_GP)
/* AVX state in a XFRM=3 enclave */
ERESUME_EDITED_TEST(eresume_xrstor_xstate_bv_beyond_xfrm_gp, xs[512] = 0x4, SGX_GP)
ERESUME_EDITED_TEST(eresume_xrstor_header_reserved_gp, xs[530] = 0x1, SGX_GP)
ERESUME_EDITED_TEST(eresume_xrstor_mxcsr_reserved_gp, xs[27] = 0x1, SGX_GP)

TEST(eresume_ssa_pt_readonly_pf)
{
	SETUP_AFTER_AEX();

	e->pt_perm[FX_SSA0 / SGX_PAGE_SIZE] = SGX_SECINFO_R;
	EXPECT_SGX(enclu_eresume(lp, &r), SGX_PF);
	EXPECT_PF(lp, fx_la(e, FX_SSA0), SGX_PF_U | SGX_PF_W | SGX_PF_P);
	EXPECT_TRUE(!sgx_lp_in_enclave(lp));
	EXPECT_EQ(tcs_mem(e, FX_TCS0)->cssa, 1);
	e->pt_perm[FX_SSA0 / SGX_PAGE_SIZE] = SGX_SECINFO_R | SGX_SECINFO_W;
	EXPECT_SGX(enclu_eresume(lp, &r), SGX_SUCCESS);
	fx_exit(lp);
	fx_free(fx);
}

TEST(eresume_ssa_page_removed_pf)
{
	SETUP_AFTER_AEX();

	ASSERT_SGX(encls_eremove(fx->klp, e->pa[FX_SSA0 / SGX_PAGE_SIZE]), SGX_SUCCESS);
	EXPECT_SGX(enclu_eresume(lp, &r), SGX_PF);
	EXPECT_PF(lp, fx_la(e, FX_SSA0), PF_EPCM_W);
	EXPECT_TRUE(!sgx_lp_in_enclave(lp));
	fx_free(fx);
}

TEST(eresume_rbx_unaligned_gp)
{
	SETUP_AFTER_AEX();

	r.rbx += 8;
	EXPECT_SGX(enclu_eresume(lp, &r), SGX_GP);
	fx_free(fx);
}

TEST(eresume_tcs_not_tcs_pf)
{
	SETUP_AFTER_AEX();

	r.rbx = fx_la(e, FX_SSA0);
	EXPECT_SGX(enclu_eresume(lp, &r), SGX_PF);
	EXPECT_PF(lp, fx_la(e, FX_SSA0), PF_EPCM_W);
	fx_free(fx);
}

TEST(eresume_aep_noncanonical_gp)
{
	SETUP_AFTER_AEX();

	r.rcx = NONCANONICAL;
	EXPECT_SGX(enclu_eresume(lp, &r), SGX_GP);
	EXPECT_EQ(tcs_mem(e, FX_TCS0)->aep, FX_AEP);
	fx_free(fx);
}

TEST(eresume_rflags_if_only_with_iopl3)
{
	SETUP_AFTER_AEX();
	struct sgx_regs keep = r;

	/* IOPL 0: IF stays as it is outside (clear here); VM is cleared. */
	r.rflags = 0x20002;
	ASSERT_SGX(enclu_eresume(lp, &r), SGX_SUCCESS);
	EXPECT_EQ(r.rflags, RFLAGS_INSIDE & ~0x200ull);
	ASSERT_SGX(sgx_aex(lp, &r, &pf_exc), SGX_SUCCESS);
	/* IOPL 3: IF comes from the SSA (set there, clear outside); IOPL kept. */
	r = keep;
	gprsgx(e, FX_SSA0, 0)->rflags = RFLAGS_INSIDE;
	r.rflags = 0x3002;
	ASSERT_SGX(enclu_eresume(lp, &r), SGX_SUCCESS);
	EXPECT_EQ(r.rflags, RFLAGS_INSIDE | 0x3000);
	fx_exit(lp);
	fx_free(fx);
}
