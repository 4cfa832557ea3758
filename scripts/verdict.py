#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Turn one QEMU test run into one verdict, counted in test cases.

Reads the run directory written by scripts/run-qemu.sh:
  console.log    the kernel console (KUnit KTAP, splats, harness markers)
  kselftest.log  run_kselftest.sh output (TAP) from the second serial port
  status         "exit N (accel)" or "timeout N" for QEMU itself

What is counted: every KUnit case and every parameter of a parameterised
case; every case of a kselftest program that prints nested TAP (the
dma-buf kselftest's 266), and the program itself for those that do not
(udmabuf, dmabuf-heap, gup_test_basic.sh); and the harness's own checks.
The last line printed is exactly "N passed, N failed, N skipped".

Parsing.  The kernel's own KTAP parser (tools/testing/kunit/kunit_parser.py
of the tree under test, imported, not run) reads the KUnit output and the
top level of each kselftest collection; a parser error (a missing plan or
result, a crash of the parser) fails the run.  Two things the 6.1 tools do
not give, this script parses itself:
 - the nested TAP of a kselftest program: run_kselftest.sh prefixes it
   with "# ", which kunit_parser reads as comments, and the 6.1
   kselftest_harness prints a skipped case as "ok N # SKIP reason" without
   its name (taken from the "#  RUN  name" line before it);
 - skipped KUnit parameters: 6.1 prints one as a plain "ok N desc".  The
   kernel's per-suite "# Totals: pass:P fail:F skip:S total:T" line is held
   against what the parser counted, so a skip the log does not name fails
   the run; a suite names it by logging "# <case>: skipped: <reason>"
   (kunit_info()) just before, and this script marks that parameter SKIP.

Skips are expected, never tolerated: tests/expected-skips.txt names, per
architecture, every case that may skip and why.  Any other skip, a listed
skip that did not happen, a missing case, a plan that does not match, or a
required suite (suites.txt) that did not report, fails the run.

Splats: a test that provokes a warning on purpose writes
    expected-splat: begin [count=N ]<reason>
to the kernel log before it and
    expected-splat: end [count=N ]<reason>
after it (KUnit: KUNIT_EXPECT_SPLAT_BEGIN/END; user space: /dev/kmsg).
Warnings (WARNING: CPU:, dump_page()) between the two lines are reported as
declared and do not fail the run; with "count=N " leading the reason,
exactly N must appear (count=0: none).  Any other splat (BUG, Oops, panic,
KASAN, lockdep, kmemleak, stalls, bad page-table entries, lost console
messages), a warning outside a block, or a block never closed, fails it.
"""

import argparse
import fnmatch
import io
import os
import re
import sys

SPLAT = re.compile(
    r'(WARNING: |BUG: |Oops|general protection fault|kernel BUG at|'
    r'Kernel panic|UBSAN: |KASAN: |DEBUG_LOCKS_WARN_ON|'
    r'rcu: INFO: |INFO: rcu_|watchdog: BUG: soft lockup|'
    r'INFO: task .* blocked for more than|'
    r'kmemleak: [0-9]+ new suspected memory leak|unreferenced object 0x|'
    r'page dumped because|Unable to handle kernel|'
    r': bad (pgd|p4d|pud|pmd|pte)[ (]|'
    r'printk messages dropped|messages suppressed)')
# Only warnings can be declared; a crash, a memory error, a lockdep report or
# a leak fails the run even inside an expected-splat block.
DECLARABLE = re.compile(r'(WARNING: CPU: |page dumped because)')
DECL = re.compile(r'expected-splat: (begin|end) (.*)$')
MARK = re.compile(r'harness: (.*)$')
TIMESTAMP = re.compile(r'^\[\s*[0-9]+\.[0-9]+\]\s?')
RESULT = re.compile(r'^(not )?ok ([0-9]+)\b ?(.*)$')
DIRECTIVE = re.compile(r'\s*#\s*(SKIP|TODO|XFAIL)\b:?\s*(.*)$', re.I)

PASS, FAIL, SKIP = 'PASS', 'FAIL', 'SKIP'


class Verdict:
    """Every counted case, and the harness checks among them."""

    def __init__(self):
        self.cases = []         # [kind, id, status, detail]

    def add(self, kind, name, status, detail=''):
        self.cases.append([kind, name, status, detail])

    def check(self, name, ok, detail):
        print(f"[{'PASSED' if ok else 'FAILED'}] harness: {name} ({detail})")
        self.add('harness', name, PASS if ok else FAIL, detail)


def load_kunit_parser(tree):
    """Import the tree's kunit_parser with its printer writing to a buffer."""
    sys.path.insert(0, os.path.join(tree, 'tools/testing/kunit'))
    import kunit_parser     # pylint: disable=import-outside-toplevel
    import kunit_printer    # pylint: disable=import-outside-toplevel
    buf = io.StringIO()
    kunit_printer.stdout._output = buf      # pylint: disable=protected-access
    kunit_parser.stdout = kunit_printer.stdout
    return kunit_parser, buf


