/* SPDX-License-Identifier: MIT */
/*
 * The event trace (like Linux's tracepoints): every layer reports what it
 * does with one line, `if (trace_on()) trace_xxx(...);`, and the trace
 * writes it to a file in the Chrome trace-event JSON format, which
 * Perfetto and chrome://tracing open. One track per thread; a span
 * ("enclave") for each stay of a thread inside an enclave, from
 * EENTER/ERESUME to EEXIT/AEX; spans for ioctls; instants for leaves,
 * AEX, faults and interrupts.
 *
 * The hooks may be called from softsgx's signal handlers (see writer.c for
 * why that is safe). While no trace is open a hook costs one relaxed
 * atomic load.
 */
#ifndef SOFTSGX_TRACE_H
#define SOFTSGX_TRACE_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

struct sgx_exception;
struct sgx_fault_info;

/* True while a trace file is open (writer.c). */
extern atomic_bool trace_enabled __attribute__((visibility("hidden")));

static inline bool trace_on(void)
{
	return atomic_load_explicit(&trace_enabled, memory_order_relaxed);
}

/* What the driver's fault handler did with a page fault. */
enum trace_fault_kind {
	TRACE_FAULT_EAUG,   /* no page: EAUG and map it */
	TRACE_FAULT_MAP,    /* existing page without a page-table entry: map it */
	TRACE_FAULT_VMA,    /* the mapping forbids the access: #PF without the SGX bit */
	TRACE_FAULT_EPCM,   /* the EPCM forbids it: #PF with the SGX bit */
	TRACE_FAULT_SIGBUS, /* Linux would send SIGBUS */
	TRACE_FAULT_STALE,  /* the host protection was stale: fixed, nothing reported */
};

/*
 * trace_open_env() - open the trace named by the SOFTSGX_TRACE environment
 * variable, unless it is unset or empty or a trace is open already. A file
 * that cannot be opened is reported on stderr; nothing fails because of it.
 */
void trace_open_env(void);

/* A leaf (SGX_LEAF_* id) finished with @result; @fault when it faulted. */
void trace_leaf(unsigned int leaf_id, int result, const struct sgx_fault_info *fault, bool notify);
/* The calling thread entered enclave mode through the TCS at @tcs of the enclave at @base. */
void trace_enclave_enter(uint64_t tcs, uint64_t base);
/* The calling thread left enclave mode (EEXIT or AEX). */
void trace_enclave_leave(void);
/* An AEX of the calling thread for @exc. */
void trace_aex(const struct sgx_exception *exc);
/* The driver's fault handler classified a fault at @addr; @pfec as reported. */
void trace_fault(enum trace_fault_kind kind, uint64_t addr, uint32_t pfec);
/*
 * The driver wrote the enclave page at @addr (the enclave's base for its
 * SECS) to backing page @index (@evict: EWB), or loaded it back (ELDU,
 * with the leaf's @result).
 */
void trace_paging(bool evict, uint64_t addr, uint64_t index, int result);
/*
 * The hostile platform injected @point's result at call @call of thread
 * @thread (its numbering), for the enclave with ID @eid, page @addr.
 */
void trace_inject(const char *point, uint64_t thread, uint64_t call, uint64_t eid, uint64_t addr);
/* The hostile platform's interrupt round @round (@point: aex.rate) hit @threads threads. */
void trace_inject_round(const char *point, uint64_t round, uint64_t threads);
/* Interrupt round @round of the ETRACK flow hit @threads threads of the enclave at @base. */
void trace_ipi_sent(uint64_t round, unsigned int threads, uint64_t base);
/* The calling thread received the interrupt, @inside enclave code or after leaving it. */
void trace_ipi_received(bool inside);
/* An ioctl named @name starts on the calling thread. */
void trace_ioctl_begin(const char *name);
/* The ioctl @name of the calling thread returns @ret (0 or -errno). */
void trace_ioctl_end(const char *name, long ret);

#endif /* SOFTSGX_TRACE_H */
