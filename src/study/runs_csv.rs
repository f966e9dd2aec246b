//! `runs.csv`: one row per run, streamed as runs finish, in run order.
//!
//! Rows go to `runs.csv.partial`, which is renamed to `runs.csv` only once the study is
//! complete, so a `runs.csv` is never half-written.

use std::collections::HashMap;
use std::fs::{File, OpenOptions};
use std::io::{BufRead, BufReader, BufWriter, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use anyhow::Context;

use std::ops::Range;
use std::str::FromStr;

use super::checksums::{Checksummer, Checksums};
use super::run::{RunRecord, SquaresAnalysis};
use super::{Configuration, StudySpec};
use crate::data::DatasetSpec;
use crate::data::{Dataset, IMAGE_COUNT, IMAGES, PIXELS};
use crate::error::InputError;
use crate::float::shortest;
use crate::metrics::anomaly::AnomalyMeasures;
use crate::metrics::variational::VaeMeasures;
use crate::metrics::{Distances, Reconstruction};
use crate::model::ParamLayout;
use crate::outcome::{OutcomeClass, Partition, Tolerances, partition_floor};

/// The file name of the finished runs table.
pub const RUNS_FILE: &str = "runs.csv";
/// The file name while the study is running.
pub const PARTIAL_RUNS_FILE: &str = "runs.csv.partial";

/// The columns after `run` and `seed` on the 2×2 images, before the codes and outputs:
/// [`SquaresColumns`]' fields.
pub const SQUARES_COLUMNS: [&str; 14] = [
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

/// The columns after `run` and `seed` on every other data set: the reconstruction metrics
/// ([`Reconstruction`]), empty where a metric has no value (no blurred pixel to measure the
/// distance of).
pub const METRIC_COLUMNS: [&str; 12] = Reconstruction::NAMES;

/// The configuration columns every tidy CSV has, after the labels of the study's axes with
/// several values ([`config_columns`]).
pub const CONFIG_COLUMNS: [&str; 5] = ["widths", "init", "optimizer", "lr", "epochs"];

/// The configuration's values for [`CONFIG_COLUMNS`]: labels, the learning rate written in
/// full as in the study file (`0.001`), unlike the measured floats of the other columns.
pub fn base_cells(c: &Configuration) -> Vec<String> {
    vec![c.widths.to_string(), c.init.to_string(), c.optimizer.to_string(), c.lr.to_string(), c.epochs.to_string()]
}

/// The configuration columns of a study whose grid holds `config`: `dataset` and `model`
/// where the study lists several, then [`CONFIG_COLUMNS`].
pub fn config_columns(config: &Configuration) -> Vec<&'static str> {
    config.labels.iter().map(|(name, _)| *name).chain(CONFIG_COLUMNS).collect()
}

/// The configuration's values for [`config_columns`].
pub fn config_cells(c: &Configuration) -> Vec<String> {
    c.labels.iter().map(|(_, label)| label.clone()).chain(base_cells(c)).collect()
}

/// One row of runs.csv: the schema in one type. A trained run becomes a row
/// ([`RowFormat::row_of`]); a row is written ([`RowFormat::cells`]) and read back on resume,
/// merge and verify ([`RowFormat::parse`]); summaries count rows, so fresh and resumed runs
/// are counted by one code path.
#[derive(Clone, Debug, PartialEq)]
pub struct RunRow {
    /// Index of the configuration in the study's grid (written as its [`CONFIG_COLUMNS`]).
    pub config_index: usize,
    /// Index of the run within its configuration.
    pub run: u64,
    /// The run's seed.
    pub seed: u64,
    /// The reconstruction metrics: the [`METRIC_COLUMNS`], or on the 2×2 images computed
    /// from the codes and outputs the row holds.
    pub metrics: Reconstruction,
    /// On the 2×2 images, the 2×2 experiment's columns.
    pub squares: Option<SquaresColumns>,
    /// For A2, its columns ([`VaeMeasures::NAMES`]), after the data set's (empty on A1's rows of
    /// a study that trains both).
    pub vae: Option<VaeMeasures>,
    /// On MNIST, the anomaly detector's columns ([`AnomalyMeasures::NAMES`]), after A2's (empty
    /// on other data sets' rows of a study that has both).
    pub anomaly: Option<AnomalyMeasures>,
    /// The cells after the fixed columns, as written: on the 2×2 images the codes, outputs,
    /// and with `--weights` the initial and final parameters (empty where a configuration is
    /// narrower than the study's widest); nothing on other data sets, whose arrays go to
    /// per-run files (`--outputs`, `--weights`).
    pub arrays: Vec<String>,
}

/// The 2×2 experiment's columns of a run ([`SQUARES_COLUMNS`]).
#[derive(Clone, Debug, PartialEq)]
pub struct SquaresColumns {
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
}

impl SquaresColumns {
    fn of(a: &SquaresAnalysis) -> Self {
        let (o, init) = (&a.outcome, &a.init);
        SquaresColumns {
            final_loss: a.eval.loss,
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
        }
    }

    /// Whether the columns agree with each other: the class follows from the structure,
    /// partition, loss and floor as the classifier decides ([`crate::outcome::classify`]),
    /// and the init-time flags from their partitions. Names the first disagreement.
    pub fn check(&self, tol: &Tolerances) -> Result<(), String> {
        use OutcomeClass::{Diverged, Unconverged};
        if self.class == Diverged || self.structure == Diverged {
            if (self.class, self.structure, self.converged) != (Diverged, Diverged, false) {
                return Err("diverged in class or structure but not both".into());
            }
        } else {
            if self.structure.partition_type() != Some(self.partition.kind()) {
                return Err(format!("structure {} does not have partition {}", self.structure, self.partition));
            }
            if self.floor + 1e-9 < partition_floor(&IMAGES, &self.partition) {
                return Err(format!("floor {} is below partition {}'s", self.floor, self.partition));
            }
            if ((self.final_loss as f64 - self.floor) <= tol.loss as f64) != self.converged {
                return Err(format!(
                    "converged is {}, but loss {} and floor {} say otherwise",
                    self.converged, self.final_loss, self.floor
                ));
            }
            if self.class != if self.converged { self.structure } else { Unconverged } {
                return Err(format!("class {} does not follow from structure {}", self.class, self.structure));
            }
        }
        if self.pair_collapsed_l1 != (self.l1_partition.blocks().len() < IMAGE_COUNT) {
            return Err(format!(
                "pair_collapsed_l1 is {} with l1_partition {}",
                self.pair_collapsed_l1, self.l1_partition
            ));
        }
        if self.all_gray_init != (self.output_partition_init.blocks().len() == 1) {
            return Err(format!(
                "all_gray_init is {} with output_partition_init {}",
                self.all_gray_init, self.output_partition_init
            ));
        }
        Ok(())
    }

    fn cells(&self) -> [String; 14] {
        [
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
        ]
    }

    fn parse<'a>(mut next: impl FnMut() -> (&'a str, &'static str)) -> Result<Self, String> {
        let class = |(text, name): (&str, &str)| {
            OutcomeClass::from_name(text).ok_or_else(|| format!("{name} '{text}' is not an outcome class"))
        };
        Ok(SquaresColumns {
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
        })
    }
}

