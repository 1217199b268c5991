/* SPDX-License-Identifier: MIT */
/*
 * EPC paging as the kernel drives it: EBLOCK -> ETRACK -> EWB -> ELDU round
 * trips (contents and EPCM state restored, also at another EPC address),
 * what the MAC refuses (tampered blob or PCMD, wrong LINADDR, replayed
 * version), tracking against logical processors inside the enclave
 * (NOT_TRACKED, PREV_TRK_INCMPL), evicting a whole enclave down to its
 * SECS and reloading it SECS first, and VA slot reuse.
 */
#include "common.h"

/* A machine with an initialized enclave and a VA page for the evictions. */
struct pager {
	struct fx *fx;
	struct fx_enclave *e;
	uint64_t va;
	unsigned int next_slot;
};

static bool pager_setup(struct pager *p)
{
	memset(p, 0, sizeof(*p));
	p->fx = fx_new(0);
	p->e = fx_build_init(p->fx);
	p->va = fx_epc_alloc(p->fx);
	return p->e && encls_epa(p->fx->klp, SGX_PAGE_TYPE_VA, p->va) == 0;
}

#define SETUP_PAGER(p)                                \
	struct pager p;                               \
	ASSERT_TRUE(pager_setup(&p))

/* A blob for the next free slot of the VA page. */
static struct blob *next_blob(struct pager *p)
{
	return blob_new(p->va + 8 * p->next_slot++);
}

/* EWB of @epc into a fresh blob (the page must be blocked and tracked). */
static int ewb(struct pager *p, uint64_t epc, struct blob *b)
{
	return blob_ewb(p->fx->klp, b, epc);
}

/* ELDU of @b into @epc for the enclave whose SECS is at @secs (0 for SECS/VA pages). */
static int eldu(struct pager *p, struct blob *b, uint64_t secs, uint64_t epc)
{
	b->pi.secs = secs;
	return encls_eldu(p->fx->klp, &b->pi, epc, b->slot);
}

/* EBLOCK + ETRACK + EWB of the enclave page at @offset. */
static int evict(struct pager *p, uint64_t offset, struct blob *b)
{
	uint64_t epc = epc_of(p->e, offset);
	int ret = encls_eblock(p->fx->klp, epc);

	if (!ret)
		ret = etrack(p->e);
	return ret ? ret : ewb(p, epc, b);
}

/* A new blob with FX_DATA evicted into it (NULL, with the failure recorded, if that failed). */
static struct blob *evict_data(struct pager *p)
{
	struct blob *b = next_blob(p);
	int ret = evict(p, FX_DATA, b);

	if (ret) {
		harness_fail(__FILE__, __LINE__, "evicting FX_DATA: %s", sgx_code_name(ret));
		free(b);
		return NULL;
	}
	return b;
}

/* ELDU the page at @offset into a fresh EPC page and point the page table there. */
static int reload(struct pager *p, uint64_t offset, struct blob *b)
{
	uint64_t epc = fx_epc_alloc(p->fx);
	int ret = eldu(p, b, p->e->secs, epc);

	if (!ret)
		p->e->pa[offset / SGX_PAGE_SIZE] = epc;
	return ret;
}

static bool epcm_same(struct sgx_epcm_info a, struct sgx_epcm_info b)
{
	return a.valid == b.valid && a.pending == b.pending && a.modified == b.modified &&
	       a.pr == b.pr && a.perm == b.perm && a.type == b.type && a.linaddr == b.linaddr;
}

/* Pages in every EPCM state a REG/TCS/TRIM page can be evicted in. */
static const uint64_t round_trip_pages[] = {
	FX_DATA,                      /* REG RW- */
	FX_CODE,                      /* REG R-X */
	FX_TCS0,                      /* TCS */
	FX_DATA + SGX_PAGE_SIZE,      /* REG R-- PR (EMODPR) */
	FX_FREE,                      /* REG RW- PENDING (EAUG) */
	FX_DATA + 2 * SGX_PAGE_SIZE,  /* TRIM MODIFIED (EMODT) */
	FX_RODATA,                    /* TCS MODIFIED (EMODT) */
};
#define NR_ROUND_TRIP (sizeof(round_trip_pages) / sizeof(round_trip_pages[0]))

