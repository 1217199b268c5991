/* SPDX-License-Identifier: MIT */
/*
 * The vDSO-compatible entry function and the signal trampoline.
 *
 * softsgx_enter_enclave() has the ABI and behaviour of Linux's
 * __vdso_sgx_enter_enclave(): EENTER/ERESUME through run->tcs with the
 * caller's registers passed through, run->function = EEXIT after a normal
 * exit, exceptions reported in run (softsgx_vdso_exception, where the
 * emulator sends a thread whose fault nobody resolved, with RDI/RSI/RDX =
 * vector/error code/address), and run->user_handler called as the vDSO
 * calls it. Its ENCLU is a real ENCLU: it traps, and the emulator performs
 * the leaf; its address is the AEP.
 *
 * Everything in this section is the "always allowed" region of Syscall
 * User Dispatch, so the trampoline and the restorer may make system calls
 * while the selector blocks them for enclave code.
 */
#include "host.h"

#define ARCH_SET_GS 0x1001
#define ARCH_SET_FS 0x1002
#define ARCH_GET_FS 0x1003
#define ARCH_GET_GS 0x1004
#define SYS_rt_sigreturn 15
#define SYS_arch_prctl 158

#define RUN_TCS 0
#define RUN_FUNCTION 8
#define RUN_EXCEPTION_VECTOR 12
#define RUN_EXCEPTION_ERROR_CODE 14
#define RUN_EXCEPTION_ADDR 16
#define RUN_USER_HANDLER 24
#define RUN_RESERVED 40
#define EEXIT 4
#define EINVAL 22
#define ENOMEM 12

	.section .text.softsgx_host, "ax", @progbits
	.globl softsgx_host_text_start
	.hidden softsgx_host_text_start
softsgx_host_text_start:

/*
 * int softsgx_enter_enclave(long rdi, long rsi, long rdx, unsigned int function,
 *                           long r8, long r9, struct sgx_enclave_run *run);
 */
	.globl softsgx_enter_enclave
	.type softsgx_enter_enclave, @function
softsgx_enter_enclave:
	.cfi_startproc
	push	%rbp
	.cfi_adjust_cfa_offset 8
	.cfi_rel_offset %rbp, 0
	mov	%rsp, %rbp
	.cfi_def_cfa_register %rbp
	push	%rbx
	.cfi_rel_offset %rbx, -8

