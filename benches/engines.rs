//! Network-epochs per second of the engines: `cargo bench`.
//! Criterion reports throughput in elements/s, one element being one network trained for
//! one epoch (full batch, Keras Adam).

use std::time::Duration;

use aemc::engine::burn::Product;
use aemc::engine::{BurnEngine, Engine, NativeEngine, TrainSpec};
use aemc::model::{Initializer, ParamLayout, Widths};
use aemc::optim::Optimizer;
use aemc::study::seed::RunRng;
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};

fn engines(c: &mut Criterion) {
    let mut group = c.benchmark_group("network-epochs");
    group.sample_size(10).warm_up_time(Duration::from_millis(500)).measurement_time(Duration::from_secs(3));
    for widths in [Widths::PAPER, Widths::new(5, 2, 5).unwrap()] {
        let layout = ParamLayout::new(widths);
        for population in [1_000usize, 10_000, 100_000] {
            let mut rng = RunRng::new(1);
            let init: Vec<Vec<f32>> =
                (0..population).map(|_| Initializer::GlorotUniform.draw(&layout, &mut rng)).collect();
            let engines: [(&str, Box<dyn Engine>, u32); 3] = [
                ("native", Box::new(NativeEngine), 200),
                ("burn", Box::new(BurnEngine::flex()), 10),
                ("burn-matmul", Box::new(BurnEngine::flex().with_product(Product::Matmul)), 10),
            ];
            for (name, engine, epochs) in engines {
                let spec = TrainSpec { widths, optimizer: Optimizer::Adam, lr: 1e-3, epochs };
                group.throughput(Throughput::Elements(population as u64 * epochs as u64));
                group.bench_with_input(BenchmarkId::new(format!("{name}/{widths}"), population), &init, |b, init| {
                    b.iter(|| engine.train(&spec, init))
                });
            }
        }
    }
    group.finish();
}

criterion_group!(benches, engines);
criterion_main!(benches);
