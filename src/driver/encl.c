/* SPDX-License-Identifier: MIT */
/*
 * Enclave objects (like Linux's encl.c): lifetime, pages, EAUG of a new
 * page, the fault handler (sgx_vma_fault) and the ETRACK + interrupt flow
 * that SGX2 ioctls run after EMODPR/EMODT.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "driver/driver.h"
#include "trace/trace.h"
#include "sys.h"
#include "tidlocal.h"

#define PAGE 4096ull

struct sgx_encl *sgx_encl_alloc(struct sgx_platform *plat, int memfd)
{
	struct sgx_encl *encl = calloc(1, sizeof(*encl));

	if (!encl)
		return NULL;
	encl->plat = plat;
	pthread_mutex_init(&encl->lock, NULL);
	pagemap_init(&encl->pages);
	atomic_init(&encl->refs, 1);
	encl->memfd = memfd;
	encl->backing_fd = -1;
	return encl;
}

void sgx_encl_get(struct sgx_encl *encl)
{
	atomic_fetch_add(&encl->refs, 1);
}

/* EREMOVE every page, then the SECS (Linux's sgx_encl_release()). */
static void sgx_encl_release(struct sgx_encl *encl)
{
	struct sgx_platform *plat = encl->plat;
	uint64_t key, val;
	size_t pos = 0;

	/*
	 * A page whose EREMOVE fails (a thread still inside) is leaked, not
	 * reused. A forked child's EPC is a copy that no leaf may touch (fork.c):
	 * only the host's resources go.
	 */
	bool leaves = !sgx_encl_detached(encl);

	/* No reclaim batch holds a page: each holds a reference. */
	while (pagemap_next(&encl->pages, &pos, &key, &val)) {
		struct sgx_encl_page *page = (struct sgx_encl_page *)(uintptr_t)val;

		sgx_unmark_page_reclaimable(page);
		if (page->epc && leaves)
			sgx_encl_free_epc_page(plat, page->epc);
		free(page);
	}
	pagemap_destroy(&encl->pages);
	if (encl->secs_epc && leaves)
		sgx_encl_free_epc_page(plat, encl->secs_epc);
	sgx_encl_paging_release(encl, leaves);
	if (encl->phys)
		sys_munmap(encl->phys, encl->size);
	sys_close(encl->memfd);
	pthread_mutex_destroy(&encl->lock);
	free(encl);
}

void sgx_encl_put(struct sgx_encl *encl)
{
	if (atomic_fetch_sub(&encl->refs, 1) == 1)
		sgx_encl_release(encl);
}

/* Must be called with encl->lock held. */
struct sgx_encl_page *sgx_encl_load_page(struct sgx_encl *encl, uint64_t addr)
{
	if (addr < encl->base || addr - encl->base >= encl->size)
		return NULL;
	return (struct sgx_encl_page *)(uintptr_t)pagemap_load(&encl->pages,
							       (addr - encl->base) / PAGE);
}

void *sgx_encl_phys(struct sgx_encl *encl, uint64_t addr)
{
	return encl->phys + (addr - encl->base);
}

/*
 * Must be called with encl->lock held. The EPC page and a VA page are
 * allocated without reclaim, as on Linux's fault path: -EBUSY (reclaimable
 * pages exist, the reclaimer thread is woken) asks for a retry.
 */
int sgx_encl_eaug_page(struct sgx_encl *encl, uint64_t addr)
{
	struct sgx_platform *plat = encl->plat;
	struct sgx_pageinfo pginfo = { .linaddr = addr };
	struct sgx_encl_page *page;
	struct sgx_va_page *va;
	uint64_t epc;
	int ret;

	if (sgx_encl_load_page(encl, addr))
		return -EEXIST;
	page = calloc(1, sizeof(*page));
	if (!page)
		return -ENOMEM;
	/* A swapped-out SECS comes back first. */
	if (!encl->secs_epc && (ret = sgx_encl_load_secs(encl)))
		goto err_free;
	ret = sgx_alloc_epc_page(plat, sgx_encl_phys(encl, addr), false, &epc);
	if (ret)
		goto err_free;
	ret = sgx_encl_grow(encl, false, &va);
	if (ret)
		goto err_epc;
	*page = (struct sgx_encl_page){
		.addr = addr,
		.encl = encl,
		.vm_max_prot_bits = SGX_PROT_R | SGX_PROT_W | SGX_PROT_X, /* EAUGed pages: RWX */
		.type = SGX_PAGE_TYPE_REG,
	};
	if (pagemap_insert(&encl->pages, (addr - encl->base) / PAGE, (uintptr_t)page)) {
		ret = -ENOMEM;
		goto err_shrink;
	}
	pginfo.secs = encl->secs_epc;
	if (encls_eaug(sgx_current_lp(plat), &pginfo, epc)) {
		pagemap_erase(&encl->pages, (addr - encl->base) / PAGE);
		ret = -EFAULT;
		goto err_shrink;
	}
	page->epc = epc;
	sgx_encl_add_va_page(encl, va);
	encl->secs_child_cnt++;
	sgx_mark_page_reclaimable(page);
	return 0;
err_shrink:
	sgx_encl_shrink(encl, va);
err_epc:
	sgx_free_epc_page(plat, epc);
err_free:
	free(page);
	return ret;
}

