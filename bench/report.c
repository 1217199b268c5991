/* SPDX-License-Identifier: MIT */
/*
 * The results of `softsgx bench` for people and for programs: a table per
 * benchmark on stdout, every row as CSV, and the RESTRICT_PERMISSIONS
 * sweep as an SVG plot drawn by gnuplot.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>

#include "bench.h"

/* @v in @unit, readable: microseconds become ms or s when large. */
static const char *fmt_value(char *buf, size_t len, const char *unit, double v)
{
	if (!strcmp(unit, "us")) {
		if (v < 0.1)
			snprintf(buf, len, "%.2f ns", v * 1e3);
		else if (v < 1e3)
			snprintf(buf, len, "%.2f us", v);
		else if (v < 1e6)
			snprintf(buf, len, "%.2f ms", v / 1e3);
		else
			snprintf(buf, len, "%.2f s", v / 1e6);
	} else if (!strcmp(unit, "s")) {
		snprintf(buf, len, "%.2f s", v);
	} else if (!strcmp(unit, "pages/s")) {
		snprintf(buf, len, "%.0f/s", v);
	} else {
		snprintf(buf, len, "%.1f %s", v, unit);
	}
	return buf;
}

static double ratio(const struct bench_row *r)
{
	return r->floor > 0 ? r->med / r->floor : 0;
}

/* Whether @r meets its target; false for a row without one. */
static bool target_met(const struct bench_row *r)
{
	switch (r->target) {
	case TARGET_RATIO:
		return r->floor > 0 && ratio(r) <= r->target_max;
	case TARGET_VALUE:
		return r->med <= r->target_max;
	default:
		return false;
	}
}

static const char *fmt_target(char *buf, size_t len, const struct bench_row *r)
{
	char v[32];

	switch (r->target) {
	case TARGET_RATIO:
		snprintf(buf, len, "x<=%g %s", r->target_max, target_met(r) ? "met" : "MISSED");
		break;
	case TARGET_VALUE:
		snprintf(buf, len, "<=%s %s", fmt_value(v, sizeof(v), r->unit, r->target_max),
			 target_met(r) ? "met" : "MISSED");
		break;
	default:
		buf[0] = 0;
	}
	return buf;
}

void bench_print(const struct bench *b, const char *name)
{
	char what[112], med[24], floor[24], ratio_s[16], target[40];
	const struct bench_row *r;
	bool header = false;
	int i;

	for (i = 0; i < b->rows->nr && i < BENCH_MAX_ROWS; i++) {
		r = &b->rows->row[i];
		if (strcmp(r->bench, name))
			continue;
		if (!header) {
			printf("  %-58s %10s %6s  %-34s %10s %7s  %s\n", "operation [setting]",
			       "median", "spread", "compared with", "median", "ratio", "target, counts");
			header = true;
		}
		if (r->n)
			snprintf(what, sizeof(what), "%s, N=%llu%s%s%s", r->what,
				 (unsigned long long)r->n, *r->variant ? " [" : "", r->variant,
				 *r->variant ? "]" : "");
		else
			snprintf(what, sizeof(what), "%s%s%s%s", r->what, *r->variant ? " [" : "",
				 r->variant, *r->variant ? "]" : "");
		fmt_value(med, sizeof(med), r->unit, r->med);
		if (r->floor > 0) {
			fmt_value(floor, sizeof(floor), r->unit, r->floor);
			snprintf(ratio_s, sizeof(ratio_s), "x%.2f", ratio(r));
		} else {
			floor[0] = ratio_s[0] = 0;
		}
		fmt_target(target, sizeof(target), r);
		printf("  %-58s %10s  ±%3.0f%%  %-34s %10s %7s  %s%s%s\n", what, med,
		       r->med > 0 ? 50 * (r->hi - r->lo) / r->med : 0.0, r->floor_what, floor, ratio_s,
		       target, *target && *r->counts ? "; " : "", r->counts);
	}
	if (!header)
		printf("  (no figures)\n");
}

/* @s as a CSV field: quoted, inner quotes doubled. */
static void csv_field(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		if (*s == '"')
			fputc('"', f);
		fputc(*s, f);
	}
	fputc('"', f);
}

