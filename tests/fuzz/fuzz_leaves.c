/* SPDX-License-Identifier: MIT */
/*
 * fuzz_leaves: the processor's ENCLS and ENCLU leaves (src/cpu/cpu.h) with
 * hostile operands. Each input powers on a small processor (32 EPC pages,
 * the EPCM invariants checked after every leaf, which aborts on the first
 * broken one) with a "kernel" logical processor and two enclave logical
 * processors whose MMU is a page table the input writes. The input is a
 * sequence of operations, each a byte choosing one leaf (or a page-table
 * change, an AEX, an ENCLU instruction with any leaf number, an ordinary
 * enclave access) and bytes for its operands: EPC addresses (pages, their
 * insides, addresses beside the EPC), host memory operands (PAGEINFO,
 * SECINFO, source pages, PCMD, SIGSTRUCT, EINITTOKEN: in a pool, aligned
 * or not), SECS, TCS and SECINFO contents, linear addresses in and around
 * a 64-page window. EINIT gets a SIGSTRUCT signed for the measurement the
 * target mirrors (ECREATE/EADD/EEXTEND), so that initialized enclaves and
 * their ENCLU leaves are reached; the input may spoil it.
 * Checked: every leaf returns 0, an SGX code the processor knows, or #GP
 * or #PF with the fault recorded on its logical processor; the invariants
 * hold after every leaf; the processor frees all it allocated.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cpu/fixture.h"
#include "fuzz.h"
#include "softsgx/measure.h"
#include "softsgx/sign.h"

#define PAGE 4096ull
#define EPC_PAGES 32
#define WINDOW 0x40000000ull        /* linear addresses of the page table */
#define WINDOW_PAGES 64
#define POOL_PAGES 8                /* host memory operands */
#define MAX_OPS 64
#define NR_LPS 2

struct pte {
	uint64_t pa;                 /* 0: not present */
	uint8_t perm;                /* SGX_SECINFO_R/W/X */
};

static struct {
	struct sgx_cpu *cpu;
	struct sgx_lp *klp;
	struct sgx_lp *lps[NR_LPS];
	struct sgx_regs regs[NR_LPS];
	struct pte pt[WINDOW_PAGES];
	struct sgx_measure *measure[EPC_PAGES]; /* mirror of each SECS page's MRENCLAVE */
	uint64_t epc_base;
} m;

static uint8_t *pool;               /* POOL_PAGES pages and a spare one after them */
static struct sgx_sigstruct *sig;
static struct sgx_einittoken *token;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	pool = aligned_alloc(PAGE, (POOL_PAGES + 1) * PAGE);
	sig = aligned_alloc(PAGE, PAGE);
	token = aligned_alloc(512, 512);
	FUZZ_CHECK(pool && sig && token, "out of memory");
	fx_signing_key();
	return 0;
}

/* The MMU of the enclave logical processors: the page table of the window. */
static uint32_t translate(void *ctx, uint64_t la, uint32_t access, uint64_t *pa)
{
	const struct pte *p;

	(void)ctx;
	if (la < WINDOW || la - WINDOW >= WINDOW_PAGES * PAGE)
		return SGX_PF_U | access;
	p = &m.pt[(la - WINDOW) / PAGE];
	if (!p->pa)
		return SGX_PF_U | access;
	if (((access & SGX_PF_W) && !(p->perm & SGX_SECINFO_W)) ||
	    ((access & SGX_PF_I) && !(p->perm & SGX_SECINFO_X)))
		return SGX_PF_P | SGX_PF_U | access;
	*pa = p->pa + (la & (PAGE - 1));
	return 0;
}

static const struct sgx_mmu mmu = { .translate = translate };

/* Operands */

static uint64_t epc_page(unsigned int i)
{
	return m.epc_base + (uint64_t)(i % EPC_PAGES) * PAGE;
}

