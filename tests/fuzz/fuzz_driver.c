/* SPDX-License-Identifier: MIT */
/*
 * fuzz_driver: the library's driver calls (softsgx.h) as a program makes
 * them. The input is a sequence of operations, each a byte choosing the
 * call and bytes for its arguments: softsgx_open of /dev/sgx_enclave,
 * /dev/sgx_provision or another path, dup(), softsgx_close, softsgx_ioctl
 * with every SGX_IOC_* request and unknown ones (valid structs with
 * hostile offsets, lengths, flags, SECINFOs, SECSs and SIGSTRUCTs; NULL,
 * unmapped, unreadable and read-only arguments, where Linux answers
 * EFAULT), softsgx_mmap/mprotect/munmap/madvise, a whole test enclave
 * built at once (tests/driver/dfx.h's layout), and simulated enclave
 * threads (EENTER, EEXIT, ERESUME, EACCEPT, EMODPE, EACCEPTCOPY, accesses;
 * deterministic, on the calling thread, interrupted by the IPI double).
 * Addresses passed to mmap(MAP_FIXED)/mprotect/munmap/madvise lie in an
 * arena this target reserves, so that no call can touch memory of the
 * program itself, as a real program's hostile calls could not hurt the
 * kernel.
 *
 * Checked after every operation:
 *   - a failure's errno is one docs/driver.md lists for that call, and
 *     the partial-success counts are whole pages, no more than asked;
 *   - the host protection of every page of an enclave mapping never
 *     exceeds mapping AND EPCM (PROT_NONE without a page-table entry, for
 *     pages not REG, pending, modified or blocked), page-table entries
 *     point at the enclave page's own EPC page, and no enclave memory is
 *     accessible in the host outside enclave mappings (and the emulator's
 *     own view).
 * Checked after every input, once all its descriptors and mappings are
 * gone: no EPC page, descriptor, mapping, file or page-table entry is left.
 * The platform is the process's one (1 MiB of EPC, so that it runs out).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include <asm/sgx.h>

#include "cpu/fixture.h"
#include "driver/dfx.h"
#include "fuzz.h"
#include "softsgx/measure.h"
#include "softsgx/sign.h"

/*
 * Left to other tests: softsgx_close() of the enclave's private descriptor
 * (only descriptors this target opened are closed), bad paths to
 * softsgx_open(), huge EPC sizes (the platform is configured once, small),
 * races of several host threads (one thread; tests/host/stress_test.c).
 */

#define PAGE 4096ull
#define EPC_SIZE (1ull << 20)
#define ARENA_SIZE (8ull << 20)
#define MAX_FILES 6
#define MAX_ENCLS MAX_FILES
#define MAX_MAPS 8
#define MAX_OPS 64
#define NR_THREADS 2
#define DATA_PAGES 16

struct file_slot {
	bool used;
	int fd;
	int encl;                   /* index in encls[], -1 for /dev/sgx_provision */
};

/* What the target knows of an enclave (shared by dup()s of its descriptor). */
struct encl_state {
	int files;                  /* slots referring to it */
	bool created;
	bool initialized;
	bool measure_ok;            /* d.measure mirrors MRENCLAVE */
	struct dfx_encl d;          /* fd (one of its descriptors), base, size, measure */
};

/* A mapping the host placed (mmap without MAP_FIXED): unmapped at the end. */
struct host_map {
	uint64_t start, len;
};

static struct {
	struct file_slot files[MAX_FILES];
	struct encl_state encls[MAX_ENCLS];
	struct host_map maps[MAX_MAPS];
	int nr_maps;
} st;

static uint8_t *arena;              /* ARENA_SIZE, aligned to its size */
static int not_device;              /* a descriptor that is not softsgx's (/dev/null) */
static void *unreadable;            /* a PROT_NONE page */
static uint8_t *data;               /* DATA_PAGES pages, then a PROT_NONE page */
static struct sgx_sigstruct *sig;   /* the INIT argument's SIGSTRUCT */
static struct sgx_secs *secs;       /* the CREATE argument's SECS */
static struct dfx_thread threads[NR_THREADS];
static struct dfx_ipi ipi;

/* Setup */

static void *map_anon(size_t len, int prot)
{
	void *p = mmap(NULL, len, prot, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);

	FUZZ_CHECK(p != MAP_FAILED, "mmap: %s", strerror(errno));
	return p;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	struct softsgx_config cfg = { .epc_size = EPC_SIZE };
	uint8_t *p;
	uint64_t a;
	int i;

	(void)argc;
	(void)argv;
	FUZZ_CHECK(!softsgx_configure(&cfg), "softsgx_configure: %s", strerror(errno));
	/* The arena: reserve twice its size, keep the aligned half. */
	p = map_anon(2 * ARENA_SIZE, PROT_NONE);
	a = ((uint64_t)(uintptr_t)p + ARENA_SIZE - 1) & ~(ARENA_SIZE - 1);
	arena = (uint8_t *)(uintptr_t)a;
	if (arena > p)
		munmap(p, (size_t)(arena - p));
	munmap(arena + ARENA_SIZE, (size_t)(p + ARENA_SIZE - arena));
	not_device = open("/dev/null", O_RDWR | O_CLOEXEC);
	FUZZ_CHECK(not_device >= 0, "/dev/null: %s", strerror(errno));
	unreadable = map_anon(PAGE, PROT_NONE);
	data = map_anon((DATA_PAGES + 1) * PAGE, PROT_READ | PROT_WRITE);
	mprotect(data + DATA_PAGES * PAGE, PAGE, PROT_NONE);
	sig = aligned_alloc(PAGE, PAGE);
	secs = aligned_alloc(PAGE, PAGE);
	FUZZ_CHECK(sig && secs, "out of memory");
	fx_signing_key();
	/* The simulated threads, and the IPI double that makes them leave (AEX). */
	for (i = 0; i < NR_THREADS; i++) {
		dfx_thread_init(&threads[i]);
		dfx_ipi_add(&ipi, &threads[i]);
	}
	ipi.aex = true;
	dfx_ipi_install(&ipi);
	return 0;
}

static size_t free_epc(void)
{
	return sgx_nr_free_epc_pages(sgx_platform_get());
}

/* The arena range [start, end) is a PROT_NONE reservation again (after an munmap). */
static void arena_reserve(uint64_t start, uint64_t end)
{
	void *p;

	if (start >= end)
		return;
	p = mmap((void *)(uintptr_t)start, end - start, PROT_NONE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_FIXED_NOREPLACE, -1, 0);
	FUZZ_CHECK(p == (void *)(uintptr_t)start, "re-reserving the arena at %#llx: %s",
		   (unsigned long long)start, strerror(errno));
}

