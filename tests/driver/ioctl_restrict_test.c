/* softsgx-test: threads */
/* SPDX-License-Identifier: MIT */
/*
 * SGX_IOC_ENCLAVE_RESTRICT_PERMISSIONS (Linux: sgx_ioc_enclave_restrict_permissions()): the
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
#include "common.h"

#define CMD SGX_IOC_ENCLAVE_RESTRICT_PERMISSIONS

/* The ioctl on a read-only copy of @p; *@p receives what the copy holds afterwards. */
static int restrict_ro(struct dfx_encl *e, struct sgx_enclave_restrict_permissions *p)
{
	return dfx_ioctl_ro(e->fd, CMD, p, sizeof(*p));
}

/* An EINVAL found before the page loop (the struct is left alone); DFX_DATA is not restricted. */
static void expect_einval(struct dfx_encl *e, uint64_t offset, uint64_t length, uint64_t perm)
{
	struct sgx_enclave_restrict_permissions p = { .offset = offset, .length = length,
						      .permissions = perm };

	dfx_expect_einval_no_copy_back(e, CMD, &p, sizeof(p));
	EXPECT_TRUE(!dfx_epcm(e, DFX_DATA).pr);
}

/*
 * SGX2 common checks: the state before copy_from_user (EINVAL, not EFAULT),
 * then offset and length. SGX2_PREAMBLE_TESTS() makes the tests of the rules
 * the three SGX2 ioctls share.
 */

TEST(restrict_permissions_not_created_einval)
{
	struct sgx_enclave_restrict_permissions p = { .offset = 0, .length = PAGE, .permissions = 1 };

	dfx_expect_not_created_einval(CMD, &p, sizeof(p));
	EXPECT_EQ(p.count, 0);
}

TEST_WITH(restrict_permissions_not_initialized_einval, dfx_new_with_data(0))
{
	struct sgx_epcm_info epcm;

	expect_einval(e, DFX_DATA, PAGE, SGX_SECINFO_R);
	epcm = dfx_epcm(e, DFX_DATA);
	EXPECT_EQ(epcm.perm, SGX_SECINFO_R | SGX_SECINFO_W);
	EXPECT_TRUE(!epcm.pr);
}


static void expect_range_einval(struct dfx_encl *e, uint64_t offset, uint64_t length)
{
	expect_einval(e, offset, length, SGX_SECINFO_R);
}

SGX2_PREAMBLE_TESTS(restrict_permissions, CMD, dfx_build(), expect_range_einval, DFX_DATA + 8,
		    PAGE + 1)

TEST_BUILT(restrict_permissions_last_page_passes_validation)
{
	struct sgx_enclave_restrict_permissions p;

	/* The last page of ELRANGE is a valid range; nothing is there: EFAULT from the loop. */
	EXPECT_ERRNO(dfx_restrict(e, DFX_SIZE - PAGE, PAGE, SGX_SECINFO_R, &p), EFAULT);
	EXPECT_EQ(p.count, 0);
	EXPECT_EQ(p.result, 0);
}

/* The ioctl's own input checks */

TEST_BUILT(restrict_permissions_bits_beyond_rwx_einval)
{
	expect_einval(e, DFX_DATA, PAGE, SGX_SECINFO_R | SGX_SECINFO_PR);
	expect_einval(e, DFX_DATA, PAGE, SGX_SECINFO_R | SGX_SECINFO_REG);
}

TEST_BUILT(restrict_permissions_w_without_r_einval)
{
	expect_einval(e, DFX_DATA, PAGE, SGX_SECINFO_W);
	expect_einval(e, DFX_DATA, PAGE, SGX_SECINFO_W | SGX_SECINFO_X);
	EXPECT_EQ(dfx_epcm(e, DFX_DATA).perm, SGX_SECINFO_R | SGX_SECINFO_W);
}

TEST_BUILT(restrict_permissions_result_nonzero_einval)
{
	struct sgx_enclave_restrict_permissions p = { .offset = DFX_DATA, .length = PAGE,
						      .permissions = SGX_SECINFO_R, .result = 20 };

	dfx_expect_einval_no_copy_back(e, CMD, &p, sizeof(p));
	EXPECT_EQ(p.result, 20);
	EXPECT_EQ(p.count, 0);
	EXPECT_TRUE(!dfx_epcm(e, DFX_DATA).pr);
}

