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
install -m 755 /bin/busybox "$root/bin/busybox"
install -m 755 "$TOP/guest/init" "$root/init"
cp -a "$obj/kselftest_install" "$root/kselftest"
install -m 644 "$obj/kselftest-selected.txt" "$root/kselftest-selected.txt"
(cd "$root" && find . -print0 | LC_ALL=C sort -z |
	cpio --null -o -H newc --owner=0:0 --quiet) | gzip -1 > "$out.tmp"
mv "$out.tmp" "$out"
