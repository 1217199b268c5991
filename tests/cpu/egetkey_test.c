/* SPDX-License-Identifier: MIT */
/*
 * EGETKEY: every check of the SDM pseudo-code and each error code, what the
 * keys depend on (seal keys stable, bound to the KEYPOLICY identity and the
 * requested SVNs), and the launch key end to end: a launch enclave's
 * EGETKEY(EINITTOKEN) key MACs an EINITTOKEN that EINIT accepts.
 */
#include "common.h"
#include "softsgx/sign.h"

#define REQ_OFF FX_DATA             /* KEYREQUEST, 512-aligned */
#define KEY_OFF (FX_DATA + 0x800)   /* the key, 16-aligned */

/* A machine with one enclave (the default layout, extra ATTRIBUTES.FLAGS @flags), inside TCS0. */
static bool world_new(struct env *w, uint64_t flags)
{
	struct sgx_secs secs;

	fx_secs_default(&secs, FX_ENCL_BASE, FX_ENCL_SIZE);
	secs.attributes.flags |= flags;
	w->fx = fx_new(0);
	w->e = build_custom(w->fx, &secs, NULL);
	if (!w->e)
		return false;
	w->lp = fx_lp(w->e);
	return fx_enter(w->lp, w->e, FX_TCS0, NULL) == SGX_SUCCESS;
}

/* A SEAL request for the current SVNs with @policy. */
static void seal_request(struct sgx_keyrequest *req, uint16_t policy)
{
	memset(req, 0, sizeof(*req));
	req->keyname = SGX_KEYNAME_SEAL;
	req->keypolicy = policy;
	req->isv_svn = 7;
	req->cpusvn[0] = 1;
	req->attribute_mask.flags = ~0ull;
	req->attribute_mask.xfrm = ~0ull;
	req->misc_mask = ~0u;
	memset(req->keyid, 0x4B, sizeof(req->keyid));
}

/* EGETKEY in @e on @lp with @req; the key (or what is at the output) in @key. */
static int egetkey(struct sgx_lp *lp, struct fx_enclave *e, const struct sgx_keyrequest *req,
		   uint8_t key[16])
{
	int ret;

	memcpy(fx_mem(e, REQ_OFF), req, sizeof(*req));
	memset(fx_mem(e, KEY_OFF), 0xEE, 16);
	ret = enclu_egetkey(lp, fx_la(e, REQ_OFF), fx_la(e, KEY_OFF));
	memcpy(key, fx_mem(e, KEY_OFF), 16);
	return ret;
}

static const uint8_t untouched[16] = {
	0xEE, 0xEE, 0xEE, 0xEE, 0xEE, 0xEE, 0xEE, 0xEE,
	0xEE, 0xEE, 0xEE, 0xEE, 0xEE, 0xEE, 0xEE, 0xEE,
};

/* EGETKEY of @req in an enclave with extra @flags gives @want (key unwritten on failure). */
static void egetkey_expect(uint64_t flags, const struct sgx_keyrequest *req, int want)
{
	struct env w;
	uint8_t key[16];

	if (world_new(&w, flags)) {
		EXPECT_SGX(egetkey(w.lp, w.e, req, key), want);
		if (want == SGX_SUCCESS) {
			EXPECT_TRUE(memcmp(key, untouched, 16) != 0);
			EXPECT_TRUE(!(sgx_lp_rflags(w.lp) & SGX_RFLAGS_ZF));
		} else {
			EXPECT_TRUE(memcmp(key, untouched, 16) == 0);
		}
		if (want > 0 && !sgx_is_fault(want))
			EXPECT_TRUE(sgx_lp_rflags(w.lp) & SGX_RFLAGS_ZF);
		EXPECT_TRUE(sgx_lp_in_enclave(w.lp));
	} else {
		harness_fail(__FILE__, __LINE__, "setting up the enclave failed");
	}
	fx_free(w.fx);
}

TEST(egetkey_seal_success)
{
	struct sgx_keyrequest req;

	seal_request(&req, SGX_KEYPOLICY_MRENCLAVE);
	egetkey_expect(0, &req, SGX_SUCCESS);
}