/// A cell parsed as `T`, or an error naming its column.
fn field<T: FromStr>((text, name): (&str, &str)) -> Result<T, String> {
    text.parse().map_err(|_| format!("{name} '{text}' does not parse"))
}

/// An optional float cell: empty for `None`.
fn optional(x: Option<f64>) -> String {
    x.map_or(String::new(), shortest)
}

/// The [`METRIC_COLUMNS`] of a run.
fn metric_cells(m: &Reconstruction) -> [String; 12] {
    [
        shortest(m.mse),
        shortest(m.blur),
        shortest(m.wrong),
        shortest(m.wrong_post),
        optional(m.blur_fixed),
        shortest(m.perfect_post),
        shortest(m.near_perfect_post),
        optional(m.distance.blurred),
        optional(m.distance.wrong),
        optional(m.distance.all),
        shortest(m.code_range.0),
        shortest(m.code_range.1),
    ]
}

/// The reconstruction metrics from their [`METRIC_COLUMNS`].
fn parse_metrics<'a>(mut next: impl FnMut() -> (&'a str, &'static str)) -> Result<Reconstruction, String> {
    let mut optional = || {
        let cell = next();
        if cell.0.is_empty() { Ok(None) } else { field(cell).map(Some) }
    };
    let (mse, blur, wrong, wrong_post, blur_fixed) = (optional()?, optional()?, optional()?, optional()?, optional()?);
    let (perfect_post, near_perfect_post) = (optional()?, optional()?);
    let distance = Distances { blurred: optional()?, wrong: optional()?, all: optional()? };
    let (code_min, code_max): (Option<f64>, Option<f64>) = (optional()?, optional()?);
    let required = |x: Option<f64>, name: &str| x.ok_or_else(|| format!("{name} is empty"));
    Ok(Reconstruction {
        mse: required(mse, "mse")?,
        blur: required(blur, "blur")?,
        wrong: required(wrong, "wrong")?,
        wrong_post: required(wrong_post, "wrong_post")?,
        blur_fixed,
        perfect_post: required(perfect_post, "perfect_post")?,
        near_perfect_post: required(near_perfect_post, "near_perfect_post")?,
        distance,
        code_range: (required(code_min, "code_min")? as f32, required(code_max, "code_max")? as f32),
    })
}

