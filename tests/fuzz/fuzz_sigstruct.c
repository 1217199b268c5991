/* SPDX-License-Identifier: MIT */
/*
 * fuzz_sigstruct: SIGSTRUCT verification and signing keys. The first byte
 * of the input (modulo 3) chooses what the rest is:
 *   0: a SIGSTRUCT file (1808 bytes; shorter inputs are padded with
 *      zeros), given to the processor's EINIT for an enclave of the
 *      processor fixture (whose SECS is the loader's: MODE64BIT|DEBUG,
 *      XFRM 3, EXINFO) and to `softsgx load`'s sigstruct_explain();
 *   1: a PEM private key, read as `softsgx sign` reads one, then used for
 *      MRSIGNER and to sign a SIGSTRUCT for that enclave;
 *   2: changes (offset, byte pairs) to the signed part (HEADER and BODY) of
 *      the SIGSTRUCT that fits that enclave, then signed with the test key
 *      and handled as a file: hostile contents under a valid signature.
 * What is checked:
 *   - EINIT and sigstruct_explain() agree: EINIT succeeds exactly when
 *     no reason is found, and a refusal with one of the codes the tool
 *     explains (SGX_INVALID_SIG_STRUCT, _SIGNATURE, _MEASUREMENT,
 *     _ATTRIBUTE) is explained with that code;
 *   - EINIT returns an SGX code, never a fault, for any SIGSTRUCT contents;
 *   - a key is accepted by sgx_sign_mrsigner() exactly when
 *     sgx_sigstruct_sign() accepts it (else both say -EINVAL), and what it
 *     signs is accepted by EINIT, with the key's MRSIGNER.
 * The processor runs with its EPCM invariant checks on.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/pem.h>

#include "cpu/fixture.h"
#include "fuzz.h"
#include "sigstruct.h"
#include "softsgx/measure.h"
#include "softsgx/sign.h"

static struct fx *fx;
static struct fx_enclave *encl;  /* built, not initialized */
static uint8_t mrenclave[32];    /* its measurement */

/* The loader's options: its SECS matches the fixture's default one. */
static const struct softsgx_load_options loader_opts = { 0 };

/* A fresh machine with the fixture's default enclave, not initialized. */
static void rebuild(void)
{
	if (fx)
		fx_free(fx);
	fx = fx_new(64);
	encl = fx_build(fx);
	FUZZ_CHECK(encl, "the fixture enclave cannot be built");
	sgx_measure_digest(encl->measure, mrenclave);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	rebuild();
	fx_signing_key(); /* made once, before the first input */
	return 0;
}

/* EINIT of the fixture enclave with @sig; a fresh enclave for the next input if it succeeded. */
static int einit(const struct sgx_sigstruct *sig)
{
	int ret = fx_einit_with(encl, sig);

	FUZZ_CHECK(!sgx_is_fault(ret), "EINIT raised %s for a SIGSTRUCT", sgx_code_name(ret));
	if (ret == SGX_SUCCESS)
		rebuild();
	return ret;
}

