/* SPDX-License-Identifier: MIT */
/*
 * The driver test fixture (see dfx.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "cpu/fixture.h"
#include "dfx.h"
#include "softsgx/measure.h"
#include "softsgx/sign.h"

#define PAGE 4096ull

int dfx_create(struct dfx_encl *e, uint64_t size, uint64_t attributes)
{
	int ret = dfx_open_reserved(e, size);

	return ret ? ret : dfx_ecreate(e, attributes);
}

int dfx_open_reserved(struct dfx_encl *e, uint64_t size)
{
	memset(e, 0, sizeof(*e));
	e->fd = softsgx_open("/dev/sgx_enclave", O_RDWR | O_CLOEXEC);
	if (e->fd < 0)
		return -errno;
	/* As runtimes do: reserve twice the size and place ELRANGE at an aligned base. */
	e->reservation_len = 2 * size;
	e->reservation = mmap(NULL, e->reservation_len, PROT_NONE,
			      MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (e->reservation == MAP_FAILED)
		return -errno;
	e->base = ((uint64_t)(uintptr_t)e->reservation + size - 1) & ~(size - 1);
	e->size = size;
	return 0;
}

int dfx_ecreate(struct dfx_encl *e, uint64_t attributes)
{
	struct sgx_secs *secs = aligned_alloc(PAGE, PAGE);
	struct sgx_enclave_create create = { .src = (uintptr_t)secs };
	int ret;

	fx_secs_default(secs, e->base, e->size);
	secs->attributes.flags |= attributes;
	ret = softsgx_ioctl(e->fd, SGX_IOC_ENCLAVE_CREATE, &create) ? -errno : 0;
	if (!ret) {
		e->measure = sgx_measure_new();
		sgx_measure_ecreate(e->measure, secs->ssa_frame_size, e->size);
	}
	free(secs);
	return ret;
}

int dfx_add(struct dfx_encl *e, uint64_t offset, uint64_t len, const void *src, uint64_t flags,
	    bool measure)
{
	uint8_t *buf = aligned_alloc(PAGE, len);
	struct sgx_secinfo secinfo = { .flags = flags };
	struct sgx_enclave_add_pages add = {
		.src = (uintptr_t)buf, .offset = offset, .length = len,
		.secinfo = (uintptr_t)&secinfo, .flags = measure ? SGX_PAGE_MEASURE : 0,
	};
	uint64_t mflags = flags, c;
	int ret, err;

	if (src)
		memcpy(buf, src, len);
	else
		memset(buf, 0, len);
	ret = softsgx_ioctl(e->fd, SGX_IOC_ENCLAVE_ADD_PAGES, &add);
	err = errno;
	if ((flags & SGX_SECINFO_PT_MASK) == SGX_SECINFO_TCS)
		mflags &= ~SGX_SECINFO_PERM_MASK;
	for (c = 0; c < add.count; c += PAGE)
		sgx_measure_page(e->measure, offset + c, mflags, buf + c, measure);
	free(buf);
	errno = err;
	return ret;
}

struct sgx_sigstruct *dfx_sigstruct(struct dfx_encl *e)
{
	struct sgx_sigstruct *sig = aligned_alloc(PAGE, PAGE);

	sgx_sigstruct_init(sig);
	sig->header.vendor = 0x8086;
	sig->body.miscselect = SGX_MISC_EXINFO;
	sig->body.misc_mask = ~0u;
	sig->body.attributes.flags = SGX_ATTR_MODE64BIT | SGX_ATTR_DEBUG;
	sig->body.attributes.xfrm = 3;
	sig->body.attributes_mask.flags = SGX_ATTR_MODE64BIT | SGX_ATTR_DEBUG;
	sig->body.attributes_mask.xfrm = 3;
	sgx_measure_digest(e->measure, e->mrenclave);
	memcpy(sig->body.mrenclave, e->mrenclave, 32);
	fx_sigstruct_sign(sig);
	return sig;
}

int dfx_init(struct dfx_encl *e)
{
	struct sgx_sigstruct *sig = dfx_sigstruct(e);
	struct sgx_enclave_init init = { .sigstruct = (uintptr_t)sig };
	int ret, err;

	ret = softsgx_ioctl(e->fd, SGX_IOC_ENCLAVE_INIT, &init);
	err = errno;
	free(sig);
	errno = err;
	return ret;
}

