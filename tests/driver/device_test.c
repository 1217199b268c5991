/* SPDX-License-Identifier: MIT */
/*
 * The device files and the ioctl dispatch (Linux's driver.c and
 * sgx_ioctl()): softsgx_open/close of /dev/sgx_enclave and
 * /dev/sgx_provision, what close releases, unknown commands, descriptors
 * that are not an enclave's, one ioctl at a time per enclave (EBUSY, seen
 * from inside a running ioctl), and the per-ioctl counters.
 */
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common.h"
#include "cpu/fixture.h"
#include "softsgx/measure.h"

/* Commands the driver does not know: a free number, a known number with
 * another size or direction, another magic. */
#define CMD_FREE_NR _IOWR(SGX_MAGIC, 0x08, struct sgx_enclave_add_pages)
#define CMD_CREATE_WRONG_SIZE _IOW(SGX_MAGIC, 0x00, struct sgx_enclave_add_pages)
#define CMD_INIT_WRONG_DIR _IOWR(SGX_MAGIC, 0x02, struct sgx_enclave_init)
#define CMD_OTHER_MAGIC _IOW('X', 0x00, struct sgx_enclave_create)

static const unsigned long sgx_cmds[] = {
	SGX_IOC_ENCLAVE_CREATE, SGX_IOC_ENCLAVE_ADD_PAGES, SGX_IOC_ENCLAVE_INIT,
	SGX_IOC_ENCLAVE_PROVISION, SGX_IOC_VEPC_REMOVE_ALL, SGX_IOC_ENCLAVE_RESTRICT_PERMISSIONS,
	SGX_IOC_ENCLAVE_MODIFY_TYPES, SGX_IOC_ENCLAVE_REMOVE_PAGES,
};

#define NR_IOCTL_COUNTERS (SOFTSGX_CNT_IOCTL_REMOVE_PAGES + 1)

static void ioctl_counters(uint64_t c[NR_IOCTL_COUNTERS])
{
	int i;

	for (i = 0; i < NR_IOCTL_COUNTERS; i++)
		c[i] = softsgx_counter((enum softsgx_counter)i);
}

/* Every ioctl counter moved by @delta[i] since @before. */
static void expect_counters(const uint64_t before[NR_IOCTL_COUNTERS], const int delta[NR_IOCTL_COUNTERS],
			    int line)
{
	uint64_t now[NR_IOCTL_COUNTERS];
	int i;

	ioctl_counters(now);
	for (i = 0; i < NR_IOCTL_COUNTERS; i++)
		if (now[i] != before[i] + (uint64_t)delta[i])
			harness_fail(__FILE__, line, "counter \"%s\" moved by %lld, expected %d",
				     softsgx_counter_name((enum softsgx_counter)i),
				     (long long)(now[i] - before[i]), delta[i]);
}

static bool fd_is_open(int fd)
{
	return fcntl(fd, F_GETFD) != -1;
}

/* A descriptor number that is certainly not open now. */
static int closed_fd_number(void)
{
	int p[2];

	if (pipe(p))
		return -1;
	close(p[0]);
	close(p[1]);
	return p[0];
}

/* softsgx_open */

/* softsgx_open(@path, @flags) returns a real descriptor, a device's until softsgx_close(). */
static void expect_real_fd(const char *path, int flags)
{
	int fd = softsgx_open(path, flags);

	ASSERT_TRUE(fd >= 0);
	EXPECT_TRUE(fd_is_open(fd));
	EXPECT_TRUE(softsgx_is_device_fd(fd));
	EXPECT_EQ(softsgx_close(fd), 0);
	EXPECT_ERRNO(fcntl(fd, F_GETFD), EBADF);
	EXPECT_TRUE(!softsgx_is_device_fd(fd));
}

TEST(open_enclave_returns_real_fd)
{
	expect_real_fd("/dev/sgx_enclave", O_RDWR);
}

