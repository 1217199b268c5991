/* SPDX-License-Identifier: MIT */
/*
 * `softsgx demo` as a newcomer runs it: the built command, no setup; exit
 * status 0 and every step's verdict line, on the default configuration
 * and on the others the configuration options and variables select.
 */
#include <sys/stat.h>

#include "harness.h"
#include "tools/tool_run.h"
#include "trace/trace_reader.h"

#define SEED "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"

static const char *const step_lines[] = {
	" 1  build: CREATE, ADD_PAGES, INIT ",
	" 2  enter: EENTER and EEXIT on both TCSs ",
	" 3  EAUG on a page fault, then EACCEPT ",
	" 4  RESTRICT_PERMISSIONS stopped by a PENDING page ",
	" 5  EPCM refuses a write, EMODPE extends it ",
	" 6  mprotect refuses a write, the EPCM is untouched ",
	" 7  a TCS added at run time, entered ",
	" 8  pages trimmed, accepted, removed ",
	" 9  ETRACK interrupts a thread inside the enclave ",
	"10  EPC paging: an enclave twice the EPC, written and read back ",
	"11  AEX-Notify: an interrupt delivered to the enclave's handler ",
};

/* Every step line is there and says ok; the counters close the run. */
static void expect_all_steps_ok(const struct tool_result *r)
{
	char line[160];
	const char *p;
	size_t i;

	for (i = 0; i < sizeof(step_lines) / sizeof(step_lines[0]); i++) {
		EXPECT_CONTAINS(r->out, step_lines[i]);
		p = r->out ? strstr(r->out, step_lines[i]) : NULL;
		if (p) {
			snprintf(line, sizeof(line), "%.*s", (int)strcspn(p, "\n"), p);
			EXPECT_CONTAINS(line, " ok");
		}
	}
	EXPECT_CONTAINS(r->out, "counters (the whole run)");
	EXPECT_CONTAINS(r->out, "all 11 steps behaved as SGX2 on Linux does");
}

TEST(demo_default_exit0_every_step_ok)
{
	struct tool_result r = TOOL(NULL, "demo");

	EXPECT_EQ(r.status, 0);
	expect_all_steps_ok(&r);
	/* The facts the steps show. */
	EXPECT_CONTAINS(r.out, "MRENCLAVE   ");
	EXPECT_CONTAINS(r.out, "-> -1 EFAULT, count 0x2000\n");
	EXPECT_CONTAINS(r.out, "result SGX_PAGE_NOT_MODIFIABLE (20)");
	EXPECT_CONTAINS(r.out, "-> 0, count 0x1000\n");
	EXPECT_CONTAINS(r.out, "REG rw- P");
	EXPECT_CONTAINS(r.out, "REG r-- PR");
	EXPECT_CONTAINS(r.out, "TRIM M");
	EXPECT_CONTAINS(r.out, "threads interrupted +");
	EXPECT_CONTAINS(r.out, "ERESUME entered the enclave at its entry");
	EXPECT_CONTAINS(r.out, "computations ");
	EXPECT_CONTAINS(r.out, ", wrong 0\n");
	EXPECT_CONTAINS(r.out, "per-page tracking");
	EXPECT_CONTAINS(r.out, "grows to twice the EPC of 16384 pages");
	EXPECT_CONTAINS(r.out, "It read every word back, in order and then page by page 509 apart.");
	EXPECT_CONTAINS(r.out, "SIGBUS +0");
	EXPECT_TRUE(r.err && !r.err[0]);
	tool_result_free(&r);
}

TEST(demo_batched_tracking_from_env)
{
	const char *const env[] = { "SOFTSGX_TRACKING=batched", "SOFTSGX_EPC_SIZE=4M", NULL };
	struct tool_result r = TOOL(env, "demo");

	EXPECT_EQ(r.status, 0);
	EXPECT_CONTAINS(r.out, "batched tracking");
	expect_all_steps_ok(&r);
	tool_result_free(&r);
}

TEST(demo_options_before_command_and_seed)
{
	struct tool_result r = TOOL(NULL, "--tracking=batched", "--epc-size", "8M", "demo",
				    "--seed", SEED);

	EXPECT_EQ(r.status, 0);
	EXPECT_CONTAINS(r.out, "EPC 8 MiB, SGX2, batched tracking, seed from --seed");
	expect_all_steps_ok(&r);
	tool_result_free(&r);
}

