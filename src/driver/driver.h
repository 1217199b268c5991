/* SPDX-License-Identifier: MIT */
/*
 * The twin of Linux's SGX driver (arch/x86/kernel/cpu/sgx): the platform
 * (processor + driver state of this process), enclave objects, their pages
 * and mappings, the EPC allocator, the fault handler and the ETRACK/IPI
 * flow. Same shape as Linux: driver.c (device files), ioctl.c (one
 * handler per ioctl), encl.c (enclave, faults), vma.c (VMAs, page table,
 * host protections), main.c (EPC), reclaim.c (EPC paging).
 *
 * Lock order (outermost first), as Linux's mmap_lock -> encl->lock:
 *   plat->mmap_lock (rwlock: the VMA list; like mm->mmap_lock)
 *     encl->lock (mutex: the enclave's pages and ENCLS on them; like encl->lock)
 *       plat->einit_lock (mutex: LEPUBKEYHASH write + EINIT, as Linux does
 *                         both on one CPU with preemption off)
 *       plat->host_lock (mutex: computing and applying host protections)
 *         cpu->lock (inside every leaf)
 *           plat->pt_lock (mutex: page-table entries; a leaf lock, taken last)
 *   plat->lru_lock (the reclaimer's list, reclaim.c) may be taken under any of
 *   the first two, and plat->epc_lock (the free EPC pages) under it: both are
 *   leaf locks otherwise, never held around cpu->lock or pt_lock;
 *   plat->files_lock (fd table) is taken alone.
 * A thread inside an enclave never waits for encl->lock: faults from enclave
 * mode are handled after the AEX, as on hardware, so a driver that holds
 * encl->lock while it interrupts such threads cannot deadlock with them.
 */
#ifndef SOFTSGX_DRIVER_H
#define SOFTSGX_DRIVER_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "cpu/cpu.h"
#include "driver/inject.h"
#include "driver/pagemap.h"
#include "softsgx/softsgx.h"

struct sgx_encl;
struct sgx_platform;

/* encl->flags, as Linux's enum sgx_encl_flags. */
#define SGX_ENCL_IOCTL 0x1u
#define SGX_ENCL_DEBUG 0x2u
#define SGX_ENCL_CREATED 0x4u
#define SGX_ENCL_INITIALIZED 0x8u
/* softsgx's own: a fork()ed child's copy of its parent's enclave, out of reach (fork.c). */
#define SGX_ENCL_DETACHED 0x10u

/* vm_max_prot_bits and VMA permissions use the SECINFO R/W/X bits. */
#define SGX_PROT_R 0x1u
#define SGX_PROT_W 0x2u
#define SGX_PROT_X 0x4u

/* encl_page->desc (encl->lock), as Linux's SGX_ENCL_PAGE_* bits. */
#define SGX_ENCL_PAGE_BEING_RECLAIMED 0x1u /* EBLOCKed or about to be, EWB to come */
#define SGX_ENCL_PAGE_ACCESSED 0x2u        /* faulted in since it was last aged (reclaim.c) */

/* encl_page->lru (plat->lru_lock): where the page stands with the reclaimer. */
enum sgx_lru_state {
	SGX_LRU_NONE,       /* not reclaimable (swapped out, being removed) */
	SGX_LRU_LISTED,     /* on plat's list of reclaimable pages */
	SGX_LRU_ISOLATED,   /* taken off it by a reclaim batch */
};

/*
 * One enclave page, like Linux's struct sgx_encl_page (its EPC page's
 * reclaimer fields included). Protected by encl->lock, but for @lru and
 * the list links (plat->lru_lock).
 */
