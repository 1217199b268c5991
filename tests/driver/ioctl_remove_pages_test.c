/* SPDX-License-Identifier: MIT */
/*
 * SGX_IOC_ENCLAVE_REMOVE_PAGES (reference/linux-driver.md §2): the SGX2
 * checks before the copy, offset and length, a nonzero count (no copy
 * back), and the page loop: a page not recorded as TRIM is EPERM, a
 * trimmed page the enclave has not accepted is EPERM too (the EMODPR probe
 * answers PAGE_NOT_MODIFIABLE; there is no result field), an accepted one
 * is removed: the address has no page any more and a later access EAUGs a
 * fresh, zeroed page.
 *
 * Not covered: ENODEV (the shared platform always has SGX2).
 */
#include <stdlib.h>

#include "dfx.h"

#define PAGE 0x1000ull
#define REG_RW (SGX_SECINFO_REG | SGX_SECINFO_R | SGX_SECINFO_W)
#define TRIM_M (SGX_SECINFO_TRIM | SGX_SECINFO_MODIFIED)

static struct dfx_encl *uninit_encl(void)
{
	struct dfx_encl *e = calloc(1, sizeof(*e));

	if (dfx_create(e, DFX_SIZE, 0) || dfx_add(e, DFX_DATA, PAGE, NULL, REG_RW, true)) {
		harness_fail(__FILE__, __LINE__, "building an uninitialized enclave: %s",
			     strerrorname_np(errno));
		dfx_close(e);
		return NULL;
	}
	return e;
}

static int remove_ro(struct dfx_encl *e, struct sgx_enclave_remove_pages *p)
{
	void *ro = dfx_ro_copy(p, sizeof(*p));
	int ret, err;

	ret = softsgx_ioctl(e->fd, SGX_IOC_ENCLAVE_REMOVE_PAGES, ro);
	err = errno;
	memcpy(p, ro, sizeof(*p));
	dfx_page_free(ro);
	errno = err;
	return ret;
}

