/* SPDX-License-Identifier: MIT */
/*
 * The emulated SGX2 processor: its EPC and EPCM, the ENCLS and ENCLU leaf
 * functions, epoch tracking, measurement and keys. This is the contract
 * between the processor and the layers above it (driver, host). The
 * processor is pure: it has no threads, signals or host mappings of its
 * own; a leaf returns a value and never raises anything.
 *
 * Return values of every leaf (one error currency, as in Linux's encls.h):
 *   0                      success (RAX=0, ZF=0)
 *   SGX_* code (> 0)       RAX as the leaf leaves it; ZF=1 for errors, CF=1
 *                          for the informational codes (see sgx_lp_rflags())
 *   SGX_FAULT_FLAG | vec   the leaf raised #GP(0) or #PF; details (error
 *                          code, linear address) in sgx_lp_fault()
 *
 * Addresses: ENCLS operands that the SDM gives as EPC addresses (the page a
 * leaf works on, PAGEINFO.SECS, VA slots) are "EPC addresses", a range of
 * the emulated physical address space starting at sgx_cpu_epc_base().
 * Operands that are ordinary memory (PAGEINFO, SECINFO, SRCPGE, PCMD,
 * SIGSTRUCT, EINITTOKEN) are host pointers. ENCLU operands are enclave
 * linear addresses, translated through the logical processor's MMU.
 */
#ifndef SOFTSGX_CPU_H
#define SOFTSGX_CPU_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "softsgx/arch.h"

struct sgx_cpu;
struct sgx_lp;

/* Like Linux's SGX_ENCLS_FAULT_FLAG: a leaf faulted with vector (ret & 0xff). */
#define SGX_FAULT_FLAG 0x40000000
#define SGX_FAULT(vec) (SGX_FAULT_FLAG | (vec))
#define SGX_GP SGX_FAULT(SGX_VEC_GP)
#define SGX_PF SGX_FAULT(SGX_VEC_PF)

static inline bool sgx_is_fault(int ret)
{
	return ret > 0 && (ret & SGX_FAULT_FLAG);
}

static inline int sgx_fault_vector(int ret)
{
	return ret & 0xff;
}

/* RFLAGS bits written by the leaves. */
#define SGX_RFLAGS_CF 0x0001ull
#define SGX_RFLAGS_PF 0x0004ull
#define SGX_RFLAGS_AF 0x0010ull
#define SGX_RFLAGS_ZF 0x0040ull
#define SGX_RFLAGS_SF 0x0080ull
#define SGX_RFLAGS_TF 0x0100ull
#define SGX_RFLAGS_DF 0x0400ull
#define SGX_RFLAGS_OF 0x0800ull

/* A leaf identity, for counters and hooks: ENCLS n is n, ENCLU n is 0x10 + n. */
#define SGX_LEAF_ENCLS(n) (n)
#define SGX_LEAF_ENCLU(n) (ENCLS_NR_LEAVES + (n))
#define SGX_LEAF_AEX (ENCLS_NR_LEAVES + ENCLU_NR_LEAVES) /* 24: ENCLU leaf 8 is not modelled */
#define SGX_NR_LEAF_IDS (SGX_LEAF_ENCLU(ENCLU_EDECCSSA) + 1)
const char *sgx_leaf_name(unsigned int leaf_id);
const char *sgx_code_name(int code);

/* The largest EPC the processor models: 2^28 pages, 1 TiB. */
#define SGX_EPC_MAX_PAGES (1ull << 28)
/*
 * The default CPUID.(12H,0).EDX[15:8], as SGX2 server processors (Ice
 * Lake) report it: ECREATE refuses a 64-bit enclave whose SIZE is 2^56 or
 * more. Runtimes reserve ELRANGEs of a terabyte for EDMM.
 */
#define SGX_MAX_ENCLAVE_SIZE_64_LOG2 56

/*
 * What CPUID leaf 0x12 reports, and the rest of the platform's
 * configuration. sgx_cpu_config_default() gives a sensible SGX2 machine.
 */