struct sgx_encl_page {
	uint64_t addr;              /* linear address */
	uint64_t epc;               /* EPC address; 0 while swapped out */
	struct sgx_encl *encl;
	struct sgx_encl_page *lru_prev, *lru_next;
	struct sgx_va_page *va_page; /* while swapped out: its VA page ... */
	uint16_t va_slot;           /* ... and the slot in it */
	bool lru_relist;            /* reloaded while a batch holds it: listed when it lets go */
	uint8_t vm_max_prot_bits;   /* the most a mapping of it may allow */
	uint8_t type;               /* SGX_PAGE_TYPE_* as the driver recorded it */
	uint8_t desc;               /* SGX_ENCL_PAGE_* */
	uint8_t lru;                /* enum sgx_lru_state */
};

/*
 * A version-array page: SGX_VA_SLOT_COUNT slots of 8 bytes (Linux's struct
 * sgx_va_page). The enclave's VA pages form a list, as Linux keeps them:
 * the first has a free slot if any has (a page that fills goes to the
 * tail, one that frees a slot to the head).
 */
struct sgx_va_page {
	uint64_t epc;
	uint64_t used[SGX_VA_SLOT_COUNT / 64];
	unsigned int nr_used;
	struct sgx_va_page *prev, *next;
};

/* An enclave mapping, like a VMA with sgx_vm_ops. Protected by plat->mmap_lock. */
struct sgx_vma {
	uint64_t start;
	uint64_t end;
	uint8_t prot;               /* SGX_PROT_* */
	bool maywrite;              /* VM_MAYWRITE: the file was open for writing */
	struct sgx_encl *encl;
	struct sgx_vma *next;       /* sorted by start */
};

struct sgx_encl {
	struct sgx_platform *plat;
	atomic_uint flags;
	pthread_mutex_t lock;
	uint64_t base;
	uint64_t size;
	uint64_t attributes;
	uint64_t attributes_mask;
	uint64_t secs_epc;          /* the SECS's EPC page */
	uint64_t eid;               /* the processor's enclave ID: 1 for the first ECREATE ... */
	struct pagemap pages;       /* page index (offset >> 12) -> struct sgx_encl_page * */
	atomic_uint refs;           /* the fd and each VMA, as file references */
	int memfd;                  /* the enclave's memory: page i at offset i * 4096 */
	uint8_t *phys;              /* the emulator's read-write view of memfd */
	/* EPC paging (reclaim.c), under encl->lock */
	struct sgx_va_page *va_head, *va_tail; /* its VA pages (struct sgx_va_page) */
	uint64_t page_cnt;          /* pages counted for VA slots, the SECS included */
	uint64_t secs_child_cnt;    /* resident child pages */
	uint64_t nr_swapped;        /* child pages swapped out */
	struct sgx_va_page *secs_va_page; /* the SECS's VA slot while it is swapped out */
	uint16_t secs_va_slot;
	int backing_fd;             /* Linux's shmem backing file: sealed pages and PCMD */
	uint8_t *bounce;            /* a page and a PCMD entry on their way to or from it */
};

/* The host's side of "interrupt every thread inside the enclave". */
struct sgx_ipi_ops {
	/*
	 * Interrupt every thread currently executing inside @encl (NULL:
	 * inside any enclave) and return once each has left enclave mode
	 * (AEX), like on_each_cpu_mask(..., wait=1). Returns how many threads
	 * were interrupted.
	 */
	unsigned int (*interrupt)(void *ctx, struct sgx_encl *encl);
	void *ctx;
	/* The host's own signals (a kernel sigset): never the program's, for signal.c. */
	uint64_t own_signals;
};

