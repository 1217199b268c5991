/* SPDX-License-Identifier: MIT */
/*
 * EMODT: every check of the SDM pseudo-code in order (the page type
 * BEFORE PENDING/MODIFIED, unlike EMODPR), and the effect: PR=0,
 * MODIFIED=1, RWX=0, new type, address and PENDING unchanged. The
 * in-use SGX_EPC_PAGE_CONFLICT cases are in edmm_race_test.c.
 */
#include <stdlib.h>

#include "fixture.h"

#define PAGE (FX_DATA + SGX_PAGE_SIZE)
#define RW (SGX_SECINFO_R | SGX_SECINFO_W)
#define PF_EPC_W (SGX_PF_SGX | SGX_PF_P | SGX_PF_W)

static uint64_t epc_of(const struct fx_enclave *e, uint64_t off)
{
	return e->pa[off / SGX_PAGE_SIZE];
}

static int emodt_epc(struct fx_enclave *e, uint64_t epc, uint64_t flags)
{
	struct sgx_secinfo si = { .flags = flags };

	return encls_emodt(e->fx->klp, &si, epc);
}

static int emodt(struct fx_enclave *e, uint64_t off, uint64_t flags)
{
	return emodt_epc(e, epc_of(e, off), flags);
}

static bool pf_at(struct fx *fx, uint64_t addr, uint32_t code)
{
	const struct sgx_fault_info *f = sgx_lp_fault(fx->klp);

	return f->vector == SGX_VEC_PF && f->addr == addr && f->error_code == code;
}

/* The page at @off is unchanged: a REG RW page without flags. */
static bool untouched_rw(struct fx_enclave *e, uint64_t off)
{
	struct sgx_epcm_info i = fx_epcm(e, off);

	return i.valid && i.type == SGX_PAGE_TYPE_REG && i.perm == RW && !i.modified && !i.pr &&
	       !i.pending;
}

#define SETUP()                                       \
	struct fx *fx = fx_new(0);                    \
	struct fx_enclave *e = fx_build_init(fx);     \
	ASSERT_TRUE(e)

TEST(emodt_reg_to_trim_success)
{
	SETUP();
	struct sgx_epcm_info info;

	ASSERT_SGX(emodt(e, PAGE, SGX_SECINFO_TRIM), SGX_SUCCESS);
	EXPECT_EQ(sgx_lp_rflags(fx->klp) & (SGX_RFLAGS_ZF | SGX_RFLAGS_CF), 0);
	info = fx_epcm(e, PAGE);
	EXPECT_TRUE(info.valid && info.modified);
	EXPECT_TRUE(!info.pending && !info.pr && !info.blocked);
	EXPECT_EQ(info.type, SGX_PAGE_TYPE_TRIM);
	EXPECT_EQ(info.perm, 0);
	EXPECT_EQ(info.linaddr, fx_la(e, PAGE));
	EXPECT_EQ(info.secs, e->secs);
	fx_free(fx);
}

TEST(emodt_reg_to_tcs_success)
{
	SETUP();
	struct sgx_epcm_info info;

	ASSERT_SGX(emodt(e, PAGE, SGX_SECINFO_TCS), SGX_SUCCESS);
	info = fx_epcm(e, PAGE);
	EXPECT_TRUE(info.modified && !info.pr);
	EXPECT_EQ(info.type, SGX_PAGE_TYPE_TCS);
	EXPECT_EQ(info.perm, 0);
	EXPECT_EQ(info.linaddr, fx_la(e, PAGE));
	fx_free(fx);
}

TEST(emodt_tcs_to_trim_success)
{
	SETUP();

	ASSERT_SGX(emodt(e, FX_TCS1, SGX_SECINFO_TRIM), SGX_SUCCESS);
	EXPECT_EQ(fx_epcm(e, FX_TCS1).type, SGX_PAGE_TYPE_TRIM);
	EXPECT_TRUE(fx_epcm(e, FX_TCS1).modified);
	fx_free(fx);
}

