/* SPDX-License-Identifier: MIT */
/*
 * The program's own system call instructions. A library OS's loader does
 * not call the C library for the calls that matter to SGX: it opens the
 * device, maps the enclave, installs its signal handlers (with its own
 * restorer) and sets its alternate stack with SYSCALL instructions in its
 * own code. A seccomp filter traps exactly those calls (by number) when
 * they come from the program's executable (by the instruction pointer);
 * every other call, and every call from a shared library (the C library's
 * included, whose interposed functions reach softsgx already), runs
 * natively. The trap (SIGSYS, SECCOMP_RET_TRAP) comes to softsgx's
 * handler, which answers the call as the kernel would and returns past
 * the instruction.
 *
 * SOFTSGX_RAW_SYSCALLS says when: "auto" (the default) where the
 * executable's code holds a SYSCALL instruction's bytes and it takes none
 * of the C library's open, ioctl, mmap or sigaction; "on"; "off". A
 * filter needs no_new_privs (set here) unless the process may administer
 * the system; it stays across execve() (docs/fidelity.md).
 */
#include <errno.h>
#include <link.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <pthread.h>
#include <sched.h>
#include <unistd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <ucontext.h>

#include <asm/prctl.h>

#include "driver/uaccess.h"
#include "host/host.h"
#include "preload/preload.h"
#include "sys.h"

#ifndef SS_AUTODISARM
#define SS_AUTODISARM (1u << 31)
#endif
#define MIN_ALTSTACK 2048 /* the kernel's MINSIGSTKSZ */

/* The calls softsgx answers, or must see, when the program makes them itself. */
static const int trapped_calls[] = {
	SYS_open,	  SYS_openat,	    SYS_close,	     SYS_dup,	     SYS_dup2,
	SYS_dup3,	  SYS_fcntl,	    SYS_ioctl,	     SYS_mmap,	     SYS_munmap,
	SYS_mprotect,	  SYS_madvise,	    SYS_mremap,	     SYS_rt_sigaction, SYS_rt_sigprocmask,
	SYS_sigaltstack,  SYS_arch_prctl,   SYS_rt_sigreturn, SYS_exit,	      SYS_fork,
};
#define NR_TRAPPED (sizeof(trapped_calls) / sizeof(trapped_calls[0]))

/*
 * The C library's functions whose use says a program goes through it for
 * what matters to SGX: a loader that makes those calls itself takes none.
 */
static const char *const libc_routes[] = { "open", "open64", "openat", "openat64", "ioctl",
					   "mmap", "mmap64", "sigaction", "signal", NULL };

/*
 * The executable's code: its loaded, executable segments (dl_iterate_phdr's
 * first object); *@arg whether it takes any of libc_routes.
 */
static int executable_text(struct dl_phdr_info *info, size_t size, void *arg)
{
	size_t i;

	(void)size;
	for (i = 0; i < info->dlpi_phnum; i++)
		if (info->dlpi_phdr[i].p_type == PT_DYNAMIC)
			*(bool *)arg = preload_elf_imports(
				info->dlpi_addr,
				(const void *)(info->dlpi_addr + info->dlpi_phdr[i].p_vaddr), libc_routes);
	for (i = 0; i < info->dlpi_phnum && host_raw_text_count < HOST_RAW_TEXT_MAX; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];

		if (ph->p_type != PT_LOAD || !(ph->p_flags & PF_X) || !ph->p_memsz)
			continue;
		host_raw_text[host_raw_text_count++] = (struct host_range){
			.start = info->dlpi_addr + ph->p_vaddr,
			.end = info->dlpi_addr + ph->p_vaddr + ph->p_memsz,
		};
	}
	return 1; /* the first object only */
}

