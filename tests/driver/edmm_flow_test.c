/* SPDX-License-Identifier: MIT */
/*
 * The EDMM flows through the driver: EAUG on fault, permission
 * restriction with the partial-success contract, mprotect/EPCM
 * independence, new TCS, trim and removal.
 */
#include "common.h"

TEST_BUILT(build_enter_exit)
{
	struct dfx_thread t;

	dfx_thread_init(&t);
	EXPECT_SGX(dfx_enter(&t, e, DFX_TCS0), SGX_SUCCESS);
	EXPECT_SGX(dfx_access(&t, dfx_la(e, DFX_DATA), SGX_PF_W), SGX_SUCCESS);
	EXPECT_SGX(dfx_exit(&t), SGX_SUCCESS);
	dfx_thread_fini(&t);
}

TEST_ENTERED(eaccept_unbacked_address_eaugs_transparently)
{
	uint64_t eaug_before = DFX_COUNT(SOFTSGX_CNT_FAULT_EAUG);

	EXPECT_SGX(dfx_eaccept(t, dfx_secinfo(e, 0, REG_RW | SGX_SECINFO_PENDING),
			       dfx_la(e, DFX_FREE)), SGX_SUCCESS);
	EXPECT_EQ(DFX_COUNT(SOFTSGX_CNT_FAULT_EAUG), eaug_before + 1);
	EXPECT_SGX(dfx_access(t, dfx_la(e, DFX_FREE), SGX_PF_W), SGX_SUCCESS);
	EXPECT_SGX(dfx_exit(t), SGX_SUCCESS);
}

TEST_ENTERED(write_to_fresh_page_faults_8007_until_accepted)
{
	ASSERT_PF(t, dfx_la(e, DFX_FREE + PAGE), SGX_PF_W, 0x8007);
	EXPECT_TRUE(dfx_epcm(e, DFX_FREE + PAGE).pending);
}

/* dsgx2: mprotect and the EPCM are independent; the full EDMM flows. */

/*
 * The kernel restricts a data page's EPCM to R; the enclave accepts it.
 * mprotect() to RW succeeds (it never looks at the EPCM), but a write still
 * faults with the SGX bit; only the enclave's EMODPE gives W back.
 */
TEST_FLOW(mprotect_does_not_extend_epcm_permissions)
{
	struct dfx_ipi ipi = { .aex = true };
	uint64_t la = dfx_la(e, DFX_DATA);

	ASSERT_SGX(dfx_access(t, la, SGX_PF_W), SGX_SUCCESS);
	dfx_ipi_add(&ipi, t);
	dfx_ipi_install(&ipi);

	ASSERT_EQ(dfx_restrict(e, DFX_DATA, PAGE, SGX_SECINFO_R, NULL), 0);
	EXPECT_EQ(t->interrupted, 1);
	ASSERT_SGX(dfx_resume(t), SGX_SUCCESS);
	EXPECT_SGX(dfx_eaccept(t, dfx_secinfo(e, 0, REG_R | SGX_SECINFO_PR), la), SGX_SUCCESS);
	EXPECT_EQ(dfx_epcm(e, DFX_DATA).perm, SGX_SECINFO_R);
	EXPECT_TRUE(!dfx_epcm(e, DFX_DATA).pr);
	EXPECT_SGX(dfx_access(t, la, 0), SGX_SUCCESS);

	EXPECT_EQ(dfx_protect(e, DFX_DATA, PAGE, RW), 0);
	ASSERT_PF(t, la, SGX_PF_W, 0x8007);
	EXPECT_EQ(dfx_epcm(e, DFX_DATA).perm, SGX_SECINFO_R);

	ASSERT_SGX(dfx_resume(t), SGX_SUCCESS);
	EXPECT_SGX(dfx_emodpe(t, dfx_secinfo(e, 0, SGX_SECINFO_R | SGX_SECINFO_W), la), SGX_SUCCESS);
	EXPECT_EQ(dfx_epcm(e, DFX_DATA).perm, SGX_SECINFO_R | SGX_SECINFO_W);
	EXPECT_SGX(dfx_access(t, la, SGX_PF_W), SGX_SUCCESS);
	EXPECT_SGX(dfx_exit(t), SGX_SUCCESS);
}

/* The other direction: the mapping refuses (no SGX bit) although the EPCM allows. */
TEST_ENTERED(mprotect_read_only_write_faults_7_on_mapped_page)
{
	uint64_t la = dfx_la(e, DFX_DATA);

	ASSERT_SGX(dfx_access(t, la, SGX_PF_W), SGX_SUCCESS); /* page-table entry present */
	ASSERT_EQ(dfx_protect(e, DFX_DATA, PAGE, PROT_READ), 0);
	EXPECT_SGX(dfx_access(t, la, 0), SGX_SUCCESS);
	ASSERT_PF(t, la, SGX_PF_W, 0x7);
	EXPECT_EQ(dfx_epcm(e, DFX_DATA).perm, SGX_SECINFO_R | SGX_SECINFO_W);
}

