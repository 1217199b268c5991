/* SPDX-License-Identifier: MIT */
/*
 * The benchmarks of `softsgx bench`: what they share. A benchmark measures
 * an emulated operation and, in the same run on the same machine, the host
 * operations the emulator cannot avoid for it (its floor: a trap, an
 * mprotect, an AES-GCM seal); each figure is the median of repeated runs,
 * with their spread. Results are rows in one table that every benchmark
 * process appends to (a shared mapping: each platform configuration runs
 * in a child process of its own, since it is fixed when the platform
 * starts), printed per benchmark and written as CSV. Figures, never
 * pass/fail: a row with a target says whether it was met, nothing fails.
 */
#ifndef SOFTSGX_BENCH_H
#define SOFTSGX_BENCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "softsgx/loader.h"
#include "softsgx/softsgx.h"

#define BENCH_PAGE 4096ull

/* What a row's target bounds: nothing, the ratio to its floor, or the figure itself. */
enum bench_target { TARGET_NONE, TARGET_RATIO, TARGET_VALUE };

struct bench_row {
	char bench[12];         /* the benchmark's name (softsgx bench NAMES) */
	char what[64];          /* the emulated operation */
	char variant[40];       /* its setting: tracking mode, threads inside, host features */
	uint64_t n;             /* the size swept (pages), or 0 */
	char unit[12];          /* "us", "s", "pages/s", "B/page" */
	double med, lo, hi;     /* median, lowest and highest over the runs */
	int runs;
	char floor_what[48];    /* what the figure is compared with; "" for none */
	double floor;           /* its median, in the same unit */
	enum bench_target target;
	double target_max;      /* the ratio or the figure must not exceed it */
	char counts[80];        /* events per call that explain the figure, e.g. "1 ETRACK" */
};

#define BENCH_MAX_ROWS 512

/* The run: options, the embedded enclave image, and the shared table of rows. */
struct bench {
	bool quick;             /* fewer runs, smaller sizes: under a minute */
	int runs;               /* repeated runs of each measurement */
	const void *image;      /* the test enclave's ELF image */
	size_t image_len;
	struct bench_rows *rows;
};

struct bench_rows {
	char machine[512];      /* where the figures come from (tools/bench.c) */
	unsigned int host_present; /* host_features_present(), probed in a child */
	int nr;
	struct bench_row row[BENCH_MAX_ROWS];
};

/* One benchmark: its name, what it measures, and how. */
struct bench_def {
	const char *name;
	const char *summary;
	void (*run)(struct bench *b);
};

extern const struct bench_def bench_ecall, bench_sweep, bench_eaug, bench_paging, bench_heap,
	bench_memory, bench_signal, bench_preload, bench_syscalls;

/* Microseconds on the monotonic clock. */
static inline double bench_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

/*
 * bench_add() - append a row for benchmark @name: @what and @variant,
 * size @n, the figures @v of @runs runs in @unit (sorted in place; the
 * median and the extremes are kept), compared with @floor_what whose
 * median is @floor (0 and NULL: nothing). Return: the row, for a target
 * or counts to be set; NULL when the table is full (a message said so).
 */
struct bench_row *bench_add(struct bench *b, const char *name, const char *what,
			    const char *variant, uint64_t n, const char *unit, double *v, int runs,
			    const char *floor_what, double floor);

/* The median of @n figures (sorted in place). */
double bench_median(double *v, int n);

/*
 * bench_child() - run @fn(@b, @arg) in a child process whose platform has
 * @cfg, with SOFTSGX_HOST_DISABLE=@host_disable (NULL: every feature
 * used), and wait for it; its rows go to the shared table.
 * Return: true if it exited 0 (otherwise a message names @label).
 */
bool bench_child(struct bench *b, const char *label, const struct softsgx_config *cfg,
		 const char *host_disable, void (*fn)(struct bench *b, void *arg), void *arg);

/*
 * bench_load() - the test enclave with @tcs threads in an ELRANGE of
 * @size bytes; exits the (child) process with a message if it fails.
 */
struct softsgx_enclave *bench_load(struct bench *b, unsigned int tcs, uint64_t size);

/*
 * bench_op() - test-enclave operation @code (enclaves/test/abi.h) on
 * thread @tcs with arguments @a0..@a3; exits with a message if the call
 * does not end by EEXIT. Return: the operation's ret.
 */
uint64_t bench_op(struct softsgx_enclave *e, unsigned int tcs, uint64_t code, uint64_t a0,
		  uint64_t a1, uint64_t a2, uint64_t a3);

/* The same, for an operation whose ret must be 0 (@what names it in the message). */
void bench_op_ok(struct softsgx_enclave *e, unsigned int tcs, const char *what, uint64_t code,
		 uint64_t a0, uint64_t a1, uint64_t a2, uint64_t a3);

/* Threads spinning inside an enclave (TE_OP_SPIN on TCS 1..n) until stopped. */
struct bench_spinners;
struct bench_spinners *bench_spin_start(struct softsgx_enclave *e, unsigned int n);
void bench_spin_stop(struct bench_spinners *s);

/*
 * The host operations: one ENCLU trap and return (us); one mprotect of
 * @pages touched pages while @spinning threads of the process spin (us).
 */
double bench_host_trap_us(int calls);
double bench_host_mprotect_us(uint64_t pages, unsigned int spinning);

/* Print @name's rows as a table; write every row as CSV to @path (false: a message said why). */
void bench_print(const struct bench *b, const char *name);
bool bench_write_csv(const struct bench *b, const char *path, const char *machine);

/*
 * bench_plot() - the sweep's RESTRICT_PERMISSIONS rows as an SVG at @path
 * (time per call against pages, log-log, one line per tracking mode and
 * thread count, the mprotect floor as reference), drawn by gnuplot.
 * Return: true, or false after a message (no gnuplot, no rows).
 */
bool bench_plot(const struct bench *b, const char *path, const char *machine);

#endif /* SOFTSGX_BENCH_H */
