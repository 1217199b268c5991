/* SPDX-License-Identifier: MIT */
/*
 * ELDB/ELDU: each check of the SDM pseudo-code in order (every fault and
 * code leaves the target invalid and the VA slot holding its version), and
 * the state a reload restores: BLOCKED for ELDB on enclave pages only, the
 * slot cleared. Byte-for-byte round trips, tampering, replays and SECS
 * reloads are in paging_sequence_test.c; the in-use #GP in
 * paging_race_test.c. Blobs forged with the paging key (derived from the
 * public seed) for states the EPCM cannot hold are refused after the MAC.
 */
#include "common.h"
#include "cpu/cpu_internal.h"

struct eld {
	struct fx *fx;
	struct fx_enclave *e;
	struct blob *b;
	struct sgx_pageinfo pi;     /* as EWB left it, plus PAGEINFO.SECS */
	uint64_t target, va, slot;
	uint64_t target0, ver;      /* the target and the version as set up */
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
	l->b = blob_new(0);
	if (!l->e)
		return false;
	l->va = fx_epc_alloc(l->fx);
	l->slot = l->va + 0x100;
	epc = epc_of(l->e, FX_DATA);
	if (encls_epa(l->fx->klp, SGX_PAGE_TYPE_VA, l->va) || encls_eblock(l->fx->klp, epc) ||
	    etrack(l->e) || !evict(l, epc))
		return false;
	l->pi.secs = l->e->secs;
	l->target = l->target0 = fx_epc_alloc(l->fx);
	l->ver = epc_u64(l->fx, l->slot);
	return true;
}

#define SETUP_ELD(l)                                  \
	struct eld l;                                 \
	ASSERT_TRUE(eld_setup(&l))

static void eld_teardown(struct eld *l)
{
	free(l->b);
	fx_free(l->fx);
}

static uint64_t slot_value(struct eld *l)
{
	return epc_u64(l->fx, l->slot);
}

/* ELDU with the operands in @l: @want; the set-up target still invalid, the version in its slot. */
static void eldu_refused(struct eld *l, int want)
{
	EXPECT_SGX(encls_eldu(l->fx->klp, &l->pi, l->target, l->slot), want);
	EXPECT_TRUE(!epcm_of(l->fx, l->target0).valid);
	EXPECT_EQ(epc_u64(l->fx, l->va + 0x100), l->ver);
}

/* ELDU after the statement @edit: eldu_refused(@want). */
#define ELDU_EXPECT(edit, want)                                           \
	do {                                                              \
		SETUP_ELD(l);                                             \
		edit;                                                     \
		eldu_refused(&l, want);                                   \
		eld_teardown(&l);                                         \
	} while (0)

#define ELDU_TEST(name, edit, want)                                       \
	TEST(name)                                                        \
	{                                                                 \
		ELDU_EXPECT(edit, want);                                  \
	}

/* ELDU after the statement @edit: #PF at the EPC address @fault, nothing loaded. */
#define ELDU_PF_TEST(name, edit, fault)                                   \
	TEST(name)                                                        \
	{                                                                 \
		SETUP_ELD(l);                                             \
		edit;                                                     \
		eldu_refused(&l, SGX_PF);                                 \
		EXPECT_PF(l.fx->klp, fault, PF_EPC_W);                    \
		eld_teardown(&l);                                         \
	}

TEST(eldu_success_unblocked_slot_cleared)
{
	SETUP_ELD(l);
	struct sgx_epcm_info info;

	ASSERT_TRUE(slot_value(&l) != 0);
	ASSERT_SGX(encls_eldu(l.fx->klp, &l.pi, l.target, l.slot), SGX_SUCCESS);
	EXPECT_EQ(sgx_lp_rflags(l.fx->klp) & ZF_CF, 0);
	info = epcm_of(l.fx, l.target);
	EXPECT_TRUE(info.valid && !info.blocked);
	EXPECT_EQ(info.type, SGX_PAGE_TYPE_REG);
	EXPECT_EQ(info.linaddr, fx_la(l.e, FX_DATA));
	EXPECT_EQ(info.secs, l.e->secs);
	EXPECT_EQ(slot_value(&l), 0);
	eld_teardown(&l);
}