/*
 * Outcomes of a leaf that depend on the world around the processor model
 * (another logical processor's leaf, a pending interrupt, a tracking cycle
 * the platform has not finished), asked where the SDM tests them; the
 * hostile platform answers (driver/inject.c), in the order of its points.
 */
enum sgx_cpu_event {
	SGX_EVENT_EMODPR_CONFLICT,      /* EMODPR: SGX_EPC_PAGE_CONFLICT */
	SGX_EVENT_EMODT_CONFLICT,       /* EMODT: SGX_EPC_PAGE_CONFLICT */
	SGX_EVENT_EACCEPT_NOT_TRACKED,  /* EACCEPT of a change: SGX_NOT_TRACKED */
	SGX_EVENT_EINIT_UNMASKED_EVENT, /* EINIT: SGX_UNMASKED_EVENT */
	SGX_EVENT_EWB_NOT_TRACKED,      /* EWB of an enclave page: SGX_NOT_TRACKED */
	SGX_NR_CPU_EVENTS
};

struct sgx_cpu_config {
	size_t epc_pages;          /* size of the EPC in 4 KiB pages */
	bool sgx2;                 /* CPUID.(12H,0).EAX bit 1 */
	bool aexnotify;            /* AEX-Notify: CPUID.(12H,0).EAX bit 11 (EDECCSSA) and
				    * ATTRIBUTES.AEXNOTIFY in CPUID.(12H,1).EAX (bit 10) */
	uint32_t miscselect;       /* CPUID.(12H,0).EBX: supported MISCSELECT bits */
	uint8_t max_enclave_size_64; /* CPUID.(12H,0).EDX[15:8]: log2 of the limit */
	uint8_t max_enclave_size_32; /* CPUID.(12H,0).EDX[7:0] */
	uint64_t attributes;       /* CPUID.(12H,1).EBX:EAX: ATTRIBUTES.FLAGS that may be set */
	uint64_t xfrm;             /* CPUID.(12H,1).EDX:ECX: XFRM bits that may be set */
	uint8_t cpusvn[16];        /* the platform's current CPUSVN */
	uint8_t seed[32];          /* platform key seed: NOT SECRET, see docs/fidelity.md */
	/*
	 * Called with the processor unlocked while a leaf holds the "in use"
	 * marks of the EPC pages it works on (after acquiring them, before its
	 * effects). Tests use it to run a second leaf at exactly that moment.
	 */
	void (*pause_hook)(void *ctx, struct sgx_lp *lp, unsigned int leaf_id, uint64_t epc);
	void *pause_ctx;
	bool check_invariants;     /* run sgx_cpu_check_invariants() after every leaf */
	/*
	 * Whether @event happens now, to the page at @linaddr (0 for EINIT) of
	 * the enclave with ID @eid. Called with the processor locked; NULL:
	 * never. The leaf then fails as the SDM says, with no other effect.
	 */
	bool (*event_hook)(void *ctx, enum sgx_cpu_event event, uint64_t eid, uint64_t linaddr);
	void *event_ctx;
};

void sgx_cpu_config_default(struct sgx_cpu_config *cfg);

/*
 * The XSAVE components the processor model saves and restores for an
 * enclave (AEX, ERESUME, EEXIT): x87, SSE, AVX, MPX (BNDREGS, BNDCSR),
 * AVX-512 (opmask, ZMM_Hi256, Hi16_ZMM) and PKRU. A platform offers those
 * of them the host enables (cfg.xfrm). AMX is not among them.
 */
#define SGX_XFRM_MODELED 0x2ffull

/*
 * sgx_cpu_cpuid() - CPUID.(EAX=@leaf, ECX=@subleaf) of this processor:
 * @regs (EAX, EBX, ECX, EDX) holds the host's answer and gets the SGX
 * parts: leaf 0 reaching 0x12, leaf 7's SGX and SGX_LC bits, and leaf
 * 0x12 (SGX1/SGX2, MISCSELECT, enclave sizes, ATTRIBUTES and XFRM masks,
 * the EPC section).
 */
