/* SPDX-License-Identifier: MIT */
/*
 * EDBGRD/EDBGWR: each check of the SDM pseudo-code in order, 8-byte
 * accesses that ignore EPCM RWX, the TCS limits (EDBGRD below byte 72,
 * EDBGWR only FLAGS), VA slots read as in-use/free, and DEBUG enclaves
 * only. The in-use #GP is in paging_race_test.c.
 */
#include "fixture.h"

#define PF_EPC (SGX_PF_SGX | SGX_PF_P)
#define PF_EPC_W (PF_EPC | SGX_PF_W)

static bool fault_is(struct fx *fx, uint8_t vector, uint64_t addr, uint32_t code)
{
	const struct sgx_fault_info *f = sgx_lp_fault(fx->klp);

	return f->vector == vector && f->addr == addr && f->error_code == code;
}

static uint64_t epc_of(const struct fx_enclave *e, uint64_t offset)
{
	return e->pa[offset / SGX_PAGE_SIZE] + (offset & (SGX_PAGE_SIZE - 1));
}

static uint64_t mem64(const struct fx_enclave *e, uint64_t offset)
{
	uint64_t v;

	memcpy(&v, fx_mem(e, offset), sizeof(v));
	return v;
}

/* An enclave without ATTRIBUTES.DEBUG: a TCS and a REG page, not initialized. */
static struct fx_enclave *build_nodebug(struct fx *fx)
{
	struct sgx_secs secs;
	struct sgx_tcs tcs;
	struct fx_enclave *e;

	fx_secs_default(&secs, FX_ENCL_BASE, FX_ENCL_SIZE);
	secs.attributes.flags &= ~SGX_ATTR_DEBUG;
	e = fx_ecreate(fx, &secs);
	fx_tcs_default(&tcs, FX_SSA0);
	if (!e || fx_eadd(e, FX_TCS0, SGX_SECINFO_TCS, &tcs, false, NULL) ||
	    fx_eadd(e, FX_DATA, SGX_SECINFO_REG | SGX_SECINFO_R | SGX_SECINFO_W, NULL, false, NULL))
		return NULL;
	return e;
}

TEST(edbgrd_reg_success_ignores_rwx)
{
	struct fx *fx = fx_new(0);
	struct fx_enclave *e = fx_build_init(fx);
	uint64_t data = 0;

	ASSERT_TRUE(e);
	/* Code page is R-X, read-only data R--: both readable, contents as stored. */
	ASSERT_SGX(encls_edbgrd(fx->klp, epc_of(e, FX_CODE + 0x18), &data), SGX_SUCCESS);
	EXPECT_EQ(data, mem64(e, FX_CODE + 0x18));
	EXPECT_EQ(sgx_lp_rflags(fx->klp) & (SGX_RFLAGS_ZF | SGX_RFLAGS_CF), 0);
	ASSERT_SGX(encls_edbgrd(fx->klp, epc_of(e, FX_RODATA + 0xFF8), &data), SGX_SUCCESS);
	EXPECT_EQ(data, mem64(e, FX_RODATA + 0xFF8));
	fx_free(fx);
}

/* BLOCKED does not stop the debugger. */
TEST(edbgrd_blocked_page_success)
{
	struct fx *fx = fx_new(0);
	struct fx_enclave *e = fx_build_init(fx);
	uint64_t data = 0;

	ASSERT_TRUE(e);
	ASSERT_SGX(encls_eblock(fx->klp, epc_of(e, FX_DATA)), SGX_SUCCESS);
	EXPECT_SGX(encls_edbgrd(fx->klp, epc_of(e, FX_DATA + 8), &data), SGX_SUCCESS);
	EXPECT_EQ(data, mem64(e, FX_DATA + 8));
	fx_free(fx);
}

TEST(edbgrd_tcs_within_limit_success)
{
	struct fx *fx = fx_new(0);
	struct fx_enclave *e = fx_build_init(fx);
	uint64_t data = 0;

	ASSERT_TRUE(e);
	ASSERT_SGX(encls_edbgrd(fx->klp, epc_of(e, FX_TCS1 + 16), &data), SGX_SUCCESS);
	EXPECT_EQ(data, FX_SSA1); /* OSSA */
	ASSERT_SGX(encls_edbgrd(fx->klp, epc_of(e, FX_TCS1 + 64), &data), SGX_SUCCESS);
	EXPECT_EQ(data, 0xFFFFFFFFFFFFFFFFull); /* FSLIMIT, GSLIMIT */
	fx_free(fx);
}

