/* SPDX-License-Identifier: MIT */
/*
 * The ETRACK + interrupt flow the SGX2 ioctls run after each successful
 * EMODPR/EMODT (reference/linux-driver.md §2 "ETRACK flow"), observed with
 * the IPI test double: one ETRACK and one interrupt round per page
 * (upstream) or per call (batched mode); only threads inside this enclave
 * are interrupted; EACCEPT answers SGX_NOT_TRACKED while a thread that was
 * inside at the change has not left; ETRACK failing with
 * SGX_PREV_TRK_INCMPL is followed by an interrupt and exactly one retry,
 * and a second failure is EFAULT with count excluding the page although
 * EMODPR/EMODT already took effect. Every test restores per-page tracking
 * and removes the double when it ends (and when it starts).
 */
#include "dfx.h"

#define PAGE 0x1000ull
#define REG_RW (SGX_SECINFO_REG | SGX_SECINFO_R | SGX_SECINFO_W)
#define REG_R_PR (SGX_SECINFO_REG | SGX_SECINFO_R | SGX_SECINFO_PR)
#define TRIM_M (SGX_SECINFO_TRIM | SGX_SECINFO_MODIFIED)

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

static bool eaug_accept(struct dfx_thread *t, struct dfx_encl *e, uint64_t offset, int n)
{
	uint64_t si = dfx_secinfo(e, 0, REG_RW | SGX_SECINFO_PENDING);
	int i;

	for (i = 0; i < n; i++)
		if (dfx_eaccept(t, si, dfx_la(e, offset + i * PAGE)) != SGX_SUCCESS)
			return false;
	return true;
}

/*
 * Back to the upstream defaults: at the end of each test, and at its start
 * too, so that a test that stopped early cannot leave batched mode or a
 * double on its stack behind.
 */
static void restore(void)
{
	dfx_set_tracking(SOFTSGX_TRACK_PER_PAGE);
	dfx_ipi_uninstall();
}

/* Interrupt rounds per page or per call */

TEST(etrack_per_page_restrict_interrupts_once_per_page)
{
	struct dfx_encl *e = dfx_build();
	struct dfx_ipi ipi = { .aex = true };
	struct sgx_enclave_restrict_permissions p;
	struct dfx_thread t;
	struct counts before;

	restore();
	ASSERT_TRUE(e);
	dfx_thread_init(&t);
	ASSERT_SGX(dfx_enter(&t, e, DFX_TCS0), SGX_SUCCESS);
	ASSERT_TRUE(eaug_accept(&t, e, DFX_FREE, 3));
	dfx_ipi_add(&ipi, &t);
	dfx_ipi_install(&ipi);
	before = counts_now();

	EXPECT_EQ(dfx_restrict(e, DFX_FREE, 3 * PAGE, SGX_SECINFO_R, &p), 0);
	EXPECT_EQ(p.count, 3 * PAGE);
	/* One ETRACK and one round per page; the thread leaves in the first round. */
	EXPECT_DELTA(before, 3, 3, 1);
	EXPECT_EQ(ipi.rounds, 3);
	EXPECT_EQ(ipi.interrupted, 1);
	EXPECT_EQ(t.interrupted, 1);
	EXPECT_TRUE(!sgx_lp_in_enclave(t.lp));
	restore();
	dfx_thread_fini(&t);
	dfx_close(e);
}

TEST(etrack_per_page_without_threads_still_one_round_per_page)
{
	struct dfx_encl *e = dfx_build();
	struct dfx_ipi ipi = { .aex = true };
	struct counts before;

	restore();
	ASSERT_TRUE(e);
	dfx_ipi_install(&ipi);
	before = counts_now();
	EXPECT_EQ(dfx_restrict(e, DFX_DATA, 2 * PAGE, SGX_SECINFO_R, NULL), 0);
	/* on_each_cpu_mask() runs even when no CPU is in the mask. */
	EXPECT_DELTA(before, 2, 2, 0);
	EXPECT_EQ(ipi.rounds, 2);
	EXPECT_EQ(ipi.interrupted, 0);
	restore();
	dfx_close(e);
}