static uint64_t arena_la(void)
{
	return (uint64_t)(uintptr_t)arena;
}

/* Choosing operands */

static struct file_slot *pick_file(struct fuzz_in *in)
{
	unsigned int i = fuzz_below(in, MAX_FILES), n;

	for (n = 0; n < MAX_FILES; n++, i = (i + 1) % MAX_FILES)
		if (st.files[i].used)
			return &st.files[i];
	return NULL;
}

static struct file_slot *free_slot(void)
{
	int i;

	for (i = 0; i < MAX_FILES; i++)
		if (!st.files[i].used)
			return &st.files[i];
	return NULL;
}

static struct encl_state *slot_encl(const struct file_slot *f)
{
	return f && f->encl >= 0 ? &st.encls[f->encl] : NULL;
}

/* A descriptor: mostly one of ours, sometimes -1, INT_MAX or a descriptor that is not softsgx's. */
static int pick_fd(struct fuzz_in *in, struct file_slot **slot)
{
	unsigned int how = fuzz_u8(in);

	*slot = NULL;
	if (how < 0xF0) {
		*slot = pick_file(in);
		if (*slot)
			return (*slot)->fd;
	}
	return how % 3 == 0 ? -1 : how % 3 == 1 ? INT_MAX : not_device;
}

/* An enclave-relative offset: mostly a page of ELRANGE, sometimes anything. */
static uint64_t pick_offset(struct fuzz_in *in, const struct encl_state *e)
{
	uint8_t how = fuzz_u8(in);
	uint64_t pages = e && e->d.size >= PAGE ? e->d.size / PAGE : 256;

	if (how < 0xE0)
		return (fuzz_u16(in) % pages) * PAGE;
	if (how < 0xF0) {
		uint64_t page = fuzz_u16(in) % pages;

		return page * PAGE + fuzz_below(in, 64) * 64;
	}
	return fuzz_u64(in);
}

static uint64_t pick_length(struct fuzz_in *in)
{
	uint8_t how = fuzz_u8(in);

	if (how < 0xE0)
		return (1 + how % 16) * PAGE;
	if (how < 0xF0)
		return fuzz_u16(in);
	return fuzz_u64(in);
}

/*
 * An argument pointer for @len bytes at @buf: mostly @buf itself, else one
 * Linux answers with EFAULT (NULL, an unmapped address, an unreadable page)
 * or a read-only copy (EFAULT when the result is copied back). *@ro is set
 * for the copy (free with dfx_page_free()), *@writable when the caller sees
 * what the call copied back.
 */
static void *pick_arg(struct fuzz_in *in, void *buf, size_t len, void **ro, bool *writable)
{
	uint8_t how = fuzz_u8(in);

	*ro = NULL;
	*writable = false;
	if (how < 0xE0) {
		*writable = true;
		return buf;
	}
	switch (how % 4) {
	case 0:
		return NULL;
	case 1:
		return (void *)8;
	case 2:
		return unreadable;
	default:
		*ro = dfx_ro_copy(buf, len);
		FUZZ_CHECK(*ro, "no page for a read-only copy");
		return *ro;
	}
}

/* Host pointers to user data for ADD_PAGES' source and SECINFO. */
static uint64_t pick_src(struct fuzz_in *in, const struct encl_state *e)
{
	uint8_t how = fuzz_u8(in);

	if (how < 0xD0)
		return (uint64_t)(uintptr_t)(data + (how % DATA_PAGES) * PAGE);
	switch (how % 5) {
	case 0:
		return 0;
	case 1:
		return (uint64_t)(uintptr_t)data + 8;
	case 2:
		return (uint64_t)(uintptr_t)unreadable;
	case 3:
		/* An enclave mapping (if one is there): EFAULT, get_user_pages() refuses it. */
		return e && e->created ? e->d.base : arena_la();
	default:
		return (uint64_t)(uintptr_t)(data + (DATA_PAGES - 1) * PAGE);
	}
}

static const uint64_t secinfo_flags[] = {
	SGX_SECINFO_REG | SGX_SECINFO_R,
	SGX_SECINFO_REG | SGX_SECINFO_R | SGX_SECINFO_W,
	SGX_SECINFO_REG | SGX_SECINFO_R | SGX_SECINFO_X,
	SGX_SECINFO_REG | SGX_SECINFO_R | SGX_SECINFO_W | SGX_SECINFO_X,
	SGX_SECINFO_TCS,
	SGX_SECINFO_REG | SGX_SECINFO_W,
	SGX_SECINFO_REG,
	SGX_SECINFO_TCS | SGX_SECINFO_R,
	SGX_SECINFO_SECS,
	SGX_SECINFO_PT(SGX_PAGE_TYPE_TRIM),
	SGX_SECINFO_REG | SGX_SECINFO_R | SGX_SECINFO_W | SGX_SECINFO_PENDING,
	SGX_SECINFO_REG | SGX_SECINFO_R | SGX_SECINFO_W | SGX_SECINFO_MODIFIED,
	SGX_SECINFO_PT(SGX_PAGE_TYPE_TRIM) | SGX_SECINFO_MODIFIED,
	SGX_SECINFO_TCS | SGX_SECINFO_MODIFIED,
	SGX_SECINFO_REG | SGX_SECINFO_R | SGX_SECINFO_PR,
};

static uint64_t pick_secinfo_flags(struct fuzz_in *in)
{
	uint8_t how = fuzz_u8(in);
	size_t n = sizeof(secinfo_flags) / sizeof(secinfo_flags[0]);

	return how < 0xF0 ? secinfo_flags[how % n] : fuzz_u64(in);
}

/* Checks of the results */

#define CHECK_ERRNO(ret, call, ...)                                                       \
	FUZZ_CHECK((ret) == 0 || FUZZ_ERRNO_IN(errno, __VA_ARGS__), "%s: errno %s", (call), \
		   strerrorname_np(errno))

/* A partial-success count: whole pages, no more than asked, all of it on success. */
static void check_count(const char *call, int ret, uint64_t count, uint64_t length)
{
	FUZZ_CHECK(!(count & (PAGE - 1)) && count <= length, "%s: count %#llx of length %#llx",
		   call, (unsigned long long)count, (unsigned long long)length);
	FUZZ_CHECK(ret || count == length, "%s succeeded with count %#llx of length %#llx", call,
		   (unsigned long long)count, (unsigned long long)length);
}

/* The lines of /proc/self/maps. */
struct maps_line {
	uint64_t lo, hi;
	unsigned int prot;           /* SGX_PROT_* */
	bool enclave_memory;         /* a mapping of an enclave's memory file */
};