/* The host's mappings of enclaves (src/host implements them). */
struct sgx_host_ops {
	/*
	 * Map [start, end) for @encl at exactly that address, PROT_NONE:
	 * the enclave's memory (encl->memfd at offset start - base) where the
	 * range lies in ELRANGE of a created enclave, a reservation elsewhere.
	 * Return: 0 or -errno.
	 */
	int (*map)(void *ctx, struct sgx_encl *encl, uint64_t start, uint64_t end);
	/* Set the host protection of [start, end) to @prot (SGX_PROT_*). Return: 0 or -errno. */
	int (*protect)(void *ctx, uint64_t start, uint64_t end, unsigned int prot);
	/* Unmap [start, end). */
	void (*unmap)(void *ctx, uint64_t start, uint64_t end);
	/* Move the host mapping [from, from + len) to @to (mremap). Return: 0 or -errno. */
	int (*move)(void *ctx, uint64_t from, uint64_t to, uint64_t len);
	/*
	 * Make the host ready to run enclave code (its traps installed), once
	 * per process, when the platform is created: a thread's own ENCLU may
	 * come before any softsgx call on it. Return: 0 or -errno.
	 */
	int (*start)(void);
	/*
	 * The XSAVE components the host enables for user code (XCR0, as the
	 * kernel's signal frames carry them); x87 and SSE at least.
	 */
	uint64_t (*xfeatures)(void);
	/*
	 * Whether madvise(MADV_POPULATE_WRITE) may be used on the enclave's
	 * memory (Linux 5.14+, host feature populate-write); NULL: no.
	 */
	bool (*populate_write)(void);
	void *ctx;
};

/*
 * An open device file. Its identity is the inode of the memfd behind the
 * program's descriptors, so dup()s of a descriptor are the same file, as in
 * Linux; the file goes when its last descriptor is closed through
 * softsgx_close().
 */
struct sgx_file {
	dev_t dev;
	ino_t ino;
	bool provision;             /* /dev/sgx_provision */
	uint8_t fmode;              /* SGX_FMODE_*: how it was opened */
	struct sgx_encl *encl;      /* /dev/sgx_enclave */
	struct sgx_file *next;
};

/* The open file's mode (FMODE_READ/FMODE_WRITE): what mmap and mprotect may ask. */
#define SGX_FMODE_READ 1u
#define SGX_FMODE_WRITE 2u

struct sgx_platform {
	struct sgx_cpu *cpu;
	struct softsgx_config cfg;
	pthread_rwlock_t mmap_lock;
	struct sgx_vma *vmas;
	pthread_mutex_t pt_lock;
	struct pagemap ptes;        /* linear page -> EPC address: the page table */
	pthread_mutex_t files_lock;
	struct sgx_file *files;
	pthread_mutex_t einit_lock;
	pthread_mutex_t host_lock;
	pthread_mutex_t epc_lock;
	uint64_t *free_epc;         /* stack of EPC addresses given back (main.c) */
	size_t nr_free_epc;
	size_t epc_fresh;           /* pages [0, epc_fresh) have been handed out at least once */
	/* The reclaimer (reclaim.c) */
	pthread_mutex_t lru_lock;   /* the list below and each page's lru state */
	struct sgx_encl_page *lru_head, *lru_tail; /* reclaimable pages, oldest first */
	size_t nr_isolated;         /* pages SGX_LRU_ISOLATED: a batch may free them yet */
	pthread_cond_t ksgxd_wake;  /* under lru_lock: free pages ran low */
	pthread_cond_t reclaim_done; /* under lru_lock: a batch finished (reclaim_gen moved) */
	uint64_t reclaim_gen;
	_Atomic uint64_t reclaim_zaps; /* page-table entries the reclaimer took away (aging, eviction) */
	bool ksgxd_running;         /* its thread was started (in this process: not after fork) */
	bool ksgxd_busy;            /* it is in a batch */
	unsigned int ksgxd_paused;  /* sgx_ksgxd_pause() callers */
	struct sgx_ipi_ops ipi;
	_Atomic uint64_t own_signals; /* ipi.own_signals, readable without mmap_lock */
	struct sgx_host_ops host;
	struct sgx_inject *inject;  /* NULL: nothing is injected (inject.c) */
	pthread_key_t lp_key;       /* the calling thread's logical processor (driver.c) */
	pthread_mutex_t lp_lock;
	struct lp_slot *foreign_lps; /* those of threads that share another's thread data */
	_Atomic uint64_t counters[SOFTSGX_NR_COUNTERS];
};

