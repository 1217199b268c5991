/* SPDX-License-Identifier: MIT */
/*
 * Layouts the commands refuse before measuring: an ELRANGE of 2^36 bytes or
 * more, beyond the loader's layout (usage error, status 2), and more pages
 * to add and measure before EINIT than the loader does (status 1); the
 * largest ELRANGE the loader lays out is measured.
 */
#include <elf.h>
#include <signal.h>

#include "harness.h"
#include "softsgx/loader.h"
#include "tools/tool_run.h"

/* A command that keeps measuring is killed by SIGALRM (status 142) instead of holding the test. */
static const struct tool_limits guard = { .seconds = 120 };

/* ELRANGE beyond the loader's 2^35: the layout options refuse it (status 2). */
TEST(enclave_size_beyond_loader_usage_2)
{
	static const char *const commands[] = { "measure", "load" };
	const char *want = "--enclave-size '64G': more than the loader lays out: at most 32 GiB";
	struct tool_result r;
	size_t i;

	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
		r = TOOL(NULL, commands[i], "--enclave-size", "64G", SOFTSGX_TEST_ENCLAVE);
		EXPECT_EQ(r.status, 2);
		EXPECT_CONTAINS(r.err, want);
		tool_result_free(&r);
	}
	r = TOOL(NULL, "sign", "--key", "k.pem", "-o", "/tmp/never.sig", "--enclave-size", "128T",
		 SOFTSGX_TEST_ENCLAVE);
	EXPECT_EQ(r.status, 2);
	EXPECT_CONTAINS(r.err, "--enclave-size '128T': more than the loader lays out");
	tool_result_free(&r);
	r = TOOL(NULL, "measure", "--enclave-size", "12x", SOFTSGX_TEST_ENCLAVE);
	EXPECT_EQ(r.status, 2);
	EXPECT_CONTAINS(r.err, "--enclave-size '12x': expected a number (K, M, G suffixes)");
	tool_result_free(&r);
	/* The largest it accepts is measured. */
	r = TOOL(NULL, "measure", "--enclave-size", "32G", SOFTSGX_TEST_ENCLAVE);
	EXPECT_EQ(r.status, 0);
	EXPECT_CONTAINS(r.out, "MRENCLAVE ");
	tool_result_free(&r);
}

/* The test enclave with its highest segment's bss grown by @extra bytes, written to @path. */
static bool write_big_bss(const char *path, uint64_t extra)
{
	FILE *f = fopen(SOFTSGX_TEST_ENCLAVE, "rb");
	uint8_t *img = NULL;
	Elf64_Phdr *ph, *last = NULL;
	Elf64_Ehdr *eh;
	long len = 0;
	bool ok = false;
	unsigned int i;

	if (f && !fseek(f, 0, SEEK_END) && (len = ftell(f)) > 0 && !fseek(f, 0, SEEK_SET) &&
	    (img = malloc((size_t)len)) && fread(img, (size_t)len, 1, f) == 1) {
		eh = (Elf64_Ehdr *)img;
		for (i = 0; i < eh->e_phnum; i++) {
			ph = (Elf64_Phdr *)(img + eh->e_phoff) + i;
			if (ph->p_type == PT_LOAD &&
			    (!last || ph->p_vaddr + ph->p_memsz > last->p_vaddr + last->p_memsz))
				last = ph;
		}
		ok = last != NULL;
	}
	if (f)
		fclose(f);
	if (ok) {
		last->p_memsz += extra;
		f = fopen(path, "wb");
		ok = f && fwrite(img, (size_t)len, 1, f) == 1;
		if (f)
			ok = !fclose(f) && ok;
	}
	free(img);
	return ok;
}

/* More to add and measure than the loader does (a 5 GiB bss): refused before measuring. */
TEST(layout_beyond_measured_maximum_fails_1)
{
	const char *want = "add more than 4 GiB of pages, the most the loader measures before EINIT";
	char dir[] = "/tmp/softsgx-layout-XXXXXX", path[64];
	const char *const commands[] = { "measure", "load" };
	struct tool_result r;
	size_t i;

	_Static_assert(SOFTSGX_LOAD_MAX_ADDED == 4ull << 30, "the message says 4 GiB");
	ASSERT_TRUE(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/big-bss.elf", dir);
	ASSERT_TRUE(write_big_bss(path, 5ull << 30));
	for (i = 0; i < 2; i++) {
		r = TOOL_LIMITED(&guard, NULL, commands[i], "--enclave-size", "8G", path);
		if (r.status == 128 + SIGALRM)
			harness_fail(__FILE__, __LINE__, "%s was still measuring after %u s",
				     commands[i], guard.seconds);
		EXPECT_EQ(r.status, 1);
		EXPECT_CONTAINS(r.err, want);
		tool_result_free(&r);
	}
	unlink(path);
	rmdir(dir);
}
