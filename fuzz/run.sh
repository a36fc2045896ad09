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
rm -rf seeds && mkdir -p seeds/filter seeds/patch seeds/engine logs
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
# Engine requests: a method byte (0 GET, 1 POST, 2 PUT, 3 PATCH, 4 DELETE; the high bit
# drops the token), the target, headers, an empty line, the body (see fuzz_targets/engine.rs).
user = open("../bench/user.json").read()
scim = "Content-Type: application/scim+json\n"
patch_op = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
requests = [
    (0, "/Users", "", ""),
    (0, "/Users?filter=userName%20eq%20%22bjensen%22&attributes=userName,emails", "", ""),
    (0, "/Users?filter=emails[type%20eq%20%22work%22]&sortBy=userName&startIndex=0&count=-1", "", ""),
    (0, "/Users/{user}", "If-None-Match: W/\"1\"\n", ""),
    (0, "/Groups/{group}?excludedAttributes=members", "", ""),
    (0, "/Schemas/urn:ietf:params:scim:schemas:core:2.0:User", "", ""),
    (0, "/ResourceTypes", "", ""),
    (0, "/ServiceProviderConfig", "", ""),
    (1, "/Users", scim, user),
    (1, "/Groups", scim, '{"displayName":"Ops","members":[{"value":"{user}"}]}'),
    (1, "/Users/.search", scim, '{"schemas":["urn:ietf:params:scim:api:messages:2.0:SearchRequest"],"filter":"userName sw \\"b\\"","count":1}'),
    (2, "/Users/{user}", scim + "If-Match: *\n", '{"userName":"bjensen","active":false}'),
    (4, "/Users/{user}", "", ""),
    (1, "/Bulk", scim, '{"schemas":["urn:ietf:params:scim:api:messages:2.0:BulkRequest"],"failOnErrors":1,"Operations":['
        '{"method":"POST","path":"/Users","bulkId":"a","data":{"userName":"x"}},'
        '{"method":"PATCH","path":"/Groups/{group}","data":{"schemas":["' + patch_op + '"],'
        '"Operations":[{"op":"add","path":"members","value":[{"value":"bulkId:a"}]}]}}]}'),
]
for i, p in enumerate(json.load(open("../bench/patches.json"))):
    kind = "Groups/{group}" if "members" in json.dumps(p["body"]) else "Users/{user}"
    requests.append((3, "/" + kind, scim, json.dumps(p["body"])))
for i, (method, target, headers, body) in enumerate(requests):
    with open(f"seeds/engine/{i}", "wb") as f:
        f.write(bytes([method]) + f"{target}\n{headers}\n{body}".encode())
PY

status=0
summary=()
for target in "${targets[@]}"; do
    mkdir -p "corpus/$target"
    case "$target" in
        patch_*) seeds=seeds/patch dict=patch.dict ;;
        engine) seeds=seeds/engine dict=engine.dict ;;
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
