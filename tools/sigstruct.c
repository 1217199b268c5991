/* SPDX-License-Identifier: MIT */
/*
 * SIGSTRUCT contents for the loader's layout, and the reasons INIT
 * refuses one (sigstruct.h). The loader's SECS (src/loader/loader.c):
 * MISCSELECT EXINFO, ATTRIBUTES MODE64BIT | DEBUG (unless no_debug) | the
 * extra ones asked for, XFRM 3 unless given; it signs with MISC_MASK all
 * ones and ATTRIBUTES_MASK all but INIT, as done here.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>

#include "cli.h"
#include "cpu/cpu.h"
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

/* Reasons, joined with "; ", into a buffer of @len bytes. */
struct reasons {
	char *buf;
	size_t len;
	unsigned int n;
};

static void __attribute__((format(printf, 2, 3))) add_reason(struct reasons *r, const char *fmt, ...)
{
	size_t used = strlen(r->buf);
	va_list ap;

	if (used + 2 >= r->len)
		return;
	if (r->n++)
		used += (size_t)snprintf(r->buf + used, r->len - used, "; ");
	va_start(ap, fmt);
	vsnprintf(r->buf + used, r->len - used, fmt, ap);
	va_end(ap);
}

/* Offset in @sig of its first non-zero reserved byte; 0 if there is none. */
static size_t reserved_nonzero(const struct sgx_sigstruct *sig)
{
	static const struct {
		size_t offset, len;
	} fields[] = {
		{ offsetof(struct sgx_sigstruct, header.reserved1), sizeof(sig->header.reserved1) },
		{ offsetof(struct sgx_sigstruct, body.reserved2), sizeof(sig->body.reserved2) },
		{ offsetof(struct sgx_sigstruct, body.reserved3), sizeof(sig->body.reserved3) },
		{ offsetof(struct sgx_sigstruct, reserved4), sizeof(sig->reserved4) },
	};
	const uint8_t *b = (const uint8_t *)sig;
	size_t i, j;

	for (i = 0; i < sizeof(fields) / sizeof(fields[0]); i++)
		for (j = 0; j < fields[i].len; j++)
			if (b[fields[i].offset + j])
				return fields[i].offset + j;
	return 0;
}

/* EINIT's first check (SGX_INVALID_SIG_STRUCT): every field that is not a SIGSTRUCT's. */
static void structure_reasons(const struct sgx_sigstruct *sig, struct reasons *r)
{
	struct sgx_sigstruct fresh;
	size_t off = reserved_nonzero(sig);

	sgx_sigstruct_init(&fresh);
	if (memcmp(sig->header.header1, fresh.header.header1, sizeof(fresh.header.header1)))
		add_reason(r, "its HEADER is not the fixed SIGSTRUCT header");
	if (sig->header.vendor != 0 && sig->header.vendor != 0x8086)
		add_reason(r, "its VENDOR is %#x, not 0 or 0x8086", sig->header.vendor);
	if (memcmp(sig->header.header2, fresh.header.header2, sizeof(fresh.header.header2)))
		add_reason(r, "its HEADER2 is not the fixed SIGSTRUCT header");
	if (sig->exponent != SIGNED_EXPONENT)
		add_reason(r, "its EXPONENT is %u, not 3", sig->exponent);
	if (off)
		add_reason(r, "its reserved bytes are not zero (byte %zu)", off);
}

/*
 * Reserved ATTRIBUTES/MISCSELECT/XFRM bits under the masks, as Linux's
 * sgx_ioc_enclave_init() computes them from CPUID leaf 0x12 (and the
 * driver's sigstruct_reserved_bits()): INIT refuses them with EINVAL.
 */
static bool reserved_bits(const struct sgx_sigstruct *sig, const struct sgx_cpu_config *cfg,
			  struct reasons *r)
{
	const uint64_t attr_reserved = ~cfg->attributes | (1ull << 3) | (1ull << 6) | (3ull << 8) |
				       ~((1ull << 11) - 1);
	const uint32_t misc_reserved = ~cfg->miscselect | ~1u;
	const uint64_t xfrm_reserved = ~cfg->xfrm;
	const struct sgx_sigstruct_body *b = &sig->body;
	uint64_t attr = b->attributes.flags & b->attributes_mask.flags & attr_reserved;
	uint64_t xfrm = b->attributes.xfrm & b->attributes_mask.xfrm & xfrm_reserved;
	uint32_t misc = b->miscselect & b->misc_mask & misc_reserved;

