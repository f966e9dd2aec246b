//! Counts per configuration and class, and the init-event × class cross-tab, from the rows
//! of runs.csv.

use std::collections::BTreeMap;

use crate::outcome::OutcomeClass;
use crate::stats::Proportion;
use crate::study::runs_csv::RunRow;
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
pub fn event_values(row: &RunRow) -> [(&'static str, String); 5] {
    [
        ("pair-collapsed-l1", row.pair_collapsed_l1.to_string()),
        ("decoder-sign-kill", row.decoder_sign_kill.to_string()),
        ("all-gray-init", row.all_gray_init.to_string()),
        ("l1-partition", row.l1_partition.kind().code().to_string()),
        ("output-partition-init", row.output_partition_init.kind().code().to_string()),
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

/// The counts of a study's runs.
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
    pub fn add(&mut self, row: &RunRow) {
        let c = &mut self.configs[row.config_index];
        c.runs += 1;
        let k = OutcomeClass::ALL.iter().position(|&x| x == row.class).expect("listed");
        c.counts[k] += 1;
        for (event, value) in event_values(row) {
            *c.cross.entry((event, value, row.class)).or_insert(0) += 1;
        }
    }

    /// Every (configuration, class, proportion) of the configurations with runs, every class
    /// listed.
    pub fn class_rows(&self) -> impl Iterator<Item = (&Configuration, OutcomeClass, Proportion)> {
        self.configs
            .iter()
            .filter(|c| c.runs > 0)
            .flat_map(|c| OutcomeClass::ALL.iter().map(move |&class| (&c.config, class, c.proportion(class))))
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
}
