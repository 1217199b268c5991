/* SPDX-License-Identifier: MIT */
/*
 * dlsym() and dlvsym(): the vDSO's __vdso_sgx_enter_enclave is answered
 * here (preload_dl_vdso_sym(), vdso.c); every other lookup jumps to the C
 * library's function with the caller's return address still on the stack,
 * so that RTLD_NEXT means "after the caller", not "after this library".
 */
	.text

	.globl dlsym
	.type dlsym, @function
dlsym:
	.cfi_startproc
	push	%rdi
	.cfi_adjust_cfa_offset 8
	push	%rsi
	.cfi_adjust_cfa_offset 8
	sub	$8, %rsp
	.cfi_adjust_cfa_offset 8
	xor	%edx, %edx			/* no version */
	call	preload_dl_vdso_sym
	add	$8, %rsp
	.cfi_adjust_cfa_offset -8
	pop	%rsi
	.cfi_adjust_cfa_offset -8
	pop	%rdi
	.cfi_adjust_cfa_offset -8
	test	%rax, %rax
	jnz	1f
	jmp	*preload_real_dlsym(%rip)
1:	ret
	.cfi_endproc
	.size dlsym, . - dlsym

	.globl dlvsym
	.type dlvsym, @function
dlvsym:
	.cfi_startproc
	push	%rdi
	.cfi_adjust_cfa_offset 8
	push	%rsi
	.cfi_adjust_cfa_offset 8
	push	%rdx
	.cfi_adjust_cfa_offset 8
	call	preload_dl_vdso_sym
	pop	%rdx
	.cfi_adjust_cfa_offset -8
	pop	%rsi
	.cfi_adjust_cfa_offset -8
	pop	%rdi
	.cfi_adjust_cfa_offset -8
	test	%rax, %rax
	jnz	1f
	jmp	*preload_real_dlvsym(%rip)
1:	ret
	.cfi_endproc
	.size dlvsym, . - dlvsym

	.section .note.GNU-stack, "", @progbits
