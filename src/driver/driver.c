/* SPDX-License-Identifier: MIT */
/*
 * The device files (like Linux's driver.c) and the library calls that
 * mirror the system calls on them: the process's platform (processor +
 * driver), its file table, and softsgx_open/ioctl/mmap/mprotect/munmap/
 * madvise/close with Linux's errno values.
 */
#include <dirent.h>
#include <stdarg.h>
#include <errno.h>
#include <stdio.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "driver/driver.h"
#include "driver/settings.h"
#include "driver/uaccess.h"
#include "tidlocal.h"
#include "trace/trace.h"
#include "sys.h"

#ifndef MFD_EXEC
#define MFD_EXEC 0x0010U
#endif
#ifndef PROT_SEM
#define PROT_SEM 0x8 /* asm-generic/mman-common.h; glibc does not define it */
#endif

static struct softsgx_config pending_config;
static uint8_t pending_seed[32];
static bool have_seed;
/* softsgx_configure()'s copy of config->inject */
#define INJECT_SPEC_MAX 4096
static char pending_inject[INJECT_SPEC_MAX];
static struct sgx_platform *platform;
static pthread_mutex_t platform_lock = PTHREAD_MUTEX_INITIALIZER;

const struct sgx_host_ops *sgx_host_default_ops(void);

/* A thread's logical processor, and the thread it is for. */
struct lp_slot {
	struct sgx_lp *lp;
	int tid;
	struct lp_slot *next; /* plat->foreign_lps */
};

static void lp_destructor(void *arg)
{
	struct lp_slot *s = arg;

	sgx_lp_destroy(s->lp);
	free(s);
}

/* The processor's questions to the platform (cpu.h) are injection points of the same names. */
_Static_assert((int)SGX_EVENT_EWB_NOT_TRACKED == (int)SGX_INJ_EWB_NOT_TRACKED &&
		       (int)SGX_NR_CPU_EVENTS == (int)SGX_INJ_IOCTL_EBUSY,
	       "the processor's events lead the injection points");

static bool cpu_event(void *ctx, enum sgx_cpu_event event, uint64_t eid, uint64_t linaddr)
{
	struct sgx_platform *plat = ctx;

	/*
	 * Where the hardware cannot give the result, neither does the
	 * platform: REMOVE_PAGES's EMODPR probe (see inject.h) and the EWB
	 * after the interrupt round that completes its tracking.
	 */
	if (sgx_thread_local()->inject_spared & (1u << event))
		return false;
	return sgx_inject_hit(plat, (enum sgx_inject_point)event, eid, linaddr);
}

void sgx_inject_spare(struct sgx_platform *plat, enum sgx_cpu_event event, bool spare)
{
	struct sgx_thread_local *tl;

	if (!plat->inject)
		return;
	tl = sgx_thread_local();
	if (spare)
		tl->inject_spared |= 1u << event;
	else
		tl->inject_spared &= ~(1u << event);
}

/*
 * The hostile platform of @spec (or of SOFTSGX_INJECT without one), if any;
 * a bad SOFTSGX_INJECT is named on stderr and ignored.
 */
static void inject_create(struct sgx_platform *plat, struct sgx_cpu_config *cfg, const char *spec)
{
	const char *why;
	char msg[256];
	int err;

	if (!spec) {
		spec = getenv("SOFTSGX_INJECT");
		if (!spec || !*spec)
			return;
	}
	why = sgx_inject_parse(spec, &plat->inject, msg, sizeof(msg));
	if (why) {
		fprintf(stderr, "softsgx: SOFTSGX_INJECT='%s' ignored: %s\n", spec, why);
		return;
	}
	if (plat->inject && (err = sgx_inject_open_log(plat->inject)))
		fprintf(stderr, "softsgx: SOFTSGX_INJECT_LOG: %s; injections are not logged\n",
			strerror(-err));
	if (plat->inject) {
		cfg->event_hook = cpu_event;
		cfg->event_ctx = plat;
	}
}

static struct sgx_platform *platform_create(void)
{
	struct sgx_platform *plat = calloc(1, sizeof(*plat));
	struct sgx_cpu_config cfg;

