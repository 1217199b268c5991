/* SPDX-License-Identifier: MIT */
/*
 * Private state of the emulated processor: EPC pages with their EPCM
 * entries, the hidden part of each SECS, logical processors, and the
 * helpers every leaf uses. Only src/cpu includes this file.
 *
 * Locking: cpu->lock (a mutex) protects every EPCM entry, every hidden
 * SECS state and every LP's enclave-mode fields. A leaf runs with it held
 * from leaf_begin() to leaf_end(), except inside epc_pause(), where it
 * holds only the "in use" marks of its pages. That is exactly the window in
 * which a concurrent leaf sees the page in use and gets #GP or
 * SGX_EPC_PAGE_CONFLICT as the SDM's concurrency tables say.
 */
#ifndef SOFTSGX_CPU_INTERNAL_H
#define SOFTSGX_CPU_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>

#include <openssl/evp.h>

#include "cpu.h"
#include "softsgx/measure.h"

struct epc_page;

/*
 * The part of a SECS that the SDM keeps in implementation-specific places
 * (EID, the running measurement, child count, tracking state).
 * Protected by cpu->lock.
 */
struct secs_state {
	uint64_t eid;
	struct sgx_measure *mrenclave; /* running measurement until EINIT */
	bool initialized;
	uint32_t child_cnt;        /* valid pages (not VA/SECS) owned by this SECS */
	uint8_t isv_family_id[16];
	uint8_t isv_ext_prod_id[16];
	uint8_t padding[352];
	/*
	 * Epoch tracking (track.c). Every LP inside the enclave entered in
	 * epoch @epoch or @epoch - 1; inside[e & 1] counts them.
	 */
	uint64_t epoch;
	uint32_t inside[2];
	/* While the SECS is evicted: the EWB version it is parked under (encls_paging.c). */
	uint64_t parked_version;
	struct secs_state *parked_next;
};

/* In-use marks (SDM "Concurrency Restrictions" tables). */
enum epc_use {
	EPC_USE_SHARED = 1,        /* base restriction, shared access */
	EPC_USE_EXCLUSIVE = 2,     /* base restriction, exclusive access */
	EPC_USE_SGX2 = 4,          /* exclusive among EACCEPT/EACCEPTCOPY/EMODPE/EMODPR/EMODT */
	EPC_USE_MEASURE = 8,       /* SECS: its MRENCLAVE/INIT, exclusive among EADD/EEXTEND/EINIT */
};
#define EPC_USE_EXCL_BIT 0x80000000u

/*
 * One EPC page and its EPCM entry. See epcm.c for the state machine that
 * the EPCM fields follow. Protected by cpu->lock.
 */
struct epc_page {
	/* EPCM */
	bool valid;
	bool blocked;
	bool pending;
	bool modified;
	bool pr;
	uint8_t perm;              /* SGX_SECINFO_R | _W | _X */
	uint8_t type;              /* SGX_PAGE_TYPE_* */
	uint64_t linaddr;          /* ENCLAVEADDRESS */
	struct epc_page *secs;     /* ENCLAVESECS; NULL for SECS and VA pages */
	/* softsgx bookkeeping */
	uint64_t track_epoch;      /* epoch of the last EBLOCK/EMODPR/EMODT */
	bool tracked_change;       /* track_epoch is meaningful */
	uint32_t use;              /* EPC_USE_EXCL_BIT | number of shared users */
	bool use_sgx2;
	bool use_measure;
	bool tcs_active;           /* TCS: an LP is inside through it */
	uint32_t check_children;   /* sgx_cpu_check_invariants()'s count of a SECS's pages */
	void *mem;                 /* 4 KiB storage: the "physical" page */
	struct secs_state *secs_state; /* for SECS pages */
};

#define LP_MAX_HELD 4

