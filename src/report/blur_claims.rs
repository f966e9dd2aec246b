//! The paper's section 2 against a study of line images: "A1 reconstructs the lines with blur
//! along the dividing line" and "post-processing removes the blur", each made into tests of
//! metrics averaged over runs (seeds), decided by where the 95% interval of the mean lies.
//!
//! The thresholds are the readings of the paper's words (docs/datasets-and-metrics.md):
//! "blur" is more than 0.1% of output pixels gray (about one pixel of every 32 × 32 image);
//! "along the dividing line" is the gray pixels lying, on average, at under half the mean
//! distance of all pixels from their line; "removes the blur" is over 90% of the gray pixels
//! right after post-processing, and under 1% of all pixels wrong after it (the threshold of a
//! near-perfect image, [`NEAR_PERFECT`]). Every test is on all runs: a run that failed to
//! train (dead units, as on the 2×2 images) counts as much as one that reconstructs.

use super::summary::Summary;
use crate::metrics::NEAR_PERFECT;
use crate::stats::MeanInterval;
use crate::study::Configuration;

/// Which side of its threshold a test wants the mean.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Side {
    /// Above.
    Above,
    /// Below.
    Below,
}

/// One test of a section-2 claim: a metric's mean over runs against a threshold.
#[derive(Clone, Copy, Debug)]
pub struct BlurTest {
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
}

/// The claim that A1 blurs the lines.
pub const BLUR_CLAIM: &str = "A1 reconstructs the lines with blur along the dividing line";
/// The claim that post-processing removes the blur.
pub const POST_CLAIM: &str = "post-processing removes the blur";

/// The tests, in the order they are reported.
pub const BLUR_TESTS: [BlurTest; 4] = [
    BlurTest { claim: BLUR_CLAIM, test: "output pixels are gray", metric: "blur", side: Side::Above, threshold: 0.001 },
    BlurTest {
        claim: BLUR_CLAIM,
        test: "the gray pixels lie near the line",
        metric: "blur_distance_ratio",
        side: Side::Below,
        threshold: 0.5,
    },
    BlurTest {
        claim: POST_CLAIM,
        test: "gray pixels are right after it",
        metric: "blur_fixed",
        side: Side::Above,
        threshold: 0.9,
    },
    BlurTest {
        claim: POST_CLAIM,
        test: "post-processed pixels are right",
        metric: "wrong_post",
        side: Side::Below,
        threshold: NEAR_PERFECT,
    },
];

/// One test on one configuration's runs.
#[derive(Clone, Debug)]
pub struct BlurCheck {
    /// The configuration measured.
    pub config: Configuration,
    /// The test.
    pub test: BlurTest,
    /// The metric's mean over runs with its interval; `None` where no run has a value (no
    /// run has a gray pixel whose distance could be measured).
    pub measured: Option<MeanInterval>,
}

impl BlurCheck {
    /// The criterion in symbols, `> 0.001`.
    pub fn criterion(&self) -> String {
        let side = if self.test.side == Side::Above { ">" } else { "<" };
        format!("{side} {}", self.test.threshold)
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
            Side::Above if high < t => "contradicted",
            Side::Below if low > t => "contradicted",
            _ => "inconclusive",
        }
    }
}

/// Every test on every configuration with runs of a study of line images (none for the 2×2
/// images, where the outcome classes and their claims stand instead).
pub fn blur_checks(summary: &Summary) -> Vec<BlurCheck> {
    if summary.squares {
        return Vec::new();
    }
    summary
        .configs
        .iter()
        .filter(|c| c.runs > 0)
        .flat_map(|c| {
            BLUR_TESTS.iter().map(move |&test| BlurCheck {
                config: c.config.clone(),
                test,
                measured: c.metric(test.metric),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(test: BlurTest, ci: (f64, f64)) -> BlurCheck {
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
        BlurCheck { config, test, measured: Some(m) }
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
            BlurCheck { measured: None, ..check(near, (0.0, 0.0)) }.verdict(),
            "inconclusive: nothing to measure"
        );
    }
}