TEST(egetkey_outside_enclave_gp)
{
	SETUP_FX_LP(fx, e, lp);

	EXPECT_SGX(enclu_egetkey(lp, fx_la(e, REQ_OFF), fx_la(e, KEY_OFF)), SGX_GP);
	fx_free(fx);
}

/* EGETKEY with the request at @req_off and the key at @key_off (offsets in the enclave). */
static void egetkey_at(int64_t req_off, int64_t key_off, int want, uint32_t pfec, bool eaug)
{
	struct env w;
	struct sgx_keyrequest req;

	if (!world_new(&w, 0)) {
		harness_fail(__FILE__, __LINE__, "setting up the enclave failed");
		fx_free(w.fx);
		return;
	}
	if (eaug)
		EXPECT_SGX(fx_eaug(w.e, FX_FREE, NULL), SGX_SUCCESS);
	seal_request(&req, SGX_KEYPOLICY_MRSIGNER);
	if (req_off >= 0 && w.e->pa[req_off / SGX_PAGE_SIZE])
		memcpy(fx_mem(w.e, (uint64_t)req_off), &req, sizeof(req));
	EXPECT_SGX(enclu_egetkey(w.lp, fx_la(w.e, req_off), fx_la(w.e, key_off)), want);
	if (want == SGX_PF)
		EXPECT_PF(w.lp, fx_la(w.e, pfec & SGX_PF_W ? key_off : req_off), pfec);
	fx_free(w.fx);
}

#define EGETKEY_AT_TEST(name, req_off, key_off, want, pfec, eaug)         \
	TEST(name)                                                        \
	{                                                                 \
		egetkey_at(req_off, key_off, want, pfec, eaug);           \
	}

EGETKEY_AT_TEST(egetkey_request_unaligned_gp, REQ_OFF + 0x100, KEY_OFF, SGX_GP, 0, false)
EGETKEY_AT_TEST(egetkey_request_outside_elrange_gp, -0x200, KEY_OFF, SGX_GP, 0, false)
EGETKEY_AT_TEST(egetkey_request_not_reg_pf, FX_TCS0, KEY_OFF, SGX_PF, PF_EPCM, false)
EGETKEY_AT_TEST(egetkey_request_pending_pf, FX_FREE, KEY_OFF, SGX_PF, PF_EPCM, true)

TEST(egetkey_request_readonly_success)
{
	/* KEYREQUEST needs R only. */
	struct env w;
	struct sgx_keyrequest req;

	ASSERT_TRUE(world_new(&w, 0));
	seal_request(&req, SGX_KEYPOLICY_MRSIGNER);
	memcpy(fx_mem(w.e, FX_RODATA), &req, sizeof(req));
	EXPECT_SGX(enclu_egetkey(w.lp, fx_la(w.e, FX_RODATA), fx_la(w.e, KEY_OFF)), SGX_SUCCESS);
	fx_free(w.fx);
}

EGETKEY_AT_TEST(egetkey_output_unaligned_gp, REQ_OFF, KEY_OFF + 8, SGX_GP, 0, false)
EGETKEY_AT_TEST(egetkey_output_outside_elrange_gp, REQ_OFF, (int64_t)FX_ENCL_SIZE + 0x10, SGX_GP, 0,
		false)
EGETKEY_AT_TEST(egetkey_output_readonly_pf, REQ_OFF, FX_RODATA, SGX_PF, PF_EPCM_W, false)
EGETKEY_AT_TEST(egetkey_output_unmapped_pf, REQ_OFF, FX_FREE, SGX_PF, SGX_PF_U | SGX_PF_W, false)
EGETKEY_AT_TEST(egetkey_output_pending_pf, REQ_OFF, FX_FREE, SGX_PF, PF_EPCM_W, true)

TEST(egetkey_reserved_bytes_gp)
{
	static const size_t rsvd[] = { 6, 7, 78, 200, 511 };
	struct sgx_keyrequest req;
	size_t i;

	for (i = 0; i < sizeof(rsvd) / sizeof(rsvd[0]); i++) {
		seal_request(&req, SGX_KEYPOLICY_MRENCLAVE);
		((uint8_t *)&req)[rsvd[i]] = 0x1;
		egetkey_expect(0, &req, SGX_GP);
	}
}

