/* SPDX-License-Identifier: MIT */
/*
 * EAUG: every check of the SDM pseudo-code in order, and the state of an
 * added page (zeroed, REG RW- PENDING, owned, counted as a child).
 * The in-use #GP of the target and of the SECS is in edmm_race_test.c.
 */
#include <stdlib.h>

#include "fixture.h"

#define PF_EPC_W (SGX_PF_SGX | SGX_PF_P | SGX_PF_W)

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

static int run(struct eaug *a)
{
	return encls_eaug(a->fx->klp, &a->pi, a->epc);
}

static struct sgx_epcm_info epcm(struct eaug *a, uint64_t epc)
{
	struct sgx_epcm_info info = { 0 };

	sgx_cpu_epcm_read(a->fx->cpu, epc, &info);
	return info;
}

static bool fault_is(struct eaug *a, uint8_t vector, uint64_t addr, uint32_t code)
{
	const struct sgx_fault_info *f = sgx_lp_fault(a->fx->klp);

	return f->vector == vector && f->addr == addr && f->error_code == code;
}

/* EAUG with @edit applied to the default operands; expects @want, target stays free. */
#define EAUG_EXPECT(edit, want)                                    \
	do {                                                       \
		struct eaug a;                                     \
		ASSERT_TRUE(eaug_setup(&a, true));                 \
		edit;                                              \
		EXPECT_SGX(run(&a), want);                         \
		EXPECT_TRUE(!epcm(&a, a.epc).valid);                \
		fx_free(a.fx);                                     \
	} while (0)

TEST(eaug_success_pending_rw_page)
{
	struct eaug a;
	struct sgx_epcm_info info;
	const uint8_t *mem;
	int i, nonzero = 0;

	ASSERT_TRUE(eaug_setup(&a, true));
	memset(sgx_cpu_epc_mem(a.fx->cpu, a.epc), 0xA5, SGX_PAGE_SIZE); /* stale contents */
	ASSERT_SGX(run(&a), SGX_SUCCESS);
	info = epcm(&a, a.epc);
	EXPECT_TRUE(info.valid);
	EXPECT_TRUE(info.pending);
	EXPECT_TRUE(!info.modified && !info.blocked && !info.pr);
	EXPECT_EQ(info.type, SGX_PAGE_TYPE_REG);
	EXPECT_EQ(info.perm, SGX_SECINFO_R | SGX_SECINFO_W);
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
	struct eaug a;
	struct sgx_secinfo si = { .flags = SGX_SECINFO_R };

	ASSERT_TRUE(eaug_setup(&a, true));
	/* EMODPR of a pending page leaves ZF=1; EAUG, with no RAX code, keeps it. */
	ASSERT_SGX(fx_eaug(a.e, FX_FREE + SGX_PAGE_SIZE, NULL), SGX_SUCCESS);
	ASSERT_SGX(encls_emodpr(a.fx->klp, &si, a.e->pa[(FX_FREE >> 12) + 1]),
		   SGX_PAGE_NOT_MODIFIABLE);
	ASSERT_EQ(sgx_lp_rflags(a.fx->klp) & SGX_RFLAGS_ZF, SGX_RFLAGS_ZF);
	ASSERT_SGX(run(&a), SGX_SUCCESS);
	EXPECT_EQ(sgx_lp_rflags(a.fx->klp) & SGX_RFLAGS_ZF, SGX_RFLAGS_ZF);
	fx_free(a.fx);
}

TEST(eaug_child_counted_then_eremove_frees)
{
	struct eaug a;

	ASSERT_TRUE(eaug_setup(&a, true));
	ASSERT_SGX(run(&a), SGX_SUCCESS);
	/* The invariant checker (after every leaf) verifies child_cnt == owned pages. */
	EXPECT_SGX(encls_eremove(a.fx->klp, a.epc), SGX_SUCCESS);
	EXPECT_TRUE(!epcm(&a, a.epc).valid);
	fx_free(a.fx);
}

