/* softsgx-test: threads */
/* SPDX-License-Identifier: MIT */
/*
 * SGX_IOC_ENCLAVE_MODIFY_TYPES (reference/linux-driver.md §2): the SGX2
 * checks before the copy, offset and length, page_type beyond 0xFF and
 * nonzero outputs (no copy back), a target other than TCS/TRIM (copied
 * back), the allowed transitions REG->TCS, REG->TRIM, TCS->TRIM, the
 * maximum-protection rule of REG->TCS (EPERM) and EMODT's SGX errors in
 * result with count.
 *
 * SGX_EPC_PAGE_CONFLICT from EMODT is provoked with a real enclave thread
 * paused inside EACCEPT of the page (dfx_during_leaf()).
 *
 * Not covered: ENODEV (the shared platform always has SGX2).
 * "No copy back" is shown with a read-only struct, where a copy back
 * would turn the errno into EFAULT.
 */
#include <stdlib.h>

#include "dfx.h"

#define PAGE 0x1000ull
#define REG_RW (SGX_SECINFO_REG | SGX_SECINFO_R | SGX_SECINFO_W)
#define RWX (PROT_READ | PROT_WRITE | PROT_EXEC)

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

static int modify_ro(struct dfx_encl *e, struct sgx_enclave_modify_types *p)
{
	void *ro = dfx_ro_copy(p, sizeof(*p));
	int ret, err;

	ret = softsgx_ioctl(e->fd, SGX_IOC_ENCLAVE_MODIFY_TYPES, ro);
	err = errno;
	memcpy(p, ro, sizeof(*p));
	dfx_page_free(ro);
	errno = err;
	return ret;
}

static void expect_einval_no_copy_back(struct dfx_encl *e, struct sgx_enclave_modify_types p)
{
	struct sgx_enclave_modify_types q = p;

	EXPECT_ERRNO(modify_ro(e, &q), EINVAL);
	EXPECT_TRUE(!memcmp(&p, &q, sizeof(p)));
}

static bool eaug_accept(struct dfx_thread *t, struct dfx_encl *e, uint64_t offset, int n)
{
	uint64_t si = dfx_secinfo(e, 0, REG_RW | SGX_SECINFO_PENDING);
	int i;

	for (i = 0; i < n; i++)
		if (dfx_eaccept(t, si, dfx_la(e, offset + i * PAGE)) != SGX_SUCCESS)
			return false;
	return true;
}

/* The default enclave with @n accepted EAUGed pages at DFX_FREE (max RWX). */
static struct dfx_encl *build_with_eaug(int n)
{
	struct dfx_encl *e = dfx_build();
	struct dfx_thread t;
	bool ok;

	if (!e)
		return NULL;
	dfx_thread_init(&t);
	ok = dfx_enter(&t, e, DFX_TCS0) == SGX_SUCCESS && eaug_accept(&t, e, DFX_FREE, n) &&
	     dfx_exit(&t) == SGX_SUCCESS;
	dfx_thread_fini(&t);
	if (!ok) {
		harness_fail(__FILE__, __LINE__, "EAUG of %d pages", n);
		dfx_close(e);
		return NULL;
	}
	return e;
}

static void *la_ptr(struct dfx_encl *e, uint64_t offset)
{
	return (void *)(uintptr_t)dfx_la(e, offset);
}

/* SGX2 common checks */

TEST(modify_types_not_created_einval)
{
	struct sgx_enclave_modify_types p = { .offset = 0, .length = PAGE,
					      .page_type = SGX_PAGE_TYPE_TRIM };
	int fd = softsgx_open("/dev/sgx_enclave", O_RDWR);

	ASSERT_TRUE(fd >= 0);
	EXPECT_ERRNO(softsgx_ioctl(fd, SGX_IOC_ENCLAVE_MODIFY_TYPES, &p), EINVAL);
	softsgx_close(fd);
}

TEST(modify_types_not_initialized_einval)
{
	struct dfx_encl *e = uninit_encl();

	ASSERT_TRUE(e);
	expect_einval_no_copy_back(e, (struct sgx_enclave_modify_types){
		.offset = DFX_DATA, .length = PAGE, .page_type = SGX_PAGE_TYPE_TRIM });
	EXPECT_EQ(dfx_epcm(e, DFX_DATA).type, SGX_PAGE_TYPE_REG);
	EXPECT_TRUE(!dfx_epcm(e, DFX_DATA).modified);
	dfx_close(e);
}

