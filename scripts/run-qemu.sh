#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# run-qemu.sh BZIMAGE INITRAMFS RUNDIR [TIMEOUT_SECONDS]
#
# Boot the test kernel once.  Console to RUNDIR/console.log, kselftest TAP
# (the guest's ttyS1) to RUNDIR/kselftest.log, QEMU's fate to RUNDIR/status.
# KVM when /dev/kvm is usable, TCG otherwise.
set -euo pipefail
# shellcheck source=scripts/lib.sh
. "$(dirname "$0")/lib.sh"

kernel=$1
initrd=$2
rundir=$3
limit=${4:-1800}
mkdir -p "$rundir"
rm -f "$rundir"/{console.log,kselftest.log,status}

# /dev/kvm can exist and still not work (nested virtualisation that refuses
# MSRs, or a guest that never runs), so KVM is used only when a probe boot
# reaches the kernel banner; ACCEL=kvm|tcg overrides.  The answer is cached.
kvm_works() {
	local probe=$BUILD/kvm-probe
	if [ ! -f "$probe" ]; then
		local log
		log=$(mktemp)
		(timeout -k 5 20 qemu-system-x86_64 -accel kvm -cpu host -smp 1 -m 256 \
			-display none -monitor none -no-reboot -kernel "$kernel" \
			-append "console=ttyS0 panic=-1 rdinit=/nonexistent" \
			-serial "file:$log" </dev/null >/dev/null 2>&1) 2>/dev/null || true
		if grep -q 'Linux version' "$log"; then echo yes; else echo no; fi > "$probe"
		rm -f "$log"
	fi
	[ "$(cat "$probe")" = yes ]
}
accel=${ACCEL:-}
if [ -z "$accel" ]; then
	accel=tcg
	if [ -w /dev/kvm ] && kvm_works; then
		accel=kvm
	fi
fi
case $accel in
kvm) accel_args=(-accel kvm -cpu host) ;;
tcg) accel_args=(-accel tcg -cpu max) ;;
*) die "ACCEL=$accel: kvm or tcg" ;;
esac
cmdline="console=ttyS0 panic=-1 oops=panic nokaslr hung_task_timeout_secs=120 ${CMDLINE_EXTRA:-}"

# 6 GiB, so that the huge_pfnmap KUnit suite finds a free, 1 GiB aligned
# gigabyte above 4 GiB for its pud cases; the guest touches far less.
memory=${QEMU_MEMORY:-6G}
# QEMU_EXTRA: more QEMU options, split at spaces (make bench: -icount).
read -r -a extra_args <<< "${QEMU_EXTRA:-}"

rc=0
# q35 with an emulated Intel IOMMU, so that PCI devices use iommu-dma (the
# dma_mmap_iommu KUnit suite needs one such device).
timeout --foreground -k 10 "$limit" qemu-system-x86_64 \
	"${accel_args[@]}" "${extra_args[@]}" -M q35 -device intel-iommu \
	-smp 2 -m "$memory" -no-reboot -display none -monitor none \
	-kernel "$kernel" -initrd "$initrd" -append "$cmdline" \
	-serial "file:$rundir/console.log" -serial "file:$rundir/kselftest.log" \
	</dev/null || rc=$?
if [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then
	echo "timeout ${limit}s ($accel)" > "$rundir/status"
else
	echo "exit $rc ($accel)" > "$rundir/status"
fi
