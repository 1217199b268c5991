/* SPDX-License-Identifier: MIT */
/*
 * Reading an enclave image: the checks that make an ELF file loadable into
 * an enclave (64-bit little-endian x86-64, position independent, no
 * program interpreter, headers and segments inside the file), its PT_LOAD
 * segments, the entry point and copies of its symbol tables. Every offset
 * and size read from the file is bounds-checked before use: the image is
 * untrusted input.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "loader/loader_internal.h"

/* Vaddrs and sizes beyond this are not an enclave image (and keep the arithmetic exact). */
#define ELF_VADDR_LIMIT (1ull << 56)

/* Is [off, off + size) inside a buffer of @len bytes? */
static bool in_bounds(uint64_t off, uint64_t size, size_t len)
{
	return off <= len && size <= len - off;
}

static int check_header(const Elf64_Ehdr *eh, size_t len)
{
	if (len < sizeof(*eh) || memcmp(eh->e_ident, ELFMAG, SELFMAG) ||
	    eh->e_ident[EI_CLASS] != ELFCLASS64 || eh->e_ident[EI_DATA] != ELFDATA2LSB ||
	    eh->e_ident[EI_VERSION] != EV_CURRENT || eh->e_version != EV_CURRENT ||
	    eh->e_machine != EM_X86_64 || eh->e_type != ET_DYN)
		return -ENOEXEC;
	if (eh->e_phentsize != sizeof(Elf64_Phdr) || !eh->e_phnum ||
	    !in_bounds(eh->e_phoff, (uint64_t)eh->e_phnum * sizeof(Elf64_Phdr), len))
		return -ENOEXEC;
	return 0;
}

static int read_segments(struct elf_image *img, const Elf64_Ehdr *eh)
{
	Elf64_Phdr ph;
	unsigned int i;

	img->segs = calloc(eh->e_phnum, sizeof(*img->segs));
	if (!img->segs)
		return -ENOMEM;
	for (i = 0; i < eh->e_phnum; i++) {
		memcpy(&ph, img->data + eh->e_phoff + (uint64_t)i * sizeof(ph), sizeof(ph));
		if (ph.p_type == PT_INTERP)
			return -ENOEXEC; /* needs a dynamic linker: not self-contained */
		if (ph.p_type != PT_LOAD || !ph.p_memsz)
			continue;
		if (ph.p_filesz > ph.p_memsz || !in_bounds(ph.p_offset, ph.p_filesz, img->len) ||
		    ph.p_vaddr >= ELF_VADDR_LIMIT || ph.p_memsz >= ELF_VADDR_LIMIT - ph.p_vaddr)
			return -ENOEXEC;
		img->segs[img->nr_segs++] = (struct elf_segment){
			.vaddr = ph.p_vaddr, .memsz = ph.p_memsz, .offset = ph.p_offset,
			.filesz = ph.p_filesz, .flags = ph.p_flags,
		};
		if (ph.p_vaddr + ph.p_memsz > img->end)
			img->end = ph.p_vaddr + ph.p_memsz;
	}
	if (!img->nr_segs)
		return -ENOEXEC;
	img->end = (img->end + LOADER_PAGE - 1) & ~(LOADER_PAGE - 1);
	return 0;
}

/* Copy the symbol table in section @sh and its string table; silently nothing if malformed. */
static int copy_symtab(struct elf_symtab *tab, const struct elf_image *img, const Elf64_Ehdr *eh,
		       const Elf64_Shdr *sh)
{
	Elf64_Shdr strsh;

	if (sh->sh_entsize != sizeof(Elf64_Sym) || sh->sh_link >= eh->e_shnum ||
	    !in_bounds(sh->sh_offset, sh->sh_size, img->len))
		return 0;
	memcpy(&strsh, img->data + eh->e_shoff + (uint64_t)sh->sh_link * sizeof(strsh), sizeof(strsh));
	if (strsh.sh_type != SHT_STRTAB || !in_bounds(strsh.sh_offset, strsh.sh_size, img->len))
		return 0;
	tab->nr_syms = sh->sh_size / sizeof(Elf64_Sym);
	tab->strs_len = strsh.sh_size;
	tab->syms = malloc(tab->nr_syms * sizeof(Elf64_Sym) + 1);
	tab->strs = malloc(tab->strs_len + 1);
	if (!tab->syms || !tab->strs)
		return -ENOMEM;
	memcpy(tab->syms, img->data + sh->sh_offset, tab->nr_syms * sizeof(Elf64_Sym));
	memcpy(tab->strs, img->data + strsh.sh_offset, tab->strs_len);
	tab->strs[tab->strs_len] = '\0';
	return 0;
}

