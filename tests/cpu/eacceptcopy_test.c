/* SPDX-License-Identifier: MIT */
/*
 * EACCEPTCOPY: every check of the SDM pseudo-code in order (with the
 * erratum fixes of reference §6: SECINFO page base, R of the source, BLOCKED
 * of the destination), and the effect: the source copied through the
 * processor's page storage, RWX from the SECINFO, PENDING cleared. The
 * in-use #GP is in edmm_race_test.c.
 */
#include "fixture.h"

#define SI_OFF FX_DATA
#define PAGE (FX_DATA + SGX_PAGE_SIZE)
#define SRC (FX_DATA + 2 * SGX_PAGE_SIZE)       /* EADDed RW, fixture's byte pattern */
#define DST FX_FREE                             /* EAUGed by every test */
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
	return v->e && fx_eaug(v->e, DST, NULL) == SGX_SUCCESS;
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

/* EACCEPTCOPY with the SECINFO @flags at SI_OFF; operands as enclave offsets. */
static int copy_off(struct env *v, uint64_t flags, uint64_t dst, uint64_t src)
{
	fx_put_secinfo(v->e, SI_OFF, flags);
	return enclu_eacceptcopy(v->lp, la(v, SI_OFF), la(v, dst), la(v, src));
}

static int copy(struct env *v, uint64_t flags)
{
	return copy_off(v, flags, DST, SRC);
}

static bool pf_at(struct env *v, uint64_t addr, uint32_t code)
{
	const struct sgx_fault_info *f = sgx_lp_fault(v->lp);

	return f->vector == SGX_VEC_PF && f->addr == addr && f->error_code == code;
}

/* DST is still as EAUG left it: pending, RW, zero. */
static bool dst_untouched(struct env *v)
{
	struct sgx_epcm_info i = fx_epcm(v->e, DST);
	const uint8_t *mem = fx_mem(v->e, DST);

	return i.valid && i.pending && i.perm == RW && mem[0] == 0 && mem[SGX_PAGE_SIZE - 1] == 0;
}

static int emodpr(struct env *v, uint64_t off, uint64_t perm)
{
	struct sgx_secinfo si = { .flags = perm };

	return encls_emodpr(v->fx->klp, &si, epc_of(v->e, off));
}

#define SETUP(v)                                      \
	struct env v;                                 \
	ASSERT_TRUE(env_new(&v) && env_enter(&v))

/* Success paths */

TEST(eacceptcopy_rx_success)
{
	SETUP(v);
	struct sgx_epcm_info info;

	ASSERT_SGX(copy(&v, SGX_SECINFO_REG | SGX_SECINFO_R | SGX_SECINFO_X), SGX_SUCCESS);
	EXPECT_EQ(sgx_lp_rflags(v.lp) & (SGX_RFLAGS_ZF | SGX_RFLAGS_CF), 0);
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
	SETUP(v);
	uint8_t *src = fx_mem(v.e, SRC);
	int i;

	for (i = 0; i < (int)SGX_PAGE_SIZE; i++)
		src[i] = (uint8_t)(i ^ 0x5A);
	ASSERT_SGX(copy(&v, SGX_SECINFO_REG | RW), SGX_SUCCESS);
	EXPECT_TRUE(!memcmp(fx_mem(v.e, DST), src, SGX_PAGE_SIZE));
	EXPECT_EQ(fx_epcm(v.e, DST).perm, RW);
	fx_free(v.fx);
}

TEST(eacceptcopy_no_permissions_success)
{
	SETUP(v);

	ASSERT_SGX(copy(&v, SGX_SECINFO_REG), SGX_SUCCESS);
	EXPECT_EQ(fx_epcm(v.e, DST).perm, 0);
	EXPECT_TRUE(!fx_epcm(v.e, DST).pending);
	fx_free(v.fx);
}

/* Prologue */

