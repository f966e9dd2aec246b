//! The probabilities of the init-time events: exact from the laws in [`super::laws`] and the
//! output-partition law in [`super::output`] where they exist, else estimated over drawn
//! networks ([`super::monte_carlo`]), each marked with its method.

use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};

use super::laws::LayerOne;
use super::monte_carlo::{DEFAULT_SAMPLES, DEFAULT_SEED, EventCounts, count_events};
use super::output::OutputPartitionLaw;
use crate::model::{Initializer, Widths};
use crate::outcome::PartitionType;
use crate::stats::Proportion;

/// P(bottleneck weights all of one sign and layer-3 weights all of the other): each weight
/// is symmetric about 0 and continuous, so `2 · 2^−(h1·h2 + h2·h3)`.
pub fn decoder_sign_kill(widths: Widths) -> f64 {
    2f64.powi(1 - (widths.h2 * (widths.h1 + widths.h3)) as i32)
}

/// How a probability was obtained.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Method {
    /// From the exact laws, to the stated numerical error.
    Exact,
    /// Estimated over drawn networks ([`super::monte_carlo`]), with a 95% interval.
    MonteCarlo,
}

impl Method {
    /// The name in the `method` column.
    pub fn name(self) -> &'static str {
        match self {
            Method::Exact => "exact",
            Method::MonteCarlo => "monte-carlo",
        }
    }
}

/// One event's probability at init: the paper's figure, aemc's value and how it was
/// obtained, and why they differ.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Prediction {
    /// The event's kebab-case name.
    pub event: String,
    /// The paper's figure, where it gives one.
    pub paper: Option<f64>,
    /// The probability.
    pub probability: f64,
    /// Whether it is exact or a Monte Carlo estimate.
    pub method: Method,
    /// For exact values, a bound on the numerical error.
    pub error: Option<f64>,
    /// For Monte Carlo estimates, the 95% Clopper–Pearson interval.
    pub ci: Option<(f64, f64)>,
    /// One sentence on where the paper's derivation differs, or why no exact value is given.
    pub note: String,
}

/// The paper's prediction for a collapsed pair: 1 − (15/16)⁶.
pub fn paper_pair_collapsed() -> f64 {
    1.0 - (15.0f64 / 16.0).powi(6)
}

/// Every init-time event's probability for a network of these widths and initialiser, with
/// [`super::monte_carlo`]'s default draws where no exact law exists; computed once per process.
pub fn predictions(widths: Widths, init: Initializer) -> Vec<Prediction> {
    predictions_with(widths, init, DEFAULT_SAMPLES, DEFAULT_SEED)
}

/// [`predictions`] with Monte Carlo estimates over `samples` networks drawn from `seed` where
/// no exact law exists.
pub fn predictions_with(widths: Widths, init: Initializer, samples: u64, seed: u64) -> Vec<Prediction> {
    type Cache = Mutex<HashMap<(Widths, Initializer, u64, u64), Vec<Prediction>>>;
    static CACHE: OnceLock<Cache> = OnceLock::new();
    let cache = CACHE.get_or_init(Default::default);
    let key = (widths, init, samples, seed);
    if let Some(hit) = cache.lock().expect("prediction cache").get(&key) {
        return hit.clone();
    }
    let computed = compute_predictions(widths, init, samples, seed);
    cache.lock().expect("prediction cache").insert(key, computed.clone());
    computed
}

/// An exact value with its numerical error.
fn exact(probability: f64, error: f64) -> (f64, Method, Option<f64>, Option<(f64, f64)>) {
    (probability, Method::Exact, Some(error), None)
}

