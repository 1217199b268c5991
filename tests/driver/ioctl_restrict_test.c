/* softsgx-test: threads */
/* SPDX-License-Identifier: MIT */
/*
 * SGX_IOC_ENCLAVE_RESTRICT_PERMISSIONS (reference/linux-driver.md §2): the
 * checks every SGX2 ioctl makes before it copies its argument, the offset
 * and length rules, the ioctl's own input checks (none of which copy the
 * struct back), and the page loop with its partial-success contract: count
 * is the bytes done before the page that stopped it, result the SGX code of
 * the failing EMODPR (SGX_PAGE_NOT_MODIFIABLE for a PENDING page,
 * SGX_EPC_PAGE_CONFLICT when an enclave thread holds the page, provoked
 * with real threads and the processor's pause hook).
 *
 * Not covered: ENODEV, which needs a processor without SGX2; the platform
 * is process-wide and always an SGX2 machine.
 *
 * "No copy back" is shown by handing the driver a read-only struct: a copy
 * back would turn the errno into EFAULT.
 */
#include <stdlib.h>

#include "dfx.h"

#define PAGE 0x1000ull
#define REG_R (SGX_SECINFO_REG | SGX_SECINFO_R)
#define REG_RW (SGX_SECINFO_REG | SGX_SECINFO_R | SGX_SECINFO_W)

/* A created enclave with one data page, not initialized. */
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

/* The ioctl on a read-only copy of @p; *@p receives what the copy holds afterwards. */
static int restrict_ro(struct dfx_encl *e, struct sgx_enclave_restrict_permissions *p)
{
	void *ro = dfx_ro_copy(p, sizeof(*p));
	int ret, err;

	ret = softsgx_ioctl(e->fd, SGX_IOC_ENCLAVE_RESTRICT_PERMISSIONS, ro);
	err = errno;
	memcpy(p, ro, sizeof(*p));
	dfx_page_free(ro);
	errno = err;
	return ret;
}

/* EAUG and EACCEPT @n pages from @offset (thread @t inside). */
static bool eaug_accept(struct dfx_thread *t, struct dfx_encl *e, uint64_t offset, int n)
{
	uint64_t si = dfx_secinfo(e, 0, REG_RW | SGX_SECINFO_PENDING);
	int i;

	for (i = 0; i < n; i++)
		if (dfx_eaccept(t, si, dfx_la(e, offset + i * PAGE)) != SGX_SUCCESS)
			return false;
	return true;
}

/* An EINVAL found before the page loop: the (read-only) struct is left alone. */
static void expect_einval_no_copy_back(struct dfx_encl *e, struct sgx_enclave_restrict_permissions p)
{
	struct sgx_enclave_restrict_permissions q = p;

	EXPECT_ERRNO(restrict_ro(e, &q), EINVAL);
	EXPECT_TRUE(!memcmp(&p, &q, sizeof(p)));
}

/* SGX2 common checks, before copy_from_user */

TEST(restrict_permissions_not_created_einval)
{
	struct sgx_enclave_restrict_permissions p = { .offset = 0, .length = PAGE, .permissions = 1 };
	int fd = softsgx_open("/dev/sgx_enclave", O_RDWR);

	ASSERT_TRUE(fd >= 0);
	EXPECT_ERRNO(softsgx_ioctl(fd, SGX_IOC_ENCLAVE_RESTRICT_PERMISSIONS, &p), EINVAL);
	EXPECT_EQ(p.count, 0);
	softsgx_close(fd);
}

TEST(restrict_permissions_not_initialized_einval)
{
	struct dfx_encl *e = uninit_encl();
	struct sgx_enclave_restrict_permissions p = { .offset = DFX_DATA, .length = PAGE,
						      .permissions = SGX_SECINFO_R };
	struct sgx_epcm_info epcm;

	ASSERT_TRUE(e);
	expect_einval_no_copy_back(e, p);
	epcm = dfx_epcm(e, DFX_DATA);
	EXPECT_EQ(epcm.perm, SGX_SECINFO_R | SGX_SECINFO_W);
	EXPECT_TRUE(!epcm.pr);
	dfx_close(e);
}

