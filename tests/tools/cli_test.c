/* SPDX-License-Identifier: MIT */
/*
 * The softsgx command's interface: help for every command, usage errors
 * (exit status 2, a message naming what was wrong), the configuration
 * options and environment variables, and `softsgx info`.
 */
#include "harness.h"
#include "tools/tool_run.h"

static const char *const commands[] = { "demo", "info", "measure", "sign", "keygen", "load" };
#define NR_COMMANDS (sizeof(commands) / sizeof(commands[0]))
#define SEED "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"

TEST(no_command_usage_2)
{
	struct tool_result r = TOOL(NULL, NULL);

	EXPECT_EQ(r.status, 2);
	EXPECT_CONTAINS(r.err, "softsgx: no command given");
	EXPECT_CONTAINS(r.err, "usage: softsgx [CONFIGURATION] COMMAND [ARGS]");
	tool_result_free(&r);
}

TEST(unknown_command_usage_2)
{
	struct tool_result r = TOOL(NULL, "frobnicate");

	EXPECT_EQ(r.status, 2);
	EXPECT_CONTAINS(r.err, "softsgx: unknown command 'frobnicate'");
	tool_result_free(&r);
}

TEST(help_lists_every_command)
{
	struct tool_result r = TOOL(NULL, "help");
	size_t i;

	EXPECT_EQ(r.status, 0);
	for (i = 0; i < NR_COMMANDS; i++)
		EXPECT_CONTAINS(r.out, commands[i]);
	EXPECT_CONTAINS(r.out, "SOFTSGX_EPC_SIZE");
	tool_result_free(&r);
	r = TOOL(NULL, "--help");
	EXPECT_EQ(r.status, 0);
	tool_result_free(&r);
	r = TOOL(NULL, "help", "sign");
	EXPECT_EQ(r.status, 0);
	EXPECT_CONTAINS(r.out, "usage: softsgx sign");
	tool_result_free(&r);
	r = TOOL(NULL, "help", "nothing");
	EXPECT_EQ(r.status, 2);
	tool_result_free(&r);
}

TEST(every_command_has_help)
{
	char want[64];
	size_t i;

	for (i = 0; i < NR_COMMANDS; i++) {
		struct tool_result r = TOOL(NULL, commands[i], "--help");

		snprintf(want, sizeof(want), "usage: softsgx %s", commands[i]);
		EXPECT_EQ(r.status, 0);
		EXPECT_CONTAINS(r.out, want);
		EXPECT_CONTAINS(r.out, "--tracking MODE");
		tool_result_free(&r);
		r = TOOL(NULL, commands[i], "-h");
		EXPECT_EQ(r.status, 0);
		tool_result_free(&r);
	}
}

TEST(unknown_option_usage_2)
{
	struct tool_result r = TOOL(NULL, "info", "--colour");

	EXPECT_EQ(r.status, 2);
	EXPECT_CONTAINS(r.err, "softsgx info: unknown option '--colour'");
	tool_result_free(&r);
	r = TOOL(NULL, "--bogus", "info");
	EXPECT_EQ(r.status, 2);
	EXPECT_CONTAINS(r.err, "softsgx: unknown option '--bogus'");
	tool_result_free(&r);
	r = TOOL(NULL, "info", "--epc-size");
	EXPECT_EQ(r.status, 2);
	EXPECT_CONTAINS(r.err, "option '--epc-size' needs a value");
	tool_result_free(&r);
}

TEST(bad_configuration_values_usage_2)
{
	const char *const bad_tracking[] = { "SOFTSGX_TRACKING=sometimes", NULL };
	const char *const bad_size[] = { "SOFTSGX_EPC_SIZE=1000", NULL };
	struct tool_result r = TOOL(NULL, "info", "--epc-size", "12x");

	EXPECT_EQ(r.status, 2);
	EXPECT_CONTAINS(r.err, "--epc-size='12x': expected a multiple of 4K");
	tool_result_free(&r);
	r = TOOL(bad_size, "info");
	EXPECT_EQ(r.status, 2);
	EXPECT_CONTAINS(r.err, "SOFTSGX_EPC_SIZE='1000'");
	tool_result_free(&r);
	r = TOOL(bad_tracking, "demo");
	EXPECT_EQ(r.status, 2);
	EXPECT_CONTAINS(r.err, "SOFTSGX_TRACKING='sometimes': expected 'per-page' or 'batched'");
	tool_result_free(&r);
	r = TOOL(NULL, "info", "--seed", "abc");
	EXPECT_EQ(r.status, 2);
	EXPECT_CONTAINS(r.err, "--seed='abc': expected 64 hex digits");
	tool_result_free(&r);
}

