//! Per-run files, written only when asked: `--outputs` writes every run's bottleneck codes
//! and reconstructions, and `--weights` (on data sets other than the 2×2 images, whose runs.csv
//! takes the parameters as columns) its initial and final parameters, each run to its own
//! small CSV, so that runs.csv never gets a column per pixel:
//!
//! ```text
//! runs/<widths>_<init>_<optimizer>_<lr>_<epochs>/run-<index>.outputs.csv   image, code_0…, out_0…
//! runs/<widths>_<init>_<optimizer>_<lr>_<epochs>/run-<index>.weights.csv   parameter, init, final
//! ```
//!
//! Pixels are numbered row-major from 0, parameters named as [`ParamLayout::names`]. Each file
//! is written atomically with the wave its run belongs to, before that wave is recorded as
//! done, so a resumed study has the file of every run runs.csv holds.

use std::path::{Path, PathBuf};

use super::output::write_atomically;
use super::run::RunRecord;
use super::runs_csv::config_cells;
use super::{Configuration, StudySpec};
use crate::float::shortest;

/// The folder of per-run files in an output directory.
pub const RUN_FILES_DIR: &str = "runs";

/// Which per-run files a study writes, and where.
#[derive(Clone, Debug)]
pub struct RunFiles {
    dir: PathBuf,
    outputs: bool,
    weights: bool,
    pixels: usize,
    configs: Vec<Configuration>,
    /// Each configuration's parameter names, in its layout (A2's b head included).
    names: Vec<Vec<String>>,
}

impl RunFiles {
    /// The per-run files of `spec` in `out`; `None` when none are asked for.
    pub fn new(out: &Path, spec: &StudySpec, outputs: bool, weights: bool) -> Option<Self> {
        let pixels = spec.dataset.pixels();
        let configs = spec.configurations();
        let names = configs.iter().map(|c| spec.layout(c.widths, pixels).names()).collect();
        (outputs || weights).then(|| RunFiles {
            dir: out.join(RUN_FILES_DIR),
            outputs,
            weights,
            pixels,
            configs,
            names,
        })
    }

    /// The folder of a configuration's files.
    pub fn config_dir(&self, config_index: usize) -> PathBuf {
        self.dir.join(config_cells(&self.configs[config_index]).join("_"))
    }

    /// Writes the asked-for files of one run.
    pub fn write(&self, record: &RunRecord) -> anyhow::Result<()> {
        let dir = self.config_dir(record.config_index);
        std::fs::create_dir_all(&dir)?;
        if self.outputs {
            let code = self.configs[record.config_index].widths.h2;
            let mut header = vec!["image".to_string()];
            header.extend((0..code).map(|k| format!("code_{k}")));
            header.extend((0..self.pixels).map(|p| format!("out_{p}")));
            let rows = record.outputs.chunks(self.pixels).zip(record.codes.chunks(code)).enumerate().map(
                |(image, (outputs, codes))| {
                    std::iter::once(image.to_string())
                        .chain(codes.iter().chain(outputs).map(|&x| shortest(x)))
                        .collect()
                },
            );
            write_atomically(&dir, &format!("run-{}.outputs.csv", record.run), &csv_bytes(&header, rows)?)?;
        }
        if self.weights {
            let rows = self.names[record.config_index]
                .iter()
                .enumerate()
                .map(|(k, name)| vec![name.clone(), shortest(record.initial[k]), shortest(record.final_params[k])]);
            let header = ["parameter", "init", "final"].map(String::from);
            write_atomically(&dir, &format!("run-{}.weights.csv", record.run), &csv_bytes(&header, rows)?)?;
        }
        Ok(())
    }
}

/// A CSV file's bytes.
fn csv_bytes(header: &[String], rows: impl Iterator<Item = Vec<String>>) -> anyhow::Result<Vec<u8>> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(header)?;
    for row in rows {
        w.write_record(&row)?;
    }
    w.into_inner().map_err(|e| anyhow::anyhow!("{}", e.error()))
}
