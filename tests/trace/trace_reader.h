/* SPDX-License-Identifier: MIT */
/*
 * Reading a softsgx trace back in tests: a strict JSON reader (RFC 8259;
 * no dependency) and the checks of the trace-event format, for
 * tests/trace and any test that produces a trace (`softsgx --trace`).
 *
 *   struct trace t;
 *   if (trace_read(path, &t)) {          // valid JSON with a traceEvents array
 *           EXPECT_TRUE(trace_check_format(&t)); // fields, time order, B/E nesting per thread
 *           EXPECT_TRUE(trace_count(&t, "EENTER", 0) > 0);
 *           trace_free(&t);
 *   }
 * Failures are reported through harness_fail() with what was wrong.
 */
#ifndef SOFTSGX_TESTS_TRACE_READER_H
#define SOFTSGX_TESTS_TRACE_READER_H

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"

#define TRACE_MAX_DEPTH 64
#define TRACE_MAX_THREADS 16

/* A strict JSON reader (RFC 8259), enough to hold a trace in memory. */

enum json_type { J_NULL, J_BOOL, J_NUM, J_STR, J_ARR, J_OBJ };

struct json {
	enum json_type type;
	bool boolean;
	double num;
	char *str;                 /* J_STR: decoded (\u escapes outside ASCII become '?') */
	size_t len;                /* J_ARR, J_OBJ: number of items */
	struct json *items;
	char **keys;               /* J_OBJ */
};

struct json_parser {
	const char *p, *end;
	int depth;
	const char *error;         /* first error, with ... */
	size_t at;                 /* ... its offset */
};

static inline bool json_value(struct json_parser *ps, struct json *out);

static inline bool json_fail(struct json_parser *ps, const char *what)
{
	if (!ps->error) {
		ps->error = what;
		ps->at = (size_t)(ps->end - ps->p);
	}
	return false;
}

static inline void json_ws(struct json_parser *ps)
{
	while (ps->p < ps->end && strchr(" \t\r\n", *ps->p))
		ps->p++;
}

static inline bool json_lit(struct json_parser *ps, const char *lit)
{
	size_t n = strlen(lit);

	if ((size_t)(ps->end - ps->p) < n || memcmp(ps->p, lit, n))
		return json_fail(ps, "bad literal");
	ps->p += n;
	return true;
}

static inline size_t json_digits(struct json_parser *ps)
{
	size_t n = 0;

	while (ps->p < ps->end && *ps->p >= '0' && *ps->p <= '9') {
		ps->p++;
		n++;
	}
	return n;
}

static inline bool json_number(struct json_parser *ps, struct json *out)
{
	const char *start = ps->p;
	char buf[64];

	if (ps->p < ps->end && *ps->p == '-')
		ps->p++;
	if (ps->p < ps->end && *ps->p == '0')
		ps->p++;
	else if (!json_digits(ps))
		return json_fail(ps, "bad number");
	if (ps->p < ps->end && *ps->p == '.') {
		ps->p++;
		if (!json_digits(ps))
			return json_fail(ps, "bad fraction");
	}
	if (ps->p < ps->end && (*ps->p == 'e' || *ps->p == 'E')) {
		ps->p++;
		if (ps->p < ps->end && (*ps->p == '+' || *ps->p == '-'))
			ps->p++;
		if (!json_digits(ps))
			return json_fail(ps, "bad exponent");
	}
	if ((size_t)(ps->p - start) >= sizeof(buf))
		return json_fail(ps, "number too long");
	memcpy(buf, start, (size_t)(ps->p - start));
	buf[ps->p - start] = 0;
	out->type = J_NUM;
	out->num = strtod(buf, NULL);
	return true;
}

static inline bool json_escape(struct json_parser *ps, char *c)
{
	static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
	const char *e;
	unsigned int u = 0;
	int i;

	if (ps->p >= ps->end)
		return json_fail(ps, "unterminated escape");
	e = strchr(from, *ps->p);
	if (e && *ps->p) {
		*c = to[e - from];
		ps->p++;
		return true;
	}
	if (*ps->p++ != 'u' || ps->end - ps->p < 4)
		return json_fail(ps, "bad escape");
	for (i = 0; i < 4; i++, ps->p++) {
		char h = *ps->p;

		if (!strchr("0123456789abcdefABCDEF", h) || !h)
			return json_fail(ps, "bad \\u escape");
		u = u * 16 + (unsigned int)(h <= '9' ? h - '0' : (h | 0x20) - 'a' + 10);
	}
	*c = u < 0x80 ? (char)u : '?';
	return true;
}

