/* SPDX-License-Identifier: MIT */
/*
 * SGX_IOC_ENCLAVE_INIT, in Linux's order: state (EINVAL), the argument and
 * the 1808-byte SIGSTRUCT (EFAULT), VENDOR (EINVAL), SECS attributes
 * outside the allowed mask (EACCES), reserved ATTRIBUTES/MISCSELECT/XFRM
 * bits under the SIGSTRUCT's masks (EINVAL), then EINIT: any SGX error is
 * EPERM. A failed INIT changes nothing and may be retried; nothing is
 * copied back.
 */
#include <stdlib.h>
#include <unistd.h>

#include "common.h"
#include "cpu/fixture.h"

#define CMD SGX_IOC_ENCLAVE_INIT

/* A created enclave with a TCS and two measured data pages, not initialized. */
static struct dfx_encl *encl_new(uint64_t attributes)
{
	struct dfx_encl *e = dfx_new_created(attributes);
	struct sgx_tcs *tcs = aligned_alloc(PAGE, PAGE);
	bool ok = e && tcs;

	if (ok) {
		fx_tcs_default(tcs, DFX_SSA0);
		tcs->oentry = DFX_CODE;
		ok = !dfx_add(e, DFX_TCS0, PAGE, tcs, SGX_SECINFO_TCS, true) &&
		     !dfx_add(e, DFX_DATA, 2 * PAGE, NULL, REG_RW, true);
	}
	free(tcs);
	if (!ok) {
		harness_fail(__FILE__, __LINE__, "adding pages: %s", strerrorname_np(errno));
		dfx_close(e);
		return NULL;
	}
	return e;
}

static int init_with(struct dfx_encl *e, const void *sigstruct)
{
	struct sgx_enclave_init init = { .sigstruct = (uintptr_t)sigstruct };

	return softsgx_ioctl(e->fd, CMD, &init);
}

/*
 * The enclave is initialized: ADD_PAGES of a free page is refused with
 * EINVAL. (Before INIT the page is added, and measured in the mirror.)
 */
static bool is_initialized(struct dfx_encl *e)
{
	uint64_t off = DFX_FREE;

	while (dfx_epcm(e, off).valid)
		off += PAGE;
	errno = 0;
	return dfx_add(e, off, PAGE, NULL, REG_RW, true) == -1 && errno == EINVAL;
}

/*
 * INIT with @sig fails with @err; the enclave stays uninitialized and an
 * INIT with a correct SIGSTRUCT then succeeds.
 */
static void expect_init_fails(struct dfx_encl *e, const struct sgx_sigstruct *sig, int err, int line)
{
	long ret;

	errno = 0;
	ret = init_with(e, sig);
	if (ret != -1 || errno != err)
		harness_fail(__FILE__, line, "INIT returned %ld errno %s, expected -1 errno %s", ret,
			     errno ? strerrorname_np(errno) : "0", strerrorname_np(err));
	if (is_initialized(e))
		harness_fail(__FILE__, line, "initialized after a failed INIT");
	if (dfx_init(e))
		harness_fail(__FILE__, line, "retry of INIT: %s", strerrorname_np(errno));
	if (!is_initialized(e))
		harness_fail(__FILE__, line, "not initialized after the retry");
}

#define EXPECT_INIT_FAILS(e, sig, err) expect_init_fails(e, sig, err, __LINE__)

/*
 * TEST_SIGSTRUCT(name, attributes) { body }: a test on a fresh enclave @e
 * (encl_new(@attributes)) and its correct SIGSTRUCT @sig, which the body
 * may change and sign again (freed afterwards).
 */
#define TEST_SIGSTRUCT(name, attributes)                                      \
	static void sig_##name(struct dfx_encl *e, struct sgx_sigstruct *sig); \
	TEST_WITH(name, encl_new(attributes))                                 \
	{                                                                     \
		struct sgx_sigstruct *sig = dfx_sigstruct(e);                 \
                                                                              \
		sig_##name(e, sig);                                           \
		free(sig);                                                    \
	}                                                                     \
	static void sig_##name(struct dfx_encl *e, struct sgx_sigstruct *sig)

/*
 * TEST_RESIGNED(name, err) { body }: the body changes @sig, the correct
 * SIGSTRUCT of a fresh enclave (no extra attributes); signed again, INIT
 * with it fails with @err (EXPECT_INIT_FAILS()), or succeeds if @err is 0.
 */
