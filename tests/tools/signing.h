/* SPDX-License-Identifier: MIT */
/*
 * What the tests of the signing commands share: a scratch directory with a
 * key and a SIGSTRUCT made by the built command, the values it prints,
 * and a change to a SIGSTRUCT file (a flipped byte).
 */
#ifndef SOFTSGX_TESTS_TOOLS_SIGNING_H
#define SOFTSGX_TESTS_TOOLS_SIGNING_H

#include <stdio.h>
#include <stdlib.h>

#include "harness.h"
#include "tools/tool_run.h"

#define SIGSTRUCT_SIZE 1808
#define SIGNATURE_OFFSET 516 /* after HEADER, MODULUS, EXPONENT */

struct workdir {
	char dir[64];
	char key[96];
	char sig[96];
};

static inline bool workdir_make(struct workdir *w)
{
	snprintf(w->dir, sizeof(w->dir), "/tmp/softsgx-sign-XXXXXX");
	if (!mkdtemp(w->dir))
		return false;
	snprintf(w->key, sizeof(w->key), "%s/key.pem", w->dir);
	snprintf(w->sig, sizeof(w->sig), "%s/enclave.sig", w->dir);
	return true;
}

static inline void workdir_remove(struct workdir *w)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", w->dir);
	if (system(cmd))
		harness_fail(__FILE__, __LINE__, "could not remove %s", w->dir);
}

/* The 64 hex digits after @label in @text, or "" . */
static inline void value_after(const char *text, const char *label, char out[65])
{
	const char *p = text ? strstr(text, label) : NULL;

	out[0] = '\0';
	if (p)
		snprintf(out, 65, "%.64s", p + strlen(label));
}

/* keygen + sign with the default layout; returns whether both succeeded. */
static inline bool make_signed(struct workdir *w, const char *layout_opt, const char *layout_val)
{
	struct tool_result k = TOOL(NULL, "keygen", "-o", w->key);
	struct tool_result s = layout_opt
		? TOOL(NULL, "sign", "--key", w->key, layout_opt, layout_val, SOFTSGX_TEST_ENCLAVE,
		       "-o", w->sig)
		: TOOL(NULL, "sign", "--key", w->key, SOFTSGX_TEST_ENCLAVE, "-o", w->sig);
	bool ok = k.status == 0 && s.status == 0;

	if (!ok)
		harness_fail(__FILE__, __LINE__, "keygen %d (%s), sign %d (%s)", k.status, k.err,
			     s.status, s.err);
	tool_result_free(&k);
	tool_result_free(&s);
	return ok;
}

/* Flip one byte of the file at @path at @offset. */
static inline void corrupt(const char *path, long offset)
{
	FILE *f = fopen(path, "r+b");
	int c;

	ASSERT_TRUE(f);
	fseek(f, offset, SEEK_SET);
	c = fgetc(f);
	fseek(f, offset, SEEK_SET);
	fputc(c ^ 0x01, f);
	fclose(f);
}

#endif /* SOFTSGX_TESTS_TOOLS_SIGNING_H */