static inline bool json_string(struct json_parser *ps, char **out)
{
	size_t cap = 16, n = 0;
	char *s = malloc(cap);

	ps->p++; /* the opening quote */
	for (;;) {
		char c;

		if (ps->p >= ps->end) {
			free(s);
			return json_fail(ps, "unterminated string");
		}
		c = *ps->p++;
		if (c == '"')
			break;
		if ((unsigned char)c < 0x20 || (c == '\\' && !json_escape(ps, &c))) {
			free(s);
			return json_fail(ps, "bad character in string");
		}
		if (n + 2 > cap)
			s = realloc(s, cap *= 2);
		s[n++] = c;
	}
	s[n] = 0;
	*out = s;
	return true;
}

/* The items of an array or object, from after its opening bracket. */
static inline bool json_items(struct json_parser *ps, struct json *out, bool object)
{
	size_t cap = 0;

	out->type = object ? J_OBJ : J_ARR;
	json_ws(ps);
	if (ps->p < ps->end && *ps->p == (object ? '}' : ']')) {
		ps->p++;
		return true;
	}
	for (;;) {
		if (out->len == cap) {
			cap = cap ? cap * 2 : 8;
			out->items = realloc(out->items, cap * sizeof(*out->items));
			if (object)
				out->keys = realloc(out->keys, cap * sizeof(*out->keys));
		}
		memset(&out->items[out->len], 0, sizeof(out->items[0]));
		json_ws(ps);
		if (object) {
			if (ps->p >= ps->end || *ps->p != '"' || !json_string(ps, &out->keys[out->len]))
				return json_fail(ps, "expected a key");
			json_ws(ps);
			if (ps->p >= ps->end || *ps->p++ != ':') {
				free(out->keys[out->len]);
				return json_fail(ps, "expected ':'");
			}
		}
		out->len++;
		if (!json_value(ps, &out->items[out->len - 1]))
			return false;
		json_ws(ps);
		if (ps->p < ps->end && *ps->p == ',') {
			ps->p++;
			continue;
		}
		if (ps->p < ps->end && *ps->p++ == (object ? '}' : ']'))
			return true;
		return json_fail(ps, object ? "expected ',' or '}'" : "expected ',' or ']'");
	}
}

static inline bool json_value(struct json_parser *ps, struct json *out)
{
	bool ok;

	memset(out, 0, sizeof(*out));
	json_ws(ps);
	if (ps->p >= ps->end)
		return json_fail(ps, "unexpected end");
	if (++ps->depth > TRACE_MAX_DEPTH)
		return json_fail(ps, "too deep");
	switch (*ps->p) {
	case '{':
	case '[':
		ps->p++;
		ok = json_items(ps, out, ps->p[-1] == '{');
		break;
	case '"':
		out->type = J_STR;
		ok = json_string(ps, &out->str);
		break;
	case 't':
		out->type = J_BOOL;
		out->boolean = true;
		ok = json_lit(ps, "true");
		break;
	case 'f':
		out->type = J_BOOL;
		ok = json_lit(ps, "false");
		break;
	case 'n':
		ok = json_lit(ps, "null");
		break;
	default:
		ok = json_number(ps, out);
	}
	ps->depth--;
	return ok;
}

static inline void json_free(struct json *j)
{
	size_t i;

	for (i = 0; i < j->len; i++) {
		json_free(&j->items[i]);
		if (j->keys)
			free(j->keys[i]);
	}
	free(j->items);
	free(j->keys);
	free(j->str);
}

/* Parse all of @text; on error say where. */
static inline bool json_parse(const char *text, size_t len, struct json *out)
{
	struct json_parser ps = { .p = text, .end = text + len };
	bool ok = json_value(&ps, out);

	json_ws(&ps);
	if (ok && ps.p != ps.end)
		ok = json_fail(&ps, "text after the value");
	if (!ok)
		harness_fail(__FILE__, __LINE__, "invalid JSON at offset %zu: %s: \"%.40s\"",
			     len - ps.at, ps.error, text + (len - ps.at));
	return ok;
}

