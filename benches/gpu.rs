//! Network-epochs per second on the GPU: `scripts/gpu-bench.sh` (or `cargo bench --features
//! wgpu --bench gpu`). The fused kernel against burn's batched tensors on wgpu, for 2-1-2,
//! Keras Adam, at the populations in `AEMC_GPU_BENCH_POPULATIONS` (comma-separated; default
//! 1e5, 1e6, 1e7; `AEMC_GPU_BENCH_WORK` sets the work per timed call). Criterion reports throughput in elements/s, one element being one
//! network trained for one epoch.

mod common;

use std::time::Duration;

use aemc::engine::gpu::GpuEngine;
use aemc::engine::{BurnDevice, EngineKind};
use aemc::model::Widths;
use common::{bench_engines, networks, print_table};
use criterion::{Criterion, criterion_group, criterion_main};

/// Network-epochs per timed call of the fused kernel, `AEMC_GPU_BENCH_WORK` (default 1e10:
/// about a second at the 1e10/s target; a software adapter needs far less).
fn fused_work() -> u64 {
    std::env::var("AEMC_GPU_BENCH_WORK").map_or(1e10, |w| w.parse::<f64>().expect("AEMC_GPU_BENCH_WORK: a number"))
        as u64
}
/// Steps per timed call of the batched path, whose every step launches dozens of kernels.
const BATCHED_EPOCHS: u32 = 3;

fn populations() -> Vec<usize> {
    std::env::var("AEMC_GPU_BENCH_POPULATIONS")
        .unwrap_or_else(|_| "100000,1000000,10000000".into())
        .split(',')
        .map(|p| p.trim().parse::<f64>().expect("AEMC_GPU_BENCH_POPULATIONS: comma-separated numbers") as usize)
        .collect()
}

fn gpu(c: &mut Criterion) {
    let fused = match GpuEngine::new() {
        Ok(engine) => engine,
        Err(why) => {
            eprintln!("no GPU benchmark: {why}");
            return;
        }
    };
    eprintln!("adapter: {}", fused.adapter_name());
    let batched = EngineKind::Burn.engine(BurnDevice::Wgpu).expect("the adapter the fused kernel found");
    let widths = Widths::PAPER;
    let since = std::time::SystemTime::now();
    let mut group = c.benchmark_group("gpu-network-epochs");
    group.sample_size(10).warm_up_time(Duration::from_millis(200)).measurement_time(Duration::from_secs(2));
    let populations = populations();
    for &population in &populations {
        let init = networks(widths, population);
        let fused_epochs = (fused_work() / population as u64).clamp(10, 100_000) as u32;
        bench_engines(
            &mut group,
            widths,
            &init,
            &[("fused", &fused, fused_epochs), ("batched", batched.as_ref(), BATCHED_EPOCHS)],
        );
    }
    group.finish();
    let rows: Vec<(Widths, usize)> = populations.iter().map(|&population| (widths, population)).collect();
    print_table("gpu-network-epochs", &rows, &["fused", "batched"], since);
}

criterion_group!(benches, gpu);
criterion_main!(benches);
