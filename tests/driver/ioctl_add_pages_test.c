/* SPDX-License-Identifier: MIT */
/*
 * SGX_IOC_ENCLAVE_ADD_PAGES, in Linux's order: state (EINVAL), the
 * argument (EFAULT), src alignment and offset/length (EINVAL), the 64-byte
 * SECINFO (EFAULT) and its rules (EINVAL) - none of which copies anything
 * back - then the page loop: a page already there (EBUSY), an unreadable
 * source page (EFAULT), EADD refusing (EIO), each stopping with count =
 * bytes added before it; SGX_PAGE_MEASURE and the other flag bits; the
 * struct copied back (a failing copy-back is EFAULT).
 */
#include <stdlib.h>
#include <unistd.h>

#include "common.h"
#include "cpu/fixture.h"
#include "softsgx/measure.h"

#define COUNT_SENTINEL 0x5a5a5a5a5a5a5a5aull
#define EEXTEND_LEAF SGX_LEAF_ENCLS(ENCLS_EEXTEND)
#define CMD SGX_IOC_ENCLAVE_ADD_PAGES

/* @n source pages filled with a pattern that differs per page (4 KiB aligned; free()). */
static uint8_t *pages_new(size_t n, uint8_t seed)
{
	uint8_t *p = aligned_alloc(PAGE, n * PAGE);
	size_t i;

	for (i = 0; p && i < n * PAGE; i++)
		p[i] = (uint8_t)(seed + i / PAGE * 31 + i * 7);
	return p;
}

/* The arguments of an ADD of @src at @offset with *@secinfo, count preset to a sentinel. */
static struct sgx_enclave_add_pages add_arg(const void *src, uint64_t offset, uint64_t length,
					    const struct sgx_secinfo *secinfo, uint64_t flags)
{
	return (struct sgx_enclave_add_pages){ .src = (uintptr_t)src, .offset = offset, .length = length,
					       .secinfo = (uintptr_t)secinfo, .flags = flags,
					       .count = COUNT_SENTINEL };
}

static int add(struct dfx_encl *e, struct sgx_enclave_add_pages *arg)
{
	return softsgx_ioctl(e->fd, CMD, arg);
}

static bool page_added(struct dfx_encl *e, uint64_t offset)
{
	return dfx_epcm(e, offset).valid;
}

/*
 * TEST_ADD(name, npages, seed) { body }: a test on a created enclave @e
 * (dfx_new_created()) with @npages source pages @src (pages_new(@npages,
 * @seed)), a SECINFO @secinfo for REG_RW pages and the argument @arg of an
 * ADD_PAGES of one page of @src at DFX_DATA (flags 0, count the sentinel);
 * the body adjusts them before its first call.
 */
#define TEST_ADD(name, npages, seed)                                                         \
	static void add_##name(struct dfx_encl *e, uint8_t *src, struct sgx_secinfo *secinfo, \
			       struct sgx_enclave_add_pages *arg);                            \
	TEST_WITH(name, dfx_new_created(0))                                                  \
	{                                                                                    \
		uint8_t *src = pages_new(npages, seed);                                      \
		struct sgx_secinfo secinfo = { .flags = REG_RW };                            \
		struct sgx_enclave_add_pages arg = add_arg(src, DFX_DATA, PAGE, &secinfo, 0); \
                                                                                             \
		ASSERT_TRUE(src);                                                            \
		add_##name(e, src, &secinfo, &arg);                                          \
		free(src);                                                                   \
	}                                                                                    \
	static void add_##name(struct dfx_encl *e, uint8_t *src, struct sgx_secinfo *secinfo, \
			       struct sgx_enclave_add_pages *arg)

/*
 * ADD_PAGES of one page at DFX_DATA with SECINFO @flags (reserved bytes
 * from @reserved_byte if >= 0) fails EINVAL before the page loop: nothing
 * added, nothing copied back.
 */
