/* SPDX-License-Identifier: MIT */
/*
 * Enclave mappings: the VMA list (mmap, mprotect, munmap with Linux's
 * sgx_encl_may_map() rules), the page table the processor's MMU walks
 * (entries installed by the fault handler, removed by zapping), and the
 * effective protections the host applies: mapping AND EPCM, PROT_NONE for
 * pages without a page-table entry or not accessible in the EPCM.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/personality.h>
#include <unistd.h>

#include "driver/driver.h"
#include "sys.h"

#define PAGE 4096ull
/* x86-64's TASK_SIZE_MAX with 4-level paging: the top of user space. */
#define TASK_SIZE (0x800000000000ull - PAGE)
#ifndef MAP_HUGE_2MB
#define MAP_HUGE_2MB (21 << 26)
#define MAP_HUGE_1GB (30 << 26)
#endif

/* VMA list (plat->mmap_lock held) */

struct sgx_vma *sgx_find_vma(struct sgx_platform *plat, uint64_t addr)
{
	struct sgx_vma *vma;

	for (vma = plat->vmas; vma && vma->start <= addr; vma = vma->next)
		if (addr < vma->end)
			return vma;
	return NULL;
}

static void vma_link(struct sgx_platform *plat, struct sgx_vma *new)
{
	struct sgx_vma **pp = &plat->vmas;

	while (*pp && (*pp)->start < new->start)
		pp = &(*pp)->next;
	new->next = *pp;
	*pp = new;
	sgx_hull_add(new->start, new->end);
}

_Atomic uint64_t sgx_hull_start = UINT64_MAX, sgx_hull_end;

void sgx_hull_add(uint64_t start, uint64_t end)
{
	if (start < atomic_load(&sgx_hull_start))
		atomic_store(&sgx_hull_start, start);
	if (end > atomic_load(&sgx_hull_end))
		atomic_store(&sgx_hull_end, end);
}

/* Split @vma at @addr (strictly inside it); the new VMA is the upper part. */
static int vma_split(struct sgx_vma *vma, uint64_t addr)
{
	struct sgx_vma *upper = malloc(sizeof(*upper));

	if (!upper)
		return -ENOMEM;
	*upper = *vma;
	upper->start = addr;
	vma->end = addr;
	vma->next = upper;
	sgx_encl_get(vma->encl); /* each VMA holds a reference, like a file */
	return 0;
}

/* Make VMA boundaries fall on @start and @end. */
static int vma_split_range(struct sgx_platform *plat, uint64_t start, uint64_t end)
{
	struct sgx_vma *vma;
	int ret;

	vma = sgx_find_vma(plat, start);
	if (vma && vma->start < start && (ret = vma_split(vma, start)))
		return ret;
	vma = sgx_find_vma(plat, end - 1);
	if (vma && vma->end > end && (ret = vma_split(vma, end)))
		return ret;
	return 0;
}

/* Linux's sgx_encl_may_map(): may [start, end) be mapped with @prot? */
int sgx_encl_may_map(struct sgx_encl *encl, uint64_t start, uint64_t end, unsigned int prot)
{
	struct sgx_encl_page *page;
	uint64_t addr;
	int ret = 0;

	/* After INIT only ELRANGE may be mapped. */
	if ((atomic_load(&encl->flags) & SGX_ENCL_INITIALIZED) &&
	    (start < encl->base || end > encl->base + encl->size))
		return -EACCES;
	/* A READ_IMPLIES_EXEC process would get X on every readable page. */
	if (personality(0xffffffff) & READ_IMPLIES_EXEC)
		return -EACCES;
	pthread_mutex_lock(&encl->lock);
	/*
	 * Each existing page must allow @prot; addresses without a page are not
	 * checked. A range larger than the enclave's page count walks the pages.
	 */
	if ((end - start) / PAGE > encl->pages.count) {
		uint64_t key, val;
		size_t pos = 0;

		while (!ret && pagemap_next(&encl->pages, &pos, &key, &val)) {
			page = (struct sgx_encl_page *)(uintptr_t)val;
			if (page->addr >= start && page->addr < end && (prot & ~page->vm_max_prot_bits))
				ret = -EACCES;
		}
	} else {
		for (addr = start; addr < end; addr += PAGE) {
			page = sgx_encl_load_page(encl, addr);
			if (page && (prot & ~page->vm_max_prot_bits)) {
				ret = -EACCES;
				break;
			}
		}
	}
	pthread_mutex_unlock(&encl->lock);
	return ret;
}