static struct maps_line *read_maps(size_t *n)
{
	FILE *f = fopen("/proc/self/maps", "r");
	struct maps_line *lines = NULL;
	size_t cap = 0;
	char line[512];

	*n = 0;
	FUZZ_CHECK(f, "/proc/self/maps: %s", strerror(errno));
	while (fgets(line, sizeof(line), f)) {
		unsigned long long lo, hi;
		char perms[5];

		if (sscanf(line, "%llx-%llx %4s", &lo, &hi, perms) != 3)
			continue;
		if (*n == cap) {
			cap = cap ? 2 * cap : 512;
			lines = realloc(lines, cap * sizeof(*lines));
			FUZZ_CHECK(lines, "out of memory");
		}
		lines[*n] = (struct maps_line){
			.lo = lo, .hi = hi,
			.prot = (perms[0] == 'r' ? SGX_PROT_R : 0) |
				(perms[1] == 'w' ? SGX_PROT_W : 0) |
				(perms[2] == 'x' ? SGX_PROT_X : 0),
			.enclave_memory = strstr(line, "/memfd:sgx_enclave") != NULL,
		};
		(*n)++;
	}
	fclose(f);
	return lines;
}

/*
 * The most the host may allow at @addr of @vma: mapping AND EPCM, nothing
 * without a page-table entry or for a page not accessible in the EPCM.
 * Called with plat->mmap_lock held.
 */
static unsigned int allowed_prot(struct sgx_platform *plat, const struct sgx_vma *vma,
				 uint64_t addr)
{
	struct sgx_encl *encl = vma->encl;
	struct sgx_encl_page *page;
	struct sgx_epcm_info info;
	uint64_t pte = sgx_pte_lookup(plat, addr), epc = 0;

	if (!(atomic_load(&encl->flags) & SGX_ENCL_CREATED) || addr < encl->base ||
	    addr - encl->base >= encl->size) {
		FUZZ_CHECK(!pte, "a page-table entry at %#llx outside ELRANGE",
			   (unsigned long long)addr);
		return 0;
	}
	pthread_mutex_lock(&encl->lock);
	page = sgx_encl_load_page(encl, addr);
	if (page)
		epc = page->epc;
	pthread_mutex_unlock(&encl->lock);
	FUZZ_CHECK(!pte || pte == epc,
		   "the page-table entry of %#llx is EPC %#llx, its page is at %#llx",
		   (unsigned long long)addr, (unsigned long long)pte, (unsigned long long)epc);
	if (!pte || sgx_cpu_epcm_read(plat->cpu, epc, &info))
		return 0;
	if (!info.valid || info.type != SGX_PAGE_TYPE_REG || info.pending || info.modified ||
	    info.blocked)
		return 0;
	return vma->prot & info.perm;
}

/* Is [lo, hi) inside the emulator's own view of an enclave that is alive? */
static bool in_phys_view(struct sgx_platform *plat, uint64_t lo, uint64_t hi)
{
	struct sgx_vma *vma;
	struct sgx_file *f;
	bool found = false;

	for (vma = plat->vmas; vma && !found; vma = vma->next) {
		uint64_t p = (uint64_t)(uintptr_t)vma->encl->phys;

		found = p && lo >= p && hi <= p + vma->encl->size;
	}
	pthread_mutex_lock(&plat->files_lock);
	for (f = plat->files; f && !found; f = f->next) {
		uint64_t p = f->encl ? (uint64_t)(uintptr_t)f->encl->phys : 0;

		found = p && lo >= p && hi <= p + f->encl->size;
	}
	pthread_mutex_unlock(&plat->files_lock);
	return found;
}

/* What the host allows never exceeds mapping AND EPCM (see the top of the file). */
static void check_host(void)
{
	struct sgx_platform *plat = sgx_platform_get();
	struct maps_line *lines;
	struct sgx_vma *vma;
	uint64_t addr, lo, hi;
	size_t n, i;

	lines = read_maps(&n);
	pthread_rwlock_rdlock(&plat->mmap_lock);
	for (i = 0; i < n; i++) {
		if (!lines[i].prot)
			continue;
		/* Every accessible page of an enclave mapping. */
		for (vma = plat->vmas; vma; vma = vma->next) {
			lo = vma->start > lines[i].lo ? vma->start : lines[i].lo;
			hi = vma->end < lines[i].hi ? vma->end : lines[i].hi;
			for (addr = lo; addr < hi; addr += PAGE) {
				unsigned int allowed = allowed_prot(plat, vma, addr);

				FUZZ_CHECK(!(lines[i].prot & ~allowed),
					   "host protection %#x at %#llx exceeds mapping AND "
					   "EPCM %#x", lines[i].prot, (unsigned long long)addr,
					   allowed);
			}
		}
		/* Enclave memory accessible outside enclave mappings and the emulator's view. */
		if (lines[i].enclave_memory) {
			for (addr = lines[i].lo; addr < lines[i].hi; addr = hi) {
				vma = sgx_find_vma(plat, addr);
				if (vma) {
					hi = vma->end;
					continue;
				}
				hi = lines[i].hi;
				FUZZ_CHECK(in_phys_view(plat, lines[i].lo, lines[i].hi),
					   "enclave memory at %#llx-%#llx is accessible (%#x) "
					   "outside any enclave mapping",
					   (unsigned long long)lines[i].lo,
					   (unsigned long long)lines[i].hi, lines[i].prot);
			}
		}
	}
	pthread_rwlock_unlock(&plat->mmap_lock);
	free(lines);
}

/* Simulated threads: bounded versions of dfx's enter/run loops */

static struct dfx_thread *pick_thread(struct fuzz_in *in)
{
	return &threads[fuzz_below(in, NR_THREADS)];
}

static bool thread_inside(const struct dfx_thread *t)
{
	return sgx_lp_in_enclave(t->lp);
}

/* What an access does: a read, a write, a fetch. */
static const uint32_t access_kinds[] = { 0, SGX_PF_W, SGX_PF_I };

/* Threads inside leave by an interrupt (AEX), as the TLB shootdown of munmap/close makes them. */
static void interrupt_threads(void)
{
	struct sgx_exception irq = { .vector = 32 };
	int i;

	for (i = 0; i < NR_THREADS; i++)
		if (thread_inside(&threads[i]))
			sgx_aex(threads[i].lp, &threads[i].regs, &irq);
}

/* An initialized enclave of ours with an open descriptor. */
static struct encl_state *pick_initialized(struct fuzz_in *in)
{
	struct file_slot *f = pick_file(in);
	struct encl_state *e = slot_encl(f);

	return e && e->initialized ? e : NULL;
}

/* EPCM of the page at @offset of @e, as the driver knows the page. */
static struct sgx_epcm_info epcm_of(struct encl_state *e, uint64_t offset)
{
	return dfx_epcm(&e->d, offset);
}

