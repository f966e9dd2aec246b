//! `init-events.csv`: init-time events × final classes, with both conditional proportions.

use super::{Exporter, Report, config_headers, config_row, csv_string, num};

/// `init-events.csv`.
pub struct InitEventsCsv;

impl Exporter for InitEventsCsv {
    fn file_name(&self) -> &'static str {
        "init-events.csv"
    }

    fn applies(&self, report: &Report) -> bool {
        report.summary.squares
    }

    fn render(&self, report: &Report) -> anyhow::Result<String> {
        let headers = config_headers(
            report.summary.first_config(),
            &[
                "event",
                "value",
                "class",
                "count",
                "event_runs",
                "class_runs",
                "p_class_given_event",
                "p_class_given_event_low",
                "p_class_given_event_high",
                "p_event_given_class",
                "p_event_given_class_low",
                "p_event_given_class_high",
            ],
        );
        csv_string(
            &headers,
            report.summary.cross_tab().into_iter().map(|cell| {
                let (a, b) = (cell.class_given_event, cell.event_given_class);
                config_row(
                    cell.config,
                    [
                        cell.event.to_string(),
                        cell.value,
                        cell.class.to_string(),
                        a.count.to_string(),
                        a.trials.to_string(),
                        b.trials.to_string(),
                        num(a.estimate),
                        num(a.ci_low),
                        num(a.ci_high),
                        num(b.estimate),
                        num(b.ci_low),
                        num(b.ci_high),
                    ],
                )
            }),
        )
    }
}
