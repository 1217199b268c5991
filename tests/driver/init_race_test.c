/* softsgx-test: threads */
/* SPDX-License-Identifier: MIT */
/*
 * INIT of two enclaves with different signers at the same time. Linux
 * writes IA32_SGXLEPUBKEYHASH and runs EINIT on one CPU with preemption
 * off, so another INIT cannot change the MSR in between; the emulated MSR
 * is platform-wide, and the driver serializes write + EINIT instead.
 */
#include <pthread.h>
#include <unistd.h>

#include "common.h"
#include "softsgx/sign.h"

struct race {
	pthread_t main_thread;
	bool armed;
	struct dfx_encl *b;
	EVP_PKEY *key_b;
	pthread_t b_thread;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool b_created, b_started;
	int b_ret, b_err;
};

static struct race race = { .lock = PTHREAD_MUTEX_INITIALIZER, .cond = PTHREAD_COND_INITIALIZER };

/* Enclave B's INIT, signed by a key of its own. */
static void *init_b(void *arg)
{
	struct race *r = arg;
	struct sgx_sigstruct *sig = dfx_sigstruct(r->b);
	struct sgx_enclave_init init = { .sigstruct = (uintptr_t)sig };

	if (sgx_sigstruct_sign(sig, r->key_b)) {
		r->b_ret = -2;
		free(sig);
		return NULL;
	}
	pthread_mutex_lock(&r->lock);
	r->b_started = true;
	pthread_cond_broadcast(&r->cond);
	pthread_mutex_unlock(&r->lock);
	r->b_ret = softsgx_ioctl(r->b->fd, SGX_IOC_ENCLAVE_INIT, &init);
	r->b_err = errno;
	free(sig);
	return NULL;
}

/* A's EINIT, paused holding its marks: B's INIT starts now and has time to run. */
static void einit_hook(void *ctx, struct sgx_lp *lp, unsigned int leaf_id, uint64_t epc)
{
	struct race *r = ctx;

	(void)lp, (void)epc;
	if (leaf_id != SGX_LEAF_ENCLS(ENCLS_EINIT) || !pthread_equal(pthread_self(), r->main_thread) ||
	    !r->armed)
		return;
	r->armed = false;
	if (pthread_create(&r->b_thread, NULL, init_b, r))
		return;
	r->b_created = true;
	pthread_mutex_lock(&r->lock);
	while (!r->b_started)
		pthread_cond_wait(&r->cond, &r->lock);
	pthread_mutex_unlock(&r->lock);
	usleep(50000); /* unserialized, B's INIT would be done (and the MSR B's) by now */
}

TEST(init_concurrent_different_signers_both_succeed)
{
	struct sgx_platform *plat = sgx_platform_get();
	struct dfx_encl *a = dfx_new_layout();

	ASSERT_TRUE(a);
	race.b = dfx_new_layout();
	ASSERT_TRUE(race.b);
	ASSERT_EQ(sgx_sign_keygen(&race.key_b), 0);
	race.main_thread = pthread_self();
	race.armed = true;
	race.b_ret = -1;
	sgx_cpu_set_pause_hook(plat->cpu, einit_hook, &race);
	EXPECT_EQ(dfx_init(a), 0);
	EXPECT_TRUE(race.b_created);
	if (race.b_created)
		pthread_join(race.b_thread, NULL);
	sgx_cpu_set_pause_hook(plat->cpu, NULL, NULL);
	EXPECT_EQ(race.b_ret, 0);
	if (race.b_ret)
		harness_fail(__FILE__, __LINE__, "B's INIT: errno %s", strerrorname_np(race.b_err));
	EVP_PKEY_free(race.key_b);
	dfx_close(race.b);
	dfx_close(a);
}
