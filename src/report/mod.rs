//! Reports: the summary exporters (one per format, behind [`Exporter`]), the streamed
//! runs.csv, the terminal tables, and atomic file writes.

pub mod runs;
pub mod summary;
pub mod table;

use std::io::Write;
use std::path::Path;

use anyhow::Context;
use serde_json::json;

pub use summary::Summary;
use table::Table;

use crate::outcome::OutcomeClass;
use crate::study::Configuration;

/// The configuration columns every tidy CSV starts with.
pub const CONFIG_COLUMNS: [&str; 5] = ["widths", "init", "optimizer", "lr", "epochs"];

/// The configuration's values for [`CONFIG_COLUMNS`].
pub fn config_cells(c: &Configuration) -> Vec<String> {
    vec![c.widths.to_string(), c.init.to_string(), c.optimizer.to_string(), c.lr.to_string(), c.epochs.to_string()]
}

/// A whole-file export of a study's summary.
pub trait Exporter {
    /// The file it writes in the output directory.
    fn file_name(&self) -> &'static str;
    /// The file's content.
    fn render(&self, summary: &Summary) -> anyhow::Result<String>;
}

/// `summary.csv`: one row per (configuration, class), every class listed.
pub struct SummaryCsv;
/// `claims.csv`: one row per (2-1-2 configuration, paper figure).
pub struct ClaimsCsv;
/// `summary.md`: the terminal tables as Markdown.
pub struct SummaryMarkdown;
/// `summary.json`: both tables as JSON.
pub struct SummaryJson;

fn csv_string(headers: &[&str], rows: impl Iterator<Item = Vec<String>>) -> anyhow::Result<String> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(headers)?;
    for row in rows {
        w.write_record(&row)?;
    }
    Ok(String::from_utf8(w.into_inner()?)?)
}

/// Floats in CSV and JSON: round-trip shortest form of f64.
fn num(x: f64) -> String {
    x.to_string()
}

fn class_rows(summary: &Summary) -> impl Iterator<Item = (&Configuration, OutcomeClass, crate::stats::Proportion)> {
    summary
        .configs
        .iter()
        .filter(|c| c.runs > 0)
        .flat_map(|c| OutcomeClass::ALL.iter().map(move |&class| (&c.config, class, c.proportion(class))))
}

impl Exporter for SummaryCsv {
    fn file_name(&self) -> &'static str {
        "summary.csv"
    }
    fn render(&self, summary: &Summary) -> anyhow::Result<String> {
        let headers = [&CONFIG_COLUMNS[..], &["class", "count", "runs", "frequency", "ci_low", "ci_high"]].concat();
        csv_string(
            &headers,
            class_rows(summary).map(|(config, class, p)| {
                let mut row = config_cells(config);
                row.extend([class.to_string(), p.count.to_string(), p.trials.to_string(), num(p.estimate), num(p.ci_low), num(p.ci_high)]);
                row
            }),
        )
    }
}

impl Exporter for ClaimsCsv {
    fn file_name(&self) -> &'static str {
        "claims.csv"
    }
    fn render(&self, summary: &Summary) -> anyhow::Result<String> {
        let headers = [
            &CONFIG_COLUMNS[..],
            &["class", "paper", "source", "count", "runs", "frequency", "ci_low", "ci_high", "p_value", "verdict"],
        ]
        .concat();
        csv_string(
            &headers,
            summary.claim_checks().into_iter().map(|c| {
                let mut row = config_cells(&c.config);
                row.extend([
                    c.claim.class.to_string(),
                    num(c.claim.value),
                    c.claim.source.to_string(),
                    c.measured.count.to_string(),
                    c.measured.trials.to_string(),
                    num(c.measured.estimate),
                    num(c.measured.ci_low),
                    num(c.measured.ci_high),
                    num(c.p_value),
                    c.verdict(),
                ]);
                row
            }),
        )
    }
}