/*
 * A SECINFO the enclave wrote into one of its own writable pages (the
 * emulator's view stands for the enclave's store). Return: its linear
 * address, or an arbitrary one if the enclave has no such page there.
 */
static uint64_t enclave_secinfo(struct fuzz_in *in, struct encl_state *e)
{
	uint64_t offset = pick_offset(in, e) & ~(PAGE - 1), flags = pick_secinfo_flags(in);
	unsigned int slot = fuzz_below(in, 64);
	struct sgx_epcm_info info;
	struct sgx_secinfo *si;

	if (offset >= e->d.size)
		return e->d.base + offset;
	info = epcm_of(e, offset);
	if (!info.valid || info.type != SGX_PAGE_TYPE_REG || !(info.perm & SGX_SECINFO_W) ||
	    info.pending || info.modified)
		return e->d.base + offset + slot * 64;
	si = dfx_mem(&e->d, offset + slot * 64);
	FUZZ_CHECK(si, "no emulator view of the enclave's page");
	memset(si, 0, sizeof(*si));
	si->flags = flags;
	return e->d.base + offset + slot * 64;
}

static void op_thread(struct fuzz_in *in)
{
	struct dfx_thread *t = pick_thread(in);
	unsigned int what = fuzz_below(in, 8);
	struct encl_state *e = pick_initialized(in);
	uint64_t tcs, si, page, src;
	int ret;

	if (what == 0) { /* EENTER */
		if (!e || thread_inside(t))
			return;
		tcs = pick_offset(in, e);
		ret = dfx_enter(t, &e->d, tcs);
		FUZZ_CHECK(!ret || !thread_inside(t), "EENTER failed (%s) but the thread is inside",
			   sgx_code_name(ret));
		return;
	}
	if (what == 1) { /* EEXIT */
		if (thread_inside(t)) {
			ret = dfx_exit(t);
			FUZZ_CHECK(!ret && !thread_inside(t), "EEXIT returned %s",
				   sgx_code_name(ret));
		}
		return;
	}
	if (what == 2) { /* ERESUME after an AEX */
		if (thread_inside(t) || !sgx_lp_tcs(t->lp) || !e)
			return;
		tcs = sgx_lp_tcs(t->lp);
		if (tcs < e->d.base || tcs - e->d.base >= e->d.size)
			return;
		dfx_resume(t);
		return;
	}
	/* Leaves and accesses of a thread inside the enclave it entered. */
	if (!thread_inside(t) || !e || t->encl != &e->d)
		return;
	page = e->d.base + (pick_offset(in, e) & ~63ull);
	switch (what) {
	case 3:
		si = enclave_secinfo(in, e);
		dfx_eaccept(t, si, page);
		break;
	case 4:
		si = enclave_secinfo(in, e);
		dfx_emodpe(t, si, page);
		break;
	case 5:
		si = enclave_secinfo(in, e);
		src = e->d.base + pick_offset(in, e);
		dfx_eacceptcopy(t, si, page, src);
		break;
	default:
		dfx_access(t, page, access_kinds[fuzz_below(in, 3)]);
		break;
	}
}

/* Descriptors */

static void op_open(struct fuzz_in *in)
{
	struct file_slot *f = free_slot();
	uint8_t how = fuzz_u8(in);
	static const char *const paths[] = { "/dev/sgx_enclave", "/dev/sgx_provision",
					     "/dev/sgx", "/dev/sgx_enclave/" };
	const char *path = paths[how < 0xC0 ? 0 : how < 0xE0 ? 1 : 2 + how % 2];
	int flags = O_RDWR | ((how & 1) ? O_CLOEXEC : 0), fd, i;

	if (!f)
		return;
	fd = softsgx_open(path, flags);
	if (fd < 0) {
		FUZZ_CHECK(path == paths[0] || path == paths[1]
				   ? FUZZ_ERRNO_IN(errno, EMFILE, ENFILE, ENOMEM)
				   : errno == ENOENT,
			   "softsgx_open(%s): errno %s", path, strerrorname_np(errno));
		return;
	}
	FUZZ_CHECK(path == paths[0] || path == paths[1], "softsgx_open(%s) succeeded", path);
	FUZZ_CHECK(softsgx_is_device_fd(fd), "softsgx_open's descriptor is not a device's");
	*f = (struct file_slot){ .used = true, .fd = fd, .encl = -1 };
	if (path == paths[0]) {
		for (i = 0; i < MAX_ENCLS && st.encls[i].files; i++)
			;
		FUZZ_CHECK(i < MAX_ENCLS, "no enclave slot");
		memset(&st.encls[i], 0, sizeof(st.encls[i]));
		st.encls[i].files = 1;
		st.encls[i].d.fd = fd;
		f->encl = i;
	}
}

static void op_dup(struct fuzz_in *in)
{
	struct file_slot *from = pick_file(in), *to = free_slot();
	int fd;

	if (!from || !to)
		return;
	fd = dup(from->fd);
	if (fd < 0)
		return;
	*to = *from;
	to->fd = fd;
	if (to->encl >= 0)
		st.encls[to->encl].files++;
}

static void close_slot(struct file_slot *f)
{
	struct encl_state *e = slot_encl(f);
	int i;

	FUZZ_CHECK(!softsgx_close(f->fd), "softsgx_close of an open descriptor: %s",
		   strerrorname_np(errno));
	f->used = false;
	if (!e)
		return;
	if (--e->files == 0) {
		sgx_measure_free(e->d.measure);
		memset(e, 0, sizeof(*e));
		return;
	}
	/* Another descriptor of the same file stands for it now. */
	for (i = 0; i < MAX_FILES; i++)
		if (st.files[i].used && slot_encl(&st.files[i]) == e)
			e->d.fd = st.files[i].fd;
}

static void op_close(struct fuzz_in *in)
{
	struct file_slot *f;
	int fd = pick_fd(in, &f);

	interrupt_threads();
	if (f) {
		close_slot(f);
		return;
	}
	errno = 0;
	FUZZ_CHECK(softsgx_close(fd) == -1 && errno == EBADF, "softsgx_close(%d): errno %s", fd,
		   strerrorname_np(errno));
	FUZZ_CHECK(fcntl(not_device, F_GETFD) != -1,
		   "softsgx_close closed a descriptor not its own");
}

/* The ioctls */

/* softsgx_ioctl(), then the read-only copy of the argument (if any) goes; errno kept. */
static int do_ioctl(int fd, unsigned long request, void *arg, void *ro)
{
	int ret = softsgx_ioctl(fd, request, arg), err = errno;

	if (ro)
		dfx_page_free(ro);
	errno = err;
	return ret;
}