TEST(modify_types_not_initialized_unreadable_arg_einval)
{
	struct dfx_encl *e = uninit_encl();
	void *arg = dfx_unreadable();

	ASSERT_TRUE(e && arg);
	EXPECT_ERRNO(softsgx_ioctl(e->fd, SGX_IOC_ENCLAVE_MODIFY_TYPES, arg), EINVAL);
	EXPECT_ERRNO(softsgx_ioctl(e->fd, SGX_IOC_ENCLAVE_MODIFY_TYPES, NULL), EINVAL);
	dfx_page_free(arg);
	dfx_close(e);
}

TEST(modify_types_unreadable_arg_efault)
{
	struct dfx_encl *e = dfx_build();
	void *arg = dfx_unreadable();

	ASSERT_TRUE(e && arg);
	EXPECT_ERRNO(softsgx_ioctl(e->fd, SGX_IOC_ENCLAVE_MODIFY_TYPES, arg), EFAULT);
	EXPECT_ERRNO(softsgx_ioctl(e->fd, SGX_IOC_ENCLAVE_MODIFY_TYPES, NULL), EFAULT);
	dfx_page_free(arg);
	dfx_close(e);
}

/* Offset and length */

TEST(modify_types_offset_unaligned_einval)
{
	struct dfx_encl *e = dfx_build();

	ASSERT_TRUE(e);
	expect_einval_no_copy_back(e, (struct sgx_enclave_modify_types){
		.offset = DFX_DATA + 0x800, .length = PAGE, .page_type = SGX_PAGE_TYPE_TRIM });
	EXPECT_EQ(dfx_epcm(e, DFX_DATA).type, SGX_PAGE_TYPE_REG);
	dfx_close(e);
}

TEST(modify_types_length_zero_einval)
{
	struct dfx_encl *e = dfx_build();

	ASSERT_TRUE(e);
	expect_einval_no_copy_back(e, (struct sgx_enclave_modify_types){
		.offset = DFX_DATA, .length = 0, .page_type = SGX_PAGE_TYPE_TRIM });
	dfx_close(e);
}

TEST(modify_types_length_unaligned_einval)
{
	struct dfx_encl *e = dfx_build();

	ASSERT_TRUE(e);
	expect_einval_no_copy_back(e, (struct sgx_enclave_modify_types){
		.offset = DFX_DATA, .length = PAGE - 1, .page_type = SGX_PAGE_TYPE_TRIM });
	EXPECT_EQ(dfx_epcm(e, DFX_DATA).type, SGX_PAGE_TYPE_REG);
	dfx_close(e);
}

TEST(modify_types_offset_length_overflow_einval)
{
	struct dfx_encl *e = dfx_build();

	ASSERT_TRUE(e);
	expect_einval_no_copy_back(e, (struct sgx_enclave_modify_types){
		.offset = DFX_DATA + PAGE, .length = 0ull - PAGE, .page_type = SGX_PAGE_TYPE_TRIM });
	EXPECT_EQ(dfx_epcm(e, DFX_DATA).type, SGX_PAGE_TYPE_REG);
	dfx_close(e);
}

TEST(modify_types_range_beyond_enclave_einval)
{
	struct dfx_encl *e = dfx_build();

	ASSERT_TRUE(e);
	expect_einval_no_copy_back(e, (struct sgx_enclave_modify_types){
		.offset = DFX_SIZE - PAGE, .length = 2 * PAGE, .page_type = SGX_PAGE_TYPE_TRIM });
	expect_einval_no_copy_back(e, (struct sgx_enclave_modify_types){
		.offset = DFX_SIZE, .length = PAGE, .page_type = SGX_PAGE_TYPE_TRIM });
	dfx_close(e);
}

/* The ioctl's own input checks */

TEST(modify_types_page_type_beyond_0xff_einval)
{
	struct dfx_encl *e = dfx_build();

	ASSERT_TRUE(e);
	/* Low byte TRIM: only the high bits are wrong. */
	expect_einval_no_copy_back(e, (struct sgx_enclave_modify_types){
		.offset = DFX_DATA, .length = PAGE, .page_type = 0x100 | SGX_PAGE_TYPE_TRIM });
	expect_einval_no_copy_back(e, (struct sgx_enclave_modify_types){
		.offset = DFX_DATA, .length = PAGE, .page_type = 1ull << 63 | SGX_PAGE_TYPE_TCS });
	EXPECT_EQ(dfx_epcm(e, DFX_DATA).type, SGX_PAGE_TYPE_REG);
	EXPECT_TRUE(!dfx_epcm(e, DFX_DATA).modified);
	dfx_close(e);
}