TEST(restrict_permissions_not_initialized_unreadable_arg_einval)
{
	struct dfx_encl *e = uninit_encl();
	void *arg = dfx_unreadable();

	ASSERT_TRUE(e && arg);
	/* The state check comes before copy_from_user: EINVAL, not EFAULT. */
	EXPECT_ERRNO(softsgx_ioctl(e->fd, SGX_IOC_ENCLAVE_RESTRICT_PERMISSIONS, arg), EINVAL);
	EXPECT_ERRNO(softsgx_ioctl(e->fd, SGX_IOC_ENCLAVE_RESTRICT_PERMISSIONS, NULL), EINVAL);
	dfx_page_free(arg);
	dfx_close(e);
}

TEST(restrict_permissions_unreadable_arg_efault)
{
	struct dfx_encl *e = dfx_build();
	void *arg = dfx_unreadable();

	ASSERT_TRUE(e && arg);
	EXPECT_ERRNO(softsgx_ioctl(e->fd, SGX_IOC_ENCLAVE_RESTRICT_PERMISSIONS, arg), EFAULT);
	EXPECT_ERRNO(softsgx_ioctl(e->fd, SGX_IOC_ENCLAVE_RESTRICT_PERMISSIONS, NULL), EFAULT);
	dfx_page_free(arg);
	dfx_close(e);
}

/* Offset and length */

TEST(restrict_permissions_offset_unaligned_einval)
{
	struct dfx_encl *e = dfx_build();

	ASSERT_TRUE(e);
	expect_einval_no_copy_back(e, (struct sgx_enclave_restrict_permissions){
		.offset = DFX_DATA + 8, .length = PAGE, .permissions = SGX_SECINFO_R });
	EXPECT_TRUE(!dfx_epcm(e, DFX_DATA).pr);
	dfx_close(e);
}

TEST(restrict_permissions_length_zero_einval)
{
	struct dfx_encl *e = dfx_build();

	ASSERT_TRUE(e);
	expect_einval_no_copy_back(e, (struct sgx_enclave_restrict_permissions){
		.offset = DFX_DATA, .length = 0, .permissions = SGX_SECINFO_R });
	dfx_close(e);
}

TEST(restrict_permissions_length_unaligned_einval)
{
	struct dfx_encl *e = dfx_build();

	ASSERT_TRUE(e);
	expect_einval_no_copy_back(e, (struct sgx_enclave_restrict_permissions){
		.offset = DFX_DATA, .length = PAGE + 1, .permissions = SGX_SECINFO_R });
	EXPECT_TRUE(!dfx_epcm(e, DFX_DATA).pr);
	dfx_close(e);
}

TEST(restrict_permissions_offset_length_overflow_einval)
{
	struct dfx_encl *e = dfx_build();

	ASSERT_TRUE(e);
	/* offset + length wraps to DFX_DATA: must not pass as a small range. */
	expect_einval_no_copy_back(e, (struct sgx_enclave_restrict_permissions){
		.offset = DFX_DATA + PAGE, .length = 0ull - PAGE, .permissions = SGX_SECINFO_R });
	EXPECT_TRUE(!dfx_epcm(e, DFX_DATA).pr);
	dfx_close(e);
}

TEST(restrict_permissions_range_beyond_enclave_einval)
{
	struct dfx_encl *e = dfx_build();

	ASSERT_TRUE(e);
	expect_einval_no_copy_back(e, (struct sgx_enclave_restrict_permissions){
		.offset = DFX_SIZE - PAGE, .length = 2 * PAGE, .permissions = SGX_SECINFO_R });
	expect_einval_no_copy_back(e, (struct sgx_enclave_restrict_permissions){
		.offset = DFX_SIZE, .length = PAGE, .permissions = SGX_SECINFO_R });
	dfx_close(e);
}

