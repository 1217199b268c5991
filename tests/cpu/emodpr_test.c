/* SPDX-License-Identifier: MIT */
/*
 * EMODPR: every check of the SDM pseudo-code in order (PENDING/MODIFIED
 * before the page type, which Linux's REMOVE_PAGES relies on), and the
 * effect: PR=1 always, RWX &= SECINFO. The in-use #GP and
 * SGX_EPC_PAGE_CONFLICT are in edmm_race_test.c, tracking in
 * edmm_sequence_test.c.
 */
#include <stdlib.h>

#include "fixture.h"

#define SI_OFF FX_DATA                  /* SECINFOs for ENCLU leaves */
#define PAGE (FX_DATA + SGX_PAGE_SIZE)  /* the page the tests restrict */
#define RW (SGX_SECINFO_R | SGX_SECINFO_W)
#define PF_EPC_W (SGX_PF_SGX | SGX_PF_P | SGX_PF_W)

static uint64_t epc_of(const struct fx_enclave *e, uint64_t off)
{
	return e->pa[off / SGX_PAGE_SIZE];
}

static int emodpr_epc(struct fx_enclave *e, uint64_t epc, uint64_t flags)
{
	struct sgx_secinfo si = { .flags = flags };

	return encls_emodpr(e->fx->klp, &si, epc);
}

static int emodpr(struct fx_enclave *e, uint64_t off, uint64_t flags)
{
	return emodpr_epc(e, epc_of(e, off), flags);
}

static int emodt(struct fx_enclave *e, uint64_t off, uint64_t type)
{
	struct sgx_secinfo si = { .flags = type };

	return encls_emodt(e->fx->klp, &si, epc_of(e, off));
}

static bool pf_at(struct fx *fx, uint64_t addr, uint32_t code)
{
	const struct sgx_fault_info *f = sgx_lp_fault(fx->klp);

	return f->vector == SGX_VEC_PF && f->addr == addr && f->error_code == code;
}

/* EMODT(TRIM) @off, ETRACK with nobody inside, then EACCEPT it from a fresh entry. */
static int trim_and_accept(struct fx_enclave *e, uint64_t off)
{
	struct sgx_lp *lp = fx_lp(e);
	int ret;

	if ((ret = emodt(e, off, SGX_SECINFO_TRIM)) || (ret = encls_etrack(e->fx->klp, e->secs)) ||
	    (ret = fx_enter(lp, e, FX_TCS0, NULL)))
		return ret;
	fx_put_secinfo(e, SI_OFF, SGX_SECINFO_TRIM | SGX_SECINFO_MODIFIED);
	ret = enclu_eaccept(lp, fx_la(e, SI_OFF), fx_la(e, off));
	fx_exit(lp);
	return ret;
}

#define SETUP()                                       \
	struct fx *fx = fx_new(0);                    \
	struct fx_enclave *e = fx_build_init(fx);     \
	ASSERT_TRUE(e)

TEST(emodpr_restrict_rw_to_r_success)
{
	SETUP();
	struct sgx_epcm_info info;

	ASSERT_SGX(emodpr(e, PAGE, SGX_SECINFO_R), SGX_SUCCESS);
	EXPECT_EQ(sgx_lp_rflags(fx->klp) & (SGX_RFLAGS_ZF | SGX_RFLAGS_CF), 0);
	info = fx_epcm(e, PAGE);
	EXPECT_TRUE(info.valid && info.pr);
	EXPECT_TRUE(!info.pending && !info.modified && !info.blocked);
	EXPECT_EQ(info.perm, SGX_SECINFO_R);
	EXPECT_EQ(info.type, SGX_PAGE_TYPE_REG);
	EXPECT_EQ(info.linaddr, fx_la(e, PAGE));
	fx_free(fx);
}

TEST(emodpr_nothing_restricted_sets_pr)
{
	SETUP();
	struct sgx_epcm_info info;

	ASSERT_SGX(emodpr(e, PAGE, SGX_SECINFO_PERM_MASK), SGX_SUCCESS);
	info = fx_epcm(e, PAGE);
	EXPECT_TRUE(info.pr);
	EXPECT_EQ(info.perm, RW);
	fx_free(fx);
}

TEST(emodpr_restrict_to_none_success)
{
	SETUP();

	ASSERT_SGX(emodpr(e, FX_CODE, 0), SGX_SUCCESS);
	EXPECT_EQ(fx_epcm(e, FX_CODE).perm, 0);
	EXPECT_TRUE(fx_epcm(e, FX_CODE).pr);
	fx_free(fx);
}

