#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# debian-kit.sh (make debian): the series as a backport kit for Debian's
# kernel packaging, and the proof that it applies there with quilt.
#
# The kit, in build/debian-kit/ and as build/debian-kit.tar.gz (the same
# files under debian-kit/):
#   debian/patches/features/all/dma-buf-pfnmap/NNNN-*.patch
#       the patches of patches/series, without the cover letter;
#   debian/patches/series-dma-buf-pfnmap
#       the lines a distribution appends to its debian/patches/series;
#   README
#       how to apply it, the configuration that matters, how it was checked.
#
# The check, in build/debian-kit-check (removed when it passes, kept for
# inspection when it fails): the kit's debian/ and the base's copies of the
# files the patches name (git archive of the base tag; patch(1) touches no
# other file) in a scratch directory, the fragment appended to
# debian/patches/series, and "quilt push -a --fuzz=0" as Debian's
# debian/rules runs it.  The result, outside debian/ and .pc/, must be the
# series head (SERIES_REV, default: the branch "series" of build/linux):
# same files, same blobs, same modes, and the rest of the tree is the base
# on both sides.
set -euo pipefail
# shellcheck source=scripts/lib.sh
. "$(dirname "$0")/lib.sh"

series_rev=${SERIES_REV:-series}
kit_name=debian-kit$LINE_SUFFIX
kit=$BUILD/$kit_name
tarball=$BUILD/$kit_name.tar.gz
# Where the patches live in Debian's debian/patches, and the fragment.
feature_dir=features/all/dma-buf-pfnmap
fragment_name=series-dma-buf-pfnmap
check_dir=$BUILD/debian-kit-check$LINE_SUFFIX

fail=0
report() { # report NAME OK|FAIL [detail]
	printf '[%s] debian: %s%s\n' "$([ "$2" = OK ] && echo PASSED || echo FAILED)" "$1" "${3:+ ($3)}"
	[ "$2" = OK ] || fail=1
}

command -v quilt >/dev/null || die "quilt is not installed (make deps)"
git -C "$TREE" rev-parse -q --verify "$BASE_TAG^{commit}" >/dev/null ||
	die "$TREE has no tag $BASE_TAG; run make tree first"
want_tree=$(git -C "$TREE" rev-parse --verify "$series_rev^{tree}") ||
	die "$TREE has no $series_rev; run make tree first"

mapfile -t patches < <(grep -v -e '^#' -e '^$' "$PATCHES/series" || true)
[ "${#patches[@]}" -gt 0 ] || die "patches/series lists no patches"
subject=$(sed -n 's/^Subject: \[PATCH[^]]*\] *//p' "$PATCHES/0000-cover-letter.patch" | head -n 1)
if [ -n "${LINUX:-}" ]; then
	base_name="the v6.1.y tree $(git -C "$TREE" describe --tags --always "$BASE_TAG" 2>/dev/null)"
else
	base_name="Debian's $BASE_PKG $BASE_VERSION"
fi

# 1. The kit.
rm -rf "$kit" "$tarball"
mkdir -p "$kit/debian/patches/$feature_dir"
{
	echo "# dma-buf mappings without struct page references (${#patches[@]} patches)"
	for p in "${patches[@]}"; do
		[ -f "$PATCHES/$p" ] || die "patches/series lists $p, which is not in $PATCHES"
		cp "$PATCHES/$p" "$kit/debian/patches/$feature_dir/"
		echo "$feature_dir/$p"
	done
} > "$kit/debian/patches/$fragment_name"

cat > "$kit/README" <<EOF
$subject