TEST(eacceptcopy_outside_enclave_gp)
{
	struct env v;

	ASSERT_TRUE(env_new(&v));
	EXPECT_SGX(copy(&v, SGX_SECINFO_REG | RW), SGX_GP);
	EXPECT_TRUE(dst_untouched(&v));
	fx_free(v.fx);
}

TEST(eacceptcopy_no_sgx2_gp)
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
	EXPECT_SGX(copy_off(&v, SGX_SECINFO_REG | RW, PAGE, SRC), SGX_GP);
	fx_free(v.fx);
}

/* Alignment, ELRANGE, translation */

TEST(eacceptcopy_secinfo_unaligned_gp)
{
	SETUP(v);

	fx_put_secinfo(v.e, SI_OFF + 64, SGX_SECINFO_REG | RW);
	EXPECT_SGX(enclu_eacceptcopy(v.lp, la(&v, SI_OFF + 64 + 32), la(&v, DST), la(&v, SRC)),
		   SGX_GP);
	EXPECT_TRUE(dst_untouched(&v));
	fx_free(v.fx);
}

TEST(eacceptcopy_dst_unaligned_gp)
{
	SETUP(v);

	fx_put_secinfo(v.e, SI_OFF, SGX_SECINFO_REG | RW);
	EXPECT_SGX(enclu_eacceptcopy(v.lp, la(&v, SI_OFF), la(&v, DST) + 8, la(&v, SRC)), SGX_GP);
	EXPECT_TRUE(dst_untouched(&v));
	fx_free(v.fx);
}

TEST(eacceptcopy_src_unaligned_gp)
{
	SETUP(v);

	fx_put_secinfo(v.e, SI_OFF, SGX_SECINFO_REG | RW);
	EXPECT_SGX(enclu_eacceptcopy(v.lp, la(&v, SI_OFF), la(&v, DST), la(&v, SRC) + 0x800), SGX_GP);
	EXPECT_TRUE(dst_untouched(&v));
	fx_free(v.fx);
}

TEST(eacceptcopy_outside_elrange_gp)
{
	SETUP(v);
	uint64_t out = v.e->base + v.e->size;

	fx_put_secinfo(v.e, SI_OFF, SGX_SECINFO_REG | RW);
	EXPECT_SGX(enclu_eacceptcopy(v.lp, out, la(&v, DST), la(&v, SRC)), SGX_GP);
	EXPECT_SGX(enclu_eacceptcopy(v.lp, la(&v, SI_OFF), out, la(&v, SRC)), SGX_GP);
	EXPECT_SGX(enclu_eacceptcopy(v.lp, la(&v, SI_OFF), la(&v, DST), v.e->base - SGX_PAGE_SIZE),
		   SGX_GP);
	EXPECT_TRUE(dst_untouched(&v));
	fx_free(v.fx);
}

TEST(eacceptcopy_secinfo_not_epc_pf)
{
	SETUP(v);

	map(v.e, ALIAS, 0x3000);
	EXPECT_SGX(enclu_eacceptcopy(v.lp, la(&v, ALIAS), la(&v, DST), la(&v, SRC)), SGX_PF);
	EXPECT_TRUE(pf_at(&v, la(&v, ALIAS), PF_EPCM));
	fx_free(v.fx);
}

/* The destination is translated for a write; RCX faults before RDX. */
TEST(eacceptcopy_dst_unmapped_pf)
{
	SETUP(v);

	EXPECT_SGX(copy_off(&v, SGX_SECINFO_REG | RW, ALIAS, ALIAS + SGX_PAGE_SIZE), SGX_PF);
	EXPECT_TRUE(pf_at(&v, la(&v, ALIAS), SGX_PF_U | SGX_PF_W));
	fx_free(v.fx);
}

TEST(eacceptcopy_dst_not_epc_pf)
{
	SETUP(v);

	map(v.e, ALIAS, 0x3000);
	EXPECT_SGX(copy_off(&v, SGX_SECINFO_REG | RW, ALIAS, SRC), SGX_PF);
	EXPECT_TRUE(pf_at(&v, la(&v, ALIAS), PF_EPCM | SGX_PF_W));
	fx_free(v.fx);
}

