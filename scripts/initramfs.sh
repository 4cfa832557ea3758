#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# initramfs.sh OBJDIR OUT.cpio.gz
#
# busybox-static, the harness's /init and the installed kselftests.
set -euo pipefail
# shellcheck source=scripts/lib.sh
. "$(dirname "$0")/lib.sh"

obj=$(cd "$1" && pwd)
out=$2
root=$obj/initramfs
rm -rf "$root"
mkdir -p "$root"/{bin,sbin,dev,proc,sys,tmp,usr/bin,usr/sbin}
load_arch "${TEST_ARCH:-x86_64}"
busybox=/bin/busybox
if [ -n "$BUSYBOX_PACKAGE" ]; then
	# Another architecture's busybox-static, from Debian's archive (dpkg
	# multiarch, set up by scripts/deps.sh), unpacked once under build/.
	dir=$BUILD/busybox-$ARCH_NAME
	if [ ! -x "$dir/bin/busybox" ]; then
		rm -rf "$dir" && mkdir -p "$dir/deb"
		(cd "$dir/deb" && apt-get download -q "$BUSYBOX_PACKAGE" >/dev/null 2>&1) ||
			die "apt-get download $BUSYBOX_PACKAGE failed (dpkg --add-architecture, apt-get update?)"
		dpkg-deb -x "$dir"/deb/*.deb "$dir"
	fi
	busybox=$dir/bin/busybox
fi
install -m 755 "$busybox" "$root/bin/busybox"
install -m 755 "$TOP/guest/init" "$root/init"
cp -a "$obj/kselftest_install" "$root/kselftest"
install -m 644 "$obj/kselftest-selected.txt" "$root/kselftest-selected.txt"
(cd "$root" && find . -print0 | LC_ALL=C sort -z |
	cpio --null -o -H newc --owner=0:0 --quiet) | gzip -1 > "$out.tmp"
mv "$out.tmp" "$out"
