/* SPDX-License-Identifier: MIT */
/*
 * What the fuzz targets share: the libFuzzer entry points each target
 * defines, a cursor that turns the input into numbers and choices (an
 * exhausted input reads as zeros), the check that stops the run with a
 * message when the library breaks one of its promises, and counters of the
 * process's descriptors. A target is built either for libFuzzer or with
 * replay.c as a plain program that runs it on the files of a corpus.
 */
#ifndef SOFTSGX_FUZZ_H
#define SOFTSGX_FUZZ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Every target defines the first; LLVMFuzzerInitialize is optional. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

struct fuzz_in {
	const uint8_t *data;
	size_t size;
	size_t pos;
};

static inline void fuzz_in_init(struct fuzz_in *in, const uint8_t *data, size_t size)
{
	in->data = data;
	in->size = size;
	in->pos = 0;
}

static inline bool fuzz_in_done(const struct fuzz_in *in)
{
	return in->pos >= in->size;
}

static inline uint8_t fuzz_u8(struct fuzz_in *in)
{
	return in->pos < in->size ? in->data[in->pos++] : 0;
}

/* Multi-byte numbers are little-endian; each byte is read in its own statement (sequenced). */
static inline uint16_t fuzz_u16(struct fuzz_in *in)
{
	uint16_t lo = fuzz_u8(in);

	return (uint16_t)(lo | fuzz_u8(in) << 8);
}

static inline uint32_t fuzz_u32(struct fuzz_in *in)
{
	uint32_t lo = fuzz_u16(in);

	return lo | (uint32_t)fuzz_u16(in) << 16;
}

static inline uint64_t fuzz_u64(struct fuzz_in *in)
{
	uint64_t lo = fuzz_u32(in);

	return lo | (uint64_t)fuzz_u32(in) << 32;
}

/* A number below @n (n > 0). */
static inline unsigned int fuzz_below(struct fuzz_in *in, unsigned int n)
{
	return fuzz_u8(in) % n;
}

/* Copy up to @len bytes of input into @out (zeros past the end). */
void fuzz_bytes(struct fuzz_in *in, void *out, size_t len);

/*
 * fuzz_fail() - report a broken promise of the library and abort, so that
 * libFuzzer (or the replay program's caller) records the input.
 */
void fuzz_fail(const char *file, int line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4), noreturn));

#define FUZZ_CHECK(cond, ...)                                  \
	do {                                                   \
		if (!(cond))                                   \
			fuzz_fail(__FILE__, __LINE__, __VA_ARGS__); \
	} while (0)

/* Open descriptors of the process (entries of /proc/self/fd). */
int fuzz_count_fds(void);

/* Whether @err is one of the @n values of @allowed. */
bool fuzz_errno_in(int err, const int *allowed, size_t n);

#define FUZZ_ERRNO_IN(err, ...)                                 \
	fuzz_errno_in((err), (const int[]){ __VA_ARGS__ },      \
		      sizeof((const int[]){ __VA_ARGS__ }) / sizeof(int))

#endif /* SOFTSGX_FUZZ_H */