/*
 * [sgx_hull_start, sgx_hull_end) covers every enclave VMA of the process's
 * platform (it grows with them and is reset when the last goes): read
 * without mmap_lock by callers that only need to know whether a range may
 * meet one. Plain globals, so that a check inlined into code that must
 * not call the library (the preload library's, while a sanitizer's
 * runtime starts) reads them directly.
 */
extern _Atomic uint64_t sgx_hull_start, sgx_hull_end;

/* Whether to inject @point's result here (inject.h); one test when nothing is injected. */
static inline bool sgx_inject(struct sgx_platform *plat, enum sgx_inject_point point, uint64_t eid,
			      uint64_t addr)
{
	return __builtin_expect(plat->inject != NULL, 0) && sgx_inject_hit(plat, point, eid, addr);
}

/*
 * While @spare holds, the calling thread's leaves do not meet @event from
 * the injector: the leaf it runs next cannot meet it on hardware.
 */
void sgx_inject_spare(struct sgx_platform *plat, enum sgx_cpu_event event, bool spare);

static inline void sgx_count(struct sgx_platform *plat, enum softsgx_counter c, uint64_t n)
{
	atomic_fetch_add_explicit(&plat->counters[c], n, memory_order_relaxed);
}

/*
 * mm/fault.c's access_error() for a VMA with @prot (SGX_PROT_*): a write
 * needs W, a fetch X; x86 page tables cannot deny reads, so a read only
 * needs the mapping not to be PROT_NONE.
 */
static inline bool sgx_vma_allows(unsigned int prot, uint32_t access)
{
	if (access & SGX_PF_W)
		return prot & SGX_PROT_W;
	if (access & SGX_PF_I)
		return prot & SGX_PROT_X;
	return prot != 0;
}

/* driver.c */
/* The process's platform, created on first use. NULL if it cannot be created. */
struct sgx_platform *sgx_platform_get(void);
/* The platform if it exists, never creating it (signal handlers: creating it runs OpenSSL). */
struct sgx_platform *sgx_platform_peek(void);
/*
 * Whether [start, start + len) may meet an enclave mapping: false is
 * certain, true means "ask the driver". Lock-free: for routing calls.
 */
static inline bool sgx_range_may_be_enclave(uint64_t start, uint64_t len)
{
	return start < atomic_load_explicit(&sgx_hull_end, memory_order_acquire) &&
	       start + len > atomic_load_explicit(&sgx_hull_start, memory_order_acquire);
}
/* fork.c: what a fork()ed child keeps of @plat (registered once, at its creation). */
void sgx_fork_init(struct sgx_platform *plat);

static inline bool sgx_encl_detached(struct sgx_encl *encl)
{
	return atomic_load_explicit(&encl->flags, memory_order_relaxed) & SGX_ENCL_DETACHED;
}
/* vma.c: widen the hull to [start, end) (mmap_lock held for writing). */
void sgx_hull_add(uint64_t start, uint64_t end);
/* The calling thread's logical processor. */
struct sgx_lp *sgx_current_lp(struct sgx_platform *plat);
/* The enclave behind @fd, with a reference; NULL (errno EBADF/ENOTTY) if none. */
struct sgx_encl *sgx_encl_from_fd(struct sgx_platform *plat, int fd);
/* The file behind @fd (only to test its kind; no reference). */
bool sgx_fd_is_provision(struct sgx_platform *plat, int fd);
/* Install the host's "interrupt the threads inside" (tests install a double). */
void sgx_platform_set_ipi(struct sgx_platform *plat, const struct sgx_ipi_ops *ops);
/* The page table the processor's MMU walks for this process. */
extern const struct sgx_mmu sgx_process_mmu;

