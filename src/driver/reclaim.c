/* SPDX-License-Identifier: MIT */
/*
 * EPC paging, as Linux's reclaimer (main.c) and the paging helpers of its
 * encl.c: one list of reclaimable pages for the whole platform, oldest
 * first; batches of SGX_NR_TO_SCAN pages that are aged, blocked (EBLOCK),
 * then written back (EWB, with ETRACK and an interrupt round when the
 * processor says NOT_TRACKED); the SECS written back with the enclave's
 * last resident page; version-array pages, one per 512 enclave pages,
 * never evicted; a backing store per enclave laid out as Linux's shmem
 * file; reload (ELDU) on demand; and the reclaimer thread (ksgxd), which
 * keeps SGX_NR_HIGH_PAGES free once fewer than SGX_NR_LOW_PAGES are.
 *
 * The accessed bit: hardware sets it in the page-table entry, and Linux's
 * aging tests and clears it. Here a page is marked accessed when the fault
 * handler installs its page-table entry; aging an accessed page clears the
 * mark and takes the entry (and so the host mapping) away, so that the
 * next access faults and marks it again (docs/fidelity.md).
 *
 * Backing store (Linux's layout): page i of ELRANGE at byte i * 4096, the
 * SECS at size, PCMD of page i at size + 4096 + i * 128.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "driver/driver.h"
#include "trace/trace.h"
#include "sys.h"

#define PAGE 4096ull

/* Said once per kind, with write(2). */
static void warn_once(atomic_bool *told, const char *msg)
{
	if (!atomic_exchange(told, true) && write(STDERR_FILENO, msg, strlen(msg)) < 0)
		return; /* nothing better to do */
}

/* The list of reclaimable pages (plat->lru_lock) */

/* Every change of a page's lru state goes here: plat->nr_isolated follows. */
static void lru_set(struct sgx_platform *plat, struct sgx_encl_page *page,
		    enum sgx_lru_state state)
{
	if (page->lru == SGX_LRU_ISOLATED)
		plat->nr_isolated--;
	if (state == SGX_LRU_ISOLATED)
		plat->nr_isolated++;
	page->lru = state;
}

static void lru_unlink(struct sgx_platform *plat, struct sgx_encl_page *page)
{
	if (page->lru_prev)
		page->lru_prev->lru_next = page->lru_next;
	else
		plat->lru_head = page->lru_next;
	if (page->lru_next)
		page->lru_next->lru_prev = page->lru_prev;
	else
		plat->lru_tail = page->lru_prev;
	page->lru_prev = page->lru_next = NULL;
}

static void lru_add_tail(struct sgx_platform *plat, struct sgx_encl_page *page)
{
	page->lru_next = NULL;
	page->lru_prev = plat->lru_tail;
	if (plat->lru_tail)
		plat->lru_tail->lru_next = page;
	else
		plat->lru_head = page;
	plat->lru_tail = page;
	lru_set(plat, page, SGX_LRU_LISTED);
}

void sgx_reclaim_init(struct sgx_platform *plat)
{
	pthread_mutex_init(&plat->lru_lock, NULL);
	pthread_cond_init(&plat->ksgxd_wake, NULL);
	pthread_cond_init(&plat->reclaim_done, NULL);
	plat->lru_head = plat->lru_tail = NULL;
	plat->nr_isolated = 0;
	plat->reclaim_gen = 0;
	plat->ksgxd_running = false;
}

void sgx_mark_page_reclaimable(struct sgx_encl_page *page)
{
	struct sgx_platform *plat = page->encl->plat;

	/*
	 * A page reloaded after its EWB may still be in the batch that wrote it
	 * (ISOLATED): the batch lists it when it lets go. Until then it stays
	 * the batch's, so that nothing frees it under the batch (REMOVE_PAGES
	 * says EBUSY, as for a page being reclaimed).
	 */
	pthread_mutex_lock(&plat->lru_lock);
	if (page->lru == SGX_LRU_ISOLATED)
		page->lru_relist = true;
	else if (page->lru == SGX_LRU_NONE)
		lru_add_tail(plat, page);
	pthread_mutex_unlock(&plat->lru_lock);
}