static bool map_or_fail(struct dfx_encl *e, uint64_t offset, uint64_t len, int prot)
{
	if (dfx_map(e, offset, len, prot) == MAP_FAILED) {
		harness_fail(__FILE__, __LINE__, "mmap at %#llx: %s", (unsigned long long)offset,
			     strerrorname_np(errno));
		return false;
	}
	return true;
}

struct dfx_encl *dfx_build(void)
{
	struct dfx_encl *e = calloc(1, sizeof(*e));
	struct sgx_tcs *tcs = aligned_alloc(PAGE, PAGE);
	const uint64_t rw = SGX_SECINFO_REG | SGX_SECINFO_R | SGX_SECINFO_W;
	bool ok;

	ok = dfx_create(e, DFX_SIZE, 0) == 0;
	fx_tcs_default(tcs, DFX_SSA0);
	tcs->oentry = DFX_CODE;
	ok = ok && !dfx_add(e, DFX_TCS0, PAGE, tcs, SGX_SECINFO_TCS, true);
	tcs->ossa = DFX_SSA1;
	ok = ok && !dfx_add(e, DFX_TCS1, PAGE, tcs, SGX_SECINFO_TCS, true);
	ok = ok && !dfx_add(e, DFX_SSA0, 4 * PAGE, NULL, rw, true);
	ok = ok && !dfx_add(e, DFX_CODE, PAGE, NULL, SGX_SECINFO_REG | SGX_SECINFO_R | SGX_SECINFO_X, true);
	ok = ok && !dfx_add(e, DFX_DATA, 3 * PAGE, NULL, rw, true);
	ok = ok && !dfx_add(e, DFX_RODATA, PAGE, NULL, SGX_SECINFO_REG | SGX_SECINFO_R, true);
	ok = ok && !dfx_init(e);
	free(tcs);
	if (!ok) {
		harness_fail(__FILE__, __LINE__, "building the enclave: %s", strerrorname_np(errno));
		dfx_close(e);
		return NULL;
	}
	ok = map_or_fail(e, 0, DFX_CODE, PROT_READ | PROT_WRITE) &&
	     map_or_fail(e, DFX_CODE, PAGE, PROT_READ | PROT_EXEC) &&
	     map_or_fail(e, DFX_DATA, 3 * PAGE, PROT_READ | PROT_WRITE) &&
	     map_or_fail(e, DFX_RODATA, PAGE, PROT_READ) &&
	     map_or_fail(e, DFX_RODATA + PAGE, DFX_SIZE - DFX_RODATA - PAGE, PROT_READ | PROT_WRITE);
	if (!ok) {
		dfx_close(e);
		return NULL;
	}
	return e;
}

struct dfx_encl *dfx_new_with_data(uint64_t attributes)
{
	struct dfx_encl *e = dfx_new_created(attributes);

	if (e && dfx_add(e, DFX_DATA, PAGE, NULL, SGX_SECINFO_REG | SGX_SECINFO_R | SGX_SECINFO_W,
			 true)) {
		harness_fail(__FILE__, __LINE__, "adding a data page: %s", strerrorname_np(errno));
		dfx_close(e);
		return NULL;
	}
	return e;
}

struct dfx_encl *dfx_new_layout(void)
{
	struct dfx_encl *e = dfx_new_created(0);
	int ret;

	if (!e)
		return NULL;
	ret = dfx_add_layout(e);
	if (ret) {
		harness_fail(__FILE__, __LINE__, "adding the layout: %s", strerrorname_np(-ret));
		dfx_close(e);
		return NULL;
	}
	return e;
}

void dfx_close(struct dfx_encl *e)
{
	if (!e)
		return;
	if (e->reservation && e->reservation != MAP_FAILED)
		softsgx_munmap(e->reservation, e->reservation_len);
	if (e->fd >= 0)
		softsgx_close(e->fd);
	sgx_measure_free(e->measure);
	free(e);
}

