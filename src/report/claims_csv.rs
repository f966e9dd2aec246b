//! `claims.csv`: the paper's figures against the study. On the 2×2 images with A1 alone one row
//! per (2-1-2 configuration, section-4 figure); on other data sets, and where A2 is trained,
//! one row per (configuration, test of a claim about a metric, [`super::metric_claims`]; the
//! section-4 figures of A1 beside A2 are in `summary.md` and `summary.json`).

use super::{Exporter, Report, config_headers, config_row, csv_string, num};
use crate::stats::MeanInterval;

/// `claims.csv`.
pub struct ClaimsCsv;

impl Exporter for ClaimsCsv {
    fn file_name(&self) -> &'static str {
        "claims.csv"
    }

    fn render(&self, report: &Report) -> anyhow::Result<String> {
        if !report.summary.squares || report.summary.vae {
            return metric_claims_csv(report);
        }
        let headers = config_headers(
            report.summary.first_config(),
            &[
                "class",
                "paper",
                "source",
                "init_event",
                "init_probability",
                "init_method",
                "count",
                "runs",
                "frequency",
                "ci_low",
                "ci_high",
                "p_value",
                "verdict",
            ],
        );
        csv_string(
            &headers,
            report.claims.iter().map(|c| {
                config_row(
                    &c.config,
                    [
                        c.claim.class.to_string(),
                        num(c.claim.value),
                        c.claim.source.to_string(),
                        c.claim.init_event.unwrap_or("").to_string(),
                        c.init_probability.map_or(String::new(), |(p, _)| num(p)),
                        c.init_probability.map_or(String::new(), |(_, m)| m.name().to_string()),
                        c.measured.count.to_string(),
                        c.measured.trials.to_string(),
                        num(c.measured.estimate),
                        num(c.measured.ci_low),
                        num(c.measured.ci_high),
                        num(c.p_value),
                        c.verdict(),
                    ],
                )
            }),
        )
    }
}

/// The section-2 claims' rows.
fn metric_claims_csv(report: &Report) -> anyhow::Result<String> {
    let headers = config_headers(
        report.summary.first_config(),
        &["claim", "test", "metric", "criterion", "runs", "mean", "ci_low", "ci_high", "verdict"],
    );
    csv_string(
        &headers,
        report.metric_checks.iter().map(|c| {
            let cell = |f: fn(&MeanInterval) -> String| c.measured.as_ref().map_or(String::new(), f);
            config_row(
                &c.config,
                [
                    c.test.claim.to_string(),
                    c.test.test.to_string(),
                    c.test.metric.to_string(),
                    c.criterion(),
                    cell(|m| m.n.to_string()),
                    cell(|m| num(m.mean)),
                    cell(|m| num(m.ci_low)),
                    cell(|m| num(m.ci_high)),
                    c.verdict().to_string(),
                ],
            )
        }),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::claims::paper_claims;
    use crate::report::{ClaimCheck, Summary};
    use crate::stats::Proportion;
    use crate::study::StudySpec;

    #[test]
    fn p_values_are_written_in_shortest_round_trip_form() {
        let spec = StudySpec::from_toml("name = \"t\"\nruns = 10\nwidths = [\"2-1-2\"]\n").unwrap();
        let summary = Summary::new(&spec);
        let check = |p_value| ClaimCheck {
            config: spec.configurations()[0].clone(),
            claim: paper_claims()[0],
            measured: Proportion::new(1, 10),
            p_value,
            init_probability: None,
        };
        let claims = vec![check(3.2331298167459415e-233), check(0.0), check(0.5)];
        let report = Report { summary, claims, metric_checks: Vec::new(), roc: Vec::new() };
        let csv = ClaimsCsv.render(&report).unwrap();
        let p_values: Vec<&str> = csv.lines().skip(1).map(|l| l.split(',').nth(16).unwrap()).collect();
        assert_eq!(p_values, ["3.2331298167459415e-233", "0", "0.5"]);
    }
}
