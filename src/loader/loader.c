/* SPDX-License-Identifier: MIT */
/*
 * The enclave loader (softsgx/loader.h): from an ELF image to a running
 * enclave in the steps a runtime takes on SGX2 Linux, through the
 * library's Linux-compatible calls only:
 *   1. reserve twice ELRANGE's size with an anonymous PROT_NONE mapping and
 *      place the base at a size-aligned address inside it;
 *   2. SGX_IOC_ENCLAVE_CREATE (and PROVISION when PROVISIONKEY is asked for);
 *   3. SGX_IOC_ENCLAVE_ADD_PAGES, measured, one call per run of the layout;
 *   4. sign MRENCLAVE (computed from the same layout) and SGX_IOC_ENCLAVE_INIT;
 *   5. mmap every part of ELRANGE MAP_SHARED|MAP_FIXED with its permissions
 *      and give back the reservation around it.
 * A failure at any step unmaps everything and closes the descriptor; the
 * driver then EREMOVEs whatever was added.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <asm/sgx.h>

#include "driver/uaccess.h"
#include "loader/loader_internal.h"
#include "softsgx/arch.h"
#include "softsgx/sign.h"
#include "softsgx/softsgx.h"
#include "sys.h"

#define PAGE LOADER_PAGE

struct softsgx_enclave {
	int fd;
	uint64_t base;
	uint64_t size;
	unsigned int nr_tcs;
	uint64_t *tcs;              /* linear addresses */
	uint64_t free_start;
	uint8_t mrenclave[32];
	uint8_t mrsigner[32];
	struct elf_symbols syms;
	void *reservation;          /* while loading: the 2 * size reservation */
	size_t reservation_len;
};

/* The process-wide signing key, made on first need (protected by default_key_lock). */
static pthread_mutex_t default_key_lock = PTHREAD_MUTEX_INITIALIZER;
static EVP_PKEY *default_key;

static int get_default_key(EVP_PKEY **key)
{
	int ret = 0;

	pthread_mutex_lock(&default_key_lock);
	if (!default_key)
		ret = sgx_sign_keygen(&default_key);
	*key = default_key;
	pthread_mutex_unlock(&default_key_lock);
	return ret;
}

/* @in with its defaults filled in (the key stays NULL: taken only when signing). */
static int resolve_options(const struct softsgx_load_options *in, struct softsgx_load_options *o)
{
	if (in && copy_from_user(o, in, sizeof(*o)))
		return -EFAULT;
	if (!in)
		memset(o, 0, sizeof(*o));
	if (o->sigstruct && !user_readable(o->sigstruct, sizeof(*o->sigstruct)))
		return -EFAULT;
	if (!o->nr_tcs)
		o->nr_tcs = SOFTSGX_LOAD_DEFAULT_NR_TCS;
	if (!o->stack_pages)
		o->stack_pages = SOFTSGX_LOAD_DEFAULT_STACK_PAGES;
	if (!o->encl_size)
		o->encl_size = SOFTSGX_LOAD_DEFAULT_SIZE;
	if (!o->xfrm)
		o->xfrm = SOFTSGX_LOAD_DEFAULT_XFRM;
	if (o->encl_size & (o->encl_size - 1) || o->encl_size < PAGE)
		return -EINVAL;
	/* Fail early: ECREATE would #GP, after the whole image was measured. */
	if (o->encl_size > SOFTSGX_LOAD_MAX_SIZE)
		return -EINVAL;
	return 0;
}

/* The image checked and laid out for @o. Return: 0, -ENOEXEC, -E2BIG, -EFBIG, -ENOMEM. */
static int prepare(const void *image, size_t len, const struct softsgx_load_options *o,
		   struct elf_image *img, struct layout *l)
{
	int ret = elf_parse(image, len, img);

	if (ret)
		return ret;
	ret = layout_build(img, o, l);
	if (ret)
		elf_release(img);
	return ret;
}

static uint64_t secs_attributes(const struct softsgx_load_options *o)
{
	return SGX_ATTR_MODE64BIT | (o->no_debug ? 0 : SGX_ATTR_DEBUG) | o->attributes;
}

