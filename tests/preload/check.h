/* SPDX-License-Identifier: MIT */
/*
 * A small check facility for the preload tests, which may not link
 * softsgx (and so not tests/harness.h): a failed check prints the file,
 * the line, the expression and the values and is counted; a fatal one
 * ends the program at once. check_exit() ends it with 0 (all passed),
 * 1 (something failed) or 77 (skipped, as CTest's SKIP_RETURN_CODE).
 */
#ifndef PRELOAD_TEST_CHECK_H
#define PRELOAD_TEST_CHECK_H

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#define CHECK_SKIP 77

/* Record a failure at @file:@line with a printf-style message. */
void check_fail(const char *file, int line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* A failure that ends the program (exit status 1). */
_Noreturn void check_fatal(const char *file, int line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Print @reason and exit 77: what the test needs is not there. */
_Noreturn void check_skip(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* The number of failures so far. */
unsigned int check_failures(void);
/* Print a summary for @name and exit 0 or 1. */
_Noreturn void check_exit(const char *name);
/* Say what a test program is doing (stdout, flushed). */
void check_note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* CHECK(cond, fmt, ...): a failure, with the message, if @cond is false. */
#define CHECK(cond, ...)                                                                           \
	((cond) ? true : (check_fail(__FILE__, __LINE__, "CHECK(" #cond ") failed: " __VA_ARGS__), \
			  false))

/* REQUIRE(cond, fmt, ...): as CHECK, but the program ends on failure. */
#define REQUIRE(cond, ...)                                                                         \
	do {                                                                                       \
		if (!(cond))                                                                       \
			check_fatal(__FILE__, __LINE__, "REQUIRE(" #cond ") failed: " __VA_ARGS__); \
	} while (0)

/* CHECK_EQ(a, b): both as unsigned 64-bit values, printed in hex and decimal on failure. */
#define CHECK_EQ(a, b)                                                                             \
	({                                                                                         \
		uint64_t check_a_ = (uint64_t)(a), check_b_ = (uint64_t)(b);                       \
		bool check_ok_ = check_a_ == check_b_;                                             \
		if (!check_ok_)                                                                    \
			check_fail(__FILE__, __LINE__,                                             \
				   "%s == %s: %#llx (%lld) != %#llx (%lld)", #a, #b,               \
				   (unsigned long long)check_a_, (long long)check_a_,              \
				   (unsigned long long)check_b_, (long long)check_b_);             \
		check_ok_;                                                                         \
	})

/* CHECK_ERRNO(call, err): @call returns -1 and sets errno to @err. */
#define CHECK_ERRNO(call, err)                                                                     \
	({                                                                                         \
		long check_r_;                                                                     \
		int check_e_;                                                                      \
		errno = 0;                                                                         \
		check_r_ = (long)(call);                                                           \
		check_e_ = errno;                                                                  \
		bool check_ok_ = check_r_ == -1 && check_e_ == (err);                              \
		if (!check_ok_)                                                                    \
			check_fail(__FILE__, __LINE__, "%s: expected -1 with %s, got %ld with %s", \
				   #call, strerrorname_np(err), check_r_,                          \
				   check_e_ ? strerrorname_np(check_e_) : "errno 0");              \
		check_ok_;                                                                         \
	})

/* CHECK_OK(call): @call returns 0; otherwise its value and errno are printed. */
#define CHECK_OK(call)                                                                             \
	({                                                                                         \
		long check_r_;                                                                     \
		int check_e_;                                                                      \
		errno = 0;                                                                         \
		check_r_ = (long)(call);                                                           \
		check_e_ = errno;                                                                  \
		if (check_r_)                                                                      \
			check_fail(__FILE__, __LINE__, "%s: expected 0, got %ld (errno %s)", #call, \
				   check_r_, check_e_ ? strerrorname_np(check_e_) : "0");          \
		check_r_ == 0;                                                                     \
	})

#endif /* PRELOAD_TEST_CHECK_H */
