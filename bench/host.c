/* SPDX-License-Identifier: MIT */
/*
 * What softsgx costs programs outside their enclaves, measured by small
 * programs that know nothing of softsgx (in the build tree, beside this
 * command's build: bench/softsgx_bench_*):
 *  preload   ordinary calls (open+close, mmap+munmap, mprotect, fstat) and
 *            a program's own system calls, with libsoftsgx-preload.so and
 *            without it, in alternating runs (calls.c, rawcalls.c);
 *  syscalls  a system call let through, or trapped to SIGSYS, by a seccomp
 *            filter and by Syscall User Dispatch (syscalls.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench.h"

#define MAX_FIGURES 4

static bool have(const char *path)
{
	if (!access(path, X_OK) || !access(path, R_OK))
		return true;
	printf("  (%s is missing: these figures need the build tree)\n", path);
	return false;
}

/* A helper program's @n figures (ns) on one line, run with the preload library or without. */
static bool run_figures(bool preload, const char *prog, const char *arg, double *out, int n)
{
	char cmd[4096];
	bool ok = true;
	FILE *p;
	int i;

	snprintf(cmd, sizeof(cmd), "%s%s%s '%s' %s%s%s", preload ? "LD_PRELOAD='" : "",
		 preload ? SOFTSGX_PRELOAD : "", preload ? "'" : "", prog, arg ? "'" : "",
		 arg ? arg : "", arg ? "'" : "");
	p = popen(cmd, "r");
	if (!p)
		return false;
	for (i = 0; i < n; i++)
		ok = ok && fscanf(p, "%lf", &out[i]) == 1;
	return !pclose(p) && ok;
}

/* The figures with the preload library against without, runs alternating; one row each. */
static void compare_preloaded(struct bench *b, const char *prog, const char *arg,
			      const char *const *names, int n)
{
	double with[MAX_FIGURES], without[MAX_FIGURES], us[2][MAX_FIGURES][16];
	char what[64];
	int r, i;

	if (!have(prog) || !have(SOFTSGX_PRELOAD))
		return;
	for (r = 0; r < b->runs; r++) {
		if (!run_figures(false, prog, arg, without, n) || !run_figures(true, prog, arg, with, n)) {
			fprintf(stderr, "softsgx bench: %s failed\n", prog);
			return;
		}
		for (i = 0; i < n; i++) {
			us[0][i][r] = with[i] / 1e3;
			us[1][i][r] = without[i] / 1e3;
		}
	}
	for (i = 0; i < n; i++) {
		snprintf(what, sizeof(what), "%s", names[i]);
		bench_add(b, "preload", what, "preloaded", 0, "us", us[0][i], b->runs,
			  "the same without the preload", bench_median(us[1][i], b->runs));
	}
}

static void run_preload(struct bench *b)
{
	static const char *const calls[MAX_FIGURES] = { "open + close of a file",
							"mmap + munmap of a file page",
							"mprotect of an anonymous page", "fstat of a file" };
	static const char *const raw[] = { "own getppid (let through)",
					   "own close(-1) (trapped, routed)",
					   "own rt_sigprocmask (trapped, answered)" };
	char file[] = "/tmp/softsgx-bench-XXXXXX";
	int fd = mkstemp(file);

	if (fd < 0 || ftruncate(fd, 4096)) {
		perror("softsgx bench: a file for the preload figures");
		return;
	}
	close(fd);
	compare_preloaded(b, SOFTSGX_BENCH_CALLS, file, calls, MAX_FIGURES);
	unlink(file);
	compare_preloaded(b, SOFTSGX_BENCH_RAWCALLS, NULL, raw, 3);
}

const struct bench_def bench_preload = {
	.name = "preload",
	.summary = "ordinary calls and a program's own system calls under libsoftsgx-preload.so",
	.run = run_preload,
};

static void run_syscalls(struct bench *b)
{
	double base[16], through[16][2], trapped[16][2], x, y;
	char mode[32], what[64];
	static const char *const modes[2] = { "seccomp", "sud" };
	int r, m, got[2] = { 0 };
	FILE *p;

	if (!have(SOFTSGX_BENCH_SYSCALLS))
		return;
	for (r = 0; r < b->runs; r++) {
		p = popen(SOFTSGX_BENCH_SYSCALLS, "r");
		if (!p)
			return;
		while (fscanf(p, "%31s %lf %lf", mode, &x, &y) == 3) {
			if (!strcmp(mode, "none"))
				base[r] = x / 1e3;
			for (m = 0; m < 2; m++)
				if (!strcmp(mode, modes[m])) {
					through[r][m] = x / 1e3;
					trapped[r][m] = y / 1e3;
					got[m]++;
				}
		}
		pclose(p);
	}
	x = bench_median(base, b->runs);
	for (m = 0; m < 2; m++) {
		double v[16], w[16];

		if (got[m] != b->runs) {
			printf("  (%s unavailable on this host)\n", modes[m]);
			continue;
		}
		for (r = 0; r < b->runs; r++) {
			v[r] = through[r][m];
			w[r] = trapped[r][m];
		}
		snprintf(what, sizeof(what), "system call let through by %s", modes[m]);
		bench_add(b, "syscalls", what, NULL, 0, "us", v, b->runs, "no filter, no dispatch", x);
		snprintf(what, sizeof(what), "system call trapped by %s (SIGSYS)", modes[m]);
		bench_add(b, "syscalls", what, NULL, 0, "us", w, b->runs, "no filter, no dispatch", x);
	}
}

const struct bench_def bench_syscalls = {
	.name = "syscalls",
	.summary = "catching raw system calls: seccomp filter vs Syscall User Dispatch",
	.run = run_syscalls,
};