uint64_t dfx_la(const struct dfx_encl *e, uint64_t offset)
{
	return e->base + offset;
}

void *dfx_ptr(const struct dfx_encl *e, uint64_t offset)
{
	return (void *)(uintptr_t)dfx_la(e, offset);
}

void *dfx_mem(struct dfx_encl *e, uint64_t offset)
{
	struct sgx_encl *encl = sgx_encl_from_fd(sgx_platform_get(), e->fd);
	void *p;

	if (!encl)
		return NULL;
	p = sgx_encl_phys(encl, e->base + offset);
	sgx_encl_put(encl);
	return p;
}

uint64_t dfx_secinfo(struct dfx_encl *e, int slot, uint64_t flags)
{
	struct sgx_secinfo *si = dfx_mem(e, DFX_SECINFO + 64 * (uint64_t)slot);

	memset(si, 0, sizeof(*si));
	si->flags = flags;
	return dfx_la(e, DFX_SECINFO + 64 * (uint64_t)slot);
}

struct sgx_epcm_info dfx_epcm(struct dfx_encl *e, uint64_t offset)
{
	struct sgx_platform *plat = sgx_platform_get();
	struct sgx_encl *encl = sgx_encl_from_fd(plat, e->fd);
	struct sgx_epcm_info info = { 0 };
	struct sgx_encl_page *page;

	if (!encl)
		return info;
	pthread_mutex_lock(&encl->lock);
	page = sgx_encl_load_page(encl, e->base + offset);
	if (page && page->epc)
		sgx_cpu_epcm_read(plat->cpu, page->epc, &info);
	pthread_mutex_unlock(&encl->lock);
	sgx_encl_put(encl);
	return info;
}

/* Threads */

void dfx_thread_init(struct dfx_thread *t)
{
	struct sgx_platform *plat = sgx_platform_get();

	memset(t, 0, sizeof(*t));
	t->lp = sgx_lp_create(plat->cpu, &sgx_process_mmu, plat);
}

void dfx_thread_fini(struct dfx_thread *t)
{
	sgx_lp_destroy(t->lp);
}

/*
 * EENTER/ERESUME as the vDSO runs them: a #PF of the leaf itself (TCS or SSA
 * page without a page-table entry) goes to the fault handler and the leaf
 * is retried when it resolved it.
 */
/*
 * A fault the handler keeps answering "retry" for is not being resolved:
 * a failure of the emulator, recorded instead of retried for ever.
 */
#define DFX_MAX_RETRIES 64

static void stuck(const char *what, uint64_t addr)
{
	harness_fail(__FILE__, __LINE__, "%s: the fault handler resolves the fault at %#llx, "
		     "it comes back %d times", what, (unsigned long long)addr, DFX_MAX_RETRIES);
}

static int enter_leaf(struct dfx_thread *t, bool resume)
{
	struct sgx_platform *plat = sgx_platform_get();
	struct sgx_regs saved = t->regs;
	struct sgx_fault_info f;
	uint32_t pfec;
	int ret, tries;

	for (tries = 0; tries < DFX_MAX_RETRIES; tries++) {
		pthread_rwlock_rdlock(&plat->mmap_lock);
		ret = resume ? enclu_eresume(t->lp, &t->regs) : enclu_eenter(t->lp, &t->regs);
		pthread_rwlock_unlock(&plat->mmap_lock);
		if (!sgx_is_fault(ret) || sgx_fault_vector(ret) != SGX_VEC_PF)
			return ret;
		f = *sgx_lp_fault(t->lp);
		if (dfx_vma_fault(f.addr, f.error_code | SGX_FAULT_WALK, &pfec) != SGX_FAULT_RETRY) {
			t->exc = (struct sgx_exception){ .vector = SGX_VEC_PF, .has_error_code = true,
							 .error_code = pfec, .addr = f.addr };
			return SGX_PF;
		}
		t->regs = saved;
	}
	stuck(resume ? "ERESUME" : "EENTER", sgx_lp_fault(t->lp)->addr);
	return SGX_PF;
}