/* Whether the executable's code holds the bytes of a SYSCALL instruction (0F 05). */
static bool makes_own_calls(void)
{
	unsigned int i;

	for (i = 0; i < host_raw_text_count; i++)
		if (memmem((const void *)host_raw_text[i].start,
			   host_raw_text[i].end - host_raw_text[i].start, "\x0f\x05", 2))
			return true;
	return false;
}

/*
 * The filter: allow every call of another architecture or number; for the
 * trapped numbers, trap when the instruction pointer is in one of the
 * ranges (each within one 4 GiB half of the address space, compared as
 * its high and low words), else allow.
 */
#define MAX_FILTER (4 + 3 + NR_TRAPPED + 2 * HOST_RAW_TEXT_MAX * 5 + 2)

static size_t build_filter(struct sock_filter *f)
{
	struct host_range r[2 * HOST_RAW_TEXT_MAX];
	size_t n = 0, nr = 0, i, ranges_at, allow_at, trap_at;

	for (i = 0; i < host_raw_text_count; i++) {
		uintptr_t s = host_raw_text[i].start, e = host_raw_text[i].end;

		/* A range across a 4 GiB boundary: two ranges. */
		while ((s >> 32) != ((e - 1) >> 32)) {
			uintptr_t cut = ((s >> 32) + 1) << 32;

			r[nr++] = (struct host_range){ s, cut };
			s = cut;
		}
		r[nr++] = (struct host_range){ s, e };
	}
	/* clone() of a process (no CLONE_VM) goes with the trapped calls; of a thread, not. */
	ranges_at = 3 + 3 + NR_TRAPPED + 1;
	allow_at = ranges_at + nr * 5;
	trap_at = allow_at + 1;

	f[n++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
					      offsetof(struct seccomp_data, arch));
	f[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 0,
					      (uint8_t)(allow_at - 2));
	f[n++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
					      offsetof(struct seccomp_data, nr));
	f[n] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_clone, 0, 2);
	n++;
	f[n++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
					      offsetof(struct seccomp_data, args[0]));
	f[n] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, CLONE_VM,
					    (uint8_t)(allow_at - n - 1), (uint8_t)(ranges_at - n - 1));
	n++;
	for (i = 0; i < NR_TRAPPED; i++, n++)
		f[n] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K,
						    (uint32_t)trapped_calls[i],
						    (uint8_t)(ranges_at - n - 1), 0);
	f[n] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JA, (uint32_t)(allow_at - n - 1), 0, 0);
	n++;
	for (i = 0; i < nr; i++) {
		size_t next = n + 5;

		f[n] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
						    offsetof(struct seccomp_data, instruction_pointer) + 4);
		n++;
		f[n] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (uint32_t)(r[i].start >> 32),
						    0, (uint8_t)(next - n - 1));
		n++;
		f[n] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
						    offsetof(struct seccomp_data, instruction_pointer));
		n++;
		f[n] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, (uint32_t)r[i].start, 0,
						    (uint8_t)(next - n - 1));
		n++;
		f[n] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JGT | BPF_K, (uint32_t)(r[i].end - 1),
						    (uint8_t)(next - n - 1), (uint8_t)(trap_at - n - 1));
		n++;
	}
	f[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
	f[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_TRAP | HOST_SECCOMP_DATA);
	return n;
}

/* Answers */

static uint64_t uc_mask(const ucontext_t *uc)
{
	uint64_t m;

	memcpy(&m, &uc->uc_sigmask, sizeof(m));
	return m;
}

static void uc_set_mask(ucontext_t *uc, uint64_t m)
{
	memcpy(&uc->uc_sigmask, &m, sizeof(m));
}

/*
 * rt_sigprocmask(2): the mask the kernel restores when the handler
 * returns is the one in @uc; softsgx's own signals stay in the program's
 * view only.
 */