TEST(eldb_success_blocked)
{
	SETUP_ELD(l);
	struct sgx_epcm_info info;

	ASSERT_SGX(encls_eldb(l.fx->klp, &l.pi, l.target, l.slot), SGX_SUCCESS);
	info = epcm_of(l.fx, l.target);
	EXPECT_TRUE(info.valid && info.blocked);
	EXPECT_EQ(info.perm, RW);
	EXPECT_EQ(slot_value(&l), 0);
	/* Still blocked: EBLOCK reports the state it found. */
	EXPECT_SGX(encls_eblock(l.fx->klp, l.target), SGX_BLKSTATE);
	eld_teardown(&l);
}

/* ELDB of a VA page: BLOCKED stays 0 (only REG/TCS/TRIM are blocked). */
TEST(eldb_va_page_not_blocked)
{
	SETUP_ELD(l);
	uint64_t va2 = new_va(l.fx), slot2 = l.slot;

	ASSERT_TRUE(va2);
	l.slot = va2 + 8;
	ASSERT_TRUE(evict(&l, slot2 & SGX_PAGE_MASK)); /* the first VA page, with its version */
	ASSERT_SGX(encls_eldb(l.fx->klp, &l.pi, l.target, l.slot), SGX_SUCCESS);
	EXPECT_TRUE(epcm_of(l.fx, l.target).valid && !epcm_of(l.fx, l.target).blocked);
	EXPECT_EQ(epcm_of(l.fx, l.target).type, SGX_PAGE_TYPE_VA);
	EXPECT_TRUE(epc_u64(l.fx, l.target + 0x100) != 0);
	eld_teardown(&l);
}

TEST(eldu_pageinfo_unaligned_gp)
{
	static struct sgx_pageinfo buf[2];
	struct sgx_pageinfo *pi = (struct sgx_pageinfo *)((uint8_t *)buf + 16);
	SETUP_ELD(l);

	memcpy((uint8_t *)buf + 16, &l.pi, sizeof(l.pi)); /* bytes: @pi is misaligned on purpose */
	EXPECT_SGX(encls_eldu(l.fx->klp, pi, l.target, l.slot), SGX_GP);
	EXPECT_TRUE(!epcm_of(l.fx, l.target).valid && slot_value(&l) != 0);
	eld_teardown(&l);
}

ELDU_TEST(eldu_epc_unaligned_gp, l.target += 0x10, SGX_GP)
ELDU_PF_TEST(eldu_epc_not_epc_pf, l.target = 0x5000, 0x5000)
ELDU_TEST(eldu_slot_unaligned_gp, l.slot += 1, SGX_GP)
ELDU_PF_TEST(eldu_slot_not_epc_pf, l.slot = 0x5008, 0x5008)
ELDU_TEST(eldu_pcmd_unaligned_gp, l.pi.pcmd += 32, SGX_GP)
ELDU_TEST(eldu_srcpge_unaligned_gp, l.pi.srcpge += 8, SGX_GP)

TEST(eldu_target_valid_pf)
{
	SETUP_ELD(l);
	uint64_t code = epc_of(l.e, FX_CODE);

	l.target = code;
	eldu_refused(&l, SGX_PF);
	EXPECT_PF(l.fx->klp, code, PF_EPC_W);
	EXPECT_EQ(epcm_of(l.fx, code).perm, SGX_SECINFO_R | SGX_SECINFO_X); /* untouched */
	eld_teardown(&l);
}

ELDU_PF_TEST(eldu_slot_page_invalid_pf, l.slot = fx_epc_alloc(l.fx) + 0x100, l.slot)
ELDU_PF_TEST(eldu_slot_page_not_va_pf, l.slot = l.e->secs + 0x100, l.slot)
/* A slot in the target page itself: the target is invalid, so the slot's page is no VA. */
ELDU_PF_TEST(eldu_slot_in_target_page_pf, l.slot = l.target + 8, l.target + 8)
ELDU_TEST(eldu_secs_unaligned_gp, l.pi.secs += 0x40, SGX_GP)
ELDU_PF_TEST(eldu_secs_not_epc_pf, l.pi.secs = 0x9000, 0x9000)

