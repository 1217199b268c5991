/* SPDX-License-Identifier: MIT */
/*
 * A sparse map from page index (u64) to a u64 value, the role Linux gives
 * an xarray: enclave pages by offset, page-table entries by linear page.
 * Open addressing with linear probing; value 0 is "no entry". Not
 * thread-safe: its owner's lock protects it.
 */
#ifndef SOFTSGX_PAGEMAP_H
#define SOFTSGX_PAGEMAP_H

#include <stddef.h>
#include <stdint.h>

struct pagemap {
	uint64_t *keys;
	uint64_t *vals;
	size_t cap;   /* power of two, or 0 */
	size_t count;
};

void pagemap_init(struct pagemap *map);
void pagemap_destroy(struct pagemap *map);
/* The value at @key, or 0. */
uint64_t pagemap_load(const struct pagemap *map, uint64_t key);
/* Store @val (non-zero) at @key. Return: 0, -EBUSY (@key taken), -ENOMEM. */
int pagemap_insert(struct pagemap *map, uint64_t key, uint64_t val);
/* Replace or add. Return: 0, -ENOMEM. */
int pagemap_store(struct pagemap *map, uint64_t key, uint64_t val);
/* Remove @key; returns its old value (0 if none). */
uint64_t pagemap_erase(struct pagemap *map, uint64_t key);
/* Iterate: *pos starts at 0; returns 1 with *key and *val set, 0 at the end.
 * The map must not change during an iteration. */
int pagemap_next(const struct pagemap *map, size_t *pos, uint64_t *key, uint64_t *val);

#endif /* SOFTSGX_PAGEMAP_H */
