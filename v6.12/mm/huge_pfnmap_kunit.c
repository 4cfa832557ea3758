// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests for huge PFN mappings: special pmds and puds, and devmap ones
 * whose pfn has no dev_pagemap (see "The devmap backoff" in
 * <linux/memremap.h>).
 *
 * Each case maps a file whose ->mmap() makes the vma VM_PFNMAP and whose
 * ->huge_fault() maps a physically contiguous allocation with one huge
 * entry, like a dma-buf exporter would.  Nothing may take a struct page from
 * such an entry, and every operation on the mapping must keep the contents
 * the CPU wrote, without a splat.  The cases run once per kind of entry:
 * pmd and pud, special and devmap without dev_pagemap.  A pud case needs
 * 1 GiB of contiguous, 1 GiB aligned memory: it takes it from the default
 * CMA area when that is large enough (boot with cma=2G to make sure it is),
 * else from alloc_contig_pages(), and skips when neither has it.
 *
 * The address space is the one kunit_vm_mmap() gives the case's thread.
 * The case keeps a reference to it until its cleanup, which zaps the
 * mappings of the test file and drops it before the memory is freed: the
 * thread's exit, which would tear them down, may not have happened yet.
 *
 * follow_pfnmap_start(), which KVM, vfio, ACRN, x86 PAT and
 * generic_access_phys() use to find the pfn behind a VM_PFNMAP address,
 * must report the exact page inside the huge entry under the entry's lock,
 * also in KVM's sequence of a failed lookup, fixup_user_fault() and a
 * second lookup.  fork() is a real one: the child gets an mm of its own,
 * copied by copy_page_range(), so that copy_huge_pmd() and copy_huge_pud()
 * run.
 *
 * mremap() has no in-kernel entry point: hpf_move_entry() moves the entry
 * with move_page_tables(), which is what mremap() (and exec, for the stack)
 * calls, and the dma-buf kselftest covers mremap() itself on special pmds
 * from user space.  /proc/pid/smaps and /proc/pid/pagemap skip VM_PFNMAP
 * vmas before they look at any entry (walk_page_test()), whatever its kind;
 * the kselftest checks that they report no page.
 */

#include <kunit/resource.h>
#include <kunit/test.h>
#include <linux/anon_inodes.h>
#include <linux/cma.h>
#include <linux/dma-map-ops.h>
#include <linux/file.h>
#include <linux/gfp.h>
#include <linux/highmem.h>
#include <linux/huge_mm.h>
#include <linux/kernel.h>
#include <linux/kthread.h>
#include <linux/mm.h>
#include <linux/mman.h>
#include <linux/pagemap.h>
#include <linux/pagewalk.h>
#include <linux/pfn_t.h>
#include <linux/sched/mm.h>
#include <linux/sched/task.h>
#include <linux/uaccess.h>
#include <asm/tlb.h>

#include "internal.h"

struct hpf_kind {
	const char *name;
	unsigned long size;
	bool devmap;
};

static const struct hpf_kind hpf_kinds[] = {
	{ "pmd_special", PMD_SIZE, false },
	{ "pmd_devmap_without_pgmap", PMD_SIZE, true },
	{ "pud_special", PUD_SIZE, false },
	{ "pud_devmap_without_pgmap", PUD_SIZE, true },
};

static void hpf_kind_desc(const struct hpf_kind *kind, char *desc)
{
	strscpy(desc, kind->name, KUNIT_PARAM_DESC_SIZE);
}

KUNIT_ARRAY_PARAM(hpf_kind, hpf_kinds, hpf_kind_desc);

/* The pmd kinds only, for what exists at the pmd level alone. */
static const void *hpf_pmd_kind_gen_params(const void *prev, char *desc)
{
	const struct hpf_kind *kind = prev;

	do {
		kind = hpf_kind_gen_params(kind, desc);
	} while (kind && kind->size != PMD_SIZE);
	return kind;
}

struct hpf_race;

struct hpf_test {
	const struct hpf_kind *kind;
	unsigned long pfn;		/* first pfn of the allocation */
	unsigned long nr_pages;		/* kind->size / PAGE_SIZE */
	struct cma *cma;		/* the CMA area it came from, or NULL */
	unsigned long base_pgoff;	/* vm_pgoff of the aligned mapping */
	atomic_t huge_faults;
	atomic_t pte_faults;
	struct mm_struct *mm;
	struct file *file;		/* the file mapped at addr */
	unsigned long addr;		/* kind->size aligned, kind->size long */
	struct hpf_race *race;		/* hpf_fault_race()'s round, or NULL */
};

/*
 * A round of hpf_fault_race(): two threads, one of which ->huge_fault()
 * sends to the pte fallback, fault on the same empty range; one side may
 * wait in its handler, after the core chose its path and before it maps,
 * until the other side's step is done.
 */
enum hpf_race_wait {
	HPF_RACE_FREE,		/* neither side waits */
	HPF_RACE_PTE_WAITS,	/* ->fault: until the huge entry is mapped */
	HPF_RACE_HUGE_WAITS,	/* ->huge_fault: until the pte is mapped */
};

struct hpf_race {
	enum hpf_race_wait wait;
	struct task_struct *pte_task;	/* falls back to ptes */
	struct completion start;
	struct completion pte_entered;	/* the pte side is in ->fault */
	struct completion huge_entered;	/* the huge side is in ->huge_fault */
	struct completion pte_mapped;	/* the pte side's access returned */
	struct completion huge_mapped;	/* the huge side's insert returned */
	bool timed_out;
};

/* Long enough for any TCG guest, short enough to fail rather than hang. */
#define HPF_RACE_TIMEOUT	(5 * HZ)

static void hpf_race_wait(struct hpf_race *race, struct completion *done)
{
	if (!wait_for_completion_timeout(done, HPF_RACE_TIMEOUT))
		WRITE_ONCE(race->timed_out, true);
}

static pfn_t hpf_pfn_t(struct hpf_test *t, unsigned long idx)
{
	return __pfn_to_pfn_t(t->pfn + idx,
			      t->kind->devmap ? PFN_DEV | PFN_MAP : 0);
}

static vm_fault_t hpf_fault(struct vm_fault *vmf)
{
	struct hpf_test *t = vmf->vma->vm_file->private_data;
	unsigned long idx = vmf->pgoff - t->base_pgoff;
	struct hpf_race *race = READ_ONCE(t->race);

	atomic_inc(&t->pte_faults);
	if (idx >= t->nr_pages)
		return VM_FAULT_SIGBUS;
	if (race && race->pte_task == current &&
	    race->wait == HPF_RACE_PTE_WAITS) {
		complete(&race->pte_entered);
		hpf_race_wait(race, &race->huge_mapped);
	}
	/* A special pte: the pte level is not under test. */
	return vmf_insert_pfn(vmf->vma, vmf->address, t->pfn + idx);
}