/* Remove every enclave VMA (and page-table entry) in [start, end). */
static void vma_remove_range(struct sgx_platform *plat, uint64_t start, uint64_t end)
{
	struct sgx_vma **pp = &plat->vmas, *vma;

	while ((vma = *pp)) {
		if (vma->start >= start && vma->end <= end) {
			*pp = vma->next;
			sgx_encl_put(vma->encl);
			free(vma);
		} else {
			pp = &vma->next;
		}
	}
	if (!plat->vmas) {
		atomic_store(&sgx_hull_start, UINT64_MAX);
		atomic_store(&sgx_hull_end, 0);
	}
	sgx_zap_ptes(plat, start, end);
}

/* mm/mmap.c's LEGACY_MAP_MASK: what MAP_SHARED_VALIDATE accepts from a file without extras. */
#define LEGACY_MAP_MASK                                                                            \
	(MAP_SHARED | MAP_PRIVATE | MAP_FIXED | MAP_ANONYMOUS | MAP_DENYWRITE | MAP_EXECUTABLE |   \
	 MAP_GROWSDOWN | MAP_LOCKED | MAP_NORESERVE | MAP_POPULATE | MAP_NONBLOCK | MAP_STACK |    \
	 MAP_HUGETLB | MAP_32BIT | MAP_HUGE_2MB | MAP_HUGE_1GB)

/*
 * Reserve [start, start + len) if nothing is mapped there (PROT_NONE, for
 * host.map() to replace). Return: 0, -EEXIST (something is), -ENOMEM.
 */
static int reserve_at(uint64_t start, uint64_t len)
{
	void *want = (void *)(uintptr_t)start;
	void *p = sys_mmap(want, len, PROT_NONE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED_NOREPLACE, -1, 0);

	if (p == want)
		return 0;
	if (p != MAP_FAILED) { /* a kernel before 4.17 took the flag as a hint */
		sys_munmap(p, len);
		return -EEXIST;
	}
	return errno == EEXIST ? -EEXIST : -ENOMEM;
}

