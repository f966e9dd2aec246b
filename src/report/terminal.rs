//! The two tables a study prints, shared by the terminal and `summary.md`.

use super::Report;
use super::claims::CLAIM_ALPHA;
use super::table::Table;
use crate::analysis::exact::Method;
use crate::study::Configuration;
use crate::study::runs_csv::{config_cells, config_columns};

/// A table's header: the configuration columns of a study whose grid holds `config`, then
/// `rest`.
fn headers(config: &Configuration, rest: &[&'static str]) -> Vec<&'static str> {
    [&config_columns(config)[..], rest].concat()
}

/// The per-configuration class table (classes with at least one run).
pub fn class_table(report: &Report) -> Table {
    let mut t = Table::new(&headers(report.summary.first_config(), &["class", "count", "frequency", "95% CI"]));
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
    let mut t = Table::new(&headers(report.summary.first_config(), &["metric", "runs", "mean", "95% CI"]));
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
pub fn metric_claims_table(report: &Report) -> Table {
    let rest = ["claim", "test", "metric", "criterion", "mean", "95% CI", "verdict"];
    let mut t = Table::new(&headers(report.summary.first_config(), &rest));
    for c in &report.metric_checks {
        let (mean, ci) = c.measured.map_or(("—".to_string(), "—".to_string()), |m| {
            (format!("{:.4}", m.mean), interval(m.ci_low, m.ci_high))
        });
        let mut row = config_cells(&c.config);
        row.extend([
            c.test.claim.to_string(),
            c.test.test.to_string(),
            c.test.metric.to_string(),
            c.criterion(),
            mean,
            ci,
            c.verdict().to_string(),
        ]);
        t.push(row);
    }
    t
}

/// The report's sections in order, each a heading for the terminal, one for Markdown, and
/// its table: the outcome classes on the 2×2 images, the reconstruction metrics elsewhere and
/// for A2, then the paper's figures and claims that apply.
pub fn sections(report: &Report) -> Vec<(String, &'static str, Table)> {
    let summary = &report.summary;
    let mut sections = Vec::new();
    if summary.squares {
        sections.push(("outcome classes".to_string(), "Outcome classes", class_table(report)));
    }
    if !summary.squares || summary.vae {
        let title = "Reconstruction metrics (means over runs)";
        sections.push((title.to_lowercase(), title, metric_table(report)));
    }
    if !report.claims.is_empty() {
        let heading =
            format!("The paper's figures (exact two-sided binomial tests, α = {CLAIM_ALPHA} each, Bonferroni over 5)");
        sections.push((heading, "The paper's figures", claims_table(report)));
    }
    if !report.metric_checks.is_empty() {
        let heading = "The paper's claims on metrics (95% intervals against each threshold)".to_string();
        sections.push((heading, "The paper's claims on metrics", metric_claims_table(report)));
    }
    sections
}

/// The terminal report.
pub fn terminal(report: &Report) -> String {
    let mut out = String::new();
    for (k, (heading, _, table)) in sections(report).into_iter().enumerate() {
        if k == 0 {
            out += &format!("Study {}: {heading}\n\n{}", report.summary.study, table.to_text());
        } else {
            out += &format!("\n{heading}:\n\n{}", table.to_text());
        }
    }
    out
}
