/* SPDX-License-Identifier: MIT */
/*
 * The trace writer: the open trace file, the buffer in front of it, the
 * per-thread span depth that keeps B/E events balanced, the SOFTSGX_TRACE
 * variable, and softsgx_trace_open()/softsgx_trace_close().
 *
 * The file is  {"traceEvents":[ EVENT,\n EVENT ... \n]}\n . After every
 * flush of a regular file the footer is written behind the events and the
 * next flush writes over it, so the file is valid JSON at any moment (up
 * to the last flush, which close, exit and a full buffer do).
 *
 * Balance: an E is written only if its thread has a span open in this
 * trace (the trace may have been opened while the thread was inside an
 * enclave), and closing the trace ends every span still open (a thread
 * inside an enclave at exit). So every B has its E, in order, per thread.
 *
 * Signal safety. Events come from ordinary code (ioctls, faults of host
 * code) and from softsgx's signal handlers (ENCLU, faults and interrupts
 * of enclave code), which run with softsgx's signals blocked, on the
 * thread's alternate stack and with the host's FS base, so errno, TLS and
 * system calls work there. Under trace_lock the writer only copies bytes
 * and calls write/pwrite: no allocation, no stdio, no other lock. The one
 * hazard left is a handler interrupting its own thread while that thread
 * holds trace_lock: it would wait forever. That can happen: the interrupt
 * signal of the ETRACK flow may reach a thread just after it left the
 * enclave, in the middle of tracing an ioctl, and its handler traces the
 * late interrupt. So trace_lock is only ever taken with every signal
 * blocked (lock_trace()): no handler runs on a thread that holds it, and
 * one on another thread waits only for a holder that is making progress.
 * trace_lock is a leaf lock (nothing is taken under it), so hooks may run
 * under encl->lock, mmap_lock or cpu->lock. The cost, two sigprocmask
 * calls per event, is paid only while tracing.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "softsgx/softsgx.h"
#include "trace/trace_internal.h"
#include "sys.h"

#define TRACE_BUF_SIZE (64 * 1024)
#define TRACE_MAX_THREADS 1024

static const char trace_header[] = "{\"traceEvents\":[\n";
static const char trace_footer[] = "\n]}\n";

atomic_bool trace_enabled;
atomic_int trace_pid;

static pthread_mutex_t trace_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_once_t process_hooks_once = PTHREAD_ONCE_INIT;

/* The open trace. Protected by trace_lock. */
static struct {
	int fd;                     /* -1: no trace open */
	bool seekable;              /* a regular file: the footer follows every flush */
	bool empty;                 /* no event written yet (no separator) */
	int error;                  /* first write error (errno), reported by close */
	off_t pos;                  /* where the next flush writes */
	size_t len;                 /* bytes in buf */
	char buf[TRACE_BUF_SIZE];
} file = { .fd = -1 };

/* Threads with spans open in this trace. Protected by trace_lock. */
static struct {
	int tid;                    /* 0: free slot */
	int depth;
} spans[TRACE_MAX_THREADS];

static void lock_trace(uint64_t *old)
{
	const uint64_t all = ~0ull;

	sys_sigprocmask(SIG_BLOCK, &all, old);
	pthread_mutex_lock(&trace_lock);
}

static void unlock_trace(const uint64_t *old)
{
	pthread_mutex_unlock(&trace_lock);
	sys_sigprocmask(SIG_SETMASK, old, NULL);
}

