/* SPDX-License-Identifier: MIT */
/*
 * What the driver tests share on top of the fixture (dfx.h): short names for
 * sizes, protections and SECINFO flags, tests that start from a built
 * enclave (like kselftest's TEST_F, which Linux's SGX selftests use), and
 * matchers that record failures at the caller's line. Only tests/driver
 * includes it; the fixture itself is shared with other directories.
 */
#ifndef SOFTSGX_TEST_DRIVER_COMMON_H
#define SOFTSGX_TEST_DRIVER_COMMON_H

#include "dfx.h"

#define PAGE 4096ull
#define RW (PROT_READ | PROT_WRITE)
#define RWX (PROT_READ | PROT_WRITE | PROT_EXEC)
#define REG_R (SGX_SECINFO_REG | SGX_SECINFO_R)
#define REG_RW (SGX_SECINFO_REG | SGX_SECINFO_R | SGX_SECINFO_W)
#define REG_RX (SGX_SECINFO_REG | SGX_SECINFO_R | SGX_SECINFO_X)
#define TRIM_M (SGX_SECINFO_TRIM | SGX_SECINFO_MODIFIED)

/*
 * TEST_WITH(name, make) { body }: a test on the enclave @make returns (a
 * dfx_build()-like call that records its own failures), which the body sees
 * as @e; the body may stop early (ASSERT_*), the enclave is closed
 * afterwards. No enclave is the test's failure. TEST_BUILT(name) is a test
 * on the default enclave (dfx_build()).
 */
