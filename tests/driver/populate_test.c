/* SPDX-License-Identifier: MIT */
/*
 * Batched EAUG (beyond upstream Linux): MAP_POPULATE on an enclave mapping
 * and madvise(MADV_WILLNEED) EAUG every absent page of the range in one
 * call, after INIT only; the pages are PENDING and the enclave still
 * EACCEPTs each, without a fault. madvise on other memory is madvise(2)'s.
 */
#include <errno.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common.h"

static int advise(struct dfx_encl *e, uint64_t offset, uint64_t len, int advice)
{
	return softsgx_madvise(dfx_ptr(e, offset), len, advice);
}

TEST_BUILT(populate_map_populate_after_init_eaugs_range)
{
	uint64_t batch = DFX_COUNT(SOFTSGX_CNT_BATCH_EAUG), eaug;
	size_t free0 = dfx_free_epc();
	struct dfx_thread t;
	void *p;
	int i;

	p = softsgx_mmap(dfx_ptr(e, DFX_FREE), 8 * PAGE, RW, MAP_SHARED | MAP_FIXED | MAP_POPULATE,
			 e->fd, 0);
	ASSERT_EQ(p, dfx_la(e, DFX_FREE));
	EXPECT_EQ(DFX_COUNT(SOFTSGX_CNT_BATCH_EAUG), batch + 8);
	EXPECT_EQ(dfx_free_epc(), free0 - 8);
	for (i = 0; i < 8; i++) {
		struct sgx_epcm_info info = dfx_epcm(e, DFX_FREE + i * PAGE);

		EXPECT_TRUE(info.valid && info.pending);
		EXPECT_EQ(info.perm, SGX_SECINFO_R | SGX_SECINFO_W);
	}
	EXPECT_TRUE(!dfx_epcm(e, DFX_FREE + 8 * PAGE).valid);
	/* The enclave accepts each; the pages are there already (no fault EAUG). */
	eaug = DFX_COUNT(SOFTSGX_CNT_FAULT_EAUG);
	dfx_thread_init(&t);
	ASSERT_SGX(dfx_enter(&t, e, DFX_TCS0), SGX_SUCCESS);
	for (i = 0; i < 8; i++) {
		uint64_t la = dfx_la(e, DFX_FREE + i * PAGE);

		EXPECT_EQ(dfx_access(&t, la, SGX_PF_W), DFX_EXCEPTION); /* still pending */
		EXPECT_EQ(t.exc.error_code, SGX_PF_SGX | SGX_PF_U | SGX_PF_W | SGX_PF_P);
		ASSERT_SGX(dfx_resume(&t), SGX_SUCCESS);
		EXPECT_SGX(dfx_eaccept(&t, dfx_secinfo(e, 0, REG_RW | SGX_SECINFO_PENDING), la),
			   SGX_SUCCESS);
		EXPECT_SGX(dfx_access(&t, la, SGX_PF_W), SGX_SUCCESS);
	}
	EXPECT_EQ(DFX_COUNT(SOFTSGX_CNT_FAULT_EAUG), eaug);
	EXPECT_SGX(dfx_exit(&t), SGX_SUCCESS);
	dfx_thread_fini(&t);
}

