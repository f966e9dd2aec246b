//! Studies that survive: resume after SIGKILL, shards and merge, refusals, a full disk.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

mod common;

use common::{aemc, bin, ok, one_line_error, study_file};
use std::time::Duration;

use aemc::rng::mix;

const OUTPUTS: [&str; 9] = [
    "runs.csv",
    "widths.md",
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

/// Rows of a runs.csv or runs.csv.partial, the header not counted.
fn rows_in(dir: &Path) -> usize {
    let path = [dir.join("runs.csv.partial"), dir.join("runs.csv")].into_iter().find(|p| p.exists()).unwrap();
    std::fs::read_to_string(path).unwrap().lines().count() - 1
}

/// A study killed (SIGKILL, sent by the process itself through the test-only
/// `AEMC_TEST_KILL_AFTER_WAVE`) right after its N-th synced wave, five times over with other
/// thread counts and populations, then resumed to the end, writes exactly what an
/// uninterrupted run writes. Each kill leaves exactly the synced waves' rows on disk.
#[test]
fn killed_after_exact_waves_and_resumed_equals_uninterrupted() {
    let dir = tempfile::tempdir().unwrap();
    // 2 configurations × 150 runs; waves of threads·population·2 runs that end at each
    // configuration's end.
    let study = study_file(
        dir.path(),
        "waves.toml",
        "name = \"waves\"\nruns = 150\nwidths = [\"2-1-2\", \"5-2-5\"]\nepochs = [400]\nlr = [0.01]\n",
    );
    let reference = dir.path().join("reference");
    ok(aemc(&["run", &study, "--out", reference.to_str().unwrap(), "--threads", "2"]));
    let out = dir.path().join("resumed");
    // (threads, population, waves before the kill): wave sizes 2·2·8 = 32, 1·2·5 = 10, 2·2·3 = 12
    // runs, so the kills land mid-configuration, at a configuration's end and in the second one.
    let kills = [("2", "8", 1u64), ("1", "5", 3), ("2", "3", 4), ("1", "5", 2), ("2", "8", 2)];
    let mut expected_rows = 0usize;
    for (threads, population, waves) in kills {
        let o = bin()
            .args(["run", &study, "--out", out.to_str().unwrap(), "--threads", threads, "--population", population])
            .env("AEMC_TEST_KILL_AFTER_WAVE", waves.to_string())
            .output()
            .unwrap();
        assert_eq!(o.status.code(), None, "not killed after wave {waves}: {}", String::from_utf8_lossy(&o.stderr));
        // The waves this process ran: each as long as threads·population·2, cut at the end of a
        // configuration (150 runs).
        let wave = threads.parse::<usize>().unwrap() * population.parse::<usize>().unwrap() * 2;
        for _ in 0..waves {
            let left_in_config = 150 - expected_rows % 150;
            expected_rows += wave.min(left_in_config);
        }
        assert_eq!(rows_in(&out), expected_rows, "after {waves} waves of {wave}");
    }
    assert!(expected_rows < 300, "the kills must leave work to resume");
    ok(aemc(&["run", &study, "--out", out.to_str().unwrap(), "--threads", "2", "--population", "7"]));
    assert_same_outputs(&reference, &out);
}

/// One real `kill -9` from outside at a pseudo-random moment (fixed seed), then a resume:
/// wherever the kill lands, a torn last row included, the study ends as an uninterrupted one.
#[test]
fn killed_from_outside_and_resumed_equals_uninterrupted() {
    let dir = tempfile::tempdir().unwrap();
    let study = study_file(
        dir.path(),
        "long.toml",
        "name = \"long\"\nruns = 600\nwidths = [\"2-1-2\", \"5-2-5\"]\nepochs = [4000]\npopulation = 16\n",
    );
    let reference = dir.path().join("reference");
    ok(aemc(&["run", &study, "--out", reference.to_str().unwrap(), "--threads", "2"]));
    let out = dir.path().join("resumed");
    let mut child = bin()
        .args(["run", &study, "--out", out.to_str().unwrap(), "--threads", "2"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(100 + mix(2026) % 900));
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
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

/// The study the checksum tests damage: 2 × 1500 runs of 50 epochs, waves of 1024 runs (two
/// threads of 256), so three waves put 2524 rows on disk: checksummed blocks of rows 1–1024
/// and 1025–2048 and a tail.
const CHECKED: &str = "name = \"checked\"\nseed = 3\nruns = 1500\nwidths = [\"2-1-2\", \"3-1-3\"]\nepochs = [50]\n";

/// Runs `study` into `out`, killed right after its `waves`-th synced wave.
fn killed_after(study: &str, out: &Path, waves: u64) {
    let o = bin()
        .args(["run", study, "--out", out.to_str().unwrap(), "--threads", "2", "--population", "256"])
        .env("AEMC_TEST_KILL_AFTER_WAVE", waves.to_string())
        .output()
        .unwrap();
    assert_eq!(o.status.code(), None, "not killed: {}", String::from_utf8_lossy(&o.stderr));
}

/// Applies one kind of damage to line `line` (0 = header) of a file.
fn damage(path: &Path, kind: &str, line: usize) {
    let text = std::fs::read(path).unwrap();
    let mut lines: Vec<Vec<u8>> = text.split(|&b| b == b'\n').map(<[u8]>::to_vec).collect();
    match kind {
        "flipped byte" => lines[line][40] ^= 1,
        "edited field" => {
            let text = String::from_utf8(lines[line].clone()).unwrap();
            let mut cells: Vec<&str> = text.split(',').collect();
            cells[8] = if cells[8] == "optimal" { "gray-pair" } else { "optimal" };
            cells[7] = "0.123";
            lines[line] = cells.join(",").into_bytes();
        }
        "duplicated row" => lines.insert(line, lines[line].clone()),
        "deleted row" => drop(lines.remove(line)),
        "swapped rows" => lines.swap(line, line + 1),
        _ => unreachable!(),
    }
    std::fs::write(path, lines.join(&b'\n')).unwrap();
}

const DAMAGE: [&str; 5] = ["flipped byte", "edited field", "duplicated row", "deleted row", "swapped rows"];

/// Empty and header-only partial files are studies that have not started: they resume.
/// Each kind of damage in the middle of a partial file is found; the damaged block and all
/// after it are trained again, the user is told which rows and why, and the study ends
/// byte-identical to an uninterrupted one.
#[test]
fn damaged_partial_files_are_found_and_trained_again() {
    let dir = tempfile::tempdir().unwrap();
    let study = study_file(dir.path(), "checked.toml", CHECKED);
    let reference = dir.path().join("reference");
    ok(aemc(&["run", &study, "--out", reference.to_str().unwrap()]));
    for (kind, keep) in [("empty", 0usize), ("header only", 1)] {
        let out = dir.path().join(kind.replace(' ', "-"));
        killed_after(&study, &out, 1);
        let partial = out.join("runs.csv.partial");
        let text = std::fs::read_to_string(&partial).unwrap();
        let kept: String = text.lines().take(keep).map(|l| format!("{l}\n")).collect();
        std::fs::write(&partial, kept).unwrap();
        ok(aemc(&["run", &study, "--out", out.to_str().unwrap()]));
        assert_same_outputs(&reference, &out);
    }
    for kind in DAMAGE {
        let out = dir.path().join(kind.replace(' ', "-"));
        killed_after(&study, &out, 3);
        damage(&out.join("runs.csv.partial"), kind, 1500);
        let o = ok(aemc(&["run", &study, "--out", out.to_str().unwrap()]));
        let stderr = String::from_utf8_lossy(&o.stderr);
        assert!(stderr.contains("rows 1025–"), "{kind}: {stderr}");
        assert_same_outputs(&reference, &out);
    }
}

/// A state file that does not parse is refused with one line and the `--restart` hint.
#[test]
fn a_damaged_state_file_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let study = study_file(dir.path(), "small.toml", SMALL);
    let out = dir.path().join("out");
    ok(aemc(&["run", &study, "--out", out.to_str().unwrap()]));
    let state = out.join("aemc-state.json");
    let text = std::fs::read_to_string(&state).unwrap();
    std::fs::write(&state, &text[..text.len() / 2]).unwrap();
    one_line_error(&aemc(&["run", &study, "--out", out.to_str().unwrap()]), 2, "--restart");
}

/// `aemc verify` passes an untouched directory and fails, naming the row, on each kind of
/// edit; `aemc merge` refuses a tampered shard, naming it and the rows.
#[test]
fn verify_names_every_edit_and_merge_refuses_tampered_shards() {
    let dir = tempfile::tempdir().unwrap();
    let study = study_file(dir.path(), "checked.toml", CHECKED);
    let whole = dir.path().join("whole");
    ok(aemc(&["run", &study, "--out", whole.to_str().unwrap()]));
    let o = ok(aemc(&["verify", whole.to_str().unwrap(), "--sample", "50"]));
    assert!(String::from_utf8_lossy(&o.stdout).contains("verified"));
    for kind in DAMAGE {
        let copy = dir.path().join(format!("verify-{}", kind.replace(' ', "-")));
        std::fs::create_dir(&copy).unwrap();
        for f in OUTPUTS {
            std::fs::copy(whole.join(f), copy.join(f)).unwrap();
        }
        damage(&copy.join("runs.csv"), kind, 1500);
        let o = aemc(&["verify", copy.to_str().unwrap(), "--all"]);
        let stdout = String::from_utf8_lossy(&o.stdout);
        assert_eq!(o.status.code(), Some(1), "{kind}: {stdout}");
        assert!(stdout.contains("rows 1025–2048 do not match the checksum"), "{kind}: {stdout}");
        assert!(stdout.contains("row 1500") || stdout.contains("row 1501"), "{kind}: no row named: {stdout}");
    }
    let shards: Vec<PathBuf> = (1..=2).map(|k| dir.path().join(format!("shard{k}"))).collect();
    for (k, shard) in shards.iter().enumerate() {
        ok(aemc(&["run", &study, "--shard", &format!("{}/2", k + 1), "--out", shard.to_str().unwrap()]));
    }
    damage(&shards[1].join("runs.csv"), "edited field", 900);
    let merged = dir.path().join("merged");
    let refused = aemc(&["merge", merged.to_str().unwrap(), shards[0].to_str().unwrap(), shards[1].to_str().unwrap()]);
    one_line_error(&refused, 2, "shard2/runs.csv: rows 1–");
}