TEST(modify_types_result_nonzero_einval)
{
	struct dfx_encl *e = dfx_build();
	struct sgx_enclave_modify_types p = { .offset = DFX_DATA, .length = PAGE,
					      .page_type = SGX_PAGE_TYPE_TRIM, .result = 7 };

	ASSERT_TRUE(e);
	expect_einval_no_copy_back(e, p);
	EXPECT_ERRNO(softsgx_ioctl(e->fd, SGX_IOC_ENCLAVE_MODIFY_TYPES, &p), EINVAL);
	EXPECT_EQ(p.result, 7);
	EXPECT_EQ(p.count, 0);
	EXPECT_EQ(dfx_epcm(e, DFX_DATA).type, SGX_PAGE_TYPE_REG);
	dfx_close(e);
}

TEST(modify_types_count_nonzero_einval)
{
	struct dfx_encl *e = dfx_build();
	struct sgx_enclave_modify_types p = { .offset = DFX_DATA, .length = PAGE,
					      .page_type = SGX_PAGE_TYPE_TRIM, .count = PAGE };

	ASSERT_TRUE(e);
	expect_einval_no_copy_back(e, p);
	EXPECT_ERRNO(softsgx_ioctl(e->fd, SGX_IOC_ENCLAVE_MODIFY_TYPES, &p), EINVAL);
	EXPECT_EQ(p.count, PAGE);
	EXPECT_EQ(dfx_epcm(e, DFX_DATA).type, SGX_PAGE_TYPE_REG);
	dfx_close(e);
}

TEST(modify_types_target_not_tcs_or_trim_einval)
{
	static const uint64_t types[] = { SGX_PAGE_TYPE_SECS, SGX_PAGE_TYPE_REG, SGX_PAGE_TYPE_VA,
					  5, 6, 0xFF };
	struct dfx_encl *e = dfx_build();
	struct sgx_enclave_modify_types p;
	size_t i;

	ASSERT_TRUE(e);
	for (i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		EXPECT_ERRNO(dfx_modify(e, DFX_DATA, PAGE, types[i], &p), EINVAL);
		EXPECT_EQ(p.count, 0);
		EXPECT_EQ(p.result, 0);
		EXPECT_EQ(p.page_type, types[i]);
	}
	EXPECT_EQ(dfx_epcm(e, DFX_DATA).type, SGX_PAGE_TYPE_REG);
	EXPECT_TRUE(!dfx_epcm(e, DFX_DATA).modified);
	dfx_close(e);
}

TEST(modify_types_target_not_tcs_or_trim_copies_back)
{
	struct dfx_encl *e = dfx_build();
	struct sgx_enclave_modify_types p = { .offset = DFX_DATA, .length = PAGE,
					      .page_type = SGX_PAGE_TYPE_REG };

	ASSERT_TRUE(e);
	/* Unlike the checks before it, this one copies the struct back: read-only -> EFAULT. */
	EXPECT_ERRNO(modify_ro(e, &p), EFAULT);
	dfx_close(e);
}

/* Transitions */

TEST(modify_types_reg_to_trim_succeeds)
{
	struct dfx_encl *e = dfx_build();
	struct sgx_enclave_modify_types p;
	struct sgx_epcm_info epcm;
	int i;

	ASSERT_TRUE(e);
	EXPECT_EQ(dfx_modify(e, DFX_DATA, 2 * PAGE, SGX_PAGE_TYPE_TRIM, &p), 0);
	EXPECT_EQ(p.count, 2 * PAGE);
	EXPECT_EQ(p.result, 0);
	for (i = 0; i < 2; i++) {
		epcm = dfx_epcm(e, DFX_DATA + i * PAGE);
		EXPECT_EQ(epcm.type, SGX_PAGE_TYPE_TRIM);
		EXPECT_TRUE(epcm.modified);
		EXPECT_EQ(epcm.perm, 0);
		EXPECT_TRUE(!epcm.pr);
	}
	EXPECT_EQ(dfx_epcm(e, DFX_DATA + 2 * PAGE).type, SGX_PAGE_TYPE_REG);
	dfx_close(e);
}

