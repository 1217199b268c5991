/* SPDX-License-Identifier: MIT */
/*
 * ELDB/ELDU: each check of the SDM pseudo-code in order (every fault and
 * code leaves the target invalid and the VA slot holding its version), and
 * the state a reload restores: BLOCKED for ELDB on enclave pages only, the
 * slot cleared. Byte-for-byte round trips, tampering, replays and SECS
 * reloads are in paging_sequence_test.c; the in-use #GP in
 * paging_race_test.c.
 */
#include <stdlib.h>

#include "fixture.h"

#define PF_EPC_W (SGX_PF_SGX | SGX_PF_P | SGX_PF_W)

struct blob {
	uint8_t page[SGX_PAGE_SIZE] __attribute__((aligned(SGX_PAGE_SIZE)));
	struct sgx_pcmd pcmd;
};

struct eld {
	struct fx *fx;
	struct fx_enclave *e;
	struct blob *b;
	struct sgx_pageinfo pi;     /* as EWB left it, plus PAGEINFO.SECS */
	uint64_t target, va, slot;
};

static bool evict(struct eld *l, uint64_t epc)
{
	memset(&l->pi, 0, sizeof(l->pi));
	l->pi.srcpge = (uintptr_t)l->b->page;
	l->pi.pcmd = (uintptr_t)&l->b->pcmd;
	return encls_ewb(l->fx->klp, &l->pi, epc, l->slot) == 0;
}

/* FX_DATA of an initialized enclave evicted; ELDx loads it into a fresh page. */
static bool eld_setup(struct eld *l)
{
	uint64_t epc;

	memset(l, 0, sizeof(*l));
	l->fx = fx_new(0);
	l->e = fx_build_init(l->fx);
	l->b = aligned_alloc(SGX_PAGE_SIZE, sizeof(*l->b));
	if (!l->e || !l->b)
		return false;
	l->va = fx_epc_alloc(l->fx);
	l->slot = l->va + 0x100;
	epc = l->e->pa[FX_DATA / SGX_PAGE_SIZE];
	if (encls_epa(l->fx->klp, SGX_PAGE_TYPE_VA, l->va) || encls_eblock(l->fx->klp, epc) ||
	    encls_etrack(l->fx->klp, l->e->secs) || !evict(l, epc))
		return false;
	l->pi.secs = l->e->secs;
	l->target = fx_epc_alloc(l->fx);
	return true;
}

static void eld_teardown(struct eld *l)
{
	free(l->b);
	fx_free(l->fx);
}

static struct sgx_epcm_info epcm(struct eld *l, uint64_t epc)
{
	struct sgx_epcm_info info = { 0 };

	sgx_cpu_epcm_read(l->fx->cpu, epc, &info);
	return info;
}

static uint64_t slot_value(struct eld *l)
{
	return *(uint64_t *)sgx_cpu_epc_mem(l->fx->cpu, l->slot);
}

static bool fault_is(struct eld *l, uint64_t addr)
{
	const struct sgx_fault_info *f = sgx_lp_fault(l->fx->klp);

	return f->vector == SGX_VEC_PF && f->addr == addr && f->error_code == PF_EPC_W;
}

/* ELDU with @edit applied: @want, target still invalid, version still in the slot. */
#define ELDU_EXPECT(edit, want)                                                    \
	do {                                                                       \
		struct eld l;                                                      \
		uint64_t ver_;                                                     \
		ASSERT_TRUE(eld_setup(&l));                                        \
		ver_ = slot_value(&l);                                             \
		edit;                                                              \
		EXPECT_SGX(encls_eldu(l.fx->klp, &l.pi, l.target, l.slot), want); \
		EXPECT_TRUE(!epcm(&l, l.target).valid);                            \
		EXPECT_EQ(*(uint64_t *)sgx_cpu_epc_mem(l.fx->cpu, l.va + 0x100), ver_); \
		eld_teardown(&l);                                                  \
	} while (0)

TEST(eldu_success_unblocked_slot_cleared)
{
	struct eld l;
	struct sgx_epcm_info info;

	ASSERT_TRUE(eld_setup(&l));
	ASSERT_TRUE(slot_value(&l) != 0);
	ASSERT_SGX(encls_eldu(l.fx->klp, &l.pi, l.target, l.slot), SGX_SUCCESS);
	EXPECT_EQ(sgx_lp_rflags(l.fx->klp) & (SGX_RFLAGS_ZF | SGX_RFLAGS_CF), 0);
	info = epcm(&l, l.target);
	EXPECT_TRUE(info.valid && !info.blocked);
	EXPECT_EQ(info.type, SGX_PAGE_TYPE_REG);
	EXPECT_EQ(info.linaddr, fx_la(l.e, FX_DATA));
	EXPECT_EQ(info.secs, l.e->secs);
	EXPECT_EQ(slot_value(&l), 0);
	eld_teardown(&l);
}

