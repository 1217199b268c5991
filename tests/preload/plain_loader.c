/* SPDX-License-Identifier: MIT */
/*
 * The preload tests' own enclave loader (plain_loader.h): the steps a
 * runtime takes on SGX2 Linux, with the architectural structures written
 * out here from the SDM (SECS, TCS, SECINFO, SIGSTRUCT), MRENCLAVE
 * computed from the ECREATE/EADD/EEXTEND records, and a SIGSTRUCT signed
 * with an RSA-3072 key of exponent 3 made once per process. Nothing here
 * comes from softsgx: if the layout or the measurement drifted from what
 * the processor computes, EINIT would refuse the enclave.
 */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>

#include "plain_loader.h"
#ifdef PL_RAW_SYSCALLS
#include "raw_sys.h" /* the runtime-shaped test: its own system calls */
#endif

#define ATTR_DEBUG 0x2ull
#define ATTR_MODE64BIT 0x4ull
#define ATTR_INIT 0x1ull
#define XFRM_X87_SSE 0x3ull
#define MISC_EXINFO 0x1u
#define NSSA 2
#define SSA_OFFSET (1 * PL_PAGE)
#define TDATA_OFFSET (3 * PL_PAGE)
#define MODULUS 384

struct secs {
	uint64_t size;
	uint64_t base;
	uint32_t ssa_frame_size;
	uint32_t miscselect;
	uint8_t reserved1[24];
	uint64_t attributes;
	uint64_t xfrm;
	uint8_t rest[4096 - 64];
} __attribute__((packed, aligned(4096)));
_Static_assert(sizeof(struct secs) == 4096 && offsetof(struct secs, attributes) == 48, "SECS");

struct tcs {
	uint64_t state;
	uint64_t flags;
	uint64_t ossa;
	uint32_t cssa;
	uint32_t nssa;
	uint64_t oentry;
	uint64_t aep;
	uint64_t ofsbase;
	uint64_t ogsbase;
	uint32_t fslimit;
	uint32_t gslimit;
} __attribute__((packed));
_Static_assert(offsetof(struct tcs, oentry) == 32 && offsetof(struct tcs, ogsbase) == 56 &&
	       sizeof(struct tcs) == 72, "TCS");

struct secinfo {
	uint64_t flags;
	uint8_t reserved[56];
} __attribute__((aligned(64)));

struct sigstruct {
	uint8_t header1[16];
	uint32_t vendor;
	uint32_t date;
	uint8_t header2[16];
	uint32_t swdefined;
	uint8_t reserved1[84];
	uint8_t modulus[MODULUS];
	uint32_t exponent;
	uint8_t signature[MODULUS];
	/* body: bytes 900..1027, signed with the header (bytes 0..127) */
	uint32_t miscselect;
	uint32_t misc_mask;
	uint8_t reserved2[4];
	uint8_t isv_family_id[16];
	uint64_t attributes;
	uint64_t xfrm;
	uint64_t attributes_mask;
	uint64_t xfrm_mask;
	uint8_t mrenclave[32];
	uint8_t reserved3[16];
	uint8_t isv_ext_prod_id[16];
	uint16_t isv_prod_id;
	uint16_t isv_svn;
	uint8_t reserved4[12];
	uint8_t q1[MODULUS];
	uint8_t q2[MODULUS];
} __attribute__((packed));
_Static_assert(sizeof(struct sigstruct) == 1808, "SIGSTRUCT is 1808 bytes");
_Static_assert(offsetof(struct sigstruct, miscselect) == 900, "SIGSTRUCT body at 900");
_Static_assert(offsetof(struct sigstruct, q1) == 1040, "SIGSTRUCT.Q1");

/* The thread-data page's first words, offsets from the base (softsgx/loader.h). */
struct thread_data {
	uint64_t self;
	uint64_t tcs;
	uint64_t stack_top;
	uint64_t ossa;
};

/* One ADD_PAGES call: a run of pages with one SECINFO. */
struct run {
	uint64_t offset;
	uint64_t len;
	uint64_t flags;
};

