/* SPDX-License-Identifier: MIT */
/*
 * The hostile platform's injector (inject.h): the specification, the
 * decisions, and the evidence of each injection (counter, trace event,
 * log line). Decisions run in signal handlers (the fault path): no
 * allocation and no stdio after the specification is parsed.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "driver/driver.h"
#include "driver/inject.h"
#include "tidlocal.h"
#include "trace/trace.h"

enum rule_kind {
	RULE_OFF,
	RULE_CHANCE, /* probability per call */
	RULE_EVERY,  /* every n-th call */
	RULE_AT,     /* exactly the n-th call */
	RULE_RATE,   /* n per second (aex.rate) */
};

struct rule {
	enum rule_kind kind;
	uint64_t threshold;    /* RULE_CHANCE: hit when the call's random number is below */
	bool always;           /* RULE_CHANCE with probability 1 */
	uint64_t n;            /* RULE_EVERY, RULE_AT: the period or the call; RULE_RATE: per second */
	uint64_t encl;         /* only the enclave of the encl-th ECREATE; 0: every enclave */
	uint64_t after;        /* not before call after + 1 */
	uint64_t max;          /* at most this many injections; 0: no limit */
	uint64_t thread;       /* only this thread's number + 1; 0: every thread */
	_Atomic uint64_t hits;
};

struct sgx_inject {
	uint64_t seed;
	unsigned int retries;  /* fault.retry's n */
	struct rule rule[SGX_NR_INJECT_POINTS];
	int log_fd;
	_Atomic uint64_t seq;  /* injections so far, for the log */
	_Atomic uint32_t threads; /* numbers given to threads */
	atomic_bool aex_started;
};

static const char *const point_names[SGX_NR_INJECT_POINTS] = {
	[SGX_INJ_EMODPR_CONFLICT] = "emodpr.conflict",
	[SGX_INJ_EMODT_CONFLICT] = "emodt.conflict",
	[SGX_INJ_EACCEPT_NOT_TRACKED] = "eaccept.not_tracked",
	[SGX_INJ_EINIT_UNMASKED_EVENT] = "einit.unmasked_event",
	[SGX_INJ_EWB_NOT_TRACKED] = "ewb.not_tracked",
	[SGX_INJ_IOCTL_EBUSY] = "ioctl.ebusy",
	[SGX_INJ_ADD_SIGNAL] = "add.signal",
	[SGX_INJ_RESTRICT_EAGAIN] = "restrict.eagain",
	[SGX_INJ_MODIFY_EAGAIN] = "modify.eagain",
	[SGX_INJ_REMOVE_EAGAIN] = "remove.eagain",
	[SGX_INJ_REMOVE_EBUSY] = "remove.ebusy",
	[SGX_INJ_ALLOC_ENOMEM] = "alloc.enomem",
	[SGX_INJ_ALLOC_EBUSY] = "alloc.ebusy",
	[SGX_INJ_FAULT_SIGBUS] = "fault.sigbus",
	[SGX_INJ_FAULT_RETRY] = "fault.retry",
	[SGX_INJ_EVICT] = "evict",
	[SGX_INJ_AEX] = "aex.rate",
	[SGX_INJ_ETRACK_IRQ] = "etrack.irq",
};

const char *sgx_inject_point_name(enum sgx_inject_point point)
{
	return (unsigned int)point < SGX_NR_INJECT_POINTS ? point_names[point] : "?";
}

/* The specification */

#define MAX_RETRIES 16 /* below the host's bound on retrying one leaf */

static const char *fail(char *why, size_t len, const char *fmt, const char *item)
{
	snprintf(why, len, fmt, item);
	return why;
}

static int point_by_name(const char *name, size_t len)
{
	int i;

	for (i = 0; i < SGX_NR_INJECT_POINTS; i++)
		if (strlen(point_names[i]) == len && !strncmp(point_names[i], name, len))
			return i;
	return -1;
}

/* A decimal number that fills @s entirely. */
static bool number(const char *s, uint64_t *out)
{
	char *end;

	if (*s < '0' || *s > '9')
		return false;
	errno = 0;
	*out = strtoull(s, &end, 10);
	return !errno && !*end;
}