void sgx_cpu_cpuid(const struct sgx_cpu *cpu, uint32_t leaf, uint32_t subleaf, uint32_t regs[4]);

/*
 * sgx_cpu_create() - power on an emulated processor. The EPC's storage and
 * EPCM are reserved without commit (sgx_cpu_epc_map_size() bytes of
 * address space) and cost memory only as far as pages are used.
 * Return: 0, or -ENOMEM (the host refused the mappings: an address-space
 * limit, or strict overcommit), -EINVAL (epc_pages is 0 or above
 * SGX_EPC_MAX_PAGES).
 */
int sgx_cpu_create(const struct sgx_cpu_config *cfg, struct sgx_cpu **out);
void sgx_cpu_destroy(struct sgx_cpu *cpu);
/* Bytes of address space sgx_cpu_create() maps for an EPC of @epc_pages pages. */
size_t sgx_cpu_epc_map_size(size_t epc_pages);
const struct sgx_cpu_config *sgx_cpu_config(const struct sgx_cpu *cpu);
uint64_t sgx_cpu_epc_base(const struct sgx_cpu *cpu);
size_t sgx_cpu_epc_pages(const struct sgx_cpu *cpu);
/* Host pointer to the storage of the EPC page at @epc: the emulator's
 * "physical" view, for the layers that emulate DMA-like accesses and tests. */
void *sgx_cpu_epc_mem(struct sgx_cpu *cpu, uint64_t epc);
/*
 * Place the storage of the (invalid) EPC page at @epc at @mem, 4 KiB, so
 * that the host can map that memory elsewhere too. Return: 0, -EINVAL (not
 * an EPC address, or @mem not page-aligned), -EBUSY (the page is VALID).
 */
int sgx_cpu_epc_set_mem(struct sgx_cpu *cpu, uint64_t epc, void *mem);
/* Replace the pause hook of the configuration (tests and fault injection). */
void sgx_cpu_set_pause_hook(struct sgx_cpu *cpu,
			    void (*hook)(void *ctx, struct sgx_lp *lp, unsigned int leaf_id, uint64_t epc),
			    void *ctx);
/* The enclave ID of the SECS at @secs_epc (1 for the platform's first ECREATE ...), or 0. */
uint64_t sgx_cpu_secs_eid(struct sgx_cpu *cpu, uint64_t secs_epc);
/* IA32_SGXLEPUBKEYHASH0..3, written as one 32-byte value. */
void sgx_cpu_write_lepubkeyhash(struct sgx_cpu *cpu, const uint8_t hash[32]);
/* Number of times each leaf (SGX_LEAF_* id) ran. */
uint64_t sgx_cpu_leaf_count(const struct sgx_cpu *cpu, unsigned int leaf_id);
/* Events within leaves, counted by the processor. */
enum sgx_cpu_stat {
	SGX_CPU_STAT_AEX_ARMED,      /* AEX of a frame whose ERESUME will notify (AEX-Notify) */
	SGX_CPU_STAT_ERESUME_NOTIFY, /* ERESUME that took the notify branch into OENTRY */
	SGX_CPU_NR_STATS
};
uint64_t sgx_cpu_stat_count(const struct sgx_cpu *cpu, enum sgx_cpu_stat stat);
/*
 * Check every EPCM invariant (see the state machine in epcm.c).
 * Return: 0, or -1 after describing the first violation in @why.
 */
int sgx_cpu_check_invariants(struct sgx_cpu *cpu, char *why, size_t len);

/* A snapshot of one EPCM entry, for the layers above and for tests. */
struct sgx_epcm_info {
	bool valid;
	bool blocked;
	bool pending;
	bool modified;
	bool pr;
	uint8_t perm;              /* SGX_SECINFO_R | _W | _X */
	uint8_t type;              /* SGX_PAGE_TYPE_* */
	uint64_t linaddr;          /* ENCLAVEADDRESS */
	uint64_t secs;             /* EPC address of ENCLAVESECS, 0 if none */
};
/* Return: 0, or -EINVAL if @epc is not an EPC address. */
int sgx_cpu_epcm_read(struct sgx_cpu *cpu, uint64_t epc, struct sgx_epcm_info *info);