static void expect_secinfo_einval(uint64_t flags, int reserved_byte, int line)
{
	struct dfx_encl *e = dfx_new_created(0);
	uint8_t *src = pages_new(1, 1);
	struct sgx_secinfo secinfo = { .flags = flags };
	struct sgx_enclave_add_pages arg = add_arg(src, DFX_DATA, PAGE, &secinfo, SGX_PAGE_MEASURE);
	long ret;

	if (!e || !src) {
		harness_fail(__FILE__, line, "setup");
		goto out;
	}
	if (reserved_byte >= 0)
		secinfo.reserved[reserved_byte] = 1;
	errno = 0;
	ret = add(e, &arg);
	if (ret != -1 || errno != EINVAL)
		harness_fail(__FILE__, line, "SECINFO flags %#llx: ADD_PAGES returned %ld errno %s, expected EINVAL",
			     (unsigned long long)flags, ret, errno ? strerrorname_np(errno) : "0");
	if (arg.count != COUNT_SENTINEL)
		harness_fail(__FILE__, line, "count copied back: %#llx", (unsigned long long)arg.count);
	if (page_added(e, DFX_DATA))
		harness_fail(__FILE__, line, "page added");
out:
	free(src);
	dfx_close(e);
}

/* State */

TEST(add_pages_before_create_einval)
{
	int fd = softsgx_open("/dev/sgx_enclave", O_RDWR);
	uint8_t *src = pages_new(1, 1);
	struct sgx_secinfo secinfo = { .flags = REG_RW };
	struct sgx_enclave_add_pages arg = add_arg(src, 0, PAGE, &secinfo, 0);
	size_t before = dfx_free_epc();

	ASSERT_TRUE(fd >= 0 && src);
	EXPECT_ERRNO(softsgx_ioctl(fd, CMD, &arg), EINVAL);
	EXPECT_EQ(arg.count, COUNT_SENTINEL);
	/* The state is checked before the argument is read. */
	EXPECT_ERRNO(softsgx_ioctl(fd, CMD, (void *)8), EINVAL);
	EXPECT_EQ(dfx_free_epc(), before);
	free(src);
	softsgx_close(fd);
}

TEST_BUILT(add_pages_after_init_einval)
{
	uint8_t *src = pages_new(1, 1);
	struct sgx_secinfo secinfo = { .flags = REG_RW };
	struct sgx_enclave_add_pages arg = add_arg(src, DFX_FREE, PAGE, &secinfo, 0);
	size_t before = dfx_free_epc();

	ASSERT_TRUE(src);
	EXPECT_ERRNO(add(e, &arg), EINVAL);
	EXPECT_EQ(arg.count, COUNT_SENTINEL);
	EXPECT_ERRNO(softsgx_ioctl(e->fd, CMD, (void *)8), EINVAL);
	EXPECT_TRUE(!page_added(e, DFX_FREE));
	EXPECT_EQ(dfx_free_epc(), before);
	free(src);
}

TEST_WITH(add_pages_after_failed_init_succeeds, dfx_new_created(0))
{
	struct sgx_sigstruct *sig;
	struct sgx_enclave_init init;

	ASSERT_EQ(dfx_add(e, DFX_DATA, PAGE, NULL, REG_RW, true), 0);
	sig = dfx_sigstruct(e);
	sig->body.mrenclave[0] ^= 1;
	fx_sigstruct_sign(sig);
	init.sigstruct = (uintptr_t)sig;
	ASSERT_EQ(softsgx_ioctl(e->fd, SGX_IOC_ENCLAVE_INIT, &init), -1);
	EXPECT_EQ(dfx_add(e, DFX_DATA + PAGE, PAGE, NULL, REG_RW, true), 0);
	EXPECT_TRUE(page_added(e, DFX_DATA + PAGE));
	EXPECT_EQ(dfx_init(e), 0);
	free(sig);
}

/* The argument */

TEST_WITH(add_pages_unreadable_arg_efault, dfx_new_created(0))
{
	uint8_t *hole = dfx_before_hole();
	size_t before;

	ASSERT_TRUE(hole);
	before = dfx_free_epc();
	dfx_expect_unreadable_arg(e->fd, CMD, EFAULT);
	/* The 48-byte struct's count field lies in the hole. */
	EXPECT_ERRNO(softsgx_ioctl(e->fd, CMD, hole + PAGE - 40), EFAULT);
	EXPECT_EQ(dfx_free_epc(), before);
	dfx_hole_free(hole);
}

/* src and offset/length */

