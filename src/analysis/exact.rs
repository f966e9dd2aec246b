//! Exact probabilities of the init-time events, from the laws in [`super::laws`] and the
//! output-partition law in [`super::output`].

use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};

use super::laws::LayerOne;
use crate::model::{Initializer, Widths};
use crate::outcome::PartitionType;

/// P(bottleneck weights all of one sign and layer-3 weights all of the other): each weight
/// is symmetric about 0 and continuous, so `2 · 2^−(h1·h2 + h2·h3)`.
pub fn decoder_sign_kill(widths: Widths) -> f64 {
    2f64.powi(1 - (widths.h2 * (widths.h1 + widths.h3)) as i32)
}

/// One event's probability at init: the paper's figure, the exact value, and why they differ.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Prediction {
    /// The event's kebab-case name.
    pub event: String,
    /// The paper's figure, where it gives one.
    pub paper: Option<f64>,
    /// The exact probability, where aemc computes it.
    pub exact: Option<f64>,
    /// Bound on the numerical error of `exact`.
    pub error: Option<f64>,
    /// One sentence on where the paper's derivation differs, or why no exact value is given.
    pub note: String,
}

/// The paper's prediction for a collapsed pair: 1 − (15/16)⁶.
pub fn paper_pair_collapsed() -> f64 {
    1.0 - (15.0f64 / 16.0).powi(6)
}

/// Every init-time event's exact probability for a network of these widths and initialiser,
/// computed once per process (the output partition takes seconds).
pub fn predictions(widths: Widths, init: Initializer) -> Vec<Prediction> {
    type Cache = Mutex<HashMap<(Widths, Initializer), Vec<Prediction>>>;
    static CACHE: OnceLock<Cache> = OnceLock::new();
    let cache = CACHE.get_or_init(Default::default);
    if let Some(hit) = cache.lock().expect("prediction cache").get(&(widths, init)) {
        return hit.clone();
    }
    let computed = compute_predictions(widths, init);
    cache.lock().expect("prediction cache").insert((widths, init), computed.clone());
    computed
}

fn compute_predictions(widths: Widths, init: Initializer) -> Vec<Prediction> {
    let l1 = LayerOne::new(init, widths.h1);
    let paper_net = widths == Widths::PAPER && !init.random_biases();
    let mut out = Vec::new();
    let mut push = |event: &str, paper: Option<f64>, exact: Option<f64>, error: Option<f64>, note: String| {
        out.push(Prediction { event: event.to_string(), paper, exact, error, note });
    };
    let adjacent_pair: f64 = (0..16).filter(|s| s & 0b1100 == 0b1100).map(|s| l1.unit_dead[s]).sum();
    let opposite_pair: f64 = (0..16).filter(|s| s & 0b0101 == 0b0101).map(|s| l1.unit_dead[s]).sum();
    push(
        "pair-collapsed-l1",
        paper_net.then(paper_pair_collapsed),
        Some(l1.pair_collapsed()),
        Some(l1.error),
        format!(
            "The paper takes P(two images dead in one unit) = 1/4 and the six pairs as independent; adjacent images share a weight, \
             so for them it is {adjacent_pair:.4} (opposite images {opposite_pair:.4}), and the pair events overlap."
        ),
    );
    push(
        "decoder-sign-kill",
        paper_net.then_some(1.0 / 8.0),
        Some(decoder_sign_kill(widths)),
        Some(0.0),
        "Exact as the paper says for 2-1-2 (2·2^-(h2·(h1+h3)) in general), but it is one route to all-gray among several, \
         not the probability of all-gray."
            .to_string(),
    );
    let output = super::output::OutputPartitionLaw::new(widths, init, &l1);
    let output_value = |kind: PartitionType| match &output {
        Some(law) => (Some(law.partition(kind)), Some(law.error)),
        None => (None, None),
    };
    let missing = format!(
        "Not computed: {} (docs/dead-relu.md).",
        super::output::OutputPartitionLaw::unsupported(widths, init).unwrap_or_default()
    );
    let all_gray = output_value(PartitionType::All);
    push(
        "all-gray-init",
        paper_net.then_some(1.0 / 8.0),
        all_gray.0,
        all_gray.1,
        match &output {
            Some(_) => "The paper counts only the decoder-sign route (1/8); the outputs also coincide when the layer-3 \
                        weights share a sign, so layer 3 passes only z ≤ 0 (or only z ≥ 0), and every image's code lies on \
                        the other side (possible when the bottleneck weights have mixed signs), or when every image is dead \
                        in every layer-1 unit."
                .to_string(),
            None => missing.clone(),
        },
    );
    for kind in PartitionType::ALL {
        let note = match kind {
            PartitionType::TwoPairs => {
                "Impossible at layer 1: two images share activations only when both are dead in every unit, \
                                        so all collapsed images form one block."
                    .to_string()
            }
            _ => "The paper gives no figure; I (images dead in every unit) is one block plus singletons.".to_string(),
        };
        push(&format!("l1-partition-{}", kind.code()), None, Some(l1.partition(kind)), Some(l1.error), note);
    }
    for kind in PartitionType::ALL {
        let (exact, error) = output_value(kind);
        let note = match (&output, kind) {
            (None, _) => missing.clone(),
            (Some(_), PartitionType::TwoPairs) => {
                "Impossible with one bottleneck unit: the images sharing an output are \
                                                   I, or those with code ≤ 0 (or ≥ 0), so they form one block."
                    .to_string()
            }
            (Some(_), _) => {
                "The paper gives no figure; the block is I when layer 3 has weights of both signs, else the \
                             images with bottleneck code ≤ 0 (or ≥ 0)."
                    .to_string()
            }
        };
        push(&format!("output-partition-{}", kind.code()), None, exact, error, note);
    }
    out
}
