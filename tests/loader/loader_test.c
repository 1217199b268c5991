/* SPDX-License-Identifier: MIT */
/*
 * The enclave loader with the test enclave: the layout it builds (checked
 * in the EPCM and the driver's pages), MRENCLAVE computed in software
 * against the processor's, symbols, options, and the refusals (corrupt
 * images, an ELRANGE too small, bad options), each leaving nothing behind.
 * The enclave is not run here: that needs the host runtime.
 */
#include <dirent.h>
#include <elf.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/rsa.h>

#include "driver/driver.h"
#include "harness.h"
#include "softsgx/arch.h"
#include "softsgx/loader.h"
#include "softsgx/sign.h"
#include "test/abi.h"

#define PAGE 4096ull
#define THREAD_SIZE(stack) (SOFTSGX_LOAD_THREAD_PAGES(stack) * PAGE)

/* The loader's thread-data header is the start of the test enclave's. */
_Static_assert(offsetof(struct softsgx_thread_data, self) == TE_THREAD_SELF, "self");
_Static_assert(offsetof(struct softsgx_thread_data, tcs) == TE_THREAD_TCS, "tcs");
_Static_assert(offsetof(struct softsgx_thread_data, stack_top) == TE_THREAD_STACK_TOP, "stack_top");
_Static_assert(offsetof(struct softsgx_thread_data, ossa) == TE_THREAD_OSSA, "ossa");
_Static_assert(sizeof(struct softsgx_thread_data) <= TE_THREAD_SAVE, "save slots after it");

/* The test enclave's file, read once. */
static uint8_t *image;
static size_t image_len;

static bool read_image(void)
{
	struct stat st;
	int fd;

	if (image)
		return true;
	fd = open(SOFTSGX_TEST_ENCLAVE, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st)) {
		harness_fail(__FILE__, __LINE__, "%s: %s", SOFTSGX_TEST_ENCLAVE, strerror(errno));
		if (fd >= 0)
			close(fd);
		return false;
	}
	image_len = (size_t)st.st_size;
	image = malloc(image_len);
	if (!image || read(fd, image, image_len) != (ssize_t)image_len) {
		harness_fail(__FILE__, __LINE__, "reading %s", SOFTSGX_TEST_ENCLAVE);
		free(image);
		image = NULL;
	}
	close(fd);
	return image != NULL;
}

static const Elf64_Ehdr *ehdr(const uint8_t *img)
{
	return (const Elf64_Ehdr *)img;
}

static Elf64_Phdr *phdr(uint8_t *img, unsigned int i)
{
	return (Elf64_Phdr *)(img + ehdr(img)->e_phoff) + i;
}

/* Page-rounded end of the image's PT_LOAD segments (where the loader puts thread 0). */
static uint64_t image_end(void)
{
	uint64_t end = 0;
	unsigned int i;

	for (i = 0; i < ehdr(image)->e_phnum; i++) {
		const Elf64_Phdr *ph = phdr(image, i);

		if (ph->p_type == PT_LOAD && ph->p_vaddr + ph->p_memsz > end)
			end = ph->p_vaddr + ph->p_memsz;
	}
	return (end + PAGE - 1) & ~(PAGE - 1);
}

static struct softsgx_enclave *load(const struct softsgx_load_options *opts)
{
	struct softsgx_enclave *e = NULL;

	if (!read_image())
		return NULL;
	if (softsgx_load_file(SOFTSGX_TEST_ENCLAVE, opts, &e)) {
		harness_fail(__FILE__, __LINE__, "loading the test enclave: %s", strerrorname_np(errno));
		return NULL;
	}
	return e;
}

/* The processor's SECS of @e, copied out. */
static struct sgx_secs *secs_of(struct softsgx_enclave *e)
{
	struct sgx_platform *plat = sgx_platform_get();
	struct sgx_encl *encl = sgx_encl_from_fd(plat, softsgx_enclave_fd(e));
	struct sgx_secs *secs = aligned_alloc(PAGE, sizeof(*secs));

	if (!encl || !secs) {
		free(secs);
		return NULL;
	}
	memcpy(secs, sgx_cpu_epc_mem(plat->cpu, encl->secs_epc), sizeof(*secs));
	sgx_encl_put(encl);
	return secs;
}

/*
 * EPCM entry and (if @copy) contents of the page at linear address @la,
 * reloaded first if the reclaimer swapped it out.
 */
static struct sgx_epcm_info page_at(struct softsgx_enclave *e, uint64_t la, void *copy)
{
	struct sgx_platform *plat = sgx_platform_get();
	struct sgx_encl *encl = sgx_encl_from_fd(plat, softsgx_enclave_fd(e));
	struct sgx_epcm_info info = { 0 };
	struct sgx_encl_page *page;

