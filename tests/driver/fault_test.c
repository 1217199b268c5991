/* SPDX-License-Identifier: MIT */
/*
 * The fault path (mm/fault.c, then Linux's sgx_vma_fault), through the
 * simulated enclave thread and directly: EAUG of an unbacked address after
 * INIT; SIGBUS before INIT, outside ELRANGE and for a mapping beyond the
 * page's maximum (reported by the vDSO with the plain hardware code); #PF
 * without the SGX bit where the mapping forbids the access; #PF with it
 * where the EPCM does (pending, restricted, TRIM and TCS pages).
 */
#include "common.h"

/*
 * The default enclave, but mapped before its pages are added: [0, DFX_CODE)
 * RW (TCS, SSA), then [DFX_CODE, @hi_end) with @hi_prot, which may exceed
 * what the pages added there allow. Initialized.
 */
static struct dfx_encl *build_mapped_early(uint64_t hi_end, int hi_prot)
{
	struct dfx_encl *e = dfx_new_created(0);
	int ret = e ? 0 : -EIO;

	if (!ret && dfx_map(e, 0, DFX_CODE, RW) == MAP_FAILED)
		ret = -errno;
	if (!ret && dfx_map(e, DFX_CODE, hi_end - DFX_CODE, hi_prot) == MAP_FAILED)
		ret = -errno;
	if (!ret)
		ret = dfx_add_layout(e);
	if (!ret && dfx_init(e))
		ret = -errno;
	if (ret) {
		harness_fail(__FILE__, __LINE__, "building: %s", strerrorname_np(-ret));
		dfx_close(e);
		return NULL;
	}
	return e;
}

/* EAUG on fault */

TEST_BUILT(fault_unbacked_after_init_eaugs_pending_page)
{
	uint64_t eaug = DFX_COUNT(SOFTSGX_CNT_FAULT_EAUG), sigbus = DFX_COUNT(SOFTSGX_CNT_FAULT_SIGBUS);
	struct sgx_epcm_info info;
	uint32_t pfec;

	/* No matter who faulted (here: untrusted code, a write): EAUG. */
	EXPECT_EQ(dfx_vma_fault(dfx_la(e, DFX_FREE) + 0x123, SGX_PF_W, &pfec), SGX_FAULT_RETRY);
	EXPECT_EQ(DFX_COUNT(SOFTSGX_CNT_FAULT_EAUG), eaug + 1);
	EXPECT_EQ(DFX_COUNT(SOFTSGX_CNT_FAULT_SIGBUS), sigbus);
	info = dfx_epcm(e, DFX_FREE);
	EXPECT_TRUE(info.valid);
	EXPECT_TRUE(info.pending);
	EXPECT_EQ(info.type, SGX_PAGE_TYPE_REG);
	EXPECT_EQ(info.perm, SGX_SECINFO_R | SGX_SECINFO_W);
	EXPECT_EQ(info.linaddr, dfx_la(e, DFX_FREE));
	/* The new page's maximum is RWX. */
	EXPECT_EQ(dfx_map(e, DFX_FREE, PAGE, RWX), dfx_la(e, DFX_FREE));
}

/* The enclave reads an unbacked address: EAUG, then the pending page's EPCM #PF. */
TEST_ENTERED(fault_enclave_read_unbacked_eaug_then_8005)
{
	uint64_t eaug = DFX_COUNT(SOFTSGX_CNT_FAULT_EAUG), epcm = DFX_COUNT(SOFTSGX_CNT_FAULT_EPCM);

	EXPECT_PF(t, dfx_la(e, DFX_FREE + PAGE), 0, SGX_PF_SGX | SGX_PF_U | SGX_PF_P);
	EXPECT_EQ(DFX_COUNT(SOFTSGX_CNT_FAULT_EAUG), eaug + 1);
	EXPECT_EQ(DFX_COUNT(SOFTSGX_CNT_FAULT_EPCM), epcm + 1);
	EXPECT_TRUE(dfx_epcm(e, DFX_FREE + PAGE).pending);
	/* EACCEPT makes it usable; no second EAUG. */
	EXPECT_TRUE(dfx_eaug_accept(t, e, DFX_FREE + PAGE, 1));
	EXPECT_SGX(dfx_access(t, dfx_la(e, DFX_FREE + PAGE), SGX_PF_W), SGX_SUCCESS);
	EXPECT_EQ(DFX_COUNT(SOFTSGX_CNT_FAULT_EAUG), eaug + 1);
	EXPECT_SGX(dfx_exit(t), SGX_SUCCESS);
}

