#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# The gup_test runs of tools/testing/selftests/{vm,mm}/run_vmtests.sh, without the
# rest of that script (hugetlb pools, userfaultfd, ...), which 6.1 cannot run
# selectively.  Installed by the harness as regression:gup_test_basic.sh.
# A run fails when gup_test exits non-zero or when it reports that GUP took
# fewer pages than it asked for ("truncated" from the benchmarks, "Truncated"
# from the basic and dump tests): run_vmtests.sh passes such a run, since
# gup_test still exits 0.  Only a kernel without the gup_test debugfs file
# is a skip (4).
# The mm selftests are installed as vm/ (6.1) or mm/ (6.3 and later).
cd "$(dirname "$0")/../vm" 2>/dev/null || cd "$(dirname "$0")/../mm" ||
	{ echo "no $(dirname "$0")/../vm or ../mm: the mm selftests are not installed"; exit 1; }
[ -e /sys/kernel/debug/gup_test ] || { echo "no /sys/kernel/debug/gup_test (CONFIG_GUP_TEST)"; exit 4; }
rc=0
run() {
	echo "running: $*"
	out=$("$@" 2>&1)
	status=$?
	# indented: gup_test prints TAP lines of its own from 6.12 on, which
	# must not read as this script's results
	[ -z "$out" ] || printf '%s\n' "$out" | sed 's/^/    /'
	if [ "$status" -ne 0 ]; then
		echo "[FAIL] $* (exit status $status)"
		rc=1
		return
	fi
	case $out in
	*[Tt]runcated*)
		echo "[FAIL] $* (gup took fewer pages than asked)"
		rc=1
		;;
	*)
		echo "[PASS] $*"
		;;
	esac
}
# get_user_pages_fast() benchmark with normal pages
run ./gup_test -u
# pin_user_pages_fast() benchmark with normal pages
run ./gup_test -a
# dump pages 0, 19, and 4096, using pin_user_pages: dump_page() on purpose
echo "expected-splat: begin count=3 gup_test dump_pages" > /dev/kmsg
run ./gup_test -ct -F 0x1 0 19 0x1000
echo "expected-splat: end count=3 gup_test dump_pages" > /dev/kmsg
exit $rc
