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

#include "common.h"

#define CMD SGX_IOC_ENCLAVE_PROVISION

static int provision(int encl_fd, uint64_t fd)
{
	struct sgx_enclave_provision arg = { .fd = fd };

	return softsgx_ioctl(encl_fd, CMD, &arg);
}

static int open_provision(void)
{
	return softsgx_open("/dev/sgx_provision", O_RDWR);
}

/* PROVISION with @fd fails EINVAL and allows nothing: INIT of a PROVISIONKEY enclave stays EACCES. */
static void expect_provision_einval(uint64_t fd, int line)
{
	struct dfx_encl *e = dfx_new_with_data(SGX_ATTR_PROVISIONKEY);
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

#define EXPECT_PROVISION_EINVAL(fd) expect_provision_einval(fd, __LINE__)

/*
 * TEST_PROV(name, attributes) { body }: a test on a created enclave @e with
 * SECS @attributes and one measured page (dfx_new_with_data()), not
 * initialized, and an open /dev/sgx_provision descriptor @prov (closed
 * afterwards).
 */
#define TEST_PROV(name, attributes)                               \
	static void prov_##name(struct dfx_encl *e, int prov);    \
	TEST_WITH(name, dfx_new_with_data(attributes))            \
	{                                                         \
		int prov = open_provision();                      \
                                                                  \
		ASSERT_TRUE(prov >= 0);                           \
		prov_##name(e, prov);                             \
		softsgx_close(prov);                              \
	}                                                         \
	static void prov_##name(struct dfx_encl *e, int prov)

TEST_PROV(provision_sets_provisionkey_mask, SGX_ATTR_PROVISIONKEY)
{
	EXPECT_ERRNO(dfx_init(e), EACCES);
	EXPECT_EQ(provision(e->fd, (uint64_t)prov), 0);
	EXPECT_EQ(dfx_init(e), 0);
}

TEST_WITH(provision_mask_outlives_provision_fd, dfx_new_with_data(SGX_ATTR_PROVISIONKEY))
{
	int prov = open_provision();

	ASSERT_TRUE(prov >= 0);
	EXPECT_EQ(provision(e->fd, (uint64_t)prov), 0);
	EXPECT_EQ(softsgx_close(prov), 0);
	EXPECT_EQ(dfx_init(e), 0);
}

TEST_PROV(provision_copies_nothing_back, SGX_ATTR_PROVISIONKEY)
{
	struct sgx_enclave_provision arg = { .fd = (uint64_t)prov };

	EXPECT_EQ(dfx_ioctl_ro(e->fd, CMD, &arg, sizeof(arg)), 0);
	EXPECT_EQ(arg.fd, (uint64_t)prov);
	EXPECT_EQ(dfx_init(e), 0);
}

TEST_PROV(provision_unreadable_arg_efault, SGX_ATTR_PROVISIONKEY)
{
	uint8_t *hole = dfx_before_hole();

	ASSERT_TRUE(hole);
	dfx_expect_unreadable_arg(e->fd, CMD, EFAULT);
	/* The fd's low bytes readable, its high bytes in the hole. */
	*(uint32_t *)(hole + PAGE - 4) = (uint32_t)prov;
	EXPECT_ERRNO(softsgx_ioctl(e->fd, CMD, hole + PAGE - 4), EFAULT);
	EXPECT_ERRNO(dfx_init(e), EACCES);
	dfx_hole_free(hole);
}

TEST(provision_fd_not_open_einval)
{
	int p[2];

	ASSERT_EQ(pipe(p), 0);
	close(p[0]);
	close(p[1]);
	EXPECT_PROVISION_EINVAL((uint64_t)p[0]);
	EXPECT_PROVISION_EINVAL((uint64_t)-1); /* (unsigned int)-1 */
	EXPECT_PROVISION_EINVAL(0x7fffffff);
}

TEST(provision_closed_provision_fd_einval)
{
	int prov = open_provision();

	ASSERT_TRUE(prov >= 0);
	ASSERT_EQ(softsgx_close(prov), 0);
	EXPECT_PROVISION_EINVAL((uint64_t)prov);
}

TEST_WITH(provision_enclave_fd_einval, dfx_new_with_data(SGX_ATTR_PROVISIONKEY))
{
	int other = softsgx_open("/dev/sgx_enclave", O_RDWR);

	ASSERT_TRUE(other >= 0);
	/* Neither the enclave's own fd nor another enclave fd is /dev/sgx_provision. */
	EXPECT_ERRNO(provision(e->fd, (uint64_t)e->fd), EINVAL);
	EXPECT_ERRNO(provision(e->fd, (uint64_t)other), EINVAL);
	EXPECT_ERRNO(dfx_init(e), EACCES);
	softsgx_close(other);
}

TEST(provision_non_sgx_fd_einval)
{
	int p[2];

	ASSERT_EQ(pipe(p), 0);
	EXPECT_PROVISION_EINVAL((uint64_t)p[0]);
	EXPECT_PROVISION_EINVAL(0); /* stdin */
	close(p[0]);
	close(p[1]);
}

TEST_PROV(provision_fd_truncated_to_32_bits, SGX_ATTR_PROVISIONKEY)
{
	/* The kernel takes the u64 as an unsigned int: the upper half is ignored. */
	EXPECT_EQ(provision(e->fd, (0xdeadbeefull << 32) | (uint32_t)prov), 0);
	EXPECT_EQ(dfx_init(e), 0);
}

TEST_PROV(provision_dup_of_provision_fd_succeeds, SGX_ATTR_PROVISIONKEY)
{
	/* fget() finds the same open file behind another descriptor number. */
	int dupfd = fcntl(prov, F_DUPFD_CLOEXEC, 0);

	ASSERT_TRUE(dupfd >= 0);
	EXPECT_EQ(provision(e->fd, (uint64_t)dupfd), 0);
	EXPECT_EQ(dfx_init(e), 0);
	close(dupfd);
}

TEST(provision_before_create_is_lost)
{
	struct dfx_encl *e = calloc(1, sizeof(*e));
	int prov = open_provision();

	ASSERT_TRUE(e && prov >= 0);
	ASSERT_EQ(dfx_open_reserved(e, DFX_SIZE), 0);
	/* No state check: accepted on an enclave that is not created yet ... */
	EXPECT_EQ(provision(e->fd, (uint64_t)prov), 0);
	/* ... and undone by CREATE, which sets the allowed attributes afresh. */
	ASSERT_EQ(dfx_ecreate(e, SGX_ATTR_PROVISIONKEY), 0);
	ASSERT_EQ(dfx_add(e, DFX_DATA, PAGE, NULL, REG_RW, true), 0);
	EXPECT_ERRNO(dfx_init(e), EACCES);
	/* PROVISION after CREATE is what counts. */
	EXPECT_EQ(provision(e->fd, (uint64_t)prov), 0);
	EXPECT_EQ(dfx_init(e), 0);
	softsgx_close(prov);
	dfx_close(e);
}

TEST_BUILT(provision_after_init_succeeds)
{
	int prov = open_provision();

	ASSERT_TRUE(prov >= 0);
	EXPECT_EQ(provision(e->fd, (uint64_t)prov), 0);
	EXPECT_EQ(dfx_epcm(e, DFX_DATA).type, SGX_PAGE_TYPE_REG); /* still a working enclave */
	softsgx_close(prov);
}

TEST_PROV(provision_without_provisionkey_attribute_harmless, 0)
{
	EXPECT_EQ(provision(e->fd, (uint64_t)prov), 0);
	EXPECT_EQ(provision(e->fd, (uint64_t)prov), 0); /* idempotent */
	EXPECT_EQ(dfx_init(e), 0);
}

TEST_PROV(provision_does_not_allow_einittoken_key, SGX_ATTR_EINITTOKENKEY | SGX_ATTR_PROVISIONKEY)
{
	EXPECT_EQ(provision(e->fd, (uint64_t)prov), 0);
	EXPECT_ERRNO(dfx_init(e), EACCES);
}

TEST_PROV(provision_applies_to_its_enclave_only, SGX_ATTR_PROVISIONKEY)
{
	struct dfx_encl *f = dfx_new_with_data(SGX_ATTR_PROVISIONKEY);

	ASSERT_TRUE(f);
	EXPECT_EQ(provision(e->fd, (uint64_t)prov), 0);
	EXPECT_ERRNO(dfx_init(f), EACCES);
	EXPECT_EQ(dfx_init(e), 0);
	dfx_close(f);
}
