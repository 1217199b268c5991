/* SPDX-License-Identifier: MIT */
/*
 * SIGSTRUCTs for enclaves in the loader's layout: the one the loader signs
 * (softsgx_load_sigstruct) dated today, and the reasons INIT refuses one,
 * in words, found with the driver's and EINIT's own checks in their
 * order: those that hold for any enclave (the structure, reserved bits,
 * the signature), checked before an enclave is built, and those that
 * compare it with the enclave (MRENCLAVE, attributes), after EINIT refused.
 */
#ifndef SOFTSGX_TOOLS_SIGSTRUCT_H
#define SOFTSGX_TOOLS_SIGSTRUCT_H

#include <stddef.h>
#include <stdint.h>

#include "cpu/cpu.h"
#include "softsgx/arch.h"
#include "softsgx/loader.h"

/*
 * sigstruct_fill() - a SIGSTRUCT body (unsigned) that EINIT accepts for an
 * enclave loaded with @o and measured @mrenclave: MISCSELECT, ATTRIBUTES
 * and their masks as the loader's SECS, DATE today.
 */
void sigstruct_fill(struct sgx_sigstruct *sig, const struct softsgx_load_options *o,
		    const uint8_t mrenclave[32]);

/*
 * sigstruct_refusal() - why INIT refuses @sig for any enclave on a
 * processor configured as @cfg: everything wrong with its structure
 * (HEADER, VENDOR, HEADER2, EXPONENT, reserved bytes), reserved
 * ATTRIBUTES, MISCSELECT or XFRM bits, or a signature that EINIT does not
 * verify, naming the check that refuses first (the driver's EINVAL, or
 * EINIT's code), written into @why (@len bytes).
 * Return: true if it is refused.
 */
bool sigstruct_refusal(const struct sgx_sigstruct *sig, const struct sgx_cpu_config *cfg,
		       char *why, size_t len);

/*
 * sigstruct_explain() - why EINIT refuses @sig (which sigstruct_refusal()
 * passes) for an enclave loaded with @o and measured @mrenclave, in one
 * sentence naming EINIT's error code, written into @why (@len bytes).
 * Return: true if a reason was found.
 */
bool sigstruct_explain(const struct sgx_sigstruct *sig, const struct softsgx_load_options *o,
		       const uint8_t mrenclave[32], char *why, size_t len);

#endif /* SOFTSGX_TOOLS_SIGSTRUCT_H */