TEST(etrack_per_page_modify_types_interrupts_once_per_page)
{
	struct dfx_encl *e = dfx_build();
	struct dfx_ipi ipi = { .aex = true };
	struct dfx_thread t;
	struct counts before;

	restore();
	ASSERT_TRUE(e);
	dfx_thread_init(&t);
	ASSERT_SGX(dfx_enter(&t, e, DFX_TCS0), SGX_SUCCESS);
	dfx_ipi_add(&ipi, &t);
	dfx_ipi_install(&ipi);
	before = counts_now();
	EXPECT_EQ(dfx_modify(e, DFX_DATA, 2 * PAGE, SGX_PAGE_TYPE_TRIM, NULL), 0);
	EXPECT_DELTA(before, 2, 2, 1);
	EXPECT_EQ(ipi.rounds, 2);
	EXPECT_EQ(t.interrupted, 1);
	restore();
	dfx_thread_fini(&t);
	dfx_close(e);
}

TEST(etrack_batched_restrict_interrupts_once_per_call)
{
	struct dfx_encl *e = dfx_build();
	struct dfx_ipi ipi = { .aex = true };
	struct sgx_enclave_restrict_permissions p;
	struct dfx_thread t;
	struct counts before;
	int i;

	restore();
	ASSERT_TRUE(e);
	dfx_thread_init(&t);
	ASSERT_SGX(dfx_enter(&t, e, DFX_TCS0), SGX_SUCCESS);
	ASSERT_TRUE(eaug_accept(&t, e, DFX_FREE, 4));
	dfx_ipi_add(&ipi, &t);
	dfx_ipi_install(&ipi);
	dfx_set_tracking(SOFTSGX_TRACK_BATCHED);
	before = counts_now();

	EXPECT_EQ(dfx_restrict(e, DFX_FREE, 4 * PAGE, SGX_SECINFO_R, &p), 0);
	EXPECT_EQ(p.count, 4 * PAGE);
	EXPECT_DELTA(before, 1, 1, 1);
	EXPECT_EQ(ipi.rounds, 1);
	EXPECT_EQ(t.interrupted, 1);
	for (i = 0; i < 4; i++)
		EXPECT_TRUE(dfx_epcm(e, DFX_FREE + i * PAGE).pr);
	/* The tracking is complete all the same: each page can be accepted. */
	ASSERT_SGX(dfx_resume(&t), SGX_SUCCESS);
	for (i = 0; i < 4; i++)
		EXPECT_SGX(dfx_eaccept(&t, dfx_secinfo(e, 1, REG_R_PR), dfx_la(e, DFX_FREE + i * PAGE)),
			   SGX_SUCCESS);
	EXPECT_SGX(dfx_exit(&t), SGX_SUCCESS);
	restore();
	dfx_thread_fini(&t);
	dfx_close(e);
}

TEST(etrack_batched_modify_types_interrupts_once_per_call)
{
	struct dfx_encl *e = dfx_build();
	struct dfx_ipi ipi = { .aex = true };
	struct dfx_thread t;
	struct counts before;

	restore();
	ASSERT_TRUE(e);
	dfx_thread_init(&t);
	ASSERT_SGX(dfx_enter(&t, e, DFX_TCS0), SGX_SUCCESS);
	dfx_ipi_add(&ipi, &t);
	dfx_ipi_install(&ipi);
	dfx_set_tracking(SOFTSGX_TRACK_BATCHED);
	before = counts_now();
	EXPECT_EQ(dfx_modify(e, DFX_DATA, 2 * PAGE, SGX_PAGE_TYPE_TRIM, NULL), 0);
	EXPECT_DELTA(before, 1, 1, 1);
	EXPECT_EQ(t.interrupted, 1);
	restore();
	dfx_thread_fini(&t);
	dfx_close(e);
}

