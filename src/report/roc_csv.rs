//! `roc.csv`: on MNIST, each configuration's ROC curves of the anomaly score (the
//! reconstruction error): the run with the median AUC, every distinct threshold, and all runs'
//! scores pooled, read at 101 false-positive rates ([`crate::stats::roc`]).

use super::{Exporter, Report, config_headers, config_row, csv_string, num};

/// `roc.csv`.
pub struct RocCsv;

impl Exporter for RocCsv {
    fn file_name(&self) -> &'static str {
        "roc.csv"
    }

    fn applies(&self, report: &Report) -> bool {
        !report.roc.is_empty()
    }

    fn render(&self, report: &Report) -> anyhow::Result<String> {
        let headers =
            config_headers(report.summary.first_config(), &["curve", "run", "auc", "fpr", "tpr", "threshold"]);
        let rows = report.roc.iter().flat_map(|(config, c)| {
            let median = c.median.iter().map(move |p| ("median-run", c.median_run.to_string(), c.median_auc, p));
            let pooled = c.pooled.iter().map(move |p| ("pooled", String::new(), c.pooled_auc, p));
            median.chain(pooled).map(move |(curve, run, auc, p)| {
                config_row(config, [curve.to_string(), run, num(auc), num(p.fpr), num(p.tpr), num(p.threshold)])
            })
        });
        csv_string(&headers, rows)
    }
}
