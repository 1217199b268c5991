/* SPDX-License-Identifier: MIT */
/*
 * The fuzz targets' shared helpers (fuzz.h), and the part of the test
 * harness (harness.h) that the processor and driver fixtures (cpu/fixture.c,
 * driver/dfx.c) call: in a fuzz target a fixture that records a failure
 * means the library or the target broke, so the input is reported and the
 * run stops.
 */
#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cpu/cpu.h"
#include "fuzz.h"
#include "harness.h"

void fuzz_bytes(struct fuzz_in *in, void *out, size_t len)
{
	size_t n = in->pos < in->size ? in->size - in->pos : 0;

	if (n > len)
		n = len;
	memcpy(out, in->data + in->pos, n);
	memset((uint8_t *)out + n, 0, len - n);
	in->pos += n;
}

static void vfail(const char *file, int line, const char *fmt, va_list ap)
	__attribute__((noreturn));

static void vfail(const char *file, int line, const char *fmt, va_list ap)
{
	fprintf(stderr, "fuzz: %s:%d: ", file, line);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	fflush(stderr);
	abort();
}

void fuzz_fail(const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfail(file, line, fmt, ap);
}

int fuzz_count_fds(void)
{
	DIR *dir = opendir("/proc/self/fd");
	struct dirent *d;
	int n = 0;

	if (!dir)
		fuzz_fail(__FILE__, __LINE__, "opendir /proc/self/fd: %s", strerror(errno));
	while ((d = readdir(dir)))
		if (d->d_name[0] != '.')
			n++;
	closedir(dir);
	return n - 1; /* the directory's own descriptor */
}

bool fuzz_errno_in(int err, const int *allowed, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (allowed[i] == err)
			return true;
	return false;
}

/* The harness calls of the fixtures */

void harness_fail(const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfail(file, line, fmt, ap);
}

const char *harness_sgx_name(int ret)
{
	return sgx_code_name(ret);
}
