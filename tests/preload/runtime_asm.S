/* SPDX-License-Identifier: MIT */
/*
 * The runtime-shaped test's own instructions (runtime.c): its system
 * calls, its restorer, its ENCLU with its AEP, its raw clone(). No C
 * library function is involved in any of them.
 */
	.text

/* long rt_syscall(long nr, long a1, ..., long a6): -errno on failure. */
	.globl rt_syscall
	.type rt_syscall, @function
rt_syscall:
	mov	%rdi, %rax
	mov	%rsi, %rdi
	mov	%rdx, %rsi
	mov	%rcx, %rdx
	mov	%r8, %r10
	mov	%r9, %r8
	mov	8(%rsp), %r9
	syscall
	ret
	.size rt_syscall, . - rt_syscall

/* The SA_RESTORER of the test's handlers. */
	.globl rt_restorer
	.type rt_restorer, @function
rt_restorer:
	mov	$15, %eax		/* rt_sigreturn */
	syscall
	ud2
	.size rt_restorer, . - rt_restorer

/*
 * long rt_eenter(uint64_t tcs, struct te_call *call): EENTER through @tcs
 * with RDI = @call; the ENCLU is also the AEP, where an AEX leaves RAX =
 * ERESUME, so that returning from a signal there resumes the enclave.
 * Return: RAX after EEXIT (4).
 */
	.globl rt_eenter
	.type rt_eenter, @function
	.globl rt_aep
rt_eenter:
	push	%rbp
	push	%rbx
	push	%r12
	push	%r13
	push	%r14
	push	%r15
	mov	%rdi, %rbx
	mov	%rsi, %rdi
	lea	rt_aep(%rip), %rcx
	mov	$2, %eax		/* EENTER */
rt_aep:
	enclu
	pop	%r15
	pop	%r14
	pop	%r13
	pop	%r12
	pop	%rbx
	pop	%rbp
	ret
	.size rt_eenter, . - rt_eenter

/*
 * long rt_clone(unsigned long flags, void *stack_top, int *ptid, int *ctid,
 *               void (*fn)(void *), void *arg): clone(2) itself; the child
 * runs fn(arg) on @stack_top and exits the thread with SYS_exit.
 */
	.globl rt_clone
	.type rt_clone, @function
rt_clone:
	sub	$16, %rsi
	mov	%r8, (%rsi)
	mov	%r9, 8(%rsi)
	mov	%rcx, %r10
	xor	%r8d, %r8d
	mov	$56, %eax		/* clone */
	syscall
	test	%rax, %rax
	jnz	1f
	xor	%ebp, %ebp
	pop	%rax
	pop	%rdi
	call	*%rax
	mov	$60, %eax		/* exit */
	xor	%edi, %edi
	syscall
	ud2
1:	ret
	.size rt_clone, . - rt_clone

	.section .note.GNU-stack, "", @progbits