static unsigned int access_prot(uint32_t access)
{
	return (access & SGX_PF_W) ? SGX_PROT_W : (access & SGX_PF_I) ? SGX_PROT_X : SGX_PROT_R;
}

/* The EPCM lets an enclave access @epc for @access. */
static bool epcm_allows(struct sgx_platform *plat, uint64_t epc, uint64_t addr, uint32_t access)
{
	struct sgx_epcm_info e;

	if (sgx_cpu_epcm_read(plat->cpu, epc, &e))
		return false;
	/* A page-table entry moved by mremap() reaches a page of another address: EPCM #PF. */
	return e.valid && e.type == SGX_PAGE_TYPE_REG && !e.pending && !e.modified && !e.blocked &&
	       e.linaddr == addr && (e.perm & access_prot(access));
}

/*
 * The per-page part of Linux's sgx_vma_fault(), under encl->lock, shared by
 * the fault handler and populate: the page at @addr, EAUGed if absent (only
 * after EINIT, on SGX2, inside ELRANGE: else SIGBUS), and for a page that
 * exists the mapping's R/W/X (not the access) within its maximum, reloaded
 * if it is swapped out. *@added says whether it was EAUGed. Return: 0,
 * -EBUSY (being reclaimed, or no EPC page free now: Linux's VM_FAULT_NOPAGE,
 * a retry), or another error (the fault is SIGBUS).
 */
static int fault_page(struct sgx_encl *encl, const struct sgx_vma *vma, uint64_t addr,
		      struct sgx_encl_page **out, bool *added)
{
	struct sgx_platform *plat = encl->plat;
	struct sgx_encl_page *page = sgx_encl_load_page(encl, addr);
	int ret;

	*added = false;
	if (!page) {
		/* EAUG path: only after EINIT, only inside ELRANGE (EAUG would #GP). */
		if (!(atomic_load(&encl->flags) & SGX_ENCL_INITIALIZED) || !sgx_cpu_config(plat->cpu)->sgx2 ||
		    addr < encl->base || addr - encl->base >= encl->size)
			return -EFAULT;
		ret = sgx_encl_eaug_page(encl, addr);
		if (ret)
			return ret;
		page = sgx_encl_load_page(encl, addr);
		*added = true;
	} else if (vma->prot & ~page->vm_max_prot_bits) {
		return -EFAULT;
	} else if (!page->epc || (page->desc & SGX_ENCL_PAGE_BEING_RECLAIMED)) {
		page = sgx_encl_load_resident(encl, addr, &ret);
		if (!page)
			return ret;
	}
	*out = page;
	return 0;
}

/* The page is mapped: hardware would set the entry's accessed bit at the access that follows. */
static int map_page(struct sgx_platform *plat, struct sgx_encl_page *page, uint64_t addr)
{
	page->desc |= SGX_ENCL_PAGE_ACCESSED;
	return sgx_install_pte(plat, addr, page->epc);
}

/*
 * Linux's sgx_vma_fault() for an existing page or an EAUG, under encl->lock:
 * install the page-table entry. For populate (@populated not NULL) the
 * fault counters are left alone and *@populated counts an EAUG. Return: 0
 * (retry the access), -EBUSY (wait for the reclaimer, then again), or
 * another error (SIGBUS).
 */
static int fault_locked(struct sgx_encl *encl, struct sgx_vma *vma, uint64_t addr, uint32_t pfec,
			uint64_t *populated)
{
	struct sgx_platform *plat = encl->plat;
	struct sgx_encl_page *page = NULL;
	bool added;
	int ret;

	ret = fault_page(encl, vma, addr, &page, &added);
	if (ret)
		return ret;
	if (populated) {
		*populated += added;
	} else {
		sgx_count(plat, added ? SOFTSGX_CNT_FAULT_EAUG : SOFTSGX_CNT_FAULT_MAP, 1);
		if (trace_on())
			trace_fault(added ? TRACE_FAULT_EAUG : TRACE_FAULT_MAP, addr, pfec);
	}
	return map_page(plat, page, addr) ? -ENOMEM : 0;
}