static bool make_states(struct pager *p)
{
	struct fx_enclave *e = p->e;
	int i;

	if (fx_eaug(e, FX_FREE, NULL) || emodpr(e, FX_DATA + SGX_PAGE_SIZE, SGX_SECINFO_R) ||
	    emodt(e, FX_DATA + 2 * SGX_PAGE_SIZE, SGX_SECINFO_TRIM) ||
	    emodt(e, FX_RODATA, SGX_SECINFO_TCS))
		return false;
	/* Contents no other page has. */
	for (i = 0; i < (int)SGX_PAGE_SIZE; i++) {
		((uint8_t *)fx_mem(e, FX_DATA))[i] = (uint8_t)(i * 13 + 1);
		((uint8_t *)fx_mem(e, FX_FREE))[i] = (uint8_t)(i ^ 0x5A);
	}
	return true;
}

TEST(paging_evict_reload_preserves_content_and_epcm)
{
	struct pager p;
	struct blob *b[NR_ROUND_TRIP];
	struct sgx_epcm_info before[NR_ROUND_TRIP];
	static uint8_t content[NR_ROUND_TRIP][SGX_PAGE_SIZE];
	struct sgx_lp *lp;
	size_t i;

	ASSERT_TRUE(pager_setup(&p) && make_states(&p));
	for (i = 0; i < NR_ROUND_TRIP; i++) {
		uint64_t off = round_trip_pages[i];

		b[i] = next_blob(&p);
		before[i] = fx_epcm(p.e, off);
		memcpy(content[i], fx_mem(p.e, off), SGX_PAGE_SIZE);
		ASSERT_SGX(encls_eblock(p.fx->klp, epc_of(p.e, off)), SGX_SUCCESS);
	}
	ASSERT_SGX(encls_etrack(p.fx->klp, p.e->secs), SGX_SUCCESS);
	for (i = 0; i < NR_ROUND_TRIP; i++) {
		ASSERT_SGX(ewb(&p, epc_of(p.e, round_trip_pages[i]), b[i]), SGX_SUCCESS);
		EXPECT_TRUE(!fx_epcm(p.e, round_trip_pages[i]).valid);
	}
	for (i = 0; i < NR_ROUND_TRIP; i++) {
		uint64_t off = round_trip_pages[i];

		/* Reload at another EPC address; the EPCM state comes back. */
		ASSERT_SGX(reload(&p, off, b[i]), SGX_SUCCESS);
		EXPECT_TRUE(epcm_same(fx_epcm(p.e, off), before[i]));
		EXPECT_TRUE(!fx_epcm(p.e, off).blocked);
		EXPECT_EQ(fx_epcm(p.e, off).secs, p.e->secs);
		EXPECT_TRUE(memcmp(fx_mem(p.e, off), content[i], SGX_PAGE_SIZE) == 0);
		EXPECT_EQ(epc_u64(p.fx, b[i]->slot), 0);
		free(b[i]);
	}
	/* The reloaded TCS works: enter and leave through it. */
	lp = fx_lp(p.e);
	EXPECT_SGX(fx_enter(lp, p.e, FX_TCS0, NULL), SGX_SUCCESS);
	if (sgx_lp_in_enclave(lp))
		fx_exit(lp);
	fx_free(p.fx);
}

/* With @lvalue ^= @mask, ELDU of @b into @target fails the MAC; then @lvalue is restored. */
#define TAMPERED(p, b, target, lvalue, mask)                                        \
	do {                                                                        \
		(lvalue) ^= (mask);                                                 \
		EXPECT_SGX(eldu(p, b, (p)->e->secs, target), SGX_MAC_COMPARE_FAIL); \
		(lvalue) ^= (mask);                                                 \
	} while (0)

TEST(paging_tampered_blob_mac_compare_fail)
{
	SETUP_PAGER(p);
	struct blob *b = evict_data(&p);
	uint64_t target = fx_epc_alloc(p.fx), ver;

	ASSERT_TRUE(b);
	ver = epc_u64(p.fx, b->slot);
	TAMPERED(&p, b, target, b->page[4095], 0x80); /* one bit of ciphertext */
	TAMPERED(&p, b, target, b->pcmd.mac[0], 1);   /* one bit of the MAC */
	EXPECT_EQ(epc_u64(p.fx, b->slot), ver);
	EXPECT_TRUE(!epcm_of(p.fx, target).valid);
	EXPECT_SGX(eldu(&p, b, p.e->secs, target), SGX_SUCCESS);
	free(b);
	fx_free(p.fx);
}

