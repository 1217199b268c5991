/* SPDX-License-Identifier: MIT */
/*
 * What depends on the platform's configuration or on the host: an EPC that
 * runs full, a processor without SGX2, a host out of mappings, a source on a
 * noexec mount. Each test configures a fresh platform in a child process
 * (the configuration is fixed when a platform is made), so nothing in this
 * file may make one in the parent.
 */
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <unistd.h>

#include "dfx.h"
#include "softsgx/measure.h"

#define PAGE 4096ull
#define REG_R (SGX_SECINFO_REG | SGX_SECINFO_R)

/* 16 EPC pages. An enclave's SECS and first VA page are never reclaimed. */
static const struct softsgx_config tiny_epc = { .epc_size = 16 * PAGE };

/* ADD_PAGES of twice the EPC: the reclaimer evicts earlier pages; every byte comes back. */
static void add_pages_beyond_epc(void)
{
	struct dfx_encl e;
	struct sgx_secinfo secinfo = { .flags = REG_R };
	uint64_t *src = aligned_alloc(PAGE, 32 * PAGE), word, resident, swapped;
	struct sgx_enclave_add_pages add;
	size_t i;

	for (i = 0; i < 32 * PAGE / 8; i++)
		src[i] = 0x5eed0000ull + i;
	ASSERT_EQ(dfx_create(&e, DFX_SIZE, SGX_ATTR_DEBUG), 0);
	add = (struct sgx_enclave_add_pages){ .src = (uintptr_t)src, .offset = 0, .length = 32 * PAGE,
					      .secinfo = (uintptr_t)&secinfo };
	EXPECT_EQ(softsgx_ioctl(e.fd, SGX_IOC_ENCLAVE_ADD_PAGES, &add), 0);
	EXPECT_EQ(add.count, 32 * PAGE);
	EXPECT_TRUE(softsgx_counter(SOFTSGX_CNT_EPC_EVICTED) >= 32 - 14);
	ASSERT_EQ(softsgx_enclave_pages(e.fd, &resident, &swapped), 0);
	EXPECT_EQ(resident + swapped, 32);
	EXPECT_TRUE(swapped >= 32 - 14);
	/* Read back through EDBGRD (a debugger's view), which reloads what was evicted. */
	ASSERT_EQ(dfx_map(&e, 0, 32 * PAGE, PROT_READ), (void *)(uintptr_t)e.base);
	for (i = 0; i < 32 * PAGE / 8; i += 61) {
		ASSERT_EQ(softsgx_access_vm(dfx_ptr(&e, i * 8), &word, 8, 0), 8);
		EXPECT_EQ(word, 0x5eed0000ull + i);
	}
	EXPECT_TRUE(softsgx_counter(SOFTSGX_CNT_EPC_RELOADED) > 0);
	free(src);
}

TEST(add_pages_beyond_epc_reclaims)
{
	harness_in_child(&tiny_epc, add_pages_beyond_epc);
}

/*
 * SECS and VA pages are never reclaimed: an EPC full of them has nothing
 * reclaimable, so CREATE and ADD_PAGES fail with ENOMEM.
 */
static void nothing_reclaimable(void)
{
	struct dfx_encl e[8], extra;
	struct sgx_secinfo secinfo = { .flags = REG_R };
	uint8_t *src = aligned_alloc(PAGE, PAGE);
	struct sgx_enclave_add_pages add = { .src = (uintptr_t)src, .offset = 0, .length = PAGE,
					     .secinfo = (uintptr_t)&secinfo };
	int i;

	memset(src, 0, PAGE);
	for (i = 0; i < 8; i++)
		ASSERT_EQ(dfx_create(&e[i], DFX_SIZE, 0), 0);
	EXPECT_EQ(dfx_free_epc(), 0);
	EXPECT_EQ(dfx_create(&extra, DFX_SIZE, 0), -ENOMEM);
	EXPECT_ERRNO(softsgx_ioctl(e[0].fd, SGX_IOC_ENCLAVE_ADD_PAGES, &add), ENOMEM);
	EXPECT_EQ(add.count, 0);
	/* One enclave less: its two pages come back, and a page fits again. */
	softsgx_close(e[7].fd);
	add.count = 0;
	EXPECT_EQ(softsgx_ioctl(e[0].fd, SGX_IOC_ENCLAVE_ADD_PAGES, &add), 0);
	free(src);
}

