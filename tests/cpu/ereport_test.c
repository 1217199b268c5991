/* SPDX-License-Identifier: MIT */
/*
 * EREPORT and local attestation: the REPORT's contents, its MAC verified by
 * the target enclave through EGETKEY(REPORT), tampering detected, and every
 * EREPORT check of the SDM pseudo-code.
 */
#include "common.h"
#include "softsgx/sign.h"

/* Operands inside the default enclave's data pages. */
#define TI_OFF FX_DATA              /* TARGETINFO, 512-aligned */
#define RD_OFF (FX_DATA + 0x200)    /* REPORTDATA, 128-aligned */
#define OUT_OFF (FX_DATA + 0x400)   /* REPORT, 512-aligned */
#define REQ_OFF (FX_DATA + 0x1000)  /* KEYREQUEST */
#define KEY_OFF (FX_DATA + 0x1200)  /* EGETKEY output */

/* Declare @fx, @e and @lp: the default enclave, entered through TCS0. */
#define SETUP_ENTERED()                                               \
	SETUP_FX_LP(fx, e, lp);                                       \
	ASSERT_SGX(fx_enter(lp, e, FX_TCS0, NULL), SGX_SUCCESS)

/* The TARGETINFO of enclave @e, as its own SECS describes it. */
static void target_of(struct fx_enclave *e, struct sgx_targetinfo *ti)
{
	const struct sgx_secs *secs = sgx_cpu_epc_mem(e->fx->cpu, e->secs);

	memset(ti, 0, sizeof(*ti));
	memcpy(ti->mrenclave, e->mrenclave, 32);
	ti->attributes = secs->attributes;
	ti->miscselect = secs->miscselect;
	ti->config_svn = secs->config_svn;
	memcpy(ti->config_id, secs->config_id, 64);
}

static void report_data_pattern(uint8_t rd[64], uint8_t seed)
{
	int i;

	for (i = 0; i < 64; i++)
		rd[i] = (uint8_t)(seed + i);
}

/* EREPORT in @e (entered on @lp) for @ti with REPORTDATA from @seed, into @out. */
static int ereport(struct sgx_lp *lp, struct fx_enclave *e, const struct sgx_targetinfo *ti,
		   uint8_t seed, struct sgx_report *out)
{
	int ret;

	memcpy(fx_mem(e, TI_OFF), ti, sizeof(*ti));
	report_data_pattern(fx_mem(e, RD_OFF), seed);
	ret = enclu_ereport(lp, fx_la(e, TI_OFF), fx_la(e, RD_OFF), fx_la(e, OUT_OFF));
	if (out)
		memcpy(out, fx_mem(e, OUT_OFF), SGX_REPORT_SIZE);
	return ret;
}

/* What the target does: EGETKEY(REPORT) with the report's KEYID, then check the MAC. */
static bool verify_in(struct sgx_lp *lp, struct fx_enclave *e, const struct sgx_report *r)
{
	struct sgx_keyrequest *req = fx_mem(e, REQ_OFF);
	uint8_t key[16], mac[16];
	int ret;

	memset(req, 0, sizeof(*req));
	req->keyname = SGX_KEYNAME_REPORT;
	memcpy(req->keyid, r->keyid, 32);
	ret = enclu_egetkey(lp, fx_la(e, REQ_OFF), fx_la(e, KEY_OFF));
	if (ret) {
		harness_fail(__FILE__, __LINE__, "EGETKEY(REPORT) returned %s", sgx_code_name(ret));
		return false;
	}
	memcpy(key, fx_mem(e, KEY_OFF), 16);
	cmac128(key, r, sizeof(r->body), mac);
	return memcmp(mac, r->mac, 16) == 0;
}