struct fault_args {
	struct sgx_vma *vma;
	uint64_t addr;
	uint32_t pfec;
	uint64_t *populated;
};

static int fault_args_locked(struct sgx_encl *encl, void *ctx)
{
	struct fault_args *f = ctx;

	return fault_locked(encl, f->vma, f->addr, f->pfec, f->populated);
}

/* fault_locked() under encl->lock, again after each batch of the reclaimer while it says -EBUSY. */
static int fault_page_waiting(struct sgx_encl *encl, struct sgx_vma *vma, uint64_t addr,
			      uint32_t pfec, uint64_t *populated)
{
	struct fault_args f = { .vma = vma, .addr = addr, .pfec = pfec, .populated = populated };
	int ret = sgx_encl_lock_retrying(encl, fault_args_locked, &f);

	pthread_mutex_unlock(&encl->lock);
	return ret;
}

/*
 * The page's host protection brought up to date so the access can be
 * retried; if the host refuses (no mappings left), retrying would fault for
 * ever: SIGBUS instead.
 */
static enum sgx_fault_result refresh(struct sgx_platform *plat, uint64_t addr)
{
	return sgx_update_host(plat, addr, addr + PAGE) ? SGX_FAULT_SIGBUS : SGX_FAULT_RETRY;
}

/*
 * The hostile platform's answers to a fault the driver would serve:
 * fault.sigbus (what a fault gets when EAUG or ELDU finds no EPC page) and
 * fault.retry (served only after the access faulted n more times, as
 * Linux's VM_FAULT_NOPAGE while the page is being reclaimed). Return:
 * true with *@res, or false to serve the fault.
 */
static bool injected_fault(struct sgx_platform *plat, struct sgx_encl *encl, uint64_t addr,
			   enum sgx_fault_result *res)
{
	struct sgx_thread_local *tl;

	if (sgx_inject(plat, SGX_INJ_FAULT_SIGBUS, encl->eid, addr)) {
		*res = SGX_FAULT_SIGBUS;
		return true;
	}
	tl = sgx_thread_local();
	if (tl->inject_retry_left && tl->inject_retry_addr == addr) {
		tl->inject_retry_left--;
	} else if (sgx_inject(plat, SGX_INJ_FAULT_RETRY, encl->eid, addr)) {
		tl->inject_retry_addr = addr;
		tl->inject_retry_left = sgx_inject_retries(plat) - 1;
	} else {
		return false;
	}
	/* As after the reclaimer took a mapping: a leaf's fault that recurs is retried (host/trap.c). */
	atomic_fetch_add(&plat->reclaim_zaps, 1);
	*res = SGX_FAULT_RETRY;
	return true;
}

/*
 * evict: one resident page of @encl other than the one at @addr (which the
 * fault just served), chosen by the point's random stream, written back as
 * the reclaimer writes pages back.
 */
static void injected_evict(struct sgx_platform *plat, struct sgx_encl *encl, uint64_t addr)
{
	struct sgx_encl_page *page;
	uint64_t key, val, victim = 0, n = 0, pick;
	size_t pos = 0;

	pthread_mutex_lock(&encl->lock);
	while (pagemap_next(&encl->pages, &pos, &key, &val)) {
		page = (struct sgx_encl_page *)(uintptr_t)val;
		n += page->epc && page->addr != addr;
	}
	pick = n ? sgx_inject_choice(plat, SGX_INJ_EVICT) % n : 0;
	for (pos = 0; n && pagemap_next(&encl->pages, &pos, &key, &val);) {
		page = (struct sgx_encl_page *)(uintptr_t)val;
		if (page->epc && page->addr != addr && !pick--) {
			victim = page->addr;
			break;
		}
	}
	pthread_mutex_unlock(&encl->lock);
	/* A page a reclaim batch holds already, or no room in the backing store: left alone. */
	if (victim)
		sgx_encl_evict_page(encl, victim);
}

