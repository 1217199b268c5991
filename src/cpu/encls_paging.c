/* SPDX-License-Identifier: MIT */
/*
 * EPC paging: EPA (version arrays), EBLOCK and ETRACK (the shoot-down
 * protocol), EWB (seal a page out of the EPC) and ELDB/ELDU (load it back).
 * The OS runs EBLOCK -> ETRACK -> IPI -> EWB, and ELDU on the next fault,
 * like Linux's sgx_reclaim_pages() and sgx_encl_eldu().
 *
 * Sealing (the SDM leaves the crypto implementation-specific; softsgx's
 * choices, which docs/fidelity.md repeats):
 * - AES-128-GCM under keys_paging_key(), 4 KiB plaintext, 16-byte tag in
 *   PCMD.MAC, AAD = the 128-byte MAC header (struct paging_mac_header,
 *   cpu_internal.h).
 * - IV = (VER << 32) as a 96-bit little-endian number: IV bytes 0..3 are
 *   zero, bytes 4..11 are VER little-endian. VER = cpu->next_version++, so
 *   a (key, IV) pair is never reused on one processor.
 * - The VA slot holds VER; ELDx decrypts with the slot's value, so a blob
 *   sealed under an older version (a replay) fails the MAC.
 * - The hidden state of an evicted SECS (EID, measurement, tracking) is
 *   parked keyed by (processor, VER) and handed back by the ELDx that
 *   consumes that version: the version is authenticated and used once.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "cpu_internal.h"

/* #PF error codes for EPC operands: read-only and read/write parameters. */
#define PF_EPC (SGX_PF_SGX | SGX_PF_P)
#define PF_EPC_W (PF_EPC | SGX_PF_W)

static bool is_enclave_page_type(uint64_t type)
{
	return type == SGX_PAGE_TYPE_REG || type == SGX_PAGE_TYPE_TCS ||
	       type == SGX_PAGE_TYPE_TRIM;
}

/* Take @mode on @pg unless it is @held, a page this leaf already owns exclusively. */
static bool use_try_other(struct sgx_lp *lp, struct epc_page *pg, struct epc_page *held,
			  enum epc_use mode)
{
	return pg == held || epc_use_try(lp, pg, mode);
}

static uint64_t *va_slot_ptr(struct epc_page *va, uint64_t va_slot)
{
	return (uint64_t *)((uint8_t *)va->mem + (va_slot & (SGX_PAGE_SIZE - 1)));
}

/* Hidden SECS state of an evicted SECS, parked on the processor under its EWB version. */
static struct secs_state *secs_unpark(struct sgx_cpu *cpu, uint64_t version)
{
	struct secs_state **pp, *st;

	for (pp = &cpu->parked; (st = *pp); pp = &st->parked_next) {
		if (st->parked_version == version) {
			*pp = st->parked_next;
			st->parked_next = NULL;
			return st;
		}
	}
	return NULL;
}

static void secs_park(struct sgx_cpu *cpu, uint64_t version, struct secs_state *st)
{
	st->parked_version = version;
	st->parked_next = cpu->parked;
	cpu->parked = st;
}

void secs_drop_parked(struct sgx_cpu *cpu, uint64_t version)
{
	struct secs_state *st = secs_unpark(cpu, version);

	if (st) {
		sgx_measure_free(st->mrenclave);
		free(st);
	}
}

void va_drop_versions(struct sgx_cpu *cpu, struct epc_page *va)
{
	const uint64_t *slot = va->mem;
	size_t i;

	for (i = 0; i < SGX_VA_SLOT_COUNT; i++)
		if (slot[i])
			secs_drop_parked(cpu, slot[i]);
}

/* Sealing */

static void paging_iv(uint64_t ver, uint8_t iv[12])
{
	int i;

	memset(iv, 0, 4);
	for (i = 0; i < 8; i++)
		iv[4 + i] = (uint8_t)(ver >> (8 * i));
}

