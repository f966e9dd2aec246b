//! The paper's claims that are about a metric, made into tests of the metric's mean over runs
//! (seeds), decided by where its 95% interval lies against a threshold or a band.
//!
//! Section 2, for A1 on line images: "A1 reconstructs the lines with blur along the dividing
//! line" and "post-processing removes the blur" ([`BLUR_TESTS`]). Section 3, for A2
//! ([`VAE_LINES_TESTS`], [`VAE_SQUARES_TESTS`]): σ "all around 0.01" and nearly perfect
//! reconstructions on the lines with decoder weights "about ±10"; σ "about 0.5" and results
//! "catastrophic, different at every run" on the 2×2 images. "About x" is read as within a
//! factor of 2 of x.
//!
//! The thresholds are the readings of the paper's words (docs/datasets-and-metrics.md):
//! "blur" is more than 0.1% of output pixels gray (about one pixel of every 32 × 32 image);
//! "along the dividing line" is the gray pixels lying, on average, at under half the mean
//! distance of all pixels from their line; "removes the blur" is over 90% of the gray pixels
//! right after post-processing, and under 1% of all pixels wrong after it (the threshold of a
//! near-perfect image, [`NEAR_PERFECT`]). Every test is on all runs: a run that failed to
//! train (dead units, as on the 2×2 images) counts as much as one that reconstructs.

use super::summary::Summary;
use crate::float::shortest;
use crate::metrics::NEAR_PERFECT;
use crate::stats::MeanInterval;
use crate::study::Configuration;

/// Where a test wants the mean.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Side {
    /// Above the threshold.
    Above,
    /// Below the threshold.
    Below,
    /// Within a factor of 2 of the threshold: in [threshold/2, 2·threshold].
    About,
    /// Within this distance of the threshold.
    Near(f64),
}

/// One test of a section-2 claim: a metric's mean over runs against a threshold.
#[derive(Clone, Copy, Debug)]
pub struct MetricTest {
    /// The paper's claim, in its words.
    pub claim: &'static str,
    /// What is tested, in words.
    pub test: &'static str,
    /// The summarised metric ([`super::summary::SUMMARY_METRICS`]).
    pub metric: &'static str,
    /// Where the claim wants its mean.
    pub side: Side,
    /// The threshold.
    pub threshold: f64,
    /// Whether the test is on A2's value minus A1's, paired by seed
    /// ([`super::summary::PairedRuns`]), rather than on A2's or A1's value alone.
    pub versus_a1: bool,
}

/// The claim that A1 blurs the lines.
pub const BLUR_CLAIM: &str = "A1 reconstructs the lines with blur along the dividing line";
/// The claim that post-processing removes the blur.
pub const POST_CLAIM: &str = "post-processing removes the blur";

/// The tests of A1 on line images, in the order they are reported.
pub const BLUR_TESTS: [MetricTest; 4] = [
    MetricTest {
        claim: BLUR_CLAIM,
        test: "output pixels are gray",
        metric: "blur",
        side: Side::Above,
        threshold: 0.001,
        versus_a1: false,
    },
    MetricTest {
        claim: BLUR_CLAIM,
        test: "the gray pixels lie near the line",
        metric: "blur_distance_ratio",
        side: Side::Below,
        threshold: 0.5,
        versus_a1: false,
    },
    MetricTest {
        claim: POST_CLAIM,
        test: "gray pixels are right after it",
        metric: "blur_fixed",
        side: Side::Above,
        threshold: 0.9,
        versus_a1: false,
    },
    MetricTest {
        claim: POST_CLAIM,
        test: "post-processed pixels are right",
        metric: "wrong_post",
        side: Side::Below,
        threshold: NEAR_PERFECT,
        versus_a1: false,
    },
];

/// The claim about A2's σ.
pub const SIGMA_CLAIM: &str = "A2's standard deviations are all around the paper's figure";

/// The tests of A2 on line images (and on any data set other than the 2×2 images).
pub const VAE_LINES_TESTS: [MetricTest; 3] = [
    MetricTest {
        claim: SIGMA_CLAIM,
        test: "median σ about 0.01",
        metric: "sigma_median",
        side: Side::About,
        threshold: 0.01,
        versus_a1: false,
    },
    MetricTest {
        claim: "A2 reconstructs the lines nearly perfectly without post-processing",
        test: "pixels are right before post-processing",
        metric: "wrong",
        side: Side::Below,
        threshold: NEAR_PERFECT,
        versus_a1: false,
    },
    MetricTest {
        claim: "A2's decoder weights are about ±10",
        test: "largest |w| of layers 3 and 4 about 10",
        metric: "decoder_w_max",
        side: Side::About,
        threshold: 10.0,
        versus_a1: false,
    },
];

