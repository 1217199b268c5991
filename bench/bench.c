/* SPDX-License-Identifier: MIT */
/*
 * softsgx benchmarks: what each emulated operation costs, next to the host
 * operations it cannot avoid (a trap, an mprotect). Figures, not pass/fail.
 *
 *   ecall        EENTER + EEXIT through the entry function    vs  1 trap of ENCLU
 *   fault        EACCEPT of an unbacked page (EAUG on fault)   vs  2 traps + 1 mprotect
 *                (both with every host feature, then without each: FSGSBASE,
 *                Syscall User Dispatch, CPUID faulting, and without all)
 *   restrict     RESTRICT_PERMISSIONS over N pages, per-page   vs  batched tracking,
 *                and with a thread inside the enclave (interrupts)
 *   mprotect     softsgx_mprotect over 4096 pages              vs  mprotect(2) over them
 *   signal       a signal to a thread spinning in an enclave:  vs  the same to a thread
 *                sent until its handler runs (AEX first)           spinning in host code
 *   preload      open+close, mmap+munmap, mprotect, fstat of   vs  the same without it
 *                ordinary files under libsoftsgx-preload.so        (calls.c, its own process)
 *   syscalls     a system call let through by a seccomp filter  vs  the same without either
 *                or by Syscall User Dispatch, and one trapped      (syscalls.c: how catching a
 *                to SIGSYS and performed by the handler            runtime's raw calls costs)
 *
 * Each tracking mode runs in its own child process (the mode is fixed when
 * the platform is created).
 */
#include <asm/sgx.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "softsgx/arch.h"
#include "softsgx/loader.h"
#include "softsgx/softsgx.h"
#include "test/abi.h"

#define PAGE 4096ull
#define EENTER 2
#define REG_RW (SGX_SECINFO_REG | SGX_SECINFO_R | SGX_SECINFO_W)

static double now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

#define ROUNDS 7

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* The median of @n figures (sorted in place): one slow round does not move it. */
static double median(double *v, int n)
{
	qsort(v, n, sizeof(*v), cmp_double);
	return v[n / 2];
}

static void row(const char *what, double emulated_us, const char *host_what, double host_us)
{
	printf("  %-46s %9.2f us   %-28s %9.2f us   x%.1f\n", what, emulated_us, host_what, host_us,
	       host_us > 0 ? emulated_us / host_us : 0);
}

static struct softsgx_enclave *load(void)
{
	struct softsgx_load_options opts = { .encl_size = 64ull << 20 };
	struct softsgx_enclave *e;

	if (softsgx_load_file(SOFTSGX_TEST_ENCLAVE, &opts, &e)) {
		perror("softsgx: loading the test enclave");
		exit(1);
	}
	return e;
}

static uint64_t op(struct softsgx_enclave *e, unsigned int tcs, uint64_t code, uint64_t a0,
		   uint64_t a1)
{
	struct te_call c = { .op = code, .arg = { a0, a1 } };
	struct sgx_enclave_run run;

	memset(&run, 0, sizeof(run));
	run.tcs = softsgx_enclave_tcs(e, tcs);
	if (softsgx_call_enclave((long)&c, 0, 0, EENTER, 0, 0, &run) || run.function != 4) {
		fprintf(stderr, "bench: enclave call failed (vector %u)\n", run.exception_vector);
		exit(1);
	}
	return c.ret;
}

/* Host baselines */

static void on_trap(int sig, siginfo_t *info, void *ucv)
{
	ucontext_t *uc = ucv;

	uc->uc_mcontext.gregs[REG_RIP] += 3; /* skip the ENCLU */
}

/*
 * The trap every ENCLU of enclave code costs: an ENCLU outside any enclave
 * (#UD or #GP, as the machine has it) and a handler that steps over it.
 * Measured in the parent, which never runs enclaves: the signals are its own.
 */
static double host_trap_us(int n)
{
	struct sigaction sa = { .sa_sigaction = on_trap, .sa_flags = SA_SIGINFO }, old_ill, old_segv;
	double t;
	int i;

	sigaction(SIGILL, &sa, &old_ill);
	sigaction(SIGSEGV, &sa, &old_segv);
	t = now_us();
	for (i = 0; i < n; i++)
		__asm__ volatile("mov $0xff, %%eax\n\t.byte 0x0f, 0x01, 0xd7" ::: "rax", "memory");
	t = (now_us() - t) / n;
	sigaction(SIGILL, &old_ill, NULL);
	sigaction(SIGSEGV, &old_segv, NULL);
	return t;
}

