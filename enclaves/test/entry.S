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
	/* CSSA > 0 on a thread taking notifications, frame CSSA - 1 armed: ERESUME's notify. */
	test %rax, %rax
	jz .Lenter
	cmpq $0, %gs:TE_THREAD_NOTIFY
	je .Lenter
	lea -1(%rax), %r11
	shl $12, %r11
	add %gs:TE_THREAD_OSSA, %r11
	lea __ehdr_start(%rip), %r10
	add %r10, %r11
	add $TE_GPRSGX_OFFSET, %r11             /* GPRSGX of frame CSSA - 1 */
	testb $1, TE_GPRSGX_AEXNOTIFY(%r11)
	jnz .Lnotify
.Lenter:
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

/*
 * The AEX-Notify handler, as the Intel SGX SDK's: the interrupted state
 * (GPRSGX of frame CSSA - 1, R11 here) is copied below the interrupted
 * RSP's red zone, its extended state restored from the frame, the
 * notification counted; the frame is disarmed and given back (EDECCSSA),
 * so that an AEX from then on resumes normally; the registers come back
 * from the copy, and the one-byte store that re-arms the frame is the last
 * thing before the return to the interrupted RIP (an AEX after it
 * notifies again, with a state that resumes correctly).
 * Copy, from RSP up: RCX RDX RBX RBP RSI RDI R8-R15, re-arm address, RAX,
 * RFLAGS, RIP (18 words); then the red zone; then the interrupted RSP.
 */
.Lnotify:
	mov 32(%r11), %rsp                      /* GPRSGX.RSP */
	sub $(TE_RED_ZONE + 18 * 8), %rsp
	mov 8(%r11), %rax;   mov %rax, 0(%rsp)   /* RCX */
	mov 16(%r11), %rax;  mov %rax, 8(%rsp)   /* RDX */
	mov 24(%r11), %rax;  mov %rax, 16(%rsp)  /* RBX */
	mov 40(%r11), %rax;  mov %rax, 24(%rsp)  /* RBP */
	mov 48(%r11), %rax;  mov %rax, 32(%rsp)  /* RSI */
	mov 56(%r11), %rax;  mov %rax, 40(%rsp)  /* RDI */
	mov 64(%r11), %rax;  mov %rax, 48(%rsp)  /* R8 */
	mov 72(%r11), %rax;  mov %rax, 56(%rsp)  /* R9 */
	mov 80(%r11), %rax;  mov %rax, 64(%rsp)  /* R10 */
	mov 88(%r11), %rax;  mov %rax, 72(%rsp)  /* R11 */
	mov 96(%r11), %rax;  mov %rax, 80(%rsp)  /* R12 */
	mov 104(%r11), %rax; mov %rax, 88(%rsp)  /* R13 */
	mov 112(%r11), %rax; mov %rax, 96(%rsp)  /* R14 */
	mov 120(%r11), %rax; mov %rax, 104(%rsp) /* R15 */
	lea TE_GPRSGX_AEXNOTIFY(%r11), %rax
	mov %rax, 112(%rsp)                     /* where to re-arm */
	mov 0(%r11), %rax;   mov %rax, 120(%rsp) /* RAX */
	mov 128(%r11), %rax; mov %rax, 128(%rsp) /* RFLAGS */
	mov 136(%r11), %rax; mov %rax, 136(%rsp) /* RIP */
	lea -TE_GPRSGX_OFFSET(%r11), %rcx
	mov $-1, %eax
	mov $-1, %edx
	xrstor64 (%rcx)                         /* the frame's XSAVE area */
	incq %gs:TE_THREAD_NOTIFIED
	movb $0, TE_GPRSGX_AEXNOTIFY(%r11)
	mov $TE_ENCLU_EDECCSSA, %eax
	ENCLU
	pop %rcx
	pop %rdx
	pop %rbx
	pop %rbp
	pop %rsi
	pop %rdi
	pop %r8
	pop %r9
	pop %r10
	pop %r11
	pop %r12
	pop %r13
	pop %r14
	pop %r15
	pop %rax
	movb $1, (%rax)                         /* re-armed */
	pop %rax
	popfq
	ret $TE_RED_ZONE
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