${#patches[@]} patches for the linux 6.1 kernel package, made and checked
on $base_name, laid out for Debian's kernel packaging
(debian/patches, applied with quilt).

Apply, in the unpacked source package of linux 6.1:

    cp -r $kit_name/debian/patches/$feature_dir debian/patches/${feature_dir%/*}/
    cat $kit_name/debian/patches/$fragment_name >> debian/patches/series

and build as usual; the package applies debian/patches/series without
fuzz, as "quilt push -a --fuzz=0" does.  The patches are git format-patch
output (the commit message is the patch description) and apply without
fuzz on the base above; on a later 6.1.y, quilt push says which one
needs a refresh.

Configuration:
 - The fix itself has no option: dma-buf mmap is always VM_PFNMAP with
   special entries, and GUP always refuses it.
 - Huge special mappings (pmd_special(), pud_special(), the CMA heap's
   2 MiB mappings) need CONFIG_TRANSPARENT_HUGEPAGE=y, which selects the
   new ARCH_SUPPORTS_HUGE_PFNMAP (and with it ARCH_SUPPORTS_PMD_PFNMAP and,
   on x86-64, ARCH_SUPPORTS_PUD_PFNMAP) on amd64 and arm64.  Without it
   dma-buf mappings use 4 KiB entries and stay correct.
 - The KUnit suites (VM_INSERT_PAGE_KUNIT_TEST, DMABUF_MMAP_KUNIT_TEST,
   HUGE_PFNMAP_KUNIT_TEST, which select KUNIT_USER_MM) need CONFIG_KUNIT=y
   and are invisible without it: no new questions for a distribution
   config that has KUnit off.
 - Out-of-tree exporters that still map pages: boot with
   dma_buf.allow_unsafe_mmap=1 (also a module parameter) to turn the
   refusal into a warning that taints the kernel.
 - New exported symbols: vm_map_pages_pfn(), remap_vmalloc_range_pfn().
   Whether Debian's ABI check needs an ABI bump was not checked.

Checked by "make debian" in the series' repository: this kit, applied
with quilt push -a --fuzz=0 to an untouched copy of the base, gives the
same tree as git am of the series.
EOF

# The tarball, reproducibly: sorted, fixed owner and date, no gzip timestamp.
tar -C "$BUILD" --sort=name --owner=0 --group=0 --numeric-owner --mode=u+rwX,go=rX \
	--mtime="$BASE_DATE" -cf - "$kit_name" | gzip -9n > "$tarball"
report "kit in build/$kit_name and build/$kit_name.tar.gz" OK "${#patches[@]} patches"

# 2. What dpkg-source's and quilt's patch(1) do not carry: binary diffs,
# renames, copies and mode changes.  git format-patch writes them as git
# extended headers.
unsupported=$(grep -l -E '^(GIT binary patch|rename from |copy from |old mode |new file mode 1007|deleted file mode 1007)' \
	"$kit/debian/patches/$feature_dir"/*.patch 2>/dev/null || true)
if [ -z "$unsupported" ]; then
	report "plain diffs only (no binary, rename, copy or mode change)" OK
else
	report "plain diffs only (no binary, rename, copy or mode change)" FAIL \
		"$(echo "$unsupported" | xargs -n1 basename | tr '\n' ' ')"
fi

# 3. quilt push -a on an untouched copy of the base's files the series
# touches.  patch(1) reads and writes only the files a patch names, so the
# rest of the base (75,000 files, slow to unpack and delete on a busy disk)
# is left out; step 4 still compares whole trees.
touched_paths() { # the paths the kit's patches name, once each
	sed -n 's|^diff --git a/\(.*\) b/\1$|\1|p' "$kit/debian/patches/$feature_dir"/*.patch | sort -u
}
mapfile -t touched < <(touched_paths)
[ "${#touched[@]}" -gt 0 ] || die "the kit's patches name no file"
mapfile -t base_files < <(git -C "$TREE" ls-tree -r --name-only "$BASE_TAG" -- "${touched[@]}")
log "debian: unpacking ${#base_files[@]} files of the base into $check_dir/linux"
rm -rf "$check_dir"
mkdir -p "$check_dir/linux"
if [ "${#base_files[@]}" -gt 0 ]; then
	git -C "$TREE" archive "$BASE_TAG" -- "${base_files[@]}" | tar -x -C "$check_dir/linux"
fi
cp -r "$kit/debian" "$check_dir/linux/"
# linux-source-6.1 has Debian's own patches applied already: its series is
# empty, and the fragment is all of it.
cat "$kit/debian/patches/$fragment_name" >> "$check_dir/linux/debian/patches/series"
quilt_log=$check_dir/quilt.log
debian_quilt() { # as debian/rules runs quilt, in the scratch copy
	(cd "$check_dir/linux" && QUILT_PATCHES=debian/patches QUILT_PC=.pc quilt --quiltrc - "$@")
}
if debian_quilt push -a --fuzz=0 > "$quilt_log" 2>&1; then
	applied=$(debian_quilt applied 2>/dev/null | wc -l)
	offsets=$(grep -c '^Hunk #[0-9]* succeeded at .*(offset' "$quilt_log" || true)
	if [ "$applied" -eq "${#patches[@]}" ]; then
		report "quilt push -a --fuzz=0 on the untouched base" OK \
			"$applied patches, $offsets hunks at an offset"
	else
		report "quilt push -a --fuzz=0 on the untouched base" FAIL \
			"$applied of ${#patches[@]} patches applied; $quilt_log"
	fi
else
	tail -n 20 "$quilt_log"
	report "quilt push -a --fuzz=0 on the untouched base" FAIL "log: $quilt_log"
fi

# 4. The result is the series head's tree.  Every path that can differ from
# the base is either named by a patch (and so in the scratch copy) or
# changed between the base and the series head; the rest of the base is
# the same on both sides.  So: the series head's entries (mode, blob hash)
# for those paths must be exactly the scratch copy's files outside debian/
# and .pc/, nothing missing, nothing extra.  Hashing writes no objects.
tree_entries() { # PATHS...: "mode hash path" in the series head, sorted
	git -C "$TREE" ls-tree -r "$series_rev" -- "$@" | awk -F '\t' '{ split($1, m, " "); print m[1], m[3], $2 }' | sort -k3
}
file_entries() { # "mode hash path" of the files in the scratch copy, sorted
	(
		cd "$check_dir/linux"
		find . \( -path ./debian -o -path ./.pc \) -prune -o -type f -print | sed 's|^\./||' | sort > "$check_dir/files"
		# Absolute paths: inside a repository (build/ is in one), git reads
		# --stdin-paths relative to its top level.
		sed "s|^|$PWD/|" "$check_dir/files" | git hash-object --no-filters --stdin-paths > "$check_dir/hashes"
		while IFS= read -r f; do
			if [ -x "$f" ]; then echo 100755; else echo 100644; fi
		done < "$check_dir/files" > "$check_dir/modes"
		paste -d ' ' "$check_dir/modes" "$check_dir/hashes" "$check_dir/files"
	) | sort -k3
}
if [ "$fail" -eq 0 ]; then
	mapfile -t changed < <(git -C "$TREE" diff --no-renames --name-only "$BASE_TAG" "$series_rev")
	mapfile -t compared < <(printf '%s\n' "${touched[@]}" "${changed[@]}" | sort -u)
	if differences=$(diff <(tree_entries "${compared[@]}") <(file_entries)); then
		report "the quilt tree is the series head's tree" OK \
			"$series_rev, tree ${want_tree:0:12}; ${#compared[@]} paths compared, the rest is the base on both sides"
	else
		head -n 40 <<< "$differences"
		report "the quilt tree is the series head's tree" FAIL \
			"< $series_rev, > quilt; kept in $check_dir"
	fi
fi

if [ "$fail" -eq 0 ]; then
	rm -rf "$check_dir"
else
	log "debian: scratch tree kept in $check_dir"
fi
exit "$fail"