static vm_fault_t hpf_huge_fault(struct vm_fault *vmf, unsigned int order)
{
	struct hpf_test *t = vmf->vma->vm_file->private_data;
	unsigned long size = order == PMD_ORDER ? PMD_SIZE :
			     order == PUD_ORDER ? PUD_SIZE : 0;
	bool write = vmf->flags & FAULT_FLAG_WRITE;
	struct hpf_race *race = READ_ONCE(t->race);
	unsigned long idx;
	vm_fault_t ret;

	if (size != t->kind->size)
		return VM_FAULT_FALLBACK;
	if (race && race->pte_task == current)
		return VM_FAULT_FALLBACK;
	/*
	 * vmf->pgoff is the faulting page's; the entry maps the aligned range
	 * around it, from the page at the aligned address.
	 */
	idx = linear_page_index(vmf->vma, vmf->address & ~(size - 1)) -
	      t->base_pgoff;
	if (idx >= t->nr_pages)
		return VM_FAULT_FALLBACK;
	/* The whole allocation, or nothing: the pfns must be aligned too. */
	if (idx & ((size >> PAGE_SHIFT) - 1))
		return VM_FAULT_FALLBACK;

	if (race && race->wait == HPF_RACE_HUGE_WAITS) {
		complete(&race->huge_entered);
		hpf_race_wait(race, &race->pte_mapped);
	}

	atomic_inc(&t->huge_faults);
	if (order == PMD_ORDER)
		ret = vmf_insert_pfn_pmd(vmf, hpf_pfn_t(t, idx), write);
	else
#ifdef CONFIG_HAVE_ARCH_TRANSPARENT_HUGEPAGE_PUD
		ret = vmf_insert_pfn_pud(vmf, hpf_pfn_t(t, idx), write);
#else
		ret = VM_FAULT_FALLBACK;
#endif
	if (race)
		complete(&race->huge_mapped);
	return ret;
}

static const struct vm_operations_struct hpf_vm_ops = {
	.fault = hpf_fault,
	.huge_fault = hpf_huge_fault,
};

static int hpf_mmap(struct file *file, struct vm_area_struct *vma)
{
	vma->vm_ops = &hpf_vm_ops;
	/* What remap_pfn_range() sets; VM_HUGEPAGE for THP "madvise". */
	vm_flags_set(vma, VM_IO | VM_PFNMAP | VM_DONTEXPAND | VM_DONTDUMP |
		     VM_HUGEPAGE);
	return 0;
}

static const struct file_operations hpf_fops = {
	.mmap = hpf_mmap,
};

static void hpf_free_pages(void *data)
{
	struct hpf_test *t = data;

	if (t->kind->size == PMD_SIZE)
		__free_pages(pfn_to_page(t->pfn), get_order(PMD_SIZE));
	else if (t->cma)
		cma_release(t->cma, pfn_to_page(t->pfn), t->nr_pages);
	else
		free_contig_range(t->pfn, t->nr_pages);
}

KUNIT_DEFINE_ACTION_WRAPPER(hpf_fput, fput, struct file *);

/*
 * The case's thread may still be on its way out, its mm not yet torn down,
 * when the cleanup runs: zap what the case left mapped of the test file
 * before the memory goes (page_table_check counts special entries of RAM
 * too), then drop the case's reference to the mm.
 */
static void hpf_unmap_and_mmput(void *data)
{
	struct hpf_test *t = data;
	struct vm_area_struct *vma;
	struct vma_iterator vmi;

	vma_iter_init(&vmi, t->mm, 0);
	mmap_write_lock(t->mm);
	for_each_vma(vmi, vma)
		if (vma->vm_file == t->file && (vma->vm_flags & VM_PFNMAP))
			zap_vma_ptes(vma, vma->vm_start,
				     vma->vm_end - vma->vm_start);
	mmap_write_unlock(t->mm);
	mmput(t->mm);
}

/*
 * Allocates the memory (before the address space, so that the mapping is
 * gone when it is freed) and maps it, shared and read-write, at an address
 * aligned to the entry size: the mapping is made twice as long and trimmed.
 * The case's mappings are zapped and its reference to its mm dropped first
 * at cleanup, before the file and the memory go.
 */
static struct hpf_test *hpf_setup(struct kunit *test)
{
	const struct hpf_kind *kind = test->param_value;
	struct vm_area_struct *vma;
	struct hpf_test *t;
	struct page *page;
	struct file *file;
	unsigned long map, len;

	if (kind->size == PUD_SIZE &&
	    !IS_ENABLED(CONFIG_ARCH_SUPPORTS_PUD_PFNMAP))
		kunit_skip(test, "no special puds on this architecture");
	if (kind->devmap && !IS_ENABLED(CONFIG_ARCH_HAS_PTE_DEVMAP))
		kunit_skip(test, "no devmap entries on this architecture");

	t = kunit_kzalloc(test, sizeof(*t), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, t);
	t->kind = kind;
	t->nr_pages = kind->size >> PAGE_SHIFT;

	if (kind->size == PMD_SIZE) {
		page = alloc_pages(GFP_KERNEL | __GFP_ZERO, get_order(PMD_SIZE));
	} else {
		page = NULL;
#ifdef CONFIG_DMA_CMA
		t->cma = dev_get_cma_area(NULL);
		if (t->cma)
			page = cma_alloc(t->cma, t->nr_pages,
					 get_order(PUD_SIZE), true);
		if (!page)
			t->cma = NULL;
#endif
#ifdef CONFIG_CONTIG_ALLOC
		if (!page)
			page = alloc_contig_pages(t->nr_pages,
						  GFP_KERNEL | __GFP_NOWARN,
						  numa_mem_id(), NULL);
#endif
		if (!page)
			kunit_skip(test, "no 1 GiB of contiguous memory");
	}
	KUNIT_ASSERT_NOT_NULL(test, page);
	t->pfn = page_to_pfn(page);
	KUNIT_ASSERT_EQ(test,
			kunit_add_action_or_reset(test, hpf_free_pages, t), 0);

	file = anon_inode_getfile("[huge_pfnmap_kunit]", &hpf_fops, t, O_RDWR);
	KUNIT_ASSERT_FALSE(test, IS_ERR(file));
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test, hpf_fput, file),
			0);
	t->file = file;

	len = 2 * kind->size;
	map = kunit_vm_mmap(test, file, 0, len, PROT_READ | PROT_WRITE,
			    MAP_SHARED, 0);
	KUNIT_ASSERT_TRUE(test, map && !IS_ERR_VALUE(map));
	t->mm = current->mm;
	KUNIT_ASSERT_NOT_NULL(test, t->mm);
	mmget(t->mm);
	KUNIT_ASSERT_EQ(test,
			kunit_add_action_or_reset(test, hpf_unmap_and_mmput, t),
			0);
	t->addr = ALIGN(map, kind->size);
	if (t->addr > map)
		KUNIT_ASSERT_EQ(test, vm_munmap(map, t->addr - map), 0);
	KUNIT_ASSERT_EQ(test, vm_munmap(t->addr + kind->size,
					map + len - t->addr - kind->size), 0);

	mmap_read_lock(t->mm);
	vma = vma_lookup(t->mm, t->addr);
	if (vma) {
		t->base_pgoff = vma->vm_pgoff;
		KUNIT_EXPECT_EQ(test, vma->vm_start, t->addr);
		KUNIT_EXPECT_EQ(test, vma->vm_end, t->addr + kind->size);
	}
	mmap_read_unlock(t->mm);
	KUNIT_ASSERT_NOT_NULL(test, vma);
	return t;
}

