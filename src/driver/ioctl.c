/* SPDX-License-Identifier: MIT */
/*
 * The SGX_IOC_ENCLAVE_* ioctls, one handler each, like Linux's ioctl.c:
 * sgx_ioc_*() copies in and validates in Linux's order, the worker does
 * the page loop under encl->lock, and the handler copies the result out.
 * Errors found before a page loop leave the user's struct untouched; once
 * a loop ran the struct goes back with count (and result) filled in. One
 * exception, as in Linux: MODIFY_TYPES with an invalid page_type fails
 * (-EINVAL) after the copy-in and copies the struct back, count and result 0.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <asm/sgx.h>

#include "driver/driver.h"
#include "driver/uaccess.h"
#include "softsgx/sign.h"
#include "trace/trace.h"
#include "sys.h"

#define PAGE 4096ull

/* Linux's sgx_validate_offset_length(). */
static int validate_offset_length(struct sgx_encl *encl, uint64_t offset, uint64_t length)
{
	if (offset & (PAGE - 1))
		return -EINVAL;
	if (!length || (length & (PAGE - 1)))
		return -EINVAL;
	if (offset + length < offset)
		return -EINVAL;
	if (offset + length - PAGE >= encl->size)
		return -EINVAL;
	return 0;
}

/* SGX_IOC_ENCLAVE_CREATE */

static int sgx_encl_create(struct sgx_encl *encl, const struct sgx_secs *secs)
{
	struct sgx_platform *plat = encl->plat;
	struct sgx_secinfo secinfo = { .flags = SGX_SECINFO_SECS };
	struct sgx_pageinfo pginfo = { .srcpge = (uintptr_t)secs, .secinfo = (uintptr_t)&secinfo };
	struct sgx_va_page *va;
	struct sgx_vma *vma;
	uint64_t backing;
	void *phys;
	int ret;

	if (!secs->size || (secs->size & (secs->size - 1)))
		return -EINVAL;
	/* The first VA page (the SECS is the first page counted). */
	pthread_rwlock_rdlock(&plat->mmap_lock);
	ret = sgx_encl_grow(encl, true, &va);
	pthread_rwlock_unlock(&plat->mmap_lock);
	if (ret)
		return ret;
	/*
	 * Linux's backing store: a shmem file of E + E / 32 bytes (E = size + a
	 * page for the SECS); beyond the largest file size shmem_file_setup()
	 * says -EINVAL, before the SECS is allocated or ECREATE runs.
	 */
	backing = secs->size + PAGE + ((secs->size + PAGE) >> 5);
	if (backing > INT64_MAX) {
		ret = -EINVAL;
		goto err_va;
	}
	ret = sgx_encl_backing_init(encl, secs->size);
	if (ret)
		goto err_va;
	pthread_rwlock_rdlock(&plat->mmap_lock);
	ret = sgx_alloc_epc_page(plat, NULL, true, &encl->secs_epc);
	pthread_rwlock_unlock(&plat->mmap_lock);
	if (ret)
		goto err_backing;
	/* Base, size, SSA and attribute validity are ECREATE's: all of it is -EIO. */
	if (encls_ecreate(sgx_current_lp(plat), &pginfo, encl->secs_epc)) {
		ret = -EIO;
		goto err_epc;
	}
	encl->eid = sgx_cpu_secs_eid(plat->cpu, encl->secs_epc);
	/*
	 * The enclave's memory: one sparse file, page i at offset i * 4096. Made
	 * once ECREATE has accepted the size: Linux's backing file takes any
	 * size, so a size the host cannot map must still end in ECREATE's -EIO.
	 */
	if (ftruncate(encl->memfd, (off_t)secs->size)) {
		ret = -ENOMEM;
		goto err_secs;
	}
	phys = sys_mmap(NULL, secs->size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_NORESERVE, encl->memfd, 0);
	if (phys == MAP_FAILED) {
		ret = -ENOMEM;
		goto err_secs;
	}
	encl->phys = phys;
	encl->base = secs->base;
	encl->size = secs->size;
	encl->attributes = secs->attributes.flags;
	encl->attributes_mask = SGX_ATTR_DEBUG | SGX_ATTR_MODE64BIT | SGX_ATTR_KSS | SGX_ATTR_AEXNOTIFY;
	if (secs->attributes.flags & SGX_ATTR_DEBUG)
		atomic_fetch_or(&encl->flags, SGX_ENCL_DEBUG);
	/* Mappings made before CREATE now show the enclave's memory inside ELRANGE. */
	pthread_rwlock_wrlock(&plat->mmap_lock);
	atomic_fetch_or(&encl->flags, SGX_ENCL_CREATED);
	for (vma = plat->vmas; vma; vma = vma->next) {
		if (vma->encl == encl && (ret = plat->host.map(plat->host.ctx, encl, vma->start, vma->end)))
			break;
	}
	if (vma) {
		/* The host refused one: back to reservations, as if CREATE had never run. */
		atomic_fetch_and(&encl->flags, ~(SGX_ENCL_CREATED | SGX_ENCL_DEBUG));
		for (vma = plat->vmas; vma; vma = vma->next)
			if (vma->encl == encl)
				plat->host.map(plat->host.ctx, encl, vma->start, vma->end);
		pthread_rwlock_unlock(&plat->mmap_lock);
		sys_munmap(encl->phys, encl->size);
		encl->phys = NULL;
		encl->base = encl->size = encl->attributes = encl->attributes_mask = 0;
		ret = -ENOMEM;
		goto err_secs;
	}
	pthread_rwlock_unlock(&plat->mmap_lock);
	sgx_encl_add_va_page(encl, va);
	return 0;
err_secs:
	sgx_encl_free_epc_page(plat, encl->secs_epc);
	encl->secs_epc = 0;
	goto err_backing;
err_epc:
	sgx_free_epc_page(plat, encl->secs_epc);
	encl->secs_epc = 0;
err_backing:
	sgx_encl_paging_release(encl, true);
err_va:
	sgx_encl_shrink(encl, va);
	return ret;
}

