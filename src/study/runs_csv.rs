//! `runs.csv`: one row per run, streamed as runs finish, in run order.
//!
//! Rows go to `runs.csv.partial`, which is renamed to `runs.csv` only once the study is
//! complete, so a `runs.csv` is never half-written.

use std::collections::HashMap;
use std::fs::{File, OpenOptions};
use std::io::{BufReader, BufWriter, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

use anyhow::Context;

use std::ops::Range;
use std::str::FromStr;

use super::run::RunRecord;
use super::{Configuration, StudySpec};
use crate::data::{IMAGE_COUNT, PIXELS};
use crate::error::InputError;
use crate::float::shortest;
use crate::model::ParamLayout;
use crate::outcome::{OutcomeClass, Partition};

/// The file name of the finished runs table.
pub const RUNS_FILE: &str = "runs.csv";
/// The file name while the study is running.
pub const PARTIAL_RUNS_FILE: &str = "runs.csv.partial";

/// The columns after the configuration's, before the codes and outputs: [`RunRow`]'s fields.
pub const RUN_COLUMNS: [&str; 16] = [
    "run",
    "seed",
    "final_loss",
    "class",
    "partition",
    "converged",
    "structure",
    "floor",
    "gray_cells",
    "dead_sets",
    "pair_collapsed_l1",
    "l1_partition",
    "decoder_sign_kill",
    "l3_dead_units",
    "output_partition_init",
    "all_gray_init",
];

/// The configuration columns every tidy CSV starts with.
pub const CONFIG_COLUMNS: [&str; 5] = ["widths", "init", "optimizer", "lr", "epochs"];

/// The configuration's values for [`CONFIG_COLUMNS`]: labels, the learning rate written in
/// full as in the study file (`0.001`), unlike the measured floats of the other columns.
pub fn config_cells(c: &Configuration) -> Vec<String> {
    vec![c.widths.to_string(), c.init.to_string(), c.optimizer.to_string(), c.lr.to_string(), c.epochs.to_string()]
}

/// One row of runs.csv: the schema in one type. A trained run becomes a row
/// ([`RunRow::from_record`]); a row is written ([`RunRow::cells`]) and read back on resume and
/// merge ([`RunRow::parse`]); summaries count rows, so fresh and resumed runs are counted by
/// one code path.
#[derive(Clone, Debug, PartialEq)]
pub struct RunRow {
    /// Index of the configuration in the study's grid (written as its [`CONFIG_COLUMNS`]).
    pub config_index: usize,
    /// Index of the run within its configuration.
    pub run: u64,
    /// The run's seed.
    pub seed: u64,
    /// Mean squared error of the trained network over the 16 pixel values.
    pub final_loss: f32,
    /// The class the run ends in.
    pub class: OutcomeClass,
    /// Images with identical reconstructions.
    pub partition: Partition,
    /// Whether the loss is within tolerance of the structure's floor.
    pub converged: bool,
    /// The stationary structure the outputs show.
    pub structure: OutcomeClass,
    /// The least loss reachable with that structure.
    pub floor: f64,
    /// (image, pixel) cells averaged over images whose targets differ.
    pub gray_cells: usize,
    /// Images dead in each layer-1 unit at init, `34|-|1234`.
    pub dead_sets: String,
    /// Some pair of images collapsed at layer 1 at init.
    pub pair_collapsed_l1: bool,
    /// Images with identical layer-1 activations at init.
    pub l1_partition: Partition,
    /// The paper's decoder-sign kill at init.
    pub decoder_sign_kill: bool,
    /// Layer-3 units dead on all four images at init.
    pub l3_dead_units: usize,
    /// Images with identical outputs at init.
    pub output_partition_init: Partition,
    /// All four outputs identical at init.
    pub all_gray_init: bool,
    /// The cells after the fixed columns, as written: codes, outputs, and with `--weights`
    /// the initial and final parameters (empty where a configuration is narrower than the
    /// study's widest).
    pub arrays: Vec<String>,
}

impl RunRow {
    /// The row of a trained run, its arrays padded to the study's widest configuration.
    fn from_record(r: &RunRecord, max_code: usize, weights: Option<&WeightColumns>) -> Self {
        let mut arrays = Vec::new();
        for code in &r.eval.codes {
            arrays.extend((0..max_code).map(|k| code.get(k).map_or(String::new(), |&x| shortest(x))));
        }
        arrays.extend(r.eval.outputs.iter().flatten().map(|&x| shortest(x)));
        if let Some(WeightColumns { names, index }) = weights {
            for params in [&r.initial, &r.final_params] {
                arrays.extend(
                    names.iter().map(|n| index[r.config_index].get(n).map_or(String::new(), |&k| shortest(params[k]))),
                );
            }
        }
        let (o, init) = (&r.outcome, &r.init);
        RunRow {
            config_index: r.config_index,
            run: r.run,
            seed: r.seed,
            final_loss: r.eval.loss,
            class: o.class,
            partition: o.partition,
            converged: o.converged,
            structure: o.structure,
            floor: o.floor,
            gray_cells: o.gray_cells,
            dead_sets: init.dead_sets_string(),
            pair_collapsed_l1: init.pair_collapsed_l1(),
            l1_partition: init.l1_partition,
            decoder_sign_kill: init.decoder_sign_kill,
            l3_dead_units: init.l3_dead_units,
            output_partition_init: init.output_partition,
            all_gray_init: init.all_gray_init(),
            arrays,
        }
    }

    /// The row's cells in column order.
    pub fn cells(&self, configs: &[Configuration]) -> Vec<String> {
        let mut row = config_cells(&configs[self.config_index]);
        row.extend([
            self.run.to_string(),
            self.seed.to_string(),
            shortest(self.final_loss),
            self.class.to_string(),
            self.partition.to_string(),
            self.converged.to_string(),
            self.structure.to_string(),
            shortest(self.floor),
            self.gray_cells.to_string(),
            self.dead_sets.clone(),
            self.pair_collapsed_l1.to_string(),
            self.l1_partition.to_string(),
            self.decoder_sign_kill.to_string(),
            self.l3_dead_units.to_string(),
            self.output_partition_init.to_string(),
            self.all_gray_init.to_string(),
        ]);
        row.extend(self.arrays.iter().cloned());
        row
    }

    /// Reads a row written by [`RunRow::cells`] for a study with these configurations.
    pub fn parse(record: &csv::StringRecord, configs: &[Configuration]) -> Result<Self, String> {
        let fixed = CONFIG_COLUMNS.len() + RUN_COLUMNS.len();
        if record.len() < fixed {
            return Err(format!("has {} cells, fewer than the {fixed} fixed columns", record.len()));
        }
        let config_index = configs
            .iter()
            .position(|c| config_cells(c).iter().zip(record.iter()).all(|(a, b)| a == b))
            .ok_or("its configuration is not one of this study's")?;
        let mut cells = record.iter().skip(CONFIG_COLUMNS.len()).zip(RUN_COLUMNS);
        let mut next = || cells.next().expect("length checked");
        fn field<T: FromStr>((text, name): (&str, &str)) -> Result<T, String> {
            text.parse().map_err(|_| format!("{name} '{text}' does not parse"))
        }
        let class = |(text, name): (&str, &str)| {
            OutcomeClass::from_name(text).ok_or_else(|| format!("{name} '{text}' is not an outcome class"))
        };
        Ok(RunRow {
            config_index,
            run: field(next())?,
            seed: field(next())?,
            final_loss: field(next())?,
            class: class(next())?,
            partition: field(next())?,
            converged: field(next())?,
            structure: class(next())?,
            floor: field(next())?,
            gray_cells: field(next())?,
            dead_sets: next().0.to_string(),
            pair_collapsed_l1: field(next())?,
            l1_partition: field(next())?,
            decoder_sign_kill: field(next())?,
            l3_dead_units: field(next())?,
            output_partition_init: field(next())?,
            all_gray_init: field(next())?,
            arrays: record.iter().skip(fixed).map(str::to_string).collect(),
        })
    }
}

/// Streams rows to `runs.csv.partial`.
pub struct RunsCsv {
    writer: csv::Writer<BufWriter<File>>,
    /// Rows in the file, the header not counted.
    rows: u64,
    dir: PathBuf,
    configs: Vec<Configuration>,
    max_code: usize,
    weights: Option<WeightColumns>,
}

/// With `--weights`: the union of parameter names over the study's widths, and for each
/// configuration every name's index in its own layout.
struct WeightColumns {
    names: Vec<String>,
    index: Vec<HashMap<String, usize>>,
}

/// The (configuration index, run index) the `index`-th row (0-based) of a runs.csv holding
/// runs `runs` of every configuration must be.
pub fn expected_row(runs: &Range<u64>, index: u64) -> (usize, u64) {
    let per_config = runs.end - runs.start;
    ((index / per_config) as usize, runs.start + index % per_config)
}

/// Checks that row `index` (0-based) is the run it should be, for a file holding runs `runs`.
fn check_order(path: &Path, runs: &Range<u64>, total: u64, index: u64, row: &RunRow) -> Result<(), InputError> {
    if index >= total {
        return Err(InputError::field(path.display().to_string(), "has more rows than the study; pass --restart"));
    }
    let expected = expected_row(runs, index);
    if (row.config_index, row.run) != expected {
        return Err(InputError::field(
            path.display().to_string(),
            format!(
                "row {} is configuration {} run {}, expected {} run {}; pass --restart",
                index + 1,
                row.config_index,
                row.run,
                expected.0,
                expected.1
            ),
        ));
    }
    Ok(())
}

/// Parses row `index` (0-based) of the file at `path`, naming the row when it is damaged.
fn parse_row(
    path: &Path,
    configs: &[Configuration],
    index: u64,
    record: &csv::StringRecord,
) -> Result<RunRow, InputError> {
    RunRow::parse(record, configs).map_err(|why| {
        InputError::field(
            path.display().to_string(),
            format!("row {} is not a row of this study: {why}; pass --restart", index + 1),
        )
    })
}

impl RunsCsv {
    /// The column names for a study.
    pub fn header(spec: &StudySpec, weights: bool) -> Vec<String> {
        let mut h: Vec<String> = CONFIG_COLUMNS.iter().map(|s| s.to_string()).collect();
        h.extend(RUN_COLUMNS.iter().map(|c| c.to_string()));
        let max = spec.max_widths();
        for i in 1..=IMAGE_COUNT {
            for k in 0..max.h2 {
                h.push(format!("code_{i}_{k}"));
            }
        }
        for i in 1..=IMAGE_COUNT {
            for p in 1..=PIXELS {
                h.push(format!("out_{i}_{p}"));
            }
        }
        if weights {
            let names = ParamLayout::new(max).names();
            for prefix in ["init", "final"] {
                h.extend(names.iter().map(|n| format!("{prefix}_{n}")));
            }
        }
        h
    }

    /// Creates `runs.csv.partial` in `dir` and writes the header.
    pub fn create(dir: &Path, spec: &StudySpec, weights: bool) -> anyhow::Result<Self> {
        let path = dir.join(PARTIAL_RUNS_FILE);
        let file = File::create(&path).with_context(|| format!("cannot create {}", path.display()))?;
        let mut writer = csv::Writer::from_writer(BufWriter::new(file));
        writer.write_record(Self::header(spec, weights))?;
        Ok(Self::around(writer, 0, dir, spec, weights))
    }

    /// Reopens `runs.csv.partial` (or a finished `runs.csv`, which goes back to being
    /// partial) to append to it, after dropping a last row cut short by a crash. Checks that
    /// the rows are runs `runs` of every configuration in order, and streams each to `on_row`.
    pub fn resume(
        dir: &Path,
        spec: &StudySpec,
        weights: bool,
        runs: Range<u64>,
        mut on_row: impl FnMut(&RunRow),
    ) -> anyhow::Result<Self> {
        let path = dir.join(PARTIAL_RUNS_FILE);
        if !path.exists() && dir.join(RUNS_FILE).exists() {
            std::fs::rename(dir.join(RUNS_FILE), &path)?;
        }
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .open(&path)
            .with_context(|| format!("cannot open {}", path.display()))?;
        let complete = complete_length(&mut file)?;
        file.seek(SeekFrom::Start(0))?;
        let mut reader =
            csv::ReaderBuilder::new().has_headers(false).from_reader(BufReader::new((&file).take(complete)));
        let mut records = reader.records();
        match records.next() {
            Some(Ok(h)) if header_weights(spec, &h) == Some(weights) => {}
            _ => anyhow::bail!(InputError::field(
                path.display().to_string(),
                "its columns are not this study's (was it run with a different --weights?); pass --restart to start over"
            )),
        }
        let configs = spec.configurations();
        let total = (runs.end - runs.start) * configs.len() as u64;
        let mut rows = 0;
        for record in records {
            let row = parse_row(&path, &configs, rows, &record?)?;
            check_order(&path, &runs, total, rows, &row)?;
            on_row(&row);
            rows += 1;
        }
        drop(reader);
        file.set_len(complete)?;
        file.seek(SeekFrom::End(0))?;
        let writer = csv::WriterBuilder::new().has_headers(false).from_writer(BufWriter::new(file));
        Ok(Self::around(writer, rows, dir, spec, weights))
    }

    fn around(writer: csv::Writer<BufWriter<File>>, rows: u64, dir: &Path, spec: &StudySpec, weights: bool) -> Self {
        let configs = spec.configurations();
        let weights = weights.then(|| {
            let names = ParamLayout::new(spec.max_widths()).names();
            let index = configs
                .iter()
                .map(|c| ParamLayout::new(c.widths).names().into_iter().enumerate().map(|(k, n)| (n, k)).collect())
                .collect();
            WeightColumns { names, index }
        });
        RunsCsv { writer, rows, dir: dir.to_path_buf(), configs, max_code: spec.max_widths().h2, weights }
    }

    /// Rows in the file.
    pub fn rows(&self) -> u64 {
        self.rows
    }

    /// The row a trained run is written as.
    pub fn row_of(&self, record: &RunRecord) -> RunRow {
        RunRow::from_record(record, self.max_code, self.weights.as_ref())
    }

    /// Appends one row.
    pub fn write(&mut self, row: &RunRow) -> anyhow::Result<()> {
        self.writer.write_record(row.cells(&self.configs))?;
        self.rows += 1;
        Ok(())
    }

    /// Makes every row written so far durable: flushed and synced.
    pub fn sync(&mut self) -> anyhow::Result<()> {
        self.writer.flush()?;
        self.writer.get_ref().get_ref().sync_data()?;
        Ok(())
    }

    /// Flushes, syncs and renames the file to `runs.csv`.
    pub fn finish(self) -> anyhow::Result<()> {
        let file = self.writer.into_inner().map_err(|e| anyhow::anyhow!("{}", e.error()))?.into_inner()?;
        file.sync_all()?;
        std::fs::rename(self.dir.join(PARTIAL_RUNS_FILE), self.dir.join(RUNS_FILE))?;
        Ok(())
    }
}

/// The length of the file up to and including its last newline: a row is on disk once its
/// newline is.
fn complete_length(file: &mut File) -> anyhow::Result<u64> {
    let len = file.metadata()?.len();
    let mut end = len;
    let mut chunk = vec![0u8; 1 << 16];
    while end > 0 {
        let start = end.saturating_sub(chunk.len() as u64);
        let buf = &mut chunk[..(end - start) as usize];
        file.seek(SeekFrom::Start(start))?;
        file.read_exact(buf)?;
        if let Some(i) = buf.iter().rposition(|&b| b == b'\n') {
            return Ok(start + i as u64 + 1);
        }
        end = start;
    }
    Ok(0)
}

/// Whether a header is this study's runs.csv header with (`Some(true)`) or without
/// (`Some(false)`) the `--weights` columns; `None` if it is neither.
fn header_weights(spec: &StudySpec, header: &csv::StringRecord) -> Option<bool> {
    [false, true].into_iter().find(|&w| header.iter().eq(RunsCsv::header(spec, w).iter().map(String::as_str)))
}

/// The finished runs.csv of a shard holding runs `runs` of every configuration of `spec`:
/// whether it carries the `--weights` columns, and its rows, each checked to parse and to be
/// the run it should be.
pub fn read_rows(
    dir: &Path,
    spec: &StudySpec,
    runs: Range<u64>,
) -> Result<(bool, impl Iterator<Item = Result<RunRow, InputError>>), InputError> {
    let path = dir.join(RUNS_FILE);
    let file = File::open(&path)
        .map_err(|e| InputError::field(path.display().to_string(), format!("{e}; is this shard finished?")))?;
    let mut reader = csv::ReaderBuilder::new().has_headers(false).from_reader(BufReader::new(file));
    let weights = match reader.records().next() {
        Some(Ok(h)) => header_weights(spec, &h)
            .ok_or_else(|| InputError::field(path.display().to_string(), "its columns are not this study's"))?,
        _ => return Err(InputError::field(path.display().to_string(), "has no header")),
    };
    let configs = spec.configurations();
    let total = (runs.end - runs.start) * configs.len() as u64;
    let mut index = 0;
    let rows = reader.into_records().map(move |record| {
        let record = record.map_err(|e| InputError::field(path.display().to_string(), e))?;
        let row = parse_row(&path, &configs, index, &record)?;
        check_order(&path, &runs, total, index, &row)?;
        index += 1;
        Ok(row)
    });
    Ok((weights, rows))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::NativeEngine;
    use crate::study::run::{RunOptions, run_study};

    /// Trained rows of a two-configuration study (one run diverges at lr 1e30 with SGD).
    fn trained(weights: bool) -> (StudySpec, RunsCsv, Vec<RunRecord>, tempfile::TempDir) {
        let spec = StudySpec::from_toml(
            "name = \"t\"\nruns = 6\nwidths = [\"2-1-2\", \"3-2-3\"]\noptimizer = [\"adam\", \"sgd\"]\nlr = [0.01, 1e30]\nepochs = [50]\n",
        )
        .unwrap();
        let dir = tempfile::tempdir().unwrap();
        let csv = RunsCsv::create(dir.path(), &spec, weights).unwrap();
        let mut records = Vec::new();
        run_study(&spec, &NativeEngine, &RunOptions { threads: 1, population: 4 }, 0..spec.runs, 0, |wave| {
            records.extend(wave);
            Ok::<(), ()>(())
        })
        .unwrap();
        (spec, csv, records, dir)
    }

    #[test]
    fn rows_read_back_to_what_was_written() {
        for weights in [false, true] {
            let (spec, csv, records, _dir) = trained(weights);
            let configs = spec.configurations();
            let width = RunsCsv::header(&spec, weights).len();
            for record in &records {
                let row = csv.row_of(record);
                let cells = row.cells(&configs);
                assert_eq!(cells.len(), width);
                let parsed = RunRow::parse(&csv::StringRecord::from(cells.clone()), &configs).unwrap();
                assert_eq!(parsed.cells(&configs), cells);
                // NaN losses of diverged runs compare unequal; everything else must match.
                if !row.final_loss.is_nan() {
                    assert_eq!(parsed, row);
                }
            }
        }
    }

    #[test]
    fn damaged_rows_are_refused_naming_the_fault() {
        let (spec, csv, records, _dir) = trained(false);
        let configs = spec.configurations();
        let cells = csv.row_of(&records[0]).cells(&configs);
        let damaged = |column: &str, value: &str| {
            let mut c = cells.clone();
            let k = CONFIG_COLUMNS.iter().chain(RUN_COLUMNS.iter()).position(|n| *n == column).unwrap();
            c[k] = value.to_string();
            RunRow::parse(&csv::StringRecord::from(c), &configs).unwrap_err()
        };
        assert!(damaged("class", "grey").contains("class"));
        assert!(damaged("partition", "12|2|4").contains("partition"));
        assert!(damaged("run", "-1").contains("run"));
        assert!(damaged("widths", "9-9-9").contains("configuration"));
        assert!(RunRow::parse(&csv::StringRecord::from(vec!["2-1-2"]), &configs).unwrap_err().contains("cells"));
    }
}