int sgx_unmark_page_reclaimable(struct sgx_encl_page *page)
{
	struct sgx_platform *plat = page->encl->plat;
	int ret = 0;

	pthread_mutex_lock(&plat->lru_lock);
	if (page->lru == SGX_LRU_ISOLATED) {
		ret = -EBUSY;
	} else if (page->lru == SGX_LRU_LISTED) {
		lru_unlink(plat, page);
		lru_set(plat, page, SGX_LRU_NONE);
	}
	pthread_mutex_unlock(&plat->lru_lock);
	return ret;
}

size_t sgx_watermark(struct sgx_platform *plat, size_t watermark)
{
	size_t scaled = sgx_cpu_epc_pages(plat->cpu) / (watermark == SGX_NR_LOW_PAGES ? 8 : 4);

	return scaled < watermark ? scaled : watermark;
}

bool sgx_should_reclaim(struct sgx_platform *plat, size_t watermark)
{
	bool listed;

	pthread_mutex_lock(&plat->lru_lock);
	listed = plat->lru_head != NULL;
	pthread_mutex_unlock(&plat->lru_lock);
	return listed && sgx_nr_free_epc_pages(plat) < sgx_watermark(plat, watermark);
}

uint64_t sgx_reclaim_gen(struct sgx_platform *plat)
{
	uint64_t gen;

	pthread_mutex_lock(&plat->lru_lock);
	gen = plat->reclaim_gen;
	pthread_mutex_unlock(&plat->lru_lock);
	return gen;
}

void sgx_reclaim_wait(struct sgx_platform *plat, uint64_t gen, unsigned int ms)
{
	struct timespec until;

	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_nsec += (long)ms * 1000000L;
	until.tv_sec += until.tv_nsec / 1000000000L;
	until.tv_nsec %= 1000000000L;
	pthread_mutex_lock(&plat->lru_lock);
	while (plat->reclaim_gen == gen)
		if (pthread_cond_timedwait(&plat->reclaim_done, &plat->lru_lock, &until))
			break;
	pthread_mutex_unlock(&plat->lru_lock);
}

/* Version-array pages */

/* Byte offsets in the backing store. */
static uint64_t backing_page_off(uint64_t index)
{
	return index * PAGE;
}

static uint64_t backing_pcmd_off(const struct sgx_encl *encl, uint64_t index)
{
	return encl->size + PAGE + index * sizeof(struct sgx_pcmd);
}

/* The backing index of the page at @addr, or of the SECS for 0. */
static uint64_t backing_index(const struct sgx_encl *encl, uint64_t addr)
{
	return addr ? (addr - encl->base) / PAGE : encl->size / PAGE;
}

int sgx_encl_grow(struct sgx_encl *encl, bool reclaim, struct sgx_va_page **out)
{
	struct sgx_platform *plat = encl->plat;
	struct sgx_va_page *va = NULL;
	int ret;

	*out = NULL;
	if (!(encl->page_cnt % SGX_VA_SLOT_COUNT)) {
		va = calloc(1, sizeof(*va));
		if (!va)
			return -ENOMEM;
		ret = sgx_alloc_epc_page(plat, NULL, reclaim, &va->epc);
		if (ret) {
			free(va);
			return ret;
		}
		if (encls_epa(sgx_current_lp(plat), SGX_PAGE_TYPE_VA, va->epc)) {
			sgx_free_epc_page(plat, va->epc);
			free(va);
			return -EFAULT;
		}
	}
	encl->page_cnt++;
	*out = va;
	return 0;
}

static void va_unlink(struct sgx_encl *encl, struct sgx_va_page *va)
{
	if (va->prev)
		va->prev->next = va->next;
	else
		encl->va_head = va->next;
	if (va->next)
		va->next->prev = va->prev;
	else
		encl->va_tail = va->prev;
	va->prev = va->next = NULL;
}

static void va_add_head(struct sgx_encl *encl, struct sgx_va_page *va)
{
	va->prev = NULL;
	va->next = encl->va_head;
	if (encl->va_head)
		encl->va_head->prev = va;
	else
		encl->va_tail = va;
	encl->va_head = va;
}

static void va_add_tail(struct sgx_encl *encl, struct sgx_va_page *va)
{
	va->next = NULL;
	va->prev = encl->va_tail;
	if (encl->va_tail)
		encl->va_tail->next = va;
	else
		encl->va_head = va;
	encl->va_tail = va;
}

void sgx_encl_add_va_page(struct sgx_encl *encl, struct sgx_va_page *va)
{
	if (va)
		va_add_head(encl, va);
}

