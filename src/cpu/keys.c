/* SPDX-License-Identifier: MIT */
/*
 * Platform keys. Real processors derive every key from fuses; softsgx
 * derives them from a configurable seed (cfg.seed), which is not secret:
 * anyone with the seed can forge reports and unseal pages. The derivation
 * itself is not architectural; softsgx uses AES-128-CMAC under a root key
 * over a fixed struct of the key's dependencies (struct key_dependencies).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include "cpu_internal.h"

_Noreturn void cpu_crypto_panic(const char *what)
{
	fprintf(stderr, "softsgx: libcrypto failed in %s\n", what);
	ERR_print_errors_fp(stderr); /* libcrypto's reasons, if it queued any */
	abort();
}

void keys_cmac(const uint8_t key[16], const void *data, size_t len, uint8_t mac[16])
{
	static EVP_MAC *cmac; /* fetched once; EVP_MAC objects are thread-safe */
	char cipher[] = "AES-128-CBC";
	OSSL_PARAM params[] = {
		OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_CIPHER, cipher, 0),
		OSSL_PARAM_construct_end(),
	};
	EVP_MAC_CTX *ctx;
	size_t out = 0;

	if (!__atomic_load_n(&cmac, __ATOMIC_ACQUIRE)) {
		EVP_MAC *m = EVP_MAC_fetch(NULL, "CMAC", NULL);
		EVP_MAC *expected = NULL;

		if (!m)
			cpu_crypto_panic("CMAC fetch");
		if (!__atomic_compare_exchange_n(&cmac, &expected, m, false, __ATOMIC_ACQ_REL,
						 __ATOMIC_ACQUIRE))
			EVP_MAC_free(m);
	}
	ctx = EVP_MAC_CTX_new(cmac);
	if (!ctx || EVP_MAC_init(ctx, key, 16, params) != 1 || EVP_MAC_update(ctx, data, len) != 1 ||
	    EVP_MAC_final(ctx, mac, &out, 16) != 1 || out != 16)
		cpu_crypto_panic("AES-CMAC");
	EVP_MAC_CTX_free(ctx);
}

void keys_init(struct sgx_cpu *cpu)
{
	uint8_t block[48] = "softsgx root key";

	/* Root key = CMAC(seed[0..15], label | seed[16..31]); KEYID likewise. */
	memcpy(block + 16, cpu->cfg.seed + 16, 16);
	keys_cmac(cpu->cfg.seed, block, sizeof(block), cpu->root_key);
	memcpy(block, "softsgx keyid 1\0", 16);
	keys_cmac(cpu->root_key, block, sizeof(block), cpu->keyid);
	memcpy(block, "softsgx keyid 2\0", 16);
	keys_cmac(cpu->root_key, block, sizeof(block), cpu->keyid + 16);
	memcpy(block, "softsgx paging\0\0", 16);
	keys_cmac(cpu->root_key, block, 16, cpu->paging_key);
}

void keys_derive(const struct sgx_cpu *cpu, const struct key_dependencies *deps, uint8_t key[16])
{
	keys_cmac(cpu->root_key, deps, sizeof(*deps), key);
}

void keys_paging_key(const struct sgx_cpu *cpu, uint8_t key[16])
{
	memcpy(key, cpu->paging_key, 16);
}

/* keys_derive() MACs the struct as bytes: it must have no padding. */
_Static_assert(sizeof(struct key_dependencies) == 264, "key_dependencies has no padding");