static void fill_secs(struct fuzz_in *in, struct encl_state *e)
{
	uint8_t how = fuzz_u8(in);
	uint64_t size = 1ull << (12 + how % 10), base;

	base = arena_la() + (fuzz_u16(in) % (ARENA_SIZE / size)) * size;
	if (how >= 0xF0) {
		base = fuzz_u64(in);
		size = fuzz_u64(in);
	}
	fx_secs_default(secs, base, size);
	how = fuzz_u8(in);
	if (how >= 0xC0) {
		secs->ssa_frame_size = fuzz_u8(in) % 4;
		secs->attributes.flags ^= 1ull << fuzz_below(in, 64);
		secs->attributes.xfrm = fuzz_below(in, 8);
		secs->miscselect = fuzz_below(in, 4);
	}
	if (e) {
		e->d.base = base;
		e->d.size = size;
	}
}

static void ioctl_create(struct fuzz_in *in, int fd, struct encl_state *e)
{
	struct sgx_enclave_create create = { .src = (uintptr_t)secs };
	bool writable;
	void *ro, *arg;
	uint64_t base = e ? e->d.base : 0, size = e ? e->d.size : 0;
	int ret;

	fill_secs(in, NULL);
	if (fuzz_u8(in) >= 0xF0)
		create.src = pick_src(in, e);
	arg = pick_arg(in, &create, sizeof(create), &ro, &writable);
	ret = do_ioctl(fd, SGX_IOC_ENCLAVE_CREATE, arg, ro);
	CHECK_ERRNO(ret, "CREATE", EBADF, ENOTTY, EINVAL, EFAULT, ENOMEM, EIO);
	if (ret || !e) {
		if (e) {
			e->d.base = base;
			e->d.size = size;
		}
		return;
	}
	FUZZ_CHECK(!e->created, "CREATE succeeded twice");
	e->created = true;
	e->d.base = secs->base;
	e->d.size = secs->size;
	e->d.measure = sgx_measure_new();
	FUZZ_CHECK(e->d.measure, "out of memory");
	sgx_measure_ecreate(e->d.measure, secs->ssa_frame_size, secs->size);
	e->measure_ok = true;
}

static void ioctl_add_pages(struct fuzz_in *in, int fd, struct encl_state *e)
{
	struct sgx_secinfo secinfo = { .flags = pick_secinfo_flags(in) };
	struct sgx_enclave_add_pages add = { 0 };
	uint64_t c, mflags;
	bool writable;
	void *ro, *arg;
	int ret;

	add.src = pick_src(in, e);
	add.offset = pick_offset(in, e);
	add.length = pick_length(in);
	add.secinfo = (uintptr_t)&secinfo;
	add.flags = fuzz_u8(in) < 0xE0 ? SGX_PAGE_MEASURE : fuzz_u64(in);
	if (fuzz_u8(in) >= 0xF0) {
		add.secinfo = pick_src(in, e);
		add.secinfo += fuzz_below(in, 64);
	}
	if (fuzz_u8(in) >= 0xF0)
		secinfo.reserved[fuzz_below(in, sizeof(secinfo.reserved))] = 1;
	arg = pick_arg(in, &add, sizeof(add), &ro, &writable);
	ret = do_ioctl(fd, SGX_IOC_ENCLAVE_ADD_PAGES, arg, ro);
	CHECK_ERRNO(ret, "ADD_PAGES", EBADF, ENOTTY, EINVAL, EFAULT, ENOMEM, EBUSY, EACCES, EIO);
	if (!e)
		return;
	if (!writable) {
		e->measure_ok = false; /* pages may have been added: count unknown */
		return;
	}
	check_count("ADD_PAGES", ret, add.count, add.length);
	if (!add.count || !e->measure_ok)
		return;
	mflags = secinfo.flags;
	if ((mflags & SGX_SECINFO_PT_MASK) == SGX_SECINFO_TCS)
		mflags &= ~SGX_SECINFO_PERM_MASK;
	for (c = 0; c < add.count; c += PAGE)
		sgx_measure_page(e->d.measure, add.offset + c, mflags,
				 (const uint8_t *)(uintptr_t)(add.src + c),
				 add.flags & SGX_PAGE_MEASURE);
}

/* A SIGSTRUCT for @e's measurement, signed, with one hostile change chosen by the input. */
static void fill_sigstruct(struct fuzz_in *in, struct encl_state *e)
{
	uint8_t how = fuzz_u8(in);

	sgx_sigstruct_init(sig);
	sig->header.vendor = 0x8086;
	sig->body.miscselect = SGX_MISC_EXINFO;
	sig->body.misc_mask = ~0u;
	sig->body.attributes.flags = SGX_ATTR_MODE64BIT | SGX_ATTR_DEBUG;
	sig->body.attributes.xfrm = 3;
	sig->body.attributes_mask.flags = SGX_ATTR_MODE64BIT | SGX_ATTR_DEBUG;
	sig->body.attributes_mask.xfrm = 3;
	if (e && e->d.measure)
		sgx_measure_digest(e->d.measure, sig->body.mrenclave);
	if (how >= 0xA0) {
		switch (how % 6) {
		case 0:
			sig->header.vendor = fuzz_u16(in);
			break;
		case 1: /* a bit under the mask: reserved or one this processor lacks */
			sig->body.attributes.flags |= 1ull << fuzz_below(in, 64);
			sig->body.attributes_mask.flags = ~0ull;
			break;
		case 2:
			sig->body.mrenclave[fuzz_below(in, 32)] ^= 1;
			break;
		case 3:
			sig->body.miscselect = fuzz_u32(in);
			break;
		case 4:
			sig->body.attributes.xfrm = fuzz_u64(in);
			sig->body.attributes_mask.xfrm = ~0ull;
			break;
		default:
			sig->body.isv_family_id[0] = 1;
			break;
		}
	}
	fx_sigstruct_sign(sig);
	if (how >= 0xA0 && how % 7 == 6)
		sig->signature[fuzz_below(in, SGX_MODULUS_SIZE)] ^= 1;
}

static void ioctl_init(struct fuzz_in *in, int fd, struct encl_state *e)
{
	struct sgx_enclave_init init = { .sigstruct = (uintptr_t)sig };
	bool writable;
	void *ro, *arg;
	int ret;

	fill_sigstruct(in, e);
	if (fuzz_u8(in) >= 0xF0)
		init.sigstruct = pick_src(in, e);
	arg = pick_arg(in, &init, sizeof(init), &ro, &writable);
	ret = do_ioctl(fd, SGX_IOC_ENCLAVE_INIT, arg, ro);
	CHECK_ERRNO(ret, "INIT", EBADF, ENOTTY, EINVAL, EFAULT, EACCES, EIO, EPERM);
	if (!ret && e) {
		FUZZ_CHECK(e->created && !e->initialized, "INIT succeeded on an enclave %s",
			   e->created ? "initialized already" : "not created");
		e->initialized = true;
	}
}

