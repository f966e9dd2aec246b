//! Studies that survive: resume after SIGKILL, shards and merge, refusals, a full disk.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

mod common;

use common::{aemc, bin, one_line_error, study_file};
use std::time::Duration;

use aemc::study::seed::mix;

fn ok(o: Output) -> Output {
    assert!(o.status.success(), "failed: {}", String::from_utf8_lossy(&o.stderr));
    o
}

const OUTPUTS: [&str; 8] = [
    "runs.csv",
    "summary.csv",
    "claims.csv",
    "init-events.csv",
    "summary.md",
    "summary.json",
    "study.toml",
    "aemc-state.json",
];

fn assert_same_outputs(a: &Path, b: &Path) {
    for f in OUTPUTS {
        let (x, y) = (std::fs::read(a.join(f)).unwrap(), std::fs::read(b.join(f)).unwrap());
        assert!(x == y, "{f} differs between {a:?} and {b:?}");
    }
}

const SMALL: &str =
    "name = \"small\"\nseed = 11\nruns = 50\nwidths = [\"2-1-2\", \"3-1-3\"]\nepochs = [300]\nlr = [0.01]\n";

#[test]
fn killed_five_times_and_resumed_equals_uninterrupted() {
    let dir = tempfile::tempdir().unwrap();
    // About 5 s of work on two cores, in waves of 2·2·16 runs, so kills land mid-study.
    let study = study_file(
        dir.path(),
        "long.toml",
        "name = \"long\"\nruns = 1500\nwidths = [\"2-1-2\", \"5-2-5\"]\nepochs = [8000]\npopulation = 16\n",
    );
    let reference = dir.path().join("reference");
    let started = std::time::Instant::now();
    ok(aemc(&["run", &study, "--out", reference.to_str().unwrap(), "--threads", "2"]));
    let whole = started.elapsed();
    let out = dir.path().join("resumed");
    let mut interrupted = 0;
    for k in 0..5u64 {
        // Fixed pseudo-random moments, each 4–16% of an uninterrupted run after its start,
        // so that all five fall before the study completes.
        let at = whole.mul_f64((40 + mix(k) % 120) as f64 / 1000.0);
        let mut child = bin()
            .args(["run", &study, "--out", out.to_str().unwrap(), "--threads", "2"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(at.max(Duration::from_millis(20)));
        if child.try_wait().unwrap().is_none() {
            interrupted += 1;
        }
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();
    }
    assert_eq!(interrupted, 5, "a kill came after the study had finished");
    ok(aemc(&["run", &study, "--out", out.to_str().unwrap(), "--threads", "1", "--population", "7"]));
    assert_same_outputs(&reference, &out);
}

#[test]
fn four_shards_merge_into_the_unsharded_study() {
    let dir = tempfile::tempdir().unwrap();
    let study = study_file(dir.path(), "small.toml", SMALL);
    let whole = dir.path().join("whole");
    ok(aemc(&["run", &study, "--out", whole.to_str().unwrap()]));
    let shard_dirs: Vec<PathBuf> = (1..=4).map(|k| dir.path().join(format!("shard{k}"))).collect();
    // Shards run in scrambled order with other execution settings.
    for k in [3usize, 1, 4, 2] {
        let shard = format!("{k}/4");
        ok(aemc(&["run", &study, "--shard", &shard, "--out", shard_dirs[k - 1].to_str().unwrap(), "--threads", "1"]));
    }
    let merged = dir.path().join("merged");
    let mut args = vec!["merge".to_string(), merged.to_str().unwrap().to_string()];
    args.extend([2, 4, 1, 3].iter().map(|&k| shard_dirs[k - 1].to_str().unwrap().to_string()));
    ok(bin().args(&args).output().unwrap());
    assert_same_outputs(&whole, &merged);

    // Refusals, each naming what is wrong.
    let s = |k: usize| shard_dirs[k - 1].to_str().unwrap().to_string();
    let out = dir.path().join("refused").to_str().unwrap().to_string();
    let missing = aemc(&["merge", &out, &s(1), &s(2), &s(4)]);
    one_line_error(&missing, 2, "missing shards: 3/4");
    let overlapping = aemc(&["merge", &out, &s(1), &s(2), &s(3), &s(4), &s(2)]);
    one_line_error(&overlapping, 2, "overlapping shards: 2/4");
    let other = dir.path().join("other");
    let other_study = study_file(dir.path(), "other.toml", &SMALL.replace("seed = 11", "seed = 12"));
    ok(aemc(&["run", &other_study, "--shard", "3/4", "--out", other.to_str().unwrap()]));
    let different = aemc(&["merge", &out, &s(1), &s(2), other.to_str().unwrap(), &s(4)]);
    one_line_error(&different, 2, "shards of different studies");
    let not_a_shard = aemc(&["merge", &out, dir.path().to_str().unwrap()]);
    one_line_error(&not_a_shard, 2, "not an aemc output directory");
    for bad in ["0/4", "5/4", "two/four", "1/0"] {
        one_line_error(&aemc(&["run", &study, "--shard", bad, "--out", &out]), 2, "K/N");
    }
}

#[test]
fn a_changed_study_is_refused_unless_restarted() {
    let dir = tempfile::tempdir().unwrap();
    let study = study_file(dir.path(), "small.toml", SMALL);
    let out = dir.path().join("out");
    let out_s = out.to_str().unwrap();
    ok(aemc(&["run", &study, "--out", out_s]));
    let before = std::fs::read(out.join("runs.csv")).unwrap();
    // Running it again finds it complete and changes nothing.
    ok(aemc(&["run", &study, "--out", out_s, "--population", "3"]));
    assert_eq!(std::fs::read(out.join("runs.csv")).unwrap(), before);
    std::fs::write(&study, SMALL.replace("lr = [0.01]", "lr = [0.02]")).unwrap();
    let refused = aemc(&["run", &study, "--out", out_s]);
    one_line_error(&refused, 2, "--restart");
    assert_eq!(std::fs::read(out.join("runs.csv")).unwrap(), before, "a refused run touched the results");
    ok(aemc(&["run", &study, "--out", out_s, "--restart"]));
    assert_ne!(std::fs::read(out.join("runs.csv")).unwrap(), before);
}

/// A full disk (here a file-size limit, which fails writes the same way) ends the run with
/// one line and exit code 1, and keeps what was written for a resume.
#[test]
fn a_full_disk_fails_cleanly_and_the_study_resumes() {
    let dir = tempfile::tempdir().unwrap();
    let study = study_file(dir.path(), "small.toml", SMALL);
    let out = dir.path().join("out");
    let script = format!(
        "trap '' XFSZ; ulimit -f 8; exec '{}' run '{}' --out '{}' --population 4 --threads 1",
        env!("CARGO_BIN_EXE_aemc"),
        study,
        out.display()
    );
    let o = Command::new("sh").args(["-c", &script]).output().unwrap();
    one_line_error(&o, 1, "File too large");
    assert!(out.join("runs.csv.partial").exists());
    assert!(!out.join("runs.csv").exists());
    let reference = dir.path().join("reference");
    ok(aemc(&["run", &study, "--out", reference.to_str().unwrap()]));
    ok(aemc(&["run", &study, "--out", out.to_str().unwrap()]));
    assert_same_outputs(&reference, &out);
}

#[test]
fn diverged_runs_are_recorded_not_dropped() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    ok(aemc(&[
        "sweep",
        "--widths",
        "2-1-2",
        "--runs",
        "40",
        "--epochs",
        "50",
        "--optimizer",
        "sgd",
        "--lr",
        "1e30",
        "--out",
        out.to_str().unwrap(),
    ]));
    let runs = std::fs::read_to_string(out.join("runs.csv")).unwrap();
    assert_eq!(runs.lines().count(), 41);
    assert!(runs.contains(",diverged,"), "no run diverged at lr 1e30");
}

mod arbitrary_input {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

        /// Any text as a study file: a one-line error or a valid study, never a panic.
        #[test]
        fn any_study_text(text in ".{0,200}", key in "[a-z_]{1,8}", value in "[-0-9a-z\".\\[\\], ]{0,20}") {
            for candidate in [text.clone(), format!("name = \"x\"\nruns = 2\nwidths = [\"2-1-2\"]\n{key} = {value}\n")] {
                if let Err(e) = aemc::study::StudySpec::from_toml(&candidate) {
                    prop_assert!(!e.to_string().contains('\n'), "{e}");
                }
            }
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

        /// Any arguments: exit code 2 with one line (or 0 for help), never a panic.
        #[test]
        fn any_arguments(args in prop::collection::vec("(run|sweep|merge|predict|--[a-z]{1,10}|[-0-9a-z/,.=]{0,12})", 0..6)) {
            let dir = tempfile::tempdir().unwrap();
            let o = bin().args(&args).current_dir(dir.path()).output().unwrap();
            let stderr = String::from_utf8_lossy(&o.stderr);
            prop_assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
            match o.status.code() {
                Some(0) => {}
                Some(2) => prop_assert_eq!(stderr.trim_end().lines().count(), 1, "{:?}: {}", args, stderr),
                other => prop_assert!(false, "{:?}: exit {:?}: {}", args, other, stderr),
            }
        }
    }
}
