/* SPDX-License-Identifier: MIT */
/*
 * ECREATE: every check of the SDM pseudo-code, in order, and the state of
 * a new SECS.
 */
#include "common.h"

struct ecreate_args {
	struct sgx_secs *src;
	struct sgx_secinfo secinfo;
	struct sgx_pageinfo pginfo;
	uint64_t epc;
};

static struct ecreate_args *args_new(struct fx *fx)
{
	struct ecreate_args *a = aligned_alloc(64, (sizeof(*a) + 63) / 64 * 64);

	memset(a, 0, sizeof(*a));
	a->src = aligned_alloc(SGX_PAGE_SIZE, SGX_PAGE_SIZE);
	fx_secs_default(a->src, FX_ENCL_BASE, FX_ENCL_SIZE);
	a->secinfo.flags = SGX_SECINFO_SECS;
	a->pginfo.srcpge = (uintptr_t)a->src;
	a->pginfo.secinfo = (uintptr_t)&a->secinfo;
	a->epc = fx_epc_alloc(fx);
	return a;
}

static void args_free(struct fx *fx, struct ecreate_args *a)
{
	free(a->src);
	free(a);
	fx_free(fx);
}

/* Declare @fx and @a: a machine and ECREATE operands for the default SECS. */
#define SETUP_ECREATE()                                               \
	struct fx *fx = fx_new(0);                                    \
	struct ecreate_args *a = args_new(fx)

static int run(struct fx *fx, struct ecreate_args *a)
{
	return encls_ecreate(fx->klp, &a->pginfo, a->epc);
}

/* ECREATE of a SECS whose source @edit changed; expects @want. */
#define ECREATE_EXPECT(edit, want)                                   \
	do {                                                         \
		SETUP_ECREATE();                                      \
		edit;                                                 \
		EXPECT_SGX(run(fx, a), want);                         \
		args_free(fx, a);                                     \
	} while (0)

#define ECREATE_TEST(name, edit, want)                                \
	TEST(name)                                                    \
	{                                                             \
		ECREATE_EXPECT(edit, want);                           \
	}

TEST(ecreate_valid_secs_success)
{
	SETUP_ECREATE();
	struct sgx_epcm_info info;
	const struct sgx_secs *secs;

	a->src->isv_svn = 5; /* ECREATE zeroes ISVSVN and ISVPRODID */
	a->src->isv_prod_id = 9;
	ASSERT_SGX(run(fx, a), SGX_SUCCESS);
	EXPECT_EQ(sgx_lp_rflags(fx->klp) & (SGX_RFLAGS_ZF | SGX_RFLAGS_CF), 0);
	sgx_cpu_epcm_read(fx->cpu, a->epc, &info);
	EXPECT_TRUE(info.valid);
	EXPECT_EQ(info.type, SGX_PAGE_TYPE_SECS);
	EXPECT_EQ(info.perm, 0);
	EXPECT_EQ(info.linaddr, 0);
	EXPECT_EQ(info.secs, 0);
	secs = sgx_cpu_epc_mem(fx->cpu, a->epc);
	EXPECT_EQ(secs->base, FX_ENCL_BASE);
	EXPECT_EQ(secs->size, FX_ENCL_SIZE);
	EXPECT_EQ(secs->isv_svn, 0);
	EXPECT_EQ(secs->isv_prod_id, 0);
	EXPECT_EQ(sgx_cpu_leaf_count(fx->cpu, SGX_LEAF_ENCLS(ENCLS_ECREATE)), 1);
	args_free(fx, a);
}

TEST(ecreate_pageinfo_unaligned_gp)
{
	SETUP_ECREATE();
	uint8_t *buf = aligned_alloc(64, 128);

	memcpy(buf + 16, &a->pginfo, sizeof(a->pginfo));
	EXPECT_SGX(encls_ecreate(fx->klp, (const struct sgx_pageinfo *)(buf + 16), a->epc), SGX_GP);
	EXPECT_EQ(sgx_lp_fault(fx->klp)->vector, SGX_VEC_GP);
	free(buf);
	args_free(fx, a);
}

ECREATE_TEST(ecreate_epc_unaligned_gp, a->epc += 64, SGX_GP)

TEST(ecreate_not_epc_pf)
{
	SETUP_ECREATE();
	uint64_t outside = sgx_cpu_epc_base(fx->cpu) + 256 * SGX_PAGE_SIZE;

	a->epc = outside;
	EXPECT_SGX(run(fx, a), SGX_PF);
	EXPECT_EQ(sgx_lp_fault(fx->klp)->addr, outside);
	EXPECT_TRUE(sgx_lp_fault(fx->klp)->error_code & SGX_PF_SGX);
	args_free(fx, a);
}

