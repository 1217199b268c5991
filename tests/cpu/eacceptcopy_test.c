/* SPDX-License-Identifier: MIT */
/*
 * EACCEPTCOPY: every check of the SDM pseudo-code in order (with the
 * erratum fixes (docs/fidelity.md): SECINFO page base, R of the source, BLOCKED
 * of the destination), and the effect: the source copied through the
 * processor's page storage, RWX from the SECINFO, PENDING cleared. The
 * in-use #GP is in edmm_race_test.c.
 */
#include "common.h"

#define SRC SPARE                               /* EADDed RW, fixture's byte pattern */
#define DST FX_FREE                             /* EAUGed by every test */

/* The default machine with DST EAUGed; inside through TCS0 if @enter. */
static bool copy_env(struct env *v, bool enter)
{
	return env_new(v) && fx_eaug(v->e, DST, NULL) == SGX_SUCCESS && (!enter || env_enter(v));
}

#define SETUP_COPY(v)                                 \
	struct env v;                                 \
	ASSERT_TRUE(copy_env(&v, true))

static uint64_t la(struct env *v, uint64_t off)
{
	return fx_la(v->e, off);
}

/* EACCEPTCOPY with the SECINFO @flags at @si_off; operands as enclave offsets. */
static int copy_si(struct env *v, uint64_t si_off, uint64_t flags, uint64_t dst, uint64_t src)
{
	fx_put_secinfo(v->e, si_off, flags);
	return enclu_eacceptcopy(v->lp, la(v, si_off), la(v, dst), la(v, src));
}

static int copy_off(struct env *v, uint64_t flags, uint64_t dst, uint64_t src)
{
	return copy_si(v, SI_OFF, flags, dst, src);
}

static int copy(struct env *v, uint64_t flags)
{
	return copy_off(v, flags, DST, SRC);
}

/* DST is still as EAUG left it: pending, RW, zero. */
static bool dst_untouched(struct env *v)
{
	struct sgx_epcm_info i = fx_epcm(v->e, DST);
	const uint8_t *mem = fx_mem(v->e, DST);

	return i.valid && i.pending && i.perm == RW && mem[0] == 0 && mem[SGX_PAGE_SIZE - 1] == 0;
}

/* Success paths */

TEST(eacceptcopy_rx_success)
{
	SETUP_COPY(v);
	struct sgx_epcm_info info;

	ASSERT_SGX(copy(&v, SGX_SECINFO_REG | SGX_SECINFO_R | SGX_SECINFO_X), SGX_SUCCESS);
	EXPECT_EQ(sgx_lp_rflags(v.lp) & ZF_CF, 0);
	info = fx_epcm(v.e, DST);
	EXPECT_TRUE(info.valid && !info.pending && !info.modified && !info.pr);
	EXPECT_EQ(info.perm, SGX_SECINFO_R | SGX_SECINFO_X);
	EXPECT_EQ(info.type, SGX_PAGE_TYPE_REG);
	EXPECT_EQ(info.linaddr, la(&v, DST));
	EXPECT_TRUE(!memcmp(fx_mem(v.e, DST), fx_mem(v.e, SRC), SGX_PAGE_SIZE));
	fx_free(v.fx);
}

TEST(eacceptcopy_contents_copied)
{
	SETUP_COPY(v);
	uint8_t *src = fx_mem(v.e, SRC);
	int i;

	for (i = 0; i < (int)SGX_PAGE_SIZE; i++)
		src[i] = (uint8_t)(i ^ 0x5A);
	ASSERT_SGX(copy(&v, REG_RW), SGX_SUCCESS);
	EXPECT_TRUE(!memcmp(fx_mem(v.e, DST), src, SGX_PAGE_SIZE));
	EXPECT_EQ(fx_epcm(v.e, DST).perm, RW);
	fx_free(v.fx);
}

TEST(eacceptcopy_no_permissions_success)
{
	SETUP_COPY(v);

	ASSERT_SGX(copy(&v, SGX_SECINFO_REG), SGX_SUCCESS);
	EXPECT_EQ(fx_epcm(v.e, DST).perm, 0);
	EXPECT_TRUE(!fx_epcm(v.e, DST).pending);
	fx_free(v.fx);
}