TEST(etrack_batched_partial_call_tracks_done_pages)
{
	struct dfx_encl *e = dfx_build();
	struct dfx_ipi ipi = { .aex = true };
	struct sgx_enclave_restrict_permissions p;
	struct dfx_thread t;
	struct counts before;

	restore();
	ASSERT_TRUE(e);
	dfx_thread_init(&t);
	ASSERT_SGX(dfx_enter(&t, e, DFX_TCS0), SGX_SUCCESS);
	ASSERT_TRUE(eaug_accept(&t, e, DFX_FREE, 2));
	ASSERT_EQ(dfx_access(&t, dfx_la(e, DFX_FREE + 2 * PAGE), SGX_PF_W), DFX_EXCEPTION);
	ASSERT_SGX(dfx_resume(&t), SGX_SUCCESS);
	dfx_ipi_add(&ipi, &t);
	dfx_ipi_install(&ipi);
	dfx_set_tracking(SOFTSGX_TRACK_BATCHED);
	before = counts_now();
	EXPECT_ERRNO(dfx_restrict(e, DFX_FREE, 3 * PAGE, SGX_SECINFO_R, &p), EFAULT);
	EXPECT_EQ(p.count, 2 * PAGE);
	EXPECT_EQ(p.result, SGX_PAGE_NOT_MODIFIABLE);
	EXPECT_DELTA(before, 1, 1, 1);
	ASSERT_SGX(dfx_resume(&t), SGX_SUCCESS);
	EXPECT_SGX(dfx_eaccept(&t, dfx_secinfo(e, 1, REG_R_PR), dfx_la(e, DFX_FREE + PAGE)),
		   SGX_SUCCESS);
	restore();
	dfx_thread_fini(&t);
	dfx_close(e);
}

TEST(etrack_per_page_failing_page_not_tracked)
{
	struct dfx_encl *e = dfx_build();
	struct sgx_enclave_restrict_permissions p;
	struct dfx_thread t;
	struct counts before;

	restore();
	ASSERT_TRUE(e);
	dfx_thread_init(&t);
	ASSERT_SGX(dfx_enter(&t, e, DFX_TCS0), SGX_SUCCESS);
	ASSERT_TRUE(eaug_accept(&t, e, DFX_FREE, 1));
	ASSERT_EQ(dfx_access(&t, dfx_la(e, DFX_FREE + PAGE), SGX_PF_W), DFX_EXCEPTION);
	before = counts_now();
	EXPECT_ERRNO(dfx_restrict(e, DFX_FREE, 2 * PAGE, SGX_SECINFO_R, &p), EFAULT);
	EXPECT_EQ(p.count, PAGE);
	/* Only the page whose EMODPR succeeded is tracked. */
	EXPECT_DELTA(before, 1, 1, 0);
	restore();
	dfx_thread_fini(&t);
	dfx_close(e);
}

TEST(remove_pages_runs_no_etrack)
{
	struct dfx_encl *e = dfx_build();
	struct dfx_thread t;
	struct counts before;

	restore();
	ASSERT_TRUE(e);
	dfx_thread_init(&t);
	ASSERT_EQ(dfx_modify(e, DFX_DATA, PAGE, SGX_PAGE_TYPE_TRIM, NULL), 0);
	ASSERT_SGX(dfx_enter(&t, e, DFX_TCS0), SGX_SUCCESS);
	ASSERT_SGX(dfx_eaccept(&t, dfx_secinfo(e, 0, TRIM_M), dfx_la(e, DFX_DATA)), SGX_SUCCESS);
	ASSERT_SGX(dfx_exit(&t), SGX_SUCCESS);
	before = counts_now();
	EXPECT_EQ(dfx_remove(e, DFX_DATA, PAGE, NULL), 0);
	EXPECT_DELTA(before, 0, 0, 0);
	dfx_thread_fini(&t);
	dfx_close(e);
}

/* Who is interrupted */

TEST(etrack_threads_of_other_enclave_not_interrupted)
{
	struct dfx_encl *e1 = dfx_build(), *e2 = dfx_build();
	struct dfx_ipi ipi = { .aex = true };
	struct dfx_thread t1, t2;
	struct counts before;

	restore();
	ASSERT_TRUE(e1 && e2);
	dfx_thread_init(&t1);
	dfx_thread_init(&t2);
	ASSERT_SGX(dfx_enter(&t1, e1, DFX_TCS0), SGX_SUCCESS);
	ASSERT_SGX(dfx_enter(&t2, e2, DFX_TCS0), SGX_SUCCESS);
	dfx_ipi_add(&ipi, &t1);
	dfx_ipi_add(&ipi, &t2);
	dfx_ipi_install(&ipi);
	before = counts_now();
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
	restore();
	dfx_thread_fini(&t1);
	dfx_thread_fini(&t2);
	dfx_close(e1);
	dfx_close(e2);
}