enum sgx_fault_result sgx_vma_fault(struct sgx_platform *plat, uint64_t addr, uint32_t access,
				    uint32_t *pfec)
{
	uint32_t walk = access;
	struct sgx_vma *vma;
	struct sgx_encl *encl;
	enum sgx_fault_result res;
	uint64_t epc;

	access &= SGX_PF_W | SGX_PF_I;
	addr &= ~(PAGE - 1);
	epc = sgx_pte_lookup(plat, addr);
	*pfec = SGX_PF_U | access | (epc ? SGX_PF_P : 0);
	vma = sgx_find_vma(plat, addr);
	if (!vma)
		return SGX_FAULT_NOT_OURS;
	encl = vma->encl;
	/* sgx_vma_fault(): a detached VMA (a forked child's, fork.c) is SIGBUS. */
	if (sgx_encl_detached(encl)) {
		sgx_count(plat, SOFTSGX_CNT_FAULT_SIGBUS, 1);
		return SGX_FAULT_SIGBUS;
	}
	/*
	 * mm/fault.c's access_error(): a fault the processor marked as an EPCM
	 * refusal (EENTER on a page that is no TCS, say) is never fixed up.
	 */
	if ((walk & SGX_FAULT_WALK) && (walk & SGX_PF_SGX)) {
		*pfec = walk & ~SGX_FAULT_WALK;
		sgx_count(plat, SOFTSGX_CNT_FAULT_EPCM, 1);
		if (trace_on())
			trace_fault(TRACE_FAULT_EPCM, addr, *pfec);
		return SGX_FAULT_SIGSEGV;
	}
	/* mm/fault.c: an access the mapping does not allow is an access error. */
	if (!sgx_vma_allows(vma->prot, access)) {
		sgx_count(plat, SOFTSGX_CNT_FAULT_VMA, 1);
		if (trace_on())
			trace_fault(TRACE_FAULT_VMA, addr, *pfec);
		return SGX_FAULT_SIGSEGV;
	}
	if (epc) {
		/*
		 * The leaf's walk found no entry and there is one now: another
		 * thread's fault installed it (Linux's handle_pte_fault() finds the
		 * PTE and returns). Re-execute; the leaf decides (EACCEPT of a
		 * pending page is legal, a plain read of it faults again, with P).
		 */
		if ((walk & SGX_FAULT_WALK) && !(walk & SGX_PF_P))
			return refresh(plat, addr);
		/* Present and allowed by the mapping: the EPCM refused it (#PF with the SGX bit). */
		if (!epcm_allows(plat, epc, addr, access)) {
			*pfec |= SGX_PF_SGX;
			sgx_count(plat, SOFTSGX_CNT_FAULT_EPCM, 1);
			if (trace_on())
				trace_fault(TRACE_FAULT_EPCM, addr, *pfec);
			return SGX_FAULT_SIGSEGV;
		}
		/* The host protection was stale: nothing for the program to see. */
		if (trace_on())
			trace_fault(TRACE_FAULT_STALE, addr, *pfec);
		return refresh(plat, addr);
	}
	if (!plat->inject || !injected_fault(plat, encl, addr, &res)) {
		res = fault_page_waiting(encl, vma, addr, *pfec, NULL) ? SGX_FAULT_SIGBUS
								       : refresh(plat, addr);
		if (res == SGX_FAULT_RETRY && sgx_inject(plat, SGX_INJ_EVICT, encl->eid, addr))
			injected_evict(plat, encl, addr);
	}
	if (res == SGX_FAULT_SIGBUS) {
		sgx_count(plat, SOFTSGX_CNT_FAULT_SIGBUS, 1);
		if (trace_on())
			trace_fault(TRACE_FAULT_SIGBUS, addr, *pfec);
	}
	return res;
}

/*
 * The host memory behind the pages [start, end) of @encl (the enclave's
 * memory file, which each EPC page uses while the page is resident),
 * allocated and mapped in one call. EAUG zeroes its page, and the first
 * write to a fresh page of the file is a host page fault: most of what an
 * EAUG costs, and in a virtual machine more than all the rest. Kernels
 * before 5.14 have no MADV_POPULATE_WRITE (host feature populate-write):
 * there the faults stay.
 */
static void prefault_host(struct sgx_encl *encl, uint64_t start, uint64_t end)
{
	if (encl->plat->host.populate_write && encl->plat->host.populate_write())
		(void)sys_madvise(sgx_encl_phys(encl, start), end - start, MADV_POPULATE_WRITE);
}

/* Give back the host memory prefault_host() gave pages of [start, end) that were not added. */
static void unprefault_host(struct sgx_encl *encl, uint64_t start, uint64_t end)
{
	uint64_t addr;

	pthread_mutex_lock(&encl->lock);
	for (addr = start; addr < end; addr += PAGE)
		if (!sgx_encl_load_page(encl, addr))
			(void)fallocate(encl->memfd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
					(off_t)(addr - encl->base), PAGE);
	pthread_mutex_unlock(&encl->lock);
}

