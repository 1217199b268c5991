/* softsgx-test: full-epc */
/* SPDX-License-Identifier: MIT */
/*
 * The hostile platform (docs/injection.md), point by point: each injected
 * result arrives where its real cause would strike and leaves the state
 * that cause leaves (partial count, pages before the stop changed, pages
 * after it untouched, EPCM, counters), and the retry a runtime makes then
 * completes. The specification's "#k" (the k-th call of the point in this
 * thread) picks the moment. Each test configures a fresh platform in a
 * child process; nothing here may make one in the parent.
 */
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "common.h"
#include "softsgx/loader.h"

#define INJECTED(point) DFX_COUNT(SOFTSGX_CNT_INJECT_##point)

static void in_child(const char *spec, void (*body)(void))
{
	struct softsgx_config cfg = { .inject = spec };

	harness_in_child(&cfg, body);
}

#define INJECT_TEST(name, spec)                 \
	static void name##_body(void);          \
	TEST(name)                              \
	{                                       \
		in_child(spec, name##_body);    \
	}                                       \
	static void name##_body(void)

static struct sgx_encl *encl_of(struct dfx_encl *e)
{
	struct sgx_encl *encl = sgx_encl_from_fd(sgx_platform_get(), e->fd);

	sgx_encl_put(encl); /* the fd keeps it */
	return encl;
}

/* Enter through TCS 0, EACCEPT @flags at @offset, leave: EACCEPT's result. */
static int accept_once(struct dfx_encl *e, uint64_t offset, uint64_t flags)
{
	struct dfx_thread t;
	int ret;

	dfx_thread_init(&t);
	ret = dfx_enter(&t, e, DFX_TCS0);
	if (ret == SGX_SUCCESS) {
		ret = dfx_eaccept(&t, dfx_secinfo(e, 0, flags), dfx_la(e, offset));
		EXPECT_SGX(dfx_exit(&t), SGX_SUCCESS);
	}
	dfx_thread_fini(&t);
	return ret;
}

/* restrict.eagain at page 3 of 3: count = 2 pages, those restricted, the third untouched. */
INJECT_TEST(restrict_eagain_stops_at_page, "restrict.eagain=#3")
{
	struct dfx_encl *e = dfx_build();
	struct sgx_enclave_restrict_permissions rp;

	ASSERT_TRUE(e);
	EXPECT_ERRNO(dfx_restrict(e, DFX_DATA, 3 * PAGE, SGX_SECINFO_R, &rp), EAGAIN);
	EXPECT_EQ(rp.count, 2 * PAGE);
	EXPECT_EQ(rp.result, 0);
	EXPECT_TRUE(dfx_epcm(e, DFX_DATA).pr && dfx_epcm(e, DFX_DATA + PAGE).pr);
	EXPECT_TRUE(!dfx_epcm(e, DFX_DATA + 2 * PAGE).pr);
	EXPECT_EQ(dfx_epcm(e, DFX_DATA + 2 * PAGE).perm, SGX_SECINFO_R | SGX_SECINFO_W);
	EXPECT_EQ(INJECTED(RESTRICT_EAGAIN), 1);
	EXPECT_EQ(dfx_restrict(e, DFX_DATA + rp.count, 3 * PAGE - rp.count, SGX_SECINFO_R, &rp), 0);
	EXPECT_EQ(rp.count, PAGE);
	EXPECT_TRUE(dfx_epcm(e, DFX_DATA + 2 * PAGE).pr);
}

/* modify.eagain at page 2: page 1 is TRIM (MODIFIED), page 2 still REG. */
INJECT_TEST(modify_eagain_stops_at_page, "modify.eagain=#2")
{
	struct dfx_encl *e = dfx_build();
	struct sgx_enclave_modify_types mt;

	ASSERT_TRUE(e);
	EXPECT_ERRNO(dfx_modify(e, DFX_DATA, 2 * PAGE, SGX_PAGE_TYPE_TRIM, &mt), EAGAIN);
	EXPECT_EQ(mt.count, PAGE);
	EXPECT_EQ(dfx_epcm(e, DFX_DATA).type, SGX_PAGE_TYPE_TRIM);
	EXPECT_TRUE(dfx_epcm(e, DFX_DATA).modified);
	EXPECT_EQ(dfx_epcm(e, DFX_DATA + PAGE).type, SGX_PAGE_TYPE_REG);
	EXPECT_EQ(dfx_modify(e, DFX_DATA + PAGE, PAGE, SGX_PAGE_TYPE_TRIM, &mt), 0);
	EXPECT_EQ(dfx_epcm(e, DFX_DATA + PAGE).type, SGX_PAGE_TYPE_TRIM);
}

/*
 * REMOVE_PAGES of three trimmed, accepted pages: remove.ebusy at the first
 * page (count 0, the page still there), then remove.eagain at the second
 * page of the retry (count 1 page); the last retry completes.
 */
INJECT_TEST(remove_ebusy_then_eagain, "remove.ebusy=#1,remove.eagain=#3")
{
	struct dfx_thread t;
	struct dfx_encl *e;
	struct sgx_enclave_remove_pages rm;
	int i;

	dfx_thread_init(&t);
	e = dfx_build_entered(&t);
	ASSERT_TRUE(e);
	ASSERT_TRUE(dfx_eaug_accept(&t, e, DFX_FREE, 3));
	ASSERT_SGX(dfx_exit(&t), SGX_SUCCESS);
	dfx_thread_fini(&t);
	ASSERT_EQ(dfx_modify(e, DFX_FREE, 3 * PAGE, SGX_PAGE_TYPE_TRIM, NULL), 0);
	for (i = 0; i < 3; i++)
		ASSERT_SGX(accept_once(e, DFX_FREE + i * PAGE, TRIM_M), SGX_SUCCESS);
	EXPECT_ERRNO(dfx_remove(e, DFX_FREE, 3 * PAGE, &rm), EBUSY);
	EXPECT_EQ(rm.count, 0);
	EXPECT_TRUE(dfx_epcm(e, DFX_FREE).valid);
	EXPECT_ERRNO(dfx_remove(e, DFX_FREE, 3 * PAGE, &rm), EAGAIN);
	EXPECT_EQ(rm.count, PAGE);
	EXPECT_TRUE(!dfx_epcm(e, DFX_FREE).valid && dfx_epcm(e, DFX_FREE + PAGE).valid);
	EXPECT_EQ(dfx_remove(e, DFX_FREE + PAGE, 2 * PAGE, &rm), 0);
	EXPECT_EQ(rm.count, 2 * PAGE);
	EXPECT_TRUE(!dfx_epcm(e, DFX_FREE + 2 * PAGE).valid);
	EXPECT_EQ(INJECTED(REMOVE_EBUSY), 1);
	EXPECT_EQ(INJECTED(REMOVE_EAGAIN), 1);
}

/* EMODPR's SGX_EPC_PAGE_CONFLICT at page 2: EFAULT, result 7, count 1 page, page 2 unchanged. */
INJECT_TEST(emodpr_conflict, "emodpr.conflict=#2")
{
	struct dfx_encl *e = dfx_build();
	struct sgx_enclave_restrict_permissions rp;

	ASSERT_TRUE(e);
	EXPECT_ERRNO(dfx_restrict(e, DFX_DATA, 3 * PAGE, SGX_SECINFO_R, &rp), EFAULT);
	EXPECT_EQ(rp.result, SGX_EPC_PAGE_CONFLICT);
	EXPECT_EQ(rp.count, PAGE);
	EXPECT_TRUE(dfx_epcm(e, DFX_DATA).pr && !dfx_epcm(e, DFX_DATA + PAGE).pr);
	/* A runtime's retry from offset + count: the conflict has passed. */
	EXPECT_EQ(dfx_restrict(e, DFX_DATA + PAGE, 2 * PAGE, SGX_SECINFO_R, &rp), 0);
	EXPECT_TRUE(dfx_epcm(e, DFX_DATA + PAGE).pr && dfx_epcm(e, DFX_DATA + 2 * PAGE).pr);
	EXPECT_EQ(INJECTED(EMODPR_CONFLICT), 1);
}

/* EMODT's SGX_EPC_PAGE_CONFLICT: EFAULT, result 7, count 0, the page still REG. */
INJECT_TEST(emodt_conflict, "emodt.conflict=#1")
{
	struct dfx_encl *e = dfx_build();
	struct sgx_enclave_modify_types mt;

	ASSERT_TRUE(e);
	EXPECT_ERRNO(dfx_modify(e, DFX_DATA, PAGE, SGX_PAGE_TYPE_TRIM, &mt), EFAULT);
	EXPECT_EQ(mt.result, SGX_EPC_PAGE_CONFLICT);
	EXPECT_EQ(mt.count, 0);
	EXPECT_EQ(dfx_epcm(e, DFX_DATA).type, SGX_PAGE_TYPE_REG);
	EXPECT_TRUE(!dfx_epcm(e, DFX_DATA).modified);
	EXPECT_EQ(dfx_modify(e, DFX_DATA, PAGE, SGX_PAGE_TYPE_TRIM, &mt), 0);
	EXPECT_EQ(dfx_epcm(e, DFX_DATA).type, SGX_PAGE_TYPE_TRIM);
}

/*
 * EACCEPT of a restriction: SGX_NOT_TRACKED, the page still PR; accepted on
 * the next try. EACCEPT of a PENDING page (no tracking involved) is never
 * refused, even with the point at every call.
 */
INJECT_TEST(eaccept_not_tracked_only_for_changes, "eaccept.not_tracked=#1")
{
	struct dfx_encl *e = dfx_build();

	ASSERT_TRUE(e);
	ASSERT_EQ(dfx_restrict(e, DFX_DATA, PAGE, SGX_SECINFO_R, NULL), 0);
	EXPECT_SGX(accept_once(e, DFX_DATA, REG_R | SGX_SECINFO_PR), SGX_NOT_TRACKED);
	EXPECT_TRUE(dfx_epcm(e, DFX_DATA).pr);
	EXPECT_SGX(accept_once(e, DFX_DATA, REG_R | SGX_SECINFO_PR), SGX_SUCCESS);
	EXPECT_TRUE(!dfx_epcm(e, DFX_DATA).pr);
	EXPECT_EQ(INJECTED(EACCEPT_NOT_TRACKED), 1);
}

INJECT_TEST(eaccept_of_pending_page_untouched, "eaccept.not_tracked=1")
{
	struct dfx_thread t;
	struct dfx_encl *e;

	dfx_thread_init(&t);
	e = dfx_build_entered(&t);
	ASSERT_TRUE(e);
	EXPECT_TRUE(dfx_eaug_accept(&t, e, DFX_FREE, 2));
	EXPECT_SGX(dfx_exit(&t), SGX_SUCCESS);
	dfx_thread_fini(&t);
	EXPECT_EQ(INJECTED(EACCEPT_NOT_TRACKED), 0);
}

/* EINIT's SGX_UNMASKED_EVENT: the driver retries, as Linux does; INIT succeeds. */
INJECT_TEST(einit_unmasked_event_retried, "einit.unmasked_event=#1")
{
	struct dfx_encl *e = dfx_build();

	ASSERT_TRUE(e);
	EXPECT_EQ(softsgx_leaf_count(SGX_LEAF_ENCLS(ENCLS_EINIT)), 2);
	EXPECT_EQ(INJECTED(EINIT_UNMASKED_EVENT), 1);
}

/* Every EINIT refused: Linux gives up after 50 rounds of 20 and says EPERM. */
static void einit_always(void)
{
	struct dfx_encl e;

	ASSERT_EQ(dfx_create(&e, DFX_SIZE, SGX_ATTR_DEBUG), 0);
	ASSERT_EQ(dfx_add_layout(&e), 0);
	EXPECT_ERRNO(dfx_init(&e), EPERM);
	EXPECT_EQ(softsgx_leaf_count(SGX_LEAF_ENCLS(ENCLS_EINIT)), 1000);
	EXPECT_EQ(INJECTED(EINIT_UNMASKED_EVENT), 1000);
}

TEST(einit_unmasked_event_always_eperm)
{
	in_child("einit.unmasked_event=1", einit_always);
}

/*
 * EWB's SGX_NOT_TRACKED on every try: the reclaimer's ETRACK, then an
 * interrupt round, after which tracking is complete and the EWB goes
 * through; the page's contents come back.
 */
INJECT_TEST(ewb_not_tracked_until_interrupt_round, "ewb.not_tracked=1")
{
	struct sgx_platform *plat = sgx_platform_get();
	struct dfx_encl *e = dfx_build();
	uint64_t etrack, rounds, word = 0;
	int ret;

	ASSERT_TRUE(e);
	etrack = DFX_COUNT(SOFTSGX_CNT_PAGING_ETRACK);
	rounds = DFX_COUNT(SOFTSGX_CNT_PAGING_IPI);
	pthread_rwlock_rdlock(&plat->mmap_lock);
	ret = sgx_encl_evict_page(encl_of(e), dfx_la(e, DFX_DATA));
	pthread_rwlock_unlock(&plat->mmap_lock);
	EXPECT_EQ(ret, 0);
	EXPECT_EQ(DFX_COUNT(SOFTSGX_CNT_PAGING_ETRACK), etrack + 1);
	EXPECT_EQ(DFX_COUNT(SOFTSGX_CNT_PAGING_IPI), rounds + 1);
	/* The first EWB, before any ETRACK, is refused by the processor's own tracking. */
	EXPECT_EQ(INJECTED(EWB_NOT_TRACKED), 1);
	EXPECT_TRUE(!dfx_epcm(e, DFX_DATA).valid);
	EXPECT_EQ(softsgx_access_vm(dfx_ptr(e, DFX_DATA), &word, 8, 0), 8);
}

/* ioctl.ebusy: as if another thread's ioctl ran; nothing happened, the call may be made again. */
static void ioctl_ebusy(void)
{
	struct dfx_encl e;

	EXPECT_EQ(dfx_create(&e, DFX_SIZE, SGX_ATTR_DEBUG), -EBUSY);
	EXPECT_EQ(INJECTED(IOCTL_EBUSY), 1);
	EXPECT_EQ(dfx_create(&e, DFX_SIZE, SGX_ATTR_DEBUG), 0);
	EXPECT_EQ(dfx_add_layout(&e), 0);
}

TEST(ioctl_ebusy_before_anything)
{
	in_child("ioctl.ebusy=#1", ioctl_ebusy);
}

/*
 * add.signal: before the first page, EINTR and nothing added; after it,
 * 0 with a short count.
 */
static void add_signal(void)
{
	struct dfx_encl e;
	struct sgx_secinfo secinfo = { .flags = REG_RW };
	uint8_t *src = aligned_alloc(PAGE, 2 * PAGE);
	struct sgx_enclave_add_pages add;

	memset(src, 0x5a, 2 * PAGE);
	ASSERT_EQ(dfx_create(&e, DFX_SIZE, SGX_ATTR_DEBUG), 0);
	add = (struct sgx_enclave_add_pages){ .src = (uintptr_t)src, .offset = DFX_FREE,
					      .length = PAGE, .secinfo = (uintptr_t)&secinfo };
	EXPECT_EQ(softsgx_ioctl(e.fd, SGX_IOC_ENCLAVE_ADD_PAGES, &add), 0); /* call 1 */
	add = (struct sgx_enclave_add_pages){ .src = (uintptr_t)src, .offset = DFX_FREE + PAGE,
					      .length = 2 * PAGE, .secinfo = (uintptr_t)&secinfo };
	EXPECT_ERRNO(softsgx_ioctl(e.fd, SGX_IOC_ENCLAVE_ADD_PAGES, &add), EINTR); /* call 2 */
	EXPECT_EQ(add.count, 0);
	EXPECT_TRUE(!dfx_epcm(&e, DFX_FREE + PAGE).valid);
	add.count = 0;
	EXPECT_EQ(softsgx_ioctl(e.fd, SGX_IOC_ENCLAVE_ADD_PAGES, &add), 0); /* calls 3, 4 */
	EXPECT_EQ(add.count, PAGE);
	EXPECT_TRUE(dfx_epcm(&e, DFX_FREE + PAGE).valid && !dfx_epcm(&e, DFX_FREE + 2 * PAGE).valid);
	EXPECT_EQ(INJECTED(ADD_SIGNAL), 2);
	free(src);
}

TEST(add_signal_eintr_then_short_count)
{
	in_child("add.signal=1/2", add_signal);
}

/* alloc.enomem: CREATE's first EPC page (the VA page) is refused; nothing is left behind. */
static void alloc_enomem(void)
{
	struct dfx_encl e;
	size_t free_before = dfx_free_epc();

	EXPECT_EQ(dfx_create(&e, DFX_SIZE, SGX_ATTR_DEBUG), -ENOMEM);
	EXPECT_EQ(dfx_free_epc(), free_before);
	EXPECT_EQ(INJECTED(ALLOC_ENOMEM), 1);
	EXPECT_EQ(dfx_create(&e, DFX_SIZE, SGX_ATTR_DEBUG), 0);
}

TEST(alloc_enomem_create)
{
	in_child("alloc.enomem=#1", alloc_enomem);
}

/*
 * The faults of EAUG allocate without reclaim: alloc.ebusy there is
 * Linux's "wait for the reclaimer, then again"; the access goes through.
 * alloc.enomem there is SIGBUS: the vDSO's #PF without the SGX bit.
 */
INJECT_TEST(alloc_ebusy_fault_waits, "alloc.ebusy=#1")
{
	struct dfx_thread t;
	struct dfx_encl *e;

	dfx_thread_init(&t);
	e = dfx_build_entered(&t);
	ASSERT_TRUE(e);
	EXPECT_TRUE(dfx_eaug_accept(&t, e, DFX_FREE, 1));
	EXPECT_TRUE(dfx_epcm(e, DFX_FREE).valid);
	EXPECT_EQ(INJECTED(ALLOC_EBUSY), 1);
	EXPECT_EQ(DFX_COUNT(SOFTSGX_CNT_FAULT_SIGBUS), 0);
	dfx_thread_fini(&t);
}

/*
 * fault.sigbus, on a fault of untrusted code (no thread inside): SIGBUS, no
 * page was added; the next fault EAUGs one.
 */
INJECT_TEST(fault_sigbus_then_served, "fault.sigbus=#1")
{
	struct dfx_encl *e = dfx_build();
	uint32_t pfec;

	ASSERT_TRUE(e);
	EXPECT_EQ(dfx_vma_fault(dfx_la(e, DFX_FREE), SGX_PF_W, &pfec), SGX_FAULT_SIGBUS);
	EXPECT_TRUE(!dfx_epcm(e, DFX_FREE).valid);
	EXPECT_EQ(DFX_COUNT(SOFTSGX_CNT_FAULT_SIGBUS), 1);
	EXPECT_EQ(dfx_vma_fault(dfx_la(e, DFX_FREE), SGX_PF_W, &pfec), SGX_FAULT_RETRY);
	EXPECT_TRUE(dfx_epcm(e, DFX_FREE).valid && dfx_epcm(e, DFX_FREE).pending);
}

/* fault.retry with n=4: the fault comes back four more times, then it is served. */
INJECT_TEST(fault_retry_n_times, "fault.retry=#1:n=4")
{
	struct dfx_thread t;
	struct dfx_encl *e;
	uint64_t eaug;

	dfx_thread_init(&t);
	e = dfx_build_entered(&t);
	ASSERT_TRUE(e);
	eaug = DFX_COUNT(SOFTSGX_CNT_FAULT_EAUG);
	EXPECT_TRUE(dfx_eaug_accept(&t, e, DFX_FREE, 1));
	EXPECT_EQ(INJECTED(FAULT_RETRY), 1);
	EXPECT_EQ(DFX_COUNT(SOFTSGX_CNT_FAULT_EAUG), eaug + 1);
	EXPECT_EQ(DFX_COUNT(SOFTSGX_CNT_FAULT_SIGBUS), 0);
	EXPECT_SGX(dfx_exit(&t), SGX_SUCCESS);
	dfx_thread_fini(&t);
}

/*
 * evict: after the first served fault (of untrusted code: no thread inside
 * to interrupt), another resident page is written back; it reloads intact.
 */
INJECT_TEST(evict_after_fault, "evict=#1")
{
	struct dfx_encl *e = dfx_build();
	uint64_t resident, swapped;
	struct dfx_thread t;
	uint32_t pfec;

	ASSERT_TRUE(e);
	EXPECT_EQ(dfx_vma_fault(dfx_la(e, DFX_FREE), SGX_PF_W, &pfec), SGX_FAULT_RETRY);
	EXPECT_EQ(INJECTED(EVICT), 1);
	EXPECT_EQ(DFX_COUNT(SOFTSGX_CNT_EPC_EVICTED), 1);
	ASSERT_EQ(softsgx_enclave_pages(e->fd, &resident, &swapped), 0);
	EXPECT_EQ(swapped, 1);
	EXPECT_TRUE(dfx_epcm(e, DFX_FREE).valid); /* not the page the fault brought */
	/* Every page still answers: the evicted one comes back when it is needed. */
	dfx_thread_init(&t);
	ASSERT_SGX(dfx_enter(&t, e, DFX_TCS0), SGX_SUCCESS);
	EXPECT_SGX(dfx_access(&t, dfx_la(e, DFX_DATA), SGX_PF_W), SGX_SUCCESS);
	EXPECT_SGX(dfx_access(&t, dfx_la(e, DFX_RODATA), 0), SGX_SUCCESS);
	EXPECT_SGX(dfx_exit(&t), SGX_SUCCESS);
	dfx_thread_fini(&t);
}

/* etrack.irq: one more interrupt round during the ETRACK flow of each page. */
INJECT_TEST(etrack_irq_extra_round, "etrack.irq=1")
{
	struct dfx_encl *e = dfx_build();
	uint64_t rounds;

	ASSERT_TRUE(e);
	rounds = DFX_COUNT(SOFTSGX_CNT_IPI_ROUNDS);
	EXPECT_EQ(dfx_restrict(e, DFX_DATA, 2 * PAGE, SGX_SECINFO_R, NULL), 0);
	EXPECT_EQ(DFX_COUNT(SOFTSGX_CNT_IPI_ROUNDS), rounds + 4);
	EXPECT_EQ(INJECTED(ETRACK_IRQ), 2);
}

/* encl=N: only the enclave of the N-th ECREATE; after=K: not before call K + 1. */
static void filters(void)
{
	struct dfx_encl *a = dfx_build(), *b = dfx_build();
	struct sgx_enclave_restrict_permissions rp;

	ASSERT_TRUE(a && b);
	EXPECT_EQ(dfx_restrict(a, DFX_DATA, 3 * PAGE, SGX_SECINFO_R, &rp), 0);
	EXPECT_ERRNO(dfx_restrict(b, DFX_DATA, 3 * PAGE, SGX_SECINFO_R, &rp), EAGAIN);
	EXPECT_EQ(rp.count, PAGE); /* b's calls 1 (skipped by after=1) and 2 */
	EXPECT_EQ(INJECTED(RESTRICT_EAGAIN), 1);
}

TEST(encl_and_after_filters)
{
	in_child("restrict.eagain=1:encl=2:after=1:max=1", filters);
}

/*
 * The same seed and program make the same injections, and the log has a
 * line for each whose replay= part, alone, makes that one again.
 */
static char log_path[64];

static void seeded_run(void)
{
	struct dfx_encl *e = dfx_build();
	struct sgx_enclave_restrict_permissions rp;
	int i;

	ASSERT_TRUE(e);
	for (i = 0; i < 8; i++)
		dfx_restrict(e, DFX_DATA, 3 * PAGE, i & 1 ? 7 : SGX_SECINFO_R, &rp);
}

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf = calloc(1, 1 << 16);

	if (f && buf)
		buf[fread(buf, 1, (1 << 16) - 1, f)] = 0;
	if (f)
		fclose(f);
	return buf;
}

