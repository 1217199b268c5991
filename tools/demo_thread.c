/* SPDX-License-Identifier: MIT */
/*
 * Demo step 9: a second thread spins inside the enclave (TCS 1) while the
 * kernel restricts a page. Linux then runs ETRACK and interrupts every
 * thread inside (on_each_cpu_mask, wait=1): the thread leaves by AEX and
 * resumes, so no translation from before the restriction survives, and
 * the enclave's EACCEPT of the restriction succeeds at once instead of
 * returning SGX_NOT_TRACKED.
 */
#include <errno.h>
#include <pthread.h>
#include <string.h>
#include <unistd.h>

#include "cpu/cpu.h"
#include "demo.h"
#include "softsgx/softsgx.h"
#include "test/abi.h"
#include "test/spin.h"

#define EENTER 2
#define EEXIT 4
#define REG_R_PR (SGX_SECINFO_REG | SGX_SECINFO_R | SGX_SECINFO_PR)

struct spinner {
	uint64_t tcs;
	volatile uint64_t flag;     /* read by the enclave: non-zero ends the spin */
	uint64_t beat;              /* TE_OP_SPIN's heartbeat: it spins inside (test/spin.h) */
	struct te_call call;
	struct sgx_enclave_run run;
	int ret;
};

static void *spin(void *arg)
{
	struct spinner *s = arg;

	s->call = (struct te_call){ .op = TE_OP_SPIN,
				    .arg = { (uint64_t)(uintptr_t)&s->flag,
					     (uint64_t)(uintptr_t)&s->beat } };
	memset(&s->run, 0, sizeof(s->run));
	s->run.tcs = s->tcs;
	s->ret = softsgx_call_enclave((long)(uintptr_t)&s->call, 0, 0, EENTER, 0, 0, &s->run);
	return NULL;
}

struct counts {
	uint64_t etrack, rounds, threads, aex;
};

static void read_counts(struct counts *c)
{
	c->etrack = softsgx_counter(SOFTSGX_CNT_ETRACK);
	c->rounds = softsgx_counter(SOFTSGX_CNT_IPI_ROUNDS);
	c->threads = softsgx_counter(SOFTSGX_CNT_IPI_THREADS);
	c->aex = softsgx_leaf_count(SGX_LEAF_AEX);
}

/* Restrict P0 while the spinner is inside; the enclave accepts it at once. */
static void restrict_under_spinner(struct demo *d, struct demo_map *m, struct counts *delta)
{
	struct counts before, after;

	read_counts(&before);
	demo_restrict_until(d, d->fd, d->page[0] - d->base, SOFTSGX_CNT_IPI_THREADS, before.threads,
			    "the thread inside the enclave");
	read_counts(&after);
	demo_map_snap(d, m, "RESTRICT");
	demo_check(d, demo_call(d, demo_tcs(d, 0), TE_OP_EACCEPT, REG_R_PR, d->page[0], 0) == 0,
		   "EACCEPT of the restriction failed (tracking incomplete?)");
	demo_map_snap(d, m, "EACCEPT");
	delta->etrack = after.etrack - before.etrack;
	delta->rounds = after.rounds - before.rounds;
	delta->threads = after.threads - before.threads;
	delta->aex = after.aex - before.aex;
	demo_check(d, delta->etrack >= 1 && delta->rounds >= 1 && delta->aex >= 1,
		   "expected an ETRACK, an interrupt round and an AEX; got %llu, %llu, %llu",
		   (unsigned long long)delta->etrack, (unsigned long long)delta->rounds,
		   (unsigned long long)delta->aex);
}

static void show(struct demo *d, const struct demo_map *m, const struct counts *delta,
		 const struct spinner *s)
{
	demo_say(d, "While a second thread spun inside the enclave (TCS 1), RESTRICT on P0");
	demo_say(d, "ran ETRACK and interrupted it: it left by AEX and resumed, so no stale");
	demo_say(d, "translation of P0 survives and the enclave's EACCEPT succeeded at once");
	demo_say(d, "(no SGX_NOT_TRACKED).");
	demo_say(d, "  ETRACK +%llu   interrupt rounds +%llu   threads interrupted +%llu   "
		 "AEX +%llu",
		 (unsigned long long)delta->etrack, (unsigned long long)delta->rounds,
		 (unsigned long long)delta->threads, (unsigned long long)delta->aex);
	demo_say(d, "  the spinning thread ended normally (EEXIT) after %llu iterations",
		 (unsigned long long)s->call.ret);
	demo_map_print(d, m);
}

bool demo_step_interrupt(struct demo *d)
{
	struct spinner s = { .tcs = demo_tcs(d, 1) };
	struct counts delta = { 0 };
	struct demo_map m;
	pthread_t thread;
	int err;

	demo_map_init(&m, d->page, 1, false);
	m.name[0] = "P0";
	demo_map_snap(d, &m, "before");
	err = pthread_create(&thread, NULL, spin, &s);
	if (!demo_check(d, !err, "cannot start a thread: %s", strerror(err)))
		return false;
	if (demo_check(d, te_spin_wait(&s.beat, 0), "the second thread never spun in the enclave"))
		restrict_under_spinner(d, &m, &delta);
	s.flag = 1;
	pthread_join(thread, NULL);
	demo_check(d, s.ret == 0 && s.run.function == EEXIT && s.call.ret > 0,
		   "the interrupted thread did not finish normally (entry %d, function %u)", s.ret,
		   s.run.function);
	show(d, &m, &delta, &s);
	demo_expect_state(d, d->page[0], "REG r--");
	return true;
}