/* Step 1: a size-aligned ELRANGE inside a reservation of twice its size. */
static int reserve(struct softsgx_enclave *e, uint64_t size)
{
	void *p;

	if (size > SIZE_MAX / 2)
		return -ENOMEM;
	p = sys_mmap(NULL, 2 * size, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (p == MAP_FAILED)
		return -ENOMEM;
	e->reservation = p;
	e->reservation_len = 2 * size;
	e->base = ((uint64_t)(uintptr_t)p + size - 1) & ~(size - 1);
	e->size = size;
	return 0;
}

/* PROVISION: allow PROVISIONKEY (after CREATE, which resets the allowed attributes). */
static int provision(struct softsgx_enclave *e)
{
	struct sgx_enclave_provision prov;
	int pfd, ret = 0;

	pfd = softsgx_open("/dev/sgx_provision", O_RDWR | O_CLOEXEC);
	if (pfd < 0)
		return -errno;
	prov.fd = (uint64_t)pfd;
	if (softsgx_ioctl_retrying(e->fd, SGX_IOC_ENCLAVE_PROVISION, &prov))
		ret = -errno;
	softsgx_close(pfd);
	return ret;
}

/* Step 2: ECREATE through the driver. */
static int create(struct softsgx_enclave *e, const struct softsgx_load_options *o)
{
	struct sgx_secs *secs = aligned_alloc(PAGE, sizeof(*secs));
	struct sgx_enclave_create create;
	int ret = 0;

	if (!secs)
		return -ENOMEM;
	memset(secs, 0, sizeof(*secs));
	secs->base = e->base;
	secs->size = e->size;
	secs->ssa_frame_size = 1;
	secs->miscselect = SGX_MISC_EXINFO;
	secs->attributes.flags = secs_attributes(o);
	secs->attributes.xfrm = o->xfrm;
	create.src = (uint64_t)(uintptr_t)secs;
	if (softsgx_ioctl_retrying(e->fd, SGX_IOC_ENCLAVE_CREATE, &create))
		ret = -errno;
	free(secs);
	if (!ret && (o->attributes & SGX_ATTR_PROVISIONKEY))
		ret = provision(e);
	return ret;
}

/* ADD_PAGES of one run, measured; continues after a partial count. */
static int add_run(struct softsgx_enclave *e, const struct layout *l, const struct layout_run *r)
{
	struct sgx_secinfo secinfo;
	struct sgx_enclave_add_pages add;
	uint64_t done = 0;

	memset(&secinfo, 0, sizeof(secinfo));
	secinfo.flags = r->flags;
	while (done < r->len) {
		add = (struct sgx_enclave_add_pages){
			.src = (uint64_t)(uintptr_t)(l->data + r->offset + done),
			.offset = r->offset + done,
			.length = r->len - done,
			.secinfo = (uint64_t)(uintptr_t)&secinfo,
			.flags = SGX_PAGE_MEASURE,
		};
		/* EBUSY and EINTR come before the first page: nothing was added. */
		if (softsgx_ioctl_retrying(e->fd, SGX_IOC_ENCLAVE_ADD_PAGES, &add))
			return -errno;
		if (!add.count)
			return -EIO; /* no progress and no error: do not spin */
		done += add.count;
	}
	return 0;
}

/* Step 3: EADD + EEXTEND of every page, in the layout's (the measurement's) order. */
static int add_pages(struct softsgx_enclave *e, const struct layout *l)
{
	size_t i;
	int ret = 0;

	for (i = 0; i < l->nr_runs && !ret; i++)
		ret = add_run(e, l, &l->runs[i]);
	return ret;
}

void softsgx_load_sigstruct(const struct softsgx_load_options *opts, const uint8_t mrenclave[32],
			    struct sgx_sigstruct *sig)
{
	struct softsgx_load_options o;

	if (!sig || !mrenclave || resolve_options(opts, &o) == -EFAULT)
		return; /* nothing to fill in, or options it cannot read */
	sgx_sigstruct_init(sig);
	sig->body.miscselect = SGX_MISC_EXINFO;
	sig->body.misc_mask = ~0u;
	sig->body.attributes.flags = secs_attributes(&o);
	sig->body.attributes.xfrm = o.xfrm;
	sig->body.attributes_mask.flags = ~SGX_ATTR_INIT;
	sig->body.attributes_mask.xfrm = ~0ull;
	memcpy(sig->body.mrenclave, mrenclave, 32);
	sig->body.isv_prod_id = o.isv_prod_id;
	sig->body.isv_svn = o.isv_svn;
}

/* Step 4: SGX_IOC_ENCLAVE_INIT with @o->sigstruct, or one signed here over @e->mrenclave. */
static int init(struct softsgx_enclave *e, const struct softsgx_load_options *o, EVP_PKEY *key)
{
	struct sgx_sigstruct *sig = aligned_alloc(PAGE, PAGE);
	struct sgx_enclave_init init;
	int ret = 0;

	if (!sig)
		return -ENOMEM;
	if (o->sigstruct) {
		memcpy(sig, o->sigstruct, sizeof(*sig));
	} else {
		softsgx_load_sigstruct(o, e->mrenclave, sig);
		ret = sgx_sigstruct_sign(sig, key);
	}
	if (!ret) {
		init.sigstruct = (uint64_t)(uintptr_t)sig;
		if (softsgx_ioctl_retrying(e->fd, SGX_IOC_ENCLAVE_INIT, &init))
			ret = -errno;
	}
	free(sig);
	return ret;
}

static int prot_of(unsigned int perm)
{
	return ((perm & SGX_SECINFO_R) ? PROT_READ : 0) | ((perm & SGX_SECINFO_W) ? PROT_WRITE : 0) |
	       ((perm & SGX_SECINFO_X) ? PROT_EXEC : 0);
}

/* Step 5: the mappings, then the reservation around ELRANGE goes back. */
static int map_enclave(struct softsgx_enclave *e, const struct layout *l)
{
	const uint64_t res = (uint64_t)(uintptr_t)e->reservation;
	const uint64_t res_end = res + e->reservation_len;
	size_t i;
	void *p;

	for (i = 0; i < l->nr_maps; i++) {
		p = softsgx_mmap((void *)(uintptr_t)(e->base + l->maps[i].offset), l->maps[i].len,
				 prot_of(l->maps[i].perm), MAP_SHARED | MAP_FIXED, e->fd, 0);
		if (p == MAP_FAILED)
			return -errno;
	}
	if (e->base > res)
		sys_munmap(e->reservation, e->base - res);
	if (res_end > e->base + e->size)
		sys_munmap((void *)(uintptr_t)(e->base + e->size), res_end - (e->base + e->size));
	e->reservation = NULL;
	return 0;
}

/* Everything that loading took so far; keeps errno. */
static void discard(struct softsgx_enclave *e)
{
	int err = errno;

	if (e->reservation)
		softsgx_munmap(e->reservation, e->reservation_len);
	if (e->fd >= 0)
		softsgx_close(e->fd);
	elf_symbols_free(&e->syms);
	free(e->tcs);
	free(e);
	errno = err;
}

static int load(struct softsgx_enclave *e, const struct layout *l,
		const struct softsgx_load_options *o)
{
	EVP_PKEY *key = o->key;
	unsigned int i;
	int ret;

	e->nr_tcs = l->nr_tcs;
	e->tcs = calloc(l->nr_tcs, sizeof(*e->tcs));
	if (!e->tcs)
		return -ENOMEM;
	if (o->sigstruct) {
		ret = sgx_sigstruct_mrsigner(o->sigstruct, e->mrsigner);
	} else {
		ret = key ? 0 : get_default_key(&key);
		/* Fail early: a key the signer refuses would only show after every EADD. */
		if (!ret)
			ret = sgx_sign_mrsigner(key, e->mrsigner);
	}
	if (!ret)
		ret = layout_measure(l, e->mrenclave);
	if (ret)
		return ret;
	e->fd = softsgx_open("/dev/sgx_enclave", O_RDWR | O_CLOEXEC);
	if (e->fd < 0)
		return -errno;
	ret = reserve(e, l->size);
	if (!ret)
		ret = create(e, o);
	if (!ret)
		ret = add_pages(e, l);
	if (!ret)
		ret = init(e, o, key);
	if (!ret)
		ret = map_enclave(e, l);
	if (ret)
		return ret;
	for (i = 0; i < l->nr_tcs; i++)
		e->tcs[i] = e->base + layout_tcs(l, i);
	e->free_start = e->base + l->end;
	return 0;
}

int softsgx_load_image(const void *image, size_t len, const struct softsgx_load_options *opts,
		       struct softsgx_enclave **out)
{
	struct softsgx_load_options o;
	struct softsgx_enclave *e;
	struct elf_image img;
	struct layout l;
	int ret;

	ret = resolve_options(opts, &o);
	/* What the program passes is read as a system call reads it: EFAULT, not a crash. */
	if (!ret && (!user_readable(image, len) || copy_to_user(out, &(void *){ NULL }, sizeof(*out))))
		ret = -EFAULT;
	if (!ret)
		ret = prepare(image, len, &o, &img, &l);
	if (ret) {
		errno = -ret;
		return -1;
	}
	e = calloc(1, sizeof(*e));
	if (!e) {
		ret = -ENOMEM;
	} else {
		e->fd = -1;
		elf_symbols_move(&e->syms, &img);
		ret = load(e, &l, &o);
	}
	layout_release(&l);
	elf_release(&img);
	if (ret) {
		errno = -ret;
		if (e)
			discard(e);
		return -1;
	}
	*out = e;
	return 0;
}

/* The file at @path, mapped read-only. Return: 0, -errno. */
static int map_file(const char *path, void **data, size_t *len)
{
	struct stat st;
	int fd, ret = 0;

	/* Only a regular file is opened: opening a FIFO would wait for a writer. */
	if (stat(path, &st))
		return -errno;
	if (!S_ISREG(st.st_mode))
		return -EACCES; /* as execve() answers for a file that is not regular */
	fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st))
		ret = -errno;
	else if (!S_ISREG(st.st_mode))
		ret = -EACCES; /* it was replaced in between */
	else if (!st.st_size)
		ret = -ENOEXEC;
	if (!ret) {
		*len = (size_t)st.st_size;
		*data = sys_mmap(NULL, *len, PROT_READ, MAP_PRIVATE, fd, 0);
		if (*data == MAP_FAILED)
			ret = -errno;
	}
	close(fd);
	return ret;
}