static long sgx_ioc_enclave_create(struct sgx_encl *encl, void *arg)
{
	struct sgx_enclave_create create;
	struct sgx_secs *secs;
	long ret;

	if (atomic_load(&encl->flags) & SGX_ENCL_CREATED)
		return -EINVAL;
	if (copy_from_user(&create, arg, sizeof(create)))
		return -EFAULT;
	secs = aligned_alloc(PAGE, PAGE);
	if (!secs)
		return -ENOMEM;
	ret = copy_from_user(secs, (void *)(uintptr_t)create.src, PAGE) ? -EFAULT
									  : sgx_encl_create(encl, secs);
	free(secs);
	return ret;
}

/* SGX_IOC_ENCLAVE_ADD_PAGES */

/* Linux's sgx_validate_secinfo(). */
static int validate_secinfo(const struct sgx_secinfo *secinfo)
{
	uint64_t perm = secinfo->flags & SGX_SECINFO_PERM_MASK;
	uint64_t pt = secinfo->flags & SGX_SECINFO_PT_MASK;
	size_t i;

	if (pt != SGX_SECINFO_REG && pt != SGX_SECINFO_TCS)
		return -EINVAL;
	if ((perm & SGX_SECINFO_W) && !(perm & SGX_SECINFO_R))
		return -EINVAL;
	/* A TCS may not ask for permissions: its maximum is fixed (RW). */
	if (pt == SGX_SECINFO_TCS && perm)
		return -EINVAL;
	if (secinfo->flags & ~(SGX_SECINFO_PERM_MASK | SGX_SECINFO_PT_MASK))
		return -EINVAL;
	for (i = 0; i < sizeof(secinfo->reserved); i++)
		if (secinfo->reserved[i])
			return -EINVAL;
	return 0;
}

/* EADD one page (and EEXTEND it), as Linux's sgx_encl_add_page(). */
static int sgx_encl_add_page(struct sgx_encl *encl, uint64_t src, uint64_t offset,
			     const struct sgx_secinfo *secinfo, uint64_t flags, uint8_t *bounce,
			     struct user_vma *src_vma)
{
	struct sgx_platform *plat = encl->plat;
	struct sgx_lp *lp = sgx_current_lp(plat);
	struct sgx_pageinfo pginfo = { .linaddr = encl->base + offset, .srcpge = (uintptr_t)bounce,
				       .secinfo = (uintptr_t)secinfo, .secs = encl->secs_epc };
	struct sgx_encl_page *page;
	struct sgx_va_page *va;
	uint64_t epc, chunk;
	int ret = 0;