void sgx_encl_shrink(struct sgx_encl *encl, struct sgx_va_page *va)
{
	encl->page_cnt--;
	if (va) {
		sgx_encl_free_epc_page(encl->plat, va->epc);
		free(va);
	}
}

/*
 * A free VA slot from the first VA page (Linux's sgx_alloc_va_slot()), its
 * page in *@out; a page that fills goes to the tail. There always is one:
 * page_cnt reserves a slot for every page.
 */
static uint16_t alloc_va_slot(struct sgx_encl *encl, struct sgx_va_page **out)
{
	struct sgx_va_page *va = encl->va_head;
	unsigned int i, bit;

	*out = NULL;
	for (i = 0; va && i < SGX_VA_SLOT_COUNT / 64; i++) {
		if (va->used[i] == ~0ull)
			continue;
		bit = (unsigned int)__builtin_ctzll(~va->used[i]);
		va->used[i] |= 1ull << bit;
		if (++va->nr_used == SGX_VA_SLOT_COUNT) {
			va_unlink(encl, va);
			va_add_tail(encl, va);
		}
		*out = va;
		return (uint16_t)(i * 64 + bit);
	}
	return 0;
}

/* Give a slot back; its page goes to the head, where the next slot is taken. */
static void free_va_slot(struct sgx_encl *encl, struct sgx_va_page *va, uint16_t slot)
{
	va->used[slot / 64] &= ~(1ull << (slot % 64));
	va->nr_used--;
	va_unlink(encl, va);
	va_add_head(encl, va);
}

/* The backing store */

int sgx_encl_backing_init(struct sgx_encl *encl, uint64_t size)
{
	uint64_t len = size + PAGE + ((size + PAGE) >> 5);
	int fd = memfd_create("sgx_backing", MFD_CLOEXEC);
	uint8_t *bounce = aligned_alloc(PAGE, 2 * PAGE); /* a page, then a PCMD entry */

	if (fd < 0 || !bounce || ftruncate(fd, (off_t)len)) {
		if (fd >= 0)
			sys_close(fd);
		free(bounce);
		return -ENOMEM;
	}
	encl->backing_fd = fd;
	encl->bounce = bounce;
	return 0;
}

void sgx_encl_paging_release(struct sgx_encl *encl, bool leaves)
{
	struct sgx_va_page *va;

	while ((va = encl->va_head)) {
		va_unlink(encl, va);
		if (leaves)
			sgx_encl_free_epc_page(encl->plat, va->epc);
		free(va);
	}
	if (encl->backing_fd >= 0)
		sys_close(encl->backing_fd);
	encl->backing_fd = -1;
	free(encl->bounce);
	encl->bounce = NULL;
}

/*
 * Make sure the backing store has room for the page at @addr (0: the SECS)
 * and its PCMD entry before the page is written (Linux's
 * sgx_encl_alloc_backing()). Return: 0 or -ENOMEM.
 */
static int backing_alloc(struct sgx_encl *encl, uint64_t addr)
{
	uint64_t index = backing_index(encl, addr);

	if (fallocate(encl->backing_fd, 0, (off_t)backing_page_off(index), (off_t)PAGE) ||
	    fallocate(encl->backing_fd, 0, (off_t)(backing_pcmd_off(encl, index) & ~(PAGE - 1)),
		      (off_t)PAGE))
		return -ENOMEM;
	return 0;
}

/* Whole reads and writes of the backing file. */
static bool backing_io(struct sgx_encl *encl, bool write, void *buf, uint64_t len, uint64_t off)
{
	ssize_t n = write ? pwrite(encl->backing_fd, buf, len, (off_t)off)
			  : pread(encl->backing_fd, buf, len, (off_t)off);

	return n == (ssize_t)len;
}

/* Give a page of a memfd back to the host (its contents become zeros). */
static void punch(int fd, uint64_t off, uint64_t len)
{
	if (fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, (off_t)off, (off_t)len))
		return; /* the memory stays allocated: nothing else depends on it */
}

/* EWB and ELDU */

/*
 * Linux's sgx_encl_ewb(): write the blocked EPC page @epc (the page at
 * @addr, 0 for the SECS) to the backing store. NOT_TRACKED: ETRACK (after
 * an interrupt round if an earlier cycle is still open) and again; then an
 * interrupt round and again. Under encl->lock. Return: 0
 * with the VA slot in *@va / *@slot, or the leaf's error.
 */
