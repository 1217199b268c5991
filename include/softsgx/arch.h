/* SPDX-License-Identifier: MIT */
/*
 * Architectural SGX structures, constants and error codes, exactly as the
 * Intel SDM (Vol. 3D, chapters 34-38 in current editions) defines them.
 * Only what the SDM fixes lives here: every size and offset it gives is
 * checked with _Static_assert, reserved areas are explicit arrays, and the
 * software-defined state of softsgx lives elsewhere (src/cpu/cpu_internal.h).
 */
#ifndef SOFTSGX_ARCH_H
#define SOFTSGX_ARCH_H

#include <stddef.h>
#include <stdint.h>

#define SGX_PAGE_SIZE 4096u
#define SGX_PAGE_SHIFT 12
#define SGX_PAGE_MASK (~(uint64_t)(SGX_PAGE_SIZE - 1))

/* ENCLS leaf numbers (EAX). */
enum sgx_encls_leaf {
	ENCLS_ECREATE = 0x00,
	ENCLS_EADD = 0x01,
	ENCLS_EINIT = 0x02,
	ENCLS_EREMOVE = 0x03,
	ENCLS_EDBGRD = 0x04,
	ENCLS_EDBGWR = 0x05,
	ENCLS_EEXTEND = 0x06,
	ENCLS_ELDB = 0x07,
	ENCLS_ELDU = 0x08,
	ENCLS_EBLOCK = 0x09,
	ENCLS_EPA = 0x0A,
	ENCLS_EWB = 0x0B,
	ENCLS_ETRACK = 0x0C,
	ENCLS_EAUG = 0x0D,
	ENCLS_EMODPR = 0x0E,
	ENCLS_EMODT = 0x0F,
	ENCLS_NR_LEAVES = 0x10,
};

/* ENCLU leaf numbers (EAX). */
enum sgx_enclu_leaf {
	ENCLU_EREPORT = 0x00,
	ENCLU_EGETKEY = 0x01,
	ENCLU_EENTER = 0x02,
	ENCLU_ERESUME = 0x03,
	ENCLU_EEXIT = 0x04,
	ENCLU_EACCEPT = 0x05,
	ENCLU_EMODPE = 0x06,
	ENCLU_EACCEPTCOPY = 0x07,
	ENCLU_NR_LEAVES = 0x08,  /* the SGX1 and SGX2 leaves 0..7 */
	ENCLU_EDECCSSA = 0x09,   /* AEX-Notify: where CPUID.(12H,0):EAX[11] = 1 */
};

/*
 * Error codes returned in RAX (SDM table "Error or Information Codes for
 * Intel SGX Instructions"). Informational codes come with CF=1 and ZF=0.
 */
enum sgx_return_code {
	SGX_SUCCESS = 0,
	SGX_INVALID_SIG_STRUCT = 1,
	SGX_INVALID_ATTRIBUTE = 2,
	SGX_BLKSTATE = 3,
	SGX_INVALID_MEASUREMENT = 4,
	SGX_NOTBLOCKABLE = 5,
	SGX_PG_INVLD = 6,
	SGX_EPC_PAGE_CONFLICT = 7,
	SGX_INVALID_SIGNATURE = 8,
	SGX_MAC_COMPARE_FAIL = 9,
	SGX_PAGE_NOT_BLOCKED = 10,
	SGX_NOT_TRACKED = 11,
	SGX_VA_SLOT_OCCUPIED = 12,
	SGX_CHILD_PRESENT = 13,
	SGX_ENCLAVE_ACT = 14,
	SGX_ENTRYEPOCH_LOCKED = 15,
	SGX_INVALID_EINITTOKEN = 16,
	SGX_PREV_TRK_INCMPL = 17,
	SGX_PG_IS_SECS = 18,
	SGX_PAGE_ATTRIBUTES_MISMATCH = 19,
	SGX_PAGE_NOT_MODIFIABLE = 20,
	SGX_PAGE_NOT_DEBUGGABLE = 21,
	SGX_INVALID_CPUSVN = 32,
	SGX_INVALID_ISVSVN = 64,
	SGX_UNMASKED_EVENT = 128,
	SGX_INVALID_KEYNAME = 256,
};