/*
 * The MMU a logical processor translates enclave linear addresses with
 * (the page tables the OS controls). @access is 0 for a read, SGX_PF_W for
 * a write, SGX_PF_I for a fetch. Returns 0 and the physical address in
 * *pa, or the #PF error code the page tables produce (P/W/I bits and U,
 * as every enclave access is at CPL 3; never the SGX bit). It is called
 * with the processor locked and must not call back into the processor. A translation to a non-EPC address is allowed; the leaf
 * then faults as the SDM says ("does not resolve within an EPC").
 */
struct sgx_mmu {
	uint32_t (*translate)(void *ctx, uint64_t la, uint32_t access, uint64_t *pa);
};

/* The last fault a leaf raised on this logical processor. */
struct sgx_fault_info {
	uint8_t vector;            /* SGX_VEC_GP or SGX_VEC_PF */
	uint32_t error_code;       /* #PF error code (incl. SGX_PF_SGX); 0 for #GP */
	uint64_t addr;             /* #PF linear address (CR2); 0 for #GP */
};

/*
 * A logical processor. Each host thread that executes leaves owns one; an
 * LP is never used by two threads at once. Enclave mode is per LP.
 */
struct sgx_lp *sgx_lp_create(struct sgx_cpu *cpu, const struct sgx_mmu *mmu, void *mmu_ctx);
void sgx_lp_destroy(struct sgx_lp *lp);
const struct sgx_fault_info *sgx_lp_fault(const struct sgx_lp *lp);
/* RFLAGS as the last leaf left them (only CF/PF/AF/ZF/SF/OF are modelled). */
uint64_t sgx_lp_rflags(const struct sgx_lp *lp);
bool sgx_lp_in_enclave(const struct sgx_lp *lp);
/* Linear address of the TCS the LP is in (or last left); 0 if none yet. */
uint64_t sgx_lp_tcs(const struct sgx_lp *lp);

/* Register state that EENTER/ERESUME/EEXIT and AEX read and write. */
struct sgx_regs {
	uint64_t rax, rcx, rdx, rbx, rsp, rbp, rsi, rdi;
	uint64_t r8, r9, r10, r11, r12, r13, r14, r15;
	uint64_t rflags;
	uint64_t rip;
	uint64_t fsbase;
	uint64_t gsbase;
	/*
	 * XSAVE image (standard, non-compacted format) of the thread's
	 * extended state, @xsave_size bytes; may be NULL. AEX stores the part
	 * XFRM selects into the SSA frame and then resets it to the INIT
	 * state; ERESUME loads it back from the frame.
	 */
	void *xsave;
	size_t xsave_size;
};

/* An exception or interrupt that causes an AEX. */
struct sgx_exception {
	uint8_t vector;            /* SGX_VEC_*; for an interrupt, any vector >= 32 */
	bool has_error_code;
	uint32_t error_code;       /* #PF/#GP error code */
	uint64_t addr;             /* #PF linear address */
};

/* ENCLS (the driver executes these; CPL 0). */
int encls_ecreate(struct sgx_lp *lp, const struct sgx_pageinfo *pginfo, uint64_t epc);
int encls_eadd(struct sgx_lp *lp, const struct sgx_pageinfo *pginfo, uint64_t epc);
/*
 * sgx_sigstruct_q1_q2_valid() - whether @sig's Q1 and Q2 are what EINIT
 * requires of its SIGNATURE and MODULUS (false for a zero MODULUS).
 */
bool sgx_sigstruct_q1_q2_valid(const struct sgx_sigstruct *sig);
int encls_einit(struct sgx_lp *lp, const struct sgx_sigstruct *sigstruct, uint64_t secs,
		const struct sgx_einittoken *token);
