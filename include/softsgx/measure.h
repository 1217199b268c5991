/* SPDX-License-Identifier: MIT */
/*
 * MRENCLAVE as the processor computes it, for the processor itself
 * (ECREATE/EADD/EEXTEND/EINIT) and for software that must know an
 * enclave's measurement before EINIT (signers, loaders).
 */
#ifndef SOFTSGX_MEASURE_H
#define SOFTSGX_MEASURE_H

#include <stdint.h>

struct sgx_measure;

/* A fresh, empty measurement. Return: NULL if out of memory. */
struct sgx_measure *sgx_measure_new(void);
void sgx_measure_free(struct sgx_measure *m);
/* The ECREATE block: "ECREATE\0", SSAFRAMESIZE (u32), SIZE (u64). */
void sgx_measure_ecreate(struct sgx_measure *m, uint32_t ssa_frame_size, uint64_t size);
/* The EADD block: "EADD\0\0\0\0", page offset, SECINFO bytes 0..47 (TCS: RWX cleared by the caller). */
void sgx_measure_eadd(struct sgx_measure *m, uint64_t offset, uint64_t secinfo_flags);
/* The EEXTEND block: "EEXTEND\0", chunk offset, then the 256 data bytes. */
void sgx_measure_eextend(struct sgx_measure *m, uint64_t offset, const uint8_t data[256]);
/* EADD of a page and, if @measured, its 16 EEXTENDs (as Linux's SGX_PAGE_MEASURE). */
void sgx_measure_page(struct sgx_measure *m, uint64_t offset, uint64_t secinfo_flags,
		      const uint8_t data[4096], int measured);
/* The finished value (SHA-256 padding applied to a copy; @m goes on). */
void sgx_measure_digest(const struct sgx_measure *m, uint8_t mrenclave[32]);

#endif /* SOFTSGX_MEASURE_H */