/* Only a mask: X cannot be added to an RW page. */
TEST(emodpr_mask_never_extends)
{
	SETUP();

	ASSERT_SGX(emodpr(e, PAGE, SGX_SECINFO_R | SGX_SECINFO_X), SGX_SUCCESS);
	EXPECT_EQ(fx_epcm(e, PAGE).perm, SGX_SECINFO_R);
	fx_free(fx);
}

/* SECINFO PT and the PENDING/MODIFIED/PR bits are not reserved and are ignored. */
TEST(emodpr_secinfo_type_and_state_bits_ignored)
{
	SETUP();
	struct sgx_epcm_info info;

	ASSERT_SGX(emodpr(e, PAGE, SGX_SECINFO_TCS | SGX_SECINFO_R | SGX_SECINFO_PENDING |
				       SGX_SECINFO_MODIFIED | SGX_SECINFO_PR),
		   SGX_SUCCESS);
	info = fx_epcm(e, PAGE);
	EXPECT_EQ(info.type, SGX_PAGE_TYPE_REG);
	EXPECT_TRUE(!info.pending && !info.modified && info.pr);
	fx_free(fx);
}

TEST(emodpr_twice_restricts_further)
{
	SETUP();

	ASSERT_SGX(emodpr(e, PAGE, SGX_SECINFO_R), SGX_SUCCESS);
	ASSERT_SGX(emodpr(e, PAGE, 0), SGX_SUCCESS);
	EXPECT_EQ(fx_epcm(e, PAGE).perm, 0);
	fx_free(fx);
}

TEST(emodpr_no_sgx2_gp)
{
	struct sgx_cpu_config cfg;
	struct fx *fx;
	struct fx_enclave *e;

	sgx_cpu_config_default(&cfg);
	cfg.epc_pages = 256;
	cfg.sgx2 = false;
	fx = fx_new_config(&cfg);
	e = fx_build_init(fx);
	ASSERT_TRUE(e);
	EXPECT_SGX(emodpr(e, PAGE, SGX_SECINFO_R), SGX_GP);
	EXPECT_EQ(fx_epcm(e, PAGE).perm, RW);
	fx_free(fx);
}

TEST(emodpr_secinfo_unaligned_gp)
{
	SETUP();
	uint8_t *buf = aligned_alloc(64, 128);

	memset(buf, 0, 128);
	buf[32] = SGX_SECINFO_R;
	EXPECT_SGX(encls_emodpr(fx->klp, (const struct sgx_secinfo *)(buf + 32), epc_of(e, PAGE)),
		   SGX_GP);
	EXPECT_TRUE(!fx_epcm(e, PAGE).pr);
	free(buf);
	fx_free(fx);
}

TEST(emodpr_page_unaligned_gp)
{
	SETUP();

	EXPECT_SGX(emodpr_epc(e, epc_of(e, PAGE) + 0x100, SGX_SECINFO_R), SGX_GP);
	EXPECT_TRUE(!fx_epcm(e, PAGE).pr);
	fx_free(fx);
}

TEST(emodpr_page_not_epc_pf)
{
	SETUP();
	uint64_t outside = sgx_cpu_epc_base(fx->cpu) - SGX_PAGE_SIZE;

	EXPECT_SGX(emodpr_epc(e, outside, SGX_SECINFO_R), SGX_PF);
	EXPECT_TRUE(pf_at(fx, outside, PF_EPC_W));
	fx_free(fx);
}

TEST(emodpr_secinfo_reserved_flag_bits_gp)
{
	SETUP();

	EXPECT_SGX(emodpr(e, PAGE, SGX_SECINFO_R | 0x40), SGX_GP);
	EXPECT_SGX(emodpr(e, PAGE, SGX_SECINFO_R | (1ull << 16)), SGX_GP);
	EXPECT_SGX(emodpr(e, PAGE, SGX_SECINFO_R | (1ull << 63)), SGX_GP);
	EXPECT_TRUE(!fx_epcm(e, PAGE).pr);
	fx_free(fx);
}

TEST(emodpr_secinfo_reserved_bytes_gp)
{
	SETUP();
	struct sgx_secinfo si = { .flags = SGX_SECINFO_R };

	si.reserved[55] = 1;
	EXPECT_SGX(encls_emodpr(fx->klp, &si, epc_of(e, PAGE)), SGX_GP);
	EXPECT_TRUE(!fx_epcm(e, PAGE).pr);
	fx_free(fx);
}

TEST(emodpr_w_without_r_gp)
{
	SETUP();

	EXPECT_SGX(emodpr(e, PAGE, SGX_SECINFO_W), SGX_GP);
	EXPECT_EQ(fx_epcm(e, PAGE).perm, RW);
	fx_free(fx);
}

