/* SPDX-License-Identifier: MIT */
/*
 * Exceptions of enclave code other than page faults, a busy TCS, host
 * state across enclave calls, and runtimes that execute ENCLU themselves.
 */
#include <asm/prctl.h>
#include <asm/sgx.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "driver/dfx.h"
#include "harness.h"
#include "test_enclave.h"
#include "test/spin.h"
#include "softsgx/arch.h"
#include "softsgx/loader.h"
#include "softsgx/softsgx.h"
#include "host/features.h"
#include "test/abi.h"

#define PAGE 4096ull
#define EENTER 2
#define EEXIT 4
#define REG_RW (SGX_SECINFO_REG | SGX_SECINFO_R | SGX_SECINFO_W)

static void expect_exception(const uint8_t *code, size_t len, uint16_t vector)
{
	struct softsgx_enclave *e = te_load();
	struct sgx_enclave_run run;
	struct te_call c;

	if (!e)
		return;
	c = (struct te_call){ .op = TE_OP_EXEC, .arg = { te_code_page(e, code, len) } };
	EXPECT_EQ(te_enter(e, 0, &c, &run), 0);
	EXPECT_EQ(run.function, 3); /* ERESUME: reported after an AEX */
	EXPECT_EQ(run.exception_vector, vector);
	EXPECT_EQ(run.exception_addr, 0);
	/* The other TCS is unaffected. */
	EXPECT_EQ(te_run(e, 1, TE_OP_RDSELF, 0, 0), softsgx_enclave_base(e));
	softsgx_unload(e);
}

TEST(exception_ud2_reported_ud)
{
	static const uint8_t ud2[] = { 0x0f, 0x0b };

	expect_exception(ud2, sizeof(ud2), SGX_VEC_UD);
}

TEST(exception_divide_by_zero_reported_de)
{
	static const uint8_t div0[] = { 0x31, 0xc9, 0xf7, 0xf1, 0xc3 }; /* xor ecx,ecx; div ecx; ret */

	expect_exception(div0, sizeof(div0), SGX_VEC_DE);
}

TEST(exception_enclu_eenter_inside_reported_gp)
{
	static const uint8_t eenter[] = { 0xb8, 0x02, 0x00, 0x00, 0x00, 0x0f, 0x01, 0xd7, 0xc3 };

	expect_exception(eenter, sizeof(eenter), SGX_VEC_GP);
}

/*
 * The instructions SGX makes illegal in an enclave: #UD at the instruction,
 * with the SSA's EXITINFO as hardware writes it (valid, a hardware
 * exception, vector 6), whatever the host raised for them.
 */
static void expect_ud_at(const uint8_t *code, size_t len, size_t at)
{
	struct softsgx_enclave *e = te_load();
	struct sgx_enclave_run run;
	struct sgx_gprsgx gpr;
	struct te_call c;
	uint64_t page;

	if (!e)
		return;
	page = te_code_page(e, code, len);
	c = (struct te_call){ .op = TE_OP_EXEC, .arg = { page } };
	EXPECT_EQ(te_enter(e, 0, &c, &run), 0);
	EXPECT_EQ(run.function, 3); /* ERESUME: reported after an AEX */
	EXPECT_EQ(run.exception_vector, SGX_VEC_UD);
	if (te_ssa_read(e, 0, &gpr, NULL)) {
		EXPECT_EQ(gpr.exitinfo, SGX_EXITINFO_VALID | (SGX_EXITINFO_TYPE_HW << 8) | SGX_VEC_UD);
		if (at != SIZE_MAX)
			EXPECT_EQ(gpr.rip, page + at);
	}
	/* The other TCS is unaffected. */
	EXPECT_EQ(te_run(e, 1, TE_OP_RDSELF, 0, 0), softsgx_enclave_base(e));
	softsgx_unload(e);
}

