//! Optimisers and the scalar reference of their updates, which every engine must match.
//!
//! Adam follows Keras 3 exactly (β1 0.9, β2 0.999, ε 1e-7); at step t (from 1):
//! `α = lr·√(1−β2^t)/(1−β1^t)`, `m ← m + (g−m)(1−β1)`, `v ← v + (g²−v)(1−β2)`,
//! `θ ← θ − (m·α)/(√v + ε)`, all in f32. burn's built-in Adam puts ε inside the bias
//! correction and defaults it to 1e-5, so aemc does not use it.

use clap::ValueEnum;
use serde::{Deserialize, Serialize};

/// Keras's Adam β1.
pub const ADAM_BETA1: f32 = 0.9;
/// Keras's Adam β2.
pub const ADAM_BETA2: f32 = 0.999;
/// Keras's Adam ε.
pub const ADAM_EPSILON: f32 = 1e-7;
/// 1 − β1 as Keras computes it: in f64 (Python floats), then rounded to f32.
pub const ADAM_ONE_MINUS_BETA1: f32 = (1.0f64 - 0.9f64) as f32;
/// 1 − β2 as Keras computes it.
pub const ADAM_ONE_MINUS_BETA2: f32 = (1.0f64 - 0.999f64) as f32;

/// The optimiser of a configuration.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum Optimizer {
    /// Adam with Keras 3's defaults and update.
    Adam,
    /// Plain gradient descent, θ ← θ − lr·g.
    Sgd,
}

impl Optimizer {
    /// The kebab-case name.
    pub fn name(self) -> &'static str {
        match self {
            Optimizer::Adam => "adam",
            Optimizer::Sgd => "sgd",
        }
    }
}

impl std::fmt::Display for Optimizer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// Adam's step size at step `t` (from 1), computed in f32 as Keras does.
pub fn adam_alpha(lr: f32, t: u32) -> f32 {
    let t = t as f32;
    let b1_power = ADAM_BETA1.powf(t);
    let b2_power = ADAM_BETA2.powf(t);
    lr * (1.0 - b2_power).sqrt() / (1.0 - b1_power)
}

/// One Adam update of one scalar parameter, given `alpha = adam_alpha(lr, t)`.
#[inline]
pub fn adam_update(theta: &mut f32, m: &mut f32, v: &mut f32, g: f32, alpha: f32) {
    *m += (g - *m) * ADAM_ONE_MINUS_BETA1;
    *v += (g * g - *v) * ADAM_ONE_MINUS_BETA2;
    *theta -= (*m * alpha) / (v.sqrt() + ADAM_EPSILON);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keras_adam_first_step_by_hand() {
        // θ=1, g=0.5, lr=1e-3, t=1: m = 0.05, v = 0.00025,
        // α = 1e-3·√0.001/0.1 = 3.16227766e-4,
        // Δ = α·0.05/(√0.00025 + 1e-7) = 1.58113883e-5/0.0158114883 = 9.99993675e-4.
        let (mut theta, mut m, mut v) = (1.0f32, 0.0f32, 0.0f32);
        let alpha = adam_alpha(1e-3, 1);
        // f32 rounding of 1 − 0.999 costs a relative 1e-5, as in Keras.
        assert!((alpha - 3.162_277_7e-4).abs() < 1e-8, "{alpha}");
        adam_update(&mut theta, &mut m, &mut v, 0.5, alpha);
        assert!((m - 0.05).abs() < 1e-9);
        assert!((v - 0.00025).abs() < 1e-10);
        assert!((theta - (1.0 - 9.999_937e-4)).abs() < 1e-6, "{theta}");
        // Second step with g = -0.25: m = 0.045 - 0.025 = 0.02, v = 0.00024975 + 0.0000625 = 0.00031225,
        // α = 1e-3·√(1−0.998001)/(1−0.81) = 1e-3·0.0447102/0.19 = 2.35317e-4,
        // Δ = 2.35317e-4·0.02/(0.0176706 + 1e-7) = 2.66329e-4.
        let alpha2 = adam_alpha(1e-3, 2);
        adam_update(&mut theta, &mut m, &mut v, -0.25, alpha2);
        assert!((m - 0.02).abs() < 1e-8);
        assert!((v - 0.000_312_25).abs() < 1e-9);
        assert!((theta - (1.0 - 9.999_937e-4 - 2.663_29e-4)).abs() < 1e-6, "{theta}");
    }
}