int sgx_mmap(struct sgx_platform *plat, struct sgx_encl *encl, uint64_t *addr, uint64_t len,
	     unsigned int prot, int flags, unsigned int fmode)
{
	struct sgx_vma *vma;
	uint64_t start = *addr, end;
	bool fixed, reserved = false;
	int ret;

	if (flags & MAP_FIXED_NOREPLACE)
		flags |= MAP_FIXED;
	fixed = (flags & MAP_FIXED) && !(flags & MAP_FIXED_NOREPLACE);
	if (!len)
		return -EINVAL;
	len = (len + PAGE - 1) & ~(PAGE - 1);
	if (!len)
		return -ENOMEM; /* do_mmap(): the length overflowed */
	/* sgx_get_unmapped_area() refuses MAP_PRIVATE; do_mmap() other types. */
	if ((flags & MAP_TYPE) != MAP_SHARED && (flags & MAP_TYPE) != MAP_SHARED_VALIDATE)
		return -EINVAL;
	if (flags & MAP_FIXED) {
		if (start & (PAGE - 1))
			return -EINVAL;
		if (len > TASK_SIZE || start > TASK_SIZE - len)
			return -ENOMEM; /* get_unmapped_area(): beyond user space */
		/* MAP_FIXED_NOREPLACE: -EEXIST over any mapping, else the range is ours. */
		if (flags & MAP_FIXED_NOREPLACE) {
			ret = reserve_at(start, len);
			if (ret)
				return ret;
			reserved = true;
		}
	} else {
		/* get_unmapped_area(): the hint if the range there is free, else any. */
		start &= ~(PAGE - 1);
		if (!start || len > TASK_SIZE || start > TASK_SIZE - len || reserve_at(start, len)) {
			void *p = sys_mmap(NULL, len, PROT_NONE,
				       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);

			if (p == MAP_FAILED)
				return -ENOMEM;
			start = (uint64_t)(uintptr_t)p;
		}
		reserved = true;
	}
	end = start + len;
	/* The file's part of do_mmap(), in its order. */
	if ((flags & MAP_TYPE) == MAP_SHARED_VALIDATE && (flags & ~LEGACY_MAP_MASK)) {
		ret = -EOPNOTSUPP;
		goto undo;
	}
	if (((prot & SGX_PROT_W) && !(fmode & SGX_FMODE_WRITE)) || !(fmode & SGX_FMODE_READ)) {
		ret = -EACCES;
		goto undo;
	}
	/*
	 * From here Linux has cleared the range (MAP_FIXED's old mappings are
	 * gone before the driver's mmap hook runs): a failure leaves a hole.
	 */
	if (fixed) {
		ret = sgx_munmap(plat, start, len);
		if (ret)
			return ret;
		reserved = true; /* a failure below unmaps the range again: the hole */
	}
	ret = sgx_encl_may_map(encl, start, end, prot);
	if (ret)
		goto undo;
	vma = malloc(sizeof(*vma));
	if (!vma) {
		ret = -ENOMEM;
		goto undo;
	}
	ret = plat->host.map(plat->host.ctx, encl, start, end);
	if (ret) {
		free(vma);
		goto undo;
	}
	*vma = (struct sgx_vma){ .start = start, .end = end, .prot = prot,
				 .maywrite = fmode & SGX_FMODE_WRITE, .encl = encl };
	sgx_encl_get(encl);
	vma_link(plat, vma);
	*addr = start;
	return 0;
undo:
	if (reserved)
		sys_munmap((void *)(uintptr_t)start, len);
	return ret;
}

/*
 * The host memory of the moved range [to, to + len) of @encl's mapping:
 * where it lies in ELRANGE, the memory of the pages of those addresses,
 * which the fault handler maps there (the host mapping moved along
 * still shows the pages of the old addresses). Return: 0 or -errno.
 */
static int moved_host_memory(struct sgx_platform *plat, struct sgx_encl *encl, uint64_t to,
			     uint64_t len)
{
	uint64_t lo = to > encl->base ? to : encl->base;
	uint64_t hi = to + len < encl->base + encl->size ? to + len : encl->base + encl->size;

	if (!(atomic_load(&encl->flags) & SGX_ENCL_CREATED) || lo >= hi)
		return 0;
	return plat->host.map(plat->host.ctx, encl, lo, hi);
}

int sgx_mremap_move(struct sgx_platform *plat, uint64_t from, uint64_t len, uint64_t to)
{
	struct sgx_vma **pp, *vma;
	uint64_t i, epc;
	int ret;

	ret = vma_split_range(plat, from, from + len);
	if (ret)
		return ret;
	vma = sgx_find_vma(plat, from);
	ret = plat->host.move(plat->host.ctx, from, to, len);
	if (ret)
		return ret;
	ret = vma ? moved_host_memory(plat, vma->encl, to, len) : 0;
	if (ret) {
		/* Nothing moved but the host mapping: it goes back (a failure leaves it there). */
		plat->host.move(plat->host.ctx, to, from, len);
		return ret;
	}
	/* move_page_tables(): the entries go with the mapping, to the same EPC pages. */
	pthread_mutex_lock(&plat->pt_lock);
	for (i = 0; i < len && plat->ptes.count; i += PAGE) {
		epc = pagemap_load(&plat->ptes, (from + i) / PAGE);
		if (!epc)
			continue;
		pagemap_erase(&plat->ptes, (from + i) / PAGE);
		if (pagemap_store(&plat->ptes, (to + i) / PAGE, epc))
			break; /* no memory for the entry: the page faults in again, if it may */
	}
	pthread_mutex_unlock(&plat->pt_lock);
	for (pp = &plat->vmas; (vma = *pp) && vma->start != from; pp = &vma->next)
		;
	if (vma) {
		*pp = vma->next;
		vma->start = to;
		vma->end = to + len;
		vma_link(plat, vma);
	}
	sgx_update_host(plat, to, to + len);
	return 0;
}

