//! Proportions, their intervals and tests, in f64, on statrs.

pub mod roc;

use statrs::distribution::{Beta, Binomial, ContinuousCDF, Discrete, StudentsT};

/// A count out of a number of trials, with its 95% Clopper–Pearson interval.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Proportion {
    /// Successes.
    pub count: u64,
    /// Trials.
    pub trials: u64,
    /// count / trials.
    pub estimate: f64,
    /// Lower end of the 95% Clopper–Pearson interval.
    pub ci_low: f64,
    /// Upper end of the 95% Clopper–Pearson interval.
    pub ci_high: f64,
}

/// The confidence level of every interval aemc reports.
pub const CONFIDENCE: f64 = 0.95;

impl Proportion {
    /// The proportion `count / trials` with its 95% Clopper–Pearson interval.
    pub fn new(count: u64, trials: u64) -> Self {
        assert!(count <= trials && trials > 0, "proportion {count}/{trials}");
        let (ci_low, ci_high) = clopper_pearson(count, trials, CONFIDENCE);
        Proportion { count, trials, estimate: count as f64 / trials as f64, ci_low, ci_high }
    }
}

/// The exact (Clopper–Pearson) interval for a binomial proportion at the given confidence.
pub fn clopper_pearson(k: u64, n: u64, confidence: f64) -> (f64, f64) {
    let alpha = 1.0 - confidence;
    let (k, n) = (k as f64, n as f64);
    let low = if k == 0.0 { 0.0 } else { Beta::new(k, n - k + 1.0).expect("valid beta").inverse_cdf(alpha / 2.0) };
    let high = if k == n { 1.0 } else { Beta::new(k + 1.0, n - k).expect("valid beta").inverse_cdf(1.0 - alpha / 2.0) };
    (low, high)
}

/// Two-sided exact binomial test of H0: success probability = `p`, given `k` of `n`.
/// The p-value sums the probabilities of every outcome no more likely than the one observed
/// (the rule of R's `binom.test`, with its relative tolerance 1e-7 for ties).
pub fn binomial_test(k: u64, n: u64, p: f64) -> f64 {
    let dist = Binomial::new(p, n).expect("p in [0, 1]");
    let observed = dist.pmf(k) * (1.0 + 1e-7);
    if observed == 0.0 {
        // The observed count is too unlikely for f64: the p-value is below 1e-308.
        return 0.0;
    }
    let mode = ((n as f64 + 1.0) * p).floor().min(n as f64) as u64;
    // The pmf is unimodal: walk each tail outwards from the mode's side, stopping once the
    // remaining terms are negligible against the sum.
    let mut total = 0.0;
    for i in (0..=mode.min(n)).rev() {
        let q = dist.pmf(i);
        if q <= observed {
            total += q;
        }
        if q < observed * 1e-17 && i < k.min(mode) {
            break;
        }
    }
    for i in (mode + 1)..=n {
        let q = dist.pmf(i);
        if q <= observed {
            total += q;
        }
        if q < observed * 1e-17 && i > k.max(mode) {
            break;
        }
    }
    total.min(1.0)
}

/// A running mean of real values (Welford's update), with their extremes: what a metric's
/// summary over runs needs without holding the runs.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Mean {
    n: u64,
    mean: f64,
    m2: f64,
    min: f64,
    max: f64,
}

/// A mean over runs with its 95% interval.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct MeanInterval {
    /// Values averaged.
    pub n: u64,
    /// Their mean.
    pub mean: f64,
    /// Their sample standard deviation (0 for one value).
    pub sd: f64,
    /// Lower end of the 95% Student-t interval of the mean (the mean itself for one value).
    pub ci_low: f64,
    /// Upper end.
    pub ci_high: f64,
    /// The smallest value.
    pub min: f64,
    /// The largest value.
    pub max: f64,
}

