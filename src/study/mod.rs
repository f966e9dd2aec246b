//! Studies: the TOML study file, its expansion into configurations × runs, the runner, and
//! the output directory it writes (runs.csv, state, resume, merge).

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
fn default_epochs() -> Vec<u32> {
    vec![20_000]
}
fn default_seed() -> u64 {
    2020
}

/// Reads the `[vae]` table through [`VaeSpec::from_toml`] (presets and knobs).
fn vae_table<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<VaeSpec>, D::Error> {
    VaeSpec::from_toml(toml::Value::deserialize(d)?).map(Some).map_err(serde::de::Error::custom)
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
    /// The data set and its options [default: squares-2x2] (recorded only where it is not the
    /// default).
    #[serde(default, skip_serializing_if = "DatasetSpec::is_default")]
    pub dataset: DatasetSpec,
    /// Images per training step [default: the whole data set for squares-2x2, as the paper
    /// trains its four images; 32, Keras's default, for the others].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub batch_size: Option<usize>,
    /// The autoencoder [default: ae, A1] (recorded only where it is not the default).
    #[serde(default, skip_serializing_if = "ModelKind::is_ae")]
    pub model: ModelKind,
    /// A2's reading of its loss, the `[vae]` table (model = "vae" only; default: the paper's).
    #[serde(default, deserialize_with = "vae_table", skip_serializing_if = "Option::is_none")]
    pub vae: Option<VaeSpec>,
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
    /// Epochs: passes over the data set (one step each in full batches).
    #[serde(default = "default_epochs")]
    pub epochs: Vec<u32>,
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
    /// Widths.
    pub widths: Widths,
    /// Initialiser.
    pub init: Initializer,
    /// Optimiser.
    pub optimizer: Optimizer,
    /// Learning rate as written in the study (trained in f32).
    pub lr: f64,
    /// Training steps.
    pub epochs: u32,
}

impl Configuration {
    /// The key run seeds derive from: widths and initialiser only (see [`crate::rng::run_seed`]).
    pub fn init_key(&self) -> String {
        format!("{}/{}", self.widths, self.init)
    }

    /// What the engine needs to train a run of this configuration (A2's reading for a VAE).
    pub fn train_spec(&self, vae: Option<VaeSpec>) -> TrainSpec {
        TrainSpec { widths: self.widths, optimizer: self.optimizer, lr: self.lr as f32, epochs: self.epochs, vae }
    }
}

impl StudySpec {
    /// Reads and validates a study file.
    pub fn from_file(path: &Path) -> Result<Self, InputError> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| InputError::field("study file", format!("cannot read {}: {e}", path.display())))?;
        Self::from_toml(&text).map_err(|e| InputError::field(format!("{}: {}", path.display(), e.field), e.message))
    }

    /// Parses and validates a study from TOML text.
    pub fn from_toml(text: &str) -> Result<Self, InputError> {
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
        spec.validate()?;
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
            ("widths", self.widths.is_empty()),
            ("init", self.init.is_empty()),
            ("optimizer", self.optimizer.is_empty()),
            ("lr", self.lr.is_empty()),
            ("epochs", self.epochs.is_empty()),
        ] {
            if empty {
                return input(field, "must list at least one value");
            }
        }
        if let Some(size) = self.batch_size {
            let images = self.dataset.images();
            if size == 0 || size > images {
                return input(
                    "batch_size",
                    format!(
                        "{size} is not between 1 and the data set's {images} images; leave it out for {}",
                        if self.dataset.is_default() { "full batches" } else { "Keras's 32" }
                    ),
                );
            }
        }
        if (self.vae.is_some() || self.vae_samples.is_some()) && self.model != ModelKind::Vae {
            return input("vae", "[vae] and vae_samples apply to model = \"vae\" only; add it or remove them");
        }
        if let Err(e) = self.engine.supports(&self.dataset, self.batching(), self.model) {
            return input("engine", e);
        }
        if let Some(w) = self.widths.iter().find(|w| w.h1.max(w.h2).max(w.h3) > self.engine.max_width()) {
            return input(
                "widths",
                format!(
                    "{w} is wider than the {} engine's limit {}; use engine = \"burn\" (up to 64)",
                    self.engine.name(),
                    self.engine.max_width()
                ),
            );
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

    /// The grid in order: widths, then initialiser, optimiser, learning rate, epochs.
    pub fn configurations(&self) -> Vec<Configuration> {
        let mut grid = Vec::new();
        for &widths in &self.widths {
            for &init in &self.init {
                for &optimizer in &self.optimizer {
                    for &lr in &self.lr {
                        for &epochs in &self.epochs {
                            grid.push(Configuration { widths, init, optimizer, lr, epochs });
                        }
                    }
                }
            }
        }
        grid
    }

    /// How every run sees its data set in an epoch: `batch_size` where the study sets it, else
    /// full batches on squares-2x2 and Keras's default batches of 32 (or the whole set, if
    /// smaller) on the others.
    pub fn batching(&self) -> Batching {
        match (self.batch_size, self.dataset) {
            (Some(size), _) => Batching::MiniBatch { size },
            (None, DatasetSpec::Squares2x2 { .. }) => Batching::Full,
            (None, dataset) => Batching::MiniBatch { size: KERAS_BATCH_SIZE.min(dataset.images()) },
        }
    }

    /// A2's reading where the study trains A2 (the `[vae]` table, else the paper's), `None` for A1.
    pub fn vae_spec(&self) -> Option<VaeSpec> {
        (self.model == ModelKind::Vae).then(|| self.vae.unwrap_or(VaeSpec::PAPER))
    }

    /// The parameter layout of a configuration's networks on images of `pixels` pixels.
    pub fn layout(&self, widths: Widths, pixels: usize) -> ParamLayout {
        ParamLayout::for_model(pixels, widths, self.model == ModelKind::Vae)
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
        assert_eq!(spec.epochs, vec![20_000]);
        let grid = spec.configurations();
        assert_eq!(grid.len(), 2);
        assert_eq!(grid[1].init_key(), "5-2-5/glorot-uniform");
        // Round trip through the recorded copy.
        assert_eq!(StudySpec::from_toml(&spec.to_toml()).unwrap(), spec);
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
        ];
        for (text, needle) in cases {
            let err = StudySpec::from_toml(text).expect_err(text).to_string();
            assert!(err.contains(needle), "{text:?} → {err}");
            assert!(!err.contains('\n'), "multi-line error: {err}");
        }
    }
}
