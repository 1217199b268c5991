/* SPDX-License-Identifier: MIT */
/*
 * Per-thread state of the emulator that must stay per thread where the C
 * library's thread data does not: a thread made by a raw clone() without
 * CLONE_SETTLS shares its creator's, so a __thread variable would be one
 * for both. Each thread's record is the one in the thread data if it
 * claimed that first (by its thread ID), else one in a table by thread
 * ID. Inline and free of library calls: uninstrumented code uses it.
 */
#ifndef SOFTSGX_TIDLOCAL_H
#define SOFTSGX_TIDLOCAL_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/syscall.h>

#include "driver/inject.h"
#include "sys.h"

struct sgx_thread_local {
	uint64_t virtual_blocked; /* host: softsgx's signals the program believes it blocks */
	uint64_t call_mask;       /* driver/signal.c: the caller's mask during a call */
	bool in_call;
	/* driver/inject.c: this thread's number + 1 (0: none yet) and its calls of each point */
	uint32_t inject_thread;
	uint32_t inject_retry_left; /* fault.retry: retries still due at inject_retry_addr */
	uint32_t inject_spared;     /* 1 << SGX_EVENT_*: the leaf running cannot meet that event */
	uint64_t inject_retry_addr;
	uint64_t inject_calls[SGX_NR_INJECT_POINTS];
};

struct sgx_tidlocal_slot {
	int tid; /* the owner; 0: free */
	struct sgx_thread_local v;
};

#define SGX_TIDLOCAL_TABLE 1024

/* host/forward.c */
extern __thread struct sgx_tidlocal_slot sgx_tidlocal_own;
extern struct sgx_tidlocal_slot sgx_tidlocal_table[SGX_TIDLOCAL_TABLE];
extern struct sgx_tidlocal_slot sgx_tidlocal_spill; /* a full table's threads share this one */

static inline struct sgx_thread_local *sgx_thread_local(void)
{
	int tid = (int)softsgx_raw_syscall(SYS_gettid, 0, 0, 0, 0, 0, 0), zero = 0;
	unsigned int i, h = (unsigned int)tid % SGX_TIDLOCAL_TABLE;

	if (__atomic_load_n(&sgx_tidlocal_own.tid, __ATOMIC_RELAXED) == tid ||
	    __atomic_compare_exchange_n(&sgx_tidlocal_own.tid, &zero, tid, false, __ATOMIC_RELAXED,
					__ATOMIC_RELAXED))
		return &sgx_tidlocal_own.v;
	for (i = 0; i < SGX_TIDLOCAL_TABLE; i++) {
		struct sgx_tidlocal_slot *s = &sgx_tidlocal_table[(h + i) % SGX_TIDLOCAL_TABLE];

		zero = 0;
		if (__atomic_load_n(&s->tid, __ATOMIC_RELAXED) == tid)
			return &s->v;
		if (__atomic_compare_exchange_n(&s->tid, &zero, tid, false, __ATOMIC_RELAXED,
						__ATOMIC_RELAXED)) {
			s->v = (struct sgx_thread_local){ 0 };
			return &s->v;
		}
	}
	return &sgx_tidlocal_spill.v;
}

/* A fork()ed child: its thread keeps its records under its new ID. */
static inline void sgx_tidlocal_forked(int old_tid)
{
	int tid = (int)softsgx_raw_syscall(SYS_gettid, 0, 0, 0, 0, 0, 0);
	unsigned int i;

	if (sgx_tidlocal_own.tid == old_tid)
		sgx_tidlocal_own.tid = tid;
	for (i = 0; i < SGX_TIDLOCAL_TABLE; i++)
		if (sgx_tidlocal_table[i].tid == old_tid)
			sgx_tidlocal_table[i].tid = tid;
}

#endif /* SOFTSGX_TIDLOCAL_H */
