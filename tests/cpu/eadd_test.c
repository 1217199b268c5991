/* SPDX-License-Identifier: MIT */
/*
 * EADD and EEXTEND: every check of their SDM pseudo-code, in order, and
 * what an added page looks like in the EPCM.
 */
#include "common.h"

struct eadd_args {
	uint8_t *src;
	struct sgx_secinfo secinfo;
	struct sgx_pageinfo pginfo;
	uint64_t epc;
};

static struct eadd_args *args_new(struct fx_enclave *e, uint64_t offset, uint64_t flags)
{
	struct eadd_args *a = aligned_alloc(64, sizeof(*a) + 64);

	memset(a, 0, sizeof(*a));
	a->src = aligned_alloc(SGX_PAGE_SIZE, SGX_PAGE_SIZE);
	memset(a->src, 0x5A, SGX_PAGE_SIZE);
	a->secinfo.flags = flags;
	a->pginfo.linaddr = fx_la(e, offset);
	a->pginfo.srcpge = (uintptr_t)a->src;
	a->pginfo.secinfo = (uintptr_t)&a->secinfo;
	a->pginfo.secs = e->secs;
	a->epc = fx_epc_alloc(e->fx);
	return a;
}

static void args_free(struct fx *fx, struct eadd_args *a)
{
	free(a->src);
	free(a);
	fx_free(fx);
}

/* Declare @fx, @e (ECREATEd with the default SECS) and @a: an EADD of @off with @flags. */
#define SETUP_EADD(off, flags)                                            \
	struct fx *fx = fx_new(0);                                        \
	struct fx_enclave *e = fx_ecreate(fx, NULL);                      \
	struct eadd_args *a = args_new(e, off, flags)

static int run(struct fx *fx, struct eadd_args *a)
{
	return encls_eadd(fx->klp, &a->pginfo, a->epc);
}

/* EADD of a fresh REG page at FX_FREE into an enclave under construction, after @edit. */
#define EADD_EXPECT(edit, want)                                           \
	do {                                                              \
		SETUP_EADD(FX_FREE, REG_RW);                              \
		edit;                                                     \
		EXPECT_SGX(run(fx, a), want);                             \
		args_free(fx, a);                                         \
	} while (0)

#define EADD_TEST(name, edit, want)                                       \
	TEST(name)                                                        \
	{                                                                 \
		EADD_EXPECT(edit, want);                                  \
	}

TEST(eadd_reg_page_success)
{
	SETUP_EADD(FX_FREE, REG_RW | SGX_SECINFO_X);
	struct sgx_epcm_info info;

	ASSERT_SGX(run(fx, a), SGX_SUCCESS);
	info = epcm_of(fx, a->epc);
	EXPECT_TRUE(info.valid && !info.pending && !info.modified && !info.blocked && !info.pr);
	EXPECT_EQ(info.type, SGX_PAGE_TYPE_REG);
	EXPECT_EQ(info.perm, SGX_SECINFO_R | SGX_SECINFO_W | SGX_SECINFO_X);
	EXPECT_EQ(info.linaddr, fx_la(e, FX_FREE));
	EXPECT_EQ(info.secs, e->secs);
	EXPECT_TRUE(!memcmp(sgx_cpu_epc_mem(fx->cpu, a->epc), a->src, SGX_PAGE_SIZE));
	args_free(fx, a);
}

TEST(eadd_tcs_clears_perm_and_cpu_fields)
{
	SETUP_EADD(FX_TCS0, SGX_SECINFO_TCS | SGX_SECINFO_R | SGX_SECINFO_W);
	struct sgx_tcs *tcs = (struct sgx_tcs *)a->src;
	const struct sgx_tcs *added;

	fx_tcs_default(tcs, FX_SSA0);
	tcs->flags = SGX_TCS_FLAGS_DBGOPTIN;
	tcs->cssa = 1;
	tcs->aep = 0x1234;
	tcs->state = 1;
	ASSERT_SGX(run(fx, a), SGX_SUCCESS);
	EXPECT_EQ(epcm_of(fx, a->epc).type, SGX_PAGE_TYPE_TCS);
	EXPECT_EQ(epcm_of(fx, a->epc).perm, 0);
	added = sgx_cpu_epc_mem(fx->cpu, a->epc);
	EXPECT_EQ(added->flags, 0);
	EXPECT_EQ(added->cssa, 0);
	EXPECT_EQ(added->aep, 0);
	EXPECT_EQ(added->state, 0);
	EXPECT_EQ(added->ossa, FX_SSA0);
	args_free(fx, a);
}

TEST(eadd_pageinfo_unaligned_gp)
{
	SETUP_EADD(FX_FREE, REG_RW);
	uint8_t *buf = aligned_alloc(64, 128);

	memcpy(buf + 8, &a->pginfo, sizeof(a->pginfo));
	EXPECT_SGX(encls_eadd(fx->klp, (const struct sgx_pageinfo *)(buf + 8), a->epc), SGX_GP);
	free(buf);
	args_free(fx, a);
}

