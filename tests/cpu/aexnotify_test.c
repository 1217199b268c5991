/* SPDX-License-Identifier: MIT */
/*
 * AEX-Notify (SDM: ENCLU[EDECCSSA], ERESUME): the enumeration, ATTRIBUTES.AEXNOTIFY and
 * TCS.FLAGS.AEXNOTIFY in EENTER/ERESUME's checks (in the SDM's position),
 * ERESUME's notify branch (into the enclave at OENTRY on the next SSA frame,
 * CSSA unchanged) and ENCLU[EDECCSSA] with its checks in order; and a
 * processor without AEX-Notify, which refuses all of it.
 */
#include "common.h"

static const struct sgx_exception irq = { .vector = 32 }; /* an interrupt: EXITINFO not valid */

/* A SECS with ATTRIBUTES.AEXNOTIFY = @attr. */
static void secs_notify(struct sgx_secs *secs, bool attr)
{
	fx_secs_default(secs, FX_ENCL_BASE, FX_ENCL_SIZE);
	if (attr)
		secs->attributes.flags |= SGX_ATTR_AEXNOTIFY;
}

/* EENTER through TCS0 of @e (RSP/RBP as fx_enter() sets them) into @r. */
static int eenter(struct sgx_lp *lp, struct fx_enclave *e, struct sgx_regs *r)
{
	memset(r, 0, sizeof(*r));
	r->fsbase = 0x7f00000f0000;
	r->gsbase = 0x7f00000e0000;
	return fx_enter(lp, e, FX_TCS0, r);
}

/*
 * On an enclave with ATTRIBUTES.AEXNOTIFY = @attr and a TCS0 with FLAGS
 * @tcs_flags and NSSA @tcs_nssa, built on a processor with (@feature) or without
 * AEX-Notify, the statements after these run with @lp outside.
 */
#define NOTIFY_ENCLAVE(feature, attr, tcs_flags, tcs_nssa, ...)                   \
	do {                                                                \
		struct sgx_cpu_config cfg_;                                 \
		struct sgx_secs secs_;                                      \
		struct sgx_tcs tcs_;                                        \
		struct fx *fx;                                              \
		struct fx_enclave *e;                                       \
		sgx_cpu_config_default(&cfg_);                              \
		cfg_.epc_pages = 256;                                       \
		cfg_.aexnotify = (feature);                                 \
		fx = fx_new_config(&cfg_);                                  \
		secs_notify(&secs_, (attr));                                \
		fx_tcs_default(&tcs_, FX_SSA0);                             \
		tcs_.flags = (tcs_flags);                                   \
		tcs_.nssa = (tcs_nssa);                                     \
		e = build_custom(fx, &secs_, &tcs_);                        \
		if (e) {                                                    \
			struct sgx_lp *lp = fx_lp(e);                       \
			__VA_ARGS__;                                        \
		}                                                           \
		fx_free(fx);                                                \
	} while (0)

TEST(cpuid_enumerates_aexnotify)
{
	struct sgx_cpu_config cfg;
	uint32_t r[4] = { 0 };
	struct fx *fx = fx_new(0);

	sgx_cpu_cpuid(fx->cpu, 0x12, 0, r);
	EXPECT_EQ(r[0] & (1u << 11), 1u << 11); /* EDECCSSA */
	sgx_cpu_cpuid(fx->cpu, 0x12, 1, r);
	EXPECT_EQ(r[0] & SGX_ATTR_AEXNOTIFY, SGX_ATTR_AEXNOTIFY);
	fx_free(fx);
	sgx_cpu_config_default(&cfg);
	cfg.epc_pages = 256;
	cfg.aexnotify = false;
	fx = fx_new_config(&cfg);
	sgx_cpu_cpuid(fx->cpu, 0x12, 0, r);
	EXPECT_EQ(r[0], 3u); /* SGX1, SGX2 */
	sgx_cpu_cpuid(fx->cpu, 0x12, 1, r);
	EXPECT_EQ(r[0] & SGX_ATTR_AEXNOTIFY, 0);
	fx_free(fx);
}