struct layout {
	uint8_t *data;            /* the page contents, layout end bytes */
	uint64_t image_end;
	uint64_t end;
	uint64_t entry;
	uint8_t *perm;            /* per image page: PERM_PRESENT | SECINFO R/W/X */
	struct run runs[64];
	unsigned int nr_runs;
};

#define PERM_PRESENT 0x80

static int say(const char *step)
{
	int err = errno;

	fprintf(stderr, "plain_loader: %s: %s\n", step, strerror(err));
	errno = err;
	return -1;
}

/* The whole file, read into memory. */
static uint8_t *read_file(const char *path, size_t *len)
{
	struct stat st;
	uint8_t *buf = NULL;
	ssize_t n;
	size_t got = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0 || fstat(fd, &st) || st.st_size <= 0)
		goto out;
	buf = malloc((size_t)st.st_size);
	while (buf && got < (size_t)st.st_size) {
		n = read(fd, buf + got, (size_t)st.st_size - got);
		if (n <= 0) {
			free(buf);
			buf = NULL;
			break;
		}
		got += (size_t)n;
	}
	*len = got;
out:
	if (fd >= 0)
		close(fd);
	return buf;
}

/* The value of the symbol @name in the image's .symtab; 0 if none. */
static uint64_t symbol(const uint8_t *img, size_t len, const char *name)
{
	const Elf64_Ehdr *eh = (const void *)img;
	const Elf64_Shdr *sh = (const void *)(img + eh->e_shoff), *str;
	unsigned int i;
	size_t j;

	if (!eh->e_shoff || eh->e_shoff + (uint64_t)eh->e_shnum * sizeof(*sh) > len)
		return 0;
	for (i = 0; i < eh->e_shnum; i++) {
		if (sh[i].sh_type != SHT_SYMTAB || sh[i].sh_link >= eh->e_shnum)
			continue;
		str = &sh[sh[i].sh_link];
		if (sh[i].sh_offset + sh[i].sh_size > len || str->sh_offset + str->sh_size > len)
			return 0;
		for (j = 0; j < sh[i].sh_size / sizeof(Elf64_Sym); j++) {
			const Elf64_Sym *s = (const void *)(img + sh[i].sh_offset) + j * sizeof(*s);

			if (s->st_name < str->sh_size && s->st_shndx != SHN_UNDEF &&
			    !strcmp((const char *)img + str->sh_offset + s->st_name, name))
				return s->st_value;
		}
	}
	return 0;
}

static unsigned int perm_of(uint32_t f)
{
	unsigned int p = ((f & PF_R) ? PL_SECINFO_R : 0) | ((f & PF_W) ? PL_SECINFO_W : 0) |
			 ((f & PF_X) ? PL_SECINFO_X : 0);

	return (p & PL_SECINFO_W) ? p | PL_SECINFO_R : p;
}

static int add_run(struct layout *l, uint64_t offset, uint64_t len, uint64_t flags)
{
	if (l->nr_runs == sizeof(l->runs) / sizeof(l->runs[0])) {
		errno = E2BIG;
		return -1;
	}
	l->runs[l->nr_runs++] = (struct run){ offset, len, flags };
	return 0;
}

