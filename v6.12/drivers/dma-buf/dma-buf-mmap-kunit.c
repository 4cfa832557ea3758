// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests for the VM_PFNMAP rule of dma-buf mmap: dma_buf_mmap_internal()
 * (mmap() of a dma-buf fd) and dma_buf_mmap() (an importer forwarding its own
 * mmap) must let PFN-mapping exporters through, refuse page-mapping ones and
 * COW mappings, undo only what a refused exporter installed, exactly once,
 * name it once without a WARN, and pass an exporter's own error on; and core
 * mm must refuse a page from ->fault on a VM_PFNMAP vma, the workaround an
 * exporter might try.
 *
 * Included from dma-buf.c, so that the escape hatch (allow_unsafe_mmap) and
 * the list of exporters already named can be reached.  Each case maps test
 * exporters' buffers with kunit_vm_mmap(), which gives the case's thread an
 * address space of its own, and starts with none of them named, so the
 * suite can run more than once per boot.  The cases that need the refusal
 * skip when the escape hatch is open.  No case provokes a WARN: a refusal
 * only logs a plain warning line, so any splat while the suite runs is a
 * failure.
 */

#include <kunit/resource.h>
#include <kunit/test.h>
#include <linux/anon_inodes.h>
#include <linux/highmem.h>
#include <linux/mman.h>
#include <linux/uaccess.h>

enum dbm_kind {
	DBM_PFN,	/* remap_pfn_range(): follows the rule */
	DBM_PAGE,	/* vm_insert_page(): breaks it */
	DBM_PAGE_NO_VM_OPS,	/* the same, and leaves vm_ops alone */
	DBM_PFNMAP_FAULT,	/* VM_PFNMAP, but ->fault returns the page */
	DBM_FAIL,	/* its mmap fails */
};

/* One test exporter's buffer: a single page. */
struct dbm_buffer {
	enum dbm_kind kind;
	struct page *page;
	/* References held by mappings, like a GEM object's refcount. */
	atomic_t refs;
	atomic_t mmaps;
	atomic_t closes;
	atomic_t faults;
};

static void dbm_vm_open(struct vm_area_struct *vma)
{
	struct dbm_buffer *buf = vma->vm_private_data;

	atomic_inc(&buf->refs);
}

static void dbm_vm_close(struct vm_area_struct *vma)
{
	struct dbm_buffer *buf = vma->vm_private_data;

	atomic_dec(&buf->refs);
	atomic_inc(&buf->closes);
}

static const struct vm_operations_struct dbm_vm_ops = {
	.open = dbm_vm_open,
	.close = dbm_vm_close,
};

/* What an exporter that only added VM_PFNMAP to get past the check has. */
static vm_fault_t dbm_fault_page(struct vm_fault *vmf)
{
	struct dbm_buffer *buf = vmf->vma->vm_private_data;

	atomic_inc(&buf->faults);
	if (vmf->pgoff)
		return VM_FAULT_SIGBUS;
	get_page(buf->page);
	vmf->page = buf->page;
	return 0;
}

static const struct vm_operations_struct dbm_fault_page_vm_ops = {
	.open = dbm_vm_open,
	.close = dbm_vm_close,
	.fault = dbm_fault_page,
};

static int dbm_mmap(struct dma_buf *dmabuf, struct vm_area_struct *vma)
{
	struct dbm_buffer *buf = dmabuf->priv;
	int ret;

	atomic_inc(&buf->mmaps);
	/* No vm_ops, so no ->close to drop a reference: take none. */
	if (buf->kind == DBM_PAGE_NO_VM_OPS)
		return vm_insert_page(vma, vma->vm_start, buf->page);

	vma->vm_ops = &dbm_vm_ops;
	vma->vm_private_data = buf;
	if (buf->kind == DBM_FAIL)
		return -ENOMEM;

	/* Like drm_gem_mmap_obj(): the mapping holds a reference. */
	atomic_inc(&buf->refs);
	if (buf->kind == DBM_PFNMAP_FAULT) {
		vma->vm_ops = &dbm_fault_page_vm_ops;
		vm_flags_set(vma, VM_PFNMAP | VM_DONTEXPAND | VM_DONTDUMP);
		return 0;
	}
	if (buf->kind == DBM_PFN)
		ret = remap_pfn_range(vma, vma->vm_start,
				      page_to_pfn(buf->page), PAGE_SIZE,
				      vma->vm_page_prot);
	else
		ret = vm_insert_page(vma, vma->vm_start, buf->page);
	if (ret)
		atomic_dec(&buf->refs);
	return ret;
}