/// Whether metrics read back are possible values: fractions in [0, 1], distances and the
/// error not negative, the code range in order. Names the first that is not.
fn check_metrics(m: &Reconstruction) -> Result<(), String> {
    let fractions = [
        ("blur", m.blur),
        ("wrong", m.wrong),
        ("wrong_post", m.wrong_post),
        ("blur_fixed", m.blur_fixed.unwrap_or(0.0)),
        ("perfect_post", m.perfect_post),
        ("near_perfect_post", m.near_perfect_post),
    ];
    if let Some((name, x)) = fractions.iter().find(|(_, x)| !(0.0..=1.0).contains(x)) {
        return Err(format!("{name} {x} is not a fraction"));
    }
    let d = &m.distance;
    let distances = [("blur_distance", d.blurred), ("wrong_distance", d.wrong), ("pixel_distance", d.all)];
    if let Some((name, x)) = distances.iter().find(|(_, x)| x.is_some_and(|x| x < 0.0 || x.is_nan())) {
        return Err(format!("{name} {} is not a distance", x.unwrap()));
    }
    if m.mse < 0.0 || m.code_range.0 > m.code_range.1 {
        return Err(format!("mse {} or code range {:?} impossible", m.mse, m.code_range));
    }
    Ok(())
}

/// How trained runs become rows of one study's runs.csv and back: the configurations, the
/// data set's columns, on the 2×2 images the codes padded to the widest configuration, and
/// with `--weights` every parameter under the union of the names.
pub struct RowFormat {
    configs: Vec<Configuration>,
    /// Whether the study trains A2, whose rows fill its columns.
    vae: bool,
    /// Whether the study has a data set with a test set (MNIST), whose rows fill the anomaly
    /// detector's columns.
    anomaly: bool,
    /// On the 2×2 images, the data set (to measure rows read back) and the widest code.
    squares: Option<(Dataset, usize)>,
    weights: Option<WeightColumns>,
}

/// With `--weights` on the 2×2 images: the union of parameter names over the study's widths,
/// and for each configuration every name's index in its own layout.
struct WeightColumns {
    names: Vec<String>,
    index: Vec<HashMap<String, usize>>,
}

impl RowFormat {
    /// The format of `spec`'s runs.csv, with or without the `--weights` columns (which only
    /// studies of the 2×2 images alone have: others write weights to per-run files).
    pub fn new(spec: &StudySpec, weights: bool) -> Self {
        let squares = spec.squares_only().then(|| (Dataset::squares_2x2(), spec.max_widths().h2));
        let weights = (weights && squares.is_some()).then(|| {
            let names = ParamLayout::new(spec.max_widths()).names();
            let index = spec
                .configurations()
                .iter()
                .map(|c| ParamLayout::new(c.widths).names().into_iter().enumerate().map(|(k, n)| (n, k)).collect())
                .collect();
            WeightColumns { names, index }
        });
        let anomaly = spec.datasets.iter().any(DatasetSpec::has_test_set);
        RowFormat { configs: spec.configurations(), vae: spec.has_vae(), anomaly, squares, weights }
    }

    /// The column names.
    pub fn header(&self) -> Vec<String> {
        let mut h: Vec<String> =
            config_columns(&self.configs[0]).iter().chain(&["run", "seed"]).map(|s| s.to_string()).collect();
        let vae_columns = VaeMeasures::NAMES.iter().filter(|_| self.vae).map(|c| c.to_string());
        let anomaly_columns = AnomalyMeasures::NAMES.iter().filter(|_| self.anomaly).map(|c| c.to_string());
        let Some((_, max_code)) = self.squares else {
            h.extend(METRIC_COLUMNS.iter().map(|c| c.to_string()));
            h.extend(vae_columns);
            h.extend(anomaly_columns);
            return h;
        };
        h.extend(SQUARES_COLUMNS.iter().map(|c| c.to_string()));
        h.extend(vae_columns);
        for i in 1..=IMAGE_COUNT {
            for k in 0..max_code {
                h.push(format!("code_{i}_{k}"));
            }
        }
        for i in 1..=IMAGE_COUNT {
            for p in 1..=PIXELS {
                h.push(format!("out_{i}_{p}"));
            }
        }
        if self.vae {
            for i in 1..=IMAGE_COUNT {
                h.extend((0..max_code).map(|k| format!("sigma_{i}_{k}")));
            }
        }
        if let Some(WeightColumns { names, .. }) = &self.weights {
            for prefix in ["init", "final"] {
                h.extend(names.iter().map(|n| format!("{prefix}_{n}")));
            }
        }
        h
    }

