/* SPDX-License-Identifier: MIT */
/*
 * Calls into the test enclave for the demo, through the entry function
 * (softsgx_call_enclave, the vDSO's twin) as a runtime makes them. An
 * exception inside is handled the way runtimes handle it: the entry
 * function calls run->user_handler, which may enter the enclave again on
 * the same TCS (CSSA is then 1: the enclave's exception handler) and then
 * asks for ERESUME. ERESUME has to come from that same entry-function
 * call: the enclave EEXITs to the stack it was entered on.
 */
#include <string.h>

#include "demo.h"
#include "driver/driver.h"
#include "softsgx/softsgx.h"
#include "test/abi.h"

#define EENTER 2
#define ERESUME 3
#define EEXIT 4
#define CALL_FAILED (~0ull)

static const char *vector_name(unsigned int vector)
{
	switch (vector) {
	case 6: return "#UD";
	case 13: return "#GP";
	case 14: return "#PF";
	default: return "exception";
	}
}

static const char *op_name(uint64_t op)
{
	static const char *const names[TE_NR_OPS] = {
		[TE_OP_NOP] = "NOP", [TE_OP_PUT] = "PUT", [TE_OP_GET] = "GET",
		[TE_OP_PUT_AT] = "write", [TE_OP_GET_AT] = "read", [TE_OP_EACCEPT] = "EACCEPT",
		[TE_OP_EACCEPTCOPY] = "EACCEPTCOPY", [TE_OP_EMODPE] = "EMODPE",
		[TE_OP_INIT_TCS] = "TCS setup", [TE_OP_READ] = "read", [TE_OP_WRITE] = "write",
		[TE_OP_SPIN] = "spin", [TE_OP_THREAD_INFO] = "thread info",
	};

	return op < TE_NR_OPS && names[op] ? names[op] : "operation";
}

/* Check how the entry function came back; record a failure for anything but EEXIT. */
static bool left_by_eexit(struct demo *d, uint64_t op, int ret, const struct sgx_enclave_run *run)
{
	bool full = d->plat && !sgx_nr_free_epc_pages(d->plat);

	if (ret == 0 && run->function == EEXIT)
		return true;
	if (ret)
		return demo_check(d, false, "entering for %s failed: %d", op_name(op), ret);
	return demo_check(d, false, "the enclave's %s ended by %s (error code %#x, address %#llx) "
			  "instead of EEXIT%s", op_name(op), vector_name(run->exception_vector),
			  run->exception_error_code, (unsigned long long)run->exception_addr,
			  full ? "; the EPC is full (see --epc-size)" : "");
}

uint64_t demo_call_out(struct demo *d, uint64_t tcs, uint64_t op, const uint64_t args[5],
		       uint64_t out[2])
{
	struct te_call c = { .op = op };
	struct sgx_enclave_run run;
	int ret;

	memcpy(c.arg, args, 5 * sizeof(args[0]));
	memset(&run, 0, sizeof(run));
	run.tcs = tcs;
	ret = softsgx_call_enclave((long)(uintptr_t)&c, 0, 0, EENTER, 0, 0, &run);
	if (!left_by_eexit(d, op, ret, &run))
		return CALL_FAILED;
	if (out)
		memcpy(out, c.out, 2 * sizeof(out[0]));
	return c.ret;
}

uint64_t demo_call(struct demo *d, uint64_t tcs, uint64_t op, uint64_t a0, uint64_t a1, uint64_t a2)
{
	const uint64_t args[5] = { a0, a1, a2 };

	return demo_call_out(d, tcs, op, args, NULL);
}

/* run->user_handler: the runtime's side of an exception (and of the final EEXIT). */
static int exception_handler(long rdi, long rsi, long rdx, long ursp, long r8, long r9,
			     struct sgx_enclave_run *run)
{
	struct demo_exception *x = (struct demo_exception *)(uintptr_t)run->user_data;

	if (run->function != ERESUME)
		return 0; /* EEXIT: the call is over */
	x->count++;
	x->tcs = run->tcs;
	x->vector = run->exception_vector;
	x->error_code = run->exception_error_code;
	x->addr = run->exception_addr;
	if (x->count > 1 || !x->fix(x))
		return 0; /* report it to the caller */
	return ERESUME;
}

uint64_t demo_call_handled(struct demo *d, uint64_t tcs, uint64_t op, uint64_t a0, uint64_t a1,
			   struct demo_exception *x)
{
	struct te_call c = { .op = op, .arg = { a0, a1 } };
	struct sgx_enclave_run run;
	int ret;

	memset(&run, 0, sizeof(run));
	run.tcs = tcs;
	run.user_handler = (uint64_t)(uintptr_t)exception_handler;
	run.user_data = (uint64_t)(uintptr_t)x;
	x->d = d;
	ret = softsgx_call_enclave((long)(uintptr_t)&c, 0, 0, EENTER, 0, 0, &run);
	if (!left_by_eexit(d, op, ret, &run))
		return CALL_FAILED;
	return c.ret;
}

uint64_t demo_tcs(struct demo *d, unsigned int i)
{
	return softsgx_enclave_tcs(d->e, i);
}

int demo_ioctl(struct demo *d, unsigned long request, void *arg)
{
	return softsgx_ioctl_retrying(d->fd, request, arg);
}
