/* SPDX-License-Identifier: MIT */
/*
 * EAUG: every check of the SDM pseudo-code in order, and the state of an
 * added page (zeroed, REG RW- PENDING, owned, counted as a child).
 * The in-use #GP of the target and of the SECS is in edmm_race_test.c.
 */
#include "common.h"

struct eaug {
	struct fx *fx;
	struct fx_enclave *e;
	struct sgx_pageinfo pi;
	uint64_t epc;
};

/* An initialized enclave, and a PAGEINFO that adds a free EPC page at FX_FREE. */
static bool eaug_setup(struct eaug *a, bool init)
{
	a->fx = fx_new(0);
	a->e = init ? fx_build_init(a->fx) : fx_build(a->fx);
	if (!a->e)
		return false;
	memset(&a->pi, 0, sizeof(a->pi));
	a->pi.linaddr = fx_la(a->e, FX_FREE);
	a->pi.secs = a->e->secs;
	a->epc = fx_epc_alloc(a->fx);
	return true;
}

#define SETUP_EAUG(a)                                 \
	struct eaug a;                                \
	ASSERT_TRUE(eaug_setup(&a, true))

static int run(struct eaug *a)
{
	return encls_eaug(a->fx->klp, &a->pi, a->epc);
}

/* The target page is still free. */
static bool target_free(struct eaug *a)
{
	return !epcm_of(a->fx, a->epc).valid;
}

/* EAUG with the statement @edit applied to the default operands: @want, target stays free. */
#define EAUG_TEST(name, edit, want)                                \
	TEST(name)                                                 \
	{                                                          \
		SETUP_EAUG(a);                                     \
		edit;                                              \
		EXPECT_SGX(run(&a), want);                         \
		EXPECT_TRUE(target_free(&a));                      \
		fx_free(a.fx);                                     \
	}

TEST(eaug_success_pending_rw_page)
{
	SETUP_EAUG(a);
	struct sgx_epcm_info info;
	const uint8_t *mem;
	int i, nonzero = 0;

	memset(sgx_cpu_epc_mem(a.fx->cpu, a.epc), 0xA5, SGX_PAGE_SIZE); /* stale contents */
	ASSERT_SGX(run(&a), SGX_SUCCESS);
	info = epcm_of(a.fx, a.epc);
	EXPECT_TRUE(info.valid);
	EXPECT_TRUE(info.pending);
	EXPECT_TRUE(!info.modified && !info.blocked && !info.pr);
	EXPECT_EQ(info.type, SGX_PAGE_TYPE_REG);
	EXPECT_EQ(info.perm, RW);
	EXPECT_EQ(info.linaddr, fx_la(a.e, FX_FREE));
	EXPECT_EQ(info.secs, a.e->secs);
	mem = sgx_cpu_epc_mem(a.fx->cpu, a.epc);
	for (i = 0; i < (int)SGX_PAGE_SIZE; i++)
		nonzero += mem[i] != 0;
	EXPECT_EQ(nonzero, 0);
	fx_free(a.fx);
}

TEST(eaug_success_rflags_and_rax_untouched)
{
	SETUP_EAUG(a);

	/* EMODPR of a pending page leaves ZF=1; EAUG, with no RAX code, keeps it. */
	ASSERT_SGX(fx_eaug(a.e, FX_FREE + SGX_PAGE_SIZE, NULL), SGX_SUCCESS);
	ASSERT_SGX(emodpr(a.e, FX_FREE + SGX_PAGE_SIZE, SGX_SECINFO_R), SGX_PAGE_NOT_MODIFIABLE);
	ASSERT_EQ(sgx_lp_rflags(a.fx->klp) & SGX_RFLAGS_ZF, SGX_RFLAGS_ZF);
	ASSERT_SGX(run(&a), SGX_SUCCESS);
	EXPECT_EQ(sgx_lp_rflags(a.fx->klp) & SGX_RFLAGS_ZF, SGX_RFLAGS_ZF);
	fx_free(a.fx);
}

TEST(eaug_child_counted_then_eremove_frees)
{
	SETUP_EAUG(a);

	ASSERT_SGX(run(&a), SGX_SUCCESS);
	/* The invariant checker (after every leaf) verifies child_cnt == owned pages. */
	EXPECT_SGX(encls_eremove(a.fx->klp, a.epc), SGX_SUCCESS);
	EXPECT_TRUE(target_free(&a));
	fx_free(a.fx);
}

TEST(eaug_last_page_of_elrange_success)
{
	SETUP_EAUG(a);

	a.pi.linaddr = a.e->base + a.e->size - SGX_PAGE_SIZE;
	EXPECT_SGX(run(&a), SGX_SUCCESS);
	EXPECT_EQ(epcm_of(a.fx, a.epc).linaddr, a.e->base + a.e->size - SGX_PAGE_SIZE);
	fx_free(a.fx);
}

TEST(eaug_counted)
{
	SETUP_EAUG(a);

	ASSERT_SGX(run(&a), SGX_SUCCESS);
	EXPECT_EQ(sgx_cpu_leaf_count(a.fx->cpu, SGX_LEAF_ENCLS(ENCLS_EAUG)), 1);
	fx_free(a.fx);
}

