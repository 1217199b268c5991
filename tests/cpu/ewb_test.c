/* SPDX-License-Identifier: MIT */
/*
 * EWB: each check of the SDM pseudo-code in order (every fault and code
 * leaves the page valid and the slot empty), and what a successful
 * eviction writes: the sealed page, the PCMD, PAGEINFO.LINADDR, the VA
 * slot, and the invalid EPCM entry. Reloading, tampering, the SECS and
 * VA_SLOT_OCCUPIED are in paging_sequence_test.c; the in-use #GP in
 * paging_race_test.c.
 */
#include <stdlib.h>

#include "fixture.h"

#define PF_EPC_W (SGX_PF_SGX | SGX_PF_P | SGX_PF_W)
/* Offset of the slot EWB uses by default in its VA page. */
#define DEFAULT_SLOT 40

/* Backing store of one evicted page, as the kernel keeps it. */
struct blob {
	uint8_t page[SGX_PAGE_SIZE] __attribute__((aligned(SGX_PAGE_SIZE)));
	struct sgx_pcmd pcmd;
};

struct ewb {
	struct fx *fx;
	struct fx_enclave *e;
	struct blob *b;
	struct sgx_pageinfo pi;
	uint64_t epc, va, slot;
};

/* An initialized enclave, a VA page, and FX_DATA blocked and tracked. */
static bool ewb_setup(struct ewb *w)
{
	memset(w, 0, sizeof(*w));
	w->fx = fx_new(0);
	w->e = fx_build_init(w->fx);
	w->b = aligned_alloc(SGX_PAGE_SIZE, sizeof(*w->b));
	if (!w->e || !w->b)
		return false;
	memset(w->b, 0, sizeof(*w->b));
	w->va = fx_epc_alloc(w->fx);
	w->slot = w->va + DEFAULT_SLOT;
	w->epc = w->e->pa[FX_DATA / SGX_PAGE_SIZE];
	w->pi.srcpge = (uintptr_t)w->b->page;
	w->pi.pcmd = (uintptr_t)&w->b->pcmd;
	return encls_epa(w->fx->klp, SGX_PAGE_TYPE_VA, w->va) == 0 &&
	       encls_eblock(w->fx->klp, w->epc) == 0 && encls_etrack(w->fx->klp, w->e->secs) == 0;
}

static void ewb_teardown(struct ewb *w)
{
	free(w->b);
	fx_free(w->fx);
}

static int run(struct ewb *w)
{
	return encls_ewb(w->fx->klp, &w->pi, w->epc, w->slot);
}

static uint64_t slot_value(struct ewb *w, uint64_t slot)
{
	return *(uint64_t *)sgx_cpu_epc_mem(w->fx->cpu, slot);
}

static bool fault_is(struct ewb *w, uint64_t addr)
{
	const struct sgx_fault_info *f = sgx_lp_fault(w->fx->klp);

	return f->vector == SGX_VEC_PF && f->addr == addr && f->error_code == PF_EPC_W;
}

/* EWB with @edit applied to the default operands: @want, and nothing evicted. */
#define EWB_EXPECT(edit, want)                                             \
	do {                                                               \
		struct ewb w;                                              \
		ASSERT_TRUE(ewb_setup(&w));                                \
		edit;                                                      \
		EXPECT_SGX(run(&w), want);                                 \
		EXPECT_TRUE(fx_epcm(w.e, FX_DATA).valid);                  \
		EXPECT_EQ(slot_value(&w, w.va + DEFAULT_SLOT), 0);         \
		ewb_teardown(&w);                                          \
	} while (0)

TEST(ewb_reg_success_sealed_and_invalid)
{
	struct ewb w;
	uint8_t plain[SGX_PAGE_SIZE];
	int i, zero_mac = 1;

	ASSERT_TRUE(ewb_setup(&w));
	memcpy(plain, fx_mem(w.e, FX_DATA), SGX_PAGE_SIZE);
	ASSERT_SGX(run(&w), SGX_SUCCESS);
	EXPECT_EQ(sgx_lp_rflags(w.fx->klp) & (SGX_RFLAGS_ZF | SGX_RFLAGS_CF), 0);
	/* The EPCM entry is free again: every field cleared. */
	EXPECT_TRUE(!fx_epcm(w.e, FX_DATA).valid && !fx_epcm(w.e, FX_DATA).blocked);
	EXPECT_EQ(fx_epcm(w.e, FX_DATA).linaddr, 0);
	EXPECT_EQ(fx_epcm(w.e, FX_DATA).secs, 0);
	/* The page left encrypted; the PCMD describes it. */
	EXPECT_TRUE(memcmp(w.b->page, plain, SGX_PAGE_SIZE) != 0);
	EXPECT_EQ(w.b->pcmd.secinfo.flags, SGX_SECINFO_REG | SGX_SECINFO_R | SGX_SECINFO_W);
	EXPECT_TRUE(w.b->pcmd.enclave_id != 0);
	for (i = 0; i < 16; i++)
		zero_mac &= w.b->pcmd.mac[i] == 0;
	EXPECT_TRUE(!zero_mac);
	/* PAGEINFO.LINADDR is written back; the version sits in the slot. */
	EXPECT_EQ(w.pi.linaddr, fx_la(w.e, FX_DATA));
	EXPECT_TRUE(slot_value(&w, w.slot) != 0);
	ewb_teardown(&w);
}

