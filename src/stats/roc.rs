//! ROC analysis of an anomaly score: the area under the ROC curve as the Mann–Whitney
//! statistic (ties counted half), its variance by DeLong, DeLong and Clarke-Pearson (1988),
//! and the curve itself. Anomalies are the positives: a higher score says "more anomalous".

use statrs::distribution::{ContinuousCDF, Normal};

/// The AUC of scores with its DeLong standard error and 95% interval.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Auc {
    /// P(an anomaly scores above a normal image) + ½·P(they tie).
    pub auc: f64,
    /// DeLong's estimate of its variance.
    pub variance: f64,
    /// The 95% normal interval auc ± 1.96·√variance, clipped to [0, 1].
    pub ci: (f64, f64),
}

/// For each of `scores`, the fraction of `others` below it plus half the fraction equal to it
/// (`others` sorted).
fn placements(scores: &[f64], others_sorted: &[f64]) -> Vec<f64> {
    let n = others_sorted.len() as f64;
    scores
        .iter()
        .map(|&s| {
            let below = others_sorted.partition_point(|&o| o < s);
            let not_above = others_sorted.partition_point(|&o| o <= s);
            (below as f64 + 0.5 * (not_above - below) as f64) / n
        })
        .collect()
}

/// The sample variance of `values` (0 for fewer than two).
fn sample_variance(values: &[f64]) -> f64 {
    let n = values.len() as f64;
    if values.len() < 2 {
        return 0.0;
    }
    let mean = values.iter().sum::<f64>() / n;
    values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1.0)
}

/// The AUC of `anomalous` against `normal` scores, with DeLong's variance: the anomalies'
/// placements V10 among the normal scores and the normal images' placements V01 among the
/// anomalies' give AUC = mean V10 and var = s²(V10)/m + s²(V01)/n. `None` where either set
/// is empty or a score is NaN. O((m + n) log(m + n)).
pub fn auc(normal: &[f64], anomalous: &[f64]) -> Option<Auc> {
    if normal.is_empty() || anomalous.is_empty() || normal.iter().chain(anomalous).any(|s| s.is_nan()) {
        return None;
    }
    let sorted = |v: &[f64]| {
        let mut v = v.to_vec();
        v.sort_by(f64::total_cmp);
        v
    };
    let v10 = placements(anomalous, &sorted(normal));
    // A normal image's placement among the anomalies: the fraction of anomalies above it.
    let v01: Vec<f64> = placements(normal, &sorted(anomalous)).into_iter().map(|p| 1.0 - p).collect();
    let auc = v10.iter().sum::<f64>() / v10.len() as f64;
    let variance = sample_variance(&v10) / v10.len() as f64 + sample_variance(&v01) / v01.len() as f64;
    let z = Normal::standard().inverse_cdf(0.975);
    let half = z * variance.sqrt();
    Some(Auc { auc, variance, ci: ((auc - half).max(0.0), (auc + half).min(1.0)) })
}

/// One point of a ROC curve: calling every score at or above `threshold` anomalous flags
/// `fpr` of the normal images and `tpr` of the anomalies.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RocPoint {
    /// False-positive rate.
    pub fpr: f64,
    /// True-positive rate.
    pub tpr: f64,
    /// The threshold (+∞ for the first point, which flags nothing).
    pub threshold: f64,
}

/// The ROC curve: one point per distinct score, from (0, 0) to (1, 1); its trapezoidal area
/// is [`auc`]'s.
pub fn roc_curve(normal: &[f64], anomalous: &[f64]) -> Vec<RocPoint> {
    let mut all: Vec<(f64, bool)> =
        normal.iter().map(|&s| (s, false)).chain(anomalous.iter().map(|&s| (s, true))).collect();
    all.sort_by(|a, b| b.0.total_cmp(&a.0));
    let (n, m) = (normal.len() as f64, anomalous.len() as f64);
    let mut points = vec![RocPoint { fpr: 0.0, tpr: 0.0, threshold: f64::INFINITY }];
    let (mut false_pos, mut true_pos) = (0usize, 0usize);
    let mut k = 0;
    while k < all.len() {
        let threshold = all[k].0;
        while k < all.len() && all[k].0.total_cmp(&threshold).is_eq() {
            if all[k].1 {
                true_pos += 1
            } else {
                false_pos += 1
            }
            k += 1;
        }
        points.push(RocPoint { fpr: false_pos as f64 / n, tpr: true_pos as f64 / m, threshold });
    }
    points
}