TEST(paging_tampered_pcmd_mac_compare_fail)
{
	SETUP_PAGER(p);
	struct blob *b = evict_data(&p);
	uint64_t target = fx_epc_alloc(p.fx);

	ASSERT_TRUE(b);
	/* More rights than the page (RW) had. */
	TAMPERED(&p, b, target, b->pcmd.secinfo.flags, SGX_SECINFO_X);
	/* Another page type. */
	TAMPERED(&p, b, target, b->pcmd.secinfo.flags, SGX_SECINFO_REG ^ SGX_SECINFO_TCS);
	/* SECINFO reserved bytes and PCMD reserved bytes (all zero) are in the MAC header too. */
	TAMPERED(&p, b, target, b->pcmd.secinfo.reserved[10], 1);
	TAMPERED(&p, b, target, b->pcmd.reserved[39], 1);
	EXPECT_TRUE(epc_u64(p.fx, b->slot) != 0);
	EXPECT_SGX(eldu(&p, b, p.e->secs, target), SGX_SUCCESS);
	free(b);
	fx_free(p.fx);
}

/* PCMD.ENCLAVEID is a handle for software only: ELDU takes the EID from the SECS. */
TEST(paging_pcmd_enclaveid_not_authenticated_success)
{
	SETUP_PAGER(p);
	struct blob *b = evict_data(&p);

	ASSERT_TRUE(b);
	b->pcmd.enclave_id ^= 0xFFFF;
	EXPECT_SGX(reload(&p, FX_DATA, b), SGX_SUCCESS);
	free(b);
	fx_free(p.fx);
}

TEST(paging_wrong_linaddr_mac_compare_fail)
{
	SETUP_PAGER(p);
	struct blob *b = evict_data(&p);
	uint64_t target = fx_epc_alloc(p.fx);

	ASSERT_TRUE(b);
	ASSERT_EQ(b->pi.linaddr, fx_la(p.e, FX_DATA));
	b->pi.linaddr = fx_la(p.e, FX_FREE); /* another address inside ELRANGE */
	EXPECT_SGX(eldu(&p, b, p.e->secs, target), SGX_MAC_COMPARE_FAIL);
	b->pi.linaddr = fx_la(p.e, FX_DATA);
	EXPECT_SGX(eldu(&p, b, p.e->secs, target), SGX_SUCCESS);
	free(b);
	fx_free(p.fx);
}

TEST(paging_replay_old_version_mac_compare_fail)
{
	SETUP_PAGER(p);
	struct blob *old = evict_data(&p), *cur;
	uint64_t target;

	ASSERT_TRUE(old);
	ASSERT_SGX(reload(&p, FX_DATA, old), SGX_SUCCESS);
	/* The enclave writes; the page is evicted again into the same slot. */
	ASSERT_SGX(encls_edbgwr(p.fx->klp, epc_of(p.e, FX_DATA), 0xFEEDFACE), SGX_SUCCESS);
	cur = next_blob(&p);
	cur->slot = old->slot;
	ASSERT_SGX(evict(&p, FX_DATA, cur), SGX_SUCCESS);
	target = fx_epc_alloc(p.fx);
	/* The stale copy does not verify under the current version. */
	EXPECT_SGX(eldu(&p, old, p.e->secs, target), SGX_MAC_COMPARE_FAIL);
	ASSERT_SGX(eldu(&p, cur, p.e->secs, target), SGX_SUCCESS);
	p.e->pa[FX_DATA / SGX_PAGE_SIZE] = target;
	EXPECT_EQ(*(uint64_t *)fx_mem(p.e, FX_DATA), 0xFEEDFACE);
	/* Nor does the current one twice: its slot is free now. */
	EXPECT_SGX(eldu(&p, cur, p.e->secs, fx_epc_alloc(p.fx)), SGX_MAC_COMPARE_FAIL);
	free(old);
	free(cur);
	fx_free(p.fx);
}

TEST(ewb_used_slot_va_slot_occupied)
{
	SETUP_PAGER(p);
	struct blob *a = next_blob(&p), *b = next_blob(&p);
	uint64_t ver_a;

	b->slot = a->slot;
	ASSERT_SGX(evict(&p, FX_DATA, a), SGX_SUCCESS);
	ver_a = epc_u64(p.fx, a->slot);
	EXPECT_SGX(evict(&p, FX_CODE, b), SGX_VA_SLOT_OCCUPIED);
	EXPECT_EQ(sgx_lp_rflags(p.fx->klp) & ZF_CF, SGX_RFLAGS_CF);
	/* The eviction completed anyway; the slot holds the new version. */
	EXPECT_TRUE(!fx_epcm(p.e, FX_CODE).valid);
	EXPECT_TRUE(epc_u64(p.fx, a->slot) != ver_a && epc_u64(p.fx, a->slot) != 0);
	EXPECT_SGX(reload(&p, FX_DATA, a), SGX_MAC_COMPARE_FAIL); /* its version is gone */
	EXPECT_SGX(reload(&p, FX_CODE, b), SGX_SUCCESS);
	free(a);
	free(b);
	fx_free(p.fx);
}

