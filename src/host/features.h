/* SPDX-License-Identifier: MIT */
/*
 * The host features softsgx can use, detected once per process, and the
 * SOFTSGX_HOST_DISABLE setting that turns any of them off so that a host
 * which has them runs the code paths of one that does not.
 *
 *   fsgsbase         WRFSBASE & co. in user space (AT_HWCAP2): FS/GS switch
 *                    without system calls
 *   sud              Syscall User Dispatch: SYSCALL/INT of enclave code trap
 *   cpuid-faulting   ARCH_SET_CPUID: CPUID of enclave code traps
 *   tsc-faulting     PR_SET_TSC: RDTSC/RDTSCP of enclave code trap (SGX1)
 *   fsgsbase-read    RDFSBASE & co. execute, announced by the kernel or not:
 *                    without fsgsbase, what enclave code's own WRFSBASE wrote
 *                    is read at its exits (on a host that does not announce
 *                    them, the kernel may lose such a base at a context switch)
 *   populate-write   madvise(MADV_POPULATE_WRITE) (Linux 5.14+): batched EAUG
 *                    allocates the host memory of many pages in one call;
 *                    without it each page takes a host fault (time, not
 *                    behaviour)
 *
 * IA32 emulation and UMIP are not used, only reported: they decide which
 * illegal instructions fault on the host at all (docs/fidelity.md).
 */
#ifndef SOFTSGX_HOST_FEATURES_H
#define SOFTSGX_HOST_FEATURES_H

#include <stdbool.h>

enum host_feature {
	HOST_FSGSBASE = 1u << 0,
	HOST_SUD = 1u << 1,
	HOST_CPUID_FAULTING = 1u << 2,
	HOST_TSC_FAULTING = 1u << 3,
	HOST_FSGSBASE_READ = 1u << 4,
	HOST_POPULATE_WRITE = 1u << 5,
	HOST_ALL_FEATURES = (1u << 6) - 1,
};

/* The features softsgx uses: those the host offers, less SOFTSGX_HOST_DISABLE's. */
unsigned int host_features(void);
/* What the host offers, whatever the setting says. */
unsigned int host_features_present(void);
/* What SOFTSGX_HOST_DISABLE turned off (present or not). */
unsigned int host_features_disabled(void);
/* The setting's name of one feature ("cpuid-faulting"). */
const char *host_feature_name(enum host_feature f);

/*
 * host_features_parse() - a SOFTSGX_HOST_DISABLE value: names separated by
 * commas, "all", "none" or empty. On an unknown name, @bad points at it
 * (up to the next comma) and -1 is returned; else 0 with the set in @mask.
 */
int host_features_parse(const char *s, unsigned int *mask, const char **bad);

/*
 * host_ia32_emulation() - whether INT 0x80 from 64-bit code is a system
 * call here (probed in a child process). Only `softsgx info` asks.
 */
bool host_ia32_emulation(void);
/*
 * host_seccomp_filter() - whether seccomp filters can be installed: how the
 * preload library catches a program's own system calls. Only reported.
 */
bool host_seccomp_filter(void);
/* host_umip() - whether the kernel runs with UMIP (SGDT & co. fault and are emulated). */
bool host_umip(void);

#endif /* SOFTSGX_HOST_FEATURES_H */