/* main.c: EPC pages */
/* Bytes of address space a platform with @epc_pages EPC pages maps (processor and allocator). */
size_t sgx_epc_map_size(size_t epc_pages);
/* The allocator of plat->cpu's EPC. Return: 0, or -1 (the host refused the mapping). */
int sgx_epc_init(struct sgx_platform *plat);
size_t sgx_nr_free_epc_pages(struct sgx_platform *plat);
/*
 * sgx_alloc_epc_page() - a free EPC page, whose storage is @mem (NULL: the
 * processor's own), as Linux's sgx_alloc_epc_page(): while none is free,
 * with @reclaim it reclaims (the caller holds plat->mmap_lock for reading
 * and no enclave's lock), without it fails; below SGX_NR_LOW_PAGES free
 * pages it wakes the reclaimer thread. Return: 0 with the page in *@epc,
 * -ENOMEM (none free and none reclaimable), -EBUSY (none free without
 * @reclaim), -ERESTARTSYS (it would reclaim and a signal is pending).
 */
int sgx_alloc_epc_page(struct sgx_platform *plat, void *mem, bool reclaim, uint64_t *epc);
/* Put a free (not VALID) EPC page back; one the processor still holds VALID is leaked. */
void sgx_free_epc_page(struct sgx_platform *plat, uint64_t epc);
/*
 * EREMOVE @epc, then free it; if EREMOVE fails (e.g. a thread is still
 * inside the enclave) the page is leaked with a warning, as Linux's
 * sgx_encl_free_epc_page() does. Return: 0, or the EREMOVE error.
 */
int sgx_encl_free_epc_page(struct sgx_platform *plat, uint64_t epc);
/* The same on logical processor @lp (the caller's, found once for many pages). */
int sgx_encl_free_epc_page_on(struct sgx_lp *lp, struct sgx_platform *plat, uint64_t epc);

/* reclaim.c: EPC paging, as Linux's reclaimer (main.c) and its encl.c helpers */
#define SGX_NR_TO_SCAN 16    /* pages per reclaim batch */
#define SGX_NR_LOW_PAGES 32  /* below this many free pages the reclaimer thread wakes */
#define SGX_NR_HIGH_PAGES 64 /* ... and works until there are this many */
/* Set up plat's list of reclaimable pages (the reclaimer thread starts when first needed). */
void sgx_reclaim_init(struct sgx_platform *plat);
/*
 * SGX_NR_LOW_PAGES or SGX_NR_HIGH_PAGES for this EPC: an EPC of fewer than
 * 256 pages gets an eighth and a quarter of its size instead, or the
 * reclaimer thread would evict every page all the time (docs/fidelity.md).
 */
size_t sgx_watermark(struct sgx_platform *plat, size_t watermark);
/* Fewer than sgx_watermark(@watermark) pages are free and some page is reclaimable. */
bool sgx_should_reclaim(struct sgx_platform *plat, size_t watermark);
/*
 * One batch: up to SGX_NR_TO_SCAN pages from the head of the list, aged
 * (an accessed page goes to the tail), then blocked, then written back.
 * The caller holds plat->mmap_lock for reading and no enclave's lock.
 */
void sgx_reclaim_pages(struct sgx_platform *plat);
/* One batch if fewer than SGX_NR_LOW_PAGES are free (Linux's sgx_reclaim_direct()). */
void sgx_reclaim_direct(struct sgx_platform *plat);
/*
 * Wake the reclaimer thread, starting it the first time (once per process;
 * a fork()ed child starts its own): a program that never runs low on EPC
 * pages has no thread of softsgx's. It is started with every signal blocked.
 */
void sgx_wake_ksgxd(struct sgx_platform *plat);
/*
 * Tests and checkers: keep the reclaimer thread from starting batches
 * (@pause), waiting for the one it is in, or let it go on again. Direct
 * reclaim goes on; a fault that waits for the thread waits longer.
 */
