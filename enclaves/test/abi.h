/* SPDX-License-Identifier: MIT */
/*
 * The test enclave's interface, shared by the enclave (C and assembly) and
 * the tests that drive it. The host enters through any TCS with RDI
 * pointing at a struct te_call in untrusted memory; the enclave reads the
 * operation and its arguments, performs it and writes ret/out back before
 * EEXIT. Each TCS has a thread-data page (its FS and GS base) that starts
 * with the loader's struct softsgx_thread_data and continues with the save
 * slots of the entry code.
 */
#ifndef SOFTSGX_ENCLAVE_TEST_ABI_H
#define SOFTSGX_ENCLAVE_TEST_ABI_H

/* Thread-data page (offsets; the first four words are the loader's). */
#define TE_THREAD_SELF 0        /* offset of this page from the enclave base */
#define TE_THREAD_TCS 8         /* offset of the thread's TCS */
#define TE_THREAD_STACK_TOP 16  /* offset of the end of its stack */
#define TE_THREAD_OSSA 24       /* offset of its first SSA frame */
#define TE_THREAD_NOTIFY 32     /* AEX-Notify: non-zero when the thread takes notifications */
#define TE_THREAD_NOTIFIED 40   /* AEX-Notify: notifications its handler ran (EDECCSSA) */
#define TE_THREAD_SAVE 64       /* TE_MAX_NEST save slots, one per CSSA value */
#define TE_SAVE_RSP 0           /* in a slot: the untrusted RSP, RBP and RCX (return address) */
#define TE_SAVE_RBP 8
#define TE_SAVE_RCX 16
#define TE_SAVE_SIZE 32
#define TE_SAVE_SHIFT 5
#define TE_MAX_NEST 4           /* entries with CSSA >= this EEXIT at once */
#define TE_SSA_FRAME_SIZE 4096  /* SECS.SSAFRAMESIZE 1, as the loader creates it */
#define TE_GPRSGX_RSP (TE_SSA_FRAME_SIZE - 184 + 32)
#define TE_GPRSGX_OFFSET (TE_SSA_FRAME_SIZE - 184) /* GPRSGX in an SSA frame */
#define TE_RED_ZONE 128         /* kept free below an interrupted frame's RSP */

#define TE_ENCLU_EEXIT 4
#define TE_ENCLU_EDECCSSA 9
#define TE_GPRSGX_AEXNOTIFY 167 /* in GPRSGX: the byte whose bit 0 arms the notification */

#ifndef __ASSEMBLER__
#include <stdint.h>

/*
 * Operations (te_call.op). Arguments are arg[0], arg[1], ... in the order
 * given; addresses are absolute linear addresses. Unless stated, ret is 0.
 */
enum te_op {
	TE_OP_NOP = 0,
	TE_OP_PUT = 1,          /* (value): store it in the enclave's global */
	TE_OP_GET = 2,          /* (): ret = the global */
	TE_OP_PUT_AT = 3,       /* (addr, value): 8-byte store */
	TE_OP_GET_AT = 4,       /* (addr): ret = 8-byte load */
	TE_OP_EACCEPT = 5,      /* (secinfo flags, addr): ret = RAX */
	TE_OP_EACCEPTCOPY = 6,  /* (secinfo flags, dst, src): ret = RAX */
	TE_OP_EMODPE = 7,       /* (secinfo flags, addr) */
	TE_OP_INIT_TCS = 8,     /* (tcs addr, ossa offset, nssa, thread-data offset, stack-top offset) */
	TE_OP_EREPORT = 9,      /* (targetinfo ptr or 0, reportdata ptr or 0, out ptr: 432 bytes) */
	TE_OP_EGETKEY = 10,     /* (keyrequest ptr: 512 bytes, out ptr: 16 bytes): ret = RAX */
	TE_OP_READ = 11,        /* (addr): ret = the byte there (1-byte load) */
	TE_OP_WRITE = 12,       /* (addr): lock or $0 into the byte there (a write that keeps it) */
	TE_OP_EXEC = 13,        /* (addr): call it (a page holding a ret) */
	TE_OP_SPIN = 14,        /* (flag ptr, heartbeat ptr or 0): pause until *flag != 0, storing
				 *     the iterations so far (from 1) at the heartbeat each time
				 *     (test/spin.h); ret = iterations */
	TE_OP_CPUID = 15,       /* (leaf, subleaf): out[0..3] = EAX, EBX, ECX, EDX */
	TE_OP_SYSCALL = 16,     /* (): syscall with RAX = 39 (getpid); ret = RAX after it */
	TE_OP_RDSELF = 17,      /* (): ret = the enclave base the enclave computed */
	TE_OP_THREAD_INFO = 18, /* (): out[0] = TCS, out[1] = thread data, out[2] = CSSA at entry,
				 *     out[3] = an address on the current stack */
	TE_OP_RDTSC = 19,       /* (): ret = the time-stamp counter (#UD in an SGX1 enclave) */
	TE_OP_UD2 = 20,         /* (): executes UD2 (#UD), then ret = TE_RET_UD2_SKIPPED: an
				 *     exception handler must move the interrupted RIP past it */
	TE_OP_SSA_SKIP = 21,    /* (bytes): an exception handler entered with CSSA > 0: the
				 *     interrupted frame's (SSA frame CSSA - 1) RIP += bytes if its
				 *     EXITINFO is valid; ret = that EXITINFO, out[0] = its RIP before */
	TE_OP_FILL = 22,        /* (addr, pages, seed, accept): write te_pattern(seed, a) to every
				 *     8-byte word a of the pages in order, after EACCEPTing each
				 *     (RW, PENDING) if accept is non-zero; ret = 0, or the first
				 *     EACCEPT's error with out[0] its page */
	TE_OP_CHECK = 23,       /* (addr, pages, seed, stride): compare every word with the pattern,
				 *     page (i * stride) % pages for i = 0 .. pages - 1 (stride 0 or 1:
				 *     in order; it must be prime to pages); ret = mismatched words,
				 *     out[0] = the first one's address */
	TE_OP_ACCEPT_RANGE = 24, /* (secinfo flags, addr, pages): EACCEPT each page in order;
				 *     ret = 0, or the first error with out[0] its page */
	TE_OP_NOTIFY = 25,      /* (on): AEX-Notify for this thread on or off: the handler
				 *     (entry.S) runs after each AEX of a notifying enclave,
				 *     counts it, EDECCSSA, and continues; ret = the count */
	TE_OP_COMPUTE = 26,     /* (seed, rounds): ret = te_compute(seed, rounds), computed
				 *     in registers (to be interrupted while it runs) */
	TE_NR_OPS
};

