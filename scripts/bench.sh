#!/bin/bash
# make bench: gretool side by side with iproute2, in one run, reported as ratios.
# A benchmark, not a test: it prints numbers and never fails on them.
#
#   scripts/bench.sh GRETOOL [SECTION...]     sections: startup (default: all)
set -euo pipefail
export LC_ALL=C
gretool=$(readlink -f "${1:?usage: bench.sh GRETOOL [SECTION...]}")
shift
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
sections=("$@")
((${#sections[@]})) || sections=(startup)

if ! command -v hyperfine >/dev/null; then
    echo "bench: installing hyperfine"
    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends hyperfine >/dev/null 2>&1 ||
        { apt-get update >/dev/null && apt-get install -y --no-install-recommends hyperfine >/dev/null; }
fi

# Median of each command in a hyperfine JSON export, in milliseconds.
medians() { jq -r '.results[] | "\(.command)\t\(.median * 1000)"' "$1"; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }

startup() {
    echo "== start-to-exit: gretool link show vs ip link show (static Swift hello-world as the floor)"
    swift build -c release --static-swift-stdlib -Xlinker -s --package-path "$root/Benchmarks/Hello" \
        --scratch-path "$root/.build-bench-hello" >/dev/null 2>&1
    local hello="$root/.build-bench-hello/release/hello" out
    out=$(mktemp)
    hyperfine -N --warmup 30 --runs 500 --export-json "$out" \
        -n "ip link show" "ip link show" \
        -n "gretool link show" "$gretool link show" \
        -n "hello (Swift floor)" "$hello" >/dev/null
    local ip_ms
    ip_ms=$(medians "$out" | awk -F'\t' '$1 == "ip link show" {print $2}')
    printf '%-22s %10s %10s\n' command "median ms" "x ip"
    while IFS=$'\t' read -r name ms; do
        printf '%-22s %10.3f %10s\n' "$name" "$ms" "$(ratio "$ms" "$ip_ms")"
    done < <(medians "$out")
    echo "target: gretool link show at most 2.5x ip link show"
    rm -f "$out"
}

for section in "${sections[@]}"; do
    "$section"
    echo
done
