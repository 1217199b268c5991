/* softsgx-test: threads, full-epc */
/* SPDX-License-Identifier: MIT */
/*
 * A signal stops direct reclaim, as in Linux: an allocation that has to
 * reclaim and finds a signal pending (one the thread does not block) fails
 * with -ERESTARTSYS, which CREATE returns as EINTR. The EPC is full; the
 * pages the reclaimer would take first were all accessed since they were
 * last aged, so a pass over them frees nothing and the allocation asks
 * again. To make the signal arrive at that moment, a helper thread holds
 * the lock of the enclave those pages belong to, so the reclaim batch waits
 * for it; the helper sends the signal, then lets go. The reclaimer thread
 * is paused (it would evict pages meanwhile): direct reclaim alone.
 */
#include <pthread.h>
#include <semaphore.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "common.h"

#define EPC_PAGES 512
#define HOT_PAGES 400      /* accessed pages at the head of the reclaimer's list */
#define ENCL_SIZE (4ull << 20)

static const struct softsgx_config epc = { .epc_size = EPC_PAGES * PAGE };
static volatile sig_atomic_t handled;

static void on_usr1(int sig)
{
	(void)sig;
	handled++;
}

static struct sgx_encl *encl_of(struct dfx_encl *e)
{
	struct sgx_encl *encl = sgx_encl_from_fd(sgx_platform_get(), e->fd);

	sgx_encl_put(encl); /* the fd keeps it */
	return encl;
}

/* Pages of @encl that reclaim batches hold now. */
static int isolated_pages(struct sgx_encl *encl)
{
	struct sgx_platform *plat = sgx_platform_get();
	uint64_t key, val;
	size_t pos = 0;
	int n = 0;

	pthread_mutex_lock(&plat->lru_lock);
	while (pagemap_next(&encl->pages, &pos, &key, &val))
		n += ((struct sgx_encl_page *)(uintptr_t)val)->lru == SGX_LRU_ISOLATED;
	pthread_mutex_unlock(&plat->lru_lock);
	return n;
}

struct helper {
	struct sgx_encl *hot;       /* its lock is held until the signal is sent */
	pid_t tid;                  /* the thread in CREATE */
	sem_t locked;               /* posted once the helper holds hot's lock */
	int batches_waiting;
};

static void *helper(void *arg)
{
	struct helper *h = arg;
	int ms;

	pthread_mutex_lock(&h->hot->lock);
	sem_post(&h->locked);
	/* The CREATE's reclaim batch reaches the hot enclave's lock and waits. */
	for (ms = 0; ms < 5000 && isolated_pages(h->hot) < SGX_NR_TO_SCAN; ms++)
		usleep(1000);
	h->batches_waiting = isolated_pages(h->hot) / SGX_NR_TO_SCAN;
	syscall(SYS_tgkill, getpid(), h->tid, SIGUSR1);
	pthread_mutex_unlock(&h->hot->lock);
	return NULL;
}

static void signal_stops_direct_reclaim(void)
{
	struct sigaction sa = { .sa_handler = on_usr1 };
	struct dfx_encl *hot = calloc(1, sizeof(*hot)), *fill = calloc(1, sizeof(*fill)), *e;
	struct helper h = { .tid = (pid_t)syscall(SYS_gettid) };
	volatile uint8_t sink;
	pthread_t th;
	size_t free;
	int i;

	/* An initialized enclave whose pages were all just touched: each is marked accessed. */
	ASSERT_EQ(dfx_create(hot, ENCL_SIZE, 0), 0);
	ASSERT_EQ(dfx_add(hot, 0, HOT_PAGES * PAGE, NULL, REG_RW, false), 0);
	ASSERT_EQ(dfx_init(hot), 0);
	ASSERT_EQ(dfx_map(hot, 0, HOT_PAGES * PAGE, PROT_READ), (void *)(uintptr_t)hot->base);
	for (i = 0; i < HOT_PAGES; i++)
		sink = *(volatile uint8_t *)dfx_ptr(hot, (uint64_t)i * PAGE);
	(void)sink;
	ASSERT_TRUE(dfx_free_epc() > SGX_NR_HIGH_PAGES); /* the reclaimer thread had no work */
	sgx_ksgxd_pause(sgx_platform_get(), true);
	h.hot = encl_of(hot);
	sem_init(&h.locked, 0, 0);
	ASSERT_EQ(pthread_create(&th, NULL, helper, &h), 0);
	while (sem_wait(&h.locked) && errno == EINTR)
		; /* the helper holds the hot enclave's lock now */
	/* Fill the rest of the EPC without reclaim: an uninitialized enclave takes every free page. */
	ASSERT_EQ(dfx_create(fill, ENCL_SIZE, 0), 0);
	free = dfx_free_epc();
	ASSERT_EQ(dfx_add(fill, 0, free * PAGE, NULL, REG_RW, false), 0);
	EXPECT_EQ(dfx_free_epc(), 0);
	/* CREATE needs a VA page: direct reclaim, which waits; the signal comes meanwhile. */
	sigemptyset(&sa.sa_mask);
	ASSERT_EQ(softsgx_sigaction(SIGUSR1, &sa, NULL), 0);
	e = calloc(1, sizeof(*e));
	EXPECT_EQ(dfx_create(e, ENCL_SIZE, 0), -EINTR);
	pthread_join(th, NULL);
	EXPECT_EQ(h.batches_waiting, 1);
	EXPECT_EQ(handled, 1);
	dfx_close(e);
	/* Without a signal the same CREATE reclaims until it has its pages. */
	e = calloc(1, sizeof(*e));
	EXPECT_EQ(dfx_create(e, ENCL_SIZE, 0), 0);
	dfx_close(e);
	sgx_ksgxd_pause(sgx_platform_get(), false);
	dfx_close(fill);
	dfx_close(hot);
}

TEST(create_signal_stops_direct_reclaim_eintr)
{
	harness_in_child(&epc, signal_stops_direct_reclaim);
}