/* The kernel's view of the u64 at @off in the allocation. */
static u64 hpf_backing(struct hpf_test *t, unsigned long off)
{
	struct page *page = pfn_to_page(t->pfn + (off >> PAGE_SHIFT));
	u64 *p = kmap_local_page(page);
	u64 val = p[(off & ~PAGE_MASK) / sizeof(u64)];

	kunmap_local(p);
	return val;
}

enum hpf_entry {
	HPF_NONE,	/* nothing mapped at that level */
	HPF_TABLE,	/* a page table: mapped with smaller entries */
	HPF_SPECIAL,	/* a huge special entry */
	HPF_DEVMAP,	/* a huge devmap entry */
	HPF_OTHER,	/* any other huge entry: must never happen */
};

/* What maps @addr in @mm at the level of the case's entry size. */
static enum hpf_entry hpf_entry_in(struct hpf_test *t, struct mm_struct *mm,
				   unsigned long addr, bool *writable)
{
	enum hpf_entry ret = HPF_NONE;
	pgd_t *pgd;
	p4d_t *p4d;
	pud_t *pud, pudval;
	pmd_t pmdval;

	*writable = false;
	mmap_read_lock(mm);
	pgd = pgd_offset(mm, addr);
	if (!pgd_present(*pgd))
		goto out;
	p4d = p4d_offset(pgd, addr);
	if (!p4d_present(*p4d))
		goto out;
	pud = pud_offset(p4d, addr);
	pudval = READ_ONCE(*pud);
	if (t->kind->size == PUD_SIZE) {
		if (!pud_present(pudval))
			goto out;
		ret = HPF_TABLE;
		if (!pud_leaf(pudval))
			goto out;
		*writable = pud_write(pudval);
		ret = pud_special(pudval) ? HPF_SPECIAL :
		      pud_devmap(pudval) ? HPF_DEVMAP : HPF_OTHER;
		goto out;
	}
	if (!pud_present(pudval) || pud_leaf(pudval))
		goto out;
	pmdval = READ_ONCE(*pmd_offset(pud, addr));
	if (!pmd_present(pmdval))
		goto out;
	ret = HPF_TABLE;
	if (!pmd_trans_huge(pmdval) && !pmd_devmap(pmdval))
		goto out;
	*writable = pmd_write(pmdval);
	ret = pmd_special(pmdval) ? HPF_SPECIAL :
	      pmd_devmap(pmdval) ? HPF_DEVMAP : HPF_OTHER;
out:
	mmap_read_unlock(mm);
	return ret;
}

/* What maps @addr in the case's own mm. */
static enum hpf_entry hpf_entry_at(struct hpf_test *t, unsigned long addr,
				   bool *writable)
{
	return hpf_entry_in(t, t->mm, addr, writable);
}

static enum hpf_entry hpf_expected(struct hpf_test *t)
{
	return t->kind->devmap ? HPF_DEVMAP : HPF_SPECIAL;
}

static int hpf_write(struct hpf_test *t, unsigned long off, u64 val)
{
	return copy_to_user((u64 __user *)(t->addr + off), &val,
			    sizeof(val)) ? -EFAULT : 0;
}

static int hpf_read(struct hpf_test *t, unsigned long off, u64 *val)
{
	return copy_from_user(val, (u64 __user *)(t->addr + off),
			      sizeof(*val)) ? -EFAULT : 0;
}

/* Offsets the cases write to: first, middle and last u64. */
static unsigned long hpf_offsets(struct hpf_test *t, int i)
{
	return i == 0 ? 0 : i == 1 ? t->kind->size / 2 + 8 :
	       t->kind->size - sizeof(u64);
}

#define HPF_NR_OFFSETS	3

static u64 hpf_pattern(int i, u64 round)
{
	return 0x6870666e00000000ULL | (round << 8) | i;
}

/* Writes the pattern of @round through the mapping and checks it. */
static void hpf_fill(struct kunit *test, struct hpf_test *t, u64 round)
{
	int i;

	for (i = 0; i < HPF_NR_OFFSETS; i++)
		KUNIT_ASSERT_EQ(test, hpf_write(t, hpf_offsets(t, i),
						hpf_pattern(i, round)), 0);
	for (i = 0; i < HPF_NR_OFFSETS; i++)
		KUNIT_EXPECT_EQ(test, hpf_backing(t, hpf_offsets(t, i)),
				hpf_pattern(i, round));
}

/* Checks the pattern of @round through the mapping (@user) or the kernel. */
static void hpf_check(struct kunit *test, struct hpf_test *t, u64 round,
		      bool user)
{
	u64 val;
	int i;

	for (i = 0; i < HPF_NR_OFFSETS; i++) {
		if (!user) {
			KUNIT_EXPECT_EQ(test, hpf_backing(t, hpf_offsets(t, i)),
					hpf_pattern(i, round));
			continue;
		}
		KUNIT_EXPECT_EQ(test, hpf_read(t, hpf_offsets(t, i), &val), 0);
		KUNIT_EXPECT_EQ(test, val, hpf_pattern(i, round));
	}
}

/* A CPU write faults in one huge entry of the case's kind, and only that. */
static void hpf_fault_maps_huge_entry(struct kunit *test)
{
	struct hpf_test *t = hpf_setup(test);
	bool writable;

	KUNIT_EXPECT_EQ(test, hpf_entry_at(t, t->addr, &writable), HPF_NONE);
	hpf_fill(test, t, 1);
	KUNIT_EXPECT_EQ(test, atomic_read(&t->huge_faults), 1);
	KUNIT_EXPECT_EQ(test, atomic_read(&t->pte_faults), 0);
	KUNIT_EXPECT_EQ(test, hpf_entry_at(t, t->addr, &writable),
			hpf_expected(t));
	KUNIT_EXPECT_TRUE(test, writable);
	hpf_check(test, t, 1, true);
}

/* Reference counts of the first, a middle and the last page. */
static void hpf_refcounts(struct hpf_test *t, int refs[3])
{
	refs[0] = page_ref_count(pfn_to_page(t->pfn));
	refs[1] = page_ref_count(pfn_to_page(t->pfn + t->nr_pages / 2));
	refs[2] = page_ref_count(pfn_to_page(t->pfn + t->nr_pages - 1));
}

