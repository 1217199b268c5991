/* SPDX-License-Identifier: MIT */
/*
 * What the tests of the signing commands share: a scratch directory with a
 * key and a SIGSTRUCT made by the built command, the values it prints,
 * and changes to a SIGSTRUCT file (a flipped byte, or a field changed and
 * signed again with the key, so that only that field is wrong).
 */
#ifndef SOFTSGX_TESTS_TOOLS_SIGNING_H
#define SOFTSGX_TESTS_TOOLS_SIGNING_H

#include <stdio.h>
#include <stdlib.h>

#include <openssl/pem.h>

#include "harness.h"
#include "softsgx/arch.h"
#include "softsgx/sign.h"
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

/*
 * Change the SIGSTRUCT of @w with @change and sign it again with @w's key
 * (MODULUS, EXPONENT, SIGNATURE, Q1, Q2 made anew), so that it is a valid
 * signature over the changed fields. Return: true on success.
 */
static inline bool resign(struct workdir *w, void (*change)(struct sgx_sigstruct *sig))
{
	struct sgx_sigstruct sig;
	EVP_PKEY *key = NULL;
	FILE *f = fopen(w->key, "r");
	bool ok = false;

	if (f) {
		key = PEM_read_PrivateKey(f, NULL, NULL, NULL);
		fclose(f);
	}
	f = fopen(w->sig, "r+b");
	if (key && f && fread(&sig, sizeof(sig), 1, f) == 1) {
		change(&sig);
		rewind(f);
		ok = !sgx_sigstruct_sign(&sig, key) && fwrite(&sig, sizeof(sig), 1, f) == 1;
	}
	if (f)
		ok = !fclose(f) && ok;
	EVP_PKEY_free(key);
	if (!ok)
		harness_fail(__FILE__, __LINE__, "could not sign %s again", w->sig);
	return ok;
}

#endif /* SOFTSGX_TESTS_TOOLS_SIGNING_H */
