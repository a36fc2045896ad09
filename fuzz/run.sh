#!/usr/bin/env bash
# Runs each fuzz target (all of them, or those named) for SECONDS, one after the other, and
# prints a summary: executions, speed, corpus size, crashes. Exits non-zero on a crash.
#
#   fuzz/run.sh SECONDS [TARGET...]
#
# Needs cargo-fuzz (`cargo install cargo-fuzz`). It runs on the stable toolchain: cargo-fuzz's
# -Z flags are allowed by RUSTC_BOOTSTRAP=1. Seeds are regenerated on each run from the test
# corpus (scim-filter/tests/corpus) and the benchmark filters, so they never drift from the
# tests. New inputs accumulate in fuzz/corpus/TARGET; crashes land in fuzz/artifacts/TARGET.
set -euo pipefail
cd "$(dirname "$0")"
seconds=${1:?usage: fuzz/run.sh SECONDS [TARGET...]}
shift
export RUSTC_BOOTSTRAP=1
if [ $# -gt 0 ]; then targets=("$@"); else mapfile -t targets < <(cargo fuzz list); fi

# Seeds, regenerated from the tests and benchmark inputs on every run.
rm -rf seeds && mkdir -p seeds/filter seeds/patch logs
n=0
while IFS= read -r line; do
    n=$((n + 1))
    printf '%s' "$line" >"seeds/filter/$n"
done < <(
    awk -F'\t' '!/^#/ && NF >= 3 { print $2 }' ../scim-filter/tests/corpus/valid.tsv ../scim-filter/tests/corpus/invalid.tsv
    cat ../bench/filters.txt
)
python3 - <<'PY'
import json
for i, p in enumerate(json.load(open("../bench/patches.json"))):
    with open(f"seeds/patch/{i}", "w") as f:
        json.dump(p["body"], f)
PY

status=0
summary=()
for target in "${targets[@]}"; do
    mkdir -p "corpus/$target"
    case "$target" in
        patch_*) seeds=seeds/patch dict=patch.dict ;;
        *) seeds=seeds/filter dict=filter.dict ;;
    esac
    echo "::: $target for ${seconds}s ($(find "$seeds" -type f | wc -l) seeds)"
    if ! cargo fuzz run "$target" "corpus/$target" "$seeds" -- \
        -max_total_time="$seconds" -dict="$dict" -max_len=4096 -print_final_stats=1 \
        >"logs/$target.log" 2>&1; then
        status=1
        echo "::: $target FAILED; see fuzz/logs/$target.log and fuzz/artifacts/$target"
    fi
    runs=$(grep -oP 'stat::number_of_executed_units:\s+\K\d+' "logs/$target.log" || echo "?")
    speed=$(grep -oP 'stat::average_exec_per_sec:\s+\K\d+' "logs/$target.log" || echo "?")
    crashes=$(find "artifacts/$target" -type f 2>/dev/null | wc -l)
    summary+=("$(printf '%-18s %8ss %14s %10s/s %8s %8s' "$target" "$seconds" "$runs" "$speed" \
        "$(find "corpus/$target" -type f | wc -l)" "$crashes")")
done

printf '\n%-18s %9s %14s %12s %8s %8s\n' target time executions speed corpus crashes
printf '%s\n' "${summary[@]}"
exit $status