TEST(ereport_fields_success)
{
	SETUP_ENTERED();
	struct sgx_targetinfo ti;
	struct sgx_report r;
	uint8_t mrsigner[32], rd[64], zero[64] = { 0 };

	target_of(e, &ti);
	ASSERT_SGX(ereport(lp, e, &ti, 0x30, &r), SGX_SUCCESS);
	ASSERT_TRUE(sgx_sign_mrsigner(fx_signing_key(), mrsigner) == 0);
	report_data_pattern(rd, 0x30);
	EXPECT_TRUE(memcmp(r.body.cpusvn, sgx_cpu_config(fx->cpu)->cpusvn, 16) == 0);
	EXPECT_EQ(r.body.miscselect, SGX_MISC_EXINFO);
	EXPECT_EQ(r.body.attributes.flags, SGX_ATTR_INIT | SGX_ATTR_DEBUG | SGX_ATTR_MODE64BIT);
	EXPECT_EQ(r.body.attributes.xfrm, 0x3);
	EXPECT_TRUE(memcmp(r.body.mrenclave, e->mrenclave, 32) == 0);
	EXPECT_TRUE(memcmp(r.body.mrsigner, mrsigner, 32) == 0);
	EXPECT_EQ(r.body.isv_prod_id, 0x42);
	EXPECT_EQ(r.body.isv_svn, 7);
	EXPECT_EQ(r.body.config_svn, 0);
	EXPECT_TRUE(memcmp(r.body.report_data, rd, 64) == 0);
	EXPECT_TRUE(memcmp(r.body.reserved4, zero, sizeof(r.body.reserved4)) == 0);
	EXPECT_TRUE(memcmp(r.body.isv_family_id, zero, 16) == 0);
	EXPECT_TRUE(memcmp(r.keyid, zero, 32) != 0);
	/* A report for itself verifies with its own report key. */
	EXPECT_TRUE(verify_in(lp, e, &r));
	fx_exit(lp);
	fx_free(fx);
}

TEST(ereport_leaves_rflags_alone)
{
	SETUP_ENTERED();
	struct sgx_keyrequest *req;
	struct sgx_targetinfo ti;

	/* A failing EGETKEY sets ZF; EREPORT (no RAX code) must not touch it. */
	req = fx_mem(e, REQ_OFF);
	memset(req, 0, sizeof(*req));
	req->keyname = 0x77;
	ASSERT_SGX(enclu_egetkey(lp, fx_la(e, REQ_OFF), fx_la(e, KEY_OFF)), SGX_INVALID_KEYNAME);
	EXPECT_TRUE(sgx_lp_rflags(lp) & SGX_RFLAGS_ZF);
	target_of(e, &ti);
	ASSERT_SGX(ereport(lp, e, &ti, 1, NULL), SGX_SUCCESS);
	EXPECT_TRUE(sgx_lp_rflags(lp) & SGX_RFLAGS_ZF);
	fx_exit(lp);
	fx_free(fx);
}

/* Enclave B: the default layout at another base, with one more page (another MRENCLAVE). */
static struct fx_enclave *build_b(struct fx *fx)
{
	struct fx_enclave *b = fx_build_at(fx, ENCL_B_BASE);
	uint8_t page[SGX_PAGE_SIZE];

	if (!b)
		return NULL;
	memset(page, 0xB0, sizeof(page));
	if (fx_eadd(b, FX_FREE, SGX_SECINFO_REG | SGX_SECINFO_R, page, true, NULL) || fx_einit(b)) {
		harness_fail(__FILE__, __LINE__, "building enclave B failed");
		return NULL;
	}
	return b;
}

TEST(ereport_for_target_verified_by_target_egetkey)
{
	struct fx *fx = fx_new(0);
	struct fx_enclave *a = fx_build_init(fx), *b = build_b(fx);
	struct sgx_targetinfo ti_b, ti_a;
	struct sgx_report for_b, for_a;
	struct sgx_lp *lpa, *lpb;

	ASSERT_TRUE(a && b);
	ASSERT_TRUE(memcmp(a->mrenclave, b->mrenclave, 32) != 0);
	lpa = fx_lp(a);
	lpb = fx_lp(b);
	target_of(b, &ti_b);
	target_of(a, &ti_a);
	/* A reports to B (and, for contrast, to itself). */
	ASSERT_SGX(fx_enter(lpa, a, FX_TCS0, NULL), SGX_SUCCESS);
	ASSERT_SGX(ereport(lpa, a, &ti_b, 0x10, &for_b), SGX_SUCCESS);
	ASSERT_SGX(ereport(lpa, a, &ti_a, 0x10, &for_a), SGX_SUCCESS);
	fx_exit(lpa);
	EXPECT_TRUE(memcmp(for_b.body.mrenclave, a->mrenclave, 32) == 0);
	EXPECT_TRUE(memcmp(&for_a.body, &for_b.body, sizeof(for_a.body)) == 0);
	EXPECT_TRUE(memcmp(for_a.mac, for_b.mac, 16) != 0);
	/* B verifies the report made for it, and only that one. */
	ASSERT_SGX(fx_enter(lpb, b, FX_TCS1, NULL), SGX_SUCCESS);
	EXPECT_TRUE(verify_in(lpb, b, &for_b));
	EXPECT_TRUE(!verify_in(lpb, b, &for_a));
	fx_exit(lpb);
	fx_free(fx);
}

