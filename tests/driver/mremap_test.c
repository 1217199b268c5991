/* SPDX-License-Identifier: MIT */
/*
 * mremap() of enclave mappings (softsgx_mremap), as mm/mremap.c treats a
 * VM_PFNMAP | VM_DONTEXPAND mapping: shrinking unmaps the tail, growing is
 * EFAULT, MREMAP_DONTUNMAP EINVAL; a move takes the page-table entries
 * along, so the moved address reaches the old page and the EPCM refuses
 * it, while a page faulted in there is the page of its own address, and
 * so is the memory behind it. Other host memory is mremap(2)'s.
 */
#include <stdlib.h>

#include "common.h"

TEST_BUILT(mremap_shrink_unmaps_tail)
{
	EXPECT_EQ(softsgx_mremap(dfx_ptr(e, DFX_FREE), 4 * PAGE, 2 * PAGE, 0), dfx_ptr(e, DFX_FREE));
	EXPECT_HOST_PERMS(dfx_la(e, DFX_FREE + PAGE), "---s");
	EXPECT_HOST_PERMS(dfx_la(e, DFX_FREE + 2 * PAGE), "---");
	EXPECT_ERRNO(softsgx_mprotect(dfx_ptr(e, DFX_FREE + 2 * PAGE), PAGE, PROT_READ), ENOMEM);
	/* The same size: nothing happens. */
	EXPECT_EQ(softsgx_mremap(dfx_ptr(e, DFX_FREE), 2 * PAGE, 2 * PAGE, 0), dfx_ptr(e, DFX_FREE));
}

TEST_BUILT(mremap_grow_efault_dontunmap_einval)
{
	ASSERT_EQ(softsgx_munmap(dfx_ptr(e, DFX_FREE + PAGE), PAGE), 0);
	EXPECT_ERRNO(softsgx_mremap(dfx_ptr(e, DFX_FREE), PAGE, 2 * PAGE, 0), EFAULT);
	EXPECT_ERRNO(softsgx_mremap(dfx_ptr(e, DFX_FREE), PAGE, 2 * PAGE, MREMAP_MAYMOVE), EFAULT);
	EXPECT_ERRNO(softsgx_mremap(dfx_ptr(e, DFX_FREE), PAGE, PAGE,
				    MREMAP_MAYMOVE | MREMAP_DONTUNMAP), EINVAL);
	/* The syscall's own checks. */
	EXPECT_ERRNO(softsgx_mremap(dfx_ptr(e, DFX_FREE), PAGE, 0, 0), EINVAL);
	EXPECT_ERRNO(softsgx_mremap((uint8_t *)dfx_ptr(e, DFX_FREE) + 1, PAGE, PAGE, 0), EINVAL);
	EXPECT_ERRNO(softsgx_mremap(dfx_ptr(e, DFX_FREE), PAGE, PAGE, MREMAP_FIXED,
				    dfx_ptr(e, DFX_FREE + 8 * PAGE)), EINVAL);
	EXPECT_ERRNO(softsgx_mremap(dfx_ptr(e, DFX_FREE), PAGE, PAGE, 0x80), EINVAL);
	/* A range beyond its mapping. */
	EXPECT_ERRNO(softsgx_mremap(dfx_ptr(e, DFX_SIZE - PAGE), 2 * PAGE, 2 * PAGE,
				    MREMAP_MAYMOVE | MREMAP_FIXED, dfx_ptr(e, DFX_FREE + 32 * PAGE)),
		     EFAULT);
}