static int read_symbols(struct elf_image *img, const Elf64_Ehdr *eh)
{
	struct elf_symtab *tab;
	Elf64_Shdr sh;
	unsigned int i;
	int ret;

	if (!eh->e_shoff || eh->e_shentsize != sizeof(Elf64_Shdr) ||
	    !in_bounds(eh->e_shoff, (uint64_t)eh->e_shnum * sizeof(Elf64_Shdr), img->len))
		return 0; /* no (usable) section headers: no symbols */
	for (i = 0; i < eh->e_shnum; i++) {
		memcpy(&sh, img->data + eh->e_shoff + (uint64_t)i * sizeof(sh), sizeof(sh));
		if (sh.sh_type == SHT_SYMTAB)
			tab = &img->syms.tab[0];
		else if (sh.sh_type == SHT_DYNSYM)
			tab = &img->syms.tab[1];
		else
			continue;
		if (tab->syms)
			continue; /* the first table of each kind */
		ret = copy_symtab(tab, img, eh, &sh);
		if (ret)
			return ret;
	}
	return 0;
}

int elf_parse(const void *data, size_t len, struct elf_image *img)
{
	Elf64_Ehdr eh;
	Elf64_Sym sym;
	int ret;

	memset(img, 0, sizeof(*img));
	img->data = data;
	img->len = len;
	if (len < sizeof(eh))
		return -ENOEXEC;
	memcpy(&eh, data, sizeof(eh));
	ret = check_header(&eh, len);
	if (!ret)
		ret = read_segments(img, &eh);
	if (!ret)
		ret = read_symbols(img, &eh);
	if (ret)
		goto err;
	img->entry = eh.e_entry;
	if (elf_symbols_lookup(&img->syms, "enclave_entry", &sym) && sym.st_shndx != SHN_ABS)
		img->entry = sym.st_value;
	if (img->entry >= img->end) {
		ret = -ENOEXEC;
		goto err;
	}
	return 0;
err:
	elf_release(img);
	return ret;
}

void elf_symbols_free(struct elf_symbols *syms)
{
	unsigned int i;

	for (i = 0; i < 2; i++) {
		free(syms->tab[i].syms);
		free(syms->tab[i].strs);
	}
	memset(syms, 0, sizeof(*syms));
}

void elf_release(struct elf_image *img)
{
	free(img->segs);
	elf_symbols_free(&img->syms);
	memset(img, 0, sizeof(*img));
}

void elf_symbols_move(struct elf_symbols *to, struct elf_image *img)
{
	*to = img->syms;
	memset(&img->syms, 0, sizeof(img->syms));
}

bool elf_symbols_lookup(const struct elf_symbols *syms, const char *name, Elf64_Sym *sym)
{
	const struct elf_symtab *tab;
	const Elf64_Sym *s, *local = NULL;
	unsigned int i;
	size_t j;

	for (i = 0; i < 2; i++) {
		tab = &syms->tab[i];
		for (j = 0; j < tab->nr_syms; j++) {
			s = &tab->syms[j];
			if (s->st_shndx == SHN_UNDEF || s->st_name >= tab->strs_len ||
			    ELF64_ST_TYPE(s->st_info) == STT_SECTION ||
			    ELF64_ST_TYPE(s->st_info) == STT_FILE ||
			    strcmp(tab->strs + s->st_name, name))
				continue;
			if (ELF64_ST_BIND(s->st_info) != STB_LOCAL) {
				*sym = *s;
				return true;
			}
			if (!local)
				local = s;
		}
	}
	if (!local)
		return false;
	*sym = *local;
	return true;
}