static void hpf_expect_refcounts(struct kunit *test, struct hpf_test *t,
				 const int before[3], const char *what)
{
	int after[3], i;

	hpf_refcounts(t, after);
	for (i = 0; i < 3; i++)
		KUNIT_EXPECT_EQ_MSG(test, after[i], before[i],
				    "%s took a page reference", what);
}

/*
 * Every gup entry point refuses the entry with -EFAULT and takes no page
 * reference; the fast ones must not get past it to the pages either.
 */
static void hpf_gup_refused(struct kunit *test)
{
	static const struct {
		const char *name;
		bool pin, fast;
		unsigned int flags;
	} calls[] = {
		{ "get_user_pages_fast", false, true, 0 },
		{ "get_user_pages_fast(FOLL_WRITE)", false, true, FOLL_WRITE },
		{ "pin_user_pages_fast", true, true, FOLL_WRITE },
		{ "pin_user_pages_fast(FOLL_LONGTERM)", true, true,
		  FOLL_WRITE | FOLL_LONGTERM },
		{ "get_user_pages", false, false, 0 },
		{ "pin_user_pages", true, false, FOLL_WRITE },
		{ "pin_user_pages(FOLL_LONGTERM)", true, false,
		  FOLL_WRITE | FOLL_LONGTERM },
	};
	struct hpf_test *t = hpf_setup(test);
	int before[3], i;
	bool writable;

	hpf_fill(test, t, 2);
	hpf_refcounts(t, before);

	for (i = 0; i < ARRAY_SIZE(calls); i++) {
		unsigned long addr = t->addr + hpf_offsets(t, i % 3);
		struct page *page = NULL;
		long ret;

		if (calls[i].fast && calls[i].pin) {
			ret = pin_user_pages_fast(addr, 1, calls[i].flags, &page);
		} else if (calls[i].fast) {
			ret = get_user_pages_fast(addr, 1, calls[i].flags, &page);
		} else {
			mmap_read_lock(t->mm);
			if (calls[i].pin)
				ret = pin_user_pages(addr, 1, calls[i].flags,
						     &page);
			else
				ret = get_user_pages(addr, 1, calls[i].flags,
						     &page);
			mmap_read_unlock(t->mm);
		}
		KUNIT_EXPECT_EQ_MSG(test, ret, (long)-EFAULT, "%s", calls[i].name);
		if (ret > 0 && page) {
			if (calls[i].pin)
				unpin_user_page(page);
			else
				put_page(page);
		}
		hpf_expect_refcounts(test, t, before, calls[i].name);
	}

	/* Refused, not split: the entry and the contents are as they were. */
	KUNIT_EXPECT_EQ(test, hpf_entry_at(t, t->addr, &writable),
			hpf_expected(t));
	hpf_check(test, t, 2, true);
}

/*
 * End a walk that folio_walk_start() should have refused.  This is
 * folio_walk_end() written out with sparse annotations for what
 * folio_walk_start() returned holding: the page table lock and, for a pte,
 * an RCU read section, which folio_walk_end() leaves under a condition sparse
 * cannot follow.
 */
static void hpf_folio_walk_end(struct folio_walk *fw,
			       struct vm_area_struct *vma)
{
	__acquire(fw->ptl);
	spin_unlock(fw->ptl);
	if (fw->level == FW_LEVEL_PTE) {
		__acquire(RCU);
		pte_unmap(fw->ptep);
	}
	vma_pgtable_walk_end(vma);
}

/*
 * The lookup move_pages() makes on any vma finds no page: that was
 * follow_page() once, and is folio_walk_start() with FW_ZEROPAGE now
 * (add_page_for_migration(), do_pages_stat_array()).  Every combination of
 * the walk's flags finds no folio, and no reference is taken.
 */
static void hpf_follow_page_refused(struct kunit *test)
{
	static const folio_walk_flags_t flags[] = {
		0, FW_ZEROPAGE, FW_MIGRATION, FW_ZEROPAGE | FW_MIGRATION,
	};
	struct hpf_test *t = hpf_setup(test);
	struct vm_area_struct *vma;
	int before[3], i;

	hpf_fill(test, t, 3);
	hpf_refcounts(t, before);

	for (i = 0; i < ARRAY_SIZE(flags); i++) {
		struct folio *folio = NULL;
		struct folio_walk fw;

		mmap_read_lock(t->mm);
		vma = vma_lookup(t->mm, t->addr);
		if (vma) {
			folio = folio_walk_start(&fw, vma, t->addr + PAGE_SIZE,
						 flags[i]);
			if (folio)
				hpf_folio_walk_end(&fw, vma);
		}
		mmap_read_unlock(t->mm);
		KUNIT_EXPECT_NOT_NULL(test, vma);
		KUNIT_EXPECT_PTR_EQ_MSG(test, folio, NULL, "flags %#x",
					(__force int)flags[i]);
	}
	hpf_expect_refcounts(test, t, before, "folio_walk_start()");
}

/* Readers that only look at the page (smaps, vm_normal_page_pmd()) see none. */
static void hpf_no_normal_page(struct kunit *test)
{
	struct hpf_test *t = hpf_setup(test);
	struct vm_area_struct *vma;
	struct page *page = NULL;
	bool checked = false;
	pmd_t *pmd;

	hpf_fill(test, t, 4);
	mmap_read_lock(t->mm);
	vma = find_vma(t->mm, t->addr);
	pmd = mm_find_pmd(t->mm, t->addr);
	if (vma && pmd) {
		pmd_t pmdval = READ_ONCE(*pmd);

		checked = pmd_present(pmdval);
		if (checked) {
			KUNIT_EXPECT_TRUE(test, huge_pmd_maps_no_page(pmdval));
			page = vm_normal_page_pmd(vma, t->addr, pmdval);
		}
	}
	mmap_read_unlock(t->mm);
	KUNIT_EXPECT_TRUE(test, checked);
	KUNIT_EXPECT_PTR_EQ(test, page, NULL);
}

/*
 * mprotect() of [start, end), which one vma covers, to @prot, as
 * do_mprotect_pkey() does it.
 */
static int hpf_mprotect(struct hpf_test *t, unsigned long start,
			unsigned long end, unsigned long prot)
{
	struct vm_area_struct *vma, *prev;
	struct vma_iterator vmi;
	struct mmu_gather tlb;
	unsigned long newflags;
	int ret = -ENOMEM;

	mmap_write_lock(t->mm);
	vma_iter_init(&vmi, t->mm, start);
	vma = vma_find(&vmi, end);
	if (vma && vma->vm_start <= start && vma->vm_end >= end) {
		prev = vma_prev(&vmi);
		if (start > vma->vm_start)
			prev = vma;
		tlb_gather_mmu(&tlb, t->mm);
		/* Back to @vma, as do_mprotect_pkey()'s loop goes. */
		for_each_vma_range(vmi, vma, end) {
			newflags = (vma->vm_flags &
				    ~(VM_READ | VM_WRITE | VM_EXEC)) |
				   calc_vm_prot_bits(prot, 0);
			ret = mprotect_fixup(&vmi, &tlb, vma, &prev, start, end,
					     newflags);
			break;
		}
		tlb_finish_mmu(&tlb);
	}
	mmap_write_unlock(t->mm);
	return ret;
}

