/* SPDX-License-Identifier: MIT */
/*
 * SGX_IOC_ENCLAVE_CREATE, in Linux's order: already created (EINVAL), the
 * argument (EFAULT), the 4096-byte SECS (EFAULT), SECS.size a power of two
 * (EINVAL), then ECREATE, whose every refusal is EIO. A failed CREATE
 * leaves nothing behind and may be retried; nothing is copied back.
 */
#include <stdlib.h>
#include <unistd.h>

#include "common.h"
#include "cpu/fixture.h"
#include "softsgx/measure.h"

#define SIZE DFX_SIZE
/* ELRANGE of the enclaves here; nothing is mapped (CREATE maps nothing). */
#define BASE (1ull << 45)
#define CMD SGX_IOC_ENCLAVE_CREATE

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

	return softsgx_ioctl(fd, CMD, &create);
}

static int open_enclave(void)
{
	return softsgx_open("/dev/sgx_enclave", O_RDWR);
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
	int fd = open_enclave();
	struct sgx_secs *good = secs_new(BASE, SIZE);
	size_t before = dfx_free_epc();
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
	if (dfx_free_epc() != before)
		harness_fail(__FILE__, line, "a failed CREATE kept %zd EPC pages", before - dfx_free_epc());
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

#define EXPECT_CREATE_FAILS(secs, err) expect_create_fails(secs, err, __LINE__)

/*
 * TEST_SECS(name) { body }: a test on a SECS @secs as the fixtures make it
 * for ELRANGE [BASE, BASE + SIZE), which the body may change (freed afterwards).
 */
#define TEST_SECS(name)                                         \
	static void secs_##name(struct sgx_secs *secs);         \
	TEST(name)                                              \
	{                                                       \
		struct sgx_secs *secs = secs_new(BASE, SIZE);   \
                                                                \
		ASSERT_TRUE(secs);                              \
		secs_##name(secs);                              \
		free(secs);                                     \
	}                                                       \
	static void secs_##name(struct sgx_secs *secs)

/* Success */

TEST_SECS(create_valid_secs_succeeds)
{
	int fd = open_enclave();
	size_t before = dfx_free_epc();

	ASSERT_TRUE(fd >= 0);
	EXPECT_EQ(create(fd, secs), 0);
	EXPECT_TRUE(dfx_free_epc() < before); /* the SECS is in the EPC */
	EXPECT_TRUE(is_created(fd));
	softsgx_close(fd);
	EXPECT_EQ(dfx_free_epc(), before);
}

TEST_SECS(create_copies_nothing_back)
{
	int fd = open_enclave();
	struct sgx_secs *copy = secs_new(BASE, SIZE);
	struct sgx_enclave_create arg = { .src = (uintptr_t)secs };

	ASSERT_TRUE(fd >= 0 && copy);
	/* _IOW: the argument may be read-only, and the SECS source stays as it was. */
	EXPECT_EQ(dfx_ioctl_ro(fd, CMD, &arg, sizeof(arg)), 0);
	EXPECT_EQ(arg.src, (uintptr_t)secs);
	EXPECT_TRUE(memcmp(secs, copy, PAGE) == 0);
	free(copy);
	softsgx_close(fd);
}

TEST(create_unaligned_secs_source_succeeds)
{
	int fd = open_enclave();
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

TEST_SECS(create_already_created_einval)
{
	int fd = open_enclave();
	size_t created;

	ASSERT_TRUE(fd >= 0);
	ASSERT_EQ(create(fd, secs), 0);
	created = dfx_free_epc();
	EXPECT_ERRNO(create(fd, secs), EINVAL);
	/* The state is checked before the argument is read. */
	EXPECT_ERRNO(softsgx_ioctl(fd, CMD, (void *)8), EINVAL);
	EXPECT_EQ(dfx_free_epc(), created);
	softsgx_close(fd);
}

TEST_BUILT(create_after_init_einval)
{
	struct sgx_secs *secs = secs_new(BASE, SIZE);

	ASSERT_TRUE(secs);
	EXPECT_ERRNO(create(e->fd, secs), EINVAL);
	free(secs);
}

/* The argument and the SECS */

TEST_SECS(create_unreadable_arg_efault)
{
	int fd = open_enclave();
	uint8_t *hole = dfx_before_hole();
	struct sgx_enclave_create *straddling;

	ASSERT_TRUE(fd >= 0 && hole);
	dfx_expect_unreadable_arg(fd, CMD, EFAULT);
	/* The 8-byte argument's last 4 bytes are unreadable. */
	straddling = (struct sgx_enclave_create *)(hole + PAGE - 4);
	memcpy(hole + PAGE - 4, &(uint32_t){ (uint32_t)(uintptr_t)secs }, 4);
	EXPECT_ERRNO(softsgx_ioctl(fd, CMD, straddling), EFAULT);
	EXPECT_TRUE(!is_created(fd));
	EXPECT_EQ(create(fd, secs), 0);
	dfx_hole_free(hole);
	softsgx_close(fd);
}

TEST(create_unreadable_secs_efault)
{
	void *none = dfx_unreadable();
	uint8_t *hole = dfx_before_hole();

	ASSERT_TRUE(none && hole);
	EXPECT_CREATE_FAILS(none, EFAULT);
	EXPECT_CREATE_FAILS((const struct sgx_secs *)8, EFAULT);
	EXPECT_CREATE_FAILS(NULL, EFAULT);
	/* All 4096 bytes are read: a SECS whose last byte lies in the hole is unreadable. */
	fx_secs_default((struct sgx_secs *)hole, BASE, SIZE);
	memmove(hole + 1, hole, PAGE - 1);
	EXPECT_CREATE_FAILS((const struct sgx_secs *)(hole + 1), EFAULT);
	dfx_hole_free(hole);
	dfx_page_free(none);
}

/* SECS.size: the driver's own check */

TEST_SECS(create_size_not_power_of_two_einval)
{
	secs->size = 3 * SIZE;
	EXPECT_CREATE_FAILS(secs, EINVAL);
	secs->size = SIZE + PAGE;
	EXPECT_CREATE_FAILS(secs, EINVAL);
	secs->size = ~0ull;
	EXPECT_CREATE_FAILS(secs, EINVAL);
}

TEST_SECS(create_size_zero_einval)
{
	secs->size = 0;
	EXPECT_CREATE_FAILS(secs, EINVAL);
}

TEST_SECS(create_size_checked_before_ecreate_einval)
{
	/* A SECS that ECREATE would refuse too: the size check comes first. */
	secs->base = BASE + PAGE;
	secs->size = 3 * SIZE;
	secs->ssa_frame_size = 0;
	EXPECT_CREATE_FAILS(secs, EINVAL);
}

/* Everything else is ECREATE's: EIO */

TEST_SECS(create_base_not_size_aligned_eio)
{
	secs->base = BASE + PAGE;
	EXPECT_CREATE_FAILS(secs, EIO);
	secs->base = BASE + SIZE / 2;
	EXPECT_CREATE_FAILS(secs, EIO);
}

TEST_SECS(create_base_noncanonical_eio)
{
	secs->base = 1ull << 47;
	EXPECT_CREATE_FAILS(secs, EIO);
}

TEST_SECS(create_32bit_base_above_4g_eio)
{
	secs->attributes.flags &= ~SGX_ATTR_MODE64BIT;
	EXPECT_CREATE_FAILS(secs, EIO);
}

TEST_SECS(create_size_one_page_eio)
{
	secs->size = PAGE;
	EXPECT_CREATE_FAILS(secs, EIO);
}

TEST_SECS(create_size_at_processor_limit_eio)
{
	/* CPUID.(12H,0).EDX[15:8] = 56: SIZE must stay below 2^56. */
	secs->base = 0;
	secs->size = 1ull << SGX_MAX_ENCLAVE_SIZE_64_LOG2;
	EXPECT_CREATE_FAILS(secs, EIO);
}

TEST_SECS(create_size_far_beyond_processor_limit_eio)
{
	/* Linux makes a sparse backing file of any such size, then ECREATE refuses. */
	secs->base = 0;
	secs->size = 1ull << (SGX_MAX_ENCLAVE_SIZE_64_LOG2 + 1);
	EXPECT_CREATE_FAILS(secs, EIO);
	secs->size = 1ull << 60;
	EXPECT_CREATE_FAILS(secs, EIO);
}

/* A size whose backing store (size + a page, plus 1/32 for PCMDs) exceeds the largest file: EINVAL. */
TEST_SECS(create_size_beyond_backing_store_einval)
{
	secs->base = 0;
	secs->size = 1ull << 63;
	EXPECT_CREATE_FAILS(secs, EINVAL);
	/* The largest power of two whose backing store fits is ECREATE's to refuse. */
	secs->size = 1ull << 62;
	EXPECT_CREATE_FAILS(secs, EIO);
}

TEST_SECS(create_ssa_frame_too_small_eio)
{
	secs->ssa_frame_size = 0;
	EXPECT_CREATE_FAILS(secs, EIO);
}

TEST_SECS(create_unsupported_attribute_eio)
{
	static const uint64_t bits[] = {
		SGX_ATTR_CET,       /* not offered by the platform */
		1ull << 3,          /* reserved */
		1ull << 63,
	};
	size_t i;

	for (i = 0; i < sizeof(bits) / sizeof(bits[0]); i++) {
		fx_secs_default(secs, BASE, SIZE);
		secs->attributes.flags |= bits[i];
		EXPECT_CREATE_FAILS(secs, EIO);
	}
}

/* AEX-Notify (Linux 6.2+): ATTRIBUTES.AEXNOTIFY needs no privilege where the processor has it. */
TEST_SECS(create_aexnotify_attribute_accepted)
{
	int fd = open_enclave();

	ASSERT_TRUE(fd >= 0);
	secs->attributes.flags |= SGX_ATTR_AEXNOTIFY;
	EXPECT_EQ(create(fd, secs), 0);
	EXPECT_TRUE(is_created(fd));
	softsgx_close(fd);
}

TEST_SECS(create_init_attribute_set_eio)
{
	secs->attributes.flags |= SGX_ATTR_INIT;
	EXPECT_CREATE_FAILS(secs, EIO);
}

TEST_SECS(create_xfrm_without_x87_sse_eio)
{
	secs->attributes.xfrm = 0x1;
	EXPECT_CREATE_FAILS(secs, EIO);
	secs->attributes.xfrm = 0;
	EXPECT_CREATE_FAILS(secs, EIO);
}

TEST_SECS(create_xfrm_unsupported_eio)
{
	secs->attributes.xfrm = 0x3 | (1ull << 9);
	EXPECT_CREATE_FAILS(secs, EIO);
}

TEST_SECS(create_miscselect_unsupported_eio)
{
	secs->miscselect |= 1u << 1;
	EXPECT_CREATE_FAILS(secs, EIO);
}

TEST_SECS(create_secs_reserved_bytes_eio)
{
	secs->reserved1[0] = 1;
	EXPECT_CREATE_FAILS(secs, EIO);
	fx_secs_default(secs, BASE, SIZE);
	secs->reserved4[SGX_SECS_RESERVED4_SIZE - 1] = 0x80;
	EXPECT_CREATE_FAILS(secs, EIO);
}

TEST_SECS(create_configid_without_kss_eio)
{
	secs->config_id[0] = 1;
	EXPECT_CREATE_FAILS(secs, EIO);
	fx_secs_default(secs, BASE, SIZE);
	secs->config_svn = 1;
	EXPECT_CREATE_FAILS(secs, EIO);
}

TEST_SECS(create_configid_with_kss_succeeds)
{
	int fd = open_enclave();

	ASSERT_TRUE(fd >= 0);
	secs->attributes.flags |= SGX_ATTR_KSS;
	secs->config_id[0] = 1;
	secs->config_svn = 1;
	EXPECT_EQ(create(fd, secs), 0);
	softsgx_close(fd);
}

/* A failed CREATE */

TEST(create_failed_leaves_enclave_uncreated)
{
	int fd = open_enclave();
	struct sgx_secs *bad = secs_new(BASE + PAGE, SIZE), *good = secs_new(BASE, SIZE);
	struct sgx_enclave_init init = { 0 };
	size_t before = dfx_free_epc();

	ASSERT_TRUE(fd >= 0 && bad && good);
	EXPECT_ERRNO(create(fd, bad), EIO);
	EXPECT_EQ(dfx_free_epc(), before);
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
	EXPECT_EQ(dfx_free_epc(), before);
}

/* The host refuses the first mapping it is asked for, then maps as usual. */
static struct sgx_host_ops real_host;
static int map_calls;

static int refuse_first_map(void *ctx, struct sgx_encl *encl, uint64_t start, uint64_t end)
{
	if (map_calls++ == 0)
		return -ENOMEM;
	return real_host.map(ctx, encl, start, end);
}

/*
 * A mapping made before CREATE that the host cannot turn into the enclave's
 * memory: CREATE fails with ENOMEM and leaves nothing behind (the SECS is
 * removed, the enclave is not created), so a retry succeeds.
 */
TEST(create_host_cannot_map_enomem_nothing_left)
{
	struct sgx_platform *plat = sgx_platform_get();
	struct dfx_encl e;
	size_t before;

	ASSERT_EQ(dfx_open_reserved(&e, DFX_SIZE), 0);
	ASSERT_EQ(dfx_map(&e, 0, DFX_SIZE, RW), dfx_ptr(&e, 0));
	before = dfx_free_epc();
	real_host = plat->host;
	map_calls = 0;
	plat->host.map = refuse_first_map;
	EXPECT_EQ(dfx_ecreate(&e, 0), -ENOMEM);
	plat->host = real_host;
	EXPECT_EQ(dfx_free_epc(), before);
	EXPECT_TRUE(!is_created(e.fd));
	EXPECT_EQ(dfx_ecreate(&e, 0), 0);
	EXPECT_TRUE(is_created(e.fd));
	softsgx_munmap(e.reservation, e.reservation_len);
	softsgx_close(e.fd);
	sgx_measure_free(e.measure);
	EXPECT_EQ(dfx_free_epc(), before);
}