TEST(egetkey_keypolicy_reserved_gp)
{
	struct sgx_keyrequest req;

	seal_request(&req, SGX_KEYPOLICY_MRENCLAVE | 0x40);
	egetkey_expect(SGX_ATTR_KSS, &req, SGX_GP);
	seal_request(&req, SGX_KEYPOLICY_MRENCLAVE | 0x8000);
	egetkey_expect(SGX_ATTR_KSS, &req, SGX_GP);
}

TEST(egetkey_kss_policy_without_kss_gp)
{
	struct sgx_keyrequest req;
	uint16_t bit;

	for (bit = SGX_KEYPOLICY_NOISVPRODID; bit <= SGX_KEYPOLICY_ISVEXTPRODID; bit <<= 1) {
		seal_request(&req, SGX_KEYPOLICY_MRSIGNER | bit);
		egetkey_expect(0, &req, SGX_GP);
		egetkey_expect(SGX_ATTR_KSS, &req, SGX_SUCCESS);
	}
}

TEST(egetkey_configsvn_without_kss_gp)
{
	struct sgx_keyrequest req;

	seal_request(&req, SGX_KEYPOLICY_MRSIGNER);
	req.config_svn = 1;
	egetkey_expect(0, &req, SGX_GP);
	/* Even for a key that ignores CONFIGSVN. */
	req.keyname = SGX_KEYNAME_REPORT;
	egetkey_expect(0, &req, SGX_GP);
}

TEST(egetkey_unknown_keyname_invalid_keyname)
{
	struct sgx_keyrequest req;

	seal_request(&req, SGX_KEYPOLICY_MRSIGNER);
	req.keyname = 5;
	egetkey_expect(0, &req, SGX_INVALID_KEYNAME);
	req.keyname = 0xFFFF;
	egetkey_expect(0, &req, SGX_INVALID_KEYNAME);
}

/* A request (policy 0) for @keyname: SGX_INVALID_ATTRIBUTE unless the enclave has @attr. */
static void key_needs_attribute(uint16_t keyname, uint64_t attr)
{
	struct sgx_keyrequest req;

	seal_request(&req, 0);
	req.keyname = keyname;
	egetkey_expect(0, &req, SGX_INVALID_ATTRIBUTE);
	egetkey_expect(attr, &req, SGX_SUCCESS);
}

#define KEY_NEEDS_ATTRIBUTE_TEST(name, keyname, attr)                     \
	TEST(name)                                                        \
	{                                                                 \
		key_needs_attribute(keyname, attr);                       \
	}

KEY_NEEDS_ATTRIBUTE_TEST(egetkey_provision_seal_without_provisionkey_invalid_attribute,
			 SGX_KEYNAME_PROVISION_SEAL, SGX_ATTR_PROVISIONKEY)
KEY_NEEDS_ATTRIBUTE_TEST(egetkey_einittoken_without_einittokenkey_invalid_attribute,
			 SGX_KEYNAME_EINITTOKEN, SGX_ATTR_EINITTOKENKEY)

TEST(egetkey_provision_without_provisionkey_invalid_attribute)
{
	struct sgx_keyrequest req;

	key_needs_attribute(SGX_KEYNAME_PROVISION, SGX_ATTR_PROVISIONKEY);
	/* The attribute check comes before the SVN checks. */
	seal_request(&req, 0);
	req.keyname = SGX_KEYNAME_PROVISION;
	req.cpusvn[0] = 9;
	egetkey_expect(0, &req, SGX_INVALID_ATTRIBUTE);
}

TEST(egetkey_seal_cpusvn_beyond_invalid_cpusvn)
{
	struct sgx_keyrequest req;

	/* The platform CPUSVN is 01 00 .. 00; any byte above it is beyond. */
	seal_request(&req, SGX_KEYPOLICY_MRENCLAVE);
	req.cpusvn[0] = 2;
	egetkey_expect(0, &req, SGX_INVALID_CPUSVN);
	seal_request(&req, SGX_KEYPOLICY_MRENCLAVE);
	req.cpusvn[15] = 1;
	egetkey_expect(0, &req, SGX_INVALID_CPUSVN);
	/* CPUSVN is checked before ISVSVN. */
	req.isv_svn = 100;
	egetkey_expect(0, &req, SGX_INVALID_CPUSVN);
	/* An older CPUSVN is fine. */
	seal_request(&req, SGX_KEYPOLICY_MRENCLAVE);
	req.cpusvn[0] = 0;
	egetkey_expect(0, &req, SGX_SUCCESS);
}

