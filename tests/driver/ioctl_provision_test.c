/* SPDX-License-Identifier: MIT */
/*
 * SGX_IOC_ENCLAVE_PROVISION: the argument (EFAULT); the fd, truncated to 32
 * bits, must be an open /dev/sgx_provision file (else EINVAL); success
 * allows ATTRIBUTES.PROVISIONKEY, seen as INIT of such an enclave
 * succeeding instead of EACCES. No state is checked: a PROVISION before
 * CREATE is lost (CREATE resets the mask), one after INIT is harmless.
 */
#include <stdlib.h>
#include <unistd.h>

#include "cpu/fixture.h"
#include "dfx.h"
#include "softsgx/measure.h"

#define PAGE 4096ull
#define REG_RW (SGX_SECINFO_REG | SGX_SECINFO_R | SGX_SECINFO_W)

/* A created enclave with one measured page and ATTRIBUTES @attributes, not initialized. */
static struct dfx_encl *encl_new(uint64_t attributes)
{
	struct dfx_encl *e = dfx_new_created(attributes);

	if (e && dfx_add(e, DFX_DATA, PAGE, NULL, REG_RW, true)) {
		harness_fail(__FILE__, __LINE__, "ADD_PAGES: %s", strerrorname_np(errno));
		dfx_close(e);
		return NULL;
	}
	return e;
}

static int provision(int encl_fd, uint64_t fd)
{
	struct sgx_enclave_provision arg = { .fd = fd };

	return softsgx_ioctl(encl_fd, SGX_IOC_ENCLAVE_PROVISION, &arg);
}

static int open_provision(void)
{
	return softsgx_open("/dev/sgx_provision", O_RDWR);
}

/* PROVISION with @fd fails EINVAL and allows nothing: INIT of a PROVISIONKEY enclave stays EACCES. */
static void expect_provision_einval(uint64_t fd, int line)
{
	struct dfx_encl *e = encl_new(SGX_ATTR_PROVISIONKEY);
	long ret;

	if (!e) {
		harness_fail(__FILE__, line, "setup");
		return;
	}
	errno = 0;
	ret = provision(e->fd, fd);
	if (ret != -1 || errno != EINVAL)
		harness_fail(__FILE__, line, "PROVISION(fd %#llx) returned %ld errno %s, expected -1 errno EINVAL",
			     (unsigned long long)fd, ret, errno ? strerrorname_np(errno) : "0");
	errno = 0;
	ret = dfx_init(e);
	if (ret != -1 || errno != EACCES)
		harness_fail(__FILE__, line, "INIT after a failed PROVISION returned %ld errno %s, expected EACCES",
			     ret, errno ? strerrorname_np(errno) : "0");
	dfx_close(e);
}

TEST(provision_sets_provisionkey_mask)
{
	struct dfx_encl *e = encl_new(SGX_ATTR_PROVISIONKEY);
	int prov = open_provision();

	ASSERT_TRUE(e && prov >= 0);
	EXPECT_ERRNO(dfx_init(e), EACCES);
	EXPECT_EQ(provision(e->fd, (uint64_t)prov), 0);
	EXPECT_EQ(dfx_init(e), 0);
	softsgx_close(prov);
	dfx_close(e);
}

TEST(provision_mask_outlives_provision_fd)
{
	struct dfx_encl *e = encl_new(SGX_ATTR_PROVISIONKEY);
	int prov = open_provision();

	ASSERT_TRUE(e && prov >= 0);
	EXPECT_EQ(provision(e->fd, (uint64_t)prov), 0);
	EXPECT_EQ(softsgx_close(prov), 0);
	EXPECT_EQ(dfx_init(e), 0);
	dfx_close(e);
}

TEST(provision_copies_nothing_back)
{
	struct dfx_encl *e = encl_new(SGX_ATTR_PROVISIONKEY);
	int prov = open_provision();
	struct sgx_enclave_provision arg = { .fd = (uint64_t)prov }, *ro;

	ASSERT_TRUE(e && prov >= 0);
	ro = dfx_ro_copy(&arg, sizeof(arg));
	ASSERT_TRUE(ro);
	EXPECT_EQ(softsgx_ioctl(e->fd, SGX_IOC_ENCLAVE_PROVISION, ro), 0);
	EXPECT_EQ(ro->fd, (uint64_t)prov);
	EXPECT_EQ(dfx_init(e), 0);
	dfx_page_free(ro);
	softsgx_close(prov);
	dfx_close(e);
}

