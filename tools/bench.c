/* SPDX-License-Identifier: MIT */
/*
 * softsgx bench: how fast the emulation is and how it scales, each figure
 * next to the host operations it cannot avoid, measured in the same run
 * (the benchmarks are in bench/, bench.h says how they work). Each
 * benchmark runs in child processes with the platform it needs, so the
 * configuration options are not taken.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench.h"
#include "cli.h"
#include "commands.h"
#include "config.h"
#include "host/features.h"
#include "image.h"

static const struct bench_def *const benches[] = {
	&bench_ecall, &bench_sweep, &bench_eaug,    &bench_paging,   &bench_heap,
	&bench_memory, &bench_signal, &bench_preload, &bench_syscalls,
};
#define NR_BENCHES (sizeof(benches) / sizeof(benches[0]))
#define MAX_NAMES 16

/*
 * "CPU model, N cores, Linux release, host features": where the figures
 * came from. Called in a child process: the host features are probed once
 * per process, and the benchmarks' children must probe them afresh, with
 * their own SOFTSGX_HOST_DISABLE.
 */
static void describe_machine(char *buf, size_t len)
{
	char line[256], model[128] = "unknown CPU", features[128] = "";
	unsigned int f, present = host_features_present();
	FILE *cpuinfo = fopen("/proc/cpuinfo", "r");
	struct utsname u;
	size_t used = 0;
	char *colon;

	while (cpuinfo && fgets(line, sizeof(line), cpuinfo)) {
		if (strncmp(line, "model name", 10) || !(colon = strchr(line, ':')))
			continue;
		snprintf(model, sizeof(model), "%s", colon + 2);
		model[strcspn(model, "\n")] = 0;
		break;
	}
	if (cpuinfo)
		fclose(cpuinfo);
	for (f = 1; f <= HOST_FSGSBASE_READ; f <<= 1)
		if (f != HOST_FSGSBASE_READ && f != HOST_TSC_FAULTING && used < sizeof(features))
			used += snprintf(features + used, sizeof(features) - used, "%s%s %s",
					 used ? ", " : "", present & f ? "with" : "without",
					 host_feature_name(f));
	if (uname(&u))
		snprintf(u.release, sizeof(u.release), "?");
	snprintf(buf, len, "%s, %ld cores, Linux %s; %s", model, sysconf(_SC_NPROCESSORS_ONLN),
		 u.release, features);
}

/* Whether @path can be written; false after a message. Checked before minutes of work. */
static bool writable(const struct cli_command *cmd, const char *path)
{
	FILE *f = fopen(path, "a");

	if (!f) {
		cli_fail(cmd, "%s: %s", path, strerror(errno));
		return false;
	}
	fclose(f);
	return true;
}

static const struct bench_def *find_bench(const char *name)
{
	size_t i;

	for (i = 0; i < NR_BENCHES; i++)
		if (!strcmp(benches[i]->name, name))
			return benches[i];
	return NULL;
}