TEST(eldb_success_blocked)
{
	struct eld l;
	struct sgx_epcm_info info;

	ASSERT_TRUE(eld_setup(&l));
	ASSERT_SGX(encls_eldb(l.fx->klp, &l.pi, l.target, l.slot), SGX_SUCCESS);
	info = epcm(&l, l.target);
	EXPECT_TRUE(info.valid && info.blocked);
	EXPECT_EQ(info.perm, SGX_SECINFO_R | SGX_SECINFO_W);
	EXPECT_EQ(slot_value(&l), 0);
	/* Still blocked: EBLOCK reports the state it found. */
	EXPECT_SGX(encls_eblock(l.fx->klp, l.target), SGX_BLKSTATE);
	eld_teardown(&l);
}

/* ELDB of a VA page: BLOCKED stays 0 (only REG/TCS/TRIM are blocked). */
TEST(eldb_va_page_not_blocked)
{
	struct eld l;
	uint64_t va2, slot2;

	ASSERT_TRUE(eld_setup(&l));
	va2 = fx_epc_alloc(l.fx);
	ASSERT_SGX(encls_epa(l.fx->klp, SGX_PAGE_TYPE_VA, va2), SGX_SUCCESS);
	slot2 = l.slot;
	l.slot = va2 + 8;
	ASSERT_TRUE(evict(&l, slot2 & SGX_PAGE_MASK)); /* the first VA page, with its version */
	ASSERT_SGX(encls_eldb(l.fx->klp, &l.pi, l.target, l.slot), SGX_SUCCESS);
	EXPECT_TRUE(epcm(&l, l.target).valid && !epcm(&l, l.target).blocked);
	EXPECT_EQ(epcm(&l, l.target).type, SGX_PAGE_TYPE_VA);
	EXPECT_TRUE(*(uint64_t *)sgx_cpu_epc_mem(l.fx->cpu, l.target + 0x100) != 0);
	eld_teardown(&l);
}

TEST(eldu_pageinfo_unaligned_gp)
{
	static struct sgx_pageinfo buf[2];
	struct sgx_pageinfo *pi = (struct sgx_pageinfo *)((uint8_t *)buf + 16);
	struct eld l;

	ASSERT_TRUE(eld_setup(&l));
	memcpy(pi, &l.pi, sizeof(*pi));
	EXPECT_SGX(encls_eldu(l.fx->klp, pi, l.target, l.slot), SGX_GP);
	EXPECT_TRUE(!epcm(&l, l.target).valid && slot_value(&l) != 0);
	eld_teardown(&l);
}

TEST(eldu_epc_unaligned_gp)
{
	ELDU_EXPECT(l.target += 0x10, SGX_GP);
}

TEST(eldu_epc_not_epc_pf)
{
	struct eld l;

	ASSERT_TRUE(eld_setup(&l));
	EXPECT_SGX(encls_eldu(l.fx->klp, &l.pi, 0x5000, l.slot), SGX_PF);
	EXPECT_TRUE(fault_is(&l, 0x5000));
	EXPECT_TRUE(slot_value(&l) != 0);
	eld_teardown(&l);
}

TEST(eldu_slot_unaligned_gp)
{
	ELDU_EXPECT(l.slot += 1, SGX_GP);
}

TEST(eldu_slot_not_epc_pf)
{
	struct eld l;

	ASSERT_TRUE(eld_setup(&l));
	EXPECT_SGX(encls_eldu(l.fx->klp, &l.pi, l.target, 0x5008), SGX_PF);
	EXPECT_TRUE(fault_is(&l, 0x5008));
	EXPECT_TRUE(!epcm(&l, l.target).valid);
	eld_teardown(&l);
}

TEST(eldu_pcmd_unaligned_gp)
{
	ELDU_EXPECT(l.pi.pcmd += 32, SGX_GP);
}

TEST(eldu_srcpge_unaligned_gp)
{
	ELDU_EXPECT(l.pi.srcpge += 8, SGX_GP);
}

TEST(eldu_target_valid_pf)
{
	struct eld l;
	uint64_t code;

	ASSERT_TRUE(eld_setup(&l));
	code = l.e->pa[FX_CODE / SGX_PAGE_SIZE];
	EXPECT_SGX(encls_eldu(l.fx->klp, &l.pi, code, l.slot), SGX_PF);
	EXPECT_TRUE(fault_is(&l, code));
	EXPECT_EQ(epcm(&l, code).perm, SGX_SECINFO_R | SGX_SECINFO_X); /* untouched */
	EXPECT_TRUE(slot_value(&l) != 0);
	eld_teardown(&l);
}