TEST_ENTERED(mprotect_read_only_write_faults_6_on_untouched_page)
{
	uint64_t la = dfx_la(e, DFX_DATA + PAGE); /* never accessed: no page-table entry */

	ASSERT_EQ(dfx_protect(e, DFX_DATA + PAGE, PAGE, PROT_READ), 0);
	ASSERT_PF(t, la, SGX_PF_W, 0x6);
}

TEST_ENTERED(mprotect_back_to_read_write_restores_writes)
{
	uint64_t la0 = dfx_la(e, DFX_DATA), la1 = dfx_la(e, DFX_DATA + PAGE);

	ASSERT_SGX(dfx_access(t, la0, SGX_PF_W), SGX_SUCCESS);
	ASSERT_EQ(dfx_protect(e, DFX_DATA, 2 * PAGE, PROT_READ), 0);
	ASSERT_EQ(dfx_access(t, la0, SGX_PF_W), DFX_EXCEPTION);
	EXPECT_EQ(t->exc.error_code, 0x7);
	ASSERT_SGX(dfx_resume(t), SGX_SUCCESS);
	ASSERT_EQ(dfx_access(t, la1, SGX_PF_W), DFX_EXCEPTION);
	EXPECT_EQ(t->exc.error_code, 0x6);
	ASSERT_EQ(dfx_protect(e, DFX_DATA, 2 * PAGE, RW), 0);
	ASSERT_SGX(dfx_resume(t), SGX_SUCCESS);
	EXPECT_SGX(dfx_access(t, la0, SGX_PF_W), SGX_SUCCESS);
	EXPECT_SGX(dfx_access(t, la1, SGX_PF_W), SGX_SUCCESS);
	EXPECT_SGX(dfx_exit(t), SGX_SUCCESS);
}

/* A runtime's restrict loop (as Gramine's): EACCEPT what is pending, go on at offset + count. */
TEST_FLOW(restrict_loop_accepts_pending_pages_and_continues)
{
	struct sgx_enclave_restrict_permissions p;
	struct dfx_ipi ipi = { .aex = true };
	uint64_t si_pending, si_pr, done = 0;
	int i, calls = 0;

	si_pending = dfx_secinfo(e, 0, REG_RW | SGX_SECINFO_PENDING);
	si_pr = dfx_secinfo(e, 1, REG_R | SGX_SECINFO_PR);
	/* Pages 0, 2, 3 accepted; 1 and 4 only EAUGed (pending). */
	for (i = 0; i < 5; i++) {
		uint64_t la = dfx_la(e, DFX_FREE + i * PAGE);

		if (i == 1 || i == 4) {
			ASSERT_EQ(dfx_access(t, la, SGX_PF_W), DFX_EXCEPTION);
			ASSERT_SGX(dfx_resume(t), SGX_SUCCESS);
		} else {
			ASSERT_SGX(dfx_eaccept(t, si_pending, la), SGX_SUCCESS);
		}
	}
	dfx_ipi_add(&ipi, t);
	dfx_ipi_install(&ipi);
	while (done < 5 * PAGE && calls++ < 10) {
		if (!dfx_restrict(e, DFX_FREE + done, 5 * PAGE - done, SGX_SECINFO_R, &p)) {
			done += p.count;
			continue;
		}
		ASSERT_EQ(errno, EFAULT);
		ASSERT_EQ(p.result, SGX_PAGE_NOT_MODIFIABLE);
		done += p.count;
		if (!sgx_lp_in_enclave(t->lp))
			ASSERT_SGX(dfx_resume(t), SGX_SUCCESS);
		ASSERT_SGX(dfx_eaccept(t, si_pending, dfx_la(e, DFX_FREE + done)), SGX_SUCCESS);
	}
	EXPECT_EQ(done, 5 * PAGE);
	EXPECT_EQ(calls, 3);
	if (!sgx_lp_in_enclave(t->lp))
		ASSERT_SGX(dfx_resume(t), SGX_SUCCESS);
	for (i = 0; i < 5; i++) {
		EXPECT_EQ(dfx_epcm(e, DFX_FREE + i * PAGE).perm, SGX_SECINFO_R);
		EXPECT_SGX(dfx_eaccept(t, si_pr, dfx_la(e, DFX_FREE + i * PAGE)), SGX_SUCCESS);
	}
	EXPECT_SGX(dfx_exit(t), SGX_SUCCESS);
}

