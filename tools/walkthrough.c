/* SPDX-License-Identifier: MIT */
/*
 * `softsgx demo` (processor walkthrough): drives the emulated processor
 * through the SGX2 permission-restriction sequence an OS and an enclave
 * runtime perform, leaf by leaf, printing what each step did to the EPCM:
 * build and EINIT a small enclave, enter it, EAUG a page and EACCEPT it,
 * restrict it with EMODPR, watch EACCEPT fail with SGX_NOT_TRACKED until
 * ETRACK has run and the thread inside has been interrupted (AEX) and
 * resumed, then accept the restriction.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cpu/cpu.h"
#include "softsgx/measure.h"
#include "softsgx/sign.h"
#include "walkthrough.h"

#define BASE 0x7f0000000000ull
#define SIZE 0x10000ull
#define NPAGES (SIZE / SGX_PAGE_SIZE)
#define TCS_OFF 0x0000
#define SSA_OFF 0x1000
#define CODE_OFF 0x3000
#define SECINFO_OFF 0x4000 /* a data page the enclave keeps its SECINFOs in */
#define AUG_OFF 0x8000
#define AEP 0x400000ull

struct machine {
	struct sgx_cpu *cpu;
	struct sgx_lp *kernel;        /* executes ENCLS, as the driver would */
	struct sgx_lp *thread;        /* the enclave thread */
	struct sgx_measure *measure;  /* what the signer computes */
	uint64_t secs;
	uint64_t pt[NPAGES];          /* the page table: ELRANGE page -> EPC page */
	uint64_t next_epc;
	int failures;
};

static uint32_t translate(void *ctx, uint64_t la, uint32_t access, uint64_t *pa)
{
	struct machine *m = ctx;

	if (la < BASE || la - BASE >= SIZE || !m->pt[(la - BASE) / SGX_PAGE_SIZE])
		return access; /* not present */
	*pa = m->pt[(la - BASE) / SGX_PAGE_SIZE] + (la & (SGX_PAGE_SIZE - 1));
	return 0;
}

static const struct sgx_mmu mmu = { .translate = translate };

static void step(struct machine *m, const char *what, int got, int want, const char *why)
{
	bool ok = got == want;

	printf("%s %-44s -> %-28s %s\n", ok ? "  " : "!!", what, sgx_code_name(got), why);
	if (!ok) {
		printf("!! expected %s\n", sgx_code_name(want));
		m->failures++;
	}
}

static void show_page(struct machine *m, uint64_t off)
{
	static const char *const types[] = { "SECS", "TCS", "REG", "VA", "TRIM" };
	struct sgx_epcm_info e;

	if (!m->pt[off / SGX_PAGE_SIZE]) {
		printf("     page %#7llx  (no EPC page)\n", (unsigned long long)(BASE + off));
		return;
	}
	sgx_cpu_epcm_read(m->cpu, m->pt[off / SGX_PAGE_SIZE], &e);
	printf("     page %#llx  EPCM %s %c%c%c%s%s%s\n", (unsigned long long)(BASE + off),
	       e.type <= 4 ? types[e.type] : "?", e.perm & 1 ? 'r' : '-', e.perm & 2 ? 'w' : '-',
	       e.perm & 4 ? 'x' : '-', e.pending ? " PENDING" : "", e.modified ? " MODIFIED" : "",
	       e.pr ? " PR" : "");
}

static int eadd(struct machine *m, uint64_t off, uint64_t flags, const void *data)
{
	static uint8_t page[SGX_PAGE_SIZE] __attribute__((aligned(4096)));
	struct sgx_secinfo si = { .flags = flags };
	struct sgx_pageinfo pi = { .linaddr = BASE + off, .srcpge = (uintptr_t)page,
				   .secinfo = (uintptr_t)&si, .secs = m->secs };
	uint64_t epc = m->next_epc, mflags = flags;
	int ret;

	memcpy(page, data, SGX_PAGE_SIZE);
	m->next_epc += SGX_PAGE_SIZE;
	ret = encls_eadd(m->kernel, &pi, epc);
	for (uint64_t c = 0; !ret && c < SGX_PAGE_SIZE; c += 256)
		ret = encls_eextend(m->kernel, m->secs, epc + c);
	if ((flags & SGX_SECINFO_PT_MASK) == SGX_SECINFO_TCS)
		mflags &= ~SGX_SECINFO_PERM_MASK;
	sgx_measure_page(m->measure, off, mflags, page, 1);
	m->pt[off / SGX_PAGE_SIZE] = epc;
	return ret;
}

