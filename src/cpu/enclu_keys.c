/* SPDX-License-Identifier: MIT */
/*
 * EREPORT and EGETKEY: reports for local attestation and the keys an
 * enclave derives (report, seal, provisioning, launch). Which values each
 * key depends on follows the SDM's EGETKEY/EREPORT/EINIT pseudo-code; the
 * derivation itself is keys_derive() (keys.c) over struct key_dependencies.
 * The owner epoch, the seal fuses and PADDING have no place in that struct
 * and are not key inputs (docs/fidelity.md). CPUSVN is compared byte by byte: a requested CPUSVN
 * is "beyond" the platform's when any of its 16 bytes is greater.
 */
#include <string.h>

#include "cpu_internal.h"

/* EGETKEY: REQUIRED_SEALING_MASK (INIT and DEBUG are always part of a key). */
#define KEY_REQUIRED_ATTRIBUTES (SGX_ATTR_INIT | SGX_ATTR_DEBUG)

static void *page_ptr(const struct epc_page *pg, uint64_t la)
{
	return (uint8_t *)pg->mem + (la & (SGX_PAGE_SIZE - 1));
}

/*
 * An EREPORT/EGETKEY memory operand: aligned to @align and inside ELRANGE
 * (else #GP), then an EPC page of the running enclave at @la that is valid,
 * not blocked, REG, neither PENDING nor MODIFIED, and allows @perm (#PF).
 */
static int operand_page(struct sgx_lp *lp, uint64_t la, uint64_t align, uint8_t perm,
			struct epc_page **pg)
{
	uint32_t access = (perm & SGX_SECINFO_W) ? SGX_PF_W : 0;
	int ret;

	if (!is_aligned(la, align) || !in_elrange(lp->secs, la))
		return lp_gp(lp);
	ret = enclu_translate(lp, la, access, pg);
	if (ret)
		return ret;
	if (!epcm_enclave_page_ok(lp, *pg, la, perm))
		return lp_pf_epcm(lp, la, access);
	return 0;
}

/*
 * The REPORT key of the enclave that @ti describes: EREPORT derives it from
 * the TARGETINFO, EGETKEY(REPORT) from the running enclave's own SECS.
 */
static void report_key(const struct sgx_cpu *cpu, const struct sgx_targetinfo *ti,
		       const uint8_t keyid[32], uint8_t key[16])
{
	struct key_dependencies deps;

	memset(&deps, 0, sizeof(deps));
	deps.keyname = SGX_KEYNAME_REPORT;
	deps.attributes = ti->attributes;
	memcpy(deps.mrenclave, ti->mrenclave, sizeof(deps.mrenclave));
	deps.miscselect = ti->miscselect;
	memcpy(deps.config_id, ti->config_id, sizeof(deps.config_id));
	deps.config_svn = ti->config_svn;
	memcpy(deps.keyid, keyid, sizeof(deps.keyid));
	memcpy(deps.cpusvn, cpu->cfg.cpusvn, sizeof(deps.cpusvn));
	keys_derive(cpu, &deps, key);
}

/* A TARGETINFO naming the running enclave (what EGETKEY(REPORT) derives for). */
static void self_target(const struct sgx_secs *secs, struct sgx_targetinfo *ti)
{
	memset(ti, 0, sizeof(*ti));
	memcpy(ti->mrenclave, secs->mrenclave, sizeof(ti->mrenclave));
	ti->attributes = secs->attributes;
	ti->config_svn = secs->config_svn;
	ti->miscselect = secs->miscselect;
	memcpy(ti->config_id, secs->config_id, sizeof(ti->config_id));
}

static void report_build(struct sgx_lp *lp, const struct sgx_targetinfo *ti,
			 const uint8_t report_data[64], struct sgx_report *r)
{
	const struct sgx_secs *secs = secs_of(lp->secs);
	const struct secs_state *st = lp->secs->secs_state;
	struct sgx_report_body *b = &r->body;
	uint8_t key[16];

	memset(r, 0, sizeof(*r));
	memcpy(b->cpusvn, lp->cpu->cfg.cpusvn, sizeof(b->cpusvn));
	b->miscselect = secs->miscselect;
	memcpy(b->isv_ext_prod_id, st->isv_ext_prod_id, sizeof(b->isv_ext_prod_id));
	b->attributes = secs->attributes;
	memcpy(b->mrenclave, secs->mrenclave, sizeof(b->mrenclave));
	memcpy(b->mrsigner, secs->mrsigner, sizeof(b->mrsigner));
	memcpy(b->config_id, secs->config_id, sizeof(b->config_id));
	b->isv_prod_id = secs->isv_prod_id;
	b->isv_svn = secs->isv_svn;
	b->config_svn = secs->config_svn;
	memcpy(b->isv_family_id, st->isv_family_id, sizeof(b->isv_family_id));
	memcpy(b->report_data, report_data, sizeof(b->report_data));
	memcpy(r->keyid, lp->cpu->keyid, sizeof(r->keyid));
	report_key(lp->cpu, ti, r->keyid, key);
	keys_cmac(key, b, sizeof(*b), r->mac);
}

