/* softsgx-test: full-epc */
/* SPDX-License-Identifier: MIT */
/*
 * EPC paging in the driver, page by page: eviction (EWB) and reload (ELDU)
 * of chosen pages, the SECS with its last child, VA pages, the backing
 * store's layout and integrity, and the SGX2 ioctls meeting pages that are
 * swapped out or held by a reclaim batch. Pages are evicted on purpose
 * (sgx_encl_evict_page(), the reclaimer's own path) while no thread is
 * inside, so no interrupt is needed; the reclaimer under real pressure is
 * tests/host/paging_test.c.
 */
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common.h"

static struct sgx_encl *encl_of(struct dfx_encl *e)
{
	struct sgx_encl *encl = sgx_encl_from_fd(sgx_platform_get(), e->fd);

	sgx_encl_put(encl); /* the fd keeps it */
	return encl;
}

static int evict(struct dfx_encl *e, uint64_t offset)
{
	struct sgx_platform *plat = sgx_platform_get();
	int ret;

	pthread_rwlock_rdlock(&plat->mmap_lock);
	ret = sgx_encl_evict_page(encl_of(e), e->base + offset);
	pthread_rwlock_unlock(&plat->mmap_lock);
	return ret;
}

static struct sgx_encl_page *isolate(struct dfx_encl *e, uint64_t offset, bool being_reclaimed)
{
	struct sgx_platform *plat = sgx_platform_get();
	struct sgx_encl_page *page = NULL;

	pthread_rwlock_rdlock(&plat->mmap_lock);
	EXPECT_EQ(sgx_encl_isolate_page(encl_of(e), e->base + offset, being_reclaimed, &page), 0);
	pthread_rwlock_unlock(&plat->mmap_lock);
	return page;
}

static void release(struct sgx_encl_page *page, bool write)
{
	struct sgx_platform *plat = sgx_platform_get();

	pthread_rwlock_rdlock(&plat->mmap_lock);
	EXPECT_EQ(sgx_reclaim_isolated(page, write), 0);
	pthread_rwlock_unlock(&plat->mmap_lock);
}

static uint64_t pages(struct dfx_encl *e, bool swapped)
{
	uint64_t n[2] = { ~0ull, ~0ull };

	EXPECT_EQ(softsgx_enclave_pages(e->fd, &n[0], &n[1]), 0);
	return n[swapped];
}

/* Byte offsets in the backing store, as Linux lays out its shmem file. */
static off_t backing_page(struct dfx_encl *e, uint64_t offset)
{
	(void)e;
	return (off_t)offset;
}

static off_t backing_pcmd(struct dfx_encl *e, uint64_t offset)
{
	return (off_t)(e->size + PAGE + offset / PAGE * sizeof(struct sgx_pcmd));
}

/*
 * Enter through @tcs, access @offset, leave: the result of the access (an
 * exception leaves the TCS one SSA frame deeper).
 */
static int access_once(struct dfx_encl *e, uint64_t tcs, uint64_t offset, uint32_t access,
		       struct sgx_exception *exc)
{
	struct dfx_thread t;
	int ret;

	dfx_thread_init(&t);
	ret = dfx_enter(&t, e, tcs);
	if (ret == SGX_SUCCESS) {
		ret = dfx_access(&t, dfx_la(e, offset), access);
		if (exc)
			*exc = t.exc;
		if (ret == SGX_SUCCESS)
			EXPECT_SGX(dfx_exit(&t), SGX_SUCCESS);
	}
	dfx_thread_fini(&t);
	return ret;
}