int dfx_enter(struct dfx_thread *t, struct dfx_encl *e, uint64_t tcs)
{
	memset(&t->regs, 0, sizeof(t->regs));
	t->regs.rbx = dfx_la(e, tcs);
	t->regs.rcx = FX_AEP;
	t->regs.rip = FX_ENCLU_RIP;
	t->regs.rsp = FX_URSP;
	t->regs.rbp = FX_URBP;
	t->encl = e;
	return enter_leaf(t, false);
}

int dfx_exit(struct dfx_thread *t)
{
	t->regs.rbx = FX_ENCLU_RIP + 3;
	return enclu_eexit(t->lp, &t->regs);
}

int dfx_resume(struct dfx_thread *t)
{
	t->regs.rbx = sgx_lp_tcs(t->lp);
	t->regs.rcx = FX_AEP;
	return enter_leaf(t, true);
}

enum op { OP_EACCEPT, OP_EMODPE, OP_EACCEPTCOPY, OP_ACCESS };

static int op_run(struct dfx_thread *t, enum op op, uint64_t a, uint64_t b, uint64_t c)
{
	switch (op) {
	case OP_EACCEPT:
		return enclu_eaccept(t->lp, a, b);
	case OP_EMODPE:
		return enclu_emodpe(t->lp, a, b);
	case OP_EACCEPTCOPY:
		return enclu_eacceptcopy(t->lp, a, b, c);
	default:
		return sgx_enclave_access(t->lp, a, (uint32_t)b);
	}
}

/* What hardware and Linux do with a fault of the enclave (see dfx.h). */
static int run(struct dfx_thread *t, enum op op, uint64_t a, uint64_t b, uint64_t c)
{
	struct sgx_platform *plat = sgx_platform_get();
	struct sgx_fault_info f;
	uint32_t pfec;
	int ret, tries;

	for (tries = 0; tries < DFX_MAX_RETRIES; tries++) {
		pthread_rwlock_rdlock(&plat->mmap_lock);
		ret = op_run(t, op, a, b, c);
		pthread_rwlock_unlock(&plat->mmap_lock);
		if (!sgx_is_fault(ret))
			return ret;
		f = *sgx_lp_fault(t->lp);
		t->exc = (struct sgx_exception){ .vector = f.vector, .has_error_code = true,
						 .error_code = f.error_code, .addr = f.addr };
		if (sgx_aex(t->lp, &t->regs, &t->exc))
			return DFX_EXCEPTION;
		if (f.vector != SGX_VEC_PF)
			return DFX_EXCEPTION;
		if (dfx_vma_fault(f.addr, f.error_code | SGX_FAULT_WALK, &pfec) != SGX_FAULT_RETRY) {
			t->exc.error_code = pfec;
			return DFX_EXCEPTION;
		}
		if (dfx_resume(t))
			return DFX_EXCEPTION;
	}
	stuck("a leaf or access inside", sgx_lp_fault(t->lp)->addr);
	return DFX_EXCEPTION;
}

int dfx_eaccept(struct dfx_thread *t, uint64_t secinfo, uint64_t page)
{
	return run(t, OP_EACCEPT, secinfo, page, 0);
}

int dfx_emodpe(struct dfx_thread *t, uint64_t secinfo, uint64_t page)
{
	return run(t, OP_EMODPE, secinfo, page, 0);
}

int dfx_eacceptcopy(struct dfx_thread *t, uint64_t secinfo, uint64_t dst, uint64_t src)
{
	return run(t, OP_EACCEPTCOPY, secinfo, dst, src);
}

int dfx_access(struct dfx_thread *t, uint64_t la, uint32_t access)
{
	return run(t, OP_ACCESS, la, access, 0);
}

struct dfx_encl *dfx_build_entered(struct dfx_thread *t)
{
	struct dfx_encl *e = dfx_build();
	int ret;

	if (!e)
		return NULL;
	dfx_thread_init(t);
	ret = dfx_enter(t, e, DFX_TCS0);
	if (ret != SGX_SUCCESS) {
		harness_fail(__FILE__, __LINE__, "EENTER returned %s (%#x)", harness_sgx_name(ret), ret);
		dfx_thread_fini(t);
		dfx_close(e);
		return NULL;
	}
	return e;
}