/* An evicted VA page carries its versions: its slots work again after ELDU. */
TEST(paging_va_page_evict_reload_keeps_versions)
{
	SETUP_PAGER(p);
	struct blob *data = evict_data(&p), *vab;
	uint64_t va2 = new_va(p.fx), va_new;

	ASSERT_TRUE(data && va2);
	vab = next_blob(&p);
	vab->slot = va2 + 0x808;
	ASSERT_SGX(ewb(&p, p.va, vab), SGX_SUCCESS);
	/* While the VA page is out, its slot cannot be used. */
	EXPECT_SGX(reload(&p, FX_DATA, data), SGX_PF);
	va_new = fx_epc_alloc(p.fx);
	ASSERT_SGX(eldu(&p, vab, 0, va_new), SGX_SUCCESS);
	data->slot = va_new + (data->slot & 0xFFF);
	EXPECT_SGX(reload(&p, FX_DATA, data), SGX_SUCCESS);
	free(data);
	free(vab);
	fx_free(p.fx);
}

TEST(ewb_lp_inside_since_etrack_not_tracked)
{
	SETUP_PAGER(p);
	struct blob *b = next_blob(&p);
	struct sgx_lp *lp = fx_lp(p.e);
	uint64_t epc = epc_of(p.e, FX_DATA);

	ASSERT_SGX(fx_enter(lp, p.e, FX_TCS0, NULL), SGX_SUCCESS);
	ASSERT_SGX(encls_eblock(p.fx->klp, epc), SGX_SUCCESS);
	ASSERT_SGX(encls_etrack(p.fx->klp, p.e->secs), SGX_SUCCESS);
	/* The LP may still hold a translation of the page. */
	EXPECT_SGX(ewb(&p, epc, b), SGX_NOT_TRACKED);
	EXPECT_TRUE(fx_epcm(p.e, FX_DATA).valid);
	EXPECT_EQ(epc_u64(p.fx, b->slot), 0);
	fx_exit(lp);
	EXPECT_SGX(ewb(&p, epc, b), SGX_SUCCESS);
	EXPECT_TRUE(!fx_epcm(p.e, FX_DATA).valid);
	free(b);
	fx_free(p.fx);
}

/* An LP that enters after the ETRACK cannot see the blocked page: it does not delay EWB. */
TEST(ewb_lp_entered_after_etrack_success)
{
	SETUP_PAGER(p);
	struct blob *b = next_blob(&p);
	struct sgx_lp *lp = fx_lp(p.e);
	uint64_t epc = epc_of(p.e, FX_DATA);

	ASSERT_SGX(encls_eblock(p.fx->klp, epc), SGX_SUCCESS);
	ASSERT_SGX(encls_etrack(p.fx->klp, p.e->secs), SGX_SUCCESS);
	ASSERT_SGX(fx_enter(lp, p.e, FX_TCS0, NULL), SGX_SUCCESS);
	EXPECT_SGX(ewb(&p, epc, b), SGX_SUCCESS);
	fx_exit(lp);
	free(b);
	fx_free(p.fx);
}

TEST(etrack_lp_inside_since_previous_prev_trk_incmpl)
{
	SETUP_PAGER(p);
	struct sgx_lp *lp = fx_lp(p.e), *lp2 = fx_lp(p.e);

	ASSERT_SGX(fx_enter(lp, p.e, FX_TCS0, NULL), SGX_SUCCESS);
	ASSERT_SGX(encls_etrack(p.fx->klp, p.e->secs), SGX_SUCCESS);
	/* An LP entering now belongs to the new cycle and does not matter. */
	ASSERT_SGX(fx_enter(lp2, p.e, FX_TCS1, NULL), SGX_SUCCESS);
	EXPECT_SGX(encls_etrack(p.fx->klp, p.e->secs), SGX_PREV_TRK_INCMPL);
	EXPECT_EQ(sgx_lp_rflags(p.fx->klp) & ZF_CF, SGX_RFLAGS_ZF);
	fx_exit(lp);
	EXPECT_SGX(encls_etrack(p.fx->klp, p.e->secs), SGX_SUCCESS);
	/* Now lp2 is from before the previous ETRACK. */
	EXPECT_SGX(encls_etrack(p.fx->klp, p.e->secs), SGX_PREV_TRK_INCMPL);
	fx_exit(lp2);
	EXPECT_SGX(encls_etrack(p.fx->klp, p.e->secs), SGX_SUCCESS);
	fx_free(p.fx);
}