/* Page types (SECINFO.FLAGS bits 15:8, EPCM.PT). */
enum sgx_page_type {
	SGX_PAGE_TYPE_SECS = 0,
	SGX_PAGE_TYPE_TCS = 1,
	SGX_PAGE_TYPE_REG = 2,
	SGX_PAGE_TYPE_VA = 3,
	SGX_PAGE_TYPE_TRIM = 4,
};

/* SECINFO.FLAGS */
#define SGX_SECINFO_R 0x01ull
#define SGX_SECINFO_W 0x02ull
#define SGX_SECINFO_X 0x04ull
#define SGX_SECINFO_PERM_MASK 0x07ull
#define SGX_SECINFO_PENDING 0x08ull
#define SGX_SECINFO_MODIFIED 0x10ull
#define SGX_SECINFO_PR 0x20ull
#define SGX_SECINFO_PT_SHIFT 8
#define SGX_SECINFO_PT_MASK (0xFFull << SGX_SECINFO_PT_SHIFT)
#define SGX_SECINFO_FLAGS_RESERVED_MASK (~(0x3Full | SGX_SECINFO_PT_MASK))
#define SGX_SECINFO_PT(t) ((uint64_t)(t) << SGX_SECINFO_PT_SHIFT)
#define SGX_SECINFO_SECS SGX_SECINFO_PT(SGX_PAGE_TYPE_SECS)
#define SGX_SECINFO_TCS SGX_SECINFO_PT(SGX_PAGE_TYPE_TCS)
#define SGX_SECINFO_REG SGX_SECINFO_PT(SGX_PAGE_TYPE_REG)
#define SGX_SECINFO_VA SGX_SECINFO_PT(SGX_PAGE_TYPE_VA)
#define SGX_SECINFO_TRIM SGX_SECINFO_PT(SGX_PAGE_TYPE_TRIM)

/* SECS.ATTRIBUTES.FLAGS */
#define SGX_ATTR_INIT 0x0001ull
#define SGX_ATTR_DEBUG 0x0002ull
#define SGX_ATTR_MODE64BIT 0x0004ull
#define SGX_ATTR_PROVISIONKEY 0x0010ull
#define SGX_ATTR_EINITTOKENKEY 0x0020ull
#define SGX_ATTR_CET 0x0040ull
#define SGX_ATTR_KSS 0x0080ull
#define SGX_ATTR_AEXNOTIFY 0x0400ull

/* MISCSELECT */
#define SGX_MISC_EXINFO 0x00000001u

/* Page-fault error code bits as seen with SGX. */
#define SGX_PF_P 0x0001u
#define SGX_PF_W 0x0002u
#define SGX_PF_U 0x0004u
#define SGX_PF_I 0x0010u
#define SGX_PF_SGX 0x8000u

/* Exception vectors that SGX leaves and AEX deal with. */
enum sgx_vector {
	SGX_VEC_DE = 0,
	SGX_VEC_DB = 1,
	SGX_VEC_BP = 3,
	SGX_VEC_BR = 5,
	SGX_VEC_UD = 6,
	SGX_VEC_NM = 7,
	SGX_VEC_GP = 13,
	SGX_VEC_PF = 14,
	SGX_VEC_MF = 16,
	SGX_VEC_AC = 17,
	SGX_VEC_XM = 19,
};

struct sgx_attributes {
	uint64_t flags;
	uint64_t xfrm;
} __attribute__((packed));
_Static_assert(sizeof(struct sgx_attributes) == 16, "ATTRIBUTES is 16 bytes");

/* SECINFO: 64 bytes, 64-byte aligned. */
struct sgx_secinfo {
	uint64_t flags;
	uint8_t reserved[56];
} __attribute__((aligned(64)));
_Static_assert(sizeof(struct sgx_secinfo) == 64, "SECINFO is 64 bytes");

