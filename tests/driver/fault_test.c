/* SPDX-License-Identifier: MIT */
/*
 * The fault path (mm/fault.c, then Linux's sgx_vma_fault), through the
 * simulated enclave thread and directly: EAUG of an unbacked address after
 * INIT; SIGBUS before INIT, outside ELRANGE and for a mapping beyond the
 * page's maximum (reported by the vDSO with the plain hardware code); #PF
 * without the SGX bit where the mapping forbids the access; #PF with it
 * where the EPCM does (pending, restricted, TRIM and TCS pages).
 */
#include <stdlib.h>

#include "dfx.h"

#define PAGE 4096ull
#define RW (PROT_READ | PROT_WRITE)
#define RWX (PROT_READ | PROT_WRITE | PROT_EXEC)
#define REG_RW (SGX_SECINFO_REG | SGX_SECINFO_R | SGX_SECINFO_W)

static void *map_at(struct dfx_encl *e, uint64_t offset, uint64_t len, int prot)
{
	return softsgx_mmap((void *)(uintptr_t)dfx_la(e, offset), len, prot, MAP_SHARED | MAP_FIXED,
			    e->fd, 0);
}

/* The fault handler called as the host's SIGSEGV handler calls it. */
static enum sgx_fault_result vma_fault(uint64_t addr, uint32_t access, uint32_t *pfec)
{
	struct sgx_platform *plat = sgx_platform_get();
	enum sgx_fault_result res;

	pthread_rwlock_rdlock(&plat->mmap_lock);
	res = sgx_vma_fault(plat, addr, access, pfec);
	pthread_rwlock_unlock(&plat->mmap_lock);
	return res;
}

/*
 * The default enclave, but mapped before its pages are added: [0, DFX_CODE)
 * RW (TCS, SSA), then [DFX_CODE, @hi_end) with @hi_prot, which may exceed
 * what the pages added there allow. Initialized.
 */
static struct dfx_encl *build_mapped_early(uint64_t hi_end, int hi_prot)
{
	struct dfx_encl *e = calloc(1, sizeof(*e));
	int ret = dfx_create(e, DFX_SIZE, 0);

	if (!ret && map_at(e, 0, DFX_CODE, RW) == MAP_FAILED)
		ret = -errno;
	if (!ret && map_at(e, DFX_CODE, hi_end - DFX_CODE, hi_prot) == MAP_FAILED)
		ret = -errno;
	if (!ret)
		ret = dfx_add_layout(e);
	if (!ret && dfx_init(e))
		ret = -errno;
	if (ret) {
		harness_fail(__FILE__, __LINE__, "building: %s", strerrorname_np(-ret));
		dfx_close(e);
		return NULL;
	}
	return e;
}

/* The thread (inside) EAUGs and accepts an RW page at @offset. */
static bool eaug_accept(struct dfx_thread *t, struct dfx_encl *e, uint64_t offset)
{
	return dfx_eaccept(t, dfx_secinfo(e, 0, REG_RW | SGX_SECINFO_PENDING),
			   dfx_la(e, offset)) == SGX_SUCCESS;
}

/* The thread's access ends in a #PF reported through the vDSO with @code; it resumes. */
#define EXPECT_PF(t, la, access, code)                                                  \
	do {                                                                            \
		uint64_t la_ = (la);                                                    \
		int r_ = dfx_access((t), la_, (access));                                \
		EXPECT_EQ(r_, DFX_EXCEPTION);                                           \
		if (r_ == DFX_EXCEPTION) {                                              \
			EXPECT_EQ((t)->exc.vector, SGX_VEC_PF);                          \
			EXPECT_EQ((t)->exc.error_code, (code));                          \
			EXPECT_EQ((t)->exc.addr, la_);                                   \
			EXPECT_SGX(dfx_resume(t), SGX_SUCCESS);                          \
		}                                                                       \
	} while (0)

/* EAUG on fault */

