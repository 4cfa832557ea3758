// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit helpers that give a test case its own user address space.
 *
 * Built in only: mm_alloc() and arch_pick_mmap_layout() are not exported.
 */

#include <kunit/resource.h>
#include <kunit/test.h>
#include <linux/anon_inodes.h>
#include <linux/err.h>
#include <linux/fcntl.h>
#include <linux/file.h>
#include <linux/kthread.h>
#include <linux/kunit_user_mm.h>
#include <linux/mm.h>
#include <linux/printk.h>
#include <linux/sched/mm.h>
#include <linux/sched/signal.h>

/*
 * KUnit runs a case in its own kernel thread and releases its resources in
 * one of two places:
 *
 * - The case returned: kunit_cleanup() runs in the case's thread, which still
 *   has @mm attached.  Detach it, and drop the mm_users reference from
 *   mm_alloc(), which unmaps whatever the case mapped.  The mm_count that
 *   kthread_use_mm() took stays with the thread's lazy active_mm and is
 *   dropped by the scheduler.
 *
 * - A KUNIT_ASSERT_*() failed: the case's thread left through do_exit() and
 *   kunit_cleanup() runs in the thread that drives the suite.  exit_mm()
 *   treats the borrowed mm as the task's own: it drops the mm_users reference
 *   from mm_alloc(), and takes one more mm_count for the lazy active_mm,
 *   which the thread already held: kthread_use_mm() took one, since a new
 *   mm cannot have been its active_mm before.  So do not mmput() here, but
 *   drop the surplus mm_count, or the mm_struct and its pgd leak.
 *   The exiting thread may not have reached exit_mm() yet: its mm_users
 *   reference keeps the mm alive until then, and the counts balance in
 *   either order.
 *
 * Only the case's thread has @mm as current->mm, so that tells the two apart.
 */
static void kunit_user_mm_release(struct kunit_resource *res)
{
	struct mm_struct *mm = res->data;

	if (current->mm != mm) {
		mmdrop(mm);
		return;
	}

	kthread_unuse_mm(mm);
	mmput(mm);
}

/**
 * kunit_user_mm_attach() - give the current test case a user address space
 * @test: the test case
 *
 * Allocates an empty mm with the architecture's default mmap layout and makes
 * it current->mm of the case's thread, so that vm_mmap() and the other
 * helpers here work.  The mm, and with it every mapping in it, is torn down
 * when the case ends, whether it passed, failed or aborted.
 *
 * Context: the test case's own thread, which must not have an mm yet.
 * Return: %0 on success; on failure the test is marked failed and a negative
 * error code is returned.
 */
int kunit_user_mm_attach(struct kunit *test)
{
	struct mm_struct *mm;

	if (current->mm) {
		KUNIT_FAIL(test, "the test case already has an mm");
		return -EBUSY;
	}

	mm = mm_alloc();
	if (!mm) {
		KUNIT_FAIL(test, "mm_alloc() failed");
		return -ENOMEM;
	}

	/* mm_alloc() leaves both to exec; get_unmapped_area() needs them. */
	mm->task_size = TASK_SIZE;
	arch_pick_mmap_layout(mm, &current->signal->rlim[RLIMIT_STACK]);

	if (!kunit_alloc_resource(test, NULL, kunit_user_mm_release,
				  GFP_KERNEL, mm)) {
		mmput(mm);
		KUNIT_FAIL(test, "cannot allocate a kunit resource");
		return -ENOMEM;
	}

	kthread_use_mm(mm);
	return 0;
}
EXPORT_SYMBOL_GPL(kunit_user_mm_attach);

static void kunit_user_mm_fput(struct kunit_resource *res)
{
	fput(res->data);
}