	page = calloc(1, sizeof(*page));
	if (!page)
		return -ENOMEM;
	ret = sgx_alloc_epc_page(plat, sgx_encl_phys(encl, encl->base + offset), true, &epc);
	if (ret) {
		free(page);
		return ret;
	}
	/* encl->page_cnt belongs to encl->lock, but only ioctls (one at a time) count before EINIT. */
	ret = sgx_encl_grow(encl, true, &va);
	if (ret) {
		sgx_free_epc_page(plat, epc);
		free(page);
		return ret;
	}
	page->addr = encl->base + offset;
	page->encl = encl;
	page->epc = epc;
	page->type = (secinfo->flags & SGX_SECINFO_PT_MASK) >> SGX_SECINFO_PT_SHIFT;
	page->vm_max_prot_bits = page->type == SGX_PAGE_TYPE_TCS ? SGX_PROT_R | SGX_PROT_W
								  : secinfo->flags & SGX_SECINFO_PERM_MASK;
	pthread_mutex_lock(&encl->lock);
	if (pagemap_insert(&encl->pages, offset / PAGE, (uintptr_t)page)) {
		ret = sgx_encl_load_page(encl, page->addr) ? -EBUSY : -ENOMEM;
		goto err_unlock;
	}
	/*
	 * Deny noexec: find_vma(src) (the first host mapping ending above src,
	 * looked up again only when src leaves the last one found) must exist
	 * and have VM_MAYEXEC.
	 */
	if (src < src_vma->start || src >= src_vma->end) {
		ret = user_find_vma(src, src_vma);
		if (ret)
			goto err_erase;
	}
	if (!src_vma->may_exec) {
		ret = -EACCES;
		goto err_erase;
	}
	/* get_user_pages() refuses enclave mappings (VM_IO | VM_PFNMAP): -EFAULT. */
	if (sgx_find_vma(plat, src) || copy_from_user(bounce, (void *)(uintptr_t)src, PAGE)) {
		ret = -EFAULT;
		goto err_erase;
	}
	if (encls_eadd(lp, &pginfo, epc)) {
		ret = -EIO;
		goto err_erase;
	}
	/* EADD and EEXTEND change MRENCLAVE: nothing can undo them, so they come last. */
	for (chunk = 0; (flags & SGX_PAGE_MEASURE) && chunk < PAGE; chunk += 256) {
		if (encls_eextend(lp, encl->secs_epc, epc + chunk)) {
			sgx_encl_free_epc_page(plat, epc);
			epc = 0;
			ret = -EIO;
			goto err_erase;
		}
	}
	sgx_encl_add_va_page(encl, va);
	encl->secs_child_cnt++;
	sgx_mark_page_reclaimable(page);
	pthread_mutex_unlock(&encl->lock);
	return 0;
err_erase:
	pagemap_erase(&encl->pages, offset / PAGE);
err_unlock:
	sgx_encl_shrink(encl, va);
	pthread_mutex_unlock(&encl->lock);
	if (epc)
		sgx_free_epc_page(plat, epc);
	free(page);
	return ret;
}

static long sgx_ioc_enclave_add_pages(struct sgx_encl *encl, void *arg)
{
	struct sgx_platform *plat = encl->plat;
	struct sgx_enclave_add_pages add;
	struct sgx_secinfo secinfo;
	struct user_vma src_vma = { 0 };
	unsigned int flags = atomic_load(&encl->flags);
	uint8_t *bounce;
	uint64_t c;
	long ret = 0;

	if (!(flags & SGX_ENCL_CREATED) || (flags & SGX_ENCL_INITIALIZED))
		return -EINVAL;
	if (copy_from_user(&add, arg, sizeof(add)))
		return -EFAULT;
	if (add.src & (PAGE - 1))
		return -EINVAL;
	if (validate_offset_length(encl, add.offset, add.length))
		return -EINVAL;
	if (copy_from_user(&secinfo, (void *)(uintptr_t)add.secinfo, sizeof(secinfo)))
		return -EFAULT;
	if (validate_secinfo(&secinfo))
		return -EINVAL;
	bounce = aligned_alloc(PAGE, PAGE);
	if (!bounce)
		return -ENOMEM;
	pthread_rwlock_rdlock(&plat->mmap_lock);
	for (c = 0; c < add.length; c += PAGE) {
		/* A signal stops the loop: before the first page the call is interrupted. */
		if (sgx_signal_pending()) {
			if (!c)
				ret = -ERESTARTSYS;
			break;
		}
		/* add.signal: as a signal whose handler has no SA_RESTART (nothing restarts it). */
		if (sgx_inject(plat, SGX_INJ_ADD_SIGNAL, encl->eid, encl->base + add.offset + c)) {
			if (!c)
				ret = -EINTR;
			break;
		}
		ret = sgx_encl_add_page(encl, add.src + c, add.offset + c, &secinfo, add.flags, bounce,
					&src_vma);
		if (ret)
			break;
	}
	pthread_rwlock_unlock(&plat->mmap_lock);
	free(bounce);
	add.count = c;
	if (copy_to_user(arg, &add, sizeof(add)))
		return -EFAULT;
	return ret;
}