TEST(fault_unbacked_after_init_eaugs_pending_page)
{
	struct dfx_encl *e = dfx_build();
	uint64_t eaug = DFX_COUNT(SOFTSGX_CNT_FAULT_EAUG), sigbus = DFX_COUNT(SOFTSGX_CNT_FAULT_SIGBUS);
	struct sgx_epcm_info info;
	uint32_t pfec;

	ASSERT_TRUE(e);
	/* No matter who faulted (here: untrusted code, a write): EAUG. */
	EXPECT_EQ(vma_fault(dfx_la(e, DFX_FREE) + 0x123, SGX_PF_W, &pfec), SGX_FAULT_RETRY);
	EXPECT_EQ(DFX_COUNT(SOFTSGX_CNT_FAULT_EAUG), eaug + 1);
	EXPECT_EQ(DFX_COUNT(SOFTSGX_CNT_FAULT_SIGBUS), sigbus);
	info = dfx_epcm(e, DFX_FREE);
	EXPECT_TRUE(info.valid);
	EXPECT_TRUE(info.pending);
	EXPECT_EQ(info.type, SGX_PAGE_TYPE_REG);
	EXPECT_EQ(info.perm, SGX_SECINFO_R | SGX_SECINFO_W);
	EXPECT_EQ(info.linaddr, dfx_la(e, DFX_FREE));
	/* The new page's maximum is RWX. */
	EXPECT_EQ(map_at(e, DFX_FREE, PAGE, RWX), dfx_la(e, DFX_FREE));
	dfx_close(e);
}

/* The enclave reads an unbacked address: EAUG, then the pending page's EPCM #PF. */
TEST(fault_enclave_read_unbacked_eaug_then_8005)
{
	struct dfx_encl *e = dfx_build();
	uint64_t eaug = DFX_COUNT(SOFTSGX_CNT_FAULT_EAUG), epcm = DFX_COUNT(SOFTSGX_CNT_FAULT_EPCM);
	struct dfx_thread t;

	ASSERT_TRUE(e);
	dfx_thread_init(&t);
	ASSERT_SGX(dfx_enter(&t, e, DFX_TCS0), SGX_SUCCESS);
	EXPECT_PF(&t, dfx_la(e, DFX_FREE + PAGE), 0, SGX_PF_SGX | SGX_PF_U | SGX_PF_P);
	EXPECT_EQ(DFX_COUNT(SOFTSGX_CNT_FAULT_EAUG), eaug + 1);
	EXPECT_EQ(DFX_COUNT(SOFTSGX_CNT_FAULT_EPCM), epcm + 1);
	EXPECT_TRUE(dfx_epcm(e, DFX_FREE + PAGE).pending);
	/* EACCEPT makes it usable; no second EAUG. */
	EXPECT_TRUE(eaug_accept(&t, e, DFX_FREE + PAGE));
	EXPECT_SGX(dfx_access(&t, dfx_la(e, DFX_FREE + PAGE), SGX_PF_W), SGX_SUCCESS);
	EXPECT_EQ(DFX_COUNT(SOFTSGX_CNT_FAULT_EAUG), eaug + 1);
	EXPECT_SGX(dfx_exit(&t), SGX_SUCCESS);
	dfx_thread_fini(&t);
	dfx_close(e);
}

