#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# kernel.sh OBJDIR FRAGMENT...
#
# Configure (scripts/config.sh) and build the boot image of $TREE in OBJDIR
# for TEST_ARCH (default x86_64; settings in config/arch/), through ccache
# (cache under build/ccache).  Build output goes to
# OBJDIR/build.log; on failure its tail is shown.
set -euo pipefail
# shellcheck source=scripts/lib.sh
. "$(dirname "$0")/lib.sh"

load_arch "${TEST_ARCH:-x86_64}"
mkdir -p "$1"
obj=$(cd "$1" && pwd)
shift
"$TOP/scripts/config.sh" "$obj" "$@"
kbuild "$obj" "$IMAGE_TARGET"