/* SGX_IOC_ENCLAVE_INIT */

/* Reserved ATTRIBUTES/MISCSELECT/XFRM bits, as Linux computes them from CPUID leaf 0x12. */
static bool sigstruct_reserved_bits(const struct sgx_cpu_config *cfg, const struct sgx_sigstruct *sig)
{
	const uint64_t attr_reserved = ~cfg->attributes | (1ull << 3) | (1ull << 6) | (3ull << 8) |
				       ~((1ull << 11) - 1);
	const uint32_t misc_reserved = ~cfg->miscselect | ~1u;
	const uint64_t xfrm_reserved = ~cfg->xfrm;

	return (sig->body.attributes.flags & sig->body.attributes_mask.flags & attr_reserved) ||
	       (sig->body.miscselect & sig->body.misc_mask & misc_reserved) ||
	       (sig->body.attributes.xfrm & sig->body.attributes_mask.xfrm & xfrm_reserved);
}

#define SGX_EINIT_SPIN_COUNT 20
#define SGX_EINIT_SLEEP_COUNT 50
#define SGX_EINIT_SLEEP_TIME 20 /* ms */

/*
 * Linux's sgx_einit(): IA32_SGXLEPUBKEYHASH is written before every EINIT,
 * so any signer may launch. Linux does both on one CPU with preemption off;
 * here the MSR is platform-wide, so plat->einit_lock keeps another
 * enclave's INIT from writing it in between. Must be called with
 * encl->lock held. Return: EINIT's result.
 */
static int sgx_einit(struct sgx_encl *encl, const struct sgx_sigstruct *sig,
		     const struct sgx_einittoken *token, const uint8_t mrsigner[32])
{
	struct sgx_platform *plat = encl->plat;
	int ret;

	pthread_mutex_lock(&plat->einit_lock);
	sgx_cpu_write_lepubkeyhash(plat->cpu, mrsigner);
	ret = encls_einit(sgx_current_lp(plat), sig, encl->secs_epc, token);
	pthread_mutex_unlock(&plat->einit_lock);
	return ret;
}

static int sgx_encl_init(struct sgx_encl *encl, const struct sgx_sigstruct *sig,
			 const struct sgx_einittoken *token)
{
	uint8_t mrsigner[32];
	int ret = 0, i, j;

	if (sgx_sigstruct_mrsigner(sig, mrsigner))
		return -ENOMEM;
	pthread_mutex_lock(&encl->lock);
	/* SGX_UNMASKED_EVENT: back to back, then a sleep between rounds, as Linux retries. */
	for (i = 0; i < SGX_EINIT_SLEEP_COUNT; i++) {
		for (j = 0; j < SGX_EINIT_SPIN_COUNT; j++) {
			ret = sgx_einit(encl, sig, token, mrsigner);
			if (ret != SGX_UNMASKED_EVENT)
				break;
		}
		if (ret != SGX_UNMASKED_EVENT)
			break;
		nanosleep(&(struct timespec){ .tv_nsec = SGX_EINIT_SLEEP_TIME * 1000000L }, NULL);
	}
	pthread_mutex_unlock(&encl->lock);
	if (sgx_is_fault(ret))
		return -EIO;
	if (ret)
		return -EPERM; /* any SGX error code, SGX_UNMASKED_EVENT included */
	atomic_fetch_or(&encl->flags, SGX_ENCL_INITIALIZED);
	return 0;
}

