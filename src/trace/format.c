/* SPDX-License-Identifier: MIT */
/*
 * One trace event as a JSON object of the Chrome trace-event format:
 *   {"name":N,"cat":C,"ph":P,"ts":MICROSECONDS,"pid":P,"tid":T[,"s":"t"][,"args":{...}]}
 * formatted by hand into the event's own buffer: this runs in signal
 * handlers, where stdio and allocation are off limits. Timestamps are
 * CLOCK_MONOTONIC in microseconds with nanosecond decimals.
 */
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "trace/trace_internal.h"

static void put(struct trace_event *ev, const char *s, size_t n)
{
	if (n > sizeof(ev->s) - ev->n) {
		ev->overflow = true;
		return;
	}
	memcpy(ev->s + ev->n, s, n);
	ev->n += n;
}

static void put_s(struct trace_event *ev, const char *s)
{
	put(ev, s, strlen(s));
}

static void put_u64(struct trace_event *ev, uint64_t v)
{
	char digits[20];
	size_t i = sizeof(digits);

	do {
		digits[--i] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	put(ev, digits + i, sizeof(digits) - i);
}

/* @v as a JSON string, cut at TRACE_STR_MAX bytes of output. */
static void put_json_str(struct trace_event *ev, const char *v)
{
	static const char hex[] = "0123456789abcdef";
	size_t start = ev->n;

	put(ev, "\"", 1);
	for (; *v && ev->n - start < TRACE_STR_MAX; v++) {
		unsigned char c = (unsigned char)*v;

		if (c == '"' || c == '\\') {
			char esc[2] = { '\\', (char)c };

			put(ev, esc, 2);
		} else if (c < 0x20) {
			char esc[6] = { '\\', 'u', '0', '0', hex[c >> 4], hex[c & 15] };

			put(ev, esc, 6);
		} else {
			put(ev, (const char *)&c, 1);
		}
	}
	put(ev, "\"", 1);
}

static void put_hex_str(struct trace_event *ev, uint64_t v)
{
	static const char hex[] = "0123456789abcdef";
	char digits[16];
	size_t i = sizeof(digits);

	do {
		digits[--i] = hex[v & 15];
		v >>= 4;
	} while (v);
	put(ev, "\"0x", 3);
	put(ev, digits + i, sizeof(digits) - i);
	put(ev, "\"", 1);
}

/* Microseconds with three decimals: 12345.678 */
static void put_ts(struct trace_event *ev)
{
	struct timespec now;
	uint64_t ns;
	char frac[3];

	clock_gettime(CLOCK_MONOTONIC, &now);
	ns = (uint64_t)now.tv_sec * 1000000000ull + (uint64_t)now.tv_nsec;
	put_u64(ev, ns / 1000);
	frac[0] = (char)('0' + ns / 100 % 10);
	frac[1] = (char)('0' + ns / 10 % 10);
	frac[2] = (char)('0' + ns % 10);
	put(ev, ".", 1);
	put(ev, frac, 3);
}

void ev_start_tid(struct trace_event *ev, const char *name, const char *cat, char ph, int tid)
{
	char p[2] = { ph, '"' };

	ev->n = 0;
	ev->tid = tid;
	ev->has_args = false;
	ev->overflow = false;
	put_s(ev, "{\"name\":");
	put_json_str(ev, name);
	put_s(ev, ",\"cat\":");
	put_json_str(ev, cat);
	put_s(ev, ",\"ph\":\"");
	put(ev, p, 2);
	put_s(ev, ",\"ts\":");
	put_ts(ev);
	put_s(ev, ",\"pid\":");
	put_u64(ev, (uint64_t)atomic_load_explicit(&trace_pid, memory_order_relaxed));
	put_s(ev, ",\"tid\":");
	put_u64(ev, (uint64_t)tid);
	if (ph == 'i')
		put_s(ev, ",\"s\":\"t\""); /* an instant of its thread's track */
}

void ev_start(struct trace_event *ev, const char *name, const char *cat, char ph)
{
	ev_start_tid(ev, name, cat, ph, gettid());
}

static void put_key(struct trace_event *ev, const char *key)
{
	put_s(ev, ev->has_args ? "," : ",\"args\":{");
	ev->has_args = true;
	put_json_str(ev, key);
	put(ev, ":", 1);
}

void ev_arg_int(struct trace_event *ev, const char *key, int64_t v)
{
	put_key(ev, key);
	if (v < 0)
		put(ev, "-", 1);
	put_u64(ev, v < 0 ? -(uint64_t)v : (uint64_t)v);
}

void ev_arg_hex(struct trace_event *ev, const char *key, uint64_t v)
{
	put_key(ev, key);
	put_hex_str(ev, v);
}

void ev_arg_str(struct trace_event *ev, const char *key, const char *v)
{
	put_key(ev, key);
	put_json_str(ev, v);
}

void ev_arg_bool(struct trace_event *ev, const char *key, bool v)
{
	put_key(ev, key);
	put_s(ev, v ? "true" : "false");
}

void ev_finish(struct trace_event *ev)
{
	put_s(ev, ev->has_args ? "}}" : "}");
}