/* The SECINFO page base, not RBX itself, is compared with ENCLAVEADDRESS (erratum). */
TEST(eacceptcopy_secinfo_mid_page_success)
{
	SETUP_COPY(v);

	EXPECT_SGX(copy_si(&v, SI_OFF + 0x7C0, SGX_SECINFO_REG | SGX_SECINFO_R, DST, SRC),
		   SGX_SUCCESS);
	EXPECT_EQ(fx_epcm(v.e, DST).perm, SGX_SECINFO_R);
	fx_free(v.fx);
}

/* Prologue */

TEST(eacceptcopy_outside_enclave_gp)
{
	struct env v;

	ASSERT_TRUE(copy_env(&v, false));
	EXPECT_SGX(copy(&v, REG_RW), SGX_GP);
	EXPECT_TRUE(dst_untouched(&v));
	fx_free(v.fx);
}

TEST(eacceptcopy_no_sgx2_gp)
{
	struct env v;

	ASSERT_TRUE(env_build(&v, fx_new_sgx1()) && env_enter(&v));
	EXPECT_SGX(copy_off(&v, REG_RW, PAGE, SRC), SGX_GP);
	fx_free(v.fx);
}

/* Alignment, ELRANGE, translation */

/* With a SECINFO REG|RW at @si_off, EACCEPTCOPY(@rbx, @rcx, @rdx): #GP, DST untouched. */
#define OPERAND_GP_TEST(name, si_off, rbx, rcx, rdx)                          \
	TEST(name)                                                            \
	{                                                                     \
		SETUP_COPY(v);                                                \
		fx_put_secinfo(v.e, si_off, REG_RW);                          \
		EXPECT_SGX(enclu_eacceptcopy(v.lp, rbx, rcx, rdx), SGX_GP);   \
		EXPECT_TRUE(dst_untouched(&v));                               \
		fx_free(v.fx);                                                \
	}

OPERAND_GP_TEST(eacceptcopy_secinfo_unaligned_gp, SI_OFF + 64, la(&v, SI_OFF + 64 + 32),
		la(&v, DST), la(&v, SRC))
OPERAND_GP_TEST(eacceptcopy_dst_unaligned_gp, SI_OFF, la(&v, SI_OFF), la(&v, DST) + 8, la(&v, SRC))
OPERAND_GP_TEST(eacceptcopy_src_unaligned_gp, SI_OFF, la(&v, SI_OFF), la(&v, DST),
		la(&v, SRC) + 0x800)

TEST(eacceptcopy_outside_elrange_gp)
{
	SETUP_COPY(v);
	uint64_t out = v.e->base + v.e->size;

	fx_put_secinfo(v.e, SI_OFF, REG_RW);
	EXPECT_SGX(enclu_eacceptcopy(v.lp, out, la(&v, DST), la(&v, SRC)), SGX_GP);
	EXPECT_SGX(enclu_eacceptcopy(v.lp, la(&v, SI_OFF), out, la(&v, SRC)), SGX_GP);
	EXPECT_SGX(enclu_eacceptcopy(v.lp, la(&v, SI_OFF), la(&v, DST), v.e->base - SGX_PAGE_SIZE),
		   SGX_GP);
	EXPECT_TRUE(dst_untouched(&v));
	fx_free(v.fx);
}

TEST(eacceptcopy_secinfo_not_epc_pf)
{
	SETUP_COPY(v);

	map(v.e, ALIAS, 0x3000);
	EXPECT_SGX(enclu_eacceptcopy(v.lp, la(&v, ALIAS), la(&v, DST), la(&v, SRC)), SGX_PF);
	EXPECT_PF(v.lp, la(&v, ALIAS), PF_EPCM);
	fx_free(v.fx);
}

/*
 * EACCEPTCOPY with a SECINFO REG|RW at @si_off, of @dst from @src: #PF at
 * @fault with @pfec, DST untouched.
 */
static void copy_pf(struct env *v, uint64_t si_off, uint64_t dst, uint64_t src, uint64_t fault,
		    uint32_t pfec)
{
	EXPECT_SGX(copy_si(v, si_off, REG_RW, dst, src), SGX_PF);
	EXPECT_PF(v->lp, la(v, fault), pfec);
	EXPECT_TRUE(dst_untouched(v));
}

