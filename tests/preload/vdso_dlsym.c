/* SPDX-License-Identifier: MIT */
/*
 * The preload scenarios with __vdso_sgx_enter_enclave found through the
 * dynamic linker: dlopen("linux-vdso.so.1", RTLD_NOLOAD), then dlsym() and
 * dlvsym(..., "LINUX_2.6"), which must agree; the real vDSO functions
 * found the same way must work.
 */
#include <dlfcn.h>
#include <stdio.h>

#include "check.h"
#include "scenarios.h"

#define NAME "vdso_dlsym"

int main(void)
{
	void *h = dlopen("linux-vdso.so.1", RTLD_NOLOAD | RTLD_LAZY), *sgx, *vsgx;

	if (!h)
		sgx_entry_missing(NAME, "dlopen(linux-vdso.so.1, RTLD_NOLOAD) failed");
	check_vdso_clock_gettime((vdso_clock_gettime_t)dlvsym(h, "__vdso_clock_gettime",
							       "LINUX_2.6"));
	check_vdso_getcpu((vdso_getcpu_t)dlsym(h, "__vdso_getcpu"));
	CHECK_EQ(dlsym(h, "__vdso_getcpu"), dlvsym(h, "__vdso_getcpu", "LINUX_2.6"));
	CHECK(!dlsym(h, "__vdso_no_such_function"), "an absent symbol was found");

	sgx = dlsym(h, "__vdso_sgx_enter_enclave");
	vsgx = dlvsym(h, "__vdso_sgx_enter_enclave", "LINUX_2.6");
	if (!sgx && !vsgx)
		sgx_entry_missing(NAME, "dlsym found nothing");
	CHECK(sgx, "dlsym found nothing, dlvsym did");
	CHECK(vsgx, "dlvsym(LINUX_2.6) found nothing, dlsym did");
	CHECK_EQ(sgx, vsgx);
	CHECK(!dlvsym(h, "__vdso_sgx_enter_enclave", "LINUX_9.9"),
	      "found with a version the vDSO does not define");
	scenarios_run(NAME, (pl_vdso_entry_t)(sgx ? sgx : vsgx));
}