bool dfx_eaug_accept(struct dfx_thread *t, struct dfx_encl *e, uint64_t offset, int n)
{
	uint64_t si = dfx_secinfo(e, 0, SGX_SECINFO_REG | SGX_SECINFO_R | SGX_SECINFO_W |
					SGX_SECINFO_PENDING);
	int i;

	for (i = 0; i < n; i++)
		if (dfx_eaccept(t, si, dfx_la(e, offset + i * PAGE)) != SGX_SUCCESS)
			return false;
	return true;
}

bool dfx_prefault(struct dfx_thread *t, struct dfx_encl *e, uint64_t offset, uint32_t access)
{
	const uint64_t la[2] = { dfx_la(e, DFX_SECINFO), dfx_la(e, offset) };
	const uint32_t how[2] = { 0, access };
	int i, ret;

	for (i = 0; i < 2; i++) {
		ret = dfx_access(t, la[i], how[i]);
		if (ret != SGX_SUCCESS) {
			harness_fail(__FILE__, __LINE__, "access %#x to %#llx returned %s (%#x)", how[i],
				     (unsigned long long)la[i], harness_sgx_name(ret), ret);
			return false;
		}
	}
	return true;
}

bool dfx_touch_pages(struct dfx_encl *e, uint64_t offset, int n, uint32_t access)
{
	struct dfx_thread t;
	bool ok;
	int i;

	dfx_thread_init(&t);
	ok = dfx_enter(&t, e, DFX_TCS0) == SGX_SUCCESS;
	for (i = 0; ok && i < n; i++)
		ok = dfx_access(&t, dfx_la(e, offset + i * PAGE), access) == SGX_SUCCESS;
	ok = ok && dfx_exit(&t) == SGX_SUCCESS;
	dfx_thread_fini(&t);
	return ok;
}

/* The IPI double */

static unsigned int ipi_interrupt(void *ctx, struct sgx_encl *encl)
{
	struct dfx_ipi *ipi = ctx;
	struct sgx_exception irq = { .vector = 32 };
	unsigned int n = 0;
	int i;

	ipi->rounds++;
	for (i = 0; i < ipi->nr_threads; i++) {
		struct dfx_thread *t = ipi->threads[i];
		uint64_t tcs = sgx_lp_tcs(t->lp);

		if (!sgx_lp_in_enclave(t->lp) || tcs < encl->base || tcs - encl->base >= encl->size)
			continue;
		n++;
		if (ipi->aex) {
			sgx_aex(t->lp, &t->regs, &irq);
			t->interrupted++;
		}
	}
	ipi->interrupted += n;
	return n;
}

void dfx_ipi_install(struct dfx_ipi *ipi)
{
	struct sgx_ipi_ops ops = { .interrupt = ipi_interrupt, .ctx = ipi };

	sgx_platform_set_ipi(sgx_platform_get(), &ops);
}

void dfx_ipi_add(struct dfx_ipi *ipi, struct dfx_thread *t)
{
	ipi->threads[ipi->nr_threads++] = t;
}

void dfx_set_tracking(enum softsgx_tracking mode)
{
	sgx_platform_get()->cfg.tracking = mode;
}

void dfx_restore_defaults(void)
{
	dfx_set_tracking(SOFTSGX_TRACK_PER_PAGE);
	dfx_ipi_uninstall();
}

/* dsgx2: SGX2 ioctl wrappers and argument pages */

int dfx_restrict(struct dfx_encl *e, uint64_t offset, uint64_t length, uint64_t perm,
		 struct sgx_enclave_restrict_permissions *out)
{
	struct sgx_enclave_restrict_permissions p = { .offset = offset, .length = length,
						      .permissions = perm };
	int ret = softsgx_ioctl(e->fd, SGX_IOC_ENCLAVE_RESTRICT_PERMISSIONS, &p), err = errno;

	if (out)
		*out = p;
	errno = err;
	return ret;
}

int dfx_modify(struct dfx_encl *e, uint64_t offset, uint64_t length, uint64_t type,
	       struct sgx_enclave_modify_types *out)
{
	struct sgx_enclave_modify_types p = { .offset = offset, .length = length, .page_type = type };
	int ret = softsgx_ioctl(e->fd, SGX_IOC_ENCLAVE_MODIFY_TYPES, &p), err = errno;

