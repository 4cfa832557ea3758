#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# hygiene.sh objects|full TEST_OBJDIR WALK_OBJDIR FRAGMENT...
#
# The slow half of make check, in the development tree itself.
#
# Every patch builds on its own: the base and then each patch in turn are
# checked out and built incrementally in WALK_OBJDIR, configured like the
# test kernel (FRAGMENT...).
#  - "objects" (make check): at each commit, the objects of the .c files the
#    series touches that the test kernel (TEST_OBJDIR, already built at the
#    head) builds, plus a syncconfig; a patch that breaks one of them, or
#    uses something only a later patch declares, fails here.  It does not
#    link, and does not rebuild the rest of the kernel after a header
#    change: that is "full".
#  - "full" (make bisect): bzImage at every commit.  A patch that touches a
#    widely included header costs a full rebuild, about 10 minutes here, so
#    this is not part of make check.
# Then W=1 and sparse (C=2) add no warnings in the touched .c files, head
# against base (messages compared without line numbers).
# The walk checks out each commit of $TREE's branch in a worktree of its
# own (build/walk-tree), so $TREE and the test kernel's objects are left
# alone; uncommitted changes in $TREE are not part of the walk.
set -euo pipefail
# shellcheck source=scripts/lib.sh
. "$(dirname "$0")/lib.sh"

mode=$1
test_obj=$(cd "$2" && pwd)
mkdir -p "$3"
obj=$(cd "$3" && pwd)
shift 3
case $mode in
objects | full) ;;
*) die "hygiene.sh: mode must be objects or full, not $mode" ;;
esac
head=$(git -C "$TREE" rev-parse HEAD)
mapfile -t commits < <(git -C "$TREE" rev-list --reverse "$BASE_TAG..$head")
walk_tree=$BUILD/walk-tree$LINE_SUFFIX
if [ ! -e "$walk_tree/.git" ]; then
	rm -rf "$walk_tree"
	git -C "$TREE" worktree prune
	git -C "$TREE" worktree add -q --detach "$walk_tree" "$BASE_TAG"
fi
series_tree=$TREE
TREE=$walk_tree

fail=0
report() {
	printf '[%s] hygiene: %s%s\n' "$([ "$2" = OK ] && echo PASSED || echo FAILED)" "$1" "${3:+ ($3)}"
	[ "$2" = OK ] || fail=1
}

# The .c files the series touches that the test kernel builds at the head.
touched=()
while IFS= read -r f; do
	[ -f "$test_obj/${f%.c}.o" ] && touched+=("$f")
done < <(git -C "$series_tree" diff --name-only --diff-filter=AM "$BASE_TAG" "$head" -- '*.c')
[ "${#touched[@]}" -gt 0 ] || die "no touched .c file is built in $test_obj; build the test kernel first"

# The objects of the touched files that exist at the checked-out commit.
present_objects() {
	local f
	for f in "${touched[@]}"; do
		[ -f "$TREE/$f" ] && echo "${f%.c}.o"
	done
}

build_commit() {
	local objs
	ALLOW_UNDEFINED=1 "$TOP/scripts/config.sh" "$obj" "$@" || return 1
	if [ "$mode" = full ]; then
		kbuild "$obj" bzImage
	else
		mapfile -t objs < <(present_objects)
		[ "${#objs[@]}" -eq 0 ] || kbuild "$obj" "${objs[@]}"
	fi
}

warnings() { # warnings: W=1 and sparse messages for the touched objects
	local f o
	for f in "${touched[@]}"; do
		o=${f%.c}.o
		# not at this commit
		[ -f "$TREE/$f" ] || continue
		touch -c "$TREE/$f"
		make -s -C "$TREE" O="$obj" ARCH=x86_64 -j"$JOBS" CC="ccache gcc" \
			W=1 C=2 "$o" 2>&1 | grep -E 'warning:|error:' |
			sed -e "s|$TREE/||" -e 's/:[0-9]*:[0-9]*:/:/' -e 's/:[0-9]*:/:/' || true
	done | sort
}

# make C=2 without sparse prints "sparse: not found" and no warning at all.
if command -v sparse >/dev/null; then
	report "sparse is installed" OK "$(sparse --version 2>&1 | head -n 1)"
else
	report "sparse is installed" FAIL "the W=1 and sparse comparison would see no sparse warning"
fi
git -C "$TREE" checkout -q -f --detach "$BASE_TAG"
start=$SECONDS
if (build_commit "$@"); then
	report "base builds ($mode)" OK "$((SECONDS - start)) s"
else
	report "base builds ($mode)" FAIL
fi
base_warnings=$(warnings)
i=0
for c in "${commits[@]}"; do
	i=$((i + 1))
	git -C "$TREE" checkout -q -f --detach "$c"
	subject=$(git -C "$TREE" log -1 --format=%s "$c")
	start=$SECONDS
	if (build_commit "$@"); then
		report "patch $i builds ($mode): $subject" OK "$((SECONDS - start)) s"
	else
		report "patch $i builds ($mode): $subject" FAIL
	fi
done
head_warnings=$(warnings)
new=$(comm -13 <(echo "$base_warnings") <(echo "$head_warnings"))
if [ -z "$new" ]; then
	report "W=1 and sparse: no new warnings in ${#touched[@]} touched .c files" OK
else
	echo "$new"
	report "W=1 and sparse: new warnings in touched files" FAIL
fi
exit "$fail"