/* The PCMD decides the page type first: a VA page loaded with PAGEINFO.SECS != 0 is #GP. */
TEST(eldu_va_page_with_secs_gp)
{
	SETUP_ELD(l);
	uint64_t va2 = new_va(l.fx), ver;

	ASSERT_TRUE(va2);
	l.slot = va2 + 8;
	ASSERT_TRUE(evict(&l, l.va));
	ver = slot_value(&l);
	l.pi.secs = l.e->secs;
	EXPECT_SGX(encls_eldu(l.fx->klp, &l.pi, l.target, l.slot), SGX_GP);
	EXPECT_TRUE(!epcm_of(l.fx, l.target).valid);
	EXPECT_EQ(slot_value(&l), ver);
	l.pi.secs = 0;
	EXPECT_SGX(encls_eldu(l.fx->klp, &l.pi, l.target, l.slot), SGX_SUCCESS);
	eld_teardown(&l);
}

/*
 * PAGEINFO.SECS of another enclave at the same ELRANGE (as in another
 * process): only the EID in the MAC header differs, and the MAC fails.
 */
TEST(eldu_other_enclave_secs_mac_compare_fail)
{
	SETUP_ELD(l);
	struct fx_enclave *e2 = fx_build_init(l.fx);

	ASSERT_TRUE(e2);
	l.pi.secs = e2->secs;
	eldu_refused(&l, SGX_MAC_COMPARE_FAIL);
	eld_teardown(&l);
}

/* PAGEINFO.SECS that is no valid SECS has no EID: the MAC fails too. */
TEST(eldu_secs_not_a_secs_mac_compare_fail)
{
	ELDU_EXPECT(l.pi.secs = epc_of(l.e, FX_CODE), SGX_MAC_COMPARE_FAIL);
	ELDU_EXPECT(l.pi.secs = fx_epc_alloc(l.fx), SGX_MAC_COMPARE_FAIL);
}

TEST(eldu_mac_compare_fail_flags)
{
	SETUP_ELD(l);

	l.b->page[100] ^= 1;
	eldu_refused(&l, SGX_MAC_COMPARE_FAIL);
	EXPECT_EQ(sgx_lp_rflags(l.fx->klp) & ZF_CF, SGX_RFLAGS_ZF);
	/* The genuine blob still loads: the failed attempt consumed nothing. */
	l.b->page[100] ^= 1;
	EXPECT_SGX(encls_eldu(l.fx->klp, &l.pi, l.target, l.slot), SGX_SUCCESS);
	eld_teardown(&l);
}

/* Forged blobs */

static const uint8_t zero_page[SGX_PAGE_SIZE];

/* EID of the enclave whose SECS is at @secs. */
static uint64_t eid_of(struct fx *fx, uint64_t secs)
{
	return epc_page_at(fx->cpu, secs)->secs_state->eid;
}

/*
 * Seal @page into @b and @pi as EWB would under version @ver, with a MAC
 * header of @eid, SECINFO.FLAGS @flags and LINADDR @linaddr: what anyone
 * who knows the seed can do (AES-128-GCM, IV = @ver << 32, encls_paging.c).
 */
static void forge(struct fx *fx, struct blob *b, struct sgx_pageinfo *pi, uint64_t ver,
		  uint64_t eid, uint64_t flags, uint64_t linaddr, const void *page)
{
	struct paging_mac_header hdr = { .eid = eid, .secinfo_flags = flags, .linaddr = linaddr };
	EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
	uint8_t key[16], iv[12] = { 0 };
	int len = 0, fin = 0, i;

	keys_paging_key(fx->cpu, key);
	for (i = 0; i < 8; i++)
		iv[4 + i] = (uint8_t)(ver >> (8 * i));
	memset(&b->pcmd, 0, sizeof(b->pcmd));
	if (!c || EVP_EncryptInit_ex(c, EVP_aes_128_gcm(), NULL, key, iv) != 1 ||
	    EVP_EncryptUpdate(c, NULL, &len, (const uint8_t *)&hdr, sizeof(hdr)) != 1 ||
	    EVP_EncryptUpdate(c, b->page, &len, page, SGX_PAGE_SIZE) != 1 ||
	    EVP_EncryptFinal_ex(c, b->page + len, &fin) != 1 ||
	    EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, 16, b->pcmd.mac) != 1)
		harness_fail(__FILE__, __LINE__, "AES-GCM failed");
	EVP_CIPHER_CTX_free(c);
	b->pcmd.secinfo.flags = flags;
	pi->linaddr = linaddr;
}