/* An EPC address: mostly a page, sometimes inside one or beside the EPC. */
static uint64_t pick_epc(struct fuzz_in *in)
{
	uint8_t how = fuzz_u8(in);

	if (how < 0xE0)
		return epc_page(how);
	switch (how % 4) {
	case 0: {
		uint64_t epc = epc_page(fuzz_u8(in));

		return epc + fuzz_below(in, 16) * 256;
	}
	case 1:
		return m.epc_base - PAGE;
	case 2:
		return m.epc_base + EPC_PAGES * PAGE;
	default:
		return fuzz_u64(in);
	}
}

/* A linear address: mostly a page of the window, sometimes inside one or around it. */
static uint64_t pick_la(struct fuzz_in *in)
{
	uint8_t how = fuzz_u8(in);

	if (how < 0xC0)
		return WINDOW + (how % WINDOW_PAGES) * PAGE;
	if (how < 0xF0) {
		uint64_t page = fuzz_below(in, WINDOW_PAGES);

		return WINDOW + page * PAGE + fuzz_u16(in) % PAGE;
	}
	return how % 2 ? WINDOW - PAGE : fuzz_u64(in);
}

/* Host memory for an operand of @len bytes aligned to @align: a pool page, sometimes misaligned. */
static void *pick_host(struct fuzz_in *in, size_t align)
{
	uint8_t how = fuzz_u8(in);
	uint8_t *p = pool + (how % POOL_PAGES) * PAGE;

	if (how >= 0xF0)
		p += (1 + fuzz_below(in, 255)) % align ?: 8;
	return p;
}

static uint64_t pick_secinfo_flags(struct fuzz_in *in)
{
	static const uint64_t flags[] = {
		SGX_SECINFO_REG | SGX_SECINFO_R | SGX_SECINFO_W,
		SGX_SECINFO_REG | SGX_SECINFO_R | SGX_SECINFO_X,
		SGX_SECINFO_REG | SGX_SECINFO_R,
		SGX_SECINFO_TCS,
		SGX_SECINFO_SECS,
		SGX_SECINFO_VA,
		SGX_SECINFO_TRIM,
		SGX_SECINFO_REG | SGX_SECINFO_R | SGX_SECINFO_W | SGX_SECINFO_PENDING,
		SGX_SECINFO_REG | SGX_SECINFO_R | SGX_SECINFO_PR,
		SGX_SECINFO_TRIM | SGX_SECINFO_MODIFIED,
		SGX_SECINFO_TCS | SGX_SECINFO_MODIFIED,
		SGX_SECINFO_REG | SGX_SECINFO_W,
	};
	uint8_t how = fuzz_u8(in);

	return how < 0xF0 ? flags[how % (sizeof(flags) / sizeof(flags[0]))] : fuzz_u64(in);
}

/* Operands may be misaligned: they are written with memcpy() from an aligned copy. */
static struct sgx_secinfo *pick_secinfo(struct fuzz_in *in)
{
	void *p = pick_host(in, 64);
	struct sgx_secinfo si = { .flags = pick_secinfo_flags(in) };

	if (fuzz_u8(in) >= 0xF8)
		si.reserved[fuzz_below(in, sizeof(si.reserved))] = 1;
	memcpy(p, &si, sizeof(si));
	return p;
}

/*
 * An ENCLU SECINFO at a linear address, written (as the enclave would
 * store it) into the EPC page the window maps there if that page is one
 * the enclave can write: a valid, accepted REG page with W.
 */
static uint64_t pick_enclave_secinfo(struct fuzz_in *in)
{
	uint64_t la = pick_la(in) & ~63ull, flags = pick_secinfo_flags(in);
	struct sgx_epcm_info info;
	const struct pte *p;

	if (la >= WINDOW && la - WINDOW < WINDOW_PAGES * PAGE) {
		p = &m.pt[(la - WINDOW) / PAGE];
		if (p->pa && !(p->pa & (PAGE - 1)) && !sgx_cpu_epcm_read(m.cpu, p->pa, &info) &&
		    info.valid && info.type == SGX_PAGE_TYPE_REG && (info.perm & SGX_SECINFO_W) &&
		    !info.pending && !info.modified) {
			struct sgx_secinfo si = { .flags = flags };
			uint8_t *mem = sgx_cpu_epc_mem(m.cpu, p->pa);

			memcpy(mem + (la & (PAGE - 1)), &si, sizeof(si));
		}
	}
	return la;
}

