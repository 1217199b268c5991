/* SPDX-License-Identifier: MIT */
/*
 * mmap() of /dev/sgx_enclave (Linux's sgx_mmap, sgx_get_unmapped_area and
 * sgx_encl_may_map): MAP_SHARED only, any range before INIT (even before
 * CREATE, which then shows the enclave's memory there), only ELRANGE after
 * INIT, the requested protection within every existing page's maximum
 * (EADD: SECINFO RWX; TCS: RW; EAUG: RWX), no READ_IMPLIES_EXEC, and the
 * file offset ignored. The real process mappings are read from
 * /proc/self/maps.
 */
#include <stdlib.h>
#include <sys/personality.h>

#include "cpu/fixture.h"
#include "dfx.h"
#include "softsgx/measure.h"

#define PAGE 4096ull
#define RW (PROT_READ | PROT_WRITE)
#define RWX (PROT_READ | PROT_WRITE | PROT_EXEC)
#define REG_RW (SGX_SECINFO_REG | SGX_SECINFO_R | SGX_SECINFO_W)

static void *map_at(struct dfx_encl *e, uint64_t offset, uint64_t len, int prot)
{
	return softsgx_mmap((void *)(uintptr_t)dfx_la(e, offset), len, prot, MAP_SHARED | MAP_FIXED,
			    e->fd, 0);
}

/* The line of /proc/self/maps holding @addr: permissions ("rw-s") and path. */
static bool maps_lookup(uint64_t addr, char perms[5], char *path, size_t path_len)
{
	FILE *f = fopen("/proc/self/maps", "r");
	char line[512];
	bool found = false;

	if (!f)
		return false;
	while (!found && fgets(line, sizeof(line), f)) {
		unsigned long long s, e;
		char p[5];
		int n = 0;

		if (sscanf(line, "%llx-%llx %4s %*s %*s %*s %n", &s, &e, p, &n) < 3 || addr < s ||
		    addr >= e)
			continue;
		found = true;
		memcpy(perms, p, 5);
		if (path) {
			snprintf(path, path_len, "%s", n ? line + n : "");
			path[strcspn(path, "\n")] = 0;
		}
	}
	fclose(f);
	return found;
}

/* The host mapping of @addr has permissions @want ("---" if unmapped). */
#define EXPECT_HOST_PERMS(addr, want)                                                   \
	do {                                                                            \
		char p_[5] = "---";                                                     \
		uint64_t a_ = (addr);                                                   \
		if (!maps_lookup(a_, p_, NULL, 0) || strcmp(p_, (want)))               \
			harness_fail(__FILE__, __LINE__, "host mapping of %#llx is %s, expected %s", \
				     (unsigned long long)a_, p_, (want));                \
	} while (0)

static bool host_is_enclave_memory(uint64_t addr)
{
	char perms[5], path[256];

	return maps_lookup(addr, perms, path, sizeof(path)) && strstr(path, "sgx_enclave");
}

/* The default enclave created and its pages added, not initialized, nothing mapped. */
static struct dfx_encl *build_uninit(void)
{
	struct dfx_encl *e = calloc(1, sizeof(*e));
	int ret = dfx_create(e, DFX_SIZE, 0);

	if (!ret)
		ret = dfx_add_layout(e);
	if (ret) {
		harness_fail(__FILE__, __LINE__, "building: %s", strerrorname_np(-ret));
		dfx_close(e);
		return NULL;
	}
	return e;
}