    /// The row a trained run is written as.
    pub fn row_of(&self, r: &RunRecord) -> RunRow {
        let mut arrays = Vec::new();
        if let Some((_, max_code)) = self.squares {
            let code = self.configs[r.config_index].widths.h2;
            let padded = |values: &[f32]| -> Vec<String> {
                (0..IMAGE_COUNT * max_code)
                    .map(|n| values.get((n / max_code) * code + n % max_code).filter(|_| n % max_code < code))
                    .map(|x| x.map_or(String::new(), |&x| shortest(x)))
                    .collect()
            };
            arrays.extend(padded(&r.codes));
            arrays.extend(r.outputs.iter().map(|&x| shortest(x)));
            if self.vae {
                arrays.extend(padded(&r.sigmas));
            }
        }
        if let Some(WeightColumns { names, index }) = &self.weights {
            for params in [&r.initial, &r.final_params] {
                arrays.extend(
                    names.iter().map(|n| index[r.config_index].get(n).map_or(String::new(), |&k| shortest(params[k]))),
                );
            }
        }
        RunRow {
            config_index: r.config_index,
            run: r.run,
            seed: r.seed,
            metrics: r.metrics.clone(),
            squares: r.squares.as_ref().filter(|_| self.squares.is_some()).map(SquaresColumns::of),
            vae: r.vae.clone(),
            anomaly: r.anomaly.clone(),
            arrays,
        }
    }

    /// A row's cells in column order.
    pub fn cells(&self, row: &RunRow) -> Vec<String> {
        let mut cells = config_cells(&self.configs[row.config_index]);
        cells.extend([row.run.to_string(), row.seed.to_string()]);
        match &row.squares {
            Some(squares) => cells.extend(squares.cells()),
            None => cells.extend(metric_cells(&row.metrics)),
        }
        match &row.vae {
            Some(vae) => cells.extend(vae.values().map(shortest)),
            None if self.vae => cells.extend(VaeMeasures::NAMES.map(|_| String::new())),
            None => {}
        }
        match &row.anomaly {
            Some(anomaly) => cells.extend(anomaly.values().map(|v| v.map_or(String::new(), shortest))),
            None if self.anomaly => cells.extend(AnomalyMeasures::NAMES.map(|_| String::new())),
            None => {}
        }
        cells.extend(row.arrays.iter().cloned());
        cells
    }

    /// Reads a row written by [`RowFormat::cells`].
    pub fn parse(&self, record: &csv::StringRecord) -> Result<RunRow, String> {
        let named = if self.squares.is_some() { SQUARES_COLUMNS.len() } else { METRIC_COLUMNS.len() };
        let vae_columns = if self.vae { VaeMeasures::NAMES.len() } else { 0 };
        let anomaly_columns = if self.anomaly { AnomalyMeasures::NAMES.len() } else { 0 };
        let config_columns = config_columns(&self.configs[0]).len();
        let fixed = config_columns + 2 + named + vae_columns + anomaly_columns;
        if record.len() < fixed {
            return Err(format!("has {} cells, fewer than the {fixed} fixed columns", record.len()));
        }
        let config_index = self
            .configs
            .iter()
            .position(|c| config_cells(c).iter().zip(record.iter()).all(|(a, b)| a == b))
            .ok_or("its configuration is not one of this study's")?;
        let names = ["run", "seed"]
            .into_iter()
            .chain(if self.squares.is_some() { SQUARES_COLUMNS.to_vec() } else { METRIC_COLUMNS.to_vec() })
            .chain(VaeMeasures::NAMES.into_iter().filter(|_| self.vae))
            .chain(AnomalyMeasures::NAMES.into_iter().filter(|_| self.anomaly));
        let mut cells = record.iter().skip(config_columns).zip(names);
        let mut next = || cells.next().expect("length checked");
        let (run, seed) = (field(next())?, field(next())?);
        let arrays: Vec<String> = record.iter().skip(fixed).map(str::to_string).collect();
        let (metrics, squares) = match &self.squares {
            None => (parse_metrics(&mut next)?, None),
            Some((data, max_code)) => {
                let squares = SquaresColumns::parse(&mut next)?;
                (self.squares_metrics(data, *max_code, config_index, &arrays)?, Some(squares))
            }
        };
        let vae = match (self.vae, self.configs[config_index].vae.is_some()) {
            (true, true) => {
                let mut values = [0.0f64; VaeMeasures::NAMES.len()];
                for v in &mut values {
                    *v = field(next())?;
                }
                Some(VaeMeasures::from_values(values))
            }
            (true, false) => {
                for _ in VaeMeasures::NAMES {
                    let (text, name) = next();
                    if !text.is_empty() {
                        return Err(format!("column {name}: '{text}' on a row of A1, which has no A2 measures"));
                    }
                }
                None
            }
            (false, _) => None,
        };
        let mut anomaly = None;
        if self.anomaly {
            let mut values = [None; AnomalyMeasures::NAMES.len()];
            for v in &mut values {
                let (text, name) = next();
                *v = if text.is_empty() { None } else { Some(field((text, name))?) };
            }
            let measured = self.configs[config_index].dataset.has_test_set();
            anomaly = match AnomalyMeasures::from_values(values) {
                Some(m) if measured => Some(m),
                None if !measured && values.iter().all(Option::is_none) => None,
                _ => return Err("its anomaly-detection columns do not match its data set".to_string()),
            };
        }
        Ok(RunRow { config_index, run, seed, metrics, squares, vae, anomaly, arrays })
    }