TEST_BUILT(restrict_permissions_count_nonzero_einval)
{
	struct sgx_enclave_restrict_permissions p = { .offset = DFX_DATA, .length = 2 * PAGE,
						      .permissions = SGX_SECINFO_R, .count = PAGE };

	dfx_expect_einval_no_copy_back(e, CMD, &p, sizeof(p));
	EXPECT_EQ(p.count, PAGE);
	EXPECT_EQ(p.result, 0);
	EXPECT_TRUE(!dfx_epcm(e, DFX_DATA).pr);
	EXPECT_TRUE(!dfx_epcm(e, DFX_DATA + PAGE).pr);
}

/* The page loop */

TEST_BUILT(restrict_permissions_success_full_count)
{
	struct sgx_enclave_restrict_permissions p;
	struct sgx_epcm_info epcm;
	int i;

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
}

TEST_BUILT(restrict_permissions_intersects_with_epcm)
{
	struct sgx_enclave_restrict_permissions p;

	/* R-X code restricted to RW keeps R only: EMODPR can only take away. */
	EXPECT_EQ(dfx_restrict(e, DFX_CODE, PAGE, SGX_SECINFO_R | SGX_SECINFO_W, &p), 0);
	EXPECT_EQ(p.count, PAGE);
	EXPECT_EQ(dfx_epcm(e, DFX_CODE).perm, SGX_SECINFO_R);
	EXPECT_TRUE(dfx_epcm(e, DFX_CODE).pr);
}

TEST_BUILT(restrict_permissions_zero_permissions_allowed)
{
	struct sgx_enclave_restrict_permissions p;

	EXPECT_EQ(dfx_restrict(e, DFX_DATA, PAGE, 0, &p), 0);
	EXPECT_EQ(p.count, PAGE);
	EXPECT_EQ(p.result, 0);
	EXPECT_EQ(dfx_epcm(e, DFX_DATA).perm, 0);
	EXPECT_TRUE(dfx_epcm(e, DFX_DATA).pr);
}

TEST_BUILT(restrict_permissions_absent_page_efault_count)
{
	struct sgx_enclave_restrict_permissions p;

	/* 0xA000 rodata, 0xB000 never added. */
	EXPECT_ERRNO(dfx_restrict(e, DFX_RODATA, 2 * PAGE, SGX_SECINFO_R, &p), EFAULT);
	EXPECT_EQ(p.count, PAGE);
	EXPECT_EQ(p.result, 0);
	EXPECT_TRUE(dfx_epcm(e, DFX_RODATA).pr);
	EXPECT_TRUE(!dfx_epcm(e, DFX_RODATA + PAGE).valid);
}

TEST_BUILT(restrict_permissions_tcs_page_einval)
{
	struct sgx_enclave_restrict_permissions p;
	struct sgx_epcm_info epcm;

	EXPECT_ERRNO(dfx_restrict(e, DFX_TCS0, PAGE, SGX_SECINFO_R, &p), EINVAL);
	EXPECT_EQ(p.count, 0);
	EXPECT_EQ(p.result, 0);
	epcm = dfx_epcm(e, DFX_TCS0);
	EXPECT_EQ(epcm.type, SGX_PAGE_TYPE_TCS);
	EXPECT_TRUE(!epcm.pr);
}

TEST_BUILT(restrict_permissions_tcs_page_einval_copies_back)
{
	struct sgx_enclave_restrict_permissions p = { .offset = DFX_TCS0, .length = PAGE,
						      .permissions = SGX_SECINFO_R };

	/* Found inside the page loop: the struct goes back, so a read-only one is EFAULT. */
	EXPECT_ERRNO(restrict_ro(e, &p), EFAULT);
}

TEST_BUILT(restrict_permissions_trim_page_mid_range_einval_count)
{
	struct sgx_enclave_restrict_permissions p;

	ASSERT_EQ(dfx_modify(e, DFX_DATA + PAGE, PAGE, SGX_PAGE_TYPE_TRIM, NULL), 0);
	EXPECT_ERRNO(dfx_restrict(e, DFX_DATA, 2 * PAGE, SGX_SECINFO_R, &p), EINVAL);
	EXPECT_EQ(p.count, PAGE);
	EXPECT_EQ(p.result, 0);
	EXPECT_TRUE(dfx_epcm(e, DFX_DATA).pr);
	EXPECT_EQ(dfx_epcm(e, DFX_DATA + PAGE).type, SGX_PAGE_TYPE_TRIM);
}