static int encl_ewb(struct sgx_encl *encl, uint64_t epc, uint64_t addr, struct sgx_va_page **va,
		    uint16_t *slot)
{
	struct sgx_platform *plat = encl->plat;
	struct sgx_lp *lp = sgx_current_lp(plat);
	uint64_t index = backing_index(encl, addr), va_slot;
	struct sgx_pageinfo pginfo = {
		.srcpge = (uintptr_t)encl->bounce,
		.pcmd = (uintptr_t)(encl->bounce + PAGE),
	};
	int ret;

	*slot = alloc_va_slot(encl, va);
	if (!*va)
		return SGX_GP; /* cannot happen: page_cnt reserves a slot for every page */
	va_slot = (*va)->epc + *slot * 8ull;
	ret = encls_ewb(lp, &pginfo, epc, va_slot);
	if (ret == SGX_NOT_TRACKED) {
		/*
		 * Where an earlier tracking cycle is still open, Linux goes on
		 * and its last EWB fails, as no cycle began after the EBLOCK;
		 * here the ETRACK flow's own retry closes it (docs/fidelity.md).
		 */
		sgx_etrack_cycle(encl, true);
		ret = encls_ewb(lp, &pginfo, epc, va_slot);
		if (ret == SGX_NOT_TRACKED) {
			sgx_count(plat, SOFTSGX_CNT_PAGING_IPI, 1);
			sgx_ipi(encl);
			/* Every thread inside has left since the ETRACK: tracking is complete. */
			sgx_inject_spare(plat, SGX_EVENT_EWB_NOT_TRACKED, true);
			ret = encls_ewb(lp, &pginfo, epc, va_slot);
			sgx_inject_spare(plat, SGX_EVENT_EWB_NOT_TRACKED, false);
		}
	}
	if (ret) {
		free_va_slot(encl, *va, *slot);
		*va = NULL;
		return ret;
	}
	/* The space was allocated before (backing_alloc()): these writes do not fail. */
	backing_io(encl, true, encl->bounce, PAGE, backing_page_off(index));
	backing_io(encl, true, encl->bounce + PAGE, sizeof(struct sgx_pcmd),
		   backing_pcmd_off(encl, index));
	sgx_count(plat, SOFTSGX_CNT_EPC_EVICTED, 1);
	if (trace_on())
		trace_paging(true, addr ? addr : encl->base, index, 0);
	return 0;
}

/*
 * Linux's sgx_encl_eldu(): reload the page at @addr (0: the SECS) from the
 * backing store into a fresh EPC page with storage @mem, without reclaim.
 * Under encl->lock. Return: 0 with the page in *@epc, the allocation's
 * error, or -EFAULT (ELDU refused it: the page stays swapped out).
 */
static int encl_eldu(struct sgx_encl *encl, uint64_t addr, void *mem, struct sgx_va_page *va,
		     uint16_t slot, uint64_t *epc)
{
	static atomic_bool told;
	static const struct sgx_pcmd zero;
	struct sgx_platform *plat = encl->plat;
	uint64_t index = backing_index(encl, addr), pcmd_page;
	struct sgx_pageinfo pginfo = {
		.linaddr = addr,
		.srcpge = (uintptr_t)encl->bounce,
		.pcmd = (uintptr_t)(encl->bounce + PAGE),
		.secs = addr ? encl->secs_epc : 0,
	};
	uint8_t *pcmds;
	size_t i;
	int ret;

	if (!backing_io(encl, false, encl->bounce, PAGE, backing_page_off(index)) ||
	    !backing_io(encl, false, encl->bounce + PAGE, sizeof(struct sgx_pcmd),
			backing_pcmd_off(encl, index)))
		return -EFAULT;
	ret = sgx_alloc_epc_page(plat, mem, false, epc);
	if (ret)
		return ret;
	ret = encls_eldu(sgx_current_lp(plat), &pginfo, *epc, va->epc + slot * 8ull);
	if (trace_on())
		trace_paging(false, addr ? addr : encl->base, index, ret);
	if (ret) {
		sgx_free_epc_page(plat, *epc);
		*epc = 0;
		sgx_count(plat, SOFTSGX_CNT_EPC_RELOAD_FAILED, 1);
		if (ret == SGX_MAC_COMPARE_FAIL)
			warn_once(&told, "softsgx: ELDU refused a page of the backing store "
					 "(SGX_MAC_COMPARE_FAIL: it was modified or replayed)\n");
		return -EFAULT;
	}
	sgx_count(plat, SOFTSGX_CNT_EPC_RELOADED, 1);
	free_va_slot(encl, va, slot);
	/* The backing page and PCMD entry are not needed any more (Linux truncates them). */
	backing_io(encl, true, (void *)&zero, sizeof(zero), backing_pcmd_off(encl, index));
	punch(encl->backing_fd, backing_page_off(index), PAGE);
	pcmd_page = backing_pcmd_off(encl, index) & ~(PAGE - 1);
	pcmds = encl->bounce; /* the page is in the EPC now: the bounce buffer is free */
	if (backing_io(encl, false, pcmds, PAGE, pcmd_page)) {
		for (i = 0; i < PAGE && !pcmds[i]; i++)
			;
		if (i == PAGE)
			punch(encl->backing_fd, pcmd_page, PAGE);
	}
	return 0;
}