static EVP_CIPHER_CTX *paging_gcm_start(const struct sgx_cpu *cpu, uint64_t ver,
					const struct paging_mac_header *hdr, int enc)
{
	EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
	uint8_t key[16], iv[12];
	int len;

	keys_paging_key(cpu, key);
	paging_iv(ver, iv);
	if (!ctx || EVP_CipherInit_ex(ctx, EVP_aes_128_gcm(), NULL, key, iv, enc) != 1 ||
	    EVP_CipherUpdate(ctx, NULL, &len, (const uint8_t *)hdr, sizeof(*hdr)) != 1)
		cpu_crypto_panic("AES-GCM start");
	OPENSSL_cleanse(key, sizeof(key));
	return ctx;
}

/* {out, mac} = AES-GCM-ENC(paging key, VER << 32, hdr, page). */
static void paging_seal(const struct sgx_cpu *cpu, uint64_t ver,
			const struct paging_mac_header *hdr, const void *page, uint8_t *out,
			uint8_t mac[16])
{
	EVP_CIPHER_CTX *ctx = paging_gcm_start(cpu, ver, hdr, 1);
	int len, fin;

	if (EVP_EncryptUpdate(ctx, out, &len, page, SGX_PAGE_SIZE) != 1 ||
	    EVP_EncryptFinal_ex(ctx, out + len, &fin) != 1 || len + fin != SGX_PAGE_SIZE ||
	    EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, 16, mac) != 1)
		cpu_crypto_panic("AES-GCM seal");
	EVP_CIPHER_CTX_free(ctx);
}

/* Decrypt @in into @page; true when the computed MAC equals @mac. */
static bool paging_unseal(const struct sgx_cpu *cpu, uint64_t ver,
			  const struct paging_mac_header *hdr, const uint8_t *in, void *page,
			  const uint8_t mac[16])
{
	EVP_CIPHER_CTX *ctx = paging_gcm_start(cpu, ver, hdr, 0);
	uint8_t tag[16], tail[16];
	int len, fin = 0;
	bool ok;

	memcpy(tag, mac, sizeof(tag));
	if (EVP_DecryptUpdate(ctx, page, &len, in, SGX_PAGE_SIZE) != 1 || len != SGX_PAGE_SIZE ||
	    EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, sizeof(tag), tag) != 1)
		cpu_crypto_panic("AES-GCM unseal");
	ok = EVP_DecryptFinal_ex(ctx, tail, &fin) == 1;
	EVP_CIPHER_CTX_free(ctx);
	return ok;
}

static uint64_t epcm_secinfo_flags(const struct epc_page *pg)
{
	return SGX_SECINFO_PT(pg->type) | pg->perm | (pg->pending ? SGX_SECINFO_PENDING : 0) |
	       (pg->modified ? SGX_SECINFO_MODIFIED : 0) | (pg->pr ? SGX_SECINFO_PR : 0);
}

/* EPA */

static int __epa(struct sgx_lp *lp, uint64_t page_type, uint64_t epc)
{
	struct epc_page *pg = NULL;

	/* EPA: RBX != PT_VA or RCX not 4K-aligned -> #GP */
	if (page_type != SGX_PAGE_TYPE_VA || !is_aligned(epc, SGX_PAGE_SIZE))
		return lp_gp(lp);
	/* EPA: RCX not in the EPC -> #PF(RCX) */
	pg = epc_page_at(lp->cpu, epc);
	if (!pg)
		return lp_pf(lp, epc, PF_EPC_W);
	/* EPA: page in use -> #GP */
	if (!epc_use_try(lp, pg, EPC_USE_EXCLUSIVE))
		return lp_gp(lp);
	epc_pause(lp, pg);
	/* EPA: page VALID -> #PF(RCX) */
	if (pg->valid)
		return lp_pf(lp, epc, PF_EPC_W);
	memset(pg->mem, 0, SGX_PAGE_SIZE);
	pg->type = SGX_PAGE_TYPE_VA;
	pg->linaddr = 0;
	pg->blocked = pg->pending = pg->modified = pg->pr = false;
	pg->perm = 0;
	pg->secs = NULL;
	pg->valid = true;
	return SGX_SUCCESS; /* EPA: no RAX code, flags untouched */
}

int encls_epa(struct sgx_lp *lp, uint64_t page_type, uint64_t epc)
{
	leaf_begin(lp, SGX_LEAF_ENCLS(ENCLS_EPA));
	return leaf_end(lp, __epa(lp, page_type, epc));
}