/* THE contract: the third page is PENDING (EAUG without EACCEPT). */
TEST_ENTERED(restrict_permissions_pending_page_partial_efault)
{
	struct sgx_enclave_restrict_permissions p;
	struct sgx_epcm_info epcm;
	int i;

	ASSERT_TRUE(dfx_eaug_accept(t, e, DFX_FREE, 2));
	/* A write to the third address EAUGs it; the page stays PENDING (EPCM #PF). */
	ASSERT_EQ(dfx_access(t, dfx_la(e, DFX_FREE + 2 * PAGE), SGX_PF_W), DFX_EXCEPTION);
	EXPECT_EQ(t->exc.error_code, 0x8007);

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
}

TEST_ENTERED(restrict_permissions_retry_from_count_after_eaccept)
{
	struct sgx_enclave_restrict_permissions p;
	uint64_t done;

	ASSERT_TRUE(dfx_eaug_accept(t, e, DFX_FREE, 1));
	ASSERT_EQ(dfx_access(t, dfx_la(e, DFX_FREE + PAGE), SGX_PF_W), DFX_EXCEPTION);
	ASSERT_SGX(dfx_resume(t), SGX_SUCCESS);
	ASSERT_TRUE(dfx_eaug_accept(t, e, DFX_FREE + 2 * PAGE, 1));
	ASSERT_SGX(dfx_exit(t), SGX_SUCCESS);

	EXPECT_ERRNO(dfx_restrict(e, DFX_FREE, 3 * PAGE, SGX_SECINFO_R, &p), EFAULT);
	EXPECT_EQ(p.count, PAGE);
	EXPECT_EQ(p.result, SGX_PAGE_NOT_MODIFIABLE);
	done = p.count;
	/* What a runtime does: EACCEPT the pending page, continue at offset + count. */
	ASSERT_SGX(dfx_enter(t, e, DFX_TCS0), SGX_SUCCESS);
	ASSERT_TRUE(dfx_eaug_accept(t, e, DFX_FREE + done, 1));
	ASSERT_SGX(dfx_exit(t), SGX_SUCCESS);
	EXPECT_EQ(dfx_restrict(e, DFX_FREE + done, 3 * PAGE - done, SGX_SECINFO_R, &p), 0);
	EXPECT_EQ(p.count, 2 * PAGE);
	EXPECT_EQ(dfx_epcm(e, DFX_FREE + PAGE).perm, SGX_SECINFO_R);
	EXPECT_TRUE(dfx_epcm(e, DFX_FREE + PAGE).pr);
	EXPECT_TRUE(dfx_epcm(e, DFX_FREE + 2 * PAGE).pr);
}

TEST_BUILT(restrict_permissions_unmapped_range_succeeds)
{
	struct sgx_enclave_restrict_permissions p;

	/* The ioctl works on enclave offsets: the pages need no mapping. */
	ASSERT_EQ(dfx_unmap(e, DFX_DATA, 2 * PAGE), 0);
	EXPECT_EQ(dfx_restrict(e, DFX_DATA, 2 * PAGE, SGX_SECINFO_R, &p), 0);
	EXPECT_EQ(p.count, 2 * PAGE);
	EXPECT_EQ(dfx_epcm(e, DFX_DATA + PAGE).perm, SGX_SECINFO_R);
}

TEST_BUILT(restrict_permissions_copy_back_fault_efault)
{
	struct sgx_enclave_restrict_permissions p = { .offset = DFX_DATA, .length = PAGE,
						      .permissions = SGX_SECINFO_R };

	/* The loop ran and changed the EPCM; only the copy back failed. */
	EXPECT_ERRNO(restrict_ro(e, &p), EFAULT);
	EXPECT_EQ(p.count, 0);
	EXPECT_EQ(dfx_epcm(e, DFX_DATA).perm, SGX_SECINFO_R);
	EXPECT_TRUE(dfx_epcm(e, DFX_DATA).pr);
}

TEST_BUILT(restrict_permissions_keeps_max_protection)
{
	void *data = dfx_ptr(e, DFX_DATA);

	ASSERT_EQ(dfx_restrict(e, DFX_DATA, PAGE, 0, NULL), 0);
	/* vm_max_prot_bits still RW: the EPCM restriction does not limit mappings. */
	EXPECT_EQ(dfx_protect(e, DFX_DATA, PAGE, RW), 0);
	EXPECT_EQ(dfx_map(e, DFX_DATA, PAGE, RW), data);
	EXPECT_ERRNO(dfx_protect(e, DFX_DATA, PAGE, RWX), EACCES);
}