/* The image's PT_LOAD segments and the threads' pages, in EADD order. */
static int lay_out(const uint8_t *img, size_t len, struct layout *l)
{
	const Elf64_Ehdr *eh = (const void *)img;
	const Elf64_Phdr *ph;
	uint64_t p, i, next, t;
	unsigned int k;

	memset(l, 0, sizeof(*l));
	if (len < sizeof(*eh) || memcmp(eh->e_ident, ELFMAG, SELFMAG) ||
	    eh->e_ident[EI_CLASS] != ELFCLASS64 || eh->e_machine != EM_X86_64 ||
	    eh->e_type != ET_DYN || eh->e_phoff + (uint64_t)eh->e_phnum * sizeof(*ph) > len) {
		errno = ENOEXEC;
		return -1;
	}
	ph = (const void *)(img + eh->e_phoff);
	for (k = 0; k < eh->e_phnum; k++)
		if (ph[k].p_type == PT_LOAD && ph[k].p_vaddr + ph[k].p_memsz > l->image_end)
			l->image_end = ph[k].p_vaddr + ph[k].p_memsz;
	l->image_end = (l->image_end + PL_PAGE - 1) & ~(PL_PAGE - 1);
	l->end = l->image_end + PL_NR_TCS * PL_THREAD_PAGES * PL_PAGE;
	l->entry = symbol(img, len, "enclave_entry");
	if (!l->entry)
		l->entry = eh->e_entry;
	/* ADD_PAGES takes page-aligned sources. */
	l->data = aligned_alloc(PL_PAGE, l->end);
	if (l->data)
		memset(l->data, 0, l->end);
	l->perm = calloc(l->image_end / PL_PAGE, 1);
	if (!l->data || !l->perm)
		return -1;
	for (k = 0; k < eh->e_phnum; k++) {
		if (ph[k].p_type != PT_LOAD || !ph[k].p_memsz)
			continue;
		if (ph[k].p_offset + ph[k].p_filesz > len || ph[k].p_filesz > ph[k].p_memsz) {
			errno = ENOEXEC;
			return -1;
		}
		memcpy(l->data + ph[k].p_vaddr, img + ph[k].p_offset, ph[k].p_filesz);
		for (p = ph[k].p_vaddr / PL_PAGE; p <= (ph[k].p_vaddr + ph[k].p_memsz - 1) / PL_PAGE; p++)
			l->perm[p] |= PERM_PRESENT | perm_of(ph[k].p_flags);
	}
	/* Runs of pages with equal permissions; absent pages are not added. */
	for (i = 0; i < l->image_end / PL_PAGE; i = next) {
		for (next = i; next < l->image_end / PL_PAGE && l->perm[next] == l->perm[i]; next++)
			;
		if ((l->perm[i] & PERM_PRESENT) &&
		    add_run(l, i * PL_PAGE, (next - i) * PL_PAGE, PL_SECINFO_REG | (l->perm[i] & 7)))
			return -1;
	}
	for (t = 0; t < PL_NR_TCS; t++) {
		uint64_t off = l->image_end + t * PL_THREAD_PAGES * PL_PAGE;
		struct tcs *tcs = (struct tcs *)(l->data + off);
		struct thread_data *td = (struct thread_data *)(l->data + off + TDATA_OFFSET);

		tcs->ossa = off + SSA_OFFSET;
		tcs->nssa = NSSA;
		tcs->oentry = l->entry;
		tcs->ofsbase = tcs->ogsbase = off + TDATA_OFFSET;
		tcs->fslimit = tcs->gslimit = 0xFFFFFFFF;
		td->self = off + TDATA_OFFSET;
		td->tcs = off;
		td->stack_top = off + PL_THREAD_PAGES * PL_PAGE;
		td->ossa = off + SSA_OFFSET;
		if (add_run(l, off, PL_PAGE, PL_SECINFO_TCS) ||
		    add_run(l, off + PL_PAGE, (PL_THREAD_PAGES - 1) * PL_PAGE,
			    PL_SECINFO_REG | PL_SECINFO_R | PL_SECINFO_W))
			return -1;
	}
	return 0;
}

static void lay_out_free(struct layout *l)
{
	free(l->data);
	free(l->perm);
}

