/* SPDX-License-Identifier: MIT */
/*
 * The signing tools: `softsgx measure` (MRENCLAVE of an image in the
 * loader's layout), `softsgx sign` (a SIGSTRUCT for it, written to a
 * file) and `softsgx keygen` (an RSA-3072 key with exponent 3, PEM, mode
 * 0600). `softsgx load --sigstruct` (load.c) closes the round trip.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/pem.h>

#include "cli.h"
#include "commands.h"
#include "config.h"
#include "sigstruct.h"
#include "softsgx/sign.h"

/* MRENCLAVE of the image at @path in the layout @o. Return: 0 or CLI_EXIT_FAIL. */
static int measure_file(const struct cli_command *cmd, const char *path,
			const struct softsgx_load_options *o, uint8_t mrenclave[32])
{
	const uint8_t *image;
	size_t len;
	int ret = cli_map_file(cmd, "the enclave image", path, &image, &len);

	if (ret)
		return ret;
	if (softsgx_measure_image(image, len, o, mrenclave))
		ret = cli_fail(cmd, "'%s': %s", path, cli_load_error(errno));
	cli_unmap_file(image, len);
	return ret;
}

static int cmd_measure(const struct cli_command *cmd, int argc, char **argv)
{
	struct cli_layout layout = { 0 };
	const struct cli_option opts[] = { CLI_LAYOUT_OPTIONS(&layout), { 0 } };
	struct softsgx_load_options o;
	uint8_t mrenclave[32];
	const char *path;
	char hex[65];
	int ret = cli_start(cmd, argc, argv, opts, &path, 1, 1);

	if (ret != CLI_CONTINUE)
		return ret;
	ret = cli_layout_resolve(cmd, &layout, &o);
	if (!ret)
		ret = measure_file(cmd, path, &o, mrenclave);
	if (!ret)
		printf("MRENCLAVE %s\n", cli_hex(mrenclave, 32, hex));
	return ret;
}

const struct cli_command measure_command = {
	.name = "measure",
	.summary = "MRENCLAVE of an enclave image in the loader's layout",
	.synopsis = "softsgx measure [LAYOUT OPTIONS] ENCLAVE.elf",
	.help = "Prints the MRENCLAVE that EINIT will find when the loader builds ENCLAVE.elf\n"
		"(a static-pie x86-64 ELF) with the given layout: the value a SIGSTRUCT must\n"
		"carry.\n\n"
		"options:\n" CLI_LAYOUT_HELP,
	.run = cmd_measure,
};

/* A PEM RSA-3072 key is some 2.5 KiB; more than this is not one (and is not read through). */
#define KEY_FILE_MAX (64u << 10)

/* The private key in the PEM file @path, checked for EINIT. Return: 0 or CLI_EXIT_FAIL. */
static int read_key(const struct cli_command *cmd, const char *path, EVP_PKEY **key,
		    uint8_t mrsigner[32])
{
	size_t size;
	FILE *f;
	int fd = -1, ret = cli_open_file(cmd, "the key", path, &fd, &size);

	if (ret)
		return ret;
	if (size > KEY_FILE_MAX) {
		close(fd);
		return cli_fail(cmd, "the key '%s' has %zu bytes: too many for a PEM RSA key (at "
			       "most %u KiB)", path, size, KEY_FILE_MAX >> 10);
	}
	f = fdopen(fd, "r");
	if (!f) {
		close(fd);
		return cli_fail(cmd, "cannot read the key '%s': %s", path, strerror(errno));
	}
	*key = PEM_read_PrivateKey(f, NULL, NULL, NULL);
	fclose(f);
	if (!*key)
		return cli_fail(cmd, "'%s' holds no PEM private key", path);
	if (sgx_sign_mrsigner(*key, mrsigner)) {
		EVP_PKEY_free(*key);
		return cli_fail(cmd, "'%s' is not an RSA-3072 key with public exponent 3, as SGX "
			       "requires (softsgx keygen makes one)", path);
	}
	return 0;
}

/* Sign @mrenclave for layout @o with the key at @key_path into @out. Return: 0 or 1. */
static int write_sigstruct(const struct cli_command *cmd, const char *key_path, const char *out,
			   const struct softsgx_load_options *o, const uint8_t mrenclave[32])
{
	struct sgx_sigstruct sig;
	uint8_t mrsigner[32];
	EVP_PKEY *key = NULL;
	char hex[65];
	int ret = read_key(cmd, key_path, &key, mrsigner);

	if (ret)
		return ret;
	sigstruct_fill(&sig, o, mrenclave);
	if (sgx_sigstruct_sign(&sig, key))
		ret = cli_fail(cmd, "signing failed (libcrypto)");
	EVP_PKEY_free(key);
	if (!ret)
		ret = cli_write_file(cmd, out, &sig, sizeof(sig), 0644);
	if (ret)
		return ret;
	printf("MRENCLAVE %s\n", cli_hex(mrenclave, 32, hex));
	printf("MRSIGNER  %s\n", cli_hex(mrsigner, 32, hex));
	printf("wrote %s (SIGSTRUCT, %zu bytes)\n", out, sizeof(sig));
	return 0;
}

