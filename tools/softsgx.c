/* SPDX-License-Identifier: MIT */
/*
 * The softsgx command: finds the subcommand and hands it the rest of the
 * command line. Configuration options (config.h) may come before the
 * subcommand's name as well as among its arguments.
 *   softsgx [CONFIGURATION] COMMAND [ARGS]
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "commands.h"
#include "config.h"

static const struct cli_command *const commands[] = {
	&demo_command, &info_command, &measure_command,
	&sign_command, &keygen_command, &load_command, &exec_command, &bench_command,
};
#define NR_COMMANDS (sizeof(commands) / sizeof(commands[0]))

static void usage(FILE *out)
{
	size_t i;

	fprintf(out, "usage: softsgx [CONFIGURATION] COMMAND [ARGS]\n\n"
		     "softsgx emulates an SGX2 platform (processor, driver) in user space.\n\n"
		     "commands:\n");
	for (i = 0; i < NR_COMMANDS; i++)
		fprintf(out, "  %-9s %s\n", commands[i]->name, commands[i]->summary);
	fprintf(out, "  %-9s %s\n\n", "help", "this text, or 'help COMMAND' for a command's");
	fprintf(out, "%s\nEvery command takes --help. Start with 'softsgx demo'.\n", CONFIG_HELP);
}

static const struct cli_command *find_command(const char *name)
{
	size_t i;

	for (i = 0; i < NR_COMMANDS; i++)
		if (!strcmp(commands[i]->name, name))
			return commands[i];
	return NULL;
}

/* "softsgx help [COMMAND]". */
static int help(int argc, char **argv)
{
	const struct cli_command *cmd;

	if (argc < 2) {
		usage(stdout);
		return CLI_EXIT_OK;
	}
	cmd = find_command(argv[1]);
	if (!cmd) {
		fprintf(stderr, "softsgx help: no command '%s'\n", argv[1]);
		return CLI_EXIT_USAGE;
	}
	cli_print_help(cmd);
	return CLI_EXIT_OK;
}

/*
 * Configuration options before the command name, from argv[1].
 * Return: the index of the first other argument, or -1 after a message.
 */
static int leading_options(int argc, char **argv)
{
	int i;

	for (i = 1; i < argc && !strncmp(argv[i], "--", 2) && argv[i][2]; i++) {
		const char *eq = strchr(argv[i], '='), *value = eq ? eq + 1 : NULL;
		size_t len = eq ? (size_t)(eq - argv[i]) : strlen(argv[i]);
		char name[32];

		snprintf(name, sizeof(name), "%.*s", (int)len, argv[i]);
		if (!strcmp(argv[i], "--help"))
			return i;
		if (len >= sizeof(name) || !config_known(name)) {
			fprintf(stderr, "softsgx: unknown option '%.*s'\n", (int)len, argv[i]);
			return -1;
		}
		if (!value && i + 1 >= argc) {
			fprintf(stderr, "softsgx: option '%s' needs a value\n", name);
			return -1;
		}
		config_option(name, value ? value : argv[++i]);
	}
	return i;
}

int main(int argc, char **argv)
{
	const struct cli_command *cmd;
	int i = leading_options(argc, argv);

	if (i < 0 || i >= argc) {
		if (i >= argc)
			fprintf(stderr, "softsgx: no command given\n");
		usage(stderr);
		return CLI_EXIT_USAGE;
	}
	if (!strcmp(argv[i], "help") || !strcmp(argv[i], "--help") || !strcmp(argv[i], "-h"))
		return help(argc - i, argv + i);
	cmd = find_command(argv[i]);
	if (!cmd) {
		fprintf(stderr, "softsgx: unknown command '%s'\n\n", argv[i]);
		usage(stderr);
		return CLI_EXIT_USAGE;
	}
	return cmd->run(cmd, argc - i, argv + i);
}