static void ioctl_provision(struct fuzz_in *in, int fd)
{
	struct sgx_enclave_provision prov;
	struct file_slot *f;
	bool writable;
	void *ro, *arg;
	int ret;

	prov.fd = (__u64)(unsigned int)pick_fd(in, &f);
	arg = pick_arg(in, &prov, sizeof(prov), &ro, &writable);
	ret = do_ioctl(fd, SGX_IOC_ENCLAVE_PROVISION, arg, ro);
	CHECK_ERRNO(ret, "PROVISION", EBADF, ENOTTY, EFAULT, EINVAL);
}

static void ioctl_restrict(struct fuzz_in *in, int fd, struct encl_state *e)
{
	static const uint64_t perms[] = { 0, SGX_SECINFO_R, SGX_SECINFO_R | SGX_SECINFO_W,
					  SGX_SECINFO_R | SGX_SECINFO_X, SGX_SECINFO_PERM_MASK,
					  SGX_SECINFO_W, SGX_SECINFO_X };
	struct sgx_enclave_restrict_permissions p = { 0 };
	uint8_t how;
	bool writable;
	void *ro, *arg;
	int ret;

	p.offset = pick_offset(in, e);
	p.length = pick_length(in);
	how = fuzz_u8(in);
	p.permissions = how < 0xF0 ? perms[how % 7] : fuzz_u64(in);
	if (fuzz_u8(in) >= 0xF0) {
		p.result = fuzz_below(in, 2);
		p.count = fuzz_below(in, 2) * PAGE;
	}
	arg = pick_arg(in, &p, sizeof(p), &ro, &writable);
	ret = do_ioctl(fd, SGX_IOC_ENCLAVE_RESTRICT_PERMISSIONS, arg, ro);
	CHECK_ERRNO(ret, "RESTRICT_PERMISSIONS", EBADF, ENOTTY, ENODEV, EINVAL, EFAULT);
	if (writable && (!ret || errno == EFAULT))
		check_count("RESTRICT_PERMISSIONS", ret, p.count, p.length);
}

static void ioctl_modify_types(struct fuzz_in *in, int fd, struct encl_state *e)
{
	static const uint64_t types[] = { SGX_PAGE_TYPE_TCS, SGX_PAGE_TYPE_TRIM, SGX_PAGE_TYPE_REG,
					  SGX_PAGE_TYPE_SECS, SGX_PAGE_TYPE_VA, 0x100 };
	struct sgx_enclave_modify_types m = { 0 };
	uint8_t how;
	bool writable;
	void *ro, *arg;
	int ret;

	m.offset = pick_offset(in, e);
	m.length = pick_length(in);
	how = fuzz_u8(in);
	m.page_type = how < 0xF0 ? types[how % 6] : fuzz_u64(in);
	if (fuzz_u8(in) >= 0xF0) {
		m.result = fuzz_below(in, 2);
		m.count = fuzz_below(in, 2) * PAGE;
	}
	arg = pick_arg(in, &m, sizeof(m), &ro, &writable);
	ret = do_ioctl(fd, SGX_IOC_ENCLAVE_MODIFY_TYPES, arg, ro);
	CHECK_ERRNO(ret, "MODIFY_TYPES", EBADF, ENOTTY, ENODEV, EINVAL, EFAULT, EPERM);
	if (writable && (!ret || errno == EFAULT || errno == EPERM))
		check_count("MODIFY_TYPES", ret, m.count, m.length);
}

static void ioctl_remove_pages(struct fuzz_in *in, int fd, struct encl_state *e)
{
	struct sgx_enclave_remove_pages r = { 0 };
	bool writable;
	void *ro, *arg;
	int ret;

	r.offset = pick_offset(in, e);
	r.length = pick_length(in);
	if (fuzz_u8(in) >= 0xF0)
		r.count = fuzz_below(in, 2) * PAGE;
	arg = pick_arg(in, &r, sizeof(r), &ro, &writable);
	ret = do_ioctl(fd, SGX_IOC_ENCLAVE_REMOVE_PAGES, arg, ro);
	CHECK_ERRNO(ret, "REMOVE_PAGES", EBADF, ENOTTY, ENODEV, EINVAL, EFAULT, EPERM);
	if (writable && (!ret || errno == EFAULT || errno == EPERM))
		check_count("REMOVE_PAGES", ret, r.count, r.length);
}

static void op_ioctl(struct fuzz_in *in)
{
	struct file_slot *f;
	int fd = pick_fd(in, &f);
	struct encl_state *e = slot_encl(f);
	unsigned int which = fuzz_below(in, 10);
	uint8_t buf[64];
	void *ro, *arg;
	bool writable;
	unsigned long request;
	int ret;

	switch (which) {
	case 0:
		ioctl_create(in, fd, e);
		return;
	case 1:
		ioctl_add_pages(in, fd, e);
		return;
	case 2:
		ioctl_init(in, fd, e);
		return;
	case 3:
		ioctl_provision(in, fd);
		return;
	case 4:
		ioctl_restrict(in, fd, e);
		return;
	case 5:
		ioctl_modify_types(in, fd, e);
		return;
	case 6:
		ioctl_remove_pages(in, fd, e);
		return;
	case 7:
		request = SGX_IOC_VEPC_REMOVE_ALL;
		break;
	case 8: /* a known request number with the wrong size or direction */
		request = _IOC(fuzz_below(in, 4), SGX_MAGIC, 0, 0);
		request |= _IOC(0, 0, fuzz_below(in, 8), 0);
		request |= _IOC(0, 0, 0, fuzz_below(in, 64));
		break;
	default:
		request = fuzz_u32(in);
		break;
	}
	fuzz_bytes(in, buf, sizeof(buf));
	arg = pick_arg(in, buf, sizeof(buf), &ro, &writable);
	ret = do_ioctl(fd, request, arg, ro);
	FUZZ_CHECK(ret == -1, "ioctl %#lx succeeded", request);
	/* A request that is one of the seven after all was looked at by its handler. */
	if (!FUZZ_ERRNO_IN((int)request, (int)SGX_IOC_ENCLAVE_CREATE,
			   (int)SGX_IOC_ENCLAVE_ADD_PAGES, (int)SGX_IOC_ENCLAVE_INIT,
			   (int)SGX_IOC_ENCLAVE_PROVISION,
			   (int)SGX_IOC_ENCLAVE_RESTRICT_PERMISSIONS,
			   (int)SGX_IOC_ENCLAVE_MODIFY_TYPES, (int)SGX_IOC_ENCLAVE_REMOVE_PAGES))
		FUZZ_CHECK(FUZZ_ERRNO_IN(errno, EBADF, ENOTTY), "unknown ioctl %#lx: errno %s",
			   request, strerrorname_np(errno));
}

