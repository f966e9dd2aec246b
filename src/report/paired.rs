//! `aemc compare`'s output: for every configuration two studies share and every metric, the
//! mean of A, of B, and of the paired differences B − A over runs with the same seed, with the
//! 95% Student-t interval of the mean difference (a paired t interval), as a table or CSV.
//! On the 2×2 images `optimal` (1 for a run that ends optimal, else 0) is compared too.

use std::collections::BTreeMap;

use super::summary::{SUMMARY_METRICS, summary_values};
use super::table::Table;
use super::{config_headers, config_row, csv_string, num};
use crate::outcome::OutcomeClass;
use crate::stats::{Mean, MeanInterval};
use crate::study::Configuration;
use crate::study::compare::Pairing;
use crate::study::runs_csv::RunRow;

/// Output formats of `aemc compare`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Aligned text.
    Table,
    /// CSV: the configuration, metric, pairs, mean_a, mean_b, difference, ci_low, ci_high,
    /// verdict.
    Csv,
}

/// One metric of one configuration, paired.
#[derive(Clone, Debug)]
pub struct PairedRow {
    /// The configuration (A's).
    pub config: Configuration,
    /// The metric.
    pub metric: &'static str,
    /// Its mean in A.
    pub a: MeanInterval,
    /// Its mean in B.
    pub b: MeanInterval,
    /// The mean of B − A over the pairs where both have a value.
    pub difference: MeanInterval,
}

impl PairedRow {
    /// "B higher" or "B lower" where the difference's interval excludes 0, else "no
    /// difference shown".
    pub fn verdict(&self) -> &'static str {
        match (self.difference.ci_low > 0.0, self.difference.ci_high < 0.0) {
            (true, _) => "B higher",
            (_, true) => "B lower",
            _ => "no difference shown",
        }
    }
}

/// The paired comparison of two studies, filled pair by pair.
#[derive(Debug, Default)]
pub struct Comparison {
    configs: Vec<Configuration>,
    means: BTreeMap<(usize, usize), [Mean; 3]>,
}

/// The compared metrics: the summarised reconstruction metrics, then `optimal`.
fn names() -> impl Iterator<Item = &'static str> {
    SUMMARY_METRICS.iter().copied().chain(["optimal"])
}

/// A run's values of [`names`].
fn values(row: &RunRow) -> Vec<Option<f64>> {
    let mut v: Vec<Option<f64>> = summary_values(&row.metrics).to_vec();
    v.push(row.squares.as_ref().map(|s| f64::from(u8::from(s.class == OutcomeClass::Optimal))));
    v
}

impl Comparison {
    /// An empty comparison of studies whose first has these configurations.
    pub fn new(configs: Vec<Configuration>) -> Self {
        Comparison { configs, means: BTreeMap::new() }
    }

    /// The comparison of paired studies.
    pub fn of(pairing: &Pairing) -> Self {
        let mut comparison = Comparison::new(pairing.a.configurations());
        for (config, a, b) in &pairing.pairs {
            comparison.add(*config, a, b);
        }
        comparison
    }

    /// Adds one pair of runs of configuration `config_index` (A's).
    pub fn add(&mut self, config_index: usize, a: &RunRow, b: &RunRow) {
        for (k, (x, y)) in values(a).into_iter().zip(values(b)).enumerate() {
            if let (Some(x), Some(y)) = (x.filter(|x| x.is_finite()), y.filter(|y| y.is_finite())) {
                let means = self.means.entry((config_index, k)).or_default();
                means[0].add(x);
                means[1].add(y);
                means[2].add(y - x);
            }
        }
    }

    /// Every (configuration, metric) with pairs, in A's grid order then metric order.
    pub fn rows(&self) -> Vec<PairedRow> {
        let names: Vec<&'static str> = names().collect();
        self.means
            .iter()
            .filter_map(|(&(config, k), [a, b, d])| {
                Some(PairedRow {
                    config: self.configs[config].clone(),
                    metric: names[k],
                    a: a.interval()?,
                    b: b.interval()?,
                    difference: d.interval()?,
                })
            })
            .collect()
    }

    /// The comparison as a table or CSV.
    pub fn render(&self, format: Format) -> anyhow::Result<String> {
        let rows = self.rows();
        match format {
            Format::Csv => {
                let headers = config_headers(
                    &self.configs[0],
                    &["metric", "pairs", "mean_a", "mean_b", "difference", "ci_low", "ci_high", "verdict"],
                );
                let cells = rows.iter().map(|r| {
                    config_row(
                        &r.config,
                        [
                            r.metric.to_string(),
                            r.difference.n.to_string(),
                            num(r.a.mean),
                            num(r.b.mean),
                            num(r.difference.mean),
                            num(r.difference.ci_low),
                            num(r.difference.ci_high),
                            r.verdict().to_string(),
                        ],
                    )
                });
                csv_string(&headers, cells)
            }
            Format::Table => {
                let mut t =
                    Table::new(&["widths", "epochs", "metric", "pairs", "A", "B", "B − A", "95% CI", "verdict"]);
                for r in &rows {
                    t.push(vec![
                        r.config.widths.to_string(),
                        r.config.epochs.to_string(),
                        r.metric.to_string(),
                        r.difference.n.to_string(),
                        format!("{:.4}", r.a.mean),
                        format!("{:.4}", r.b.mean),
                        format!("{:+.4}", r.difference.mean),
                        format!("[{:+.4}, {:+.4}]", r.difference.ci_low, r.difference.ci_high),
                        r.verdict().to_string(),
                    ]);
                }
                Ok(t.to_text())
            }
        }
    }
}