/* Pages that exist (EADDed, EAUGed) are left alone; only absent ones are EAUGed. */
TEST_BUILT(populate_madvise_willneed_eaugs_absent_pages_only)
{
	uint64_t batch = DFX_COUNT(SOFTSGX_CNT_BATCH_EAUG);
	uint64_t absent = (DFX_FREE - DFX_RODATA - PAGE) / PAGE + 4;
	size_t free0 = dfx_free_epc();
	uint64_t off;

	EXPECT_EQ(advise(e, DFX_DATA, DFX_FREE + 4 * PAGE - DFX_DATA, MADV_WILLNEED), 0);
	EXPECT_EQ(DFX_COUNT(SOFTSGX_CNT_BATCH_EAUG), batch + absent);
	EXPECT_EQ(dfx_free_epc(), free0 - absent);
	for (off = DFX_DATA; off <= DFX_RODATA; off += PAGE) {
		EXPECT_TRUE(dfx_epcm(e, off).valid);
		EXPECT_TRUE(!dfx_epcm(e, off).pending);
	}
	EXPECT_EQ(dfx_epcm(e, DFX_RODATA).perm, SGX_SECINFO_R);
	for (off = DFX_RODATA + PAGE; off < DFX_FREE + 4 * PAGE; off += PAGE)
		EXPECT_TRUE(dfx_epcm(e, off).pending);
	/* Again: nothing left to add. */
	EXPECT_EQ(advise(e, DFX_DATA, DFX_FREE + 4 * PAGE - DFX_DATA, MADV_WILLNEED), 0);
	EXPECT_EQ(DFX_COUNT(SOFTSGX_CNT_BATCH_EAUG), batch + absent);
	EXPECT_EQ(dfx_free_epc(), free0 - absent);
}

TEST_WITH(populate_before_init_does_nothing, dfx_new_layout())
{
	uint64_t batch = DFX_COUNT(SOFTSGX_CNT_BATCH_EAUG);
	size_t free0 = dfx_free_epc();
	void *p;

	p = softsgx_mmap(dfx_ptr(e, DFX_FREE), 8 * PAGE, RW, MAP_SHARED | MAP_FIXED | MAP_POPULATE,
			 e->fd, 0);
	EXPECT_EQ(p, dfx_la(e, DFX_FREE));
	EXPECT_EQ(advise(e, DFX_FREE, 8 * PAGE, MADV_WILLNEED), 0);
	EXPECT_EQ(DFX_COUNT(SOFTSGX_CNT_BATCH_EAUG), batch);
	EXPECT_EQ(dfx_free_epc(), free0);
	EXPECT_TRUE(!dfx_epcm(e, DFX_FREE).valid);
	/* After INIT the same call adds them. */
	ASSERT_EQ(dfx_init(e), 0);
	EXPECT_EQ(advise(e, DFX_FREE, 8 * PAGE, MADV_WILLNEED), 0);
	EXPECT_EQ(DFX_COUNT(SOFTSGX_CNT_BATCH_EAUG), batch + 8);
	EXPECT_TRUE(dfx_epcm(e, DFX_FREE).pending);
}

/* Other advice on an enclave mapping adds nothing. */
/* do_madvise(): a length that page-aligns to 0 or wraps is EINVAL; nothing EAUGed. */
TEST_BUILT(populate_madvise_len_overflow_einval)
{
	size_t free0 = dfx_free_epc();

	EXPECT_ERRNO(advise(e, DFX_FREE, (uint64_t)-1, MADV_WILLNEED), EINVAL);
	EXPECT_ERRNO(advise(e, DFX_FREE, (uint64_t)-PAGE, MADV_WILLNEED), EINVAL);
	EXPECT_EQ(dfx_free_epc(), free0);
	EXPECT_TRUE(!dfx_epcm(e, DFX_FREE).valid);
}

TEST_BUILT(populate_madvise_other_advice_no_eaug)
{
	uint64_t batch = DFX_COUNT(SOFTSGX_CNT_BATCH_EAUG);

	advise(e, DFX_FREE, 4 * PAGE, MADV_NORMAL);
	advise(e, DFX_FREE, 4 * PAGE, MADV_SEQUENTIAL);
	EXPECT_EQ(DFX_COUNT(SOFTSGX_CNT_BATCH_EAUG), batch);
	EXPECT_TRUE(!dfx_epcm(e, DFX_FREE).valid);
}

/*
 * Advice Linux refuses on the enclave's VM_IO | VM_PFNMAP mapping: EINVAL
 * (nothing there to drop, age or fault in), MADV_REMOVE EACCES/ENODEV;
 * the flag-only advice succeeds; none of it EAUGs.
 */
