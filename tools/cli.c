/* SPDX-License-Identifier: MIT */
/*
 * Argument parsing, messages, numbers and files for the subcommands of the
 * softsgx command (cli.h). Options may come in any order and anywhere
 * among the other arguments, as GNU tools accept them; "--" ends them.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "driver/settings.h"
#include "config.h"

static void vmessage(const struct cli_command *cmd, const char *fmt, va_list ap)
{
	fprintf(stderr, "softsgx %s: ", cmd->name);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

int cli_usage_error(const struct cli_command *cmd, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmessage(cmd, fmt, ap);
	va_end(ap);
	fprintf(stderr, "usage: %s\nTry 'softsgx %s --help' for more.\n", cmd->synopsis, cmd->name);
	return CLI_EXIT_USAGE;
}

int cli_fail(const struct cli_command *cmd, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmessage(cmd, fmt, ap);
	va_end(ap);
	return CLI_EXIT_FAIL;
}

void cli_print_help(const struct cli_command *cmd)
{
	printf("usage: %s\n\n%s\n%s", cmd->synopsis, cmd->help, cmd->no_config ? "" : CONFIG_HELP);
}

static const struct cli_option *find_option(const struct cli_option *opts, const char *name,
					    size_t len)
{
	for (; opts && opts->name; opts++)
		if (strlen(opts->name) == len && !strncmp(opts->name, name, len))
			return opts;
	return NULL;
}

/*
 * The option at argv[*i] (which starts with '-'): consumes its argument.
 * Return: 0, or CLI_EXIT_USAGE after a message.
 */
static int one_option(const struct cli_command *cmd, const struct cli_option *opts, int argc,
		      char **argv, int *i)
{
	const char *arg = argv[*i], *eq = strchr(arg, '=');
	size_t len = eq ? (size_t)(eq - arg) : strlen(arg);
	const struct cli_option *o = find_option(opts, arg, len);
	const char *value = eq ? eq + 1 : NULL;
	char name[32];
	bool config;

	snprintf(name, sizeof(name), "%.*s", (int)len, arg);
	config = !o && len < sizeof(name) && config_known(name);
	if (!o && !config)
		return cli_usage_error(cmd, "unknown option '%.*s'", (int)len, arg);
	if (o && o->flag) {
		if (eq)
			return cli_usage_error(cmd, "option '%.*s' takes no value", (int)len, arg);
		*o->flag = true;
		return 0;
	}
	if (!value) {
		if (*i + 1 >= argc)
			return cli_usage_error(cmd, "option '%s' needs a value", arg);
		value = argv[++*i];
	}
	if (config)
		config_option(name, value);
	else
		*o->value = value;
	return 0;
}

int cli_parse(const struct cli_command *cmd, int argc, char **argv, const struct cli_option *opts,
	      const char **args, int min_args, int max_args)
{
	bool options_done = false;
	int i, n = 0;

	for (i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (!options_done && (!strcmp(a, "--help") || !strcmp(a, "-h"))) {
			cli_print_help(cmd);
			return CLI_HELP_SHOWN;
		}
		if (!options_done && !strcmp(a, "--")) {
			options_done = true;
		} else if (!options_done && a[0] == '-' && a[1]) {
			if (one_option(cmd, opts, argc, argv, &i))
				return -CLI_EXIT_USAGE;
		} else if (n >= max_args) {
			cli_usage_error(cmd, "unexpected argument '%s'", a);
			return -CLI_EXIT_USAGE;
		} else {
			args[n++] = a;
		}
	}
	if (n < min_args) {
		cli_usage_error(cmd, "missing argument");
		return -CLI_EXIT_USAGE;
	}
	return n;
}

int cli_start(const struct cli_command *cmd, int argc, char **argv, const struct cli_option *opts,
	      const char **args, int min_args, int max_args)
{
	int n = cli_parse(cmd, argc, argv, opts, args, min_args, max_args);

	if (n == CLI_HELP_SHOWN)
		return CLI_EXIT_OK;
	if (n < 0)
		return -n;
	n = config_apply(cmd);
	return n ? n : CLI_CONTINUE;
}

bool cli_parse_u64(const char *s, bool suffixes, uint64_t *out)
{
	return sgx_parse_u64(s, suffixes, out);
}