/* SECINFO RWX is ignored; the new page has none. */
TEST(emodt_secinfo_rwx_ignored)
{
	SETUP();

	ASSERT_SGX(emodt(e, PAGE, SGX_SECINFO_TRIM | SGX_SECINFO_PERM_MASK), SGX_SUCCESS);
	EXPECT_EQ(fx_epcm(e, PAGE).perm, 0);
	fx_free(fx);
}

TEST(emodt_restricted_page_pr_cleared)
{
	SETUP();
	struct sgx_secinfo si = { .flags = SGX_SECINFO_R };

	ASSERT_SGX(encls_emodpr(fx->klp, &si, epc_of(e, PAGE)), SGX_SUCCESS);
	ASSERT_TRUE(fx_epcm(e, PAGE).pr);
	ASSERT_SGX(emodt(e, PAGE, SGX_SECINFO_TRIM), SGX_SUCCESS);
	EXPECT_TRUE(!fx_epcm(e, PAGE).pr);
	EXPECT_TRUE(fx_epcm(e, PAGE).modified);
	fx_free(fx);
}

TEST(emodt_no_sgx2_gp)
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
	EXPECT_SGX(emodt(e, PAGE, SGX_SECINFO_TRIM), SGX_GP);
	EXPECT_TRUE(untouched_rw(e, PAGE));
	fx_free(fx);
}

TEST(emodt_secinfo_unaligned_gp)
{
	SETUP();
	uint64_t *buf = aligned_alloc(64, 128);

	memset(buf, 0, 128);
	buf[1] = SGX_SECINFO_TRIM;
	EXPECT_SGX(encls_emodt(fx->klp, (const struct sgx_secinfo *)(buf + 1), epc_of(e, PAGE)),
		   SGX_GP);
	EXPECT_TRUE(untouched_rw(e, PAGE));
	free(buf);
	fx_free(fx);
}

TEST(emodt_page_unaligned_gp)
{
	SETUP();

	EXPECT_SGX(emodt_epc(e, epc_of(e, PAGE) + 0x800, SGX_SECINFO_TRIM), SGX_GP);
	EXPECT_TRUE(untouched_rw(e, PAGE));
	fx_free(fx);
}

TEST(emodt_page_not_epc_pf)
{
	SETUP();
	uint64_t outside = sgx_cpu_epc_base(fx->cpu) + sgx_cpu_epc_pages(fx->cpu) * SGX_PAGE_SIZE;

	EXPECT_SGX(emodt_epc(e, outside, SGX_SECINFO_TRIM), SGX_PF);
	EXPECT_TRUE(pf_at(fx, outside, PF_EPC_W));
	fx_free(fx);
}

TEST(emodt_secinfo_reserved_gp)
{
	SETUP();
	struct sgx_secinfo si = { .flags = SGX_SECINFO_TRIM };

	EXPECT_SGX(emodt(e, PAGE, SGX_SECINFO_TRIM | 0x80), SGX_GP);
	EXPECT_SGX(emodt(e, PAGE, SGX_SECINFO_TRIM | (1ull << 20)), SGX_GP);
	si.reserved[0] = 1;
	EXPECT_SGX(encls_emodt(fx->klp, &si, epc_of(e, PAGE)), SGX_GP);
	EXPECT_TRUE(untouched_rw(e, PAGE));
	fx_free(fx);
}

TEST(emodt_type_not_tcs_or_trim_gp)
{
	SETUP();

	EXPECT_SGX(emodt(e, PAGE, SGX_SECINFO_REG), SGX_GP);
	EXPECT_SGX(emodt(e, PAGE, SGX_SECINFO_SECS), SGX_GP);
	EXPECT_SGX(emodt(e, PAGE, SGX_SECINFO_VA), SGX_GP);
	EXPECT_SGX(emodt(e, PAGE, SGX_SECINFO_PT(5)), SGX_GP);
	EXPECT_TRUE(untouched_rw(e, PAGE));
	fx_free(fx);
}

/* The SECINFO is checked before the page's VALID bit. */
TEST(emodt_secinfo_checked_before_valid_gp)
{
	SETUP();

	EXPECT_SGX(emodt_epc(e, fx_epc_alloc(fx), SGX_SECINFO_REG), SGX_GP);
	fx_free(fx);
}