/* The log of a run of @spec, without the addresses (each child maps its enclave anew). */
static char *run_logged(const char *spec)
{
	struct softsgx_config cfg = { .inject = spec };
	char *log, *a, *end;

	setenv("SOFTSGX_INJECT_LOG", log_path, 1);
	harness_in_child(&cfg, seeded_run);
	unsetenv("SOFTSGX_INJECT_LOG");
	log = slurp(log_path);
	while (log && (a = strstr(log, " addr=")) != NULL) {
		end = strchr(a + 1, ' ');
		memmove(a, end, strlen(end) + 1);
	}
	return log;
}

TEST(same_seed_same_injections_and_replay)
{
	char *one, *two, *three, *replay, *end;
	int fd;

	snprintf(log_path, sizeof(log_path), "/tmp/softsgx-inject-XXXXXX");
	fd = mkstemp(log_path);
	ASSERT_TRUE(fd >= 0);
	close(fd);
	one = run_logged("restrict.eagain=0.3,seed=11");
	two = run_logged("restrict.eagain=0.3,seed=11");
	three = run_logged("restrict.eagain=0.3,seed=12");
	EXPECT_TRUE(strstr(one, "inject 1 restrict.eagain thread=0 call=") != NULL);
	EXPECT_TRUE(!strcmp(one, two));
	EXPECT_TRUE(strcmp(one, three) != 0);
	/* The first line's replay alone strikes at the same call. */
	replay = strstr(one, "replay=");
	ASSERT_TRUE(replay != NULL);
	replay += strlen("replay=");
	end = strchr(replay, '\n');
	ASSERT_TRUE(end != NULL);
	*end = 0;
	free(two);
	two = run_logged(replay);
	*end = '\n';
	EXPECT_TRUE(!strncmp(one, two, (size_t)(strchr(one, '\n') - one)));
	EXPECT_TRUE(strchr(two, '\n') && !strchr(two, '\n')[1]); /* one line only */
	free(one);
	free(two);
	free(three);
	unlink(log_path);
}

