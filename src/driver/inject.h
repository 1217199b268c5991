/* SPDX-License-Identifier: MIT */
/*
 * The hostile platform: results that Linux or the processor may give at a
 * point, given on demand, from a specification such as
 * "restrict.eagain=0.1,emodpr.conflict=1/50,seed=42" (docs/injection.md).
 * Each point is asked where the real cause would strike and gives only
 * what that cause gives; the caller produces the result and its state.
 *
 * Decisions are a function of the seed, the point, the calling thread's
 * number (threads are numbered in the order they first reach any point;
 * the reclaimer thread has a number of its own) and how often that thread
 * has reached the point: the same program with
 * the same seed gets the same injections in the same order, per thread.
 */
#ifndef SOFTSGX_DRIVER_INJECT_H
#define SOFTSGX_DRIVER_INJECT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "softsgx/softsgx.h"

enum sgx_inject_point {
	/* processor */
	SGX_INJ_EMODPR_CONFLICT,
	SGX_INJ_EMODT_CONFLICT,
	SGX_INJ_EACCEPT_NOT_TRACKED,
	SGX_INJ_EINIT_UNMASKED_EVENT,
	SGX_INJ_EWB_NOT_TRACKED,
	/* driver */
	SGX_INJ_IOCTL_EBUSY,
	SGX_INJ_ADD_SIGNAL,
	SGX_INJ_RESTRICT_EAGAIN,
	SGX_INJ_MODIFY_EAGAIN,
	SGX_INJ_REMOVE_EAGAIN,
	SGX_INJ_REMOVE_EBUSY,
	SGX_INJ_ALLOC_ENOMEM,
	SGX_INJ_ALLOC_EBUSY,
	SGX_INJ_FAULT_SIGBUS,
	SGX_INJ_FAULT_RETRY,
	SGX_INJ_EVICT,
	/* host */
	SGX_INJ_AEX,
	SGX_INJ_ETRACK_IRQ,
	SGX_NR_INJECT_POINTS
};

struct sgx_platform;
struct sgx_inject;

/* The name of @point in a specification ("restrict.eagain"). */
const char *sgx_inject_point_name(enum sgx_inject_point point);

/*
 * sgx_inject_parse() - check the specification @spec; with @out, also
 * make the injector it describes (NULL for an empty one).
 * Return: NULL, or a message saying what is wrong (written to @why, of
 * @why_len bytes).
 */
const char *sgx_inject_parse(const char *spec, struct sgx_inject **out, char *why, size_t why_len);
/* Open SOFTSGX_INJECT_LOG, if set, for @inj. Return: 0 or -errno. */
int sgx_inject_open_log(struct sgx_inject *inj);
void sgx_inject_free(struct sgx_inject *inj);

/*
 * sgx_inject_hit() - whether to give @point's result now, at a page at
 * @addr (0 if none) of the enclave whose ECREATE was the @eid-th of the
 * platform (0 if none). A yes is counted, traced and logged.
 * Async-signal-safe. Callers go through sgx_inject(), which costs one test
 * when nothing is injected.
 */
bool sgx_inject_hit(struct sgx_platform *plat, enum sgx_inject_point point, uint64_t eid,
		    uint64_t addr);
/* The number of the reclaimer thread ("thread=ksgxd"), beyond every other thread's. */
#define SGX_INJECT_KSGXD 0xfffffffeu
/* The calling thread is the reclaimer thread: its decisions go by SGX_INJECT_KSGXD. */
void sgx_inject_thread_is_ksgxd(void);
/* For fault.retry: how many times the fault is retried before it is served (n=, 1..16). */
unsigned int sgx_inject_retries(struct sgx_platform *plat);
/* For evict: a number to choose a page with (the point's own random stream). */
uint64_t sgx_inject_choice(struct sgx_platform *plat, enum sgx_inject_point point);
/* Start the thread of aex.rate, if the specification has it and it is not running. */
void sgx_inject_start_aex(struct sgx_platform *plat);

#endif /* SOFTSGX_DRIVER_INJECT_H */
