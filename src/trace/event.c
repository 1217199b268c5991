/* SPDX-License-Identifier: MIT */
/*
 * The events the layers report (trace.h): what each one is called in the
 * trace and which arguments it carries. Callers check trace_on() first;
 * an event that races with the close of the trace is dropped by the writer.
 *
 *   leaf      instant, name = leaf ("EACCEPT"), cat encls/enclu,
 *             args result, code (+ vector, error_code, addr if it faulted;
 *             + notify = 1 for an ERESUME that entered the enclave's
 *             AEX-Notify handler)
 *   enclave   span B..E per stay inside an enclave, args tcs, enclave
 *   AEX       instant, args vector, exception (+ error_code, addr)
 *   fault X   instant, X = eaug/map/vma/epcm/sigbus/stale, args kind, addr, error_code
 *   interrupt sent / interrupt received   instants, args round, threads / inside
 *   ioctl X   span B..E around an ioctl, E args result
 */
#include <string.h>

#include "cpu/cpu.h"
#include "trace/trace_internal.h"

#define VEC_INTERRUPT 32

void trace_leaf(unsigned int leaf_id, int result, const struct sgx_fault_info *fault, bool notify)
{
	struct trace_event ev;

	if (leaf_id == SGX_LEAF_AEX)
		return; /* the host reports it, with its vector: trace_aex() */
	ev_start(&ev, sgx_leaf_name(leaf_id), leaf_id < SGX_LEAF_ENCLU(0) ? "encls" : "enclu", 'i');
	ev_arg_int(&ev, "result", result);
	ev_arg_str(&ev, "code", sgx_code_name(result));
	if (sgx_is_fault(result)) {
		ev_arg_int(&ev, "vector", fault->vector);
		ev_arg_hex(&ev, "error_code", fault->error_code);
		ev_arg_hex(&ev, "addr", fault->addr);
	}
	if (notify)
		ev_arg_int(&ev, "notify", 1);
	ev_finish(&ev);
	trace_emit(&ev, TRACE_SPAN_NONE);
}

void trace_enclave_enter(uint64_t tcs, uint64_t base)
{
	struct trace_event ev;

	ev_start(&ev, "enclave", "enclave", 'B');
	ev_arg_hex(&ev, "tcs", tcs);
	ev_arg_hex(&ev, "enclave", base);
	ev_finish(&ev);
	trace_emit(&ev, TRACE_SPAN_BEGIN);
}

void trace_enclave_leave(void)
{
	struct trace_event ev;

	ev_start(&ev, "enclave", "enclave", 'E');
	ev_finish(&ev);
	trace_emit(&ev, TRACE_SPAN_END);
}

static const char *vector_name(uint8_t vector)
{
	static const char *const names[] = {
		[SGX_VEC_DE] = "#DE", [SGX_VEC_DB] = "#DB", [SGX_VEC_BP] = "#BP",
		[SGX_VEC_BR] = "#BR", [SGX_VEC_UD] = "#UD", [SGX_VEC_NM] = "#NM",
		[SGX_VEC_GP] = "#GP", [SGX_VEC_PF] = "#PF", [SGX_VEC_MF] = "#MF",
		[SGX_VEC_AC] = "#AC", [SGX_VEC_XM] = "#XM",
	};

	if (vector >= VEC_INTERRUPT)
		return "interrupt";
	if (vector < sizeof(names) / sizeof(names[0]) && names[vector])
		return names[vector];
	return "exception";
}

void trace_aex(const struct sgx_exception *exc)
{
	struct trace_event ev;

	ev_start(&ev, "AEX", "aex", 'i');
	ev_arg_int(&ev, "vector", exc->vector);
	ev_arg_str(&ev, "exception", vector_name(exc->vector));
	if (exc->has_error_code)
		ev_arg_hex(&ev, "error_code", exc->error_code);
	if (exc->vector == SGX_VEC_PF)
		ev_arg_hex(&ev, "addr", exc->addr);
	ev_finish(&ev);
	trace_emit(&ev, TRACE_SPAN_NONE);
}