/* A specification that is not one: EINVAL from softsgx_configure(), which names nothing. */
static void bad_specs(void)
{
	static const char *const bad[] = {
		"restrict.eagain",      "restrict.eagain=2",  "nosuch.point=1",
		"restrict.eagain=1/0",  "restrict.eagain=#0", "aex.rate=0.5",
		"aex.rate=1000",        "seed=x",             "fault.retry=1:n=17",
		"alloc.enomem=1:encl=1", "restrict.eagain=0.1:bogus=1", "restrict.eagain=-0.1",
		"aex.rate=100/s:after=1", "aex.rate=100/s:thread=ksgxd", "evict=1:thread=x",
	};
	struct softsgx_config cfg = { 0 };
	char huge[5000];
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		cfg.inject = bad[i];
		EXPECT_ERRNO(softsgx_configure(&cfg), EINVAL);
	}
	memset(huge, 'a', sizeof(huge) - 1);
	huge[sizeof(huge) - 1] = 0;
	cfg.inject = huge;
	EXPECT_ERRNO(softsgx_configure(&cfg), EINVAL);
	cfg.inject = (const char *)16;
	EXPECT_ERRNO(softsgx_configure(&cfg), EFAULT);
	cfg.inject = "restrict.eagain=0.5:encl=1:after=2:max=3:thread=0,fault.retry=1/3:n=2,"
		     "ewb.not_tracked=0.5:thread=ksgxd,aex.rate=100/s:max=5,seed=9";
	EXPECT_EQ(softsgx_configure(&cfg), 0);
}