bool bench_write_csv(const struct bench *b, const char *path, const char *machine)
{
	FILE *f = fopen(path, "w");
	const struct bench_row *r;
	char target[40];
	int i;

	if (!f) {
		fprintf(stderr, "softsgx bench: %s: %s\n", path, strerror(errno));
		return false;
	}
	fprintf(f, "# softsgx bench on %s\n", machine);
	fprintf(f, "bench,operation,setting,n,unit,median,lowest,highest,runs,compared_with,"
		   "compared_median,ratio,target,counts\n");
	for (i = 0; i < b->rows->nr && i < BENCH_MAX_ROWS; i++) {
		r = &b->rows->row[i];
		csv_field(f, r->bench);
		fputc(',', f);
		csv_field(f, r->what);
		fputc(',', f);
		csv_field(f, r->variant);
		fprintf(f, ",%llu,", (unsigned long long)r->n);
		csv_field(f, r->unit);
		fprintf(f, ",%.6g,%.6g,%.6g,%d,", r->med, r->lo, r->hi, r->runs);
		csv_field(f, r->floor_what);
		if (r->floor > 0)
			fprintf(f, ",%.6g,%.4g,", r->floor, ratio(r));
		else
			fprintf(f, ",,,");
		csv_field(f, fmt_target(target, sizeof(target), r));
		fputc(',', f);
		csv_field(f, r->counts);
		fputc('\n', f);
	}
	if (fclose(f)) {
		fprintf(stderr, "softsgx bench: %s: %s\n", path, strerror(errno));
		return false;
	}
	return true;
}

/* The sweep's RESTRICT rows of one setting, as gnuplot data block $d<@block>. */
static void plot_series(FILE *p, const struct bench *b, const char *variant, int block)
{
	const struct bench_row *r;
	int i;

	fprintf(p, "$d%d << EOD\n", block);
	for (i = 0; i < b->rows->nr && i < BENCH_MAX_ROWS; i++) {
		r = &b->rows->row[i];
		if (!strcmp(r->bench, "sweep") && !strncmp(r->what, "RESTRICT", 8) &&
		    !strcmp(r->variant, variant))
			fprintf(p, "%llu %.6g\n", (unsigned long long)r->n, r->med);
	}
	fprintf(p, "EOD\n");
}

bool bench_plot(const struct bench *b, const char *path, const char *machine)
{
	const char *variants[16];
	const struct bench_row *r;
	int nv = 0, i, j, status;
	uint64_t last_n = 0;
	FILE *p;

	for (i = 0; i < b->rows->nr && i < BENCH_MAX_ROWS; i++) {
		r = &b->rows->row[i];
		if (strcmp(r->bench, "sweep") || strncmp(r->what, "RESTRICT", 8))
			continue;
		for (j = 0; j < nv && strcmp(variants[j], r->variant); j++)
			;
		if (j == nv && nv < 16)
			variants[nv++] = r->variant;
	}
	if (!nv) {
		fprintf(stderr, "softsgx bench: no RESTRICT_PERMISSIONS figures to plot (run 'sweep')\n");
		return false;
	}
	p = popen("gnuplot", "w");
	if (!p) {
		fprintf(stderr, "softsgx bench: gnuplot: %s\n", strerror(errno));
		return false;
	}
	for (j = 0; j < nv; j++)
		plot_series(p, b, variants[j], j);
	/* The floor: one mprotect of the same N pages, one point per N. */
	fprintf(p, "$floor << EOD\n");
	for (i = 0; i < b->rows->nr && i < BENCH_MAX_ROWS; i++) {
		r = &b->rows->row[i];
		if (strcmp(r->bench, "sweep") || strncmp(r->what, "RESTRICT", 8) || r->n <= last_n ||
		    r->floor <= 0 || strcmp(r->floor_what, "one mprotect of N pages"))
			continue;
		fprintf(p, "%llu %.6g\n", (unsigned long long)r->n, r->floor);
		last_n = r->n;
	}
	fprintf(p, "EOD\n");
	fprintf(p, "set terminal svg size 1000,560 dynamic font 'sans,12'\n"
		   "set output '%s'\n"
		   "set title \"SGX\\\\_IOC\\\\_ENCLAVE\\\\_RESTRICT\\\\_PERMISSIONS: time per call\\n{/*0.8 %s}\"\n"
		   "set logscale xy\nset grid\nset key outside right top\n"
		   "set xlabel 'pages per call (N)'\nset ylabel 'microseconds per call'\n"
		   "set format y '10^{%%L}'\nset format x '10^{%%L}'\n",
		   path, machine);
	fprintf(p, "plot ");
	for (j = 0; j < nv; j++)
		fprintf(p, "$d%d using 1:2 with linespoints lw 2 title '%s', ", j, variants[j]);
	fprintf(p, "$floor using 1:2 with lines lw 4 lc rgb 'gray40' "
		   "title 'floor: one mprotect(2) of N pages'\n");
	status = pclose(p);
	if (status == -1 || !WIFEXITED(status) || WEXITSTATUS(status)) {
		fprintf(stderr, "softsgx bench: gnuplot failed%s; is it installed (apt-get install "
				"gnuplot-nox, or make deps-bench)?\n",
			WIFEXITED(status) && WEXITSTATUS(status) == 127 ? " (not found)" : "");
		return false;
	}
	return true;
}