TEST(create_and_add_nothing_reclaimable_enomem)
{
	harness_in_child(&tiny_epc, nothing_reclaimable);
}

/*
 * Pages a reclaim batch holds are off the list but still reclaimable: in
 * an EPC of 16 pages a batch can hold all of them. With none free, an
 * allocation without reclaim is EBUSY (a fault waits), not ENOMEM; direct
 * reclaim waits for the batch, and gives up with ENOMEM after its bound
 * when the batch never ends.
 */
struct held {
	struct sgx_encl_page *page[16];
	unsigned int n;
	int waiter; /* the thread that will wait for the batch */
};

static void hold_all(struct dfx_encl *e, struct held *h)
{
	struct sgx_platform *plat = sgx_platform_get();
	struct sgx_encl *encl = sgx_encl_from_fd(plat, e->fd);
	uint64_t off;

	pthread_rwlock_rdlock(&plat->mmap_lock);
	for (h->n = 0, off = 0; off < 14 * PAGE; off += PAGE, h->n++)
		ASSERT_EQ(sgx_encl_isolate_page(encl, e->base + off, false, &h->page[h->n]), 0);
	pthread_rwlock_unlock(&plat->mmap_lock);
	sgx_encl_put(encl);
}

/*
 * The batch ends once ADD_PAGES waits for it (its thread, h->waiter, waits
 * in a futex): its first page is written back, the others go back on the list.
 */
static void *end_batch_later(void *arg)
{
	struct sgx_platform *plat = sgx_platform_get();
	struct held *h = arg;
	unsigned int i;

	for (i = 0; i < 20000 && !dfx_waits_in_futex(h->waiter); i++)
		usleep(100);
	pthread_rwlock_rdlock(&plat->mmap_lock);
	EXPECT_EQ(sgx_reclaim_isolated(h->page[0], true), 0);
	for (i = 1; i < h->n; i++)
		EXPECT_EQ(sgx_reclaim_isolated(h->page[i], false), 0);
	pthread_rwlock_unlock(&plat->mmap_lock);
	return NULL;
}

static void batch_holds_every_page(void)
{
	struct sgx_platform *plat = sgx_platform_get();
	struct sgx_secinfo secinfo = { .flags = REG_R };
	uint8_t *src = aligned_alloc(PAGE, 15 * PAGE);
	struct sgx_enclave_add_pages add = { .src = (uintptr_t)src, .length = 14 * PAGE,
					     .secinfo = (uintptr_t)&secinfo };
	struct dfx_encl e;
	struct held h;
	pthread_t thread;
	uint64_t epc;

	memset(src, 0x5a, 15 * PAGE);
	sgx_ksgxd_pause(plat, true);
	ASSERT_EQ(dfx_create(&e, DFX_SIZE, SGX_ATTR_DEBUG), 0);
	ASSERT_EQ(softsgx_ioctl(e.fd, SGX_IOC_ENCLAVE_ADD_PAGES, &add), 0);
	ASSERT_EQ(dfx_free_epc(), 0);
	hold_all(&e, &h);
	EXPECT_EQ(sgx_alloc_epc_page(plat, NULL, false, &epc), -EBUSY);
	/* Direct reclaim waits for the batch; this one never ends. */
	add = (struct sgx_enclave_add_pages){ .src = (uintptr_t)src, .offset = 14 * PAGE,
					      .length = PAGE, .secinfo = (uintptr_t)&secinfo };
	EXPECT_ERRNO(softsgx_ioctl(e.fd, SGX_IOC_ENCLAVE_ADD_PAGES, &add), ENOMEM);
	EXPECT_EQ(add.count, 0);
	/* This one ends while ADD_PAGES waits: the page it writes back makes room. */
	h.waiter = gettid();
	ASSERT_EQ(pthread_create(&thread, NULL, end_batch_later, &h), 0);
	EXPECT_EQ(softsgx_ioctl(e.fd, SGX_IOC_ENCLAVE_ADD_PAGES, &add), 0);
	EXPECT_EQ(add.count, PAGE);
	pthread_join(thread, NULL);
	sgx_ksgxd_pause(plat, false);
	free(src);
}