EADD_TEST(eadd_epc_unaligned_gp, a->epc += 8, SGX_GP)
EADD_TEST(eadd_not_epc_pf, a->epc = sgx_cpu_epc_base(fx->cpu) - SGX_PAGE_SIZE, SGX_PF)
EADD_TEST(eadd_srcpge_unaligned_gp, a->pginfo.srcpge += 16, SGX_GP)
EADD_TEST(eadd_secs_unaligned_gp, a->pginfo.secs += 16, SGX_GP)
EADD_TEST(eadd_linaddr_unaligned_gp, a->pginfo.linaddr += 16, SGX_GP)
EADD_TEST(eadd_secinfo_unaligned_gp, a->pginfo.secinfo += 16, SGX_GP)
EADD_TEST(eadd_write_without_read_gp, a->secinfo.flags = SGX_SECINFO_REG | SGX_SECINFO_W, SGX_GP)
EADD_TEST(eadd_tcs_reserved_nonzero_gp, {
	a->secinfo.flags = SGX_SECINFO_TCS;
	fx_tcs_default((struct sgx_tcs *)a->src, FX_SSA0);
	((struct sgx_tcs *)a->src)->reserved[10] = 1;
}, SGX_GP)

/*
 * EADD with PAGEINFO.SECS = @at, where there is no SECS: #PF on it, with W
 * (SDM EADD memory parameters: PAGEINFO.SECS is read/write).
 */
static void secs_pf(struct fx *fx, struct eadd_args *a, uint64_t at)
{
	a->pginfo.secs = at;
	EXPECT_SGX(run(fx, a), SGX_PF);
	EXPECT_PF(fx->klp, at, PF_EPC_W);
	args_free(fx, a);
}

TEST(eadd_secs_not_epc_pf)
{
	SETUP_EADD(FX_FREE, REG_RW);

	secs_pf(fx, a, sgx_cpu_epc_base(fx->cpu) + 1024 * SGX_PAGE_SIZE);
}

TEST(eadd_secs_not_valid_pf)
{
	SETUP_EADD(FX_FREE, REG_RW);

	secs_pf(fx, a, fx_epc_alloc(fx));
}

TEST(eadd_secs_not_secs_type_pf)
{
	SETUP_EADD(FX_FREE, REG_RW);
	uint64_t reg;

	ASSERT_SGX(fx_eadd(e, FX_DATA, REG_RW, NULL, false, &reg), SGX_SUCCESS);
	secs_pf(fx, a, reg);
}

TEST(eadd_secinfo_reserved_gp)
{
	EADD_EXPECT(a->secinfo.reserved[55] = 1, SGX_GP);
	EADD_EXPECT(a->secinfo.flags |= 1ull << 6, SGX_GP);
}

TEST(eadd_secinfo_type_not_reg_or_tcs_gp)
{
	EADD_EXPECT(a->secinfo.flags = SGX_SECINFO_SECS, SGX_GP);
	EADD_EXPECT(a->secinfo.flags = SGX_SECINFO_VA, SGX_GP);
	EADD_EXPECT(a->secinfo.flags = SGX_SECINFO_TRIM | SGX_SECINFO_R, SGX_GP);
}

TEST(eadd_outside_elrange_gp)
{
	EADD_EXPECT(a->pginfo.linaddr = FX_ENCL_BASE + FX_ENCL_SIZE, SGX_GP);
	EADD_EXPECT(a->pginfo.linaddr = FX_ENCL_BASE - SGX_PAGE_SIZE, SGX_GP);
}

TEST(eadd_secinfo_pending_bits_accepted_and_measured)
{
	/* Bits 3-5 are not reserved: EADD takes them into the measurement only. */
	SETUP_EADD(FX_FREE, REG_RW | SGX_SECINFO_PENDING);

	ASSERT_SGX(run(fx, a), SGX_SUCCESS);
	EXPECT_TRUE(!epcm_of(fx, a->epc).pending);
	args_free(fx, a);
}

static void eadd_in_hook(struct fx *fx, struct sgx_lp *lp, unsigned int leaf, uint64_t epc,
			 void *ctx)
{
	struct eadd_args *a = ctx;
	struct sgx_lp *other = sgx_lp_create(fx->cpu, NULL, NULL);

	EXPECT_SGX(encls_eadd(other, &a->pginfo, a->epc), SGX_GP);
	sgx_lp_destroy(other);
}

TEST(eadd_target_in_use_gp)
{
	SETUP_EADD(FX_FREE, REG_RW);

	fx_on_pause(fx, eadd_in_hook, a);
	EXPECT_SGX(run(fx, a), SGX_SUCCESS);
	args_free(fx, a);
}