static double host_trap, host_mprotect_page, host_mprotect_range, host_mprotect_pages;

static double host_mprotect_us(size_t pages, bool per_page)
{
	char *area = mmap(NULL, pages * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	double t;
	size_t i;

	/* Touched first, like enclave pages in use: mprotect has page-table entries to change. */
	for (i = 0; i < pages; i++)
		area[i * PAGE] = 1;
	t = now_us();
	if (per_page)
		for (i = 0; i < pages; i++)
			mprotect(area + i * PAGE, PAGE, (i & 1) ? PROT_READ : PROT_READ | PROT_WRITE);
	else
		mprotect(area, pages * PAGE, PROT_READ);
	t = now_us() - t;
	munmap(area, pages * PAGE);
	return t;
}

/* Emulated operations */

static void bench_ecall(const char *features)
{
	struct softsgx_enclave *e = load();
	char what[96];
	const int n = 1000;
	double t, rounds[ROUNDS];
	int i, r;

	op(e, 0, TE_OP_NOP, 0, 0); /* first touches fault the pages in */
	for (r = 0; r < ROUNDS; r++) {
		t = now_us();
		for (i = 0; i < n; i++)
			op(e, 0, TE_OP_NOP, 0, 0);
		rounds[r] = (now_us() - t) / n;
	}
	t = median(rounds, ROUNDS);
	snprintf(what, sizeof(what), "ecall (EENTER, NOP, EEXIT)%s", features);
	row(what, t, "1 ENCLU trap", host_trap);
	softsgx_unload(e);
}

static void bench_fault(const char *features)
{
	struct softsgx_enclave *e = load();
	char what[96];
	uint64_t base = softsgx_enclave_free_start(e);
	const int n = 500;
	double t;
	int i;

	t = now_us();
	for (i = 0; i < n; i++)
		op(e, 0, TE_OP_EACCEPT, REG_RW | SGX_SECINFO_PENDING, base + i * PAGE);
	t = (now_us() - t) / n;
	snprintf(what, sizeof(what), "EACCEPT of an unbacked page%s", features);
	row(what, t, "2 ENCLU traps + mprotect", 2 * host_trap + host_mprotect_page);
	softsgx_unload(e);
}

struct spinner {
	struct softsgx_enclave *e;
	volatile uint64_t stop;
};

static void *spin(void *arg)
{
	struct spinner *s = arg;

	op(s->e, 1, TE_OP_SPIN, (uintptr_t)&s->stop, 0);
	return NULL;
}

static void bench_restrict(const char *mode, size_t pages, bool with_thread)
{
	struct spinner s = { .e = load() };
	uint64_t base = softsgx_enclave_free_start(s.e), rounds;
	struct sgx_enclave_restrict_permissions p = { 0 };
	char what[80];
	pthread_t th;
	double t;

	softsgx_madvise((void *)(uintptr_t)base, pages * PAGE, MADV_WILLNEED); /* batched EAUG */
	for (size_t i = 0; i < pages; i++)
		op(s.e, 0, TE_OP_EACCEPT, REG_RW | SGX_SECINFO_PENDING, base + i * PAGE);
	if (with_thread) {
		pthread_create(&th, NULL, spin, &s);
		usleep(20000);
	}
	rounds = softsgx_counter(SOFTSGX_CNT_IPI_ROUNDS);
	p.offset = base - softsgx_enclave_base(s.e);
	p.length = pages * PAGE;
	p.permissions = SGX_SECINFO_R;
	t = now_us();
	if (softsgx_ioctl(softsgx_enclave_fd(s.e), SGX_IOC_ENCLAVE_RESTRICT_PERMISSIONS, &p))
		perror("bench: RESTRICT_PERMISSIONS");
	t = now_us() - t;
	snprintf(what, sizeof(what), "RESTRICT %zu pages, %s%s (%llu IPI)", pages, mode,
		 with_thread ? ", 1 inside" : "",
		 (unsigned long long)(softsgx_counter(SOFTSGX_CNT_IPI_ROUNDS) - rounds));
	row(what, t, "mprotect per page (host)", host_mprotect_pages);
	if (with_thread) {
		s.stop = 1;
		pthread_join(th, NULL);
	}
	softsgx_unload(s.e);
}

static void bench_mprotect(void)
{
	struct softsgx_enclave *e = load();
	uint64_t base = softsgx_enclave_free_start(e);
	const size_t pages = 4096;
	double t;

	softsgx_madvise((void *)(uintptr_t)base, pages * PAGE, MADV_WILLNEED);
	t = now_us();
	softsgx_mprotect((void *)(uintptr_t)base, pages * PAGE, PROT_READ);
	t = now_us() - t;
	row("softsgx_mprotect, 4096 pages", t, "mprotect(2), one call", host_mprotect_range);
	softsgx_unload(e);
}

static void run_mode(enum softsgx_tracking tracking, const char *name)
{
	struct softsgx_config cfg = { .epc_size = 256ull << 20, .tracking = tracking };
	pid_t pid = fork();
	int status;

	if (pid == 0) {
		if (softsgx_configure(&cfg)) {
			perror("softsgx_configure");
			_exit(1);
		}
		if (tracking == SOFTSGX_TRACK_PER_PAGE)
			bench_mprotect();
		bench_restrict(name, 256, false);
		bench_restrict(name, 256, true);
		_exit(0);
	}
	waitpid(pid, &status, 0);
	if (!WIFEXITED(status) || WEXITSTATUS(status))
		fprintf(stderr, "bench: the %s run failed\n", name);
}

/*
 * The ecall and the fault with the host features softsgx may use, then with
 * each turned off (SOFTSGX_HOST_DISABLE, read when the child's platform
 * starts): what a host without it costs, measured on this one.
 */
/* Signal delivery to a spinning thread: send to handler, in microseconds. */
static volatile uint64_t spin_flag;
static volatile double handled_at;

static void on_signal(int sig)
{
	handled_at = now_us();
	spin_flag = 1;
}

struct sig_target {
	struct softsgx_enclave *e; /* NULL: spin in host code */
	volatile int started;
};

static void *spin_for_signal(void *arg)
{
	struct sig_target *s = arg;

	s->started = 1;
	if (s->e)
		op(s->e, 1, TE_OP_SPIN, (uintptr_t)&spin_flag, 0);
	else
		while (!spin_flag)
			__builtin_ia32_pause();
	return NULL;
}

static double signal_latency_us(struct softsgx_enclave *e)
{
	struct sigaction sa = { .sa_handler = on_signal };
	double v[ROUNDS], sent;
	struct sig_target s = { .e = e };
	pthread_t th;
	int r;

	sigemptyset(&sa.sa_mask);
	softsgx_sigaction(SIGUSR1, &sa, NULL);
	for (r = 0; r < ROUNDS; r++) {
		spin_flag = 0;
		handled_at = 0;
		s.started = 0;
		pthread_create(&th, NULL, spin_for_signal, &s);
		while (!s.started)
			;
		usleep(2000); /* inside and spinning */
		sent = now_us();
		pthread_kill(th, SIGUSR1);
		pthread_join(th, NULL);
		v[r] = handled_at - sent;
	}
	return median(v, ROUNDS);
}

static void bench_signal(void)
{
	struct softsgx_enclave *e = load();

	if (!e)
		return;
	row("signal to a thread in an enclave, to handler", signal_latency_us(e),
	    "same, thread in host code", signal_latency_us(NULL));
	softsgx_unload(e);
}

/*
 * A bench program's figures (@n numbers on one line), run with the
 * preload library or without; @arg is its argument, or NULL.
 */
static bool run_figures(bool preload, const char *prog, const char *arg, double *out, int n)
{
	char cmd[4096];
	FILE *p;
	bool ok = true;
	int i;

	snprintf(cmd, sizeof(cmd), "%s%s%s '%s' %s%s%s", preload ? "LD_PRELOAD='" : "",
		 preload ? SOFTSGX_PRELOAD : "", preload ? "'" : "", prog, arg ? "'" : "",
		 arg ? arg : "", arg ? "'" : "");
	p = popen(cmd, "r");
	if (!p)
		return false;
	for (i = 0; i < n; i++)
		ok = ok && fscanf(p, "%lf", &out[i]) == 1;
	return !pclose(p) && ok;
}

#define MAX_FIGURES 4

/*
 * A bench program's @n figures (nanoseconds, named @names), with the
 * preload library against without it, in alternating runs so that a slow
 * moment of the machine hits both alike; the medians as rows.
 */
static void compare_preloaded(const char *prog, const char *arg, const char *const *names, int n)
{
	double with[MAX_FIGURES], without[MAX_FIGURES], us[2][MAX_FIGURES][ROUNDS];
	char label[80];
	int r, i;

	for (r = 0; r < ROUNDS; r++) {
		if (!run_figures(false, prog, arg, without, n) || !run_figures(true, prog, arg, with, n)) {
			fprintf(stderr, "bench: %s failed\n", prog);
			return;
		}
		for (i = 0; i < n; i++) {
			us[0][i][r] = with[i] / 1e3;
			us[1][i][r] = without[i] / 1e3;
		}
	}
	for (i = 0; i < n; i++) {
		snprintf(label, sizeof(label), "%s, preloaded", names[i]);
		row(label, median(us[0][i], ROUNDS), "without the preload", median(us[1][i], ROUNDS));
	}
}

/* A program's own system calls (rawcalls.c) under the preload library's seccomp filter. */
static void bench_rawcalls(void)
{
	static const char *const names[] = { "own getppid (let through)",
					     "own close(-1) (trapped, routed)",
					     "own rt_sigprocmask (trapped, answered)" };

	printf("\na program's own system calls under the preload library (medians of %d runs)\n",
	       ROUNDS);
	compare_preloaded(SOFTSGX_BENCH_RAWCALLS, NULL, names, 3);
}

/* The preload library's toll on calls that are not softsgx's (calls.c). */
static void bench_preload(void)
{
	static const char *const names[MAX_FIGURES] = {
		"open + close of a file", "mmap + munmap of a file page",
		"mprotect of an anonymous page", "fstat of a file"
	};
	char file[] = "/tmp/softsgx-bench-XXXXXX";
	int fd = mkstemp(file);

	if (fd < 0 || ftruncate(fd, 4096)) {
		perror("bench: a file for the preload figures");
		return;
	}
	close(fd);
	printf("\nordinary calls under libsoftsgx-preload.so (medians of %d runs)\n", ROUNDS);
	compare_preloaded(SOFTSGX_BENCH_CALLS, file, names, MAX_FIGURES);
	unlink(file);
}

/* Catching raw system calls (syscalls.c): what each mechanism costs per call. */
static void bench_syscalls(void)
{
	FILE *p = popen(SOFTSGX_BENCH_SYSCALLS, "r");
	double base = 0, through, trapped;
	char mode[32], label[80];

	if (!p)
		return;
	printf("\ncatching raw system calls (syscalls.c, in its own processes)\n");
	while (fscanf(p, "%31s %lf %lf", mode, &through, &trapped) == 3) {
		if (!strcmp(mode, "none")) {
			base = through;
			continue;
		}
		snprintf(label, sizeof(label), "system call let through by %s", mode);
		row(label, through / 1e3, "no filter, no dispatch", base / 1e3);
		snprintf(label, sizeof(label), "system call trapped by %s (SIGSYS)", mode);
		row(label, trapped / 1e3, "no filter, no dispatch", base / 1e3);
	}
	pclose(p);
}

static void run_features(const char *disable)
{
	struct softsgx_config cfg = { .epc_size = 256ull << 20 };
	char label[64];
	pid_t pid = fork();
	int status;

	if (pid == 0) {
		if (disable)
			setenv("SOFTSGX_HOST_DISABLE", disable, 1);
		snprintf(label, sizeof(label), "%s%s", disable ? ", no " : "", disable ? disable : "");
		if (softsgx_configure(&cfg)) {
			perror("softsgx_configure");
			_exit(1);
		}
		bench_ecall(label);
		bench_fault(label);
		if (!disable)
			bench_signal();
		_exit(0);
	}
	waitpid(pid, &status, 0);
	if (!WIFEXITED(status) || WEXITSTATUS(status))
		fprintf(stderr, "bench: the run without %s failed\n", disable ? disable : "nothing");
}

int main(void)
{
	double rounds[ROUNDS];

	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("softsgx benchmarks (emulated operation vs the host operations it cannot avoid)\n\n");
	for (int r = 0; r < ROUNDS; r++)
		rounds[r] = host_trap_us(2000);
	host_trap = median(rounds, ROUNDS);
	host_mprotect_page = host_mprotect_us(256, true) / 256;
	host_mprotect_range = host_mprotect_us(4096, false);
	host_mprotect_pages = host_mprotect_us(256, true);
	run_features(NULL);
	run_features("fsgsbase");
	run_features("sud");
	run_features("cpuid-faulting");
	run_features("all");
	run_mode(SOFTSGX_TRACK_PER_PAGE, "per-page");
	run_mode(SOFTSGX_TRACK_BATCHED, "batched");
	bench_preload();
	bench_syscalls();
	bench_rawcalls();
	return 0;
}
