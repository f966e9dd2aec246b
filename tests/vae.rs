//! A2 through the binary: its columns and summaries on the 2×2 images and on line images,
//! reproducibility across execution settings, `aemc verify`, and its bad input.

mod common;

use std::path::Path;

use common::{aemc, ok, one_line_error, run, study_file};

const SQUARES: &str = "name = \"vae\"\nseed = 3\nruns = 8\nwidths = [\"2-1-2\"]\nepochs = [300]\nlr = [0.01]\nmodel = \"vae\"\nvae_samples = 10\n";

#[test]
fn a_vae_study_on_the_2x2_images_records_sigma_and_samples() {
    let dir = tempfile::tempdir().unwrap();
    let study = study_file(dir.path(), "vae.toml", SQUARES);
    let out = dir.path().join("out");
    ok(run(&study, &out, &["--threads", "2", "--population", "3"]));
    let runs = std::fs::read_to_string(out.join("runs.csv")).unwrap();
    let header = runs.lines().next().unwrap();
    assert!(
        header.contains(
            ",all_gray_init,sigma_min,sigma_median,sigma_max,sampled_mse,p_sample_differs,decoder_w_median,decoder_w_max,code_1_0,"
        ),
        "{header}"
    );
    assert_eq!(runs.lines().count(), 1 + 8);
    // Every image's σ after the outputs; the quantiles are theirs (one latent unit, so the
    // four images' values).
    assert!(header.ends_with(",out_4_4,sigma_1_0,sigma_2_0,sigma_3_0,sigma_4_0"), "{header}");
    let mut table = csv::Reader::from_reader(runs.as_bytes());
    let names = table.headers().unwrap().clone();
    let value = |row: &csv::StringRecord, name: &str| -> f64 {
        row[names.iter().position(|h| h == name).unwrap()].parse().unwrap()
    };
    for row in table.records().map(Result::unwrap) {
        // Written as the f32 they are; the quantiles as f64.
        let mut sigmas: Vec<f64> = (1..=4).map(|i| f64::from(value(&row, &format!("sigma_{i}_0")) as f32)).collect();
        sigmas.sort_by(f64::total_cmp);
        assert_eq!(
            (value(&row, "sigma_min"), value(&row, "sigma_median"), value(&row, "sigma_max")),
            (sigmas[0], sigmas[1], sigmas[3])
        );
    }
    let metrics = std::fs::read_to_string(out.join("metrics.csv")).unwrap();
    assert!(metrics.contains(",sigma_median,8,") && metrics.contains(",p_sample_differs,8,"), "{metrics}");
    // The deterministic reconstructions are classified like A1's; claims.csv tests the
    // paper's claims about A2 on the 2×2 images, not its A1 figures.
    assert!(std::fs::read_to_string(out.join("summary.csv")).unwrap().contains(",optimal,"));
    let claims = std::fs::read_to_string(out.join("claims.csv")).unwrap();
    assert_eq!(claims.lines().count(), 1 + 3, "{claims}");
    assert!(claims.contains("median σ about 0.5") && !claims.contains("1-(15/16)^6"), "{claims}");
    let recorded = std::fs::read_to_string(out.join("study.toml")).unwrap();
    assert!(recorded.contains("model = \"vae\""), "{recorded}");

    let other = dir.path().join("other");
    ok(run(&study, &other, &["--threads", "1", "--population", "8"]));
    for f in ["runs.csv", "metrics.csv", "summary.csv"] {
        assert!(std::fs::read(out.join(f)).unwrap() == std::fs::read(other.join(f)).unwrap(), "{f} differs");
    }
    ok(aemc(&["verify", out.to_str().unwrap(), "--all"]));
}