/* "0.1" (a chance per call), "1/50" (every 50th), "#17" (the 17th), "1000/s" (aex.rate). */
static bool parse_value(char *v, bool rate, struct rule *r)
{
	char *slash = strchr(v, '/'), *end;
	double p;

	if (rate) {
		if (!slash || strcmp(slash, "/s"))
			return false;
		*slash = 0;
		r->kind = RULE_RATE;
		return number(v, &r->n) && r->n > 0 && r->n <= 100000;
	}
	if (*v == '#') {
		r->kind = RULE_AT;
		return number(v + 1, &r->n) && r->n > 0;
	}
	if (slash) {
		*slash = 0;
		r->kind = RULE_EVERY;
		return !strcmp(v, "1") && number(slash + 1, &r->n) && r->n > 0;
	}
	if ((*v < '0' || *v > '9') && *v != '.')
		return false;
	errno = 0;
	p = strtod(v, &end);
	if (errno || *end || !(p >= 0.0 && p <= 1.0))
		return false;
	r->kind = p > 0.0 ? RULE_CHANCE : RULE_OFF;
	p *= 18446744073709551616.0; /* 2^64 */
	r->always = p >= 18446744073709551616.0;
	r->threshold = r->always ? 0 : (uint64_t)p;
	return true;
}

/* ":encl=N:after=K:max=M:thread=T:n=R" after a value; @opts is cut off it. */
static const char *parse_options(char *opts, struct rule *r, struct sgx_inject *inj,
				 const char *item, char *why, size_t len)
{
	char *opt, *save = NULL, *eq;
	uint64_t v;

	for (opt = strtok_r(opts, ":", &save); opt; opt = strtok_r(NULL, ":", &save)) {
		eq = strchr(opt, '=');
		if (eq && !strcmp(opt, "thread=ksgxd") && r != &inj->rule[SGX_INJ_AEX]) {
			r->thread = (uint64_t)SGX_INJECT_KSGXD + 1;
			continue;
		}
		if (!eq || !number(eq + 1, &v))
			return fail(why, len, "'%s': an option is name=number", item);
		*eq = 0;
		if (r == &inj->rule[SGX_INJ_AEX] && strcmp(opt, "max"))
			return fail(why, len, "'%s': aex.rate takes one option, max=M", item);
		if (!strcmp(opt, "encl") && v > 0 && r != &inj->rule[SGX_INJ_ALLOC_ENOMEM] &&
		    r != &inj->rule[SGX_INJ_ALLOC_EBUSY])
			r->encl = v;
		else if (!strcmp(opt, "after"))
			r->after = v;
		else if (!strcmp(opt, "max") && v > 0)
			r->max = v;
		else if (!strcmp(opt, "thread") && v < SGX_INJECT_KSGXD)
			r->thread = v + 1;
		else if (!strcmp(opt, "n") && r == &inj->rule[SGX_INJ_FAULT_RETRY] && v >= 1 &&
			 v <= MAX_RETRIES)
			inj->retries = (unsigned int)v;
		else
			return fail(why, len, "'%s': options are encl=N (from 1; not for alloc.*), "
					      "after=K, max=M (from 1), thread=T (or ksgxd), and n=1..16 "
					      "for fault.retry", item);
	}
	return NULL;
}

static const char *parse_item(char *item, struct sgx_inject *inj, char *why, size_t len)
{
	char *eq = strchr(item, '='), *opts, copy[128];
	struct rule *r;
	int point;

	snprintf(copy, sizeof(copy), "%s", item);
	if (!eq)
		return fail(why, len, "'%s': expected point=value", copy);
	if (eq - item == 4 && !strncmp(item, "seed", 4))
		return number(eq + 1, &inj->seed) ? NULL
						  : fail(why, len, "'%s': the seed is a number", copy);
	point = point_by_name(item, (size_t)(eq - item));
	if (point < 0)
		return fail(why, len, "'%s': no such injection point (docs/injection.md lists them)",
			    copy);
	r = &inj->rule[point];
	opts = strchr(eq + 1, ':');
	if (opts)
		*opts++ = 0;
	if (!parse_value(eq + 1, point == SGX_INJ_AEX, r))
		return fail(why, len,
			    point == SGX_INJ_AEX ? "'%s': expected a rate such as 1000/s (up to 100000/s)"
						 : "'%s': expected a probability (0.1), a period (1/50) "
						   "or a call (#17)",
			    copy);
	return opts ? parse_options(opts, r, inj, copy, why, len) : NULL;
}

