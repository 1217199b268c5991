/* SPDX-License-Identifier: MIT */
/*
 * SGX_IOC_ENCLAVE_CREATE, in Linux's order: already created (EINVAL), the
 * argument (EFAULT), the 4096-byte SECS (EFAULT), SECS.size a power of two
 * (EINVAL), then ECREATE, whose every refusal is EIO. A failed CREATE
 * leaves nothing behind and may be retried; nothing is copied back.
 */
#include <stdlib.h>
#include <unistd.h>

#include "cpu/fixture.h"
#include "dfx.h"

#define PAGE 4096ull
#define SIZE DFX_SIZE
/* ELRANGE of the enclaves here; nothing is mapped (CREATE maps nothing). */
#define BASE (1ull << 45)

static size_t free_epc(void)
{
	return sgx_nr_free_epc_pages(sgx_platform_get());
}

/* A SECS as the fixtures make it (4 KiB aligned; free()). */
static struct sgx_secs *secs_new(uint64_t base, uint64_t size)
{
	struct sgx_secs *secs = aligned_alloc(PAGE, PAGE);

	if (secs)
		fx_secs_default(secs, base, size);
	return secs;
}

static int create(int fd, const struct sgx_secs *secs)
{
	struct sgx_enclave_create create = { .src = (uintptr_t)secs };

	return softsgx_ioctl(fd, SGX_IOC_ENCLAVE_CREATE, &create);
}

/* The enclave behind @fd was created: ADD_PAGES is accepted (EINVAL before CREATE). */
static bool is_created(int fd)
{
	uint8_t *page = aligned_alloc(PAGE, PAGE);
	struct sgx_secinfo secinfo = { .flags = SGX_SECINFO_REG | SGX_SECINFO_R };
	struct sgx_enclave_add_pages add = { .src = (uintptr_t)page, .offset = 0, .length = PAGE,
					     .secinfo = (uintptr_t)&secinfo };
	int ret;

	memset(page, 0, PAGE);
	ret = softsgx_ioctl(fd, SGX_IOC_ENCLAVE_ADD_PAGES, &add);
	free(page);
	return ret == 0;
}

/*
 * CREATE of @secs on a fresh enclave fd fails with @err and leaves nothing
 * behind: no EPC page kept, the enclave not created, and a CREATE with a
 * valid SECS then succeeds on the same fd.
 */
static void expect_create_fails(const struct sgx_secs *secs, int err, int line)
{
	int fd = softsgx_open("/dev/sgx_enclave", O_RDWR);
	struct sgx_secs *good = secs_new(BASE, SIZE);
	size_t before = free_epc();
	long ret;

	if (fd < 0 || !good) {
		harness_fail(__FILE__, line, "setup");
		goto out;
	}
	errno = 0;
	ret = create(fd, secs);
	if (ret != -1 || errno != err)
		harness_fail(__FILE__, line, "CREATE returned %ld errno %s, expected -1 errno %s", ret,
			     errno ? strerrorname_np(errno) : "0", strerrorname_np(err));
	if (free_epc() != before)
		harness_fail(__FILE__, line, "a failed CREATE kept %zd EPC pages", before - free_epc());
	if (is_created(fd))
		harness_fail(__FILE__, line, "ADD_PAGES accepted after a failed CREATE");
	if (create(fd, good))
		harness_fail(__FILE__, line, "retry of CREATE: %s", strerrorname_np(errno));
	if (!is_created(fd))
		harness_fail(__FILE__, line, "not created after the retry");
out:
	free(good);
	if (fd >= 0)
		softsgx_close(fd);
}

/* Success */

TEST(create_valid_secs_succeeds)
{
	int fd = softsgx_open("/dev/sgx_enclave", O_RDWR);
	struct sgx_secs *secs = secs_new(BASE, SIZE);
	size_t before = free_epc();

	ASSERT_TRUE(fd >= 0 && secs);
	EXPECT_EQ(create(fd, secs), 0);
	EXPECT_TRUE(free_epc() < before); /* the SECS is in the EPC */
	EXPECT_TRUE(is_created(fd));
	free(secs);
	softsgx_close(fd);
	EXPECT_EQ(free_epc(), before);
}

