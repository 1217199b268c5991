/* SPDX-License-Identifier: MIT */
/*
 * SGX_IOC_ENCLAVE_REMOVE_PAGES (Linux: sgx_ioc_enclave_remove_pages()): the SGX2
 * checks before the copy, offset and length, a nonzero count (no copy
 * back), and the page loop: a page not recorded as TRIM is EPERM, a
 * trimmed page the enclave has not accepted is EPERM too (the EMODPR probe
 * answers PAGE_NOT_MODIFIABLE; there is no result field), an accepted one
 * is removed: the address has no page any more and a later access EAUGs a
 * fresh, zeroed page.
 *
 * Not covered: ENODEV (the shared platform always has SGX2).
 */
#include "common.h"

#define CMD SGX_IOC_ENCLAVE_REMOVE_PAGES

static int remove_ro(struct dfx_encl *e, struct sgx_enclave_remove_pages *p)
{
	return dfx_ioctl_ro(e->fd, CMD, p, sizeof(*p));
}

/*
 * MODIFY_TYPES to TRIM of [offset, offset + n pages), then (if @accept) a
 * thread that enters after the ioctl (so tracking is complete) EACCEPTs
 * each page as TRIM|MODIFIED and leaves.
 */
static bool trim(struct dfx_encl *e, uint64_t offset, int n, bool accept)
{
	struct dfx_thread t;
	bool ok = true;
	int i;

	if (dfx_modify(e, offset, n * PAGE, SGX_PAGE_TYPE_TRIM, NULL))
		return false;
	if (!accept)
		return true;
	dfx_thread_init(&t);
	ok = dfx_enter(&t, e, DFX_TCS0) == SGX_SUCCESS;
	for (i = 0; ok && i < n; i++)
		ok = dfx_eaccept(&t, dfx_secinfo(e, 0, TRIM_M), dfx_la(e, offset + i * PAGE)) ==
		     SGX_SUCCESS;
	ok = ok && dfx_exit(&t) == SGX_SUCCESS;
	dfx_thread_fini(&t);
	return ok;
}

/* The default enclave with DFX_DATA trimmed and accepted: a valid call would remove it. */
static struct dfx_encl *build_trimmed(void)
{
	struct dfx_encl *e = dfx_build();

	if (e && !trim(e, DFX_DATA, 1, true)) {
		harness_fail(__FILE__, __LINE__, "trimming DFX_DATA");
		dfx_close(e);
		return NULL;
	}
	return e;
}

/* An EINVAL found before the page loop (the struct is left alone); DFX_DATA is still there. */
static void expect_einval(struct dfx_encl *e, uint64_t offset, uint64_t length)
{
	struct sgx_enclave_remove_pages p = { .offset = offset, .length = length };

	dfx_expect_einval_no_copy_back(e, CMD, &p, sizeof(p));
	EXPECT_TRUE(dfx_epcm(e, DFX_DATA).valid);
}

/*
 * SGX2 common checks: the state before copy_from_user (EINVAL, not EFAULT),
 * then offset and length, on an accepted TRIM page, which a valid call would
 * remove. SGX2_PREAMBLE_TESTS() makes the tests of the rules the three SGX2
 * ioctls share.
 */

TEST(remove_pages_not_created_einval)
{
	struct sgx_enclave_remove_pages p = { .offset = 0, .length = PAGE };

	dfx_expect_not_created_einval(CMD, &p, sizeof(p));
}

TEST_WITH(remove_pages_not_initialized_einval, dfx_new_with_data(0))
{
	expect_einval(e, DFX_DATA, PAGE);
}


SGX2_PREAMBLE_TESTS(remove_pages, CMD, build_trimmed(), expect_einval, DFX_DATA + 1, 0x800)

TEST_WITH(remove_pages_count_nonzero_einval, build_trimmed())
{
	struct sgx_enclave_remove_pages p = { .offset = DFX_DATA, .length = PAGE, .count = PAGE };

	dfx_expect_einval_no_copy_back(e, CMD, &p, sizeof(p));
	EXPECT_EQ(p.count, PAGE);
	EXPECT_TRUE(dfx_epcm(e, DFX_DATA).valid);
}

/* The page loop */

