/* SPDX-License-Identifier: MIT */
/*
 * What the benchmarks share (bench.h): the table of rows, child processes
 * with a platform each, the test enclave and its calls, threads spinning
 * inside, and the two host operations most floors are made of.
 */
#include <asm/sgx.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench.h"
#include "test/abi.h"

#define EENTER 2
#define EEXIT 4

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

double bench_median(double *v, int n)
{
	qsort(v, n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

struct bench_row *bench_add(struct bench *b, const char *name, const char *what,
			    const char *variant, uint64_t n, const char *unit, double *v, int runs,
			    const char *floor_what, double floor)
{
	int i = __atomic_fetch_add(&b->rows->nr, 1, __ATOMIC_RELAXED);
	struct bench_row *r;

	if (i >= BENCH_MAX_ROWS) {
		fprintf(stderr, "softsgx bench: more than %d rows; %s dropped\n", BENCH_MAX_ROWS, what);
		return NULL;
	}
	r = &b->rows->row[i];
	memset(r, 0, sizeof(*r));
	snprintf(r->bench, sizeof(r->bench), "%s", name);
	snprintf(r->what, sizeof(r->what), "%s", what);
	snprintf(r->variant, sizeof(r->variant), "%s", variant ? variant : "");
	snprintf(r->unit, sizeof(r->unit), "%s", unit);
	snprintf(r->floor_what, sizeof(r->floor_what), "%s", floor_what ? floor_what : "");
	r->n = n;
	r->med = bench_median(v, runs);
	r->lo = v[0];
	r->hi = v[runs - 1];
	r->runs = runs;
	r->floor = floor;
	return r;
}

bool bench_child(struct bench *b, const char *label, const struct softsgx_config *cfg,
		 const char *host_disable, void (*fn)(struct bench *b, void *arg), void *arg)
{
	int status;
	pid_t pid;

	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		perror("softsgx bench: fork");
		return false;
	}
	if (pid == 0) {
		if (host_disable)
			setenv("SOFTSGX_HOST_DISABLE", host_disable, 1);
		if (softsgx_configure(cfg)) {
			perror("softsgx bench: softsgx_configure");
			_exit(1);
		}
		fn(b, arg);
		fflush(NULL);
		_exit(0);
	}
	if (waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status)) {
		fprintf(stderr, "softsgx bench: the %s run failed (%s %d); its rows are missing\n",
			label, WIFSIGNALED(status) ? "signal" : "status",
			WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status));
		return false;
	}
	return true;
}

struct softsgx_enclave *bench_load(struct bench *b, unsigned int tcs, uint64_t size)
{
	struct softsgx_load_options opts = { .nr_tcs = tcs, .encl_size = size };
	struct softsgx_enclave *e;

	if (softsgx_load_image(b->image, b->image_len, &opts, &e)) {
		perror("softsgx bench: loading the test enclave");
		exit(1);
	}
	return e;
}

uint64_t bench_op(struct softsgx_enclave *e, unsigned int tcs, uint64_t code, uint64_t a0,
		  uint64_t a1, uint64_t a2, uint64_t a3)
{
	struct te_call c = { .op = code, .arg = { a0, a1, a2, a3 } };
	struct sgx_enclave_run run;

	memset(&run, 0, sizeof(run));
	run.tcs = softsgx_enclave_tcs(e, tcs);
	if (softsgx_call_enclave((long)&c, 0, 0, EENTER, 0, 0, &run) || run.function != EEXIT) {
		fprintf(stderr, "softsgx bench: enclave operation %llu failed (vector %u at %#llx)\n",
			(unsigned long long)code, run.exception_vector,
			(unsigned long long)run.exception_addr);
		exit(1);
	}
	return c.ret;
}

void bench_op_ok(struct softsgx_enclave *e, unsigned int tcs, const char *what, uint64_t code,
		 uint64_t a0, uint64_t a1, uint64_t a2, uint64_t a3)
{
	uint64_t ret = bench_op(e, tcs, code, a0, a1, a2, a3);

	if (ret) {
		fprintf(stderr, "softsgx bench: %s: %#llx\n", what, (unsigned long long)ret);
		exit(1);
	}
}

#define MAX_SPINNERS 4

struct bench_spinners {
	struct softsgx_enclave *e;
	unsigned int n;
	volatile uint64_t stop;
	int inside;
	pthread_t th[MAX_SPINNERS];
	unsigned int tcs[MAX_SPINNERS];
};