static struct sg_table *dbm_map_dma_buf(struct dma_buf_attachment *attach,
					enum dma_data_direction dir)
{
	return ERR_PTR(-ENODEV);
}

static void dbm_unmap_dma_buf(struct dma_buf_attachment *attach,
			      struct sg_table *sgt,
			      enum dma_data_direction dir)
{
}

static void dbm_release(struct dma_buf *dmabuf)
{
	struct dbm_buffer *buf = dmabuf->priv;

	__free_page(buf->page);
	kfree(buf);
}

static const struct dma_buf_ops dbm_ops = {
	.map_dma_buf = dbm_map_dma_buf,
	.unmap_dma_buf = dbm_unmap_dma_buf,
	.release = dbm_release,
	.mmap = dbm_mmap,
};

/* Another exporter's mmap, as a second GEM driver would have. */
static int dbm_other_mmap(struct dma_buf *dmabuf, struct vm_area_struct *vma)
{
	return dbm_mmap(dmabuf, vma);
}

static const struct dma_buf_ops dbm_other_ops = {
	.map_dma_buf = dbm_map_dma_buf,
	.unmap_dma_buf = dbm_unmap_dma_buf,
	.release = dbm_release,
	.mmap = dbm_other_mmap,
};

static bool dbm_is_test_exporter(const struct dma_buf_mmap_offender *o)
{
	return o->mmap == dbm_mmap || o->mmap == dbm_other_mmap;
}

/* Whether the exporter of @dmabuf was named already, without naming it. */
static bool dbm_named(const struct dma_buf *dmabuf)
{
	struct dma_buf_mmap_offender *o;
	bool named = false;

	mutex_lock(&dma_buf_mmap_offenders_lock);
	list_for_each_entry(o, &dma_buf_mmap_offenders, node)
		if (o->mmap == dmabuf->ops->mmap &&
		    !strcmp(o->exp_name, dmabuf->exp_name))
			named = true;
	mutex_unlock(&dma_buf_mmap_offenders_lock);
	return named;
}

/* Forget the test exporters named before, by this case or an earlier run. */
static void dbm_forget_named(void)
{
	struct dma_buf_mmap_offender *o, *tmp;

	mutex_lock(&dma_buf_mmap_offenders_lock);
	list_for_each_entry_safe(o, tmp, &dma_buf_mmap_offenders, node) {
		if (dbm_is_test_exporter(o)) {
			list_del(&o->node);
			kfree(o);
		}
	}
	mutex_unlock(&dma_buf_mmap_offenders_lock);
}

static int dbm_init(struct kunit *test)
{
	dbm_forget_named();
	return 0;
}

static void dbm_suite_exit(struct kunit_suite *suite)
{
	dbm_forget_named();
}

/*
 * For the cases that need the refusal: with the escape hatch open (boot
 * parameter, sysfs or CONFIG_DMABUF_MMAP_ALLOW_UNSAFE_DEFAULT) there is
 * none, and turning it off behind the administrator's back is not the
 * suite's business.
 */
static void dbm_need_refusal(struct kunit *test)
{
	if (READ_ONCE(allow_unsafe_mmap))
		kunit_skip(test, "dma_buf.allow_unsafe_mmap is on, nothing is refused");
}

