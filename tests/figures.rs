//! Figures through the binary: `aemc run` draws every figure a study has data for (unless
//! `--no-plots`), `aemc plot` draws the same again, and each chart shows the study's numbers.

mod common;

use std::path::Path;

use common::{aemc, ok, run, study_file, write_mnist};

/// The file names under `out/figures`, sorted.
fn figures(out: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(out.join("figures"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// The texts of an SVG's `<text>` elements, which must parse as XML.
fn svg_texts(path: &Path) -> Vec<String> {
    let svg = std::fs::read_to_string(path).unwrap();
    let doc = roxmltree::Document::parse(&svg).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    doc.descendants().filter(|n| n.has_tag_name("text")).map(|n| n.text().unwrap_or("").trim().to_owned()).collect()
}

#[test]
fn a_2x2_study_draws_its_data_and_classes_and_plot_draws_the_same() {
    let dir = tempfile::tempdir().unwrap();
    let study = study_file(
        dir.path(),
        "tiny.toml",
        "name = \"tiny\"\nruns = 6\nwidths = [\"2-1-2\", \"5-2-5\"]\nepochs = [200]\nlr = [0.01]\n",
    );
    let out = dir.path().join("out");
    ok(run(&study, &out, &[]));
    assert_eq!(figures(&out), ["classes.svg", "data-squares-2x2.png", "loss.svg", "reconstructions.svg"]);
    let texts = svg_texts(&out.join("figures/classes.svg"));
    // Both configurations in the legend, and the paper's figures marked.
    for label in ["2-1-2", "5-2-5", "the paper's figures", "optimal"] {
        assert!(texts.contains(&label.to_owned()), "{label}: {texts:?}");
    }
    // One row of reconstructions per (configuration, class) the runs ended in.
    let runs = std::fs::read_to_string(out.join("runs.csv")).unwrap();
    let mut ends: Vec<(String, String)> = runs
        .lines()
        .skip(1)
        .map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            (f[0].to_owned(), f[8].to_owned())
        })
        .collect();
    ends.sort();
    ends.dedup();
    let rows: Vec<String> =
        svg_texts(&out.join("figures/reconstructions.svg")).into_iter().filter(|t| t.contains("(run ")).collect();
    assert_eq!(rows.len(), ends.len(), "{rows:?} {ends:?}");
    for (widths, class) in &ends {
        assert!(rows.iter().any(|r| r.starts_with(&format!("{widths} {class} (run "))), "{widths} {class}: {rows:?}");
    }
    // Loss traces: a legend entry per class the runs ended in, a panel per configuration.
    let loss = svg_texts(&out.join("figures/loss.svg"));
    let mut classes: Vec<&String> = ends.iter().map(|(_, c)| c).collect();
    classes.sort();
    classes.dedup();
    for class in &classes {
        assert_eq!(loss.iter().filter(|t| t == class).count(), 1, "{class}: {loss:?}");
    }
    assert!(loss.iter().any(|t| t.starts_with("2-1-2 ")) && loss.iter().any(|t| t.starts_with("5-2-5 ")), "{loss:?}");
    let drawn: Vec<Vec<u8>> = ["classes.svg", "data-squares-2x2.png"]
        .iter()
        .map(|f| std::fs::read(out.join("figures").join(f)).unwrap())
        .collect();
    std::fs::remove_dir_all(out.join("figures")).unwrap();
    ok(aemc(&["plot", out.to_str().unwrap()]));
    let again: Vec<Vec<u8>> = ["classes.svg", "data-squares-2x2.png"]
        .iter()
        .map(|f| std::fs::read(out.join("figures").join(f)).unwrap())
        .collect();
    assert!(drawn == again, "aemc plot draws what aemc run drew");
    let quiet = dir.path().join("quiet");
    ok(run(&study, &quiet, &["--no-plots"]));
    assert!(!quiet.join("figures").exists());
}

#[test]
fn a_width_grid_draws_heat_maps_of_its_frequencies() {
    let dir = tempfile::tempdir().unwrap();
    let study = study_file(
        dir.path(),
        "grid.toml",
        "name = \"grid\"\nruns = 4\nwidths = [\"1-1-1\", \"1-1-2\", \"2-1-1\", \"2-1-2\", \"2-2-2\"]\nepochs = [100]\n",
    );
    let out = dir.path().join("out");
    ok(run(&study, &out, &[]));
    let names = figures(&out);
    assert!(names.contains(&"p-optimal.svg".to_owned()) && names.contains(&"p-all-gray.svg".to_owned()), "{names:?}");
    // Five configurations, within what one chart shows, so the classes chart is drawn too.
    assert!(names.contains(&"classes.svg".to_owned()));
    // Each cell prints its configuration's frequency from summary.csv.
    let summary = std::fs::read_to_string(out.join("summary.csv")).unwrap();
    let mut want: Vec<String> = summary
        .lines()
        .filter(|l| l.split(',').nth(5) == Some("optimal"))
        .map(|l| format!("{:.2}", l.split(',').nth(8).unwrap().parse::<f64>().unwrap()))
        .collect();
    let texts = svg_texts(&out.join("figures/p-optimal.svg"));
    let mut cells: Vec<String> = texts.into_iter().filter(|t| t.len() == 4 && t.contains('.')).collect();
    want.sort();
    cells.sort();
    assert_eq!(cells, want);
}

#[test]
fn an_anomaly_study_draws_roc_curves_and_sigma() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("mnist");
    write_mnist(&data, 12, 6);
    let study = study_file(
        dir.path(),
        "mnist.toml",
        &format!(
            "name = \"m\"\nruns = 2\nmodel = [\"ae\", \"vae\"]\nvae = [\"paper\", \"kingma\"]\nvae_samples = 2\n\
             widths = [\"4-2-4\"]\nlr = [0.01]\nepochs = [5]\nbatch_size = 4\n\
             [dataset]\nname = \"mnist\"\npath = \"{}\"\ntrain_limit = 8\n",
            data.display()
        ),
    );
    let out = dir.path().join("out");
    ok(run(&study, &out, &[]));
    assert_eq!(
        figures(&out),
        [
            "data-mnist+train_limit=8.png",
            "reconstructions-config0.png",
            "reconstructions-config1.png",
            "reconstructions-config2.png",
            "roc.svg",
            "sigma.svg"
        ]
    );
    // Each configuration's median run: 8 training images, their reconstructions and those
    // after the post-processing, 28 × 28 pixels in 3 × 3 blocks, 4 pixels apart.
    let png = image::open(out.join("figures/reconstructions-config0.png")).unwrap().to_rgb8();
    assert_eq!((png.width(), png.height()), (8 * (28 * 3 + 4) + 4, 3 * (28 * 3 + 4) + 4));
    let roc = svg_texts(&out.join("figures/roc.svg"));
    let legend: Vec<&String> = roc.iter().filter(|t| t.contains("(AUC ")).collect();
    assert_eq!(legend.len(), 3, "A1 and two A2 readings: {roc:?}");
    assert!(legend[0].starts_with("A1 (AUC 0.") || legend[0].starts_with("A1 (AUC 1."), "{legend:?}");
    let sigma = svg_texts(&out.join("figures/sigma.svg"));
    assert!(sigma.contains(&"A2 paper".to_owned()) && sigma.contains(&"A2 kingma".to_owned()), "{sigma:?}");
    assert!(!sigma.contains(&"A1".to_owned()), "A1 has no σ");
}
