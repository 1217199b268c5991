/* SPDX-License-Identifier: MIT */
/*
 * The enclave address space in the real process: enclave mappings are
 * shared mappings of the enclave's memory file (page i of the enclave at
 * offset i * 4096), PROT_NONE until the driver grants the effective
 * protection of a run of pages; parts of a mapping outside ELRANGE, or made
 * before ECREATE, are PROT_NONE reservations.
 */
#include <errno.h>
#include <sys/mman.h>

#include "driver/driver.h"
#include "host/features.h"
#include "host/host.h"
#include "sys.h"

#define PAGE 4096ull

static int map_part(uint64_t start, uint64_t end, int fd, uint64_t offset)
{
	void *want = (void *)(uintptr_t)start, *got;

	if (fd >= 0)
		got = sys_mmap(want, end - start, PROT_NONE, MAP_SHARED | MAP_FIXED, fd, (off_t)offset);
	else
		got = sys_mmap(want, end - start, PROT_NONE,
			   MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED | MAP_NORESERVE, -1, 0);
	return got == MAP_FAILED ? -errno : 0;
}

static int aspace_map(void *ctx, struct sgx_encl *encl, uint64_t start, uint64_t end)
{
	uint64_t lo, hi;
	int ret;

	(void)ctx;
	if (!(atomic_load(&encl->flags) & SGX_ENCL_CREATED))
		return map_part(start, end, -1, 0);
	lo = start > encl->base ? start : encl->base;
	hi = end < encl->base + encl->size ? end : encl->base + encl->size;
	if (lo >= hi)
		return map_part(start, end, -1, 0);
	if (start < lo && (ret = map_part(start, lo, -1, 0)))
		return ret;
	if ((ret = map_part(lo, hi, encl->memfd, lo - encl->base)))
		return ret;
	return hi < end ? map_part(hi, end, -1, 0) : 0;
}

static int aspace_protect(void *ctx, uint64_t start, uint64_t end, unsigned int prot)
{
	int host = ((prot & SGX_PROT_R) ? PROT_READ : 0) | ((prot & SGX_PROT_W) ? PROT_WRITE : 0) |
		   ((prot & SGX_PROT_X) ? PROT_EXEC : 0);

	(void)ctx;
	return sys_mprotect((void *)(uintptr_t)start, end - start, host) ? -errno : 0;
}

static void aspace_unmap(void *ctx, uint64_t start, uint64_t end)
{
	(void)ctx;
	sys_munmap((void *)(uintptr_t)start, end - start);
}

static int aspace_move(void *ctx, uint64_t from, uint64_t to, uint64_t len)
{
	void *got = sys_mremap((void *)(uintptr_t)from, len, len, MREMAP_MAYMOVE | MREMAP_FIXED,
			   (void *)(uintptr_t)to);

	(void)ctx;
	return got == MAP_FAILED ? -errno : 0;
}

static bool aspace_populate_write(void)
{
	return host_features() & HOST_POPULATE_WRITE;
}

static const struct sgx_host_ops aspace_ops = {
	.map = aspace_map,
	.protect = aspace_protect,
	.unmap = aspace_unmap,
	.move = aspace_move,
	.start = host_start,
	.xfeatures = host_xfeatures,
	.populate_write = aspace_populate_write,
};

const struct sgx_host_ops *sgx_host_default_ops(void);

const struct sgx_host_ops *sgx_host_default_ops(void)
{
	return &aspace_ops;
}