TEST(bad_specification_einval)
{
	static const struct softsgx_config plain = { 0 };

	harness_in_child(&plain, bad_specs);
}

/* A program that does not say: SOFTSGX_INJECT, read when the platform is made. */
static void from_env(void)
{
	struct dfx_encl *e = dfx_build();
	struct sgx_enclave_restrict_permissions rp;

	ASSERT_TRUE(e);
	EXPECT_ERRNO(dfx_restrict(e, DFX_DATA, PAGE, SGX_SECINFO_R, &rp), EAGAIN);
	EXPECT_EQ(INJECTED(RESTRICT_EAGAIN), 1);
}

/* A bad SOFTSGX_INJECT is named on stderr and ignored: nothing is injected. */
static void bad_env_ignored(void)
{
	struct dfx_encl *e = dfx_build();

	ASSERT_TRUE(e);
	EXPECT_EQ(dfx_restrict(e, DFX_DATA, PAGE, SGX_SECINFO_R, NULL), 0);
	EXPECT_EQ(INJECTED(RESTRICT_EAGAIN), 0);
}

TEST(specification_from_environment)
{
	static const struct softsgx_config plain = { 0 };

	setenv("SOFTSGX_INJECT", "restrict.eagain=#1", 1);
	harness_in_child(&plain, from_env);
	setenv("SOFTSGX_INJECT", "restrict.eagain=#1:encl=0", 1);
	harness_in_child(&plain, bad_env_ignored);
	unsetenv("SOFTSGX_INJECT");
}