/* EBLOCK */

static int __eblock(struct sgx_lp *lp, uint64_t epc)
{
	struct epc_page *pg = NULL;

	/* EBLOCK: RCX not 4K-aligned -> #GP */
	if (!is_aligned(epc, SGX_PAGE_SIZE))
		return lp_gp(lp);
	/* EBLOCK: RCX not in the EPC -> #PF(RCX) */
	pg = epc_page_at(lp->cpu, epc);
	if (!pg)
		return lp_pf(lp, epc, PF_EPC_W);
	/* EBLOCK: page in use (shared access) -> SGX_EPC_PAGE_CONFLICT */
	if (!epc_use_try(lp, pg, EPC_USE_SHARED))
		return lp_err(lp, SGX_EPC_PAGE_CONFLICT);
	epc_pause(lp, pg);
	/* EBLOCK: VALID=0 -> SGX_PG_INVLD */
	if (!pg->valid)
		return lp_err(lp, SGX_PG_INVLD);
	/* EBLOCK: not REG/TCS/TRIM -> CF=1 SGX_PG_IS_SECS or SGX_NOTBLOCKABLE */
	if (!is_enclave_page_type(pg->type))
		return lp_info(lp, pg->type == SGX_PAGE_TYPE_SECS ? SGX_PG_IS_SECS : SGX_NOTBLOCKABLE);
	/* EBLOCK: already BLOCKED -> CF=1 SGX_BLKSTATE, nothing changes */
	if (pg->blocked)
		return lp_info(lp, SGX_BLKSTATE);
	pg->blocked = true;
	track_stamp(pg);
	return lp_ok(lp);
}

int encls_eblock(struct sgx_lp *lp, uint64_t epc)
{
	leaf_begin(lp, SGX_LEAF_ENCLS(ENCLS_EBLOCK));
	return leaf_end(lp, __eblock(lp, epc));
}

/* ETRACK */

static int __etrack(struct sgx_lp *lp, uint64_t secs)
{
	struct epc_page *pg = NULL;
	int ret;

	/* ETRACK: RCX not 4K-aligned -> #GP */
	if (!is_aligned(secs, SGX_PAGE_SIZE))
		return lp_gp(lp);
	/* ETRACK: RCX not in the EPC -> #PF(RCX) */
	pg = epc_page_at(lp->cpu, secs);
	if (!pg)
		return lp_pf(lp, secs, PF_EPC_W);
	/* ETRACK: tracking resource of this SECS in use -> #GP */
	if (!epc_use_try(lp, pg, EPC_USE_SHARED))
		return lp_gp(lp);
	epc_pause(lp, pg);
	/* ETRACK: VALID=0 or PT != SECS -> #PF(RCX) */
	if (!pg->valid || pg->type != SGX_PAGE_TYPE_SECS)
		return lp_pf(lp, secs, PF_EPC_W);
	/* ETRACK: previous cycle not complete -> SGX_PREV_TRK_INCMPL; else a new cycle */
	ret = track_etrack(pg->secs_state);
	return ret ? lp_err(lp, ret) : lp_ok(lp);
}

int encls_etrack(struct sgx_lp *lp, uint64_t secs)
{
	leaf_begin(lp, SGX_LEAF_ENCLS(ENCLS_ETRACK));
	return leaf_end(lp, __etrack(lp, secs));
}

/* EWB */

/*
 * EWB's page-type checks, after RAX and the flags are cleared: 0 with the
 * header EID and PCMD.ENCLAVEID, or the SGX code.
 */
static int ewb_check_type(struct sgx_lp *lp, const struct epc_page *pg, uint64_t *hdr_eid,
			  uint64_t *pcmd_eid)
{
	*hdr_eid = *pcmd_eid = 0; /* EWB: VA pages are evicted without checks, EID 0 */
	if (is_enclave_page_type(pg->type)) {
		/* EWB: REG/TCS/TRIM not BLOCKED -> SGX_PAGE_NOT_BLOCKED */
		if (!pg->blocked)
			return lp_err(lp, SGX_PAGE_NOT_BLOCKED);
		/* EWB: tracking not complete -> SGX_NOT_TRACKED */
		if (!track_complete(pg) ||
		    cpu_event(lp, SGX_EVENT_EWB_NOT_TRACKED, pg->secs, pg->linaddr))
			return lp_err(lp, SGX_NOT_TRACKED);
		*hdr_eid = *pcmd_eid = pg->secs->secs_state->eid;
	} else if (pg->type == SGX_PAGE_TYPE_SECS) {
		/* EWB: SECS with a child page -> SGX_CHILD_PRESENT */
		if (pg->secs_state->child_cnt)
			return lp_err(lp, SGX_CHILD_PRESENT);
		*pcmd_eid = pg->secs_state->eid; /* EWB: header EID 0, PCMD.ENCLAVEID its own */
	}
	return 0;
}

