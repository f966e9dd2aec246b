//! Studies: the TOML study file, its expansion into configurations × runs, the runner, and
//! the output directory it writes (runs.csv, state, resume, merge).

pub mod axis;
pub mod checksums;
pub mod compare;
pub mod execute;
pub mod merge;
pub mod output;
pub mod run;
pub mod run_files;
pub mod runs_csv;
pub mod state;

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::data::DatasetSpec;
use crate::engine::{Batching, BurnDevice, EngineKind, TrainSpec};
use crate::error::{InputError, input};
use crate::model::vae::{ModelKind, VaeSpec};
use crate::model::{Initializer, ParamLayout, Widths};
use crate::optim::Optimizer;
use crate::outcome::Tolerances;

fn default_init() -> Vec<Initializer> {
    vec![Initializer::GlorotUniform]
}
fn default_optimizer() -> Vec<Optimizer> {
    vec![Optimizer::Adam]
}
fn default_lr() -> Vec<f64> {
    vec![1e-3]
}
/// Epochs where a study gives neither `epochs` nor `steps`.
pub const DEFAULT_EPOCHS: u32 = 20_000;
fn default_datasets() -> Vec<DatasetSpec> {
    vec![DatasetSpec::SQUARES]
}
fn is_default_datasets(d: &[DatasetSpec]) -> bool {
    d == [DatasetSpec::SQUARES]
}
fn default_models() -> Vec<ModelKind> {
    vec![ModelKind::Ae]
}
fn is_default_models(m: &[ModelKind]) -> bool {
    m == [ModelKind::Ae]
}
fn default_seed() -> u64 {
    2020
}

/// Reads the `dataset` axis: one data set ([`DatasetSpec::from_toml`]) or a list of them.
fn dataset_axis<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<DatasetSpec>, D::Error> {
    axis::read(toml::Value::deserialize(d)?, "dataset", DatasetSpec::from_toml).map_err(serde::de::Error::custom)
}

/// Reads the `model` axis: `"ae"`, `"vae"` or a list of them.
fn model_axis<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<ModelKind>, D::Error> {
    axis::read(toml::Value::deserialize(d)?, "model", |v| {
        v.try_into().map_err(|_| "model: must be \"ae\" or \"vae\"".to_string())
    })
    .map_err(serde::de::Error::custom)
}

/// Reads the `vae` axis: one reading (a `[vae]` table or a preset's name) or a list of them
/// ([`VaeSpec::from_toml`]).
fn vae_axis<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Vec<VaeSpec>, D::Error> {
    axis::read(toml::Value::deserialize(d)?, "vae", VaeSpec::from_toml).map_err(serde::de::Error::custom)
}

/// Keras `fit`'s default batch size.
pub const KERAS_BATCH_SIZE: usize = 32;