	if (!plat)
		return NULL;
	plat->cfg = pending_config;
	if (!plat->cfg.epc_size)
		plat->cfg.epc_size = 64ull << 20;
	plat->host = *sgx_host_default_ops();
	if (plat->host.start)
		plat->host.start(); /* without its traps, enclaves fail where they run, not here */
	sgx_cpu_config_default(&cfg);
	cfg.epc_pages = plat->cfg.epc_size / 4096;
	cfg.sgx2 = !plat->cfg.sgx1;
	cfg.aexnotify = sgx_settings_aex_notify(&plat->cfg);
	/* The enclaves may use every XSAVE component the host enables that the processor models. */
	if (plat->host.xfeatures)
		cfg.xfrm = (plat->host.xfeatures() & SGX_XFRM_MODELED) | 0x3;
	cfg.check_invariants = false; /* O(EPC) per leaf: for the processor's own tests */
	if (have_seed)
		memcpy(cfg.seed, pending_seed, sizeof(cfg.seed));
	inject_create(plat, &cfg, plat->cfg.inject);
	if (sgx_cpu_create(&cfg, &plat->cpu) || sgx_epc_init(plat)) {
		sgx_cpu_destroy(plat->cpu);
		sgx_inject_free(plat->inject);
		free(plat);
		return NULL;
	}
	pthread_rwlock_init(&plat->mmap_lock, NULL);
	pthread_mutex_init(&plat->pt_lock, NULL);
	pthread_mutex_init(&plat->files_lock, NULL);
	pthread_mutex_init(&plat->einit_lock, NULL);
	pthread_mutex_init(&plat->host_lock, NULL);
	pagemap_init(&plat->ptes);
	pthread_key_create(&plat->lp_key, lp_destructor);
	pthread_mutex_init(&plat->lp_lock, NULL);
	sgx_fork_init(plat);
	trace_open_env();
	return plat;
}

struct sgx_platform *sgx_platform_get(void)
{
	struct sgx_platform *plat = __atomic_load_n(&platform, __ATOMIC_ACQUIRE);

	if (plat)
		return plat;
	pthread_mutex_lock(&platform_lock);
	if (!platform)
		__atomic_store_n(&platform, platform_create(), __ATOMIC_RELEASE);
	plat = platform;
	pthread_mutex_unlock(&platform_lock);
	return plat;
}

void sgx_platform_set_ipi(struct sgx_platform *plat, const struct sgx_ipi_ops *ops)
{
	pthread_rwlock_wrlock(&plat->mmap_lock);
	plat->ipi = *ops;
	atomic_store(&plat->own_signals, ops->own_signals);
	pthread_rwlock_unlock(&plat->mmap_lock);
	sgx_inject_start_aex(plat);
}

int softsgx_configure(const struct softsgx_config *config)
{
	struct softsgx_config cfg;
	uint8_t seed[sizeof(pending_seed)];
	char inject[sizeof(pending_inject)], why[256];
	long len = 0;
	int ret = 0;

	/* The program's memory is read as a system call reads it: EFAULT, not a crash. */
	if (copy_from_user(&cfg, config, sizeof(cfg)) ||
	    (cfg.seed && copy_from_user(seed, cfg.seed, sizeof(seed))) ||
	    (cfg.inject && (len = strncpy_from_user(inject, cfg.inject, sizeof(inject))) < 0)) {
		errno = EFAULT;
		return -1;
	}
	/* A specification that does not fit, or does not parse, is not one. */
	if (cfg.inject && ((size_t)len == sizeof(inject) ||
			   sgx_inject_parse(inject, NULL, why, sizeof(why)))) {
		errno = EINVAL;
		return -1;
	}
	pthread_mutex_lock(&platform_lock);
	if (platform) {
		ret = EBUSY;
	} else if ((cfg.epc_size & 4095) ||
		   (cfg.tracking != SOFTSGX_TRACK_PER_PAGE && cfg.tracking != SOFTSGX_TRACK_BATCHED) ||
		   (unsigned int)cfg.aex_notify > SOFTSGX_AEX_NOTIFY_NO || sgx_settings_conflict(&cfg)) {
		ret = EINVAL;
	} else {
		pending_config = cfg;
		have_seed = cfg.seed != NULL;
		if (have_seed)
			memcpy(pending_seed, seed, sizeof(pending_seed));
		pending_config.seed = NULL;
		if (cfg.inject) {
			memcpy(pending_inject, inject, (size_t)len + 1);
			pending_config.inject = pending_inject;
		}
	}
	pthread_mutex_unlock(&platform_lock);
	if (ret) {
		errno = ret;
		return -1;
	}
	return 0;
}

/*
 * The calling thread's logical processor: kept in its thread data, or,
 * for a thread that shares another's (a raw clone() without CLONE_SETTLS),
 * in a list by thread ID, which a later thread of the same ID inherits.
 */
struct sgx_lp *sgx_current_lp(struct sgx_platform *plat)
{
	int tid = (int)softsgx_raw_syscall(SYS_gettid, 0, 0, 0, 0, 0, 0);
	struct lp_slot *mine = pthread_getspecific(plat->lp_key), *s, **pp;

