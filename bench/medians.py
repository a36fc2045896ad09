#!/usr/bin/env python3
"""Print the median time of every criterion benchmark under a target directory.

    bench/medians.py [TARGET_DIR] [FILTER]

Reads TARGET_DIR/criterion/**/new/estimates.json (default: target) and, where the benchmark
declared a throughput, also prints elements or bytes per second at the median.
"""
import json
import pathlib
import sys

root = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else "target") / "criterion"
wanted = sys.argv[2] if len(sys.argv) > 2 else ""
rows = []
for est in sorted(root.glob("**/new/estimates.json")):
    bench_dir = est.parent
    meta = json.loads((bench_dir / "benchmark.json").read_text())
    name = meta["full_id"]
    if wanted not in name:
        continue
    median_ns = json.loads(est.read_text())["median"]["point_estimate"]
    rate = ""
    throughput = meta.get("throughput") or {}
    for kind, unit in (("Elements", "elem/s"), ("Bytes", "B/s"), ("BytesDecimal", "B/s")):
        if kind in throughput:
            per_s = throughput[kind] / (median_ns / 1e9)
            rate = f"{per_s:,.0f} {unit}"
    rows.append((name, median_ns, rate))
width = max((len(r[0]) for r in rows), default=10)
print(f"{'benchmark':<{width}}  {'median':>12}  throughput at the median")
for name, ns, rate in rows:
    shown = f"{ns / 1000:,.2f} µs" if ns >= 1000 else f"{ns:,.1f} ns"
    print(f"{name:<{width}}  {shown:>12}  {rate}")