/* Pages whose host memory populate allocates at a time: bounds what an EPC full early wastes. */
#define PREFAULT_PAGES 512

/*
 * MAP_POPULATE / MADV_WILLNEED: fault in every page of [start, end) in one
 * call, by the fault handler's rules (fault_page()): EAUG of the absent ones,
 * the page-table entry of each. Return: 0; -ENOMEM (a hole in the mappings,
 * EPC exhausted); -EFAULT where a fault would be SIGBUS (get_user_pages()'s
 * errno for it), e.g. no EAUG on SGX1 or a mapping beyond the page's maximum.
 */
int sgx_populate(struct sgx_platform *plat, uint64_t start, uint64_t end)
{
	uint64_t addr, done = 0, prefaulted = start;
	struct sgx_vma *vma = NULL;
	bool hole = false;
	int ret = 0;

	for (addr = start; addr < end && !ret; addr += PAGE) {
		vma = sgx_find_vma(plat, addr);
		if (!vma) {
			hole = true; /* the pages before it stay added, as with get_user_pages() */
			break;
		}
		if (sgx_encl_detached(vma->encl))
			continue; /* a forked child's (fork.c): nothing to populate, as upstream */
		if (!(atomic_load(&vma->encl->flags) & SGX_ENCL_INITIALIZED))
			continue; /* nothing to EAUG before EINIT (beyond upstream: documented) */
		if (addr >= prefaulted) {
			prefaulted = addr + PREFAULT_PAGES * PAGE;
			if (prefaulted > end || prefaulted > vma->end)
				prefaulted = end < vma->end ? end : vma->end;
			prefault_host(vma->encl, addr, prefaulted);
		}
		/* Prefault: the page-table entry too, as MAP_POPULATE does. */
		ret = fault_page_waiting(vma->encl, vma, addr, 0, &done);
		if (ret == -EBUSY)
			ret = -ENOMEM; /* the reclaimer never freed a page in time */
	}
	if (ret && addr - PAGE < prefaulted)
		unprefault_host(vma->encl, addr - PAGE, prefaulted);
	sgx_count(plat, SOFTSGX_CNT_BATCH_EAUG, done);
	sgx_update_host(plat, start, addr);
	return hole ? -ENOMEM : ret;
}

void sgx_ipi(struct sgx_encl *encl)
{
	struct sgx_platform *plat = encl->plat;
	unsigned int n = 0;

	if (plat->ipi.interrupt)
		n = plat->ipi.interrupt(plat->ipi.ctx, encl);
	sgx_count(plat, SOFTSGX_CNT_IPI_ROUNDS, 1);
	sgx_count(plat, SOFTSGX_CNT_IPI_THREADS, n);
	if (trace_on())
		trace_ipi_sent(atomic_load(&plat->counters[SOFTSGX_CNT_IPI_ROUNDS]), n, encl->base);
}

/*
 * Linux's sgx_enclave_etrack(): ETRACK; if a previous tracking cycle is not
 * complete, interrupt the threads and try once more; then interrupt the
 * threads that may hold stale translations. Must be called with
 * encl->lock held. Return: 0 or -EFAULT.
 */
int sgx_enclave_etrack(struct sgx_encl *encl)
{
	struct sgx_platform *plat = encl->plat;

	/*
	 * The reclaimer wrote the SECS back with the enclave's last page since
	 * the caller changed its pages: no thread can be inside (none has a TCS
	 * in the EPC), so no translation is left to flush.
	 */
	if (!encl->secs_epc)
		return 0;
	/* etrack.irq: an interrupt round that comes while the flow runs. */
	if (sgx_inject(plat, SGX_INJ_ETRACK_IRQ, encl->eid, 0))
		sgx_ipi(encl);
	if (sgx_etrack_cycle(encl, false))
		return -EFAULT;
	sgx_ipi(encl);
	return 0;
}

static int counted_etrack(struct sgx_encl *encl, bool paging)
{
	sgx_count(encl->plat, SOFTSGX_CNT_ETRACK, 1);
	sgx_count(encl->plat, SOFTSGX_CNT_PAGING_ETRACK, paging);
	return encls_etrack(sgx_current_lp(encl->plat), encl->secs_epc);
}

int sgx_etrack_cycle(struct sgx_encl *encl, bool paging)
{
	if (!counted_etrack(encl, paging))
		return 0;
	/* The previous cycle is still open (SGX_PREV_TRK_INCMPL): its threads leave first. */
	sgx_count(encl->plat, SOFTSGX_CNT_PAGING_IPI, paging);
	sgx_ipi(encl);
	return counted_etrack(encl, paging);
}