static long raw_sigprocmask(ucontext_t *uc, int how, const uint64_t *set, uint64_t *oset,
			    size_t size)
{
	const uint64_t own = host_signal_mask(),
		       unblockable = 1ull << (SIGKILL - 1) | 1ull << (SIGSTOP - 1);
	uint64_t view = (uc_mask(uc) & ~own) | host_virtual_mask(), want = 0, next = view;

	if (size != 8)
		return -EINVAL;
	if (set) {
		if (copy_from_user(&want, set, sizeof(want)))
			return -EFAULT;
		if (how == SIG_BLOCK)
			next = view | want;
		else if (how == SIG_UNBLOCK)
			next = view & ~want;
		else if (how == SIG_SETMASK)
			next = want;
		else
			return -EINVAL;
		next &= ~unblockable;
	}
	if (oset && copy_to_user(oset, &view, sizeof(view)))
		return -EFAULT;
	if (set) {
		host_set_virtual_mask(next & own);
		uc_set_mask(uc, next & ~own);
	}
	return 0;
}

struct altstack_change {
	const stack_t *ss;
	int ret;
};

static void altstack_set(void *arg)
{
	struct altstack_change *c = arg;

	c->ret = (int)softsgx_raw_syscall(SYS_sigaltstack, (long)c->ss, 0, 0, 0, 0, 0);
}

/*
 * sigaltstack(2). A thread softsgx runs enclaves on keeps the program's
 * stack beside softsgx's (host_sigaltstack()). Any other thread's is the
 * kernel's, set from a stack that is not the one this handler may run on,
 * and written into @uc too: the kernel's rt_sigreturn sets the one there
 * (or leaves it, where the handler ran on it). The answers come as -errno,
 * never through errno: a thread made by a raw clone() shares the C
 * library's errno with its creator, whose handlers may write it between
 * the store and the read.
 */
static long raw_sigaltstack(ucontext_t *uc, const stack_t *ss, stack_t *old)
{
	uintptr_t sp = (uintptr_t)uc->uc_mcontext.gregs[REG_RSP];
	stack_t in, cur = uc->uc_stack;
	unsigned int mode;

	if (host_thread_self())
		return host_sigaltstack_at(ss, old, sp);
	if (ss && copy_from_user(&in, ss, sizeof(in)))
		return -EFAULT;
	if (old && copy_to_user(old, &cur, sizeof(cur)))
		return -EFAULT;
	if (!ss)
		return 0;
	mode = (unsigned int)in.ss_flags & ~SS_AUTODISARM;
	if (mode != 0 && mode != SS_ONSTACK && mode != SS_DISABLE)
		return -EINVAL;
	if (cur.ss_flags & SS_ONSTACK)
		return -EPERM;
	if (mode == SS_DISABLE)
		in = (stack_t){ .ss_flags = SS_DISABLE };
	else if (in.ss_size < MIN_ALTSTACK)
		return -ENOMEM;
	in.ss_flags &= ~SS_ONSTACK;
	{
		struct altstack_change c = { .ss = &in, .ret = -EAGAIN };

		if (!host_call_on_spare_stack(altstack_set, &c) || c.ret)
			return c.ret;
	}
	uc->uc_stack = in;
	return 0;
}

/*
 * rt_sigreturn(2) through the program's own restorer: its frame's state
 * (host_prog_sigreturn() makes it the kernel's) into @uc, which the
 * kernel then restores.
 */
static void raw_sigreturn(ucontext_t *uc)
{
	ucontext_t *frame = (ucontext_t *)(uintptr_t)uc->uc_mcontext.gregs[REG_RSP];
	struct _libc_fpstate *fp = uc->uc_mcontext.fpregs;
	ucontext_t copy;

	/* The frame as rt_sigreturn reads it: the kernel's ucontext, up to the mask's first word. */
	if (copy_from_user(&copy, frame, offsetof(ucontext_t, uc_sigmask) + 8)) {
		uc->uc_mcontext.gregs[REG_RAX] = -EFAULT;
		return;
	}
	host_prog_sigreturn(&copy, host_thread_self());
	memcpy(uc->uc_mcontext.gregs, copy.uc_mcontext.gregs, sizeof(uc->uc_mcontext.gregs));
	uc_set_mask(uc, uc_mask(&copy));
	uc->uc_stack = copy.uc_stack;
	if (fp && copy.uc_mcontext.fpregs &&
	    copy_from_user(fp, copy.uc_mcontext.fpregs, host_fpstate_size(uc)))
		uc->uc_mcontext.fpregs = NULL; /* a bad frame: the kernel's SIGSEGV */
}