TEST(restrict_permissions_last_page_passes_validation)
{
	struct dfx_encl *e = dfx_build();
	struct sgx_enclave_restrict_permissions p;

	ASSERT_TRUE(e);
	/* The last page of ELRANGE is a valid range; nothing is there: EFAULT from the loop. */
	EXPECT_ERRNO(dfx_restrict(e, DFX_SIZE - PAGE, PAGE, SGX_SECINFO_R, &p), EFAULT);
	EXPECT_EQ(p.count, 0);
	EXPECT_EQ(p.result, 0);
	dfx_close(e);
}

/* The ioctl's own input checks */

TEST(restrict_permissions_bits_beyond_rwx_einval)
{
	struct dfx_encl *e = dfx_build();

	ASSERT_TRUE(e);
	expect_einval_no_copy_back(e, (struct sgx_enclave_restrict_permissions){
		.offset = DFX_DATA, .length = PAGE, .permissions = SGX_SECINFO_R | SGX_SECINFO_PR });
	expect_einval_no_copy_back(e, (struct sgx_enclave_restrict_permissions){
		.offset = DFX_DATA, .length = PAGE, .permissions = SGX_SECINFO_R | SGX_SECINFO_REG });
	EXPECT_TRUE(!dfx_epcm(e, DFX_DATA).pr);
	dfx_close(e);
}

TEST(restrict_permissions_w_without_r_einval)
{
	struct dfx_encl *e = dfx_build();

	ASSERT_TRUE(e);
	expect_einval_no_copy_back(e, (struct sgx_enclave_restrict_permissions){
		.offset = DFX_DATA, .length = PAGE, .permissions = SGX_SECINFO_W });
	expect_einval_no_copy_back(e, (struct sgx_enclave_restrict_permissions){
		.offset = DFX_DATA, .length = PAGE, .permissions = SGX_SECINFO_W | SGX_SECINFO_X });
	EXPECT_EQ(dfx_epcm(e, DFX_DATA).perm, SGX_SECINFO_R | SGX_SECINFO_W);
	EXPECT_TRUE(!dfx_epcm(e, DFX_DATA).pr);
	dfx_close(e);
}

TEST(restrict_permissions_result_nonzero_einval)
{
	struct dfx_encl *e = dfx_build();
	struct sgx_enclave_restrict_permissions p = { .offset = DFX_DATA, .length = PAGE,
						      .permissions = SGX_SECINFO_R, .result = 20 };

	ASSERT_TRUE(e);
	expect_einval_no_copy_back(e, p);
	/* Writable, too: the struct keeps what the caller put in. */
	EXPECT_ERRNO(softsgx_ioctl(e->fd, SGX_IOC_ENCLAVE_RESTRICT_PERMISSIONS, &p), EINVAL);
	EXPECT_EQ(p.result, 20);
	EXPECT_EQ(p.count, 0);
	EXPECT_TRUE(!dfx_epcm(e, DFX_DATA).pr);
	dfx_close(e);
}

TEST(restrict_permissions_count_nonzero_einval)
{
	struct dfx_encl *e = dfx_build();
	struct sgx_enclave_restrict_permissions p = { .offset = DFX_DATA, .length = 2 * PAGE,
						      .permissions = SGX_SECINFO_R, .count = PAGE };

	ASSERT_TRUE(e);
	expect_einval_no_copy_back(e, p);
	EXPECT_ERRNO(softsgx_ioctl(e->fd, SGX_IOC_ENCLAVE_RESTRICT_PERMISSIONS, &p), EINVAL);
	EXPECT_EQ(p.count, PAGE);
	EXPECT_EQ(p.result, 0);
	EXPECT_TRUE(!dfx_epcm(e, DFX_DATA).pr);
	EXPECT_TRUE(!dfx_epcm(e, DFX_DATA + PAGE).pr);
	dfx_close(e);
}

/* The page loop */

