#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Turn one QEMU test run into one verdict.

Reads the run directory written by scripts/run-qemu.sh:
  console.log    the kernel console (KUnit KTAP, splats, harness markers)
  kselftest.log  run_kselftest.sh output (TAP) from the second serial port
  status         "exit N" or "timeout N" for QEMU itself

KTAP from both is parsed by the kernel's own parser
(tools/testing/kunit/kunit.py parse --json); this script only combines the
results, checks that every expected suite reported, and scans the console
for kernel splats.

Declared splats: a test that provokes a warning on purpose writes
    expected-splat: begin <reason>
to the kernel log before it and
    expected-splat: end <reason>
after it (KUnit: KUNIT_EXPECT_SPLAT_BEGIN/END; user space: /dev/kmsg).
Warnings (WARNING: CPU:, dump_page()) between the two lines are reported as
declared and do not fail the run; with "count=N " leading the reason, exactly
N must appear.  Any other splat (BUG, Oops, panic, KASAN, lockdep, kmemleak,
stalls), a warning outside a block, or a block never closed, fails it.

The last line printed is exactly "N passed, N failed" (", N skipped" when
some were skipped).  The harness's own checks (splats, missing suites,
timeout, clean shutdown) are counted as tests too, so a failed run never
ends in "0 failed".
"""

import argparse
import json
import os
import re
import subprocess
import sys

SPLAT = re.compile(
    r'(WARNING: |BUG: |Oops|general protection fault|kernel BUG at|'
    r'Kernel panic|UBSAN: |KASAN: |DEBUG_LOCKS_WARN_ON|'
    r'rcu: INFO: |INFO: rcu_|watchdog: BUG: soft lockup|'
    r'INFO: task .* blocked for more than|'
    r'kmemleak: [0-9]+ new suspected memory leak|unreferenced object 0x|'
    r'page dumped because|Unable to handle kernel)')
# Only warnings can be declared; a crash, a memory error, a lockdep report or
# a leak fails the run even inside an expected-splat block.
DECLARABLE = re.compile(r'(WARNING: CPU: |page dumped because)')
DECL = re.compile(r'expected-splat: (begin|end) (.*)$')
MARK = re.compile(r'harness: (.*)$')
TIMESTAMP = re.compile(r'^\[\s*[0-9]+\.[0-9]+\]\s?')


def parse_ktap(kunit_py, log, json_out):
    """Run kunit.py parse on log; return (parsed JSON or None, its report).

    The report is kunit.py's own, without its timestamps and bookkeeping
    lines, so that several documents read as one list.
    """
    proc = subprocess.run(
        [sys.executable, kunit_py, 'parse', '--json=' + json_out, log],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        check=False)
    report = []
    for line in proc.stdout.splitlines():
        line = re.sub(r'^\[[0-9:]+\] ', '', line)
        if re.match(r'(=+$|Testing complete|Test results stored)', line):
            continue
        report.append(line)
    try:
        with open(json_out, encoding='utf-8') as f:
            return json.load(f), '\n'.join(report)
    except (OSError, ValueError):
        return None, '\n'.join(report)


def leaves(group, prefix=''):
    """Yield (name, status) for every test case in a kunit_json group."""
    for case in group.get('test_cases', []):
        yield prefix + case['name'], case['status']
    for sub in group.get('sub_groups', []):
        yield from leaves(sub, prefix + sub['name'] + '.')


def kselftest_id(name):
    """'selftests: drivers/dma-buf: udmabuf' -> 'drivers/dma-buf:udmabuf'."""
    m = re.match(r'selftests: (.*): (.*)$', name)
    return f'{m.group(1)}:{m.group(2)}' if m else name


def scan_console(lines):
    """Return (undeclared, declared, problems with blocks, markers).

    undeclared: [(line number, text)]; declared: [(line number, reason,
    text)]; problems: [text] for blocks never closed or whose count=N did
    not match; markers: [(line number, harness marker)].
    """
    undeclared, declared, problems, markers = [], [], [], []
    blocks = []             # open blocks: [reason, splats seen]
    for n, raw in enumerate(lines, 1):
        line = TIMESTAMP.sub('', raw.rstrip('\r\n'))
        m = DECL.search(line)
        if m:
            kind, reason = m.group(1), m.group(2).strip()
            if kind == 'begin':
                blocks.append([reason, 0])
                continue
            match = [b for b in blocks if b[0] == reason]
            if not match:
                undeclared.append((n, 'expected-splat: end without begin: '
                                   + reason))
                continue
            blocks.remove(match[-1])
            want = re.match(r'count=([0-9]+) ', reason)
            if want and int(want.group(1)) != match[-1][1]:
                problems.append(f'"{reason}" saw {match[-1][1]} splat lines'
                                f' (console.log:{n})')
            continue
        m = MARK.search(line)
        if m:
            markers.append((n, m.group(1)))
            continue
        if SPLAT.search(line):
            if blocks and DECLARABLE.search(line):
                blocks[-1][1] += 1
                declared.append((n, blocks[-1][0], line))
            else:
                undeclared.append((n, line))
    problems += [f'"{b[0]}" never closed' for b in blocks]
    return undeclared, declared, problems, markers


def tap_documents(path, rundir, stem):
    """Split a log into its top-level TAP documents, one file each.

    run_kselftest.sh prints one TAP document per collection; kunit.py parse
    reads one document per input.
    """
    docs, cur = [], None
    with open(path, encoding='utf-8', errors='replace') as f:
        for line in f:
            if re.match(r'K?TAP version [0-9]+\s*$', line):
                cur = []
                docs.append(cur)
            if cur is not None:
                cur.append(line)
    paths = []
    for i, doc in enumerate(docs):
        p = os.path.join(rundir, f'{stem}.{i}.tap')
        with open(p, 'w', encoding='utf-8') as f:
            f.writelines(doc)
        paths.append(p)
    return paths


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('rundir')
    ap.add_argument('--tree', required=True, help='kernel tree (kunit.py)')
    ap.add_argument('--suites', required=True, help='expected suites file')
    args = ap.parse_args()

    args.rundir = os.path.abspath(args.rundir)
    os.makedirs(args.rundir, exist_ok=True)
    kunit_py = os.path.join(args.tree, 'tools/testing/kunit/kunit.py')
    console_path = os.path.join(args.rundir, 'console.log')
    try:
        with open(console_path, encoding='utf-8', errors='replace') as f:
            console = f.readlines()
    except OSError:
        console = []

    expected = []
    with open(args.suites, encoding='utf-8') as f:
        for line in f:
            line = line.split('#', 1)[0].split()
            if len(line) == 2:
                expected.append((line[0], line[1]))

    results = []            # (kind, name, status)
    seen = set()

    # KUnit: the console up to the moment /init starts.
    init_at = next((i for i, l in enumerate(console)
                    if 'harness: init started' in l), len(console))
    kunit_log = os.path.join(args.rundir, 'kunit.log')
    with open(kunit_log, 'w', encoding='utf-8') as f:
        f.writelines(console[:init_at])
    # A kernel without built-in suites prints an empty plan ("1..0").
    if any(re.search(r'\] 1\.\.[1-9]', l) for l in console[:init_at]):
        data, out = parse_ktap(kunit_py, kunit_log,
                               os.path.join(args.rundir, 'kunit.json'))
        print('== KUnit (kunit.py parse) ==')
        print(out.rstrip())
        if data:
            for sub in data.get('sub_groups', []):
                seen.add(('kunit', sub['name']))
            for name, status in leaves(data):
                results.append(('kunit', name, status))

    # kselftest: the second serial port, one TAP document per collection.
    ks_log = os.path.join(args.rundir, 'kselftest.log')
    if os.path.exists(ks_log):
        print('== kselftest (kunit.py parse) ==')
        for doc in tap_documents(ks_log, args.rundir, 'kselftest'):
            data, out = parse_ktap(kunit_py, doc, doc[:-4] + '.json')
            if out.strip():
                print(out.rstrip())
            for name, status in leaves(data or {}):
                name = kselftest_id(name)
                seen.add(('kselftest', name))
                results.append(('kselftest', name, status))

    print('== harness ==')
    checks = []             # (name, ok, detail)

    status = 'missing'
    try:
        with open(os.path.join(args.rundir, 'status'), encoding='utf-8') as f:
            status = f.read().strip()
    except OSError:
        pass
    undeclared, declared, problems, markers = scan_console(console)
    reached = [m for _, m in markers]
    checks.append(('run finished in time', not status.startswith('timeout'),
                   status))
    checks.append(('guest reached the end of /init', 'done' in reached,
                   'last marker: ' + (reached[-1] if reached else 'none')))

    missing = [f'{k} {n}' for k, n in expected if (k, n) not in seen]
    checks.append(('every expected suite reported', not missing,
                   ', '.join(missing) or f'{len(expected)} expected'))

    for n, reason, line in declared:
        print(f'declared splat ({reason}), console.log:{n}: {line}')
    for n, line in undeclared:
        print(f'UNDECLARED SPLAT console.log:{n}: {line}')
    checks.append(('no undeclared kernel splat', not undeclared,
                   f'{len(undeclared)} undeclared, {len(declared)} declared'))
    checks.append(('every expected-splat block closed and counted',
                   not problems, '; '.join(problems) or 'all good'))

    for name, ok, detail in checks:
        print(f"[{'PASSED' if ok else 'FAILED'}] harness: {name} ({detail})")
        results.append(('harness', name, 'PASS' if ok else 'FAIL'))

    failed = [r for r in results if r[2] not in ('PASS', 'SKIP')]
    skipped = [r for r in results if r[2] == 'SKIP']
    passed = [r for r in results if r[2] == 'PASS']
    if failed:
        print('== failed ==')
        for kind, name, st in failed:
            print(f'{kind}: {name}: {st}')
    print(f'logs: {args.rundir}')
    last = f'{len(passed)} passed, {len(failed)} failed'
    if skipped:
        last += f', {len(skipped)} skipped'
    print(last)
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