static long sgx_ioc_enclave_init(struct sgx_encl *encl, void *arg)
{
	struct sgx_enclave_init init;
	struct sgx_sigstruct *sig;
	struct sgx_einittoken *token;
	unsigned int flags = atomic_load(&encl->flags);
	long ret;

	if (!(flags & SGX_ENCL_CREATED) || (flags & SGX_ENCL_INITIALIZED))
		return -EINVAL;
	if (copy_from_user(&init, arg, sizeof(init)))
		return -EFAULT;
	sig = aligned_alloc(PAGE, PAGE);
	token = aligned_alloc(512, 512);
	if (!sig || !token) {
		ret = -ENOMEM;
		goto out;
	}
	memset(token, 0, 512);
	if (copy_from_user(sig, (void *)(uintptr_t)init.sigstruct, sizeof(*sig))) {
		ret = -EFAULT;
		goto out;
	}
	if (sig->header.vendor != 0x0000 && sig->header.vendor != 0x8086)
		ret = -EINVAL;
	else if (encl->attributes & ~encl->attributes_mask)
		ret = -EACCES; /* PROVISIONKEY without PROVISION, EINITTOKEN_KEY */
	else if (sigstruct_reserved_bits(sgx_cpu_config(encl->plat->cpu), sig))
		ret = -EINVAL;
	else
		ret = sgx_encl_init(encl, sig, token);
out:
	free(token);
	free(sig);
	return ret;
}

/* SGX_IOC_ENCLAVE_PROVISION */

static long sgx_ioc_enclave_provision(struct sgx_encl *encl, void *arg)
{
	struct sgx_enclave_provision params;

	if (copy_from_user(&params, arg, sizeof(params)))
		return -EFAULT;
	if (!sgx_fd_is_provision(encl->plat, (int)(unsigned int)params.fd))
		return -EINVAL;
	encl->attributes_mask |= SGX_ATTR_PROVISIONKEY;
	return 0;
}

/* The SGX2 ioctls */

/* Checks every SGX2 ioctl makes before copying its argument. */
static int sgx_ioc_sgx2_ready(struct sgx_encl *encl)
{
	if (!sgx_cpu_config(encl->plat->cpu)->sgx2)
		return -ENODEV;
	if (!(atomic_load(&encl->flags) & SGX_ENCL_INITIALIZED))
		return -EINVAL;
	return 0;
}

static bool track_per_page(struct sgx_encl *encl)
{
	return encl->plat->cfg.tracking == SOFTSGX_TRACK_PER_PAGE;
}

/* Per-page bookkeeping after EMODPR/EMODT changed the page at @addr. */
static int after_page_change(struct sgx_encl *encl, uint64_t addr)
{
	if (!track_per_page(encl))
		return 0;
	sgx_update_host(encl->plat, addr, addr + PAGE);
	return sgx_enclave_etrack(encl);
}

/* Batched tracking: one host update, one ETRACK and one interrupt round per call. */
static int after_range_change(struct sgx_encl *encl, uint64_t start, uint64_t len)
{
	int ret;

	if (track_per_page(encl) || !len)
		return 0;
	sgx_update_host(encl->plat, start, start + len);
	pthread_mutex_lock(&encl->lock);
	ret = sgx_enclave_etrack(encl);
	pthread_mutex_unlock(&encl->lock);
	return ret;
}

/*
 * The page loop of the SGX2 ioctls: a direct reclaim, then @fn on each page
 * of [offset, offset + length) under encl->lock, reloaded if it is swapped
 * out, stopping at the first error (-EFAULT where the enclave has no page or
 * the reload failed, -EAGAIN where it is being reclaimed or no EPC page is
 * free for the reload, or where injection point @eagain says so). Returns
 * that error or 0, and in *@count the bytes of the pages completed before it.
 */
