/* SPDX-License-Identifier: MIT */
/*
 * What every subcommand of the softsgx command shares: its description
 * (name, synopsis, help text), the parsing of its arguments (its own
 * options, the configuration options of config.h and --help, in any
 * order), the exit statuses, and small helpers for files and hex output.
 */
#ifndef SOFTSGX_TOOLS_CLI_H
#define SOFTSGX_TOOLS_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "softsgx/loader.h"

/* Exit statuses: 0 success, 1 the work failed, 2 the command line was wrong. */
#define CLI_EXIT_OK 0
#define CLI_EXIT_FAIL 1
#define CLI_EXIT_USAGE 2
/* cli_parse(): --help was given and answered; the command exits 0. */
#define CLI_HELP_SHOWN (-1)

struct cli_command {
	const char *name;
	const char *summary;        /* one line for `softsgx help` */
	const char *synopsis;       /* "softsgx NAME ..." lines of the usage */
	const char *help;           /* what --help prints after the synopsis */
	int (*run)(const struct cli_command *cmd, int argc, char **argv);
	bool no_config;             /* takes no configuration options (its help omits them) */
};

/* One option of a subcommand: a flag (@flag set) or an option with an argument (@value). */
struct cli_option {
	const char *name;           /* "--key"; "-o" style short names work the same way */
	const char **value;         /* receives the argument */
	bool *flag;                 /* set to true when the flag is given */
};

/*
 * cli_parse() - read argv[1..argc-1] of @cmd: the options in @opts (NULL
 * name ends the array; @opts may be NULL), the configuration options
 * (config.h), --help/-h, "--" and between @min_args and @max_args other
 * arguments, stored in @args in order. "--opt=value" and "--opt value"
 * are both accepted.
 * Return: the number of other arguments; CLI_HELP_SHOWN after printing the
 * help; or -CLI_EXIT_USAGE after printing what was wrong to stderr.
 */
int cli_parse(const struct cli_command *cmd, int argc, char **argv, const struct cli_option *opts,
	      const char **args, int min_args, int max_args);

/* cli_start(): go on with the command. */
#define CLI_CONTINUE (-2)

/*
 * cli_start() - what every command does first: cli_parse(), then
 * config_apply() (config.h).
 * Return: CLI_CONTINUE, or the status to exit with (0 after --help).
 */
int cli_start(const struct cli_command *cmd, int argc, char **argv, const struct cli_option *opts,
	      const char **args, int min_args, int max_args);

/* Print "softsgx NAME: <message>" and a pointer to --help on stderr. Return: CLI_EXIT_USAGE. */
int cli_usage_error(const struct cli_command *cmd, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Print "softsgx NAME: <message>" on stderr. Return: CLI_EXIT_FAIL. */
int cli_fail(const struct cli_command *cmd, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Print the usage and help of @cmd on stdout. */
void cli_print_help(const struct cli_command *cmd);

/*
 * cli_parse_u64() - a decimal or 0x-hex number, with an optional K, M or G
 * suffix (binary multiples) when @suffixes. Return: true and *@out, or false.
 */
bool cli_parse_u64(const char *s, bool suffixes, uint64_t *out);

/* cli_find_program() - @name as execvp() finds it (@out: PATH_MAX bytes). Return: 0, or an errno. */
int cli_find_program(const char *name, char *out);

/*
 * cli_proc_bytes() - the "NAME: N kB" line @name of the /proc file @path
 * (e.g. "/proc/self/status", "VmSize"), in bytes. Return: it, or 0 if unknown.
 */
uint64_t cli_proc_bytes(const char *path, const char *name);

/* The enclave layout options shared by measure, sign and load. */
struct cli_layout {
	const char *threads;
	const char *stack_pages;
	const char *enclave_size;
};
#define CLI_LAYOUT_OPTIONS(l)                                                         \
	{ "--threads", &(l)->threads, NULL }, { "--stack-pages", &(l)->stack_pages, NULL }, \
	{ "--enclave-size", &(l)->enclave_size, NULL }
/* The --help text of those options. */
#define CLI_LAYOUT_HELP                                                                  \
	"  --threads N         TCSs (threads) in the layout (default 2)\n"                  \
	"  --stack-pages N     stack pages per thread (default 16)\n"                        \
	"  --enclave-size SIZE ELRANGE size, a power of two up to 32G, K/M/G suffixes\n"     \
	"                      (default 16M)\n"
/*
 * cli_layout_resolve() - loader options from @l (zero fields keep the
 * loader's defaults). Return: 0, or CLI_EXIT_USAGE after a message.
 */
int cli_layout_resolve(const struct cli_command *cmd, const struct cli_layout *l,
		       struct softsgx_load_options *o);

/* Return: what the loader's errno @err means for an image ("not a ... ELF ...", ...). */
const char *cli_load_error(int err);

/*
 * cli_open_file() - open @path, which the messages call @what ("the key",
 * "the SIGSTRUCT", "the enclave image"), for reading. Anything but a
 * regular file (a FIFO, a device, a directory) is refused before it is
 * opened, and the open itself does not block.
 * Return: 0 with the descriptor in *@fd and the file's size in *@size, or
 * CLI_EXIT_FAIL after saying why on stderr.
 */
int cli_open_file(const struct cli_command *cmd, const char *what, const char *path, int *fd,
		  size_t *size);
/* Read exactly @len bytes of @fd (@what at @path). Return: 0, or CLI_EXIT_FAIL after a message. */
int cli_read_exact(const struct cli_command *cmd, const char *what, const char *path, int fd,
		   void *data, size_t len);
/*
 * cli_map_file() - the regular file at @path (see cli_open_file()) mapped
 * read-only; release it with cli_unmap_file().
 * Return: 0, or CLI_EXIT_FAIL after a message.
 */
int cli_map_file(const struct cli_command *cmd, const char *what, const char *path,
		 const uint8_t **data, size_t *len);
void cli_unmap_file(const uint8_t *data, size_t len);
/*
 * cli_write_file() - create or replace @path with @len bytes of @data, with
 * mode @mode (before umask). A FIFO that no process reads is refused
 * rather than waited for. Return: 0, or CLI_EXIT_FAIL after a message.
 */
int cli_write_file(const struct cli_command *cmd, const char *path, const void *data, size_t len,
		   unsigned int mode);

/* @bytes in the largest unit that divides it: "64 MiB", "12 KiB" (@out: 32 bytes). Return: @out. */
char *cli_size(uint64_t bytes, char *out);

/* @len bytes as lowercase hex into @out (2 * len + 1 bytes). Return: @out. */
char *cli_hex(const uint8_t *data, size_t len, char *out);

#endif /* SOFTSGX_TOOLS_CLI_H */
