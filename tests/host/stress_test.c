/* softsgx-test: threads */
/* SPDX-License-Identifier: MIT */
/*
 * Stress: threads running real enclave code (enclaves/test) against other
 * threads that change the enclave under them, through the library calls a
 * program uses on SGX2 Linux: munmap/mmap of enclave pages while the
 * enclave faults or is interrupted (every AEX writes an SSA frame through
 * the mappings that munmap changes), and a mix of EACCEPT, reads and
 * writes of dynamic pages against RESTRICT_PERMISSIONS, MODIFY_TYPES,
 * REMOVE_PAGES, mprotect, munmap and a fresh enclave every round. Each
 * test runs for SOFTSGX_STRESS_SECONDS (default 2; the long run uses 300)
 * and checks that every outcome is one SGX2 on Linux can give, that no
 * EPC page, descriptor or mapping is left behind, and, with a watchdog,
 * that nothing hangs. The sanitizer builds turn the races into reports.
 */
#include <dirent.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "driver/dfx.h"
#include "harness.h"
#include "test_enclave.h"

#define PAGE 4096ull
#define EENTER 2
#define ERESUME 3
#define EEXIT 4
#define GRACE_SECONDS 30 /* the watchdog's patience beyond the test's duration */

/* Settings and small tools */

static double stress_seconds(void)
{
	const char *s = getenv("SOFTSGX_STRESS_SECONDS");
	double v = s ? strtod(s, NULL) : 0;

	return v > 0 ? v : 2;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void sleep_for(double seconds)
{
	struct timespec ts = { .tv_sec = (time_t)seconds,
			       .tv_nsec = (long)((seconds - (double)(time_t)seconds) * 1e9) };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

/* xorshift64*: each thread its own sequence. */
static uint64_t rnd(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 0x2545F4914F6CDD1Dull;
}

static unsigned int rnd_below(uint64_t *s, unsigned int n)
{
	return (unsigned int)((rnd(s) >> 33) % n);
}

static int nr_open_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	int n = 0;

	while (d && readdir(d))
		n++;
	if (d)
		closedir(d);
	return n;
}

static int nr_vmas(void)
{
	struct sgx_platform *plat = sgx_platform_get();
	struct sgx_vma *vma;
	int n = 0;

	pthread_rwlock_rdlock(&plat->mmap_lock);
	for (vma = plat->vmas; vma; vma = vma->next)
		n++;
	pthread_rwlock_unlock(&plat->mmap_lock);
	return n;
}

/* After the reclaimer's batch in progress, which holds its enclaves (dfx.h). */
static size_t free_epc(void)
{
	return dfx_free_epc_settled();
}

/*
 * Failures of the stress threads (harness_fail() belongs to the test's
 * thread): the first few are printed as they happen, all are counted, and
 * the test's thread turns the count into its failure.
 */
#define BG_PRINT_MAX 20
static pthread_mutex_t bg_lock = PTHREAD_MUTEX_INITIALIZER;
static atomic_int bg_failures;

#define BG_FAIL(...) bg_fail(__FILE__, __LINE__, __VA_ARGS__)

__attribute__((format(printf, 3, 4))) static void bg_fail(const char *file, int line,
							   const char *fmt, ...)
{
	va_list ap;

	if (atomic_fetch_add(&bg_failures, 1) >= BG_PRINT_MAX)
		return;
	pthread_mutex_lock(&bg_lock);
	fprintf(stderr, "  %s:%d: ", file, line);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	pthread_mutex_unlock(&bg_lock);
}

static void bg_collect(const char *test)
{
	int n = atomic_exchange(&bg_failures, 0);

	if (n)
		harness_fail(__FILE__, __LINE__, "%s: %d failures in its threads (the first %d above)",
			     test, n, n < BG_PRINT_MAX ? n : BG_PRINT_MAX);
}

/*
 * The watchdog: a test that has not finished GRACE_SECONDS after its
 * duration hangs. It cannot be failed and continued, so the watchdog
 * prints what each thread was doing and ends the process with status 1.
 */
#define MAX_WORKERS 8

struct watchdog {
	const char *test;
	double limit;
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool done;
	_Atomic(const char *) *doing[MAX_WORKERS]; /* each thread's current step */
	const char *who[MAX_WORKERS];
	unsigned int nr;
};

static void *watchdog_main(void *arg)
{
	struct watchdog *w = arg;
	double deadline = now() + w->limit;
	struct timespec ts = { .tv_sec = (time_t)deadline,
			       .tv_nsec = (long)((deadline - (double)(time_t)deadline) * 1e9) };
	unsigned int i;
	int ret = 0;

	pthread_mutex_lock(&w->lock);
	while (!w->done && ret != ETIMEDOUT)
		ret = pthread_cond_timedwait(&w->cond, &w->lock, &ts);
	pthread_mutex_unlock(&w->lock);
	if (ret != ETIMEDOUT)
		return NULL;
	fprintf(stderr, "  %s: not finished %.0f s after its start (SOFTSGX_STRESS_SECONDS + %d): "
		"a hang. Its threads were at:\n", w->test, w->limit, GRACE_SECONDS);
	for (i = 0; i < w->nr; i++)
		fprintf(stderr, "    %s: %s\n", w->who[i], atomic_load(w->doing[i]));
	printf("FAIL %s\n", w->test);
	fflush(NULL);
	_exit(1);
}

static void watchdog_watch(struct watchdog *w, const char *who, _Atomic(const char *) *doing)
{
	if (w->nr < MAX_WORKERS) {
		w->who[w->nr] = who;
		w->doing[w->nr++] = doing;
	}
}

static void watchdog_start(struct watchdog *w, const char *test, double seconds)
{
	pthread_condattr_t attr;

	w->test = test;
	w->limit = seconds + GRACE_SECONDS;
	w->done = false;
	pthread_mutex_init(&w->lock, NULL);
	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(&w->cond, &attr);
	pthread_condattr_destroy(&attr);
	if (pthread_create(&w->thread, NULL, watchdog_main, w)) {
		fprintf(stderr, "  %s: no watchdog thread\n", test);
		abort();
	}
}

static void watchdog_stop(struct watchdog *w)
{
	pthread_mutex_lock(&w->lock);
	w->done = true;
	pthread_cond_signal(&w->cond);
	pthread_mutex_unlock(&w->lock);
	pthread_join(w->thread, NULL);
	pthread_cond_destroy(&w->cond);
	pthread_mutex_destroy(&w->lock);
}

/* What every test checks at its end: the platform is back where it started. */
struct baseline {
	size_t free_epc;
	int fds;
	uint64_t sigbus;
};

static void baseline_take(struct baseline *b)
{
	b->free_epc = free_epc();
	b->fds = nr_open_fds();
	b->sigbus = softsgx_counter(SOFTSGX_CNT_FAULT_SIGBUS);
}

/* After the last unload: no EPC page, descriptor or enclave mapping left. */
#define EXPECT_BASELINE(b)                                                         \
	do {                                                                       \
		EXPECT_EQ(free_epc(), (b)->free_epc);                              \
		EXPECT_EQ(nr_open_fds(), (b)->fds);                                \
		EXPECT_EQ(nr_vmas(), 0);                                           \
	} while (0)

/*
 * 1. The AEX against munmap. The AEX writes the SSA frame through the
 * enclave's mappings (the processor's page walk looks the VMA up), so it
 * must hold mmap_lock as every other leaf does: munmap and mmap(MAP_FIXED)
 * free and relink VMAs. Two enclave threads (TCS 1 and 2) read pages that
 * the test's thread keeps unmapping and mapping again: each read of a page
 * in a hole is a #PF the user handler ERESUMEs, each read of a page mapped
 * anew a fault the driver resolves; both begin with an AEX. The churned
 * pages are every other stack page of TCS 0, which no thread enters: below
 * the SSA frames of TCS 1 and 2, so the walk for those frames passes over
 * the churned VMAs (about 70 of them with 64 stack pages). Holes are single
 * pages, so no other mapping of the process fits in one while it is open.
 * The readers mostly read the page that is in a hole while other VMAs are
 * freed, and the churner waits a random few microseconds between calls, so
 * that the frees do not keep step with the readers' faults: then a walk
 * meets a freed VMA (ASan) as well as an unlocked list (TSan).
 *
 * The interrupt's AEX (of a RESTRICT_PERMISSIONS, from a fourth thread)
 * mostly runs while the sender holds mmap_lock for reading and waits; it
 * meets munmap when the interrupt arrives after the sender stopped waiting,
 * because the thread left the enclave for a fault of its own: the readers
 * give it those.
 */
#define AEX_STACK_PAGES 64
#define AEX_CHURN_PAGES (AEX_STACK_PAGES / 2)
#define AEX_THREADS 2 /* on TCS 1 and 2 */

struct aex_stress {
	struct softsgx_enclave *e;
	uint64_t churn[AEX_CHURN_PAGES];
	_Atomic uint64_t hot;             /* the page left unmapped now */
	atomic_bool stop;
	atomic_ulong calls, exceptions, remaps, restricts;
	struct aex_thread {
		struct aex_stress *s;
		unsigned int tcs;
		uint64_t page;            /* the page the current call reads */
		uint64_t rng;
		pthread_t thread;
		_Atomic(const char *) doing;
	} threads[AEX_THREADS];
	_Atomic(const char *) churn_doing, irq_doing;
};

/*
 * The user handler of the faulting threads: a #PF of the read of a page that
 * is being remapped, without the SGX bit (not present; P when the host still
 * had a PROT_NONE mapping), is what Linux reports there; ERESUME retries it
 * until the page is back.
 */
static int aex_handler(long rdi, long rsi, long rdx, long rsp, long r8, long r9,
		       struct sgx_enclave_run *run)
{
	struct aex_thread *t = (struct aex_thread *)(uintptr_t)run->user_data;

	if (run->function != ERESUME)
		return 0;
	atomic_fetch_add_explicit(&t->s->exceptions, 1, memory_order_relaxed);
	if (run->exception_vector != SGX_VEC_PF || run->exception_addr != t->page ||
	    (run->exception_error_code & ~SGX_PF_P) != SGX_PF_U) {
		BG_FAIL("TCS %u: read of %#llx: vector %u error code %#x at %#llx", t->tcs,
			(unsigned long long)t->page, run->exception_vector,
			run->exception_error_code, (unsigned long long)run->exception_addr);
		return 0;
	}
	return ERESUME;
}

/* TE_OP_READ of churned pages, in a loop; each call ends with EEXIT. */
static void *aex_fault_thread(void *arg)
{
	struct aex_thread *t = arg;
	struct aex_stress *s = t->s;
	struct sgx_enclave_run run;
	struct te_call c;
	int ret;

	while (!atomic_load_explicit(&s->stop, memory_order_relaxed)) {
		/* Mostly the page in a hole: AEX after AEX while other VMAs change. */
		t->page = rnd_below(&t->rng, 4) ? atomic_load(&s->hot) :
						  s->churn[rnd_below(&t->rng, AEX_CHURN_PAGES)];
		c = (struct te_call){ .op = TE_OP_READ, .arg = { t->page } };
		memset(&run, 0, sizeof(run));
		run.tcs = softsgx_enclave_tcs(s->e, t->tcs);
		run.user_handler = (uintptr_t)aex_handler;
		run.user_data = (uintptr_t)t;
		atomic_store(&t->doing, "TE_OP_READ of a churned page");
		ret = softsgx_call_enclave((long)&c, 0, 0, EENTER, 0, 0, &run);
		atomic_store(&t->doing, "between enclave calls");
		atomic_fetch_add_explicit(&s->calls, 1, memory_order_relaxed);
		if (ret || run.function != EEXIT) {
			BG_FAIL("TCS %u: the read ended with %d, function %u vector %u", t->tcs, ret,
				run.function, run.exception_vector);
			break; /* the TCS is left with CSSA 1: no more entries */
		}
		sched_yield();
	}
	atomic_store(&t->doing, "done");
	return NULL;
}

/*
 * RESTRICT_PERMISSIONS to R of TCS 0's thread-data page (no thread uses
 * it), over and over: each call runs ETRACK and interrupts every thread
 * inside, whose AEX then writes its SSA frame.
 */
static void *aex_irq_thread(void *arg)
{
	struct aex_stress *s = arg;
	uint64_t page = softsgx_enclave_tcs(s->e, 0) + SOFTSGX_LOAD_TDATA_OFFSET;
	struct sgx_enclave_restrict_permissions p;

	while (!atomic_load_explicit(&s->stop, memory_order_relaxed)) {
		p = (struct sgx_enclave_restrict_permissions){
			.offset = page - softsgx_enclave_base(s->e), .length = PAGE,
			.permissions = SGX_SECINFO_R };
		atomic_store(&s->irq_doing, "RESTRICT_PERMISSIONS");
		if (softsgx_ioctl(softsgx_enclave_fd(s->e), SGX_IOC_ENCLAVE_RESTRICT_PERMISSIONS, &p)) {
			/* On a small EPC the reclaimer may hold the page: Linux's EAGAIN, retried. */
			if (errno == EAGAIN && !p.count && !p.result) {
				sched_yield();
				continue;
			}
			BG_FAIL("RESTRICT_PERMISSIONS of a quiet page: %s, result %s",
				strerrorname_np(errno), harness_sgx_name((int)p.result));
			break;
		}
		atomic_fetch_add_explicit(&s->restricts, 1, memory_order_relaxed);
	}
	atomic_store(&s->irq_doing, "done");
	return NULL;
}

/* munmap + mmap(MAP_FIXED) of @page, or mmap(MAP_FIXED) over it: its VMA is freed either way. */
static bool aex_remap(struct aex_stress *s, uint64_t page, bool hole)
{
	void *p = (void *)(uintptr_t)page;

	atomic_store(&s->churn_doing, hole ? "softsgx_munmap" : "softsgx_mmap over the page");
	if (hole && softsgx_munmap(p, PAGE)) {
		BG_FAIL("munmap of %#llx: %s", (unsigned long long)page, strerrorname_np(errno));
		return false;
	}
	atomic_store(&s->churn_doing, "softsgx_mmap(MAP_FIXED)");
	if (softsgx_mmap(p, PAGE, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED,
			 softsgx_enclave_fd(s->e), 0) != p) {
		BG_FAIL("mmap(MAP_FIXED) of %#llx: %s", (unsigned long long)page, strerrorname_np(errno));
		return false;
	}
	atomic_store(&s->churn_doing, "between remaps");
	atomic_fetch_add_explicit(&s->remaps, 1, memory_order_relaxed);
	return true;
}

/* The readers, the test's thread churning and, with @interrupts, the interrupter. */
static void aex_stress_run(const char *test, bool interrupts)
{
	struct softsgx_load_options opts = { .nr_tcs = 1 + AEX_THREADS,
					     .stack_pages = AEX_STACK_PAGES };
	uint64_t aex = softsgx_leaf_count(SGX_LEAF_AEX), rng = 0x9e3779b97f4a7c15ull;
	double seconds = stress_seconds(), end;
	struct aex_stress *s = calloc(1, sizeof(*s));
	struct baseline base;
	struct watchdog w = { 0 };
	pthread_t irq;
	unsigned int i, n, hole, spin;
	bool ok = true;

	ASSERT_TRUE(s);
	baseline_take(&base);
	if (softsgx_load_file(SOFTSGX_TEST_ENCLAVE, &opts, &s->e)) {
		harness_fail(__FILE__, __LINE__, "loading %s: %s", SOFTSGX_TEST_ENCLAVE,
			     strerrorname_np(errno));
		free(s);
		return;
	}
	for (i = 0; i < AEX_CHURN_PAGES; i++)
		s->churn[i] = softsgx_enclave_tcs(s->e, 0) + SOFTSGX_LOAD_STACK_OFFSET + 2 * i * PAGE;
	/* One VMA per churned page and per page between them, before any thread runs. */
	for (i = 0; i < AEX_CHURN_PAGES && ok; i++)
		ok = aex_remap(s, s->churn[i], true);
	atomic_init(&s->hot, s->churn[0]);

	watchdog_start(&w, test, seconds);
	watchdog_watch(&w, "churn (test thread)", &s->churn_doing);
	for (i = 0; i < AEX_THREADS; i++) {
		s->threads[i] = (struct aex_thread){ .s = s, .tcs = 1 + i, .rng = 0x1234567ull + i };
		atomic_init(&s->threads[i].doing, "starting");
		watchdog_watch(&w, i ? "enclave thread on TCS 2" : "enclave thread on TCS 1",
			       &s->threads[i].doing);
		if (pthread_create(&s->threads[i].thread, NULL, aex_fault_thread, &s->threads[i])) {
			harness_fail(__FILE__, __LINE__, "pthread_create failed");
			abort();
		}
	}
	atomic_init(&s->irq_doing, "not started");
	if (interrupts) {
		watchdog_watch(&w, "interrupter", &s->irq_doing);
		if (pthread_create(&irq, NULL, aex_irq_thread, s)) {
			harness_fail(__FILE__, __LINE__, "pthread_create failed");
			abort();
		}
	}

	/*
	 * A page stays in a hole while eight others are remapped: the readers
	 * fault on it again and again, and their AEX walks the VMA list while
	 * other VMAs are freed. Then it is mapped again and another goes.
	 */
	for (end = now() + seconds; ok && now() < end;) {
		hole = rnd_below(&rng, AEX_CHURN_PAGES);
		atomic_store(&s->churn_doing, "softsgx_munmap of the hole");
		ok = !softsgx_munmap((void *)(uintptr_t)s->churn[hole], PAGE);
		if (!ok)
			BG_FAIL("munmap of %#llx: %s", (unsigned long long)s->churn[hole],
				strerrorname_np(errno));
		atomic_store(&s->hot, s->churn[hole]);
		for (n = 0; ok && n < 8; n++) {
			i = rnd_below(&rng, AEX_CHURN_PAGES);
			if (i != hole)
				ok = aex_remap(s, s->churn[i], rnd_below(&rng, 2) != 0);
			for (spin = rnd_below(&rng, 500); spin; spin--)
				__builtin_ia32_pause();
		}
		if (!aex_remap(s, s->churn[hole], false))
			ok = false;
	}
	/* Every churned page is mapped again (a failed remap aside): the readers can finish. */
	atomic_store(&s->stop, true);
	for (i = 0; i < AEX_THREADS; i++)
		pthread_join(s->threads[i].thread, NULL);
	if (interrupts)
		pthread_join(irq, NULL);
	watchdog_stop(&w);

	fprintf(stderr, "  %s: %.0f s, %lu enclave calls, %lu exceptions reported, %llu AEX, "
		"%lu remaps, %lu RESTRICT_PERMISSIONS\n", test, seconds, atomic_load(&s->calls),
		atomic_load(&s->exceptions),
		(unsigned long long)(softsgx_leaf_count(SGX_LEAF_AEX) - aex), atomic_load(&s->remaps),
		atomic_load(&s->restricts));
	bg_collect(test);
	EXPECT_TRUE(atomic_load(&s->exceptions) > 0);
	if (interrupts)
		EXPECT_TRUE(atomic_load(&s->restricts) > 0);
	softsgx_unload(s->e);
	free(s);
	EXPECT_BASELINE(&base);
}

TEST(aex_races_munmap)
{
	aex_stress_run("aex_races_munmap", false);
}

TEST(interrupt_races_munmap)
{
	aex_stress_run("interrupt_races_munmap", true);
}

/*
 * 2. The mix. Enclave threads (two, one per TCS, in the plain mix) run
 * EACCEPT, EMODPE, reads and writes of a pool of dynamic pages; an ioctl
 * thread restricts, trims, makes TCSs of and removes pool pages; an mm
 * thread mprotects, munmaps and remaps them and populates them
 * (MADV_WILLNEED, beyond upstream). Variants: batched tracking, and more
 * enclave threads with two ioctl threads (which then meet EBUSY).
 * Every round ends with the enclave unloaded while no thread is inside and
 * a fresh one loaded; after each unload the EPC, descriptors and mappings
 * are back where they started. (The workers wait at a barrier for the
 * unload: an enclave unmapped and closed under a thread inside it kills
 * the process with SIGSEGV, a known open bug.)
 *
 * An enclave thread takes its exceptions as a runtime does: its user
 * handler enters the same TCS again (CSSA 1), reads the interrupted state
 * in its SSA frame and points every register that addresses the page at
 * the thread's own data page instead, then ERESUMEs: the operation
 * completes harmlessly, and the TCS is back at CSSA 0 for the next one.
 */
#define POOL_PAGES 16
#define ROUND_SECONDS 0.25
#define MIX_MAX_WORKERS 8

struct mix_config {
	const char *name;
	unsigned int enclave_threads;   /* one TCS each */
	unsigned int ioctl_threads;
	enum softsgx_tracking tracking;
};

/* Enclave operations on one pool page. */
enum mix_op {
	MIX_READ,
	MIX_WRITE,
	MIX_ACCEPT_PENDING,   /* EACCEPT(REG|RW|PENDING): an EAUGed page */
	MIX_ACCEPT_PR,        /* EACCEPT(REG|perms|PR): a restricted page */
	MIX_ACCEPT_TRIM,      /* EACCEPT(TRIM|MODIFIED): a trimmed page */
	MIX_ACCEPT_TCS,       /* EACCEPT(TCS|MODIFIED): a page made a TCS (#GP: not a valid TCS) */
	MIX_EMODPE,           /* EMODPE(RW) */
	MIX_NR_OPS
};

static const char *const mix_op_name[MIX_NR_OPS] = {
	"TE_OP_READ", "TE_OP_WRITE", "EACCEPT(REG|RW|PENDING)", "EACCEPT(REG|PR)",
	"EACCEPT(TRIM|MODIFIED)", "EACCEPT(TCS|MODIFIED)", "EMODPE(RW)",
};

struct mix_stats {
	atomic_ulong ops[MIX_NR_OPS];
	atomic_ulong pf_vma, pf_epcm, gp;           /* exceptions the enclave threads took */
	atomic_ulong eaccept_ok, eaccept_mismatch, eaccept_not_tracked;
	atomic_ulong ioctl_ok, ioctl_efault, ioctl_einval, ioctl_eperm, ioctl_ebusy, ioctl_eagain;
	atomic_ulong mprotects, remaps, populates;
	atomic_ulong mm_max_us;                     /* the longest mm call (a figure, not a check) */
	atomic_ulong rounds;
};

struct mix {
	const struct mix_config *cfg;
	/* written by the test's thread while the workers wait at a barrier */
	struct softsgx_enclave *e;
	uint64_t pool;              /* the first pool page: the enclave's free area */
	bool quit;
	atomic_bool stop;           /* end of the round: finish the operation and wait */
	pthread_barrier_t start, end;
	struct mix_stats st;
	unsigned int nr_workers;
	struct mix_worker {
		struct mix *m;
		void (*op)(struct mix_worker *w);
		unsigned int tcs;
		bool broken;        /* its TCS could not be brought back to CSSA 0 */
		uint64_t rng;
		pthread_t thread;
		char name[48];
		_Atomic(const char *) doing;
	} w[MIX_MAX_WORKERS];
};

static uint64_t pool_page(struct mix *m, uint64_t *rng)
{
	return m->pool + rnd_below(rng, POOL_PAGES) * PAGE;
}

/* One enclave call of an enclave thread. */
struct mix_call {
	struct mix_worker *w;
	enum mix_op op;
	uint64_t page;
	int exceptions;
};

/* A nested entry (the TCS has CSSA 1): @op on @addr, @value. */
static bool mix_nested(struct mix_call *c, uint64_t op, uint64_t addr, uint64_t value,
		       uint64_t *ret)
{
	struct te_call call = { .op = op, .arg = { addr, value } };
	struct sgx_enclave_run run;
	int r = te_enter(c->w->m->e, c->w->tcs, &call, &run);

	if (r || run.function != EEXIT) {
		BG_FAIL("TCS %u: nested entry (op %llu) ended with %d, function %u vector %u code %#x",
			c->w->tcs, (unsigned long long)op, r, run.function, run.exception_vector,
			run.exception_error_code);
		return false;
	}
	if (ret)
		*ret = call.ret;
	return true;
}

/*
 * The registers of the interrupted state (SSA frame 0's GPRSGX) that point
 * into the page now address the thread-data page at the same offset.
 */
static bool mix_redirect(struct mix_call *c)
{
	uint64_t tcs = softsgx_enclave_tcs(c->w->m->e, c->w->tcs);
	uint64_t gpr = tcs + SOFTSGX_LOAD_SSA_OFFSET + TE_SSA_FRAME_SIZE - sizeof(struct sgx_gprsgx);
	uint64_t tdata = tcs + SOFTSGX_LOAD_TDATA_OFFSET, v;
	unsigned int i, n = 0;

	for (i = 0; i < 16; i++) {
		if (i * 8 == offsetof(struct sgx_gprsgx, rsp))
			continue;
		if (!mix_nested(c, TE_OP_GET_AT, gpr + i * 8, 0, &v))
			return false;
		if ((v & ~(PAGE - 1)) != c->page)
			continue;
		if (!mix_nested(c, TE_OP_PUT_AT, gpr + i * 8, tdata | (v & (PAGE - 1)), NULL))
			return false;
		n++;
	}
	if (!n)
		BG_FAIL("TCS %u: %s faulted, but no register points at %#llx", c->w->tcs,
			mix_op_name[c->op], (unsigned long long)c->page);
	return n > 0;
}

/*
 * What Linux on SGX2 reports for these operations while the page changes
 * under them: a #PF at the page, with U, and W exactly for a write;
 * without the SGX bit when the mapping refuses or is absent, with it (and
 * P) when the EPCM refuses (pending, modified, trimmed, restricted).
 * EACCEPT and EMODPE also #GP when another SGX2 leaf or an ENCLS holds the
 * page (the SDM's concurrency rules), and #PF with the SGX bit on a page
 * that is not (or no longer) a valid page of theirs.
 */
static bool mix_exception_expected(const struct mix_call *c, const struct sgx_enclave_run *run)
{
	bool leaf = c->op != MIX_READ && c->op != MIX_WRITE;
	uint16_t code = run->exception_error_code;

	if (run->exception_vector == SGX_VEC_GP)
		return leaf;
	if (run->exception_vector != SGX_VEC_PF || run->exception_addr != c->page)
		return false;
	if ((code & ~(SGX_PF_P | SGX_PF_W | SGX_PF_SGX)) != SGX_PF_U)
		return false;
	if ((code & SGX_PF_SGX) && !(code & SGX_PF_P))
		return false;
	return !(code & SGX_PF_W) == (c->op != MIX_WRITE);
}

static int mix_handler(long rdi, long rsi, long rdx, long rsp, long r8, long r9,
		       struct sgx_enclave_run *run)
{
	struct mix_call *c = (struct mix_call *)(uintptr_t)run->user_data;
	struct mix_stats *st = &c->w->m->st;

	if (run->function != ERESUME)
		return 0;
	if (!mix_exception_expected(c, run)) {
		BG_FAIL("TCS %u: %s of %#llx: unexpected exception vector %u code %#x at %#llx",
			c->w->tcs, mix_op_name[c->op], (unsigned long long)c->page,
			run->exception_vector, run->exception_error_code,
			(unsigned long long)run->exception_addr);
		return 0;
	}
	if (run->exception_vector == SGX_VEC_GP)
		atomic_fetch_add_explicit(&st->gp, 1, memory_order_relaxed);
	else if (run->exception_error_code & SGX_PF_SGX)
		atomic_fetch_add_explicit(&st->pf_epcm, 1, memory_order_relaxed);
	else
		atomic_fetch_add_explicit(&st->pf_vma, 1, memory_order_relaxed);
	/* After the redirection nothing can fault: a second exception is a failure. */
	if (++c->exceptions > 1) {
		BG_FAIL("TCS %u: %s faulted again after its registers were redirected", c->w->tcs,
			mix_op_name[c->op]);
		return 0;
	}
	atomic_store(&c->w->doing, "user handler: nested entries to redirect the registers");
	if (!mix_redirect(c))
		return 0;
	atomic_store(&c->w->doing, "user handler: ERESUME");
	return ERESUME;
}

static void mix_enclave_op(struct mix_worker *w)
{
	static const uint64_t pr_perms[] = { 0, SGX_SECINFO_R, SGX_SECINFO_R | SGX_SECINFO_W };
	struct mix *m = w->m;
	struct mix_call c = { .w = w, .op = rnd_below(&w->rng, MIX_NR_OPS), .page = pool_page(m, &w->rng) };
	struct te_call call = { .arg = { 0, c.page } };
	struct sgx_enclave_run run;
	int ret;

	switch (c.op) {
	case MIX_READ:
		call = (struct te_call){ .op = TE_OP_READ, .arg = { c.page } };
		break;
	case MIX_WRITE:
		call = (struct te_call){ .op = TE_OP_WRITE, .arg = { c.page } };
		break;
	case MIX_ACCEPT_PENDING:
		call.op = TE_OP_EACCEPT;
		call.arg[0] = SGX_SECINFO_REG | SGX_SECINFO_R | SGX_SECINFO_W | SGX_SECINFO_PENDING;
		break;
	case MIX_ACCEPT_PR:
		call.op = TE_OP_EACCEPT;
		call.arg[0] = SGX_SECINFO_REG | SGX_SECINFO_PR | pr_perms[rnd_below(&w->rng, 3)];
		break;
	case MIX_ACCEPT_TRIM:
		call.op = TE_OP_EACCEPT;
		call.arg[0] = SGX_SECINFO_TRIM | SGX_SECINFO_MODIFIED;
		break;
	case MIX_ACCEPT_TCS:
		call.op = TE_OP_EACCEPT;
		call.arg[0] = SGX_SECINFO_TCS | SGX_SECINFO_MODIFIED;
		break;
	default:
		call.op = TE_OP_EMODPE;
		call.arg[0] = SGX_SECINFO_R | SGX_SECINFO_W;
		break;
	}
	memset(&run, 0, sizeof(run));
	run.tcs = softsgx_enclave_tcs(m->e, w->tcs);
	run.user_handler = (uintptr_t)mix_handler;
	run.user_data = (uintptr_t)&c;
	atomic_store(&w->doing, mix_op_name[c.op]);
	ret = softsgx_call_enclave((long)&call, 0, 0, EENTER, 0, 0, &run);
	atomic_store(&w->doing, "between enclave calls");
	atomic_fetch_add_explicit(&m->st.ops[c.op], 1, memory_order_relaxed);
	if (ret || run.function != EEXIT) {
		BG_FAIL("TCS %u: %s of %#llx ended with %d, function %u vector %u code %#x; "
			"the TCS is not entered again this round", w->tcs, mix_op_name[c.op],
			(unsigned long long)c.page, ret, run.function, run.exception_vector,
			run.exception_error_code);
		w->broken = true;
		return;
	}
	if (call.op != TE_OP_EACCEPT || c.exceptions)
		return; /* a redirected EACCEPT ran on the thread's own page: nothing to check */
	/* EACCEPT's results here: done, not in the state asked for, or tracking not complete. */
	if (call.ret == SGX_SUCCESS)
		atomic_fetch_add_explicit(&m->st.eaccept_ok, 1, memory_order_relaxed);
	else if (call.ret == SGX_PAGE_ATTRIBUTES_MISMATCH)
		atomic_fetch_add_explicit(&m->st.eaccept_mismatch, 1, memory_order_relaxed);
	else if (call.ret == SGX_NOT_TRACKED)
		atomic_fetch_add_explicit(&m->st.eaccept_not_tracked, 1, memory_order_relaxed);
	else
		BG_FAIL("TCS %u: %s of %#llx returned %s", w->tcs, mix_op_name[c.op],
			(unsigned long long)c.page, harness_sgx_name((int)call.ret));
}

/*
 * The checks an SGX2 ioctl's result must pass (docs/driver.md): success
 * covers the whole range; a failure in the page loop stops at a page
 * (count < length, whole pages), with @result (when there is one) the SGX
 * code of the refused ENCLS or 0; the errno one the call can give there.
 */
static void mix_ioctl_check(struct mix *m, const char *name, int ret, int err, uint64_t length,
			    uint64_t count, const __u64 *result)
{
	struct mix_stats *st = &m->st;

	if (!ret) {
		atomic_fetch_add_explicit(&st->ioctl_ok, 1, memory_order_relaxed);
		if (count != length)
			BG_FAIL("%s succeeded with count %#llx of %#llx", name, (unsigned long long)count,
				(unsigned long long)length);
		return;
	}
	switch (err) {
	case EBUSY: /* another ioctl on the enclave (decided before the request); REMOVE: a page
		     * a reclaim batch holds */
		atomic_fetch_add_explicit(&st->ioctl_ebusy, 1, memory_order_relaxed);
		sched_yield(); /* let the other one finish rather than spin against it */
		return;
	case EAGAIN: /* a page being reclaimed, or no EPC page free to reload it in */
		atomic_fetch_add_explicit(&st->ioctl_eagain, 1, memory_order_relaxed);
		if (result && *result)
			BG_FAIL("%s: EAGAIN with result %s", name, harness_sgx_name((int)*result));
		break;
	case EFAULT: /* no page there; ENCLS refused (result); ETRACK failed */
		atomic_fetch_add_explicit(&st->ioctl_efault, 1, memory_order_relaxed);
		if (result && *result != 0 && *result != SGX_PAGE_NOT_MODIFIABLE &&
		    *result != SGX_EPC_PAGE_CONFLICT)
			BG_FAIL("%s: EFAULT with result %s", name, harness_sgx_name((int)*result));
		break;
	case EINVAL: /* RESTRICT: a TCS or TRIM page; MODIFY_TYPES: from TRIM, TCS -> TCS */
		atomic_fetch_add_explicit(&st->ioctl_einval, 1, memory_order_relaxed);
		if (!result)
			BG_FAIL("%s: EINVAL", name);
		break;
	case EPERM: /* REMOVE_PAGES: not trimmed, or not accepted yet (EAUGed pages may be RWX) */
		atomic_fetch_add_explicit(&st->ioctl_eperm, 1, memory_order_relaxed);
		if (result)
			BG_FAIL("%s: EPERM", name);
		break;
	default:
		BG_FAIL("%s: unexpected errno %s", name, strerrorname_np(err));
		return;
	}
	if (count >= length || count % PAGE)
		BG_FAIL("%s failed (%s) with count %#llx of %#llx", name, strerrorname_np(err),
			(unsigned long long)count, (unsigned long long)length);
}

static void mix_ioctl_op(struct mix_worker *w)
{
	struct mix *m = w->m;
	int fd = softsgx_enclave_fd(m->e), ret, err;
	uint64_t first = rnd_below(&w->rng, POOL_PAGES), n = 1 + rnd_below(&w->rng, 3);
	uint64_t offset = m->pool - softsgx_enclave_base(m->e) + first * PAGE;
	uint64_t length = (first + n > POOL_PAGES ? POOL_PAGES - first : n) * PAGE;

	switch (rnd_below(&w->rng, 7)) {
	case 0:
	case 1: {
		struct sgx_enclave_restrict_permissions p = {
			.offset = offset, .length = length,
			.permissions = rnd_below(&w->rng, 2) ? SGX_SECINFO_R : 0 };

		atomic_store(&w->doing, "RESTRICT_PERMISSIONS");
		ret = softsgx_ioctl(fd, SGX_IOC_ENCLAVE_RESTRICT_PERMISSIONS, &p);
		err = errno;
		mix_ioctl_check(m, "RESTRICT_PERMISSIONS", ret, err, length, p.count, &p.result);
		break;
	}
	case 2:
	case 3:
	case 4: {
		/* Mostly TRIM; sometimes TCS, which only MODIFY_TYPES(TRIM) undoes. */
		bool tcs = rnd_below(&w->rng, 3) == 0;
		struct sgx_enclave_modify_types t = {
			.offset = offset, .length = length,
			.page_type = tcs ? SGX_PAGE_TYPE_TCS : SGX_PAGE_TYPE_TRIM };

		atomic_store(&w->doing, tcs ? "MODIFY_TYPES(TCS)" : "MODIFY_TYPES(TRIM)");
		ret = softsgx_ioctl(fd, SGX_IOC_ENCLAVE_MODIFY_TYPES, &t);
		err = errno;
		mix_ioctl_check(m, "MODIFY_TYPES", ret, err, length, t.count, &t.result);
		break;
	}
	default: {
		struct sgx_enclave_remove_pages r = { .offset = offset, .length = length };

		atomic_store(&w->doing, "REMOVE_PAGES");
		ret = softsgx_ioctl(fd, SGX_IOC_ENCLAVE_REMOVE_PAGES, &r);
		err = errno;
		mix_ioctl_check(m, "REMOVE_PAGES", ret, err, length, r.count, NULL);
		break;
	}
	}
	atomic_store(&w->doing, "between ioctls");
}

/*
 * mprotect (RW mostly, R or NONE), munmap + mmap(MAP_FIXED), mmap(MAP_FIXED)
 * over the pages, or MADV_WILLNEED. EAUGed pages may be mapped RWX (a TCS
 * RW), the EPC has room and the holes close before this thread's next
 * call, so each call must succeed.
 */
static void mix_mm_op(struct mix_worker *w)
{
	static const int prots[] = { PROT_READ | PROT_WRITE, PROT_READ | PROT_WRITE, PROT_READ,
				     PROT_NONE };
	struct mix *m = w->m;
	uint64_t first = rnd_below(&w->rng, POOL_PAGES);
	void *p = (void *)(uintptr_t)(m->pool + first * PAGE);
	size_t len = (first + 1 < POOL_PAGES && rnd_below(&w->rng, 2) ? 2 : 1) * PAGE;
	unsigned int what = rnd_below(&w->rng, 5);
	int prot = prots[rnd_below(&w->rng, 4)];
	double t0 = now();
	unsigned long us, max;

	if (what == 4) {
		atomic_store(&w->doing, "softsgx_madvise(MADV_WILLNEED)");
		if (softsgx_madvise(p, len, MADV_WILLNEED))
			BG_FAIL("madvise(%p, %#zx, MADV_WILLNEED): %s", p, len, strerrorname_np(errno));
		atomic_fetch_add_explicit(&m->st.populates, 1, memory_order_relaxed);
	} else if (what < 2) {
		atomic_store(&w->doing, "softsgx_mprotect");
		if (softsgx_mprotect(p, len, prot))
			BG_FAIL("mprotect(%p, %#zx, %d): %s", p, len, prot, strerrorname_np(errno));
		atomic_fetch_add_explicit(&m->st.mprotects, 1, memory_order_relaxed);
	} else {
		atomic_store(&w->doing, what == 2 ? "softsgx_munmap" : "softsgx_mmap over the pages");
		if (what == 2 && softsgx_munmap(p, len))
			BG_FAIL("munmap(%p, %#zx): %s", p, len, strerrorname_np(errno));
		atomic_store(&w->doing, "softsgx_mmap(MAP_FIXED)");
		if (softsgx_mmap(p, len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED,
				 softsgx_enclave_fd(m->e), 0) != p)
			BG_FAIL("mmap(%p, %#zx, MAP_FIXED): %s", p, len, strerrorname_np(errno));
		atomic_fetch_add_explicit(&m->st.remaps, 1, memory_order_relaxed);
	}
	us = (unsigned long)((now() - t0) * 1e6);
	max = atomic_load_explicit(&m->st.mm_max_us, memory_order_relaxed);
	while (us > max && !atomic_compare_exchange_weak(&m->st.mm_max_us, &max, us))
		;
	atomic_store(&w->doing, "between mm calls");
}

static void *mix_worker_main(void *arg)
{
	struct mix_worker *w = arg;
	struct mix *m = w->m;

	for (;;) {
		atomic_store(&w->doing, "waiting for the round to start");
		pthread_barrier_wait(&m->start);
		if (m->quit)
			break;
		w->broken = false;
		while (!atomic_load_explicit(&m->stop, memory_order_relaxed)) {
			if (!w->broken)
				w->op(w);
			else
				sched_yield();
		}
		atomic_store(&w->doing, "waiting for the round to end");
		pthread_barrier_wait(&m->end);
	}
	atomic_store(&w->doing, "done");
	return NULL;
}

/* A fresh enclave for the next round: its free area is the pool. */
static bool mix_load(struct mix *m)
{
	struct softsgx_load_options opts = { .nr_tcs = m->cfg->enclave_threads };

	if (softsgx_load_file(SOFTSGX_TEST_ENCLAVE, &opts, &m->e)) {
		harness_fail(__FILE__, __LINE__, "loading %s: %s", SOFTSGX_TEST_ENCLAVE,
			     strerrorname_np(errno));
		return false;
	}
	m->pool = softsgx_enclave_free_start(m->e);
	return true;
}

static void mix_report(const char *test, double seconds, const struct mix_stats *st)
{
	fprintf(stderr, "  %s: %.0f s, %lu rounds; enclave: %lu reads, %lu writes, %lu EACCEPT "
		"(%lu done, %lu mismatch, %lu not tracked), %lu EMODPE, exceptions %lu #PF mapping, "
		"%lu #PF EPCM, %lu #GP; ioctls: %lu ok, %lu EFAULT, %lu EINVAL, %lu EPERM, %lu EBUSY, "
		"%lu EAGAIN; "
		"%lu mprotect, %lu remaps, %lu populate (longest mm call %lu us)\n", test, seconds, atomic_load(&st->rounds),
		atomic_load(&st->ops[MIX_READ]), atomic_load(&st->ops[MIX_WRITE]),
		atomic_load(&st->ops[MIX_ACCEPT_PENDING]) + atomic_load(&st->ops[MIX_ACCEPT_PR]) +
			atomic_load(&st->ops[MIX_ACCEPT_TRIM]) + atomic_load(&st->ops[MIX_ACCEPT_TCS]),
		atomic_load(&st->eaccept_ok), atomic_load(&st->eaccept_mismatch),
		atomic_load(&st->eaccept_not_tracked), atomic_load(&st->ops[MIX_EMODPE]),
		atomic_load(&st->pf_vma), atomic_load(&st->pf_epcm), atomic_load(&st->gp),
		atomic_load(&st->ioctl_ok), atomic_load(&st->ioctl_efault),
		atomic_load(&st->ioctl_einval), atomic_load(&st->ioctl_eperm),
		atomic_load(&st->ioctl_ebusy), atomic_load(&st->ioctl_eagain), atomic_load(&st->mprotects),
		atomic_load(&st->remaps),
		atomic_load(&st->populates), atomic_load(&st->mm_max_us));
}

/* The workers of @cfg: enclave threads (TCS 0, 1, ...), ioctl threads, the mm thread. */
static bool mix_start_workers(struct mix *m, struct watchdog *w)
{
	const struct mix_config *cfg = m->cfg;
	struct mix_worker *x;
	unsigned int i;

	m->nr_workers = cfg->enclave_threads + cfg->ioctl_threads + 1;
	if (m->nr_workers > MIX_MAX_WORKERS)
		return false;
	pthread_barrier_init(&m->start, NULL, m->nr_workers + 1);
	pthread_barrier_init(&m->end, NULL, m->nr_workers + 1);
	for (i = 0; i < m->nr_workers; i++) {
		x = &m->w[i];
		*x = (struct mix_worker){ .m = m, .tcs = i, .rng = 0xdeadbeefcafe + 977 * i };
		if (i < cfg->enclave_threads) {
			x->op = mix_enclave_op;
			snprintf(x->name, sizeof(x->name), "enclave thread on TCS %u", i);
		} else if (i < cfg->enclave_threads + cfg->ioctl_threads) {
			x->op = mix_ioctl_op;
			snprintf(x->name, sizeof(x->name), "ioctl thread %u", i - cfg->enclave_threads);
		} else {
			x->op = mix_mm_op;
			snprintf(x->name, sizeof(x->name), "mm thread");
		}
		atomic_init(&x->doing, "starting");
		watchdog_watch(w, x->name, &x->doing);
		if (pthread_create(&x->thread, NULL, mix_worker_main, x)) {
			harness_fail(__FILE__, __LINE__, "pthread_create failed");
			abort();
		}
	}
	return true;
}

static void mix_run(const struct mix_config *cfg)
{
	struct sgx_platform *plat = sgx_platform_get();
	enum softsgx_tracking tracking = plat->cfg.tracking;
	double seconds = stress_seconds(), end, left;
	struct mix *m = calloc(1, sizeof(*m));
	struct watchdog w = { 0 };
	_Atomic(const char *) main_doing = "starting";
	struct baseline base;
	unsigned int i;
	bool ok;

	ASSERT_TRUE(m);
	m->cfg = cfg;
	/* The tracking mode is read by every ioctl: set while no other thread runs. */
	plat->cfg.tracking = cfg->tracking;
	baseline_take(&base);
	ok = mix_load(m);
	watchdog_start(&w, cfg->name, seconds);
	watchdog_watch(&w, "test thread", &main_doing);
	if (!mix_start_workers(m, &w)) {
		harness_fail(__FILE__, __LINE__, "%s: more than %d workers", cfg->name, MIX_MAX_WORKERS);
		abort();
	}

	for (end = now() + seconds; ok;) {
		atomic_store(&m->stop, false);
		atomic_store(&main_doing, "running a round");
		pthread_barrier_wait(&m->start);
		left = end - now();
		sleep_for(left > ROUND_SECONDS ? ROUND_SECONDS : left > 0 ? left : 0);
		atomic_store(&m->stop, true);
		atomic_store(&main_doing, "waiting for the threads to finish the round");
		pthread_barrier_wait(&m->end);
		atomic_fetch_add(&m->st.rounds, 1);

		/* Nothing is inside: the enclave goes, and every page and descriptor with it. */
		atomic_store(&main_doing, "softsgx_unload");
		softsgx_unload(m->e);
		m->e = NULL;
		if (free_epc() != base.free_epc || nr_open_fds() != base.fds || nr_vmas()) {
			harness_fail(__FILE__, __LINE__, "after round %lu's unload: %zu EPC pages free "
				     "(%zu before), %d descriptors (%d before), %d enclave mappings",
				     atomic_load(&m->st.rounds), free_epc(), base.free_epc, nr_open_fds(),
				     base.fds, nr_vmas());
			break;
		}
		if (now() >= end)
			break;
		atomic_store(&main_doing, "softsgx_load_file");
		ok = mix_load(m);
	}
	m->quit = true;
	atomic_store(&main_doing, "stopping the threads");
	pthread_barrier_wait(&m->start);
	for (i = 0; i < m->nr_workers; i++)
		pthread_join(m->w[i].thread, NULL);
	watchdog_stop(&w);
	pthread_barrier_destroy(&m->start);
	pthread_barrier_destroy(&m->end);
	plat->cfg.tracking = tracking;

	mix_report(cfg->name, seconds, &m->st);
	bg_collect(cfg->name);
	softsgx_unload(m->e);
	/* Linux answers a fault with SIGBUS only when EAUG fails (the EPC is not full here). */
	EXPECT_EQ(softsgx_counter(SOFTSGX_CNT_FAULT_SIGBUS), base.sigbus);
	EXPECT_TRUE(atomic_load(&m->st.eaccept_ok) > 0);
	EXPECT_TRUE(atomic_load(&m->st.ioctl_ok) > 0);
	if (cfg->ioctl_threads > 1)
		EXPECT_TRUE(atomic_load(&m->st.ioctl_ebusy) > 0);
	EXPECT_BASELINE(&base);
	free(m);
}

/* Two enclave threads, an ioctl thread, an mm thread; tracking per page, as Linux. */
TEST(mixed)
{
	static const struct mix_config cfg = { .name = "mixed", .enclave_threads = 2,
					       .ioctl_threads = 1, .tracking = SOFTSGX_TRACK_PER_PAGE };

	mix_run(&cfg);
}

/* The same with one ETRACK and interrupt round per ioctl call (beyond upstream). */
TEST(mixed_batched_tracking)
{
	static const struct mix_config cfg = { .name = "mixed_batched_tracking",
					       .enclave_threads = 2, .ioctl_threads = 1,
					       .tracking = SOFTSGX_TRACK_BATCHED };

	mix_run(&cfg);
}

/* Four enclave threads and two ioctl threads, which meet each other's EBUSY. */
TEST(mixed_more_threads)
{
	static const struct mix_config cfg = { .name = "mixed_more_threads", .enclave_threads = 4,
					       .ioctl_threads = 2, .tracking = SOFTSGX_TRACK_PER_PAGE };

	mix_run(&cfg);
}