TEST_ENTERED(fault_existing_page_mapped)
{
	/* Counted from here: EENTER mapped the TCS and SSA. */
	uint64_t maps = DFX_COUNT(SOFTSGX_CNT_FAULT_MAP), eaug = DFX_COUNT(SOFTSGX_CNT_FAULT_EAUG);

	EXPECT_SGX(dfx_access(t, dfx_la(e, DFX_DATA + PAGE), 0), SGX_SUCCESS);
	EXPECT_EQ(DFX_COUNT(SOFTSGX_CNT_FAULT_MAP), maps + 1);
	/* Mapped now: no second fault. */
	EXPECT_SGX(dfx_access(t, dfx_la(e, DFX_DATA + PAGE), SGX_PF_W), SGX_SUCCESS);
	EXPECT_EQ(DFX_COUNT(SOFTSGX_CNT_FAULT_MAP), maps + 1);
	EXPECT_EQ(DFX_COUNT(SOFTSGX_CNT_FAULT_EAUG), eaug);
	EXPECT_SGX(dfx_exit(t), SGX_SUCCESS);
}

/* SIGBUS */

TEST_WITH(fault_unbacked_before_init_sigbus, dfx_new_layout())
{
	uint64_t sigbus = DFX_COUNT(SOFTSGX_CNT_FAULT_SIGBUS), eaug = DFX_COUNT(SOFTSGX_CNT_FAULT_EAUG);
	uint32_t pfec = 0;

	ASSERT_EQ(dfx_map(e, 0, DFX_SIZE, PROT_NONE), dfx_la(e, 0));
	ASSERT_EQ(dfx_map(e, DFX_FREE, PAGE, RW), dfx_la(e, DFX_FREE));
	EXPECT_EQ(dfx_vma_fault(dfx_la(e, DFX_FREE), SGX_PF_W, &pfec), SGX_FAULT_SIGBUS);
	EXPECT_EQ(pfec, SGX_PF_U | SGX_PF_W);
	EXPECT_EQ(DFX_COUNT(SOFTSGX_CNT_FAULT_SIGBUS), sigbus + 1);
	EXPECT_EQ(DFX_COUNT(SOFTSGX_CNT_FAULT_EAUG), eaug);
	EXPECT_TRUE(!dfx_epcm(e, DFX_FREE).valid);
}

/* A mapping made before INIT that reaches beyond ELRANGE: no EAUG there. */
TEST_WITH(fault_outside_elrange_sigbus, build_mapped_early(DFX_SIZE + 2 * PAGE, RW))
{
	uint64_t sigbus = DFX_COUNT(SOFTSGX_CNT_FAULT_SIGBUS), eaug = DFX_COUNT(SOFTSGX_CNT_FAULT_EAUG);
	struct dfx_thread t;

	dfx_thread_init(&t);
	ASSERT_SGX(dfx_enter(&t, e, DFX_TCS0), SGX_SUCCESS);
	EXPECT_PF(&t, dfx_la(e, DFX_SIZE), 0, SGX_PF_U);
	EXPECT_PF(&t, dfx_la(e, DFX_SIZE + PAGE), SGX_PF_W, SGX_PF_U | SGX_PF_W);
	EXPECT_EQ(DFX_COUNT(SOFTSGX_CNT_FAULT_SIGBUS), sigbus + 2);
	EXPECT_EQ(DFX_COUNT(SOFTSGX_CNT_FAULT_EAUG), eaug);
	/* Inside ELRANGE the same mapping EAUGs. */
	EXPECT_TRUE(dfx_eaug_accept(&t, e, DFX_SIZE - PAGE, 1));
	EXPECT_EQ(DFX_COUNT(SOFTSGX_CNT_FAULT_EAUG), eaug + 1);
	EXPECT_SGX(dfx_exit(&t), SGX_SUCCESS);
	dfx_thread_fini(&t);
}

