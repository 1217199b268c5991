/* SPDX-License-Identifier: MIT */
/*
 * Demo steps 4-6: the two places an enclave page's permissions live.
 * The EPCM: the kernel restricts it (RESTRICT_PERMISSIONS, with partial
 * success when a page of the range cannot be changed yet), the enclave
 * accepts restrictions (EACCEPT) and extends it (EMODPE). The page
 * tables: mprotect() changes only them, never the EPCM.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

#include "cpu/cpu.h"
#include "demo.h"
#include "softsgx/softsgx.h"
#include "test/abi.h"

#define REG_RW (SGX_SECINFO_REG | SGX_SECINFO_R | SGX_SECINFO_W)
#define REG_R_PR (SGX_SECINFO_REG | SGX_SECINFO_R | SGX_SECINFO_PR)

static uint64_t offset_of(struct demo *d, uint64_t addr)
{
	return addr - d->base;
}

/* Step 4 */

struct restrict_run {
	struct demo_map map;
	struct sgx_enclave_restrict_permissions first;
	struct sgx_enclave_restrict_permissions retry;
	int first_ret, first_errno, retry_ret;
};

static int restrict_range(struct demo *d, uint64_t offset, uint64_t len,
			  struct sgx_enclave_restrict_permissions *p)
{
	*p = (struct sgx_enclave_restrict_permissions){ .offset = offset, .length = len,
							 .permissions = SGX_SECINFO_R };
	return demo_ioctl(d, SGX_IOC_ENCLAVE_RESTRICT_PERMISSIONS, p);
}

/* The enclave accepts the restriction of pages P0..P2 (from its handler: CSSA 1). */
static void accept_restrictions(struct demo *d, uint64_t tcs)
{
	unsigned int i;

	for (i = 0; i < 3; i++)
		demo_check(d, demo_call(d, tcs, TE_OP_EACCEPT, REG_R_PR, d->page[i], 0) == 0,
			   "EACCEPT of P%u's restriction failed", i);
}

/*
 * The runtime, while the enclave's read of P2 waits (P2 is EAUGed, still
 * PENDING): restrict P0..P2 to read-only; the call stops at P2; accept
 * P2, retry from offset + count, accept the restrictions; ERESUME.
 */
static bool restrict_while_pending(struct demo_exception *x)
{
	struct restrict_run *r = x->ctx;
	struct demo *d = x->d;
	uint64_t off = offset_of(d, d->page[0]), ret;

	demo_map_snap(d, &r->map, "at the #PF");
	r->first_ret = restrict_range(d, off, 3 * DEMO_PAGE, &r->first);
	r->first_errno = errno;
	demo_map_snap(d, &r->map, "1st call");
	if (!demo_check(d, r->first_ret == -1 && r->first_errno == EFAULT &&
			   r->first.count == 2 * DEMO_PAGE &&
			   r->first.result == SGX_PAGE_NOT_MODIFIABLE,
			"expected -1/EFAULT, count 0x2000, SGX_PAGE_NOT_MODIFIABLE; "
			"got %d/%s, count %#llx, %s", r->first_ret, demo_errname(r->first_errno),
			(unsigned long long)r->first.count, sgx_code_name((int)r->first.result)))
		return false;
	ret = demo_call(d, x->tcs, TE_OP_EACCEPT, REG_RW | SGX_SECINFO_PENDING, d->page[2], 0);
	demo_check(d, ret == 0, "EACCEPT of the pending P2 failed");
	off += r->first.count;
	r->retry_ret = restrict_range(d, off, 3 * DEMO_PAGE - r->first.count, &r->retry);
	demo_check(d, r->retry_ret == 0 && r->retry.count == DEMO_PAGE,
		   "the retry from offset + count failed: %s, count %#llx", demo_errname(errno),
		   (unsigned long long)r->retry.count);
	demo_map_snap(d, &r->map, "retry");
	accept_restrictions(d, x->tcs);
	demo_map_snap(d, &r->map, "EACCEPTs");
	return !d->failure[0];
}

static void show_call(struct demo *d, const char *name,
		      const struct sgx_enclave_restrict_permissions *p, int ret, int err)
{
	demo_say(d, "  %-9s [+%#llx, +%#llx) -> %d%s%s, count %#llx", name,
		 (unsigned long long)p->offset, (unsigned long long)(p->offset + p->length), ret,
		 ret ? " " : "", ret ? demo_errname(err) : "", (unsigned long long)p->count);
	if (p->result)
		demo_say(d, "            result %s (%llu)", sgx_code_name((int)p->result),
			 (unsigned long long)p->result);
}

