# SPDX-License-Identifier: GPL-2.0
#
# make          fetch the base, apply the series, build, boot in QEMU, run
#               every KUnit suite and kselftest, print the verdict
# make check    all of that plus the series hygiene (what CI runs)
# make lint     the fast checks: checkpatch, round trip, kernel-doc
# make tree     the base with the series applied, in build/linux
# make export   write build/linux's series back to patches/ and the copies
# make base-selftest  run the series' kselftest on the unpatched base
#
# LINUX=<v6.1.y git tree> [BASE=<commit>] uses that tree instead of Debian's
# linux-source-6.1 (see README.md).  Everything generated is under build/.

SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := all

BUILD := $(CURDIR)/build
TEST_OBJ := $(BUILD)/obj/test
TEST_CONFIG := config/qemu.config config/tests.config config/debug.config
# The per-patch build walk: the test configuration without the debug options
# (KASAN, lockdep, kmemleak...), which cost a third more build time and do
# not decide whether a patch builds.
WALK_OBJ := $(BUILD)/obj/walk
WALK_CONFIG := config/qemu.config config/tests.config
RUN := $(BUILD)/run
# Hard limit for one QEMU run, seconds.
QEMU_TIMEOUT ?= 1500

export LINUX BASE

.PHONY: all check lint deps base tree export kernel selftests initramfs \
	run verdict hygiene roundtrip base-selftest clean distclean

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
	@echo ">>> kernel: build/obj/test (tinyconfig + $(notdir $(TEST_CONFIG)))"
	@scripts/kernel.sh $(TEST_OBJ) $(TEST_CONFIG)

selftests: kernel
	@echo ">>> selftests: building the selected kselftests (static)"
	@scripts/selftests.sh $(TEST_OBJ)

initramfs: selftests
	@scripts/initramfs.sh $(TEST_OBJ) $(TEST_OBJ)/initramfs.cpio.gz

run: initramfs
	@echo ">>> run: booting in QEMU (log: $(RUN)/console.log)"
	@scripts/run-qemu.sh $(TEST_OBJ)/arch/x86/boot/bzImage \
		$(TEST_OBJ)/initramfs.cpio.gz $(RUN) $(QEMU_TIMEOUT)

verdict: run
	@scripts/verdict.py $(RUN) --tree $(BUILD)/linux --suites suites.txt \
		| tee $(RUN)/summary.txt

# The series hygiene runs first; the test kernel is built after it.
check: hygiene
	@$(MAKE) --no-print-directory verdict

hygiene: lint
	@scripts/hygiene.sh $(WALK_OBJ) $(WALK_CONFIG)
	@scripts/compile-test.sh $(WALK_OBJ)

lint: tree
	@scripts/lint.sh

# The unpatched base, same configuration, running the series' kselftest:
# the cases that fail there must be those tests/base-failures.txt lists.
base-selftest: tree
	@scripts/base-selftest.sh

clean:
	rm -rf $(BUILD)/obj $(BUILD)/run $(BUILD)/roundtrip*

distclean:
	rm -rf $(BUILD)
