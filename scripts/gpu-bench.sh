#!/usr/bin/env bash
# Network-epochs/s of the GPU engine's fused CubeCL kernel and of burn's batched tensors on
# wgpu, on the GPU wgpu finds, for 2-1-2 at P = 1e5, 1e6, 1e7 (override with
# AEMC_GPU_BENCH_POPULATIONS=1e5,1e6). Builds with the wgpu feature first (a cold build takes
# about 40 CPU-minutes; CARGO_TARGET_DIR is honoured).
set -euo pipefail
cd "$(dirname "$0")/.."
cargo bench --features wgpu --bench gpu --no-run
# Criterion's `thrpt` line is network-epochs per second (low, estimate, high); the table at
# the end gives the estimates.
cargo bench --features wgpu --bench gpu 2>&1 | grep -E "^(adapter|no GPU)|^gpu-network-epochs|thrpt:|^\|"
