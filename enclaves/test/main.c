/* SPDX-License-Identifier: MIT */
/*
 * The test enclave's operations (abi.h): te_main() copies the request in
 * from untrusted memory, performs it and writes ret/out back. Everything
 * the leaves read or write (SECINFO, TARGETINFO, REPORTDATA, REPORT,
 * KEYREQUEST, key) is staged in aligned buffers on the enclave stack, so
 * threads never share them. The code is position independent with
 * RIP-relative references only: the image needs no relocation.
 */
#include <stddef.h>
#include <stdint.h>

#include "abi.h"
#include "softsgx/arch.h"

#pragma GCC visibility push(hidden)
extern const uint8_t __ehdr_start[]; /* the ELF header, at the enclave base */
void enclave_entry(void);
void *memcpy(void *dst, const void *src, size_t len);
void *memset(void *dst, int c, size_t len);
void te_main(struct te_call *call, uint64_t cssa);
#pragma GCC visibility pop

static volatile uint64_t te_value;

static uint64_t enclu(uint64_t leaf, uint64_t rbx, uint64_t rcx, uint64_t rdx)
{
	uint64_t rax = leaf;

	asm volatile(".byte 0x0f, 0x01, 0xd7"
		     : "+a"(rax), "+b"(rbx), "+c"(rcx), "+d"(rdx)
		     :
		     : "memory", "cc");
	return rax;
}

static uint64_t enclave_base(void)
{
	return (uint64_t)(uintptr_t)__ehdr_start;
}

static uint64_t thread_word(unsigned int offset)
{
	uint64_t v;

	asm volatile("mov %%gs:(%1), %0" : "=r"(v) : "r"((uint64_t)offset));
	return v;
}

static uint64_t op_eaccept(uint64_t leaf, uint64_t flags, uint64_t page, uint64_t src)
{
	struct sgx_secinfo secinfo;

	memset(&secinfo, 0, sizeof(secinfo));
	secinfo.flags = flags;
	return enclu(leaf, (uintptr_t)&secinfo, page, src);
}

/* A TCS at @tcs_la (an accepted RW page) and its thread-data page, all offsets. */
static void op_init_tcs(uint64_t tcs_la, uint64_t ossa, uint64_t nssa, uint64_t tdata,
			uint64_t stack_top)
{
	const uint64_t base = enclave_base();
	struct sgx_tcs *tcs = (struct sgx_tcs *)(uintptr_t)tcs_la;
	struct te_thread *td = (struct te_thread *)(uintptr_t)(base + tdata);

	memset(tcs, 0, sizeof(*tcs));
	tcs->ossa = ossa;
	tcs->nssa = (uint32_t)nssa;
	tcs->oentry = (uint64_t)(uintptr_t)enclave_entry - base;
	tcs->ofsbase = tdata;
	tcs->ogsbase = tdata;
	tcs->fslimit = 0xFFFFFFFF;
	tcs->gslimit = 0xFFFFFFFF;
	memset(td, 0, SGX_PAGE_SIZE);
	td->self = tdata;
	td->tcs = tcs_la - base;
	td->stack_top = stack_top;
	td->ossa = ossa;
}

static void op_ereport(uint64_t targetinfo, uint64_t reportdata, uint64_t out)
{
	struct sgx_targetinfo ti;
	struct {
		uint8_t data[64];
	} __attribute__((aligned(128))) rd;
	struct sgx_report report;

	memset(&ti, 0, sizeof(ti));
	memset(&rd, 0, sizeof(rd));
	if (targetinfo)
		memcpy(&ti, (const void *)(uintptr_t)targetinfo, sizeof(ti));
	if (reportdata)
		memcpy(&rd, (const void *)(uintptr_t)reportdata, sizeof(rd.data));
	enclu(ENCLU_EREPORT, (uintptr_t)&ti, (uintptr_t)&rd, (uintptr_t)&report);
	memcpy((void *)(uintptr_t)out, &report, offsetof(struct sgx_report, mac) + sizeof(report.mac));
}

static uint64_t op_egetkey(uint64_t keyrequest, uint64_t out)
{
	struct sgx_keyrequest req;
	struct {
		uint8_t key[16];
	} __attribute__((aligned(16))) key;
	uint64_t ret;

	memcpy(&req, (const void *)(uintptr_t)keyrequest, sizeof(req));
	memset(&key, 0, sizeof(key));
	ret = enclu(ENCLU_EGETKEY, (uintptr_t)&req, (uintptr_t)&key, 0);
	memcpy((void *)(uintptr_t)out, &key, sizeof(key));
	return ret;
}

