/* SPDX-License-Identifier: MIT */
/*
 * The system calls the emulator makes for itself on memory, descriptors
 * and signals. They never go through a symbol a preloaded library can
 * interpose (mmap, mprotect, close, sigaction, ...): under softsgx's own
 * preload library those symbols lead back into softsgx. All of them pass
 * through one SYSCALL instruction (softsgx_raw_syscall, entry.S), inside
 * the region where Syscall User Dispatch always lets system calls through.
 * They return as libc's wrappers do: -1 (MAP_FAILED) with errno set.
 */
#ifndef SOFTSGX_SYS_H
#define SOFTSGX_SYS_H

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>

/* entry.S: the system call @nr with up to six arguments; -errno on failure. */
long softsgx_raw_syscall(long nr, long a1, long a2, long a3, long a4, long a5, long a6)
	__attribute__((visibility("hidden")));

static inline long sys_result(long ret)
{
	if (ret < 0 && ret > -4096) {
		errno = (int)-ret;
		return -1;
	}
	return ret;
}

static inline void *sys_mmap(void *addr, size_t len, int prot, int flags, int fd, off_t offset)
{
	long ret = softsgx_raw_syscall(SYS_mmap, (long)addr, (long)len, prot, flags, fd, offset);

	return sys_result(ret) == -1 ? MAP_FAILED : (void *)ret;
}

static inline int sys_munmap(void *addr, size_t len)
{
	return (int)sys_result(softsgx_raw_syscall(SYS_munmap, (long)addr, (long)len, 0, 0, 0, 0));
}

static inline int sys_mprotect(void *addr, size_t len, int prot)
{
	return (int)sys_result(softsgx_raw_syscall(SYS_mprotect, (long)addr, (long)len, prot, 0, 0, 0));
}

static inline int sys_madvise(void *addr, size_t len, int advice)
{
	return (int)sys_result(softsgx_raw_syscall(SYS_madvise, (long)addr, (long)len, advice, 0, 0, 0));
}

static inline void *sys_mremap(void *old, size_t old_len, size_t new_len, int flags, void *new_addr)
{
	long ret = softsgx_raw_syscall(SYS_mremap, (long)old, (long)old_len, (long)new_len, flags,
				       (long)new_addr, 0);

	return sys_result(ret) == -1 ? MAP_FAILED : (void *)ret;
}

static inline int sys_close(int fd)
{
	return (int)sys_result(softsgx_raw_syscall(SYS_close, fd, 0, 0, 0, 0, 0));
}

static inline int sys_fcntl(int fd, int cmd, long arg)
{
	return (int)sys_result(softsgx_raw_syscall(SYS_fcntl, fd, cmd, arg, 0, 0, 0));
}

static inline int sys_fstat(int fd, struct stat *st)
{
	return (int)sys_result(softsgx_raw_syscall(SYS_fstat, fd, (long)st, 0, 0, 0, 0));
}

/* rt_sigprocmask on the kernel's 64-bit sigset. */
static inline int sys_sigprocmask(int how, const uint64_t *set, uint64_t *old)
{
	return (int)sys_result(softsgx_raw_syscall(SYS_rt_sigprocmask, how, (long)set, (long)old, 8, 0, 0));
}

static inline int sys_sigaltstack(const void *ss, void *old)
{
	return (int)sys_result(softsgx_raw_syscall(SYS_sigaltstack, (long)ss, (long)old, 0, 0, 0, 0));
}

/* rt_sigaction with the kernel's struct (host/host.h: struct kernel_sigaction). */
static inline int sys_rt_sigaction(int sig, const void *act, void *old)
{
	return (int)sys_result(softsgx_raw_syscall(SYS_rt_sigaction, sig, (long)act, (long)old, 8, 0, 0));
}

#endif /* SOFTSGX_SYS_H */