.Lenter_enclave:
	/* A thread unknown to softsgx is registered first; every register survives. */
	push	%rax
	push	%rcx
	push	%rdx
	push	%rsi
	push	%rdi
	push	%r8
	push	%r9
	push	%r10
	push	%r11				/* 9 pushes after RBP and RBX: RSP is 16-aligned */
	call	softsgx_host_thread_ensure
	test	%eax, %eax
	pop	%r11
	pop	%r10
	pop	%r9
	pop	%r8
	pop	%rdi
	pop	%rsi
	pop	%rdx
	pop	%rcx
	pop	%rax
	jnz	.Lno_thread
	/* EENTER and ERESUME only. */
	cmp	$2, %ecx
	jb	.Linvalid_input
	cmp	$3, %ecx
	ja	.Linvalid_input
	/* The reserved bytes of run must be zero. */
	mov	16(%rbp), %rax
	.irp off, 0, 8, 16, 24, 32, 40, 48, 56, 64, 72, 80, 88, 96, 104, 112, 120, 128, 136, 144, 152, 160, 168, 176, 184, 192, 200, 208
	cmpq	$0, RUN_RESERVED + \off(%rax)
	jne	.Linvalid_input
	.endr
	/* EAX = leaf, RBX = TCS, RCX = AEP; every other register passes through. */
	mov	RUN_TCS(%rax), %rbx
	mov	%ecx, %eax
	lea	softsgx_vdso_enclu(%rip), %rcx

	/*
	 * EENTER/ERESUME without a trap: the registers go into a frame below
	 * the stack, softsgx_fast_enter() runs the leaf and prepares a signal
	 * frame of the enclave state, and rt_sigreturn installs it in one step
	 * (signals stay blocked until then). If it cannot, the ENCLU below
	 * traps and the handler does the same, reporting what the leaf raises.
	 */
	sub	$HOST_FE_FRAME, %rsp
	mov	%rax, 0(%rsp)
	mov	%rcx, 8(%rsp)
	mov	%rdx, 16(%rsp)
	mov	%rbx, 24(%rsp)
	mov	%rbp, 40(%rsp)
	mov	%rsi, 48(%rsp)
	mov	%rdi, 56(%rsp)
	mov	%r8, 64(%rsp)
	mov	%r9, 72(%rsp)
	mov	%r10, 80(%rsp)
	mov	%r11, 88(%rsp)
	mov	%r12, 96(%rsp)
	mov	%r13, 104(%rsp)
	mov	%r14, 112(%rsp)
	mov	%r15, 120(%rsp)
	lea	HOST_FE_FRAME(%rsp), %r11
	mov	%r11, HOST_FE_RSP(%rsp)
	pushfq
	pop	%r11
	mov	%r11, HOST_FE_RFLAGS(%rsp)
	lea	softsgx_vdso_enclu(%rip), %r11
	mov	%r11, HOST_FE_RIP(%rsp)
	mov	%rsp, %rdi
	call	softsgx_fast_enter
	test	%eax, %eax
	jnz	.Lslow_enter
	mov	HOST_FE_T(%rsp), %rbx
	call	.Lswitch_to_enclave
	movb	$1, HOST_T_SELECTOR(%rbx)	/* enclave code: syscalls blocked */
	lea	HOST_FE_UC(%rsp), %rsp
	mov	$SYS_rt_sigreturn, %eax
	syscall
	ud2
.Lslow_enter:
	mov	0(%rsp), %rax
	mov	8(%rsp), %rcx
	mov	16(%rsp), %rdx
	mov	48(%rsp), %rsi
	mov	56(%rsp), %rdi
	mov	64(%rsp), %r8
	mov	72(%rsp), %r9
	mov	80(%rsp), %r10
	mov	88(%rsp), %r11
	add	$HOST_FE_FRAME, %rsp
	.globl softsgx_vdso_enclu
	.hidden softsgx_vdso_enclu
softsgx_vdso_enclu:
	.byte	0x0f, 0x01, 0xd7		/* ENCLU */

	/* EEXIT lands here: only run->function is written. */
	mov	16(%rbp), %rbx
	movl	$EEXIT, RUN_FUNCTION(%rbx)
	jmp	.Lhandle_exit

	/* An exception: RDI = vector, RSI = error code, RDX = address, EAX = the leaf. */
	.globl softsgx_vdso_exception
	.hidden softsgx_vdso_exception
softsgx_vdso_exception:
	mov	16(%rbp), %rbx
	movl	%eax, RUN_FUNCTION(%rbx)
	movw	%di, RUN_EXCEPTION_VECTOR(%rbx)
	movw	%si, RUN_EXCEPTION_ERROR_CODE(%rbx)
	mov	%rdx, RUN_EXCEPTION_ADDR(%rbx)

.Lhandle_exit:
	mov	16(%rbp), %rax
	cmpq	$0, RUN_USER_HANDLER(%rax)
	jne	.Linvoke_userspace_handler
	xor	%eax, %eax
.Lout:
	pop	%rbx
	leave
	.cfi_remember_state
	.cfi_def_cfa %rsp, 8
	ret
	.cfi_restore_state

.Linvalid_input:
	mov	$(-EINVAL), %eax
	jmp	.Lout

.Lno_thread:
	mov	$(-ENOMEM), %eax
	jmp	.Lout

