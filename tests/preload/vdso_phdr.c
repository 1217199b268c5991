/* SPDX-License-Identifier: MIT */
/*
 * The preload scenarios with __vdso_sgx_enter_enclave found through
 * dl_iterate_phdr(): the vDSO's entry (named linux-vdso.so.1, or the one
 * loaded at AT_SYSINFO_EHDR), its program headers, its dynamic symbol
 * table through the GNU hash table (the SysV one if it has none), version
 * LINUX_2.6. The real vDSO functions found the same way must work.
 */
#include <link.h>
#include <stdio.h>
#include <string.h>
#include <sys/auxv.h>

#include "check.h"
#include "scenarios.h"
#include "vdso_elf.h"

#define NAME "vdso_phdr"

struct found {
	uintptr_t ehdr;
	int matches;
	struct dl_phdr_info info;
};

static int each(struct dl_phdr_info *info, size_t size, void *data)
{
	struct found *f = data;

	if ((info->dlpi_name && !strcmp(info->dlpi_name, "linux-vdso.so.1")) ||
	    (f->ehdr && info->dlpi_addr == f->ehdr)) {
		f->matches++;
		f->info = *info;
	}
	return 0;
}

static uintptr_t lookup_in(const struct found *f, const char *sym, const char *version,
			   const char **why)
{
	uintptr_t a = vdso_elf_lookup(f->info.dlpi_addr, f->info.dlpi_phdr, f->info.dlpi_phnum, sym,
				      version, VDSO_HASH_GNU, why);

	if (!a && *why && !strcmp(*why, "no DT_GNU_HASH"))
		a = vdso_elf_lookup(f->info.dlpi_addr, f->info.dlpi_phdr, f->info.dlpi_phnum, sym,
				    version, VDSO_HASH_SYSV, why);
	return a;
}

/* @sym with version LINUX_2.6; if only the unversioned lookup finds it, that is a failure. */
static uintptr_t lookup(const struct found *f, const char *sym, const char **why)
{
	uintptr_t a = lookup_in(f, sym, "LINUX_2.6", why), any;
	const char *why_any;

	if (a)
		return a;
	any = lookup_in(f, sym, NULL, &why_any);
	CHECK(!any, "%s is there (%#lx) but not with version LINUX_2.6: %s", sym,
	      (unsigned long)any, *why);
	return any;
}

int main(void)
{
	struct found f = { .ehdr = getauxval(AT_SYSINFO_EHDR) };
	uintptr_t sgx;
	const char *why;

	dl_iterate_phdr(each, &f);
	if (!f.matches)
		sgx_entry_missing(NAME, "dl_iterate_phdr() shows no vDSO");
	CHECK_EQ(f.matches, 1);
	/* The entry is the image at AT_SYSINFO_EHDR (the vDSO is linked at 0). */
	CHECK_EQ(f.info.dlpi_addr, f.ehdr);
	check_vdso_clock_gettime((vdso_clock_gettime_t)lookup(&f, "__vdso_clock_gettime", &why));
	check_vdso_getcpu((vdso_getcpu_t)lookup(&f, "__vdso_getcpu", &why));
	sgx = lookup(&f, "__vdso_sgx_enter_enclave", &why);
	if (!sgx)
		sgx_entry_missing(NAME, why);
	scenarios_run(NAME, (pl_vdso_entry_t)sgx);
}
