/* SPDX-License-Identifier: MIT */
/*
 * munmap() of enclave mappings: the mapping (and its page-table entries)
 * goes, a later fault there is no longer the driver's, the enclave's pages
 * stay until the last file reference goes. Every mapping holds a reference
 * like a file: close(fd) with mappings left keeps the enclave alive, and
 * its EPC comes back only after munmap and close both happened.
 */
#include "common.h"

/* Is @addr mapped at all in the real process (/proc/self/maps)? */
static bool host_mapped(uint64_t addr)
{
	char perms[5];

	return dfx_maps_lookup(addr, perms, NULL, 0);
}

TEST_BUILT(munmap_removes_mapping_fault_not_ours)
{
	uint32_t pfec = 0;

	ASSERT_EQ(dfx_vma_fault(dfx_la(e, DFX_FREE), 0, &pfec), SGX_FAULT_RETRY);
	ASSERT_EQ(dfx_unmap(e, DFX_FREE, 4 * PAGE), 0);
	EXPECT_TRUE(!host_mapped(dfx_la(e, DFX_FREE)));
	EXPECT_TRUE(!host_mapped(dfx_la(e, DFX_FREE + 3 * PAGE)));
	EXPECT_EQ(dfx_vma_fault(dfx_la(e, DFX_FREE), 0, &pfec), SGX_FAULT_NOT_OURS);
	EXPECT_EQ(dfx_vma_fault(dfx_la(e, DFX_FREE + PAGE), SGX_PF_W, &pfec), SGX_FAULT_NOT_OURS);
	/* The page EAUGed before stays (pages live as long as the enclave). */
	EXPECT_TRUE(dfx_epcm(e, DFX_FREE).valid);
	/* Around the hole the mappings are still the driver's. */
	EXPECT_TRUE(host_mapped(dfx_la(e, DFX_FREE - PAGE)));
	EXPECT_EQ(dfx_vma_fault(dfx_la(e, DFX_FREE + 4 * PAGE), 0, &pfec), SGX_FAULT_RETRY);
}

/*
 * The enclave touching an address without a mapping: Linux's SIGSEGV
 * (SEGV_MAPERR) reaches the vDSO caller as #PF with the hardware code
 * (0x4 read / 0x6 write, not present).
 */
TEST_BUILT(munmap_then_enclave_access_reports_plain_pf)
{
	struct dfx_thread t;

	ASSERT_EQ(dfx_unmap(e, DFX_DATA + PAGE, PAGE), 0);
	dfx_thread_init(&t);
	ASSERT_SGX(dfx_enter(&t, e, DFX_TCS0), SGX_SUCCESS);
	ASSERT_PF(&t, dfx_la(e, DFX_DATA + PAGE), 0, SGX_PF_U);
	ASSERT_SGX(dfx_resume(&t), SGX_SUCCESS);
	ASSERT_PF(&t, dfx_la(e, DFX_DATA + PAGE), SGX_PF_W, SGX_PF_U | SGX_PF_W);
	ASSERT_SGX(dfx_resume(&t), SGX_SUCCESS);
	/* The neighbours still work. */
	EXPECT_SGX(dfx_access(&t, dfx_la(e, DFX_DATA), SGX_PF_W), SGX_SUCCESS);
	EXPECT_SGX(dfx_access(&t, dfx_la(e, DFX_DATA + 2 * PAGE), SGX_PF_W), SGX_SUCCESS);
	EXPECT_SGX(dfx_exit(&t), SGX_SUCCESS);
	dfx_thread_fini(&t);
}

/* The page-table entries go with the mapping: a new mapping faults again. */
TEST_BUILT(munmap_then_remap_pages_kept_refaulted)
{
	struct dfx_thread t;
	uint64_t maps;

	*(uint32_t *)dfx_mem(e, DFX_DATA) = 0xfeedf00d;
	ASSERT_TRUE(dfx_touch_pages(e, DFX_DATA, 1, SGX_PF_W));
	ASSERT_EQ(dfx_unmap(e, DFX_DATA, PAGE), 0);
	ASSERT_EQ(dfx_map(e, DFX_DATA, PAGE, RW), dfx_la(e, DFX_DATA));
	maps = DFX_COUNT(SOFTSGX_CNT_FAULT_MAP);
	dfx_thread_init(&t);
	ASSERT_SGX(dfx_enter(&t, e, DFX_TCS0), SGX_SUCCESS);
	EXPECT_SGX(dfx_access(&t, dfx_la(e, DFX_DATA), 0), SGX_SUCCESS);
	EXPECT_EQ(DFX_COUNT(SOFTSGX_CNT_FAULT_MAP), maps + 1);
	EXPECT_SGX(dfx_exit(&t), SGX_SUCCESS);
	EXPECT_EQ(*(volatile uint32_t *)dfx_ptr(e, DFX_DATA), 0xfeedf00d);
	dfx_thread_fini(&t);
}