static void dbm_put(struct kunit_resource *res)
{
	dma_buf_put(res->data);
}

/*
 * A one-page dma-buf of @kind from an exporter called @exp_name with @ops;
 * the kernel log names a rule-breaking exporter once per name and mmap.
 */
static struct dma_buf *dbm_export_ops(struct kunit *test, enum dbm_kind kind,
				      const char *exp_name,
				      const struct dma_buf_ops *ops)
{
	DEFINE_DMA_BUF_EXPORT_INFO(exp_info);
	struct dbm_buffer *buf;
	struct dma_buf *dmabuf;

	buf = kzalloc(sizeof(*buf), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, buf);
	buf->kind = kind;
	buf->page = alloc_page(GFP_KERNEL | __GFP_ZERO);
	if (!buf->page) {
		kfree(buf);
		KUNIT_FAIL_AND_ABORT(test, "out of memory");
	}

	exp_info.exp_name = exp_name;
	exp_info.ops = ops;
	exp_info.size = PAGE_SIZE;
	exp_info.flags = O_RDWR;
	exp_info.priv = buf;
	dmabuf = dma_buf_export(&exp_info);
	if (IS_ERR(dmabuf)) {
		__free_page(buf->page);
		kfree(buf);
		KUNIT_FAIL_AND_ABORT(test, "dma_buf_export: %ld",
				     PTR_ERR(dmabuf));
	}
	/*
	 * Dropped when the case ends; a mapping still holds the dma-buf's
	 * file until the case's address space goes away with its thread.
	 */
	if (!kunit_alloc_resource(test, NULL, dbm_put, GFP_KERNEL, dmabuf)) {
		dma_buf_put(dmabuf);
		KUNIT_FAIL_AND_ABORT(test, "out of memory");
	}
	return dmabuf;
}

static struct dma_buf *dbm_export(struct kunit *test, enum dbm_kind kind,
				  const char *exp_name)
{
	return dbm_export_ops(test, kind, exp_name, &dbm_ops);
}

static struct dbm_buffer *dbm_buf(struct dma_buf *dmabuf)
{
	return dmabuf->priv;
}

/*
 * mmap() of the dma-buf fd: dma_buf_mmap_internal().  The address, or the
 * error as a negative number.  The first mapping of a case gives its thread
 * an address space.
 */
static long dbm_mmap_fd(struct kunit *test, struct dma_buf *dmabuf,
			unsigned long len, unsigned long flags,
			unsigned long pgoff)
{
	return (long)kunit_vm_mmap(test, dmabuf->file, 0, len,
				   PROT_READ | PROT_WRITE, flags,
				   pgoff << PAGE_SHIFT);
}

/*
 * An importer whose own mmap forwards to dma_buf_mmap().  With @own_vm_ops
 * it is etnaviv or exynos: drm_gem_mmap_obj() installed the importer's GEM
 * vm_ops and took a GEM reference (@refs) before the forward, drops it
 * itself when the forward fails, and etnaviv drops it when the exporter's
 * vm_ops took over.
 */
struct dbm_importer {
	struct dma_buf *dmabuf;
	unsigned long pgoff;
	bool own_vm_ops;
	atomic_t refs;
	atomic_t closes;
};

static void dbm_importer_vm_open(struct vm_area_struct *vma)
{
	struct dbm_importer *imp = vma->vm_private_data;

	atomic_inc(&imp->refs);
}

static void dbm_importer_vm_close(struct vm_area_struct *vma)
{
	struct dbm_importer *imp = vma->vm_private_data;

	atomic_dec(&imp->refs);
	atomic_inc(&imp->closes);
}

static const struct vm_operations_struct dbm_importer_vm_ops = {
	.open = dbm_importer_vm_open,
	.close = dbm_importer_vm_close,
};

