#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""verdict-total.py LABEL=SUMMARY...: one line per run and a total.

Each SUMMARY is the summary.txt a make verdict wrote (its last line is
"N passed, N failed, N skipped", in cases); LABEL names the run, e.g.
"6.12 x86_64" for a line and architecture.  Prints that line per run, then
the sum; exits 1 if a summary is missing or malformed or any case failed.
"""
import re
import sys

LAST = re.compile(r'^(\d+) passed, (\d+) failed, (\d+) skipped$')


def main():
    total = [0, 0, 0]
    ok = True
    for arg in sys.argv[1:]:
        label, _, path = arg.partition('=')
        try:
            with open(path, encoding='utf-8') as f:
                lines = f.read().splitlines()
        except OSError as e:
            print(f'{label}: no verdict ({e})')
            ok = False
            continue
        m = LAST.match(lines[-1]) if lines else None
        if not m:
            print(f'{label}: no final line in {path}')
            ok = False
            continue
        counts = [int(x) for x in m.groups()]
        total = [a + b for a, b in zip(total, counts)]
        ok = ok and counts[1] == 0
        print(f'{label}: {counts[0]} passed, {counts[1]} failed, {counts[2]} skipped')
    print(f'total: {total[0]} passed, {total[1]} failed, {total[2]} skipped')
    return 0 if ok else 1


if __name__ == '__main__':
    sys.exit(main())