TEST(eacceptcopy_src_not_epc_pf)
{
	SETUP(v);

	map(v.e, ALIAS, 0x3000);
	EXPECT_SGX(copy_off(&v, SGX_SECINFO_REG | RW, DST, ALIAS), SGX_PF);
	EXPECT_TRUE(pf_at(&v, la(&v, ALIAS), PF_EPCM));
	EXPECT_TRUE(dst_untouched(&v));
	fx_free(v.fx);
}

/* All three operands are translated before the SECINFO page's EPCM check. */
TEST(eacceptcopy_src_not_epc_before_secinfo_page_pf)
{
	SETUP(v);

	map(v.e, ALIAS, 0x3000);
	fx_put_secinfo(v.e, FX_TCS1, SGX_SECINFO_REG | RW);
	EXPECT_SGX(enclu_eacceptcopy(v.lp, la(&v, FX_TCS1), la(&v, DST), la(&v, ALIAS)), SGX_PF);
	EXPECT_TRUE(pf_at(&v, la(&v, ALIAS), PF_EPCM));
	fx_free(v.fx);
}

/* SECINFO operand */

TEST(eacceptcopy_secinfo_page_tcs_pf)
{
	SETUP(v);

	fx_put_secinfo(v.e, FX_TCS1 + 0x100, SGX_SECINFO_REG | RW);
	EXPECT_SGX(enclu_eacceptcopy(v.lp, la(&v, FX_TCS1 + 0x100), la(&v, DST), la(&v, SRC)),
		   SGX_PF);
	EXPECT_TRUE(pf_at(&v, la(&v, FX_TCS1 + 0x100), PF_EPCM));
	EXPECT_TRUE(dst_untouched(&v));
	fx_free(v.fx);
}

TEST(eacceptcopy_secinfo_page_pending_pf)
{
	SETUP(v);

	fx_put_secinfo(v.e, DST + 0x40, SGX_SECINFO_REG | RW);
	EXPECT_SGX(enclu_eacceptcopy(v.lp, la(&v, DST + 0x40), la(&v, DST), la(&v, SRC)), SGX_PF);
	EXPECT_TRUE(pf_at(&v, la(&v, DST + 0x40), PF_EPCM));
	fx_free(v.fx);
}

/* The SECINFO page base, not RBX itself, is compared with ENCLAVEADDRESS (§6). */
TEST(eacceptcopy_secinfo_mid_page_success)
{
	SETUP(v);

	fx_put_secinfo(v.e, SI_OFF + 0x7C0, SGX_SECINFO_REG | SGX_SECINFO_R);
	EXPECT_SGX(enclu_eacceptcopy(v.lp, la(&v, SI_OFF + 0x7C0), la(&v, DST), la(&v, SRC)),
		   SGX_SUCCESS);
	EXPECT_EQ(fx_epcm(v.e, DST).perm, SGX_SECINFO_R);
	fx_free(v.fx);
}

TEST(eacceptcopy_secinfo_reserved_gp)
{
	SETUP(v);

	EXPECT_SGX(copy(&v, SGX_SECINFO_REG | RW | 0x80), SGX_GP);
	EXPECT_SGX(copy(&v, SGX_SECINFO_REG | RW | (1ull << 40)), SGX_GP);
	EXPECT_TRUE(dst_untouched(&v));
	fx_free(v.fx);
}

TEST(eacceptcopy_secinfo_w_without_r_gp)
{
	SETUP(v);

	EXPECT_SGX(copy(&v, SGX_SECINFO_REG | SGX_SECINFO_W), SGX_GP);
	EXPECT_TRUE(dst_untouched(&v));
	fx_free(v.fx);
}