TEST(emodpr_invalid_page_pf)
{
	SETUP();
	uint64_t free_page = fx_epc_alloc(fx);

	EXPECT_SGX(emodpr_epc(e, free_page, SGX_SECINFO_R), SGX_PF);
	EXPECT_TRUE(pf_at(fx, free_page, PF_EPC_W));
	fx_free(fx);
}

/* The SECINFO is checked before the page's VALID bit. */
TEST(emodpr_secinfo_checked_before_valid_gp)
{
	SETUP();

	EXPECT_SGX(emodpr_epc(e, fx_epc_alloc(fx), SGX_SECINFO_W), SGX_GP);
	fx_free(fx);
}

TEST(emodpr_pending_page_not_modifiable)
{
	SETUP();
	struct sgx_epcm_info info;

	ASSERT_SGX(fx_eaug(e, FX_FREE, NULL), SGX_SUCCESS);
	EXPECT_SGX(emodpr(e, FX_FREE, SGX_SECINFO_R), SGX_PAGE_NOT_MODIFIABLE);
	EXPECT_EQ(sgx_lp_rflags(fx->klp) & SGX_RFLAGS_ZF, SGX_RFLAGS_ZF);
	info = fx_epcm(e, FX_FREE);
	EXPECT_TRUE(info.pending && !info.pr);
	EXPECT_EQ(info.perm, RW);
	fx_free(fx);
}

/* Unaccepted TRIM (MODIFIED=1): PAGE_NOT_MODIFIABLE, before the type check. */
TEST(emodpr_modified_trim_page_not_modifiable)
{
	SETUP();

	ASSERT_SGX(emodt(e, PAGE, SGX_SECINFO_TRIM), SGX_SUCCESS);
	EXPECT_SGX(emodpr(e, PAGE, SGX_SECINFO_R), SGX_PAGE_NOT_MODIFIABLE);
	EXPECT_TRUE(fx_epcm(e, PAGE).modified);
	fx_free(fx);
}

TEST(emodpr_modified_tcs_page_not_modifiable)
{
	SETUP();

	ASSERT_SGX(emodt(e, PAGE, SGX_SECINFO_TCS), SGX_SUCCESS);
	EXPECT_SGX(emodpr(e, PAGE, SGX_SECINFO_R), SGX_PAGE_NOT_MODIFIABLE);
	fx_free(fx);
}

/* Accepted TRIM (MODIFIED=0): the type check faults. Linux's REMOVE_PAGES probe. */
TEST(emodpr_accepted_trim_page_pf)
{
	SETUP();

	ASSERT_SGX(trim_and_accept(e, PAGE), SGX_SUCCESS);
	ASSERT_TRUE(!fx_epcm(e, PAGE).modified);
	EXPECT_SGX(emodpr(e, PAGE, SGX_SECINFO_R), SGX_PF);
	EXPECT_TRUE(pf_at(fx, epc_of(e, PAGE), PF_EPC_W));
	EXPECT_EQ(fx_epcm(e, PAGE).type, SGX_PAGE_TYPE_TRIM);
	fx_free(fx);
}

TEST(emodpr_tcs_page_pf)
{
	SETUP();

	EXPECT_SGX(emodpr(e, FX_TCS1, SGX_SECINFO_R), SGX_PF);
	EXPECT_TRUE(pf_at(fx, epc_of(e, FX_TCS1), PF_EPC_W));
	EXPECT_TRUE(!fx_epcm(e, FX_TCS1).pr);
	fx_free(fx);
}

TEST(emodpr_secs_page_pf)
{
	SETUP();

	EXPECT_SGX(emodpr_epc(e, e->secs, SGX_SECINFO_R), SGX_PF);
	EXPECT_TRUE(pf_at(fx, e->secs, PF_EPC_W));
	fx_free(fx);
}

TEST(emodpr_va_page_pf)
{
	SETUP();
	uint64_t va = fx_epc_alloc(fx);

	ASSERT_SGX(encls_epa(fx->klp, SGX_PAGE_TYPE_VA, va), SGX_SUCCESS);
	EXPECT_SGX(emodpr_epc(e, va, SGX_SECINFO_R), SGX_PF);
	EXPECT_TRUE(pf_at(fx, va, PF_EPC_W));
	fx_free(fx);
}

TEST(emodpr_not_initialized_gp)
{
	struct fx *fx = fx_new(0);
	struct fx_enclave *e = fx_build(fx);

	ASSERT_TRUE(e);
	EXPECT_SGX(emodpr(e, PAGE, SGX_SECINFO_R), SGX_GP);
	EXPECT_TRUE(!fx_epcm(e, PAGE).pr);
	EXPECT_EQ(fx_epcm(e, PAGE).perm, RW);
	fx_free(fx);
}