def ktap_parse(parser, buf, lines):
    """Parse KTAP lines; return (Test or None, errors, report text)."""
    buf.seek(0)
    buf.truncate()
    try:
        test = parser.parse_run_tests(lines)
    except Exception as e:          # pylint: disable=broad-except
        return None, [f'the parser crashed: {type(e).__name__}: {e}'], ''
    report = []
    errors = []
    for line in buf.getvalue().splitlines():
        line = re.sub(r'\x1b\[[0-9;]*m', '', line)
        line = re.sub(r'^\[[0-9:]+\] ', '', line)
        if re.match(r'(=+$|Testing complete)', line):
            continue
        report.append(line)
        if line.startswith('[ERROR]'):
            errors.append(line[len('[ERROR] '):])
    if test.counts.errors and not errors:
        errors.append(f'{test.counts.errors} parse errors')
    return test, errors, '\n'.join(report)


def status_of(parser, test):
    st = test.status
    if st == parser.TestStatus.SUCCESS:
        return PASS
    if st == parser.TestStatus.SKIPPED:
        return SKIP
    return FAIL


def leaves(parser, test, prefix=''):
    """Yield (id, status) for every leaf below test."""
    for sub in test.subtests:
        name = prefix + sub.name
        if sub.subtests:
            yield from leaves(parser, sub, name + '.')
        else:
            yield name, status_of(parser, sub)


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


def kunit_lines(console):
    """The KUnit part of the console without timestamps, skips named.

    A parameter the log names as skipped ("# <case>: skipped: <reason>"
    since the previous parameter's result) gets "# SKIP <reason>".
    Returns (lines, per-suite totals the kernel printed).
    """
    out, totals = [], {}
    suite = case = None
    pending = None
    for raw in console:
        line = TIMESTAMP.sub('', raw.rstrip('\r\n'))
        m = re.match(r'^    # Subtest: (\S+)$', line)
        if m:
            suite, case, pending = m.group(1), None, None
        m = re.match(r'^        # Subtest: (\S+)$', line)
        if m:
            case, pending = m.group(1), None
        m = re.match(r'^\s*# (\S+): skipped: (.*)$', line)
        if m and m.group(1) == case:
            pending = m.group(2)
        m = re.match(r'^        (ok [0-9]+ [^#]*?)\s*$', line)
        if m and case and pending is not None:
            line = f'        {m.group(1)} # SKIP {pending}'
            pending = None
        elif re.match(r'^        (not )?ok [0-9]+ ', line):
            pending = None
        m = re.match(r'^# Totals: pass:([0-9]+) fail:([0-9]+) '
                     r'skip:([0-9]+) total:([0-9]+)$', line)
        if m and suite:
            totals[suite] = tuple(int(x) for x in m.groups())
        out.append(line)
    return out, totals