static int dbm_importer_mmap(struct file *file, struct vm_area_struct *vma)
{
	struct dbm_importer *imp = file->private_data;
	int ret;

	if (!imp->own_vm_ops)
		return dma_buf_mmap(imp->dmabuf, vma, imp->pgoff);

	atomic_inc(&imp->refs);
	vma->vm_ops = &dbm_importer_vm_ops;
	vma->vm_private_data = imp;
	ret = dma_buf_mmap(imp->dmabuf, vma, imp->pgoff);
	if (ret || vma->vm_ops != &dbm_importer_vm_ops)
		atomic_dec(&imp->refs);
	return ret;
}

static const struct file_operations dbm_importer_fops = {
	.mmap = dbm_importer_mmap,
};

static struct dbm_importer *dbm_importer(struct kunit *test,
					 struct dma_buf *dmabuf,
					 unsigned long pgoff, bool own_vm_ops)
{
	struct dbm_importer *imp;

	imp = kunit_kzalloc(test, sizeof(*imp), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, imp);
	imp->dmabuf = dmabuf;
	imp->pgoff = pgoff;
	imp->own_vm_ops = own_vm_ops;
	return imp;
}

KUNIT_DEFINE_ACTION_WRAPPER(dbm_fput, fput, struct file *);

/* mmap() of @imp's file, which forwards to dma_buf_mmap(). */
static long dbm_mmap_importer_file(struct kunit *test, struct dbm_importer *imp,
				   unsigned long len, unsigned long flags)
{
	struct file *file;

	file = anon_inode_getfile("[dma-buf importer]", &dbm_importer_fops, imp,
				  O_RDWR);
	KUNIT_ASSERT_FALSE(test, IS_ERR(file));
	/* A mapping that keeps the file holds a reference of its own. */
	KUNIT_ASSERT_EQ(test, kunit_add_action_or_reset(test, dbm_fput, file),
			0);
	return (long)kunit_vm_mmap(test, file, 0, len, PROT_READ | PROT_WRITE,
				   flags, 0);
}

static long dbm_mmap_importer(struct kunit *test, struct dma_buf *dmabuf,
			      unsigned long len, unsigned long flags,
			      unsigned long pgoff)
{
	return dbm_mmap_importer_file(test,
				      dbm_importer(test, dmabuf, pgoff, false),
				      len, flags);
}

static unsigned long dbm_vm_flags(struct kunit *test, unsigned long addr)
{
	struct vm_area_struct *vma;
	unsigned long flags;

	mmap_read_lock(current->mm);
	vma = vma_lookup(current->mm, addr);
	flags = vma ? vma->vm_flags : 0;
	mmap_read_unlock(current->mm);
	KUNIT_EXPECT_NOT_NULL(test, vma);
	return flags;
}

static void pfn_exporter_maps_with_vm_pfnmap(struct kunit *test)
{
	struct dma_buf *dmabuf = dbm_export(test, DBM_PFN, "kunit-pfn");
	struct dbm_buffer *buf = dbm_buf(dmabuf);
	const u32 pattern = 0xdb0f0f0f;
	long addr;
	u32 *vaddr;

	addr = dbm_mmap_fd(test, dmabuf, PAGE_SIZE, MAP_SHARED, 0);
	KUNIT_ASSERT_GT(test, addr, 0L);
	KUNIT_EXPECT_TRUE(test, dbm_vm_flags(test, addr) & VM_PFNMAP);
	KUNIT_EXPECT_EQ(test, atomic_read(&buf->refs), 1);

	/* The mapping reaches the buffer. */
	KUNIT_EXPECT_EQ(test, copy_to_user((void __user *)addr, &pattern,
					   sizeof(pattern)), 0UL);
	vaddr = kmap_local_page(buf->page);
	KUNIT_EXPECT_EQ(test, *vaddr, pattern);
	kunmap_local(vaddr);

	KUNIT_EXPECT_EQ(test, vm_munmap(addr, PAGE_SIZE), 0);
	KUNIT_EXPECT_EQ(test, atomic_read(&buf->refs), 0);
	KUNIT_EXPECT_EQ(test, atomic_read(&buf->closes), 1);
}