TEST(option_wins_over_environment)
{
	const char *const env[] = { "SOFTSGX_EPC_SIZE=8M", "SOFTSGX_TRACKING=batched", NULL };
	struct tool_result r = TOOL(env, "info");

	EXPECT_EQ(r.status, 0);
	EXPECT_CONTAINS(r.out, "8 MiB (2048 pages)");
	EXPECT_CONTAINS(r.out, "batched: ETRACK");
	tool_result_free(&r);
	r = TOOL(env, "info", "--epc-size=16M", "--tracking", "per-page");
	EXPECT_EQ(r.status, 0);
	EXPECT_CONTAINS(r.out, "16 MiB (4096 pages)");
	EXPECT_CONTAINS(r.out, "per-page: ETRACK");
	tool_result_free(&r);
}

/* --sgx / SOFTSGX_SGX: an SGX1 processor for the run; SGX1 enclaves still build and run. */
TEST(sgx_version_setting)
{
	const char *const sgx1[] = { "SOFTSGX_SGX=1", NULL };
	struct tool_result r = TOOL(NULL, "info", "--sgx", "1");

	EXPECT_EQ(r.status, 0);
	EXPECT_CONTAINS(r.out, "SGX1 / SGX2          yes / no");
	EXPECT_CONTAINS(r.out, "AEX-Notify           no");
	EXPECT_CONTAINS(r.out, "subleaf 0: EAX=0x00000001");
	tool_result_free(&r);
	r = TOOL(sgx1, "info", "--sgx=2");
	EXPECT_EQ(r.status, 0);
	EXPECT_CONTAINS(r.out, "SGX1 / SGX2          yes / yes");
	EXPECT_CONTAINS(r.out, "AEX-Notify           yes: EDECCSSA");
	tool_result_free(&r);
	r = TOOL(sgx1, "load", SOFTSGX_TEST_ENCLAVE);
	EXPECT_EQ(r.status, 0);
	EXPECT_CONTAINS(r.out, "MRENCLAVE ");
	tool_result_free(&r);
	r = TOOL(sgx1, "demo");
	EXPECT_EQ(r.status, 1);
	EXPECT_CONTAINS(r.err, "this platform is SGX1 only");
	tool_result_free(&r);
	r = TOOL(NULL, "info", "--sgx", "3");
	EXPECT_EQ(r.status, 2);
	EXPECT_CONTAINS(r.err, "--sgx='3': expected 1 (SGX1 only) or 2");
	tool_result_free(&r);
	r = TOOL(NULL, "info", "--host-disable", "sud,fsgsbas");
	EXPECT_EQ(r.status, 2);
	EXPECT_CONTAINS(r.err, "--host-disable='sud,fsgsbas': expected names from fsgsbase, sud");
	tool_result_free(&r);
	{
		const char *const env[] = { "SOFTSGX_HOST_DISABLE=cpuid-faulting,,bogus", NULL };

		r = TOOL(env, "info");
		EXPECT_EQ(r.status, 2);
		EXPECT_CONTAINS(r.err, "SOFTSGX_HOST_DISABLE='cpuid-faulting,,bogus'");
		tool_result_free(&r);
	}
}