/* PAGEINFO: 32 bytes, 32-byte aligned. */
struct sgx_pageinfo {
	uint64_t linaddr;
	uint64_t srcpge;
	union {
		uint64_t secinfo;
		uint64_t pcmd;
	};
	uint64_t secs;
} __attribute__((aligned(32)));
_Static_assert(sizeof(struct sgx_pageinfo) == 32, "PAGEINFO is 32 bytes");
_Static_assert(offsetof(struct sgx_pageinfo, secs) == 24, "PAGEINFO.SECS");

/* SECS: one 4 KiB page. */
#define SGX_SECS_RESERVED1_SIZE 24
#define SGX_SECS_RESERVED2_SIZE 32
#define SGX_SECS_RESERVED3_SIZE 32
#define SGX_SECS_RESERVED4_SIZE 3834
struct sgx_secs {
	uint64_t size;
	uint64_t base;
	uint32_t ssa_frame_size;
	uint32_t miscselect;
	uint8_t reserved1[SGX_SECS_RESERVED1_SIZE];
	struct sgx_attributes attributes;
	uint8_t mrenclave[32];
	uint8_t reserved2[SGX_SECS_RESERVED2_SIZE];
	uint8_t mrsigner[32];
	uint8_t reserved3[SGX_SECS_RESERVED3_SIZE];
	uint8_t config_id[64];
	uint16_t isv_prod_id;
	uint16_t isv_svn;
	uint16_t config_svn;
	uint8_t reserved4[SGX_SECS_RESERVED4_SIZE];
} __attribute__((packed, aligned(4096)));
_Static_assert(sizeof(struct sgx_secs) == 4096, "SECS is 4096 bytes");
_Static_assert(offsetof(struct sgx_secs, base) == 8, "SECS.BASEADDR");
_Static_assert(offsetof(struct sgx_secs, ssa_frame_size) == 16, "SECS.SSAFRAMESIZE");
_Static_assert(offsetof(struct sgx_secs, miscselect) == 20, "SECS.MISCSELECT");
_Static_assert(offsetof(struct sgx_secs, attributes) == 48, "SECS.ATTRIBUTES");
_Static_assert(offsetof(struct sgx_secs, mrenclave) == 64, "SECS.MRENCLAVE");
_Static_assert(offsetof(struct sgx_secs, mrsigner) == 128, "SECS.MRSIGNER");
_Static_assert(offsetof(struct sgx_secs, config_id) == 192, "SECS.CONFIGID");
_Static_assert(offsetof(struct sgx_secs, isv_prod_id) == 256, "SECS.ISVPRODID");
_Static_assert(offsetof(struct sgx_secs, isv_svn) == 258, "SECS.ISVSVN");
_Static_assert(offsetof(struct sgx_secs, config_svn) == 260, "SECS.CONFIGSVN");

/* TCS: one 4 KiB page; bytes 72..4095 reserved. */
#define SGX_TCS_FLAGS_DBGOPTIN 0x1ull
#define SGX_TCS_FLAGS_AEXNOTIFY 0x2ull /* reserved on a processor without AEX-Notify */
#define SGX_TCS_FLAGS_RESERVED_MASK (~(SGX_TCS_FLAGS_DBGOPTIN | SGX_TCS_FLAGS_AEXNOTIFY))
struct sgx_tcs {
	uint64_t state;
	uint64_t flags;
	uint64_t ossa;
	uint32_t cssa;
	uint32_t nssa;
	uint64_t oentry;
	uint64_t aep;
	uint64_t ofsbase;
	uint64_t ogsbase;
	uint32_t fslimit;
	uint32_t gslimit;
	uint8_t reserved[4024];
} __attribute__((packed, aligned(4096)));
_Static_assert(sizeof(struct sgx_tcs) == 4096, "TCS is 4096 bytes");
_Static_assert(offsetof(struct sgx_tcs, flags) == 8, "TCS.FLAGS");
_Static_assert(offsetof(struct sgx_tcs, ossa) == 16, "TCS.OSSA");
_Static_assert(offsetof(struct sgx_tcs, cssa) == 24, "TCS.CSSA");
_Static_assert(offsetof(struct sgx_tcs, nssa) == 28, "TCS.NSSA");
_Static_assert(offsetof(struct sgx_tcs, oentry) == 32, "TCS.OENTRY");
_Static_assert(offsetof(struct sgx_tcs, aep) == 40, "TCS.AEP");
_Static_assert(offsetof(struct sgx_tcs, ofsbase) == 48, "TCS.OFSBASE");
_Static_assert(offsetof(struct sgx_tcs, ogsbase) == 56, "TCS.OGSBASE");
_Static_assert(offsetof(struct sgx_tcs, fslimit) == 64, "TCS.FSLIMIT");
_Static_assert(offsetof(struct sgx_tcs, gslimit) == 68, "TCS.GSLIMIT");
_Static_assert(offsetof(struct sgx_tcs, reserved) == 72, "TCS reserved area");

