/* SPDX-License-Identifier: MIT */
/*
 * The last reference to an enclave goes while a thread is still inside:
 * EREMOVE fails for its pages (and the SECS, which still has children), and
 * as Linux's sgx_encl_free_epc_page() the driver leaks those EPC pages with
 * a warning instead of handing still-VALID pages out again (its version-array
 * page is no child of the SECS: it goes). Later enclaves
 * build and run as usual. (Leaks on purpose: a file of its own.)
 */
#include "common.h"

TEST(release_thread_inside_pages_leaked_later_enclaves_work)
{
	struct dfx_thread t, u;
	struct dfx_encl *e = dfx_build_entered(&t), *f;
	size_t before;

	ASSERT_TRUE(e);
	before = dfx_free_epc();
	/* Last reference: EREMOVE of every page while t is inside; only the VA page, no child of the SECS, goes. */
	dfx_close(e);
	before++;
	EXPECT_EQ(dfx_free_epc(), before);
	/* Before the fix the next CREATE got a still-VALID page: EIO for ever after. */
	f = dfx_build();
	ASSERT_TRUE(f);
	dfx_thread_init(&u);
	EXPECT_SGX(dfx_enter(&u, f, DFX_TCS0), SGX_SUCCESS);
	EXPECT_SGX(dfx_access(&u, dfx_la(f, DFX_DATA), SGX_PF_W), SGX_SUCCESS);
	EXPECT_SGX(dfx_exit(&u), SGX_SUCCESS);
	dfx_thread_fini(&u);
	dfx_close(f);
	EXPECT_EQ(dfx_free_epc(), before);
	dfx_thread_fini(&t);
}
