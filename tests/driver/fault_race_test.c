/* softsgx-test: threads, full-epc */
/* SPDX-License-Identifier: MIT */
/*
 * Two real threads, each a simulated enclave thread on its own TCS, fault
 * the same unbacked page at the same time. Linux up to 6.17 lets the loser
 * of that race die with SIGBUS (xa_insert finds the winner's page); softsgx
 * maps the winner's page for the loser instead, so both threads continue:
 * one EACCEPT succeeds, the other finds the page already accepted.
 * The first tests force interleavings with the processor's pause hook
 * (the second thread faults while the first is inside EAUG, holding
 * encl->lock; or the second thread's fault is handled only after the first
 * installed the page-table entry); the last runs the plain race many times.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "common.h"

struct racer {
	struct dfx_thread t;
	struct dfx_encl *e;
	uint64_t tcs;
	uint64_t secinfo;
	uint64_t page;              /* linear address both threads EACCEPT */
	pthread_barrier_t *start;
	atomic_int *go;             /* NULL: start at the barrier; else wait for it */
	atomic_int *done;           /* if set, stored 1 when EACCEPT returned */
	atomic_int tid;             /* its thread ID, once it runs */
	int ret;                    /* EACCEPT's result */
	uint8_t vector;             /* the exception's, if DFX_EXCEPTION */
	uint32_t error_code;
};

static void *racer_main(void *arg)
{
	struct racer *r = arg;

	atomic_store(&r->tid, gettid());
	pthread_barrier_wait(r->start);
	if (r->go)
		while (!atomic_load(r->go))
			sched_yield();
	r->ret = dfx_eaccept(&r->t, r->secinfo, r->page);
	if (r->done)
		atomic_store(r->done, 1);
	r->vector = r->t.exc.vector;
	r->error_code = r->t.exc.error_code;
	return NULL;
}

/* The pause hook: when the first thread's EAUG holds the page, let the second
 * thread fault and wait until it is blocked in the fault handler. */
struct eaug_pause {
	atomic_int go;
	atomic_int paused;
	atomic_int second_faulted;
	atomic_int second_waits;    /* it blocked (on encl->lock) before the EAUG ended */
	const struct racer *second;
};

static void eaug_pause_hook(void *ctx, struct sgx_lp *lp, unsigned int leaf_id, uint64_t epc)
{
	struct eaug_pause *p = ctx;
	uint64_t aex;
	int spins;

	(void)lp;
	(void)epc;
	if (leaf_id != SGX_LEAF_ENCLS(ENCLS_EAUG) || atomic_exchange(&p->paused, 1))
		return;
	/* Only this EAUG pauses: later leaves run without a hook (no in-use #GP). */
	sgx_cpu_set_pause_hook(sgx_platform_get()->cpu, NULL, NULL);
	aex = softsgx_leaf_count(SGX_LEAF_AEX);
	atomic_store(&p->go, 1);
	/* The second thread's EACCEPT faults (AEX), then it waits for encl->lock. */
	for (spins = 0; spins < 20000 && softsgx_leaf_count(SGX_LEAF_AEX) == aex; spins++)
		usleep(100);
	atomic_store(&p->second_faulted, softsgx_leaf_count(SGX_LEAF_AEX) != aex);
	/*
	 * Its fault handler looked the page-table entry up (none yet) and now
	 * waits for encl->lock, which this EAUG holds: the only lock it can wait for.
	 */
	for (spins = 0; spins < 20000 && !dfx_waits_in_futex(atomic_load(&p->second->tid)); spins++)
		usleep(100);
	atomic_store(&p->second_waits, spins < 20000);
}

/* Wait (up to 2 s) until @cond holds. */
#define WAIT_FOR(cond)                                                    \
	do {                                                              \
		int spins_;                                               \
		for (spins_ = 0; spins_ < 20000 && !(cond); spins_++)     \
			usleep(100);                                      \
	} while (0)

/*
 * The pause hook for "the PTE appears between the fault and its handling":
 * the first thread's EAUG lets the second thread start and waits until the
 * second thread's AEX (after its #PF, not present) is under way; that AEX
 * waits until the first thread installed the page-table entry; the first
 * thread's ERESUME waits until the second thread's fault was handled (it
 * ERESUMEs or its EACCEPT returns), so the page is still PENDING then.
 * The EACCEPTs that follow run without pauses.
 */
struct late_handler {
	struct sgx_lp *first, *second;
	uint64_t la;
	atomic_int go;
	atomic_int eaug_paused;
	atomic_int second_in_aex;
	atomic_int pte_seen;
	atomic_int second_handled;
};

