/* SPDX-License-Identifier: MIT */
/*
 * The EDMM operations at scale.
 *  sweep  RESTRICT_PERMISSIONS, MODIFY_TYPES(TRIM) and REMOVE_PAGES over N
 *         contiguous pages (N = 1 .. 65536) with 0, 1 and 3 threads spinning
 *         inside, per-page tracking (as upstream Linux) against batched:
 *         time per call, ETRACKs and interrupt rounds per call, against one
 *         mprotect(2) of N pages in use. One pass runs the lifecycle a
 *         runtime runs: EAUG + EACCEPT, RESTRICT, EACCEPT, TRIM, EACCEPT,
 *         REMOVE; the three ioctls are timed.
 *  eaug   N = 4096 pages added by faults (EACCEPT of an unbacked page: #PF,
 *         EAUG, EACCEPT again) against one MADV_WILLNEED or MAP_POPULATE.
 *  heap   1 GiB (262,144 pages): augment, accept, trim, accept, remove;
 *         seconds per phase, batched and per-page tracking.
 */
#include <asm/sgx.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "bench.h"
#include "softsgx/arch.h"
#include "test/abi.h"

#define REG_RW (SGX_SECINFO_REG | SGX_SECINFO_R | SGX_SECINFO_W)
#define MAX_SIZES 5

static const char *tracking_name(enum softsgx_tracking t)
{
	return t == SOFTSGX_TRACK_BATCHED ? "batched" : "per-page";
}

/* @fn in a child process with per-page, then batched tracking; @cfg's other settings kept. */
static void each_tracking(struct bench *b, struct softsgx_config *cfg,
			  void (*fn)(struct bench *b, void *arg))
{
	static enum softsgx_tracking modes[] = { SOFTSGX_TRACK_PER_PAGE, SOFTSGX_TRACK_BATCHED };
	size_t m;

	for (m = 0; m < sizeof(modes) / sizeof(modes[0]); m++) {
		cfg->tracking = modes[m];
		bench_child(b, tracking_name(modes[m]), cfg, NULL, fn, &modes[m]);
	}
}

static uint64_t offset_of(struct softsgx_enclave *e, uint64_t addr)
{
	return addr - softsgx_enclave_base(e);
}

/* One ioctl that must do all of its range; exits with a message otherwise. */
static void ioctl_all(struct softsgx_enclave *e, unsigned long req, void *arg, const char *what)
{
	if (softsgx_ioctl(softsgx_enclave_fd(e), req, arg)) {
		perror(what);
		exit(1);
	}
}

static void eaug_range(struct softsgx_enclave *e, uint64_t addr, uint64_t pages)
{
	if (softsgx_madvise((void *)(uintptr_t)addr, pages * BENCH_PAGE, MADV_WILLNEED)) {
		perror("softsgx bench: MADV_WILLNEED");
		exit(1);
	}
}

static void accept_range(struct softsgx_enclave *e, uint64_t flags, uint64_t addr, uint64_t pages)
{
	bench_op_ok(e, 0, "EACCEPT", TE_OP_ACCEPT_RANGE, flags, addr, pages, 0);
}

static void restrict_range(struct softsgx_enclave *e, uint64_t addr, uint64_t pages)
{
	struct sgx_enclave_restrict_permissions p = {
		.offset = offset_of(e, addr), .length = pages * BENCH_PAGE, .permissions = SGX_SECINFO_R
	};

	ioctl_all(e, SGX_IOC_ENCLAVE_RESTRICT_PERMISSIONS, &p, "RESTRICT_PERMISSIONS");
}

static void trim_range(struct softsgx_enclave *e, uint64_t addr, uint64_t pages)
{
	struct sgx_enclave_modify_types m = {
		.offset = offset_of(e, addr), .length = pages * BENCH_PAGE, .page_type = SGX_PAGE_TYPE_TRIM
	};

	ioctl_all(e, SGX_IOC_ENCLAVE_MODIFY_TYPES, &m, "MODIFY_TYPES");
}

static void remove_range(struct softsgx_enclave *e, uint64_t addr, uint64_t pages)
{
	struct sgx_enclave_remove_pages r = { .offset = offset_of(e, addr),
					      .length = pages * BENCH_PAGE };

	ioctl_all(e, SGX_IOC_ENCLAVE_REMOVE_PAGES, &r, "REMOVE_PAGES");
}

/* sweep */

