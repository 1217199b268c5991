/* SPDX-License-Identifier: MIT */
/*
 * What the processor tests share on top of the fixture: the machine most
 * tests start from (the default enclave, initialized, and a logical
 * processor for it), the enclave offsets the SGX2 tests use as operands,
 * matchers for faults and EPCM state, the ENCLS leaves that take a SECINFO,
 * a builder for the default layout with another SECS or TCS, and the
 * backing store of an evicted page. Everything is static inline: a test
 * file pays only for what it uses.
 */
#ifndef SOFTSGX_TEST_CPU_COMMON_H
#define SOFTSGX_TEST_CPU_COMMON_H

#include <stdlib.h>

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include "fixture.h"

/* #PF error codes: ENCLS on an EPC page (read, write); ENCLU, EPCM-induced (read, write). */
#define PF_EPC (SGX_PF_SGX | SGX_PF_P)
#define PF_EPC_W (PF_EPC | SGX_PF_W)
#define PF_EPCM (SGX_PF_SGX | SGX_PF_U | SGX_PF_P)
#define PF_EPCM_W (PF_EPCM | SGX_PF_W)

#define NONCANONICAL 0x0000800000000000ull
#define ZF_CF (SGX_RFLAGS_ZF | SGX_RFLAGS_CF)

/* SECINFO flags */
#define RW (SGX_SECINFO_R | SGX_SECINFO_W)
#define REG_RW (SGX_SECINFO_REG | RW)
#define REG_PENDING (REG_RW | SGX_SECINFO_PENDING)

/* Operands of the SGX2 tests in the default layout. */
#define SI_OFF FX_DATA                          /* the SECINFO of an ENCLU leaf */
#define PAGE (FX_DATA + SGX_PAGE_SIZE)          /* an EADDed RW page the tests change */
#define SPARE (FX_DATA + 2 * SGX_PAGE_SIZE)     /* another EADDed RW page */
#define ALIAS (FX_FREE + 8 * SGX_PAGE_SIZE)     /* a page-table slot tests point anywhere */

/* The enclave at the next ELRANGE, for a second enclave. */
#define ENCL_B_BASE (FX_ENCL_BASE + FX_ENCL_SIZE)

/* A machine, the default enclave initialized, and a logical processor for it. */
struct env {
	struct fx *fx;
	struct fx_enclave *e;
	struct sgx_lp *lp;
};

/* The default enclave on @fx (fx_build_init) and an LP, not inside. False if the build failed. */
static inline bool env_build(struct env *v, struct fx *fx)
{
	v->fx = fx;
	v->e = fx_build_init(fx);
	v->lp = v->e ? fx_lp(v->e) : NULL;
	return v->e != NULL;
}

static inline bool env_new(struct env *v)
{
	return env_build(v, fx_new(0));
}

/* EENTER through TCS0 on v->lp. */
static inline bool env_enter(struct env *v)
{
	return fx_enter(v->lp, v->e, FX_TCS0, NULL) == SGX_SUCCESS;
}

/* Declare @v: built and outside (SETUP), or inside through TCS0 (SETUP_INSIDE). */
#define SETUP(v)                                      \
	struct env v;                                 \
	ASSERT_TRUE(env_new(&v))

#define SETUP_INSIDE(v)                               \
	struct env v;                                 \
	ASSERT_TRUE(env_new(&v) && env_enter(&v))

/* Declare @fx and @e: a machine with the default enclave built and initialized. */
#define SETUP_FX(fx, e)                               \
	struct fx *fx = fx_new(0);                    \
	struct fx_enclave *e = fx_build_init(fx);     \
	ASSERT_TRUE(e)

/* The same and @lp, a logical processor for @e (outside). */
#define SETUP_FX_LP(fx, e, lp)                        \
	SETUP_FX(fx, e);                              \
	struct sgx_lp *lp = fx_lp(e)

/* A test that runs @fn(e) on the enclave @build (an expression) makes; @fn frees the machine. */
#define ENCLAVE_TEST(name, build, fn)                                     \
	TEST(name)                                                        \
	{                                                                 \
		struct fx_enclave *e_ = (build);                          \
		ASSERT_TRUE(e_);                                          \
		fn(e_);                                                   \
	}

/* A machine like fx_new(0) whose processor has no SGX2 leaves. */
static inline struct fx *fx_new_sgx1(void)
{
	struct sgx_cpu_config cfg;

	sgx_cpu_config_default(&cfg);
	cfg.epc_pages = 256;
	cfg.sgx2 = false;
	cfg.aexnotify = false;
	return fx_new_config(&cfg);
}

/* EPC address of the enclave byte at @off (through the page table). */
static inline uint64_t epc_of(const struct fx_enclave *e, uint64_t off)
{
	return e->pa[off / SGX_PAGE_SIZE] + (off & (SGX_PAGE_SIZE - 1));
}