#define TEST_RESIGNED(name, err)                                   \
	static void resign_##name(struct sgx_sigstruct *sig);      \
	TEST_SIGSTRUCT(name, 0)                                    \
	{                                                          \
		resign_##name(sig);                                \
		fx_sigstruct_sign(sig);                            \
		if (err)                                           \
			EXPECT_INIT_FAILS(e, sig, err);            \
		else                                               \
			EXPECT_EQ(init_with(e, sig), 0);           \
	}                                                          \
	static void resign_##name(struct sgx_sigstruct *sig)

/* Success */

TEST_WITH(init_valid_sigstruct_succeeds, encl_new(0))
{
	struct sgx_sigstruct *sig;

	EXPECT_TRUE(!is_initialized(e));
	sig = dfx_sigstruct(e); /* is_initialized() added a page */
	EXPECT_EQ(init_with(e, sig), 0);
	EXPECT_TRUE(is_initialized(e));
	free(sig);
}

TEST_SIGSTRUCT(init_copies_nothing_back, 0)
{
	struct sgx_enclave_init arg = { .sigstruct = (uintptr_t)sig };
	struct sgx_sigstruct *copy = aligned_alloc(PAGE, PAGE);

	ASSERT_TRUE(copy);
	memcpy(copy, sig, sizeof(*sig));
	/* _IOW: a read-only argument is fine, and the SIGSTRUCT is left as it was. */
	EXPECT_EQ(dfx_ioctl_ro(e->fd, CMD, &arg, sizeof(arg)), 0);
	EXPECT_EQ(arg.sigstruct, (uintptr_t)sig);
	EXPECT_TRUE(memcmp(copy, sig, sizeof(*sig)) == 0);
	free(copy);
}

TEST_SIGSTRUCT(init_unaligned_sigstruct_succeeds, 0)
{
	uint8_t *buf = aligned_alloc(PAGE, 2 * PAGE);

	ASSERT_TRUE(buf);
	/* The driver copies the SIGSTRUCT into its own page-aligned buffer. */
	memcpy(buf + 3, sig, sizeof(*sig));
	EXPECT_EQ(init_with(e, buf + 3), 0);
	free(buf);
}

TEST_RESIGNED(init_vendor_zero_succeeds, 0)
{
	sig->header.vendor = 0;
}

/* State */

TEST(init_before_create_einval)
{
	int fd = softsgx_open("/dev/sgx_enclave", O_RDWR);
	struct sgx_sigstruct *sig = aligned_alloc(PAGE, PAGE);
	struct sgx_enclave_init init = { .sigstruct = (uintptr_t)sig };

	ASSERT_TRUE(fd >= 0 && sig);
	memset(sig, 0, PAGE);
	EXPECT_ERRNO(softsgx_ioctl(fd, CMD, &init), EINVAL);
	/* The state is checked before the argument is read. */
	EXPECT_ERRNO(softsgx_ioctl(fd, CMD, (void *)8), EINVAL);
	free(sig);
	softsgx_close(fd);
}

TEST_SIGSTRUCT(init_twice_einval, 0)
{
	ASSERT_EQ(init_with(e, sig), 0);
	EXPECT_ERRNO(init_with(e, sig), EINVAL);
	EXPECT_ERRNO(softsgx_ioctl(e->fd, CMD, (void *)8), EINVAL);
	EXPECT_TRUE(is_initialized(e));
}

/* The argument and the SIGSTRUCT */

TEST_WITH(init_unreadable_arg_efault, encl_new(0))
{
	uint8_t *hole = dfx_before_hole();

	ASSERT_TRUE(hole);
	dfx_expect_unreadable_arg(e->fd, CMD, EFAULT);
	EXPECT_ERRNO(softsgx_ioctl(e->fd, CMD, hole + PAGE - 4), EFAULT);
	EXPECT_INIT_FAILS(e, (const struct sgx_sigstruct *)8, EFAULT);
	dfx_hole_free(hole);
}

TEST_SIGSTRUCT(init_unreadable_sigstruct_efault, 0)
{
	void *none = dfx_unreadable();
	uint8_t *hole = dfx_before_hole();

	ASSERT_TRUE(none && hole);
	EXPECT_ERRNO(init_with(e, NULL), EFAULT);
	EXPECT_ERRNO(init_with(e, (void *)8), EFAULT);
	EXPECT_ERRNO(init_with(e, none), EFAULT);
	/* All 1808 bytes are read: a SIGSTRUCT whose last byte lies in the hole is unreadable. */
	memcpy(hole + PAGE - sizeof(*sig) + 1, sig, sizeof(*sig) - 1);
	EXPECT_INIT_FAILS(e, (const struct sgx_sigstruct *)(hole + PAGE - sizeof(*sig) + 1), EFAULT);
	dfx_hole_free(hole);
	dfx_page_free(none);
}

