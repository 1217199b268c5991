/* SPDX-License-Identifier: MIT */
/*
 * munmap() of enclave mappings: the mapping (and its page-table entries)
 * goes, a later fault there is no longer the driver's, the enclave's pages
 * stay until the last file reference goes. Every mapping holds a reference
 * like a file: close(fd) with mappings left keeps the enclave alive, and
 * its EPC comes back only after munmap and close both happened.
 */
#include <stdlib.h>

#include "dfx.h"

#define PAGE 4096ull
#define RW (PROT_READ | PROT_WRITE)
#define REG_RW (SGX_SECINFO_REG | SGX_SECINFO_R | SGX_SECINFO_W)

static void *map_at(struct dfx_encl *e, uint64_t offset, uint64_t len, int prot)
{
	return softsgx_mmap((void *)(uintptr_t)dfx_la(e, offset), len, prot, MAP_SHARED | MAP_FIXED,
			    e->fd, 0);
}

static int unmap(struct dfx_encl *e, uint64_t offset, uint64_t len)
{
	return softsgx_munmap((void *)(uintptr_t)dfx_la(e, offset), len);
}

/* Is @addr mapped at all in the real process (/proc/self/maps)? */
static bool host_mapped(uint64_t addr)
{
	FILE *f = fopen("/proc/self/maps", "r");
	char line[512];
	bool found = false;

	if (!f)
		return false;
	while (!found && fgets(line, sizeof(line), f)) {
		unsigned long long s, e;

		if (sscanf(line, "%llx-%llx", &s, &e) == 2 && addr >= s && addr < e)
			found = true;
	}
	fclose(f);
	return found;
}

/* The fault handler called as the host's SIGSEGV handler calls it. */
static enum sgx_fault_result vma_fault(uint64_t addr, uint32_t access, uint32_t *pfec)
{
	struct sgx_platform *plat = sgx_platform_get();
	enum sgx_fault_result res;

	pthread_rwlock_rdlock(&plat->mmap_lock);
	res = sgx_vma_fault(plat, addr, access, pfec);
	pthread_rwlock_unlock(&plat->mmap_lock);
	return res;
}

static size_t free_epc(void)
{
	return sgx_nr_free_epc_pages(sgx_platform_get());
}

TEST(munmap_removes_mapping_fault_not_ours)
{
	struct dfx_encl *e = dfx_build();
	uint32_t pfec = 0;

	ASSERT_TRUE(e);
	ASSERT_EQ(vma_fault(dfx_la(e, DFX_FREE), 0, &pfec), SGX_FAULT_RETRY);
	ASSERT_EQ(unmap(e, DFX_FREE, 4 * PAGE), 0);
	EXPECT_TRUE(!host_mapped(dfx_la(e, DFX_FREE)));
	EXPECT_TRUE(!host_mapped(dfx_la(e, DFX_FREE + 3 * PAGE)));
	EXPECT_EQ(vma_fault(dfx_la(e, DFX_FREE), 0, &pfec), SGX_FAULT_NOT_OURS);
	EXPECT_EQ(vma_fault(dfx_la(e, DFX_FREE + PAGE), SGX_PF_W, &pfec), SGX_FAULT_NOT_OURS);
	/* The page EAUGed before stays (pages live as long as the enclave). */
	EXPECT_TRUE(dfx_epcm(e, DFX_FREE).valid);
	/* Around the hole the mappings are still the driver's. */
	EXPECT_TRUE(host_mapped(dfx_la(e, DFX_FREE - PAGE)));
	EXPECT_EQ(vma_fault(dfx_la(e, DFX_FREE + 4 * PAGE), 0, &pfec), SGX_FAULT_RETRY);
	dfx_close(e);
}

/*
 * The enclave touching an address without a mapping: Linux's SIGSEGV
 * (SEGV_MAPERR) reaches the vDSO caller as #PF with the hardware code
 * (0x4 read / 0x6 write, not present).
 */
TEST(munmap_then_enclave_access_reports_plain_pf)
{
	struct dfx_encl *e = dfx_build();
	struct dfx_thread t;

	ASSERT_TRUE(e);
	ASSERT_EQ(unmap(e, DFX_DATA + PAGE, PAGE), 0);
	dfx_thread_init(&t);
	ASSERT_SGX(dfx_enter(&t, e, DFX_TCS0), SGX_SUCCESS);
	ASSERT_EQ(dfx_access(&t, dfx_la(e, DFX_DATA + PAGE), 0), DFX_EXCEPTION);
	EXPECT_EQ(t.exc.vector, SGX_VEC_PF);
	EXPECT_EQ(t.exc.error_code, SGX_PF_U);
	EXPECT_EQ(t.exc.addr, dfx_la(e, DFX_DATA + PAGE));
	ASSERT_SGX(dfx_resume(&t), SGX_SUCCESS);
	ASSERT_EQ(dfx_access(&t, dfx_la(e, DFX_DATA + PAGE), SGX_PF_W), DFX_EXCEPTION);
	EXPECT_EQ(t.exc.error_code, SGX_PF_U | SGX_PF_W);
	ASSERT_SGX(dfx_resume(&t), SGX_SUCCESS);
	/* The neighbours still work. */
	EXPECT_SGX(dfx_access(&t, dfx_la(e, DFX_DATA), SGX_PF_W), SGX_SUCCESS);
	EXPECT_SGX(dfx_access(&t, dfx_la(e, DFX_DATA + 2 * PAGE), SGX_PF_W), SGX_SUCCESS);
	EXPECT_SGX(dfx_exit(&t), SGX_SUCCESS);
	dfx_thread_fini(&t);
	dfx_close(e);
}