/* Two pages of one enclave: same ENCLAVEID in the PCMD, distinct versions. */
TEST(ewb_reg_success_same_eid_fresh_versions)
{
	struct ewb w;
	struct blob *b2 = aligned_alloc(SGX_PAGE_SIZE, sizeof(*b2));
	struct sgx_pageinfo pi2 = { 0 };
	uint64_t epc2;

	ASSERT_TRUE(ewb_setup(&w) && b2);
	epc2 = w.e->pa[FX_RODATA / SGX_PAGE_SIZE];
	ASSERT_SGX(encls_eblock(w.fx->klp, epc2), SGX_SUCCESS);
	ASSERT_SGX(encls_etrack(w.fx->klp, w.e->secs), SGX_SUCCESS);
	ASSERT_SGX(run(&w), SGX_SUCCESS);
	pi2.srcpge = (uintptr_t)b2->page;
	pi2.pcmd = (uintptr_t)&b2->pcmd;
	ASSERT_SGX(encls_ewb(w.fx->klp, &pi2, epc2, w.va + 8), SGX_SUCCESS);
	EXPECT_EQ(b2->pcmd.enclave_id, w.b->pcmd.enclave_id);
	EXPECT_EQ(b2->pcmd.secinfo.flags, SGX_SECINFO_REG | SGX_SECINFO_R);
	EXPECT_TRUE(slot_value(&w, w.va + 8) != slot_value(&w, w.slot));
	free(b2);
	ewb_teardown(&w);
}

TEST(ewb_pageinfo_unaligned_gp)
{
	static struct sgx_pageinfo buf[2];
	struct sgx_pageinfo *pi = (struct sgx_pageinfo *)((uint8_t *)buf + 8);
	struct ewb w;

	ASSERT_TRUE(ewb_setup(&w));
	memcpy(pi, &w.pi, sizeof(*pi));
	EXPECT_SGX(encls_ewb(w.fx->klp, pi, w.epc, w.slot), SGX_GP);
	EXPECT_TRUE(fx_epcm(w.e, FX_DATA).valid);
	EXPECT_EQ(slot_value(&w, w.slot), 0);
	ewb_teardown(&w);
}

TEST(ewb_epc_unaligned_gp)
{
	EWB_EXPECT(w.epc += 8, SGX_GP);
}

TEST(ewb_epc_not_epc_pf)
{
	struct ewb w;

	ASSERT_TRUE(ewb_setup(&w));
	w.epc = 0x10000;
	EXPECT_SGX(run(&w), SGX_PF);
	EXPECT_TRUE(fault_is(&w, 0x10000));
	EXPECT_EQ(slot_value(&w, w.slot), 0);
	ewb_teardown(&w);
}

TEST(ewb_slot_unaligned_gp)
{
	EWB_EXPECT(w.slot = w.va + 4, SGX_GP);
}

TEST(ewb_slot_not_epc_pf)
{
	struct ewb w;

	ASSERT_TRUE(ewb_setup(&w));
	w.slot = 0x3008;
	EXPECT_SGX(run(&w), SGX_PF);
	EXPECT_TRUE(fault_is(&w, 0x3008));
	EXPECT_TRUE(fx_epcm(w.e, FX_DATA).valid);
	ewb_teardown(&w);
}

TEST(ewb_slot_in_same_page_gp)
{
	EWB_EXPECT(w.slot = w.epc + 8, SGX_GP);
}

TEST(ewb_pageinfo_linaddr_nonzero_gp)
{
	EWB_EXPECT(w.pi.linaddr = fx_la(w.e, FX_DATA), SGX_GP);
}

TEST(ewb_pageinfo_secs_nonzero_gp)
{
	EWB_EXPECT(w.pi.secs = w.e->secs, SGX_GP);
}

TEST(ewb_pcmd_unaligned_gp)
{
	EWB_EXPECT(w.pi.pcmd += 64, SGX_GP);
}

TEST(ewb_srcpge_unaligned_gp)
{
	EWB_EXPECT(w.pi.srcpge += 128, SGX_GP);
}

