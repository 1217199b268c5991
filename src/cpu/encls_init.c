/* SPDX-License-Identifier: MIT */
/*
 * EINIT: verify the SIGSTRUCT (RSA-3072, exponent 3, PKCS#1 v1.5 over
 * SHA-256 of its two signed regions), compare the finished MRENCLAVE,
 * apply the launch-control rules (IA32_SGXLEPUBKEYHASH, EINITTOKEN) and
 * commit the enclave's identity. Order of the checks: the SDM's EINIT
 * pseudo-code.
 */
#include <string.h>

#include <openssl/bn.h>
#include <openssl/crypto.h>

#include "cpu_internal.h"

static const uint8_t sig_header1[16] = { 0x06, 0, 0, 0, 0xE1, 0, 0, 0, 0, 0, 0x01, 0, 0, 0, 0, 0 };
static const uint8_t sig_header2[16] = { 0x01, 0x01, 0, 0, 0x60, 0, 0, 0, 0x60, 0, 0, 0, 0x01, 0, 0, 0 };
/* DER DigestInfo prefix of SHA-256 in a PKCS#1 v1.5 encoding. */
static const uint8_t sha256_digest_info[19] = { 0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60,
						0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02,
						0x01, 0x05, 0x00, 0x04, 0x20 };
#define PKCS1_PADDING_SIZE 352 /* 00 01 FF*330 00 DigestInfo */

/* EINIT: HEADER, VENDOR, HEADER2, EXPONENT and reserved bytes. */
static bool sigstruct_well_formed(const struct sgx_sigstruct *sig)
{
	return !memcmp(sig->header.header1, sig_header1, 16) &&
	       (sig->header.vendor == 0 || sig->header.vendor == 0x8086) &&
	       !memcmp(sig->header.header2, sig_header2, 16) && sig->exponent == 3 &&
	       mem_is_zero(sig->header.reserved1, sizeof(sig->header.reserved1)) &&
	       mem_is_zero(sig->body.reserved2, sizeof(sig->body.reserved2)) &&
	       mem_is_zero(sig->body.reserved3, sizeof(sig->body.reserved3)) &&
	       mem_is_zero(sig->reserved4, sizeof(sig->reserved4));
}

/* SHA-256 over SIGSTRUCT bytes 0..127 and 900..1027. */
static void sigstruct_digest(const struct sgx_sigstruct *sig, uint8_t digest[32])
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	unsigned int len = 32;

	if (!ctx || EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) != 1 ||
	    EVP_DigestUpdate(ctx, &sig->header, sizeof(sig->header)) != 1 ||
	    EVP_DigestUpdate(ctx, &sig->body, sizeof(sig->body)) != 1 ||
	    EVP_DigestFinal_ex(ctx, digest, &len) != 1)
		cpu_crypto_panic("SIGSTRUCT digest");
	EVP_MD_CTX_free(ctx);
}

/*
 * EINIT verifies the signature "using q1 and q2": they must be what the
 * SDM defines, q1 = floor(s^2 / n) and q2 = floor((s^3 - q1*s*n) / n).
 */
static bool sigstruct_q1_q2_ok(const struct sgx_sigstruct *sig, const BIGNUM *s, const BIGNUM *n,
			       BN_CTX *ctx)
{
	BIGNUM *q1 = BN_lebin2bn(sig->q1, SGX_MODULUS_SIZE, NULL);
	BIGNUM *q2 = BN_lebin2bn(sig->q2, SGX_MODULUS_SIZE, NULL);
	BIGNUM *t = BN_new(), *u = BN_new(), *q = BN_new();
	bool ok;

	if (!q1 || !q2 || !t || !u || !q)
		cpu_crypto_panic("EINIT bignum");
	/* t = s^2, q = floor(t / n) */
	if (!BN_sqr(t, s, ctx) || !BN_div(q, NULL, t, n, ctx))
		cpu_crypto_panic("EINIT q1");
	ok = !BN_cmp(q, q1);
	/* t = s^3 - q1*s*n = s * (s^2 - q1*n), q = floor(t / n) */
	if (!BN_mul(t, t, s, ctx) || !BN_mul(u, q1, s, ctx) || !BN_mul(u, u, n, ctx) ||
	    !BN_sub(t, t, u) || !BN_div(q, NULL, t, n, ctx))
		cpu_crypto_panic("EINIT q2");
	ok = ok && !BN_cmp(q, q2);
	BN_free(q);
	BN_free(u);
	BN_free(t);
	BN_free(q2);
	BN_free(q1);
	return ok;
}

bool sgx_sigstruct_q1_q2_valid(const struct sgx_sigstruct *sig)
{
	BN_CTX *ctx = BN_CTX_new();
	BIGNUM *n = BN_lebin2bn(sig->modulus, SGX_MODULUS_SIZE, NULL);
	BIGNUM *s = BN_lebin2bn(sig->signature, SGX_MODULUS_SIZE, NULL);
	bool ok;

	if (!ctx || !n || !s)
		cpu_crypto_panic("EINIT bignum");
	ok = !BN_is_zero(n) && sigstruct_q1_q2_ok(sig, s, n, ctx);
	BN_free(s);
	BN_free(n);
	BN_CTX_free(ctx);
	return ok;
}