/* An evicted page loses its EPC page and host memory; the next access brings back every byte. */
TEST_BUILT(evict_then_fault_reloads_contents)
{
	uint64_t evicted = DFX_COUNT(SOFTSGX_CNT_EPC_EVICTED), reloaded = DFX_COUNT(SOFTSGX_CNT_EPC_RELOADED);
	uint64_t *mem = dfx_mem(e, DFX_DATA), resident = pages(e, false);
	size_t free0 = dfx_free_epc(), i;
	struct sgx_epcm_info before = dfx_epcm(e, DFX_DATA), after;

	for (i = 0; i < PAGE / 8; i++)
		mem[i] = 0xda7a000000000000ull + i;
	ASSERT_EQ(evict(e, DFX_DATA), 0);
	EXPECT_EQ(DFX_COUNT(SOFTSGX_CNT_EPC_EVICTED), evicted + 1);
	EXPECT_EQ(dfx_free_epc(), free0 + 1);
	EXPECT_TRUE(!dfx_epcm(e, DFX_DATA).valid);
	EXPECT_EQ(mem[1], 0); /* the host memory went back (a hole in the memory file) */
	EXPECT_EQ(pages(e, false), resident - 1);
	EXPECT_EQ(pages(e, true), 1);
	EXPECT_EQ(evict(e, DFX_DATA), -EFAULT); /* nothing resident there any more */
	ASSERT_SGX(access_once(e, DFX_TCS0, DFX_DATA, 0, NULL), SGX_SUCCESS);
	EXPECT_EQ(DFX_COUNT(SOFTSGX_CNT_EPC_RELOADED), reloaded + 1);
	EXPECT_EQ(dfx_free_epc(), free0);
	EXPECT_EQ(pages(e, true), 0);
	for (i = 0; i < PAGE / 8 && mem[i] == 0xda7a000000000000ull + i; i++)
		;
	EXPECT_EQ(i, PAGE / 8);
	after = dfx_epcm(e, DFX_DATA);
	EXPECT_TRUE(after.valid && !after.blocked);
	EXPECT_EQ(after.perm, before.perm);
	EXPECT_EQ(after.type, before.type);
	EXPECT_EQ(after.linaddr, before.linaddr);
}

/* The SECS goes with the enclave's last resident page, and comes back first. */
TEST_BUILT(secs_evicted_with_last_child_reloaded_first)
{
	static const uint64_t added[] = { DFX_TCS0, DFX_TCS1, DFX_SSA0, DFX_SSA0 + PAGE,
					  DFX_SSA1, DFX_SSA1 + PAGE, DFX_CODE, DFX_DATA,
					  DFX_DATA + PAGE, DFX_DATA + 2 * PAGE, DFX_RODATA };
	uint64_t evicted = DFX_COUNT(SOFTSGX_CNT_EPC_EVICTED);
	size_t free0 = dfx_free_epc(), i;

	for (i = 0; i < sizeof(added) / sizeof(added[0]); i++)
		ASSERT_EQ(evict(e, added[i]), 0);
	EXPECT_EQ(pages(e, false), 0);
	EXPECT_EQ(DFX_COUNT(SOFTSGX_CNT_EPC_EVICTED), evicted + 11 + 1);
	EXPECT_EQ(dfx_free_epc(), free0 + 11 + 1); /* the VA page stays */
	EXPECT_EQ(encl_of(e)->secs_epc, 0);
	ASSERT_SGX(access_once(e, DFX_TCS0, DFX_DATA, SGX_PF_W, NULL), SGX_SUCCESS);
	EXPECT_TRUE(encl_of(e)->secs_epc != 0);
	EXPECT_EQ(dfx_epcm(e, DFX_TCS0).type, SGX_PAGE_TYPE_TCS);
}

/* One VA page per 512 pages, the SECS counted: CREATE takes two EPC pages, page 512 another VA. */
TEST(va_page_every_512_pages)
{
	struct dfx_encl *e = calloc(1, sizeof(*e));
	size_t free0 = dfx_free_epc();

	ASSERT_EQ(dfx_create(e, 4ull << 20, 0), 0);
	EXPECT_EQ(free0 - dfx_free_epc(), 2);
	EXPECT_EQ(dfx_add(e, 0, 511 * PAGE, NULL, REG_RW, false), 0);
	EXPECT_EQ(free0 - dfx_free_epc(), 2 + 511);
	EXPECT_EQ(dfx_add(e, 511 * PAGE, PAGE, NULL, REG_RW, false), 0);
	EXPECT_EQ(free0 - dfx_free_epc(), 2 + 512 + 1);
	dfx_close(e);
	EXPECT_EQ(dfx_free_epc(), free0);
}

