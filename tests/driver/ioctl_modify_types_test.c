/* softsgx-test: threads */
/* SPDX-License-Identifier: MIT */
/*
 * SGX_IOC_ENCLAVE_MODIFY_TYPES (Linux: sgx_ioc_enclave_modify_types()): the SGX2
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
#include "common.h"

#define CMD SGX_IOC_ENCLAVE_MODIFY_TYPES

static int modify_ro(struct dfx_encl *e, struct sgx_enclave_modify_types *p)
{
	return dfx_ioctl_ro(e->fd, CMD, p, sizeof(*p));
}

/* An EINVAL found before the page loop (the struct is left alone); DFX_DATA stays REG. */
static void expect_einval(struct dfx_encl *e, uint64_t offset, uint64_t length, uint64_t type)
{
	struct sgx_enclave_modify_types p = { .offset = offset, .length = length, .page_type = type };

	dfx_expect_einval_no_copy_back(e, CMD, &p, sizeof(p));
	EXPECT_EQ(dfx_epcm(e, DFX_DATA).type, SGX_PAGE_TYPE_REG);
}

/* The default enclave with @n accepted EAUGed pages at DFX_FREE (max RWX). */
static struct dfx_encl *build_with_eaug(int n)
{
	struct dfx_thread t;
	struct dfx_encl *e = dfx_build_entered(&t);
	bool ok;

	if (!e)
		return NULL;
	ok = dfx_eaug_accept(&t, e, DFX_FREE, n) && dfx_exit(&t) == SGX_SUCCESS;
	dfx_thread_fini(&t);
	if (!ok) {
		harness_fail(__FILE__, __LINE__, "EAUG of %d pages", n);
		dfx_close(e);
		return NULL;
	}
	return e;
}

/*
 * SGX2 common checks: the state before copy_from_user (EINVAL, not EFAULT),
 * then offset and length. SGX2_PREAMBLE_TESTS() makes the tests of the rules
 * the three SGX2 ioctls share.
 */

TEST(modify_types_not_created_einval)
{
	struct sgx_enclave_modify_types p = { .offset = 0, .length = PAGE,
					      .page_type = SGX_PAGE_TYPE_TRIM };

	dfx_expect_not_created_einval(CMD, &p, sizeof(p));
}

TEST_WITH(modify_types_not_initialized_einval, dfx_new_with_data(0))
{
	expect_einval(e, DFX_DATA, PAGE, SGX_PAGE_TYPE_TRIM);
	EXPECT_TRUE(!dfx_epcm(e, DFX_DATA).modified);
}


static void expect_range_einval(struct dfx_encl *e, uint64_t offset, uint64_t length)
{
	expect_einval(e, offset, length, SGX_PAGE_TYPE_TRIM);
}

SGX2_PREAMBLE_TESTS(modify_types, CMD, dfx_build(), expect_range_einval, DFX_DATA + 0x800,
		    PAGE - 1)

/* The ioctl's own input checks */

TEST_BUILT(modify_types_page_type_beyond_0xff_einval)
{
	/* Low byte TRIM: only the high bits are wrong. */
	expect_einval(e, DFX_DATA, PAGE, 0x100 | SGX_PAGE_TYPE_TRIM);
	expect_einval(e, DFX_DATA, PAGE, 1ull << 63 | SGX_PAGE_TYPE_TCS);
	EXPECT_TRUE(!dfx_epcm(e, DFX_DATA).modified);
}

TEST_BUILT(modify_types_result_nonzero_einval)
{
	struct sgx_enclave_modify_types p = { .offset = DFX_DATA, .length = PAGE,
					      .page_type = SGX_PAGE_TYPE_TRIM, .result = 7 };

	dfx_expect_einval_no_copy_back(e, CMD, &p, sizeof(p));
	EXPECT_EQ(p.result, 7);
	EXPECT_EQ(p.count, 0);
	EXPECT_EQ(dfx_epcm(e, DFX_DATA).type, SGX_PAGE_TYPE_REG);
}

