//! Network-epochs per second of the engines: `cargo bench --bench engines`. Criterion reports
//! throughput in elements/s, one element being one network trained for one epoch (full
//! batch, Keras Adam). Two groups, each ending with a Markdown table of this run's estimates:
//!
//! - `network-epochs`: the CPU engines from initial weights (epochs 1–200 for native,
//!   1–10 for burn), at three population sizes;
//! - `late-training`: the native kernel of every instruction set this CPU runs, for epochs
//!   1–200 (`early`) and for epochs 19 801–20 000 (`late`), from the parameters and Adam
//!   moments a one-off training of 19 800 epochs leaves. Studies train 20 000 epochs, so a
//!   slowdown late in training (subnormal floats, for one) shows here;
//! - `lines-32`: A1 2-1-2 on the 32 × 32 line images in mini-batches of 32, native and burn;
//! - `mnist`: A1 64-8-64 on 5958 images of 28 × 28 in mini-batches of 32, native and burn.

mod common;

use std::time::Duration;

use aemc::engine::burn::Product;
use aemc::engine::native::Isa;
use aemc::engine::{BurnEngine, Engine, NativeEngine, TrainSpec, TrainState};
use aemc::model::Widths;
use aemc::optim::Optimizer;
use common::{bench_engines, bench_states, networks, print_table};
use criterion::{Criterion, criterion_group, criterion_main};

/// Epochs a study trains, and the epochs each timed call of `late-training` trains.
const STUDY_EPOCHS: u32 = 20_000;
const TIMED_EPOCHS: u32 = 200;

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
        [("native", &NativeEngine, TIMED_EPOCHS), ("burn", &burn, 10), ("burn-matmul", &burn_matmul, 10)];
    for &(widths, population) in &rows {
        bench_engines(&mut group, widths, &networks(widths, population), &engines);
    }
    group.finish();
    print_table("network-epochs", &rows, &engines.map(|(name, ..)| name), since);
}

fn late_training(c: &mut Criterion) {
    let since = std::time::SystemTime::now();
    let mut group = c.benchmark_group("late-training");
    group.sample_size(10).warm_up_time(Duration::from_millis(500)).measurement_time(Duration::from_secs(3));
    let population = 10_000;
    let isas: Vec<Isa> = Isa::ALL.into_iter().filter(|i| i.available()).collect();
    let mut columns = Vec::new();
    for isa in &isas {
        columns.extend([format!("{}-early", isa.name()), format!("{}-late", isa.name())]);
    }
    let rows: Vec<(Widths, usize)> =
        [Widths::PAPER, Widths::new(5, 2, 5).unwrap()].into_iter().map(|w| (w, population)).collect();
    for &(widths, population) in &rows {
        let early = TrainState::new(&networks(widths, population));
        let mut late = early.clone();
        let trained_before =
            TrainSpec { widths, optimizer: Optimizer::Adam, lr: 1e-3, epochs: STUDY_EPOCHS - TIMED_EPOCHS, vae: None };
        NativeEngine.train_further(&trained_before, &mut late);
        let states: Vec<(String, Isa, &TrainState)> = isas
            .iter()
            .flat_map(|&isa| {
                [(format!("{}-early", isa.name()), isa, &early), (format!("{}-late", isa.name()), isa, &late)]
            })
            .collect();
        bench_states(&mut group, widths, TIMED_EPOCHS, &states);
    }
    group.finish();
    let columns: Vec<&str> = columns.iter().map(String::as_str).collect();
    print_table("late-training", &rows, &columns, since);
}

/// A1 2-1-2 on the paper's 32 × 32 line images (1000 images, mini-batches of 32, each run in
/// its own order): 64 networks trained together for one epoch a call, by the native kernel
/// for any image size and by burn on Flex, and A2 by the native kernel ("vae-early"). "early"
/// starts from the initial networks; "late" from the same networks after 300 epochs, where
/// outputs have saturated (late training is where subnormals and saturated sigmoids would
/// cost, docs/performance.md).
fn lines_32(c: &mut Criterion) {
    images_group(c, "lines-32", aemc::data::lines::lines(32, 1000, 1), Widths::PAPER, 64, 300, true);
}

/// The MNIST appendix's shape: A1 64-8-64 on 5958 images of 28 × 28 (line images standing in
/// for the digits of 2: the timing depends on the shapes alone) in mini-batches of 32, 4
/// networks a call; "late" after 20 epochs. The JAX peer is `scripts/jax_lines_baseline.py 4 3
/// 5958 28 64-8-64`.
fn mnist(c: &mut Criterion) {
    let widths = Widths::new(64, 8, 64).expect("valid widths");
    images_group(c, "mnist", aemc::data::lines::lines(28, 5958, 1), widths, 4, 20, false);
}

/// One epoch of `population` networks of `widths` on `data` in mini-batches of 32 a call, by
/// the native kernel and burn on Flex, from the initial networks and after `late_epochs`; with
/// `vae`, A2 (the paper's reading) by the native kernel too.
fn images_group(
    c: &mut Criterion,
    name: &str,
    data: aemc::data::Dataset,
    widths: Widths,
    population: usize,
    late_epochs: u32,
    vae: bool,
) {
    use aemc::engine::{Batching, Engine, NativeEngine};
    use aemc::model::{Initializer, ParamLayout};
    use aemc::rng::RunRng;
    use criterion::Throughput;
    let mut group = c.benchmark_group(name);
    group.sample_size(10).warm_up_time(Duration::from_millis(500)).measurement_time(Duration::from_secs(5));
    let draw = |layout: &ParamLayout| -> Vec<Vec<f32>> {
        let mut rng = RunRng::new(1);
        (0..population).map(|_| Initializer::GlorotUniform.draw(layout, &mut rng)).collect()
    };
    let init = draw(&ParamLayout::for_pixels(data.pixels(), widths));
    let seeds: Vec<u64> = (0..population as u64).collect();
    let batching = Batching::MiniBatch { size: 32 };
    let spec = TrainSpec { widths, optimizer: Optimizer::Adam, lr: 1e-3, epochs: 1, vae: None };
    let late = NativeEngine.train_on(&TrainSpec { epochs: late_epochs, ..spec }, &data, batching, &init, &seeds);
    group.throughput(Throughput::Elements(population as u64));
    let engines: [(&str, &dyn Engine); 2] = [("native", &NativeEngine), ("burn", &BurnEngine::flex())];
    for (engine_name, engine) in engines {
        for (stage, start) in [("early", &init), ("late", &late)] {
            group.bench_function(format!("{engine_name}/{widths}/{population}/{stage}"), |b| {
                b.iter(|| engine.train_on(&spec, &data, batching, start, &seeds))
            });
        }
    }
    if vae {
        // A2 (the paper's reading) beside A1, from the same networks with the b head appended.
        let vae_init = draw(&ParamLayout::vae(data.pixels(), widths));
        let vae_spec = TrainSpec { vae: Some(aemc::model::vae::VaeSpec::PAPER), ..spec };
        group.bench_function(format!("native/{widths}/{population}/vae-early"), |b| {
            b.iter(|| NativeEngine.train_on(&vae_spec, &data, batching, &vae_init, &seeds))
        });
    }
    group.finish();
}

criterion_group!(benches, engines, late_training, lines_32, mnist);
criterion_main!(benches);