/* After @prep, copy_pf(). */
#define COPY_PF_TEST(name, prep, si_off, dst, src, fault, pfec)                 \
	TEST(name)                                                              \
	{                                                                       \
		SETUP_COPY(v);                                                  \
		prep;                                                           \
		copy_pf(&v, si_off, dst, src, fault, pfec);                     \
		fx_free(v.fx);                                                  \
	}

/* The destination is translated for a write; RCX faults before RDX. */
COPY_PF_TEST(eacceptcopy_dst_unmapped_pf, (void)0, SI_OFF, ALIAS, ALIAS + SGX_PAGE_SIZE, ALIAS,
	     SGX_PF_U | SGX_PF_W)
COPY_PF_TEST(eacceptcopy_dst_not_epc_pf, map(v.e, ALIAS, 0x3000), SI_OFF, ALIAS, SRC, ALIAS,
	     PF_EPCM_W)
COPY_PF_TEST(eacceptcopy_src_not_epc_pf, map(v.e, ALIAS, 0x3000), SI_OFF, DST, ALIAS, ALIAS,
	     PF_EPCM)
/* All three operands are translated before the SECINFO page's EPCM check. */
COPY_PF_TEST(eacceptcopy_src_not_epc_before_secinfo_page_pf, map(v.e, ALIAS, 0x3000), FX_TCS1,
	     DST, ALIAS, ALIAS, PF_EPCM)

/* SECINFO operand */

COPY_PF_TEST(eacceptcopy_secinfo_page_tcs_pf, (void)0, FX_TCS1 + 0x100, DST, SRC,
	     FX_TCS1 + 0x100, PF_EPCM)
COPY_PF_TEST(eacceptcopy_secinfo_page_pending_pf, (void)0, DST + 0x40, DST, SRC, DST + 0x40,
	     PF_EPCM)

/* EACCEPTCOPY with each SECINFO of @flags: #GP, DST untouched. */
static void secinfo_gp(const uint64_t *flags, size_t n)
{
	SETUP_COPY(v);
	size_t i;

	for (i = 0; i < n; i++) {
		EXPECT_SGX(copy(&v, flags[i]), SGX_GP);
		EXPECT_TRUE(dst_untouched(&v));
	}
	fx_free(v.fx);
}

#define SECINFO_GP_TEST(name, ...)                                        \
	TEST(name)                                                        \
	{                                                                 \
		static const uint64_t flags_[] = { __VA_ARGS__ };         \
		secinfo_gp(flags_, sizeof(flags_) / sizeof(flags_[0]));   \
	}

SECINFO_GP_TEST(eacceptcopy_secinfo_reserved_gp, REG_RW | 0x80, REG_RW | (1ull << 40))
SECINFO_GP_TEST(eacceptcopy_secinfo_w_without_r_gp, SGX_SECINFO_REG | SGX_SECINFO_W)
SECINFO_GP_TEST(eacceptcopy_secinfo_not_reg_gp, SGX_SECINFO_TCS,
		SGX_SECINFO_TRIM | SGX_SECINFO_MODIFIED)

/* Source operand */

/* R is read from the source's EPCM entry, not the destination's (erratum). */
TEST(eacceptcopy_src_not_readable_pf)
{
	struct env v;

	ASSERT_TRUE(copy_env(&v, false));
	ASSERT_SGX(emodpr(v.e, SRC, 0), SGX_SUCCESS);
	ASSERT_TRUE(env_enter(&v));
	copy_pf(&v, SI_OFF, DST, SRC, SRC, PF_EPCM);
	fx_free(v.fx);
}

COPY_PF_TEST(eacceptcopy_src_pending_pf,
	     ASSERT_SGX(fx_eaug(v.e, DST + SGX_PAGE_SIZE, NULL), SGX_SUCCESS), SI_OFF, DST,
	     DST + SGX_PAGE_SIZE, DST + SGX_PAGE_SIZE, PF_EPCM)
COPY_PF_TEST(eacceptcopy_src_tcs_pf, (void)0, SI_OFF, DST, FX_TCS1, FX_TCS1, PF_EPCM)
COPY_PF_TEST(eacceptcopy_src_blocked_pf,
	     ASSERT_SGX(encls_eblock(v.fx->klp, epc_of(v.e, SRC)), SGX_SUCCESS), SI_OFF, DST, SRC,
	     SRC, PF_EPCM)