TEST(create_copies_nothing_back)
{
	int fd = softsgx_open("/dev/sgx_enclave", O_RDWR);
	struct sgx_secs *secs = secs_new(BASE, SIZE), *copy = secs_new(BASE, SIZE);
	struct sgx_enclave_create arg = { .src = (uintptr_t)secs }, *ro;

	ASSERT_TRUE(fd >= 0 && secs && copy);
	/* _IOW: the argument may be read-only, and the SECS source stays as it was. */
	ro = dfx_ro_copy(&arg, sizeof(arg));
	ASSERT_TRUE(ro);
	EXPECT_EQ(softsgx_ioctl(fd, SGX_IOC_ENCLAVE_CREATE, ro), 0);
	EXPECT_EQ(ro->src, (uintptr_t)secs);
	EXPECT_TRUE(memcmp(secs, copy, PAGE) == 0);
	dfx_page_free(ro);
	free(copy);
	free(secs);
	softsgx_close(fd);
}

TEST(create_unaligned_secs_source_succeeds)
{
	int fd = softsgx_open("/dev/sgx_enclave", O_RDWR);
	uint8_t *buf = aligned_alloc(PAGE, 2 * PAGE);

	ASSERT_TRUE(fd >= 0 && buf);
	/* Linux copies 4096 bytes from wherever src points. */
	fx_secs_default((struct sgx_secs *)buf, BASE, SIZE);
	memmove(buf + 8, buf, PAGE);
	EXPECT_EQ(create(fd, (const struct sgx_secs *)(buf + 8)), 0);
	EXPECT_TRUE(is_created(fd));
	free(buf);
	softsgx_close(fd);
}

/* Already created */

TEST(create_already_created_einval)
{
	int fd = softsgx_open("/dev/sgx_enclave", O_RDWR);
	struct sgx_secs *secs = secs_new(BASE, SIZE);
	size_t created;

	ASSERT_TRUE(fd >= 0 && secs);
	ASSERT_EQ(create(fd, secs), 0);
	created = free_epc();
	EXPECT_ERRNO(create(fd, secs), EINVAL);
	/* The state is checked before the argument is read. */
	EXPECT_ERRNO(softsgx_ioctl(fd, SGX_IOC_ENCLAVE_CREATE, (void *)8), EINVAL);
	EXPECT_EQ(free_epc(), created);
	free(secs);
	softsgx_close(fd);
}

TEST(create_after_init_einval)
{
	struct dfx_encl *e = dfx_build();
	struct sgx_secs *secs = secs_new(BASE, SIZE);

	ASSERT_TRUE(e && secs);
	EXPECT_ERRNO(create(e->fd, secs), EINVAL);
	free(secs);
	dfx_close(e);
}

/* The argument and the SECS */

TEST(create_unreadable_arg_efault)
{
	int fd = softsgx_open("/dev/sgx_enclave", O_RDWR);
	void *none = dfx_unreadable();
	uint8_t *hole = dfx_before_hole();
	struct sgx_secs *secs = secs_new(BASE, SIZE);
	struct sgx_enclave_create *straddling;

	ASSERT_TRUE(fd >= 0 && none && hole && secs);
	EXPECT_ERRNO(softsgx_ioctl(fd, SGX_IOC_ENCLAVE_CREATE, (void *)8), EFAULT);
	EXPECT_ERRNO(softsgx_ioctl(fd, SGX_IOC_ENCLAVE_CREATE, NULL), EFAULT);
	EXPECT_ERRNO(softsgx_ioctl(fd, SGX_IOC_ENCLAVE_CREATE, none), EFAULT);
	/* The 8-byte argument's last 4 bytes are unreadable. */
	straddling = (struct sgx_enclave_create *)(hole + PAGE - 4);
	memcpy(hole + PAGE - 4, &(uint32_t){ (uint32_t)(uintptr_t)secs }, 4);
	EXPECT_ERRNO(softsgx_ioctl(fd, SGX_IOC_ENCLAVE_CREATE, straddling), EFAULT);
	EXPECT_TRUE(!is_created(fd));
	EXPECT_EQ(create(fd, secs), 0);
	free(secs);
	dfx_hole_free(hole);
	dfx_page_free(none);
	softsgx_close(fd);
}