	if (mine && mine->tid == tid)
		return mine->lp;
	pthread_mutex_lock(&plat->lp_lock);
	for (pp = &plat->foreign_lps; *pp && (*pp)->tid != tid; pp = &(*pp)->next)
		;
	s = *pp;
	/* A thread with thread data of its own takes the slot off the list: freed with it. */
	if (s && !mine)
		*pp = s->next;
	if (!s) {
		s = calloc(1, sizeof(*s));
		if (s)
			s->lp = sgx_lp_create(plat->cpu, &sgx_process_mmu, plat);
		if (!s || !s->lp)
			abort(); /* a thread without a logical processor cannot run leaves */
		s->tid = tid;
		if (mine) {
			s->next = plat->foreign_lps;
			plat->foreign_lps = s;
		}
	}
	pthread_mutex_unlock(&plat->lp_lock);
	if (!mine)
		pthread_setspecific(plat->lp_key, s);
	return s->lp;
}

/* The file table */

/*
 * The file behind @fd: the one whose memfd it is (a dup() finds the same).
 * An enclave's own descriptor of its memfd is softsgx's, not the
 * program's: it names no device file. Under files_lock.
 */
static struct sgx_file *file_lookup(struct sgx_platform *plat, int fd)
{
	struct sgx_file *f, *found = NULL;
	struct stat st;

	if (fd < 0 || sys_fstat(fd, &st))
		return NULL;
	for (f = plat->files; f; f = f->next) {
		if (f->encl && f->encl->memfd == fd)
			return NULL;
		if (f->dev == st.st_dev && f->ino == st.st_ino)
			found = f;
	}
	return found;
}

struct sgx_encl *sgx_encl_from_fd(struct sgx_platform *plat, int fd)
{
	struct sgx_encl *encl = NULL;
	struct sgx_file *f;

	pthread_mutex_lock(&plat->files_lock);
	f = file_lookup(plat, fd);
	if (f && f->encl) {
		encl = f->encl;
		sgx_encl_get(encl);
	}
	pthread_mutex_unlock(&plat->files_lock);
	if (!encl)
		errno = (f || sys_fcntl(fd, F_GETFD, 0) != -1) ? ENOTTY : EBADF;
	return encl;
}

/* The mode @fd's file was opened with (SGX_FMODE_*); 0 if it is none of softsgx's. */
static unsigned int sgx_fd_fmode(struct sgx_platform *plat, int fd)
{
	struct sgx_file *f;
	unsigned int fmode;

	pthread_mutex_lock(&plat->files_lock);
	f = file_lookup(plat, fd);
	fmode = f ? f->fmode : 0;
	pthread_mutex_unlock(&plat->files_lock);
	return fmode;
}

bool sgx_fd_is_provision(struct sgx_platform *plat, int fd)
{
	struct sgx_file *f;
	bool ret;

	/* Like fget(): the open file decides, not the number. */
	pthread_mutex_lock(&plat->files_lock);
	f = file_lookup(plat, fd);
	ret = f && f->provision;
	pthread_mutex_unlock(&plat->files_lock);
	return ret;
}

bool softsgx_is_device_fd(int fd)
{
	struct sgx_platform *plat = __atomic_load_n(&platform, __ATOMIC_ACQUIRE);
	bool ret;

	if (!plat)
		return false;
	pthread_mutex_lock(&plat->files_lock);
	ret = file_lookup(plat, fd) != NULL;
	pthread_mutex_unlock(&plat->files_lock);
	return ret;
}

struct sgx_platform *sgx_platform_peek(void)
{
	return __atomic_load_n(&platform, __ATOMIC_ACQUIRE);
}

int softsgx_open(const char *path, int flags)
{
	struct sgx_platform *plat;
	struct sgx_file *f;
	struct stat st;
	char name[32];
	bool provision;
	int fd, memfd = -1;
	long len = strncpy_from_user(name, path, sizeof(name));

	if (len < 0) {
		errno = EFAULT;
		return -1;
	}
	if ((size_t)len == sizeof(name))
		name[0] = '\0'; /* longer than any device path: none of them */
	path = name;
	if (!strcmp(path, "/dev/sgx_enclave"))
		provision = false;
	else if (!strcmp(path, "/dev/sgx_provision"))
		provision = true;
	else {
		errno = ENOENT;
		return -1;
	}
	plat = sgx_platform_get();
	f = calloc(1, sizeof(*f));
	if (!plat || !f) {
		free(f);
		errno = ENOMEM;
		return -1;
	}
	/*
	 * A real descriptor of this process: the enclave's memory file. Enclave
	 * code runs from it, so it must be executable even where vm.memfd_noexec
	 * makes memfds NOEXEC by default; kernels before 6.3 know no MFD_EXEC.
	 */
	fd = memfd_create(provision ? "sgx_provision" : "sgx_enclave",
			  ((flags & O_CLOEXEC) ? MFD_CLOEXEC : 0) | MFD_EXEC);
	if (fd < 0 && errno == EINVAL)
		fd = memfd_create(provision ? "sgx_provision" : "sgx_enclave",
				  (flags & O_CLOEXEC) ? MFD_CLOEXEC : 0);
	if (fd < 0)
		goto err;
	if (sys_fstat(fd, &st))
		goto err;
	f->dev = st.st_dev;
	f->ino = st.st_ino;
	f->provision = provision;
	/* O_RDONLY, O_WRONLY, O_RDWR: FMODE_READ, FMODE_WRITE, both; 3 (ioctl only): neither. */
	f->fmode = (unsigned int)((flags + 1) & O_ACCMODE);
	if (!provision) {
		/* The enclave keeps its own descriptor: mappings outlive close(fd). */
		memfd = sys_fcntl(fd, F_DUPFD_CLOEXEC, 0);
		f->encl = memfd < 0 ? NULL : sgx_encl_alloc(plat, memfd);
		if (!f->encl)
			goto err;
	}
	pthread_mutex_lock(&plat->files_lock);
	f->next = plat->files;
	plat->files = f;
	pthread_mutex_unlock(&plat->files_lock);
	return fd;
err:
	if (memfd >= 0)
		sys_close(memfd);
	if (fd >= 0)
		sys_close(fd);
	free(f);
	if (errno != EMFILE && errno != ENFILE)
		errno = ENOMEM;
	return -1;
}