/* Two EPC pages hold the first VA page and the SECS, and nothing is reclaimable: ENOMEM. */
TEST(demo_tiny_epc_names_failing_step)
{
	struct tool_result r = TOOL(NULL, "demo", "--epc-size", "8K");

	EXPECT_EQ(r.status, 1);
	EXPECT_CONTAINS(r.out, " 1  build: CREATE, ADD_PAGES, INIT ");
	EXPECT_CONTAINS(r.out, "FAILED");
	EXPECT_CONTAINS(r.err, "step 1 (build: CREATE, ADD_PAGES, INIT) did not behave as SGX2");
	EXPECT_CONTAINS(r.err, "ENOMEM (too small an EPC? see --epc-size)");
	tool_result_free(&r);
}

/* An SGX2 processor without AEX-Notify: step 11 shows the attribute refused (EIO). */
TEST(demo_without_aex_notify_every_step_ok)
{
	struct tool_result r = TOOL(NULL, "demo", "--aex-notify", "no");

	EXPECT_EQ(r.status, 0);
	expect_all_steps_ok(&r);
	EXPECT_CONTAINS(r.out, "This processor has no AEX-Notify (--aex-notify no)");
	EXPECT_CONTAINS(r.out, "cannot be created: loading one -> -1 EIO.");
	EXPECT_CONTAINS(r.out, "armed AEX         0");
	tool_result_free(&r);
}

/* Sixteen EPC pages: the enclave runs from a few resident pages, the rest paged. */
TEST(demo_sixteen_page_epc_every_step_ok)
{
	struct tool_result r = TOOL(NULL, "demo", "--epc-size", "64K");

	EXPECT_EQ(r.status, 0);
	expect_all_steps_ok(&r);
	EXPECT_CONTAINS(r.out, "grows to twice the EPC of 16 pages");
	tool_result_free(&r);
}