/* The host mapping follows the restriction at once (mapping AND EPCM). */

TEST_BUILT(restrict_permissions_host_protection_follows_epcm)
{
	dfx_set_tracking(SOFTSGX_TRACK_PER_PAGE);
	ASSERT_TRUE(dfx_touch_pages(e, DFX_DATA, 2, SGX_PF_W));
	ASSERT_EQ(dfx_host_prot(dfx_la(e, DFX_DATA)), RW);
	EXPECT_EQ(dfx_restrict(e, DFX_DATA, PAGE, SGX_SECINFO_R, NULL), 0);
	EXPECT_EQ(dfx_host_prot(dfx_la(e, DFX_DATA)), PROT_READ);
	EXPECT_EQ(dfx_restrict(e, DFX_DATA + PAGE, PAGE, 0, NULL), 0);
	EXPECT_EQ(dfx_host_prot(dfx_la(e, DFX_DATA + PAGE)), PROT_NONE);
}

TEST_BUILT(restrict_permissions_batched_host_protection_follows_epcm)
{
	ASSERT_TRUE(dfx_touch_pages(e, DFX_DATA, 2, SGX_PF_W));
	dfx_set_tracking(SOFTSGX_TRACK_BATCHED);
	EXPECT_EQ(dfx_restrict(e, DFX_DATA, 2 * PAGE, SGX_SECINFO_R, NULL), 0);
	dfx_set_tracking(SOFTSGX_TRACK_PER_PAGE);
	EXPECT_EQ(dfx_host_prot(dfx_la(e, DFX_DATA)), PROT_READ);
	EXPECT_EQ(dfx_host_prot(dfx_la(e, DFX_DATA + PAGE)), PROT_READ);
}

/*
 * SGX_EPC_PAGE_CONFLICT: enclave thread A (@t) is inside EACCEPT/EMODPE of
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

TEST_ENTERED(restrict_permissions_concurrent_eaccept_epc_page_conflict)
{
	struct sgx_enclave_restrict_permissions p = { 0 };
	struct restrict_call c = { .e = e };
	uint64_t emodpr_before;
	int a_ret = -1;

	/* Page-table entries first, so that A's EACCEPT runs without an AEX. */
	ASSERT_TRUE(dfx_prefault(t, e, DFX_DATA + PAGE, 0));
	emodpr_before = softsgx_leaf_count(SGX_LEAF_ENCLS(ENCLS_EMODPR));

	EXPECT_ERRNO(dfx_during_leaf(t, SGX_LEAF_ENCLU(ENCLU_EACCEPT),
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
	EXPECT_SGX(dfx_exit(t), SGX_SUCCESS);
	EXPECT_EQ(dfx_restrict(e, DFX_DATA + p.count, 2 * PAGE - p.count, SGX_SECINFO_R, &p), 0);
	EXPECT_EQ(dfx_epcm(e, DFX_DATA + PAGE).perm, SGX_SECINFO_R);
}

TEST_ENTERED(restrict_permissions_concurrent_emodpe_epc_page_conflict)
{
	struct restrict_call c = { .e = e };
	int a_ret = -1;

	ASSERT_TRUE(dfx_prefault(t, e, DFX_DATA + PAGE, 0));

	EXPECT_ERRNO(dfx_during_leaf(t, SGX_LEAF_ENCLU(ENCLU_EMODPE),
				     dfx_secinfo(e, 0, SGX_SECINFO_R | SGX_SECINFO_X),
				     dfx_la(e, DFX_DATA + PAGE), restrict_data, &c, &a_ret),
		     EFAULT);
	EXPECT_EQ(c.p.result, SGX_EPC_PAGE_CONFLICT);
	EXPECT_EQ(c.p.count, PAGE);
	EXPECT_SGX(a_ret, SGX_SUCCESS);
	EXPECT_TRUE(dfx_epcm(e, DFX_DATA).pr);
	/* A's EMODPE completed after the conflict: RW | X. */
	EXPECT_EQ(dfx_epcm(e, DFX_DATA + PAGE).perm, SGX_SECINFO_R | SGX_SECINFO_W | SGX_SECINFO_X);
	EXPECT_TRUE(!dfx_epcm(e, DFX_DATA + PAGE).pr);
	EXPECT_SGX(dfx_exit(t), SGX_SUCCESS);
}
