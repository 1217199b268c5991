/* SPDX-License-Identifier: MIT */
/*
 * The softsgx command. Subcommands:
 *   demo      walk the emulated processor through SGX2 permission changes
 *   help      this text
 */
#include <stdio.h>
#include <string.h>

#include "walkthrough.h"

static void usage(FILE *out)
{
	fprintf(out, "usage: softsgx <command>\n\n"
		     "commands:\n"
		     "  demo    walk the emulated SGX2 processor through EAUG, EACCEPT, EMODPR,\n"
		     "          ETRACK and the interrupt of a thread inside the enclave\n"
		     "  help    show this text\n");
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	if (!strcmp(argv[1], "demo")) {
		if (argc > 2 && (!strcmp(argv[2], "--help") || !strcmp(argv[2], "-h"))) {
			printf("usage: softsgx demo\n\nRuns the processor walkthrough; exits 0 only if every step\n"
			       "behaved as SGX2 does.\n");
			return 0;
		}
		if (argc > 2) {
			fprintf(stderr, "softsgx demo: unexpected argument '%s'\n", argv[2]);
			return 2;
		}
		return walkthrough_run();
	}
	if (!strcmp(argv[1], "help") || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		usage(stdout);
		return 0;
	}
	fprintf(stderr, "softsgx: unknown command '%s'\n", argv[1]);
	usage(stderr);
	return 2;
}