/*
 * The first refusal of an exporter names it with a plain warning, later
 * ones of the same exporter do not; none is a WARN, which user space could
 * turn into a panic with panic_on_warn.
 */
static void page_exporter_is_refused_once_warned_and_undone(struct kunit *test)
{
	struct dma_buf *dmabuf;
	struct dbm_buffer *buf;
	long file_refs;
	long first, second;

	dbm_need_refusal(test);
	dmabuf = dbm_export(test, DBM_PAGE, "kunit-page");
	buf = dbm_buf(dmabuf);
	file_refs = file_count(dmabuf->file);
	KUNIT_EXPECT_FALSE(test, dbm_named(dmabuf));

	first = dbm_mmap_fd(test, dmabuf, PAGE_SIZE, MAP_SHARED, 0);
	KUNIT_EXPECT_TRUE(test, dbm_named(dmabuf));
	second = dbm_mmap_fd(test, dmabuf, PAGE_SIZE, MAP_SHARED, 0);
	/* Named by the first refusal, so not by the second or any later. */
	KUNIT_EXPECT_FALSE(test, dma_buf_mmap_first_offence(dmabuf));

	KUNIT_EXPECT_EQ(test, first, (long)-EINVAL);
	KUNIT_EXPECT_EQ(test, second, (long)-EINVAL);
	KUNIT_EXPECT_EQ(test, atomic_read(&buf->mmaps), 2);
	/* Each refused mmap was undone exactly once. */
	KUNIT_EXPECT_EQ(test, atomic_read(&buf->closes), 2);
	KUNIT_EXPECT_EQ(test, atomic_read(&buf->refs), 0);
	/* The page vm_insert_page() mapped was unmapped again. */
	KUNIT_EXPECT_EQ(test, page_count(buf->page), 1);
	KUNIT_EXPECT_EQ(test, file_count(dmabuf->file), file_refs);
}

static void failing_exporter_error_passes_through_without_close(struct kunit *test)
{
	struct dma_buf *dmabuf = dbm_export(test, DBM_FAIL, "kunit-fail");
	struct dbm_buffer *buf = dbm_buf(dmabuf);

	KUNIT_EXPECT_EQ(test,
			dbm_mmap_fd(test, dmabuf, PAGE_SIZE, MAP_SHARED, 0),
			(long)-ENOMEM);
	KUNIT_EXPECT_EQ(test, dbm_mmap_importer(test, dmabuf, PAGE_SIZE,
						MAP_SHARED, 0),
			(long)-ENOMEM);
	KUNIT_EXPECT_EQ(test, atomic_read(&buf->mmaps), 2);
	KUNIT_EXPECT_EQ(test, atomic_read(&buf->closes), 0);
}

static void importer_mmap_of_pfn_exporter_succeeds(struct kunit *test)
{
	struct dma_buf *dmabuf = dbm_export(test, DBM_PFN, "kunit-pfn");
	struct dbm_buffer *buf = dbm_buf(dmabuf);
	struct vm_area_struct *vma;
	struct file *vm_file = NULL;
	long addr;

	addr = dbm_mmap_importer(test, dmabuf, PAGE_SIZE, MAP_SHARED, 0);
	KUNIT_ASSERT_GT(test, addr, 0L);
	KUNIT_EXPECT_TRUE(test, dbm_vm_flags(test, addr) & VM_PFNMAP);
	mmap_read_lock(current->mm);
	vma = vma_lookup(current->mm, addr);
	if (vma)
		vm_file = vma->vm_file;
	mmap_read_unlock(current->mm);
	/* The mapping belongs to the dma-buf, so the exporter can zap it. */
	KUNIT_EXPECT_PTR_EQ(test, vm_file, dmabuf->file);
	KUNIT_EXPECT_EQ(test, atomic_read(&buf->refs), 1);
}

