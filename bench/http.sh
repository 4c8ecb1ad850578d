#!/usr/bin/env bash
# HTTP load test of examples/bench_server.rs and its peers (bench/peers/*): /plain, /me (valid
# and forged tokens), /login, and /me during a login storm, with wrk; prints one table.
#
#   bench/http.sh                 # bustjwt, axum-jwt and actix-jwt
#   PEERS="axum-jwt" bench/http.sh
#   PEERS="" DURATION=3 bench/http.sh
#
# Needs wrk (installed with apt-get when missing) and curl. Builds in release mode with
# CARGO_TARGET_DIR (default: target/ at the repository root). See bench/README.md.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
DURATION=${DURATION:-5}
STORM=${STORM:-10}
PEERS=${PEERS-"axum-jwt actix-jwt"}
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$ROOT/target}
KEY=bench-secret-key-bench-secret-key-0123456789
PORT=${BENCH_PORT:-5077}
WORK=$(mktemp -d)
SERVER_PID=

cleanup() {
    if [[ -n $SERVER_PID ]]; then kill "$SERVER_PID" 2>/dev/null || true; wait "$SERVER_PID" 2>/dev/null || true; fi
    rm -rf "$WORK"
}
trap cleanup EXIT

if ! command -v wrk >/dev/null; then
    apt-get update -qq && apt-get install -y -qq wrk >/dev/null
fi
command -v curl >/dev/null || { apt-get update -qq && apt-get install -y -qq curl >/dev/null; }

echo "building (release, nice) ..." >&2
(cd "$ROOT" && nice cargo build -q --release --example bench_server)
for peer in $PEERS; do
    (cd "$ROOT/bench/peers/$peer" && nice cargo build -q --release)
done

binary() {
    if [[ $1 == bustjwt ]]; then echo "$CARGO_TARGET_DIR/release/examples/bench_server"
    else echo "$CARGO_TARGET_DIR/release/$1"; fi
}

kib() { awk -v k="$1" '/^'"$2"':/ { print $2 }' "/proc/$SERVER_PID/status"; }
mib() { awk -v k="$1" 'BEGIN { printf "%.1f", k / 1024 }'; }
# Resets VmHWM (the peak resident set) so each phase reports its own peak.
reset_peak() { echo 5 > "/proc/$SERVER_PID/clear_refs"; }

start() {
    SECRET_KEY=$KEY PORT=$PORT "$(binary "$1")" >"$WORK/$1.log" 2>&1 &
    SERVER_PID=$!
    for _ in $(seq 100); do
        curl -sf "http://127.0.0.1:$PORT/plain" >/dev/null 2>&1 && return 0
        sleep 0.1
    done
    echo "$1 did not start:" >&2; cat "$WORK/$1.log" >&2; exit 1
}

stop() { kill "$SERVER_PID"; wait "$SERVER_PID" 2>/dev/null || true; SERVER_PID=; }

login() {
    curl -sf -X POST "http://127.0.0.1:$PORT/login" -H 'Content-Type: application/json' \
        -d '{"username": "admin", "password": "secret"}' |
        sed -n 's/.*"access_token": *"\([^"]*\)".*/\1/p'
}

# wrk output -> "req/s p50_ms p99_ms non2xx"
parse() {
    awk '
        function ms(v) {
            if (v ~ /us$/) return substr(v, 1, length(v) - 2) / 1000
            if (v ~ /ms$/) return substr(v, 1, length(v) - 2) + 0
            if (v ~ /s$/) return substr(v, 1, length(v) - 1) * 1000
            return v
        }
        /^ +50%/ { p50 = ms($2) }
        /^ +99%/ { p99 = ms($2) }
        /Requests\/sec/ { rps = $2 }
        /Non-2xx/ { non2xx = $NF }
        /Socket errors/ { errors = $0 }
        END { printf "%.0f %.2f %.2f %d\n", rps, p50, p99, non2xx }
    ' "$1"
}

# load NAME SCENARIO CONNS SECONDS PATH [wrk args...]
load() {
    local name=$1 scenario=$2 conns=$3 secs=$4 path=$5
    shift 5
    local threads=$((conns < 2 ? 1 : 2))
    wrk -t"$threads" -c"$conns" -d"${secs}s" --timeout 10s --latency "$@" \
        "http://127.0.0.1:$PORT$path" >"$WORK/$name-$scenario.txt"
    echo "$name $scenario $(parse "$WORK/$name-$scenario.txt")" >>"$WORK/results"
}

