/* SPDX-License-Identifier: MIT */
/*
 * `softsgx load`: build an enclave image in the loader's layout on the
 * emulated platform and EINIT it, with a SIGSTRUCT from a file (the end of
 * the sign round trip) or signed on the spot by the loader. With a
 * SIGSTRUCT file the steps are the loader's (CREATE, ADD_PAGES of every
 * run, measured, INIT) taken here from the loader's layout
 * (loader_internal.h), because the loader signs by itself; when EINIT
 * refuses, sigstruct_explain() says why.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <asm/sgx.h>

#include "cli.h"
#include "commands.h"
#include "loader/loader_internal.h"
#include "sigstruct.h"
#include "softsgx/softsgx.h"

/* An enclave being built from a layout: its descriptor and ELRANGE reservation. */
struct build {
	int fd;
	void *reservation;
	size_t reservation_len;
	uint64_t base;
};

/* The loader's defaults for the zero fields of @o (as its resolve_options()). */
static void loader_defaults(struct softsgx_load_options *o)
{
	if (!o->nr_tcs)
		o->nr_tcs = SOFTSGX_LOAD_DEFAULT_NR_TCS;
	if (!o->stack_pages)
		o->stack_pages = SOFTSGX_LOAD_DEFAULT_STACK_PAGES;
	if (!o->encl_size)
		o->encl_size = SOFTSGX_LOAD_DEFAULT_SIZE;
	if (!o->xfrm)
		o->xfrm = SOFTSGX_LOAD_DEFAULT_XFRM;
}

