/* SPDX-License-Identifier: MIT */
/*
 * The XSAVE features an enclave may use: every component the host enables
 * that the processor models (AVX-512 and PKRU where the host has them), in
 * CPUID leaf 0x12 sub-leaf 1, accepted by ECREATE, and saved and restored
 * by AEX and ERESUME: a ZMM register keeps its value across an exit that
 * the emulator's own code (which uses such registers) runs in.
 */
#include <cpuid.h>
#include <string.h>
#include <sys/mman.h>

#include "driver/driver.h"
#include "harness.h"
#include "softsgx/arch.h"
#include "softsgx/loader.h"
#include "softsgx/softsgx.h"
#include "test/abi.h"
#include "test_enclave.h"

#define PAGE 4096ull
#define XFEATURE_HI16_ZMM 7

/* What the platform must offer: the host's XCR0 as far as the processor models it. */
static uint64_t expected_xfrm(void)
{
	unsigned int a, b, c, d;
	uint32_t lo, hi;

	__cpuid(1, a, b, c, d);
	if (!(c & (1u << 27))) /* OSXSAVE */
		return 0x3;
	__asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
	return (((uint64_t)hi << 32 | lo) & SGX_XFRM_MODELED) | 0x3;
}

static uint64_t platform_xfrm(void)
{
	uint32_t r[4] = { 0 };

	sgx_cpu_cpuid(sgx_platform_get()->cpu, 0x12, 1, r);
	return (uint64_t)r[3] << 32 | r[2];
}

TEST(leaf_0x12_offers_the_hosts_xsave_features)
{
	EXPECT_EQ(platform_xfrm(), expected_xfrm());
}

TEST(an_enclave_with_every_offered_feature_runs)
{
	struct softsgx_load_options opts = { .xfrm = expected_xfrm() };
	struct softsgx_enclave *e = NULL;

	ASSERT_EQ(softsgx_load_file(SOFTSGX_TEST_ENCLAVE, &opts, &e), 0);
	EXPECT_EQ(te_run(e, 0, TE_OP_PUT, 3), 0);
	EXPECT_EQ(te_run(e, 1, TE_OP_GET), 3);
	softsgx_unload(e);
}

/*
 * Enclave code: zmm16 = pattern; EACCEPT of an unbacked page (a #PF, AEX,
 * EAUG by the driver, ERESUME, and the EACCEPT again); out = zmm16.
 */
static const uint8_t zmm_code[] = {
	0x53,                                     /* push rbx */
	0x62, 0xe1, 0xfe, 0x48, 0x6f, 0x05, 0x75, 0x00, 0x00, 0x00, /* vmovdqu64 zmm16, [rip+pattern] */
	0x48, 0x8d, 0x1d, 0x2e, 0x00, 0x00, 0x00, /* lea rbx, [rip+secinfo] */
	0x48, 0x8b, 0x0d, 0xe7, 0x00, 0x00, 0x00, /* mov rcx, [rip+target] */
	0xb8, 0x05, 0x00, 0x00, 0x00,             /* mov eax, 5 (EACCEPT) */
	0x0f, 0x01, 0xd7,                         /* enclu */
	0x62, 0xe1, 0xfe, 0x48, 0x7f, 0x05, 0x95, 0x00, 0x00, 0x00, /* vmovdqu64 [rip+out], zmm16 */
	0x5b,                                     /* pop rbx */
	0xc3,                                     /* ret */
};
#define ZMM_SECINFO 0x40
#define ZMM_PATTERN 0x80
#define ZMM_OUT 0xc0
#define ZMM_TARGET 0x100

TEST(zmm16_survives_an_aex_and_eresume)
{
	struct softsgx_load_options opts = { .xfrm = expected_xfrm() };
	struct softsgx_enclave *e = NULL;
	uint8_t image[ZMM_TARGET + 8] = { 0 };
	uint64_t page, target, i, leaf_aex;
	uint64_t secinfo = SGX_SECINFO_REG | SGX_SECINFO_R | SGX_SECINFO_W | SGX_SECINFO_PENDING;

	SKIP_UNLESS(opts.xfrm & (1ull << XFEATURE_HI16_ZMM), "this host has no AVX-512");
	ASSERT_EQ(softsgx_load_file(SOFTSGX_TEST_ENCLAVE, &opts, &e), 0);
	page = softsgx_enclave_free_start(e);
	target = page + PAGE; /* never touched: EACCEPT of it faults first */
	memcpy(image, zmm_code, sizeof(zmm_code));
	memcpy(image + ZMM_SECINFO, &secinfo, sizeof(secinfo));
	for (i = 0; i < 64; i++)
		image[ZMM_PATTERN + i] = (uint8_t)(0xa5 ^ i);
	memcpy(image + ZMM_TARGET, &target, sizeof(target));
	ASSERT_EQ(te_code_page(e, image, sizeof(image)), page);
	leaf_aex = softsgx_leaf_count(24);
	EXPECT_EQ(te_run(e, 0, TE_OP_EXEC, page), 0);
	EXPECT_TRUE(softsgx_leaf_count(24) > leaf_aex); /* the EACCEPT did exit */
	for (i = 0; i < 64; i += 8) {
		uint64_t want, got = te_run(e, 0, TE_OP_GET_AT, page + ZMM_OUT + i);

		memcpy(&want, image + ZMM_PATTERN + i, sizeof(want));
		EXPECT_EQ(got, want);
	}
	softsgx_unload(e);
}
