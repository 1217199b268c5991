/* SPDX-License-Identifier: MIT */
/*
 * What catching a program's raw system calls would cost, for the choice
 * between the two mechanisms Linux offers a user-space emulator:
 *  - a seccomp filter that returns SECCOMP_RET_TRAP for a few system call
 *    numbers when the instruction pointer lies outside the emulator's own
 *    code, and lets everything else through;
 *  - Syscall User Dispatch, which sends every system call outside one
 *    region to SIGSYS while the thread's selector says "block".
 * Each is measured in its own child (a filter cannot be removed): a system
 * call it lets through, and one it traps to a SIGSYS handler that performs
 * it from the allowed region and returns. Figures in nanoseconds per call,
 * medians of 7 rounds; one line per mechanism on stdout.
 */
#include <errno.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <ucontext.h>
#include <unistd.h>

#include "timing.h"

#ifndef PR_SET_SYSCALL_USER_DISPATCH
#define PR_SET_SYSCALL_USER_DISPATCH 59
#define PR_SYS_DISPATCH_ON 1
#endif
#define SELECTOR_ALLOW 0
#define SELECTOR_BLOCK 1

#define N 20000

/* The "emulator's own code": one SYSCALL instruction that is always let through. */
long allowed_syscall(long nr, long a1);
__asm__(".pushsection .text\n"
	".globl allowed_syscall\n"
	"allowed_syscall:\n"
	"	mov %rdi, %rax\n"
	"	mov %rsi, %rdi\n"
	"	syscall\n"
	"	ret\n"
	".globl allowed_restorer\n"
	"allowed_restorer:\n"
	"	mov $15, %eax\n" /* rt_sigreturn, allowed too */
	"	syscall\n"
	"	ud2\n" /* both mechanisms judge the address after the SYSCALL */
	".globl allowed_end\n"
	"allowed_end:\n"
	".popsection\n");
extern const char allowed_end[];
void allowed_restorer(void);

/* The kernel's struct sigaction: the handler returns through the allowed restorer. */
struct ksigaction {
	void *handler;
	unsigned long flags;
	void (*restorer)(void);
	uint64_t mask;
};

static volatile char selector;

/* The trapped call, performed from the allowed region. */
static void on_sigsys(int sig, siginfo_t *info, void *ucv)
{
	ucontext_t *uc = ucv;
	greg_t *g = uc->uc_mcontext.gregs;

	selector = SELECTOR_ALLOW;
	g[REG_RAX] = allowed_syscall(info->si_syscall, g[REG_RDI]);
	selector = SELECTOR_BLOCK;
}

/* ns per raw system call @nr, the median of 7 rounds. */
static double per_call(long nr)
{
	double v[ROUNDS], t;
	int r, i;

	for (r = 0; r < ROUNDS; r++) {
		t = now_ns();
		for (i = 0; i < N; i++)
			syscall(nr);
		v[r] = (now_ns() - t) / N;
	}
	return median(v);
}

/* Trap getppid from outside [allowed_syscall, allowed_end), let the rest through. */
static int install_filter(void)
{
	uintptr_t lo = (uintptr_t)allowed_syscall, hi = (uintptr_t)allowed_end;
	struct sock_filter f[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_getppid, 0, 6),
		/* the instruction pointer's high half must be the region's, the low half inside it */
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, instruction_pointer) + 4),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (uint32_t)(lo >> 32), 0, 3),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, instruction_pointer)),
		BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, (uint32_t)lo, 0, 1),
		BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, (uint32_t)hi, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_TRAP),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog = { .len = sizeof(f) / sizeof(f[0]), .filter = f };

	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0))
		return -1;
	return prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog);
}

static void run(const char *mode)
{
	struct ksigaction sa = { .handler = (void *)on_sigsys,
				 .flags = SA_SIGINFO | 0x04000000 /* SA_RESTORER */,
				 .restorer = allowed_restorer };
	double through, trapped;

	syscall(SYS_rt_sigaction, SIGSYS, &sa, NULL, 8);
	if (!strcmp(mode, "none")) {
		through = per_call(SYS_getpid);
		trapped = 0;
	} else if (!strcmp(mode, "seccomp")) {
		if (install_filter()) {
			printf("seccomp unavailable: %s\n", strerror(errno));
			return;
		}
		through = per_call(SYS_getpid);
		trapped = per_call(SYS_getppid);
	} else {
		if (prctl(PR_SET_SYSCALL_USER_DISPATCH, PR_SYS_DISPATCH_ON, (unsigned long)allowed_syscall,
			  (unsigned long)(allowed_end - (const char *)allowed_syscall), &selector)) {
			printf("sud unavailable: %s\n", strerror(errno));
			return;
		}
		selector = SELECTOR_ALLOW;
		through = per_call(SYS_getpid);
		selector = SELECTOR_BLOCK;
		trapped = per_call(SYS_getppid);
		selector = SELECTOR_ALLOW;
	}
	printf("%s %.1f %.1f\n", mode, through, trapped);
}

int main(int argc, char **argv)
{
	const char *modes[] = { "none", "seccomp", "sud" };
	size_t i;

	setvbuf(stdout, NULL, _IOLBF, 0);
	for (i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
		pid_t pid = fork();

		if (pid == 0) {
			run(modes[i]);
			_exit(0);
		}
		waitpid(pid, NULL, 0);
	}
	return 0;
}