/*
 * alloc.enomem where no reclaim is allowed, from a second thread (thread=1:
 * the main thread built the enclave): a fault that needs a page is SIGBUS,
 * the reload of a swapped-out page inside RESTRICT_PERMISSIONS is EFAULT.
 */
struct second {
	struct dfx_encl *e;
	enum sgx_fault_result fault;
	int restrict_ret, restrict_errno;
	uint64_t count;
};

static void *second_thread(void *arg)
{
	struct second *s = arg;
	struct sgx_enclave_restrict_permissions rp;
	uint32_t pfec;

	s->fault = dfx_vma_fault(dfx_la(s->e, DFX_FREE), SGX_PF_W, &pfec);
	s->restrict_ret = dfx_restrict(s->e, DFX_DATA, 2 * PAGE, SGX_SECINFO_R, &rp);
	s->restrict_errno = errno;
	s->count = rp.count;
	return NULL;
}

INJECT_TEST(alloc_enomem_fault_sigbus_reload_efault, "alloc.enomem=1:thread=1")
{
	struct sgx_platform *plat = sgx_platform_get();
	struct second s = { .e = dfx_build() };
	pthread_t thread;

	ASSERT_TRUE(s.e);
	pthread_rwlock_rdlock(&plat->mmap_lock);
	EXPECT_EQ(sgx_encl_evict_page(encl_of(s.e), dfx_la(s.e, DFX_DATA + PAGE)), 0);
	pthread_rwlock_unlock(&plat->mmap_lock);
	ASSERT_EQ(pthread_create(&thread, NULL, second_thread, &s), 0);
	pthread_join(thread, NULL);
	EXPECT_EQ(s.fault, SGX_FAULT_SIGBUS);
	EXPECT_TRUE(!dfx_epcm(s.e, DFX_FREE).valid);
	EXPECT_EQ(s.restrict_ret, -1);
	EXPECT_EQ(s.restrict_errno, EFAULT);
	EXPECT_EQ(s.count, PAGE); /* the resident page before the swapped-out one */
	EXPECT_EQ(INJECTED(ALLOC_ENOMEM), 2);
	/* The main thread (thread 0) allocates as usual. */
	EXPECT_EQ(dfx_restrict(s.e, DFX_DATA + PAGE, PAGE, SGX_SECINFO_R, NULL), 0);
}

