/* SPDX-License-Identifier: MIT */
/*
 * The ETRACK + interrupt flow the SGX2 ioctls run after each successful
 * EMODPR/EMODT (Linux: sgx_enclave_etrack() and its callers), observed with
 * the IPI test double: one ETRACK and one interrupt round per page
 * (upstream) or per call (batched mode); only threads inside this enclave
 * are interrupted; EACCEPT answers SGX_NOT_TRACKED while a thread that was
 * inside at the change has not left; ETRACK failing with
 * SGX_PREV_TRK_INCMPL is followed by an interrupt and exactly one retry,
 * and a second failure is EFAULT with count excluding the page although
 * EMODPR/EMODT already took effect. Every test restores per-page tracking
 * and removes the double when it ends (and when it starts).
 */
#include "common.h"

#define REG_R_PR (REG_R | SGX_SECINFO_PR)

struct counts {
	uint64_t etrack, rounds, threads, etrack_leaves;
};

static struct counts counts_now(void)
{
	return (struct counts){
		.etrack = DFX_COUNT(SOFTSGX_CNT_ETRACK),
		.rounds = DFX_COUNT(SOFTSGX_CNT_IPI_ROUNDS),
		.threads = DFX_COUNT(SOFTSGX_CNT_IPI_THREADS),
		.etrack_leaves = softsgx_leaf_count(SGX_LEAF_ENCLS(ENCLS_ETRACK)),
	};
}

#define EXPECT_DELTA(before, etrack_, rounds_, threads_)                          \
	do {                                                                      \
		struct counts now_ = counts_now();                                \
		EXPECT_EQ(now_.etrack - (before).etrack, etrack_);                \
		EXPECT_EQ(now_.etrack_leaves - (before).etrack_leaves, etrack_); \
		EXPECT_EQ(now_.rounds - (before).rounds, rounds_);                \
		EXPECT_EQ(now_.threads - (before).threads, threads_);             \
	} while (0)

/* The double @ipi watches @t (if any) and is installed, tracking is @mode: the counts from here. */
static struct counts watch(struct dfx_ipi *ipi, struct dfx_thread *t, enum softsgx_tracking mode)
{
	if (t)
		dfx_ipi_add(ipi, t);
	dfx_ipi_install(ipi);
	dfx_set_tracking(mode);
	return counts_now();
}

/* Interrupt rounds per page or per call */

TEST_FLOW(etrack_per_page_restrict_interrupts_once_per_page)
{
	struct dfx_ipi ipi = { .aex = true };
	struct sgx_enclave_restrict_permissions p;
	struct counts before;

	ASSERT_TRUE(dfx_eaug_accept(t, e, DFX_FREE, 3));
	before = watch(&ipi, t, SOFTSGX_TRACK_PER_PAGE);

	EXPECT_EQ(dfx_restrict(e, DFX_FREE, 3 * PAGE, SGX_SECINFO_R, &p), 0);
	EXPECT_EQ(p.count, 3 * PAGE);
	/* One ETRACK and one round per page; the thread leaves in the first round. */
	EXPECT_DELTA(before, 3, 3, 1);
	EXPECT_EQ(ipi.rounds, 3);
	EXPECT_EQ(ipi.interrupted, 1);
	EXPECT_EQ(t->interrupted, 1);
	EXPECT_TRUE(!sgx_lp_in_enclave(t->lp));
}

TEST_BUILT(etrack_per_page_without_threads_still_one_round_per_page)
{
	struct dfx_ipi ipi = { .aex = true };
	struct counts before;

	dfx_restore_defaults();
	before = watch(&ipi, NULL, SOFTSGX_TRACK_PER_PAGE);
	EXPECT_EQ(dfx_restrict(e, DFX_DATA, 2 * PAGE, SGX_SECINFO_R, NULL), 0);
	/* on_each_cpu_mask() runs even when no CPU is in the mask. */
	EXPECT_DELTA(before, 2, 2, 0);
	EXPECT_EQ(ipi.rounds, 2);
	EXPECT_EQ(ipi.interrupted, 0);
	dfx_restore_defaults();
}

