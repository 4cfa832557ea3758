#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""The dma-buf kselftest's results on the unpatched base, against a list.

    base-failures.py unfinished TEST BOOTDIR SOURCE [CRASHED...]
        print the case of SOURCE that killed the kernel in this boot: the
        first case, in TEST's declaration order, that has no result and is
        not one of the CRASHED cases the boot left out (a panic loses the
        harness's buffered output, so the case's own RUN line and the
        skips of the left-out cases may be missing too); nothing if the
        run ended

    base-failures.py compare TEST RUNDIR LIST
        merge the results of every boot under RUNDIR (one directory per
        boot, named SOURCE.N), write RUNDIR/observed.txt in LIST's format
        and RUNDIR/results.txt (every case with its result), and check that
        the cases that do not pass on the base are exactly those LIST names

TEST is the kselftest's source, dmabuf-mmap.c; the harness runs the cases
of each variant (buffer source) in the order they are declared.

LIST has one case per line, "KIND dmabuf_mmap.SOURCE.CASE":
    fail       the case fails on the base
    crash      the kernel dies in the case (the case's source then
               continues in a new boot without it)
    unreached  never run: every boot of the source died before the case,
               and the boots allowed per source ran out
    flaky      fails on some boots and passes on others; either is accepted
Lines starting with "#" are comments.
"""
import re
import sys
from pathlib import Path

FIXTURE = 'dmabuf_mmap'
FILTER_SKIP = 'not selected by DMABUF_MMAP_CASES'
CASE = re.compile(r'^TEST_F(?:_TIMEOUT)?\(' + FIXTURE + r',\s*(\w+)')
# "ok 3 dmabuf_mmap.S.C", "not ok 3 dmabuf_mmap.S.C" and, as the 6.1
# harness reports a skip, "ok 3 # SKIP dmabuf_mmap.S.C: reason"
RESULT = re.compile(r'(not )?ok \d+ (# SKIP )?(\S+?):?(?: (.*))?$')
# later harnesses (6.12) report a skip as "ok 3 dmabuf_mmap.S.C # SKIP reason"
LATE_SKIP = re.compile(r'^# SKIP ?(.*)$')
# "#  RUN           dmabuf_mmap.S.C ..." starts a case's output
RUN = re.compile(r'#\s+RUN\s+' + FIXTURE + r'\.')
KINDS = {'FAIL': 'fail', 'CRASH': 'crash', 'UNREACHED': 'unreached'}


def declared_cases(test):
    cases = [m.group(1) for line in Path(test).read_text().splitlines()
             if (m := CASE.match(line))]
    if not cases:
        raise SystemExit(f'base-failures: no TEST_F({FIXTURE}, ...) in {test}')
    return cases


def run_ended(bootdir):
    console = (bootdir / 'console.log').read_text(errors='replace')
    if 'harness: kselftest begin' not in console:
        raise SystemExit(f'base-failures: {bootdir}: the kselftest never '
                         'started; see its console.log')
    return 'Kernel panic' not in console and 'harness: kselftest end' in console


def parse_boot(bootdir, logs=None):
    """{source.case: (status, reason)} of one boot; with LOGS, a dict, also
    {source.case: [the case's output lines, its RUN line to its result]}"""
    results = {}
    log = bootdir / 'kselftest.log'
    lines = log.read_text(errors='replace').splitlines() if log.exists() else []
    output = []
    for line in lines:
        # run_kselftest.sh prefixes the test's own TAP with "# "
        if not line.startswith('# '):
            continue
        if RUN.match(line[2:]):
            output = []
        output.append(line[2:])
        m = RESULT.match(line[2:])
        if not m or not m.group(3).startswith(FIXTURE + '.'):
            continue
        name = m.group(3)[len(FIXTURE) + 1:]
        late = LATE_SKIP.match(m.group(4) or '') if not m.group(1) else None
        if m.group(2) or late:
            reason = (late.group(1) if late else m.group(4)) or ''
            status = 'FILTERED' if FILTER_SKIP in reason else 'SKIP'
        else:
            reason = ''
            status = 'FAIL' if m.group(1) else 'PASS'
        results[name] = (status, reason)
        # the boot that ran the case, not one that left it out
        if logs is not None and status != 'FILTERED':
            logs[name] = output
        output = []
    return results


def culprit(cases, bootdir, source, crashed):
    """The case of SOURCE the kernel died in, or None if the run ended."""
    if run_ended(bootdir):
        return None
    results = parse_boot(bootdir)
    for case in cases:
        if case not in crashed and f'{source}.{case}' not in results:
            return case
    return None


def unfinished(test, bootdir, source, *crashed):
    case = culprit(declared_cases(test), Path(bootdir), source, crashed)
    if case:
        print(case)
    return 0


def boots(rundir):
    def key(d):
        source, _, n = d.name.rpartition('.')
        return source, int(n)
    return sorted((d for d in rundir.iterdir()
                   if d.is_dir() and re.fullmatch(r'\w+\.\d+', d.name)), key=key)


def read_list(listfile):
    listed = {}
    for n, line in enumerate(Path(listfile).read_text().splitlines(), 1):
        if not line.strip() or line.startswith('#'):
            continue
        words = line.split()
        if len(words) != 2 or words[0] not in (*KINDS.values(), 'flaky'):
            raise SystemExit(f'[FAILED] base-selftest: {listfile}:{n}: "KIND '
                             f'CASE" with KIND one of {", ".join(KINDS.values())}'
                             f' or flaky, not "{line}"')
        listed[words[1]] = words[0]
    return listed


def print_log(lines):
    """A case's own output, so that a CI log says why it went wrong."""
    for line in (lines or [])[-40:]:
        print(f'    {line}')


def compare(test, rundir, listfile):
    cases = declared_cases(test)
    rundir = Path(rundir)
    observed = {}
    crashed = {}
    nboots = 0
    logs = {}
    for bootdir in boots(rundir):
        nboots += 1
        source = bootdir.name.rpartition('.')[0]
        # boots() sorts a source's boots in order: each leaves out the
        # cases that killed the ones before it
        left_out = crashed.setdefault(source, [])
        for name, result in parse_boot(bootdir, logs).items():
            if result[0] != 'FILTERED':
                observed[name] = result
        case = culprit(cases, bootdir, source, left_out)
        if case:
            left_out.append(case)
            observed[f'{source}.{case}'] = ('CRASH',
                                            f'the kernel died ({bootdir.name})')
    sources = list(crashed)
    for source in sources:
        for case in cases:
            observed.setdefault(f'{source}.{case}', (
                'UNREACHED', 'every boot of the source died before it'))

    order = [f'{s}.{c}' for s in sources for c in cases]
    with open(rundir / 'results.txt', 'w') as f:
        for name in order:
            status, reason = observed[name]
            f.write(f'{status:9} {FIXTURE}.{name}' +
                    (f'  # {reason}' if reason else '') + '\n')
    with open(rundir / 'observed.txt', 'w') as f:
        for name in order:
            if observed[name][0] in KINDS:
                f.write(f'{KINDS[observed[name][0]]:9} {FIXTURE}.{name}\n')

    listed = read_list(listfile)
    ok = True
    want = {kind: (status,) for status, kind in KINDS.items()}
    want['flaky'] = ('FAIL', 'PASS')
    for full, kind in listed.items():
        status = observed.get(full[len(FIXTURE) + 1:], ('not a case',))[0]
        if status not in want[kind]:
            print(f'[FAILED] base-selftest: {full} is listed as "{kind}" '
                  f'on the base but was {status}')
            print_log(logs.get(full[len(FIXTURE) + 1:]))
            ok = False
    for name in order:
        status = observed[name][0]
        if status in KINDS and f'{FIXTURE}.{name}' not in listed:
            print(f'[FAILED] base-selftest: {FIXTURE}.{name} is {status} on '
                  f'the base but not listed')
            print_log(logs.get(name))
            ok = False

    for source in sources:
        counts = {}
        for case in cases:
            status = observed[f'{source}.{case}'][0]
            counts[status] = counts.get(status, 0) + 1
        print(f'base-selftest: {source:16} ' + ', '.join(
            f'{counts[s]} {s.lower()}' for s in
            ('PASS', 'FAIL', 'CRASH', 'UNREACHED', 'SKIP') if s in counts))
    bad = sum(1 for s, *_ in observed.values() if s in KINDS)
    print(f"[{'PASSED' if ok else 'FAILED'}] base-selftest: {bad} of "
          f"{len(observed)} cases do not pass on the unpatched base "
          f"({nboots} boots, {len(sources)} sources), "
          f"{'as' if ok else 'not as'} {listfile} lists")
    return 0 if ok else 1


def main():
    if len(sys.argv) >= 5 and sys.argv[1] == 'unfinished':
        return unfinished(*sys.argv[2:])
    if len(sys.argv) == 5 and sys.argv[1] == 'compare':
        return compare(*sys.argv[2:])
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == '__main__':
    sys.exit(main())