TEST(open_provision_returns_real_fd)
{
	expect_real_fd("/dev/sgx_provision", O_RDONLY);
}

TEST(open_returns_unique_fds)
{
	int fds[4], p[2], i, j;

	ASSERT_EQ(pipe(p), 0);
	fds[0] = softsgx_open("/dev/sgx_enclave", O_RDWR);
	fds[1] = softsgx_open("/dev/sgx_enclave", O_RDWR);
	fds[2] = softsgx_open("/dev/sgx_provision", O_RDONLY);
	fds[3] = softsgx_open("/dev/sgx_provision", O_RDONLY);
	for (i = 0; i < 4; i++) {
		EXPECT_TRUE(fds[i] >= 0);
		EXPECT_TRUE(fds[i] != p[0] && fds[i] != p[1]);
		for (j = 0; j < i; j++)
			EXPECT_TRUE(fds[i] != fds[j]);
	}
	for (i = 0; i < 4; i++)
		EXPECT_EQ(softsgx_close(fds[i]), 0);
	close(p[0]);
	close(p[1]);
}

/* Both device files opened with @cloexec (O_CLOEXEC or 0): FD_CLOEXEC is set iff asked for. */
static void expect_cloexec(int cloexec)
{
	int enc = softsgx_open("/dev/sgx_enclave", O_RDWR | cloexec);
	int prov = softsgx_open("/dev/sgx_provision", O_RDONLY | cloexec);
	int want = cloexec ? FD_CLOEXEC : 0;

	ASSERT_TRUE(enc >= 0 && prov >= 0);
	EXPECT_EQ(fcntl(enc, F_GETFD) & FD_CLOEXEC, want);
	EXPECT_EQ(fcntl(prov, F_GETFD) & FD_CLOEXEC, want);
	softsgx_close(enc);
	softsgx_close(prov);
}

TEST(open_cloexec_sets_fd_cloexec)
{
	expect_cloexec(O_CLOEXEC);
}

TEST(open_without_cloexec_leaves_fd_inheritable)
{
	expect_cloexec(0);
}

TEST(open_other_path_enoent)
{
	EXPECT_ERRNO(softsgx_open("/dev/sgx_enclave_", O_RDWR), ENOENT);
	EXPECT_ERRNO(softsgx_open("/dev/sgx_provisio", O_RDWR), ENOENT);
	EXPECT_ERRNO(softsgx_open("/no/such/dir/sgx_enclave", O_RDWR), ENOENT);
	EXPECT_ERRNO(softsgx_open("", O_RDWR), ENOENT);
}

/* softsgx_close */

