//! `aemc verify`: audits a results directory someone sends you. It trusts nothing it cannot
//! recompute: runs.csv's rows against the checksums recorded in the directory's state, each
//! row against itself and its place in the study, a sample of runs (or all of them) replayed
//! from their seeds with the study's recorded settings and compared with their rows bit for
//! bit, and every summary file against the summaries of runs.csv.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use crate::analysis::exact::predictions;
use crate::error::InputError;
use crate::report::{Report, Summary, exporters};
use crate::rng::RunRng;
use crate::study::StudySpec;
use crate::study::output::STUDY_FILE;
use crate::study::run::train_runs;
use crate::study::runs_csv::{RUNS_FILE, RowFormat, RunRow, RunsCsv, Trust, expected_row, read_back, row_index};
use crate::study::state::{STATE_FILE, State};

/// Which runs to replay.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Sample {
    /// This many, chosen at random (seeded).
    Some(u64),
    /// Every run.
    All,
}

/// Every disagreement found in `dir`, one line each (empty when everything matches).
/// Replays `sample` runs chosen by a stream seeded with `seed`.
pub fn verify(dir: &Path, sample: Sample, seed: u64) -> anyhow::Result<Vec<String>> {
    let state = State::read_existing(dir)?;
    let spec = StudySpec::from_file(&dir.join(STUDY_FILE))?;
    let mut problems = Vec::new();
    if State::new(&spec, state.shard).fingerprint != state.fingerprint {
        problems.push(format!("{STUDY_FILE} does not match the fingerprint in {STATE_FILE}"));
    }
    let runs = state.shard.runs(spec.runs);
    let configs = spec.configurations();
    let total = (runs.end - runs.start) * configs.len() as u64;
    let chosen = choose(total, sample, seed);
    let path = dir.join(RUNS_FILE);
    if !path.exists() {
        return Err(InputError::field(
            path.display().to_string(),
            "missing: is the study finished? `aemc run` writes it",
        )
        .into());
    }
    let mut summary = Summary::new(&spec);
    let mut recorded: BTreeMap<u64, RunRow> = BTreeMap::new();
    let read = read_back(&path, &spec, None, &runs, &state.checksums, Trust::Audit, |row| {
        summary.add(row);
        let index = row_index(&runs, row);
        if chosen.contains(&index) {
            recorded.insert(index, row.clone());
        }
    })?
    .ok_or_else(|| InputError::field(path.display().to_string(), "has no header"))?;
    problems.extend(read.problems.iter().map(|p| format!("{RUNS_FILE}: {p}")));
    if read.rows != total {
        problems.push(format!("{RUNS_FILE} has {} good rows; the study has {total}", read.rows));
    }

    // Replay the chosen runs that were read, configuration by configuration.
    let engine = spec.engine.engine(spec.device)?;
    let format = RowFormat::new(&spec, read.weights);
    let mut by_config: BTreeMap<usize, Vec<(u64, u64)>> = BTreeMap::new();
    for &i in recorded.keys() {
        let (config, run) = expected_row(&runs, i);
        by_config.entry(config).or_default().push((i, run));
    }
    for (config, rows) in by_config {
        let run_indices: Vec<u64> = rows.iter().map(|&(_, run)| run).collect();
        let replayed = train_runs(&spec, engine.as_ref(), config, &run_indices)?;
        for ((i, _), record) in rows.iter().zip(&replayed) {
            let (was, now) = (format.cells(&recorded[i]), format.cells(&format.row_of(record)));
            if let Some(k) = (0..was.len()).find(|&k| was[k] != now[k]) {
                let column = RunsCsv::header(&spec, read.weights)[k].clone();
                problems.push(format!(
                    "{RUNS_FILE} row {}: {column} is {}, its replay gives {}",
                    i + 1,
                    was[k],
                    now[k]
                ));
            }
        }
    }

    // The summaries of runs.csv against the files.
    let report = Report::new(summary, predictions);
    for exporter in exporters().into_iter().filter(|e| e.applies(&report)) {
        let expected = exporter.render(&report)?;
        match std::fs::read_to_string(dir.join(exporter.file_name())) {
            Ok(found) if found == expected => {}
            Ok(found) => {
                let line = found
                    .lines()
                    .zip(expected.lines())
                    .position(|(a, b)| a != b)
                    .unwrap_or(found.lines().count().min(expected.lines().count()));
                problems.push(format!(
                    "{} differs from the summary of {RUNS_FILE} from line {}",
                    exporter.file_name(),
                    line + 1
                ));
            }
            Err(e) => problems.push(format!("{}: {e}", exporter.file_name())),
        }
    }
    Ok(problems)
}

/// The row indices (0-based) to replay: `sample` of `total`, distinct, chosen by a stream
/// seeded with `seed` (Floyd's algorithm), or all of them.
fn choose(total: u64, sample: Sample, seed: u64) -> BTreeSet<u64> {
    let n = match sample {
        Sample::All => return (0..total).collect(),
        Sample::Some(n) => n.min(total),
    };
    let mut rng = RunRng::new(seed);
    let mut chosen = BTreeSet::new();
    for j in total - n..total {
        let t = (rng.uniform() * (j + 1) as f64) as u64;
        if !chosen.insert(t.min(j)) {
            chosen.insert(j);
        }
    }
    chosen
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn samples_are_distinct_seeded_and_capped() {
        let a = choose(1000, Sample::Some(100), 5);
        assert_eq!(a.len(), 100);
        assert!(a.iter().all(|&i| i < 1000));
        assert_eq!(a, choose(1000, Sample::Some(100), 5));
        assert_ne!(a, choose(1000, Sample::Some(100), 6));
        assert_eq!(choose(10, Sample::Some(100), 5).len(), 10);
        assert_eq!(choose(7, Sample::All, 5), (0..7).collect());
    }
}
