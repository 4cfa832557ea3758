// SPDX-License-Identifier: GPL-2.0
/*
 * Every dma-buf mapping must be VM_PFNMAP with special ptes, so that no GUP
 * path can take struct page references to exporter memory.
 *
 * An exporter moves and frees the memory behind a dma-buf and zaps the CPU
 * mappings when it does.  A page reference taken through such a mapping
 * (O_DIRECT, vmsplice(), io_uring fixed buffers, process_vm_readv/writev(),
 * pin_user_pages(), ...) outlives the zap, and the I/O behind it lands in
 * memory the exporter has reused.  So every GUP entry point must fail on a
 * dma-buf mapping, promptly and without touching the buffer, while the CPU
 * keeps full access through the mapping.
 *
 * The matrix: one FIXTURE_VARIANT per kind of buffer (exporter, and the way
 * it is mapped), one TEST_F per case, so that every result line names both:
 * dmabuf_mmap.<source>.<case>.  A source the kernel does not have is a SKIP
 * that says what is missing.  The expected results are those of a kernel
 * with the series applied.  The unpatched 6.1 base maps CMA heap, udmabuf
 * and vb2 (vivid) buffers with ordinary ptes: there the VM_PFNMAP, GUP,
 * madvise and mremap-grow cases fail for those sources, which is the point.
 * A long-term pin of CMA heap pages never returns on the base, so every GUP
 * attempt runs in a child that is killed after ATTEMPT_TIMEOUT seconds and
 * reported as hung rather than hanging the run.
 *
 * DMABUF_MMAP_CASES in the environment selects cases: a comma-separated list
 * of fnmatch(3) patterns on "<source>.<case>"; a pattern that starts with '!'
 * deselects.  A case runs when it matches a selecting pattern (or there is
 * none) and no deselecting one; the others are skipped.  For instance
 * DMABUF_MMAP_CASES='cma_heap.*,!*.race_*' runs the CMA heap cases but the
 * race.  The 6.1 harness has no filter of its own, and a kernel that a case
 * crashes (the unpatched base does) can only be tested one source per boot.
 *
 * Needs root: it opens /dev/dma_heap/<heap>, /dev/udmabuf, /dev/dri/card*,
 * /dev/video*, /dev/ram0 and /sys/kernel/debug/gup_test, and may raise
 * /proc/sys/vm/nr_hugepages for the hugetlb source (restored afterwards).
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/wait.h>

#include <drm/drm.h>
#include <drm/drm_mode.h>
#include <linux/dma-buf.h>
#include <linux/dma-heap.h>
#include <linux/fs.h>		/* BLKGETSIZE64 */
#include <linux/futex.h>
#include <linux/io_uring.h>
#include <linux/udmabuf.h>
#include <linux/videodev2.h>

#include "../../../../mm/gup_test.h"
#include "../kselftest_harness.h"

#ifndef MADV_COLD
#define MADV_COLD		20
#endif
#ifndef MADV_PAGEOUT
#define MADV_PAGEOUT		21
#endif
#ifndef MADV_POPULATE_READ
#define MADV_POPULATE_READ	22
#endif
#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE	23
#endif
#ifndef MREMAP_DONTUNMAP
#define MREMAP_DONTUNMAP	4
#endif

#ifndef __printf
#define __printf(a, b)		__attribute__((format(printf, a, b)))
#endif

/* From include/linux/mm.h, for gup_test's .gup_flags */
#define FOLL_WRITE		0x01

#define BUF_SIZE		(2UL << 20)
#define ATTEMPT_TIMEOUT		10	/* seconds a GUP attempt may take */
#define RACE_ITERATIONS		200
#define RACE_SECONDS		10	/* then on until the minimums below, */
#define RACE_MAX_SECONDS	30	/* but no longer than this */
/* Less than this is a race that did not run: see race_odirect_munmap_close */
#define RACE_MIN_ROUNDS		20U
#define RACE_MIN_IOS		500UL
#define WHY_LEN			256

#define RAM_DEV			"/dev/ram0"
#define GUP_TEST_FILE		"/sys/kernel/debug/gup_test"
#define VMSTAT_FILE		"/proc/vmstat"
#define STAT_REFRESH_FILE	"/proc/sys/vm/stat_refresh"

/*
 * Every 64-bit word the test writes into a buffer carries PATTERN_MAGIC in
 * its upper half and a seed-dependent counter in its lower half, so that a
 * check can tell which write a word came from.  FOREIGN_MAGIC marks data
 * that must never reach a buffer (what a refused GUP write would carry).
 */
#define PATTERN_MAGIC		0xdb0f5eedU
#define FOREIGN_MAGIC		0xbad0da7aU

enum seed {
	SEED_SETUP = 1,		/* written by the fixture setup */
	SEED_GUP,		/* written just before a GUP attempt */
	SEED_SECOND,		/* a second writer: other mapping, child, ... */
	SEED_RAM,		/* /dev/ram0 contents in the race */
};

/*
 * The 6.1 harness prints a skipped test as "ok N # SKIP <reason>", without
 * its name: put the source and the case into the reason.
 */
#define SKIP_CASE(statement, source, fmt, ...) \
	SKIP(statement, "dmabuf_mmap.%s.%s: " fmt, source, _metadata->name, \
	     ##__VA_ARGS__)

/*
 * Harnesses before 6.9 still run the test body after a SKIP() in
 * FIXTURE_SETUP: leave the test child the way such a harness leaves a
 * skipped one, with exit status 255 (the reason is already in the results
 * page the harness shares with it).  Since 6.9 (the exit_code rework that
 * also added XFAIL_ADD()) the setup runs in a child of its own, whose exit
 * status 0 leaves the KSFT_SKIP that SKIP() stored in the shared metadata,
 * and 255 would be a failure.
 */
#ifdef XFAIL_ADD
#define SETUP_SKIP(source, fmt, ...) \
	SKIP_CASE(_exit(0), source, fmt, ##__VA_ARGS__)
#else
#define SETUP_SKIP(source, fmt, ...) \
	SKIP_CASE(_exit(255), source, fmt, ##__VA_ARGS__)
#endif

static size_t page_size(void)
{
	return sysconf(_SC_PAGESIZE);
}

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000ULL + ts.tv_nsec / 1000000;
}

static void __printf(2, 3) say(char *why, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, WHY_LEN, fmt, ap);
	va_end(ap);
}

static void close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

/* Data patterns */

static uint64_t pattern_word(uint32_t magic, uint32_t seed, size_t i)
{
	return (uint64_t)magic << 32 | (uint32_t)(seed * 0x9e3779b9U + i);
}

static void fill_words(void *p, size_t from, size_t to, uint32_t magic,
		       uint32_t seed)
{
	uint64_t *w = p;
	size_t i;

	for (i = from / 8; i < to / 8; i++)
		w[i] = pattern_word(magic, seed, i);
}

static void fill_buffer(void *p, size_t from, size_t to, uint32_t seed)
{
	fill_words(p, from, to, PATTERN_MAGIC, seed);
}

/* Offset of the first word in [from, to) that @seed did not write, or -1. */
static ssize_t buffer_mismatch(const void *p, size_t from, size_t to,
			       uint32_t seed)
{
	const uint64_t *w = p;
	size_t i;

	for (i = from / 8; i < to / 8; i++)
		if (w[i] != pattern_word(PATTERN_MAGIC, seed, i))
			return i * 8;
	return -1;
}

/* Whether @addr has a mapping: msync() fails with ENOMEM on a hole. */
static bool is_mapped(void *addr, size_t len)
{
	return msync(addr, len, MS_ASYNC) == 0;
}

/* Read a word of each page, the way the CPU would use the buffer. */
static uint64_t touch_pages(const char *map, size_t size)
{
	uint64_t sum = 0;
	size_t off;

	for (off = 0; off < size; off += page_size())
		sum += __atomic_load_n((const uint64_t *)(map + off), __ATOMIC_RELAXED);
	return sum;
}

static int dmabuf_sync(int fd, uint64_t flags)
{
	struct dma_buf_sync sync = { .flags = flags };
	int ret;

	do {
		ret = ioctl(fd, DMA_BUF_IOCTL_SYNC, &sync);
	} while (ret && (errno == EINTR || errno == EAGAIN));
	return ret;
}

/* The flags of the vma that starts at @addr, from /proc/self/smaps. */
static bool vma_flags(void *addr, char *flags, size_t len)
{
	unsigned long start, end;
	bool found = false;
	char line[512];
	FILE *f;

	f = fopen("/proc/self/smaps", "r");
	if (!f)
		return false;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%lx-%lx ", &start, &end) == 2) {
			found = start == (unsigned long)addr;
			continue;
		}
		if (found && !strncmp(line, "VmFlags:", 8)) {
			line[strcspn(line, "\n")] = '\0';
			snprintf(flags, len, "%s ", line + 8);
			fclose(f);
			return true;
		}
	}
	fclose(f);
	return false;
}

static long read_long(const char *path)
{
	long val = -1;
	FILE *f;

	f = fopen(path, "r");
	if (!f)
		return -1;
	if (fscanf(f, "%ld", &val) != 1)
		val = -1;
	fclose(f);
	return val;
}

static bool write_long(const char *path, long val)
{
	bool ok;
	FILE *f;

	f = fopen(path, "w");
	if (!f)
		return false;
	ok = fprintf(f, "%ld\n", val) > 0;
	return !fclose(f) && ok;
}

/* The value of a "Key: value" line of /proc/meminfo, or -1. */
static long meminfo_value(const char *key)
{
	char line[128];
	long val = -1;
	FILE *f;

	f = fopen("/proc/meminfo", "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, key, strlen(key)) &&
		    sscanf(line + strlen(key), " %ld", &val) == 1)
			break;
	fclose(f);
	return val;
}

static pid_t fork_flushed(void)
{
	fflush(stdout);
	fflush(stderr);
	return fork();
}

static int wait_status(pid_t pid)
{
	int status = -1;

	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	return status;
}

/*
 * Fill the start of /dev/ram0 for the O_DIRECT cases.  Data read from it
 * into a buffer would show up as FOREIGN_MAGIC words.
 */
static bool ram0_fill(size_t size, uint32_t magic, uint32_t seed, char *why)
{
	uint64_t dev_size = 0;
	void *bounce;
	bool ok;
	int fd;

	fd = open(RAM_DEV, O_RDWR | O_DIRECT | O_CLOEXEC);
	if (fd < 0) {
		say(why, "no %s (CONFIG_BLK_DEV_RAM): %m", RAM_DEV);
		return false;
	}
	if (ioctl(fd, BLKGETSIZE64, &dev_size) || dev_size < size) {
		say(why, "%s holds %llu bytes, less than the %zu-byte buffer",
		    RAM_DEV, (unsigned long long)dev_size, size);
		close(fd);
		return false;
	}
	if (posix_memalign(&bounce, page_size(), size)) {
		say(why, "no memory for a bounce buffer");
		close(fd);
		return false;
	}
	fill_words(bounce, 0, size, magic, seed);
	ok = pwrite(fd, bounce, size, 0) == (ssize_t)size;
	if (!ok)
		say(why, "O_DIRECT write to %s: %m", RAM_DEV);
	free(bounce);
	close(fd);
	return ok;
}

/*
 * Buffer sources.  Each one opens what it allocates from (open, into a
 * source_ctx) and makes a buffer (create, into a buffer); buffer_put() and
 * ctx_put() undo both for every source.  A source that the kernel lacks
 * reports SRC_SKIP with the reason.
 */

enum src_status { SRC_OK, SRC_SKIP, SRC_FAIL };

struct source_ctx {
	int fd;			/* heap, /dev/udmabuf or the vgem card node */
	int heap_fd;		/* vgem_import: the heap it imports from */
	char video[32];		/* vivid: its video capture node */
	long nr_hugepages;	/* to restore into /proc/sys/vm, or -1 */
};

struct buffer {
	int dmabuf_fd;		/* the dma-buf, for DMA_BUF_IOCTL_SYNC */
	int map_fd;		/* what to mmap(): dmabuf_fd or an importer */
	off_t map_offset;	/* where the buffer is in map_fd */
	size_t size;
	int memfd;		/* udmabuf: the memory behind it */
	int video_fd;		/* vivid: the node that owns the vb2 queue */
	int gem_fd;		/* vgem: the node the GEM handle belongs to */
	uint32_t handle;	/* vgem: GEM handle, 0 for none */
};

struct source {
	const char *name;	/* the same as its FIXTURE_VARIANT_ADD() */
	enum src_status (*open)(struct source_ctx *ctx, char *why);
	enum src_status (*create)(struct source_ctx *ctx, struct buffer *buf,
				  char *why);
};

static void ctx_init(struct source_ctx *ctx)
{
	memset(ctx, 0, sizeof(*ctx));
	ctx->fd = -1;
	ctx->heap_fd = -1;
	ctx->nr_hugepages = -1;
}

static void ctx_put(struct source_ctx *ctx)
{
	close_fd(&ctx->fd);
	close_fd(&ctx->heap_fd);
	if (ctx->nr_hugepages >= 0)
		write_long("/proc/sys/vm/nr_hugepages", ctx->nr_hugepages);
	ctx->nr_hugepages = -1;
}

static void buffer_init(struct buffer *buf)
{
	memset(buf, 0, sizeof(*buf));
	buf->dmabuf_fd = -1;
	buf->map_fd = -1;
	buf->memfd = -1;
	buf->video_fd = -1;
	buf->gem_fd = -1;
}

/* Drop every reference the test holds on the buffer, except mappings. */
static void buffer_put(struct buffer *buf)
{
	if (buf->handle) {
		struct drm_gem_close gem_close = { .handle = buf->handle };

		ioctl(buf->gem_fd, DRM_IOCTL_GEM_CLOSE, &gem_close);
	}
	close_fd(&buf->dmabuf_fd);
	close_fd(&buf->memfd);
	close_fd(&buf->video_fd);
	buf->map_fd = -1;
	buf->gem_fd = -1;
	buf->handle = 0;
}

static void *map_buffer(const struct buffer *buf, size_t len, int prot,
			int flags, off_t offset)
{
	return mmap(NULL, len, prot, flags, buf->map_fd,
		    buf->map_offset + offset);
}

static int open_heap(const char *name)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "/dev/dma_heap/%s", name);
	return open(path, O_RDONLY | O_CLOEXEC);
}

static int heap_alloc(int heap_fd, size_t size)
{
	struct dma_heap_allocation_data data = {
		.len = size,
		.fd_flags = O_RDWR | O_CLOEXEC,
	};

	if (ioctl(heap_fd, DMA_HEAP_IOCTL_ALLOC, &data))
		return -1;
	return data.fd;
}