/* The paused leaf is @want; EADD of @ctx (struct eadd_args) from another LP: #GP, nothing added. */
static void eadd_during(struct fx *fx, unsigned int leaf, unsigned int want, void *ctx)
{
	struct eadd_args *a = ctx;
	struct sgx_lp *other = sgx_lp_create(fx->cpu, NULL, NULL);

	EXPECT_EQ(leaf, want);
	EXPECT_SGX(encls_eadd(other, &a->pginfo, a->epc), SGX_GP);
	EXPECT_TRUE(!epcm_of(fx, a->epc).valid);
	sgx_lp_destroy(other);
}

static void eadd_during_eremove(struct fx *fx, struct sgx_lp *lp, unsigned int leaf, uint64_t epc,
				void *ctx)
{
	/* EREMOVE holds the SECS exclusively; EADD wants it shared. */
	eadd_during(fx, leaf, SGX_LEAF_ENCLS(ENCLS_EREMOVE), ctx);
}

TEST(eadd_secs_in_use_gp)
{
	SETUP_EADD(FX_FREE, REG_RW);

	fx_on_pause(fx, eadd_during_eremove, a);
	EXPECT_SGX(encls_eremove(fx->klp, e->secs), SGX_SUCCESS);
	args_free(fx, a);
}

static void eadd_during_einit(struct fx *fx, struct sgx_lp *lp, unsigned int leaf, uint64_t epc,
			      void *ctx)
{
	/* EINIT holds the SECS shared, as EADD does, but also its measurement. */
	eadd_during(fx, leaf, SGX_LEAF_ENCLS(ENCLS_EINIT), ctx);
}

TEST(eadd_during_einit_gp)
{
	struct fx *fx = fx_new(0);
	struct fx_enclave *e = fx_build(fx);
	struct eadd_args *a = args_new(e, FX_FREE, REG_RW);

	fx_on_pause(fx, eadd_during_einit, a);
	EXPECT_SGX(fx_einit(e), SGX_SUCCESS);
	args_free(fx, a);
}

static void eadd_during_eextend(struct fx *fx, struct sgx_lp *lp, unsigned int leaf, uint64_t epc,
				void *ctx)
{
	/* EEXTEND holds the measurement: EADD may not update it. */
	eadd_during(fx, leaf, SGX_LEAF_ENCLS(ENCLS_EEXTEND), ctx);
}

TEST(eadd_during_eextend_gp)
{
	SETUP_EADD(FX_FREE, REG_RW);
	uint64_t page;

	ASSERT_SGX(fx_eadd(e, FX_DATA, REG_RW, NULL, false, &page), SGX_SUCCESS);
	fx_on_pause(fx, eadd_during_eextend, a);
	EXPECT_SGX(encls_eextend(fx->klp, e->secs, page), SGX_SUCCESS);
	/* Without the concurrent leaf, the same EADD goes through. */
	EXPECT_SGX(run(fx, a), SGX_SUCCESS);
	args_free(fx, a);
}

TEST(eadd_target_valid_pf)
{
	SETUP_EADD(FX_FREE, REG_RW);

	ASSERT_SGX(run(fx, a), SGX_SUCCESS);
	a->pginfo.linaddr += SGX_PAGE_SIZE;
	EXPECT_SGX(run(fx, a), SGX_PF);
	EXPECT_EQ(sgx_lp_fault(fx->klp)->addr, a->epc);
	args_free(fx, a);
}

TEST(eadd_tcs_32bit_limits_gp)
{
	struct fx *fx = fx_new(0);
	struct sgx_secs secs;
	struct fx_enclave *e;
	struct eadd_args *a;
	struct sgx_tcs *tcs;

	fx_secs_default(&secs, FX_ENCL_BASE, FX_ENCL_SIZE);
	secs.attributes.flags &= ~SGX_ATTR_MODE64BIT;
	e = fx_ecreate(fx, &secs);
	ASSERT_TRUE(e);
	a = args_new(e, FX_TCS0, SGX_SECINFO_TCS);
	tcs = (struct sgx_tcs *)a->src;
	fx_tcs_default(tcs, FX_SSA0);
	tcs->fslimit = 0x1000; /* low 12 bits must be FFFh in a 32-bit enclave */
	EXPECT_SGX(run(fx, a), SGX_GP);
	tcs->fslimit = 0xFFFFF;
	EXPECT_SGX(run(fx, a), SGX_SUCCESS);
	args_free(fx, a);
}

TEST(eadd_after_einit_gp)
{
	SETUP_FX(fx, e);
	struct eadd_args *a = args_new(e, FX_FREE, REG_RW);

	EXPECT_SGX(run(fx, a), SGX_GP);
	args_free(fx, a);
}

/* EEXTEND */

