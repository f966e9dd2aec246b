//! `summary.md`: the terminal's tables as Markdown.

use super::terminal::{claims_table, class_table};
use super::{Exporter, Report};

/// `summary.md`.
pub struct SummaryMarkdown;

impl Exporter for SummaryMarkdown {
    fn file_name(&self) -> &'static str {
        "summary.md"
    }

    fn render(&self, report: &Report) -> anyhow::Result<String> {
        let mut out =
            format!("# Study {}\n\n## Outcome classes\n\n{}", report.summary.study, class_table(report).to_markdown());
        if !report.claims.is_empty() {
            out += &format!("\n## The paper's figures\n\n{}", claims_table(report).to_markdown());
        }
        Ok(out)
    }
}
