/* SPDX-License-Identifier: MIT */
/*
 * SIGSTRUCTs for enclaves in the loader's layout: the one the loader signs
 * (softsgx_load_sigstruct) dated today, and, when EINIT
 * refuses a SIGSTRUCT, the reason in words, found with EINIT's own checks
 * in EINIT's order.
 */
#ifndef SOFTSGX_TOOLS_SIGSTRUCT_H
#define SOFTSGX_TOOLS_SIGSTRUCT_H

#include <stddef.h>
#include <stdint.h>

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
 * sigstruct_explain() - why EINIT refuses @sig for an enclave loaded with
 * @o and measured @mrenclave, in one sentence naming EINIT's error code,
 * written into @why (@len bytes).
 * Return: true if a reason was found.
 */
bool sigstruct_explain(const struct sgx_sigstruct *sig, const struct softsgx_load_options *o,
		       const uint8_t mrenclave[32], char *why, size_t len);

#endif /* SOFTSGX_TOOLS_SIGSTRUCT_H */