	if (!encl)
		return info;
	pthread_rwlock_rdlock(&plat->mmap_lock);
	page = sgx_encl_reserve_page(encl, la);
	if (page) {
		sgx_cpu_epcm_read(plat->cpu, page->epc, &info);
		if (copy)
			memcpy(copy, sgx_cpu_epc_mem(plat->cpu, page->epc), PAGE);
	}
	pthread_mutex_unlock(&encl->lock);
	pthread_rwlock_unlock(&plat->mmap_lock);
	sgx_encl_put(encl);
	return info;
}

/* The permissions of the enclave mapping at @la (SGX_PROT_*), or -1 if unmapped. */
static int vma_prot(uint64_t la)
{
	struct sgx_platform *plat = sgx_platform_get();
	struct sgx_vma *vma;
	int prot;

	pthread_rwlock_rdlock(&plat->mmap_lock);
	vma = sgx_find_vma(plat, la);
	prot = vma ? vma->prot : -1;
	pthread_rwlock_unlock(&plat->mmap_lock);
	return prot;
}

/* Enclave mappings the driver knows of, in all enclaves. */
static int nr_vmas(void)
{
	struct sgx_platform *plat = sgx_platform_get();
	struct sgx_vma *vma;
	int n = 0;

	pthread_rwlock_rdlock(&plat->mmap_lock);
	for (vma = plat->vmas; vma; vma = vma->next)
		n++;
	pthread_rwlock_unlock(&plat->mmap_lock);
	return n;
}

static int nr_open_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	int n = 0;

	while (d && readdir(d))
		n++;
	if (d)
		closedir(d);
	return n;
}

#define EXPECT_PAGE(info, want_type, want_perm)                                       \
	do {                                                                          \
		struct sgx_epcm_info i_ = (info);                                     \
		EXPECT_TRUE(i_.valid && !i_.pending && !i_.modified && !i_.pr);        \
		EXPECT_EQ(i_.type, want_type);                                        \
		EXPECT_EQ(i_.perm, want_perm);                                        \
	} while (0)

/* Pointers the program cannot pass are EFAULT, never a crash; a NULL enclave answers 0. */
TEST(load_bad_pointers_efault)
{
	struct softsgx_load_options bad_sig = { .sigstruct = (const struct sgx_sigstruct *)64 };
	struct softsgx_enclave *e = NULL;
	uint8_t mr[32];

	EXPECT_ERRNO(softsgx_load_file(NULL, NULL, &e), EFAULT);
	EXPECT_ERRNO(softsgx_load_file((const char *)8, NULL, &e), EFAULT);
	EXPECT_ERRNO(softsgx_load_image(NULL, 4096, NULL, &e), EFAULT);
	EXPECT_ERRNO(softsgx_load_image((const void *)4096, 4096, NULL, &e), EFAULT);
	EXPECT_ERRNO(softsgx_load_file(SOFTSGX_TEST_ENCLAVE, NULL, NULL), EFAULT);
	EXPECT_ERRNO(softsgx_load_file(SOFTSGX_TEST_ENCLAVE, (const struct softsgx_load_options *)8, &e),
		     EFAULT);
	EXPECT_ERRNO(softsgx_load_file(SOFTSGX_TEST_ENCLAVE, &bad_sig, &e), EFAULT);
	EXPECT_ERRNO(softsgx_measure_image(NULL, 4096, NULL, mr), EFAULT);
	EXPECT_TRUE(e == NULL);
	softsgx_unload(NULL);
	softsgx_load_sigstruct(NULL, mr, NULL);
	EXPECT_EQ(softsgx_enclave_base(NULL), 0);
	EXPECT_EQ(softsgx_enclave_fd(NULL), -1);
	EXPECT_EQ(softsgx_enclave_tcs(NULL, 0), 0);
	EXPECT_TRUE(softsgx_enclave_mrenclave(NULL) == NULL);
	EXPECT_EQ(softsgx_enclave_symbol(NULL, "x"), 0);
}