bool demo_step_restrict(struct demo *d)
{
	struct restrict_run r;
	struct demo_exception x = { .fix = restrict_while_pending, .ctx = &r };
	unsigned int i;

	memset(&r, 0, sizeof(r));
	demo_map_init(&r.map, d->page, 3, false);
	r.map.name[0] = "P0", r.map.name[1] = "P1", r.map.name[2] = "P2";
	demo_call_handled(d, demo_tcs(d, 0), TE_OP_READ, d->page[2], 0, &x);
	demo_check(d, x.count == 1 && x.vector == SGX_VEC_PF && x.error_code == 0x8005,
		   "expected one #PF 0x8005 (read of a PENDING page), got %u exception(s), "
		   "code %#x", x.count, x.error_code);
	demo_say(d, "The enclave read P2: EAUGed on the #PF but PENDING, so #PF 0x8005.");
	demo_say(d, "Before resuming it, the runtime restricted P0-P2 to r--. EMODPR cannot");
	demo_say(d, "change a PENDING page, so the call stopped there; the enclave EACCEPTed");
	demo_say(d, "P2, the runtime retried from offset+count, the enclave EACCEPTed the");
	demo_say(d, "restrictions; ERESUME.");
	show_call(d, "1st call", &r.first, r.first_ret, r.first_errno);
	show_call(d, "retry", &r.retry, r.retry_ret, 0);
	demo_map_print(d, &r.map);
	for (i = 0; i < 3; i++)
		demo_expect_state(d, d->page[i], "REG r--");
	return true;
}

/* Step 5 */

static bool extend_with_emodpe(struct demo_exception *x)
{
	const uint64_t rw = SGX_SECINFO_R | SGX_SECINFO_W;
	struct demo_map *m = x->ctx;
	struct demo *d = x->d;

	demo_map_snap(d, m, "at the #PF");
	demo_expect_state(d, d->page[0], "REG r--");
	demo_check(d, demo_call(d, x->tcs, TE_OP_EMODPE, rw, d->page[0], 0) == 0, "EMODPE failed");
	demo_map_snap(d, m, "EMODPE");
	return !d->failure[0];
}

bool demo_step_emodpe(struct demo *d)
{
	uint64_t epcm_faults = softsgx_counter(SOFTSGX_CNT_FAULT_EPCM);
	struct demo_map m;
	struct demo_exception x = { .fix = extend_with_emodpe, .ctx = &m };

	demo_map_init(&m, d->page, 1, false);
	m.name[0] = "P0";
	demo_call_handled(d, demo_tcs(d, 0), TE_OP_PUT_AT, d->page[0], 0x5e5, &x);
	demo_check(d, x.count == 1 && x.vector == SGX_VEC_PF && x.error_code == 0x8007,
		   "expected one #PF 0x8007 (the EPCM refuses), got %u exception(s), code %#x",
		   x.count, x.error_code);
	demo_check(d, softsgx_counter(SOFTSGX_CNT_FAULT_EPCM) > epcm_faults,
		   "the driver did not count a fault refused by the EPCM");
	demo_check(d, demo_call(d, demo_tcs(d, 0), TE_OP_GET_AT, d->page[0], 0, 0) == 0x5e5,
		   "the write did not complete after ERESUME");
	demo_say(d, "The mapping allows writing P0, its EPCM entry does not: #PF 0x8007");
	demo_say(d, "(SGX bit 0x8000 set). The enclave's handler extended its EPCM permission");
	demo_say(d, "with EMODPE, which needs no kernel call; ERESUME.");
	demo_map_print(d, &m);
	demo_expect_state(d, d->page[0], "REG rw-");
	return true;
}

/* Step 6 */

static int mprotect_p0(struct demo *d, int prot)
{
	return softsgx_mprotect((void *)(uintptr_t)d->page[0], DEMO_PAGE, prot);
}

static bool mprotect_back(struct demo_exception *x)
{
	struct demo_map *m = x->ctx;
	struct demo *d = x->d;

	demo_map_snap(d, m, "at the #PF");
	demo_expect_state(d, d->page[0], "REG rw-");
	return demo_check_call(d, mprotect_p0(d, PROT_READ | PROT_WRITE),
			       "mprotect(PROT_READ | PROT_WRITE)");
}

bool demo_step_mprotect(struct demo *d)
{
	uint64_t vma_faults = softsgx_counter(SOFTSGX_CNT_FAULT_VMA);
	struct demo_map m;
	struct demo_exception x = { .fix = mprotect_back, .ctx = &m };

	demo_map_init(&m, d->page, 1, false);
	m.name[0] = "P0";
	demo_map_snap(d, &m, "before");
	if (!demo_check_call(d, mprotect_p0(d, PROT_READ), "mprotect(PROT_READ)"))
		return false;
	demo_call_handled(d, demo_tcs(d, 0), TE_OP_PUT_AT, d->page[0], 0x3e3, &x);
	demo_check(d, x.count == 1 && x.vector == SGX_VEC_PF && x.error_code == 0x7,
		   "expected one #PF 0x7 (the page tables refuse), got %u exception(s), code %#x",
		   x.count, x.error_code);
	demo_check(d, softsgx_counter(SOFTSGX_CNT_FAULT_VMA) > vma_faults,
		   "the driver did not count a fault refused by the mapping");
	demo_check(d, demo_call(d, demo_tcs(d, 0), TE_OP_GET_AT, d->page[0], 0, 0) == 0x3e3,
		   "the write did not complete after ERESUME");
	demo_map_snap(d, &m, "after");
	demo_say(d, "mprotect(PROT_READ) on P0 changes the page tables only: the write");
	demo_say(d, "faulted with 0x7 (no SGX bit) while the EPCM still says rw-; the");
	demo_say(d, "runtime's mprotect(PROT_READ|PROT_WRITE), then ERESUME.");
	demo_map_print(d, &m);
	return true;
}
