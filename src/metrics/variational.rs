//! What A2's runs add to the reconstruction metrics (the paper's section 3): the standard
//! deviation its bottleneck samples with, how much sampled reconstructions vary, and the size
//! of its decoder weights. The deterministic reconstruction (decoding z = a) is measured by
//! [`super::Reconstruction`] and, on the 2×2 images, classified like A1's.

use crate::data::Dataset;
use crate::model::vae::VaeSpec;
use crate::model::{ParamLayout, decode, encode};
use crate::rng::normal_at;

/// A2's per-run measures (runs.csv columns [`VaeMeasures::NAMES`]).
#[derive(Clone, Debug, PartialEq)]
pub struct VaeMeasures {
    /// The smallest, median and largest sampling standard deviation noise_std·σ(b) over
    /// images and latent units.
    pub sigma: [f64; 3],
    /// The mean over samples of the mean squared error of a sampled reconstruction.
    pub sampled_mse: f64,
    /// The fraction of samples whose reconstruction, thresholded at 0.5, differs from the
    /// deterministic one's in some pixel of some image (the paper's "different at every run").
    pub p_sample_differs: f64,
    /// The median and largest |w| over the decoder's kernels (layers 3 and 4; the paper's
    /// "about ±10").
    pub decoder_weights: [f64; 2],
}

impl VaeMeasures {
    /// The runs.csv columns, in order.
    pub const NAMES: [&'static str; 7] = [
        "sigma_min",
        "sigma_median",
        "sigma_max",
        "sampled_mse",
        "p_sample_differs",
        "decoder_w_median",
        "decoder_w_max",
    ];

    /// The measures in the order of [`VaeMeasures::NAMES`].
    pub fn values(&self) -> [f64; 7] {
        let [lo, mid, hi] = self.sigma;
        let [w_mid, w_max] = self.decoder_weights;
        [lo, mid, hi, self.sampled_mse, self.p_sample_differs, w_mid, w_max]
    }

    /// The measures from [`VaeMeasures::values`].
    pub fn from_values(v: [f64; 7]) -> Self {
        VaeMeasures {
            sigma: [v[0], v[1], v[2]],
            sampled_mse: v[3],
            p_sample_differs: v[4],
            decoder_weights: [v[5], v[6]],
        }
    }

    /// Measures the A2 network `params` (in `layout`, with its b head) on `data`, drawing
    /// `samples` reconstructions of every image with noise from the stream `"vae-sample"` of
    /// the run's seed (counter: the sample; index: image·2¹⁶ + unit). Also returns every
    /// image's sampling standard deviations noise_std·σ(b), image after image.
    pub fn of(
        data: &Dataset,
        layout: &ParamLayout,
        params: &[f32],
        vae: &VaeSpec,
        run_seed: u64,
        samples: u32,
    ) -> (Self, Vec<f32>) {
        let (mut sigmas, mut means) = (Vec::new(), Vec::new());
        for k in 0..data.count() {
            let (a, b) = encode(layout, params, data.image(k));
            sigmas.extend(b.expect("A2's layout").iter().map(|&b| f64::from(vae.sampling_sigma(b))));
            means.push(a);
        }
        let deterministic: Vec<Vec<bool>> =
            means.iter().map(|a| decode(layout, params, a).iter().map(|&y| y > 0.5).collect()).collect();
        let (mut mse_sum, mut differing) = (0.0f64, 0u64);
        let units = a_len(&means);
        for sample in 0..samples {
            let (mut squared, mut differs) = (0.0f64, false);
            for (k, a) in means.iter().enumerate() {
                let sigma: Vec<f32> = sigmas[k * units..(k + 1) * units].iter().map(|&s| s as f32).collect();
                let y = sampled_output(layout, params, (a, &sigma), (run_seed, "vae-sample"), sample, k);
                squared += y.iter().zip(data.image(k)).map(|(&y, &x)| f64::from(y - x).powi(2)).sum::<f64>();
                differs |= y.iter().zip(&deterministic[k]).any(|(&y, &d)| (y > 0.5) != d);
            }
            mse_sum += squared / data.images.len() as f64;
            differing += u64::from(differs);
        }
        let decoder: Vec<f64> = layout.layers[2..]
            .iter()
            .flat_map(|l| &params[l.weight_offset..l.weight_offset + l.fan_in * l.fan_out])
            .map(|w| f64::from(w.abs()))
            .collect();
        let measures = VaeMeasures {
            sigma: [quantile(&sigmas, 0.0), quantile(&sigmas, 0.5), quantile(&sigmas, 1.0)],
            sampled_mse: if samples > 0 { mse_sum / f64::from(samples) } else { f64::NAN },
            p_sample_differs: if samples > 0 { differing as f64 / f64::from(samples) } else { f64::NAN },
            decoder_weights: [quantile(&decoder, 0.5), quantile(&decoder, 1.0)],
        };
        (measures, sigmas.into_iter().map(|s| s as f32).collect())
    }
}

