//! The MNIST appendix through the binary, on small IDX files generated here: the anomaly
//! detector's columns and claims, A2 against A1, `--data`, `aemc verify`, and malformed files
//! refused in one line before anything is written.

mod common;

use std::path::Path;

use aemc::data::idx::labels_bytes;
use common::{aemc, ok, one_line_error, run, study_file, write_mnist, write_mnist_image};

#[test]
fn a_tiny_mnist_study_scores_the_test_digits() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("mnist");
    write_mnist(&data, 12, 6);
    let study = study_file(
        dir.path(),
        "mnist.toml",
        &format!(
            "name = \"m\"\nruns = 3\nmodel = [\"ae\", \"vae\"]\nvae = \"kingma\"\nvae_samples = 4\n\
             widths = [\"8-2-8\"]\nlr = [0.01]\nepochs = [30]\nbatch_size = 4\n\
             [dataset]\nname = \"mnist\"\npath = \"{}\"\ntrain_limit = 10\n",
            data.display()
        ),
    );
    let out = dir.path().join("out");
    ok(run(&study, &out, &["--threads", "2", "--population", "2"]));
    let runs = std::fs::read_to_string(out.join("runs.csv")).unwrap();
    let header = runs.lines().next().unwrap();
    assert!(header.contains(",decoder_w_max,test_mse,auc,auc_ci_low,auc_ci_high,auc_sampled,auc_vs_0,"), "{header}");
    assert_eq!(runs.lines().count(), 1 + 2 * 3);
    let mut table = csv::Reader::from_reader(runs.as_bytes());
    let names = table.headers().unwrap().clone();
    let column = |name: &str| names.iter().position(|h| h == name).unwrap();
    for row in table.records().map(Result::unwrap) {
        let auc: f64 = row[column("auc")].parse().unwrap();
        let (low, high): (f64, f64) =
            (row[column("auc_ci_low")].parse().unwrap(), row[column("auc_ci_high")].parse().unwrap());
        assert!((0.0..=1.0).contains(&auc) && low <= auc && auc <= high, "{row:?}");
        // The normal digit has no AUC against itself; A1 has no sampled score.
        assert!(row[column("auc_vs_2")].is_empty() && !row[column("auc_vs_7")].is_empty());
        assert_eq!(row[column("auc_sampled")].is_empty(), &row[column("model")] == "ae");
    }
    let claims = std::fs::read_to_string(out.join("claims.csv")).unwrap();
    for needle in ["A1 detects the other digits with AUC 0.91", "A2 is the better anomaly detector", "A2 − A1 > 0"] {
        assert!(claims.contains(needle), "{needle}: {claims}");
    }
    // The recorded study names the data directory; `verify` replays runs from it.
    assert!(std::fs::read_to_string(out.join("study.toml")).unwrap().contains("train_limit = 10"));
    ok(aemc(&["verify", out.to_str().unwrap(), "--all"]));
    // The same results whatever the threads and population.
    let other = dir.path().join("other");
    ok(run(&study, &other, &["--threads", "1", "--population", "5"]));
    assert!(std::fs::read(out.join("runs.csv")).unwrap() == std::fs::read(other.join("runs.csv")).unwrap());
    // `aemc plot` draws the training images of the normal digit, each pixel a 4 × 4 block.
    ok(aemc(&["plot", out.to_str().unwrap(), "--colormap", "grey"]));
    let grid = image::open(out.join("figures/data-mnist+train_limit=10.png")).unwrap().to_rgb8();
    assert_eq!((grid.width(), grid.height()), (4 * (28 * 4 + 4) + 4, 3 * (28 * 4 + 4) + 4));
    let first_two = write_mnist_image(2, 12);
    for (p, &level) in first_two.iter().enumerate() {
        let (x, y) = (4 + (p % 28) * 4 + 1, 4 + (p / 28) * 4 + 1);
        let want = if level > 127 { 255 } else { 0 };
        assert_eq!(grid.get_pixel(x as u32, y as u32).0, [want; 3], "pixel {p}");
    }
    // Two shards merged: the same runs.csv, and their score files gathered into the same ROC
    // curves.
    let shards: Vec<String> =
        (1..=2).map(|k| dir.path().join(format!("shard{k}")).to_str().unwrap().to_string()).collect();
    for (k, shard) in shards.iter().enumerate() {
        ok(run(&study, Path::new(shard), &["--shard", &format!("{}/2", k + 1)]));
    }
    let merged = dir.path().join("merged");
    ok(aemc(&["merge", merged.to_str().unwrap(), &shards[1], &shards[0]]));
    for f in ["runs.csv", "roc.csv", "claims.csv"] {
        assert!(std::fs::read(out.join(f)).unwrap() == std::fs::read(merged.join(f)).unwrap(), "{f} differs");
    }
}

#[test]
fn bad_mnist_files_are_one_line_before_any_output() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("mnist");
    write_mnist(&data, 4, 2);
    let body = |path: &Path| {
        format!(
            "name = \"m\"\nruns = 1\nwidths = [\"2-1-2\"]\nepochs = [1]\n[dataset]\nname = \"mnist\"\npath = \"{}\"\n",
            path.display()
        )
    };
    let study = study_file(dir.path(), "m.toml", &body(&data));
    let out = dir.path().join("out");
    // Wrong magic in the test images: refused when the data is read, before runs.csv exists.
    let test_images = data.join("t10k-images-idx3-ubyte");
    let good = std::fs::read(&test_images).unwrap();
    let mut bad = good.clone();
    bad[3] = 0x01;
    std::fs::write(&test_images, &bad).unwrap();
    one_line_error(&run(&study, &out, &[]), 2, "t10k-images-idx3-ubyte: magic number 0x00000801");
    assert!(!out.join("runs.csv").exists() && !out.join("study.toml").exists());
    // Truncated.
    std::fs::write(&test_images, &good[..good.len() - 5]).unwrap();
    one_line_error(&run(&study, &out, &[]), 2, "truncated");
    std::fs::write(&test_images, &good).unwrap();
    // Labels that do not match the images in number.
    let labels = data.join("train-labels-idx1-ubyte");
    let train_labels = std::fs::read(&labels).unwrap();
    std::fs::write(&labels, labels_bytes(&train_labels[8..train_labels.len() - 1])).unwrap();
    one_line_error(&run(&study, &out, &[]), 2, "labels for the 12 images");
    std::fs::write(&labels, &train_labels).unwrap();
    // A missing directory, named by the study or by --data; --data overrides the study's path.
    let nowhere = study_file(dir.path(), "n.toml", &body(&dir.path().join("nowhere")));
    one_line_error(&run(&nowhere, &out, &[]), 2, "dataset.path");
    one_line_error(&run(&study, &out, &["--data", "/nonexistent"]), 2, "--data: /nonexistent");
    ok(run(&nowhere, &out, &["--data", data.to_str().unwrap()]));
    // Options out of range.
    for (option, needle) in [
        ("normal = 12", "dataset.normal"),
        ("binarize = 1.5", "dataset.binarize"),
        ("train_limit = 0", "dataset.train_limit"),
    ] {
        let s = study_file(dir.path(), "o.toml", &format!("{}{option}\n", body(&data)));
        one_line_error(&run(&s, &dir.path().join("o"), &[]), 2, needle);
    }
    let five = study_file(dir.path(), "five.toml", &format!("{}normal = 5\n", body(&data)));
    one_line_error(&run(&five, &dir.path().join("f"), &[]), 2, "no training image of digit 5");
}
