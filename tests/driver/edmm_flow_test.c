/* SPDX-License-Identifier: MIT */
/*
 * The EDMM flows through the driver: EAUG on fault, permission
 * restriction with the partial-success contract, mprotect/EPCM
 * independence, new TCS, trim and removal.
 */
#include "dfx.h"

#define REG_RW (SGX_SECINFO_REG | SGX_SECINFO_R | SGX_SECINFO_W)

TEST(build_enter_exit)
{
	struct dfx_encl *e = dfx_build();
	struct dfx_thread t;

	ASSERT_TRUE(e);
	dfx_thread_init(&t);
	EXPECT_SGX(dfx_enter(&t, e, DFX_TCS0), SGX_SUCCESS);
	EXPECT_SGX(dfx_access(&t, dfx_la(e, DFX_DATA), SGX_PF_W), SGX_SUCCESS);
	EXPECT_SGX(dfx_exit(&t), SGX_SUCCESS);
	dfx_thread_fini(&t);
	dfx_close(e);
}

TEST(eaccept_unbacked_address_eaugs_transparently)
{
	struct dfx_encl *e = dfx_build();
	struct dfx_thread t;
	uint64_t eaug_before;

	ASSERT_TRUE(e);
	dfx_thread_init(&t);
	ASSERT_SGX(dfx_enter(&t, e, DFX_TCS0), SGX_SUCCESS);
	eaug_before = DFX_COUNT(SOFTSGX_CNT_FAULT_EAUG);
	EXPECT_SGX(dfx_eaccept(&t, dfx_secinfo(e, 0, REG_RW | SGX_SECINFO_PENDING),
			       dfx_la(e, DFX_FREE)), SGX_SUCCESS);
	EXPECT_EQ(DFX_COUNT(SOFTSGX_CNT_FAULT_EAUG), eaug_before + 1);
	EXPECT_SGX(dfx_access(&t, dfx_la(e, DFX_FREE), SGX_PF_W), SGX_SUCCESS);
	EXPECT_SGX(dfx_exit(&t), SGX_SUCCESS);
	dfx_thread_fini(&t);
	dfx_close(e);
}

TEST(write_to_fresh_page_faults_8007_until_accepted)
{
	struct dfx_encl *e = dfx_build();
	struct dfx_thread t;

	ASSERT_TRUE(e);
	dfx_thread_init(&t);
	ASSERT_SGX(dfx_enter(&t, e, DFX_TCS0), SGX_SUCCESS);
	ASSERT_EQ(dfx_access(&t, dfx_la(e, DFX_FREE + 0x1000), SGX_PF_W), DFX_EXCEPTION);
	EXPECT_EQ(t.exc.vector, SGX_VEC_PF);
	EXPECT_EQ(t.exc.error_code, 0x8007);
	EXPECT_EQ(t.exc.addr, dfx_la(e, DFX_FREE + 0x1000));
	EXPECT_TRUE(dfx_epcm(e, DFX_FREE + 0x1000).pending);
	dfx_thread_fini(&t);
	dfx_close(e);
}

/* dsgx2: mprotect and the EPCM are independent; the full EDMM flows. */

#define PAGE 0x1000ull
#define REG_R (SGX_SECINFO_REG | SGX_SECINFO_R)
#define TRIM_M (SGX_SECINFO_TRIM | SGX_SECINFO_MODIFIED)

static void *la_ptr(struct dfx_encl *e, uint64_t offset)
{
	return (void *)(uintptr_t)dfx_la(e, offset);
}

/*
 * The kernel restricts a data page's EPCM to R; the enclave accepts it.
 * mprotect() to RW succeeds (it never looks at the EPCM), but a write still
 * faults with the SGX bit; only the enclave's EMODPE gives W back.
 */