/* EWB: seal the page into SRCPGE/PCMD and write PAGEINFO.LINADDR back. */
static void ewb_seal(struct sgx_lp *lp, struct epc_page *pg, struct sgx_pageinfo *pginfo,
		     uint64_t ver, uint64_t hdr_eid, uint64_t pcmd_eid)
{
	struct sgx_pcmd *pcmd = (struct sgx_pcmd *)(uintptr_t)pginfo->pcmd;
	struct paging_mac_header hdr;
	uint8_t mac[16];

	/* EWB (SDMnew): the header is zeroed before the EID goes in. */
	memset(&hdr, 0, sizeof(hdr));
	hdr.eid = hdr_eid;
	hdr.linaddr = pg->linaddr;
	hdr.secinfo_flags = epcm_secinfo_flags(pg);
	paging_seal(lp->cpu, ver, &hdr, pg->mem, (uint8_t *)(uintptr_t)pginfo->srcpge, mac);
	memset(pcmd, 0, sizeof(*pcmd));
	pcmd->secinfo.flags = hdr.secinfo_flags;
	pcmd->enclave_id = pcmd_eid;
	memcpy(pcmd->mac, mac, sizeof(mac));
	pginfo->linaddr = pg->linaddr;
}

/* EWB's commit: version into the slot, page out of the EPCM. */
static int ewb_commit(struct sgx_lp *lp, struct epc_page *pg, struct epc_page *va,
		      uint64_t va_slot, uint64_t ver)
{
	uint64_t *slot = va_slot_ptr(va, va_slot);
	int ret;

	/* EWB: slot already in use -> CF=1 SGX_VA_SLOT_OCCUPIED, eviction completes */
	ret = *slot ? lp_info(lp, SGX_VA_SLOT_OCCUPIED) : lp_ok(lp);
	if (*slot)
		secs_drop_parked(lp->cpu, *slot); /* the old version is lost with its SECS state */
	*slot = ver;
	if (is_enclave_page_type(pg->type))
		pg->secs->secs_state->child_cnt--;
	if (pg->type == SGX_PAGE_TYPE_SECS) {
		secs_park(lp->cpu, ver, pg->secs_state);
		pg->secs_state = NULL;
	}
	epcm_set_invalid(pg);
	return ret;
}

/* EWB: the operand checks up to the in-use marks. */
static int ewb_operands(struct sgx_lp *lp, const struct sgx_pageinfo *pginfo, uint64_t epc,
			uint64_t va_slot, struct epc_page **pgp, struct epc_page **vap)
{
	struct sgx_cpu *cpu = lp->cpu;

	/* EWB: PAGEINFO not 32-aligned or RCX not 4K-aligned -> #GP */
	if (!is_aligned((uintptr_t)pginfo, 32) || !is_aligned(epc, SGX_PAGE_SIZE))
		return lp_gp(lp);
	/* EWB: RCX not in the EPC -> #PF(RCX) */
	if (!(*pgp = epc_page_at(cpu, epc)))
		return lp_pf(lp, epc, PF_EPC_W);
	/* EWB: VA slot not 8-aligned -> #GP */
	if (!is_aligned(va_slot, 8))
		return lp_gp(lp);
	/* EWB: VA slot not in the EPC -> #PF(RDX) */
	if (!(*vap = epc_page_at(cpu, va_slot)))
		return lp_pf(lp, va_slot, PF_EPC_W);
	/* EWB: RCX and RDX in the same EPC page -> #GP */
	if (*vap == *pgp)
		return lp_gp(lp);
	/* EWB: PAGEINFO.LINADDR or PAGEINFO.SECS non-zero -> #GP */
	if (pginfo->linaddr || pginfo->secs)
		return lp_gp(lp);
	/* EWB: PCMD not 128-aligned or SRCPGE not 4K-aligned -> #GP */
	if (!is_aligned(pginfo->pcmd, 128) || !is_aligned(pginfo->srcpge, SGX_PAGE_SIZE))
		return lp_gp(lp);
	/* EWB: page in use (exclusive) -> #GP */
	if (!epc_use_try(lp, *pgp, EPC_USE_EXCLUSIVE))
		return lp_gp(lp);
	/* EWB: VA page being modified (shared) -> #GP */
	if (!epc_use_try(lp, *vap, EPC_USE_SHARED))
		return lp_gp(lp);
	return 0;
}