int softsgx_load_file(const char *path, const struct softsgx_load_options *opts,
		      struct softsgx_enclave **out)
{
	void *data = NULL;
	size_t len = 0;
	int ret, err;

	ret = path ? map_file(path, &data, &len) : -EFAULT;
	if (ret) {
		errno = -ret;
		return -1;
	}
	ret = softsgx_load_image(data, len, opts, out);
	err = errno;
	sys_munmap(data, len);
	errno = err;
	return ret;
}

int softsgx_measure_image(const void *image, size_t len, const struct softsgx_load_options *opts,
			  uint8_t mrenclave[32])
{
	struct softsgx_load_options o;
	struct elf_image img;
	struct layout l;
	int ret;

	uint8_t mr[32];

	ret = resolve_options(opts, &o);
	if (!ret && !user_readable(image, len))
		ret = -EFAULT;
	if (!ret)
		ret = prepare(image, len, &o, &img, &l);
	if (!ret) {
		ret = layout_measure(&l, mr);
		if (!ret && copy_to_user(mrenclave, mr, sizeof(mr)))
			ret = -EFAULT;
		layout_release(&l);
		elf_release(&img);
	}
	if (ret) {
		errno = -ret;
		return -1;
	}
	return 0;
}

void softsgx_unload(struct softsgx_enclave *e)
{
	if (!e)
		return;
	softsgx_munmap((void *)(uintptr_t)e->base, e->size);
	e->reservation = NULL;
	discard(e);
}