TEST(create_unreadable_secs_efault)
{
	void *none = dfx_unreadable();
	uint8_t *hole = dfx_before_hole();

	ASSERT_TRUE(none && hole);
	expect_create_fails(none, EFAULT, __LINE__);
	expect_create_fails((const struct sgx_secs *)8, EFAULT, __LINE__);
	expect_create_fails(NULL, EFAULT, __LINE__);
	/* All 4096 bytes are read: a SECS whose last byte lies in the hole is unreadable. */
	fx_secs_default((struct sgx_secs *)hole, BASE, SIZE);
	memmove(hole + 1, hole, PAGE - 1);
	expect_create_fails((const struct sgx_secs *)(hole + 1), EFAULT, __LINE__);
	dfx_hole_free(hole);
	dfx_page_free(none);
}

/* SECS.size: the driver's own check */

TEST(create_size_not_power_of_two_einval)
{
	struct sgx_secs *secs = secs_new(BASE, 3 * SIZE);

	ASSERT_TRUE(secs);
	expect_create_fails(secs, EINVAL, __LINE__);
	secs->size = SIZE + PAGE;
	expect_create_fails(secs, EINVAL, __LINE__);
	secs->size = ~0ull;
	expect_create_fails(secs, EINVAL, __LINE__);
	free(secs);
}

TEST(create_size_zero_einval)
{
	struct sgx_secs *secs = secs_new(BASE, 0);

	ASSERT_TRUE(secs);
	expect_create_fails(secs, EINVAL, __LINE__);
	free(secs);
}

TEST(create_size_checked_before_ecreate_einval)
{
	/* A SECS that ECREATE would refuse too: the size check comes first. */
	struct sgx_secs *secs = secs_new(BASE + PAGE, 3 * SIZE);

	ASSERT_TRUE(secs);
	secs->ssa_frame_size = 0;
	expect_create_fails(secs, EINVAL, __LINE__);
	free(secs);
}

/* Everything else is ECREATE's: EIO */

TEST(create_base_not_size_aligned_eio)
{
	struct sgx_secs *secs = secs_new(BASE + PAGE, SIZE);

	ASSERT_TRUE(secs);
	expect_create_fails(secs, EIO, __LINE__);
	secs->base = BASE + SIZE / 2;
	expect_create_fails(secs, EIO, __LINE__);
	free(secs);
}

TEST(create_base_noncanonical_eio)
{
	struct sgx_secs *secs = secs_new(1ull << 47, SIZE);

	ASSERT_TRUE(secs);
	expect_create_fails(secs, EIO, __LINE__);
	free(secs);
}

TEST(create_32bit_base_above_4g_eio)
{
	struct sgx_secs *secs = secs_new(BASE, SIZE);

	ASSERT_TRUE(secs);
	secs->attributes.flags &= ~SGX_ATTR_MODE64BIT;
	expect_create_fails(secs, EIO, __LINE__);
	free(secs);
}

TEST(create_size_one_page_eio)
{
	struct sgx_secs *secs = secs_new(BASE, PAGE);

	ASSERT_TRUE(secs);
	expect_create_fails(secs, EIO, __LINE__);
	free(secs);
}

TEST(create_size_at_processor_limit_eio)
{
	/* CPUID.(12H,0).EDX[15:8] = 36: SIZE must stay below 64 GiB. */
	struct sgx_secs *secs = secs_new(BASE, 1ull << 36);

	ASSERT_TRUE(secs);
	expect_create_fails(secs, EIO, __LINE__);
	free(secs);
}

TEST(create_size_far_beyond_processor_limit_eio)
{
	/* Linux makes a sparse backing file of any such size, then ECREATE refuses. */
	struct sgx_secs *secs = secs_new(1ull << 46, 1ull << 46);

	ASSERT_TRUE(secs);
	expect_create_fails(secs, EIO, __LINE__);
	secs->base = 0;
	secs->size = 1ull << 52;
	expect_create_fails(secs, EIO, __LINE__);
	free(secs);
}

TEST(create_ssa_frame_too_small_eio)
{
	struct sgx_secs *secs = secs_new(BASE, SIZE);

	ASSERT_TRUE(secs);
	secs->ssa_frame_size = 0;
	expect_create_fails(secs, EIO, __LINE__);
	free(secs);
}