static enum src_status heap_create(struct source_ctx *ctx, struct buffer *buf,
				   char *why)
{
	buf->dmabuf_fd = heap_alloc(ctx->fd, BUF_SIZE);
	if (buf->dmabuf_fd < 0) {
		say(why, "DMA_HEAP_IOCTL_ALLOC of %lu bytes: %m", BUF_SIZE);
		return SRC_FAIL;
	}
	buf->map_fd = buf->dmabuf_fd;
	buf->size = BUF_SIZE;
	return SRC_OK;
}

/* system heap: remap_pfn_range(), VM_PFNMAP on the base already */
static enum src_status system_heap_open(struct source_ctx *ctx, char *why)
{
	enum src_status status;

	ctx->fd = open_heap("system");
	if (ctx->fd >= 0)
		return SRC_OK;
	status = errno == ENOENT ? SRC_SKIP : SRC_FAIL;
	say(why, "no /dev/dma_heap/system (CONFIG_DMABUF_HEAPS_SYSTEM): %m");
	return status;
}

/*
 * CMA heap: named after its CMA area, "reserved" for the default one
 * (CONFIG_CMA_SIZE_MBYTES or cma=); otherwise any heap but "system".
 */
static enum src_status cma_heap_open(struct source_ctx *ctx, char *why)
{
	struct dirent *de;
	DIR *dir;

	ctx->fd = open_heap("reserved");
	if (ctx->fd >= 0)
		return SRC_OK;
	dir = opendir("/dev/dma_heap");
	while (dir && ctx->fd < 0 && (de = readdir(dir))) {
		if (de->d_name[0] != '.' && strcmp(de->d_name, "system"))
			ctx->fd = open_heap(de->d_name);
	}
	if (dir)
		closedir(dir);
	if (ctx->fd >= 0)
		return SRC_OK;
	say(why, "no CMA heap in /dev/dma_heap (CONFIG_DMABUF_HEAPS_CMA and a CMA area)");
	return SRC_SKIP;
}

static enum src_status udmabuf_open(struct source_ctx *ctx, char *why)
{
	enum src_status status;

	ctx->fd = open("/dev/udmabuf", O_RDWR | O_CLOEXEC);
	if (ctx->fd >= 0)
		return SRC_OK;
	status = errno == ENOENT ? SRC_SKIP : SRC_FAIL;
	say(why, "no /dev/udmabuf (CONFIG_UDMABUF): %m");
	return status;
}

/* Make a udmabuf of buf->memfd; 0 or -errno. */
static int udmabuf_wrap(struct source_ctx *ctx, struct buffer *buf)
{
	struct udmabuf_create create = {
		.memfd = buf->memfd,
		.flags = UDMABUF_FLAGS_CLOEXEC,
		.size = BUF_SIZE,
	};

	/* udmabuf insists that the memfd can no longer shrink */
	if (fcntl(buf->memfd, F_ADD_SEALS, F_SEAL_SHRINK))
		return -errno;
	buf->dmabuf_fd = ioctl(ctx->fd, UDMABUF_CREATE, &create);
	if (buf->dmabuf_fd < 0)
		return -errno;
	buf->map_fd = buf->dmabuf_fd;
	buf->size = BUF_SIZE;
	return 0;
}

static enum src_status udmabuf_shmem_create(struct source_ctx *ctx,
					    struct buffer *buf, char *why)
{
	int err;

	buf->memfd = memfd_create("dmabuf-mmap", MFD_ALLOW_SEALING | MFD_CLOEXEC);
	if (buf->memfd < 0) {
		say(why, "memfd_create(): %m");
		return SRC_FAIL;
	}
	if (ftruncate(buf->memfd, BUF_SIZE)) {
		say(why, "ftruncate() of a memfd: %m");
		return SRC_FAIL;
	}
	err = udmabuf_wrap(ctx, buf);
	if (err) {
		say(why, "UDMABUF_CREATE on a shmem memfd: %s", strerror(-err));
		return SRC_FAIL;
	}
	return SRC_OK;
}

/* Huge pages that a hugetlb memfd can take now: free and not reserved. */
static long hugetlb_available(void)
{
	long free = meminfo_value("HugePages_Free:");
	long rsvd = meminfo_value("HugePages_Rsvd:");

	return free < 0 || rsvd < 0 ? -1 : free - rsvd;
}

/*
 * The hugetlb source needs a free huge page for every huge page of the
 * buffer: raise /proc/sys/vm/nr_hugepages if there are not enough (ctx_put()
 * restores it).  Only a kernel without hugetlb, or one that cannot make the
 * huge pages, is a SKIP: from there on udmabuf must work on the memfd, on
 * the series and on the base alike.
 */
static enum src_status udmabuf_hugetlb_open(struct source_ctx *ctx, char *why)
{
	long hpage = meminfo_value("Hugepagesize:") * 1024;
	long nr, need, avail;
	enum src_status status;
	int err;

	status = udmabuf_open(ctx, why);
	if (status != SRC_OK)
		return status;
	if (hpage <= 0) {
		say(why, "no Hugepagesize in /proc/meminfo: no hugetlb (CONFIG_HUGETLBFS)");
		return SRC_SKIP;
	}
	if (BUF_SIZE % hpage) {
		say(why, "the %lu-byte buffer is no multiple of the %ld-byte default huge page",
		    BUF_SIZE, hpage);
		return SRC_SKIP;
	}
	need = BUF_SIZE / hpage;
	avail = hugetlb_available();
	if (avail >= need)
		return SRC_OK;
	nr = read_long("/proc/sys/vm/nr_hugepages");
	if (nr < 0) {
		say(why,
		    "%ld of the %ld huge pages needed are free, and /proc/sys/vm/nr_hugepages cannot be read to raise it",
		    avail, need);
		return SRC_SKIP;
	}
	if (!write_long("/proc/sys/vm/nr_hugepages", nr + need - avail)) {
		err = errno;
		say(why,
		    "%ld of the %ld huge pages needed are free, and /proc/sys/vm/nr_hugepages cannot be raised from %ld to %ld: %s",
		    avail, need, nr, nr + need - avail, strerror(err));
		return SRC_SKIP;
	}
	ctx->nr_hugepages = nr;
	if (hugetlb_available() >= need)
		return SRC_OK;
	say(why,
	    "%ld of the %ld huge pages needed are free, and raising /proc/sys/vm/nr_hugepages from %ld to %ld gave %ld (the kernel found no memory for more)",
	    avail, need, nr, nr + need - avail,
	    read_long("/proc/sys/vm/nr_hugepages"));
	return SRC_SKIP;
}

/*
 * A hugetlb memfd wrapped in a udmabuf.  udmabuf takes hugetlb memfds in
 * 6.1, base and series (udmabuf_create() looks up the huge page of each
 * range and takes its subpages): once memfd_create(MFD_HUGETLB) works and
 * udmabuf_hugetlb_open() has found the huge pages, any error is a failure.
 */
static enum src_status udmabuf_hugetlb_create(struct source_ctx *ctx,
					      struct buffer *buf, char *why)
{
	int err;

	/*
	 * A kernel without CONFIG_HUGETLBFS fails memfd_create(MFD_HUGETLB)
	 * from hugetlb_file_setup()'s stub; udmabuf_hugetlb_open() has
	 * already skipped it (no Hugepagesize).  What is left to skip on:
	 * hugetlbfs without a mount for the default huge page size, or a
	 * memfd_create() without MFD_HUGETLB.
	 */
	buf->memfd = memfd_create("dmabuf-mmap",
				  MFD_HUGETLB | MFD_ALLOW_SEALING | MFD_CLOEXEC);
	if (buf->memfd < 0) {
		err = errno;
		if (err == ENOENT) {
			say(why,
			    "memfd_create(MFD_HUGETLB): %s: no hugetlbfs mount for the default huge page size",
			    strerror(err));
			return SRC_SKIP;
		}
		if (err == EINVAL) {
			say(why, "memfd_create(MFD_HUGETLB): %s: no MFD_HUGETLB",
			    strerror(err));
			return SRC_SKIP;
		}
		say(why, "memfd_create(MFD_HUGETLB): %s", strerror(err));
		return SRC_FAIL;
	}
	if (ftruncate(buf->memfd, BUF_SIZE)) {
		say(why, "ftruncate() of a hugetlb memfd: %m");
		return SRC_FAIL;
	}
	/*
	 * udmabuf looks the huge page up in the page cache; it must exist.
	 * udmabuf_hugetlb_open() made sure that there are enough free huge
	 * pages, and nothing else in the test takes them: ENOSPC here means
	 * that an earlier buffer did not give its huge page back.
	 */
	if (fallocate(buf->memfd, 0, 0, BUF_SIZE)) {
		err = errno;
		say(why,
		    "fallocate() of a %lu-byte hugetlb memfd: %s (%ld huge pages free and unreserved)",
		    BUF_SIZE, strerror(err), hugetlb_available());
		return SRC_FAIL;
	}
	err = udmabuf_wrap(ctx, buf);
	if (err) {
		say(why, "UDMABUF_CREATE on a hugetlb memfd: %s", strerror(-err));
		return SRC_FAIL;
	}
	return SRC_OK;
}

static bool drm_driver_is(int fd, const char *name)
{
	char driver[32] = "";
	struct drm_version version = {
		.name = driver,
		.name_len = sizeof(driver) - 1,
	};

	return !ioctl(fd, DRM_IOCTL_VERSION, &version) && !strcmp(driver, name);
}

/* vgem's card node: dumb buffers are not allowed on render nodes. */
static enum src_status vgem_open(struct source_ctx *ctx, char *why)
{
	char path[PATH_MAX];
	struct dirent *de;
	DIR *dir;

	dir = opendir("/dev/dri");
	while (dir && ctx->fd < 0 && (de = readdir(dir))) {
		if (strncmp(de->d_name, "card", 4))
			continue;
		snprintf(path, sizeof(path), "/dev/dri/%s", de->d_name);
		ctx->fd = open(path, O_RDWR | O_CLOEXEC);
		if (ctx->fd >= 0 && !drm_driver_is(ctx->fd, "vgem"))
			close_fd(&ctx->fd);
	}
	if (dir)
		closedir(dir);
	if (ctx->fd >= 0)
		return SRC_OK;
	say(why, "no vgem card node in /dev/dri (CONFIG_DRM_VGEM)");
	return SRC_SKIP;
}

/* vgem: a dumb buffer exported with PRIME; the GEM shmem helpers map it */
static enum src_status vgem_create(struct source_ctx *ctx, struct buffer *buf,
				   char *why)
{
	struct drm_mode_create_dumb create = {
		.width = 1024,
		.height = BUF_SIZE / 4096,	/* 4 KiB a row */
		.bpp = 32,
	};
	struct drm_prime_handle prime = { .flags = DRM_CLOEXEC | DRM_RDWR };

	if (ioctl(ctx->fd, DRM_IOCTL_MODE_CREATE_DUMB, &create)) {
		say(why, "DRM_IOCTL_MODE_CREATE_DUMB on vgem: %m");
		return SRC_FAIL;
	}
	buf->gem_fd = ctx->fd;
	buf->handle = create.handle;
	prime.handle = create.handle;
	if (ioctl(ctx->fd, DRM_IOCTL_PRIME_HANDLE_TO_FD, &prime)) {
		say(why, "DRM_IOCTL_PRIME_HANDLE_TO_FD on vgem: %m");
		return SRC_FAIL;
	}
	buf->dmabuf_fd = prime.fd;
	buf->map_fd = prime.fd;
	buf->size = create.size;
	return SRC_OK;
}

static enum src_status vgem_import_open(struct source_ctx *ctx, char *why)
{
	enum src_status status = vgem_open(ctx, why);

	if (status != SRC_OK)
		return status;
	ctx->heap_fd = open_heap("system");
	if (ctx->heap_fd >= 0)
		return SRC_OK;
	status = errno == ENOENT ? SRC_SKIP : SRC_FAIL;
	say(why, "no /dev/dma_heap/system to import from (CONFIG_DMABUF_HEAPS_SYSTEM): %m");
	return status;
}

/*
 * vgem_import: a system heap buffer imported into vgem and mapped through
 * vgem's node, where drm_gem_shmem_mmap() hands the vma to dma_buf_mmap().
 * 6.1 gives imported objects no mmap offset (drm_gem_dumb_map_offset()
 * refuses them), so this source is a SKIP there.
 */
static enum src_status vgem_import_create(struct source_ctx *ctx,
					  struct buffer *buf, char *why)
{
	struct drm_prime_handle prime = { };
	struct drm_mode_map_dumb map = { };

	buf->dmabuf_fd = heap_alloc(ctx->heap_fd, BUF_SIZE);
	if (buf->dmabuf_fd < 0) {
		say(why, "DMA_HEAP_IOCTL_ALLOC of %lu bytes: %m", BUF_SIZE);
		return SRC_FAIL;
	}
	buf->size = BUF_SIZE;
	prime.fd = buf->dmabuf_fd;
	if (ioctl(ctx->fd, DRM_IOCTL_PRIME_FD_TO_HANDLE, &prime)) {
		say(why, "DRM_IOCTL_PRIME_FD_TO_HANDLE of a system heap buffer into vgem: %m");
		return SRC_FAIL;
	}
	buf->gem_fd = ctx->fd;
	buf->handle = prime.handle;
	map.handle = prime.handle;
	if (ioctl(ctx->fd, DRM_IOCTL_MODE_MAP_DUMB, &map)) {
		enum src_status status = errno == EINVAL ? SRC_SKIP : SRC_FAIL;

		say(why, "vgem gives imported buffers no mmap offset: DRM_IOCTL_MODE_MAP_DUMB: %m");
		return status;
	}
	buf->map_fd = ctx->fd;
	buf->map_offset = map.offset;
	return SRC_OK;
}

static enum src_status vivid_open(struct source_ctx *ctx, char *why)
{
	struct v4l2_capability cap;
	uint32_t caps;
	int i, fd;

