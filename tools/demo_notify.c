/* SPDX-License-Identifier: MIT */
/*
 * Demo step 11: AEX-Notify. A second enclave, with ATTRIBUTES.AEXNOTIFY,
 * computes on a thread whose handler is armed while the kernel restricts
 * one of its pages: the interrupt of the ETRACK flow makes the thread
 * leave by AEX, and its ERESUME then enters the enclave at its entry point
 * instead of the interrupted code. The handler (as the Intel SGX SDK's)
 * counts the notification, gives the frame back with EDECCSSA and goes on
 * with the computation where it stopped. On a processor without
 * AEX-Notify (--aex-notify no) the same enclave is refused at CREATE.
 */
#include <errno.h>
#include <pthread.h>
#include <string.h>

#include "config.h"
#include "cpu/cpu.h"
#include "demo.h"
#include "image.h"
#include "test/abi.h"

#define COMPUTE_ROUNDS 2000000ull /* a few milliseconds a call */
#define REG_RW_PENDING (SGX_SECINFO_REG | SGX_SECINFO_R | SGX_SECINFO_W | SGX_SECINFO_PENDING)

struct computer {
	struct softsgx_enclave *e;
	int started, stop;         /* atomic */
	uint64_t calls, wrong, failed, handled;
};

/* Operation @op on TCS 1 (the step's thread reports through @c, not the demo). */
static uint64_t call(struct computer *c, uint64_t op, uint64_t a0, uint64_t a1)
{
	struct te_call tc = { .op = op, .arg = { a0, a1 } };
	struct sgx_enclave_run run = { .tcs = softsgx_enclave_tcs(c->e, 1) };

	if (softsgx_call_enclave((long)(uintptr_t)&tc, 0, 0, 2 /* EENTER */, 0, 0, &run) ||
	    run.function != 4 /* EEXIT */) {
		c->failed++;
		return ~0ull;
	}
	return tc.ret;
}

/* TCS 1: notifications armed, COMPUTE until told to stop, each result checked. */
static void *compute(void *arg)
{
	struct computer *c = arg;
	uint64_t seed;

	call(c, TE_OP_NOTIFY, 1, 0);
	__atomic_store_n(&c->started, 1, __ATOMIC_RELEASE);
	for (seed = 1; !__atomic_load_n(&c->stop, __ATOMIC_ACQUIRE) && !c->failed; seed++, c->calls++)
		if (call(c, TE_OP_COMPUTE, seed, COMPUTE_ROUNDS) != te_compute(seed, COMPUTE_ROUNDS))
			c->wrong++;
	c->handled = call(c, TE_OP_NOTIFY, 0, 0);
	return NULL;
}

struct notify_counts {
	uint64_t armed, notifying, edeccssa, rounds;
};

static void notify_counts(struct notify_counts *n)
{
	n->armed = softsgx_counter(SOFTSGX_CNT_AEX_ARMED);
	n->notifying = softsgx_counter(SOFTSGX_CNT_ERESUME_NOTIFY);
	n->edeccssa = softsgx_leaf_count(SGX_LEAF_ENCLU(ENCLU_EDECCSSA));
	n->rounds = softsgx_counter(SOFTSGX_CNT_IPI_ROUNDS);
}

/* Interrupt the computation; return: whether it could run at all. */
static bool interrupt_computation(struct demo *d, struct softsgx_enclave *e,
				  struct computer *c, struct notify_counts *delta)
{
	uint64_t page = softsgx_enclave_free_start(e);
	struct notify_counts before, after;
	pthread_t thread;
	int err;