/* Does a descriptor of this process other than @except refer to the file (@dev, @ino)? */
static bool file_still_open(dev_t dev, ino_t ino, int except)
{
	DIR *dir = opendir("/proc/self/fd");
	struct dirent *d;
	struct stat st;
	bool found = false;
	int fd;

	if (!dir)
		return false;
	while (!found && (d = readdir(dir))) {
		fd = atoi(d->d_name);
		if (d->d_name[0] == '.' || fd == dirfd(dir) || fd == except)
			continue;
		found = !sys_fstat(fd, &st) && st.st_dev == dev && st.st_ino == ino;
	}
	closedir(dir);
	return found;
}

int softsgx_close(int fd)
{
	struct sgx_platform *plat = __atomic_load_n(&platform, __ATOMIC_ACQUIRE);
	struct sgx_file **pp, *f = NULL;
	int internal;

	if (!plat) {
		errno = EBADF;
		return -1;
	}
	/*
	 * Lookup, close() and the check for other descriptors in one critical
	 * section: two threads closing dup()s of one file cannot both see the
	 * other's descriptor gone, and only the one that unlinks the file puts
	 * and frees it (Linux's last fput()).
	 */
	pthread_mutex_lock(&plat->files_lock);
	f = file_lookup(plat, fd);
	if (!f) {
		pthread_mutex_unlock(&plat->files_lock);
		errno = EBADF;
		return -1;
	}
	sys_close(fd);
	/* The file lives on while a dup() of the descriptor is open. */
	internal = f->encl ? f->encl->memfd : -1;
	if (file_still_open(f->dev, f->ino, internal)) {
		f = NULL;
	} else {
		for (pp = &plat->files; *pp != f; pp = &(*pp)->next)
			;
		*pp = f->next;
	}
	pthread_mutex_unlock(&plat->files_lock);
	if (f) {
		if (f->encl)
			sgx_encl_put(f->encl);
		free(f);
	}
	return 0;
}

/* Restarts of one call after signals (SA_RESTART); Linux has no bound, a program's timer could. */
#define MAX_RESTARTS 1000

/* The enclave behind @fd, with a reference, on the process's platform; NULL with errno if none. */
static struct sgx_encl *encl_by_fd(int fd)
{
	struct sgx_platform *plat = sgx_platform_get();

	if (!plat) {
		errno = ENOMEM;
		return NULL;
	}
	return sgx_encl_from_fd(plat, fd);
}

int softsgx_ioctl(int fd, unsigned long request, void *arg)
{
	struct sgx_encl *encl = encl_by_fd(fd);
	unsigned int restarts;
	long ret;

	if (!encl)
		return -1;
	if (sgx_encl_detached(encl)) {
		sgx_encl_put(encl);
		errno = EIO; /* the enclave is the parent's (fork.c) */
		return -1;
	}
	/* Signals interrupt and restart the call as they would the system call. */
	for (restarts = 0;; restarts++) {
		sgx_syscall_enter();
		ret = sgx_syscall_exit(sgx_ioctl(encl, (unsigned int)request, arg));
		if (ret != -ERESTARTSYS)
			break;
		if (restarts == MAX_RESTARTS) {
			ret = -EINTR;
			break;
		}
	}
	sgx_encl_put(encl);
	if (ret < 0) {
		errno = (int)-ret;
		return -1;
	}
	return 0;
}

/* Mappings */

