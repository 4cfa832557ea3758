#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# hygiene.sh OBJDIR FRAGMENT...
#
# The slow half of make check, in the development tree itself:
#  - every patch builds on its own: the base and then each patch in turn are
#    checked out and built incrementally in OBJDIR (the test configuration
#    without the debug options; the walk ends with the head built there);
#  - W=1 and sparse (C=2) add no warnings in the .c files the series
#    touches, head against base (messages compared without line numbers).
# The tree must be clean; it is returned to the series branch afterwards.
set -euo pipefail
# shellcheck source=scripts/lib.sh
. "$(dirname "$0")/lib.sh"

mkdir -p "$1"
obj=$(cd "$1" && pwd)
shift
[ -z "$(git -C "$TREE" status --porcelain --untracked-files=no)" ] ||
	die "$TREE has uncommitted changes; the per-patch build needs a clean tree"
branch=$(git -C "$TREE" symbolic-ref -q --short HEAD) || die "$TREE is not on a branch"
mapfile -t commits < <(git -C "$TREE" rev-list --reverse "$BASE_TAG..HEAD")
trap 'git -C "$TREE" checkout -q "$branch"' EXIT

fail=0
report() {
	printf '[%s] hygiene: %s%s\n' "$([ "$2" = OK ] && echo PASSED || echo FAILED)" "$1" "${3:+ ($3)}"
	[ "$2" = OK ] || fail=1
}

# The .c files the series touches that this configuration builds.
mapfile -t touched < <(git -C "$TREE" diff --name-only --diff-filter=AM "$BASE_TAG" HEAD -- '*.c')
warnings() { # warnings: W=1 and sparse messages for the touched objects
	local f o
	for f in "${touched[@]}"; do
		o=${f%.c}.o
		# not at this commit, or not in this configuration
		if [ ! -f "$TREE/$f" ] || [ ! -f "$obj/$o" ]; then continue; fi
		touch -c "$TREE/$f"
		make -s -C "$TREE" O="$obj" ARCH=x86_64 -j"$JOBS" CC="ccache gcc" \
			W=1 C=2 "$o" 2>&1 | grep -E 'warning:|error:' |
			sed -e "s|$TREE/||" -e 's/:[0-9]*:[0-9]*:/:/' -e 's/:[0-9]*:/:/' || true
	done | sort
}

git -C "$TREE" checkout -q --detach "$BASE_TAG"
start=$SECONDS
ALLOW_UNDEFINED=1 "$TOP/scripts/kernel.sh" "$obj" "$@"
report "base builds" OK "$((SECONDS - start)) s"
base_warnings=$(warnings)
i=0
for c in "${commits[@]}"; do
	i=$((i + 1))
	git -C "$TREE" checkout -q --detach "$c"
	subject=$(git -C "$TREE" log -1 --format=%s "$c")
	start=$SECONDS
	if (ALLOW_UNDEFINED=1 "$TOP/scripts/config.sh" "$obj" "$@" && kbuild "$obj" bzImage); then
		report "patch $i builds: $subject" OK "$((SECONDS - start)) s"
	else
		report "patch $i builds: $subject" FAIL
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
git -C "$TREE" checkout -q "$branch"
# Leave the objects as a normal build of the head has them.
"$TOP/scripts/kernel.sh" "$obj" "$@"
exit "$fail"
