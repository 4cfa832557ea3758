#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# mbox-check.sh (make mbox-check): the series as a maintainer gets it.
#
# patches/ (cover letter and patches, in series order) becomes a local
# mbox, build/mbox-check/series.mbox, the way git send-email sends it: the
# headers unfolded, and a Message-ID on every message, the patches replying
# to the cover letter (send-email's default --thread --no-chain-reply-to).
# b4 am, offline, turns it into an mbox ready for git am, and what b4 says
# about the series is shown.  git am of that on a fresh worktree of the
# base (a temporary "git worktree add --detach" of the base tag, removed
# again) must give the series head's tree (SERIES_REV, default: the branch
# "series" of build/linux) and the same commits (author, date, message).
#
# The worktree checks out only the files b4's output patches: git am reads
# and writes no other file, the commits hold the whole tree all the same,
# and the base's other 75,000 files are slow to write and delete on a busy
# disk.  The rest of the base is marked skip-worktree in the worktree's own
# index.
#
# Also tried, and noted only: b4 am on patches/ concatenated as they are
# (git format-patch folds long From: and Subject: headers).
set -euo pipefail
# shellcheck source=scripts/lib.sh
. "$(dirname "$0")/lib.sh"

series_rev=${SERIES_REV:-series}
work=$BUILD/mbox-check$LINE_SUFFIX
mbox=$work/series.mbox
raw_mbox=$work/format-patch.mbox
b4_out=$work/b4
b4_log=$work/b4.log
wt=$work/linux

fail=0
report() { # report NAME OK|FAIL [detail]
	printf '[%s] mbox: %s%s\n' "$([ "$2" = OK ] && echo PASSED || echo FAILED)" "$1" "${3:+ ($3)}"
	[ "$2" = OK ] || fail=1
}
note() { printf '  mbox: %s\n' "$*"; }

command -v b4 >/dev/null || die "b4 is not installed (make deps)"
want_tree=$(git -C "$TREE" rev-parse --verify "$series_rev^{tree}") ||
	die "$TREE has no $series_rev; run make tree first"
base_commit=$(git -C "$TREE" rev-parse --verify "$BASE_TAG^{commit}") ||
	die "$TREE has no tag $BASE_TAG; run make tree first"

mapfile -t patches < <(grep -v -e '^#' -e '^$' "$PATCHES/series" || true)
messages=("$PATCHES/0000-cover-letter.patch")
for p in "${patches[@]}"; do
	[ -f "$PATCHES/$p" ] || die "patches/series lists $p, which is not in $PATCHES"
	messages+=("$PATCHES/$p")
done

# 1. The mboxes.
rm -rf "$work"
mkdir -p "$work" "$b4_out"
cat "${messages[@]}" > "$raw_mbox"
# A Message-ID that is the same for the same patches/, and clearly local.
id_stem=$(patches_sum | cut -c1-12)
msgid() { printf '<%s.%s@mbox-check.invalid>' "$1" "$id_stem"; }
n=0
for m in "${messages[@]}"; do
	# The first line is the mbox "From " line; the headers end at the first
	# empty line.  Continuation lines join the header they continue.
	awk -v id="$(msgid "$n")" -v parent="$([ "$n" -eq 0 ] || msgid 0)" '
		NR == 1 {
			print
			print "Message-ID: " id
			if (parent != "") { print "In-Reply-To: " parent; print "References: " parent }
			in_headers = 1
			next
		}
		in_headers && /^[ \t]/ { sub(/^[ \t]+/, " "); header = header $0; next }
		in_headers {
			if (header != "") print header
			header = $0
			if ($0 == "") { in_headers = 0; print "" }
			next
		}
		{ print }
	' "$m"
	n=$((n + 1))
done > "$mbox"

# 2. b4 am, offline, in a worktree of the base so that it can check the
# base-commit: line.
# The worktree goes again on exit; build/mbox-check keeps the mboxes and logs.
trap 'git -C "$TREE" worktree remove --force "$wt" 2>/dev/null || rm -rf "$wt"
git -C "$TREE" worktree prune' EXIT
trap 'exit 130' INT TERM
git -C "$TREE" worktree prune
git -C "$TREE" worktree add -q --no-checkout --detach "$wt" "$BASE_TAG"

b4_am() { # b4_am MBOX NAME: b4 am offline, output in $b4_out/NAME.{mbx,cover}
	(cd "$wt" && b4 --offline-mode --no-interactive --no-stdin am --no-cache \
		--use-local-mbox "$1" --outdir "$b4_out" --mbox-name "$2") < /dev/null 2>&1
}
b4_am "$mbox" series > "$b4_log" || true
am_mbox=$b4_out/series.mbx
if [ ! -s "$am_mbox" ]; then
	tail -n 20 "$b4_log"
	report "b4 am on the series as sent" FAIL "log: $b4_log"
	exit 1
fi

