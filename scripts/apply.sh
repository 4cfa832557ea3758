#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# apply.sh WORKTREE
#
# Check WORKTREE out at the base and apply patches/ in series order with
# git am, one commit per patch, on the branch "series" (or detached, for
# a secondary worktree).  Fails if any patch does not apply cleanly.
set -euo pipefail
# shellcheck source=scripts/lib.sh
. "$(dirname "$0")/lib.sh"

wt=$1
if [ "$(git -C "$wt" rev-parse --git-common-dir)" = "$(git -C "$wt" rev-parse --git-dir)" ]; then
	git -C "$wt" checkout -q -B series "$BASE_TAG"
else
	git -C "$wt" checkout -q -f --detach "$BASE_TAG"
	git -C "$wt" clean -fdq
fi
git -C "$wt" am --abort >/dev/null 2>&1 || true
mapfile -t patches < <(grep -v -e '^#' -e '^$' "$PATCHES/series" 2>/dev/null || true)
for p in "${patches[@]}"; do
	[ -f "$PATCHES/$p" ] || die "patches/series lists $p, which is not in $PATCHES"
	git -C "$wt" am -q --keep-cr --committer-date-is-author-date "$PATCHES/$p" ||
		die "patch $p does not apply (git am); the tree is left in the middle of git am"
done
