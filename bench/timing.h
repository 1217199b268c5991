/* SPDX-License-Identifier: MIT */
/*
 * Timing for the small bench programs that run without softsgx (calls.c,
 * syscalls.c): a monotonic clock in nanoseconds and the median of the
 * rounds, so that one slow round does not move a figure.
 */
#ifndef SOFTSGX_BENCH_TIMING_H
#define SOFTSGX_BENCH_TIMING_H

#include <stdlib.h>
#include <time.h>

#define ROUNDS 7

static inline double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static inline int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* The median of ROUNDS figures (sorted in place). */
static inline double median(double *v)
{
	qsort(v, ROUNDS, sizeof(*v), cmp_double);
	return v[ROUNDS / 2];
}

#endif /* SOFTSGX_BENCH_TIMING_H */
