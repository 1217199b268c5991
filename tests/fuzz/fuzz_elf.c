/* SPDX-License-Identifier: MIT */
/*
 * fuzz_elf: the ELF loader and measurer (softsgx/loader.h) on mutated
 * enclave images. The input is the image itself (the corpus starts from the
 * built test enclave). Each input is measured (softsgx_measure_image) with
 * two layouts and, when it measures, loaded (softsgx_load_image) into a
 * small ELRANGE and unloaded again. What the library promises and the
 * target checks:
 *   - a failure's errno is one loader.h lists;
 *   - measuring and loading agree: an image that does not measure does not
 *     load, with the same errno; one that measures loads (short of memory),
 *     and the loaded enclave's MRENCLAVE is the measured one;
 *   - the loaded enclave looks as loader.h says (TCS inside ELRANGE, the
 *     free area after the layout), and symbol lookups never crash;
 *   - nothing is left behind: no descriptor, no EPC page.
 */
#include <errno.h>
#include <string.h>

#include "driver/driver.h"
#include "fuzz.h"
#include "softsgx/loader.h"
#include "softsgx/softsgx.h"

/* A small layout, so that a load costs little: 1 MiB, one thread, two stack pages. */
static const struct softsgx_load_options small = {
	.nr_tcs = 1,
	.stack_pages = 2,
	.encl_size = 1ull << 20,
};

static size_t free_epc(void)
{
	return sgx_nr_free_epc_pages(sgx_platform_get());
}

/* What softsgx_measure_image() may fail with (loader.h). */
static bool measure_errno(int err)
{
	return FUZZ_ERRNO_IN(err, ENOEXEC, E2BIG, EINVAL, ENOMEM);
}

static void check_loaded(struct softsgx_enclave *e, const uint8_t mrenclave[32])
{
	uint64_t base = softsgx_enclave_base(e), size = softsgx_enclave_size(e);
	uint64_t free_start = softsgx_enclave_free_start(e);
	static const char *const names[] = { "enclave_entry", "", "_start", "main", "x" };
	unsigned int i;

	FUZZ_CHECK(!memcmp(softsgx_enclave_mrenclave(e), mrenclave, 32),
		   "the loaded enclave's MRENCLAVE is not the measured one");
	FUZZ_CHECK(size == small.encl_size && !(base & (size - 1)),
		   "ELRANGE %#llx+%#llx is not the asked size, aligned",
		   (unsigned long long)base, (unsigned long long)size);
	FUZZ_CHECK(softsgx_enclave_nr_tcs(e) == small.nr_tcs, "%u TCS, asked for %u",
		   softsgx_enclave_nr_tcs(e), small.nr_tcs);
	for (i = 0; i < small.nr_tcs; i++) {
		uint64_t tcs = softsgx_enclave_tcs(e, i);

		FUZZ_CHECK(tcs >= base && tcs < free_start && !(tcs & 4095),
			   "TCS %u at %#llx is outside the layout", i, (unsigned long long)tcs);
	}
	FUZZ_CHECK(!softsgx_enclave_tcs(e, small.nr_tcs), "a TCS beyond the number asked for");
	FUZZ_CHECK(free_start > base && free_start <= base + size && !(free_start & 4095),
		   "free area at %#llx outside ELRANGE", (unsigned long long)free_start);
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		errno = 0;
		if (!softsgx_enclave_symbol(e, names[i]))
			FUZZ_CHECK(errno == ENOENT, "symbol lookup of '%s': errno %s", names[i],
				   strerrorname_np(errno));
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int fds = fuzz_count_fds(), ret, err;
	size_t epc = free_epc();
	uint8_t measured[32], other[32];
	struct softsgx_enclave *e = NULL;

	/* The default layout (16 MiB, two threads): only measured. */
	ret = softsgx_measure_image(data, size, NULL, other);
	FUZZ_CHECK(!ret || measure_errno(errno), "measure (defaults): errno %s",
		   strerrorname_np(errno));

	ret = softsgx_measure_image(data, size, &small, measured);
	err = errno;
	FUZZ_CHECK(!ret || measure_errno(err), "measure: errno %s", strerrorname_np(err));

	if (softsgx_load_image(data, size, &small, &e)) {
		if (ret)
			FUZZ_CHECK(errno == err, "measure failed with %s but load with %s",
				   strerrorname_np(err), strerrorname_np(errno));
		else
			FUZZ_CHECK(errno == ENOMEM,
				   "the image measures but does not load: errno %s",
				   strerrorname_np(errno));
		FUZZ_CHECK(!e, "a failed load returned an enclave");
	} else {
		FUZZ_CHECK(!ret, "the image loads but does not measure (errno %s)",
			   strerrorname_np(err));
		check_loaded(e, measured);
		softsgx_unload(e);
	}

	FUZZ_CHECK(fuzz_count_fds() == fds, "descriptors: %d before, %d after", fds,
		   fuzz_count_fds());
	FUZZ_CHECK(free_epc() == epc, "free EPC pages: %zu before, %zu after", epc, free_epc());
	return 0;
}