TEST(batch_holding_every_page_is_waited_for)
{
	harness_in_child(&tiny_epc, batch_holds_every_page);
}

/* A configuration the program cannot pass: EFAULT, before anything else is judged. */
TEST(configure_bad_pointers_efault)
{
	struct softsgx_config cfg = { .seed = (const uint8_t *)24 };

	EXPECT_ERRNO(softsgx_configure(NULL), EFAULT);
	EXPECT_ERRNO(softsgx_configure((const struct softsgx_config *)8), EFAULT);
	EXPECT_ERRNO(softsgx_configure(&cfg), EFAULT);
}

/*
 * A fault that needs an EPC page when none is free and nothing is
 * reclaimable (the EPC holds only SECS and VA pages) is SIGBUS: here the
 * enclave's own pages were all evicted to make room for other enclaves'
 * SECS, and its TCS cannot come back.
 */
static void fault_without_epc(void)
{
	struct dfx_encl *e = dfx_build(), others[16];
	struct dfx_thread t;
	uint64_t sigbus, resident = 1;
	int n, i;

	ASSERT_TRUE(e);
	for (n = 0; n < 16 && !dfx_create(&others[n], DFX_SIZE, 0); n++)
		;
	/* The reclaimer thread may still hold some of e's pages: let it finish, then fill up. */
	for (i = 0; i < 5000 && (softsgx_enclave_pages(e->fd, &resident, NULL) || resident); i++)
		usleep(1000);
	EXPECT_EQ(resident, 0);
	for (; n < 16 && !dfx_create(&others[n], DFX_SIZE, 0); n++)
		;
	ASSERT_TRUE(n > 0 && n < 16);
	EXPECT_EQ(dfx_free_epc(), 1); /* the VA page of the CREATE that failed */
	dfx_thread_init(&t);
	sigbus = softsgx_counter(SOFTSGX_CNT_FAULT_SIGBUS);
	/* The SECS comes back into the last free page; the TCS finds none. */
	EXPECT_EQ(dfx_enter(&t, e, DFX_TCS0), SGX_PF);
	EXPECT_EQ(t.exc.vector, SGX_VEC_PF);
	/* The vDSO reports a SIGBUS as a #PF with the plain hardware code: no SGX bit. */
	EXPECT_TRUE(!(t.exc.error_code & SGX_PF_SGX));
	EXPECT_EQ(softsgx_counter(SOFTSGX_CNT_FAULT_SIGBUS), sigbus + 1);
	/* Room again: the same entry works, and the enclave's pages are intact. */
	while (n--)
		softsgx_close(others[n].fd);
	ASSERT_SGX(dfx_enter(&t, e, DFX_TCS0), SGX_SUCCESS);
	EXPECT_SGX(dfx_access(&t, dfx_la(e, DFX_DATA), SGX_PF_W), SGX_SUCCESS);
	EXPECT_SGX(dfx_exit(&t), SGX_SUCCESS);
	dfx_thread_fini(&t);
}

TEST(fault_nothing_reclaimable_sigbus)
{
	static const struct softsgx_config small = { .epc_size = 24 * PAGE };

	harness_in_child(&small, fault_without_epc);
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

	harness_in_child(&sgx1, sgx1_platform);
}