/* The SGX2 ioctls reload swapped-out pages of their range and finish it. */
TEST_BUILT(restrict_on_evicted_range_reloads)
{
	struct sgx_enclave_restrict_permissions rp;
	uint64_t reloaded = DFX_COUNT(SOFTSGX_CNT_EPC_RELOADED);

	ASSERT_EQ(evict(e, DFX_DATA), 0);
	ASSERT_EQ(evict(e, DFX_DATA + 2 * PAGE), 0);
	EXPECT_EQ(dfx_restrict(e, DFX_DATA, 3 * PAGE, SGX_SECINFO_R, &rp), 0);
	EXPECT_EQ(rp.count, 3 * PAGE);
	EXPECT_EQ(DFX_COUNT(SOFTSGX_CNT_EPC_RELOADED), reloaded + 2);
	EXPECT_TRUE(dfx_epcm(e, DFX_DATA).pr && dfx_epcm(e, DFX_DATA + 2 * PAGE).pr);
	EXPECT_EQ(dfx_epcm(e, DFX_DATA + 2 * PAGE).perm, SGX_SECINFO_R);
}

/*
 * A page a reclaim batch is writing back is EAGAIN for RESTRICT, with
 * count covering the pages before it; once the batch is done the retry
 * from offset + count reloads the page and completes.
 */
TEST_BUILT(restrict_being_reclaimed_eagain_then_retry)
{
	struct sgx_enclave_restrict_permissions rp;
	struct sgx_encl_page *page = isolate(e, DFX_DATA + PAGE, true);

	ASSERT_TRUE(page);
	EXPECT_ERRNO(dfx_restrict(e, DFX_DATA, 3 * PAGE, SGX_SECINFO_R, &rp), EAGAIN);
	EXPECT_EQ(rp.count, PAGE);
	EXPECT_EQ(rp.result, 0);
	EXPECT_TRUE(dfx_epcm(e, DFX_DATA).pr);
	EXPECT_TRUE(!dfx_epcm(e, DFX_DATA + 2 * PAGE).pr);
	release(page, true);
	EXPECT_TRUE(!dfx_epcm(e, DFX_DATA + PAGE).valid);
	EXPECT_EQ(dfx_restrict(e, DFX_DATA + rp.count, 3 * PAGE - rp.count, SGX_SECINFO_R, &rp), 0);
	EXPECT_EQ(rp.count, 2 * PAGE);
	EXPECT_TRUE(dfx_epcm(e, DFX_DATA + PAGE).pr && dfx_epcm(e, DFX_DATA + 2 * PAGE).pr);
}

/* MODIFY_TYPES: EAGAIN for a page being written back, and for REG->TCS of a page a batch holds. */
TEST_BUILT(modify_types_reclaim_eagain_then_retry)
{
	struct sgx_enclave_modify_types mt;
	struct sgx_encl_page *page = isolate(e, DFX_DATA, true);

	ASSERT_TRUE(page);
	EXPECT_ERRNO(dfx_modify(e, DFX_DATA, PAGE, SGX_PAGE_TYPE_TRIM, &mt), EAGAIN);
	EXPECT_EQ(mt.count, 0);
	release(page, false); /* the batch gives it back unwritten */
	page = isolate(e, DFX_DATA, false);
	ASSERT_TRUE(page);
	EXPECT_ERRNO(dfx_modify(e, DFX_DATA, PAGE, SGX_PAGE_TYPE_TCS, &mt), EAGAIN);
	EXPECT_EQ(mt.count, 0);
	EXPECT_EQ(dfx_epcm(e, DFX_DATA).type, SGX_PAGE_TYPE_REG);
	release(page, false);
	EXPECT_EQ(dfx_modify(e, DFX_DATA, PAGE, SGX_PAGE_TYPE_TCS, &mt), 0);
	EXPECT_EQ(mt.count, PAGE);
}