int sgx_encl_load_secs(struct sgx_encl *encl)
{
	uint64_t epc;
	int ret;

	if (encl->secs_epc)
		return 0;
	ret = encl_eldu(encl, 0, NULL, encl->secs_va_page, encl->secs_va_slot, &epc);
	if (ret)
		return ret;
	encl->secs_epc = epc;
	encl->secs_va_page = NULL;
	return 0;
}

struct sgx_encl_page *sgx_encl_load_resident(struct sgx_encl *encl, uint64_t addr, int *err)
{
	struct sgx_encl_page *page = sgx_encl_load_page(encl, addr);
	uint64_t epc;

	if (!page) {
		*err = -EFAULT;
		return NULL;
	}
	if (page->epc) {
		if (page->desc & SGX_ENCL_PAGE_BEING_RECLAIMED) {
			*err = -EBUSY;
			return NULL;
		}
		return page;
	}
	*err = sgx_encl_load_secs(encl);
	if (*err)
		return NULL;
	*err = encl_eldu(encl, page->addr, sgx_encl_phys(encl, page->addr), page->va_page,
			 page->va_slot, &epc);
	if (*err)
		return NULL;
	page->epc = epc;
	page->va_page = NULL;
	encl->secs_child_cnt++;
	encl->nr_swapped--;
	sgx_mark_page_reclaimable(page);
	return page;
}

/* How often a caller waits for the reclaimer before it gives up; Linux retries until it is there. */
#define RECLAIM_WAITS 1000

int sgx_encl_lock_retrying(struct sgx_encl *encl, int (*fn)(struct sgx_encl *encl, void *ctx),
			   void *ctx)
{
	unsigned int waits = 0;
	uint64_t gen;
	int ret;

	for (;;) {
		pthread_mutex_lock(&encl->lock);
		gen = sgx_reclaim_gen(encl->plat);
		ret = fn(encl, ctx);
		if (ret != -EBUSY || waits++ == RECLAIM_WAITS)
			return ret;
		pthread_mutex_unlock(&encl->lock);
		sgx_reclaim_wait(encl->plat, gen, RECLAIM_WAIT_MS);
	}
}

struct reserve {
	uint64_t addr;
	struct sgx_encl_page *page;
};

static int reserve_locked(struct sgx_encl *encl, void *ctx)
{
	struct reserve *r = ctx;
	int err;

	r->page = sgx_encl_load_resident(encl, r->addr, &err);
	return r->page ? 0 : err;
}

struct sgx_encl_page *sgx_encl_reserve_page(struct sgx_encl *encl, uint64_t addr)
{
	struct reserve r = { .addr = addr };

	sgx_encl_lock_retrying(encl, reserve_locked, &r);
	return r.page;
}

/* The reclaimer */

/*
 * Linux's sgx_reclaimer_age(): false (keep it) if the page was accessed
 * since it was last aged; the mark is cleared and the page unmapped, so
 * that its next access marks it again. Under encl->lock.
 */
static bool reclaimer_age(struct sgx_encl_page *page)
{
	struct sgx_platform *plat = page->encl->plat;

	if (!(page->desc & SGX_ENCL_PAGE_ACCESSED))
		return true;
	page->desc &= ~SGX_ENCL_PAGE_ACCESSED;
	atomic_fetch_add(&plat->reclaim_zaps, 1);
	sgx_zap_ptes(plat, page->addr, page->addr + PAGE);
	sgx_update_host(plat, page->addr, page->addr + PAGE);
	return false;
}

