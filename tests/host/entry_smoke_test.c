/* SPDX-License-Identifier: MIT */
/*
 * The entry function with a hand-assembled enclave: enter, write through a
 * pointer, exit; a fault reported through the run struct; a user handler.
 */
#include <stdlib.h>
#include <unistd.h>

#include "driver/dfx.h"
#include "cpu/fixture.h"
#include "host/features.h"

#define PAGE 4096ull

/* movq $42, (%rsi); mov %rcx, %rbx; mov $4, %eax; enclu */
static const uint8_t code_store[] = { 0x48, 0xc7, 0x06, 0x2a, 0x00, 0x00, 0x00, 0x48, 0x89, 0xcb,
				      0xb8, 0x04, 0x00, 0x00, 0x00, 0x0f, 0x01, 0xd7 };

static struct dfx_encl *build(const uint8_t *code, size_t len)
{
	struct dfx_encl *e = calloc(1, sizeof(*e));
	struct sgx_tcs *tcs = aligned_alloc(PAGE, PAGE);
	uint8_t *page = calloc(1, PAGE);
	const uint64_t rw = SGX_SECINFO_REG | SGX_SECINFO_R | SGX_SECINFO_W;
	bool ok;

	memcpy(page, code, len);
	fx_tcs_default(tcs, DFX_SSA0);
	tcs->oentry = DFX_CODE;
	ok = !dfx_create(e, DFX_SIZE, 0) && !dfx_add(e, DFX_TCS0, PAGE, tcs, SGX_SECINFO_TCS, true) &&
	     !dfx_add(e, DFX_SSA0, 2 * PAGE, NULL, rw, true) &&
	     !dfx_add(e, DFX_CODE, PAGE, page, SGX_SECINFO_REG | SGX_SECINFO_R | SGX_SECINFO_X, true) &&
	     !dfx_add(e, DFX_DATA, PAGE, NULL, rw, true) && !dfx_init(e);
	ok = ok && softsgx_mmap((void *)(uintptr_t)e->base, DFX_CODE, PROT_READ | PROT_WRITE,
				MAP_SHARED | MAP_FIXED, e->fd, 0) != MAP_FAILED;
	ok = ok && softsgx_mmap((void *)(uintptr_t)(e->base + DFX_CODE), PAGE, PROT_READ | PROT_EXEC,
				MAP_SHARED | MAP_FIXED, e->fd, 0) != MAP_FAILED;
	ok = ok && softsgx_mmap((void *)(uintptr_t)(e->base + DFX_DATA), DFX_SIZE - DFX_DATA,
				PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, e->fd, 0) != MAP_FAILED;
	free(tcs);
	free(page);
	if (!ok) {
		harness_fail(__FILE__, __LINE__, "building: %s", strerrorname_np(errno));
		dfx_close(e);
		return NULL;
	}
	return e;
}

TEST(enter_store_exit)
{
	struct dfx_encl *e = build(code_store, sizeof(code_store));
	struct sgx_enclave_run run;
	volatile uint64_t out = 0;

	ASSERT_TRUE(e);
	memset(&run, 0, sizeof(run));
	run.tcs = dfx_la(e, DFX_TCS0);
	EXPECT_EQ(softsgx_call_enclave(0, (long)&out, 0, 2, 0, 0, &run), 0);
	EXPECT_EQ(run.function, 4);
	if (run.function != 4)
		fprintf(stderr, "  exception %u code %#x addr %#llx\n", run.exception_vector,
			run.exception_error_code, (unsigned long long)run.exception_addr);
	EXPECT_EQ(out, 42);
	dfx_close(e);
}

/* mov $39, %eax; syscall; (never reached:) mov %rcx, %rbx; mov $4, %eax; enclu */
static const uint8_t code_syscall[] = { 0xb8, 0x27, 0x00, 0x00, 0x00, 0x0f, 0x05, 0x48, 0x89, 0xcb,
					0xb8, 0x04, 0x00, 0x00, 0x00, 0x0f, 0x01, 0xd7 };

TEST(syscall_in_enclave_is_ud)
{
	struct dfx_encl *e;
	struct sgx_enclave_run run;

	SKIP_UNLESS(host_features() & HOST_SUD, "SYSCALL is trapped only with Syscall User Dispatch");
	e = build(code_syscall, sizeof(code_syscall));
	ASSERT_TRUE(e);
	memset(&run, 0, sizeof(run));
	run.tcs = dfx_la(e, DFX_TCS0);
	EXPECT_EQ(softsgx_call_enclave(0, 0, 0, 2, 0, 0, &run), 0);
	EXPECT_EQ(run.function, 3);
	EXPECT_EQ(run.exception_vector, SGX_VEC_UD);
	/* The process survives and still makes system calls. */
	EXPECT_TRUE(getpid() > 0);
	dfx_close(e);
}

/* cpuid; mov %rcx, %rbx; mov $4, %eax; enclu */
static const uint8_t code_cpuid[] = { 0x0f, 0xa2, 0x48, 0x89, 0xcb, 0xb8, 0x04, 0x00, 0x00, 0x00,
				      0x0f, 0x01, 0xd7 };

TEST(cpuid_in_enclave_is_ud)
{
	struct dfx_encl *e;
	struct sgx_enclave_run run;
	unsigned int a = 0, b, c, d;

	SKIP_UNLESS(host_features() & HOST_CPUID_FAULTING, "CPUID is trapped only with CPUID faulting");
	e = build(code_cpuid, sizeof(code_cpuid));
	ASSERT_TRUE(e);
	memset(&run, 0, sizeof(run));
	run.tcs = dfx_la(e, DFX_TCS0);
	EXPECT_EQ(softsgx_call_enclave(0, 0, 0, 2, 0, 0, &run), 0);
	EXPECT_EQ(run.function, 3);
	EXPECT_EQ(run.exception_vector, SGX_VEC_UD);
	/* Host code keeps its CPUID. */
	__asm__ volatile("cpuid" : "+a"(a), "=b"(b), "=c"(c), "=d"(d));
	EXPECT_TRUE(b != 0);
	dfx_close(e);
}