const char *sgx_inject_parse(const char *spec, struct sgx_inject **out, char *why, size_t len)
{
	struct sgx_inject *inj;
	char *text, *item, *save = NULL;
	const char *err = NULL;
	bool any = false;
	int i;

	if (out)
		*out = NULL;
	inj = calloc(1, sizeof(*inj));
	text = strdup(spec);
	if (!inj || !text) {
		free(inj);
		free(text);
		return fail(why, len, "%s", "out of memory");
	}
	inj->retries = 3;
	inj->log_fd = -1;
	for (item = strtok_r(text, ",", &save); item && !err; item = strtok_r(NULL, ",", &save))
		err = parse_item(item, inj, why, len);
	free(text);
	for (i = 0; i < SGX_NR_INJECT_POINTS; i++)
		any |= inj->rule[i].kind != RULE_OFF;
	if (err || !out || !any) {
		free(inj);
		return err;
	}
	*out = inj;
	return NULL;
}

int sgx_inject_open_log(struct sgx_inject *inj)
{
	const char *path = getenv("SOFTSGX_INJECT_LOG");

	if (!path || !*path)
		return 0;
	inj->log_fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0644);
	return inj->log_fd < 0 ? -errno : 0;
}

void sgx_inject_free(struct sgx_inject *inj)
{
	if (!inj)
		return;
	if (inj->log_fd >= 0)
		close(inj->log_fd);
	free(inj);
}

/* Decisions */

static uint64_t mix(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ull;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
	return x ^ (x >> 31);
}

/* The random number of call @call of thread @thread at @point. */
static uint64_t draw(const struct sgx_inject *inj, unsigned int point, uint64_t thread,
		     uint64_t call)
{
	return mix(inj->seed ^ mix((uint64_t)point << 40 ^ thread << 20 ^ mix(call)));
}

/* The calling thread's number, given at its first point (the reclaimer thread's is fixed). */
static uint32_t thread_number(struct sgx_inject *inj, struct sgx_thread_local *tl)
{
	if (!tl->inject_thread)
		tl->inject_thread = atomic_fetch_add(&inj->threads, 1) + 1;
	return tl->inject_thread - 1;
}

void sgx_inject_thread_is_ksgxd(void)
{
	sgx_thread_local()->inject_thread = SGX_INJECT_KSGXD + 1;
}

/* The log: text made by hand, one write() per line (this runs in signal handlers). */
struct line {
	char s[256];
	size_t n;
};

static void put(struct line *l, const char *s)
{
	while (*s && l->n < sizeof(l->s) - 1)
		l->s[l->n++] = *s++;
}

static void put_num(struct line *l, uint64_t v, unsigned int base)
{
	char digits[24];
	size_t i = sizeof(digits) - 1;

	digits[i] = 0;
	do {
		digits[--i] = "0123456789abcdef"[v % base];
		v /= base;
	} while (v);
	if (base == 16)
		put(l, "0x");
	put(l, digits + i);
}

/* @key, then @v in @base. */
static void put_kv(struct line *l, const char *key, uint64_t v, unsigned int base)
{
	put(l, key);
	put_num(l, v, base);
}

/* @key, then the thread's number, or "ksgxd". */
static void put_thread(struct line *l, const char *key, uint64_t thread)
{
	if (thread == SGX_INJECT_KSGXD) {
		put(l, key);
		put(l, "ksgxd");
	} else {
		put_kv(l, key, thread, 10);
	}
}

static void log_line(struct sgx_inject *inj, unsigned int point, uint64_t seq, uint64_t thread,
		     uint64_t call, uint64_t eid, uint64_t addr)
{
	const struct rule *r = &inj->rule[point];
	struct line l = { .n = 0 };

	put_kv(&l, "inject ", seq, 10);
	put(&l, " ");
	put(&l, point_names[point]);
	if (r->kind == RULE_RATE) {
		/* aex.rate: its round, and how many threads it interrupted. */
		put_kv(&l, " round=", call, 10);
		put_kv(&l, " threads=", thread, 10);
	} else {
		put_thread(&l, " thread=", thread);
		put_kv(&l, " call=", call, 10);
		put_kv(&l, " encl=", eid, 10);
		put_kv(&l, " addr=", addr, 16);
		/* The same injection alone: the call counts only the enclave's calls under encl=. */
		put(&l, " replay=");
		put(&l, point_names[point]);
		put_kv(&l, "=#", call, 10);
		put_thread(&l, ":thread=", thread);
		if (r->encl)
			put_kv(&l, ":encl=", r->encl, 10);
	}
	put(&l, "\n");
	if (write(inj->log_fd, l.s, l.n) < 0)
		return; /* the log is evidence, not a reason to fail the program */
}

