/* SPDX-License-Identifier: MIT */
/*
 * mprotect() of enclave mappings (Linux's sgx_vma_mprotect: the new
 * protection must pass sgx_encl_may_map, VMA by VMA; the EPCM is never
 * touched; ranges outside enclave mappings are mprotect(2)'s), and the
 * protections the real process mappings carry (read from /proc/self/maps):
 * PROT_NONE until a page is faulted in, then mapping AND EPCM, PROT_NONE
 * for pending, TCS and TRIM pages, one host mapping per run of equal pages.
 */
#include <sys/personality.h>

#include "common.h"

static bool epcm_equal(struct sgx_epcm_info a, struct sgx_epcm_info b)
{
	return a.valid == b.valid && a.blocked == b.blocked && a.pending == b.pending &&
	       a.modified == b.modified && a.pr == b.pr && a.perm == b.perm && a.type == b.type &&
	       a.linaddr == b.linaddr;
}

/* The maximum protection */

TEST_BUILT(mprotect_beyond_page_max_eacces)
{
	struct dfx_thread t;

	EXPECT_ERRNO(dfx_protect(e, DFX_RODATA, PAGE, RW), EACCES);
	EXPECT_ERRNO(dfx_protect(e, DFX_CODE, PAGE, RWX), EACCES);
	EXPECT_ERRNO(dfx_protect(e, DFX_DATA, PAGE, RWX), EACCES);
	/* Nothing changed: the rodata mapping still reads. */
	dfx_thread_init(&t);
	ASSERT_SGX(dfx_enter(&t, e, DFX_TCS0), SGX_SUCCESS);
	EXPECT_SGX(dfx_access(&t, dfx_la(e, DFX_RODATA), 0), SGX_SUCCESS);
	EXPECT_HOST_PERMS(dfx_la(e, DFX_RODATA), "r--s");
	EXPECT_SGX(dfx_exit(&t), SGX_SUCCESS);
	dfx_thread_fini(&t);
}

TEST_BUILT(mprotect_tcs_page_exec_eacces)
{
	EXPECT_ERRNO(dfx_protect(e, DFX_TCS0, PAGE, RWX), EACCES);
	EXPECT_EQ(dfx_protect(e, DFX_TCS0, PAGE, PROT_READ), 0);
}

TEST_ENTERED(mprotect_eaug_page_rwx_allowed)
{
	ASSERT_TRUE(dfx_eaug_accept(t, e, DFX_FREE, 1));
	EXPECT_SGX(dfx_exit(t), SGX_SUCCESS);
	EXPECT_EQ(dfx_protect(e, DFX_FREE, PAGE, RWX), 0);
}

/* Addresses without a page are not checked. */
TEST_BUILT(mprotect_unpopulated_range_not_checked)
{
	EXPECT_EQ(dfx_protect(e, DFX_FREE, 32 * PAGE, RWX), 0);
	/* A range with one page beyond its maximum among holes is refused. */
	EXPECT_ERRNO(dfx_protect(e, DFX_RODATA, DFX_FREE - DFX_RODATA + PAGE, RWX), EACCES);
}

TEST_BUILT(mprotect_read_implies_exec_personality_eacces)
{
	int old = personality(0xffffffff), ret, err;

	ASSERT_TRUE(old != -1);
	ASSERT_TRUE(personality(PER_LINUX | READ_IMPLIES_EXEC) != -1);
	errno = 0;
	ret = dfx_protect(e, DFX_FREE, PAGE, PROT_READ);
	err = errno;
	personality((unsigned long)old);
	EXPECT_EQ(ret, -1);
	EXPECT_EQ(err, EACCES);
	EXPECT_EQ(dfx_protect(e, DFX_FREE, PAGE, PROT_READ), 0);
}

/* Only the mapping changes */