    /// The metrics of a 2×2 row from the codes and outputs it holds.
    fn squares_metrics(
        &self,
        data: &Dataset,
        max_code: usize,
        config_index: usize,
        arrays: &[String],
    ) -> Result<Reconstruction, String> {
        let code = self.configs[config_index].widths.h2;
        let number = |k: usize| -> Result<f32, String> {
            let text = arrays.get(k).ok_or("too few cells")?;
            text.parse().map_err(|_| format!("cell '{text}' after the fixed columns does not parse"))
        };
        let codes = (0..IMAGE_COUNT)
            .flat_map(|i| (0..code).map(move |k| i * max_code + k))
            .map(number)
            .collect::<Result<Vec<f32>, String>>()?;
        let outputs =
            (0..IMAGE_COUNT * PIXELS).map(|k| number(IMAGE_COUNT * max_code + k)).collect::<Result<Vec<f32>, _>>()?;
        Ok(Reconstruction::of(data, &outputs, &codes))
    }

    /// Whether a row agrees with itself ([`SquaresColumns::check`] on the 2×2 images, possible
    /// metric values elsewhere). Names the first disagreement.
    pub fn check(&self, row: &RunRow, tol: &Tolerances) -> Result<(), String> {
        match &row.squares {
            Some(squares) => squares.check(tol)?,
            None => check_metrics(&row.metrics)?,
        }
        match (&row.vae, self.configs[row.config_index].vae.is_some()) {
            (Some(v), true) if !(v.p_sample_differs.is_nan() || (0.0..=1.0).contains(&v.p_sample_differs)) => {
                Err(format!("p_sample_differs {} is not a fraction", v.p_sample_differs))
            }
            (Some(v), true) if v.sigma.iter().any(|&s| s < 0.0) => Err(format!("sigma {:?} is negative", v.sigma)),
            (Some(_), true) | (None, false) => Ok(()),
            _ => Err("its A2 columns do not match the study's model".to_string()),
        }
    }

    /// Whether `--weights` changes the columns (it does on the 2×2 images only).
    fn weights_in_header(&self) -> bool {
        self.squares.is_some()
    }
}

/// Rows of a study, checksummed as they are written ([`super::checksums`]).
pub struct RunsCsv {
    file: BufWriter<File>,
    checksummer: Checksummer,
    dir: PathBuf,
    format: RowFormat,
}

/// The (configuration index, run index) the `index`-th row (0-based) of a runs.csv holding
/// runs `runs` of every configuration must be.
pub fn expected_row(runs: &Range<u64>, index: u64) -> (usize, u64) {
    let per_config = runs.end - runs.start;
    ((index / per_config) as usize, runs.start + index % per_config)
}

/// The index (0-based) of `row` in a runs.csv holding runs `runs` of every configuration: the
/// inverse of [`expected_row`].
pub fn row_index(runs: &Range<u64>, row: &RunRow) -> u64 {
    row.config_index as u64 * (runs.end - runs.start) + row.run - runs.start
}

/// The bytes of one CSV record, newline included.
fn record_bytes<I: AsRef<[u8]>>(cells: impl IntoIterator<Item = I>) -> anyhow::Result<Vec<u8>> {
    let mut w = csv::WriterBuilder::new().has_headers(false).from_writer(Vec::new());
    w.write_record(cells)?;
    w.into_inner().map_err(|e| anyhow::anyhow!("{}", e.error()))
}

impl RunsCsv {
    /// The column names for a study.
    pub fn header(spec: &StudySpec, weights: bool) -> Vec<String> {
        RowFormat::new(spec, weights).header()
    }

    /// Creates `runs.csv.partial` in `dir` and writes the header.
    pub fn create(dir: &Path, spec: &StudySpec, weights: bool) -> anyhow::Result<Self> {
        let path = dir.join(PARTIAL_RUNS_FILE);
        let file = File::create(&path).with_context(|| format!("cannot create {}", path.display()))?;
        let mut file = BufWriter::new(file);
        file.write_all(&record_bytes(Self::header(spec, weights))?)?;
        Ok(Self::around(file, Checksummer::default(), dir, spec, weights))
    }

