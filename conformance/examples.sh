#!/usr/bin/env bash
# Runs the checkers (conformance/run.sh) against each example server, each built in release
# mode and started fresh and empty on a free port of 127.0.0.1.
#
#   conformance/examples.sh [--compat PROFILE] [SERVER ...]
#     SERVER  axum-memory, actix-memory or reference-server (default: all three)
#     PROFILE the reference server's compatibility profile (--compat: entra, the default,
#             okta, strict or lenient); the other servers run their default
#
# Prints run.sh's report for each server, then one line per server: "SERVER: N passed, M
# failed". CONF_OUT, if set, gets one directory of raw outputs per server. Exit 0, or 2 when
# a server did not start or a tool could not run.
set -uo pipefail
cd "$(dirname "$0")/.."
compat=""
if [ "${1:-}" = --compat ]; then
    compat=$2
    shift 2
fi
servers=("$@")
[ ${#servers[@]} -gt 0 ] || servers=(axum-memory actix-memory reference-server)
token="conformance-$(date +%s)"
work=$(mktemp -d -t scim-examples.XXXXXX)
server=""
trap '[ -n "$server" ] && kill "$server" 2>/dev/null; rm -rf "$work"' EXIT

packages=()
for s in "${servers[@]}"; do packages+=(-p "$s"); done
cargo build --quiet --release "${packages[@]}" || exit 2
target="${CARGO_TARGET_DIR:-target}/release"

status=0
summary=()
for s in "${servers[@]}"; do
    args=(--bind 127.0.0.1:0 --token "$token")
    [ "$s" = reference-server ] && args+=(--database-url "sqlite://$work/$s.db")
    [ "$s" = reference-server ] && [ -n "$compat" ] && args+=(--compat "$compat")
    RUST_LOG=warn "$target/$s" "${args[@]}" > "$work/$s.out" 2> "$work/$s.err" &
    server=$!
    base=""
    for _ in $(seq 100); do
        base=$(sed -n 's/^SCIM base URL: //p' "$work/$s.out")
        [ -n "$base" ] && break
        kill -0 "$server" 2>/dev/null || break
        sleep 0.1
    done
    if [ -z "$base" ]; then
        echo "$s did not start:" >&2
        cat "$work/$s.err" >&2
        summary+=("$s: did not start")
        status=2
    else
        echo "=== $s at $base"
        out="${CONF_OUT:+$CONF_OUT/$s}"
        profile=entra
        [ "$s" = reference-server ] && [ -n "$compat" ] && profile=$compat
        report=$(CONF_PROFILE="$profile" CONF_OUT="${out:-$work/$s-out}" conformance/run.sh "$base" "$token")
        [ $? -eq 0 ] || status=2
        echo "$report"
        summary+=("$s: $(echo "$report" | tail -n 1)")
    fi
    kill "$server" 2>/dev/null
    wait "$server" 2>/dev/null
    server=""
done
echo
printf '%s\n' "${summary[@]}"
exit $status
