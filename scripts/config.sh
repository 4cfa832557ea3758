#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# config.sh OBJDIR FRAGMENT...
#
# tinyconfig for x86_64, the fragments merged on top, then a check that every
# symbol a fragment asks for made it into .config: merge_config.sh and
# olddefconfig drop symbols whose dependencies are unmet without failing.
# ALLOW_UNDEFINED=1 (the per-patch build walk) tolerates symbols that no
# Kconfig file of the checked-out tree defines yet, such as a test option a
# later patch adds; a symbol that exists but did not stick still fails.
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

# What the resulting .config depends on: the fragments, and the tree's
# Kconfig files, config fragments and kconfig tool (committed and not), not
# the rest of the tree.  The per-patch walk calls this at every commit, and
# a full tinyconfig + merge + olddefconfig costs 9 s of CPU here: only the few
# commits that touch Kconfig pay for it.
kconfig_inputs() {
	local re='(^|/)Kconfig[^/]*$|/configs/[^/]*\.config$|^scripts/kconfig/|^scripts/Kconfig\.include$|^Makefile$'
	local f
	git -C "$TREE" ls-tree -r HEAD | awk -F '\t' -v re="$re" '$2 ~ re'
	git -C "$TREE" diff --name-only HEAD | grep -E "$re" | while IFS= read -r f; do
		echo "$f"
		cat "$TREE/$f" 2>/dev/null || true
	done
}
stamp=$obj/.config.fragments
want=$( (cat "${frags[@]}"; kconfig_inputs; echo "${ARCH:-x86_64} ${ALLOW_UNDEFINED:-0}") |
	sha256sum | cut -d' ' -f1)
if [ -f "$obj/.config" ] && [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
	exit 0
fi

kmake=(make -s -C "$TREE" O="$obj" ARCH="${ARCH:-x86_64}")
if [ -n "${CROSS_COMPILE:-}" ]; then
	kmake+=(CROSS_COMPILE="$CROSS_COMPILE")
fi
# Kconfig's "override: ... changes choice state" notes are expected here.
log=$obj/config.log
{
	"${kmake[@]}" "${BASE_CONFIG:-tinyconfig}" &&
	(cd "$TREE" && ARCH=${ARCH:-x86_64} scripts/kconfig/merge_config.sh -m \
		-O "$obj" "$obj/.config" "${frags[@]}") &&
	"${kmake[@]}" olddefconfig
} > "$log" 2>&1 || { tail -n 20 "$log" >&2; die "configuring $obj failed; log: $log"; }

missing=0
while IFS= read -r line; do
	case $line in
	CONFIG_*=*)
		sym=${line%%=*}
		grep -qxF "$line" "$obj/.config" || {
			if [ "${ALLOW_UNDEFINED:-0}" = 1 ] && ! git -C "$TREE" grep -q -E \
				"^[[:space:]]*(menu)?config[[:space:]]+${sym#CONFIG_}\$" -- '*Kconfig*'; then
				continue
			fi
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
