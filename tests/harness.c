/* SPDX-License-Identifier: MIT */
/*
 * The test runner behind harness.h: runs every registered test (or those
 * whose names contain argv[1]) and prints a CTest-friendly summary.
 */
#include <stdarg.h>
#include <stdlib.h>
#include <unistd.h>
#include <sys/wait.h>

#include "cpu/cpu.h"
#include "harness.h"
#include "softsgx/softsgx.h"

#define MAX_TESTS 512

static struct {
	const char *name;
	test_fn fn;
} tests[MAX_TESTS];
static int nr_tests;
static int current_failures;
static bool current_skipped;

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

void harness_skip(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "  skipped: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	current_skipped = true;
}

bool harness_skipped(void)
{
	return current_skipped;
}

int harness_exit_status(void)
{
	return current_failures ? 1 : current_skipped ? HARNESS_SKIP_STATUS : 0;
}

void harness_child_status(const char *file, int line, int status)
{
	if (WIFEXITED(status) && WEXITSTATUS(status) == HARNESS_SKIP_STATUS)
		current_skipped = true;
	else if (!WIFEXITED(status))
		harness_fail(file, line, "the child died of signal %d", WTERMSIG(status));
	else if (WEXITSTATUS(status))
		harness_fail(file, line, "the child exited with status %d", WEXITSTATUS(status));
}

const char *harness_sgx_name(int ret)
{
	return sgx_code_name(ret);
}

void harness_in_child_at(const char *file, int line, const struct softsgx_config *cfg,
			 void (*body)(void))
{
	int status;
	pid_t pid;

	fflush(NULL);
	pid = fork();
	if (pid == 0) {
		if (softsgx_configure(cfg)) {
			fprintf(stderr, "  %s:%d: softsgx_configure in the child: %s\n", file, line,
				strerrorname_np(errno));
			_exit(2);
		}
		body();
		fflush(NULL);
		_exit(harness_exit_status());
	}
	if (pid < 0) {
		harness_fail(file, line, "fork: %s", strerrorname_np(errno));
		return;
	}
	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR) {
			harness_fail(file, line, "waitpid: %s", strerrorname_np(errno));
			return;
		}
	}
	harness_child_status(file, line, status);
}

/*
 * SOFTSGX_TEST_EPC_SIZE (bytes): the EPC of the platform the tests make,
 * unless a test configures its own; a small one makes every test run
 * under eviction.
 */
static void configure_from_env(void)
{
	const char *v = getenv("SOFTSGX_TEST_EPC_SIZE");
	struct softsgx_config cfg = { 0 };

	if (!v || !*v)
		return;
	cfg.epc_size = strtoull(v, NULL, 0);
	if (softsgx_configure(&cfg)) {
		fprintf(stderr, "SOFTSGX_TEST_EPC_SIZE=%s: %s\n", v, strerrorname_np(errno));
		exit(2);
	}
}

int main(int argc, char **argv)
{
	int passed = 0, failed = 0, skipped = 0, i;

	configure_from_env();

	for (i = 0; i < nr_tests; i++) {
		if (argc > 1 && !strstr(tests[i].name, argv[1]))
			continue;
		current_failures = 0;
		current_skipped = false;
		tests[i].fn();
		if (current_failures) {
			printf("FAIL %s\n", tests[i].name);
			failed++;
		} else if (current_skipped) {
			printf("skip %s\n", tests[i].name);
			skipped++;
		} else {
			printf("ok   %s\n", tests[i].name);
			passed++;
		}
		fflush(stdout);
	}
	printf("%d passed, %d failed, %d skipped\n", passed, failed, skipped);
	if (failed || (!passed && !skipped))
		return 1;
	return passed ? 0 : HARNESS_SKIP_STATUS;
}