TEST(egetkey_provision_cpusvn_beyond_invalid_cpusvn)
{
	struct sgx_keyrequest req;

	seal_request(&req, 0);
	req.keyname = SGX_KEYNAME_PROVISION;
	req.cpusvn[3] = 1;
	egetkey_expect(SGX_ATTR_PROVISIONKEY, &req, SGX_INVALID_CPUSVN);
	req.keyname = SGX_KEYNAME_EINITTOKEN;
	egetkey_expect(SGX_ATTR_EINITTOKENKEY, &req, SGX_INVALID_CPUSVN);
}

TEST(egetkey_seal_isvsvn_beyond_invalid_isvsvn)
{
	struct sgx_keyrequest req;

	seal_request(&req, SGX_KEYPOLICY_MRSIGNER);
	req.isv_svn = 8; /* the enclave's ISVSVN is 7 */
	egetkey_expect(0, &req, SGX_INVALID_ISVSVN);
	req.keyname = SGX_KEYNAME_PROVISION_SEAL;
	egetkey_expect(SGX_ATTR_PROVISIONKEY, &req, SGX_INVALID_ISVSVN);
	req.keyname = SGX_KEYNAME_EINITTOKEN;
	egetkey_expect(SGX_ATTR_EINITTOKENKEY, &req, SGX_INVALID_ISVSVN);
}

TEST(egetkey_seal_configsvn_beyond_invalid_isvsvn)
{
	struct sgx_keyrequest req;

	/* KSS enclave with CONFIGSVN 0. */
	seal_request(&req, SGX_KEYPOLICY_MRSIGNER | SGX_KEYPOLICY_CONFIGID);
	req.config_svn = 1;
	egetkey_expect(SGX_ATTR_KSS, &req, SGX_INVALID_ISVSVN);
	/* REPORT keys take no SVN from the request. */
	req.keyname = SGX_KEYNAME_REPORT;
	egetkey_expect(SGX_ATTR_KSS, &req, SGX_SUCCESS);
}

/* The key @req gives in @w (asserting success). */
static void key_of(struct env *w, const struct sgx_keyrequest *req, uint8_t key[16])
{
	int ret = egetkey(w->lp, w->e, req, key);

	if (ret)
		harness_fail(__FILE__, __LINE__, "EGETKEY returned %s", sgx_code_name(ret));
}

