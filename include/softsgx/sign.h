/* SPDX-License-Identifier: MIT */
/*
 * Enclave signing: build a SIGSTRUCT that EINIT accepts, from the enclave's
 * MRENCLAVE, its identity fields and an RSA-3072 key with public exponent 3.
 */
#ifndef SOFTSGX_SIGN_H
#define SOFTSGX_SIGN_H

#include <openssl/evp.h>

#include "softsgx/arch.h"

/*
 * sgx_sigstruct_init() - start a SIGSTRUCT: zeroes it and sets HEADER,
 * HEADER2 and VENDOR 0. The caller then fills the body (MRENCLAVE,
 * ATTRIBUTES and masks, ISV fields) and DATE/SWDEFINED as wanted.
 */
void sgx_sigstruct_init(struct sgx_sigstruct *sig);

/*
 * sgx_sigstruct_sign() - sign @sig with @key: writes MODULUS, EXPONENT,
 * SIGNATURE (RSA PKCS#1 v1.5 over SHA-256 of bytes 0..127 and 900..1027),
 * Q1 and Q2, all little-endian.
 * Return: 0; -EINVAL if @key is not an RSA-3072 key with exponent 3, or
 * its private parts do not match its modulus (libcrypto cannot sign with
 * them, or the signature would not verify); -EIO if libcrypto failed.
 */
int sgx_sigstruct_sign(struct sgx_sigstruct *sig, EVP_PKEY *key);

/*
 * sgx_sign_keygen() - a fresh RSA-3072 key with public exponent 3.
 * Return: 0 and the key in *key (free with EVP_PKEY_free()); -EIO.
 */
int sgx_sign_keygen(EVP_PKEY **key);

/* MRSIGNER of @key: SHA-256 of the 384-byte little-endian modulus. Return: 0, -EINVAL, -EIO. */
int sgx_sign_mrsigner(EVP_PKEY *key, uint8_t mrsigner[32]);

/* MRSIGNER of the signer of @sig: SHA-256 of its MODULUS. Return: 0, -EIO. */
int sgx_sigstruct_mrsigner(const struct sgx_sigstruct *sig, uint8_t mrsigner[32]);

#endif /* SOFTSGX_SIGN_H */
