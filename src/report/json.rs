//! `summary.json`: the class table and the claim checks as JSON. Fields are declared in
//! alphabetical order, which is the order they are written in.

use serde::Serialize;

use super::{Exporter, Report};
use crate::stats::MeanInterval;
use crate::study::Configuration;

/// `summary.json`.
pub struct SummaryJson;

/// The whole file.
#[derive(Serialize)]
struct SummaryFile<'a> {
    aemc_version: &'static str,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    metric_claims: Vec<MetricClaimRow<'a>>,
    claims: Vec<ClaimRow<'a>>,
    classes: Vec<ClassRow<'a>>,
    /// Studies of the 2×2 images keep their metrics in metrics.csv only.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    metrics: Vec<MetricRow<'a>>,
    study: &'a str,
}

/// One (configuration, metric) of the metric table.
#[derive(Serialize)]
struct MetricRow<'a> {
    configuration: ConfigJson,
    #[serde(flatten)]
    measured: Measured,
    metric: &'a str,
}

/// A mean over runs with its interval.
#[derive(Serialize)]
struct Measured {
    ci_high: f64,
    ci_low: f64,
    max: f64,
    mean: f64,
    min: f64,
    runs: u64,
    sd: f64,
}

impl From<MeanInterval> for Measured {
    fn from(m: MeanInterval) -> Self {
        Measured { ci_high: m.ci_high, ci_low: m.ci_low, max: m.max, mean: m.mean, min: m.min, runs: m.n, sd: m.sd }
    }
}

/// One test of a section-2 claim.
#[derive(Serialize)]
struct MetricClaimRow<'a> {
    claim: &'a str,
    configuration: ConfigJson,
    criterion: String,
    measured: Option<Measured>,
    metric: &'a str,
    test: &'a str,
    verdict: &'a str,
}

/// A configuration.
#[derive(Serialize)]
struct ConfigJson {
    #[serde(skip_serializing_if = "Option::is_none")]
    dataset: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    model: Option<String>,
    epochs: u32,
    init: &'static str,
    lr: f64,
    optimizer: &'static str,
    widths: String,
}

impl From<&Configuration> for ConfigJson {
    fn from(c: &Configuration) -> Self {
        let label = |axis: &str| c.labels.iter().find(|(name, _)| *name == axis).map(|(_, l)| l.clone());
        ConfigJson {
            dataset: label("dataset"),
            model: label("model"),
            epochs: c.epochs,
            init: c.init.name(),
            lr: c.lr,
            optimizer: c.optimizer.name(),
            widths: c.widths.to_string(),
        }
    }
}

/// One (configuration, class) of the class table.
#[derive(Serialize)]
struct ClassRow<'a> {
    ci_high: f64,
    ci_low: f64,
    class: &'a str,
    configuration: ConfigJson,
    count: u64,
    frequency: f64,
    runs: u64,
}

/// One paper figure checked.
#[derive(Serialize)]
struct ClaimRow<'a> {
    ci_high: f64,
    ci_low: f64,
    class: &'a str,
    configuration: ConfigJson,
    frequency: f64,
    p_value: f64,
    paper: f64,
    source: &'a str,
    verdict: String,
}

impl Exporter for SummaryJson {
    fn file_name(&self) -> &'static str {
        "summary.json"
    }

    fn render(&self, report: &Report) -> anyhow::Result<String> {
        let classes = report
            .summary
            .class_rows()
            .map(|(c, class, p)| ClassRow {
                ci_high: p.ci_high,
                ci_low: p.ci_low,
                class: class.name(),
                configuration: c.into(),
                count: p.count,
                frequency: p.estimate,
                runs: p.trials,
            })
            .collect();
        let claims = report
            .claims
            .iter()
            .map(|c| ClaimRow {
                ci_high: c.measured.ci_high,
                ci_low: c.measured.ci_low,
                class: c.claim.class.name(),
                configuration: (&c.config).into(),
                frequency: c.measured.estimate,
                p_value: c.p_value,
                paper: c.claim.value,
                source: c.claim.source,
                verdict: c.verdict(),
            })
            .collect();
        let metrics = if report.summary.squares {
            Vec::new()
        } else {
            let rows = report.summary.metric_rows();
            rows.map(|(c, metric, m)| MetricRow { configuration: c.into(), measured: m.into(), metric }).collect()
        };
        let metric_claims = report
            .metric_checks
            .iter()
            .map(|c| MetricClaimRow {
                claim: c.test.claim,
                configuration: (&c.config).into(),
                criterion: c.criterion(),
                measured: c.measured.map(Measured::from),
                metric: c.test.metric,
                test: c.test.test,
                verdict: c.verdict(),
            })
            .collect();
        let file = SummaryFile {
            aemc_version: env!("CARGO_PKG_VERSION"),
            metric_claims,
            claims,
            classes,
            metrics,
            study: &report.summary.study,
        };
        Ok(serde_json::to_string_pretty(&file)? + "\n")
    }
}