/* No EAUG on SGX1: populating an unbacked address is the fault's SIGBUS, EFAULT. */
static void sgx1_populate(void)
{
	struct dfx_encl *e = dfx_build();
	size_t free0;

	ASSERT_TRUE(e);
	free0 = dfx_free_epc();
	EXPECT_ERRNO(softsgx_madvise(dfx_ptr(e, DFX_FREE), PAGE, MADV_WILLNEED), EFAULT);
	/* MAP_POPULATE leaves errors to the faults: the mmap itself succeeds. */
	EXPECT_EQ(softsgx_mmap(dfx_ptr(e, DFX_FREE), PAGE, PROT_READ | PROT_WRITE,
			       MAP_SHARED | MAP_FIXED | MAP_POPULATE, e->fd, 0), dfx_ptr(e, DFX_FREE));
	EXPECT_EQ(dfx_epcm(e, DFX_FREE).valid, false);
	EXPECT_EQ(dfx_free_epc(), free0);
	/* Pages that exist are populated as before. */
	EXPECT_EQ(softsgx_madvise(dfx_ptr(e, DFX_DATA), PAGE, MADV_WILLNEED), 0);
}

TEST(sgx1_platform_populate_unbacked_efault)
{
	static const struct softsgx_config sgx1 = { .sgx1 = true };

	harness_in_child(&sgx1, sgx1_populate);
}

/*
 * An SGX2 processor from before AEX-Notify: ECREATE refuses
 * ATTRIBUTES.AEXNOTIFY, so CREATE fails as Linux 6.2+ fails there (EIO);
 * everything else is SGX2 as before.
 */
static void no_aexnotify_platform(void)
{
	struct dfx_encl e;
	struct dfx_encl *built = dfx_build();

	EXPECT_EQ(dfx_create(&e, DFX_SIZE, SGX_ATTR_AEXNOTIFY), -EIO);
	ASSERT_TRUE(built);
	EXPECT_EQ(softsgx_leaf_count(SGX_LEAF_ENCLU(ENCLU_EDECCSSA)), 0);
	EXPECT_EQ(softsgx_madvise(dfx_ptr(built, DFX_FREE), PAGE, MADV_WILLNEED), 0);
	EXPECT_EQ(dfx_epcm(built, DFX_FREE).valid, true);
}

TEST(no_aexnotify_platform_refuses_the_attribute_eio)
{
	static const struct softsgx_config cfg = { .aex_notify = SOFTSGX_AEX_NOTIFY_NO };

	harness_in_child(&cfg, no_aexnotify_platform);
}

/* AEX-Notify with SGX1 is no processor, and a value out of the enum none either: EINVAL. */
static void aexnotify_config_checked(void)
{
	struct softsgx_config cfg = { .sgx1 = true, .aex_notify = SOFTSGX_AEX_NOTIFY_YES };

	EXPECT_ERRNO(softsgx_configure(&cfg), EINVAL);
	cfg = (struct softsgx_config){ .aex_notify = (enum softsgx_aex_notify)3 };
	EXPECT_ERRNO(softsgx_configure(&cfg), EINVAL);
	cfg = (struct softsgx_config){ .sgx1 = true, .aex_notify = SOFTSGX_AEX_NOTIFY_NO };
	EXPECT_EQ(softsgx_configure(&cfg), 0);
	cfg = (struct softsgx_config){ .aex_notify = SOFTSGX_AEX_NOTIFY_YES };
	EXPECT_EQ(softsgx_configure(&cfg), 0);
}

TEST(configure_aexnotify_contradiction_einval)
{
	static const struct softsgx_config plain = { 0 };

	harness_in_child(&plain, aexnotify_config_checked);
}

/*
 * The host runs out of mappings (vm.max_map_count): an access that needs a
 * page's host protection changed, and cannot get it, is SIGBUS rather than
 * a fault repeated for ever.
 */