/* Both bits set: EENTER succeeds; the TCS flag is kept by EADD (and measured). */
TEST(eenter_aexnotify_tcs_and_secs_success)
{
	NOTIFY_ENCLAVE(true, true, SGX_TCS_FLAGS_AEXNOTIFY, 2, {
		struct sgx_regs r;

		EXPECT_EQ(tcs_mem(e, FX_TCS0)->flags, SGX_TCS_FLAGS_AEXNOTIFY);
		EXPECT_SGX(eenter(lp, e, &r), SGX_SUCCESS);
		fx_exit(lp);
	});
}

/* A processor without AEX-Notify: TCS.FLAGS bit 1 is reserved (#GP) ... */
TEST(eenter_tcs_aexnotify_without_feature_gp)
{
	NOTIFY_ENCLAVE(false, false, SGX_TCS_FLAGS_AEXNOTIFY, 2, {
		struct sgx_regs r;

		EXPECT_SGX(eenter(lp, e, &r), SGX_GP);
		EXPECT_TRUE(!sgx_lp_in_enclave(lp));
		r.rbx = fx_la(e, FX_TCS0);
		EXPECT_SGX(enclu_eresume(lp, &r), SGX_GP);
	});
}

/* ... and ENCLU leaf 9 is undefined: #GP. */
TEST(edeccssa_without_feature_undefined_gp)
{
	NOTIFY_ENCLAVE(false, false, 0, 2, {
		struct sgx_regs r;

		ASSERT_SGX(eenter(lp, e, &r), SGX_SUCCESS);
		r.rax = ENCLU_EDECCSSA;
		EXPECT_SGX(enclu(lp, &r), SGX_GP);
		EXPECT_TRUE(sgx_lp_in_enclave(lp));
		fx_exit(lp);
	});
}

/* TCS.FLAGS.AEXNOTIFY != SECS.ATTRIBUTES.AEXNOTIFY with DBGOPTIN = 0: #GP, either way round. */
TEST(eenter_aexnotify_mismatch_gp)
{
	NOTIFY_ENCLAVE(true, true, 0, 2, {
		struct sgx_regs r;

		EXPECT_SGX(eenter(lp, e, &r), SGX_GP);
		EXPECT_TRUE(!sgx_lp_in_enclave(lp));
	});
	NOTIFY_ENCLAVE(true, false, SGX_TCS_FLAGS_AEXNOTIFY, 2, {
		struct sgx_regs r;

		EXPECT_SGX(eenter(lp, e, &r), SGX_GP);
		/* DBGOPTIN = 1 (a debugger's EDBGWR; EADD clears it): the mismatch is allowed. */
		tcs_mem(e, FX_TCS0)->flags |= SGX_TCS_FLAGS_DBGOPTIN;
		EXPECT_SGX(eenter(lp, e, &r), SGX_SUCCESS);
		fx_exit(lp);
	});
}

/* The mismatch #GP comes before the CSSA and SSA checks: with an unmapped SSA it is still #GP. */
TEST(eenter_aexnotify_mismatch_before_ssa_pf_gp)
{
	NOTIFY_ENCLAVE(true, true, 0, 2, {
		struct sgx_regs r;

		e->pt_perm[FX_SSA0 / SGX_PAGE_SIZE] = 0; /* no access: EENTER would #PF there */
		EXPECT_SGX(eenter(lp, e, &r), SGX_GP);
		tcs_mem(e, FX_TCS0)->flags = SGX_TCS_FLAGS_AEXNOTIFY; /* no mismatch: now the #PF */
		EXPECT_SGX(eenter(lp, e, &r), SGX_PF);
		EXPECT_PF(lp, fx_la(e, FX_SSA0), SGX_PF_P | SGX_PF_U | SGX_PF_W);
	});
}

/* Enter, then an interrupt's AEX into frame 0: CSSA 1, the thread outside. */
static bool enter_and_aex(struct sgx_lp *lp, struct fx_enclave *e, struct sgx_regs *r)
{
	if (eenter(lp, e, r) != SGX_SUCCESS)
		return false;
	r->rip = fx_la(e, FX_CODE + 0x40);
	r->rax = 0x1234;
	r->rsp = fx_la(e, FX_DATA + 0x800);
	return sgx_aex(lp, r, &irq) == SGX_SUCCESS && tcs_mem(e, FX_TCS0)->cssa == 1;
}

