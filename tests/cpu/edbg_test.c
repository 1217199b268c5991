/* SPDX-License-Identifier: MIT */
/*
 * EDBGRD/EDBGWR: each check of the SDM pseudo-code in order, 8-byte
 * accesses that ignore EPCM RWX, the TCS limits (EDBGRD below byte 72,
 * EDBGWR only FLAGS), VA slots read as in-use/free, and DEBUG enclaves
 * only. The in-use #GP is in paging_race_test.c.
 */
#include "common.h"

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
	    fx_eadd(e, FX_DATA, REG_RW, NULL, false, NULL))
		return NULL;
	return e;
}

/* EDBGRD of the enclave byte at @off: success, and the 8 bytes stored there. */
static void edbgrd_reads(struct fx *fx, struct fx_enclave *e, uint64_t off)
{
	uint64_t data = 0;

	ASSERT_SGX(encls_edbgrd(fx->klp, epc_of(e, off), &data), SGX_SUCCESS);
	EXPECT_EQ(data, mem64(e, off));
}

TEST(edbgrd_reg_success_ignores_rwx)
{
	SETUP_FX(fx, e);

	/* Code page is R-X, read-only data R--: both readable, contents as stored. */
	edbgrd_reads(fx, e, FX_CODE + 0x18);
	EXPECT_EQ(sgx_lp_rflags(fx->klp) & ZF_CF, 0);
	edbgrd_reads(fx, e, FX_RODATA + 0xFF8);
	fx_free(fx);
}

/* BLOCKED does not stop the debugger. */
TEST(edbgrd_blocked_page_success)
{
	SETUP_FX(fx, e);

	ASSERT_SGX(encls_eblock(fx->klp, epc_of(e, FX_DATA)), SGX_SUCCESS);
	edbgrd_reads(fx, e, FX_DATA + 8);
	fx_free(fx);
}

TEST(edbgrd_tcs_within_limit_success)
{
	SETUP_FX(fx, e);
	uint64_t data = 0;

	ASSERT_SGX(encls_edbgrd(fx->klp, epc_of(e, FX_TCS1 + 16), &data), SGX_SUCCESS);
	EXPECT_EQ(data, FX_SSA1); /* OSSA */
	ASSERT_SGX(encls_edbgrd(fx->klp, epc_of(e, FX_TCS1 + 64), &data), SGX_SUCCESS);
	EXPECT_EQ(data, 0xFFFFFFFFFFFFFFFFull); /* FSLIMIT, GSLIMIT */
	fx_free(fx);
}

TEST(edbgrd_tcs_beyond_limit_gp)
{
	SETUP_FX(fx, e);
	uint64_t data = 0x1234;

	EXPECT_SGX(encls_edbgrd(fx->klp, epc_of(e, FX_TCS0 + 72), &data), SGX_GP);
	EXPECT_SGX(encls_edbgrd(fx->klp, epc_of(e, FX_TCS0 + 0xFF8), &data), SGX_GP);
	EXPECT_EQ(data, 0x1234);
	fx_free(fx);
}

TEST(edbgrd_va_slot_reads_in_use)
{
	struct fx *fx = fx_new(0);
	uint64_t va = new_va(fx), data = 0x55;

	ASSERT_TRUE(va);
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
	SETUP_FX(fx, e);
	uint64_t data;

	EXPECT_SGX(encls_edbgrd(fx->klp, epc_of(e, FX_DATA + 4), &data), SGX_GP);
	fx_free(fx);
}

/*
 * EDBGRD (@write false) or EDBGWR of the EPC address @addr, an expression
 * over fx and e: #PF there (EDBGWR: a write).
 */
#define EDBG_PF_TEST(name, write, addr)                                             \
	TEST(name)                                                                  \
	{                                                                           \
		SETUP_FX(fx, e);                                                    \
		uint64_t addr_ = (addr), data;                                      \
		EXPECT_SGX((write) ? encls_edbgwr(fx->klp, addr_, 1) :              \
				     encls_edbgrd(fx->klp, addr_, &data),           \
			   SGX_PF);                                                 \
		EXPECT_PF(fx->klp, addr_, (write) ? PF_EPC_W : PF_EPC);             \
		fx_free(fx);                                                        \
	}

EDBG_PF_TEST(edbgrd_not_epc_pf, false, 0x8008)
EDBG_PF_TEST(edbgrd_invalid_page_pf, false, fx_epc_alloc(fx) + 0x10)
EDBG_PF_TEST(edbgrd_secs_pf, false, e->secs + 8)
EDBG_PF_TEST(edbgwr_not_epc_pf, true, 0x8010)
EDBG_PF_TEST(edbgwr_invalid_page_pf, true, fx_epc_alloc(fx))

/*
 * EDBGRD (@write false) or EDBGWR of the enclave byte at @off:
 * SGX_PAGE_NOT_DEBUGGABLE (ZF set), nothing read or written.
 */
static void not_debuggable(struct fx *fx, struct fx_enclave *e, uint64_t off, bool write)
{
	uint64_t data = 0x77, before = mem64(e, off);

	EXPECT_SGX(write ? encls_edbgwr(fx->klp, epc_of(e, off), 3) :
			   encls_edbgrd(fx->klp, epc_of(e, off), &data),
		   SGX_PAGE_NOT_DEBUGGABLE);
	EXPECT_EQ(sgx_lp_rflags(fx->klp) & ZF_CF, SGX_RFLAGS_ZF);
	EXPECT_EQ(data, 0x77);
	EXPECT_EQ(mem64(e, off), before);
	fx_free(fx);
}

