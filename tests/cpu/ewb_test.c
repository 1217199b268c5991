/* SPDX-License-Identifier: MIT */
/*
 * EWB: each check of the SDM pseudo-code in order (every fault and code
 * leaves the page valid and the slot empty), and what a successful
 * eviction writes: the sealed page, the PCMD, PAGEINFO.LINADDR, the VA
 * slot, and the invalid EPCM entry. Reloading, tampering, the SECS and
 * VA_SLOT_OCCUPIED are in paging_sequence_test.c; the in-use #GP in
 * paging_race_test.c.
 */
#include "common.h"
#include "cpu/cpu_internal.h"

/* Offset of the slot EWB uses by default in its VA page. */
#define DEFAULT_SLOT 40

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
	w->b = blob_new(0);
	if (!w->e)
		return false;
	w->va = fx_epc_alloc(w->fx);
	w->slot = w->va + DEFAULT_SLOT;
	w->epc = epc_of(w->e, FX_DATA);
	w->pi.srcpge = (uintptr_t)w->b->page;
	w->pi.pcmd = (uintptr_t)&w->b->pcmd;
	return encls_epa(w->fx->klp, SGX_PAGE_TYPE_VA, w->va) == 0 &&
	       encls_eblock(w->fx->klp, w->epc) == 0 && etrack(w->e) == 0;
}

#define SETUP_EWB(w)                                  \
	struct ewb w;                                 \
	ASSERT_TRUE(ewb_setup(&w))

static void ewb_teardown(struct ewb *w)
{
	free(w->b);
	fx_free(w->fx);
}

static int run(struct ewb *w)
{
	return encls_ewb(w->fx->klp, &w->pi, w->epc, w->slot);
}

/* EWB with the operands in @w: @want, nothing evicted (FX_DATA valid, default slot empty). */
static void ewb_refused(struct ewb *w, int want)
{
	EXPECT_SGX(run(w), want);
	EXPECT_TRUE(fx_epcm(w->e, FX_DATA).valid);
	EXPECT_EQ(epc_u64(w->fx, w->va + DEFAULT_SLOT), 0);
}

/* EWB after the statement @edit: ewb_refused(@want). */
#define EWB_TEST(name, edit, want)                                         \
	TEST(name)                                                         \
	{                                                                  \
		SETUP_EWB(w);                                              \
		edit;                                                      \
		ewb_refused(&w, want);                                     \
		ewb_teardown(&w);                                          \
	}

/* EWB after the statement @edit: #PF at the EPC address @fault, nothing evicted. */
#define EWB_PF_TEST(name, edit, fault)                                     \
	TEST(name)                                                         \
	{                                                                  \
		SETUP_EWB(w);                                              \
		edit;                                                      \
		ewb_refused(&w, SGX_PF);                                   \
		EXPECT_PF(w.fx->klp, fault, PF_EPC_W);                     \
		ewb_teardown(&w);                                          \
	}

TEST(ewb_reg_success_sealed_and_invalid)
{
	SETUP_EWB(w);
	uint8_t plain[SGX_PAGE_SIZE];
	int i, zero_mac = 1;

	memcpy(plain, fx_mem(w.e, FX_DATA), SGX_PAGE_SIZE);
	ASSERT_SGX(run(&w), SGX_SUCCESS);
	EXPECT_EQ(sgx_lp_rflags(w.fx->klp) & ZF_CF, 0);
	/* The EPCM entry is free again: every field cleared. */
	EXPECT_TRUE(!fx_epcm(w.e, FX_DATA).valid && !fx_epcm(w.e, FX_DATA).blocked);
	EXPECT_EQ(fx_epcm(w.e, FX_DATA).linaddr, 0);
	EXPECT_EQ(fx_epcm(w.e, FX_DATA).secs, 0);
	/* The page left encrypted; the PCMD describes it. */
	EXPECT_TRUE(memcmp(w.b->page, plain, SGX_PAGE_SIZE) != 0);
	EXPECT_EQ(w.b->pcmd.secinfo.flags, REG_RW);
	EXPECT_TRUE(w.b->pcmd.enclave_id != 0);
	for (i = 0; i < 16; i++)
		zero_mac &= w.b->pcmd.mac[i] == 0;
	EXPECT_TRUE(!zero_mac);
	/* PAGEINFO.LINADDR is written back; the version sits in the slot. */
	EXPECT_EQ(w.pi.linaddr, fx_la(w.e, FX_DATA));
	EXPECT_TRUE(epc_u64(w.fx, w.slot) != 0);
	ewb_teardown(&w);
}

/* Two pages of one enclave: same ENCLAVEID in the PCMD, distinct versions. */
TEST(ewb_reg_success_same_eid_fresh_versions)
{
	SETUP_EWB(w);
	struct blob *b2 = blob_new(w.va + 8);
	uint64_t epc2 = epc_of(w.e, FX_RODATA);

	ASSERT_SGX(encls_eblock(w.fx->klp, epc2), SGX_SUCCESS);
	ASSERT_SGX(etrack(w.e), SGX_SUCCESS);
	ASSERT_SGX(run(&w), SGX_SUCCESS);
	ASSERT_SGX(blob_ewb(w.fx->klp, b2, epc2), SGX_SUCCESS);
	EXPECT_EQ(b2->pcmd.enclave_id, w.b->pcmd.enclave_id);
	EXPECT_EQ(b2->pcmd.secinfo.flags, SGX_SECINFO_REG | SGX_SECINFO_R);
	EXPECT_TRUE(epc_u64(w.fx, b2->slot) != epc_u64(w.fx, w.slot));
	free(b2);
	ewb_teardown(&w);
}