void sgx_ksgxd_pause(struct sgx_platform *plat, bool pause);
/* Put a resident page at the tail of the list (Linux's sgx_mark_page_reclaimable()). */
void sgx_mark_page_reclaimable(struct sgx_encl_page *page);
/* Take it off the list. Return: 0, or -EBUSY (a reclaim batch holds it). */
int sgx_unmark_page_reclaimable(struct sgx_encl_page *page);
/*
 * Count one more page of @encl (the SECS included), with a fresh VA page
 * in *@va when the count reaches a multiple of 512 (else NULL), allocated
 * as sgx_alloc_epc_page() with @reclaim (Linux's sgx_encl_grow()). A VA
 * page goes on the enclave's list with sgx_encl_add_va_page() once the page
 * it was made for is in. Return: 0 or -errno (-EFAULT: EPA failed).
 */
int sgx_encl_grow(struct sgx_encl *encl, bool reclaim, struct sgx_va_page **va);
void sgx_encl_add_va_page(struct sgx_encl *encl, struct sgx_va_page *va);
/* Undo sgx_encl_grow() (@va not yet added, or NULL), or count a removed page. */
void sgx_encl_shrink(struct sgx_encl *encl, struct sgx_va_page *va);
/* The backing store of a created enclave of @size bytes. Return: 0 or -ENOMEM. */
int sgx_encl_backing_init(struct sgx_encl *encl, uint64_t size);
/* Free VA pages and the backing store (teardown; leaves are run unless detached). */
void sgx_encl_paging_release(struct sgx_encl *encl, bool leaves);
/*
 * The page at @addr made resident, under encl->lock (Linux's
 * sgx_encl_load_page()): the SECS and then the page reloaded (ELDU) if
 * swapped out, without reclaim. Return: the page, or NULL with *@err
 * -EFAULT (no page; the reload failed), -EBUSY (being reclaimed, or no EPC
 * page free for the reload), -ENOMEM (none free, none reclaimable).
 */
struct sgx_encl_page *sgx_encl_load_resident(struct sgx_encl *encl, uint64_t addr, int *err);
/*
 * @fn(@encl, @ctx) under encl->lock, and again after each reclaim batch
 * while it says -EBUSY (a page being reclaimed, no EPC page free), at most
 * 1000 times, each wait at most 10 ms: Linux's retried fault
 * (VM_FAULT_NOPAGE) and sgx_encl_reserve_page() loop, bounded. Caller
 * holds plat->mmap_lock for reading. Returns @fn's last result, with
 * encl->lock held.
 */
int sgx_encl_lock_retrying(struct sgx_encl *encl, int (*fn)(struct sgx_encl *encl, void *ctx),
			   void *ctx);
#define RECLAIM_WAIT_MS 10 /* a wait for the reclaimer ends with its next batch, or after this */
/*
 * sgx_encl_load_resident() through sgx_encl_lock_retrying() (Linux's
 * sgx_encl_reserve_page()). Returns with encl->lock held: the page, or
 * NULL (no page, or it could not be made resident).
 */
struct sgx_encl_page *sgx_encl_reserve_page(struct sgx_encl *encl, uint64_t addr);
/* The SECS reloaded if it is swapped out, under encl->lock. Return: 0, or as sgx_encl_load_resident(). */
int sgx_encl_load_secs(struct sgx_encl *encl);
/*
 * Wait until a reclaim batch ends after plat->reclaim_gen was @gen, or
 * @ms milliseconds have passed; encl->lock must not be held.
 */
void sgx_reclaim_wait(struct sgx_platform *plat, uint64_t gen, unsigned int ms);
uint64_t sgx_reclaim_gen(struct sgx_platform *plat);
/*
 * A batch of one, in steps, for tests and fault injection: take the
 * resident page at @addr off the list as a reclaim batch does (and, with
 * @being_reclaimed, mark it as one about to be written back), then finish
 * with sgx_reclaim_isolated(): block and write it back (@write), or put it
 * back on the list. Caller holds plat->mmap_lock for reading.
 * Return: 0, -EFAULT (no resident page there), -EBUSY (a batch holds it),
 * -ENOMEM (no room in the backing store); sgx_reclaim_isolated(): 0,
 * -ENOMEM, -EIO (EWB failed; the page stays).
 */
