// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests for the CMA heap's choice of alignment: a buffer of a pmd or
 * more is taken pmd aligned where the CMA area has room for that, so that
 * its mapping can use pmds, and at the heap's old alignment where it has
 * not, so that the heap never fails an allocation it used to make.
 *
 * Included from cma_heap.c, to reach cma_heap_alloc_pages().  The cases
 * work on the default CMA area (boot with cma=2G, as make check does): they
 * take all of it in 1 MiB pieces, so that they know where every free range
 * is, give some pieces back, and return everything when they end.
 */

#include <kunit/resource.h>
#include <kunit/test.h>

/* Pieces the cases fill the area with: the heap's old alignment for 2 MiB. */
#define CHK_PIECE_ORDER		min_t(unsigned int, get_order(SZ_2M), \
				      CONFIG_CMA_ALIGNMENT)
#define CHK_PIECE_PAGES		BIT(CHK_PIECE_ORDER)
#define CHK_PMD_PAGES		(PMD_SIZE >> PAGE_SHIFT)

struct chk_area {
	struct cma *cma;
	struct page **piece;		/* by index, NULL once given back */
	unsigned long nr;		/* pieces taken */
	unsigned long max;
};

static void chk_release_all(struct kunit_resource *res)
{
	struct chk_area *a = res->data;
	unsigned long i;

	for (i = 0; i < a->nr; i++)
		if (a->piece[i])
			cma_release(a->cma, a->piece[i], CHK_PIECE_PAGES);
}

/*
 * Takes every free CHK_PIECE_PAGES-aligned piece of the default CMA area.
 * Afterwards no free run of the area holds an aligned piece, so none holds
 * a pmd-aligned pmd either.
 */
static struct chk_area *chk_fill(struct kunit *test)
{
	struct chk_area *a;
	struct page *page;

	if (!cma_heap_huge_align(PMD_SIZE))
		kunit_skip(test, "no pmd alignment on this architecture");
	if (CHK_PIECE_PAGES * 2 != CHK_PMD_PAGES)
		kunit_skip(test, "the heap's old alignment is not half a pmd");

	a = kunit_kzalloc(test, sizeof(*a), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, a);
	a->cma = dev_get_cma_area(NULL);
	if (!a->cma || cma_get_size(a->cma) < 8 * PMD_SIZE)
		kunit_skip(test, "no default CMA area of 8 pmds (boot with cma=)");
	a->max = cma_get_size(a->cma) >> (PAGE_SHIFT + CHK_PIECE_ORDER);
	a->piece = kunit_kcalloc(test, a->max, sizeof(*a->piece), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, a->piece);
	KUNIT_ASSERT_NOT_NULL(test, kunit_alloc_resource(test, NULL,
							 chk_release_all,
							 GFP_KERNEL, a));

	while (a->nr < a->max) {
		page = cma_alloc(a->cma, CHK_PIECE_PAGES, CHK_PIECE_ORDER, true);
		if (!page)
			break;
		a->piece[a->nr++] = page;
	}
	KUNIT_ASSERT_GE_MSG(test, a->nr, 8UL,
			    "only %lu pieces of the CMA area were free", a->nr);
	return a;
}

/* The index of our piece at @pfn, or -1 if that piece is not ours. */
static long chk_piece_at(struct chk_area *a, unsigned long pfn)
{
	unsigned long i;

	for (i = 0; i < a->nr; i++)
		if (a->piece[i] && page_to_pfn(a->piece[i]) == pfn)
			return i;
	return -1;
}

/*
 * Gives back the two pieces from @pfn on, if both are ours; returns whether
 * it did.
 */
static bool chk_give_back(struct chk_area *a, unsigned long pfn)
{
	long first = chk_piece_at(a, pfn);
	long second = chk_piece_at(a, pfn + CHK_PIECE_PAGES);

	if (first < 0 || second < 0)
		return false;
	cma_release(a->cma, a->piece[first], CHK_PIECE_PAGES);
	cma_release(a->cma, a->piece[second], CHK_PIECE_PAGES);
	a->piece[first] = NULL;
	a->piece[second] = NULL;
	return true;
}

/*
 * Gives back up to @max holes of one pmd each that start half a pmd off the
 * pmd alignment (@odd) or on it, from the lowest address up, keeping a piece
 * of ours between any two so that they cannot merge.  Returns the pfn of the
 * first hole, or 0 if there was none.
 */
