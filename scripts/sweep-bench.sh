#!/usr/bin/env bash
# Whole-process throughput: times `aemc sweep --widths 2-1-2 --runs 20000 --epochs 20000`
# (4e8 network-epochs, every run trained to the study length, results written) and prints
# network-epochs per second. Arguments after the script's name replace the widths, runs and
# epochs: scripts/sweep-bench.sh 5-2-5 20000 20000. AEMC_ISA and --threads-like settings
# pass through the environment (AEMC_ISA=portable scripts/sweep-bench.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
widths="${1:-2-1-2}" runs="${2:-20000}" epochs="${3:-20000}"
cargo build --release --quiet
bin="${CARGO_TARGET_DIR:-target}/release/aemc"
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
start=$(date +%s.%N)
"$bin" sweep --widths "$widths" --runs "$runs" --epochs "$epochs" --out "$out/sweep" > /dev/null
end=$(date +%s.%N)
cpu=$(grep -m1 'model name' /proc/cpuinfo 2>/dev/null | cut -d: -f2- | sed 's/^ //' || echo unknown)
awk -v s="$start" -v e="$end" -v n="$runs" -v ep="$epochs" -v w="$widths" -v cpu="$cpu" -v cores="$(nproc)" 'BEGIN {
    t = e - s; printf "sweep %s, %d runs x %d epochs: %.1f s, %.3g network-epochs/s (%s, %d cores)\n", w, n, ep, t, n * ep / t, cpu, cores
}'