static uint64_t op_spin(uint64_t flag, uint64_t beat)
{
	const volatile uint64_t *f = (const volatile uint64_t *)(uintptr_t)flag;
	volatile uint64_t *b = (volatile uint64_t *)(uintptr_t)beat;
	uint64_t n = 0;

	while (!*f) {
		if (b)
			*b = n + 1;
		asm volatile("pause");
		n++;
	}
	return n;
}

static void op_cpuid(uint64_t leaf, uint64_t subleaf, uint64_t out[4])
{
	uint32_t a, b, c, d;

	asm volatile("cpuid" : "=a"(a), "=b"(b), "=c"(c), "=d"(d) : "a"((uint32_t)leaf),
		     "c"((uint32_t)subleaf));
	out[0] = a;
	out[1] = b;
	out[2] = c;
	out[3] = d;
}

static uint64_t op_syscall(void)
{
	uint64_t rax = 39; /* getpid */

	asm volatile("syscall" : "+a"(rax) : : "rcx", "r11", "memory");
	return rax;
}

/* RDTSC: legal in an SGX2 enclave, #UD in an SGX1 one. */
static uint64_t op_rdtsc(void)
{
	uint32_t lo, hi;

	asm volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return (uint64_t)hi << 32 | lo;
}

/* UD2, which an exception handler skips (TE_OP_SSA_SKIP); what follows shows it did. */
static uint64_t op_ud2(void)
{
	uint64_t ret = 0;

	asm volatile("ud2\n\tmov %1, %0" : "=r"(ret) : "i"(TE_RET_UD2_SKIPPED) : "memory");
	return ret;
}

/* An exception handler's work: the interrupted frame's RIP moved on by @bytes. */
static uint64_t op_ssa_skip(uint64_t cssa, uint64_t bytes, uint64_t out[8])
{
	uint8_t *gpr;
	uint32_t exitinfo;

	if (!cssa)
		return 0;
	gpr = (uint8_t *)(uintptr_t)(enclave_base() + thread_word(TE_THREAD_OSSA)) +
	      cssa * TE_SSA_FRAME_SIZE - TE_GPRSGX_SIZE;
	memcpy(&exitinfo, gpr + TE_GPRSGX_EXITINFO, sizeof(exitinfo));
	memcpy(&out[0], gpr + TE_GPRSGX_RIP, sizeof(out[0]));
	if (exitinfo & TE_EXITINFO_VALID) {
		uint64_t rip = out[0] + bytes;

		memcpy(gpr + TE_GPRSGX_RIP, &rip, sizeof(rip));
	}
	return exitinfo;
}

static uint64_t op_memory(uint64_t op, uint64_t addr, uint64_t value)
{
	uint8_t byte;

	switch (op) {
	case TE_OP_PUT_AT:
		*(volatile uint64_t *)(uintptr_t)addr = value;
		return 0;
	case TE_OP_GET_AT:
		return *(volatile uint64_t *)(uintptr_t)addr;
	case TE_OP_READ:
		asm volatile("movb (%1), %0" : "=q"(byte) : "r"(addr) : "memory");
		return byte;
	case TE_OP_WRITE:
		asm volatile("lock orb $0, (%0)" : : "r"(addr) : "memory", "cc");
		return 0;
	default: /* TE_OP_EXEC */
		((void (*)(void))(uintptr_t)addr)();
		return 0;
	}
}

static uint64_t op_fill(uint64_t addr, uint64_t pages, uint64_t seed, uint64_t accept,
			uint64_t out[8])
{
	const uint64_t rw = SGX_SECINFO_REG | SGX_SECINFO_R | SGX_SECINFO_W | SGX_SECINFO_PENDING;
	volatile uint64_t *w;
	uint64_t p, i, err;

	for (p = 0; p < pages; p++) {
		w = (volatile uint64_t *)(uintptr_t)(addr + p * 4096);
		if (accept && (err = op_eaccept(ENCLU_EACCEPT, rw, (uint64_t)(uintptr_t)w, 0))) {
			out[0] = (uint64_t)(uintptr_t)w;
			return err;
		}
		for (i = 0; i < 512; i++)
			w[i] = te_pattern(seed, (uint64_t)(uintptr_t)&w[i]);
	}
	return 0;
}

static uint64_t op_check(uint64_t addr, uint64_t pages, uint64_t seed, uint64_t stride,
			 uint64_t out[8])
{
	volatile const uint64_t *w;
	uint64_t n, p, i, bad = 0;

	for (n = 0; n < pages; n++) {
		p = stride > 1 ? (n * stride) % pages : n;
		w = (volatile const uint64_t *)(uintptr_t)(addr + p * 4096);
		for (i = 0; i < 512; i++) {
			if (w[i] == te_pattern(seed, (uint64_t)(uintptr_t)&w[i]))
				continue;
			if (!bad++)
				out[0] = (uint64_t)(uintptr_t)&w[i];
		}
	}
	return bad;
}