static int run_bench(const struct cli_command *cmd, int argc, char **argv)
{
	const char *names[MAX_NAMES], *csv = NULL, *plot = NULL;
	bool quick = false, picked[NR_BENCHES] = { false }, ok = true;
	const struct cli_option opts[] = {
		{ .name = "--quick", .flag = &quick },
		{ .name = "--csv", .value = &csv },
		{ .name = "--plot", .value = &plot },
		{ 0 },
	};
	struct bench b = { 0 };
	char machine[512], gnuplot[PATH_MAX];
	pid_t pid;
	int n, i;
	size_t j;

	n = cli_parse(cmd, argc, argv, opts, names, 0, MAX_NAMES);
	if (n == CLI_HELP_SHOWN)
		return CLI_EXIT_OK;
	if (n < 0)
		return -n;
	if (config_option_given())
		return cli_usage_error(cmd, "%s: each benchmark sets the platform it needs; "
				       "configuration options are not taken", config_option_given());
	for (i = 0; i < n; i++) {
		const struct bench_def *d = find_bench(names[i]);

		if (!d)
			return cli_usage_error(cmd, "no benchmark '%s'", names[i]);
		for (j = 0; j < NR_BENCHES; j++)
			if (benches[j] == d)
				picked[j] = true;
	}
	for (j = 0; j < NR_BENCHES && benches[j] != &bench_sweep; j++)
		;
	if (plot && n && !picked[j])
		return cli_usage_error(cmd, "--plot draws the sweep: name 'sweep' too");
	if ((csv && !writable(cmd, csv)) || (plot && !writable(cmd, plot)))
		return CLI_EXIT_FAIL;
	if (plot && cli_find_program("gnuplot", gnuplot))
		return cli_fail(cmd, "--plot needs gnuplot, which is not installed "
			       "(make deps-bench, or apt-get install gnuplot-nox)");
	/* The platform's settings come from each benchmark, not from the environment. */
	unsetenv("SOFTSGX_INJECT");
	unsetenv("SOFTSGX_HOST_DISABLE");
	unsetenv("SOFTSGX_TRACE");
	b.quick = quick;
	b.runs = quick ? 3 : 7;
	b.image = demo_enclave_image;
	b.image_len = (size_t)(demo_enclave_image_end - demo_enclave_image);
	b.rows = mmap(NULL, sizeof(*b.rows), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (b.rows == MAP_FAILED)
		return cli_fail(cmd, "a table for the results: %s", strerror(errno));
	pid = fork();
	if (!pid) {
		describe_machine(b.rows->machine, sizeof(b.rows->machine));
		b.rows->host_present = host_features_present();
		_exit(0);
	}
	if (pid > 0)
		waitpid(pid, NULL, 0);
	snprintf(machine, sizeof(machine), "%s", b.rows->machine);
	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("softsgx bench%s on %s\n", quick ? " --quick" : "", machine);
	printf("each figure: the median of the runs, their spread (half the range, %% of the "
	       "median),\nand the host operation it is compared with, measured in the same run\n");
	for (j = 0; j < NR_BENCHES; j++) {
		if (n && !picked[j])
			continue;
		printf("\n%s: %s\n", benches[j]->name, benches[j]->summary);
		benches[j]->run(&b);
		bench_print(&b, benches[j]->name);
	}
	if (csv && (ok = bench_write_csv(&b, csv, machine)))
		printf("\nfigures written to %s\n", csv);
	if (plot && bench_plot(&b, plot, machine))
		printf("plot written to %s\n", plot);
	else if (plot)
		ok = false;
	munmap(b.rows, sizeof(*b.rows));
	return ok ? CLI_EXIT_OK : CLI_EXIT_FAIL;
}

const struct cli_command bench_command = {
	.name = "bench",
	.summary = "measure the emulation against the host operations it cannot avoid",
	.synopsis = "softsgx bench [--quick] [--csv FILE] [--plot FILE.svg] [NAME...]",
	.help = "Runs the benchmarks NAME... (all by default) and prints, for each figure, the\n"
		"median over repeated runs, their spread, the host operation it is compared with\n"
		"(measured in the same run) and the ratio; rows with a target say whether it was\n"
		"met. Each benchmark runs in child processes with the platform it needs.\n"
		"  --quick       fewer runs and smaller sizes (under a minute)\n"
		"  --csv FILE    write every row as CSV\n"
		"  --plot FILE   draw the RESTRICT_PERMISSIONS sweep as SVG (needs gnuplot)\n"
		"benchmarks:\n"
		"  ecall     EENTER -> EEXIT vs one trap and a function call, per host feature\n"
		"  sweep     RESTRICT_PERMISSIONS, MODIFY_TYPES(TRIM), REMOVE_PAGES over N pages,\n"
		"            0/1/3 threads inside, per-page vs batched tracking, vs mprotect\n"
		"  eaug      pages added by faults vs by one MAP_POPULATE / MADV_WILLNEED\n"
		"  paging    eviction + reload vs AES-GCM seal + open; a sweep over 4x the EPC\n"
		"  heap      a 1 GiB heap: augment, accept, trim, accept, remove\n"
		"  memory    emulator bytes per EPC page and per enclave page\n"
		"  signal    signal delivery to a thread inside; interrupt rounds\n"
		"  preload   ordinary calls under libsoftsgx-preload.so (build tree)\n"
		"  syscalls  catching raw system calls: seccomp vs Syscall User Dispatch\n",
	.run = run_bench,
	.no_config = true,
};
