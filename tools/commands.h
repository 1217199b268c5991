/* SPDX-License-Identifier: MIT */
/* The subcommands of the softsgx command, each in its own file. */
#ifndef SOFTSGX_TOOLS_COMMANDS_H
#define SOFTSGX_TOOLS_COMMANDS_H

#include "cli.h"

extern const struct cli_command demo_command;    /* demo.c */
extern const struct cli_command info_command;    /* info.c */
extern const struct cli_command measure_command; /* sign.c */
extern const struct cli_command sign_command;
extern const struct cli_command keygen_command;
extern const struct cli_command load_command;    /* load.c */
extern const struct cli_command exec_command;    /* exec.c */
extern const struct cli_command bench_command;   /* bench.c */

#endif /* SOFTSGX_TOOLS_COMMANDS_H */
