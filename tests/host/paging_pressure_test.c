/* softsgx-test: threads */
/* SPDX-License-Identifier: MIT */
/*
 * EPC paging under real pressure: enclaves (enclaves/test) several times
 * larger than an EPC of 256 pages, run by real threads. The reclaimer
 * evicts while threads are inside (ETRACK and interrupt rounds), faults
 * reload and EAUG after reclaim instead of SIGBUS, and every byte written
 * reads back, in order and in a scattered order. Each test runs on a fresh
 * platform in a child process.
 */
#include <pthread.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"
#include "test_enclave.h"

#define PAGE 4096ull
#define EPC_PAGES 256ull
#define STRIDE 509 /* prime: visits every page of a power-of-two range once, scattered */

static const struct softsgx_config small_epc = { .epc_size = EPC_PAGES * PAGE };

/* What one thread does: fill its range, then check it in order and scattered. */
struct worker {
	struct softsgx_enclave *e;
	unsigned int tcs;
	uint64_t addr, pages, seed;
	/* results, read by the main thread after the join */
	int fill_exit, check_exit;
	uint64_t fill_ret, bad_in_order, bad_scattered, first_bad;
	struct sgx_enclave_run run; /* of the first operation that did not end in EEXIT */
	pthread_t thread;
};

/* One operation; false if it did not end in EEXIT. */
static bool op(struct worker *w, struct te_call *c)
{
	struct sgx_enclave_run run;

	if (!te_enter(w->e, w->tcs, c, &run) && run.function == TE_EEXIT)
		return true;
	if (!w->run.function)
		w->run = run;
	return false;
}

static void *work(void *arg)
{
	struct worker *w = arg;
	struct te_call fill = { .op = TE_OP_FILL, .arg = { w->addr, w->pages, w->seed, 1 } };
	struct te_call seq = { .op = TE_OP_CHECK, .arg = { w->addr, w->pages, w->seed, 1 } };
	struct te_call scat = { .op = TE_OP_CHECK, .arg = { w->addr, w->pages, w->seed, STRIDE } };

	w->fill_exit = op(w, &fill);
	w->fill_ret = fill.ret;
	w->check_exit = op(w, &seq) && op(w, &scat);
	w->bad_in_order = seq.ret;
	w->bad_scattered = scat.ret;
	w->first_bad = seq.ret ? seq.out[0] : scat.out[0];
	return NULL;
}

static void run_workers(struct worker *w, int n)
{
	int i;

	for (i = 0; i < n; i++)
		ASSERT_EQ(pthread_create(&w[i].thread, NULL, work, &w[i]), 0);
	for (i = 0; i < n; i++)
		pthread_join(w[i].thread, NULL);
	for (i = 0; i < n; i++) {
		if (w[i].run.function)
			harness_fail(__FILE__, __LINE__, "thread %d: function %u vector %u code %#x addr %#llx",
				     i, w[i].run.function, w[i].run.exception_vector,
				     w[i].run.exception_error_code,
				     (unsigned long long)w[i].run.exception_addr);
		EXPECT_TRUE(w[i].fill_exit);
		EXPECT_EQ(w[i].fill_ret, 0);
		EXPECT_TRUE(w[i].check_exit);
		EXPECT_EQ(w[i].bad_in_order, 0);
		EXPECT_EQ(w[i].bad_scattered, 0);
		if (w[i].bad_in_order || w[i].bad_scattered)
			harness_fail(__FILE__, __LINE__, "first bad word at %#llx",
				     (unsigned long long)w[i].first_bad);
	}
}

/* Check every page again from this thread, scattered: what the other thread wrote too. */
static void check_all(struct softsgx_enclave *e, uint64_t addr, uint64_t pages, uint64_t seed)
{
	EXPECT_EQ(te_run(e, 0, TE_OP_CHECK, addr, pages, seed, STRIDE), 0);
}

/* A test enclave with 4x more dynamic pages than the EPC, two threads at once. */
static void oversubscribed_one_enclave(void)
{
	struct softsgx_enclave *e = te_load();
	uint64_t evicted = softsgx_counter(SOFTSGX_CNT_EPC_EVICTED);
	uint64_t reloaded = softsgx_counter(SOFTSGX_CNT_EPC_RELOADED);
	uint64_t sigbus = softsgx_counter(SOFTSGX_CNT_FAULT_SIGBUS), resident, swapped, base;
	struct worker w[2];
	int i;

	ASSERT_TRUE(e);
	base = softsgx_enclave_free_start(e);
	for (i = 0; i < 2; i++)
		w[i] = (struct worker){ .e = e, .tcs = (unsigned int)i, .seed = 0x5eed,
					.addr = base + (uint64_t)i * 2 * EPC_PAGES * PAGE,
					.pages = 2 * EPC_PAGES };
	run_workers(w, 2);
	check_all(e, base, 4 * EPC_PAGES, 0x5eed);
	EXPECT_TRUE(softsgx_counter(SOFTSGX_CNT_EPC_EVICTED) - evicted >= 3 * EPC_PAGES);
	EXPECT_TRUE(softsgx_counter(SOFTSGX_CNT_EPC_RELOADED) - reloaded >= 2 * EPC_PAGES);
	EXPECT_TRUE(softsgx_counter(SOFTSGX_CNT_RECLAIM_BATCHES) > 0);
	/* EAUG under pressure waited for the reclaimer: no fault ended in SIGBUS. */
	EXPECT_EQ(softsgx_counter(SOFTSGX_CNT_FAULT_SIGBUS), sigbus);
	ASSERT_EQ(softsgx_enclave_pages(softsgx_enclave_fd(e), &resident, &swapped), 0);
	EXPECT_TRUE(resident + swapped > 4 * EPC_PAGES);
	EXPECT_TRUE(resident < EPC_PAGES && swapped > 3 * EPC_PAGES);
	softsgx_unload(e);
}