TEST_ADD(add_pages_unaligned_src_einval, 2, 1)
{
	arg->src = (uintptr_t)src + 8;
	EXPECT_ERRNO(add(e, arg), EINVAL);
	EXPECT_EQ(arg->count, COUNT_SENTINEL);
	arg->src = (uintptr_t)src + PAGE - 1;
	EXPECT_ERRNO(add(e, arg), EINVAL);
	EXPECT_TRUE(!page_added(e, DFX_DATA));
}

TEST_ADD(add_pages_unaligned_offset_einval, 1, 1)
{
	arg->offset = DFX_DATA + 8;
	EXPECT_ERRNO(add(e, arg), EINVAL);
	EXPECT_EQ(arg->count, COUNT_SENTINEL);
	arg->offset = DFX_DATA + 0x800;
	EXPECT_ERRNO(add(e, arg), EINVAL);
	EXPECT_TRUE(!page_added(e, DFX_DATA));
}

TEST_ADD(add_pages_zero_length_einval, 1, 1)
{
	arg->length = 0;
	EXPECT_ERRNO(add(e, arg), EINVAL);
	EXPECT_EQ(arg->count, COUNT_SENTINEL);
}

TEST_ADD(add_pages_unaligned_length_einval, 2, 1)
{
	arg->length = PAGE + 1;
	EXPECT_ERRNO(add(e, arg), EINVAL);
	EXPECT_EQ(arg->count, COUNT_SENTINEL);
	arg->length = 100;
	EXPECT_ERRNO(add(e, arg), EINVAL);
	EXPECT_TRUE(!page_added(e, DFX_DATA));
}

TEST_ADD(add_pages_offset_length_overflow_einval, 1, 1)
{
	/* offset + length wraps to 0, and then to just past 0. */
	arg->offset = PAGE;
	arg->length = 0ull - PAGE;
	EXPECT_ERRNO(add(e, arg), EINVAL);
	EXPECT_EQ(arg->count, COUNT_SENTINEL);
	arg->offset = 2 * PAGE;
	EXPECT_ERRNO(add(e, arg), EINVAL);
	arg->offset = 0ull - PAGE;
	arg->length = 2 * PAGE;
	EXPECT_ERRNO(add(e, arg), EINVAL);
	EXPECT_TRUE(!page_added(e, 0) && !page_added(e, PAGE));
}

TEST_ADD(add_pages_range_beyond_size_einval, 2, 1)
{
	arg->offset = DFX_SIZE;
	EXPECT_ERRNO(add(e, arg), EINVAL);
	EXPECT_EQ(arg->count, COUNT_SENTINEL);
	/* Starts inside, ends outside: refused whole, the first page is not added. */
	arg->offset = DFX_SIZE - PAGE;
	arg->length = 2 * PAGE;
	EXPECT_ERRNO(add(e, arg), EINVAL);
	EXPECT_EQ(arg->count, COUNT_SENTINEL);
	EXPECT_TRUE(!page_added(e, DFX_SIZE - PAGE));
	/* The last page itself is fine. */
	arg->length = PAGE;
	EXPECT_EQ(add(e, arg), 0);
	EXPECT_EQ(arg->count, PAGE);
	EXPECT_TRUE(page_added(e, DFX_SIZE - PAGE));
}

TEST_ADD(add_pages_offset_checked_before_secinfo_einval, 1, 1)
{
	arg->offset = DFX_SIZE;
	arg->secinfo = 8;
	EXPECT_ERRNO(add(e, arg), EINVAL);
}

/* SECINFO */

TEST_ADD(add_pages_unreadable_secinfo_efault, 1, 1)
{
	uint8_t *hole = dfx_before_hole();
	void *none = dfx_unreadable();
	size_t before;

	ASSERT_TRUE(hole && none);
	before = dfx_free_epc();
	arg->secinfo = 8;
	EXPECT_ERRNO(add(e, arg), EFAULT);
	EXPECT_EQ(arg->count, COUNT_SENTINEL);
	arg->secinfo = (uintptr_t)none;
	EXPECT_ERRNO(add(e, arg), EFAULT);
	/* All 64 bytes are read: flags readable, reserved bytes in the hole. */
	*(uint64_t *)(hole + PAGE - 32) = REG_RW;
	arg->secinfo = (uintptr_t)(hole + PAGE - 32);
	EXPECT_ERRNO(add(e, arg), EFAULT);
	EXPECT_EQ(arg->count, COUNT_SENTINEL);
	EXPECT_TRUE(!page_added(e, DFX_DATA));
	EXPECT_EQ(dfx_free_epc(), before);
	dfx_page_free(none);
	dfx_hole_free(hole);
}

