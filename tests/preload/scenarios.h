/* SPDX-License-Identifier: MIT */
/*
 * The SGX2 scenarios of tests/host/scenario_test.c, written against the
 * Linux interface only (the device, its ioctls, mmap/mprotect and the
 * vDSO's entry function), shared by the preload test programs, which
 * differ only in how they find __vdso_sgx_enter_enclave.
 */
#ifndef PRELOAD_TEST_SCENARIOS_H
#define PRELOAD_TEST_SCENARIOS_H

#include <time.h>

#include "plain_loader.h"

/* The vDSO's clock_gettime and getcpu, as found by a program's own lookup. */
typedef int (*vdso_clock_gettime_t)(clockid_t clock, struct timespec *ts);
typedef long (*vdso_getcpu_t)(unsigned int *cpu, unsigned int *node, void *cache);

/*
 * sgx_entry_missing() - what a program does when it finds no
 * __vdso_sgx_enter_enclave (@why): fail when the test runs under softsgx
 * (PRELOAD_TEST_REQUIRE_SGX=1, set by CTest), else skip: a kernel without
 * SGX. Does not return.
 */
_Noreturn void sgx_entry_missing(const char *name, const char *why);

/* Call the real vDSO functions and compare them with the C library's answers. */
void check_vdso_clock_gettime(vdso_clock_gettime_t fn);
void check_vdso_getcpu(vdso_getcpu_t fn);

/* Run every scenario through @entry, then exit with the result (check_exit()). */
_Noreturn void scenarios_run(const char *name, pl_vdso_entry_t entry);

#endif /* PRELOAD_TEST_SCENARIOS_H */
