#!/usr/bin/env bash
# Where the `/me` tail latency during a login storm goes: runs examples/bench_server.rs, starts
# the same storm as bench/http.sh (16 connections logging in), measures `/me` at one connection
# in the middle of it, and records the kernel scheduler meanwhile (`perf sched record -a`).
# Prints wrk's latencies, then the times a server worker or a wrk thread was ready to run but
# waited more than THRESHOLD_MS (default 1) for a CPU: the first SHOW (default 8) with what ran
# on that CPU instead (and its scheduling policy) and how long the other CPUs were idle
# meanwhile, then all of them summed up by what held the CPU (bench/sched_waits.py). The
# recorder itself (`perf`) takes CPU time too and shows up among the causes.
#
#   bench/storm-sched.sh
#   HASH_POLICY=idle bench/storm-sched.sh     # the hashing threads in SCHED_IDLE (chrt -i)
#
# Needs root (perf sched records every CPU), wrk, curl, perf (Debian's linux-perf) and
# python3; installs wrk, curl and linux-perf with apt-get when missing. See bench/README.md.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$ROOT/target}
PORT=${BENCH_PORT:-5091}
THRESHOLD_MS=${THRESHOLD_MS:-1}
SHOW=${SHOW:-8}
HASH_POLICY=${HASH_POLICY:-as-built}
WORK=$(mktemp -d)
SERVER_PID=
cleanup() {
    [[ -n $SERVER_PID ]] && { kill "$SERVER_PID" 2>/dev/null || true; wait "$SERVER_PID" 2>/dev/null || true; }
    rm -rf "$WORK"
}
trap cleanup EXIT

need() { command -v "$1" >/dev/null || { apt-get update -qq && apt-get install -y -qq "$2" >/dev/null; }; }
need wrk wrk
need curl curl
need perf linux-perf
command -v python3 >/dev/null || { echo "python3 is needed for the analysis" >&2; exit 1; }

echo "building (release, nice) ..." >&2
(cd "$ROOT" && nice cargo build -q --release --example bench_server)
SECRET_KEY=bench-secret-key-bench-secret-key-0123456789 PORT=$PORT \
    "$CARGO_TARGET_DIR/release/examples/bench_server" >"$WORK/server.log" 2>&1 &
SERVER_PID=$!
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$PORT/plain" >/dev/null 2>&1 && break; sleep 0.1; done

token=$(curl -sf -X POST "http://127.0.0.1:$PORT/login" -H 'Content-Type: application/json' \
    -d '{"username": "admin", "password": "secret"}' | sed -n 's/.*"access_token": *"\([^"]*\)".*/\1/p')
[[ -n $token ]] || { echo "login failed" >&2; cat "$WORK/server.log" >&2; exit 1; }

if [[ $HASH_POLICY == idle ]]; then
    for task in /proc/"$SERVER_PID"/task/*; do
        grep -q '^bustjwt-hash' "$task/comm" && chrt -i -p 0 "${task##*/}"
    done
fi

wrk -t2 -c16 -d9s --latency -s "$ROOT/bench/login.lua" "http://127.0.0.1:$PORT/login" >"$WORK/storm.txt" &
storm=$!
sleep 2
perf sched record -a -o "$WORK/sched.data" -- sleep 4 >/dev/null 2>&1 &
recorder=$!
wrk -t1 -c1 -d5s --latency -H "Authorization: Bearer $token" "http://127.0.0.1:$PORT/me" >"$WORK/me.txt"
wait "$recorder" "$storm"

echo "hashing threads: $HASH_POLICY; /me at 1 connection during the storm:"
grep -E '^ +(50|90|99)%|Requests/sec' "$WORK/me.txt"
echo "storm logins: $(awk '/Requests\/sec/ { print $2 }' "$WORK/storm.txt") per second"
echo

perf sched timehist -i "$WORK/sched.data" -w 2>/dev/null >"$WORK/timehist.txt"
for task in /proc/"$SERVER_PID"/task/*; do
    echo "${task##*/} $(cat "$task/comm") $(chrt -p "${task##*/}" | awk -F': ' '/policy/ { print $2; exit }'), nice $(awk '{ print $19 }' "$task/stat")"
done >"$WORK/threads.txt"

python3 "$ROOT/bench/sched_waits.py" "$WORK/timehist.txt" "$WORK/threads.txt" "$THRESHOLD_MS" "$SHOW"