/* Does every byte of [start, end) lie in an enclave VMA? */
static bool range_is_enclave(struct sgx_platform *plat, uint64_t start, uint64_t end)
{
	struct sgx_vma *vma;
	uint64_t addr = start;

	while (addr < end) {
		vma = sgx_find_vma(plat, addr);
		if (!vma)
			return false;
		addr = vma->end;
	}
	return true;
}

int sgx_mprotect(struct sgx_platform *plat, uint64_t start, uint64_t len, unsigned int prot)
{
	struct sgx_vma *vma;
	uint64_t end = start + ((len + PAGE - 1) & ~(PAGE - 1)), addr;
	size_t n, i;
	uint8_t *old;
	int ret;

	if (start & (PAGE - 1))
		return -EINVAL;
	if (end == start)
		return 0;
	if (!range_is_enclave(plat, start, end))
		return -ENOMEM;
	/*
	 * mprotect_fixup() per VMA: a permission the mapping may not have
	 * (VM_MAYWRITE) -EACCES, then sgx_vma_mprotect()'s may_map with the
	 * new flags.
	 */
	for (addr = start; addr < end; addr = vma->end) {
		vma = sgx_find_vma(plat, addr);
		if ((prot & SGX_PROT_W) && !vma->maywrite)
			return -EACCES;
		ret = sgx_encl_may_map(vma->encl, addr, vma->end < end ? vma->end : end, prot);
		if (ret)
			return ret;
	}
	ret = vma_split_range(plat, start, end);
	if (ret)
		return ret;
	for (n = 0, vma = sgx_find_vma(plat, start); vma && vma->start < end; vma = vma->next)
		n++;
	old = malloc(n * sizeof(*old));
	if (!old)
		return -ENOMEM;
	for (i = 0, vma = sgx_find_vma(plat, start); i < n; i++, vma = vma->next) {
		old[i] = vma->prot;
		vma->prot = prot;
	}
	ret = sgx_update_host(plat, start, end);
	if (ret) {
		/* The host refused a run (vm.max_map_count): keep the old permissions, as mprotect_fixup(). */
		for (i = 0, vma = sgx_find_vma(plat, start); i < n; i++, vma = vma->next)
			vma->prot = old[i];
		sgx_update_host(plat, start, end);
		ret = -ENOMEM;
	}
	free(old);
	return ret;
}

int sgx_munmap(struct sgx_platform *plat, uint64_t start, uint64_t len)
{
	uint64_t end;
	int ret;

	/* do_vmi_munmap(): unaligned, beyond user space, or empty: -EINVAL. */
	if ((start & (PAGE - 1)) || start > TASK_SIZE || len > TASK_SIZE - start)
		return -EINVAL;
	end = start + ((len + PAGE - 1) & ~(PAGE - 1));
	if (end == start)
		return -EINVAL;
	ret = vma_split_range(plat, start, end);
	if (ret)
		return ret;
	vma_remove_range(plat, start, end);
	plat->host.unmap(plat->host.ctx, start, end);
	return 0;
}

/* The page table (plat->pt_lock) */