TEST_BUILT(modify_types_count_nonzero_einval)
{
	struct sgx_enclave_modify_types p = { .offset = DFX_DATA, .length = PAGE,
					      .page_type = SGX_PAGE_TYPE_TRIM, .count = PAGE };

	dfx_expect_einval_no_copy_back(e, CMD, &p, sizeof(p));
	EXPECT_EQ(p.count, PAGE);
	EXPECT_EQ(dfx_epcm(e, DFX_DATA).type, SGX_PAGE_TYPE_REG);
}

TEST_BUILT(modify_types_target_not_tcs_or_trim_einval)
{
	static const uint64_t types[] = { SGX_PAGE_TYPE_SECS, SGX_PAGE_TYPE_REG, SGX_PAGE_TYPE_VA,
					  5, 6, 0xFF };
	struct sgx_enclave_modify_types p;
	size_t i;

	for (i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		EXPECT_ERRNO(dfx_modify(e, DFX_DATA, PAGE, types[i], &p), EINVAL);
		EXPECT_EQ(p.count, 0);
		EXPECT_EQ(p.result, 0);
		EXPECT_EQ(p.page_type, types[i]);
	}
	EXPECT_EQ(dfx_epcm(e, DFX_DATA).type, SGX_PAGE_TYPE_REG);
	EXPECT_TRUE(!dfx_epcm(e, DFX_DATA).modified);
}

TEST_BUILT(modify_types_target_not_tcs_or_trim_copies_back)
{
	struct sgx_enclave_modify_types p = { .offset = DFX_DATA, .length = PAGE,
					      .page_type = SGX_PAGE_TYPE_REG };

	/* Unlike the checks before it, this one copies the struct back: read-only -> EFAULT. */
	EXPECT_ERRNO(modify_ro(e, &p), EFAULT);
}

/* Transitions */

TEST_BUILT(modify_types_reg_to_trim_succeeds)
{
	struct sgx_enclave_modify_types p;
	struct sgx_epcm_info epcm;
	int i;

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
}

TEST_ENTERED(modify_types_trim_page_stays_mapped_epcm_fault)
{
	uint64_t la = dfx_la(e, DFX_DATA);

	ASSERT_SGX(dfx_access(t, la, SGX_PF_W), SGX_SUCCESS);
	ASSERT_SGX(dfx_exit(t), SGX_SUCCESS);
	ASSERT_EQ(dfx_modify(e, DFX_DATA, PAGE, SGX_PAGE_TYPE_TRIM, NULL), 0);
	/* ->TRIM neither zaps the PTE nor limits the mapping: the EPCM refuses (0x8005). */
	EXPECT_EQ(dfx_protect(e, DFX_DATA, PAGE, RW), 0);
	ASSERT_SGX(dfx_enter(t, e, DFX_TCS0), SGX_SUCCESS);
	ASSERT_PF(t, la, 0, 0x8005);
}

TEST_BUILT(modify_types_tcs_to_trim_succeeds)
{
	struct sgx_enclave_modify_types p;
	struct sgx_epcm_info epcm;

	EXPECT_EQ(dfx_modify(e, DFX_TCS1, PAGE, SGX_PAGE_TYPE_TRIM, &p), 0);
	EXPECT_EQ(p.count, PAGE);
	epcm = dfx_epcm(e, DFX_TCS1);
	EXPECT_EQ(epcm.type, SGX_PAGE_TYPE_TRIM);
	EXPECT_TRUE(epcm.modified);
}

TEST_WITH(modify_types_reg_to_tcs_succeeds, build_with_eaug(1))
{
	struct sgx_enclave_modify_types p;
	struct sgx_epcm_info epcm;

	/* An EAUGed page may be mapped RWX before... */
	EXPECT_EQ(dfx_protect(e, DFX_FREE, PAGE, RWX), 0);
	EXPECT_EQ(dfx_protect(e, DFX_FREE, PAGE, RW), 0);
	EXPECT_EQ(dfx_modify(e, DFX_FREE, PAGE, SGX_PAGE_TYPE_TCS, &p), 0);
	EXPECT_EQ(p.count, PAGE);
	EXPECT_EQ(p.result, 0);
	epcm = dfx_epcm(e, DFX_FREE);
	EXPECT_EQ(epcm.type, SGX_PAGE_TYPE_TCS);
	EXPECT_TRUE(epcm.modified);
	EXPECT_EQ(epcm.perm, 0);
	/* ... and after REG->TCS its maximum is RW: X is refused. */
	EXPECT_ERRNO(dfx_protect(e, DFX_FREE, PAGE, RWX), EACCES);
	EXPECT_EQ(dfx_protect(e, DFX_FREE, PAGE, RW), 0);
}

