/* SPDX-License-Identifier: MIT */
/*
 * A program built against an installed softsgx, through pkg-config only
 * (install_test.cmake builds and runs it): it opens /dev/sgx_enclave with
 * softsgx_open(), creates an enclave with SGX_IOC_ENCLAVE_CREATE, then
 * loads the test enclave given as argv[1] and calls into it, so the
 * installed library's signal handlers and entry function run too.
 * Exit status 0 when every step worked; otherwise it says which failed.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <asm/sgx.h>

#include <softsgx/arch.h>
#include <softsgx/loader.h>
#include <softsgx/softsgx.h>

#include "test/abi.h"

#define EENTER 2
#define EEXIT 4
#define ENCL_BASE (1ull << 44)
#define ENCL_SIZE (1ull << 20)
#define PENDING_RW (SGX_SECINFO_REG | SGX_SECINFO_R | SGX_SECINFO_W | SGX_SECINFO_PENDING)

static int fail(const char *what)
{
	fprintf(stderr, "consumer: %s: %s\n", what, strerror(errno));
	return 1;
}

static int create_enclave(void)
{
	static struct sgx_secs secs;
	struct sgx_enclave_create create = { .src = (uintptr_t)&secs };
	int fd = softsgx_open("/dev/sgx_enclave", O_RDWR);

	if (fd < 0)
		return fail("softsgx_open(/dev/sgx_enclave)");
	secs.base = ENCL_BASE;
	secs.size = ENCL_SIZE;
	secs.ssa_frame_size = 1;
	secs.miscselect = SGX_MISC_EXINFO;
	secs.attributes.flags = SGX_ATTR_MODE64BIT | SGX_ATTR_DEBUG;
	secs.attributes.xfrm = 0x3;
	if (softsgx_ioctl(fd, SGX_IOC_ENCLAVE_CREATE, &create))
		return fail("SGX_IOC_ENCLAVE_CREATE");
	if (softsgx_close(fd))
		return fail("softsgx_close");
	printf("consumer: enclave created at %#llx\n", (unsigned long long)ENCL_BASE);
	return 0;
}

/* One operation of the test enclave through TCS 0; its te_call.ret, or ~0 on failure. */
static uint64_t call(struct softsgx_enclave *e, uint64_t op, uint64_t a0, uint64_t a1)
{
	struct te_call c = { .op = op, .arg = { a0, a1 } };
	struct sgx_enclave_run run;

	memset(&run, 0, sizeof(run));
	run.tcs = softsgx_enclave_tcs(e, 0);
	if (softsgx_call_enclave((long)&c, 0, 0, EENTER, 0, 0, &run) || run.function != EEXIT)
		return ~0ull;
	return c.ret;
}

static int run_enclave(const char *path)
{
	struct softsgx_enclave *e;
	uint64_t page;

	if (softsgx_load_file(path, NULL, &e))
		return fail(path);
	page = softsgx_enclave_free_start(e);
	/* A page the enclave never had: EACCEPT faults, EAUG, EACCEPT again; then use it. */
	if (call(e, TE_OP_PUT, 0x5a5a, 0) != 0 || call(e, TE_OP_GET, 0, 0) != 0x5a5a ||
	    call(e, TE_OP_EACCEPT, PENDING_RW, page) != 0 || call(e, TE_OP_PUT_AT, page, 7) != 0 ||
	    call(e, TE_OP_GET_AT, page, 0) != 7) {
		fprintf(stderr, "consumer: the enclave calls failed\n");
		return 1;
	}
	softsgx_unload(e);
	printf("consumer: enclave code ran (EAUG faults: %llu)\n",
	       (unsigned long long)softsgx_counter(SOFTSGX_CNT_FAULT_EAUG));
	return 0;
}

int main(int argc, char **argv)
{
	if (create_enclave())
		return 1;
	if (argc > 1 && run_enclave(argv[1]))
		return 1;
	return 0;
}
