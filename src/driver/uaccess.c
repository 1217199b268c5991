/* SPDX-License-Identifier: MIT */
/*
 * User-memory copies (see uaccess.h): process_vm_readv/writev report EFAULT
 * for an unmapped or inaccessible range rather than faulting.
 */
#include <sys/uio.h>
#include <unistd.h>

#include "driver/uaccess.h"

size_t copy_from_user(void *to, const void *from, size_t len)
{
	struct iovec local = { .iov_base = to, .iov_len = len };
	struct iovec remote = { .iov_base = (void *)from, .iov_len = len };
	ssize_t n;

	if (!len)
		return 0;
	n = process_vm_readv(getpid(), &local, 1, &remote, 1, 0);
	return n == (ssize_t)len ? 0 : len - (n > 0 ? (size_t)n : 0);
}

size_t copy_to_user(void *to, const void *from, size_t len)
{
	struct iovec local = { .iov_base = (void *)from, .iov_len = len };
	struct iovec remote = { .iov_base = to, .iov_len = len };
	ssize_t n;

	if (!len)
		return 0;
	n = process_vm_writev(getpid(), &local, 1, &remote, 1, 0);
	return n == (ssize_t)len ? 0 : len - (n > 0 ? (size_t)n : 0);
}