/* Point the page-table entry of @off at EPC address @epc (or anything), RWX. */
static inline void map(struct fx_enclave *e, uint64_t off, uint64_t epc)
{
	e->pa[off / SGX_PAGE_SIZE] = epc;
	e->pt_perm[off / SGX_PAGE_SIZE] = SGX_SECINFO_PERM_MASK;
}

/* EPCM entry of the EPC page at @epc (all zero if invalid). */
static inline struct sgx_epcm_info epcm_of(struct fx *fx, uint64_t epc)
{
	struct sgx_epcm_info info = { 0 };

	sgx_cpu_epcm_read(fx->cpu, epc, &info);
	return info;
}

/* The 8 bytes at EPC address @pa (a VA slot, a TCS field, ...). */
static inline uint64_t epc_u64(struct fx *fx, uint64_t pa)
{
	return *(uint64_t *)sgx_cpu_epc_mem(fx->cpu, pa);
}

/* A fresh EPC page made a VA page by EPA (0, with the failure recorded, if EPA failed). */
static inline uint64_t new_va(struct fx *fx)
{
	uint64_t va = fx_epc_alloc(fx);
	int ret = encls_epa(fx->klp, SGX_PAGE_TYPE_VA, va);

	if (ret) {
		harness_fail(__FILE__, __LINE__, "EPA returned %s", sgx_code_name(ret));
		return 0;
	}
	return va;
}

/* The TCS at @off, through the processor's physical view. */
static inline struct sgx_tcs *tcs_mem(struct fx_enclave *e, uint64_t off)
{
	return fx_mem(e, off);
}

/* GPRSGX of SSA frame @frame of the SSA at @ssa. */
#define GPRSGX_OFFSET (SGX_PAGE_SIZE - sizeof(struct sgx_gprsgx))

static inline struct sgx_gprsgx *gprsgx(struct fx_enclave *e, uint64_t ssa, uint32_t frame)
{
	return fx_mem(e, ssa + frame * SGX_PAGE_SIZE + GPRSGX_OFFSET);
}

/* The last fault on @lp was a #PF at @la with error code @pfec. */
#define EXPECT_PF(lp, la, pfec)                                         \
	do {                                                            \
		const struct sgx_fault_info *f_ = sgx_lp_fault(lp);     \
		EXPECT_EQ(f_->vector, SGX_VEC_PF);                      \
		EXPECT_EQ(f_->addr, (la));                              \
		EXPECT_EQ(f_->error_code, (pfec));                      \
	} while (0)

/* The arithmetic flags the last leaf on @lp left (CF PF AF ZF SF OF). */
static inline uint64_t arith_flags(struct sgx_lp *lp)
{
	return sgx_lp_rflags(lp) & (SGX_RFLAGS_CF | SGX_RFLAGS_PF | SGX_RFLAGS_AF | SGX_RFLAGS_ZF |
				    SGX_RFLAGS_SF | SGX_RFLAGS_OF);
}

/* EMODPR / EMODT with a SECINFO of @flags, of the EPC page @epc or the page at @off. */
static inline int emodpr_epc(struct fx_enclave *e, uint64_t epc, uint64_t flags)
{
	struct sgx_secinfo si = { .flags = flags };

	return encls_emodpr(e->fx->klp, &si, epc);
}

static inline int emodt_epc(struct fx_enclave *e, uint64_t epc, uint64_t flags)
{
	struct sgx_secinfo si = { .flags = flags };

	return encls_emodt(e->fx->klp, &si, epc);
}

static inline int emodpr(struct fx_enclave *e, uint64_t off, uint64_t flags)
{
	return emodpr_epc(e, epc_of(e, off), flags);
}

static inline int emodt(struct fx_enclave *e, uint64_t off, uint64_t flags)
{
	return emodt_epc(e, epc_of(e, off), flags);
}

/*
 * @leaf (encls_emodpr or encls_emodt) of the EPC page @epc with a SECINFO
 * of @flags at an address @misalign bytes past a 64-byte boundary.
 */
static inline int encls_secinfo_misaligned(int (*leaf)(struct sgx_lp *, const struct sgx_secinfo *,
						       uint64_t),
					   struct fx_enclave *e, uint64_t epc, uint64_t flags,
					   size_t misalign)
{
	uint8_t *buf = aligned_alloc(64, 128);
	int ret;

	memset(buf, 0, 128);
	memcpy(buf + misalign, &flags, sizeof(flags));
	ret = leaf(e->fx->klp, (const struct sgx_secinfo *)(buf + misalign), epc);
	free(buf);
	return ret;
}

static inline int etrack(struct fx_enclave *e)
{
	return encls_etrack(e->fx->klp, e->secs);
}

