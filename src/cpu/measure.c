/* SPDX-License-Identifier: MIT */
/*
 * MRENCLAVE: SHA-256 over the 64-byte blocks that ECREATE, EADD and EEXTEND
 * contribute (SDM "Enclave measurement"), finished by EINIT with the
 * standard SHA-256 padding. Block layouts (little-endian fields):
 *   ECREATE  "ECREATE\0" | SSAFRAMESIZE (u32) @8 | SIZE (u64) @12 | zeros
 *   EADD     "EADD\0\0\0\0" | offset (u64) @8 | SECINFO bytes 0..47 @16
 *   EEXTEND  "EEXTEND\0" | offset (u64) @8 | zeros, then the 256 data bytes
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "softsgx/measure.h"

struct sgx_measure {
	EVP_MD_CTX *sha;
};

static _Noreturn void measure_panic(const char *what)
{
	fprintf(stderr, "softsgx: libcrypto failed in %s\n", what);
	abort();
}

struct sgx_measure *sgx_measure_new(void)
{
	struct sgx_measure *m = calloc(1, sizeof(*m));

	if (!m)
		return NULL;
	m->sha = EVP_MD_CTX_new();
	if (!m->sha) {
		free(m);
		return NULL;
	}
	if (EVP_DigestInit_ex(m->sha, EVP_sha256(), NULL) != 1)
		measure_panic("SHA-256 init");
	return m;
}

void sgx_measure_free(struct sgx_measure *m)
{
	if (!m)
		return;
	EVP_MD_CTX_free(m->sha);
	free(m);
}

/* @len bytes (whole blocks) into the hash, in one call: per-call costs dominate small updates. */
static void measure_blocks(struct sgx_measure *m, const uint8_t *blocks, size_t len)
{
	if (EVP_DigestUpdate(m->sha, blocks, len) != 1)
		measure_panic("SHA-256 update");
}

void sgx_measure_ecreate(struct sgx_measure *m, uint32_t ssa_frame_size, uint64_t size)
{
	uint8_t block[64] = "ECREATE";

	memcpy(block + 8, &ssa_frame_size, 4);
	memcpy(block + 12, &size, 8);
	measure_blocks(m, block, sizeof(block));
}

/* The EADD block of @offset and @secinfo_flags into @block (64 bytes). */
static void eadd_block(uint8_t block[64], uint64_t offset, uint64_t secinfo_flags)
{
	memset(block, 0, 64);
	memcpy(block, "EADD", 4);
	memcpy(block + 8, &offset, 8);
	/* SECINFO bytes 0..47: the flags, then reserved bytes, zero by EADD's check. */
	memcpy(block + 16, &secinfo_flags, 8);
}

/* The EEXTEND header of @offset and the 256 data bytes into @out (320 bytes). */
static void eextend_blocks(uint8_t out[320], uint64_t offset, const uint8_t data[256])
{
	memset(out, 0, 64);
	memcpy(out, "EEXTEND", 7);
	memcpy(out + 8, &offset, 8);
	memcpy(out + 64, data, 256);
}

void sgx_measure_eadd(struct sgx_measure *m, uint64_t offset, uint64_t secinfo_flags)
{
	uint8_t block[64];

	eadd_block(block, offset, secinfo_flags);
	measure_blocks(m, block, sizeof(block));
}

void sgx_measure_eextend(struct sgx_measure *m, uint64_t offset, const uint8_t data[256])
{
	uint8_t blocks[320];

	eextend_blocks(blocks, offset, data);
	measure_blocks(m, blocks, sizeof(blocks));
}

void sgx_measure_page(struct sgx_measure *m, uint64_t offset, uint64_t secinfo_flags,
		      const uint8_t data[4096], int measured)
{
	uint8_t blocks[64 + 16 * 320];
	size_t len = 64;
	uint64_t chunk;

	eadd_block(blocks, offset, secinfo_flags);
	for (chunk = 0; measured && chunk < 4096; chunk += 256, len += 320)
		eextend_blocks(blocks + len, offset + chunk, data + chunk);
	measure_blocks(m, blocks, len);
}

void sgx_measure_digest(const struct sgx_measure *m, uint8_t mrenclave[32])
{
	EVP_MD_CTX *copy = EVP_MD_CTX_new();
	unsigned int len = 32;

	/* EINIT may fail and be retried: finish a copy, keep the running hash. */
	if (!copy || EVP_MD_CTX_copy_ex(copy, m->sha) != 1 ||
	    EVP_DigestFinal_ex(copy, mrenclave, &len) != 1)
		measure_panic("SHA-256 final");
	EVP_MD_CTX_free(copy);
}