TEST(provision_unreadable_arg_efault)
{
	struct dfx_encl *e = encl_new(SGX_ATTR_PROVISIONKEY);
	void *none = dfx_unreadable();
	uint8_t *hole = dfx_before_hole();
	int prov = open_provision();

	ASSERT_TRUE(e && none && hole && prov >= 0);
	EXPECT_ERRNO(softsgx_ioctl(e->fd, SGX_IOC_ENCLAVE_PROVISION, (void *)8), EFAULT);
	EXPECT_ERRNO(softsgx_ioctl(e->fd, SGX_IOC_ENCLAVE_PROVISION, NULL), EFAULT);
	EXPECT_ERRNO(softsgx_ioctl(e->fd, SGX_IOC_ENCLAVE_PROVISION, none), EFAULT);
	/* The fd's low bytes readable, its high bytes in the hole. */
	*(uint32_t *)(hole + PAGE - 4) = (uint32_t)prov;
	EXPECT_ERRNO(softsgx_ioctl(e->fd, SGX_IOC_ENCLAVE_PROVISION, hole + PAGE - 4), EFAULT);
	EXPECT_ERRNO(dfx_init(e), EACCES);
	softsgx_close(prov);
	dfx_hole_free(hole);
	dfx_page_free(none);
	dfx_close(e);
}

TEST(provision_fd_not_open_einval)
{
	int p[2];

	ASSERT_EQ(pipe(p), 0);
	close(p[0]);
	close(p[1]);
	expect_provision_einval((uint64_t)p[0], __LINE__);
	expect_provision_einval((uint64_t)-1, __LINE__); /* (unsigned int)-1 */
	expect_provision_einval(0x7fffffff, __LINE__);
}

TEST(provision_closed_provision_fd_einval)
{
	int prov = open_provision();

	ASSERT_TRUE(prov >= 0);
	ASSERT_EQ(softsgx_close(prov), 0);
	expect_provision_einval((uint64_t)prov, __LINE__);
}

TEST(provision_enclave_fd_einval)
{
	struct dfx_encl *e = encl_new(SGX_ATTR_PROVISIONKEY);
	int other = softsgx_open("/dev/sgx_enclave", O_RDWR);

	ASSERT_TRUE(e && other >= 0);
	/* Neither the enclave's own fd nor another enclave fd is /dev/sgx_provision. */
	EXPECT_ERRNO(provision(e->fd, (uint64_t)e->fd), EINVAL);
	EXPECT_ERRNO(provision(e->fd, (uint64_t)other), EINVAL);
	EXPECT_ERRNO(dfx_init(e), EACCES);
	softsgx_close(other);
	dfx_close(e);
}

TEST(provision_non_sgx_fd_einval)
{
	int p[2];

	ASSERT_EQ(pipe(p), 0);
	expect_provision_einval((uint64_t)p[0], __LINE__);
	expect_provision_einval(0, __LINE__); /* stdin */
	close(p[0]);
	close(p[1]);
}

TEST(provision_fd_truncated_to_32_bits)
{
	struct dfx_encl *e = encl_new(SGX_ATTR_PROVISIONKEY);
	int prov = open_provision();

	ASSERT_TRUE(e && prov >= 0);
	/* The kernel takes the u64 as an unsigned int: the upper half is ignored. */
	EXPECT_EQ(provision(e->fd, (0xdeadbeefull << 32) | (uint32_t)prov), 0);
	EXPECT_EQ(dfx_init(e), 0);
	softsgx_close(prov);
	dfx_close(e);
}