/* MRENCLAVE: SHA-256 over the ECREATE block, then per page EADD and 16 EEXTENDs. */
static int measure(const struct layout *l, uint8_t mrenclave[32])
{
	EVP_MD_CTX *sha = EVP_MD_CTX_new();
	uint8_t block[64];
	uint32_t ssa_frame_size = 1;
	uint64_t size = PL_ENCL_SIZE, off, c;
	unsigned int i, n = 32;
	int ok = sha && EVP_DigestInit_ex(sha, EVP_sha256(), NULL) == 1;

	memset(block, 0, sizeof(block));
	memcpy(block, "ECREATE", 8);
	memcpy(block + 8, &ssa_frame_size, 4);
	memcpy(block + 12, &size, 8);
	ok = ok && EVP_DigestUpdate(sha, block, 64) == 1;
	for (i = 0; ok && i < l->nr_runs; i++) {
		for (off = l->runs[i].offset; ok && off < l->runs[i].offset + l->runs[i].len;
		     off += PL_PAGE) {
			memset(block, 0, sizeof(block));
			memcpy(block, "EADD", 4);
			memcpy(block + 8, &off, 8);
			memcpy(block + 16, &l->runs[i].flags, 8); /* SECINFO bytes 0..47 */
			ok = EVP_DigestUpdate(sha, block, 64) == 1;
			for (c = off; ok && c < off + PL_PAGE; c += 256) {
				memset(block, 0, sizeof(block));
				memcpy(block, "EEXTEND", 7);
				memcpy(block + 8, &c, 8);
				ok = EVP_DigestUpdate(sha, block, 64) == 1 &&
				     EVP_DigestUpdate(sha, l->data + c, 256) == 1;
			}
		}
	}
	ok = ok && EVP_DigestFinal_ex(sha, mrenclave, &n) == 1;
	EVP_MD_CTX_free(sha);
	if (!ok)
		errno = EIO;
	return ok ? 0 : -1;
}

/* The process's signing key: RSA-3072, e = 3, made once. */
static pthread_once_t key_once = PTHREAD_ONCE_INIT;
static EVP_PKEY *key;

static void make_key(void)
{
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL);
	BIGNUM *e = BN_new();

	if (ctx && e && BN_set_word(e, 3) && EVP_PKEY_keygen_init(ctx) == 1 &&
	    EVP_PKEY_CTX_set_rsa_keygen_bits(ctx, 3072) == 1 &&
	    EVP_PKEY_CTX_set1_rsa_keygen_pubexp(ctx, e) == 1 && EVP_PKEY_generate(ctx, &key) != 1)
		key = NULL;
	BN_free(e);
	EVP_PKEY_CTX_free(ctx);
}

static const uint8_t header1[16] = { 6, 0, 0, 0, 0xE1, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0 };
static const uint8_t header2[16] = { 1, 1, 0, 0, 0x60, 0, 0, 0, 0x60, 0, 0, 0, 1, 0, 0, 0 };

/* Q1 = floor(S^2 / N), Q2 = floor((S^3 - Q1 * S * N) / N), little-endian. */
static int q1_q2(struct sigstruct *sig, const BIGNUM *s, const BIGNUM *n)
{
	BN_CTX *ctx = BN_CTX_new();
	BIGNUM *t = BN_new(), *q1 = BN_new(), *q2 = BN_new(), *r = BN_new();
	int ok = ctx && t && q1 && q2 && r && BN_sqr(t, s, ctx) && BN_div(q1, NULL, t, n, ctx) &&
		 BN_mul(t, t, s, ctx) && BN_mul(r, q1, s, ctx) && BN_mul(r, r, n, ctx) &&
		 BN_sub(t, t, r) && BN_div(q2, NULL, t, n, ctx) &&
		 BN_bn2lebinpad(q1, sig->q1, MODULUS) == MODULUS &&
		 BN_bn2lebinpad(q2, sig->q2, MODULUS) == MODULUS;

	BN_free(r);
	BN_free(q2);
	BN_free(q1);
	BN_free(t);
	BN_CTX_free(ctx);
	return ok ? 0 : -1;
}

