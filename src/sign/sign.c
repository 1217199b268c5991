/* SPDX-License-Identifier: MIT */
/*
 * The enclave signer: RSA-3072 (e = 3) PKCS#1 v1.5 signatures over the two
 * signed regions of a SIGSTRUCT, and the Q1/Q2 values that let the
 * processor verify with two multiplications.
 */
#include <errno.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/rsa.h>

#include "softsgx/sign.h"

static const uint8_t header1[16] = { 0x06, 0, 0, 0, 0xE1, 0, 0, 0, 0, 0, 0x01, 0, 0, 0, 0, 0 };
static const uint8_t header2[16] = { 0x01, 0x01, 0, 0, 0x60, 0, 0, 0, 0x60, 0, 0, 0, 0x01, 0, 0, 0 };

void sgx_sigstruct_init(struct sgx_sigstruct *sig)
{
	memset(sig, 0, sizeof(*sig));
	memcpy(sig->header.header1, header1, sizeof(header1));
	memcpy(sig->header.header2, header2, sizeof(header2));
}

/* The key's modulus, if it is RSA-3072 with exponent 3; NULL otherwise. */
static BIGNUM *signing_modulus(EVP_PKEY *key)
{
	BIGNUM *n = NULL, *e = NULL;

	if (EVP_PKEY_get_base_id(key) != EVP_PKEY_RSA ||
	    !EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_RSA_N, &n) ||
	    !EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_RSA_E, &e) ||
	    BN_num_bits(n) != 8 * SGX_MODULUS_SIZE || !BN_is_word(e, 3)) {
		BN_free(n);
		n = NULL;
	}
	BN_free(e);
	return n;
}

static int signed_digest(const struct sgx_sigstruct *sig, uint8_t digest[32])
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	unsigned int len = 32;
	int ok = ctx && EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) == 1 &&
		 EVP_DigestUpdate(ctx, &sig->header, sizeof(sig->header)) == 1 &&
		 EVP_DigestUpdate(ctx, &sig->body, sizeof(sig->body)) == 1 &&
		 EVP_DigestFinal_ex(ctx, digest, &len) == 1;

	EVP_MD_CTX_free(ctx);
	return ok ? 0 : -EIO;
}

/* RSA PKCS#1 v1.5 signature of @digest, big-endian, 384 bytes. */
static int rsa_sign(EVP_PKEY *key, const uint8_t digest[32], uint8_t sig_be[SGX_MODULUS_SIZE])
{
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new(key, NULL);
	size_t len = SGX_MODULUS_SIZE;
	int ok = ctx && EVP_PKEY_sign_init(ctx) == 1 &&
		 EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_PADDING) == 1 &&
		 EVP_PKEY_CTX_set_signature_md(ctx, EVP_sha256()) == 1 &&
		 EVP_PKEY_sign(ctx, sig_be, &len, digest, 32) == 1 && len == SGX_MODULUS_SIZE;

	EVP_PKEY_CTX_free(ctx);
	if (!ok)
		ERR_clear_error();
	/* The modulus was a good one: a key that cannot sign with it has bad private parts. */
	return ok ? 0 : -EINVAL;
}

/*
 * The signature checked with the key's public half, as EINIT will: a key
 * whose private parts do not match its modulus (a damaged PEM file) signs
 * without complaint, but not verifiably.
 */
static int rsa_verify(EVP_PKEY *key, const uint8_t digest[32], const uint8_t sig_be[SGX_MODULUS_SIZE])
{
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new(key, NULL);
	int ok = ctx && EVP_PKEY_verify_init(ctx) == 1 &&
		 EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_PADDING) == 1 &&
		 EVP_PKEY_CTX_set_signature_md(ctx, EVP_sha256()) == 1 &&
		 EVP_PKEY_verify(ctx, sig_be, SGX_MODULUS_SIZE, digest, 32) == 1;

	EVP_PKEY_CTX_free(ctx);
	if (!ok)
		ERR_clear_error();
	return ok ? 0 : -EINVAL;
}

