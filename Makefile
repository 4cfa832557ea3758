# SPDX-License-Identifier: GPL-2.0
#
# make          fetch the base, apply the series, build, boot in QEMU, run
#               every KUnit suite and kselftest, print the verdict
# make check    all of that plus the series hygiene, verdict-selftest and
#               base-selftest
# make verdict-selftest  the verdict on synthetic runs, each with one hole
#               that must fail it (seconds, no kernel)
#               (what CI runs)
# make lint     the fast checks: shellcheck, checkpatch, round trip, kernel-doc
# make mbox-check  the series as mailed: b4 am offline, git am on the base
# make debian   the backport kit for Debian's kernel package (build/debian-kit),
#               checked with quilt push on the base
# make docs     the Sphinx docs the series touches: no new warnings (slow)
# make tree     the base with the series applied, in build/linux
# make export   write build/linux's series back to patches/ and the copies
# make base-selftest  the series' kselftest on the unpatched base, one boot
#               per buffer source: it must fail as tests/base-failures.txt says
# make bench    base against series: gup, faults and mmap times (build/bench)
# make bisect   every patch's full kernel build, one after the other (slow)
#
# LINUX=<v6.1.y git tree> [BASE=<commit>] uses that tree instead of Debian's
# linux-source-6.1 (see README.md).  Everything generated is under build/.

SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := all

BUILD := $(CURDIR)/build
# The kernel line (scripts/lib.sh): 6.1, the series in patches/ on Debian's
# linux-source-6.1, or 6.12, the series in v6.12/patches/ on Debian's
# linux-source-6.12.  6.1 keeps the historic paths under build/.
LINE ?= 6.1
export LINE
LINE_SUFFIX := $(if $(filter 6.1,$(LINE)),,-$(LINE))
# The architecture of the test kernel and run (config/arch/$(TEST_ARCH).arch
# holds its QEMU and toolchain settings); x86_64 keeps the historic paths.
TEST_ARCH ?= x86_64
export TEST_ARCH
ARCH_SUFFIX := $(if $(filter x86_64,$(TEST_ARCH)),,-$(TEST_ARCH))
TEST_OBJ := $(BUILD)/obj/test$(LINE_SUFFIX)$(ARCH_SUFFIX)
TEST_CONFIG := config/qemu.config config/qemu-$(TEST_ARCH).config config/tests.config config/debug.config
# The per-patch build walk, in a worktree and build directory of its own.
WALK_OBJ := $(BUILD)/obj/walk$(LINE_SUFFIX)
RUN := $(BUILD)/run$(LINE_SUFFIX)$(ARCH_SUFFIX)
# Hard limit for one QEMU run, seconds.
QEMU_TIMEOUT ?= 1500
# The test run's kernel command line: a 2 GiB default CMA area, so that the
# huge_pfnmap KUnit suite always finds an aligned GiB for its pud cases,
# and page_table_check (CONFIG_PAGE_TABLE_CHECK in debug.config) on.
TEST_CMDLINE := cma=2G page_table_check=on

export LINUX BASE

.PHONY: all check check-line lint deps base tree export kernel selftests initramfs \
	run verdict verdict-selftest hygiene bisect bench roundtrip base-selftest docs debian mbox-check clean distclean

all: verdict

deps:
	@scripts/deps.sh

base: deps
	@scripts/base.sh

tree: base
	@scripts/tree.sh

export:
	@scripts/export.sh

kernel: tree
	@echo ">>> [$$(date -u +%T)] kernel: Linux $(LINE), $(TEST_ARCH) in $(TEST_OBJ) (tinyconfig + $(notdir $(TEST_CONFIG)))"
	@scripts/kernel.sh $(TEST_OBJ) $(TEST_CONFIG)

selftests: kernel
	@echo ">>> [$$(date -u +%T)] selftests: building the selected kselftests (static)"
	@scripts/selftests.sh $(TEST_OBJ)

initramfs: selftests
	@scripts/initramfs.sh $(TEST_OBJ) $(TEST_OBJ)/initramfs.cpio.gz

run: initramfs
	@echo ">>> [$$(date -u +%T)] run: booting in QEMU (log: $(RUN)/console.log)"
	@CMDLINE_EXTRA="$(TEST_CMDLINE) $${CMDLINE_EXTRA:-}" \
		scripts/run-qemu.sh $(TEST_OBJ) \
		$(TEST_OBJ)/initramfs.cpio.gz $(RUN) $(QEMU_TIMEOUT)