static void importer_mmap_of_page_exporter_is_refused(struct kunit *test)
{
	struct dma_buf *dmabuf;
	struct dbm_buffer *buf;
	long ret;

	dbm_need_refusal(test);
	dmabuf = dbm_export(test, DBM_PAGE, "kunit-page");
	buf = dbm_buf(dmabuf);

	ret = dbm_mmap_importer(test, dmabuf, PAGE_SIZE, MAP_SHARED, 0);

	KUNIT_EXPECT_EQ(test, ret, (long)-EINVAL);
	KUNIT_EXPECT_EQ(test, atomic_read(&buf->closes), 1);
	KUNIT_EXPECT_EQ(test, atomic_read(&buf->refs), 0);
	KUNIT_EXPECT_EQ(test, page_count(buf->page), 1);
}

/*
 * etnaviv and exynos forward with their own GEM vm_ops and reference in
 * place.  An exporter that installs no vm_ops of its own leaves those: the
 * refusal must not call the importer's ->close, whose reference the
 * importer's error path drops itself.
 */
static void refusal_leaves_the_importers_vm_ops_to_the_importer(struct kunit *test)
{
	struct dbm_importer *imp;
	struct dma_buf *dmabuf;
	struct dbm_buffer *buf;
	long file_refs;
	long ret;

	dbm_need_refusal(test);
	dmabuf = dbm_export(test, DBM_PAGE_NO_VM_OPS, "kunit-page-no-vm-ops");
	buf = dbm_buf(dmabuf);
	file_refs = file_count(dmabuf->file);
	imp = dbm_importer(test, dmabuf, 0, true);

	ret = dbm_mmap_importer_file(test, imp, PAGE_SIZE, MAP_SHARED);

	KUNIT_EXPECT_EQ(test, ret, (long)-EINVAL);
	KUNIT_EXPECT_EQ(test, atomic_read(&buf->mmaps), 1);
	/* Taken once by the importer, dropped once by its error path. */
	KUNIT_EXPECT_EQ(test, atomic_read(&imp->closes), 0);
	KUNIT_EXPECT_EQ(test, atomic_read(&imp->refs), 0);
	KUNIT_EXPECT_EQ(test, page_count(buf->page), 1);
	KUNIT_EXPECT_EQ(test, file_count(dmabuf->file), file_refs);
}

/*
 * The same importer, and an exporter that replaces the vm_ops: only the
 * exporter's ->close is called, once.
 */
static void refusal_closes_only_the_exporters_vm_ops(struct kunit *test)
{
	struct dbm_importer *imp;
	struct dma_buf *dmabuf;
	struct dbm_buffer *buf;
	long file_refs;
	long ret;

	dbm_need_refusal(test);
	dmabuf = dbm_export(test, DBM_PAGE, "kunit-page");
	buf = dbm_buf(dmabuf);
	file_refs = file_count(dmabuf->file);
	imp = dbm_importer(test, dmabuf, 0, true);

	ret = dbm_mmap_importer_file(test, imp, PAGE_SIZE, MAP_SHARED);

	KUNIT_EXPECT_EQ(test, ret, (long)-EINVAL);
	KUNIT_EXPECT_EQ(test, atomic_read(&buf->mmaps), 1);
	KUNIT_EXPECT_EQ(test, atomic_read(&buf->closes), 1);
	KUNIT_EXPECT_EQ(test, atomic_read(&buf->refs), 0);
	KUNIT_EXPECT_EQ(test, atomic_read(&imp->closes), 0);
	KUNIT_EXPECT_EQ(test, atomic_read(&imp->refs), 0);
	KUNIT_EXPECT_EQ(test, page_count(buf->page), 1);
	KUNIT_EXPECT_EQ(test, file_count(dmabuf->file), file_refs);
}

/*
 * Every GEM driver exports as "drm": a second one that breaks the rule is
 * named too, not hidden behind the first.
 */