TEST(ewb_pageinfo_unaligned_gp)
{
	static struct sgx_pageinfo buf[2];
	struct sgx_pageinfo *pi = (struct sgx_pageinfo *)((uint8_t *)buf + 8);
	SETUP_EWB(w);

	memcpy((uint8_t *)buf + 8, &w.pi, sizeof(w.pi)); /* bytes: @pi is misaligned on purpose */
	EXPECT_SGX(encls_ewb(w.fx->klp, pi, w.epc, w.slot), SGX_GP);
	EXPECT_TRUE(fx_epcm(w.e, FX_DATA).valid);
	EXPECT_EQ(epc_u64(w.fx, w.slot), 0);
	ewb_teardown(&w);
}

EWB_TEST(ewb_epc_unaligned_gp, w.epc += 8, SGX_GP)
EWB_PF_TEST(ewb_epc_not_epc_pf, w.epc = 0x10000, 0x10000)
EWB_TEST(ewb_slot_unaligned_gp, w.slot = w.va + 4, SGX_GP)
EWB_PF_TEST(ewb_slot_not_epc_pf, w.slot = 0x3008, 0x3008)
EWB_TEST(ewb_slot_in_same_page_gp, w.slot = w.epc + 8, SGX_GP)
EWB_TEST(ewb_pageinfo_linaddr_nonzero_gp, w.pi.linaddr = fx_la(w.e, FX_DATA), SGX_GP)
EWB_TEST(ewb_pageinfo_secs_nonzero_gp, w.pi.secs = w.e->secs, SGX_GP)
EWB_TEST(ewb_pcmd_unaligned_gp, w.pi.pcmd += 64, SGX_GP)
EWB_TEST(ewb_srcpge_unaligned_gp, w.pi.srcpge += 128, SGX_GP)
EWB_PF_TEST(ewb_page_invalid_pf, w.epc = fx_epc_alloc(w.fx), w.epc)
EWB_PF_TEST(ewb_slot_page_invalid_pf, w.slot = fx_epc_alloc(w.fx) + 16, w.slot)
EWB_PF_TEST(ewb_slot_page_not_va_pf, w.slot = epc_of(w.e, FX_CODE) + 16, w.slot)

/*
 * EWB of w->epc refused with the error @want (ZF set): the page stays valid,
 * the slot empty and PAGEINFO.LINADDR unwritten.
 */
static void ewb_error(struct ewb *w, int want)
{
	EXPECT_SGX(run(w), want);
	EXPECT_EQ(sgx_lp_rflags(w->fx->klp) & ZF_CF, SGX_RFLAGS_ZF);
	EXPECT_TRUE(epcm_of(w->fx, w->epc).valid);
	EXPECT_EQ(epc_u64(w->fx, w->slot), 0);
	EXPECT_EQ(w->pi.linaddr, 0);
}

TEST(ewb_not_blocked_page_not_blocked)
{
	SETUP_EWB(w);

	w.epc = epc_of(w.e, FX_DATA + SGX_PAGE_SIZE);
	ewb_error(&w, SGX_PAGE_NOT_BLOCKED);
	ewb_teardown(&w);
}

TEST(ewb_no_etrack_not_tracked)
{
	SETUP_EWB(w);

	w.epc = epc_of(w.e, FX_CODE);
	ASSERT_SGX(encls_eblock(w.fx->klp, w.epc), SGX_SUCCESS);
	ewb_error(&w, SGX_NOT_TRACKED);
	EXPECT_TRUE(fx_epcm(w.e, FX_CODE).blocked);
	ewb_teardown(&w);
}

TEST(ewb_secs_with_children_child_present)
{
	SETUP_EWB(w);

	w.epc = w.e->secs;
	ewb_error(&w, SGX_CHILD_PRESENT);
	EXPECT_EQ(epcm_of(w.fx, w.e->secs).type, SGX_PAGE_TYPE_SECS);
	ewb_teardown(&w);
}

/* A VA page is evicted without the BLOCKED and tracking checks, with EID 0. */
TEST(ewb_va_page_success_without_checks)
{
	SETUP_EWB(w);

	w.epc = new_va(w.fx);
	ASSERT_TRUE(w.epc);
	EXPECT_SGX(run(&w), SGX_SUCCESS);
	EXPECT_TRUE(!epcm_of(w.fx, w.epc).valid);
	EXPECT_EQ(w.b->pcmd.secinfo.flags, SGX_SECINFO_VA);
	EXPECT_EQ(w.b->pcmd.enclave_id, 0);
	EXPECT_EQ(w.pi.linaddr, 0);
	ewb_teardown(&w);
}

/* Hidden states of evicted SECS pages parked on @fx's processor. */
static size_t parked_count(struct fx *fx)
{
	const struct secs_state *st;
	size_t n = 0;

	for (st = fx->cpu->parked; st; st = st->parked_next)
		n++;
	return n;
}

/* EWB over the slot of an evicted SECS: that version is lost, and the SECS's state with it. */
TEST(ewb_slot_of_evicted_secs_va_slot_occupied_frees_state)
{
	SETUP_EWB(w);
	struct sgx_secs secs;
	struct fx_enclave *u;
	struct blob *b = blob_new(w.slot);

	fx_secs_default(&secs, ENCL_B_BASE, FX_ENCL_SIZE);
	u = fx_ecreate(w.fx, &secs);
	ASSERT_TRUE(u);
	ASSERT_SGX(blob_ewb(w.fx->klp, b, u->secs), SGX_SUCCESS);
	ASSERT_EQ(parked_count(w.fx), 1);
	EXPECT_SGX(run(&w), SGX_VA_SLOT_OCCUPIED);
	EXPECT_EQ(parked_count(w.fx), 0);
	free(b);
	ewb_teardown(&w);
}