TEST(illegal_int80_ud)
{
	/* mov $20, %eax (getpid, 32-bit); int $0x80: a system call with IA32 emulation, else #GP */
	static const uint8_t code[] = { 0xb8, 0x14, 0x00, 0x00, 0x00, 0xcd, 0x80, 0xc3 };

	SKIP_UNLESS((host_features() & HOST_SUD) || !host_ia32_emulation(),
		    "INT 0x80 is a system call here (IA32 emulation), trapped only with Syscall User Dispatch");

	expect_ud_at(code, sizeof(code), 5);
}

/* illegal_<name>_ud: a code page whose instruction @at bytes in is #UD. */
#define UD_TEST(name, at, ...)                                   \
	TEST(illegal_##name##_ud)                                \
	{                                                        \
		static const uint8_t code[] = { __VA_ARGS__ };   \
		expect_ud_at(code, sizeof(code), (at));          \
	}

/* int $0x21: #GP on the host */
UD_TEST(int21, 0, 0xcd, 0x21, 0xc3)
/* nop; int $3 in its two-byte form: #BP on the host, with RIP past it */
UD_TEST(int3_two_byte_form, 1, 0x90, 0xcd, 0x03, 0xc3)
/* xor %edx,%edx; in (%dx),%al: #GP on the host */
UD_TEST(in, 2, 0x31, 0xd2, 0xec, 0xc3)
/* xor %edx,%edx; out %ax,(%dx) with an operand-size prefix */
UD_TEST(out_with_prefix, 2, 0x31, 0xd2, 0x66, 0xef, 0xc3)
/* five pushes of 0, iretq: a frame with CS 0, #GP on the host; SGX never reads it */
UD_TEST(iret, 10, 0x6a, 0x00, 0x6a, 0x00, 0x6a, 0x00, 0x6a, 0x00, 0x6a, 0x00, 0x48, 0xcf)
/* push $0; push $0; lretq: CS 0, #GP on the host */
UD_TEST(far_ret, 4, 0x6a, 0x00, 0x6a, 0x00, 0x48, 0xcb)
/* mov $0x1234, %eax; mov %eax, %ss: a bad selector, #GP on the host */
UD_TEST(mov_to_ss, 5, 0xb8, 0x34, 0x12, 0x00, 0x00, 0x8e, 0xd0, 0xc3)
/* xor %eax,%eax; lfs (%rax),%eax: #PF on the host, #UD before any access on SGX */
UD_TEST(lfs_from_unmapped_memory, 2, 0x31, 0xc0, 0x0f, 0xb4, 0x00, 0xc3)

TEST(illegal_sysenter_ud)
{
	/*
	 * mov $0xffff, %eax (no such system call); sysenter. On AMD it is
	 * #UD, on Intel #GP where the kernel has no IA32 emulation; with it,
	 * the kernel takes SYSENTER as a 32-bit system call and the address
	 * is lost (docs/fidelity.md), so only there is it not checked.
	 */
	static const uint8_t code[] = { 0xb8, 0xff, 0xff, 0x00, 0x00, 0x0f, 0x34, 0xc3 };
	unsigned int a, b, c, d;
	bool intel;

	__asm__ volatile("cpuid" : "=a"(a), "=b"(b), "=c"(c), "=d"(d) : "a"(0));
	intel = b == 0x756e6547; /* "Genu" */
	expect_ud_at(code, sizeof(code), intel && host_ia32_emulation() ? SIZE_MAX : 5);
}

TEST(legal_rdtsc_runs_in_sgx2_enclave)
{
	struct softsgx_enclave *e = te_load();

	ASSERT_TRUE(e);
	EXPECT_TRUE(te_run(e, 0, TE_OP_RDTSC) != ~0ull);
	softsgx_unload(e);
}

TEST(exception_executed_code_page_runs)
{
	static const uint8_t ret[] = { 0xc3 };
	struct softsgx_enclave *e = te_load();

	ASSERT_TRUE(e);
	EXPECT_EQ(te_run(e, 0, TE_OP_EXEC, te_code_page(e, ret, sizeof(ret)), 0), 0);
	softsgx_unload(e);
}

static volatile sig_atomic_t traps;
static volatile uint64_t trap_rip;
static sigset_t trap_mask;

static void on_sigtrap(int sig, siginfo_t *info, void *ucv)
{
	ucontext_t *uc = ucv;

	traps++;
	pthread_sigmask(SIG_SETMASK, NULL, &trap_mask);
	trap_rip = (uint64_t)uc->uc_mcontext.gregs[REG_RIP];
	/* The AEX left the thread at the AEP; take it back out of the entry function. */
	uc->uc_mcontext.gregs[REG_RAX] = 3;
}

TEST(exception_int3_goes_to_the_program_as_sigtrap)
{
	static const uint8_t int3[] = { 0xcc, 0xc3 };
	struct softsgx_enclave *e = te_load();
	struct sigaction sa = { .sa_sigaction = on_sigtrap, .sa_flags = SA_SIGINFO };
	struct sigaction old;
	struct sgx_enclave_run run;
	struct te_call c;
	uint64_t page;

	ASSERT_TRUE(e);
	page = te_code_page(e, int3, sizeof(int3));
	/* #BP is never fixed up by the vDSO: the program's SIGTRAP handler sees the AEP. */
	softsgx_thread_init();
	sigemptyset(&sa.sa_mask);
	sigaddset(&sa.sa_mask, SIGUSR2);
	softsgx_sigaction(SIGTRAP, &sa, &old);
	traps = 0;
	c = (struct te_call){ .op = TE_OP_EXEC, .arg = { page } };
	EXPECT_EQ(te_enter(e, 0, &c, &run), 0);
	EXPECT_EQ(traps, 1);
	EXPECT_EQ(run.function, EEXIT);
	/*
	 * The handler ran with the kernel's mask: the thread's and its sa_mask;
	 * SIGTRAP, one of softsgx's own signals, is never blocked in the
	 * kernel (docs/fidelity.md), or the handler could not enter an enclave.
	 */
	EXPECT_TRUE(sigismember(&trap_mask, SIGUSR2) && !sigismember(&trap_mask, SIGTRAP));
	EXPECT_TRUE(!sigismember(&trap_mask, SIGUSR1) && !sigismember(&trap_mask, SIGALRM) &&
		    !sigismember(&trap_mask, SIGSEGV));
	softsgx_sigaction(SIGTRAP, &old, NULL);
	softsgx_unload(e);
}

struct busy {
	struct softsgx_enclave *e;
	volatile uint64_t flag;
	uint64_t beat; /* TE_OP_SPIN's heartbeat (test/spin.h) */
};

static void *spin(void *arg)
{
	struct busy *b = arg;
	struct te_call c = { .op = TE_OP_SPIN,
			     .arg = { (uintptr_t)&b->flag, (uintptr_t)&b->beat } };
	struct sgx_enclave_run run;

	te_enter(b->e, 1, &c, &run);
	return NULL;
}

TEST(busy_tcs_eenter_reported_gp_with_function_eenter)
{
	struct busy b = { 0 };
	struct sgx_enclave_run run;
	struct te_call c = { .op = TE_OP_NOP };
	pthread_t th;

	b.e = te_load();
	ASSERT_TRUE(b.e);
	ASSERT_EQ(pthread_create(&th, NULL, spin, &b), 0);
	EXPECT_TRUE(te_spin_wait(&b.beat, 0)); /* TCS 1 is in use */
	EXPECT_EQ(te_enter(b.e, 1, &c, &run), 0);
	EXPECT_EQ(run.function, EENTER);
	EXPECT_EQ(run.exception_vector, SGX_VEC_GP);
	/* The other TCS can be used meanwhile. */
	EXPECT_EQ(te_run(b.e, 0, TE_OP_NOP, 0, 0), 0);
	__atomic_store_n(&b.flag, 1, __ATOMIC_RELAXED); /* read by the enclave */
	pthread_join(th, NULL);
	softsgx_unload(b.e);
}

TEST(host_fs_gs_restored_after_calls_and_exceptions)
{
	struct softsgx_enclave *e = te_load();
	unsigned long fs_before = 0, gs_before = 0, fs_after = 0, gs_after = 0;
	struct sgx_enclave_run run;
	static const uint8_t ud2[] = { 0x0f, 0x0b };
	struct te_call c = { .op = TE_OP_EXEC };

	ASSERT_TRUE(e);
	c.arg[0] = te_code_page(e, ud2, sizeof(ud2));
	syscall(SYS_arch_prctl, ARCH_GET_FS, &fs_before);
	syscall(SYS_arch_prctl, ARCH_GET_GS, &gs_before);
	EXPECT_EQ(te_run(e, 0, TE_OP_THREAD_INFO, 0, 0), 0);
	syscall(SYS_arch_prctl, ARCH_GET_FS, &fs_after);
	syscall(SYS_arch_prctl, ARCH_GET_GS, &gs_after);
	EXPECT_EQ(fs_after, fs_before);
	EXPECT_EQ(gs_after, gs_before);
	te_enter(e, 1, &c, &run); /* #UD: reported after an AEX */
	EXPECT_EQ(run.exception_vector, SGX_VEC_UD);
	syscall(SYS_arch_prctl, ARCH_GET_FS, &fs_after);
	EXPECT_EQ(fs_after, fs_before);
	softsgx_unload(e);
}

/*
 * A runtime that does not use the entry function: its own ENCLU[EENTER]
 * with its own AEP, as the Intel SGX SDK's untrusted runtime does.
 */
int direct_eenter(uint64_t tcs, struct te_call *c);
__asm__(".pushsection .text\n"
	".globl direct_eenter\n"
	"direct_eenter:\n"
	"	push %rbp\n"
	"	mov %rsp, %rbp\n"
	"	push %rbx\n"
	"	push %r12\n"
	"	push %r13\n"
	"	push %r14\n"
	"	push %r15\n"
	"	sub $8, %rsp\n"
	"	mov %rdi, %rbx\n"        /* TCS */
	"	mov %rsi, %rdi\n"        /* te_call */
	"	lea 1f(%rip), %rcx\n"    /* AEP */
	"	mov $2, %eax\n"
	"1:	.byte 0x0f, 0x01, 0xd7\n" /* ENCLU: EENTER, and ERESUME after an AEX */
	"	add $8, %rsp\n"
	"	pop %r15\n"
	"	pop %r14\n"
	"	pop %r13\n"
	"	pop %r12\n"
	"	pop %rbx\n"
	"	pop %rbp\n"
	"	xor %eax, %eax\n"
	"	ret\n"
	".popsection\n");

TEST(direct_enclu_eenter_eexit)
{
	struct softsgx_enclave *e = te_load();
	struct te_call c = { .op = TE_OP_PUT, .arg = { 31 } };

	ASSERT_TRUE(e);
	ASSERT_EQ(softsgx_thread_init(), 0);
	EXPECT_EQ(direct_eenter(softsgx_enclave_tcs(e, 0), &c), 0);
	c = (struct te_call){ .op = TE_OP_GET };
	EXPECT_EQ(direct_eenter(softsgx_enclave_tcs(e, 1), &c), 0);
	EXPECT_EQ(c.ret, 31);
	softsgx_unload(e);
}

struct direct_call {
	uint64_t tcs;
	struct te_call c;
	int ret;
};

static void *direct_thread(void *arg)
{
	struct direct_call *d = arg;

	d->ret = direct_eenter(d->tcs, &d->c);
	return NULL;
}

/* A thread softsgx never saw (no softsgx call on it) runs enclave code by its own ENCLU. */
TEST(direct_enclu_on_a_thread_softsgx_never_saw)
{
	struct softsgx_enclave *e = te_load();
	struct direct_call d = { .c = { .op = TE_OP_PUT, .arg = { 47 } } };
	pthread_t th;

	ASSERT_TRUE(e);
	d.tcs = softsgx_enclave_tcs(e, 1);
	ASSERT_EQ(pthread_create(&th, NULL, direct_thread, &d), 0);
	pthread_join(th, NULL);
	EXPECT_EQ(d.ret, 0);
	EXPECT_EQ(te_run(e, 0, TE_OP_GET), 47);
	softsgx_unload(e);
}

/*
 * EENTER through a "TCS" that is an ordinary enclave page: the EPCM
 * refuses it (#PF with the SGX bit), the kernel does not fix that up, and
 * the entry function reports it with function EENTER.
 */
TEST(eenter_tcs_at_reg_page_reported_pf_sgx)
{
	struct softsgx_enclave *e = te_load();
	struct te_call c = { .op = TE_OP_THREAD_INFO };
	struct sgx_enclave_run run;

	ASSERT_TRUE(e);
	EXPECT_EQ(te_enter(e, 0, &c, &run), 0);
	ASSERT_EQ(run.function, EEXIT);
	memset(&run, 0, sizeof(run));
	run.tcs = c.out[1]; /* the thread-data page: REG, RW */
	EXPECT_EQ(softsgx_call_enclave(0, 0, 0, EENTER, 0, 0, &run), 0);
	EXPECT_EQ(run.function, EENTER);
	EXPECT_EQ(run.exception_vector, SGX_VEC_PF);
	EXPECT_TRUE(run.exception_error_code & SGX_PF_SGX);
	EXPECT_EQ(run.exception_addr, c.out[1]);
	/* The real TCS still works. */
	EXPECT_EQ(te_run(e, 0, TE_OP_NOP), 0);
	softsgx_unload(e);
}

/* A TCS operand with a non-canonical address is #GP, as any such memory operand. */
TEST(eenter_noncanonical_tcs_reported_gp)
{
	struct sgx_enclave_run run;

	ASSERT_EQ(softsgx_thread_init(), 0);
	memset(&run, 0, sizeof(run));
	run.tcs = 0x8000000000000000ull;
	EXPECT_EQ(softsgx_call_enclave(0, 0, 0, EENTER, 0, 0, &run), 0);
	EXPECT_EQ(run.function, EENTER);
	EXPECT_EQ(run.exception_vector, SGX_VEC_GP);
	run.tcs = 0x0000800000000000ull; /* the first address past the lower half */
	EXPECT_EQ(softsgx_call_enclave(0, 0, 0, EENTER, 0, 0, &run), 0);
	EXPECT_EQ(run.exception_vector, SGX_VEC_GP);
}

struct inside {
	struct softsgx_enclave *e;
	volatile uint64_t flag;
	uint64_t beat; /* TE_OP_SPIN's heartbeat (test/spin.h) */
	int ret;
	struct sgx_enclave_run run;
};

static void *spin_and_report(void *arg)
{
	struct inside *in = arg;
	struct te_call c = { .op = TE_OP_SPIN,
			     .arg = { (uintptr_t)&in->flag, (uintptr_t)&in->beat } };

	in->ret = te_enter(in->e, 1, &c, &in->run);
	return NULL;
}

/*
 * The enclave unmapped and closed under a thread inside it: the thread's
 * next instruction fetch faults, the AEX still writes its SSA frame, and
 * the entry function reports the #PF (the kernel finds no mapping, and
 * the vDSO's fixup returns it to the caller). The enclave lives until the
 * thread is out, then all its EPC pages come back.
 */
TEST(enclave_unloaded_under_a_thread_inside_reported_pf)
{
	struct inside in = { 0 };
	size_t free_before = dfx_free_epc_settled();
	uint64_t base;
	pthread_t th;

	in.e = te_load();
	ASSERT_TRUE(in.e);
	base = softsgx_enclave_base(in.e);
	ASSERT_EQ(pthread_create(&th, NULL, spin_and_report, &in), 0);
	/* Inside: without it, the unload would free what the thread's EENTER is about to read. */
	ASSERT_TRUE(te_spin_wait(&in.beat, 0));
	softsgx_unload(in.e);
	pthread_join(th, NULL);
	EXPECT_EQ(in.ret, 0);
	EXPECT_EQ(in.run.function, 3); /* ERESUME: after the AEX */
	EXPECT_EQ(in.run.exception_vector, SGX_VEC_PF);
	EXPECT_TRUE(in.run.exception_addr >= base);
	EXPECT_EQ(dfx_free_epc_settled(), free_before);
}
