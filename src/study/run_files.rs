//! Per-run files: `--outputs` writes every run's bottleneck codes and reconstructions, and
//! `--weights` (on data sets other than the 2×2 images, whose runs.csv takes the parameters as
//! columns) its initial and final parameters; on MNIST every run's anomaly scores of the test
//! images are written always (the ROC curves are drawn from them, [`roc_curves`]). Each run
//! goes to its own small CSV, so that runs.csv never gets a column per pixel:
//!
//! ```text
//! runs/<configuration's cells joined by _>/run-<index>.outputs.csv   image, code_0…, out_0…[, sigma_0…]
//! runs/<configuration's cells joined by _>/run-<index>.weights.csv   parameter, init, final
//! runs/<configuration's cells joined by _>/run-<index>.scores.csv    image, label, score, score_sampled
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
use crate::data::DatasetSpec;
use crate::float::shortest;
use crate::stats::roc::{RunCurves, run_curves};

/// The folder of per-run files in an output directory.
pub const RUN_FILES_DIR: &str = "runs";

/// Which per-run files a study writes, and where.
#[derive(Clone, Debug)]
pub struct RunFiles {
    dir: PathBuf,
    outputs: bool,
    weights: bool,
    scores: bool,
    configs: Vec<Configuration>,
    /// Each configuration's parameter names, in its layout (A2's b head included).
    names: Vec<Vec<String>>,
}

impl RunFiles {
    /// The per-run files of `spec` in `out`; `None` when there are none (none asked for, no
    /// MNIST).
    pub fn new(out: &Path, spec: &StudySpec, outputs: bool, weights: bool) -> Option<Self> {
        let configs = spec.configurations();
        let names = configs.iter().map(|c| c.layout().names()).collect();
        let scores = spec.datasets.iter().any(DatasetSpec::has_test_set);
        (outputs || weights || scores).then(|| RunFiles {
            dir: out.join(RUN_FILES_DIR),
            outputs,
            weights,
            scores,
            configs,
            names,
        })
    }

    /// The folder of a configuration's files.
    pub fn config_dir(&self, config_index: usize) -> PathBuf {
        config_dir(&self.dir, &self.configs[config_index])
    }

    /// Writes the asked-for files of one run.
    pub fn write(&self, record: &RunRecord) -> anyhow::Result<()> {
        let dir = self.config_dir(record.config_index);
        std::fs::create_dir_all(&dir)?;
        if self.outputs {
            let config = &self.configs[record.config_index];
            let (code, pixels) = (config.widths.h2, config.dataset.pixels());
            let mut header = vec!["image".to_string()];
            header.extend((0..code).map(|k| format!("code_{k}")));
            header.extend((0..pixels).map(|p| format!("out_{p}")));
            // A2's sampling standard deviations, one per latent unit, after the outputs.
            let sigmas = if record.sigmas.is_empty() { 0 } else { code };
            header.extend((0..sigmas).map(|k| format!("sigma_{k}")));
            let rows = (0..record.outputs.len() / pixels).map(|image| {
                let values = [
                    &record.codes[image * code..(image + 1) * code],
                    &record.outputs[image * pixels..(image + 1) * pixels],
                    &record.sigmas[image * sigmas..(image + 1) * sigmas],
                ];
                std::iter::once(image.to_string()).chain(values.concat().into_iter().map(shortest)).collect()
            });
            write_atomically(&dir, &format!("run-{}.outputs.csv", record.run), &csv_bytes(&header, rows)?)?;
        }
        if let (true, Some(scores)) = (self.scores, &record.scores) {
            let rows = scores.error.iter().zip(&scores.labels).enumerate().map(|(image, (&score, label))| {
                let sampled = scores.sampled.as_ref().map_or(String::new(), |s| shortest(s[image]));
                vec![image.to_string(), label.to_string(), shortest(score), sampled]
            });
            let header = ["image", "label", "score", "score_sampled"].map(String::from);
            write_atomically(&dir, &format!("run-{}.scores.csv", record.run), &csv_bytes(&header, rows)?)?;
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

/// The folder of a configuration's per-run files under `runs_dir`.
fn config_dir(runs_dir: &Path, config: &Configuration) -> PathBuf {
    runs_dir.join(config_cells(config).join("_"))
}

/// The ROC curves of every MNIST configuration among `configs` in the study in `out`, from
/// its runs' score files (a configuration without them has none).
pub fn roc_curves<'a>(
    out: &Path,
    configs: impl Iterator<Item = &'a Configuration>,
) -> anyhow::Result<Vec<(Configuration, RunCurves)>> {
    let mut curves = Vec::new();
    for config in configs {
        let DatasetSpec::Mnist(mnist) = &config.dataset else { continue };
        let dir = config_dir(&out.join(RUN_FILES_DIR), config);
        let Ok(entries) = std::fs::read_dir(&dir) else { continue };
        let mut runs: Vec<u64> = entries
            .filter_map(|e| {
                let name = e.ok()?.file_name().into_string().ok()?;
                name.strip_prefix("run-")?.strip_suffix(".scores.csv")?.parse().ok()
            })
            .collect();
        runs.sort_unstable();
        let scored = runs
            .into_iter()
            .map(|run| read_scores(&dir.join(format!("run-{run}.scores.csv"))).map(|(l, s)| (run, l, s)))
            .collect::<anyhow::Result<Vec<_>>>()?;
        if let Some(c) = run_curves(&scored, mnist.normal) {
            curves.push((config.clone(), c));
        }
    }
    Ok(curves)
}

/// Copies every per-run file of the study in `from` into the study in `to` (`aemc merge`:
/// each shard holds the files of its own runs, so no two shards write the same file).
pub fn gather(from: &Path, to: &Path) -> anyhow::Result<()> {
    let Ok(configs) = std::fs::read_dir(from.join(RUN_FILES_DIR)) else { return Ok(()) };
    for config in configs {
        let config = config?;
        let target = to.join(RUN_FILES_DIR).join(config.file_name());
        std::fs::create_dir_all(&target)?;
        for file in std::fs::read_dir(config.path())? {
            let file = file?;
            let name = file.file_name().into_string().map_err(|n| anyhow::anyhow!("a run file named {n:?}"))?;
            write_atomically(&target, &name, &std::fs::read(file.path())?)?;
        }
    }
    Ok(())
}

/// The test images' labels and scores in a run's score file.
fn read_scores(path: &Path) -> anyhow::Result<(Vec<u8>, Vec<f64>)> {
    let mut reader = csv::Reader::from_path(path)?;
    let (mut labels, mut scores) = (Vec::new(), Vec::new());
    for record in reader.records() {
        let record = record?;
        let field = |k: usize| record.get(k).ok_or_else(|| anyhow::anyhow!("{}: a short row", path.display()));
        labels.push(field(1)?.parse()?);
        scores.push(field(2)?.parse()?);
    }
    Ok((labels, scores))
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