#define FORK_FLAGS_KEPT                                                                            \
	(CSIGNAL | CLONE_PARENT_SETTID | CLONE_CHILD_SETTID | CLONE_CHILD_CLEARTID)

/*
 * fork(2), or clone(2) of a process: the C library's fork(), so that
 * every fork handler runs (softsgx's detach the child's enclave mappings,
 * driver/fork.c), and the child goes on from this handler. clone()'s
 * extras of a plain fork (the IDs it stores, a new stack) are done here
 * as the kernel does them; other flags (a TLS, namespaces, shared files,
 * another exit signal) make it the program's own clone(), and its child
 * keeps the parent's enclave mappings as they are.
 */
static long raw_fork(ucontext_t *uc, long nr, const long a[6])
{
	unsigned long flags = nr == SYS_fork ? SIGCHLD : (unsigned long)a[0];
	long ret;

	if (nr == SYS_clone && ((flags & ~(unsigned long)FORK_FLAGS_KEPT) ||
				(flags & CSIGNAL) != SIGCHLD))
		return softsgx_raw_syscall(SYS_clone, a[0], a[1], a[2], a[3], a[4], 0);
	ret = fork();
	if (ret < 0)
		return -errno;
	if (nr == SYS_fork)
		return ret;
	if (ret > 0) {
		if (flags & CLONE_PARENT_SETTID)
			copy_to_user((void *)a[2], &(int){ (int)ret }, sizeof(int));
		return ret;
	}
	/* The child. */
	if (flags & CLONE_CHILD_SETTID) {
		int tid = (int)softsgx_raw_syscall(SYS_gettid, 0, 0, 0, 0, 0, 0);

		copy_to_user((void *)a[3], &tid, sizeof(tid));
	}
	if (flags & CLONE_CHILD_CLEARTID)
		softsgx_raw_syscall(SYS_set_tid_address, a[3], 0, 0, 0, 0, 0);
	if (a[1])
		uc->uc_mcontext.gregs[REG_RSP] = a[1];
	return 0;
}

static void answer(ucontext_t *uc)
{
	greg_t *g = uc->uc_mcontext.gregs;
	long nr = (long)g[REG_RAX], ret;
	const long a[6] = { g[REG_RDI], g[REG_RSI], g[REG_RDX], g[REG_R10], g[REG_R8], g[REG_R9] };
	bool routed;

	switch (nr) {
	case SYS_rt_sigreturn:
		raw_sigreturn(uc);
		return;
	case SYS_rt_sigaction:
		ret = a[3] != 8 ? -EINVAL
				: host_raw_sigaction((int)a[0], (const struct kernel_sigaction *)a[1],
						     (struct kernel_sigaction *)a[2]);
		break;
	case SYS_rt_sigprocmask:
		ret = raw_sigprocmask(uc, (int)a[0], (const uint64_t *)a[1], (uint64_t *)a[2],
				      (size_t)a[3]);
		break;
	case SYS_sigaltstack:
		ret = raw_sigaltstack(uc, (const stack_t *)a[0], (stack_t *)a[1]);
		break;
	case SYS_fork:
	case SYS_clone:
		ret = raw_fork(uc, nr, a);
		break;
	case SYS_exit: {
		/* A thread of the program's own ends: its slot is softsgx's to reuse. */
		struct host_thread *t = host_thread_self();

		if (t)
			host_thread_exit(t);
		softsgx_raw_syscall(SYS_exit, a[0], 0, 0, 0, 0, 0);
		__builtin_unreachable();
	}
	case SYS_arch_prctl:
		ret = softsgx_raw_syscall(nr, a[0], a[1], 0, 0, 0, 0);
		if (!ret && (a[0] == ARCH_SET_FS || a[0] == ARCH_SET_GS))
			host_bases_changed();
		break;
	default:
		ret = preload_route(nr, a, &routed);
		if (!routed)
			ret = softsgx_raw_syscall(nr, a[0], a[1], a[2], a[3], a[4], a[5]);
		else if (ret == -1 || (nr == SYS_mmap && ret == (long)MAP_FAILED) ||
			 (nr == SYS_mremap && ret == (long)MAP_FAILED))
			ret = -errno;
		break;
	}
	g[REG_RAX] = ret;
}