    /// Reopens `runs.csv.partial` (or a finished `runs.csv`, which goes back to being
    /// partial) to go on with it. Keeps the rows that `checksums` vouch for and that parse, are
    /// runs `runs` of every configuration in order and agree with themselves, handing each to
    /// `on_row`; drops the rest, to be trained again, and says which in one line. An empty
    /// file, or one cut inside its header, starts over.
    pub fn resume(
        dir: &Path,
        spec: &StudySpec,
        weights: bool,
        runs: Range<u64>,
        checksums: &Checksums,
        on_row: impl FnMut(&RunRow),
    ) -> anyhow::Result<(Self, Option<String>)> {
        let path = dir.join(PARTIAL_RUNS_FILE);
        if !path.exists() && dir.join(RUNS_FILE).exists() {
            std::fs::rename(dir.join(RUNS_FILE), &path)?;
        }
        let read = read_back(&path, spec, Some(weights), &runs, checksums, Trust::StopAtDamage, on_row)?;
        let Some(read) = read else {
            return Ok((Self::create(dir, spec, weights)?, None));
        };
        let file =
            OpenOptions::new().write(true).open(&path).with_context(|| format!("cannot open {}", path.display()))?;
        file.set_len(read.bytes)?;
        let mut file = BufWriter::new(file);
        file.seek(SeekFrom::End(0))?;
        let note = read
            .untrusted
            .map(|u| format!("{}: rows {}–{} are trained again: {}", path.display(), u.first, u.last, u.why));
        Ok((Self::around(file, read.checksummer, dir, spec, weights), note))
    }

    fn around(file: BufWriter<File>, checksummer: Checksummer, dir: &Path, spec: &StudySpec, weights: bool) -> Self {
        RunsCsv { file, checksummer, dir: dir.to_path_buf(), format: RowFormat::new(spec, weights) }
    }

    /// Rows in the file.
    pub fn rows(&self) -> u64 {
        self.checksummer.rows()
    }

    /// The checksums of the rows written so far.
    pub fn checksums(&self) -> Checksums {
        self.checksummer.checksums()
    }

    /// The row a trained run is written as.
    pub fn row_of(&self, record: &RunRecord) -> RunRow {
        self.format.row_of(record)
    }

    /// Appends one row.
    pub fn write(&mut self, row: &RunRow) -> anyhow::Result<()> {
        let bytes = record_bytes(self.format.cells(row))?;
        self.checksummer.add(&bytes);
        self.file.write_all(&bytes)?;
        Ok(())
    }

    /// Makes every row written so far durable: flushed and synced.
    pub fn sync(&mut self) -> anyhow::Result<()> {
        self.file.flush()?;
        self.file.get_ref().sync_data()?;
        Ok(())
    }

    /// Flushes, syncs and renames the file to `runs.csv`.
    pub fn finish(self) -> anyhow::Result<()> {
        let file = self.file.into_inner().map_err(|e| anyhow::anyhow!("{}", e.error()))?;
        file.sync_all()?;
        std::fs::rename(self.dir.join(PARTIAL_RUNS_FILE), self.dir.join(RUNS_FILE))?;
        Ok(())
    }
}

/// Rows of a runs.csv that could not be trusted: from `first` to `last` (1-based) and why.
#[derive(Clone, Debug, PartialEq)]
pub struct Untrusted {
    /// First row not trusted.
    pub first: u64,
    /// Last row in the file.
    pub last: u64,
    /// Why, in words.
    pub why: String,
}

/// What [`read_back`] found.
pub struct ReadBack {
    /// Whether the file carries the `--weights` columns.
    pub weights: bool,
    /// Rows trusted (and handed on).
    pub rows: u64,
    /// Bytes of the header and the trusted rows.
    pub bytes: u64,
    /// The checksums of the trusted rows, to go on from.
    pub checksummer: Checksummer,
    /// With [`Trust::StopAtDamage`], the rows after them, where there are any.
    pub untrusted: Option<Untrusted>,
    /// With [`Trust::Audit`], every fault found, one line each.
    pub problems: Vec<String>,
}

/// How [`read_back`] treats rows it cannot trust.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Trust {
    /// Stop at the first block that fails: what resume and merge keep.
    StopAtDamage,
    /// Read every row, listing every fault: what `aemc verify` reports.
    Audit,
}