TEST(egetkey_seal_key_stable_and_bound_to_policy)
{
	struct env a;
	struct fx_enclave *b;
	struct sgx_lp *lpb;
	struct sgx_keyrequest req;
	uint8_t ka1[16], ka2[16], kb[16], sa[16], sb[16], k[16];

	ASSERT_TRUE(world_new(&a, 0));
	/* B: same signer and product, one more page: another MRENCLAVE. */
	b = fx_build_at(a.fx, ENCL_B_BASE);
	ASSERT_TRUE(b);
	ASSERT_SGX(fx_eadd(b, FX_FREE, SGX_SECINFO_REG | SGX_SECINFO_R, NULL, true, NULL), SGX_SUCCESS);
	ASSERT_SGX(fx_einit(b), SGX_SUCCESS);
	ASSERT_TRUE(memcmp(a.e->mrenclave, b->mrenclave, 32) != 0);
	lpb = fx_lp(b);
	ASSERT_SGX(fx_enter(lpb, b, FX_TCS0, NULL), SGX_SUCCESS);

	seal_request(&req, SGX_KEYPOLICY_MRENCLAVE);
	key_of(&a, &req, ka1);
	key_of(&a, &req, ka2);
	EXPECT_TRUE(memcmp(ka1, ka2, 16) == 0);           /* stable */
	EXPECT_SGX(egetkey(lpb, b, &req, kb), SGX_SUCCESS);
	EXPECT_TRUE(memcmp(ka1, kb, 16) != 0);            /* MRENCLAVE-bound */
	seal_request(&req, SGX_KEYPOLICY_MRSIGNER);
	key_of(&a, &req, sa);
	EXPECT_SGX(egetkey(lpb, b, &req, sb), SGX_SUCCESS);
	EXPECT_TRUE(memcmp(sa, sb, 16) == 0);             /* same signer, same product */
	EXPECT_TRUE(memcmp(sa, ka1, 16) != 0);
	/* Each requested input changes the key. */
	req.isv_svn = 6;
	key_of(&a, &req, k);
	EXPECT_TRUE(memcmp(k, sa, 16) != 0);
	seal_request(&req, SGX_KEYPOLICY_MRSIGNER);
	req.cpusvn[0] = 0;
	key_of(&a, &req, k);
	EXPECT_TRUE(memcmp(k, sa, 16) != 0);
	seal_request(&req, SGX_KEYPOLICY_MRSIGNER);
	req.keyid[31] ^= 1;
	key_of(&a, &req, k);
	EXPECT_TRUE(memcmp(k, sa, 16) != 0);
	/* DEBUG is always part of the key, even when ATTRIBUTEMASK leaves it out. */
	seal_request(&req, SGX_KEYPOLICY_MRSIGNER);
	req.attribute_mask.flags = 0;
	req.attribute_mask.xfrm = 0;
	key_of(&a, &req, k);
	EXPECT_TRUE(memcmp(k, sa, 16) != 0);
	fx_exit(lpb);
	fx_free(a.fx);
}

TEST(egetkey_seal_noisvprodid_kss)
{
	struct env w;
	struct sgx_keyrequest req;
	uint8_t with[16], without[16];

	ASSERT_TRUE(world_new(&w, SGX_ATTR_KSS));
	seal_request(&req, SGX_KEYPOLICY_MRSIGNER);
	key_of(&w, &req, with);
	seal_request(&req, SGX_KEYPOLICY_MRSIGNER | SGX_KEYPOLICY_NOISVPRODID);
	key_of(&w, &req, without);
	EXPECT_TRUE(memcmp(with, without, 16) != 0);
	fx_free(w.fx);
}

TEST(egetkey_provision_key_ignores_keyid)
{
	struct env w;
	struct sgx_keyrequest req;
	uint8_t p1[16], p2[16], ps[16], s[16];

	ASSERT_TRUE(world_new(&w, SGX_ATTR_PROVISIONKEY));
	seal_request(&req, 0);
	req.keyname = SGX_KEYNAME_PROVISION;
	key_of(&w, &req, p1);
	req.keyid[0] ^= 0xFF;
	key_of(&w, &req, p2);
	EXPECT_TRUE(memcmp(p1, p2, 16) == 0);
	req.keyname = SGX_KEYNAME_PROVISION_SEAL;
	key_of(&w, &req, ps);
	EXPECT_TRUE(memcmp(ps, p1, 16) != 0);
	seal_request(&req, SGX_KEYPOLICY_MRSIGNER);
	key_of(&w, &req, s);
	EXPECT_TRUE(memcmp(s, p1, 16) != 0 && memcmp(s, ps, 16) != 0);
	fx_free(w.fx);
}

TEST(egetkey_report_key_depends_on_keyid)
{
	struct env w;
	struct sgx_keyrequest req;
	uint8_t k1[16], k2[16], k3[16];

	ASSERT_TRUE(world_new(&w, 0));
	memset(&req, 0, sizeof(req));
	req.keyname = SGX_KEYNAME_REPORT;
	key_of(&w, &req, k1);
	/* REPORT ignores the SVNs, policy and masks of the request ... */
	req.isv_svn = 3;
	req.attribute_mask.flags = 0x3;
	req.keypolicy = SGX_KEYPOLICY_MRENCLAVE;
	key_of(&w, &req, k2);
	EXPECT_TRUE(memcmp(k1, k2, 16) == 0);
	/* ... but not its KEYID. */
	req.keyid[0] = 1;
	key_of(&w, &req, k3);
	EXPECT_TRUE(memcmp(k1, k3, 16) != 0);
	fx_free(w.fx);
}

