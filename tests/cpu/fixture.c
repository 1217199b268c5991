/* SPDX-License-Identifier: MIT */
/*
 * The processor test fixture (see fixture.h): builds enclaves through the
 * real leaves, mirrors their measurement as a signer would, signs them with
 * a process-wide test key and keeps a page table for each.
 */
#include <pthread.h>
#include <stdlib.h>

#include <openssl/evp.h>

#include "fixture.h"
#include "softsgx/measure.h"
#include "softsgx/sign.h"

static void *xalloc(size_t align, size_t size)
{
	void *p = aligned_alloc(align, (size + align - 1) / align * align);

	if (!p) {
		fprintf(stderr, "fixture: out of memory\n");
		abort();
	}
	memset(p, 0, size);
	return p;
}

static void fx_pause_trampoline(void *ctx, struct sgx_lp *lp, unsigned int leaf_id, uint64_t epc)
{
	struct fx *fx = ctx;
	/* Leaves on other threads pause too: whoever comes first takes the call. */
	fx_pause_fn fn = __atomic_exchange_n(&fx->pause_fn, NULL, __ATOMIC_ACQ_REL);

	if (fn)
		fn(fx, lp, leaf_id, epc, fx->pause_ctx);
}

void fx_on_pause(struct fx *fx, fx_pause_fn fn, void *ctx)
{
	fx->pause_ctx = ctx;
	__atomic_store_n(&fx->pause_fn, fn, __ATOMIC_RELEASE);
}

struct fx *fx_new_config(const struct sgx_cpu_config *config)
{
	struct fx *fx = xalloc(8, sizeof(*fx));
	struct sgx_cpu_config cfg = *config;

	if (!cfg.pause_hook) {
		cfg.pause_hook = fx_pause_trampoline;
		cfg.pause_ctx = fx;
	}
	if (sgx_cpu_create(&cfg, &fx->cpu)) {
		fprintf(stderr, "fixture: sgx_cpu_create failed\n");
		abort();
	}
	fx->allocated = xalloc(8, cfg.epc_pages);
	fx->klp = sgx_lp_create(fx->cpu, NULL, NULL);
	return fx;
}

struct fx *fx_new(size_t epc_pages)
{
	struct sgx_cpu_config cfg;

	sgx_cpu_config_default(&cfg);
	cfg.epc_pages = epc_pages ? epc_pages : 256;
	cfg.check_invariants = true;
	return fx_new_config(&cfg);
}

void fx_free(struct fx *fx)
{
	int i;

	for (i = 0; i < fx->nr_lps; i++)
		sgx_lp_destroy(fx->lps[i]);
	while (fx->enclaves) {
		struct fx_enclave *e = fx->enclaves;

		fx->enclaves = e->next;
		sgx_measure_free(e->measure);
		free(e);
	}
	sgx_lp_destroy(fx->klp);
	sgx_cpu_destroy(fx->cpu);
	free(fx->allocated);
	free(fx);
}

uint64_t fx_epc_alloc(struct fx *fx)
{
	size_t i, n = sgx_cpu_epc_pages(fx->cpu);

	for (i = 0; i < n; i++) {
		if (!fx->allocated[i]) {
			fx->allocated[i] = 1;
			return sgx_cpu_epc_base(fx->cpu) + i * SGX_PAGE_SIZE;
		}
	}
	return 0;
}

void fx_epc_release(struct fx *fx, uint64_t epc)
{
	fx->allocated[(epc - sgx_cpu_epc_base(fx->cpu)) / SGX_PAGE_SIZE] = 0;
}

void fx_secs_default(struct sgx_secs *secs, uint64_t base, uint64_t size)
{
	memset(secs, 0, sizeof(*secs));
	secs->base = base;
	secs->size = size;
	secs->ssa_frame_size = 1;
	secs->miscselect = SGX_MISC_EXINFO;
	secs->attributes.flags = SGX_ATTR_MODE64BIT | SGX_ATTR_DEBUG;
	secs->attributes.xfrm = 0x3;
}

struct fx_enclave *fx_ecreate(struct fx *fx, const struct sgx_secs *secs)
{
	struct sgx_secs *src = xalloc(SGX_PAGE_SIZE, SGX_PAGE_SIZE);
	struct sgx_secinfo secinfo = { .flags = SGX_SECINFO_SECS };
	struct sgx_pageinfo pginfo = { 0 };
	struct fx_enclave *e;
	int ret;