TEST_ENTERED(mprotect_changes_mapping_not_epcm)
{
	struct sgx_epcm_info before;
	uint64_t vma_faults;

	ASSERT_SGX(dfx_access(t, dfx_la(e, DFX_DATA), SGX_PF_W), SGX_SUCCESS);
	before = dfx_epcm(e, DFX_DATA);
	ASSERT_EQ(dfx_protect(e, DFX_DATA, PAGE, PROT_READ), 0);
	EXPECT_TRUE(epcm_equal(dfx_epcm(e, DFX_DATA), before));
	EXPECT_EQ(dfx_epcm(e, DFX_DATA).perm, SGX_SECINFO_R | SGX_SECINFO_W);
	EXPECT_HOST_PERMS(dfx_la(e, DFX_DATA), "r--s");
	/* The mapping refuses the write: #PF without the SGX bit. */
	vma_faults = DFX_COUNT(SOFTSGX_CNT_FAULT_VMA);
	EXPECT_EQ(dfx_access(t, dfx_la(e, DFX_DATA), SGX_PF_W), DFX_EXCEPTION);
	EXPECT_EQ(t->exc.vector, SGX_VEC_PF);
	EXPECT_EQ(t->exc.error_code, SGX_PF_U | SGX_PF_W | SGX_PF_P);
	EXPECT_EQ(DFX_COUNT(SOFTSGX_CNT_FAULT_VMA), vma_faults + 1);
	ASSERT_SGX(dfx_resume(t), SGX_SUCCESS);
	/* And back. */
	ASSERT_EQ(dfx_protect(e, DFX_DATA, PAGE, RW), 0);
	EXPECT_TRUE(epcm_equal(dfx_epcm(e, DFX_DATA), before));
	EXPECT_SGX(dfx_access(t, dfx_la(e, DFX_DATA), SGX_PF_W), SGX_SUCCESS);
	EXPECT_HOST_PERMS(dfx_la(e, DFX_DATA), "rw-s");
	EXPECT_SGX(dfx_exit(t), SGX_SUCCESS);
}

/* Holes and other mappings */

/* An unmapped hole: ENOMEM, with the part before it already changed (VMA by VMA). */
TEST_BUILT(mprotect_range_with_unmapped_hole_enomem)
{
	struct dfx_thread t;

	ASSERT_EQ(dfx_unmap(e, DFX_FREE + PAGE, PAGE), 0);
	EXPECT_ERRNO(dfx_protect(e, DFX_FREE, 3 * PAGE, PROT_READ), ENOMEM);
	dfx_thread_init(&t);
	ASSERT_SGX(dfx_enter(&t, e, DFX_TCS0), SGX_SUCCESS);
	/* Before the hole: now read-only, the write is the mapping's #PF (no EAUG). */
	EXPECT_EQ(dfx_access(&t, dfx_la(e, DFX_FREE), SGX_PF_W), DFX_EXCEPTION);
	EXPECT_EQ(t.exc.error_code, SGX_PF_U | SGX_PF_W);
	EXPECT_TRUE(!dfx_epcm(e, DFX_FREE).valid);
	ASSERT_SGX(dfx_resume(&t), SGX_SUCCESS);
	/* After the hole: still writable, so the write EAUGs (and meets a pending page). */
	EXPECT_EQ(dfx_access(&t, dfx_la(e, DFX_FREE + 2 * PAGE), SGX_PF_W), DFX_EXCEPTION);
	EXPECT_EQ(t.exc.error_code, SGX_PF_SGX | SGX_PF_U | SGX_PF_W | SGX_PF_P);
	EXPECT_TRUE(dfx_epcm(e, DFX_FREE + 2 * PAGE).pending);
	ASSERT_SGX(dfx_resume(&t), SGX_SUCCESS);
	EXPECT_SGX(dfx_exit(&t), SGX_SUCCESS);
	dfx_thread_fini(&t);
}

/*
 * Linux never merges enclave VMAs (VM_PFNMAP | VM_IO) and checks each VMA
 * just before changing it: a refusal in the second mapping leaves the
 * change of the first in place.
 */
TEST_BUILT(mprotect_second_mapping_beyond_max_first_mapping_changed)
{
	struct dfx_thread t;
	int ret;

	/* Two mappings, both read-only: [SECINFO page] (max RW), [RODATA] (max R). */
	ASSERT_EQ(dfx_map(e, DFX_SECINFO, PAGE, PROT_READ), dfx_la(e, DFX_SECINFO));
	EXPECT_ERRNO(dfx_protect(e, DFX_SECINFO, 2 * PAGE, RW), EACCES);
	dfx_thread_init(&t);
	ASSERT_SGX(dfx_enter(&t, e, DFX_TCS0), SGX_SUCCESS);
	ret = dfx_access(&t, dfx_la(e, DFX_SECINFO), SGX_PF_W);
	EXPECT_SGX(ret, SGX_SUCCESS);
	if (ret == DFX_EXCEPTION)
		ASSERT_SGX(dfx_resume(&t), SGX_SUCCESS);
	/* The second mapping is unchanged: its write is the mapping's #PF. */
	EXPECT_EQ(dfx_access(&t, dfx_la(e, DFX_RODATA), SGX_PF_W), DFX_EXCEPTION);
	EXPECT_EQ(t.exc.error_code & SGX_PF_SGX, 0);
	EXPECT_EQ(t.exc.error_code & SGX_PF_W, SGX_PF_W);
	dfx_thread_fini(&t);
}