def nested_tap(chunk):
    """Parse the "# "-prefixed nested TAP of one kselftest program.

    Returns None when the program printed no TAP of its own, else
    (plan or None, [(number, name, status, reason)], problems).
    """
    body = [line[2:] if line.startswith('# ') else line[1:]
            for line in chunk if line.startswith('#')]
    if not any(re.match(r'K?TAP version [0-9]+', line) for line in body):
        return None
    plan, cases, problems, run = None, [], [], None
    for line in body:
        m = re.match(r'^1\.\.([0-9]+)', line)
        if m and plan is None:
            plan = int(m.group(1))
            continue
        m = re.match(r'^#\s+RUN\s+(\S+?)(\s+\.\.\.)?$', line)
        if m:
            run = m.group(1)
            continue
        m = RESULT.match(line)
        if not m:
            continue
        ok, num, rest = not m.group(1), int(m.group(2)), m.group(3)
        d = DIRECTIVE.search(rest)
        name, reason = (rest[:d.start()] if d else rest).strip(), ''
        status = PASS if ok else FAIL
        if d and d.group(1).upper() == 'SKIP':
            reason = d.group(2)
            status = SKIP if ok else FAIL
        elif d:
            problems.append(f'case {num}: directive {d.group(1)} not counted')
            status = FAIL
        name = name.lstrip('- ') or run or f'case-{num}'
        if num != len(cases) + 1:
            problems.append(f'case number {num} where {len(cases) + 1} was'
                            ' expected')
        cases.append((num, name, status, reason))
        run = None
    if plan is None:
        problems.append('no plan')
    elif plan != len(cases):
        problems.append(f'plan 1..{plan}, {len(cases)} results')
    return plan, cases, problems


def kselftest_chunks(doc_lines):
    """Yield (top-level result line, the lines before it) of one document."""
    chunk = []
    for line in doc_lines:
        if RESULT.match(line):
            yield line, chunk
            chunk = []
        else:
            chunk.append(line)


def tap_documents(path):
    """Split a log into its top-level TAP documents (one per collection)."""
    docs, cur = [], None
    with open(path, encoding='utf-8', errors='replace') as f:
        for line in f:
            line = line.rstrip('\r\n')
            if re.match(r'K?TAP version [0-9]+\s*$', line):
                cur = []
                docs.append(cur)
            if cur is not None:
                cur.append(line)
    return docs


def kselftest_id(name):
    """'selftests: drivers/dma-buf: udmabuf' -> 'drivers/dma-buf:udmabuf'."""
    m = re.match(r'selftests: (.*): (.*)$', name)
    return f'{m.group(1)}:{m.group(2)}' if m else name


def read_suites(path, verdict):
    """suites.txt: "kunit SUITE" or "kselftest COLLECTION:TEST" per line."""
    expected, bad = [], []
    with open(path, encoding='utf-8') as f:
        for n, line in enumerate(f, 1):
            words = line.split('#', 1)[0].split()
            if not words:
                continue
            if len(words) == 2 and words[0] in ('kunit', 'kselftest'):
                expected.append((words[0], words[1]))
            else:
                bad.append(f'{os.path.basename(path)}:{n}: {line.strip()}')
    verdict.check('suites file well formed', not bad and expected,
                  '; '.join(bad) or f'{len(expected)} suites')
    return expected