TEST(mprotect_does_not_extend_epcm_permissions)
{
	struct dfx_encl *e = dfx_build();
	struct dfx_ipi ipi = { .aex = true };
	struct dfx_thread t;
	uint64_t la;

	dfx_ipi_uninstall(); /* none left behind by a test that stopped early */
	ASSERT_TRUE(e);
	la = dfx_la(e, DFX_DATA);
	dfx_thread_init(&t);
	ASSERT_SGX(dfx_enter(&t, e, DFX_TCS0), SGX_SUCCESS);
	ASSERT_SGX(dfx_access(&t, la, SGX_PF_W), SGX_SUCCESS);
	dfx_ipi_add(&ipi, &t);
	dfx_ipi_install(&ipi);

	ASSERT_EQ(dfx_restrict(e, DFX_DATA, PAGE, SGX_SECINFO_R, NULL), 0);
	EXPECT_EQ(t.interrupted, 1);
	ASSERT_SGX(dfx_resume(&t), SGX_SUCCESS);
	EXPECT_SGX(dfx_eaccept(&t, dfx_secinfo(e, 0, REG_R | SGX_SECINFO_PR), la), SGX_SUCCESS);
	EXPECT_EQ(dfx_epcm(e, DFX_DATA).perm, SGX_SECINFO_R);
	EXPECT_TRUE(!dfx_epcm(e, DFX_DATA).pr);
	EXPECT_SGX(dfx_access(&t, la, 0), SGX_SUCCESS);

	EXPECT_EQ(softsgx_mprotect(la_ptr(e, DFX_DATA), PAGE, PROT_READ | PROT_WRITE), 0);
	ASSERT_EQ(dfx_access(&t, la, SGX_PF_W), DFX_EXCEPTION);
	EXPECT_EQ(t.exc.vector, SGX_VEC_PF);
	EXPECT_EQ(t.exc.error_code, 0x8007);
	EXPECT_EQ(t.exc.addr, la);
	EXPECT_EQ(dfx_epcm(e, DFX_DATA).perm, SGX_SECINFO_R);

	ASSERT_SGX(dfx_resume(&t), SGX_SUCCESS);
	EXPECT_SGX(dfx_emodpe(&t, dfx_secinfo(e, 0, SGX_SECINFO_R | SGX_SECINFO_W), la), SGX_SUCCESS);
	EXPECT_EQ(dfx_epcm(e, DFX_DATA).perm, SGX_SECINFO_R | SGX_SECINFO_W);
	EXPECT_SGX(dfx_access(&t, la, SGX_PF_W), SGX_SUCCESS);
	EXPECT_SGX(dfx_exit(&t), SGX_SUCCESS);
	dfx_set_tracking(SOFTSGX_TRACK_PER_PAGE);
	dfx_ipi_uninstall();
	dfx_thread_fini(&t);
	dfx_close(e);
}

/* The other direction: the mapping refuses (no SGX bit) although the EPCM allows. */
TEST(mprotect_read_only_write_faults_7_on_mapped_page)
{
	struct dfx_encl *e = dfx_build();
	struct dfx_thread t;
	uint64_t la;

	ASSERT_TRUE(e);
	la = dfx_la(e, DFX_DATA);
	dfx_thread_init(&t);
	ASSERT_SGX(dfx_enter(&t, e, DFX_TCS0), SGX_SUCCESS);
	ASSERT_SGX(dfx_access(&t, la, SGX_PF_W), SGX_SUCCESS); /* page-table entry present */
	ASSERT_EQ(softsgx_mprotect(la_ptr(e, DFX_DATA), PAGE, PROT_READ), 0);
	EXPECT_SGX(dfx_access(&t, la, 0), SGX_SUCCESS);
	ASSERT_EQ(dfx_access(&t, la, SGX_PF_W), DFX_EXCEPTION);
	EXPECT_EQ(t.exc.vector, SGX_VEC_PF);
	EXPECT_EQ(t.exc.error_code, 0x7);
	EXPECT_EQ(t.exc.addr, la);
	EXPECT_EQ(dfx_epcm(e, DFX_DATA).perm, SGX_SECINFO_R | SGX_SECINFO_W);
	dfx_thread_fini(&t);
	dfx_close(e);
}