TEST_ADD(add_pages_unaligned_secinfo_pointer_succeeds, 1, 1)
{
	uint8_t *buf = calloc(1, 128);

	ASSERT_TRUE(buf);
	/* The driver copies the SECINFO into its own aligned buffer. */
	*(uint64_t *)(buf + 8) = REG_RW;
	arg->secinfo = (uintptr_t)(buf + 8);
	EXPECT_EQ(add(e, arg), 0);
	EXPECT_EQ(dfx_epcm(e, DFX_DATA).perm, SGX_SECINFO_R | SGX_SECINFO_W);
	free(buf);
}

TEST(add_pages_secinfo_page_type_invalid_einval)
{
	expect_secinfo_einval(SGX_SECINFO_SECS | SGX_SECINFO_R, -1, __LINE__);
	expect_secinfo_einval(SGX_SECINFO_VA | SGX_SECINFO_R, -1, __LINE__);
	expect_secinfo_einval(SGX_SECINFO_TRIM | SGX_SECINFO_R, -1, __LINE__);
	expect_secinfo_einval(SGX_SECINFO_TRIM, -1, __LINE__);
	expect_secinfo_einval(SGX_SECINFO_PT(5) | SGX_SECINFO_R, -1, __LINE__);
	expect_secinfo_einval(SGX_SECINFO_PT(0xFF) | SGX_SECINFO_R, -1, __LINE__);
	expect_secinfo_einval(SGX_SECINFO_R, -1, __LINE__); /* type 0: SECS */
}

TEST(add_pages_secinfo_write_without_read_einval)
{
	expect_secinfo_einval(SGX_SECINFO_REG | SGX_SECINFO_W, -1, __LINE__);
	expect_secinfo_einval(SGX_SECINFO_REG | SGX_SECINFO_W | SGX_SECINFO_X, -1, __LINE__);
}

TEST(add_pages_secinfo_tcs_with_permissions_einval)
{
	expect_secinfo_einval(SGX_SECINFO_TCS | SGX_SECINFO_R, -1, __LINE__);
	expect_secinfo_einval(SGX_SECINFO_TCS | SGX_SECINFO_R | SGX_SECINFO_W, -1, __LINE__);
	expect_secinfo_einval(SGX_SECINFO_TCS | SGX_SECINFO_X, -1, __LINE__);
}

TEST(add_pages_secinfo_flag_bits_einval)
{
	/* Only bits 0-2 (RWX) and 8-15 (type) may be set, PENDING/MODIFIED/PR included. */
	expect_secinfo_einval(REG_RW | SGX_SECINFO_PENDING, -1, __LINE__);
	expect_secinfo_einval(REG_RW | SGX_SECINFO_MODIFIED, -1, __LINE__);
	expect_secinfo_einval(REG_RW | SGX_SECINFO_PR, -1, __LINE__);
	expect_secinfo_einval(REG_RW | (1ull << 6), -1, __LINE__);
	expect_secinfo_einval(REG_RW | (1ull << 7), -1, __LINE__);
	expect_secinfo_einval(REG_RW | (1ull << 16), -1, __LINE__);
	expect_secinfo_einval(REG_RW | (1ull << 63), -1, __LINE__);
	expect_secinfo_einval(SGX_SECINFO_TCS | (1ull << 32), -1, __LINE__);
}

TEST(add_pages_secinfo_reserved_bytes_einval)
{
	expect_secinfo_einval(REG_RW, 0, __LINE__);
	expect_secinfo_einval(REG_RW, 55, __LINE__);
	expect_secinfo_einval(SGX_SECINFO_TCS, 20, __LINE__);
}

