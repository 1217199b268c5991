/* SPDX-License-Identifier: MIT */
/*
 * Exceptions of enclave code other than page faults, a busy TCS, host
 * state across enclave calls, and runtimes that execute ENCLU themselves.
 */
#include <asm/prctl.h>
#include <asm/sgx.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "harness.h"
#include "test_enclave.h"
#include "softsgx/arch.h"
#include "softsgx/loader.h"
#include "softsgx/softsgx.h"
#include "test/abi.h"

#define PAGE 4096ull
#define EENTER 2
#define EEXIT 4
#define REG_RW (SGX_SECINFO_REG | SGX_SECINFO_R | SGX_SECINFO_W)

/*
 * A fresh enclave page holding @code, made executable in the EPCM (EMODPE)
 * and in the mapping (mprotect), as a JIT in an enclave would.
 */
static uint64_t code_page(struct softsgx_enclave *e, const uint8_t *code, size_t len)
{
	uint64_t page = softsgx_enclave_free_start(e);
	uint64_t w;
	size_t i;

	te_run(e, 0, TE_OP_EACCEPT, REG_RW | SGX_SECINFO_PENDING, page);
	for (i = 0; i < len; i += 8) {
		w = 0;
		memcpy(&w, code + i, len - i < 8 ? len - i : 8);
		te_run(e, 0, TE_OP_PUT_AT, page + i, w);
	}
	te_run(e, 0, TE_OP_EMODPE, SGX_SECINFO_X, page);
	if (softsgx_mprotect((void *)(uintptr_t)page, PAGE, PROT_READ | PROT_WRITE | PROT_EXEC))
		harness_fail(__FILE__, __LINE__, "mprotect: %s", strerrorname_np(errno));
	return page;
}

static void expect_exception(const uint8_t *code, size_t len, uint16_t vector)
{
	struct softsgx_enclave *e = te_load();
	struct sgx_enclave_run run;
	struct te_call c;

	if (!e)
		return;
	c = (struct te_call){ .op = TE_OP_EXEC, .arg = { code_page(e, code, len) } };
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

TEST(exception_int80_reported_ud)
{
	static const uint8_t int80[] = { 0xb8, 0x14, 0x00, 0x00, 0x00, 0xcd, 0x80, 0xc3 }; /* getpid */

	expect_exception(int80, sizeof(int80), SGX_VEC_UD);
}

TEST(exception_executed_code_page_runs)
{
	static const uint8_t ret[] = { 0xc3 };
	struct softsgx_enclave *e = te_load();

	ASSERT_TRUE(e);
	EXPECT_EQ(te_run(e, 0, TE_OP_EXEC, code_page(e, ret, sizeof(ret)), 0), 0);
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
	page = code_page(e, int3, sizeof(int3));
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
	/* The handler ran with the kernel's mask: the thread's, its sa_mask and SIGTRAP. */
	EXPECT_TRUE(sigismember(&trap_mask, SIGTRAP) && sigismember(&trap_mask, SIGUSR2));
	EXPECT_TRUE(!sigismember(&trap_mask, SIGUSR1) && !sigismember(&trap_mask, SIGALRM) &&
		    !sigismember(&trap_mask, SIGSEGV));
	softsgx_sigaction(SIGTRAP, &old, NULL);
	softsgx_unload(e);
}

struct busy {
	struct softsgx_enclave *e;
	volatile uint64_t flag;
	volatile int started;
};

static void *spin(void *arg)
{
	struct busy *b = arg;
	struct te_call c = { .op = TE_OP_SPIN, .arg = { (uintptr_t)&b->flag } };
	struct sgx_enclave_run run;

	__atomic_store_n(&b->started, 1, __ATOMIC_RELEASE);
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
	while (!__atomic_load_n(&b.started, __ATOMIC_ACQUIRE))
		;
	usleep(20000);
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
	struct te_call c = { .op = TE_OP_SYSCALL };

	ASSERT_TRUE(e);
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
