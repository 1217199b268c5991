/* softsgx-test: threads */
/* SPDX-License-Identifier: MIT */
/*
 * INIT when EINIT itself faults: the driver's EIO.
 */
#include <pthread.h>

#include "dfx.h"
#include "softsgx/measure.h"

#define PAGE 4096ull
#define REG_R (SGX_SECINFO_REG | SGX_SECINFO_R)

/*
 * INIT's EIO: EINIT raised a fault. Another leaf holding the SECS
 * exclusively (an EREMOVE of the SECS stopped at its pause point, from a
 * second logical processor; it then fails with SGX_CHILD_PRESENT and changes
 * nothing) makes EINIT's "SECS being modified" check fire (#GP).
 */
struct hold {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool paused, release;
	uint64_t secs;
	struct sgx_lp *lp;
};

static void hold_hook(void *ctx, struct sgx_lp *lp, unsigned int leaf, uint64_t epc)
{
	struct hold *h = ctx;

	if (lp != h->lp)
		return;
	pthread_mutex_lock(&h->lock);
	h->paused = true;
	pthread_cond_broadcast(&h->cond);
	while (!h->release)
		pthread_cond_wait(&h->cond, &h->lock);
	pthread_mutex_unlock(&h->lock);
}

static void *eremove_thread(void *arg)
{
	struct hold *h = arg;

	encls_eremove(h->lp, h->secs);
	return NULL;
}

TEST(init_einit_fault_eio)
{
	struct sgx_platform *plat = sgx_platform_get();
	struct hold h = { .lock = PTHREAD_MUTEX_INITIALIZER, .cond = PTHREAD_COND_INITIALIZER };
	struct dfx_encl e;
	struct sgx_encl *encl;
	pthread_t th;

	ASSERT_EQ(dfx_create(&e, DFX_SIZE, 0), 0);
	ASSERT_EQ(dfx_add(&e, DFX_DATA, PAGE, NULL, REG_R, true), 0);
	encl = sgx_encl_from_fd(plat, e.fd);
	ASSERT_TRUE(encl);
	h.secs = encl->secs_epc;
	h.lp = sgx_lp_create(plat->cpu, NULL, NULL);
	sgx_cpu_set_pause_hook(plat->cpu, hold_hook, &h);
	ASSERT_EQ(pthread_create(&th, NULL, eremove_thread, &h), 0);
	pthread_mutex_lock(&h.lock);
	while (!h.paused)
		pthread_cond_wait(&h.cond, &h.lock);
	pthread_mutex_unlock(&h.lock);
	EXPECT_ERRNO(dfx_init(&e), EIO);
	pthread_mutex_lock(&h.lock);
	h.release = true;
	pthread_cond_broadcast(&h.cond);
	pthread_mutex_unlock(&h.lock);
	pthread_join(th, NULL);
	sgx_cpu_set_pause_hook(plat->cpu, NULL, NULL);
	/* Nothing changed: INIT goes through now. */
	EXPECT_EQ(dfx_init(&e), 0);
	sgx_lp_destroy(h.lp);
	sgx_encl_put(encl);
	softsgx_close(e.fd);
	munmap(e.reservation, e.reservation_len);
	sgx_measure_free(e.measure);
}

