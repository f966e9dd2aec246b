//! `summary.md`: the terminal's tables as Markdown.

use super::terminal::{blur_claims_table, claims_table, class_table, metric_table};
use super::{Exporter, Report};

/// `summary.md`.
pub struct SummaryMarkdown;

impl Exporter for SummaryMarkdown {
    fn file_name(&self) -> &'static str {
        "summary.md"
    }

    fn render(&self, report: &Report) -> anyhow::Result<String> {
        if !report.summary.squares {
            return Ok(format!(
                "# Study {}\n\n## Reconstruction metrics (means over runs)\n\n{}\n## The paper's section 2\n\n{}",
                report.summary.study,
                metric_table(report).to_markdown(),
                blur_claims_table(report).to_markdown()
            ));
        }
        let mut out =
            format!("# Study {}\n\n## Outcome classes\n\n{}", report.summary.study, class_table(report).to_markdown());
        if !report.claims.is_empty() {
            out += &format!("\n## The paper's figures\n\n{}", claims_table(report).to_markdown());
        }
        Ok(out)
    }
}
