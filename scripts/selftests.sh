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
targets=()
for t in "${tests[@]}"; do
	c=${t%%:*}
	case $c in
	regression) c=vm ;; # gup_test_basic.sh runs vm's gup_test
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
mkdir -p "$install/regression"
install -m 755 "$TOP/guest/gup_test_basic.sh" "$install/regression/"
echo "regression:gup_test_basic.sh" >> "$install/kselftest-list.txt"

printf '%s\n' "${tests[@]}" > "$selected"
# The selftests' make swallows a failed target as long as another one built,
# so check that every selected test (and what it runs) is really there.
needs=()
for t in "${tests[@]}"; do
	case $t in regression:*) needs+=(vm:gup_test) ;; esac
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