ECREATE_TEST(ecreate_srcpge_unaligned_gp, a->pginfo.srcpge += 8, SGX_GP)
ECREATE_TEST(ecreate_secinfo_unaligned_gp, a->pginfo.secinfo += 8, SGX_GP)
ECREATE_TEST(ecreate_linaddr_nonzero_gp, a->pginfo.linaddr = FX_ENCL_BASE, SGX_GP)
ECREATE_TEST(ecreate_pageinfo_secs_nonzero_gp, a->pginfo.secs = a->epc, SGX_GP)

TEST(ecreate_secinfo_reserved_gp)
{
	ECREATE_EXPECT(a->secinfo.reserved[3] = 1, SGX_GP);
	ECREATE_EXPECT(a->secinfo.flags |= 1ull << 40, SGX_GP);
}

ECREATE_TEST(ecreate_secinfo_type_not_secs_gp, a->secinfo.flags = SGX_SECINFO_REG, SGX_GP)

static void ecreate_in_hook(struct fx *fx, struct sgx_lp *lp, unsigned int leaf, uint64_t epc,
			    void *ctx)
{
	struct ecreate_args *a = ctx;
	struct sgx_lp *other = sgx_lp_create(fx->cpu, NULL, NULL);

	/* ECREATE holds its target exclusively: a second ECREATE there is #GP. */
	EXPECT_SGX(encls_ecreate(other, &a->pginfo, a->epc), SGX_GP);
	sgx_lp_destroy(other);
}

TEST(ecreate_target_in_use_gp)
{
	SETUP_ECREATE();

	fx_on_pause(fx, ecreate_in_hook, a);
	EXPECT_SGX(run(fx, a), SGX_SUCCESS);
	args_free(fx, a);
}

TEST(ecreate_target_valid_pf)
{
	SETUP_ECREATE();

	ASSERT_SGX(run(fx, a), SGX_SUCCESS);
	EXPECT_SGX(run(fx, a), SGX_PF);
	EXPECT_EQ(sgx_lp_fault(fx->klp)->addr, a->epc);
	args_free(fx, a);
}

ECREATE_TEST(ecreate_xfrm_without_x87_sse_gp, a->src->attributes.xfrm = 0x1, SGX_GP)
/* A legal XFRM with AVX-512 state, which the default processor does not enumerate. */
ECREATE_TEST(ecreate_xfrm_unsupported_gp, a->src->attributes.xfrm = 0xE7, SGX_GP)

/*
 * ECREATE on a processor that enumerates every XFRM bit up to 16 (so only
 * the legality of the combination decides) of a SECS with XFRM @xfrm: @want.
 */
static void ecreate_xfrm_expect(uint64_t xfrm, int want)
{
	struct sgx_cpu_config cfg;
	struct fx *fx;
	struct ecreate_args *a;

	sgx_cpu_config_default(&cfg);
	cfg.epc_pages = 16;
	cfg.xfrm = 0x1FFFF;
	fx = fx_new_config(&cfg);
	a = args_new(fx);
	a->src->attributes.xfrm = xfrm;
	EXPECT_SGX(run(fx, a), want);
	args_free(fx, a);
}

/* The wide processor takes the legal combinations (the frame still fits one page). */
TEST(ecreate_xfrm_legal_combinations_success)
{
	ecreate_xfrm_expect(0x1B, SGX_SUCCESS);       /* MPX: BNDREGS and BNDCSR */
	ecreate_xfrm_expect(0xE7, SGX_SUCCESS);       /* AVX-512 with AVX */
	ecreate_xfrm_expect(0x207, SGX_SUCCESS);      /* PKRU, a user component */
}

TEST(ecreate_xfrm_mpx_half_gp)
{
	ecreate_xfrm_expect(0x3 | 0x8, SGX_GP);
	ecreate_xfrm_expect(0x3 | 0x10, SGX_GP);
}

TEST(ecreate_xfrm_avx512_partial_gp)
{
	ecreate_xfrm_expect(0x7 | 0x20, SGX_GP);
	ecreate_xfrm_expect(0x7 | 0xC0, SGX_GP);
}

TEST(ecreate_xfrm_avx512_without_avx_gp)
{
	ecreate_xfrm_expect(0x3 | 0xE0, SGX_GP);
}

