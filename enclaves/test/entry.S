/* SPDX-License-Identifier: MIT */
/*
 * The test enclave's entry point, the OENTRY of every TCS. EENTER arrives
 * with RAX = CSSA, RBX = the TCS, RCX = the address after the host's ENCLU
 * and RDI = the struct te_call (abi.h); GS base = the thread-data page.
 * The code saves the untrusted RSP, RBP and RCX in the thread-data slot of
 * this CSSA, switches to the thread's stack (below the interrupted frame
 * when CSSA > 0, i.e. an entry while an earlier one is suspended after an
 * AEX), calls te_main(call, cssa) and leaves with EEXIT to the saved RCX
 * with the untrusted RSP/RBP back in place, as the vDSO expects. RBX is
 * the only callee-saved register it changes (EEXIT's operand); te_main
 * keeps R12-R15 by the C calling convention.
 */
#include "abi.h"

#define ENCLU .byte 0x0f, 0x01, 0xd7

	.text
	.globl enclave_entry
	.type enclave_entry, @function
enclave_entry:
	cld
	cmp $TE_MAX_NEST, %rax
	jae .Ltoo_deep
	mov %rax, %r10
	shl $TE_SAVE_SHIFT, %r10
	mov %rsp, %gs:TE_THREAD_SAVE + TE_SAVE_RSP(%r10)
	mov %rbp, %gs:TE_THREAD_SAVE + TE_SAVE_RBP(%r10)
	mov %rcx, %gs:TE_THREAD_SAVE + TE_SAVE_RCX(%r10)
	lea __ehdr_start(%rip), %r11            /* the enclave base */
	test %rax, %rax
	jnz .Lnested
	mov %gs:TE_THREAD_STACK_TOP, %rsp
	add %r11, %rsp
	jmp .Lcall
.Lnested:
	/* The RSP saved in GPRSGX of SSA frame CSSA - 1, past a red zone. */
	lea -1(%rax), %rsp
	shl $12, %rsp
	add %gs:TE_THREAD_OSSA, %rsp
	add %r11, %rsp
	mov TE_GPRSGX_RSP(%rsp), %rsp
	sub $TE_RED_ZONE, %rsp
	and $-16, %rsp
.Lcall:
	push %r10
	sub $8, %rsp                            /* 16-byte aligned at the call */
	xor %ebp, %ebp
	mov %rax, %rsi
	call te_main
	add $8, %rsp
	pop %r10
	mov %gs:TE_THREAD_SAVE + TE_SAVE_RCX(%r10), %rbx
	mov %gs:TE_THREAD_SAVE + TE_SAVE_RBP(%r10), %rbp
	mov %gs:TE_THREAD_SAVE + TE_SAVE_RSP(%r10), %rsp
	mov $TE_ENCLU_EEXIT, %eax
	ENCLU
	ud2
.Ltoo_deep:
	/* No save slot for this CSSA: leave at once, nothing touched. */
	mov %rcx, %rbx
	mov $TE_ENCLU_EEXIT, %eax
	ENCLU
	ud2
	.size enclave_entry, . - enclave_entry

/*
 * The two functions a freestanding C compiler may call on its own
 * (structure copies and clears).
 */
	.globl memcpy
	.type memcpy, @function
memcpy:
	mov %rdi, %rax
	mov %rdx, %rcx
	rep movsb
	ret
	.size memcpy, . - memcpy

	.globl memset
	.type memset, @function
memset:
	mov %rdi, %r9
	mov %esi, %eax
	mov %rdx, %rcx
	rep stosb
	mov %r9, %rax
	ret
	.size memset, . - memset

	.section .note.GNU-stack, "", @progbits