TEST_BUILT(madvise_enclave_linux_answers)
{
	static const int einval[] = { MADV_DONTNEED, MADV_FREE, MADV_COLD, MADV_PAGEOUT,
				      MADV_POPULATE_READ, MADV_POPULATE_WRITE, MADV_DOFORK,
				      MADV_DODUMP, MADV_WIPEONFORK, MADV_DONTNEED_LOCKED, 12345 };
	static const int ok[] = { MADV_NORMAL, MADV_RANDOM, MADV_SEQUENTIAL, MADV_DONTFORK,
				  MADV_KEEPONFORK, MADV_DONTDUMP, MADV_MERGEABLE, MADV_UNMERGEABLE,
				  MADV_HUGEPAGE, MADV_NOHUGEPAGE };
	uint64_t batch = DFX_COUNT(SOFTSGX_CNT_BATCH_EAUG);
	int ro;
	void *p;
	size_t i;

	for (i = 0; i < sizeof(einval) / sizeof(einval[0]); i++)
		EXPECT_ERRNO(advise(e, DFX_FREE, 4 * PAGE, einval[i]), EINVAL);
	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
		EXPECT_EQ(advise(e, DFX_FREE, 4 * PAGE, ok[i]), 0);
	EXPECT_EQ(DFX_COUNT(SOFTSGX_CNT_BATCH_EAUG), batch);
	EXPECT_TRUE(!dfx_epcm(e, DFX_FREE).valid);
	/* MADV_REMOVE: fallocate() of a char device, on a shared writable mapping only. */
	EXPECT_ERRNO(advise(e, DFX_FREE, PAGE, MADV_REMOVE), ENODEV);
	ro = softsgx_open("/dev/sgx_enclave", O_RDONLY);
	ASSERT_TRUE(ro >= 0);
	p = softsgx_mmap(NULL, PAGE, PROT_READ, MAP_SHARED, ro, 0);
	ASSERT_TRUE(p != MAP_FAILED);
	EXPECT_ERRNO(softsgx_madvise(p, PAGE, MADV_REMOVE), EACCES);
	softsgx_munmap(p, PAGE);
	softsgx_close(ro);
}

/* A range from ELRANGE into the reservation above it: the enclave part is EAUGed,
 * the rest is madvise(2)'s. */
TEST_BUILT(populate_madvise_enclave_and_host_range)
{
	uint64_t batch = DFX_COUNT(SOFTSGX_CNT_BATCH_EAUG);

	EXPECT_EQ(advise(e, DFX_SIZE - 2 * PAGE, 4 * PAGE, MADV_WILLNEED), 0);
	EXPECT_EQ(DFX_COUNT(SOFTSGX_CNT_BATCH_EAUG), batch + 2);
	EXPECT_TRUE(dfx_epcm(e, DFX_SIZE - PAGE).pending);
}

/* Bytes of host memory the enclave's memory file holds. */
static uint64_t memfd_bytes(struct dfx_encl *e)
{
	struct sgx_encl *encl = sgx_encl_from_fd(sgx_platform_get(), e->fd);
	struct stat st;

	sgx_encl_put(encl); /* the fd keeps it */
	return fstat(encl->memfd, &st) ? 0 : (uint64_t)st.st_blocks * 512;
}

/*
 * Populate allocates the host memory of many pages at once before their
 * EAUGs; when the EPC runs out part way (alloc.enomem, the fifth
 * allocation), the pages not added give theirs back: the memory file
 * holds the four pages added, not the range.
 */
TEST_BUILT(populate_enomem_gives_back_host_memory)
{
	uint64_t batch = DFX_COUNT(SOFTSGX_CNT_BATCH_EAUG), before = memfd_bytes(e);
	struct sgx_platform *plat = sgx_platform_get();
	struct sgx_inject *inj;
	char why[128];

	/* This thread's first calls of the point under injection: #5 is the fifth from here. */
	ASSERT_TRUE(!sgx_inject_parse("alloc.enomem=#5", &inj, why, sizeof(why)));
	plat->inject = inj;
	errno = 0;
	EXPECT_EQ(advise(e, DFX_FREE, 64 * PAGE, MADV_WILLNEED), -1);
	EXPECT_EQ(errno, ENOMEM);
	plat->inject = NULL;
	sgx_inject_free(inj);
	EXPECT_EQ(DFX_COUNT(SOFTSGX_CNT_BATCH_EAUG), batch + 4);
	EXPECT_EQ(memfd_bytes(e), before + 4 * PAGE);
	EXPECT_TRUE(dfx_epcm(e, DFX_FREE + 3 * PAGE).pending);
	EXPECT_TRUE(!dfx_epcm(e, DFX_FREE + 4 * PAGE).valid);
}

