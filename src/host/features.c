/* SPDX-License-Identifier: MIT */
/*
 * Host features: probed once per process, with SOFTSGX_HOST_DISABLE
 * applied (features.h says what each one buys). A bad setting is reported
 * once on stderr and its unknown names are ignored: a library cannot
 * refuse to start, the `softsgx` command checks the value first.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <asm/prctl.h>

#include <linux/seccomp.h>

#include "host/features.h"
#include "host/host.h"
#include "sys.h"

#ifndef PR_SET_SYSCALL_USER_DISPATCH
#define PR_SET_SYSCALL_USER_DISPATCH 59
#define PR_SYS_DISPATCH_OFF 0
#define PR_SYS_DISPATCH_ON 1
#endif
#ifndef HWCAP2_FSGSBASE
#define HWCAP2_FSGSBASE (1 << 1)
#endif

static const struct {
	enum host_feature feature;
	const char *name;
} names[] = {
	{ HOST_FSGSBASE, "fsgsbase" },
	{ HOST_SUD, "sud" },
	{ HOST_CPUID_FAULTING, "cpuid-faulting" },
	{ HOST_TSC_FAULTING, "tsc-faulting" },
	{ HOST_FSGSBASE_READ, "fsgsbase-read" },
	{ HOST_POPULATE_WRITE, "populate-write" },
};

static pthread_once_t once = PTHREAD_ONCE_INIT;
static unsigned int present, disabled;

const char *host_feature_name(enum host_feature f)
{
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (names[i].feature == f)
			return names[i].name;
	return "?";
}

int host_features_parse(const char *s, unsigned int *mask, const char **bad)
{
	unsigned int m = 0;
	size_t len, i;

	for (; s && *s; s += len + (s[len] == ',')) {
		len = strcspn(s, ",");
		if (!len)
			continue;
		if (len == 3 && !strncmp(s, "all", 3)) {
			m |= HOST_ALL_FEATURES;
			continue;
		}
		if (len == 4 && !strncmp(s, "none", 4))
			continue;
		for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
			if (strlen(names[i].name) == len && !strncmp(s, names[i].name, len))
				break;
		if (i == sizeof(names) / sizeof(names[0])) {
			*mask = m; /* what came before it */
			*bad = s;
			return -1;
		}
		m |= names[i].feature;
	}
	*mask = m;
	return 0;
}

/*
 * Whether RDGSBASE executes where the kernel does not announce FSGSBASE
 * (seen on paravirtualized guests): tried in a child, which #UD ends.
 */
static bool fsgsbase_executes(void)
{
	int status;
	pid_t pid = fork();

	if (pid < 0)
		return false;
	if (pid == 0) {
		const struct kernel_sigaction dfl = { .handler = SIG_DFL };
		unsigned long gs;

		sys_rt_sigaction(SIGILL, &dfl, NULL);
		__asm__ volatile("rdgsbase %0" : "=r"(gs));
		(void)gs;
		_exit(0);
	}
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return false;
	return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

/* Whether madvise(MADV_POPULATE_WRITE) works (Linux 5.14+). */
static bool populate_write_works(void)
{
	void *p = sys_mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	bool ok;

	if (p == MAP_FAILED)
		return false;
	ok = !sys_madvise(p, 4096, MADV_POPULATE_WRITE);
	sys_munmap(p, 4096);
	return ok;
}

static unsigned int probe(void)
{
	unsigned int f = 0;
	char selector = 0; /* SYSCALL_DISPATCH_FILTER_ALLOW */
	int tsc;

	if (getauxval(AT_HWCAP2) & HWCAP2_FSGSBASE)
		f |= HOST_FSGSBASE | HOST_FSGSBASE_READ;
	else if (fsgsbase_executes())
		f |= HOST_FSGSBASE_READ;
	/* Linux 5.11+: turn it on for this thread (allowing everything) and off again. */
	if (!prctl(PR_SET_SYSCALL_USER_DISPATCH, PR_SYS_DISPATCH_ON, 0, 0, &selector)) {
		prctl(PR_SET_SYSCALL_USER_DISPATCH, PR_SYS_DISPATCH_OFF, 0, 0, 0);
		f |= HOST_SUD;
	}
	/* ARCH_SET_CPUID answers ENODEV without CPUID faulting; 1 keeps CPUID working. */
	if (syscall(SYS_arch_prctl, ARCH_GET_CPUID, 0) >= 0 &&
	    !syscall(SYS_arch_prctl, ARCH_SET_CPUID, 1))
		f |= HOST_CPUID_FAULTING;
	if (!prctl(PR_GET_TSC, &tsc, 0, 0, 0))
		f |= HOST_TSC_FAULTING;
	if (populate_write_works())
		f |= HOST_POPULATE_WRITE;
	return f;
}

static void init(void)
{
	const char *s = getenv("SOFTSGX_HOST_DISABLE"), *bad;
	unsigned int m;
	size_t len;

	present = probe();
	/* Each round consumes at least one name: the loop ends with the string. */
	while (s && host_features_parse(s, &m, &bad)) {
		len = strcspn(bad, ",");
		fprintf(stderr, "softsgx: SOFTSGX_HOST_DISABLE: unknown feature '%.*s' ignored\n",
			(int)len, bad);
		disabled |= m;
		s = bad + len + (bad[len] == ',');
	}
	if (s)
		disabled |= m;
}

unsigned int host_features(void)
{
	pthread_once(&once, init);
	return present & ~disabled;
}

unsigned int host_features_present(void)
{
	pthread_once(&once, init);
	return present;
}

unsigned int host_features_disabled(void)
{
	pthread_once(&once, init);
	return disabled;
}

bool host_ia32_emulation(void)
{
	int status;
	pid_t pid = fork();

	if (pid < 0)
		return false;
	if (pid == 0) {
		long ret = 20; /* getpid in the 32-bit table */

		const struct kernel_sigaction dfl = { .handler = SIG_DFL };

		sys_rt_sigaction(SIGSEGV, &dfl, NULL);
		sys_rt_sigaction(SIGSYS, &dfl, NULL);
		__asm__ volatile("int $0x80" : "+a"(ret) : : "memory");
		_exit(ret > 0 ? 0 : 1);
	}
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return false;
	return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

bool host_umip(void)
{
	FILE *f = fopen("/proc/cpuinfo", "r");
	char line[4096];
	bool umip = false;

	if (!f)
		return false;
	while (!umip && fgets(line, sizeof(line), f))
		if (!strncmp(line, "flags", 5))
			umip = strstr(line, " umip") != NULL;
	fclose(f);
	return umip;
}

bool host_seccomp_filter(void)
{
	/* With filters built in, a NULL program is EFAULT; without, EINVAL. */
	return prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, NULL, 0, 0) == -1 && errno == EFAULT;
}
