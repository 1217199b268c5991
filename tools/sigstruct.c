/* SPDX-License-Identifier: MIT */
/*
 * SIGSTRUCT contents for the loader's layout, and the reason EINIT
 * refuses one (sigstruct.h). The loader's SECS (src/loader/loader.c):
 * MISCSELECT EXINFO, ATTRIBUTES MODE64BIT | DEBUG (unless no_debug) | the
 * extra ones asked for, XFRM 3 unless given; it signs with MISC_MASK all
 * ones and ATTRIBUTES_MASK all but INIT, as done here.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>

#include "cli.h"
#include "sigstruct.h"
#include "softsgx/sign.h"

#define SIGNED_EXPONENT 3

/* @v (< 10^@digits) in binary-coded decimal. */
static uint32_t bcd(unsigned int v, int digits)
{
	uint32_t out = 0;
	int i;

	for (i = 0; i < digits; i++, v /= 10)
		out |= (uint32_t)(v % 10) << (4 * i);
	return out;
}

/* Today as SIGSTRUCT.DATE wants it: yyyymmdd in BCD (0x20250131). */
static uint32_t bcd_date(void)
{
	time_t now = time(NULL);
	struct tm tm;

	if (!gmtime_r(&now, &tm))
		return 0;
	return bcd((unsigned int)tm.tm_year + 1900, 4) << 16 |
	       bcd((unsigned int)tm.tm_mon + 1, 2) << 8 | bcd((unsigned int)tm.tm_mday, 2);
}

void sigstruct_fill(struct sgx_sigstruct *sig, const struct softsgx_load_options *o,
		    const uint8_t mrenclave[32])
{
	softsgx_load_sigstruct(o, mrenclave, sig);
	sig->header.date = bcd_date();
}

static bool all_zero(const void *p, size_t len)
{
	const uint8_t *b = p;

	while (len--)
		if (*b++)
			return false;
	return true;
}

/* EINIT's first check: the fixed headers, VENDOR, EXPONENT and reserved bytes. */
static const char *malformed(const struct sgx_sigstruct *sig)
{
	struct sgx_sigstruct fresh;

	sgx_sigstruct_init(&fresh);
	if (memcmp(sig->header.header1, fresh.header.header1, sizeof(fresh.header.header1)) ||
	    memcmp(sig->header.header2, fresh.header.header2, sizeof(fresh.header.header2)))
		return "its HEADER or HEADER2 is not the fixed SIGSTRUCT header";
	if (sig->header.vendor != 0 && sig->header.vendor != 0x8086)
		return "its VENDOR is neither 0 nor 0x8086";
	if (sig->exponent != SIGNED_EXPONENT)
		return "its EXPONENT is not 3";
	if (!all_zero(sig->header.reserved1, sizeof(sig->header.reserved1)) ||
	    !all_zero(sig->body.reserved2, sizeof(sig->body.reserved2)) ||
	    !all_zero(sig->body.reserved3, sizeof(sig->body.reserved3)) ||
	    !all_zero(sig->reserved4, sizeof(sig->reserved4)))
		return "reserved bytes are not zero";
	return NULL;
}

/* The RSA public key (MODULUS, exponent 3) of @sig. Return: the key, or NULL. */
static EVP_PKEY *public_key(const struct sgx_sigstruct *sig)
{
	BIGNUM *n = BN_lebin2bn(sig->modulus, SGX_MODULUS_SIZE, NULL), *e = BN_new();
	OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL);
	OSSL_PARAM *params = NULL;
	EVP_PKEY *key = NULL;

	if (n && e && bld && ctx && BN_set_word(e, SIGNED_EXPONENT) &&
	    OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, n) &&
	    OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, e) &&
	    (params = OSSL_PARAM_BLD_to_param(bld)) && EVP_PKEY_fromdata_init(ctx) == 1)
		EVP_PKEY_fromdata(ctx, &key, EVP_PKEY_PUBLIC_KEY, params);
	OSSL_PARAM_free(params);
	EVP_PKEY_CTX_free(ctx);
	OSSL_PARAM_BLD_free(bld);
	BN_free(e);
	BN_free(n);
	return key;
}

/* RSA PKCS#1 v1.5 / SHA-256 over HEADER and BODY (bytes 0..127, 900..1027). */
static bool signature_verifies(const struct sgx_sigstruct *sig)
{
	EVP_PKEY *key = public_key(sig);
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	uint8_t be[SGX_MODULUS_SIZE];
	bool ok = false;
	int i;

	for (i = 0; i < SGX_MODULUS_SIZE; i++)
		be[i] = sig->signature[SGX_MODULUS_SIZE - 1 - i];
	if (key && md && EVP_DigestVerifyInit(md, NULL, EVP_sha256(), NULL, key) == 1 &&
	    EVP_DigestVerifyUpdate(md, &sig->header, sizeof(sig->header)) == 1 &&
	    EVP_DigestVerifyUpdate(md, &sig->body, sizeof(sig->body)) == 1)
		ok = EVP_DigestVerifyFinal(md, be, sizeof(be)) == 1;
	EVP_MD_CTX_free(md);
	EVP_PKEY_free(key);
	return ok;
}

static bool attributes_match(const struct sgx_sigstruct *sig, const struct softsgx_load_options *o)
{
	const struct sgx_sigstruct_body *b = &sig->body;
	const struct sgx_attributes *mask = &b->attributes_mask;
	struct sgx_sigstruct loader;
	uint64_t flags, xfrm;

	/* The loader's SECS has what its own SIGSTRUCT asks for. */
	softsgx_load_sigstruct(o, b->mrenclave, &loader);
	flags = loader.body.attributes.flags;
	xfrm = loader.body.attributes.xfrm;
	return (flags & mask->flags) == (b->attributes.flags & mask->flags) &&
	       (xfrm & mask->xfrm) == (b->attributes.xfrm & mask->xfrm) &&
	       (SGX_MISC_EXINFO & b->misc_mask) == (b->miscselect & b->misc_mask);
}

bool sigstruct_explain(const struct sgx_sigstruct *sig, const struct softsgx_load_options *o,
		       const uint8_t mrenclave[32], char *why, size_t len)
{
	const char *bad = malformed(sig);
	char want[65], got[65];

	if (bad)
		snprintf(why, len, "%s (EINIT: SGX_INVALID_SIG_STRUCT)", bad);
	else if (!signature_verifies(sig))
		snprintf(why, len, "its signature does not verify with its own MODULUS: the "
			 "SIGSTRUCT was changed after signing (EINIT: SGX_INVALID_SIGNATURE)");
	else if (memcmp(sig->body.mrenclave, mrenclave, 32))
		snprintf(why, len, "it was signed for MRENCLAVE %s but the image measures %s in "
			 "this layout (EINIT: SGX_INVALID_MEASUREMENT)",
			 cli_hex(sig->body.mrenclave, 32, want), cli_hex(mrenclave, 32, got));
	else if (!attributes_match(sig, o))
		snprintf(why, len, "its ATTRIBUTES or MISCSELECT (under their masks) differ from "
			 "the enclave's (EINIT: SGX_INVALID_ATTRIBUTE)");
	else
		return false;
	return true;
}
