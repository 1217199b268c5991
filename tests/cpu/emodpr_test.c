/* SPDX-License-Identifier: MIT */
/*
 * EMODPR: every check of the SDM pseudo-code in order (PENDING/MODIFIED
 * before the page type, which Linux's REMOVE_PAGES relies on), and the
 * effect: PR=1 always, RWX &= SECINFO. The in-use #GP and
 * SGX_EPC_PAGE_CONFLICT are in edmm_race_test.c, tracking in
 * edmm_sequence_test.c.
 */
#include "common.h"

/* EMODT(TRIM) @off, ETRACK with nobody inside, then EACCEPT it from a fresh entry. */
static int trim_and_accept(struct fx_enclave *e, uint64_t off)
{
	struct sgx_lp *lp = fx_lp(e);
	int ret;

	if ((ret = emodt(e, off, SGX_SECINFO_TRIM)) || (ret = etrack(e)) ||
	    (ret = fx_enter(lp, e, FX_TCS0, NULL)))
		return ret;
	fx_put_secinfo(e, SI_OFF, SGX_SECINFO_TRIM | SGX_SECINFO_MODIFIED);
	ret = enclu_eaccept(lp, fx_la(e, SI_OFF), fx_la(e, off));
	fx_exit(lp);
	return ret;
}

TEST(emodpr_restrict_rw_to_r_success)
{
	SETUP_FX(fx, e);
	struct sgx_epcm_info info;

	ASSERT_SGX(emodpr(e, PAGE, SGX_SECINFO_R), SGX_SUCCESS);
	EXPECT_EQ(sgx_lp_rflags(fx->klp) & ZF_CF, 0);
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
	SETUP_FX(fx, e);
	struct sgx_epcm_info info;

	ASSERT_SGX(emodpr(e, PAGE, SGX_SECINFO_PERM_MASK), SGX_SUCCESS);
	info = fx_epcm(e, PAGE);
	EXPECT_TRUE(info.pr);
	EXPECT_EQ(info.perm, RW);
	fx_free(fx);
}

TEST(emodpr_restrict_to_none_success)
{
	SETUP_FX(fx, e);

	ASSERT_SGX(emodpr(e, FX_CODE, 0), SGX_SUCCESS);
	EXPECT_EQ(fx_epcm(e, FX_CODE).perm, 0);
	EXPECT_TRUE(fx_epcm(e, FX_CODE).pr);
	fx_free(fx);
}

/* Only a mask: X cannot be added to an RW page. */
TEST(emodpr_mask_never_extends)
{
	SETUP_FX(fx, e);

	ASSERT_SGX(emodpr(e, PAGE, SGX_SECINFO_R | SGX_SECINFO_X), SGX_SUCCESS);
	EXPECT_EQ(fx_epcm(e, PAGE).perm, SGX_SECINFO_R);
	fx_free(fx);
}

/* SECINFO PT and the PENDING/MODIFIED/PR bits are not reserved and are ignored. */
TEST(emodpr_secinfo_type_and_state_bits_ignored)
{
	SETUP_FX(fx, e);
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
	SETUP_FX(fx, e);

	ASSERT_SGX(emodpr(e, PAGE, SGX_SECINFO_R), SGX_SUCCESS);
	ASSERT_SGX(emodpr(e, PAGE, 0), SGX_SUCCESS);
	EXPECT_EQ(fx_epcm(e, PAGE).perm, 0);
	fx_free(fx);
}

/* EMODPR(R) of PAGE on @e, on a machine that refuses it: #GP, PAGE untouched. */
static void emodpr_refused_gp(struct fx_enclave *e)
{
	EXPECT_SGX(emodpr(e, PAGE, SGX_SECINFO_R), SGX_GP);
	EXPECT_TRUE(!fx_epcm(e, PAGE).pr);
	EXPECT_EQ(fx_epcm(e, PAGE).perm, RW);
	fx_free(e->fx);
}

ENCLAVE_TEST(emodpr_no_sgx2_gp, fx_build_init(fx_new_sgx1()), emodpr_refused_gp)
ENCLAVE_TEST(emodpr_not_initialized_gp, fx_build(fx_new(0)), emodpr_refused_gp)

TEST(emodpr_secinfo_unaligned_gp)
{
	SETUP_FX(fx, e);

	EXPECT_SGX(encls_secinfo_misaligned(encls_emodpr, e, epc_of(e, PAGE), SGX_SECINFO_R, 32),
		   SGX_GP);
	EXPECT_TRUE(!fx_epcm(e, PAGE).pr);
	fx_free(fx);
}

TEST(emodpr_page_unaligned_gp)
{
	SETUP_FX(fx, e);

	EXPECT_SGX(emodpr_epc(e, epc_of(e, PAGE) + 0x100, SGX_SECINFO_R), SGX_GP);
	EXPECT_TRUE(!fx_epcm(e, PAGE).pr);
	fx_free(fx);
}