/* REMOVE_PAGES: a trimmed, accepted page that a batch holds is EBUSY; swapped out, it is reloaded. */
TEST_ENTERED(remove_pages_reclaim_ebusy_then_retry)
{
	struct sgx_enclave_remove_pages rm;
	struct sgx_encl_page *page;
	struct dfx_thread u;

	ASSERT_TRUE(dfx_eaug_accept(t, e, DFX_FREE, 2));
	ASSERT_SGX(dfx_exit(t), SGX_SUCCESS);
	ASSERT_EQ(dfx_modify(e, DFX_FREE, 2 * PAGE, SGX_PAGE_TYPE_TRIM, NULL), 0);
	/* A thread that enters after the ioctl (tracking complete) accepts the trim. */
	dfx_thread_init(&u);
	ASSERT_SGX(dfx_enter(&u, e, DFX_TCS1), SGX_SUCCESS);
	EXPECT_SGX(dfx_eaccept(&u, dfx_secinfo(e, 0, TRIM_M), dfx_la(e, DFX_FREE)), SGX_SUCCESS);
	EXPECT_SGX(dfx_eaccept(&u, dfx_secinfo(e, 0, TRIM_M), dfx_la(e, DFX_FREE + PAGE)), SGX_SUCCESS);
	EXPECT_SGX(dfx_exit(&u), SGX_SUCCESS);
	dfx_thread_fini(&u);
	ASSERT_EQ(evict(e, DFX_FREE), 0);
	page = isolate(e, DFX_FREE + PAGE, false);
	ASSERT_TRUE(page);
	EXPECT_ERRNO(dfx_remove(e, DFX_FREE, 2 * PAGE, &rm), EBUSY);
	EXPECT_EQ(rm.count, PAGE); /* the swapped-out page came back and went */
	release(page, false);
	EXPECT_EQ(dfx_remove(e, DFX_FREE + rm.count, 2 * PAGE - rm.count, &rm), 0);
	EXPECT_EQ(rm.count, PAGE);
	EXPECT_EQ(pages(e, true), 0);
}

/* A modified page in the backing store is refused at reload; the enclave's other pages are not. */
static void tamper_then_access(struct dfx_encl *e, off_t where)
{
	uint64_t failed = DFX_COUNT(SOFTSGX_CNT_EPC_RELOAD_FAILED), word;
	struct sgx_enclave_restrict_permissions rp;
	struct sgx_exception exc;
	uint8_t byte;
	int fd;

	ASSERT_EQ(evict(e, DFX_DATA), 0);
	fd = encl_of(e)->backing_fd;
	ASSERT_EQ(pread(fd, &byte, 1, where), 1);
	byte ^= 0x01;
	ASSERT_EQ(pwrite(fd, &byte, 1, where), 1);
	/* A fault: SIGBUS, the vDSO's #PF with the plain hardware code. */
	EXPECT_EQ(access_once(e, DFX_TCS0, DFX_DATA, 0, &exc), DFX_EXCEPTION);
	EXPECT_EQ(exc.vector, SGX_VEC_PF);
	EXPECT_TRUE(!(exc.error_code & SGX_PF_SGX));
	EXPECT_EQ(DFX_COUNT(SOFTSGX_CNT_EPC_RELOAD_FAILED), failed + 1);
	/* The page stays refused, by an ioctl (EFAULT) and a debugger (EFAULT) as well. */
	EXPECT_EQ(access_once(e, DFX_TCS0, DFX_DATA, SGX_PF_W, NULL), DFX_EXCEPTION);
	/* (TCS0 has used both its SSA frames now.) */
	EXPECT_ERRNO(dfx_restrict(e, DFX_DATA, PAGE, SGX_SECINFO_R, &rp), EFAULT);
	EXPECT_EQ(rp.count, 0);
	EXPECT_EQ(rp.result, 0);
	EXPECT_ERRNO(softsgx_access_vm(dfx_ptr(e, DFX_DATA), &word, 8, 0), EFAULT);
	/* Everything else works. */
	EXPECT_SGX(access_once(e, DFX_TCS1, DFX_DATA + PAGE, SGX_PF_W, NULL), SGX_SUCCESS);
	ASSERT_EQ(evict(e, DFX_DATA + 2 * PAGE), 0);
	EXPECT_SGX(access_once(e, DFX_TCS1, DFX_DATA + 2 * PAGE, 0, NULL), SGX_SUCCESS);
	EXPECT_EQ(softsgx_access_vm(dfx_ptr(e, DFX_RODATA), &word, 8, 0), 8);
}