static unsigned int prot_bits(int prot)
{
	return ((prot & PROT_READ) ? SGX_PROT_R : 0) | ((prot & PROT_WRITE) ? SGX_PROT_W : 0) |
	       ((prot & PROT_EXEC) ? SGX_PROT_X : 0);
}

void *softsgx_mmap(void *addr, size_t len, int prot, int flags, int fd, off_t offset)
{
	struct sgx_platform *plat = sgx_platform_get();
	struct sgx_encl *encl;
	uint64_t start = (uintptr_t)addr;
	int ret;

	/* sys_mmap(): the offset must be page-aligned; then the address alone selects the page. */
	if (offset & 4095) {
		errno = EINVAL;
		return MAP_FAILED;
	}
	if (!plat) {
		errno = ENOMEM;
		return MAP_FAILED;
	}
	encl = sgx_encl_from_fd(plat, fd);
	if (!encl) {
		errno = sgx_fd_is_provision(plat, fd) ? ENODEV : errno == ENOTTY ? ENODEV : EBADF;
		return MAP_FAILED;
	}
	if (sgx_encl_detached(encl)) {
		sgx_encl_put(encl);
		errno = EIO; /* the enclave is the parent's (fork.c) */
		return MAP_FAILED;
	}
	pthread_rwlock_wrlock(&plat->mmap_lock);
	ret = sgx_mmap(plat, encl, &start, len, prot_bits(prot), flags, sgx_fd_fmode(plat, fd));
	pthread_rwlock_unlock(&plat->mmap_lock);
	if (!ret && (flags & MAP_POPULATE)) {
		/* Beyond upstream: EAUG the whole mapping now (errors left to the faults). */
		pthread_rwlock_rdlock(&plat->mmap_lock);
		sgx_populate(plat, start, start + len);
		pthread_rwlock_unlock(&plat->mmap_lock);
	}
	sgx_encl_put(encl);
	if (ret) {
		errno = -ret;
		return MAP_FAILED;
	}
	return (void *)(uintptr_t)start;
}

/*
 * Apply @fn to the enclave parts of [start, end) and @host_fn to the rest,
 * in address order, stopping at the first error (Linux walks VMAs so).
 */
static int for_each_part(struct sgx_platform *plat, uint64_t start, uint64_t end,
			 int (*fn)(struct sgx_platform *, uint64_t, uint64_t, int),
			 int (*host_fn)(void *, size_t, int), int arg)
{
	struct sgx_vma *vma;
	uint64_t addr = start, next;
	int ret = 0;

	while (addr < end && !ret) {
		vma = sgx_find_vma(plat, addr);
		if (vma) {
			next = vma->end < end ? vma->end : end;
			ret = fn(plat, addr, next - addr, arg);
		} else {
			/* Up to the next enclave mapping. */
			for (vma = plat->vmas, next = end; vma; vma = vma->next)
				if (vma->start > addr && vma->start < next)
					next = vma->start;
			ret = host_fn((void *)(uintptr_t)addr, next - addr, arg) ? -errno : 0;
		}
		addr = next;
	}
	return ret;
}

/* Whether any enclave mapping meets [start, end). Under mmap_lock. */
static bool meets_enclave(struct sgx_platform *plat, uint64_t start, uint64_t end)
{
	struct sgx_vma *vma;

	for (vma = plat->vmas; vma && vma->start < end; vma = vma->next)
		if (vma->end > start)
			return true;
	return false;
}

/*
 * mm/mremap.c for a range that starts in an enclave mapping (VM_PFNMAP |
 * VM_DONTEXPAND): shrinking unmaps the tail, growing is EFAULT, a move
 * (MREMAP_FIXED) takes the mapping and its page-table entries along.
 * Under mmap_lock held for writing. Return: the address or -errno.
 */
static long enclave_mremap(struct sgx_platform *plat, uint64_t old, uint64_t old_len,
			   uint64_t new_len, int flags, uint64_t new_addr)
{
	struct sgx_vma *vma;
	int ret;

	if (flags & (MREMAP_FIXED | MREMAP_DONTUNMAP)) {
		/* mremap_to(): the destination, then what does not fit, goes first. */
		if ((flags & MREMAP_FIXED) &&
		    ((new_addr & 4095) || new_addr + new_len < new_addr ||
		     (new_addr < old + old_len && old < new_addr + new_len)))
			return -EINVAL;
		if (flags & MREMAP_FIXED)
			ret = sgx_munmap(plat, new_addr, new_len); /* enclave and host mappings there */
		else
			ret = 0;
		if (ret)
			return ret;
		if (old_len > new_len) {
			ret = sgx_munmap(plat, old + new_len, old_len - new_len);
			if (ret)
				return ret;
			old_len = new_len;
		}
	} else if (old_len >= new_len) {
		if (old_len > new_len && (ret = sgx_munmap(plat, old + new_len, old_len - new_len)))
			return ret;
		return (long)old;
	}
	/* vma_to_resize() */
	vma = sgx_find_vma(plat, old);
	if (!vma || old_len > vma->end - old)
		return -EFAULT;
	if (flags & MREMAP_DONTUNMAP)
		return -EINVAL; /* not for VM_DONTEXPAND | VM_PFNMAP */
	if (new_len > old_len)
		return -EFAULT; /* VM_DONTEXPAND */
	ret = sgx_mremap_move(plat, old, old_len, new_addr);
	return ret ? ret : (long)new_addr;
}

