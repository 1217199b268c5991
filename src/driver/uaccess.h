/* SPDX-License-Identifier: MIT */
/*
 * copy_from_user()/copy_to_user(): copies that fail with EFAULT instead of
 * crashing when the program passes memory it cannot read or write, as the
 * kernel's do. They go through process_vm_readv/writev on this process.
 */
#ifndef SOFTSGX_UACCESS_H
#define SOFTSGX_UACCESS_H

#include <stddef.h>

/* Return: 0, or the number of bytes not copied (like Linux). */
size_t copy_from_user(void *to, const void *from, size_t len);
size_t copy_to_user(void *to, const void *from, size_t len);

#endif