TEST_BUILT(modify_types_tcs_to_tcs_einval)
{
	struct sgx_enclave_modify_types p;

	EXPECT_ERRNO(dfx_modify(e, DFX_TCS0, PAGE, SGX_PAGE_TYPE_TCS, &p), EINVAL);
	EXPECT_EQ(p.count, 0);
	EXPECT_EQ(p.result, 0);
	EXPECT_EQ(dfx_epcm(e, DFX_TCS0).type, SGX_PAGE_TYPE_TCS);
	EXPECT_TRUE(!dfx_epcm(e, DFX_TCS0).modified);
}

TEST_BUILT(modify_types_trim_to_tcs_einval)
{
	struct sgx_enclave_modify_types p;

	ASSERT_EQ(dfx_modify(e, DFX_DATA, PAGE, SGX_PAGE_TYPE_TRIM, NULL), 0);
	EXPECT_ERRNO(dfx_modify(e, DFX_DATA, PAGE, SGX_PAGE_TYPE_TCS, &p), EINVAL);
	EXPECT_EQ(p.count, 0);
	EXPECT_EQ(p.result, 0);
	EXPECT_EQ(dfx_epcm(e, DFX_DATA).type, SGX_PAGE_TYPE_TRIM);
}

TEST_BUILT(modify_types_trim_to_trim_einval)
{
	struct sgx_enclave_modify_types p;

	ASSERT_EQ(dfx_modify(e, DFX_DATA, PAGE, SGX_PAGE_TYPE_TRIM, NULL), 0);
	EXPECT_ERRNO(dfx_modify(e, DFX_DATA, PAGE, SGX_PAGE_TYPE_TRIM, &p), EINVAL);
	EXPECT_EQ(p.count, 0);
	EXPECT_EQ(p.result, 0);
}

TEST_WITH(modify_types_mid_range_tcs_to_tcs_einval_count, build_with_eaug(2))
{
	struct sgx_enclave_modify_types p;

	ASSERT_EQ(dfx_modify(e, DFX_FREE + PAGE, PAGE, SGX_PAGE_TYPE_TCS, NULL), 0);
	/* REG then TCS, to TCS: the first page converts, the second stops the loop. */
	EXPECT_ERRNO(dfx_modify(e, DFX_FREE, 2 * PAGE, SGX_PAGE_TYPE_TCS, &p), EINVAL);
	EXPECT_EQ(p.count, PAGE);
	EXPECT_EQ(p.result, 0);
	EXPECT_EQ(dfx_epcm(e, DFX_FREE).type, SGX_PAGE_TYPE_TCS);
}

/* REG->TCS needs a maximum with R and W */

TEST_BUILT(modify_types_reg_to_tcs_rx_page_eperm)
{
	struct sgx_enclave_modify_types p;

	EXPECT_ERRNO(dfx_modify(e, DFX_CODE, PAGE, SGX_PAGE_TYPE_TCS, &p), EPERM);
	EXPECT_EQ(p.count, 0);
	EXPECT_EQ(p.result, 0);
	EXPECT_EQ(dfx_epcm(e, DFX_CODE).type, SGX_PAGE_TYPE_REG);
	EXPECT_EQ(dfx_epcm(e, DFX_CODE).perm, SGX_SECINFO_R | SGX_SECINFO_X);
	EXPECT_TRUE(!dfx_epcm(e, DFX_CODE).modified);
	/* The maximum is unchanged: R-X may still be mapped. */
	EXPECT_EQ(dfx_protect(e, DFX_CODE, PAGE, PROT_READ | PROT_EXEC), 0);
}