/* Page contents for EADD: zeros, input bytes, a TCS or a SECS. */
static void *pick_source(struct fuzz_in *in, uint64_t linaddr)
{
	static uint8_t page[PAGE] __attribute__((aligned(PAGE)));
	uint8_t *p = page, *to = pick_host(in, PAGE);
	uint8_t how = fuzz_u8(in);

	memset(p, 0, PAGE);
	switch (how % 4) {
	case 0:
		break;
	case 1:
		fuzz_bytes(in, p, 64);
		break;
	case 2:
		fx_tcs_default((struct sgx_tcs *)p, FX_SSA0);
		if (how >= 0xF0)
			fuzz_bytes(in, p, 48);
		break;
	default: {
		struct sgx_secs *secs = (struct sgx_secs *)p;
		uint64_t size = 1ull << (12 + fuzz_below(in, 12));

		fx_secs_default(secs, (linaddr ? linaddr : WINDOW) & ~(size - 1), size);
		if (how >= 0xC0) {
			secs->ssa_frame_size = fuzz_below(in, 4);
			secs->attributes.flags ^= 1ull << fuzz_below(in, 64);
			secs->attributes.xfrm = fuzz_below(in, 8);
			secs->miscselect = fuzz_below(in, 4);
		}
		break;
	}
	}
	memcpy(to, p, PAGE);
	return to;
}

/* A PAGEINFO (in *@pi, written to the returned operand by put_pageinfo()). */
static void *pick_pageinfo(struct fuzz_in *in, bool secinfo, struct sgx_pageinfo *pi)
{
	void *p = pick_host(in, 32);

	memset(pi, 0, sizeof(*pi));
	pi->linaddr = pick_la(in);
	pi->srcpge = (uintptr_t)pick_source(in, pi->linaddr);
	if (secinfo)
		pi->secinfo = (uintptr_t)pick_secinfo(in);
	else
		pi->pcmd = (uintptr_t)pick_host(in, 128);
	pi->secs = fuzz_u8(in) < 0x20 ? 0 : pick_epc(in);
	return p;
}

static const struct sgx_pageinfo *put_pageinfo(void *p, const struct sgx_pageinfo *pi)
{
	memcpy(p, pi, sizeof(*pi));
	return p;
}

/* Checks */

static bool known_code(int ret)
{
	const char *name = sgx_code_name(ret);

	return name && name[0] != '?';
}

static void check_leaf(const char *leaf, struct sgx_lp *lp, int ret)
{
	const struct sgx_fault_info *f;

	if (sgx_is_fault(ret)) {
		f = sgx_lp_fault(lp);
		FUZZ_CHECK(ret == SGX_GP || ret == SGX_PF, "%s raised vector %d", leaf,
			   sgx_fault_vector(ret));
		FUZZ_CHECK(f->vector == sgx_fault_vector(ret),
			   "%s raised %s, the LP records vector %u", leaf, sgx_code_name(ret),
			   f->vector);
		return;
	}
	FUZZ_CHECK(ret >= 0 && known_code(ret), "%s returned %d", leaf, ret);
}

/* The measurement mirror (what a signer computes). */

static unsigned int epc_index(uint64_t epc)
{
	return (unsigned int)((epc - m.epc_base) / PAGE);
}

static bool is_epc_page(uint64_t epc)
{
	return epc >= m.epc_base && epc < m.epc_base + EPC_PAGES * PAGE && !(epc & (PAGE - 1));
}

