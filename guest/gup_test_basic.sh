#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# The gup_test runs of tools/testing/selftests/vm/run_vmtests.sh, without the
# rest of that script (hugetlb pools, userfaultfd, ...), which 6.1 cannot run
# selectively.  Installed by the harness as regression:gup_test_basic.sh.
cd "$(dirname "$0")/../vm" || exit 4
[ -e /sys/kernel/debug/gup_test ] || { echo "no /sys/kernel/debug/gup_test (CONFIG_GUP_TEST)"; exit 4; }
rc=0
run() {
	echo "running: $*"
	if "$@"; then echo "[PASS] $*"; else echo "[FAIL] $*"; rc=1; fi
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
