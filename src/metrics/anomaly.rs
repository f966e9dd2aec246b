//! The paper's appendix: an autoencoder trained on one digit as an anomaly detector. Every
//! test image is scored by its reconstruction error (mean squared error over its pixels; for
//! A2 also the mean of that error over sampled reconstructions), and the scores of the other
//! digits (anomalies) are ranked against the normal digit's: the AUC with DeLong's 95%
//! interval ([`crate::stats::roc`]), and the AUC against each other digit alone.

use super::variational::sampled_output;
use crate::data::mnist::TestSet;
use crate::model::vae::VaeSpec;
use crate::model::{ParamLayout, encode, reconstruct};
use crate::stats::roc::{auc, by_label};

/// A2's sampling for its sampled score: the reading, the run's seed and the samples per image.
#[derive(Clone, Copy, Debug)]
pub struct Sampling<'a> {
    /// The reading (its noise scale and σ).
    pub vae: &'a VaeSpec,
    /// The run's seed, whose stream `"vae-test-sample"` the noise comes from.
    pub run_seed: u64,
    /// Samples per test image.
    pub samples: u32,
}

/// A run's anomaly-detection measures (runs.csv columns [`AnomalyMeasures::NAMES`]).
#[derive(Clone, Debug, PartialEq)]
pub struct AnomalyMeasures {
    /// The mean squared error over the normal digit's test images.
    pub test_mse: f64,
    /// The AUC of the reconstruction error, anomalies against the normal digit.
    pub auc: f64,
    /// DeLong's 95% interval of [`AnomalyMeasures::auc`].
    pub auc_ci: (f64, f64),
    /// For A2, the AUC of the error averaged over sampled reconstructions.
    pub auc_sampled: Option<f64>,
    /// The AUC of each digit alone against the normal digit (`None` for the normal digit and
    /// digits absent from the test set).
    pub auc_by_digit: [Option<f64>; 10],
}

/// The scores of a run's test images, in test-set order.
#[derive(Clone, Debug, PartialEq)]
pub struct Scores {
    /// Each test image's digit.
    pub labels: Vec<u8>,
    /// The deterministic reconstruction's error.
    pub error: Vec<f64>,
    /// For A2, the error averaged over sampled reconstructions.
    pub sampled: Option<Vec<f64>>,
}

impl AnomalyMeasures {
    /// The runs.csv columns, in order.
    pub const NAMES: [&'static str; 15] = [
        "test_mse",
        "auc",
        "auc_ci_low",
        "auc_ci_high",
        "auc_sampled",
        "auc_vs_0",
        "auc_vs_1",
        "auc_vs_2",
        "auc_vs_3",
        "auc_vs_4",
        "auc_vs_5",
        "auc_vs_6",
        "auc_vs_7",
        "auc_vs_8",
        "auc_vs_9",
    ];

    /// The measures in the order of [`AnomalyMeasures::NAMES`] (`None` where there is none).
    pub fn values(&self) -> [Option<f64>; 15] {
        let mut v = [None; 15];
        v[..5].copy_from_slice(&[
            Some(self.test_mse),
            Some(self.auc),
            Some(self.auc_ci.0),
            Some(self.auc_ci.1),
            self.auc_sampled,
        ]);
        v[5..].copy_from_slice(&self.auc_by_digit);
        v
    }

    /// The measures from [`AnomalyMeasures::values`]; `None` where a measure every run has
    /// is missing.
    pub fn from_values(v: [Option<f64>; 15]) -> Option<Self> {
        let mut by_digit = [None; 10];
        by_digit.copy_from_slice(&v[5..]);
        Some(AnomalyMeasures {
            test_mse: v[0]?,
            auc: v[1]?,
            auc_ci: (v[2]?, v[3]?),
            auc_sampled: v[4],
            auc_by_digit: by_digit,
        })
    }