/* The set-up blob forged for a page at @linaddr with @flags and @eid, ELDU naming @secs. */
static void forge_eld(struct eld *l, uint64_t secs, uint64_t eid, uint64_t flags,
		      uint64_t linaddr)
{
	l->pi.secs = secs;
	forge(l->fx, l->b, &l->pi, l->ver, eid, flags, linaddr, zero_page);
}

/* A forged blob of a page at @off of the set-up enclave, with its EID: refused after the MAC. */
#define FORGED_EXPECT(flags, off)                                                           \
	ELDU_EXPECT(forge_eld(&l, l.e->secs, eid_of(l.fx, l.e->secs), (flags), fx_la(l.e, off)), \
		    SGX_MAC_COMPARE_FAIL)

/* The forger's tools are right: the genuine header, resealed, loads. */
TEST(eldu_resealed_genuine_header_success)
{
	SETUP_ELD(l);

	forge_eld(&l, l.e->secs, eid_of(l.fx, l.e->secs), REG_RW, fx_la(l.e, FX_DATA));
	EXPECT_SGX(encls_eldu(l.fx->klp, &l.pi, l.target, l.slot), SGX_SUCCESS);
	EXPECT_EQ(epcm_of(l.fx, l.target).perm, RW);
	eld_teardown(&l);
}

/* PAGEINFO.SECS that is no SECS gives EID 0, which a forger can MAC: no SECS to own the page. */
TEST(eldu_forged_secs_not_a_secs_mac_compare_fail)
{
	ELDU_EXPECT(forge_eld(&l, epc_of(l.e, FX_CODE), 0, REG_RW, fx_la(l.e, FX_DATA)),
		    SGX_MAC_COMPARE_FAIL);
	ELDU_EXPECT(forge_eld(&l, fx_epc_alloc(l.fx), 0, REG_RW, fx_la(l.e, FX_DATA)),
		    SGX_MAC_COMPARE_FAIL);
	ELDU_EXPECT(forge_eld(&l, new_va(l.fx), 0, SGX_SECINFO_TCS, fx_la(l.e, FX_DATA)),
		    SGX_MAC_COMPARE_FAIL);
}

TEST(eldu_forged_type_beyond_trim_mac_compare_fail)
{
	ELDU_EXPECT(forge_eld(&l, 0, 0, SGX_SECINFO_PT(5), 0), SGX_MAC_COMPARE_FAIL);
	ELDU_EXPECT(forge_eld(&l, 0, 0, SGX_SECINFO_PT(0xFF), 0), SGX_MAC_COMPARE_FAIL);
}

TEST(eldu_forged_pending_not_reg_mac_compare_fail)
{
	FORGED_EXPECT(SGX_SECINFO_TCS | SGX_SECINFO_PENDING, FX_DATA);
	FORGED_EXPECT(SGX_SECINFO_TRIM | SGX_SECINFO_PENDING, FX_DATA);
}

TEST(eldu_forged_modified_reg_mac_compare_fail)
{
	FORGED_EXPECT(REG_RW | SGX_SECINFO_MODIFIED, FX_DATA);
}

TEST(eldu_forged_pr_with_pending_mac_compare_fail)
{
	FORGED_EXPECT(REG_PENDING | SGX_SECINFO_PR, FX_DATA);
}

TEST(eldu_forged_perm_on_tcs_or_trim_mac_compare_fail)
{
	FORGED_EXPECT(SGX_SECINFO_TCS | SGX_SECINFO_R, FX_DATA);
	FORGED_EXPECT(SGX_SECINFO_TRIM | SGX_SECINFO_MODIFIED | SGX_SECINFO_X, FX_DATA);
	FORGED_EXPECT(SGX_SECINFO_TCS | SGX_SECINFO_PR, FX_DATA);
}