/* VENDOR */

TEST_RESIGNED(init_sigstruct_vendor_invalid_einval, EINVAL)
{
	sig->header.vendor = 0x8087;
}

TEST_SIGSTRUCT(init_sigstruct_vendor_checked_before_attributes_einval, SGX_ATTR_PROVISIONKEY)
{
	sig->header.vendor = 1;
	fx_sigstruct_sign(sig);
	/* Also an EACCES case (PROVISIONKEY without PROVISION): VENDOR comes first. */
	EXPECT_ERRNO(init_with(e, sig), EINVAL);
}

/* Attributes the enclave may not have */

/* PROVISION for @e with a /dev/sgx_provision descriptor opened here.
 * Return: that descriptor (the caller closes it), or -1. */
static int provision(struct dfx_encl *e)
{
	int prov = softsgx_open("/dev/sgx_provision", O_RDWR);
	struct sgx_enclave_provision arg = { .fd = (uint64_t)prov };

	if (prov >= 0 && softsgx_ioctl(e->fd, SGX_IOC_ENCLAVE_PROVISION, &arg)) {
		softsgx_close(prov);
		return -1;
	}
	return prov;
}

TEST_SIGSTRUCT(init_provisionkey_without_provision_eacces, SGX_ATTR_PROVISIONKEY)
{
	EXPECT_ERRNO(init_with(e, sig), EACCES);
	EXPECT_TRUE(!is_initialized(e));
}

TEST_SIGSTRUCT(init_provisionkey_with_provision_succeeds, SGX_ATTR_PROVISIONKEY)
{
	int prov = provision(e);

	ASSERT_TRUE(prov >= 0);
	EXPECT_EQ(init_with(e, sig), 0);
	EXPECT_TRUE(is_initialized(e));
	softsgx_close(prov);
}

TEST_SIGSTRUCT(init_einittoken_key_eacces, SGX_ATTR_EINITTOKENKEY)
{
	int prov;

	EXPECT_ERRNO(init_with(e, sig), EACCES);
	/* PROVISION allows PROVISIONKEY only: EINITTOKEN_KEY is never allowed. */
	prov = provision(e);
	ASSERT_TRUE(prov >= 0);
	EXPECT_ERRNO(init_with(e, sig), EACCES);
	EXPECT_TRUE(!is_initialized(e));
	softsgx_close(prov);
}

TEST_SIGSTRUCT(init_attributes_checked_before_reserved_bits_eacces, SGX_ATTR_PROVISIONKEY)
{
	sig->body.attributes.flags |= 1ull << 3;
	sig->body.attributes_mask.flags |= 1ull << 3;
	fx_sigstruct_sign(sig);
	EXPECT_ERRNO(init_with(e, sig), EACCES);
}

/* Reserved bits under the SIGSTRUCT's masks */

TEST(init_sigstruct_reserved_attribute_under_mask_einval)
{
	static const uint64_t bits[] = { 1ull << 3, SGX_ATTR_CET /* not offered */, 1ull << 8,
					 1ull << 9, 1ull << 11, 1ull << 63 };
	size_t i;

	for (i = 0; i < sizeof(bits) / sizeof(bits[0]); i++) {
		struct dfx_encl *e = encl_new(0);
		struct sgx_sigstruct *sig;

		ASSERT_TRUE(e);
		sig = dfx_sigstruct(e);
		sig->body.attributes.flags |= bits[i];
		sig->body.attributes_mask.flags |= bits[i];
		fx_sigstruct_sign(sig);
		EXPECT_INIT_FAILS(e, sig, EINVAL);
		free(sig);
		dfx_close(e);
	}
}

TEST_RESIGNED(init_sigstruct_reserved_attribute_outside_mask_succeeds, 0)
{
	/* Set but not enforced: EINIT compares masked bits only. */
	sig->body.attributes.flags |= (1ull << 3) | (1ull << 63);
}

TEST_RESIGNED(init_sigstruct_reserved_misc_under_mask_einval, EINVAL)
{
	sig->body.miscselect |= 1u << 1;
	sig->body.misc_mask = ~0u;
}

TEST_RESIGNED(init_sigstruct_reserved_misc_outside_mask_succeeds, 0)
{
	sig->body.miscselect |= 1u << 5;
	sig->body.misc_mask = ~(1u << 5);
}