/*
 * The signature check: Q1 and Q2 as the SDM defines them, and EM =
 * SIGNATURE^3 mod MODULUS (all little-endian) the PKCS#1 v1.5 encoding of
 * the SIGSTRUCT digest. On success the top 352 bytes of EM are the padding
 * EINIT keeps in the SECS.
 */
static bool sigstruct_signature_ok(const struct sgx_sigstruct *sig, uint8_t padding[PKCS1_PADDING_SIZE])
{
	uint8_t em[SGX_MODULUS_SIZE], digest[32];
	BN_CTX *ctx = BN_CTX_new();
	BIGNUM *n = BN_lebin2bn(sig->modulus, SGX_MODULUS_SIZE, NULL);
	BIGNUM *s = BN_lebin2bn(sig->signature, SGX_MODULUS_SIZE, NULL);
	BIGNUM *e = BN_new(), *m = BN_new();
	bool ok = false;

	if (!ctx || !n || !s || !e || !m || !BN_set_word(e, 3))
		cpu_crypto_panic("EINIT bignum");
	if (!BN_is_odd(n) || BN_num_bits(n) != 8 * SGX_MODULUS_SIZE || BN_cmp(s, n) >= 0)
		goto out;
	if (!sigstruct_q1_q2_ok(sig, s, n, ctx))
		goto out;
	if (!BN_mod_exp(m, s, e, n, ctx) || BN_bn2binpad(m, em, sizeof(em)) != sizeof(em))
		cpu_crypto_panic("EINIT modexp");
	sigstruct_digest(sig, digest);
	ok = em[0] == 0x00 && em[1] == 0x01 && em[2 + 330] == 0x00 &&
	     !memcmp(em + 2 + 331, sha256_digest_info, sizeof(sha256_digest_info)) &&
	     !CRYPTO_memcmp(em + PKCS1_PADDING_SIZE, digest, 32);
	for (int i = 2; ok && i < 2 + 330; i++)
		ok = em[i] == 0xFF;
	if (ok)
		memcpy(padding, em, PKCS1_PADDING_SIZE);
out:
	BN_free(m);
	BN_free(e);
	BN_free(s);
	BN_free(n);
	BN_CTX_free(ctx);
	return ok;
}

static void sha256(const void *data, size_t len, uint8_t out[32])
{
	unsigned int olen = 32;

	if (EVP_Digest(data, len, out, &olen, EVP_sha256(), NULL) != 1)
		cpu_crypto_panic("SHA-256");
}

static bool attrs_match_under_mask(const struct sgx_attributes *a, const struct sgx_attributes *b,
				   const struct sgx_attributes *mask)
{
	return (a->flags & mask->flags) == (b->flags & mask->flags) &&
	       (a->xfrm & mask->xfrm) == (b->xfrm & mask->xfrm);
}

/* CPUSVN "beyond" the platform's: any byte above the platform's byte. */
static bool cpusvn_beyond(const uint8_t svn[16], const uint8_t platform[16])
{
	for (int i = 0; i < 16; i++)
		if (svn[i] > platform[i])
			return true;
	return false;
}

static bool token_reserved_ok(const struct sgx_einittoken *t)
{
	return !(t->valid & ~1u) && mem_is_zero(t->reserved1, sizeof(t->reserved1)) &&
	       mem_is_zero(t->reserved2, sizeof(t->reserved2)) && mem_is_zero(t->reserved3, sizeof(t->reserved3)) &&
	       mem_is_zero(t->reserved4, sizeof(t->reserved4));
}

/* EINIT with EINITTOKEN.VALID = 1: the token must come from this platform's launch enclave. */
static int einit_check_token(struct sgx_lp *lp, const struct sgx_einittoken *token,
			     const struct sgx_secs *secs, const uint8_t mrenclave[32],
			     const uint8_t mrsigner[32])
{
	uint8_t key[16], mac[16];

	if ((token->masked_attributes_le.flags & SGX_ATTR_DEBUG) &&
	    !(secs->attributes.flags & SGX_ATTR_DEBUG))
		return lp_err(lp, SGX_INVALID_EINITTOKEN);
	if (!token_reserved_ok(token))
		return lp_err(lp, SGX_INVALID_EINITTOKEN);
	if (cpusvn_beyond(token->cpusvn_le, lp->cpu->cfg.cpusvn))
		return lp_err(lp, SGX_INVALID_CPUSVN);
	keys_einittoken_key(lp->cpu, token, key);
	keys_cmac(key, token, 192, mac);
	if (CRYPTO_memcmp(mac, token->mac, sizeof(mac)))
		return lp_err(lp, SGX_INVALID_EINITTOKEN);
	if (memcmp(token->mrenclave, mrenclave, 32) || memcmp(token->mrsigner, mrsigner, 32))
		return lp_err(lp, SGX_INVALID_MEASUREMENT);
	/* The SDM names an undefined code here; INVALID_ATTRIBUTE (an SDM erratum). */
	if (memcmp(&token->attributes, &secs->attributes, sizeof(secs->attributes)))
		return lp_err(lp, SGX_INVALID_ATTRIBUTE);
	return 0;
}