TEST_BUILT(remove_pages_absent_page_efault)
{
	struct sgx_enclave_remove_pages p;

	EXPECT_ERRNO(dfx_remove(e, DFX_FREE, PAGE, &p), EFAULT);
	EXPECT_EQ(p.count, 0);
}

TEST_BUILT(remove_pages_reg_page_eperm)
{
	struct sgx_enclave_remove_pages p;
	struct sgx_epcm_info epcm;

	EXPECT_ERRNO(dfx_remove(e, DFX_DATA, PAGE, &p), EPERM);
	EXPECT_EQ(p.count, 0);
	epcm = dfx_epcm(e, DFX_DATA);
	EXPECT_TRUE(epcm.valid);
	/* The probe never reached a REG page: its EPCM is untouched (no PR). */
	EXPECT_TRUE(!epcm.pr);
	EXPECT_EQ(epcm.perm, SGX_SECINFO_R | SGX_SECINFO_W);
}

TEST_BUILT(remove_pages_tcs_page_eperm)
{
	struct sgx_enclave_remove_pages p;

	EXPECT_ERRNO(dfx_remove(e, DFX_TCS1, PAGE, &p), EPERM);
	EXPECT_EQ(p.count, 0);
	EXPECT_EQ(dfx_epcm(e, DFX_TCS1).type, SGX_PAGE_TYPE_TCS);
}

TEST_BUILT(remove_pages_trimmed_not_accepted_eperm)
{
	struct sgx_enclave_remove_pages p;
	struct sgx_epcm_info epcm;

	ASSERT_TRUE(trim(e, DFX_DATA, 1, false));
	EXPECT_ERRNO(dfx_remove(e, DFX_DATA, PAGE, &p), EPERM);
	EXPECT_EQ(p.count, 0);
	epcm = dfx_epcm(e, DFX_DATA);
	EXPECT_TRUE(epcm.valid);
	EXPECT_EQ(epcm.type, SGX_PAGE_TYPE_TRIM);
	EXPECT_TRUE(epcm.modified);
}

TEST_BUILT(remove_pages_not_accepted_copies_back)
{
	struct sgx_enclave_remove_pages p = { .offset = DFX_DATA, .length = PAGE };

	ASSERT_TRUE(trim(e, DFX_DATA, 1, false));
	/* An error of the page loop: the struct goes back, so a read-only one is EFAULT. */
	EXPECT_ERRNO(remove_ro(e, &p), EFAULT);
	EXPECT_TRUE(dfx_epcm(e, DFX_DATA).valid);
}

TEST_BUILT(remove_pages_accepted_trim_removed)
{
	struct sgx_enclave_remove_pages p;
	size_t free_before;
	int i;

	ASSERT_TRUE(trim(e, DFX_DATA, 2, true));
	free_before = dfx_free_epc();
	EXPECT_EQ(dfx_remove(e, DFX_DATA, 2 * PAGE, &p), 0);
	EXPECT_EQ(p.count, 2 * PAGE);
	EXPECT_EQ(p.offset, DFX_DATA);
	EXPECT_EQ(p.length, 2 * PAGE);
	for (i = 0; i < 2; i++)
		EXPECT_TRUE(!dfx_epcm(e, DFX_DATA + i * PAGE).valid);
	EXPECT_EQ(dfx_free_epc(), free_before + 2);
	/* Removed pages are gone for good: a second call finds nothing there. */
	EXPECT_ERRNO(dfx_remove(e, DFX_DATA, PAGE, &p), EFAULT);
	EXPECT_EQ(p.count, 0);
}