.Linvoke_userspace_handler:
	/* handler(rdi, rsi, rdx, rsp at exit, r8, r9, run), RSP 16-aligned, DF clear. */
	mov	%rsp, %rcx
	mov	%rsp, %rbx
	and	$-16, %rsp
	sub	$8, %rsp
	push	16(%rbp)
	cld
	mov	16(%rbp), %rax
	call	*RUN_USER_HANDLER(%rax)
	mov	%rbx, %rsp
	/* <= 0: return it; > 0: the next leaf. */
	cmp	$0, %eax
	jle	.Lout
	mov	%eax, %ecx
	jmp	.Lenter_enclave
	.cfi_endproc
	.size softsgx_enter_enclave, . - softsgx_enter_enclave

/*
 * int softsgx_call_enclave(<the same arguments>): softsgx_enter_enclave()
 * for C callers. Like the vDSO, the entry function hands the caller the
 * registers the enclave left, callee-saved ones included; this wrapper
 * keeps RBX, RBP and R12-R15 as the C ABI wants.
 */
	.globl softsgx_call_enclave
	.type softsgx_call_enclave, @function
softsgx_call_enclave:
	.cfi_startproc
	push	%rbp
	.cfi_adjust_cfa_offset 8
	.cfi_rel_offset %rbp, 0
	mov	%rsp, %rbp
	.cfi_def_cfa_register %rbp
	push	%rbx
	push	%r12
	push	%r13
	push	%r14
	push	%r15
	push	16(%rbp)			/* run, the 7th argument; RSP 16-aligned */
	call	softsgx_enter_enclave
	add	$8, %rsp
	pop	%r15
	pop	%r14
	pop	%r13
	pop	%r12
	pop	%rbx
	pop	%rbp
	.cfi_def_cfa %rsp, 8
	ret
	.cfi_endproc
	.size softsgx_call_enclave, . - softsgx_call_enclave

/*
 * The handler of every softsgx signal (SA_SIGINFO | SA_ONSTACK): edi = sig,
 * rsi = info, rdx = ucontext. A registered thread runs it on its
 * alternate stack, whose aligned base is its struct host_thread: found
 * without TLS, since enclave code may have left a foreign FS base. For a
 * thread interrupted in enclave code the host's FS/GS are installed before
 * any C runs, and the enclave's put back if the thread returns there.
 */
	.globl softsgx_sig_trampoline
	.hidden softsgx_sig_trampoline
	.type softsgx_sig_trampoline, @function
softsgx_sig_trampoline:
	.cfi_startproc
	push	%rbx
	.cfi_adjust_cfa_offset 8
	.cfi_rel_offset %rbx, 0
	xor	%ebx, %ebx
	mov	%rsp, %rax
	cmp	softsgx_altstack_arena_start(%rip), %rax
	jb	1f
	cmp	softsgx_altstack_arena_end(%rip), %rax
	jae	1f
	and	$-HOST_ALTSTACK_SIZE, %rax
	mov	%rax, %rbx
	movb	$0, HOST_T_SELECTOR(%rbx)		/* syscalls allowed from here on */
	cmpl	$HOST_STATE_ENCLAVE, HOST_T_STATE(%rbx)
	jne	1f
	call	.Lswitch_to_host
1:
	/* A program's signal on a thread that never ran enclave code: straight to its handler. */
	test	%rbx, %rbx
	jnz	3f
	push	%rdi
	push	%rsi
	push	%rdx
	push	%rdx				/* RSP 16-aligned for the call */
	call	softsgx_sig_forward
	pop	%rdx
	pop	%rdx
	pop	%rsi
	pop	%rdi
	test	%eax, %eax
	jnz	2f
3:
	mov	%rbx, %rcx
	call	softsgx_sig_handler
	mov	%rax, %rbx			/* a thread registered by its first ENCLU */
	test	%rbx, %rbx
	jz	2f
	cmpl	$HOST_STATE_ENCLAVE, HOST_T_STATE(%rbx)
	jne	2f
	call	.Lswitch_to_enclave
	movb	$1, HOST_T_SELECTOR(%rbx)		/* enclave code: syscalls blocked */
