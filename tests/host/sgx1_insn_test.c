/* SPDX-License-Identifier: MIT */
/*
 * An SGX1 processor (--sgx 1): RDTSC and RDTSCP are illegal in its
 * enclaves (#UD), and host code keeps its time-stamp counter. Every test
 * runs in a child whose platform is SGX1.
 */
#include <x86intrin.h>

#include "harness.h"
#include "host/features.h"
#include "softsgx/softsgx.h"
#include "test_enclave.h"

static const struct softsgx_config sgx1 = { .sgx1 = true };

static void rdtsc_in_enclave(void)
{
	struct softsgx_enclave *e;
	struct sgx_enclave_run run;
	struct sgx_gprsgx gpr;
	struct te_call c = { .op = TE_OP_RDTSC };
	uint64_t before, after;
	uint8_t insn[2] = { 0 };

	SKIP_UNLESS(host_features() & HOST_TSC_FAULTING, "the host offers no TSC faulting");
	e = te_load();
	ASSERT_TRUE(e);
	before = __rdtsc();
	EXPECT_EQ(te_enter(e, 0, &c, &run), 0);
	EXPECT_EQ(run.function, 3);
	EXPECT_EQ(run.exception_vector, SGX_VEC_UD);
	if (te_ssa_read(e, 0, &gpr, NULL)) {
		EXPECT_EQ(gpr.exitinfo, SGX_EXITINFO_VALID | (SGX_EXITINFO_TYPE_HW << 8) | SGX_VEC_UD);
		/* The SSA's RIP is at the RDTSC itself (0F 31). */
		struct sgx_encl *encl = sgx_encl_from_fd(sgx_platform_get(), softsgx_enclave_fd(e));

		ASSERT_TRUE(encl);
		memcpy(insn, sgx_encl_phys(encl, gpr.rip), 2);
		sgx_encl_put(encl);
		EXPECT_EQ(insn[0], 0x0f);
		EXPECT_EQ(insn[1], 0x31);
	}
	/* Host code reads the TSC again, and the vDSO's clock works. */
	after = __rdtsc();
	EXPECT_TRUE(after > before);
	EXPECT_TRUE(time(NULL) > 0);
	softsgx_unload(e);
}

TEST(sgx1_rdtsc_in_enclave_ud)
{
	harness_in_child(&sgx1, rdtsc_in_enclave);
}

static void enclave_runs(void)
{
	struct softsgx_enclave *e = te_load();

	ASSERT_TRUE(e);
	/* Entries and exits that switch the TSC off and on leave host code alone. */
	for (int i = 0; i < 100; i++)
		EXPECT_EQ(te_run(e, i & 1, TE_OP_NOP), 0);
	EXPECT_TRUE(__rdtsc() != 0);
	softsgx_unload(e);
}

TEST(sgx1_enclave_calls_keep_host_tsc)
{
	harness_in_child(&sgx1, enclave_runs);
}
