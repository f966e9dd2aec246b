//! A2, the paper's variational autoencoder (section 3, eq. 1), and the readings of its
//! ambiguous formula as knobs.
//!
//! A2 is A1 with a second head at layer 2: from the layer-1 activations h, a = W₂h + c₂ (the
//! mean, A1's own layer 2) and b = W₂ᵇh + c₂ᵇ. Training decodes z = a + noise_std·σ(b)·ε,
//! ε ~ N(0, 1) drawn afresh for every image in every epoch ([`crate::rng::vae_noise`]), and
//! minimises
//!
//! ```text
//! loss = R(mean over the batch's images of the reconstruction error)
//!      + kl_weight · K(−0.5·(1 + b − a² − e^b)),
//! ```
//!
//! R a mean (`reconstruction = "mean"`) or sum (`"sum"`) of (y − x)² over pixels, K a mean
//! or sum over latent units, both averaged over the batch's images. The paper's formula is
//! the defaults: σ = e^b (it calls b "the logarithm of its standard deviation"), noise_std 1,
//! means, kl_weight 1, though its KL term treats e^b as the variance (σ = e^{b/2}, `sigma =
//! "exp-half-b"`). Presets name the readings: `paper` (the defaults), `keras-2016` (the first
//! Keras VAE example: noise_std 0.01), `sum` (σ = e^b, sums), `kingma` (σ = e^{b/2}, sums).
//! The KL term is the same formula in every reading.
//!
//! Parameters: A1's layout, then the b head (`w2b_{i}_{j}`, `b2b_{j}`), drawn after A1's by the
//! same initialiser as any Dense layer.

use serde::{Deserialize, Serialize};

use super::{ParamLayout, decode, encode};
use crate::expf::expf;

/// How σ follows from the head b.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Sigma {
    /// σ = e^b: b is the log standard deviation, as the paper's text says.
    ExpB,
    /// σ = e^{b/2}: b is the log variance, as the KL term reads it.
    ExpHalfB,
}

/// A mean or a sum over pixels or latent units.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Reduction {
    /// The mean.
    Mean,
    /// The sum.
    Sum,
}

impl Reduction {
    /// The factor that turns a sum over `n` terms into this reduction.
    pub fn factor(self, n: usize) -> f32 {
        match self {
            Reduction::Mean => 1.0 / n as f32,
            Reduction::Sum => 1.0,
        }
    }
}

/// One reading of eq. (1).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VaeSpec {
    /// How σ follows from b.
    pub sigma: Sigma,
    /// The standard deviation of the noise ε is drawn with.
    pub noise_std: f64,
    /// The reconstruction error over pixels.
    pub reconstruction: Reduction,
    /// The KL term over latent units.
    pub kl: Reduction,
    /// The KL term's weight.
    pub kl_weight: f64,
}

/// The named readings and the knobs each sets.
pub const PRESETS: [(&str, VaeSpec); 4] = [
    ("paper", VaeSpec::PAPER),
    ("keras-2016", VaeSpec { noise_std: 0.01, ..VaeSpec::PAPER }),
    ("sum", VaeSpec { reconstruction: Reduction::Sum, kl: Reduction::Sum, ..VaeSpec::PAPER }),
    (
        "kingma",
        VaeSpec { sigma: Sigma::ExpHalfB, reconstruction: Reduction::Sum, kl: Reduction::Sum, ..VaeSpec::PAPER },
    ),
];

impl VaeSpec {
    /// The paper's formula read literally.
    pub const PAPER: VaeSpec = VaeSpec {
        sigma: Sigma::ExpB,
        noise_std: 1.0,
        reconstruction: Reduction::Mean,
        kl: Reduction::Mean,
        kl_weight: 1.0,
    };

    /// σ for a head value b, in f32 as training computes it (with [`expf`], the same on every
    /// machine).
    #[inline(always)]
    pub fn sigma_of(&self, b: f32) -> f32 {
        match self.sigma {
            Sigma::ExpB => expf(b),
            Sigma::ExpHalfB => expf(0.5 * b),
        }
    }

    /// The standard deviation z is sampled with for a head value b: noise_std·σ(b), in f32.
    #[inline(always)]
    pub fn sampling_sigma(&self, b: f32) -> f32 {
        self.noise_std as f32 * self.sigma_of(b)
    }

    /// dσ/db over σ: 1 for σ = e^b, 1/2 for σ = e^{b/2}.
    pub fn dlog_sigma_db(&self) -> f32 {
        match self.sigma {
            Sigma::ExpB => 1.0,
            Sigma::ExpHalfB => 0.5,
        }
    }