struct sgx_lp {
	struct sgx_cpu *cpu;
	const struct sgx_mmu *mmu;
	void *mmu_ctx;
	/* enclave mode (protected by cpu->lock) */
	bool in_enclave;
	struct epc_page *secs;     /* CR_ACTIVE_SECS */
	struct epc_page *tcs;      /* CR_TCS_PA */
	uint64_t tcs_la;           /* CR_TCS_LA */
	uint8_t *ssa_xsave;        /* CR_XSAVE_PAGE_0: the frame an AEX writes, as found */
	struct sgx_gprsgx *ssa_gpr; /* CR_GPR_PA      at EENTER/ERESUME (physical view) */
	uint64_t entry_epoch;      /* epoch at EENTER/ERESUME (track.c) */
	uint64_t saved_fsbase;     /* outside FS/GS base, restored on exit */
	uint64_t saved_gsbase;
	/* result of the last leaf */
	uint64_t rflags;
	struct sgx_fault_info fault;
	/* "in use" marks held by the running leaf, released by leaf_end() */
	struct epc_page *held[LP_MAX_HELD];
	uint8_t held_mode[LP_MAX_HELD];
	int nheld;
	unsigned int leaf;         /* leaf being executed */
	bool notify;               /* it is an ERESUME that took the notify branch */
};

struct sgx_cpu {
	pthread_mutex_t lock;
	struct sgx_cpu_config cfg;
	uint64_t epc_base;
	size_t nr_pages;
	struct epc_page *pages;    /* nr_pages entries, zero and unbacked until reached */
	void *storage;             /* default storage of all EPC pages (unbacked until used) */
	/*
	 * Chunks of pages[] whose entries epc_page_at() made usable; set once,
	 * under chunk_lock (a leaf lock, taken under cpu->lock or alone).
	 */
	_Atomic bool *chunk_ready;
	size_t nr_chunks;
	pthread_mutex_t chunk_lock;
	uint64_t next_eid;
	uint64_t next_version;     /* EWB versions */
	uint8_t lepubkeyhash[32];  /* IA32_SGXLEPUBKEYHASH0..3 */
	uint8_t root_key[16];      /* derived from cfg.seed */
	uint8_t keyid[32];         /* per-boot KEYID for REPORTs */
	uint8_t paging_key[16];    /* EWB/ELDx sealing key */
	struct secs_state *parked; /* hidden state of evicted SECS pages */
	_Atomic uint64_t leaf_count[SGX_NR_LEAF_IDS];
	_Atomic uint64_t stat_count[SGX_CPU_NR_STATS];
};

/* epc.c: pages and addresses */
/* The page at EPC address @epc (its chunk made usable on first use); NULL outside the EPC. */
struct epc_page *epc_page_at(struct sgx_cpu *cpu, uint64_t epc);
/* Whether page @idx's chunk has been reached; pages of other chunks are free and zero. */
bool epc_chunk_ready(const struct sgx_cpu *cpu, size_t idx);
/* The first page at or after @idx in a reached chunk; nr_pages if none. */
size_t epc_next_ready(const struct sgx_cpu *cpu, size_t idx);
uint64_t epc_page_addr(const struct sgx_cpu *cpu, const struct epc_page *pg);
static inline struct sgx_secs *secs_of(const struct epc_page *secs_pg)
{
	return (struct sgx_secs *)secs_pg->mem;
}

static inline bool is_aligned(uint64_t v, uint64_t a)
{
	return (v & (a - 1)) == 0;
}

static inline unsigned int secinfo_type(uint64_t flags)
{
	return (unsigned int)((flags & SGX_SECINFO_PT_MASK) >> SGX_SECINFO_PT_SHIFT);
}

static inline bool is_canonical(uint64_t la)
{
	return (uint64_t)((int64_t)(la << 16) >> 16) == la;
}

/* enclu_entry.c: the SDM's compute_XSAVE_frame_size(XFRM), standard format. */
size_t xsave_size(uint64_t xfrm);

/* epc.c: true if @len bytes at @p are all zero. */
bool mem_is_zero(const void *p, size_t len);
/* epc.c: SECINFO.FLAGS bits 7:6 and 63:16 and bytes 8..63 (the reserved fields) are zero. */
bool secinfo_reserved_ok(const struct sgx_secinfo *si);