static int __ewb(struct sgx_lp *lp, struct sgx_pageinfo *pginfo, uint64_t epc, uint64_t va_slot)
{
	uint64_t hdr_eid, pcmd_eid, ver;
	struct epc_page *pg = NULL, *va = NULL;
	int ret;

	ret = ewb_operands(lp, pginfo, epc, va_slot, &pg, &va);
	if (ret)
		return ret;
	epc_pause(lp, pg);
	/* EWB: RCX page VALID=0 -> #PF(RCX) */
	if (!pg->valid)
		return lp_pf(lp, epc, PF_EPC_W);
	/* EWB: slot's page not VALID or not PT_VA -> #PF(RDX) */
	if (!va->valid || va->type != SGX_PAGE_TYPE_VA)
		return lp_pf(lp, va_slot, PF_EPC_W);
	/* EWB: "EBLOCK not done correctly" -> #GP: no such state in this model */
	ret = ewb_check_type(lp, pg, &hdr_eid, &pcmd_eid);
	if (ret)
		return ret;
	ver = lp->cpu->next_version++;
	ewb_seal(lp, pg, pginfo, ver, hdr_eid, pcmd_eid);
	return ewb_commit(lp, pg, va, va_slot, ver);
}

int encls_ewb(struct sgx_lp *lp, struct sgx_pageinfo *pginfo, uint64_t epc, uint64_t va_slot)
{
	leaf_begin(lp, SGX_LEAF_ENCLS(ENCLS_EWB));
	return leaf_end(lp, __ewb(lp, pginfo, epc, va_slot));
}

/* ELDB / ELDU */

/* What ELDx found out before decrypting. */
struct eld_op {
	const struct sgx_pageinfo *pginfo;
	const struct sgx_pcmd *pcmd;
	uint64_t epc, va_slot;
	struct epc_page *pg, *va, *secs;
	struct paging_mac_header hdr;
	uint64_t type;
};

/* ELDx: the operand checks up to the VA page's EPCM check. */
static int eld_operands(struct sgx_lp *lp, struct eld_op *op)
{
	struct sgx_cpu *cpu = lp->cpu;

	/* ELDx: PAGEINFO not 32-aligned or RCX not 4K-aligned -> #GP */
	if (!is_aligned((uintptr_t)op->pginfo, 32) || !is_aligned(op->epc, SGX_PAGE_SIZE))
		return lp_gp(lp);
	/* ELDx: RCX not in the EPC -> #PF(RCX) */
	if (!(op->pg = epc_page_at(cpu, op->epc)))
		return lp_pf(lp, op->epc, PF_EPC_W);
	/* ELDx: VA slot not 8-aligned -> #GP */
	if (!is_aligned(op->va_slot, 8))
		return lp_gp(lp);
	/* ELDx: VA slot not in the EPC -> #PF(RDX) */
	if (!(op->va = epc_page_at(cpu, op->va_slot)))
		return lp_pf(lp, op->va_slot, PF_EPC_W);
	/* ELDx: PCMD not 128-aligned or SRCPGE not 4K-aligned -> #GP */
	if (!is_aligned(op->pginfo->pcmd, 128) || !is_aligned(op->pginfo->srcpge, SGX_PAGE_SIZE))
		return lp_gp(lp);
	/* ELDx: target in use (exclusive) -> #GP */
	if (!epc_use_try(lp, op->pg, EPC_USE_EXCLUSIVE))
		return lp_gp(lp);
	/* ELDx: VA slot being modified (shared) -> #GP */
	if (!use_try_other(lp, op->va, op->pg, EPC_USE_SHARED))
		return lp_gp(lp);
	/* ELDx: target VALID=1 -> #PF(RCX) */
	if (op->pg->valid)
		return lp_pf(lp, op->epc, PF_EPC_W);
	/* ELDx: slot's page not VALID or not PT_VA -> #PF(RDX) */
	if (!op->va->valid || op->va->type != SGX_PAGE_TYPE_VA)
		return lp_pf(lp, op->va_slot, PF_EPC_W);
	return 0;
}