TEST(edbgrd_pending_page_not_debuggable)
{
	SETUP_FX(fx, e);

	ASSERT_SGX(fx_eaug(e, FX_FREE, NULL), SGX_SUCCESS);
	not_debuggable(fx, e, FX_FREE, false);
}

TEST(edbgrd_modified_page_not_debuggable)
{
	SETUP_FX(fx, e);

	ASSERT_SGX(emodt(e, FX_DATA, SGX_SECINFO_TCS), SGX_SUCCESS);
	not_debuggable(fx, e, FX_DATA, false);
}

TEST(edbgwr_pending_page_not_debuggable)
{
	SETUP_FX(fx, e);

	ASSERT_SGX(fx_eaug(e, FX_FREE, NULL), SGX_SUCCESS);
	ASSERT_EQ(mem64(e, FX_FREE), 0);
	not_debuggable(fx, e, FX_FREE, true);
}

/* A MODIFIED TCS: NOT_DEBUGGABLE comes before the FLAGS-only check. */
TEST(edbgwr_modified_page_not_debuggable)
{
	SETUP_FX(fx, e);

	ASSERT_SGX(emodt(e, FX_DATA, SGX_SECINFO_TCS), SGX_SUCCESS);
	not_debuggable(fx, e, FX_DATA + 8, true);
}

/* TRIM is no readable type: #PF comes before the MODIFIED check. */
TEST(edbgrd_trim_page_pf)
{
	SETUP_FX(fx, e);
	uint64_t data;

	ASSERT_SGX(emodt(e, FX_DATA, SGX_SECINFO_TRIM), SGX_SUCCESS);
	EXPECT_SGX(encls_edbgrd(fx->klp, epc_of(e, FX_DATA), &data), SGX_PF);
	EXPECT_PF(fx->klp, epc_of(e, FX_DATA), PF_EPC);
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
	SETUP_FX(fx, e);

	ASSERT_SGX(encls_edbgwr(fx->klp, epc_of(e, FX_CODE + 0x40), 0xCCCCCCCC90909090ull),
		   SGX_SUCCESS);
	EXPECT_EQ(mem64(e, FX_CODE + 0x40), 0xCCCCCCCC90909090ull);
	EXPECT_EQ(sgx_lp_rflags(fx->klp) & ZF_CF, 0);
	/* Exactly 8 bytes. */
	EXPECT_EQ(mem64(e, FX_CODE + 0x48), mem64(e, FX_DATA + 0x48));
	fx_free(fx);
}

TEST(edbgwr_tcs_flags_success)
{
	SETUP_FX(fx, e);

	ASSERT_SGX(encls_edbgwr(fx->klp, epc_of(e, FX_TCS0 + 8), SGX_TCS_FLAGS_DBGOPTIN),
		   SGX_SUCCESS);
	EXPECT_EQ(tcs_mem(e, FX_TCS0)->flags, SGX_TCS_FLAGS_DBGOPTIN);
	fx_free(fx);
}

TEST(edbgwr_tcs_not_flags_gp)
{
	SETUP_FX(fx, e);

	EXPECT_SGX(encls_edbgwr(fx->klp, epc_of(e, FX_TCS0), 1), SGX_GP);
	EXPECT_SGX(encls_edbgwr(fx->klp, epc_of(e, FX_TCS0 + 16), 0), SGX_GP);
	EXPECT_SGX(encls_edbgwr(fx->klp, epc_of(e, FX_TCS0 + 0x108), 1), SGX_GP);
	EXPECT_EQ(tcs_mem(e, FX_TCS0)->state, 0);
	EXPECT_EQ(tcs_mem(e, FX_TCS0)->ossa, FX_SSA0);
	fx_free(fx);
}

TEST(edbgwr_unaligned_gp)
{
	SETUP_FX(fx, e);
	uint64_t before = mem64(e, FX_DATA);

	EXPECT_SGX(encls_edbgwr(fx->klp, epc_of(e, FX_DATA + 2), 0), SGX_GP);
	EXPECT_EQ(mem64(e, FX_DATA), before);
	fx_free(fx);
}

TEST(edbgwr_va_page_pf)
{
	struct fx *fx = fx_new(0);
	uint64_t va = new_va(fx);

	ASSERT_TRUE(va);
	EXPECT_SGX(encls_edbgwr(fx->klp, va + 8, 5), SGX_PF);
	EXPECT_PF(fx->klp, va + 8, PF_EPC_W);
	EXPECT_EQ(epc_u64(fx, va + 8), 0);
	fx_free(fx);
}

TEST(edbgwr_secs_pf)
{
	SETUP_FX(fx, e);

	EXPECT_SGX(encls_edbgwr(fx->klp, e->secs, 1), SGX_PF);
	EXPECT_PF(fx->klp, e->secs, PF_EPC_W);
	EXPECT_EQ(((struct sgx_secs *)sgx_cpu_epc_mem(fx->cpu, e->secs))->size, FX_ENCL_SIZE);
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
	EXPECT_EQ(tcs_mem(e, FX_TCS0)->flags, 0);
	fx_free(fx);
}