/*
 * Evict every page the fixture mapped (all children of the SECS) into
 * @b, their offsets in @offs; checks on the way that the SECS cannot go
 * while it has a child. Returns the number of pages, or -1.
 */
static int evict_all_children(struct pager *p, struct blob **b, uint64_t *offs)
{
	struct blob *probe = next_blob(p);
	int i, n = 0, ret = 0;

	for (i = 0; i < (int)FX_PAGES && !ret; i++) {
		if (!p->e->pa[i])
			continue;
		offs[n] = (uint64_t)i * SGX_PAGE_SIZE;
		b[n++] = next_blob(p);
		ret = encls_eblock(p->fx->klp, p->e->pa[i]);
	}
	if (!ret)
		ret = encls_etrack(p->fx->klp, p->e->secs);
	for (i = 0; i < n && !ret; i++) {
		if (ewb(p, p->e->secs, probe) != SGX_CHILD_PRESENT)
			ret = -1;
		else
			ret = ewb(p, epc_of(p->e, offs[i]), b[i]);
	}
	free(probe);
	return ret ? -1 : n;
}

TEST(paging_secs_evicted_after_children_reloaded_secs_first)
{
	SETUP_PAGER(p);
	struct blob *b[FX_PAGES], *sb;
	uint64_t offs[FX_PAGES], new_secs, secs_eid;
	static uint8_t secs_page[SGX_PAGE_SIZE];
	struct fx_enclave *other;
	struct sgx_epcm_info info;
	struct sgx_lp *lp;
	int n, i;

	memcpy(secs_page, sgx_cpu_epc_mem(p.fx->cpu, p.e->secs), SGX_PAGE_SIZE);
	n = evict_all_children(&p, b, offs);
	ASSERT_TRUE(n == 11);
	secs_eid = b[0]->pcmd.enclave_id;
	sb = next_blob(&p);
	ASSERT_SGX(ewb(&p, p.e->secs, sb), SGX_SUCCESS);
	EXPECT_EQ(sb->pcmd.secinfo.flags, SGX_SECINFO_SECS);
	EXPECT_EQ(sb->pcmd.enclave_id, secs_eid);
	EXPECT_TRUE(!epcm_of(p.fx, p.e->secs).valid);
	/* A child first: its SECS is gone, so its EID is unknown and the MAC fails. */
	EXPECT_SGX(reload(&p, offs[0], b[0]), SGX_MAC_COMPARE_FAIL);
	/* SECS first (ELDB: a SECS is never blocked), at another EPC address. */
	new_secs = fx_epc_alloc(p.fx);
	/* A SECS page reloads with PAGEINFO.SECS = 0 only (SDMnew): #GP, nothing loaded. */
	other = fx_build_init(p.fx);
	ASSERT_TRUE(other);
	sb->pi.secs = other->secs;
	EXPECT_SGX(encls_eldb(p.fx->klp, &sb->pi, new_secs, sb->slot), SGX_GP);
	EXPECT_TRUE(!epcm_of(p.fx, new_secs).valid);
	sb->pi.secs = 0;
	ASSERT_SGX(encls_eldb(p.fx->klp, &sb->pi, new_secs, sb->slot), SGX_SUCCESS);
	info = epcm_of(p.fx, new_secs);
	EXPECT_TRUE(info.valid && !info.blocked && info.type == SGX_PAGE_TYPE_SECS);
	EXPECT_TRUE(memcmp(sgx_cpu_epc_mem(p.fx->cpu, new_secs), secs_page, SGX_PAGE_SIZE) == 0);
	p.e->secs = new_secs;
	for (i = 0; i < n; i++) {
		ASSERT_SGX(reload(&p, offs[i], b[i]), SGX_SUCCESS);
		free(b[i]);
	}
	/* The hidden state came back: children counted, initialized, tracking works. */
	EXPECT_SGX(encls_eremove(p.fx->klp, new_secs), SGX_CHILD_PRESENT);
	EXPECT_SGX(encls_etrack(p.fx->klp, new_secs), SGX_SUCCESS);
	lp = fx_lp(p.e);
	EXPECT_SGX(fx_enter(lp, p.e, FX_TCS1, NULL), SGX_SUCCESS);
	if (sgx_lp_in_enclave(lp))
		fx_exit(lp);
	free(sb);
	fx_free(p.fx);
}
