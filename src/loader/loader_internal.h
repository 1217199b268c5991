/* SPDX-License-Identifier: MIT */
/*
 * The loader's parts: elf.c reads and checks an ELF image (segments, entry
 * point, symbol tables); layout.c turns it into the pages of ELRANGE (the
 * runs to add, their contents, the mappings) and measures them; loader.c
 * runs the driver's steps and holds the public API (softsgx/loader.h).
 */
#ifndef SOFTSGX_LOADER_INTERNAL_H
#define SOFTSGX_LOADER_INTERNAL_H

#include <elf.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "softsgx/loader.h"

#define LOADER_PAGE 4096ull

/* One symbol table (.symtab or .dynsym) with its strings, copied out of the image. */
struct elf_symtab {
	Elf64_Sym *syms;
	size_t nr_syms;
	char *strs;
	size_t strs_len;
};

struct elf_symbols {
	struct elf_symtab tab[2];   /* .symtab, .dynsym (either may be empty) */
};

/* A PT_LOAD segment. */
struct elf_segment {
	uint64_t vaddr;
	uint64_t memsz;
	uint64_t offset;
	uint64_t filesz;
	uint32_t flags;             /* PF_R | PF_W | PF_X */
};

/* A checked image. @data is the caller's buffer; the rest is owned. */
struct elf_image {
	const uint8_t *data;
	size_t len;
	struct elf_segment *segs;
	unsigned int nr_segs;
	uint64_t end;               /* page-rounded end of the highest segment */
	uint64_t entry;             /* OENTRY: `enclave_entry`, else e_entry */
	struct elf_symbols syms;
};

/*
 * elf_parse() - check @data as an x86-64 static-pie image and read its
 * segments, entry point and symbol tables (malformed symbol tables are
 * ignored: an image may be stripped).
 * Return: 0, -ENOEXEC (not such an image, or a header, segment or entry
 * point out of bounds), -ENOMEM.
 */
int elf_parse(const void *data, size_t len, struct elf_image *img);
void elf_release(struct elf_image *img);
/* Move the symbol tables out of @img (into an enclave that outlives it). */
void elf_symbols_move(struct elf_symbols *to, struct elf_image *img);
void elf_symbols_free(struct elf_symbols *syms);
/* The defined symbol @name (global binding preferred). Return: true if found. */
bool elf_symbols_lookup(const struct elf_symbols *syms, const char *name, Elf64_Sym *sym);

/* One ADD_PAGES call: @len bytes at @offset with SECINFO.FLAGS @flags, measured. */
struct layout_run {
	uint64_t offset;
	uint64_t len;
	uint64_t flags;
};

/* One mapping: [offset, offset + len) with SGX_SECINFO_R/W/X permissions @perm. */
struct layout_map {
	uint64_t offset;
	uint64_t len;
	unsigned int perm;
};

/* ELRANGE of one enclave as the loader fills it (see softsgx/loader.h). */
struct layout {
	uint64_t size;              /* ELRANGE */
	uint64_t image_end;
	uint64_t end;               /* first offset after the last thread's stack */
	unsigned int nr_tcs;
	unsigned int stack_pages;
	uint64_t thread_size;       /* bytes of one thread's area */
	uint64_t tcs_flags;         /* TCS.FLAGS of every thread: AEXNOTIFY with the attribute */
	uint8_t *data;              /* @end bytes: the contents of every added page */
	struct layout_run *runs;    /* in the order of EADD (and of the measurement) */
	size_t nr_runs;
	struct layout_map *maps;    /* covering [0, size) in address order */
	size_t nr_maps;
};

/*
 * layout_build() - place @img and @opts->nr_tcs thread areas in an ELRANGE
 * of @opts->encl_size bytes (options already resolved: no zero defaults).
 * Return: 0, -E2BIG (it does not fit), -EFBIG (it adds more than
 * SOFTSGX_LOAD_MAX_ADDED), -ENOMEM.
 */
int layout_build(const struct elf_image *img, const struct softsgx_load_options *opts,
		 struct layout *l);
void layout_release(struct layout *l);
/* MRENCLAVE of the layout: ECREATE (SSAFRAMESIZE 1, size), then every run. Return: 0, -ENOMEM. */
int layout_measure(const struct layout *l, uint8_t mrenclave[32]);
/* Offset of thread @i's TCS. */
uint64_t layout_tcs(const struct layout *l, unsigned int i);

#endif /* SOFTSGX_LOADER_INTERNAL_H */