/* A positive number option. Return: 0, or CLI_EXIT_USAGE after a message. */
static int layout_number(const struct cli_command *cmd, const char *opt, const char *s,
			 bool suffixes, uint64_t max, uint64_t *out)
{
	if (!s)
		return 0;
	if (!cli_parse_u64(s, suffixes, out) || !*out || *out > max) {
		if (max == UINT64_MAX)
			return cli_usage_error(cmd, "%s '%s': expected a number%s", opt, s,
					       suffixes ? " (K, M, G suffixes)" : "");
		return cli_usage_error(cmd, "%s '%s': expected a number from 1 to %llu%s", opt, s,
				       (unsigned long long)max, suffixes ? " (K, M, G)" : "");
	}
	return 0;
}

int cli_layout_resolve(const struct cli_command *cmd, const struct cli_layout *l,
		       struct softsgx_load_options *o)
{
	uint64_t threads = 0, stack = 0, size = 0;
	char max[32];

	memset(o, 0, sizeof(*o));
	if (layout_number(cmd, "--threads", l->threads, false, 4096, &threads) ||
	    layout_number(cmd, "--stack-pages", l->stack_pages, false, 1u << 20, &stack) ||
	    layout_number(cmd, "--enclave-size", l->enclave_size, true, UINT64_MAX, &size))
		return CLI_EXIT_USAGE;
	if (size & (size - 1) || (size && size < 4096))
		return cli_usage_error(cmd, "--enclave-size '%s': not a power of two >= 4K",
				       l->enclave_size);
	/* Fail early: the loader refuses it (SOFTSGX_LOAD_MAX_SIZE). */
	if (size > SOFTSGX_LOAD_MAX_SIZE)
		return cli_usage_error(cmd, "--enclave-size '%s': more than the loader lays out: "
				       "at most %s",
				       l->enclave_size, cli_size(SOFTSGX_LOAD_MAX_SIZE, max));
	o->nr_tcs = (unsigned int)threads;
	o->stack_pages = (unsigned int)stack;
	o->encl_size = size;
	return 0;
}

_Static_assert(SOFTSGX_LOAD_MAX_ADDED == 4ull << 30, "cli_load_error() says 4 GiB");

const char *cli_load_error(int err)
{
	if (err == ENOEXEC)
		return "not a static-pie x86-64 ELF enclave image";
	if (err == E2BIG)
		return "the layout does not fit in the enclave size (--enclave-size)";
	if (err == EFBIG)
		return "the image and its threads' areas (TCS, SSA, stacks) add more than 4 GiB of "
		       "pages, the most the loader measures before EINIT (memory beyond that is for "
		       "EAUG after EINIT)";
	return strerror(err);
}

/* What kind of file @mode is, for a message: "a FIFO", "a directory" ... */
static const char *file_kind(mode_t mode)
{
	switch (mode & S_IFMT) {
	case S_IFIFO: return "a FIFO";
	case S_IFDIR: return "a directory";
	case S_IFCHR: return "a character device";
	case S_IFBLK: return "a block device";
	case S_IFSOCK: return "a socket";
	default: return "not a regular file";
	}
}

int cli_open_file(const struct cli_command *cmd, const char *what, const char *path, int *fd,
		  size_t *size)
{
	struct stat st;

	/* Refused before any open: opening a FIFO waits for a writer, a device may never end. */
	if (stat(path, &st))
		return cli_fail(cmd, "cannot open %s '%s': %s", what, path, strerror(errno));
	if (!S_ISREG(st.st_mode))
		return cli_fail(cmd, "%s '%s' is %s, not a regular file", what, path,
				file_kind(st.st_mode));
	/* Non-blocking, should the path have become a FIFO since. */
	*fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	if (*fd < 0)
		return cli_fail(cmd, "cannot open %s '%s': %s", what, path, strerror(errno));
	if (fstat(*fd, &st)) {
		close(*fd);
		return cli_fail(cmd, "cannot open %s '%s': %s", what, path, strerror(errno));
	}
	if (!S_ISREG(st.st_mode)) {
		close(*fd);
		return cli_fail(cmd, "%s '%s' is %s, not a regular file", what, path,
				file_kind(st.st_mode));
	}
	*size = (size_t)st.st_size;
	return 0;
}