/* SIGSTRUCT for @e as fx_einit() makes it but for ISVPRODID 0x43, ISVSVN 1; signed. */
static struct sgx_sigstruct *sign_for(struct fx_enclave *e)
{
	struct sgx_sigstruct *sig = aligned_alloc(SGX_PAGE_SIZE, SGX_PAGE_SIZE);

	fx_sigstruct_prepare(e, sig);
	sig->body.isv_prod_id = 0x43;
	sig->body.isv_svn = 1;
	fx_sigstruct_sign(sig);
	return sig;
}

/* What a launch enclave writes into a token for @t with its key request @req. */
static void token_fill(struct sgx_einittoken *tok, struct fx_enclave *le, struct fx_enclave *t,
		       const struct sgx_sigstruct *sig, const struct sgx_keyrequest *req)
{
	const struct sgx_secs *le_secs = sgx_cpu_epc_mem(le->fx->cpu, le->secs);
	const struct sgx_secs *t_secs = sgx_cpu_epc_mem(t->fx->cpu, t->secs);

	memset(tok, 0, SGX_EINITTOKEN_SIZE);
	tok->valid = 1;
	tok->attributes = t_secs->attributes;
	memcpy(tok->mrenclave, sig->body.mrenclave, 32);
	if (sgx_sign_mrsigner(fx_signing_key(), tok->mrsigner))
		harness_fail(__FILE__, __LINE__, "MRSIGNER failed");
	memcpy(tok->cpusvn_le, req->cpusvn, 16);
	tok->isv_prod_id_le = le_secs->isv_prod_id;
	tok->isv_svn_le = req->isv_svn;
	tok->masked_miscselect_le = req->misc_mask & le_secs->miscselect;
	tok->masked_attributes_le.flags = (req->attribute_mask.flags | SGX_ATTR_INIT | SGX_ATTR_DEBUG) &
					  le_secs->attributes.flags;
	tok->masked_attributes_le.xfrm = req->attribute_mask.xfrm & le_secs->attributes.xfrm;
	memcpy(tok->keyid, req->keyid, 32);
}

TEST(egetkey_einittoken_key_launches_enclave)
{
	struct env le;
	struct fx_enclave *t;
	struct sgx_sigstruct *sig;
	struct sgx_einittoken *tok = aligned_alloc(512, 512);
	struct sgx_keyrequest req;
	uint8_t key[16];

	ASSERT_TRUE(world_new(&le, SGX_ATTR_EINITTOKENKEY));
	t = fx_build_at(le.fx, ENCL_B_BASE);
	ASSERT_TRUE(t);
	sig = sign_for(t);
	seal_request(&req, 0);
	req.keyname = SGX_KEYNAME_EINITTOKEN;
	req.isv_svn = 5;
	req.attribute_mask.flags = SGX_ATTR_MODE64BIT;
	ASSERT_SGX(egetkey(le.lp, le.e, &req, key), SGX_SUCCESS);
	token_fill(tok, le.e, t, sig, &req);
	cmac128(key, tok, 192, tok->mac);
	/* A token MACed with another key is refused ... */
	tok->mac[0] ^= 1;
	EXPECT_SGX(encls_einit(le.fx->klp, sig, t->secs, tok), SGX_INVALID_EINITTOKEN);
	tok->mac[0] ^= 1;
	/* ... the launch enclave's one is accepted. */
	EXPECT_SGX(encls_einit(le.fx->klp, sig, t->secs, tok), SGX_SUCCESS);
	free(sig);
	free(tok);
	fx_exit(le.lp);
	fx_free(le.fx);
}

/* EINIT with launch tokens: a launch enclave's token for a target enclave. */
struct launch {
	struct env le;
	struct fx_enclave *t;
	struct sgx_sigstruct *sig;
	struct sgx_einittoken *tok;
	uint8_t key[16];
};

