/* SPDX-License-Identifier: MIT */
/*
 * Processor test fixture: a small emulated machine (processor + a "kernel"
 * logical processor for ENCLS) and helpers that build an enclave through
 * the real leaves (ECREATE, EADD, EEXTEND, EINIT with a real signature),
 * keep a page table for it, and enter it through EENTER.
 *
 * Default enclave layout (offsets from ELRANGE base; size 1 MiB):
 *   0x0000 TCS0   OSSA=FX_SSA0 NSSA=2 OENTRY=FX_CODE
 *   0x1000 TCS1   OSSA=FX_SSA1 NSSA=2 OENTRY=FX_CODE
 *   0x2000-0x3000 SSA frames of TCS0 (REG RW), 0x4000-0x5000 of TCS1
 *   0x6000 code   (REG R-X)
 *   0x7000-0x9000 data (REG RW), 0xA000 read-only data (REG R--)
 *   0x10000..     unused: for EAUG
 * SSAFRAMESIZE = 1 page; MISCSELECT = EXINFO; ATTRIBUTES = MODE64BIT|DEBUG,
 * XFRM = 3.
 */
#ifndef SOFTSGX_TEST_FIXTURE_H
#define SOFTSGX_TEST_FIXTURE_H

#include "cpu/cpu.h"
#include "harness.h"

#define FX_TCS0 0x0000
#define FX_TCS1 0x1000
#define FX_SSA0 0x2000
#define FX_SSA1 0x4000
#define FX_CODE 0x6000
#define FX_DATA 0x7000
#define FX_DATA_PAGES 3
#define FX_RODATA 0xA000
#define FX_FREE 0x10000
#define FX_ENCL_BASE 0x40000000ull
#define FX_ENCL_SIZE 0x100000ull
#define FX_PAGES (FX_ENCL_SIZE / SGX_PAGE_SIZE)

struct fx;

struct fx_enclave {
	struct fx *fx;
	uint64_t secs;                 /* EPC address of the SECS */
	uint64_t base;
	uint64_t size;
	uint64_t pa[FX_PAGES];         /* page table: EPC address per page, 0 = not mapped */
	uint8_t pt_perm[FX_PAGES];     /* page table permissions (SGX_SECINFO_R/W/X bits) */
	struct sgx_measure *measure;   /* MRENCLAVE mirror kept by the fixture, as a signer would */
	struct sgx_sigstruct sigstruct;/* what fx_einit() signed */
	uint8_t mrenclave[32];         /* what fx_einit() signed */
	struct fx_enclave *next;
};

#define FX_MAX_LPS 16

typedef void (*fx_pause_fn)(struct fx *fx, struct sgx_lp *lp, unsigned int leaf_id, uint64_t epc,
			    void *ctx);

struct fx {
	struct sgx_cpu *cpu;
	struct sgx_lp *klp;            /* the "kernel" LP that executes ENCLS */
	uint8_t *allocated;            /* EPC pages handed out by fx_epc_alloc() */
	struct fx_enclave *enclaves;   /* freed by fx_free() */
	struct sgx_lp *lps[FX_MAX_LPS];/* made by fx_lp(), freed by fx_free() */
	int nr_lps;
	fx_pause_fn pause_fn;          /* see fx_on_pause() */
	void *pause_ctx;
};

/* A machine with @epc_pages of EPC (0: 256), invariant checks on. */
struct fx *fx_new(size_t epc_pages);
/*
 * Call @fn (once, then never again) the next time a leaf pauses holding
 * its in-use marks, with the processor unlocked: @fn may run another leaf
 * on another LP right then, to see the page in use. Only on machines made
 * by fx_new(), or fx_new_config() with no pause_hook of its own.
 */
void fx_on_pause(struct fx *fx, fx_pause_fn fn, void *ctx);
/* Same, with a custom configuration. */
struct fx *fx_new_config(const struct sgx_cpu_config *cfg);
void fx_free(struct fx *fx);

/* A free EPC page (never handed out before, or given back). 0 if none. */
uint64_t fx_epc_alloc(struct fx *fx);
void fx_epc_release(struct fx *fx, uint64_t epc);