void *softsgx_mremap(void *old_address, size_t old_size, size_t new_size, int flags, ...)
{
	struct sgx_platform *plat = __atomic_load_n(&platform, __ATOMIC_ACQUIRE);
	uint64_t old = (uintptr_t)old_address, old_len, new_len, new_addr = 0;
	void *host;
	va_list ap;
	long ret;

	if (flags & MREMAP_FIXED) {
		va_start(ap, flags);
		new_addr = (uintptr_t)va_arg(ap, void *);
		va_end(ap);
	}
	if (!plat)
		return sys_mremap(old_address, old_size, new_size, flags, (void *)(uintptr_t)new_addr);
	/* The syscall's own checks, in its order. */
	old_len = (old_size + 4095) & ~4095ull;
	new_len = (new_size + 4095) & ~4095ull;
	if ((flags & ~(MREMAP_FIXED | MREMAP_MAYMOVE | MREMAP_DONTUNMAP)) ||
	    ((flags & MREMAP_FIXED) && !(flags & MREMAP_MAYMOVE)) ||
	    ((flags & MREMAP_DONTUNMAP) && (!(flags & MREMAP_MAYMOVE) || old_len != new_len)) ||
	    (old & 4095) || !new_len || old_len < old_size || new_len < new_size) {
		errno = EINVAL;
		return MAP_FAILED;
	}
	pthread_rwlock_wrlock(&plat->mmap_lock);
	if (sgx_find_vma(plat, old)) {
		ret = enclave_mremap(plat, old, old_len, new_len, flags, new_addr);
	} else {
		/* Host memory; a destination over enclave mappings loses them first. */
		if ((flags & MREMAP_FIXED) && !(new_addr & 4095) &&
		    meets_enclave(plat, new_addr, new_addr + new_len))
			sgx_munmap(plat, new_addr, new_len);
		host = sys_mremap(old_address, old_size, new_size, flags, (void *)(uintptr_t)new_addr);
		ret = host == MAP_FAILED ? -errno : (long)(uintptr_t)host;
	}
	pthread_rwlock_unlock(&plat->mmap_lock);
	if (ret < 0 && ret > -4096) {
		errno = (int)-ret;
		return MAP_FAILED;
	}
	return (void *)(uintptr_t)ret;
}

static int enclave_mprotect(struct sgx_platform *plat, uint64_t start, uint64_t len, int prot)
{
	/* PROT_GROWSDOWN/UP need a VM_GROWS* mapping, which an enclave's never is. */
	if (prot & (PROT_GROWSDOWN | PROT_GROWSUP))
		return -EINVAL;
	return sgx_mprotect(plat, start, len, prot_bits(prot));
}

int softsgx_mprotect(void *addr, size_t len, int prot)
{
	struct sgx_platform *plat = sgx_platform_get();
	uint64_t start = (uintptr_t)addr, end = start + ((len + 4095) & ~4095ull);
	int ret;

	if (!plat || (start & 4095) || !len)
		return sys_mprotect(addr, len, prot);
	/* do_mprotect_pkey(), in its order: both GROWS bits, a wrapping length, unknown bits. */
	if ((prot & (PROT_GROWSDOWN | PROT_GROWSUP)) == (PROT_GROWSDOWN | PROT_GROWSUP)) {
		errno = EINVAL;
		return -1;
	}
	if (end <= start) {
		errno = ENOMEM;
		return -1;
	}
	if (prot & ~(PROT_READ | PROT_WRITE | PROT_EXEC | PROT_SEM | PROT_GROWSDOWN | PROT_GROWSUP)) {
		errno = EINVAL;
		return -1;
	}
	pthread_rwlock_wrlock(&plat->mmap_lock);
	ret = for_each_part(plat, start, end, enclave_mprotect, sys_mprotect, prot);
	pthread_rwlock_unlock(&plat->mmap_lock);
	if (ret) {
		errno = -ret;
		return -1;
	}
	return 0;
}

int softsgx_munmap(void *addr, size_t len)
{
	struct sgx_platform *plat = __atomic_load_n(&platform, __ATOMIC_ACQUIRE);
	int ret;

	if (!plat)
		return sys_munmap(addr, len);
	pthread_rwlock_wrlock(&plat->mmap_lock);
	ret = sgx_munmap(plat, (uintptr_t)addr, len);
	pthread_rwlock_unlock(&plat->mmap_lock);
	if (ret) {
		errno = -ret;
		return -1;
	}
	return 0;
}

