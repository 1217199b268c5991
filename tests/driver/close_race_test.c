/* softsgx-test: threads */
/* SPDX-License-Identifier: MIT */
/*
 * close() of two dup()s of one device file on two threads at once: the
 * file goes exactly once (Linux's last fput()), whichever thread closes last;
 * neither thread touches it after the other freed it.
 */
#include <pthread.h>
#include <unistd.h>

#include "common.h"

#define ROUNDS 5000

static pthread_barrier_t barrier;
static int fds[2];
static int close_ret[2];

static void *closer(void *arg)
{
	long i = (long)arg;
	int r;

	for (r = 0; r < ROUNDS; r++) {
		pthread_barrier_wait(&barrier);
		close_ret[i] = softsgx_close(fds[i]);
		pthread_barrier_wait(&barrier);
	}
	return NULL;
}

TEST(close_dups_concurrently_file_freed_once)
{
	size_t before = dfx_free_epc();
	pthread_t th[2];
	long i;
	int r;

	ASSERT_EQ(pthread_barrier_init(&barrier, NULL, 3), 0);
	for (i = 0; i < 2; i++)
		ASSERT_EQ(pthread_create(&th[i], NULL, closer, (void *)i), 0);
	for (r = 0; r < ROUNDS; r++) {
		fds[0] = softsgx_open("/dev/sgx_enclave", O_RDWR);
		fds[1] = dup(fds[0]);
		EXPECT_TRUE(fds[0] >= 0 && fds[1] >= 0);
		pthread_barrier_wait(&barrier);
		pthread_barrier_wait(&barrier);
		EXPECT_EQ(close_ret[0], 0);
		EXPECT_EQ(close_ret[1], 0);
		/* Both descriptors are gone and so is the file. */
		EXPECT_TRUE(!softsgx_is_device_fd(fds[0]));
	}
	for (i = 0; i < 2; i++)
		pthread_join(th[i], NULL);
	pthread_barrier_destroy(&barrier);
	EXPECT_EQ(dfx_free_epc(), before);
}

/* Closing one dup() keeps the file for the other; closing that one frees it. */
TEST(close_one_dup_file_lives_on)
{
	int fd = softsgx_open("/dev/sgx_enclave", O_RDWR), fd2;

	ASSERT_TRUE(fd >= 0);
	fd2 = dup(fd);
	ASSERT_TRUE(fd2 >= 0);
	EXPECT_EQ(softsgx_close(fd), 0);
	EXPECT_TRUE(softsgx_is_device_fd(fd2));
	EXPECT_EQ(softsgx_close(fd2), 0);
	EXPECT_ERRNO(softsgx_close(fd2), EBADF);
}