TEST(mprotect_read_only_write_faults_6_on_untouched_page)
{
	struct dfx_encl *e = dfx_build();
	struct dfx_thread t;
	uint64_t la;

	ASSERT_TRUE(e);
	la = dfx_la(e, DFX_DATA + PAGE); /* never accessed: no page-table entry */
	dfx_thread_init(&t);
	ASSERT_EQ(softsgx_mprotect(la_ptr(e, DFX_DATA + PAGE), PAGE, PROT_READ), 0);
	ASSERT_SGX(dfx_enter(&t, e, DFX_TCS0), SGX_SUCCESS);
	ASSERT_EQ(dfx_access(&t, la, SGX_PF_W), DFX_EXCEPTION);
	EXPECT_EQ(t.exc.vector, SGX_VEC_PF);
	EXPECT_EQ(t.exc.error_code, 0x6);
	EXPECT_EQ(t.exc.addr, la);
	dfx_thread_fini(&t);
	dfx_close(e);
}

TEST(mprotect_back_to_read_write_restores_writes)
{
	struct dfx_encl *e = dfx_build();
	struct dfx_thread t;
	uint64_t la0, la1;

	ASSERT_TRUE(e);
	la0 = dfx_la(e, DFX_DATA);
	la1 = dfx_la(e, DFX_DATA + PAGE);
	dfx_thread_init(&t);
	ASSERT_SGX(dfx_enter(&t, e, DFX_TCS0), SGX_SUCCESS);
	ASSERT_SGX(dfx_access(&t, la0, SGX_PF_W), SGX_SUCCESS);
	ASSERT_EQ(softsgx_mprotect(la_ptr(e, DFX_DATA), 2 * PAGE, PROT_READ), 0);
	ASSERT_EQ(dfx_access(&t, la0, SGX_PF_W), DFX_EXCEPTION);
	EXPECT_EQ(t.exc.error_code, 0x7);
	ASSERT_SGX(dfx_resume(&t), SGX_SUCCESS);
	ASSERT_EQ(dfx_access(&t, la1, SGX_PF_W), DFX_EXCEPTION);
	EXPECT_EQ(t.exc.error_code, 0x6);
	ASSERT_EQ(softsgx_mprotect(la_ptr(e, DFX_DATA), 2 * PAGE, PROT_READ | PROT_WRITE), 0);
	ASSERT_SGX(dfx_resume(&t), SGX_SUCCESS);
	EXPECT_SGX(dfx_access(&t, la0, SGX_PF_W), SGX_SUCCESS);
	EXPECT_SGX(dfx_access(&t, la1, SGX_PF_W), SGX_SUCCESS);
	EXPECT_SGX(dfx_exit(&t), SGX_SUCCESS);
	dfx_thread_fini(&t);
	dfx_close(e);
}

