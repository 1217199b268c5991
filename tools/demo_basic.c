/* SPDX-License-Identifier: MIT */
/*
 * Demo steps 1-3: the enclave is built and initialized by the loader
 * (CREATE, ADD_PAGES, INIT), entered through both of its TCSs, and grows
 * by EAUG on a page fault, made usable by the enclave's EACCEPT.
 */
#include <errno.h>
#include <string.h>

#include "cli.h"
#include "demo.h"
#include "driver/driver.h"
#include "image.h"
#include "test/abi.h"

#define REG_RW (SGX_SECINFO_REG | SGX_SECINFO_R | SGX_SECINFO_W)
#define DEMO_VALUE 0x5347582d32ull /* "SGX-2" */

/* Step 1 */

static void remember_enclave(struct demo *d)
{
	unsigned int i;

	d->base = softsgx_enclave_base(d->e);
	d->fd = softsgx_enclave_fd(d->e);
	for (i = 0; i < DEMO_NR_PAGES; i++)
		d->page[i] = softsgx_enclave_free_start(d->e) + i * DEMO_PAGE;
}

static void show_identity(struct demo *d, size_t len)
{
	uint8_t measured[32];
	char hex[65];

	demo_check_call(d, softsgx_measure_image(demo_enclave_image, len, NULL, measured),
			"the signer's measurement of the image");
	demo_check(d, !memcmp(measured, softsgx_enclave_mrenclave(d->e), 32),
		   "MRENCLAVE differs from the signer's computation over the same layout");
	demo_say(d, "MRENCLAVE   %s", cli_hex(softsgx_enclave_mrenclave(d->e), 32, hex));
	demo_say(d, "MRSIGNER    %s", cli_hex(softsgx_enclave_mrsigner(d->e), 32, hex));
}

static void show_layout(struct demo *d)
{
	uint64_t tcs = demo_tcs(d, 0);
	const uint64_t addr[DEMO_MAP_COLS] = { d->base,		 d->base + 0x1000,
					       d->base + 0x2000, d->base + 0x3000,
					       tcs,		 tcs + SOFTSGX_LOAD_SSA_OFFSET };
	static const char *const names[DEMO_MAP_COLS] = { "headers", ".text", ".rodata",
							  ".data", "TCS 0", "SSA 0" };
	struct demo_map m;

	demo_map_init(&m, addr, DEMO_MAP_COLS, false);
	memcpy(m.name, names, sizeof(names));
	demo_map_snap(d, &m, "after INIT");
	demo_map_print(d, &m);
	demo_expect_state(d, d->base + 0x1000, "REG r-x");
	demo_expect_state(d, tcs, "TCS");
}

bool demo_step_build(struct demo *d)
{
	size_t len = (size_t)(demo_enclave_image_end - demo_enclave_image);

	if (softsgx_load_image(demo_enclave_image, len, NULL, &d->e)) {
		int err = errno;

		return demo_check(d, false, "the loader could not build the enclave: %s%s",
				  demo_errname(err),
				  err == ENOMEM ? " (too small an EPC? see --epc-size)" : "");
	}
	remember_enclave(d);
	d->encl = sgx_encl_from_fd(d->plat, d->fd);
	if (!demo_check(d, d->encl != NULL, "the driver does not know the enclave's descriptor"))
		return false;
	demo_say(d, "The loader made the enclave: CREATE (ECREATE); %llu measured pages in %llu",
		 (unsigned long long)softsgx_leaf_count(SGX_LEAF_ENCLS(ENCLS_EADD)),
		 (unsigned long long)softsgx_counter(SOFTSGX_CNT_IOCTL_ADD_PAGES));
	demo_say(d, "ADD_PAGES calls (EADD, EEXTEND); INIT: EINIT verified the SIGSTRUCT's");
	demo_say(d, "signature and that its MRENCLAVE, which a signer computes from the");
	demo_say(d, "image, is the one measured. MRSIGNER: SHA-256 of the key's modulus.");
	show_identity(d, len);
	show_layout(d);
	return true;
}

/* Step 2 */