/* EXITINFO in GPRSGX. */
#define SGX_EXITINFO_VECTOR_MASK 0xFFu
#define SGX_EXITINFO_TYPE_SHIFT 8
#define SGX_EXITINFO_TYPE_HW 3u
#define SGX_EXITINFO_TYPE_SW 6u
#define SGX_EXITINFO_VALID 0x80000000u

/* GPRSGX: the last 184 bytes of an SSA frame. */
struct sgx_gprsgx {
	uint64_t rax, rcx, rdx, rbx, rsp, rbp, rsi, rdi;
	uint64_t r8, r9, r10, r11, r12, r13, r14, r15;
	uint64_t rflags;
	uint64_t rip;
	uint64_t ursp;
	uint64_t urbp;
	uint32_t exitinfo;
	uint8_t reserved[3];
	uint8_t aexnotify;       /* AEX-Notify: bit 0 (with TCS.FLAGS.AEXNOTIFY) arms the notify */
	uint64_t fsbase;
	uint64_t gsbase;
} __attribute__((packed));
_Static_assert(sizeof(struct sgx_gprsgx) == 184, "GPRSGX is 184 bytes");
_Static_assert(offsetof(struct sgx_gprsgx, rflags) == 128, "GPRSGX.RFLAGS");
_Static_assert(offsetof(struct sgx_gprsgx, rip) == 136, "GPRSGX.RIP");
_Static_assert(offsetof(struct sgx_gprsgx, ursp) == 144, "GPRSGX.URSP");
_Static_assert(offsetof(struct sgx_gprsgx, exitinfo) == 160, "GPRSGX.EXITINFO");
_Static_assert(offsetof(struct sgx_gprsgx, aexnotify) == 167, "GPRSGX.AEXNOTIFY");
_Static_assert(offsetof(struct sgx_gprsgx, fsbase) == 168, "GPRSGX.FSBASE");
_Static_assert(offsetof(struct sgx_gprsgx, gsbase) == 176, "GPRSGX.GSBASE");

/* MISC.EXINFO: 16 bytes just below GPRSGX when MISCSELECT.EXINFO is set. */
struct sgx_exinfo {
	uint64_t maddr;
	uint32_t errcd;
	uint32_t reserved;
} __attribute__((packed));
_Static_assert(sizeof(struct sgx_exinfo) == 16, "EXINFO is 16 bytes");

/* PCMD: 128 bytes. */
struct sgx_pcmd {
	struct sgx_secinfo secinfo;
	uint64_t enclave_id;
	uint8_t reserved[40];
	uint8_t mac[16];
} __attribute__((packed, aligned(128)));
_Static_assert(sizeof(struct sgx_pcmd) == 128, "PCMD is 128 bytes");
_Static_assert(offsetof(struct sgx_pcmd, enclave_id) == 64, "PCMD.ENCLAVEID");
_Static_assert(offsetof(struct sgx_pcmd, reserved) == 72, "PCMD reserved area");
_Static_assert(offsetof(struct sgx_pcmd, mac) == 112, "PCMD.MAC");

