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

#include "common.h"

static bool host_is_enclave_memory(uint64_t addr)
{
	char perms[5], path[256];

	return dfx_maps_lookup(addr, perms, path, sizeof(path)) && strstr(path, "sgx_enclave");
}

/* The rodata page mapped read-only: R is its maximum, so this must stay possible. */
static bool rodata_mappable_read_only(struct dfx_encl *e)
{
	return dfx_map(e, DFX_RODATA, PAGE, PROT_READ) != MAP_FAILED;
}

/* MAP_PRIVATE (sgx_get_unmapped_area) */

TEST_BUILT(mmap_private_einval)
{
	EXPECT_ERRNO(softsgx_mmap(NULL, PAGE, RW, MAP_PRIVATE, e->fd, 0), EINVAL);
}

TEST_BUILT(mmap_private_fixed_einval)
{
	EXPECT_ERRNO(softsgx_mmap(dfx_ptr(e, DFX_FREE), PAGE, RW, MAP_PRIVATE | MAP_FIXED, e->fd, 0),
		     EINVAL);
	/* The enclave mapping that was there is untouched. */
	EXPECT_TRUE(host_is_enclave_memory(dfx_la(e, DFX_FREE)));
	EXPECT_HOST_PERMS(dfx_la(e, DFX_FREE), "---s");
}

TEST(mmap_private_before_create_einval)
{
	struct dfx_encl e;

	ASSERT_EQ(dfx_open_reserved(&e, DFX_SIZE), 0);
	EXPECT_ERRNO(softsgx_mmap((void *)(uintptr_t)e.base, PAGE, RW, MAP_PRIVATE | MAP_FIXED,
				  e.fd, 0), EINVAL);
	softsgx_munmap(e.reservation, e.reservation_len);
	softsgx_close(e.fd);
}

/* Arguments */

TEST_BUILT(mmap_len_zero_einval)
{
	EXPECT_ERRNO(dfx_map(e, DFX_FREE, 0, RW), EINVAL);
}

/* do_mmap(): a length that page-aligns to 0 (overflow) is ENOMEM. */
TEST_BUILT(mmap_len_overflow_enomem)
{
	EXPECT_ERRNO(dfx_map(e, DFX_FREE, (size_t)-1, RW), ENOMEM);
	EXPECT_TRUE(host_is_enclave_memory(dfx_la(e, DFX_FREE)));
}

TEST_BUILT(mmap_fixed_unaligned_address_einval)
{
	EXPECT_ERRNO(dfx_map(e, DFX_FREE + 8, PAGE, RW), EINVAL);
}