#ifndef MADV_COLLAPSE
#define MADV_COLLAPSE 25
#endif

/*
 * mm/madvise.c on the enclave's VM_IO | VM_PFNMAP | VM_DONTEXPAND mapping.
 * MADV_WILLNEED EAUGs the range (beyond upstream, where it does nothing).
 */
static int enclave_madvise(struct sgx_platform *plat, uint64_t start, uint64_t len, int advice)
{
	struct sgx_vma *vma;

	switch (advice) {
	case MADV_WILLNEED:
		return sgx_populate(plat, start, start + len);
	case MADV_NORMAL:
	case MADV_RANDOM:
	case MADV_SEQUENTIAL:
	case MADV_DONTFORK:
	case MADV_KEEPONFORK:
	case MADV_DONTDUMP:
	case MADV_MERGEABLE:   /* KSM leaves VM_PFNMAP mappings alone */
	case MADV_UNMERGEABLE:
	case MADV_HUGEPAGE:
	case MADV_NOHUGEPAGE:
		return 0; /* VMA flags only */
	case MADV_REMOVE:
		/* madvise_remove(): a shared writable mapping, then fallocate() of a char device. */
		vma = sgx_find_vma(plat, start);
		return vma && vma->maywrite ? -ENODEV : -EACCES;
	default:
		/*
		 * DONTNEED, DONTNEED_LOCKED, FREE, COLD, PAGEOUT, POPULATE_READ/WRITE
		 * (no such pages to drop, age or fault in), DOFORK (VM_IO), DODUMP
		 * (VM_SPECIAL), WIPEONFORK (a file mapping), COLLAPSE, and the rest.
		 */
		return -EINVAL;
	}
}

int softsgx_madvise(void *addr, size_t len, int advice)
{
	struct sgx_platform *plat = __atomic_load_n(&platform, __ATOMIC_ACQUIRE);
	uint64_t start = (uintptr_t)addr, end = start + ((len + 4095) & ~4095ull);
	int ret;

	if (!plat || (start & 4095) || !len)
		return sys_madvise(addr, len, advice);
	/* do_madvise(): a length that rounds up to 0 or wraps is -EINVAL. */
	if (end <= start) {
		errno = EINVAL;
		return -1;
	}
	pthread_rwlock_rdlock(&plat->mmap_lock);
	ret = for_each_part(plat, start, end, enclave_madvise, sys_madvise, advice);
	pthread_rwlock_unlock(&plat->mmap_lock);
	if (ret) {
		errno = -ret;
		return -1;
	}
	return 0;
}

/* Counters */