/*
 * softsgx_ioctl_retrying() reads and writes the caller's argument as the
 * ioctl does: one it cannot read gets the ioctl's own answer (EFAULT once
 * the enclave is initialized), one it cannot write back EFAULT; nothing
 * crashes.
 */
static void retrying_bad_pointers(void)
{
	struct dfx_encl *e = dfx_build();
	struct sgx_enclave_restrict_permissions rp = { .offset = DFX_DATA, .length = PAGE,
						       .permissions = SGX_SECINFO_R };
	void *ro;

	ASSERT_TRUE(e);
	EXPECT_ERRNO(softsgx_ioctl_retrying(e->fd, SGX_IOC_ENCLAVE_RESTRICT_PERMISSIONS,
					    dfx_unreadable()), EFAULT);
	ro = dfx_ro_copy(&rp, sizeof(rp));
	EXPECT_ERRNO(softsgx_ioctl_retrying(e->fd, SGX_IOC_ENCLAVE_RESTRICT_PERMISSIONS, ro), EFAULT);
	EXPECT_TRUE(dfx_epcm(e, DFX_DATA).pr); /* the call ran; only its copy back failed */
	EXPECT_ERRNO(softsgx_ioctl_retrying(-1, SGX_IOC_ENCLAVE_REMOVE_PAGES, &rp), EBADF);
	/* Retried after the injected EAGAIN, from offset + count: one call's worth. */
	rp.count = 0;
	EXPECT_EQ(softsgx_ioctl_retrying(e->fd, SGX_IOC_ENCLAVE_RESTRICT_PERMISSIONS, &rp), 0);
	EXPECT_EQ(rp.count, PAGE);
	EXPECT_EQ(rp.offset, DFX_DATA);
	EXPECT_EQ(INJECTED(RESTRICT_EAGAIN), 1);
}

TEST(ioctl_retrying_bad_pointers_efault)
{
	in_child("restrict.eagain=#2", retrying_bad_pointers);
}
