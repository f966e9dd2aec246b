//! `aemc merge`: the shards of a study, checked to be one study's complete set, joined into
//! the rows one unsharded run writes, in its order.

use std::path::{Path, PathBuf};

use super::StudySpec;
use super::output::{STUDY_FILE, prepare, write_state};
use super::runs_csv::{RUNS_FILE, RunRow, RunsCsv, read_rows};
use super::state::{Shard, State};
use crate::error::InputError;

/// A checked set of shards: every shard 1..N of one study, once each.
#[derive(Debug)]
pub struct Merge {
    /// The study the shards belong to.
    pub spec: StudySpec,
    /// Each shard's directory and state, in shard order.
    shards: Vec<(PathBuf, State)>,
}

impl Merge {
    /// Reads the shards' states and checks they are all the shards of one study.
    pub fn new(dirs: &[PathBuf]) -> Result<Self, InputError> {
        let mut shards = Vec::new();
        for dir in dirs {
            shards.push((dir.clone(), State::read_existing(dir)?));
        }
        let (first_dir, first) =
            shards.first().cloned().ok_or_else(|| InputError::field("merge", "no shards given"))?;
        if let Some((dir, state)) =
            shards.iter().find(|(_, s)| s.fingerprint != first.fingerprint || s.shard.count != first.shard.count)
        {
            return Err(InputError::field(
                "merge",
                format!(
                    "{} holds study {} ({}, {} shards) but {} holds study {} ({}, {} shards): shards of different studies",
                    dir.display(),
                    state.study,
                    state.fingerprint,
                    state.shard.count,
                    first_dir.display(),
                    first.study,
                    first.fingerprint,
                    first.shard.count
                ),
            ));
        }
        shards.sort_by_key(|(_, s)| s.shard.index);
        if let Some(pair) = shards.windows(2).find(|p| p[0].1.shard.index == p[1].1.shard.index) {
            return Err(InputError::field(
                "merge",
                format!(
                    "overlapping shards: {} is in both {} and {}",
                    pair[0].1.shard,
                    pair[0].0.display(),
                    pair[1].0.display()
                ),
            ));
        }
        let missing: Vec<String> = (1..=first.shard.count)
            .filter(|k| !shards.iter().any(|(_, s)| s.shard.index == *k))
            .map(|k| format!("{k}/{}", first.shard.count))
            .collect();
        if !missing.is_empty() {
            return Err(InputError::field("merge", format!("missing shards: {}", missing.join(", "))));
        }
        let spec = StudySpec::from_file(&first_dir.join(STUDY_FILE))?;
        if State::new(&spec, Shard::WHOLE).fingerprint != first.fingerprint {
            return Err(InputError::field(
                first_dir.join(STUDY_FILE).display().to_string(),
                "does not match its aemc-state.json",
            ));
        }
        Ok(Merge { spec, shards })
    }

    /// Writes the merged study to `out` (replacing whatever is there, `derived` files
    /// included), handing every row to `on_row` in order.
    pub fn write(&self, out: &Path, derived: &[&str], mut on_row: impl FnMut(&RunRow)) -> anyhow::Result<()> {
        let spec = &self.spec;
        let mut state = State::new(spec, Shard::WHOLE);
        prepare(out, spec, &state, true, derived)?;
        let mut readers = Vec::new();
        let mut weights = None;
        for (dir, state) in &self.shards {
            let (with_weights, rows) = read_rows(dir, spec, state.shard.runs(spec.runs), &state.checksums)?;
            if *weights.get_or_insert(with_weights) != with_weights {
                return Err(InputError::field(
                    dir.join(RUNS_FILE).display().to_string(),
                    "its columns differ from the other shards' (--weights on some shards only)",
                )
                .into());
            }
            readers.push(rows);
        }
        let mut runs_csv = RunsCsv::create(out, spec, weights.unwrap_or(false))?;
        for _ in spec.configurations() {
            for ((dir, state), rows) in self.shards.iter().zip(readers.iter_mut()) {
                for _ in state.shard.runs(spec.runs) {
                    let row = rows.next().ok_or_else(|| {
                        InputError::field(
                            dir.join(RUNS_FILE).display().to_string(),
                            "ends early: is this shard finished?",
                        )
                    })??;
                    runs_csv.write(&row)?;
                    on_row(&row);
                }
            }
        }
        runs_csv.sync()?;
        for (dir, _) in &self.shards {
            super::run_files::gather(dir, out)?;
        }
        state.checksums = runs_csv.checksums();
        write_state(out, &state)?;
        runs_csv.finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::study::execute::{Invocation, execute};
    use crate::study::run::RunOptions;

    fn run(spec: &StudySpec, out: PathBuf, shard: Shard) -> Vec<RunRow> {
        let inv = Invocation {
            spec: spec.clone(),
            out,
            options: RunOptions { threads: 1, population: 3 },
            weights: false,
            outputs: false,
            shard,
            restart: false,
            plots: false,
        };
        let mut rows = Vec::new();
        execute(&inv, &[], |row| rows.push(row.clone())).unwrap();
        rows
    }

    #[test]
    fn shards_merge_into_the_unsharded_study_and_incomplete_sets_are_refused() {
        let spec =
            StudySpec::from_toml("name = \"m\"\nruns = 7\nwidths = [\"2-1-2\", \"3-1-3\"]\nepochs = [40]\n").unwrap();
        let dir = tempfile::tempdir().unwrap();
        let whole = run(&spec, dir.path().join("whole"), Shard::WHOLE);
        let shards: Vec<PathBuf> = (1..=3).map(|k| dir.path().join(format!("shard{k}"))).collect();
        for (k, shard_dir) in shards.iter().enumerate().rev() {
            run(&spec, shard_dir.clone(), Shard { index: k as u64 + 1, count: 3 });
        }
        let merge = Merge::new(&[shards[2].clone(), shards[0].clone(), shards[1].clone()]).unwrap();
        let mut merged = Vec::new();
        merge.write(&dir.path().join("merged"), &[], |row| merged.push(row.clone())).unwrap();
        assert_eq!(merged, whole);
        let read = |d: &str| std::fs::read(dir.path().join(d).join(RUNS_FILE)).unwrap();
        assert_eq!(read("merged"), read("whole"));

        let missing = Merge::new(&shards[..2]).unwrap_err().to_string();
        assert!(missing.contains("missing shards: 3/3"), "{missing}");
        let twice = Merge::new(&[shards[0].clone(), shards[1].clone(), shards[2].clone(), shards[1].clone()]);
        assert!(twice.unwrap_err().to_string().contains("overlapping shards: 2/3"));
        let other = StudySpec { seed: 9, ..spec.clone() };
        run(&other, dir.path().join("other"), Shard { index: 3, count: 3 });
        let mixed = Merge::new(&[shards[0].clone(), shards[1].clone(), dir.path().join("other")]).unwrap_err();
        assert!(mixed.to_string().contains("shards of different studies"), "{mixed}");
    }
}
