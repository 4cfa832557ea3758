// SPDX-License-Identifier: GPL-2.0
/*
 * dmabuf-bench: the figures `make bench` compares between the unpatched base
 * and the series, measured inside the QEMU guest.
 *
 * Every sample is printed as one line on stdout:
 *
 *	BENCH <case> <metric> <value>
 *
 * and the host takes the median, minimum and maximum of each (case, metric)
 * over the runs.  Cases:
 *
 *  gup_fast_anon_4k, pin_fast_anon_4k, gup_fast_anon_thp, pin_fast_anon_thp
 *	the kernel's gup_test benchmarks (GUP_FAST_BENCHMARK,
 *	PIN_FAST_BENCHMARK) on 128 MiB of populated anonymous memory, with
 *	MADV_NOHUGEPAGE or MADV_HUGEPAGE; metric get_us: the time the kernel
 *	spent in get_user_pages_fast()/pin_user_pages_fast().
 *  cma_heap_touch_64m
 *	first touch of every 4 KiB of a fresh 64 MiB CMA heap mapping; metrics
 *	faults (the process's minor faults, which do not depend on timing) and
 *	touch_us.
 *  system_heap_cycle_16m, udmabuf_cycle_16m
 *	mmap + first touch + munmap of a 16 MiB buffer; metrics faults and
 *	cycle_us.
 *
 * A case whose buffer source is missing prints "SKIP <case> <reason>".
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>

#include <linux/dma-heap.h>
#include <linux/udmabuf.h>

#include "gup_test.h"

#define MIB			(1UL << 20)
#define HPAGE_SIZE		(2 * MIB)
#define GUP_SIZE		(128 * MIB)
#define CMA_SIZE		(64 * MIB)
#define CYCLE_SIZE		(16 * MIB)
#define GUP_PAGES_PER_CALL	512

static long page_size;

static uint64_t now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000ULL + ts.tv_nsec / 1000;
}

static long minor_faults(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_minflt;
}

static void sample(const char *name, const char *metric, uint64_t value)
{
	printf("BENCH %s %s %llu\n", name, metric, (unsigned long long)value);
	fflush(stdout);
}

static void skip(const char *name, const char *why)
{
	printf("SKIP %s %s\n", name, why);
	fflush(stdout);
}

/* Write one word in every page, as a first touch; the faults it took. */
static long touch(volatile char *map, size_t size)
{
	long faults = minor_faults();
	size_t off;

	for (off = 0; off < size; off += page_size)
		map[off] = (char)off;
	return minor_faults() - faults;
}

