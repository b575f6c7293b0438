#!/usr/bin/env python3
"""Prints the load benchmark's table (docs/BENCHMARKS.md, "Load (issue 15)").

Usage: bench/coordinator/load_report.py LOAD.json GG20.json

LOAD.json: coordinator_load_bench --benchmark_out=... ; GG20.json: gg20_bench
--benchmark_filter='Baseline|OnlineSign/2|FullSign/2/1' --benchmark_out=...,
run in the same session. CPU per signature is compared with the in-process
CPU of the same work (BM_OnlineSign/2 for pool signing, BM_FullSign/2/1 for
full signing), both in units of their own same-run baseline
(BM_Baseline_PaillierPowm, each file against its own), so that "vs
in-process" is a ratio of units and a machine slower in one half of the
session does not move it. gg20_bench's figures are the medians of its
repetitions when it ran with --benchmark_repetitions.
"""
import json
import sys

UNIT_TO_MS = {"ns": 1e-6, "us": 1e-3, "ms": 1.0, "s": 1e3}
BASELINE = "BM_Baseline_PaillierPowm"


def load(path):
    with open(path) as f:
        return json.load(f)["benchmarks"]


def cpu_ms(b):
    return b["cpu_time"] * UNIT_TO_MS[b.get("time_unit", "ns")]


def find(benches, prefix):
    """The median of a repeated benchmark when there is one, else the first
    run (gg20_bench runs with repetitions, the load benchmark once)."""
    for b in benches:
        if (b["name"].startswith(prefix) and b.get("aggregate_name") == "median"
                and not b.get("error_occurred")):
            return b
    for b in benches:
        if b["name"].startswith(prefix) and not b.get("error_occurred"):
            return b
    return None


def main(argv):
    if len(argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    load_b, gg20_b = load(argv[1]), load(argv[2])
    base_load = find(load_b, BASELINE)
    base_gg20 = find(gg20_b, BASELINE)
    online = find(gg20_b, "BM_OnlineSign/2")
    full = find(gg20_b, "BM_FullSign/2/1")
    if not (base_load and base_gg20 and online and full):
        print("missing baseline or in-process benchmarks", file=sys.stderr)
        return 1
    bl, bg = cpu_ms(base_load), cpu_ms(base_gg20)
    print(f"baselines: load run {bl:.2f} ms, gg20 run {bg:.2f} ms CPU")
    print(f"in-process: BM_OnlineSign/2 {cpu_ms(online):.3f} ms "
          f"({cpu_ms(online) / bg:.4f} units), BM_FullSign/2/1 "
          f"{cpu_ms(full):.1f} ms ({cpu_ms(full) / bg:.2f} units)\n")
    print("| mode | clients | requests | p50 ms | p99 ms | signatures/s "
          "| CPU ms/signature (coord + enclaves + hosts + client) "
          "| units | vs in-process | presign runs meanwhile | load 1 min |")
    print("|---|---:|---:|---:|---:|---:|---|---:|---:|---:|---|")
    for prefix, ref in (("BM_PoolSign/", online), ("BM_FullSign/", full)):
        for c in (1, 8, 32):
            b = find(load_b, f"{prefix}{c}/")
            if b is None:
                continue
            total = b["cpu_ms_total"]
            parts = " + ".join(
                f"{b.get('cpu_ms_' + k, 0):.2f}"
                for k in ("coordinator", "enclaves", "hosts", "client"))
            mode = "pool" if prefix == "BM_PoolSign/" else "full"
            extra = (f" (pool {int(b['pool_at_start'])}, misses "
                     f"{int(b['pool_misses'])})" if mode == "pool" else "")
            print(f"| {mode}{extra} | {c} | {int(b['requests'])} "
                  f"| {b['p50_ms']:.2f} | {b['p99_ms']:.2f} "
                  f"| {b['sigs_per_s']:.0f} | {total:.2f} = {parts} "
                  f"| {total / bl:.3f} | {(total / bl) / (cpu_ms(ref) / bg):.2f}x "
                  f"| {int(b['presign_runs'])} "
                  f"| {b['load1_before']:.1f} -> {b['load1_after']:.1f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
