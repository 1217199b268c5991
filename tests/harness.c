/* SPDX-License-Identifier: MIT */
/*
 * The test runner behind harness.h: runs every registered test (or those
 * whose names contain argv[1]) and prints a CTest-friendly summary.
 */
#include <stdarg.h>
#include <stdlib.h>

#include "cpu/cpu.h"
#include "harness.h"

#define MAX_TESTS 512

static struct {
	const char *name;
	test_fn fn;
} tests[MAX_TESTS];
static int nr_tests;
static int current_failures;

void harness_register(const char *name, test_fn fn)
{
	if (nr_tests == MAX_TESTS) {
		fprintf(stderr, "harness: too many tests\n");
		exit(2);
	}
	tests[nr_tests].name = name;
	tests[nr_tests].fn = fn;
	nr_tests++;
}

void harness_fail(const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "  %s:%d: ", file, line);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	current_failures++;
}

int harness_failures(void)
{
	return current_failures;
}

const char *harness_sgx_name(int ret)
{
	return sgx_code_name(ret);
}

int main(int argc, char **argv)
{
	int passed = 0, failed = 0, i;

	for (i = 0; i < nr_tests; i++) {
		if (argc > 1 && !strstr(tests[i].name, argv[1]))
			continue;
		current_failures = 0;
		tests[i].fn();
		if (current_failures) {
			printf("FAIL %s\n", tests[i].name);
			failed++;
		} else {
			printf("ok   %s\n", tests[i].name);
			passed++;
		}
		fflush(stdout);
	}
	printf("%d passed, %d failed\n", passed, failed);
	return failed || !passed ? 1 : 0;
}