struct spinner_arg {
	struct bench_spinners *s;
	unsigned int tcs;
};

static void *spin(void *arg)
{
	struct spinner_arg *a = arg;
	struct bench_spinners *s = a->s;
	unsigned int tcs = a->tcs;

	free(a);
	__atomic_fetch_add(&s->inside, 1, __ATOMIC_RELEASE);
	bench_op(s->e, tcs, TE_OP_SPIN, (uintptr_t)&s->stop, 0, 0, 0);
	return NULL;
}

struct bench_spinners *bench_spin_start(struct softsgx_enclave *e, unsigned int n)
{
	struct bench_spinners *s = calloc(1, sizeof(*s));
	unsigned int i;

	if (!s || n > MAX_SPINNERS) {
		fprintf(stderr, "softsgx bench: %u spinning threads\n", n);
		exit(1);
	}
	s->e = e;
	s->n = n;
	for (i = 0; i < n; i++) {
		struct spinner_arg *a = malloc(sizeof(*a));

		if (!a) {
			perror("softsgx bench");
			exit(1);
		}
		a->s = s;
		a->tcs = i + 1;
		if (pthread_create(&s->th[i], NULL, spin, a)) {
			perror("softsgx bench: pthread_create");
			exit(1);
		}
	}
	while (__atomic_load_n(&s->inside, __ATOMIC_ACQUIRE) < (int)n)
		usleep(100);
	usleep(5000); /* past EENTER, spinning */
	return s;
}

void bench_spin_stop(struct bench_spinners *s)
{
	unsigned int i;

	s->stop = 1;
	for (i = 0; i < s->n; i++)
		pthread_join(s->th[i], NULL);
	free(s);
}

static void skip_enclu(int sig, siginfo_t *info, void *ucv)
{
	ucontext_t *uc = ucv;

	(void)sig;
	(void)info;
	uc->uc_mcontext.gregs[REG_RIP] += 3;
}

/*
 * The trap every ENCLU of enclave code costs: an ENCLU outside any enclave
 * (#UD or #GP, as the machine has it) and a handler that steps over it.
 * Measured in the parent, which runs no enclave: the signals are its own.
 */
double bench_host_trap_us(int calls)
{
	struct sigaction sa = { .sa_sigaction = skip_enclu, .sa_flags = SA_SIGINFO }, old_ill,
			 old_segv;
	double t;
	int i;

	sigaction(SIGILL, &sa, &old_ill);
	sigaction(SIGSEGV, &sa, &old_segv);
	t = bench_now_us();
	for (i = 0; i < calls; i++)
		__asm__ volatile("mov $0xff, %%eax\n\t.byte 0x0f, 0x01, 0xd7" ::: "rax", "memory");
	t = (bench_now_us() - t) / calls;
	sigaction(SIGILL, &old_ill, NULL);
	sigaction(SIGSEGV, &old_segv, NULL);
	return t;
}

static double mprotect_us(uint64_t pages);
static volatile int host_spin_stop;

static void *host_spin(void *arg)
{
	(void)arg;
	while (!host_spin_stop)
		__builtin_ia32_pause();
	return NULL;
}

/*
 * One mprotect(2) taking write away from @pages pages in use (touched:
 * page-table entries), while @spinning other threads of the process spin
 * (a change of the mappings then flushes their CPUs' TLBs too).
 */
double bench_host_mprotect_us(uint64_t pages, unsigned int spinning)
{
	pthread_t th[MAX_SPINNERS];
	unsigned int i;
	double t;

	host_spin_stop = 0;
	for (i = 0; i < spinning && i < MAX_SPINNERS; i++)
		pthread_create(&th[i], NULL, host_spin, NULL);
	usleep(spinning ? 5000 : 0);
	t = mprotect_us(pages);
	host_spin_stop = 1;
	for (i = 0; i < spinning && i < MAX_SPINNERS; i++)
		pthread_join(th[i], NULL);
	return t;
}

static double mprotect_us(uint64_t pages)
{
	char *area = mmap(NULL, pages * BENCH_PAGE, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	double t;
	uint64_t i;

	if (area == MAP_FAILED)
		return 0;
	for (i = 0; i < pages; i++)
		area[i * BENCH_PAGE] = 1;
	t = bench_now_us();
	mprotect(area, pages * BENCH_PAGE, PROT_READ);
	t = bench_now_us() - t;
	munmap(area, pages * BENCH_PAGE);
	return t;
}