	if (secs)
		memcpy(src, secs, sizeof(*src));
	else
		fx_secs_default(src, FX_ENCL_BASE, FX_ENCL_SIZE);
	e = xalloc(8, sizeof(*e));
	e->fx = fx;
	e->base = src->base;
	e->size = src->size;
	e->secs = fx_epc_alloc(fx);
	pginfo.srcpge = (uintptr_t)src;
	pginfo.secinfo = (uintptr_t)&secinfo;
	ret = encls_ecreate(fx->klp, &pginfo, e->secs);
	if (ret) {
		harness_fail(__FILE__, __LINE__, "ECREATE returned %s", sgx_code_name(ret));
		free(src);
		free(e);
		return NULL;
	}
	e->measure = sgx_measure_new();
	sgx_measure_ecreate(e->measure, src->ssa_frame_size, src->size);
	e->next = fx->enclaves;
	fx->enclaves = e;
	free(src);
	return e;
}

static void map_page(struct fx_enclave *e, uint64_t offset, uint64_t epc)
{
	if (offset < e->size && offset / SGX_PAGE_SIZE < FX_PAGES) {
		e->pa[offset / SGX_PAGE_SIZE] = epc;
		e->pt_perm[offset / SGX_PAGE_SIZE] = SGX_SECINFO_R | SGX_SECINFO_W | SGX_SECINFO_X;
	}
}

int fx_eadd(struct fx_enclave *e, uint64_t offset, uint64_t flags, const void *src, bool measure,
	    uint64_t *epc_out)
{
	struct fx *fx = e->fx;
	uint8_t *page = xalloc(SGX_PAGE_SIZE, SGX_PAGE_SIZE);
	struct sgx_secinfo secinfo = { .flags = flags };
	struct sgx_pageinfo pginfo = { 0 };
	uint64_t epc = fx_epc_alloc(fx), chunk, mflags = flags;
	int ret;

	if (src)
		memcpy(page, src, SGX_PAGE_SIZE);
	pginfo.linaddr = e->base + offset;
	pginfo.srcpge = (uintptr_t)page;
	pginfo.secinfo = (uintptr_t)&secinfo;
	pginfo.secs = e->secs;
	ret = encls_eadd(fx->klp, &pginfo, epc);
	for (chunk = 0; !ret && measure && chunk < SGX_PAGE_SIZE; chunk += 256)
		ret = encls_eextend(fx->klp, e->secs, epc + chunk);
	if (ret) {
		struct sgx_epcm_info info;

		/* A failed EADD leaves the page free; a failed EEXTEND leaves it added. */
		sgx_cpu_epcm_read(fx->cpu, epc, &info);
		if (!info.valid)
			fx_epc_release(fx, epc);
	} else {
		/* Mirror what the processor measured: EADD (TCS: RWX cleared) and EEXTENDs. */
		if ((flags & SGX_SECINFO_PT_MASK) == SGX_SECINFO_TCS)
			mflags &= ~SGX_SECINFO_PERM_MASK;
		sgx_measure_page(e->measure, offset, mflags, page, measure);
		map_page(e, offset, epc);
	}
	if (epc_out)
		*epc_out = epc;
	free(page);
	return ret;
}

void fx_tcs_default(struct sgx_tcs *tcs, uint64_t ossa)
{
	memset(tcs, 0, sizeof(*tcs));
	tcs->ossa = ossa;
	tcs->nssa = 2;
	tcs->oentry = FX_CODE;
	tcs->ofsbase = FX_DATA;
	tcs->ogsbase = FX_DATA + SGX_PAGE_SIZE;
	tcs->fslimit = 0xFFFFFFFF;
	tcs->gslimit = 0xFFFFFFFF;
}

#define EADD_OR_FAIL(e, off, flags, src, measure)                                         \
	do {                                                                              \
		int r_ = fx_eadd(e, off, flags, src, measure, NULL);                      \
		if (r_) {                                                                 \
			harness_fail(__FILE__, __LINE__, "EADD at %#x returned %s",       \
				     (unsigned int)(off), sgx_code_name(r_));             \
			return NULL;                                                      \
		}                                                                         \
	} while (0)

struct fx_enclave *fx_build_at(struct fx *fx, uint64_t base)
{
	struct sgx_secs *secs = xalloc(SGX_PAGE_SIZE, sizeof(*secs));
	struct sgx_tcs *tcs = xalloc(SGX_PAGE_SIZE, sizeof(*tcs));
	uint8_t *page = xalloc(SGX_PAGE_SIZE, SGX_PAGE_SIZE);
	struct fx_enclave *e;
	const uint64_t rw = SGX_SECINFO_REG | SGX_SECINFO_R | SGX_SECINFO_W;
	int i;