/* --aex-notify / SOFTSGX_AEX_NOTIFY: an SGX2 processor from before AEX-Notify. */
TEST(aex_notify_setting)
{
	const char *const off[] = { "SOFTSGX_AEX_NOTIFY=no", NULL };
	const char *const sgx1_on[] = { "SOFTSGX_SGX=1", "SOFTSGX_AEX_NOTIFY=yes", NULL };
	struct tool_result r = TOOL(NULL, "info", "--aex-notify", "no");

	EXPECT_EQ(r.status, 0);
	EXPECT_CONTAINS(r.out, "SGX1 / SGX2          yes / yes");
	EXPECT_CONTAINS(r.out, "AEX-Notify           no");
	EXPECT_CONTAINS(r.out, "subleaf 0: EAX=0x00000003");
	tool_result_free(&r);
	r = TOOL(off, "info");
	EXPECT_EQ(r.status, 0);
	EXPECT_CONTAINS(r.out, "AEX-Notify           no");
	tool_result_free(&r);
	r = TOOL(off, "info", "--aex-notify=yes");
	EXPECT_EQ(r.status, 0);
	EXPECT_CONTAINS(r.out, "AEX-Notify           yes: EDECCSSA");
	EXPECT_CONTAINS(r.out, "subleaf 0: EAX=0x00000803");
	tool_result_free(&r);
	r = TOOL(NULL, "info", "--aex-notify", "maybe");
	EXPECT_EQ(r.status, 2);
	EXPECT_CONTAINS(r.err, "--aex-notify='maybe': expected 'yes' or 'no'");
	tool_result_free(&r);
	r = TOOL(sgx1_on, "info");
	EXPECT_EQ(r.status, 2);
	EXPECT_CONTAINS(r.err, "SOFTSGX_AEX_NOTIFY='yes': AEX-Notify needs an SGX2 processor");
	tool_result_free(&r);
	r = TOOL(sgx1_on, "info", "--aex-notify", "no");
	EXPECT_EQ(r.status, 0);
	EXPECT_CONTAINS(r.out, "SGX1 / SGX2          yes / no");
	tool_result_free(&r);
}

TEST(info_platform_and_host)
{
	const char *const env[] = { "SOFTSGX_SEED=" SEED, NULL };
	struct tool_result r = TOOL(env, "info");

	EXPECT_EQ(r.status, 0);
	EXPECT_CONTAINS(r.out, "SGX1 / SGX2          yes / yes");
	EXPECT_CONTAINS(r.out, "64 MiB (16384 pages)");
	EXPECT_CONTAINS(r.out, "EXINFO");
	EXPECT_CONTAINS(r.out, "MODE64BIT");
	EXPECT_CONTAINS(r.out, "subleaf 0: EAX=0x00000803"); /* SGX1, SGX2, EDECCSSA */
	EXPECT_CONTAINS(r.out, "from SOFTSGX_SEED");
	EXPECT_CONTAINS(r.out, "injection            none (docs/injection.md)");
	EXPECT_CONTAINS(r.out, "FSGSBASE");
	EXPECT_CONTAINS(r.out, "Syscall User Dispatch");
	EXPECT_CONTAINS(r.out, "CPUID faulting");
	EXPECT_CONTAINS(r.out, "TSC faulting");
	EXPECT_CONTAINS(r.out, "IA32 emulation");
	EXPECT_CONTAINS(r.out, "UMIP");
	EXPECT_CONTAINS(r.out, "MADV_POPULATE_WRITE");
	tool_result_free(&r);
	/* Every feature turned off: none is used, whatever the host has. */
	r = TOOL(NULL, "--host-disable", "all", "info");
	EXPECT_EQ(r.status, 0);
	EXPECT_TRUE(!strstr(r.out, "FSGSBASE               yes"));
	EXPECT_TRUE(!strstr(r.out, "Syscall User Dispatch  yes"));
	EXPECT_TRUE(!strstr(r.out, "CPUID faulting         yes"));
	EXPECT_TRUE(!strstr(r.out, "TSC faulting           yes"));
	EXPECT_TRUE(!strstr(r.out, "MADV_POPULATE_WRITE    yes"));
	EXPECT_CONTAINS(r.out, "a host page fault per EAUGed page");
	tool_result_free(&r);
	r = TOOL(NULL, "info", "extra");
	EXPECT_EQ(r.status, 2);
	tool_result_free(&r);
}

