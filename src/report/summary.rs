//! Counts per configuration and class, and the init-event × class cross-tab, from the rows
//! of runs.csv.

use std::collections::BTreeMap;

use crate::metrics::Reconstruction;
use crate::metrics::anomaly::AnomalyMeasures;
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
    /// On MNIST, each of [`AnomalyMeasures::NAMES`] over the runs where it is finite.
    pub anomaly_metrics: [Mean; AnomalyMeasures::NAMES.len()],
}

/// Every summarised metric's name, in the order of [`ConfigCounts::means`].
fn metric_names() -> impl Iterator<Item = &'static str> + Clone {
    SUMMARY_METRICS.iter().chain(&VaeMeasures::NAMES).chain(&AnomalyMeasures::NAMES).copied()
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
        let k = metric_names().position(|n| n == name).expect("a summarised metric");
        self.means().nth(k).and_then(Mean::interval)
    }

    /// Every metric's running mean, in the order of [`metric_names`].
    fn means(&self) -> impl Iterator<Item = &Mean> {
        self.metrics.iter().chain(&self.vae_metrics).chain(&self.anomaly_metrics)
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
    /// Whether the study trains on the paper's 2×2 images alone, where runs have outcome
    /// classes.
    pub squares: bool,
    /// Whether the study trains A2 in some configuration.
    pub vae: bool,
    /// Counts per configuration, in grid order.
    pub configs: Vec<ConfigCounts>,
    /// A2's runs against A1's, seed by seed, where the study trains both.
    pub pairs: PairedRuns,
}

/// The values compared between A2 and A1 run by run ([`PairedRuns`]): the reconstruction
/// error, the fraction of wrong pixels, 1 for a run that ends optimal on the 2×2 images (else
/// 0; measured only where runs have classes), the error of a sampled reconstruction (A1's is
/// deterministic: its sampled error is its error), and on MNIST the normal digit's test error
/// and the detector's AUC.
pub const PAIRED_METRICS: [&str; 6] = ["mse", "wrong", "optimal", "sampled_mse", "test_mse", "auc"];

/// A study's A2 configurations paired with the A1 configuration that differs from each in the
/// model alone ([`Configuration::pairing_key`]): their runs of the same index start from the
/// same seed, so the same A1 weights and data order.
#[derive(Clone, Debug, Default)]
pub struct PairedRuns {
    /// For each configuration, its A1 partner where it is an A2 configuration that has one.
    partner: Vec<Option<usize>>,
    /// Whether a configuration's runs are kept for pairing (A2 with a partner, or a partner).
    kept: Vec<bool>,
    /// The [`PAIRED_METRICS`] of every kept run, by (configuration, run).
    values: BTreeMap<(usize, u64), [Option<f64>; PAIRED_METRICS.len()]>,
}

impl PairedRuns {
    /// The pairs of a study's grid.
    pub fn new(configs: &[Configuration]) -> Self {
        let partner: Vec<Option<usize>> = configs
            .iter()
            .map(|c| {
                let key = c.pairing_key();
                c.vae.and_then(|_| configs.iter().position(|a1| a1.vae.is_none() && a1.pairing_key() == key))
            })
            .collect();
        let mut kept: Vec<bool> = partner.iter().map(Option::is_some).collect();
        for &a1 in partner.iter().flatten() {
            kept[a1] = true;
        }
        PairedRuns { partner, kept, values: BTreeMap::new() }
    }

    /// Keeps a run's values if its configuration pairs.
    fn add(&mut self, row: &RunRow) {
        if !self.kept[row.config_index] {
            return;
        }
        let sampled = row.vae.as_ref().map_or(row.metrics.mse, |v| v.sampled_mse);
        let optimal = row.squares.as_ref().map(|s| f64::from(u8::from(s.class == OutcomeClass::Optimal)));
        let anomaly = row.anomaly.as_ref();
        let values = [
            Some(row.metrics.mse),
            Some(row.metrics.wrong),
            optimal,
            Some(sampled),
            anomaly.map(|a| a.test_mse),
            anomaly.map(|a| a.auc),
        ];
        self.values.insert((row.config_index, row.run), values.map(|v| v.filter(|x| x.is_finite())));
    }

    /// The A1 partner of configuration `config`, where it is A2's and has one.
    pub fn partner(&self, config: usize) -> Option<usize> {
        self.partner.get(config).copied().flatten()
    }

    /// The mean over paired runs of A2's value of `metric` minus A1's, for A2's configuration
    /// `config`; `None` where it has no partner or no pair has values.
    pub fn difference(&self, config: usize, metric: &str) -> Option<MeanInterval> {
        let a1 = self.partner(config)?;
        let k = PAIRED_METRICS.iter().position(|&m| m == metric).expect("a paired metric");
        let mut mean = Mean::default();
        for ((_, run), a2) in self.values.range((config, 0)..=(config, u64::MAX)) {
            if let (Some(x2), Some(x1)) = (a2[k], self.values.get(&(a1, *run)).and_then(|v| v[k])) {
                mean.add(x2 - x1);
            }
        }
        mean.interval()
    }
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
                anomaly_metrics: Default::default(),
            })
            .collect();
        let pairs = PairedRuns::new(&spec.configurations());
        Summary { study: spec.name.clone(), squares: spec.squares_only(), vae: spec.has_vae(), configs, pairs }
    }

    /// The grid's first configuration, whose labels name the study's configuration columns.
    pub fn first_config(&self) -> &Configuration {
        &self.configs.first().expect("a study has at least one configuration").config
    }

    /// Counts one run.
    pub fn add(&mut self, row: &RunRow) {
        self.pairs.add(row);
        let c = &mut self.configs[row.config_index];
        c.runs += 1;
        let vae_values = row.vae.as_ref().map(|v| v.values().map(Some)).unwrap_or_default();
        let anomaly_values = row.anomaly.as_ref().map(AnomalyMeasures::values).unwrap_or_default();
        let values = summary_values(&row.metrics).into_iter().chain(vae_values).chain(anomaly_values);
        let means = c.metrics.iter_mut().chain(&mut c.vae_metrics).chain(&mut c.anomaly_metrics);
        for (mean, value) in means.zip(values) {
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
            metric_names().zip(c.means()).filter_map(move |(name, m)| Some((&c.config, name, m.interval()?)))
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
