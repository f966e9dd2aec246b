//! `runs.csv`: one row per run, streamed as runs finish, in run order.
//!
//! Rows go to `runs.csv.partial`, which is renamed to `runs.csv` only once the study is
//! complete, so a `runs.csv` is never half-written.

use std::collections::HashMap;
use std::fs::{File, OpenOptions};
use std::io::{BufReader, BufWriter, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

use anyhow::Context;

use super::{CONFIG_COLUMNS, config_cells};
use crate::data::{IMAGE_COUNT, PIXELS};
use crate::model::ParamLayout;
use crate::study::run::RunRecord;
use crate::study::{Configuration, StudySpec};

/// The file name of the finished runs table.
pub const RUNS_FILE: &str = "runs.csv";
/// The file name while the study is running.
pub const PARTIAL_RUNS_FILE: &str = "runs.csv.partial";

/// The columns after the configuration's, before the codes and outputs.
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

/// Streams run records to `runs.csv.partial`.
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
    /// partial) to append to it, after dropping a last row cut short by a crash. Streams every
    /// complete row already there, in order, to `on_row`.
    pub fn resume(
        dir: &Path,
        spec: &StudySpec,
        weights: bool,
        mut on_row: impl FnMut(&csv::StringRecord) -> anyhow::Result<()>,
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
            _ => anyhow::bail!(crate::error::InputError::field(
                path.display().to_string(),
                "its columns are not this study's (was it run with a different --weights?); pass --restart to start over"
            )),
        }
        let mut rows = 0;
        for record in records {
            on_row(&record?)?;
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

    /// Appends a row read from another runs.csv of the same study (merge).
    pub fn write_row(&mut self, row: &csv::StringRecord) -> anyhow::Result<()> {
        self.writer.write_record(row)?;
        self.rows += 1;
        Ok(())
    }

    /// Makes every row written so far durable: flushed and synced.
    pub fn sync(&mut self) -> anyhow::Result<()> {
        self.writer.flush()?;
        self.writer.get_ref().get_ref().sync_data()?;
        Ok(())
    }

    /// Appends one run.
    pub fn write(&mut self, r: &RunRecord) -> anyhow::Result<()> {
        let config = &self.configs[r.config_index];
        let mut row = config_cells(config);
        let o = &r.outcome;
        row.extend([
            r.run.to_string(),
            r.seed.to_string(),
            r.eval.loss.to_string(),
            o.class.to_string(),
            o.partition.to_string(),
            o.converged.to_string(),
            o.structure.to_string(),
            o.floor.to_string(),
            o.gray_cells.to_string(),
            r.init.dead_sets_string(),
            r.init.pair_collapsed_l1().to_string(),
            r.init.l1_partition.to_string(),
            r.init.decoder_sign_kill.to_string(),
            r.init.l3_dead_units.to_string(),
            r.init.output_partition.to_string(),
            r.init.all_gray_init().to_string(),
        ]);
        for code in &r.eval.codes {
            row.extend((0..self.max_code).map(|k| code.get(k).map_or(String::new(), f32::to_string)));
        }
        row.extend(r.eval.outputs.iter().flatten().map(f32::to_string));
        if let Some(WeightColumns { names, index }) = &self.weights {
            for params in [&r.initial, &r.final_params] {
                row.extend(
                    names
                        .iter()
                        .map(|n| index[r.config_index].get(n).map_or(String::new(), |&k| params[k].to_string())),
                );
            }
        }
        self.writer.write_record(&row)?;
        self.rows += 1;
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

/// Streams the rows of a finished runs.csv (for merge) after its header; says whether it
/// carries the `--weights` columns.
pub fn read_rows(dir: &Path, spec: &StudySpec) -> anyhow::Result<(bool, csv::StringRecordsIntoIter<BufReader<File>>)> {
    let path = dir.join(RUNS_FILE);
    let file = File::open(&path).map_err(|e| {
        crate::error::InputError::field(path.display().to_string(), format!("{e}; is this shard finished?"))
    })?;
    let mut reader = csv::ReaderBuilder::new().has_headers(false).from_reader(BufReader::new(file));
    match reader.records().next() {
        Some(Ok(h)) => match header_weights(spec, &h) {
            Some(weights) => Ok((weights, reader.into_records())),
            None => {
                Err(crate::error::InputError::field(path.display().to_string(), "its columns are not this study's")
                    .into())
            }
        },
        _ => Err(crate::error::InputError::field(path.display().to_string(), "has no header").into()),
    }
}
