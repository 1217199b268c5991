/* SPDX-License-Identifier: MIT */
/*
 * `softsgx demo`: runs the bundled test enclave through the SGX2 life
 * cycle on the configured platform and judges every step against what
 * SGX2 on Linux does. A step prints into a buffer; the runner prints its
 * verdict line, then what it said, then what went wrong. The first step
 * that misbehaves ends the run (later steps build on it) and the exit
 * status is 1, with the step named; otherwise 0.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "commands.h"
#include "config.h"
#include "demo.h"
#include "driver/driver.h"

#define VERDICT_COLUMN 72

static const struct {
	const char *title;
	bool (*run)(struct demo *d);
} steps[] = {
	{ "build: CREATE, ADD_PAGES, INIT", demo_step_build },
	{ "enter: EENTER and EEXIT on both TCSs", demo_step_enter },
	{ "EAUG on a page fault, then EACCEPT", demo_step_eaug },
	{ "RESTRICT_PERMISSIONS stopped by a PENDING page", demo_step_restrict },
	{ "EPCM refuses a write, EMODPE extends it", demo_step_emodpe },
	{ "mprotect refuses a write, the EPCM is untouched", demo_step_mprotect },
	{ "a TCS added at run time, entered", demo_step_tcs },
	{ "pages trimmed, accepted, removed", demo_step_trim },
	{ "ETRACK interrupts a thread inside the enclave", demo_step_interrupt },
	{ "EPC paging: an enclave twice the EPC, written and read back", demo_step_paging },
	{ "AEX-Notify: an interrupt delivered to the enclave's handler", demo_step_notify },
};
#define NR_STEPS (sizeof(steps) / sizeof(steps[0]))

void demo_say(struct demo *d, const char *fmt, ...)
{
	va_list ap;

	fputs("    ", d->out);
	va_start(ap, fmt);
	vfprintf(d->out, fmt, ap);
	va_end(ap);
	fputc('\n', d->out);
}

bool demo_check(struct demo *d, bool ok, const char *fmt, ...)
{
	va_list ap;

	if (ok || d->failure[0])
		return ok;
	va_start(ap, fmt);
	vsnprintf(d->failure, sizeof(d->failure), fmt, ap);
	va_end(ap);
	return false;
}

bool demo_expect_state(struct demo *d, uint64_t addr, const char *want)
{
	char got[16];

	demo_epcm_state(d, addr, got);
	return demo_check(d, !strcmp(got, want), "the EPCM entry of +%#llx is '%s', expected '%s'",
			  (unsigned long long)(addr - d->base), got, want);
}

bool demo_check_call(struct demo *d, int ret, const char *what)
{
	int err = errno; /* @ret was computed before this call: errno is the call's */

	return demo_check(d, !ret, "%s failed: %s", what, demo_errname(err));
}

void demo_sleep_ms(long ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

#define RESTRICT_ATTEMPTS 40

bool demo_restrict_until(struct demo *d, int fd, uint64_t offset, enum softsgx_counter counter,
			 uint64_t before, const char *who)
{
	struct sgx_enclave_restrict_permissions p;
	int i, ret;

	for (i = 0; i < RESTRICT_ATTEMPTS; i++) {
		p = (struct sgx_enclave_restrict_permissions){
			.offset = offset, .length = DEMO_PAGE, .permissions = SGX_SECINFO_R
		};
		ret = softsgx_ioctl_retrying(fd, SGX_IOC_ENCLAVE_RESTRICT_PERMISSIONS, &p);
		if (!demo_check_call(d, ret, "RESTRICT_PERMISSIONS"))
			return false;
		if (softsgx_counter(counter) > before)
			return true;
		demo_sleep_ms(25);
	}
	return demo_check(d, false, "no interrupt struck %s in %d RESTRICTs", who,
			  RESTRICT_ATTEMPTS);
}

const char *demo_errname(int err)
{
	static __thread char buf[16];
	const char *name = err ? strerrorname_np(err) : "no error";

	if (name)
		return name;
	snprintf(buf, sizeof(buf), "errno %d", err);
	return buf;
}

static void print_verdict(const struct demo *d, unsigned int i, bool ok)
{
	int n = printf("%2u  %s ", i + 1, steps[i].title);

	while (n < VERDICT_COLUMN)
		n += printf(".");
	if (d->color)
		printf(ok ? " \033[32mok\033[0m\n" : " \033[1;31mFAILED\033[0m\n");
	else
		printf(ok ? " ok\n" : " FAILED\n");
}

/* Run step @i: its output is held back until its verdict is printed. Return: ok. */
static bool run_step(struct demo *d, unsigned int i)
{
	char *text = NULL;
	size_t len = 0;
	bool ok;

	d->failure[0] = '\0';
	d->out = open_memstream(&text, &len);
	if (!d->out) {
		d->out = stdout;
		snprintf(d->failure, sizeof(d->failure), "out of memory");
		return false;
	}
	ok = steps[i].run(d) && !d->failure[0];
	fclose(d->out);
	d->out = stdout;
	print_verdict(d, i, ok);
	fputs(text, stdout);
	free(text);
	if (!ok)
		printf("    !! %s\n", d->failure);
	fflush(stdout);
	return ok;
}

static void print_header(void)
{
	const struct config_view *cfg = config_get();
	char size[32];

	printf("softsgx demo: the SGX2 life cycle of the bundled test enclave\n");
	printf("platform: EPC %s, SGX2, %s tracking%s%s   (more: softsgx info)\n",
	       cli_size(cfg->epc_size, size), config_tracking_name(cfg->tracking),
	       cfg->seed_given ? ", seed from " : "", cfg->seed_given ? cfg->seed_from : "");
	printf("pages: P0, P1 ... are addresses after the loaded image and threads. EPCM states:\n"
	       "type, permissions, P = PENDING, M = MODIFIED, PR = restricted, -- = no page\n\n");
}

static double seconds_since(const struct timespec *t0)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)(t.tv_sec - t0->tv_sec) + (double)(t.tv_nsec - t0->tv_nsec) / 1e9;
}

