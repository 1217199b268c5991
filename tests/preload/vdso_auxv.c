/* SPDX-License-Identifier: MIT */
/*
 * The preload scenarios with __vdso_sgx_enter_enclave found the way a
 * runtime that reads the auxiliary vector does (the Linux selftests do
 * this): getauxval(AT_SYSINFO_EHDR), the image's program headers, its
 * dynamic section and symbol table, looked up once through the SysV hash
 * table (DT_HASH) and once through the GNU hash table (DT_GNU_HASH), with
 * version LINUX_2.6 checked through DT_VERSYM/DT_VERDEF. Both lookups
 * must agree, and the real vDSO functions found the same way must work.
 */
#include <stdio.h>
#include <string.h>
#include <sys/auxv.h>

#include "check.h"
#include "scenarios.h"
#include "vdso_elf.h"

#define NAME "vdso_auxv"

static const Elf64_Ehdr *vdso;
static uintptr_t bias;

static uintptr_t lookup(const char *sym, const char *version, enum vdso_hash hash,
			const char **why)
{
	return vdso_elf_lookup(bias, (const Elf64_Phdr *)((const char *)vdso + vdso->e_phoff),
			       vdso->e_phnum, sym, version, hash, why);
}

/*
 * @sym through both hash tables, with version LINUX_2.6 and without: one
 * address, or 0 if no lookup finds it (*@why: the first lookup's reason).
 * A lookup that fails where another finds the symbol is a failure.
 */
static uintptr_t lookup_both(const char *sym, const char **why)
{
	static const struct {
		const char *version;
		enum vdso_hash hash;
		const char *what;
	} ways[] = {
		{ "LINUX_2.6", VDSO_HASH_SYSV, "version LINUX_2.6 through DT_HASH" },
		{ "LINUX_2.6", VDSO_HASH_GNU, "version LINUX_2.6 through DT_GNU_HASH" },
		{ NULL, VDSO_HASH_SYSV, "any version through DT_HASH" },
		{ NULL, VDSO_HASH_GNU, "any version through DT_GNU_HASH" },
	};
	uintptr_t found[4], addr = 0;
	const char *whys[4];
	unsigned int i;

	for (i = 0; i < 4; i++) {
		found[i] = lookup(sym, ways[i].version, ways[i].hash, &whys[i]);
		if (!addr)
			addr = found[i];
	}
	*why = whys[0];
	if (!addr)
		return 0;
	for (i = 0; i < 4; i++) {
		CHECK(found[i], "%s, %s: %s", sym, ways[i].what, whys[i]);
		CHECK(!found[i] || found[i] == addr, "%s, %s: %#lx, another way found %#lx", sym,
		      ways[i].what, (unsigned long)found[i], (unsigned long)addr);
	}
	return addr;
}

int main(void)
{
	const Elf64_Phdr *ph;
	uintptr_t sgx;
	const char *why;
	unsigned int i;

	vdso = (const Elf64_Ehdr *)getauxval(AT_SYSINFO_EHDR);
	if (!vdso)
		sgx_entry_missing(NAME, "no vDSO (AT_SYSINFO_EHDR is 0)");
	REQUIRE(!memcmp(vdso->e_ident, ELFMAG, SELFMAG) && vdso->e_ident[EI_CLASS] == ELFCLASS64,
		"AT_SYSINFO_EHDR is not a 64-bit ELF image");
	/* The load bias: the image's address less the first PT_LOAD's p_vaddr. */
	ph = (const Elf64_Phdr *)((const char *)vdso + vdso->e_phoff);
	for (i = 0; i < vdso->e_phnum && ph[i].p_type != PT_LOAD; i++)
		;
	REQUIRE(i < vdso->e_phnum, "the vDSO has no PT_LOAD");
	bias = (uintptr_t)vdso + ph[i].p_offset - ph[i].p_vaddr;

	check_vdso_clock_gettime((vdso_clock_gettime_t)lookup_both("__vdso_clock_gettime", &why));
	check_vdso_getcpu((vdso_getcpu_t)lookup_both("__vdso_getcpu", &why));
	/* What is not there is not found, whatever the bloom filter lets through. */
	CHECK(!lookup("__vdso_no_such_function", NULL, VDSO_HASH_GNU, &why), "found by GNU hash");
	CHECK(!lookup("__vdso_no_such_function", NULL, VDSO_HASH_SYSV, &why), "found by SysV hash");
	CHECK(!lookup("__vdso_clock_gettime", "LINUX_9.9", VDSO_HASH_GNU, &why),
	      "found with a version the vDSO does not define");

	sgx = lookup_both("__vdso_sgx_enter_enclave", &why);
	if (!sgx)
		sgx_entry_missing(NAME, why);
	scenarios_run(NAME, (pl_vdso_entry_t)sgx);
}