/* Linux's sgx_reclaimer_block(): no mapping of the page is left, then EBLOCK. */
static void reclaimer_block(struct sgx_encl_page *page)
{
	struct sgx_encl *encl = page->encl;
	struct sgx_platform *plat = encl->plat;

	pthread_mutex_lock(&encl->lock);
	atomic_fetch_add(&plat->reclaim_zaps, 1);
	sgx_zap_ptes(plat, page->addr, page->addr + PAGE);
	sgx_update_host(plat, page->addr, page->addr + PAGE);
	encls_eblock(sgx_current_lp(plat), page->epc); /* BLKSTATE (already blocked) is fine */
	pthread_mutex_unlock(&encl->lock);
}

/*
 * Linux's sgx_reclaimer_write(): EWB the page, give its EPC page and host
 * memory back, and the SECS too once no child is resident. An EWB that
 * fails leaves the page resident (blocked) and listed, where Linux loses
 * its contents (docs/fidelity.md). Return: 0 or -EIO.
 */
static int reclaimer_write(struct sgx_encl_page *page)
{
	static atomic_bool told;
	struct sgx_encl *encl = page->encl;
	struct sgx_platform *plat = encl->plat;
	struct sgx_va_page *va;
	uint16_t slot;
	uint64_t epc;
	int ret;

	pthread_mutex_lock(&encl->lock);
	page->desc &= ~SGX_ENCL_PAGE_BEING_RECLAIMED;
	epc = page->epc;
	ret = encl_ewb(encl, epc, page->addr, &va, &slot);
	if (ret) {
		pthread_mutex_unlock(&encl->lock);
		warn_once(&told, "softsgx: EWB failed; the page stays in the EPC\n");
		return -EIO;
	}
	page->epc = 0;
	page->va_page = va;
	page->va_slot = slot;
	encl->secs_child_cnt--;
	encl->nr_swapped++;
	sgx_free_epc_page(plat, epc);
	punch(encl->memfd, page->addr - encl->base, PAGE);
	if (!encl->secs_child_cnt && (atomic_load(&encl->flags) & SGX_ENCL_INITIALIZED) &&
	    !backing_alloc(encl, 0) && !encl_ewb(encl, encl->secs_epc, 0, &va, &slot)) {
		sgx_encl_free_epc_page(plat, encl->secs_epc);
		encl->secs_epc = 0;
		encl->secs_va_page = va;
		encl->secs_va_slot = slot;
	}
	pthread_mutex_unlock(&encl->lock);
	return 0;
}

/* A reference on @encl unless it is being torn down (under lru_lock: release unlinks under it). */
static bool encl_tryget(struct sgx_encl *encl)
{
	unsigned int refs = atomic_load(&encl->refs);

	while (refs)
		if (atomic_compare_exchange_weak(&encl->refs, &refs, refs + 1))
			return true;
	return false;
}

/*
 * The batch that holds the page (ISOLATED, which only this ends) lets it
 * go: back on the list (@relist, or reloaded since its EWB), or off it
 * (written back). The batch's reference goes.
 */
static void batch_release(struct sgx_encl_page *page, bool relist)
{
	struct sgx_platform *plat = page->encl->plat;
	struct sgx_encl *encl = page->encl;

	pthread_mutex_lock(&plat->lru_lock);
	if (relist || page->lru_relist)
		lru_add_tail(plat, page);
	else
		lru_set(plat, page, SGX_LRU_NONE);
	page->lru_relist = false;
	pthread_mutex_unlock(&plat->lru_lock);
	sgx_encl_put(encl);
}

static void batch_done(struct sgx_platform *plat)
{
	pthread_mutex_lock(&plat->lru_lock);
	plat->reclaim_gen++;
	pthread_cond_broadcast(&plat->reclaim_done);
	pthread_mutex_unlock(&plat->lru_lock);
}

/* Block, then write back, the pages of @chunk (NULL entries skipped); each loses its reference. */
static int reclaim_chunk(struct sgx_encl_page **chunk, size_t cnt)
{
	size_t i;
	int ret = 0;

	for (i = 0; i < cnt; i++)
		if (chunk[i])
			reclaimer_block(chunk[i]);
	for (i = 0; i < cnt; i++) {
		if (!chunk[i])
			continue;
		if (reclaimer_write(chunk[i])) {
			batch_release(chunk[i], true);
			ret = -EIO;
		} else {
			batch_release(chunk[i], false);
		}
	}
	return ret;
}

