#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# docs-check.sh (make docs): the documentation the series touches builds
# with Debian's Sphinx (python3-sphinx, python3-sphinx-rtd-theme) without
# new warnings.
#
# The Sphinx directories checked are those holding a file the series
# touches under Documentation/, or an .rst file whose ".. kernel-doc::"
# directive reads a source file the series touches (DOCS_DIRS overrides).
# "make SPHINXDIRS=<dirs> htmldocs" runs in a checkout (build/docs-tree) of
# the base and then of DOCS_REV (default: the series branch of build/linux),
# output and logs in build/docs/{base,series}.
# The warnings are compared without paths and line numbers.  Everything
# runs under nice -n 19 on one CPU: it is slow (see README.md) and is not
# part of make check.
set -euo pipefail
# shellcheck source=scripts/lib.sh
. "$(dirname "$0")/lib.sh"

rev=${DOCS_REV:-series}
docs=$BUILD/docs
fail=0
report() { # report NAME OK|FAIL [detail]
	printf '[%s] docs: %s%s\n' "$([ "$2" = OK ] && echo PASSED || echo FAILED)" "$1" "${3:+ ($3)}"
	[ "$2" = OK ] || fail=1
}

# Debian's Sphinx, not whatever python3 comes first in PATH: sphinx-build
# and the kernel's extensions run under /usr/bin/python3.
export PATH=/usr/bin:$PATH
packages=(python3-sphinx python3-sphinx-rtd-theme)
missing=()
for p in "${packages[@]}"; do
	dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed$' ||
		missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
	[ "$(id -u)" -eq 0 ] || die "missing packages: ${missing[*]} (run as root, or apt-get install them)"
	log "docs: installing ${missing[*]}"
	export DEBIAN_FRONTEND=noninteractive
	apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null 2>&1 || {
		apt-get update -q >/dev/null
		apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
	}
fi
# Without sphinx-build, the kernel's htmldocs only says SKIP and succeeds.
command -v sphinx-build >/dev/null || die "sphinx-build not found after installing python3-sphinx"
/usr/bin/python3 -c 'import sphinx_rtd_theme' 2>/dev/null ||
	die "sphinx_rtd_theme cannot be imported by /usr/bin/python3"

git -C "$TREE" rev-parse -q --verify "$BASE_TAG^{commit}" >/dev/null || die "no tag $BASE_TAG in $TREE (make tree)"
head=$(git -C "$TREE" rev-parse -q --verify "$rev^{commit}") || die "no $rev in $TREE (make tree)"

# The Sphinx directories (Documentation/<dir>/index.rst) to build.
sphinx_dir() { # sphinx_dir PATH: the Sphinx directory that holds PATH
	local d=${1#Documentation/}
	d=${d%%/*}
	if git -C "$TREE" cat-file -e "$head:Documentation/$d/index.rst" 2>/dev/null; then
		echo "$d"
	else
		echo "warning: $1 is in no Sphinx directory; not checked" >&2
	fi
}
if [ -n "${DOCS_DIRS:-}" ]; then
	read -r -a dirs <<< "$DOCS_DIRS"
else
	mapfile -t touched < <(git -C "$TREE" diff --name-only "$BASE_TAG" "$head")
	mapfile -t dirs < <(
		for f in "${touched[@]}"; do
			case $f in
			Documentation/*) sphinx_dir "$f" ;;
			*.c | *.h)
				{ git -C "$TREE" grep -l -E "^\.\. kernel-doc:: +$f *\$" "$head" -- \
					'Documentation/*.rst' || true; } |
					while IFS= read -r r; do sphinx_dir "${r#"$head":}"; done
				;;
			esac
		done | sort -u)
fi
[ "${#dirs[@]}" -gt 0 ] || { report "the series touches no Sphinx documentation" OK; exit 0; }
log "docs: SPHINXDIRS=\"${dirs[*]}\", $BASE_TAG against $rev ($(git -C "$TREE" rev-parse --short "$head"))"

# One checkout, build/docs-tree, kept between runs like build/roundtrip (a
# fresh one costs minutes on a busy disk); it moves between the base and the
# series, and only the files the series touches change.  The output is built
# from scratch each time, as Sphinx repeats no warnings for files it reuses.
wt=$BUILD/docs-tree
if [ ! -e "$wt/.git" ]; then
	rm -rf "$wt"
	git -C "$TREE" worktree add -q -f --detach "$wt" "$BASE_TAG"
fi

# build NAME REV: htmldocs of REV, output and log in build/docs/NAME, the
# normalised warnings in build/docs/NAME.warnings.
build() {
	local name=$1 commit=$2 out=$docs/$1 start d
	rm -rf "$out"
	mkdir -p "$out"
	git -C "$wt" checkout -q -f --detach "$commit"
	git -C "$wt" clean -q -fdx
	start=$SECONDS
	# -j1 makes no jobserver, and the kernel's Sphinx wrapper would then pick
	# -jauto: PARALLELISM=1 keeps Sphinx on one process.
	if ! PARALLELISM=1 nice -n 19 make -C "$wt" O="$out" -j1 \
		SPHINXDIRS="${dirs[*]}" htmldocs > "$out/docs.log" 2>&1; then
		tail -n 30 "$out/docs.log" >&2
		report "htmldocs builds at $name" FAIL "log: $out/docs.log"
		return 0
	fi
	for d in "${dirs[@]}"; do
		if [ ! -f "$out/Documentation/output/$d/index.html" ] ||
			! grep -q "^source directory: $d\$" "$out/docs.log"; then
			report "htmldocs builds at $name" FAIL "$d not built; log: $out/docs.log"
			return 0
		fi
	done
	report "htmldocs builds at $name" OK "$((SECONDS - start)) s"
	# Sphinx and kernel-doc messages, with the "Declaration is ..." line that
	# follows a duplicate declaration; paths and line numbers dropped.
	awk '/WARNING|ERROR|SEVERE|CRITICAL|warning:|error:/ { if (w != "") print w; w = $0; next }
		w != "" && /^Declaration is / { w = w " " $0 }
		{ if (w != "") print w; w = "" }
		END { if (w != "") print w }' "$out/docs.log" |
		sed -E -e "s|$out/||g" -e "s|$wt/||g" -e "s|$BUILD/||g" \
			-e 's/:[0-9]+:/:/g' -e 's/:[0-9]+([.,) ]|$)/\1/g' |
		sort > "$docs/$name.warnings"
}

build base "$BASE_TAG"
build series "$head"
[ "$fail" -eq 0 ] || exit 1

new=$(comm -13 "$docs/base.warnings" "$docs/series.warnings")
gone=$(comm -23 "$docs/base.warnings" "$docs/series.warnings")
counts="base $(wc -l < "$docs/base.warnings"), series $(wc -l < "$docs/series.warnings")"
[ -z "$gone" ] || printf 'warnings the series removes:\n%s\n' "$gone"
if [ -z "$new" ]; then
	report "no new Sphinx warnings in ${dirs[*]}" OK "$counts"
else
	printf '%s\n' "$new"
	report "no new Sphinx warnings in ${dirs[*]}" FAIL "$(wc -l <<< "$new") new; $counts; logs: $docs/{base,series}/docs.log"
fi
exit "$fail"
