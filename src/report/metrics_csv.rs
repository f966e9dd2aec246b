//! `metrics.csv`: one row per (configuration, reconstruction metric): the metric's mean over
//! the runs where it has a value, with its 95% Student-t interval, standard deviation and
//! extremes. Every study has it, the 2×2 ones beside their classes.

use super::{Exporter, Report, config_headers, config_row, csv_string, num};

/// `metrics.csv`.
pub struct MetricsCsv;

impl Exporter for MetricsCsv {
    fn file_name(&self) -> &'static str {
        "metrics.csv"
    }

    fn render(&self, report: &Report) -> anyhow::Result<String> {
        let headers = config_headers(
            report.summary.first_config(),
            &["metric", "runs", "mean", "sd", "ci_low", "ci_high", "min", "max"],
        );
        csv_string(
            &headers,
            report.summary.metric_rows().map(|(config, metric, m)| {
                config_row(
                    config,
                    [
                        metric.to_string(),
                        m.n.to_string(),
                        num(m.mean),
                        num(m.sd),
                        num(m.ci_low),
                        num(m.ci_high),
                        num(m.min),
                        num(m.max),
                    ],
                )
            }),
        )
    }
}

#[cfg(test)]
mod tests {
    use crate::report::summary::SUMMARY_METRICS;

    #[test]
    fn one_row_per_metric_with_values() {
        assert_eq!(SUMMARY_METRICS.len(), 14);
        assert_eq!(SUMMARY_METRICS[..12], crate::metrics::Reconstruction::NAMES);
    }
}