TEST(fault_existing_page_mapped)
{
	struct dfx_encl *e = dfx_build();
	uint64_t maps = DFX_COUNT(SOFTSGX_CNT_FAULT_MAP), eaug = DFX_COUNT(SOFTSGX_CNT_FAULT_EAUG);
	struct dfx_thread t;

	ASSERT_TRUE(e);
	dfx_thread_init(&t);
	ASSERT_SGX(dfx_enter(&t, e, DFX_TCS0), SGX_SUCCESS);
	maps = DFX_COUNT(SOFTSGX_CNT_FAULT_MAP); /* EENTER mapped the TCS and SSA */
	EXPECT_SGX(dfx_access(&t, dfx_la(e, DFX_DATA + PAGE), 0), SGX_SUCCESS);
	EXPECT_EQ(DFX_COUNT(SOFTSGX_CNT_FAULT_MAP), maps + 1);
	/* Mapped now: no second fault. */
	EXPECT_SGX(dfx_access(&t, dfx_la(e, DFX_DATA + PAGE), SGX_PF_W), SGX_SUCCESS);
	EXPECT_EQ(DFX_COUNT(SOFTSGX_CNT_FAULT_MAP), maps + 1);
	EXPECT_EQ(DFX_COUNT(SOFTSGX_CNT_FAULT_EAUG), eaug);
	EXPECT_SGX(dfx_exit(&t), SGX_SUCCESS);
	dfx_thread_fini(&t);
	dfx_close(e);
}

/* SIGBUS */

TEST(fault_unbacked_before_init_sigbus)
{
	struct dfx_encl *e = calloc(1, sizeof(*e));
	uint64_t sigbus = DFX_COUNT(SOFTSGX_CNT_FAULT_SIGBUS), eaug = DFX_COUNT(SOFTSGX_CNT_FAULT_EAUG);
	uint32_t pfec = 0;

	ASSERT_EQ(dfx_create(e, DFX_SIZE, 0), 0);
	ASSERT_EQ(dfx_add_layout(e), 0);
	ASSERT_EQ(map_at(e, 0, DFX_SIZE, PROT_NONE), dfx_la(e, 0));
	ASSERT_EQ(map_at(e, DFX_FREE, PAGE, RW), dfx_la(e, DFX_FREE));
	EXPECT_EQ(vma_fault(dfx_la(e, DFX_FREE), SGX_PF_W, &pfec), SGX_FAULT_SIGBUS);
	EXPECT_EQ(pfec, SGX_PF_U | SGX_PF_W);
	EXPECT_EQ(DFX_COUNT(SOFTSGX_CNT_FAULT_SIGBUS), sigbus + 1);
	EXPECT_EQ(DFX_COUNT(SOFTSGX_CNT_FAULT_EAUG), eaug);
	EXPECT_TRUE(!dfx_epcm(e, DFX_FREE).valid);
	dfx_close(e);
}

/* A mapping made before INIT that reaches beyond ELRANGE: no EAUG there. */
TEST(fault_outside_elrange_sigbus)
{
	struct dfx_encl *e = build_mapped_early(DFX_SIZE + 2 * PAGE, RW);
	uint64_t sigbus = DFX_COUNT(SOFTSGX_CNT_FAULT_SIGBUS), eaug = DFX_COUNT(SOFTSGX_CNT_FAULT_EAUG);
	struct dfx_thread t;

	ASSERT_TRUE(e);
	dfx_thread_init(&t);
	ASSERT_SGX(dfx_enter(&t, e, DFX_TCS0), SGX_SUCCESS);
	EXPECT_PF(&t, dfx_la(e, DFX_SIZE), 0, SGX_PF_U);
	EXPECT_PF(&t, dfx_la(e, DFX_SIZE + PAGE), SGX_PF_W, SGX_PF_U | SGX_PF_W);
	EXPECT_EQ(DFX_COUNT(SOFTSGX_CNT_FAULT_SIGBUS), sigbus + 2);
	EXPECT_EQ(DFX_COUNT(SOFTSGX_CNT_FAULT_EAUG), eaug);
	/* Inside ELRANGE the same mapping EAUGs. */
	EXPECT_TRUE(eaug_accept(&t, e, DFX_SIZE - PAGE));
	EXPECT_EQ(DFX_COUNT(SOFTSGX_CNT_FAULT_EAUG), eaug + 1);
	EXPECT_SGX(dfx_exit(&t), SGX_SUCCESS);
	dfx_thread_fini(&t);
	dfx_close(e);
}

