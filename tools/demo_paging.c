/* SPDX-License-Identifier: MIT */
/*
 * Demo step 10: EPC paging. A second enclave, with twice as many pages as
 * the whole EPC, writes a distinct pattern to every page (each one EAUGed
 * on its fault, after the reclaimer made room) and reads all of it back, in
 * order and scattered: the driver evicts pages (EWB, sealed into the
 * enclave's backing store) and reloads them on their faults (ELDU).
 */
#include <string.h>

#include "demo.h"
#include "driver/driver.h"
#include "image.h"
#include "test/abi.h"

/* Beyond this many pages (an EPC of 128 MiB) the step says how to see it instead. */
#define DEMO_PAGING_MAX_PAGES (65536ull)
#define DEMO_PAGING_SEED 0x7061676564ull /* "paged" */
#define DEMO_PAGING_STRIDE 509          /* prime: a scattered order over the pages */

struct paging_counts {
	uint64_t evicted, reloaded, refused, batches, etrack, ipi, sigbus;
};

static void paging_counts(struct paging_counts *c)
{
	*c = (struct paging_counts){
		.evicted = softsgx_counter(SOFTSGX_CNT_EPC_EVICTED),
		.reloaded = softsgx_counter(SOFTSGX_CNT_EPC_RELOADED),
		.refused = softsgx_counter(SOFTSGX_CNT_EPC_RELOAD_FAILED),
		.batches = softsgx_counter(SOFTSGX_CNT_RECLAIM_BATCHES),
		.etrack = softsgx_counter(SOFTSGX_CNT_PAGING_ETRACK),
		.ipi = softsgx_counter(SOFTSGX_CNT_PAGING_IPI),
		.sigbus = softsgx_counter(SOFTSGX_CNT_FAULT_SIGBUS),
	};
}

/* The smallest power of two of bytes that holds the image, its threads and @pages more. */
static uint64_t elrange_for(uint64_t pages)
{
	uint64_t size = 16ull << 20;

	while (size / DEMO_PAGE < pages + 1024)
		size <<= 1;
	return size;
}

/* Fill, then check in order and scattered. Return: whether every word read back right. */
static bool write_and_read(struct demo *d, struct softsgx_enclave *e, uint64_t pages)
{
	uint64_t tcs = softsgx_enclave_tcs(e, 0), start = softsgx_enclave_free_start(e);
	uint64_t stride = pages % DEMO_PAGING_STRIDE ? DEMO_PAGING_STRIDE : 1;
	const uint64_t fill[5] = { start, pages, DEMO_PAGING_SEED, 1 };
	const uint64_t in_order[5] = { start, pages, DEMO_PAGING_SEED, 1 };
	const uint64_t scattered[5] = { start, pages, DEMO_PAGING_SEED, stride };
	uint64_t ret, out[2];

	ret = demo_call_out(d, tcs, TE_OP_FILL, fill, out);
	if (!demo_check(d, ret == 0, "the enclave's EACCEPT of +%#llx returned %#llx",
			(unsigned long long)(out[0] - softsgx_enclave_base(e)), (unsigned long long)ret))
		return false;
	demo_say(d, "The enclave accepted and wrote all %llu pages (%llu MiB).",
		 (unsigned long long)pages, (unsigned long long)(pages * DEMO_PAGE >> 20));
	ret = demo_call_out(d, tcs, TE_OP_CHECK, in_order, out);
	if (!demo_check(d, ret == 0, "%llu words read back wrong in order, the first at +%#llx",
			(unsigned long long)ret,
			(unsigned long long)(out[0] - softsgx_enclave_base(e))))
		return false;
	ret = demo_call_out(d, tcs, TE_OP_CHECK, scattered, out);
	if (!demo_check(d, ret == 0, "%llu words read back wrong scattered, the first at +%#llx",
			(unsigned long long)ret,
			(unsigned long long)(out[0] - softsgx_enclave_base(e))))
		return false;
	demo_say(d, "It read every word back, in order and then page by page %llu apart.",
		 (unsigned long long)stride);
	return true;
}

bool demo_step_paging(struct demo *d)
{
	uint64_t epc = sgx_cpu_epc_pages(d->plat->cpu), pages = 2 * epc, resident, swapped;
	struct softsgx_load_options opts = { .nr_tcs = 1, .encl_size = elrange_for(pages) };
	size_t len = (size_t)(demo_enclave_image_end - demo_enclave_image);
	struct paging_counts before, after;
	struct softsgx_enclave *e = NULL;
	bool ok;

	if (pages > DEMO_PAGING_MAX_PAGES) {
		demo_say(d, "Not run on an EPC of %llu pages: twice that is more than this demo writes "
			    "(%llu pages). `softsgx demo --epc-size 4M` shows it.",
			 (unsigned long long)epc, DEMO_PAGING_MAX_PAGES);
		return true;
	}
	paging_counts(&before);
	if (!demo_check_call(d, softsgx_load_image(demo_enclave_image, len, &opts, &e),
			     "loading a second enclave"))
		return false;
	demo_say(d, "A second enclave (ELRANGE %llu MiB) grows to twice the EPC of %llu pages:",
		 (unsigned long long)(opts.encl_size >> 20), (unsigned long long)epc);
	ok = write_and_read(d, e, pages);
	paging_counts(&after);
	if (ok && !softsgx_enclave_pages(softsgx_enclave_fd(e), &resident, &swapped))
		demo_say(d, "Its pages now: %llu in the EPC, %llu swapped out to its backing store.",
			 (unsigned long long)resident, (unsigned long long)swapped);
	demo_say(d, "  evicted (EWB) +%llu   reloaded (ELDU) +%llu   reclaimer passes +%llu",
		 (unsigned long long)(after.evicted - before.evicted),
		 (unsigned long long)(after.reloaded - before.reloaded),
		 (unsigned long long)(after.batches - before.batches));
	demo_say(d, "  ETRACK for paging +%llu   interrupt rounds for paging +%llu   SIGBUS +%llu",
		 (unsigned long long)(after.etrack - before.etrack),
		 (unsigned long long)(after.ipi - before.ipi),
		 (unsigned long long)(after.sigbus - before.sigbus));
	softsgx_unload(e);
	if (!ok)
		return false;
	demo_check(d, after.evicted - before.evicted >= pages - epc,
		   "only %llu pages were evicted", (unsigned long long)(after.evicted - before.evicted));
	demo_check(d, after.reloaded > before.reloaded, "no page was reloaded");
	demo_check(d, after.sigbus == before.sigbus && after.refused == before.refused,
		   "a fault ended in SIGBUS or a reload was refused");
	return true;
}