TEST(restrict_permissions_success_full_count)
{
	struct dfx_encl *e = dfx_build();
	struct sgx_enclave_restrict_permissions p;
	struct sgx_epcm_info epcm;
	int i;

	ASSERT_TRUE(e);
	EXPECT_EQ(dfx_restrict(e, DFX_DATA, 2 * PAGE, SGX_SECINFO_R, &p), 0);
	EXPECT_EQ(p.offset, DFX_DATA);
	EXPECT_EQ(p.length, 2 * PAGE);
	EXPECT_EQ(p.permissions, SGX_SECINFO_R);
	EXPECT_EQ(p.count, 2 * PAGE);
	EXPECT_EQ(p.result, 0);
	for (i = 0; i < 2; i++) {
		epcm = dfx_epcm(e, DFX_DATA + i * PAGE);
		EXPECT_EQ(epcm.perm, SGX_SECINFO_R);
		EXPECT_TRUE(epcm.pr);
		EXPECT_EQ(epcm.type, SGX_PAGE_TYPE_REG);
	}
	/* The page after the range is untouched. */
	EXPECT_TRUE(!dfx_epcm(e, DFX_DATA + 2 * PAGE).pr);
	dfx_close(e);
}

TEST(restrict_permissions_intersects_with_epcm)
{
	struct dfx_encl *e = dfx_build();
	struct sgx_enclave_restrict_permissions p;

	ASSERT_TRUE(e);
	/* R-X code restricted to RW keeps R only: EMODPR can only take away. */
	EXPECT_EQ(dfx_restrict(e, DFX_CODE, PAGE, SGX_SECINFO_R | SGX_SECINFO_W, &p), 0);
	EXPECT_EQ(p.count, PAGE);
	EXPECT_EQ(dfx_epcm(e, DFX_CODE).perm, SGX_SECINFO_R);
	EXPECT_TRUE(dfx_epcm(e, DFX_CODE).pr);
	dfx_close(e);
}

TEST(restrict_permissions_zero_permissions_allowed)
{
	struct dfx_encl *e = dfx_build();
	struct sgx_enclave_restrict_permissions p;

	ASSERT_TRUE(e);
	EXPECT_EQ(dfx_restrict(e, DFX_DATA, PAGE, 0, &p), 0);
	EXPECT_EQ(p.count, PAGE);
	EXPECT_EQ(p.result, 0);
	EXPECT_EQ(dfx_epcm(e, DFX_DATA).perm, 0);
	EXPECT_TRUE(dfx_epcm(e, DFX_DATA).pr);
	dfx_close(e);
}

TEST(restrict_permissions_absent_page_efault_count)
{
	struct dfx_encl *e = dfx_build();
	struct sgx_enclave_restrict_permissions p;

	ASSERT_TRUE(e);
	/* 0xA000 rodata, 0xB000 never added. */
	EXPECT_ERRNO(dfx_restrict(e, DFX_RODATA, 2 * PAGE, SGX_SECINFO_R, &p), EFAULT);
	EXPECT_EQ(p.count, PAGE);
	EXPECT_EQ(p.result, 0);
	EXPECT_TRUE(dfx_epcm(e, DFX_RODATA).pr);
	EXPECT_TRUE(!dfx_epcm(e, DFX_RODATA + PAGE).valid);
	dfx_close(e);
}

TEST(restrict_permissions_tcs_page_einval)
{
	struct dfx_encl *e = dfx_build();
	struct sgx_enclave_restrict_permissions p;
	struct sgx_epcm_info epcm;

	ASSERT_TRUE(e);
	EXPECT_ERRNO(dfx_restrict(e, DFX_TCS0, PAGE, SGX_SECINFO_R, &p), EINVAL);
	EXPECT_EQ(p.count, 0);
	EXPECT_EQ(p.result, 0);
	epcm = dfx_epcm(e, DFX_TCS0);
	EXPECT_EQ(epcm.type, SGX_PAGE_TYPE_TCS);
	EXPECT_TRUE(!epcm.pr);
	dfx_close(e);
}