TEST_BUILT(munmap_len_zero_einval)
{
	EXPECT_ERRNO(dfx_unmap(e, DFX_FREE, 0), EINVAL);
	EXPECT_ERRNO(dfx_unmap(e, DFX_FREE + 1, PAGE), EINVAL);
	EXPECT_TRUE(host_mapped(dfx_la(e, DFX_FREE)));
}

/* do_vmi_munmap(): a range reaching beyond user space is EINVAL; nothing is unmapped. */
TEST_BUILT(munmap_len_beyond_user_space_einval)
{
	EXPECT_ERRNO(dfx_unmap(e, DFX_FREE, (uint64_t)-1), EINVAL);
	EXPECT_ERRNO(dfx_unmap(e, DFX_FREE, 0x800000000000ull), EINVAL);
	EXPECT_ERRNO(softsgx_munmap((void *)0x800000000000ull, PAGE), EINVAL);
	EXPECT_TRUE(host_mapped(dfx_la(e, DFX_FREE)));
}

/* munmap, then close: the last reference frees every EPC page (SECS and VA page too). */
TEST(munmap_then_close_frees_epc)
{
	size_t free0 = dfx_free_epc(), used;
	struct dfx_thread t;
	struct dfx_encl *e = dfx_build_entered(&t);

	ASSERT_TRUE(e);
	ASSERT_SGX(dfx_eaccept(&t, dfx_secinfo(e, 0, REG_RW | SGX_SECINFO_PENDING),
			       dfx_la(e, DFX_FREE)), SGX_SUCCESS);
	ASSERT_SGX(dfx_exit(&t), SGX_SUCCESS);
	used = free0 - dfx_free_epc();
	EXPECT_EQ(used, 1 + 1 + 11 + 1); /* VA page, SECS, the layout's pages, the EAUGed page */
	ASSERT_EQ(softsgx_munmap(e->reservation, e->reservation_len), 0);
	e->reservation = NULL;
	EXPECT_EQ(dfx_free_epc(), free0 - used); /* the fd still holds the enclave */
	ASSERT_EQ(softsgx_close(e->fd), 0);
	e->fd = -1;
	EXPECT_EQ(dfx_free_epc(), free0);
	dfx_thread_fini(&t);
	dfx_close(e);
}

/* close(fd) with mappings left: the enclave lives on until munmap. */
TEST(munmap_mapping_keeps_enclave_alive_after_close)
{
	size_t free0 = dfx_free_epc(), free1;
	struct dfx_encl *e = dfx_build();
	struct dfx_thread t;

	ASSERT_TRUE(e);
	/* The SECINFO the thread uses is written while the fd is still there. */
	dfx_secinfo(e, 0, REG_RW | SGX_SECINFO_PENDING);
	free1 = dfx_free_epc();
	ASSERT_EQ(softsgx_close(e->fd), 0);
	e->fd = -1;
	EXPECT_EQ(dfx_free_epc(), free1);
	dfx_thread_init(&t);
	ASSERT_SGX(dfx_enter(&t, e, DFX_TCS0), SGX_SUCCESS);
	EXPECT_SGX(dfx_access(&t, dfx_la(e, DFX_DATA), SGX_PF_W), SGX_SUCCESS);
	/* Even EAUG works: the mapping leads the fault handler to the enclave. */
	EXPECT_SGX(dfx_eaccept(&t, dfx_la(e, DFX_SECINFO), dfx_la(e, DFX_FREE)), SGX_SUCCESS);
	EXPECT_EQ(dfx_free_epc(), free1 - 1);
	EXPECT_SGX(dfx_exit(&t), SGX_SUCCESS);
	/* Unmapping part keeps it alive; unmapping the last mapping ends it. */
	ASSERT_EQ(dfx_unmap(e, 0, DFX_DATA), 0);
	EXPECT_EQ(dfx_free_epc(), free1 - 1);
	ASSERT_EQ(softsgx_munmap(e->reservation, e->reservation_len), 0);
	e->reservation = NULL;
	EXPECT_EQ(dfx_free_epc(), free0);
	dfx_thread_fini(&t);
	dfx_close(e);
}
