/* SPDX-License-Identifier: MIT */
/*
 * EPC page allocation (like Linux's main.c). Pages never handed out are
 * taken in address order from a cursor; pages given back go on a stack and
 * are handed out again first. Nothing is filled in up front, so a large
 * EPC costs only what is used: the stack is reserved without commit and
 * backed only as deep as it has ever been. Protected by plat->epc_lock.
 */
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "driver/driver.h"
#include "sys.h"

/* Said once, with write(2) (callers may run in a signal handler). */
static void warn_once(atomic_bool *told, const char *msg)
{
	if (!atomic_exchange(told, true) && write(STDERR_FILENO, msg, strlen(msg)) < 0)
		return; /* nothing better to do */
}

size_t sgx_epc_map_size(size_t epc_pages)
{
	return sgx_cpu_epc_map_size(epc_pages) + epc_pages * sizeof(uint64_t);
}

int sgx_epc_init(struct sgx_platform *plat)
{
	size_t n = sgx_cpu_epc_pages(plat->cpu);
	void *stack = sys_mmap(NULL, n * sizeof(*plat->free_epc), PROT_READ | PROT_WRITE,
			   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);

	if (stack == MAP_FAILED)
		return -1;
	plat->free_epc = stack;
	plat->nr_free_epc = 0;
	plat->epc_fresh = 0;
	pthread_mutex_init(&plat->epc_lock, NULL);
	sgx_reclaim_init(plat);
	return 0;
}

/* A free page off the stack or fresh, or 0. */
static uint64_t take_free(struct sgx_platform *plat)
{
	uint64_t epc = 0;

	pthread_mutex_lock(&plat->epc_lock);
	if (plat->nr_free_epc)
		epc = plat->free_epc[--plat->nr_free_epc];
	else if (plat->epc_fresh < sgx_cpu_epc_pages(plat->cpu))
		epc = sgx_cpu_epc_base(plat->cpu) + (uint64_t)plat->epc_fresh++ * 4096;
	pthread_mutex_unlock(&plat->epc_lock);
	return epc;
}

/*
 * Direct reclaim gives up after this many batches without a page for the
 * caller (others may take each page it frees): Linux loops until a signal.
 */
#define DIRECT_RECLAIM_ROUNDS(epc_pages) (4 * ((epc_pages) / SGX_NR_TO_SCAN) + 64)

int sgx_alloc_epc_page(struct sgx_platform *plat, void *mem, bool reclaim, uint64_t *out)
{
	size_t rounds = 0, max = DIRECT_RECLAIM_ROUNDS(sgx_cpu_epc_pages(plat->cpu));
	uint64_t epc;

	bool listed, isolated;
	uint64_t gen;

	/* The EPC as full as it can be: nothing reclaimable, or (no reclaim) nothing free now. */
	if (sgx_inject(plat, SGX_INJ_ALLOC_ENOMEM, 0, 0))
		return -ENOMEM;
	if (!reclaim && sgx_inject(plat, SGX_INJ_ALLOC_EBUSY, 0, 0))
		return -EBUSY;
	while (!(epc = take_free(plat))) {
		/*
		 * Linux's test is the list alone. The pages a batch holds are
		 * off it, and in an EPC of a few pages they can be all there
		 * are: those are waited for, not ENOMEM (docs/fidelity.md).
		 */
		pthread_mutex_lock(&plat->lru_lock);
		listed = plat->lru_head != NULL;
		isolated = plat->nr_isolated != 0;
		gen = plat->reclaim_gen;
		pthread_mutex_unlock(&plat->lru_lock);
		if ((!listed && !isolated) || rounds++ == max)
			return -ENOMEM;
		if (!reclaim) {
			if (listed)
				sgx_wake_ksgxd(plat);
			return -EBUSY;
		}
		if (sgx_signal_pending())
			return -ERESTARTSYS;
		if (listed)
			sgx_reclaim_pages(plat);
		else
			sgx_reclaim_wait(plat, gen, RECLAIM_WAIT_MS);
	}
	if (sgx_should_reclaim(plat, SGX_NR_LOW_PAGES))
		sgx_wake_ksgxd(plat);
	if (mem)
		sgx_cpu_epc_set_mem(plat->cpu, epc, mem);
	*out = epc;
	return 0;
}

void sgx_free_epc_page(struct sgx_platform *plat, uint64_t epc)
{
	static atomic_bool told;

	/* Back to the processor's own storage, so the enclave's memory is left alone. */
	if (sgx_cpu_epc_set_mem(plat->cpu, epc, NULL)) {
		/* Still VALID (-EBUSY): handing it out again would make every later leaf on it fail. */
		warn_once(&told, "softsgx: a VALID EPC page was freed and is leaked instead.\n");
		return;
	}
	pthread_mutex_lock(&plat->epc_lock);
	plat->free_epc[plat->nr_free_epc++] = epc;
	pthread_mutex_unlock(&plat->epc_lock);
}

size_t sgx_nr_free_epc_pages(struct sgx_platform *plat)
{
	size_t n;

	pthread_mutex_lock(&plat->epc_lock);
	n = plat->nr_free_epc + (sgx_cpu_epc_pages(plat->cpu) - plat->epc_fresh);
	pthread_mutex_unlock(&plat->epc_lock);
	return n;
}

int sgx_encl_free_epc_page(struct sgx_platform *plat, uint64_t epc)
{
	return sgx_encl_free_epc_page_on(sgx_current_lp(plat), plat, epc);
}

int sgx_encl_free_epc_page_on(struct sgx_lp *lp, struct sgx_platform *plat, uint64_t epc)
{
	static atomic_bool told;
	char msg[] = "softsgx: EREMOVE returned 0x???????? and an EPC page was leaked. "
		     "SGX may become unusable.\n";
	int ret = encls_eremove(lp, epc), i;

	if (ret) {
		/* Linux's EREMOVE_ERROR_MESSAGE (WARN_ONCE), then the page is leaked. */
		for (i = 0; i < 8; i++)
			msg[28 + i] = "0123456789abcdef"[((unsigned int)ret >> (28 - 4 * i)) & 0xf];
		warn_once(&told, msg);
		return ret;
	}
	sgx_free_epc_page(plat, epc);
	return 0;
}