int sgx_encl_isolate_page(struct sgx_encl *encl, uint64_t addr, bool being_reclaimed,
			  struct sgx_encl_page **page);
int sgx_reclaim_isolated(struct sgx_encl_page *page, bool write);
/*
 * Evict the page at @addr now, as a batch of the reclaimer does (no
 * aging): for tests and fault injection. Caller holds plat->mmap_lock for
 * reading. Return: 0, -EFAULT (no resident page there), -EBUSY (a batch
 * holds it), -ENOMEM (no room in the backing store), or -EIO (EWB failed).
 */
int sgx_encl_evict_page(struct sgx_encl *encl, uint64_t addr);

/* encl.c */
struct sgx_encl *sgx_encl_alloc(struct sgx_platform *plat, int memfd);
void sgx_encl_get(struct sgx_encl *encl);
/* Drop a reference; the last one tears the enclave down (EREMOVE of every page). */
void sgx_encl_put(struct sgx_encl *encl);
struct sgx_encl_page *sgx_encl_load_page(struct sgx_encl *encl, uint64_t addr);
/* Host pointer to the enclave page at @addr in the emulator's view (after CREATE). */
void *sgx_encl_phys(struct sgx_encl *encl, uint64_t addr);
/* Linux's sgx_encl_may_map(): may [start, end) be mapped with @prot? 0 or -EACCES. */
int sgx_encl_may_map(struct sgx_encl *encl, uint64_t start, uint64_t end, unsigned int prot);
/* Interrupt every thread inside @encl and wait for each (on_each_cpu_mask(..., wait=1)). */
void sgx_ipi(struct sgx_encl *encl);
/* ETRACK, then interrupt the threads inside (Linux's sgx_enclave_etrack()). 0 or -EFAULT. */
int sgx_enclave_etrack(struct sgx_encl *encl);
/*
 * A new tracking cycle for @encl: ETRACK, and where it fails (the previous
 * cycle still open) an interrupt round and ETRACK again; counted as
 * paging's with @paging. Under encl->lock. Return: the last ETRACK's result.
 */
int sgx_etrack_cycle(struct sgx_encl *encl, bool paging);
/* vma.c: the page-table entry of @addr: its EPC address, or 0. */
uint64_t sgx_pte_lookup(struct sgx_platform *plat, uint64_t addr);
/* vma.c: map @addr to @epc. Return: 0, -ENOMEM. */
int sgx_install_pte(struct sgx_platform *plat, uint64_t addr, uint64_t epc);
/* Remove the page-table entries of [start, end) (Linux's zap_vma_ptes()). */
void sgx_zap_ptes(struct sgx_platform *plat, uint64_t start, uint64_t end);
/*
 * EAUG a page at @addr (Linux's sgx_encl_eaug_page() without the PTE).
 * Return: 0, -EBUSY (no EPC page free now: retry), -EEXIST, -ENOMEM, -EFAULT.
 */
int sgx_encl_eaug_page(struct sgx_encl *encl, uint64_t addr);
/*
 * Apply the effective protection (mapping AND EPCM, PROT_NONE without a
 * page-table entry or an accessible page) of every page in [start, end)
 * to the host, one protect() per run of equal pages, under plat->host_lock
 * from computing to applying (so a stale result never lands after a newer
 * one). Must be called with plat->mmap_lock held. Return: 0, or -errno if the host refused a run (it
 * keeps its old protection; the other runs are applied).
 */
int sgx_update_host(struct sgx_platform *plat, uint64_t start, uint64_t end);