#[test]
fn a_vae_reading_on_line_images() {
    let dir = tempfile::tempdir().unwrap();
    let study = study_file(
        dir.path(),
        "lines.toml",
        "name = \"vae-lines\"\nruns = 3\nwidths = [\"3-2-3\"]\nepochs = [10]\nmodel = \"vae\"\nvae_samples = 5\n\
         [dataset]\nname = \"lines-32\"\nsize = 8\nimages = 40\n[vae]\npreset = \"kingma\"\nkl_weight = 0.5\n",
    );
    let out = dir.path().join("out");
    ok(run(&study, &out, &["--weights", "--outputs"]));
    // --outputs writes every image's σ after its reconstruction.
    let outputs =
        std::fs::read_to_string(out.join("runs/3-2-3_glorot-uniform_adam_0.001_10/run-2.outputs.csv")).unwrap();
    assert!(outputs.lines().next().unwrap().ends_with(",out_63,sigma_0,sigma_1"), "{outputs}");
    assert_eq!(outputs.lines().count(), 1 + 40);
    // --weights writes every parameter of A2, its b head included.
    let weights =
        std::fs::read_to_string(out.join("runs/3-2-3_glorot-uniform_adam_0.001_10/run-2.weights.csv")).unwrap();
    let layout = aemc::model::ParamLayout::vae(64, aemc::model::Widths::new(3, 2, 3).unwrap());
    assert_eq!(weights.lines().count(), 1 + layout.len);
    assert!(weights.lines().last().unwrap().starts_with("b2b_1,"), "{weights}");
    let header = std::fs::read_to_string(out.join("runs.csv")).unwrap().lines().next().unwrap().to_string();
    assert!(header.ends_with(",code_min,code_max,sigma_min,sigma_median,sigma_max,sampled_mse,p_sample_differs,decoder_w_median,decoder_w_max"), "{header}");
    let recorded = std::fs::read_to_string(out.join("study.toml")).unwrap();
    assert!(recorded.contains("sigma = \"exp-half-b\"") && recorded.contains("kl_weight = 0.5"), "{recorded}");
    ok(aemc(&["verify", out.to_str().unwrap(), "--all"]));
}

#[test]
fn bad_vae_input_is_one_line() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    for (body, needle) in [
        (SQUARES.replace("model = \"vae\"\n", ""), "vae: [vae] and vae_samples apply to model = \"vae\" only"),
        (format!("{SQUARES}[vae]\nnoise_std = 0\n"), "vae.noise_std"),
        (format!("{SQUARES}[vae]\nkl_weight = -1\n"), "vae.kl_weight"),
        (format!("{SQUARES}[vae]\npreset = \"beta\"\n"), "vae.preset: unknown preset 'beta'"),
        (format!("{SQUARES}engine = \"gpu\"\n"), "engine gpu trains A1 only"),
    ] {
        let study = study_file(dir.path(), "bad.toml", &body);
        one_line_error(&run(&study, &out, &[]), 2, needle);
        assert!(!out.exists(), "{body:?} left {out:?}");
    }
    one_line_error(
        &aemc(&[
            "sweep",
            "--widths",
            "2-1-2",
            "--runs",
            "2",
            "--epochs",
            "5",
            "--out",
            out.to_str().unwrap(),
            "--model",
            "gan",
        ]),
        2,
        "--model",
    );
}

/// `aemc compare` pairs A1's and A2's runs by seed: the same configurations, run by run, each
/// metric's paired difference with its interval; studies on other images or with other seeds
/// are refused.
#[test]
fn compare_pairs_a1_and_a2_by_seed() {
    let dir = tempfile::tempdir().unwrap();
    let lines = "runs = 6\nwidths = [\"3-2-3\"]\nepochs = [20]\nlr = [0.01]\n[dataset]\nname = \"lines-32\"\nsize = 8\nimages = 40\n";
    let a1 = study_file(dir.path(), "a1.toml", &format!("name = \"a1\"\n{lines}"));
    let a2 = study_file(dir.path(), "a2.toml", &format!("name = \"a2\"\nmodel = \"vae\"\nvae_samples = 3\n{lines}"));
    let other_seed = study_file(dir.path(), "seed.toml", &format!("name = \"s\"\nseed = 1\n{lines}"));
    let squares = study_file(dir.path(), "sq.toml", "name = \"sq\"\nruns = 2\nwidths = [\"3-2-3\"]\nepochs = [20]\n");
    let out = |name: &str| dir.path().join(name).to_str().unwrap().to_string();
    for (study, name) in [(&a1, "a1"), (&a2, "a2"), (&other_seed, "s"), (&squares, "sq")] {
        ok(run(study, Path::new(&out(name)), &[]));
    }
    let table = String::from_utf8(ok(aemc(&["compare", &out("a1"), &out("a2")])).stdout).unwrap();
    assert!(table.contains("B − A") && table.lines().any(|l| l.contains(" mse ") && l.contains(" 6 ")), "{table}");
    let csv = String::from_utf8(ok(aemc(&["compare", &out("a1"), &out("a2"), "--format", "csv"])).stdout).unwrap();
    assert!(
        csv.starts_with(
            "widths,init,optimizer,lr,epochs,metric,pairs,mean_a,mean_b,difference,ci_low,ci_high,verdict\n"
        )
    );
    // A study compared with itself: every difference is 0.
    let same = String::from_utf8(ok(aemc(&["compare", &out("a1"), &out("a1"), "--format", "csv"])).stdout).unwrap();
    assert!(same.lines().skip(1).all(|l| l.contains(",0,0,0,no difference shown")), "{same}");
    one_line_error(&aemc(&["compare", &out("a1"), &out("s")]), 2, "not pairs");
    one_line_error(&aemc(&["compare", &out("a1"), &out("sq")]), 2, "data set and columns");
}