TEST(ereport_tampered_report_detected)
{
	struct fx *fx = fx_new(0);
	struct fx_enclave *a = fx_build_init(fx), *b = build_b(fx);
	struct sgx_targetinfo ti_b;
	struct sgx_report r, t;
	struct sgx_lp *lpa, *lpb;

	ASSERT_TRUE(a && b);
	lpa = fx_lp(a);
	lpb = fx_lp(b);
	target_of(b, &ti_b);
	ASSERT_SGX(fx_enter(lpa, a, FX_TCS0, NULL), SGX_SUCCESS);
	ASSERT_SGX(ereport(lpa, a, &ti_b, 0x20, &r), SGX_SUCCESS);
	fx_exit(lpa);
	ASSERT_SGX(fx_enter(lpb, b, FX_TCS0, NULL), SGX_SUCCESS);
	EXPECT_TRUE(verify_in(lpb, b, &r));
	t = r;
	t.body.report_data[5] ^= 1;
	EXPECT_TRUE(!verify_in(lpb, b, &t));
	t = r;
	t.body.isv_svn++;
	EXPECT_TRUE(!verify_in(lpb, b, &t));
	t = r;
	t.body.attributes.flags &= ~SGX_ATTR_DEBUG;
	EXPECT_TRUE(!verify_in(lpb, b, &t));
	t = r;
	t.mac[15] ^= 0x80;
	EXPECT_TRUE(!verify_in(lpb, b, &t));
	/* Another KEYID gives another key. */
	t = r;
	t.keyid[0] ^= 1;
	EXPECT_TRUE(!verify_in(lpb, b, &t));
	fx_exit(lpb);
	fx_free(fx);
}

/* In the default enclave, EREPORT with operands at @ti/@rd/@out (offsets) gives @want. */
static void ereport_at(int64_t ti, int64_t rd, int64_t out, int want, uint64_t pf_la_off,
		       uint32_t pfec, bool eaug_free)
{
	SETUP_FX_LP(fx, e, lp);
	uint8_t before[SGX_REPORT_SIZE];
	struct sgx_targetinfo self;
	void *out_mem;

	if (eaug_free)
		ASSERT_SGX(fx_eaug(e, FX_FREE, NULL), SGX_SUCCESS);
	ASSERT_SGX(fx_enter(lp, e, FX_TCS0, NULL), SGX_SUCCESS);
	target_of(e, &self);
	memcpy(fx_mem(e, TI_OFF), &self, sizeof(self));
	out_mem = out >= 0 && out < (int64_t)FX_ENCL_SIZE ? fx_mem(e, (uint64_t)out) : NULL;
	if (out_mem)
		memcpy(before, out_mem, sizeof(before));
	EXPECT_SGX(enclu_ereport(lp, fx_la(e, ti), fx_la(e, rd), fx_la(e, out)), want);
	if (want == SGX_PF)
		EXPECT_PF(lp, fx_la(e, pf_la_off), pfec);
	if (out_mem)
		EXPECT_TRUE(memcmp(before, out_mem, sizeof(before)) == 0);
	EXPECT_TRUE(sgx_lp_in_enclave(lp));
	fx_exit(lp);
	fx_free(fx);
}

/* ereport_at() as a test. */
#define EREPORT_AT_TEST(name, ti, rd, out, want, pf_la_off, pfec, eaug_free)     \
	TEST(name)                                                                \
	{                                                                         \
		ereport_at(ti, rd, out, want, pf_la_off, pfec, eaug_free);        \
	}

TEST(ereport_outside_enclave_gp)
{
	SETUP_FX_LP(fx, e, lp);

	EXPECT_SGX(enclu_ereport(lp, fx_la(e, TI_OFF), fx_la(e, RD_OFF), fx_la(e, OUT_OFF)), SGX_GP);
	fx_free(fx);
}

EREPORT_AT_TEST(ereport_targetinfo_unaligned_gp, TI_OFF + 0x100, RD_OFF, OUT_OFF, SGX_GP, 0, 0,
		false)
EREPORT_AT_TEST(ereport_targetinfo_outside_elrange_gp, -0x1000, RD_OFF, OUT_OFF, SGX_GP, 0, 0,
		false)