/* ELDx: header from PCMD and LINADDR, then the SECS operand for enclave pages. */
static int eld_header_secs(struct sgx_lp *lp, struct eld_op *op)
{
	uint64_t secs = op->pginfo->secs;

	op->pcmd = (const struct sgx_pcmd *)(uintptr_t)op->pginfo->pcmd;
	memset(&op->hdr, 0, sizeof(op->hdr));
	op->hdr.secinfo_flags = op->pcmd->secinfo.flags;
	memcpy(op->hdr.secinfo_reserved, op->pcmd->secinfo.reserved, sizeof(op->hdr.secinfo_reserved));
	memcpy(op->hdr.rsvd, op->pcmd->reserved, sizeof(op->hdr.rsvd));
	op->hdr.linaddr = op->pginfo->linaddr;
	op->type = (op->hdr.secinfo_flags & SGX_SECINFO_PT_MASK) >> SGX_SECINFO_PT_SHIFT;
	if (!is_enclave_page_type(op->type)) {
		/* ELDx (SDMnew): SECS or VA page with PAGEINFO.SECS != 0 -> #GP */
		return secs ? lp_gp(lp) : 0;
	}
	/* ELDx: PAGEINFO.SECS not 4K-aligned -> #GP */
	if (!is_aligned(secs, SGX_PAGE_SIZE))
		return lp_gp(lp);
	/* ELDx: PAGEINFO.SECS not in the EPC -> #PF(SECS) */
	if (!(op->secs = epc_page_at(lp->cpu, secs)))
		return lp_pf(lp, secs, PF_EPC_W);
	/* ELDx: SECS being modified (shared) -> #GP */
	if (!use_try_other(lp, op->secs, op->pg, EPC_USE_SHARED))
		return lp_gp(lp);
	return 0;
}

/*
 * ELDx: EID of the page PAGEINFO.SECS names. Its validity is not checked:
 * anything but a valid SECS has no EID here (0, never an enclave's), so a
 * wrong SECS fails the MAC of a genuine blob; a blob forged for EID 0 is
 * refused by eld_state_ok().
 */
static uint64_t eld_secs_eid(const struct epc_page *secs)
{
	return secs->valid && secs->type == SGX_PAGE_TYPE_SECS ? secs->secs_state->eid : 0;
}

/*
 * ELDx, after the MAC: the entry the blob describes is one the EPCM can
 * hold (the invariants of epcm.c). EWB only seals such entries, but the
 * paging key derives from the public cfg.seed, so a blob may be forged.
 */
static bool eld_state_ok(const struct eld_op *op)
{
	uint64_t flags = op->hdr.secinfo_flags;
	uint64_t perm = flags & SGX_SECINFO_PERM_MASK;
	bool pending = flags & SGX_SECINFO_PENDING, modified = flags & SGX_SECINFO_MODIFIED;
	bool pr = flags & SGX_SECINFO_PR;

	if (op->type > SGX_PAGE_TYPE_TRIM)
		return false;
	/* SECS and VA: no address, permissions or flags. */
	if (!is_enclave_page_type(op->type))
		return !op->hdr.linaddr && !perm && !pending && !modified && !pr;
	/* REG/TCS/TRIM: owned by a valid SECS, at an aligned address in its ELRANGE. */
	if (!op->secs->valid || op->secs->type != SGX_PAGE_TYPE_SECS ||
	    !is_aligned(op->hdr.linaddr, SGX_PAGE_SIZE) || !in_elrange(op->secs, op->hdr.linaddr))
		return false;
	if (op->type == SGX_PAGE_TYPE_REG ? modified : (pending || pr || perm))
		return false;
	if ((pr && pending) || ((perm & SGX_SECINFO_W) && !(perm & SGX_SECINFO_R)))
		return false;
	/* PENDING, MODIFIED and PR come from SGX2 leaves, which need EINIT first. */
	return !(pending || modified || pr) || op->secs->secs_state->initialized;
}