static void late_handler_hook(void *ctx, struct sgx_lp *lp, unsigned int leaf_id, uint64_t epc)
{
	struct late_handler *h = ctx;
	struct sgx_platform *plat = sgx_platform_get();

	(void)epc;
	if (leaf_id == SGX_LEAF_ENCLS(ENCLS_EAUG)) {
		if (atomic_exchange(&h->eaug_paused, 1))
			return;
		atomic_store(&h->go, 1);
		WAIT_FOR(atomic_load(&h->second_in_aex));
	} else if (leaf_id == SGX_LEAF_AEX && lp == h->second) {
		if (atomic_exchange(&h->second_in_aex, 1))
			return;
		WAIT_FOR(sgx_pte_lookup(plat, h->la));
		atomic_store(&h->pte_seen, sgx_pte_lookup(plat, h->la) != 0);
	} else if (leaf_id == SGX_LEAF_ENCLU(ENCLU_ERESUME) && lp == h->second) {
		/* Handled; from here on no leaf pauses (two pausing EACCEPTs would #GP). */
		sgx_cpu_set_pause_hook(plat->cpu, NULL, NULL);
		atomic_store(&h->second_handled, 1);
	} else if (leaf_id == SGX_LEAF_ENCLU(ENCLU_ERESUME) && lp == h->first &&
		   atomic_load(&h->eaug_paused)) {
		WAIT_FOR(atomic_load(&h->second_handled));
		sgx_cpu_set_pause_hook(plat->cpu, NULL, NULL);
	}
}

/* A race of two enclave threads over the page at @offset, round after round. */
struct race {
	struct dfx_encl *e;
	pthread_barrier_t start;
	struct racer r[2];
	uint64_t offset;
};

/* Leave (resuming first after an exception, so CSSA is back to 0) and free. */
static void round_end(struct race *rc)
{
	struct racer *r = rc->r;
	int i;

	for (i = 0; i < 2; i++) {
		if (r[i].ret == DFX_EXCEPTION && !sgx_lp_in_enclave(r[i].t.lp))
			dfx_resume(&r[i].t);
		if (sgx_lp_in_enclave(r[i].t.lp))
			dfx_exit(&r[i].t);
		dfx_thread_fini(&r[i].t);
	}
}

/*
 * Round @round: both racers enter (the SECINFO page is faulted in already,
 * so the only fault left in each EACCEPT is the unbacked target page) and
 * aim at the page DFX_FREE + @round pages. Return: false if they could not
 * enter (failure recorded, racers finalized).
 */
static bool round_start(struct race *rc, int round)
{
	struct racer *r = rc->r;
	bool ok = true;
	int i;

	rc->offset = DFX_FREE + (uint64_t)round * PAGE;
	for (i = 0; i < 2; i++) {
		memset(&r[i], 0, sizeof(r[i]));
		dfx_thread_init(&r[i].t);
		r[i].e = rc->e;
		r[i].tcs = i ? DFX_TCS1 : DFX_TCS0;
		r[i].secinfo = dfx_secinfo(rc->e, 0, REG_RW | SGX_SECINFO_PENDING);
		r[i].start = &rc->start;
		r[i].page = dfx_la(rc->e, rc->offset);
	}
	for (i = 0; ok && i < 2; i++)
		ok = dfx_enter(&r[i].t, r[i].e, r[i].tcs) == SGX_SUCCESS;
	ok = ok && dfx_access(&r[0].t, r[0].secinfo, 0) == SGX_SUCCESS;
	if (!ok) {
		harness_fail(__FILE__, __LINE__, "round %d: entering", round);
		round_end(rc);
	}
	return ok;
}

/*
 * Both racers EACCEPT at once, under pause hook @hook(@ctx) if given. Then
 * one EACCEPT won, the other saw the accepted page; neither was an exception.
 */
static void round_run(struct race *rc, int round,
		      void (*hook)(void *ctx, struct sgx_lp *lp, unsigned int leaf_id, uint64_t epc),
		      void *ctx)
{
	struct sgx_cpu *cpu = sgx_platform_get()->cpu;
	const struct racer *r = rc->r;
	pthread_t th[2];
	int i, wins = 0;

	if (hook)
		sgx_cpu_set_pause_hook(cpu, hook, ctx);
	for (i = 0; i < 2; i++)
		pthread_create(&th[i], NULL, racer_main, &rc->r[i]);
	for (i = 0; i < 2; i++)
		pthread_join(th[i], NULL);
	if (hook)
		sgx_cpu_set_pause_hook(cpu, NULL, NULL);
	for (i = 0; i < 2; i++) {
		if (r[i].ret == DFX_EXCEPTION)
			harness_fail(__FILE__, __LINE__, "round %d: thread %d got exception %u code %#x",
				     round, i, r[i].vector, r[i].error_code);
		else if (r[i].ret == SGX_SUCCESS)
			wins++;
		else if (r[i].ret != SGX_PAGE_ATTRIBUTES_MISMATCH)
			harness_fail(__FILE__, __LINE__, "round %d: thread %d: EACCEPT returned %s",
				     round, i, harness_sgx_name(r[i].ret));
	}
	EXPECT_EQ(wins, 1);
	EXPECT_TRUE(dfx_epcm(rc->e, rc->offset).valid && !dfx_epcm(rc->e, rc->offset).pending);
}

