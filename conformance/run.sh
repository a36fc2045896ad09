#!/usr/bin/env bash
# Runs four third-party SCIM 2.0 checkers against a running server, after installing them
# (pinned, once) from PyPI and the npm registry.
#
#   conformance/run.sh BASE_URL [TOKEN]
#     BASE_URL  the SCIM base URL, e.g. http://127.0.0.1:8080/scim/v2
#     TOKEN     the bearer token (sent as "Authorization: Bearer TOKEN"); may be empty
#
#   CONF_HOME         where the tools are installed (default: ~/.cache/scim-rs-conformance)
#   CONF_OUT          where raw outputs go (default: a new temporary directory)
#   CONF_TOOLS        tools to run, in order (default: "okta-spec ms-postman scim2-tester
#                     scim-sanity")
#   CONF_TOOL_TIMEOUT seconds per tool (default 600)
#   CONF_SANITY_MODE  strict (default) or compat, for scim-sanity
#   CONF_PROFILE      the server's compatibility profile (default entra): which failures
#                     deliberate.json counts as its choices
#   PYTHON            the Python to build the tools' virtualenvs with (default python3)
#
# Needs Python >= 3.11 with venv and pip, Node.js >= 18 with npm, and access to PyPI and
# the npm registry the first time. The tools create, change and delete users and groups:
# start the server EMPTY (Microsoft's collection counts users, Okta's reads the first one)
# and restart it between two runs.
#
# Prints each tool's unexpected failures, the deliberate ones by switch, a table (tool,
# passed, failed, unexpected, skipped, notes) and, last, "N passed, M failed". Exit 0 whatever the results (it is a measurement); 1 when
# the tools could not be installed; 2 when a tool could not run or the server was
# unreachable.
set -uo pipefail

