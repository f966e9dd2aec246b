//! The binary end to end: a tiny study, determinism across execution settings, and every
//! kind of bad input answered with one line and exit code 2.

mod common;

use common::{aemc, one_line_error, study_file};

const TINY: &str =
    "name = \"tiny\"\nseed = 7\nruns = 12\nwidths = [\"2-1-2\", \"5-2-5\"]\nepochs = [300]\nlr = [0.01]\n";

#[test]
fn tiny_study_end_to_end() {
    let dir = tempfile::tempdir().unwrap();
    let study = study_file(dir.path(), "study.toml", TINY);
    let out = dir.path().join("out");
    let o = aemc(&["run", &study, "--out", out.to_str().unwrap()]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let stdout = String::from_utf8(o.stdout).unwrap();
    assert!(stdout.contains("outcome classes") && stdout.contains("The paper's figures"), "{stdout}");
    let runs = std::fs::read_to_string(out.join("runs.csv")).unwrap();
    let mut lines = runs.lines();
    let header = lines.next().unwrap();
    assert!(
        header.starts_with("widths,init,optimizer,lr,epochs,run,seed,final_loss,class,partition,converged,"),
        "{header}"
    );
    assert!(header.contains("code_4_1") && header.contains("out_4_4"));
    assert_eq!(lines.count(), 24);
    let summary = std::fs::read_to_string(out.join("summary.csv")).unwrap();
    assert!(summary.starts_with("widths,init,optimizer,lr,epochs,class,count,runs,frequency,ci_low,ci_high\n"));
    // Each configuration's counts add up to its runs.
    let total: u64 = summary.lines().skip(1).map(|l| l.split(',').nth(6).unwrap().parse::<u64>().unwrap()).sum();
    assert_eq!(total, 24);
    for f in ["study.toml", "claims.csv", "summary.md", "summary.json"] {
        assert!(out.join(f).is_file(), "{f} missing");
    }
    assert!(!out.join("runs.csv.partial").exists());
}

#[test]
fn results_do_not_depend_on_threads_or_population() {
    let dir = tempfile::tempdir().unwrap();
    let study = study_file(dir.path(), "study.toml", TINY);
    let mut outputs = Vec::new();
    for (threads, population) in [("1", "5"), ("2", "64"), ("2", "1")] {
        let out = dir.path().join(format!("out-{threads}-{population}"));
        let o =
            aemc(&["run", &study, "--out", out.to_str().unwrap(), "--threads", threads, "--population", population]);
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        outputs.push((std::fs::read(out.join("runs.csv")).unwrap(), std::fs::read(out.join("summary.csv")).unwrap()));
    }
    assert!(outputs.windows(2).all(|w| w[0] == w[1]), "outputs differ across thread counts or population sizes");
}

#[test]
fn sweep_with_weights_records_every_parameter() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("sweep");
    let o = aemc(&[
        "sweep",
        "--widths",
        "2-1-2,3-1-3",
        "--runs",
        "3",
        "--epochs",
        "50",
        "--init",
        "torch-default",
        "--optimizer",
        "sgd",
        "--lr",
        "0.1",
        "--out",
        out.to_str().unwrap(),
        "--weights",
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let mut reader = csv::Reader::from_path(out.join("runs.csv")).unwrap();
    let header = reader.headers().unwrap().clone();
    let col = |name: &str| header.iter().position(|h| h == name).unwrap_or_else(|| panic!("no column {name}"));
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 6);
    // 3-1-3 has a third layer-1 unit; 2-1-2 rows leave its cells empty.
    assert_eq!(&rows[0][col("init_w1_0_2")], "");
    assert_ne!(&rows[3][col("init_w1_0_2")], "");
    // torch-default draws biases; training moved them.
    assert_ne!(&rows[0][col("init_b4_3")], &rows[0][col("final_b4_3")]);
    assert_eq!(&rows[0][col("optimizer")], "sgd");
}

/// Every kind of bad input: exit code 2, one line on stderr naming the problem, no result files.
#[test]
fn bad_input_is_refused_with_one_line() {
    let dir = tempfile::tempdir().unwrap();
    let good = study_file(dir.path(), "study.toml", TINY);
    let malformed = dir.path().join("malformed.toml");
    std::fs::write(&malformed, "name = \"x\"\nruns = [").unwrap();
    let unknown_key = dir.path().join("unknown.toml");
    std::fs::write(&unknown_key, format!("{TINY}colour = \"red\"\n")).unwrap();
    let small_lines = dir.path().join("small-lines.toml");
    std::fs::write(&small_lines, format!("{TINY}[dataset]\nname = \"lines-32\"\nsize = 1\n")).unwrap();
    let no_images = dir.path().join("no-images.toml");
    std::fs::write(&no_images, format!("{TINY}[dataset]\nname = \"lines-32\"\nimages = 0\n")).unwrap();
    let blocker = dir.path().join("a-file");
    std::fs::write(&blocker, "").unwrap();
    let out = dir.path().join("out");
    let out_s = out.to_str().unwrap().to_string();
    let sweep = |extra: &[&str]| -> Vec<String> {
        let mut v: Vec<String> = ["sweep", "--widths", "2-1-2", "--runs", "2", "--epochs", "10", "--out", &out_s]
            .iter()
            .map(|s| s.to_string())
            .collect();
        v.extend(extra.iter().map(|s| s.to_string()));
        v
    };
    let unwritable = blocker.join("sub");
    #[allow(unused_mut)] // the cases of a build without the wgpu feature are added below
    let mut cases: Vec<(Vec<String>, &str)> = vec![
        (sweep(&["--init", "xavier"]), "glorot-uniform"),
        (vec!["predict".into(), "--init".into(), "xavier".into()], "rai"),
        (vec!["predict".into(), "--samples".into(), "0".into()], "--samples"),
        (vec!["predict".into(), "--samples".into(), "many".into()], "--samples"),
        (sweep(&["--device", "wgpu"]), "device: applies to engine = \"burn\" only"),
        (sweep(&["--engine", "cuda"]), "native"),
        (sweep(&["--optimizer", "rmsprop"]), "adam"),
        (sweep(&["--widths", "0-1-2"]), "0-1-2"),
        (sweep(&["--widths", "2-1"]), "h1-h2-h3"),
        (sweep(&["--lr", "-0.1"]), "--lr"),
        (sweep(&["--widths", "17-1-17"]), "limit 16"),
        (
            vec![
                "sweep".into(),
                "--widths".into(),
                "2-1-2".into(),
                "--runs".into(),
                "0".into(),
                "--epochs".into(),
                "5".into(),
                "--out".into(),
                out_s.clone(),
            ],
            "--runs",
        ),
        (
            vec![
                "sweep".into(),
                "--widths".into(),
                "2-1-2".into(),
                "--runs".into(),
                "-5".into(),
                "--epochs".into(),
                "5".into(),
                "--out".into(),
                out_s.clone(),
            ],
            "-5",
        ),
        (
            vec![
                "sweep".into(),
                "--widths".into(),
                "2-1-2".into(),
                "--runs".into(),
                "3".into(),
                "--epochs".into(),
                "0".into(),
                "--out".into(),
                out_s.clone(),
            ],
            "--epochs",
        ),
        (sweep(&["--dataset", "cifar-10"]), "unknown data set 'cifar-10'"),
        (sweep(&["--model", "vae", "--vae", "kingma,vanilla"]), "unknown preset 'vanilla'"),
        (sweep(&["--vae", "kingma"]), "apply to model = \"vae\" only"),
        (sweep(&["--steps", "10"]), "--steps"),
        (sweep(&["--dataset", "lines-32", "--batch-size", "0"]), "--batch-size: 0 is not between 1 and"),
        (sweep(&["--dataset", "lines-32", "--batch-size", "1001"]), "lines-32's 1000 images"),
        (sweep(&["--batch-size", "5"]), "--batch-size: 5 is not between 1 and squares-2x2's 4 images"),
        (sweep(&["--dataset", "lines-32", "--engine", "gpu"]), "engine gpu trains squares-2x2 in full batches only"),
        (vec!["run".into(), small_lines.to_str().unwrap().into()], "dataset.size"),
        (vec!["run".into(), no_images.to_str().unwrap().into()], "dataset.images"),
        (vec!["run".into(), malformed.to_str().unwrap().into()], "line 2"),
        (vec!["run".into(), unknown_key.to_str().unwrap().into()], "colour"),
        (vec!["run".into(), dir.path().join("missing.toml").to_str().unwrap().into()], "cannot read"),
        (vec!["run".into(), good.clone(), "--runs".into(), "0".into(), "--out".into(), out_s.clone()], "--runs"),
        (vec!["run".into(), good.clone(), "--threads".into(), "0".into(), "--out".into(), out_s.clone()], "--threads"),
        (vec!["run".into(), good.clone(), "--out".into(), unwritable.to_str().unwrap().into()], "--out"),
    ];
    #[cfg(not(feature = "wgpu"))]
    {
        cases.push((sweep(&["--engine", "gpu"]), "engine: engine gpu needs aemc built with the wgpu feature"));
        cases.push((sweep(&["--engine", "burn", "--device", "wgpu"]), "device: device wgpu needs"));
    }
    for (args, needle) in cases {
        let argv: Vec<&str> = args.iter().map(String::as_str).collect();
        one_line_error(&aemc(&argv), 2, needle);
        assert!(!out.exists() || std::fs::read_dir(&out).unwrap().next().is_none(), "{argv:?} left files in {out:?}");
    }
}

/// `AEMC_ISA` forces the native kernel's instruction set: every kernel the CPU runs writes
/// the same runs.csv; one it cannot run, or an unknown name, is one line and exit code 2
/// before any file is written.
#[test]
fn aemc_isa_chooses_the_kernel_and_never_the_results() {
    use aemc::engine::native::Isa;
    let dir = tempfile::tempdir().unwrap();
    let study = study_file(dir.path(), "study.toml", TINY);
    let run = |isa: &str| {
        let out = dir.path().join(format!("out-{isa}"));
        let o =
            common::bin().args(["run", &study, "--out", out.to_str().unwrap()]).env("AEMC_ISA", isa).output().unwrap();
        (o, out)
    };
    let (reference, reference_out) = run("portable");
    assert!(reference.status.success(), "{}", String::from_utf8_lossy(&reference.stderr));
    let runs = |out: &std::path::Path| std::fs::read(out.join("runs.csv")).unwrap();
    for isa in [Isa::Avx512, Isa::Avx2] {
        let (o, out) = run(isa.name());
        if isa.available() {
            assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
            assert_eq!(runs(&out), runs(&reference_out), "{}", isa.name());
        } else {
            one_line_error(&o, 2, "AEMC_ISA: this CPU cannot run");
            assert!(!out.exists(), "a refused run wrote {out:?}");
        }
    }
    let (bad, bad_out) = run("sse9");
    one_line_error(&bad, 2, "AEMC_ISA: 'sse9' is not an instruction set");
    assert!(!bad_out.exists());
}
