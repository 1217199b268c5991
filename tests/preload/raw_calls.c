/* SPDX-License-Identifier: MIT */
/*
 * A program written against Linux that makes its calls by number through
 * the C library's syscall(): open of /dev/sgx_enclave, the EDMM probe a
 * runtime makes (REMOVE_PAGES of length 0: EINVAL, where a file that is
 * not the device would say ENOTTY), mmap, munmap and close of the device;
 * and a GS base it sets with arch_prctl() before it enters an enclave is
 * the one it finds after the call (the entry function restores the bases
 * the thread has, not older ones).
 */
#include <asm/prctl.h>
#include <dlfcn.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "check.h"
#include "plain_loader.h"
#include "test/abi.h"

#define EENTER 2
#define EEXIT 4

static void device_by_number(void)
{
	struct sgx_enclave_remove_pages rp = { .offset = 0, .length = 0 };
	long fd = syscall(SYS_open, "/dev/sgx_enclave", O_RDWR | O_CLOEXEC), p;

	REQUIRE(fd >= 0, "syscall(SYS_open, /dev/sgx_enclave): %s", strerror(errno));
	CHECK_ERRNO(syscall(SYS_ioctl, fd, SGX_IOC_ENCLAVE_REMOVE_PAGES, &rp), EINVAL);
	/* Before ECREATE any range of the device may be mapped. */
	p = syscall(SYS_mmap, NULL, 4096, PROT_READ, MAP_SHARED, fd, 0);
	CHECK(p != -1, "syscall(SYS_mmap) of the device: %s", strerror(errno));
	if (p != -1)
		CHECK_EQ(syscall(SYS_munmap, p, 4096), 0);
	CHECK_EQ(syscall(SYS_close, fd), 0);
	CHECK_ERRNO(syscall(SYS_ioctl, fd, SGX_IOC_ENCLAVE_REMOVE_PAGES, &rp), EBADF);
}

static void gs_base_kept(void)
{
	static uint8_t mine[64], other[64];
	void *h = dlopen("linux-vdso.so.1", RTLD_NOLOAD | RTLD_LAZY);
	pl_vdso_entry_t entry = h ? (pl_vdso_entry_t)dlsym(h, "__vdso_sgx_enter_enclave") : NULL;
	struct sgx_enclave_run run;
	struct pl_enclave e;
	struct te_call c = { .op = TE_OP_NOP };
	unsigned long gs = 0, old = 0;

	REQUIRE(entry, "no __vdso_sgx_enter_enclave");
	REQUIRE(pl_load(SOFTSGX_TEST_ENCLAVE, &e) == 0, "loading: %s", strerror(errno));
	REQUIRE(syscall(SYS_arch_prctl, ARCH_GET_GS, &old) == 0, "ARCH_GET_GS");
	/* A first call registers the thread with the GS base it has then ... */
	CHECK_EQ(syscall(SYS_arch_prctl, ARCH_SET_GS, (unsigned long)other), 0);
	memset(&run, 0, sizeof(run));
	run.tcs = e.tcs[0];
	CHECK_EQ(pl_call_enclave((long)&c, 0, 0, EENTER, 0, 0, &run, entry), 0);
	CHECK_EQ(run.function, EEXIT);
	/* ... which the program changes before the next: the new one comes back. */
	CHECK_EQ(syscall(SYS_arch_prctl, ARCH_SET_GS, (unsigned long)mine), 0);
	memset(&run, 0, sizeof(run));
	run.tcs = e.tcs[1];
	CHECK_EQ(pl_call_enclave((long)&c, 0, 0, EENTER, 0, 0, &run, entry), 0);
	CHECK_EQ(run.function, EEXIT);
	CHECK_EQ(syscall(SYS_arch_prctl, ARCH_GET_GS, &gs), 0);
	CHECK_EQ(gs, (uintptr_t)mine);
	syscall(SYS_arch_prctl, ARCH_SET_GS, old);
	pl_unload(&e);
}

int main(void)
{
	device_by_number();
	gs_base_kept();
	check_exit("raw_calls");
}