TEST(restrict_permissions_tcs_page_einval_copies_back)
{
	struct dfx_encl *e = dfx_build();
	struct sgx_enclave_restrict_permissions p = { .offset = DFX_TCS0, .length = PAGE,
						      .permissions = SGX_SECINFO_R };

	ASSERT_TRUE(e);
	/* Found inside the page loop: the struct goes back, so a read-only one is EFAULT. */
	EXPECT_ERRNO(restrict_ro(e, &p), EFAULT);
	dfx_close(e);
}

TEST(restrict_permissions_trim_page_mid_range_einval_count)
{
	struct dfx_encl *e = dfx_build();
	struct sgx_enclave_restrict_permissions p;

	ASSERT_TRUE(e);
	ASSERT_EQ(dfx_modify(e, DFX_DATA + PAGE, PAGE, SGX_PAGE_TYPE_TRIM, NULL), 0);
	EXPECT_ERRNO(dfx_restrict(e, DFX_DATA, 2 * PAGE, SGX_SECINFO_R, &p), EINVAL);
	EXPECT_EQ(p.count, PAGE);
	EXPECT_EQ(p.result, 0);
	EXPECT_TRUE(dfx_epcm(e, DFX_DATA).pr);
	EXPECT_EQ(dfx_epcm(e, DFX_DATA + PAGE).type, SGX_PAGE_TYPE_TRIM);
	dfx_close(e);
}

/* THE contract: the third page is PENDING (EAUG without EACCEPT). */
TEST(restrict_permissions_pending_page_partial_efault)
{
	struct dfx_encl *e = dfx_build();
	struct sgx_enclave_restrict_permissions p;
	struct sgx_epcm_info epcm;
	struct dfx_thread t;
	int i;

	ASSERT_TRUE(e);
	dfx_thread_init(&t);
	ASSERT_SGX(dfx_enter(&t, e, DFX_TCS0), SGX_SUCCESS);
	ASSERT_TRUE(eaug_accept(&t, e, DFX_FREE, 2));
	/* A write to the third address EAUGs it; the page stays PENDING (EPCM #PF). */
	ASSERT_EQ(dfx_access(&t, dfx_la(e, DFX_FREE + 2 * PAGE), SGX_PF_W), DFX_EXCEPTION);
	EXPECT_EQ(t.exc.error_code, 0x8007);

	EXPECT_ERRNO(dfx_restrict(e, DFX_FREE, 3 * PAGE, SGX_SECINFO_R, &p), EFAULT);
	EXPECT_EQ(p.count, 2 * PAGE);
	EXPECT_EQ(p.result, SGX_PAGE_NOT_MODIFIABLE);
	EXPECT_EQ(p.offset, DFX_FREE);
	EXPECT_EQ(p.length, 3 * PAGE);
	EXPECT_EQ(p.permissions, SGX_SECINFO_R);
	for (i = 0; i < 2; i++) {
		epcm = dfx_epcm(e, DFX_FREE + i * PAGE);
		EXPECT_EQ(epcm.perm, SGX_SECINFO_R);
		EXPECT_TRUE(epcm.pr);
	}
	epcm = dfx_epcm(e, DFX_FREE + 2 * PAGE);
	EXPECT_TRUE(epcm.pending);
	EXPECT_TRUE(!epcm.pr);
	EXPECT_EQ(epcm.perm, SGX_SECINFO_R | SGX_SECINFO_W);
	dfx_thread_fini(&t);
	dfx_close(e);
}

