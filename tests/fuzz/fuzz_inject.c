/* SPDX-License-Identifier: MIT */
/*
 * fuzz_inject: the injection specification (docs/injection.md), as
 * SOFTSGX_INJECT, --inject and softsgx_config.inject give it: the input is
 * the text (cut at its first NUL). What is checked:
 *   - the parser never crashes, and gives the same verdict twice;
 *   - a refusal comes with a message that names what is wrong, and
 *     softsgx_configure() refuses the same text with EINVAL and nothing
 *     else; an acceptance is one softsgx_configure() accepts too (the
 *     platform is never made here, so the configuration may change);
 *   - an accepted specification makes an injector, or none when it asks
 *     for nothing (every value 0).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "driver/inject.h"
#include "fuzz.h"
#include "softsgx/softsgx.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *spec = malloc(size + 1), why[256], again[256];
	struct softsgx_config cfg = { 0 };
	struct sgx_inject *inj = NULL;
	const char *verdict, *second;
	int ret;

	FUZZ_CHECK(spec, "out of memory");
	memcpy(spec, data, size);
	spec[size] = 0;
	why[0] = again[0] = 0;
	verdict = sgx_inject_parse(spec, &inj, why, sizeof(why));
	second = sgx_inject_parse(spec, NULL, again, sizeof(again));
	FUZZ_CHECK(!verdict == !second, "the same specification judged twice differently");
	cfg.inject = spec;
	ret = softsgx_configure(&cfg);
	if (verdict) {
		FUZZ_CHECK(!inj, "a refused specification made an injector");
		FUZZ_CHECK(verdict == why && why[0] && memchr(why, 0, sizeof(why)),
			   "a refusal without a message");
		FUZZ_CHECK(!strcmp(why, again), "two messages for one refusal");
		FUZZ_CHECK(ret == -1 && errno == EINVAL, "softsgx_configure() took a refused specification");
	} else {
		/* strlen < 4096: softsgx_configure() refuses longer ones (EINVAL). */
		FUZZ_CHECK(strlen(spec) >= 4095 ? ret == -1 && errno == EINVAL : ret == 0,
			   "softsgx_configure() and the parser disagree");
		sgx_inject_free(inj);
	}
	free(spec);
	return 0;
}