/* q1 = floor(s^2 / n), q2 = floor((s^3 - q1 * s * n) / n). */
static int compute_q1_q2(struct sgx_sigstruct *sig, const BIGNUM *s, const BIGNUM *n)
{
	BN_CTX *ctx = BN_CTX_new();
	BIGNUM *t = BN_new(), *q1 = BN_new(), *q2 = BN_new(), *r = BN_new();
	int ok = ctx && t && q1 && q2 && r &&
		 BN_sqr(t, s, ctx) && BN_div(q1, r, t, n, ctx) &&   /* t = s^2 */
		 BN_mul(t, t, s, ctx) &&                            /* t = s^3 */
		 BN_mul(r, q1, s, ctx) && BN_mul(r, r, n, ctx) &&   /* r = q1*s*n */
		 BN_sub(t, t, r) && BN_div(q2, NULL, t, n, ctx) &&
		 BN_bn2lebinpad(q1, sig->q1, SGX_MODULUS_SIZE) == SGX_MODULUS_SIZE &&
		 BN_bn2lebinpad(q2, sig->q2, SGX_MODULUS_SIZE) == SGX_MODULUS_SIZE;

	BN_free(r);
	BN_free(q2);
	BN_free(q1);
	BN_free(t);
	BN_CTX_free(ctx);
	return ok ? 0 : -EIO;
}

int sgx_sigstruct_sign(struct sgx_sigstruct *sig, EVP_PKEY *key)
{
	uint8_t digest[32], sig_be[SGX_MODULUS_SIZE];
	BIGNUM *n = signing_modulus(key), *s = NULL;
	int ret;

	if (!n)
		return -EINVAL;
	/* The modulus and exponent are not signed: set them first anyway. */
	ret = BN_bn2lebinpad(n, sig->modulus, SGX_MODULUS_SIZE) == SGX_MODULUS_SIZE ? 0 : -EIO;
	sig->exponent = 3;
	if (!ret)
		ret = signed_digest(sig, digest);
	if (!ret)
		ret = rsa_sign(key, digest, sig_be);
	if (!ret)
		ret = rsa_verify(key, digest, sig_be);
	if (!ret) {
		s = BN_bin2bn(sig_be, SGX_MODULUS_SIZE, NULL);
		ret = s && BN_bn2lebinpad(s, sig->signature, SGX_MODULUS_SIZE) == SGX_MODULUS_SIZE
			      ? compute_q1_q2(sig, s, n) : -EIO;
	}
	BN_free(s);
	BN_free(n);
	return ret;
}

int sgx_sign_keygen(EVP_PKEY **key)
{
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL);
	BIGNUM *e = BN_new();
	int ok;

	*key = NULL;
	ok = ctx && e && BN_set_word(e, 3) && EVP_PKEY_keygen_init(ctx) == 1 &&
	     EVP_PKEY_CTX_set_rsa_keygen_bits(ctx, 8 * SGX_MODULUS_SIZE) == 1 &&
	     EVP_PKEY_CTX_set1_rsa_keygen_pubexp(ctx, e) == 1 && EVP_PKEY_generate(ctx, key) == 1;
	BN_free(e);
	EVP_PKEY_CTX_free(ctx);
	return ok ? 0 : -EIO;
}

int sgx_sign_mrsigner(EVP_PKEY *key, uint8_t mrsigner[32])
{
	uint8_t modulus[SGX_MODULUS_SIZE];
	unsigned int len = 32;
	BIGNUM *n = signing_modulus(key);
	int ok;

	if (!n)
		return -EINVAL;
	ok = BN_bn2lebinpad(n, modulus, sizeof(modulus)) == SGX_MODULUS_SIZE &&
	     EVP_Digest(modulus, sizeof(modulus), mrsigner, &len, EVP_sha256(), NULL) == 1;
	BN_free(n);
	return ok ? 0 : -EIO;
}

int sgx_sigstruct_mrsigner(const struct sgx_sigstruct *sig, uint8_t mrsigner[32])
{
	unsigned int len = 32;

	return EVP_Digest(sig->modulus, sizeof(sig->modulus), mrsigner, &len, EVP_sha256(), NULL) == 1
		       ? 0 : -EIO;
}