int encls_eremove(struct sgx_lp *lp, uint64_t epc);
int encls_edbgrd(struct sgx_lp *lp, uint64_t epc, uint64_t *data);
int encls_edbgwr(struct sgx_lp *lp, uint64_t epc, uint64_t data);
int encls_eextend(struct sgx_lp *lp, uint64_t secs, uint64_t epc);
int encls_eldb(struct sgx_lp *lp, const struct sgx_pageinfo *pginfo, uint64_t epc, uint64_t va_slot);
int encls_eldu(struct sgx_lp *lp, const struct sgx_pageinfo *pginfo, uint64_t epc, uint64_t va_slot);
int encls_eblock(struct sgx_lp *lp, uint64_t epc);
int encls_epa(struct sgx_lp *lp, uint64_t page_type, uint64_t epc);
int encls_ewb(struct sgx_lp *lp, struct sgx_pageinfo *pginfo, uint64_t epc, uint64_t va_slot);
int encls_etrack(struct sgx_lp *lp, uint64_t secs);
int encls_eaug(struct sgx_lp *lp, const struct sgx_pageinfo *pginfo, uint64_t epc);
int encls_emodpr(struct sgx_lp *lp, const struct sgx_secinfo *secinfo, uint64_t epc);
int encls_emodt(struct sgx_lp *lp, const struct sgx_secinfo *secinfo, uint64_t epc);

/* ENCLU (enclave or application code executes these; CPL 3). */
int enclu_ereport(struct sgx_lp *lp, uint64_t targetinfo, uint64_t reportdata, uint64_t report);
int enclu_egetkey(struct sgx_lp *lp, uint64_t keyrequest, uint64_t key);
/* RBX = TCS, RCX = AEP in @regs; on success @regs is the state inside. */
int enclu_eenter(struct sgx_lp *lp, struct sgx_regs *regs);
int enclu_eresume(struct sgx_lp *lp, struct sgx_regs *regs);
/* RBX = target; on success @regs is the state outside. */
int enclu_eexit(struct sgx_lp *lp, struct sgx_regs *regs);
int enclu_eaccept(struct sgx_lp *lp, uint64_t secinfo, uint64_t page);
int enclu_emodpe(struct sgx_lp *lp, uint64_t secinfo, uint64_t page);
int enclu_eacceptcopy(struct sgx_lp *lp, uint64_t secinfo, uint64_t dst, uint64_t src);
/* AEX-Notify (cfg.aexnotify): CSSA back to the interrupted frame, inside the enclave. */
int enclu_edeccssa(struct sgx_lp *lp);
/*
 * ENCLU as an instruction: the leaf in RAX with its operands in RBX, RCX
 * and RDX of @regs. On success @regs is as after the instruction: RAX and
 * RFLAGS for the leaves that return a code (EACCEPT, EACCEPTCOPY,
 * EGETKEY), RIP past the ENCLU for the leaves that stay in the enclave,
 * and whatever EENTER, ERESUME and EEXIT set. An undefined leaf is #GP.
 * Return: 0, an SGX code (in RAX too), or a fault (@regs unchanged).
 */
int enclu(struct sgx_lp *lp, struct sgx_regs *regs);

/*
 * An ordinary memory access (not a leaf) by the enclave running on @lp:
 * the page walk through the LP's MMU, then, inside ELRANGE, the EPCM
 * checks of an enclave access (valid, REG, owned, at this address, not
 * BLOCKED/PENDING/MODIFIED, R/W/X allowed). A fetch outside ELRANGE is
 * #GP. Return: 0, SGX_PF (error code with the SGX bit when the EPCM
 * refused) or SGX_GP; SGX_GP too when @lp is not in enclave mode.
 */
int sgx_enclave_access(struct sgx_lp *lp, uint64_t la, uint32_t access);

/*
 * Asynchronous exit: @regs is the state at the event inside the enclave;
 * afterwards it is the synthetic state outside (RIP = AEP). The SSA frame
 * is written where the entry found it, so the AEX always completes.
 * Return: 0, or SGX_GP if @lp is not in enclave mode (a caller bug).
 */
int sgx_aex(struct sgx_lp *lp, struct sgx_regs *regs, const struct sgx_exception *exc);

#endif /* SOFTSGX_CPU_H */