TEST(load_default_places_threads_after_image)
{
	struct softsgx_enclave *e = load(NULL);
	uint64_t base, t0;

	ASSERT_TRUE(e);
	base = softsgx_enclave_base(e);
	EXPECT_EQ(softsgx_enclave_size(e), SOFTSGX_LOAD_DEFAULT_SIZE);
	EXPECT_EQ(base & (SOFTSGX_LOAD_DEFAULT_SIZE - 1), 0);
	EXPECT_TRUE(softsgx_is_device_fd(softsgx_enclave_fd(e)));
	EXPECT_EQ(softsgx_enclave_nr_tcs(e), SOFTSGX_LOAD_DEFAULT_NR_TCS);
	t0 = softsgx_enclave_tcs(e, 0);
	EXPECT_EQ(t0, base + image_end());
	EXPECT_EQ(softsgx_enclave_tcs(e, 1), t0 + THREAD_SIZE(SOFTSGX_LOAD_DEFAULT_STACK_PAGES));
	EXPECT_EQ(softsgx_enclave_tcs(e, 2), 0);
	EXPECT_EQ(softsgx_enclave_free_start(e), t0 + 2 * THREAD_SIZE(SOFTSGX_LOAD_DEFAULT_STACK_PAGES));
	softsgx_unload(e);
}

TEST(mrenclave_software_equals_processor)
{
	struct softsgx_enclave *e = load(NULL);
	uint8_t mr[32];
	struct sgx_secs *secs;

	ASSERT_TRUE(e);
	ASSERT_EQ(softsgx_measure_image(image, image_len, NULL, mr), 0);
	secs = secs_of(e);
	ASSERT_TRUE(secs);
	EXPECT_TRUE(!memcmp(mr, softsgx_enclave_mrenclave(e), 32));
	EXPECT_TRUE(!memcmp(secs->mrenclave, mr, 32));
	EXPECT_TRUE(!memcmp(secs->mrsigner, softsgx_enclave_mrsigner(e), 32));
	EXPECT_EQ(secs->base, softsgx_enclave_base(e));
	EXPECT_EQ(secs->size, SOFTSGX_LOAD_DEFAULT_SIZE);
	EXPECT_EQ(secs->ssa_frame_size, 1);
	EXPECT_EQ(secs->miscselect, SGX_MISC_EXINFO);
	EXPECT_EQ(secs->attributes.flags, SGX_ATTR_INIT | SGX_ATTR_DEBUG | SGX_ATTR_MODE64BIT);
	EXPECT_EQ(secs->attributes.xfrm, 3);
	free(secs);
	softsgx_unload(e);
}

TEST(mrenclave_follows_options)
{
	struct softsgx_load_options o = { .nr_tcs = 1, .stack_pages = 4, .encl_size = 1 << 20 };
	struct softsgx_enclave *e;
	uint8_t mr_default[32], mr[32];
	struct sgx_secs *secs;

	ASSERT_TRUE(read_image());
	ASSERT_EQ(softsgx_measure_image(image, image_len, NULL, mr_default), 0);
	ASSERT_EQ(softsgx_measure_image(image, image_len, &o, mr), 0);
	EXPECT_TRUE(memcmp(mr, mr_default, 32) != 0);
	e = load(&o);
	ASSERT_TRUE(e);
	secs = secs_of(e);
	ASSERT_TRUE(secs);
	EXPECT_TRUE(!memcmp(secs->mrenclave, mr, 32));
	EXPECT_EQ(softsgx_enclave_size(e), 1 << 20);
	EXPECT_EQ(softsgx_enclave_tcs(e, 1), 0);
	EXPECT_EQ(softsgx_enclave_free_start(e), softsgx_enclave_tcs(e, 0) + THREAD_SIZE(4));
	free(secs);
	softsgx_unload(e);
}

TEST(symbol_lookup_gives_absolute_addresses)
{
	struct softsgx_enclave *e = load(NULL);
	uint64_t base, entry, main_fn, value;

	ASSERT_TRUE(e);
	base = softsgx_enclave_base(e);
	entry = softsgx_enclave_symbol(e, "enclave_entry");
	EXPECT_EQ(entry, base + ehdr(image)->e_entry);
	main_fn = softsgx_enclave_symbol(e, "te_main");
	EXPECT_TRUE(main_fn > base && main_fn < base + image_end());
	value = softsgx_enclave_symbol(e, "te_value"); /* a static: found in .symtab */
	EXPECT_TRUE(value > base && value < base + image_end());
	EXPECT_EQ(softsgx_enclave_symbol(e, "__ehdr_start"), base);
	errno = 0;
	EXPECT_EQ(softsgx_enclave_symbol(e, "no_such_symbol"), 0);
	EXPECT_EQ(errno, ENOENT);
	softsgx_unload(e);
}

