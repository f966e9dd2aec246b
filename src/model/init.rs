//! Initialisers. Each draws a network's parameters from a run's random stream in the
//! documented order: layers 1 to 4, each layer's kernel row-major `[fan_in][fan_out]`,
//! then (only for initialisers with random biases) its bias. Values are computed in f64
//! and rounded to f32 once.

use clap::ValueEnum;
use serde::{Deserialize, Serialize};

use super::ParamLayout;
use crate::rng::RunRng;

/// How initial weights and biases are drawn.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum Initializer {
    /// Keras's default: W ~ U(±√(6/(fan_in+fan_out))), zero biases.
    GlorotUniform,
    /// W ~ U(±√(6/fan_in)), zero biases.
    HeUniform,
    /// Keras's LecunNormal: W ~ N(0, (√(1/fan_in)/0.8796)²) truncated at 2σ, zero biases.
    LecunNormal,
    /// PyTorch's and burn's nn::Linear default: W and b ~ U(±1/√fan_in).
    TorchDefault,
}

/// Standard deviation of a standard normal truncated to [-2, 2], by which Keras divides.
pub const TRUNCATED_NORMAL_STD: f64 = 0.879_625_661_034_239_8;

impl Initializer {
    /// The kebab-case name used in study files, the CLI and the CSV.
    pub fn name(self) -> &'static str {
        match self {
            Initializer::GlorotUniform => "glorot-uniform",
            Initializer::HeUniform => "he-uniform",
            Initializer::LecunNormal => "lecun-normal",
            Initializer::TorchDefault => "torch-default",
        }
    }

    /// Whether biases are drawn at random (otherwise they start at zero).
    pub fn random_biases(self) -> bool {
        matches!(self, Initializer::TorchDefault)
    }

    fn weight(self, fan_in: usize, fan_out: usize, rng: &mut RunRng) -> f64 {
        let (fi, fo) = (fan_in as f64, fan_out as f64);
        match self {
            Initializer::GlorotUniform => symmetric_uniform((6.0 / (fi + fo)).sqrt(), rng),
            Initializer::HeUniform => symmetric_uniform((6.0 / fi).sqrt(), rng),
            Initializer::LecunNormal => (1.0 / fi).sqrt() / TRUNCATED_NORMAL_STD * truncated_normal(rng),
            Initializer::TorchDefault => symmetric_uniform(1.0 / fi.sqrt(), rng),
        }
    }

    /// Draws all parameters of one network.
    pub fn draw(self, layout: &ParamLayout, rng: &mut RunRng) -> Vec<f32> {
        let mut params = vec![0.0f32; layout.len];
        for slot in &layout.layers {
            for k in 0..slot.fan_in * slot.fan_out {
                params[slot.weight_offset + k] = self.weight(slot.fan_in, slot.fan_out, rng) as f32;
            }
            if self.random_biases() {
                for j in 0..slot.fan_out {
                    params[slot.b(j)] = symmetric_uniform(1.0 / (slot.fan_in as f64).sqrt(), rng) as f32;
                }
            }
        }
        params
    }
}

impl std::fmt::Display for Initializer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// U(−limit, limit) as `limit · (2u − 1)`.
fn symmetric_uniform(limit: f64, rng: &mut RunRng) -> f64 {
    limit * (2.0 * rng.uniform() - 1.0)
}

/// Standard normal redrawn until it lies in [-2, 2].
fn truncated_normal(rng: &mut RunRng) -> f64 {
    loop {
        let z = rng.normal();
        if z.abs() <= 2.0 {
            return z;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Widths;

    #[test]
    fn glorot_bounds_and_zero_biases() {
        let layout = ParamLayout::new(Widths::PAPER);
        let mut rng = RunRng::new(3);
        for _ in 0..100 {
            let p = Initializer::GlorotUniform.draw(&layout, &mut rng);
            for slot in &layout.layers {
                let limit = (6.0 / (slot.fan_in + slot.fan_out) as f64).sqrt() as f32;
                for k in 0..slot.fan_in * slot.fan_out {
                    assert!(p[slot.weight_offset + k].abs() <= limit);
                }
                assert!((0..slot.fan_out).all(|j| p[slot.b(j)] == 0.0));
            }
        }
    }

    #[test]
    fn torch_default_draws_biases() {
        let layout = ParamLayout::new(Widths::PAPER);
        let p = Initializer::TorchDefault.draw(&layout, &mut RunRng::new(1));
        assert!(p[layout.layers[0].b(0)] != 0.0);
    }

    #[test]
    fn lecun_normal_variance() {
        // Keras scales so that the truncated draw has variance 1/fan_in. Over 2e5 draws of
        // layer 1 (fan_in 4) the sample variance has standard error ≈ 0.25·√(2/2e5)·0.9 ≈ 7e-4;
        // allow 5 of them.
        let layout = ParamLayout::new(Widths::new(64, 1, 1).unwrap());
        let mut rng = RunRng::new(11);
        let mut sum_sq = 0.0f64;
        let mut n = 0usize;
        for _ in 0..800 {
            let p = Initializer::LecunNormal.draw(&layout, &mut rng);
            let l1 = layout.layers[0];
            for k in 0..l1.fan_in * l1.fan_out {
                sum_sq += (p[l1.weight_offset + k] as f64).powi(2);
                n += 1;
            }
        }
        let var = sum_sq / n as f64;
        assert!((var - 0.25).abs() < 5.0 * 7e-4, "variance {var}");
    }
}