COPY_PF_TEST(eacceptcopy_src_wrong_address_pf, map(v.e, ALIAS, epc_of(v.e, SRC)), SI_OFF, DST,
	     ALIAS, ALIAS, PF_EPCM)

TEST(eacceptcopy_src_foreign_pf)
{
	SETUP_COPY(v);
	struct fx_enclave *e2 = fx_build_init_at(v.fx, ENCL_B_BASE);

	ASSERT_TRUE(e2);
	map(v.e, ALIAS, epc_of(e2, SRC));
	copy_pf(&v, SI_OFF, DST, ALIAS, ALIAS, PF_EPCM);
	fx_free(v.fx);
}

/* The SECINFO is checked before the source. */
TEST(eacceptcopy_secinfo_checked_before_src_gp)
{
	SETUP_COPY(v);

	EXPECT_SGX(copy_off(&v, SGX_SECINFO_REG | SGX_SECINFO_W, DST, FX_TCS1), SGX_GP);
	fx_free(v.fx);
}

/* The source is checked before the destination. */
TEST(eacceptcopy_src_checked_before_dst_pf)
{
	SETUP_COPY(v);

	EXPECT_SGX(copy_off(&v, REG_RW, PAGE, FX_TCS1), SGX_PF);
	fx_free(v.fx);
}

/* Destination operand: SGX_PAGE_ATTRIBUTES_MISMATCH */

/* EACCEPTCOPY REG|RW to @dst from SRC: a mismatch, DST untouched. */
static void copy_mismatch(struct env *v, uint64_t dst)
{
	EXPECT_SGX(copy_off(v, REG_RW, dst, SRC), SGX_PAGE_ATTRIBUTES_MISMATCH);
	EXPECT_TRUE(dst_untouched(v));
}

#define MISMATCH_TEST(name, prep, dst)                                    \
	TEST(name)                                                        \
	{                                                                 \
		SETUP_COPY(v);                                            \
		prep;                                                     \
		copy_mismatch(&v, dst);                                   \
		fx_free(v.fx);                                            \
	}

MISMATCH_TEST(eacceptcopy_dst_tcs_mismatch, (void)0, FX_TCS1)
MISMATCH_TEST(eacceptcopy_dst_invalid_mismatch, map(v.e, ALIAS, fx_epc_alloc(v.fx)), ALIAS)
/* Re-check after the in-use mark: ENCLAVEADDRESS must be RCX. */
MISMATCH_TEST(eacceptcopy_dst_wrong_address_mismatch, map(v.e, ALIAS, epc_of(v.e, DST)), ALIAS)

TEST(eacceptcopy_dst_not_pending_mismatch)
{
	SETUP_COPY(v);

	copy_mismatch(&v, PAGE);
	EXPECT_EQ(sgx_lp_rflags(v.lp) & SGX_RFLAGS_ZF, SGX_RFLAGS_ZF);
	EXPECT_EQ(fx_epcm(v.e, PAGE).perm, RW);
	fx_free(v.fx);
}

TEST(eacceptcopy_dst_trim_mismatch)
{
	SETUP_COPY(v);

	ASSERT_SGX(emodt(v.e, PAGE, SGX_SECINFO_TRIM), SGX_SUCCESS);
	copy_mismatch(&v, PAGE);
	EXPECT_TRUE(fx_epcm(v.e, PAGE).modified);
	fx_free(v.fx);
}

/* BLOCKED is read from the destination's entry (erratum). */
TEST(eacceptcopy_dst_blocked_mismatch)
{
	SETUP_COPY(v);

	ASSERT_SGX(encls_eblock(v.fx->klp, epc_of(v.e, DST)), SGX_SUCCESS);
	copy_mismatch(&v, DST);
	EXPECT_TRUE(fx_epcm(v.e, DST).pending);
	fx_free(v.fx);
}

TEST(eacceptcopy_dst_foreign_mismatch)
{
	SETUP_COPY(v);
	struct fx_enclave *e2 = fx_build_init_at(v.fx, ENCL_B_BASE);
	uint64_t epc;

	ASSERT_TRUE(e2);
	ASSERT_SGX(fx_eaug(e2, DST, &epc), SGX_SUCCESS);
	map(v.e, ALIAS, epc);
	copy_mismatch(&v, ALIAS);
	EXPECT_TRUE(fx_epcm(e2, DST).pending);
	fx_free(v.fx);
}