/* Starting costs what the EPC's pages in use cost, not its size: the command's peak RSS. */
#define EPC_RESIDENT_BOUND_KIB (64l << 10)

TEST(info_shows_injection)
{
	struct tool_result r = TOOL(NULL, "info", "--inject", "evict=0.1,seed=4");

	EXPECT_EQ(r.status, 0);
	EXPECT_CONTAINS(r.out, "injection            evict=0.1,seed=4\n");
	tool_result_free(&r);
}

TEST(info_large_epc_resident_memory_small)
{
	struct tool_result base = TOOL(NULL, "info", "--epc-size", "64M");
	struct tool_result r = TOOL(NULL, "info", "--epc-size", "16G");

	EXPECT_EQ(base.status, 0);
	EXPECT_EQ(r.status, 0);
	EXPECT_CONTAINS(r.out, "16 GiB (4194304 pages)");
	if (r.maxrss_kib - base.maxrss_kib >= EPC_RESIDENT_BOUND_KIB) {
		/* Eager metadata: 1T would need some 18 GiB, so it is not tried. */
		harness_fail(__FILE__, __LINE__, "a 16 GiB EPC made %ld KiB resident, 64 MiB %ld KiB",
			     r.maxrss_kib, base.maxrss_kib);
		tool_result_free(&r);
		tool_result_free(&base);
		return;
	}
	tool_result_free(&r);
	r = TOOL(NULL, "info", "--epc-size", "1T");
	EXPECT_EQ(r.status, 0);
	EXPECT_CONTAINS(r.out, "1 TiB (268435456 pages)");
	EXPECT_CONTAINS(r.out, "subleaf 2: EAX=0x00000001 EBX=0x00001000 ECX=0x00000001 EDX=0x00000100");
	EXPECT_TRUE(r.maxrss_kib - base.maxrss_kib < EPC_RESIDENT_BOUND_KIB);
	tool_result_free(&r);
	tool_result_free(&base);
}

/* A host that cannot map the EPC (here: a ulimit -v far below 1 TiB) is named up front, status 1. */
TEST(epc_size_host_cannot_map_fails_1)
{
	/* The command needs about what this test process has mapped (the same sanitizer). */
	struct tool_limits limits = { .seconds = 300, .address_space = tool_own_vmsize() + (64ull << 30) };
	const char *const env[] = { "SOFTSGX_EPC_SIZE=1T", NULL };
	struct tool_result r = TOOL_LIMITED(&limits, NULL, "info", "--epc-size", "1T");

	EXPECT_EQ(r.status, 1);
	EXPECT_CONTAINS(r.err, "softsgx info: --epc-size='1T': this host cannot map an EPC of 1 TiB");
	EXPECT_CONTAINS(r.err, "the address-space limit of this process (ulimit -v) is");
	EXPECT_CONTAINS(r.err, "choose a smaller EPC");
	EXPECT_TRUE(!strstr(r.out, "emulated platform"));
	tool_result_free(&r);
	r = TOOL_LIMITED(&limits, env, "measure", SOFTSGX_TEST_ENCLAVE);
	EXPECT_EQ(r.status, 1);
	EXPECT_CONTAINS(r.err, "softsgx measure: SOFTSGX_EPC_SIZE='1T': this host cannot map");
	tool_result_free(&r);
	/* What it can map, it starts with. */
	r = TOOL_LIMITED(&limits, NULL, "info", "--epc-size", "16G");
	EXPECT_EQ(r.status, 0);
	tool_result_free(&r);
}

