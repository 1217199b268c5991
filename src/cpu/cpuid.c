/* SPDX-License-Identifier: MIT */
/*
 * What CPUID tells software about this processor's SGX: the host's
 * answer, with the SGX feature bits of leaf 7 and the SGX leaf 0x12 of the
 * emulated processor (Intel SDM Vol. 2A, CPUID; Vol. 3D 36.7.2).
 */
#include "cpu/cpu_internal.h"

#define CPUID_LEAF_SGX 0x12u
#define CPUID_7_EBX_SGX (1u << 2)
#define CPUID_7_ECX_SGX_LC (1u << 30)

void sgx_cpu_cpuid(const struct sgx_cpu *cpu, uint32_t leaf, uint32_t subleaf, uint32_t regs[4])
{
	const struct sgx_cpu_config *c = sgx_cpu_config(cpu);
	uint64_t base = sgx_cpu_epc_base(cpu), size = (uint64_t)sgx_cpu_epc_pages(cpu) * 4096;

	switch (leaf) {
	case 0:
		/* The highest basic leaf reaches 0x12 (AMD processors stop below it). */
		if (regs[0] < CPUID_LEAF_SGX)
			regs[0] = CPUID_LEAF_SGX;
		break;
	case 7:
		if (subleaf == 0) {
			regs[1] |= CPUID_7_EBX_SGX;
			regs[2] |= CPUID_7_ECX_SGX_LC; /* EINIT takes any signer: launch control */
		}
		break;
	case CPUID_LEAF_SGX:
		switch (subleaf) {
		case 0:
			/* SGX1, SGX2, and bit 11: EDECCSSA (AEX-Notify) */
			regs[0] = 1u | (c->sgx2 ? 2u : 0u) | (c->aexnotify ? 1u << 11 : 0u);
			regs[1] = c->miscselect;
			regs[2] = 0;
			regs[3] = (uint32_t)c->max_enclave_size_64 << 8 | c->max_enclave_size_32;
			break;
		case 1:
			regs[0] = (uint32_t)c->attributes;
			regs[1] = (uint32_t)(c->attributes >> 32);
			regs[2] = (uint32_t)c->xfrm;
			regs[3] = (uint32_t)(c->xfrm >> 32);
			break;
		case 2: /* the one EPC section: type 1, base and size */
			regs[0] = (uint32_t)(base & 0xfffff000u) | 1u;
			regs[1] = (uint32_t)(base >> 32) & 0xfffff;
			regs[2] = (uint32_t)(size & 0xfffff000u) | 1u;
			regs[3] = (uint32_t)(size >> 32) & 0xfffff;
			break;
		default: /* no further sections: type 0 */
			regs[0] = regs[1] = regs[2] = regs[3] = 0;
			break;
		}
		break;
	default:
		break;
	}
}