/*
 * ERESUME with NOTIFY (TCS flag and frame 0's AEXNOTIFY bit 0): into the
 * enclave at OENTRY on frame 1, RAX = CSSA = 1, FS/GS from the TCS, RCX the
 * address after ENCLU, outside RSP/RBP in frame 1; frame 0 stays as AEX left it.
 */
TEST(eresume_notify_enters_at_oentry)
{
	NOTIFY_ENCLAVE(true, true, SGX_TCS_FLAGS_AEXNOTIFY, 2, {
		struct sgx_regs r;

		ASSERT_TRUE(enter_and_aex(lp, e, &r));
		EXPECT_EQ(gprsgx(e, FX_SSA0, 0)->aexnotify, 0); /* AEX leaves the byte alone */
		gprsgx(e, FX_SSA0, 0)->aexnotify = 1;          /* as the enclave armed it */
		r.rip = FX_AEP;
		r.rsp = FX_URSP + 0x40;
		r.rbp = FX_URBP + 0x40;
		ASSERT_SGX(enclu_eresume(lp, &r), SGX_SUCCESS);
		EXPECT_TRUE(sgx_lp_in_enclave(lp));
		EXPECT_EQ(r.rip, fx_la(e, FX_CODE));
		EXPECT_EQ(r.rax, 1);
		EXPECT_EQ(r.rcx, FX_AEP + 3);
		EXPECT_EQ(r.fsbase, fx_la(e, FX_DATA));
		EXPECT_EQ(r.gsbase, fx_la(e, FX_DATA + SGX_PAGE_SIZE));
		EXPECT_EQ(tcs_mem(e, FX_TCS0)->cssa, 1);
		EXPECT_EQ(gprsgx(e, FX_SSA0, 1)->ursp, FX_URSP + 0x40);
		EXPECT_EQ(gprsgx(e, FX_SSA0, 1)->urbp, FX_URBP + 0x40);
		EXPECT_EQ(gprsgx(e, FX_SSA0, 0)->rip, fx_la(e, FX_CODE + 0x40));
		EXPECT_EQ(gprsgx(e, FX_SSA0, 0)->rax, 0x1234);
		fx_exit(lp);
	});
}

/* Without the frame's bit (or without the TCS flag), ERESUME resumes as always. */
TEST(eresume_without_notify_bit_resumes)
{
	NOTIFY_ENCLAVE(true, true, SGX_TCS_FLAGS_AEXNOTIFY, 2, {
		struct sgx_regs r;

		ASSERT_TRUE(enter_and_aex(lp, e, &r));
		gprsgx(e, FX_SSA0, 0)->aexnotify = 0xFE; /* only bit 0 counts */
		r.rip = FX_AEP;
		ASSERT_SGX(enclu_eresume(lp, &r), SGX_SUCCESS);
		EXPECT_EQ(r.rip, fx_la(e, FX_CODE + 0x40));
		EXPECT_EQ(r.rax, 0x1234);
		EXPECT_EQ(tcs_mem(e, FX_TCS0)->cssa, 0);
		fx_exit(lp);
	});
	NOTIFY_ENCLAVE(true, false, 0, 2, {
		struct sgx_regs r;

		ASSERT_TRUE(enter_and_aex(lp, e, &r));
		gprsgx(e, FX_SSA0, 0)->aexnotify = 1; /* no TCS flag: no notify */
		r.rip = FX_AEP;
		ASSERT_SGX(enclu_eresume(lp, &r), SGX_SUCCESS);
		EXPECT_EQ(r.rip, fx_la(e, FX_CODE + 0x40));
		fx_exit(lp);
	});
}