/* Fill @secs for ECREATE: base, size, SSAFRAMESIZE 1, EXINFO, MODE64BIT|DEBUG, XFRM 3. */
void fx_secs_default(struct sgx_secs *secs, uint64_t base, uint64_t size);

/* ECREATE @secs (or the default SECS when NULL); asserts success. */
struct fx_enclave *fx_ecreate(struct fx *fx, const struct sgx_secs *secs);
/*
 * EADD one page at @offset with SECINFO flags @flags (type and RWX) from
 * @src (4 KiB; NULL: zeros), measured with 16 EEXTENDs if @measure, and map
 * it RWX in the page table. Returns the leaf result of the first failing
 * leaf (0 on success); the EPC address in *epc if non-NULL.
 */
int fx_eadd(struct fx_enclave *e, uint64_t offset, uint64_t flags, const void *src, bool measure,
	    uint64_t *epc);
/* A TCS for the default layout. */
void fx_tcs_default(struct sgx_tcs *tcs, uint64_t ossa);
/* ECREATE + EADD of the default layout (not initialized) at FX_ENCL_BASE. */
struct fx_enclave *fx_build(struct fx *fx);
/* The same at another ELRANGE base (a multiple of FX_ENCL_SIZE), for a second enclave. */
struct fx_enclave *fx_build_at(struct fx *fx, uint64_t base);
/* Sign the current measurement with the test key and EINIT. Returns EINIT's result. */
int fx_einit(struct fx_enclave *e);
/* What fx_einit() signs: header, identity from the SECS, masks all ones,
 * ISVPRODID 0x42, ISVSVN 7, ENCLAVEHASH from the fixture's mirror. */
void fx_sigstruct_prepare(struct fx_enclave *e, struct sgx_sigstruct *sig);
/* Sign @sig with the test key (MODULUS, EXPONENT, SIGNATURE, Q1, Q2). */
void fx_sigstruct_sign(struct sgx_sigstruct *sig);
/* EINIT with @sig as given, LEPUBKEYHASH set to its signer, all-zero token. */
int fx_einit_with(struct fx_enclave *e, const struct sgx_sigstruct *sig);
/* fx_build() + fx_einit(), asserting success (NULL after a failure). */
struct fx_enclave *fx_build_init(struct fx *fx);
struct fx_enclave *fx_build_init_at(struct fx *fx, uint64_t base);
/* EAUG at @offset (and map RWX). Returns EAUG's result. */
int fx_eaug(struct fx_enclave *e, uint64_t offset, uint64_t *epc);

/* The test signing key: RSA-3072, exponent 3 (generated once per process). */
struct evp_pkey_st *fx_signing_key(void);

uint64_t fx_la(const struct fx_enclave *e, uint64_t offset);
/* Host pointer to the enclave page at @offset through the processor's
 * physical view (bypasses the page table and the EPCM). */
void *fx_mem(const struct fx_enclave *e, uint64_t offset);
/* Write a SECINFO with @flags at @offset (64-aligned) inside the enclave. */
void fx_put_secinfo(struct fx_enclave *e, uint64_t offset, uint64_t flags);
/* EPCM snapshot of the page mapped at @offset. */
struct sgx_epcm_info fx_epcm(const struct fx_enclave *e, uint64_t offset);

/* AEP and ENCLU address fx_enter() uses (outside any enclave). */
#define FX_AEP 0x700000001000ull
#define FX_ENCLU_RIP 0x700000002000ull
#define FX_URSP 0x7ffff0000000ull
#define FX_URBP 0x7ffff0001000ull

/* A logical processor whose MMU is the enclave's page table (freed by fx_free()). */
struct sgx_lp *fx_lp(struct fx_enclave *e);
/*
 * EENTER through the TCS at @tcs_offset. @regs may be NULL; otherwise its
 * RBX, RCX, RIP, RSP and RBP are set here (TCS, FX_AEP, FX_ENCLU_RIP,
 * FX_URSP, FX_URBP) and the rest passed as given; it holds the state
 * inside afterwards.
 */
int fx_enter(struct sgx_lp *lp, struct fx_enclave *e, uint64_t tcs_offset, struct sgx_regs *regs);
/* EEXIT to a dummy address outside the enclave; asserts success. */
void fx_exit(struct sgx_lp *lp);

#endif /* SOFTSGX_TEST_FIXTURE_H */