/* The mapping's R/W/X beyond the page's maximum (mapped RWX before an R page was added). */
TEST(fault_mapping_beyond_page_max_sigbus)
{
	struct dfx_encl *e = build_mapped_early(DFX_SIZE, RWX);
	uint64_t sigbus = DFX_COUNT(SOFTSGX_CNT_FAULT_SIGBUS);
	struct dfx_thread t;

	ASSERT_TRUE(e);
	dfx_thread_init(&t);
	ASSERT_SGX(dfx_enter(&t, e, DFX_TCS0), SGX_SUCCESS);
	/* The access itself (a read) is allowed by both: the mapping is what is wrong. */
	EXPECT_PF(&t, dfx_la(e, DFX_RODATA), 0, SGX_PF_U);
	EXPECT_PF(&t, dfx_la(e, DFX_DATA), SGX_PF_W, SGX_PF_U | SGX_PF_W);
	EXPECT_EQ(DFX_COUNT(SOFTSGX_CNT_FAULT_SIGBUS), sigbus + 2);
	/* EAUGed pages (maximum RWX) are fine under the same mapping (the SECINFO
	 * EACCEPT reads is in a data page: that one needs a mapping within RW). */
	ASSERT_EQ(map_at(e, DFX_DATA, 3 * PAGE, RW), dfx_la(e, DFX_DATA));
	EXPECT_TRUE(eaug_accept(&t, e, DFX_FREE));
	EXPECT_SGX(dfx_access(&t, dfx_la(e, DFX_FREE), SGX_PF_W), SGX_SUCCESS);
	EXPECT_SGX(dfx_exit(&t), SGX_SUCCESS);
	/* A mapping within the maximum cures it. */
	ASSERT_EQ(map_at(e, DFX_RODATA, PAGE, PROT_READ), dfx_la(e, DFX_RODATA));
	ASSERT_SGX(dfx_enter(&t, e, DFX_TCS0), SGX_SUCCESS);
	EXPECT_SGX(dfx_access(&t, dfx_la(e, DFX_RODATA), 0), SGX_SUCCESS);
	EXPECT_SGX(dfx_exit(&t), SGX_SUCCESS);
	dfx_thread_fini(&t);
	dfx_close(e);
}

/* The mapping forbids the access: #PF without the SGX bit */

TEST(fault_read_prot_none_mapping_pf_4)
{
	struct dfx_encl *e = dfx_build();
	uint64_t vma = DFX_COUNT(SOFTSGX_CNT_FAULT_VMA), eaug = DFX_COUNT(SOFTSGX_CNT_FAULT_EAUG);
	struct dfx_thread t;

	ASSERT_TRUE(e);
	ASSERT_EQ(map_at(e, DFX_FREE, PAGE, PROT_NONE), dfx_la(e, DFX_FREE));
	ASSERT_EQ(map_at(e, DFX_DATA, PAGE, PROT_NONE), dfx_la(e, DFX_DATA));
	dfx_thread_init(&t);
	ASSERT_SGX(dfx_enter(&t, e, DFX_TCS0), SGX_SUCCESS);
	EXPECT_PF(&t, dfx_la(e, DFX_FREE), 0, SGX_PF_U);
	EXPECT_PF(&t, dfx_la(e, DFX_DATA), 0, SGX_PF_U);
	EXPECT_EQ(DFX_COUNT(SOFTSGX_CNT_FAULT_VMA), vma + 2);
	/* An access error never reaches the driver: no EAUG. */
	EXPECT_EQ(DFX_COUNT(SOFTSGX_CNT_FAULT_EAUG), eaug);
	EXPECT_TRUE(!dfx_epcm(e, DFX_FREE).valid);
	EXPECT_SGX(dfx_exit(&t), SGX_SUCCESS);
	dfx_thread_fini(&t);
	dfx_close(e);
}