/// The ROC curve of `curve` read at false-positive rates 0, 1/`steps`, …, 1: at each, the
/// highest true-positive rate a threshold reaches without flagging more normal images, and
/// that threshold. A pooled curve of many runs stays this size.
pub fn on_grid(curve: &[RocPoint], steps: usize) -> Vec<RocPoint> {
    (0..=steps)
        .map(|k| {
            let fpr = k as f64 / steps as f64;
            let best = curve.iter().rev().find(|p| p.fpr <= fpr + 1e-12).expect("the curve starts at (0, 0)");
            RocPoint { fpr, tpr: best.tpr, threshold: best.threshold }
        })
        .collect()
}

/// The ROC curves of one configuration's runs: the run with the median AUC (the lower middle
/// one for an even count) and all runs' scores pooled.
#[derive(Clone, Debug, PartialEq)]
pub struct RunCurves {
    /// The median run's index.
    pub median_run: u64,
    /// Its AUC.
    pub median_auc: f64,
    /// Its curve, every distinct score.
    pub median: Vec<RocPoint>,
    /// The pooled scores' AUC.
    pub pooled_auc: f64,
    /// The pooled curve on a grid of 100 false-positive rates ([`on_grid`]).
    pub pooled: Vec<RocPoint>,
}

/// The scores of the images labelled `normal` and of those `anomaly` accepts, each in the
/// scores' order.
pub fn by_label(labels: &[u8], scores: &[f64], normal: u8, anomaly: impl Fn(u8) -> bool) -> (Vec<f64>, Vec<f64>) {
    let pick =
        |keep: &dyn Fn(u8) -> bool| labels.iter().zip(scores).filter(|(l, _)| keep(**l)).map(|(_, s)| *s).collect();
    (pick(&|l| l == normal), pick(&anomaly))
}