fn compute_predictions(widths: Widths, init: Initializer, samples: u64, seed: u64) -> Vec<Prediction> {
    let l1 = LayerOne::new(init, widths.h1);
    let output = l1.as_ref().and_then(|l1| OutputPartitionLaw::new(widths, init, l1));
    // The draws, only where some event has no exact law.
    let counts = (l1.is_none() || output.is_none()).then(|| count_events(widths, init, samples, seed));
    let estimate = |count: &dyn Fn(&EventCounts) -> u64| {
        let counts = counts.as_ref().expect("drawn where an exact law is missing");
        let p = Proportion::new(count(counts), counts.samples);
        (p.estimate, Method::MonteCarlo, None, Some((p.ci_low, p.ci_high)))
    };
    let estimated =
        |why: &str| format!("Estimated over {samples} networks drawn from seed {seed}: {why} (docs/dead-relu.md).");
    let no_l1_law = "RAI's parameters are not independent (one per unit is replaced by a positive draw)";
    let no_output_law = OutputPartitionLaw::unsupported(widths, init).unwrap_or_default();
    let paper_net = widths == Widths::PAPER && !init.random_biases();
    let mut out = Vec::new();
    let mut push =
        |event: String, paper: Option<f64>, value: (f64, Method, Option<f64>, Option<(f64, f64)>), note: String| {
            let (probability, method, error, ci) = value;
            out.push(Prediction { event, paper, probability, method, error, ci, note });
        };

    let (pair, pair_note) = match &l1 {
        Some(l1) => {
            let adjacent: f64 = (0..16).filter(|s| s & 0b1100 == 0b1100).map(|s| l1.unit_dead[s]).sum();
            let opposite: f64 = (0..16).filter(|s| s & 0b0101 == 0b0101).map(|s| l1.unit_dead[s]).sum();
            (
                exact(l1.pair_collapsed(), l1.error),
                format!(
                    "The paper takes P(two images dead in one unit) = 1/4 and the six pairs as independent; adjacent images \
                     share a weight, so for them it is {adjacent:.4} (opposite images {opposite:.4}), and the pair events overlap."
                ),
            )
        }
        None => (estimate(&|c| c.pair_collapsed), estimated(no_l1_law)),
    };
    push("pair-collapsed-l1".into(), paper_net.then(paper_pair_collapsed), pair, pair_note);

    let (kill, kill_note) = if init == Initializer::Rai {
        (estimate(&|c| c.decoder_kill), estimated("RAI's weights are not symmetric about 0"))
    } else {
        (
            exact(decoder_sign_kill(widths), 0.0),
            "Exact as the paper says for 2-1-2 (2·2^-(h2·(h1+h3)) in general), but it is one route to all-gray among \
             several, not the probability of all-gray."
                .to_string(),
        )
    };
    push("decoder-sign-kill".into(), paper_net.then_some(1.0 / 8.0), kill, kill_note);

    let all_gray = match &output {
        Some(law) => (
            exact(law.partition(PartitionType::All), law.error),
            "The paper counts only the decoder-sign route (1/8); the outputs also coincide when the layer-3 weights \
             share a sign, so layer 3 passes only z ≤ 0 (or only z ≥ 0), and every image's code lies on the other side \
             (possible when the bottleneck weights have mixed signs), or when every image is dead in every layer-1 unit."
                .to_string(),
        ),
        None => (estimate(&|c| c.all_gray), estimated(no_output_law)),
    };
    push("all-gray-init".into(), paper_net.then_some(1.0 / 8.0), all_gray.0, all_gray.1);

    for (k, kind) in PartitionType::ALL.into_iter().enumerate() {
        let (value, note) = match &l1 {
            Some(l1) => (
                exact(l1.partition(kind), l1.error),
                match kind {
                    PartitionType::TwoPairs => {
                        "Impossible at layer 1: two images share activations only when both are \
                                                dead in every unit, so all collapsed images form one block."
                            .to_string()
                    }
                    _ => "The paper gives no figure; I (images dead in every unit) is one block plus singletons."
                        .to_string(),
                },
            ),
            None => (estimate(&|c| c.l1_partition[k]), estimated(no_l1_law)),
        };
        push(format!("l1-partition-{}", kind.code()), None, value, note);
    }
    for (k, kind) in PartitionType::ALL.into_iter().enumerate() {
        let (value, note) = match &output {
            Some(law) => (
                exact(law.partition(kind), law.error),
                match kind {
                    PartitionType::TwoPairs => {
                        "Impossible with one bottleneck unit: the images sharing an output are I, \
                                                or those with code ≤ 0 (or ≥ 0), so they form one block."
                            .to_string()
                    }
                    _ => "The paper gives no figure; the block is I when layer 3 has weights of both signs, else the \
                          images with bottleneck code ≤ 0 (or ≥ 0)."
                        .to_string(),
                },
            ),
            None => (estimate(&|c| c.output_partition[k]), estimated(no_output_law)),
        };
        push(format!("output-partition-{}", kind.code()), None, value, note);
    }
    out
}