/// A study file (`studies/*.toml`). Every list is one axis of the configuration grid.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StudySpec {
    /// Name of the study; results go to `results/<name>/` unless `--out` says otherwise.
    pub name: String,
    /// Study seed, from which every run's seed derives.
    #[serde(default = "default_seed")]
    pub seed: u64,
    /// Runs per configuration.
    pub runs: u64,
    /// The data sets and their options, the grid's first axis [default: squares-2x2]
    /// (recorded only where it is not the default).
    #[serde(
        rename = "dataset",
        default = "default_datasets",
        deserialize_with = "dataset_axis",
        serialize_with = "axis::write",
        skip_serializing_if = "is_default_datasets"
    )]
    pub datasets: Vec<DatasetSpec>,
    /// Images per training step [default: the whole data set for squares-2x2, as the paper
    /// trains its four images; 32, Keras's default, for the others].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub batch_size: Option<usize>,
    /// The autoencoders, the grid's second axis with A2's readings [default: ae, A1] (recorded
    /// only where it is not the default).
    #[serde(
        rename = "model",
        default = "default_models",
        deserialize_with = "model_axis",
        serialize_with = "axis::write",
        skip_serializing_if = "is_default_models"
    )]
    pub models: Vec<ModelKind>,
    /// A2's readings of its loss: a `[vae]` table, a preset's name, or a list of either
    /// (model = "vae" only) [default: the paper's]. Each reading is a model of the grid.
    #[serde(
        rename = "vae",
        default,
        deserialize_with = "vae_axis",
        serialize_with = "axis::write",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub readings: Vec<VaeSpec>,
    /// A2's sampled reconstructions per run, for its stochastic measures
    /// ([`crate::metrics::variational`]) [default: 100].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vae_samples: Option<u32>,
    /// Hidden-layer widths, `h1-h2-h3`.
    pub widths: Vec<Widths>,
    /// Initialisers.
    #[serde(default = "default_init")]
    pub init: Vec<Initializer>,
    /// Optimisers.
    #[serde(default = "default_optimizer")]
    pub optimizer: Vec<Optimizer>,
    /// Learning rates.
    #[serde(default = "default_lr")]
    pub lr: Vec<f64>,
    /// Epochs: passes over the data set (one step each in full batches) [default: 20000 unless
    /// `steps` is given].
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub epochs: Vec<u32>,
    /// Training steps instead of epochs: each data set trains for the fewest whole epochs that
    /// take at least this many steps, so that data sets of different sizes train equally long.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub steps: Vec<u64>,
    /// Networks trained together by one engine call; changes speed, never results
    /// [default: the engine's, [`EngineKind::default_population`]].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub population: Option<usize>,
    /// The engine that trains the runs.
    #[serde(default)]
    pub engine: EngineKind,
    /// The burn engine's device (recorded only where it is not the default, Flex).
    #[serde(default, skip_serializing_if = "BurnDevice::is_flex")]
    pub device: BurnDevice,
    /// Tolerances of the outcome classifier.
    #[serde(default)]
    pub tolerances: Tolerances,
}

/// One point of the grid: everything that decides how a run is initialised and trained.
#[derive(Clone, Debug, PartialEq)]
pub struct Configuration {
    /// The data set.
    pub dataset: DatasetSpec,
    /// A2's reading for A2, `None` for A1.
    pub vae: Option<VaeSpec>,
    /// How the runs see the data set in an epoch.
    pub batching: Batching,
    /// The labels of the study's axes with more than one value among data set and model
    /// (`("dataset", "lines-32:images=4")`, `("model", "vae:kingma")`): the columns that tell
    /// this configuration from the others beside [`CONFIG_COLUMNS`](runs_csv::CONFIG_COLUMNS).
    pub labels: Vec<(&'static str, String)>,
    /// Widths.
    pub widths: Widths,
    /// Initialiser.
    pub init: Initializer,
    /// Optimiser.
    pub optimizer: Optimizer,
    /// Learning rate as written in the study (trained in f32).
    pub lr: f64,
    /// Epochs.
    pub epochs: u32,
}

impl Configuration {
    /// The key run seeds derive from: widths and initialiser only (see [`crate::rng::run_seed`]).
    pub fn init_key(&self) -> String {
        format!("{}/{}", self.widths, self.init)
    }

    /// What the engine needs to train a run of this configuration.
    pub fn train_spec(&self) -> TrainSpec {
        TrainSpec {
            widths: self.widths,
            optimizer: self.optimizer,
            lr: self.lr as f32,
            epochs: self.epochs,
            vae: self.vae,
        }
    }

    /// The parameter layout of this configuration's networks.
    pub fn layout(&self) -> ParamLayout {
        ParamLayout::for_model(self.dataset.pixels(), self.widths, self.vae.is_some())
    }

    /// Everything that names this configuration except the model: runs of two configurations
    /// with the same key (one A1, one A2) start from the same weights and see the same data in
    /// the same order, so they pair seed by seed.
    pub fn pairing_key(&self) -> (String, Vec<String>) {
        (self.dataset.label(), runs_csv::base_cells(self))
    }
}

impl StudySpec {
    /// Reads and validates a study file.
    pub fn from_file(path: &Path) -> Result<Self, InputError> {
        Self::read(path, Self::from_toml)
    }

    /// Reads a study file without reading its data files or validating it: `aemc run` first
    /// applies its flags (`--data DIR` among them), then [`StudySpec::resolve_data`] and
    /// [`StudySpec::validate`].
    pub fn parse_file(path: &Path) -> Result<Self, InputError> {
        Self::read(path, Self::parse)
    }