TEST(etrack_threads_outside_not_interrupted)
{
	struct dfx_encl *e = dfx_build();
	struct dfx_ipi ipi = { .aex = true };
	struct dfx_thread t;

	restore();
	ASSERT_TRUE(e);
	dfx_thread_init(&t);
	ASSERT_SGX(dfx_enter(&t, e, DFX_TCS0), SGX_SUCCESS);
	ASSERT_SGX(dfx_exit(&t), SGX_SUCCESS);
	dfx_ipi_add(&ipi, &t);
	dfx_ipi_install(&ipi);
	EXPECT_EQ(dfx_restrict(e, DFX_DATA, PAGE, SGX_SECINFO_R, NULL), 0);
	EXPECT_EQ(ipi.rounds, 1);
	EXPECT_EQ(ipi.interrupted, 0);
	EXPECT_EQ(t.interrupted, 0);
	restore();
	dfx_thread_fini(&t);
	dfx_close(e);
}

/* SGX_NOT_TRACKED until every thread that was inside has left */

/*
 * Thread @t1 inside with page-table entries for the SECINFO page and
 * DFX_DATA (so its EACCEPT cannot AEX on the way); RESTRICT DFX_DATA to R
 * with the double interrupting but not evicting @t1.
 */
static bool restrict_with_thread_left_inside(struct dfx_encl *e, struct dfx_thread *t1,
					     struct dfx_ipi *ipi)
{
	if (dfx_enter(t1, e, DFX_TCS0) || dfx_access(t1, dfx_la(e, DFX_SECINFO), 0) ||
	    dfx_access(t1, dfx_la(e, DFX_DATA), 0))
		return false;
	dfx_secinfo(e, 0, REG_R_PR);
	ipi->aex = false;
	dfx_ipi_add(ipi, t1);
	dfx_ipi_install(ipi);
	if (dfx_restrict(e, DFX_DATA, PAGE, SGX_SECINFO_R, NULL))
		return false;
	return ipi->interrupted == 1 && sgx_lp_in_enclave(t1->lp);
}

TEST(eaccept_not_tracked_while_interrupted_thread_inside)
{
	struct dfx_encl *e = dfx_build();
	struct dfx_ipi ipi = { 0 };
	struct dfx_thread t1, t2;
	struct sgx_epcm_info epcm;

	restore();
	ASSERT_TRUE(e);
	dfx_thread_init(&t1);
	dfx_thread_init(&t2);
	ASSERT_TRUE(restrict_with_thread_left_inside(e, &t1, &ipi));
	EXPECT_SGX(dfx_eaccept(&t1, dfx_la(e, DFX_SECINFO), dfx_la(e, DFX_DATA)), SGX_NOT_TRACKED);
	/* A thread that entered after the ETRACK is refused too: t1 is still inside. */
	ASSERT_SGX(dfx_enter(&t2, e, DFX_TCS1), SGX_SUCCESS);
	EXPECT_SGX(dfx_eaccept(&t2, dfx_la(e, DFX_SECINFO), dfx_la(e, DFX_DATA)), SGX_NOT_TRACKED);
	epcm = dfx_epcm(e, DFX_DATA);
	EXPECT_TRUE(epcm.pr);
	EXPECT_EQ(epcm.perm, SGX_SECINFO_R);
	EXPECT_SGX(dfx_exit(&t2), SGX_SUCCESS);
	EXPECT_SGX(dfx_exit(&t1), SGX_SUCCESS);
	restore();
	dfx_thread_fini(&t1);
	dfx_thread_fini(&t2);
	dfx_close(e);
}

TEST(eaccept_tracked_after_interrupted_thread_exits)
{
	struct dfx_encl *e = dfx_build();
	struct dfx_ipi ipi = { 0 };
	struct dfx_thread t1, t2;

	restore();
	ASSERT_TRUE(e);
	dfx_thread_init(&t1);
	dfx_thread_init(&t2);
	ASSERT_TRUE(restrict_with_thread_left_inside(e, &t1, &ipi));
	ASSERT_SGX(dfx_enter(&t2, e, DFX_TCS1), SGX_SUCCESS);
	EXPECT_SGX(dfx_eaccept(&t2, dfx_la(e, DFX_SECINFO), dfx_la(e, DFX_DATA)), SGX_NOT_TRACKED);
	EXPECT_SGX(dfx_exit(&t1), SGX_SUCCESS);
	EXPECT_SGX(dfx_eaccept(&t2, dfx_la(e, DFX_SECINFO), dfx_la(e, DFX_DATA)), SGX_SUCCESS);
	EXPECT_TRUE(!dfx_epcm(e, DFX_DATA).pr);
	EXPECT_EQ(dfx_epcm(e, DFX_DATA).perm, SGX_SECINFO_R);
	EXPECT_SGX(dfx_exit(&t2), SGX_SUCCESS);
	restore();
	dfx_thread_fini(&t1);
	dfx_thread_fini(&t2);
	dfx_close(e);
}