	for (i = 0; i < 64; i++) {
		snprintf(ctx->video, sizeof(ctx->video), "/dev/video%d", i);
		fd = open(ctx->video, O_RDWR | O_CLOEXEC);
		if (fd < 0)
			continue;
		memset(&cap, 0, sizeof(cap));
		if (ioctl(fd, VIDIOC_QUERYCAP, &cap)) {
			close(fd);
			continue;
		}
		close(fd);
		caps = cap.capabilities & V4L2_CAP_DEVICE_CAPS ?
		       cap.device_caps : cap.capabilities;
		if (!strcmp((char *)cap.driver, "vivid") &&
		    (caps & V4L2_CAP_VIDEO_CAPTURE) && (caps & V4L2_CAP_STREAMING))
			return SRC_OK;
	}
	say(why, "no vivid video capture node (CONFIG_VIDEO_VIVID)");
	return SRC_SKIP;
}

/*
 * vivid: a vb2 buffer (vb2-vmalloc) exported with VIDIOC_EXPBUF, as large
 * as the current format's sizeimage (page-aligned by vb2), mapped whole.
 */
static enum src_status vivid_create(struct source_ctx *ctx, struct buffer *buf,
				    char *why)
{
	struct v4l2_requestbuffers req = {
		.count = 1,
		.type = V4L2_BUF_TYPE_VIDEO_CAPTURE,
		.memory = V4L2_MEMORY_MMAP,
	};
	struct v4l2_exportbuffer exp = {
		.type = V4L2_BUF_TYPE_VIDEO_CAPTURE,
		.index = 0,
		.flags = O_RDWR | O_CLOEXEC,
	};
	off_t size;

	buf->video_fd = open(ctx->video, O_RDWR | O_CLOEXEC);
	if (buf->video_fd < 0) {
		say(why, "open(%s): %m", ctx->video);
		return SRC_FAIL;
	}
	if (ioctl(buf->video_fd, VIDIOC_REQBUFS, &req) || !req.count) {
		say(why, "VIDIOC_REQBUFS of one MMAP buffer on %s: %m", ctx->video);
		return SRC_FAIL;
	}
	if (ioctl(buf->video_fd, VIDIOC_EXPBUF, &exp)) {
		say(why, "VIDIOC_EXPBUF on %s: %m", ctx->video);
		return SRC_FAIL;
	}
	buf->dmabuf_fd = exp.fd;
	buf->map_fd = exp.fd;
	size = lseek(exp.fd, 0, SEEK_END);
	if (size <= 0) {
		say(why, "the size of a vivid dma-buf, from lseek(): %m");
		return SRC_FAIL;
	}
	buf->size = size;
	return SRC_OK;
}

static const struct source system_heap_source = {
	.name = "system_heap",
	.open = system_heap_open,
	.create = heap_create,
};

static const struct source cma_heap_source = {
	.name = "cma_heap",
	.open = cma_heap_open,
	.create = heap_create,
};

static const struct source udmabuf_shmem_source = {
	.name = "udmabuf_shmem",
	.open = udmabuf_open,
	.create = udmabuf_shmem_create,
};

static const struct source udmabuf_hugetlb_source = {
	.name = "udmabuf_hugetlb",
	.open = udmabuf_hugetlb_open,
	.create = udmabuf_hugetlb_create,
};

static const struct source vgem_source = {
	.name = "vgem",
	.open = vgem_open,
	.create = vgem_create,
};

static const struct source vgem_import_source = {
	.name = "vgem_import",
	.open = vgem_import_open,
	.create = vgem_import_create,
};

static const struct source vivid_source = {
	.name = "vivid",
	.open = vivid_open,
	.create = vivid_create,
};

/*
 * GUP entry points.  Each attempt runs in a child with a time limit; the
 * child reports an outcome, the test checks it against the table below and
 * then checks that the buffer still holds what the CPU wrote before.
 */

enum verdict {
	TOOK,		/* the kernel got hold of the buffer's pages */
	REFUSED,	/* the entry point failed, with outcome.err */
	BROKEN,		/* the attempt could not be made */
	HUNG,		/* no return within ATTEMPT_TIMEOUT, killed */
	DIED,		/* the child died of signal outcome.err */
};

struct outcome {
	enum verdict verdict;
	int err;
	char detail[200];
};

struct gup_attempt {
	const char *name;
	/* In the test process, before the attempt; false and why to skip. */
	bool (*prepare)(size_t size, char *why);
	/* In the child: aim the entry point at [map, map + size). */
	void (*run)(const struct gup_attempt *a, char *map, size_t size,
		    struct outcome *o);
	unsigned long arg;
	/* How the series' kernel refuses: errno (0: none) */
	int err;
	/* Another errno that refuses as well on later kernels (0: none) */
	int alt_err;
};

/*
 * FOLL_PIN accounting: nr_foll_pin_acquired and nr_foll_pin_released in
 * /proc/vmstat count the pages that pin_user_pages*() pinned and
 * unpin_user_page*() released.  They are node counters whose per-CPU
 * deltas are folded only every sysctl_stat_interval: writing
 * /proc/sys/vm/stat_refresh (root; SMP kernels only, there are no per-CPU
 * deltas without SMP) folds them first, so that a reading counts every pin
 * taken before it.
 */
struct pin_counts {
	bool read;		/* false: why says what is missing */
	long acquired;
	long released;
	char why[WHY_LEN];
};

static void pin_counts_read(struct pin_counts *pc)
{
	char line[128], name[64];
	long val;
	FILE *f;

	pc->read = false;
	pc->acquired = -1;
	pc->released = -1;
	if (!write_long(STAT_REFRESH_FILE, 1) && errno != ENOENT) {
		say(pc->why, "write to %s to fold the per-CPU counters: %m",
		    STAT_REFRESH_FILE);
		return;
	}
	f = fopen(VMSTAT_FILE, "r");
	if (!f) {
		say(pc->why, "%s: %m", VMSTAT_FILE);
		return;
	}
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%63s %ld", name, &val) != 2)
			continue;
		if (!strcmp(name, "nr_foll_pin_acquired"))
			pc->acquired = val;
		else if (!strcmp(name, "nr_foll_pin_released"))
			pc->released = val;
	}
	fclose(f);
	pc->read = pc->acquired >= 0 && pc->released >= 0;
	if (!pc->read)
		say(pc->why, "no nr_foll_pin_acquired or nr_foll_pin_released in %s",
		    VMSTAT_FILE);
}

/* What moved from @before to @after, into @after; or why it is unknown. */
static void pin_counts_delta(const struct pin_counts *before,
			     struct pin_counts *after)
{
	if (!before->read) {
		*after = *before;
		return;
	}
	if (!after->read)
		return;
	after->acquired -= before->acquired;
	after->released -= before->released;
}

static void __printf(4, 5)
outcome(struct outcome *o, enum verdict result, int err, const char *fmt, ...)
{
	va_list ap;

	o->verdict = result;
	o->err = err;
	va_start(ap, fmt);
	vsnprintf(o->detail, sizeof(o->detail), fmt, ap);
	va_end(ap);
}

/* A call that returns a byte count, or -1 and @err. */
static void byte_count_outcome(struct outcome *o, const char *call,
			       ssize_t ret, int err)
{
	if (ret > 0)
		outcome(o, TOOK, 0, "%s moved %zd bytes", call, ret);
	else if (ret < 0)
		outcome(o, REFUSED, err, "%s: %s", call, strerror(err));
	else
		outcome(o, BROKEN, 0, "%s moved nothing and reported no error", call);
}

static bool prepare_ram0(size_t size, char *why)
{
	return ram0_fill(size, FOREIGN_MAGIC, 0, why);
}

static bool prepare_gup_test(size_t size, char *why)
{
	if (!access(GUP_TEST_FILE, R_OK | W_OK))
		return true;
	say(why, "no %s (CONFIG_GUP_TEST, debugfs mounted): %m", GUP_TEST_FILE);
	return false;
}

static bool prepare_io_uring(size_t size, char *why)
{
	struct io_uring_params params = { };
	int ring;

	ring = syscall(__NR_io_uring_setup, 1, &params);
	if (ring >= 0) {
		close(ring);
		return true;
	}
	say(why, "io_uring_setup() (CONFIG_IO_URING): %m");
	return false;
}

static bool prepare_move_pages(size_t size, char *why)
{
	if (!syscall(__NR_move_pages, 0, 0, NULL, NULL, NULL, 0))
		return true;
	say(why, "move_pages() (CONFIG_NUMA, CONFIG_MIGRATION): %m");
	return false;
}

static void try_odirect_read(const struct gup_attempt *a, char *map,
			     size_t size, struct outcome *o)
{
	int fd = open(RAM_DEV, O_RDWR | O_DIRECT | O_CLOEXEC);
	ssize_t ret;

	if (fd < 0) {
		outcome(o, BROKEN, errno, "open(%s): %m", RAM_DEV);
		return;
	}
	ret = pread(fd, map, size, 0);
	byte_count_outcome(o, "O_DIRECT read into the mapping", ret, errno);
	close(fd);
}

static void try_odirect_write(const struct gup_attempt *a, char *map,
			      size_t size, struct outcome *o)
{
	int fd = open(RAM_DEV, O_RDWR | O_DIRECT | O_CLOEXEC);
	ssize_t ret;

	if (fd < 0) {
		outcome(o, BROKEN, errno, "open(%s): %m", RAM_DEV);
		return;
	}
	ret = pwrite(fd, map, size, 0);
	byte_count_outcome(o, "O_DIRECT write from the mapping", ret, errno);
	close(fd);
}

static void try_vmsplice(const struct gup_attempt *a, char *map, size_t size,
			 struct outcome *o)
{
	/* no more than an empty pipe holds, so that it cannot block */
	struct iovec iov = {
		.iov_base = map,
		.iov_len = size < 16 * page_size() ? size : 16 * page_size(),
	};
	int pipefd[2];
	ssize_t ret;

	if (pipe2(pipefd, O_CLOEXEC)) {
		outcome(o, BROKEN, errno, "pipe2(): %m");
		return;
	}
	ret = vmsplice(pipefd[1], &iov, 1, SPLICE_F_NONBLOCK);
	byte_count_outcome(o, "vmsplice() into a pipe", ret, errno);
	close(pipefd[0]);
	close(pipefd[1]);
}

static void try_process_vm_readv(const struct gup_attempt *a, char *map,
				 size_t size, struct outcome *o)
{
	struct iovec remote = { .iov_base = map, .iov_len = size };
	struct iovec local = { .iov_len = size };
	ssize_t ret;

	local.iov_base = malloc(size);
	if (!local.iov_base) {
		outcome(o, BROKEN, ENOMEM, "no memory");
		return;
	}
	ret = syscall(__NR_process_vm_readv, getpid(), &local, 1, &remote, 1, 0);
	byte_count_outcome(o, "process_vm_readv() from the mapping", ret, errno);
	free(local.iov_base);
}

static void try_process_vm_writev(const struct gup_attempt *a, char *map,
				  size_t size, struct outcome *o)
{
	struct iovec remote = { .iov_base = map, .iov_len = size };
	struct iovec local = { .iov_len = size };
	ssize_t ret;

	local.iov_base = malloc(size);
	if (!local.iov_base) {
		outcome(o, BROKEN, ENOMEM, "no memory");
		return;
	}
	fill_words(local.iov_base, 0, size, FOREIGN_MAGIC, 0);
	ret = syscall(__NR_process_vm_writev, getpid(), &local, 1, &remote, 1, 0);
	byte_count_outcome(o, "process_vm_writev() into the mapping", ret, errno);
	free(local.iov_base);
}

static void try_io_uring_register(const struct gup_attempt *a, char *map,
				  size_t size, struct outcome *o)
{
	struct iovec iov = { .iov_base = map, .iov_len = size };
	struct io_uring_params params = { };
	int ring;

	ring = syscall(__NR_io_uring_setup, 1, &params);
	if (ring < 0) {
		outcome(o, BROKEN, errno, "io_uring_setup(): %m");
		return;
	}
	if (!syscall(__NR_io_uring_register, ring, IORING_REGISTER_BUFFERS,
		     &iov, 1))
		outcome(o, TOOK, 0, "the mapping is registered as a fixed buffer");
	else if (errno == EOPNOTSUPP)
		outcome(o, TOOK, 0,
			"EOPNOTSUPP: pin_user_pages(FOLL_LONGTERM) pinned the pages, io_uring refused the file-backed vma only afterwards");
	else
		outcome(o, REFUSED, errno, "IORING_REGISTER_BUFFERS: %m");
	close(ring);
}

static void try_gup_test(const struct gup_attempt *a, char *map, size_t size,
			 struct outcome *o)
{
	struct gup_test gup = {
		.addr = (uintptr_t)map,
		.size = size,
		.nr_pages_per_call = 1,
		.gup_flags = FOLL_WRITE,
	};
	int fd = open(GUP_TEST_FILE, O_RDWR | O_CLOEXEC);

	if (fd < 0) {
		outcome(o, BROKEN, errno, "open(%s): %m", GUP_TEST_FILE);
		return;
	}
	if (ioctl(fd, a->arg, &gup))
		outcome(o, BROKEN, errno, "gup_test ioctl: %m");
	else if (gup.size)
		outcome(o, TOOK, 0, "took %llu of %zu bytes",
			(unsigned long long)gup.size, size);
	else
		outcome(o, REFUSED, 0, "took no page (.size 0)");
	close(fd);
}

static void try_move_pages(const struct gup_attempt *a, char *map,
			   size_t size, struct outcome *o)
{
	size_t i, n = size / page_size();
	void **pages = calloc(n, sizeof(*pages));
	int *status = calloc(n, sizeof(*status));

	if (!pages || !status) {
		outcome(o, BROKEN, ENOMEM, "no memory");
		goto out;
	}
	/*
	 * run_bounded() has read every page of the mapping in this process
	 * just before: each one is mapped by a present special pte or pmd,
	 * which is what move_pages() must find and refuse: -EFAULT, or
	 * -ENOENT on kernels that cannot tell a special entry from none.
	 */
	for (i = 0; i < n; i++)
		pages[i] = map + i * page_size();
	if (syscall(__NR_move_pages, 0, n, pages, NULL, status, 0)) {
		outcome(o, BROKEN, errno, "move_pages(): %m");
		goto out;
	}
	for (i = 0; i < n; i++) {
		if (status[i] >= 0) {
			outcome(o, TOOK, 0, "follow_page() found a page at page %zu, on node %d",
				i, status[i]);
			goto out;
		}
	}
	/* judge the first page not refused as expected, if there is one */
	for (i = 0; i < n && (status[i] == -a->err ||
			      (a->alt_err && status[i] == -a->alt_err)); i++)
		;
	i = i < n ? i : 0;
	outcome(o, REFUSED, -status[i], "page %zu of %zu: %s", i, n,
		strerror(-status[i]));
out:
	free(pages);
	free(status);
}

