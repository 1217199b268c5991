/* SPDX-License-Identifier: MIT */
/*
 * The instructions that SGX makes illegal inside an enclave (SDM Vol. 3D,
 * "Illegal Instructions" in the enclave-operation chapter): every one of
 * them is #UD there, whatever a host without SGX makes of it (#GP for IN
 * or INT 0x21, #BP for INT 3, a system call for SYSCALL, nothing at all
 * for CPUID without CPUID faulting). The trap handler asks this decoder
 * about the instruction at a fault of enclave code and reports #UD when it
 * is one of them.
 */
#include "host/host.h"

/* Legacy prefixes: operand/address size, segment overrides, LOCK, REP. */
static bool legacy_prefix(uint8_t b)
{
	switch (b) {
	case 0x66: case 0x67: case 0x26: case 0x2e: case 0x36: case 0x3e:
	case 0x64: case 0x65: case 0xf0: case 0xf2: case 0xf3:
		return true;
	default:
		return false;
	}
}

/* ModRM's reg field and whether it names memory (mod != 3). */
#define MODRM_REG(m) (((m) >> 3) & 7)
#define MODRM_MEM(m) (((m) >> 6) != 3)

static bool illegal_0f(const uint8_t *b, size_t n, bool sgx1)
{
	if (n < 1)
		return false;
	switch (b[0]) {
	case 0x05: /* SYSCALL */
	case 0x34: /* SYSENTER */
	case 0xa2: /* CPUID */
	case 0x37: /* GETSEC */
	case 0x33: /* RDPMC */
	case 0xa1: /* POP FS */
	case 0xa9: /* POP GS */
	case 0xb2: /* LSS */
	case 0xb4: /* LFS */
	case 0xb5: /* LGS */
		return true;
	case 0x31: /* RDTSC: legal in SGX2 enclaves */
		return sgx1;
	case 0x00: /* group 6: SLDT /0, STR /1 */
		return n >= 2 && MODRM_REG(b[1]) <= 1;
	case 0x01: /* group 7 */
		if (n < 2)
			return false;
		if (b[1] == 0xc1 || b[1] == 0xd4) /* VMCALL, VMFUNC */
			return true;
		if (b[1] == 0xf9) /* RDTSCP */
			return sgx1;
		return MODRM_MEM(b[1]) && MODRM_REG(b[1]) <= 1; /* SGDT, SIDT */
	default:
		return false;
	}
}

bool host_insn_illegal_in_enclave(const uint8_t *b, size_t n, bool sgx1)
{
	size_t i = 0;

	while (i < n && i < 14 && legacy_prefix(b[i]))
		i++;
	if (i < n && (b[i] & 0xf0) == 0x40) /* REX */
		i++;
	if (i >= n)
		return false;
	switch (b[i]) {
	case 0x6c: case 0x6d: /* INS */
	case 0x6e: case 0x6f: /* OUTS */
	case 0xe4: case 0xe5: case 0xec: case 0xed: /* IN */
	case 0xe6: case 0xe7: case 0xee: case 0xef: /* OUT */
	case 0xca: case 0xcb: /* far RET */
	case 0xcd: /* INT n */
	case 0xce: /* INTO */
	case 0xcf: /* IRET */
	case 0x9a: case 0xea: /* far CALL, far JMP (direct: #UD in 64-bit mode anyway) */
	case 0x07: case 0x17: case 0x1f: /* POP ES, SS, DS (likewise) */
	case 0x8e: /* MOV to a segment register */
		return true;
	case 0xff: /* group 5: far CALL /3, far JMP /5 */
		return i + 1 < n && MODRM_MEM(b[i + 1]) &&
		       (MODRM_REG(b[i + 1]) == 3 || MODRM_REG(b[i + 1]) == 5);
	case 0x0f:
		return illegal_0f(b + i + 1, n - i - 1, sgx1);
	default:
		return false;
	}
}