	if (out)
		*out = p;
	errno = err;
	return ret;
}

int dfx_remove(struct dfx_encl *e, uint64_t offset, uint64_t length,
	       struct sgx_enclave_remove_pages *out)
{
	struct sgx_enclave_remove_pages p = { .offset = offset, .length = length };
	int ret = softsgx_ioctl(e->fd, SGX_IOC_ENCLAVE_REMOVE_PAGES, &p), err = errno;

	if (out)
		*out = p;
	errno = err;
	return ret;
}

void *dfx_ro_copy(const void *src, size_t len)
{
	void *p = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		return NULL;
	memcpy(p, src, len);
	mprotect(p, PAGE, PROT_READ);
	return p;
}

void *dfx_unreadable(void)
{
	void *p = mmap(NULL, PAGE, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

void dfx_page_free(void *p)
{
	if (p)
		munmap(p, PAGE);
}

void dfx_ipi_uninstall(void)
{
	struct sgx_ipi_ops ops = { 0 };

	sgx_platform_set_ipi(sgx_platform_get(), &ops);
}

/* dmap: the default enclave's pages without INIT or mappings */

int dfx_add_layout(struct dfx_encl *e)
{
	struct sgx_tcs *tcs = aligned_alloc(PAGE, PAGE);
	const uint64_t rw = SGX_SECINFO_REG | SGX_SECINFO_R | SGX_SECINFO_W;
	int ret = 0;

	if (!tcs)
		return -ENOMEM;
	fx_tcs_default(tcs, DFX_SSA0);
	tcs->oentry = DFX_CODE;
	if (dfx_add(e, DFX_TCS0, PAGE, tcs, SGX_SECINFO_TCS, true))
		ret = -errno;
	tcs->ossa = DFX_SSA1;
	if (!ret && dfx_add(e, DFX_TCS1, PAGE, tcs, SGX_SECINFO_TCS, true))
		ret = -errno;
	if (!ret && dfx_add(e, DFX_SSA0, 4 * PAGE, NULL, rw, true))
		ret = -errno;
	if (!ret && dfx_add(e, DFX_CODE, PAGE, NULL, SGX_SECINFO_REG | SGX_SECINFO_R | SGX_SECINFO_X, true))
		ret = -errno;
	if (!ret && dfx_add(e, DFX_DATA, 3 * PAGE, NULL, rw, true))
		ret = -errno;
	if (!ret && dfx_add(e, DFX_RODATA, PAGE, NULL, SGX_SECINFO_REG | SGX_SECINFO_R, true))
		ret = -errno;
	free(tcs);
	return ret;
}

/* dbuild: created enclaves and argument holes */

struct dfx_encl *dfx_new_created(uint64_t attributes)
{
	struct dfx_encl *e = calloc(1, sizeof(*e));
	int ret;

	if (!e)
		return NULL;
	ret = dfx_create(e, DFX_SIZE, attributes);
	if (ret) {
		harness_fail(__FILE__, __LINE__, "creating an enclave: %s", strerrorname_np(-ret));
		dfx_close(e);
		return NULL;
	}
	return e;
}

uint8_t *dfx_before_hole(void)
{
	uint8_t *p = mmap(NULL, 2 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		return NULL;
	mprotect(p + PAGE, PAGE, PROT_NONE);
	return p;
}

void dfx_hole_free(uint8_t *p)
{
	if (p)
		munmap(p, 2 * PAGE);
}

/* dsgx2: a second leaf while an enclave thread's leaf holds a page */

struct during_leaf {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	atomic_bool armed;
	int stage;                 /* 0 running, 1 paused in the leaf, 2 let it finish */
	unsigned int leaf_id;
	struct dfx_thread *t;
	uint64_t secinfo, page;
	int leaf_ret;
};

static void during_leaf_hook(void *ctx, struct sgx_lp *lp, unsigned int leaf_id, uint64_t epc)
{
	struct during_leaf *d = ctx;
	bool armed = true;

	(void)epc;
	if (leaf_id != d->leaf_id || lp != d->t->lp ||
	    !atomic_compare_exchange_strong(&d->armed, &armed, false))
		return;
	pthread_mutex_lock(&d->lock);
	d->stage = 1;
	pthread_cond_broadcast(&d->cond);
	while (d->stage != 2)
		pthread_cond_wait(&d->cond, &d->lock);
	pthread_mutex_unlock(&d->lock);
}

static void *during_leaf_thread(void *arg)
{
	struct during_leaf *d = arg;

	if (d->leaf_id == SGX_LEAF_ENCLU(ENCLU_EMODPE))
		d->leaf_ret = dfx_emodpe(d->t, d->secinfo, d->page);
	else
		d->leaf_ret = dfx_eaccept(d->t, d->secinfo, d->page);
	return NULL;
}

int dfx_during_leaf(struct dfx_thread *t, unsigned int leaf_id, uint64_t secinfo, uint64_t page,
		    int (*during)(void *ctx), void *ctx, int *leaf_ret)
{
	struct sgx_cpu *cpu = sgx_platform_get()->cpu;
	struct during_leaf d = { .leaf_id = leaf_id, .t = t, .secinfo = secinfo, .page = page };
	struct timespec deadline;
	pthread_t thread;
	int ret = -2, err = 0, wait = 0;

	pthread_mutex_init(&d.lock, NULL);
	pthread_cond_init(&d.cond, NULL);
	atomic_init(&d.armed, true);
	sgx_cpu_set_pause_hook(cpu, during_leaf_hook, &d);
	if (pthread_create(&thread, NULL, during_leaf_thread, &d)) {
		sgx_cpu_set_pause_hook(cpu, NULL, NULL);
		harness_fail(__FILE__, __LINE__, "pthread_create");
		return ret;
	}
	clock_gettime(CLOCK_REALTIME, &deadline);
	deadline.tv_sec += 30;
	pthread_mutex_lock(&d.lock);
	while (d.stage != 1 && !wait)
		wait = pthread_cond_timedwait(&d.cond, &d.lock, &deadline);
	pthread_mutex_unlock(&d.lock);
	if (d.stage == 1) {
		ret = during(ctx);
		err = errno;
	} else {
		atomic_store(&d.armed, false);
		harness_fail(__FILE__, __LINE__, "the enclave thread's leaf never paused");
	}
	pthread_mutex_lock(&d.lock);
	d.stage = 2;
	pthread_cond_broadcast(&d.cond);
	pthread_mutex_unlock(&d.lock);
	pthread_join(thread, NULL);
	sgx_cpu_set_pause_hook(cpu, NULL, NULL);
	pthread_cond_destroy(&d.cond);
	pthread_mutex_destroy(&d.lock);
	*leaf_ret = d.leaf_ret;
	errno = err;
	return ret;
}

int dfx_host_prot(uint64_t addr)
{
	char perms[5];

	if (!dfx_maps_lookup(addr, perms, NULL, 0))
		return -1;
	return (perms[0] == 'r' ? PROT_READ : 0) | (perms[1] == 'w' ? PROT_WRITE : 0) |
	       (perms[2] == 'x' ? PROT_EXEC : 0);
}

/* The process's mappings */

void *dfx_map(struct dfx_encl *e, uint64_t offset, uint64_t len, int prot)
{
	return softsgx_mmap(dfx_ptr(e, offset), len, prot, MAP_SHARED | MAP_FIXED, e->fd, 0);
}

int dfx_protect(struct dfx_encl *e, uint64_t offset, uint64_t len, int prot)
{
	return softsgx_mprotect(dfx_ptr(e, offset), len, prot);
}

int dfx_unmap(struct dfx_encl *e, uint64_t offset, uint64_t len)
{
	return softsgx_munmap(dfx_ptr(e, offset), len);
}

enum sgx_fault_result dfx_vma_fault(uint64_t addr, uint32_t access, uint32_t *pfec)
{
	struct sgx_platform *plat = sgx_platform_get();
	enum sgx_fault_result res;

	pthread_rwlock_rdlock(&plat->mmap_lock);
	res = sgx_vma_fault(plat, addr, access, pfec);
	pthread_rwlock_unlock(&plat->mmap_lock);
	return res;
}

bool dfx_maps_lookup(uint64_t addr, char perms[5], char *path, size_t path_len)
{
	FILE *f = fopen("/proc/self/maps", "r");
	char line[512];
	bool found = false;

	if (!f)
		return false;
	while (!found && fgets(line, sizeof(line), f)) {
		unsigned long long lo, hi;
		char p[5];
		int n = 0;

		if (sscanf(line, "%llx-%llx %4s %*s %*s %*s %n", &lo, &hi, p, &n) < 3 || addr < lo ||
		    addr >= hi)
			continue;
		found = true;
		memcpy(perms, p, 5);
		if (path) {
			snprintf(path, path_len, "%s", n ? line + n : "");
			path[strcspn(path, "\n")] = 0;
		}
	}
	fclose(f);
	return found;
}

int dfx_maps_lines(uint64_t start, uint64_t end)
{
	FILE *f = fopen("/proc/self/maps", "r");
	char line[512];
	int lines = 0;

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f)) {
		unsigned long long lo, hi;

		if (sscanf(line, "%llx-%llx", &lo, &hi) == 2 && lo < end && hi > start)
			lines++;
	}
	fclose(f);
	return lines;
}

size_t dfx_free_epc(void)
{
	return sgx_nr_free_epc_pages(sgx_platform_get());
}

bool dfx_waits_in_futex(int tid)
{
	char path[64], buf[32];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/self/task/%d/syscall", tid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return false;
	buf[n] = '\0';
	return !strncmp(buf, "202 ", 4);
}

size_t dfx_free_epc_settled(void)
{
	struct sgx_platform *plat = sgx_platform_get();
	size_t n;

	sgx_ksgxd_pause(plat, true);
	n = sgx_nr_free_epc_pages(plat);
	sgx_ksgxd_pause(plat, false);
	return n;
}

/* Arguments the driver reads but cannot write back, and ones it cannot read */

int dfx_ioctl_ro(int fd, unsigned long cmd, void *arg, size_t len)
{
	void *ro = dfx_ro_copy(arg, len);
	int ret, err;

	if (!ro) {
		harness_fail(__FILE__, __LINE__, "no read-only page");
		errno = ENOMEM;
		return -1;
	}
	ret = softsgx_ioctl(fd, cmd, ro);
	err = errno;
	memcpy(arg, ro, len);
	dfx_page_free(ro);
	errno = err;
	return ret;
}

void dfx_expect_einval_no_copy_back(struct dfx_encl *e, unsigned long cmd, void *arg, size_t len)
{
	uint8_t copy[PAGE];

	memcpy(copy, arg, len);
	EXPECT_ERRNO(dfx_ioctl_ro(e->fd, cmd, copy, len), EINVAL);
	EXPECT_TRUE(!memcmp(copy, arg, len));
	/* Writable, too: the struct keeps what the caller put in. */
	EXPECT_ERRNO(softsgx_ioctl(e->fd, cmd, arg), EINVAL);
	EXPECT_TRUE(!memcmp(copy, arg, len));
}

void dfx_expect_unreadable_arg(int fd, unsigned long cmd, int err)
{
	void *none = dfx_unreadable();

	EXPECT_ERRNO(softsgx_ioctl(fd, cmd, NULL), err);
	EXPECT_ERRNO(softsgx_ioctl(fd, cmd, (void *)8), err);
	EXPECT_TRUE(none);
	if (none)
		EXPECT_ERRNO(softsgx_ioctl(fd, cmd, none), err);
	dfx_page_free(none);
}

void dfx_expect_not_created_einval(unsigned long cmd, void *arg, size_t len)
{
	int fd = softsgx_open("/dev/sgx_enclave", O_RDWR);
	uint8_t copy[PAGE];

	if (fd < 0) {
		harness_fail(__FILE__, __LINE__, "open: %s", strerrorname_np(errno));
		return;
	}
	memcpy(copy, arg, len);
	EXPECT_ERRNO(softsgx_ioctl(fd, cmd, arg), EINVAL);
	EXPECT_TRUE(!memcmp(copy, arg, len));
	softsgx_close(fd);
}