/* SIGSTRUCT: 1808 bytes; all multi-byte fields little-endian. */
#define SGX_MODULUS_SIZE 384
struct sgx_sigstruct_header {
	uint8_t header1[16];
	uint32_t vendor;
	uint32_t date;
	uint8_t header2[16];
	uint32_t swdefined;
	uint8_t reserved1[84];
} __attribute__((packed));
_Static_assert(sizeof(struct sgx_sigstruct_header) == 128, "SIGSTRUCT header");

struct sgx_sigstruct_body {
	uint32_t miscselect;
	uint32_t misc_mask;
	uint8_t reserved2[4];
	uint8_t isv_family_id[16];
	struct sgx_attributes attributes;
	struct sgx_attributes attributes_mask;
	uint8_t mrenclave[32];
	uint8_t reserved3[16];
	uint8_t isv_ext_prod_id[16];
	uint16_t isv_prod_id;
	uint16_t isv_svn;
} __attribute__((packed));
_Static_assert(sizeof(struct sgx_sigstruct_body) == 128, "SIGSTRUCT body");

struct sgx_sigstruct {
	struct sgx_sigstruct_header header;
	uint8_t modulus[SGX_MODULUS_SIZE];
	uint32_t exponent;
	uint8_t signature[SGX_MODULUS_SIZE];
	struct sgx_sigstruct_body body;
	uint8_t reserved4[12];
	uint8_t q1[SGX_MODULUS_SIZE];
	uint8_t q2[SGX_MODULUS_SIZE];
} __attribute__((packed));
_Static_assert(sizeof(struct sgx_sigstruct) == 1808, "SIGSTRUCT is 1808 bytes");
_Static_assert(offsetof(struct sgx_sigstruct, header.vendor) == 16, "SIGSTRUCT.VENDOR");
_Static_assert(offsetof(struct sgx_sigstruct, header.date) == 20, "SIGSTRUCT.DATE");
_Static_assert(offsetof(struct sgx_sigstruct, header.header2) == 24, "SIGSTRUCT.HEADER2");
_Static_assert(offsetof(struct sgx_sigstruct, header.swdefined) == 40, "SIGSTRUCT.SWDEFINED");
_Static_assert(offsetof(struct sgx_sigstruct, modulus) == 128, "SIGSTRUCT.MODULUS");
_Static_assert(offsetof(struct sgx_sigstruct, exponent) == 512, "SIGSTRUCT.EXPONENT");
_Static_assert(offsetof(struct sgx_sigstruct, signature) == 516, "SIGSTRUCT.SIGNATURE");
_Static_assert(offsetof(struct sgx_sigstruct, body) == 900, "SIGSTRUCT.MISCSELECT");
_Static_assert(offsetof(struct sgx_sigstruct, body.isv_family_id) == 912, "SIGSTRUCT.ISVFAMILYID");
_Static_assert(offsetof(struct sgx_sigstruct, body.attributes) == 928, "SIGSTRUCT.ATTRIBUTES");
_Static_assert(offsetof(struct sgx_sigstruct, body.attributes_mask) == 944, "SIGSTRUCT.ATTRIBUTEMASK");
_Static_assert(offsetof(struct sgx_sigstruct, body.mrenclave) == 960, "SIGSTRUCT.ENCLAVEHASH");
_Static_assert(offsetof(struct sgx_sigstruct, body.isv_ext_prod_id) == 1008, "SIGSTRUCT.ISVEXTPRODID");
_Static_assert(offsetof(struct sgx_sigstruct, body.isv_prod_id) == 1024, "SIGSTRUCT.ISVPRODID");
_Static_assert(offsetof(struct sgx_sigstruct, body.isv_svn) == 1026, "SIGSTRUCT.ISVSVN");
_Static_assert(offsetof(struct sgx_sigstruct, q1) == 1040, "SIGSTRUCT.Q1");
_Static_assert(offsetof(struct sgx_sigstruct, q2) == 1424, "SIGSTRUCT.Q2");