/* Supervisor state components (PT, PASID, CET, HDC, UINTR, LBR, HWP) never go in XFRM. */
TEST(ecreate_xfrm_supervisor_component_gp)
{
	ecreate_xfrm_expect(0x3 | 1ull << 8, SGX_GP);
	ecreate_xfrm_expect(0x3 | 1ull << 12, SGX_GP);
	ecreate_xfrm_expect(0x3 | 1ull << 16, SGX_GP);
}
ECREATE_TEST(ecreate_miscselect_unsupported_gp, a->src->miscselect |= 0x2, SGX_GP)
ECREATE_TEST(ecreate_miscselect_zero_success, a->src->miscselect = 0, SGX_SUCCESS)
ECREATE_TEST(ecreate_ssa_frame_too_small_gp, a->src->ssa_frame_size = 0, SGX_GP)
/* 832 (XSAVE with AVX) + 184 + 16 fits one page. */
ECREATE_TEST(ecreate_ssa_frame_fits_avx_success, a->src->attributes.xfrm = 0x7, SGX_SUCCESS)
ECREATE_TEST(ecreate_base_noncanonical_gp, a->src->base = NONCANONICAL, SGX_GP)
ECREATE_TEST(ecreate_32bit_base_above_4g_gp, {
	a->src->attributes.flags &= ~SGX_ATTR_MODE64BIT;
	a->src->base = 0x100000000ull;
}, SGX_GP)

ECREATE_TEST(ecreate_size_beyond_max_gp, {
	a->src->size = 1ull << SGX_MAX_ENCLAVE_SIZE_64_LOG2;
	a->src->base = 0;
}, SGX_GP)

ECREATE_TEST(ecreate_size_not_power_of_two_gp, a->src->size = 3 * SGX_PAGE_SIZE, SGX_GP)
ECREATE_TEST(ecreate_size_below_two_pages_gp, a->src->size = SGX_PAGE_SIZE, SGX_GP)
ECREATE_TEST(ecreate_base_not_multiple_of_size_gp, a->src->base = FX_ENCL_BASE + FX_ENCL_SIZE / 2,
	     SGX_GP)

TEST(ecreate_attribute_unsupported_gp)
{
	ECREATE_EXPECT(a->src->attributes.flags |= SGX_ATTR_CET, SGX_GP); /* not enumerated */
	ECREATE_EXPECT(a->src->attributes.flags |= 1ull << 3 /* reserved */, SGX_GP);
}

/* ATTRIBUTES.AEXNOTIFY: settable where CPUID.(12H,1):EAX[10] says so, #GP where not. */
ECREATE_TEST(ecreate_aexnotify_where_enumerated_success,
	     a->src->attributes.flags |= SGX_ATTR_AEXNOTIFY, SGX_SUCCESS)

TEST(ecreate_aexnotify_not_enumerated_gp)
{
	struct sgx_cpu_config cfg;
	struct ecreate_args *a;
	struct fx *fx;
	uint32_t r[4] = { 0 };

	sgx_cpu_config_default(&cfg);
	cfg.epc_pages = 256;
	cfg.aexnotify = false;
	fx = fx_new_config(&cfg);
	sgx_cpu_cpuid(fx->cpu, 0x12, 1, r);
	EXPECT_EQ(r[0] & SGX_ATTR_AEXNOTIFY, 0);
	a = args_new(fx);
	a->src->attributes.flags |= SGX_ATTR_AEXNOTIFY;
	EXPECT_SGX(run(fx, a), SGX_GP);
	args_free(fx, a);
}

ECREATE_TEST(ecreate_attribute_init_set_gp, a->src->attributes.flags |= SGX_ATTR_INIT, SGX_GP)

TEST(ecreate_secs_reserved_nonzero_gp)
{
	ECREATE_EXPECT(a->src->reserved1[0] = 1, SGX_GP);
	ECREATE_EXPECT(a->src->reserved4[100] = 1, SGX_GP);
}

TEST(ecreate_configid_without_kss_gp)
{
	ECREATE_EXPECT(a->src->config_id[0] = 1, SGX_GP);
	ECREATE_EXPECT(a->src->config_svn = 1, SGX_GP);
}

ECREATE_TEST(ecreate_configid_with_kss_success, {
	a->src->attributes.flags |= SGX_ATTR_KSS;
	a->src->config_id[0] = 1;
	a->src->config_svn = 1;
}, SGX_SUCCESS)

TEST(ecreate_failure_leaves_page_free)
{
	SETUP_ECREATE();
	struct sgx_epcm_info info;

	a->src->size = 3 * SGX_PAGE_SIZE;
	ASSERT_SGX(run(fx, a), SGX_GP);
	sgx_cpu_epcm_read(fx->cpu, a->epc, &info);
	EXPECT_TRUE(!info.valid);
	a->src->size = FX_ENCL_SIZE;
	EXPECT_SGX(run(fx, a), SGX_SUCCESS);
	args_free(fx, a);
}