    /// The knobs by name, with their values as a study file writes them.
    fn knobs(&self) -> [(&'static str, String); 5] {
        fn name<T: Serialize>(knob: &T) -> String {
            toml::Value::try_from(knob).ok().and_then(|v| v.as_str().map(str::to_string)).unwrap_or_default()
        }
        [
            ("sigma", name(&self.sigma)),
            ("noise_std", self.noise_std.to_string()),
            ("reconstruction", name(&self.reconstruction)),
            ("kl", name(&self.kl)),
            ("kl_weight", self.kl_weight.to_string()),
        ]
    }

    /// A short name: the preset's name (`kingma`), or the preset it differs least from with
    /// the knobs that differ (`paper+noise_std=0.1+kl_weight=0.01`).
    pub fn label(&self) -> String {
        let knobs = self.knobs();
        let (name, differing) = PRESETS
            .iter()
            .map(|(name, preset)| {
                let differing: Vec<String> = knobs
                    .iter()
                    .zip(preset.knobs())
                    .filter(|(mine, theirs)| mine.1 != theirs.1)
                    .map(|((knob, value), _)| format!("+{knob}={value}"))
                    .collect();
                (name, differing)
            })
            .min_by_key(|(_, differing)| differing.len())
            .expect("presets exist");
        format!("{name}{}", differing.concat())
    }

    /// Reads a `[vae]` table: an optional `preset` (default `paper`) whose knobs the other keys
    /// override. Errors name the key and what it accepts, on one line.
    /// A preset's name alone stands for its table (`vae = "kingma"`).
    pub fn from_toml(value: toml::Value) -> Result<Self, String> {
        let mut table = match value {
            toml::Value::Table(table) => table,
            toml::Value::String(name) => toml::map::Map::from_iter([("preset".to_string(), toml::Value::String(name))]),
            _ => return Err("vae: must be a preset's name or a table of the reading's knobs".to_string()),
        };
        let names: Vec<&str> = PRESETS.iter().map(|(n, _)| *n).collect();
        let base = match table.remove("preset") {
            None => VaeSpec::PAPER,
            Some(toml::Value::String(name)) => PRESETS
                .iter()
                .find(|(n, _)| *n == name)
                .map(|(_, p)| *p)
                .ok_or_else(|| format!("vae.preset: unknown preset '{name}'; use {}", names.join(", ")))?,
            Some(other) => return Err(format!("vae.preset: {other} is not a name; use {}", names.join(", "))),
        };
        let toml::Value::Table(mut merged) = toml::Value::try_from(base).expect("a reading serialises") else {
            unreachable!("a reading serialises as a table")
        };
        for (key, value) in table {
            if !merged.contains_key(&key) {
                return Err(format!(
                    "vae.{key}: not a knob; use preset, sigma, noise_std, reconstruction, kl or kl_weight"
                ));
            }
            let value = match value {
                toml::Value::Integer(n) if key == "noise_std" || key == "kl_weight" => toml::Value::Float(n as f64),
                v => v,
            };
            merged.insert(key, value);
        }
        let spec: VaeSpec = toml::Value::Table(merged)
            .try_into()
            .map_err(|e: toml::de::Error| format!("vae: {}", e.message().lines().next().unwrap_or("invalid value")))?;
        if !(spec.noise_std.is_finite() && spec.noise_std > 0.0) {
            return Err(format!("vae.noise_std: {} must be a positive finite number", spec.noise_std));
        }
        if !(spec.kl_weight.is_finite() && spec.kl_weight >= 0.0) {
            return Err(format!("vae.kl_weight: {} must be a finite number of at least 0", spec.kl_weight));
        }
        Ok(spec)
    }
}

impl std::str::FromStr for VaeSpec {
    type Err = String;

    /// A preset by name, as `--vae` takes it.
    fn from_str(name: &str) -> Result<Self, String> {
        VaeSpec::from_toml(toml::Value::String(name.to_string()))
    }
}

/// The reference loss of eq. (1), in f64, for one network on a batch of images with the noise
/// given: `eps[i]` is image i's ε (one per latent unit). The engines' gradients are checked
/// against its finite differences.
pub fn loss(layout: &ParamLayout, params: &[f32], vae: &VaeSpec, images: &[&[f32]], eps: &[Vec<f32>]) -> f64 {
    let mut total = 0.0f64;
    for (image, eps) in images.iter().zip(eps) {
        let (a, b) = encode(layout, params, image);
        let b = b.expect("A2's layout has the b head");
        let z: Vec<f32> =
            a.iter().zip(&b).zip(eps).map(|((&a, &b), &e)| a + vae.noise_std as f32 * vae.sigma_of(b) * e).collect();
        let y = decode(layout, params, &z);
        let squared: f64 = y.iter().zip(image.iter()).map(|(&y, &x)| f64::from(y - x).powi(2)).sum();
        let kl: f64 = a
            .iter()
            .zip(&b)
            .map(|(&a, &b)| {
                let (a, b) = (f64::from(a), f64::from(b));
                -0.5 * (1.0 + b - a * a - b.exp())
            })
            .sum();
        total += squared * f64::from(vae.reconstruction.factor(y.len()))
            + vae.kl_weight * kl * f64::from(vae.kl.factor(a.len()));
    }
    total / images.len() as f64
}

/// Which autoencoder a study trains: the `model` key.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "kebab-case")]
pub enum ModelKind {
    /// A1, the classic autoencoder.
    #[default]
    Ae,
    /// A2, the variational autoencoder, read as the `[vae]` table says.
    Vae,
}

impl ModelKind {
    /// Whether this is the default model (left out of recorded studies).
    pub fn is_ae(&self) -> bool {
        *self == ModelKind::Ae
    }

