#!/usr/bin/env bash
# Load test: starts bench/server (load-server) on 127.0.0.1 with a preloaded store, drives it
# with wrk for each scenario, and prints requests per second, p50 and p99 next to the ceiling
# (a bare axum handler answering a body as large as a user, in the same process and run), and
# the server's own CPU time per request. For a SQL store, also next to the SQL ceiling: a
# bare handler running the same primary-key SELECT on the same database (scenario sql).
#
#   bench/load.sh [--server load-server|axum-memory|reference-server]
#                 [--store memory|sqlite|postgres|mysql] [--database-url URL] [--users N]
#                 [--group-members N] [--duration 10s] [--connections 50]
#                 [--scenarios "bare sql get nolog metered filter patch member group members post
#                              cursor1 cursor100 index1 index100"]
#                 [--patch-response resource|none] [--allocator mimalloc|system]
#
# --server measures a shipped binary as a user runs it (default settings, its own logging):
# axum-memory is preloaded over HTTP (bench/preload.py: --users POSTs, then the group);
# reference-server (with --store sqlite|postgres|mysql) serves the database load-server preloaded.
# The ceilings (bare, sql) stay load-server's, in the same run.
#
# `nolog` is `get` through an engine with the provisioning log off (same store, same run);
# `metered` is `get` with the reference server's Prometheus metrics recorded.
#
# POST runs last by default: each run creates tens of thousands of users, and the other
# scenarios are meant for a store of --users users, not one POST has grown twentyfold.
#
# Needs wrk (installed from Debian's packages if missing).
set -euo pipefail
cd "$(dirname "$0")/.."

server_kind=load-server; store=memory; url=""; users=10000; members=10000; duration=10s; connections=50
scenarios=""; patch_response=resource; features=()
while [ $# -gt 0 ]; do
    case "$1" in
        --server) server_kind=$2; shift 2 ;;
        --store) store=$2; shift 2 ;;
        --database-url) url=$2; shift 2 ;;
        --users) users=$2; shift 2 ;;
        --group-members) members=$2; shift 2 ;;
        --duration) duration=$2; shift 2 ;;
        --connections) connections=$2; shift 2 ;;
        --scenarios) scenarios=$2; shift 2 ;;
        --patch-response) patch_response=$2; shift 2 ;;
        --allocator) [ "$2" = system ] && features=(--features system-allocator); shift 2 ;;
        *) sed -n '2,26p' "$0"; exit 2 ;;
    esac
done

if [ -z "$scenarios" ]; then
    scenarios="bare get filter patch member group post"
    [ "$store" != memory ] && scenarios="bare sql get filter patch member group post"
fi

if ! command -v wrk >/dev/null; then
    apt-get install -y wrk >/dev/null || { echo "wrk is missing and could not be installed" >&2; exit 1; }
fi
cargo build --quiet --release -p load-server "${features[@]}"
case "$server_kind" in
    load-server) ;;
    axum-memory) cargo build --quiet --release -p axum-memory ;;
    reference-server)
        [ "$store" = memory ] && { echo "--server reference-server needs --store sqlite|postgres|mysql" >&2; exit 2; }
        cargo build --quiet --release -p reference-server ;;
    *) echo "unknown --server $server_kind" >&2; exit 2 ;;
esac
target="${CARGO_TARGET_DIR:-target}"

work=$(mktemp -d)
trap 'kill "$server" ${shipped:-} 2>/dev/null || true; rm -rf "$work"' EXIT
args=(--store "$store" --users "$users" --group-members "$members" --ids "$work/ids" --patch-response "$patch_response")
# For axum-memory, load-server only serves the ceiling: one user is its body.
[ "$server_kind" = axum-memory ] && args=(--store memory --users 1 --group-members 1 --ids "$work/ids")
[ -n "$url" ] && args+=(--database-url "$url")
"$target/release/load-server" "${args[@]}" > "$work/out" 2> "$work/err" &
server=$!
for _ in $(seq 600); do
    grep -q "SCIM base URL" "$work/out" 2>/dev/null && break
    kill -0 "$server" 2>/dev/null || { cat "$work/err" >&2; exit 1; }
    sleep 0.5
