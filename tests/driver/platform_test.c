/* softsgx-test: threads */
/* SPDX-License-Identifier: MIT */
/*
 * What depends on the platform's configuration: an EPC that runs full,
 * and a processor without SGX2. Each test configures a fresh platform in
 * a child process (the configuration is fixed when a platform is made).
 */
#include <pthread.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "dfx.h"
#include "softsgx/measure.h"

#define PAGE 4096ull
#define REG_R (SGX_SECINFO_REG | SGX_SECINFO_R)

/* Run @body in a child whose platform has @cfg; its harness failures fail this test. */
static void in_child(const struct softsgx_config *cfg, void (*body)(void))
{
	int status;
	pid_t pid = fork();

	if (pid == 0) {
		if (softsgx_configure(cfg))
			_exit(2);
		body();
		_exit(harness_failures() ? 1 : 0);
	}
	ASSERT_TRUE(pid > 0);
	ASSERT_EQ(waitpid(pid, &status, 0), pid);
	EXPECT_TRUE(WIFEXITED(status));
	EXPECT_EQ(WEXITSTATUS(status), 0);
}

/* 16 EPC pages: a SECS and 15 more. */
static const struct softsgx_config tiny_epc = { .epc_size = 16 * PAGE };

static void add_pages_beyond_epc(void)
{
	struct dfx_encl e;
	struct sgx_secinfo secinfo = { .flags = REG_R };
	uint8_t *src = aligned_alloc(PAGE, 32 * PAGE);
	struct sgx_enclave_add_pages add;

	memset(src, 0, 32 * PAGE);
	ASSERT_EQ(dfx_create(&e, DFX_SIZE, 0), 0);
	add = (struct sgx_enclave_add_pages){ .src = (uintptr_t)src, .offset = 0, .length = 32 * PAGE,
					      .secinfo = (uintptr_t)&secinfo };
	EXPECT_ERRNO(softsgx_ioctl(e.fd, SGX_IOC_ENCLAVE_ADD_PAGES, &add), ENOMEM);
	EXPECT_EQ(add.count, 15 * PAGE); /* the SECS took the first page */
	free(src);
}

TEST(add_pages_epc_full_enomem_with_count)
{
	in_child(&tiny_epc, add_pages_beyond_epc);
}

static void create_without_epc(void)
{
	struct dfx_encl a, b;

	ASSERT_EQ(dfx_create(&a, DFX_SIZE, 0), 0);
	ASSERT_EQ(dfx_add(&a, 0, 15 * PAGE, NULL, REG_R, false), 0);
	EXPECT_EQ(dfx_create(&b, DFX_SIZE, 0), -ENOMEM);
}

TEST(create_epc_full_enomem)
{
	in_child(&tiny_epc, create_without_epc);
}

static void fault_without_epc(void)
{
	struct dfx_encl *e = dfx_build();
	struct dfx_thread t;
	uint64_t sigbus;
	int i;

	ASSERT_TRUE(e);
	dfx_thread_init(&t);
	ASSERT_SGX(dfx_enter(&t, e, DFX_TCS0), SGX_SUCCESS);
	/* EACCEPTs of unbacked pages EAUG on their faults until the EPC is full: then SIGBUS. */
	sigbus = softsgx_counter(SOFTSGX_CNT_FAULT_SIGBUS);
	for (i = 0; i < 16; i++)
		if (dfx_eaccept(&t, dfx_secinfo(e, 0, REG_R | SGX_SECINFO_W | SGX_SECINFO_PENDING),
				dfx_la(e, DFX_FREE + i * PAGE)) != SGX_SUCCESS)
			break;
	ASSERT_TRUE(i > 0 && i < 16);
	/* The vDSO reports a SIGBUS as a #PF with the plain hardware code: no SGX bit. */
	EXPECT_EQ(t.exc.vector, SGX_VEC_PF);
	EXPECT_TRUE(!(t.exc.error_code & SGX_PF_SGX));
	EXPECT_EQ(softsgx_counter(SOFTSGX_CNT_FAULT_SIGBUS), sigbus + 1);
	EXPECT_EQ(dfx_epcm(e, DFX_FREE + i * PAGE).valid, false);
}

TEST(fault_epc_full_sigbus)
{
	/* The default enclave needs 12 pages and its SECS; 24 leaves a few for EAUG. */
	static const struct softsgx_config small = { .epc_size = 24 * PAGE };

	in_child(&small, fault_without_epc);
}

static void sgx1_platform(void)
{
	struct dfx_encl *e = dfx_build();
	struct sgx_enclave_restrict_permissions rp = { .offset = DFX_DATA, .length = PAGE,
						       .permissions = SGX_SECINFO_R };
	struct sgx_enclave_modify_types mt = { .offset = DFX_DATA, .length = PAGE,
					       .page_type = SGX_PAGE_TYPE_TRIM };
	struct sgx_enclave_remove_pages rm = { .offset = DFX_DATA, .length = PAGE };
	struct dfx_thread t;

	ASSERT_TRUE(e);
	EXPECT_ERRNO(softsgx_ioctl(e->fd, SGX_IOC_ENCLAVE_RESTRICT_PERMISSIONS, &rp), ENODEV);
	EXPECT_ERRNO(softsgx_ioctl(e->fd, SGX_IOC_ENCLAVE_MODIFY_TYPES, &mt), ENODEV);
	EXPECT_ERRNO(softsgx_ioctl(e->fd, SGX_IOC_ENCLAVE_REMOVE_PAGES, &rm), ENODEV);
	/* No EAUG on a fault: the access to an unbacked address is Linux's SIGBUS. */
	dfx_thread_init(&t);
	ASSERT_SGX(dfx_enter(&t, e, DFX_TCS0), SGX_SUCCESS);
	EXPECT_EQ(dfx_access(&t, dfx_la(e, DFX_FREE), SGX_PF_W), DFX_EXCEPTION);
	EXPECT_EQ(t.exc.vector, SGX_VEC_PF);
	EXPECT_EQ(dfx_epcm(e, DFX_FREE).valid, false);
}

TEST(sgx1_platform_sgx2_ioctls_enodev_no_eaug)
{
	static const struct softsgx_config sgx1 = { .sgx1 = true };

	in_child(&sgx1, sgx1_platform);
}

/*
 * INIT's EIO: EINIT raised a fault. Another leaf holding the SECS (an
 * ETRACK stopped at its pause point, from a second logical processor) makes
 * EINIT's "SECS in use" check fire (#GP).
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

static void *etrack_thread(void *arg)
{
	struct hold *h = arg;

	encls_etrack(h->lp, h->secs);
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
	ASSERT_EQ(pthread_create(&th, NULL, etrack_thread, &h), 0);
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