TEST(restrict_permissions_retry_from_count_after_eaccept)
{
	struct dfx_encl *e = dfx_build();
	struct sgx_enclave_restrict_permissions p;
	struct dfx_thread t;
	uint64_t done;

	ASSERT_TRUE(e);
	dfx_thread_init(&t);
	ASSERT_SGX(dfx_enter(&t, e, DFX_TCS0), SGX_SUCCESS);
	ASSERT_TRUE(eaug_accept(&t, e, DFX_FREE, 1));
	ASSERT_EQ(dfx_access(&t, dfx_la(e, DFX_FREE + PAGE), SGX_PF_W), DFX_EXCEPTION);
	ASSERT_SGX(dfx_resume(&t), SGX_SUCCESS);
	ASSERT_TRUE(eaug_accept(&t, e, DFX_FREE + 2 * PAGE, 1));
	ASSERT_SGX(dfx_exit(&t), SGX_SUCCESS);

	EXPECT_ERRNO(dfx_restrict(e, DFX_FREE, 3 * PAGE, SGX_SECINFO_R, &p), EFAULT);
	EXPECT_EQ(p.count, PAGE);
	EXPECT_EQ(p.result, SGX_PAGE_NOT_MODIFIABLE);
	done = p.count;
	/* What a runtime does: EACCEPT the pending page, continue at offset + count. */
	ASSERT_SGX(dfx_enter(&t, e, DFX_TCS0), SGX_SUCCESS);
	ASSERT_TRUE(eaug_accept(&t, e, DFX_FREE + done, 1));
	ASSERT_SGX(dfx_exit(&t), SGX_SUCCESS);
	EXPECT_EQ(dfx_restrict(e, DFX_FREE + done, 3 * PAGE - done, SGX_SECINFO_R, &p), 0);
	EXPECT_EQ(p.count, 2 * PAGE);
	EXPECT_EQ(dfx_epcm(e, DFX_FREE + PAGE).perm, SGX_SECINFO_R);
	EXPECT_TRUE(dfx_epcm(e, DFX_FREE + PAGE).pr);
	EXPECT_TRUE(dfx_epcm(e, DFX_FREE + 2 * PAGE).pr);
	dfx_thread_fini(&t);
	dfx_close(e);
}

TEST(restrict_permissions_unmapped_range_succeeds)
{
	struct dfx_encl *e = dfx_build();
	struct sgx_enclave_restrict_permissions p;

	ASSERT_TRUE(e);
	/* The ioctl works on enclave offsets: the pages need no mapping. */
	ASSERT_EQ(softsgx_munmap((void *)(uintptr_t)dfx_la(e, DFX_DATA), 2 * PAGE), 0);
	EXPECT_EQ(dfx_restrict(e, DFX_DATA, 2 * PAGE, SGX_SECINFO_R, &p), 0);
	EXPECT_EQ(p.count, 2 * PAGE);
	EXPECT_EQ(dfx_epcm(e, DFX_DATA + PAGE).perm, SGX_SECINFO_R);
	dfx_close(e);
}

TEST(restrict_permissions_copy_back_fault_efault)
{
	struct dfx_encl *e = dfx_build();
	struct sgx_enclave_restrict_permissions p = { .offset = DFX_DATA, .length = PAGE,
						      .permissions = SGX_SECINFO_R };

	ASSERT_TRUE(e);
	/* The loop ran and changed the EPCM; only the copy back failed. */
	EXPECT_ERRNO(restrict_ro(e, &p), EFAULT);
	EXPECT_EQ(p.count, 0);
	EXPECT_EQ(dfx_epcm(e, DFX_DATA).perm, SGX_SECINFO_R);
	EXPECT_TRUE(dfx_epcm(e, DFX_DATA).pr);
	dfx_close(e);
}

TEST(restrict_permissions_keeps_max_protection)
{
	struct dfx_encl *e = dfx_build();
	void *data;

	ASSERT_TRUE(e);
	data = (void *)(uintptr_t)dfx_la(e, DFX_DATA);
	ASSERT_EQ(dfx_restrict(e, DFX_DATA, PAGE, 0, NULL), 0);
	/* vm_max_prot_bits still RW: the EPCM restriction does not limit mappings. */
	EXPECT_EQ(softsgx_mprotect(data, PAGE, PROT_READ | PROT_WRITE), 0);
	EXPECT_EQ(softsgx_mmap(data, PAGE, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, e->fd, 0),
		  data);
	EXPECT_ERRNO(softsgx_mprotect(data, PAGE, PROT_READ | PROT_WRITE | PROT_EXEC), EACCES);
	dfx_close(e);
}