TEST_BUILT(mmap_closed_fd_ebadf)
{
	int fd = softsgx_open("/dev/sgx_enclave", O_RDWR);

	ASSERT_TRUE(fd >= 0);
	ASSERT_EQ(softsgx_close(fd), 0);
	EXPECT_ERRNO(softsgx_mmap(NULL, PAGE, RW, MAP_SHARED, fd, 0), EBADF);
	EXPECT_ERRNO(softsgx_mmap(NULL, PAGE, RW, MAP_SHARED, -1, 0), EBADF);
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
TEST_BUILT(mmap_unaligned_offset_einval)
{
	EXPECT_ERRNO(softsgx_mmap(dfx_ptr(e, DFX_FREE), PAGE, RW, MAP_SHARED | MAP_FIXED, e->fd, 1),
		     EINVAL);
}

/* MAP_SHARED_VALIDATE is a shared mapping with flag validation: accepted. */
TEST_BUILT(mmap_shared_validate_allowed)
{
	EXPECT_EQ(softsgx_mmap(dfx_ptr(e, DFX_FREE), PAGE, RW, MAP_SHARED_VALIDATE | MAP_FIXED, e->fd, 0),
		  dfx_la(e, DFX_FREE));
}

/* The offset is ignored: the virtual address alone selects the enclave page. */
TEST_BUILT(mmap_offset_ignored_address_selects_page)
{
	struct dfx_thread t;
	void *p;

	*(uint32_t *)dfx_mem(e, DFX_DATA + PAGE) = 0x5eed1234;
	p = softsgx_mmap(dfx_ptr(e, DFX_DATA + PAGE), PAGE, RW, MAP_SHARED | MAP_FIXED, e->fd,
			 (off_t)DFX_RODATA);
	ASSERT_EQ(p, dfx_la(e, DFX_DATA + PAGE));
	dfx_thread_init(&t);
	ASSERT_SGX(dfx_enter(&t, e, DFX_TCS0), SGX_SUCCESS);
	EXPECT_SGX(dfx_access(&t, dfx_la(e, DFX_DATA + PAGE), SGX_PF_W), SGX_SUCCESS);
	EXPECT_SGX(dfx_exit(&t), SGX_SUCCESS);
	/* The program's mapping shows that page, not the one at the offset. */
	EXPECT_HOST_PERMS(dfx_la(e, DFX_DATA + PAGE), "rw-s");
	EXPECT_EQ(*(volatile uint32_t *)p, 0x5eed1234);
	dfx_thread_fini(&t);
}

/* Before INIT */

TEST(mmap_before_create_any_range_allowed)
{
	struct dfx_encl e;
	void *p;

	ASSERT_EQ(dfx_open_reserved(&e, DFX_SIZE), 0);
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

	ASSERT_EQ(dfx_open_reserved(e, DFX_SIZE), 0);
	/* ELRANGE and one page below it, before CREATE. */
	p = dfx_map(e, e->size - 2 * PAGE, 3 * PAGE, RW);
	ASSERT_EQ(p, e->base + e->size - 2 * PAGE);
	p = dfx_map(e, 0, DFX_CODE, RW);
	ASSERT_EQ(p, e->base);
	EXPECT_TRUE(!host_is_enclave_memory(e->base));
	ASSERT_EQ(dfx_ecreate(e, 0), 0);
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

TEST_WITH(mmap_before_init_outside_elrange_allowed, dfx_new_layout())
{
	/* Partly outside, and wholly outside (above ELRANGE, in the reservation). */
	EXPECT_EQ(dfx_map(e, DFX_SIZE - PAGE, 2 * PAGE, RW), dfx_la(e, DFX_SIZE - PAGE));
	EXPECT_EQ(dfx_map(e, DFX_SIZE + PAGE, PAGE, RWX), dfx_la(e, DFX_SIZE + PAGE));
	EXPECT_EQ(dfx_init(e), 0);
}

/* may_map checks existing pages before INIT too. */
TEST_WITH(mmap_before_init_existing_page_beyond_max_eacces, dfx_new_layout())
{
	EXPECT_ERRNO(dfx_map(e, DFX_RODATA, PAGE, RW), EACCES);
	EXPECT_TRUE(rodata_mappable_read_only(e));
}

/* After INIT: only inside ELRANGE */

TEST_BUILT(mmap_after_init_outside_elrange_eacces)
{
	EXPECT_ERRNO(dfx_map(e, DFX_SIZE, PAGE, RW), EACCES);
	/* MAP_FIXED cleared the range before the driver refused: the reservation is gone. */
	EXPECT_HOST_PERMS(dfx_la(e, DFX_SIZE), "---");
}

/*
 * A MAP_FIXED mapping the driver refuses leaves a hole where the old
 * mapping was (Linux clears the range before the driver's mmap hook):
 * mprotect there is ENOMEM, an enclave access faults as on an unmapped
 * address (#PF without the SGX bit).
 */
TEST_BUILT(mmap_fixed_refused_leaves_hole)
{
	struct dfx_thread t;

	EXPECT_ERRNO(dfx_map(e, DFX_RODATA, PAGE, RW), EACCES);
	EXPECT_HOST_PERMS(dfx_la(e, DFX_RODATA), "---");
	EXPECT_ERRNO(softsgx_mprotect(dfx_ptr(e, DFX_RODATA), PAGE, PROT_READ), ENOMEM);
	dfx_thread_init(&t);
	ASSERT_SGX(dfx_enter(&t, e, DFX_TCS0), SGX_SUCCESS);
	EXPECT_EQ(dfx_access(&t, dfx_la(e, DFX_RODATA), 0), DFX_EXCEPTION);
	EXPECT_EQ(t.exc.vector, SGX_VEC_PF);
	EXPECT_TRUE(!(t.exc.error_code & (SGX_PF_SGX | SGX_PF_P)));
	dfx_thread_fini(&t);
	/* The page is still the enclave's: mapping it again works. */
	EXPECT_TRUE(rodata_mappable_read_only(e));
}

/* Without MAP_FIXED the address is a hint, used when the range is free. */
TEST_BUILT(mmap_hint_used_when_free)
{
	ASSERT_EQ(softsgx_munmap(dfx_ptr(e, DFX_FREE), 2 * PAGE), 0);
	EXPECT_EQ(softsgx_mmap(dfx_ptr(e, DFX_FREE), 2 * PAGE, RW, MAP_SHARED, e->fd, 0),
		  dfx_la(e, DFX_FREE));
	EXPECT_TRUE(host_is_enclave_memory(dfx_la(e, DFX_FREE)));
	/* An unaligned hint is rounded down. */
	ASSERT_EQ(softsgx_munmap(dfx_ptr(e, DFX_FREE), PAGE), 0);
	EXPECT_EQ(softsgx_mmap((uint8_t *)dfx_ptr(e, DFX_FREE) + 12, PAGE, RW, MAP_SHARED, e->fd, 0),
		  dfx_la(e, DFX_FREE));
}

/* A hint over a mapping lands elsewhere: after INIT that is outside ELRANGE, EACCES. */
TEST_BUILT(mmap_hint_taken_lands_elsewhere)
{
	EXPECT_ERRNO(softsgx_mmap(dfx_ptr(e, DFX_FREE), PAGE, RW, MAP_SHARED, e->fd, 0), EACCES);
	EXPECT_HOST_PERMS(dfx_la(e, DFX_FREE), "---s"); /* untouched */
}

/* MAP_FIXED_NOREPLACE: EEXIST over any mapping, MAP_FIXED over a hole. */
TEST_BUILT(mmap_fixed_noreplace_eexist_or_maps)
{
	EXPECT_ERRNO(softsgx_mmap(dfx_ptr(e, DFX_FREE), PAGE, RW, MAP_SHARED | MAP_FIXED_NOREPLACE,
				  e->fd, 0), EEXIST);
	EXPECT_HOST_PERMS(dfx_la(e, DFX_FREE), "---s");
	ASSERT_EQ(softsgx_munmap(dfx_ptr(e, DFX_FREE), PAGE), 0);
	EXPECT_EQ(softsgx_mmap(dfx_ptr(e, DFX_FREE), PAGE, RW, MAP_SHARED | MAP_FIXED_NOREPLACE,
			       e->fd, 0), dfx_la(e, DFX_FREE));
	EXPECT_TRUE(host_is_enclave_memory(dfx_la(e, DFX_FREE)));
	/* A refused one over a hole leaves the hole. */
	ASSERT_EQ(softsgx_munmap(dfx_ptr(e, DFX_SIZE - PAGE), PAGE), 0);
	EXPECT_ERRNO(softsgx_mmap(dfx_ptr(e, DFX_SIZE - PAGE), 2 * PAGE, RW,
				  MAP_SHARED | MAP_FIXED_NOREPLACE, e->fd, 0), EEXIST);
}

/* MAP_SHARED_VALIDATE refuses flags beyond the legacy set (MAP_SYNC ...); MAP_SHARED drops them. */
TEST_BUILT(mmap_shared_validate_unknown_flag_eopnotsupp)
{
	EXPECT_ERRNO(softsgx_mmap(dfx_ptr(e, DFX_FREE), PAGE, RW,
				  MAP_SHARED_VALIDATE | MAP_FIXED | MAP_SYNC, e->fd, 0), EOPNOTSUPP);
	EXPECT_HOST_PERMS(dfx_la(e, DFX_FREE), "---s"); /* refused before the range was cleared */
	EXPECT_EQ(softsgx_mmap(dfx_ptr(e, DFX_FREE), PAGE, RW, MAP_SHARED | MAP_FIXED | MAP_SYNC,
			       e->fd, 0), dfx_la(e, DFX_FREE));
}

/* The open mode counts: reading needs FMODE_READ, a shared writable mapping FMODE_WRITE. */
TEST(mmap_open_mode_eacces)
{
	int ro = softsgx_open("/dev/sgx_enclave", O_RDONLY), wo = softsgx_open("/dev/sgx_enclave", O_WRONLY);
	void *p;

	ASSERT_TRUE(ro >= 0 && wo >= 0);
	EXPECT_ERRNO(softsgx_mmap(NULL, PAGE, RW, MAP_SHARED, ro, 0), EACCES);
	p = softsgx_mmap(NULL, PAGE, PROT_READ, MAP_SHARED, ro, 0);
	ASSERT_TRUE(p != MAP_FAILED);
	/* Without write access the mapping may never become writable (VM_MAYWRITE). */
	EXPECT_ERRNO(softsgx_mprotect(p, PAGE, RW), EACCES);
	EXPECT_EQ(softsgx_mprotect(p, PAGE, PROT_NONE), 0);
	EXPECT_EQ(softsgx_munmap(p, PAGE), 0);
	EXPECT_ERRNO(softsgx_mmap(NULL, PAGE, PROT_WRITE, MAP_SHARED, wo, 0), EACCES);
	EXPECT_ERRNO(softsgx_mmap(NULL, PAGE, PROT_READ, MAP_SHARED, wo, 0), EACCES);
	softsgx_close(ro);
	softsgx_close(wo);
}

TEST_BUILT(mmap_after_init_partly_outside_elrange_eacces)
{
	EXPECT_ERRNO(dfx_map(e, DFX_SIZE - PAGE, 2 * PAGE, RW), EACCES);
	EXPECT_ERRNO(dfx_map(e, DFX_SIZE - PAGE, 2 * PAGE, PROT_NONE), EACCES);
}

/* Without MAP_FIXED the kernel picks an address, which is not in ELRANGE. */
TEST_BUILT(mmap_after_init_kernel_chosen_address_eacces)
{
	EXPECT_ERRNO(softsgx_mmap(NULL, PAGE, RW, MAP_SHARED, e->fd, 0), EACCES);
}

TEST_BUILT(mmap_after_init_inside_elrange_allowed)
{
	EXPECT_EQ(dfx_map(e, 0, DFX_SIZE, PROT_NONE), dfx_la(e, 0));
	EXPECT_EQ(dfx_map(e, DFX_FREE, DFX_SIZE - DFX_FREE, RWX), dfx_la(e, DFX_FREE));
}

/* Each existing page's maximum protection */

TEST_BUILT(mmap_readonly_page_with_write_eacces)
{
	EXPECT_ERRNO(dfx_map(e, DFX_RODATA, PAGE, RW), EACCES);
	EXPECT_ERRNO(dfx_map(e, DFX_RODATA, PAGE, PROT_READ | PROT_EXEC), EACCES);
	EXPECT_TRUE(rodata_mappable_read_only(e));
}

TEST_BUILT(mmap_code_page_with_write_eacces)
{
	EXPECT_ERRNO(dfx_map(e, DFX_CODE, PAGE, RWX), EACCES);
	EXPECT_EQ(dfx_map(e, DFX_CODE, PAGE, PROT_READ | PROT_EXEC), dfx_la(e, DFX_CODE));
}

/* One page beyond its maximum anywhere in the range refuses the whole mapping. */
TEST_BUILT(mmap_range_with_one_page_beyond_max_eacces)
{
	EXPECT_ERRNO(dfx_map(e, DFX_DATA, DFX_FREE - DFX_DATA, RW), EACCES);
}

TEST_BUILT(mmap_tcs_page_with_exec_eacces)
{
	EXPECT_ERRNO(dfx_map(e, DFX_TCS0, PAGE, RWX), EACCES);
	EXPECT_ERRNO(dfx_map(e, DFX_TCS1, PAGE, PROT_READ | PROT_EXEC), EACCES);
}

TEST_BUILT(mmap_tcs_page_read_write_allowed)
{
	EXPECT_EQ(dfx_map(e, DFX_TCS0, 2 * PAGE, RW), dfx_la(e, DFX_TCS0));
}

/* A page converted to TCS by MODIFY_TYPES has maximum RW as well. */
TEST_ENTERED(mmap_converted_tcs_page_with_exec_eacces)
{
	ASSERT_SGX(dfx_eaccept(t, dfx_secinfo(e, 0, REG_RW | SGX_SECINFO_PENDING),
			       dfx_la(e, DFX_FREE)), SGX_SUCCESS);
	ASSERT_SGX(dfx_exit(t), SGX_SUCCESS);
	EXPECT_EQ(dfx_map(e, DFX_FREE, PAGE, RWX), dfx_la(e, DFX_FREE));
	ASSERT_EQ(dfx_modify(e, DFX_FREE, PAGE, SGX_PAGE_TYPE_TCS, NULL), 0);
	EXPECT_ERRNO(dfx_map(e, DFX_FREE, PAGE, RWX), EACCES);
	EXPECT_EQ(dfx_map(e, DFX_FREE, PAGE, RW), dfx_la(e, DFX_FREE));
}

TEST_ENTERED(mmap_eaug_page_rwx_allowed)
{
	ASSERT_SGX(dfx_eaccept(t, dfx_secinfo(e, 0, REG_RW | SGX_SECINFO_PENDING),
			       dfx_la(e, DFX_FREE)), SGX_SUCCESS);
	ASSERT_SGX(dfx_exit(t), SGX_SUCCESS);
	ASSERT_TRUE(dfx_epcm(e, DFX_FREE).valid);
	EXPECT_EQ(dfx_map(e, DFX_FREE, PAGE, RWX), dfx_la(e, DFX_FREE));
}

/* Addresses without a page are not checked. */
TEST_BUILT(mmap_unpopulated_range_not_checked)
{
	EXPECT_EQ(dfx_map(e, DFX_FREE, 16 * PAGE, RWX), dfx_la(e, DFX_FREE));
	EXPECT_TRUE(!dfx_epcm(e, DFX_FREE).valid);
}

TEST_BUILT(mmap_prot_none_over_any_page_allowed)
{
	EXPECT_EQ(dfx_map(e, 0, DFX_FREE, PROT_NONE), dfx_la(e, 0));
}

/* MAP_FIXED over an enclave mapping replaces it (here: with a narrower one). */
TEST_ENTERED(mmap_fixed_replaces_existing_mapping)
{
	ASSERT_SGX(dfx_access(t, dfx_la(e, DFX_DATA), SGX_PF_W), SGX_SUCCESS);
	EXPECT_EQ(dfx_map(e, DFX_DATA, PAGE, PROT_READ), dfx_la(e, DFX_DATA));
	EXPECT_SGX(dfx_access(t, dfx_la(e, DFX_DATA), 0), SGX_SUCCESS);
	EXPECT_EQ(dfx_access(t, dfx_la(e, DFX_DATA), SGX_PF_W), DFX_EXCEPTION);
	EXPECT_EQ(t->exc.vector, SGX_VEC_PF);
	EXPECT_EQ(t->exc.error_code, SGX_PF_U | SGX_PF_W | SGX_PF_P);
	EXPECT_HOST_PERMS(dfx_la(e, DFX_DATA), "r--s");
}

/* READ_IMPLIES_EXEC tasks may not map enclaves (before INIT too). */
TEST_WITH(mmap_read_implies_exec_personality_eacces, dfx_new_layout())
{
	int old = personality(0xffffffff);
	void *p;
	int err;

	ASSERT_TRUE(old != -1);
	ASSERT_TRUE(personality(PER_LINUX | READ_IMPLIES_EXEC) != -1);
	errno = 0;
	p = dfx_map(e, DFX_FREE, PAGE, PROT_READ);
	err = errno;
	personality((unsigned long)old);
	EXPECT_TRUE(p == MAP_FAILED);
	EXPECT_EQ(err, EACCES);
	/* Restored: the same mapping works. */
	EXPECT_EQ(dfx_map(e, DFX_FREE, PAGE, PROT_READ), dfx_la(e, DFX_FREE));
}