static void answer_call(void *uc)
{
	answer(uc);
}

/*
 * The kernel answers a system call on its own stack; softsgx answers it
 * on the thread's stack in its arena, never on the program's, which may
 * be small (a runtime's helper threads run on a few pages). A thread
 * softsgx does not know yet is registered for that.
 */
static void on_raw_syscall(ucontext_t *uc)
{
	int saved = errno;
	uintptr_t here = (uintptr_t)__builtin_frame_address(0);
	struct host_thread *t = host_thread_self();

	if (!t)
		t = host_register_from_trap(uc);
	if (t && (here < (uintptr_t)t || here >= (uintptr_t)t + HOST_ALTSTACK_SIZE))
		softsgx_call_on_stack(answer_call, uc, (uint8_t *)t + HOST_ALTSTACK_SIZE);
	else
		answer(uc);
	if (errno != saved) /* a raw clone()'s errno is its creator's too (trap.c) */
		errno = saved;
}

static void *nothing(void *arg)
{
	return arg;
}

/*
 * The C library takes a process that never made a thread of its own for
 * single-threaded: its mutexes then lock and unlock without atomics and
 * wake no waiter. Threads made by the program's raw clone() run softsgx's
 * code, and its locks, all the same: one thread, started and joined here,
 * makes the C library treat the process as multi-threaded from now on.
 */
static void multithreaded(void)
{
	pthread_t t;

	if (!pthread_create(&t, NULL, nothing, NULL))
		pthread_join(t, NULL);
}

void preload_rawsys_init(void)
{
	struct sock_filter filter[MAX_FILTER];
	struct sock_fprog prog = { .filter = filter };
	const char *mode = getenv("SOFTSGX_RAW_SYSCALLS");
	bool on = mode && (!strcmp(mode, "on") || !strcmp(mode, "1")), uses_libc = false;

	if (mode && (!strcmp(mode, "off") || !strcmp(mode, "0")))
		return;
	if (mode && !on && strcmp(mode, "auto") && *mode) {
		fprintf(stderr, "softsgx: SOFTSGX_RAW_SYSCALLS: '%s' is not auto, on or off; "
				"auto taken\n", mode);
	}
	((int (*)(int (*)(struct dl_phdr_info *, size_t, void *), void *))
		 preload_real_dl_iterate_phdr())(executable_text, &uses_libc);
	if (!host_raw_text_count || (!on && (uses_libc || !makes_own_calls()))) {
		host_raw_text_count = 0;
		return;
	}
	multithreaded();
	prog.len = (unsigned short)build_filter(filter);
	host_raw_syscall_hook = on_raw_syscall;
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) ||
	    sys_result(softsgx_raw_syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER,
					   SECCOMP_FILTER_FLAG_TSYNC, (long)&prog, 0, 0, 0))) {
		fprintf(stderr, "softsgx: the program's own system calls cannot be caught "
				"(no seccomp filter: %s); they go to the host\n", strerror(errno));
		host_raw_syscall_hook = NULL;
		host_raw_text_count = 0;
	}
}