void sgx_reclaim_pages(struct sgx_platform *plat)
{
	struct sgx_encl_page *chunk[SGX_NR_TO_SCAN], *page;
	size_t cnt = 0, i;
	bool reclaim;

	pthread_mutex_lock(&plat->lru_lock);
	while (cnt < SGX_NR_TO_SCAN && (page = plat->lru_head)) {
		lru_unlink(plat, page);
		/* Pages of an enclave being torn down (or a forked child's copy) are dropped. */
		if (!sgx_encl_detached(page->encl) && encl_tryget(page->encl)) {
			lru_set(plat, page, SGX_LRU_ISOLATED);
			chunk[cnt++] = page;
		} else {
			lru_set(plat, page, SGX_LRU_NONE);
		}
	}
	pthread_mutex_unlock(&plat->lru_lock);
	if (!cnt)
		return;
	sgx_count(plat, SOFTSGX_CNT_RECLAIM_BATCHES, 1);
	for (i = 0; i < cnt; i++) {
		page = chunk[i];
		pthread_mutex_lock(&page->encl->lock);
		reclaim = reclaimer_age(page) && !backing_alloc(page->encl, page->addr);
		if (reclaim)
			page->desc |= SGX_ENCL_PAGE_BEING_RECLAIMED;
		pthread_mutex_unlock(&page->encl->lock);
		if (!reclaim) {
			batch_release(page, true);
			chunk[i] = NULL;
		}
	}
	reclaim_chunk(chunk, cnt);
	batch_done(plat);
}

void sgx_reclaim_direct(struct sgx_platform *plat)
{
	if (sgx_should_reclaim(plat, SGX_NR_LOW_PAGES))
		sgx_reclaim_pages(plat);
}

int sgx_encl_isolate_page(struct sgx_encl *encl, uint64_t addr, bool being_reclaimed,
			  struct sgx_encl_page **out)
{
	struct sgx_platform *plat = encl->plat;
	struct sgx_encl_page *page;
	int ret = 0;

	pthread_mutex_lock(&encl->lock);
	page = sgx_encl_load_page(encl, addr);
	if (!page || !page->epc) {
		ret = -EFAULT;
	} else if (page->desc & SGX_ENCL_PAGE_BEING_RECLAIMED) {
		ret = -EBUSY;
	} else if (being_reclaimed && backing_alloc(encl, addr)) {
		ret = -ENOMEM;
	} else {
		pthread_mutex_lock(&plat->lru_lock);
		if (page->lru == SGX_LRU_ISOLATED) {
			ret = -EBUSY;
		} else {
			if (page->lru == SGX_LRU_LISTED)
				lru_unlink(plat, page);
			lru_set(plat, page, SGX_LRU_ISOLATED);
			sgx_encl_get(encl);
		}
		pthread_mutex_unlock(&plat->lru_lock);
		if (!ret && being_reclaimed)
			page->desc |= SGX_ENCL_PAGE_BEING_RECLAIMED;
	}
	pthread_mutex_unlock(&encl->lock);
	*out = ret ? NULL : page;
	return ret;
}

int sgx_reclaim_isolated(struct sgx_encl_page *page, bool write)
{
	struct sgx_platform *plat = page->encl->plat;
	int ret = 0;

	if (write && !(page->desc & SGX_ENCL_PAGE_BEING_RECLAIMED)) {
		pthread_mutex_lock(&page->encl->lock);
		if (backing_alloc(page->encl, page->addr))
			write = false;
		else
			page->desc |= SGX_ENCL_PAGE_BEING_RECLAIMED;
		pthread_mutex_unlock(&page->encl->lock);
		ret = write ? 0 : -ENOMEM;
	}
	if (write) {
		ret = reclaim_chunk(&page, 1);
	} else {
		pthread_mutex_lock(&page->encl->lock);
		page->desc &= ~SGX_ENCL_PAGE_BEING_RECLAIMED;
		pthread_mutex_unlock(&page->encl->lock);
		batch_release(page, true);
	}
	batch_done(plat);
	return ret;
}