TEST(modify_types_trim_page_stays_mapped_epcm_fault)
{
	struct dfx_encl *e = dfx_build();
	struct dfx_thread t;
	uint64_t la;

	ASSERT_TRUE(e);
	la = dfx_la(e, DFX_DATA);
	dfx_thread_init(&t);
	ASSERT_SGX(dfx_enter(&t, e, DFX_TCS0), SGX_SUCCESS);
	ASSERT_SGX(dfx_access(&t, la, SGX_PF_W), SGX_SUCCESS);
	ASSERT_SGX(dfx_exit(&t), SGX_SUCCESS);
	ASSERT_EQ(dfx_modify(e, DFX_DATA, PAGE, SGX_PAGE_TYPE_TRIM, NULL), 0);
	/* ->TRIM neither zaps the PTE nor limits the mapping: the EPCM refuses (0x8005). */
	EXPECT_EQ(softsgx_mprotect((void *)(uintptr_t)la, PAGE, PROT_READ | PROT_WRITE), 0);
	ASSERT_SGX(dfx_enter(&t, e, DFX_TCS0), SGX_SUCCESS);
	ASSERT_EQ(dfx_access(&t, la, 0), DFX_EXCEPTION);
	EXPECT_EQ(t.exc.vector, SGX_VEC_PF);
	EXPECT_EQ(t.exc.error_code, 0x8005);
	EXPECT_EQ(t.exc.addr, la);
	dfx_thread_fini(&t);
	dfx_close(e);
}

TEST(modify_types_tcs_to_trim_succeeds)
{
	struct dfx_encl *e = dfx_build();
	struct sgx_enclave_modify_types p;
	struct sgx_epcm_info epcm;

	ASSERT_TRUE(e);
	EXPECT_EQ(dfx_modify(e, DFX_TCS1, PAGE, SGX_PAGE_TYPE_TRIM, &p), 0);
	EXPECT_EQ(p.count, PAGE);
	epcm = dfx_epcm(e, DFX_TCS1);
	EXPECT_EQ(epcm.type, SGX_PAGE_TYPE_TRIM);
	EXPECT_TRUE(epcm.modified);
	dfx_close(e);
}

TEST(modify_types_reg_to_tcs_succeeds)
{
	struct dfx_encl *e = build_with_eaug(1);
	struct sgx_enclave_modify_types p;
	struct sgx_epcm_info epcm;
	void *page;

	ASSERT_TRUE(e);
	page = la_ptr(e, DFX_FREE);
	/* An EAUGed page may be mapped RWX before... */
	EXPECT_EQ(softsgx_mprotect(page, PAGE, RWX), 0);
	EXPECT_EQ(softsgx_mprotect(page, PAGE, PROT_READ | PROT_WRITE), 0);
	EXPECT_EQ(dfx_modify(e, DFX_FREE, PAGE, SGX_PAGE_TYPE_TCS, &p), 0);
	EXPECT_EQ(p.count, PAGE);
	EXPECT_EQ(p.result, 0);
	epcm = dfx_epcm(e, DFX_FREE);
	EXPECT_EQ(epcm.type, SGX_PAGE_TYPE_TCS);
	EXPECT_TRUE(epcm.modified);
	EXPECT_EQ(epcm.perm, 0);
	/* ... and after REG->TCS its maximum is RW: X is refused. */
	EXPECT_ERRNO(softsgx_mprotect(page, PAGE, RWX), EACCES);
	EXPECT_EQ(softsgx_mprotect(page, PAGE, PROT_READ | PROT_WRITE), 0);
	dfx_close(e);
}

TEST(modify_types_tcs_to_tcs_einval)
{
	struct dfx_encl *e = dfx_build();
	struct sgx_enclave_modify_types p;

	ASSERT_TRUE(e);
	EXPECT_ERRNO(dfx_modify(e, DFX_TCS0, PAGE, SGX_PAGE_TYPE_TCS, &p), EINVAL);
	EXPECT_EQ(p.count, 0);
	EXPECT_EQ(p.result, 0);
	EXPECT_EQ(dfx_epcm(e, DFX_TCS0).type, SGX_PAGE_TYPE_TCS);
	EXPECT_TRUE(!dfx_epcm(e, DFX_TCS0).modified);
	dfx_close(e);
}

