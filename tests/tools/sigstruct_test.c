/* SPDX-License-Identifier: MIT */
/*
 * `softsgx load --sigstruct` names what is wrong with a SIGSTRUCT, as
 * specifically as the driver's and EINIT's checks allow: what they refuse
 * for any enclave (not a SIGSTRUCT at all, a VENDOR the driver refuses,
 * reserved bits, each part of the signature check) before anything is
 * built; what EINIT refuses for this enclave (ISVFAMILYID without KSS,
 * another MRENCLAVE, other attributes) after it refused. Each SIGSTRUCT
 * here is wrong in one field only (changed, then signed again), unless it
 * is random.
 */
#include <stddef.h>

#include "harness.h"
#include "tools/signing.h"
#include "tools/tool_run.h"

/* Run load with @w's SIGSTRUCT; expect status 1 and each of @want (NULL-terminated) in stderr. */
static void expect_load_says(struct workdir *w, const char *const want[])
{
	struct tool_result r = TOOL(NULL, "load", "--sigstruct", w->sig, SOFTSGX_TEST_ENCLAVE);
	size_t i;

	EXPECT_EQ(r.status, 1);
	for (i = 0; want[i]; i++)
		EXPECT_CONTAINS(r.err, want[i]);
	EXPECT_TRUE(!strstr(r.out, "EINIT accepted"));
	tool_result_free(&r);
}

/* Copy the file @from to @to. Return: true on success. */
static bool copy_file(const char *from, const char *to)
{
	FILE *in = fopen(from, "rb"), *out = fopen(to, "wb");
	char buf[4096];
	size_t n;
	bool ok = in && out;

	while (ok && (n = fread(buf, 1, sizeof(buf), in)) > 0)
		ok = fwrite(buf, 1, n, out) == n;
	if (in)
		fclose(in);
	if (out)
		ok = !fclose(out) && ok;
	return ok;
}

static struct workdir made;

static void remove_made(void)
{
	workdir_remove(&made);
}

/*
 * A key and a SIGSTRUCT that EINIT accepts, in a scratch directory of its
 * own: copies of one pair made once (a key takes a while to generate).
 */
static bool signed_workdir(struct workdir *w)
{
	static bool have;

	if (!have) {
		if (!workdir_make(&made))
			return false;
		if (!make_signed(&made, NULL, NULL)) {
			workdir_remove(&made);
			return false;
		}
		have = true;
		atexit(remove_made);
	}
	if (!workdir_make(w))
		return false;
	if (copy_file(made.key, w->key) && copy_file(made.sig, w->sig))
		return true;
	workdir_remove(w);
	return false;
}

/* 1808 bytes of noise (a fixed xorshift sequence, so the failure is the same every run). */
static void write_noise(const char *path)
{
	uint64_t x = 0x9e3779b97f4a7c15ull, buf[SIGSTRUCT_SIZE / 8];
	FILE *f = fopen(path, "wb");
	size_t i;

	for (i = 0; i < SIGSTRUCT_SIZE / 8; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		buf[i] = x;
	}
	ASSERT_TRUE(f);
	EXPECT_EQ(fwrite(buf, sizeof(buf), 1, f), 1);
	fclose(f);
}

TEST(load_random_sigstruct_every_wrong_field_named)
{
	const char *const want[] = { "INIT would refuse the SIGSTRUCT", "for any enclave",
				     "its HEADER is not the fixed SIGSTRUCT header",
				     "its VENDOR is 0x", "not 0 or 0x8086",
				     "its HEADER2 is not the fixed SIGSTRUCT header",
				     "its EXPONENT is ", ", not 3", "its reserved bytes are not zero",
				     "(Linux's INIT: EINVAL, before EINIT, which would say "
				     "SGX_INVALID_SIG_STRUCT)",
				     NULL };
	struct workdir w;

	ASSERT_TRUE(workdir_make(&w));
	write_noise(w.sig);
	expect_load_says(&w, want);
	workdir_remove(&w);
}

static void set_vendor(struct sgx_sigstruct *sig)
{
	sig->header.vendor = 0x1234;
}

TEST(load_vendor_refused_by_driver_einval)
{
	const char *const want[] = { "its VENDOR is 0x1234, not 0 or 0x8086",
				     "(Linux's INIT: EINVAL, before EINIT, which would say "
				     "SGX_INVALID_SIG_STRUCT)",
				     NULL };
	struct workdir w;

	ASSERT_TRUE(signed_workdir(&w));
	ASSERT_TRUE(resign(&w, set_vendor));
	expect_load_says(&w, want);
	workdir_remove(&w);
}

static void set_header2(struct sgx_sigstruct *sig)
{
	sig->header.header2[4] = 0x61;
}

TEST(load_header2_refused_invalid_sig_struct)
{
	const char *const want[] = { "its HEADER2 is not the fixed SIGSTRUCT header",
				     "(EINIT: SGX_INVALID_SIG_STRUCT)", NULL };
	struct workdir w;

	ASSERT_TRUE(signed_workdir(&w));
	ASSERT_TRUE(resign(&w, set_header2));
	expect_load_says(&w, want);
	workdir_remove(&w);
}

TEST(load_exponent_refused_invalid_sig_struct)
{
	const char *const want[] = { "its EXPONENT is 2, not 3", "(EINIT: SGX_INVALID_SIG_STRUCT)",
				     NULL };
	struct workdir w;

	ASSERT_TRUE(signed_workdir(&w));
	corrupt(w.sig, offsetof(struct sgx_sigstruct, exponent)); /* 3 -> 2: not signed */
	expect_load_says(&w, want);
	workdir_remove(&w);
}