TEST(eacceptcopy_secinfo_not_reg_gp)
{
	SETUP(v);

	EXPECT_SGX(copy(&v, SGX_SECINFO_TCS), SGX_GP);
	EXPECT_SGX(copy(&v, SGX_SECINFO_TRIM | SGX_SECINFO_MODIFIED), SGX_GP);
	EXPECT_TRUE(dst_untouched(&v));
	fx_free(v.fx);
}

/* Source operand */

/* R is read from the source's EPCM entry, not the destination's (§6). */
TEST(eacceptcopy_src_not_readable_pf)
{
	struct env v;

	ASSERT_TRUE(env_new(&v));
	ASSERT_SGX(emodpr(&v, SRC, 0), SGX_SUCCESS);
	ASSERT_TRUE(env_enter(&v));
	EXPECT_SGX(copy(&v, SGX_SECINFO_REG | RW), SGX_PF);
	EXPECT_TRUE(pf_at(&v, la(&v, SRC), PF_EPCM));
	EXPECT_TRUE(dst_untouched(&v));
	fx_free(v.fx);
}

TEST(eacceptcopy_src_pending_pf)
{
	SETUP(v);

	ASSERT_SGX(fx_eaug(v.e, DST + SGX_PAGE_SIZE, NULL), SGX_SUCCESS);
	EXPECT_SGX(copy_off(&v, SGX_SECINFO_REG | RW, DST, DST + SGX_PAGE_SIZE), SGX_PF);
	EXPECT_TRUE(pf_at(&v, la(&v, DST + SGX_PAGE_SIZE), PF_EPCM));
	EXPECT_TRUE(dst_untouched(&v));
	fx_free(v.fx);
}

TEST(eacceptcopy_src_tcs_pf)
{
	SETUP(v);

	EXPECT_SGX(copy_off(&v, SGX_SECINFO_REG | RW, DST, FX_TCS1), SGX_PF);
	EXPECT_TRUE(pf_at(&v, la(&v, FX_TCS1), PF_EPCM));
	EXPECT_TRUE(dst_untouched(&v));
	fx_free(v.fx);
}

TEST(eacceptcopy_src_blocked_pf)
{
	SETUP(v);

	ASSERT_SGX(encls_eblock(v.fx->klp, epc_of(v.e, SRC)), SGX_SUCCESS);
	EXPECT_SGX(copy(&v, SGX_SECINFO_REG | RW), SGX_PF);
	EXPECT_TRUE(pf_at(&v, la(&v, SRC), PF_EPCM));
	fx_free(v.fx);
}

TEST(eacceptcopy_src_wrong_address_pf)
{
	SETUP(v);

	map(v.e, ALIAS, epc_of(v.e, SRC));
	EXPECT_SGX(copy_off(&v, SGX_SECINFO_REG | RW, DST, ALIAS), SGX_PF);
	EXPECT_TRUE(pf_at(&v, la(&v, ALIAS), PF_EPCM));
	EXPECT_TRUE(dst_untouched(&v));
	fx_free(v.fx);
}

TEST(eacceptcopy_src_foreign_pf)
{
	SETUP(v);
	struct fx_enclave *e2 = fx_build_init_at(v.fx, FX_ENCL_BASE + FX_ENCL_SIZE);

	ASSERT_TRUE(e2);
	map(v.e, ALIAS, epc_of(e2, SRC));
	EXPECT_SGX(copy_off(&v, SGX_SECINFO_REG | RW, DST, ALIAS), SGX_PF);
	EXPECT_TRUE(pf_at(&v, la(&v, ALIAS), PF_EPCM));
	fx_free(v.fx);
}

/* The SECINFO is checked before the source. */
TEST(eacceptcopy_secinfo_checked_before_src_gp)
{
	SETUP(v);

	EXPECT_SGX(copy_off(&v, SGX_SECINFO_REG | SGX_SECINFO_W, DST, FX_TCS1), SGX_GP);
	fx_free(v.fx);
}

/* Destination operand: SGX_PAGE_ATTRIBUTES_MISMATCH */