TEST(tcs_points_at_entry_ssa_and_thread_data)
{
	struct softsgx_enclave *e = load(NULL);
	struct sgx_tcs *tcs = aligned_alloc(PAGE, PAGE);
	uint64_t base, off;
	unsigned int i;

	ASSERT_TRUE(e && tcs);
	base = softsgx_enclave_base(e);
	for (i = 0; i < 2; i++) {
		off = softsgx_enclave_tcs(e, i) - base;
		EXPECT_PAGE(page_at(e, base + off, tcs), SGX_PAGE_TYPE_TCS, 0);
		EXPECT_EQ(tcs->oentry, softsgx_enclave_symbol(e, "enclave_entry") - base);
		EXPECT_EQ(tcs->ossa, off + SOFTSGX_LOAD_SSA_OFFSET);
		EXPECT_EQ(tcs->nssa, 2);
		EXPECT_EQ(tcs->cssa, 0);
		EXPECT_EQ(tcs->flags, 0);
		EXPECT_EQ(tcs->ofsbase, off + SOFTSGX_LOAD_TDATA_OFFSET);
		EXPECT_EQ(tcs->ogsbase, off + SOFTSGX_LOAD_TDATA_OFFSET);
	}
	free(tcs);
	softsgx_unload(e);
}

TEST(thread_pages_are_rw_and_thread_data_filled)
{
	struct softsgx_enclave *e = load(NULL);
	uint8_t *copy = aligned_alloc(PAGE, PAGE);
	const struct te_thread *td = (const struct te_thread *)copy;
	const uint64_t rw = SGX_SECINFO_R | SGX_SECINFO_W;
	uint64_t base, tcs, off;

	ASSERT_TRUE(e && copy);
	base = softsgx_enclave_base(e);
	tcs = softsgx_enclave_tcs(e, 1);
	EXPECT_PAGE(page_at(e, tcs + SOFTSGX_LOAD_SSA_OFFSET, NULL), SGX_PAGE_TYPE_REG, rw);
	EXPECT_PAGE(page_at(e, tcs + SOFTSGX_LOAD_SSA_OFFSET + PAGE, NULL), SGX_PAGE_TYPE_REG, rw);
	EXPECT_PAGE(page_at(e, tcs + SOFTSGX_LOAD_TDATA_OFFSET, copy), SGX_PAGE_TYPE_REG, rw);
	EXPECT_EQ(td->self, tcs - base + SOFTSGX_LOAD_TDATA_OFFSET);
	EXPECT_EQ(td->tcs, tcs - base);
	EXPECT_EQ(td->stack_top, tcs - base + THREAD_SIZE(SOFTSGX_LOAD_DEFAULT_STACK_PAGES));
	EXPECT_EQ(td->ossa, tcs - base + SOFTSGX_LOAD_SSA_OFFSET);
	EXPECT_EQ(td->save[0].rsp, 0);
	for (off = SOFTSGX_LOAD_STACK_OFFSET; off < THREAD_SIZE(SOFTSGX_LOAD_DEFAULT_STACK_PAGES);
	     off += PAGE)
		EXPECT_PAGE(page_at(e, tcs + off, NULL), SGX_PAGE_TYPE_REG, rw);
	/* Nothing after the last stack: EAUG's area. */
	EXPECT_TRUE(!page_at(e, softsgx_enclave_free_start(e), NULL).valid);
	EXPECT_TRUE(!page_at(e, base + softsgx_enclave_size(e) - PAGE, NULL).valid);
	free(copy);
	softsgx_unload(e);
}

TEST(segments_keep_their_permissions)
{
	struct softsgx_enclave *e = load(NULL);
	uint8_t *copy = aligned_alloc(PAGE, PAGE);
	uint64_t base, entry, value;

	ASSERT_TRUE(e && copy);
	base = softsgx_enclave_base(e);
	/* Page 0: the ELF header, read-only, byte for byte the file's. */
	EXPECT_PAGE(page_at(e, base, copy), SGX_PAGE_TYPE_REG, SGX_SECINFO_R);
	EXPECT_TRUE(!memcmp(copy, image, sizeof(Elf64_Ehdr)));
	entry = softsgx_enclave_symbol(e, "enclave_entry");
	EXPECT_PAGE(page_at(e, entry, copy), SGX_PAGE_TYPE_REG, SGX_SECINFO_R | SGX_SECINFO_X);
	EXPECT_TRUE(!memcmp(copy + (entry & (PAGE - 1)),
			    image + (entry - base), 16)); /* text: p_offset == p_vaddr here */
	value = softsgx_enclave_symbol(e, "te_value");
	EXPECT_PAGE(page_at(e, value, NULL), SGX_PAGE_TYPE_REG, SGX_SECINFO_R | SGX_SECINFO_W);
	free(copy);
	softsgx_unload(e);
}