/* A runtime's restrict loop (as Gramine's): EACCEPT what is pending, go on at offset + count. */
TEST(restrict_loop_accepts_pending_pages_and_continues)
{
	struct dfx_encl *e = dfx_build();
	struct sgx_enclave_restrict_permissions p;
	struct dfx_ipi ipi = { .aex = true };
	uint64_t si_pending, si_pr, done = 0;
	struct dfx_thread t;
	int i, calls = 0;

	dfx_ipi_uninstall(); /* none left behind by a test that stopped early */
	ASSERT_TRUE(e);
	dfx_thread_init(&t);
	ASSERT_SGX(dfx_enter(&t, e, DFX_TCS0), SGX_SUCCESS);
	si_pending = dfx_secinfo(e, 0, REG_RW | SGX_SECINFO_PENDING);
	si_pr = dfx_secinfo(e, 1, REG_R | SGX_SECINFO_PR);
	/* Pages 0, 2, 3 accepted; 1 and 4 only EAUGed (pending). */
	for (i = 0; i < 5; i++) {
		uint64_t la = dfx_la(e, DFX_FREE + i * PAGE);

		if (i == 1 || i == 4) {
			ASSERT_EQ(dfx_access(&t, la, SGX_PF_W), DFX_EXCEPTION);
			ASSERT_SGX(dfx_resume(&t), SGX_SUCCESS);
		} else {
			ASSERT_SGX(dfx_eaccept(&t, si_pending, la), SGX_SUCCESS);
		}
	}
	dfx_ipi_add(&ipi, &t);
	dfx_ipi_install(&ipi);
	while (done < 5 * PAGE && calls++ < 10) {
		if (!dfx_restrict(e, DFX_FREE + done, 5 * PAGE - done, SGX_SECINFO_R, &p)) {
			done += p.count;
			continue;
		}
		ASSERT_EQ(errno, EFAULT);
		ASSERT_EQ(p.result, SGX_PAGE_NOT_MODIFIABLE);
		done += p.count;
		if (!sgx_lp_in_enclave(t.lp))
			ASSERT_SGX(dfx_resume(&t), SGX_SUCCESS);
		ASSERT_SGX(dfx_eaccept(&t, si_pending, dfx_la(e, DFX_FREE + done)), SGX_SUCCESS);
	}
	EXPECT_EQ(done, 5 * PAGE);
	EXPECT_EQ(calls, 3);
	if (!sgx_lp_in_enclave(t.lp))
		ASSERT_SGX(dfx_resume(&t), SGX_SUCCESS);
	for (i = 0; i < 5; i++) {
		EXPECT_EQ(dfx_epcm(e, DFX_FREE + i * PAGE).perm, SGX_SECINFO_R);
		EXPECT_SGX(dfx_eaccept(&t, si_pr, dfx_la(e, DFX_FREE + i * PAGE)), SGX_SUCCESS);
	}
	EXPECT_SGX(dfx_exit(&t), SGX_SUCCESS);
	dfx_ipi_uninstall();
	dfx_thread_fini(&t);
	dfx_close(e);
}

/* A new thread: EAUG a TCS page and its SSA, write the TCS, convert, accept, enter. */
TEST(new_tcs_added_converted_accepted_entered)
{
	struct dfx_encl *e = dfx_build();
	struct sgx_enclave_modify_types m;
	struct dfx_ipi ipi = { .aex = true };
	struct dfx_thread t, t2;
	struct sgx_tcs *tcs;
	int i;

	dfx_ipi_uninstall(); /* none left behind by a test that stopped early */
	ASSERT_TRUE(e);
	dfx_thread_init(&t);
	dfx_thread_init(&t2);
	ASSERT_SGX(dfx_enter(&t, e, DFX_TCS0), SGX_SUCCESS);
	for (i = 0; i < 3; i++)
		ASSERT_SGX(dfx_eaccept(&t, dfx_secinfo(e, 0, REG_RW | SGX_SECINFO_PENDING),
				       dfx_la(e, DFX_FREE + i * PAGE)), SGX_SUCCESS);
	/* The enclave writes the new TCS while the page is still REG. */
	tcs = dfx_mem(e, DFX_FREE);
	memset(tcs, 0, sizeof(*tcs));
	tcs->ossa = DFX_FREE + PAGE;
	tcs->nssa = 2;
	tcs->oentry = DFX_CODE;
	dfx_ipi_add(&ipi, &t);
	dfx_ipi_install(&ipi);

	ASSERT_EQ(dfx_modify(e, DFX_FREE, PAGE, SGX_PAGE_TYPE_TCS, &m), 0);
	EXPECT_EQ(m.count, PAGE);
	EXPECT_EQ(t.interrupted, 1);
	/* Not enterable before the enclave accepts it (MODIFIED). */
	EXPECT_EQ(dfx_enter(&t2, e, DFX_FREE), SGX_PF);
	ASSERT_SGX(dfx_resume(&t), SGX_SUCCESS);
	EXPECT_SGX(dfx_eaccept(&t, dfx_secinfo(e, 0, SGX_SECINFO_TCS | SGX_SECINFO_MODIFIED),
			       dfx_la(e, DFX_FREE)), SGX_SUCCESS);
	EXPECT_EQ(dfx_epcm(e, DFX_FREE).type, SGX_PAGE_TYPE_TCS);
	EXPECT_TRUE(!dfx_epcm(e, DFX_FREE).modified);
	EXPECT_SGX(dfx_enter(&t2, e, DFX_FREE), SGX_SUCCESS);
	EXPECT_EQ(sgx_lp_tcs(t2.lp), dfx_la(e, DFX_FREE));
	EXPECT_SGX(dfx_access(&t2, dfx_la(e, DFX_DATA), SGX_PF_W), SGX_SUCCESS);
	EXPECT_SGX(dfx_exit(&t2), SGX_SUCCESS);
	EXPECT_SGX(dfx_exit(&t), SGX_SUCCESS);
	dfx_ipi_uninstall();
	dfx_thread_fini(&t);
	dfx_thread_fini(&t2);
	dfx_close(e);
}