#define TEST_WITH(name, make)                                                   \
	static void with_##name(struct dfx_encl *e);                            \
	TEST(name)                                                              \
	{                                                                       \
		struct dfx_encl *e = (make);                                    \
                                                                                \
		if (!e) {                                                       \
			harness_fail(__FILE__, __LINE__, "expected %s", #make); \
			return;                                                 \
		}                                                               \
		with_##name(e);                                                 \
		dfx_close(e);                                                   \
	}                                                                       \
	static void with_##name(struct dfx_encl *e)

#define TEST_BUILT(name) TEST_WITH(name, dfx_build())

/*
 * TEST_ENTERED(name) { body }: as TEST_BUILT, with the simulated thread @t
 * inside the enclave through TCS0 (dfx_build_entered()). Afterwards the
 * thread is finalized (inside or not) and the enclave closed.
 */
#define TEST_ENTERED(name)                                                    \
	static void entered_##name(struct dfx_encl *e, struct dfx_thread *t); \
	TEST(name)                                                            \
	{                                                                     \
		struct dfx_thread t;                                          \
		struct dfx_encl *e = dfx_build_entered(&t);                   \
                                                                              \
		if (!e) {                                                     \
			harness_fail(__FILE__, __LINE__, "expected a thread inside"); \
			return;                                               \
		}                                                             \
		entered_##name(e, &t);                                        \
		dfx_thread_fini(&t);                                          \
		dfx_close(e);                                                 \
	}                                                                     \
	static void entered_##name(struct dfx_encl *e, struct dfx_thread *t)

/*
 * TEST_FLOW(name) { body }: as TEST_ENTERED, for tests that switch the
 * tracking mode or install the IPI double: the upstream defaults are
 * restored before the body (a test that stopped early cannot leave batched
 * mode or a double on its stack behind) and after it, even if it stops early.
 */
#define TEST_FLOW(name)                                                    \
	static void flow_##name(struct dfx_encl *e, struct dfx_thread *t); \
	TEST_ENTERED(name)                                                 \
	{                                                                  \
		dfx_restore_defaults();                                    \
		flow_##name(e, t);                                         \
		dfx_restore_defaults();                                    \
	}                                                                  \
	static void flow_##name(struct dfx_encl *e, struct dfx_thread *t)

/*
 * SGX2_PREAMBLE_TESTS(prefix, cmd, make, expect, bad_offset, bad_length):
 * the checks the SGX2 ioctl @cmd shares with the other two before its page
 * loop (Linux's sgx_ioc_sgx2_ready() and sgx_validate_offset_length()), one
 * test per rule, named <prefix>_<rule>:
 *   not_initialized_unreadable_arg_einval  the state comes before the copy
 *   unreadable_arg_efault                  then the struct is copied in
 *   offset_unaligned_einval                offset @bad_offset
 *   length_zero_einval
 *   length_unaligned_einval                length @bad_length
 *   offset_length_overflow_einval          offset + length wraps to DFX_DATA
 *   range_beyond_enclave_einval            past the end, or wholly beyond it
 * The offset and length tests run on the enclave @make returns and call
 * @expect(e, offset, length), which expects EINVAL without a copy back and
 * checks that the ioctl changed nothing.
 */
#define SGX2_PREAMBLE_TESTS(prefix, cmd, make, expect, bad_offset, bad_length)          \
	TEST_WITH(prefix##_not_initialized_unreadable_arg_einval, dfx_new_with_data(0)) \
	{                                                                               \
		dfx_expect_unreadable_arg(e->fd, cmd, EINVAL);                          \
	}                                                                               \
	TEST_BUILT(prefix##_unreadable_arg_efault)                                      \
	{                                                                               \
		dfx_expect_unreadable_arg(e->fd, cmd, EFAULT);                          \
	}                                                                               \
	TEST_WITH(prefix##_offset_unaligned_einval, make)                               \
	{                                                                               \
		expect(e, bad_offset, PAGE);                                            \
	}                                                                               \
	TEST_WITH(prefix##_length_zero_einval, make)                                    \
	{                                                                               \
		expect(e, DFX_DATA, 0);                                                 \
	}                                                                               \
	TEST_WITH(prefix##_length_unaligned_einval, make)                               \
	{                                                                               \
		expect(e, DFX_DATA, bad_length);                                        \
	}                                                                               \
	TEST_WITH(prefix##_offset_length_overflow_einval, make)                         \
	{                                                                               \
		expect(e, DFX_DATA + PAGE, 0ull - PAGE);                                \
	}                                                                               \
	TEST_WITH(prefix##_range_beyond_enclave_einval, make)                           \
	{                                                                               \
		expect(e, DFX_SIZE - PAGE, 2 * PAGE);                                   \
		expect(e, DFX_SIZE, PAGE);                                              \
	}

/*
 * Thread @t's access to @la ends in a #PF with error code @code for @la,
 * reported as the vDSO reports it (the thread is then outside). ASSERT_PF
 * stops the test if there was no exception; EXPECT_PF goes on and ERESUMEs.
 */
#define ASSERT_PF(t, la, access, code)                                  \
	do {                                                            \
		uint64_t pf_la_ = (la);                                 \
		ASSERT_EQ(dfx_access((t), pf_la_, (access)), DFX_EXCEPTION); \
		EXPECT_EQ((t)->exc.vector, SGX_VEC_PF);                 \
		EXPECT_EQ((t)->exc.error_code, (code));                 \
		EXPECT_EQ((t)->exc.addr, pf_la_);                       \
	} while (0)

#define EXPECT_PF(t, la, access, code)                                       \
	do {                                                                 \
		uint64_t pf_la_ = (la);                                      \
		int pf_r_ = dfx_access((t), pf_la_, (access));               \
		EXPECT_EQ(pf_r_, DFX_EXCEPTION);                             \
		if (pf_r_ == DFX_EXCEPTION) {                                \
			EXPECT_EQ((t)->exc.vector, SGX_VEC_PF);              \
			EXPECT_EQ((t)->exc.error_code, (code));              \
			EXPECT_EQ((t)->exc.addr, pf_la_);                    \
			EXPECT_SGX(dfx_resume(t), SGX_SUCCESS);              \
		}                                                            \
	} while (0)

/* The real process mapping of @addr has permissions @want ("rw-s"; "---" if unmapped). */
#define EXPECT_HOST_PERMS(addr, want)                                                   \
	do {                                                                            \
		char p_[5] = "---";                                                     \
		uint64_t a_ = (addr);                                                   \
		dfx_maps_lookup(a_, p_, NULL, 0);                                       \
		if (strcmp(p_, (want)))                                                 \
			harness_fail(__FILE__, __LINE__, "host mapping of %#llx is %s, expected %s", \
				     (unsigned long long)a_, p_, (want));                \
	} while (0)

#endif /* SOFTSGX_TEST_DRIVER_COMMON_H */