/* EINITTOKEN: 304 bytes, 512-byte aligned. */
struct sgx_einittoken {
	uint32_t valid;
	uint8_t reserved1[44];
	struct sgx_attributes attributes;
	uint8_t mrenclave[32];
	uint8_t reserved2[32];
	uint8_t mrsigner[32];
	uint8_t reserved3[32];
	uint8_t cpusvn_le[16];
	uint16_t isv_prod_id_le;
	uint16_t isv_svn_le;
	uint8_t reserved4[24];
	uint32_t masked_miscselect_le;
	struct sgx_attributes masked_attributes_le;
	uint8_t keyid[32];
	uint8_t mac[16];
} __attribute__((packed, aligned(512)));
_Static_assert(offsetof(struct sgx_einittoken, attributes) == 48, "EINITTOKEN.ATTRIBUTES");
_Static_assert(offsetof(struct sgx_einittoken, mrenclave) == 64, "EINITTOKEN.MRENCLAVE");
_Static_assert(offsetof(struct sgx_einittoken, mrsigner) == 128, "EINITTOKEN.MRSIGNER");
_Static_assert(offsetof(struct sgx_einittoken, cpusvn_le) == 192, "EINITTOKEN.CPUSVNLE");
_Static_assert(offsetof(struct sgx_einittoken, isv_prod_id_le) == 208, "EINITTOKEN.ISVPRODIDLE");
_Static_assert(offsetof(struct sgx_einittoken, isv_svn_le) == 210, "EINITTOKEN.ISVSVNLE");
_Static_assert(offsetof(struct sgx_einittoken, masked_miscselect_le) == 236, "EINITTOKEN.MASKEDMISCSELECTLE");
_Static_assert(offsetof(struct sgx_einittoken, masked_attributes_le) == 240, "EINITTOKEN.MASKEDATTRIBUTESLE");
_Static_assert(offsetof(struct sgx_einittoken, keyid) == 256, "EINITTOKEN.KEYID");
_Static_assert(offsetof(struct sgx_einittoken, mac) == 288, "EINITTOKEN.MAC");
#define SGX_EINITTOKEN_SIZE 304

/* TARGETINFO: 512 bytes, 512-byte aligned. */
struct sgx_targetinfo {
	uint8_t mrenclave[32];
	struct sgx_attributes attributes;
	uint8_t reserved1[2];
	uint16_t config_svn;
	uint32_t miscselect;
	uint8_t reserved2[8];
	uint8_t config_id[64];
	uint8_t reserved3[384];
} __attribute__((packed, aligned(512)));
_Static_assert(sizeof(struct sgx_targetinfo) == 512, "TARGETINFO is 512 bytes");
_Static_assert(offsetof(struct sgx_targetinfo, attributes) == 32, "TARGETINFO.ATTRIBUTES");
_Static_assert(offsetof(struct sgx_targetinfo, config_svn) == 50, "TARGETINFO.CONFIGSVN");
_Static_assert(offsetof(struct sgx_targetinfo, miscselect) == 52, "TARGETINFO.MISCSELECT");
_Static_assert(offsetof(struct sgx_targetinfo, config_id) == 64, "TARGETINFO.CONFIGID");

/* REPORTBODY + KEYID + MAC: 432 bytes, 512-byte aligned. */
struct sgx_report_body {
	uint8_t cpusvn[16];
	uint32_t miscselect;
	uint8_t reserved1[12];
	uint8_t isv_ext_prod_id[16];
	struct sgx_attributes attributes;
	uint8_t mrenclave[32];
	uint8_t reserved2[32];
	uint8_t mrsigner[32];
	uint8_t reserved3[32];
	uint8_t config_id[64];
	uint16_t isv_prod_id;
	uint16_t isv_svn;
	uint16_t config_svn;
	uint8_t reserved4[42];
	uint8_t isv_family_id[16];
	uint8_t report_data[64];
} __attribute__((packed));
_Static_assert(sizeof(struct sgx_report_body) == 384, "REPORT body is 384 bytes");