/* The mapping's R/W/X beyond the page's maximum (mapped RWX before an R page was added). */
TEST_WITH(fault_mapping_beyond_page_max_sigbus, build_mapped_early(DFX_SIZE, RWX))
{
	uint64_t sigbus = DFX_COUNT(SOFTSGX_CNT_FAULT_SIGBUS);
	struct dfx_thread t;

	dfx_thread_init(&t);
	ASSERT_SGX(dfx_enter(&t, e, DFX_TCS0), SGX_SUCCESS);
	/* The access itself (a read) is allowed by both: the mapping is what is wrong. */
	EXPECT_PF(&t, dfx_la(e, DFX_RODATA), 0, SGX_PF_U);
	EXPECT_PF(&t, dfx_la(e, DFX_DATA), SGX_PF_W, SGX_PF_U | SGX_PF_W);
	EXPECT_EQ(DFX_COUNT(SOFTSGX_CNT_FAULT_SIGBUS), sigbus + 2);
	/* EAUGed pages (maximum RWX) are fine under the same mapping (the SECINFO
	 * EACCEPT reads is in a data page: that one needs a mapping within RW). */
	ASSERT_EQ(dfx_map(e, DFX_DATA, 3 * PAGE, RW), dfx_la(e, DFX_DATA));
	EXPECT_TRUE(dfx_eaug_accept(&t, e, DFX_FREE, 1));
	EXPECT_SGX(dfx_access(&t, dfx_la(e, DFX_FREE), SGX_PF_W), SGX_SUCCESS);
	EXPECT_SGX(dfx_exit(&t), SGX_SUCCESS);
	/* A mapping within the maximum cures it. */
	ASSERT_EQ(dfx_map(e, DFX_RODATA, PAGE, PROT_READ), dfx_la(e, DFX_RODATA));
	ASSERT_SGX(dfx_enter(&t, e, DFX_TCS0), SGX_SUCCESS);
	EXPECT_SGX(dfx_access(&t, dfx_la(e, DFX_RODATA), 0), SGX_SUCCESS);
	EXPECT_SGX(dfx_exit(&t), SGX_SUCCESS);
	dfx_thread_fini(&t);
}

/* The mapping forbids the access: #PF without the SGX bit */

TEST_BUILT(fault_read_prot_none_mapping_pf_4)
{
	uint64_t vma = DFX_COUNT(SOFTSGX_CNT_FAULT_VMA), eaug = DFX_COUNT(SOFTSGX_CNT_FAULT_EAUG);
	struct dfx_thread t;

	ASSERT_EQ(dfx_map(e, DFX_FREE, PAGE, PROT_NONE), dfx_la(e, DFX_FREE));
	ASSERT_EQ(dfx_map(e, DFX_DATA, PAGE, PROT_NONE), dfx_la(e, DFX_DATA));
	dfx_thread_init(&t);
	ASSERT_SGX(dfx_enter(&t, e, DFX_TCS0), SGX_SUCCESS);
	EXPECT_PF(&t, dfx_la(e, DFX_FREE), 0, SGX_PF_U);
	EXPECT_PF(&t, dfx_la(e, DFX_DATA), 0, SGX_PF_U);
	EXPECT_EQ(DFX_COUNT(SOFTSGX_CNT_FAULT_VMA), vma + 2);
	/* An access error never reaches the driver: no EAUG. */
	EXPECT_EQ(DFX_COUNT(SOFTSGX_CNT_FAULT_EAUG), eaug);
	EXPECT_TRUE(!dfx_epcm(e, DFX_FREE).valid);
	EXPECT_SGX(dfx_exit(&t), SGX_SUCCESS);
	dfx_thread_fini(&t);
}

TEST_BUILT(fault_write_read_only_mapping_not_present_pf_6)
{
	uint64_t vma = DFX_COUNT(SOFTSGX_CNT_FAULT_VMA);
	struct dfx_thread t;

	ASSERT_EQ(dfx_map(e, DFX_DATA + PAGE, PAGE, PROT_READ), dfx_la(e, DFX_DATA + PAGE));
	dfx_thread_init(&t);
	ASSERT_SGX(dfx_enter(&t, e, DFX_TCS0), SGX_SUCCESS);
	EXPECT_PF(&t, dfx_la(e, DFX_DATA + PAGE), SGX_PF_W, SGX_PF_U | SGX_PF_W);
	EXPECT_PF(&t, dfx_la(e, DFX_RODATA), SGX_PF_W, SGX_PF_U | SGX_PF_W);
	EXPECT_EQ(DFX_COUNT(SOFTSGX_CNT_FAULT_VMA), vma + 2);
	EXPECT_SGX(dfx_exit(&t), SGX_SUCCESS);
	dfx_thread_fini(&t);
}

