/* SPDX-License-Identifier: MIT */
/*
 * Files the commands refuse up front, with a message, instead of blocking:
 * a file argument that is not a regular file (a FIFO with no writer, a
 * directory, a device) for every command that reads one, an output or
 * trace FIFO that no process reads, a key file too large to be a key.
 */
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>

#include "harness.h"
#include "tools/signing.h"
#include "tools/tool_run.h"

/* A command that blocks is killed by SIGALRM (status 142) instead of hanging the test. */
static const struct tool_limits guard = { .seconds = 60 };

/* A scratch directory with a key, a SIGSTRUCT and a FIFO nobody opens. */
struct inputs {
	struct workdir w;
	char fifo[128];
};

static bool inputs_make(struct inputs *in)
{
	if (!workdir_make(&in->w))
		return false;
	snprintf(in->fifo, sizeof(in->fifo), "%s/fifo", in->w.dir);
	if (!mkfifo(in->fifo, 0600) && make_signed(&in->w, NULL, NULL))
		return true;
	workdir_remove(&in->w);
	return false;
}

/* Status 1 (not killed by the guard) and @want on stderr. */
static void expect_refused(struct tool_result *r, const char *want)
{
	if (r->status == 128 + SIGALRM)
		harness_fail(__FILE__, __LINE__, "the command blocked (killed after %u s)",
			     guard.seconds);
	EXPECT_EQ(r->status, 1);
	EXPECT_CONTAINS(r->err, want);
	tool_result_free(r);
}

TEST(fifo_inputs_refused_without_blocking)
{
	struct inputs in;
	struct tool_result r;
	char want[256];

	ASSERT_TRUE(inputs_make(&in));
	snprintf(want, sizeof(want), "the enclave image '%s' is a FIFO, not a regular file", in.fifo);
	r = TOOL_LIMITED(&guard, NULL, "measure", in.fifo);
	expect_refused(&r, want);
	r = TOOL_LIMITED(&guard, NULL, "sign", "--key", in.w.key, "-o", in.w.sig, in.fifo);
	expect_refused(&r, want);
	r = TOOL_LIMITED(&guard, NULL, "load", in.fifo);
	expect_refused(&r, want);
	r = TOOL_LIMITED(&guard, NULL, "load", "--sigstruct", in.w.sig, in.fifo);
	expect_refused(&r, want);
	snprintf(want, sizeof(want), "the key '%s' is a FIFO, not a regular file", in.fifo);
	r = TOOL_LIMITED(&guard, NULL, "sign", "--key", in.fifo, "-o", in.w.sig,
			 SOFTSGX_TEST_ENCLAVE);
	expect_refused(&r, want);
	snprintf(want, sizeof(want), "the SIGSTRUCT '%s' is a FIFO, not a regular file", in.fifo);
	r = TOOL_LIMITED(&guard, NULL, "load", "--sigstruct", in.fifo, SOFTSGX_TEST_ENCLAVE);
	expect_refused(&r, want);
	workdir_remove(&in.w);
}

TEST(other_non_regular_inputs_refused)
{
	struct tool_result r = TOOL(NULL, "measure", "/tmp");

	expect_refused(&r, "the enclave image '/tmp' is a directory, not a regular file");
	r = TOOL(NULL, "load", "--sigstruct", "/dev/null", SOFTSGX_TEST_ENCLAVE);
	expect_refused(&r, "the SIGSTRUCT '/dev/null' is a character device, not a regular file");
	r = TOOL(NULL, "sign", "--key", "/dev/zero", "-o", "/tmp/never.sig", SOFTSGX_TEST_ENCLAVE);
	expect_refused(&r, "the key '/dev/zero' is a character device, not a regular file");
	r = TOOL(NULL, "sign", "--key", "/nonexistent.pem", "-o", "/tmp/never.sig",
		 SOFTSGX_TEST_ENCLAVE);
	expect_refused(&r, "cannot open the key '/nonexistent.pem': No such file or directory");
}

/* Outputs: a FIFO that no process reads is refused, not waited for. */
TEST(fifo_outputs_without_reader_refused)
{
	struct inputs in;
	struct tool_result r;
	char want[256];

	ASSERT_TRUE(inputs_make(&in));
	snprintf(want, sizeof(want), "cannot write '%s': it is a FIFO that no process reads",
		 in.fifo);
	r = TOOL_LIMITED(&guard, NULL, "sign", "--key", in.w.key, "-o", in.fifo,
			 SOFTSGX_TEST_ENCLAVE);
	expect_refused(&r, want);
	snprintf(want, sizeof(want), "--trace='%s': cannot start the trace: it is a FIFO that no "
		 "process reads", in.fifo);
	r = TOOL_LIMITED(&guard, NULL, "--trace", in.fifo, "info");
	expect_refused(&r, want);
	workdir_remove(&in.w);
}

/* A FIFO that a process reads is written as a file is: the reader gets the whole trace. */
TEST(fifo_trace_with_reader_written)
{
	struct inputs in;
	struct tool_result r;
	char buf[4096];
	size_t n = 0;
	FILE *f;
	int fd;

	ASSERT_TRUE(inputs_make(&in));
	fd = open(in.fifo, O_RDONLY | O_NONBLOCK); /* a reader, not waiting for a writer */
	ASSERT_TRUE(fd >= 0);
	r = TOOL_LIMITED(&guard, NULL, "--trace", in.fifo, "info");
	EXPECT_EQ(r.status, 0);
	tool_result_free(&r);
	f = fdopen(fd, "r");
	ASSERT_TRUE(f);
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = '\0';
	fclose(f);
	EXPECT_CONTAINS(buf, "traceEvents");
	workdir_remove(&in.w);
}

TEST(key_file_too_large_refused)
{
	struct workdir w;
	struct tool_result r;
	FILE *f;

	ASSERT_TRUE(workdir_make(&w));
	f = fopen(w.key, "w");
	ASSERT_TRUE(f);
	for (int i = 0; i < 2000; i++)
		fputs("-----BEGIN NOTHING----- 0123456789abcdef0123456789\n", f);
	fclose(f);
	r = TOOL(NULL, "sign", "--key", w.key, "-o", w.sig, SOFTSGX_TEST_ENCLAVE);
	expect_refused(&r, "has 102000 bytes: too many for a PEM RSA key (at most 64 KiB)");
	EXPECT_TRUE(access(w.sig, F_OK) != 0);
	workdir_remove(&w);
}