impl Mean {
    /// Adds a value.
    pub fn add(&mut self, x: f64) {
        if self.n == 0 {
            (self.min, self.max) = (x, x);
        }
        self.n += 1;
        let delta = x - self.mean;
        self.mean += delta / self.n as f64;
        self.m2 += delta * (x - self.mean);
        (self.min, self.max) = (self.min.min(x), self.max.max(x));
    }

    /// The mean with its 95% Student-t interval; `None` before any value.
    pub fn interval(&self) -> Option<MeanInterval> {
        if self.n == 0 {
            return None;
        }
        let sd = if self.n > 1 { (self.m2 / (self.n - 1) as f64).sqrt() } else { 0.0 };
        let half = if self.n > 1 {
            let t = StudentsT::new(0.0, 1.0, (self.n - 1) as f64).expect("positive degrees of freedom");
            t.inverse_cdf(0.5 + CONFIDENCE / 2.0) * sd / (self.n as f64).sqrt()
        } else {
            0.0
        };
        Some(MeanInterval {
            n: self.n,
            mean: self.mean,
            sd,
            ci_low: self.mean - half,
            ci_high: self.mean + half,
            min: self.min,
            max: self.max,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clopper_pearson_matches_r() {
        // R: binom.test(7, 50)$conf.int (and scipy's beta.ppf) → 0.05819170 0.26739600
        let (lo, hi) = clopper_pearson(7, 50, 0.95);
        assert!((lo - 0.05819170).abs() < 1e-7, "{lo}");
        assert!((hi - 0.26739600).abs() < 1e-7, "{hi}");
        // Edges: k = 0 gives [0, 1 − (α/2)^(1/n)].
        let (lo, hi) = clopper_pearson(0, 10, 0.95);
        assert_eq!(lo, 0.0);
        assert!((hi - (1.0 - 0.025f64.powf(0.1))).abs() < 1e-9);
        let (lo, hi) = clopper_pearson(10, 10, 0.95);
        assert!((lo - 0.025f64.powf(0.1)).abs() < 1e-9);
        assert_eq!(hi, 1.0);
    }

    #[test]
    fn binomial_test_matches_r() {
        // R's binom.test and scipy's binomtest: (7, 50, 0.25) → 0.0739890063; (3, 12, 1/8) → 0.1819993804.
        assert!((binomial_test(7, 50, 0.25) - 0.073_989_006_3).abs() < 1e-9, "{}", binomial_test(7, 50, 0.25));
        assert!((binomial_test(3, 12, 0.125) - 0.181_999_380_4).abs() < 1e-9, "{}", binomial_test(3, 12, 0.125));
        // Symmetric case: 5 of 10 at 1/2 is as likely as it gets.
        assert!((binomial_test(5, 10, 0.5) - 1.0).abs() < 1e-12);
        // Far in the tail.
        assert!(binomial_test(500, 1000, 0.125) < 1e-100);
    }

    #[test]
    fn mean_interval_matches_r() {
        // Mean 4, sd √12.5 = 3.535534; t(0.975, 4 df) = 2.776445 (R: qt(0.975, 4)), so the
        // half-width is 2.776445·3.535534/√5 = 4.389945 (R: t.test(c(1, 2, 3, 4, 10))$conf.int).
        let mut m = Mean::default();
        [1.0, 2.0, 3.0, 4.0, 10.0].iter().for_each(|&x| m.add(x));
        let i = m.interval().unwrap();
        assert_eq!((i.n, i.mean, i.min, i.max), (5, 4.0, 1.0, 10.0));
        assert!((i.sd - 3.535_534).abs() < 1e-6, "{}", i.sd);
        assert!((i.ci_low + 0.389_945).abs() < 1e-5 && (i.ci_high - 8.389_945).abs() < 1e-5, "{i:?}");
        assert_eq!(Mean::default().interval(), None);
        let mut one = Mean::default();
        one.add(2.5);
        assert_eq!((one.interval().unwrap().ci_low, one.interval().unwrap().ci_high), (2.5, 2.5));
    }
}
