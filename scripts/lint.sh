#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# The fast checks (make lint), under a minute once build/linux exists:
#  1. the tooling is shellcheck-clean;
#  2. checkpatch.pl --strict is clean on every patch (checkpatch.allow
#     holds the only exceptions, each with its reason), and every commit
#     id a message cites is in notes/upstream-ids.md;
#  3. round trip: patches/ applies with git am to a fresh checkout of the
#     base, and exporting that reproduces patches/ and the in-tree copies;
#  4. scripts/kernel-doc adds no warnings in the files the series touches.
# The series as mailed (make mbox-check) and the Debian backport kit (make
# debian) are checked by make check, after these.
set -euo pipefail
# shellcheck source=scripts/lib.sh
. "$(dirname "$0")/lib.sh"

fail=0
report() { # report NAME OK|FAIL [detail]
	printf '[%s] lint: %s%s\n' "$([ "$2" = OK ] && echo PASSED || echo FAILED)" "$1" "${3:+ ($3)}"
	[ "$2" = OK ] || fail=1
}

# 1. shellcheck
if out=$(shellcheck -x -P "$TOP/scripts" "$TOP"/scripts/*.sh "$TOP/guest/init" \
	"$TOP/guest/gup_test_basic.sh" "$TOP/.ci/run" 2>&1); then
	report "shellcheck on the tooling" OK
else
	echo "$out"
	report "shellcheck on the tooling" FAIL
fi

# 2. checkpatch --strict, per patch, two at a time (a second each, 40 patches:
# the before-stop hook gives make lint a minute); reported in series order.
mapfile -t patches < <(grep -v -e '^#' -e '^$' "$PATCHES/series" || true)
checkpatch_out=$(mktemp -d)
trap 'rm -rf "$checkpatch_out"' EXIT
# The message types checkpatch.allow allows in patch $1, comma-separated.
allowed_types() {
	awk -v p="$1" '!/^#/ && NF >= 3 && p ~ $1 { printf "%s%s", sep, $2; sep = "," }' \
		"$TOP/checkpatch.allow" 2>/dev/null || true
}
checkpatch_one() {
	local p=$1 ignore args rc=0

	ignore=$(allowed_types "$p")
	args=(--strict --quiet --no-summary --show-types)
	[ -z "$ignore" ] || args+=(--ignore "$ignore")
	# Debian's python3 (with python3-ply) for spdxcheck.py, whatever is first in PATH.
	(cd "$TREE" && PATH=/usr/bin:$PATH ./scripts/checkpatch.pl "${args[@]}" \
		"$PATCHES/$p") > "$checkpatch_out/$p.out" 2>&1 || rc=$?
	echo "$rc" > "$checkpatch_out/$p.rc"
}
for p in "${patches[@]}"; do
	while [ "$(jobs -rp | wc -l)" -ge 2 ]; do
		wait -n || true
	done
	checkpatch_one "$p" &
done
wait
for p in "${patches[@]}"; do
	ignore=$(allowed_types "$p")
	if [ "$(cat "$checkpatch_out/$p.rc")" = 0 ]; then
		report "checkpatch --strict $p" OK "${ignore:+allowed: $ignore}"
	else
		cat "$checkpatch_out/$p.out"
		report "checkpatch --strict $p" FAIL
	fi
done

# 2b. The commit ids the messages cite (Fixes: tags, "[ Upstream commit"
# notes) cannot be looked up by checkpatch in a base without history
# (checkpatch.allow lets UNKNOWN_COMMIT_ID pass): each must instead be in
# notes/upstream-ids.md, which says where it was seen.  An id cited in
# 12 characters matches a longer one there.
ids_file=$TOP/notes/upstream-ids.md
unlisted=""
ncited=0
for p in "${patches[@]}"; do
	while IFS= read -r id; do
		ncited=$((ncited + 1))
		grep -q -i "$id" "$ids_file" || unlisted+=" $p:$id"
	done < <(sed -n '/^---$/q; p' "$PATCHES/$p" |
		sed -n -e 's/^Fixes: \([0-9a-f]\{12,40\}\) .*/\1/p' \
			-e '/^\[ Upstream commit/,/\]$/p' |
		grep -o -E '\b[0-9a-f]{12,40}\b' | sort -u)
done
if [ -z "$unlisted" ] && [ "$ncited" -gt 0 ]; then
	report "every cited commit id is in notes/upstream-ids.md" OK "$ncited cited"
else
	report "every cited commit id is in notes/upstream-ids.md" FAIL "${unlisted:-none cited}"
fi