TEST_WITH(add_pages_secinfo_checked_before_source_einval, dfx_new_created(0))
{
	void *none = dfx_unreadable();
	struct sgx_secinfo secinfo = { .flags = SGX_SECINFO_REG | SGX_SECINFO_W };
	struct sgx_enclave_add_pages arg = add_arg(none, DFX_DATA, PAGE, &secinfo, 0);

	ASSERT_TRUE(none);
	EXPECT_ERRNO(add(e, &arg), EINVAL);
	EXPECT_EQ(arg.count, COUNT_SENTINEL);
	dfx_page_free(none);
}

/* The page loop */

TEST_ADD(add_pages_success_copies_back_count, 3, 9)
{
	size_t before = dfx_free_epc();
	uint64_t off;

	secinfo->flags = REG_RX;
	arg->length = 3 * PAGE;
	arg->flags = SGX_PAGE_MEASURE;
	EXPECT_EQ(add(e, arg), 0);
	EXPECT_EQ(arg->count, 3 * PAGE);
	/* The other fields go back as they came. */
	EXPECT_EQ(arg->src, (uintptr_t)src);
	EXPECT_EQ(arg->offset, DFX_DATA);
	EXPECT_EQ(arg->length, 3 * PAGE);
	EXPECT_EQ(arg->secinfo, (uintptr_t)secinfo);
	EXPECT_EQ(arg->flags, SGX_PAGE_MEASURE);
	EXPECT_EQ(dfx_free_epc(), before - 3);
	for (off = 0; off < 3 * PAGE; off += PAGE) {
		struct sgx_epcm_info m = dfx_epcm(e, DFX_DATA + off);

		EXPECT_TRUE(m.valid);
		EXPECT_EQ(m.type, SGX_PAGE_TYPE_REG);
		EXPECT_EQ(m.perm, SGX_SECINFO_R | SGX_SECINFO_X);
		EXPECT_TRUE(!m.pending && !m.modified);
		EXPECT_EQ(m.linaddr, dfx_la(e, DFX_DATA + off));
		EXPECT_TRUE(memcmp(dfx_mem(e, DFX_DATA + off), src + off, PAGE) == 0);
	}
	EXPECT_TRUE(!page_added(e, DFX_DATA + 3 * PAGE));
}

TEST_WITH(add_pages_tcs_has_no_epcm_permissions, dfx_new_created(0))
{
	struct sgx_tcs *tcs = aligned_alloc(PAGE, PAGE);
	struct sgx_secinfo secinfo = { .flags = SGX_SECINFO_TCS };
	struct sgx_enclave_add_pages arg = add_arg(tcs, DFX_TCS0, PAGE, &secinfo, SGX_PAGE_MEASURE);
	struct sgx_epcm_info m;

	ASSERT_TRUE(tcs);
	fx_tcs_default(tcs, DFX_SSA0);
	EXPECT_EQ(add(e, &arg), 0);
	EXPECT_EQ(arg.count, PAGE);
	m = dfx_epcm(e, DFX_TCS0);
	EXPECT_TRUE(m.valid);
	EXPECT_EQ(m.type, SGX_PAGE_TYPE_TCS);
	EXPECT_EQ(m.perm, 0);
	free(tcs);
}

TEST_WITH(add_pages_secinfo_permissions_bound_mappings, dfx_new_created(0))
{
	struct sgx_tcs *tcs = aligned_alloc(PAGE, PAGE);
	void *at_r = dfx_ptr(e, DFX_RODATA), *at_tcs = dfx_ptr(e, DFX_TCS0);

	ASSERT_TRUE(tcs);
	fx_tcs_default(tcs, DFX_SSA0);
	ASSERT_EQ(dfx_add(e, DFX_TCS0, PAGE, tcs, SGX_SECINFO_TCS, true), 0);
	ASSERT_EQ(dfx_add(e, DFX_RODATA, PAGE, NULL, REG_R, true), 0);
	/* vm_max_prot_bits: the SECINFO's RWX for a REG page, RW for a TCS. */
	EXPECT_TRUE(dfx_map(e, DFX_RODATA, PAGE, RW) == MAP_FAILED && errno == EACCES);
	EXPECT_TRUE(dfx_map(e, DFX_RODATA, PAGE, PROT_READ | PROT_EXEC) == MAP_FAILED &&
		    errno == EACCES);
	EXPECT_TRUE(dfx_map(e, DFX_RODATA, PAGE, PROT_READ) == at_r);
	EXPECT_TRUE(dfx_map(e, DFX_TCS0, PAGE, RWX) == MAP_FAILED && errno == EACCES);
	EXPECT_TRUE(dfx_map(e, DFX_TCS0, PAGE, RW) == at_tcs);
	free(tcs);
}