TEST_BUILT(remove_pages_removed_address_eaugs_fresh_page)
{
	uint64_t la = dfx_la(e, DFX_DATA), eaug_before;
	struct dfx_thread t;
	uint8_t *mem;

	memset(dfx_mem(e, DFX_DATA), 0xA5, PAGE); /* what the enclave had written there */
	ASSERT_TRUE(trim(e, DFX_DATA, 1, true));
	ASSERT_EQ(dfx_remove(e, DFX_DATA, PAGE, NULL), 0);

	dfx_thread_init(&t);
	ASSERT_SGX(dfx_enter(&t, e, DFX_TCS0), SGX_SUCCESS);
	eaug_before = DFX_COUNT(SOFTSGX_CNT_FAULT_EAUG);
	/* The stale PTE is gone: the write faults, the kernel EAUGs, the page is PENDING. */
	ASSERT_PF(&t, la, SGX_PF_W, 0x8007);
	EXPECT_EQ(DFX_COUNT(SOFTSGX_CNT_FAULT_EAUG), eaug_before + 1);
	EXPECT_TRUE(dfx_epcm(e, DFX_DATA).valid);
	EXPECT_TRUE(dfx_epcm(e, DFX_DATA).pending);
	EXPECT_EQ(dfx_epcm(e, DFX_DATA).type, SGX_PAGE_TYPE_REG);
	ASSERT_SGX(dfx_resume(&t), SGX_SUCCESS);
	EXPECT_SGX(dfx_eaccept(&t, dfx_secinfo(e, 0, REG_RW | SGX_SECINFO_PENDING), la), SGX_SUCCESS);
	EXPECT_SGX(dfx_access(&t, la, SGX_PF_W), SGX_SUCCESS);
	mem = dfx_mem(e, DFX_DATA);
	EXPECT_EQ(mem[0], 0);
	EXPECT_EQ(mem[PAGE - 1], 0);
	EXPECT_SGX(dfx_exit(&t), SGX_SUCCESS);
	dfx_thread_fini(&t);
}

TEST_WITH(remove_pages_stops_at_unaccepted_page_count, build_trimmed())
{
	struct sgx_enclave_remove_pages p;

	ASSERT_TRUE(trim(e, DFX_DATA + PAGE, 1, false));
	EXPECT_ERRNO(dfx_remove(e, DFX_DATA, 2 * PAGE, &p), EPERM);
	EXPECT_EQ(p.count, PAGE);
	EXPECT_TRUE(!dfx_epcm(e, DFX_DATA).valid);
	EXPECT_TRUE(dfx_epcm(e, DFX_DATA + PAGE).valid);
}

TEST_WITH(remove_pages_stops_at_reg_page_count, build_trimmed())
{
	struct sgx_enclave_remove_pages p;

	EXPECT_ERRNO(dfx_remove(e, DFX_DATA, 2 * PAGE, &p), EPERM);
	EXPECT_EQ(p.count, PAGE);
	EXPECT_TRUE(!dfx_epcm(e, DFX_DATA).valid);
	EXPECT_EQ(dfx_epcm(e, DFX_DATA + PAGE).type, SGX_PAGE_TYPE_REG);
}

TEST_BUILT(remove_pages_trimmed_tcs_removed)
{
	struct sgx_enclave_remove_pages p;

	ASSERT_TRUE(trim(e, DFX_TCS1, 1, true));
	EXPECT_EQ(dfx_remove(e, DFX_TCS1, PAGE, &p), 0);
	EXPECT_EQ(p.count, PAGE);
	EXPECT_TRUE(!dfx_epcm(e, DFX_TCS1).valid);
}

TEST_WITH(remove_pages_copy_back_fault_efault, build_trimmed())
{
	struct sgx_enclave_remove_pages p = { .offset = DFX_DATA, .length = PAGE };

	/* The page is removed; only the copy back fails. */
	EXPECT_ERRNO(remove_ro(e, &p), EFAULT);
	EXPECT_TRUE(!dfx_epcm(e, DFX_DATA).valid);
}

TEST_WITH(remove_pages_unmapped_range_succeeds, build_trimmed())
{
	struct sgx_enclave_remove_pages p;

	ASSERT_EQ(dfx_unmap(e, DFX_DATA, PAGE), 0);
	EXPECT_EQ(dfx_remove(e, DFX_DATA, PAGE, &p), 0);
	EXPECT_EQ(p.count, PAGE);
	EXPECT_TRUE(!dfx_epcm(e, DFX_DATA).valid);
}

TEST_WITH(remove_pages_host_protection_none, build_trimmed())
{
	EXPECT_EQ(dfx_remove(e, DFX_DATA, PAGE, NULL), 0);
	EXPECT_EQ(dfx_host_prot(dfx_la(e, DFX_DATA)), PROT_NONE);
}