static long for_each_page(struct sgx_encl *encl, uint64_t offset, uint64_t length,
			  long (*fn)(struct sgx_encl *encl, struct sgx_lp *lp,
				     struct sgx_encl_page *page, void *ctx),
			  void *ctx, enum sgx_inject_point eagain, __u64 *count)
{
	struct sgx_lp *lp = sgx_current_lp(encl->plat); /* once: it costs a system call */
	struct sgx_encl_page *page;
	uint64_t c, gen = 0, addr;
	bool injected = false;
	long ret = 0;
	int err;

	for (c = 0; c < length && !ret; c += PAGE) {
		addr = encl->base + offset + c;
		sgx_reclaim_direct(encl->plat);
		pthread_mutex_lock(&encl->lock);
		gen = sgx_reclaim_gen(encl->plat);
		/* Being reclaimed, or no EPC page to reload it in: -EAGAIN, else -EFAULT. */
		if (sgx_inject(encl->plat, eagain, encl->eid, addr)) {
			ret = -EAGAIN;
			injected = true;
		} else {
			page = sgx_encl_load_resident(encl, addr, &err);
			ret = page ? fn(encl, lp, page, ctx) : err == -EBUSY ? -EAGAIN : -EFAULT;
		}
		pthread_mutex_unlock(&encl->lock);
	}
	/*
	 * A reclaim batch holds a page of the range, and the caller will retry:
	 * at once, it could take encl->lock again before the batch gets it
	 * (pthread mutexes are not fair), for ever. Let the batch end first.
	 */
	if ((ret == -EAGAIN || ret == -EBUSY) && !injected)
		sgx_reclaim_wait(encl->plat, gen, RECLAIM_WAIT_MS);
	*count = ret ? c - PAGE : c;
	return ret;
}

/* One page of RESTRICT_PERMISSIONS, under encl->lock. */
static long restrict_page(struct sgx_encl *encl, struct sgx_lp *lp, struct sgx_encl_page *page,
			  void *ctx)
{
	struct sgx_enclave_restrict_permissions *modp = ctx;
	struct sgx_secinfo secinfo = { .flags = modp->permissions };
	int err;

	if (page->type != SGX_PAGE_TYPE_REG)
		return -EINVAL; /* EMODPR would #PF on TCS and TRIM pages: fail early */
	err = encls_emodpr(lp, &secinfo, page->epc);
	if (err) {
		if (!sgx_is_fault(err))
			modp->result = err;
		return -EFAULT;
	}
	return after_page_change(encl, page->addr);
}

static long sgx_enclave_restrict_permissions(struct sgx_encl *encl,
					     struct sgx_enclave_restrict_permissions *modp)
{
	long ret = for_each_page(encl, modp->offset, modp->length, restrict_page, modp,
				 SGX_INJ_RESTRICT_EAGAIN, &modp->count);
	int err = after_range_change(encl, encl->base + modp->offset, modp->count);

	return ret ? ret : err;
}

static long sgx_ioc_enclave_restrict_permissions(struct sgx_encl *encl, void *arg)
{
	struct sgx_enclave_restrict_permissions params;
	long ret;

	if ((ret = sgx_ioc_sgx2_ready(encl)))
		return ret;
	if (copy_from_user(&params, arg, sizeof(params)))
		return -EFAULT;
	if (validate_offset_length(encl, params.offset, params.length))
		return -EINVAL;
	if (params.permissions & ~SGX_SECINFO_PERM_MASK)
		return -EINVAL;
	if ((params.permissions & SGX_SECINFO_W) && !(params.permissions & SGX_SECINFO_R))
		return -EINVAL;
	if (params.result || params.count)
		return -EINVAL;
	pthread_rwlock_rdlock(&encl->plat->mmap_lock);
	ret = sgx_enclave_restrict_permissions(encl, &params);
	pthread_rwlock_unlock(&encl->plat->mmap_lock);
	if (copy_to_user(arg, &params, sizeof(params)))
		return -EFAULT;
	return ret;
}

/* One page of MODIFY_TYPES, under encl->lock. */
static long modify_type(struct sgx_encl *encl, struct sgx_lp *lp, struct sgx_encl_page *page,
			uint64_t type, __u64 *result)
{
	struct sgx_secinfo secinfo = { .flags = SGX_SECINFO_PT(type) };
	uint8_t max_prot_restore = page->vm_max_prot_bits;
	int err;

	if (!((page->type == SGX_PAGE_TYPE_REG && (type == SGX_PAGE_TYPE_TCS || type == SGX_PAGE_TYPE_TRIM)) ||
	      (page->type == SGX_PAGE_TYPE_TCS && type == SGX_PAGE_TYPE_TRIM)))
		return -EINVAL;
	if (type == SGX_PAGE_TYPE_TCS) {
		/* A TCS must be readable and writable by its mapping; it loses X. */
		if ((page->vm_max_prot_bits & (SGX_PROT_R | SGX_PROT_W)) != (SGX_PROT_R | SGX_PROT_W))
			return -EPERM;
		page->vm_max_prot_bits = SGX_PROT_R | SGX_PROT_W;
		/* Not reclaimed while its mappings go (Linux drops encl->lock there). */
		if (sgx_unmark_page_reclaimable(page)) {
			page->vm_max_prot_bits = max_prot_restore;
			return -EAGAIN;
		}
		sgx_zap_ptes(encl->plat, page->addr, page->addr + PAGE);
		sgx_mark_page_reclaimable(page);
	}
	err = encls_emodt(lp, &secinfo, page->epc);
	if (err) {
		page->vm_max_prot_bits = max_prot_restore;
		if (type == SGX_PAGE_TYPE_TCS) /* its PTE is gone: so is its host access */
			sgx_update_host(encl->plat, page->addr, page->addr + PAGE);
		if (!sgx_is_fault(err))
			*result = err;
		return -EFAULT;
	}
	err = after_page_change(encl, page->addr);
	if (err)
		return err;
	page->type = type;
	return 0;
}