static bool targetinfo_reserved_zero(const struct sgx_targetinfo *ti)
{
	return mem_is_zero(ti->reserved1, sizeof(ti->reserved1)) &&
	       mem_is_zero(ti->reserved2, sizeof(ti->reserved2)) &&
	       mem_is_zero(ti->reserved3, sizeof(ti->reserved3));
}

static int __ereport(struct sgx_lp *lp, uint64_t ti_la, uint64_t rd_la, uint64_t out_la)
{
	struct epc_page *ti_pg, *rd_pg, *out_pg;
	struct sgx_targetinfo ti;
	struct sgx_report report;
	int ret;

	/* ENCLU: EREPORT outside enclave mode -> #GP */
	if (!lp->in_enclave)
		return lp_gp(lp);
	/* EREPORT: TARGETINFO not 512-aligned/outside ELRANGE -> #GP; bad page or R=0 -> #PF(RBX) */
	ret = operand_page(lp, ti_la, 512, SGX_SECINFO_R, &ti_pg);
	if (ret)
		return ret;
	/* EREPORT: TARGETINFO reserved bytes != 0 -> #GP (SDMnew) */
	if (!targetinfo_reserved_zero(page_ptr(ti_pg, ti_la)))
		return lp_gp(lp);
	/* EREPORT: REPORTDATA not 128-aligned/outside ELRANGE -> #GP; bad page or R=0 -> #PF(RCX) */
	ret = operand_page(lp, rd_la, 128, SGX_SECINFO_R, &rd_pg);
	if (ret)
		return ret;
	/*
	 * EREPORT: OUTPUTDATA not 512-aligned/outside ELRANGE -> #GP; bad page or W=0 -> #PF(RDX)
	 * (its own PENDING/MODIFIED, not RCX's as the SDM reads them: an erratum)
	 */
	ret = operand_page(lp, out_la, 512, SGX_SECINFO_W, &out_pg);
	if (ret)
		return ret;
	epc_pause(lp, out_pg);
	memcpy(&ti, page_ptr(ti_pg, ti_la), sizeof(ti));
	report_build(lp, &ti, page_ptr(rd_pg, rd_la), &report);
	memcpy(page_ptr(out_pg, out_la), &report, SGX_REPORT_SIZE);
	/* No RAX code: RAX and RFLAGS untouched. */
	return SGX_SUCCESS;
}

int enclu_ereport(struct sgx_lp *lp, uint64_t targetinfo, uint64_t reportdata, uint64_t report)
{
	leaf_begin(lp, SGX_LEAF_ENCLU(ENCLU_EREPORT));
	return leaf_end(lp, __ereport(lp, targetinfo, reportdata, report));
}

/* "Beyond the current CPUSVN": some byte of @req exceeds the platform's. */
static bool cpusvn_beyond(const uint8_t req[16], const uint8_t cur[16])
{
	int i;

	for (i = 0; i < 16; i++)
		if (req[i] > cur[i])
			return true;
	return false;
}

/* EGETKEY's SVN checks for the keys that take requested SVNs. */
static int svn_check(struct sgx_lp *lp, const struct sgx_keyrequest *req,
		     const struct sgx_secs *secs, bool config_svn)
{
	/* EGETKEY: KEYREQUEST.CPUSVN beyond the current CPUSVN -> SGX_INVALID_CPUSVN */
	if (cpusvn_beyond(req->cpusvn, lp->cpu->cfg.cpusvn))
		return lp_err(lp, SGX_INVALID_CPUSVN);
	/* EGETKEY: KEYREQUEST.ISVSVN > SECS.ISVSVN -> SGX_INVALID_ISVSVN */
	if (req->isv_svn > secs->isv_svn)
		return lp_err(lp, SGX_INVALID_ISVSVN);
	/* EGETKEY(SEAL): KEYREQUEST.CONFIGSVN > SECS.CONFIGSVN -> SGX_INVALID_ISVSVN */
	if (config_svn && req->config_svn > secs->config_svn)
		return lp_err(lp, SGX_INVALID_ISVSVN);
	return 0;
}

