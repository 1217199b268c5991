/* SPDX-License-Identifier: MIT */
/*
 * The platform's settings as text: the values of the softsgx command's
 * options and of the SOFTSGX_* environment variables (docs/configuration.md).
 * One parser for both, so that `softsgx --epc-size 1G` and
 * SOFTSGX_EPC_SIZE=1G under the preload library mean the same.
 */
#ifndef SOFTSGX_DRIVER_SETTINGS_H
#define SOFTSGX_DRIVER_SETTINGS_H

#include <stdbool.h>
#include <stdint.h>

#include "softsgx/softsgx.h"

enum sgx_setting {
	SGX_SET_EPC_SIZE,
	SGX_SET_TRACKING,
	SGX_SET_SGX,
	SGX_SET_AEX_NOTIFY,
	SGX_SET_SEED,
	SGX_SET_INJECT,
	SGX_NR_PLATFORM_SETTINGS, /* the ones above go to softsgx_configure() */
};

/* The environment variable of @setting ("SOFTSGX_EPC_SIZE" ...). */
const char *sgx_setting_env(enum sgx_setting setting);

/*
 * A decimal or 0x-hex number; with @suffixes an optional K, M, G or T
 * (also "KiB", "KB" ...) multiplies by the power of 1024.
 */
bool sgx_parse_u64(const char *s, bool suffixes, uint64_t *out);

/*
 * sgx_setting_parse() - read @value of @setting into @cfg (the seed's 32
 * bytes into @seed, which @cfg->seed then points to).
 * Return: NULL, or what was expected instead ("a multiple of 4K ...").
 */
const char *sgx_setting_parse(enum sgx_setting setting, const char *value,
			      struct softsgx_config *cfg, uint8_t seed[32]);

/* Return: NULL if the settings in @cfg go together, else why not. */
const char *sgx_settings_conflict(const struct softsgx_config *cfg);
/* Return: whether the processor @cfg describes has AEX-Notify (SGX2, not turned off). */
bool sgx_settings_aex_notify(const struct softsgx_config *cfg);

/*
 * sgx_settings_from_env() - @cfg from the SOFTSGX_* variables (the
 * defaults where unset). A bad value is named on stderr and ignored, and
 * so is a setting that contradicts another.
 */
void sgx_settings_from_env(struct softsgx_config *cfg, uint8_t seed[32]);

#endif /* SOFTSGX_DRIVER_SETTINGS_H */
