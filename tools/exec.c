/* SPDX-License-Identifier: MIT */
/*
 * softsgx exec: run a program written against Linux on the emulated
 * platform, with libsoftsgx-preload.so preloaded. The configuration goes
 * to the program through the SOFTSGX_* variables, which the preload
 * library reads; programs the dynamic linker would not preload into
 * (static, set-user-ID, another architecture) are refused with the reason.
 */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "commands.h"
#include "config.h"
#include "host/features.h"

#define PRELOAD_NAME "libsoftsgx-preload.so"

/* The preload library: beside this binary (a build tree), else where make install puts it. */
static int find_preload(char *out, size_t len)
{
	char self[PATH_MAX], *dir;
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);

	if (n <= 0)
		return -1;
	self[n] = '\0';
	dir = dirname(self);
	snprintf(out, len, "%s/%s", dir, PRELOAD_NAME);
	if (!access(out, R_OK))
		return 0;
	snprintf(out, len, "%s/%s", dir, SOFTSGX_PRELOAD_FROM_BINDIR);
	return access(out, R_OK) ? -1 : 0;
}

/*
 * Why the dynamic linker would not preload into the program at @path, or
 * NULL: a script is judged by its interpreter (@depth: levels of those).
 */
static const char *refusal(const char *path, int depth, char *buf, size_t len)
{
	unsigned char h[256];
	Elf64_Ehdr eh;
	struct stat st;
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC), i;
	bool interp = false;

	if (fd < 0)
		return NULL; /* execve() will say why */
	n = read(fd, h, sizeof(h) - 1);
	if (n >= 2 && h[0] == '#' && h[1] == '!') {
		char *s = (char *)h + 2, *e;

		close(fd);
		h[n] = '\0';
		while (*s == ' ' || *s == '\t')
			s++;
		e = s + strcspn(s, " \t\n");
		*e = '\0';
		if (depth > 4 || !*s)
			return NULL;
		snprintf(buf, len, "%s", s);
		return refusal(buf, depth + 1, buf, len);
	}
	if (n < (ssize_t)sizeof(eh) || memcmp(h, ELFMAG, SELFMAG) || fstat(fd, &st)) {
		close(fd);
		return NULL; /* not ELF: execve() will say what it makes of it */
	}
	memcpy(&eh, h, sizeof(eh));
	if (h[EI_CLASS] != ELFCLASS64 || eh.e_machine != EM_X86_64) {
		close(fd);
		snprintf(buf, len, "%s is not an x86-64 program (ELF machine %u, class %u): softsgx "
			 "emulates SGX for x86-64 programs", path, eh.e_machine, h[EI_CLASS]);
		return buf;
	}
	for (i = 0; i < eh.e_phnum && !interp; i++) {
		Elf64_Phdr ph;

		if (pread(fd, &ph, sizeof(ph), (off_t)(eh.e_phoff + (uint64_t)i * eh.e_phentsize)) !=
		    (ssize_t)sizeof(ph))
			break;
		interp = ph.p_type == PT_INTERP;
	}
	close(fd);
	if (!interp) {
		snprintf(buf, len, "%s is statically linked: no library can be preloaded into it; "
			 "link it dynamically, or link it with libsoftsgx", path);
		return buf;
	}
	if ((st.st_mode & S_ISUID && st.st_uid != geteuid()) ||
	    (st.st_mode & S_ISGID && st.st_gid != getegid())) {
		snprintf(buf, len, "%s is set-user-ID or set-group-ID: the dynamic linker ignores "
			 "LD_PRELOAD for it", path);
		return buf;
	}
	return NULL;
}

static int cmd_exec(const struct cli_command *cmd, int argc, char **argv)
{
	char preload[PATH_MAX], program[PATH_MAX], why[PATH_MAX + 200], *env;
	const char *old, *reason;
	int i, ret, err;

	/* softsgx exec [CONFIGURATION] [--] PROGRAM [ARGS]: options end at "--" or the program. */
	for (i = 1; i < argc && argv[i][0] == '-'; i++) {
		const char *eq = strchr(argv[i], '=');
		size_t len = eq ? (size_t)(eq - argv[i]) : strlen(argv[i]);
		char name[32];

		if (!strcmp(argv[i], "--")) {
			i++;
			break;
		}
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			cli_print_help(cmd);
			return CLI_EXIT_OK;
		}
		snprintf(name, sizeof(name), "%.*s", (int)len, argv[i]);
		if (len >= sizeof(name) || !config_known(name))
			return cli_usage_error(cmd, "unknown option '%.*s'", (int)len, argv[i]);
		if (!eq && i + 1 >= argc)
			return cli_usage_error(cmd, "option '%s' needs a value", name);
		config_option(name, eq ? eq + 1 : argv[++i]);
	}
	if (i >= argc)
		return cli_usage_error(cmd, "no program given");
	ret = config_export(cmd);
	if (ret)
		return ret;
	if (find_preload(preload, sizeof(preload)))
		return cli_fail(cmd, "%s is neither beside this command nor where it is installed",
				PRELOAD_NAME);
	err = cli_find_program(argv[i], program);
	if (err) {
		fprintf(stderr, "softsgx exec: %s: %s\n", argv[i], strerror(err));
		return err == ENOENT ? 127 : 126;
	}
	reason = refusal(program, 0, why, sizeof(why));
	if (reason)
		return cli_fail(cmd, "%s", reason);
	if (!(host_features() & HOST_CPUID_FAULTING))
		fprintf(stderr, "softsgx exec: %s: the program's CPUID shows this host's processor, "
				"not SGX2 (docs/fidelity.md)\n",
			host_features_present() & HOST_CPUID_FAULTING ? "CPUID faulting turned off"
								       : "no CPUID faulting on this host");
	/* Ours first, then whatever the caller preloads. */
	old = getenv("LD_PRELOAD");
	if (asprintf(&env, "%s%s%s", preload, old && *old ? ":" : "", old ? old : "") < 0 ||
	    setenv("LD_PRELOAD", env, 1))
		return cli_fail(cmd, "LD_PRELOAD: %s", strerror(errno));
	free(env);
	execv(program, argv + i);
	err = errno;
	fprintf(stderr, "softsgx exec: %s: %s\n", program, strerror(err));
	return err == ENOENT ? 127 : 126;
}

const struct cli_command exec_command = {
	.name = "exec",
	.summary = "run a program written against Linux's SGX driver on the emulated platform",
	.synopsis = "softsgx exec [CONFIGURATION] [--] PROGRAM [ARGS]",
	.help = "Runs PROGRAM (found in PATH like a shell does) with libsoftsgx-preload.so\n"
		"preloaded: its opens of /dev/sgx_enclave and /dev/sgx_provision, its ioctls,\n"
		"mmaps and mprotects on them, and its lookups of __vdso_sgx_enter_enclave reach\n"
		"the emulated platform; every other call goes to the system unchanged. The\n"
		"configuration options reach the program as their SOFTSGX_* variables, so\n"
		"programs it starts run on the same configuration. The exit status is the\n"
		"program's; 126 or 127 if it cannot be run, as a shell has it. A static,\n"
		"set-user-ID or non-x86-64 program is refused with the reason.\n"
		"Running `LD_PRELOAD=libsoftsgx-preload.so PROGRAM` is the same.\n",
	.run = cmd_exec,
};