TEST(modify_types_trim_to_tcs_einval)
{
	struct dfx_encl *e = dfx_build();
	struct sgx_enclave_modify_types p;

	ASSERT_TRUE(e);
	ASSERT_EQ(dfx_modify(e, DFX_DATA, PAGE, SGX_PAGE_TYPE_TRIM, NULL), 0);
	EXPECT_ERRNO(dfx_modify(e, DFX_DATA, PAGE, SGX_PAGE_TYPE_TCS, &p), EINVAL);
	EXPECT_EQ(p.count, 0);
	EXPECT_EQ(p.result, 0);
	EXPECT_EQ(dfx_epcm(e, DFX_DATA).type, SGX_PAGE_TYPE_TRIM);
	dfx_close(e);
}

TEST(modify_types_trim_to_trim_einval)
{
	struct dfx_encl *e = dfx_build();
	struct sgx_enclave_modify_types p;

	ASSERT_TRUE(e);
	ASSERT_EQ(dfx_modify(e, DFX_DATA, PAGE, SGX_PAGE_TYPE_TRIM, NULL), 0);
	EXPECT_ERRNO(dfx_modify(e, DFX_DATA, PAGE, SGX_PAGE_TYPE_TRIM, &p), EINVAL);
	EXPECT_EQ(p.count, 0);
	EXPECT_EQ(p.result, 0);
	dfx_close(e);
}

TEST(modify_types_mid_range_tcs_to_tcs_einval_count)
{
	struct dfx_encl *e = build_with_eaug(2);
	struct sgx_enclave_modify_types p;

	ASSERT_TRUE(e);
	ASSERT_EQ(dfx_modify(e, DFX_FREE + PAGE, PAGE, SGX_PAGE_TYPE_TCS, NULL), 0);
	/* REG then TCS, to TCS: the first page converts, the second stops the loop. */
	EXPECT_ERRNO(dfx_modify(e, DFX_FREE, 2 * PAGE, SGX_PAGE_TYPE_TCS, &p), EINVAL);
	EXPECT_EQ(p.count, PAGE);
	EXPECT_EQ(p.result, 0);
	EXPECT_EQ(dfx_epcm(e, DFX_FREE).type, SGX_PAGE_TYPE_TCS);
	dfx_close(e);
}

/* REG->TCS needs a maximum with R and W */

TEST(modify_types_reg_to_tcs_rx_page_eperm)
{
	struct dfx_encl *e = dfx_build();
	struct sgx_enclave_modify_types p;

	ASSERT_TRUE(e);
	EXPECT_ERRNO(dfx_modify(e, DFX_CODE, PAGE, SGX_PAGE_TYPE_TCS, &p), EPERM);
	EXPECT_EQ(p.count, 0);
	EXPECT_EQ(p.result, 0);
	EXPECT_EQ(dfx_epcm(e, DFX_CODE).type, SGX_PAGE_TYPE_REG);
	EXPECT_EQ(dfx_epcm(e, DFX_CODE).perm, SGX_SECINFO_R | SGX_SECINFO_X);
	EXPECT_TRUE(!dfx_epcm(e, DFX_CODE).modified);
	/* The maximum is unchanged: R-X may still be mapped. */
	EXPECT_EQ(softsgx_mprotect(la_ptr(e, DFX_CODE), PAGE, PROT_READ | PROT_EXEC), 0);
	dfx_close(e);
}

TEST(modify_types_reg_to_tcs_read_only_page_eperm)
{
	struct dfx_encl *e = dfx_build();
	struct sgx_enclave_modify_types p;

	ASSERT_TRUE(e);
	EXPECT_ERRNO(dfx_modify(e, DFX_RODATA, PAGE, SGX_PAGE_TYPE_TCS, &p), EPERM);
	EXPECT_EQ(p.count, 0);
	EXPECT_EQ(dfx_epcm(e, DFX_RODATA).type, SGX_PAGE_TYPE_REG);
	dfx_close(e);
}

TEST(modify_types_reg_to_trim_of_rx_page_succeeds)
{
	struct dfx_encl *e = dfx_build();
	struct sgx_enclave_modify_types p;

	ASSERT_TRUE(e);
	/* The maximum only matters for TCS. */
	EXPECT_EQ(dfx_modify(e, DFX_CODE, PAGE, SGX_PAGE_TYPE_TRIM, &p), 0);
	EXPECT_EQ(p.count, PAGE);
	EXPECT_EQ(dfx_epcm(e, DFX_CODE).type, SGX_PAGE_TYPE_TRIM);
	dfx_close(e);
}