TEST(eaug_no_sgx2_gp)
{
	struct fx *fx = fx_new_sgx1();
	struct fx_enclave *e = fx_build_init(fx);

	ASSERT_TRUE(e);
	EXPECT_SGX(fx_eaug(e, FX_FREE, NULL), SGX_GP);
	fx_free(fx);
}

TEST(eaug_not_initialized_gp)
{
	struct eaug a;

	ASSERT_TRUE(eaug_setup(&a, false));
	EXPECT_SGX(run(&a), SGX_GP);
	EXPECT_TRUE(target_free(&a));
	fx_free(a.fx);
}

TEST(eaug_pageinfo_unaligned_gp)
{
	SETUP_EAUG(a);
	uint8_t *buf = aligned_alloc(64, 128);

	memcpy(buf + 16, &a.pi, sizeof(a.pi));
	EXPECT_SGX(encls_eaug(a.fx->klp, (const struct sgx_pageinfo *)(buf + 16), a.epc), SGX_GP);
	EXPECT_TRUE(target_free(&a));
	free(buf);
	fx_free(a.fx);
}

EAUG_TEST(eaug_target_unaligned_gp, a.epc += 0x800, SGX_GP)

TEST(eaug_target_not_epc_pf)
{
	SETUP_EAUG(a);
	uint64_t outside;

	outside = sgx_cpu_epc_base(a.fx->cpu) + sgx_cpu_epc_pages(a.fx->cpu) * SGX_PAGE_SIZE;
	EXPECT_SGX(encls_eaug(a.fx->klp, &a.pi, outside), SGX_PF);
	EXPECT_PF(a.fx->klp, outside, PF_EPC_W);
	fx_free(a.fx);
}

/* Checked before the target's VALID bit: a valid target would #PF otherwise. */
TEST(eaug_secinfo_unaligned_gp)
{
	SETUP_EAUG(a);

	a.pi.secinfo = 0x1020;
	EXPECT_SGX(encls_eaug(a.fx->klp, &a.pi, epc_of(a.e, FX_DATA)), SGX_GP);
	fx_free(a.fx);
}

EAUG_TEST(eaug_secs_unaligned_gp, a.pi.secs += 0x40, SGX_GP)
EAUG_TEST(eaug_linaddr_unaligned_gp, a.pi.linaddr += 0x10, SGX_GP)
EAUG_TEST(eaug_srcpge_nonzero_gp, a.pi.srcpge = 0x1000, SGX_GP)
/* The SRCPGE check comes before the SECS EPC check. */
EAUG_TEST(eaug_srcpge_before_secs_not_epc_gp, (a.pi.srcpge = 0x1000, a.pi.secs = 0x1000), SGX_GP)
EAUG_TEST(eaug_linaddr_above_elrange_gp, a.pi.linaddr = a.e->base + a.e->size, SGX_GP)
EAUG_TEST(eaug_linaddr_below_elrange_gp, a.pi.linaddr = a.e->base - SGX_PAGE_SIZE, SGX_GP)

/*
 * PAGEINFO.SECS = @at, no SECS there: #PF on it with W (SDM EAUG memory
 * parameters: PAGEINFO.SECS is read/write), target stays free.
 */
#define SECS_PF_TEST(name, at)                                             \
	TEST(name)                                                         \
	{                                                                  \
		SETUP_EAUG(a);                                             \
		a.pi.secs = (at);                                          \
		EXPECT_SGX(run(&a), SGX_PF);                               \
		EXPECT_PF(a.fx->klp, a.pi.secs, PF_EPC_W);                 \
		EXPECT_TRUE(target_free(&a));                              \
		fx_free(a.fx);                                             \
	}

SECS_PF_TEST(eaug_secs_not_epc_pf, 0x7000)
SECS_PF_TEST(eaug_secs_not_valid_pf, fx_epc_alloc(a.fx))
SECS_PF_TEST(eaug_secs_not_secs_pf, epc_of(a.e, FX_DATA))

TEST(eaug_target_valid_pf)
{
	SETUP_EAUG(a);
	uint64_t data = epc_of(a.e, FX_DATA);
	struct sgx_epcm_info before = epcm_of(a.fx, data), after;

	EXPECT_SGX(encls_eaug(a.fx->klp, &a.pi, data), SGX_PF);
	EXPECT_PF(a.fx->klp, data, PF_EPC_W);
	after = epcm_of(a.fx, data);
	EXPECT_EQ(after.linaddr, before.linaddr);
	EXPECT_TRUE(!after.pending);
	fx_free(a.fx);
}

/* A SECINFO operand for EAUG (CET pages only, see below). */
static struct sgx_secinfo cet_secinfo = { .flags = REG_RW };

/* A valid target faults before a (CET-only) SECINFO is rejected. */
TEST(eaug_target_valid_before_secinfo_pf)
{
	SETUP_EAUG(a);

	a.pi.secinfo = (uintptr_t)&cet_secinfo;
	EXPECT_SGX(encls_eaug(a.fx->klp, &a.pi, epc_of(a.e, FX_DATA)), SGX_PF);
	fx_free(a.fx);
}

EAUG_TEST(eaug_secinfo_nonzero_gp, a.pi.secinfo = (uintptr_t)&cet_secinfo, SGX_GP)
