//! Counts per configuration and class, turned into proportions and checks of the paper.

use serde::Serialize;

use crate::model::Widths;
use crate::outcome::OutcomeClass;
use crate::stats::{Proportion, binomial_test};
use crate::study::run::RunRecord;
use crate::study::{Configuration, StudySpec};

/// The class counts of one configuration.
#[derive(Clone, Debug)]
pub struct ConfigCounts {
    /// The configuration.
    pub config: Configuration,
    /// Runs counted.
    pub runs: u64,
    /// Count per class, indexed like [`OutcomeClass::ALL`].
    pub counts: [u64; OutcomeClass::ALL.len()],
}

impl ConfigCounts {
    /// The proportion of runs in `class`.
    pub fn proportion(&self, class: OutcomeClass) -> Proportion {
        let k = OutcomeClass::ALL.iter().position(|&c| c == class).expect("every class is listed");
        Proportion::new(self.counts[k], self.runs)
    }
}

/// A figure the paper gives for its 2-1-2 network (section 4).
#[derive(Clone, Copy, Debug, Serialize)]
pub struct PaperClaim {
    /// The outcome class the figure is about.
    pub class: OutcomeClass,
    /// The paper's figure.
    pub value: f64,
    /// Where it comes from, in words.
    pub source: &'static str,
}

/// The paper's figures for its 2-1-2 network.
pub fn paper_claims() -> [PaperClaim; 5] {
    [
        PaperClaim { class: OutcomeClass::Optimal, value: 1.0 / 8.0, source: "observed ≈ 1/8" },
        PaperClaim { class: OutcomeClass::GrayPair, value: 1.0 / 3.0, source: "observed ≈ 1/3" },
        PaperClaim {
            class: OutcomeClass::GrayPair,
            value: 1.0 - (15.0f64 / 16.0).powi(6),
            source: "predicted 1-(15/16)^6",
        },
        PaperClaim { class: OutcomeClass::AllGray, value: 1.0 / 3.0, source: "observed ≈ 1/3" },
        PaperClaim { class: OutcomeClass::AllGray, value: 1.0 / 8.0, source: "predicted 1/8 (decoder signs)" },
    ]
}

/// Significance level of each claim check: 0.05 split over the five claims (Bonferroni).
pub const CLAIM_ALPHA: f64 = 0.05 / 5.0;

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

/// Everything the reports show.
#[derive(Clone, Debug)]
pub struct Summary {
    /// The study's name.
    pub study: String,
    /// Counts per configuration, in grid order.
    pub configs: Vec<ConfigCounts>,
}

impl Summary {
    /// An empty summary of a study.
    pub fn new(spec: &StudySpec) -> Self {
        let configs = spec
            .configurations()
            .into_iter()
            .map(|config| ConfigCounts { config, runs: 0, counts: [0; OutcomeClass::ALL.len()] })
            .collect();
        Summary { study: spec.name.clone(), configs }
    }

    /// Counts one run.
    pub fn add(&mut self, record: &RunRecord) {
        let c = &mut self.configs[record.config_index];
        c.runs += 1;
        let k = OutcomeClass::ALL.iter().position(|&x| x == record.outcome.class).expect("listed");
        c.counts[k] += 1;
    }

    /// The paper's figures checked for every 2-1-2 configuration.
    pub fn claim_checks(&self) -> Vec<ClaimCheck> {
        self.configs
            .iter()
            .filter(|c| c.config.widths == Widths::PAPER && c.runs > 0)
            .flat_map(|c| {
                paper_claims().into_iter().map(move |claim| {
                    let measured = c.proportion(claim.class);
                    ClaimCheck {
                        config: c.config.clone(),
                        claim,
                        measured,
                        p_value: binomial_test(measured.count, measured.trials, claim.value),
                    }
                })
            })
            .collect()
    }
}
