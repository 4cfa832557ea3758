#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# run-qemu.sh KERNEL INITRAMFS RUNDIR [TIMEOUT_SECONDS]
#
# Boot the test kernel once, for TEST_ARCH (default x86_64; QEMU settings
# in config/arch/).  KERNEL is the boot image, or the kernel's build
# directory (its image is taken from there).  Console to RUNDIR/console.log,
# kselftest TAP (the guest's KTAP_TTY) to RUNDIR/kselftest.log, QEMU's fate
# to RUNDIR/status.  KVM when /dev/kvm is usable and the architecture is
# the host's, TCG otherwise.
set -euo pipefail
# shellcheck source=scripts/lib.sh
. "$(dirname "$0")/lib.sh"

load_arch "${TEST_ARCH:-x86_64}"
kernel=$1
[ -d "$kernel" ] && kernel=$kernel/$IMAGE
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
		(timeout -k 5 20 "$QEMU" -accel kvm -cpu "$QEMU_CPU_KVM" -smp 1 -m 256 \
			-display none -monitor none -no-reboot -kernel "$kernel" \
			-append "console=$CONSOLE panic=-1 rdinit=/nonexistent" \
			-serial "file:$log" </dev/null >/dev/null 2>&1) 2>/dev/null || true
		if grep -q 'Linux version' "$log"; then echo yes; else echo no; fi > "$probe"
		rm -f "$log"
	fi
	[ "$(cat "$probe")" = yes ]
}
accel=${ACCEL:-}
if [ -z "$accel" ]; then
	accel=tcg
	if [ "$(uname -m)" = "$UNAME_MACHINE" ] && [ -w /dev/kvm ] && kvm_works; then
		accel=kvm
	fi
fi
case $accel in
kvm) accel_args=(-accel kvm -cpu "$QEMU_CPU_KVM") ;;
tcg) accel_args=(-accel tcg -cpu "$QEMU_CPU_TCG") ;;
*) die "ACCEL=$accel: kvm or tcg" ;;
esac
cmdline="console=$CONSOLE panic=-1 oops=panic nokaslr hung_task_timeout_secs=120 HARNESS_KTAP=$KTAP_TTY ${CMDLINE_EXTRA:-}"

# 6 GiB, so that the huge_pfnmap KUnit suite finds a free, 1 GiB aligned
# gigabyte above 4 GiB for its pud cases; the guest touches far less.
memory=${QEMU_MEMORY:-6G}
# QEMU_EXTRA: more QEMU options, split at spaces (make bench: -icount).
read -r -a extra_args <<< "${QEMU_EXTRA:-}"

# The machine, its devices (an IOMMU in front of PCI, so that the
# dma_mmap_iommu KUnit suite finds a device on iommu-dma), and the second
# output, as config/arch/ gives them; split at spaces.
read -r -a device_args <<< "${QEMU_DEVICES:-}"
read -r -a ktap_args <<< "${KTAP_QEMU//@FILE@/$rundir/kselftest.log}"

rc=0
timeout --foreground -k 10 "$limit" "$QEMU" \
	"${accel_args[@]}" "${extra_args[@]}" -M "$QEMU_MACHINE" "${device_args[@]}" \
	-smp 2 -m "$memory" -no-reboot -display none -monitor none \
	-kernel "$kernel" -initrd "$initrd" -append "$cmdline" \
	-serial "file:$rundir/console.log" "${ktap_args[@]}" \
	</dev/null || rc=$?
if [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then
	echo "timeout ${limit}s ($accel)" > "$rundir/status"
else
	echo "exit $rc ($accel)" > "$rundir/status"
fi