/* The mappings */

/* PROT_* from three bits of input. */
static int prot_of(unsigned int bits)
{
	return (bits & 1 ? PROT_READ : 0) | (bits & 2 ? PROT_WRITE : 0) | (bits & 4 ? PROT_EXEC : 0);
}

/* A range for mprotect/munmap/madvise: in the arena or one of the host-placed mappings. */
static void pick_range(struct fuzz_in *in, uint64_t *start, uint64_t *len, int *map)
{
	uint8_t how = fuzz_u8(in);
	uint64_t pages = ARENA_SIZE / PAGE, first;

	*map = -1;
	if (st.nr_maps && how >= 0xC0) {
		*map = fuzz_below(in, st.nr_maps);
		*start = st.maps[*map].start;
		*len = st.maps[*map].len;
		return;
	}
	first = fuzz_u16(in) % pages;
	*start = arena_la() + first * PAGE;
	*len = (1 + fuzz_u16(in) % (pages - first)) * PAGE;
	if (how < 0x10)
		*len -= fuzz_below(in, 16) + 1; /* not a whole number of pages: rounded up */
}

static void forget_map(int map)
{
	st.maps[map] = st.maps[--st.nr_maps];
}

static void op_mmap(struct fuzz_in *in)
{
	static const int types[] = { MAP_SHARED, MAP_SHARED, MAP_SHARED_VALIDATE, MAP_PRIVATE };
	struct file_slot *f;
	int fd = pick_fd(in, &f), prot = fuzz_below(in, 8), flags;
	struct encl_state *e = slot_encl(f);
	uint8_t how = fuzz_u8(in);
	uint64_t addr, len;
	off_t offset = 0;
	void *ret;

	flags = types[fuzz_below(in, 4)];
	flags |= fuzz_below(in, 4) ? MAP_FIXED : 0;
	flags |= fuzz_below(in, 4) ? 0 : MAP_POPULATE;
	if (e && e->created && e->d.base >= arena_la() &&
	    e->d.base - arena_la() < ARENA_SIZE && how < 0x80) {
		/* A part of its ELRANGE (clipped to the arena). */
		addr = e->d.base + pick_offset(in, e);
		addr &= ~(PAGE - 1);
		if (addr < arena_la() || addr >= arena_la() + ARENA_SIZE)
			addr = e->d.base;
		len = pick_length(in) & ~(PAGE - 1);
		if (!len || len > arena_la() + ARENA_SIZE - addr)
			len = arena_la() + ARENA_SIZE - addr;
	} else {
		int map;

		pick_range(in, &addr, &len, &map);
	}
	if (!(flags & MAP_FIXED) && st.nr_maps == MAX_MAPS)
		flags |= MAP_FIXED;
	if (how >= 0xF0) {
		switch (how % 4) {
		case 0:
			len = 0;
			break;
		case 1:
			len = ~0ull - fuzz_below(in, 64); /* rounds up past the end: ENOMEM */
			break;
		case 2:
			addr += 1 + fuzz_below(in, 64); /* an unaligned fixed address */
			break;
		default:
			offset = (off_t)(1 + fuzz_below(in, 2) * 4095);
			break;
		}
	}
	prot = prot_of(prot);
	interrupt_threads(); /* MAP_FIXED replaces a mapping: its TLB entries are flushed */
	ret = softsgx_mmap((flags & MAP_FIXED) ? (void *)(uintptr_t)addr : NULL, len, prot, flags,
			   fd, offset);
	if (ret == MAP_FAILED) {
		FUZZ_CHECK(FUZZ_ERRNO_IN(errno, EINVAL, EBADF, ENODEV, ENOMEM, EACCES),
			   "softsgx_mmap: errno %s", strerrorname_np(errno));
		return;
	}
	if (flags & MAP_FIXED) {
		FUZZ_CHECK((uint64_t)(uintptr_t)ret == addr, "MAP_FIXED mapped elsewhere");
	} else {
		st.maps[st.nr_maps++] = (struct host_map){ .start = (uintptr_t)ret,
							   .len = (len + PAGE - 1) & ~(PAGE - 1) };
	}
}

static void op_mprotect(struct fuzz_in *in)
{
	static const int extra[] = { 0, PROT_GROWSDOWN, PROT_GROWSUP, PROT_GROWSDOWN | PROT_GROWSUP,
				     0x100, 0x8 /* PROT_SEM */ };
	uint64_t start, len;
	int map, prot = fuzz_below(in, 8), ret;
	uint8_t how = fuzz_u8(in);

	pick_range(in, &start, &len, &map);
	prot = prot_of(prot);
	if (how >= 0xE0)
		prot |= extra[how % 6];
	if (how >= 0xF8)
		len = ~0ull - fuzz_below(in, 64); /* wraps: ENOMEM */
	else if (how >= 0xF0)
		start += 1; /* unaligned: EINVAL */
	interrupt_threads(); /* a protection change flushes the TLBs */
	ret = softsgx_mprotect((void *)(uintptr_t)start, len, prot);
	CHECK_ERRNO(ret, "softsgx_mprotect", EINVAL, ENOMEM, EACCES);
}

static void op_munmap(struct fuzz_in *in)
{
	uint64_t start, len;
	uint8_t how = fuzz_u8(in);
	int map, ret;

	pick_range(in, &start, &len, &map);
	if (how >= 0xF0) {
		/* Hostile: refused before anything is unmapped. */
		switch (how % 4) {
		case 0:
			start += 1;
			break;
		case 1:
			len = 0;
			break;
		case 2:
			start = 0xffff800000000000ull;
			break;
		default:
			len = ~0ull - fuzz_below(in, 64);
			break;
		}
		errno = 0;
		ret = softsgx_munmap((void *)(uintptr_t)start, len);
		FUZZ_CHECK(ret == -1 && errno == EINVAL,
			   "softsgx_munmap(%#llx, %#llx): %d errno %s", (unsigned long long)start,
			   (unsigned long long)len, ret, strerrorname_np(errno));
		return;
	}
	interrupt_threads();
	ret = softsgx_munmap((void *)(uintptr_t)start, len);
	FUZZ_CHECK(!ret, "softsgx_munmap of a mapped range: errno %s", strerrorname_np(errno));
	if (map >= 0)
		forget_map(map);
	else
		arena_reserve(start, start + ((len + PAGE - 1) & ~(PAGE - 1)));
}

