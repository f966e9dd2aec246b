//! Initialisers. Each draws a network's parameters from a run's random stream in the
//! documented order: layers 1 to 4 (then A2's b head), each layer's kernel row-major `[fan_in][fan_out]`,
//! then (only for initialisers with random biases) its bias; `rai` draws unit by unit
//! ([`Initializer::Rai`]). Values are computed in f64 and rounded to f32 once.

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
    /// Randomized asymmetric initialisation (Lu, Shin, Su and Karniadakis, "Dying ReLU and
    /// initialization: theory and numerical examples", 2019), on every layer: each unit's
    /// fan_in weights and its bias are drawn from N(0, σ²/fan_in) with σ = [`RAI_SIGMA`], then
    /// one of those fan_in + 1 parameters, chosen uniformly, is replaced by a draw from
    /// Beta(2, 1), which is positive. Stream order, unit by unit (j = 0..fan_out): the weights
    /// w_{0j} … w_{fan_in−1,j} and the bias as `σ/√fan_in · normal()`, then the index
    /// ⌊(fan_in + 1)·uniform()⌋, then the replacement √uniform() (Beta(2, 1) by its inverse
    /// distribution function √u).
    Rai,
}

/// RAI's σ: the normal part's standard deviation times √fan_in.
pub const RAI_SIGMA: f64 = 0.6007;

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
            Initializer::Rai => "rai",
        }
    }

    /// Whether biases are drawn at random (otherwise they start at zero).
    pub fn random_biases(self) -> bool {
        matches!(self, Initializer::TorchDefault | Initializer::Rai)
    }

    fn weight(self, fan_in: usize, fan_out: usize, rng: &mut RunRng) -> f64 {
        let (fi, fo) = (fan_in as f64, fan_out as f64);
        match self {
            Initializer::GlorotUniform => symmetric_uniform((6.0 / (fi + fo)).sqrt(), rng),
            Initializer::HeUniform => symmetric_uniform((6.0 / fi).sqrt(), rng),
            Initializer::LecunNormal => (1.0 / fi).sqrt() / TRUNCATED_NORMAL_STD * truncated_normal(rng),
            Initializer::TorchDefault => symmetric_uniform(1.0 / fi.sqrt(), rng),
            Initializer::Rai => unreachable!("rai draws unit by unit"),
        }
    }

    /// Draws all parameters of one network.
    pub fn draw(self, layout: &ParamLayout, rng: &mut RunRng) -> Vec<f32> {
        let mut params = vec![0.0f32; layout.len];
        for slot in layout.slots() {
            if self == Initializer::Rai {
                let scale = RAI_SIGMA / (slot.fan_in as f64).sqrt();
                for j in 0..slot.fan_out {
                    let mut unit: Vec<f64> = (0..=slot.fan_in).map(|_| scale * rng.normal()).collect();
                    let k = ((slot.fan_in + 1) as f64 * rng.uniform()) as usize;
                    unit[k] = rng.uniform().sqrt();
                    for (i, &x) in unit[..slot.fan_in].iter().enumerate() {
                        params[slot.w(i, j)] = x as f32;
                    }
                    params[slot.b(j)] = unit[slot.fan_in] as f32;
                }
                continue;
            }
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

    /// RAI's draws against its definition, over 3000 networks of 64-1-1: the stream replayed
    /// in the documented order gives every parameter bit for bit, and over layer 1's 192000
    /// units (fan_in 4) the replaced place is uniform over the 5 parameters, the replacement
    /// has Beta(2, 1)'s mean and variance, and the others N(0, σ²/4)'s variance and kurtosis.
    /// Tolerances are 5 standard errors of each estimate.
    #[test]
    fn rai_draws_follow_its_definition() {
        let layout = ParamLayout::new(Widths::new(64, 1, 1).unwrap());
        let (mut drawn, mut replay) = (RunRng::new(21), RunRng::new(21));
        let (mut place, mut betas, mut normals) = ([0u64; 5], Vec::new(), Vec::new());
        for _ in 0..3000 {
            let params = Initializer::Rai.draw(&layout, &mut drawn);
            for slot in &layout.layers {
                let scale = RAI_SIGMA / (slot.fan_in as f64).sqrt();
                for j in 0..slot.fan_out {
                    let mut unit: Vec<f64> = (0..=slot.fan_in).map(|_| scale * replay.normal()).collect();
                    let k = ((slot.fan_in + 1) as f64 * replay.uniform()) as usize;
                    let beta = replay.uniform().sqrt();
                    if slot.fan_in == 4 {
                        place[k] += 1;
                        betas.push(beta);
                        normals.extend(unit.iter().enumerate().filter(|&(i, _)| i != k).map(|(_, x)| *x));
                    }
                    unit[k] = beta;
                    let expected = (0..slot.fan_in).map(|i| slot.w(i, j)).chain([slot.b(j)]);
                    for (index, x) in expected.zip(unit) {
                        assert_eq!(params[index], x as f32);
                    }
                }
            }
        }
        let n = betas.len() as f64;
        assert_eq!(n, 192_000.0);
        let se = (n * 0.2 * 0.8).sqrt();
        assert!(place.iter().all(|&c| (c as f64 - n / 5.0).abs() < 5.0 * se), "{place:?}");
        let moments = |v: &[f64], k: i32| v.iter().map(|x| x.powi(k)).sum::<f64>() / v.len() as f64;
        // Beta(2, 1): mean 2/3, variance 1/18, fourth central moment 1/135 for the variance's error.
        let mean = moments(&betas, 1);
        assert!((mean - 2.0 / 3.0).abs() < 5.0 * (1.0f64 / 18.0 / n).sqrt(), "{mean}");
        let var = moments(&betas, 2) - mean * mean;
        assert!((var - 1.0 / 18.0).abs() < 5.0 * ((1.0 / 135.0 - (1.0f64 / 18.0).powi(2)) / n).sqrt(), "{var}");
        // The normal part: variance σ²/4 (standard error σ²/4·√(2/m)), kurtosis 3 (√(24/m)).
        let (m, sigma2) = (normals.len() as f64, RAI_SIGMA * RAI_SIGMA / 4.0);
        let var = moments(&normals, 2);
        assert!((var - sigma2).abs() < 5.0 * sigma2 * (2.0 / m).sqrt(), "{var}");
        let kurtosis = moments(&normals, 4) / (var * var);
        assert!((kurtosis - 3.0).abs() < 5.0 * (24.0 / m).sqrt(), "{kurtosis}");
        assert!(betas.iter().all(|&b| b > 0.0 && b <= 1.0));
    }
}
