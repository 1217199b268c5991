/* softsgx-test: threads */
/* SPDX-License-Identifier: MIT */
/*
 * Host protections are computed and applied as one step: a fault's refresh
 * that computed RW before RESTRICT_PERMISSIONS took the page to R must not
 * apply RW after the ioctl's own update (the host would allow writes the
 * EPCM forbids).
 */
#include <pthread.h>
#include <stdatomic.h>
#include <unistd.h>

#include "common.h"

static struct sgx_host_ops real_host;
static pthread_t slow_thread;
static atomic_bool slow_in_protect;
static uint64_t page;

/* The refresher is preempted between computing the protection and applying it. */
static int slow_protect(void *ctx, uint64_t start, uint64_t end, unsigned int prot)
{
	if (pthread_equal(pthread_self(), slow_thread)) {
		atomic_store(&slow_in_protect, true);
		usleep(200000);
	}
	return real_host.protect(ctx, start, end, prot);
}

/* What a fault's refresh does. */
static void *refresher(void *arg)
{
	struct sgx_platform *plat = sgx_platform_get();

	(void)arg;
	pthread_rwlock_rdlock(&plat->mmap_lock);
	sgx_update_host(plat, page, page + PAGE);
	pthread_rwlock_unlock(&plat->mmap_lock);
	return NULL;
}

TEST_ENTERED(host_prot_refresh_racing_restrict_ends_restricted)
{
	struct sgx_platform *plat = sgx_platform_get();
	struct sgx_enclave_restrict_permissions p;

	ASSERT_TRUE(dfx_eaug_accept(t, e, DFX_FREE, 1));
	page = dfx_la(e, DFX_FREE);
	ASSERT_SGX(dfx_access(t, page, SGX_PF_W), SGX_SUCCESS); /* accepted, RW: a refresh computes RW */
	ASSERT_SGX(dfx_exit(t), SGX_SUCCESS);
	real_host = plat->host;
	plat->host.protect = slow_protect;
	atomic_store(&slow_in_protect, false);
	ASSERT_EQ(pthread_create(&slow_thread, NULL, refresher, NULL), 0);
	while (!atomic_load(&slow_in_protect))
		usleep(1000);
	EXPECT_EQ(dfx_restrict(e, DFX_FREE, PAGE, SGX_SECINFO_R, &p), 0);
	pthread_join(slow_thread, NULL);
	plat->host = real_host;
	EXPECT_EQ(dfx_epcm(e, DFX_FREE).perm, SGX_SECINFO_R);
	EXPECT_EQ(dfx_host_prot(page), PROT_READ);
}
