//! `aemc inspect` through the binary: a replayed run gives the final parameters the study
//! recorded, bit for bit; its decoder table and reconstructions agree with the network's own
//! outputs; a study
//! file replays the same run without results; bad run or configuration numbers are refused.

mod common;

use aemc::figures::Colormap;
use aemc::model::{ParamLayout, Widths};
use common::{aemc, ok, one_line_error, run, study_file};

const STUDY: &str = "name = \"i\"\nseed = 11\nruns = 4\nwidths = [\"2-1-2\", \"3-2-3\"]\nepochs = [400]\nlr = [0.01]\n";

/// The final parameters printed by `inspect` (after each layer line's `|`), in layout order.
fn printed_final_parameters(stdout: &str) -> Vec<f32> {
    stdout
        .lines()
        .filter(|l| l.trim_start().starts_with('w') || l.trim_start().starts_with('b'))
        .filter(|l| l.contains(" | "))
        .flat_map(|l| {
            l.split(" | ").nth(1).unwrap().split_whitespace().map(|x| x.parse::<f32>().unwrap()).collect::<Vec<_>>()
        })
        .collect()
}

#[test]
fn inspect_replays_the_recorded_run_bit_for_bit() {
    let dir = tempfile::tempdir().unwrap();
    let study = study_file(dir.path(), "i.toml", STUDY);
    let out = dir.path().join("out");
    ok(run(&study, &out, &["--weights", "--no-plots"]));
    let mut reader = csv::Reader::from_path(out.join("runs.csv")).unwrap();
    let header = reader.headers().unwrap().clone();
    let col = |name: &str| header.iter().position(|h| h == name).unwrap_or_else(|| panic!("no column {name}"));
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    let layout = ParamLayout::new(Widths::new(2, 1, 2).unwrap());
    assert_eq!(rows.len(), 8);
    for (run_index, row) in rows.iter().take(4).enumerate() {
        let o = ok(aemc(&["inspect", out.to_str().unwrap(), "--run", &run_index.to_string()]));
        let stdout = String::from_utf8(o.stdout).unwrap();
        let recorded: Vec<f32> =
            layout.names().iter().map(|n| row[col(&format!("final_{n}"))].parse().unwrap()).collect();
        let printed = printed_final_parameters(&stdout);
        assert_eq!(
            printed.iter().map(|x| x.to_bits()).collect::<Vec<_>>(),
            recorded.iter().map(|x| x.to_bits()).collect::<Vec<_>>(),
            "run {run_index}"
        );
        assert!(stdout.contains(&format!("Class: {} ", &row[col("class")])), "{stdout}");
        // Each image's decoded pattern (outputs on at its code) is what the network outputs.
        for k in 1..=4 {
            let line = stdout.lines().find(|l| l.trim_start().starts_with(&format!("image {k}: c = "))).unwrap();
            let pattern = line.rsplit(' ').next().unwrap();
            let want: String = (1..=4)
                .map(|p| if row[col(&format!("out_{k}_{p}"))].parse::<f64>().unwrap() > 0.5 { '1' } else { '0' })
                .collect();
            assert_eq!(pattern, want, "run {run_index} image {k}: {line}");
        }
        // The figure: four outputs in the legend, the four images marked.
        let svg = std::fs::read_to_string(out.join(format!("figures/inspect-config0-run{run_index}.svg"))).unwrap();
        let doc = roxmltree::Document::parse(&svg).unwrap();
        let texts: Vec<String> = doc
            .descendants()
            .filter(|n| n.has_tag_name("text"))
            .map(|n| n.text().unwrap_or("").trim().to_owned())
            .collect();
        for label in ["output 1", "output 4", "image 1", "image 4"] {
            assert_eq!(texts.iter().filter(|t| *t == label).count(), 1, "{label}");
        }
        // The reconstructions: the data (row 1), and after the post-processing (row 3) the
        // recorded outputs above 0.5, each pixel a 29 × 29 block, 4 pixels apart.
        let png =
            image::open(out.join(format!("figures/inspect-config0-run{run_index}-images.png"))).unwrap().to_rgb8();
        let (s, cell) = (29, 2 * 29 + 4);
        assert_eq!((png.width(), png.height()), (4 * cell + 4, 3 * cell + 4));
        let data = aemc::data::Dataset::squares_2x2();
        for k in 0..4 {
            for p in 0..4 {
                let at = |r: u32| (4 + k * cell + (p % 2) * s + s / 2, 4 + r * cell + (p / 2) * s + s / 2);
                let colour = |v: f32| Colormap::Viridis.rgb(v);
                let (x, y) = at(0);
                assert_eq!(png.get_pixel(x, y).0, colour(data.image(k as usize)[p as usize]), "image {k} pixel {p}");
                let output: f32 = row[col(&format!("out_{}_{}", k + 1, p + 1))].parse().unwrap();
                let (x, y) = at(2);
                assert_eq!(png.get_pixel(x, y).0, colour(if output > 0.5 { 1.0 } else { 0.0 }), "image {k} pixel {p}");
            }
        }
    }
    // From the study file alone: the same report, without a figure unless asked.
    let from_dir = String::from_utf8(ok(aemc(&["inspect", out.to_str().unwrap(), "--run", "2"])).stdout).unwrap();
    let from_file = String::from_utf8(ok(aemc(&["inspect", &study, "--run", "2"])).stdout).unwrap();
    assert_eq!(from_file.trim_end(), from_dir.trim_end().rsplit_once("\n\n").unwrap().0);
    // A wider bottleneck has no decoder map; the rest is reported.
    let wide =
        String::from_utf8(ok(aemc(&["inspect", out.to_str().unwrap(), "--run", "0", "--config", "1"])).stdout).unwrap();
    assert!(wide.contains("3-2-3") && wide.contains("needs a one-unit bottleneck"), "{wide}");
}

