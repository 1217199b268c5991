/* SPDX-License-Identifier: MIT */
/*
 * The processor itself: power-on and configuration, the EPC (its pages and
 * their storage), logical processors, and the frame every leaf runs in:
 * the processor lock, "in use" marks, the pause point, result flags and
 * faults.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "cpu_internal.h"
#include "trace/trace.h"
#include "sys.h"

/*
 * Under LeakSanitizer: EPCM entries live in an anonymous mapping, which it
 * does not scan, and a SECS's entry holds the only pointer to its hidden
 * state (a SECS that EREMOVE could not free keeps it for good). Each chunk
 * in use is made a root region, so that state is seen as reachable.
 */
#if defined(__SANITIZE_ADDRESS__)
#define EPC_LSAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define EPC_LSAN 1
#endif
#endif
#ifdef EPC_LSAN
#include <sanitizer/lsan_interface.h>
#define lsan_root(p, len) __lsan_register_root_region((p), (len))
#define lsan_unroot(p, len) __lsan_unregister_root_region((p), (len))
#else
#define lsan_root(p, len) ((void)(p), (void)(len))
#define lsan_unroot(p, len) ((void)(p), (void)(len))
#endif

/* Where the EPC sits in the emulated physical address space. */
#define EPC_BASE 0x0000100000000000ull

/*
 * The EPC is as large as configured (up to 1 TiB), but its host memory and
 * its EPCM entries cost only as far as pages are used: both are anonymous
 * mappings reserved without commit, whose untouched parts are never backed.
 * EPCM entries are zero (a free page) until their chunk is first reached
 * through epc_page_at(), which then points each page of the chunk at its
 * default storage; nothing else in the processor walks unreached chunks.
 */
#define EPC_CHUNK_SHIFT 9 /* 512 pages: 2 MiB of EPC, 32 KiB of EPCM entries */
#define EPC_CHUNK_PAGES (1ull << EPC_CHUNK_SHIFT)

static const char *const leaf_names[SGX_NR_LEAF_IDS] = {
	[SGX_LEAF_ENCLS(ENCLS_ECREATE)] = "ECREATE",
	[SGX_LEAF_ENCLS(ENCLS_EADD)] = "EADD",
	[SGX_LEAF_ENCLS(ENCLS_EINIT)] = "EINIT",
	[SGX_LEAF_ENCLS(ENCLS_EREMOVE)] = "EREMOVE",
	[SGX_LEAF_ENCLS(ENCLS_EDBGRD)] = "EDBGRD",
	[SGX_LEAF_ENCLS(ENCLS_EDBGWR)] = "EDBGWR",
	[SGX_LEAF_ENCLS(ENCLS_EEXTEND)] = "EEXTEND",
	[SGX_LEAF_ENCLS(ENCLS_ELDB)] = "ELDB",
	[SGX_LEAF_ENCLS(ENCLS_ELDU)] = "ELDU",
	[SGX_LEAF_ENCLS(ENCLS_EBLOCK)] = "EBLOCK",
	[SGX_LEAF_ENCLS(ENCLS_EPA)] = "EPA",
	[SGX_LEAF_ENCLS(ENCLS_EWB)] = "EWB",
	[SGX_LEAF_ENCLS(ENCLS_ETRACK)] = "ETRACK",
	[SGX_LEAF_ENCLS(ENCLS_EAUG)] = "EAUG",
	[SGX_LEAF_ENCLS(ENCLS_EMODPR)] = "EMODPR",
	[SGX_LEAF_ENCLS(ENCLS_EMODT)] = "EMODT",
	[SGX_LEAF_ENCLU(ENCLU_EREPORT)] = "EREPORT",
	[SGX_LEAF_ENCLU(ENCLU_EGETKEY)] = "EGETKEY",
	[SGX_LEAF_ENCLU(ENCLU_EENTER)] = "EENTER",
	[SGX_LEAF_ENCLU(ENCLU_ERESUME)] = "ERESUME",
	[SGX_LEAF_ENCLU(ENCLU_EEXIT)] = "EEXIT",
	[SGX_LEAF_ENCLU(ENCLU_EACCEPT)] = "EACCEPT",
	[SGX_LEAF_ENCLU(ENCLU_EMODPE)] = "EMODPE",
	[SGX_LEAF_ENCLU(ENCLU_EACCEPTCOPY)] = "EACCEPTCOPY",
	[SGX_LEAF_ENCLU(ENCLU_EDECCSSA)] = "EDECCSSA",
	[SGX_LEAF_AEX] = "AEX",
};