/* 128 MiB of anonymous memory, 2 MiB aligned, populated, with @advice. */
static char *anon_populated(int advice)
{
	char *raw, *map;

	raw = mmap(NULL, GUP_SIZE + HPAGE_SIZE, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (raw == MAP_FAILED)
		return NULL;
	map = (char *)(((uintptr_t)raw + HPAGE_SIZE - 1) & ~(HPAGE_SIZE - 1));
	if (madvise(map, GUP_SIZE, advice))
		return NULL;
	touch(map, GUP_SIZE);
	return map;
}

static void gup_bench(int gup_fd, const char *name, unsigned long cmd,
		      char *map, int runs)
{
	int i;

	for (i = 0; i < runs; i++) {
		struct gup_test gup = {
			.addr = (uintptr_t)map,
			.size = GUP_SIZE,
			.nr_pages_per_call = GUP_PAGES_PER_CALL,
		};

		if (ioctl(gup_fd, cmd, &gup)) {
			printf("ERROR %s gup_test ioctl: %s\n", name, strerror(errno));
			return;
		}
		/* gup_test stops at the first short call and says so in .size */
		if (gup.size != GUP_SIZE) {
			printf("ERROR %s took %llu of %lu bytes\n", name,
			       (unsigned long long)gup.size, GUP_SIZE);
			return;
		}
		sample(name, "get_us", gup.get_delta_usec);
	}
}

static void gup_cases(int runs)
{
	static const struct {
		const char *gup, *pin;
		int advice;
	} kinds[] = {
		{ "gup_fast_anon_4k", "pin_fast_anon_4k", MADV_NOHUGEPAGE },
		{ "gup_fast_anon_thp", "pin_fast_anon_thp", MADV_HUGEPAGE },
	};
	int gup_fd = open("/sys/kernel/debug/gup_test", O_RDWR);
	unsigned int k;

	for (k = 0; k < sizeof(kinds) / sizeof(kinds[0]); k++) {
		char *map;

		if (gup_fd < 0) {
			skip(kinds[k].gup, "no /sys/kernel/debug/gup_test (CONFIG_GUP_TEST)");
			skip(kinds[k].pin, "no /sys/kernel/debug/gup_test (CONFIG_GUP_TEST)");
			continue;
		}
		map = anon_populated(kinds[k].advice);
		if (!map) {
			printf("ERROR %s anonymous memory: %s\n", kinds[k].gup,
			       strerror(errno));
			continue;
		}
		gup_bench(gup_fd, kinds[k].gup, GUP_FAST_BENCHMARK, map, runs);
		gup_bench(gup_fd, kinds[k].pin, PIN_FAST_BENCHMARK, map, runs);
		munmap(map, GUP_SIZE);
	}
	if (gup_fd >= 0)
		close(gup_fd);
}

static int heap_alloc(const char *heap, size_t size)
{
	struct dma_heap_allocation_data data = {
		.len = size,
		.fd_flags = O_RDWR | O_CLOEXEC,
	};
	char path[64];
	int fd, ret;

	snprintf(path, sizeof(path), "/dev/dma_heap/%s", heap);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	ret = ioctl(fd, DMA_HEAP_IOCTL_ALLOC, &data);
	close(fd);
	return ret ? -1 : (int)data.fd;
}

/* mmap, first touch of every page, munmap: faults and the time of it all. */
static void cycle(const char *name, int dmabuf_fd, size_t size,
		  const char *time_metric, int include_mmap)
{
	uint64_t start = now_us(), end;
	long faults;
	char *map;

	map = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, dmabuf_fd, 0);
	if (map == MAP_FAILED) {
		printf("ERROR %s mmap: %s\n", name, strerror(errno));
		return;
	}
	if (!include_mmap)
		start = now_us();
	faults = touch(map, size);
	end = now_us();
	munmap(map, size);
	if (include_mmap)
		end = now_us();
	sample(name, "faults", faults);
	sample(name, time_metric, end - start);
}

static void cma_case(int runs)
{
	const char *name = "cma_heap_touch_64m";
	int i;

	for (i = 0; i < runs; i++) {
		int fd = heap_alloc("reserved", CMA_SIZE);

		if (fd < 0) {
			skip(name, "no 64 MiB from /dev/dma_heap/reserved");
			return;
		}
		cycle(name, fd, CMA_SIZE, "touch_us", 0);
		close(fd);
	}
}

static void system_heap_case(int runs)
{
	const char *name = "system_heap_cycle_16m";
	int fd = heap_alloc("system", CYCLE_SIZE);
	int i;

	if (fd < 0) {
		skip(name, "no 16 MiB from /dev/dma_heap/system");
		return;
	}
	for (i = 0; i < runs; i++)
		cycle(name, fd, CYCLE_SIZE, "cycle_us", 1);
	close(fd);
}

static void udmabuf_case(int runs)
{
	const char *name = "udmabuf_cycle_16m";
	struct udmabuf_create create = {
		.flags = UDMABUF_FLAGS_CLOEXEC,
		.size = CYCLE_SIZE,
	};
	int dev, memfd, fd, i;

	dev = open("/dev/udmabuf", O_RDWR | O_CLOEXEC);
	memfd = memfd_create("bench", MFD_ALLOW_SEALING);
	if (dev < 0 || memfd < 0 || ftruncate(memfd, CYCLE_SIZE) ||
	    fcntl(memfd, F_ADD_SEALS, F_SEAL_SHRINK)) {
		skip(name, "no /dev/udmabuf or no sealed memfd");
		return;
	}
	create.memfd = memfd;
	fd = ioctl(dev, UDMABUF_CREATE, &create);
	if (fd < 0) {
		printf("ERROR %s UDMABUF_CREATE: %s\n", name, strerror(errno));
		return;
	}
	for (i = 0; i < runs; i++)
		cycle(name, fd, CYCLE_SIZE, "cycle_us", 1);
	close(fd);
	close(memfd);
	close(dev);
}

int main(int argc, char **argv)
{
	int runs = argc > 1 ? atoi(argv[1]) : 7;

	page_size = sysconf(_SC_PAGESIZE);
	if (runs < 1)
		runs = 1;
	gup_cases(runs);
	cma_case(runs);
	system_heap_case(runs);
	udmabuf_case(runs);
	printf("BENCH-END\n");
	return 0;
}