/**
 * kunit_user_mm_file() - create a file with test-supplied file operations
 * @test: the test case
 * @name: name of the file, as shown in /proc/<pid>/maps
 * @fops: file operations; typically only ->mmap is set
 * @priv: stored in file->private_data
 *
 * Creates an anonymous-inode file opened read-write, so that a test can
 * vm_mmap() it with its own ->mmap handler.  The test's reference is dropped
 * when the case ends; a vma mapping the file holds its own reference, so the
 * order against the mm's teardown does not matter.  @priv must stay valid
 * while ->mmap can be called, i.e. until the case ends.
 *
 * Context: Process context (the test case's thread); may sleep.
 * Return: the file on success; on failure the test is marked failed and an
 * ERR_PTR() is returned.
 */
struct file *kunit_user_mm_file(struct kunit *test, const char *name,
				const struct file_operations *fops, void *priv)
{
	struct file *file;

	file = anon_inode_getfile(name, fops, priv, O_RDWR);
	if (IS_ERR(file)) {
		KUNIT_FAIL(test, "anon_inode_getfile(%s) failed: %ld",
			   name, PTR_ERR(file));
		return file;
	}

	if (!kunit_alloc_resource(test, NULL, kunit_user_mm_fput, GFP_KERNEL,
				  file)) {
		fput(file);
		KUNIT_FAIL(test, "cannot allocate a kunit resource");
		return ERR_PTR(-ENOMEM);
	}

	return file;
}
EXPORT_SYMBOL_GPL(kunit_user_mm_file);

/**
 * kunit_user_mm_mmap() - map a file into the test case's address space
 * @test: the test case
 * @file: the file to map, or %NULL for an anonymous mapping
 * @len: length of the mapping in bytes
 * @prot: PROT_* flags, as for mmap(2)
 * @flags: MAP_* flags, as for mmap(2)
 * @pgoff: offset into @file, in pages
 *
 * A vm_mmap() at an address of the kernel's choosing.  There is no unmap: the
 * mapping goes away with the mm when the case ends.  A test that expects the
 * mmap to fail should call vm_mmap() itself.
 *
 * Context: after kunit_user_mm_attach(); takes the mmap_lock for write.
 * Return: the address of the mapping; on failure the test is marked failed
 * and 0 is returned.
 */
unsigned long kunit_user_mm_mmap(struct kunit *test, struct file *file,
				 unsigned long len, unsigned long prot,
				 unsigned long flags, unsigned long pgoff)
{
	unsigned long addr;

	if (!current->mm) {
		KUNIT_FAIL(test, "no mm: call kunit_user_mm_attach() first");
		return 0;
	}

	addr = vm_mmap(file, 0, len, prot, flags, pgoff << PAGE_SHIFT);
	if (IS_ERR_VALUE(addr)) {
		KUNIT_FAIL(test, "vm_mmap() failed: %ld", (long)addr);
		return 0;
	}

	return addr;
}
EXPORT_SYMBOL_GPL(kunit_user_mm_mmap);

/**
 * kunit_user_mm_find_vma() - look up a vma of the test case's address space
 * @test: the test case
 * @addr: an address inside the vma
 *
 * Context: the caller holds current->mm's mmap_lock, and keeps holding it
 * while it uses the vma.
 * Return: the vma containing @addr, or %NULL if there is none (the test is
 * not marked failed).
 */
struct vm_area_struct *kunit_user_mm_find_vma(struct kunit *test,
					      unsigned long addr)
{
	if (!current->mm) {
		KUNIT_FAIL(test, "no mm: call kunit_user_mm_attach() first");
		return NULL;
	}

	return vma_lookup(current->mm, addr);
}
EXPORT_SYMBOL_GPL(kunit_user_mm_find_vma);

/**
 * kunit_expect_splat() - print an expected-splat marker to the kernel log
 * @edge: "begin" or "end"
 * @reason: what the block provokes, see KUNIT_EXPECT_SPLAT_BEGIN()
 *
 * Use KUNIT_EXPECT_SPLAT_BEGIN() and KUNIT_EXPECT_SPLAT_END() instead.  This
 * is out of line so that the pr_fmt() of the file that uses the markers
 * cannot prefix them.
 */
void kunit_expect_splat(const char *edge, const char *reason)
{
	pr_info("expected-splat: %s %s\n", edge, reason);
}
EXPORT_SYMBOL_GPL(kunit_expect_splat);
