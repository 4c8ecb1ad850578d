#!/usr/bin/env bash
# Runs the token-engine criterion bench (bustjwt-core/benches/tokens.rs) RUNS times and prints
# the bustjwt / jsonwebtoken time ratio of each pair per run, then their medians.
#
#   bench/tokens.sh            # 5 runs
#   RUNS=9 bench/tokens.sh
#
# Why several runs: criterion measures the two sides of a pair one after the other, and on a
# shared machine the speed drifts between them, so one run's ratio can be off by 15 % or more.
# The median of a few runs is what bench/README.md quotes.
#
# Then it runs bustjwt-core/benches/paired.rs PAIRED_RUNS times (default 3): the same pairs
# measured interleaved, block against block, which is much less sensitive to that drift.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
RUNS=${RUNS:-5}
PAIRED_RUNS=${PAIRED_RUNS:-3}
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

cd "$ROOT"
echo "building (release, nice) ..." >&2
nice cargo bench -q -p bustjwt-core --bench tokens --bench paired --no-run 2>/dev/null

# criterion's line "time:   [low estimate high]" in nanoseconds, per benchmark id.
ns() {
    awk -v id="$1" '
        $1 == id || prev == id {
            if ($0 ~ /time:/) {
                split($0, a, "[");
                n = split(a[2], f, " ");
                v = f[3]; u = f[4];
                if (u ~ /^µs/) v *= 1000; else if (u ~ /^ms/) v *= 1000000;
                print v; exit
            }
        }
        { prev = $1 }
    ' "$2"
}

for run in $(seq "$RUNS"); do
    echo "run $run/$RUNS ..." >&2
    nice cargo bench -q -p bustjwt-core --bench tokens -- --warm-up-time 1 --measurement-time 3 \
        >"$WORK/run-$run.txt" 2>/dev/null
    {
        for group in create_access_token decode_token reject_bad_signature; do
            ours=$(ns "$group/bustjwt" "$WORK/run-$run.txt")
            theirs=$(ns "$group/jsonwebtoken" "$WORK/run-$run.txt")
            awk -v g="$group" -v a="$ours" -v b="$theirs" 'BEGIN { printf "%s %.0f %.0f %.3f\n", g, a, b, a / b }'
        done
        echo "os_random_16_bytes $(ns os_random_16_bytes "$WORK/run-$run.txt") 0 0"
    } >>"$WORK/ratios"
done

median() { sort -n | awk '{ v[NR] = $1 } END { print (NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2) }'; }

echo
echo "$RUNS runs; time per call in ns (criterion's estimate), ratio = bustjwt / jsonwebtoken"
echo
printf '| %-22s | %-40s | %6s | %-8s |\n' benchmark "ratio per run" median target
printf '|%s|%s|%s|%s|\n' ------------------------ ------------------------------------------ -------: ----------
for group in create_access_token decode_token reject_bad_signature; do
    per_run=$(awk -v g="$group" '$1 == g { printf "%s ", $4 }' "$WORK/ratios")
    med=$(awk -v g="$group" '$1 == g { print $4 }' "$WORK/ratios" | median)
    case $group in
        create_access_token) target="<= 0.7" ;;
        *) target="<= 0.6" ;;
    esac
    printf '| %-22s | %-40s | %6.3f | %-8s |\n' "$group" "$per_run" "$med" "$target"
done
rng=$(awk '$1 == "os_random_16_bytes" { print $2 }' "$WORK/ratios" | median)
ours=$(awk '$1 == "create_access_token" { print $2 }' "$WORK/ratios" | median)
theirs=$(awk '$1 == "create_access_token" { print $3 }' "$WORK/ratios" | median)
echo
awk -v r="$rng" -v a="$ours" -v b="$theirs" 'BEGIN {
    printf "median os_random_16_bytes %.0f ns (paid by both create rows); create without it: %.3f\n", r, (a - r) / (b - r)
}'

# The same pairs interleaved (bustjwt-core/benches/paired.rs): blocks of calls of the two sides
# take turns, so drift between them cancels; PAIRED_RUNS runs, each a median of 301 pair ratios.
echo
echo "interleaved (cargo bench -p bustjwt-core --bench paired), $PAIRED_RUNS runs:"
for run in $(seq "$PAIRED_RUNS"); do
    nice cargo bench -q -p bustjwt-core --bench paired 2>/dev/null | grep '^paired'
done
