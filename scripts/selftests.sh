#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# selftests.sh OBJDIR
#
# Build and install (statically linked) the kselftest collections that
# suites.txt selects, with the kernel's own "make -C tools/testing/selftests
# install", into OBJDIR/kselftest_install, plus the harness's regression
# collection.  Writes the run_kselftest.sh selection next to it.
set -euo pipefail
# shellcheck source=scripts/lib.sh
. "$(dirname "$0")/lib.sh"

obj=$(cd "$1" && pwd)
install=$obj/kselftest_install
selected=$obj/kselftest-selected.txt

# SUITES: another suites file (make base-selftest runs a subset).
mapfile -t tests < <(awk '$1 == "kselftest" { print $2 }' "${SUITES:-$TOP/suites.txt}")
# The mm selftests (gup_test) are "vm" in 6.1 and "mm" from 6.3 on.
mm_dir=vm
[ -d "$TREE/tools/testing/selftests/mm" ] && mm_dir=mm
targets=()
for t in "${tests[@]}"; do
	c=${t%%:*}
	case $c in
	regression) continue ;; # gup_test_basic.sh: gup_test is built below
	esac
	case " ${targets[*]} " in
	*" $c "*) ;;
	*) targets+=("$c") ;;
	esac
done

load_arch "${TEST_ARCH:-x86_64}"
make -s -C "$TREE" O="$obj" ARCH="$KARCH" headers >/dev/null
rm -rf "$install"
# LDFLAGS from the environment, not the command line, so that the
# selftests' own "CFLAGS +=" and "LDLIBS +=" still apply.
buildlog=$obj/kselftest-build.log
LDFLAGS=-static make -C "$TREE/tools/testing/selftests" O="$obj" \
	ARCH="$KARCH" MACHINE="$UNAME_MACHINE" CROSS_COMPILE="$CROSS_COMPILE" \
	TARGETS="${targets[*]}" KSFT_INSTALL_PATH="$install" install > "$buildlog" 2>&1 || true

# The harness's own collection: kernel tests that 6.1 cannot select alone.
# Its gup_test_basic.sh runs the mm selftests' gup_test, built alone: the
# whole mm collection need not build (6.12.118's khugepaged.c does not).
if grep -q '^regression:' <(printf '%s\n' "${tests[@]}"); then
	gup_out=$obj/kselftest/$mm_dir
	mkdir -p "$gup_out" "$install/$mm_dir"
	LDFLAGS=-static make -C "$TREE/tools/testing/selftests/$mm_dir" \
		OUTPUT="$gup_out" KHDR_INCLUDES="-isystem $obj/usr/include" \
		ARCH="$KARCH" MACHINE="$UNAME_MACHINE" CROSS_COMPILE="$CROSS_COMPILE" \
		"$gup_out/gup_test" >> "$buildlog" 2>&1 || true
	[ ! -x "$gup_out/gup_test" ] || install -m 755 "$gup_out/gup_test" "$install/$mm_dir/"
fi
# drivers/dma-buf's udmabuf test maps a hugetlb memfd of MEMFD_SIZE huge
# pages from 6.12 on (its test 6) and fails when they are not there: the
# guest's /init reserves what harness-hugepages says before the tests.
udmabuf_test=$TREE/tools/testing/selftests/drivers/dma-buf/udmabuf.c
if grep -qx 'drivers/dma-buf:udmabuf' <(printf '%s\n' "${tests[@]}") &&
	grep -q MFD_HUGETLB "$udmabuf_test"; then
	sed -n 's/^#define[[:space:]]*MEMFD_SIZE[[:space:]]*\([0-9][0-9]*\).*/\1/p' \
		"$udmabuf_test" > "$install/harness-hugepages"
	[ -s "$install/harness-hugepages" ] || die "no MEMFD_SIZE in $udmabuf_test"
fi
mkdir -p "$install/regression"
install -m 755 "$TOP/guest/gup_test_basic.sh" "$install/regression/"
echo "regression:gup_test_basic.sh" >> "$install/kselftest-list.txt"

printf '%s\n' "${tests[@]}" > "$selected"
# The selftests' make swallows a failed target as long as another one built,
# so check that every selected test (and what it runs) is really there.
needs=()
for t in "${tests[@]}"; do
	case $t in regression:*) needs+=("$mm_dir:gup_test") ;; esac
done
for t in "${tests[@]}" "${needs[@]}"; do
	[ -x "$install/${t%%:*}/${t#*:}" ] ||
		die "kselftest install has no ${t%%:*}/${t#*:}; build log: $buildlog"
	if file "$install/${t%%:*}/${t#*:}" | grep ELF | grep -vq 'statically linked'; then
		die "${t%%:*}/${t#*:} is not statically linked (the initramfs has no libc)"
	fi
done
for t in "${tests[@]}"; do
	grep -qxF "$t" "$install/kselftest-list.txt" ||
		die "suites.txt selects $t, which the kselftest install does not list"
done