: >"$WORK/results"
: >"$WORK/memory"
for name in bustjwt $PEERS; do
    echo "loading $name ..." >&2
    start "$name"
    idle=$(kib "$SERVER_PID" VmRSS)

    load "$name" plain-c1 1 "$DURATION" /plain
    load "$name" plain-c64 64 "$DURATION" /plain

    token=$(login)
    [[ -n $token ]] || { echo "$name: login failed" >&2; exit 1; }
    forged="${token%????}AAAA"
    reset_peak
    load "$name" me-c1 1 "$DURATION" /me -H "Authorization: Bearer $token"
    load "$name" me-c64 64 "$DURATION" /me -H "Authorization: Bearer $token"
    load "$name" me-forged-c64 64 "$DURATION" /me -H "Authorization: Bearer $forged"
    peak64=$(kib "$SERVER_PID" VmHWM)

    load "$name" login-c4 4 "$DURATION" /login -s "$ROOT/bench/login.lua"

    # The storm: 16 connections logging in for STORM seconds; /me measured at 1 connection
    # in the middle of it.
    reset_peak
    load "$name" login-storm-c16 16 "$STORM" /login -s "$ROOT/bench/login.lua" &
    storm=$!
    sleep 2
    load "$name" me-c1-in-storm 1 "$DURATION" /me -H "Authorization: Bearer $token"
    wait "$storm"
    peak_storm=$(kib "$SERVER_PID" VmHWM)
    after=$(kib "$SERVER_PID" VmRSS)
    echo "$name $(mib "$idle") $(mib "$peak64") $(mib "$peak_storm") $(mib "$after")" >>"$WORK/memory"
    stop
done

echo
echo "DURATION=${DURATION}s per run, storm ${STORM}s, $(nproc) CPUs, $(wrk --version 2>&1 | head -1 | cut -d' ' -f1-2)"
echo
printf '| %-8s | %-16s | %9s | %8s | %8s | %7s |\n' server scenario req/s "p50 ms" "p99 ms" non-2xx
printf '|%s|%s|%s|%s|%s|%s|\n' ---------- ------------------ -----------: ---------: ---------: ---------:
while read -r name scenario rps p50 p99 non2xx; do
    printf '| %-8s | %-16s | %9s | %8s | %8s | %7s |\n' "$name" "$scenario" "$rps" "$p50" "$p99" "$non2xx"
done <"$WORK/results"

echo
printf '| %-8s | %9s | %13s | %13s | %15s |\n' server "idle MiB" "peak /me MiB" "peak storm MiB" "after storm MiB"
printf '|%s|%s|%s|%s|%s|\n' ---------- -----------: ---------------: ---------------: -----------------:
while read -r name idle peak64 storm after; do
    printf '| %-8s | %9s | %13s | %13s | %15s |\n' "$name" "$idle" "$peak64" "$storm" "$after"
done <"$WORK/memory"

# Ratios against each peer, and the targets that do not involve peers.
awk '
    FNR == NR { rps[$1, $2] = $3; p99[$1, $2] = $5; next }
    { idle[$1] = $2; peak[$1] = $3; storm[$1] = $4; names[++n] = $1 }
    END {
        print ""
        b = "bustjwt"
        printf "bustjwt /me c64 / /plain c64: %.2f (target >= 0.90)\n", rps[b, "me-c64"] / rps[b, "plain-c64"]
        printf "bustjwt /me p99 in storm / without: %.2f (target <= 2.0)\n", p99[b, "me-c1-in-storm"] / p99[b, "me-c1"]
        printf "bustjwt idle RSS %s MiB (target <= 16), peak under 64 conns %s MiB (<= 32), storm peak %s MiB (<= 128)\n", idle[b], peak[b], storm[b]
        for (i = 1; i <= n; i++) {
            p = names[i]
            if (p == b) continue
            printf "vs %-9s: /me c64 %.2fx, /plain c64 %.2fx, forged c64 %.2fx, login c4 %.2fx, storm logins %.2fx (req/s ratio, >1 = bustjwt faster)\n", p,
                rps[b, "me-c64"] / rps[p, "me-c64"], rps[b, "plain-c64"] / rps[p, "plain-c64"],
                rps[b, "me-forged-c64"] / rps[p, "me-forged-c64"],
                rps[b, "login-c4"] / rps[p, "login-c4"], rps[b, "login-storm-c16"] / rps[p, "login-storm-c16"]
        }
    }
' "$WORK/results" "$WORK/memory"
