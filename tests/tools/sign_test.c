/* SPDX-License-Identifier: MIT */
/*
 * The signing round trip through the built command: keygen makes a key,
 * measure and sign compute MRENCLAVE in the loader's layout and write a
 * SIGSTRUCT, load --sigstruct has EINIT accept it; a corrupted or
 * mismatched SIGSTRUCT is refused with the reason named.
 */
#include <fcntl.h>
#include <sys/stat.h>

#include <openssl/pem.h>
#include <openssl/rsa.h>

#include "harness.h"
#include "tools/signing.h"
#include "tools/tool_run.h"

TEST(keygen_writes_0600_pem_and_never_overwrites)
{
	struct workdir w;
	struct tool_result r;
	struct stat st;

	ASSERT_TRUE(workdir_make(&w));
	r = TOOL(NULL, "keygen", "-o", w.key);
	EXPECT_EQ(r.status, 0);
	EXPECT_CONTAINS(r.out, "MRSIGNER  ");
	EXPECT_TRUE(!stat(w.key, &st) && (st.st_mode & 0777) == 0600);
	tool_result_free(&r);
	r = TOOL(NULL, "keygen", "--output", w.key);
	EXPECT_EQ(r.status, 1);
	EXPECT_CONTAINS(r.err, "exists: not overwriting a key");
	tool_result_free(&r);
	r = TOOL(NULL, "keygen");
	EXPECT_EQ(r.status, 2);
	EXPECT_CONTAINS(r.err, "missing -o KEY.pem");
	tool_result_free(&r);
	workdir_remove(&w);
}

TEST(measure_equals_loader_mrenclave)
{
	struct tool_result m = TOOL(NULL, "measure", SOFTSGX_TEST_ENCLAVE);
	struct tool_result l = TOOL(NULL, "load", SOFTSGX_TEST_ENCLAVE);
	char a[65], b[65];

	EXPECT_EQ(m.status, 0);
	EXPECT_EQ(l.status, 0);
	value_after(m.out, "MRENCLAVE ", a);
	value_after(l.out, "MRENCLAVE ", b);
	EXPECT_EQ(strlen(a), 64);
	EXPECT_TRUE(!strcmp(a, b));
	tool_result_free(&m);
	tool_result_free(&l);
}

TEST(sign_load_round_trip_einit_accepts)
{
	struct workdir w;
	struct tool_result r, k;
	struct stat st;
	char signer[65], loaded[65];

	ASSERT_TRUE(workdir_make(&w));
	ASSERT_TRUE(make_signed(&w, NULL, NULL));
	EXPECT_TRUE(!stat(w.sig, &st) && st.st_size == SIGSTRUCT_SIZE);
	r = TOOL(NULL, "load", "--sigstruct", w.sig, SOFTSGX_TEST_ENCLAVE);
	EXPECT_EQ(r.status, 0);
	EXPECT_CONTAINS(r.out, "EINIT accepted the SIGSTRUCT");
	/* MRSIGNER is the key's: keygen refuses to overwrite, so ask sign for it again. */
	k = TOOL(NULL, "sign", "--key", w.key, SOFTSGX_TEST_ENCLAVE, "-o", w.sig);
	value_after(k.out, "MRSIGNER  ", signer);
	value_after(r.out, "MRSIGNER  ", loaded);
	EXPECT_EQ(strlen(signer), 64);
	EXPECT_TRUE(!strcmp(signer, loaded));
	tool_result_free(&k);
	tool_result_free(&r);
	workdir_remove(&w);
}

TEST(load_corrupted_signature_refused_invalid_signature)
{
	struct workdir w;
	struct tool_result r;

	ASSERT_TRUE(workdir_make(&w));
	ASSERT_TRUE(make_signed(&w, NULL, NULL));
	corrupt(w.sig, SIGNATURE_OFFSET + 100);
	r = TOOL(NULL, "load", "--sigstruct", w.sig, SOFTSGX_TEST_ENCLAVE);
	EXPECT_EQ(r.status, 1);
	EXPECT_CONTAINS(r.err, "INIT would refuse the SIGSTRUCT");
	EXPECT_CONTAINS(r.err, "signature does not verify");
	EXPECT_CONTAINS(r.err, "SGX_INVALID_SIGNATURE");
	tool_result_free(&r);
	workdir_remove(&w);
}

TEST(load_corrupted_header_refused_invalid_sig_struct)
{
	struct workdir w;
	struct tool_result r;

	ASSERT_TRUE(workdir_make(&w));
	ASSERT_TRUE(make_signed(&w, NULL, NULL));
	corrupt(w.sig, 2); /* HEADER */
	r = TOOL(NULL, "load", "--sigstruct", w.sig, SOFTSGX_TEST_ENCLAVE);
	EXPECT_EQ(r.status, 1);
	EXPECT_CONTAINS(r.err, "SGX_INVALID_SIG_STRUCT");
	tool_result_free(&r);
	workdir_remove(&w);
}