void trace_fault(enum trace_fault_kind kind, uint64_t addr, uint32_t pfec)
{
	static const char *const kinds[] = {
		[TRACE_FAULT_EAUG] = "eaug", [TRACE_FAULT_MAP] = "map",
		[TRACE_FAULT_VMA] = "vma", [TRACE_FAULT_EPCM] = "epcm",
		[TRACE_FAULT_SIGBUS] = "sigbus", [TRACE_FAULT_STALE] = "stale",
	};
	const char *k = (unsigned int)kind < sizeof(kinds) / sizeof(kinds[0]) ? kinds[kind] : "?";
	char name[16] = "fault ";
	struct trace_event ev;

	strncat(name, k, sizeof(name) - strlen(name) - 1);
	ev_start(&ev, name, "fault", 'i');
	ev_arg_str(&ev, "kind", k);
	ev_arg_hex(&ev, "addr", addr);
	ev_arg_hex(&ev, "error_code", pfec);
	ev_finish(&ev);
	trace_emit(&ev, TRACE_SPAN_NONE);
}

void trace_paging(bool evict, uint64_t addr, uint64_t index, int result)
{
	struct trace_event ev;

	ev_start(&ev, evict ? "EWB (evict)" : "ELDU (reload)", "paging", 'i');
	ev_arg_hex(&ev, "addr", addr);
	ev_arg_int(&ev, "backing_index", (int64_t)index);
	if (!evict)
		ev_arg_int(&ev, "result", result);
	ev_finish(&ev);
	trace_emit(&ev, TRACE_SPAN_NONE);
}

void trace_inject(const char *point, uint64_t thread, uint64_t call, uint64_t eid, uint64_t addr)
{
	struct trace_event ev;

	ev_start(&ev, point, "inject", 'i');
	ev_arg_int(&ev, "thread", (int64_t)thread);
	ev_arg_int(&ev, "call", (int64_t)call);
	ev_arg_int(&ev, "enclave", (int64_t)eid);
	ev_arg_hex(&ev, "addr", addr);
	ev_finish(&ev);
	trace_emit(&ev, TRACE_SPAN_NONE);
}

void trace_inject_round(const char *point, uint64_t round, uint64_t threads)
{
	struct trace_event ev;

	ev_start(&ev, point, "inject", 'i');
	ev_arg_int(&ev, "round", (int64_t)round);
	ev_arg_int(&ev, "threads", (int64_t)threads);
	ev_finish(&ev);
	trace_emit(&ev, TRACE_SPAN_NONE);
}

void trace_ipi_sent(uint64_t round, unsigned int threads, uint64_t base)
{
	struct trace_event ev;

	ev_start(&ev, "interrupt sent", "ipi", 'i');
	ev_arg_int(&ev, "round", (int64_t)round);
	ev_arg_int(&ev, "threads", threads);
	ev_arg_hex(&ev, "enclave", base);
	ev_finish(&ev);
	trace_emit(&ev, TRACE_SPAN_NONE);
}

void trace_ipi_received(bool inside)
{
	struct trace_event ev;

	ev_start(&ev, "interrupt received", "ipi", 'i');
	ev_arg_bool(&ev, "inside", inside);
	ev_finish(&ev);
	trace_emit(&ev, TRACE_SPAN_NONE);
}

void trace_ioctl_begin(const char *name)
{
	struct trace_event ev;

	ev_start(&ev, name, "ioctl", 'B');
	ev_finish(&ev);
	trace_emit(&ev, TRACE_SPAN_BEGIN);
}

void trace_ioctl_end(const char *name, long ret)
{
	struct trace_event ev;

	ev_start(&ev, name, "ioctl", 'E');
	ev_arg_int(&ev, "result", ret);
	if (ret < 0)
		ev_arg_str(&ev, "errno", strerrorname_np((int)-ret) ?: "?");
	ev_finish(&ev);
	trace_emit(&ev, TRACE_SPAN_END);
}
