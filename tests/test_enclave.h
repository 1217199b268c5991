/* SPDX-License-Identifier: MIT */
/*
 * Driving the test enclave (enclaves/test, interface "test/abi.h") through
 * the library interface and the entry function, for tests that run enclave
 * code. Failures are reported at the caller's line.
 */
#ifndef SOFTSGX_TEST_ENCLAVE_H
#define SOFTSGX_TEST_ENCLAVE_H

#include <asm/sgx.h>
#include <sys/mman.h>

#include "driver/driver.h"
#include "harness.h"
#include "softsgx/arch.h"
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

/*
 * A fresh enclave page holding @code, made executable in the EPCM (EMODPE)
 * and in the mapping (mprotect), as a JIT in an enclave would.
 */
static inline uint64_t te_code_page(struct softsgx_enclave *e, const uint8_t *code, size_t len)
{
	uint64_t page = softsgx_enclave_free_start(e);
	uint64_t w;
	size_t i;

	te_run(e, 0, TE_OP_EACCEPT,
	       SGX_SECINFO_REG | SGX_SECINFO_R | SGX_SECINFO_W | SGX_SECINFO_PENDING, page);
	for (i = 0; i < len; i += 8) {
		w = 0;
		memcpy(&w, code + i, len - i < 8 ? len - i : 8);
		te_run(e, 0, TE_OP_PUT_AT, page + i, w);
	}
	te_run(e, 0, TE_OP_EMODPE, SGX_SECINFO_X, page);
	if (softsgx_mprotect((void *)(uintptr_t)page, 4096, PROT_READ | PROT_WRITE | PROT_EXEC))
		harness_fail(__FILE__, __LINE__, "mprotect: %s", strerrorname_np(errno));
	return page;
}

/*
 * The GPRSGX (and, if @ei, the EXINFO below it) of TCS @tcs's last used
 * SSA frame (CSSA - 1), read through the emulator's view of the EPC: not
 * something a program could do, but what the enclave would find there.
 * False (a failure recorded) if the TCS has no used frame.
 */
#define te_ssa_read(e, tcs, gpr, ei) te_ssa_read_at(__FILE__, __LINE__, (e), (tcs), (gpr), (ei))

static inline bool te_ssa_read_at(const char *file, int line, struct softsgx_enclave *e,
				  unsigned int tcs_index, struct sgx_gprsgx *gpr, struct sgx_exinfo *ei)
{
	struct sgx_encl *encl = sgx_encl_from_fd(sgx_platform_get(), softsgx_enclave_fd(e));
	const struct sgx_tcs *tcs;
	const uint8_t *end;
	bool ok;

	if (!encl) {
		harness_fail(file, line, "no enclave behind fd %d", softsgx_enclave_fd(e));
		return false;
	}
	tcs = sgx_encl_phys(encl, softsgx_enclave_tcs(e, tcs_index));
	ok = tcs->cssa > 0;
	if (ok) {
		end = (const uint8_t *)sgx_encl_phys(encl, softsgx_enclave_base(e) + tcs->ossa +
							   (uint64_t)tcs->cssa * TE_SSA_FRAME_SIZE - 1) + 1;
		memcpy(gpr, end - sizeof(*gpr), sizeof(*gpr));
		if (ei)
			memcpy(ei, end - sizeof(*gpr) - sizeof(*ei), sizeof(*ei));
	} else {
		harness_fail(file, line, "TCS %u has CSSA 0: no frame to read", tcs_index);
	}
	sgx_encl_put(encl);
	return ok;
}

#endif
