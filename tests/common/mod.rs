//! Helpers shared by the tests that drive the binary.
#![allow(dead_code)] // each test crate uses its own subset

use std::path::Path;
use std::process::{Command, Output};

use aemc::engine::Engine;
use aemc::model::{Initializer, ParamLayout, Widths};
use aemc::outcome::OutcomeClass;
use aemc::rng::RunRng;
use aemc::study::StudySpec;
use aemc::study::run::{RunOptions, run_study};

/// The aemc binary, ready for arguments.
pub fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_aemc"))
}

/// Runs the binary to completion.
pub fn aemc(args: &[&str]) -> Output {
    bin().args(args).output().expect("the binary runs")
}

/// Asserts the binary succeeded, showing its stderr where it did not.
pub fn ok(o: Output) -> Output {
    assert!(o.status.success(), "failed: {}", String::from_utf8_lossy(&o.stderr));
    o
}

/// `aemc run STUDY --out OUT EXTRA...`.
pub fn run(study: &str, out: &Path, extra: &[&str]) -> Output {
    let mut args = vec!["run", study, "--out", out.to_str().unwrap()];
    args.extend(extra);
    aemc(&args)
}

/// Writes a study file named `name` into `dir`; returns its path.
pub fn study_file(dir: &Path, name: &str, body: &str) -> String {
    let path = dir.join(name);
    std::fs::write(&path, body).unwrap();
    path.to_str().unwrap().to_string()
}

/// Asserts one line on stderr containing `needle`, and the exit code.
pub fn one_line_error(o: &Output, code: i32, needle: &str) {
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(code), "{stderr}");
    assert_eq!(stderr.trim_end().lines().count(), 1, "not one line: {stderr}");
    assert!(stderr.contains(needle), "{stderr} lacks {needle}");
}

/// `n` networks of `widths` drawn by `init` from one seed.
pub fn networks(widths: Widths, init: Initializer, n: usize, seed: u64) -> Vec<Vec<f32>> {
    let layout = ParamLayout::new(widths);
    let mut rng = RunRng::new(seed);
    (0..n).map(|_| init.draw(&layout, &mut rng)).collect()
}

/// The largest difference between corresponding parameters of two populations.
pub fn max_difference(a: &[Vec<f32>], b: &[Vec<f32>]) -> f32 {
    a.iter().flatten().zip(b.iter().flatten()).map(|(x, y)| (x - y).abs()).fold(0.0, f32::max)
}

/// The study the engines' class frequencies are compared on: 20000 runs of 2-1-2, 1000
/// epochs at lr 0.01.
pub fn agreement_study() -> StudySpec {
    StudySpec::from_toml("name = \"agree\"\nruns = 20000\nwidths = [\"2-1-2\"]\nepochs = [1000]\nlr = [0.01]\n")
        .unwrap()
}

/// Runs of each class (in `OutcomeClass::ALL` order) when `engine` trains `spec`.
pub fn class_counts(spec: &StudySpec, engine: &dyn Engine, population: usize) -> [u64; OutcomeClass::ALL.len()] {
    let mut counts = [0u64; OutcomeClass::ALL.len()];
    let options = RunOptions { threads: 2, population };
    run_study(spec, &spec.load_datasets().unwrap(), engine, &options, 0..spec.runs, 0, |wave| {
        for r in wave {
            counts[OutcomeClass::ALL.iter().position(|&k| k == r.squares.as_ref().unwrap().outcome.class).unwrap()] +=
                1;
        }
        Ok::<(), ()>(())
    })
    .unwrap();
    counts
}

/// Asserts, for every class, that two engines' frequencies over `runs` runs differ by at most
/// 5 standard errors of a difference of two independent proportions (conservative: the runs
/// are paired, same initial weights).
pub fn assert_class_frequencies_agree(
    runs: u64,
    (name_a, a): (&str, [u64; OutcomeClass::ALL.len()]),
    (name_b, b): (&str, [u64; OutcomeClass::ALL.len()]),
) {
    let n = runs as f64;
    for (k, class) in OutcomeClass::ALL.iter().enumerate() {
        let (a, b) = (a[k] as f64 / n, b[k] as f64 / n);
        let se = ((a * (1.0 - a) + b * (1.0 - b)) / n).sqrt();
        println!("{class}: {name_a} {a:.4}, {name_b} {b:.4}");
        assert!((a - b).abs() <= 5.0 * se + 1e-12, "{class}: {name_a} {a}, {name_b} {b}, se {se}");
    }
}

/// Whether the GPU tests must run rather than skip: `AEMC_REQUIRE_GPU=1`, which CI sets for
/// its wgpu run so that a missing adapter fails instead of passing unchecked.
pub fn gpu_required() -> bool {
    std::env::var("AEMC_REQUIRE_GPU").is_ok_and(|v| v == "1")
}

/// What a GPU test runs on, or `None` after saying why it is skipped; when `required`, a
/// missing adapter is a test failure.
pub fn found_or_skip<T>(found: Result<T, String>, required: bool) -> Option<T> {
    match found {
        Ok(t) => Some(t),
        Err(why) if required => panic!("AEMC_REQUIRE_GPU=1 but no GPU adapter: {why}"),
        Err(why) => {
            eprintln!("skipped (set AEMC_REQUIRE_GPU=1 to fail instead): {why}");
            None
        }
    }
}

/// Writes the four IDX files of a tiny MNIST into `dir`: `train` and `test` images per digit
/// of 0 and 2 and 7, each a digit-dependent stroke with a little per-image variation, so
/// that a network trained on the 2s scores the others higher.
pub fn write_mnist(dir: &Path, train: usize, test: usize) {
    std::fs::create_dir_all(dir).unwrap();
    for (prefix, per_digit) in [("train", train), ("t10k", test)] {
        let digits: Vec<u8> = [0u8, 2, 7].iter().flat_map(|&d| std::iter::repeat_n(d, per_digit)).collect();
        let pixels: Vec<u8> = digits.iter().enumerate().flat_map(|(k, &d)| write_mnist_image(d, k)).collect();
        let images = aemc::data::idx::IdxImages { rows: 28, cols: 28, pixels };
        std::fs::write(dir.join(format!("{prefix}-images-idx3-ubyte")), aemc::data::idx::images_bytes(&images))
            .unwrap();
        std::fs::write(dir.join(format!("{prefix}-labels-idx1-ubyte")), aemc::data::idx::labels_bytes(&digits))
            .unwrap();
    }
}

/// Image `k` (its index in its file) of `digit` as [`write_mnist`] writes it.
pub fn write_mnist_image(digit: u8, k: usize) -> Vec<u8> {
    (0..28 * 28)
        .map(|p| {
            let (r, c) = (p / 28, p % 28);
            let on = match digit {
                2 => r == 8 + k % 3 || c == 14,
                7 => r == c || r == 4,
                _ => (r as i32 - 14).pow(2) + (c as i32 - 14).pow(2) < 60 + k as i32,
            };
            if on { 250 } else { 0 }
        })
        .collect()
}
