/* SPDX-License-Identifier: MIT */
/*
 * The platform configuration of the softsgx command (config.h): each
 * setting from its option, else its environment variable, else the
 * library's default; checked here so that a wrong value is named before
 * anything runs, then given to softsgx_configure().
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "cpu/cpu.h"
#include "driver/driver.h"
#include "driver/settings.h"
#include "host/features.h"

#define DEFAULT_EPC_SIZE (64ull << 20)
#define MAX_EPC_SIZE (SGX_EPC_MAX_PAGES * 4096) /* the processor's limit: 1T */

enum setting {
	SET_EPC_SIZE,
	SET_TRACKING,
	SET_SGX,
	SET_AEX_NOTIFY,
	SET_SEED,
	SET_INJECT,
	SET_TRACE,
	SET_HOST_DISABLE,
	NR_SETTINGS
};
_Static_assert(SET_INJECT + 1 == SGX_NR_PLATFORM_SETTINGS, "the platform's settings come first");

static const struct {
	const char *option;
	const char *env;
} names[NR_SETTINGS] = {
	[SET_EPC_SIZE] = { "--epc-size", "SOFTSGX_EPC_SIZE" },
	[SET_TRACKING] = { "--tracking", "SOFTSGX_TRACKING" },
	[SET_SGX] = { "--sgx", "SOFTSGX_SGX" },
	[SET_AEX_NOTIFY] = { "--aex-notify", "SOFTSGX_AEX_NOTIFY" },
	[SET_SEED] = { "--seed", "SOFTSGX_SEED" },
	[SET_INJECT] = { "--inject", "SOFTSGX_INJECT" },
	[SET_TRACE] = { "--trace", "SOFTSGX_TRACE" },
	[SET_HOST_DISABLE] = { "--host-disable", "SOFTSGX_HOST_DISABLE" },
};

static const char *option_values[NR_SETTINGS];
static struct config_view applied = { .epc_size = DEFAULT_EPC_SIZE, .aex_notify = true };
static uint8_t seed[32];

bool config_known(const char *name)
{
	int i;

	for (i = 0; i < NR_SETTINGS; i++)
		if (!strcmp(name, names[i].option))
			return true;
	return false;
}

bool config_option(const char *name, const char *value)
{
	int i;

	for (i = 0; i < NR_SETTINGS; i++) {
		if (!strcmp(name, names[i].option)) {
			option_values[i] = value;
			return true;
		}
	}
	return false;
}

const char *config_option_given(void)
{
	int i;

	for (i = 0; i < NR_SETTINGS; i++)
		if (option_values[i])
			return names[i].option;
	return NULL;
}

/* The value of setting @i and where it came from ("--x" or "SOFTSGX_X"); NULL if unset. */
static const char *setting(int i, const char **from)
{
	const char *v = option_values[i];

	*from = names[i].option;
	if (v)
		return v;
	*from = names[i].env;
	v = getenv(names[i].env);
	return v && *v ? v : NULL;
}

static int bad_value(const struct cli_command *cmd, const char *from, const char *v,
		     const char *expected)
{
	return cli_usage_error(cmd, "%s='%s': %s", from, v, expected);
}

/*
 * Setting @i of the platform's (settings.h parses them) into @cfg.
 * Return: 0, or CLI_EXIT_USAGE after a message.
 */
static int parse_setting(const struct cli_command *cmd, int i, struct softsgx_config *cfg)
{
	const char *from, *v = setting(i, &from), *why;

	if (!v)
		return 0;
	why = sgx_setting_parse((enum sgx_setting)i, v, cfg, seed);
	return why ? bad_value(cmd, from, v, why) : 0;
}

/* @bytes, rounded, in GiB or MiB: "1042 GiB", "7.6 GiB", "300 MiB" (@out: 32 bytes). */
static char *rounded_size(uint64_t bytes, char *out)
{
	if (bytes >= (10ull << 30))
		snprintf(out, 32, "%llu GiB", (unsigned long long)((bytes + (1ull << 30) - 1) >> 30));
	else if (bytes >= (1ull << 30))
		snprintf(out, 32, "%.1f GiB", (double)bytes / (1ull << 30));
	else
		snprintf(out, 32, "%llu MiB", (unsigned long long)((bytes + (1ull << 20) - 1) >> 20));
	return out;
}

/* This process's VmSize (bytes mapped), from /proc/self/status; 0 if unknown. */
static uint64_t mapped_now(void)
{
	return cli_proc_bytes("/proc/self/status", "VmSize");
}

/* Why the host refuses a mapping: its limit, in words, into @why (@len bytes). */
static void map_refusal(int err, char *why, size_t len)
{
	struct rlimit rl;
	char limit[32], used[32];
	FILE *f = fopen("/proc/sys/vm/overcommit_memory", "r");
	int mode = -1;

	if (f) {
		if (fscanf(f, "%d", &mode) != 1)
			mode = -1;
		fclose(f);
	}
	if (!getrlimit(RLIMIT_AS, &rl) && rl.rlim_cur != RLIM_INFINITY)
		snprintf(why, len, "the address-space limit of this process (ulimit -v) is %s, "
			 "%s of it in use", rounded_size((uint64_t)rl.rlim_cur, limit),
			 rounded_size(mapped_now(), used));
	else if (mode == 2)
		snprintf(why, len, "the host's vm.overcommit_memory is 2 (strict): it would have to "
			 "commit all of it");
	else
		snprintf(why, len, "%s", strerror(err));
}

