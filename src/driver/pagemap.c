/* SPDX-License-Identifier: MIT */
/*
 * The sparse page map (see pagemap.h). Deletion uses backward shifting so
 * that no tombstones accumulate while pages come and go.
 */
#include <errno.h>
#include <stdlib.h>

#include "pagemap.h"

#define EMPTY_KEY UINT64_MAX /* page indices never reach it */

static size_t slot_of(uint64_t key, size_t cap)
{
	/* Fibonacci hashing: consecutive pages spread over the table. */
	return (size_t)((key * 0x9E3779B97F4A7C15ull) >> 20) & (cap - 1);
}

void pagemap_init(struct pagemap *map)
{
	map->keys = NULL;
	map->vals = NULL;
	map->cap = 0;
	map->count = 0;
}

void pagemap_destroy(struct pagemap *map)
{
	free(map->keys);
	free(map->vals);
	pagemap_init(map);
}

static size_t find(const struct pagemap *map, uint64_t key)
{
	size_t i = slot_of(key, map->cap);

	while (map->keys[i] != EMPTY_KEY && map->keys[i] != key)
		i = (i + 1) & (map->cap - 1);
	return i;
}

uint64_t pagemap_load(const struct pagemap *map, uint64_t key)
{
	size_t i;

	if (!map->cap)
		return 0;
	i = find(map, key);
	return map->keys[i] == key ? map->vals[i] : 0;
}

static int grow(struct pagemap *map)
{
	struct pagemap bigger;
	size_t i;

	bigger.cap = map->cap ? map->cap * 2 : 64;
	bigger.count = 0;
	bigger.keys = malloc(bigger.cap * sizeof(*bigger.keys));
	bigger.vals = malloc(bigger.cap * sizeof(*bigger.vals));
	if (!bigger.keys || !bigger.vals) {
		free(bigger.keys);
		free(bigger.vals);
		return -ENOMEM;
	}
	for (i = 0; i < bigger.cap; i++)
		bigger.keys[i] = EMPTY_KEY;
	for (i = 0; i < map->cap; i++) {
		if (map->keys[i] != EMPTY_KEY) {
			size_t j = find(&bigger, map->keys[i]);

			bigger.keys[j] = map->keys[i];
			bigger.vals[j] = map->vals[i];
			bigger.count++;
		}
	}
	free(map->keys);
	free(map->vals);
	*map = bigger;
	return 0;
}

static int put(struct pagemap *map, uint64_t key, uint64_t val, int replace)
{
	size_t i;

	/* Keep the load factor under 1/2. */
	if (2 * (map->count + 1) > map->cap && grow(map))
		return -ENOMEM;
	i = find(map, key);
	if (map->keys[i] == key) {
		if (!replace)
			return -EBUSY;
	} else {
		map->keys[i] = key;
		map->count++;
	}
	map->vals[i] = val;
	return 0;
}

int pagemap_insert(struct pagemap *map, uint64_t key, uint64_t val)
{
	return put(map, key, val, 0);
}

int pagemap_store(struct pagemap *map, uint64_t key, uint64_t val)
{
	return put(map, key, val, 1);
}

uint64_t pagemap_erase(struct pagemap *map, uint64_t key)
{
	size_t i, j, home;
	uint64_t old;

	if (!map->cap)
		return 0;
	i = find(map, key);
	if (map->keys[i] != key)
		return 0;
	old = map->vals[i];
	/* Shift later members of the probe run back into the hole. */
	for (j = (i + 1) & (map->cap - 1); map->keys[j] != EMPTY_KEY; j = (j + 1) & (map->cap - 1)) {
		home = slot_of(map->keys[j], map->cap);
		/* Move j to i if its home is not in the cyclic range (i, j]. */
		if ((j > i && (home <= i || home > j)) || (j < i && home <= i && home > j)) {
			map->keys[i] = map->keys[j];
			map->vals[i] = map->vals[j];
			i = j;
		}
	}
	map->keys[i] = EMPTY_KEY;
	map->count--;
	return old;
}

int pagemap_next(const struct pagemap *map, size_t *pos, uint64_t *key, uint64_t *val)
{
	while (*pos < map->cap) {
		size_t i = (*pos)++;

		if (map->keys[i] != EMPTY_KEY) {
			*key = map->keys[i];
			*val = map->vals[i];
			return 1;
		}
	}
	return 0;
}
