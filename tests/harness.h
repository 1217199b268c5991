/* SPDX-License-Identifier: MIT */
/*
 * A small test harness: TEST(name) defines a test, main() (in harness.c)
 * runs them all, or those whose names contain argv[1]. Matchers name the
 * SGX code, fault or errno they expected and got.
 */
#ifndef SOFTSGX_TEST_HARNESS_H
#define SOFTSGX_TEST_HARNESS_H

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

typedef void (*test_fn)(void);
void harness_register(const char *name, test_fn fn);
/* Record a failure of the running test; returns normally. */
void harness_fail(const char *file, int line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Failures recorded so far in the running test (e.g. by a forked child before it exits). */
int harness_failures(void);
/*
 * Mark the running test skipped, with the reason (a host feature it needs,
 * say); the test should return at once. A skipped test neither passes nor
 * fails; a binary whose tests were all skipped exits with
 * HARNESS_SKIP_STATUS, which CTest reports as skipped.
 */
void harness_skip(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Whether the running test was skipped (e.g. by a forked child). */
bool harness_skipped(void);
#define HARNESS_SKIP_STATUS 77
/*
 * harness_exit_status() - what a forked child exits with for its parent's
 * harness_child_status(): 0 passed, 1 failed, HARNESS_SKIP_STATUS skipped.
 */
int harness_exit_status(void);
/* Take over the result of a child that exited with harness_exit_status(). */
void harness_child_status(const char *file, int line, int wait_status);

struct softsgx_config;
/*
 * Run @body in a forked child whose platform is configured with @cfg
 * (which must come before the first use of the platform there): its
 * failures fail the running test, its skip skips it.
 */
#define harness_in_child(cfg, body) harness_in_child_at(__FILE__, __LINE__, (cfg), (body))
void harness_in_child_at(const char *file, int line, const struct softsgx_config *cfg,
			 void (*body)(void));
/* Name of an SGX leaf result: "SGX_NOT_TRACKED", "#PF", ... */
const char *harness_sgx_name(int ret);

#define TEST(name)                                                        \
	static void test_##name(void);                                    \
	__attribute__((constructor)) static void register_##name(void)   \
	{                                                                 \
		harness_register(#name, test_##name);                      \
	}                                                                 \
	static void test_##name(void)

/* Skip the test, saying why, unless @cond holds. */
#define SKIP_UNLESS(cond, ...)               \
	do {                                 \
		if (!(cond)) {               \
			harness_skip(__VA_ARGS__); \
			return;              \
		}                            \
	} while (0)

/* Fail and leave the test. */
#define ASSERT_TRUE(cond)                                                   \
	do {                                                                \
		if (!(cond)) {                                              \
			harness_fail(__FILE__, __LINE__, "expected %s", #cond); \
			return;                                             \
		}                                                           \
	} while (0)

#define EXPECT_TRUE(cond)                                                  \
	do {                                                               \
		if (!(cond))                                               \
			harness_fail(__FILE__, __LINE__, "expected %s", #cond); \
	} while (0)

#define EXPECT_EQ(a, b)                                                          \
	do {                                                                     \
		unsigned long long a_ = (unsigned long long)(a);                 \
		unsigned long long b_ = (unsigned long long)(b);                 \
		if (a_ != b_)                                                    \
			harness_fail(__FILE__, __LINE__, "%s == %#llx, expected %s == %#llx", \
				     #a, a_, #b, b_);                             \
	} while (0)

#define ASSERT_EQ(a, b)                                                          \
	do {                                                                     \
		unsigned long long a_ = (unsigned long long)(a);                 \
		unsigned long long b_ = (unsigned long long)(b);                 \
		if (a_ != b_) {                                                  \
			harness_fail(__FILE__, __LINE__, "%s == %#llx, expected %s == %#llx", \
				     #a, a_, #b, b_);                             \
			return;                                                  \
		}                                                                \
	} while (0)

/* A leaf result: SGX_SUCCESS, an SGX code, SGX_GP or SGX_PF. */
#define EXPECT_SGX(expr, want)                                                   \
	do {                                                                     \
		int got_ = (expr), want_ = (want);                               \
		if (got_ != want_)                                               \
			harness_fail(__FILE__, __LINE__, "%s returned %s (%#x), expected %s", \
				     #expr, harness_sgx_name(got_), got_, harness_sgx_name(want_)); \
	} while (0)

#define ASSERT_SGX(expr, want)                                                   \
	do {                                                                     \
		int got_ = (expr), want_ = (want);                               \
		if (got_ != want_) {                                             \
			harness_fail(__FILE__, __LINE__, "%s returned %s (%#x), expected %s", \
				     #expr, harness_sgx_name(got_), got_, harness_sgx_name(want_)); \
			return;                                                  \
		}                                                                \
	} while (0)

/* A system-call-like result: -1 with errno @err. */
#define EXPECT_ERRNO(expr, err)                                                  \
	do {                                                                     \
		errno = 0;                                                       \
		long got_ = (long)(expr);                                        \
		int e_ = errno;                                                  \
		if (got_ != -1 || e_ != (err))                                   \
			harness_fail(__FILE__, __LINE__, "%s returned %ld errno %s, expected -1 errno %s", \
				     #expr, got_, e_ ? strerrorname_np(e_) : "0", strerrorname_np(err)); \
	} while (0)

#endif /* SOFTSGX_TEST_HARNESS_H */
