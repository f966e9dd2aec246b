//! What the engine benchmarks share: the networks they train and how one engine is timed.

use aemc::engine::{Engine, TrainSpec};
use aemc::model::{Initializer, ParamLayout, Widths};
use aemc::optim::Optimizer;
use aemc::study::seed::RunRng;
use criterion::measurement::WallTime;
use criterion::{BenchmarkGroup, BenchmarkId, Throughput};

/// `n` glorot-uniform networks of `widths`, from seed 1.
pub fn networks(widths: Widths, n: usize) -> Vec<Vec<f32>> {
    let layout = ParamLayout::new(widths);
    let mut rng = RunRng::new(1);
    (0..n).map(|_| Initializer::GlorotUniform.draw(&layout, &mut rng)).collect()
}

/// Times each `(name, engine, epochs)` training `init` with Keras Adam at lr 1e-3; throughput
/// is counted in network-epochs.
pub fn bench_engines(
    group: &mut BenchmarkGroup<WallTime>,
    widths: Widths,
    init: &[Vec<f32>],
    engines: &[(&str, &dyn Engine, u32)],
) {
    for &(name, engine, epochs) in engines {
        let spec = TrainSpec { widths, optimizer: Optimizer::Adam, lr: 1e-3, epochs };
        group.throughput(Throughput::Elements(init.len() as u64 * epochs as u64));
        group.bench_with_input(BenchmarkId::new(format!("{name}/{widths}"), init.len()), init, |b, init| {
            b.iter(|| engine.train(&spec, init))
        });
    }
}