static long modify_page(struct sgx_encl *encl, struct sgx_lp *lp, struct sgx_encl_page *page,
			void *ctx)
{
	struct sgx_enclave_modify_types *modt = ctx;

	return modify_type(encl, lp, page, modt->page_type, &modt->result);
}

static long sgx_enclave_modify_types(struct sgx_encl *encl, struct sgx_enclave_modify_types *modt)
{
	long ret;
	int err;

	if (modt->page_type != SGX_PAGE_TYPE_TCS && modt->page_type != SGX_PAGE_TYPE_TRIM)
		return -EINVAL; /* (copied back with count and result 0) */
	ret = for_each_page(encl, modt->offset, modt->length, modify_page, modt,
			    SGX_INJ_MODIFY_EAGAIN, &modt->count);
	err = after_range_change(encl, encl->base + modt->offset, modt->count);
	return ret ? ret : err;
}

static long sgx_ioc_enclave_modify_types(struct sgx_encl *encl, void *arg)
{
	struct sgx_enclave_modify_types params;
	long ret;

	if ((ret = sgx_ioc_sgx2_ready(encl)))
		return ret;
	if (copy_from_user(&params, arg, sizeof(params)))
		return -EFAULT;
	if (validate_offset_length(encl, params.offset, params.length))
		return -EINVAL;
	if (params.page_type & ~0xFFull)
		return -EINVAL;
	if (params.result || params.count)
		return -EINVAL;
	pthread_rwlock_rdlock(&encl->plat->mmap_lock);
	ret = sgx_enclave_modify_types(encl, &params);
	pthread_rwlock_unlock(&encl->plat->mmap_lock);
	if (copy_to_user(arg, &params, sizeof(params)))
		return -EFAULT;
	return ret;
}

/*
 * One page of REMOVE_PAGES, under encl->lock. The user workflow: MODIFY_TYPES
 * to PT_TRIM, EACCEPT(TRIM|MODIFIED) of each page inside the enclave, then
 * REMOVE_PAGES. Only a trimmed page the enclave has accepted is removed.
 */
static long remove_page(struct sgx_encl *encl, struct sgx_lp *lp, struct sgx_encl_page *page,
			void *ctx)
{
	struct sgx_platform *plat = encl->plat;
	struct sgx_secinfo rwx = { .flags = SGX_SECINFO_PERM_MASK };
	int err;

	if (page->type != SGX_PAGE_TYPE_TRIM)
		return -EPERM;
	/*
	 * Probe: EMODPR of an accepted TRIM page #PFs; an unaccepted one is not
	 * modifiable. (emodpr.conflict spares it: Linux's EPERM for a conflict
	 * here cannot be told from an unaccepted page's.)
	 */
	sgx_inject_spare(plat, SGX_EVENT_EMODPR_CONFLICT, true);
	err = encls_emodpr(lp, &rwx, page->epc);
	sgx_inject_spare(plat, SGX_EVENT_EMODPR_CONFLICT, false);
	if (!sgx_is_fault(err) || sgx_fault_vector(err) != SGX_VEC_PF)
		return -EPERM;
	if (sgx_inject(plat, SGX_INJ_REMOVE_EBUSY, encl->eid, page->addr) ||
	    sgx_unmark_page_reclaimable(page))
		return -EBUSY; /* a reclaim batch holds it */
	sgx_zap_ptes(plat, page->addr, page->addr + PAGE);
	/* An EREMOVE failure leaks the EPC page (never reused), as in Linux; the page goes anyway. */
	sgx_encl_free_epc_page_on(lp, plat, page->epc);
	encl->secs_child_cnt--;
	pagemap_erase(&encl->pages, (page->addr - encl->base) / PAGE);
	free(page);
	sgx_encl_shrink(encl, NULL);
	return 0;
}