const char *sgx_leaf_name(unsigned int leaf_id)
{
	if (leaf_id >= SGX_NR_LEAF_IDS || !leaf_names[leaf_id])
		return "?";
	return leaf_names[leaf_id];
}

const char *sgx_code_name(int code)
{
	switch (code) {
	case SGX_SUCCESS: return "SUCCESS";
	case SGX_INVALID_SIG_STRUCT: return "SGX_INVALID_SIG_STRUCT";
	case SGX_INVALID_ATTRIBUTE: return "SGX_INVALID_ATTRIBUTE";
	case SGX_BLKSTATE: return "SGX_BLKSTATE";
	case SGX_INVALID_MEASUREMENT: return "SGX_INVALID_MEASUREMENT";
	case SGX_NOTBLOCKABLE: return "SGX_NOTBLOCKABLE";
	case SGX_PG_INVLD: return "SGX_PG_INVLD";
	case SGX_EPC_PAGE_CONFLICT: return "SGX_EPC_PAGE_CONFLICT";
	case SGX_INVALID_SIGNATURE: return "SGX_INVALID_SIGNATURE";
	case SGX_MAC_COMPARE_FAIL: return "SGX_MAC_COMPARE_FAIL";
	case SGX_PAGE_NOT_BLOCKED: return "SGX_PAGE_NOT_BLOCKED";
	case SGX_NOT_TRACKED: return "SGX_NOT_TRACKED";
	case SGX_VA_SLOT_OCCUPIED: return "SGX_VA_SLOT_OCCUPIED";
	case SGX_CHILD_PRESENT: return "SGX_CHILD_PRESENT";
	case SGX_ENCLAVE_ACT: return "SGX_ENCLAVE_ACT";
	case SGX_ENTRYEPOCH_LOCKED: return "SGX_ENTRYEPOCH_LOCKED";
	case SGX_INVALID_EINITTOKEN: return "SGX_INVALID_EINITTOKEN";
	case SGX_PREV_TRK_INCMPL: return "SGX_PREV_TRK_INCMPL";
	case SGX_PG_IS_SECS: return "SGX_PG_IS_SECS";
	case SGX_PAGE_ATTRIBUTES_MISMATCH: return "SGX_PAGE_ATTRIBUTES_MISMATCH";
	case SGX_PAGE_NOT_MODIFIABLE: return "SGX_PAGE_NOT_MODIFIABLE";
	case SGX_PAGE_NOT_DEBUGGABLE: return "SGX_PAGE_NOT_DEBUGGABLE";
	case SGX_INVALID_CPUSVN: return "SGX_INVALID_CPUSVN";
	case SGX_INVALID_ISVSVN: return "SGX_INVALID_ISVSVN";
	case SGX_UNMASKED_EVENT: return "SGX_UNMASKED_EVENT";
	case SGX_INVALID_KEYNAME: return "SGX_INVALID_KEYNAME";
	case SGX_GP: return "#GP";
	case SGX_PF: return "#PF";
	default: return "SGX_UNKNOWN";
	}
}

void sgx_cpu_config_default(struct sgx_cpu_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->epc_pages = 8192; /* 32 MiB */
	cfg->sgx2 = true;
	cfg->aexnotify = true;
	cfg->miscselect = SGX_MISC_EXINFO;
	cfg->max_enclave_size_64 = SGX_MAX_ENCLAVE_SIZE_64_LOG2;
	cfg->max_enclave_size_32 = 31;
	cfg->attributes = SGX_ATTR_INIT | SGX_ATTR_DEBUG | SGX_ATTR_MODE64BIT |
			  SGX_ATTR_PROVISIONKEY | SGX_ATTR_EINITTOKENKEY | SGX_ATTR_KSS |
			  SGX_ATTR_AEXNOTIFY;
	cfg->xfrm = 0x7; /* x87, SSE, AVX */
	memset(cfg->cpusvn, 0, sizeof(cfg->cpusvn));
	cfg->cpusvn[0] = 1;
	memcpy(cfg->seed, "softsgx platform seed: not secret", 32);
#ifndef NDEBUG
	cfg->check_invariants = true;
#endif
}

