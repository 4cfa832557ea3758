#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# bench.sh
#
# make bench: the unpatched base and the series, built with the same
# non-debug configuration (tinyconfig + config/qemu.config +
# config/bench.config), each booted in QEMU running guest/dmabuf-bench
# BENCH_RUNS times (default 9); then scripts/bench-report.py prints the
# table (median, min, max, ratio) and writes build/bench/results.json and
# build/bench/ratios.png.
set -euo pipefail
# shellcheck source=scripts/lib.sh
. "$(dirname "$0")/lib.sh"

runs=${BENCH_RUNS:-9}
out=$BUILD/bench
base_tree=$BUILD/base-tree
fragments=("$TOP/config/qemu.config" "$TOP/config/bench.config")
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

for side in base series; do
	if [ "$side" = base ]; then tree=$base_tree; else tree=$TREE; fi
	obj=$BUILD/obj/bench-$side
	log "bench: $side kernel ($(git -C "$tree" describe --always --tags HEAD))"
	start=$SECONDS
	TREE=$tree "$TOP/scripts/kernel.sh" "$obj" "${fragments[@]}"
	echo "$side kernel built in $((SECONDS - start)) s" >&2
done

# Both boots come after both builds, back to back, so that they see the same
# machine load.
for side in base series; do
	log "bench: booting $side, $runs runs"
	start=$SECONDS
	QEMU_MEMORY=2G CMDLINE_EXTRA="bench.runs=$runs" "$TOP/scripts/run-qemu.sh" \
		"$BUILD/obj/bench-$side/arch/x86/boot/bzImage" \
		"$out/initramfs.cpio.gz" "$out/run-$side" "${QEMU_TIMEOUT:-1500}"
	grep -q '^BENCH-END' "$out/run-$side/kselftest.log" ||
		die "bench: the $side run did not finish; see $out/run-$side/console.log"
	echo "$side run took $((SECONDS - start)) s" >&2
done

python3 "$TOP/scripts/bench-report.py" \
	"$out/run-base/kselftest.log" "$out/run-series/kselftest.log" \
	--json "$out/results.json" --png "$out/ratios.png" --machine "$(uname -m), $(nproc) CPUs, QEMU $(qemu-system-x86_64 --version | sed -n '1s/.*version \([^ ]*\).*/\1/p'), $(cat "$out/run-series/status")" |
	tee "$out/table.txt"
