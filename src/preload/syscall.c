/* SPDX-License-Identifier: MIT */
/*
 * The C library's syscall(): programs that issue their system calls by
 * number through it reach softsgx as those that call open() or ioctl()
 * do. The numbers softsgx answers go to the same interposed functions;
 * a change of the thread's FS or GS base (arch_prctl) is noted for the
 * entry function; every other number passes to the C library untouched.
 * The program's own system call instructions come the same way (rawsys.c).
 */
#include <asm/prctl.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdarg.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "host/host.h"
#include "preload/preload.h"

#define EXPORT __attribute__((visibility("default")))

static long (*next_syscall)(long, ...);

long preload_route(long nr, const long a[6], bool *routed)
{
	*routed = true;
	switch (nr) {
	case SYS_open:
		return open((const char *)a[0], (int)a[1], (mode_t)a[2]);
	case SYS_openat:
		return openat((int)a[0], (const char *)a[1], (int)a[2], (mode_t)a[3]);
	case SYS_close:
		return close((int)a[0]);
	case SYS_ioctl:
		return ioctl((int)a[0], (unsigned long)a[1], (void *)a[2]);
	case SYS_mmap:
		return (long)mmap((void *)a[0], (size_t)a[1], (int)a[2], (int)a[3], (int)a[4],
				  (off_t)a[5]);
	case SYS_munmap:
		return munmap((void *)a[0], (size_t)a[1]);
	case SYS_mprotect:
		return mprotect((void *)a[0], (size_t)a[1], (int)a[2]);
	case SYS_madvise:
		return madvise((void *)a[0], (size_t)a[1], (int)a[2]);
	case SYS_mremap:
		return (long)mremap((void *)a[0], (size_t)a[1], (size_t)a[2], (int)a[3],
				    (void *)a[4]);
	case SYS_dup:
		return dup((int)a[0]);
	case SYS_dup2:
		return dup2((int)a[0], (int)a[1]);
	case SYS_dup3:
		return dup3((int)a[0], (int)a[1], (int)a[2]);
	case SYS_fcntl:
		return fcntl((int)a[0], (int)a[1], a[2]);
	default:
		*routed = false;
		return -1;
	}
}

EXPORT long syscall(long nr, ...)
{
	bool routed;
	long a[6];
	va_list ap;
	long ret;
	int i;

	va_start(ap, nr);
	for (i = 0; i < 6; i++)
		a[i] = va_arg(ap, long);
	va_end(ap);
	ret = preload_route(nr, a, &routed);
	if (routed)
		return ret;
	if (!next_syscall)
		next_syscall = (long (*)(long, ...))preload_next("syscall");
	ret = next_syscall(nr, a[0], a[1], a[2], a[3], a[4], a[5]);
	/* The entry function restores the bases it knows: the thread's new ones. */
	if (nr == SYS_arch_prctl && !ret && (a[0] == ARCH_SET_FS || a[0] == ARCH_SET_GS))
		host_bases_changed();
	return ret;
}