TEST_BUILT(modify_types_reg_to_tcs_read_only_page_eperm)
{
	struct sgx_enclave_modify_types p;

	EXPECT_ERRNO(dfx_modify(e, DFX_RODATA, PAGE, SGX_PAGE_TYPE_TCS, &p), EPERM);
	EXPECT_EQ(p.count, 0);
	EXPECT_EQ(dfx_epcm(e, DFX_RODATA).type, SGX_PAGE_TYPE_REG);
}

TEST_BUILT(modify_types_reg_to_trim_of_rx_page_succeeds)
{
	struct sgx_enclave_modify_types p;

	/* The maximum only matters for TCS. */
	EXPECT_EQ(dfx_modify(e, DFX_CODE, PAGE, SGX_PAGE_TYPE_TRIM, &p), 0);
	EXPECT_EQ(p.count, PAGE);
	EXPECT_EQ(dfx_epcm(e, DFX_CODE).type, SGX_PAGE_TYPE_TRIM);
}

/* The page loop: errors with count and result */

TEST_BUILT(modify_types_absent_page_efault_count)
{
	struct sgx_enclave_modify_types p;

	EXPECT_ERRNO(dfx_modify(e, DFX_RODATA, 2 * PAGE, SGX_PAGE_TYPE_TRIM, &p), EFAULT);
	EXPECT_EQ(p.count, PAGE);
	EXPECT_EQ(p.result, 0);
	EXPECT_EQ(dfx_epcm(e, DFX_RODATA).type, SGX_PAGE_TYPE_TRIM);
}

TEST_ENTERED(modify_types_pending_page_not_modifiable)
{
	struct sgx_enclave_modify_types p;

	ASSERT_TRUE(dfx_eaug_accept(t, e, DFX_FREE, 1));
	ASSERT_EQ(dfx_access(t, dfx_la(e, DFX_FREE + PAGE), SGX_PF_W), DFX_EXCEPTION);

	EXPECT_ERRNO(dfx_modify(e, DFX_FREE, 2 * PAGE, SGX_PAGE_TYPE_TRIM, &p), EFAULT);
	EXPECT_EQ(p.count, PAGE);
	EXPECT_EQ(p.result, SGX_PAGE_NOT_MODIFIABLE);
	EXPECT_EQ(dfx_epcm(e, DFX_FREE).type, SGX_PAGE_TYPE_TRIM);
	EXPECT_EQ(dfx_epcm(e, DFX_FREE + PAGE).type, SGX_PAGE_TYPE_REG);
	EXPECT_TRUE(dfx_epcm(e, DFX_FREE + PAGE).pending);
}

TEST_ENTERED(modify_types_pending_page_to_tcs_restores_max)
{
	struct sgx_enclave_modify_types p;

	ASSERT_EQ(dfx_access(t, dfx_la(e, DFX_FREE), SGX_PF_W), DFX_EXCEPTION);

	EXPECT_ERRNO(dfx_modify(e, DFX_FREE, PAGE, SGX_PAGE_TYPE_TCS, &p), EFAULT);
	EXPECT_EQ(p.count, 0);
	EXPECT_EQ(p.result, SGX_PAGE_NOT_MODIFIABLE);
	EXPECT_EQ(dfx_epcm(e, DFX_FREE).type, SGX_PAGE_TYPE_REG);
	/* The failed EMODT put the old maximum (RWX, EAUG) back. */
	EXPECT_EQ(dfx_protect(e, DFX_FREE, PAGE, RWX), 0);
}

TEST_BUILT(modify_types_copy_back_fault_efault)
{
	struct sgx_enclave_modify_types p = { .offset = DFX_DATA, .length = PAGE,
					      .page_type = SGX_PAGE_TYPE_TRIM };

	EXPECT_ERRNO(modify_ro(e, &p), EFAULT);
	EXPECT_EQ(dfx_epcm(e, DFX_DATA).type, SGX_PAGE_TYPE_TRIM);
}