/// A study over data sets × models (A1 and A2 in two readings), counted in steps: labelled
/// configuration columns, A2's columns empty on A1's rows, each A2 configuration tested
/// against A1 seed by seed, and the same bytes whatever the threads and population.
#[test]
fn a_study_over_data_sets_and_models_pairs_a2_with_a1() {
    let dir = tempfile::tempdir().unwrap();
    let study = study_file(
        dir.path(),
        "grid.toml",
        "name = \"grid\"\nruns = 4\nmodel = [\"ae\", \"vae\"]\nvae = [\"paper\", \"kingma\"]\nvae_samples = 3\n\
         widths = [\"3-2-3\"]\nlr = [0.01]\nsteps = [40]\n\
         [[dataset]]\nname = \"squares-2x2\"\n[[dataset]]\nname = \"lines-32\"\nsize = 8\nimages = 40\n",
    );
    let out = dir.path().join("out");
    ok(run(&study, &out, &["--threads", "2", "--population", "3"]));
    let runs = std::fs::read_to_string(out.join("runs.csv")).unwrap();
    assert!(runs.starts_with("dataset,model,widths,init,optimizer,lr,epochs,run,seed,mse,"), "{runs}");
    assert_eq!(runs.lines().count(), 1 + 2 * 3 * 4);
    let mut table = csv::Reader::from_reader(runs.as_bytes());
    let header = table.headers().unwrap().clone();
    let column = |name: &str| header.iter().position(|h| h == name).unwrap();
    let rows: Vec<csv::StringRecord> = table.records().map(Result::unwrap).collect();
    // 40 steps: 40 full-batch epochs of the squares, 20 of the 40 lines in batches of 32.
    let epochs: Vec<&str> = rows.iter().map(|r| &r[column("epochs")]).collect();
    assert_eq!((epochs[0], epochs[12]), ("40", "20"));
    for row in &rows {
        let a1 = &row[column("model")] == "ae";
        assert_eq!(row[column("sigma_median")].is_empty(), a1, "{row:?}");
    }
    // Run i of A1 and of A2 share their seed; the claims pair them.
    let (a1_lines, kingma_lines) = (&rows[12..16], &rows[20..24]);
    assert!(a1_lines.iter().zip(kingma_lines).all(|(a, b)| a[column("seed")] == b[column("seed")]));
    let mse = |r: &csv::StringRecord| r[column("mse")].parse::<f64>().unwrap();
    let difference: f64 = a1_lines.iter().zip(kingma_lines).map(|(a, b)| mse(b) - mse(a)).sum::<f64>() / 4.0;
    let claims_text = std::fs::read_to_string(out.join("claims.csv")).unwrap();
    let mut claims = csv::Reader::from_reader(claims_text.as_bytes());
    let claims: Vec<csv::StringRecord> = claims.records().map(Result::unwrap).collect();
    let find = |dataset: &str, model: &str, test: &str| {
        claims.iter().find(|r| &r[0] == dataset && &r[1] == model && r[8].starts_with(test)).cloned()
    };
    let paired = find("lines-32+size=8+images=40", "vae:kingma", "A2's error minus A1's").expect(&claims_text);
    assert_eq!((&paired[10], &paired[11]), ("A2 − A1 < 0", "4"), "{paired:?}");
    let mean: f64 = paired[12].parse().unwrap();
    assert!((mean - difference).abs() < 1e-6, "{mean} against {difference}");
    assert!(find("squares-2x2", "vae:paper", "A2 ends optimal less often").is_some(), "{claims_text}");
    assert!(!claims.iter().any(|r| &r[0] == "squares-2x2" && &r[1] == "ae"), "A1 on the squares: {claims_text}");

    let other = dir.path().join("other");
    ok(run(&study, &other, &["--threads", "1", "--population", "8"]));
    for f in ["runs.csv", "metrics.csv", "claims.csv", "summary.md"] {
        assert!(std::fs::read(out.join(f)).unwrap() == std::fs::read(other.join(f)).unwrap(), "{f} differs");
    }
    ok(aemc(&["verify", out.to_str().unwrap(), "--all"]));
}