static void expect_einval_no_copy_back(struct dfx_encl *e, struct sgx_enclave_remove_pages p)
{
	struct sgx_enclave_remove_pages q = p;

	EXPECT_ERRNO(remove_ro(e, &q), EINVAL);
	EXPECT_TRUE(!memcmp(&p, &q, sizeof(p)));
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

/* SGX2 common checks */

TEST(remove_pages_not_created_einval)
{
	struct sgx_enclave_remove_pages p = { .offset = 0, .length = PAGE };
	int fd = softsgx_open("/dev/sgx_enclave", O_RDWR);

	ASSERT_TRUE(fd >= 0);
	EXPECT_ERRNO(softsgx_ioctl(fd, SGX_IOC_ENCLAVE_REMOVE_PAGES, &p), EINVAL);
	softsgx_close(fd);
}

TEST(remove_pages_not_initialized_einval)
{
	struct dfx_encl *e = uninit_encl();

	ASSERT_TRUE(e);
	expect_einval_no_copy_back(e, (struct sgx_enclave_remove_pages){ .offset = DFX_DATA,
									 .length = PAGE });
	EXPECT_TRUE(dfx_epcm(e, DFX_DATA).valid);
	dfx_close(e);
}

TEST(remove_pages_not_initialized_unreadable_arg_einval)
{
	struct dfx_encl *e = uninit_encl();
	void *arg = dfx_unreadable();

	ASSERT_TRUE(e && arg);
	EXPECT_ERRNO(softsgx_ioctl(e->fd, SGX_IOC_ENCLAVE_REMOVE_PAGES, arg), EINVAL);
	EXPECT_ERRNO(softsgx_ioctl(e->fd, SGX_IOC_ENCLAVE_REMOVE_PAGES, NULL), EINVAL);
	dfx_page_free(arg);
	dfx_close(e);
}

TEST(remove_pages_unreadable_arg_efault)
{
	struct dfx_encl *e = dfx_build();
	void *arg = dfx_unreadable();

	ASSERT_TRUE(e && arg);
	EXPECT_ERRNO(softsgx_ioctl(e->fd, SGX_IOC_ENCLAVE_REMOVE_PAGES, arg), EFAULT);
	EXPECT_ERRNO(softsgx_ioctl(e->fd, SGX_IOC_ENCLAVE_REMOVE_PAGES, NULL), EFAULT);
	dfx_page_free(arg);
	dfx_close(e);
}

/* Offset and length (on an accepted TRIM page, which a valid call would remove) */

TEST(remove_pages_offset_unaligned_einval)
{
	struct dfx_encl *e = dfx_build();

	ASSERT_TRUE(e);
	ASSERT_TRUE(trim(e, DFX_DATA, 1, true));
	expect_einval_no_copy_back(e, (struct sgx_enclave_remove_pages){ .offset = DFX_DATA + 1,
									 .length = PAGE });
	EXPECT_TRUE(dfx_epcm(e, DFX_DATA).valid);
	dfx_close(e);
}

TEST(remove_pages_length_zero_einval)
{
	struct dfx_encl *e = dfx_build();

	ASSERT_TRUE(e);
	expect_einval_no_copy_back(e, (struct sgx_enclave_remove_pages){ .offset = DFX_DATA,
									 .length = 0 });
	dfx_close(e);
}

TEST(remove_pages_length_unaligned_einval)
{
	struct dfx_encl *e = dfx_build();

	ASSERT_TRUE(e);
	ASSERT_TRUE(trim(e, DFX_DATA, 1, true));
	expect_einval_no_copy_back(e, (struct sgx_enclave_remove_pages){ .offset = DFX_DATA,
									 .length = 0x800 });
	EXPECT_TRUE(dfx_epcm(e, DFX_DATA).valid);
	dfx_close(e);
}

TEST(remove_pages_offset_length_overflow_einval)
{
	struct dfx_encl *e = dfx_build();

	ASSERT_TRUE(e);
	ASSERT_TRUE(trim(e, DFX_DATA, 1, true));
	expect_einval_no_copy_back(e, (struct sgx_enclave_remove_pages){
		.offset = DFX_DATA + PAGE, .length = 0ull - PAGE });
	EXPECT_TRUE(dfx_epcm(e, DFX_DATA).valid);
	dfx_close(e);
}

TEST(remove_pages_range_beyond_enclave_einval)
{
	struct dfx_encl *e = dfx_build();

	ASSERT_TRUE(e);
	expect_einval_no_copy_back(e, (struct sgx_enclave_remove_pages){ .offset = DFX_SIZE - PAGE,
									 .length = 2 * PAGE });
	expect_einval_no_copy_back(e, (struct sgx_enclave_remove_pages){ .offset = DFX_SIZE,
									 .length = PAGE });
	dfx_close(e);
}

TEST(remove_pages_count_nonzero_einval)
{
	struct dfx_encl *e = dfx_build();
	struct sgx_enclave_remove_pages p = { .offset = DFX_DATA, .length = PAGE, .count = PAGE };

	ASSERT_TRUE(e);
	ASSERT_TRUE(trim(e, DFX_DATA, 1, true));
	expect_einval_no_copy_back(e, p);
	EXPECT_ERRNO(softsgx_ioctl(e->fd, SGX_IOC_ENCLAVE_REMOVE_PAGES, &p), EINVAL);
	EXPECT_EQ(p.count, PAGE);
	EXPECT_TRUE(dfx_epcm(e, DFX_DATA).valid);
	dfx_close(e);
}

/* The page loop */

TEST(remove_pages_absent_page_efault)
{
	struct dfx_encl *e = dfx_build();
	struct sgx_enclave_remove_pages p;

	ASSERT_TRUE(e);
	EXPECT_ERRNO(dfx_remove(e, DFX_FREE, PAGE, &p), EFAULT);
	EXPECT_EQ(p.count, 0);
	dfx_close(e);
}

TEST(remove_pages_reg_page_eperm)
{
	struct dfx_encl *e = dfx_build();
	struct sgx_enclave_remove_pages p;
	struct sgx_epcm_info epcm;

	ASSERT_TRUE(e);
	EXPECT_ERRNO(dfx_remove(e, DFX_DATA, PAGE, &p), EPERM);
	EXPECT_EQ(p.count, 0);
	epcm = dfx_epcm(e, DFX_DATA);
	EXPECT_TRUE(epcm.valid);
	/* The probe never reached a REG page: its EPCM is untouched (no PR). */
	EXPECT_TRUE(!epcm.pr);
	EXPECT_EQ(epcm.perm, SGX_SECINFO_R | SGX_SECINFO_W);
	dfx_close(e);
}

TEST(remove_pages_tcs_page_eperm)
{
	struct dfx_encl *e = dfx_build();
	struct sgx_enclave_remove_pages p;

	ASSERT_TRUE(e);
	EXPECT_ERRNO(dfx_remove(e, DFX_TCS1, PAGE, &p), EPERM);
	EXPECT_EQ(p.count, 0);
	EXPECT_EQ(dfx_epcm(e, DFX_TCS1).type, SGX_PAGE_TYPE_TCS);
	dfx_close(e);
}

TEST(remove_pages_trimmed_not_accepted_eperm)
{
	struct dfx_encl *e = dfx_build();
	struct sgx_enclave_remove_pages p;
	struct sgx_epcm_info epcm;

	ASSERT_TRUE(e);
	ASSERT_TRUE(trim(e, DFX_DATA, 1, false));
	EXPECT_ERRNO(dfx_remove(e, DFX_DATA, PAGE, &p), EPERM);
	EXPECT_EQ(p.count, 0);
	epcm = dfx_epcm(e, DFX_DATA);
	EXPECT_TRUE(epcm.valid);
	EXPECT_EQ(epcm.type, SGX_PAGE_TYPE_TRIM);
	EXPECT_TRUE(epcm.modified);
	dfx_close(e);
}

TEST(remove_pages_not_accepted_copies_back)
{
	struct dfx_encl *e = dfx_build();
	struct sgx_enclave_remove_pages p = { .offset = DFX_DATA, .length = PAGE };

	ASSERT_TRUE(e);
	ASSERT_TRUE(trim(e, DFX_DATA, 1, false));
	/* An error of the page loop: the struct goes back, so a read-only one is EFAULT. */
	EXPECT_ERRNO(remove_ro(e, &p), EFAULT);
	EXPECT_TRUE(dfx_epcm(e, DFX_DATA).valid);
	dfx_close(e);
}

TEST(remove_pages_accepted_trim_removed)
{
	struct dfx_encl *e = dfx_build();
	struct sgx_enclave_remove_pages p;
	struct sgx_platform *plat = sgx_platform_get();
	size_t free_before;
	int i;

	ASSERT_TRUE(e);
	ASSERT_TRUE(trim(e, DFX_DATA, 2, true));
	free_before = sgx_nr_free_epc_pages(plat);
	EXPECT_EQ(dfx_remove(e, DFX_DATA, 2 * PAGE, &p), 0);
	EXPECT_EQ(p.count, 2 * PAGE);
	EXPECT_EQ(p.offset, DFX_DATA);
	EXPECT_EQ(p.length, 2 * PAGE);
	for (i = 0; i < 2; i++)
		EXPECT_TRUE(!dfx_epcm(e, DFX_DATA + i * PAGE).valid);
	EXPECT_EQ(sgx_nr_free_epc_pages(plat), free_before + 2);
	/* Removed pages are gone for good: a second call finds nothing there. */
	EXPECT_ERRNO(dfx_remove(e, DFX_DATA, PAGE, &p), EFAULT);
	EXPECT_EQ(p.count, 0);
	dfx_close(e);
}

TEST(remove_pages_removed_address_eaugs_fresh_page)
{
	struct dfx_encl *e = dfx_build();
	struct dfx_thread t;
	uint64_t eaug_before;
	uint8_t *mem;
	uint64_t la;

	ASSERT_TRUE(e);
	la = dfx_la(e, DFX_DATA);
	memset(dfx_mem(e, DFX_DATA), 0xA5, PAGE); /* what the enclave had written there */
	ASSERT_TRUE(trim(e, DFX_DATA, 1, true));
	ASSERT_EQ(dfx_remove(e, DFX_DATA, PAGE, NULL), 0);

	dfx_thread_init(&t);
	ASSERT_SGX(dfx_enter(&t, e, DFX_TCS0), SGX_SUCCESS);
	eaug_before = DFX_COUNT(SOFTSGX_CNT_FAULT_EAUG);
	/* The stale PTE is gone: the write faults, the kernel EAUGs, the page is PENDING. */
	ASSERT_EQ(dfx_access(&t, la, SGX_PF_W), DFX_EXCEPTION);
	EXPECT_EQ(t.exc.error_code, 0x8007);
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
	dfx_close(e);
}

TEST(remove_pages_stops_at_unaccepted_page_count)
{
	struct dfx_encl *e = dfx_build();
	struct sgx_enclave_remove_pages p;

	ASSERT_TRUE(e);
	ASSERT_TRUE(trim(e, DFX_DATA, 1, true));
	ASSERT_TRUE(trim(e, DFX_DATA + PAGE, 1, false));
	EXPECT_ERRNO(dfx_remove(e, DFX_DATA, 2 * PAGE, &p), EPERM);
	EXPECT_EQ(p.count, PAGE);
	EXPECT_TRUE(!dfx_epcm(e, DFX_DATA).valid);
	EXPECT_TRUE(dfx_epcm(e, DFX_DATA + PAGE).valid);
	dfx_close(e);
}

TEST(remove_pages_stops_at_reg_page_count)
{
	struct dfx_encl *e = dfx_build();
	struct sgx_enclave_remove_pages p;

	ASSERT_TRUE(e);
	ASSERT_TRUE(trim(e, DFX_DATA, 1, true));
	EXPECT_ERRNO(dfx_remove(e, DFX_DATA, 2 * PAGE, &p), EPERM);
	EXPECT_EQ(p.count, PAGE);
	EXPECT_TRUE(!dfx_epcm(e, DFX_DATA).valid);
	EXPECT_EQ(dfx_epcm(e, DFX_DATA + PAGE).type, SGX_PAGE_TYPE_REG);
	dfx_close(e);
}

TEST(remove_pages_trimmed_tcs_removed)
{
	struct dfx_encl *e = dfx_build();
	struct sgx_enclave_remove_pages p;

	ASSERT_TRUE(e);
	ASSERT_TRUE(trim(e, DFX_TCS1, 1, true));
	EXPECT_EQ(dfx_remove(e, DFX_TCS1, PAGE, &p), 0);
	EXPECT_EQ(p.count, PAGE);
	EXPECT_TRUE(!dfx_epcm(e, DFX_TCS1).valid);
	dfx_close(e);
}

TEST(remove_pages_copy_back_fault_efault)
{
	struct dfx_encl *e = dfx_build();
	struct sgx_enclave_remove_pages p = { .offset = DFX_DATA, .length = PAGE };

	ASSERT_TRUE(e);
	ASSERT_TRUE(trim(e, DFX_DATA, 1, true));
	/* The page is removed; only the copy back fails. */
	EXPECT_ERRNO(remove_ro(e, &p), EFAULT);
	EXPECT_TRUE(!dfx_epcm(e, DFX_DATA).valid);
	dfx_close(e);
}

TEST(remove_pages_unmapped_range_succeeds)
{
	struct dfx_encl *e = dfx_build();
	struct sgx_enclave_remove_pages p;

	ASSERT_TRUE(e);
	ASSERT_TRUE(trim(e, DFX_DATA, 1, true));
	ASSERT_EQ(softsgx_munmap((void *)(uintptr_t)dfx_la(e, DFX_DATA), PAGE), 0);
	EXPECT_EQ(dfx_remove(e, DFX_DATA, PAGE, &p), 0);
	EXPECT_EQ(p.count, PAGE);
	EXPECT_TRUE(!dfx_epcm(e, DFX_DATA).valid);
	dfx_close(e);
}

TEST(remove_pages_host_protection_none)
{
	struct dfx_encl *e = dfx_build();

	ASSERT_TRUE(e);
	ASSERT_TRUE(trim(e, DFX_DATA, 1, true));
	EXPECT_EQ(dfx_remove(e, DFX_DATA, PAGE, NULL), 0);
	EXPECT_EQ(dfx_host_prot(dfx_la(e, DFX_DATA)), PROT_NONE);
	dfx_close(e);
}