static void set_reserved3(struct sgx_sigstruct *sig)
{
	sig->body.reserved3[5] = 1;
}

TEST(load_reserved_bytes_refused_invalid_sig_struct)
{
	char byte[64];
	const char *const want[] = { byte, "(EINIT: SGX_INVALID_SIG_STRUCT)", NULL };
	struct workdir w;

	snprintf(byte, sizeof(byte), "its reserved bytes are not zero (byte %zu)",
		 offsetof(struct sgx_sigstruct, body.reserved3) + 5);
	ASSERT_TRUE(signed_workdir(&w));
	ASSERT_TRUE(resign(&w, set_reserved3));
	expect_load_says(&w, want);
	workdir_remove(&w);
}

static void set_reserved_attribute(struct sgx_sigstruct *sig)
{
	sig->body.attributes.flags |= 1ull << 3; /* reserved by Linux's mask */
}

static void set_reserved_misc(struct sgx_sigstruct *sig)
{
	sig->body.miscselect |= 1u << 5;
}

static void set_reserved_xfrm(struct sgx_sigstruct *sig)
{
	sig->body.attributes.xfrm |= 1ull << 40;
}

TEST(load_reserved_bits_refused_by_driver_einval)
{
	const char *const attr[] = { "its ATTRIBUTES (under ATTRIBUTEMASK) ask for bits 0x8 that "
				     "this processor does not offer",
				     "(Linux's INIT: EINVAL, before EINIT)", NULL };
	const char *const misc[] = { "its MISCSELECT (under MISCMASK) asks for bits 0x20 that this "
				     "processor does not offer",
				     "(Linux's INIT: EINVAL, before EINIT)", NULL };
	const char *const xfrm[] = { "its XFRM (under the mask) asks for bits 0x10000000000 that "
				     "this processor does not offer",
				     "(Linux's INIT: EINVAL, before EINIT)", NULL };
	struct workdir w;

	ASSERT_TRUE(signed_workdir(&w));
	ASSERT_TRUE(resign(&w, set_reserved_attribute));
	expect_load_says(&w, attr);
	workdir_remove(&w);
	ASSERT_TRUE(signed_workdir(&w));
	ASSERT_TRUE(resign(&w, set_reserved_misc));
	expect_load_says(&w, misc);
	workdir_remove(&w);
	ASSERT_TRUE(signed_workdir(&w));
	ASSERT_TRUE(resign(&w, set_reserved_xfrm));
	expect_load_says(&w, xfrm);
	workdir_remove(&w);
}

TEST(load_even_modulus_refused_invalid_signature)
{
	const char *const want[] = { "its MODULUS is not an odd 3072-bit number",
				     "(EINIT: SGX_INVALID_SIGNATURE)", NULL };
	struct workdir w;

	ASSERT_TRUE(signed_workdir(&w));
	corrupt(w.sig, offsetof(struct sgx_sigstruct, modulus)); /* the lowest bit */
	expect_load_says(&w, want);
	workdir_remove(&w);
}

TEST(load_signature_above_modulus_refused_invalid_signature)
{
	const char *const want[] = { "its SIGNATURE is not below its MODULUS",
				     "(EINIT: SGX_INVALID_SIGNATURE)", NULL };
	struct workdir w;
	FILE *f;
	uint8_t ones[SGX_MODULUS_SIZE];

	ASSERT_TRUE(signed_workdir(&w));
	memset(ones, 0xff, sizeof(ones));
	f = fopen(w.sig, "r+b");
	ASSERT_TRUE(f);
	fseek(f, SIGNATURE_OFFSET, SEEK_SET);
	EXPECT_EQ(fwrite(ones, sizeof(ones), 1, f), 1);
	fclose(f);
	expect_load_says(&w, want);
	workdir_remove(&w);
}

TEST(load_q1_refused_invalid_signature)
{
	const char *const want[] = { "its Q1 and Q2 are not those of its SIGNATURE and MODULUS",
				     "(EINIT: SGX_INVALID_SIGNATURE)", NULL };
	struct workdir w;

	ASSERT_TRUE(signed_workdir(&w));
	corrupt(w.sig, offsetof(struct sgx_sigstruct, q1) + 7);
	expect_load_says(&w, want);
	workdir_remove(&w);
}

static void set_family_id(struct sgx_sigstruct *sig)
{
	sig->body.isv_family_id[0] = 1;
}

/* EINIT refuses it for this enclave (no KSS): found after EINIT refused. */
TEST(load_family_id_without_kss_refused_invalid_sig_struct)
{
	const char *const want[] = { "EINIT refused the SIGSTRUCT for", "(INIT: EPERM)",
				     "its ISVFAMILYID is set, which needs the KSS attribute",
				     "(EINIT: SGX_INVALID_SIG_STRUCT)", NULL };
	struct workdir w;

	ASSERT_TRUE(signed_workdir(&w));
	ASSERT_TRUE(resign(&w, set_family_id));
	expect_load_says(&w, want);
	workdir_remove(&w);
}

static void clear_debug(struct sgx_sigstruct *sig)
{
	sig->body.attributes.flags &= ~SGX_ATTR_DEBUG;
}

TEST(load_other_attributes_refused_invalid_attribute)
{
	const char *const want[] = { "EINIT refused the SIGSTRUCT for",
				     "its ATTRIBUTES or MISCSELECT (under their masks) differ",
				     "(EINIT: SGX_INVALID_ATTRIBUTE)", NULL };
	struct workdir w;

	ASSERT_TRUE(signed_workdir(&w));
	ASSERT_TRUE(resign(&w, clear_debug));
	expect_load_says(&w, want);
	workdir_remove(&w);
}