TEST_BUILT(tampered_backing_page_refused)
{
	tamper_then_access(e, backing_page(e, DFX_DATA) + 100);
}

TEST_BUILT(tampered_pcmd_refused)
{
	tamper_then_access(e, backing_pcmd(e, DFX_DATA) + 112); /* the MAC */
}

/* An older eviction of a page, put back in place of the newer, is refused (the VA slot's version). */
TEST_BUILT(replayed_page_refused)
{
	uint8_t old_page[PAGE], old_pcmd[sizeof(struct sgx_pcmd)];
	uint64_t failed = DFX_COUNT(SOFTSGX_CNT_EPC_RELOAD_FAILED);
	int fd = encl_of(e)->backing_fd;

	ASSERT_EQ(evict(e, DFX_DATA), 0);
	ASSERT_EQ(pread(fd, old_page, PAGE, backing_page(e, DFX_DATA)), (ssize_t)PAGE);
	ASSERT_EQ(pread(fd, old_pcmd, sizeof(old_pcmd), backing_pcmd(e, DFX_DATA)), (ssize_t)sizeof(old_pcmd));
	ASSERT_SGX(access_once(e, DFX_TCS0, DFX_DATA, SGX_PF_W, NULL), SGX_SUCCESS);
	ASSERT_EQ(evict(e, DFX_DATA), 0);
	ASSERT_EQ(pwrite(fd, old_page, PAGE, backing_page(e, DFX_DATA)), (ssize_t)PAGE);
	ASSERT_EQ(pwrite(fd, old_pcmd, sizeof(old_pcmd), backing_pcmd(e, DFX_DATA)), (ssize_t)sizeof(old_pcmd));
	EXPECT_EQ(access_once(e, DFX_TCS0, DFX_DATA, 0, NULL), DFX_EXCEPTION);
	EXPECT_EQ(DFX_COUNT(SOFTSGX_CNT_EPC_RELOAD_FAILED), failed + 1);
}

/* After a reload Linux truncates the backing page and clears the PCMD entry. */
TEST_BUILT(reload_clears_backing)
{
	int fd = encl_of(e)->backing_fd;
	uint8_t buf[sizeof(struct sgx_pcmd)], zero[sizeof(buf)] = { 0 };
	struct stat st;

	ASSERT_EQ(evict(e, DFX_DATA), 0);
	ASSERT_EQ(pread(fd, buf, sizeof(buf), backing_pcmd(e, DFX_DATA)), (ssize_t)sizeof(buf));
	EXPECT_TRUE(memcmp(buf, zero, sizeof(buf)) != 0);
	ASSERT_EQ(fstat(fd, &st), 0);
	EXPECT_TRUE(st.st_blocks > 0);
	ASSERT_SGX(access_once(e, DFX_TCS0, DFX_DATA, 0, NULL), SGX_SUCCESS);
	ASSERT_EQ(pread(fd, buf, sizeof(buf), backing_pcmd(e, DFX_DATA)), (ssize_t)sizeof(buf));
	EXPECT_EQ(memcmp(buf, zero, sizeof(buf)), 0);
	ASSERT_EQ(fstat(fd, &st), 0);
	EXPECT_EQ(st.st_blocks, 0); /* the page and the PCMD page (no other entry) are holes again */
}

/* The backing store is as large as Linux's: ELRANGE and the SECS, and 1/32 of that for PCMD. */
TEST_BUILT(backing_store_size)
{
	struct stat st;

	ASSERT_EQ(fstat(encl_of(e)->backing_fd, &st), 0);
	EXPECT_EQ((uint64_t)st.st_size, e->size + PAGE + (e->size + PAGE) / 32);
}