/* The page-table entries go with the mapping: a new mapping faults again. */
TEST(munmap_then_remap_pages_kept_refaulted)
{
	struct dfx_encl *e = dfx_build();
	struct dfx_thread t;
	uint64_t maps;

	ASSERT_TRUE(e);
	*(uint32_t *)dfx_mem(e, DFX_DATA) = 0xfeedf00d;
	dfx_thread_init(&t);
	ASSERT_SGX(dfx_enter(&t, e, DFX_TCS0), SGX_SUCCESS);
	ASSERT_SGX(dfx_access(&t, dfx_la(e, DFX_DATA), SGX_PF_W), SGX_SUCCESS);
	ASSERT_SGX(dfx_exit(&t), SGX_SUCCESS);
	ASSERT_EQ(unmap(e, DFX_DATA, PAGE), 0);
	ASSERT_EQ(map_at(e, DFX_DATA, PAGE, RW), dfx_la(e, DFX_DATA));
	maps = DFX_COUNT(SOFTSGX_CNT_FAULT_MAP);
	ASSERT_SGX(dfx_enter(&t, e, DFX_TCS0), SGX_SUCCESS);
	EXPECT_SGX(dfx_access(&t, dfx_la(e, DFX_DATA), 0), SGX_SUCCESS);
	EXPECT_EQ(DFX_COUNT(SOFTSGX_CNT_FAULT_MAP), maps + 1);
	EXPECT_SGX(dfx_exit(&t), SGX_SUCCESS);
	EXPECT_EQ(*(volatile uint32_t *)(uintptr_t)dfx_la(e, DFX_DATA), 0xfeedf00d);
	dfx_thread_fini(&t);
	dfx_close(e);
}

TEST(munmap_len_zero_einval)
{
	struct dfx_encl *e = dfx_build();

	ASSERT_TRUE(e);
	EXPECT_ERRNO(unmap(e, DFX_FREE, 0), EINVAL);
	EXPECT_ERRNO(softsgx_munmap((void *)(uintptr_t)(dfx_la(e, DFX_FREE) + 1), PAGE), EINVAL);
	EXPECT_TRUE(host_mapped(dfx_la(e, DFX_FREE)));
	dfx_close(e);
}

/* munmap, then close: the last reference frees every EPC page (SECS too). */
TEST(munmap_then_close_frees_epc)
{
	size_t free0 = free_epc();
	struct dfx_encl *e = dfx_build();
	struct dfx_thread t;
	size_t used;

	ASSERT_TRUE(e);
	dfx_thread_init(&t);
	ASSERT_SGX(dfx_enter(&t, e, DFX_TCS0), SGX_SUCCESS);
	ASSERT_SGX(dfx_eaccept(&t, dfx_secinfo(e, 0, REG_RW | SGX_SECINFO_PENDING),
			       dfx_la(e, DFX_FREE)), SGX_SUCCESS);
	ASSERT_SGX(dfx_exit(&t), SGX_SUCCESS);
	used = free0 - free_epc();
	EXPECT_EQ(used, 1 + 11 + 1); /* SECS, the layout's pages, the EAUGed page */
	ASSERT_EQ(softsgx_munmap(e->reservation, e->reservation_len), 0);
	e->reservation = NULL;
	EXPECT_EQ(free_epc(), free0 - used); /* the fd still holds the enclave */
	ASSERT_EQ(softsgx_close(e->fd), 0);
	e->fd = -1;
	EXPECT_EQ(free_epc(), free0);
	dfx_thread_fini(&t);
	dfx_close(e);
}

/* close(fd) with mappings left: the enclave lives on until munmap. */
TEST(munmap_mapping_keeps_enclave_alive_after_close)
{
	size_t free0 = free_epc();
	struct dfx_encl *e = dfx_build();
	struct dfx_thread t;
	size_t free1;

	ASSERT_TRUE(e);
	/* The SECINFO the thread uses is written while the fd is still there. */
	dfx_secinfo(e, 0, REG_RW | SGX_SECINFO_PENDING);
	free1 = free_epc();
	ASSERT_EQ(softsgx_close(e->fd), 0);
	e->fd = -1;
	EXPECT_EQ(free_epc(), free1);
	dfx_thread_init(&t);
	ASSERT_SGX(dfx_enter(&t, e, DFX_TCS0), SGX_SUCCESS);
	EXPECT_SGX(dfx_access(&t, dfx_la(e, DFX_DATA), SGX_PF_W), SGX_SUCCESS);
	/* Even EAUG works: the mapping leads the fault handler to the enclave. */
	EXPECT_SGX(dfx_eaccept(&t, dfx_la(e, DFX_SECINFO), dfx_la(e, DFX_FREE)), SGX_SUCCESS);
	EXPECT_EQ(free_epc(), free1 - 1);
	EXPECT_SGX(dfx_exit(&t), SGX_SUCCESS);
	/* Unmapping part keeps it alive; unmapping the last mapping ends it. */
	ASSERT_EQ(unmap(e, 0, DFX_DATA), 0);
	EXPECT_EQ(free_epc(), free1 - 1);
	ASSERT_EQ(softsgx_munmap(e->reservation, e->reservation_len), 0);
	e->reservation = NULL;
	EXPECT_EQ(free_epc(), free0);
	dfx_thread_fini(&t);
	dfx_close(e);
}