TEST(demo_trace_option_writes_file)
{
	char dir[] = "/tmp/softsgx-demo-trace-XXXXXX", path[64];
	struct tool_result r;
	struct stat st;

	ASSERT_TRUE(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/demo.json", dir);
	r = TOOL(NULL, "demo", "--trace", path);
	EXPECT_EQ(r.status, 0);
	EXPECT_TRUE(!stat(path, &st) && st.st_size > 2);
	tool_result_free(&r);
	/* Valid trace-event JSON whose spans nest per thread; the demo's events are there. */
	{
		struct trace t;

		ASSERT_TRUE(trace_read(path, &t));
		EXPECT_TRUE(trace_check_format(&t));
		EXPECT_TRUE(trace_count(&t, "EENTER", 0) > 0);
		EXPECT_TRUE(trace_count(&t, "EMODPR", 0) > 0);
		EXPECT_TRUE(trace_count(&t, "enclave", 0) > 0);
		EXPECT_TRUE(trace_count(&t, "interrupt sent", 0) > 0);
		trace_free(&t);
	}
	unlink(path);
	rmdir(dir);
}

/*
 * `softsgx demo --inject`: the demo's runtime calls survive injected
 * failures, the counter table says which struck, and the trace has an
 * event for each.
 */
TEST(demo_inject_every_step_ok_injections_traced)
{
	char dir[] = "/tmp/softsgx-demo-inject-XXXXXX", path[64];
	struct tool_result r;

	ASSERT_TRUE(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/demo.json", dir);
	r = TOOL(NULL, "demo", "--trace", path, "--inject",
		 "restrict.eagain=1/2,modify.eagain=1/2,remove.ebusy=#1,emodpr.conflict=#1,"
		 "ioctl.ebusy=1/5,add.signal=1/3,fault.retry=1/4,evict=1/50,seed=3");
	EXPECT_EQ(r.status, 0);
	expect_all_steps_ok(&r);
	EXPECT_CONTAINS(r.out, "  injected    ");
	EXPECT_CONTAINS(r.out, "restrict.eagain");
	EXPECT_CONTAINS(r.out, "emodpr.conflict           1");
	EXPECT_CONTAINS(r.out, "add.signal");
	tool_result_free(&r);
	{
		struct trace t;

		ASSERT_TRUE(trace_read(path, &t));
		EXPECT_TRUE(trace_check_format(&t));
		EXPECT_EQ(trace_count(&t, "emodpr.conflict", 0), 1);
		EXPECT_TRUE(trace_count(&t, "restrict.eagain", 0) > 0);
		EXPECT_TRUE(trace_count(&t, "fault.retry", 0) > 0);
		trace_free(&t);
	}
	unlink(path);
	rmdir(dir);
}

TEST(demo_inject_from_env_and_bad_spec_usage_2)
{
	const char *const env[] = { "SOFTSGX_INJECT=ioctl.ebusy=#1", NULL };
	const char *const bad[] = { "SOFTSGX_INJECT=restrict.eagain=1/0", NULL };
	struct tool_result r = TOOL(env, "demo");

	EXPECT_EQ(r.status, 0);
	EXPECT_CONTAINS(r.out, "ioctl.ebusy               1");
	tool_result_free(&r);
	r = TOOL(bad, "demo");
	EXPECT_EQ(r.status, 2);
	EXPECT_CONTAINS(r.err, "SOFTSGX_INJECT='restrict.eagain=1/0': ");
	EXPECT_CONTAINS(r.err, "expected a probability (0.1), a period (1/50) or a call (#17)");
	tool_result_free(&r);
	r = TOOL(NULL, "demo", "--inject", "no.such=1");
	EXPECT_EQ(r.status, 2);
	EXPECT_CONTAINS(r.err, "no such injection point (docs/injection.md lists them)");
	tool_result_free(&r);
}

TEST(demo_trace_unwritable_fails_with_message)
{
	const char *const env[] = { "SOFTSGX_TRACE=/nonexistent-dir/x.json", NULL };
	struct tool_result r = TOOL(env, "demo");

	EXPECT_EQ(r.status, 1);
	EXPECT_CONTAINS(r.err, "SOFTSGX_TRACE='/nonexistent-dir/x.json': cannot start the trace");
	tool_result_free(&r);
}

TEST(demo_extra_argument_usage_2)
{
	struct tool_result r = TOOL(NULL, "demo", "now");

	EXPECT_EQ(r.status, 2);
	EXPECT_CONTAINS(r.err, "softsgx demo: unexpected argument 'now'");
	EXPECT_CONTAINS(r.err, "usage: softsgx demo");
	tool_result_free(&r);
}

TEST(demo_help_exit0)
{
	struct tool_result r = TOOL(NULL, "demo", "--help");

	EXPECT_EQ(r.status, 0);
	EXPECT_CONTAINS(r.out, "usage: softsgx demo");
	EXPECT_CONTAINS(r.out, "--epc-size");
	tool_result_free(&r);
}

/* The largest EPC (1 TiB) runs the demo as the default one does, in little memory. */
TEST(demo_largest_epc_exit0)
{
	struct tool_result r = TOOL(NULL, "info", "--epc-size", "16G");
	struct tool_result base = TOOL(NULL, "info");

	/* Only where a large EPC is cheap: eager metadata for 1 TiB would need some 18 GiB. */
	ASSERT_EQ(r.status, 0);
	if (r.maxrss_kib - base.maxrss_kib >= (64l << 10)) {
		harness_fail(__FILE__, __LINE__, "a 16 GiB EPC made %ld KiB resident, 64 MiB %ld KiB",
			     r.maxrss_kib, base.maxrss_kib);
		tool_result_free(&r);
		tool_result_free(&base);
		return;
	}
	tool_result_free(&r);
	tool_result_free(&base);
	r = TOOL(NULL, "demo", "--epc-size", "1T");
	EXPECT_EQ(r.status, 0);
	EXPECT_CONTAINS(r.out, "platform: EPC 1 TiB");
	expect_all_steps_ok(&r);
	/* Twice 1 TiB is too much to write: the paging step says how to see it. */
	EXPECT_CONTAINS(r.out, "softsgx demo --epc-size 4M` shows it");
	tool_result_free(&r);
}