static void op_madvise(struct fuzz_in *in)
{
	static const int advice[] = { MADV_WILLNEED, MADV_WILLNEED, MADV_NORMAL, MADV_RANDOM,
				      MADV_SEQUENTIAL, MADV_DONTNEED, 12345 };
	uint64_t start, len;
	int map, ret, adv = advice[fuzz_below(in, 7)];

	pick_range(in, &start, &len, &map);
	if (fuzz_u8(in) >= 0xF0)
		len = ~0ull - fuzz_below(in, 64);
	ret = softsgx_madvise((void *)(uintptr_t)start, len, adv);
	CHECK_ERRNO(ret, "softsgx_madvise", EINVAL, ENOMEM, EFAULT);
}

/* The default test enclave of tests/driver/dfx.h, built in one step: a quick start. */
static void op_build(struct fuzz_in *in)
{
	struct file_slot *f = free_slot();
	struct encl_state *e;
	uint64_t base;
	int i;

	if (!f)
		return;
	for (i = 0; i < MAX_ENCLS && st.encls[i].files; i++)
		;
	if (i == MAX_ENCLS)
		return;
	e = &st.encls[i];
	base = arena_la() + fuzz_below(in, ARENA_SIZE / DFX_SIZE) * DFX_SIZE;
	memset(e, 0, sizeof(*e));
	e->d.fd = softsgx_open("/dev/sgx_enclave", O_RDWR | O_CLOEXEC);
	if (e->d.fd < 0)
		return;
	e->files = 1;
	*f = (struct file_slot){ .used = true, .fd = e->d.fd, .encl = i };
	e->d.base = base;
	e->d.size = DFX_SIZE;
	if (dfx_ecreate(&e->d, 0))
		return;
	e->created = e->measure_ok = true;
	if (dfx_add_layout(&e->d))
		return;
	if (fuzz_below(in, 4) && !dfx_init(&e->d)) {
		e->initialized = true;
		/* Mapped as dfx_build() maps it: each part as its pages allow. */
		if (fuzz_below(in, 2) &&
		    (dfx_map(&e->d, 0, DFX_CODE, PROT_READ | PROT_WRITE) == MAP_FAILED ||
		     dfx_map(&e->d, DFX_CODE, PAGE, PROT_READ | PROT_EXEC) == MAP_FAILED ||
		     dfx_map(&e->d, DFX_DATA, 3 * PAGE, PROT_READ | PROT_WRITE) == MAP_FAILED ||
		     dfx_map(&e->d, DFX_RODATA, PAGE, PROT_READ) == MAP_FAILED ||
		     dfx_map(&e->d, DFX_RODATA + PAGE, DFX_SIZE - DFX_RODATA - PAGE,
			     PROT_READ | PROT_WRITE) == MAP_FAILED))
			fuzz_fail(__FILE__, __LINE__, "mapping the test enclave: %s",
				  strerrorname_np(errno));
	}
}

/* One input */

enum { OP_OPEN, OP_DUP, OP_CLOSE, OP_IOCTL, OP_IOCTL2, OP_IOCTL3, OP_MMAP, OP_MPROTECT,
       OP_MUNMAP, OP_MADVISE, OP_THREAD, OP_THREAD2, OP_BUILD, NR_OPS };

static void cleanup(void)
{
	int i;

	for (i = 0; i < NR_THREADS; i++) {
		if (thread_inside(&threads[i])) {
			threads[i].regs.rbx = FX_ENCLU_RIP + 3;
			FUZZ_CHECK(!enclu_eexit(threads[i].lp, &threads[i].regs),
				   "EEXIT at the end");
		}
		threads[i].encl = NULL;
	}
	while (st.nr_maps) {
		FUZZ_CHECK(!softsgx_munmap((void *)(uintptr_t)st.maps[0].start, st.maps[0].len),
			   "munmap at the end: %s", strerrorname_np(errno));
		forget_map(0);
	}
	FUZZ_CHECK(!softsgx_munmap(arena, ARENA_SIZE), "munmap of the arena: %s",
		   strerrorname_np(errno));
	arena_reserve(arena_la(), arena_la() + ARENA_SIZE);
	for (i = 0; i < MAX_FILES; i++)
		if (st.files[i].used)
			close_slot(&st.files[i]);
}

int LLVMFuzzerTestOneInput(const uint8_t *bytes, size_t size)
{
	struct sgx_platform *plat = sgx_platform_get();
	int fds = fuzz_count_fds(), ops;
	size_t epc = free_epc();
	struct fuzz_in in;

	fuzz_in_init(&in, bytes, size);
	memset(&st, 0, sizeof(st));
	memset(data, 0, DATA_PAGES * PAGE);
	fx_tcs_default((struct sgx_tcs *)data, DFX_SSA0);
	((struct sgx_tcs *)data)->oentry = DFX_CODE;
	for (ops = 0; ops < MAX_OPS && !fuzz_in_done(&in); ops++) {
		switch (fuzz_below(&in, NR_OPS)) {
		case OP_OPEN:
			op_open(&in);
			break;
		case OP_DUP:
			op_dup(&in);
			break;
		case OP_CLOSE:
			op_close(&in);
			break;
		case OP_IOCTL:
		case OP_IOCTL2:
		case OP_IOCTL3:
			op_ioctl(&in);
			break;
		case OP_MMAP:
			op_mmap(&in);
			break;
		case OP_MPROTECT:
			op_mprotect(&in);
			break;
		case OP_MUNMAP:
			op_munmap(&in);
			break;
		case OP_MADVISE:
			op_madvise(&in);
			break;
		case OP_THREAD:
		case OP_THREAD2:
			op_thread(&in);
			break;
		default:
			op_build(&in);
			break;
		}
		/* What the checks compare must hold still: the reclaimer thread waits. */
		sgx_ksgxd_pause(plat, true);
		check_host();
		sgx_ksgxd_pause(plat, false);
	}
	cleanup();
	sgx_ksgxd_pause(plat, true);

	FUZZ_CHECK(fuzz_count_fds() == fds, "descriptors: %d before the input, %d after", fds,
		   fuzz_count_fds());
	FUZZ_CHECK(free_epc() == epc, "free EPC pages: %zu before the input, %zu after", epc,
		   free_epc());
	FUZZ_CHECK(!plat->vmas, "an enclave mapping is left at %#llx",
		   (unsigned long long)plat->vmas->start);
	FUZZ_CHECK(!plat->files, "a device file is left");
	FUZZ_CHECK(!plat->ptes.count, "%zu page-table entries are left", (size_t)plat->ptes.count);
	sgx_ksgxd_pause(plat, false);
	return 0;
}
