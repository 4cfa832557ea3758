#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# bench.sh
#
# make bench: the unpatched base and the series, built with the same
# non-debug configuration (tinyconfig + config/qemu.config +
# config/bench.config), booted in QEMU in turn, base then series,
# BENCH_ROUNDS times (default 5), each boot running guest/dmabuf-bench
# BENCH_RUNS times (default 3): alternating spreads changes of the host's
# load over both sides.  scripts/bench-report.py then prints the table
# (median, min and max over all runs, ratio of the medians) and writes
# build/bench/results.json and build/bench/ratios.png.
#
# QEMU runs with -icount shift=0 (BENCH_QEMU_EXTRA to change it): the guest
# clock advances one nanosecond per guest instruction, so a time is a count
# of instructions, independent of the host's load and of how TCG happens to
# translate each kernel's code layout.  Measured with the host clock
# instead, the same code ran up to twice as fast in one kernel as in the
# other depending on layout alone.
set -euo pipefail
# shellcheck source=scripts/lib.sh
. "$(dirname "$0")/lib.sh"

runs=${BENCH_RUNS:-3}
rounds=${BENCH_ROUNDS:-5}
out=$BUILD/bench$LINE_SUFFIX
base_tree=$BUILD/base-tree$LINE_SUFFIX
fragments=("$TOP/config/qemu.config" "$TOP/config/qemu-x86_64.config" "$TOP/config/bench.config")
mkdir -p "$out"

if [ ! -e "$base_tree/.git" ]; then
	rm -rf "$base_tree"
	git -C "$TREE" worktree prune
	git -C "$TREE" worktree add -q --detach "$base_tree" "$BASE_TAG"
fi
git -C "$base_tree" checkout -q -f --detach "$BASE_TAG"

# One static binary for both kernels; gup_test.h is the same in both.
gcc -O2 -Wall -static -I "$TREE/mm" -o "$out/dmabuf-bench" \
	"$TOP/guest/dmabuf-bench.c"
root=$out/initramfs
rm -rf "$root"
mkdir -p "$root"/{bin,dev,proc,sys}
install -m 755 /bin/busybox "$root/bin/busybox"
install -m 755 "$TOP/guest/bench-init" "$root/init"
install -m 755 "$out/dmabuf-bench" "$root/dmabuf-bench"
(cd "$root" && find . -print0 | LC_ALL=C sort -z |
	cpio --null -o -H newc --owner=0:0 --quiet) | gzip -1 > "$out/initramfs.cpio.gz"

# The base need not define every symbol the fragments pin: on 6.1,
# config/qemu-x86_64.config's CONFIG_ARCH_SUPPORTS_PUD_PFNMAP comes with the
# series.  As in base-selftest.sh, the base tolerates symbols no Kconfig of
# its tree defines; one that exists and did not stick still fails.
for side in base series; do
	if [ "$side" = base ]; then
		tree=$base_tree undefined=1
	else
		tree=$TREE undefined=0
	fi
	obj=$BUILD/obj/bench$LINE_SUFFIX-$side
	log "bench: $side kernel ($(git -C "$tree" describe --always --tags HEAD))"
	start=$SECONDS
	TREE=$tree ALLOW_UNDEFINED=$undefined "$TOP/scripts/kernel.sh" "$obj" "${fragments[@]}"
	echo "$side kernel built in $((SECONDS - start)) s" >&2
done

# All boots come after both builds, alternating, so that both sides see the
# same machine load.  acpi=off: under -icount a 6.1 kernel with ACPI (which
# config/qemu-x86_64.config asks for, for the IOMMU the tests use) never
# brings up its second CPU and hangs at "Booting SMP configuration" (QEMU
# 7.2); the benchmark needs neither ACPI nor the IOMMU, on either line.
rm -f "$out/base.log" "$out/series.log"
for round in $(seq 1 "$rounds"); do
	for side in base series; do
		rundir=$out/run-$side-$round
		log "bench: round $round of $rounds, booting $side, $runs runs"
		QEMU_MEMORY=2G QEMU_EXTRA="${BENCH_QEMU_EXTRA:--icount shift=0}" CMDLINE_EXTRA="bench.runs=$runs tsc=reliable acpi=off" "$TOP/scripts/run-qemu.sh" \
			"$BUILD/obj/bench$LINE_SUFFIX-$side/arch/x86/boot/bzImage" \
			"$out/initramfs.cpio.gz" "$rundir" "${QEMU_TIMEOUT:-1500}"
		grep -q '^BENCH-END' "$rundir/kselftest.log" ||
			die "bench: the $side run did not finish; see $rundir/console.log"
		cat "$rundir/kselftest.log" >> "$out/$side.log"
	done
done

python3 "$TOP/scripts/bench-report.py" \
	"$out/base.log" "$out/series.log" \
	--json "$out/results.json" --png "$out/ratios.png" --machine "$(uname -m), $(nproc) CPUs, ${BENCH_QEMU_EXTRA:--icount shift=0} (times in guest instructions: 1 us = 1000), QEMU $(qemu-system-x86_64 --version | sed -n '1s/.*version \([^ ]*\).*/\1/p'), $(cat "$out/run-series-1/status")" |
	tee "$out/table.txt"