static int build(struct machine *m)
{
	static struct sgx_secs secs __attribute__((aligned(4096)));
	static struct sgx_tcs tcs __attribute__((aligned(4096)));
	static uint8_t zero[SGX_PAGE_SIZE];
	struct sgx_secinfo si = { .flags = SGX_SECINFO_SECS };
	struct sgx_pageinfo pi = { .srcpge = (uintptr_t)&secs, .secinfo = (uintptr_t)&si };
	const uint64_t rw = SGX_SECINFO_REG | SGX_SECINFO_R | SGX_SECINFO_W;
	int ret;

	secs.base = BASE;
	secs.size = SIZE;
	secs.ssa_frame_size = 1;
	secs.miscselect = SGX_MISC_EXINFO;
	secs.attributes.flags = SGX_ATTR_MODE64BIT | SGX_ATTR_DEBUG;
	secs.attributes.xfrm = 3;
	m->secs = m->next_epc;
	m->next_epc += SGX_PAGE_SIZE;
	ret = encls_ecreate(m->kernel, &pi, m->secs);
	if (ret)
		return ret;
	sgx_measure_ecreate(m->measure, 1, SIZE);
	tcs.ossa = SSA_OFF;
	tcs.nssa = 2;
	tcs.oentry = CODE_OFF;
	if ((ret = eadd(m, TCS_OFF, SGX_SECINFO_TCS, &tcs)) ||
	    (ret = eadd(m, SSA_OFF, rw, zero)) || (ret = eadd(m, SSA_OFF + 0x1000, rw, zero)) ||
	    (ret = eadd(m, CODE_OFF, SGX_SECINFO_REG | SGX_SECINFO_R | SGX_SECINFO_X, zero)) ||
	    (ret = eadd(m, SECINFO_OFF, rw, zero)))
		return ret;
	return 0;
}

static int einit(struct machine *m, uint8_t mrenclave[32], uint8_t mrsigner[32])
{
	static struct sgx_sigstruct sig __attribute__((aligned(4096)));
	static struct sgx_einittoken token;
	EVP_PKEY *key;

	sgx_sigstruct_init(&sig);
	sig.body.attributes.flags = SGX_ATTR_MODE64BIT | SGX_ATTR_DEBUG;
	sig.body.attributes.xfrm = 3;
	sig.body.attributes_mask.flags = ~0ull;
	sig.body.attributes_mask.xfrm = ~0ull;
	sig.body.miscselect = SGX_MISC_EXINFO;
	sig.body.misc_mask = ~0u;
	sgx_measure_digest(m->measure, mrenclave);
	memcpy(sig.body.mrenclave, mrenclave, 32);
	if (sgx_sign_keygen(&key) || sgx_sigstruct_sign(&sig, key) || sgx_sign_mrsigner(key, mrsigner)) {
		fprintf(stderr, "softsgx: signing failed\n");
		exit(1);
	}
	EVP_PKEY_free(key);
	sgx_cpu_write_lepubkeyhash(m->cpu, mrsigner); /* as Linux does before EINIT */
	return encls_einit(m->kernel, &sig, m->secs, &token);
}

static void put_secinfo(struct machine *m, uint64_t flags)
{
	struct sgx_secinfo *si = sgx_cpu_epc_mem(m->cpu, m->pt[SECINFO_OFF / SGX_PAGE_SIZE]);

	memset(si, 0, sizeof(*si));
	si->flags = flags;
}

static void hex(const char *label, const uint8_t *v)
{
	printf("     %s ", label);
	for (int i = 0; i < 32; i++)
		printf("%02x", v[i]);
	printf("\n");
}

