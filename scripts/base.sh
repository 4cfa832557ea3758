#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Make $TREE a git repository whose first commit is the untouched base.
#
# Default: Debian's linux-source-$LINE at the pinned version (scripts/lib.sh),
# checked against its SHA-256 before anything is unpacked.  With
# LINUX=<v$LINE.y git tree>, a
# shared clone of that tree at BASE (default: its HEAD) is used instead and
# the user's repository is never written to.
set -euo pipefail
# shellcheck source=scripts/lib.sh
. "$(dirname "$0")/lib.sh"

if [ -d "$TREE/.git" ] && git -C "$TREE" rev-parse -q --verify "refs/tags/$BASE_TAG" >/dev/null; then
	exit 0
fi
rm -rf "$TREE"
mkdir -p "$BUILD/dl"

if [ -n "${LINUX:-}" ]; then
	[ -d "$LINUX/.git" ] || [ -f "$LINUX/.git" ] || die "LINUX=$LINUX is not a git tree"
	rev=$(git -C "$LINUX" rev-parse --verify "${BASE:-HEAD}^{commit}") ||
		die "BASE=${BASE:-HEAD} is not a commit in $LINUX"
	log "base: shared clone of $LINUX at $rev"
	git clone -q --shared --no-checkout "$LINUX" "$TREE"
	git -C "$TREE" checkout -q -B series "$rev"
	git -C "$TREE" tag -f "$BASE_TAG" "$rev" >/dev/null
	exit 0
fi

deb=$BUILD/dl/$BASE_DEB
if [ ! -f "$deb" ]; then
	log "base: downloading $BASE_PKG=$BASE_VERSION"
	(cd "$BUILD/dl" && apt-get download "$BASE_PKG=$BASE_VERSION") ||
		die "cannot fetch $BASE_PKG=$BASE_VERSION with apt-get download; is a bookworm-security source in /etc/apt/sources.list and 'apt-get update' done? (Or use LINUX=<v$LINE.y git tree>.)"
fi
echo "$BASE_SHA256  $deb" | sha256sum --quiet -c - ||
	die "$deb does not match the pinned SHA-256 $BASE_SHA256; delete it and retry"

log "base: unpacking $BASE_DEB"
unpack=$BUILD/dl/unpack
rm -rf "$unpack" "$TREE.tmp"
mkdir -p "$unpack" "$TREE.tmp"
dpkg-deb --fsys-tarfile "$deb" | tar -x -C "$unpack" "./usr/src/$BASE_PKG.tar.xz"
tar -xJf "$unpack/usr/src/$BASE_PKG.tar.xz" -C "$TREE.tmp" --strip-components=1
rm -rf "$unpack"

log "base: importing into git (first commit = untouched base)"
cd "$TREE.tmp"
git init -q -b series
git config user.name "$(git -C "$TOP" config user.name || echo "dma-buf pfnmap series")"
git config user.email "$(git -C "$TOP" config user.email || echo "nobody@example.org")"
git config core.abbrev 12
# Debian's top-level .gitignore ends with a block that ignores everything at
# the top level ("/*", "!/debian/"), because Debian's packaging repository
# only holds debian/.  Add the files with -f so the base commit is the
# untouched tarball, .gitignore included.
git add -A -f .
GIT_AUTHOR_NAME=$BASE_IDENT_NAME GIT_AUTHOR_EMAIL=$BASE_IDENT_EMAIL \
GIT_COMMITTER_NAME=$BASE_IDENT_NAME GIT_COMMITTER_EMAIL=$BASE_IDENT_EMAIL \
GIT_AUTHOR_DATE=$BASE_DATE GIT_COMMITTER_DATE=$BASE_DATE \
	git commit -q --no-verify -m "Linux $BASE_VERSION (Debian $BASE_PKG, untouched)"
git tag "$BASE_TAG"
unignore_debian_toplevel "$TREE.tmp"
cd "$TOP"
mv "$TREE.tmp" "$TREE"
log "base: $TREE at $(git -C "$TREE" rev-parse --short "$BASE_TAG")"
