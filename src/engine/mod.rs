//! Engines train a population of networks at once. They know nothing of studies or CSV:
//! initial parameters in (in the layout of [`crate::model::ParamLayout`]), final parameters out.

pub mod burn;
pub mod native;

use crate::model::Widths;
use crate::optim::Optimizer;

pub use self::burn::BurnEngine;
pub use self::native::NativeEngine;

/// Which engine trains a study.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum EngineKind {
    /// The fused native CPU kernel (widths up to 16).
    #[default]
    Native,
    /// burn on its Flex CPU backend (widths up to 64).
    Burn,
}

impl EngineKind {
    /// The engine itself.
    pub fn engine(self) -> Box<dyn Engine> {
        match self {
            EngineKind::Native => Box::new(NativeEngine),
            EngineKind::Burn => Box::new(BurnEngine::flex()),
        }
    }

    /// The engine's name in study files and on the command line.
    pub fn name(self) -> &'static str {
        match self {
            EngineKind::Native => "native",
            EngineKind::Burn => "burn",
        }
    }

    /// The largest hidden width the engine trains.
    pub fn max_width(self) -> usize {
        match self {
            EngineKind::Native => native::MAX_WIDTH,
            EngineKind::Burn => Widths::MAX,
        }
    }
}

/// How every network of a population is trained: full batch on the four images, mean
/// squared error over each network's 16 pixel values.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct TrainSpec {
    /// The networks' widths.
    pub widths: Widths,
    /// The optimiser.
    pub optimizer: Optimizer,
    /// The learning rate.
    pub lr: f32,
    /// Number of full-batch steps.
    pub epochs: u32,
}

/// Something that trains populations of networks.
pub trait Engine: Send + Sync {
    /// The engine's name as used on the command line.
    fn name(&self) -> &'static str;

    /// Trains each network from its initial parameters; returns the final parameters in the
    /// same order. A network's result must not depend on the others in the population.
    fn train(&self, spec: &TrainSpec, initial: &[Vec<f32>]) -> Vec<Vec<f32>>;
}