    /// The name a study file gives it.
    pub fn name(&self) -> &'static str {
        match self {
            ModelKind::Ae => "ae",
            ModelKind::Vae => "vae",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<VaeSpec, String> {
        VaeSpec::from_toml(toml::Value::Table(toml::from_str(text).unwrap()))
    }

    #[test]
    fn presets_and_knobs() {
        assert_eq!(parse("").unwrap(), VaeSpec::PAPER);
        assert_eq!(parse("preset = \"keras-2016\"").unwrap().noise_std, 0.01);
        let kingma = parse("preset = \"kingma\"\nkl_weight = 2").unwrap();
        assert_eq!((kingma.sigma, kingma.reconstruction, kingma.kl_weight), (Sigma::ExpHalfB, Reduction::Sum, 2.0));
        assert_eq!(parse("sigma = \"exp-half-b\"").unwrap().sigma, Sigma::ExpHalfB);
        assert_eq!(VaeSpec::from_toml(toml::Value::String("kingma".into())).unwrap(), PRESETS[3].1);
    }

    #[test]
    fn labels_name_the_nearest_preset_and_the_knobs_that_differ() {
        for (name, preset) in PRESETS {
            assert_eq!(preset.label(), name);
        }
        let custom = VaeSpec { noise_std: 0.1, kl_weight: 0.01, ..VaeSpec::PAPER };
        assert_eq!(custom.label(), "paper+noise_std=0.1+kl_weight=0.01");
        let kingma_light = VaeSpec { kl_weight: 0.5, ..PRESETS[3].1 };
        assert_eq!(kingma_light.label(), "kingma+kl_weight=0.5");
        assert_eq!(VaeSpec { sigma: Sigma::ExpHalfB, ..VaeSpec::PAPER }.label(), "paper+sigma=exp-half-b");
    }

    #[test]
    fn bad_readings_name_the_knob() {
        for (text, needle) in [
            ("preset = \"vanilla\"", "vae.preset: unknown preset 'vanilla'"),
            ("noise_std = 0", "vae.noise_std"),
            ("noise_std = -1.0", "vae.noise_std"),
            ("kl_weight = -0.5", "vae.kl_weight"),
            ("beta = 2", "vae.beta: not a knob"),
            ("sigma = \"softplus\"", "vae:"),
        ] {
            let err = parse(text).expect_err(text);
            assert!(err.contains(needle), "{text:?} → {err}");
        }
    }

    #[test]
    fn sigma_readings() {
        let half = VaeSpec { sigma: Sigma::ExpHalfB, ..VaeSpec::PAPER };
        assert_eq!(VaeSpec::PAPER.sigma_of(0.0), 1.0);
        assert!((VaeSpec::PAPER.sigma_of(-2.0) - (-2.0f32).exp()).abs() < 1e-7);
        assert!((half.sigma_of(-2.0) - (-1.0f32).exp()).abs() < 1e-7);
    }

    /// Every weight zero: the outputs are 0.5 whatever z, a = 0 and b is the b head's bias β,
    /// so the loss is 0.25 per pixel (targets 0 or 1) plus the KL term −0.5·(1 + β − e^β) per
    /// unit, by hand: with β = 1, 0.25 + 0.359141 (means) and 1 + 0.359141 (sums, one unit).
    #[test]
    fn loss_of_a_silent_network_by_hand() {
        let layout = ParamLayout::vae(4, crate::model::Widths::PAPER);
        let mut params = vec![0.0f32; layout.len];
        params[layout.b_head.unwrap().b(0)] = 1.0;
        let images: Vec<&[f32]> = crate::data::IMAGES.iter().map(|im| &im[..]).collect();
        let eps = vec![vec![0.7f32]; 4];
        let kl = -0.5 * (2.0 - 1f64.exp());
        assert!((kl - 0.359_141).abs() < 1e-6);
        let paper = loss(&layout, &params, &VaeSpec::PAPER, &images, &eps);
        assert!((paper - (0.25 + kl)).abs() < 1e-6, "{paper}");
        let sum = loss(&layout, &params, &PRESETS[2].1, &images, &eps);
        assert!((sum - (1.0 + kl)).abs() < 1e-6, "{sum}");
        let light = VaeSpec { kl_weight: 0.5, ..VaeSpec::PAPER };
        assert!((loss(&layout, &params, &light, &images, &eps) - (0.25 + 0.5 * kl)).abs() < 1e-6);
    }
}