TEST(edbgrd_tcs_beyond_limit_gp)
{
	struct fx *fx = fx_new(0);
	struct fx_enclave *e = fx_build_init(fx);
	uint64_t data = 0x1234;

	ASSERT_TRUE(e);
	EXPECT_SGX(encls_edbgrd(fx->klp, epc_of(e, FX_TCS0 + 72), &data), SGX_GP);
	EXPECT_SGX(encls_edbgrd(fx->klp, epc_of(e, FX_TCS0 + 0xFF8), &data), SGX_GP);
	EXPECT_EQ(data, 0x1234);
	fx_free(fx);
}

TEST(edbgrd_va_slot_reads_in_use)
{
	struct fx *fx = fx_new(0);
	uint64_t va = fx_epc_alloc(fx), data = 0x55;

	ASSERT_SGX(encls_epa(fx->klp, SGX_PAGE_TYPE_VA, va), SGX_SUCCESS);
	ASSERT_SGX(encls_edbgrd(fx->klp, va + 0x20, &data), SGX_SUCCESS);
	EXPECT_EQ(data, 0);
	*(uint64_t *)sgx_cpu_epc_mem(fx->cpu, va + 0x20) = 0x1234500;
	ASSERT_SGX(encls_edbgrd(fx->klp, va + 0x20, &data), SGX_SUCCESS);
	EXPECT_EQ(data, ~0ull);
	/* The low 3 bits are masked: a value of 7 reads as a free slot. */
	*(uint64_t *)sgx_cpu_epc_mem(fx->cpu, va + 0x20) = 7;
	ASSERT_SGX(encls_edbgrd(fx->klp, va + 0x20, &data), SGX_SUCCESS);
	EXPECT_EQ(data, 0);
	fx_free(fx);
}

TEST(edbgrd_unaligned_gp)
{
	struct fx *fx = fx_new(0);
	struct fx_enclave *e = fx_build_init(fx);
	uint64_t data;

	ASSERT_TRUE(e);
	EXPECT_SGX(encls_edbgrd(fx->klp, epc_of(e, FX_DATA + 4), &data), SGX_GP);
	fx_free(fx);
}

TEST(edbgrd_not_epc_pf)
{
	struct fx *fx = fx_new(0);
	uint64_t data;

	EXPECT_SGX(encls_edbgrd(fx->klp, 0x8008, &data), SGX_PF);
	EXPECT_TRUE(fault_is(fx, SGX_VEC_PF, 0x8008, PF_EPC));
	fx_free(fx);
}

TEST(edbgrd_invalid_page_pf)
{
	struct fx *fx = fx_new(0);
	uint64_t epc = fx_epc_alloc(fx) + 0x10, data;

	EXPECT_SGX(encls_edbgrd(fx->klp, epc, &data), SGX_PF);
	EXPECT_TRUE(fault_is(fx, SGX_VEC_PF, epc, PF_EPC));
	fx_free(fx);
}

TEST(edbgrd_secs_pf)
{
	struct fx *fx = fx_new(0);
	struct fx_enclave *e = fx_build_init(fx);
	uint64_t data;

	ASSERT_TRUE(e);
	EXPECT_SGX(encls_edbgrd(fx->klp, e->secs + 8, &data), SGX_PF);
	EXPECT_TRUE(fault_is(fx, SGX_VEC_PF, e->secs + 8, PF_EPC));
	fx_free(fx);
}

TEST(edbgrd_pending_page_not_debuggable)
{
	struct fx *fx = fx_new(0);
	struct fx_enclave *e = fx_build_init(fx);
	uint64_t data = 0x77;

	ASSERT_TRUE(e);
	ASSERT_SGX(fx_eaug(e, FX_FREE, NULL), SGX_SUCCESS);
	EXPECT_SGX(encls_edbgrd(fx->klp, epc_of(e, FX_FREE), &data), SGX_PAGE_NOT_DEBUGGABLE);
	EXPECT_EQ(sgx_lp_rflags(fx->klp) & (SGX_RFLAGS_ZF | SGX_RFLAGS_CF), SGX_RFLAGS_ZF);
	EXPECT_EQ(data, 0x77);
	fx_free(fx);
}