static void mirror_ecreate(uint64_t epc, const struct sgx_pageinfo *pi)
{
	const struct sgx_secs *secs = sgx_cpu_epc_mem(m.cpu, epc); /* what ECREATE kept */
	unsigned int i = epc_index(epc);

	(void)pi;
	sgx_measure_free(m.measure[i]);
	m.measure[i] = sgx_measure_new();
	FUZZ_CHECK(m.measure[i], "out of memory");
	sgx_measure_ecreate(m.measure[i], secs->ssa_frame_size, secs->size);
}

/* The SECS of the page at @epc and its ELRANGE base, if it has one with a mirror. */
static struct sgx_measure *mirror_of(uint64_t epc, uint64_t *base, uint64_t *linaddr)
{
	struct sgx_epcm_info info;
	const struct sgx_secs *secs;

	if (sgx_cpu_epcm_read(m.cpu, epc & ~(PAGE - 1), &info) || !info.valid || !info.secs ||
	    !is_epc_page(info.secs))
		return NULL;
	secs = sgx_cpu_epc_mem(m.cpu, info.secs);
	*base = secs->base;
	*linaddr = info.linaddr;
	return m.measure[epc_index(info.secs)];
}

static void mirror_eadd(uint64_t epc, const struct sgx_pageinfo *pi)
{
	struct sgx_secinfo si;
	struct sgx_measure *mr;
	uint64_t base, la, flags;

	memcpy(&si, (const void *)(uintptr_t)pi->secinfo, sizeof(si));
	flags = si.flags;
	mr = mirror_of(epc, &base, &la);
	if (!mr)
		return;
	if ((flags & SGX_SECINFO_PT_MASK) == SGX_SECINFO_TCS)
		flags &= ~SGX_SECINFO_PERM_MASK;
	sgx_measure_eadd(mr, la - base, flags);
}

static void mirror_eextend(uint64_t chunk)
{
	struct sgx_measure *mr;
	uint64_t base, la;

	mr = mirror_of(chunk, &base, &la);
	if (mr)
		sgx_measure_eextend(mr, la - base + (chunk & (PAGE - 1)),
				    (const uint8_t *)sgx_cpu_epc_mem(m.cpu, chunk & ~(PAGE - 1)) +
					    (chunk & (PAGE - 1)));
}

/* A SIGSTRUCT for the SECS at @secs_epc (its mirror and attributes), signed; maybe spoiled. */
static void fill_sigstruct(struct fuzz_in *in, uint64_t secs_epc)
{
	uint8_t how = fuzz_u8(in), mrsigner[32];

	sgx_sigstruct_init(sig);
	sig->header.vendor = 0x8086;
	sig->body.misc_mask = ~0u;
	sig->body.attributes_mask.flags = ~0ull;
	sig->body.attributes_mask.xfrm = ~0ull;
	if (is_epc_page(secs_epc)) {
		const struct sgx_secs *secs = sgx_cpu_epc_mem(m.cpu, secs_epc);

		sig->body.miscselect = secs->miscselect;
		sig->body.attributes = secs->attributes;
		if (m.measure[epc_index(secs_epc)])
			sgx_measure_digest(m.measure[epc_index(secs_epc)], sig->body.mrenclave);
	}
	if (how >= 0xC0)
		fuzz_bytes(in, (uint8_t *)&sig->body + fuzz_below(in, sizeof(sig->body) - 8), 8);
	fx_sigstruct_sign(sig);
	if (how >= 0xC0 && how % 5 == 0)
		fuzz_bytes(in, (uint8_t *)sig + fuzz_u16(in) % (sizeof(*sig) - 8), 8);
	FUZZ_CHECK(!sgx_sigstruct_mrsigner(sig, mrsigner), "MRSIGNER");
	sgx_cpu_write_lepubkeyhash(m.cpu, how % 16 == 15 ? (const uint8_t[32]){ 1 } : mrsigner);
	memset(token, 0, 512);
	if (how % 16 == 14)
		fuzz_bytes(in, token, 512);
}

/* The leaves */