/// Reads a runs.csv back, trusting a row only when the checksum of its block (or tail)
/// matches `checksums`, it parses, it is the run it should be (runs `runs` of every
/// configuration, in order), and it agrees with itself ([`RowFormat::check`]). Trusted rows go
/// to `on_row` in order. With [`Trust::StopAtDamage`] reading stops at the first block that
/// fails; with [`Trust::Audit`] every row that parses goes to `on_row` and every fault is
/// listed in [`ReadBack::problems`]. A last row cut short (no newline) is dropped silently:
/// that is where a crash leaves off. `weights` is the header expected (`None`: either).
/// `Ok(None)` for a file that is empty or cut inside its header.
pub fn read_back(
    path: &Path,
    spec: &StudySpec,
    weights: Option<bool>,
    runs: &Range<u64>,
    checksums: &Checksums,
    trust: Trust,
    mut on_row: impl FnMut(&RunRow),
) -> Result<Option<ReadBack>, InputError> {
    let field = || path.display().to_string();
    let io = |e: std::io::Error| InputError::field(field(), e);
    let mut reader = BufReader::new(File::open(path).map_err(io)?);
    let mut line = Vec::new();
    if reader.read_until(b'\n', &mut line).map_err(io)? == 0 || !line.ends_with(b"\n") {
        return Ok(None);
    }
    let header = parse_record(&line).ok_or_else(|| InputError::field(field(), "its header does not parse"))?;
    let found = header_weights(spec, &header, weights);
    let Some(weights) = found else {
        return Err(InputError::field(
            field(),
            "its columns are not this study's (was it run with a different --weights?); pass --restart to start over",
        ));
    };
    let format = RowFormat::new(spec, weights);
    let total = (runs.end - runs.start) * spec.configurations().len() as u64;
    let row_at = |index: u64, bytes: &[u8]| -> Result<RunRow, String> {
        let row = parse_record(bytes)
            .ok_or_else(|| "it does not parse".to_string())
            .and_then(|r| format.parse(&r))
            .and_then(|row| check_order(runs, total, index, &row).map(|_| row))
            .and_then(|row| format.check(&row, &spec.tolerances).map(|_| row));
        row.map_err(|e| format!("row {} is not a row of this study ({e})", index + 1))
    };
    let mut read = ReadBack {
        weights,
        rows: 0,
        bytes: line.len() as u64,
        checksummer: Checksummer::default(),
        untrusted: None,
        problems: Vec::new(),
    };
    let mut running = Checksummer::default();
    let mut pending: Vec<Vec<u8>> = Vec::new();
    let mut seen = 0u64;
    let mut why: Option<String> = None;
    loop {
        line.clear();
        if reader.read_until(b'\n', &mut line).map_err(io)? == 0 || !line.ends_with(b"\n") {
            break;
        }
        seen += 1;
        if why.is_some() {
            continue; // counting the rows after the damage
        }
        running.add(&line);
        pending.push(line.clone());
        let verified = match running.matches(checksums) {
            None => continue,
            Some(verified) => verified,
        };
        let first = seen - pending.len() as u64;
        if !verified {
            let fault = format!("rows {}–{seen} do not match the checksum recorded when they were synced", first + 1);
            if trust == Trust::StopAtDamage {
                why = Some("they do not match the checksum recorded when they were synced".to_string());
                continue;
            }
            read.problems.push(fault);
        }
        let rows: Vec<Result<RunRow, String>> =
            pending.iter().enumerate().map(|(k, bytes)| row_at(first + k as u64, bytes)).collect();
        if trust == Trust::StopAtDamage {
            if let Some(Err(fault)) = rows.iter().find(|r| r.is_err()) {
                why = Some(fault.clone());
                continue;
            }
            read.bytes += pending.iter().map(|b| b.len() as u64).sum::<u64>();
            read.checksummer = running.clone();
        }
        for row in rows {
            match row {
                Ok(row) => {
                    on_row(&row);
                    read.rows += 1;
                }
                Err(fault) => read.problems.push(fault),
            }
        }
        pending.clear();
    }
    if trust == Trust::Audit {
        // Rows past the last checksum: read, but not vouched for.
        let first = seen - pending.len() as u64;
        for (k, bytes) in pending.iter().enumerate() {
            match row_at(first + k as u64, bytes) {
                Ok(row) => {
                    on_row(&row);
                    read.rows += 1;
                }
                Err(fault) => read.problems.push(fault),
            }
        }
        if !pending.is_empty() {
            read.problems.push(format!("rows {}–{seen} are covered by no checksum", first + 1));
        }
        if checksums.rows() > seen {
            read.problems.push(format!("the checksums cover {} rows, the file holds {seen}", checksums.rows()));
        }
    } else if seen > read.rows {
        let why = why.unwrap_or_else(|| {
            if seen <= checksums.rows() {
                "they do not match the checksums recorded when they were synced".to_string()
            } else {
                "they were written after the last checksum was recorded".to_string()
            }
        });
        read.untrusted = Some(Untrusted { first: read.rows + 1, last: seen, why });
    }
    Ok(Some(read))
}

/// One CSV record from its bytes.
fn parse_record(bytes: &[u8]) -> Option<csv::StringRecord> {
    csv::ReaderBuilder::new().has_headers(false).from_reader(bytes).records().next()?.ok()
}