/* The value TE_OP_FILL writes to the word at @addr, and TE_OP_CHECK expects. */
static inline uint64_t te_pattern(uint64_t seed, uint64_t addr)
{
	uint64_t x = seed ^ addr;

	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
	return x ^ (x >> 31);
}

/* What TE_OP_COMPUTE returns: @rounds steps of a mixing function from @seed. */
static inline uint64_t te_compute(uint64_t seed, uint64_t rounds)
{
	uint64_t x = seed;

	while (rounds--)
		x = te_pattern(x, rounds);
	return x;
}

/* ret of TE_OP_UD2 once past the instruction. */
#define TE_RET_UD2_SKIPPED 0x5ca1ab1eull
/* GPRSGX at the end of an SSA frame: RIP and EXITINFO within it. */
#define TE_GPRSGX_SIZE 184
#define TE_GPRSGX_RIP 136
#define TE_GPRSGX_EXITINFO 160
#define TE_EXITINFO_VALID (1u << 31)

/* ret of an unknown operation. */
#define TE_RET_BADOP (~0ull)

struct te_call {
	uint64_t op;
	uint64_t arg[6];
	uint64_t ret;
	uint64_t out[8];
};

/* The thread-data page. */
struct te_thread {
	uint64_t self;
	uint64_t tcs;
	uint64_t stack_top;
	uint64_t ossa;
	uint64_t notify;
	uint64_t notified;
	uint64_t reserved[2];
	struct {
		uint64_t rsp;
		uint64_t rbp;
		uint64_t rcx;
		uint64_t reserved;
	} save[TE_MAX_NEST];
};

_Static_assert(__builtin_offsetof(struct te_thread, self) == TE_THREAD_SELF, "te_thread.self");
_Static_assert(__builtin_offsetof(struct te_thread, tcs) == TE_THREAD_TCS, "te_thread.tcs");
_Static_assert(__builtin_offsetof(struct te_thread, stack_top) == TE_THREAD_STACK_TOP,
	       "te_thread.stack_top");
_Static_assert(__builtin_offsetof(struct te_thread, ossa) == TE_THREAD_OSSA, "te_thread.ossa");
_Static_assert(__builtin_offsetof(struct te_thread, notify) == TE_THREAD_NOTIFY, "te_thread.notify");
_Static_assert(__builtin_offsetof(struct te_thread, notified) == TE_THREAD_NOTIFIED,
	       "te_thread.notified");
_Static_assert(__builtin_offsetof(struct te_thread, save) == TE_THREAD_SAVE, "te_thread.save");
_Static_assert(sizeof(((struct te_thread *)0)->save[0]) == TE_SAVE_SIZE, "te_thread save slot");
_Static_assert(TE_SAVE_SIZE == 1 << TE_SAVE_SHIFT, "TE_SAVE_SHIFT");
#endif /* __ASSEMBLER__ */

#endif /* SOFTSGX_ENCLAVE_TEST_ABI_H */