uint64_t sgx_pte_lookup(struct sgx_platform *plat, uint64_t addr)
{
	uint64_t epc;

	pthread_mutex_lock(&plat->pt_lock);
	epc = pagemap_load(&plat->ptes, addr / PAGE);
	pthread_mutex_unlock(&plat->pt_lock);
	return epc;
}

int sgx_install_pte(struct sgx_platform *plat, uint64_t addr, uint64_t epc)
{
	int ret;

	pthread_mutex_lock(&plat->pt_lock);
	ret = pagemap_store(&plat->ptes, addr / PAGE, epc);
	pthread_mutex_unlock(&plat->pt_lock);
	return ret;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return (x > y) - (x < y);
}

/*
 * The page-table entries in [start, end), sorted, into *@out (malloc'd, NULL
 * if none). Must be called with plat->pt_lock held. Return: how many, or
 * -1 if there is no memory for the list.
 */
static long ptes_in_range(struct sgx_platform *plat, uint64_t start, uint64_t end, uint64_t **out)
{
	uint64_t key, val, *keys;
	size_t pos = 0, n = 0;

	*out = NULL;
	if (!plat->ptes.count)
		return 0;
	keys = malloc(plat->ptes.count * sizeof(*keys));
	if (!keys)
		return -1;
	while (pagemap_next(&plat->ptes, &pos, &key, &val))
		if (key >= start / PAGE && key < end / PAGE)
			keys[n++] = key * PAGE;
	qsort(keys, n, sizeof(*keys), cmp_u64);
	*out = keys;
	return (long)n;
}

void sgx_zap_ptes(struct sgx_platform *plat, uint64_t start, uint64_t end)
{
	uint64_t addr, *keys;
	long n, i;

	pthread_mutex_lock(&plat->pt_lock);
	/* A range larger than the page table: erase the entries found in it. */
	if ((end - start) / PAGE > plat->ptes.count && (n = ptes_in_range(plat, start, end, &keys)) >= 0) {
		for (i = 0; i < n; i++)
			pagemap_erase(&plat->ptes, keys[i] / PAGE);
		free(keys);
	} else {
		for (addr = start; addr < end && plat->ptes.count; addr += PAGE)
			pagemap_erase(&plat->ptes, addr / PAGE);
	}
	pthread_mutex_unlock(&plat->pt_lock);
}

/*
 * The MMU of every logical processor of this process: VMA permissions and
 * page-table entries. Called by leaves with cpu->lock held; the thread
 * executing the leaf holds plat->mmap_lock.
 */
static uint32_t process_translate(void *ctx, uint64_t la, uint32_t access, uint64_t *pa)
{
	struct sgx_platform *plat = ctx;
	struct sgx_vma *vma = sgx_find_vma(plat, la);
	uint64_t epc = sgx_pte_lookup(plat, la);

	if (!vma || !epc)
		return SGX_PF_U | access; /* not present */
	if (!sgx_vma_allows(vma->prot, access))
		return SGX_PF_P | SGX_PF_U | access;
	*pa = epc + (la & (PAGE - 1));
	return 0;
}

const struct sgx_mmu sgx_process_mmu = { .translate = process_translate };

/* Effective protections */

/* What an enclave access to @addr may do: mapping AND EPCM; 0 without a PTE. */
static unsigned int effective_prot(struct sgx_platform *plat, const struct sgx_vma *vma,
				   uint64_t addr)
{
	struct sgx_epcm_info e;
	uint64_t epc = sgx_pte_lookup(plat, addr);

	if (!epc || sgx_cpu_epcm_read(plat->cpu, epc, &e))
		return 0;
	if (!e.valid || e.type != SGX_PAGE_TYPE_REG || e.pending || e.modified || e.blocked ||
	    e.linaddr != addr)
		return 0;
	return vma->prot & e.perm;
}

/*
 * One run of pages to the host. The host can refuse (mprotect's ENOMEM when
 * the process reaches vm.max_map_count): the protection then stays as it
 * was, which the caller must not present as done. Said once on stderr,
 * since nothing else tells a user why the enclave now sees SIGBUS.
 */
