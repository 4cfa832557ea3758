#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# config.sh OBJDIR FRAGMENT...
#
# tinyconfig for x86_64, the fragments merged on top, then a check that every
# symbol a fragment asks for made it into .config: merge_config.sh and
# olddefconfig drop symbols whose dependencies are unmet without failing.
set -euo pipefail
# shellcheck source=scripts/lib.sh
. "$(dirname "$0")/lib.sh"

obj=$1
shift
[ "$#" -gt 0 ] || die "usage: config.sh OBJDIR FRAGMENT..."
mkdir -p "$obj"
obj=$(cd "$obj" && pwd)
frags=()
for f in "$@"; do
	frags+=("$(cd "$(dirname "$f")" && pwd)/$(basename "$f")")
done

stamp=$obj/.config.fragments
want=$(cat "${frags[@]}" | sha256sum | cut -d' ' -f1)
if [ -f "$obj/.config" ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
	exit 0
fi

kmake=(make -s -C "$TREE" O="$obj" ARCH="${ARCH:-x86_64}")
if [ -n "${CROSS_COMPILE:-}" ]; then
	kmake+=(CROSS_COMPILE="$CROSS_COMPILE")
fi
"${kmake[@]}" "${BASE_CONFIG:-tinyconfig}" >/dev/null
(cd "$TREE" && ARCH=${ARCH:-x86_64} scripts/kconfig/merge_config.sh -m -O "$obj" \
	"$obj/.config" "${frags[@]}" >/dev/null 2>&1)
"${kmake[@]}" olddefconfig >/dev/null

missing=0
while IFS= read -r line; do
	case $line in
	CONFIG_*=*)
		sym=${line%%=*}
		grep -qxF "$line" "$obj/.config" || {
			echo "config: $line requested, .config has: $(grep -E "^(# )?${sym}[= ]" "$obj/.config" || echo "$sym absent")" >&2
			missing=1
		}
		;;
	"# CONFIG_"*" is not set")
		sym=${line#\# }
		sym=${sym%% *}
		if grep -q "^$sym=" "$obj/.config"; then
			echo "config: $sym requested off, .config has: $(grep "^$sym=" "$obj/.config")" >&2
			missing=1
		fi
		;;
	esac
done < <(cat "${frags[@]}")
[ "$missing" -eq 0 ] || die "some requested options did not make it into $obj/.config (unmet dependencies?)"
echo "$want" > "$stamp"