static inline const struct json *json_get(const struct json *obj, const char *key)
{
	size_t i;

	if (!obj || obj->type != J_OBJ)
		return NULL;
	for (i = 0; i < obj->len; i++)
		if (!strcmp(obj->keys[i], key))
			return &obj->items[i];
	return NULL;
}

static inline const char *json_str(const struct json *obj, const char *key)
{
	const struct json *v = json_get(obj, key);

	return v && v->type == J_STR ? v->str : NULL;
}

/* A number, or -1 if @key is missing or not a number. */
static inline double json_num(const struct json *obj, const char *key)
{
	const struct json *v = json_get(obj, key);

	return v && v->type == J_NUM ? v->num : -1;
}

/* A trace file read back. */

struct trace {
	struct json root;
	const struct json *events;  /* root.traceEvents */
	size_t n;
};

/*
 * Read the trace file at @path into @t (trace_free() it).
 * Return: true, or false after reporting why (unreadable, invalid JSON, no
 * traceEvents array).
 */
static inline bool trace_read(const char *path, struct trace *t)
{
	FILE *f = fopen(path, "r");
	size_t len = 0, cap = 1 << 16, got;
	char *text = malloc(cap);
	bool ok;

	memset(t, 0, sizeof(*t));
	if (!f) {
		harness_fail(__FILE__, __LINE__, "open %s: %s", path, strerrorname_np(errno));
		free(text);
		return false;
	}
	while ((got = fread(text + len, 1, cap - len, f)) > 0)
		if ((len += got) == cap)
			text = realloc(text, cap *= 2);
	fclose(f);
	ok = json_parse(text, len, &t->root);
	free(text);
	t->events = json_get(&t->root, "traceEvents");
	if (ok && (!t->events || t->events->type != J_ARR)) {
		harness_fail(__FILE__, __LINE__, "%s: no traceEvents array", path);
		ok = false;
	}
	if (!ok) {
		json_free(&t->root);
		memset(t, 0, sizeof(*t));
		return false;
	}
	t->n = t->events->len;
	return true;
}

static inline const struct json *trace_event(const struct trace *t, size_t i)
{
	return &t->events->items[i];
}

static inline const char *trace_arg_str(const struct json *e, const char *key)
{
	return json_str(json_get(e, "args"), key);
}

static inline double trace_arg_num(const struct json *e, const char *key)
{
	return json_num(json_get(e, "args"), key);
}

/* Return: the number of events named @name (on thread @tid, or any if 0). */
static inline size_t trace_count(const struct trace *t, const char *name, int tid)
{
	size_t i, n = 0;

	for (i = 0; i < t->n; i++)
		if (!strcmp(json_str(trace_event(t, i), "name") ?: "", name) &&
		    (!tid || json_num(trace_event(t, i), "tid") == tid))
			n++;
	return n;
}

/*
 * The format: every event an object with name, ph, ts, pid, tid; instants
 * thread-scoped; per thread, timestamps never go back and B/E nest (each E
 * closes the latest open B, with the same name when it has one), all
 * closed at the end.
 */

struct trace_thread {
	int tid;
	double last_ts;
	int depth;
	const char *open[TRACE_MAX_DEPTH];
};

static inline struct trace_thread *trace_thread_of(struct trace_thread *ts, size_t *n, int tid)
{
	size_t i;

	for (i = 0; i < *n; i++)
		if (ts[i].tid == tid)
			return &ts[i];
	if (*n == TRACE_MAX_THREADS) {
		harness_fail(__FILE__, __LINE__, "more than %d threads in the trace", TRACE_MAX_THREADS);
		return NULL;
	}
	ts[*n] = (struct trace_thread){ .tid = tid, .last_ts = -1 };
	return &ts[(*n)++];
}

static inline bool trace_check_fields(const struct json *e, size_t i)
{
	const char *ph = json_str(e, "ph");

	if (e->type != J_OBJ || !json_str(e, "name") || !ph || strlen(ph) != 1 ||
	    !strchr("BEiM", ph[0]) || json_num(e, "ts") < 0 || json_num(e, "pid") <= 0 ||
	    json_num(e, "tid") <= 0) {
		harness_fail(__FILE__, __LINE__, "event %zu lacks name/ph/ts/pid/tid", i);
		return false;
	}
	if (ph[0] == 'i' && strcmp(json_str(e, "s") ?: "", "t")) {
		harness_fail(__FILE__, __LINE__, "instant %zu is not thread-scoped", i);
		return false;
	}
	return true;
}

