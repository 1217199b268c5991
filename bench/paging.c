/* SPDX-License-Identifier: MIT */
/*
 * paging: an enclave four times the EPC, read in order by enclave code
 * (TE_OP_CHECK), so that each page touched is reloaded (ELDU) and, in
 * the steady state, another written back (EWB) by the reclaimer. Figures:
 * pages per second of the sweep, and the time per page against what
 * eviction and reload cannot avoid on the host: sealing and opening
 * 4 KiB with AES-128-GCM, and two mprotects (the page's mapping taken
 * away and given back).
 */
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "bench.h"
#include "test/abi.h"

#define EPC_PAGES 1024ull
#define ENCL_PAGES (4 * EPC_PAGES)
#define SEED 0x9a9e5ull

/* AES-128-GCM seal and open of one 4 KiB page, @iters times: us per pair. */
static double gcm_pair_us(int iters)
{
	static unsigned char key[16] = { 1 }, iv[12] = { 2 }, in[4096], sealed[4096], out[4096];
	unsigned char tag[16];
	EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
	double t;
	int i, len, ok = ctx != NULL;

	t = bench_now_us();
	for (i = 0; i < iters && ok; i++) {
		iv[0] = (unsigned char)i; /* a fresh nonce per seal, as EWB's version does */
		ok = EVP_EncryptInit_ex(ctx, EVP_aes_128_gcm(), NULL, key, iv) &&
		     EVP_EncryptUpdate(ctx, sealed, &len, in, sizeof(in)) &&
		     EVP_EncryptFinal_ex(ctx, sealed + len, &len) &&
		     EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, sizeof(tag), tag) &&
		     EVP_DecryptInit_ex(ctx, EVP_aes_128_gcm(), NULL, key, iv) &&
		     EVP_DecryptUpdate(ctx, out, &len, sealed, sizeof(sealed)) &&
		     EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, sizeof(tag), tag) &&
		     EVP_DecryptFinal_ex(ctx, out + len, &len) > 0;
	}
	t = (bench_now_us() - t) / iters;
	EVP_CIPHER_CTX_free(ctx);
	return ok && !memcmp(in, out, sizeof(in)) ? t : 0;
}

/* Two mprotects of a page in use (away, back), @iters times: us per pair. */
static double mprotect_pair_us(int iters)
{
	char *p = mmap(NULL, BENCH_PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	double t;
	int i;

	if (p == MAP_FAILED)
		return 0;
	t = bench_now_us();
	for (i = 0; i < iters; i++) {
		mprotect(p, BENCH_PAGE, PROT_NONE);
		mprotect(p, BENCH_PAGE, PROT_READ | PROT_WRITE);
		p[0] = 1;
	}
	t = (bench_now_us() - t) / iters;
	munmap(p, BENCH_PAGE);
	return t;
}

static double paging_floor;

static void paging_child(struct bench *b, void *arg)
{
	struct softsgx_enclave *e = bench_load(b, 2, 64ull << 20);
	uint64_t base = softsgx_enclave_free_start(e), evicted, reloaded, bad;
	double rate[16], per_page[16], t;
	struct bench_row *row;
	int r;

	(void)arg;
	bench_op_ok(e, 0, "filling the enclave", TE_OP_FILL, base, ENCL_PAGES, SEED, 1);
	bench_op(e, 0, TE_OP_CHECK, base, ENCL_PAGES, SEED, 1); /* into the steady state */
	evicted = softsgx_counter(SOFTSGX_CNT_EPC_EVICTED);
	reloaded = softsgx_counter(SOFTSGX_CNT_EPC_RELOADED);
	for (r = 0; r < b->runs; r++) {
		t = bench_now_us();
		bad = bench_op(e, 0, TE_OP_CHECK, base, ENCL_PAGES, SEED, 1);
		t = bench_now_us() - t;
		if (bad) {
			fprintf(stderr, "softsgx bench: %llu words wrong after paging\n",
				(unsigned long long)bad);
			exit(1);
		}
		rate[r] = ENCL_PAGES / (t / 1e6);
		per_page[r] = t / ENCL_PAGES;
	}
	evicted = softsgx_counter(SOFTSGX_CNT_EPC_EVICTED) - evicted;
	reloaded = softsgx_counter(SOFTSGX_CNT_EPC_RELOADED) - reloaded;
	row = bench_add(b, "paging", "eviction + reload, per page read in order", "4x the EPC",
			ENCL_PAGES, "us", per_page, b->runs, "AES-GCM seal+open 4K, 2 mprotects",
			paging_floor);
	if (row) {
		row->target = TARGET_RATIO;
		row->target_max = 2;
		snprintf(row->counts, sizeof(row->counts), "%.2f EWB, %.2f ELDU per page",
			 (double)evicted / (b->runs * ENCL_PAGES),
			 (double)reloaded / (b->runs * ENCL_PAGES));
	}
	bench_add(b, "paging", "sequential read sweep", "4x the EPC", ENCL_PAGES, "pages/s", rate,
		  b->runs, NULL, 0);
	softsgx_unload(e);
}

static void run_paging(struct bench *b)
{
	struct softsgx_config cfg = { .epc_size = EPC_PAGES * BENCH_PAGE };
	double v[16];
	int r;

	for (r = 0; r < b->runs; r++)
		v[r] = gcm_pair_us(2000) + mprotect_pair_us(2000);
	paging_floor = bench_median(v, b->runs);
	bench_child(b, "paging", &cfg, NULL, paging_child, NULL);
}

const struct bench_def bench_paging = {
	.name = "paging",
	.summary = "eviction + reload vs AES-GCM seal + open; a sweep over 4x the EPC",
	.run = run_paging,
};