/* The host mapping follows the restriction at once (mapping AND EPCM). */
static bool write_data_pages(struct dfx_encl *e, int n)
{
	struct dfx_thread t;
	bool ok;
	int i;

	dfx_thread_init(&t);
	ok = dfx_enter(&t, e, DFX_TCS0) == SGX_SUCCESS;
	for (i = 0; ok && i < n; i++)
		ok = dfx_access(&t, dfx_la(e, DFX_DATA + i * PAGE), SGX_PF_W) == SGX_SUCCESS;
	ok = ok && dfx_exit(&t) == SGX_SUCCESS;
	dfx_thread_fini(&t);
	return ok;
}

TEST(restrict_permissions_host_protection_follows_epcm)
{
	struct dfx_encl *e = dfx_build();

	ASSERT_TRUE(e);
	dfx_set_tracking(SOFTSGX_TRACK_PER_PAGE);
	ASSERT_TRUE(write_data_pages(e, 2));
	ASSERT_EQ(dfx_host_prot(dfx_la(e, DFX_DATA)), PROT_READ | PROT_WRITE);
	EXPECT_EQ(dfx_restrict(e, DFX_DATA, PAGE, SGX_SECINFO_R, NULL), 0);
	EXPECT_EQ(dfx_host_prot(dfx_la(e, DFX_DATA)), PROT_READ);
	EXPECT_EQ(dfx_restrict(e, DFX_DATA + PAGE, PAGE, 0, NULL), 0);
	EXPECT_EQ(dfx_host_prot(dfx_la(e, DFX_DATA + PAGE)), PROT_NONE);
	dfx_close(e);
}

TEST(restrict_permissions_batched_host_protection_follows_epcm)
{
	struct dfx_encl *e = dfx_build();

	ASSERT_TRUE(e);
	ASSERT_TRUE(write_data_pages(e, 2));
	dfx_set_tracking(SOFTSGX_TRACK_BATCHED);
	EXPECT_EQ(dfx_restrict(e, DFX_DATA, 2 * PAGE, SGX_SECINFO_R, NULL), 0);
	dfx_set_tracking(SOFTSGX_TRACK_PER_PAGE);
	EXPECT_EQ(dfx_host_prot(dfx_la(e, DFX_DATA)), PROT_READ);
	EXPECT_EQ(dfx_host_prot(dfx_la(e, DFX_DATA + PAGE)), PROT_READ);
	dfx_close(e);
}

/*
 * SGX_EPC_PAGE_CONFLICT: enclave thread A is inside EACCEPT/EMODPE of
 * DFX_DATA + PAGE and pauses there holding the page's marks (a real thread,
 * dfx_during_leaf()); the test thread runs the ioctl over [DFX_DATA,
 * DFX_DATA + 2 pages) meanwhile.
 */
struct restrict_call {
	struct dfx_encl *e;
	struct sgx_enclave_restrict_permissions p;
};

static int restrict_data(void *ctx)
{
	struct restrict_call *c = ctx;

	return dfx_restrict(c->e, DFX_DATA, 2 * PAGE, SGX_SECINFO_R, &c->p);
}