static void try_futex_shared(const struct gup_attempt *a, char *map,
			     size_t size, struct outcome *o)
{
	uint32_t *word = (uint32_t *)map;
	struct timespec timeout = { .tv_nsec = 1000000 };
	long ret;

	/* a value that is not there: if a key can be made, EAGAIN at once */
	ret = syscall(__NR_futex, word, FUTEX_WAIT, *word + 1, &timeout, NULL, 0);
	if (!ret || errno == EAGAIN || errno == ETIMEDOUT)
		outcome(o, TOOK, 0, "FUTEX_WAIT made a key from the buffer's page (%s)",
			ret ? strerror(errno) : "woken");
	else
		outcome(o, REFUSED, errno, "FUTEX_WAIT: %m");
}

static void try_proc_mem_read(const struct gup_attempt *a, char *map,
			      size_t size, struct outcome *o)
{
	int fd = open("/proc/self/mem", O_RDWR | O_CLOEXEC);
	char *local = malloc(size);
	ssize_t ret;

	if (fd < 0 || !local) {
		outcome(o, BROKEN, errno, "open(/proc/self/mem): %m");
	} else {
		ret = pread(fd, local, size, (off_t)(uintptr_t)map);
		byte_count_outcome(o, "pread() of /proc/self/mem", ret, errno);
	}
	if (fd >= 0)
		close(fd);
	free(local);
}

static void try_proc_mem_write(const struct gup_attempt *a, char *map,
			       size_t size, struct outcome *o)
{
	int fd = open("/proc/self/mem", O_RDWR | O_CLOEXEC);
	char *local = malloc(page_size());
	ssize_t ret;

	if (fd < 0 || !local) {
		outcome(o, BROKEN, errno, "open(/proc/self/mem): %m");
	} else {
		fill_words(local, 0, page_size(), FOREIGN_MAGIC, 0);
		ret = pwrite(fd, local, page_size(), (off_t)(uintptr_t)map);
		byte_count_outcome(o, "pwrite() of /proc/self/mem", ret, errno);
	}
	if (fd >= 0)
		close(fd);
	free(local);
}

/* A child that shares the mapping, stopped under ptrace by this process. */
static pid_t stopped_tracee(void)
{
	int status;
	pid_t pid;

	pid = fork_flushed();
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (!ptrace(PTRACE_TRACEME, 0, NULL, NULL))
			raise(SIGSTOP);
		_exit(0);
	}
	if (pid < 0)
		return -1;
	status = wait_status(pid);
	if (WIFSTOPPED(status))
		return pid;
	kill(pid, SIGKILL);
	wait_status(pid);
	return -1;
}

static void try_ptrace_peekdata(const struct gup_attempt *a, char *map,
				size_t size, struct outcome *o)
{
	pid_t pid = stopped_tracee();
	long word;

	if (pid < 0) {
		outcome(o, BROKEN, 0, "could not stop a child under ptrace");
		return;
	}
	errno = 0;
	word = ptrace(PTRACE_PEEKDATA, pid, map, NULL);
	if (errno)
		outcome(o, REFUSED, errno, "PTRACE_PEEKDATA: %m");
	else
		outcome(o, TOOK, 0, "PTRACE_PEEKDATA read %#lx from the buffer", word);
	kill(pid, SIGKILL);
	wait_status(pid);
}

static void try_ptrace_pokedata(const struct gup_attempt *a, char *map,
				size_t size, struct outcome *o)
{
	pid_t pid = stopped_tracee();

	if (pid < 0) {
		outcome(o, BROKEN, 0, "could not stop a child under ptrace");
		return;
	}
	if (ptrace(PTRACE_POKEDATA, pid, map,
		   (void *)(uintptr_t)pattern_word(FOREIGN_MAGIC, 0, 0)))
		outcome(o, REFUSED, errno, "PTRACE_POKEDATA: %m");
	else
		outcome(o, TOOK, 0, "PTRACE_POKEDATA wrote into the buffer");
	kill(pid, SIGKILL);
	wait_status(pid);
}

enum gup_entry {
	GUP_ODIRECT_READ,
	GUP_ODIRECT_WRITE,
	GUP_VMSPLICE,
	GUP_PROCESS_VM_READV,
	GUP_PROCESS_VM_WRITEV,
	GUP_IO_URING_REGISTER,
	GUP_FAST,
	GUP_BASIC,
	PIN_FAST,
	PIN_BASIC,
	PIN_LONGTERM,
	GUP_MOVE_PAGES,
	GUP_FUTEX_SHARED,
	GUP_PROC_MEM_READ,
	GUP_PROC_MEM_WRITE,
	GUP_PTRACE_PEEKDATA,
	GUP_PTRACE_POKEDATA,
};

/*
 * How the series' kernel refuses each entry point on a dma-buf mapping.
 * Slow GUP stops in check_vma_flags() (VM_IO | VM_PFNMAP: -EFAULT), gup_fast
 * backs off at the special pte and falls back to slow GUP, and follow_page()
 * finds no struct page behind a special pte.  Then:
 *  - O_DIRECT, vmsplice(), process_vm_readv/writev(), io_uring buffer
 *    registration and a shared futex (get_futex_key() uses
 *    get_user_pages_fast() to key it by page) fail with EFAULT.  Private
 *    futexes are keyed by mm and address and keep working.
 *  - gup_test does not pass GUP's error on: it stops at the first call that
 *    returns <= 0 and reports the bytes before it in .size (mm/gup_test.c).
 *    One page per call, so refused means the ioctl succeeds with .size 0.
 *  - move_pages() with nodes == NULL reports per page what
 *    do_pages_stat_array() gets from follow_page(FOLL_GET | FOLL_DUMP): a
 *    node id means it found a page.  run_bounded() has faulted every page
 *    in, so follow_page() meets a present special pte (vm_normal_page()
 *    is NULL: -EFAULT for FOLL_DUMP) or special pmd or pud
 *    (follow_special_huge(): -EFAULT for FOLL_GET and FOLL_DUMP) on every
 *    page, and each status must be -EFAULT.  -ENOENT (follow_page() found
 *    no pte, or a non-present one) would mean that the walk never met the
 *    mapping.  From 6.12 do_pages_stat_array() walks with
 *    folio_walk_start(), which answers -ENOENT for a special entry as for
 *    none, so -ENOENT is accepted as well: only a node id is a page.
 *  - /proc/pid/mem and PTRACE_PEEKDATA/POKEDATA use __access_remote_vm():
 *    GUP fails, none of these exporters has a vm_ops->access, nothing is
 *    transferred, and both return EIO.
 */
static const struct gup_attempt gup_attempts[] = {
	[GUP_ODIRECT_READ] = {
		.name = "O_DIRECT read from " RAM_DEV " into the mapping",
		.prepare = prepare_ram0, .run = try_odirect_read,
		.err = EFAULT,
	},
	[GUP_ODIRECT_WRITE] = {
		.name = "O_DIRECT write to " RAM_DEV " from the mapping",
		.prepare = prepare_ram0, .run = try_odirect_write,
		.err = EFAULT,
	},
	[GUP_VMSPLICE] = {
		.name = "vmsplice() from the mapping",
		.run = try_vmsplice, .err = EFAULT,
	},
	[GUP_PROCESS_VM_READV] = {
		.name = "process_vm_readv() from the mapping",
		.run = try_process_vm_readv, .err = EFAULT,
	},
	[GUP_PROCESS_VM_WRITEV] = {
		.name = "process_vm_writev() into the mapping",
		.run = try_process_vm_writev, .err = EFAULT,
	},
	[GUP_IO_URING_REGISTER] = {
		.name = "io_uring IORING_REGISTER_BUFFERS",
		.prepare = prepare_io_uring, .run = try_io_uring_register,
		.err = EFAULT,
	},
	[GUP_FAST] = {
		.name = "gup_test GUP_FAST_BENCHMARK (get_user_pages_fast)",
		.prepare = prepare_gup_test, .run = try_gup_test,
		.arg = GUP_FAST_BENCHMARK,
	},
	[GUP_BASIC] = {
		.name = "gup_test GUP_BASIC_TEST (get_user_pages)",
		.prepare = prepare_gup_test, .run = try_gup_test,
		.arg = GUP_BASIC_TEST,
	},
	[PIN_FAST] = {
		.name = "gup_test PIN_FAST_BENCHMARK (pin_user_pages_fast)",
		.prepare = prepare_gup_test, .run = try_gup_test,
		.arg = PIN_FAST_BENCHMARK,
	},
	[PIN_BASIC] = {
		.name = "gup_test PIN_BASIC_TEST (pin_user_pages)",
		.prepare = prepare_gup_test, .run = try_gup_test,
		.arg = PIN_BASIC_TEST,
	},
	[PIN_LONGTERM] = {
		.name = "gup_test PIN_LONGTERM_BENCHMARK (pin_user_pages, FOLL_LONGTERM)",
		.prepare = prepare_gup_test, .run = try_gup_test,
		.arg = PIN_LONGTERM_BENCHMARK,
	},
	[GUP_MOVE_PAGES] = {
		.name = "move_pages() with nodes == NULL",
		.prepare = prepare_move_pages, .run = try_move_pages,
		.err = EFAULT, .alt_err = ENOENT,
	},
	[GUP_FUTEX_SHARED] = {
		.name = "FUTEX_WAIT on a shared futex in the mapping",
		.run = try_futex_shared, .err = EFAULT,
	},
	[GUP_PROC_MEM_READ] = {
		.name = "pread() of /proc/self/mem at the mapping",
		.run = try_proc_mem_read, .err = EIO,
	},
	[GUP_PROC_MEM_WRITE] = {
		.name = "pwrite() of /proc/self/mem at the mapping",
		.run = try_proc_mem_write, .err = EIO,
	},
	[GUP_PTRACE_PEEKDATA] = {
		.name = "PTRACE_PEEKDATA from a traced child's mapping",
		.run = try_ptrace_peekdata, .err = EIO,
	},
	[GUP_PTRACE_POKEDATA] = {
		.name = "PTRACE_POKEDATA into a traced child's mapping",
		.run = try_ptrace_pokedata, .err = EIO,
	},
};

/*
 * Run @a in a child and give it ATTEMPT_TIMEOUT seconds: a GUP path that
 * never gives up (a FOLL_LONGTERM pin of CMA pages loops on the 6.1 base)
 * must fail its case, not hang the run.  The child arms alarm(); the parent
 * SIGKILLs it a second later in case alarm() is not there (POSIX timers
 * configured out) or the kernel does not get back to user space.
 */
static void run_bounded(const struct gup_attempt *a, char *map, size_t size,
			struct outcome *out, struct pin_counts *pins)
{
	uint64_t deadline = now_ms() + (ATTEMPT_TIMEOUT + 1) * 1000;
	struct pin_counts pins_before;
	bool killed = false;
	struct outcome *shared;
	int status = 0;
	pid_t pid;

	shared = mmap(NULL, sizeof(*shared), PROT_READ | PROT_WRITE,
		      MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (shared == MAP_FAILED) {
		outcome(out, BROKEN, errno, "mmap() of a result page: %m");
		say(pins->why, "no attempt made");
		pins->read = false;
		return;
	}
	outcome(shared, BROKEN, 0, "the child reported nothing");
	/* the attempt's pins, from before the fork to after the reaping */
	pin_counts_read(&pins_before);
	pid = fork_flushed();
	if (pid == 0) {
		signal(SIGALRM, SIG_DFL);
		alarm(ATTEMPT_TIMEOUT);
		/*
		 * fork() copies the ptes of a VM_PFNMAP vma but not those of a
		 * shared file mapping; fault the buffer in, so that walkers
		 * that do not fault (move_pages()) find what a process that
		 * uses the buffer has mapped.
		 */
		touch_pages(map, size);
		a->run(a, map, size, shared);
		_exit(0);
	}
	if (pid < 0) {
		outcome(shared, BROKEN, errno, "fork(): %m");
	} else {
		while (waitpid(pid, &status, WNOHANG) != pid) {
			if (now_ms() > deadline) {
				kill(pid, SIGKILL);
				status = wait_status(pid);
				killed = true;
				break;
			}
			usleep(10000);
		}
		if (killed || (WIFSIGNALED(status) &&
			       (WTERMSIG(status) == SIGALRM ||
				WTERMSIG(status) == SIGKILL)))
			outcome(shared, HUNG, 0, "no return within %d s, killed",
				ATTEMPT_TIMEOUT);
		else if (WIFSIGNALED(status))
			outcome(shared, DIED, WTERMSIG(status), "died of signal %d",
				WTERMSIG(status));
	}
	pin_counts_read(pins);
	pin_counts_delta(&pins_before, pins);
	*out = *shared;
	munmap(shared, sizeof(*shared));
}

/*
 * The body of every gup_* case: fill the buffer, aim @a at the mapping, and
 * expect a refusal as in gup_attempts[], no page pinned and the buffer as
 * the CPU wrote it.
 */
static void expect_gup_refused(struct __test_metadata *_metadata,
			       const char *source, char *map, size_t size,
			       enum gup_entry entry)
{
	const struct gup_attempt *a = &gup_attempts[entry];
	char why[WHY_LEN] = "";
	struct pin_counts pins;
	struct outcome o;
	ssize_t bad;

	if (a->prepare && !a->prepare(size, why))
		SKIP_CASE(return, source, "%s", why);

