/* SPDX-License-Identifier: MIT */
/*
 * ecall: EENTER -> NOP -> EEXIT through the entry function, against one
 * bare trap-and-return (the ENCLU that enclave code executes traps once per
 * leaf) and against a plain function call; with every host feature
 * softsgx uses, then with each turned off (SOFTSGX_HOST_DISABLE), which is
 * what a host without it costs, measured on this one.
 */
#include <stdio.h>
#include <string.h>

#include "bench.h"
#include "host/features.h"
#include "test/abi.h"

static double host_trap, host_call;

/* Not inlined, called through a pointer: a real call and return. */
static __attribute__((noinline)) uint64_t nop_function(uint64_t x)
{
	__asm__ volatile("" ::: "memory");
	return x + 1;
}

static double function_call_us(void)
{
	uint64_t (*volatile f)(uint64_t) = nop_function;
	const int calls = 1000000;
	uint64_t x = 0;
	double t = bench_now_us();
	int i;

	for (i = 0; i < calls; i++)
		x = f(x);
	return x == (uint64_t)calls ? (bench_now_us() - t) / calls : 0;
}

/* The features in use, as "fsgsbase+sud" (or "none"). */
static void features_in_use(char *buf, size_t len)
{
	unsigned int f, used = host_features();
	size_t n = 0;

	buf[0] = 0;
	for (f = 1; f <= HOST_FSGSBASE_READ && n < len; f <<= 1)
		if (used & f)
			n += snprintf(buf + n, len - n, "%s%s", n ? "+" : "", host_feature_name(f));
	if (!n)
		snprintf(buf, len, "none");
}

static void ecall_child(struct bench *b, void *arg)
{
	const char *disable = arg;
	struct softsgx_enclave *e = bench_load(b, 2, 0);
	const int calls = b->quick ? 300 : 1000;
	char variant[48], used[64];
	struct bench_row *row, *row2;
	double v[16], w[16];
	int r, i;

	features_in_use(used, sizeof(used));
	snprintf(variant, sizeof(variant), "%s%s", disable ? "no " : "every feature",
		 disable ? disable : "");
	bench_op(e, 0, TE_OP_NOP, 0, 0, 0, 0); /* the first touches fault the pages in */
	for (r = 0; r < b->runs; r++) {
		double t = bench_now_us();

		for (i = 0; i < calls; i++)
			bench_op(e, 0, TE_OP_NOP, 0, 0, 0, 0);
		v[r] = w[r] = (bench_now_us() - t) / calls;
	}
	row = bench_add(b, "ecall", "ecall (EENTER, NOP, EEXIT)", variant, 0, "us", v, b->runs,
			"1 ENCLU trap and return", host_trap);
	if (row && (host_features() & HOST_FSGSBASE)) {
		row->target = TARGET_RATIO;
		row->target_max = 1.3;
	}
	if (row)
		snprintf(row->counts, sizeof(row->counts), "uses %s", used);
	if (!disable) {
		row2 = bench_add(b, "ecall", "ecall (EENTER, NOP, EEXIT)", variant, 0, "us", w,
				 b->runs, "a function call", host_call);
		if (row2)
			snprintf(row2->counts, sizeof(row2->counts), "uses %s", used);
	}
	softsgx_unload(e);
}

static void run_ecall(struct bench *b)
{
	static const char *const off[] = { "fsgsbase", "sud", "cpuid-faulting", "all" };
	struct softsgx_config cfg = { 0 };
	double v[16];
	size_t i;
	int r;

	for (r = 0; r < b->runs; r++)
		v[r] = bench_host_trap_us(2000);
	host_trap = bench_median(v, b->runs);
	for (r = 0; r < b->runs; r++)
		v[r] = function_call_us();
	host_call = bench_median(v, b->runs);
	bench_child(b, "ecall", &cfg, NULL, ecall_child, NULL);
	for (i = 0; i < sizeof(off) / sizeof(off[0]); i++) {
		if (strcmp(off[i], "all")) {
			unsigned int f;

			host_features_parse(off[i], &f, NULL);
			if (!(b->rows->host_present & f)) {
				printf("  (no %s on this host: the runs above are without it)\n", off[i]);
				continue;
			}
		}
		bench_child(b, off[i], &cfg, off[i], ecall_child, (void *)off[i]);
	}
}

const struct bench_def bench_ecall = {
	.name = "ecall",
	.summary = "EENTER -> EEXIT against one trap and a function call, per host feature",
	.run = run_ecall,
};
