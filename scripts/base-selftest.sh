#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# base-selftest.sh
#
# Proof that the series' kselftest detects the bugs: the unpatched base is
# built with the same configuration as the test kernel (options the base
# does not have, such as the series' KUnit suites, drop out), booted in
# QEMU, and the series' dma-buf kselftest is run on it.  The cases that
# fail there must be exactly those listed in tests/base-failures.txt: a
# case that stops failing no longer detects anything, a new failure is a
# test that no longer matches the base.
set -euo pipefail
# shellcheck source=scripts/lib.sh
. "$(dirname "$0")/lib.sh"

series_tree=$TREE
base_tree=$BUILD/base-tree
base_obj=$BUILD/obj/base
ksft_obj=$BUILD/obj/base-kselftest
rundir=$BUILD/run-base
expected=$TOP/tests/base-failures.txt
suites=$BUILD/base-suites.txt

if [ ! -e "$base_tree/.git" ]; then
	rm -rf "$base_tree"
	git -C "$series_tree" worktree prune
	git -C "$series_tree" worktree add -q --detach "$base_tree" "$BASE_TAG"
fi
git -C "$base_tree" checkout -q -f --detach "$BASE_TAG"

log "base-selftest: the unpatched base kernel, test configuration"
TREE=$base_tree ALLOW_UNDEFINED=1 "$TOP/scripts/kernel.sh" "$base_obj" \
	"$TOP/config/qemu.config" "$TOP/config/tests.config" "$TOP/config/debug.config"

log "base-selftest: the series' dma-buf kselftest"
echo "kselftest dma-buf:dmabuf-mmap" > "$suites"
mkdir -p "$ksft_obj"
SUITES=$suites "$TOP/scripts/selftests.sh" "$ksft_obj"
"$TOP/scripts/initramfs.sh" "$ksft_obj" "$ksft_obj/initramfs.cpio.gz"
"$TOP/scripts/run-qemu.sh" "$base_obj/arch/x86/boot/bzImage" \
	"$ksft_obj/initramfs.cpio.gz" "$rundir" "${QEMU_TIMEOUT:-1500}"
"$TOP/scripts/verdict.py" "$rundir" --tree "$series_tree" --suites "$suites" \
	> "$rundir/summary.txt" || true

# The kselftest's own cases, from its nested KTAP, through the kernel's
# parser: strip run_kselftest.sh's "# " prefix from the test's output.
sed -n 's/^# //p' "$rundir/kselftest.log" | sed -n '/^TAP version/,$p' > "$rundir/dmabuf-mmap.tap"
python3 "$series_tree/tools/testing/kunit/kunit.py" parse \
	--json="$rundir/dmabuf-mmap.json" "$rundir/dmabuf-mmap.tap" > /dev/null 2>&1 || true
python3 - "$rundir/dmabuf-mmap.json" "$expected" "$rundir/dmabuf-mmap.tap" <<'PY'
import json, re, sys
with open(sys.argv[1]) as f:
    data = json.load(f)
cases = {}
def walk(g):
    for c in g.get('test_cases', []):
        name = c['name'].split(' ')[0]
        if name:
            cases[name] = c['status']
    for s in g.get('sub_groups', []):
        walk(s)
walk(data)
# A case that started and never reported took the kernel down with it (the
# run also fails on the splat): it counts as failing, as CRASHED.
started = None
with open(sys.argv[3]) as f:
    for line in f:
        m = re.match(r'#\s+RUN\s+(\S+) \.\.\.', line)
        if m:
            started = m.group(1)
        elif started and re.match(r'(not )?ok \d+ ' + re.escape(started) + r'\b', line):
            started = None
if started:
    cases[started] = 'CRASHED'
    print(f'base-selftest: {started} crashed the base kernel; the cases after it did not run')
failed = {n for n, s in cases.items() if s not in ('PASS', 'SKIP')}
with open(sys.argv[2]) as f:
    lines = [l.split() for l in f if l.strip() and not l.startswith('#')]
want = {l[0] for l in lines if l[0] != '~'}
# "~ CASE": fails on some runs only (see the comment in the list)
maybe = {l[1] for l in lines if l[0] == '~'}
ok = True
failed_listed = failed - maybe
for n in sorted(want - failed):
    print(f'[FAILED] base-selftest: {n} is listed as failing on the base but '
          f'{cases.get(n, "did not run")}')
    ok = False
for n in sorted(failed_listed - want):
    print(f'[FAILED] base-selftest: {n} fails on the base but is not listed')
    ok = False
print(f"[{'PASSED' if ok else 'FAILED'}] base-selftest: {len(failed)} of "
      f"{len(cases)} cases fail on the unpatched base, as "
      f"tests/base-failures.txt lists")
sys.exit(0 if ok else 1)
PY