TEST(ewb_page_invalid_pf)
{
	struct ewb w;
	uint64_t free_epc;

	ASSERT_TRUE(ewb_setup(&w));
	free_epc = fx_epc_alloc(w.fx);
	w.epc = free_epc;
	EXPECT_SGX(run(&w), SGX_PF);
	EXPECT_TRUE(fault_is(&w, free_epc));
	EXPECT_EQ(slot_value(&w, w.slot), 0);
	ewb_teardown(&w);
}

TEST(ewb_slot_page_invalid_pf)
{
	struct ewb w;
	uint64_t slot;

	ASSERT_TRUE(ewb_setup(&w));
	slot = fx_epc_alloc(w.fx) + 16;
	w.slot = slot;
	EXPECT_SGX(run(&w), SGX_PF);
	EXPECT_TRUE(fault_is(&w, slot));
	EXPECT_TRUE(fx_epcm(w.e, FX_DATA).valid);
	ewb_teardown(&w);
}

TEST(ewb_slot_page_not_va_pf)
{
	struct ewb w;
	uint64_t slot;

	ASSERT_TRUE(ewb_setup(&w));
	slot = w.e->pa[FX_CODE / SGX_PAGE_SIZE] + 16;
	w.slot = slot;
	EXPECT_SGX(run(&w), SGX_PF);
	EXPECT_TRUE(fault_is(&w, slot));
	EXPECT_TRUE(fx_epcm(w.e, FX_DATA).valid);
	ewb_teardown(&w);
}

TEST(ewb_not_blocked_page_not_blocked)
{
	struct ewb w;

	ASSERT_TRUE(ewb_setup(&w));
	w.epc = w.e->pa[(FX_DATA + SGX_PAGE_SIZE) / SGX_PAGE_SIZE];
	EXPECT_SGX(run(&w), SGX_PAGE_NOT_BLOCKED);
	EXPECT_EQ(sgx_lp_rflags(w.fx->klp) & (SGX_RFLAGS_ZF | SGX_RFLAGS_CF), SGX_RFLAGS_ZF);
	EXPECT_TRUE(fx_epcm(w.e, FX_DATA + SGX_PAGE_SIZE).valid);
	EXPECT_EQ(slot_value(&w, w.slot), 0);
	EXPECT_EQ(w.pi.linaddr, 0); /* nothing written back */
	ewb_teardown(&w);
}

TEST(ewb_no_etrack_not_tracked)
{
	struct ewb w;

	ASSERT_TRUE(ewb_setup(&w));
	w.epc = w.e->pa[FX_CODE / SGX_PAGE_SIZE];
	ASSERT_SGX(encls_eblock(w.fx->klp, w.epc), SGX_SUCCESS);
	EXPECT_SGX(run(&w), SGX_NOT_TRACKED);
	EXPECT_EQ(sgx_lp_rflags(w.fx->klp) & (SGX_RFLAGS_ZF | SGX_RFLAGS_CF), SGX_RFLAGS_ZF);
	EXPECT_TRUE(fx_epcm(w.e, FX_CODE).valid && fx_epcm(w.e, FX_CODE).blocked);
	EXPECT_EQ(slot_value(&w, w.slot), 0);
	ewb_teardown(&w);
}

TEST(ewb_secs_with_children_child_present)
{
	struct ewb w;
	struct sgx_epcm_info info = { 0 };

	ASSERT_TRUE(ewb_setup(&w));
	w.epc = w.e->secs;
	EXPECT_SGX(run(&w), SGX_CHILD_PRESENT);
	EXPECT_EQ(sgx_lp_rflags(w.fx->klp) & (SGX_RFLAGS_ZF | SGX_RFLAGS_CF), SGX_RFLAGS_ZF);
	sgx_cpu_epcm_read(w.fx->cpu, w.e->secs, &info);
	EXPECT_TRUE(info.valid && info.type == SGX_PAGE_TYPE_SECS);
	EXPECT_EQ(slot_value(&w, w.slot), 0);
	ewb_teardown(&w);
}

/* A VA page is evicted without the BLOCKED and tracking checks, with EID 0. */
TEST(ewb_va_page_success_without_checks)
{
	struct ewb w;
	uint64_t va2;
	struct sgx_epcm_info info = { 0 };

	ASSERT_TRUE(ewb_setup(&w));
	va2 = fx_epc_alloc(w.fx);
	ASSERT_SGX(encls_epa(w.fx->klp, SGX_PAGE_TYPE_VA, va2), SGX_SUCCESS);
	w.epc = va2;
	EXPECT_SGX(run(&w), SGX_SUCCESS);
	sgx_cpu_epcm_read(w.fx->cpu, va2, &info);
	EXPECT_TRUE(!info.valid);
	EXPECT_EQ(w.b->pcmd.secinfo.flags, SGX_SECINFO_VA);
	EXPECT_EQ(w.b->pcmd.enclave_id, 0);
	EXPECT_EQ(w.pi.linaddr, 0);
	ewb_teardown(&w);
}