static void mappings_exhausted(void)
{
	struct dfx_encl *e = dfx_build();
	struct dfx_thread t;
	size_t pages = 1 << 18, i;
	uint8_t *area;

	ASSERT_TRUE(e);
	dfx_thread_init(&t);
	ASSERT_SGX(dfx_enter(&t, e, DFX_TCS0), SGX_SUCCESS);
	/* Split a large reservation page by page until the kernel refuses a new mapping. */
	area = mmap(NULL, pages * PAGE, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	ASSERT_TRUE(area != MAP_FAILED);
	for (i = 1; i < pages; i += 2)
		if (mprotect(area + i * PAGE, PAGE, PROT_READ))
			break;
	ASSERT_TRUE(i < pages && errno == ENOMEM);
	/* EAUG on the EACCEPT's fault works; making the page accessible in the host does not. */
	EXPECT_EQ(dfx_eaccept(&t, dfx_secinfo(e, 0, REG_R | SGX_SECINFO_W | SGX_SECINFO_PENDING),
			      dfx_la(e, DFX_FREE + 8 * PAGE)), DFX_EXCEPTION);
	EXPECT_EQ(t.exc.vector, SGX_VEC_PF);
	EXPECT_TRUE(!(t.exc.error_code & SGX_PF_SGX));
}

TEST(host_mappings_exhausted_fault_sigbus)
{
	static const struct softsgx_config defaults = { 0 };

	harness_in_child(&defaults, mappings_exhausted);
}

/*
 * ADD_PAGES denies a source whose mapping lacks VM_MAYEXEC (a file on a
 * noexec mount): EACCES, count 0, nothing added. The mount is made in the
 * child's own mount namespace (a user namespace too when not privileged).
 */
static void add_pages_from_noexec_mount(void)
{
	char dir[] = "/tmp/softsgx-noexec-XXXXXX", path[64];
	struct sgx_secinfo secinfo = { .flags = REG_R };
	struct sgx_enclave_add_pages add;
	size_t before;
	struct dfx_encl e;
	void *src;
	int fd;

	ASSERT_TRUE(mkdtemp(dir) != NULL);
	ASSERT_TRUE(!unshare(CLONE_NEWNS) || !unshare(CLONE_NEWUSER | CLONE_NEWNS));
	ASSERT_EQ(mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL), 0);
	ASSERT_EQ(mount("softsgx", dir, "tmpfs", MS_NOEXEC, "size=64k"), 0);
	snprintf(path, sizeof(path), "%s/src", dir);
	fd = open(path, O_RDWR | O_CREAT, 0600);
	ASSERT_TRUE(fd >= 0);
	ASSERT_EQ(ftruncate(fd, 2 * PAGE), 0);
	src = mmap(NULL, 2 * PAGE, PROT_READ, MAP_SHARED, fd, 0);
	ASSERT_TRUE(src != MAP_FAILED);
	/* The same file may not be mapped executable: do_mmap()'s noexec rule. */
	EXPECT_TRUE(mmap(NULL, PAGE, PROT_READ | PROT_EXEC, MAP_SHARED, fd, 0) == MAP_FAILED);

	ASSERT_EQ(dfx_create(&e, DFX_SIZE, 0), 0);
	EXPECT_EQ(dfx_add(&e, 0, PAGE, NULL, REG_R, true), 0); /* anonymous memory may execute */
	before = dfx_free_epc();
	add = (struct sgx_enclave_add_pages){ .src = (uintptr_t)src, .offset = PAGE, .length = 2 * PAGE,
					      .secinfo = (uintptr_t)&secinfo };
	EXPECT_ERRNO(softsgx_ioctl(e.fd, SGX_IOC_ENCLAVE_ADD_PAGES, &add), EACCES);
	EXPECT_EQ(add.count, 0);
	EXPECT_EQ(dfx_free_epc(), before);
	/* The offset is still free: the same page from anonymous memory goes in. */
	EXPECT_EQ(dfx_add(&e, PAGE, PAGE, NULL, REG_R, true), 0);
	munmap(src, 2 * PAGE);
	close(fd);
	umount(dir);
	rmdir(dir);
}

TEST(add_pages_source_on_noexec_mount_eacces)
{
	static const struct softsgx_config defaults = { 0 };

	harness_in_child(&defaults, add_pages_from_noexec_mount);
}
