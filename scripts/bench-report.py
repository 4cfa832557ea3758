#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""bench-report.py BASE.log SERIES.log --json OUT.json --png OUT.png

Turn the "BENCH <case> <metric> <value>" samples of guest/dmabuf-bench, one
log for the unpatched base and one for the series, into a table of medians
with min and max and the series/base ratio, the same as JSON, and a PNG chart
of the ratios (gnuplot).  The table ends with the targets of `make bench`,
each met or not with its figure.  Exit status 0 unless a log is unusable;
a missed target is reported, not fatal.
"""

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile

# (case, metric) in table order, with a short label.
ROWS = [
    ("gup_fast_anon_4k", "get_us", "gup_fast, 128 MiB anon 4 KiB (us)"),
    ("pin_fast_anon_4k", "get_us", "pin_fast, 128 MiB anon 4 KiB (us)"),
    ("gup_fast_anon_thp", "get_us", "gup_fast, 128 MiB anon THP (us)"),
    ("pin_fast_anon_thp", "get_us", "pin_fast, 128 MiB anon THP (us)"),
    ("cma_heap_touch_64m", "faults", "CMA heap 64 MiB first touch (faults)"),
    ("cma_heap_touch_64m", "touch_us", "CMA heap 64 MiB first touch (us)"),
    ("system_heap_cycle_16m", "faults", "system heap 16 MiB mmap+touch+munmap (faults)"),
    ("system_heap_cycle_16m", "cycle_us", "system heap 16 MiB mmap+touch+munmap (us)"),
    ("udmabuf_cycle_16m", "faults", "udmabuf 16 MiB mmap+touch+munmap (faults)"),
    ("udmabuf_cycle_16m", "cycle_us", "udmabuf 16 MiB mmap+touch+munmap (us)"),
]


def parse(path):
    samples, info, problems = {}, {}, []
    with open(path, errors="replace") as f:
        for line in f:
            words = line.split()
            if not words:
                continue
            if words[0] == "BENCH" and len(words) == 4:
                samples.setdefault((words[1], words[2]), []).append(int(words[3]))
            elif words[0] in ("SKIP", "ERROR"):
                problems.append(line.strip())
            elif words[0] in ("THP", "KERNEL"):
                info[words[0].lower()] = " ".join(words[1:])
    return samples, info, problems


def stats(values):
    if not values:
        return None
    return {
        "median": statistics.median(values),
        "min": min(values),
        "max": max(values),
        "runs": len(values),
        "samples": values,
    }


def fmt(s):
    if s is None:
        return "-"
    return "%g [%g-%g]" % (s["median"], s["min"], s["max"])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("base")
    ap.add_argument("series")
    ap.add_argument("--json", required=True)
    ap.add_argument("--png")
    ap.add_argument("--machine", default="")
    args = ap.parse_args()

    base, base_info, base_problems = parse(args.base)
    series, series_info, series_problems = parse(args.series)
    if not base or not series:
        sys.exit("bench-report: no samples in %s" % (args.base if not base else args.series))

    rows = []
    for case, metric, label in ROWS:
        b = stats(base.get((case, metric), []))
        s = stats(series.get((case, metric), []))
        ratio = None
        if b and s and b["median"]:
            ratio = s["median"] / b["median"]
        rows.append({"case": case, "metric": metric, "label": label,
                     "base": b, "series": s, "ratio": ratio})

    def row(case, metric):
        return next(r for r in rows if r["case"] == case and r["metric"] == metric)

    targets = []

    def target(name, ok, figure):
        targets.append({"target": name, "met": ok, "figure": figure})

    for case in ("gup_fast_anon_4k", "pin_fast_anon_4k"):
        r = row(case, "get_us")
        ok = r["ratio"] is not None and abs(r["ratio"] - 1) <= 0.01
        target("%s within 1%% of the base" % case, ok,
               "ratio %.4f" % r["ratio"] if r["ratio"] is not None else "no data")
    r = row("cma_heap_touch_64m", "faults")
    if r["base"] and r["series"] and r["series"]["median"]:
        fewer = r["base"]["median"] / r["series"]["median"]
        target("CMA heap 64 MiB touch: >= 256x fewer faults", fewer >= 256,
               "%g -> %g faults, %.0fx fewer" % (r["base"]["median"],
                                                  r["series"]["median"], fewer))
    else:
        target("CMA heap 64 MiB touch: >= 256x fewer faults", False, "no data")
    # Slower beyond noise: the series' median above the base's maximum by
    # more than 1% of the base's median (under -icount the runs hardly vary,
    # so the maximum alone would flag a difference of a few instructions).
    slower = []
    for r in rows:
        if r["metric"] == "faults" or not r["base"] or not r["series"]:
            continue
        if r["series"]["median"] > r["base"]["max"] + 0.01 * r["base"]["median"]:
            slower.append("%s %.3fx (base max %g, series median %g)" % (
                r["case"], r["ratio"], r["base"]["max"], r["series"]["median"]))
    target("no case slower than the base beyond run-to-run noise "
           "(series median above the base maximum + 1%)", not slower,
           "; ".join(slower) if slower else "none")

    width = max(len(r["label"]) for r in rows)
    out = []
    out.append("make bench: median [min-max] of %d runs; ratio = series/base median"
               % max((r["base"] or {"runs": 0})["runs"] for r in rows))
    if args.machine:
        out.append("machine: %s" % args.machine)
    out.append("base: %s; series: %s; THP: %s" % (
        base_info.get("kernel", "?"), series_info.get("kernel", "?"),
        series_info.get("thp", "?")))
    out.append("")
    out.append("%-*s  %-28s  %-28s  %s" % (width, "case", "base", "series", "ratio"))
    for r in rows:
        out.append("%-*s  %-28s  %-28s  %s" % (
            width, r["label"], fmt(r["base"]), fmt(r["series"]),
            "%.4f" % r["ratio"] if r["ratio"] is not None else "-"))
    out.append("")
    for t in targets:
        out.append("[%s] %s: %s" % ("MET" if t["met"] else "NOT MET", t["target"], t["figure"]))
    for p in base_problems:
        out.append("base: " + p)
    for p in series_problems:
        out.append("series: " + p)
    print("\n".join(out))

    doc = {"machine": args.machine, "base": base_info, "series": series_info,
           "rows": rows, "targets": targets,
           "problems": {"base": base_problems, "series": series_problems}}
    with open(args.json, "w") as f:
        json.dump(doc, f, indent=1)
        f.write("\n")

    if args.png:
        gnuplot = shutil.which("gnuplot")
        if not gnuplot:
            print("bench-report: no gnuplot, no %s" % args.png, file=sys.stderr)
            return
        with tempfile.TemporaryDirectory() as tmp:
            data = os.path.join(tmp, "ratios.dat")
            with open(data, "w") as f:
                for i, r in enumerate(rows):
                    if r["ratio"] is not None:
                        f.write('%d "%s" %g\n' % (i, r["label"].replace('"', "'"), r["ratio"]))
            script = "\n".join([
                "set terminal pngcairo size 1100,600 noenhanced",
                'set output "%s"' % args.png,
                'set title "series / base, median of each case (below 1: series faster or fewer faults)"',
                "set logscale y",
                "set yrange [0.001:10]",
                "set grid ytics",
                "set style fill solid 0.6",
                "set boxwidth 0.6",
                "set xtics rotate by -30 left font ',8'",
                "set bmargin 10",
                "set rmargin 22",
                "unset key",
                'plot "%s" using 1:3:xtic(2) with boxes, 1 with lines lt 0' % data,
            ])
            subprocess.run([gnuplot], input=script, text=True, check=True)


if __name__ == "__main__":
    main()
