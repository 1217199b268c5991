/* SPDX-License-Identifier: MIT */
/*
 * `softsgx load`: build an enclave image in the loader's layout on the
 * emulated platform and EINIT it, with a SIGSTRUCT from a file (the end of
 * the sign round trip) or signed on the spot by the loader. A SIGSTRUCT
 * that INIT refuses for any enclave (sigstruct_refusal()) is named before
 * anything is built; when EINIT refuses it for this enclave,
 * sigstruct_explain() says why.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "commands.h"
#include "config.h"
#include "driver/driver.h"
#include "sigstruct.h"
#include "softsgx/softsgx.h"

/* The SIGSTRUCT in the file @path. Return: 0 or CLI_EXIT_FAIL. */
static int read_sigstruct(const struct cli_command *cmd, const char *path,
			  struct sgx_sigstruct *sig)
{
	size_t len;
	int fd = -1, ret = cli_open_file(cmd, "the SIGSTRUCT", path, &fd, &len);

	if (ret)
		return ret;
	if (len != sizeof(*sig))
		ret = cli_fail(cmd, "'%s' is not a SIGSTRUCT: %zu bytes, a SIGSTRUCT has %zu", path,
			       len, sizeof(*sig));
	else
		ret = cli_read_exact(cmd, "the SIGSTRUCT", path, fd, sig, sizeof(*sig));
	close(fd);
	return ret;
}

/* What INIT refuses whatever the enclave, said before one is built. Return: 0 or CLI_EXIT_FAIL. */
static int check_sigstruct(const struct cli_command *cmd, const char *path,
			   const struct sgx_sigstruct *sig)
{
	struct sgx_platform *plat = sgx_platform_get();
	char why[1024];

	if (!plat)
		return cli_fail(cmd, "the platform could not be created (EPC of %zu bytes)",
				config_get()->epc_size);
	if (!sigstruct_refusal(sig, sgx_cpu_config(plat->cpu), why, sizeof(why)))
		return 0;
	return cli_fail(cmd, "INIT would refuse the SIGSTRUCT '%s' for any enclave: %s", path, why);
}

/* Report a refused load of @path; when EINIT refused (EPERM), sigstruct_explain() says why. */
static int refused(const struct cli_command *cmd, const char *path, int err, const uint8_t *image,
		   size_t len, const struct softsgx_load_options *o)
{
	const char *name = strerrorname_np(err);
	uint8_t mrenclave[32];
	char why[512];

	if (err != EPERM)
		return cli_fail(cmd, "loading '%s' failed: %s", path, cli_load_error(err));
	if (softsgx_measure_image(image, len, o, mrenclave) ||
	    !sigstruct_explain(o->sigstruct, o, mrenclave, why, sizeof(why)))
		snprintf(why, sizeof(why), "none of the SIGSTRUCT's checks explains it (%s)",
			 strerror(err));
	return cli_fail(cmd, "EINIT refused the SIGSTRUCT for '%s' (INIT: %s): %s", path,
			name ? name : "?", why);
}

static int print_identity(const uint8_t mrenclave[32], const uint8_t mrsigner[32])
{
	char hex[65];

	printf("MRENCLAVE %s\n", cli_hex(mrenclave, 32, hex));
	printf("MRSIGNER  %s\n", cli_hex(mrsigner, 32, hex));
	return CLI_EXIT_OK;
}

/* @image loaded (laid out, measured, built) and EINITed with @sig. */
static int load_with(const struct cli_command *cmd, const char *path, const uint8_t *image,
		     size_t len, struct softsgx_load_options *o, const struct sgx_sigstruct *sig)
{
	struct softsgx_enclave *e;
	int ret;

	o->sigstruct = sig;
	if (softsgx_load_image(image, len, o, &e))
		return refused(cmd, path, errno, image, len, o);
	printf("EINIT accepted the SIGSTRUCT\n");
	ret = print_identity(softsgx_enclave_mrenclave(e), softsgx_enclave_mrsigner(e));
	softsgx_unload(e);
	return ret;
}

/* The loader signs on its own, with a key made for this run. */
static int load_signed_here(const struct cli_command *cmd, const char *path,
			    const struct softsgx_load_options *o)
{
	struct softsgx_enclave *e;
	const uint8_t *image;
	size_t len;
	int ret = cli_map_file(cmd, "the enclave image", path, &image, &len);

	if (ret)
		return ret;
	if (softsgx_load_image(image, len, o, &e)) {
		ret = cli_fail(cmd, "loading '%s' failed: %s", path, cli_load_error(errno));
	} else {
		printf("EINIT accepted the SIGSTRUCT the loader made (a key of this run)\n");
		ret = print_identity(softsgx_enclave_mrenclave(e), softsgx_enclave_mrsigner(e));
		softsgx_unload(e);
	}
	cli_unmap_file(image, len);
	return ret;
}

static int cmd_load(const struct cli_command *cmd, int argc, char **argv)
{
	struct cli_layout layout = { 0 };
	const char *sig_path = NULL, *path;
	const struct cli_option opts[] = { { "--sigstruct", &sig_path, NULL },
					   CLI_LAYOUT_OPTIONS(&layout), { 0 } };
	struct softsgx_load_options o;
	struct sgx_sigstruct sig;
	const uint8_t *image;
	size_t len;
	int ret = cli_start(cmd, argc, argv, opts, &path, 1, 1);

	if (ret != CLI_CONTINUE)
		return ret;
	ret = cli_layout_resolve(cmd, &layout, &o);
	if (ret || !sig_path)
		return ret ? ret : load_signed_here(cmd, path, &o);
	ret = read_sigstruct(cmd, sig_path, &sig);
	if (!ret)
		ret = check_sigstruct(cmd, sig_path, &sig);
	if (!ret)
		ret = cli_map_file(cmd, "the enclave image", path, &image, &len);
	if (ret)
		return ret;
	ret = load_with(cmd, path, image, len, &o, &sig);
	cli_unmap_file(image, len);
	return ret;
}

const struct cli_command load_command = {
	.name = "load",
	.summary = "build and EINIT an enclave image, with a SIGSTRUCT from a file",
	.synopsis = "softsgx load [--sigstruct SIGSTRUCT.bin] [LAYOUT OPTIONS] ENCLAVE.elf",
	.help = "Builds ENCLAVE.elf in the loader's layout on the emulated platform (CREATE,\n"
		"ADD_PAGES, measured) and initializes it with INIT, as a runtime does, then\n"
		"prints MRENCLAVE and MRSIGNER. With --sigstruct, EINIT gets that SIGSTRUCT\n"
		"(from 'softsgx sign'); if it refuses it, the reason is named: a malformed\n"
		"SIGSTRUCT, a signature that does not verify, another MRENCLAVE, other\n"
		"attributes (what is refused for any enclave is named before one is\n"
		"built). Without it the loader signs with a key made for the run.\n\n"
		"options:\n"
		"  --sigstruct FILE    the SIGSTRUCT to EINIT with\n" CLI_LAYOUT_HELP,
	.run = cmd_load,
};
