/* SPDX-License-Identifier: MIT */
/*
 * Debugger access to enclave memory, as Linux's sgx_vma_access() gives it
 * to ptrace and /proc/PID/mem (access_process_vm()): only for DEBUG
 * enclaves, through EDBGRD/EDBGWR in aligned 8-byte units (a write is a
 * read-modify-write), never EAUGing an absent page. Other memory is read
 * and written as the kernel's copy would.
 */
#include <errno.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#include "driver/driver.h"
#include "driver/uaccess.h"

#define PAGE 4096ull

/* One 8-byte unit of a DEBUG enclave's page at @addr. Must hold mmap_lock. Return: bytes or -errno. */
static long debug_unit(struct sgx_encl *encl, uint64_t addr, uint8_t *buf, size_t len, bool write)
{
	struct sgx_lp *lp = sgx_current_lp(encl->plat);
	struct sgx_encl_page *page;
	uint64_t align = addr & ~7ull, data;
	size_t off = addr & 7, cnt = 8 - off < len ? 8 - off : len;
	long ret = (long)cnt;

	page = sgx_encl_reserve_page(encl, addr & ~(PAGE - 1));
	if (!page) {
		/* No page there (access is no fault, nothing is EAUGed), or it cannot be reloaded. */
		ret = -EFAULT;
		goto out;
	}
	if (encls_edbgrd(lp, page->epc + (align & (PAGE - 1)), &data)) {
		ret = -EIO;
		goto out;
	}
	/* The caller's buffer is the program's: read and written as the kernel would (EFAULT). */
	if (write) {
		if (copy_from_user((uint8_t *)&data + off, buf, cnt))
			ret = -EFAULT;
		else if (encls_edbgwr(lp, page->epc + (align & (PAGE - 1)), data))
			ret = -EIO;
	} else if (copy_to_user(buf, (uint8_t *)&data + off, cnt)) {
		ret = -EFAULT;
	}
out:
	pthread_mutex_unlock(&encl->lock);
	return ret;
}

/*
 * Ordinary memory, to the end of its page at most, as the kernel's copy:
 * process_vm_readv/writev checks both sides. Return: bytes or -EFAULT.
 */
static long plain(uint64_t addr, uint8_t *buf, size_t len, bool write)
{
	size_t cnt = PAGE - (addr & (PAGE - 1));

	if (cnt > len)
		cnt = len;
	if (write ? copy_to_user((void *)(uintptr_t)addr, buf, cnt)
		  : copy_from_user(buf, (const void *)(uintptr_t)addr, cnt))
		return -EFAULT;
	return (long)cnt;
}

ssize_t softsgx_access_vm(void *addr, void *buf, size_t len, int write)
{
	struct sgx_platform *plat = sgx_platform_get();
	uint64_t a = (uintptr_t)addr, limit;
	uint8_t *b = buf;
	struct sgx_vma *vma, *v;
	size_t done = 0;
	long ret = 0;

	if (!plat) {
		errno = ENOMEM;
		return -1;
	}

	pthread_rwlock_rdlock(&plat->mmap_lock);
	while (done < len) {
		vma = sgx_find_vma(plat, a + done);
		if (vma) {
			/* sgx_vma_access(): a non-DEBUG enclave, a detached VMA (fork.c) are opaque. */
			ret = (atomic_load(&vma->encl->flags) & SGX_ENCL_DEBUG) &&
					      !sgx_encl_detached(vma->encl)
				      ? debug_unit(vma->encl, a + done, b + done, len - done, write)
				      : -EFAULT;
		} else {
			/* Up to the next enclave mapping at most. */
			for (limit = len - done, v = plat->vmas; v; v = v->next)
				if (v->start > a + done && v->start - (a + done) < limit)
					limit = v->start - (a + done);
			ret = plain(a + done, b + done, limit, write);
		}
		if (ret <= 0)
			break;
		done += (size_t)ret;
	}
	pthread_rwlock_unlock(&plat->mmap_lock);
	if (done)
		return (ssize_t)done;
	errno = ret < 0 ? (int)-ret : EIO;
	return -1;
}
