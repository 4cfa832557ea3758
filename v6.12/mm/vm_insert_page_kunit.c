// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests for vm_insert_page(), vm_insert_pages(), vm_map_pages() and
 * vm_map_pages_zero().
 *
 * They must map ordinary pages into an ordinary shared vma, and refuse,
 * without changing the vma or mapping anything, a VM_PFNMAP vma and a vma
 * whose vm_flags they would have to change without mmap_lock held for write.
 *
 * Each case maps a file, whose ->mmap() the test supplies, with
 * kunit_vm_mmap(), which gives the case an address space of its own, then
 * calls the function under test on that vma the way a driver's ->mmap()
 * would.
 */

#include <kunit/resource.h>
#include <kunit/test.h>
#include <linux/anon_inodes.h>
#include <linux/err.h>
#include <linux/fcntl.h>
#include <linux/file.h>
#include <linux/gfp.h>
#include <linux/mm.h>
#include <linux/mman.h>
#include <linux/sched.h>

#define NR_TEST_PAGES	4

struct vip_test {
	/* Set by the case: ->mmap() makes the vma VM_PFNMAP. */
	bool pfnmap;
	/* Set by ->mmap(). */
	struct vm_area_struct *mmap_vma;

	struct mm_struct *mm;
	struct vm_area_struct *vma;
	unsigned long addr;
	struct page *pages[NR_TEST_PAGES];
};

/*
 * No ->fault(): nothing may be mapped but what the test inserts.  Having
 * vm_ops at all keeps vma_is_anonymous() false.
 */
static const struct vm_operations_struct vip_vm_ops = {};

static int vip_mmap(struct file *file, struct vm_area_struct *vma)
{
	struct vip_test *t = file->private_data;

	vma->vm_ops = &vip_vm_ops;
	/* The flags remap_pfn_range() sets. */
	if (t->pfnmap)
		vm_flags_set(vma, VM_IO | VM_PFNMAP | VM_DONTEXPAND |
			     VM_DONTDUMP);
	t->mmap_vma = vma;
	return 0;
}

static const struct file_operations vip_fops = {
	.mmap = vip_mmap,
};

/*
 * Drop the test's references when the case ends.  A vma holds its own
 * reference to the file, and a page that got mapped lives on until the
 * mm's teardown drops the mapping's reference.
 */
KUNIT_DEFINE_ACTION_WRAPPER(vip_fput, fput, struct file *);
KUNIT_DEFINE_ACTION_WRAPPER(vip_put_page, put_page, struct page *);

/*
 * Maps NR_TEST_PAGES pages of a file with vip_fops, shared and read-write,
 * in the case's own address space, and allocates NR_TEST_PAGES pages to
 * insert.  Nothing else uses that address space, so the vma stays valid
 * after the mmap_lock is dropped.
 */
static struct vip_test *vip_setup(struct kunit *test, bool pfnmap)
{
	const unsigned long len = NR_TEST_PAGES * PAGE_SIZE;
	struct vip_test *t;
	struct file *file;
	int i;

	t = kunit_kzalloc(test, sizeof(*t), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, t);
	t->pfnmap = pfnmap;

	file = anon_inode_getfile("[vm_insert_page_kunit]", &vip_fops, t,
				  O_RDWR);
	KUNIT_ASSERT_FALSE_MSG(test, IS_ERR(file), "anon_inode_getfile: %ld",
			       PTR_ERR(file));
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test, vip_fput, file),
			0);

	/*
	 * kunit_vm_mmap() returns 0 if it could not set the mapping up, and
	 * vm_mmap()'s error code if the mmap itself failed.
	 */
	t->addr = kunit_vm_mmap(test, file, 0, len, PROT_READ | PROT_WRITE,
				MAP_SHARED, 0);
	KUNIT_ASSERT_NE(test, t->addr, 0UL);
	KUNIT_ASSERT_FALSE_MSG(test, IS_ERR_VALUE(t->addr), "vm_mmap: %ld",
			       (long)t->addr);
	t->mm = current->mm;
	KUNIT_ASSERT_NOT_NULL(test, t->mm);

	mmap_read_lock(t->mm);
	t->vma = vma_lookup(t->mm, t->addr);
	mmap_read_unlock(t->mm);
	KUNIT_ASSERT_NOT_NULL(test, t->vma);
	KUNIT_ASSERT_PTR_EQ(test, t->vma, t->mmap_vma);
	KUNIT_ASSERT_EQ(test, t->vma->vm_start, t->addr);
	KUNIT_ASSERT_EQ(test, t->vma->vm_end, t->addr + len);
	KUNIT_ASSERT_EQ(test, t->vma->vm_flags & (VM_PFNMAP | VM_MIXEDMAP),
			pfnmap ? VM_PFNMAP : 0UL);

	for (i = 0; i < NR_TEST_PAGES; i++) {
		struct page *page = alloc_page(GFP_KERNEL | __GFP_ZERO);

		KUNIT_ASSERT_NOT_NULL(test, page);
		KUNIT_ASSERT_EQ(test,
				kunit_add_action_or_reset(test, vip_put_page,
							  page), 0);
		t->pages[i] = page;
	}

	return t;
}