/* What follow_pfnmap_start() said about one address. */
struct hpf_lookup {
	int ret;		/* of follow_pfnmap_start() */
	unsigned long pfn;
	bool writable;
	bool special;
	bool entry_lock;	/* it held the lock of the case's entry */
};

/*
 * The page table lock of the case's entry at @addr in @mm, pud_lock()'s or
 * pmd_lock()'s, or NULL if no page table leads there.
 */
static spinlock_t *hpf_entry_lock(struct hpf_test *t, struct mm_struct *mm,
				  unsigned long addr)
{
	pgd_t *pgd = pgd_offset(mm, addr);
	p4d_t *p4d;
	pud_t *pud;

	if (!pgd_present(*pgd))
		return NULL;
	p4d = p4d_offset(pgd, addr);
	if (!p4d_present(*p4d))
		return NULL;
	pud = pud_offset(p4d, addr);
	if (t->kind->size == PUD_SIZE)
		return pud_lockptr(mm, pud);
	if (!pud_present(*pud) || pud_leaf(*pud))
		return NULL;
	return pmd_lockptr(mm, pmd_offset(pud, addr));
}

/*
 * Looks up t->addr + @off in @mm with follow_pfnmap_start(), as KVM does.
 * Context: @mm's mmap_lock held, so no assertion may fail here.
 */
static void hpf_lookup_locked(struct hpf_test *t, struct mm_struct *mm,
			      unsigned long off, struct hpf_lookup *l)
{
	struct follow_pfnmap_args args = { .address = t->addr + off };
	spinlock_t *lock;	/* the lock of the case's entry */

	memset(l, 0, sizeof(*l));
	args.vma = vma_lookup(mm, args.address);
	if (!args.vma) {
		l->ret = -ENOENT;
		return;
	}
	lock = hpf_entry_lock(t, mm, args.address);
	l->ret = follow_pfnmap_start(&args);
	if (!l->ret) {
		l->pfn = args.pfn;
		l->writable = args.writable;
		l->special = args.special;
		/* Held: follow_pfnmap_end() unlocks it (lockdep checks). */
		l->entry_lock = !args.ptep && lock && args.lock == lock;
		follow_pfnmap_end(&args);
	}
}

static void hpf_lookup(struct hpf_test *t, struct mm_struct *mm,
		       unsigned long off, struct hpf_lookup *l)
{
	mmap_read_lock(mm);
	hpf_lookup_locked(t, mm, off, l);
	mmap_read_unlock(mm);
}

/*
 * The lookup of @off found the case's entry: the exact page at @off, the
 * entry's writability and kind, under the pmd or pud lock.  The protection
 * is the entry's own (pmd_pgprot(), pud_pgprot()) and is not checked.
 */
static void hpf_expect_found(struct kunit *test, struct hpf_test *t,
			     unsigned long off, const struct hpf_lookup *l,
			     bool writable)
{
	unsigned long pfn = t->pfn + (off >> PAGE_SHIFT);

	KUNIT_EXPECT_EQ_MSG(test, l->ret, 0, "offset %#lx", off);
	KUNIT_EXPECT_EQ_MSG(test, l->pfn, pfn, "offset %#lx", off);
	KUNIT_EXPECT_EQ_MSG(test, l->writable, writable, "offset %#lx", off);
	KUNIT_EXPECT_EQ_MSG(test, l->special, !t->kind->devmap,
			    "offset %#lx", off);
	KUNIT_EXPECT_TRUE_MSG(test, l->entry_lock,
			      "offset %#lx: not under the %s lock", off,
			      t->kind->size == PUD_SIZE ? "pud" : "pmd");
}

/* The first page, an address inside a middle page, the last byte. */
static unsigned long hpf_lookup_offset(struct hpf_test *t, int i)
{
	return i == 0 ? 0 : i == 1 ? t->kind->size / 2 + 5 * PAGE_SIZE + 24 :
	       t->kind->size - 1;
}

#define HPF_NR_LOOKUPS	3

/*
 * follow_pfnmap_start() finds the exact page inside the huge entry, and
 * whether the entry is writable: after a write fault, and after mprotect()
 * to read-only (which write-protects a huge pmd or pud in place).
 */
static void hpf_follow_pfnmap_finds_the_page(struct kunit *test)
{
	struct hpf_test *t = hpf_setup(test);
	unsigned long end = t->addr + t->kind->size;
	struct hpf_lookup l;
	bool writable;
	int pass, i;
	u64 val;

	hpf_fill(test, t, 13);
	for (pass = 0; pass < 2; pass++) {
		if (pass) {
			KUNIT_ASSERT_EQ(test, hpf_mprotect(t, t->addr, end,
							   PROT_READ), 0);
			KUNIT_ASSERT_EQ(test, hpf_read(t, 0, &val), 0);
		}
		KUNIT_ASSERT_EQ(test, hpf_entry_at(t, t->addr, &writable),
				hpf_expected(t));
		KUNIT_EXPECT_EQ(test, writable, !pass);
		for (i = 0; i < HPF_NR_LOOKUPS; i++) {
			hpf_lookup(t, t->mm, hpf_lookup_offset(t, i), &l);
			hpf_expect_found(test, t, hpf_lookup_offset(t, i), &l,
					 writable);
		}
	}
	KUNIT_EXPECT_EQ(test, atomic_read(&t->pte_faults), 0);
}

/*
 * KVM's hva_to_pfn_remapped(): the lookup fails while nothing is mapped,
 * fixup_user_fault() maps the huge entry, and the lookup then finds the
 * page; all under one mmap_lock.
 */
static void hpf_follow_pfnmap_after_fixup_fault(struct kunit *test)
{
	struct hpf_test *t = hpf_setup(test);
	unsigned long off = hpf_lookup_offset(t, 1);
	struct hpf_lookup before, after;
	bool writable;
	int fault;

	mmap_read_lock(t->mm);
	hpf_lookup_locked(t, t->mm, off, &before);
	fault = fixup_user_fault(t->mm, t->addr + off, FAULT_FLAG_WRITE, NULL);
	hpf_lookup_locked(t, t->mm, off, &after);
	mmap_read_unlock(t->mm);

	KUNIT_EXPECT_EQ(test, before.ret, -EINVAL);
	KUNIT_EXPECT_EQ(test, fault, 0);
	hpf_expect_found(test, t, off, &after, true);
	KUNIT_EXPECT_EQ(test, hpf_entry_at(t, t->addr, &writable),
			hpf_expected(t));
	KUNIT_EXPECT_TRUE(test, writable);
	KUNIT_EXPECT_EQ(test, atomic_read(&t->huge_faults), 1);
	KUNIT_EXPECT_EQ(test, atomic_read(&t->pte_faults), 0);
}