TEST(mappings_follow_the_layout)
{
	struct softsgx_enclave *e = load(NULL);
	uint64_t base;

	ASSERT_TRUE(e);
	base = softsgx_enclave_base(e);
	EXPECT_EQ(vma_prot(base), SGX_PROT_R);
	EXPECT_EQ(vma_prot(softsgx_enclave_symbol(e, "enclave_entry")), SGX_PROT_R | SGX_PROT_X);
	EXPECT_EQ(vma_prot(softsgx_enclave_symbol(e, "te_value")), SGX_PROT_R | SGX_PROT_W);
	EXPECT_EQ(vma_prot(softsgx_enclave_tcs(e, 0)), SGX_PROT_R | SGX_PROT_W);
	EXPECT_EQ(vma_prot(softsgx_enclave_free_start(e)), SGX_PROT_R | SGX_PROT_W);
	EXPECT_EQ(vma_prot(base + softsgx_enclave_size(e) - PAGE), SGX_PROT_R | SGX_PROT_W);
	EXPECT_EQ(vma_prot(base - PAGE), -1);
	EXPECT_EQ(vma_prot(base + softsgx_enclave_size(e)), -1);
	softsgx_unload(e);
}

TEST(unload_frees_epc_and_address_space)
{
	struct sgx_platform *plat = sgx_platform_get();
	size_t free_before = sgx_nr_free_epc_pages(plat);
	int fds = nr_open_fds();
	struct softsgx_enclave *e = load(NULL);
	unsigned char vec;
	uint64_t base, size;

	ASSERT_TRUE(e);
	base = softsgx_enclave_base(e);
	size = softsgx_enclave_size(e);
	/* At least the SECS, the image and both threads' pages. */
	EXPECT_TRUE(sgx_nr_free_epc_pages(plat) + 1 + (softsgx_enclave_free_start(e) - base) / PAGE <=
		    free_before);
	softsgx_unload(e);
	EXPECT_EQ(sgx_nr_free_epc_pages(plat), free_before);
	EXPECT_EQ(nr_open_fds(), fds);
	EXPECT_EQ(nr_vmas(), 0);
	EXPECT_EQ(vma_prot(base), -1);
	EXPECT_ERRNO(mincore((void *)(uintptr_t)base, PAGE, &vec), ENOMEM);
	EXPECT_ERRNO(mincore((void *)(uintptr_t)(base + size - PAGE), PAGE, &vec), ENOMEM);
}

/* Loading @img with @o fails with @err and leaves no EPC page, descriptor or mapping. */
static void expect_load_refused(const uint8_t *img, size_t len, const struct softsgx_load_options *o,
				int err, const char *what)
{
	struct sgx_platform *plat = sgx_platform_get();
	size_t free_before = sgx_nr_free_epc_pages(plat);
	struct softsgx_enclave *e = NULL;
	int fds = nr_open_fds(), vmas = nr_vmas();
	int ret;

	errno = 0;
	ret = softsgx_load_image(img, len, o, &e);
	if (ret != -1 || errno != err)
		harness_fail(__FILE__, __LINE__, "%s: load returned %d errno %s, expected %s", what,
			     ret, strerrorname_np(errno) ?: "0", strerrorname_np(err));
	if (!ret)
		softsgx_unload(e);
	EXPECT_EQ(sgx_nr_free_epc_pages(plat), free_before);
	EXPECT_EQ(nr_open_fds(), fds);
	EXPECT_EQ(nr_vmas(), vmas);
}

/* Both loading and measuring @img refuse it with @err, leaving nothing behind. */
static void expect_refused(const uint8_t *img, size_t len, const struct softsgx_load_options *o,
			   int err, const char *what)
{
	uint8_t mr[32];
	int ret;

	expect_load_refused(img, len, o, err, what);
	errno = 0;
	ret = softsgx_measure_image(img, len, o, mr);
	if (ret != -1 || errno != err)
		harness_fail(__FILE__, __LINE__, "%s: measure returned %d errno %s, expected %s",
			     what, ret, strerrorname_np(errno) ?: "0", strerrorname_np(err));
}

/* Index of the first program header of type @type, or -1. */
static int find_phdr(uint8_t *img, uint32_t type)
{
	unsigned int i;

	for (i = 0; i < ehdr(img)->e_phnum; i++)
		if (phdr(img, i)->p_type == type)
			return (int)i;
	return -1;
}

