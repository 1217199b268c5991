/* SPDX-License-Identifier: MIT */
/*
 * The emulated platform's configuration as the softsgx command takes it:
 * eight settings, each a command-line option and an environment variable
 * of the same name (docs/configuration.md lists them):
 *   --epc-size SIZE     SOFTSGX_EPC_SIZE   EPC bytes (K, M, G suffixes)
 *   --tracking MODE     SOFTSGX_TRACKING   per-page | batched
 *   --sgx VERSION       SOFTSGX_SGX        2 (SGX2, default) | 1 (SGX1 only)
 *   --aex-notify YES/NO SOFTSGX_AEX_NOTIFY yes (default with SGX2) | no
 *   --seed HEX          SOFTSGX_SEED       platform key seed, 64 hex digits
 *   --inject SPEC       SOFTSGX_INJECT     failures to inject (docs/injection.md)
 *   --trace FILE        SOFTSGX_TRACE      event trace (Chrome trace JSON)
 *   --host-disable LIST SOFTSGX_HOST_DISABLE host features left unused (testing)
 * An option wins over the variable. config_apply() checks them and hands
 * them to softsgx_configure() before the platform exists.
 */
#ifndef SOFTSGX_TOOLS_CONFIG_H
#define SOFTSGX_TOOLS_CONFIG_H

#include <stdbool.h>
#include <stddef.h>

#include "cli.h"
#include "softsgx/softsgx.h"

/* The --help text of the configuration options. */
#define CONFIG_HELP                                                                     \
	"configuration (or the environment variable in brackets):\n"                   \
	"  --epc-size SIZE     EPC bytes, K/M/G/T suffixes; 64M [SOFTSGX_EPC_SIZE]\n"        \
	"  --tracking MODE     per-page (as Linux, default) or batched [SOFTSGX_TRACKING]\n" \
	"  --sgx VERSION       2 (SGX2 with EDMM, default) or 1 (SGX1 only) [SOFTSGX_SGX]\n" \
	"  --aex-notify YES/NO yes (default with SGX2) or no: an SGX2 processor without\n"   \
	"                      AEX-Notify (EDECCSSA) [SOFTSGX_AEX_NOTIFY]\n"              \
	"  --seed HEX          platform key seed, 64 hex digits; built in [SOFTSGX_SEED]\n"  \
	"  --inject SPEC       results to inject, e.g. restrict.eagain=0.1,seed=7\n"      \
	"                      (docs/injection.md) [SOFTSGX_INJECT]\n"                     \
	"  --trace FILE        write an event trace of the run to FILE [SOFTSGX_TRACE]\n"  \
	"  --host-disable LIST host features not to use: fsgsbase, sud, cpuid-faulting,\n"   \
	"                      tsc-faulting, fsgsbase-read, populate-write, all\n"          \
	"                      [SOFTSGX_HOST_DISABLE]\n"

/* Return: the name of a configuration option given on the command line, or NULL. */
const char *config_option_given(void);

/* Return: true if @name ("--epc-size" ...) is a configuration option. */
bool config_known(const char *name);

/*
 * config_option() - record configuration option @name (with "--") given
 * @value; checked later by config_apply().
 * Return: true if @name is a configuration option.
 */
bool config_option(const char *name, const char *value);

/*
 * config_apply() - check the settings (options, else environment) and
 * apply them: softsgx_configure(), then the trace file. Call before any
 * other use of the library.
 * Return: 0; CLI_EXIT_USAGE after a message naming the bad option or
 * variable; CLI_EXIT_FAIL when the library or the trace file refuses.
 */
int config_apply(const struct cli_command *cmd);

/*
 * config_export() - check the settings as config_apply() does, then put
 * each one given into its environment variable (for a program under the
 * preload library) instead of applying it here.
 * Return: as config_apply().
 */
int config_export(const struct cli_command *cmd);

/* Return: the configuration that config_apply() applied (defaults filled in). */
struct config_view {
	size_t epc_size;
	enum softsgx_tracking tracking;
	bool sgx1;                  /* --sgx 1: a processor without SGX2 */
	bool aex_notify;            /* the processor has AEX-Notify */
	bool seed_given;
	const char *seed_from;      /* "--seed" or "SOFTSGX_SEED" when given */
	const char *trace;          /* NULL: no trace */
	const char *inject;         /* the injection specification; NULL: none */
};
const struct config_view *config_get(void);

/* Return: the name of @tracking, "per-page" or "batched". */
const char *config_tracking_name(enum softsgx_tracking tracking);

/*
 * config_trace_open() - start the event trace into @path (the tracer's
 * softsgx_trace_open()). Return: 0, or -1 with errno.
 */
int config_trace_open(const char *path);

#endif /* SOFTSGX_TOOLS_CONFIG_H */
