/* SPDX-License-Identifier: MIT */
/*
 * pl_call_enclave(): a call of the vDSO's __vdso_sgx_enter_enclave (or
 * whatever stands in for it) from C. The entry function's ABI keeps only
 * RSP: RBX, RBP and R12-R15 come back as the enclave left them, so this
 * wrapper saves them around the call and passes the seventh argument
 * (run) on the stack as the entry function expects it.
 *
 * int pl_call_enclave(long rdi, long rsi, long rdx, unsigned int function,
 *                     long r8, long r9, struct sgx_enclave_run *run,
 *                     pl_vdso_entry_t entry);
 * On entry: run at 8(%rsp), entry at 16(%rsp).
 */
	.text
	.globl pl_call_enclave
	.type pl_call_enclave, @function
pl_call_enclave:
	.cfi_startproc
	push	%rbp
	.cfi_adjust_cfa_offset 8
	.cfi_rel_offset %rbp, 0
	push	%rbx
	.cfi_adjust_cfa_offset 8
	.cfi_rel_offset %rbx, 0
	push	%r12
	.cfi_adjust_cfa_offset 8
	.cfi_rel_offset %r12, 0
	push	%r13
	.cfi_adjust_cfa_offset 8
	.cfi_rel_offset %r13, 0
	push	%r14
	.cfi_adjust_cfa_offset 8
	.cfi_rel_offset %r14, 0
	push	%r15
	.cfi_adjust_cfa_offset 8
	.cfi_rel_offset %r15, 0
	/* 6 pushes: run is at 56(%rsp), entry at 64(%rsp). */
	mov	64(%rsp), %rax
	pushq	56(%rsp)			/* run: the callee's 7th argument; RSP 16-aligned */
	.cfi_adjust_cfa_offset 8
	call	*%rax
	/* Only RSP is kept by the entry function: everything comes back from the stack. */
	add	$8, %rsp
	.cfi_adjust_cfa_offset -8
	pop	%r15
	.cfi_adjust_cfa_offset -8
	pop	%r14
	.cfi_adjust_cfa_offset -8
	pop	%r13
	.cfi_adjust_cfa_offset -8
	pop	%r12
	.cfi_adjust_cfa_offset -8
	pop	%rbx
	.cfi_adjust_cfa_offset -8
	pop	%rbp
	.cfi_adjust_cfa_offset -8
	ret
	.cfi_endproc
	.size pl_call_enclave, . - pl_call_enclave

	.section .note.GNU-stack, "", @progbits