/// A trace by replay ends at the parameters the study's training gives, bit for bit, and its
/// last loss is runs.csv's `final_loss`; `aemc inspect --trace` prints it.
#[test]
fn a_loss_trace_ends_where_the_study_did() {
    use aemc::engine::NativeEngine;
    use aemc::study::StudySpec;
    use aemc::study::run::train_runs;
    let dir = tempfile::tempdir().unwrap();
    let study = study_file(dir.path(), "i.toml", STUDY);
    let spec = StudySpec::from_file(std::path::Path::new(&study)).unwrap();
    let configs = spec.configurations();
    for (k, config) in configs.iter().enumerate() {
        let recorded = train_runs(&spec, &NativeEngine, k, &[1]).unwrap().pop().unwrap();
        // 37 does not divide the 400 epochs: the last stretch is shorter.
        let trace = aemc::trace::trace(&spec, config, 1, 37).unwrap();
        assert_eq!(trace.final_params, recorded.final_params, "configuration {k}");
        let epochs: Vec<u32> = trace.points.iter().map(|p| p.0).collect();
        assert_eq!(epochs.first(), Some(&0));
        assert_eq!(epochs.last(), Some(&400));
        assert_eq!(epochs.len(), 1 + 400usize.div_ceil(37));
    }
    let out = dir.path().join("out");
    ok(run(&study, &out, &["--no-plots"]));
    let runs = std::fs::read_to_string(out.join("runs.csv")).unwrap();
    let final_loss = runs.lines().nth(2).unwrap().split(',').nth(7).unwrap().to_owned();
    let o = String::from_utf8(ok(aemc(&["inspect", &study, "--run", "1", "--trace", "100"])).stdout).unwrap();
    let last = o.lines().last().unwrap();
    assert_eq!(last.split_whitespace().collect::<Vec<_>>(), ["400", final_loss.as_str()], "{o}");
}

#[test]
fn inspect_refuses_what_the_study_lacks_and_draws_a2s_a_and_sigma() {
    let dir = tempfile::tempdir().unwrap();
    let study = study_file(dir.path(), "i.toml", STUDY);
    one_line_error(&aemc(&["inspect", &study, "--run", "4"]), 2, "--run");
    one_line_error(&aemc(&["inspect", &study, "--run", "0", "--config", "2"]), 2, "--config");
    one_line_error(
        &aemc(&["inspect", &dir.path().join("none.toml").display().to_string(), "--run", "0"]),
        2,
        "none.toml",
    );
    let vae = study_file(dir.path(), "v.toml", &format!("{STUDY}model = \"vae\"\n"));
    let o = aemc(&["inspect", &vae, "--run", "0", "--trace", "10"]);
    one_line_error(&o, 2, "--trace");
    assert!(o.stdout.is_empty(), "nothing printed before the error");
    // An A2 run: a and σ per image printed, and drawn as histograms (Figs. 12–13).
    let svg = dir.path().join("v.svg");
    let o =
        String::from_utf8(ok(aemc(&["inspect", &vae, "--run", "0", "--svg", svg.to_str().unwrap()])).stdout).unwrap();
    assert!(o.contains("code (A2: a)  σ"), "{o}");
    let histograms = std::fs::read_to_string(dir.path().join("v-vae.svg")).unwrap();
    let doc = roxmltree::Document::parse(&histograms).unwrap();
    let texts: Vec<&str> =
        doc.descendants().filter(|n| n.has_tag_name("text")).filter_map(|n| n.text()).map(str::trim).collect();
    assert!(texts.contains(&"a (the mean head)") && texts.contains(&"σ (sampling)"), "{texts:?}");
}