/* A launch enclave, a target (extra SECS flags cleared: @clear), and a MACed token. */
static bool launch_new(struct launch *l, uint64_t clear)
{
	struct sgx_secs *secs = aligned_alloc(SGX_PAGE_SIZE, SGX_PAGE_SIZE);
	struct sgx_keyrequest req;
	bool ok;

	l->tok = aligned_alloc(512, 512);
	l->sig = NULL;
	if (!world_new(&l->le, SGX_ATTR_EINITTOKENKEY)) {
		free(secs);
		return false;
	}
	fx_secs_default(secs, ENCL_B_BASE, FX_ENCL_SIZE);
	secs->attributes.flags &= ~clear;
	l->t = fx_ecreate(l->le.fx, secs);
	free(secs);
	ok = l->t && fx_eadd(l->t, FX_DATA, SGX_SECINFO_REG | SGX_SECINFO_R, NULL, true, NULL) == 0;
	if (!ok)
		return false;
	l->sig = sign_for(l->t);
	seal_request(&req, 0);
	req.keyname = SGX_KEYNAME_EINITTOKEN;
	req.isv_svn = 5;
	if (egetkey(l->le.lp, l->le.e, &req, l->key) != SGX_SUCCESS)
		return false;
	token_fill(l->tok, l->le.e, l->t, l->sig, &req);
	cmac128(l->key, l->tok, 192, l->tok->mac);
	return true;
}

static void launch_free(struct launch *l)
{
	free(l->sig);
	free(l->tok);
	fx_free(l->le.fx);
}

static int launch_einit(struct launch *l, bool remac)
{
	if (remac)
		cmac128(l->key, l->tok, 192, l->tok->mac);
	return encls_einit(l->le.fx->klp, l->sig, l->t->secs, l->tok);
}

TEST(einit_token_debug_launcher_for_production_invalid_einittoken)
{
	struct launch l;

	/* The launch enclave is a debug enclave; the target is not. */
	ASSERT_TRUE(launch_new(&l, SGX_ATTR_DEBUG));
	EXPECT_TRUE(l.tok->masked_attributes_le.flags & SGX_ATTR_DEBUG);
	EXPECT_SGX(launch_einit(&l, false), SGX_INVALID_EINITTOKEN);
	launch_free(&l);
}

TEST(einit_token_reserved_nonzero_invalid_einittoken)
{
	struct launch l;

	ASSERT_TRUE(launch_new(&l, 0));
	l.tok->reserved2[5] = 1;
	EXPECT_SGX(launch_einit(&l, true), SGX_INVALID_EINITTOKEN);
	l.tok->reserved2[5] = 0;
	l.tok->valid |= 2; /* VALID bits 31:1 are reserved too */
	EXPECT_SGX(launch_einit(&l, true), SGX_INVALID_EINITTOKEN);
	l.tok->valid = 1;
	EXPECT_SGX(launch_einit(&l, true), SGX_SUCCESS);
	launch_free(&l);
}

TEST(einit_token_cpusvn_beyond_invalid_cpusvn)
{
	struct launch l;

	ASSERT_TRUE(launch_new(&l, 0));
	l.tok->cpusvn_le[0] = 2; /* the platform's CPUSVN starts with 1 */
	EXPECT_SGX(launch_einit(&l, true), SGX_INVALID_CPUSVN);
	launch_free(&l);
}

TEST(einit_token_other_mrenclave_invalid_measurement)
{
	struct launch l;

	ASSERT_TRUE(launch_new(&l, 0));
	l.tok->mrenclave[3] ^= 1;
	EXPECT_SGX(launch_einit(&l, true), SGX_INVALID_MEASUREMENT);
	l.tok->mrenclave[3] ^= 1;
	l.tok->mrsigner[0] ^= 1;
	EXPECT_SGX(launch_einit(&l, true), SGX_INVALID_MEASUREMENT);
	launch_free(&l);
}

TEST(einit_token_other_attributes_invalid_attribute)
{
	struct launch l;

	ASSERT_TRUE(launch_new(&l, 0));
	l.tok->attributes.flags ^= SGX_ATTR_KSS;
	EXPECT_SGX(launch_einit(&l, true), SGX_INVALID_ATTRIBUTE);
	launch_free(&l);
}
