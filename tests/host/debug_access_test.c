/* SPDX-License-Identifier: MIT */
/*
 * What a debugger gets of enclave memory (softsgx_access_vm(), Linux's
 * sgx_vma_access() behind ptrace and /proc/PID/mem): a DEBUG enclave's
 * pages through EDBGRD/EDBGWR, in 8-byte units that any byte range is cut
 * into; nothing of a production enclave; no EAUG of an absent page; the
 * memory around enclaves as it is.
 */
#include <stdlib.h>

#include "harness.h"
#include "test_enclave.h"
#include "softsgx/loader.h"
#include "softsgx/softsgx.h"

#define REG_RW (SGX_SECINFO_REG | SGX_SECINFO_R | SGX_SECINFO_W)

TEST(access_vm_debug_enclave_read_write_unaligned)
{
	struct softsgx_enclave *e = te_load();
	uint64_t page, v;
	uint8_t bytes[13];

	ASSERT_TRUE(e);
	page = softsgx_enclave_free_start(e);
	te_run(e, 0, TE_OP_EACCEPT, REG_RW | SGX_SECINFO_PENDING, page);
	te_run(e, 0, TE_OP_PUT_AT, page + 8, 0x1122334455667788ull);
	te_run(e, 0, TE_OP_PUT_AT, page + 16, 0x99aabbccddeeff00ull);
	/* 13 bytes from page + 11: across two 8-byte units. */
	EXPECT_EQ(softsgx_access_vm((void *)(uintptr_t)(page + 11), bytes, sizeof(bytes), 0),
		  (ssize_t)sizeof(bytes));
	EXPECT_EQ(bytes[0], 0x55);
	EXPECT_EQ(bytes[4], 0x11);
	EXPECT_EQ(bytes[5], 0x00);
	EXPECT_EQ(bytes[12], 0x99);
	/* A write keeps the bytes around it (read-modify-write). */
	v = 0xa5a5;
	EXPECT_EQ(softsgx_access_vm((void *)(uintptr_t)(page + 13), &v, 2, 1), 2);
	EXPECT_EQ(te_run(e, 0, TE_OP_GET_AT, page + 8), 0x11a5a54455667788ull);
	softsgx_unload(e);
}

TEST(access_vm_absent_page_efault_no_eaug)
{
	struct softsgx_enclave *e = te_load();
	uint64_t page, v = 0;

	ASSERT_TRUE(e);
	page = softsgx_enclave_free_start(e) + 16 * 4096;
	EXPECT_ERRNO(softsgx_access_vm((void *)(uintptr_t)page, &v, 8, 0), EFAULT);
	/* Still no page there: an EACCEPT of it faults in a fresh, pending page. */
	EXPECT_EQ(te_run(e, 0, TE_OP_EACCEPT, REG_RW | SGX_SECINFO_PENDING, page), 0);
	softsgx_unload(e);
}

/* The TCS: only its defined fields read (EDBGRD #GP beyond them: EIO), only FLAGS written. */
TEST(access_vm_tcs_limits_eio)
{
	struct softsgx_enclave *e = te_load();
	uint64_t tcs, v = 0;

	ASSERT_TRUE(e);
	tcs = softsgx_enclave_tcs(e, 0);
	EXPECT_EQ(softsgx_access_vm((void *)(uintptr_t)(tcs + 8), &v, 8, 0), 8);
	EXPECT_ERRNO(softsgx_access_vm((void *)(uintptr_t)(tcs + 2048), &v, 8, 0), EIO);
	EXPECT_ERRNO(softsgx_access_vm((void *)(uintptr_t)(tcs + 16), &v, 8, 1), EIO);
	/* A range that ends in the refused part returns what came before. */
	{
		uint8_t buf[80];

		EXPECT_EQ(softsgx_access_vm((void *)(uintptr_t)tcs, buf, sizeof(buf), 0), 72);
	}
	softsgx_unload(e);
}

TEST(access_vm_production_enclave_efault)
{
	struct softsgx_load_options opts = { .no_debug = true };
	struct softsgx_enclave *e = NULL;
	uint64_t v;

	ASSERT_EQ(softsgx_load_file(SOFTSGX_TEST_ENCLAVE, &opts, &e), 0);
	EXPECT_ERRNO(softsgx_access_vm((void *)(uintptr_t)softsgx_enclave_base(e), &v, 8, 0), EFAULT);
	softsgx_unload(e);
}

TEST(access_vm_plain_memory_and_unmapped)
{
	static uint64_t word = 0x0102030405060708ull;
	uint64_t v = 0;

	EXPECT_EQ(softsgx_access_vm(&word, &v, 8, 0), 8);
	EXPECT_EQ(v, word);
	v = 42;
	EXPECT_EQ(softsgx_access_vm(&word, &v, 8, 1), 8);
	EXPECT_EQ(word, 42);
	EXPECT_ERRNO(softsgx_access_vm((void *)8, &v, 8, 0), EFAULT);
	/* A buffer the caller cannot pass is EFAULT too, never a crash. */
	EXPECT_ERRNO(softsgx_access_vm(&word, (void *)8, 8, 0), EFAULT);
	EXPECT_ERRNO(softsgx_access_vm(&word, (void *)8, 8, 1), EFAULT);
}

TEST(access_vm_debug_enclave_bad_buffer_efault)
{
	struct softsgx_enclave *e = te_load();

	ASSERT_TRUE(e);
	EXPECT_ERRNO(softsgx_access_vm((void *)(uintptr_t)softsgx_enclave_base(e), (void *)8, 8, 0),
		     EFAULT);
	EXPECT_ERRNO(softsgx_access_vm((void *)(uintptr_t)softsgx_enclave_base(e), (void *)8, 8, 1),
		     EFAULT);
	softsgx_unload(e);
}