static void exporters_sharing_a_name_are_each_named(struct kunit *test)
{
	struct dma_buf *first, *second;

	dbm_need_refusal(test);
	first = dbm_export(test, DBM_PAGE, "kunit-drm");
	second = dbm_export_ops(test, DBM_PAGE, "kunit-drm", &dbm_other_ops);

	KUNIT_EXPECT_EQ(test,
			dbm_mmap_fd(test, first, PAGE_SIZE, MAP_SHARED, 0),
			(long)-EINVAL);
	KUNIT_EXPECT_FALSE(test, dbm_named(second));
	KUNIT_EXPECT_EQ(test,
			dbm_mmap_fd(test, second, PAGE_SIZE, MAP_SHARED, 0),
			(long)-EINVAL);

	KUNIT_EXPECT_TRUE(test, dbm_named(first));
	KUNIT_EXPECT_TRUE(test, dbm_named(second));
}

/*
 * An exporter that sets VM_PFNMAP to get past the check but still returns
 * its page from ->fault: the mmap passes, but core mm refuses the page, so
 * nothing maps or pins it and the access fails.
 */
static void pfnmap_exporter_whose_fault_returns_a_page_maps_nothing(struct kunit *test)
{
	struct dma_buf *dmabuf = dbm_export(test, DBM_PFNMAP_FAULT,
					    "kunit-pfnmap-fault");
	struct dbm_buffer *buf = dbm_buf(dmabuf);
	int page_refs = page_count(buf->page);
	struct page *pinned = NULL;
	u32 val = 0;
	long addr;
	int ret;

	addr = dbm_mmap_fd(test, dmabuf, PAGE_SIZE, MAP_SHARED, 0);
	KUNIT_ASSERT_GT(test, addr, 0L);
	KUNIT_EXPECT_TRUE(test, dbm_vm_flags(test, addr) & VM_PFNMAP);
	KUNIT_EXPECT_EQ(test, atomic_read(&buf->refs), 1);

	/* The fault handler is called, and its page refused: SIGBUS. */
	KUNIT_EXPECT_EQ(test, get_user(val, (u32 __user *)addr), -EFAULT);
	KUNIT_EXPECT_NE(test, copy_from_user(&val, (void __user *)addr,
					     sizeof(val)), 0UL);
	KUNIT_EXPECT_GE(test, atomic_read(&buf->faults), 2);

	/* No pte was installed for gup_fast to find, and slow GUP refuses. */
	ret = pin_user_pages_fast(addr, 1, 0, &pinned);
	KUNIT_EXPECT_LE(test, ret, 0);
	if (ret > 0)
		unpin_user_page(pinned);

	/* The references the fault handler took were all dropped again. */
	KUNIT_EXPECT_EQ(test, page_count(buf->page), page_refs);

	KUNIT_EXPECT_EQ(test, vm_munmap(addr, PAGE_SIZE), 0);
	KUNIT_EXPECT_EQ(test, atomic_read(&buf->refs), 0);
}

static void private_mapping_is_refused_before_the_exporter(struct kunit *test)
{
	struct dma_buf *dmabuf = dbm_export(test, DBM_PFN, "kunit-pfn");
	struct dbm_buffer *buf = dbm_buf(dmabuf);

	KUNIT_EXPECT_EQ(test,
			dbm_mmap_fd(test, dmabuf, PAGE_SIZE, MAP_PRIVATE, 0),
			(long)-EINVAL);
	KUNIT_EXPECT_EQ(test, dbm_mmap_importer(test, dmabuf, PAGE_SIZE,
						MAP_PRIVATE, 0),
			(long)-EINVAL);
	KUNIT_EXPECT_EQ(test, atomic_read(&buf->mmaps), 0);
}

