/* SPDX-License-Identifier: MIT */
/*
 * EINIT and the signer: a correctly signed SIGSTRUCT is accepted and
 * commits the enclave's identity; each kind of corruption is refused with
 * the SDM's code; launch control through IA32_SGXLEPUBKEYHASH.
 */
#include <openssl/bn.h>

#include "common.h"
#include "softsgx/sign.h"

struct einit_case {
	struct fx *fx;
	struct fx_enclave *e;
	struct sgx_sigstruct *sig; /* 4 KiB aligned */
};

static struct einit_case setup(void)
{
	struct einit_case c;

	c.fx = fx_new(0);
	c.e = fx_build(c.fx);
	c.sig = aligned_alloc(SGX_PAGE_SIZE, SGX_PAGE_SIZE);
	fx_sigstruct_prepare(c.e, c.sig);
	return c;
}

/* The same, signed. */
static struct einit_case setup_signed(void)
{
	struct einit_case c = setup();

	fx_sigstruct_sign(c.sig);
	return c;
}

static void teardown(struct einit_case *c)
{
	free(c->sig);
	fx_free(c->fx);
}

/* EINIT after @edit; @resign signs after the edit (else the edit breaks the signature). */
#define EINIT_EXPECT(edit, resign, want)                         \
	do {                                                     \
		struct einit_case c = setup();                    \
		if (!(resign))                                    \
			fx_sigstruct_sign(c.sig);                 \
		edit;                                             \
		if (resign)                                       \
			fx_sigstruct_sign(c.sig);                 \
		EXPECT_SGX(fx_einit_with(c.e, c.sig), want);      \
		teardown(&c);                                     \
	} while (0)

#define EINIT_TEST(name, edit, resign, want)                     \
	TEST(name)                                               \
	{                                                        \
		EINIT_EXPECT(edit, resign, want);                \
	}

/* EINIT with @sig for the SECS at @secs (expressions over c, signed) and a zero token: @want. */
#define EINIT_OPERANDS_TEST(name, sig, secs, want)                                \
	TEST(name)                                                                \
	{                                                                         \
		struct einit_case c = setup_signed();                             \
		static struct sgx_einittoken token;                               \
		EXPECT_SGX(encls_einit(c.fx->klp, sig, secs, &token), want);      \
		teardown(&c);                                                     \
	}

TEST(einit_signed_enclave_success)
{
	struct einit_case c = setup();
	const struct sgx_secs *secs = sgx_cpu_epc_mem(c.fx->cpu, c.e->secs);
	uint8_t mrsigner[32];

	c.sig->body.isv_prod_id = 0x1234;
	c.sig->body.isv_svn = 0x42;
	fx_sigstruct_sign(c.sig);
	ASSERT_SGX(fx_einit_with(c.e, c.sig), SGX_SUCCESS);
	EXPECT_TRUE(secs->attributes.flags & SGX_ATTR_INIT);
	EXPECT_TRUE(!memcmp(secs->mrenclave, c.e->mrenclave, 32));
	ASSERT_EQ(sgx_sign_mrsigner(fx_signing_key(), mrsigner), 0);
	EXPECT_TRUE(!memcmp(secs->mrsigner, mrsigner, 32));
	EXPECT_EQ(secs->isv_prod_id, 0x1234);
	EXPECT_EQ(secs->isv_svn, 0x42);
	teardown(&c);
}