int walkthrough_run(void)
{
	struct sgx_cpu_config cfg;
	struct machine m = { 0 };
	struct sgx_regs regs = { .rbx = BASE + TCS_OFF, .rcx = AEP, .rip = AEP - 3 };
	struct sgx_exception irq = { .vector = 32 };
	struct sgx_pageinfo aug = { .linaddr = BASE + AUG_OFF };
	uint8_t mrenclave[32], mrsigner[32];
	const uint64_t reg = SGX_SECINFO_REG;

	sgx_cpu_config_default(&cfg);
	cfg.epc_pages = 64;
	if (sgx_cpu_create(&cfg, &m.cpu))
		return 1;
	m.kernel = sgx_lp_create(m.cpu, NULL, NULL);
	m.thread = sgx_lp_create(m.cpu, &mmu, &m);
	m.measure = sgx_measure_new();
	m.next_epc = sgx_cpu_epc_base(m.cpu);

	printf("softsgx processor walkthrough: SGX2 page permissions on an emulated EPC of %zu pages\n\n",
	       sgx_cpu_epc_pages(m.cpu));
	step(&m, "ECREATE, EADD+EEXTEND x5", build(&m), SGX_SUCCESS, "enclave built and measured");
	step(&m, "EINIT", einit(&m, mrenclave, mrsigner), SGX_SUCCESS, "signature and MRENCLAVE verified");
	hex("MRENCLAVE", mrenclave);
	hex("MRSIGNER ", mrsigner);
	step(&m, "EENTER", enclu_eenter(m.thread, &regs), SGX_SUCCESS, "one thread runs inside");

	aug.secs = m.secs;
	m.pt[AUG_OFF / SGX_PAGE_SIZE] = m.next_epc;
	step(&m, "EAUG (driver, on a page fault)", encls_eaug(m.kernel, &aug, m.next_epc), SGX_SUCCESS,
	     "new page, pending until the enclave accepts it");
	show_page(&m, AUG_OFF);
	put_secinfo(&m, reg | SGX_SECINFO_R | SGX_SECINFO_W | SGX_SECINFO_PENDING);
	step(&m, "EACCEPT(REG rw- PENDING)", enclu_eaccept(m.thread, BASE + SECINFO_OFF, BASE + AUG_OFF),
	     SGX_SUCCESS, "the enclave takes the page");
	show_page(&m, AUG_OFF);

	step(&m, "EMODPR(r--) (driver, RESTRICT_PERMISSIONS)",
	     encls_emodpr(m.kernel, &(struct sgx_secinfo){ .flags = SGX_SECINFO_R },
			  m.pt[AUG_OFF / SGX_PAGE_SIZE]),
	     SGX_SUCCESS, "EPCM now r--, PR set");
	show_page(&m, AUG_OFF);
	put_secinfo(&m, reg | SGX_SECINFO_R | SGX_SECINFO_PR);
	step(&m, "EACCEPT(REG r-- PR) before ETRACK",
	     enclu_eaccept(m.thread, BASE + SECINFO_OFF, BASE + AUG_OFF), SGX_NOT_TRACKED,
	     "stale translations may still exist");
	step(&m, "ETRACK (driver)", encls_etrack(m.kernel, m.secs), SGX_SUCCESS, "a new epoch begins");
	step(&m, "EACCEPT(REG r-- PR) after ETRACK",
	     enclu_eaccept(m.thread, BASE + SECINFO_OFF, BASE + AUG_OFF), SGX_NOT_TRACKED,
	     "this thread entered before the ETRACK");
	step(&m, "AEX (the driver's interrupt)", sgx_aex(m.thread, &regs, &irq), SGX_SUCCESS,
	     "the thread leaves: tracking completes");
	step(&m, "ERESUME", enclu_eresume(m.thread, &regs), SGX_SUCCESS, "back inside, new epoch");
	step(&m, "EACCEPT(REG r-- PR)", enclu_eaccept(m.thread, BASE + SECINFO_OFF, BASE + AUG_OFF),
	     SGX_SUCCESS, "restriction accepted");
	show_page(&m, AUG_OFF);
	regs.rbx = AEP;
	step(&m, "EEXIT", enclu_eexit(m.thread, &regs), SGX_SUCCESS, "thread outside");

	printf("\n     leaves:");
	for (unsigned int id = 0; id < SGX_NR_LEAF_IDS; id++)
		if (sgx_cpu_leaf_count(m.cpu, id))
			printf(" %s=%llu", sgx_leaf_name(id),
			       (unsigned long long)sgx_cpu_leaf_count(m.cpu, id));
	printf("\n\n%s\n", m.failures ? "walkthrough FAILED" : "walkthrough complete: every step behaved as on SGX2");
	sgx_measure_free(m.measure);
	sgx_lp_destroy(m.thread);
	sgx_lp_destroy(m.kernel);
	sgx_cpu_destroy(m.cpu);
	return m.failures ? 1 : 0;
}