/* Open the device and reserve a size-aligned ELRANGE. Return: 0 or -errno. */
static int build_start(struct build *b, uint64_t size)
{
	b->fd = softsgx_open("/dev/sgx_enclave", O_RDWR | O_CLOEXEC);
	if (b->fd < 0)
		return -errno;
	b->reservation_len = 2 * size;
	b->reservation = mmap(NULL, b->reservation_len, PROT_NONE,
			      MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (b->reservation == MAP_FAILED) {
		b->reservation = NULL;
		return -ENOMEM;
	}
	b->base = ((uint64_t)(uintptr_t)b->reservation + size - 1) & ~(size - 1);
	return 0;
}

static void build_end(struct build *b)
{
	if (b->fd >= 0)
		softsgx_close(b->fd);
	if (b->reservation)
		munmap(b->reservation, b->reservation_len);
}

static int create(struct build *b, const struct softsgx_load_options *o, uint64_t size)
{
	struct sgx_secs *secs = aligned_alloc(4096, sizeof(*secs));
	struct sgx_enclave_create c;
	int ret = 0;

	if (!secs)
		return -ENOMEM;
	memset(secs, 0, sizeof(*secs));
	secs->base = b->base;
	secs->size = size;
	secs->ssa_frame_size = 1;
	secs->miscselect = SGX_MISC_EXINFO;
	secs->attributes.flags = sigstruct_loader_attributes(o);
	secs->attributes.xfrm = o->xfrm;
	c.src = (uint64_t)(uintptr_t)secs;
	if (softsgx_ioctl(b->fd, SGX_IOC_ENCLAVE_CREATE, &c))
		ret = -errno;
	free(secs);
	return ret;
}

/* ADD_PAGES of every run of the layout, measured, continuing after partial counts. */
static int add_pages(struct build *b, const struct layout *l)
{
	struct sgx_secinfo secinfo;
	struct sgx_enclave_add_pages add;
	uint64_t done;
	size_t i;

	for (i = 0; i < l->nr_runs; i++) {
		memset(&secinfo, 0, sizeof(secinfo));
		secinfo.flags = l->runs[i].flags;
		for (done = 0; done < l->runs[i].len; done += add.count) {
			add = (struct sgx_enclave_add_pages){
				.src = (uint64_t)(uintptr_t)(l->data + l->runs[i].offset + done),
				.offset = l->runs[i].offset + done,
				.length = l->runs[i].len - done,
				.secinfo = (uint64_t)(uintptr_t)&secinfo,
				.flags = SGX_PAGE_MEASURE,
			};
			if (softsgx_ioctl(b->fd, SGX_IOC_ENCLAVE_ADD_PAGES, &add)) {
				if (errno != EINTR)
					return -errno;
			} else if (!add.count) {
				return -EIO; /* no progress and no error: do not spin */
			}
		}
	}
	return 0;
}

static int init(struct build *b, const struct sgx_sigstruct *sig)
{
	struct sgx_sigstruct *copy = aligned_alloc(4096, 4096);
	struct sgx_enclave_init in;
	int ret = 0;

	if (!copy)
		return -ENOMEM;
	memcpy(copy, sig, sizeof(*sig));
	in.sigstruct = (uint64_t)(uintptr_t)copy;
	if (softsgx_ioctl(b->fd, SGX_IOC_ENCLAVE_INIT, &in))
		ret = -errno;
	free(copy);
	return ret;
}

/* The steps up to INIT; names the failing one in *@step. Return: 0 or -errno. */
static int build(const struct layout *l, const struct softsgx_load_options *o,
		 const struct sgx_sigstruct *sig, const char **step)
{
	struct build b = { .fd = -1 };
	int ret;

	*step = "CREATE";
	ret = build_start(&b, l->size);
	if (!ret)
		ret = create(&b, o, l->size);
	if (!ret) {
		*step = "ADD_PAGES";
		ret = add_pages(&b, l);
	}
	if (!ret) {
		*step = "INIT";
		ret = init(&b, sig);
	}
	build_end(&b);
	return ret;
}

/* The SIGSTRUCT in the file @path. Return: 0 or CLI_EXIT_FAIL. */
static int read_sigstruct(const struct cli_command *cmd, const char *path,
			  struct sgx_sigstruct *sig)
{
	uint8_t *data;
	size_t len;
	int ret = cli_read_file(cmd, path, &data, &len);

	if (ret)
		return ret;
	if (len != sizeof(*sig))
		ret = cli_fail(cmd, "'%s' is not a SIGSTRUCT: %zu bytes, a SIGSTRUCT has %zu", path,
			       len, sizeof(*sig));
	else
		memcpy(sig, data, sizeof(*sig));
	free(data);
	return ret;
}

/* Report a refused build of @path; the reason from sigstruct_explain() when INIT refused. */
static int refused(const struct cli_command *cmd, const char *path, const char *step, int err,
		   const struct sgx_sigstruct *sig, const struct softsgx_load_options *o,
		   const uint8_t mrenclave[32])
{
	const char *name = strerrorname_np(err);
	char why[512];

	if (strcmp(step, "INIT"))
		return cli_fail(cmd, "building '%s' failed at %s: %s", path, step,
				cli_load_error(err));
	if (!sigstruct_explain(sig, o, mrenclave, why, sizeof(why)))
		snprintf(why, sizeof(why), "%s", strerror(err));
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

/* Laid out and measured @image; built and EINITed with @sig. */
static int load_with(const struct cli_command *cmd, const char *path, const uint8_t *image,
		     size_t len, struct softsgx_load_options *o, const struct sgx_sigstruct *sig)
{
	uint8_t mrenclave[32], mrsigner[32];
	struct elf_image img;
	struct layout l;
	const char *step = "layout";
	int ret;

	loader_defaults(o);
	ret = elf_parse(image, len, &img);
	if (ret)
		return cli_fail(cmd, "'%s': %s", path, cli_load_error(-ret));
	ret = layout_build(&img, o, &l);
	if (!ret) {
		ret = layout_measure(&l, mrenclave);
		if (!ret)
			ret = build(&l, o, sig, &step);
		layout_release(&l);
	}
	elf_release(&img);
	if (ret)
		return refused(cmd, path, step, -ret, sig, o, mrenclave);
	if (sigstruct_mrsigner(sig, mrsigner))
		return cli_fail(cmd, "SHA-256 failed (libcrypto)");
	printf("EINIT accepted the SIGSTRUCT\n");
	return print_identity(mrenclave, mrsigner);
}

/* The loader signs on its own, with a key made for this run. */
static int load_signed_here(const struct cli_command *cmd, const char *path,
			    const struct softsgx_load_options *o)
{
	struct softsgx_enclave *e;
	int ret;

	if (softsgx_load_file(path, o, &e))
		return cli_fail(cmd, "loading '%s' failed: %s", path, cli_load_error(errno));
	printf("EINIT accepted the SIGSTRUCT the loader made (a key of this run)\n");
	ret = print_identity(softsgx_enclave_mrenclave(e), softsgx_enclave_mrsigner(e));
	softsgx_unload(e);
	return ret;
}

static int cmd_load(const struct cli_command *cmd, int argc, char **argv)
{
	struct cli_layout layout = { 0 };
	const char *sig_path = NULL, *path;
	const struct cli_option opts[] = { { "--sigstruct", &sig_path, NULL },
					   CLI_LAYOUT_OPTIONS(&layout), { NULL } };
	struct softsgx_load_options o;
	struct sgx_sigstruct sig;
	uint8_t *image;
	size_t len;
	int ret = cli_start(cmd, argc, argv, opts, &path, 1, 1);

	if (ret != CLI_CONTINUE)
		return ret;
	ret = cli_layout_resolve(cmd, &layout, &o);
	if (ret || !sig_path)
		return ret ? ret : load_signed_here(cmd, path, &o);
	ret = read_sigstruct(cmd, sig_path, &sig);
	if (!ret)
		ret = cli_read_file(cmd, path, &image, &len);
	if (ret)
		return ret;
	ret = load_with(cmd, path, image, len, &o, &sig);
	free(image);
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
		"attributes. Without it the loader signs with a key made for the run.\n\n"
		"options:\n"
		"  --sigstruct FILE    the SIGSTRUCT to EINIT with\n" CLI_LAYOUT_HELP,
	.run = cmd_load,
};
