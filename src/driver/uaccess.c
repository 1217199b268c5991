/* SPDX-License-Identifier: MIT */
/*
 * User-memory copies (see uaccess.h): process_vm_readv/writev report EFAULT
 * for an unmapped or inaccessible range rather than faulting.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statvfs.h>
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

bool user_readable(const void *p, size_t len)
{
	uint8_t probe;
	uintptr_t a = (uintptr_t)p, end = a + len;

	if (end < a)
		return false;
	/* One byte of each page decides for the page. */
	for (; a < end; a = (a | 4095) + 1)
		if (copy_from_user(&probe, (const void *)a, 1))
			return false;
	return !len || !copy_from_user(&probe, (const void *)(end - 1), 1);
}

long strncpy_from_user(char *to, const char *from, size_t n)
{
	size_t done = 0, chunk;
	const char *nul;

	/* Page by page: a short string just before an unmapped page is readable. */
	while (done < n) {
		chunk = 4096 - (((uintptr_t)from + done) & 4095);
		if (chunk > n - done)
			chunk = n - done;
		if (copy_from_user(to + done, from + done, chunk))
			return -EFAULT;
		nul = memchr(to + done, 0, chunk);
		if (nul)
			return nul - to;
		done += chunk;
	}
	return (long)n;
}

/*
 * A file mapping lacks VM_MAYEXEC when its file lies on a noexec mount
 * (do_mmap()'s path_noexec() check). The file's path is the mapping's name;
 * a deleted file is judged by the path it had, and a name that is no path
 * (anonymous memory, a memfd) may execute.
 */
static bool path_may_exec(char *name)
{
	static const char deleted[] = " (deleted)";
	size_t len = strlen(name);
	struct statvfs st;

	if (name[0] != '/')
		return true;
	if (len > sizeof(deleted) - 1 && !strcmp(name + len - (sizeof(deleted) - 1), deleted))
		name[len - (sizeof(deleted) - 1)] = '\0';
	return statvfs(name, &st) || !(st.f_flag & ST_NOEXEC);
}

int user_find_vma(uint64_t addr, struct user_vma *vma)
{
	FILE *maps = fopen("/proc/self/maps", "re");
	char *line = NULL;
	size_t cap = 0;
	unsigned long start, end;
	int name = 0, ret = -EFAULT;

	if (!maps)
		return -EFAULT;
	while (getline(&line, &cap, maps) > 0) {
		name = 0;
		if (sscanf(line, "%lx-%lx %*s %*s %*s %*s %n", &start, &end, &name) < 2 || end <= addr)
			continue;
		line[strcspn(line, "\n")] = '\0';
		*vma = (struct user_vma){ .start = start, .end = end,
					  .may_exec = path_may_exec(line + name) };
		ret = 0;
		break;
	}
	free(line);
	fclose(maps);
	return ret;
}