static void record(struct sgx_platform *plat, unsigned int point, uint64_t thread, uint64_t call,
		   uint64_t eid, uint64_t addr)
{
	struct sgx_inject *inj = plat->inject;
	uint64_t seq = atomic_fetch_add(&inj->seq, 1) + 1;

	sgx_count(plat, (enum softsgx_counter)(SOFTSGX_CNT_INJECT_EMODPR_CONFLICT + point), 1);
	if (trace_on() && point == SGX_INJ_AEX)
		trace_inject_round(point_names[point], call, thread);
	else if (trace_on())
		trace_inject(point_names[point], thread, call, eid, addr);
	if (inj->log_fd >= 0)
		log_line(inj, point, seq, thread, call, eid, addr);
}

static bool decide(const struct sgx_inject *inj, const struct rule *r, unsigned int point,
		   uint64_t thread, uint64_t call)
{
	if (call <= r->after && r->kind != RULE_AT)
		return false;
	switch (r->kind) {
	case RULE_CHANCE:
		return r->always || draw(inj, point, thread, call) < r->threshold;
	case RULE_EVERY:
		return (call - r->after) % r->n == 0;
	case RULE_AT:
		return call == r->n;
	default:
		return false;
	}
}

bool sgx_inject_hit(struct sgx_platform *plat, enum sgx_inject_point point, uint64_t eid,
		    uint64_t addr)
{
	struct sgx_inject *inj = plat->inject;
	struct rule *r = &inj->rule[point];
	struct sgx_thread_local *tl;
	uint64_t thread, call;

	if (r->kind == RULE_OFF || r->kind == RULE_RATE)
		return false;
	tl = sgx_thread_local();
	thread = thread_number(inj, tl);
	if ((r->encl && eid != r->encl) || (r->thread && thread != r->thread - 1))
		return false;
	call = ++tl->inject_calls[point];
	if (!decide(inj, r, point, thread, call))
		return false;
	if (r->max && atomic_fetch_add(&r->hits, 1) >= r->max)
		return false;
	record(plat, point, thread, call, eid, addr);
	return true;
}

unsigned int sgx_inject_retries(struct sgx_platform *plat)
{
	return plat->inject->retries;
}

uint64_t sgx_inject_choice(struct sgx_platform *plat, enum sgx_inject_point point)
{
	struct sgx_thread_local *tl = sgx_thread_local();
	uint64_t thread = thread_number(plat->inject, tl);

	/* Drawn from the point's stream past any call number a program reaches. */
	return draw(plat->inject, point, thread, (1ull << 63) | tl->inject_calls[point]);
}

/* aex.rate: interrupt rounds at random instants, gaps uniform in (0, 2 / rate). */
static void *aex_thread(void *arg)
{
	struct sgx_platform *plat = arg;
	struct sgx_inject *inj = plat->inject;
	const struct rule *r = &inj->rule[SGX_INJ_AEX];
	uint64_t round = 0, hits = 0, gap_ns;
	unsigned int n;

	for (;;) {
		round++;
		gap_ns = draw(inj, SGX_INJ_AEX, 0, round) % (2000000000ull / r->n) + 1;
		nanosleep(&(struct timespec){ .tv_sec = (time_t)(gap_ns / 1000000000ull),
					      .tv_nsec = (long)(gap_ns % 1000000000ull) },
			  NULL);
		if (!plat->ipi.interrupt)
			continue;
		n = plat->ipi.interrupt(plat->ipi.ctx, NULL);
		if (!n)
			continue;
		sgx_count(plat, SOFTSGX_CNT_IPI_ROUNDS, 1);
		sgx_count(plat, SOFTSGX_CNT_IPI_THREADS, n);
		record(plat, SGX_INJ_AEX, n, round, 0, 0);
		if (r->max && ++hits >= r->max)
			return NULL;
	}
}

void sgx_inject_start_aex(struct sgx_platform *plat)
{
	struct sgx_inject *inj = plat->inject;
	sigset_t all, old;
	pthread_attr_t attr;
	pthread_t thread;

	if (!inj || inj->rule[SGX_INJ_AEX].kind != RULE_RATE || atomic_exchange(&inj->aex_started, true))
		return;
	/* Its signals are the program's threads' business: it takes none. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	if (pthread_create(&thread, &attr, aex_thread, plat))
		fprintf(stderr, "softsgx: aex.rate: no thread for the interrupts; none are injected\n");
	pthread_attr_destroy(&attr);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
}