	fill_buffer(map, 0, size, SEED_GUP);
	run_bounded(a, map, size, &o, &pins);
	EXPECT_EQ(o.verdict, REFUSED)
		TH_LOG("%s: %s%s", a->name, o.detail,
		       o.verdict == TOOK ? ": GUP took the buffer's pages" : "");
	if (o.verdict == REFUSED) {
		EXPECT_TRUE(o.err == a->err ||
			    (a->alt_err && o.err == a->alt_err))
			TH_LOG("%s was refused, but not as the series refuses it: %s (expected %s)",
			       a->name, o.detail, a->err ? strerror(a->err) : "no errno");
	}
	/*
	 * Every entry of gup_attempts[] is one that must be refused, so no
	 * attempt may pin a page, not even for a moment (pinned, then
	 * released on the way to the error).  The counters are global: this
	 * expects nothing else on the machine to pin or unpin pages meanwhile
	 * (io_uring fixed buffers, vfio, RDMA), as in the test's QEMU guest.
	 */
	EXPECT_TRUE(pins.read)
		TH_LOG("%s: cannot count the pages it pinned: %s", a->name, pins.why);
	if (pins.read) {
		EXPECT_TRUE(!pins.acquired && !pins.released)
			TH_LOG("%s pinned: nr_foll_pin_acquired %+ld, nr_foll_pin_released %+ld",
			       a->name, pins.acquired, pins.released);
	}
	bad = buffer_mismatch(map, 0, size, SEED_GUP);
	EXPECT_EQ(bad, -1)
		TH_LOG("after %s the buffer differs from what the CPU wrote, at offset %zd",
		       a->name, bad);
}

/*
 * madvise() on a dma-buf mapping.  6.1 refuses, on any VM_PFNMAP vma,
 * MADV_DONTNEED and MADV_FREE (madvise_dontneed_free_valid_vma()),
 * MADV_COLD and MADV_PAGEOUT (can_madv_lru_vma()) and MADV_POPULATE_*
 * (faultin_vma_page_range(): GUP's check_vma_flags()), all with EINVAL;
 * the hints and MADV_WILLNEED (a no-op fadvise on the dma-buf file) succeed.
 * None of them may change the buffer.
 */
enum advice_group { ADV_DONTNEED, ADV_HINTS, ADV_RECLAIM, ADV_POPULATE };

static const struct advice {
	enum advice_group group;
	int advice;
	const char *name;
	int err;		/* 0: madvise() succeeds */
} advice_table[] = {
	{ ADV_DONTNEED,	MADV_DONTNEED,		"MADV_DONTNEED",	EINVAL },
	{ ADV_HINTS,	MADV_NORMAL,		"MADV_NORMAL",		0 },
	{ ADV_HINTS,	MADV_SEQUENTIAL,	"MADV_SEQUENTIAL",	0 },
	{ ADV_HINTS,	MADV_RANDOM,		"MADV_RANDOM",		0 },
	{ ADV_HINTS,	MADV_WILLNEED,		"MADV_WILLNEED",	0 },
	{ ADV_RECLAIM,	MADV_COLD,		"MADV_COLD",		EINVAL },
	{ ADV_RECLAIM,	MADV_PAGEOUT,		"MADV_PAGEOUT",		EINVAL },
	{ ADV_RECLAIM,	MADV_FREE,		"MADV_FREE",		EINVAL },
	{ ADV_POPULATE,	MADV_POPULATE_READ,	"MADV_POPULATE_READ",	EINVAL },
	{ ADV_POPULATE,	MADV_POPULATE_WRITE,	"MADV_POPULATE_WRITE",	EINVAL },
};

static void expect_advice(struct __test_metadata *_metadata, char *map,
			  size_t size, enum advice_group group)
{
	const struct advice *adv;
	ssize_t bad;
	int err;

	for (adv = advice_table; adv < advice_table + ARRAY_SIZE(advice_table); adv++) {
		if (adv->group != group)
			continue;
		err = madvise(map, size, adv->advice) ? errno : 0;
		EXPECT_EQ(err, adv->err)
			TH_LOG("%s: %s, expected %s", adv->name, strerror(err),
			       strerror(adv->err));
		bad = buffer_mismatch(map, 0, size, SEED_SETUP);
		EXPECT_EQ(bad, -1)
			TH_LOG("after %s the buffer differs at offset %zd",
			       adv->name, bad);
	}
}

/* The race: see race_odirect_munmap_close */
struct race {
	char *addr;		/* the buffer is mapped here, again and again */
	size_t size;
	int ram_fd;		/* RAM_DEV, O_DIRECT */
	void *bounce;		/* to read RAM_DEV back */
	int stop;
	unsigned long attempts;	/* direct I/Os aimed at the mapping */
	unsigned long moved;	/* of those, the ones that moved data */
	unsigned long foreign;	/* writes that put no buffer's data on disk */
	unsigned long efault;	/* the ones that failed with EFAULT */
	unsigned long other;	/* the ones that failed otherwise or did nothing */
	int other_err;		/* errno of the first of those, 0: returned 0 */
};

/* A new buffer reads as zeroes until the test has filled it. */
static bool all_from_buffers(const uint64_t *w, size_t len)
{
	size_t i;

	for (i = 0; i < len / 8; i++)
		if (w[i] && w[i] >> 32 != PATTERN_MAGIC)
			return false;
	return true;
}

/* Count a direct I/O that did not move data: EFAULT, or what else it was. */
static void race_io_failed(struct race *r, ssize_t n, int err)
{
	if (n < 0 && err == EFAULT) {
		r->efault++;
		return;
	}
	if (!r->other++)
		r->other_err = n < 0 ? err : 0;
}

static void *race_io(void *arg)
{
	struct race *r = arg;
	ssize_t n;

	while (!__atomic_load_n(&r->stop, __ATOMIC_RELAXED)) {
		/* the kernel reads the mapping */
		n = pwrite(r->ram_fd, r->addr, r->size, 0);
		if (n > 0) {
			r->moved++;
			if (pread(r->ram_fd, r->bounce, n, 0) != n ||
			    !all_from_buffers(r->bounce, n))
				r->foreign++;
		} else {
			race_io_failed(r, n, errno);
		}
		__atomic_add_fetch(&r->attempts, 1, __ATOMIC_RELAXED);
		/* the kernel writes the mapping */
		n = pread(r->ram_fd, r->addr, r->size, 0);
		if (n > 0)
			r->moved++;
		else
			race_io_failed(r, n, errno);
		__atomic_add_fetch(&r->attempts, 1, __ATOMIC_RELAXED);
	}
	return NULL;
}

FIXTURE(dmabuf_mmap)
{
	struct source_ctx ctx;
	struct buffer buf;
	char *map;		/* MAP_SHARED, read and write, the whole buffer */
	size_t size;		/* of the buffer */
	size_t map_len;		/* mapped at map now, for the teardown */
};

FIXTURE_VARIANT(dmabuf_mmap)
{
	const struct source *src;
};

FIXTURE_VARIANT_ADD(dmabuf_mmap, system_heap)
{
	.src = &system_heap_source,
};

FIXTURE_VARIANT_ADD(dmabuf_mmap, cma_heap)
{
	.src = &cma_heap_source,
};

FIXTURE_VARIANT_ADD(dmabuf_mmap, udmabuf_shmem)
{
	.src = &udmabuf_shmem_source,
};

FIXTURE_VARIANT_ADD(dmabuf_mmap, udmabuf_hugetlb)
{
	.src = &udmabuf_hugetlb_source,
};

FIXTURE_VARIANT_ADD(dmabuf_mmap, vgem)
{
	.src = &vgem_source,
};

FIXTURE_VARIANT_ADD(dmabuf_mmap, vgem_import)
{
	.src = &vgem_import_source,
};

FIXTURE_VARIANT_ADD(dmabuf_mmap, vivid)
{
	.src = &vivid_source,
};

/* Whether DMABUF_MMAP_CASES (see the top of this file) selects the case. */
static bool case_selected(const char *source, const char *name)
{
	const char *cases = getenv("DMABUF_MMAP_CASES");
	bool selecting = false, selected = false;
	char id[WHY_LEN], *list, *pattern, *pos;

	if (!cases || !*cases)
		return true;
	snprintf(id, sizeof(id), "%s.%s", source, name);
	list = strdup(cases);
	if (!list)
		return true;
	for (pattern = strtok_r(list, ",", &pos); pattern;
	     pattern = strtok_r(NULL, ",", &pos)) {
		if (*pattern == '!') {
			if (!fnmatch(pattern + 1, id, 0)) {
				free(list);
				return false;
			}
			continue;
		}
		selecting = true;
		if (!fnmatch(pattern, id, 0))
			selected = true;
	}
	free(list);
	return selected || !selecting;
}

/*
 * Make the buffer, map it whole, MAP_SHARED, read/write, and fill it.  On
 * the series an exporter whose mapping is not VM_PFNMAP is refused here
 * with EINVAL, which fails every case of its source.
 */
FIXTURE_SETUP(dmabuf_mmap)
{
	const struct source *src = variant->src;
	char why[WHY_LEN] = "";
	enum src_status status;
	int err;

	ctx_init(&self->ctx);
	buffer_init(&self->buf);
	self->map = MAP_FAILED;

	if (!case_selected(src->name, _metadata->name))
		SETUP_SKIP(src->name, "not selected by DMABUF_MMAP_CASES");

	status = src->open(&self->ctx, why);
	if (status == SRC_OK)
		status = src->create(&self->ctx, &self->buf, why);
	if (status != SRC_OK) {
		buffer_put(&self->buf);
		ctx_put(&self->ctx);
	}
	if (status == SRC_SKIP)
		SETUP_SKIP(src->name, "%s", why);
	ASSERT_EQ(status, SRC_OK)
		TH_LOG("%s: %s", src->name, why);

	self->size = self->buf.size;
	self->map = map_buffer(&self->buf, self->size, PROT_READ | PROT_WRITE,
			       MAP_SHARED, 0);
	err = errno;
	if (self->map == MAP_FAILED) {
		buffer_put(&self->buf);
		ctx_put(&self->ctx);
	}
	ASSERT_NE(self->map, MAP_FAILED)
		TH_LOG("mmap() of a %s buffer: %s", src->name, strerror(err));
	self->map_len = self->size;
	fill_buffer(self->map, 0, self->size, SEED_SETUP);
}

FIXTURE_TEARDOWN(dmabuf_mmap)
{
	if (self->map != MAP_FAILED)
		munmap(self->map, self->map_len);
	buffer_put(&self->buf);
	ctx_put(&self->ctx);
}

/* The vma is VM_PFNMAP ("pf" in VmFlags); on the base not for cma_heap, udmabuf_*, vivid. */
TEST_F(dmabuf_mmap, vma_is_pfnmap)
{
	char flags[512];

	if (!vma_flags(self->map, flags, sizeof(flags)))
		SKIP_CASE(return, variant->src->name,
			  "no VmFlags in /proc/self/smaps (CONFIG_PROC_PAGE_MONITOR)");
	EXPECT_NE(strstr(flags, " pf "), NULL)
		TH_LOG("VmFlags:%s", flags);
}

/*
 * CPU writes through one mapping are seen through a second one, with
 * DMA_BUF_IOCTL_SYNC around each access as dma-buf wants.
 */
TEST_F(dmabuf_mmap, cpu_access)
{
	int fd = self->buf.dmabuf_fd;
	char *second;

	second = map_buffer(&self->buf, self->size, PROT_READ | PROT_WRITE,
			    MAP_SHARED, 0);
	ASSERT_NE(second, MAP_FAILED)
		TH_LOG("a second mmap(): %s", strerror(errno));

	ASSERT_EQ(dmabuf_sync(fd, DMA_BUF_SYNC_START | DMA_BUF_SYNC_WRITE), 0);
	fill_buffer(self->map, 0, self->size, SEED_GUP);
	ASSERT_EQ(dmabuf_sync(fd, DMA_BUF_SYNC_END | DMA_BUF_SYNC_WRITE), 0);
	ASSERT_EQ(dmabuf_sync(fd, DMA_BUF_SYNC_START | DMA_BUF_SYNC_READ), 0);
	EXPECT_EQ(buffer_mismatch(second, 0, self->size, SEED_GUP), -1);
	ASSERT_EQ(dmabuf_sync(fd, DMA_BUF_SYNC_END | DMA_BUF_SYNC_READ), 0);

	ASSERT_EQ(dmabuf_sync(fd, DMA_BUF_SYNC_START | DMA_BUF_SYNC_RW), 0);
	fill_buffer(second, 0, self->size, SEED_SECOND);
	ASSERT_EQ(dmabuf_sync(fd, DMA_BUF_SYNC_END | DMA_BUF_SYNC_RW), 0);
	ASSERT_EQ(dmabuf_sync(fd, DMA_BUF_SYNC_START | DMA_BUF_SYNC_READ), 0);
	EXPECT_EQ(buffer_mismatch(self->map, 0, self->size, SEED_SECOND), -1);
	ASSERT_EQ(dmabuf_sync(fd, DMA_BUF_SYNC_END | DMA_BUF_SYNC_READ), 0);

	munmap(second, self->size);
}

/*
 * GUP entry points: each is refused as gup_attempts[] says, returns
 * within ATTEMPT_TIMEOUT, and leaves the buffer as the CPU wrote it.
 * Base: cma_heap, udmabuf_* and vivid let most of them through;
 * gup_pin_user_pages_longterm and gup_io_uring_register_buffers hang on
 * cma_heap.
 */
TEST_F(dmabuf_mmap, gup_odirect_read)
{
	expect_gup_refused(_metadata, variant->src->name, self->map, self->size,
			   GUP_ODIRECT_READ);
}

TEST_F(dmabuf_mmap, gup_odirect_write)
{
	expect_gup_refused(_metadata, variant->src->name, self->map, self->size,
			   GUP_ODIRECT_WRITE);
}

TEST_F(dmabuf_mmap, gup_vmsplice)
{
	expect_gup_refused(_metadata, variant->src->name, self->map, self->size,
			   GUP_VMSPLICE);
}

TEST_F(dmabuf_mmap, gup_process_vm_readv)
{
	expect_gup_refused(_metadata, variant->src->name, self->map, self->size,
			   GUP_PROCESS_VM_READV);
}

TEST_F(dmabuf_mmap, gup_process_vm_writev)
{
	expect_gup_refused(_metadata, variant->src->name, self->map, self->size,
			   GUP_PROCESS_VM_WRITEV);
}

TEST_F(dmabuf_mmap, gup_io_uring_register_buffers)
{
	expect_gup_refused(_metadata, variant->src->name, self->map, self->size,
			   GUP_IO_URING_REGISTER);
}

TEST_F(dmabuf_mmap, gup_get_user_pages_fast)
{
	expect_gup_refused(_metadata, variant->src->name, self->map, self->size,
			   GUP_FAST);
}

TEST_F(dmabuf_mmap, gup_get_user_pages)
{
	expect_gup_refused(_metadata, variant->src->name, self->map, self->size,
			   GUP_BASIC);
}

TEST_F(dmabuf_mmap, gup_pin_user_pages_fast)
{
	expect_gup_refused(_metadata, variant->src->name, self->map, self->size,
			   PIN_FAST);
}

TEST_F(dmabuf_mmap, gup_pin_user_pages)
{
	expect_gup_refused(_metadata, variant->src->name, self->map, self->size,
			   PIN_BASIC);
}

TEST_F(dmabuf_mmap, gup_pin_user_pages_longterm)
{
	expect_gup_refused(_metadata, variant->src->name, self->map, self->size,
			   PIN_LONGTERM);
}

TEST_F(dmabuf_mmap, gup_move_pages)
{
	expect_gup_refused(_metadata, variant->src->name, self->map, self->size,
			   GUP_MOVE_PAGES);
}

/* Shared futexes fail (EFAULT); private ones need no page and still work. */
TEST_F(dmabuf_mmap, gup_futex_shared)
{
	uint32_t *word = (uint32_t *)self->map;
	struct timespec timeout = { .tv_nsec = 1000000 };
	long ret;

	ret = syscall(__NR_futex, word, FUTEX_WAIT_PRIVATE, *word + 1, &timeout,
		      NULL, 0);
	EXPECT_TRUE(ret == -1 && errno == EAGAIN)
		TH_LOG("a private FUTEX_WAIT on a stale value: %ld, %s",
		       ret, strerror(errno));
	expect_gup_refused(_metadata, variant->src->name, self->map, self->size,
			   GUP_FUTEX_SHARED);
}

TEST_F(dmabuf_mmap, gup_proc_mem_read)
{
	expect_gup_refused(_metadata, variant->src->name, self->map, self->size,
			   GUP_PROC_MEM_READ);
}

TEST_F(dmabuf_mmap, gup_proc_mem_write)
{
	expect_gup_refused(_metadata, variant->src->name, self->map, self->size,
			   GUP_PROC_MEM_WRITE);
}

TEST_F(dmabuf_mmap, gup_ptrace_peekdata)
{
	expect_gup_refused(_metadata, variant->src->name, self->map, self->size,
			   GUP_PTRACE_PEEKDATA);
}

TEST_F(dmabuf_mmap, gup_ptrace_pokedata)
{
	expect_gup_refused(_metadata, variant->src->name, self->map, self->size,
			   GUP_PTRACE_POKEDATA);
}

/* fork(): the child sees the buffer and writes it; the parent sees that. */
TEST_F(dmabuf_mmap, fork_shares_buffer)
{
	int status;
	pid_t pid;

	pid = fork_flushed();
	ASSERT_GE(pid, 0);
	if (pid == 0) {
		if (buffer_mismatch(self->map, 0, self->size, SEED_SETUP) != -1)
			_exit(1);
		fill_buffer(self->map, 0, self->size, SEED_SECOND);
		_exit(0);
	}
	status = wait_status(pid);
	EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0)
		TH_LOG("the child did not find the buffer's data (status %#x)", status);
	EXPECT_EQ(buffer_mismatch(self->map, 0, self->size, SEED_SECOND), -1)
		TH_LOG("the child's writes did not reach the parent");
}