TEST(provision_dup_of_provision_fd_succeeds)
{
	struct dfx_encl *e = encl_new(SGX_ATTR_PROVISIONKEY);
	int prov = open_provision(), dupfd;

	ASSERT_TRUE(e && prov >= 0);
	/* fget() finds the same open file behind another descriptor number. */
	dupfd = fcntl(prov, F_DUPFD_CLOEXEC, 0);
	ASSERT_TRUE(dupfd >= 0);
	EXPECT_EQ(provision(e->fd, (uint64_t)dupfd), 0);
	EXPECT_EQ(dfx_init(e), 0);
	close(dupfd);
	softsgx_close(prov);
	dfx_close(e);
}

TEST(provision_before_create_is_lost)
{
	struct dfx_encl *e = calloc(1, sizeof(*e));
	struct sgx_secs *secs = aligned_alloc(PAGE, PAGE);
	struct sgx_enclave_create create = { .src = (uintptr_t)secs };
	int prov = open_provision();

	ASSERT_TRUE(e && secs && prov >= 0);
	e->fd = softsgx_open("/dev/sgx_enclave", O_RDWR);
	ASSERT_TRUE(e->fd >= 0);
	/* No state check: accepted on an enclave that is not created yet ... */
	EXPECT_EQ(provision(e->fd, (uint64_t)prov), 0);
	/* ... and undone by CREATE, which sets the allowed attributes afresh. */
	e->base = 1ull << 45; /* nothing is mapped here */
	e->size = DFX_SIZE;
	fx_secs_default(secs, e->base, e->size);
	secs->attributes.flags |= SGX_ATTR_PROVISIONKEY;
	ASSERT_EQ(softsgx_ioctl(e->fd, SGX_IOC_ENCLAVE_CREATE, &create), 0);
	e->measure = sgx_measure_new();
	sgx_measure_ecreate(e->measure, secs->ssa_frame_size, e->size);
	ASSERT_EQ(dfx_add(e, DFX_DATA, PAGE, NULL, REG_RW, true), 0);
	EXPECT_ERRNO(dfx_init(e), EACCES);
	/* PROVISION after CREATE is what counts. */
	EXPECT_EQ(provision(e->fd, (uint64_t)prov), 0);
	EXPECT_EQ(dfx_init(e), 0);
	free(secs);
	softsgx_close(prov);
	dfx_close(e);
}

TEST(provision_after_init_succeeds)
{
	struct dfx_encl *e = dfx_build();
	int prov = open_provision();

	ASSERT_TRUE(e && prov >= 0);
	EXPECT_EQ(provision(e->fd, (uint64_t)prov), 0);
	EXPECT_EQ(dfx_epcm(e, DFX_DATA).type, SGX_PAGE_TYPE_REG); /* still a working enclave */
	softsgx_close(prov);
	dfx_close(e);
}

TEST(provision_without_provisionkey_attribute_harmless)
{
	struct dfx_encl *e = encl_new(0);
	int prov = open_provision();

	ASSERT_TRUE(e && prov >= 0);
	EXPECT_EQ(provision(e->fd, (uint64_t)prov), 0);
	EXPECT_EQ(provision(e->fd, (uint64_t)prov), 0); /* idempotent */
	EXPECT_EQ(dfx_init(e), 0);
	softsgx_close(prov);
	dfx_close(e);
}

TEST(provision_does_not_allow_einittoken_key)
{
	struct dfx_encl *e = encl_new(SGX_ATTR_EINITTOKENKEY | SGX_ATTR_PROVISIONKEY);
	int prov = open_provision();

	ASSERT_TRUE(e && prov >= 0);
	EXPECT_EQ(provision(e->fd, (uint64_t)prov), 0);
	EXPECT_ERRNO(dfx_init(e), EACCES);
	softsgx_close(prov);
	dfx_close(e);
}

TEST(provision_applies_to_its_enclave_only)
{
	struct dfx_encl *e = encl_new(SGX_ATTR_PROVISIONKEY), *f = encl_new(SGX_ATTR_PROVISIONKEY);
	int prov = open_provision();

	ASSERT_TRUE(e && f && prov >= 0);
	EXPECT_EQ(provision(e->fd, (uint64_t)prov), 0);
	EXPECT_ERRNO(dfx_init(f), EACCES);
	EXPECT_EQ(dfx_init(e), 0);
	softsgx_close(prov);
	dfx_close(f);
	dfx_close(e);
}