TEST(corrupt_images_enoexec)
{
	uint8_t *bad;
	Elf64_Ehdr *eh;
	int i;

	ASSERT_TRUE(read_image());
	ASSERT_TRUE(find_phdr(image, PT_LOAD) >= 0 && find_phdr(image, PT_GNU_STACK) >= 0);
	bad = malloc(image_len);
	ASSERT_TRUE(bad);
	eh = (Elf64_Ehdr *)bad;
#define CORRUPT(stmt, what)                                            \
	do {                                                           \
		memcpy(bad, image, image_len);                         \
		stmt;                                                  \
		expect_refused(bad, image_len, NULL, ENOEXEC, what);   \
	} while (0)
	CORRUPT(bad[0] = 0x7e, "bad magic");
	CORRUPT(eh->e_ident[EI_CLASS] = ELFCLASS32, "32-bit class");
	CORRUPT(eh->e_ident[EI_DATA] = ELFDATA2MSB, "big endian");
	CORRUPT(eh->e_machine = EM_386, "i386");
	CORRUPT(eh->e_type = ET_EXEC, "not position independent");
	CORRUPT(eh->e_type = ET_REL, "relocatable object");
	CORRUPT(eh->e_phoff = image_len - 8, "program headers past the end");
	CORRUPT(eh->e_phentsize = 32, "wrong program header size");
	CORRUPT(eh->e_phnum = 0, "no program headers");
	i = find_phdr(image, PT_LOAD);
	CORRUPT(phdr(bad, (unsigned int)i)->p_offset = image_len, "segment past the end");
	CORRUPT(phdr(bad, (unsigned int)i)->p_filesz = image_len + 1, "segment larger than the file");
	CORRUPT(phdr(bad, (unsigned int)i)->p_filesz = phdr(bad, (unsigned int)i)->p_memsz + 1,
		"filesz above memsz");
	CORRUPT(phdr(bad, (unsigned int)i)->p_vaddr = ~0ull - 10, "segment wrapping around");
	i = find_phdr(image, PT_GNU_STACK);
	CORRUPT(phdr(bad, (unsigned int)i)->p_type = PT_INTERP, "program interpreter");
	expect_refused(image, 63, NULL, ENOEXEC, "truncated header");
	expect_refused(image, 0, NULL, ENOEXEC, "empty");
	free(bad);
#undef CORRUPT
}

TEST(stripped_image_enters_at_e_entry)
{
	struct softsgx_enclave *e = NULL;
	struct sgx_tcs *tcs = aligned_alloc(PAGE, PAGE);
	uint8_t *bad;
	Elf64_Ehdr *eh;

	ASSERT_TRUE(read_image() && tcs);
	bad = malloc(image_len);
	ASSERT_TRUE(bad);
	memcpy(bad, image, image_len);
	eh = (Elf64_Ehdr *)bad;
	/* Without section headers the symbols are gone and e_entry decides. */
	eh->e_shoff = 0;
	eh->e_shnum = 0;
	eh->e_entry = image_end();
	expect_refused(bad, image_len, NULL, ENOEXEC, "entry past the image");
	eh->e_entry = ehdr(image)->e_entry;
	EXPECT_EQ(softsgx_load_image(bad, image_len, NULL, &e), 0);
	free(bad);
	ASSERT_TRUE(e);
	errno = 0;
	EXPECT_EQ(softsgx_enclave_symbol(e, "enclave_entry"), 0);
	EXPECT_EQ(errno, ENOENT);
	EXPECT_PAGE(page_at(e, softsgx_enclave_tcs(e, 0), tcs), SGX_PAGE_TYPE_TCS, 0);
	EXPECT_EQ(tcs->oentry, ehdr(image)->e_entry);
	free(tcs);
	softsgx_unload(e);
}

TEST(image_larger_than_elrange_e2big)
{
	struct softsgx_load_options small = { .encl_size = 64 << 10 };
	struct softsgx_load_options stacks = { .stack_pages = 1u << 20 };
	struct softsgx_load_options threads = { .nr_tcs = 100000, .encl_size = 1 << 20 };
	struct softsgx_load_options tiny = { .encl_size = PAGE };

	ASSERT_TRUE(read_image());
	expect_refused(image, image_len, &small, E2BIG, "64 KiB ELRANGE");
	expect_refused(image, image_len, &stacks, E2BIG, "4 GiB stacks");
	expect_refused(image, image_len, &threads, E2BIG, "100000 threads");
	expect_refused(image, image_len, &tiny, E2BIG, "one page");
}

/* The largest ELRANGE the loader offers is below the largest ECREATE accepts (CPUID.(12H,0).EDX[15:8]). */
_Static_assert(SOFTSGX_LOAD_MAX_SIZE_LOG2 < SGX_MAX_ENCLAVE_SIZE_64_LOG2,
	       "SOFTSGX_LOAD_MAX_SIZE is the processor's maximum");

