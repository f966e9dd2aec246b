//! `aemc compare A B`: two finished studies' runs paired by seed. Run i of a configuration in A
//! and run i of the same configuration in B start from the same seed when the studies share
//! their seed, initialisers and widths, and so from the same A1 weights (A2 draws its b head
//! after them) and, on mini-batches, the same data order: the pairs differ only in what the
//! studies differ in (the model, A2's reading, the epochs of another configuration…).

use std::path::Path;

use super::output::STUDY_FILE;
use super::runs_csv::{RunRow, config_cells, read_rows};
use super::state::State;
use super::{Configuration, StudySpec};
use crate::error::InputError;

/// The two studies being compared and their paired runs.
#[derive(Debug)]
pub struct Pairing {
    /// Study A.
    pub a: StudySpec,
    /// Study B.
    pub b: StudySpec,
    /// Each pair: the configuration's index in A, A's run, B's run.
    pub pairs: Vec<(usize, RunRow, RunRow)>,
}

/// What pairs a configuration of one study with one of another: its data set and its columns.
fn key(config: &Configuration) -> (String, Vec<String>) {
    (config.dataset.label(), config_cells(config))
}

/// A finished, whole (unsharded or merged) study in `dir` and its rows.
fn finished(dir: &Path) -> Result<(StudySpec, Vec<RunRow>), InputError> {
    let state = State::read_existing(dir)?;
    let spec = StudySpec::from_file(&dir.join(STUDY_FILE))?;
    let (_, rows) = read_rows(dir, &spec, state.shard.runs(spec.runs), &state.checksums)?;
    let rows = rows.collect::<Result<Vec<_>, _>>()?;
    Ok((spec, rows))
}

/// Pairs the runs of the studies in `a` and `b`: the configurations both have (by their
/// data set and columns), run by run, refusing studies whose paired runs do not share their
/// seeds.
pub fn pair_runs(a: &Path, b: &Path) -> Result<Pairing, InputError> {
    let ((spec_a, rows_a), (spec_b, rows_b)) = (finished(a)?, finished(b)?);
    let (configs_a, configs_b) = (spec_a.configurations(), spec_b.configurations());
    let mut by_key_b = std::collections::HashMap::new();
    for row in &rows_b {
        by_key_b.insert((key(&configs_b[row.config_index]), row.run), row);
    }
    let mut pairs = Vec::new();
    for row_a in &rows_a {
        let Some(row_b) = by_key_b.get(&(key(&configs_a[row_a.config_index]), row_a.run)) else {
            continue;
        };
        if row_a.seed != row_b.seed {
            return Err(InputError::field(
                "compare",
                format!(
                    "run {} has seed {} in {} and {} in {}: the studies differ in seed or initialiser, so their runs are not pairs",
                    row_a.run,
                    row_a.seed,
                    a.display(),
                    row_b.seed,
                    b.display()
                ),
            ));
        }
        pairs.push((row_a.config_index, row_a.clone(), (*row_b).clone()));
    }
    if pairs.is_empty() {
        return Err(InputError::field(
            "compare",
            "the studies have no configuration (data set and columns) and run in common",
        ));
    }
    Ok(Pairing { a: spec_a, b: spec_b, pairs })
}
