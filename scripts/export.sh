#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# export.sh [WORKTREE [OUTDIR]]
#
# Write the series in WORKTREE ($BASE_TAG..HEAD) as git format-patch output
# with a cover letter and a quilt series file to OUTDIR/patches, and copy
# the files the series adds to their in-tree paths under OUTDIR, with the
# MAINTAINERS entries it adds or changes as OUTDIR/MAINTAINERS.
# Defaults: $TREE and this repository.  The output is a function of the
# commits alone, so exporting a fresh "git am" of patches/ reproduces it.
set -euo pipefail
# shellcheck source=scripts/lib.sh
. "$(dirname "$0")/lib.sh"

wt=${1:-$TREE}
out=${2:-$LINE_DIR}
copied_dirs=(mm drivers include tools Documentation)

range=$BASE_TAG..HEAD
n=$(git -C "$wt" rev-list --count "$range")

rm -rf "$out/patches.new"
mkdir -p "$out/patches.new"
if [ "$n" -gt 0 ]; then
	# The cover letter's From: and Date: come from the committer; pin them
	# to the newest patch so the output does not depend on who exports when.
	export GIT_COMMITTER_NAME GIT_COMMITTER_EMAIL GIT_COMMITTER_DATE
	GIT_COMMITTER_NAME=$(git -C "$wt" log -1 --format=%an HEAD)
	GIT_COMMITTER_EMAIL=$(git -C "$wt" log -1 --format=%ae HEAD)
	GIT_COMMITTER_DATE=$(git -C "$wt" log -1 --format=%aI HEAD)
	git -C "$wt" format-patch -q --cover-letter --base="$BASE_TAG" \
		--zero-commit --no-signature --abbrev=12 \
		-o "$out/patches.new" "$range"
	python3 "$TOP/scripts/cover-letter.py" "$LINE_DIR/cover-letter.txt" \
		"$out/patches.new/0000-cover-letter.patch"
	# To: and Cc: from get_maintainer.pl, per patch; the cover letter to all.
	python3 "$TOP/scripts/recipients.py" "$wt" "$out/patches.new"
fi
{
	echo "# Apply in this order with git am (or quilt push -a) on $BASE_PKG $BASE_VERSION."
	for p in "$out"/patches.new/*.patch; do
		if [ -e "$p" ] && [ "${p##*/}" != 0000-cover-letter.patch ]; then
			echo "${p##*/}"
		fi
	done
} > "$out/patches.new/series"
rm -rf "$out/patches"
mv "$out/patches.new" "$out/patches"

# In-tree copies of the files the series adds.
for d in "${copied_dirs[@]}"; do
	rm -rf "${out:?}/$d"
done
rm -f "$out/MAINTAINERS"
while IFS= read -r f; do
	case $f in
	mm/* | drivers/dma-buf/* | include/linux/* | tools/testing/selftests/dma-buf/* | Documentation/*)
		mkdir -p "$out/$(dirname "$f")"
		git -C "$wt" show "HEAD:$f" > "$out/$f"
		;;
	esac
done < <(git -C "$wt" diff --name-only --diff-filter=A "$range")
if ! git -C "$wt" diff --quiet "$range" -- MAINTAINERS; then
	python3 "$TOP/scripts/maintainers-fragment.py" \
		<(git -C "$wt" show "$BASE_TAG:MAINTAINERS") \
		<(git -C "$wt" show HEAD:MAINTAINERS) > "$out/MAINTAINERS"
fi

# patches/ now holds $TREE's series: record that, so make tree keeps it.
if [ "$wt" = "$TREE" ] && [ "$out" = "$LINE_DIR" ]; then
	echo "$(patches_sum) $(git -C "$TREE" rev-parse HEAD)" > "$TREE_STAMP"
fi
