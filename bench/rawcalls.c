/* SPDX-License-Identifier: MIT */
/*
 * A program's own system calls, timed in a program that knows nothing of
 * softsgx: `softsgx bench` runs it with and without the preload library
 * (which then traps the calls that matter with its seccomp filter) and
 * compares. Its SYSCALL instruction is in its own code, as a library
 * OS's loader has it. Prints one line: nanoseconds per getppid (let
 * through), per close(-1) (trapped, routed, EBADF) and per
 * rt_sigprocmask reading the mask (trapped, answered by softsgx), each
 * the median of 7 rounds.
 */
#include <signal.h>
#include <stdio.h>
#include <sys/syscall.h>

#include "timing.h"

#define N 20000

static long own_syscall(long nr, long a1, long a2, long a3, long a4)
{
	register long r10 __asm__("r10") = a4;
	long ret;

	__asm__ volatile("syscall"
			 : "=a"(ret)
			 : "a"(nr), "D"(a1), "S"(a2), "d"(a3), "r"(r10)
			 : "rcx", "r11", "memory");
	return ret;
}

int main(void)
{
	double t[3][ROUNDS], t0;
	unsigned long long mask;
	int r, i;

	for (r = 0; r < ROUNDS; r++) {
		t0 = now_ns();
		for (i = 0; i < N; i++)
			own_syscall(SYS_getppid, 0, 0, 0, 0);
		t[0][r] = (now_ns() - t0) / N;
		t0 = now_ns();
		for (i = 0; i < N; i++)
			if (own_syscall(SYS_close, -1, 0, 0, 0) != -9)
				return 1; /* EBADF, with or without softsgx */
		t[1][r] = (now_ns() - t0) / N;
		t0 = now_ns();
		for (i = 0; i < N; i++)
			if (own_syscall(SYS_rt_sigprocmask, SIG_BLOCK, 0, (long)&mask, 8))
				return 1;
		t[2][r] = (now_ns() - t0) / N;
	}
	printf("%.1f %.1f %.1f\n", median(t[0]), median(t[1]), median(t[2]));
	return 0;
}
