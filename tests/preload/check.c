/* SPDX-License-Identifier: MIT */
/*
 * The preload tests' check facility (check.h): failures are counted
 * (threads may fail checks at the same time) and reported on stderr with
 * their place; the exit status tells CTest pass, fail or skip.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "check.h"

static unsigned int failures;

static void report(const char *file, int line, const char *fmt, va_list ap)
{
	char msg[1024];

	vsnprintf(msg, sizeof(msg), fmt, ap);
	fflush(stdout);
	fprintf(stderr, "%s:%d: FAIL: %s\n", file, line, msg);
	fflush(stderr);
}

void check_fail(const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	__atomic_add_fetch(&failures, 1, __ATOMIC_RELAXED);
	va_start(ap, fmt);
	report(file, line, fmt, ap);
	va_end(ap);
}

_Noreturn void check_fatal(const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	report(file, line, fmt, ap);
	va_end(ap);
	fprintf(stderr, "FAILED (fatal)\n");
	exit(1);
}

_Noreturn void check_skip(const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	fprintf(stderr, "SKIP: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n");
	exit(CHECK_SKIP);
}

unsigned int check_failures(void)
{
	return __atomic_load_n(&failures, __ATOMIC_RELAXED);
}

_Noreturn void check_exit(const char *name)
{
	unsigned int n = check_failures();

	fflush(stdout);
	if (n) {
		fprintf(stderr, "%s: %u check(s) FAILED\n", name, n);
		exit(1);
	}
	printf("%s: all checks passed\n", name);
	exit(0);
}

void check_note(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
}