/* A write through a PTE made read-only by mprotect: 0x7. */
TEST_ENTERED(fault_write_read_only_mapping_present_pf_7)
{
	ASSERT_SGX(dfx_access(t, dfx_la(e, DFX_DATA), 0), SGX_SUCCESS);
	ASSERT_SGX(dfx_access(t, dfx_la(e, DFX_RODATA), 0), SGX_SUCCESS);
	ASSERT_EQ(dfx_protect(e, DFX_DATA, PAGE, PROT_READ), 0);
	EXPECT_PF(t, dfx_la(e, DFX_DATA), SGX_PF_W, SGX_PF_U | SGX_PF_W | SGX_PF_P);
	EXPECT_PF(t, dfx_la(e, DFX_RODATA), SGX_PF_W, SGX_PF_U | SGX_PF_W | SGX_PF_P);
	EXPECT_SGX(dfx_exit(t), SGX_SUCCESS);
}

TEST_ENTERED(fault_fetch_non_exec_mapping_pf_15)
{
	ASSERT_SGX(dfx_access(t, dfx_la(e, DFX_DATA), 0), SGX_SUCCESS);
	EXPECT_PF(t, dfx_la(e, DFX_DATA), SGX_PF_I, SGX_PF_U | SGX_PF_I | SGX_PF_P);
	EXPECT_SGX(dfx_exit(t), SGX_SUCCESS);
}

/*
 * x86 page tables cannot deny reads: only a read of a PROT_NONE mapping is
 * an access error (mm/fault.c, vma_is_accessible); a write-only mapping of
 * an RW page reads.
 */
TEST_ENTERED(fault_read_write_only_mapping_succeeds)
{
	int i;

	ASSERT_TRUE(dfx_eaug_accept(t, e, DFX_FREE, 1));
	ASSERT_SGX(dfx_exit(t), SGX_SUCCESS);
	ASSERT_EQ(dfx_map(e, DFX_FREE, 2 * PAGE, PROT_WRITE), dfx_la(e, DFX_FREE));
	ASSERT_SGX(dfx_enter(t, e, DFX_TCS0), SGX_SUCCESS);
	/* Not present (the new mapping has no PTE yet), then present. */
	for (i = 0; i < 2; i++) {
		int r = dfx_access(t, dfx_la(e, DFX_FREE), 0);

		if (r == DFX_EXCEPTION) {
			harness_fail(__FILE__, __LINE__, "read %d of the write-only mapping: #PF %#x",
				     i, t->exc.error_code);
			ASSERT_SGX(dfx_resume(t), SGX_SUCCESS);
		} else {
			EXPECT_SGX(r, SGX_SUCCESS);
		}
	}
	EXPECT_SGX(dfx_access(t, dfx_la(e, DFX_FREE), SGX_PF_W), SGX_SUCCESS);
	if (sgx_lp_in_enclave(t->lp))
		dfx_exit(t);
}

/* The EPCM forbids the access: #PF with the SGX bit */

/* Thread @t (inside) EAUGs and accepts DFX_FREE, leaves, RESTRICTs it to @perm and enters again. */
static bool restricted_free_page(struct dfx_encl *e, struct dfx_thread *t, uint64_t perm)
{
	return dfx_eaug_accept(t, e, DFX_FREE, 1) &&
	       dfx_access(t, dfx_la(e, DFX_FREE), SGX_PF_W) == SGX_SUCCESS &&
	       dfx_exit(t) == SGX_SUCCESS && dfx_restrict(e, DFX_FREE, PAGE, perm, NULL) == 0 &&
	       dfx_enter(t, e, DFX_TCS0) == SGX_SUCCESS;
}

