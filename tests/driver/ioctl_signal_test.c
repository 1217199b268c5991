/* softsgx-test: threads */
/* SPDX-License-Identifier: MIT */
/*
 * Signals during ADD_PAGES, as Linux has them: a signal the thread does not
 * block, arriving during the page loop, stops it (return 0 with count
 * short of length); arriving before the first page, it interrupts the
 * call (EINTR, count 0), or restarts it under SA_RESTART. The handler runs
 * once, as the call returns. Another thread sends the signal after a
 * delay; each outcome is one Linux can give, and the loop stops part-way
 * at least once.
 */
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "common.h"

#define NPAGES 2048
#define ENCL_SIZE (16ull << 20)
#define TRIES 40

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

enum outcome { ALL_ADDED, STOPPED, INTERRUPTED, WRONG };

/* One ADD_PAGES of NPAGES measured pages with SIGUSR1 sent after @delay. */
static enum outcome add_with_signal(uint8_t *src, int sa_flags, useconds_t delay)
{
	struct sigaction sa = { .sa_handler = on_usr1, .sa_flags = sa_flags };
	struct sgx_secinfo secinfo = { .flags = REG_RW };
	struct sgx_enclave_add_pages add = { .src = (uintptr_t)src, .length = NPAGES * PAGE,
					     .secinfo = (uintptr_t)&secinfo,
					     .flags = SGX_PAGE_MEASURE };
	struct shooter s = { .tid = (pid_t)syscall(SYS_gettid), .delay = delay };
	enum outcome out = WRONG;
	struct dfx_encl *e = calloc(1, sizeof(*e));
	pthread_t th;
	int ret, err;

	sigemptyset(&sa.sa_mask);
	if (!e || dfx_create(e, ENCL_SIZE, 0) || softsgx_sigaction(SIGUSR1, &sa, NULL)) {
		harness_fail(__FILE__, __LINE__, "setting up: %s", strerrorname_np(errno));
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
		out = dfx_epcm(e, add.count - PAGE).valid && !dfx_epcm(e, add.count).valid ? STOPPED
											    : WRONG;
	else if (ret == -1 && err == EINTR && !(sa_flags & SA_RESTART) && !dfx_epcm(e, 0).valid)
		out = INTERRUPTED;
	if (out == WRONG)
		harness_fail(__FILE__, __LINE__, "ADD_PAGES returned %d errno %s count %#llx", ret,
			     ret ? strerrorname_np(err) : "0", (unsigned long long)add.count);
	dfx_close(e);
	return out;
}

static void signals_stop_add_pages(int sa_flags)
{
	uint8_t *src = aligned_alloc(PAGE, NPAGES * PAGE);
	int seen[4] = { 0 }, i;

	ASSERT_TRUE(src);
	memset(src, 0x3c, NPAGES * PAGE);
	for (i = 0; i < TRIES && !seen[STOPPED] && !seen[WRONG]; i++)
		seen[add_with_signal(src, sa_flags, (useconds_t)(500 + 1000 * (i % 8)))]++;
	EXPECT_EQ(seen[WRONG], 0);
	EXPECT_TRUE(seen[STOPPED] > 0);
	free(src);
}

TEST(add_pages_signal_stops_loop_short_count)
{
	signals_stop_add_pages(0);
}

TEST(add_pages_signal_with_sa_restart_never_eintr)
{
	signals_stop_add_pages(SA_RESTART);
}

/* A signal the thread blocks, or one whose action is to ignore it, does not stop the loop. */
TEST(add_pages_blocked_or_ignored_signal_no_effect)
{
	uint8_t *src = aligned_alloc(PAGE, 64 * PAGE);
	struct sgx_secinfo secinfo = { .flags = REG_RW };
	struct sgx_enclave_add_pages add = { .length = 64 * PAGE, .secinfo = (uintptr_t)&secinfo };
	struct dfx_encl *e = calloc(1, sizeof(*e));
	sigset_t set, old;

	ASSERT_TRUE(src && e);
	memset(src, 1, 64 * PAGE);
	add.src = (uintptr_t)src;
	ASSERT_EQ(dfx_create(e, DFX_SIZE, 0), 0);
	sigemptyset(&set);
	sigaddset(&set, SIGUSR2);
	pthread_sigmask(SIG_BLOCK, &set, &old);
	raise(SIGUSR2); /* pending, blocked */
	signal(SIGURG, SIG_DFL);
	EXPECT_EQ(softsgx_ioctl(e->fd, SGX_IOC_ENCLAVE_ADD_PAGES, &add), 0);
	EXPECT_EQ(add.count, 64 * PAGE);
	sigwaitinfo(&set, NULL);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	dfx_close(e);
	free(src);
}