/* Return: the index of the step that failed, or -1. */
static int run_all(struct demo *d)
{
	unsigned int i;

	for (i = 0; i < NR_STEPS; i++) {
		bool ok = run_step(d, i);

		putchar('\n');
		if (!ok)
			return (int)i;
	}
	return -1;
}

static int demo_run(const struct cli_command *cmd, struct demo *d)
{
	struct timespec t0;
	int failed;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	print_header();
	failed = run_all(d);
	if (d->encl)
		sgx_encl_put(d->encl);
	softsgx_unload(d->e);
	demo_print_counters(stdout);
	if (failed >= 0) {
		printf("\nstopped after step %d: the later steps build on it\n", failed + 1);
		fflush(stdout);
		return cli_fail(cmd, "step %d (%s) did not behave as SGX2 on Linux: %s", failed + 1,
				steps[failed].title, d->failure);
	}
	printf("\nall %zu steps behaved as SGX2 on Linux does (%.2f s)\n", NR_STEPS,
	       seconds_since(&t0));
	return CLI_EXIT_OK;
}

static int cmd_demo(const struct cli_command *cmd, int argc, char **argv)
{
	struct demo d = { .fd = -1, .out = stdout };
	int ret = cli_start(cmd, argc, argv, NULL, NULL, 0, 0);

	if (ret != CLI_CONTINUE)
		return ret;
	if (config_get()->sgx1)
		return cli_fail(cmd, "the demo shows SGX2 (EDMM), and this platform is SGX1 only "
				     "(--sgx 1 or SOFTSGX_SGX=1); run it with --sgx 2");
	d.plat = sgx_platform_get();
	if (!d.plat)
		return cli_fail(cmd, "the platform could not be created (EPC of %zu bytes)",
				config_get()->epc_size);
	d.color = isatty(STDOUT_FILENO) && !getenv("NO_COLOR");
	return demo_run(cmd, &d);
}

const struct cli_command demo_command = {
	.name = "demo",
	.summary = "the SGX2 life cycle of the bundled test enclave, step by step",
	.synopsis = "softsgx demo [OPTIONS]",
	.help = "Loads the test enclave built into softsgx and walks it through the SGX2\n"
		"life cycle with real enclave code: build, measure and EINIT; enter; EAUG on a\n"
		"page fault and EACCEPT; RESTRICT_PERMISSIONS stopped by a pending page and\n"
		"retried; a write refused by the EPCM, then allowed by EMODPE; a write refused\n"
		"by mprotect; a TCS added at run time; pages trimmed and removed; a thread\n"
		"inside interrupted by ETRACK; a second enclave twice the size of the EPC\n"
		"written and read back while the driver evicts and reloads its pages (on an\n"
		"EPC of at most 128 MiB); an interrupt of a thread delivered to its enclave's\n"
		"AEX-Notify handler (or, with --aex-notify no, such an enclave refused). Each\n"
		"step shows the EPCM state of its pages or its counters; a table of counters\n"
		"ends the run.\n\n"
		"Exit status: 0 if every step behaved as SGX2 on Linux does, 1 if one did not\n"
		"(it is named), 2 for a wrong command line.\n",
	.run = cmd_demo,
};
