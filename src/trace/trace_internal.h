/* SPDX-License-Identifier: MIT */
/*
 * Between the two halves of the trace: event.c formats one event as a
 * JSON object in a buffer on the caller's stack (no allocation, no stdio:
 * it runs in signal handlers), writer.c appends it to the trace file.
 */
#ifndef SOFTSGX_TRACE_INTERNAL_H
#define SOFTSGX_TRACE_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "trace/trace.h"

/* Every event fits: names and string values are cut at TRACE_STR_MAX bytes. */
#define TRACE_EVENT_MAX 1024
#define TRACE_STR_MAX 96

/* One event being formatted. */
struct trace_event {
	char s[TRACE_EVENT_MAX];
	size_t n;
	int tid;
	bool has_args;
	bool overflow;          /* did not fit: trace_emit() drops it */
};

/* What an event does to its thread's span nesting. */
enum trace_span {
	TRACE_SPAN_NONE,        /* an instant or metadata */
	TRACE_SPAN_BEGIN,       /* "ph":"B" */
	TRACE_SPAN_END,         /* "ph":"E": written only if the thread has a span open */
};

/* writer.c */
/* The process id events carry (set when the trace is opened). */
extern atomic_int trace_pid __attribute__((visibility("hidden")));
/*
 * Append @ev to the open trace; dropped when none is open, when it
 * overflowed, or when it is an E without a B of its thread in this trace.
 */
void trace_emit(const struct trace_event *ev, enum trace_span span);

/* event.c: building an event ("ph" @ph: 'B', 'E', 'i' or 'M') */
void ev_start_tid(struct trace_event *ev, const char *name, const char *cat, char ph, int tid);
/* The same for the calling thread. */
void ev_start(struct trace_event *ev, const char *name, const char *cat, char ph);
void ev_arg_int(struct trace_event *ev, const char *key, int64_t v);
/* As a string "0x..." (64-bit values do not survive JSON's doubles). */
void ev_arg_hex(struct trace_event *ev, const char *key, uint64_t v);
void ev_arg_str(struct trace_event *ev, const char *key, const char *v);
void ev_arg_bool(struct trace_event *ev, const char *key, bool v);
void ev_finish(struct trace_event *ev);

#endif /* SOFTSGX_TRACE_INTERNAL_H */