TEST(emodpr_secinfo_reserved_flag_bits_gp)
{
	SETUP_FX(fx, e);

	EXPECT_SGX(emodpr(e, PAGE, SGX_SECINFO_R | 0x40), SGX_GP);
	EXPECT_SGX(emodpr(e, PAGE, SGX_SECINFO_R | (1ull << 16)), SGX_GP);
	EXPECT_SGX(emodpr(e, PAGE, SGX_SECINFO_R | (1ull << 63)), SGX_GP);
	EXPECT_TRUE(!fx_epcm(e, PAGE).pr);
	fx_free(fx);
}

TEST(emodpr_secinfo_reserved_bytes_gp)
{
	SETUP_FX(fx, e);
	struct sgx_secinfo si = { .flags = SGX_SECINFO_R };

	si.reserved[55] = 1;
	EXPECT_SGX(encls_emodpr(fx->klp, &si, epc_of(e, PAGE)), SGX_GP);
	EXPECT_TRUE(!fx_epcm(e, PAGE).pr);
	fx_free(fx);
}

TEST(emodpr_w_without_r_gp)
{
	SETUP_FX(fx, e);

	EXPECT_SGX(emodpr(e, PAGE, SGX_SECINFO_W), SGX_GP);
	EXPECT_EQ(fx_epcm(e, PAGE).perm, RW);
	fx_free(fx);
}

/* The SECINFO is checked before the page's VALID bit. */
TEST(emodpr_secinfo_checked_before_valid_gp)
{
	SETUP_FX(fx, e);

	EXPECT_SGX(emodpr_epc(e, fx_epc_alloc(fx), SGX_SECINFO_W), SGX_GP);
	fx_free(fx);
}

/* EMODPR(R) of the EPC page @epc: #PF there. */
#define EPC_PF_TEST(name, epc) SECINFO_LEAF_PF_TEST(name, emodpr_epc, SGX_SECINFO_R, epc)

EPC_PF_TEST(emodpr_page_not_epc_pf, sgx_cpu_epc_base(fx->cpu) - SGX_PAGE_SIZE)
EPC_PF_TEST(emodpr_invalid_page_pf, fx_epc_alloc(fx))
EPC_PF_TEST(emodpr_secs_page_pf, e->secs)
EPC_PF_TEST(emodpr_va_page_pf, new_va(fx))

/* EMODPR(R) of the page at @off: #PF there. */
static void page_pf(struct fx_enclave *e, uint64_t off)
{
	EXPECT_SGX(emodpr(e, off, SGX_SECINFO_R), SGX_PF);
	EXPECT_PF(e->fx->klp, epc_of(e, off), PF_EPC_W);
}

/* Accepted TRIM (MODIFIED=0): the type check faults. Linux's REMOVE_PAGES probe. */
TEST(emodpr_accepted_trim_page_pf)
{
	SETUP_FX(fx, e);

	ASSERT_SGX(trim_and_accept(e, PAGE), SGX_SUCCESS);
	ASSERT_TRUE(!fx_epcm(e, PAGE).modified);
	page_pf(e, PAGE);
	EXPECT_EQ(fx_epcm(e, PAGE).type, SGX_PAGE_TYPE_TRIM);
	fx_free(fx);
}

TEST(emodpr_tcs_page_pf)
{
	SETUP_FX(fx, e);

	page_pf(e, FX_TCS1);
	EXPECT_TRUE(!fx_epcm(e, FX_TCS1).pr);
	fx_free(fx);
}

TEST(emodpr_pending_page_not_modifiable)
{
	SETUP_FX(fx, e);
	struct sgx_epcm_info info;

	ASSERT_SGX(fx_eaug(e, FX_FREE, NULL), SGX_SUCCESS);
	EXPECT_SGX(emodpr(e, FX_FREE, SGX_SECINFO_R), SGX_PAGE_NOT_MODIFIABLE);
	EXPECT_EQ(sgx_lp_rflags(fx->klp) & SGX_RFLAGS_ZF, SGX_RFLAGS_ZF);
	info = fx_epcm(e, FX_FREE);
	EXPECT_TRUE(info.pending && !info.pr);
	EXPECT_EQ(info.perm, RW);
	fx_free(fx);
}

/* EMODT(@type) of PAGE leaves it MODIFIED: EMODPR(R) of it is SGX_PAGE_NOT_MODIFIABLE. */
static void modified_not_modifiable(uint64_t type)
{
	SETUP_FX(fx, e);

	ASSERT_SGX(emodt(e, PAGE, type), SGX_SUCCESS);
	EXPECT_SGX(emodpr(e, PAGE, SGX_SECINFO_R), SGX_PAGE_NOT_MODIFIABLE);
	EXPECT_TRUE(fx_epcm(e, PAGE).modified);
	fx_free(fx);
}

/* Unaccepted TRIM (MODIFIED=1): PAGE_NOT_MODIFIABLE, before the type check. */
TEST(emodpr_modified_trim_page_not_modifiable)
{
	modified_not_modifiable(SGX_SECINFO_TRIM);
}

TEST(emodpr_modified_tcs_page_not_modifiable)
{
	modified_not_modifiable(SGX_SECINFO_TCS);
}