uint64_t softsgx_enclave_symbol(const struct softsgx_enclave *e, const char *name)
{
	Elf64_Sym sym;

	if (!e || !name) {
		errno = EINVAL;
		return 0;
	}
	if (!elf_symbols_lookup(&e->syms, name, &sym)) {
		errno = ENOENT;
		return 0;
	}
	return sym.st_shndx == SHN_ABS ? sym.st_value : e->base + sym.st_value;
}

/* The accessors answer 0, -1 or NULL for a NULL enclave. */

uint64_t softsgx_enclave_base(const struct softsgx_enclave *e)
{
	return e ? e->base : 0;
}

uint64_t softsgx_enclave_size(const struct softsgx_enclave *e)
{
	return e ? e->size : 0;
}

int softsgx_enclave_fd(const struct softsgx_enclave *e)
{
	return e ? e->fd : -1;
}

unsigned int softsgx_enclave_nr_tcs(const struct softsgx_enclave *e)
{
	return e ? e->nr_tcs : 0;
}

uint64_t softsgx_enclave_tcs(const struct softsgx_enclave *e, unsigned int i)
{
	return e && i < e->nr_tcs ? e->tcs[i] : 0;
}

uint64_t softsgx_enclave_free_start(const struct softsgx_enclave *e)
{
	return e ? e->free_start : 0;
}

const uint8_t *softsgx_enclave_mrenclave(const struct softsgx_enclave *e)
{
	return e ? e->mrenclave : NULL;
}

const uint8_t *softsgx_enclave_mrsigner(const struct softsgx_enclave *e)
{
	return e ? e->mrsigner : NULL;
}