TEST(fault_write_read_only_mapping_not_present_pf_6)
{
	struct dfx_encl *e = dfx_build();
	uint64_t vma = DFX_COUNT(SOFTSGX_CNT_FAULT_VMA);
	struct dfx_thread t;

	ASSERT_TRUE(e);
	ASSERT_EQ(map_at(e, DFX_DATA + PAGE, PAGE, PROT_READ), dfx_la(e, DFX_DATA + PAGE));
	dfx_thread_init(&t);
	ASSERT_SGX(dfx_enter(&t, e, DFX_TCS0), SGX_SUCCESS);
	EXPECT_PF(&t, dfx_la(e, DFX_DATA + PAGE), SGX_PF_W, SGX_PF_U | SGX_PF_W);
	EXPECT_PF(&t, dfx_la(e, DFX_RODATA), SGX_PF_W, SGX_PF_U | SGX_PF_W);
	EXPECT_EQ(DFX_COUNT(SOFTSGX_CNT_FAULT_VMA), vma + 2);
	EXPECT_SGX(dfx_exit(&t), SGX_SUCCESS);
	dfx_thread_fini(&t);
	dfx_close(e);
}

/* A write through a PTE made read-only by mprotect: 0x7. */
TEST(fault_write_read_only_mapping_present_pf_7)
{
	struct dfx_encl *e = dfx_build();
	struct dfx_thread t;

	ASSERT_TRUE(e);
	dfx_thread_init(&t);
	ASSERT_SGX(dfx_enter(&t, e, DFX_TCS0), SGX_SUCCESS);
	ASSERT_SGX(dfx_access(&t, dfx_la(e, DFX_DATA), 0), SGX_SUCCESS);
	ASSERT_SGX(dfx_access(&t, dfx_la(e, DFX_RODATA), 0), SGX_SUCCESS);
	ASSERT_EQ(softsgx_mprotect((void *)(uintptr_t)dfx_la(e, DFX_DATA), PAGE, PROT_READ), 0);
	EXPECT_PF(&t, dfx_la(e, DFX_DATA), SGX_PF_W, SGX_PF_U | SGX_PF_W | SGX_PF_P);
	EXPECT_PF(&t, dfx_la(e, DFX_RODATA), SGX_PF_W, SGX_PF_U | SGX_PF_W | SGX_PF_P);
	EXPECT_SGX(dfx_exit(&t), SGX_SUCCESS);
	dfx_thread_fini(&t);
	dfx_close(e);
}

TEST(fault_fetch_non_exec_mapping_pf_15)
{
	struct dfx_encl *e = dfx_build();
	struct dfx_thread t;

	ASSERT_TRUE(e);
	dfx_thread_init(&t);
	ASSERT_SGX(dfx_enter(&t, e, DFX_TCS0), SGX_SUCCESS);
	ASSERT_SGX(dfx_access(&t, dfx_la(e, DFX_DATA), 0), SGX_SUCCESS);
	EXPECT_PF(&t, dfx_la(e, DFX_DATA), SGX_PF_I, SGX_PF_U | SGX_PF_I | SGX_PF_P);
	EXPECT_SGX(dfx_exit(&t), SGX_SUCCESS);
	dfx_thread_fini(&t);
	dfx_close(e);
}

/*
 * x86 page tables cannot deny reads: only a read of a PROT_NONE mapping is
 * an access error (mm/fault.c, vma_is_accessible); a write-only mapping of
 * an RW page reads.
 */
