#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# Install what the tooling needs from Debian 12's archive, once.
set -euo pipefail
# shellcheck source=scripts/lib.sh
. "$(dirname "$0")/lib.sh"

packages=(
	# kernel build
	build-essential bc bison flex libelf-dev libssl-dev cpio kmod xz-utils
	ccache python3 perl git rsync file gzip
	# compile tests of arm64, arm and powerpc (cxl) drivers
	gcc-aarch64-linux-gnu gcc-arm-linux-gnueabihf gcc-powerpc64le-linux-gnu
	# checks: sparse (C=1), shellcheck for the tooling
	# checkpatch's SPDX check runs scripts/spdxcheck.py: python3-ply, python3-git
	sparse shellcheck python3-ply python3-git
	# QEMU and the initramfs; static libraries the kselftests link
	qemu-system-x86 busybox-static libcap-dev libnuma-dev
	# the arm64 test run: QEMU, the static libraries its kselftests link
	# (libcap and libnuma from Debian's arm64 archive, dpkg multiarch)
	qemu-system-arm libc6-dev-arm64-cross libcap-dev:arm64 libnuma-dev:arm64
	# make debian (quilt push of the kit) and make mbox-check (b4 am)
	quilt b4
	# make bench: the chart of the ratios
	gnuplot-nox
)
# The arm64 run's initramfs takes Debian's arm64 busybox-static (apt-get
# download, scripts/initramfs.sh): dpkg must know the architecture.
if ! dpkg --print-foreign-architectures | grep -qx arm64; then
	[ "$(id -u)" -eq 0 ] || die "dpkg does not know arm64 (run as root, or dpkg --add-architecture arm64 && apt-get update)"
	log "deps: dpkg --add-architecture arm64"
	dpkg --add-architecture arm64
	apt-get update -q >/dev/null
fi

missing=()
for p in "${packages[@]}"; do
	dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed$' ||
		missing+=("$p")
done
[ "${#missing[@]}" -eq 0 ] && exit 0
[ "$(id -u)" -eq 0 ] || die "missing packages: ${missing[*]} (run as root, or apt-get install them)"
log "deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null 2>&1 || {
	apt-get update -q >/dev/null
	apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
}
