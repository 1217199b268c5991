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

#define EENTER 2
#define EEXIT 4
#define WAIT_INSIDE_MS 5000
#define RESTRICT_ATTEMPTS 20
#define REG_R_PR (SGX_SECINFO_REG | SGX_SECINFO_R | SGX_SECINFO_PR)

struct spinner {
	uint64_t tcs;
	volatile uint64_t flag;     /* read by the enclave: non-zero ends the spin */
	struct te_call call;
	struct sgx_enclave_run run;
	int ret;
};

static void *spin(void *arg)
{
	struct spinner *s = arg;

	s->call = (struct te_call){ .op = TE_OP_SPIN, .arg = { (uint64_t)(uintptr_t)&s->flag } };
	memset(&s->run, 0, sizeof(s->run));
	s->run.tcs = s->tcs;
	s->ret = softsgx_call_enclave((long)(uintptr_t)&s->call, 0, 0, EENTER, 0, 0, &s->run);
	return NULL;
}

/* Wait until the spinner's EENTER has run (only it enters meanwhile). Return: true if it did. */
static bool wait_inside(uint64_t eenters)
{
	int ms;

	for (ms = 0; ms < WAIT_INSIDE_MS; ms++) {
		if (softsgx_leaf_count(SGX_LEAF_ENCLU(ENCLU_EENTER)) > eenters) {
			demo_sleep_ms(10); /* from the leaf to the enclave's code */
			return true;
		}
		demo_sleep_ms(1);
	}
	return false;
}

/*
 * RESTRICT P0 to r-- until the interrupt reached the spinner (the first
 * call may come before the spinner is inside). Return: the attempts made.
 */
static int restrict_until_interrupted(struct demo *d, uint64_t threads_before)
{
	struct sgx_enclave_restrict_permissions p;
	int i;

	for (i = 1; i <= RESTRICT_ATTEMPTS; i++) {
		p = (struct sgx_enclave_restrict_permissions){ .offset = d->page[0] - d->base,
							       .length = DEMO_PAGE,
							       .permissions = SGX_SECINFO_R };
		if (!demo_check_call(d, demo_ioctl(d, SGX_IOC_ENCLAVE_RESTRICT_PERMISSIONS, &p),
				     "RESTRICT_PERMISSIONS"))
			return i;
		if (softsgx_counter(SOFTSGX_CNT_IPI_THREADS) > threads_before)
			return i;
		demo_sleep_ms(50);
	}
	demo_check(d, false, "the thread inside the enclave was never interrupted");
	return i;
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
	restrict_until_interrupted(d, before.threads);
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
	uint64_t eenters = softsgx_leaf_count(SGX_LEAF_ENCLU(ENCLU_EENTER));
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
	if (demo_check(d, wait_inside(eenters), "the second thread never entered the enclave"))
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