int cli_read_exact(const struct cli_command *cmd, const char *what, const char *path, int fd,
		   void *data, size_t len)
{
	size_t done = 0;
	ssize_t n = 0;

	while (done < len && (n = read(fd, (uint8_t *)data + done, len - done)) > 0)
		done += (size_t)n;
	if (done == len)
		return 0;
	return cli_fail(cmd, "cannot read %s '%s': %s", what, path,
			n < 0 ? strerror(errno) : "it became shorter while being read");
}

int cli_map_file(const struct cli_command *cmd, const char *what, const char *path,
		 const uint8_t **data, size_t *len)
{
	static const uint8_t empty[1];
	void *p;
	int fd = -1, ret = cli_open_file(cmd, what, path, &fd, len);

	if (ret)
		return ret;
	*data = empty;
	if (*len) {
		/* Mapped, not read: an image is read only as far as the loader looks at it. */
		p = mmap(NULL, *len, PROT_READ, MAP_PRIVATE, fd, 0);
		if (p == MAP_FAILED)
			ret = cli_fail(cmd, "cannot read %s '%s': %s", what, path, strerror(errno));
		else
			*data = p;
	}
	close(fd);
	return ret;
}

void cli_unmap_file(const uint8_t *data, size_t len)
{
	if (len)
		munmap((void *)data, len);
}

int cli_write_file(const struct cli_command *cmd, const char *path, const void *data, size_t len,
		   unsigned int mode)
{
	const uint8_t *p = data;
	ssize_t n = 0;
	int fd, err = 0;

	/* Non-blocking open: a FIFO that nobody reads would otherwise wait for a reader. */
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_NONBLOCK | O_NOCTTY | O_CLOEXEC, mode);
	if (fd < 0 && errno == ENXIO)
		return cli_fail(cmd, "cannot write '%s': it is a FIFO that no process reads", path);
	if (fd < 0)
		return cli_fail(cmd, "cannot create '%s': %s", path, strerror(errno));
	if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK))
		err = errno;
	while (!err && len && (n = write(fd, p, len)) > 0) {
		p += n;
		len -= (size_t)n;
	}
	if (!err && len)
		err = n < 0 ? errno : EIO;
	if (close(fd) && !err)
		err = errno;
	if (err)
		return cli_fail(cmd, "cannot write '%s': %s", path, strerror(err));
	return 0;
}

char *cli_hex(const uint8_t *data, size_t len, char *out)
{
	static const char digits[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < len; i++) {
		out[2 * i] = digits[data[i] >> 4];
		out[2 * i + 1] = digits[data[i] & 15];
	}
	out[2 * len] = '\0';
	return out;
}

char *cli_size(uint64_t bytes, char *out)
{
	static const char *const units[] = { "bytes", "KiB", "MiB", "GiB", "TiB" };
	unsigned int u = 0;

	while (u + 1 < sizeof(units) / sizeof(units[0]) && bytes && !(bytes & 1023)) {
		bytes >>= 10;
		u++;
	}
	snprintf(out, 32, "%llu %s", (unsigned long long)bytes, units[u]);
	return out;
}

uint64_t cli_proc_bytes(const char *path, const char *name)
{
	FILE *f = fopen(path, "r");
	unsigned long long kib = 0;
	size_t len = strlen(name);
	char line[256];

	while (f && fgets(line, sizeof(line), f))
		if (!strncmp(line, name, len) && line[len] == ':' &&
		    sscanf(line + len + 1, " %llu kB", &kib) == 1)
			break;
	if (f)
		fclose(f);
	return (uint64_t)kib << 10;
}

int cli_find_program(const char *name, char *out)
{
	const char *path = getenv("PATH"), *p, *end;
	int err = ENOENT;

	if (strchr(name, '/')) {
		snprintf(out, PATH_MAX, "%s", name);
		return access(out, F_OK) ? errno : 0;
	}
	if (!path || !*path)
		path = "/usr/local/bin:/usr/bin:/bin";
	for (p = path; *p; p = *end ? end + 1 : end) {
		end = strchrnul(p, ':');
		snprintf(out, PATH_MAX, "%.*s%s%s", (int)(end - p), p, end == p ? "" : "/", name);
		if (!access(out, X_OK))
			return 0;
		if (errno == EACCES)
			err = EACCES;
	}
	return err;
}