/*
 * mprotect() of all of the mapping keeps or refaults the huge entry with the
 * new protection; of half of it, splits it.  The contents stay.
 */
static void hpf_mprotect_keeps_contents(struct kunit *test)
{
	struct hpf_test *t = hpf_setup(test);
	unsigned long half = t->kind->size / 2;
	bool writable;
	u64 val;

	hpf_fill(test, t, 5);
	KUNIT_ASSERT_EQ(test, hpf_mprotect(t, t->addr, t->addr + t->kind->size,
					   PROT_READ), 0);
	hpf_check(test, t, 5, true);
	KUNIT_EXPECT_EQ(test, hpf_entry_at(t, t->addr, &writable),
			hpf_expected(t));
	KUNIT_EXPECT_FALSE(test, writable);
	KUNIT_EXPECT_EQ(test, hpf_write(t, 0, 0), -EFAULT);

	KUNIT_ASSERT_EQ(test, hpf_mprotect(t, t->addr, t->addr + t->kind->size,
					   PROT_READ | PROT_WRITE), 0);
	hpf_fill(test, t, 6);

	/* The first half read-only: the vma and the entry are split. */
	KUNIT_ASSERT_EQ(test, hpf_mprotect(t, t->addr, t->addr + half,
					   PROT_READ), 0);
	KUNIT_EXPECT_EQ(test, hpf_entry_at(t, t->addr, &writable), HPF_NONE);
	hpf_check(test, t, 6, true);
	KUNIT_EXPECT_EQ(test, hpf_write(t, 0, 0), -EFAULT);
	KUNIT_EXPECT_EQ(test, hpf_write(t, t->kind->size - 8, 7), 0);
	KUNIT_EXPECT_EQ(test, hpf_backing(t, t->kind->size - 8), 7ULL);
	KUNIT_EXPECT_EQ(test, hpf_read(t, half - 8, &val), 0);
	KUNIT_EXPECT_EQ(test, hpf_entry_at(t, t->addr, &writable), HPF_TABLE);
}

/* munmap() of a page in the middle splits the entry; the rest stays. */
static void hpf_munmap_part(struct kunit *test)
{
	struct hpf_test *t = hpf_setup(test);
	unsigned long hole = t->kind->size / 4;
	bool writable;
	u64 val;

	hpf_fill(test, t, 8);
	KUNIT_ASSERT_EQ(test, vm_munmap(t->addr + hole, PAGE_SIZE), 0);
	KUNIT_EXPECT_EQ(test, hpf_entry_at(t, t->addr, &writable), HPF_NONE);
	KUNIT_EXPECT_EQ(test, hpf_read(t, hole, &val), -EFAULT);
	hpf_check(test, t, 8, true);
	KUNIT_EXPECT_EQ(test, hpf_entry_at(t, t->addr, &writable), HPF_TABLE);
	/* The pages are the allocation's, not copies. */
	KUNIT_EXPECT_EQ(test, hpf_write(t, 0, 9), 0);
	KUNIT_EXPECT_EQ(test, hpf_backing(t, 0), 9ULL);
}

/*
 * mremap(): move_page_tables() moves the whole entry to another mapping of
 * the file, as is, without looking at a page; the old range is empty and the
 * new one reads and writes the same memory.
 */
static void hpf_move_entry(struct kunit *test)
{
	struct hpf_test *t = hpf_setup(test);
	unsigned long size = t->kind->size, map, dst, moved = 0;
	struct vm_area_struct *vma, *new_vma;
	bool writable;
	u64 val;
	int i;

	hpf_fill(test, t, 10);
	KUNIT_ASSERT_EQ(test, hpf_entry_at(t, t->addr, &writable),
			hpf_expected(t));

	map = kunit_vm_mmap(test, t->file, 0, 2 * size, PROT_READ | PROT_WRITE,
			    MAP_SHARED, 0);
	KUNIT_ASSERT_TRUE(test, map && !IS_ERR_VALUE(map));
	dst = ALIGN(map, size);
	if (dst > map)
		KUNIT_ASSERT_EQ(test, vm_munmap(map, dst - map), 0);
	KUNIT_ASSERT_EQ(test, vm_munmap(dst + size, map + size - dst), 0);

	mmap_write_lock(t->mm);
	vma = vma_lookup(t->mm, t->addr);
	new_vma = vma_lookup(t->mm, dst);
	if (vma && new_vma)
		moved = move_page_tables(vma, t->addr, new_vma, dst, size,
					 true, false);
	mmap_write_unlock(t->mm);
	KUNIT_ASSERT_EQ(test, moved, size);

	KUNIT_EXPECT_EQ(test, hpf_entry_at(t, t->addr, &writable), HPF_NONE);
	KUNIT_EXPECT_EQ(test, hpf_entry_at(t, dst, &writable), hpf_expected(t));
	KUNIT_EXPECT_TRUE(test, writable);
	for (i = 0; i < HPF_NR_OFFSETS; i++) {
		u64 __user *p = (u64 __user *)(dst + hpf_offsets(t, i));

		KUNIT_EXPECT_EQ(test, copy_from_user(&val, p, sizeof(val)), 0UL);
		KUNIT_EXPECT_EQ(test, val, hpf_pattern(i, 10));
	}
	val = 11;
	KUNIT_EXPECT_EQ(test, copy_to_user((u64 __user *)dst, &val,
					   sizeof(val)), 0UL);
	KUNIT_EXPECT_EQ(test, hpf_backing(t, 0), 11ULL);
	/* Nothing was faulted in again: the entry itself moved. */
	KUNIT_EXPECT_EQ(test, atomic_read(&t->huge_faults), 1);
	KUNIT_EXPECT_EQ(test, atomic_read(&t->pte_faults), 0);
}

/*
 * A pte-level insert into a range that a huge entry maps backs off with
 * VM_FAULT_NOPAGE and leaves the entry and the memory alone.  A fault that
 * fell back to ptes meets this when another thread mapped the range huge
 * in the meantime (see walk_to_pte_table() in mm/memory.c); here the insert
 * is simply made after the huge fault.  Without the back-off the pmd kinds
 * hit walk_to_pmd()'s VM_BUG_ON() under DEBUG_VM (else the insert answers
 * VM_FAULT_OOM), and the pud kinds take the buffer's first word for a pmd.
 */
static void hpf_pte_insert_backs_off(struct kunit *test)
{
	struct hpf_test *t = hpf_setup(test);
	struct vm_area_struct *vma;
	vm_fault_t ret = 0;
	bool writable;

	hpf_fill(test, t, 12);
	KUNIT_ASSERT_EQ(test, hpf_entry_at(t, t->addr, &writable),
			hpf_expected(t));

	mmap_read_lock(t->mm);
	vma = vma_lookup(t->mm, t->addr);
	if (vma)
		ret = vmf_insert_pfn(vma, t->addr, t->pfn);
	mmap_read_unlock(t->mm);
	KUNIT_ASSERT_NOT_NULL(test, vma);
	KUNIT_EXPECT_TRUE(test, ret == VM_FAULT_NOPAGE);

	KUNIT_EXPECT_EQ(test, hpf_entry_at(t, t->addr, &writable),
			hpf_expected(t));
	hpf_check(test, t, 12, false);
	hpf_check(test, t, 12, true);
	KUNIT_EXPECT_EQ(test, atomic_read(&t->huge_faults), 1);
	KUNIT_EXPECT_EQ(test, atomic_read(&t->pte_faults), 0);
}