TEST_ADD(add_pages_page_already_added_ebusy_with_count, 3, 3)
{
	uint8_t *first = pages_new(1, 77);
	size_t before;

	ASSERT_TRUE(first);
	ASSERT_EQ(dfx_add(e, DFX_DATA + PAGE, PAGE, first, REG_R, true), 0);
	before = dfx_free_epc();
	arg->length = 3 * PAGE;
	EXPECT_ERRNO(add(e, arg), EBUSY);
	EXPECT_EQ(arg->count, PAGE);
	EXPECT_TRUE(page_added(e, DFX_DATA));
	EXPECT_TRUE(memcmp(dfx_mem(e, DFX_DATA), src, PAGE) == 0);
	/* The page that was there is untouched; the loop stopped at it. */
	EXPECT_EQ(dfx_epcm(e, DFX_DATA + PAGE).perm, SGX_SECINFO_R);
	EXPECT_TRUE(memcmp(dfx_mem(e, DFX_DATA + PAGE), first, PAGE) == 0);
	EXPECT_TRUE(!page_added(e, DFX_DATA + 2 * PAGE));
	EXPECT_EQ(dfx_free_epc(), before - 1);
	free(first);
}

TEST_ADD(add_pages_first_page_already_added_ebusy_count_zero, 2, 3)
{
	ASSERT_EQ(dfx_add(e, DFX_DATA, PAGE, NULL, REG_RW, true), 0);
	arg->length = 2 * PAGE;
	EXPECT_ERRNO(add(e, arg), EBUSY);
	EXPECT_EQ(arg->count, 0);
	EXPECT_TRUE(!page_added(e, DFX_DATA + PAGE));
}

