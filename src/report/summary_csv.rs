//! `summary.csv`: one row per (configuration, class), every class listed.

use super::{Exporter, Report, config_headers, config_row, csv_string, num};

/// `summary.csv`.
pub struct SummaryCsv;

impl Exporter for SummaryCsv {
    fn file_name(&self) -> &'static str {
        "summary.csv"
    }

    fn applies(&self, report: &Report) -> bool {
        report.summary.squares
    }

    fn render(&self, report: &Report) -> anyhow::Result<String> {
        let headers = config_headers(
            report.summary.first_config(),
            &["class", "count", "runs", "frequency", "ci_low", "ci_high"],
        );
        csv_string(
            &headers,
            report.summary.class_rows().map(|(config, class, p)| {
                config_row(
                    config,
                    [
                        class.to_string(),
                        p.count.to_string(),
                        p.trials.to_string(),
                        num(p.estimate),
                        num(p.ci_low),
                        num(p.ci_high),
                    ],
                )
            }),
        )
    }
}