/*
 * signal.c: Linux's view of signals during a system call. Between
 * sgx_syscall_enter() and sgx_syscall_exit() every signal is blocked;
 * sgx_signal_pending() is signal_pending(): a signal of the program's
 * arrived that its mask lets through. sgx_syscall_exit() delivers them and
 * returns @ret, with -ERESTARTSYS left for a restart (SA_RESTART, or a
 * signal without handler) or turned into -EINTR.
 */
#define ERESTARTSYS 512
void sgx_syscall_enter(void);
bool sgx_signal_pending(void);
long sgx_syscall_exit(long ret);

/* vma.c: VMAs */
struct sgx_vma *sgx_find_vma(struct sgx_platform *plat, uint64_t addr);
/*
 * do_mmap() of the enclave file, opened with @fmode, as Linux runs it:
 * address choice (MAP_FIXED, MAP_FIXED_NOREPLACE, a hint), flag and mode
 * checks, then sgx_mmap()'s sgx_encl_may_map(). A MAP_FIXED call that
 * fails once the range was cleared leaves it unmapped, as Linux does.
 * Must be called with plat->mmap_lock held for writing. Return: 0 with
 * *@addr the mapping, or -EINVAL, -ENOMEM, -EEXIST, -EOPNOTSUPP, -EACCES.
 */
int sgx_mmap(struct sgx_platform *plat, struct sgx_encl *encl, uint64_t *addr, uint64_t len,
	     unsigned int prot, int flags, unsigned int fmode);
int sgx_mprotect(struct sgx_platform *plat, uint64_t start, uint64_t len, unsigned int prot);
int sgx_munmap(struct sgx_platform *plat, uint64_t start, uint64_t len);
/*
 * The move of mremap(): the enclave mapping [from, from + len) (inside one
 * VMA, @to free) goes to @to with its page-table entries, which keep
 * pointing at the same EPC pages (an enclave access there is an EPCM #PF;
 * an address without an entry faults in the page of its own address).
 * Must be called with plat->mmap_lock held for writing. Return: 0 or -errno.
 */
int sgx_mremap_move(struct sgx_platform *plat, uint64_t from, uint64_t len, uint64_t to);
int sgx_populate(struct sgx_platform *plat, uint64_t start, uint64_t end);

/* encl.c: the fault handler */
enum sgx_fault_result {
	SGX_FAULT_RETRY,    /* resolved (EAUG, PTE installed): re-execute the access */
	SGX_FAULT_SIGSEGV,  /* access error: #PF with @pfec reaches the program */
	SGX_FAULT_SIGBUS,   /* Linux sends SIGBUS (#PF with the plain hardware code via the vDSO) */
	SGX_FAULT_NOT_OURS, /* no enclave mapping there */
};
/*
 * A page fault at @addr for @access (SGX_PF_W / SGX_PF_I / 0), classified
 * from the model alone (mm/fault.c, then sgx_vma_fault()): no mapping;
 * the mapping forbids the access (#PF without the SGX bit); no page
 * (EAUG); no page-table entry (install it); the EPCM forbids it (#PF with
 * the SGX bit). Must be called with plat->mmap_lock held for reading and
 * the faulting thread outside enclave mode. *pfec receives the error code
 * to report for SIGSEGV/SIGBUS.
 */
enum sgx_fault_result sgx_vma_fault(struct sgx_platform *plat, uint64_t addr, uint32_t access,
				    uint32_t *pfec);
/*
 * @access flag: the fault comes from a leaf's own page walk (the emulated
 * MMU) and @access carries that walk's whole error code, so SGX_PF_P says
 * whether it found a page-table entry.
 */
#define SGX_FAULT_WALK 0x80000000u

/* ioctl.c */
long sgx_ioctl(struct sgx_encl *encl, unsigned int cmd, void *arg);

#endif /* SOFTSGX_DRIVER_H */