static long sgx_ioc_enclave_remove_pages(struct sgx_encl *encl, void *arg)
{
	struct sgx_platform *plat = encl->plat;
	struct sgx_enclave_remove_pages params;
	long ret;

	if ((ret = sgx_ioc_sgx2_ready(encl)))
		return ret;
	if (copy_from_user(&params, arg, sizeof(params)))
		return -EFAULT;
	if (validate_offset_length(encl, params.offset, params.length))
		return -EINVAL;
	if (params.count)
		return -EINVAL;
	pthread_rwlock_rdlock(&plat->mmap_lock);
	ret = for_each_page(encl, params.offset, params.length, remove_page, NULL,
			    SGX_INJ_REMOVE_EAGAIN, &params.count);
	sgx_update_host(plat, encl->base + params.offset, encl->base + params.offset + params.count);
	pthread_rwlock_unlock(&plat->mmap_lock);
	if (copy_to_user(arg, &params, sizeof(params)))
		return -EFAULT;
	return ret;
}

static const struct {
	unsigned int cmd;
	long (*handler)(struct sgx_encl *encl, void *arg);
	enum softsgx_counter counter;
} sgx_ioctls[] = {
	{ SGX_IOC_ENCLAVE_CREATE, sgx_ioc_enclave_create, SOFTSGX_CNT_IOCTL_CREATE },
	{ SGX_IOC_ENCLAVE_ADD_PAGES, sgx_ioc_enclave_add_pages, SOFTSGX_CNT_IOCTL_ADD_PAGES },
	{ SGX_IOC_ENCLAVE_INIT, sgx_ioc_enclave_init, SOFTSGX_CNT_IOCTL_INIT },
	{ SGX_IOC_ENCLAVE_PROVISION, sgx_ioc_enclave_provision, SOFTSGX_CNT_IOCTL_PROVISION },
	{ SGX_IOC_ENCLAVE_RESTRICT_PERMISSIONS, sgx_ioc_enclave_restrict_permissions,
	  SOFTSGX_CNT_IOCTL_RESTRICT_PERMISSIONS },
	{ SGX_IOC_ENCLAVE_MODIFY_TYPES, sgx_ioc_enclave_modify_types, SOFTSGX_CNT_IOCTL_MODIFY_TYPES },
	{ SGX_IOC_ENCLAVE_REMOVE_PAGES, sgx_ioc_enclave_remove_pages, SOFTSGX_CNT_IOCTL_REMOVE_PAGES },
};

long sgx_ioctl(struct sgx_encl *encl, unsigned int cmd, void *arg)
{
	long ret = -ENOTTY; /* -ENOIOCTLCMD, as user space sees it */
	size_t i;

	/* One ioctl at a time per enclave, decided before the command is even looked at. */
	if (atomic_fetch_or(&encl->flags, SGX_ENCL_IOCTL) & SGX_ENCL_IOCTL)
		return -EBUSY;
	/* ioctl.ebusy: as if another thread's were running (the EID is read once it is ours). */
	if (sgx_inject(encl->plat, SGX_INJ_IOCTL_EBUSY, encl->eid, 0)) {
		atomic_fetch_and(&encl->flags, ~SGX_ENCL_IOCTL);
		return -EBUSY;
	}
	for (i = 0; i < sizeof(sgx_ioctls) / sizeof(sgx_ioctls[0]); i++) {
		if (sgx_ioctls[i].cmd == cmd) {
			sgx_count(encl->plat, sgx_ioctls[i].counter, 1);
			if (trace_on())
				trace_ioctl_begin(softsgx_counter_name(sgx_ioctls[i].counter));
			ret = sgx_ioctls[i].handler(encl, arg);
			if (trace_on())
				trace_ioctl_end(softsgx_counter_name(sgx_ioctls[i].counter), ret);
			break;
		}
	}
	atomic_fetch_and(&encl->flags, ~SGX_ENCL_IOCTL);
	return ret;
}