TEST_FLOW(etrack_per_page_modify_types_interrupts_once_per_page)
{
	struct dfx_ipi ipi = { .aex = true };
	struct counts before = watch(&ipi, t, SOFTSGX_TRACK_PER_PAGE);

	EXPECT_EQ(dfx_modify(e, DFX_DATA, 2 * PAGE, SGX_PAGE_TYPE_TRIM, NULL), 0);
	EXPECT_DELTA(before, 2, 2, 1);
	EXPECT_EQ(ipi.rounds, 2);
	EXPECT_EQ(t->interrupted, 1);
}

TEST_FLOW(etrack_batched_restrict_interrupts_once_per_call)
{
	struct dfx_ipi ipi = { .aex = true };
	struct sgx_enclave_restrict_permissions p;
	struct counts before;
	int i;

	ASSERT_TRUE(dfx_eaug_accept(t, e, DFX_FREE, 4));
	before = watch(&ipi, t, SOFTSGX_TRACK_BATCHED);

	EXPECT_EQ(dfx_restrict(e, DFX_FREE, 4 * PAGE, SGX_SECINFO_R, &p), 0);
	EXPECT_EQ(p.count, 4 * PAGE);
	EXPECT_DELTA(before, 1, 1, 1);
	EXPECT_EQ(ipi.rounds, 1);
	EXPECT_EQ(t->interrupted, 1);
	for (i = 0; i < 4; i++)
		EXPECT_TRUE(dfx_epcm(e, DFX_FREE + i * PAGE).pr);
	/* The tracking is complete all the same: each page can be accepted. */
	ASSERT_SGX(dfx_resume(t), SGX_SUCCESS);
	for (i = 0; i < 4; i++)
		EXPECT_SGX(dfx_eaccept(t, dfx_secinfo(e, 1, REG_R_PR), dfx_la(e, DFX_FREE + i * PAGE)),
			   SGX_SUCCESS);
	EXPECT_SGX(dfx_exit(t), SGX_SUCCESS);
}

TEST_FLOW(etrack_batched_modify_types_interrupts_once_per_call)
{
	struct dfx_ipi ipi = { .aex = true };
	struct counts before = watch(&ipi, t, SOFTSGX_TRACK_BATCHED);

	EXPECT_EQ(dfx_modify(e, DFX_DATA, 2 * PAGE, SGX_PAGE_TYPE_TRIM, NULL), 0);
	EXPECT_DELTA(before, 1, 1, 1);
	EXPECT_EQ(t->interrupted, 1);
}

TEST_FLOW(etrack_batched_partial_call_tracks_done_pages)
{
	struct dfx_ipi ipi = { .aex = true };
	struct sgx_enclave_restrict_permissions p;
	struct counts before;

	ASSERT_TRUE(dfx_eaug_accept(t, e, DFX_FREE, 2));
	ASSERT_EQ(dfx_access(t, dfx_la(e, DFX_FREE + 2 * PAGE), SGX_PF_W), DFX_EXCEPTION);
	ASSERT_SGX(dfx_resume(t), SGX_SUCCESS);
	before = watch(&ipi, t, SOFTSGX_TRACK_BATCHED);
	EXPECT_ERRNO(dfx_restrict(e, DFX_FREE, 3 * PAGE, SGX_SECINFO_R, &p), EFAULT);
	EXPECT_EQ(p.count, 2 * PAGE);
	EXPECT_EQ(p.result, SGX_PAGE_NOT_MODIFIABLE);
	EXPECT_DELTA(before, 1, 1, 1);
	ASSERT_SGX(dfx_resume(t), SGX_SUCCESS);
	EXPECT_SGX(dfx_eaccept(t, dfx_secinfo(e, 1, REG_R_PR), dfx_la(e, DFX_FREE + PAGE)),
		   SGX_SUCCESS);
}

TEST_FLOW(etrack_per_page_failing_page_not_tracked)
{
	struct sgx_enclave_restrict_permissions p;
	struct counts before;

	ASSERT_TRUE(dfx_eaug_accept(t, e, DFX_FREE, 1));
	ASSERT_EQ(dfx_access(t, dfx_la(e, DFX_FREE + PAGE), SGX_PF_W), DFX_EXCEPTION);
	before = counts_now();
	EXPECT_ERRNO(dfx_restrict(e, DFX_FREE, 2 * PAGE, SGX_SECINFO_R, &p), EFAULT);
	EXPECT_EQ(p.count, PAGE);
	/* Only the page whose EMODPR succeeded is tracked. */
	EXPECT_DELTA(before, 1, 1, 0);
}

