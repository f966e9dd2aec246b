//! The paper's figures for its 2-1-2 network (section 4) against the measured frequencies.

use serde::Serialize;

use super::summary::Summary;
use crate::analysis::exact::{Method, Prediction, paper_pair_collapsed};
use crate::model::{Initializer, Widths};
use crate::outcome::OutcomeClass;
use crate::stats::{Proportion, binomial_test};
use crate::study::Configuration;

/// A figure the paper gives for its 2-1-2 network.
#[derive(Clone, Copy, Debug, Serialize)]
pub struct PaperClaim {
    /// The outcome class the figure is about.
    pub class: OutcomeClass,
    /// The paper's figure.
    pub value: f64,
    /// Where it comes from, in words.
    pub source: &'static str,
    /// The init-time event the figure is about, if any.
    pub init_event: Option<&'static str>,
}

/// The paper's figures for its 2-1-2 network.
pub fn paper_claims() -> [PaperClaim; 5] {
    [
        PaperClaim { class: OutcomeClass::Optimal, value: 1.0 / 8.0, source: "observed ≈ 1/8", init_event: None },
        PaperClaim {
            class: OutcomeClass::GrayPair,
            value: 1.0 / 3.0,
            source: "observed ≈ 1/3",
            init_event: Some("pair-collapsed-l1"),
        },
        PaperClaim {
            class: OutcomeClass::GrayPair,
            value: paper_pair_collapsed(),
            source: "predicted 1-(15/16)^6",
            init_event: Some("pair-collapsed-l1"),
        },
        PaperClaim {
            class: OutcomeClass::AllGray,
            value: 1.0 / 3.0,
            source: "observed ≈ 1/3",
            init_event: Some("all-gray-init"),
        },
        PaperClaim {
            class: OutcomeClass::AllGray,
            value: 1.0 / 8.0,
            source: "predicted 1/8 (decoder signs)",
            init_event: Some("decoder-sign-kill"),
        },
    ]
}

/// Significance level of each claim check: 0.05 split over the five claims (Bonferroni).
pub const CLAIM_ALPHA: f64 = 0.05 / 5.0;

/// The configurations whose runs are checked against the paper's figures: A1 at the paper's
/// widths.
pub fn checked(config: &Configuration) -> bool {
    config.widths == Widths::PAPER && config.vae.is_none()
}

/// One paper figure against the measured frequency.
#[derive(Clone, Debug)]
pub struct ClaimCheck {
    /// The configuration measured.
    pub config: Configuration,
    /// The paper's figure.
    pub claim: PaperClaim,
    /// The measured frequency with its interval.
    pub measured: Proportion,
    /// Two-sided exact binomial test of the paper's figure.
    pub p_value: f64,
    /// The init-time probability of the claim's event and how it was obtained, for claims
    /// about an event.
    pub init_probability: Option<(f64, Method)>,
}

impl ClaimCheck {
    /// The verdict in plain words.
    pub fn verdict(&self) -> String {
        if self.p_value >= CLAIM_ALPHA {
            "consistent with the paper".to_string()
        } else if self.measured.estimate > self.claim.value {
            "rejected: more often than the paper says".to_string()
        } else {
            "rejected: less often than the paper says".to_string()
        }
    }
}

/// The paper's figures checked for every [`checked`] configuration with runs; `exact` gives
/// the init-time probabilities of a configuration's widths and initialiser.
pub fn claim_checks(summary: &Summary, exact: impl Fn(Widths, Initializer) -> Vec<Prediction>) -> Vec<ClaimCheck> {
    summary
        .configs
        .iter()
        .filter(|c| checked(&c.config) && c.runs > 0)
        .flat_map(|c| {
            let exact = exact(c.config.widths, c.config.init);
            paper_claims().into_iter().map(move |claim| {
                let measured = c.proportion(claim.class);
                let init_probability = claim
                    .init_event
                    .and_then(|e| exact.iter().find(|p| p.event == e))
                    .map(|p| (p.probability, p.method));
                ClaimCheck {
                    config: c.config.clone(),
                    claim,
                    measured,
                    p_value: binomial_test(measured.count, measured.trials, claim.value),
                    init_probability,
                }
            })
        })
        .collect()
}