struct sgx_report {
	struct sgx_report_body body;
	uint8_t keyid[32];
	uint8_t mac[16];
} __attribute__((packed, aligned(512)));
_Static_assert(offsetof(struct sgx_report, body.miscselect) == 16, "REPORT.MISCSELECT");
_Static_assert(offsetof(struct sgx_report, body.isv_ext_prod_id) == 32, "REPORT.ISVEXTPRODID");
_Static_assert(offsetof(struct sgx_report, body.attributes) == 48, "REPORT.ATTRIBUTES");
_Static_assert(offsetof(struct sgx_report, body.mrenclave) == 64, "REPORT.MRENCLAVE");
_Static_assert(offsetof(struct sgx_report, body.mrsigner) == 128, "REPORT.MRSIGNER");
_Static_assert(offsetof(struct sgx_report, body.config_id) == 192, "REPORT.CONFIGID");
_Static_assert(offsetof(struct sgx_report, body.isv_prod_id) == 256, "REPORT.ISVPRODID");
_Static_assert(offsetof(struct sgx_report, body.isv_svn) == 258, "REPORT.ISVSVN");
_Static_assert(offsetof(struct sgx_report, body.config_svn) == 260, "REPORT.CONFIGSVN");
_Static_assert(offsetof(struct sgx_report, body.isv_family_id) == 304, "REPORT.ISVFAMILYID");
_Static_assert(offsetof(struct sgx_report, body.report_data) == 320, "REPORT.REPORTDATA");
_Static_assert(offsetof(struct sgx_report, keyid) == 384, "REPORT.KEYID");
_Static_assert(offsetof(struct sgx_report, mac) == 416, "REPORT.MAC");
#define SGX_REPORT_SIZE 432

/* KEYREQUEST: 512 bytes, 512-byte aligned. */
enum sgx_keyname {
	SGX_KEYNAME_EINITTOKEN = 0,
	SGX_KEYNAME_PROVISION = 1,
	SGX_KEYNAME_PROVISION_SEAL = 2,
	SGX_KEYNAME_REPORT = 3,
	SGX_KEYNAME_SEAL = 4,
};
#define SGX_KEYPOLICY_MRENCLAVE 0x0001u
#define SGX_KEYPOLICY_MRSIGNER 0x0002u
#define SGX_KEYPOLICY_NOISVPRODID 0x0004u
#define SGX_KEYPOLICY_CONFIGID 0x0008u
#define SGX_KEYPOLICY_ISVFAMILYID 0x0010u
#define SGX_KEYPOLICY_ISVEXTPRODID 0x0020u
#define SGX_KEYPOLICY_KSS_MASK 0x003Cu
#define SGX_KEYPOLICY_RESERVED_MASK 0xFFC0u

struct sgx_keyrequest {
	uint16_t keyname;
	uint16_t keypolicy;
	uint16_t isv_svn;
	uint8_t reserved1[2];
	uint8_t cpusvn[16];
	struct sgx_attributes attribute_mask;
	uint8_t keyid[32];
	uint32_t misc_mask;
	uint16_t config_svn;
	uint8_t reserved2[434];
} __attribute__((packed, aligned(512)));
_Static_assert(sizeof(struct sgx_keyrequest) == 512, "KEYREQUEST is 512 bytes");
_Static_assert(offsetof(struct sgx_keyrequest, keypolicy) == 2, "KEYREQUEST.KEYPOLICY");
_Static_assert(offsetof(struct sgx_keyrequest, isv_svn) == 4, "KEYREQUEST.ISVSVN");
_Static_assert(offsetof(struct sgx_keyrequest, cpusvn) == 8, "KEYREQUEST.CPUSVN");
_Static_assert(offsetof(struct sgx_keyrequest, attribute_mask) == 24, "KEYREQUEST.ATTRIBUTEMASK");
_Static_assert(offsetof(struct sgx_keyrequest, keyid) == 40, "KEYREQUEST.KEYID");
_Static_assert(offsetof(struct sgx_keyrequest, misc_mask) == 72, "KEYREQUEST.MISCMASK");
_Static_assert(offsetof(struct sgx_keyrequest, config_svn) == 76, "KEYREQUEST.CONFIGSVN");

/* VA page: 512 eight-byte version slots. */
#define SGX_VA_SLOT_COUNT 512

#endif /* SOFTSGX_ARCH_H */