/*
 * A test: on the default machine, @leaf (emodpr_epc or emodt_epc) with a
 * SECINFO of @flags of the EPC page @epc (an expression over fx and e): #PF
 * there.
 */
#define SECINFO_LEAF_PF_TEST(name, leaf, flags, epc)                      \
	TEST(name)                                                        \
	{                                                                 \
		SETUP_FX(fx, e);                                          \
		uint64_t epc_ = (epc);                                    \
		EXPECT_SGX(leaf(e, epc_, flags), SGX_PF);                 \
		EXPECT_PF(fx->klp, epc_, PF_EPC_W);                       \
		fx_free(fx);                                              \
	}

/*
 * The default layout on @secs (NULL: the default SECS) with TCS0 = @tcs
 * (NULL: fx_tcs_default(FX_SSA0)) and no TCS1: TCS0, SSA pages from
 * FX_SSA0 for two frames, code, data and read-only data, all zero and
 * measured, then EINIT. NULL, with the failure recorded, if a leaf failed.
 */
static inline struct fx_enclave *build_custom(struct fx *fx, const struct sgx_secs *secs,
					      const struct sgx_tcs *tcs)
{
	uint32_t frame = secs ? secs->ssa_frame_size : 1, i;
	struct fx_enclave *e = fx_ecreate(fx, secs);
	struct sgx_tcs *def = NULL;
	int ret;

	if (!e)
		return NULL;
	if (!tcs) {
		tcs = def = aligned_alloc(SGX_PAGE_SIZE, sizeof(*def));
		fx_tcs_default(def, FX_SSA0);
	}
	ret = fx_eadd(e, FX_TCS0, SGX_SECINFO_TCS, tcs, true, NULL);
	free(def);
	for (i = 0; !ret && i < 2 * frame; i++)
		ret = fx_eadd(e, FX_SSA0 + i * SGX_PAGE_SIZE, REG_RW, NULL, true, NULL);
	if (!ret)
		ret = fx_eadd(e, FX_CODE, SGX_SECINFO_REG | SGX_SECINFO_R | SGX_SECINFO_X, NULL, true,
			      NULL);
	for (i = 0; !ret && i < FX_DATA_PAGES; i++)
		ret = fx_eadd(e, FX_DATA + i * SGX_PAGE_SIZE, REG_RW, NULL, true, NULL);
	if (!ret)
		ret = fx_eadd(e, FX_RODATA, SGX_SECINFO_REG | SGX_SECINFO_R, NULL, true, NULL);
	if (!ret)
		ret = fx_einit(e);
	if (ret) {
		harness_fail(__FILE__, __LINE__, "building the enclave: %s", sgx_code_name(ret));
		return NULL;
	}
	return e;
}

/* Backing store of one evicted page, as the kernel keeps it, and its VA slot. */
struct blob {
	uint8_t page[SGX_PAGE_SIZE] __attribute__((aligned(SGX_PAGE_SIZE)));
	struct sgx_pcmd pcmd;
	struct sgx_pageinfo pi;     /* SRCPGE and PCMD point into the blob */
	uint64_t slot;
};

static inline struct blob *blob_new(uint64_t slot)
{
	struct blob *b = aligned_alloc(SGX_PAGE_SIZE, sizeof(*b));

	if (!b)
		abort();
	memset(b, 0, sizeof(*b));
	b->pi.srcpge = (uintptr_t)b->page;
	b->pi.pcmd = (uintptr_t)&b->pcmd;
	b->slot = slot;
	return b;
}

/* EWB of @epc into @b (PAGEINFO.LINADDR and SECS cleared first, as EWB wants them). */
static inline int blob_ewb(struct sgx_lp *lp, struct blob *b, uint64_t epc)
{
	b->pi.linaddr = 0;
	b->pi.secs = 0;
	return encls_ewb(lp, &b->pi, epc, b->slot);
}

/* AES-128-CMAC of @data with @key, as the processor MACs REPORTs and EINITTOKENs. */
static inline void cmac128(const uint8_t key[16], const void *data, size_t len, uint8_t mac[16])
{
	EVP_MAC *m = EVP_MAC_fetch(NULL, "CMAC", NULL);
	EVP_MAC_CTX *c = m ? EVP_MAC_CTX_new(m) : NULL;
	char cipher[] = "AES-128-CBC";
	OSSL_PARAM p[] = {
		OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_CIPHER, cipher, 0),
		OSSL_PARAM_construct_end(),
	};
	size_t out = 0;

	if (!c || EVP_MAC_init(c, key, 16, p) != 1 || EVP_MAC_update(c, data, len) != 1 ||
	    EVP_MAC_final(c, mac, &out, 16) != 1)
		harness_fail(__FILE__, __LINE__, "CMAC failed");
	EVP_MAC_CTX_free(c);
	EVP_MAC_free(m);
}

#endif /* SOFTSGX_TEST_CPU_COMMON_H */