struct eextend_case {
	struct fx *fx;
	struct fx_enclave *e;
	uint64_t page;
};

static struct eextend_case eextend_setup(void)
{
	struct eextend_case c;

	c.fx = fx_new(0);
	c.e = fx_ecreate(c.fx, NULL);
	fx_eadd(c.e, FX_DATA, REG_RW, NULL, false, &c.page);
	return c;
}

/*
 * EEXTEND(@secs, @chunk), expressions over c (an enclave under construction
 * with a REG page at c.page): @want; a #PF is at @fault.
 */
#define EEXTEND_TEST(name, secs, chunk, want, fault)                                   \
	TEST(name)                                                                     \
	{                                                                              \
		struct eextend_case c = eextend_setup();                               \
		EXPECT_SGX(encls_eextend(c.fx->klp, secs, chunk), want);               \
		if ((want) == SGX_PF)                                                  \
			EXPECT_EQ(sgx_lp_fault(c.fx->klp)->addr, fault);               \
		fx_free(c.fx);                                                         \
	}

EEXTEND_TEST(eextend_chunk_success, c.e->secs, c.page + 256, SGX_SUCCESS, 0)
EEXTEND_TEST(eextend_secs_unaligned_gp, c.e->secs + 256, c.page, SGX_GP, 0)
EEXTEND_TEST(eextend_secs_not_epc_pf, 0x1000, c.page, SGX_PF, 0x1000)
EEXTEND_TEST(eextend_chunk_unaligned_gp, c.e->secs, c.page + 128, SGX_GP, 0)
EEXTEND_TEST(eextend_chunk_not_epc_pf, c.e->secs, 0x2000, SGX_PF, 0x2000)

static void eextend_during_eremove(struct fx *fx, struct sgx_lp *lp, unsigned int leaf,
				   uint64_t epc, void *ctx)
{
	struct eextend_case *c = ctx;
	struct sgx_lp *other = sgx_lp_create(fx->cpu, NULL, NULL);

	EXPECT_SGX(encls_eextend(other, c->e->secs, c->page), SGX_GP);
	sgx_lp_destroy(other);
}

TEST(eextend_page_in_use_gp)
{
	struct eextend_case c = eextend_setup();

	fx_on_pause(c.fx, eextend_during_eremove, &c);
	EXPECT_SGX(encls_eremove(c.fx->klp, c.page), SGX_SUCCESS);
	fx_free(c.fx);
}

static void eextend_during_einit(struct fx *fx, struct sgx_lp *lp, unsigned int leaf,
				 uint64_t epc, void *ctx)
{
	struct fx_enclave *e = ctx;
	struct sgx_lp *other = sgx_lp_create(fx->cpu, NULL, NULL);

	/* EINIT holds the measurement: EEXTEND may not update it. */
	EXPECT_EQ(leaf, SGX_LEAF_ENCLS(ENCLS_EINIT));
	EXPECT_SGX(encls_eextend(other, e->secs, epc_of(e, FX_DATA)), SGX_GP);
	sgx_lp_destroy(other);
}

TEST(eextend_during_einit_gp)
{
	struct fx *fx = fx_new(0);
	struct fx_enclave *e = fx_build(fx);

	ASSERT_TRUE(e);
	fx_on_pause(fx, eextend_during_einit, e);
	/* The refused EEXTEND measured nothing: the signed MRENCLAVE still matches. */
	EXPECT_SGX(fx_einit(e), SGX_SUCCESS);
	fx_free(fx);
}

TEST(eextend_page_invalid_pf)
{
	struct eextend_case c = eextend_setup();
	uint64_t free_page = fx_epc_alloc(c.fx);

	EXPECT_SGX(encls_eextend(c.fx->klp, c.e->secs, free_page), SGX_PF);
	EXPECT_EQ(sgx_lp_fault(c.fx->klp)->addr, free_page);
	fx_free(c.fx);
}

EEXTEND_TEST(eextend_page_not_reg_or_tcs_pf, c.e->secs, c.e->secs, SGX_PF, c.e->secs)

TEST(eextend_page_of_other_enclave_gp)
{
	struct eextend_case c = eextend_setup();
	struct sgx_secs secs;
	struct fx_enclave *other;

	fx_secs_default(&secs, 2 * FX_ENCL_BASE, FX_ENCL_SIZE);
	other = fx_ecreate(c.fx, &secs);
	ASSERT_TRUE(other);
	EXPECT_SGX(encls_eextend(c.fx->klp, other->secs, c.page), SGX_GP);
	fx_free(c.fx);
}

TEST(eextend_after_einit_gp)
{
	SETUP_FX(fx, e);

	EXPECT_SGX(encls_eextend(fx->klp, e->secs, epc_of(e, FX_DATA)), SGX_GP);
	fx_free(fx);
}