static const uint64_t sweep_sizes[MAX_SIZES] = { 1, 16, 256, 4096, 65536 };
static const unsigned int sweep_inside[] = { 0, 1, 3 };
#define NR_INSIDE (sizeof(sweep_inside) / sizeof(sweep_inside[0]))
/* One mprotect of N pages, with as many host threads spinning as there are threads inside. */
static double sweep_floor[NR_INSIDE][MAX_SIZES];

static int sweep_nr_sizes(const struct bench *b)
{
	return b->quick ? 4 : 5;
}

static int sweep_runs(const struct bench *b, uint64_t pages)
{
	if (b->quick)
		return pages >= 4096 ? 1 : 3;
	return pages >= 65536 ? 3 : b->runs;
}

enum { OP_RESTRICT, OP_TRIM, OP_REMOVE, NR_OPS };

struct tally {
	double us[16];
	uint64_t etrack, ipi;
};

static void count_from(struct tally *t, uint64_t etrack0, uint64_t ipi0)
{
	t->etrack += softsgx_counter(SOFTSGX_CNT_ETRACK) - etrack0;
	t->ipi += softsgx_counter(SOFTSGX_CNT_IPI_ROUNDS) - ipi0;
}

/* The lifecycle of @pages pages at @base once; the three ioctls timed into run @r of @t. */
static void sweep_pass(struct softsgx_enclave *e, uint64_t base, uint64_t pages, int r,
		       struct tally t[NR_OPS])
{
	uint64_t etrack, ipi;
	double t0;

	eaug_range(e, base, pages);
	accept_range(e, REG_RW | SGX_SECINFO_PENDING, base, pages);

	etrack = softsgx_counter(SOFTSGX_CNT_ETRACK), ipi = softsgx_counter(SOFTSGX_CNT_IPI_ROUNDS);
	t0 = bench_now_us();
	restrict_range(e, base, pages);
	t[OP_RESTRICT].us[r] = bench_now_us() - t0;
	count_from(&t[OP_RESTRICT], etrack, ipi);
	accept_range(e, SGX_SECINFO_REG | SGX_SECINFO_R | SGX_SECINFO_PR, base, pages);

	etrack = softsgx_counter(SOFTSGX_CNT_ETRACK), ipi = softsgx_counter(SOFTSGX_CNT_IPI_ROUNDS);
	t0 = bench_now_us();
	trim_range(e, base, pages);
	t[OP_TRIM].us[r] = bench_now_us() - t0;
	count_from(&t[OP_TRIM], etrack, ipi);
	accept_range(e, SGX_SECINFO_PT(SGX_PAGE_TYPE_TRIM) | SGX_SECINFO_MODIFIED, base, pages);

	etrack = softsgx_counter(SOFTSGX_CNT_ETRACK), ipi = softsgx_counter(SOFTSGX_CNT_IPI_ROUNDS);
	t0 = bench_now_us();
	remove_range(e, base, pages);
	t[OP_REMOVE].us[r] = bench_now_us() - t0;
	count_from(&t[OP_REMOVE], etrack, ipi);
}

static void sweep_child(struct bench *b, void *arg)
{
	static const char *const names[NR_OPS] = { "RESTRICT_PERMISSIONS (R)", "MODIFY_TYPES (TRIM)",
						   "REMOVE_PAGES" };
	enum softsgx_tracking tracking = *(enum softsgx_tracking *)arg;
	struct softsgx_enclave *e = bench_load(b, 4, 512ull << 20);
	uint64_t base = softsgx_enclave_free_start(e);
	static const char *const floor_name[NR_INSIDE] = { "one mprotect of N pages",
							   "same, 1 host thread spinning",
							   "same, 3 host threads spinning" };
	char variant[40];
	size_t k;
	int s, op, r;

	for (k = 0; k < NR_INSIDE; k++) {
		struct bench_spinners *spin = sweep_inside[k] ? bench_spin_start(e, sweep_inside[k]) : NULL;

		snprintf(variant, sizeof(variant), "%s, %u inside", tracking_name(tracking),
			 sweep_inside[k]);
		for (s = 0; s < sweep_nr_sizes(b); s++) {
			uint64_t pages = sweep_sizes[s];
			int runs = sweep_runs(b, pages);
			struct tally t[NR_OPS] = { 0 };

			for (r = 0; r < runs; r++)
				sweep_pass(e, base, pages, r, t);
			for (op = 0; op < NR_OPS; op++) {
				struct bench_row *row = bench_add(b, "sweep", names[op], variant, pages, "us",
								  t[op].us, runs, floor_name[k],
								  sweep_floor[k][s]);

				if (!row)
					continue;
				snprintf(row->counts, sizeof(row->counts), "%.4g ETRACK, %.4g IPI rounds",
					 (double)t[op].etrack / runs, (double)t[op].ipi / runs);
				if (op == OP_RESTRICT && tracking == SOFTSGX_TRACK_BATCHED && pages == 4096) {
					row->target = TARGET_RATIO;
					row->target_max = 3;
				}
			}
		}
		if (spin)
			bench_spin_stop(spin);
	}
	softsgx_unload(e);
}

