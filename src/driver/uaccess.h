/* SPDX-License-Identifier: MIT */
/*
 * copy_from_user()/copy_to_user(): copies that fail with EFAULT instead of
 * crashing when the program passes memory it cannot read or write, as the
 * kernel's do. They go through process_vm_readv/writev on this process.
 */
#ifndef SOFTSGX_UACCESS_H
#define SOFTSGX_UACCESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Return: 0, or the number of bytes not copied (like Linux). */
size_t copy_from_user(void *to, const void *from, size_t len);
size_t copy_to_user(void *to, const void *from, size_t len);
/*
 * strncpy_from_user() - copy the string at @from, at most @n bytes with its
 * NUL, into @to. Return: its length, @n if no NUL came within @n bytes (@to
 * is then not terminated), or -EFAULT.
 */
long strncpy_from_user(char *to, const char *from, size_t n);
/* Whether all @len bytes at @p can be read (each page tried once). */
bool user_readable(const void *p, size_t len);

/* The host mapping find_vma() would return for @addr: the first one ending above it. */
struct user_vma {
	uint64_t start, end;
	bool may_exec; /* VM_MAYEXEC: not a file on a noexec mount */
};

/* Fill @vma from /proc/self/maps. Return: 0, or -EFAULT when no mapping ends above @addr. */
int user_find_vma(uint64_t addr, struct user_vma *vma);

#endif
