/* SPDX-License-Identifier: MIT */
/*
 * MRENCLAVE computed a second way: the blocks are laid out byte by byte as
 * the SDM describes them (independently of src/cpu/measure.c) and hashed
 * with one plain SHA-256 call; the processor's value after EINIT must match.
 */
#include <stdlib.h>

#include <openssl/sha.h>

#include "fixture.h"

/* A growing buffer of 64-byte measurement blocks. */
static const uint8_t zero_page[SGX_PAGE_SIZE];

struct blocks {
	uint8_t *data;
	size_t len;
};

static uint8_t *new_block(struct blocks *b)
{
	b->data = realloc(b->data, b->len + 64);
	memset(b->data + b->len, 0, 64);
	b->len += 64;
	return b->data + b->len - 64;
}

static void put_le(uint8_t *p, uint64_t v, int bytes)
{
	for (int i = 0; i < bytes; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static void sdm_ecreate(struct blocks *b, uint32_t ssa_frame_size, uint64_t size)
{
	uint8_t *blk = new_block(b);

	put_le(blk, 0x0045544145524345ull, 8); /* "ECREATE\0" */
	put_le(blk + 8, ssa_frame_size, 4);
	put_le(blk + 12, size, 8);
}

static void sdm_eadd(struct blocks *b, uint64_t offset, uint64_t secinfo_flags)
{
	uint8_t *blk = new_block(b);

	put_le(blk, 0x0000000044444145ull, 8); /* "EADD" */
	put_le(blk + 8, offset, 8);
	put_le(blk + 16, secinfo_flags, 8);   /* SECINFO: flags, then 40 reserved zero bytes */
}

static void sdm_eextend_page(struct blocks *b, uint64_t offset, const uint8_t *page)
{
	for (uint64_t chunk = 0; chunk < SGX_PAGE_SIZE; chunk += 256) {
		uint8_t *blk = new_block(b);

		put_le(blk, 0x00444E4554584545ull, 8); /* "EEXTEND\0" */
		put_le(blk + 8, offset + chunk, 8);
		for (int i = 0; i < 4; i++)
			memcpy(new_block(b), page + chunk + 64 * i, 64);
	}
}

TEST(mrenclave_matches_sdm_byte_layout)
{
	struct fx *fx = fx_new(0);
	struct fx_enclave *e = fx_ecreate(fx, NULL);
	struct blocks b = { 0 };
	uint8_t *code = malloc(SGX_PAGE_SIZE), *data = calloc(1, SGX_PAGE_SIZE), want[32];
	struct sgx_tcs *tcs = aligned_alloc(SGX_PAGE_SIZE, SGX_PAGE_SIZE);
	const struct sgx_secs *secs;
	const uint64_t rx = SGX_SECINFO_REG | SGX_SECINFO_R | SGX_SECINFO_X;
	const uint64_t rw = SGX_SECINFO_REG | SGX_SECINFO_R | SGX_SECINFO_W;

	ASSERT_TRUE(e);
	for (int i = 0; i < (int)SGX_PAGE_SIZE; i++)
		code[i] = (uint8_t)(i ^ (i >> 8) ^ 0xC3);
	data[17] = 0x99;
	fx_tcs_default(tcs, FX_SSA0);
	/* The processor's view: the real leaves. */
	ASSERT_SGX(fx_eadd(e, FX_TCS0, SGX_SECINFO_TCS, tcs, true, NULL), SGX_SUCCESS);
	ASSERT_SGX(fx_eadd(e, FX_SSA0, rw, NULL, true, NULL), SGX_SUCCESS);
	ASSERT_SGX(fx_eadd(e, FX_SSA0 + SGX_PAGE_SIZE, rw, NULL, true, NULL), SGX_SUCCESS);
	ASSERT_SGX(fx_eadd(e, FX_CODE, rx, code, true, NULL), SGX_SUCCESS);
	ASSERT_SGX(fx_eadd(e, FX_DATA, rw, data, false, NULL), SGX_SUCCESS);
	ASSERT_SGX(fx_einit(e), SGX_SUCCESS);

	/* The SDM's view: the same sequence as bytes. */
	sdm_ecreate(&b, 1, FX_ENCL_SIZE);
	sdm_eadd(&b, FX_TCS0, SGX_SECINFO_TCS); /* a TCS is measured with RWX = 0 */
	sdm_eextend_page(&b, FX_TCS0, (const uint8_t *)tcs);
	sdm_eadd(&b, FX_SSA0, rw);
	sdm_eextend_page(&b, FX_SSA0, zero_page);
	sdm_eadd(&b, FX_SSA0 + SGX_PAGE_SIZE, rw);
	sdm_eextend_page(&b, FX_SSA0 + SGX_PAGE_SIZE, zero_page);
	sdm_eadd(&b, FX_CODE, rx);
	sdm_eextend_page(&b, FX_CODE, code);
	sdm_eadd(&b, FX_DATA, rw); /* added unmeasured: no EEXTEND */
	SHA256(b.data, b.len, want);

	secs = sgx_cpu_epc_mem(fx->cpu, e->secs);
	EXPECT_TRUE(!memcmp(secs->mrenclave, want, 32));
	EXPECT_TRUE(!memcmp(e->mrenclave, want, 32));
	free(b.data);
	free(tcs);
	free(data);
	free(code);
	fx_free(fx);
}

TEST(mrenclave_depends_on_every_input)
{
	/* Same pages, different order of EADDs: a different MRENCLAVE. */
	struct fx *fx = fx_new(0);
	struct fx_enclave *a = fx_ecreate(fx, NULL), *b;
	struct sgx_secs *secs = aligned_alloc(SGX_PAGE_SIZE, SGX_PAGE_SIZE);
	const uint64_t r = SGX_SECINFO_REG | SGX_SECINFO_R;

	fx_secs_default(secs, 2 * FX_ENCL_BASE, FX_ENCL_SIZE);
	b = fx_ecreate(fx, secs);
	ASSERT_TRUE(a && b);
	ASSERT_SGX(fx_eadd(a, FX_DATA, r, NULL, true, NULL), SGX_SUCCESS);
	ASSERT_SGX(fx_eadd(a, FX_CODE, r, NULL, true, NULL), SGX_SUCCESS);
	ASSERT_SGX(fx_eadd(b, FX_CODE, r, NULL, true, NULL), SGX_SUCCESS);
	ASSERT_SGX(fx_eadd(b, FX_DATA, r, NULL, true, NULL), SGX_SUCCESS);
	ASSERT_SGX(fx_einit(a), SGX_SUCCESS);
	ASSERT_SGX(fx_einit(b), SGX_SUCCESS);
	EXPECT_TRUE(memcmp(a->mrenclave, b->mrenclave, 32) != 0);
	free(secs);
	fx_free(fx);
}