/* ENCLU is 0F 01 D7. */
#define ENCLU_INSN_LEN 3
/* The RFLAGS bits the leaves write. */
#define LP_ARITH_FLAGS (SGX_RFLAGS_CF | SGX_RFLAGS_PF | SGX_RFLAGS_AF | SGX_RFLAGS_ZF | \
			SGX_RFLAGS_SF | SGX_RFLAGS_OF)

/* epc.c: leaf frame */
void leaf_begin(struct sgx_lp *lp, unsigned int leaf_id);
int leaf_end(struct sgx_lp *lp, int ret);
/* Count processor statistic @stat (sgx_cpu_stat_count()). */
void cpu_count_stat(struct sgx_cpu *cpu, enum sgx_cpu_stat stat);
/* #GP(0). */
int lp_gp(struct sgx_lp *lp);
/* #PF at linear address @addr with error code @pfec. */
int lp_pf(struct sgx_lp *lp, uint64_t addr, uint32_t pfec);
/* RAX=0, ZF=0, CF/PF/AF/OF/SF cleared. */
int lp_ok(struct sgx_lp *lp);
/* RAX=@code, ZF=1, CF/PF/AF/OF/SF cleared. */
int lp_err(struct sgx_lp *lp, int code);
/* RAX=@code, CF=1, ZF/PF/AF/OF/SF cleared (informational). */
int lp_info(struct sgx_lp *lp, int code);
/*
 * Try to take an in-use mark on @pg for the running leaf. Return false on a
 * conflict (the leaf then raises what its concurrency table says).
 */
bool epc_use_try(struct sgx_lp *lp, struct epc_page *pg, enum epc_use mode);
/*
 * Drop cpu->lock while keeping the in-use marks, call the pause hook, and
 * take the lock again. Leaves call it once they hold their marks.
 */
void epc_pause(struct sgx_lp *lp, struct epc_page *pg);

/* epc.c: EPCM helpers */
void epcm_set_invalid(struct epc_page *pg);
/* ELRANGE test on the SECS @secs_pg. */
bool in_elrange(const struct epc_page *secs_pg, uint64_t la);
/* A fresh enclave ID (ECREATE). */
uint64_t cpu_next_eid(struct sgx_cpu *cpu);

/*
 * enclu.c helpers: translate enclave linear address @la for @access in the
 * running enclave. On success returns 0 with the EPC page in *pg (the page
 * may be invalid or foreign: the leaf checks the EPCM itself). Returns
 * lp_pf() when the page tables fault (their error code | U) or @la does
 * not resolve within the EPC (P | U | SGX).
 */
int enclu_translate(struct sgx_lp *lp, uint64_t la, uint32_t access, struct epc_page **pg);
/*
 * The EPCM checks an enclave access to its own regular page makes (SDM
 * "EPCM(DS:x).VALID = 0 or ... ENCLAVEADDRESS != ..."): VALID, not
 * BLOCKED/PENDING/MODIFIED, PT_REG, owned by the running enclave, mapped at
 * @la, and @perm (R/W/X bits) allowed.
 */
bool epcm_enclave_page_ok(const struct sgx_lp *lp, const struct epc_page *pg, uint64_t la,
			  uint8_t perm);
/* #PF(la) with the SGX bit, as for an EPCM-induced fault of an ENCLU operand. */
int lp_pf_epcm(struct sgx_lp *lp, uint64_t la, uint32_t access);

/* track.c: epoch tracking */
void track_enter(struct sgx_lp *lp, struct epc_page *secs_pg);
void track_leave(struct sgx_lp *lp);
/* ETRACK's effect: SGX_PREV_TRK_INCMPL, or 0 after starting a new cycle. */
int track_etrack(struct secs_state *st);
/* Remember that @pg changed (EBLOCK/EMODPR/EMODT) in the current epoch. */
void track_stamp(struct epc_page *pg);
/* True when the change stamped on @pg is tracked (or there is none). */
bool track_complete(const struct epc_page *pg);
/*
 * Whether the platform makes @event happen now (cfg.event_hook) to the page
 * at @linaddr of the enclave whose SECS is @secs (NULL: none known).
 */