/* What every requested (non-REPORT) key takes from the request and the SECS. */
static void deps_requested(const struct sgx_keyrequest *req, const struct sgx_secs *secs,
			   struct key_dependencies *d)
{
	memset(d, 0, sizeof(*d));
	d->keyname = req->keyname;
	d->isv_svn = req->isv_svn;
	memcpy(d->cpusvn, req->cpusvn, sizeof(d->cpusvn));
	d->attributes.flags = (req->attribute_mask.flags | KEY_REQUIRED_ATTRIBUTES) &
			      secs->attributes.flags;
	d->attributes.xfrm = req->attribute_mask.xfrm & secs->attributes.xfrm;
	d->miscselect = req->misc_mask & secs->miscselect;
}

/* SEAL, PROVISION, PROVISION_SEAL: ATTRIBUTESMASK and the complement of MISCMASK are inputs. */
static void deps_masks(const struct sgx_keyrequest *req, struct key_dependencies *d)
{
	d->attribute_mask = req->attribute_mask;
	d->misc_mask = ~req->misc_mask;
}

/* SEAL and PROVISION_SEAL: the identity parts KEYPOLICY selects. */
static void deps_policy(const struct sgx_keyrequest *req, const struct sgx_secs *secs,
			const struct secs_state *st, struct key_dependencies *d)
{
	uint16_t policy = req->keypolicy;

	if (policy & SGX_KEYPOLICY_ISVFAMILYID)
		memcpy(d->isv_family_id, st->isv_family_id, sizeof(d->isv_family_id));
	if (!(policy & SGX_KEYPOLICY_NOISVPRODID))
		d->isv_prod_id = secs->isv_prod_id;
	if (policy & SGX_KEYPOLICY_CONFIGID) {
		memcpy(d->config_id, secs->config_id, sizeof(d->config_id));
		d->config_svn = req->config_svn;
	}
	if (policy & SGX_KEYPOLICY_ISVEXTPRODID)
		memcpy(d->isv_ext_prod_id, st->isv_ext_prod_id, sizeof(d->isv_ext_prod_id));
}

static int deps_seal(struct sgx_lp *lp, const struct sgx_keyrequest *req, struct key_dependencies *d)
{
	const struct sgx_secs *secs = secs_of(lp->secs);
	int ret = svn_check(lp, req, secs, true);

	if (ret)
		return ret;
	deps_requested(req, secs, d);
	deps_masks(req, d);
	deps_policy(req, secs, lp->secs->secs_state, d);
	d->keypolicy = req->keypolicy;
	if (req->keypolicy & SGX_KEYPOLICY_MRENCLAVE)
		memcpy(d->mrenclave, secs->mrenclave, sizeof(d->mrenclave));
	if (req->keypolicy & SGX_KEYPOLICY_MRSIGNER)
		memcpy(d->mrsigner, secs->mrsigner, sizeof(d->mrsigner));
	memcpy(d->keyid, req->keyid, sizeof(d->keyid));
	return 0;
}

/* EINITTOKEN, PROVISION, PROVISION_SEAL: access-controlled, signer-bound keys. */
static int deps_controlled(struct sgx_lp *lp, const struct sgx_keyrequest *req, uint64_t attr,
			   struct key_dependencies *d)
{
	const struct sgx_secs *secs = secs_of(lp->secs);
	int ret;

	/* EGETKEY(EINITTOKEN): EINITTOKEN_KEY=0; (PROVISION*): PROVISIONKEY=0 -> SGX_INVALID_ATTRIBUTE */
	if (!(secs->attributes.flags & attr))
		return lp_err(lp, SGX_INVALID_ATTRIBUTE);
	ret = svn_check(lp, req, secs, false);
	if (ret)
		return ret;
	deps_requested(req, secs, d);
	memcpy(d->mrsigner, secs->mrsigner, sizeof(d->mrsigner));
	if (req->keyname != SGX_KEYNAME_EINITTOKEN)
		deps_masks(req, d);
	if (req->keyname == SGX_KEYNAME_PROVISION_SEAL) {
		deps_policy(req, secs, lp->secs->secs_state, d);
		d->keypolicy = req->keypolicy;
		return 0;
	}
	d->isv_prod_id = secs->isv_prod_id;
	/* EINITTOKEN takes the requested KEYID; PROVISION none. */
	if (req->keyname == SGX_KEYNAME_EINITTOKEN)
		memcpy(d->keyid, req->keyid, sizeof(d->keyid));
	return 0;
}