static unsigned long chk_make_holes(struct chk_area *a, bool odd, int max)
{
	unsigned long first = 0, pfn, lowest = ULONG_MAX, i;
	int made = 0;

	for (i = 0; i < a->nr; i++)
		if (a->piece[i])
			lowest = min(lowest, page_to_pfn(a->piece[i]));
	if (lowest == ULONG_MAX)
		return 0;
	pfn = ALIGN(lowest, CHK_PMD_PAGES) + (odd ? CHK_PIECE_PAGES : 0);
	for (; made < max && pfn < lowest + 2 * a->max * CHK_PIECE_PAGES;
	     pfn += 2 * CHK_PMD_PAGES) {
		if (!chk_give_back(a, pfn))
			continue;
		if (!first)
			first = pfn;
		made++;
	}
	return first;
}

/*
 * Only holes that start half a pmd off the alignment are left: a 2 MiB
 * buffer still gets its memory, from such a hole, as it did before the heap
 * asked for pmd alignment.
 */
static void chk_falls_back_to_the_old_alignment(struct kunit *test)
{
	struct chk_area *a = chk_fill(test);
	unsigned long hole = chk_make_holes(a, true, 4);
	struct page *pages;

	KUNIT_ASSERT_NE_MSG(test, hole, 0UL, "no two adjacent pieces to free");
	pages = cma_heap_alloc_pages(a->cma, PMD_SIZE);
	KUNIT_ASSERT_NOT_NULL_MSG(test, pages,
				  "a pmd-sized buffer failed with %s free",
				  "only unaligned pmd-sized holes");
	KUNIT_EXPECT_FALSE(test, IS_ALIGNED(page_to_pfn(pages), CHK_PMD_PAGES));
	KUNIT_EXPECT_TRUE(test, IS_ALIGNED(page_to_pfn(pages), CHK_PIECE_PAGES));
	cma_release(a->cma, pages, CHK_PMD_PAGES);
}

/*
 * With an unaligned hole at a lower address and an aligned one above it,
 * the buffer comes from the aligned one, where its mapping can use a pmd;
 * the old alignment alone would have taken the first.
 */
static void chk_prefers_pmd_alignment(struct kunit *test)
{
	struct chk_area *a = chk_fill(test);
	unsigned long unaligned = chk_make_holes(a, true, 1);
	unsigned long aligned = 0, pfn;
	struct page *pages;

	KUNIT_ASSERT_NE_MSG(test, unaligned, 0UL, "no two adjacent pieces to free");
	for (pfn = ALIGN(unaligned, CHK_PMD_PAGES) + 2 * CHK_PMD_PAGES;
	     !aligned && pfn < unaligned + 2 * a->max * CHK_PIECE_PAGES;
	     pfn += CHK_PMD_PAGES)
		if (chk_give_back(a, pfn))
			aligned = pfn;
	KUNIT_ASSERT_NE_MSG(test, aligned, 0UL, "no aligned pair of pieces above");

	pages = cma_heap_alloc_pages(a->cma, PMD_SIZE);
	KUNIT_ASSERT_NOT_NULL(test, pages);
	KUNIT_EXPECT_EQ(test, page_to_pfn(pages), aligned);
	cma_release(a->cma, pages, CHK_PMD_PAGES);
}

/* Below a pmd, the heap's old alignment, unchanged. */
static void chk_small_buffers_keep_the_old_alignment(struct kunit *test)
{
	KUNIT_EXPECT_EQ(test, cma_heap_huge_align(PMD_SIZE - PAGE_SIZE), 0U);
	KUNIT_EXPECT_EQ(test, cma_heap_huge_align(PAGE_SIZE), 0U);
	if (IS_ENABLED(CONFIG_ARCH_SUPPORTS_PMD_PFNMAP) && PMD_SIZE <= SZ_32M)
		KUNIT_EXPECT_EQ(test, cma_heap_huge_align(4 * PMD_SIZE),
				(unsigned int)(PMD_SHIFT - PAGE_SHIFT));
}

static struct kunit_case cma_heap_alloc_cases[] = {
	KUNIT_CASE(chk_falls_back_to_the_old_alignment),
	KUNIT_CASE(chk_prefers_pmd_alignment),
	KUNIT_CASE(chk_small_buffers_keep_the_old_alignment),
	{}
};

static struct kunit_suite cma_heap_alloc_suite = {
	.name = "cma_heap_alloc",
	.test_cases = cma_heap_alloc_cases,
};

kunit_test_suite(cma_heap_alloc_suite);