/* softsgx bench: its usage errors come before any benchmark runs. */
TEST(bench_usage_errors)
{
	struct tool_result r = TOOL(NULL, "bench", "--help");

	EXPECT_EQ(r.status, 0);
	EXPECT_CONTAINS(r.out, "usage: softsgx bench [--quick] [--csv FILE] [--plot FILE.svg] [NAME...]");
	EXPECT_TRUE(!strstr(r.out, "--tracking MODE")); /* it takes no configuration */
	tool_result_free(&r);
	r = TOOL(NULL, "bench", "nothing");
	EXPECT_EQ(r.status, 2);
	EXPECT_CONTAINS(r.err, "softsgx bench: no benchmark 'nothing'");
	tool_result_free(&r);
	r = TOOL(NULL, "bench", "--epc-size", "1M", "ecall");
	EXPECT_EQ(r.status, 2);
	EXPECT_CONTAINS(r.err, "softsgx bench: --epc-size: each benchmark sets the platform it needs");
	tool_result_free(&r);
	r = TOOL(NULL, "--tracking", "batched", "bench", "ecall");
	EXPECT_EQ(r.status, 2);
	EXPECT_CONTAINS(r.err, "softsgx bench: --tracking: each benchmark sets the platform it needs");
	tool_result_free(&r);
	r = TOOL(NULL, "bench", "--plot", "/tmp/softsgx-unused.svg", "ecall");
	EXPECT_EQ(r.status, 2);
	EXPECT_CONTAINS(r.err, "softsgx bench: --plot draws the sweep: name 'sweep' too");
	tool_result_free(&r);
	r = TOOL(NULL, "bench", "--csv", "/nonexistent-dir/figures.csv", "ecall");
	EXPECT_EQ(r.status, 1);
	EXPECT_CONTAINS(r.err, "softsgx bench: /nonexistent-dir/figures.csv: No such file or directory");
	EXPECT_TRUE(!strstr(r.out, "ecall ("));
	tool_result_free(&r);
}

/* The number of lines of @csv whose first field is "@bench". */
static int csv_rows(const char *csv, const char *bench)
{
	char want[32];
	const char *p;
	int n = 0;

	snprintf(want, sizeof(want), "\n\"%s\",", bench);
	for (p = csv; (p = strstr(p, want)); p++)
		n++;
	return n;
}

/*
 * softsgx bench --quick on two cheap benchmarks: the table, and every row
 * in the CSV with its floor and ratio. Figures are not judged: a test
 * asserts no timing.
 */
TEST(bench_quick_writes_table_and_csv)
{
	struct tool_limits limits = { .seconds = 600 };
	char path[] = "/tmp/softsgx-bench-test-XXXXXX";
	int fd = mkstemp(path);
	struct tool_result r;
	FILE *f;
	char *csv;

	EXPECT_TRUE(fd >= 0);
	if (fd < 0)
		return;
	close(fd);
	r = TOOL_LIMITED(&limits, NULL, "bench", "--quick", "--csv", path, "signal", "memory");
	EXPECT_EQ(r.status, 0);
	EXPECT_CONTAINS(r.out, "softsgx bench --quick on ");
	EXPECT_CONTAINS(r.out, "signal to a thread inside, until its handler");
	EXPECT_CONTAINS(r.out, "interrupt round: RESTRICT of 1 page [batched, 3 inside]");
	EXPECT_CONTAINS(r.out, "1.00 interrupt rounds per call");
	EXPECT_CONTAINS(r.out, "emulator memory per enclave page (EAUG+EACCEPT), N=65536");
	EXPECT_TRUE(!strstr(r.out, "ecall (")); /* only the benchmarks named */
	f = fopen(path, "r");
	if (f)
		fseek(f, 0, SEEK_END); /* tool_slurp() reads up to the file position */
	csv = f ? tool_slurp(f) : NULL;
	EXPECT_TRUE(csv != NULL);
	if (csv) {
		EXPECT_CONTAINS(csv, "bench,operation,setting,n,unit,median,lowest,highest,runs,"
				     "compared_with,compared_median,ratio,target,counts\n");
		EXPECT_EQ(csv_rows(csv, "signal"), 3);
		EXPECT_EQ(csv_rows(csv, "memory"), 2);
		EXPECT_CONTAINS(csv, "\"signal\",\"interrupt round: RESTRICT of 1 page\",\"batched, 1 inside\",0,\"us\",");
		EXPECT_CONTAINS(csv, "\"memory\",\"emulator memory per enclave page (EAUG+EACCEPT)\",\"\",65536,\"B/page\",");
	}
	free(csv);
	unlink(path);
	tool_result_free(&r);
}
