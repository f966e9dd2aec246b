//! The output directory's life cycle: created and proved writable, recognised as this
//! study's (resume), another study's (refused unless `--restart`) or new, and written to
//! atomically.

use std::io::Write;
use std::path::Path;

use anyhow::Context;

use super::StudySpec;
use super::checksums::Checksums;
use super::runs_csv::{PARTIAL_RUNS_FILE, RUNS_FILE};
use super::state::{STATE_FILE, State};
use crate::error::InputError;

/// The recorded copy of the study in an output directory.
pub const STUDY_FILE: &str = "study.toml";

/// Writes a file so that readers see either the old content or the new, never a mix:
/// a temporary file in the same directory, flushed, synced, then renamed over the target.
pub fn write_atomically(dir: &Path, name: &str, content: &[u8]) -> anyhow::Result<()> {
    let prefix = format!(".{name}.");
    let mut builder = tempfile::Builder::new();
    builder.prefix(&prefix);
    // Result files are for everyone to read, unlike tempfile's default 0600.
    #[cfg(unix)]
    builder.permissions(std::os::unix::fs::PermissionsExt::from_mode(0o644));
    let mut tmp = builder.tempfile_in(dir).with_context(|| format!("cannot create a file in {}", dir.display()))?;
    tmp.write_all(content)?;
    tmp.as_file().sync_all()?;
    tmp.persist(dir.join(name)).with_context(|| format!("cannot write {}", dir.join(name).display()))?;
    Ok(())
}

/// Records a directory's state (its study, shard and checksums), atomically.
pub fn write_state(dir: &Path, state: &State) -> anyhow::Result<()> {
    write_atomically(dir, STATE_FILE, state.to_json().as_bytes())
}

/// Creates the output directory, proves it writable, and decides between a fresh start
/// (`None`) and resuming what it holds (the checksums recorded for its rows). Refuses to
/// touch another study's results unless `restart`. On a fresh start it removes runs.csv and,
/// where the directory held another study or `restart` is given, the `derived` summary files
/// too (this study's own summaries stay until they are rewritten, atomically, at the end).
/// Records the study and its state (keeping the recorded checksums when resuming).
pub fn prepare(
    out: &Path,
    spec: &StudySpec,
    state: &State,
    restart: bool,
    derived: &[&str],
) -> anyhow::Result<Option<Checksums>> {
    let unwritable = |e: std::io::Error| {
        InputError::field("--out", format!("cannot write to {}: {e}; give a writable directory", out.display()))
    };
    std::fs::create_dir_all(out).map_err(unwritable)?;
    tempfile::tempfile_in(out).map_err(unwritable)?;
    let prior = State::read(out);
    let same_study = matches!(prior, Ok(Some(ref p)) if p.same_study(state));
    let mut recorded = state.clone();
    let resume = match prior {
        // Same study: resume what is on disk (a clean clone of the results has summaries only).
        Ok(Some(prior)) if same_study => {
            recorded.checksums = prior.checksums;
            !restart && (out.join(PARTIAL_RUNS_FILE).exists() || out.join(RUNS_FILE).exists())
        }
        Ok(Some(prior)) if !restart => {
            return Err(InputError::field(
                "--out",
                format!(
                    "{} holds results of another study or shard (study {}, fingerprint {}, shard {}; this is {}, {}, {}); \
                     pass --restart to replace them or choose another --out",
                    out.display(),
                    prior.study,
                    prior.fingerprint,
                    prior.shard,
                    state.study,
                    state.fingerprint,
                    state.shard
                ),
            )
            .into());
        }
        Err(e) if !restart => return Err(e.into()),
        _ => false,
    };
    if !resume {
        let derived = derived.iter().filter(|_| !same_study || restart);
        for stale in [RUNS_FILE, PARTIAL_RUNS_FILE].iter().chain(derived) {
            match std::fs::remove_file(out.join(stale)) {
                Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(e.into()),
                _ => {}
            }
        }
    }
    if !resume {
        recorded.checksums = Checksums::default();
    }
    let study = format!("# Study as run by aemc {}\n{}", env!("CARGO_PKG_VERSION"), spec.to_toml());
    write_atomically(out, STUDY_FILE, study.as_bytes())?;
    write_state(out, &recorded)?;
    Ok(resume.then_some(recorded.checksums))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::study::state::Shard;

    fn spec(seed: u64) -> StudySpec {
        StudySpec::from_toml(&format!("name = \"t\"\nseed = {seed}\nruns = 3\nwidths = [\"2-1-2\"]\n")).unwrap()
    }

    #[test]
    fn a_new_directory_starts_fresh_and_records_the_study() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("out");
        let s = spec(1);
        assert!(prepare(&out, &s, &State::new(&s, Shard::WHOLE), false, &[]).unwrap().is_none());
        assert_eq!(State::read(&out).unwrap(), Some(State::new(&s, Shard::WHOLE)));
        let recorded = std::fs::read_to_string(out.join(STUDY_FILE)).unwrap();
        assert_eq!(StudySpec::from_toml(&recorded).unwrap(), s);
    }

    #[test]
    fn the_same_study_resumes_and_another_is_refused_unless_restarted() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path();
        let (a, b) = (spec(1), spec(2));
        let state_a = State::new(&a, Shard::WHOLE);
        prepare(out, &a, &state_a, false, &[]).unwrap();
        std::fs::write(out.join(PARTIAL_RUNS_FILE), "rows").unwrap();
        std::fs::write(out.join("summary.csv"), "old").unwrap();
        assert!(prepare(out, &a, &state_a, false, &["summary.csv"]).unwrap().is_some(), "same study resumes");
        let refused = prepare(out, &b, &State::new(&b, Shard::WHOLE), false, &["summary.csv"]).unwrap_err();
        assert!(refused.to_string().contains("--restart"), "{refused}");
        assert!(out.join(PARTIAL_RUNS_FILE).exists(), "a refusal touched the results");
        assert!(prepare(out, &b, &State::new(&b, Shard::WHOLE), true, &["summary.csv"]).unwrap().is_none());
        assert!(!out.join(PARTIAL_RUNS_FILE).exists() && !out.join("summary.csv").exists());
    }

    #[test]
    fn restarting_the_same_study_keeps_nothing_stale() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path();
        let a = spec(1);
        let state = State::new(&a, Shard::WHOLE);
        prepare(out, &a, &state, false, &[]).unwrap();
        std::fs::write(out.join(RUNS_FILE), "rows").unwrap();
        assert!(prepare(out, &a, &state, true, &["summary.csv"]).unwrap().is_none());
        assert!(!out.join(RUNS_FILE).exists());
    }
}