/* The page loop: errors with count and result */

TEST(modify_types_absent_page_efault_count)
{
	struct dfx_encl *e = dfx_build();
	struct sgx_enclave_modify_types p;

	ASSERT_TRUE(e);
	EXPECT_ERRNO(dfx_modify(e, DFX_RODATA, 2 * PAGE, SGX_PAGE_TYPE_TRIM, &p), EFAULT);
	EXPECT_EQ(p.count, PAGE);
	EXPECT_EQ(p.result, 0);
	EXPECT_EQ(dfx_epcm(e, DFX_RODATA).type, SGX_PAGE_TYPE_TRIM);
	dfx_close(e);
}

TEST(modify_types_pending_page_not_modifiable)
{
	struct dfx_encl *e = dfx_build();
	struct sgx_enclave_modify_types p;
	struct dfx_thread t;

	ASSERT_TRUE(e);
	dfx_thread_init(&t);
	ASSERT_SGX(dfx_enter(&t, e, DFX_TCS0), SGX_SUCCESS);
	ASSERT_TRUE(eaug_accept(&t, e, DFX_FREE, 1));
	ASSERT_EQ(dfx_access(&t, dfx_la(e, DFX_FREE + PAGE), SGX_PF_W), DFX_EXCEPTION);
	dfx_thread_fini(&t);

	EXPECT_ERRNO(dfx_modify(e, DFX_FREE, 2 * PAGE, SGX_PAGE_TYPE_TRIM, &p), EFAULT);
	EXPECT_EQ(p.count, PAGE);
	EXPECT_EQ(p.result, SGX_PAGE_NOT_MODIFIABLE);
	EXPECT_EQ(dfx_epcm(e, DFX_FREE).type, SGX_PAGE_TYPE_TRIM);
	EXPECT_EQ(dfx_epcm(e, DFX_FREE + PAGE).type, SGX_PAGE_TYPE_REG);
	EXPECT_TRUE(dfx_epcm(e, DFX_FREE + PAGE).pending);
	dfx_close(e);
}

TEST(modify_types_pending_page_to_tcs_restores_max)
{
	struct dfx_encl *e = dfx_build();
	struct sgx_enclave_modify_types p;
	struct dfx_thread t;

	ASSERT_TRUE(e);
	dfx_thread_init(&t);
	ASSERT_SGX(dfx_enter(&t, e, DFX_TCS0), SGX_SUCCESS);
	ASSERT_EQ(dfx_access(&t, dfx_la(e, DFX_FREE), SGX_PF_W), DFX_EXCEPTION);
	dfx_thread_fini(&t);

	EXPECT_ERRNO(dfx_modify(e, DFX_FREE, PAGE, SGX_PAGE_TYPE_TCS, &p), EFAULT);
	EXPECT_EQ(p.count, 0);
	EXPECT_EQ(p.result, SGX_PAGE_NOT_MODIFIABLE);
	EXPECT_EQ(dfx_epcm(e, DFX_FREE).type, SGX_PAGE_TYPE_REG);
	/* The failed EMODT put the old maximum (RWX, EAUG) back. */
	EXPECT_EQ(softsgx_mprotect(la_ptr(e, DFX_FREE), PAGE, RWX), 0);
	dfx_close(e);
}

TEST(modify_types_copy_back_fault_efault)
{
	struct dfx_encl *e = dfx_build();
	struct sgx_enclave_modify_types p = { .offset = DFX_DATA, .length = PAGE,
					      .page_type = SGX_PAGE_TYPE_TRIM };

	ASSERT_TRUE(e);
	EXPECT_ERRNO(modify_ro(e, &p), EFAULT);
	EXPECT_EQ(dfx_epcm(e, DFX_DATA).type, SGX_PAGE_TYPE_TRIM);
	dfx_close(e);
}