/* EGETKEY by KEYNAME: the checks, then the dependencies; 0 or lp_err(). */
static int key_deps(struct sgx_lp *lp, const struct sgx_keyrequest *req, uint8_t key[16])
{
	struct key_dependencies d;
	struct sgx_targetinfo self;
	int ret;

	switch (req->keyname) {
	case SGX_KEYNAME_SEAL:
		ret = deps_seal(lp, req, &d);
		break;
	case SGX_KEYNAME_REPORT:
		/* EGETKEY(REPORT): no checks; the key EREPORT uses for this enclave */
		self_target(secs_of(lp->secs), &self);
		report_key(lp->cpu, &self, req->keyid, key);
		return 0;
	case SGX_KEYNAME_EINITTOKEN:
		ret = deps_controlled(lp, req, SGX_ATTR_EINITTOKENKEY, &d);
		break;
	case SGX_KEYNAME_PROVISION:
	case SGX_KEYNAME_PROVISION_SEAL:
		ret = deps_controlled(lp, req, SGX_ATTR_PROVISIONKEY, &d);
		break;
	default:
		/* EGETKEY: any other KEYNAME -> SGX_INVALID_KEYNAME */
		return lp_err(lp, SGX_INVALID_KEYNAME);
	}
	if (!ret)
		keys_derive(lp->cpu, &d, key);
	return ret;
}

static bool keyrequest_reserved_zero(const struct sgx_keyrequest *req)
{
	return mem_is_zero(req->reserved1, sizeof(req->reserved1)) &&
	       mem_is_zero(req->reserved2, sizeof(req->reserved2)) &&
	       !(req->keypolicy & SGX_KEYPOLICY_RESERVED_MASK);
}

static int __egetkey(struct sgx_lp *lp, uint64_t req_la, uint64_t key_la)
{
	struct epc_page *req_pg, *key_pg;
	struct sgx_keyrequest req;
	uint8_t key[16];
	int ret;

	/* ENCLU: EGETKEY outside enclave mode -> #GP */
	if (!lp->in_enclave)
		return lp_gp(lp);
	/* EGETKEY: KEYREQUEST not 512-aligned/outside ELRANGE -> #GP; bad page or R=0 -> #PF(RBX) */
	ret = operand_page(lp, req_la, 512, SGX_SECINFO_R, &req_pg);
	if (ret)
		return ret;
	/* EGETKEY: OUTPUTDATA not 16-aligned/outside ELRANGE -> #GP; bad page or W=0 -> #PF(RCX) */
	ret = operand_page(lp, key_la, 16, SGX_SECINFO_W, &key_pg);
	if (ret)
		return ret;
	epc_pause(lp, key_pg);
	memcpy(&req, page_ptr(req_pg, req_la), sizeof(req));
	/* EGETKEY: KEYREQUEST reserved bytes or KEYPOLICY bits 15:6 != 0 -> #GP */
	if (!keyrequest_reserved_zero(&req))
		return lp_gp(lp);
	/* EGETKEY: KSS=0 and (KEYPOLICY bits 5:2 or CONFIGSVN > 0) -> #GP */
	if (!(secs_of(lp->secs)->attributes.flags & SGX_ATTR_KSS) &&
	    ((req.keypolicy & SGX_KEYPOLICY_KSS_MASK) || req.config_svn > 0))
		return lp_gp(lp);
	ret = key_deps(lp, &req, key);
	if (ret)
		return ret;
	memcpy(page_ptr(key_pg, key_la), key, sizeof(key));
	return lp_ok(lp);
}

int enclu_egetkey(struct sgx_lp *lp, uint64_t keyrequest, uint64_t key)
{
	leaf_begin(lp, SGX_LEAF_ENCLU(ENCLU_EGETKEY));
	return leaf_end(lp, __egetkey(lp, keyrequest, key));
}

/*
 * The launch key EINIT checks an EINITTOKEN's MAC with (EINIT pseudo-code):
 * exactly what EGETKEY(EINITTOKEN) returns to a launch enclave whose
 * ISVPRODID, requested ISVSVN/CPUSVN/KEYID, masked ATTRIBUTES/MISCSELECT and
 * MRSIGNER (= IA32_SGXLEPUBKEYHASH) are the token's *LE fields.
 * Must be called with cpu->lock held (reads the LEPUBKEYHASH MSR).
 */
void keys_einittoken_key(const struct sgx_cpu *cpu, const struct sgx_einittoken *token,
			 uint8_t key[16])
{
	struct key_dependencies d;

	memset(&d, 0, sizeof(d));
	d.keyname = SGX_KEYNAME_EINITTOKEN;
	d.isv_prod_id = token->isv_prod_id_le;
	d.isv_svn = token->isv_svn_le;
	d.attributes = token->masked_attributes_le;
	memcpy(d.mrsigner, cpu->lepubkeyhash, sizeof(d.mrsigner));
	memcpy(d.keyid, token->keyid, sizeof(d.keyid));
	memcpy(d.cpusvn, token->cpusvn_le, sizeof(d.cpusvn));
	d.miscselect = token->masked_miscselect_le;
	keys_derive(cpu, &d, key);
}
