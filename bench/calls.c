/* SPDX-License-Identifier: MIT */
/*
 * The calls on ordinary files that libsoftsgx-preload.so interposes,
 * timed in a program that knows nothing of softsgx: `softsgx bench` runs it
 * with and without the preload library and compares. Prints one line:
 * nanoseconds per open+close, per mmap+munmap of a page of the file, per
 * mprotect of an anonymous page, per fstat (each the median of 7 rounds).
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "timing.h"

#define N 20000

int main(int argc, char **argv)
{
	double t[4][ROUNDS], t0;
	struct stat st;
	char *anon;
	void *p;
	int r, i, fd;

	if (argc != 2) {
		fprintf(stderr, "usage: %s FILE\n", argv[0]);
		return 2;
	}
	anon = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	fd = open(argv[1], O_RDONLY);
	if (anon == MAP_FAILED || fd < 0) {
		perror(argv[1]);
		return 1;
	}
	for (r = 0; r < ROUNDS; r++) {
		t0 = now_ns();
		for (i = 0; i < N; i++)
			close(open(argv[1], O_RDONLY));
		t[0][r] = (now_ns() - t0) / N;
		t0 = now_ns();
		for (i = 0; i < N; i++) {
			p = mmap(NULL, 4096, PROT_READ, MAP_SHARED, fd, 0);
			munmap(p, 4096);
		}
		t[1][r] = (now_ns() - t0) / N;
		t0 = now_ns();
		for (i = 0; i < N; i++)
			mprotect(anon, 4096, i & 1 ? PROT_READ | PROT_WRITE : PROT_READ);
		t[2][r] = (now_ns() - t0) / N;
		t0 = now_ns();
		for (i = 0; i < N; i++)
			fstat(fd, &st);
		t[3][r] = (now_ns() - t0) / N;
	}
	printf("%.1f %.1f %.1f %.1f\n", median(t[0]), median(t[1]), median(t[2]), median(t[3]));
	return 0;
}