TEST(load_other_layout_refused_invalid_measurement)
{
	struct workdir w;
	struct tool_result r;

	ASSERT_TRUE(workdir_make(&w));
	ASSERT_TRUE(make_signed(&w, "--threads", "3"));
	r = TOOL(NULL, "load", "--sigstruct", w.sig, SOFTSGX_TEST_ENCLAVE);
	EXPECT_EQ(r.status, 1);
	EXPECT_CONTAINS(r.err, "SGX_INVALID_MEASUREMENT");
	tool_result_free(&r);
	/* In the layout it was signed for, it is accepted. */
	r = TOOL(NULL, "load", "--threads", "3", "--sigstruct", w.sig, SOFTSGX_TEST_ENCLAVE);
	EXPECT_EQ(r.status, 0);
	tool_result_free(&r);
	workdir_remove(&w);
}

TEST(load_truncated_sigstruct_refused)
{
	struct workdir w;
	struct tool_result r;

	ASSERT_TRUE(workdir_make(&w));
	ASSERT_TRUE(make_signed(&w, NULL, NULL));
	ASSERT_EQ(truncate(w.sig, 1000), 0);
	r = TOOL(NULL, "load", "--sigstruct", w.sig, SOFTSGX_TEST_ENCLAVE);
	EXPECT_EQ(r.status, 1);
	EXPECT_CONTAINS(r.err, "is not a SIGSTRUCT: 1000 bytes");
	tool_result_free(&r);
	workdir_remove(&w);
}

TEST(sign_rsa2048_key_refused)
{
	struct workdir w;
	struct tool_result r;
	EVP_PKEY *key = EVP_RSA_gen(2048);
	FILE *f;

	ASSERT_TRUE(key && workdir_make(&w));
	f = fopen(w.key, "w");
	ASSERT_TRUE(f);
	EXPECT_EQ(PEM_write_PrivateKey(f, key, NULL, NULL, 0, NULL, NULL), 1);
	fclose(f);
	EVP_PKEY_free(key);
	r = TOOL(NULL, "sign", "--key", w.key, "-o", w.sig, SOFTSGX_TEST_ENCLAVE);
	EXPECT_EQ(r.status, 1);
	EXPECT_CONTAINS(r.err, "is not an RSA-3072 key with public exponent 3");
	EXPECT_TRUE(access(w.sig, F_OK) != 0);
	tool_result_free(&r);
	workdir_remove(&w);
}

TEST(sign_usage_errors_exit2)
{
	struct tool_result r = TOOL(NULL, "sign", "-o", "/tmp/x.sig", SOFTSGX_TEST_ENCLAVE);

	EXPECT_EQ(r.status, 2);
	EXPECT_CONTAINS(r.err, "softsgx sign: missing --key KEY.pem");
	tool_result_free(&r);
	r = TOOL(NULL, "sign", "--key", "k.pem", SOFTSGX_TEST_ENCLAVE);
	EXPECT_EQ(r.status, 2);
	EXPECT_CONTAINS(r.err, "missing -o SIGSTRUCT.bin");
	tool_result_free(&r);
	r = TOOL(NULL, "measure", "--threads", "0", SOFTSGX_TEST_ENCLAVE);
	EXPECT_EQ(r.status, 2);
	EXPECT_CONTAINS(r.err, "--threads '0'");
	tool_result_free(&r);
	r = TOOL(NULL, "measure", "--enclave-size", "3M", SOFTSGX_TEST_ENCLAVE);
	EXPECT_EQ(r.status, 2);
	EXPECT_CONTAINS(r.err, "not a power of two");
	tool_result_free(&r);
	r = TOOL(NULL, "measure");
	EXPECT_EQ(r.status, 2);
	EXPECT_CONTAINS(r.err, "missing argument");
	tool_result_free(&r);
}

TEST(measure_not_an_enclave_fails)
{
	struct tool_result r = TOOL(NULL, "measure", "/proc/self/status");

	EXPECT_EQ(r.status, 1);
	tool_result_free(&r);
	r = TOOL(NULL, "measure", SOFTSGX_TOOL);
	EXPECT_EQ(r.status, 1);
	EXPECT_CONTAINS(r.err, "not a static-pie x86-64 ELF enclave image");
	tool_result_free(&r);
	r = TOOL(NULL, "measure", "/nonexistent.elf");
	EXPECT_EQ(r.status, 1);
	EXPECT_CONTAINS(r.err, "cannot open the enclave image '/nonexistent.elf'");
	tool_result_free(&r);
}