/* A SIGSTRUCT for @mrenclave with this process's key. */
static int sign(struct sigstruct *sig, const uint8_t mrenclave[32])
{
	uint8_t digest[32], be[MODULUS];
	unsigned int dlen = 32;
	size_t slen = MODULUS;
	BIGNUM *n = NULL, *s = NULL;
	EVP_PKEY_CTX *ctx = NULL;
	EVP_MD_CTX *md = NULL;
	int ok;

	pthread_once(&key_once, make_key);
	if (!key) {
		errno = EIO;
		return -1;
	}
	memset(sig, 0, sizeof(*sig));
	memcpy(sig->header1, header1, 16);
	memcpy(sig->header2, header2, 16);
	sig->exponent = 3;
	sig->miscselect = MISC_EXINFO;
	sig->misc_mask = ~0u;
	sig->attributes = ATTR_MODE64BIT | ATTR_DEBUG;
	sig->xfrm = XFRM_X87_SSE;
	sig->attributes_mask = ~ATTR_INIT;
	sig->xfrm_mask = ~0ull;
	memcpy(sig->mrenclave, mrenclave, 32);
	md = EVP_MD_CTX_new();
	ok = md && EVP_DigestInit_ex(md, EVP_sha256(), NULL) == 1 &&
	     EVP_DigestUpdate(md, sig, 128) == 1 &&
	     EVP_DigestUpdate(md, &sig->miscselect, 128) == 1 &&
	     EVP_DigestFinal_ex(md, digest, &dlen) == 1;
	ok = ok && EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_RSA_N, &n) &&
	     BN_bn2lebinpad(n, sig->modulus, MODULUS) == MODULUS;
	ctx = ok ? EVP_PKEY_CTX_new(key, NULL) : NULL;
	ok = ok && ctx && EVP_PKEY_sign_init(ctx) == 1 &&
	     EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_PADDING) == 1 &&
	     EVP_PKEY_CTX_set_signature_md(ctx, EVP_sha256()) == 1 &&
	     EVP_PKEY_sign(ctx, be, &slen, digest, 32) == 1 && slen == MODULUS;
	ok = ok && (s = BN_bin2bn(be, MODULUS, NULL)) &&
	     BN_bn2lebinpad(s, sig->signature, MODULUS) == MODULUS && !q1_q2(sig, s, n);
	BN_free(s);
	BN_free(n);
	EVP_PKEY_CTX_free(ctx);
	EVP_MD_CTX_free(md);
	if (!ok)
		errno = EIO;
	return ok ? 0 : -1;
}

static int prot_of(unsigned int perm)
{
	return ((perm & PL_SECINFO_R) ? PROT_READ : 0) | ((perm & PL_SECINFO_W) ? PROT_WRITE : 0) |
	       ((perm & PL_SECINFO_X) ? PROT_EXEC : 0);
}

/* The protection of the page at @off: a segment's, else read-write. */
static int page_prot(const struct layout *l, uint64_t off)
{
	if (off < l->image_end && (l->perm[off / PL_PAGE] & PERM_PRESENT))
		return prot_of(l->perm[off / PL_PAGE] & 7);
	return PROT_READ | PROT_WRITE;
}

static int create(struct pl_enclave *e)
{
	struct secs *secs = aligned_alloc(4096, sizeof(*secs));
	struct sgx_enclave_create c;
	int ret;

	if (!secs)
		return -1;
	memset(secs, 0, sizeof(*secs));
	secs->size = e->size;
	secs->base = e->base;
	secs->ssa_frame_size = 1;
	secs->miscselect = MISC_EXINFO;
	secs->attributes = ATTR_MODE64BIT | ATTR_DEBUG;
	secs->xfrm = XFRM_X87_SSE;
	c.src = (uint64_t)(uintptr_t)secs;
	ret = ioctl(e->fd, SGX_IOC_ENCLAVE_CREATE, &c);
	free(secs);
	return ret;
}

static int add_pages(struct pl_enclave *e, const struct layout *l)
{
	struct secinfo si;
	struct sgx_enclave_add_pages add;
	uint64_t done;
	unsigned int i;

	for (i = 0; i < l->nr_runs; i++) {
		memset(&si, 0, sizeof(si));
		si.flags = l->runs[i].flags;
		for (done = 0; done < l->runs[i].len; done += add.count) {
			add = (struct sgx_enclave_add_pages){
				.src = (uint64_t)(uintptr_t)(l->data + l->runs[i].offset + done),
				.offset = l->runs[i].offset + done,
				.length = l->runs[i].len - done,
				.secinfo = (uint64_t)(uintptr_t)&si,
				.flags = SGX_PAGE_MEASURE,
			};
			if (ioctl(e->fd, SGX_IOC_ENCLAVE_ADD_PAGES, &add) && !(errno == EINTR && add.count))
				return -1;
			if (!add.count) {
				errno = EIO;
				return -1;
			}
		}
	}
	return 0;
}