TEST(eldu_slot_page_invalid_pf)
{
	struct eld l;
	uint64_t slot;

	ASSERT_TRUE(eld_setup(&l));
	slot = fx_epc_alloc(l.fx) + 0x100;
	EXPECT_SGX(encls_eldu(l.fx->klp, &l.pi, l.target, slot), SGX_PF);
	EXPECT_TRUE(fault_is(&l, slot));
	EXPECT_TRUE(!epcm(&l, l.target).valid);
	eld_teardown(&l);
}

TEST(eldu_slot_page_not_va_pf)
{
	struct eld l;
	uint64_t slot;

	ASSERT_TRUE(eld_setup(&l));
	slot = l.e->secs + 0x100;
	EXPECT_SGX(encls_eldu(l.fx->klp, &l.pi, l.target, slot), SGX_PF);
	EXPECT_TRUE(fault_is(&l, slot));
	EXPECT_TRUE(!epcm(&l, l.target).valid);
	eld_teardown(&l);
}

/* A slot in the target page itself: the target is invalid, so the slot's page is no VA. */
TEST(eldu_slot_in_target_page_pf)
{
	struct eld l;

	ASSERT_TRUE(eld_setup(&l));
	EXPECT_SGX(encls_eldu(l.fx->klp, &l.pi, l.target, l.target + 8), SGX_PF);
	EXPECT_TRUE(fault_is(&l, l.target + 8));
	eld_teardown(&l);
}

TEST(eldu_secs_unaligned_gp)
{
	ELDU_EXPECT(l.pi.secs += 0x40, SGX_GP);
}

TEST(eldu_secs_not_epc_pf)
{
	struct eld l;

	ASSERT_TRUE(eld_setup(&l));
	l.pi.secs = 0x9000;
	EXPECT_SGX(encls_eldu(l.fx->klp, &l.pi, l.target, l.slot), SGX_PF);
	EXPECT_TRUE(fault_is(&l, 0x9000));
	EXPECT_TRUE(!epcm(&l, l.target).valid && slot_value(&l) != 0);
	eld_teardown(&l);
}

/* The PCMD decides the page type first: a VA page loaded with PAGEINFO.SECS != 0 is #GP. */
TEST(eldu_va_page_with_secs_gp)
{
	struct eld l;
	uint64_t va2, ver;

	ASSERT_TRUE(eld_setup(&l));
	va2 = fx_epc_alloc(l.fx);
	ASSERT_SGX(encls_epa(l.fx->klp, SGX_PAGE_TYPE_VA, va2), SGX_SUCCESS);
	l.slot = va2 + 8;
	ASSERT_TRUE(evict(&l, l.va));
	ver = slot_value(&l);
	l.pi.secs = l.e->secs;
	EXPECT_SGX(encls_eldu(l.fx->klp, &l.pi, l.target, l.slot), SGX_GP);
	EXPECT_TRUE(!epcm(&l, l.target).valid);
	EXPECT_EQ(slot_value(&l), ver);
	l.pi.secs = 0;
	EXPECT_SGX(encls_eldu(l.fx->klp, &l.pi, l.target, l.slot), SGX_SUCCESS);
	eld_teardown(&l);
}

/* PAGEINFO.SECS of another enclave gives another EID in the MAC header. */
TEST(eldu_other_enclave_secs_mac_compare_fail)
{
	struct fx_enclave *e2;

	ELDU_EXPECT(
		{
			e2 = fx_build_init_at(l.fx, FX_ENCL_BASE + FX_ENCL_SIZE);
			ASSERT_TRUE(e2);
			l.pi.secs = e2->secs;
		},
		SGX_MAC_COMPARE_FAIL);
}

/* PAGEINFO.SECS that is no valid SECS has no EID: the MAC fails too. */
TEST(eldu_secs_not_a_secs_mac_compare_fail)
{
	ELDU_EXPECT(l.pi.secs = l.e->pa[FX_CODE / SGX_PAGE_SIZE], SGX_MAC_COMPARE_FAIL);
	ELDU_EXPECT(l.pi.secs = fx_epc_alloc(l.fx), SGX_MAC_COMPARE_FAIL);
}

TEST(eldu_mac_compare_fail_flags)
{
	struct eld l;

	ASSERT_TRUE(eld_setup(&l));
	l.b->page[100] ^= 1;
	EXPECT_SGX(encls_eldu(l.fx->klp, &l.pi, l.target, l.slot), SGX_MAC_COMPARE_FAIL);
	EXPECT_EQ(sgx_lp_rflags(l.fx->klp) & (SGX_RFLAGS_ZF | SGX_RFLAGS_CF), SGX_RFLAGS_ZF);
	EXPECT_TRUE(!epcm(&l, l.target).valid);
	EXPECT_TRUE(slot_value(&l) != 0);
	/* The genuine blob still loads: the failed attempt consumed nothing. */
	l.b->page[100] ^= 1;
	EXPECT_SGX(encls_eldu(l.fx->klp, &l.pi, l.target, l.slot), SGX_SUCCESS);
	eld_teardown(&l);
}