TEST(fault_read_write_only_mapping_succeeds)
{
	struct dfx_encl *e = dfx_build();
	struct dfx_thread t;
	int i;

	ASSERT_TRUE(e);
	dfx_thread_init(&t);
	ASSERT_SGX(dfx_enter(&t, e, DFX_TCS0), SGX_SUCCESS);
	ASSERT_TRUE(eaug_accept(&t, e, DFX_FREE));
	ASSERT_SGX(dfx_exit(&t), SGX_SUCCESS);
	ASSERT_EQ(map_at(e, DFX_FREE, 2 * PAGE, PROT_WRITE), dfx_la(e, DFX_FREE));
	ASSERT_SGX(dfx_enter(&t, e, DFX_TCS0), SGX_SUCCESS);
	/* Not present (the new mapping has no PTE yet), then present. */
	for (i = 0; i < 2; i++) {
		int r = dfx_access(&t, dfx_la(e, DFX_FREE), 0);

		if (r == DFX_EXCEPTION) {
			harness_fail(__FILE__, __LINE__, "read %d of the write-only mapping: #PF %#x",
				     i, t.exc.error_code);
			ASSERT_SGX(dfx_resume(&t), SGX_SUCCESS);
		} else {
			EXPECT_SGX(r, SGX_SUCCESS);
		}
	}
	EXPECT_SGX(dfx_access(&t, dfx_la(e, DFX_FREE), SGX_PF_W), SGX_SUCCESS);
	if (sgx_lp_in_enclave(t.lp))
		dfx_exit(&t);
	dfx_thread_fini(&t);
	dfx_close(e);
}

/* The EPCM forbids the access: #PF with the SGX bit */

TEST(fault_epcm_restricted_write_pf_8007)
{
	struct dfx_encl *e = dfx_build();
	uint64_t epcm = DFX_COUNT(SOFTSGX_CNT_FAULT_EPCM);
	struct dfx_thread t;

	ASSERT_TRUE(e);
	dfx_thread_init(&t);
	ASSERT_SGX(dfx_enter(&t, e, DFX_TCS0), SGX_SUCCESS);
	ASSERT_TRUE(eaug_accept(&t, e, DFX_FREE));
	ASSERT_SGX(dfx_access(&t, dfx_la(e, DFX_FREE), SGX_PF_W), SGX_SUCCESS);
	ASSERT_SGX(dfx_exit(&t), SGX_SUCCESS);
	ASSERT_EQ(dfx_restrict(e, DFX_FREE, PAGE, SGX_SECINFO_R, NULL), 0);
	ASSERT_SGX(dfx_enter(&t, e, DFX_TCS0), SGX_SUCCESS);
	EXPECT_SGX(dfx_access(&t, dfx_la(e, DFX_FREE), 0), SGX_SUCCESS);
	EXPECT_PF(&t, dfx_la(e, DFX_FREE), SGX_PF_W, SGX_PF_SGX | SGX_PF_U | SGX_PF_W | SGX_PF_P);
	EXPECT_EQ(DFX_COUNT(SOFTSGX_CNT_FAULT_EPCM), epcm + 1);
	/* The mapping still allows the write: only the EPCM changed. */
	EXPECT_EQ(map_at(e, DFX_FREE, PAGE, RWX), dfx_la(e, DFX_FREE));
	EXPECT_SGX(dfx_exit(&t), SGX_SUCCESS);
	dfx_thread_fini(&t);
	dfx_close(e);
}

TEST(fault_epcm_no_permissions_read_pf_8005)
{
	struct dfx_encl *e = dfx_build();
	struct dfx_thread t;

	ASSERT_TRUE(e);
	dfx_thread_init(&t);
	ASSERT_SGX(dfx_enter(&t, e, DFX_TCS0), SGX_SUCCESS);
	ASSERT_TRUE(eaug_accept(&t, e, DFX_FREE));
	ASSERT_SGX(dfx_exit(&t), SGX_SUCCESS);
	ASSERT_EQ(dfx_restrict(e, DFX_FREE, PAGE, 0, NULL), 0);
	ASSERT_SGX(dfx_enter(&t, e, DFX_TCS0), SGX_SUCCESS);
	EXPECT_PF(&t, dfx_la(e, DFX_FREE), 0, SGX_PF_SGX | SGX_PF_U | SGX_PF_P);
	EXPECT_SGX(dfx_exit(&t), SGX_SUCCESS);
	dfx_thread_fini(&t);
	dfx_close(e);
}