	if (!demo_check(d, demo_call(d, softsgx_enclave_tcs(e, 0), TE_OP_EACCEPT, REG_RW_PENDING,
				     page, 0) == 0, "the second enclave's EACCEPT failed"))
		return false;
	notify_counts(&before);
	err = pthread_create(&thread, NULL, compute, c);
	if (!demo_check(d, !err, "cannot start a thread: %s", strerror(err)))
		return false;
	while (!__atomic_load_n(&c->started, __ATOMIC_ACQUIRE))
		demo_sleep_ms(1);
	demo_restrict_until(d, softsgx_enclave_fd(e), page - softsgx_enclave_base(e),
			    SOFTSGX_CNT_AEX_ARMED, before.armed, "the computing thread");
	__atomic_store_n(&c->stop, 1, __ATOMIC_RELEASE);
	pthread_join(thread, NULL);
	notify_counts(&after);
	delta->armed = after.armed - before.armed;
	delta->notifying = after.notifying - before.notifying;
	delta->edeccssa = after.edeccssa - before.edeccssa;
	delta->rounds = after.rounds - before.rounds;
	return true;
}

/* A processor without AEX-Notify: ECREATE refuses the attribute, CREATE is EIO. */
static bool refused_without_feature(struct demo *d)
{
	struct softsgx_load_options opts = { .nr_tcs = 2, .attributes = SGX_ATTR_AEXNOTIFY };
	size_t len = (size_t)(demo_enclave_image_end - demo_enclave_image);
	struct softsgx_enclave *e = NULL;
	int ret = softsgx_load_image(demo_enclave_image, len, &opts, &e), err = errno;

	demo_say(d, "This processor has no AEX-Notify (--aex-notify no): CPUID leaf 0x12 does");
	demo_say(d, "not enumerate EDECCSSA, and an enclave asking for ATTRIBUTES.AEXNOTIFY");
	demo_say(d, "cannot be created: loading one -> %s%s.", ret ? "-1 " : "0",
		 ret ? demo_errname(err) : "");
	if (!ret)
		softsgx_unload(e);
	return demo_check(d, ret && err == EIO, "CREATE with ATTRIBUTES.AEXNOTIFY did not fail "
			  "with EIO on a processor without AEX-Notify");
}

bool demo_step_notify(struct demo *d)
{
	struct softsgx_load_options opts = { .nr_tcs = 2, .attributes = SGX_ATTR_AEXNOTIFY };
	size_t len = (size_t)(demo_enclave_image_end - demo_enclave_image);
	struct notify_counts delta = { 0 };
	struct softsgx_enclave *e = NULL;
	struct computer c = { 0 };
	bool ran;

	if (!config_get()->aex_notify)
		return refused_without_feature(d);
	if (!demo_check_call(d, softsgx_load_image(demo_enclave_image, len, &opts, &e),
			     "loading an enclave with ATTRIBUTES.AEXNOTIFY"))
		return false;
	c.e = e;
	ran = interrupt_computation(d, e, &c, &delta);
	softsgx_unload(e);
	if (!ran)
		return false;
	demo_say(d, "A second enclave, with ATTRIBUTES.AEXNOTIFY, computed on TCS 1 with its");
	demo_say(d, "handler armed while RESTRICT on one of its pages ran ETRACK and");
	demo_say(d, "interrupted it. After each AEX, ERESUME entered the enclave at its entry");
	demo_say(d, "point instead of the interrupted code; the handler counted it, gave the");
	demo_say(d, "frame back with EDECCSSA and went on where the computation stopped.");
	demo_say(d, "  interrupt rounds +%llu   AEX of the armed frame +%llu   notifying ERESUME +%llu",
		 (unsigned long long)delta.rounds, (unsigned long long)delta.armed,
		 (unsigned long long)delta.notifying);
	demo_say(d, "  handler runs +%llu   EDECCSSA +%llu   computations %llu, wrong %llu",
		 (unsigned long long)c.handled, (unsigned long long)delta.edeccssa,
		 (unsigned long long)c.calls, (unsigned long long)c.wrong);
	demo_check(d, delta.armed >= 1, "no AEX struck the armed thread");
	demo_check(d, delta.notifying == delta.armed && c.handled == delta.armed &&
		   delta.edeccssa == delta.armed,
		   "the handler did not run once per AEX of the armed frame");
	demo_check(d, c.failed == 0, "the computing thread's enclave calls did not end by EEXIT");
	demo_check(d, c.wrong == 0, "%llu computations came out wrong",
		   (unsigned long long)c.wrong);
	return true;
}