/* Ranges outside enclave mappings are mprotect(2)'s. */
TEST(mprotect_non_enclave_range_uses_mprotect)
{
	void *p = mmap(NULL, 2 * PAGE, RW, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	int fd = softsgx_open("/dev/sgx_enclave", O_RDWR); /* the platform exists */

	ASSERT_TRUE(p != MAP_FAILED);
	ASSERT_TRUE(fd >= 0);
	EXPECT_EQ(softsgx_mprotect(p, PAGE, PROT_READ), 0);
	EXPECT_HOST_PERMS((uintptr_t)p, "r--p");
	EXPECT_HOST_PERMS((uintptr_t)p + PAGE, "rw-p");
	/* mprotect(2)'s own errors. */
	EXPECT_ERRNO(softsgx_mprotect((uint8_t *)p + 1, PAGE, PROT_READ), EINVAL);
	munmap(p, 2 * PAGE);
	EXPECT_ERRNO(softsgx_mprotect(p, PAGE, PROT_READ), ENOMEM);
	softsgx_close(fd);
}

/* A range across an enclave mapping and the reservation above ELRANGE. */
TEST_BUILT(mprotect_enclave_and_host_range_both_changed)
{
	struct dfx_thread t;

	EXPECT_HOST_PERMS(dfx_la(e, DFX_SIZE), "---p");
	EXPECT_EQ(dfx_protect(e, DFX_SIZE - PAGE, 2 * PAGE, PROT_READ), 0);
	EXPECT_HOST_PERMS(dfx_la(e, DFX_SIZE), "r--p");
	dfx_thread_init(&t);
	ASSERT_SGX(dfx_enter(&t, e, DFX_TCS0), SGX_SUCCESS);
	EXPECT_EQ(dfx_access(&t, dfx_la(e, DFX_SIZE - PAGE), SGX_PF_W), DFX_EXCEPTION);
	EXPECT_EQ(t.exc.error_code, SGX_PF_U | SGX_PF_W);
	dfx_thread_fini(&t);
}

/* Host protections: mapping AND EPCM, PROT_NONE until faulted in */

TEST_BUILT(host_prot_unfaulted_page_none)
{
	EXPECT_HOST_PERMS(dfx_la(e, DFX_DATA + PAGE), "---s");
	EXPECT_HOST_PERMS(dfx_la(e, DFX_CODE), "---s");
	EXPECT_HOST_PERMS(dfx_la(e, DFX_FREE), "---s");
}

TEST_ENTERED(host_prot_faulted_pages_effective)
{
	ASSERT_SGX(dfx_access(t, dfx_la(e, DFX_DATA), 0), SGX_SUCCESS);
	ASSERT_SGX(dfx_access(t, dfx_la(e, DFX_CODE), SGX_PF_I), SGX_SUCCESS);
	ASSERT_SGX(dfx_access(t, dfx_la(e, DFX_RODATA), 0), SGX_SUCCESS);
	EXPECT_HOST_PERMS(dfx_la(e, DFX_DATA), "rw-s");
	EXPECT_HOST_PERMS(dfx_la(e, DFX_CODE), "r-xs");
	EXPECT_HOST_PERMS(dfx_la(e, DFX_RODATA), "r--s");
	/* Neighbours not faulted in stay PROT_NONE. */
	EXPECT_HOST_PERMS(dfx_la(e, DFX_DATA + PAGE), "---s");
	EXPECT_SGX(dfx_exit(t), SGX_SUCCESS);
}

/* Mapping RWX, EPCM RW -> rw; mprotect R -> r; EPCM restricted to R under an RW mapping -> r. */
TEST_ENTERED(host_prot_mapping_and_epcm)
{
	ASSERT_TRUE(dfx_eaug_accept(t, e, DFX_FREE, 1));
	ASSERT_SGX(dfx_exit(t), SGX_SUCCESS);
	ASSERT_EQ(dfx_map(e, DFX_FREE, PAGE, RWX), dfx_la(e, DFX_FREE));
	ASSERT_SGX(dfx_enter(t, e, DFX_TCS0), SGX_SUCCESS);
	ASSERT_SGX(dfx_access(t, dfx_la(e, DFX_FREE), SGX_PF_W), SGX_SUCCESS);
	ASSERT_SGX(dfx_exit(t), SGX_SUCCESS);
	EXPECT_HOST_PERMS(dfx_la(e, DFX_FREE), "rw-s");
	ASSERT_EQ(dfx_protect(e, DFX_FREE, PAGE, PROT_READ), 0);
	EXPECT_HOST_PERMS(dfx_la(e, DFX_FREE), "r--s");
	ASSERT_EQ(dfx_protect(e, DFX_FREE, PAGE, RW), 0);
	EXPECT_HOST_PERMS(dfx_la(e, DFX_FREE), "rw-s");
	ASSERT_EQ(dfx_restrict(e, DFX_FREE, PAGE, SGX_SECINFO_R, NULL), 0);
	EXPECT_HOST_PERMS(dfx_la(e, DFX_FREE), "r--s");
}

TEST_ENTERED(host_prot_pending_page_none)
{
	uint32_t pfec = 0;

	/* The read EAUGs the page (PTE installed), then meets PENDING. */
	ASSERT_EQ(dfx_access(t, dfx_la(e, DFX_FREE), 0), DFX_EXCEPTION);
	EXPECT_EQ(t->exc.error_code, SGX_PF_SGX | SGX_PF_U | SGX_PF_P);
	EXPECT_TRUE(dfx_epcm(e, DFX_FREE).pending);
	EXPECT_HOST_PERMS(dfx_la(e, DFX_FREE), "---s");
	ASSERT_SGX(dfx_resume(t), SGX_SUCCESS);
	ASSERT_TRUE(dfx_eaug_accept(t, e, DFX_FREE, 1));
	ASSERT_SGX(dfx_access(t, dfx_la(e, DFX_FREE), 0), SGX_SUCCESS);
	/* The driver did not see the EACCEPT: the first real access traps and refreshes
	 * (the host's SIGSEGV handler classifies it with the fault handler). */
	EXPECT_HOST_PERMS(dfx_la(e, DFX_FREE), "---s");
	EXPECT_EQ(dfx_vma_fault(dfx_la(e, DFX_FREE), 0, &pfec), SGX_FAULT_RETRY);
	EXPECT_HOST_PERMS(dfx_la(e, DFX_FREE), "rw-s");
	EXPECT_SGX(dfx_exit(t), SGX_SUCCESS);
}

TEST_ENTERED(host_prot_tcs_page_none)
{
	/* EENTER faulted the TCS and SSA pages in. */
	EXPECT_HOST_PERMS(dfx_la(e, DFX_TCS0), "---s");
	EXPECT_SGX(dfx_exit(t), SGX_SUCCESS);
}

TEST_BUILT(host_prot_trim_page_none)
{
	ASSERT_TRUE(dfx_touch_pages(e, DFX_DATA + PAGE, 1, SGX_PF_W));
	EXPECT_HOST_PERMS(dfx_la(e, DFX_DATA + PAGE), "rw-s");
	ASSERT_EQ(dfx_modify(e, DFX_DATA + PAGE, PAGE, SGX_PAGE_TYPE_TRIM, NULL), 0);
	EXPECT_HOST_PERMS(dfx_la(e, DFX_DATA + PAGE), "---s");
}

/* One host mapping per run of equal pages: RW x 3, R, RW x 4 -> 3 runs. */
TEST_ENTERED(host_prot_restricted_middle_page_three_runs)
{
	const uint64_t start = DFX_FREE, end = DFX_FREE + 8 * PAGE;
	int i;

	ASSERT_TRUE(dfx_eaug_accept(t, e, start, 8));
	for (i = 0; i < 8; i++)
		ASSERT_SGX(dfx_access(t, dfx_la(e, start + i * PAGE), SGX_PF_W), SGX_SUCCESS);
	ASSERT_SGX(dfx_exit(t), SGX_SUCCESS);
	/* EACCEPT left the host protections stale (PROT_NONE); mprotect recomputes them. */
	ASSERT_EQ(dfx_protect(e, start, 8 * PAGE, RW), 0);
	EXPECT_EQ(dfx_maps_lines(dfx_la(e, start), dfx_la(e, end)), 1);
	EXPECT_HOST_PERMS(dfx_la(e, start + 7 * PAGE), "rw-s");
	ASSERT_EQ(dfx_restrict(e, start + 3 * PAGE, PAGE, SGX_SECINFO_R, NULL), 0);
	EXPECT_EQ(dfx_maps_lines(dfx_la(e, start), dfx_la(e, end)), 3);
	EXPECT_HOST_PERMS(dfx_la(e, start + 2 * PAGE), "rw-s");
	EXPECT_HOST_PERMS(dfx_la(e, start + 3 * PAGE), "r--s");
	EXPECT_HOST_PERMS(dfx_la(e, start + 4 * PAGE), "rw-s");
	/* mprotect over all eight joins them again. */
	ASSERT_EQ(dfx_protect(e, start, 8 * PAGE, PROT_READ), 0);
	EXPECT_EQ(dfx_maps_lines(dfx_la(e, start), dfx_la(e, end)), 1);
	EXPECT_HOST_PERMS(dfx_la(e, start), "r--s");
}

/* Arguments, in do_mprotect_pkey()'s order */

/* A length that page-aligns past the top of the address space: ENOMEM, nothing changed. */
TEST_BUILT(mprotect_len_overflow_enomem)
{
	uint32_t pfec;

	EXPECT_ERRNO(softsgx_mprotect(dfx_ptr(e, DFX_FREE), (size_t)-1, PROT_READ), ENOMEM);
	EXPECT_ERRNO(softsgx_mprotect(dfx_ptr(e, DFX_FREE), (size_t)-PAGE, PROT_READ), ENOMEM);
	/* The mapping is still RW: a write is the driver's to resolve. */
	EXPECT_EQ(dfx_vma_fault(dfx_la(e, DFX_FREE), SGX_PF_W, &pfec), SGX_FAULT_RETRY);
}

TEST_BUILT(mprotect_len_zero_nothing_to_do)
{
	EXPECT_EQ(dfx_protect(e, DFX_FREE, 0, PROT_READ | 0x100), 0);
}

/* arch_validate_prot(): bits beyond R/W/X/SEM are EINVAL, for enclave mappings too. */
TEST_BUILT(mprotect_unknown_prot_bits_einval)
{
	uint32_t pfec;

	EXPECT_ERRNO(dfx_protect(e, DFX_FREE, PAGE, PROT_READ | 0x100), EINVAL);
	EXPECT_ERRNO(dfx_protect(e, DFX_FREE, PAGE, PROT_READ | 0x10000000), EINVAL);
	EXPECT_ERRNO(dfx_protect(e, DFX_FREE, PAGE, PROT_READ | PROT_GROWSDOWN | PROT_GROWSUP), EINVAL);
	EXPECT_EQ(dfx_vma_fault(dfx_la(e, DFX_FREE), SGX_PF_W, &pfec), SGX_FAULT_RETRY);
}

/* PROT_GROWSDOWN/UP need a stack-like mapping; an enclave mapping never is one. */
TEST_BUILT(mprotect_grows_on_enclave_einval)
{
	uint32_t pfec;

	EXPECT_ERRNO(dfx_protect(e, DFX_FREE, PAGE, PROT_READ | PROT_GROWSDOWN), EINVAL);
	EXPECT_ERRNO(dfx_protect(e, DFX_FREE, PAGE, PROT_READ | PROT_GROWSUP), EINVAL);
	EXPECT_EQ(dfx_vma_fault(dfx_la(e, DFX_FREE), SGX_PF_W, &pfec), SGX_FAULT_RETRY);
}

/* The host's side */

static int refuse_protect(void *ctx, uint64_t start, uint64_t end, unsigned int prot)
{
	(void)ctx, (void)start, (void)end, (void)prot;
	return -ENOMEM;
}

/*
 * The host refuses the new protection (vm.max_map_count): mprotect fails
 * with ENOMEM and the mapping keeps its old permissions (mprotect_fixup()).
 */
TEST_ENTERED(mprotect_host_refuses_old_permissions_kept_enomem)
{
	struct sgx_platform *plat = sgx_platform_get();
	struct sgx_host_ops real = plat->host;

	ASSERT_SGX(dfx_access(t, dfx_la(e, DFX_DATA), SGX_PF_W), SGX_SUCCESS);
	EXPECT_HOST_PERMS(dfx_la(e, DFX_DATA), "rw-s");
	plat->host.protect = refuse_protect;
	EXPECT_ERRNO(dfx_protect(e, DFX_DATA, PAGE, PROT_READ), ENOMEM);
	plat->host = real;
	EXPECT_EQ(sgx_find_vma(plat, dfx_la(e, DFX_DATA))->prot, SGX_PROT_R | SGX_PROT_W);
	EXPECT_HOST_PERMS(dfx_la(e, DFX_DATA), "rw-s");
	EXPECT_SGX(dfx_access(t, dfx_la(e, DFX_DATA), SGX_PF_W), SGX_SUCCESS);
}
