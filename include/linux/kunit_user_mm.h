/* SPDX-License-Identifier: GPL-2.0 */
/*
 * KUnit helpers for tests that need a user address space.
 *
 * A KUnit case runs in a kernel thread, which has no mm of its own, so it
 * cannot vm_mmap() a file and hand the vma to the code under test.
 * kunit_user_mm_attach() gives the case a fresh mm for its lifetime.
 *
 * Do not let a KUNIT_ASSERT_*() fail while holding the mmap_lock of that mm:
 * an aborted case exits its thread, and the exit path takes the mmap_lock.
 */
#ifndef _LINUX_KUNIT_USER_MM_H
#define _LINUX_KUNIT_USER_MM_H

#include <linux/fs.h>

struct kunit;
struct vm_area_struct;

int kunit_user_mm_attach(struct kunit *test);
struct file *kunit_user_mm_file(struct kunit *test, const char *name,
				const struct file_operations *fops, void *priv);
unsigned long kunit_user_mm_mmap(struct kunit *test, struct file *file,
				 unsigned long len, unsigned long prot,
				 unsigned long flags, unsigned long pgoff);
struct vm_area_struct *kunit_user_mm_find_vma(struct kunit *test,
					      unsigned long addr);

void kunit_expect_splat(const char *edge, const char *reason);

/**
 * KUNIT_EXPECT_SPLAT_BEGIN() - declare that a kernel splat may follow
 * @reason: what is provoked; the same string must be passed to
 *	    KUNIT_EXPECT_SPLAT_END().
 *
 * Prints "expected-splat: begin <reason>" to the kernel log.  A test harness
 * that scans the log treats any WARNING or BUG between this line and the
 * matching "expected-splat: end <reason>" as declared, not as a failure.
 * If @reason starts with "count=N " (for example "count=1 insert into a
 * VM_PFNMAP vma"), exactly N splats must appear between the two lines.
 *
 * Keep the block short, and do not let an assertion fail inside it.
 */
#define KUNIT_EXPECT_SPLAT_BEGIN(reason) kunit_expect_splat("begin", reason)

/**
 * KUNIT_EXPECT_SPLAT_END() - end a block opened by KUNIT_EXPECT_SPLAT_BEGIN()
 * @reason: the string passed to KUNIT_EXPECT_SPLAT_BEGIN().
 */
#define KUNIT_EXPECT_SPLAT_END(reason) kunit_expect_splat("end", reason)

#endif /* _LINUX_KUNIT_USER_MM_H */
