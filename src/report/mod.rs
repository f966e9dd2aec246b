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
/// `init-events.csv`: init events × final classes, both conditional proportions.
pub struct InitEventsCsv;
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
                row.extend([
                    class.to_string(),
                    p.count.to_string(),
                    p.trials.to_string(),
                    num(p.estimate),
                    num(p.ci_low),
                    num(p.ci_high),
                ]);
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
            &[
                "class",
                "paper",
                "source",
                "init_event",
                "exact_init",
                "count",
                "runs",
                "frequency",
                "ci_low",
                "ci_high",
                "p_value",
                "verdict",
            ],
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
                    c.claim.init_event.unwrap_or("").to_string(),
                    c.exact_init.map_or(String::new(), num),
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

impl Exporter for InitEventsCsv {
    fn file_name(&self) -> &'static str {
        "init-events.csv"
    }
    fn render(&self, summary: &Summary) -> anyhow::Result<String> {
        let headers = [
            &CONFIG_COLUMNS[..],
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
        ]
        .concat();
        csv_string(
            &headers,
            summary.cross_tab().into_iter().map(|cell| {
                let (a, b) = (cell.class_given_event, cell.event_given_class);
                let mut row = config_cells(cell.config);
                row.extend([
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
    let mut t = Table::new(&[
        "widths",
        "init",
        "class",
        "paper",
        "exact init-time event",
        "measured",
        "95% CI",
        "p",
        "verdict",
    ]);
    for c in summary.claim_checks() {
        let init = match (c.claim.init_event, c.exact_init) {
            (Some(e), Some(p)) => format!("{e} {p:.4}"),
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
        let mut out =
            format!("# Study {}\n\n## Outcome classes\n\n{}", summary.study, class_table(summary).to_markdown());
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
        let config_json = |c: &Configuration| json!({"widths": c.widths.to_string(), "init": c.init.name(), "optimizer": c.optimizer.name(), "lr": c.lr, "epochs": c.epochs});
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
    vec![
        Box::new(SummaryCsv),
        Box::new(ClaimsCsv),
        Box::new(InitEventsCsv),
        Box::new(SummaryMarkdown),
        Box::new(SummaryJson),
    ]
}

/// Writes a file so that readers see either the old content or the new, never a mix:
/// a temporary file in the same directory, flushed, synced, then renamed over the target.
pub fn write_atomically(dir: &Path, name: &str, content: &[u8]) -> anyhow::Result<()> {
    let prefix = format!(".{name}.");
    let mut builder = tempfile::Builder::new();
    builder.prefix(&prefix);
    // Result files are for everyone to read, unlike tempfile's default 0600.
    #[cfg(unix)]
    builder.permissions(std::os::unix::fs::PermissionsExt::from_mode(0o644));
    let mut tmp = builder.tempfile_in(dir).with_context(|| format!("cannot create a file in {}", dir.display()))?;
    tmp.write_all(content)?;
    tmp.as_file().sync_all()?;
    tmp.persist(dir.join(name)).with_context(|| format!("cannot write {}", dir.join(name).display()))?;
    Ok(())
}

/// Output formats of `aemc predict`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Aligned text.
    Table,
    /// CSV with columns event,paper,exact,error,note.
    Csv,
    /// JSON.
    Json,
}

/// `aemc predict`'s output in the chosen format.
pub fn predictions(preds: &[crate::analysis::exact::Prediction], format: Format) -> anyhow::Result<String> {
    let opt = |x: Option<f64>| x.map_or(String::new(), num);
    Ok(match format {
        Format::Csv => csv_string(
            &["event", "paper", "exact", "error", "note"],
            preds.iter().map(|p| vec![p.event.clone(), opt(p.paper), opt(p.exact), opt(p.error), p.note.clone()]),
        )?,
        Format::Json => {
            let rows: Vec<_> = preds
                .iter()
                .map(
                    |p| json!({"event": p.event, "paper": p.paper, "exact": p.exact, "error": p.error, "note": p.note}),
                )
                .collect();
            serde_json::to_string_pretty(&rows)? + "\n"
        }
        Format::Table => {
            let mut t = Table::new(&["event", "paper", "exact", "error ≤"]);
            for p in preds {
                let fmt = |x: Option<f64>| x.map_or("—".to_string(), |v| format!("{v:.6}"));
                let err = p.error.map_or("—".to_string(), |e| format!("{e:.0e}"));
                t.push(vec![p.event.clone(), fmt(p.paper), fmt(p.exact), err]);
            }
            let notes: Vec<String> = preds.iter().map(|p| format!("  {}: {}", p.event, p.note)).collect();
            format!("{}\nNotes:\n{}\n", t.to_text(), notes.join("\n"))
        }
    })
}