/// The tests of A2 on the paper's 2×2 images.
pub const VAE_SQUARES_TESTS: [MetricTest; 3] = [
    MetricTest {
        claim: SIGMA_CLAIM,
        test: "median σ about 0.5",
        metric: "sigma_median",
        side: Side::About,
        threshold: 0.5,
        versus_a1: false,
    },
    MetricTest {
        claim: "A2 is catastrophic on the 2×2 images, different at every run",
        test: "most sampled reconstructions differ from the deterministic one",
        metric: "p_sample_differs",
        side: Side::Above,
        threshold: 0.5,
        versus_a1: false,
    },
    MetricTest {
        claim: "A2 is catastrophic on the 2×2 images, different at every run",
        test: "sampled reconstructions err more than a gray pair's floor",
        metric: "sampled_mse",
        side: Side::Above,
        threshold: 1.0 / 16.0,
        versus_a1: false,
    },
];

/// The claim that A2 is the better autoencoder of line images.
pub const A2_BETTER_CLAIM: &str = "A2 reconstructs the lines better than A1";
/// The claim that A2 fails on the 2×2 images where A1 does not.
pub const A2_CATASTROPHIC_CLAIM: &str = "A2 is catastrophic on the 2×2 images, unlike A1";

/// A2 against A1 on line images (and any data set but the 2×2 images), seed by seed.
pub const VAE_VS_AE_LINES_TESTS: [MetricTest; 2] = [
    MetricTest {
        claim: A2_BETTER_CLAIM,
        test: "A2's error minus A1's, paired by seed",
        metric: "mse",
        side: Side::Below,
        threshold: 0.0,
        versus_a1: true,
    },
    MetricTest {
        claim: A2_BETTER_CLAIM,
        test: "A2's wrong pixels minus A1's, paired by seed",
        metric: "wrong",
        side: Side::Below,
        threshold: 0.0,
        versus_a1: true,
    },
];

/// A2 against A1 on the paper's 2×2 images, seed by seed.
pub const VAE_VS_AE_SQUARES_TESTS: [MetricTest; 2] = [
    MetricTest {
        claim: A2_CATASTROPHIC_CLAIM,
        test: "A2 ends optimal less often than A1, paired by seed",
        metric: "optimal",
        side: Side::Below,
        threshold: 0.0,
        versus_a1: true,
    },
    MetricTest {
        claim: A2_CATASTROPHIC_CLAIM,
        test: "A2's sampled error minus A1's error, paired by seed",
        metric: "sampled_mse",
        side: Side::Above,
        threshold: 0.0,
        versus_a1: true,
    },
];

/// The paper's appendix on MNIST (digit 2 normal, 64-8-64): A1's figures.
pub const MNIST_AE_TESTS: [MetricTest; 2] = [
    MetricTest {
        claim: "A1 reconstructs the normal digit's test images with mse 0.037",
        test: "test mse of the normal digit about 0.037",
        metric: "test_mse",
        side: Side::About,
        threshold: 0.037,
        versus_a1: false,
    },
    MetricTest {
        claim: "A1 detects the other digits with AUC 0.91",
        test: "AUC within 0.02 of 0.91",
        metric: "auc",
        side: Side::Near(0.02),
        threshold: 0.91,
        versus_a1: false,
    },
];

/// The appendix's figures for A2.
pub const MNIST_VAE_TESTS: [MetricTest; 2] = [
    MetricTest {
        claim: "A2 reconstructs the normal digit's test images with mse 0.02",
        test: "test mse of the normal digit about 0.02",
        metric: "test_mse",
        side: Side::About,
        threshold: 0.02,
        versus_a1: false,
    },
    MetricTest {
        claim: "A2 detects the other digits with AUC 0.93",
        test: "AUC within 0.02 of 0.93",
        metric: "auc",
        side: Side::Near(0.02),
        threshold: 0.93,
        versus_a1: false,
    },
];

/// The appendix's conclusion, A2 against A1 seed by seed.
pub const MNIST_VS_AE_TESTS: [MetricTest; 2] = [
    MetricTest {
        claim: "A2 is the better anomaly detector",
        test: "A2's AUC minus A1's, paired by seed",
        metric: "auc",
        side: Side::Above,
        threshold: 0.0,
        versus_a1: true,
    },
    MetricTest {
        claim: "A2 reconstructs the normal digit better than A1",
        test: "A2's test mse minus A1's, paired by seed",
        metric: "test_mse",
        side: Side::Below,
        threshold: 0.0,
        versus_a1: true,
    },
];

/// `x` to 12 significant digits, as text.
fn round12(x: f64) -> String {
    shortest(format!("{x:.11e}").parse::<f64>().expect("a formatted float parses"))
}

/// One test on one configuration's runs.
#[derive(Clone, Debug)]
pub struct MetricCheck {
    /// The configuration measured.
    pub config: Configuration,
    /// The test.
    pub test: MetricTest,
    /// The metric's mean over runs with its interval (for a test versus A1, the mean of the
    /// paired differences); `None` where no run has a value (no run has a gray pixel whose
    /// distance could be measured, or runs have no outcome classes).
    pub measured: Option<MeanInterval>,
}