    /// Scores every test image with the network `params` (A1's `layout`, or A2's with its b
    /// head and `sampling`) and measures the detector.
    pub fn of(test: &TestSet, layout: &ParamLayout, params: &[f32], sampling: Option<Sampling>) -> (Self, Scores) {
        let pixels = test.images.len() / test.count();
        let image = |k: usize| &test.images[k * pixels..(k + 1) * pixels];
        let error_of = |k: usize, y: &[f32]| -> f64 {
            y.iter().zip(image(k)).map(|(&y, &x)| f64::from(y - x).powi(2)).sum::<f64>() / pixels as f64
        };
        let error: Vec<f64> =
            (0..test.count()).map(|k| error_of(k, &reconstruct(layout, params, image(k)).1)).collect();
        let sampled = sampling.filter(|s| s.samples > 0).map(|s| {
            (0..test.count())
                .map(|k| {
                    let (a, b) = encode(layout, params, image(k));
                    let sigma: Vec<f32> = b.expect("A2's layout").iter().map(|&b| s.vae.sampling_sigma(b)).collect();
                    let total: f64 = (0..s.samples)
                        .map(|sample| {
                            let y = sampled_output(
                                layout,
                                params,
                                (&a, &sigma),
                                (s.run_seed, "vae-test-sample"),
                                sample,
                                k,
                            );
                            error_of(k, &y)
                        })
                        .sum();
                    total / f64::from(s.samples)
                })
                .collect::<Vec<f64>>()
        });
        let split = |scores: &[f64], anomaly: &dyn Fn(u8) -> bool| by_label(&test.labels, scores, test.normal, anomaly);
        let (normal, anomalous) = split(&error, &|l| l != test.normal);
        let overall = auc(&normal, &anomalous);
        let mut auc_by_digit = [None; 10];
        for (digit, slot) in auc_by_digit.iter_mut().enumerate().filter(|&(d, _)| d as u8 != test.normal) {
            let (normal, anomalous) = split(&error, &|l| l == digit as u8);
            *slot = auc(&normal, &anomalous).map(|a| a.auc);
        }
        let auc_sampled = sampled.as_ref().and_then(|scores| {
            let (normal, anomalous) = split(scores, &|l| l != test.normal);
            auc(&normal, &anomalous).map(|a| a.auc)
        });
        let measures = AnomalyMeasures {
            test_mse: normal.iter().sum::<f64>() / normal.len() as f64,
            auc: overall.map_or(f64::NAN, |a| a.auc),
            auc_ci: overall.map_or((f64::NAN, f64::NAN), |a| a.ci),
            auc_sampled,
            auc_by_digit,
        };
        (measures, Scores { labels: test.labels.clone(), error, sampled })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Widths;

    /// A network whose output is the same for every image scores each by its distance to
    /// that output: all-black normal images against all-white anomalies give AUC 1.
    #[test]
    fn a_constant_network_ranks_by_distance_to_its_output() {
        let layout = ParamLayout::for_pixels(4, Widths::new(2, 1, 2).unwrap());
        let mut params = vec![0.0f32; layout.len];
        // Output bias −10 everywhere: every output ≈ 0.
        let l4 = &layout.layers[3];
        for p in &mut params[l4.bias_offset..l4.bias_offset + 4] {
            *p = -10.0;
        }
        let test = TestSet {
            images: [[0.0f32; 4], [1.0; 4], [0.0; 4], [1.0; 4], [0.5; 4]].concat(),
            labels: vec![2, 7, 2, 7, 3],
            normal: 2,
        };
        let (m, scores) = AnomalyMeasures::of(&test, &layout, &params, None);
        assert_eq!(m.auc, 1.0);
        assert_eq!(
            (m.auc_by_digit[7], m.auc_by_digit[3], m.auc_by_digit[2], m.auc_by_digit[0]),
            (Some(1.0), Some(1.0), None, None)
        );
        assert!(m.test_mse < 1e-8 && scores.error[1] > 0.99 && scores.sampled.is_none());
        assert_eq!(AnomalyMeasures::from_values(m.values()), Some(m));
    }
}