/* ELDx's commit: free the slot, restore the EPCM entry. */
static void eld_commit(struct eld_op *op, uint64_t *slot, bool eldb, struct secs_state *st)
{
	struct epc_page *pg = op->pg;
	uint64_t flags = op->hdr.secinfo_flags;

	*slot = 0; /* ELDx (SDMnew): the slot is cleared */
	pg->type = (uint8_t)op->type;
	pg->perm = flags & SGX_SECINFO_PERM_MASK;
	pg->pending = flags & SGX_SECINFO_PENDING;
	pg->modified = flags & SGX_SECINFO_MODIFIED;
	pg->pr = flags & SGX_SECINFO_PR;
	pg->linaddr = op->hdr.linaddr;
	/* ELDB: BLOCKED=1 unless SECS or VA; ELDU: BLOCKED=0 */
	pg->blocked = eldb && is_enclave_page_type(op->type);
	if (is_enclave_page_type(op->type)) {
		pg->secs = op->secs;
		op->secs->secs_state->child_cnt++;
	}
	pg->secs_state = st;
	pg->valid = true;
}

static int __eld(struct sgx_lp *lp, struct eld_op *op, bool eldb)
{
	struct secs_state *st = NULL;
	uint64_t *slot, ver;
	int ret;

	ret = eld_operands(lp, op);
	if (!ret)
		ret = eld_header_secs(lp, op);
	if (ret)
		return ret;
	epc_pause(lp, op->pg);
	if (op->secs)
		op->hdr.eid = eld_secs_eid(op->secs);
	slot = va_slot_ptr(op->va, op->va_slot);
	ver = *slot;
	/* ELDx: MAC mismatch -> SGX_MAC_COMPARE_FAIL; page stays invalid, slot kept */
	if (!paging_unseal(lp->cpu, ver, &op->hdr, (const uint8_t *)(uintptr_t)op->pginfo->srcpge,
			   op->pg->mem, op->pcmd->mac))
		return lp_err(lp, SGX_MAC_COMPARE_FAIL);
	/* ELDx: blob forged (public seed) for a state the EPCM cannot hold -> MAC_COMPARE_FAIL */
	if (!eld_state_ok(op))
		return lp_err(lp, SGX_MAC_COMPARE_FAIL);
	/* A SECS sealed by another processor with the same key has no state here. */
	if (op->type == SGX_PAGE_TYPE_SECS && !(st = secs_unpark(lp->cpu, ver)))
		return lp_err(lp, SGX_MAC_COMPARE_FAIL);
	/* A forged SECS whose INIT contradicts its hidden state: refused, the state stays parked. */
	if (st && st->initialized != !!(secs_of(op->pg)->attributes.flags & SGX_ATTR_INIT)) {
		secs_park(lp->cpu, ver, st);
		return lp_err(lp, SGX_MAC_COMPARE_FAIL);
	}
	eld_commit(op, slot, eldb, st);
	return lp_ok(lp);
}

int encls_eldb(struct sgx_lp *lp, const struct sgx_pageinfo *pginfo, uint64_t epc, uint64_t va_slot)
{
	struct eld_op op = { .pginfo = pginfo, .epc = epc, .va_slot = va_slot };

	leaf_begin(lp, SGX_LEAF_ENCLS(ENCLS_ELDB));
	return leaf_end(lp, __eld(lp, &op, true));
}

int encls_eldu(struct sgx_lp *lp, const struct sgx_pageinfo *pginfo, uint64_t epc, uint64_t va_slot)
{
	struct eld_op op = { .pginfo = pginfo, .epc = epc, .va_slot = va_slot };

	leaf_begin(lp, SGX_LEAF_ENCLS(ENCLS_ELDU));
	return leaf_end(lp, __eld(lp, &op, false));
}