TEST(edbgrd_modified_page_not_debuggable)
{
	struct fx *fx = fx_new(0);
	struct fx_enclave *e = fx_build_init(fx);
	struct sgx_secinfo si = { .flags = SGX_SECINFO_TCS };
	uint64_t data;

	ASSERT_TRUE(e);
	ASSERT_SGX(encls_emodt(fx->klp, &si, epc_of(e, FX_DATA)), SGX_SUCCESS);
	EXPECT_SGX(encls_edbgrd(fx->klp, epc_of(e, FX_DATA), &data), SGX_PAGE_NOT_DEBUGGABLE);
	fx_free(fx);
}

/* TRIM is no readable type: #PF comes before the MODIFIED check. */
TEST(edbgrd_trim_page_pf)
{
	struct fx *fx = fx_new(0);
	struct fx_enclave *e = fx_build_init(fx);
	struct sgx_secinfo si = { .flags = SGX_SECINFO_TRIM };
	uint64_t data;

	ASSERT_TRUE(e);
	ASSERT_SGX(encls_emodt(fx->klp, &si, epc_of(e, FX_DATA)), SGX_SUCCESS);
	EXPECT_SGX(encls_edbgrd(fx->klp, epc_of(e, FX_DATA), &data), SGX_PF);
	EXPECT_TRUE(fault_is(fx, SGX_VEC_PF, epc_of(e, FX_DATA), PF_EPC));
	fx_free(fx);
}

/* The TCS limit is checked before DEBUG, DEBUG before the read. */
TEST(edbgrd_non_debug_enclave_gp)
{
	struct fx *fx = fx_new(0);
	struct fx_enclave *e = build_nodebug(fx);
	uint64_t data = 0x99;

	ASSERT_TRUE(e);
	EXPECT_SGX(encls_edbgrd(fx->klp, epc_of(e, FX_DATA), &data), SGX_GP);
	EXPECT_SGX(encls_edbgrd(fx->klp, epc_of(e, FX_TCS0 + 8), &data), SGX_GP);
	EXPECT_EQ(data, 0x99);
	fx_free(fx);
}

TEST(edbgwr_reg_success_ignores_rwx)
{
	struct fx *fx = fx_new(0);
	struct fx_enclave *e = fx_build_init(fx);

	ASSERT_TRUE(e);
	ASSERT_SGX(encls_edbgwr(fx->klp, epc_of(e, FX_CODE + 0x40), 0xCCCCCCCC90909090ull),
		   SGX_SUCCESS);
	EXPECT_EQ(mem64(e, FX_CODE + 0x40), 0xCCCCCCCC90909090ull);
	EXPECT_EQ(sgx_lp_rflags(fx->klp) & (SGX_RFLAGS_ZF | SGX_RFLAGS_CF), 0);
	/* Exactly 8 bytes. */
	EXPECT_EQ(mem64(e, FX_CODE + 0x48), mem64(e, FX_DATA + 0x48));
	fx_free(fx);
}

TEST(edbgwr_tcs_flags_success)
{
	struct fx *fx = fx_new(0);
	struct fx_enclave *e = fx_build_init(fx);

	ASSERT_TRUE(e);
	ASSERT_SGX(encls_edbgwr(fx->klp, epc_of(e, FX_TCS0 + 8), SGX_TCS_FLAGS_DBGOPTIN),
		   SGX_SUCCESS);
	EXPECT_EQ(((struct sgx_tcs *)fx_mem(e, FX_TCS0))->flags, SGX_TCS_FLAGS_DBGOPTIN);
	fx_free(fx);
}

TEST(edbgwr_tcs_not_flags_gp)
{
	struct fx *fx = fx_new(0);
	struct fx_enclave *e = fx_build_init(fx);

	ASSERT_TRUE(e);
	EXPECT_SGX(encls_edbgwr(fx->klp, epc_of(e, FX_TCS0), 1), SGX_GP);
	EXPECT_SGX(encls_edbgwr(fx->klp, epc_of(e, FX_TCS0 + 16), 0), SGX_GP);
	EXPECT_SGX(encls_edbgwr(fx->klp, epc_of(e, FX_TCS0 + 0x108), 1), SGX_GP);
	EXPECT_EQ(((struct sgx_tcs *)fx_mem(e, FX_TCS0))->state, 0);
	EXPECT_EQ(((struct sgx_tcs *)fx_mem(e, FX_TCS0))->ossa, FX_SSA0);
	fx_free(fx);
}

TEST(edbgwr_unaligned_gp)
{
	struct fx *fx = fx_new(0);
	struct fx_enclave *e = fx_build_init(fx);
	uint64_t before;

	ASSERT_TRUE(e);
	before = mem64(e, FX_DATA);
	EXPECT_SGX(encls_edbgwr(fx->klp, epc_of(e, FX_DATA + 2), 0), SGX_GP);
	EXPECT_EQ(mem64(e, FX_DATA), before);
	fx_free(fx);
}

