/* SPDX-License-Identifier: MIT */
/*
 * For the runtime-shaped test (runtime.c): the calls on the device, its
 * descriptors and its mappings made by the test's own SYSCALL instruction
 * (runtime_asm.S), never the C library's, as a library OS's loader makes
 * them. plain_loader.c and scenarios.c include this after their system
 * headers when built with PL_RAW_SYSCALLS; the functions keep the C
 * library's conventions (-1 and errno).
 */
#ifndef PRELOAD_TEST_RAW_SYS_H
#define PRELOAD_TEST_RAW_SYS_H

#include <errno.h>
#include <stddef.h>
#include <sys/syscall.h>
#include <sys/types.h>

/* runtime_asm.S: the system call @nr, -errno on failure. */
long rt_syscall(long nr, long a1, long a2, long a3, long a4, long a5, long a6);

static inline long rt_result(long ret)
{
	if (ret < 0 && ret > -4096) {
		errno = (int)-ret;
		return -1;
	}
	return ret;
}

static inline int rt_open(const char *path, int flags)
{
	return (int)rt_result(rt_syscall(SYS_open, (long)path, flags, 0, 0, 0, 0));
}

static inline int rt_close(int fd)
{
	return (int)rt_result(rt_syscall(SYS_close, fd, 0, 0, 0, 0, 0));
}

static inline int rt_ioctl(int fd, unsigned long cmd, void *arg)
{
	return (int)rt_result(rt_syscall(SYS_ioctl, fd, (long)cmd, (long)arg, 0, 0, 0));
}

static inline void *rt_mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
	long ret = rt_syscall(SYS_mmap, (long)addr, (long)len, prot, flags, fd, off);

	return rt_result(ret) == -1 ? (void *)-1 : (void *)ret;
}

static inline int rt_munmap(void *addr, size_t len)
{
	return (int)rt_result(rt_syscall(SYS_munmap, (long)addr, (long)len, 0, 0, 0, 0));
}

static inline int rt_mprotect(void *addr, size_t len, int prot)
{
	return (int)rt_result(rt_syscall(SYS_mprotect, (long)addr, (long)len, prot, 0, 0, 0));
}

#ifdef PL_RAW_SYSCALLS
#define open(path, flags) rt_open(path, flags)
#define close(fd) rt_close(fd)
#define ioctl(fd, cmd, arg) rt_ioctl(fd, cmd, arg)
#define mmap(addr, len, prot, flags, fd, off) rt_mmap(addr, len, prot, flags, fd, off)
#define munmap(addr, len) rt_munmap(addr, len)
#define mprotect(addr, len, prot) rt_mprotect(addr, len, prot)
#endif

#endif /* PRELOAD_TEST_RAW_SYS_H */