TEST_BUILT(remove_pages_runs_no_etrack)
{
	struct dfx_thread t;
	struct counts before;

	dfx_restore_defaults();
	dfx_thread_init(&t);
	ASSERT_EQ(dfx_modify(e, DFX_DATA, PAGE, SGX_PAGE_TYPE_TRIM, NULL), 0);
	ASSERT_SGX(dfx_enter(&t, e, DFX_TCS0), SGX_SUCCESS);
	ASSERT_SGX(dfx_eaccept(&t, dfx_secinfo(e, 0, TRIM_M), dfx_la(e, DFX_DATA)), SGX_SUCCESS);
	ASSERT_SGX(dfx_exit(&t), SGX_SUCCESS);
	before = counts_now();
	EXPECT_EQ(dfx_remove(e, DFX_DATA, PAGE, NULL), 0);
	EXPECT_DELTA(before, 0, 0, 0);
	dfx_thread_fini(&t);
}

/* Who is interrupted */

TEST(etrack_threads_of_other_enclave_not_interrupted)
{
	struct dfx_ipi ipi = { .aex = true };
	struct dfx_thread t1, t2;
	struct dfx_encl *e1, *e2;
	struct counts before;

	dfx_restore_defaults();
	e1 = dfx_build_entered(&t1);
	ASSERT_TRUE(e1);
	e2 = dfx_build_entered(&t2);
	ASSERT_TRUE(e2);
	dfx_ipi_add(&ipi, &t1);
	before = watch(&ipi, &t2, SOFTSGX_TRACK_PER_PAGE);
	EXPECT_EQ(dfx_restrict(e1, DFX_DATA, PAGE, SGX_SECINFO_R, NULL), 0);
	EXPECT_DELTA(before, 1, 1, 1);
	EXPECT_EQ(ipi.interrupted, 1);
	EXPECT_EQ(t1.interrupted, 1);
	EXPECT_EQ(t2.interrupted, 0);
	EXPECT_TRUE(!sgx_lp_in_enclave(t1.lp));
	EXPECT_TRUE(sgx_lp_in_enclave(t2.lp));
	/* t2 keeps running in e2. */
	EXPECT_SGX(dfx_access(&t2, dfx_la(e2, DFX_DATA), SGX_PF_W), SGX_SUCCESS);
	EXPECT_SGX(dfx_exit(&t2), SGX_SUCCESS);
	dfx_restore_defaults();
	dfx_thread_fini(&t1);
	dfx_thread_fini(&t2);
	dfx_close(e1);
	dfx_close(e2);
}

TEST_FLOW(etrack_threads_outside_not_interrupted)
{
	struct dfx_ipi ipi = { .aex = true };

	ASSERT_SGX(dfx_exit(t), SGX_SUCCESS);
	watch(&ipi, t, SOFTSGX_TRACK_PER_PAGE);
	EXPECT_EQ(dfx_restrict(e, DFX_DATA, PAGE, SGX_SECINFO_R, NULL), 0);
	EXPECT_EQ(ipi.rounds, 1);
	EXPECT_EQ(ipi.interrupted, 0);
	EXPECT_EQ(t->interrupted, 0);
}

/* SGX_NOT_TRACKED until every thread that was inside has left */

/*
 * Thread @t1 (inside) gets page-table entries for the SECINFO page and
 * DFX_DATA (so its EACCEPT cannot AEX on the way); RESTRICT DFX_DATA to R
 * (or, if @trim, MODIFY_TYPES it to TRIM) with the double interrupting but
 * not evicting @t1. The SECINFO in slot 0 is the one to accept the change.
 */
static bool change_with_thread_left_inside(struct dfx_encl *e, struct dfx_thread *t1,
					   struct dfx_ipi *ipi, bool trim)
{
	int ret;