static size_t epcm_map_size(size_t nr_pages)
{
	return nr_pages * sizeof(struct epc_page);
}

static size_t storage_map_size(size_t nr_pages)
{
	return nr_pages * SGX_PAGE_SIZE;
}

size_t sgx_cpu_epc_map_size(size_t epc_pages)
{
	return storage_map_size(epc_pages) + epcm_map_size(epc_pages);
}

/* Anonymous memory reserved without commit: zero, and backed only where touched. */
static void *map_lazy(size_t len)
{
	void *p = sys_mmap(NULL, len, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

int sgx_cpu_create(const struct sgx_cpu_config *cfg, struct sgx_cpu **out)
{
	struct sgx_cpu *cpu;

	if (!cfg->epc_pages || cfg->epc_pages > SGX_EPC_MAX_PAGES)
		return -EINVAL;
	cpu = calloc(1, sizeof(*cpu));
	if (!cpu)
		return -ENOMEM;
	cpu->cfg = *cfg;
	/* ATTRIBUTES.AEXNOTIFY can be set only where AEX-Notify exists. */
	if (!cfg->aexnotify)
		cpu->cfg.attributes &= ~SGX_ATTR_AEXNOTIFY;
	cpu->epc_base = EPC_BASE;
	cpu->nr_pages = cfg->epc_pages;
	cpu->nr_chunks = (cpu->nr_pages + EPC_CHUNK_PAGES - 1) >> EPC_CHUNK_SHIFT;
	cpu->chunk_ready = calloc(cpu->nr_chunks, sizeof(*cpu->chunk_ready));
	cpu->pages = map_lazy(epcm_map_size(cpu->nr_pages));
	cpu->storage = map_lazy(storage_map_size(cpu->nr_pages));
	if (!cpu->chunk_ready || !cpu->pages || !cpu->storage) {
		if (cpu->storage)
			sys_munmap(cpu->storage, storage_map_size(cpu->nr_pages));
		if (cpu->pages)
			sys_munmap(cpu->pages, epcm_map_size(cpu->nr_pages));
		free(cpu->chunk_ready);
		free(cpu);
		return -ENOMEM;
	}
	pthread_mutex_init(&cpu->lock, NULL);
	pthread_mutex_init(&cpu->chunk_lock, NULL);
	cpu->next_eid = 1;
	cpu->next_version = 1;
	keys_init(cpu);
	*out = cpu;
	return 0;
}

/* The entries of chunk @chunk: *@first and their number. */
static size_t chunk_pages(const struct sgx_cpu *cpu, size_t chunk, size_t *first)
{
	size_t end = (chunk + 1) << EPC_CHUNK_SHIFT;

	*first = chunk << EPC_CHUNK_SHIFT;
	return (end < cpu->nr_pages ? end : cpu->nr_pages) - *first;
}

/* Make the EPCM entries of chunk @chunk usable: each page's storage is its default. */
static void epc_chunk_init(struct sgx_cpu *cpu, size_t chunk)
{
	size_t first, n = chunk_pages(cpu, chunk, &first), i;

	pthread_mutex_lock(&cpu->chunk_lock);
	if (!atomic_load_explicit(&cpu->chunk_ready[chunk], memory_order_relaxed)) {
		for (i = first; i < first + n; i++)
			cpu->pages[i].mem = (uint8_t *)cpu->storage + i * SGX_PAGE_SIZE;
		lsan_root(&cpu->pages[first], n * sizeof(*cpu->pages));
		atomic_store_explicit(&cpu->chunk_ready[chunk], true, memory_order_release);
	}
	pthread_mutex_unlock(&cpu->chunk_lock);
}

bool epc_chunk_ready(const struct sgx_cpu *cpu, size_t idx)
{
	return atomic_load_explicit(&cpu->chunk_ready[idx >> EPC_CHUNK_SHIFT], memory_order_acquire);
}

size_t epc_next_ready(const struct sgx_cpu *cpu, size_t idx)
{
	while (idx < cpu->nr_pages && !epc_chunk_ready(cpu, idx))
		idx = ((idx >> EPC_CHUNK_SHIFT) + 1) << EPC_CHUNK_SHIFT;
	return idx < cpu->nr_pages ? idx : cpu->nr_pages;
}

void sgx_cpu_destroy(struct sgx_cpu *cpu)
{
	size_t i, first, n;

	if (!cpu)
		return;
	/* Pages of unreached chunks were never valid. */
	for (i = epc_next_ready(cpu, 0); i < cpu->nr_pages; i = epc_next_ready(cpu, i + 1))
		epcm_set_invalid(&cpu->pages[i]);
	for (i = 0; i < cpu->nr_chunks; i++) {
		if (atomic_load_explicit(&cpu->chunk_ready[i], memory_order_relaxed)) {
			n = chunk_pages(cpu, i, &first);
			lsan_unroot(&cpu->pages[first], n * sizeof(*cpu->pages));
		}
	}
	while (cpu->parked) {
		struct secs_state *st = cpu->parked;

		cpu->parked = st->parked_next;
		sgx_measure_free(st->mrenclave);
		free(st);
	}
	sys_munmap(cpu->storage, storage_map_size(cpu->nr_pages));
	sys_munmap(cpu->pages, epcm_map_size(cpu->nr_pages));
	pthread_mutex_destroy(&cpu->chunk_lock);
	pthread_mutex_destroy(&cpu->lock);
	free(cpu->chunk_ready);
	free(cpu);
}

const struct sgx_cpu_config *sgx_cpu_config(const struct sgx_cpu *cpu)
{
	return &cpu->cfg;
}

uint64_t sgx_cpu_epc_base(const struct sgx_cpu *cpu)
{
	return cpu->epc_base;
}

size_t sgx_cpu_epc_pages(const struct sgx_cpu *cpu)
{
	return cpu->nr_pages;
}

struct epc_page *epc_page_at(struct sgx_cpu *cpu, uint64_t epc)
{
	uint64_t idx;

	if (epc < cpu->epc_base)
		return NULL;
	idx = (epc - cpu->epc_base) >> SGX_PAGE_SHIFT;
	if (idx >= cpu->nr_pages)
		return NULL;
	if (!epc_chunk_ready(cpu, idx))
		epc_chunk_init(cpu, idx >> EPC_CHUNK_SHIFT);
	return &cpu->pages[idx];
}

uint64_t epc_page_addr(const struct sgx_cpu *cpu, const struct epc_page *pg)
{
	return cpu->epc_base + ((uint64_t)(pg - cpu->pages) << SGX_PAGE_SHIFT);
}

void *sgx_cpu_epc_mem(struct sgx_cpu *cpu, uint64_t epc)
{
	struct epc_page *pg = epc_page_at(cpu, epc);

	return pg ? (uint8_t *)pg->mem + (epc & (SGX_PAGE_SIZE - 1)) : NULL;
}

int sgx_cpu_epc_set_mem(struct sgx_cpu *cpu, uint64_t epc, void *mem)
{
	struct epc_page *pg = epc_page_at(cpu, epc);
	int ret = 0;

	if (!pg || !is_aligned((uintptr_t)mem, SGX_PAGE_SIZE))
		return -EINVAL;
	pthread_mutex_lock(&cpu->lock);
	if (pg->valid || pg->use)
		ret = -EBUSY;
	else
		pg->mem = mem ? mem : (uint8_t *)cpu->storage + (size_t)(pg - cpu->pages) * SGX_PAGE_SIZE;
	pthread_mutex_unlock(&cpu->lock);
	return ret;
}

void sgx_cpu_set_pause_hook(struct sgx_cpu *cpu,
			    void (*hook)(void *ctx, struct sgx_lp *lp, unsigned int leaf_id, uint64_t epc),
			    void *ctx)
{
	pthread_mutex_lock(&cpu->lock);
	cpu->cfg.pause_hook = hook;
	cpu->cfg.pause_ctx = ctx;
	pthread_mutex_unlock(&cpu->lock);
}

uint64_t sgx_cpu_secs_eid(struct sgx_cpu *cpu, uint64_t secs_epc)
{
	struct epc_page *pg;
	uint64_t eid = 0;

	pthread_mutex_lock(&cpu->lock);
	pg = epc_page_at(cpu, secs_epc);
	if (pg && pg->valid && pg->type == SGX_PAGE_TYPE_SECS)
		eid = pg->secs_state->eid;
	pthread_mutex_unlock(&cpu->lock);
	return eid;
}

bool cpu_event(struct sgx_lp *lp, enum sgx_cpu_event event, const struct epc_page *secs,
	       uint64_t linaddr)
{
	const struct sgx_cpu_config *cfg = &lp->cpu->cfg;

	return cfg->event_hook &&
	       cfg->event_hook(cfg->event_ctx, event, secs ? secs->secs_state->eid : 0, linaddr);
}

void sgx_cpu_write_lepubkeyhash(struct sgx_cpu *cpu, const uint8_t hash[32])
{
	pthread_mutex_lock(&cpu->lock);
	memcpy(cpu->lepubkeyhash, hash, 32);
	pthread_mutex_unlock(&cpu->lock);
}

uint64_t sgx_cpu_leaf_count(const struct sgx_cpu *cpu, unsigned int leaf_id)
{
	return leaf_id < SGX_NR_LEAF_IDS ? atomic_load(&cpu->leaf_count[leaf_id]) : 0;
}

uint64_t sgx_cpu_stat_count(const struct sgx_cpu *cpu, enum sgx_cpu_stat stat)
{
	return (unsigned int)stat < SGX_CPU_NR_STATS ? atomic_load(&cpu->stat_count[stat]) : 0;
}

void cpu_count_stat(struct sgx_cpu *cpu, enum sgx_cpu_stat stat)
{
	atomic_fetch_add_explicit(&cpu->stat_count[stat], 1, memory_order_relaxed);
}

uint64_t cpu_next_eid(struct sgx_cpu *cpu)
{
	return cpu->next_eid++;
}

/* Logical processors */

struct sgx_lp *sgx_lp_create(struct sgx_cpu *cpu, const struct sgx_mmu *mmu, void *mmu_ctx)
{
	struct sgx_lp *lp = calloc(1, sizeof(*lp));

	if (!lp)
		return NULL;
	lp->cpu = cpu;
	lp->mmu = mmu;
	lp->mmu_ctx = mmu_ctx;
	return lp;
}

void sgx_lp_destroy(struct sgx_lp *lp)
{
	if (!lp)
		return;
	if (lp->in_enclave) {
		/* A thread that dies inside the enclave leaves it, as on a CPU reset. */
		pthread_mutex_lock(&lp->cpu->lock);
		track_leave(lp);
		lp->tcs->tcs_active = false;
		pthread_mutex_unlock(&lp->cpu->lock);
	}
	free(lp);
}

const struct sgx_fault_info *sgx_lp_fault(const struct sgx_lp *lp)
{
	return &lp->fault;
}

uint64_t sgx_lp_rflags(const struct sgx_lp *lp)
{
	return lp->rflags;
}

bool sgx_lp_in_enclave(const struct sgx_lp *lp)
{
	return lp->in_enclave;
}

uint64_t sgx_lp_tcs(const struct sgx_lp *lp)
{
	return lp->tcs_la;
}

/* The leaf frame */

void leaf_begin(struct sgx_lp *lp, unsigned int leaf_id)
{
	atomic_fetch_add_explicit(&lp->cpu->leaf_count[leaf_id], 1, memory_order_relaxed);
	pthread_mutex_lock(&lp->cpu->lock);
	lp->leaf = leaf_id;
	lp->notify = false;
	lp->nheld = 0;
}

static void epc_use_release(struct epc_page *pg, uint8_t mode)
{
	if (mode == EPC_USE_SGX2)
		pg->use_sgx2 = false;
	else if (mode == EPC_USE_MEASURE)
		pg->use_measure = false;
	else if (mode == EPC_USE_EXCLUSIVE)
		pg->use = 0;
	else
		pg->use--;
}

int leaf_end(struct sgx_lp *lp, int ret)
{
	struct sgx_cpu *cpu = lp->cpu;
	char why[256];

	while (lp->nheld > 0) {
		lp->nheld--;
		epc_use_release(lp->held[lp->nheld], lp->held_mode[lp->nheld]);
	}
	pthread_mutex_unlock(&cpu->lock);
	if (trace_on())
		trace_leaf(lp->leaf, ret, &lp->fault, lp->notify);
	if (cpu->cfg.check_invariants && sgx_cpu_check_invariants(cpu, why, sizeof(why))) {
		fprintf(stderr, "softsgx: EPCM invariant broken after %s: %s\n",
			sgx_leaf_name(lp->leaf), why);
		abort();
	}
	return ret;
}

int lp_gp(struct sgx_lp *lp)
{
	lp->fault = (struct sgx_fault_info){ .vector = SGX_VEC_GP };
	return SGX_GP;
}

int lp_pf(struct sgx_lp *lp, uint64_t addr, uint32_t pfec)
{
	lp->fault = (struct sgx_fault_info){ .vector = SGX_VEC_PF, .error_code = pfec, .addr = addr };
	return SGX_PF;
}

int lp_ok(struct sgx_lp *lp)
{
	lp->rflags &= ~LP_ARITH_FLAGS;
	return SGX_SUCCESS;
}

int lp_err(struct sgx_lp *lp, int code)
{
	lp->rflags = (lp->rflags & ~LP_ARITH_FLAGS) | SGX_RFLAGS_ZF;
	return code;
}

int lp_info(struct sgx_lp *lp, int code)
{
	lp->rflags = (lp->rflags & ~LP_ARITH_FLAGS) | SGX_RFLAGS_CF;
	return code;
}

bool epc_use_try(struct sgx_lp *lp, struct epc_page *pg, enum epc_use mode)
{
	if (lp->nheld == LP_MAX_HELD)
		abort(); /* a leaf takes at most LP_MAX_HELD marks */
	switch (mode) {
	case EPC_USE_SHARED:
		if (pg->use & EPC_USE_EXCL_BIT)
			return false;
		pg->use++;
		break;
	case EPC_USE_EXCLUSIVE:
		if (pg->use)
			return false;
		pg->use = EPC_USE_EXCL_BIT;
		break;
	case EPC_USE_SGX2:
		if (pg->use_sgx2)
			return false;
		pg->use_sgx2 = true;
		break;
	case EPC_USE_MEASURE:
		if (pg->use_measure)
			return false;
		pg->use_measure = true;
		break;
	}
	lp->held[lp->nheld] = pg;
	lp->held_mode[lp->nheld] = (uint8_t)mode;
	lp->nheld++;
	return true;
}

void epc_pause(struct sgx_lp *lp, struct epc_page *pg)
{
	struct sgx_cpu *cpu = lp->cpu;
	void (*hook)(void *, struct sgx_lp *, unsigned int, uint64_t) = cpu->cfg.pause_hook;
	void *ctx = cpu->cfg.pause_ctx;

	if (!hook)
		return;
	pthread_mutex_unlock(&cpu->lock);
	hook(ctx, lp, lp->leaf, epc_page_addr(cpu, pg));
	pthread_mutex_lock(&cpu->lock);
}

bool in_elrange(const struct epc_page *secs_pg, uint64_t la)
{
	const struct sgx_secs *secs = secs_of(secs_pg);

	return la >= secs->base && la - secs->base < secs->size;
}

bool mem_is_zero(const void *p, size_t len)
{
	const uint8_t *b = p;

	/* Zero if the first byte is and every byte equals the one before it. */
	return !len || (!b[0] && !memcmp(b, b + 1, len - 1));
}

bool secinfo_reserved_ok(const struct sgx_secinfo *si)
{
	return !(si->flags & SGX_SECINFO_FLAGS_RESERVED_MASK) &&
	       mem_is_zero(si->reserved, sizeof(si->reserved));
}