enum {
	L_ECREATE, L_EADD, L_EEXTEND, L_EINIT, L_EREMOVE, L_EDBGRD, L_EDBGWR, L_EBLOCK, L_ETRACK,
	L_EPA, L_EWB, L_ELDB, L_ELDU, L_EAUG, L_EMODPR, L_EMODT,
	U_EENTER, U_ERESUME, U_EEXIT, U_EACCEPT, U_EMODPE, U_EACCEPTCOPY, U_EREPORT, U_EGETKEY,
	U_ENCLU, ACCESS, AEX, MAP, UNMAP, NR_OPS
};

static void run_encls(struct fuzz_in *in, unsigned int op)
{
	struct sgx_lp *lp = m.klp;
	struct sgx_pageinfo pi;
	void *at;
	uint64_t epc, data;
	int ret;

	switch (op) {
	case L_ECREATE:
		at = pick_pageinfo(in, true, &pi);
		epc = pick_epc(in);
		/* Mostly the SECS contents and SECINFO ECREATE wants. */
		if (fuzz_u8(in) < 0xC0) {
			struct sgx_secs secs;
			struct sgx_secinfo si = { .flags = SGX_SECINFO_SECS };
			uint64_t size = 1ull << (16 + fuzz_below(in, 8));

			fx_secs_default(&secs, WINDOW & ~(size - 1), size);
			memcpy((void *)(uintptr_t)pi.srcpge, &secs, sizeof(secs));
			memcpy((void *)(uintptr_t)pi.secinfo, &si, sizeof(si));
			pi.linaddr = pi.secs = 0;
		}
		ret = encls_ecreate(lp, put_pageinfo(at, &pi), epc);
		check_leaf("ECREATE", lp, ret);
		if (!ret)
			mirror_ecreate(epc, &pi);
		break;
	case L_EADD:
		at = pick_pageinfo(in, true, &pi);
		epc = pick_epc(in);
		ret = encls_eadd(lp, put_pageinfo(at, &pi), epc);
		check_leaf("EADD", lp, ret);
		if (!ret)
			mirror_eadd(epc, &pi);
		break;
	case L_EEXTEND:
		epc = pick_epc(in);
		ret = encls_eextend(lp, pick_epc(in), epc);
		check_leaf("EEXTEND", lp, ret);
		if (!ret)
			mirror_eextend(epc);
		break;
	case L_EINIT: {
		const struct sgx_sigstruct *s;
		const struct sgx_einittoken *t;

		epc = pick_epc(in);
		fill_sigstruct(in, epc);
		s = fuzz_u8(in) < 0xF0 ? sig : pick_host(in, PAGE);
		t = fuzz_u8(in) < 0xF0 ? token : pick_host(in, 512);
		ret = encls_einit(lp, s, epc, t);
		check_leaf("EINIT", lp, ret);
		break;
	}
	case L_EREMOVE:
		check_leaf("EREMOVE", lp, encls_eremove(lp, pick_epc(in)));
		break;
	case L_EDBGRD:
		epc = pick_epc(in);
		epc += fuzz_below(in, 8) * 8;
		check_leaf("EDBGRD", lp, encls_edbgrd(lp, epc, &data));
		break;
	case L_EDBGWR:
		epc = pick_epc(in);
		epc += fuzz_below(in, 8) * 8;
		check_leaf("EDBGWR", lp, encls_edbgwr(lp, epc, fuzz_u64(in)));
		break;
	case L_EBLOCK:
		check_leaf("EBLOCK", lp, encls_eblock(lp, pick_epc(in)));
		break;
	case L_ETRACK:
		check_leaf("ETRACK", lp, encls_etrack(lp, pick_epc(in)));
		break;
	case L_EPA:
		epc = pick_epc(in);
		data = fuzz_u8(in) < 0xF0 ? SGX_PAGE_TYPE_VA : fuzz_u8(in);
		check_leaf("EPA", lp, encls_epa(lp, data, epc));
		break;
	case L_EWB: {
		struct sgx_pageinfo *out;

		at = pick_pageinfo(in, false, &pi);
		epc = pick_epc(in);
		pi.linaddr = fuzz_u8(in) < 0xF0 ? 0 : pi.linaddr;
		pi.secs = fuzz_u8(in) < 0xF0 ? 0 : pi.secs;
		data = pick_epc(in);
		data += fuzz_below(in, 512) * 8;
		out = (struct sgx_pageinfo *)put_pageinfo(at, &pi);
		check_leaf("EWB", lp, encls_ewb(lp, out, epc, data));
		break;
	}
	case L_ELDB:
	case L_ELDU:
		/* Source and PCMD as an EWB left them in the pool (or not). */
		at = pick_host(in, 32);
		memset(&pi, 0, sizeof(pi));
		pi.linaddr = pick_la(in);
		pi.srcpge = (uintptr_t)pick_host(in, PAGE);
		pi.pcmd = (uintptr_t)pick_host(in, 128);
		pi.secs = pick_epc(in);
		epc = pick_epc(in);
		data = pick_epc(in);
		data += fuzz_below(in, 512) * 8;
		put_pageinfo(at, &pi);
		ret = op == L_ELDB ? encls_eldb(lp, at, epc, data) : encls_eldu(lp, at, epc, data);
		check_leaf(op == L_ELDB ? "ELDB" : "ELDU", lp, ret);
		break;
	case L_EAUG:
		at = pick_pageinfo(in, false, &pi);
		pi.srcpge = fuzz_u8(in) < 0xF0 ? 0 : pi.srcpge;
		pi.secinfo = fuzz_u8(in) < 0xF0 ? 0 : (uintptr_t)pick_secinfo(in);
		epc = pick_epc(in);
		check_leaf("EAUG", lp, encls_eaug(lp, put_pageinfo(at, &pi), epc));
		break;
	case L_EMODPR: {
		struct sgx_secinfo *si = pick_secinfo(in);

		check_leaf("EMODPR", lp, encls_emodpr(lp, si, pick_epc(in)));
		break;
	}
	default: {
		struct sgx_secinfo *si = pick_secinfo(in);

		check_leaf("EMODT", lp, encls_emodt(lp, si, pick_epc(in)));
		break;
	}
	}
}

