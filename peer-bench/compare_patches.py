#!/usr/bin/env python3
"""Prints node's and criterion's medians for the PATCH corpus side by side.

    compare_patches.py NODE_RESULT.json CRITERION_DIR
"""
import json
import pathlib
import sys

node = json.load(open(sys.argv[1]))
criterion = pathlib.Path(sys.argv[2])


def median_ns(bench: str) -> float:
    path = criterion / bench / "new" / "estimates.json"
    return json.loads(path.read_text())["median"]["point_estimate"]


def row(label, requests, node_ns, ours_ns):
    ours_rate = requests / (ours_ns / 1e9)
    node_rate = requests / (node_ns / 1e9)
    print(f"| {label} | {requests} | {node_ns / 1000:,.1f} µs | {ours_ns / 1000:,.1f} µs "
          f"| {node_rate:,.0f} | {ours_rate:,.0f} | {node_ns / ours_ns:.1f}x |")


print(f"common subset: {len(node['subset'])} requests of bench/patches.json\n")
print("| what | requests | npm scim-patch 0.8.3 | scim-rs | npm req/s | scim-rs req/s | speed-up |")
print("| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
totals = {"node": 0.0, "ours": 0.0, "deferred": 0.0, "delta": 0.0, "n": 0}
for target in ("user", "group_1000"):
    n = node["corpus"][target]["requests"]
    node_ns = node["corpus"][target]["median_ns"]
    ours = median_ns(f"corpus/{target}")
    deferred = median_ns(f"corpus_deferred_free/{target}")
    delta = median_ns(f"corpus_with_members_delta/{target}")
    row(f"corpus on `{target}`, freeing inside the request", n, node_ns, ours)
    row(f"corpus on `{target}`, freeing after it", n, node_ns, deferred)
    row(f"corpus on `{target}`, freeing after it, membership delta read", n, node_ns, delta)
    totals["delta"] += delta
    totals["node"] += node_ns
    totals["ours"] += ours
    totals["deferred"] += deferred
    totals["n"] += n
row("whole subset, freeing inside the request", totals["n"], totals["node"], totals["ours"])
row("whole subset, freeing after it", totals["n"], totals["node"], totals["deferred"])
row("whole subset, freeing after it, membership delta read", totals["n"], totals["node"], totals["delta"])
for size, node_ns in node["add_one_member"].items():
    row(f"add one member to a group of {int(size):,}", 1, node_ns, median_ns(f"add_one_member/patch/{size}"))
