/* SPDX-License-Identifier: MIT */
/*
 * signal: what reaching a thread inside an enclave costs.
 *  - A program's signal to a thread spinning in enclave code, from
 *    pthread_kill until its handler runs (an AEX first, then the handler
 *    outside), against the same for a thread spinning in host code.
 *  - An interrupt round of the ETRACK flow with 1 and 3 threads inside:
 *    RESTRICT_PERMISSIONS of one page (EMODPR, ETRACK, one round that
 *    interrupts every thread inside and waits for each to leave), against
 *    signalling as many threads in host code and waiting for each handler.
 */
#include <asm/sgx.h>
#include <pthread.h>
#include <linux/futex.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "bench.h"
#include "softsgx/arch.h"
#include "test/abi.h"

#define REG_RW (SGX_SECINFO_REG | SGX_SECINFO_R | SGX_SECINFO_W)

static volatile uint64_t spin_flag;
static volatile double handled_at;

static void on_signal(int sig)
{
	(void)sig;
	handled_at = bench_now_us();
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
		bench_op(s->e, 1, TE_OP_SPIN, (uintptr_t)&spin_flag, 0, 0, 0);
	else
		while (!spin_flag)
			__builtin_ia32_pause();
	return NULL;
}

/* Send to handler, in microseconds, for each of @runs runs into @v. */
static void signal_latency(struct softsgx_enclave *e, double *v, int runs)
{
	struct sigaction sa = { .sa_handler = on_signal };
	struct sig_target s = { .e = e };
	pthread_t th;
	double sent;
	int r;

	sigemptyset(&sa.sa_mask);
	softsgx_sigaction(SIGUSR1, &sa, NULL);
	for (r = 0; r < runs; r++) {
		spin_flag = 0;
		handled_at = 0;
		s.started = 0;
		pthread_create(&th, NULL, spin_for_signal, &s);
		while (!s.started)
			;
		usleep(2000); /* inside and spinning */
		sent = bench_now_us();
		pthread_kill(th, SIGUSR1);
		pthread_join(th, NULL);
		v[r] = handled_at - sent;
	}
}

/* The floor of an interrupt round: signal @n host threads, wait until each handler ran. */
static volatile int acked;
static volatile int host_stop;

/*
 * Acknowledge and wake the sender, then yield the CPU: as softsgx's
 * interrupt handler does after its AEX, and its sender sleeps on a futex.
 */
static void on_round(int sig)
{
	(void)sig;
	__atomic_fetch_add(&acked, 1, __ATOMIC_RELEASE);
	syscall(SYS_futex, &acked, FUTEX_WAKE, 1, NULL, NULL, 0);
	sched_yield();
}

static void *host_spin(void *arg)
{
	(void)arg;
	while (!host_stop)
		__builtin_ia32_pause();
	return NULL;
}

static double host_round_us(unsigned int n, int rounds)
{
	struct sigaction sa = { .sa_handler = on_round };
	pthread_t th[4];
	unsigned int i;
	double t;
	int r;

	sigemptyset(&sa.sa_mask);
	sigaction(SIGUSR2, &sa, NULL);
	host_stop = 0;
	for (i = 0; i < n; i++)
		pthread_create(&th[i], NULL, host_spin, NULL);
	usleep(5000);
	t = bench_now_us();
	for (r = 0; r < rounds; r++) {
		acked = 0;
		for (i = 0; i < n; i++)
			pthread_kill(th[i], SIGUSR2);
		/* A short spin first: a handler that runs at once answers within microseconds. */
		for (i = 0; i < 2048 && __atomic_load_n(&acked, __ATOMIC_ACQUIRE) < (int)n; i++)
			__builtin_ia32_pause();
		for (;;) {
			struct timespec tick = { .tv_nsec = 1000000 };
			int seen = __atomic_load_n(&acked, __ATOMIC_ACQUIRE);

			if (seen >= (int)n)
				break;
			syscall(SYS_futex, &acked, FUTEX_WAIT, seen, &tick, NULL, 0);
		}
	}
	t = (bench_now_us() - t) / rounds;
	host_stop = 1;
	for (i = 0; i < n; i++)
		pthread_join(th[i], NULL);
	return t;
}

static void signal_child(struct bench *b, void *arg)
{
	struct softsgx_enclave *e = bench_load(b, 4, 0);
	uint64_t page = softsgx_enclave_free_start(e), ipi;
	struct sgx_enclave_restrict_permissions p = { 0 };
	const int calls = b->quick ? 50 : 200;
	double v[16], floor[16];
	unsigned int inside[] = { 1, 3 }, k;
	char variant[32], counts[48];
	struct bench_row *row;
	int r, i;

	(void)arg;
	signal_latency(e, v, b->runs);
	signal_latency(NULL, floor, b->runs);
	bench_add(b, "signal", "signal to a thread inside, until its handler", NULL, 0, "us", v,
		  b->runs, "same, the thread in host code", bench_median(floor, b->runs));

	softsgx_madvise((void *)(uintptr_t)page, BENCH_PAGE, MADV_WILLNEED);
	bench_op_ok(e, 0, "EACCEPT", TE_OP_EACCEPT, REG_RW | SGX_SECINFO_PENDING, page, 0, 0);
	p.offset = page - softsgx_enclave_base(e);
	p.length = BENCH_PAGE;
	p.permissions = SGX_SECINFO_R;
	for (k = 0; k < 2; k++) {
		struct bench_spinners *s = bench_spin_start(e, inside[k]);

		ipi = softsgx_counter(SOFTSGX_CNT_IPI_ROUNDS);
		for (r = 0; r < b->runs; r++) {
			double t = bench_now_us();

			for (i = 0; i < calls; i++, p.count = 0)
				if (softsgx_ioctl(softsgx_enclave_fd(e),
						  SGX_IOC_ENCLAVE_RESTRICT_PERMISSIONS, &p)) {
					perror("softsgx bench: RESTRICT_PERMISSIONS");
					_exit(1);
				}
			v[r] = (bench_now_us() - t) / calls;
		}
		snprintf(counts, sizeof(counts), "%.2f interrupt rounds per call",
			 (double)(softsgx_counter(SOFTSGX_CNT_IPI_ROUNDS) - ipi) / (calls * b->runs));
		bench_spin_stop(s);
		for (r = 0; r < b->runs; r++)
			floor[r] = host_round_us(inside[k], calls);
		snprintf(variant, sizeof(variant), "batched, %u inside", inside[k]);
		row = bench_add(b, "signal", "interrupt round: RESTRICT of 1 page", variant, 0, "us", v,
				b->runs, inside[k] == 1 ? "signal 1 host thread, handler ran"
							: "signal 3 host threads, handlers ran",
				bench_median(floor, b->runs));
		if (row)
			snprintf(row->counts, sizeof(row->counts), "%s", counts);
	}
	softsgx_unload(e);
}

static void run_signal(struct bench *b)
{
	struct softsgx_config cfg = { .tracking = SOFTSGX_TRACK_BATCHED };

	bench_child(b, "signal", &cfg, NULL, signal_child, NULL);
}

const struct bench_def bench_signal = {
	.name = "signal",
	.summary = "a signal to a thread inside an enclave; interrupt rounds with threads inside",
	.run = run_signal,
};
