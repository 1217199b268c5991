/* softsgx-test: threads */
/* SPDX-License-Identifier: MIT */
/*
 * The interrupt of threads inside enclaves is installed once per process,
 * by the first thread that runs enclave code; every other thread waits
 * until it is there. A thread that entered before would run where the
 * ETRACK flow cannot interrupt it, and RESTRICT_PERMISSIONS would then fail
 * with EFAULT (ETRACK refused twice). The test must be the first of its
 * process to run enclave code: it is the only test of this file.
 */
#include <asm/sgx.h>
#include <pthread.h>
#include <unistd.h>

#include "driver/driver.h"
#include "harness.h"
#include "test_enclave.h"

static struct softsgx_enclave *e;
static uint64_t flag;
static int b_started;
static struct sgx_enclave_run b_run;

static void *first_thread(void *arg)
{
	(void)arg;
	softsgx_thread_init(); /* installs the interrupt: waits for mmap_lock */
	return NULL;
}

static void *spinner(void *arg)
{
	struct te_call c = { .op = TE_OP_SPIN, .arg = { (uintptr_t)&flag } };

	(void)arg;
	__atomic_store_n(&b_started, 1, __ATOMIC_RELEASE);
	te_enter(e, 1, &c, &b_run);
	return NULL;
}

TEST(thread_entering_while_interrupt_installs_is_interruptible)
{
	struct sgx_platform *plat;
	struct sgx_enclave_restrict_permissions p;
	pthread_t a, b;
	uint64_t page;
	int i;

	e = te_load();
	ASSERT_TRUE(e);
	plat = sgx_platform_get();
	page = softsgx_enclave_tcs(e, 0) + SOFTSGX_LOAD_TDATA_OFFSET; /* a page nobody uses */
	/* Readers keep the installing thread waiting for mmap_lock, as under load. */
	pthread_rwlock_rdlock(&plat->mmap_lock);
	ASSERT_EQ(pthread_create(&a, NULL, first_thread, NULL), 0);
	usleep(100000);
	ASSERT_EQ(pthread_create(&b, NULL, spinner, NULL), 0);
	while (!__atomic_load_n(&b_started, __ATOMIC_ACQUIRE))
		;
	usleep(100000);
	for (i = 0; i < 2; i++) {
		p = (struct sgx_enclave_restrict_permissions){
			.offset = page - softsgx_enclave_base(e), .length = 4096,
			.permissions = SGX_SECINFO_R | SGX_SECINFO_W };
		EXPECT_EQ(softsgx_ioctl(softsgx_enclave_fd(e), SGX_IOC_ENCLAVE_RESTRICT_PERMISSIONS, &p),
			  0);
		EXPECT_EQ(p.result, 0);
	}
	pthread_rwlock_unlock(&plat->mmap_lock);
	pthread_join(a, NULL);
	__atomic_store_n(&flag, 1, __ATOMIC_RELAXED); /* read by the enclave */
	pthread_join(b, NULL);
	EXPECT_EQ(b_run.function, TE_EEXIT);
	softsgx_unload(e);
}