2:
	pop	%rbx
	.cfi_adjust_cfa_offset -8
	.cfi_restore %rbx
	ret
	.cfi_endproc
	.size softsgx_sig_trampoline, . - softsgx_sig_trampoline

/*
 * RBX = thread: save the enclave's FS/GS bases, install the host's. Keeps
 * rdi/rsi/rdx. Without FSGSBASE in use, where the instructions do not
 * execute at all, enclave code cannot change its bases (no WRFSBASE, and
 * with Syscall User Dispatch no arch_prctl): they are still the ones
 * installed, so only a base that differs costs a system call. Where they
 * execute all the same (t->rdbase), the enclave's are read with them.
 */
.Lswitch_to_host:
	cmpb	$0, HOST_T_FSGSBASE(%rbx)
	je	1f
	rdfsbase %rax
	mov	%rax, HOST_T_ENCL_FS(%rbx)
	rdgsbase %rax
	mov	%rax, HOST_T_ENCL_GS(%rbx)
	mov	HOST_T_HOST_FS(%rbx), %rax
	wrfsbase %rax
	mov	HOST_T_HOST_GS(%rbx), %rax
	wrgsbase %rax
	ret
1:	push	%rdi
	push	%rsi
	push	%rdx
	cmpb	$0, HOST_T_RDBASE(%rbx)
	je	5f
	/*
	 * The instructions execute though the kernel does not keep what they
	 * write: the enclave's live bases are read with them, and the host's
	 * set by system calls whatever they are (the kernel's saved copy may
	 * be stale: a context switch would restore it).
	 */
	rdfsbase %rax
	mov	%rax, HOST_T_ENCL_FS(%rbx)
	rdgsbase %rax
	mov	%rax, HOST_T_ENCL_GS(%rbx)
	mov	$ARCH_SET_FS, %edi
	mov	HOST_T_HOST_FS(%rbx), %rsi
	mov	$SYS_arch_prctl, %eax
	syscall
	mov	$ARCH_SET_GS, %edi
	mov	HOST_T_HOST_GS(%rbx), %rsi
	mov	$SYS_arch_prctl, %eax
	syscall
	jmp	4f
5:	cmpb	$0, HOST_T_SUD(%rbx)
	jne	2f
	/* Enclave code could make system calls: read what it left. */
	mov	$ARCH_GET_FS, %edi
	lea	HOST_T_ENCL_FS(%rbx), %rsi
	mov	$SYS_arch_prctl, %eax
	syscall
	mov	$ARCH_GET_GS, %edi
	lea	HOST_T_ENCL_GS(%rbx), %rsi
	mov	$SYS_arch_prctl, %eax
	syscall
2:	mov	HOST_T_HOST_FS(%rbx), %rsi
	cmp	HOST_T_ENCL_FS(%rbx), %rsi
	je	3f
	mov	$ARCH_SET_FS, %edi
	mov	$SYS_arch_prctl, %eax
	syscall
3:	mov	HOST_T_HOST_GS(%rbx), %rsi
	cmp	HOST_T_ENCL_GS(%rbx), %rsi
	je	4f
	mov	$ARCH_SET_GS, %edi
	mov	$SYS_arch_prctl, %eax
	syscall
4:	pop	%rdx
	pop	%rsi
	pop	%rdi
	ret

/* RBX = thread, running with the host's bases: install the enclave's. */
.Lswitch_to_enclave:
	cmpb	$0, HOST_T_FSGSBASE(%rbx)
	je	1f
	mov	HOST_T_ENCL_FS(%rbx), %rax
	wrfsbase %rax
	mov	HOST_T_ENCL_GS(%rbx), %rax
	wrgsbase %rax
	ret
1:	mov	HOST_T_ENCL_FS(%rbx), %rsi
	cmp	HOST_T_HOST_FS(%rbx), %rsi
	je	2f
	mov	$ARCH_SET_FS, %edi
	mov	$SYS_arch_prctl, %eax
	syscall