int sgx_encl_evict_page(struct sgx_encl *encl, uint64_t addr)
{
	struct sgx_encl_page *page;
	int ret = sgx_encl_isolate_page(encl, addr, true, &page);

	return ret ? ret : sgx_reclaim_isolated(page, true);
}

/* ksgxd */

/* Whether ksgxd has a batch to run: under lru_lock. */
static bool ksgxd_work(struct sgx_platform *plat)
{
	return plat->lru_head && !plat->ksgxd_paused &&
	       sgx_nr_free_epc_pages(plat) < sgx_watermark(plat, SGX_NR_HIGH_PAGES);
}

static void *ksgxd(void *arg)
{
	struct sgx_platform *plat = arg;

	if (plat->inject)
		sgx_inject_thread_is_ksgxd();

	pthread_mutex_lock(&plat->lru_lock);
	for (;;) {
		while (!ksgxd_work(plat)) {
			plat->ksgxd_busy = false;
			pthread_cond_broadcast(&plat->reclaim_done);
			pthread_cond_wait(&plat->ksgxd_wake, &plat->lru_lock);
		}
		plat->ksgxd_busy = true;
		pthread_mutex_unlock(&plat->lru_lock);
		/* The mappings are held one batch at a time, as Linux holds an mm's lock per page. */
		pthread_rwlock_rdlock(&plat->mmap_lock);
		sgx_reclaim_pages(plat);
		pthread_rwlock_unlock(&plat->mmap_lock);
		pthread_mutex_lock(&plat->lru_lock);
	}
	return NULL;
}

void sgx_ksgxd_pause(struct sgx_platform *plat, bool pause)
{
	pthread_mutex_lock(&plat->lru_lock);
	if (pause) {
		plat->ksgxd_paused++;
		while (plat->ksgxd_busy)
			pthread_cond_wait(&plat->reclaim_done, &plat->lru_lock);
	} else {
		plat->ksgxd_paused--;
		pthread_cond_signal(&plat->ksgxd_wake);
	}
	pthread_mutex_unlock(&plat->lru_lock);
}

/*
 * At exit the reclaimer stops after its batch. exit() runs libcrypto's
 * cleanup (an atexit handler libcrypto registered before this one, so it
 * runs after it), and an EWB sealing a page with libcrypto torn down would
 * abort the exiting process. Not in a forked child that never started one.
 */
static void ksgxd_stop_at_exit(void)
{
	struct sgx_platform *plat = sgx_platform_peek();
	struct timespec until;

	if (!plat)
		return;
	/* A batch waits for the threads inside to take an interrupt: bounded, exit must not hang. */
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += 2;
	pthread_mutex_lock(&plat->lru_lock);
	plat->ksgxd_paused++;
	while (plat->ksgxd_busy)
		if (pthread_cond_timedwait(&plat->reclaim_done, &plat->lru_lock, &until))
			break;
	pthread_mutex_unlock(&plat->lru_lock);
}

/* Start the reclaimer thread, once per process, with every signal blocked. */
static void ksgxd_start(struct sgx_platform *plat)
{
	static atomic_bool exit_hook;
	static atomic_bool told;
	uint64_t all = ~0ull, old;
	pthread_attr_t attr;
	pthread_t tid;
	bool start;

	pthread_mutex_lock(&plat->lru_lock);
	start = !plat->ksgxd_running;
	plat->ksgxd_running = true;
	pthread_mutex_unlock(&plat->lru_lock);
	if (!start)
		return;
	/* No signal of the program's or softsgx's is ever delivered to it. */
	sys_sigprocmask(SIG_SETMASK, &all, &old);
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	if (!atomic_exchange(&exit_hook, true))
		atexit(ksgxd_stop_at_exit);
	if (pthread_create(&tid, &attr, ksgxd, plat))
		warn_once(&told, "softsgx: the reclaimer thread could not be started; "
				 "EPC pages are reclaimed only when allocations need them\n");
	else
		pthread_setname_np(tid, "ksgxd");
	pthread_attr_destroy(&attr);
	sys_sigprocmask(SIG_SETMASK, &old, NULL);
}

void sgx_wake_ksgxd(struct sgx_platform *plat)
{
	ksgxd_start(plat);
	pthread_mutex_lock(&plat->lru_lock);
	pthread_cond_signal(&plat->ksgxd_wake);
	pthread_mutex_unlock(&plat->lru_lock);
}