static void run_sweep(struct bench *b)
{
	struct softsgx_config cfg = { .epc_size = 320ull << 20 };
	double v[16];
	size_t k;
	int s, r;

	for (k = 0; k < NR_INSIDE; k++)
		for (s = 0; s < sweep_nr_sizes(b); s++) {
			for (r = 0; r < b->runs; r++)
				v[r] = bench_host_mprotect_us(sweep_sizes[s], sweep_inside[k]);
			sweep_floor[k][s] = bench_median(v, b->runs);
		}
	each_tracking(b, &cfg, sweep_child);
}

const struct bench_def bench_sweep = {
	.name = "sweep",
	.summary = "RESTRICT_PERMISSIONS, MODIFY_TYPES(TRIM), REMOVE_PAGES over N pages vs mprotect",
	.run = run_sweep,
};

/* eaug */

#define EAUG_PAGES 4096ull

/* The host's first touch of a fresh page of a memory file, per page: what EAUG's frame costs. */
static double host_first_touch_us(uint64_t pages)
{
	int fd = memfd_create("softsgx-bench", MFD_CLOEXEC);
	volatile char *p;
	double t;
	uint64_t i;

	if (fd < 0 || ftruncate(fd, pages * BENCH_PAGE))
		return 0;
	p = mmap(NULL, pages * BENCH_PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	close(fd);
	if (p == MAP_FAILED)
		return 0;
	t = bench_now_us();
	for (i = 0; i < pages; i++)
		p[i * BENCH_PAGE] = 1;
	t = (bench_now_us() - t) / pages;
	munmap((void *)p, pages * BENCH_PAGE);
	return t;
}

static double touch_floor;

static void eaug_child(struct bench *b, void *arg)
{
	struct softsgx_enclave *e = bench_load(b, 2, 1ull << 30);
	uint64_t base = softsgx_enclave_free_start(e), addr = base, len = EAUG_PAGES * BENCH_PAGE;
	double fault[16], willneed[16], willneed_acc[16], populate[16], t;
	struct bench_row *row;
	char counts[48];
	uint64_t eaugs;
	int r;

	(void)arg;
	eaugs = softsgx_counter(SOFTSGX_CNT_FAULT_EAUG);
	for (r = 0; r < b->runs; r++, addr += len) {
		t = bench_now_us();
		accept_range(e, REG_RW | SGX_SECINFO_PENDING, addr, EAUG_PAGES);
		fault[r] = (bench_now_us() - t) / EAUG_PAGES;
	}
	snprintf(counts, sizeof(counts), "%.2f EAUG faults per page",
		 (double)(softsgx_counter(SOFTSGX_CNT_FAULT_EAUG) - eaugs) / (b->runs * EAUG_PAGES));
	for (r = 0; r < b->runs; r++, addr += len) {
		t = bench_now_us();
		eaug_range(e, addr, EAUG_PAGES);
		willneed[r] = (bench_now_us() - t) / EAUG_PAGES;
		accept_range(e, REG_RW | SGX_SECINFO_PENDING, addr, EAUG_PAGES);
		willneed_acc[r] = (bench_now_us() - t) / EAUG_PAGES;
	}
	for (r = 0; r < b->runs; r++, addr += len) {
		t = bench_now_us();
		if (softsgx_mmap((void *)(uintptr_t)addr, len, PROT_READ | PROT_WRITE,
				 MAP_SHARED | MAP_FIXED | MAP_POPULATE, softsgx_enclave_fd(e),
				 0) == MAP_FAILED) {
			perror("softsgx bench: mmap(MAP_POPULATE)");
			exit(1);
		}
		populate[r] = (bench_now_us() - t) / EAUG_PAGES;
	}
	t = bench_median(fault, b->runs);
	row = bench_add(b, "eaug", "EAUG on fault + EACCEPT, per page", NULL, EAUG_PAGES, "us", fault,
			b->runs, "first touch of a memfd page (host)", touch_floor);
	if (row)
		snprintf(row->counts, sizeof(row->counts), "%s", counts);
	row = bench_add(b, "eaug", "EAUG by one MADV_WILLNEED, per page", NULL, EAUG_PAGES, "us",
			willneed, b->runs, "EAUG on fault + EACCEPT (above)", t);
	if (row) {
		row->target = TARGET_RATIO;
		row->target_max = 0.1;
	}
	row = bench_add(b, "eaug", "EAUG by one MAP_POPULATE mmap, per page", NULL, EAUG_PAGES, "us",
			populate, b->runs, "EAUG on fault + EACCEPT (above)", t);
	if (row) {
		row->target = TARGET_RATIO;
		row->target_max = 0.1;
	}
	bench_add(b, "eaug", "MADV_WILLNEED, then EACCEPT, per page", NULL, EAUG_PAGES, "us",
		  willneed_acc, b->runs, "EAUG on fault + EACCEPT (above)", t);
	bench_add(b, "eaug", "EAUG by one MADV_WILLNEED, per page", NULL, EAUG_PAGES, "us", willneed,
		  b->runs, "first touch of a memfd page (host)", touch_floor);
	softsgx_unload(e);
}

static void run_eaug(struct bench *b)
{
	struct softsgx_config cfg = { .epc_size = 512ull << 20 };
	double v[16];
	int r;

	for (r = 0; r < b->runs; r++)
		v[r] = host_first_touch_us(EAUG_PAGES);
	touch_floor = bench_median(v, b->runs);
	bench_child(b, "eaug", &cfg, NULL, eaug_child, NULL);
}

const struct bench_def bench_eaug = {
	.name = "eaug",
	.summary = "4096 pages added by faults vs by one MADV_WILLNEED / MAP_POPULATE",
	.run = run_eaug,
};

/* heap */

enum { PH_AUGMENT, PH_ACCEPT, PH_TRIM, PH_ACCEPT_TRIM, PH_REMOVE, NR_PHASES };

static uint64_t heap_pages(const struct bench *b)
{
	return b->quick ? 65536 : 262144; /* 256 MiB, 1 GiB */
}

static void heap_child(struct bench *b, void *arg)
{
	static const char *const names[NR_PHASES] = {
		"augment: EAUG by MADV_WILLNEED", "augment: EACCEPT each page",
		"trim: MODIFY_TYPES (TRIM)", "trim: EACCEPT each page", "remove: REMOVE_PAGES",
	};
	enum softsgx_tracking tracking = *(enum softsgx_tracking *)arg;
	uint64_t pages = heap_pages(b);
	struct softsgx_enclave *e = bench_load(b, 2, pages * BENCH_PAGE * 2);
	uint64_t base = softsgx_enclave_free_start(e);
	int runs = b->quick ? 1 : 3, r, ph;
	double s[NR_PHASES][16], t;

	for (r = 0; r < runs; r++) {
		t = bench_now_us();
		eaug_range(e, base, pages);
		s[PH_AUGMENT][r] = (bench_now_us() - t) / 1e6;
		t = bench_now_us();
		accept_range(e, REG_RW | SGX_SECINFO_PENDING, base, pages);
		s[PH_ACCEPT][r] = (bench_now_us() - t) / 1e6;
		t = bench_now_us();
		trim_range(e, base, pages);
		s[PH_TRIM][r] = (bench_now_us() - t) / 1e6;
		t = bench_now_us();
		accept_range(e, SGX_SECINFO_PT(SGX_PAGE_TYPE_TRIM) | SGX_SECINFO_MODIFIED, base, pages);
		s[PH_ACCEPT_TRIM][r] = (bench_now_us() - t) / 1e6;
		t = bench_now_us();
		remove_range(e, base, pages);
		s[PH_REMOVE][r] = (bench_now_us() - t) / 1e6;
	}
	for (ph = 0; ph < NR_PHASES; ph++) {
		struct bench_row *row = bench_add(b, "heap", names[ph], tracking_name(tracking), pages,
						  "s", s[ph], runs, NULL, 0);

		if (row) {
			row->target = TARGET_VALUE;
			row->target_max = 2.0;
		}
	}
	softsgx_unload(e);
}

static void run_heap(struct bench *b)
{
	struct softsgx_config cfg = { .epc_size = heap_pages(b) * BENCH_PAGE + (32ull << 20) };

	each_tracking(b, &cfg, heap_child);
}

const struct bench_def bench_heap = {
	.name = "heap",
	.summary = "a 1 GiB heap (--quick: 256 MiB): augment, accept, trim, accept, remove",
	.run = run_heap,
};