TEST(fault_epcm_fetch_not_executable_pf_8015)
{
	struct dfx_encl *e = dfx_build();
	struct dfx_thread t;

	ASSERT_TRUE(e);
	ASSERT_EQ(map_at(e, DFX_FREE, PAGE, RWX), dfx_la(e, DFX_FREE));
	dfx_thread_init(&t);
	ASSERT_SGX(dfx_enter(&t, e, DFX_TCS0), SGX_SUCCESS);
	ASSERT_TRUE(eaug_accept(&t, e, DFX_FREE));
	EXPECT_PF(&t, dfx_la(e, DFX_FREE), SGX_PF_I, SGX_PF_SGX | SGX_PF_U | SGX_PF_I | SGX_PF_P);
	EXPECT_SGX(dfx_exit(&t), SGX_SUCCESS);
	dfx_thread_fini(&t);
	dfx_close(e);
}

TEST(fault_pending_page_write_pf_8007)
{
	struct dfx_encl *e = dfx_build();
	struct dfx_thread t;

	ASSERT_TRUE(e);
	dfx_thread_init(&t);
	ASSERT_SGX(dfx_enter(&t, e, DFX_TCS0), SGX_SUCCESS);
	EXPECT_PF(&t, dfx_la(e, DFX_FREE), SGX_PF_W, SGX_PF_SGX | SGX_PF_U | SGX_PF_W | SGX_PF_P);
	EXPECT_TRUE(dfx_epcm(e, DFX_FREE).pending);
	EXPECT_SGX(dfx_exit(&t), SGX_SUCCESS);
	dfx_thread_fini(&t);
	dfx_close(e);
}

/* A TRIM page is mapped like any other (type not looked at); the EPCM refuses the read. */
TEST(fault_trim_page_read_pf_8005)
{
	struct dfx_encl *e = dfx_build();
	uint64_t maps, epcm = DFX_COUNT(SOFTSGX_CNT_FAULT_EPCM);
	struct dfx_thread t;

	ASSERT_TRUE(e);
	ASSERT_EQ(dfx_modify(e, DFX_DATA + PAGE, PAGE, SGX_PAGE_TYPE_TRIM, NULL), 0);
	dfx_thread_init(&t);
	ASSERT_SGX(dfx_enter(&t, e, DFX_TCS0), SGX_SUCCESS);
	maps = DFX_COUNT(SOFTSGX_CNT_FAULT_MAP);
	EXPECT_PF(&t, dfx_la(e, DFX_DATA + PAGE), 0, SGX_PF_SGX | SGX_PF_U | SGX_PF_P);
	EXPECT_EQ(DFX_COUNT(SOFTSGX_CNT_FAULT_MAP), maps + 1);
	EXPECT_EQ(DFX_COUNT(SOFTSGX_CNT_FAULT_EPCM), epcm + 1);
	EXPECT_EQ(dfx_epcm(e, DFX_DATA + PAGE).type, SGX_PAGE_TYPE_TRIM);
	EXPECT_SGX(dfx_exit(&t), SGX_SUCCESS);
	dfx_thread_fini(&t);
	dfx_close(e);
}

TEST(fault_tcs_page_read_pf_8005)
{
	struct dfx_encl *e = dfx_build();
	struct dfx_thread t;

	ASSERT_TRUE(e);
	dfx_thread_init(&t);
	ASSERT_SGX(dfx_enter(&t, e, DFX_TCS0), SGX_SUCCESS);
	EXPECT_PF(&t, dfx_la(e, DFX_TCS1), 0, SGX_PF_SGX | SGX_PF_U | SGX_PF_P);
	EXPECT_PF(&t, dfx_la(e, DFX_TCS0), SGX_PF_W, SGX_PF_SGX | SGX_PF_U | SGX_PF_W | SGX_PF_P);
	EXPECT_SGX(dfx_exit(&t), SGX_SUCCESS);
	dfx_thread_fini(&t);
	dfx_close(e);
}