struct vip_pte_lookup {
	bool present;
	unsigned long pfn;
};

static int vip_read_pte(pte_t *ptep, unsigned long addr, void *data)
{
	struct vip_pte_lookup *lookup = data;
	pte_t pte = ptep_get(ptep);

	if (pte_present(pte)) {
		lookup->present = true;
		lookup->pfn = pte_pfn(pte);
	}
	return 0;
}

/*
 * Whether a present pte maps @addr, and if so its pfn in *@pfn.  The caller
 * holds the mmap_lock.  The pte is read as it is, whatever the vma's flags
 * and whether or not the pte is special, so the same check serves the
 * VM_MIXEDMAP mappings vm_insert_page() makes and the VM_PFNMAP ones it must
 * refuse to touch.
 */
static bool vip_pte_present(struct vip_test *t, unsigned long addr,
			    unsigned long *pfn)
{
	struct vip_pte_lookup lookup = {};

	if (apply_to_existing_page_range(t->mm, addr, PAGE_SIZE, vip_read_pte,
					 &lookup) || !lookup.present)
		return false;
	*pfn = lookup.pfn;
	return true;
}

static void insert_into_shared_vma_maps_the_page(struct kunit *test)
{
	struct vip_test *t = vip_setup(test, false);
	struct page *page = t->pages[0];
	unsigned long pfn = 0;
	bool mapped;
	int ret;

	mmap_write_lock(t->mm);
	ret = vm_insert_page(t->vma, t->addr, page);
	mapped = vip_pte_present(t, t->addr, &pfn);
	mmap_write_unlock(t->mm);

	KUNIT_EXPECT_EQ(test, ret, 0);
	KUNIT_EXPECT_TRUE(test, t->vma->vm_flags & VM_MIXEDMAP);
	KUNIT_EXPECT_TRUE(test, mapped);
	KUNIT_EXPECT_EQ(test, pfn, page_to_pfn(page));
	/* The test's reference and the mapping's. */
	KUNIT_EXPECT_EQ(test, page_count(page), 2);
}

static void insert_pages_into_shared_vma_maps_every_page(struct kunit *test)
{
	struct vip_test *t = vip_setup(test, false);
	unsigned long pfn[NR_TEST_PAGES] = {};
	bool mapped[NR_TEST_PAGES];
	unsigned long num = NR_TEST_PAGES;
	int i, ret;

	mmap_write_lock(t->mm);
	ret = vm_insert_pages(t->vma, t->addr, t->pages, &num);
	for (i = 0; i < NR_TEST_PAGES; i++)
		mapped[i] = vip_pte_present(t, t->addr + i * PAGE_SIZE,
					    &pfn[i]);
	mmap_write_unlock(t->mm);

	KUNIT_EXPECT_EQ(test, ret, 0);
	KUNIT_EXPECT_EQ(test, num, 0UL);
	KUNIT_EXPECT_TRUE(test, t->vma->vm_flags & VM_MIXEDMAP);
	for (i = 0; i < NR_TEST_PAGES; i++) {
		KUNIT_EXPECT_TRUE(test, mapped[i]);
		KUNIT_EXPECT_EQ(test, pfn[i], page_to_pfn(t->pages[i]));
	}
}