/* Paths the program cannot pass: EFAULT, as open(2) says, never a crash. */
TEST(open_bad_path_pointer_efault)
{
	char *page = mmap(NULL, 2 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	static const char name[] = "/dev/sgx_enclave";
	char *tail;
	int fd;

	ASSERT_TRUE(page != MAP_FAILED);
	EXPECT_ERRNO(softsgx_open(NULL, O_RDWR), EFAULT);
	EXPECT_ERRNO(softsgx_open((const char *)16, O_RDWR), EFAULT);
	/* A name that ends right before an unreadable page is readable. */
	ASSERT_EQ(munmap(page + PAGE, PAGE), 0);
	tail = page + PAGE - sizeof(name);
	memcpy(tail, name, sizeof(name));
	fd = softsgx_open(tail, O_RDWR);
	EXPECT_TRUE(fd >= 0);
	if (fd >= 0)
		softsgx_close(fd);
	/* One that runs into it is not. */
	memset(page + PAGE - 8, 'x', 8);
	EXPECT_ERRNO(softsgx_open(page + PAGE - 8, O_RDWR), EFAULT);
	/* A long, readable path is just another path. */
	memset(page, 'a', PAGE - 1);
	page[PAGE - 1] = 0;
	EXPECT_ERRNO(softsgx_open(page, O_RDWR), ENOENT);
	munmap(page, PAGE);
}

TEST(close_closed_fd_ebadf)
{
	int fd = softsgx_open("/dev/sgx_enclave", O_RDWR);

	ASSERT_TRUE(fd >= 0);
	EXPECT_EQ(softsgx_close(fd), 0);
	EXPECT_ERRNO(softsgx_close(fd), EBADF);
	EXPECT_ERRNO(softsgx_close(closed_fd_number()), EBADF);
	EXPECT_ERRNO(softsgx_close(-1), EBADF);
}

TEST(close_fd_not_from_open_ebadf_and_leaves_it_open)
{
	int p[2];

	ASSERT_EQ(pipe(p), 0);
	EXPECT_ERRNO(softsgx_close(p[0]), EBADF);
	EXPECT_TRUE(fd_is_open(p[0]));
	close(p[0]);
	close(p[1]);
}

/* The descriptor softsgx keeps for an enclave of @fd (same file, another number), or -1. */
static int private_fd_of(int fd)
{
	struct stat want, st;
	int other;

	if (fstat(fd, &want))
		return -1;
	for (other = 0; other < 1024; other++)
		if (other != fd && !fstat(other, &st) && st.st_dev == want.st_dev &&
		    st.st_ino == want.st_ino)
			return other;
	return -1;
}

/*
 * The enclave's own descriptor is softsgx's: no device descriptor, not
 * closable through the API (the enclave would go on using a number the
 * program may reuse), no ioctl on it.
 */
TEST(enclave_private_fd_invisible_to_the_program)
{
	struct dfx_encl *e = dfx_build();
	struct sgx_enclave_remove_pages rm = { 0 };
	int priv;

	ASSERT_TRUE(e);
	priv = private_fd_of(e->fd);
	ASSERT_TRUE(priv >= 0);
	EXPECT_TRUE(softsgx_is_device_fd(e->fd));
	EXPECT_TRUE(!softsgx_is_device_fd(priv));
	EXPECT_ERRNO(softsgx_close(priv), EBADF);
	EXPECT_TRUE(fd_is_open(priv));
	EXPECT_ERRNO(softsgx_ioctl(priv, SGX_IOC_ENCLAVE_REMOVE_PAGES, &rm), ENOTTY);
	/* The program's descriptor still works. */
	EXPECT_ERRNO(softsgx_ioctl(e->fd, SGX_IOC_ENCLAVE_REMOVE_PAGES, &rm), EINVAL);
	dfx_close(e);
}

TEST(close_releases_enclave_epc_pages)
{
	size_t before = dfx_free_epc(), created;
	struct dfx_encl *e = dfx_new_created(0);

	ASSERT_TRUE(e);
	created = dfx_free_epc();
	EXPECT_TRUE(created < before); /* the SECS */
	ASSERT_EQ(dfx_add(e, DFX_DATA, 4 * PAGE, NULL, REG_RW, true), 0);
	EXPECT_EQ(dfx_free_epc(), created - 4);
	dfx_close(e);
	EXPECT_EQ(dfx_free_epc(), before);
}

TEST(close_releases_initialized_enclave_epc_pages)
{
	size_t before = dfx_free_epc();
	struct dfx_encl *e = dfx_build();

	ASSERT_TRUE(e);
	EXPECT_TRUE(dfx_free_epc() < before);
	dfx_close(e);
	EXPECT_EQ(dfx_free_epc(), before);
}

TEST(close_with_mapping_keeps_enclave_until_munmap)
{
	size_t before = dfx_free_epc(), built;
	struct dfx_encl *e = dfx_new_created(0);
	void *p;

	ASSERT_TRUE(e);
	ASSERT_EQ(dfx_add(e, DFX_DATA, 2 * PAGE, NULL, REG_RW, true), 0);
	built = dfx_free_epc();
	p = softsgx_mmap((void *)(uintptr_t)e->base, e->size, PROT_READ, MAP_SHARED | MAP_FIXED, e->fd, 0);
	ASSERT_TRUE(p != MAP_FAILED);
	/* Every mapping pins the file: close(fd) does not tear the enclave down. */
	EXPECT_EQ(softsgx_close(e->fd), 0);
	e->fd = -1;
	EXPECT_EQ(dfx_free_epc(), built);
	EXPECT_EQ(softsgx_munmap(p, e->size), 0);
	EXPECT_EQ(dfx_free_epc(), before);
	dfx_close(e);
}

/* Unknown commands and descriptors that are not an enclave's */

TEST_WITH(ioctl_unknown_command_enotty, dfx_new_created(0))
{
	uint64_t buf[8] = { 0 }, before[NR_IOCTL_COUNTERS];
	const int none[NR_IOCTL_COUNTERS] = { 0 };
	int fresh = softsgx_open("/dev/sgx_enclave", O_RDWR);

	ASSERT_TRUE(fresh >= 0);
	ioctl_counters(before);
	EXPECT_ERRNO(softsgx_ioctl(e->fd, CMD_FREE_NR, buf), ENOTTY);
	EXPECT_ERRNO(softsgx_ioctl(e->fd, CMD_CREATE_WRONG_SIZE, buf), ENOTTY);
	EXPECT_ERRNO(softsgx_ioctl(e->fd, CMD_INIT_WRONG_DIR, buf), ENOTTY);
	EXPECT_ERRNO(softsgx_ioctl(e->fd, CMD_OTHER_MAGIC, buf), ENOTTY);
	EXPECT_ERRNO(softsgx_ioctl(e->fd, 0, buf), ENOTTY);
	/* Before CREATE too: the command is decoded before any state is looked at. */
	EXPECT_ERRNO(softsgx_ioctl(fresh, CMD_FREE_NR, NULL), ENOTTY);
	expect_counters(before, none, __LINE__);
	softsgx_close(fresh);
}

TEST_BUILT(ioctl_vepc_remove_all_on_enclave_fd_enotty)
{
	int fresh = softsgx_open("/dev/sgx_enclave", O_RDWR);

	ASSERT_TRUE(fresh >= 0);
	EXPECT_EQ(SGX_IOC_VEPC_REMOVE_ALL, 0xa404);
	EXPECT_ERRNO(softsgx_ioctl(e->fd, SGX_IOC_VEPC_REMOVE_ALL, NULL), ENOTTY);
	EXPECT_ERRNO(softsgx_ioctl(fresh, SGX_IOC_VEPC_REMOVE_ALL, NULL), ENOTTY);
	EXPECT_TRUE(dfx_epcm(e, DFX_DATA).valid); /* nothing removed */
	softsgx_close(fresh);
}

TEST(ioctl_closed_fd_number_ebadf)
{
	struct sgx_enclave_create create = { 0 };
	size_t i;

	for (i = 0; i < sizeof(sgx_cmds) / sizeof(sgx_cmds[0]); i++) {
		EXPECT_ERRNO(softsgx_ioctl(closed_fd_number(), sgx_cmds[i], &create), EBADF);
		EXPECT_ERRNO(softsgx_ioctl(-1, sgx_cmds[i], &create), EBADF);
	}
}

TEST_WITH(ioctl_closed_enclave_fd_ebadf, dfx_new_created(0))
{
	int fd = e->fd;

	ASSERT_EQ(softsgx_close(fd), 0);
	e->fd = -1;
	EXPECT_ERRNO(softsgx_ioctl(fd, SGX_IOC_ENCLAVE_INIT, NULL), EBADF);
}

TEST(ioctl_non_softsgx_fd_enotty)
{
	struct sgx_enclave_create create = { 0 };
	int p[2];
	size_t i;

	ASSERT_EQ(pipe(p), 0);
	for (i = 0; i < sizeof(sgx_cmds) / sizeof(sgx_cmds[0]); i++)
		EXPECT_ERRNO(softsgx_ioctl(p[0], sgx_cmds[i], &create), ENOTTY);
	EXPECT_TRUE(fd_is_open(p[0]));
	close(p[0]);
	close(p[1]);
}

TEST(ioctl_on_provision_fd_enotty)
{
	int prov = softsgx_open("/dev/sgx_provision", O_RDWR);
	struct dfx_encl *e = dfx_new_created(0);
	struct sgx_secs *secs = aligned_alloc(PAGE, PAGE);
	struct sgx_enclave_create create = { .src = (uintptr_t)secs };
	struct sgx_enclave_provision provision;
	uint64_t before[NR_IOCTL_COUNTERS];
	const int none[NR_IOCTL_COUNTERS] = { 0 };
	size_t i;

	ASSERT_TRUE(prov >= 0 && e && secs);
	fx_secs_default(secs, e->base, e->size);
	provision.fd = (uint64_t)prov;
	ioctl_counters(before);
	/* /dev/sgx_provision has no ioctls at all: even a valid CREATE is unknown there. */
	for (i = 0; i < sizeof(sgx_cmds) / sizeof(sgx_cmds[0]); i++)
		EXPECT_ERRNO(softsgx_ioctl(prov, sgx_cmds[i], &create), ENOTTY);
	EXPECT_ERRNO(softsgx_ioctl(prov, SGX_IOC_ENCLAVE_PROVISION, &provision), ENOTTY);
	EXPECT_ERRNO(softsgx_ioctl(prov, CMD_FREE_NR, &create), ENOTTY);
	expect_counters(before, none, __LINE__);
	EXPECT_TRUE(fd_is_open(prov));
	free(secs);
	softsgx_close(prov);
	dfx_close(e);
}

/* One ioctl at a time per enclave */

/*
 * An IPI double that, from inside the driver's interrupt round (which runs
 * inside RESTRICT_PERMISSIONS, under encl->lock), issues more ioctls on the
 * same enclave and on another one, then interrupts the thread inside as
 * on_each_cpu_mask() would.
 */
struct busy_probe {
	struct dfx_thread *t;
	int fd, other_fd;
	bool probed;
	unsigned int rounds, aexes;
	int restrict_err, init_err, create_err, unknown_err, vepc_err, other_err;
	long restrict_ret, init_ret, create_ret, unknown_ret, vepc_ret, other_ret;
	uint64_t before[NR_IOCTL_COUNTERS], after[NR_IOCTL_COUNTERS];
};

#define PROBE(p, name, fd, cmd, arg)                            \
	do {                                                    \
		errno = 0;                                      \
		(p)->name##_ret = softsgx_ioctl(fd, cmd, arg);  \
		(p)->name##_err = errno;                        \
	} while (0)

static unsigned int busy_interrupt(void *ctx, struct sgx_encl *encl)
{
	struct busy_probe *p = ctx;
	struct sgx_enclave_restrict_permissions rp = { .offset = DFX_DATA + PAGE, .length = PAGE,
						       .permissions = SGX_SECINFO_R };
	struct sgx_enclave_init init = { 0 };
	struct sgx_enclave_create create = { 0 };
	struct sgx_exception irq = { .vector = 32 };
	uint64_t tcs = sgx_lp_tcs(p->t->lp);
	unsigned int n = 0;

	p->rounds++;
	if (!p->probed) {
		p->probed = true;
		ioctl_counters(p->before);
		PROBE(p, restrict, p->fd, SGX_IOC_ENCLAVE_RESTRICT_PERMISSIONS, &rp);
		PROBE(p, init, p->fd, SGX_IOC_ENCLAVE_INIT, &init);
		PROBE(p, create, p->fd, SGX_IOC_ENCLAVE_CREATE, &create);
		PROBE(p, unknown, p->fd, CMD_FREE_NR, NULL);
		PROBE(p, vepc, p->fd, SGX_IOC_VEPC_REMOVE_ALL, NULL);
		PROBE(p, other, p->other_fd, CMD_FREE_NR, NULL);
		ioctl_counters(p->after);
	}
	if (sgx_lp_in_enclave(p->t->lp) && tcs >= encl->base && tcs - encl->base < encl->size) {
		n++;
		if (!sgx_aex(p->t->lp, &p->t->regs, &irq))
			p->aexes++;
	}
	return n;
}

TEST_ENTERED(ioctl_while_ioctl_runs_on_same_enclave_ebusy)
{
	struct sgx_platform *plat = sgx_platform_get();
	struct sgx_ipi_ops saved = plat->ipi, ops;
	struct dfx_encl *other = dfx_new_created(0);
	struct sgx_enclave_restrict_permissions rp = { .offset = DFX_DATA, .length = PAGE,
						       .permissions = SGX_SECINFO_R };
	struct busy_probe probe = { .t = t, .fd = e->fd };
	int i;

	ASSERT_TRUE(other);
	probe.other_fd = other->fd;
	ops = (struct sgx_ipi_ops){ .interrupt = busy_interrupt, .ctx = &probe };
	sgx_platform_set_ipi(plat, &ops);

	EXPECT_EQ(softsgx_ioctl(e->fd, SGX_IOC_ENCLAVE_RESTRICT_PERMISSIONS, &rp), 0);
	sgx_platform_set_ipi(plat, &saved);

	ASSERT_TRUE(probe.probed);
	EXPECT_TRUE(probe.rounds >= 1);
	EXPECT_EQ(probe.aexes, 1);
	EXPECT_TRUE(!sgx_lp_in_enclave(t->lp));
	/* The flag is taken before the command is decoded: known or not, EBUSY. */
	EXPECT_EQ(probe.restrict_ret, -1);
	EXPECT_EQ(probe.restrict_err, EBUSY);
	EXPECT_EQ(probe.init_ret, -1);
	EXPECT_EQ(probe.init_err, EBUSY); /* not EINVAL (initialized) nor EFAULT (arg) */
	EXPECT_EQ(probe.create_ret, -1);
	EXPECT_EQ(probe.create_err, EBUSY);
	EXPECT_EQ(probe.unknown_ret, -1);
	EXPECT_EQ(probe.unknown_err, EBUSY);
	EXPECT_EQ(probe.vepc_ret, -1);
	EXPECT_EQ(probe.vepc_err, EBUSY);
	/* Another enclave is not busy. */
	EXPECT_EQ(probe.other_ret, -1);
	EXPECT_EQ(probe.other_err, ENOTTY);
	/* A refused call ran no handler. */
	for (i = 0; i < NR_IOCTL_COUNTERS; i++)
		EXPECT_EQ(probe.after[i], probe.before[i]);
	/* The outer call did its work; the inner RESTRICT did not. */
	EXPECT_EQ(dfx_epcm(e, DFX_DATA).perm, SGX_SECINFO_R);
	EXPECT_EQ(dfx_epcm(e, DFX_DATA + PAGE).perm, SGX_SECINFO_R | SGX_SECINFO_W);
	EXPECT_EQ(rp.count, PAGE);
	/* And the enclave takes ioctls again. */
	EXPECT_ERRNO(softsgx_ioctl(e->fd, CMD_FREE_NR, NULL), ENOTTY);
	rp = (struct sgx_enclave_restrict_permissions){ .offset = DFX_DATA + PAGE, .length = PAGE,
							.permissions = SGX_SECINFO_R };
	EXPECT_EQ(softsgx_ioctl(e->fd, SGX_IOC_ENCLAVE_RESTRICT_PERMISSIONS, &rp), 0);
	EXPECT_EQ(dfx_epcm(e, DFX_DATA + PAGE).perm, SGX_SECINFO_R);
	dfx_close(other);
}

/* Counters */

TEST(ioctl_counters_increase_by_one_per_call)
{
	struct dfx_encl *built = dfx_build(), *e;
	int prov = softsgx_open("/dev/sgx_provision", O_RDWR);
	struct sgx_enclave_provision provision = { .fd = (uint64_t)prov };
	struct sgx_enclave_create create = { 0 };
	uint64_t before[NR_IOCTL_COUNTERS];
	int delta[NR_IOCTL_COUNTERS];

	ASSERT_TRUE(built && prov >= 0);
#define STEP(counter, call)                                   \
	do {                                                  \
		memset(delta, 0, sizeof(delta));              \
		delta[counter] = 1;                           \
		ioctl_counters(before);                       \
		(void)(call);                                 \
		expect_counters(before, delta, __LINE__);     \
	} while (0)
	STEP(SOFTSGX_CNT_IOCTL_CREATE, e = dfx_new_created(0));
	ASSERT_TRUE(e);
	STEP(SOFTSGX_CNT_IOCTL_CREATE, softsgx_ioctl(e->fd, SGX_IOC_ENCLAVE_CREATE, &create)); /* EINVAL */
	STEP(SOFTSGX_CNT_IOCTL_ADD_PAGES, dfx_add(e, DFX_DATA, 3 * PAGE, NULL, REG_RW, true));
	STEP(SOFTSGX_CNT_IOCTL_ADD_PAGES, dfx_add(e, DFX_DATA, PAGE, NULL, REG_RW, true)); /* EBUSY */
	STEP(SOFTSGX_CNT_IOCTL_PROVISION, softsgx_ioctl(e->fd, SGX_IOC_ENCLAVE_PROVISION, &provision));
	STEP(SOFTSGX_CNT_IOCTL_INIT, dfx_init(e));
	STEP(SOFTSGX_CNT_IOCTL_INIT, dfx_init(e)); /* EINVAL */
	STEP(SOFTSGX_CNT_IOCTL_RESTRICT_PERMISSIONS, dfx_restrict(built, DFX_DATA, 2 * PAGE, SGX_SECINFO_R, NULL));
	STEP(SOFTSGX_CNT_IOCTL_MODIFY_TYPES, dfx_modify(built, DFX_DATA, PAGE, SGX_PAGE_TYPE_TRIM, NULL));
	STEP(SOFTSGX_CNT_IOCTL_REMOVE_PAGES, dfx_remove(built, DFX_DATA, PAGE, NULL)); /* EPERM */
#undef STEP
	softsgx_close(prov);
	dfx_close(e);
	dfx_close(built);
}

/* A dup() of an enclave descriptor is the same file: ioctls work through it,
 * and the enclave lives until the last descriptor is closed. */
TEST(dup_of_enclave_fd_is_the_same_file)
{
	size_t free_before = dfx_free_epc();
	struct dfx_encl e;
	int dup_fd;

	ASSERT_EQ(dfx_create(&e, DFX_SIZE, 0), 0);
	dup_fd = dup(e.fd);
	ASSERT_TRUE(dup_fd >= 0);
	EXPECT_TRUE(softsgx_is_device_fd(dup_fd));
	EXPECT_EQ(softsgx_close(e.fd), 0);
	/* The original number is gone, the file is not: ADD_PAGES through the dup. */
	e.fd = dup_fd;
	EXPECT_EQ(dfx_add(&e, DFX_DATA, 4096, NULL, SGX_SECINFO_REG | SGX_SECINFO_R, true), 0);
	EXPECT_TRUE(dfx_free_epc() < free_before);
	EXPECT_EQ(softsgx_close(dup_fd), 0);
	EXPECT_EQ(dfx_free_epc(), free_before);
	EXPECT_ERRNO(softsgx_close(dup_fd), EBADF);
	munmap(e.reservation, e.reservation_len);
	sgx_measure_free(e.measure);
}