static long minor_faults(void)
{
	struct rusage ru;

	return getrusage(RUSAGE_SELF, &ru) ? -1 : ru.ru_minflt;
}

/* The "Rss:" of the vma that starts at @addr in /proc/self/smaps, or -1. */
static long smaps_rss_kb(void *addr)
{
	unsigned long start, end;
	bool found = false;
	char line[512];
	long rss = -1;
	FILE *f;

	f = fopen("/proc/self/smaps", "r");
	if (!f)
		return -1;
	while (rss < 0 && fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%lx-%lx ", &start, &end) == 2)
			found = start == (unsigned long)addr;
		else if (found && sscanf(line, "Rss: %ld kB", &rss) != 1)
			rss = -1;
	}
	fclose(f);
	return rss;
}

/* Pages of [addr, addr + len) /proc/self/pagemap reports present, or -1. */
static long pagemap_present(void *addr, size_t len)
{
	size_t i, n = len / page_size();
	ssize_t want = n * sizeof(uint64_t);
	uint64_t *entries = calloc(n, sizeof(uint64_t));
	long present = -1;
	int fd;

	fd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
	if (fd >= 0 && entries &&
	    pread(fd, entries, want, (uintptr_t)addr / page_size() * 8) == want) {
		present = 0;
		for (i = 0; i < n; i++)
			present += entries[i] >> 63;
	}
	if (fd >= 0)
		close(fd);
	free(entries);
	return present;
}

/* The [mode] of /sys/kernel/mm/transparent_hugepage/enabled, or "". */
static const char *thp_mode(char *mode, size_t len)
{
	char line[128], *start = NULL, *end = NULL;
	FILE *f = fopen("/sys/kernel/mm/transparent_hugepage/enabled", "r");

	mode[0] = '\0';
	if (!f)
		return mode;
	if (fgets(line, sizeof(line), f))
		start = strchr(line, '[');
	if (start)
		end = strchr(start, ']');
	if (end) {
		*end = '\0';
		snprintf(mode, len, "%s", start + 1);
	}
	fclose(f);
	return mode;
}

/*
 * Huge mappings.  A new mapping of the whole dma-buf lands at a 2 MiB aligned
 * address (the dma-buf file's get_unmapped_area(), with transparent huge
 * pages), and the CMA heap, whose buffers are physically contiguous and 2 MiB
 * aligned (where its area has room, as a fresh one has), maps each 2 MiB with
 * one special pmd: touching every page takes one fault per 2 MiB.  A mapping
 * that starts 4 KiB into the buffer cannot use pmds and falls back to ptes,
 * with the same data.  /proc/pid/smaps and /proc/pid/pagemap see no page in
 * the mapping.  All the other cases of cma_heap run on the pmds, the GUP
 * cases included.
 * Base: no alignment, one fault per 4 KiB; CMA heap and udmabuf pages in
 * smaps and pagemap.
 */
TEST_F(dmabuf_mmap, huge_mapping)
{
	size_t hpage = 2UL << 20, pg = page_size();
	long faults, expected;
	char mode[32];
	char *second;

	if (self->buf.map_fd != self->buf.dmabuf_fd || self->buf.map_offset)
		SKIP_CASE(return, variant->src->name,
			  "mapped through another file than the dma-buf's");
	if (!*thp_mode(mode, sizeof(mode)))
		SKIP_CASE(return, variant->src->name,
			  "no /sys/kernel/mm/transparent_hugepage (CONFIG_TRANSPARENT_HUGEPAGE)");
	if (self->size < hpage || self->size % hpage)
		SKIP_CASE(return, variant->src->name,
			  "buffer of %zu bytes, not a multiple of 2 MiB", self->size);

	second = map_buffer(&self->buf, self->size, PROT_READ | PROT_WRITE,
			    MAP_SHARED, 0);
	ASSERT_NE(second, MAP_FAILED)
		TH_LOG("a second mmap(): %s", strerror(errno));
	EXPECT_EQ((uintptr_t)second % hpage, 0)
		TH_LOG("a %zu byte mapping at %p, not 2 MiB aligned",
		       self->size, second);

	faults = minor_faults();
	EXPECT_EQ(buffer_mismatch(second, 0, self->size, SEED_SETUP), -1);
	faults = minor_faults() - faults;
	if (variant->src == &cma_heap_source && strcmp(mode, "never")) {
		/* give or take a fault of the test's own stack or code */
		expected = self->size / hpage;
		EXPECT_LE(faults, expected + 2)
			TH_LOG("%ld faults to read %zu bytes, %ld with pmds",
			       faults, self->size, expected);
	}
	/*
	 * Whether mapped with pmds or ptes, the walkers of /proc/pid/smaps and
	 * /proc/pid/pagemap find no page in it: Rss 0, nothing present.
	 */
	EXPECT_EQ(smaps_rss_kb(second), 0);
	EXPECT_EQ(pagemap_present(second, self->size), 0);
	munmap(second, self->size);

	/*
	 * 4 KiB into the buffer: never aligned like it, so ptes.  Only for the
	 * CMA heap, whose fault count this checks; map_at_offset checks the
	 * data at an offset on every source.
	 */
	if (variant->src != &cma_heap_source)
		return;
	second = map_buffer(&self->buf, self->size - pg, PROT_READ, MAP_SHARED,
			    pg);
	ASSERT_NE(second, MAP_FAILED)
		TH_LOG("mmap() at offset %zu: %s", pg, strerror(errno));
	faults = minor_faults();
	EXPECT_EQ(buffer_mismatch(second - pg, pg, self->size, SEED_SETUP), -1);
	faults = minor_faults() - faults;
	EXPECT_GE(faults, (long)((self->size - pg) / pg))
		TH_LOG("%ld faults to read %zu bytes with ptes",
		       faults, self->size - pg);
	munmap(second, self->size - pg);
}

/* mremap(MREMAP_MAYMOVE | MREMAP_FIXED): works, the data moves along. */
TEST_F(dmabuf_mmap, mremap_move)
{
	char *target, *moved, *old = self->map;

	target = mmap(NULL, self->size, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS,
		      -1, 0);
	ASSERT_NE(target, MAP_FAILED);
	moved = mremap(self->map, self->size, self->size,
		       MREMAP_MAYMOVE | MREMAP_FIXED, target);
	if (moved == MAP_FAILED)
		munmap(target, self->size);
	ASSERT_EQ(moved, target)
		TH_LOG("mremap() to a new place: %s", strerror(errno));
	self->map = moved;

	EXPECT_FALSE(is_mapped(old, page_size()));
	EXPECT_EQ(buffer_mismatch(self->map, 0, self->size, SEED_SETUP), -1);
	fill_buffer(self->map, 0, self->size, SEED_SECOND);
	EXPECT_EQ(buffer_mismatch(self->map, 0, self->size, SEED_SECOND), -1);
}

/* mremap() to half the length: works, the first half is still the buffer. */
TEST_F(dmabuf_mmap, mremap_shrink)
{
	size_t half = (self->size / 2) & ~(page_size() - 1);
	char *shrunk;

	shrunk = mremap(self->map, self->size, half, 0);
	ASSERT_EQ(shrunk, self->map)
		TH_LOG("mremap() to %zu bytes: %s", half, strerror(errno));
	self->map_len = half;

	EXPECT_FALSE(is_mapped(self->map + half, page_size()));
	EXPECT_EQ(buffer_mismatch(self->map, 0, half, SEED_SETUP), -1);
}

/*
 * mremap() past the buffer is refused with EFAULT (vma_to_resize():
 * VM_DONTEXPAND | VM_PFNMAP), in place, moving, and as a duplicate
 * (old_len 0).  Base: cma_heap and udmabuf_* grow, as far as mremap() likes.
 */
TEST_F(dmabuf_mmap, mremap_grow)
{
	static const struct {
		const char *what;
		bool dup;
		int flags;
	} grow[] = {
		{ "grow in place",		false,	0 },
		{ "grow, may move",		false,	MREMAP_MAYMOVE },
		{ "duplicate (old_len 0)",	true,	MREMAP_MAYMOVE },
	};
	size_t i;

	for (i = 0; i < ARRAY_SIZE(grow); i++) {
		size_t old_len = grow[i].dup ? 0 : self->size;
		size_t new_len = grow[i].dup ? self->size : 2 * self->size;
		char *p = mremap(self->map, old_len, new_len, grow[i].flags);
		int err = errno;

		EXPECT_EQ(p, MAP_FAILED)
			TH_LOG("mremap(): %s worked", grow[i].what);
		if (p == MAP_FAILED) {
			EXPECT_EQ(err, EFAULT)
				TH_LOG("mremap(): %s: %s", grow[i].what, strerror(err));
		} else if (grow[i].dup) {
			munmap(p, new_len);
		} else {
			self->map = p;
			self->map_len = new_len;
		}
	}
	EXPECT_EQ(buffer_mismatch(self->map, 0, self->size, SEED_SETUP), -1);
}

/*
 * MREMAP_DONTUNMAP would leave an empty vma behind to refault into, which
 * makes no sense for a PFN mapping: EINVAL (vma_to_resize()).
 */
TEST_F(dmabuf_mmap, mremap_dontunmap)
{
	char *p = mremap(self->map, self->size, self->size,
			 MREMAP_MAYMOVE | MREMAP_DONTUNMAP);
	int err = errno;

	EXPECT_EQ(p, MAP_FAILED);
	if (p == MAP_FAILED) {
		EXPECT_EQ(err, EINVAL)
			TH_LOG("mremap(MREMAP_DONTUNMAP): %s", strerror(err));
	} else {
		munmap(p, self->size);
	}
	EXPECT_EQ(buffer_mismatch(self->map, 0, self->size, SEED_SETUP), -1);
}

/* munmap() of a page in the middle: the rest stays mapped and intact. */
TEST_F(dmabuf_mmap, munmap_partial)
{
	size_t hole = (self->size / 2) & ~(page_size() - 1);
	size_t after = hole + page_size();

	ASSERT_EQ(munmap(self->map + hole, page_size()), 0);
	EXPECT_FALSE(is_mapped(self->map + hole, page_size()));
	EXPECT_EQ(buffer_mismatch(self->map, 0, hole, SEED_SETUP), -1);
	EXPECT_EQ(buffer_mismatch(self->map, after, self->size, SEED_SETUP), -1);
	fill_buffer(self->map, 0, hole, SEED_SECOND);
	fill_buffer(self->map, after, self->size, SEED_SECOND);
	EXPECT_EQ(buffer_mismatch(self->map, 0, hole, SEED_SECOND), -1);
	EXPECT_EQ(buffer_mismatch(self->map, after, self->size, SEED_SECOND), -1);
}

/*
 * mprotect(PROT_READ): reads work, a write gets SIGSEGV (in a child);
 * back to PROT_READ | PROT_WRITE, writes work again.
 */
TEST_F(dmabuf_mmap, mprotect)
{
	uint64_t *word = (uint64_t *)self->map;
	int status;
	pid_t pid;

	ASSERT_EQ(mprotect(self->map, self->size, PROT_READ), 0);
	pid = fork_flushed();
	ASSERT_GE(pid, 0);
	if (pid == 0) {
		if (__atomic_load_n(word, __ATOMIC_RELAXED) !=
		    pattern_word(PATTERN_MAGIC, SEED_SETUP, 0))
			_exit(2);
		__atomic_store_n(word, 0, __ATOMIC_RELAXED);
		_exit(0);
	}
	status = wait_status(pid);
	EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGSEGV)
		TH_LOG("a write to a PROT_READ mapping: status %#x, not SIGSEGV", status);
	EXPECT_EQ(buffer_mismatch(self->map, 0, self->size, SEED_SETUP), -1);

	ASSERT_EQ(mprotect(self->map, self->size, PROT_READ | PROT_WRITE), 0);
	fill_buffer(self->map, 0, self->size, SEED_SECOND);
	EXPECT_EQ(buffer_mismatch(self->map, 0, self->size, SEED_SECOND), -1);
}

/*
 * madvise(): as advice_table[] says.  On the base cma_heap, udmabuf_* and
 * vivid are not VM_PFNMAP, and MADV_DONTNEED, MADV_COLD, MADV_PAGEOUT and
 * MADV_POPULATE_* succeed there.
 */