static void fuzz_sigstruct_file(const uint8_t *data, size_t size)
{
	struct sgx_sigstruct *sig = aligned_alloc(4096, 4096);
	uint8_t mrsigner[32];
	char why[512] = "";
	bool explained, by_driver;
	int ret;

	FUZZ_CHECK(sig, "out of memory");
	memset(sig, 0, 4096);
	memcpy(sig, data, size < sizeof(*sig) ? size : sizeof(*sig));
	FUZZ_CHECK(!sgx_sigstruct_mrsigner(sig, mrsigner), "sgx_sigstruct_mrsigner failed");
	/* What `softsgx load` says: the reasons for any enclave, then this one's. */
	explained = sigstruct_refusal(sig, sgx_cpu_config(fx->cpu), why, sizeof(why)) ||
		    sigstruct_explain(sig, &loader_opts, mrenclave, why, sizeof(why));
	/* Linux's INIT refuses reserved bits before EINIT runs: then EINIT's word does not count. */
	by_driver = explained && strstr(why, "Linux's INIT: EINVAL");
	ret = einit(sig);
	if (ret == SGX_SUCCESS) {
		FUZZ_CHECK(!explained || by_driver, "EINIT accepted a SIGSTRUCT the tool refuses: %s",
			   why);
	} else if (ret == SGX_INVALID_SIG_STRUCT || ret == SGX_INVALID_SIGNATURE ||
		   ret == SGX_INVALID_MEASUREMENT || ret == SGX_INVALID_ATTRIBUTE) {
		FUZZ_CHECK(explained, "EINIT returned %s, the tool finds no reason",
			   sgx_code_name(ret));
		FUZZ_CHECK(by_driver || strstr(why, sgx_code_name(ret)),
			   "EINIT returned %s, the tool says: %s", sgx_code_name(ret), why);
	}
	free(sig);
}

/* A SIGSTRUCT for the fixture enclave with the input's changes to HEADER and BODY, signed. */
static void fuzz_signed_body(const uint8_t *data, size_t size)
{
	struct sgx_sigstruct sig;
	uint8_t *header = (uint8_t *)&sig.header, *body = (uint8_t *)&sig.body;
	size_t i;

	fx_sigstruct_prepare(encl, &sig);
	for (i = 0; i + 1 < size; i += 2) {
		if (data[i] < sizeof(sig.header))
			header[data[i]] = data[i + 1];
		else
			body[data[i] - sizeof(sig.header)] = data[i + 1];
	}
	fx_sigstruct_sign(&sig);
	fuzz_sigstruct_file((const uint8_t *)&sig, sizeof(sig));
}

static void fuzz_key(const uint8_t *data, size_t size)
{
	BIO *bio = BIO_new_mem_buf(data, (int)size);
	struct sgx_sigstruct sig, *copy;
	uint8_t from_key[32], from_sig[32];
	EVP_PKEY *key;
	int mr, sign;

	FUZZ_CHECK(bio, "out of memory");
	key = PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL);
	BIO_free(bio);
	ERR_clear_error();
	if (!key)
		return;
	mr = sgx_sign_mrsigner(key, from_key);
	fx_sigstruct_prepare(encl, &sig);
	sign = sgx_sigstruct_sign(&sig, key);
	FUZZ_CHECK(mr == 0 || mr == -EINVAL, "sgx_sign_mrsigner returned %d", mr);
	/* A usable modulus with private parts that do not match it signs nothing (EINVAL). */
	if (sign != mr) {
		EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new(key, NULL);

		FUZZ_CHECK(ctx, "out of memory");
		FUZZ_CHECK(!mr && sign == -EINVAL && EVP_PKEY_check(ctx) != 1,
			   "sgx_sign_mrsigner returned %d, sgx_sigstruct_sign %d", mr, sign);
		EVP_PKEY_CTX_free(ctx);
	}
	if (!sign) {
		FUZZ_CHECK(!sgx_sigstruct_mrsigner(&sig, from_sig) &&
				   !memcmp(from_key, from_sig, 32),
			   "the signed SIGSTRUCT's MRSIGNER is not the key's");
		copy = aligned_alloc(4096, 4096);
		FUZZ_CHECK(copy, "out of memory");
		memcpy(copy, &sig, sizeof(sig));
		FUZZ_CHECK(einit(copy) == SGX_SUCCESS, "EINIT refuses what the key signed");
		free(copy);
	}
	EVP_PKEY_free(key);
	ERR_clear_error();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!size)
		return 0;
	switch (data[0] % 3) {
	case 0:
		fuzz_sigstruct_file(data + 1, size - 1);
		break;
	case 1:
		fuzz_key(data + 1, size - 1);
		break;
	default:
		fuzz_signed_body(data + 1, size - 1);
		break;
	}
	return 0;
}
