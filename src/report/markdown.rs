//! `summary.md`: the terminal's tables as Markdown.

use super::terminal::sections;
use super::{Exporter, Report};

/// `summary.md`.
pub struct SummaryMarkdown;

impl Exporter for SummaryMarkdown {
    fn file_name(&self) -> &'static str {
        "summary.md"
    }

    fn render(&self, report: &Report) -> anyhow::Result<String> {
        let mut out = format!("# Study {}\n\n", report.summary.study);
        for (k, (_, heading, table)) in sections(report).into_iter().enumerate() {
            let gap = if k == 0 { "" } else { "\n" };
            out += &format!("{gap}## {heading}\n\n{}", table.to_markdown());
        }
        Ok(out)
    }
}