/* dfx_create() in two steps, so that mappings can come before CREATE. */
static int open_reserved(struct dfx_encl *e, uint64_t size)
{
	memset(e, 0, sizeof(*e));
	e->fd = softsgx_open("/dev/sgx_enclave", O_RDWR | O_CLOEXEC);
	if (e->fd < 0)
		return -errno;
	e->reservation_len = 2 * size;
	e->reservation = mmap(NULL, e->reservation_len, PROT_NONE,
			      MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (e->reservation == MAP_FAILED)
		return -errno;
	e->base = ((uint64_t)(uintptr_t)e->reservation + size - 1) & ~(size - 1);
	e->size = size;
	return 0;
}

static int create(struct dfx_encl *e)
{
	struct sgx_secs *secs = aligned_alloc(PAGE, PAGE);
	struct sgx_enclave_create c = { .src = (uintptr_t)secs };
	int ret;

	fx_secs_default(secs, e->base, e->size);
	ret = softsgx_ioctl(e->fd, SGX_IOC_ENCLAVE_CREATE, &c) ? -errno : 0;
	if (!ret) {
		e->measure = sgx_measure_new();
		sgx_measure_ecreate(e->measure, secs->ssa_frame_size, e->size);
	}
	free(secs);
	return ret;
}

/* The rodata page mapped read-only: R is its maximum, so this must stay possible. */
static bool rodata_mappable_read_only(struct dfx_encl *e)
{
	return map_at(e, DFX_RODATA, PAGE, PROT_READ) != MAP_FAILED;
}

/* MAP_PRIVATE (sgx_get_unmapped_area) */

TEST(mmap_private_einval)
{
	struct dfx_encl *e = dfx_build();

	ASSERT_TRUE(e);
	EXPECT_ERRNO(softsgx_mmap(NULL, PAGE, RW, MAP_PRIVATE, e->fd, 0), EINVAL);
	dfx_close(e);
}

TEST(mmap_private_fixed_einval)
{
	struct dfx_encl *e = dfx_build();

	ASSERT_TRUE(e);
	EXPECT_ERRNO(softsgx_mmap((void *)(uintptr_t)dfx_la(e, DFX_FREE), PAGE, RW,
				  MAP_PRIVATE | MAP_FIXED, e->fd, 0), EINVAL);
	/* The enclave mapping that was there is untouched. */
	EXPECT_TRUE(host_is_enclave_memory(dfx_la(e, DFX_FREE)));
	EXPECT_HOST_PERMS(dfx_la(e, DFX_FREE), "---s");
	dfx_close(e);
}

TEST(mmap_private_before_create_einval)
{
	struct dfx_encl e;

	ASSERT_EQ(open_reserved(&e, DFX_SIZE), 0);
	EXPECT_ERRNO(softsgx_mmap((void *)(uintptr_t)e.base, PAGE, RW, MAP_PRIVATE | MAP_FIXED,
				  e.fd, 0), EINVAL);
	softsgx_munmap(e.reservation, e.reservation_len);
	softsgx_close(e.fd);
}

/* Arguments */

TEST(mmap_len_zero_einval)
{
	struct dfx_encl *e = dfx_build();

	ASSERT_TRUE(e);
	EXPECT_ERRNO(softsgx_mmap((void *)(uintptr_t)dfx_la(e, DFX_FREE), 0, RW,
				  MAP_SHARED | MAP_FIXED, e->fd, 0), EINVAL);
	dfx_close(e);
}

/* do_mmap(): a length that page-aligns to 0 (overflow) is ENOMEM. */
TEST(mmap_len_overflow_enomem)
{
	struct dfx_encl *e = dfx_build();

	ASSERT_TRUE(e);
	EXPECT_ERRNO(softsgx_mmap((void *)(uintptr_t)dfx_la(e, DFX_FREE), (size_t)-1, RW,
				  MAP_SHARED | MAP_FIXED, e->fd, 0), ENOMEM);
	EXPECT_TRUE(host_is_enclave_memory(dfx_la(e, DFX_FREE)));
	dfx_close(e);
}

TEST(mmap_fixed_unaligned_address_einval)
{
	struct dfx_encl *e = dfx_build();

	ASSERT_TRUE(e);
	EXPECT_ERRNO(softsgx_mmap((void *)(uintptr_t)(dfx_la(e, DFX_FREE) + 8), PAGE, RW,
				  MAP_SHARED | MAP_FIXED, e->fd, 0), EINVAL);
	dfx_close(e);
}

TEST(mmap_closed_fd_ebadf)
{
	struct dfx_encl *e = dfx_build();
	int fd = softsgx_open("/dev/sgx_enclave", O_RDWR);

	ASSERT_TRUE(e);
	ASSERT_TRUE(fd >= 0);
	ASSERT_EQ(softsgx_close(fd), 0);
	EXPECT_ERRNO(softsgx_mmap(NULL, PAGE, RW, MAP_SHARED, fd, 0), EBADF);
	EXPECT_ERRNO(softsgx_mmap(NULL, PAGE, RW, MAP_SHARED, -1, 0), EBADF);
	dfx_close(e);
}

/* /dev/sgx_provision has no mmap file operation. */
TEST(mmap_provision_fd_enodev)
{
	int fd = softsgx_open("/dev/sgx_provision", O_RDWR);

	ASSERT_TRUE(fd >= 0);
	EXPECT_ERRNO(softsgx_mmap(NULL, PAGE, RW, MAP_SHARED, fd, 0), ENODEV);
	softsgx_close(fd);
}

/* The syscall refuses an offset that is not page-aligned before the driver runs. */
TEST(mmap_unaligned_offset_einval)
{
	struct dfx_encl *e = dfx_build();

	ASSERT_TRUE(e);
	EXPECT_ERRNO(softsgx_mmap((void *)(uintptr_t)dfx_la(e, DFX_FREE), PAGE, RW,
				  MAP_SHARED | MAP_FIXED, e->fd, 1), EINVAL);
	dfx_close(e);
}

/* MAP_SHARED_VALIDATE is a shared mapping with flag validation: accepted. */
TEST(mmap_shared_validate_allowed)
{
	struct dfx_encl *e = dfx_build();
	void *p;

	ASSERT_TRUE(e);
	p = softsgx_mmap((void *)(uintptr_t)dfx_la(e, DFX_FREE), PAGE, RW,
			 MAP_SHARED_VALIDATE | MAP_FIXED, e->fd, 0);
	EXPECT_EQ(p, dfx_la(e, DFX_FREE));
	dfx_close(e);
}

/* The offset is ignored: the virtual address alone selects the enclave page. */
TEST(mmap_offset_ignored_address_selects_page)
{
	struct dfx_encl *e = dfx_build();
	struct dfx_thread t;
	void *p;

	ASSERT_TRUE(e);
	*(uint32_t *)dfx_mem(e, DFX_DATA + PAGE) = 0x5eed1234;
	p = softsgx_mmap((void *)(uintptr_t)dfx_la(e, DFX_DATA + PAGE), PAGE, RW,
			 MAP_SHARED | MAP_FIXED, e->fd, (off_t)DFX_RODATA);
	ASSERT_EQ(p, dfx_la(e, DFX_DATA + PAGE));
	dfx_thread_init(&t);
	ASSERT_SGX(dfx_enter(&t, e, DFX_TCS0), SGX_SUCCESS);
	EXPECT_SGX(dfx_access(&t, dfx_la(e, DFX_DATA + PAGE), SGX_PF_W), SGX_SUCCESS);
	EXPECT_SGX(dfx_exit(&t), SGX_SUCCESS);
	/* The program's mapping shows that page, not the one at the offset. */
	EXPECT_HOST_PERMS(dfx_la(e, DFX_DATA + PAGE), "rw-s");
	EXPECT_EQ(*(volatile uint32_t *)p, 0x5eed1234);
	dfx_thread_fini(&t);
	dfx_close(e);
}

/* Before INIT */

TEST(mmap_before_create_any_range_allowed)
{
	struct dfx_encl e;
	void *p;

	ASSERT_EQ(open_reserved(&e, DFX_SIZE), 0);
	/* A kernel-chosen address, and a fixed one. */
	p = softsgx_mmap(NULL, 4 * PAGE, RWX, MAP_SHARED, e.fd, 0);
	EXPECT_TRUE(p != MAP_FAILED);
	if (p != MAP_FAILED)
		EXPECT_EQ(softsgx_munmap(p, 4 * PAGE), 0);
	p = softsgx_mmap(e.reservation, e.reservation_len, RWX, MAP_SHARED | MAP_FIXED, e.fd, 0);
	EXPECT_EQ(p, e.reservation);
	/* Nothing to show yet: a reservation. */
	EXPECT_HOST_PERMS(e.base, "---p");
	EXPECT_TRUE(!host_is_enclave_memory(e.base));
	softsgx_munmap(e.reservation, e.reservation_len);
	softsgx_close(e.fd);
}

/* A mapping made before CREATE shows the enclave's pages once CREATE ran. */
TEST(mmap_before_create_then_create_maps_enclave_memory)
{
	struct dfx_encl *e = calloc(1, sizeof(*e));
	struct dfx_thread t;
	uint8_t page[PAGE];
	void *p;

	ASSERT_EQ(open_reserved(e, DFX_SIZE), 0);
	/* ELRANGE and one page below it, before CREATE. */
	p = softsgx_mmap((void *)(uintptr_t)(e->base + e->size - 2 * PAGE), 3 * PAGE, RW,
			 MAP_SHARED | MAP_FIXED, e->fd, 0);
	ASSERT_EQ(p, e->base + e->size - 2 * PAGE);
	p = softsgx_mmap((void *)(uintptr_t)e->base, DFX_CODE, RW, MAP_SHARED | MAP_FIXED, e->fd, 0);
	ASSERT_EQ(p, e->base);
	EXPECT_TRUE(!host_is_enclave_memory(e->base));
	ASSERT_EQ(create(e), 0);
	EXPECT_TRUE(host_is_enclave_memory(e->base));
	EXPECT_TRUE(host_is_enclave_memory(e->base + e->size - PAGE));
	/* The part outside ELRANGE stays a reservation. */
	EXPECT_TRUE(!host_is_enclave_memory(e->base + e->size));
	EXPECT_HOST_PERMS(e->base + e->size, "---p");
	/* A page there, seen by the enclave and, once faulted in, through the mapping. */
	memset(page, 0xa5, sizeof(page));
	ASSERT_EQ(dfx_add_layout(e), 0);
	ASSERT_EQ(dfx_add(e, e->size - 2 * PAGE, PAGE, page, REG_RW, true), 0);
	ASSERT_EQ(dfx_init(e), 0);
	dfx_thread_init(&t);
	ASSERT_SGX(dfx_enter(&t, e, DFX_TCS0), SGX_SUCCESS);
	EXPECT_SGX(dfx_access(&t, e->base + e->size - 2 * PAGE, 0), SGX_SUCCESS);
	EXPECT_SGX(dfx_exit(&t), SGX_SUCCESS);
	EXPECT_HOST_PERMS(e->base + e->size - 2 * PAGE, "rw-s");
	EXPECT_EQ(*(volatile uint8_t *)(uintptr_t)(e->base + e->size - 2 * PAGE + 100), 0xa5);
	dfx_thread_fini(&t);
	dfx_close(e);
}

TEST(mmap_before_init_outside_elrange_allowed)
{
	struct dfx_encl *e = build_uninit();
	void *p;

	ASSERT_TRUE(e);
	/* Partly outside, and wholly outside (above ELRANGE, in the reservation). */
	p = map_at(e, DFX_SIZE - PAGE, 2 * PAGE, RW);
	EXPECT_EQ(p, dfx_la(e, DFX_SIZE - PAGE));
	p = map_at(e, DFX_SIZE + PAGE, PAGE, RWX);
	EXPECT_EQ(p, dfx_la(e, DFX_SIZE + PAGE));
	EXPECT_EQ(dfx_init(e), 0);
	dfx_close(e);
}

/* may_map checks existing pages before INIT too. */
TEST(mmap_before_init_existing_page_beyond_max_eacces)
{
	struct dfx_encl *e = build_uninit();

	ASSERT_TRUE(e);
	EXPECT_ERRNO(map_at(e, DFX_RODATA, PAGE, RW), EACCES);
	EXPECT_TRUE(rodata_mappable_read_only(e));
	dfx_close(e);
}

/* After INIT: only inside ELRANGE */

TEST(mmap_after_init_outside_elrange_eacces)
{
	struct dfx_encl *e = dfx_build();

	ASSERT_TRUE(e);
	EXPECT_ERRNO(map_at(e, DFX_SIZE, PAGE, RW), EACCES);
	/* The reservation there is left alone. */
	EXPECT_HOST_PERMS(dfx_la(e, DFX_SIZE), "---p");
	dfx_close(e);
}

TEST(mmap_after_init_partly_outside_elrange_eacces)
{
	struct dfx_encl *e = dfx_build();

	ASSERT_TRUE(e);
	EXPECT_ERRNO(map_at(e, DFX_SIZE - PAGE, 2 * PAGE, RW), EACCES);
	EXPECT_ERRNO(map_at(e, DFX_SIZE - PAGE, 2 * PAGE, PROT_NONE), EACCES);
	dfx_close(e);
}

/* Without MAP_FIXED the kernel picks an address, which is not in ELRANGE. */
TEST(mmap_after_init_kernel_chosen_address_eacces)
{
	struct dfx_encl *e = dfx_build();

	ASSERT_TRUE(e);
	EXPECT_ERRNO(softsgx_mmap(NULL, PAGE, RW, MAP_SHARED, e->fd, 0), EACCES);
	dfx_close(e);
}

TEST(mmap_after_init_inside_elrange_allowed)
{
	struct dfx_encl *e = dfx_build();

	ASSERT_TRUE(e);
	EXPECT_EQ(map_at(e, 0, DFX_SIZE, PROT_NONE), dfx_la(e, 0));
	EXPECT_EQ(map_at(e, DFX_FREE, DFX_SIZE - DFX_FREE, RWX), dfx_la(e, DFX_FREE));
	dfx_close(e);
}

/* Each existing page's maximum protection */

TEST(mmap_readonly_page_with_write_eacces)
{
	struct dfx_encl *e = dfx_build();

	ASSERT_TRUE(e);
	EXPECT_ERRNO(map_at(e, DFX_RODATA, PAGE, RW), EACCES);
	EXPECT_ERRNO(map_at(e, DFX_RODATA, PAGE, PROT_READ | PROT_EXEC), EACCES);
	EXPECT_TRUE(rodata_mappable_read_only(e));
	dfx_close(e);
}

TEST(mmap_code_page_with_write_eacces)
{
	struct dfx_encl *e = dfx_build();

	ASSERT_TRUE(e);
	EXPECT_ERRNO(map_at(e, DFX_CODE, PAGE, RWX), EACCES);
	EXPECT_EQ(map_at(e, DFX_CODE, PAGE, PROT_READ | PROT_EXEC), dfx_la(e, DFX_CODE));
	dfx_close(e);
}

/* One page beyond its maximum anywhere in the range refuses the whole mapping. */
TEST(mmap_range_with_one_page_beyond_max_eacces)
{
	struct dfx_encl *e = dfx_build();

	ASSERT_TRUE(e);
	EXPECT_ERRNO(map_at(e, DFX_DATA, DFX_FREE - DFX_DATA, RW), EACCES);
	dfx_close(e);
}

TEST(mmap_tcs_page_with_exec_eacces)
{
	struct dfx_encl *e = dfx_build();

	ASSERT_TRUE(e);
	EXPECT_ERRNO(map_at(e, DFX_TCS0, PAGE, RWX), EACCES);
	EXPECT_ERRNO(map_at(e, DFX_TCS1, PAGE, PROT_READ | PROT_EXEC), EACCES);
	dfx_close(e);
}

TEST(mmap_tcs_page_read_write_allowed)
{
	struct dfx_encl *e = dfx_build();

	ASSERT_TRUE(e);
	EXPECT_EQ(map_at(e, DFX_TCS0, 2 * PAGE, RW), dfx_la(e, DFX_TCS0));
	dfx_close(e);
}

/* A page converted to TCS by MODIFY_TYPES has maximum RW as well. */
TEST(mmap_converted_tcs_page_with_exec_eacces)
{
	struct dfx_encl *e = dfx_build();
	struct dfx_thread t;

	ASSERT_TRUE(e);
	dfx_thread_init(&t);
	ASSERT_SGX(dfx_enter(&t, e, DFX_TCS0), SGX_SUCCESS);
	ASSERT_SGX(dfx_eaccept(&t, dfx_secinfo(e, 0, REG_RW | SGX_SECINFO_PENDING),
			       dfx_la(e, DFX_FREE)), SGX_SUCCESS);
	ASSERT_SGX(dfx_exit(&t), SGX_SUCCESS);
	EXPECT_EQ(map_at(e, DFX_FREE, PAGE, RWX), dfx_la(e, DFX_FREE));
	ASSERT_EQ(dfx_modify(e, DFX_FREE, PAGE, SGX_PAGE_TYPE_TCS, NULL), 0);
	EXPECT_ERRNO(map_at(e, DFX_FREE, PAGE, RWX), EACCES);
	EXPECT_EQ(map_at(e, DFX_FREE, PAGE, RW), dfx_la(e, DFX_FREE));
	dfx_thread_fini(&t);
	dfx_close(e);
}

TEST(mmap_eaug_page_rwx_allowed)
{
	struct dfx_encl *e = dfx_build();
	struct dfx_thread t;

	ASSERT_TRUE(e);
	dfx_thread_init(&t);
	ASSERT_SGX(dfx_enter(&t, e, DFX_TCS0), SGX_SUCCESS);
	ASSERT_SGX(dfx_eaccept(&t, dfx_secinfo(e, 0, REG_RW | SGX_SECINFO_PENDING),
			       dfx_la(e, DFX_FREE)), SGX_SUCCESS);
	ASSERT_SGX(dfx_exit(&t), SGX_SUCCESS);
	ASSERT_TRUE(dfx_epcm(e, DFX_FREE).valid);
	EXPECT_EQ(map_at(e, DFX_FREE, PAGE, RWX), dfx_la(e, DFX_FREE));
	dfx_thread_fini(&t);
	dfx_close(e);
}

/* Addresses without a page are not checked. */
TEST(mmap_unpopulated_range_not_checked)
{
	struct dfx_encl *e = dfx_build();

	ASSERT_TRUE(e);
	EXPECT_EQ(map_at(e, DFX_FREE, 16 * PAGE, RWX), dfx_la(e, DFX_FREE));
	EXPECT_TRUE(!dfx_epcm(e, DFX_FREE).valid);
	dfx_close(e);
}

TEST(mmap_prot_none_over_any_page_allowed)
{
	struct dfx_encl *e = dfx_build();

	ASSERT_TRUE(e);
	EXPECT_EQ(map_at(e, 0, DFX_FREE, PROT_NONE), dfx_la(e, 0));
	dfx_close(e);
}

/* MAP_FIXED over an enclave mapping replaces it (here: with a narrower one). */
TEST(mmap_fixed_replaces_existing_mapping)
{
	struct dfx_encl *e = dfx_build();
	struct dfx_thread t;

	ASSERT_TRUE(e);
	dfx_thread_init(&t);
	ASSERT_SGX(dfx_enter(&t, e, DFX_TCS0), SGX_SUCCESS);
	ASSERT_SGX(dfx_access(&t, dfx_la(e, DFX_DATA), SGX_PF_W), SGX_SUCCESS);
	EXPECT_EQ(map_at(e, DFX_DATA, PAGE, PROT_READ), dfx_la(e, DFX_DATA));
	EXPECT_SGX(dfx_access(&t, dfx_la(e, DFX_DATA), 0), SGX_SUCCESS);
	EXPECT_EQ(dfx_access(&t, dfx_la(e, DFX_DATA), SGX_PF_W), DFX_EXCEPTION);
	EXPECT_EQ(t.exc.vector, SGX_VEC_PF);
	EXPECT_EQ(t.exc.error_code, SGX_PF_U | SGX_PF_W | SGX_PF_P);
	EXPECT_HOST_PERMS(dfx_la(e, DFX_DATA), "r--s");
	dfx_thread_fini(&t);
	dfx_close(e);
}

/* READ_IMPLIES_EXEC tasks may not map enclaves (before INIT too). */
TEST(mmap_read_implies_exec_personality_eacces)
{
	struct dfx_encl *e = build_uninit();
	int old = personality(0xffffffff);
	void *p;
	int err;

	ASSERT_TRUE(e);
	ASSERT_TRUE(old != -1);
	ASSERT_TRUE(personality(PER_LINUX | READ_IMPLIES_EXEC) != -1);
	errno = 0;
	p = map_at(e, DFX_FREE, PAGE, PROT_READ);
	err = errno;
	personality((unsigned long)old);
	EXPECT_TRUE(p == MAP_FAILED);
	EXPECT_EQ(err, EACCES);
	/* Restored: the same mapping works. */
	EXPECT_EQ(map_at(e, DFX_FREE, PAGE, PROT_READ), dfx_la(e, DFX_FREE));
	dfx_close(e);
}