/*
 * Without MADV_POPULATE_WRITE (a kernel before 5.14, or populate-write
 * turned off) the host memory comes with each EAUG's first write instead:
 * the same pages are added, and the memory file holds exactly them.
 */
TEST_BUILT(populate_without_populate_write_same_pages)
{
	uint64_t batch = DFX_COUNT(SOFTSGX_CNT_BATCH_EAUG), before = memfd_bytes(e);
	struct sgx_platform *plat = sgx_platform_get();
	bool (*saved)(void) = plat->host.populate_write;

	plat->host.populate_write = NULL;
	EXPECT_EQ(advise(e, DFX_FREE, 8 * PAGE, MADV_WILLNEED), 0);
	plat->host.populate_write = saved;
	EXPECT_EQ(DFX_COUNT(SOFTSGX_CNT_BATCH_EAUG), batch + 8);
	EXPECT_EQ(memfd_bytes(e), before + 8 * PAGE);
	EXPECT_TRUE(dfx_epcm(e, DFX_FREE + 7 * PAGE).pending);
}

TEST(populate_madvise_non_enclave_uses_madvise)
{
	uint8_t *p = mmap(NULL, 2 * PAGE, RW, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	int fd = softsgx_open("/dev/sgx_enclave", O_RDWR); /* the platform exists */
	uint64_t batch = DFX_COUNT(SOFTSGX_CNT_BATCH_EAUG);

	ASSERT_TRUE(p != MAP_FAILED);
	ASSERT_TRUE(fd >= 0);
	p[0] = 0x55;
	p[PAGE] = 0x66;
	/* MADV_DONTNEED on private anonymous memory: the page reads zero again. */
	EXPECT_EQ(softsgx_madvise(p, PAGE, MADV_DONTNEED), 0);
	EXPECT_EQ(p[0], 0);
	EXPECT_EQ(p[PAGE], 0x66);
	EXPECT_EQ(softsgx_madvise(p, 2 * PAGE, MADV_WILLNEED), 0);
	EXPECT_EQ(DFX_COUNT(SOFTSGX_CNT_BATCH_EAUG), batch);
	/* madvise(2)'s own errors. */
	EXPECT_ERRNO(softsgx_madvise(p + 1, PAGE, MADV_WILLNEED), EINVAL);
	EXPECT_ERRNO(softsgx_madvise(p, PAGE, 12345), EINVAL);
	munmap(p, 2 * PAGE);
	EXPECT_ERRNO(softsgx_madvise(p, PAGE, MADV_WILLNEED), ENOMEM);
	softsgx_close(fd);
}

/*
 * More absent pages than the EPC holds: the reclaimer evicts earlier pages
 * and every page is EAUGed; all of them come back when the enclave goes.
 * (Twice the EPC or more: its VA pages, one per 512 pages, must still fit.)
 */
TEST(populate_beyond_epc_reclaims)
{
	struct dfx_encl *e = calloc(1, sizeof(*e));
	uint64_t batch = DFX_COUNT(SOFTSGX_CNT_BATCH_EAUG), size = 1ull << 20, resident, swapped;
	uint64_t evicted = DFX_COUNT(SOFTSGX_CNT_EPC_EVICTED);
	size_t free0 = dfx_free_epc();

	while (size / PAGE < 2 * sgx_cpu_epc_pages(sgx_platform_get()->cpu))
		size <<= 1;
	ASSERT_TRUE(free0 < size / PAGE);
	ASSERT_EQ(dfx_create(e, size, 0), 0);
	ASSERT_EQ(dfx_init(e), 0);
	ASSERT_EQ(dfx_map(e, 0, size, RW), e->base);
	EXPECT_EQ(advise(e, 0, size, MADV_WILLNEED), 0);
	EXPECT_EQ(DFX_COUNT(SOFTSGX_CNT_BATCH_EAUG), batch + size / PAGE);
	EXPECT_TRUE(DFX_COUNT(SOFTSGX_CNT_EPC_EVICTED) - evicted >= size / PAGE - free0);
	ASSERT_EQ(softsgx_enclave_pages(e->fd, &resident, &swapped), 0);
	EXPECT_EQ(resident + swapped, size / PAGE);
	EXPECT_TRUE(dfx_epcm(e, size - PAGE).pending);
	dfx_close(e);
	/* The reclaimer thread may still hold the enclave for the batch it is writing. */
	EXPECT_EQ(dfx_free_epc_settled(), free0);
}

/*
 * Populate follows the fault handler's rules: a page whose maximum the
 * mapping exceeds (a page made TCS, max RW, under an RWX mapping) is a
 * SIGBUS for a fault, and EFAULT (get_user_pages()'s errno for it) here.
 */
TEST_ENTERED(populate_mapping_beyond_page_max_efault_as_fault)
{
	uint64_t la = dfx_la(e, DFX_FREE);
	uint32_t pfec;

	ASSERT_EQ(dfx_protect(e, DFX_FREE, PAGE, RWX), 0);
	ASSERT_TRUE(dfx_eaug_accept(t, e, DFX_FREE, 1));
	ASSERT_EQ(dfx_modify(e, DFX_FREE, PAGE, SGX_PAGE_TYPE_TCS, NULL), 0);
	EXPECT_ERRNO(advise(e, DFX_FREE, PAGE, MADV_WILLNEED), EFAULT);
	EXPECT_EQ(sgx_pte_lookup(sgx_platform_get(), la), 0);
	EXPECT_EQ(dfx_vma_fault(la, 0, &pfec), SGX_FAULT_SIGBUS);
}

/*
 * A hole in the range (a page unmapped, as another thread's munmap can make
 * one between mmap and its populate): the pages before it are added or
 * mapped, and their host mappings made to match, then ENOMEM, as
 * get_user_pages() leaves it.
 */
TEST_BUILT(populate_stops_at_a_hole_after_the_pages_before)
{
	struct sgx_platform *plat = sgx_platform_get();
	uint64_t batch = DFX_COUNT(SOFTSGX_CNT_BATCH_EAUG);
	uint64_t absent = (DFX_FREE - DFX_RODATA - PAGE) / PAGE + 4, off;
	char perms[5];
	int ret;

	ASSERT_EQ(softsgx_munmap(dfx_ptr(e, DFX_FREE + 4 * PAGE), PAGE), 0);
	pthread_rwlock_rdlock(&plat->mmap_lock);
	ret = sgx_populate(plat, dfx_la(e, DFX_DATA), dfx_la(e, DFX_FREE + 8 * PAGE));
	pthread_rwlock_unlock(&plat->mmap_lock);
	EXPECT_EQ(ret, -ENOMEM);
	EXPECT_EQ(DFX_COUNT(SOFTSGX_CNT_BATCH_EAUG), batch + absent);
	/* The data page is mapped now, read-write for the host as for the enclave. */
	ASSERT_TRUE(dfx_maps_lookup(dfx_la(e, DFX_DATA), perms, NULL, 0));
	EXPECT_EQ(strncmp(perms, "rw", 2), 0);
	for (off = DFX_RODATA + PAGE; off < DFX_FREE + 4 * PAGE; off += PAGE)
		EXPECT_TRUE(dfx_epcm(e, off).pending);
	for (off = DFX_FREE + 5 * PAGE; off < DFX_FREE + 8 * PAGE; off += PAGE)
		EXPECT_TRUE(!dfx_epcm(e, off).valid);
}
