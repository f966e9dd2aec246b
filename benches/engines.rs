//! Network-epochs per second of the engines: `cargo bench`.
//! Criterion reports throughput in elements/s, one element being one network trained for
//! one epoch (full batch, Keras Adam).

mod common;

use std::time::Duration;

use aemc::engine::burn::Product;
use aemc::engine::{BurnEngine, Engine, NativeEngine};
use aemc::model::Widths;
use common::{bench_engines, networks, print_table};
use criterion::{Criterion, criterion_group, criterion_main};

fn engines(c: &mut Criterion) {
    let since = std::time::SystemTime::now();
    let mut group = c.benchmark_group("network-epochs");
    group.sample_size(10).warm_up_time(Duration::from_millis(500)).measurement_time(Duration::from_secs(3));
    let (burn, burn_matmul) = (BurnEngine::flex(), BurnEngine::flex().with_product(Product::Matmul));
    let rows: Vec<(Widths, usize)> = [Widths::PAPER, Widths::new(5, 2, 5).unwrap()]
        .into_iter()
        .flat_map(|widths| [1_000usize, 10_000, 100_000].map(|population| (widths, population)))
        .collect();
    let engines: [(&str, &dyn Engine, u32); 3] =
        [("native", &NativeEngine, 200), ("burn", &burn, 10), ("burn-matmul", &burn_matmul, 10)];
    for &(widths, population) in &rows {
        bench_engines(&mut group, widths, &networks(widths, population), &engines);
    }
    group.finish();
    print_table("network-epochs", &rows, &engines.map(|(name, ..)| name), since);
}

criterion_group!(benches, engines);
criterion_main!(benches);
