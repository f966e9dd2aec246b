//! What the engine benchmarks share: the networks they train and how one engine is timed.
#![allow(dead_code)] // each benchmark uses its own subset

use aemc::engine::native::Isa;
use aemc::engine::{Engine, NativeEngine, TrainSpec, TrainState};
use aemc::model::{Initializer, ParamLayout, Widths};
use aemc::optim::Optimizer;
use aemc::report::table::Table;
use aemc::rng::RunRng;
use criterion::measurement::WallTime;
use criterion::{BatchSize, BenchmarkGroup, BenchmarkId, Throughput};

mod estimates;
use estimates::{per_second, throughput};

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
        let spec = TrainSpec { widths, optimizer: Optimizer::Adam, lr: 1e-3, epochs, vae: None };
        group.throughput(Throughput::Elements(init.len() as u64 * epochs as u64));
        group.bench_with_input(BenchmarkId::new(format!("{name}/{widths}"), init.len()), init, |b, init| {
            b.iter(|| engine.train(&spec, init))
        });
    }
}

/// Times each `(name, isa, state)` training `epochs` epochs further from `state` (a fresh
/// copy each iteration, not timed) with Keras Adam at lr 1e-3; throughput is counted in
/// network-epochs.
pub fn bench_states(
    group: &mut BenchmarkGroup<WallTime>,
    widths: Widths,
    epochs: u32,
    states: &[(String, Isa, &TrainState)],
) {
    let spec = TrainSpec { widths, optimizer: Optimizer::Adam, lr: 1e-3, epochs, vae: None };
    for (name, isa, state) in states {
        let population = state.params.len();
        group.throughput(Throughput::Elements(population as u64 * epochs as u64));
        group.bench_function(BenchmarkId::new(format!("{name}/{widths}"), population), |b| {
            b.iter_batched_ref(
                || (*state).clone(),
                |s| NativeEngine.train_further_with(*isa, &spec, s),
                BatchSize::LargeInput,
            )
        });
    }
}

/// Prints a Markdown table of the throughputs (network-epochs/s) this process measured in
/// `group`: a row per `(widths, population)`, a column per engine, then the first engine's
/// throughput over the second's. Criterion keeps its estimates in files, one directory per
/// benchmark; estimates older than `since` (left by an earlier run, for a benchmark this run
/// filtered out) show as "–". Prints nothing when nothing was measured (as under `cargo test`).
pub fn print_table(group: &str, rows: &[(Widths, usize)], engines: &[&str], since: std::time::SystemTime) {
    let cells: Vec<Vec<Option<f64>>> = rows
        .iter()
        .map(|(widths, population)| {
            engines.iter().map(|engine| throughput(&format!("{group}/{engine}_{widths}/{population}"), since)).collect()
        })
        .collect();
    if cells.iter().flatten().all(Option::is_none) {
        return;
    }
    let ratio = format!("{} / {}", engines[0], engines.get(1).unwrap_or(&engines[0]));
    let headers: Vec<&str> = ["widths", "P"].iter().chain(engines).chain([&ratio.as_str()]).copied().collect();
    let mut table = Table::new(&headers);
    for ((widths, population), row) in rows.iter().zip(&cells) {
        let ratio = match (row[0], row.get(1).copied().flatten()) {
            (Some(a), Some(b)) => format!("{:.2}×", a / b),
            _ => "–".into(),
        };
        let shown = row.iter().map(|t| t.map_or("–".into(), per_second));
        table.push([widths.to_string(), population.to_string()].into_iter().chain(shown).chain([ratio]).collect());
    }
    print!("\n{}", table.to_markdown());
}