impl MetricCheck {
    /// The criterion in symbols, `> 0.001`.
    pub fn criterion(&self) -> String {
        let t = self.test.threshold;
        let what = if self.test.versus_a1 { "A2 − A1 " } else { "" };
        match self.test.side {
            Side::Above => format!("{what}> {t}"),
            Side::Below => format!("{what}< {t}"),
            Side::About => format!("{what}in [{}, {}]", t / 2.0, 2.0 * t),
            // Rounded to 12 significant digits: 0.93 + 0.02 reads 0.95, not 0.9500000000000001.
            Side::Near(d) => format!("{what}in [{}, {}]", round12(t - d), round12(t + d)),
        }
    }

    /// "supported" where the interval lies on the claim's side of the threshold,
    /// "contradicted" where it lies on the other, "inconclusive" where it straddles it or
    /// nothing was measured.
    pub fn verdict(&self) -> &'static str {
        let Some(m) = self.measured else { return "inconclusive: nothing to measure" };
        let (low, high) = (m.ci_low, m.ci_high);
        let t = self.test.threshold;
        match self.test.side {
            Side::Above if low > t => "supported",
            Side::Below if high < t => "supported",
            Side::About if low >= t / 2.0 && high <= 2.0 * t => "supported",
            Side::Near(d) if low >= t - d && high <= t + d => "supported",
            Side::Above if high < t => "contradicted",
            Side::Below if low > t => "contradicted",
            Side::About if high < t / 2.0 || low > 2.0 * t => "contradicted",
            Side::Near(d) if high < t - d || low > t + d => "contradicted",
            _ => "inconclusive",
        }
    }
}

/// Every test that applies to each configuration with runs: A2's on A2's configurations, with
/// those against A1 where the study trains A1 beside it; A1's section-2 tests on A1's
/// configurations of line images (on the 2×2 images A1's outcome classes and their claims
/// stand instead).
pub fn metric_checks(summary: &Summary) -> Vec<MetricCheck> {
    let mut checks = Vec::new();
    for (index, c) in summary.configs.iter().enumerate().filter(|(_, c)| c.runs > 0) {
        let squares = c.config.dataset.is_default();
        let (own, versus): (&[MetricTest], &[MetricTest]) =
            match (c.config.vae.is_some(), squares, c.config.dataset.has_test_set()) {
                (false, _, true) => (&MNIST_AE_TESTS, &[]),
                (true, _, true) => (&MNIST_VAE_TESTS, &MNIST_VS_AE_TESTS),
                (true, true, _) => (&VAE_SQUARES_TESTS, &VAE_VS_AE_SQUARES_TESTS),
                (true, false, _) => (&VAE_LINES_TESTS, &VAE_VS_AE_LINES_TESTS),
                (false, false, _) => (&BLUR_TESTS, &[]),
                (false, true, _) => (&[], &[]),
            };
        let versus = if summary.pairs.partner(index).is_some() { versus } else { &[] };
        for &test in own.iter().chain(versus) {
            let measured =
                if test.versus_a1 { summary.pairs.difference(index, test.metric) } else { c.metric(test.metric) };
            checks.push(MetricCheck { config: c.config.clone(), test, measured });
        }
    }
    checks
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(test: MetricTest, ci: (f64, f64)) -> MetricCheck {
        let config = crate::study::StudySpec::from_toml("name = \"t\"\nruns = 1\nwidths = [\"2-1-2\"]\n")
            .unwrap()
            .configurations()
            .remove(0);
        let m = MeanInterval {
            n: 10,
            mean: (ci.0 + ci.1) / 2.0,
            sd: 0.0,
            ci_low: ci.0,
            ci_high: ci.1,
            min: ci.0,
            max: ci.1,
        };
        MetricCheck { config, test, measured: Some(m) }
    }

    #[test]
    fn verdicts_follow_the_interval() {
        let [gray, near, _, post] = BLUR_TESTS;
        assert_eq!(check(gray, (0.002, 0.003)).verdict(), "supported");
        assert_eq!(check(gray, (0.0, 0.0005)).verdict(), "contradicted");
        assert_eq!(check(gray, (0.0005, 0.002)).verdict(), "inconclusive");
        assert_eq!(check(near, (0.1, 0.2)).verdict(), "supported");
        assert_eq!(check(post, (0.02, 0.03)).verdict(), "contradicted");
        assert_eq!(check(post, (0.02, 0.03)).criterion(), "< 0.01");
        assert_eq!(
            MetricCheck { measured: None, ..check(near, (0.0, 0.0)) }.verdict(),
            "inconclusive: nothing to measure"
        );
    }
}