/// The per-configuration class table (classes with at least one run).
pub fn class_table(summary: &Summary) -> Table {
    let mut t = Table::new(&["widths", "init", "optimizer", "lr", "epochs", "class", "count", "frequency", "95% CI"]);
    for (config, class, p) in class_rows(summary).filter(|(_, _, p)| p.count > 0) {
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
pub fn claims_table(summary: &Summary) -> Table {
    let mut t = Table::new(&["widths", "init", "class", "paper", "measured", "95% CI", "p", "verdict"]);
    for c in summary.claim_checks() {
        t.push(vec![
            c.config.widths.to_string(),
            c.config.init.to_string(),
            c.claim.class.to_string(),
            format!("{:.4} ({})", c.claim.value, c.claim.source),
            format!("{:.4}", c.measured.estimate),
            format!("[{:.4}, {:.4}]", c.measured.ci_low, c.measured.ci_high),
            format!("{:.2e}", c.p_value),
            c.verdict(),
        ]);
    }
    t
}

/// The terminal report.
pub fn terminal(summary: &Summary) -> String {
    let mut out = format!("Study {}: outcome classes\n\n{}", summary.study, class_table(summary).to_text());
    let claims = claims_table(summary);
    if !claims.rows.is_empty() {
        out += &format!(
            "\nThe paper's figures (exact two-sided binomial tests, α = {} each, Bonferroni over 5):\n\n{}",
            summary::CLAIM_ALPHA,
            claims.to_text()
        );
    }
    out
}

impl Exporter for SummaryMarkdown {
    fn file_name(&self) -> &'static str {
        "summary.md"
    }
    fn render(&self, summary: &Summary) -> anyhow::Result<String> {
        let mut out = format!("# Study {}\n\n## Outcome classes\n\n{}", summary.study, class_table(summary).to_markdown());
        let claims = claims_table(summary);
        if !claims.rows.is_empty() {
            out += &format!("\n## The paper's figures\n\n{}", claims.to_markdown());
        }
        Ok(out)
    }
}

impl Exporter for SummaryJson {
    fn file_name(&self) -> &'static str {
        "summary.json"
    }
    fn render(&self, summary: &Summary) -> anyhow::Result<String> {
        let config_json = |c: &Configuration| {
            json!({"widths": c.widths.to_string(), "init": c.init.name(), "optimizer": c.optimizer.name(), "lr": c.lr, "epochs": c.epochs})
        };
        let classes: Vec<_> = class_rows(summary)
            .map(|(c, class, p)| {
                json!({"configuration": config_json(c), "class": class.name(), "count": p.count, "runs": p.trials,
                       "frequency": p.estimate, "ci_low": p.ci_low, "ci_high": p.ci_high})
            })
            .collect();
        let claims: Vec<_> = summary
            .claim_checks()
            .iter()
            .map(|c| {
                json!({"configuration": config_json(&c.config), "class": c.claim.class.name(), "paper": c.claim.value,
                       "source": c.claim.source, "frequency": c.measured.estimate, "ci_low": c.measured.ci_low,
                       "ci_high": c.measured.ci_high, "p_value": c.p_value, "verdict": c.verdict()})
            })
            .collect();
        Ok(serde_json::to_string_pretty(&json!({"study": summary.study, "aemc_version": env!("CARGO_PKG_VERSION"),
                                                 "classes": classes, "claims": claims}))?
            + "\n")
    }
}

/// Every summary exporter.
pub fn exporters() -> Vec<Box<dyn Exporter>> {
    vec![Box::new(SummaryCsv), Box::new(ClaimsCsv), Box::new(SummaryMarkdown), Box::new(SummaryJson)]
}

/// Writes a file so that readers see either the old content or the new, never a mix:
/// a temporary file in the same directory, flushed, synced, then renamed over the target.
pub fn write_atomically(dir: &Path, name: &str, content: &[u8]) -> anyhow::Result<()> {
    let mut tmp = tempfile::Builder::new()
        .prefix(&format!(".{name}."))
        .tempfile_in(dir)
        .with_context(|| format!("cannot create a file in {}", dir.display()))?;
    tmp.write_all(content)?;
    tmp.as_file().sync_all()?;
    tmp.persist(dir.join(name)).with_context(|| format!("cannot write {}", dir.join(name).display()))?;
    Ok(())
}