# What b4 says: its summary, then anything but the routine lines.
b4_total=$(sed -n 's/^Total patches: //p' "$b4_log")
b4_base=$(sed -n 's/^ *Base: using specified base-commit //p' "$b4_log")
version=$(sed -n 's/^Subject: \[[^]]*\<v\([0-9][0-9]*\) [^]]*\].*/\1/p' "$PATCHES/0000-cover-letter.patch" | head -n 1)
summary="${b4_total:-no} patches"
problems=""
[ "$b4_total" = "${#patches[@]}" ] || problems+=" expected ${#patches[@]} patches;"
if [ -s "$b4_out/series.cover" ]; then
	summary+=", cover letter"
else
	problems+=" no cover letter;"
fi
summary+=", v${version:-1}"
if [ "$b4_base" = "$base_commit" ]; then
	summary+=", base-commit is the base"
else
	problems+=" base-commit not found or not the base ($(grep -m1 'Base:' "$b4_log" | sed 's/^ *//'));"
fi
if [ -z "$problems" ]; then
	report "b4 am on the series as sent" OK "$summary"
else
	report "b4 am on the series as sent" FAIL "${problems# }"
fi
remarks=$(grep -v -E '^(Running in OFFLINE mode|Analyzing [0-9]+ messages in the thread|Checking attestation on all messages, may take a moment\.\.\.|---|Total patches: [0-9]+|Cover: .*|  \[PATCH [^]]*\] .*| Link: .*| Base: .*| +git (checkout|am) .*)$' "$b4_log" || true)
if [ -z "$remarks" ]; then
	note "b4 says nothing else: no missing or extra patches, no attestation failures"
else
	while IFS= read -r line; do note "b4 says: $line"; done <<< "$remarks"
fi
# What b4 leaves unsaid: the trailers in its output (it would have added
# any from replies), and whether there is anything to attest.
trailers=$(grep -o -E '^(Signed-off-by|Co-developed-by|Reviewed-by|Acked-by|Tested-by|Reported-by|Suggested-by|Fixes|Cc|Link): ' "$am_mbox" |
	sort | uniq -c | sort -rn | awk '{ sub(/:$/, "", $2); printf "%s%s %s", sep, $1, $2; sep = ", " }')
note "trailers in b4's mbox: ${trailers:-none}"
grep -q -E '^(Reviewed|Acked|Tested)-by: ' "$am_mbox" || note "no Reviewed-by, Acked-by or Tested-by yet"
grep -q -i '^X-Developer-Signature: ' "$mbox" || note "no patatt signatures (X-Developer-Signature): b4 has nothing to attest offline"

# 3. git am of b4's output on the base: only the files it patches are
# checked out, the rest of the base stays in the index as skip-worktree.
mapfile -t touched < <(sed -n 's|^diff --git a/\(.*\) b/\1$|\1|p' "$am_mbox" | sort -u)
[ "${#touched[@]}" -gt 0 ] || die "b4's $am_mbox patches no file"
mapfile -t base_files < <(git -C "$wt" ls-tree -r --name-only HEAD -- "${touched[@]}")
git -C "$wt" read-tree HEAD
git -C "$wt" ls-files -z | git -C "$wt" update-index -z --skip-worktree --stdin
if [ "${#base_files[@]}" -gt 0 ]; then
	git -C "$wt" update-index --no-skip-worktree -- "${base_files[@]}"
	git -C "$wt" checkout-index -f -- "${base_files[@]}"
fi
export GIT_COMMITTER_NAME=mbox-check GIT_COMMITTER_EMAIL=mbox-check@localhost
if git -C "$wt" am -q --keep-cr "$am_mbox" > "$work/git-am.log" 2>&1; then
	got_tree=$(git -C "$wt" rev-parse "HEAD^{tree}")
	if [ "$got_tree" = "$want_tree" ]; then
		report "git am of b4's mbox on the base gives the series head's tree" OK \
			"$series_rev, tree ${want_tree:0:12}"
	else
		git -C "$wt" diff --stat "$series_rev" HEAD | tail -n 20
		report "git am of b4's mbox on the base gives the series head's tree" FAIL \
			"tree ${got_tree:0:12}, $series_rev has ${want_tree:0:12}"
	fi
	commits() { git -C "$wt" log --reverse --format='%an <%ae> %ad%n%B' "$BASE_TAG..$1"; }
	if commit_diff=$(diff <(commits "$series_rev") <(commits HEAD)); then
		report "the same commits: author, date, message" OK "$(git -C "$wt" rev-list --count "$BASE_TAG..HEAD") commits"
	else
		head -n 40 <<< "$commit_diff"
		report "the same commits: author, date, message" FAIL "< $series_rev, > git am"
	fi
else
	tail -n 20 "$work/git-am.log"
	report "git am of b4's mbox on the base" FAIL "log: $work/git-am.log"
fi

# 4. The format-patch files as they are, for the record.
raw_log=$work/b4-format-patch.log
if b4_am "$raw_mbox" format-patch > "$raw_log" 2>&1 && [ -s "$b4_out/format-patch.mbx" ]; then
	note "b4 am also takes patches/ concatenated as they are"
else
	note "b4 $(b4 --version) fails on patches/ concatenated as they are, whose long From: and Subject: headers git format-patch folds: $(grep -E '^[A-Za-z]*Error: ' "$raw_log" | tail -n 1 || true) ($raw_log); git send-email unfolds them when it sends"
fi
exit "$fail"
