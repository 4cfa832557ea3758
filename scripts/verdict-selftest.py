#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Prove that scripts/verdict.py can fail: make verdict-selftest.

Writes a small synthetic run directory in the formats a real run has (6.1
KUnit KTAP with a parameterised case on the console, run_kselftest.sh TAP
with a program that prints nested kselftest_harness TAP and one that does
not, harness markers, a declared warning, QEMU's status), checks that the
verdict passes it with the exact final line, then makes one hole at a time
(each a way an earlier verdict said "0 failed" over a broken run) and
checks that the verdict fails every one of them with a message naming the
cause.  Seconds, no kernel: only the tree's tools/testing/kunit.

Run directories in build/verdict-selftest/<case>/, with the verdict's
output in verdict.out.
"""

import argparse
import os
import re
import shutil
import subprocess
import sys

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
VERDICT = os.path.join(TOP, 'scripts', 'verdict.py')

KUNIT_PARAM_OK = '''\
        ok 2 kind_b'''


def kunit_console():
    """Boot, two KUnit suites (one parameterised case), /init markers."""
    return '''\
Linux version 6.1.192+ (verdict-selftest)
KTAP version 1
1..2
    KTAP version 1
    # Subtest: alpha
    1..2
    ok 1 alpha_plain
        KTAP version 1
        # Subtest: alpha_param
        ok 1 kind_a
        ok 2 kind_b
    # alpha_param: pass:2 fail:0 skip:0 total:2
    ok 2 alpha_param
# alpha: pass:2 fail:0 skip:0 total:2
# Totals: pass:3 fail:0 skip:0 total:3
ok 1 alpha
    KTAP version 1
    # Subtest: beta
    1..1
    ok 1 beta_only
ok 2 beta
harness: init started
harness: kselftest begin
expected-splat: begin count=1 a warning on purpose
WARNING: CPU: 0 PID: 1 at mm/memory.c:2000 vm_mixedmap_prepare+0x0/0x10
expected-splat: end count=1 a warning on purpose
harness: kselftest end
harness: done
'''


def kselftest_log():
    """Two collections: a plain program and one with nested TAP."""
    return '''\
TAP version 13
1..1
# selftests: coll: plain
# plain: all fine
ok 1 selftests: coll: plain
TAP version 13
1..1
# selftests: dma-buf: nest
# TAP version 13
# 1..3
# # Starting 3 tests from 2 test cases.
# #  RUN           f.src.one ...
# #            OK  f.src.one
# ok 1 f.src.one
# #  RUN           f.src.two ...
# #      SKIP      f.src.two: no such device
# #            OK  f.src.two
# ok 2 # SKIP f.src.two: no such device
# #  RUN           f.src.three ...
# #            OK  f.src.three
# ok 3 f.src.three
# # PASSED: 3 / 3 tests passed.
# # Totals: pass:2 fail:0 xfail:0 xpass:0 skip:1 error:0
ok 1 selftests: dma-buf: nest
'''


SUITES = '''\
# what the synthetic run must report
kunit alpha
kunit beta
kselftest coll:plain
kselftest dma-buf:nest
'''

SKIPS = '''\
# ARCH KIND PATTERN REASON
x86_64 kselftest dma-buf:nest:f.src.two the synthetic source has no device
'''


def stamp(text):
    """Give console lines printk timestamps, as the serial console has."""
    return ''.join(f'[    1.{i:06d}] {line}\n'
                   for i, line in enumerate(text.splitlines()))


def good():
    return {'console': kunit_console(), 'kselftest': kselftest_log(),
            'status': 'exit 0 (tcg)\n', 'suites': SUITES, 'skips': SKIPS}


def sub(run, key, old, new):
    assert old in run[key], (key, old)
    run[key] = run[key].replace(old, new, 1)
    return run


def crashing_tree(tree, path):
    """A copy of the tree's kunit tools whose parser raises."""
    kdir = os.path.join(path, 'tools/testing/kunit')
    os.makedirs(kdir, exist_ok=True)
    src = os.path.join(tree, 'tools/testing/kunit')
    for f in os.listdir(src):
        if f.endswith('.py'):
            shutil.copy(os.path.join(src, f), kdir)
    with open(os.path.join(kdir, 'kunit_parser.py'), 'a',
              encoding='utf-8') as f:
        f.write('\n\ndef parse_run_tests(kernel_output):\n'
                '\traise RuntimeError("verdict-selftest: parser crash")\n')
    return path


# (name, what it breaks, how, the message the verdict must print)
HOLES = [
    ('source-skipped', 'a source whose device is missing: its cases skip',
     lambda r: sub(sub(r, 'kselftest', '# ok 1 f.src.one',
                       '# ok 1 # SKIP f.src.one: no device'),
                   'kselftest', '# ok 3 f.src.three',
                   '# ok 3 # SKIP f.src.three: no device'),
     'UNEXPECTED SKIP: kselftest dma-buf:nest:f.src.one'),
    ('selection-empty', 'a case selection that selects nothing',
     lambda r: sub(r, 'kselftest', '# ok 3 f.src.three',
                   '# ok 3 # SKIP f.src.three: not selected'),
     'UNEXPECTED SKIP: kselftest dma-buf:nest:f.src.three'),
    ('program-exit-4', 'a program without nested TAP exits 4 (skip)',
     lambda r: sub(r, 'kselftest', 'ok 1 selftests: coll: plain',
                   'ok 1 selftests: coll: plain # SKIP'),
     'UNEXPECTED SKIP: kselftest coll:plain'),
    ('kunit-param-skip-unnamed',
     'a KUnit parameter skipped: 6.1 prints a plain "ok"',
     lambda r: sub(sub(r, 'console',
                       '# alpha_param: pass:2 fail:0 skip:0 total:2',
                       '# alpha_param: pass:1 fail:0 skip:1 total:2'),
                   'console', '# Totals: pass:3 fail:0 skip:0 total:3',
                   '# Totals: pass:2 fail:0 skip:1 total:3'),
     "KUnit alpha: the kernel's count is the parsed one"),
    ('kunit-param-skip-named', 'a KUnit parameter that names its skip',
     lambda r: sub(sub(r, 'console', KUNIT_PARAM_OK,
                       '    # alpha_param: skipped: no 1 GiB\n'
                       + KUNIT_PARAM_OK),
                   'console', '# Totals: pass:3 fail:0 skip:0 total:3',
                   '# Totals: pass:2 fail:0 skip:1 total:3'),
     'UNEXPECTED SKIP: kunit alpha.alpha_param.kind_b'),
    ('kunit-suite-skipped', 'a required KUnit suite that skipped',
     lambda r: sub(sub(r, 'console', '    ok 1 beta_only',
                       '    ok 1 beta_only # SKIP not here'),
                   'console', 'ok 2 beta', 'ok 2 beta # SKIP'),
     'UNEXPECTED SKIP: kunit beta.beta_only'),
    ('kunit-crash', 'the kernel died in the middle of a KUnit suite',
     lambda r: sub(r, 'console',
                   kunit_console()[kunit_console().index('        ok 2'):],
                   'Kernel panic - not syncing: Fatal exception\n'),
     'KUnit output parsed without errors'),
    ('parser-crash', 'the KTAP parser crashes (stale results left over)',
     lambda r: dict(r, crash=True),
     'the parser crashed'),
    ('nested-case-missing', 'a nested plan with a result missing',
     lambda r: sub(r, 'kselftest', '# ok 3 f.src.three\n', ''),
     'plan 1..3, 2 results'),
    ('nested-fail', 'a nested case fails',
     lambda r: sub(r, 'kselftest', '# ok 3 f.src.three',
                   '# not ok 3 f.src.three'),
     'kselftest: dma-buf:nest:f.src.three'),
    ('exit-status', 'a program fails though its nested cases pass',
     lambda r: sub(r, 'kselftest', 'ok 1 selftests: dma-buf: nest',
                   'not ok 1 selftests: dma-buf: nest # exit=1'),
     'dma-buf:nest: exit status'),
    ('top-level-missing', 'a collection whose result line is missing',
     lambda r: sub(r, 'kselftest', 'ok 1 selftests: coll: plain\n', ''),
     'kselftest document 0 parsed without errors'),
    ('count-0-warned', 'a count=0 block that saw a warning',
     lambda r: sub(sub(r, 'console', 'begin count=1 a', 'begin count=0 a'),
                   'console', 'end count=1 a', 'end count=0 a'),
     'saw 1 splat lines'),
    ('block-open', 'an expected-splat block never closed',
     lambda r: sub(r, 'console', 'expected-splat: end count=1 a warning'
                   ' on purpose\n', ''),
     'never closed'),
    ('undeclared-warning', 'a warning outside any block',
     lambda r: sub(r, 'console', 'harness: kselftest end',
                   'WARNING: CPU: 1 PID: 7 at mm/gup.c:1 x\n'
                   'harness: kselftest end'),
     'UNDECLARED SPLAT'),
    ('bad-pmd', 'a "bad pmd" report',
     lambda r: sub(r, 'console', 'harness: kselftest end',
                   'mm/pgtable-generic.c:39: bad pmd 00000000c0ffee00'
                   '(80000001000000e7)\nharness: kselftest end'),
     'bad pmd'),
    ('printk-dropped', 'console messages lost',
     lambda r: sub(r, 'console', 'harness: kselftest end',
                   '** 12 printk messages dropped **\n'
                   'harness: kselftest end'),
     'printk messages dropped'),
    ('qemu-exit-1', 'QEMU exited with status 1',
     lambda r: dict(r, status='exit 1 (tcg)\n'),
     'QEMU exited by itself with status 0'),
    ('qemu-timeout', 'QEMU was killed by the timeout',
     lambda r: dict(r, status='timeout 1500s (tcg)\n'),
     'QEMU exited by itself with status 0'),
    ('status-missing', 'no QEMU status at all',
     lambda r: dict(r, status=None),
     'QEMU exited by itself with status 0'),
    ('init-unfinished', 'the guest never reached the end of /init',
     lambda r: sub(r, 'console', 'harness: done\n', ''),
     'guest reached the end of /init'),
    ('suite-missing', 'a required suite that did not report',
     lambda r: dict(r, suites=SUITES + 'kunit gamma\n'),
     'every expected suite reported (kunit gamma)'),
    ('suites-malformed', 'a malformed suites.txt line',
     lambda r: dict(r, suites=SUITES + 'kunit\n'),
     'suites file well formed'),
    ('skip-list-stale', 'a listed skip that did not happen',
     lambda r: dict(r, skips=SKIPS + 'x86_64 kunit alpha.* stale rule\n'),
     'every listed skip happened'),
    ('skip-list-malformed', 'a malformed expected-skip line',
     lambda r: dict(r, skips=SKIPS + 'x86_64 kunit\n'),
     'expected-skip list well formed'),
    ('skip-other-arch', 'a skip allowed only on another architecture',
     lambda r: dict(r, skips=SKIPS.replace('x86_64', 'arm64')),
     'UNEXPECTED SKIP: kselftest dma-buf:nest:f.src.two'),
]


HOLES_BY_NAME = {h[0]: h[2] for h in HOLES}


def write_run(d, run):
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(d)
    with open(os.path.join(d, 'console.log'), 'w', encoding='utf-8') as f:
        f.write(stamp(run['console']))
    with open(os.path.join(d, 'kselftest.log'), 'w', encoding='utf-8') as f:
        f.write(run['kselftest'])
    if run.get('status') is not None:
        with open(os.path.join(d, 'status'), 'w', encoding='utf-8') as f:
            f.write(run['status'])
    for key in ('suites', 'skips'):
        with open(os.path.join(d, key + '.txt'), 'w', encoding='utf-8') as f:
            f.write(run[key])
    # What an earlier, good verdict left behind: never to be read again.
    with open(os.path.join(d, 'kunit.json'), 'w', encoding='utf-8') as f:
        f.write('{"name": "stale", "sub_groups": [], "test_cases": '
                '[{"name": "stale", "status": "PASS"}]}\n')


def verdict(d, tree):
    proc = subprocess.run(
        [sys.executable, VERDICT, d, '--tree', tree,
         '--suites', os.path.join(d, 'suites.txt'),
         '--skips', os.path.join(d, 'skips.txt'), '--arch', 'x86_64'],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        check=False)
    with open(os.path.join(d, 'verdict.out'), 'w', encoding='utf-8') as f:
        f.write(proc.stdout)
    return proc.returncode, proc.stdout


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--tree', required=True, help='kernel tree (kunit tools)')
    ap.add_argument('--out', default=os.path.join(TOP, 'build',
                                                  'verdict-selftest'))
    args = ap.parse_args()
    os.makedirs(args.out, exist_ok=True)
    failures = 0

    def report(ok, name, detail):
        nonlocal failures
        print(f"[{'PASSED' if ok else 'FAILED'}] verdict-selftest: "
              f'{name} ({detail})')
        failures += not ok

    d = os.path.join(args.out, 'good')
    write_run(d, good())
    rc, out = verdict(d, args.tree)
    last = out.rstrip().splitlines()[-1] if out.strip() else ''
    # 3 KUnit leaves + 1 plain program + 3 nested cases (1 skip) + checks.
    checks = len(re.findall(r'^\[PASSED\] harness:', out, re.M))
    want = f'{7 + checks} passed, 0 failed, 1 skipped'
    report(rc == 0 and last == want, 'a good run passes',
           f'exit {rc}, "{last}", want "{want}"')
    report(not os.path.exists(os.path.join(d, 'kunit.json')),
           'stale outputs are removed before the parse', 'kunit.json')

    # A KUnit parameter that names its skip, on the list: allowed.
    d = os.path.join(args.out, 'good-param-skip')
    run = HOLES_BY_NAME['kunit-param-skip-named'](good())
    run['skips'] += 'x86_64 kunit alpha.alpha_param.kind_b needs 1 GiB\n'
    write_run(d, run)
    rc, out = verdict(d, args.tree)
    last = out.rstrip().splitlines()[-1] if out.strip() else ''
    checks = len(re.findall(r'^\[PASSED\] harness:', out, re.M))
    want = f'{6 + checks} passed, 0 failed, 2 skipped'
    report(rc == 0 and last == want,
           'a listed KUnit parameter skip that names itself passes',
           f'exit {rc}, "{last}", want "{want}"')

    for name, what, make, message in HOLES:
        d = os.path.join(args.out, name)
        run = make(good())
        tree = args.tree
        if run.pop('crash', False):
            tree = crashing_tree(args.tree, os.path.join(d + '.tree'))
        write_run(d, run)
        rc, out = verdict(d, tree)
        last = out.rstrip().splitlines()[-1] if out.strip() else ''
        named = message in out
        report(rc != 0 and named and re.match(
            r'[0-9]+ passed, [1-9][0-9]* failed, [0-9]+ skipped$', last),
            f'{name}: {what}',
            f'exit {rc}, "{last}", '
            + ('names the cause' if named else f'"{message}" not printed'))
    total = len(HOLES) + 3
    print(f'verdict-selftest: {total - failures} of {total} as expected;'
          f' runs in {args.out}')
    return 1 if failures else 0


if __name__ == '__main__':
    sys.exit(main())
