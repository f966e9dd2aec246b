//! Reports: what a study's summary is written as. One exporter per file format behind
//! [`Exporter`], the terminal tables, and `aemc predict`'s output.
//!
//! The report is handed everything it shows (counts and claim checks with their
//! predictions already computed); it computes no analysis of its own.

pub mod claims;
pub mod claims_csv;
pub mod init_events_csv;
pub mod json;
pub mod markdown;
pub mod metric_claims;
pub mod metrics_csv;
pub mod paired;
pub mod predict;
pub mod roc_csv;
pub mod summary;
pub mod summary_csv;
pub mod table;
pub mod terminal;
pub mod widths_markdown;

pub use claims::{ClaimCheck, claim_checks};
pub use metric_claims::{MetricCheck, metric_checks};
pub use summary::Summary;

use crate::analysis::exact::Prediction;
use crate::float::shortest;
use crate::model::{Initializer, Widths};
use crate::stats::roc::RunCurves;
use crate::study::Configuration;
use crate::study::runs_csv::{config_cells, config_columns};

/// Everything a study's report shows: the counts and metrics, and the paper's figures checked.
#[derive(Clone, Debug)]
pub struct Report {
    /// Counts per configuration and class, metrics per configuration.
    pub summary: Summary,
    /// The paper's 2×2 figures (section 4) against the counts.
    pub claims: Vec<ClaimCheck>,
    /// The paper's section-2 claims against the metrics of a study of line images.
    pub metric_checks: Vec<MetricCheck>,
    /// On MNIST, each configuration's ROC curves ([`roc_csv`]).
    pub roc: Vec<(Configuration, RunCurves)>,
}

impl Report {
    /// The report of `summary`, its claims checked; `exact` gives the init-time probabilities
    /// of a configuration's widths and initialiser.
    pub fn new(summary: Summary, exact: impl Fn(Widths, Initializer) -> Vec<Prediction>) -> Self {
        // The paper's class frequencies are about A1 ([`claims::checked`]).
        let claims = if summary.squares { claim_checks(&summary, exact) } else { Vec::new() };
        let metric_checks = metric_checks(&summary);
        Report { summary, claims, metric_checks, roc: Vec::new() }
    }

    /// The report with the ROC curves of its MNIST configurations.
    pub fn with_roc(self, roc: Vec<(Configuration, RunCurves)>) -> Self {
        Report { roc, ..self }
    }
}

/// A whole-file export of a study's report.
pub trait Exporter {
    /// The file it writes in the output directory.
    fn file_name(&self) -> &'static str;
    /// Whether the file belongs to this report: most do; those about the 2×2 outcome classes
    /// only to studies of the 2×2 images.
    fn applies(&self, report: &Report) -> bool {
        let _ = report;
        true
    }
    /// The file's content.
    fn render(&self, report: &Report) -> anyhow::Result<String>;
}

/// Every exporter, in the order their files are written.
pub fn exporters() -> Vec<Box<dyn Exporter>> {
    vec![
        Box::new(summary_csv::SummaryCsv),
        Box::new(claims_csv::ClaimsCsv),
        Box::new(init_events_csv::InitEventsCsv),
        Box::new(markdown::SummaryMarkdown),
        Box::new(json::SummaryJson),
        Box::new(widths_markdown::WidthsMarkdown),
        Box::new(metrics_csv::MetricsCsv),
        Box::new(roc_csv::RocCsv),
    ]
}

/// A CSV file from its header and rows (every float already text from [`num`]).
pub(crate) fn csv_string(headers: &[&str], rows: impl Iterator<Item = Vec<String>>) -> anyhow::Result<String> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(headers)?;
    for row in rows {
        w.write_record(&row)?;
    }
    Ok(String::from_utf8(w.into_inner()?)?)
}

/// The header of a per-configuration CSV of a study whose grid holds `config`: the
/// configuration's columns ([`config_columns`]) then `rest`.
pub(crate) fn config_headers(config: &Configuration, rest: &[&'static str]) -> Vec<&'static str> {
    [&config_columns(config)[..], rest].concat()
}

/// A per-configuration CSV row: the configuration's cells then `rest`.
pub(crate) fn config_row(config: &Configuration, rest: impl IntoIterator<Item = String>) -> Vec<String> {
    let mut row = config_cells(config);
    row.extend(rest);
    row
}

/// A float cell.
pub(crate) fn num(x: f64) -> String {
    shortest(x)
}