TEST_RESIGNED(init_sigstruct_reserved_xfrm_under_mask_einval, EINVAL)
{
	sig->body.attributes.xfrm |= 1ull << 9;
	sig->body.attributes_mask.xfrm |= 1ull << 9;
}

TEST_RESIGNED(init_sigstruct_reserved_xfrm_outside_mask_succeeds, 0)
{
	sig->body.attributes.xfrm |= 1ull << 9;
}

TEST_RESIGNED(init_sigstruct_reserved_bits_checked_before_einit_einval, EINVAL)
{
	/* All three under their masks: the same EINVAL whichever is looked at first,
	 * and none of them reaches EINIT (which would make it EPERM). */
	sig->body.attributes.flags |= 1ull << 3;
	sig->body.attributes_mask.flags |= 1ull << 3;
	sig->body.miscselect |= 1u << 1;
	sig->body.attributes.xfrm |= 1ull << 9;
	sig->body.attributes_mask.xfrm |= 1ull << 9;
	sig->body.mrenclave[0] ^= 1;
}

/* EINIT's refusals: EPERM */

TEST_SIGSTRUCT(init_bad_signature_eperm, 0)
{
	sig->signature[17] ^= 0x40;
	EXPECT_INIT_FAILS(e, sig, EPERM);
}

TEST_SIGSTRUCT(init_signed_fields_changed_after_signing_eperm, 0)
{
	sig->body.isv_svn++;
	EXPECT_INIT_FAILS(e, sig, EPERM);
}

TEST_RESIGNED(init_wrong_mrenclave_eperm, EPERM)
{
	sig->body.mrenclave[31] ^= 1;
}

TEST_SIGSTRUCT(init_mrenclave_of_fewer_pages_eperm, 0)
{
	/* Signed for what was added so far; then one more page is added. */
	ASSERT_EQ(dfx_add(e, DFX_RODATA, PAGE, NULL, REG_R, true), 0);
	EXPECT_INIT_FAILS(e, sig, EPERM);
}

TEST_RESIGNED(init_attribute_mismatch_eperm, EPERM)
{
	/* DEBUG is enforced by the mask, and the SIGSTRUCT says non-debug. */
	sig->body.attributes.flags &= ~SGX_ATTR_DEBUG;
}

TEST_RESIGNED(init_xfrm_mismatch_eperm, EPERM)
{
	sig->body.attributes.xfrm = 0x7; /* AVX (offered), the enclave has 0x3 */
	sig->body.attributes_mask.xfrm = 0x7;
}

TEST_RESIGNED(init_miscselect_mismatch_eperm, EPERM)
{
	sig->body.miscselect = 0; /* the enclave has EXINFO, enforced by the mask */
}

TEST_RESIGNED(init_sigstruct_reserved_bytes_eperm, EPERM)
{
	sig->header.reserved1[0] = 1; /* EINIT: SGX_INVALID_SIG_STRUCT */
}

TEST_RESIGNED(init_sigstruct_bad_header_eperm, EPERM)
{
	sig->header.header2[0] ^= 1;
}

TEST_RESIGNED(init_isvfamilyid_without_kss_eperm, EPERM)
{
	sig->body.isv_family_id[0] = 1;
}

/* After a failure */

TEST_SIGSTRUCT(init_failure_changes_no_state, 0)
{
	sig->body.mrenclave[0] ^= 1;
	fx_sigstruct_sign(sig);
	EXPECT_ERRNO(init_with(e, sig), EPERM);
	/* Still being built: more pages, then INIT for the new measurement. */
	EXPECT_EQ(dfx_add(e, DFX_RODATA, PAGE, NULL, REG_R, true), 0);
	EXPECT_TRUE(dfx_epcm(e, DFX_RODATA).valid);
	EXPECT_ERRNO(init_with(e, sig), EPERM);
	EXPECT_EQ(dfx_init(e), 0);
	EXPECT_TRUE(is_initialized(e));
}

TEST_SIGSTRUCT(init_failure_eacces_then_retry_succeeds, SGX_ATTR_PROVISIONKEY)
{
	int prov;

	EXPECT_ERRNO(init_with(e, sig), EACCES);
	EXPECT_ERRNO(init_with(e, sig), EACCES);
	prov = provision(e);
	ASSERT_TRUE(prov >= 0);
	EXPECT_EQ(init_with(e, sig), 0);
	softsgx_close(prov);
}
