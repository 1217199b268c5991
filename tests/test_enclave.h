/* SPDX-License-Identifier: MIT */
/*
 * Driving the test enclave (enclaves/test, interface "test/abi.h") through
 * the library interface and the entry function, for tests that run enclave
 * code. Failures are reported at the caller's line.
 */
#ifndef SOFTSGX_TEST_ENCLAVE_H
#define SOFTSGX_TEST_ENCLAVE_H

#include <asm/sgx.h>

#include "harness.h"
#include "softsgx/loader.h"
#include "softsgx/softsgx.h"
#include "test/abi.h"

#define TE_EENTER 2
#define TE_EEXIT  4

/* The test enclave, loaded and initialized; NULL (a failure recorded) if it cannot be. */
#define te_load() te_load_at(__FILE__, __LINE__)

static inline struct softsgx_enclave *te_load_at(const char *file, int line)
{
	struct softsgx_enclave *e = NULL;

	if (softsgx_load_file(SOFTSGX_TEST_ENCLAVE, NULL, &e)) {
		harness_fail(file, line, "loading %s: %s", SOFTSGX_TEST_ENCLAVE,
			     strerrorname_np(errno));
		return NULL;
	}
	return e;
}

/* EENTER through TCS @tcs with @c in RDI; returns what the entry function returns. */
static inline int te_enter(struct softsgx_enclave *e, unsigned int tcs, struct te_call *c,
			   struct sgx_enclave_run *run)
{
	memset(run, 0, sizeof(*run));
	run->tcs = softsgx_enclave_tcs(e, tcs);
	return softsgx_call_enclave((long)c, 0, 0, TE_EENTER, 0, 0, run);
}

/*
 * te_run(e, tcs, op, args...): run @op with up to three arguments on TCS
 * @tcs and require a normal EEXIT; the value is te_call.ret (~0 on failure).
 */
#define te_run(e, tcs, code, ...)                                                                  \
	te_run_at(__FILE__, __LINE__, (e), (tcs),                                                  \
		  &(struct te_call){.op = (code), .arg = {__VA_ARGS__}})

static inline uint64_t te_run_at(const char *file, int line, struct softsgx_enclave *e,
				 unsigned int tcs, struct te_call *c)
{
	struct sgx_enclave_run run;

	if (te_enter(e, tcs, c, &run) || run.function != TE_EEXIT) {
		harness_fail(file, line, "op %llu on TCS %u: function %u vector %u code %#x",
			     (unsigned long long)c->op, tcs, run.function, run.exception_vector,
			     run.exception_error_code);
		return ~0ull;
	}
	return c->ret;
}

#endif