TEST(elrange_beyond_loader_max_einval)
{
	struct softsgx_load_options twice = { .encl_size = SOFTSGX_LOAD_MAX_SIZE << 1 };
	struct softsgx_load_options huge = { .encl_size = 1ull << 47 };
	struct softsgx_load_options max = { .encl_size = SOFTSGX_LOAD_MAX_SIZE };
	struct softsgx_enclave *e = NULL;
	uint8_t mr[32];

	ASSERT_TRUE(read_image());
	/* Refused before anything is measured or created. */
	expect_refused(image, image_len, &twice, EINVAL, "ELRANGE 2^36");
	expect_refused(image, image_len, &huge, EINVAL, "ELRANGE 2^47");
	/* The largest is measured and built. */
	EXPECT_EQ(softsgx_measure_image(image, image_len, &max, mr), 0);
	EXPECT_EQ(softsgx_load_image(image, image_len, &max, &e), 0);
	if (e) {
		EXPECT_EQ(softsgx_enclave_size(e), SOFTSGX_LOAD_MAX_SIZE);
		EXPECT_TRUE(!memcmp(softsgx_enclave_mrenclave(e), mr, 32));
	}
	softsgx_unload(e);
}

/* The PT_LOAD segment that ends highest in @img. */
static Elf64_Phdr *last_load(uint8_t *img)
{
	Elf64_Phdr *last = NULL, *ph;
	unsigned int i;

	for (i = 0; i < ehdr(img)->e_phnum; i++) {
		ph = phdr(img, i);
		if (ph->p_type == PT_LOAD &&
		    (!last || ph->p_vaddr + ph->p_memsz > last->p_vaddr + last->p_memsz))
			last = ph;
	}
	return last;
}

/* More than SOFTSGX_LOAD_MAX_ADDED to add (and measure page by page) is refused up front. */
TEST(layout_beyond_measured_maximum_efbig)
{
	struct softsgx_load_options o = { .encl_size = 8ull << 30 };
	struct softsgx_load_options stack = { .encl_size = 8ull << 30, .nr_tcs = 1,
					      .stack_pages = 1u << 20 };
	uint8_t *big;

	ASSERT_TRUE(read_image());
	big = malloc(image_len);
	ASSERT_TRUE(big);
	memcpy(big, image, image_len);
	ASSERT_TRUE(last_load(big));
	/* A bss of 5 GiB. */
	last_load(big)->p_memsz += 5ull << 30;
	expect_refused(big, image_len, &o, EFBIG, "5 GiB bss");
	/* A 4 GiB stack on top of the image. */
	expect_refused(image, image_len, &stack, EFBIG, "4 GiB stack");
	/*
	 * Exactly the maximum passes that check: the RSA-2048 key is what fails
	 * then, before anything is measured; one page more is EFBIG.
	 */
	o.key = EVP_RSA_gen(2048);
	ASSERT_TRUE(o.key);
	last_load(big)->p_memsz = SOFTSGX_LOAD_MAX_ADDED -
				  2 * THREAD_SIZE(SOFTSGX_LOAD_DEFAULT_STACK_PAGES) -
				  last_load(big)->p_vaddr;
	expect_load_refused(big, image_len, &o, EINVAL, "the maximum, RSA-2048 key");
	last_load(big)->p_memsz += PAGE;
	expect_load_refused(big, image_len, &o, EFBIG, "a page beyond the maximum");
	EVP_PKEY_free(o.key);
	free(big);
}