TEST(ereport_targetinfo_pt_no_access_pf)
{
	SETUP_ENTERED();

	/* Present in the page table but without access rights: a page-table #PF. */
	e->pt_perm[TI_OFF / SGX_PAGE_SIZE] = 0;
	EXPECT_SGX(enclu_ereport(lp, fx_la(e, TI_OFF), fx_la(e, RD_OFF), fx_la(e, OUT_OFF)), SGX_PF);
	EXPECT_PF(lp, fx_la(e, TI_OFF), SGX_PF_U | SGX_PF_P);
	fx_exit(lp);
	fx_free(fx);
}

EREPORT_AT_TEST(ereport_targetinfo_not_reg_pf, FX_TCS1, RD_OFF, OUT_OFF, SGX_PF, FX_TCS1, PF_EPCM,
		false)

TEST(ereport_targetinfo_reserved_gp)
{
	SETUP_ENTERED();
	struct sgx_targetinfo ti;
	size_t i;
	/* Offsets of reserved bytes: 48..49, 56..63, 128..511. */
	static const size_t rsvd[] = { 48, 49, 56, 63, 128, 511 };

	for (i = 0; i < sizeof(rsvd) / sizeof(rsvd[0]); i++) {
		target_of(e, &ti);
		((uint8_t *)&ti)[rsvd[i]] = 1;
		EXPECT_SGX(ereport(lp, e, &ti, 0, NULL), SGX_GP);
	}
	target_of(e, &ti);
	EXPECT_SGX(ereport(lp, e, &ti, 0, NULL), SGX_SUCCESS);
	fx_exit(lp);
	fx_free(fx);
}

EREPORT_AT_TEST(ereport_reportdata_unaligned_gp, TI_OFF, RD_OFF + 0x40, OUT_OFF, SGX_GP, 0, 0,
		false)
EREPORT_AT_TEST(ereport_reportdata_outside_elrange_gp, TI_OFF, (int64_t)FX_ENCL_SIZE, OUT_OFF,
		SGX_GP, 0, 0, false)
EREPORT_AT_TEST(ereport_reportdata_pending_pf, TI_OFF, FX_FREE, OUT_OFF, SGX_PF, FX_FREE, PF_EPCM,
		true)
EREPORT_AT_TEST(ereport_output_unaligned_gp, TI_OFF, RD_OFF, OUT_OFF + 0x100, SGX_GP, 0, 0, false)
EREPORT_AT_TEST(ereport_output_outside_elrange_gp, TI_OFF, RD_OFF, -0x200, SGX_GP, 0, 0, false)
EREPORT_AT_TEST(ereport_output_unmapped_pf, TI_OFF, RD_OFF, FX_FREE, SGX_PF, FX_FREE,
		SGX_PF_U | SGX_PF_W, false)
EREPORT_AT_TEST(ereport_output_readonly_pf, TI_OFF, RD_OFF, FX_RODATA, SGX_PF, FX_RODATA,
		PF_EPCM_W, false)
/* Erratum: the RDX page's own PENDING bit decides (the SDM reads RCX's). */
EREPORT_AT_TEST(ereport_output_pending_pf, TI_OFF, RD_OFF, FX_FREE, SGX_PF, FX_FREE, PF_EPCM_W,
		true)

TEST(ereport_output_other_enclave_pf)
{
	struct fx *fx = fx_new(0);
	/* Two enclaves at the same ELRANGE, as in two processes. */
	struct fx_enclave *a = fx_build_init(fx), *b = fx_build_init(fx);
	struct sgx_targetinfo ti;
	struct sgx_lp *lp;

	ASSERT_TRUE(a && b);
	lp = fx_lp(a);
	/* A's page table maps B's data page at the same address: only the owner differs. */
	a->pa[(FX_DATA + 0x2000) / SGX_PAGE_SIZE] = b->pa[(FX_DATA + 0x2000) / SGX_PAGE_SIZE];
	ASSERT_SGX(fx_enter(lp, a, FX_TCS0, NULL), SGX_SUCCESS);
	target_of(a, &ti);
	memcpy(fx_mem(a, TI_OFF), &ti, sizeof(ti));
	EXPECT_SGX(enclu_ereport(lp, fx_la(a, TI_OFF), fx_la(a, RD_OFF), fx_la(a, FX_DATA + 0x2000)),
		   SGX_PF);
	EXPECT_PF(lp, fx_la(a, FX_DATA + 0x2000), PF_EPCM_W);
	fx_exit(lp);
	fx_free(fx);
}