TEST(eldu_forged_write_without_read_mac_compare_fail)
{
	FORGED_EXPECT(SGX_SECINFO_REG | SGX_SECINFO_W, FX_DATA);
}

/* An enclave page must lie, page-aligned, in its ELRANGE. */
TEST(eldu_forged_outside_elrange_mac_compare_fail)
{
	FORGED_EXPECT(REG_RW, FX_ENCL_SIZE);
	FORGED_EXPECT(REG_RW, FX_DATA + 8);
}

/* VA (and SECS) pages have no address, permissions or flags. */
TEST(eldu_forged_va_with_state_mac_compare_fail)
{
	ELDU_EXPECT(forge_eld(&l, 0, 0, SGX_SECINFO_VA | SGX_SECINFO_R, 0), SGX_MAC_COMPARE_FAIL);
	ELDU_EXPECT(forge_eld(&l, 0, 0, SGX_SECINFO_VA | SGX_SECINFO_PENDING, 0),
		    SGX_MAC_COMPARE_FAIL);
	ELDU_EXPECT(forge_eld(&l, 0, 0, SGX_SECINFO_VA, fx_la(l.e, FX_DATA)), SGX_MAC_COMPARE_FAIL);
}

/* PENDING, MODIFIED and PR exist only once the enclave is initialized (SGX2 leaves). */
TEST(eldu_forged_flags_in_uninitialized_enclave_mac_compare_fail)
{
	SETUP_ELD(l);
	struct fx_enclave *u = fx_build_at(l.fx, ENCL_B_BASE);

	ASSERT_TRUE(u);
	forge_eld(&l, u->secs, eid_of(l.fx, u->secs), REG_PENDING, fx_la(u, FX_FREE));
	eldu_refused(&l, SGX_MAC_COMPARE_FAIL);
	/* The same page without the flag is one the EPCM can hold. */
	forge_eld(&l, u->secs, eid_of(l.fx, u->secs), REG_RW, fx_la(u, FX_FREE));
	EXPECT_SGX(encls_eldu(l.fx->klp, &l.pi, l.target, l.slot), SGX_SUCCESS);
	eld_teardown(&l);
}

/* A SECS blob whose INIT contradicts the state parked for it: refused, the genuine one loads. */
TEST(eldu_forged_secs_init_flipped_mac_compare_fail)
{
	SETUP_ELD(l);
	struct sgx_secs *content = aligned_alloc(SGX_PAGE_SIZE, SGX_PAGE_SIZE);
	struct fx_enclave *u = fx_ecreate(l.fx, NULL);
	struct blob *b = blob_new(l.va + 0x200), *genuine = blob_new(b->slot);
	uint64_t target = fx_epc_alloc(l.fx), ver;

	ASSERT_TRUE(u && content);
	memcpy(content, sgx_cpu_epc_mem(l.fx->cpu, u->secs), SGX_PAGE_SIZE);
	ASSERT_SGX(blob_ewb(l.fx->klp, b, u->secs), SGX_SUCCESS);
	memcpy(genuine, b, sizeof(*b));
	genuine->pi.srcpge = (uintptr_t)genuine->page;
	genuine->pi.pcmd = (uintptr_t)&genuine->pcmd;
	ver = epc_u64(l.fx, b->slot);
	content->attributes.flags |= SGX_ATTR_INIT;
	forge(l.fx, b, &b->pi, ver, 0, SGX_SECINFO_SECS, 0, content);
	EXPECT_SGX(encls_eldu(l.fx->klp, &b->pi, target, b->slot), SGX_MAC_COMPARE_FAIL);
	EXPECT_TRUE(!epcm_of(l.fx, target).valid);
	EXPECT_EQ(epc_u64(l.fx, b->slot), ver);
	EXPECT_SGX(encls_eldu(l.fx->klp, &genuine->pi, target, genuine->slot), SGX_SUCCESS);
	free(genuine);
	free(b);
	free(content);
	eld_teardown(&l);
}