/* Notify with CSSA = NSSA (one frame, in use): #GP, the thread stays out, CSSA 1. */
TEST(eresume_notify_cssa_ge_nssa_gp)
{
	NOTIFY_ENCLAVE(true, true, SGX_TCS_FLAGS_AEXNOTIFY, 1, {
		struct sgx_regs r;

		ASSERT_TRUE(enter_and_aex(lp, e, &r));
		gprsgx(e, FX_SSA0, 0)->aexnotify = 1;
		r.rip = FX_AEP;
		EXPECT_SGX(enclu_eresume(lp, &r), SGX_GP);
		EXPECT_TRUE(!sgx_lp_in_enclave(lp));
		EXPECT_EQ(tcs_mem(e, FX_TCS0)->cssa, 1);
		/* Disarmed, the same ERESUME resumes frame 0. */
		gprsgx(e, FX_SSA0, 0)->aexnotify = 0;
		EXPECT_SGX(enclu_eresume(lp, &r), SGX_SUCCESS);
		fx_exit(lp);
	});
}

/* Notify: frame CSSA's page is checked as EENTER checks it (#PF there). */
TEST(eresume_notify_next_frame_pf)
{
	NOTIFY_ENCLAVE(true, true, SGX_TCS_FLAGS_AEXNOTIFY, 2, {
		struct sgx_regs r;

		ASSERT_TRUE(enter_and_aex(lp, e, &r));
		gprsgx(e, FX_SSA0, 0)->aexnotify = 1;
		e->pt_perm[(FX_SSA0 + SGX_PAGE_SIZE) / SGX_PAGE_SIZE] = SGX_SECINFO_R;
		r.rip = FX_AEP;
		EXPECT_SGX(enclu_eresume(lp, &r), SGX_PF);
		EXPECT_PF(lp, fx_la(e, FX_SSA0 + SGX_PAGE_SIZE), SGX_PF_P | SGX_PF_U | SGX_PF_W);
		EXPECT_TRUE(!sgx_lp_in_enclave(lp));
	});
}

/*
 * EDECCSSA in the handler the notify entered: CSSA 1 -> 0, RIP past it,
 * nothing else changed; the next AEX saves into frame 0 again.
 */
TEST(edeccssa_back_to_interrupted_frame)
{
	NOTIFY_ENCLAVE(true, true, SGX_TCS_FLAGS_AEXNOTIFY, 2, {
		struct sgx_regs r, before;

		ASSERT_TRUE(enter_and_aex(lp, e, &r));
		gprsgx(e, FX_SSA0, 0)->aexnotify = 1;
		r.rip = FX_AEP;
		ASSERT_SGX(enclu_eresume(lp, &r), SGX_SUCCESS);
		r.rip = fx_la(e, FX_CODE + 0x80);
		r.rax = ENCLU_EDECCSSA;
		r.rbx = 0x5555;
		before = r;
		ASSERT_SGX(enclu(lp, &r), SGX_SUCCESS);
		EXPECT_EQ(tcs_mem(e, FX_TCS0)->cssa, 0);
		EXPECT_EQ(r.rip, before.rip + 3);
		EXPECT_EQ(r.rax, ENCLU_EDECCSSA);
		EXPECT_EQ(r.rbx, 0x5555);
		EXPECT_EQ(r.rflags, before.rflags);
		EXPECT_TRUE(sgx_lp_in_enclave(lp));
		EXPECT_EQ(sgx_cpu_leaf_count(fx->cpu, SGX_LEAF_ENCLU(ENCLU_EDECCSSA)), 1);
		/* The next AEX writes frame 0. */
		r.rip = fx_la(e, FX_CODE + 0xC0);
		ASSERT_SGX(sgx_aex(lp, &r, &irq), SGX_SUCCESS);
		EXPECT_EQ(tcs_mem(e, FX_TCS0)->cssa, 1);
		EXPECT_EQ(gprsgx(e, FX_SSA0, 0)->rip, fx_la(e, FX_CODE + 0xC0));
	});
}

