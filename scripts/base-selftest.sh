#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# base-selftest.sh
#
# Proof that the series' kselftest detects the bugs: the unpatched base is
# built with the same configuration as the test kernel (options the base
# does not have, such as the series' KUnit suites, drop out), and the
# series' dma-buf kselftest is run on it in QEMU, one boot per buffer
# source (DMABUF_MMAP_CASES=<source>.*), so that a case that kills the base
# kernel costs only the rest of its own source: that source is booted again
# without the case.  The cases that do not pass there must be exactly those
# listed in tests/base-failures.txt: a case that stops failing no longer
# detects anything, a new failure is a test that no longer matches the base.
# Per-boot logs in build/run-base/<source>.<boot>; every case's result in
# build/run-base/results.txt, the list as measured in observed.txt.
set -euo pipefail
# shellcheck source=scripts/lib.sh
. "$(dirname "$0")/lib.sh"

series_tree=$TREE
base_tree=$BUILD/base-tree$LINE_SUFFIX
base_obj=$BUILD/obj/base$LINE_SUFFIX
ksft_obj=$BUILD/obj/base-kselftest$LINE_SUFFIX
rundir=$BUILD/run-base$LINE_SUFFIX
# Boots of one source at most: the first and one per case that kills the
# kernel.  udmabuf on hugetlb kills the base in every case; the cases its
# boots do not reach are listed as unreached.
max_boots=4
expected=$TOP/tests/base-failures$LINE_SUFFIX.txt
suites=$BUILD/base-suites$LINE_SUFFIX.txt
test_source=$series_tree/tools/testing/selftests/dma-buf/dmabuf-mmap.c

if [ ! -e "$base_tree/.git" ]; then
	rm -rf "$base_tree"
	git -C "$series_tree" worktree prune
	git -C "$series_tree" worktree add -q --detach "$base_tree" "$BASE_TAG"
fi
git -C "$base_tree" checkout -q -f --detach "$BASE_TAG"

log "base-selftest: the unpatched base kernel, test configuration"
TREE=$base_tree ALLOW_UNDEFINED=1 "$TOP/scripts/kernel.sh" "$base_obj" \
	"$TOP/config/qemu.config" "$TOP/config/qemu-x86_64.config" \
	"$TOP/config/tests.config" "$TOP/config/debug.config"

log "base-selftest: the series' dma-buf kselftest"
echo "kselftest dma-buf:dmabuf-mmap" > "$suites"
mkdir -p "$ksft_obj"
SUITES=$suites "$TOP/scripts/selftests.sh" "$ksft_obj"
"$TOP/scripts/initramfs.sh" "$ksft_obj" "$ksft_obj/initramfs.cpio.gz"

mapfile -t sources < <(sed -n 's/^FIXTURE_VARIANT_ADD(dmabuf_mmap, \([a-z0-9_]*\)).*/\1/p' "$test_source")
[ "${#sources[@]}" -gt 0 ] || die "no FIXTURE_VARIANT_ADD(dmabuf_mmap, ...) in $test_source"
rm -rf "$rundir"
mkdir -p "$rundir"
for source in "${sources[@]}"; do
	crashed=()
	cases="$source.*"
	for boot in $(seq 1 "$max_boots"); do
		log "base-selftest: $source, boot $boot (DMABUF_MMAP_CASES=$cases)"
		CMDLINE_EXTRA="DMABUF_MMAP_CASES=$cases HARNESS_KMEMLEAK=off" \
			"$TOP/scripts/run-qemu.sh" "$base_obj/arch/x86/boot/bzImage" \
			"$ksft_obj/initramfs.cpio.gz" "$rundir/$source.$boot" "${QEMU_TIMEOUT:-900}"
		unfinished=$("$TOP/scripts/base-failures.py" unfinished "$test_source" \
			"$rundir/$source.$boot" "$source" "${crashed[@]}")
		[ -n "$unfinished" ] || break
		log "base-selftest: $unfinished did not finish; $source again without it"
		crashed+=("$unfinished")
		cases+=",!$source.$unfinished"
	done
done
"$TOP/scripts/base-failures.py" compare "$test_source" "$rundir" "$expected" | tee "$rundir/summary.txt"