	fx_secs_default(secs, base, FX_ENCL_SIZE);
	e = fx_ecreate(fx, secs);
	free(secs);
	for (i = 0; e && i < 2; i++) {
		fx_tcs_default(tcs, i ? FX_SSA1 : FX_SSA0);
		EADD_OR_FAIL(e, i ? FX_TCS1 : FX_TCS0, SGX_SECINFO_TCS, tcs, true);
	}
	for (i = 0; e && i < 2; i++) {
		EADD_OR_FAIL(e, FX_SSA0 + i * SGX_PAGE_SIZE, rw, NULL, true);
		EADD_OR_FAIL(e, FX_SSA1 + i * SGX_PAGE_SIZE, rw, NULL, true);
	}
	for (i = 0; e && i < (int)SGX_PAGE_SIZE; i++)
		page[i] = (uint8_t)(i * 7 + 3);
	if (e) {
		EADD_OR_FAIL(e, FX_CODE, SGX_SECINFO_REG | SGX_SECINFO_R | SGX_SECINFO_X, page, true);
		for (i = 0; i < FX_DATA_PAGES; i++)
			EADD_OR_FAIL(e, FX_DATA + i * SGX_PAGE_SIZE, rw, page, true);
		EADD_OR_FAIL(e, FX_RODATA, SGX_SECINFO_REG | SGX_SECINFO_R, page, false);
	}
	free(tcs);
	free(page);
	return e;
}

struct fx_enclave *fx_build(struct fx *fx)
{
	return fx_build_at(fx, FX_ENCL_BASE);
}

static EVP_PKEY *signing_key;
static pthread_once_t signing_key_once = PTHREAD_ONCE_INIT;

static void make_signing_key(void)
{
	if (sgx_sign_keygen(&signing_key)) {
		fprintf(stderr, "fixture: RSA-3072 key generation failed\n");
		abort();
	}
}

struct evp_pkey_st *fx_signing_key(void)
{
	pthread_once(&signing_key_once, make_signing_key);
	return signing_key;
}

void fx_sigstruct_prepare(struct fx_enclave *e, struct sgx_sigstruct *sig)
{
	const struct sgx_secs *secs = sgx_cpu_epc_mem(e->fx->cpu, e->secs);

	sgx_sigstruct_init(sig);
	sig->header.vendor = 0x8086;
	sig->header.date = 0x20261126;
	sig->body.miscselect = secs->miscselect;
	sig->body.misc_mask = 0xFFFFFFFF;
	sig->body.attributes = secs->attributes;
	sig->body.attributes_mask.flags = ~0ull;
	sig->body.attributes_mask.xfrm = ~0ull;
	sig->body.isv_prod_id = 0x42;
	sig->body.isv_svn = 7;
	sgx_measure_digest(e->measure, e->mrenclave);
	memcpy(sig->body.mrenclave, e->mrenclave, 32);
}

void fx_sigstruct_sign(struct sgx_sigstruct *sig)
{
	if (sgx_sigstruct_sign(sig, fx_signing_key())) {
		fprintf(stderr, "fixture: signing failed\n");
		abort();
	}
}

int fx_einit_with(struct fx_enclave *e, const struct sgx_sigstruct *sigstruct)
{
	struct sgx_sigstruct *sig = xalloc(SGX_PAGE_SIZE, sizeof(*sig));
	struct sgx_einittoken *token = xalloc(512, sizeof(*token));
	uint8_t mrsigner[32];
	int ret;

	memcpy(sig, sigstruct, sizeof(*sig));
	memcpy(&e->sigstruct, sig, sizeof(*sig));
	/* As Linux does: LEPUBKEYHASH := SHA-256(MODULUS), then EINIT with an all-zero token. */
	if (sgx_sigstruct_mrsigner(sig, mrsigner))
		abort();
	sgx_cpu_write_lepubkeyhash(e->fx->cpu, mrsigner);
	ret = encls_einit(e->fx->klp, sig, e->secs, token);
	free(token);
	free(sig);
	return ret;
}

int fx_einit(struct fx_enclave *e)
{
	struct sgx_sigstruct sig;

	fx_sigstruct_prepare(e, &sig);
	fx_sigstruct_sign(&sig);
	return fx_einit_with(e, &sig);
}

