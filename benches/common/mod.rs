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

/// Prints a Markdown table of the throughputs (network-epochs/s) this process measured in
/// `group`: a row per `(widths, population)`, a column per engine, then the first engine's
/// throughput over the second's. Criterion keeps its estimates in files, one directory per
/// benchmark; estimates older than `since` (left by an earlier run, for a benchmark this run
/// filtered out) show as "–". Prints nothing when nothing was measured (as under `cargo test`).
pub fn print_table(group: &str, rows: &[(Widths, usize)], engines: &[&str], since: std::time::SystemTime) {
    let cells: Vec<Vec<Option<f64>>> = rows
        .iter()
        .map(|(widths, population)| {
            engines.iter().map(|engine| throughput(group, &format!("{engine}_{widths}"), *population, since)).collect()
        })
        .collect();
    if cells.iter().flatten().all(Option::is_none) {
        return;
    }
    let ratio = format!("{} / {}", engines[0], engines.get(1).unwrap_or(&engines[0]));
    println!("\n| widths | P | {} | {ratio} |", engines.join(" | "));
    println!("|---|---|{}---|", "---|".repeat(engines.len()));
    for ((widths, population), row) in rows.iter().zip(&cells) {
        let shown: Vec<String> = row.iter().map(|t| t.map_or("–".into(), per_second)).collect();
        let ratio = match (row[0], row.get(1).copied().flatten()) {
            (Some(a), Some(b)) => format!("{:.1}×", a / b),
            _ => "–".into(),
        };
        println!("| {widths} | {population} | {} | {ratio} |", shown.join(" | "));
    }
}

/// `x` per second with an SI prefix, as criterion prints throughputs.
fn per_second(x: f64) -> String {
    match x {
        x if x >= 1e9 => format!("{:.2} G/s", x / 1e9),
        x if x >= 1e6 => format!("{:.2} M/s", x / 1e6),
        x => format!("{:.1} K/s", x / 1e3),
    }
}

/// Elements per second of one benchmark by criterion's point estimate of its time (the
/// slope of its linear sampling, as criterion reports it), if measured since `since`.
fn throughput(group: &str, function: &str, population: usize, since: std::time::SystemTime) -> Option<f64> {
    let home = std::env::var_os("CRITERION_HOME").map(std::path::PathBuf::from).unwrap_or_else(|| {
        std::path::PathBuf::from(std::env::var_os("CARGO_TARGET_DIR").unwrap_or_else(|| "target".into()))
            .join("criterion")
    });
    let dir = home.join(group).join(function).join(population.to_string()).join("new");
    let estimates = dir.join("estimates.json");
    if std::fs::metadata(&estimates).and_then(|m| m.modified()).ok()? < since {
        return None;
    }
    let read = |name: &str| -> Option<serde_json::Value> {
        serde_json::from_str(&std::fs::read_to_string(dir.join(name)).ok()?).ok()
    };
    let elements = read("benchmark.json")?["throughput"]["Elements"].as_f64()?;
    let estimates = read("estimates.json")?;
    let nanoseconds = estimates["slope"]["point_estimate"].as_f64().or(estimates["mean"]["point_estimate"].as_f64())?;
    Some(elements / (nanoseconds * 1e-9))
}