/* A FIFO is refused as a directory or device is, without waiting for a writer. */
TEST(file_fifo_eacces_without_blocking)
{
	char dir[] = "/tmp/softsgx-loader-XXXXXX", path[64];
	struct softsgx_enclave *e = NULL;
	int status = 0;
	pid_t pid;

	ASSERT_TRUE(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/fifo", dir);
	ASSERT_EQ(mkfifo(path, 0600), 0);
	fflush(NULL);
	pid = fork();
	if (pid == 0) {
		alarm(60); /* a guard: blocked in open(), the child dies of SIGALRM */
		_exit(softsgx_load_file(path, NULL, &e) == -1 && errno == EACCES ? 0 : 1);
	}
	ASSERT_TRUE(pid > 0);
	EXPECT_EQ(waitpid(pid, &status, 0), pid);
	if (!WIFEXITED(status) || WEXITSTATUS(status))
		harness_fail(__FILE__, __LINE__, "softsgx_load_file(FIFO): %s",
			     WIFSIGNALED(status) ? "blocked" : "not EACCES");
	unlink(path);
	rmdir(dir);
}

TEST(bad_options_einval)
{
	struct softsgx_load_options odd = { .encl_size = 3 << 20 };
	struct softsgx_load_options o = { 0 };

	ASSERT_TRUE(read_image());
	expect_refused(image, image_len, &odd, EINVAL, "size not a power of two");
	/* A key the signer cannot use (RSA-2048) is refused before anything is built. */
	o.key = EVP_RSA_gen(2048);
	ASSERT_TRUE(o.key);
	expect_load_refused(image, image_len, &o, EINVAL, "RSA-2048 key");
	EVP_PKEY_free(o.key);
}

TEST(driver_errors_pass_through)
{
	struct softsgx_load_options x87_only = { .xfrm = 0x1 };
	struct softsgx_load_options token_key = { .attributes = SGX_ATTR_EINITTOKENKEY };
	uint64_t creates = softsgx_counter(SOFTSGX_CNT_IOCTL_CREATE);

	ASSERT_TRUE(read_image());
	/* ECREATE #GP (XFRM without SSE): CREATE fails EIO. */
	expect_load_refused(image, image_len, &x87_only, EIO, "XFRM 1");
	/* EINITTOKENKEY is never allowed by Linux: INIT fails EACCES after every EADD. */
	expect_load_refused(image, image_len, &token_key, EACCES, "EINITTOKENKEY");
	EXPECT_EQ(softsgx_counter(SOFTSGX_CNT_IOCTL_CREATE), creates + 2);
}

TEST(file_errors_pass_through)
{
	struct softsgx_enclave *e = NULL;

	EXPECT_ERRNO(softsgx_load_file("/nonexistent/enclave.elf", NULL, &e), ENOENT);
	EXPECT_ERRNO(softsgx_load_file("/", NULL, &e), EACCES);
	EXPECT_ERRNO(softsgx_load_file("/dev/null", NULL, &e), EACCES);
	EXPECT_TRUE(e == NULL);
}

TEST(key_and_identity_options_reach_secs)
{
	struct softsgx_load_options o = { .isv_prod_id = 0x1234, .isv_svn = 7, .no_debug = true };
	struct softsgx_enclave *e;
	struct sgx_secs *secs;
	uint8_t mrsigner[32];

	ASSERT_EQ(sgx_sign_keygen(&o.key), 0);
	ASSERT_EQ(sgx_sign_mrsigner(o.key, mrsigner), 0);
	e = load(&o);
	ASSERT_TRUE(e);
	secs = secs_of(e);
	ASSERT_TRUE(secs);
	EXPECT_TRUE(!memcmp(secs->mrsigner, mrsigner, 32));
	EXPECT_TRUE(!memcmp(softsgx_enclave_mrsigner(e), mrsigner, 32));
	EXPECT_EQ(secs->isv_prod_id, 0x1234);
	EXPECT_EQ(secs->isv_svn, 7);
	EXPECT_EQ(secs->attributes.flags, SGX_ATTR_INIT | SGX_ATTR_MODE64BIT);
	free(secs);
	softsgx_unload(e);
	EVP_PKEY_free(o.key);
}

TEST(provisionkey_attribute_is_provisioned)
{
	struct softsgx_load_options o = { .attributes = SGX_ATTR_PROVISIONKEY };
	struct softsgx_enclave *e = load(&o);
	struct sgx_secs *secs;

	ASSERT_TRUE(e);
	secs = secs_of(e);
	ASSERT_TRUE(secs);
	EXPECT_EQ(secs->attributes.flags,
		  SGX_ATTR_INIT | SGX_ATTR_DEBUG | SGX_ATTR_MODE64BIT | SGX_ATTR_PROVISIONKEY);
	free(secs);
	softsgx_unload(e);
}

TEST(test_enclave_needs_no_relocation)
{
	const Elf64_Shdr *sh;
	unsigned int i;
	int load_segments = 0;

	ASSERT_TRUE(read_image());
	sh = (const Elf64_Shdr *)(image + ehdr(image)->e_shoff);
	for (i = 0; i < ehdr(image)->e_shnum; i++)
		if (sh[i].sh_type == SHT_RELA || sh[i].sh_type == SHT_REL || sh[i].sh_type == SHT_RELR)
			EXPECT_EQ(sh[i].sh_size, 0);
	for (i = 0; i < ehdr(image)->e_phnum; i++) {
		const Elf64_Phdr *ph = phdr(image, i);

		if (ph->p_type != PT_LOAD)
			continue;
		load_segments++;
		EXPECT_TRUE((ph->p_flags & (PF_W | PF_X)) != (PF_W | PF_X));
	}
	EXPECT_TRUE(load_segments >= 2);
	/* The ELF header is loaded at offset 0: __ehdr_start is the enclave base. */
	EXPECT_EQ(phdr(image, (unsigned int)find_phdr(image, PT_LOAD))->p_vaddr, 0);
	EXPECT_EQ(phdr(image, (unsigned int)find_phdr(image, PT_LOAD))->p_offset, 0);
}