/// Whether row `index` (0-based) is the run it should be, for a file holding runs `runs`.
fn check_order(runs: &Range<u64>, total: u64, index: u64, row: &RunRow) -> Result<(), String> {
    if index >= total {
        return Err("the study has fewer rows".to_string());
    }
    let expected = expected_row(runs, index);
    if (row.config_index, row.run) != expected {
        return Err(format!(
            "it is configuration {} run {}, expected configuration {} run {}",
            row.config_index, row.run, expected.0, expected.1
        ));
    }
    Ok(())
}

/// Whether a header is this study's runs.csv header with (`Some(true)`) or without
/// (`Some(false)`) the `--weights` columns, as `expected` says where it says (`None`:
/// either); `None` if it is neither. Where `--weights` does not change the columns (data sets
/// other than the 2×2 images), the header says nothing and the expectation stands.
fn header_weights(spec: &StudySpec, header: &csv::StringRecord, expected: Option<bool>) -> Option<bool> {
    let matches = |w: bool| header.iter().eq(RunsCsv::header(spec, w).iter().map(String::as_str));
    if !RowFormat::new(spec, true).weights_in_header() {
        return matches(false).then_some(expected.unwrap_or(false));
    }
    [false, true].into_iter().find(|&w| matches(w)).filter(|w| expected.is_none_or(|e| e == *w))
}

/// The finished runs.csv of a shard holding runs `runs` of every configuration of `spec`,
/// checked against `checksums` as [`read_back`] does: whether it carries the `--weights`
/// columns, and its rows, streamed. Refuses a shard with any row it cannot trust.
pub fn read_rows(
    dir: &Path,
    spec: &StudySpec,
    runs: Range<u64>,
    checksums: &Checksums,
) -> Result<(bool, impl Iterator<Item = Result<RunRow, InputError>>), InputError> {
    let path = dir.join(RUNS_FILE);
    if !path.exists() {
        return Err(InputError::field(path.display().to_string(), "missing; is this shard finished?"));
    }
    let total = (runs.end - runs.start) * spec.configurations().len() as u64;
    let read = read_back(&path, spec, None, &runs, checksums, Trust::StopAtDamage, |_| ())?
        .ok_or_else(|| InputError::field(path.display().to_string(), "has no header"))?;
    if let Some(u) = read.untrusted {
        return Err(InputError::field(
            path.display().to_string(),
            format!("rows {}–{}: {}; run that shard again", u.first, u.last, u.why),
        ));
    }
    if read.rows != total {
        return Err(InputError::field(
            path.display().to_string(),
            format!("has {} rows, the shard {total}: is this shard finished?", read.rows),
        ));
    }
    let file = File::open(&path).map_err(|e| InputError::field(path.display().to_string(), e))?;
    let format = RowFormat::new(spec, read.weights);
    let mut records = csv::ReaderBuilder::new().has_headers(true).from_reader(BufReader::new(file)).into_records();
    let rows = (0..total).map(move |index| {
        let bad = |e: String| InputError::field(path.display().to_string(), format!("row {}: {e}", index + 1));
        let record = records.next().ok_or_else(|| bad("missing".into()))?.map_err(|e| bad(e.to_string()))?;
        format.parse(&record).map_err(bad)
    });
    Ok((read.weights, rows))
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
        let data = spec.load_datasets().unwrap();
        let options = RunOptions { threads: 1, population: 4 };
        run_study(&spec, &data, &NativeEngine, &options, 0..spec.runs, 0, |wave| {
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
            let format = RowFormat::new(&spec, weights);
            let width = RunsCsv::header(&spec, weights).len();
            for record in &records {
                let row = csv.row_of(record);
                let cells = format.cells(&row);
                assert_eq!(cells.len(), width);
                let parsed = format.parse(&csv::StringRecord::from(cells.clone())).unwrap();
                assert_eq!(format.cells(&parsed), cells);
                // NaN losses of diverged runs compare unequal; everything else must match.
                if !row.metrics.mse.is_nan() {
                    assert_eq!(parsed, row);
                }
            }
        }
    }

    #[test]
    fn damaged_rows_are_refused_naming_the_fault() {
        let (spec, csv, records, _dir) = trained(false);
        let format = RowFormat::new(&spec, false);
        let cells = format.cells(&csv.row_of(&records[0]));
        let header = format.header();
        let damaged = |column: &str, value: &str| {
            let mut c = cells.clone();
            c[header.iter().position(|n| *n == column).unwrap()] = value.to_string();
            format.parse(&csv::StringRecord::from(c)).unwrap_err()
        };
        assert!(damaged("class", "grey").contains("class"));
        assert!(damaged("partition", "12|2|4").contains("partition"));
        assert!(damaged("run", "-1").contains("run"));
        assert!(damaged("widths", "9-9-9").contains("configuration"));
        assert!(format.parse(&csv::StringRecord::from(vec!["2-1-2"])).unwrap_err().contains("cells"));
    }
}