static void thread_set(unsigned int offset, uint64_t v)
{
	asm volatile("mov %0, %%gs:(%1)" : : "r"(v), "r"((uint64_t)offset) : "memory");
}

/* AEX-Notify on or off for this thread: the flag entry.S reads, and frame @cssa armed. */
static uint64_t op_notify(uint64_t on, uint64_t cssa)
{
	uint8_t *gpr = (uint8_t *)(uintptr_t)(enclave_base() + thread_word(TE_THREAD_OSSA)) +
		       cssa * TE_SSA_FRAME_SIZE + TE_GPRSGX_OFFSET;

	thread_set(TE_THREAD_NOTIFY, on);
	*(volatile uint8_t *)(gpr + TE_GPRSGX_AEXNOTIFY) = on ? 1 : 0;
	return thread_word(TE_THREAD_NOTIFIED);
}

static uint64_t op_accept_range(uint64_t flags, uint64_t addr, uint64_t pages, uint64_t out[8])
{
	uint64_t p, err;

	for (p = 0; p < pages; p++) {
		err = op_eaccept(ENCLU_EACCEPT, flags, addr + p * 4096, 0);
		if (err) {
			out[0] = addr + p * 4096;
			return err;
		}
	}
	return 0;
}

static uint64_t dispatch(const struct te_call *c, uint64_t cssa, uint64_t out[8])
{
	switch (c->op) {
	case TE_OP_NOP:
		return 0;
	case TE_OP_PUT:
		te_value = c->arg[0];
		return 0;
	case TE_OP_GET:
		return te_value;
	case TE_OP_PUT_AT:
	case TE_OP_GET_AT:
	case TE_OP_READ:
	case TE_OP_WRITE:
	case TE_OP_EXEC:
		return op_memory(c->op, c->arg[0], c->arg[1]);
	case TE_OP_EACCEPT:
		return op_eaccept(ENCLU_EACCEPT, c->arg[0], c->arg[1], 0);
	case TE_OP_EACCEPTCOPY:
		return op_eaccept(ENCLU_EACCEPTCOPY, c->arg[0], c->arg[1], c->arg[2]);
	case TE_OP_EMODPE:
		op_eaccept(ENCLU_EMODPE, c->arg[0], c->arg[1], 0);
		return 0;
	case TE_OP_INIT_TCS:
		op_init_tcs(c->arg[0], c->arg[1], c->arg[2], c->arg[3], c->arg[4]);
		return 0;
	case TE_OP_EREPORT:
		op_ereport(c->arg[0], c->arg[1], c->arg[2]);
		return 0;
	case TE_OP_EGETKEY:
		return op_egetkey(c->arg[0], c->arg[1]);
	case TE_OP_SPIN:
		return op_spin(c->arg[0], c->arg[1]);
	case TE_OP_CPUID:
		op_cpuid(c->arg[0], c->arg[1], out);
		return 0;
	case TE_OP_SYSCALL:
		return op_syscall();
	case TE_OP_RDTSC:
		return op_rdtsc();
	case TE_OP_RDSELF:
		return enclave_base();
	case TE_OP_UD2:
		return op_ud2();
	case TE_OP_SSA_SKIP:
		return op_ssa_skip(cssa, c->arg[0], out);
	case TE_OP_FILL:
		return op_fill(c->arg[0], c->arg[1], c->arg[2], c->arg[3], out);
	case TE_OP_CHECK:
		return op_check(c->arg[0], c->arg[1], c->arg[2], c->arg[3], out);
	case TE_OP_ACCEPT_RANGE:
		return op_accept_range(c->arg[0], c->arg[1], c->arg[2], out);
	case TE_OP_NOTIFY:
		return op_notify(c->arg[0], cssa);
	case TE_OP_COMPUTE:
		return te_compute(c->arg[0], c->arg[1]);
	case TE_OP_THREAD_INFO:
		out[0] = enclave_base() + thread_word(TE_THREAD_TCS);
		out[1] = enclave_base() + thread_word(TE_THREAD_SELF);
		out[2] = cssa;
		out[3] = (uint64_t)(uintptr_t)out; /* te_main's array, on the stack */
		return 0;
	default:
		return TE_RET_BADOP;
	}
}

void te_main(struct te_call *call, uint64_t cssa)
{
	struct te_call c;
	uint64_t out[8] = { 0 }, ret;

	memcpy(&c, call, sizeof(c));
	ret = dispatch(&c, cssa, out);
	call->ret = ret;
	memcpy(call->out, out, sizeof(out));
}
