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

#include "cpu/fixture.h"
#include "dfx.h"

#define PAGE 4096ull
#define REG_RW (SGX_SECINFO_REG | SGX_SECINFO_R | SGX_SECINFO_W)

/* A created enclave with a TCS and two measured data pages, not initialized. */
static struct dfx_encl *encl_new(uint64_t attributes)
{
	struct dfx_encl *e = dfx_new_created(attributes);
	struct sgx_tcs *tcs = aligned_alloc(PAGE, PAGE);
	bool ok;

	if (!e || !tcs) {
		free(tcs);
		dfx_close(e);
		return NULL;
	}
	fx_tcs_default(tcs, DFX_SSA0);
	tcs->oentry = DFX_CODE;
	ok = !dfx_add(e, DFX_TCS0, PAGE, tcs, SGX_SECINFO_TCS, true) &&
	     !dfx_add(e, DFX_DATA, 2 * PAGE, NULL, REG_RW, true);
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

	return softsgx_ioctl(e->fd, SGX_IOC_ENCLAVE_INIT, &init);
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

/* A fresh enclave and its correct SIGSTRUCT, changed by the caller and re-signed. */
#define SETUP(e, sig, attributes)                  \
	struct dfx_encl *e = encl_new(attributes); \
	struct sgx_sigstruct *sig;                 \
	ASSERT_TRUE(e);                            \
	sig = dfx_sigstruct(e)

#define TEARDOWN(e, sig) \
	do {             \
		free(sig); \
		dfx_close(e); \
	} while (0)

/* Success */

TEST(init_valid_sigstruct_succeeds)
{
	SETUP(e, sig, 0);
	EXPECT_TRUE(!is_initialized(e));
	free(sig);
	sig = dfx_sigstruct(e); /* is_initialized() added a page */
	EXPECT_EQ(init_with(e, sig), 0);
	EXPECT_TRUE(is_initialized(e));
	TEARDOWN(e, sig);
}

TEST(init_copies_nothing_back)
{
	SETUP(e, sig, 0);
	struct sgx_enclave_init arg = { .sigstruct = (uintptr_t)sig }, *ro = dfx_ro_copy(&arg, sizeof(arg));
	struct sgx_sigstruct *copy = aligned_alloc(PAGE, PAGE);

	ASSERT_TRUE(ro && copy);
	memcpy(copy, sig, sizeof(*sig));
	/* _IOW: a read-only argument is fine, and the SIGSTRUCT is left as it was. */
	EXPECT_EQ(softsgx_ioctl(e->fd, SGX_IOC_ENCLAVE_INIT, ro), 0);
	EXPECT_EQ(ro->sigstruct, (uintptr_t)sig);
	EXPECT_TRUE(memcmp(copy, sig, sizeof(*sig)) == 0);
	free(copy);
	dfx_page_free(ro);
	TEARDOWN(e, sig);
}

TEST(init_unaligned_sigstruct_succeeds)
{
	SETUP(e, sig, 0);
	uint8_t *buf = aligned_alloc(PAGE, 2 * PAGE);

	ASSERT_TRUE(buf);
	/* The driver copies the SIGSTRUCT into its own page-aligned buffer. */
	memcpy(buf + 3, sig, sizeof(*sig));
	EXPECT_EQ(init_with(e, buf + 3), 0);
	free(buf);
	TEARDOWN(e, sig);
}

TEST(init_vendor_zero_succeeds)
{
	SETUP(e, sig, 0);
	sig->header.vendor = 0;
	fx_sigstruct_sign(sig);
	EXPECT_EQ(init_with(e, sig), 0);
	TEARDOWN(e, sig);
}

/* State */

TEST(init_before_create_einval)
{
	int fd = softsgx_open("/dev/sgx_enclave", O_RDWR);
	struct sgx_sigstruct *sig = aligned_alloc(PAGE, PAGE);
	struct sgx_enclave_init init = { .sigstruct = (uintptr_t)sig };

	ASSERT_TRUE(fd >= 0 && sig);
	memset(sig, 0, PAGE);
	EXPECT_ERRNO(softsgx_ioctl(fd, SGX_IOC_ENCLAVE_INIT, &init), EINVAL);
	/* The state is checked before the argument is read. */
	EXPECT_ERRNO(softsgx_ioctl(fd, SGX_IOC_ENCLAVE_INIT, (void *)8), EINVAL);
	free(sig);
	softsgx_close(fd);
}

TEST(init_twice_einval)
{
	SETUP(e, sig, 0);
	ASSERT_EQ(init_with(e, sig), 0);
	EXPECT_ERRNO(init_with(e, sig), EINVAL);
	EXPECT_ERRNO(softsgx_ioctl(e->fd, SGX_IOC_ENCLAVE_INIT, (void *)8), EINVAL);
	EXPECT_TRUE(is_initialized(e));
	TEARDOWN(e, sig);
}

/* The argument and the SIGSTRUCT */

TEST(init_unreadable_arg_efault)
{
	SETUP(e, sig, 0);
	void *none = dfx_unreadable();
	uint8_t *hole = dfx_before_hole();

	ASSERT_TRUE(none && hole);
	EXPECT_ERRNO(softsgx_ioctl(e->fd, SGX_IOC_ENCLAVE_INIT, (void *)8), EFAULT);
	EXPECT_ERRNO(softsgx_ioctl(e->fd, SGX_IOC_ENCLAVE_INIT, NULL), EFAULT);
	EXPECT_ERRNO(softsgx_ioctl(e->fd, SGX_IOC_ENCLAVE_INIT, none), EFAULT);
	EXPECT_ERRNO(softsgx_ioctl(e->fd, SGX_IOC_ENCLAVE_INIT, hole + PAGE - 4), EFAULT);
	expect_init_fails(e, (const struct sgx_sigstruct *)8, EFAULT, __LINE__);
	dfx_hole_free(hole);
	dfx_page_free(none);
	TEARDOWN(e, sig);
}

TEST(init_unreadable_sigstruct_efault)
{
	SETUP(e, sig, 0);
	void *none = dfx_unreadable();
	uint8_t *hole = dfx_before_hole();

	ASSERT_TRUE(none && hole);
	EXPECT_ERRNO(init_with(e, NULL), EFAULT);
	EXPECT_ERRNO(init_with(e, (void *)8), EFAULT);
	EXPECT_ERRNO(init_with(e, none), EFAULT);
	/* All 1808 bytes are read: a SIGSTRUCT whose last byte lies in the hole is unreadable. */
	memcpy(hole + PAGE - sizeof(*sig) + 1, sig, sizeof(*sig) - 1);
	expect_init_fails(e, (const struct sgx_sigstruct *)(hole + PAGE - sizeof(*sig) + 1), EFAULT,
			  __LINE__);
	dfx_hole_free(hole);
	dfx_page_free(none);
	TEARDOWN(e, sig);
}

/* VENDOR */

TEST(init_sigstruct_vendor_invalid_einval)
{
	SETUP(e, sig, 0);
	sig->header.vendor = 0x8087;
	fx_sigstruct_sign(sig);
	expect_init_fails(e, sig, EINVAL, __LINE__);
	TEARDOWN(e, sig);
}

TEST(init_sigstruct_vendor_checked_before_attributes_einval)
{
	SETUP(e, sig, SGX_ATTR_PROVISIONKEY);
	sig->header.vendor = 1;
	fx_sigstruct_sign(sig);
	/* Also an EACCES case (PROVISIONKEY without PROVISION): VENDOR comes first. */
	EXPECT_ERRNO(init_with(e, sig), EINVAL);
	TEARDOWN(e, sig);
}

/* Attributes the enclave may not have */

TEST(init_provisionkey_without_provision_eacces)
{
	SETUP(e, sig, SGX_ATTR_PROVISIONKEY);
	EXPECT_ERRNO(init_with(e, sig), EACCES);
	EXPECT_TRUE(!is_initialized(e));
	TEARDOWN(e, sig);
}

TEST(init_provisionkey_with_provision_succeeds)
{
	SETUP(e, sig, SGX_ATTR_PROVISIONKEY);
	int prov = softsgx_open("/dev/sgx_provision", O_RDWR);
	struct sgx_enclave_provision provision = { .fd = (uint64_t)prov };

	ASSERT_TRUE(prov >= 0);
	ASSERT_EQ(softsgx_ioctl(e->fd, SGX_IOC_ENCLAVE_PROVISION, &provision), 0);
	EXPECT_EQ(init_with(e, sig), 0);
	EXPECT_TRUE(is_initialized(e));
	softsgx_close(prov);
	TEARDOWN(e, sig);
}

TEST(init_einittoken_key_eacces)
{
	SETUP(e, sig, SGX_ATTR_EINITTOKENKEY);
	int prov = softsgx_open("/dev/sgx_provision", O_RDWR);
	struct sgx_enclave_provision provision = { .fd = (uint64_t)prov };

	ASSERT_TRUE(prov >= 0);
	EXPECT_ERRNO(init_with(e, sig), EACCES);
	/* PROVISION allows PROVISIONKEY only: EINITTOKEN_KEY is never allowed. */
	ASSERT_EQ(softsgx_ioctl(e->fd, SGX_IOC_ENCLAVE_PROVISION, &provision), 0);
	EXPECT_ERRNO(init_with(e, sig), EACCES);
	EXPECT_TRUE(!is_initialized(e));
	softsgx_close(prov);
	TEARDOWN(e, sig);
}

TEST(init_attributes_checked_before_reserved_bits_eacces)
{
	SETUP(e, sig, SGX_ATTR_PROVISIONKEY);
	sig->body.attributes.flags |= 1ull << 3;
	sig->body.attributes_mask.flags |= 1ull << 3;
	fx_sigstruct_sign(sig);
	EXPECT_ERRNO(init_with(e, sig), EACCES);
	TEARDOWN(e, sig);
}

/* Reserved bits under the SIGSTRUCT's masks */

TEST(init_sigstruct_reserved_attribute_under_mask_einval)
{
	static const uint64_t bits[] = { 1ull << 3, SGX_ATTR_CET, 1ull << 8, 1ull << 9,
					 SGX_ATTR_AEXNOTIFY /* not offered */, 1ull << 11, 1ull << 63 };
	size_t i;

	for (i = 0; i < sizeof(bits) / sizeof(bits[0]); i++) {
		SETUP(e, sig, 0);
		sig->body.attributes.flags |= bits[i];
		sig->body.attributes_mask.flags |= bits[i];
		fx_sigstruct_sign(sig);
		expect_init_fails(e, sig, EINVAL, __LINE__);
		TEARDOWN(e, sig);
	}
}

TEST(init_sigstruct_reserved_attribute_outside_mask_succeeds)
{
	SETUP(e, sig, 0);
	/* Set but not enforced: EINIT compares masked bits only. */
	sig->body.attributes.flags |= (1ull << 3) | (1ull << 63);
	fx_sigstruct_sign(sig);
	EXPECT_EQ(init_with(e, sig), 0);
	TEARDOWN(e, sig);
}

TEST(init_sigstruct_reserved_misc_under_mask_einval)
{
	SETUP(e, sig, 0);
	sig->body.miscselect |= 1u << 1;
	sig->body.misc_mask = ~0u;
	fx_sigstruct_sign(sig);
	expect_init_fails(e, sig, EINVAL, __LINE__);
	TEARDOWN(e, sig);
}

TEST(init_sigstruct_reserved_misc_outside_mask_succeeds)
{
	SETUP(e, sig, 0);
	sig->body.miscselect |= 1u << 5;
	sig->body.misc_mask = ~(1u << 5);
	fx_sigstruct_sign(sig);
	EXPECT_EQ(init_with(e, sig), 0);
	TEARDOWN(e, sig);
}

TEST(init_sigstruct_reserved_xfrm_under_mask_einval)
{
	SETUP(e, sig, 0);
	sig->body.attributes.xfrm |= 1ull << 9;
	sig->body.attributes_mask.xfrm |= 1ull << 9;
	fx_sigstruct_sign(sig);
	expect_init_fails(e, sig, EINVAL, __LINE__);
	TEARDOWN(e, sig);
}

TEST(init_sigstruct_reserved_xfrm_outside_mask_succeeds)
{
	SETUP(e, sig, 0);
	sig->body.attributes.xfrm |= 1ull << 9;
	fx_sigstruct_sign(sig);
	EXPECT_EQ(init_with(e, sig), 0);
	TEARDOWN(e, sig);
}

TEST(init_sigstruct_reserved_bits_checked_before_einit_einval)
{
	/* All three under their masks: the same EINVAL whichever is looked at first,
	 * and none of them reaches EINIT (which would make it EPERM). */
	SETUP(e, sig, 0);
	sig->body.attributes.flags |= 1ull << 3;
	sig->body.attributes_mask.flags |= 1ull << 3;
	sig->body.miscselect |= 1u << 1;
	sig->body.attributes.xfrm |= 1ull << 9;
	sig->body.attributes_mask.xfrm |= 1ull << 9;
	sig->body.mrenclave[0] ^= 1;
	fx_sigstruct_sign(sig);
	expect_init_fails(e, sig, EINVAL, __LINE__);
	TEARDOWN(e, sig);
}

/* EINIT's refusals: EPERM */

TEST(init_bad_signature_eperm)
{
	SETUP(e, sig, 0);
	sig->signature[17] ^= 0x40;
	expect_init_fails(e, sig, EPERM, __LINE__);
	TEARDOWN(e, sig);
}

TEST(init_signed_fields_changed_after_signing_eperm)
{
	SETUP(e, sig, 0);
	sig->body.isv_svn++;
	expect_init_fails(e, sig, EPERM, __LINE__);
	TEARDOWN(e, sig);
}

TEST(init_wrong_mrenclave_eperm)
{
	SETUP(e, sig, 0);
	sig->body.mrenclave[31] ^= 1;
	fx_sigstruct_sign(sig);
	expect_init_fails(e, sig, EPERM, __LINE__);
	TEARDOWN(e, sig);
}

TEST(init_mrenclave_of_fewer_pages_eperm)
{
	SETUP(e, sig, 0);
	/* Signed for what was added so far; then one more page is added. */
	ASSERT_EQ(dfx_add(e, DFX_RODATA, PAGE, NULL, SGX_SECINFO_REG | SGX_SECINFO_R, true), 0);
	expect_init_fails(e, sig, EPERM, __LINE__);
	TEARDOWN(e, sig);
}

TEST(init_attribute_mismatch_eperm)
{
	SETUP(e, sig, 0);
	/* DEBUG is enforced by the mask, and the SIGSTRUCT says non-debug. */
	sig->body.attributes.flags &= ~SGX_ATTR_DEBUG;
	fx_sigstruct_sign(sig);
	expect_init_fails(e, sig, EPERM, __LINE__);
	TEARDOWN(e, sig);
}

TEST(init_xfrm_mismatch_eperm)
{
	SETUP(e, sig, 0);
	sig->body.attributes.xfrm = 0x7; /* AVX (offered), the enclave has 0x3 */
	sig->body.attributes_mask.xfrm = 0x7;
	fx_sigstruct_sign(sig);
	expect_init_fails(e, sig, EPERM, __LINE__);
	TEARDOWN(e, sig);
}

TEST(init_miscselect_mismatch_eperm)
{
	SETUP(e, sig, 0);
	sig->body.miscselect = 0; /* the enclave has EXINFO, enforced by the mask */
	fx_sigstruct_sign(sig);
	expect_init_fails(e, sig, EPERM, __LINE__);
	TEARDOWN(e, sig);
}

TEST(init_sigstruct_reserved_bytes_eperm)
{
	SETUP(e, sig, 0);
	sig->header.reserved1[0] = 1; /* EINIT: SGX_INVALID_SIG_STRUCT */
	fx_sigstruct_sign(sig);
	expect_init_fails(e, sig, EPERM, __LINE__);
	TEARDOWN(e, sig);
}

TEST(init_sigstruct_bad_header_eperm)
{
	SETUP(e, sig, 0);
	sig->header.header2[0] ^= 1;
	fx_sigstruct_sign(sig);
	expect_init_fails(e, sig, EPERM, __LINE__);
	TEARDOWN(e, sig);
}

TEST(init_isvfamilyid_without_kss_eperm)
{
	SETUP(e, sig, 0);
	sig->body.isv_family_id[0] = 1;
	fx_sigstruct_sign(sig);
	expect_init_fails(e, sig, EPERM, __LINE__);
	TEARDOWN(e, sig);
}

/* After a failure */

TEST(init_failure_changes_no_state)
{
	SETUP(e, sig, 0);
	sig->body.mrenclave[0] ^= 1;
	fx_sigstruct_sign(sig);
	EXPECT_ERRNO(init_with(e, sig), EPERM);
	/* Still being built: more pages, then INIT for the new measurement. */
	EXPECT_EQ(dfx_add(e, DFX_RODATA, PAGE, NULL, SGX_SECINFO_REG | SGX_SECINFO_R, true), 0);
	EXPECT_TRUE(dfx_epcm(e, DFX_RODATA).valid);
	EXPECT_ERRNO(init_with(e, sig), EPERM);
	EXPECT_EQ(dfx_init(e), 0);
	EXPECT_TRUE(is_initialized(e));
	TEARDOWN(e, sig);
}

TEST(init_failure_eacces_then_retry_succeeds)
{
	SETUP(e, sig, SGX_ATTR_PROVISIONKEY);
	int prov = softsgx_open("/dev/sgx_provision", O_RDWR);
	struct sgx_enclave_provision provision = { .fd = (uint64_t)prov };

	ASSERT_TRUE(prov >= 0);
	EXPECT_ERRNO(init_with(e, sig), EACCES);
	EXPECT_ERRNO(init_with(e, sig), EACCES);
	ASSERT_EQ(softsgx_ioctl(e->fd, SGX_IOC_ENCLAVE_PROVISION, &provision), 0);
	EXPECT_EQ(init_with(e, sig), 0);
	softsgx_close(prov);
	TEARDOWN(e, sig);
}