TEST(eacceptcopy_dst_not_pending_mismatch)
{
	SETUP(v);

	EXPECT_SGX(copy_off(&v, SGX_SECINFO_REG | RW, PAGE, SRC), SGX_PAGE_ATTRIBUTES_MISMATCH);
	EXPECT_EQ(sgx_lp_rflags(v.lp) & SGX_RFLAGS_ZF, SGX_RFLAGS_ZF);
	EXPECT_EQ(fx_epcm(v.e, PAGE).perm, RW);
	fx_free(v.fx);
}

/* The source is checked before the destination. */
TEST(eacceptcopy_src_checked_before_dst_pf)
{
	SETUP(v);

	EXPECT_SGX(copy_off(&v, SGX_SECINFO_REG | RW, PAGE, FX_TCS1), SGX_PF);
	fx_free(v.fx);
}

TEST(eacceptcopy_dst_tcs_mismatch)
{
	SETUP(v);

	EXPECT_SGX(copy_off(&v, SGX_SECINFO_REG | RW, FX_TCS1, SRC), SGX_PAGE_ATTRIBUTES_MISMATCH);
	fx_free(v.fx);
}

TEST(eacceptcopy_dst_trim_mismatch)
{
	SETUP(v);
	struct sgx_secinfo si = { .flags = SGX_SECINFO_TRIM };

	ASSERT_SGX(encls_emodt(v.fx->klp, &si, epc_of(v.e, PAGE)), SGX_SUCCESS);
	EXPECT_SGX(copy_off(&v, SGX_SECINFO_REG | RW, PAGE, SRC), SGX_PAGE_ATTRIBUTES_MISMATCH);
	EXPECT_TRUE(fx_epcm(v.e, PAGE).modified);
	fx_free(v.fx);
}

TEST(eacceptcopy_dst_invalid_mismatch)
{
	SETUP(v);

	map(v.e, ALIAS, fx_epc_alloc(v.fx));
	EXPECT_SGX(copy_off(&v, SGX_SECINFO_REG | RW, ALIAS, SRC), SGX_PAGE_ATTRIBUTES_MISMATCH);
	fx_free(v.fx);
}

/* BLOCKED is read from the destination's entry (§6). */
TEST(eacceptcopy_dst_blocked_mismatch)
{
	SETUP(v);

	ASSERT_SGX(encls_eblock(v.fx->klp, epc_of(v.e, DST)), SGX_SUCCESS);
	EXPECT_SGX(copy(&v, SGX_SECINFO_REG | RW), SGX_PAGE_ATTRIBUTES_MISMATCH);
	EXPECT_TRUE(fx_epcm(v.e, DST).pending);
	fx_free(v.fx);
}

TEST(eacceptcopy_dst_foreign_mismatch)
{
	SETUP(v);
	struct fx_enclave *e2 = fx_build_init_at(v.fx, FX_ENCL_BASE + FX_ENCL_SIZE);
	uint64_t epc;

	ASSERT_TRUE(e2);
	ASSERT_SGX(fx_eaug(e2, DST, &epc), SGX_SUCCESS);
	map(v.e, ALIAS, epc);
	EXPECT_SGX(copy_off(&v, SGX_SECINFO_REG | RW, ALIAS, SRC), SGX_PAGE_ATTRIBUTES_MISMATCH);
	EXPECT_TRUE(fx_epcm(e2, DST).pending);
	fx_free(v.fx);
}

/* Re-check after the in-use mark: ENCLAVEADDRESS must be RCX. */
TEST(eacceptcopy_dst_wrong_address_mismatch)
{
	SETUP(v);

	map(v.e, ALIAS, epc_of(v.e, DST));
	EXPECT_SGX(copy_off(&v, SGX_SECINFO_REG | RW, ALIAS, SRC), SGX_PAGE_ATTRIBUTES_MISMATCH);
	EXPECT_TRUE(dst_untouched(&v));
	fx_free(v.fx);
}
