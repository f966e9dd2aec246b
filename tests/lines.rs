//! A study of line images through the binary: its files, per-run files, reproducibility
//! across threads, populations, a kill and resume, and shards; `aemc verify` on it.

mod common;

use std::path::Path;

use aemc::model::{ParamLayout, Widths, reconstruct};
use common::{aemc, bin, ok, run, study_file};

/// Two configurations, six runs each, on 40 line images of 8 × 8 pixels in batches of 8.
const LINES: &str = "name = \"lines\"\nseed = 5\nruns = 6\nwidths = [\"2-1-2\", \"3-2-3\"]\nepochs = [30]\nlr = [0.01]\nbatch_size = 8\n[dataset]\nname = \"lines-32\"\nsize = 8\nimages = 40\n";

/// The files every study of line images writes and that must not depend on how it ran.
const RESULTS: [&str; 6] = ["runs.csv", "metrics.csv", "claims.csv", "summary.md", "summary.json", "study.toml"];

fn assert_same_results(a: &Path, b: &Path) {
    for f in RESULTS {
        assert!(std::fs::read(a.join(f)).unwrap() == std::fs::read(b.join(f)).unwrap(), "{f} differs: {a:?} {b:?}");
    }
}

#[test]
fn a_lines_study_writes_metrics_claims_and_per_run_files() {
    let dir = tempfile::tempdir().unwrap();
    let study = study_file(dir.path(), "lines.toml", LINES);
    let out = dir.path().join("out");
    let o = ok(run(&study, &out, &["--outputs", "--weights", "--threads", "2", "--population", "2"]));
    let stdout = String::from_utf8(o.stdout).unwrap();
    assert!(stdout.contains("reconstruction metrics") && stdout.contains("claims on metrics"), "{stdout}");

    let runs = std::fs::read_to_string(out.join("runs.csv")).unwrap();
    let header = runs.lines().next().unwrap();
    assert_eq!(
        header,
        "widths,init,optimizer,lr,epochs,run,seed,mse,blur,wrong,wrong_post,blur_fixed,perfect_post,\
         near_perfect_post,blur_distance,wrong_distance,pixel_distance,code_min,code_max"
    );
    assert_eq!(runs.lines().count(), 1 + 12);
    // 14 summarised metrics per configuration, fewer only where no run has a value.
    let metrics = std::fs::read_to_string(out.join("metrics.csv")).unwrap();
    assert!(metrics.starts_with("widths,init,optimizer,lr,epochs,metric,runs,mean,sd,ci_low,ci_high,min,max\n"));
    assert!((22..=28).contains(&(metrics.lines().count() - 1)), "{metrics}");
    let claims = std::fs::read_to_string(out.join("claims.csv")).unwrap();
    assert_eq!(claims.lines().count(), 1 + 2 * 4, "{claims}");
    assert!(claims.contains("post-processing removes the blur"));
    for f in ["summary.csv", "init-events.csv", "widths.md"] {
        assert!(!out.join(f).exists(), "{f} is about the 2x2 classes");
    }

    // Per-run files: every run's outputs and weights, and the outputs are the recorded final
    // network's reconstructions.
    let config_dir = out.join("runs").join("3-2-3_glorot-uniform_adam_0.01_30");
    let outputs = std::fs::read_to_string(config_dir.join("run-4.outputs.csv")).unwrap();
    let weights = std::fs::read_to_string(config_dir.join("run-4.weights.csv")).unwrap();
    assert_eq!(std::fs::read_dir(out.join("runs")).unwrap().count(), 2);
    assert_eq!(std::fs::read_dir(&config_dir).unwrap().count(), 12);
    let layout = ParamLayout::for_pixels(64, Widths::new(3, 2, 3).unwrap());
    assert_eq!(weights.lines().count(), 1 + layout.len);
    let final_params: Vec<f32> =
        weights.lines().skip(1).map(|l| l.rsplit(',').next().unwrap().parse().unwrap()).collect();
    let data = aemc::data::lines::lines(8, 40, 1);
    assert_eq!(outputs.lines().count(), 1 + 40);
    let image_7: Vec<f32> = outputs.lines().nth(8).unwrap().split(',').skip(1).map(|c| c.parse().unwrap()).collect();
    let (code, output) = reconstruct(&layout, &final_params, data.image(7));
    assert_eq!(image_7, [code, output].concat());

    ok(aemc(&["verify", out.to_str().unwrap(), "--all"]));
}

#[test]
fn lines_results_do_not_depend_on_threads_population_kills_or_shards() {
    let dir = tempfile::tempdir().unwrap();
    let study = study_file(dir.path(), "lines.toml", LINES);
    let reference = dir.path().join("reference");
    ok(run(&study, &reference, &["--threads", "2", "--population", "3"]));

    let other = dir.path().join("other");
    ok(run(&study, &other, &["--threads", "1", "--population", "5", "--engine", "native"]));
    assert_same_results(&reference, &other);

    // Killed right after its first synced wave (2 runs), then resumed.
    let killed = dir.path().join("killed");
    let o = bin()
        .args(["run", &study, "--out", killed.to_str().unwrap(), "--threads", "1", "--population", "1"])
        .env("AEMC_TEST_KILL_AFTER_WAVE", "1")
        .output()
        .unwrap();
    assert!(!o.status.success());
    assert_eq!(std::fs::read_to_string(killed.join("runs.csv.partial")).unwrap().lines().count(), 1 + 2);
    ok(run(&study, &killed, &[]));
    assert_same_results(&reference, &killed);

    // Two shards, merged.
    let shards: Vec<String> = (1..=2)
        .map(|k| {
            let out = dir.path().join(format!("shard-{k}"));
            ok(run(&study, &out, &["--shard", &format!("{k}/2")]));
            out.to_str().unwrap().to_string()
        })
        .collect();
    let merged = dir.path().join("merged");
    ok(aemc(&["merge", merged.to_str().unwrap(), &shards[1], &shards[0]]));
    assert_same_results(&reference, &merged);
}

/// Runs that blow up (SGD at lr 1e30) are recorded, counted as diverged in metrics.csv, and
/// read back as rows of the study (verify, resume), never dropped.
#[test]
fn diverged_lines_runs_are_recorded() {
    let dir = tempfile::tempdir().unwrap();
    let study = study_file(
        dir.path(),
        "div.toml",
        &LINES.replace("lr = [0.01]", "lr = [1e30]\noptimizer = [\"sgd\"]").replace("epochs = [30]", "epochs = [5]"),
    );
    let out = dir.path().join("out");
    ok(run(&study, &out, &[]));
    let runs = std::fs::read_to_string(out.join("runs.csv")).unwrap();
    assert_eq!(runs.lines().count(), 1 + 12);
    // Each configuration's `diverged` mean is the fraction of its rows whose mse is NaN.
    let metrics = std::fs::read_to_string(out.join("metrics.csv")).unwrap();
    for widths in ["2-1-2", "3-2-3"] {
        let rows: Vec<&str> = runs.lines().filter(|l| l.starts_with(widths)).collect();
        let nan = rows.iter().filter(|l| l.split(',').nth(7) == Some("NaN")).count();
        assert!(nan > 0, "{runs}");
        let line = metrics.lines().find(|l| l.starts_with(widths) && l.contains(",diverged,")).unwrap();
        let mean: f64 = line.split(',').nth(7).unwrap().parse().unwrap();
        assert!((mean - nan as f64 / 6.0).abs() < 1e-12, "{line}");
    }
    ok(aemc(&["verify", out.to_str().unwrap(), "--all"]));
}
