/* SPDX-License-Identifier: MIT */
/*
 * dlsym() and dlvsym(): the vDSO's __vdso_sgx_enter_enclave is answered
 * here (preload_dl_vdso_sym(), vdso.c); every other lookup jumps to the C
 * library's function with the caller's return address still on the stack,
 * so that RTLD_NEXT means "after the caller", not "after this library".
 */
	.text

/*
 * Before anything: the C library's functions known (preload_boot). The
 * special handles (RTLD_NEXT, RTLD_DEFAULT) never name the vDSO: straight
 * to the C library, without running any C of this library's (a sanitizer's
 * runtime asks for RTLD_NEXT symbols while it starts).
 */
.macro boot
	cmpq	$0, preload_real_dlsym(%rip)
	jne	8f
	push	%rdi
	.cfi_adjust_cfa_offset 8
	push	%rsi
	.cfi_adjust_cfa_offset 8
	push	%rdx
	.cfi_adjust_cfa_offset 8
	call	preload_boot
	pop	%rdx
	.cfi_adjust_cfa_offset -8
	pop	%rsi
	.cfi_adjust_cfa_offset -8
	pop	%rdi
	.cfi_adjust_cfa_offset -8
8:
.endm

/*
 * name(handle, symbol[, version]): the vDSO's entry from
 * preload_dl_vdso_sym() (version NULL for dlsym), else a jump to @real.
 */
.macro lookup name, real, versioned
	.globl \name
	.type \name, @function
\name:
	.cfi_startproc
	boot
	cmp	$-1, %rdi			/* RTLD_NEXT */
	je	2f
	test	%rdi, %rdi			/* RTLD_DEFAULT */
	jz	2f
	push	%rdi
	.cfi_adjust_cfa_offset 8
	push	%rsi
	.cfi_adjust_cfa_offset 8
	push	%rdx
	.cfi_adjust_cfa_offset 8
	.if !\versioned
	xor	%edx, %edx			/* no version */
	.endif
	call	preload_dl_vdso_sym
	pop	%rdx
	.cfi_adjust_cfa_offset -8
	pop	%rsi
	.cfi_adjust_cfa_offset -8
	pop	%rdi
	.cfi_adjust_cfa_offset -8
	test	%rax, %rax
	jnz	1f
2:	jmp	*\real(%rip)
1:	ret
	.cfi_endproc
	.size \name, . - \name
.endm

	lookup dlsym, preload_real_dlsym, 0
	lookup dlvsym, preload_real_dlvsym, 1

	.section .note.GNU-stack, "", @progbits