TEST(einit_q1_q2_match_sdm_formula)
{
	struct einit_case c = setup();
	BN_CTX *ctx = BN_CTX_new();
	BIGNUM *s, *n, *q1, *q2, *t, *want;

	fx_sigstruct_sign(c.sig);
	s = BN_lebin2bn(c.sig->signature, SGX_MODULUS_SIZE, NULL);
	n = BN_lebin2bn(c.sig->modulus, SGX_MODULUS_SIZE, NULL);
	q1 = BN_lebin2bn(c.sig->q1, SGX_MODULUS_SIZE, NULL);
	q2 = BN_lebin2bn(c.sig->q2, SGX_MODULUS_SIZE, NULL);
	t = BN_new();
	want = BN_new();
	/* q1 = floor(s^2 / n) */
	BN_sqr(t, s, ctx);
	BN_div(want, NULL, t, n, ctx);
	EXPECT_TRUE(BN_cmp(want, q1) == 0);
	/* q2 = floor((s^3 - q1*s*n) / n) */
	BN_mul(t, t, s, ctx);
	BN_mul(want, q1, s, ctx);
	BN_mul(want, want, n, ctx);
	BN_sub(t, t, want);
	BN_div(want, NULL, t, n, ctx);
	EXPECT_TRUE(BN_cmp(want, q2) == 0);
	EXPECT_EQ(c.sig->exponent, 3);
	BN_free(want);
	BN_free(t);
	BN_free(q2);
	BN_free(q1);
	BN_free(n);
	BN_free(s);
	BN_CTX_free(ctx);
	teardown(&c);
}

EINIT_OPERANDS_TEST(einit_sigstruct_unaligned_gp,
		    (const struct sgx_sigstruct *)((uint8_t *)c.sig + 64), c.e->secs, SGX_GP)
EINIT_OPERANDS_TEST(einit_secs_unaligned_gp, c.sig, c.e->secs + 64, SGX_GP)

TEST(einit_token_unaligned_gp)
{
	struct einit_case c = setup_signed();
	uint8_t *buf = aligned_alloc(512, 1024);

	memset(buf, 0, 1024);
	EXPECT_SGX(encls_einit(c.fx->klp, c.sig, c.e->secs, (const struct sgx_einittoken *)(buf + 256)),
		   SGX_GP);
	free(buf);
	teardown(&c);
}

TEST(einit_secs_not_epc_pf)
{
	struct einit_case c = setup_signed();
	static struct sgx_einittoken token;

	EXPECT_SGX(encls_einit(c.fx->klp, c.sig, 0x8000, &token), SGX_PF);
	EXPECT_EQ(sgx_lp_fault(c.fx->klp)->addr, 0x8000);
	teardown(&c);
}

EINIT_TEST(einit_bad_header_invalid_sig_struct, c.sig->header.header1[4] = 0xE2, true,
	   SGX_INVALID_SIG_STRUCT)
EINIT_TEST(einit_bad_vendor_invalid_sig_struct, c.sig->header.vendor = 0x1022, true,
	   SGX_INVALID_SIG_STRUCT)
EINIT_TEST(einit_vendor_zero_success, c.sig->header.vendor = 0, true, SGX_SUCCESS)
EINIT_TEST(einit_bad_header2_invalid_sig_struct, c.sig->header.header2[1] = 0, true,
	   SGX_INVALID_SIG_STRUCT)
EINIT_TEST(einit_exponent_not_3_invalid_sig_struct, c.sig->exponent = 65537, false,
	   SGX_INVALID_SIG_STRUCT)

TEST(einit_reserved_nonzero_invalid_sig_struct)
{
	EINIT_EXPECT(c.sig->header.reserved1[0] = 1, true, SGX_INVALID_SIG_STRUCT);
	EINIT_EXPECT(c.sig->body.reserved2[3] = 1, true, SGX_INVALID_SIG_STRUCT);
	EINIT_EXPECT(c.sig->body.reserved3[15] = 1, true, SGX_INVALID_SIG_STRUCT);
	EINIT_EXPECT(c.sig->reserved4[0] = 1, false, SGX_INVALID_SIG_STRUCT);
}

EINIT_TEST(einit_corrupt_signature_invalid_signature, c.sig->signature[100] ^= 1, false,
	   SGX_INVALID_SIGNATURE)

TEST(einit_body_changed_after_signing_invalid_signature)
{
	EINIT_EXPECT(c.sig->body.isv_svn++, false, SGX_INVALID_SIGNATURE);
	EINIT_EXPECT(c.sig->header.date++, false, SGX_INVALID_SIGNATURE);
}

EINIT_TEST(einit_other_modulus_invalid_signature, c.sig->modulus[7] ^= 0x10, false,
	   SGX_INVALID_SIGNATURE)

