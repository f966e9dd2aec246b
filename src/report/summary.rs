//! Counts per configuration and class, turned into proportions and checks of the paper.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::analysis::InitEvents;
use crate::analysis::exact::predictions;

use super::runs::RUN_COLUMNS;
use super::{CONFIG_COLUMNS, config_cells};
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
    /// Count per (init event, its value, final class).
    pub cross: BTreeMap<(&'static str, String, OutcomeClass), u64>,
}

/// The init-time events cross-tabulated against the final class, with their values in a run.
pub fn event_values(init: &InitEvents) -> [(&'static str, String); 5] {
    [
        ("pair-collapsed-l1", init.pair_collapsed_l1().to_string()),
        ("decoder-sign-kill", init.decoder_sign_kill.to_string()),
        ("all-gray-init", init.all_gray_init().to_string()),
        ("l1-partition", init.l1_partition.kind().code().to_string()),
        ("output-partition-init", init.output_partition.kind().code().to_string()),
    ]
}

/// One cell of the init-event × final-class cross-tab.
#[derive(Clone, Debug)]
pub struct CrossCell<'a> {
    /// The configuration.
    pub config: &'a Configuration,
    /// The event's name.
    pub event: &'static str,
    /// Its value.
    pub value: String,
    /// The final class.
    pub class: OutcomeClass,
    /// P(class | event = value).
    pub class_given_event: Proportion,
    /// P(event = value | class).
    pub event_given_class: Proportion,
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
            value: crate::analysis::exact::paper_pair_collapsed(),
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
    /// The exact init-time probability of the claim's event, where aemc computes it.
    pub exact_init: Option<f64>,
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
            .map(|config| ConfigCounts {
                config,
                runs: 0,
                counts: [0; OutcomeClass::ALL.len()],
                cross: BTreeMap::new(),
            })
            .collect();
        Summary { study: spec.name.clone(), configs }
    }

    /// Counts one run.
    pub fn add(&mut self, record: &RunRecord) {
        self.count(record.config_index, record.outcome.class, event_values(&record.init));
    }

    fn count(&mut self, config_index: usize, class: OutcomeClass, events: [(&'static str, String); 5]) {
        let c = &mut self.configs[config_index];
        c.runs += 1;
        let k = OutcomeClass::ALL.iter().position(|&x| x == class).expect("listed");
        c.counts[k] += 1;
        for (event, value) in events {
            *c.cross.entry((event, value, class)).or_insert(0) += 1;
        }
    }

    /// Counts one row of this study's runs.csv (resume and merge rebuild the summary from
    /// the rows on disk); returns its configuration index and run index.
    pub fn add_row(&mut self, row: &csv::StringRecord) -> anyhow::Result<(usize, u64)> {
        let bad = || {
            anyhow::anyhow!(
                "runs.csv row {:?} is not a row of this study; pass --restart to start over",
                row.iter().take(6).collect::<Vec<_>>()
            )
        };
        let cell = |name: &str| -> anyhow::Result<&str> {
            let k = RUN_COLUMNS.iter().position(|c| *c == name).expect("a runs.csv column") + CONFIG_COLUMNS.len();
            row.get(k).ok_or_else(bad)
        };
        let config_index = self
            .configs
            .iter()
            .position(|c| config_cells(&c.config).iter().zip(row.iter()).all(|(a, b)| a == b))
            .ok_or_else(bad)?;
        let run = cell("run")?.parse().map_err(|_| bad())?;
        let class = OutcomeClass::ALL.into_iter().find(|c| c.name() == cell("class").unwrap_or("")).ok_or_else(bad)?;
        let kind = |text: &str| {
            let mut sizes: Vec<usize> = text.split('|').map(str::len).collect();
            sizes.sort_unstable_by(|a, b| b.cmp(a));
            sizes.iter().map(usize::to_string).collect::<String>()
        };
        let events = [
            ("pair-collapsed-l1", cell("pair_collapsed_l1")?.to_string()),
            ("decoder-sign-kill", cell("decoder_sign_kill")?.to_string()),
            ("all-gray-init", cell("all_gray_init")?.to_string()),
            ("l1-partition", kind(cell("l1_partition")?)),
            ("output-partition-init", kind(cell("output_partition_init")?)),
        ];
        self.count(config_index, class, events);
        Ok((config_index, run))
    }

    /// The cross-tab of init events × final classes: for every configuration, event value
    /// seen and class seen, both conditional proportions.
    pub fn cross_tab(&self) -> Vec<CrossCell<'_>> {
        let mut cells = Vec::new();
        for c in self.configs.iter().filter(|c| c.runs > 0) {
            let mut event_runs: BTreeMap<(&'static str, &str), u64> = BTreeMap::new();
            for ((event, value, _), n) in &c.cross {
                *event_runs.entry((event, value.as_str())).or_insert(0) += n;
            }
            for (&(event, value), &runs_with_value) in &event_runs {
                for (k, &class) in OutcomeClass::ALL.iter().enumerate().filter(|&(k, _)| c.counts[k] > 0) {
                    let both = c.cross.get(&(event, value.to_string(), class)).copied().unwrap_or(0);
                    cells.push(CrossCell {
                        config: &c.config,
                        event,
                        value: value.to_string(),
                        class,
                        class_given_event: Proportion::new(both, runs_with_value),
                        event_given_class: Proportion::new(both, c.counts[k]),
                    });
                }
            }
        }
        cells
    }

    /// The paper's figures checked for every 2-1-2 configuration.
    pub fn claim_checks(&self) -> Vec<ClaimCheck> {
        self.configs
            .iter()
            .filter(|c| c.config.widths == Widths::PAPER && c.runs > 0)
            .flat_map(|c| {
                let exact = predictions(c.config.widths, c.config.init);
                paper_claims().into_iter().map(move |claim| {
                    let measured = c.proportion(claim.class);
                    let exact_init = claim.init_event.and_then(|e| exact.iter().find(|p| p.event == e)?.exact);
                    ClaimCheck {
                        config: c.config.clone(),
                        claim,
                        measured,
                        p_value: binomial_test(measured.count, measured.trials, claim.value),
                        exact_init,
                    }
                })
            })
            .collect()
    }
}