/* A move: the entries go along, the page at the new address is the old one, the EPCM says no. */
TEST_ENTERED(mremap_move_takes_entries_epcm_refuses)
{
	uint8_t *dst = mmap(NULL, 2 * PAGE, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	uint64_t to;

	ASSERT_TRUE(dst != MAP_FAILED);
	to = (uintptr_t)dst;
	ASSERT_TRUE(dfx_eaug_accept(t, e, DFX_FREE, 1));
	EXPECT_SGX(dfx_access(t, dfx_la(e, DFX_FREE), SGX_PF_W), SGX_SUCCESS);
	EXPECT_EQ(softsgx_mremap(dfx_ptr(e, DFX_FREE), PAGE, PAGE, MREMAP_MAYMOVE | MREMAP_FIXED, dst),
		  (void *)dst);
	EXPECT_HOST_PERMS(dfx_la(e, DFX_FREE), "---");
	EXPECT_HOST_PERMS(to, "---s");
	EXPECT_EQ(sgx_pte_lookup(sgx_platform_get(), dfx_la(e, DFX_FREE)), 0);
	EXPECT_TRUE(sgx_pte_lookup(sgx_platform_get(), to) != 0);
	/* Out of ELRANGE the enclave cannot even fetch; a data access is refused by the EPCM. */
	EXPECT_EQ(dfx_access(t, dfx_la(e, DFX_FREE), 0), DFX_EXCEPTION);
	EXPECT_TRUE(!(t->exc.error_code & SGX_PF_SGX));
	munmap(dst + PAGE, PAGE);
	softsgx_munmap(dst, PAGE);
}

/* A move inside ELRANGE: present entries point at the old page, absent ones fault in their own. */
TEST_ENTERED(mremap_move_inside_elrange)
{
	ASSERT_TRUE(dfx_eaug_accept(t, e, DFX_FREE, 1));
	ASSERT_TRUE(dfx_eaug_accept(t, e, DFX_FREE + 4 * PAGE, 1));
	EXPECT_SGX(dfx_access(t, dfx_la(e, DFX_FREE), SGX_PF_W), SGX_SUCCESS);
	EXPECT_EQ(softsgx_mremap(dfx_ptr(e, DFX_FREE), PAGE, PAGE, MREMAP_MAYMOVE | MREMAP_FIXED,
				 dfx_ptr(e, DFX_FREE + 4 * PAGE)), dfx_ptr(e, DFX_FREE + 4 * PAGE));
	/* The moved entry reaches the page of DFX_FREE: EPCM #PF at DFX_FREE + 4 pages. */
	EXPECT_EQ(dfx_access(t, dfx_la(e, DFX_FREE + 4 * PAGE), 0), DFX_EXCEPTION);
	EXPECT_EQ(t->exc.vector, SGX_VEC_PF);
	EXPECT_TRUE(t->exc.error_code & SGX_PF_SGX);
}

TEST(mremap_host_memory_is_mremap)
{
	uint8_t *p = mmap(NULL, 2 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	uint8_t *q;

	ASSERT_TRUE(p != MAP_FAILED);
	p[0] = 7;
	q = softsgx_mremap(p, 2 * PAGE, 8 * PAGE, MREMAP_MAYMOVE);
	ASSERT_TRUE(q != MAP_FAILED);
	EXPECT_EQ(q[0], 7);
	munmap(q, 8 * PAGE);
}

/*
 * A move inside ELRANGE over addresses without entries: a page faulted in
 * at a moved address is the page of that address, and so is the memory the
 * enclave's accesses there reach (not the memory of the address it came from).
 */
TEST_ENTERED(mremap_moved_address_reaches_its_own_page)
{
	uint8_t *to = dfx_ptr(e, DFX_FREE + 12 * PAGE);

	EXPECT_EQ(softsgx_mremap(dfx_ptr(e, DFX_FREE + 8 * PAGE), 2 * PAGE, 2 * PAGE,
				 MREMAP_MAYMOVE | MREMAP_FIXED, to), (void *)to);
	ASSERT_TRUE(dfx_eaug_accept(t, e, DFX_FREE + 12 * PAGE, 1));
	EXPECT_SGX(dfx_access(t, dfx_la(e, DFX_FREE + 12 * PAGE), SGX_PF_W), SGX_SUCCESS);
	to[100] = 0x5a;
	EXPECT_EQ(((uint8_t *)dfx_mem(e, DFX_FREE + 12 * PAGE))[100], 0x5a);
	EXPECT_EQ(((uint8_t *)dfx_mem(e, DFX_FREE + 8 * PAGE))[100], 0);
}