TEST_BUILT(fault_race_second_thread_faults_during_eaug_both_continue)
{
	struct race rc = { .e = e };
	int round;

	pthread_barrier_init(&rc.start, NULL, 2);
	for (round = 0; round < 10; round++) {
		uint64_t sigbus = DFX_COUNT(SOFTSGX_CNT_FAULT_SIGBUS);
		uint64_t eaug = DFX_COUNT(SOFTSGX_CNT_FAULT_EAUG);
		uint64_t maps;
		struct eaug_pause pause = { 0 };

		if (!round_start(&rc, round))
			break;
		maps = DFX_COUNT(SOFTSGX_CNT_FAULT_MAP);
		rc.r[1].go = &pause.go;
		pause.second = &rc.r[1];
		round_run(&rc, round, eaug_pause_hook, &pause);
		EXPECT_TRUE(atomic_load(&pause.paused));
		EXPECT_TRUE(atomic_load(&pause.second_faulted));
		EXPECT_TRUE(atomic_load(&pause.second_waits));
		/* One EAUG; the second fault mapped the first thread's page, no SIGBUS. */
		EXPECT_EQ(DFX_COUNT(SOFTSGX_CNT_FAULT_EAUG), eaug + 1);
		EXPECT_EQ(DFX_COUNT(SOFTSGX_CNT_FAULT_MAP), maps + 1);
		EXPECT_EQ(DFX_COUNT(SOFTSGX_CNT_FAULT_SIGBUS), sigbus);
		round_end(&rc);
	}
	pthread_barrier_destroy(&rc.start);
}

/*
 * The second thread's EACCEPT faults (not present), but by the time its
 * fault is handled the first thread has EAUGed the page and installed the
 * PTE. Linux's fault path then finds the PTE and re-executes the
 * instruction (handle_pte_fault); EACCEPT on the still PENDING page is
 * legal, so no exception may reach either thread.
 */
TEST_BUILT(fault_race_pte_installed_before_handler_retries)
{
	struct race rc = { .e = e };
	int round;

	pthread_barrier_init(&rc.start, NULL, 2);
	for (round = 0; round < 5; round++) {
		uint64_t sigbus = DFX_COUNT(SOFTSGX_CNT_FAULT_SIGBUS);
		struct late_handler h = { 0 };

		if (!round_start(&rc, round))
			break;
		h.first = rc.r[0].t.lp;
		h.second = rc.r[1].t.lp;
		h.la = dfx_la(e, rc.offset);
		rc.r[1].go = &h.go;
		rc.r[1].done = &h.second_handled;
		round_run(&rc, round, late_handler_hook, &h);
		EXPECT_TRUE(atomic_load(&h.second_in_aex));
		EXPECT_TRUE(atomic_load(&h.pte_seen));
		EXPECT_EQ(DFX_COUNT(SOFTSGX_CNT_FAULT_SIGBUS), sigbus);
		round_end(&rc);
	}
	pthread_barrier_destroy(&rc.start);
}

TEST_BUILT(fault_race_same_unbacked_page_many_rounds_no_sigbus)
{
	uint64_t sigbus = DFX_COUNT(SOFTSGX_CNT_FAULT_SIGBUS);
	uint64_t eaug = DFX_COUNT(SOFTSGX_CNT_FAULT_EAUG);
	struct race rc = { .e = e };
	const int rounds = 200;
	int round;

	pthread_barrier_init(&rc.start, NULL, 2);
	for (round = 0; round < rounds; round++) {
		if (!round_start(&rc, round))
			break;
		round_run(&rc, round, NULL, NULL);
		round_end(&rc);
	}
	EXPECT_EQ(DFX_COUNT(SOFTSGX_CNT_FAULT_SIGBUS), sigbus);
	EXPECT_EQ(DFX_COUNT(SOFTSGX_CNT_FAULT_EAUG), eaug + rounds);
	pthread_barrier_destroy(&rc.start);
}