TEST(eaccept_tracked_after_interrupted_thread_aex)
{
	struct dfx_encl *e = dfx_build();
	struct sgx_exception irq = { .vector = 32 };
	struct dfx_ipi ipi = { 0 };
	struct dfx_thread t1;

	restore();
	ASSERT_TRUE(e);
	dfx_thread_init(&t1);
	ASSERT_TRUE(restrict_with_thread_left_inside(e, &t1, &ipi));
	EXPECT_SGX(dfx_eaccept(&t1, dfx_la(e, DFX_SECINFO), dfx_la(e, DFX_DATA)), SGX_NOT_TRACKED);
	/* The interrupt finally lands: AEX, then ERESUME into the new epoch. */
	ASSERT_SGX(sgx_aex(t1.lp, &t1.regs, &irq), SGX_SUCCESS);
	ASSERT_SGX(dfx_resume(&t1), SGX_SUCCESS);
	EXPECT_SGX(dfx_eaccept(&t1, dfx_la(e, DFX_SECINFO), dfx_la(e, DFX_DATA)), SGX_SUCCESS);
	EXPECT_TRUE(!dfx_epcm(e, DFX_DATA).pr);
	EXPECT_SGX(dfx_exit(&t1), SGX_SUCCESS);
	restore();
	dfx_thread_fini(&t1);
	dfx_close(e);
}

TEST(eaccept_trim_not_tracked_while_interrupted_thread_inside)
{
	struct dfx_encl *e = dfx_build();
	struct dfx_ipi ipi = { .aex = false };
	struct dfx_thread t1;

	restore();
	ASSERT_TRUE(e);
	dfx_thread_init(&t1);
	ASSERT_SGX(dfx_enter(&t1, e, DFX_TCS0), SGX_SUCCESS);
	ASSERT_SGX(dfx_access(&t1, dfx_la(e, DFX_SECINFO), 0), SGX_SUCCESS);
	ASSERT_SGX(dfx_access(&t1, dfx_la(e, DFX_DATA), 0), SGX_SUCCESS);
	dfx_secinfo(e, 0, TRIM_M);
	dfx_ipi_add(&ipi, &t1);
	dfx_ipi_install(&ipi);
	ASSERT_EQ(dfx_modify(e, DFX_DATA, PAGE, SGX_PAGE_TYPE_TRIM, NULL), 0);
	EXPECT_EQ(t1.interrupted, 0);
	EXPECT_EQ(ipi.interrupted, 1);
	EXPECT_SGX(dfx_eaccept(&t1, dfx_la(e, DFX_SECINFO), dfx_la(e, DFX_DATA)), SGX_NOT_TRACKED);
	ASSERT_SGX(dfx_exit(&t1), SGX_SUCCESS);
	ASSERT_SGX(dfx_enter(&t1, e, DFX_TCS0), SGX_SUCCESS);
	EXPECT_SGX(dfx_eaccept(&t1, dfx_la(e, DFX_SECINFO), dfx_la(e, DFX_DATA)), SGX_SUCCESS);
	EXPECT_TRUE(!dfx_epcm(e, DFX_DATA).modified);
	EXPECT_SGX(dfx_exit(&t1), SGX_SUCCESS);
	restore();
	dfx_thread_fini(&t1);
	dfx_close(e);
}

/* SGX_PREV_TRK_INCMPL: interrupt, one retry */