/*
 * Once the vma is VM_MIXEDMAP, vm_insert_page() leaves vm_flags alone and
 * the read lock is enough: that is how fault handlers call it.
 */
static void insert_into_mixedmap_vma_needs_only_read_lock(struct kunit *test)
{
	struct vip_test *t = vip_setup(test, false);
	unsigned long addr = t->addr + PAGE_SIZE;
	unsigned long pfn = 0;
	bool mapped;
	int ret;

	mmap_write_lock(t->mm);
	ret = vm_insert_page(t->vma, t->addr, t->pages[0]);
	mmap_write_unlock(t->mm);
	KUNIT_ASSERT_EQ(test, ret, 0);

	mmap_read_lock(t->mm);
	ret = vm_insert_page(t->vma, addr, t->pages[1]);
	mapped = vip_pte_present(t, addr, &pfn);
	mmap_read_unlock(t->mm);

	KUNIT_EXPECT_EQ(test, ret, 0);
	KUNIT_EXPECT_TRUE(test, mapped);
	KUNIT_EXPECT_EQ(test, pfn, page_to_pfn(t->pages[1]));
}

/*
 * The refusal warns once per boot, whichever function and reason provoke it.
 * This case must provoke it first, so it comes before every other case that
 * does in vip_cases[].  If something earlier in this boot used the warning
 * up, the harness finds no splat in the count=1 block and reports it.  The
 * cases after it declare their blocks count=0: the one warning is used up,
 * and a second would mean the _ONCE is not.
 */
static void insert_into_pfnmap_vma_warns_only_once(struct kunit *test)
{
	const char *reason = "count=1 vm_insert_page into VM_PFNMAP, twice";
	struct vip_test *t = vip_setup(test, true);
	int first, second;

	mmap_write_lock(t->mm);
	KUNIT_EXPECT_SPLAT_BEGIN(reason);
	first = vm_insert_page(t->vma, t->addr, t->pages[0]);
	second = vm_insert_page(t->vma, t->addr, t->pages[0]);
	KUNIT_EXPECT_SPLAT_END(reason);
	mmap_write_unlock(t->mm);

	KUNIT_EXPECT_EQ(test, first, -EINVAL);
	KUNIT_EXPECT_EQ(test, second, -EINVAL);
}

static void insert_into_pfnmap_vma_fails_and_changes_nothing(struct kunit *test)
{
	const char *reason = "count=0 vm_insert_page into VM_PFNMAP";
	struct vip_test *t = vip_setup(test, true);
	unsigned long flags = t->vma->vm_flags;
	struct page *page = t->pages[0];
	unsigned long pfn;
	bool mapped;
	int ret;

	mmap_write_lock(t->mm);
	KUNIT_EXPECT_SPLAT_BEGIN(reason);
	ret = vm_insert_page(t->vma, t->addr, page);
	KUNIT_EXPECT_SPLAT_END(reason);
	mapped = vip_pte_present(t, t->addr, &pfn);
	mmap_write_unlock(t->mm);

	KUNIT_EXPECT_EQ(test, ret, -EINVAL);
	KUNIT_EXPECT_EQ(test, t->vma->vm_flags, flags);
	KUNIT_EXPECT_FALSE(test, mapped);
	KUNIT_EXPECT_EQ(test, page_count(page), 1);
}

static void insert_pages_into_pfnmap_vma_inserts_none(struct kunit *test)
{
	const char *reason = "count=0 vm_insert_pages into VM_PFNMAP";
	struct vip_test *t = vip_setup(test, true);
	unsigned long flags = t->vma->vm_flags;
	unsigned long num = NR_TEST_PAGES;
	bool mapped = false;
	unsigned long pfn;
	int i, ret;

	mmap_write_lock(t->mm);
	KUNIT_EXPECT_SPLAT_BEGIN(reason);
	ret = vm_insert_pages(t->vma, t->addr, t->pages, &num);
	KUNIT_EXPECT_SPLAT_END(reason);
	for (i = 0; i < NR_TEST_PAGES; i++)
		mapped |= vip_pte_present(t, t->addr + i * PAGE_SIZE, &pfn);
	mmap_write_unlock(t->mm);

	KUNIT_EXPECT_EQ(test, ret, -EINVAL);
	/* *num is the number of pages not inserted: all of them. */
	KUNIT_EXPECT_EQ(test, num, (unsigned long)NR_TEST_PAGES);
	KUNIT_EXPECT_EQ(test, t->vma->vm_flags, flags);
	KUNIT_EXPECT_FALSE(test, mapped);
	for (i = 0; i < NR_TEST_PAGES; i++)
		KUNIT_EXPECT_EQ(test, page_count(t->pages[i]), 1);
}