/* Trim and remove, then the address is EAUG territory again. */
TEST(trim_accept_remove_then_eaug_fresh_page)
{
	struct dfx_encl *e = dfx_build();
	struct sgx_enclave_remove_pages r;
	struct dfx_ipi ipi = { .aex = true };
	struct dfx_thread t;
	uint64_t la;
	uint8_t *mem;

	dfx_ipi_uninstall(); /* none left behind by a test that stopped early */
	ASSERT_TRUE(e);
	la = dfx_la(e, DFX_FREE);
	dfx_thread_init(&t);
	ASSERT_SGX(dfx_enter(&t, e, DFX_TCS0), SGX_SUCCESS);
	ASSERT_SGX(dfx_eaccept(&t, dfx_secinfo(e, 0, REG_RW | SGX_SECINFO_PENDING), la), SGX_SUCCESS);
	ASSERT_SGX(dfx_access(&t, la, SGX_PF_W), SGX_SUCCESS);
	memset(dfx_mem(e, DFX_FREE), 0x5A, PAGE);
	dfx_ipi_add(&ipi, &t);
	dfx_ipi_install(&ipi);

	ASSERT_EQ(dfx_modify(e, DFX_FREE, PAGE, SGX_PAGE_TYPE_TRIM, NULL), 0);
	/* Removal before the enclave accepted the trim is refused. */
	EXPECT_ERRNO(dfx_remove(e, DFX_FREE, PAGE, &r), EPERM);
	EXPECT_EQ(r.count, 0);
	ASSERT_SGX(dfx_resume(&t), SGX_SUCCESS);
	ASSERT_SGX(dfx_eaccept(&t, dfx_secinfo(e, 0, TRIM_M), la), SGX_SUCCESS);
	EXPECT_EQ(dfx_remove(e, DFX_FREE, PAGE, &r), 0);
	EXPECT_EQ(r.count, PAGE);
	EXPECT_TRUE(!dfx_epcm(e, DFX_FREE).valid);

	/* The next EACCEPT there faults, the kernel EAUGs a zeroed page, EACCEPT succeeds. */
	EXPECT_SGX(dfx_eaccept(&t, dfx_secinfo(e, 0, REG_RW | SGX_SECINFO_PENDING), la), SGX_SUCCESS);
	EXPECT_TRUE(dfx_epcm(e, DFX_FREE).valid);
	EXPECT_TRUE(!dfx_epcm(e, DFX_FREE).pending);
	mem = dfx_mem(e, DFX_FREE);
	EXPECT_EQ(mem[0], 0);
	EXPECT_EQ(mem[123], 0);
	EXPECT_SGX(dfx_access(&t, la, SGX_PF_W), SGX_SUCCESS);
	EXPECT_SGX(dfx_exit(&t), SGX_SUCCESS);
	dfx_ipi_uninstall();
	dfx_thread_fini(&t);
	dfx_close(e);
}