verdict: run
	@scripts/verdict.py $(RUN) --tree $(BUILD)/linux$(LINE_SUFFIX) --suites suites.txt \
		--skips tests/expected-skips.txt --arch $(TEST_ARCH) \
		| tee $(RUN)/summary.txt

# The verdict on recorded and synthetic runs, each with one hole that must
# fail it, and a good one that must pass; seconds, no kernel.
verdict-selftest: tree
	@scripts/verdict-selftest.py --tree $(BUILD)/linux

# make check gates every line in CHECK_LINES: each line's hygiene (lint,
# mbox, Debian kit, per-patch walk, compile tests; the test kernel is built
# first, the walk builds the objects it builds), its QEMU runs, one per
# architecture in RUN_ARCHES_<line>, and for 6.1 the proof that the
# kselftest fails on the unpatched base.  The last lines count the cases per
# line and architecture and in total.
CHECK_LINES := 6.1 6.12
RUN_ARCHES_6.1 := x86_64 arm64
RUN_ARCHES_6.12 := x86_64
check:
	@for line in $(CHECK_LINES); do \
		$(MAKE) --no-print-directory check-line LINE=$$line; \
	done
	@scripts/verdict-total.py $(foreach l,$(CHECK_LINES),$(foreach a,$(RUN_ARCHES_$(l)),\
		"$(l) $(a)=$(BUILD)/run$(if $(filter 6.1,$(l)),,-$(l))$(if $(filter x86_64,$(a)),,-$(a))/summary.txt"))
	@echo ">>> [$$(date -u +%T)] check: done"

check-line: hygiene
	@if [ "$(LINE)" = 6.1 ]; then \
		echo ">>> [$$(date -u +%T)] check: verdict-selftest"; \
		$(MAKE) --no-print-directory verdict-selftest; \
	fi
	@for arch in $(RUN_ARCHES_$(LINE)); do \
		echo ">>> [$$(date -u +%T)] check: Linux $(LINE), the test run, $$arch"; \
		$(MAKE) --no-print-directory verdict TEST_ARCH=$$arch; \
	done
	@if [ "$(LINE)" = 6.1 ]; then \
		echo ">>> [$$(date -u +%T)] check: base-selftest"; \
		$(MAKE) --no-print-directory base-selftest TEST_ARCH=x86_64; \
	fi

hygiene: lint kernel
	@echo ">>> [$$(date -u +%T)] hygiene: mbox, Debian kit, per-patch walk, compile tests"
	@scripts/mbox-check.sh
	@scripts/debian-kit.sh
	@scripts/hygiene.sh objects $(TEST_OBJ) $(WALK_OBJ) $(TEST_CONFIG)
	@scripts/compile-test.sh $(TEST_OBJ)

# Every patch's full bzImage, one after the other: about 10 minutes for each
# patch that touches a widely included header, so not part of check.
bisect: kernel
	@scripts/hygiene.sh full $(TEST_OBJ) $(WALK_OBJ) $(TEST_CONFIG)

lint: tree
	@scripts/lint.sh

# The series as a maintainer gets it: b4 am of the mailed series (offline),
# git am on the base, the series head's tree.
mbox-check: tree
	@scripts/mbox-check.sh

# The series as a quilt kit for Debian's kernel packaging, in build/debian-kit
# and build/debian-kit.tar.gz, applied with quilt to the base as a check.
debian: tree
	@scripts/debian-kit.sh

# htmldocs of the Sphinx directories the series touches, base against series,
# with Debian's Sphinx; one CPU under nice, so not part of check.
docs: tree
	@scripts/docs-check.sh

# The unpatched base and the series, same non-debug configuration, side by
# side: gup_test, CMA heap first touch, heap and udmabuf mmap cycles.
bench: tree
	@scripts/bench.sh

# The unpatched base, same configuration, running the series' kselftest one
# boot per buffer source: the cases that fail there must be those
# tests/base-failures.txt lists.  Part of check.
base-selftest: tree
	@scripts/base-selftest.sh

clean:
	rm -rf $(BUILD)/obj $(BUILD)/run $(BUILD)/roundtrip*

distclean:
	rm -rf $(BUILD)
