/* SPDX-License-Identifier: MIT */
/*
 * The platform configuration of the softsgx command (config.h): each
 * setting from its option, else its environment variable, else the
 * library's default; checked here so that a wrong value is named before
 * anything runs, then given to softsgx_configure().
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "host/features.h"

#define DEFAULT_EPC_SIZE (64ull << 20)
#define MAX_EPC_SIZE (1ull << 40) /* the processor's limit: 2^28 pages */

enum setting { SET_EPC_SIZE, SET_TRACKING, SET_SGX, SET_SEED, SET_TRACE, SET_HOST_DISABLE, NR_SETTINGS };

static const struct {
	const char *option;
	const char *env;
} names[NR_SETTINGS] = {
	[SET_EPC_SIZE] = { "--epc-size", "SOFTSGX_EPC_SIZE" },
	[SET_TRACKING] = { "--tracking", "SOFTSGX_TRACKING" },
	[SET_SGX] = { "--sgx", "SOFTSGX_SGX" },
	[SET_SEED] = { "--seed", "SOFTSGX_SEED" },
	[SET_TRACE] = { "--trace", "SOFTSGX_TRACE" },
	[SET_HOST_DISABLE] = { "--host-disable", "SOFTSGX_HOST_DISABLE" },
};

static const char *option_values[NR_SETTINGS];
static struct config_view applied = { .epc_size = DEFAULT_EPC_SIZE };
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

static int parse_epc_size(const struct cli_command *cmd)
{
	const char *from, *v = setting(SET_EPC_SIZE, &from);
	uint64_t size;

	if (!v)
		return 0;
	if (!cli_parse_u64(v, true, &size) || !size || size % 4096 || size > MAX_EPC_SIZE)
		return bad_value(cmd, from, v,
				 "expected a multiple of 4K up to 1T (bytes, or with K, M, G, T)");
	applied.epc_size = size;
	return 0;
}

static int parse_tracking(const struct cli_command *cmd)
{
	const char *from, *v = setting(SET_TRACKING, &from);

	if (!v)
		return 0;
	if (!strcmp(v, "per-page"))
		applied.tracking = SOFTSGX_TRACK_PER_PAGE;
	else if (!strcmp(v, "batched"))
		applied.tracking = SOFTSGX_TRACK_BATCHED;
	else
		return bad_value(cmd, from, v, "expected 'per-page' or 'batched'");
	return 0;
}

static int parse_sgx(const struct cli_command *cmd)
{
	const char *from, *v = setting(SET_SGX, &from);

	if (!v)
		return 0;
	if (!strcmp(v, "1"))
		applied.sgx1 = true;
	else if (strcmp(v, "2"))
		return bad_value(cmd, from, v, "expected 1 (SGX1 only) or 2 (SGX2, with EDMM)");
	return 0;
}

static int hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c |= 0x20;
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

static int parse_seed(const struct cli_command *cmd)
{
	const char *from, *v = setting(SET_SEED, &from);
	size_t i;

	if (!v)
		return 0;
	if (strlen(v) != 2 * sizeof(seed))
		return bad_value(cmd, from, v, "expected 64 hex digits (32 bytes)");
	for (i = 0; i < sizeof(seed); i++) {
		int hi = hex_digit(v[2 * i]), lo = hex_digit(v[2 * i + 1]);

		if (hi < 0 || lo < 0)
			return bad_value(cmd, from, v, "expected 64 hex digits (32 bytes)");
		seed[i] = (uint8_t)(hi << 4 | lo);
	}
	applied.seed_given = true;
	applied.seed_from = from;
	return 0;
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
				 "all, none, separated by commas");
	if (setenv(names[SET_HOST_DISABLE].env, v, 1))
		return cli_fail(cmd, "%s: %s", from, strerror(errno));
	return 0;
}

int config_apply(const struct cli_command *cmd)
{
	struct softsgx_config cfg;
	const char *from;

	int ret;

	if (parse_epc_size(cmd) || parse_tracking(cmd) || parse_sgx(cmd) || parse_seed(cmd))
		return CLI_EXIT_USAGE;
	ret = parse_host_disable(cmd);
	if (ret)
		return ret;
	applied.trace = setting(SET_TRACE, &from);
	cfg = (struct softsgx_config){ .epc_size = applied.epc_size,
				       .tracking = applied.tracking,
				       .sgx1 = applied.sgx1,
				       .seed = applied.seed_given ? seed : NULL };
	if (softsgx_configure(&cfg))
		return cli_fail(cmd, "the platform refused the configuration: %s", strerror(errno));
	if (applied.trace && config_trace_open(applied.trace))
		return cli_fail(cmd, "%s='%s': cannot start the trace: %s", from, applied.trace,
				strerror(errno));
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