done
base=$(sed -n 's/^SCIM base URL: //p' "$work/out")
root=${base%/scim/v2}
# The server the SCIM scenarios measure: load-server itself, or a shipped binary beside it.
measured=$server; shipped_root=$root; prefix=/scim/v2
if [ "$server_kind" != load-server ]; then
    shipped_args=(--bind 127.0.0.1:0 --token bench)
    [ "$server_kind" = reference-server ] && shipped_args+=(--database-url "$url")
    "$target/release/$server_kind" "${shipped_args[@]}" > "$work/shipped-out" 2> "$work/shipped-err" &
    shipped=$!
    for _ in $(seq 120); do
        grep -q "SCIM base URL" "$work/shipped-out" 2>/dev/null && break
        kill -0 "$shipped" 2>/dev/null || { cat "$work/shipped-err" >&2; exit 1; }
        sleep 0.5
    done
    shipped_base=$(sed -n 's/^SCIM base URL: //p' "$work/shipped-out")
    prefix=/${shipped_base#http://*/}
    shipped_root=${shipped_base%"$prefix"}
    [ "$server_kind" = axum-memory ] && python3 bench/preload.py "$shipped_base" bench "$users" "$members" "$work/ids"
    measured=$shipped
fi
rss_kb=$(awk '/VmRSS/ {print $2}' "/proc/$measured/status")
echo "server=$server_kind store=$store users=$users group-members=$members connections=$connections duration=$duration"
echo "$(cat "$work/err")"
echo "server RSS after preload: $((rss_kb / 1024)) MiB ($((rss_kb * 1024 / (users > 0 ? users : 1))) bytes per user, group included)"
# The server's own CPU time (user + system, from /proc) per request: wrk shares the machine,
# so requests per second also move with wrk's cost; this column does not.
tick=$(getconf CLK_TCK)
cpu() { awk '{print $14 + $15}' "/proc/$1/stat"; }
printf '%-8s %12s %10s %10s %8s %8s %12s\n' scenario "req/s" p50 p99 "vs bare" "vs sql" "server CPU"
ceiling=""; sql_ceiling=""
# The 100th page by cursor: walked to once, before the runs (scenario cursor100).
if [[ " $scenarios " == *" cursor100 "* ]]; then
    cursor=""
    for _ in $(seq 99); do
        cursor=$(curl -s -H "Authorization: Bearer bench" \
            "$shipped_root$prefix/Users?cursor=$cursor&count=100&sortBy=userName" |
            python3 -c 'import json, sys; print(json.load(sys.stdin).get("nextCursor", ""))')
    done
    export CURSOR100=$cursor
fi
for scenario in $scenarios; do
    # The ceilings are load-server's; the SCIM scenarios, the measured server's.
    pid=$measured; at=$shipped_root; path=$prefix
    case "$scenario" in bare|sql) pid=$server; at=$root; path=/scim/v2 ;; esac
    before=$(cpu "$pid")
    out=$(SCENARIO=$scenario IDS="$work/ids" PREFIX=$path wrk -t1 -c"$connections" -d"$duration" --latency \
        -s bench/wrk/scim.lua "$at" 2>&1)
    used=$(( $(cpu "$pid") - before ))
    count=$(echo "$out" | awk '/requests in/ {print $1}')
    per=$(awk -v t="$used" -v n="$count" -v hz="$tick" 'BEGIN {printf "%.1f us", (n > 0 ? t * 1e6 / hz / n : 0)}')
    rps=$(echo "$out" | awk '/Requests\/sec/ {print $2}')
    p50=$(echo "$out" | awk '$1 == "50%" {print $2}')
    p99=$(echo "$out" | awk '$1 == "99%" {print $2}')
    bad=$(echo "$out" | sed -n 's/^non2xx=//p')
    [ "$scenario" = bare ] && ceiling=$rps
    [ "$scenario" = sql ] && sql_ceiling=$rps
    ratio="-"; sql_ratio="-"
    [ -n "$ceiling" ] && ratio=$(awk -v a="$rps" -v b="$ceiling" 'BEGIN {printf "%.0f%%", 100 * a / b}')
    [ -n "$sql_ceiling" ] && sql_ratio=$(awk -v a="$rps" -v b="$sql_ceiling" 'BEGIN {printf "%.0f%%", 100 * a / b}')
    printf '%-8s %12s %10s %10s %8s %8s %12s' "$scenario" "$rps" "$p50" "$p99" "$ratio" "$sql_ratio" "$per"
    [ "${bad:-0}" != 0 ] && printf '   (%s answers were not 2xx)' "$bad"
    echo
done