/* Each EWB and ELDU of the driver is an event of the trace, with the page and its backing index. */
TEST_BUILT(paging_events_in_trace)
{
	char path[] = "/tmp/softsgx-paging-trace-XXXXXX", *text;
	int fd = mkstemp(path);
	FILE *f;
	long len;

	ASSERT_TRUE(fd >= 0);
	close(fd);
	ASSERT_EQ(softsgx_trace_open(path), 0);
	ASSERT_EQ(evict(e, DFX_DATA), 0);
	ASSERT_SGX(access_once(e, DFX_TCS0, DFX_DATA, 0, NULL), SGX_SUCCESS);
	ASSERT_EQ(softsgx_trace_close(), 0);
	f = fopen(path, "r");
	ASSERT_TRUE(f);
	fseek(f, 0, SEEK_END);
	len = ftell(f);
	rewind(f);
	text = calloc(1, (size_t)len + 1);
	ASSERT_EQ(fread(text, 1, (size_t)len, f), (size_t)len);
	fclose(f);
	unlink(path);
	EXPECT_TRUE(strstr(text, "\"EWB (evict)\"") != NULL);
	EXPECT_TRUE(strstr(text, "\"ELDU (reload)\"") != NULL);
	EXPECT_TRUE(strstr(text, "\"backing_index\":7") != NULL); /* DFX_DATA is page 7 */
	free(text);
}

/* softsgx_enclave_pages(): EBADF (no descriptor), ENOTTY (not an enclave's), EFAULT. */
TEST_BUILT(enclave_pages_errors)
{
	int prov = softsgx_open("/dev/sgx_provision", O_RDWR);
	void *bad = dfx_unreadable();
	uint64_t resident;

	EXPECT_ERRNO(softsgx_enclave_pages(-1, &resident, NULL), EBADF);
	EXPECT_ERRNO(softsgx_enclave_pages(STDIN_FILENO, &resident, NULL), ENOTTY);
	EXPECT_ERRNO(softsgx_enclave_pages(prov, &resident, NULL), ENOTTY);
	EXPECT_ERRNO(softsgx_enclave_pages(e->fd, (uint64_t *)8, NULL), EFAULT);
	EXPECT_ERRNO(softsgx_enclave_pages(e->fd, NULL, bad), EFAULT);
	EXPECT_EQ(softsgx_enclave_pages(e->fd, NULL, NULL), 0);
	dfx_page_free(bad);
	softsgx_close(prov);
}

/*
 * EWB meets an open tracking cycle: a thread entered before the last ETRACK
 * is still inside, so the reclaimer's own ETRACK is SGX_PREV_TRK_INCMPL.
 * The interrupt round comes first, then a new cycle: the page is written
 * back (where Linux's last EWB would fail and lose it).
 */
TEST_FLOW(ewb_after_open_tracking_cycle)
{
	struct sgx_platform *plat = sgx_platform_get();
	struct dfx_ipi ipi = { .aex = true };
	uint64_t rounds = DFX_COUNT(SOFTSGX_CNT_PAGING_IPI);

	dfx_ipi_add(&ipi, t);
	dfx_ipi_install(&ipi);
	/* t is inside: an ETRACK now leaves its cycle open. */
	ASSERT_SGX(encls_etrack(sgx_current_lp(plat), encl_of(e)->secs_epc), SGX_SUCCESS);
	EXPECT_EQ(evict(e, DFX_DATA), 0);
	EXPECT_TRUE(!dfx_epcm(e, DFX_DATA).valid);
	EXPECT_EQ(t->interrupted, 1);
	EXPECT_EQ(DFX_COUNT(SOFTSGX_CNT_PAGING_IPI), rounds + 1);
	/* Back inside, the page comes back on its access. */
	ASSERT_SGX(dfx_resume(t), SGX_SUCCESS);
	EXPECT_SGX(dfx_access(t, dfx_la(e, DFX_DATA), SGX_PF_W), SGX_SUCCESS);
}