TEST(eaug_last_page_of_elrange_success)
{
	struct eaug a;

	ASSERT_TRUE(eaug_setup(&a, true));
	a.pi.linaddr = a.e->base + a.e->size - SGX_PAGE_SIZE;
	EXPECT_SGX(run(&a), SGX_SUCCESS);
	EXPECT_EQ(epcm(&a, a.epc).linaddr, a.e->base + a.e->size - SGX_PAGE_SIZE);
	fx_free(a.fx);
}

TEST(eaug_no_sgx2_gp)
{
	struct sgx_cpu_config cfg;
	struct fx *fx;
	struct fx_enclave *e;

	sgx_cpu_config_default(&cfg);
	cfg.epc_pages = 256;
	cfg.sgx2 = false;
	fx = fx_new_config(&cfg);
	e = fx_build_init(fx);
	ASSERT_TRUE(e);
	EXPECT_SGX(fx_eaug(e, FX_FREE, NULL), SGX_GP);
	fx_free(fx);
}

TEST(eaug_pageinfo_unaligned_gp)
{
	struct eaug a;
	uint8_t *buf = aligned_alloc(64, 128);

	ASSERT_TRUE(eaug_setup(&a, true));
	memcpy(buf + 16, &a.pi, sizeof(a.pi));
	EXPECT_SGX(encls_eaug(a.fx->klp, (const struct sgx_pageinfo *)(buf + 16), a.epc), SGX_GP);
	EXPECT_TRUE(!epcm(&a, a.epc).valid);
	free(buf);
	fx_free(a.fx);
}

TEST(eaug_target_unaligned_gp)
{
	EAUG_EXPECT(a.epc += 0x800, SGX_GP);
}

TEST(eaug_target_not_epc_pf)
{
	struct eaug a;
	uint64_t outside;

	ASSERT_TRUE(eaug_setup(&a, true));
	outside = sgx_cpu_epc_base(a.fx->cpu) + sgx_cpu_epc_pages(a.fx->cpu) * SGX_PAGE_SIZE;
	EXPECT_SGX(encls_eaug(a.fx->klp, &a.pi, outside), SGX_PF);
	EXPECT_TRUE(fault_is(&a, SGX_VEC_PF, outside, PF_EPC_W));
	fx_free(a.fx);
}

/* Checked before the target's VALID bit: a valid target would #PF otherwise. */
TEST(eaug_secinfo_unaligned_gp)
{
	struct eaug a;

	ASSERT_TRUE(eaug_setup(&a, true));
	a.pi.secinfo = 0x1020;
	EXPECT_SGX(encls_eaug(a.fx->klp, &a.pi, a.e->pa[FX_DATA >> 12]), SGX_GP);
	fx_free(a.fx);
}

TEST(eaug_secs_unaligned_gp)
{
	EAUG_EXPECT(a.pi.secs += 0x40, SGX_GP);
}

TEST(eaug_linaddr_unaligned_gp)
{
	EAUG_EXPECT(a.pi.linaddr += 0x10, SGX_GP);
}

TEST(eaug_srcpge_nonzero_gp)
{
	EAUG_EXPECT(a.pi.srcpge = 0x1000, SGX_GP);
}

/* The SRCPGE check comes before the SECS EPC check. */
TEST(eaug_srcpge_before_secs_not_epc_gp)
{
	EAUG_EXPECT((a.pi.srcpge = 0x1000, a.pi.secs = 0x1000), SGX_GP);
}

TEST(eaug_secs_not_epc_pf)
{
	struct eaug a;

	ASSERT_TRUE(eaug_setup(&a, true));
	a.pi.secs = 0x7000;
	EXPECT_SGX(run(&a), SGX_PF);
	EXPECT_TRUE(fault_is(&a, SGX_VEC_PF, 0x7000, SGX_PF_SGX | SGX_PF_P));
	EXPECT_TRUE(!epcm(&a, a.epc).valid);
	fx_free(a.fx);
}