/// A sampled reconstruction of image `image` whose encoding is the means `a` and sampling
/// standard deviations `sigma` (noise_std·σ(b)): the decoding of z = a + sigma·ε, ε standard
/// normal from stream `stream` of `run_seed` (counter: `sample`; index: image·2¹⁶ + unit).
pub fn sampled_output(
    layout: &ParamLayout,
    params: &[f32],
    (a, sigma): (&[f32], &[f32]),
    (run_seed, stream): (u64, &str),
    sample: u32,
    image: usize,
) -> Vec<f32> {
    let z: Vec<f32> = a
        .iter()
        .zip(sigma)
        .enumerate()
        .map(|(unit, (&a, &sigma))| {
            let eps = normal_at(run_seed, stream, u64::from(sample), ((image as u64) << 16) + unit as u64);
            a + sigma * eps as f32
        })
        .collect();
    decode(layout, params, &z)
}

/// Latent units per image.
fn a_len(means: &[Vec<f32>]) -> usize {
    means.first().map_or(0, Vec::len)
}

/// The `q` quantile of `values` (the lower middle value for the median of an even count; NaN
/// sorts last).
fn quantile(values: &[f64], q: f64) -> f64 {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    if sorted.is_empty() {
        return f64::NAN;
    }
    sorted[((sorted.len() - 1) as f64 * q).floor() as usize]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Widths;

    #[test]
    fn quantiles() {
        assert_eq!(quantile(&[3.0, 1.0, 2.0], 0.5), 2.0);
        assert_eq!(quantile(&[3.0, 1.0, 2.0, 4.0], 0.5), 2.0);
        assert_eq!((quantile(&[3.0, 1.0], 0.0), quantile(&[3.0, 1.0], 1.0)), (1.0, 3.0));
    }

    /// With the b head's weights zero and its bias β, every σ is noise_std·e^β; with a tiny σ
    /// no sample differs from the deterministic reconstruction.
    #[test]
    fn sigma_is_the_reading_of_the_b_head() {
        let data = Dataset::squares_2x2();
        let layout = ParamLayout::vae(4, Widths::new(2, 1, 2).unwrap());
        let mut params: Vec<f32> = (0..layout.len).map(|k| ((k * 37 % 11) as f32 - 5.0) / 3.0).collect();
        let head = layout.b_head.unwrap();
        for j in 0..2 {
            params[head.w(j, 0)] = 0.0;
        }
        for beta in [-30.0f32, 3.0] {
            params[head.b(0)] = beta;
            let vae = VaeSpec { noise_std: 0.5, ..VaeSpec::PAPER };
            let (m, sigmas) = VaeMeasures::of(&data, &layout, &params, &vae, 1, 20);
            assert_eq!(sigmas.len(), data.count() * layout.layers[1].fan_out);
            assert!(sigmas.iter().all(|&s| f64::from(s) == m.sigma[1]), "{sigmas:?}");
            let sigma = 0.5 * f64::from(beta.exp());
            assert!(m.sigma.iter().all(|s| (s - sigma).abs() <= 1e-6 * sigma), "{m:?}");
            if beta < 0.0 {
                assert_eq!(m.p_sample_differs, 0.0, "{m:?}");
            }
        }
    }
}