struct hpf_child {
	struct hpf_test *t;
	bool own_mm;		/* it ran in an mm of its own */
	enum hpf_entry entry;	/* its entry before it touched the mapping */
	bool entry_writable;
	struct hpf_lookup lookup; /* of the second page, before touching */
	enum hpf_entry entry_after; /* its entry after reading */
	int faults;		/* faults of the test vma while it ran */
	int read_ok, write_ok, unmap_ret;
	struct completion done;
};

static int hpf_faults(struct hpf_test *t)
{
	return atomic_read(&t->huge_faults) + atomic_read(&t->pte_faults);
}

/*
 * Runs in the child process, in its copy of the case's address space: looks
 * at what fork() left there, reads the parent's data through it and writes,
 * then unmaps it, so that nothing of the case outlives the case in the
 * exiting child.
 */
static int hpf_child_fn(void *arg)
{
	struct hpf_child *c = arg;
	struct hpf_test *t = c->t;
	struct mm_struct *mm = current->mm;
	int faults = hpf_faults(t);
	bool writable;
	u64 val = 0;
	int i;

	c->own_mm = mm && mm != t->mm;
	if (c->own_mm) {
		c->entry = hpf_entry_in(t, mm, t->addr, &c->entry_writable);
		hpf_lookup(t, mm, PAGE_SIZE, &c->lookup);
		c->read_ok = 1;
		for (i = 0; i < HPF_NR_OFFSETS; i++)
			if (hpf_read(t, hpf_offsets(t, i), &val) ||
			    val != hpf_pattern(i, 10))
				c->read_ok = 0;
		c->entry_after = hpf_entry_in(t, mm, t->addr, &writable);
		c->write_ok = !hpf_write(t, 8, hpf_pattern(0, 11));
		c->faults = hpf_faults(t) - faults;
		c->unmap_ret = vm_munmap(t->addr, t->kind->size);
	}
	complete(&c->done);
	do_exit(0);
}

/*
 * fork() gives the child a copy of the mapping in an mm of its own
 * (copy_page_range()): copy_huge_pud() copies a huge pud and
 * copy_huge_pmd() a special pmd, keeping write access in this shared
 * mapping; copy_huge_pmd() leaves a devmap pmd of a non-anonymous vma out,
 * and the child faults it in again.  The child sees the parent's data and
 * the parent the child's writes, and the parent keeps write access without
 * a fault.
 */
static void hpf_fork_shares(struct kunit *test)
{
	struct hpf_test *t = hpf_setup(test);
	struct hpf_child c = { .t = t };
	struct kernel_clone_args args = {
		.flags = CLONE_UNTRACED,	/* no CLONE_VM: a new mm */
		.exit_signal = SIGCHLD,
		.fn = hpf_child_fn,
		.fn_arg = &c,
	};
	int faults, status, ret;
	bool writable;
	pid_t pid;

	init_completion(&c.done);
	hpf_fill(test, t, 10);

	pid = kernel_clone(&args);
	KUNIT_ASSERT_GT(test, pid, 0);
	wait_for_completion(&c.done);
	/* A kernel thread ignores SIGCHLD: the child may be reaped already. */
	ret = kernel_wait(pid, &status);
	KUNIT_EXPECT_TRUE_MSG(test, ret == pid || ret == -ECHILD,
			      "kernel_wait() returned %d", ret);

	KUNIT_ASSERT_TRUE_MSG(test, c.own_mm,
			      "the child ran in the parent's mm: no fork");
	if (t->kind->size == PUD_SIZE || !t->kind->devmap) {
		KUNIT_EXPECT_EQ(test, c.entry, hpf_expected(t));
		KUNIT_EXPECT_TRUE_MSG(test, c.entry_writable,
				      "fork() write-protected the child's entry");
		hpf_expect_found(test, t, PAGE_SIZE, &c.lookup, true);
		KUNIT_EXPECT_EQ_MSG(test, c.faults, 0,
				    "the child faulted on the copied entry");
	} else {
		KUNIT_EXPECT_EQ(test, c.entry, HPF_NONE);
		KUNIT_EXPECT_EQ(test, c.lookup.ret, -EINVAL);
	}
	KUNIT_EXPECT_EQ(test, c.entry_after, hpf_expected(t));
	KUNIT_EXPECT_EQ(test, c.read_ok, 1);
	KUNIT_EXPECT_EQ(test, c.write_ok, 1);
	KUNIT_EXPECT_EQ(test, c.unmap_ret, 0);
	KUNIT_EXPECT_EQ(test, hpf_backing(t, 8), hpf_pattern(0, 11));

	/* A shared mapping is not write-protected by fork(). */
	KUNIT_EXPECT_EQ(test, hpf_entry_at(t, t->addr, &writable),
			hpf_expected(t));
	KUNIT_EXPECT_TRUE_MSG(test, writable,
			      "fork() write-protected the parent's entry");
	faults = hpf_faults(t);
	hpf_fill(test, t, 12);
	KUNIT_EXPECT_EQ_MSG(test, hpf_faults(t), faults,
			    "the parent faulted to write after fork()");
}

/* One of the two threads of a round of hpf_fault_race(). */
struct hpf_racer {
	struct hpf_test *t;
	struct hpf_race *race;
	unsigned long off;		/* writes @val at @off of the mapping */
	u64 val;
	struct completion *after;	/* before it writes, waits for this */
	struct completion *done;	/* completes this when the write returned */
	int ret;
	struct completion exited;
};

static int hpf_racer_fn(void *arg)
{
	struct hpf_racer *r = arg;

	kthread_use_mm(r->t->mm);
	wait_for_completion(&r->race->start);
	if (r->after)
		hpf_race_wait(r->race, r->after);
	/* A CPU write: the fault comes through the architecture's handler. */
	r->ret = hpf_write(r->t, r->off, r->val);
	if (r->done)
		complete(r->done);
	kthread_unuse_mm(r->t->mm);
	complete(&r->exited);
	return 0;
}

/* Maps the case's range again, empty, page tables included. */
static int hpf_remap(struct hpf_test *t)
{
	unsigned long addr;

	addr = vm_mmap(t->file, t->addr, t->kind->size, PROT_READ | PROT_WRITE,
		       MAP_SHARED | MAP_FIXED, t->base_pgoff << PAGE_SHIFT);
	return addr == t->addr ? 0 : IS_ERR_VALUE(addr) ? (int)addr : -EFAULT;
}