bool demo_step_enter(struct demo *d)
{
	uint64_t tcs0 = demo_tcs(d, 0), tcs1 = demo_tcs(d, 1);
	const uint64_t addr[2] = { tcs0, tcs1 };
	struct demo_map m;

	demo_check(d, demo_call(d, tcs0, TE_OP_PUT, DEMO_VALUE, 0, 0) == 0, "TE_OP_PUT failed");
	demo_check(d, demo_call(d, tcs1, TE_OP_GET, 0, 0, 0) == DEMO_VALUE,
		   "the value stored through TCS 0 did not come back through TCS 1");
	demo_check(d, demo_call(d, tcs0, TE_OP_RDSELF, 0, 0, 0) == d->base,
		   "the enclave computed another base address than the loader's");
	demo_say(d, "EENTER through TCS 0 stored %#llx in enclave memory, EEXIT; EENTER",
		 DEMO_VALUE);
	demo_say(d, "through TCS 1 read it back. Enclave code runs natively; ENCLU traps.");
	demo_map_init(&m, addr, 2, false);
	m.name[0] = "TCS 0";
	m.name[1] = "TCS 1";
	demo_map_snap(d, &m, "after EEXIT");
	demo_map_print(d, &m);
	return true;
}

/* Step 3 */

/* The enclave's #PF handler: the page is there but PENDING; accept it. */
static bool accept_pending(struct demo_exception *x)
{
	struct demo_map *m = x->ctx;
	struct demo *d = x->d;

	demo_map_snap(d, m, "at the #PF");
	demo_expect_state(d, d->page[0], "REG rw- P");
	/* Entered again on the faulting TCS: the enclave's exception handler (CSSA 1). */
	return demo_check(d, demo_call(d, x->tcs, TE_OP_EACCEPT, REG_RW | SGX_SECINFO_PENDING,
				       d->page[0], 0) == 0, "EACCEPT of the EAUGed page failed");
}

bool demo_step_eaug(struct demo *d)
{
	uint64_t tcs0 = demo_tcs(d, 0), eaugs = softsgx_counter(SOFTSGX_CNT_FAULT_EAUG), ret;
	struct demo_map m;
	struct demo_exception x = { .fix = accept_pending, .ctx = &m };

	demo_map_init(&m, d->page, 2, false);
	m.name[0] = "P0";
	m.name[1] = "P1";
	demo_call_handled(d, tcs0, TE_OP_PUT_AT, d->page[0] + 0x10, DEMO_VALUE, &x);
	demo_check(d, x.count == 1 && x.vector == SGX_VEC_PF && x.error_code == 0x8007,
		   "expected one #PF 0x8007 (PENDING), got %u exception(s), vector %u code %#x",
		   x.count, x.vector, x.error_code);
	ret = demo_call(d, tcs0, TE_OP_EACCEPT, REG_RW | SGX_SECINFO_PENDING, d->page[1], 0);
	demo_check(d, ret == 0, "EACCEPT of P1 (no page yet) failed");
	demo_check(d, softsgx_counter(SOFTSGX_CNT_FAULT_EAUG) - eaugs == 2,
		   "expected 2 EAUGs on faults, the driver made %llu",
		   (unsigned long long)(softsgx_counter(SOFTSGX_CNT_FAULT_EAUG) - eaugs));
	demo_check(d, demo_call(d, tcs0, TE_OP_GET_AT, d->page[0] + 0x10, 0, 0) == DEMO_VALUE,
		   "the write to P0 did not complete after ERESUME");
	demo_map_snap(d, &m, "after");
	demo_say(d, "The enclave wrote to P0, which had no page: on the #PF the driver EAUGed");
	demo_say(d, "one (PENDING); the EPCM refused the write (#PF 0x8007) until the enclave");
	demo_say(d, "EACCEPTed the page; then ERESUME. P1: the enclave EACCEPTed first; that");
	demo_say(d, "EACCEPT's own #PF had the driver EAUG the page.");
	demo_map_print(d, &m);
	demo_expect_state(d, d->page[0], "REG rw-");
	demo_expect_state(d, d->page[1], "REG rw-");
	return true;
}