TEST(oversubscribed_enclave_two_threads)
{
	harness_in_child(&small_epc, oversubscribed_one_enclave);
}

/* Two enclaves sharing the EPC, each twice its size, one thread each. */
static void oversubscribed_two_enclaves(void)
{
	struct softsgx_enclave *e[2] = { te_load(), te_load() };
	uint64_t evicted = softsgx_counter(SOFTSGX_CNT_EPC_EVICTED);
	struct worker w[2];
	int i;

	ASSERT_TRUE(e[0] && e[1]);
	for (i = 0; i < 2; i++)
		w[i] = (struct worker){ .e = e[i], .tcs = 0, .seed = 0xe0 + (uint64_t)i,
					.addr = softsgx_enclave_free_start(e[i]), .pages = 2 * EPC_PAGES };
	run_workers(w, 2);
	for (i = 0; i < 2; i++)
		check_all(e[i], w[i].addr, w[i].pages, w[i].seed);
	EXPECT_TRUE(softsgx_counter(SOFTSGX_CNT_EPC_EVICTED) - evicted >= 3 * EPC_PAGES);
	softsgx_unload(e[0]);
	softsgx_unload(e[1]);
}

TEST(oversubscribed_two_enclaves)
{
	harness_in_child(&small_epc, oversubscribed_two_enclaves);
}

/*
 * An SGX2 ioctl (@cmd: RESTRICT to @arg permissions, MODIFY to @arg type,
 * REMOVE) over [offset, offset + len) as a runtime issues it: a call that
 * stops at a page with EAGAIN (or, for REMOVE, EBUSY) is retried from
 * offset + count. Return: the bytes done in the end.
 */
static uint64_t sgx2_until_done(int fd, unsigned long cmd, uint64_t offset, uint64_t len,
				uint64_t arg)
{
	uint64_t c = 0, count;
	int calls, ret;

	for (calls = 0; c < len && calls < 1000; calls++) {
		struct sgx_enclave_restrict_permissions rp = { .offset = offset + c, .length = len - c,
							       .permissions = arg };
		struct sgx_enclave_modify_types mt = { .offset = offset + c, .length = len - c,
						       .page_type = arg };
		struct sgx_enclave_remove_pages rm = { .offset = offset + c, .length = len - c };

		if (cmd == SGX_IOC_ENCLAVE_RESTRICT_PERMISSIONS)
			ret = softsgx_ioctl(fd, cmd, &rp), count = rp.count;
		else if (cmd == SGX_IOC_ENCLAVE_MODIFY_TYPES)
			ret = softsgx_ioctl(fd, cmd, &mt), count = mt.count;
		else
			ret = softsgx_ioctl(fd, cmd, &rm), count = rm.count;
		if (ret)
			EXPECT_TRUE(errno == EAGAIN || (errno == EBUSY && cmd == SGX_IOC_ENCLAVE_REMOVE_PAGES));
		c += count;
	}
	return c;
}

/* EACCEPT with @flags of @pages pages from @addr on TCS @tcs. Return: how many were accepted. */
static uint64_t accept_all(struct softsgx_enclave *e, unsigned int tcs, uint64_t addr,
			   uint64_t pages, uint64_t flags)
{
	uint64_t c;

	for (c = 0; c < pages && !te_run(e, tcs, TE_OP_EACCEPT, flags, addr + c * PAGE); c++)
		;
	return c;
}

/*
 * The SGX2 ioctls on a range mostly swapped out: each page is reloaded (or
 * the call stops with EAGAIN/EBUSY and count, and the retry from offset +
 * count goes on); the data survives RESTRICT, and trimming and removing
 * the whole range gives its pages back.
 */
