#!/usr/bin/env python3
"""Prints every benchmark's time as a ratio to BM_Baseline_PaillierPowm.

Usage: scripts/bench_ratios.py [--markdown] [--real] [FILE.json ...]
Default files: build/bench/*.json (written by `make bench`). Each file is
compared with the baseline measured in the same file (same run, same
machine load). CPU time is used unless --real is given. For benchmarks run
with repetitions only the median aggregate is shown. Exit status: 0 on
success, 1 if a file has no baseline or cannot be read, 2 on usage errors.
"""
import argparse
import glob
import json
import sys

BASELINE = "BM_Baseline_PaillierPowm"
UNIT_TO_MS = {"ns": 1e-6, "us": 1e-3, "ms": 1.0, "s": 1e3}


def rows(path, field):
    with open(path) as f:
        data = json.load(f)
    base = None
    out = []
    for b in data.get("benchmarks", []):
        if b.get("run_type") == "aggregate" and b.get("aggregate_name") != "median":
            continue
        if b.get("error_occurred"):
            continue
        ms = b[field] * UNIT_TO_MS[b.get("time_unit", "ns")]
        # With --benchmark_report_aggregates_only the median is named
        # "<name>_median"; run_name is the benchmark's own name either way.
        if b.get("run_name", b["name"]) == BASELINE:
            base = ms
        out.append((b["name"], ms))
    if base is None:
        raise ValueError(f"{path}: no {BASELINE} entry")
    return base, [(name, ms, ms / base) for name, ms in out]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("files", nargs="*")
    parser.add_argument("--markdown", action="store_true")
    parser.add_argument("--real", action="store_true", help="use real_time")
    args = parser.parse_args()
    files = args.files or sorted(glob.glob("build/bench/*.json"))
    if not files:
        print("no benchmark JSON files (run `make bench` first)", file=sys.stderr)
        return 1
    field = "real_time" if args.real else "cpu_time"
    status = 0
    for path in files:
        try:
            base, table = rows(path, field)
        except (OSError, ValueError, KeyError, json.JSONDecodeError) as e:
            print(f"error: {e}", file=sys.stderr)
            status = 1
            continue
        print(f"== {path} (baseline {base:.3f} ms {field})")
        if args.markdown:
            print("| Benchmark | ms | × baseline |\n|---|---:|---:|")
        for name, ms, ratio in table:
            if args.markdown:
                print(f"| `{name}` | {ms:.3f} | {ratio:.3f} |")
            else:
                print(f"{name:70s} {ms:12.3f} ms {ratio:9.3f}x")
    return status


if __name__ == "__main__":
    sys.exit(main())