static int __einit(struct sgx_lp *lp, const struct sgx_sigstruct *sig, uint64_t secs_epc,
		   const struct sgx_einittoken *token)
{
	uint8_t padding[PKCS1_PADDING_SIZE], mrenclave[32], mrsigner[32];
	struct epc_page *pg;
	struct secs_state *st;
	struct sgx_secs *secs;
	int ret;

	if (!is_aligned((uintptr_t)sig, SGX_PAGE_SIZE) || !is_aligned(secs_epc, SGX_PAGE_SIZE))
		return lp_gp(lp);
	if (!is_aligned((uintptr_t)token, 512))
		return lp_gp(lp);
	pg = epc_page_at(lp->cpu, secs_epc);
	if (!pg)
		return lp_pf(lp, secs_epc, SGX_PF_SGX | SGX_PF_P | SGX_PF_W);
	if (!sigstruct_well_formed(sig))
		return lp_err(lp, SGX_INVALID_SIG_STRUCT);
	/* EINIT: an unmasked event pending -> SGX_UNMASKED_EVENT (only when the platform says so) */
	if (cpu_event(lp, SGX_EVENT_EINIT_UNMASKED_EVENT,
		      pg->valid && pg->type == SGX_PAGE_TYPE_SECS ? pg : NULL, 0))
		return lp_err(lp, SGX_UNMASKED_EVENT);
	if (!sigstruct_signature_ok(sig, padding))
		return lp_err(lp, SGX_INVALID_SIGNATURE);
	/* EINIT: SECS being modified by another instruction (base access shared) -> #GP */
	if (!epc_use_try(lp, pg, EPC_USE_SHARED))
		return lp_gp(lp);
	if (!pg->valid || pg->type != SGX_PAGE_TYPE_SECS)
		return lp_pf(lp, secs_epc, SGX_PF_SGX | SGX_PF_P | SGX_PF_W);
	secs = secs_of(pg);
	st = pg->secs_state;
	if (!mem_is_zero(sig->body.isv_family_id, 16) && !(secs->attributes.flags & SGX_ATTR_KSS))
		return lp_err(lp, SGX_INVALID_SIG_STRUCT);
	/* EINIT: MRENCLAVE or INIT modified concurrently (EADD/EEXTEND/EINIT) -> #GP */
	if (!epc_use_try(lp, pg, EPC_USE_MEASURE))
		return lp_gp(lp);
	/* EINIT of an initialized enclave: #GP (SDM exception list). */
	if (st->initialized)
		return lp_gp(lp);
	epc_pause(lp, pg);

	sgx_measure_digest(st->mrenclave, mrenclave);
	if (memcmp(sig->body.mrenclave, mrenclave, 32))
		return lp_err(lp, SGX_INVALID_MEASUREMENT);
	sha256(sig->modulus, SGX_MODULUS_SIZE, mrsigner);
	/* EINITTOKEN_KEY is the one controlled attribute. */
	if ((secs->attributes.flags & SGX_ATTR_EINITTOKENKEY) &&
	    memcmp(mrsigner, lp->cpu->lepubkeyhash, 32))
		return lp_err(lp, SGX_INVALID_ATTRIBUTE);
	if (!attrs_match_under_mask(&secs->attributes, &sig->body.attributes,
				    &sig->body.attributes_mask))
		return lp_err(lp, SGX_INVALID_ATTRIBUTE);
	if ((secs->miscselect & sig->body.misc_mask) != (sig->body.miscselect & sig->body.misc_mask))
		return lp_err(lp, SGX_INVALID_ATTRIBUTE);
	if (!(token->valid & 1)) {
		if (memcmp(mrsigner, lp->cpu->lepubkeyhash, 32))
			return lp_err(lp, SGX_INVALID_EINITTOKEN);
	} else {
		ret = einit_check_token(lp, token, secs, mrenclave, mrsigner);
		if (ret)
			return ret;
	}

	/* Commit the enclave's identity. */
	memcpy(secs->mrenclave, mrenclave, 32);
	memcpy(secs->mrsigner, mrsigner, 32);
	secs->isv_prod_id = sig->body.isv_prod_id;
	secs->isv_svn = sig->body.isv_svn;
	memcpy(st->isv_ext_prod_id, sig->body.isv_ext_prod_id, 16);
	memcpy(st->isv_family_id, sig->body.isv_family_id, 16);
	memcpy(st->padding, padding, sizeof(st->padding));
	secs->attributes.flags |= SGX_ATTR_INIT;
	st->initialized = true;
	sgx_measure_free(st->mrenclave);
	st->mrenclave = NULL;
	return lp_ok(lp);
}

int encls_einit(struct sgx_lp *lp, const struct sgx_sigstruct *sigstruct, uint64_t secs,
		const struct sgx_einittoken *token)
{
	leaf_begin(lp, SGX_LEAF_ENCLS(ENCLS_EINIT));
	return leaf_end(lp, __einit(lp, sigstruct, secs, token));
}
