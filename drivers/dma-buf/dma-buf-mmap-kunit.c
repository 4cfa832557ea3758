// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests for the VM_PFNMAP rule of dma-buf mmap: dma_buf_mmap_internal()
 * (mmap() of a dma-buf fd) and dma_buf_mmap() (an importer forwarding its own
 * mmap) must let PFN-mapping exporters through, refuse page-mapping ones and
 * COW mappings, undo a refused exporter's mmap exactly once, and pass an
 * exporter's own error on.
 *
 * Included from dma-buf.c, so that the escape hatch (allow_unsafe_mmap)
 * can be tested.  Each case maps test exporters' buffers in an address
 * space of its own (<linux/kunit_user_mm.h>).
 */

#include <kunit/resource.h>
#include <kunit/test.h>
#include <linux/highmem.h>
#include <linux/kunit_user_mm.h>
#include <linux/mman.h>
#include <linux/uaccess.h>

enum dbm_kind {
	DBM_PFN,	/* remap_pfn_range(): follows the rule */
	DBM_PAGE,	/* vm_insert_page(): breaks it */
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

static int dbm_mmap(struct dma_buf *dmabuf, struct vm_area_struct *vma)
{
	struct dbm_buffer *buf = dmabuf->priv;
	int ret;

	atomic_inc(&buf->mmaps);
	vma->vm_ops = &dbm_vm_ops;
	vma->vm_private_data = buf;
	if (buf->kind == DBM_FAIL)
		return -ENOMEM;

	/* Like drm_gem_mmap_obj(): the mapping holds a reference. */
	atomic_inc(&buf->refs);
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

static void dbm_put(struct kunit_resource *res)
{
	dma_buf_put(res->data);
}

/*
 * A one-page dma-buf of @kind from an exporter called @exp_name; the
 * kernel log names a rule-breaking exporter once per name.
 */
static struct dma_buf *dbm_export(struct kunit *test, enum dbm_kind kind,
				  const char *exp_name)
{
	DEFINE_DMA_BUF_EXPORT_INFO(exp_info);
	struct dbm_buffer *buf;
	struct dma_buf *dmabuf;

	KUNIT_ASSERT_EQ(test, kunit_user_mm_attach(test), 0);

	buf = kzalloc(sizeof(*buf), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, buf);
	buf->kind = kind;
	buf->page = alloc_page(GFP_KERNEL | __GFP_ZERO);
	if (!buf->page) {
		kfree(buf);
		KUNIT_ASSERT_FAILURE(test, "out of memory");
	}

	exp_info.exp_name = exp_name;
	exp_info.ops = &dbm_ops;
	exp_info.size = PAGE_SIZE;
	exp_info.flags = O_RDWR;
	exp_info.priv = buf;
	dmabuf = dma_buf_export(&exp_info);
	if (IS_ERR(dmabuf)) {
		__free_page(buf->page);
		kfree(buf);
		KUNIT_ASSERT_FAILURE(test, "dma_buf_export: %ld",
				     PTR_ERR(dmabuf));
	}
	/* Dropped when the case ends, after the mm and its mappings. */
	if (!kunit_alloc_resource(test, NULL, dbm_put, GFP_KERNEL, dmabuf)) {
		dma_buf_put(dmabuf);
		KUNIT_ASSERT_FAILURE(test, "out of memory");
	}
	return dmabuf;
}

static struct dbm_buffer *dbm_buf(struct dma_buf *dmabuf)
{
	return dmabuf->priv;
}

/* mmap() of the dma-buf fd: dma_buf_mmap_internal(). */
static long dbm_mmap_fd(struct dma_buf *dmabuf, unsigned long len,
			unsigned long flags, unsigned long pgoff)
{
	return (long)vm_mmap(dmabuf->file, 0, len, PROT_READ | PROT_WRITE,
			     flags, pgoff << PAGE_SHIFT);
}

/* An importer whose own mmap forwards to dma_buf_mmap(). */
struct dbm_importer {
	struct dma_buf *dmabuf;
	unsigned long pgoff;
};

static int dbm_importer_mmap(struct file *file, struct vm_area_struct *vma)
{
	struct dbm_importer *imp = file->private_data;

	return dma_buf_mmap(imp->dmabuf, vma, imp->pgoff);
}

static const struct file_operations dbm_importer_fops = {
	.mmap = dbm_importer_mmap,
};

static long dbm_mmap_importer(struct kunit *test, struct dma_buf *dmabuf,
			      unsigned long len, unsigned long flags,
			      unsigned long pgoff)
{
	struct dbm_importer *imp;
	struct file *file;

	imp = kunit_kzalloc(test, sizeof(*imp), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, imp);
	imp->dmabuf = dmabuf;
	imp->pgoff = pgoff;
	file = kunit_user_mm_file(test, "[dma-buf importer]",
				  &dbm_importer_fops, imp);
	KUNIT_ASSERT_FALSE(test, IS_ERR(file));
	return (long)vm_mmap(file, 0, len, PROT_READ | PROT_WRITE, flags, 0);
}

static unsigned long dbm_vm_flags(struct kunit *test, unsigned long addr)
{
	struct vm_area_struct *vma;
	unsigned long flags;

	mmap_read_lock(current->mm);
	vma = kunit_user_mm_find_vma(test, addr);
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

	addr = dbm_mmap_fd(dmabuf, PAGE_SIZE, MAP_SHARED, 0);
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
 * The first refusal of an exporter warns, later ones of the same exporter
 * do not: both mmap()s are in one count=1 block.
 */
static void page_exporter_is_refused_once_warned_and_undone(struct kunit *test)
{
	const char *reason = "count=1 dma-buf exporter kunit-page without VM_PFNMAP";
	struct dma_buf *dmabuf = dbm_export(test, DBM_PAGE, "kunit-page");
	struct dbm_buffer *buf = dbm_buf(dmabuf);
	long file_refs = file_count(dmabuf->file);
	long first, second;

	KUNIT_EXPECT_SPLAT_BEGIN(reason);
	first = dbm_mmap_fd(dmabuf, PAGE_SIZE, MAP_SHARED, 0);
	second = dbm_mmap_fd(dmabuf, PAGE_SIZE, MAP_SHARED, 0);
	KUNIT_EXPECT_SPLAT_END(reason);

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

	KUNIT_EXPECT_EQ(test, dbm_mmap_fd(dmabuf, PAGE_SIZE, MAP_SHARED, 0),
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
	vma = kunit_user_mm_find_vma(test, addr);
	if (vma)
		vm_file = vma->vm_file;
	mmap_read_unlock(current->mm);
	/* The mapping belongs to the dma-buf, so the exporter can zap it. */
	KUNIT_EXPECT_PTR_EQ(test, vm_file, dmabuf->file);
	KUNIT_EXPECT_EQ(test, atomic_read(&buf->refs), 1);
}

static void importer_mmap_of_page_exporter_is_refused(struct kunit *test)
{
	const char *reason = "count=0 dma-buf exporter kunit-page via dma_buf_mmap()";
	struct dma_buf *dmabuf = dbm_export(test, DBM_PAGE, "kunit-page");
	struct dbm_buffer *buf = dbm_buf(dmabuf);
	long ret;

	KUNIT_EXPECT_SPLAT_BEGIN(reason);
	ret = dbm_mmap_importer(test, dmabuf, PAGE_SIZE, MAP_SHARED, 0);
	KUNIT_EXPECT_SPLAT_END(reason);

	KUNIT_EXPECT_EQ(test, ret, (long)-EINVAL);
	KUNIT_EXPECT_EQ(test, atomic_read(&buf->closes), 1);
	KUNIT_EXPECT_EQ(test, atomic_read(&buf->refs), 0);
	KUNIT_EXPECT_EQ(test, page_count(buf->page), 1);
}

static void private_mapping_is_refused_before_the_exporter(struct kunit *test)
{
	struct dma_buf *dmabuf = dbm_export(test, DBM_PFN, "kunit-pfn");
	struct dbm_buffer *buf = dbm_buf(dmabuf);

	KUNIT_EXPECT_EQ(test, dbm_mmap_fd(dmabuf, PAGE_SIZE, MAP_PRIVATE, 0),
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

	KUNIT_EXPECT_EQ(test, dbm_mmap_fd(dmabuf, PAGE_SIZE, MAP_SHARED, 1),
			(long)-EINVAL);
	KUNIT_EXPECT_EQ(test, dbm_mmap_fd(dmabuf, 2 * PAGE_SIZE, MAP_SHARED, 0),
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

static void dbm_close_hatch(struct kunit_resource *res)
{
	bool *hatch = res->data;

	*hatch = false;
}

static void escape_hatch_warns_taints_and_allows(struct kunit *test)
{
	const char *reason = "count=1 dma-buf exporter kunit-hatch allowed by allow_unsafe_mmap";
	struct dma_buf *dmabuf = dbm_export(test, DBM_PAGE, "kunit-hatch");
	struct dbm_buffer *buf = dbm_buf(dmabuf);
	long addr;

	KUNIT_ASSERT_FALSE(test, allow_unsafe_mmap);
	KUNIT_ASSERT_NOT_NULL(test, kunit_alloc_resource(test, NULL,
							 dbm_close_hatch,
							 GFP_KERNEL,
							 &allow_unsafe_mmap));
	allow_unsafe_mmap = true;

	KUNIT_EXPECT_SPLAT_BEGIN(reason);
	addr = dbm_mmap_fd(dmabuf, PAGE_SIZE, MAP_SHARED, 0);
	KUNIT_EXPECT_SPLAT_END(reason);

	KUNIT_ASSERT_GT(test, addr, 0L);
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
	KUNIT_CASE(private_mapping_is_refused_before_the_exporter),
	KUNIT_CASE(offset_or_length_past_the_end_is_refused),
	KUNIT_CASE(escape_hatch_warns_taints_and_allows),
	{}
};

static struct kunit_suite dbm_suite = {
	.name = "dma_buf_mmap",
	.test_cases = dbm_cases,
};

kunit_test_suite(dbm_suite);