if [ $# -lt 1 ] || [ -z "${1:-}" ]; then
    sed -n '2,27p' "$0" | sed 's/^# \{0,1\}//'
    exit 2
fi
BASE_URL="${1%/}"
TOKEN="${2:-}"
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
CONF_HOME="${CONF_HOME:-$HOME/.cache/scim-rs-conformance}"
CONF_OUT="${CONF_OUT:-$(mktemp -d -t scim-conformance.XXXXXX)}"
CONF_TOOLS="${CONF_TOOLS:-okta-spec ms-postman scim2-tester scim-sanity}"
CONF_TOOL_TIMEOUT="${CONF_TOOL_TIMEOUT:-600}"
CONF_SANITY_MODE="${CONF_SANITY_MODE:-strict}"
PY="${PYTHON:-python3}"
mkdir -p "$CONF_OUT" "$CONF_HOME/venvs" "$CONF_HOME/npm"
read -r -a TOOLS <<< "${CONF_TOOLS//,/ }"
log() { printf '[conformance] %s\n' "$*" >&2; }

# --- install, once: each part keeps a stamp of what it was installed from ----------------
install() {
    local problems=() stamp
    if ! "$PY" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' 2>/dev/null; then
        log "needs Python >= 3.11 with venv and pip (set PYTHON=...)"
        return 1
    fi
    if ! command -v node >/dev/null || ! command -v npm >/dev/null \
        || ! node -e 'process.exit(Number(process.versions.node.split(".")[0]) >= 18 ? 0 : 1)'; then
        log "needs Node.js >= 18 and npm"
        return 1
    fi
    local constraints="$HERE/python-constraints.txt"
    local pyver
    pyver=$("$PY" -c 'import sys; print("%d.%d" % sys.version_info[:2])')
    for entry in "scim2-tester|scim2-tester[httpx2]==0.5.2" "scim-sanity|scim-sanity==0.7.4"; do
        local name="${entry%%|*}" req="${entry#*|}"
        local venv="$CONF_HOME/venvs/$name"
        stamp="$req $(sha256sum "$constraints" | cut -c1-16) $pyver"
        if [ "$(cat "$venv/.stamp" 2>/dev/null)" = "$stamp" ]; then
            continue
        fi
        log "installing $req from PyPI"
        rm -rf "$venv"
        if "$PY" -m venv "$venv" \
            && "$venv/bin/python" -m pip install --quiet --disable-pip-version-check \
                -c "$constraints" "$req"; then
            echo "$stamp" > "$venv/.stamp"
        else
            problems+=("$name: pip install failed")
        fi
    done
    stamp="$(cat "$HERE/npm/package.json" "$HERE/npm/package-lock.json" | sha256sum | cut -c1-16) $(node --version)"
    if [ "$(cat "$CONF_HOME/npm/.stamp" 2>/dev/null)" != "$stamp" ] \
        || [ ! -x "$CONF_HOME/npm/node_modules/.bin/newman" ]; then
        log "installing newman from the npm registry"
        cp "$HERE/npm/package.json" "$HERE/npm/package-lock.json" "$CONF_HOME/npm/"
        if (cd "$CONF_HOME/npm" && npm ci --no-audit --no-fund --loglevel=error >/dev/null); then
            echo "$stamp" > "$CONF_HOME/npm/.stamp"
        else
            problems+=("npm ci failed")
        fi
    fi
    # The two suites that are data, not packages, ship with the project: check they are
    # the pinned versions.
    local file want
    for pair in \
        "ms-scim-reference.postman_collection.json 36ee6b9fb355cd6d438b7012ce266c05496caf494db4cb2a2be832f91fa56ccf" \
        "Okta-SCIM-20-SPEC-Test.json a118fed67320a2265909bde6b95cdaf4f6f085ff5a89a0deb88c87d443eae899"; do
        file="${pair% *}" want="${pair#* }"
        if [ "$(sha256sum "$HERE/collections/$file" 2>/dev/null | cut -d' ' -f1)" != "$want" ]; then
            problems+=("collections/$file is missing or not the pinned version")
        fi
    done
    if [ ${#problems[@]} -gt 0 ]; then
        for p in "${problems[@]}"; do log "PROBLEM: $p"; done
        return 1
    fi
}
install || exit 1

# --- is anything listening there? --------------------------------------------------------
preflight="$(BASE_URL="$BASE_URL" "$PY" - <<'EOF' 2>&1
import os, urllib.request, urllib.error
url = os.environ["BASE_URL"] + "/ServiceProviderConfig"
try:
    urllib.request.urlopen(urllib.request.Request(url, headers={"Accept": "application/scim+json"}), timeout=10)
    print("ok")
except urllib.error.HTTPError as e:
    print("ok (HTTP %d)" % e.code)
except Exception as e:
    print("unreachable: %s" % e)
EOF
)"
if [[ "$preflight" != ok* ]]; then
    log "the server at $BASE_URL is $preflight"
    echo "0 passed, 0 failed"
    exit 2
fi

cannot() { echo "could-not-run: $2" > "$CONF_OUT/$1.status"; log "$1: could not run: $2"; }
limited() { timeout "$CONF_TOOL_TIMEOUT" "$@"; }

run_okta() {
    limited node "$HERE/drivers/runscope_run.mjs" "$HERE/collections/Okta-SCIM-20-SPEC-Test.json" \
        "$BASE_URL" "$TOKEN" "$CONF_OUT/okta-spec.json" > "$CONF_OUT/okta-spec.log" 2>&1 \
        || cannot okta-spec "the runner exited $? (see okta-spec.log)"
}

run_ms() {
    local newman="$CONF_HOME/npm/node_modules/.bin/newman"
    node "$HERE/drivers/ms_collection_prep.mjs" "$HERE/collections/ms-scim-reference.postman_collection.json" \
        "$CONF_OUT/ms-postman.collection.json" > "$CONF_OUT/ms-postman.log" 2>&1 \
        || { cannot ms-postman "the collection could not be prepared"; return; }
    rm -f "$CONF_OUT/ms-postman.newman.json"
    limited "$newman" run "$CONF_OUT/ms-postman.collection.json" \
        --env-var "baseUrl=$BASE_URL" --env-var "token=$TOKEN" \
        --timeout-request 30000 --reporters cli,json \
        --reporter-json-export "$CONF_OUT/ms-postman.newman.json" \
        --color off --disable-unicode >> "$CONF_OUT/ms-postman.log" 2>&1
    # newman exits 1 when an assertion fails; without a report it crashed.
    [ -s "$CONF_OUT/ms-postman.newman.json" ] || cannot ms-postman "newman wrote no report"
}

run_tester() {
    limited "$CONF_HOME/venvs/scim2-tester/bin/python" "$HERE/drivers/scim2_tester_run.py" \
        "$BASE_URL" "$TOKEN" "$CONF_OUT/scim2-tester.json" > "$CONF_OUT/scim2-tester.log" 2>&1 \
        || cannot scim2-tester "the driver exited $? (see scim2-tester.log)"
}

run_sanity() {
    local args=(probe "$BASE_URL" --i-accept-side-effects --json-output "--$CONF_SANITY_MODE")
    [ -n "$TOKEN" ] && args+=(--token "$TOKEN")
    limited "$CONF_HOME/venvs/scim-sanity/bin/scim-sanity" "${args[@]}" \
        > "$CONF_OUT/scim-sanity.json" 2> "$CONF_OUT/scim-sanity.log"
    # It exits 1 when a check fails; the JSON report says whether it ran.
    "$PY" -c 'import json,sys; json.load(open(sys.argv[1]))["summary"]' "$CONF_OUT/scim-sanity.json" \
        2>/dev/null || cannot scim-sanity "no JSON report (see scim-sanity.log)"
}

for tool in "${TOOLS[@]}"; do
    rm -f "$CONF_OUT/$tool.status"
    log "$tool ..."
    case "$tool" in
        okta-spec) run_okta ;;
        ms-postman) run_ms ;;
        scim2-tester) run_tester ;;
        scim-sanity) run_sanity ;;
        *) cannot "$tool" "unknown tool" ;;
    esac
done

log "raw outputs in $CONF_OUT"
"$PY" "$HERE/drivers/summarize.py" "$CONF_OUT" "${TOOLS[@]}" || exit 2