	if (attr)
		add_reason(r, "its ATTRIBUTES (under ATTRIBUTEMASK) ask for bits %#llx that this "
			   "processor does not offer", (unsigned long long)attr);
	if (misc)
		add_reason(r, "its MISCSELECT (under MISCMASK) asks for bits %#x that this processor "
			   "does not offer", misc);
	if (xfrm)
		add_reason(r, "its XFRM (under the mask) asks for bits %#llx that this processor "
			   "does not offer", (unsigned long long)xfrm);
	return attr || misc || xfrm;
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

/*
 * EINIT's signature check (SGX_INVALID_SIGNATURE): the key, then whether
 * the signature verifies, then Q1 and Q2 (EINIT checks those first; a
 * changed signature fails both, and "does not verify" says more).
 * Return: true if refused.
 */
static bool signature_reasons(const struct sgx_sigstruct *sig, struct reasons *r)
{
	BIGNUM *n = BN_lebin2bn(sig->modulus, SGX_MODULUS_SIZE, NULL);
	BIGNUM *s = BN_lebin2bn(sig->signature, SGX_MODULUS_SIZE, NULL);
	unsigned int before = r->n;

	if (!n || !s)
		add_reason(r, "its signature could not be checked (libcrypto)");
	else if (!BN_is_odd(n) || BN_num_bits(n) != 8 * SGX_MODULUS_SIZE)
		add_reason(r, "its MODULUS is not an odd 3072-bit number, so no RSA-3072 key's");
	else if (BN_cmp(s, n) >= 0)
		add_reason(r, "its SIGNATURE is not below its MODULUS");
	else if (!signature_verifies(sig))
		add_reason(r, "its signature does not verify with its own MODULUS: the SIGSTRUCT "
			   "was changed after signing");
	else if (!sgx_sigstruct_q1_q2_valid(sig)) /* the processor's own check */
		add_reason(r, "its Q1 and Q2 are not those of its SIGNATURE and MODULUS");
	BN_free(s);
	BN_free(n);
	return r->n != before;
}

#define TRAILER 96 /* " (Linux's INIT: EINVAL, before EINIT, which would say ...)" */

bool sigstruct_refusal(const struct sgx_sigstruct *sig, const struct sgx_cpu_config *cfg,
		       char *why, size_t len)
{
	/* The reasons leave room for the closing word on who refuses (TRAILER bytes). */
	struct reasons r = { .buf = why, .len = len > 2 * TRAILER ? len - TRAILER : len };
	bool vendor = sig->header.vendor != 0 && sig->header.vendor != 0x8086, bits;
	unsigned int structure;
	size_t used;

	why[0] = '\0';
	structure_reasons(sig, &r);
	structure = r.n;
	bits = reserved_bits(sig, cfg, &r);
	if (!r.n && !signature_reasons(sig, &r))
		return false;
	used = strlen(why);
	/* Who refuses first: Linux's INIT (VENDOR, then reserved bits), then EINIT. */
	if (vendor || bits)
		snprintf(why + used, len - used, " (Linux's INIT: EINVAL, before EINIT%s)",
			 structure ? ", which would say SGX_INVALID_SIG_STRUCT" : "");
	else if (structure)
		snprintf(why + used, len - used, " (EINIT: SGX_INVALID_SIG_STRUCT)");
	else
		snprintf(why + used, len - used, " (EINIT: SGX_INVALID_SIGNATURE)");
	return true;
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

static bool all_zero(const void *p, size_t len)
{
	const uint8_t *b = p;

	while (len--)
		if (*b++)
			return false;
	return true;
}

bool sigstruct_explain(const struct sgx_sigstruct *sig, const struct softsgx_load_options *o,
		       const uint8_t mrenclave[32], char *why, size_t len)
{
	char want[65], got[65];

	if (!all_zero(sig->body.isv_family_id, sizeof(sig->body.isv_family_id)) &&
	    !(o->attributes & SGX_ATTR_KSS))
		snprintf(why, len, "its ISVFAMILYID is set, which needs the KSS attribute, and the "
			 "enclave does not have it (EINIT: SGX_INVALID_SIG_STRUCT)");
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