static void run_enclu(struct fuzz_in *in, unsigned int op)
{
	unsigned int i = fuzz_below(in, NR_LPS);
	struct sgx_lp *lp = m.lps[i];
	struct sgx_regs *regs = &m.regs[i];
	uint64_t a, b;

	switch (op) {
	case U_EENTER:
	case U_ERESUME:
		memset(regs, 0, sizeof(*regs));
		regs->rbx = pick_la(in);
		regs->rcx = fuzz_u8(in) < 0xF0 ? FX_AEP : pick_la(in);
		regs->rip = FX_ENCLU_RIP;
		regs->rsp = FX_URSP;
		regs->rbp = FX_URBP;
		check_leaf(op == U_EENTER ? "EENTER" : "ERESUME", lp,
			   op == U_EENTER ? enclu_eenter(lp, regs) : enclu_eresume(lp, regs));
		break;
	case U_EEXIT:
		regs->rbx = fuzz_u8(in) < 0xF0 ? FX_ENCLU_RIP + 3 : pick_la(in);
		check_leaf("EEXIT", lp, enclu_eexit(lp, regs));
		break;
	case U_EACCEPT:
		a = pick_enclave_secinfo(in);
		check_leaf("EACCEPT", lp, enclu_eaccept(lp, a, pick_la(in)));
		break;
	case U_EMODPE:
		a = pick_enclave_secinfo(in);
		check_leaf("EMODPE", lp, enclu_emodpe(lp, a, pick_la(in)));
		break;
	case U_EACCEPTCOPY:
		a = pick_enclave_secinfo(in);
		b = pick_la(in);
		check_leaf("EACCEPTCOPY", lp, enclu_eacceptcopy(lp, a, b, pick_la(in)));
		break;
	case U_EREPORT:
		a = pick_la(in);
		b = pick_la(in);
		check_leaf("EREPORT", lp, enclu_ereport(lp, a, b, pick_la(in) & ~511ull));
		break;
	case U_EGETKEY:
		a = pick_la(in) & ~511ull;
		if (fuzz_u8(in) < 0xC0)
			pick_enclave_secinfo(in); /* a few known bytes in the request's page */
		check_leaf("EGETKEY", lp, enclu_egetkey(lp, a, pick_la(in) & ~15ull));
		break;
	default: /* ENCLU as an instruction, with any leaf number */
		regs->rax = fuzz_u8(in) < 0xF0 ? fuzz_below(in, 10) : fuzz_u64(in);
		regs->rbx = pick_la(in);
		regs->rcx = pick_la(in);
		regs->rdx = pick_la(in);
		check_leaf("ENCLU", lp, enclu(lp, regs));
		break;
	}
}