/* SWDEFINED (byte 40) is in the signed header. */
EINIT_TEST(einit_swdefined_changed_invalid_signature, c.sig->header.swdefined = 1, false,
	   SGX_INVALID_SIGNATURE)

/* Q1 and Q2 lie outside the signed regions, but EINIT verifies with them (SDM formulas). */
EINIT_TEST(einit_corrupt_q1_invalid_signature, c.sig->q1[0] ^= 1, false, SGX_INVALID_SIGNATURE)
EINIT_TEST(einit_corrupt_q2_invalid_signature, c.sig->q2[SGX_MODULUS_SIZE / 2] ^= 0x10, false,
	   SGX_INVALID_SIGNATURE)

/* The paused leaf is @want; EINIT of @ctx (struct einit_case) from another LP: #GP. */
static void einit_during(struct fx *fx, unsigned int leaf, unsigned int want, void *ctx)
{
	struct einit_case *c = ctx;
	struct sgx_lp *other = sgx_lp_create(fx->cpu, NULL, NULL);
	static struct sgx_einittoken token;

	EXPECT_EQ(leaf, want);
	EXPECT_SGX(encls_einit(other, c->sig, c->e->secs, &token), SGX_GP);
	sgx_lp_destroy(other);
}

static void einit_during_eremove(struct fx *fx, struct sgx_lp *lp, unsigned int leaf,
				 uint64_t epc, void *ctx)
{
	/* EREMOVE holds the SECS exclusively; EINIT wants it shared. */
	einit_during(fx, leaf, SGX_LEAF_ENCLS(ENCLS_EREMOVE), ctx);
}

TEST(einit_secs_in_use_gp)
{
	struct einit_case c = setup_signed();

	fx_on_pause(c.fx, einit_during_eremove, &c);
	EXPECT_SGX(encls_eremove(c.fx->klp, c.e->secs), SGX_CHILD_PRESENT);
	EXPECT_SGX(fx_einit_with(c.e, c.sig), SGX_SUCCESS);
	teardown(&c);
}

static void einit_during_eadd(struct fx *fx, struct sgx_lp *lp, unsigned int leaf, uint64_t epc,
			      void *ctx)
{
	/* EADD holds the SECS shared, as EINIT would, but also its measurement. */
	einit_during(fx, leaf, SGX_LEAF_ENCLS(ENCLS_EADD), ctx);
}

TEST(einit_during_eadd_gp)
{
	struct einit_case c = setup_signed();

	fx_on_pause(c.fx, einit_during_eadd, &c);
	EXPECT_SGX(fx_eadd(c.e, FX_FREE, SGX_SECINFO_REG | SGX_SECINFO_R, NULL, false, NULL),
		   SGX_SUCCESS);
	teardown(&c);
}

TEST(einit_not_a_secs_pf)
{
	struct einit_case c = setup_signed();
	static struct sgx_einittoken token;
	uint64_t reg = c.e->pa[FX_DATA / SGX_PAGE_SIZE];

	EXPECT_SGX(encls_einit(c.fx->klp, c.sig, reg, &token), SGX_PF);
	EXPECT_EQ(sgx_lp_fault(c.fx->klp)->addr, reg);
	EXPECT_SGX(encls_einit(c.fx->klp, c.sig, fx_epc_alloc(c.fx), &token), SGX_PF);
	teardown(&c);
}

EINIT_TEST(einit_isvfamilyid_without_kss_invalid_sig_struct, c.sig->body.isv_family_id[0] = 1, true,
	   SGX_INVALID_SIG_STRUCT)

TEST(einit_initialized_gp)
{
	struct einit_case c = setup_signed();

	ASSERT_SGX(fx_einit_with(c.e, c.sig), SGX_SUCCESS);
	EXPECT_SGX(fx_einit_with(c.e, c.sig), SGX_GP);
	teardown(&c);
}

EINIT_TEST(einit_wrong_enclavehash_invalid_measurement, c.sig->body.mrenclave[31] ^= 1, true,
	   SGX_INVALID_MEASUREMENT)