/* EDECCSSA's checks: outside enclave mode #GP; CSSA = 0 #GP; frame CSSA-1 not writable #PF. */
TEST(edeccssa_checks_in_order)
{
	NOTIFY_ENCLAVE(true, true, SGX_TCS_FLAGS_AEXNOTIFY, 2, {
		struct sgx_regs r = { .rax = ENCLU_EDECCSSA };

		EXPECT_SGX(enclu(lp, &r), SGX_GP); /* not in enclave mode */
		ASSERT_SGX(eenter(lp, e, &r), SGX_SUCCESS);
		r.rax = ENCLU_EDECCSSA;
		EXPECT_SGX(enclu(lp, &r), SGX_GP); /* CSSA = 0 */
		EXPECT_TRUE(sgx_lp_in_enclave(lp));
		fx_exit(lp);
	});
	NOTIFY_ENCLAVE(true, true, SGX_TCS_FLAGS_AEXNOTIFY, 2, {
		struct sgx_regs r;

		ASSERT_TRUE(enter_and_aex(lp, e, &r));
		gprsgx(e, FX_SSA0, 0)->aexnotify = 1;
		r.rip = FX_AEP;
		ASSERT_SGX(enclu_eresume(lp, &r), SGX_SUCCESS);
		e->pt_perm[FX_SSA0 / SGX_PAGE_SIZE] = SGX_SECINFO_R; /* frame 0: read-only mapping */
		r.rax = ENCLU_EDECCSSA;
		EXPECT_SGX(enclu(lp, &r), SGX_PF);
		EXPECT_PF(lp, fx_la(e, FX_SSA0), SGX_PF_P | SGX_PF_U | SGX_PF_W);
		EXPECT_EQ(tcs_mem(e, FX_TCS0)->cssa, 1);
		fx_exit(lp);
	});
}

/* The pause hook of an EREMOVE of the TCS: the thread inside runs EDECCSSA right then. */
struct tcs_in_use {
	struct sgx_lp *inside;
	struct fx_enclave *e;
	unsigned int paused_leaf;
	int result;
};

static void edeccssa_while_tcs_held(struct fx *fx, struct sgx_lp *lp, unsigned int leaf_id,
				    uint64_t epc, void *ctx)
{
	struct tcs_in_use *u = ctx;
	struct sgx_regs r = { .rax = ENCLU_EDECCSSA, .rip = fx_la(u->e, FX_CODE + 0x80) };

	(void)fx, (void)lp, (void)epc;
	u->paused_leaf = leaf_id;
	u->result = enclu(u->inside, &r);
}

/*
 * EDECCSSA of a TCS another SGX instruction holds (an EREMOVE of it, stopped
 * at its pause point): #GP, nothing changed; the EREMOVE then finds the
 * enclave active, and EDECCSSA made again succeeds.
 */
TEST(edeccssa_tcs_in_use_gp)
{
	NOTIFY_ENCLAVE(true, true, SGX_TCS_FLAGS_AEXNOTIFY, 2, {
		struct tcs_in_use u = { .inside = lp, .e = e, .result = -1 };
		struct sgx_lp *other = fx_lp(e);
		struct sgx_regs r;

		ASSERT_TRUE(enter_and_aex(lp, e, &r));
		gprsgx(e, FX_SSA0, 0)->aexnotify = 1;
		r.rip = FX_AEP;
		ASSERT_SGX(enclu_eresume(lp, &r), SGX_SUCCESS); /* into the handler, CSSA 1 */
		fx_on_pause(fx, edeccssa_while_tcs_held, &u);
		EXPECT_SGX(encls_eremove(other, epc_of(e, FX_TCS0)), SGX_ENCLAVE_ACT);
		EXPECT_EQ(u.paused_leaf, SGX_LEAF_ENCLS(ENCLS_EREMOVE));
		EXPECT_SGX(u.result, SGX_GP);
		EXPECT_EQ(tcs_mem(e, FX_TCS0)->cssa, 1);
		EXPECT_TRUE(sgx_lp_in_enclave(lp));
		r = (struct sgx_regs){ .rax = ENCLU_EDECCSSA, .rip = fx_la(e, FX_CODE + 0x80) };
		EXPECT_SGX(enclu(lp, &r), SGX_SUCCESS);
		EXPECT_EQ(tcs_mem(e, FX_TCS0)->cssa, 0);
		fx_exit(lp);
	});
}