/*
 * The EPC must be mappable here: its storage and metadata are reserved
 * without commit and cost memory only as enclaves use pages, but they
 * need address space, and a host with strict overcommit or a ulimit -v
 * refuses a large one. Ask once, up front, for what the platform maps.
 * Return: 0, or CLI_EXIT_FAIL after a message.
 */
static int check_epc_mappable(const struct cli_command *cmd)
{
	const char *from, *v = setting(SET_EPC_SIZE, &from);
	uint64_t bytes = sgx_epc_map_size(applied.epc_size / 4096);
	char size[32], total[32], why[160];
	void *p;

	p = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
		 -1, 0);
	if (p != MAP_FAILED) {
		munmap(p, bytes);
		return 0;
	}
	map_refusal(errno, why, sizeof(why));
	cli_size(applied.epc_size, size);
	return cli_fail(cmd, "%s%s%s%sthis host cannot map an EPC of %s (%s of address space with "
			"its metadata, used only as enclaves need it): %s; choose a smaller EPC",
			v ? from : "", v ? "='" : "", v ? v : "", v ? "': " : "", size,
			rounded_size(bytes, total), why);
}

/*
 * Host features to leave unused: checked here, then handed to the library
 * (which reads SOFTSGX_HOST_DISABLE when it first probes the host).
 */
static int parse_host_disable(const struct cli_command *cmd)
{
	const char *from, *v = setting(SET_HOST_DISABLE, &from), *bad;
	unsigned int mask;

	if (!v)
		return 0;
	if (host_features_parse(v, &mask, &bad))
		return bad_value(cmd, from, v,
				 "expected names from fsgsbase, sud, cpuid-faulting, tsc-faulting, "
				 "fsgsbase-read, all, none, separated by commas");
	if (setenv(names[SET_HOST_DISABLE].env, v, 1))
		return cli_fail(cmd, "%s: %s", from, strerror(errno));
	return 0;
}

/*
 * Start the trace into @path (from the setting @from). A FIFO that no
 * process reads is refused: opening it would wait for a reader. One that
 * is read is held open meanwhile, so its reader sees no end of file
 * between this check and the trace's own open.
 * Return: 0, or CLI_EXIT_FAIL after a message.
 */
static int start_trace(const struct cli_command *cmd, const char *from, const char *path)
{
	struct stat st;
	int fd = -1, ret;

	if (!stat(path, &st) && S_ISFIFO(st.st_mode)) {
		fd = open(path, O_WRONLY | O_NONBLOCK | O_CLOEXEC);
		if (fd < 0)
			return cli_fail(cmd, "%s='%s': cannot start the trace: %s", from, path,
					errno == ENXIO ? "it is a FIFO that no process reads"
						       : strerror(errno));
	}
	ret = config_trace_open(path);
	if (ret)
		ret = cli_fail(cmd, "%s='%s': cannot start the trace: %s", from, path,
			       strerror(errno));
	if (fd >= 0)
		close(fd);
	return ret;
}

/* Check every setting; the platform's go into @cfg. Return: 0 or a CLI_EXIT_* after a message. */
static int config_check(const struct cli_command *cmd, struct softsgx_config *cfg)
{
	const char *from, *conflict, *v;
	int i, ret;

	*cfg = (struct softsgx_config){ .epc_size = DEFAULT_EPC_SIZE };
	for (i = 0; i < SGX_NR_PLATFORM_SETTINGS; i++)
		if (parse_setting(cmd, i, cfg))
			return CLI_EXIT_USAGE;
	conflict = sgx_settings_conflict(cfg);
	if (conflict) {
		v = setting(SET_AEX_NOTIFY, &from);
		return bad_value(cmd, from, v, conflict);
	}
	applied.epc_size = cfg->epc_size;
	applied.tracking = cfg->tracking;
	applied.sgx1 = cfg->sgx1;
	applied.aex_notify = sgx_settings_aex_notify(cfg);
	applied.seed_given = cfg->seed != NULL;
	applied.inject = cfg->inject;
	if (cfg->seed)
		setting(SET_SEED, &applied.seed_from);
	ret = parse_host_disable(cmd);
	if (!ret)
		ret = check_epc_mappable(cmd);
	applied.trace = setting(SET_TRACE, &from);
	return ret;
}

int config_apply(const struct cli_command *cmd)
{
	struct softsgx_config cfg;
	const char *from;
	int ret = config_check(cmd, &cfg);

	if (ret)
		return ret;
	if (softsgx_configure(&cfg))
		return cli_fail(cmd, "the platform refused the configuration: %s", strerror(errno));
	return applied.trace ? start_trace(cmd, setting(SET_TRACE, &from) ? from : "", applied.trace)
			     : 0;
}

int config_export(const struct cli_command *cmd)
{
	const char *from, *v;
	int ret, i;
	struct softsgx_config cfg;

	ret = config_check(cmd, &cfg);
	if (ret)
		return ret;
	/* Each setting given goes to the environment, where the preload library reads it. */
	for (i = 0; i < NR_SETTINGS; i++) {
		v = setting(i, &from);
		if (v && setenv(names[i].env, v, 1))
			return cli_fail(cmd, "%s: %s", from, strerror(errno));
	}
	return 0;
}

const struct config_view *config_get(void)
{
	return &applied;
}

const char *config_tracking_name(enum softsgx_tracking tracking)
{
	return tracking == SOFTSGX_TRACK_BATCHED ? "batched" : "per-page";
}

int config_trace_open(const char *path)
{
	return softsgx_trace_open(path);
}