TEST_F(dmabuf_mmap, madvise_dontneed)
{
	expect_advice(_metadata, self->map, self->size, ADV_DONTNEED);
}

TEST_F(dmabuf_mmap, madvise_hints)
{
	expect_advice(_metadata, self->map, self->size, ADV_HINTS);
}

TEST_F(dmabuf_mmap, madvise_reclaim)
{
	expect_advice(_metadata, self->map, self->size, ADV_RECLAIM);
}

TEST_F(dmabuf_mmap, madvise_populate)
{
	expect_advice(_metadata, self->map, self->size, ADV_POPULATE);
}

/* MADV_DONTFORK: works, a child of fork() has no mapping there. */
TEST_F(dmabuf_mmap, madvise_dontfork)
{
	int status;
	pid_t pid;

	ASSERT_EQ(madvise(self->map, self->size, MADV_DONTFORK), 0);
	pid = fork_flushed();
	ASSERT_GE(pid, 0);
	if (pid == 0)
		_exit(is_mapped(self->map, page_size()) ? 1 : 0);
	status = wait_status(pid);
	EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0)
		TH_LOG("the child has the MADV_DONTFORK mapping (status %#x)", status);
	EXPECT_EQ(buffer_mismatch(self->map, 0, self->size, SEED_SETUP), -1);
}

/*
 * MAP_PRIVATE is refused with EINVAL, writable or not (the fd is O_RDWR, so
 * the vma is VM_MAYWRITE, a COW mapping either way).  Base: vivid allows it.
 */
TEST_F(dmabuf_mmap, map_private)
{
	static const int prots[] = { PROT_READ | PROT_WRITE, PROT_READ };
	size_t i;

	for (i = 0; i < ARRAY_SIZE(prots); i++) {
		char *p = map_buffer(&self->buf, self->size, prots[i],
				     MAP_PRIVATE, 0);
		int err = errno;

		EXPECT_EQ(p, MAP_FAILED)
			TH_LOG("MAP_PRIVATE with prot %#x worked", prots[i]);
		if (p == MAP_FAILED) {
			EXPECT_EQ(err, EINVAL)
				TH_LOG("MAP_PRIVATE: %s", strerror(err));
		} else {
			munmap(p, self->size);
		}
	}
}

/* A mapping that runs past the end of the buffer: EINVAL. */
TEST_F(dmabuf_mmap, offset_past_end)
{
	const struct {
		size_t len;
		off_t offset;
	} bad[] = {
		{ self->size, self->size },
		{ page_size(), self->size },
		{ self->size, page_size() },
	};
	size_t i;

	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		char *p = map_buffer(&self->buf, bad[i].len,
				     PROT_READ | PROT_WRITE, MAP_SHARED,
				     bad[i].offset);
		int err = errno;

		EXPECT_EQ(p, MAP_FAILED)
			TH_LOG("%zu bytes at offset %jd worked",
			       bad[i].len, (intmax_t)bad[i].offset);
		if (p == MAP_FAILED) {
			EXPECT_EQ(err, EINVAL)
				TH_LOG("%zu bytes at offset %jd: %s", bad[i].len,
				       (intmax_t)bad[i].offset, strerror(err));
		} else {
			munmap(p, bad[i].len);
		}
	}
}

/*
 * A mapping that starts inside the buffer shows the buffer from that offset
 * on, and a write through it lands there; an exporter that cannot map from
 * an offset must refuse it with EINVAL rather than show other bytes.
 * Mappings of the rest of the buffer from its second page, of its last page
 * and of one page in its middle.  Base: vgem and vivid show the buffer from
 * its start whatever the offset.
 */
TEST_F(dmabuf_mmap, map_at_offset)
{
	size_t pg = page_size(), mid = (self->size / 2) & ~(page_size() - 1);
	const struct {
		size_t off, len;
	} maps[] = {
		{ pg, self->size - pg },
		{ self->size - pg, pg },
		{ mid, pg },
	};
	size_t i;

	if (self->size < 2 * pg)
		SKIP_CASE(return, variant->src->name,
			  "a buffer of one page has no offset to map from");

	for (i = 0; i < ARRAY_SIZE(maps); i++) {
		size_t off = maps[i].off, len = maps[i].len;
		uint64_t *word, *seen, old;
		char *p;
		int err;

		p = map_buffer(&self->buf, len, PROT_READ | PROT_WRITE,
			       MAP_SHARED, off);
		err = errno;
		if (p == MAP_FAILED) {
			EXPECT_EQ(err, EINVAL)
				TH_LOG("%zu bytes at offset %zu: %s", len, off,
				       strerror(err));
			ksft_print_msg("%s: %zu bytes at offset %zu refused: %s\n",
				       variant->src->name, len, off,
				       strerror(err));
			continue;
		}
		EXPECT_EQ(buffer_mismatch(p - off, off, off + len, SEED_SETUP),
			  -1)
			TH_LOG("%zu bytes at offset %zu: wrong from %zd on",
			       len, off,
			       buffer_mismatch(p - off, off, off + len,
					       SEED_SETUP));

		/* A write through it shows in the whole mapping, at @off. */
		word = (uint64_t *)p;
		seen = (uint64_t *)(self->map + off);
		old = *word;
		*word = ~old;
		EXPECT_EQ(*seen, ~old)
			TH_LOG("a write at offset %zu did not land there", off);
		*word = old;
		munmap(p, len);
	}
}

/*
 * Lengths and offsets that overflow: a length that wraps to 0 when rounded
 * up, or is larger than the address space, ENOMEM (do_mmap()); twice the
 * buffer, EINVAL (the dma-buf size check); an offset whose end wraps,
 * EOVERFLOW (file_mmap_ok(); a DRM node has FMODE_UNSIGNED_OFFSET, there the
 * offset lookup fails with EINVAL).
 */
TEST_F(dmabuf_mmap, length_overflow)
{
	bool via_dmabuf = self->buf.map_fd == self->buf.dmabuf_fd;
	const struct {
		size_t len;
		off_t offset;
		int err;
	} bad[] = {
		{ SIZE_MAX, 0, ENOMEM },
		{ SIZE_MAX & ~(page_size() - 1), 0, ENOMEM },
		{ 2 * self->size, 0, EINVAL },
		{ self->size, -(off_t)page_size() - self->buf.map_offset,
		  via_dmabuf ? EOVERFLOW : EINVAL },
	};
	size_t i;

	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		char *p = map_buffer(&self->buf, bad[i].len,
				     PROT_READ | PROT_WRITE, MAP_SHARED,
				     bad[i].offset);
		int err = errno;

		EXPECT_EQ(p, MAP_FAILED)
			TH_LOG("%#zx bytes at offset %jd worked",
			       bad[i].len, (intmax_t)bad[i].offset);
		if (p == MAP_FAILED) {
			EXPECT_EQ(err, bad[i].err)
				TH_LOG("%#zx bytes at offset %jd: %s, expected %s",
				       bad[i].len, (intmax_t)bad[i].offset,
				       strerror(err), strerror(bad[i].err));
		} else {
			munmap(p, bad[i].len);
		}
	}
}

/* mmap() of zero bytes: EINVAL. */
TEST_F(dmabuf_mmap, zero_length)
{
	char *p = map_buffer(&self->buf, 0, PROT_READ | PROT_WRITE,
			     MAP_SHARED, 0);

	EXPECT_EQ(p, MAP_FAILED);
	EXPECT_EQ(errno, EINVAL);
}

/*
 * Dropping every fd and handle on the buffer while it is mapped: the
 * mapping holds the dma-buf file, so the buffer stays readable and
 * writable until munmap().
 */
TEST_F(dmabuf_mmap, close_while_mapped)
{
	buffer_put(&self->buf);
	EXPECT_EQ(buffer_mismatch(self->map, 0, self->size, SEED_SETUP), -1);
	fill_buffer(self->map, 0, self->size, SEED_SECOND);
	EXPECT_EQ(buffer_mismatch(self->map, 0, self->size, SEED_SECOND), -1);
}

/*
 * Daniel Vetter's recipe for the use-after-free that GUP on a dma-buf
 * mapping allows: direct I/O into and out of the mapping in one thread,
 * while the other unmaps the buffer, drops it (the exporter frees the
 * memory) and maps a new one at the same address, for RACE_ITERATIONS
 * rounds and on until the I/O thread has made RACE_MIN_IOS direct I/Os, but
 * RACE_SECONDS at most, or, on a machine too slow to reach the minimums
 * below in that time, RACE_MAX_SECONDS at most.  Expected: the race ran, at least RACE_MIN_ROUNDS
 * rounds and RACE_MIN_IOS direct I/Os (a healthy run makes all the rounds
 * and thousands of I/Os); no direct I/O moves any data, every one fails
 * with EFAULT (refused, or nothing mapped), and should one get through,
 * what it wrote to disk came from a buffer, not from freed memory; and no
 * kernel splat (the harness checks the console for KASAN and the like).
 */
TEST_F_TIMEOUT(dmabuf_mmap, race_odirect_munmap_close, 60)
{
	const struct source *src = variant->src;
	struct race r = { .addr = self->map, .size = self->size };
	char why[WHY_LEN] = "";
	uint64_t start = now_ms(), now;
	enum src_status status = SRC_OK;
	unsigned int i;
	pthread_t io;
	char *p;

	if (!ram0_fill(self->size, PATTERN_MAGIC, SEED_RAM, why))
		SKIP_CASE(return, src->name, "%s", why);
	r.ram_fd = open(RAM_DEV, O_RDWR | O_DIRECT | O_CLOEXEC);
	ASSERT_GE(r.ram_fd, 0);
	ASSERT_EQ(posix_memalign(&r.bounce, page_size(), self->size), 0);
	ASSERT_EQ(pthread_create(&io, NULL, race_io, &r), 0);

	for (i = 0; ; i++) {
		bool ios = __atomic_load_n(&r.attempts, __ATOMIC_RELAXED) >=
			   RACE_MIN_IOS;

		now = now_ms();
		if (now >= start + RACE_MAX_SECONDS * 1000 ||
		    (ios && i >= RACE_ITERATIONS) ||
		    (ios && i >= RACE_MIN_ROUNDS &&
		     now >= start + RACE_SECONDS * 1000))
			break;
		munmap(r.addr, r.size);
		buffer_put(&self->buf);
		status = src->create(&self->ctx, &self->buf, why);
		if (status != SRC_OK)
			break;
		p = mmap(r.addr, r.size, PROT_READ | PROT_WRITE,
			 MAP_SHARED | MAP_FIXED, self->buf.map_fd,
			 self->buf.map_offset);
		if (p != r.addr) {
			say(why, "mmap(MAP_FIXED) of a new buffer: %m");
			status = SRC_FAIL;
			break;
		}
		fill_buffer(p, 0, r.size, SEED_SETUP + i);
	}

	__atomic_store_n(&r.stop, 1, __ATOMIC_RELAXED);
	pthread_join(io, NULL);
	free(r.bounce);
	close(r.ram_fd);
	if (status != SRC_OK) {
		/* the teardown must not unmap what is no longer the buffer */
		self->map = MAP_FAILED;
		munmap(r.addr, r.size);
	}
	ASSERT_EQ(status, SRC_OK)
		TH_LOG("round %u: %s", i, why);

	TH_LOG("%u rounds, %lu direct I/Os: %lu EFAULT, %lu moved data, %lu otherwise",
	       i, r.attempts, r.efault, r.moved, r.other);
	EXPECT_GE(i, RACE_MIN_ROUNDS)
		TH_LOG("%u rounds of munmap() and close() in %d s, fewer than %u: no race",
		       i, RACE_MAX_SECONDS, RACE_MIN_ROUNDS);
	EXPECT_GE(r.attempts, RACE_MIN_IOS)
		TH_LOG("%lu direct I/Os in %u rounds, fewer than %lu: no race",
		       r.attempts, i, RACE_MIN_IOS);
	EXPECT_EQ(r.moved, 0)
		TH_LOG("%lu of %lu direct I/Os moved data through the mapping",
		       r.moved, r.attempts);
	EXPECT_EQ(r.other, 0UL)
		TH_LOG("%lu of %lu direct I/Os did not fail with EFAULT, the first: %s (errno %d)",
		       r.other, r.attempts,
		       r.other_err ? strerror(r.other_err) : "returned 0, no error",
		       r.other_err);
	EXPECT_EQ(r.foreign, 0)
		TH_LOG("%lu direct I/O writes put data on %s that came from no buffer",
		       r.foreign, RAM_DEV);
}

/*
 * Huge and pte faults racing on one empty 2 MiB.  The CMA heap maps an
 * aligned 2 MiB with a special pmd from ->huge_fault when
 * transparent_hugepage/enabled allows it, and with ptes through ->fault
 * when it does not; the core reads the setting on every fault, without a
 * lock.  So while root switches it between "always" and "never", two
 * threads that fault on the same empty 2 MiB can take different paths,
 * and the one that maps ptes must find the huge entry the other one put
 * there in the meantime and back off, not walk it as a page table.
 *
 * FAULT_RACE_THREADS threads touch the first, a middle and the last word
 * of FAULT_RACE_WINDOWS aligned 2 MiB windows onto the buffer, all in the
 * same order; one of them with an atomic add of 0, a write fault that
 * leaves the data as it is.  Between rounds the windows are mapped again
 * with MAP_FIXED, which unmaps them first and so leaves their pmds empty:
 * munmap() alone would do as well, MADV_DONTNEED is refused on these
 * mappings.  The threads run in a child process, so that the parent, which
 * switches the setting, puts the original mode back whatever happens to
 * the child.
 */
#define THP_ENABLED		"/sys/kernel/mm/transparent_hugepage/enabled"
#define FAULT_RACE_THREADS	3
#define FAULT_RACE_WINDOWS	8
#define FAULT_RACE_SECONDS	12	/* then on until FAULT_RACE_MIN_ROUNDS, */
#define FAULT_RACE_MAX_SECONDS	30	/* but no longer than this */
#define FAULT_RACE_GRACE	15	/* seconds the child may overrun */
#define FAULT_RACE_MIN_ROUNDS	100
#define FAULT_RACE_MIN_FLIPS	20

/* What the child reports to the parent, in memory they share. */
struct fault_race_result {
	unsigned long rounds;
	unsigned long touches;
	unsigned long bad;		/* words that did not read as written */
	unsigned long bad_round;	/* the first such word: */
	unsigned long bad_off;
	unsigned int bad_window;
	uint64_t bad_val;
	int err;			/* errno of a failed setup step */
	char what[64];			/* and the step */
};

