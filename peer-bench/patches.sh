#!/usr/bin/env bash
# scim-rs's scim-patch against npm scim-patch 0.8.3, on the requests of bench/patches.json that
# both accept, measured one right after the other on this machine. Prints a table of medians
# and ratios. Needs node and npm.
set -euo pipefail
cd "$(dirname "$0")"
root=$(cd .. && pwd)
out=$(mktemp -d)
(cd node && npm ci --no-audit --no-fund --silent)
echo "::: npm scim-patch 0.8.3" >&2
node node/patches.mjs "$out/node.json" >/dev/null
subset=$(python3 -c 'import json,sys; print(",".join(json.load(open(sys.argv[1]))["subset"]))' "$out/node.json")
echo "::: scim-rs scim-patch (criterion)" >&2
(cd "$root" && PATCH_BENCH_ONLY="$subset" CARGO_TARGET_DIR="$out/target" \
    cargo bench -q -p scim-patch --bench patches -- --noplot >"$out/criterion.log" 2>&1)
python3 compare_patches.py "$out/node.json" "$out/target/criterion"