static void offset_or_length_past_the_end_is_refused(struct kunit *test)
{
	struct dma_buf *dmabuf = dbm_export(test, DBM_PFN, "kunit-pfn");
	struct dbm_buffer *buf = dbm_buf(dmabuf);

	KUNIT_EXPECT_EQ(test,
			dbm_mmap_fd(test, dmabuf, PAGE_SIZE, MAP_SHARED, 1),
			(long)-EINVAL);
	KUNIT_EXPECT_EQ(test,
			dbm_mmap_fd(test, dmabuf, 2 * PAGE_SIZE, MAP_SHARED, 0),
			(long)-EINVAL);
	KUNIT_EXPECT_EQ(test, dbm_mmap_importer(test, dmabuf, PAGE_SIZE,
						MAP_SHARED, 1),
			(long)-EINVAL);
	KUNIT_EXPECT_EQ(test, dbm_mmap_importer(test, dmabuf, 2 * PAGE_SIZE,
						MAP_SHARED, 0),
			(long)-EINVAL);
	/* pgoff + vma_pages() wraps around */
	KUNIT_EXPECT_EQ(test, dbm_mmap_importer(test, dmabuf, PAGE_SIZE,
						MAP_SHARED, ULONG_MAX),
			(long)-EOVERFLOW);
	KUNIT_EXPECT_EQ(test, atomic_read(&buf->mmaps), 0);
}

/* The escape hatch as it was before the case opened it. */
static bool dbm_hatch_before;

static void dbm_restore_hatch(struct kunit_resource *res)
{
	bool *before = res->data;

	WRITE_ONCE(allow_unsafe_mmap, *before);
}

static void escape_hatch_warns_taints_and_allows(struct kunit *test)
{
	struct dma_buf *dmabuf = dbm_export(test, DBM_PAGE, "kunit-hatch");
	struct dbm_buffer *buf = dbm_buf(dmabuf);
	long addr;

	dbm_hatch_before = READ_ONCE(allow_unsafe_mmap);
	KUNIT_ASSERT_NOT_NULL(test, kunit_alloc_resource(test, NULL,
							 dbm_restore_hatch,
							 GFP_KERNEL,
							 &dbm_hatch_before));
	WRITE_ONCE(allow_unsafe_mmap, true);

	addr = dbm_mmap_fd(test, dmabuf, PAGE_SIZE, MAP_SHARED, 0);

	KUNIT_ASSERT_GT(test, addr, 0L);
	KUNIT_EXPECT_TRUE(test, dbm_named(dmabuf));
	KUNIT_EXPECT_FALSE(test, dbm_vm_flags(test, addr) & VM_PFNMAP);
	KUNIT_EXPECT_TRUE(test, test_taint(TAINT_USER));
	KUNIT_EXPECT_EQ(test, atomic_read(&buf->closes), 0);
	KUNIT_EXPECT_EQ(test, atomic_read(&buf->refs), 1);
}

static struct kunit_case dbm_cases[] = {
	KUNIT_CASE(pfn_exporter_maps_with_vm_pfnmap),
	KUNIT_CASE(page_exporter_is_refused_once_warned_and_undone),
	KUNIT_CASE(failing_exporter_error_passes_through_without_close),
	KUNIT_CASE(importer_mmap_of_pfn_exporter_succeeds),
	KUNIT_CASE(importer_mmap_of_page_exporter_is_refused),
	KUNIT_CASE(refusal_leaves_the_importers_vm_ops_to_the_importer),
	KUNIT_CASE(refusal_closes_only_the_exporters_vm_ops),
	KUNIT_CASE(exporters_sharing_a_name_are_each_named),
	KUNIT_CASE(pfnmap_exporter_whose_fault_returns_a_page_maps_nothing),
	KUNIT_CASE(private_mapping_is_refused_before_the_exporter),
	KUNIT_CASE(offset_or_length_past_the_end_is_refused),
	KUNIT_CASE(escape_hatch_warns_taints_and_allows),
	{}
};

static struct kunit_suite dbm_suite = {
	.name = "dma_buf_mmap",
	.init = dbm_init,
	.suite_exit = dbm_suite_exit,
	.test_cases = dbm_cases,
};

kunit_test_suite(dbm_suite);