/* A new thread: EAUG a TCS page and its SSA, write the TCS, convert, accept, enter. */
TEST_FLOW(new_tcs_added_converted_accepted_entered)
{
	struct sgx_enclave_modify_types m;
	struct dfx_ipi ipi = { .aex = true };
	struct dfx_thread t2;
	struct sgx_tcs *tcs;
	int i;

	for (i = 0; i < 3; i++)
		ASSERT_SGX(dfx_eaccept(t, dfx_secinfo(e, 0, REG_RW | SGX_SECINFO_PENDING),
				       dfx_la(e, DFX_FREE + i * PAGE)), SGX_SUCCESS);
	/* The enclave writes the new TCS while the page is still REG. */
	tcs = dfx_mem(e, DFX_FREE);
	memset(tcs, 0, sizeof(*tcs));
	tcs->ossa = DFX_FREE + PAGE;
	tcs->nssa = 2;
	tcs->oentry = DFX_CODE;
	dfx_ipi_add(&ipi, t);
	dfx_ipi_install(&ipi);

	ASSERT_EQ(dfx_modify(e, DFX_FREE, PAGE, SGX_PAGE_TYPE_TCS, &m), 0);
	EXPECT_EQ(m.count, PAGE);
	EXPECT_EQ(t->interrupted, 1);
	/* Not enterable before the enclave accepts it (MODIFIED). */
	dfx_thread_init(&t2);
	EXPECT_EQ(dfx_enter(&t2, e, DFX_FREE), SGX_PF);
	ASSERT_SGX(dfx_resume(t), SGX_SUCCESS);
	EXPECT_SGX(dfx_eaccept(t, dfx_secinfo(e, 0, SGX_SECINFO_TCS | SGX_SECINFO_MODIFIED),
			       dfx_la(e, DFX_FREE)), SGX_SUCCESS);
	EXPECT_EQ(dfx_epcm(e, DFX_FREE).type, SGX_PAGE_TYPE_TCS);
	EXPECT_TRUE(!dfx_epcm(e, DFX_FREE).modified);
	EXPECT_SGX(dfx_enter(&t2, e, DFX_FREE), SGX_SUCCESS);
	EXPECT_EQ(sgx_lp_tcs(t2.lp), dfx_la(e, DFX_FREE));
	EXPECT_SGX(dfx_access(&t2, dfx_la(e, DFX_DATA), SGX_PF_W), SGX_SUCCESS);
	EXPECT_SGX(dfx_exit(&t2), SGX_SUCCESS);
	EXPECT_SGX(dfx_exit(t), SGX_SUCCESS);
	dfx_thread_fini(&t2);
}

/* Trim and remove, then the address is EAUG territory again. */
TEST_FLOW(trim_accept_remove_then_eaug_fresh_page)
{
	struct sgx_enclave_remove_pages r;
	struct dfx_ipi ipi = { .aex = true };
	uint64_t la = dfx_la(e, DFX_FREE);
	uint8_t *mem;

	ASSERT_SGX(dfx_eaccept(t, dfx_secinfo(e, 0, REG_RW | SGX_SECINFO_PENDING), la), SGX_SUCCESS);
	ASSERT_SGX(dfx_access(t, la, SGX_PF_W), SGX_SUCCESS);
	memset(dfx_mem(e, DFX_FREE), 0x5A, PAGE);
	dfx_ipi_add(&ipi, t);
	dfx_ipi_install(&ipi);

	ASSERT_EQ(dfx_modify(e, DFX_FREE, PAGE, SGX_PAGE_TYPE_TRIM, NULL), 0);
	/* Removal before the enclave accepted the trim is refused. */
	EXPECT_ERRNO(dfx_remove(e, DFX_FREE, PAGE, &r), EPERM);
	EXPECT_EQ(r.count, 0);
	ASSERT_SGX(dfx_resume(t), SGX_SUCCESS);
	ASSERT_SGX(dfx_eaccept(t, dfx_secinfo(e, 0, TRIM_M), la), SGX_SUCCESS);
	EXPECT_EQ(dfx_remove(e, DFX_FREE, PAGE, &r), 0);
	EXPECT_EQ(r.count, PAGE);
	EXPECT_TRUE(!dfx_epcm(e, DFX_FREE).valid);

	/* The next EACCEPT there faults, the kernel EAUGs a zeroed page, EACCEPT succeeds. */
	EXPECT_SGX(dfx_eaccept(t, dfx_secinfo(e, 0, REG_RW | SGX_SECINFO_PENDING), la), SGX_SUCCESS);
	EXPECT_TRUE(dfx_epcm(e, DFX_FREE).valid);
	EXPECT_TRUE(!dfx_epcm(e, DFX_FREE).pending);
	mem = dfx_mem(e, DFX_FREE);
	EXPECT_EQ(mem[0], 0);
	EXPECT_EQ(mem[123], 0);
	EXPECT_SGX(dfx_access(t, la, SGX_PF_W), SGX_SUCCESS);
	EXPECT_SGX(dfx_exit(t), SGX_SUCCESS);
}
