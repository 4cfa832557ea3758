#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# compile-test.sh TEST_OBJDIR
#
# Every .c file the series touches must be compiled somewhere: by the test
# kernel (TEST_OBJDIR, x86_64 in QEMU) or, for code QEMU cannot run, by one
# of the compile-test configurations listed in config/compile-test.txt
# ("CONFIG FILE SYMBOL" per line; config/compile-CONFIG.config enables the
# drivers).  Each listed file is built as a single object with that
# architecture's Debian cross compiler, and its SYMBOL must be set in that
# configuration: kbuild would build a single object it leaves out too.
set -euo pipefail
# shellcheck source=scripts/lib.sh
. "$(dirname "$0")/lib.sh"

test_obj=$(cd "$1" && pwd)
list=$TOP/config/compile-test$LINE_SUFFIX.txt
fail=0
report() {
	printf '[%s] compile-test: %s%s\n' "$([ "$2" = OK ] && echo PASSED || echo FAILED)" "$1" "${3:+ ($3)}"
	[ "$2" = OK ] || fail=1
}
cross_compile() {
	case ${1%%-*} in
	x86_64) echo "" ;;
	arm64) echo aarch64-linux-gnu- ;;
	arm) echo arm-linux-gnueabihf- ;;
	powerpc) echo powerpc64le-linux-gnu- ;;
	*) die "${list##*/}: no cross compiler known for $1" ;;
	esac
}

mapfile -t touched < <(git -C "$TREE" diff --name-only --diff-filter=AM "$BASE_TAG" HEAD -- '*.c')
listed() { awk -v f="$1" '!/^#/ && $2 == f { print $1 }' "$list"; }

# Coverage: compiled by the test kernel, or listed.
for f in "${touched[@]}"; do
	case $f in tools/*) continue ;; esac   # user space: built by the kselftests
	if [ -f "$test_obj/${f%.c}.o" ] || [ -n "$(listed "$f")" ]; then
		continue
	fi
	# A .c file #included by another one (a KUnit suite that tests the
	# statics of the file it is part of) is built with that file.
	# (git grep exits 1 when nothing includes it: not an error here.)
	includer=$({ git -C "$TREE" grep -l -F "#include \"${f##*/}\"" HEAD -- "$(dirname "$f")/*.c" || true; } |
		sed 's/^HEAD://' | head -n 1)
	if [ -n "$includer" ] && [ -f "$test_obj/${includer%.c}.o" ]; then
		continue
	fi
	report "$f is compiled nowhere" FAIL "add it to config/${list##*/}"
done

mapfile -t arches < <(awk '!/^#/ && NF { print $1 }' "$list" | sort -u)
for arch in "${arches[@]}"; do
	mapfile -t files < <(awk -v a="$arch" '!/^#/ && $1 == a { print $2 }' "$list")
	objs=()
	for f in "${files[@]}"; do
		if ! git -C "$TREE" cat-file -e "HEAD:$f" 2>/dev/null; then
			report "$arch: $f" FAIL "listed but not in the tree"
			continue
		fi
		objs+=("${f%.c}.o")
	done
	[ "${#objs[@]}" -gt 0 ] || continue
	obj=$BUILD/obj/compile$LINE_SUFFIX-$arch
	start=$SECONDS
	if ! ARCH=${arch%%-*} CROSS_COMPILE=$(cross_compile "$arch") \
		"$TOP/scripts/config.sh" "$obj" "$TOP/config/compile-$arch.config"; then
		report "$arch: configuration" FAIL
		continue
	fi
	# Rebuilt every time, so that an object left from an earlier
	# configuration cannot pass for one this configuration builds.
	for o in "${objs[@]}"; do rm -f "${obj:?}/$o"; done
	if ! (ARCH=${arch%%-*} CROSS_COMPILE=$(cross_compile "$arch") kbuild "$(cd "$obj" && pwd)" "${objs[@]}"); then
		report "$arch: building ${#objs[@]} objects" FAIL "log: $obj/build.log"
		continue
	fi
	# kbuild builds a single object even where the configuration leaves it
	# out, so whether it is enabled is read from its symbol in .config.
	for o in "${objs[@]}"; do
		f=${o%.o}.c
		want=$(awk -v a="$arch" -v f="$f" '!/^#/ && $1 == a && $2 == f { print $3 }' "$list")
		case $want in
		"") enabled=no ;;
		!*) if grep -q "^${want#!}=" "$obj/.config"; then enabled=no; else enabled=yes; fi ;;
		*) if grep -q -E "^${want}=(y|m)$" "$obj/.config"; then enabled=yes; else enabled=no; fi ;;
		esac
		if [ "$enabled" != yes ]; then
			report "$arch: $f" FAIL "${want:-no symbol listed} is not as required in config/compile-$arch.config"
		elif [ ! -f "$obj/$o" ]; then
			report "$arch: $f" FAIL "not built"
		else
			report "$arch: $f" OK "$want"
		fi
	done
	log "compile-test: $arch took $((SECONDS - start)) s"
done
exit "$fail"
