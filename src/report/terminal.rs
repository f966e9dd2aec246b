//! The two tables a study prints, shared by the terminal and `summary.md`.

use super::Report;
use super::claims::CLAIM_ALPHA;
use super::table::Table;
use crate::analysis::exact::Method;
use crate::study::runs_csv::{CONFIG_COLUMNS, config_cells};

/// The per-configuration class table (classes with at least one run).
pub fn class_table(report: &Report) -> Table {
    let headers = [&CONFIG_COLUMNS[..], &["class", "count", "frequency", "95% CI"]].concat();
    let mut t = Table::new(&headers);
    for (config, class, p) in report.summary.class_rows().filter(|(_, _, p)| p.count > 0) {
        let mut row = config_cells(config);
        row.extend([
            class.to_string(),
            format!("{}/{}", p.count, p.trials),
            format!("{:.4}", p.estimate),
            format!("[{:.4}, {:.4}]", p.ci_low, p.ci_high),
        ]);
        t.push(row);
    }
    t
}

/// The paper's figures against the measurements.
pub fn claims_table(report: &Report) -> Table {
    let mut t =
        Table::new(&["widths", "init", "class", "paper", "init-time event", "measured", "95% CI", "p", "verdict"]);
    for c in &report.claims {
        let init = match (c.claim.init_event, c.init_probability) {
            (Some(e), Some((p, Method::Exact))) => format!("{e} {p:.4}"),
            (Some(e), Some((p, Method::MonteCarlo))) => format!("{e} {p:.4} (MC)"),
            (Some(e), None) => format!("{e} —"),
            (None, _) => "—".to_string(),
        };
        t.push(vec![
            c.config.widths.to_string(),
            c.config.init.to_string(),
            c.claim.class.to_string(),
            format!("{:.4} ({})", c.claim.value, c.claim.source),
            init,
            format!("{:.4}", c.measured.estimate),
            format!("[{:.4}, {:.4}]", c.measured.ci_low, c.measured.ci_high),
            format!("{:.2e}", c.p_value),
            c.verdict(),
        ]);
    }
    t
}

/// The per-configuration metric table: mean over runs and its 95% interval.
pub fn metric_table(report: &Report) -> Table {
    let headers = [&CONFIG_COLUMNS[..], &["metric", "runs", "mean", "95% CI"]].concat();
    let mut t = Table::new(&headers);
    for (config, metric, m) in report.summary.metric_rows() {
        let mut row = config_cells(config);
        row.extend([metric.to_string(), m.n.to_string(), format!("{:.4}", m.mean), interval(m.ci_low, m.ci_high)]);
        t.push(row);
    }
    t
}

/// `[low, high]` to four decimals.
fn interval(low: f64, high: f64) -> String {
    format!("[{low:.4}, {high:.4}]")
}

/// The section-2 claims against the metrics.
pub fn blur_claims_table(report: &Report) -> Table {
    let mut t = Table::new(&["widths", "init", "claim", "test", "metric", "criterion", "mean", "95% CI", "verdict"]);
    for c in &report.blur_checks {
        let (mean, ci) = c.measured.map_or(("—".to_string(), "—".to_string()), |m| {
            (format!("{:.4}", m.mean), interval(m.ci_low, m.ci_high))
        });
        t.push(vec![
            c.config.widths.to_string(),
            c.config.init.to_string(),
            c.test.claim.to_string(),
            c.test.test.to_string(),
            c.test.metric.to_string(),
            c.criterion(),
            mean,
            ci,
            c.verdict().to_string(),
        ]);
    }
    t
}

/// The terminal report.
pub fn terminal(report: &Report) -> String {
    if !report.summary.squares {
        return format!(
            "Study {}: reconstruction metrics (means over runs)\n\n{}\nThe paper's section 2 (95% intervals against each threshold):\n\n{}",
            report.summary.study,
            metric_table(report).to_text(),
            blur_claims_table(report).to_text()
        );
    }
    let mut out = format!("Study {}: outcome classes\n\n{}", report.summary.study, class_table(report).to_text());
    if !report.claims.is_empty() {
        out += &format!(
            "\nThe paper's figures (exact two-sided binomial tests, α = {CLAIM_ALPHA} each, Bonferroni over 5):\n\n{}",
            claims_table(report).to_text()
        );
    }
    out
}