TEST(einit_page_added_after_signing_invalid_measurement)
{
	struct einit_case c = setup_signed();

	ASSERT_SGX(fx_eadd(c.e, FX_FREE, SGX_SECINFO_REG | SGX_SECINFO_R, NULL, false, NULL),
		   SGX_SUCCESS);
	EXPECT_SGX(fx_einit_with(c.e, c.sig), SGX_INVALID_MEASUREMENT);
	teardown(&c);
}

TEST(einit_failure_is_retryable)
{
	struct einit_case c = setup_signed();

	c.sig->signature[0] ^= 1;
	ASSERT_SGX(fx_einit_with(c.e, c.sig), SGX_INVALID_SIGNATURE);
	c.sig->signature[0] ^= 1;
	c.sig->body.mrenclave[0] ^= 1;
	fx_sigstruct_sign(c.sig);
	ASSERT_SGX(fx_einit_with(c.e, c.sig), SGX_INVALID_MEASUREMENT);
	c.sig->body.mrenclave[0] ^= 1;
	fx_sigstruct_sign(c.sig);
	EXPECT_SGX(fx_einit_with(c.e, c.sig), SGX_SUCCESS);
	teardown(&c);
}

TEST(einit_attributes_mismatch_invalid_attribute)
{
	/* The signer demands DEBUG=0 (masked); the enclave has DEBUG=1. */
	EINIT_EXPECT(c.sig->body.attributes.flags &= ~SGX_ATTR_DEBUG, true, SGX_INVALID_ATTRIBUTE);
	/* XFRM is compared too. */
	EINIT_EXPECT(c.sig->body.attributes.xfrm = 0x7, true, SGX_INVALID_ATTRIBUTE);
}

TEST(einit_attributes_outside_mask_ignored)
{
	EINIT_EXPECT({
		c.sig->body.attributes.flags &= ~SGX_ATTR_DEBUG;
		c.sig->body.attributes_mask.flags &= ~SGX_ATTR_DEBUG;
	}, true, SGX_SUCCESS);
}

EINIT_TEST(einit_miscselect_mismatch_invalid_attribute, c.sig->body.miscselect = 0, true,
	   SGX_INVALID_ATTRIBUTE)

TEST(einit_signer_not_lepubkeyhash_invalid_einittoken)
{
	struct einit_case c = setup_signed();
	static struct sgx_einittoken token;
	static const uint8_t other_hash[32] = { 1, 2, 3 };

	sgx_cpu_write_lepubkeyhash(c.fx->cpu, other_hash);
	EXPECT_SGX(encls_einit(c.fx->klp, c.sig, c.e->secs, &token), SGX_INVALID_EINITTOKEN);
	teardown(&c);
}

TEST(einit_einittokenkey_unauthorized_invalid_attribute)
{
	struct fx *fx = fx_new(0);
	struct sgx_secs *secs = aligned_alloc(SGX_PAGE_SIZE, SGX_PAGE_SIZE);
	struct sgx_sigstruct *sig = aligned_alloc(SGX_PAGE_SIZE, SGX_PAGE_SIZE);
	static struct sgx_einittoken token;
	static const uint8_t other_hash[32] = { 9 };
	struct fx_enclave *e;

	fx_secs_default(secs, FX_ENCL_BASE, FX_ENCL_SIZE);
	secs->attributes.flags |= SGX_ATTR_EINITTOKENKEY;
	e = fx_ecreate(fx, secs);
	ASSERT_TRUE(e);
	fx_sigstruct_prepare(e, sig);
	fx_sigstruct_sign(sig);
	sgx_cpu_write_lepubkeyhash(fx->cpu, other_hash);
	EXPECT_SGX(encls_einit(fx->klp, sig, e->secs, &token), SGX_INVALID_ATTRIBUTE);
	/* Signed by the platform's launch key owner, it may have EINITTOKEN_KEY. */
	EXPECT_SGX(fx_einit_with(e, sig), SGX_SUCCESS);
	free(sig);
	free(secs);
	fx_free(fx);
}