/* After REG->TCS a mapping that still allows X makes faults on the page fail (SIGBUS). */
TEST(modify_types_tcs_under_exec_mapping_sigbus)
{
	struct dfx_encl *e = build_with_eaug(1);
	uint64_t sigbus_before;
	struct dfx_thread t;
	uint64_t la;

	ASSERT_TRUE(e);
	la = dfx_la(e, DFX_FREE);
	dfx_thread_init(&t);
	ASSERT_EQ(softsgx_mprotect((void *)(uintptr_t)la, PAGE, RWX), 0);
	ASSERT_SGX(dfx_enter(&t, e, DFX_TCS0), SGX_SUCCESS);
	ASSERT_SGX(dfx_access(&t, la, 0), SGX_SUCCESS);
	ASSERT_SGX(dfx_exit(&t), SGX_SUCCESS);
	ASSERT_EQ(dfx_modify(e, DFX_FREE, PAGE, SGX_PAGE_TYPE_TCS, NULL), 0);

	sigbus_before = DFX_COUNT(SOFTSGX_CNT_FAULT_SIGBUS);
	ASSERT_SGX(dfx_enter(&t, e, DFX_TCS0), SGX_SUCCESS);
	/* The PTE was zapped; the fault finds VMA RWX beyond the page's RW maximum. */
	ASSERT_EQ(dfx_access(&t, la, 0), DFX_EXCEPTION);
	EXPECT_EQ(t.exc.vector, SGX_VEC_PF);
	EXPECT_EQ(t.exc.error_code, SGX_PF_U); /* plain hardware code: read, not present */
	EXPECT_EQ(DFX_COUNT(SOFTSGX_CNT_FAULT_SIGBUS), sigbus_before + 1);
	/* New mappings or protections with X there are refused. */
	EXPECT_ERRNO(softsgx_mprotect((void *)(uintptr_t)la, PAGE, PROT_READ | PROT_EXEC), EACCES);
	EXPECT_TRUE(softsgx_mmap((void *)(uintptr_t)la, PAGE, RWX, MAP_SHARED | MAP_FIXED, e->fd, 0) ==
		    MAP_FAILED);
	EXPECT_EQ(errno, EACCES);
	dfx_thread_fini(&t);
	dfx_close(e);
}

/* EMODT while an enclave thread's EACCEPT holds the page: SGX_EPC_PAGE_CONFLICT in result. */
struct modify_call {
	struct dfx_encl *e;
	struct sgx_enclave_modify_types p;
};

static int trim_data(void *ctx)
{
	struct modify_call *c = ctx;

	return dfx_modify(c->e, DFX_DATA, 2 * PAGE, SGX_PAGE_TYPE_TRIM, &c->p);
}

TEST(modify_types_concurrent_eaccept_epc_page_conflict)
{
	struct dfx_encl *e = dfx_build();
	struct modify_call c = { .e = e };
	struct dfx_thread a;
	int a_ret = -1;

	ASSERT_TRUE(e);
	dfx_thread_init(&a);
	ASSERT_SGX(dfx_enter(&a, e, DFX_TCS0), SGX_SUCCESS);
	ASSERT_SGX(dfx_access(&a, dfx_la(e, DFX_SECINFO), 0), SGX_SUCCESS);
	ASSERT_SGX(dfx_access(&a, dfx_la(e, DFX_DATA + PAGE), 0), SGX_SUCCESS);
	EXPECT_ERRNO(dfx_during_leaf(&a, SGX_LEAF_ENCLU(ENCLU_EACCEPT),
				     dfx_secinfo(e, 0, REG_RW | SGX_SECINFO_PR),
				     dfx_la(e, DFX_DATA + PAGE), trim_data, &c, &a_ret),
		     EFAULT);
	EXPECT_EQ(c.p.result, SGX_EPC_PAGE_CONFLICT);
	EXPECT_EQ(c.p.count, PAGE);
	EXPECT_SGX(a_ret, SGX_SUCCESS);
	EXPECT_EQ(dfx_epcm(e, DFX_DATA).type, SGX_PAGE_TYPE_TRIM);
	EXPECT_EQ(dfx_epcm(e, DFX_DATA + PAGE).type, SGX_PAGE_TYPE_REG);
	EXPECT_TRUE(!dfx_epcm(e, DFX_DATA + PAGE).modified);
	/* The recorded type stayed REG: once A is out, the retry from offset + count works. */
	EXPECT_SGX(dfx_exit(&a), SGX_SUCCESS);
	EXPECT_EQ(dfx_modify(e, DFX_DATA + PAGE, PAGE, SGX_PAGE_TYPE_TRIM, &c.p), 0);
	EXPECT_EQ(dfx_epcm(e, DFX_DATA + PAGE).type, SGX_PAGE_TYPE_TRIM);
	dfx_thread_fini(&a);
	dfx_close(e);
}

