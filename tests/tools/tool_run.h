/* SPDX-License-Identifier: MIT */
/*
 * Running the built softsgx command from tests: tool_run() executes
 * SOFTSGX_TOOL (its path, given by the build) with arguments and extra
 * environment variables (every SOFTSGX_* variable of the test's own
 * environment is removed first), and returns its exit status with what it
 * wrote on stdout and stderr and the most memory it had resident.
 * tool_run_limited() runs it under limits: a time after which it is
 * killed (a guard against a command that would block for ever, not a
 * measure of speed) and an address-space limit (ulimit -v).
 */
#ifndef SOFTSGX_TESTS_TOOL_RUN_H
#define SOFTSGX_TESTS_TOOL_RUN_H

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"

struct tool_result {
	int status;                 /* exit status; 128 + signal if killed; -1 if not run */
	char *out;                  /* stdout, NUL-terminated (free with tool_result_free) */
	char *err;                  /* stderr */
	long maxrss_kib;            /* the command's peak resident memory (ru_maxrss) */
};

/* Limits of one run; zero fields: none. */
struct tool_limits {
	unsigned int seconds;       /* SIGALRM (status 128 + 14) after this long */
	uint64_t address_space;     /* RLIMIT_AS in bytes */
};

static inline char *tool_slurp(FILE *f)
{
	long len;
	char *buf;

	fflush(f);
	len = ftell(f);
	buf = calloc(1, (size_t)(len > 0 ? len : 0) + 1);
	rewind(f);
	if (buf && len > 0 && fread(buf, 1, (size_t)len, f) != (size_t)len)
		buf[0] = '\0';
	fclose(f);
	return buf;
}

/* In the child: the environment, the redirections, then exec. */
static inline void tool_child(const struct tool_limits *limits, const char *const env[],
			      char *const argv[], FILE *out, FILE *err)
{
	extern char **environ;
	size_t i;

	if (limits && limits->address_space) {
		struct rlimit rl = { limits->address_space, limits->address_space };

		if (setrlimit(RLIMIT_AS, &rl))
			_exit(125);
	}
	if (limits && limits->seconds)
		alarm(limits->seconds); /* survives execv */
	for (i = 0; environ[i];) {
		if (!strncmp(environ[i], "SOFTSGX_", 8)) {
			char name[128];

			int len = (int)strcspn(environ[i], "=");

			snprintf(name, sizeof(name), "%.*s", len, environ[i]);
			unsetenv(name);
		} else {
			i++;
		}
	}
	for (i = 0; env && env[i]; i++)
		putenv((char *)env[i]);
	if (dup2(fileno(out), 1) < 0 || dup2(fileno(err), 2) < 0)
		_exit(126);
	execv(SOFTSGX_TOOL, argv);
	_exit(127);
}

static inline struct tool_result tool_vrun(const struct tool_limits *limits,
					   const char *const env[], va_list ap)
{
	struct tool_result r = { .status = -1 };
	char *argv[32] = { (char *)"softsgx" };
	FILE *out = tmpfile(), *err = tmpfile();
	struct rusage ru;
	int n = 1, ws;
	pid_t pid;

	while (n < 31 && (argv[n] = va_arg(ap, char *)))
		n++;
	argv[n] = NULL;
	if (!out || !err)
		return r;
	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid == 0)
		tool_child(limits, env, argv, out, err);
	if (pid > 0 && wait4(pid, &ws, 0, &ru) == pid) {
		r.status = WIFEXITED(ws) ? WEXITSTATUS(ws) : 128 + WTERMSIG(ws);
		r.maxrss_kib = ru.ru_maxrss;
	}
	r.out = tool_slurp(out);
	r.err = tool_slurp(err);
	return r;
}

/*
 * tool_run() - run "softsgx" with the arguments after @env (NULL ends
 * them); @env ("NAME=value" strings, NULL-terminated) may be NULL.
 */
static inline struct tool_result tool_run(const char *const env[], ...)
{
	struct tool_result r;
	va_list ap;

	va_start(ap, env);
	r = tool_vrun(NULL, env, ap);
	va_end(ap);
	return r;
}

/* tool_run() under @limits. */
static inline struct tool_result tool_run_limited(const struct tool_limits *limits,
						  const char *const env[], ...)
{
	struct tool_result r;
	va_list ap;

	va_start(ap, env);
	r = tool_vrun(limits, env, ap);
	va_end(ap);
	return r;
}

/* tool_run() with the terminating NULL added: TOOL(env, "demo", "--help"). */
#define TOOL(env, ...) tool_run((env), __VA_ARGS__, (char *)NULL)
/* The same under limits: TOOL_LIMITED(&limits, env, "measure", fifo). */
#define TOOL_LIMITED(limits, env, ...) tool_run_limited((limits), (env), __VA_ARGS__, (char *)NULL)

/* The calling process's VmSize (bytes of address space), from /proc/self/status; 0 if unknown. */
static inline uint64_t tool_own_vmsize(void)
{
	FILE *f = fopen("/proc/self/status", "r");
	unsigned long long kib = 0;
	char line[256];

	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "VmSize: %llu kB", &kib) == 1)
			break;
	if (f)
		fclose(f);
	return (uint64_t)kib << 10;
}

static inline void tool_result_free(struct tool_result *r)
{
	free(r->out);
	free(r->err);
}

/* Fail the test unless @text contains @needle; shows the text. */
#define EXPECT_CONTAINS(text, needle)                                                      \
	do {                                                                               \
		const char *t_ = (text), *n_ = (needle);                                   \
		if (!t_ || !strstr(t_, n_))                                               \
			harness_fail(__FILE__, __LINE__, "expected \"%s\" in:\n%s", n_,     \
				     t_ ? t_ : "(nothing)");                              \
	} while (0)

#endif /* SOFTSGX_TESTS_TOOL_RUN_H */
