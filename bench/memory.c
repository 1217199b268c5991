/* SPDX-License-Identifier: MIT */
/*
 * memory: the emulator's own memory per page, measured, not computed from
 * struct sizes: the growth of the process's anonymous memory (the
 * "Anonymous" line of /proc/self/smaps_rollup: malloc'd and privately
 * mapped pages actually in use; EPC frames and enclave backing live in
 * memory files and are not counted) when
 *  - the platform starts, with two EPC sizes: the difference over the
 *    difference in pages is what each EPC page costs;
 *  - an initialized enclave gains 65,536 pages (EAUG and EACCEPT): what
 *    each enclave page costs, its EPC frame's share included.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "bench.h"
#include "cli.h"
#include "softsgx/arch.h"
#include "test/abi.h"

#define ENCL_PAGES 65536ull

/* The process's anonymous memory in bytes, or 0 if unreadable. */
static uint64_t anonymous_bytes(void)
{
	return cli_proc_bytes("/proc/self/smaps_rollup", "Anonymous");
}

/* Bytes of anonymous memory the platform's start added, into the shared slot @arg. */
static void platform_child(struct bench *b, void *arg)
{
	double *out = arg;
	uint64_t before = anonymous_bytes();
	int fd = softsgx_open("/dev/sgx_enclave", O_RDWR);

	(void)b;
	if (fd < 0) {
		perror("softsgx bench: /dev/sgx_enclave");
		exit(1);
	}
	*out = (double)(anonymous_bytes() - before);
	softsgx_close(fd);
}

static void enclave_child(struct bench *b, void *arg)
{
	struct softsgx_enclave *e = bench_load(b, 2, 1ull << 30);
	uint64_t base = softsgx_enclave_free_start(e), before;
	double *out = arg;

	before = anonymous_bytes();
	if (softsgx_madvise((void *)(uintptr_t)base, ENCL_PAGES * BENCH_PAGE, MADV_WILLNEED)) {
		perror("softsgx bench: MADV_WILLNEED");
		exit(1);
	}
	bench_op_ok(e, 0, "EACCEPT", TE_OP_ACCEPT_RANGE,
		    SGX_SECINFO_REG | SGX_SECINFO_R | SGX_SECINFO_W | SGX_SECINFO_PENDING, base,
		    ENCL_PAGES, 0);
	*out = (double)(anonymous_bytes() - before) / ENCL_PAGES;
	softsgx_unload(e);
}

static void run_memory(struct bench *b)
{
	const uint64_t small = 16384, large = 262144; /* EPC pages: 64 MiB, 1 GiB */
	double *slot = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	struct softsgx_config cfg = { 0 };
	struct bench_row *row;
	double per_epc, per_page;

	if (slot == MAP_FAILED) {
		perror("softsgx bench: mmap");
		return;
	}
	if (!anonymous_bytes()) {
		printf("  (no /proc/self/smaps_rollup here: nothing to measure with)\n");
		return;
	}
	cfg.epc_size = small * BENCH_PAGE;
	bench_child(b, "memory (small EPC)", &cfg, NULL, platform_child, &slot[0]);
	cfg.epc_size = large * BENCH_PAGE;
	bench_child(b, "memory (large EPC)", &cfg, NULL, platform_child, &slot[1]);
	per_epc = (slot[1] - slot[0]) / (double)(large - small);
	row = bench_add(b, "memory", "emulator memory per EPC page (platform start)", NULL, 0,
			"B/page", &per_epc, 1, NULL, 0);
	if (row) {
		row->target = TARGET_VALUE;
		row->target_max = 64;
		snprintf(row->counts, sizeof(row->counts), "%.0f KiB at 64 MiB, %.0f KiB at 1 GiB",
			 slot[0] / 1024, slot[1] / 1024);
	}
	cfg.epc_size = 512ull << 20;
	bench_child(b, "memory (enclave)", &cfg, NULL, enclave_child, &slot[2]);
	per_page = slot[2];
	row = bench_add(b, "memory", "emulator memory per enclave page (EAUG+EACCEPT)", NULL,
			ENCL_PAGES, "B/page", &per_page, 1, NULL, 0);
	if (row) {
		row->target = TARGET_VALUE;
		row->target_max = 64;
	}
	munmap(slot, 4096);
}

const struct bench_def bench_memory = {
	.name = "memory",
	.summary = "emulator bytes per EPC page and per enclave page, measured",
	.run = run_memory,
};