TEST(create_unsupported_attribute_eio)
{
	struct sgx_secs *secs = secs_new(BASE, SIZE);

	ASSERT_TRUE(secs);
	secs->attributes.flags |= SGX_ATTR_CET; /* not offered by the platform */
	expect_create_fails(secs, EIO, __LINE__);
	fx_secs_default(secs, BASE, SIZE);
	secs->attributes.flags |= SGX_ATTR_AEXNOTIFY;
	expect_create_fails(secs, EIO, __LINE__);
	fx_secs_default(secs, BASE, SIZE);
	secs->attributes.flags |= 1ull << 3; /* reserved */
	expect_create_fails(secs, EIO, __LINE__);
	fx_secs_default(secs, BASE, SIZE);
	secs->attributes.flags |= 1ull << 63;
	expect_create_fails(secs, EIO, __LINE__);
	free(secs);
}

TEST(create_init_attribute_set_eio)
{
	struct sgx_secs *secs = secs_new(BASE, SIZE);

	ASSERT_TRUE(secs);
	secs->attributes.flags |= SGX_ATTR_INIT;
	expect_create_fails(secs, EIO, __LINE__);
	free(secs);
}

TEST(create_xfrm_without_x87_sse_eio)
{
	struct sgx_secs *secs = secs_new(BASE, SIZE);

	ASSERT_TRUE(secs);
	secs->attributes.xfrm = 0x1;
	expect_create_fails(secs, EIO, __LINE__);
	secs->attributes.xfrm = 0;
	expect_create_fails(secs, EIO, __LINE__);
	free(secs);
}

TEST(create_xfrm_unsupported_eio)
{
	struct sgx_secs *secs = secs_new(BASE, SIZE);

	ASSERT_TRUE(secs);
	secs->attributes.xfrm = 0x3 | (1ull << 9);
	expect_create_fails(secs, EIO, __LINE__);
	free(secs);
}

TEST(create_miscselect_unsupported_eio)
{
	struct sgx_secs *secs = secs_new(BASE, SIZE);

	ASSERT_TRUE(secs);
	secs->miscselect |= 1u << 1;
	expect_create_fails(secs, EIO, __LINE__);
	free(secs);
}

TEST(create_secs_reserved_bytes_eio)
{
	struct sgx_secs *secs = secs_new(BASE, SIZE);

	ASSERT_TRUE(secs);
	secs->reserved1[0] = 1;
	expect_create_fails(secs, EIO, __LINE__);
	fx_secs_default(secs, BASE, SIZE);
	secs->reserved4[SGX_SECS_RESERVED4_SIZE - 1] = 0x80;
	expect_create_fails(secs, EIO, __LINE__);
	free(secs);
}

TEST(create_configid_without_kss_eio)
{
	struct sgx_secs *secs = secs_new(BASE, SIZE);

	ASSERT_TRUE(secs);
	secs->config_id[0] = 1;
	expect_create_fails(secs, EIO, __LINE__);
	fx_secs_default(secs, BASE, SIZE);
	secs->config_svn = 1;
	expect_create_fails(secs, EIO, __LINE__);
	free(secs);
}

TEST(create_configid_with_kss_succeeds)
{
	int fd = softsgx_open("/dev/sgx_enclave", O_RDWR);
	struct sgx_secs *secs = secs_new(BASE, SIZE);

	ASSERT_TRUE(fd >= 0 && secs);
	secs->attributes.flags |= SGX_ATTR_KSS;
	secs->config_id[0] = 1;
	secs->config_svn = 1;
	EXPECT_EQ(create(fd, secs), 0);
	free(secs);
	softsgx_close(fd);
}

/* A failed CREATE */

TEST(create_failed_leaves_enclave_uncreated)
{
	int fd = softsgx_open("/dev/sgx_enclave", O_RDWR);
	struct sgx_secs *bad = secs_new(BASE + PAGE, SIZE), *good = secs_new(BASE, SIZE);
	struct sgx_enclave_init init = { 0 };
	size_t before = free_epc();

	ASSERT_TRUE(fd >= 0 && bad && good);
	EXPECT_ERRNO(create(fd, bad), EIO);
	EXPECT_EQ(free_epc(), before);
	/* Neither ADD_PAGES nor INIT sees a created enclave. */
	EXPECT_TRUE(!is_created(fd));
	EXPECT_ERRNO(softsgx_ioctl(fd, SGX_IOC_ENCLAVE_INIT, &init), EINVAL);
	/* A retry with another size works (the failed size left nothing to clash with). */
	good->size = 2 * SIZE;
	EXPECT_EQ(create(fd, good), 0);
	EXPECT_TRUE(is_created(fd));
	free(bad);
	free(good);
	softsgx_close(fd);
	EXPECT_EQ(free_epc(), before);
}