TEST_ENTERED(fault_epcm_restricted_write_pf_8007)
{
	uint64_t epcm = DFX_COUNT(SOFTSGX_CNT_FAULT_EPCM);

	ASSERT_TRUE(restricted_free_page(e, t, SGX_SECINFO_R));
	EXPECT_SGX(dfx_access(t, dfx_la(e, DFX_FREE), 0), SGX_SUCCESS);
	EXPECT_PF(t, dfx_la(e, DFX_FREE), SGX_PF_W, SGX_PF_SGX | SGX_PF_U | SGX_PF_W | SGX_PF_P);
	EXPECT_EQ(DFX_COUNT(SOFTSGX_CNT_FAULT_EPCM), epcm + 1);
	/* The mapping still allows the write: only the EPCM changed. */
	EXPECT_EQ(dfx_map(e, DFX_FREE, PAGE, RWX), dfx_la(e, DFX_FREE));
	EXPECT_SGX(dfx_exit(t), SGX_SUCCESS);
}

TEST_ENTERED(fault_epcm_no_permissions_read_pf_8005)
{
	ASSERT_TRUE(restricted_free_page(e, t, 0));
	EXPECT_PF(t, dfx_la(e, DFX_FREE), 0, SGX_PF_SGX | SGX_PF_U | SGX_PF_P);
	EXPECT_SGX(dfx_exit(t), SGX_SUCCESS);
}

TEST_BUILT(fault_epcm_fetch_not_executable_pf_8015)
{
	struct dfx_thread t;

	ASSERT_EQ(dfx_map(e, DFX_FREE, PAGE, RWX), dfx_la(e, DFX_FREE));
	dfx_thread_init(&t);
	ASSERT_SGX(dfx_enter(&t, e, DFX_TCS0), SGX_SUCCESS);
	ASSERT_TRUE(dfx_eaug_accept(&t, e, DFX_FREE, 1));
	EXPECT_PF(&t, dfx_la(e, DFX_FREE), SGX_PF_I, SGX_PF_SGX | SGX_PF_U | SGX_PF_I | SGX_PF_P);
	EXPECT_SGX(dfx_exit(&t), SGX_SUCCESS);
	dfx_thread_fini(&t);
}

TEST_ENTERED(fault_pending_page_write_pf_8007)
{
	EXPECT_PF(t, dfx_la(e, DFX_FREE), SGX_PF_W, SGX_PF_SGX | SGX_PF_U | SGX_PF_W | SGX_PF_P);
	EXPECT_TRUE(dfx_epcm(e, DFX_FREE).pending);
	EXPECT_SGX(dfx_exit(t), SGX_SUCCESS);
}

/* A TRIM page is mapped like any other (type not looked at); the EPCM refuses the read. */
TEST_BUILT(fault_trim_page_read_pf_8005)
{
	uint64_t maps, epcm = DFX_COUNT(SOFTSGX_CNT_FAULT_EPCM);
	struct dfx_thread t;

	ASSERT_EQ(dfx_modify(e, DFX_DATA + PAGE, PAGE, SGX_PAGE_TYPE_TRIM, NULL), 0);
	dfx_thread_init(&t);
	ASSERT_SGX(dfx_enter(&t, e, DFX_TCS0), SGX_SUCCESS);
	maps = DFX_COUNT(SOFTSGX_CNT_FAULT_MAP);
	EXPECT_PF(&t, dfx_la(e, DFX_DATA + PAGE), 0, SGX_PF_SGX | SGX_PF_U | SGX_PF_P);
	EXPECT_EQ(DFX_COUNT(SOFTSGX_CNT_FAULT_MAP), maps + 1);
	EXPECT_EQ(DFX_COUNT(SOFTSGX_CNT_FAULT_EPCM), epcm + 1);
	EXPECT_EQ(dfx_epcm(e, DFX_DATA + PAGE).type, SGX_PAGE_TYPE_TRIM);
	EXPECT_SGX(dfx_exit(&t), SGX_SUCCESS);
	dfx_thread_fini(&t);
}

TEST_ENTERED(fault_tcs_page_read_pf_8005)
{
	EXPECT_PF(t, dfx_la(e, DFX_TCS1), 0, SGX_PF_SGX | SGX_PF_U | SGX_PF_P);
	EXPECT_PF(t, dfx_la(e, DFX_TCS0), SGX_PF_W, SGX_PF_SGX | SGX_PF_U | SGX_PF_W | SGX_PF_P);
	EXPECT_SGX(dfx_exit(t), SGX_SUCCESS);
}
