//! Engines train a population of networks at once. They know nothing of studies or CSV:
//! initial parameters in (in the layout of [`crate::model::ParamLayout`]), final parameters out.

pub mod burn;

use crate::model::Widths;
use crate::optim::Optimizer;

pub use self::burn::BurnEngine;

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
