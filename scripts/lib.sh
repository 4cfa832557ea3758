# SPDX-License-Identifier: GPL-2.0
# Shared settings for the tooling; sourced, never run.
# shellcheck shell=bash disable=SC2034
# (variables here are used by the scripts that source this file)

TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${BUILD:-$TOP/build}

# The kernel line: 6.1 (the default; the series in patches/) or 6.12 (the
# series in v6.12/patches/).  Each line has its pinned base, Debian's
# linux-source-<line> package, its directory in this repository (patches/,
# cover-letter.txt and the in-tree copies) and its kernel tree under build/.
LINE=${LINE:-6.1}
case $LINE in
6.1)
	BASE_PKG=linux-source-6.1
	BASE_VERSION=6.1.192-2
	BASE_SHA256=ae95fe63d4c553f8d0e6c86cb1ab566f3894a43743eb19ab585cd97d82f26514
	LINE_DIR=$TOP
	LINE_SUFFIX=
	;;
6.12)
	BASE_PKG=linux-source-6.12
	BASE_VERSION=6.12.118-1~deb12u1
	BASE_SHA256=896aff3b39299fa0dd36fef4f5db56ab189182e39abbbb1227dafdc7fcfe3fc3
	LINE_DIR=$TOP/v6.12
	LINE_SUFFIX=-6.12
	;;
*)
	printf 'error: unknown LINE=%s (6.1 or 6.12)\n' "$LINE" >&2
	exit 1
	;;
esac
export LINE
BASE_DEB=${BASE_PKG}_${BASE_VERSION}_all.deb
PATCHES=$LINE_DIR/patches

# The kernel tree the series is applied to and developed in.
TREE=${TREE:-$BUILD/linux$LINE_SUFFIX}
# The untouched base, before the series, as a tag in $TREE.
BASE_TAG=base

# Fixed identity and date for the base commit, so that its hash (and the
# base-commit: line format-patch writes) is the same on every machine.
BASE_IDENT_NAME="Debian $BASE_PKG"
BASE_IDENT_EMAIL="debian-kernel@lists.debian.org"
BASE_DATE="2026-11-16T10:17:00Z"

# Each line carries the time of day (UTC), so that a CI log shows what took
# how long.
log() { printf '>>> [%s] %s\n' "$(date -u +%T)" "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

# A checksum of $PATCHES (series file and patches), to tell whether $TREE
# holds what it holds: $TREE_STAMP records it with $TREE's HEAD.
TREE_STAMP=$BUILD/tree$LINE_SUFFIX.applied
patches_sum() {
	find "$PATCHES" -type f \( -name series -o -name '*.patch' \) -print0 2>/dev/null |
		sort -z | xargs -0r cat | sha256sum | cut -d' ' -f1
}

# The tooling's own make runs kernel make itself; do not inherit its flags.
unset MAKEFLAGS MFLAGS MAKELEVEL

export CCACHE_DIR=${CCACHE_DIR:-$BUILD/ccache}
# Fixed build identity: reproducible version strings, more ccache hits.
export KBUILD_BUILD_USER=series KBUILD_BUILD_HOST=qemu
export KBUILD_BUILD_TIMESTAMP=$BASE_DATE
JOBS=${JOBS:-$(nproc)}

# kbuild OBJDIR [make arguments...]: kernel make for x86_64 (or $ARCH with
# $CROSS_COMPILE), output in OBJDIR/build.log, tail shown on failure.
kbuild() {
	local obj=$1
	shift
	local args=(-C "$TREE" O="$obj" ARCH="${ARCH:-x86_64}" -j"$JOBS")
	args+=(CC="ccache ${CROSS_COMPILE:-}gcc")
	if [ -n "${CROSS_COMPILE:-}" ]; then
		args+=(CROSS_COMPILE="$CROSS_COMPILE")
	fi
	if ! make "${args[@]}" "$@" > "$obj/build.log" 2>&1; then
		tail -n 40 "$obj/build.log" >&2
		die "kernel build failed in $obj (make $*); full log: $obj/build.log"
	fi
}

# unignore_debian_toplevel WORKTREE: Debian's top-level .gitignore ends with a
# block that ignores everything at the top level ("/*", "!/debian/"), for
# Debian's packaging repository, which holds only debian/.  Drop it from the
# work tree's copy only (the index keeps the original; assume-unchanged hides
# the edit), so that new files show up in git status and git add works.
unignore_debian_toplevel() {
	local gi=$1/.gitignore
	grep -q '^# Debian packaging: ignore everything' "$gi" 2>/dev/null || return 0
	sed -i '/^# Debian packaging: ignore everything/,$d' "$gi"
	sed -i -e :a -e '/^\n*$/{$d;N;ba' -e '}' "$gi"
	sed -i '${/^#$/d}' "$gi"
	git -C "$1" update-index --assume-unchanged .gitignore
}

# load_arch NAME: the test-run settings of one architecture, from
# config/arch/NAME.arch (KEY=value lines, comments with #), as shell
# variables of the same names; a missing file or key is an error.
# ARCH_NAME is NAME.
load_arch() {
	local file=$TOP/config/arch/$1.arch key value
	[ -f "$file" ] || die "no settings for architecture $1 ($file)"
	ARCH_NAME=$1
	for key in KARCH UNAME_MACHINE CROSS_COMPILE IMAGE_TARGET IMAGE \
		QEMU QEMU_MACHINE QEMU_DEVICES QEMU_CPU_TCG QEMU_CPU_KVM CONSOLE \
		KTAP_TTY KTAP_QEMU BUSYBOX_PACKAGE; do
		printf -v "$key" '%s' ''
	done
	KARCH=
	local line
	while IFS= read -r line; do
		case $line in '' | '#'*) continue ;; esac
		key=${line%%=*}
		value=${line#*=}
		case $key in
		KARCH | UNAME_MACHINE | CROSS_COMPILE | IMAGE_TARGET | IMAGE | QEMU | \
			QEMU_MACHINE | QEMU_DEVICES | QEMU_CPU_TCG | QEMU_CPU_KVM | \
			CONSOLE | KTAP_TTY | KTAP_QEMU | BUSYBOX_PACKAGE)
			printf -v "$key" '%s' "$value" ;;
		*) die "$file: unknown key $key" ;;
		esac
	done < "$file"
	for key in KARCH UNAME_MACHINE IMAGE_TARGET IMAGE QEMU QEMU_MACHINE \
		QEMU_CPU_TCG CONSOLE KTAP_TTY KTAP_QEMU; do
		[ -n "${!key:-}" ] || die "$file: $key is not set"
	done
	export ARCH=$KARCH CROSS_COMPILE
}