static const char *const counter_names[SOFTSGX_NR_COUNTERS] = {
	[SOFTSGX_CNT_IOCTL_CREATE] = "ioctl CREATE",
	[SOFTSGX_CNT_IOCTL_ADD_PAGES] = "ioctl ADD_PAGES",
	[SOFTSGX_CNT_IOCTL_INIT] = "ioctl INIT",
	[SOFTSGX_CNT_IOCTL_PROVISION] = "ioctl PROVISION",
	[SOFTSGX_CNT_IOCTL_RESTRICT_PERMISSIONS] = "ioctl RESTRICT_PERMISSIONS",
	[SOFTSGX_CNT_IOCTL_MODIFY_TYPES] = "ioctl MODIFY_TYPES",
	[SOFTSGX_CNT_IOCTL_REMOVE_PAGES] = "ioctl REMOVE_PAGES",
	[SOFTSGX_CNT_ETRACK] = "ETRACK by the driver",
	[SOFTSGX_CNT_IPI_ROUNDS] = "interrupt rounds",
	[SOFTSGX_CNT_IPI_THREADS] = "threads interrupted",
	[SOFTSGX_CNT_FAULT_EAUG] = "faults: EAUG",
	[SOFTSGX_CNT_FAULT_MAP] = "faults: page mapped",
	[SOFTSGX_CNT_FAULT_VMA] = "faults: refused by the mapping",
	[SOFTSGX_CNT_FAULT_EPCM] = "faults: refused by the EPCM",
	[SOFTSGX_CNT_FAULT_SIGBUS] = "faults: SIGBUS",
	[SOFTSGX_CNT_BATCH_EAUG] = "pages EAUGed in batches",
	[SOFTSGX_CNT_EPC_EVICTED] = "paging: pages evicted (EWB)",
	[SOFTSGX_CNT_EPC_RELOADED] = "paging: pages reloaded (ELDU)",
	[SOFTSGX_CNT_EPC_RELOAD_FAILED] = "paging: reloads refused",
	[SOFTSGX_CNT_RECLAIM_BATCHES] = "paging: reclaimer passes",
	[SOFTSGX_CNT_PAGING_ETRACK] = "paging: ETRACKs",
	[SOFTSGX_CNT_PAGING_IPI] = "paging: interrupt rounds",
	[SOFTSGX_CNT_AEX_ARMED] = "AEX-Notify: AEXs of an armed frame",
	[SOFTSGX_CNT_ERESUME_NOTIFY] = "AEX-Notify: notifying ERESUMEs",
	[SOFTSGX_CNT_INJECT_EMODPR_CONFLICT] = "injected: emodpr.conflict",
	[SOFTSGX_CNT_INJECT_EMODT_CONFLICT] = "injected: emodt.conflict",
	[SOFTSGX_CNT_INJECT_EACCEPT_NOT_TRACKED] = "injected: eaccept.not_tracked",
	[SOFTSGX_CNT_INJECT_EINIT_UNMASKED_EVENT] = "injected: einit.unmasked_event",
	[SOFTSGX_CNT_INJECT_EWB_NOT_TRACKED] = "injected: ewb.not_tracked",
	[SOFTSGX_CNT_INJECT_IOCTL_EBUSY] = "injected: ioctl.ebusy",
	[SOFTSGX_CNT_INJECT_ADD_SIGNAL] = "injected: add.signal",
	[SOFTSGX_CNT_INJECT_RESTRICT_EAGAIN] = "injected: restrict.eagain",
	[SOFTSGX_CNT_INJECT_MODIFY_EAGAIN] = "injected: modify.eagain",
	[SOFTSGX_CNT_INJECT_REMOVE_EAGAIN] = "injected: remove.eagain",
	[SOFTSGX_CNT_INJECT_REMOVE_EBUSY] = "injected: remove.ebusy",
	[SOFTSGX_CNT_INJECT_ALLOC_ENOMEM] = "injected: alloc.enomem",
	[SOFTSGX_CNT_INJECT_ALLOC_EBUSY] = "injected: alloc.ebusy",
	[SOFTSGX_CNT_INJECT_FAULT_SIGBUS] = "injected: fault.sigbus",
	[SOFTSGX_CNT_INJECT_FAULT_RETRY] = "injected: fault.retry",
	[SOFTSGX_CNT_INJECT_EVICT] = "injected: evict",
	[SOFTSGX_CNT_INJECT_AEX] = "injected: aex.rate",
	[SOFTSGX_CNT_INJECT_ETRACK_IRQ] = "injected: etrack.irq",
};
_Static_assert(SOFTSGX_CNT_INJECT_ETRACK_IRQ - SOFTSGX_CNT_INJECT_EMODPR_CONFLICT ==
		       SGX_INJ_ETRACK_IRQ,
	       "one counter per injection point, in their order");

uint64_t softsgx_counter(enum softsgx_counter counter)
{
	struct sgx_platform *plat = __atomic_load_n(&platform, __ATOMIC_ACQUIRE);

	if (!plat || (unsigned int)counter >= SOFTSGX_NR_COUNTERS)
		return 0;
	/* The processor counts what only it sees. */
	if (counter == SOFTSGX_CNT_AEX_ARMED)
		return sgx_cpu_stat_count(plat->cpu, SGX_CPU_STAT_AEX_ARMED);
	if (counter == SOFTSGX_CNT_ERESUME_NOTIFY)
		return sgx_cpu_stat_count(plat->cpu, SGX_CPU_STAT_ERESUME_NOTIFY);
	return atomic_load(&plat->counters[counter]);
}

const char *softsgx_counter_name(enum softsgx_counter counter)
{
	return (unsigned int)counter < SOFTSGX_NR_COUNTERS ? counter_names[counter] : "?";
}

int softsgx_enclave_pages(int fd, uint64_t *resident, uint64_t *swapped)
{
	struct sgx_encl *encl = encl_by_fd(fd);
	uint64_t n[2];

	if (!encl)
		return -1;
	pthread_mutex_lock(&encl->lock);
	n[0] = encl->secs_child_cnt;
	n[1] = encl->nr_swapped;
	pthread_mutex_unlock(&encl->lock);
	sgx_encl_put(encl);
	if ((resident && copy_to_user(resident, &n[0], sizeof(n[0]))) ||
	    (swapped && copy_to_user(swapped, &n[1], sizeof(n[1])))) {
		errno = EFAULT;
		return -1;
	}
	return 0;
}

uint64_t softsgx_leaf_count(unsigned int leaf_id)
{
	struct sgx_platform *plat = __atomic_load_n(&platform, __ATOMIC_ACQUIRE);

	return plat ? sgx_cpu_leaf_count(plat->cpu, leaf_id) : 0;
}
