/* SPDX-License-Identifier: MIT */
/*
 * ENCLU as an instruction (enclu()): dispatch on RAX, the registers after
 * it, and the #GP of an undefined leaf.
 */
#include "common.h"

TEST(enclu_undefined_leaf_gp)
{
	SETUP_INSIDE(in);
	struct sgx_regs r = { .rax = 0x1234, .rip = 0x1000 };

	EXPECT_SGX(enclu(in.lp, &r), SGX_GP);
	EXPECT_EQ(sgx_lp_fault(in.lp)->vector, SGX_VEC_GP);
	EXPECT_EQ(r.rip, 0x1000); /* a fault leaves the registers alone */
	fx_free(in.fx);
}

TEST(enclu_eaccept_sets_rax_flags_and_rip)
{
	SETUP_INSIDE(in);
	struct sgx_regs r = { 0 };

	ASSERT_SGX(fx_eaug(in.e, FX_FREE, NULL), SGX_SUCCESS);
	/* A SECINFO that does not match the page (R, the page is RW): a code in RAX, ZF set. */
	fx_put_secinfo(in.e, FX_DATA, SGX_SECINFO_REG | SGX_SECINFO_R | SGX_SECINFO_PENDING);
	r = (struct sgx_regs){ .rax = ENCLU_EACCEPT, .rbx = fx_la(in.e, FX_DATA),
			       .rcx = fx_la(in.e, FX_FREE), .rip = 0x2000 };
	EXPECT_SGX(enclu(in.lp, &r), SGX_PAGE_ATTRIBUTES_MISMATCH);
	EXPECT_EQ(r.rax, SGX_PAGE_ATTRIBUTES_MISMATCH);
	EXPECT_TRUE(r.rflags & SGX_RFLAGS_ZF);
	EXPECT_EQ(r.rip, 0x2003);
	/* The right one: RAX 0, ZF clear. */
	fx_put_secinfo(in.e, FX_DATA, REG_RW | SGX_SECINFO_PENDING);
	r.rax = ENCLU_EACCEPT;
	EXPECT_SGX(enclu(in.lp, &r), SGX_SUCCESS);
	EXPECT_EQ(r.rax, 0);
	EXPECT_TRUE(!(r.rflags & SGX_RFLAGS_ZF));
	EXPECT_EQ(r.rip, 0x2006);
	fx_free(in.fx);
}

TEST(enclu_eexit_leaves_enclave_mode)
{
	SETUP_INSIDE(in);
	struct sgx_regs r = { 0 };

	r = (struct sgx_regs){ .rax = ENCLU_EEXIT, .rbx = FX_ENCLU_RIP + 3 };
	EXPECT_SGX(enclu(in.lp, &r), SGX_SUCCESS);
	EXPECT_TRUE(!sgx_lp_in_enclave(in.lp));
	EXPECT_EQ(r.rip, FX_ENCLU_RIP + 3);
	EXPECT_EQ(r.rcx, FX_AEP);
	fx_free(in.fx);
}
