/* softsgx-test: threads, full-epc */
/* SPDX-License-Identifier: MIT */
/*
 * A signal stops direct reclaim, as in Linux: when ADD_PAGES needs an EPC
 * page and must reclaim one, a pending signal the thread does not block
 * makes the allocation -ERESTARTSYS, which ends the call with EINTR even
 * after earlier pages were added (count > 0), unlike the check at the top
 * of each page, which stops the loop with 0 and a short count. The EPC is
 * full of pages accessed since they were last aged, so the reclaimer's
 * first passes over them free nothing and the allocation keeps asking;
 * another thread sends the signal after a delay. Every outcome must be one
 * Linux can give, and the interrupted reclaim must be seen at least once.
 */
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "common.h"

#define EPC_PAGES 512
#define HOT_PAGES 440      /* accessed pages that fill the EPC */
#define NPAGES 256         /* what ADD_PAGES then asks for */
#define ENCL_SIZE (4ull << 20)
#define TRIES 40

static const struct softsgx_config epc = { .epc_size = EPC_PAGES * PAGE };
static volatile sig_atomic_t handled;

static void on_usr1(int sig)
{
	(void)sig;
	handled++;
}

struct shooter {
	pid_t tid;
	useconds_t delay;
};

static void *shoot(void *arg)
{
	struct shooter *s = arg;

	usleep(s->delay);
	syscall(SYS_tgkill, getpid(), s->tid, SIGUSR1);
	return NULL;
}

enum outcome { ALL_ADDED, STOPPED, INTERRUPTED_FIRST, INTERRUPTED_RECLAIM, WRONG, NR_OUTCOMES };

/* An initialized enclave whose @n pages were all just touched (so each is marked accessed). */
static struct dfx_encl *hot_enclave(uint8_t *src, int n)
{
	struct dfx_encl *e = calloc(1, sizeof(*e));
	volatile uint8_t sink;
	int i;

	if (!e || dfx_create(e, ENCL_SIZE, 0) || dfx_add(e, 0, (uint64_t)n * PAGE, src, REG_RW, false) ||
	    dfx_init(e) || dfx_map(e, 0, (uint64_t)n * PAGE, PROT_READ) != (void *)(uintptr_t)e->base) {
		harness_fail(__FILE__, __LINE__, "building the enclave: %s", strerrorname_np(errno));
		dfx_close(e);
		return NULL;
	}
	for (i = 0; i < n; i++)
		sink = *(volatile uint8_t *)dfx_ptr(e, (uint64_t)i * PAGE);
	(void)sink;
	return e;
}

static enum outcome add_with_signal(uint8_t *src, useconds_t delay)
{
	struct sigaction sa = { .sa_handler = on_usr1 };
	struct sgx_secinfo secinfo = { .flags = REG_RW };
	struct sgx_enclave_add_pages add = { .src = (uintptr_t)src, .length = NPAGES * PAGE,
					     .secinfo = (uintptr_t)&secinfo };
	struct shooter s = { .tid = (pid_t)syscall(SYS_gettid), .delay = delay };
	struct dfx_encl *hot = hot_enclave(src, HOT_PAGES), *e = calloc(1, sizeof(*e));
	enum outcome out = WRONG;
	pthread_t th;
	int ret, err;

	sigemptyset(&sa.sa_mask);
	if (!hot || !e || dfx_create(e, ENCL_SIZE, 0) || softsgx_sigaction(SIGUSR1, &sa, NULL)) {
		harness_fail(__FILE__, __LINE__, "setting up: %s", strerrorname_np(errno));
		dfx_close(hot);
		dfx_close(e);
		return WRONG;
	}
	handled = 0;
	pthread_create(&th, NULL, shoot, &s);
	ret = softsgx_ioctl(e->fd, SGX_IOC_ENCLAVE_ADD_PAGES, &add);
	err = errno;
	pthread_join(th, NULL);
	if (handled != 1)
		harness_fail(__FILE__, __LINE__, "the handler ran %d times", (int)handled);
	else if (!ret && add.count == NPAGES * PAGE)
		out = ALL_ADDED;
	else if (!ret && add.count && add.count < NPAGES * PAGE && !(add.count % PAGE))
		out = STOPPED;
	else if (ret == -1 && err == EINTR && !add.count)
		out = INTERRUPTED_FIRST;
	else if (ret == -1 && err == EINTR && add.count < NPAGES * PAGE && !(add.count % PAGE))
		out = INTERRUPTED_RECLAIM; /* only the allocation's check returns EINTR after pages */
	if (out == WRONG)
		harness_fail(__FILE__, __LINE__, "ADD_PAGES returned %d errno %s count %#llx", ret,
			     ret ? strerrorname_np(err) : "0", (unsigned long long)add.count);
	dfx_close(e);
	dfx_close(hot);
	return out;
}

static void signal_stops_direct_reclaim(void)
{
	uint8_t *src = aligned_alloc(PAGE, HOT_PAGES * PAGE);
	int seen[NR_OUTCOMES] = { 0 }, i;

	ASSERT_TRUE(src);
	memset(src, 0x5a, HOT_PAGES * PAGE);
	for (i = 0; i < TRIES && !seen[INTERRUPTED_RECLAIM] && !seen[WRONG]; i++)
		seen[add_with_signal(src, (useconds_t)(200 * (i % 16)))]++;
	fprintf(stderr, "  %d tries: %d all added, %d stopped, %d interrupted before the first page, "
			"%d interrupted in reclaim\n", i, seen[ALL_ADDED], seen[STOPPED],
		seen[INTERRUPTED_FIRST], seen[INTERRUPTED_RECLAIM]);
	EXPECT_EQ(seen[WRONG], 0);
	EXPECT_TRUE(seen[INTERRUPTED_RECLAIM] > 0);
	free(src);
}

TEST(add_pages_signal_stops_direct_reclaim_eintr)
{
	harness_in_child(&epc, signal_stops_direct_reclaim);
}