TEST(edbgwr_not_epc_pf)
{
	struct fx *fx = fx_new(0);

	EXPECT_SGX(encls_edbgwr(fx->klp, 0x8010, 1), SGX_PF);
	EXPECT_TRUE(fault_is(fx, SGX_VEC_PF, 0x8010, PF_EPC_W));
	fx_free(fx);
}

TEST(edbgwr_invalid_page_pf)
{
	struct fx *fx = fx_new(0);
	uint64_t epc = fx_epc_alloc(fx);

	EXPECT_SGX(encls_edbgwr(fx->klp, epc, 1), SGX_PF);
	EXPECT_TRUE(fault_is(fx, SGX_VEC_PF, epc, PF_EPC_W));
	fx_free(fx);
}

TEST(edbgwr_va_page_pf)
{
	struct fx *fx = fx_new(0);
	uint64_t va = fx_epc_alloc(fx);

	ASSERT_SGX(encls_epa(fx->klp, SGX_PAGE_TYPE_VA, va), SGX_SUCCESS);
	EXPECT_SGX(encls_edbgwr(fx->klp, va + 8, 5), SGX_PF);
	EXPECT_TRUE(fault_is(fx, SGX_VEC_PF, va + 8, PF_EPC_W));
	EXPECT_EQ(*(uint64_t *)sgx_cpu_epc_mem(fx->cpu, va + 8), 0);
	fx_free(fx);
}

TEST(edbgwr_secs_pf)
{
	struct fx *fx = fx_new(0);
	struct fx_enclave *e = fx_build_init(fx);

	ASSERT_TRUE(e);
	EXPECT_SGX(encls_edbgwr(fx->klp, e->secs, 1), SGX_PF);
	EXPECT_TRUE(fault_is(fx, SGX_VEC_PF, e->secs, PF_EPC_W));
	EXPECT_EQ(((struct sgx_secs *)sgx_cpu_epc_mem(fx->cpu, e->secs))->size, FX_ENCL_SIZE);
	fx_free(fx);
}

TEST(edbgwr_pending_page_not_debuggable)
{
	struct fx *fx = fx_new(0);
	struct fx_enclave *e = fx_build_init(fx);

	ASSERT_TRUE(e);
	ASSERT_SGX(fx_eaug(e, FX_FREE, NULL), SGX_SUCCESS);
	EXPECT_SGX(encls_edbgwr(fx->klp, epc_of(e, FX_FREE), 3), SGX_PAGE_NOT_DEBUGGABLE);
	EXPECT_EQ(sgx_lp_rflags(fx->klp) & (SGX_RFLAGS_ZF | SGX_RFLAGS_CF), SGX_RFLAGS_ZF);
	EXPECT_EQ(mem64(e, FX_FREE), 0);
	fx_free(fx);
}

TEST(edbgwr_modified_page_not_debuggable)
{
	struct fx *fx = fx_new(0);
	struct fx_enclave *e = fx_build_init(fx);
	struct sgx_secinfo si = { .flags = SGX_SECINFO_TCS };
	uint64_t before;

	ASSERT_TRUE(e);
	before = mem64(e, FX_DATA + 8);
	ASSERT_SGX(encls_emodt(fx->klp, &si, epc_of(e, FX_DATA)), SGX_SUCCESS);
	/* A MODIFIED TCS: NOT_DEBUGGABLE comes before the FLAGS-only check. */
	EXPECT_SGX(encls_edbgwr(fx->klp, epc_of(e, FX_DATA + 8), 3), SGX_PAGE_NOT_DEBUGGABLE);
	EXPECT_EQ(mem64(e, FX_DATA + 8), before);
	fx_free(fx);
}

TEST(edbgwr_non_debug_enclave_gp)
{
	struct fx *fx = fx_new(0);
	struct fx_enclave *e = build_nodebug(fx);

	ASSERT_TRUE(e);
	EXPECT_SGX(encls_edbgwr(fx->klp, epc_of(e, FX_DATA), 0xAB), SGX_GP);
	EXPECT_EQ(mem64(e, FX_DATA), 0);
	EXPECT_SGX(encls_edbgwr(fx->klp, epc_of(e, FX_TCS0 + 8), 1), SGX_GP);
	EXPECT_EQ(((struct sgx_tcs *)fx_mem(e, FX_TCS0))->flags, 0);
	fx_free(fx);
}