/* After REG->TCS a mapping that still allows X makes faults on the page fail (SIGBUS). */
TEST_WITH(modify_types_tcs_under_exec_mapping_sigbus, build_with_eaug(1))
{
	uint64_t la = dfx_la(e, DFX_FREE), sigbus_before;
	struct dfx_thread t;

	ASSERT_EQ(dfx_protect(e, DFX_FREE, PAGE, RWX), 0);
	ASSERT_TRUE(dfx_touch_pages(e, DFX_FREE, 1, 0));
	ASSERT_EQ(dfx_modify(e, DFX_FREE, PAGE, SGX_PAGE_TYPE_TCS, NULL), 0);

	sigbus_before = DFX_COUNT(SOFTSGX_CNT_FAULT_SIGBUS);
	dfx_thread_init(&t);
	ASSERT_SGX(dfx_enter(&t, e, DFX_TCS0), SGX_SUCCESS);
	/* The PTE was zapped; the fault finds VMA RWX beyond the page's RW maximum. */
	ASSERT_PF(&t, la, 0, SGX_PF_U); /* plain hardware code: read, not present */
	dfx_thread_fini(&t);
	EXPECT_EQ(DFX_COUNT(SOFTSGX_CNT_FAULT_SIGBUS), sigbus_before + 1);
	/* New mappings or protections with X there are refused. */
	EXPECT_ERRNO(dfx_protect(e, DFX_FREE, PAGE, PROT_READ | PROT_EXEC), EACCES);
	EXPECT_TRUE(dfx_map(e, DFX_FREE, PAGE, RWX) == MAP_FAILED);
	EXPECT_EQ(errno, EACCES);
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

TEST_ENTERED(modify_types_concurrent_eaccept_epc_page_conflict)
{
	struct modify_call c = { .e = e };
	int a_ret = -1;

	ASSERT_TRUE(dfx_prefault(t, e, DFX_DATA + PAGE, 0));
	EXPECT_ERRNO(dfx_during_leaf(t, SGX_LEAF_ENCLU(ENCLU_EACCEPT),
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
	EXPECT_SGX(dfx_exit(t), SGX_SUCCESS);
	EXPECT_EQ(dfx_modify(e, DFX_DATA + PAGE, PAGE, SGX_PAGE_TYPE_TRIM, &c.p), 0);
	EXPECT_EQ(dfx_epcm(e, DFX_DATA + PAGE).type, SGX_PAGE_TYPE_TRIM);
}

/* The host mapping: TRIM and TCS pages are never accessible. */

TEST_BUILT(modify_types_trim_host_protection_none)
{
	ASSERT_TRUE(dfx_touch_pages(e, DFX_DATA, 1, SGX_PF_W));
	ASSERT_EQ(dfx_host_prot(dfx_la(e, DFX_DATA)), RW);
	EXPECT_EQ(dfx_modify(e, DFX_DATA, PAGE, SGX_PAGE_TYPE_TRIM, NULL), 0);
	EXPECT_EQ(dfx_host_prot(dfx_la(e, DFX_DATA)), PROT_NONE);
}

TEST_BUILT(modify_types_reg_to_tcs_host_protection_none)
{
	ASSERT_TRUE(dfx_touch_pages(e, DFX_DATA, 1, SGX_PF_W));
	EXPECT_EQ(dfx_modify(e, DFX_DATA, PAGE, SGX_PAGE_TYPE_TCS, NULL), 0);
	EXPECT_EQ(dfx_host_prot(dfx_la(e, DFX_DATA)), PROT_NONE);
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

TEST_ENTERED(modify_types_failed_tcs_conversion_host_protection_none)
{
	struct modify_call c = { .e = e };
	uint64_t map_before;
	int a_ret = -1;

	ASSERT_TRUE(dfx_prefault(t, e, DFX_DATA + PAGE, SGX_PF_W));
	ASSERT_EQ(dfx_host_prot(dfx_la(e, DFX_DATA + PAGE)), RW);
	EXPECT_ERRNO(dfx_during_leaf(t, SGX_LEAF_ENCLU(ENCLU_EACCEPT),
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
	EXPECT_SGX(dfx_access(t, dfx_la(e, DFX_DATA + PAGE), SGX_PF_W), SGX_SUCCESS);
	EXPECT_EQ(DFX_COUNT(SOFTSGX_CNT_FAULT_MAP), map_before + 1);
	EXPECT_SGX(dfx_exit(t), SGX_SUCCESS);
}