	if (!dfx_prefault(t1, e, DFX_DATA, 0))
		return false;
	dfx_secinfo(e, 0, trim ? TRIM_M : REG_R_PR);
	ipi->aex = false;
	watch(ipi, t1, SOFTSGX_TRACK_PER_PAGE);
	ret = trim ? dfx_modify(e, DFX_DATA, PAGE, SGX_PAGE_TYPE_TRIM, NULL) :
		     dfx_restrict(e, DFX_DATA, PAGE, SGX_SECINFO_R, NULL);
	return !ret && ipi->interrupted == 1 && sgx_lp_in_enclave(t1->lp);
}

/* EACCEPT by @t of DFX_DATA with the SECINFO in slot 0. */
static int accept_data(struct dfx_thread *t, struct dfx_encl *e)
{
	return dfx_eaccept(t, dfx_la(e, DFX_SECINFO), dfx_la(e, DFX_DATA));
}

TEST_FLOW(eaccept_not_tracked_while_interrupted_thread_inside)
{
	struct dfx_ipi ipi = { 0 };
	struct sgx_epcm_info epcm;
	struct dfx_thread t2;

	ASSERT_TRUE(change_with_thread_left_inside(e, t, &ipi, false));
	EXPECT_SGX(accept_data(t, e), SGX_NOT_TRACKED);
	/* A thread that entered after the ETRACK is refused too: t is still inside. */
	dfx_thread_init(&t2);
	ASSERT_SGX(dfx_enter(&t2, e, DFX_TCS1), SGX_SUCCESS);
	EXPECT_SGX(accept_data(&t2, e), SGX_NOT_TRACKED);
	epcm = dfx_epcm(e, DFX_DATA);
	EXPECT_TRUE(epcm.pr);
	EXPECT_EQ(epcm.perm, SGX_SECINFO_R);
	EXPECT_SGX(dfx_exit(&t2), SGX_SUCCESS);
	EXPECT_SGX(dfx_exit(t), SGX_SUCCESS);
	dfx_thread_fini(&t2);
}

TEST_FLOW(eaccept_tracked_after_interrupted_thread_exits)
{
	struct dfx_ipi ipi = { 0 };
	struct dfx_thread t2;

	ASSERT_TRUE(change_with_thread_left_inside(e, t, &ipi, false));
	dfx_thread_init(&t2);
	ASSERT_SGX(dfx_enter(&t2, e, DFX_TCS1), SGX_SUCCESS);
	EXPECT_SGX(accept_data(&t2, e), SGX_NOT_TRACKED);
	EXPECT_SGX(dfx_exit(t), SGX_SUCCESS);
	EXPECT_SGX(accept_data(&t2, e), SGX_SUCCESS);
	EXPECT_TRUE(!dfx_epcm(e, DFX_DATA).pr);
	EXPECT_EQ(dfx_epcm(e, DFX_DATA).perm, SGX_SECINFO_R);
	EXPECT_SGX(dfx_exit(&t2), SGX_SUCCESS);
	dfx_thread_fini(&t2);
}

TEST_FLOW(eaccept_tracked_after_interrupted_thread_aex)
{
	struct sgx_exception irq = { .vector = 32 };
	struct dfx_ipi ipi = { 0 };

	ASSERT_TRUE(change_with_thread_left_inside(e, t, &ipi, false));
	EXPECT_SGX(accept_data(t, e), SGX_NOT_TRACKED);
	/* The interrupt finally lands: AEX, then ERESUME into the new epoch. */
	ASSERT_SGX(sgx_aex(t->lp, &t->regs, &irq), SGX_SUCCESS);
	ASSERT_SGX(dfx_resume(t), SGX_SUCCESS);
	EXPECT_SGX(accept_data(t, e), SGX_SUCCESS);
	EXPECT_TRUE(!dfx_epcm(e, DFX_DATA).pr);
	EXPECT_SGX(dfx_exit(t), SGX_SUCCESS);
}

TEST_FLOW(eaccept_trim_not_tracked_while_interrupted_thread_inside)
{
	struct dfx_ipi ipi = { .aex = false };

	ASSERT_TRUE(change_with_thread_left_inside(e, t, &ipi, true));
	EXPECT_EQ(t->interrupted, 0);
	EXPECT_EQ(ipi.interrupted, 1);
	EXPECT_SGX(accept_data(t, e), SGX_NOT_TRACKED);
	ASSERT_SGX(dfx_exit(t), SGX_SUCCESS);
	ASSERT_SGX(dfx_enter(t, e, DFX_TCS0), SGX_SUCCESS);
	EXPECT_SGX(accept_data(t, e), SGX_SUCCESS);
	EXPECT_TRUE(!dfx_epcm(e, DFX_DATA).modified);
	EXPECT_SGX(dfx_exit(t), SGX_SUCCESS);
}

