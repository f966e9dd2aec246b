//! `widths.md`: P(optimal) and P(all-gray) laid out by widths, one h1 × h3 table per
//! bottleneck width h2 (and per setting of the other axes), each cell the frequency with its
//! 95% interval: where more width helps, and where it stops helping.

use std::collections::BTreeSet;

use super::summary::ConfigCounts;
use super::table::Table;
use super::{Exporter, Report};
use crate::outcome::OutcomeClass;

/// `widths.md`.
pub struct WidthsMarkdown;

/// The classes laid out by widths.
const CLASSES: [OutcomeClass; 2] = [OutcomeClass::Optimal, OutcomeClass::AllGray];

/// One table: `class` over the configurations `configs` (which share everything but widths)
/// with bottleneck width `h2`.
fn table(configs: &[&ConfigCounts], class: OutcomeClass, h2: usize) -> Table {
    let of_h2: Vec<&&ConfigCounts> = configs.iter().filter(|c| c.config.widths.h2 == h2).collect();
    let h1s: BTreeSet<usize> = of_h2.iter().map(|c| c.config.widths.h1).collect();
    let h3s: Vec<String> =
        of_h2.iter().map(|c| c.config.widths.h3).collect::<BTreeSet<_>>().iter().map(usize::to_string).collect();
    let headers: Vec<&str> = ["h1 \\ h3"].into_iter().chain(h3s.iter().map(String::as_str)).collect();
    let mut t = Table::new(&headers);
    for h1 in h1s {
        let cell = |h3: &String| {
            of_h2.iter().find(|c| c.config.widths.h1 == h1 && c.config.widths.h3.to_string() == *h3).map_or(
                String::new(),
                |c| {
                    let p = c.proportion(class);
                    format!("{:.3} ({:.3}–{:.3})", p.estimate, p.ci_low, p.ci_high)
                },
            )
        };
        t.push([format!("**{h1}**")].into_iter().chain(h3s.iter().map(cell)).collect());
    }
    t
}

impl Exporter for WidthsMarkdown {
    fn file_name(&self) -> &'static str {
        "widths.md"
    }

    fn applies(&self, report: &Report) -> bool {
        report.summary.squares
    }

    fn render(&self, report: &Report) -> anyhow::Result<String> {
        let measured: Vec<&ConfigCounts> = report.summary.configs.iter().filter(|c| c.runs > 0).collect();
        let mut out = format!(
            "# Study {}: outcome frequencies by widths\n\nEach cell: the frequency over the runs of \
             widths h1-h2-h3, with its 95% Clopper–Pearson interval.\n",
            report.summary.study
        );
        // Configurations that differ in anything but widths get tables of their own.
        let mut settings = Vec::new();
        for c in &measured {
            let setting = (c.config.init, c.config.optimizer, c.config.lr.to_bits(), c.config.epochs);
            if !settings.contains(&setting) {
                settings.push(setting);
            }
        }
        for (init, optimizer, lr, epochs) in settings {
            let group: Vec<&ConfigCounts> = measured
                .iter()
                .copied()
                .filter(|c| {
                    (c.config.init, c.config.optimizer, c.config.lr.to_bits(), c.config.epochs)
                        == (init, optimizer, lr, epochs)
                })
                .collect();
            let runs: BTreeSet<u64> = group.iter().map(|c| c.runs).collect();
            let runs: Vec<String> = runs.iter().map(u64::to_string).collect();
            out += &format!(
                "\n## {init}, {optimizer}, lr {}, {epochs} epochs ({} runs per widths)\n",
                f64::from_bits(lr),
                runs.join(" or ")
            );
            let h2s: BTreeSet<usize> = group.iter().map(|c| c.config.widths.h2).collect();
            for class in CLASSES {
                for &h2 in &h2s {
                    out += &format!("\n### P({class}), h2 = {h2}\n\n{}", table(&group, class, h2).to_markdown());
                }
            }
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::Summary;
    use crate::study::StudySpec;

    #[test]
    fn one_table_per_class_and_bottleneck_with_a_cell_per_widths() {
        let spec =
            StudySpec::from_toml("name = \"g\"\nruns = 4\nwidths = [\"1-1-2\", \"2-1-1\", \"2-1-2\", \"3-2-3\"]\n")
                .unwrap();
        let mut summary = Summary::new(&spec);
        for c in &mut summary.configs {
            c.runs = 4;
            c.counts[0] = 1; // optimal is the first class
        }
        let md = WidthsMarkdown
            .render(&Report { summary, claims: Vec::new(), metric_checks: Vec::new(), roc: Vec::new() })
            .unwrap();
        assert_eq!(md.matches("### P(optimal), h2 = ").count(), 2, "{md}");
        assert_eq!(md.matches("### P(all-gray), h2 = ").count(), 2, "{md}");
        // h2 = 1: h1 ∈ {1, 2}, h3 ∈ {1, 2}; 1-1-1 was not run and stays empty.
        let rows: Vec<Vec<&str>> = md
            .split("### P(optimal), h2 = 1")
            .nth(1)
            .unwrap()
            .lines()
            .filter(|l| l.starts_with("| **"))
            .take(2)
            .map(|l| l.split('|').map(str::trim).filter(|c| !c.starts_with("**")).collect())
            .collect();
        let quarter = "0.250 (0.006–0.806)";
        assert_eq!(rows, [vec!["", "", quarter, ""], vec!["", quarter, quarter, ""]], "{md}");
    }
}