/* The host mapping: TRIM and TCS pages are never accessible. */
static bool write_page(struct dfx_encl *e, uint64_t offset)
{
	struct dfx_thread t;
	bool ok;

	dfx_thread_init(&t);
	ok = dfx_enter(&t, e, DFX_TCS0) == SGX_SUCCESS &&
	     dfx_access(&t, dfx_la(e, offset), SGX_PF_W) == SGX_SUCCESS && dfx_exit(&t) == SGX_SUCCESS;
	dfx_thread_fini(&t);
	return ok;
}

TEST(modify_types_trim_host_protection_none)
{
	struct dfx_encl *e = dfx_build();

	ASSERT_TRUE(e);
	ASSERT_TRUE(write_page(e, DFX_DATA));
	ASSERT_EQ(dfx_host_prot(dfx_la(e, DFX_DATA)), PROT_READ | PROT_WRITE);
	EXPECT_EQ(dfx_modify(e, DFX_DATA, PAGE, SGX_PAGE_TYPE_TRIM, NULL), 0);
	EXPECT_EQ(dfx_host_prot(dfx_la(e, DFX_DATA)), PROT_NONE);
	dfx_close(e);
}

TEST(modify_types_reg_to_tcs_host_protection_none)
{
	struct dfx_encl *e = dfx_build();

	ASSERT_TRUE(e);
	ASSERT_TRUE(write_page(e, DFX_DATA));
	EXPECT_EQ(dfx_modify(e, DFX_DATA, PAGE, SGX_PAGE_TYPE_TCS, NULL), 0);
	EXPECT_EQ(dfx_host_prot(dfx_la(e, DFX_DATA)), PROT_NONE);
	dfx_close(e);
}

/*
 * REG->TCS zaps the page's PTEs before EMODT; when EMODT then fails the
 * page stays without a PTE (as in Linux), so its host protection must be
 * PROT_NONE too: the next access faults and maps it again.
 */
static int to_tcs_data(void *ctx)
{
	struct modify_call *c = ctx;

	return dfx_modify(c->e, DFX_DATA + PAGE, PAGE, SGX_PAGE_TYPE_TCS, &c->p);
}

TEST(modify_types_failed_tcs_conversion_host_protection_none)
{
	struct dfx_encl *e = dfx_build();
	struct modify_call c = { .e = e };
	uint64_t map_before;
	struct dfx_thread a;
	int a_ret = -1;

	ASSERT_TRUE(e);
	dfx_thread_init(&a);
	ASSERT_SGX(dfx_enter(&a, e, DFX_TCS0), SGX_SUCCESS);
	ASSERT_SGX(dfx_access(&a, dfx_la(e, DFX_SECINFO), 0), SGX_SUCCESS);
	ASSERT_SGX(dfx_access(&a, dfx_la(e, DFX_DATA + PAGE), SGX_PF_W), SGX_SUCCESS);
	ASSERT_EQ(dfx_host_prot(dfx_la(e, DFX_DATA + PAGE)), PROT_READ | PROT_WRITE);
	EXPECT_ERRNO(dfx_during_leaf(&a, SGX_LEAF_ENCLU(ENCLU_EACCEPT),
				     dfx_secinfo(e, 0, REG_RW | SGX_SECINFO_PR),
				     dfx_la(e, DFX_DATA + PAGE), to_tcs_data, &c, &a_ret),
		     EFAULT);
	EXPECT_EQ(c.p.result, SGX_EPC_PAGE_CONFLICT);
	EXPECT_EQ(c.p.count, 0);
	EXPECT_SGX(a_ret, SGX_SUCCESS);
	EXPECT_EQ(dfx_epcm(e, DFX_DATA + PAGE).type, SGX_PAGE_TYPE_REG);
	EXPECT_EQ(dfx_host_prot(dfx_la(e, DFX_DATA + PAGE)), PROT_NONE);
	/* The page is REG again: the next access maps it anew and succeeds. */
	map_before = DFX_COUNT(SOFTSGX_CNT_FAULT_MAP);
	EXPECT_SGX(dfx_access(&a, dfx_la(e, DFX_DATA + PAGE), SGX_PF_W), SGX_SUCCESS);
	EXPECT_EQ(DFX_COUNT(SOFTSGX_CNT_FAULT_MAP), map_before + 1);
	EXPECT_SGX(dfx_exit(&a), SGX_SUCCESS);
	dfx_thread_fini(&a);
	dfx_close(e);
}
