/* SPDX-License-Identifier: MIT */
/*
 * The replay program: a fuzz target built without libFuzzer (gcc, the
 * sanitizer build of `make test`) gets this main(), which runs
 * LLVMFuzzerTestOneInput() once on every regular file of the directories
 * (or on the files) named on the command line, in name order, so that the
 * committed corpora and reproducers run as ordinary CTest tests. A broken
 * promise aborts inside the target; otherwise it prints
 * "N passed, 0 failed" and exits 0.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fuzz.h"

/* Optional in a target, as with libFuzzer. */
__attribute__((weak)) int LLVMFuzzerInitialize(int *argc, char ***argv);

static int run_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	uint8_t *data = NULL;
	long len;

	if (!f || fseek(f, 0, SEEK_END) || (len = ftell(f)) < 0 || fseek(f, 0, SEEK_SET)) {
		fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
		if (f)
			fclose(f);
		return -1;
	}
	/* One byte more than needed, so that an empty file still has a buffer. */
	data = malloc((size_t)len + 1);
	if (!data || fread(data, 1, (size_t)len, f) != (size_t)len) {
		fprintf(stderr, "replay: cannot read %s\n", path);
		free(data);
		fclose(f);
		return -1;
	}
	fclose(f);
	printf("replay %s (%ld bytes)\n", path, len);
	fflush(stdout);
	LLVMFuzzerTestOneInput(data, (size_t)len);
	free(data);
	return 0;
}

static int by_name(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

/* Every regular file of @dir. Return: files run, or -1. */
static int run_dir(const char *dir)
{
	struct dirent **names;
	char path[4096];
	struct stat st;
	int n, i, ran = 0, ret = 0;

	n = scandir(dir, &names, NULL, by_name);
	if (n < 0) {
		fprintf(stderr, "replay: %s: %s\n", dir, strerror(errno));
		return -1;
	}
	for (i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, names[i]->d_name);
		if (!ret && !stat(path, &st) && S_ISREG(st.st_mode)) {
			if (run_file(path))
				ret = -1;
			else
				ran++;
		}
		free(names[i]);
	}
	free(names);
	return ret ? ret : ran;
}

int main(int argc, char **argv)
{
	struct stat st;
	int i, n, total = 0;

	if (argc < 2) {
		fprintf(stderr, "usage: %s CORPUS_DIR|FILE...\n", argv[0]);
		return 2;
	}
	if (LLVMFuzzerInitialize)
		LLVMFuzzerInitialize(&argc, &argv);
	for (i = 1; i < argc; i++) {
		if (stat(argv[i], &st)) {
			fprintf(stderr, "replay: %s: %s\n", argv[i], strerror(errno));
			return 1;
		}
		n = S_ISDIR(st.st_mode) ? run_dir(argv[i]) : run_file(argv[i]) ? -1 : 1;
		if (n < 0)
			return 1;
		total += n;
	}
	if (!total) {
		fprintf(stderr, "replay: no input files\n");
		return 1;
	}
	printf("%d passed, 0 failed\n", total);
	return 0;
}