TEST_WITH(add_pages_unreadable_source_page_efault_with_count, dfx_new_created(0))
{
	uint8_t *src = mmap(NULL, 3 * PAGE, RW, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	struct sgx_secinfo secinfo = { .flags = REG_RW };
	struct sgx_enclave_add_pages arg = add_arg(src, DFX_DATA, 3 * PAGE, &secinfo, SGX_PAGE_MEASURE);
	size_t before;

	ASSERT_TRUE(src != MAP_FAILED);
	memset(src, 0x11, 3 * PAGE);
	ASSERT_EQ(mprotect(src + PAGE, PAGE, PROT_NONE), 0);
	before = dfx_free_epc();
	EXPECT_ERRNO(add(e, &arg), EFAULT);
	EXPECT_EQ(arg.count, PAGE);
	EXPECT_TRUE(page_added(e, DFX_DATA));
	EXPECT_TRUE(!page_added(e, DFX_DATA + PAGE));
	EXPECT_TRUE(!page_added(e, DFX_DATA + 2 * PAGE));
	EXPECT_EQ(dfx_free_epc(), before - 1);
	/* The offset of the failed page is free again. */
	EXPECT_EQ(dfx_add(e, DFX_DATA + PAGE, PAGE, NULL, REG_RW, true), 0);
	munmap(src, 3 * PAGE);
}

TEST_ADD(add_pages_unmapped_source_efault, 1, 1)
{
	arg->src = PAGE;
	EXPECT_ERRNO(add(e, arg), EFAULT);
	EXPECT_EQ(arg->count, 0);
	EXPECT_TRUE(!page_added(e, DFX_DATA));
}

TEST_WITH(add_pages_source_in_enclave_mapping_efault, dfx_new_created(0))
{
	struct dfx_encl *a = dfx_build();
	struct sgx_secinfo secinfo = { .flags = REG_RW };
	struct sgx_enclave_add_pages arg;

	ASSERT_TRUE(a);
	/* A page of another enclave, mapped, present and readable through its mapping. */
	ASSERT_TRUE(dfx_touch_pages(a, DFX_DATA, 1, 0));
	/* Enclave mappings are VM_IO|VM_PFNMAP: get_user_pages() refuses them. */
	arg = add_arg(dfx_ptr(a, DFX_DATA), DFX_DATA, PAGE, &secinfo, 0);
	EXPECT_ERRNO(add(e, &arg), EFAULT);
	EXPECT_EQ(arg.count, 0);
	EXPECT_TRUE(!page_added(e, DFX_DATA));
	dfx_close(a);
}

TEST_ADD(add_pages_existing_page_before_unreadable_source_ebusy, 1, 1)
{
	void *none = dfx_unreadable();

	ASSERT_TRUE(none);
	ASSERT_EQ(dfx_add(e, DFX_DATA, PAGE, NULL, REG_RW, true), 0);
	/* The offset is claimed before the source is read. */
	arg->src = (uintptr_t)none;
	EXPECT_ERRNO(add(e, arg), EBUSY);
	EXPECT_EQ(arg->count, 0);
	dfx_page_free(none);
}

TEST_WITH(add_pages_eadd_failure_eio_with_count, dfx_new_created(0))
{
	struct sgx_tcs *tcs = aligned_alloc(PAGE, 2 * PAGE);
	struct sgx_secinfo secinfo = { .flags = SGX_SECINFO_TCS };
	struct sgx_enclave_add_pages arg = add_arg(tcs, DFX_TCS0, 2 * PAGE, &secinfo, SGX_PAGE_MEASURE);
	size_t before;

	ASSERT_TRUE(tcs);
	fx_tcs_default(&tcs[0], DFX_SSA0);
	fx_tcs_default(&tcs[1], DFX_SSA1);
	tcs[1].reserved[100] = 1; /* EADD: a TCS with reserved bytes set is #GP */
	before = dfx_free_epc();
	EXPECT_ERRNO(add(e, &arg), EIO);
	EXPECT_EQ(arg.count, PAGE);
	EXPECT_EQ(dfx_epcm(e, DFX_TCS0).type, SGX_PAGE_TYPE_TCS);
	EXPECT_TRUE(!page_added(e, DFX_TCS1));
	EXPECT_EQ(dfx_free_epc(), before - 1);
	/* Nothing was left at the failed offset. */
	tcs[1].reserved[100] = 0;
	EXPECT_EQ(dfx_add(e, DFX_TCS1, PAGE, &tcs[1], SGX_SECINFO_TCS, true), 0);
	EXPECT_EQ(dfx_epcm(e, DFX_TCS1).type, SGX_PAGE_TYPE_TCS);
	free(tcs);
}

/* SGX_PAGE_MEASURE */

/* INIT with a SIGSTRUCT for MRENCLAVE @mr. Returns softsgx_ioctl()'s value. */
static int init_for(struct dfx_encl *e, const uint8_t mr[32])
{
	struct sgx_sigstruct *sig = dfx_sigstruct(e);
	struct sgx_enclave_init init = { .sigstruct = (uintptr_t)sig };
	int ret, err;

	memcpy(sig->body.mrenclave, mr, 32);
	fx_sigstruct_sign(sig);
	ret = softsgx_ioctl(e->fd, SGX_IOC_ENCLAVE_INIT, &init);
	err = errno;
	free(sig);
	errno = err;
	return ret;
}

/*
 * ADD two pages at DFX_DATA with ADD_PAGES flags @flags; *@eextends gets
 * the EEXTENDs run, @mr_measured/@mr_plain the MRENCLAVE the enclave has
 * if the pages were / were not measured.
 */
static int add_two_measurable(struct dfx_encl *e, uint64_t flags, uint64_t *eextends,
			      uint8_t mr_measured[32], uint8_t mr_plain[32])
{
	uint8_t *src = pages_new(2, 42);
	struct sgx_secinfo secinfo = { .flags = REG_RW };
	struct sgx_enclave_add_pages arg = add_arg(src, DFX_DATA, 2 * PAGE, &secinfo, flags);
	struct sgx_measure *measured = sgx_measure_new(), *plain = sgx_measure_new();
	uint64_t before = softsgx_leaf_count(EEXTEND_LEAF), c;
	int ret;

	ret = add(e, &arg);
	*eextends = softsgx_leaf_count(EEXTEND_LEAF) - before;
	sgx_measure_ecreate(measured, 1, DFX_SIZE);
	sgx_measure_ecreate(plain, 1, DFX_SIZE);
	for (c = 0; c < 2 * PAGE; c += PAGE) {
		sgx_measure_page(measured, DFX_DATA + c, REG_RW, src + c, 1);
		sgx_measure_page(plain, DFX_DATA + c, REG_RW, src + c, 0);
	}
	sgx_measure_digest(measured, mr_measured);
	sgx_measure_digest(plain, mr_plain);
	sgx_measure_free(measured);
	sgx_measure_free(plain);
	free(src);
	return ret;
}

TEST_WITH(add_pages_measure_flag_extends_mrenclave, dfx_new_created(0))
{
	uint8_t measured[32], plain[32];
	uint64_t eextends;

	ASSERT_EQ(add_two_measurable(e, SGX_PAGE_MEASURE, &eextends, measured, plain), 0);
	EXPECT_EQ(eextends, 32); /* 16 EEXTENDs of 256 bytes per page */
	EXPECT_ERRNO(init_for(e, plain), EPERM);
	EXPECT_EQ(init_for(e, measured), 0);
}

TEST_WITH(add_pages_without_measure_flag_not_extended, dfx_new_created(0))
{
	uint8_t measured[32], plain[32];
	uint64_t eextends;

	ASSERT_EQ(add_two_measurable(e, 0, &eextends, measured, plain), 0);
	EXPECT_EQ(eextends, 0);
	EXPECT_ERRNO(init_for(e, measured), EPERM);
	EXPECT_EQ(init_for(e, plain), 0);
}

TEST(add_pages_other_flag_bits_ignored)
{
	struct dfx_encl *e = dfx_new_created(0), *f = dfx_new_created(0);
	uint8_t measured[32], plain[32];
	uint64_t eextends;

	ASSERT_TRUE(e && f);
	/* Every bit but SGX_PAGE_MEASURE: accepted, and not measured. */
	ASSERT_EQ(add_two_measurable(e, ~(uint64_t)SGX_PAGE_MEASURE, &eextends, measured, plain), 0);
	EXPECT_EQ(eextends, 0);
	EXPECT_EQ(init_for(e, plain), 0);
	/* Every bit: measured. */
	ASSERT_EQ(add_two_measurable(f, ~0ull, &eextends, measured, plain), 0);
	EXPECT_EQ(eextends, 32);
	EXPECT_EQ(init_for(f, measured), 0);
	dfx_close(f);
	dfx_close(e);
}

/* Copy-back */

TEST_ADD(add_pages_copy_back_failure_efault, 2, 5)
{
	struct sgx_enclave_add_pages copy;

	arg->length = 2 * PAGE;
	arg->flags = SGX_PAGE_MEASURE;
	copy = *arg;
	/* The driver can read the struct but not write it back. */
	EXPECT_ERRNO(dfx_ioctl_ro(e->fd, CMD, &copy, sizeof(copy)), EFAULT);
	EXPECT_EQ(copy.count, COUNT_SENTINEL);
	/* The pages were added all the same. */
	EXPECT_TRUE(page_added(e, DFX_DATA));
	EXPECT_TRUE(page_added(e, DFX_DATA + PAGE));
	EXPECT_TRUE(memcmp(dfx_mem(e, DFX_DATA + PAGE), src + PAGE, PAGE) == 0);
	EXPECT_ERRNO(add(e, arg), EBUSY);
	EXPECT_EQ(arg->count, 0);
}

TEST_ADD(add_pages_copy_back_failure_after_error_efault, 2, 5)
{
	ASSERT_EQ(dfx_add(e, DFX_DATA + PAGE, PAGE, NULL, REG_RW, true), 0);
	arg->length = 2 * PAGE;
	/* EBUSY after one page, then the copy-back fails: EFAULT wins. */
	EXPECT_ERRNO(dfx_ioctl_ro(e->fd, CMD, arg, sizeof(*arg)), EFAULT);
	EXPECT_TRUE(page_added(e, DFX_DATA));
}
