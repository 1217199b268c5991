/* SPDX-License-Identifier: MIT */
/* The platform's settings as text (settings.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cpu/cpu.h"
#include "driver/inject.h"
#include "driver/settings.h"

#define MAX_EPC_SIZE (SGX_EPC_MAX_PAGES * 4096) /* the processor's limit: 1T */

static const char *const env_names[SGX_NR_PLATFORM_SETTINGS] = {
	[SGX_SET_EPC_SIZE] = "SOFTSGX_EPC_SIZE",
	[SGX_SET_TRACKING] = "SOFTSGX_TRACKING",
	[SGX_SET_SGX] = "SOFTSGX_SGX",
	[SGX_SET_AEX_NOTIFY] = "SOFTSGX_AEX_NOTIFY",
	[SGX_SET_SEED] = "SOFTSGX_SEED",
	[SGX_SET_INJECT] = "SOFTSGX_INJECT",
};

const char *sgx_setting_env(enum sgx_setting setting)
{
	return (unsigned int)setting < SGX_NR_PLATFORM_SETTINGS ? env_names[setting] : "?";
}

bool sgx_parse_u64(const char *s, bool suffixes, uint64_t *out)
{
	unsigned int shift = 0;
	unsigned long long v;
	char *end;

	if (!s || !*s || *s == '-' || *s == '+' || *s == ' ')
		return false;
	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || end == s)
		return false;
	if (suffixes && *end) {
		const char *units = "KMGT", *u = strchr(units, *end & ~0x20);

		if (!u || !*u)
			return false;
		shift = 10 * (unsigned int)(u - units + 1);
		end++;
		if ((*end & ~0x20) == 'I' && (end[1] & ~0x20) == 'B')
			end += 2; /* "MiB" */
		else if ((*end & ~0x20) == 'B')
			end++;
	}
	if (*end || (shift && v > (UINT64_MAX >> shift)))
		return false;
	*out = (uint64_t)v << shift;
	return true;
}

static int hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c |= 0x20;
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

const char *sgx_setting_parse(enum sgx_setting setting, const char *v, struct softsgx_config *cfg,
			      uint8_t seed[32])
{
	uint64_t size;
	size_t i;

	switch (setting) {
	case SGX_SET_EPC_SIZE:
		if (!sgx_parse_u64(v, true, &size) || !size || size % 4096 || size > MAX_EPC_SIZE)
			return "expected a multiple of 4K up to 1T (bytes, or with K, M, G, T)";
		cfg->epc_size = size;
		return NULL;
	case SGX_SET_TRACKING:
		if (!strcmp(v, "per-page"))
			cfg->tracking = SOFTSGX_TRACK_PER_PAGE;
		else if (!strcmp(v, "batched"))
			cfg->tracking = SOFTSGX_TRACK_BATCHED;
		else
			return "expected 'per-page' or 'batched'";
		return NULL;
	case SGX_SET_SGX:
		if (strcmp(v, "1") && strcmp(v, "2"))
			return "expected 1 (SGX1 only) or 2 (SGX2, with EDMM)";
		cfg->sgx1 = !strcmp(v, "1");
		return NULL;
	case SGX_SET_AEX_NOTIFY:
		if (!strcmp(v, "yes"))
			cfg->aex_notify = SOFTSGX_AEX_NOTIFY_YES;
		else if (!strcmp(v, "no"))
			cfg->aex_notify = SOFTSGX_AEX_NOTIFY_NO;
		else
			return "expected 'yes' or 'no'";
		return NULL;
	case SGX_SET_SEED:
		if (strlen(v) != 64)
			return "expected 64 hex digits (32 bytes)";
		for (i = 0; i < 32; i++) {
			int hi = hex_digit(v[2 * i]), lo = hex_digit(v[2 * i + 1]);

			if (hi < 0 || lo < 0)
				return "expected 64 hex digits (32 bytes)";
			seed[i] = (uint8_t)(hi << 4 | lo);
		}
		cfg->seed = seed;
		return NULL;
	case SGX_SET_INJECT: {
		static char why[256];

		/* @v stays where it is (argv or the environment): the platform reads it later. */
		if (sgx_inject_parse(v, NULL, why, sizeof(why)))
			return why;
		cfg->inject = v;
		return NULL;
	}
	default:
		return "no such setting";
	}
}

const char *sgx_settings_conflict(const struct softsgx_config *cfg)
{
	if (cfg->sgx1 && cfg->aex_notify == SOFTSGX_AEX_NOTIFY_YES)
		return "AEX-Notify needs an SGX2 processor, and SGX1 was asked for";
	return NULL;
}

bool sgx_settings_aex_notify(const struct softsgx_config *cfg)
{
	/* An SGX1 processor predates AEX-Notify; an SGX2 one may too. */
	return !cfg->sgx1 && cfg->aex_notify != SOFTSGX_AEX_NOTIFY_NO;
}

void sgx_settings_from_env(struct softsgx_config *cfg, uint8_t seed[32])
{
	unsigned int i;
	const char *why;

	for (i = 0; i < SGX_NR_PLATFORM_SETTINGS; i++) {
		const char *v = getenv(env_names[i]);

		if (!v || !*v)
			continue;
		why = sgx_setting_parse(i, v, cfg, seed);
		if (why)
			fprintf(stderr, "softsgx: %s='%s' ignored: %s\n", env_names[i], v, why);
	}
	why = sgx_settings_conflict(cfg);
	if (why) {
		fprintf(stderr, "softsgx: %s='%s' ignored: %s\n", env_names[SGX_SET_AEX_NOTIFY],
			getenv(env_names[SGX_SET_AEX_NOTIFY]), why);
		cfg->aex_notify = SOFTSGX_AEX_NOTIFY_DEFAULT;
	}
}
