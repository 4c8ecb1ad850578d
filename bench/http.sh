#!/usr/bin/env bash
# HTTP load test of examples/bench_server.rs and its peers (bench/peers/*): /plain, /me (valid
# and forged tokens), /login, and /me during a login storm, with wrk; prints one table.
#
#   bench/http.sh                 # bustjwt, axum-jwt and actix-jwt
#   PEERS="axum-jwt" bench/http.sh
#   PEERS="" DURATION=3 bench/http.sh
#   ROUNDS=5 bench/http.sh        # more interleaved rounds for the headline ratios (default 3)
#
# Needs wrk (installed with apt-get when missing) and curl. Builds in release mode with
# CARGO_TARGET_DIR (default: target/ at the repository root). See bench/README.md.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
DURATION=${DURATION:-5}
STORM=${STORM:-10}
PEERS=${PEERS-"axum-jwt actix-jwt"}
ROUNDS=${ROUNDS:-3}
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$ROOT/target}
KEY=bench-secret-key-bench-secret-key-0123456789
BASE_PORT=${BENCH_PORT:-5077}
PORT=$BASE_PORT
WORK=$(mktemp -d)
SERVER_PID=
ROUND_PIDS=()

cleanup() {
    for pid in $SERVER_PID "${ROUND_PIDS[@]}"; do
        kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true
    done
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

# load NAME SCENARIO CONNS SECONDS PATH [wrk args...]; appends to $RESULTS ($WORK/results).
load() {
    local name=$1 scenario=$2 conns=$3 secs=$4 path=$5
    shift 5
    local threads=$((conns < 2 ? 1 : 2))
    wrk -t"$threads" -c"$conns" -d"${secs}s" --timeout 10s --latency "$@" \
        "http://127.0.0.1:$PORT$path" >"$WORK/$name-$scenario.txt"
    echo "$name $scenario $(parse "$WORK/$name-$scenario.txt")" >>"${RESULTS:-$WORK/results}"
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

# Interleaved rounds for the headline ratios: every server runs at once on its own port and the
# cases take turns (server after server, round after round), so a shared machine's drift hits
# them all alike; the median of ROUNDS runs is reported. One run per server, as above, would
# compare a server measured now with one measured minutes later.
: >"$WORK/rounds"
if ((ROUNDS > 0)); then
    echo "interleaved rounds ($ROUNDS) ..." >&2
    declare -A ROUND_PORT ROUND_TOKEN
    offset=0
    for name in bustjwt $PEERS; do
        offset=$((offset + 1))
        PORT=$((BASE_PORT + offset))
        start "$name"
        ROUND_PIDS+=("$SERVER_PID")
        SERVER_PID=
        ROUND_PORT[$name]=$PORT
        ROUND_TOKEN[$name]=$(login)
        [[ -n ${ROUND_TOKEN[$name]} ]] || { echo "$name: login failed" >&2; exit 1; }
    done
    for round in $(seq "$ROUNDS"); do
        for name in bustjwt $PEERS; do
            PORT=${ROUND_PORT[$name]}
            RESULTS=$WORK/rounds load "$name" plain-c64 64 "$DURATION" /plain
            RESULTS=$WORK/rounds load "$name" me-c64 64 "$DURATION" /me \
                -H "Authorization: Bearer ${ROUND_TOKEN[$name]}"
            RESULTS=$WORK/rounds load "$name" me-c1 1 "$DURATION" /me \
                -H "Authorization: Bearer ${ROUND_TOKEN[$name]}"
        done
    done
fi

echo
echo "DURATION=${DURATION}s per run, storm ${STORM}s, $ROUNDS interleaved rounds, $(nproc) CPUs, $(wrk --version 2>&1 | head -1 | cut -d' ' -f1-2)"
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

# Medians of the interleaved rounds: "name scenario rps p50 p99 runs".
median() { sort -n | awk '{ v[NR] = $1 } END { if (NR) print (NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2) }'; }
: >"$WORK/medians"
if [[ -s $WORK/rounds ]]; then
    while read -r name scenario; do
        pick() { awk -v n="$name" -v s="$scenario" -v c="$1" '$1 == n && $2 == s { print $c }' "$WORK/rounds" | median; }
        runs=$(awk -v n="$name" -v s="$scenario" '$1 == n && $2 == s' "$WORK/rounds" | wc -l)
        echo "$name $scenario $(pick 3) $(pick 4) $(pick 5) $runs" >>"$WORK/medians"
    done < <(awk '{ print $1, $2 }' "$WORK/rounds" | awk '!seen[$0]++')
    echo
    echo "Interleaved rounds, median of each (req/s, p50, p99 taken separately):"
    echo
    printf '| %-8s | %-16s | %9s | %8s | %8s | %4s |\n' server scenario req/s "p50 ms" "p99 ms" runs
    printf '|%s|%s|%s|%s|%s|%s|\n' ---------- ------------------ -----------: ---------: ---------: -----:
    while read -r name scenario rps p50 p99 runs; do
        printf '| %-8s | %-16s | %9.0f | %8.2f | %8.2f | %4s |\n' "$name" "$scenario" "$rps" "$p50" "$p99" "$runs"
    done <"$WORK/medians"
fi

# Ratios against each peer, and the targets that do not involve peers. The c64 throughput and
# the quiet /me c1 p99 come from the interleaved medians when there are rounds.
awk '
    FILENAME ~ /results$/ { rps[$1, $2] = $3; p99[$1, $2] = $5; next }
    FILENAME ~ /medians$/ { rps[$1, $2] = $3; p99[$1, $2] = $5; next }
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
' "$WORK/results" "$WORK/medians" "$WORK/memory"