2:	mov	HOST_T_ENCL_GS(%rbx), %rsi
	cmp	HOST_T_HOST_GS(%rbx), %rsi
	je	3f
	mov	$ARCH_SET_GS, %edi
	mov	$SYS_arch_prctl, %eax
	syscall
3:	ret

/*
 * long softsgx_raw_syscall(long nr, long a1, ..., long a6): the emulator's
 * own system calls (src/sys.h), made from the always-allowed region.
 */
	.globl softsgx_raw_syscall
	.hidden softsgx_raw_syscall
	.type softsgx_raw_syscall, @function
softsgx_raw_syscall:
	.cfi_startproc
	mov	%rdi, %rax
	mov	%rsi, %rdi
	mov	%rdx, %rsi
	mov	%rcx, %rdx
	mov	%r8, %r10
	mov	%r9, %r8
	mov	8(%rsp), %r9
	syscall
	ret
	.cfi_endproc
	.size softsgx_raw_syscall, . - softsgx_raw_syscall

/*
 * void softsgx_call_on_stack(void (*fn)(void *), void *arg, void *top):
 * fn(arg) on the stack that ends at @top (16-byte aligned), then back.
 */
	.globl softsgx_call_on_stack
	.hidden softsgx_call_on_stack
	.type softsgx_call_on_stack, @function
softsgx_call_on_stack:
	.cfi_startproc
	push	%rbp
	.cfi_adjust_cfa_offset 8
	.cfi_rel_offset %rbp, 0
	mov	%rsp, %rbp
	.cfi_def_cfa_register %rbp
	mov	%rdx, %rsp
	mov	%rdi, %rax
	mov	%rsi, %rdi
	call	*%rax
	mov	%rbp, %rsp
	pop	%rbp
	.cfi_def_cfa %rsp, 8
	ret
	.cfi_endproc
	.size softsgx_call_on_stack, . - softsgx_call_on_stack

/*
 * int softsgx_probe_byte(const void *p): the byte at @p, or -1 where
 * reading it faults: the fault handler sends a fault at its load to
 * softsgx_probe_fault (an exception-table entry, as the kernel's
 * copy_from_user has). For code that must not crash on a caller's bad
 * pointer and cannot afford a system call to check it.
 */
	.globl softsgx_probe_byte
	.hidden softsgx_probe_byte
	.type softsgx_probe_byte, @function
softsgx_probe_byte:
	movzbl	(%rdi), %eax
	ret
	.size softsgx_probe_byte, . - softsgx_probe_byte
	.globl softsgx_probe_fault
	.hidden softsgx_probe_fault
softsgx_probe_fault:
	mov	$-1, %eax
	ret

/* SA_RESTORER of softsgx's handlers: inside the always-allowed region. */
	.globl softsgx_sig_restorer
	.hidden softsgx_sig_restorer
	.type softsgx_sig_restorer, @function
softsgx_sig_restorer:
	mov	$SYS_rt_sigreturn, %eax
	syscall
	ud2
	.size softsgx_sig_restorer, . - softsgx_sig_restorer

/*
 * The restorer of a program handler's frame (forward.c: host_deliver())
 * that has no restorer of its own the kernel would see: RSP = the frame's
 * ucontext. The program's view in it becomes the kernel's, then
 * rt_sigreturn.
 */
	.globl softsgx_prog_restorer
	.hidden softsgx_prog_restorer
	.type softsgx_prog_restorer, @function
softsgx_prog_restorer:
	mov	%rsp, %rbx
	mov	%rsp, %rdi
	and	$-16, %rsp
	call	softsgx_prog_sigreturn
	mov	%rbx, %rsp
	mov	$SYS_rt_sigreturn, %eax
	syscall
	ud2
	.size softsgx_prog_restorer, . - softsgx_prog_restorer

	.globl softsgx_host_text_end
	.hidden softsgx_host_text_end
softsgx_host_text_end:

	.section .note.GNU-stack, "", @progbits
