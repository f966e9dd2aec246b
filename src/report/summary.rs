//! Counts per configuration and class, and the init-event × class cross-tab, from the rows
//! of runs.csv.

use std::collections::BTreeMap;

use crate::metrics::Reconstruction;
use crate::metrics::variational::VaeMeasures;
use crate::outcome::OutcomeClass;
use crate::stats::{Mean, MeanInterval, Proportion};
use crate::study::runs_csv::{RunRow, SquaresColumns};
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
    /// Each of [`SUMMARY_METRICS`] over the runs where it is finite.
    pub metrics: [Mean; SUMMARY_METRICS.len()],
    /// For A2, each of [`VaeMeasures::NAMES`] over the runs where it is finite.
    pub vae_metrics: [Mean; VaeMeasures::NAMES.len()],
}

/// The metrics summarised over runs: runs.csv's ([`Reconstruction::NAMES`]), then
/// `blur_distance_ratio`, a run's mean distance of its blurred pixels to their lines over that
/// of all its pixels (below 1 where the blur lies nearer the lines than pixels do on average),
/// and `diverged`, 1 for a run whose error is not finite (its mean the fraction of runs that
/// diverged, every other metric averaging only the runs where it is finite).
pub const SUMMARY_METRICS: [&str; 14] = {
    let mut names = [""; 14];
    let mut k = 0;
    while k < Reconstruction::NAMES.len() {
        names[k] = Reconstruction::NAMES[k];
        k += 1;
    }
    names[k] = "blur_distance_ratio";
    names[k + 1] = "diverged";
    names
};

/// A run's values of [`SUMMARY_METRICS`] (`None` where a metric has no value).
pub fn summary_values(m: &Reconstruction) -> [Option<f64>; SUMMARY_METRICS.len()] {
    let mut values = [None; SUMMARY_METRICS.len()];
    values[..Reconstruction::NAMES.len()].copy_from_slice(&m.values());
    values[Reconstruction::NAMES.len()] = match (m.distance.blurred, m.distance.all) {
        (Some(blurred), Some(all)) if all > 0.0 => Some(blurred / all),
        _ => None,
    };
    values[Reconstruction::NAMES.len() + 1] = Some(if m.mse.is_finite() { 0.0 } else { 1.0 });
    values
}

/// The init-time events cross-tabulated against the final class, with their values in a run.
pub fn event_values(row: &SquaresColumns) -> [(&'static str, String); 5] {
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
    /// The summary over runs of the metric called `name` (one of [`SUMMARY_METRICS`] or
    /// [`VaeMeasures::NAMES`]); `None` where no run has a value.
    pub fn metric(&self, name: &str) -> Option<MeanInterval> {
        let names = SUMMARY_METRICS.iter().chain(&VaeMeasures::NAMES);
        let k = names.clone().position(|&n| n == name).expect("a summarised metric");
        self.metrics.iter().chain(&self.vae_metrics).nth(k).and_then(Mean::interval)
    }

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
    /// Whether the study trains on the paper's 2×2 images, where runs have outcome classes.
    pub squares: bool,
    /// Whether the study trains A2, to which the paper's claims about A1 do not apply.
    pub vae: bool,
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
                metrics: Default::default(),
                vae_metrics: Default::default(),
            })
            .collect();
        let vae = spec.vae_spec().is_some();
        Summary { study: spec.name.clone(), squares: spec.dataset.is_default(), vae, configs }
    }

    /// Counts one run.
    pub fn add(&mut self, row: &RunRow) {
        let c = &mut self.configs[row.config_index];
        c.runs += 1;
        let vae_values = row.vae.as_ref().map(|v| v.values().map(Some)).unwrap_or_default();
        let means = c.metrics.iter_mut().chain(&mut c.vae_metrics);
        for (mean, value) in means.zip(summary_values(&row.metrics).into_iter().chain(vae_values)) {
            if let Some(x) = value.filter(|x| x.is_finite()) {
                mean.add(x);
            }
        }
        let Some(squares) = &row.squares else { return };
        let k = OutcomeClass::ALL.iter().position(|&x| x == squares.class).expect("listed");
        c.counts[k] += 1;
        for (event, value) in event_values(squares) {
            *c.cross.entry((event, value, squares.class)).or_insert(0) += 1;
        }
    }

    /// Every (configuration, metric name, summary) of the configurations with runs, for the
    /// metrics with values.
    pub fn metric_rows(&self) -> impl Iterator<Item = (&Configuration, &'static str, MeanInterval)> {
        self.configs.iter().filter(|c| c.runs > 0).flat_map(|c| {
            let names = SUMMARY_METRICS.iter().chain(&VaeMeasures::NAMES);
            names
                .zip(c.metrics.iter().chain(&c.vae_metrics))
                .filter_map(move |(&name, m)| Some((&c.config, name, m.interval()?)))
        })
    }

    /// Every (configuration, class, proportion) of the configurations with runs, every class
    /// listed.
    pub fn class_rows(&self) -> impl Iterator<Item = (&Configuration, OutcomeClass, Proportion)> {
        self.configs
            .iter()
            .filter(|c| c.runs > 0 && self.squares)
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