def read_expected_skips(path, arch, verdict):
    """expected-skips.txt: "ARCH KIND PATTERN REASON..." per line."""
    rules, bad = [], []
    if not os.path.exists(path):
        verdict.check('expected-skip list present', False, path)
        return rules
    with open(path, encoding='utf-8') as f:
        for n, line in enumerate(f, 1):
            text = line.strip()
            if not text or text.startswith('#'):
                continue
            words = text.split(None, 3)
            if (len(words) < 4 or words[1] not in ('kunit', 'kselftest')):
                bad.append(f'{os.path.basename(path)}:{n}: {line.strip()}')
                continue
            if words[0] in (arch, 'all'):
                rules.append({'kind': words[1], 'pattern': words[2],
                              'reason': words[3], 'used': 0, 'line': n})
    verdict.check('expected-skip list well formed', not bad,
                  '; '.join(bad) or f'{len(rules)} rules for {arch}')
    return rules


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('rundir')
    ap.add_argument('--tree', required=True, help='kernel tree (kunit_parser)')
    ap.add_argument('--suites', required=True, help='expected suites file')
    ap.add_argument('--skips', required=True, help='expected skips file')
    ap.add_argument('--arch', default='x86_64')
    args = ap.parse_args()

    args.rundir = os.path.abspath(args.rundir)
    os.makedirs(args.rundir, exist_ok=True)
    # Every parse starts from nothing: what earlier verdicts wrote is gone.
    for f in os.listdir(args.rundir):
        if re.match(r'(kunit|kselftest)(\.[0-9]+)?\.(log|tap|json)$', f) and \
                f != 'kselftest.log':
            os.remove(os.path.join(args.rundir, f))
    verdict = Verdict()
    print(f'== harness ({args.arch}) ==')
    expected = read_suites(args.suites, verdict)
    rules = read_expected_skips(args.skips, args.arch, verdict)
    parser, buf = load_kunit_parser(args.tree)

    console_path = os.path.join(args.rundir, 'console.log')
    try:
        with open(console_path, encoding='utf-8', errors='replace') as f:
            console = f.readlines()
    except OSError:
        console = []
    seen = set()

    # KUnit: the console up to the moment /init starts.
    init_at = next((i for i, l in enumerate(console)
                    if 'harness: init started' in l), len(console))
    lines, totals = kunit_lines(console[:init_at])
    with open(os.path.join(args.rundir, 'kunit.log'), 'w',
              encoding='utf-8') as f:
        f.write('\n'.join(lines) + '\n')
    if any(re.match(r'\s*K?TAP version', l) for l in lines):
        test, errors, report = ktap_parse(parser, buf, lines)
        print('== KUnit (kunit_parser) ==')
        print(report.rstrip())
        verdict.check('KUnit output parsed without errors', not errors,
                      '; '.join(errors) or 'no errors')
        for suite in (test.subtests if test else []):
            seen.add(('kunit', suite.name))
            got = [0, 0, 0, 0]
            if suite.subtests:
                for name, st in leaves(parser, suite, suite.name + '.'):
                    verdict.add('kunit', name, st)
                    got[{PASS: 0, FAIL: 1, SKIP: 2}[st]] += 1
                    got[3] += 1
            else:
                st = status_of(parser, suite)
                verdict.add('kunit', suite.name, st, 'suite without cases')
            want = totals.get(suite.name)
            if want and tuple(got) != want:
                verdict.check(
                    f'KUnit {suite.name}: the kernel\'s count is the parsed one',
                    False, 'kernel pass:%d fail:%d skip:%d total:%d, parsed '
                    'pass:%d fail:%d skip:%d total:%d (a parameter skipped '
                    'without naming itself?)' % (want + tuple(got)))

    # kselftest: the second serial port, one TAP document per collection.
    ks_log = os.path.join(args.rundir, 'kselftest.log')
    if os.path.exists(ks_log):
        print('== kselftest ==')
        for i, doc in enumerate(tap_documents(ks_log)):
            with open(os.path.join(args.rundir, f'kselftest.{i}.tap'), 'w',
                      encoding='utf-8') as f:
                f.write('\n'.join(doc) + '\n')
            test, errors, report = ktap_parse(parser, buf, doc)
            print(report.rstrip())
            verdict.check(f'kselftest document {i} parsed without errors',
                          not errors, '; '.join(errors) or 'no errors')
            if test is None:
                continue
            tops = {t.name: status_of(parser, t) for t in test.subtests}
            for line, chunk in kselftest_chunks(doc):
                m = RESULT.match(line)
                d = DIRECTIVE.search(m.group(3))
                # "not ok 1 selftests: c: t # exit=1": the name ends at " #".
                name = re.sub(r'\s+#.*$', '', m.group(3)).strip()
                if name not in tops:
                    verdict.check('kselftest result line names a test',
                                  False, line)
                    continue
                prog = kselftest_id(name)
                seen.add(('kselftest', prog))
                nested = nested_tap(chunk)
                if nested is None:
                    verdict.add('kselftest', prog, tops[name],
                                d.group(2) if d else '')
                    continue
                plan, cases, problems = nested
                for num, cname, st, reason in cases:
                    verdict.add('kselftest', f'{prog}:{cname}', st, reason)
                print(f'{prog}: {len(cases)} nested cases, plan {plan}')
                verdict.check(f'{prog}: every planned case reported',
                              not problems,
                              '; '.join(problems) or f'{len(cases)} cases')
                if tops[name] != PASS and \
                        not any(c[2] == FAIL for c in cases):
                    verdict.add('kselftest', f'{prog}: exit status',
                                tops[name], d.group(2) if d else '')

    # Skips: only those the list names.
    unexpected = []
    for case in verdict.cases:
        if case[2] != SKIP:
            continue
        rule = next((r for r in rules if r['kind'] == case[0] and
                     fnmatch.fnmatchcase(case[1], r['pattern'])), None)
        if rule:
            rule['used'] += 1
        else:
            case[2] = FAIL
            unexpected.append(f'{case[0]} {case[1]}'
                              + (f' ({case[3]})' if case[3] else ''))
    for u in unexpected:
        print(f'UNEXPECTED SKIP: {u}')
    verdict.check('every skip is on the expected-skip list', not unexpected,
                  f'{len(unexpected)} not listed')
    stale = [f"line {r['line']}: {r['kind']} {r['pattern']}"
             for r in rules if not r['used']]
    verdict.check('every listed skip happened', not stale,
                  '; '.join(stale) or f'{len(rules)} rules used')

    status = 'missing'
    try:
        with open(os.path.join(args.rundir, 'status'), encoding='utf-8') as f:
            status = f.read().strip()
    except OSError:
        pass
    undeclared, declared, problems, markers = scan_console(console)
    reached = [m for _, m in markers]
    verdict.check('QEMU exited by itself with status 0',
                  re.match(r'exit 0\b', status) is not None, status)
    verdict.check('guest reached the end of /init', 'done' in reached,
                  'last marker: ' + (reached[-1] if reached else 'none'))

    missing = [f'{k} {n}' for k, n in expected if (k, n) not in seen]
    verdict.check('every expected suite reported', not missing,
                  ', '.join(missing) or f'{len(expected)} expected')

    for n, reason, line in declared:
        print(f'declared splat ({reason}), console.log:{n}: {line}')
    for n, line in undeclared:
        print(f'UNDECLARED SPLAT console.log:{n}: {line}')
    verdict.check('no undeclared kernel splat', not undeclared,
                  f'{len(undeclared)} undeclared, {len(declared)} declared')
    verdict.check('every expected-splat block closed and counted',
                  not problems, '; '.join(problems) or 'all good')

    counts = {PASS: 0, FAIL: 0, SKIP: 0}
    by_kind = {}
    for kind, name, st, _ in verdict.cases:
        counts[st] += 1
        by_kind.setdefault(kind, {PASS: 0, FAIL: 0, SKIP: 0})[st] += 1
    failed = [c for c in verdict.cases if c[2] == FAIL]
    if failed:
        print('== failed ==')
        for kind, name, _, detail in failed:
            print(f'{kind}: {name}' + (f': {detail}' if detail else ''))
    for kind, c in sorted(by_kind.items()):
        print(f'{kind}: {c[PASS]} passed, {c[FAIL]} failed, '
              f'{c[SKIP]} skipped')
    print(f'logs: {args.rundir}')
    print(f'{counts[PASS]} passed, {counts[FAIL]} failed, '
          f'{counts[SKIP]} skipped')
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
