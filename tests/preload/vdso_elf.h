/* SPDX-License-Identifier: MIT */
/*
 * Looking up a symbol of the vDSO (or any loaded ELF object) through its
 * program headers, as a program that trusts nothing but the ELF format
 * does: PT_DYNAMIC, then DT_SYMTAB/DT_STRTAB, a hash table (SysV DT_HASH
 * or GNU DT_GNU_HASH: a real bucket/chain walk, with the GNU bloom
 * filter), and DT_VERSYM/DT_VERDEF for the version.
 */
#ifndef PRELOAD_TEST_VDSO_ELF_H
#define PRELOAD_TEST_VDSO_ELF_H

#include <elf.h>
#include <stdint.h>

enum vdso_hash {
	VDSO_HASH_SYSV,  /* DT_HASH */
	VDSO_HASH_GNU,   /* DT_GNU_HASH */
};

/*
 * vdso_elf_lookup() - the address of the defined symbol @name with version
 * @version (NULL: any) in the object loaded with bias @bias whose program
 * headers are @phdr[@phnum], found through the hash table @hash.
 * Return: the address; 0 if there is no such symbol, or the object lacks
 * PT_DYNAMIC, its tables or that hash table (*@why says which).
 */
uintptr_t vdso_elf_lookup(uintptr_t bias, const Elf64_Phdr *phdr, unsigned int phnum,
			  const char *name, const char *version, enum vdso_hash hash,
			  const char **why);

#endif /* PRELOAD_TEST_VDSO_ELF_H */