#define HPF_RACE_ROUNDS		32	/* of each kind: free, pte, huge waits */

/*
 * The race that "mm: make pfn and page inserts back off when the pmd became
 * huge" closes, on the path a CPU access takes: two threads of the case's
 * mm write to the same empty range; the huge side maps it with one huge
 * entry, the pte side is sent to the pte fallback by ->huge_fault, as two
 * faults are when PR_SET_THP_DISABLE changes between them.
 * Rounds of three kinds, the range mapped again empty before each:
 *  - the pte side waits in ->fault, the core having chosen ptes, until the
 *    huge entry is there: its insert must back off, and its access then
 *    goes through the huge entry (without the fix: walk_to_pmd()'s
 *    VM_BUG_ON() under DEBUG_VM, else VM_FAULT_OOM from the insert);
 *  - the huge side waits in ->huge_fault until the pte side has mapped its
 *    page: vmf_insert_pfn_pmd() must leave the page table alone (without
 *    the fix: the WARN in insert_pfn_pmd() for a write fault);
 *  - neither waits, and the two race as they come.
 * Every write lands in the buffer, nothing else changes, and no splat.
 * The pmd kinds only: a pud-sized fault that falls back to ptes allocates
 * the pmd table first, and the core retries on a huge pud it then meets.
 */
static void hpf_fault_race(struct kunit *test)
{
	static const char *const names[] = { "free", "pte waits", "huge waits" };
	struct hpf_test *t = hpf_setup(test);
	unsigned int huge_end[3] = {}, rounds[3] = {};
	unsigned int round, n;

	for (round = 0; round < 3 * HPF_RACE_ROUNDS; round++) {
		enum hpf_race_wait wait = round % 3;
		struct hpf_race race = { .wait = wait };
		struct hpf_racer pte = {
			.t = t, .race = &race, .off = 8,
			.val = hpf_pattern(0, round),
			.after = wait == HPF_RACE_HUGE_WAITS ?
				 &race.huge_entered : NULL,
			.done = &race.pte_mapped,
		};
		struct hpf_racer huge = {
			.t = t, .race = &race, .off = t->kind->size / 2 + 8,
			.val = hpf_pattern(1, round),
			.after = wait == HPF_RACE_PTE_WAITS ?
				 &race.pte_entered : NULL,
		};
		struct task_struct *pte_task, *huge_task;
		enum hpf_entry entry;
		bool writable;

		KUNIT_ASSERT_EQ(test, hpf_remap(t), 0);
		init_completion(&race.start);
		init_completion(&race.pte_entered);
		init_completion(&race.huge_entered);
		init_completion(&race.pte_mapped);
		init_completion(&race.huge_mapped);
		init_completion(&pte.exited);
		init_completion(&huge.exited);

		pte_task = kthread_create(hpf_racer_fn, &pte, "hpf_race_pte");
		KUNIT_ASSERT_FALSE(test, IS_ERR(pte_task));
		huge_task = kthread_create(hpf_racer_fn, &huge, "hpf_race_huge");
		if (IS_ERR(huge_task)) {
			/* never woken: stopping it runs no hpf_racer_fn() */
			kthread_stop(pte_task);
			KUNIT_FAIL_AND_ABORT(test, "kthread_create() failed: %ld",
					     PTR_ERR(huge_task));
		}
		race.pte_task = pte_task;
		WRITE_ONCE(t->race, &race);
		wake_up_process(pte_task);
		wake_up_process(huge_task);
		complete_all(&race.start);
		wait_for_completion(&pte.exited);
		wait_for_completion(&huge.exited);
		WRITE_ONCE(t->race, NULL);

		KUNIT_EXPECT_FALSE_MSG(test, READ_ONCE(race.timed_out),
				       "round %u (%s): a side waited in vain",
				       round, names[wait]);
		KUNIT_EXPECT_EQ_MSG(test, pte.ret, 0, "round %u (%s)", round,
				    names[wait]);
		KUNIT_EXPECT_EQ_MSG(test, huge.ret, 0, "round %u (%s)", round,
				    names[wait]);
		KUNIT_EXPECT_EQ_MSG(test, hpf_backing(t, pte.off), pte.val,
				    "round %u (%s)", round, names[wait]);
		KUNIT_EXPECT_EQ_MSG(test, hpf_backing(t, huge.off), huge.val,
				    "round %u (%s)", round, names[wait]);
		entry = hpf_entry_at(t, t->addr, &writable);
		if (wait == HPF_RACE_PTE_WAITS)
			KUNIT_EXPECT_EQ_MSG(test, entry, hpf_expected(t),
					    "round %u (%s)", round, names[wait]);
		else if (wait == HPF_RACE_HUGE_WAITS)
			KUNIT_EXPECT_EQ_MSG(test, entry, HPF_TABLE,
					    "round %u (%s)", round, names[wait]);
		else
			KUNIT_EXPECT_TRUE_MSG(test, entry == HPF_TABLE ||
					      entry == hpf_expected(t),
					      "round %u (%s): entry %d", round,
					      names[wait], entry);
		huge_end[wait] += entry == hpf_expected(t);
		rounds[wait]++;
		if (test->status == KUNIT_FAILURE)
			break;
	}
	for (n = 0; n < ARRAY_SIZE(names); n++)
		kunit_info(test, "%s: %u rounds, %u ended huge\n", names[n],
			   rounds[n], huge_end[n]);
}

static struct kunit_case huge_pfnmap_cases[] = {
	KUNIT_CASE_PARAM(hpf_fault_maps_huge_entry, hpf_kind_gen_params),
	KUNIT_CASE_PARAM(hpf_gup_refused, hpf_kind_gen_params),
	KUNIT_CASE_PARAM(hpf_follow_page_refused, hpf_kind_gen_params),
	KUNIT_CASE_PARAM(hpf_no_normal_page, hpf_pmd_kind_gen_params),
	KUNIT_CASE_PARAM(hpf_follow_pfnmap_finds_the_page, hpf_kind_gen_params),
	KUNIT_CASE_PARAM(hpf_follow_pfnmap_after_fixup_fault,
			 hpf_kind_gen_params),
	KUNIT_CASE_PARAM(hpf_mprotect_keeps_contents, hpf_kind_gen_params),
	KUNIT_CASE_PARAM(hpf_munmap_part, hpf_kind_gen_params),
	KUNIT_CASE_PARAM(hpf_move_entry, hpf_kind_gen_params),
	KUNIT_CASE_PARAM(hpf_fork_shares, hpf_kind_gen_params),
	KUNIT_CASE_PARAM(hpf_pte_insert_backs_off, hpf_kind_gen_params),
	KUNIT_CASE_PARAM(hpf_fault_race, hpf_pmd_kind_gen_params),
	{}
};

static struct kunit_suite huge_pfnmap_suite = {
	.name = "huge_pfnmap",
	.test_cases = huge_pfnmap_cases,
};

kunit_test_suite(huge_pfnmap_suite);

MODULE_LICENSE("GPL");