bool cpu_event(struct sgx_lp *lp, enum sgx_cpu_event event, const struct epc_page *secs,
	       uint64_t linaddr);
/* Number of LPs executing inside the enclave of @secs_pg. */
uint32_t track_inside(const struct epc_page *secs_pg);

/*
 * encls_paging.c: the MAC header EWB and ELDx authenticate (SDM TMP_HEADER,
 * 128 bytes). The SDM names its fields but fixes no byte layout; this is
 * softsgx's. Zeroed before it is filled. (Here so that tests can reseal a
 * blob as someone who knows the public seed could.)
 */
struct paging_mac_header {
	uint64_t eid;                  /* owner's EID; 0 for SECS and VA */
	uint64_t secinfo_flags;        /* PT, RWX, PENDING, MODIFIED, PR */
	uint8_t secinfo_reserved[56];  /* PCMD.SECINFO bytes 8..63 (ELDx) */
	uint64_t linaddr;              /* ENCLAVEADDRESS */
	uint8_t rsvd[40];              /* PCMD.RESERVED (ELDx) */
	uint8_t zero[8];
} __attribute__((packed));
_Static_assert(sizeof(struct paging_mac_header) == 128, "MAC header is 128 bytes");
_Static_assert(sizeof(((struct sgx_pcmd *)0)->reserved) ==
	       sizeof(((struct paging_mac_header *)0)->rsvd), "PCMD.RESERVED fits the header");

/*
 * encls_paging.c: the version @version (a VA slot's value) is lost (the slot
 * is overwritten or its VA page removed): free the hidden state of an
 * evicted SECS parked under it, which no ELDx can take back any more.
 */
void secs_drop_parked(struct sgx_cpu *cpu, uint64_t version);
/* The same for every non-zero slot of the VA page @va. */
void va_drop_versions(struct sgx_cpu *cpu, struct epc_page *va);

/* keys.c: key derivation and the MACs that use it */
/*
 * What a derived key depends on (software-defined layout: the SDM leaves
 * the derivation implementation-specific). Zero what a key does not use.
 */
struct key_dependencies {
	uint16_t keyname;
	uint16_t isv_prod_id;
	uint16_t isv_svn;
	uint16_t config_svn;
	uint32_t miscselect;
	uint32_t misc_mask;
	uint16_t keypolicy;
	uint16_t reserved0;
	uint32_t reserved1;
	struct sgx_attributes attributes;
	struct sgx_attributes attribute_mask;
	uint8_t mrenclave[32];
	uint8_t mrsigner[32];
	uint8_t keyid[32];
	uint8_t cpusvn[16];
	uint8_t config_id[64];
	uint8_t isv_family_id[16];
	uint8_t isv_ext_prod_id[16];
};
/* Derive a 128-bit key from the platform root key. */
void keys_derive(const struct sgx_cpu *cpu, const struct key_dependencies *deps, uint8_t key[16]);
/* AES-128-CMAC of @len bytes. */
void keys_cmac(const uint8_t key[16], const void *data, size_t len, uint8_t mac[16]);
/* The key EWB/ELDU seal pages with (the "paging key"). */
void keys_paging_key(const struct sgx_cpu *cpu, uint8_t key[16]);

/*
 * enclu_keys.c: the launch key that EGETKEY(EINITTOKEN) gives a launch
 * enclave matching @token's *LE fields and signed by IA32_SGXLEPUBKEYHASH;
 * EINIT checks the token's MAC with it.
 */
void keys_einittoken_key(const struct sgx_cpu *cpu, const struct sgx_einittoken *token,
			 uint8_t key[16]);

/* keys.c: the root key and KEYID, from cfg.seed (sgx_cpu_create) */
void keys_init(struct sgx_cpu *cpu);

/* keys.c: dies with a message on an OpenSSL failure that cannot happen
 * with valid inputs (allocation failure inside libcrypto). */
_Noreturn void cpu_crypto_panic(const char *what);

#endif /* SOFTSGX_CPU_INTERNAL_H */