TEST(eaug_target_valid_pf)
{
	struct eaug a;
	struct sgx_epcm_info before, after;
	uint64_t data;

	ASSERT_TRUE(eaug_setup(&a, true));
	data = a.e->pa[FX_DATA >> 12];
	before = epcm(&a, data);
	EXPECT_SGX(encls_eaug(a.fx->klp, &a.pi, data), SGX_PF);
	EXPECT_TRUE(fault_is(&a, SGX_VEC_PF, data, PF_EPC_W));
	after = epcm(&a, data);
	EXPECT_EQ(after.linaddr, before.linaddr);
	EXPECT_TRUE(!after.pending);
	fx_free(a.fx);
}

/* A valid target faults before a (CET-only) SECINFO is rejected. */
TEST(eaug_target_valid_before_secinfo_pf)
{
	struct eaug a;
	static struct sgx_secinfo si = { .flags = SGX_SECINFO_REG | SGX_SECINFO_R | SGX_SECINFO_W };

	ASSERT_TRUE(eaug_setup(&a, true));
	a.pi.secinfo = (uintptr_t)&si;
	EXPECT_SGX(encls_eaug(a.fx->klp, &a.pi, a.e->pa[FX_DATA >> 12]), SGX_PF);
	fx_free(a.fx);
}

TEST(eaug_secinfo_nonzero_gp)
{
	static struct sgx_secinfo si = { .flags = SGX_SECINFO_REG | SGX_SECINFO_R | SGX_SECINFO_W };

	EAUG_EXPECT(a.pi.secinfo = (uintptr_t)&si, SGX_GP);
}

TEST(eaug_secs_not_valid_pf)
{
	struct eaug a;
	uint64_t free_page;

	ASSERT_TRUE(eaug_setup(&a, true));
	free_page = fx_epc_alloc(a.fx);
	a.pi.secs = free_page;
	EXPECT_SGX(run(&a), SGX_PF);
	EXPECT_TRUE(fault_is(&a, SGX_VEC_PF, free_page, SGX_PF_SGX | SGX_PF_P));
	EXPECT_TRUE(!epcm(&a, a.epc).valid);
	fx_free(a.fx);
}

TEST(eaug_secs_not_secs_pf)
{
	struct eaug a;

	ASSERT_TRUE(eaug_setup(&a, true));
	a.pi.secs = a.e->pa[FX_DATA >> 12];
	EXPECT_SGX(run(&a), SGX_PF);
	EXPECT_TRUE(fault_is(&a, SGX_VEC_PF, a.pi.secs, SGX_PF_SGX | SGX_PF_P));
	EXPECT_TRUE(!epcm(&a, a.epc).valid);
	fx_free(a.fx);
}

TEST(eaug_not_initialized_gp)
{
	struct eaug a;

	ASSERT_TRUE(eaug_setup(&a, false));
	EXPECT_SGX(run(&a), SGX_GP);
	EXPECT_TRUE(!epcm(&a, a.epc).valid);
	fx_free(a.fx);
}

TEST(eaug_linaddr_above_elrange_gp)
{
	EAUG_EXPECT(a.pi.linaddr = a.e->base + a.e->size, SGX_GP);
}

TEST(eaug_linaddr_below_elrange_gp)
{
	EAUG_EXPECT(a.pi.linaddr = a.e->base - SGX_PAGE_SIZE, SGX_GP);
}

TEST(eaug_counted)
{
	struct eaug a;

	ASSERT_TRUE(eaug_setup(&a, true));
	ASSERT_SGX(run(&a), SGX_SUCCESS);
	EXPECT_EQ(sgx_cpu_leaf_count(a.fx->cpu, SGX_LEAF_ENCLS(ENCLS_EAUG)), 1);
	fx_free(a.fx);
}