static int init(struct pl_enclave *e)
{
	struct sigstruct *sig = aligned_alloc(4096, 4096);
	struct sgx_enclave_init in;
	int ret = -1;

	if (sig && !sign(sig, e->mrenclave)) {
		in.sigstruct = (uint64_t)(uintptr_t)sig;
		ret = ioctl(e->fd, SGX_IOC_ENCLAVE_INIT, &in);
	}
	free(sig);
	return ret;
}

/* mmap every run of pages with equal protections, MAP_SHARED|MAP_FIXED on the enclave. */
static int map(struct pl_enclave *e, const struct layout *l)
{
	uint64_t off, next;
	int prot;

	for (off = 0; off < e->size; off = next) {
		prot = page_prot(l, off);
		for (next = off + PL_PAGE; next < e->size && page_prot(l, next) == prot; next += PL_PAGE)
			;
		if (mmap((void *)(uintptr_t)(e->base + off), next - off, prot, MAP_SHARED | MAP_FIXED,
			 e->fd, 0) == MAP_FAILED)
			return -1;
	}
	return 0;
}

int pl_load(const char *path, struct pl_enclave *e)
{
	struct layout l;
	uint8_t *img;
	size_t len = 0;
	void *res;
	int ret = -1, i;

	memset(e, 0, sizeof(*e));
	e->fd = -1;
	img = read_file(path, &len);
	if (!img)
		return say(path);
	if (lay_out(img, len, &l)) {
		say("laying out the image");
		goto out;
	}
	if (measure(&l, e->mrenclave)) {
		say("measuring");
		goto out;
	}
	e->fd = open("/dev/sgx_enclave", O_RDWR | O_CLOEXEC);
	if (e->fd < 0) {
		say("/dev/sgx_enclave");
		goto out;
	}
	/* ELRANGE: size-aligned, inside a PROT_NONE reservation of twice the size. */
	e->size = PL_ENCL_SIZE;
	res = mmap(NULL, 2 * e->size, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (res == MAP_FAILED) {
		say("reserving ELRANGE");
		goto out;
	}
	e->base = ((uint64_t)(uintptr_t)res + e->size - 1) & ~(e->size - 1);
	if (create(e)) {
		say("SGX_IOC_ENCLAVE_CREATE");
	} else if (add_pages(e, &l)) {
		say("SGX_IOC_ENCLAVE_ADD_PAGES");
	} else if (init(e)) {
		say("SGX_IOC_ENCLAVE_INIT");
	} else if (map(e, &l)) {
		say("mmap of the enclave");
	} else {
		ret = 0;
	}
	/* Give back the reservation around ELRANGE (all of it on failure). */
	if (ret) {
		munmap(res, 2 * e->size);
	} else {
		if (e->base > (uintptr_t)res)
			munmap(res, e->base - (uintptr_t)res);
		if ((uintptr_t)res + 2 * e->size > e->base + e->size)
			munmap((void *)(uintptr_t)(e->base + e->size),
			       (uintptr_t)res + 2 * e->size - (e->base + e->size));
		for (i = 0; i < PL_NR_TCS; i++)
			e->tcs[i] = e->base + l.image_end + (uint64_t)i * PL_THREAD_PAGES * PL_PAGE;
		e->free_start = e->base + l.end;
	}
out:
	if (ret && e->fd >= 0) {
		close(e->fd);
		e->fd = -1;
	}
	lay_out_free(&l);
	free(img);
	return ret;
}

void pl_unload(struct pl_enclave *e)
{
	if (e->base)
		munmap((void *)(uintptr_t)e->base, e->size);
	if (e->fd >= 0)
		close(e->fd);
	memset(e, 0, sizeof(*e));
	e->fd = -1;
}