/* SGX_PREV_TRK_INCMPL: interrupt, one retry */

TEST_FLOW(etrack_prev_trk_incmpl_interrupts_and_retries_once)
{
	struct dfx_ipi ipi = { 0 };
	struct sgx_enclave_restrict_permissions p;
	struct counts before;

	/* t stays inside across the first ETRACK: the next one finds the cycle incomplete. */
	ASSERT_TRUE(change_with_thread_left_inside(e, t, &ipi, false));
	ipi.aex = true;
	before = counts_now();
	EXPECT_EQ(dfx_restrict(e, DFX_DATA + PAGE, PAGE, SGX_SECINFO_R, &p), 0);
	EXPECT_EQ(p.count, PAGE);
	EXPECT_EQ(p.result, 0);
	/* ETRACK fails, round (t leaves), ETRACK again succeeds, round (nobody). */
	EXPECT_DELTA(before, 2, 2, 1);
	EXPECT_EQ(ipi.rounds, 3);
	EXPECT_EQ(t->interrupted, 1);
	EXPECT_TRUE(!sgx_lp_in_enclave(t->lp));
	EXPECT_TRUE(dfx_epcm(e, DFX_DATA + PAGE).pr);
}

TEST_FLOW(etrack_prev_trk_incmpl_twice_efault_count_excludes_page)
{
	struct dfx_ipi ipi = { 0 };
	struct sgx_enclave_restrict_permissions p;
	struct sgx_epcm_info epcm;
	struct counts before;

	ASSERT_TRUE(change_with_thread_left_inside(e, t, &ipi, false));
	before = counts_now();
	/* The double never makes t leave: the retry fails too. */
	EXPECT_ERRNO(dfx_restrict(e, DFX_DATA + PAGE, 2 * PAGE, SGX_SECINFO_R, &p), EFAULT);
	EXPECT_EQ(p.count, 0);
	EXPECT_EQ(p.result, 0);
	EXPECT_DELTA(before, 2, 1, 1);
	/* EMODPR already took effect on the first page; the loop stopped there. */
	epcm = dfx_epcm(e, DFX_DATA + PAGE);
	EXPECT_TRUE(epcm.pr);
	EXPECT_EQ(epcm.perm, SGX_SECINFO_R);
	EXPECT_TRUE(!dfx_epcm(e, DFX_DATA + 2 * PAGE).pr);
	EXPECT_SGX(dfx_exit(t), SGX_SUCCESS);
}

TEST_FLOW(modify_types_etrack_failure_keeps_recorded_type)
{
	struct dfx_ipi ipi = { 0 };
	struct sgx_enclave_modify_types m;
	struct sgx_enclave_restrict_permissions p;

	ASSERT_TRUE(change_with_thread_left_inside(e, t, &ipi, false));
	EXPECT_ERRNO(dfx_modify(e, DFX_DATA + PAGE, PAGE, SGX_PAGE_TYPE_TRIM, &m), EFAULT);
	EXPECT_EQ(m.count, 0);
	EXPECT_EQ(m.result, 0);
	/* EMODT took effect... */
	EXPECT_EQ(dfx_epcm(e, DFX_DATA + PAGE).type, SGX_PAGE_TYPE_TRIM);
	EXPECT_TRUE(dfx_epcm(e, DFX_DATA + PAGE).modified);
	/* ... but the driver still records REG: RESTRICT goes to EMODPR (not EINVAL). */
	EXPECT_SGX(dfx_exit(t), SGX_SUCCESS);
	EXPECT_ERRNO(dfx_restrict(e, DFX_DATA + PAGE, PAGE, SGX_SECINFO_R, &p), EFAULT);
	EXPECT_EQ(p.result, SGX_PAGE_NOT_MODIFIABLE);
	EXPECT_EQ(p.count, 0);
}
