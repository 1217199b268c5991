/* SPDX-License-Identifier: MIT */
/*
 * fork(). Linux copies an enclave's VMAs into the child and adds the
 * child's mm to the enclave, so parent and child share one enclave. A
 * softsgx child has a copy of the emulator but shares the enclaves'
 * memory files with its parent: run on that copy, a leaf would write the
 * parent's enclave memory behind the parent's EPCM. So the child gets what
 * Linux gives a child whose mm could not be added to the enclave: its
 * enclave VMAs are detached, every fault on them is SIGBUS, and none of
 * its mappings reaches the parent's memory. Its descriptors stay open;
 * their ioctls and new mappings fail with EIO, and EENTER faults as on a
 * detached TCS (docs/fidelity.md). Nothing the child does touches the
 * parent's enclaves. vfork() and posix_spawn() share the parent's memory
 * until the child's execve(), and run no handler: the child must not
 * touch the enclaves meanwhile (POSIX allows it only _exit and exec).
 */
#include <pthread.h>
#include <stdatomic.h>
#include <sys/mman.h>

#include "driver/driver.h"
#include "sys.h"

static struct sgx_platform *fork_plat;

/* An address range the child keeps reserved, but without the parent's memory. */
static void detach(void *addr, size_t len)
{
	sys_mmap(addr, len, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED | MAP_NORESERVE, -1, 0);
}

static void detach_encl(struct sgx_encl *encl)
{
	atomic_fetch_or(&encl->flags, SGX_ENCL_DETACHED);
	if (encl->phys)
		detach(encl->phys, encl->size);
}

/* No other thread may change the mappings or the files while the process forks. */
static void prepare(void)
{
	pthread_rwlock_wrlock(&fork_plat->mmap_lock);
	pthread_mutex_lock(&fork_plat->files_lock);
	pthread_mutex_lock(&fork_plat->lru_lock);
	pthread_mutex_lock(&fork_plat->epc_lock);
}

static void parent(void)
{
	pthread_mutex_unlock(&fork_plat->epc_lock);
	pthread_mutex_unlock(&fork_plat->lru_lock);
	pthread_mutex_unlock(&fork_plat->files_lock);
	pthread_rwlock_unlock(&fork_plat->mmap_lock);
}

static void child(void)
{
	struct sgx_platform *plat = fork_plat;
	struct sgx_vma *vma;
	struct sgx_file *f;

	/*
	 * No page-table entry of the parent's survives: a leaf on the parent's
	 * pages faults (SIGBUS, encl.c) before it reaches their memory, and the
	 * host protections of those ranges stay PROT_NONE.
	 */
	pagemap_destroy(&plat->ptes);
	pagemap_init(&plat->ptes);
	for (vma = plat->vmas; vma; vma = vma->next) {
		detach((void *)(uintptr_t)vma->start, vma->end - vma->start);
		detach_encl(vma->encl);
	}
	for (f = plat->files; f; f = f->next)
		if (f->encl)
			detach_encl(f->encl);
	/*
	 * The child's thread has a new thread ID, and glibc's rwlock knows its
	 * writer by it: unlocked under the new one, the write lock would be
	 * taken for a read lock. So both locks are released (for whatever
	 * tracks them, a race detector say) and then start afresh.
	 */
	pthread_mutex_unlock(&plat->epc_lock);
	pthread_mutex_unlock(&plat->lru_lock);
	pthread_mutex_unlock(&plat->files_lock);
	pthread_rwlock_unlock(&plat->mmap_lock);
	pthread_rwlock_init(&plat->mmap_lock, NULL);
	pthread_mutex_init(&plat->files_lock, NULL);
	pthread_mutex_init(&plat->lru_lock, NULL);
	pthread_mutex_init(&plat->epc_lock, NULL);
	pthread_cond_init(&plat->ksgxd_wake, NULL);
	pthread_cond_init(&plat->reclaim_done, NULL);
	/* The reclaimer thread is the parent's; the child's starts when it needs one. */
	plat->ksgxd_running = false;
	plat->ksgxd_busy = false;
	/* A thread that is gone may have held it; the child's LP is found by its new ID. */
	pthread_mutex_init(&plat->lp_lock, NULL);
}

void sgx_fork_init(struct sgx_platform *plat)
{
	fork_plat = plat;
	pthread_atfork(prepare, parent, child);
}