struct fx_enclave *fx_build_init_at(struct fx *fx, uint64_t base)
{
	struct fx_enclave *e = fx_build_at(fx, base);
	int ret;

	if (!e)
		return NULL;
	ret = fx_einit(e);
	if (ret) {
		harness_fail(__FILE__, __LINE__, "EINIT returned %s", sgx_code_name(ret));
		return NULL;
	}
	return e;
}

struct fx_enclave *fx_build_init(struct fx *fx)
{
	return fx_build_init_at(fx, FX_ENCL_BASE);
}

int fx_eaug(struct fx_enclave *e, uint64_t offset, uint64_t *epc_out)
{
	struct sgx_pageinfo pginfo = { 0 };
	uint64_t epc = fx_epc_alloc(e->fx);
	int ret;

	pginfo.linaddr = e->base + offset;
	pginfo.secs = e->secs;
	ret = encls_eaug(e->fx->klp, &pginfo, epc);
	if (ret)
		fx_epc_release(e->fx, epc);
	else
		map_page(e, offset, epc);
	if (epc_out)
		*epc_out = epc;
	return ret;
}

uint64_t fx_la(const struct fx_enclave *e, uint64_t offset)
{
	return e->base + offset;
}

void *fx_mem(const struct fx_enclave *e, uint64_t offset)
{
	uint64_t pa = e->pa[offset / SGX_PAGE_SIZE];

	return pa ? sgx_cpu_epc_mem(e->fx->cpu, pa + (offset & (SGX_PAGE_SIZE - 1))) : NULL;
}

void fx_put_secinfo(struct fx_enclave *e, uint64_t offset, uint64_t flags)
{
	struct sgx_secinfo *si = fx_mem(e, offset);

	memset(si, 0, sizeof(*si));
	si->flags = flags;
}

struct sgx_epcm_info fx_epcm(const struct fx_enclave *e, uint64_t offset)
{
	struct sgx_epcm_info info = { 0 };
	uint64_t pa = e->pa[offset / SGX_PAGE_SIZE];

	if (pa)
		sgx_cpu_epcm_read(e->fx->cpu, pa, &info);
	return info;
}

/* The enclave's page table: present pages are those the fixture mapped. */
static uint32_t fx_translate(void *ctx, uint64_t la, uint32_t access, uint64_t *pa)
{
	const struct fx_enclave *e = ctx;
	uint64_t page;
	uint8_t need;

	if (la < e->base || la - e->base >= e->size)
		return SGX_PF_U | access;
	page = (la - e->base) / SGX_PAGE_SIZE;
	if (page >= FX_PAGES || !e->pa[page])
		return SGX_PF_U | access;
	need = (access & SGX_PF_W) ? SGX_SECINFO_W : (access & SGX_PF_I) ? SGX_SECINFO_X : SGX_SECINFO_R;
	if (!(e->pt_perm[page] & need))
		return SGX_PF_P | SGX_PF_U | access;
	*pa = e->pa[page] + (la & (SGX_PAGE_SIZE - 1));
	return 0;
}

static const struct sgx_mmu fx_mmu = { .translate = fx_translate };

struct sgx_lp *fx_lp(struct fx_enclave *e)
{
	struct fx *fx = e->fx;
	struct sgx_lp *lp;

	if (fx->nr_lps == FX_MAX_LPS) {
		fprintf(stderr, "fixture: too many logical processors\n");
		abort();
	}
	lp = sgx_lp_create(fx->cpu, &fx_mmu, e);
	fx->lps[fx->nr_lps++] = lp;
	return lp;
}

int fx_enter(struct sgx_lp *lp, struct fx_enclave *e, uint64_t tcs_offset, struct sgx_regs *regs)
{
	struct sgx_regs local = { 0 };

	if (!regs)
		regs = &local;
	regs->rbx = fx_la(e, tcs_offset);
	regs->rcx = FX_AEP;
	regs->rip = FX_ENCLU_RIP;
	regs->rsp = FX_URSP;
	regs->rbp = FX_URBP;
	return enclu_eenter(lp, regs);
}

void fx_exit(struct sgx_lp *lp)
{
	struct sgx_regs regs = { .rbx = FX_ENCLU_RIP + 3 };
	int ret = enclu_eexit(lp, &regs);

	if (ret)
		harness_fail(__FILE__, __LINE__, "EEXIT returned %s", sgx_code_name(ret));
}