TEST(restrict_permissions_concurrent_eaccept_epc_page_conflict)
{
	struct dfx_encl *e = dfx_build();
	struct sgx_enclave_restrict_permissions p = { 0 };
	struct restrict_call c = { .e = e };
	struct dfx_thread a;
	uint64_t emodpr_before;
	int a_ret = -1;

	ASSERT_TRUE(e);
	dfx_thread_init(&a);
	ASSERT_SGX(dfx_enter(&a, e, DFX_TCS0), SGX_SUCCESS);
	/* Page-table entries first, so that A's EACCEPT runs without an AEX. */
	ASSERT_SGX(dfx_access(&a, dfx_la(e, DFX_SECINFO), 0), SGX_SUCCESS);
	ASSERT_SGX(dfx_access(&a, dfx_la(e, DFX_DATA + PAGE), 0), SGX_SUCCESS);
	emodpr_before = softsgx_leaf_count(SGX_LEAF_ENCLS(ENCLS_EMODPR));

	EXPECT_ERRNO(dfx_during_leaf(&a, SGX_LEAF_ENCLU(ENCLU_EACCEPT),
				     dfx_secinfo(e, 0, REG_RW | SGX_SECINFO_PR),
				     dfx_la(e, DFX_DATA + PAGE), restrict_data, &c, &a_ret),
		     EFAULT);
	p = c.p;
	EXPECT_EQ(p.result, SGX_EPC_PAGE_CONFLICT);
	EXPECT_EQ(p.count, PAGE);
	/* One EMODPR per page, no retry of the conflicting one (as upstream). */
	EXPECT_EQ(softsgx_leaf_count(SGX_LEAF_ENCLS(ENCLS_EMODPR)), emodpr_before + 2);
	EXPECT_SGX(a_ret, SGX_SUCCESS);
	EXPECT_EQ(dfx_epcm(e, DFX_DATA).perm, SGX_SECINFO_R);
	EXPECT_TRUE(dfx_epcm(e, DFX_DATA).pr);
	EXPECT_EQ(dfx_epcm(e, DFX_DATA + PAGE).perm, SGX_SECINFO_R | SGX_SECINFO_W);
	EXPECT_TRUE(!dfx_epcm(e, DFX_DATA + PAGE).pr);

	/* Once A is done (and out), the runtime's retry from offset + count succeeds. */
	EXPECT_SGX(dfx_exit(&a), SGX_SUCCESS);
	EXPECT_EQ(dfx_restrict(e, DFX_DATA + p.count, 2 * PAGE - p.count, SGX_SECINFO_R, &p), 0);
	EXPECT_EQ(dfx_epcm(e, DFX_DATA + PAGE).perm, SGX_SECINFO_R);
	dfx_thread_fini(&a);
	dfx_close(e);
}

TEST(restrict_permissions_concurrent_emodpe_epc_page_conflict)
{
	struct dfx_encl *e = dfx_build();
	struct sgx_enclave_restrict_permissions p = { 0 };
	struct restrict_call c = { .e = e };
	struct dfx_thread a;
	int a_ret = -1;

	ASSERT_TRUE(e);
	dfx_thread_init(&a);
	ASSERT_SGX(dfx_enter(&a, e, DFX_TCS0), SGX_SUCCESS);
	ASSERT_SGX(dfx_access(&a, dfx_la(e, DFX_SECINFO), 0), SGX_SUCCESS);
	ASSERT_SGX(dfx_access(&a, dfx_la(e, DFX_DATA + PAGE), 0), SGX_SUCCESS);

	EXPECT_ERRNO(dfx_during_leaf(&a, SGX_LEAF_ENCLU(ENCLU_EMODPE),
				     dfx_secinfo(e, 0, SGX_SECINFO_R | SGX_SECINFO_X),
				     dfx_la(e, DFX_DATA + PAGE), restrict_data, &c, &a_ret),
		     EFAULT);
	p = c.p;
	EXPECT_EQ(p.result, SGX_EPC_PAGE_CONFLICT);
	EXPECT_EQ(p.count, PAGE);
	EXPECT_SGX(a_ret, SGX_SUCCESS);
	EXPECT_TRUE(dfx_epcm(e, DFX_DATA).pr);
	/* A's EMODPE completed after the conflict: RW | X. */
	EXPECT_EQ(dfx_epcm(e, DFX_DATA + PAGE).perm, SGX_SECINFO_R | SGX_SECINFO_W | SGX_SECINFO_X);
	EXPECT_TRUE(!dfx_epcm(e, DFX_DATA + PAGE).pr);
	EXPECT_SGX(dfx_exit(&a), SGX_SUCCESS);
	dfx_thread_fini(&a);
	dfx_close(e);
}