static void vip_map_pages_into_pfnmap_vma(struct kunit *test,
					  int (*map)(struct vm_area_struct *,
						     struct page **,
						     unsigned long),
					  const char *reason)
{
	struct vip_test *t = vip_setup(test, true);
	unsigned long flags = t->vma->vm_flags;
	unsigned long pfn;
	bool mapped;
	int ret;

	mmap_write_lock(t->mm);
	KUNIT_EXPECT_SPLAT_BEGIN(reason);
	ret = map(t->vma, t->pages, NR_TEST_PAGES);
	KUNIT_EXPECT_SPLAT_END(reason);
	mapped = vip_pte_present(t, t->addr, &pfn);
	mmap_write_unlock(t->mm);

	KUNIT_EXPECT_EQ(test, ret, -EINVAL);
	KUNIT_EXPECT_EQ(test, t->vma->vm_flags, flags);
	KUNIT_EXPECT_FALSE(test, mapped);
	KUNIT_EXPECT_EQ(test, page_count(t->pages[0]), 1);
}

static void map_pages_into_pfnmap_vma_fails(struct kunit *test)
{
	vip_map_pages_into_pfnmap_vma(test, vm_map_pages,
				      "count=0 vm_map_pages into VM_PFNMAP");
}

static void map_pages_zero_into_pfnmap_vma_fails(struct kunit *test)
{
	vip_map_pages_into_pfnmap_vma(test, vm_map_pages_zero,
				      "count=0 vm_map_pages_zero into VM_PFNMAP");
}

/*
 * The first insert into a vma sets VM_MIXEDMAP, which needs mmap_lock held
 * for write.  Under the read lock it must fail instead of changing vm_flags.
 */
static void insert_without_the_write_lock_fails(struct kunit *test)
{
	const char *reason = "count=0 vm_insert_page under mmap_read_lock";
	struct vip_test *t = vip_setup(test, false);
	unsigned long flags = t->vma->vm_flags;
	struct page *page = t->pages[0];
	unsigned long pfn;
	bool mapped;
	int ret;

	mmap_read_lock(t->mm);
	KUNIT_EXPECT_SPLAT_BEGIN(reason);
	ret = vm_insert_page(t->vma, t->addr, page);
	KUNIT_EXPECT_SPLAT_END(reason);
	mapped = vip_pte_present(t, t->addr, &pfn);
	mmap_read_unlock(t->mm);

	KUNIT_EXPECT_EQ(test, ret, -EINVAL);
	KUNIT_EXPECT_EQ(test, t->vma->vm_flags, flags);
	KUNIT_EXPECT_FALSE(test, mapped);
	KUNIT_EXPECT_EQ(test, page_count(page), 1);
}

/*
 * KUnit runs the cases in this order.  Those that provoke the warning come
 * after insert_into_pfnmap_vma_warns_only_once(), and declare their block
 * count=0, since the warning is used up by then.
 */
static struct kunit_case vip_cases[] = {
	KUNIT_CASE(insert_into_shared_vma_maps_the_page),
	KUNIT_CASE(insert_pages_into_shared_vma_maps_every_page),
	KUNIT_CASE(insert_into_mixedmap_vma_needs_only_read_lock),
	KUNIT_CASE(insert_into_pfnmap_vma_warns_only_once),
	KUNIT_CASE(insert_into_pfnmap_vma_fails_and_changes_nothing),
	KUNIT_CASE(insert_pages_into_pfnmap_vma_inserts_none),
	KUNIT_CASE(map_pages_into_pfnmap_vma_fails),
	KUNIT_CASE(map_pages_zero_into_pfnmap_vma_fails),
	KUNIT_CASE(insert_without_the_write_lock_fails),
	{}
};

static struct kunit_suite vip_suite = {
	.name = "vm_insert_page",
	.test_cases = vip_cases,
};

kunit_test_suite(vip_suite);