static void sgx2_on_evicted_range(void)
{
	struct softsgx_enclave *e = te_load();
	const uint64_t pages = 2 * EPC_PAGES, len = pages * PAGE;
	uint64_t base, offset, resident, swapped, before;
	int fd;

	ASSERT_TRUE(e);
	fd = softsgx_enclave_fd(e);
	base = softsgx_enclave_free_start(e);
	offset = base - softsgx_enclave_base(e);
	ASSERT_EQ(te_run(e, 0, TE_OP_FILL, base, pages, 7, 1), 0);
	ASSERT_EQ(softsgx_enclave_pages(fd, &before, &swapped), 0);
	before += swapped;
	EXPECT_TRUE(swapped > EPC_PAGES);
	/* RESTRICT to R (then accepted: EACCEPT with PR); the contents stay. */
	EXPECT_EQ(sgx2_until_done(fd, SGX_IOC_ENCLAVE_RESTRICT_PERMISSIONS, offset, len,
				  SGX_SECINFO_R), len);
	EXPECT_EQ(accept_all(e, 1, base, pages, SGX_SECINFO_REG | SGX_SECINFO_R | SGX_SECINFO_PR),
		  pages);
	EXPECT_EQ(te_run(e, 1, TE_OP_CHECK, base, pages, 7, STRIDE), 0);
	/* Trim, accept, remove: all of it. */
	EXPECT_EQ(sgx2_until_done(fd, SGX_IOC_ENCLAVE_MODIFY_TYPES, offset, len, SGX_PAGE_TYPE_TRIM),
		  len);
	EXPECT_EQ(accept_all(e, 0, base, pages, SGX_SECINFO_TRIM | SGX_SECINFO_MODIFIED), pages);
	EXPECT_EQ(sgx2_until_done(fd, SGX_IOC_ENCLAVE_REMOVE_PAGES, offset, len, 0), len);
	ASSERT_EQ(softsgx_enclave_pages(fd, &resident, &swapped), 0);
	EXPECT_EQ(resident + swapped, before - pages);
	EXPECT_EQ(te_run(e, 0, TE_OP_RDSELF), softsgx_enclave_base(e));
	softsgx_unload(e);
}

TEST(sgx2_ioctls_on_evicted_range)
{
	harness_in_child(&small_epc, sgx2_on_evicted_range);
}

/*
 * An enclave whose added memory alone is as large as the EPC (a thread's
 * stack of 256 pages, measured) loads and initializes; then that memory is
 * trimmed, accepted by the other thread and removed in one REMOVE_PAGES
 * range (a page a reclaim batch holds just then would be EBUSY: retried).
 */
static void heap_as_large_as_epc(void)
{
	struct softsgx_load_options opts = { .nr_tcs = 2, .stack_pages = EPC_PAGES };
	struct softsgx_enclave *e = NULL;
	uint64_t start, offset, len = EPC_PAGES * PAGE, resident, swapped, before;
	int fd;

	ASSERT_EQ(softsgx_load_file(SOFTSGX_TEST_ENCLAVE, &opts, &e), 0);
	EXPECT_TRUE(softsgx_counter(SOFTSGX_CNT_EPC_EVICTED) > EPC_PAGES);
	fd = softsgx_enclave_fd(e);
	start = softsgx_enclave_tcs(e, 0) + SOFTSGX_LOAD_STACK_OFFSET;
	offset = start - softsgx_enclave_base(e);
	ASSERT_EQ(sgx2_until_done(fd, SGX_IOC_ENCLAVE_MODIFY_TYPES, offset, len, SGX_PAGE_TYPE_TRIM),
		  len);
	ASSERT_EQ(accept_all(e, 1, start, EPC_PAGES, SGX_SECINFO_TRIM | SGX_SECINFO_MODIFIED),
		  EPC_PAGES);
	ASSERT_EQ(softsgx_enclave_pages(fd, &before, &swapped), 0);
	before += swapped;
	EXPECT_EQ(sgx2_until_done(fd, SGX_IOC_ENCLAVE_REMOVE_PAGES, offset, len, 0), len);
	ASSERT_EQ(softsgx_enclave_pages(fd, &resident, &swapped), 0);
	EXPECT_EQ(resident + swapped, before - EPC_PAGES);
	EXPECT_EQ(te_run(e, 1, TE_OP_RDSELF), softsgx_enclave_base(e));
	softsgx_unload(e);
}

TEST(heap_as_large_as_epc_built_then_removed)
{
	harness_in_child(&small_epc, heap_as_large_as_epc);
}

/*
 * A program that exits while the reclaimer is writing pages back exits
 * with its own status: exit() runs libcrypto's cleanup, and an EWB after
 * it would abort the process. Each child fills an enclave twice the EPC
 * and calls exit(0) at once, with the reclaimer still catching up.
 */
static void exit_while_reclaiming(void)
{
	struct softsgx_enclave *e = te_load();

	if (!e || te_run(e, 0, TE_OP_FILL, softsgx_enclave_free_start(e), 2 * EPC_PAGES, 9, 1))
		_exit(3);
	exit(0); /* atexit handlers, the enclave still loaded */
}

TEST(exit_while_reclaiming_exits_cleanly)
{
	int i, status, bad = 0;

	for (i = 0; i < 20; i++) {
		pid_t pid = fork();

		if (pid == 0) {
			if (softsgx_configure(&small_epc))
				_exit(4);
			exit_while_reclaiming();
		}
		ASSERT_TRUE(pid > 0);
		ASSERT_EQ(waitpid(pid, &status, 0), pid);
		if (!WIFEXITED(status) || WEXITSTATUS(status)) {
			harness_fail(__FILE__, __LINE__, "child %d: %s %d", i,
				     WIFSIGNALED(status) ? "signal" : "status",
				     WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status));
			bad++;
		}
	}
	EXPECT_EQ(bad, 0);
}