    /// A study file through `from_text`, errors naming the file.
    fn read(path: &Path, from_text: fn(&str) -> Result<Self, InputError>) -> Result<Self, InputError> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| InputError::field("study file", format!("cannot read {}: {e}", path.display())))?;
        from_text(&text).map_err(|e| InputError::field(format!("{}: {}", path.display(), e.field), e.message))
    }

    /// Parses a study from TOML text, reads what its data sets need from their files (the
    /// MNIST labels, [`StudySpec::resolve_data`]) and validates it.
    pub fn from_toml(text: &str) -> Result<Self, InputError> {
        let mut spec = Self::parse(text)?;
        spec.resolve_data(None)?;
        spec.validate()?;
        Ok(spec)
    }

    /// Checks the data sets' files and counts their training images, MNIST's read from `dir`
    /// where it is given (`--data DIR`), else from its `path`.
    pub fn resolve_data(&mut self, dir: Option<&Path>) -> Result<(), InputError> {
        let field = if dir.is_some() { "--data" } else { "dataset.path" };
        for dataset in &mut self.datasets {
            *dataset = dataset.clone().with_data_dir(dir).map_err(|e| InputError::field(field, e))?;
        }
        Ok(())
    }

    /// Parses a study from TOML text: its syntax and keys only.
    fn parse(text: &str) -> Result<Self, InputError> {
        let spec: StudySpec = toml::from_str(text).map_err(|e| {
            let message = e.message().lines().next().unwrap_or("invalid TOML").to_string();
            let Some(span) = e.span() else {
                return InputError::field("TOML", message);
            };
            // Name the key on the offending line as well as the line itself.
            let start = span.start.min(text.len());
            let line = text[..start].matches('\n').count() + 1;
            let key = text.lines().nth(line - 1).and_then(|l| l.split_once('=')).map(|(k, _)| k.trim());
            let field = match key {
                Some(k) if !k.is_empty() => format!("line {line}, {k}"),
                _ => format!("line {line}"),
            };
            InputError::field(field, message)
        })?;
        Ok(spec)
    }

    /// Checks every field, naming the first that is wrong and what is accepted.
    pub fn validate(&self) -> Result<(), InputError> {
        let safe = |c: char| c.is_ascii_alphanumeric() || "-_.".contains(c);
        if self.name.is_empty() || !self.name.chars().all(safe) || self.name.starts_with('.') {
            return input(
                "name",
                format!("'{}' must be non-empty letters, digits, '-', '_' or '.', not starting with '.'", self.name),
            );
        }
        if self.runs == 0 {
            return input("runs", "must be at least 1");
        }
        if self.population == Some(0) {
            return input("population", "must be at least 1");
        }
        if self.device != BurnDevice::Flex && self.engine != EngineKind::Burn {
            return input("device", "applies to engine = \"burn\" only; remove it or set engine = \"burn\"");
        }
        for (field, empty) in [
            ("dataset", self.datasets.is_empty()),
            ("model", self.models.is_empty()),
            ("widths", self.widths.is_empty()),
            ("init", self.init.is_empty()),
            ("optimizer", self.optimizer.is_empty()),
            ("lr", self.lr.is_empty()),
        ] {
            if empty {
                return input(field, "must list at least one value");
            }
        }
        if let Some(size) = self.batch_size {
            for dataset in &self.datasets {
                let images = dataset.images();
                if size == 0 || size > images {
                    return input(
                        "batch_size",
                        format!(
                            "{size} is not between 1 and {}'s {images} images; leave it out for {}",
                            dataset.label(),
                            if dataset.is_default() { "full batches" } else { "Keras's 32" }
                        ),
                    );
                }
            }
        }
        for (axis, values) in [
            ("dataset", self.datasets.iter().map(DatasetSpec::label).collect::<Vec<_>>()),
            ("model", self.models.iter().map(|m| m.name().to_string()).collect()),
            ("vae", self.readings.iter().map(|r| r.label()).collect()),
        ] {
            if let Some(v) = values.iter().enumerate().find(|(k, v)| values[..*k].contains(v)).map(|(_, v)| v) {
                return input(axis, format!("lists {v} twice; list each value once"));
            }
        }
        if (!self.readings.is_empty() || self.vae_samples.is_some()) && !self.models.contains(&ModelKind::Vae) {
            return input("vae", "[vae] and vae_samples apply to model = \"vae\" only; add it or remove them");
        }
        if !self.epochs.is_empty() && !self.steps.is_empty() {
            return input("steps", "a study gives epochs or steps, not both; remove one");
        }
        if self.steps.contains(&0) {
            return input("steps", "must be at least 1");
        }
        for dataset in &self.datasets {
            for &model in &self.models {
                if let Err(e) = self.engine.supports(dataset, self.batching(dataset), model) {
                    return input("engine", e);
                }
            }
        }
        for dataset in &self.datasets {
            let limit = self.engine.max_width(dataset, self.batching(dataset), &self.models);
            if let Some(w) = self.widths.iter().find(|w| w.h1.max(w.h2).max(w.h3) > limit) {
                return input(
                    "widths",
                    format!(
                        "{w} is wider than the {} engine's limit {limit} on {}; use engine = \"burn\" (up to 64)",
                        self.engine.name(),
                        dataset.label(),
                    ),
                );
            }
        }
        if let Some(lr) = self.lr.iter().find(|lr| !(lr.is_finite() && **lr > 0.0)) {
            return input("lr", format!("{lr} is not a positive finite learning rate"));
        }
        if self.epochs.contains(&0) {
            return input("epochs", "must be at least 1");
        }
        let t = self.tolerances;
        if !(t.group > 0.0 && t.group < 0.5) {
            return input("tolerances.group", format!("{} must lie in (0, 0.5)", t.group));
        }
        if !(t.loss > 0.0 && t.loss < 1.0 / 96.0) {
            return input(
                "tolerances.loss",
                format!("{} must lie in (0, 1/96): 1/96 is the smallest gap between two loss floors", t.loss),
            );
        }
        Ok(())
    }

    /// The grid in order: data set, model (A1, then A2 in each reading), widths, initialiser,
    /// optimiser, learning rate, then epochs (or steps).
    pub fn configurations(&self) -> Vec<Configuration> {
        let models: Vec<Option<VaeSpec>> = self.models.iter().flat_map(|m| self.model_variants(*m)).collect();
        let mut grid = Vec::new();
        for dataset in &self.datasets {
            let batching = self.batching(dataset);
            for &vae in &models {
                let mut labels = Vec::new();
                if self.datasets.len() > 1 {
                    labels.push(("dataset", dataset.label()));
                }
                if models.len() > 1 {
                    labels.push(("model", vae.map_or("ae".to_string(), |r| format!("vae:{}", r.label()))));
                }
                for &widths in &self.widths {
                    for &init in &self.init {
                        for &optimizer in &self.optimizer {
                            for &lr in &self.lr {
                                for epochs in self.epochs_of(dataset, batching) {
                                    grid.push(Configuration {
                                        dataset: dataset.clone(),
                                        vae,
                                        batching,
                                        labels: labels.clone(),
                                        widths,
                                        init,
                                        optimizer,
                                        lr,
                                        epochs,
                                    });
                                }
                            }
                        }
                    }
                }
            }
        }
        grid
    }

    /// The grid's models for one `model` value: A1, or A2 in each of the study's readings
    /// (the paper's where it lists none).
    fn model_variants(&self, model: ModelKind) -> Vec<Option<VaeSpec>> {
        match model {
            ModelKind::Ae => vec![None],
            ModelKind::Vae if self.readings.is_empty() => vec![Some(VaeSpec::PAPER)],
            ModelKind::Vae => self.readings.iter().copied().map(Some).collect(),
        }
    }

    /// The epochs each configuration on `dataset` trains for: the study's `epochs`, or for its
    /// `steps` the fewest whole epochs that take at least that many steps.
    fn epochs_of(&self, dataset: &DatasetSpec, batching: Batching) -> Vec<u32> {
        if self.steps.is_empty() {
            return if self.epochs.is_empty() { vec![DEFAULT_EPOCHS] } else { self.epochs.clone() };
        }
        let per_epoch = batching.steps_per_epoch(dataset.images()) as u64;
        self.steps.iter().map(|&s| u32::try_from(s.div_ceil(per_epoch)).unwrap_or(u32::MAX)).collect()
    }

    /// How every run on `dataset` sees it in an epoch: `batch_size` where the study sets it,
    /// else full batches on squares-2x2 and Keras's default batches of 32 (or the whole set,
    /// if smaller) on the others.
    pub fn batching(&self, dataset: &DatasetSpec) -> Batching {
        match (self.batch_size, dataset) {
            (Some(size), _) => Batching::MiniBatch { size },
            (None, DatasetSpec::Squares2x2 { .. }) => Batching::Full,
            (None, dataset) => Batching::MiniBatch { size: KERAS_BATCH_SIZE.min(dataset.images()) },
        }
    }

    /// Every data set of the study, in its order, read (MNIST from its files: an error names
    /// the file and the fault).
    pub fn load_datasets(&self) -> Result<Vec<crate::data::Dataset>, InputError> {
        self.datasets.iter().map(|d| d.load().map_err(|e| InputError::field("dataset", e))).collect()
    }

    /// Whether the study trains A2 in some configuration.
    pub fn has_vae(&self) -> bool {
        self.models.contains(&ModelKind::Vae)
    }

    /// Whether every configuration trains on the paper's 2×2 images themselves, where runs
    /// have the 2×2 experiment's columns (classes, init events, codes and outputs).
    pub fn squares_only(&self) -> bool {
        is_default_datasets(&self.datasets)
    }

    /// The study as TOML, as recorded beside its results.
    pub fn to_toml(&self) -> String {
        toml::to_string(self).expect("a study serialises")
    }

    /// The widths covering every configuration (for the union of CSV columns).
    pub fn max_widths(&self) -> Widths {
        self.widths.iter().copied().reduce(Widths::max).expect("validated: widths not empty")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MINIMAL: &str = "name = \"t\"\nruns = 3\nwidths = [\"2-1-2\", \"5-2-5\"]\n";

    #[test]
    fn defaults_and_grid() {
        let spec = StudySpec::from_toml(MINIMAL).unwrap();
        assert_eq!(spec.init, vec![Initializer::GlorotUniform]);
        let grid = spec.configurations();
        assert_eq!(grid.len(), 2);
        assert_eq!(grid[0].epochs, DEFAULT_EPOCHS);
        assert!(grid[0].labels.is_empty());
        assert_eq!(grid[1].init_key(), "5-2-5/glorot-uniform");
        // Round trip through the recorded copy.
        assert_eq!(StudySpec::from_toml(&spec.to_toml()).unwrap(), spec);
    }

    #[test]
    fn data_sets_and_models_are_axes() {
        let text = "name = \"t\"\nruns = 2\nmodel = [\"ae\", \"vae\"]\nvae = [\"paper\", \"kingma\"]\n\
                    widths = [\"2-1-2\"]\nsteps = [100]\n\
                    [[dataset]]\nname = \"squares-2x2\"\n[[dataset]]\nname = \"lines-32\"\nimages = 40\n";
        let spec = StudySpec::from_toml(text).unwrap();
        let grid = spec.configurations();
        // Data set, then A1 and A2 in each reading.
        let labels: Vec<Vec<String>> = grid.iter().map(|c| c.labels.iter().map(|(_, l)| l.clone()).collect()).collect();
        assert_eq!(labels[0], ["squares-2x2", "ae"]);
        assert_eq!(labels[2], ["squares-2x2", "vae:kingma"]);
        assert_eq!(labels[3], ["lines-32+images=40", "ae"]);
        assert_eq!(grid.len(), 6);
        // 100 steps: 100 full-batch epochs of the squares, 50 of the 40 lines in two batches.
        assert_eq!((grid[0].epochs, grid[3].epochs), (100, 50));
        assert_eq!(grid[2].vae, Some(crate::model::vae::PRESETS[3].1));
        assert_eq!(grid[1].pairing_key(), grid[0].pairing_key());
        assert_ne!(grid[3].pairing_key(), grid[0].pairing_key());
        assert_eq!(runs_csv::config_columns(&grid[0])[..3], ["dataset", "model", "widths"]);
        // The recorded copy reads back to the same study; a single value stays a single value.
        assert_eq!(StudySpec::from_toml(&spec.to_toml()).unwrap(), spec);
        let single =
            StudySpec::from_toml("name = \"t\"\nruns = 1\nwidths = [\"2-1-2\"]\ndataset = \"lines-32\"\n").unwrap();
        assert!(single.to_toml().contains("[dataset]\nname = \"lines-32\""), "{}", single.to_toml());
    }

    #[test]
    fn bad_study_files_name_the_field() {
        let cases = [
            ("name = \"t\"\nruns = 0\nwidths = [\"2-1-2\"]", "runs"),
            ("name = \"t\"\nruns = -3\nwidths = [\"2-1-2\"]", "runs"),
            ("name = \"t\"\nruns = 3\nwidths = [\"0-1-2\"]", "0-1-2"),
            ("name = \"t\"\nruns = 3\nwidths = [\"2-1\"]", "h1-h2-h3"),
            ("name = \"t\"\nruns = 3\nwidths = [\"2-1-2\"]\ninit = [\"xavier\"]", "glorot-uniform"),
            ("name = \"t\"\nruns = 3\nwidths = [\"2-1-2\"]\noptimizer = [\"rmsprop\"]", "adam"),
            ("name = \"t\"\nruns = 3\nwidths = [\"2-1-2\"]\nepochs = [0]", "epochs"),
            ("name = \"t\"\nruns = 3\nwidths = [\"2-1-2\"]\nlr = [-1.0]", "lr"),
            ("name = \"t\"\nruns = 3\nwidths = [\"2-1-2\"]\ncolour = 1", "colour"),
            ("name = \"t\"\nruns = 3\nwidths = [\"2-1-2\"", "line"),
            ("name = \"../x\"\nruns = 3\nwidths = [\"2-1-2\"]", "name"),
            ("name = \"t\"\nruns = 3\nwidths = [\"2-1-2\"]\n[tolerances]\nloss = 0.5", "tolerances.loss"),
            ("name = \"t\"\nruns = 3\nwidths = [\"17-1-17\"]", "limit 16"),
            (
                "name = \"t\"\nruns = 3\nwidths = [\"2-1-2\"]\nepochs = [5]\nsteps = [5]",
                "steps: a study gives epochs or steps",
            ),
            ("name = \"t\"\nruns = 3\nwidths = [\"2-1-2\"]\nsteps = [0]", "steps"),
            ("name = \"t\"\nruns = 3\nwidths = [\"2-1-2\"]\nmodel = [\"ae\", \"ae\"]", "model: lists ae twice"),
            ("name = \"t\"\nruns = 3\nwidths = [\"2-1-2\"]\nmodel = []", "model: must list at least one value"),
            ("name = \"t\"\nruns = 3\nwidths = [\"2-1-2\"]\nmodel = \"gan\"", "model: must be"),
            ("name = \"t\"\nruns = 3\nwidths = [\"2-1-2\"]\nvae = \"kingma\"", "apply to model = \"vae\" only"),
            (
                "name = \"t\"\nruns = 3\nwidths = [\"2-1-2\"]\nmodel = \"vae\"\nvae = [\"kingma\", \"x\"]",
                "value 2 of the vae list",
            ),
            (
                "name = \"t\"\nruns = 3\nwidths = [\"2-1-2\"]\ndataset = [\"lines-32\", \"cifar-10\"]",
                "value 2 of the dataset list",
            ),
            (
                "name = \"t\"\nruns = 3\nwidths = [\"2-1-2\"]\ndataset = [\"lines-32\", \"squares-2x2\"]\nbatch_size = 8",
                "batch_size: 8 is not between 1 and squares-2x2's 4 images",
            ),
        ];
        for (text, needle) in cases {
            let err = StudySpec::from_toml(text).expect_err(text).to_string();
            assert!(err.contains(needle), "{text:?} → {err}");
            assert!(!err.contains('\n'), "multi-line error: {err}");
        }
    }
}