static inline bool trace_check_span(struct trace_thread *th, const struct json *e, size_t i)
{
	const char *ph = json_str(e, "ph"), *name = json_str(e, "name");

	if (ph[0] == 'B') {
		if (th->depth == TRACE_MAX_DEPTH) {
			harness_fail(__FILE__, __LINE__, "event %zu: spans nest too deep", i);
			return false;
		}
		th->open[th->depth++] = name;
	} else if (ph[0] == 'E') {
		if (!th->depth) {
			harness_fail(__FILE__, __LINE__, "event %zu: E without B on thread %d", i, th->tid);
			return false;
		}
		th->depth--;
		if (*name && strcmp(name, th->open[th->depth])) {
			harness_fail(__FILE__, __LINE__, "event %zu: E \"%s\" closes B \"%s\"", i, name,
				     th->open[th->depth]);
			return false;
		}
	}
	return true;
}

/* Return: true if @t has that format, else false after reporting the first violation. */
static inline bool trace_check_format(const struct trace *t)
{
	struct trace_thread threads[TRACE_MAX_THREADS];
	size_t nthreads = 0, i;

	for (i = 0; i < t->n; i++) {
		const struct json *e = trace_event(t, i);
		struct trace_thread *th;

		if (!trace_check_fields(e, i))
			return false;
		th = trace_thread_of(threads, &nthreads, (int)json_num(e, "tid"));
		if (!th)
			return false;
		if (json_num(e, "ts") < th->last_ts) {
			harness_fail(__FILE__, __LINE__, "event %zu: time goes back on thread %d", i,
				     th->tid);
			return false;
		}
		th->last_ts = json_num(e, "ts");
		if (!trace_check_span(th, e, i))
			return false;
	}
	for (i = 0; i < nthreads; i++) {
		if (threads[i].depth) {
			harness_fail(__FILE__, __LINE__, "thread %d ends with %d spans open",
				     threads[i].tid, threads[i].depth);
			return false;
		}
	}
	return true;
}

/* Return: true if a leaf instant @name of category @cat (encls/enclu) has result @code. */
static inline bool trace_has_leaf(const struct trace *t, const char *name, const char *cat,
				  const char *code)
{
	size_t i;

	for (i = 0; i < t->n; i++) {
		const struct json *e = trace_event(t, i);

		if (!strcmp(json_str(e, "name") ?: "", name) && !strcmp(json_str(e, "cat") ?: "", cat) &&
		    !strcmp(json_str(e, "ph") ?: "", "i") && !strcmp(trace_arg_str(e, "code") ?: "", code) &&
		    json_get(json_get(e, "args"), "result"))
			return true;
	}
	return false;
}

/*
 * Check that every instant @name happens inside (or, if not @inside,
 * outside) a span called "enclave" of its thread; @t must have passed
 * trace_check_format(). Return: how many there were; 0 after reporting one
 * on the wrong side.
 */
static inline size_t trace_count_in_enclave(const struct trace *t, const char *name, bool inside)
{
	struct trace_thread threads[TRACE_MAX_THREADS];
	size_t nthreads = 0, i, n = 0;

	for (i = 0; i < t->n; i++) {
		const struct json *e = trace_event(t, i);
		struct trace_thread *th = trace_thread_of(threads, &nthreads, (int)json_num(e, "tid"));

		if (!th || !trace_check_span(th, e, i))
			return 0;
		if (strcmp(json_str(e, "name") ?: "", name) || strcmp(json_str(e, "ph") ?: "", "i"))
			continue;
		if ((th->depth && !strcmp(th->open[th->depth - 1], "enclave")) != inside) {
			harness_fail(__FILE__, __LINE__, "event %zu \"%s\" %s an enclave span", i, name,
				     inside ? "outside" : "inside");
			return 0;
		}
		n++;
	}
	return n;
}

static inline void trace_free(struct trace *t)
{
	json_free(&t->root);
}

#endif /* SOFTSGX_TESTS_TRACE_READER_H */