static void run_op(struct fuzz_in *in, unsigned int op)
{
	unsigned int i;
	struct pte *p;

	if (op < U_EENTER) {
		run_encls(in, op);
		return;
	}
	if (op < ACCESS) {
		run_enclu(in, op);
		return;
	}
	i = fuzz_below(in, NR_LPS);
	switch (op) {
	case ACCESS: {
		uint64_t la = pick_la(in);

		static const uint32_t kinds[] = { 0, SGX_PF_W, SGX_PF_I };
		uint32_t kind = kinds[fuzz_below(in, 3)];

		check_leaf("access", m.lps[i], sgx_enclave_access(m.lps[i], la, kind));
		break;
	}
	case AEX: {
		struct sgx_exception exc = { .vector = 32 };
		uint8_t how = fuzz_u8(in);

		if (!sgx_lp_in_enclave(m.lps[i]))
			break;
		if (how >= 0x80) {
			exc.vector = how % 2 ? SGX_VEC_PF : SGX_VEC_GP;
			exc.has_error_code = true;
			exc.error_code = fuzz_u16(in);
			exc.addr = pick_la(in);
		}
		check_leaf("AEX", m.lps[i], sgx_aex(m.lps[i], &m.regs[i], &exc));
		break;
	}
	case MAP:
		p = &m.pt[fuzz_below(in, WINDOW_PAGES)];
		p->pa = fuzz_u8(in) < 0xF0 ? epc_page(fuzz_u8(in)) : pick_epc(in);
		p->perm = fuzz_below(in, 8);
		break;
	default:
		m.pt[fuzz_below(in, WINDOW_PAGES)].pa = 0;
		break;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sgx_cpu_config cfg;
	struct fuzz_in in;
	unsigned int i;
	int ops;

	fuzz_in_init(&in, data, size);
	memset(&m, 0, sizeof(m));
	memset(pool, 0, (POOL_PAGES + 1) * PAGE);
	sgx_cpu_config_default(&cfg);
	cfg.epc_pages = EPC_PAGES;
	cfg.check_invariants = true;
	FUZZ_CHECK(!sgx_cpu_create(&cfg, &m.cpu), "sgx_cpu_create");
	m.epc_base = sgx_cpu_epc_base(m.cpu);
	m.klp = sgx_lp_create(m.cpu, NULL, NULL);
	for (i = 0; i < NR_LPS; i++)
		m.lps[i] = sgx_lp_create(m.cpu, &mmu, NULL);
	/* The window starts mapped one to one onto the EPC, read-write. */
	for (i = 0; i < EPC_PAGES; i++)
		m.pt[i] = (struct pte){ .pa = epc_page(i), .perm = SGX_SECINFO_R | SGX_SECINFO_W };

	for (ops = 0; ops < MAX_OPS && !fuzz_in_done(&in); ops++)
		run_op(&in, fuzz_below(&in, NR_OPS));

	for (i = 0; i < NR_LPS; i++)
		sgx_lp_destroy(m.lps[i]);
	sgx_lp_destroy(m.klp);
	sgx_cpu_destroy(m.cpu);
	for (i = 0; i < EPC_PAGES; i++)
		sgx_measure_free(m.measure[i]);
	return 0;
}
