/* SPDX-License-Identifier: MIT */
/* The processor walkthrough behind `softsgx demo`. */
#ifndef SOFTSGX_TOOLS_WALKTHROUGH_H
#define SOFTSGX_TOOLS_WALKTHROUGH_H

/* Run it, printing each step. Return: 0 if every step behaved as on SGX2, else 1. */
int walkthrough_run(void);

#endif