TEST(emodt_invalid_page_pf)
{
	SETUP();
	uint64_t free_page = fx_epc_alloc(fx);

	EXPECT_SGX(emodt_epc(e, free_page, SGX_SECINFO_TRIM), SGX_PF);
	EXPECT_TRUE(pf_at(fx, free_page, PF_EPC_W));
	fx_free(fx);
}

TEST(emodt_tcs_to_tcs_pf)
{
	SETUP();

	EXPECT_SGX(emodt(e, FX_TCS1, SGX_SECINFO_TCS), SGX_PF);
	EXPECT_TRUE(pf_at(fx, epc_of(e, FX_TCS1), PF_EPC_W));
	EXPECT_TRUE(!fx_epcm(e, FX_TCS1).modified);
	fx_free(fx);
}

/* An unaccepted TRIM page (MODIFIED=1) faults on its type first: #PF, not NOT_MODIFIABLE. */
TEST(emodt_modified_trim_page_type_first_pf)
{
	SETUP();

	ASSERT_SGX(emodt(e, PAGE, SGX_SECINFO_TRIM), SGX_SUCCESS);
	EXPECT_SGX(emodt(e, PAGE, SGX_SECINFO_TRIM), SGX_PF);
	EXPECT_TRUE(pf_at(fx, epc_of(e, PAGE), PF_EPC_W));
	fx_free(fx);
}

/* A TCS page still MODIFIED from EMODT(TCS) passes the type check for TRIM. */
TEST(emodt_modified_tcs_page_not_modifiable)
{
	SETUP();

	ASSERT_SGX(emodt(e, PAGE, SGX_SECINFO_TCS), SGX_SUCCESS);
	EXPECT_SGX(emodt(e, PAGE, SGX_SECINFO_TRIM), SGX_PAGE_NOT_MODIFIABLE);
	EXPECT_EQ(sgx_lp_rflags(fx->klp) & SGX_RFLAGS_ZF, SGX_RFLAGS_ZF);
	EXPECT_EQ(fx_epcm(e, PAGE).type, SGX_PAGE_TYPE_TCS);
	fx_free(fx);
}

TEST(emodt_pending_page_not_modifiable)
{
	SETUP();
	struct sgx_epcm_info info;

	ASSERT_SGX(fx_eaug(e, FX_FREE, NULL), SGX_SUCCESS);
	EXPECT_SGX(emodt(e, FX_FREE, SGX_SECINFO_TRIM), SGX_PAGE_NOT_MODIFIABLE);
	info = fx_epcm(e, FX_FREE);
	EXPECT_TRUE(info.pending && !info.modified);
	EXPECT_EQ(info.type, SGX_PAGE_TYPE_REG);
	fx_free(fx);
}

TEST(emodt_secs_page_pf)
{
	SETUP();

	EXPECT_SGX(emodt_epc(e, e->secs, SGX_SECINFO_TRIM), SGX_PF);
	EXPECT_TRUE(pf_at(fx, e->secs, PF_EPC_W));
	fx_free(fx);
}

TEST(emodt_va_page_pf)
{
	SETUP();
	uint64_t va = fx_epc_alloc(fx);

	ASSERT_SGX(encls_epa(fx->klp, SGX_PAGE_TYPE_VA, va), SGX_SUCCESS);
	EXPECT_SGX(emodt_epc(e, va, SGX_SECINFO_TRIM), SGX_PF);
	EXPECT_TRUE(pf_at(fx, va, PF_EPC_W));
	fx_free(fx);
}

TEST(emodt_not_initialized_gp)
{
	struct fx *fx = fx_new(0);
	struct fx_enclave *e = fx_build(fx);

	ASSERT_TRUE(e);
	EXPECT_SGX(emodt(e, PAGE, SGX_SECINFO_TRIM), SGX_GP);
	EXPECT_TRUE(untouched_rw(e, PAGE));
	fx_free(fx);
}
