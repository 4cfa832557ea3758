#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Make $TREE the base with the series applied, one commit per patch (git am).
#
# The tree is also where the series is developed, so local work is never
# thrown away: if the tree's branch has moved since the series was last
# applied and $PATCHES has not changed, it is left alone (run "make export"
# to write it back); if both changed, this stops and says so.
set -euo pipefail
# shellcheck source=scripts/lib.sh
. "$(dirname "$0")/lib.sh"

"$TOP/scripts/base.sh"

stamp=$TREE_STAMP
want=$(patches_sum)
head=$(git -C "$TREE" rev-parse HEAD)
if [ -f "$stamp" ]; then
	read -r applied_sum applied_head < "$stamp"
	if [ "$applied_sum" = "$want" ] && [ "$applied_head" = "$head" ]; then
		exit 0
	fi
	if [ "$applied_head" != "$head" ]; then
		if [ "$applied_sum" = "$want" ]; then
			log "tree: $TREE has commits that are not in $PATCHES (make export writes them back); leaving it as it is"
			exit 0
		fi
		die "$TREE has local commits and $PATCHES changed too; export or drop the local work (git -C $TREE reset --hard $applied_head) first"
	fi
fi
[ -z "$(git -C "$TREE" status --porcelain --untracked-files=no)" ] ||
	die "$TREE has uncommitted changes; commit or stash them first"

log "tree: applying the series to $BASE_TAG"
"$TOP/scripts/apply.sh" "$TREE"
echo "$want $(git -C "$TREE" rev-parse HEAD)" > "$stamp"