struct fault_race {
	struct fault_race_result *res;
	char *win[FAULT_RACE_WINDOWS];
	size_t size;			/* of a window: 2 MiB */
	pthread_barrier_t start, done;
	unsigned long round;
	int stop;
};

struct fault_racer {
	struct fault_race *race;
	bool writer;
	unsigned long touches, bad, bad_round, bad_off;
	unsigned int bad_window;
	uint64_t bad_val;
};

static void *fault_racer_run(void *arg)
{
	struct fault_racer *f = arg;
	struct fault_race *r = f->race;
	const size_t offs[] = { 0, r->size / 2 + 8, r->size - 8 };
	unsigned int w, i;
	uint64_t *p, got, want;

	for (;;) {
		pthread_barrier_wait(&r->start);
		if (__atomic_load_n(&r->stop, __ATOMIC_ACQUIRE))
			break;
		for (w = 0; w < FAULT_RACE_WINDOWS; w++) {
			for (i = 0; i < ARRAY_SIZE(offs); i++) {
				p = (uint64_t *)(r->win[w] + offs[i]);
				want = pattern_word(PATTERN_MAGIC, SEED_SETUP,
						    offs[i] / 8);
				if (f->writer)
					got = __atomic_fetch_add(p, 0,
								 __ATOMIC_RELAXED);
				else
					got = __atomic_load_n(p, __ATOMIC_RELAXED);
				f->touches++;
				if (got == want)
					continue;
				if (!f->bad++) {
					f->bad_round = r->round;
					f->bad_window = w;
					f->bad_off = offs[i];
					f->bad_val = got;
				}
			}
		}
		pthread_barrier_wait(&r->done);
	}
	return NULL;
}

/*
 * The child: maps the windows and runs the rounds until @deadline_ms, and
 * after it on until it has run FAULT_RACE_MIN_ROUNDS (a slow machine, a
 * busy host), but not past @last_ms.
 */
static int fault_race_child(const struct buffer *buf, size_t size,
			    struct fault_race_result *res, uint64_t deadline_ms,
			    uint64_t last_ms)
{
	struct fault_racer racers[FAULT_RACE_THREADS] = {};
	pthread_t threads[FAULT_RACE_THREADS];
	struct fault_race r = { .res = res, .size = size };
	unsigned int w, t;
	char *area, *base;
	size_t area_len = (FAULT_RACE_WINDOWS + 1) * size;

	area = mmap(NULL, area_len, PROT_NONE,
		    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (area == MAP_FAILED) {
		res->err = errno;
		snprintf(res->what, sizeof(res->what), "reserving %zu bytes",
			 area_len);
		return 1;
	}
	base = (char *)(((uintptr_t)area + size - 1) & ~(uintptr_t)(size - 1));
	for (w = 0; w < FAULT_RACE_WINDOWS; w++)
		r.win[w] = base + w * size;
	pthread_barrier_init(&r.start, NULL, FAULT_RACE_THREADS + 1);
	pthread_barrier_init(&r.done, NULL, FAULT_RACE_THREADS + 1);
	for (t = 0; t < FAULT_RACE_THREADS; t++) {
		racers[t].race = &r;
		racers[t].writer = t == 0;
		if (pthread_create(&threads[t], NULL, fault_racer_run,
				   &racers[t])) {
			res->err = EAGAIN;
			snprintf(res->what, sizeof(res->what), "pthread_create()");
			return 1;	/* the exit ends the threads */
		}
	}

	while (!res->err) {
		uint64_t now = now_ms();

		if (now >= last_ms ||
		    (now >= deadline_ms && r.round >= FAULT_RACE_MIN_ROUNDS))
			break;
		for (w = 0; w < FAULT_RACE_WINDOWS; w++) {
			if (mmap(r.win[w], size, PROT_READ | PROT_WRITE,
				 MAP_SHARED | MAP_FIXED, buf->map_fd,
				 buf->map_offset) == r.win[w])
				continue;
			res->err = errno;
			snprintf(res->what, sizeof(res->what),
				 "mmap(MAP_FIXED) of window %u", w);
			break;
		}
		if (res->err)
			break;
		pthread_barrier_wait(&r.start);
		pthread_barrier_wait(&r.done);
		res->rounds = ++r.round;
		for (t = 0; t < FAULT_RACE_THREADS; t++)
			if (racers[t].bad)
				break;
		if (t < FAULT_RACE_THREADS)
			break;
	}

	__atomic_store_n(&r.stop, 1, __ATOMIC_RELEASE);
	pthread_barrier_wait(&r.start);
	for (t = 0; t < FAULT_RACE_THREADS; t++) {
		struct fault_racer *f = &racers[t];

		pthread_join(threads[t], NULL);
		res->touches += f->touches;
		if (f->bad && !res->bad) {
			res->bad_round = f->bad_round;
			res->bad_window = f->bad_window;
			res->bad_off = f->bad_off;
			res->bad_val = f->bad_val;
		}
		res->bad += f->bad;
	}
	munmap(area, area_len);
	return res->err || res->bad;
}

/*
 * Expected: every word reads as written in every round, the buffer is
 * intact afterwards, the run does at least FAULT_RACE_MIN_ROUNDS rounds
 * (in FAULT_RACE_SECONDS, or on a slow machine in up to
 * FAULT_RACE_MAX_SECONDS) with at least FAULT_RACE_MIN_FLIPS changes of
 * the setting, and no kernel splat.  Where the pte-level inserts do not
 * back off from a huge pmd, a run that hits the window gets "kernel BUG
 * at mm/memory.c" (walk_to_pmd()) under CONFIG_DEBUG_VM, otherwise a pte
 * written into the buffer and a page table lock taken from its memory.
 * The window is narrow: under QEMU TCG, on two vCPUs, the case did not
 * hit it in 1092 rounds; the huge_pfnmap KUnit case hpf_fault_race makes
 * both orders happen on purpose.  This case is the end-to-end guard, for
 * real hardware with more CPUs.
 * Base: no huge entries, so nothing to race with; it passes.
 */
TEST_F_TIMEOUT(dmabuf_mmap, huge_fault_race, 60)
{
	static const char *const modes[] = { "always", "never" };
	const struct source *src = variant->src;
	struct fault_race_result *res;
	uint64_t start, give_up;
	char mode[32], now[32];
	unsigned long flips = 0;
	int status = 0, flip_err = 0, restore_err = 0, fd;
	bool killed = false;
	pid_t pid;

	if (src != &cma_heap_source)
		SKIP_CASE(return, src->name,
			  "only the CMA heap maps huge entries from ->huge_fault");
	if (self->buf.map_fd != self->buf.dmabuf_fd || self->size % (2UL << 20))
		SKIP_CASE(return, src->name, "a buffer of %zu bytes at %lld",
			  self->size, (long long)self->buf.map_offset);
	if (!*thp_mode(mode, sizeof(mode)))
		SKIP_CASE(return, src->name,
			  "no %s (CONFIG_TRANSPARENT_HUGEPAGE)", THP_ENABLED);
	/* Writing the mode it has tells whether the test may change it. */
	fd = open(THP_ENABLED, O_WRONLY | O_CLOEXEC);
	if (fd >= 0 && pwrite(fd, mode, strlen(mode), 0) < 0) {
		flip_err = errno;
		close(fd);
		fd = -1;
		errno = flip_err;
	}
	if (fd < 0)
		SKIP_CASE(return, src->name, "cannot write %s: %s", THP_ENABLED,
			  strerror(errno));

	res = mmap(NULL, sizeof(*res), PROT_READ | PROT_WRITE,
		   MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(res, MAP_FAILED);
	memset(res, 0, sizeof(*res));

	/* From here on, nothing may return before the mode is restored. */
	start = now_ms();
	give_up = start + (FAULT_RACE_MAX_SECONDS + FAULT_RACE_GRACE) * 1000;
	pid = fork_flushed();
	if (!pid)
		_exit(fault_race_child(&self->buf, 2UL << 20, res,
				       start + FAULT_RACE_SECONDS * 1000,
				       start + FAULT_RACE_MAX_SECONDS * 1000));
	while (pid > 0 && waitpid(pid, &status, WNOHANG) == 0) {
		if (now_ms() > give_up) {
			kill(pid, SIGKILL);
			status = wait_status(pid);
			killed = true;
			break;
		}
		if (flip_err)
			usleep(1000);
		else if (pwrite(fd, modes[flips & 1], strlen(modes[flips & 1]),
				0) < 0)
			flip_err = errno;
		else
			flips++;
	}
	if (pwrite(fd, mode, strlen(mode), 0) < 0)
		restore_err = errno;
	close(fd);

	EXPECT_EQ(restore_err, 0)
		TH_LOG("restoring \"%s\" in %s: %s", mode, THP_ENABLED,
		       strerror(restore_err));
	EXPECT_STREQ(thp_mode(now, sizeof(now)), mode);
	ASSERT_GT(pid, 0)
		TH_LOG("fork(): %s", strerror(errno));
	EXPECT_FALSE(killed)
		TH_LOG("the faulting threads still ran %d s after their deadline",
		       FAULT_RACE_GRACE);
	EXPECT_EQ(flip_err, 0)
		TH_LOG("writing %s: %s", THP_ENABLED, strerror(flip_err));
	EXPECT_EQ(res->err, 0)
		TH_LOG("%s: %s", res->what, strerror(res->err));
	EXPECT_TRUE(WIFEXITED(status))
		TH_LOG("the faulting child died of signal %d",
		       WIFSIGNALED(status) ? WTERMSIG(status) : 0);
	EXPECT_EQ(res->bad, 0UL)
		TH_LOG("%lu words read wrong, the first in round %lu, %s %u, offset %#lx: %#llx",
		       res->bad, res->bad_round, "window", res->bad_window,
		       res->bad_off, (unsigned long long)res->bad_val);
	EXPECT_GE(res->rounds, (unsigned long)FAULT_RACE_MIN_ROUNDS)
		TH_LOG("%lu rounds in %d s, fewer than %d: no race",
		       res->rounds, FAULT_RACE_MAX_SECONDS,
		       FAULT_RACE_MIN_ROUNDS);
	EXPECT_GE(flips, (unsigned long)FAULT_RACE_MIN_FLIPS)
		TH_LOG("%lu switches of %s, fewer than %d: no race", flips,
		       THP_ENABLED, FAULT_RACE_MIN_FLIPS);
	EXPECT_EQ(buffer_mismatch(self->map, 0, self->size, SEED_SETUP), -1);
	TH_LOG("%lu rounds, %lu touches, %lu switches of %s", res->rounds,
	       res->touches, flips, THP_ENABLED);
	munmap(res, sizeof(*res));
}

/*
 * mbind(MPOL_MF_STRICT) walks the page tables of the range to find pages
 * that do not follow the policy, VM_PFNMAP vmas included (only without
 * MPOL_MF_STRICT does it skip vmas it cannot migrate).  A dma-buf mapping
 * maps no such page: neither its special ptes nor its special pmds.  With
 * MPOL_LOCAL and an empty nodemask every page in the range counts as
 * misplaced, so one found there fails the call with EIO: with
 * MPOL_MF_STRICT alone because it is misplaced, with MPOL_MF_MOVE too
 * because a VM_PFNMAP vma is not migratable.
 */
#define MBIND_MPOL_LOCAL	4
#define MBIND_MF_STRICT		1U
#define MBIND_MF_MOVE		2U

static long mbind_local(void *addr, size_t len, unsigned int flags)
{
	return syscall(__NR_mbind, addr, len, MBIND_MPOL_LOCAL, NULL, 0UL,
		       flags);
}

/*
 * Expected, on the CMA heap's 2 MiB aligned mapping (a special pmd) and on
 * one that starts 4 KiB into the buffer (special ptes): 0 from
 * MPOL_MF_STRICT and from MPOL_MF_STRICT | MPOL_MF_MOVE, nothing moved,
 * the data intact, no splat.  Where mbind() reads the struct page behind
 * a special pmd (queue_folios_pmd() without huge_pmd_maps_no_page()): EIO
 * on the pmd, 0 on the ptes, and for a devmap pfn without a struct page an
 * oops.  Base: EIO on the aligned mapping (normal ptes of CMA pages, which
 * this policy calls misplaced and which are not on the LRU).
 */
TEST_F(dmabuf_mmap, mbind_strict)
{
	static const unsigned int flags[] = {
		MBIND_MF_STRICT, MBIND_MF_STRICT | MBIND_MF_MOVE,
	};
	const struct source *src = variant->src;
	size_t pg = page_size();
	unsigned int i;
	char mode[32];
	char *second;

	if (src != &cma_heap_source)
		SKIP_CASE(return, src->name, "only the CMA heap maps special pmds");
	if (access("/sys/devices/system/node/node0", F_OK))
		SKIP_CASE(return, src->name, "no NUMA nodes in sysfs (CONFIG_NUMA)");
	if (!strcmp(thp_mode(mode, sizeof(mode)), "never"))
		TH_LOG("transparent_hugepage is \"never\": ptes, no pmd to test");

	second = map_buffer(&self->buf, self->size - pg, PROT_READ | PROT_WRITE,
			    MAP_SHARED, pg);
	ASSERT_NE(second, MAP_FAILED)
		TH_LOG("mmap() at offset %zu: %s", pg, strerror(errno));
	EXPECT_EQ(buffer_mismatch(second - pg, pg, self->size, SEED_SETUP), -1);

	for (i = 0; i < ARRAY_SIZE(flags); i++) {
		EXPECT_EQ(mbind_local(self->map, self->size, flags[i]), 0)
			TH_LOG("mbind(MPOL_LOCAL, %#x) of the aligned mapping: %s",
			       flags[i], strerror(errno));
		EXPECT_EQ(mbind_local(second, self->size - pg, flags[i]), 0)
			TH_LOG("mbind(MPOL_LOCAL, %#x) 4 KiB into the buffer: %s",
			       flags[i], strerror(errno));
	}

	EXPECT_EQ(buffer_mismatch(self->map, 0, self->size, SEED_SETUP), -1);
	EXPECT_EQ(buffer_mismatch(second - pg, pg, self->size, SEED_SETUP), -1);
	fill_buffer(self->map, 0, self->size, SEED_SECOND);
	EXPECT_EQ(buffer_mismatch(second - pg, pg, self->size, SEED_SECOND), -1);
	munmap(second, self->size - pg);
}

TEST_HARNESS_MAIN