/* Write all of @p at @off (or at the end of a pipe). Return: 0 or an errno. */
static int write_at(const char *p, size_t n, off_t off)
{
	while (n) {
		ssize_t w = file.seekable ? pwrite(file.fd, p, n, off) : write(file.fd, p, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return w < 0 ? errno : EIO;
		p += w;
		n -= (size_t)w;
		off += w;
	}
	return 0;
}

static void note_error(int err)
{
	if (err && !file.error)
		file.error = err;
}

/* Must be called with trace_lock held. */
static void flush_locked(void)
{
	if (file.len) {
		note_error(write_at(file.buf, file.len, file.pos));
		file.pos += (off_t)file.len;
		file.len = 0;
	}
	if (file.seekable)
		note_error(write_at(trace_footer, sizeof(trace_footer) - 1, file.pos));
}

/* Must be called with trace_lock held. */
static void append_locked(const char *s, size_t n)
{
	if (file.len + n + 2 > sizeof(file.buf))
		flush_locked();
	if (!file.empty) {
		memcpy(file.buf + file.len, ",\n", 2);
		file.len += 2;
	}
	memcpy(file.buf + file.len, s, n);
	file.len += n;
	file.empty = false;
}

/* The slot of @tid, or a free one when @create. Must be called with trace_lock held. */
static int span_slot(int tid, bool create)
{
	int i, free_slot = -1;

	for (i = 0; i < TRACE_MAX_THREADS; i++) {
		if (spans[i].tid == tid)
			return i;
		if (!spans[i].tid && free_slot < 0)
			free_slot = i;
	}
	if (create && free_slot >= 0)
		spans[free_slot] = (typeof(spans[0])){ .tid = tid };
	return create ? free_slot : -1;
}

/* Account for a B or E of @tid; false if it must not be written. */
static bool span_update(int tid, enum trace_span span)
{
	int i;

	if (span == TRACE_SPAN_NONE)
		return true;
	i = span_slot(tid, span == TRACE_SPAN_BEGIN);
	if (i < 0)
		return false;
	if (span == TRACE_SPAN_BEGIN) {
		spans[i].depth++;
		return true;
	}
	if (--spans[i].depth == 0)
		spans[i].tid = 0;
	return true;
}

void trace_emit(const struct trace_event *ev, enum trace_span span)
{
	int saved_errno = errno; /* a flush must not change what the traced code sees */
	uint64_t old;

	if (ev->overflow)
		return;
	lock_trace(&old);
	if (file.fd >= 0 && span_update(ev->tid, span))
		append_locked(ev->s, ev->n);
	unlock_trace(&old);
	errno = saved_errno;
}

/* End every span still open (threads inside an enclave at close). Must hold trace_lock. */
static void end_open_spans_locked(void)
{
	struct trace_event ev;
	int i;

	for (i = 0; i < TRACE_MAX_THREADS; i++) {
		for (; spans[i].tid && spans[i].depth > 0; spans[i].depth--) {
			ev_start_tid(&ev, "", "", 'E', spans[i].tid);
			ev_arg_bool(&ev, "trace_closed", true);
			ev_finish(&ev);
			append_locked(ev.s, ev.n);
		}
		spans[i].tid = 0;
	}
}

/* Finish the open trace. Must be called with trace_lock held. Return: 0 or an errno. */
static int close_locked(void)
{
	int err;

	end_open_spans_locked();
	flush_locked();
	if (!file.seekable)
		note_error(write_at(trace_footer, sizeof(trace_footer) - 1, file.pos));
	if (sys_close(file.fd))
		note_error(errno);
	err = file.error;
	file.fd = -1;
	return err;
}

/* Start a trace on @fd: header, the process's name. Must hold trace_lock. */
static int start_locked(int fd)
{
	struct trace_event ev;
	struct stat st;

	file.fd = fd;
	file.seekable = !fstat(fd, &st) && S_ISREG(st.st_mode);
	/* The trace it replaces may have been this very file: start it afresh. */
	if (file.seekable && ftruncate(fd, 0))
		return errno;
	file.empty = true;
	file.error = 0;
	file.pos = 0;
	file.len = 0;
	atomic_store(&trace_pid, getpid());
	memcpy(file.buf, trace_header, sizeof(trace_header) - 1);
	file.len = sizeof(trace_header) - 1;
	ev_start(&ev, "process_name", "__metadata", 'M');
	ev_arg_str(&ev, "name", program_invocation_short_name);
	ev_finish(&ev);
	append_locked(ev.s, ev.n);
	flush_locked();
	return file.error;
}

static void trace_atexit(void)
{
	int err = 0;
	uint64_t old;

	atomic_store(&trace_enabled, false);
	lock_trace(&old);
	if (file.fd >= 0)
		err = close_locked();
	unlock_trace(&old);
	if (err)
		fprintf(stderr, "softsgx: writing the trace failed: %s\n", strerror(err));
}

/* A forked child runs no enclave (its mappings are detached, driver/fork.c): it leaves the parent's file alone. */
static void trace_atfork_child(void)
{
	atomic_store(&trace_enabled, false);
	trace_lock = (pthread_mutex_t)PTHREAD_MUTEX_INITIALIZER;
	if (file.fd >= 0)
		sys_close(file.fd);
	file.fd = -1;
	file.len = 0;
	memset(spans, 0, sizeof(spans));
}

static void install_process_hooks(void)
{
	atexit(trace_atexit);
	pthread_atfork(NULL, NULL, trace_atfork_child);
}

int softsgx_trace_open(const char *path)
{
	int fd, err = 0;
	uint64_t old;

	if (!path) { /* open(2) would say so; glibc's open() may not be given NULL */
		errno = EFAULT;
		return -1;
	}
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return -1;
	pthread_once(&process_hooks_once, install_process_hooks);
	lock_trace(&old);
	if (file.fd >= 0)
		close_locked(); /* the new trace replaces it */
	err = start_locked(fd);
	if (err) {
		sys_close(fd);
		file.fd = -1;
	}
	atomic_store(&trace_enabled, !err);
	unlock_trace(&old);
	if (err) {
		errno = err;
		return -1;
	}
	return 0;
}

int softsgx_trace_close(void)
{
	int err = EBADF;
	uint64_t old;

	atomic_store(&trace_enabled, false);
	lock_trace(&old);
	if (file.fd >= 0)
		err = close_locked();
	unlock_trace(&old);
	if (err) {
		errno = err;
		return -1;
	}
	return 0;
}

void trace_open_env(void)
{
	const char *path = getenv("SOFTSGX_TRACE");

	if (!path || !*path || trace_on())
		return;
	if (softsgx_trace_open(path))
		fprintf(stderr, "softsgx: SOFTSGX_TRACE=%s: %s\n", path, strerror(errno));
}