static int protect_run(struct sgx_platform *plat, uint64_t start, uint64_t end, unsigned int prot)
{
	static const char msg[] =
		"softsgx: cannot set host page protections: the process has too many mappings "
		"for its vm.max_map_count? Faults on such pages are SIGBUS.\n";
	static atomic_bool told;
	int ret = plat->host.protect(plat->host.ctx, start, end, prot);

	/* write(2), not stdio: the fault handler runs in a signal handler. */
	if (ret && !atomic_exchange(&told, true) && write(STDERR_FILENO, msg, sizeof(msg) - 1) < 0)
		return ret;
	return ret;
}

/* Runs of equal protection being collected, in address order. */
struct run {
	struct sgx_platform *plat;
	bool in_run;
	uint64_t start, end;
	unsigned int prot;
	int ret;
};

static void run_flush(struct run *r)
{
	int err;

	if (r->in_run && (err = protect_run(r->plat, r->start, r->end, r->prot)))
		r->ret = err;
	r->in_run = false;
}

/* [start, end) of a mapping gets @prot: extend the current run or start another. */
static void run_add(struct run *r, uint64_t start, uint64_t end, unsigned int prot)
{
	if (r->in_run && r->end == start && r->prot == prot) {
		r->end = end;
		return;
	}
	run_flush(r);
	*r = (struct run){ .plat = r->plat, .in_run = true, .start = start, .end = end, .prot = prot,
			   .ret = r->ret };
}

/*
 * [start, end) of @vma, where there are fewer page-table entries than pages:
 * PROT_NONE between the entries (@keys, sorted, *@i the first not yet passed).
 */
static void update_sparse(struct run *r, const struct sgx_vma *vma, uint64_t start, uint64_t end,
			  const uint64_t *keys, long n, long *i)
{
	uint64_t addr = start;

	for (; *i < n && keys[*i] < end; ++*i) {
		if (keys[*i] < start)
			continue;
		if (keys[*i] > addr)
			run_add(r, addr, keys[*i], 0);
		run_add(r, keys[*i], keys[*i] + PAGE, effective_prot(r->plat, vma, keys[*i]));
		addr = keys[*i] + PAGE;
	}
	if (addr < end)
		run_add(r, addr, end, 0);
}

int sgx_update_host(struct sgx_platform *plat, uint64_t start, uint64_t end)
{
	struct run r = { .plat = plat };
	struct sgx_vma *vma;
	uint64_t addr, s, e, *keys = NULL;
	long n = -1, i = 0;

	start &= ~(PAGE - 1);
	/*
	 * From the first computation to the last protect(): a fault's refresh
	 * that computed before an ioctl's EMODPR must not apply its result after
	 * the ioctl's own update (host RW while the EPCM says R).
	 */
	pthread_mutex_lock(&plat->host_lock);
	/* A range with more pages than the page table has entries: walk the entries instead. */
	pthread_mutex_lock(&plat->pt_lock);
	if ((end - start) / PAGE > plat->ptes.count)
		n = ptes_in_range(plat, start, end, &keys);
	pthread_mutex_unlock(&plat->pt_lock);
	/* The mappings in [start, end), walked once. */
	for (vma = plat->vmas; vma && vma->end <= start; vma = vma->next)
		;
	for (; vma && vma->start < end; vma = vma->next) {
		s = vma->start > start ? vma->start : start;
		e = vma->end < end ? vma->end : end;
		if (n >= 0) {
			update_sparse(&r, vma, s, e, keys, n, &i);
		} else {
			for (addr = s; addr < e; addr += PAGE)
				run_add(&r, addr, addr + PAGE, effective_prot(plat, vma, addr));
		}
	}
	run_flush(&r);
	pthread_mutex_unlock(&plat->host_lock);
	free(keys);
	return r.ret;
}