static int cmd_sign(const struct cli_command *cmd, int argc, char **argv)
{
	struct cli_layout layout = { 0 };
	const char *key = NULL, *out = NULL, *path;
	const struct cli_option opts[] = { { "--key", &key, NULL }, { "-o", &out, NULL },
					   { "--output", &out, NULL }, CLI_LAYOUT_OPTIONS(&layout),
					   { 0 } };
	struct softsgx_load_options o;
	uint8_t mrenclave[32];
	int ret = cli_start(cmd, argc, argv, opts, &path, 1, 1);

	if (ret != CLI_CONTINUE)
		return ret;
	if (!key)
		return cli_usage_error(cmd, "missing --key KEY.pem");
	if (!out)
		return cli_usage_error(cmd, "missing -o SIGSTRUCT.bin");
	ret = cli_layout_resolve(cmd, &layout, &o);
	if (!ret)
		ret = measure_file(cmd, path, &o, mrenclave);
	if (!ret)
		ret = write_sigstruct(cmd, key, out, &o, mrenclave);
	return ret;
}

const struct cli_command sign_command = {
	.name = "sign",
	.summary = "write a SIGSTRUCT for an enclave image, signed with an RSA-3072 key",
	.synopsis = "softsgx sign --key KEY.pem -o SIGSTRUCT.bin [LAYOUT OPTIONS] ENCLAVE.elf",
	.help = "Measures ENCLAVE.elf in the loader's layout and writes the SIGSTRUCT (1808\n"
		"bytes) that EINIT accepts for it: MRENCLAVE, the loader's ATTRIBUTES\n"
		"(MODE64BIT, DEBUG; XFRM 3) and MISCSELECT (EXINFO) with their masks, today's\n"
		"DATE, signed with KEY.pem (RSA-3072, public exponent 3; see softsgx keygen).\n"
		"'softsgx load --sigstruct' checks it through EINIT.\n\n"
		"options:\n"
		"  --key KEY.pem       the signing key (PEM)\n"
		"  -o, --output FILE   where to write the SIGSTRUCT\n" CLI_LAYOUT_HELP,
	.run = cmd_sign,
};

/* Write @key as PEM to a new file @path, mode 0600. Return: 0 or CLI_EXIT_FAIL. */
static int write_key(const struct cli_command *cmd, const char *path, EVP_PKEY *key)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	FILE *f;
	int ok;

	if (fd < 0 && errno == EEXIST)
		return cli_fail(cmd, "'%s' exists: not overwriting a key (remove it first)", path);
	if (fd < 0)
		return cli_fail(cmd, "cannot create '%s': %s", path, strerror(errno));
	f = fdopen(fd, "w");
	if (!f) {
		close(fd);
		unlink(path);
		return cli_fail(cmd, "cannot write '%s': %s", path, strerror(errno));
	}
	ok = PEM_write_PrivateKey(f, key, NULL, NULL, 0, NULL, NULL) == 1;
	ok = !fclose(f) && ok;
	if (!ok) {
		unlink(path);
		return cli_fail(cmd, "cannot write '%s'", path);
	}
	return 0;
}

static int cmd_keygen(const struct cli_command *cmd, int argc, char **argv)
{
	const char *out = NULL;
	const struct cli_option opts[] = { { "-o", &out, NULL },
					   { "--output", &out, NULL },
					   { 0 } };
	uint8_t mrsigner[32];
	EVP_PKEY *key = NULL;
	char hex[65];
	int ret = cli_start(cmd, argc, argv, opts, NULL, 0, 0);

	if (ret != CLI_CONTINUE)
		return ret;
	if (!out)
		return cli_usage_error(cmd, "missing -o KEY.pem");
	if (sgx_sign_keygen(&key) || sgx_sign_mrsigner(key, mrsigner)) {
		EVP_PKEY_free(key);
		return cli_fail(cmd, "key generation failed (libcrypto)");
	}
	ret = write_key(cmd, out, key);
	EVP_PKEY_free(key);
	if (ret)
		return ret;
	printf("wrote %s (RSA-3072, public exponent 3, mode 0600)\n", out);
	printf("MRSIGNER  %s\n", cli_hex(mrsigner, 32, hex));
	return 0;
}

const struct cli_command keygen_command = {
	.name = "keygen",
	.summary = "make an RSA-3072 signing key with public exponent 3 (PEM)",
	.synopsis = "softsgx keygen -o KEY.pem",
	.help = "Generates an RSA-3072 private key with public exponent 3, the only kind EINIT\n"
		"accepts, and writes it in PEM to a new file readable by its owner only (0600).\n"
		"An existing file is never overwritten. Prints the MRSIGNER of the key.\n\n"
		"options:\n"
		"  -o, --output FILE   where to write the key\n",
	.run = cmd_keygen,
};