TEST(etrack_prev_trk_incmpl_interrupts_and_retries_once)
{
	struct dfx_encl *e = dfx_build();
	struct dfx_ipi ipi = { 0 };
	struct sgx_enclave_restrict_permissions p;
	struct dfx_thread t1;
	struct counts before;

	restore();
	ASSERT_TRUE(e);
	dfx_thread_init(&t1);
	/* t1 stays inside across the first ETRACK: the next one finds the cycle incomplete. */
	ASSERT_TRUE(restrict_with_thread_left_inside(e, &t1, &ipi));
	ipi.aex = true;
	before = counts_now();
	EXPECT_EQ(dfx_restrict(e, DFX_DATA + PAGE, PAGE, SGX_SECINFO_R, &p), 0);
	EXPECT_EQ(p.count, PAGE);
	EXPECT_EQ(p.result, 0);
	/* ETRACK fails, round (t1 leaves), ETRACK again succeeds, round (nobody). */
	EXPECT_DELTA(before, 2, 2, 1);
	EXPECT_EQ(ipi.rounds, 3);
	EXPECT_EQ(t1.interrupted, 1);
	EXPECT_TRUE(!sgx_lp_in_enclave(t1.lp));
	EXPECT_TRUE(dfx_epcm(e, DFX_DATA + PAGE).pr);
	restore();
	dfx_thread_fini(&t1);
	dfx_close(e);
}

TEST(etrack_prev_trk_incmpl_twice_efault_count_excludes_page)
{
	struct dfx_encl *e = dfx_build();
	struct dfx_ipi ipi = { 0 };
	struct sgx_enclave_restrict_permissions p;
	struct sgx_epcm_info epcm;
	struct dfx_thread t1;
	struct counts before;

	restore();
	ASSERT_TRUE(e);
	dfx_thread_init(&t1);
	ASSERT_TRUE(restrict_with_thread_left_inside(e, &t1, &ipi));
	before = counts_now();
	/* The double never makes t1 leave: the retry fails too. */
	EXPECT_ERRNO(dfx_restrict(e, DFX_DATA + PAGE, 2 * PAGE, SGX_SECINFO_R, &p), EFAULT);
	EXPECT_EQ(p.count, 0);
	EXPECT_EQ(p.result, 0);
	EXPECT_DELTA(before, 2, 1, 1);
	/* EMODPR already took effect on the first page; the loop stopped there. */
	epcm = dfx_epcm(e, DFX_DATA + PAGE);
	EXPECT_TRUE(epcm.pr);
	EXPECT_EQ(epcm.perm, SGX_SECINFO_R);
	EXPECT_TRUE(!dfx_epcm(e, DFX_DATA + 2 * PAGE).pr);
	EXPECT_SGX(dfx_exit(&t1), SGX_SUCCESS);
	restore();
	dfx_thread_fini(&t1);
	dfx_close(e);
}

TEST(modify_types_etrack_failure_keeps_recorded_type)
{
	struct dfx_encl *e = dfx_build();
	struct dfx_ipi ipi = { 0 };
	struct sgx_enclave_modify_types m;
	struct sgx_enclave_restrict_permissions p;
	struct dfx_thread t1;

	restore();
	ASSERT_TRUE(e);
	dfx_thread_init(&t1);
	ASSERT_TRUE(restrict_with_thread_left_inside(e, &t1, &ipi));
	EXPECT_ERRNO(dfx_modify(e, DFX_DATA + PAGE, PAGE, SGX_PAGE_TYPE_TRIM, &m), EFAULT);
	EXPECT_EQ(m.count, 0);
	EXPECT_EQ(m.result, 0);
	/* EMODT took effect... */
	EXPECT_EQ(dfx_epcm(e, DFX_DATA + PAGE).type, SGX_PAGE_TYPE_TRIM);
	EXPECT_TRUE(dfx_epcm(e, DFX_DATA + PAGE).modified);
	/* ... but the driver still records REG: RESTRICT goes to EMODPR (not EINVAL). */
	EXPECT_SGX(dfx_exit(&t1), SGX_SUCCESS);
	EXPECT_ERRNO(dfx_restrict(e, DFX_DATA + PAGE, PAGE, SGX_SECINFO_R, &p), EFAULT);
	EXPECT_EQ(p.result, SGX_PAGE_NOT_MODIFIABLE);
	EXPECT_EQ(p.count, 0);
	restore();
	dfx_thread_fini(&t1);
	dfx_close(e);
}
