/* SPDX-License-Identifier: MIT */
/*
 * An enclave loader written against Linux alone (open, ioctl with
 * <asm/sgx.h>, mmap, OpenSSL for SHA-256 and RSA): it lays out the test
 * enclave as softsgx's own loader does (see include/softsgx/loader.h),
 * measures it, signs its own SIGSTRUCT and maps it, so that the preload
 * tests depend on nothing of softsgx but the device file and the vDSO.
 *
 * Layout of ELRANGE (16 MiB, based at an address aligned to its size):
 *   0 ..          the PT_LOAD segments, page-rounded, EPCM permissions from
 *                 p_flags (W implies R); gaps between them absent
 *   image end ..  per thread: TCS, 2 SSA frames, thread-data page, 16
 *                 stack pages (PL_THREAD_PAGES pages)
 *   layout end .. left for EAUG
 */
#ifndef PRELOAD_TEST_PLAIN_LOADER_H
#define PRELOAD_TEST_PLAIN_LOADER_H

#include <stdint.h>

#include <asm/sgx.h>

#define PL_PAGE 4096ull
#define PL_NR_TCS 2
#define PL_STACK_PAGES 16
#define PL_THREAD_PAGES (4 + PL_STACK_PAGES)
#define PL_ENCL_SIZE (16ull << 20)

/* SECINFO.FLAGS and page types as the SDM defines them. */
#define PL_SECINFO_R 0x01ull
#define PL_SECINFO_W 0x02ull
#define PL_SECINFO_X 0x04ull
#define PL_SECINFO_PENDING 0x08ull
#define PL_SECINFO_MODIFIED 0x10ull
#define PL_SECINFO_PR 0x20ull
#define PL_PT_TCS 1ull
#define PL_PT_REG 2ull
#define PL_PT_TRIM 4ull
#define PL_SECINFO_TCS (PL_PT_TCS << 8)
#define PL_SECINFO_REG (PL_PT_REG << 8)
#define PL_SECINFO_TRIM (PL_PT_TRIM << 8)

/* The vDSO's entry function: int fn(rdi, rsi, rdx, function, r8, r9, run). */
typedef int (*pl_vdso_entry_t)(long rdi, long rsi, long rdx, unsigned int function, long r8,
			       long r9, struct sgx_enclave_run *run);

struct pl_enclave {
	int fd;
	uint64_t base;
	uint64_t size;
	uint64_t tcs[PL_NR_TCS];   /* linear addresses */
	uint64_t free_start;       /* first page after the layout */
	uint8_t mrenclave[32];     /* as computed here (EINIT accepted it) */
};

/*
 * pl_load() - build, sign, initialize and map the enclave image at @path.
 * Return: 0, or -1 with a message on stderr saying which step failed (and
 * errno from it); nothing is left behind on failure.
 */
int pl_load(const char *path, struct pl_enclave *e);

/* pl_unload() - unmap ELRANGE and close the descriptor. */
void pl_unload(struct pl_enclave *e);

/*
 * pl_call_enclave() (enter.S) - call @entry with the vDSO ABI, keeping
 * RBX, RBP and R12-R15, which the entry function gives back as the enclave
 * left them.
 */
int pl_call_enclave(long rdi, long rsi, long rdx, unsigned int function, long r8, long r9,
		    struct sgx_enclave_run *run, pl_vdso_entry_t entry);

#endif /* PRELOAD_TEST_PLAIN_LOADER_H */