# 3. round trip through a fresh checkout of the base
wt=$BUILD/roundtrip$LINE_SUFFIX
out_dir=$BUILD/roundtrip-out$LINE_SUFFIX
if [ ! -e "$wt/.git" ]; then
	rm -rf "$wt"
	git -C "$TREE" worktree prune
	git -C "$TREE" worktree add -q --detach "$wt" "$BASE_TAG"
	unignore_debian_toplevel "$wt"
fi
export GIT_COMMITTER_NAME=roundtrip GIT_COMMITTER_EMAIL=roundtrip@localhost
if "$TOP/scripts/apply.sh" "$wt"; then
	report "git am of patches/ on a fresh base" OK "${#patches[@]} patches"
	rm -rf "$out_dir"
	mkdir -p "$out_dir"
	"$TOP/scripts/export.sh" "$wt" "$out_dir"
	diffs=""
	for d in patches mm drivers include tools Documentation MAINTAINERS; do
		if [ -e "$LINE_DIR/$d" ] || [ -e "$out_dir/$d" ]; then
			diff -ruN "$LINE_DIR/$d" "$out_dir/$d" > "$out_dir/$d.diff" 2>&1 ||
				diffs+=" $d"
		fi
	done
	if [ -z "$diffs" ]; then
		report "fresh tree + export reproduces what is checked in" OK
	else
		for d in $diffs; do head -n 40 "$out_dir/$d.diff"; done
		report "fresh tree + export reproduces what is checked in" FAIL "differs:$diffs; run make export"
	fi
else
	report "git am of patches/ on a fresh base" FAIL
fi

# 3b. One kselftest for both lines: the 6.12 series adds the same
# tools/testing/selftests/dma-buf/ as the 6.1 series, byte for byte.
if [ "$LINE" != 6.1 ]; then
	if diff -r "$TOP/tools/testing/selftests/dma-buf" \
		"$LINE_DIR/tools/testing/selftests/dma-buf" > /dev/null 2>&1; then
		report "the kselftest source is the 6.1 series' one" OK
	else
		report "the kselftest source is the 6.1 series' one" FAIL \
			"diff -r tools/testing/selftests/dma-buf ${LINE_DIR#"$TOP"/}/tools/testing/selftests/dma-buf"
	fi
fi

# 4. kernel-doc -v on the files the series touches, base against head
# 6.1's kernel-doc warns about everything with -v; later ones need -Wall
# for the return value and the other optional checks.
kdoc_args=(-none -v)
if grep -q -e '-Wall' "$wt/scripts/kernel-doc"; then
	kdoc_args+=(-Wall)
fi
count_kdoc() { # count_kdoc REV FILE: kernel-doc warnings, line numbers dropped
	local tmp
	tmp=$(mktemp --suffix=".${2##*.}")
	git -C "$wt" show "$1:$2" > "$tmp" 2>/dev/null || { rm -f "$tmp"; return 0; }
	"$wt/scripts/kernel-doc" "${kdoc_args[@]}" "$tmp" 2>&1 | { grep -E 'warning:|error:' || true; } |
		sed -e "s|$tmp|$2|" -e 's/:[0-9]*:/:/' | sort
	rm -f "$tmp"
}
# The check must be able to fail: kernel-doc has to flag an undocumented
# parameter and a missing Return: in this sample.
kdoc_sample=$(mktemp --suffix=.c)
printf '/**\n * f() - sample\n */\nint f(int a);\n' > "$kdoc_sample"
kdoc_seen=$("$wt/scripts/kernel-doc" "${kdoc_args[@]}" "$kdoc_sample" 2>&1 || true)
rm -f "$kdoc_sample"
case $kdoc_seen in
*"member 'a' not described"*"No description found for return value"* | \
*"No description found for return value"*"member 'a' not described"*) ;;
*) echo "$kdoc_seen"; die "scripts/kernel-doc ${kdoc_args[*]} does not report what it should" ;;
esac
new_kdoc=""
while IFS= read -r f; do
	case $f in *.c | *.h) ;; *) continue ;; esac
	added=$(comm -13 <(count_kdoc "$BASE_TAG" "$f") <(count_kdoc HEAD "$f"))
	[ -z "$added" ] || new_kdoc+="$added"$'\n'
done < <(git -C "$wt" diff --name-only --diff-filter=AM "$BASE_TAG" HEAD)
if [ -z "$new_kdoc" ]; then
	report "kernel-doc: no new warnings in touched files" OK
else
	printf '%s' "$new_kdoc"
	report "kernel-doc: no new warnings in touched files" FAIL
fi

exit "$fail"