/// The curves of runs given as (run index, each test image's label, its score), `normal` the
/// normal label; `None` for no runs or runs whose AUC is undefined.
pub fn run_curves(runs: &[(u64, Vec<u8>, Vec<f64>)], normal: u8) -> Option<RunCurves> {
    let split = |labels: &[u8], scores: &[f64]| by_label(labels, scores, normal, |l| l != normal);
    let mut aucs: Vec<(f64, usize)> = runs
        .iter()
        .enumerate()
        .map(|(k, (_, labels, scores))| {
            let (n, a) = split(labels, scores);
            auc(&n, &a).map(|x| (x.auc, k))
        })
        .collect::<Option<_>>()?;
    aucs.sort_by(|x, y| x.0.total_cmp(&y.0).then(x.1.cmp(&y.1)));
    let &(median_auc, k) = aucs.get((aucs.len().checked_sub(1)?) / 2)?;
    let (n, a) = split(&runs[k].1, &runs[k].2);
    let (mut pooled_n, mut pooled_a) = (Vec::new(), Vec::new());
    for (_, labels, scores) in runs {
        let (n, a) = split(labels, scores);
        pooled_n.extend(n);
        pooled_a.extend(a);
    }
    Some(RunCurves {
        median_run: runs[k].0,
        median_auc,
        median: roc_curve(&n, &a),
        pooled_auc: auc(&pooled_n, &pooled_a)?.auc,
        pooled: on_grid(&roc_curve(&pooled_n, &pooled_a), 100),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn hand_computed_cases() {
        // Perfect, inverted, all tied.
        assert_eq!(auc(&[1.0, 2.0], &[3.0, 4.0]).unwrap().auc, 1.0);
        assert_eq!(auc(&[3.0, 4.0], &[1.0, 2.0]).unwrap().auc, 0.0);
        assert_eq!(auc(&[1.0, 1.0], &[1.0]).unwrap().auc, 0.5);
        // normal 1, 2, 3 against anomalies 2, 4: V10 = (1.5/3, 3/3), V01 = (1, 0.75, 0.5):
        // AUC 0.75, variance s²(V10)/2 + s²(V01)/3 = 0.125/2 + 0.0625/3 = 1/12.
        let a = auc(&[1.0, 2.0, 3.0], &[2.0, 4.0]).unwrap();
        assert_eq!(a.auc, 0.75);
        assert!((a.variance - 1.0 / 12.0).abs() < 1e-15, "{}", a.variance);
        assert!(auc(&[], &[1.0]).is_none() && auc(&[f64::NAN], &[1.0]).is_none());
    }

    /// Hanley and McNeil's (1982) worked example, CT images of 58 normal and 51 abnormal
    /// subjects rated 1 (definitely normal) to 5 (definitely abnormal): they report the
    /// Wilcoxon area 0.893 with standard error 0.032 by their own formula. DeLong's variance
    /// estimates the same quantity by another route, so its standard error is held to within
    /// 10% of theirs.
    #[test]
    fn hanley_mcneil_ratings() {
        let expand = |counts: [usize; 5]| -> Vec<f64> {
            counts.iter().enumerate().flat_map(|(r, &c)| std::iter::repeat_n((r + 1) as f64, c)).collect()
        };
        let normal = expand([33, 6, 6, 11, 2]);
        let abnormal = expand([3, 2, 2, 11, 33]);
        let a = auc(&normal, &abnormal).unwrap();
        assert!((a.auc - 0.893).abs() < 5e-4, "{}", a.auc);
        assert!((a.variance.sqrt() - 0.032).abs() < 0.0032, "{}", a.variance.sqrt());
    }

    #[test]
    fn the_curve_steps_through_every_distinct_score() {
        let curve = roc_curve(&[1.0, 2.0, 3.0], &[2.0, 4.0]);
        let points: Vec<(f64, f64)> = curve.iter().map(|p| (p.fpr, p.tpr)).collect();
        assert_eq!(points, [(0.0, 0.0), (0.0, 0.5), (1.0 / 3.0, 0.5), (2.0 / 3.0, 1.0), (1.0, 1.0)]);
    }

    #[test]
    fn the_median_run_and_the_pool() {
        let runs = vec![
            (0, vec![2, 2, 7, 7], vec![1.0, 2.0, 3.0, 4.0]), // AUC 1
            (1, vec![2, 2, 7, 7], vec![3.0, 4.0, 1.0, 2.0]), // AUC 0
            (2, vec![2, 2, 7, 7], vec![1.0, 3.0, 2.0, 4.0]), // AUC 0.75
        ];
        let curves = run_curves(&runs, 2).unwrap();
        assert_eq!((curves.median_run, curves.median_auc), (2, 0.75));
        assert_eq!(curves.pooled.len(), 101);
        assert_eq!((curves.pooled[0].fpr, curves.pooled[100].tpr), (0.0, 1.0));
        let grid = on_grid(&roc_curve(&[1.0, 2.0, 3.0], &[2.0, 4.0]), 3);
        let tprs: Vec<f64> = grid.iter().map(|p| p.tpr).collect();
        assert_eq!(tprs, [0.5, 0.5, 1.0, 1.0]);
        assert!(run_curves(&[], 2).is_none());
    }

    proptest! {
        /// The Mann–Whitney AUC equals the O(n²) pair count, and the curve's trapezoids
        /// integrate to it.
        #[test]
        fn auc_is_the_pair_count(
            normal in proptest::collection::vec(0u8..6, 1..30),
            anomalous in proptest::collection::vec(0u8..6, 1..30),
        ) {
            let (normal, anomalous): (Vec<f64>, Vec<f64>) =
                (normal.iter().map(|&x| f64::from(x)).collect(), anomalous.iter().map(|&x| f64::from(x)).collect());
            let mut pairs = 0.0;
            for a in &anomalous {
                for n in &normal {
                    pairs += if a > n { 1.0 } else if a == n { 0.5 } else { 0.0 };
                }
            }
            let expected = pairs / (normal.len() * anomalous.len()) as f64;
            let a = auc(&normal, &anomalous).unwrap();
            prop_assert!((a.auc - expected).abs() < 1e-12);
            let curve = roc_curve(&normal, &anomalous);
            let area: f64 = curve.windows(2).map(|w| (w[1].fpr - w[0].fpr) * (w[1].tpr + w[0].tpr) / 2.0).sum();
            prop_assert!((area - expected).abs() < 1e-12);
            prop_assert!(a.ci.0 <= a.auc && a.auc <= a.ci.1);
        }
    }
}
