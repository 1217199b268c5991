/* SPDX-License-Identifier: MIT */
/*
 * Demo steps 7-8: page types change at run time (MODIFY_TYPES, EMODT):
 * a regular page becomes a TCS and a new thread enters through it;
 * pages are trimmed, accepted as trimmed and removed (REMOVE_PAGES).
 */
#include <errno.h>
#include <string.h>

#include "demo.h"
#include "softsgx/softsgx.h"
#include "test/abi.h"

#define REG_RW (SGX_SECINFO_REG | SGX_SECINFO_R | SGX_SECINFO_W)
#define TCS_MODIFIED (SGX_SECINFO_TCS | SGX_SECINFO_MODIFIED)
#define TRIM_MODIFIED (SGX_SECINFO_TRIM | SGX_SECINFO_MODIFIED)

/* The new thread's pages: P3 TCS, P4-P5 SSA, P6 thread data, P7-P10 stack (top: P11). */
#define NEW_TCS 3
#define NEW_SSA 4
#define NEW_TDATA 6
#define NEW_STACK_TOP 11

static uint64_t offset_of(struct demo *d, uint64_t addr)
{
	return addr - d->base;
}

static int modify_types(struct demo *d, uint64_t addr, uint64_t len, uint64_t type)
{
	struct sgx_enclave_modify_types m = { .offset = offset_of(d, addr), .length = len,
					      .page_type = type };

	return demo_ioctl(d, SGX_IOC_ENCLAVE_MODIFY_TYPES, &m);
}

static int remove_pages(struct demo *d, uint64_t addr, uint64_t len)
{
	struct sgx_enclave_remove_pages r = { .offset = offset_of(d, addr), .length = len };

	return demo_ioctl(d, SGX_IOC_ENCLAVE_REMOVE_PAGES, &r);
}

/* Step 7 */

/* The enclave accepts the new thread's pages and writes its TCS into P3. */
static void prepare_thread_pages(struct demo *d, uint64_t tcs0)
{
	const uint64_t args[5] = { d->page[NEW_TCS], offset_of(d, d->page[NEW_SSA]),
				   SOFTSGX_LOAD_NSSA, offset_of(d, d->page[NEW_TDATA]),
				   offset_of(d, d->page[NEW_STACK_TOP]) };
	unsigned int i;

	for (i = NEW_TCS; i < NEW_STACK_TOP; i++)
		demo_check(d, demo_call(d, tcs0, TE_OP_EACCEPT, REG_RW | SGX_SECINFO_PENDING,
					d->page[i], 0) == 0, "EACCEPT of P%u failed", i);
	demo_check(d, demo_call_out(d, tcs0, TE_OP_INIT_TCS, args, NULL) == 0,
		   "the enclave could not write the new TCS");
}

bool demo_step_tcs(struct demo *d)
{
	uint64_t tcs0 = demo_tcs(d, 0), tcs = d->page[NEW_TCS], info[2] = { 0 };
	const uint64_t none[5] = { 0 };
	struct demo_map m;

	demo_map_init(&m, &d->page[NEW_TCS], 5, true);
	m.name[0] = "P3", m.name[1] = "P4", m.name[2] = "P5", m.name[3] = "P6", m.name[4] = "P7";
	prepare_thread_pages(d, tcs0);
	demo_map_snap(d, &m, "accepted");
	if (!demo_check_call(d, modify_types(d, tcs, DEMO_PAGE, SGX_PAGE_TYPE_TCS),
			     "MODIFY_TYPES(TCS)"))
		return false;
	demo_map_snap(d, &m, "MODIFY_TYPES");
	demo_expect_state(d, tcs, "TCS M");
	demo_check(d, demo_call(d, tcs0, TE_OP_EACCEPT, TCS_MODIFIED, tcs, 0) == 0,
		   "EACCEPT of the new TCS failed");
	demo_map_snap(d, &m, "EACCEPT");
	demo_expect_state(d, tcs, "TCS");
	demo_call_out(d, tcs, TE_OP_THREAD_INFO, none, info);
	demo_check(d, info[0] == tcs && info[1] == d->page[NEW_TDATA],
		   "the thread entered through P3 does not run on P3 and its thread data");
	demo_say(d, "The enclave accepted 8 fresh pages and wrote a TCS into P3 (SSA P4-P5,");
	demo_say(d, "thread data P6, stack P7-P10). MODIFY_TYPES(TCS) ran EMODT: MODIFIED");
	demo_say(d, "until the enclave's EACCEPT. EENTER through P3 then ran a new thread");
	demo_say(d, "(TCS +%#llx, thread data +%#llx).", (unsigned long long)(info[0] - d->base),
		 (unsigned long long)(info[1] - d->base));
	demo_map_print(d, &m);
	return true;
}

/* Step 8 */

bool demo_step_trim(struct demo *d)
{
	uint64_t tcs0 = demo_tcs(d, 0), len = 2 * DEMO_PAGE;
	struct demo_map m;
	int early, early_errno;
	unsigned int i;

	demo_map_init(&m, &d->page[1], 2, true);
	m.name[0] = "P1", m.name[1] = "P2";
	if (!demo_check_call(d, modify_types(d, d->page[1], len, SGX_PAGE_TYPE_TRIM),
			     "MODIFY_TYPES(TRIM)"))
		return false;
	demo_map_snap(d, &m, "MODIFY_TYPES");
	demo_expect_state(d, d->page[1], "TRIM M");
	early = remove_pages(d, d->page[1], len);
	early_errno = errno;
	demo_check(d, early == -1 && early_errno == EPERM,
		   "REMOVE_PAGES before the enclave's EACCEPT: expected EPERM, got %d (%s)", early,
		   demo_errname(early_errno));
	for (i = 1; i <= 2; i++)
		demo_check(d, demo_call(d, tcs0, TE_OP_EACCEPT, TRIM_MODIFIED, d->page[i], 0) == 0,
			   "EACCEPT of trimmed P%u failed", i);
	demo_map_snap(d, &m, "EACCEPT");
	demo_check_call(d, remove_pages(d, d->page[1], len), "REMOVE_PAGES");
	demo_map_snap(d, &m, "REMOVE_PAGES");
	demo_expect_state(d, d->page[1], "--");
	demo_expect_state(d, d->page[2], "--");
	demo_say(d, "MODIFY_TYPES(TRIM) on P1-P2 (EMODT). REMOVE_PAGES refused them (%s)",
		 demo_errname(early_errno));
	demo_say(d, "until the enclave EACCEPTed the trim; then the driver EREMOVEd them: the");
	demo_say(d, "addresses are free for EAUG again.");
	demo_map_print(d, &m);
	return true;
}
