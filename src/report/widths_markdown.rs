//! `widths.md`: P(optimal) and P(all-gray) laid out by widths, one h1 × h3 table per
//! bottleneck width h2 (and per setting of the other axes), each cell the frequency with its
//! 95% interval: where more width helps, and where it stops helping.

use std::collections::BTreeSet;

use super::summary::ConfigCounts;
use super::{Exporter, Report};
use crate::outcome::OutcomeClass;

/// `widths.md`.
pub struct WidthsMarkdown;

/// The classes laid out by widths.
const CLASSES: [OutcomeClass; 2] = [OutcomeClass::Optimal, OutcomeClass::AllGray];

/// One table: `class` over the configurations `configs` (which share everything but widths)
/// with bottleneck width `h2`.
fn table(configs: &[&ConfigCounts], class: OutcomeClass, h2: usize) -> String {
    let of_h2: Vec<&&ConfigCounts> = configs.iter().filter(|c| c.config.widths.h2 == h2).collect();
    let h1s: BTreeSet<usize> = of_h2.iter().map(|c| c.config.widths.h1).collect();
    let h3s: BTreeSet<usize> = of_h2.iter().map(|c| c.config.widths.h3).collect();
    let mut out = format!("| h1 \\ h3 | {} |\n", h3s.iter().map(usize::to_string).collect::<Vec<_>>().join(" | "));
    out += &format!("|---|{}\n", "---|".repeat(h3s.len()));
    for h1 in &h1s {
        let cells: Vec<String> = h3s
            .iter()
            .map(|h3| {
                of_h2.iter().find(|c| c.config.widths.h1 == *h1 && c.config.widths.h3 == *h3).map_or(
                    String::new(),
                    |c| {
                        let p = c.proportion(class);
                        format!("{:.3} ({:.3}–{:.3})", p.estimate, p.ci_low, p.ci_high)
                    },
                )
            })
            .collect();
        out += &format!("| **{h1}** | {} |\n", cells.join(" | "));
    }
    out
}

impl Exporter for WidthsMarkdown {
    fn file_name(&self) -> &'static str {
        "widths.md"
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
                    out += &format!("\n### P({class}), h2 = {h2}\n\n{}", table(&group, class, h2));
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
        let md = WidthsMarkdown.render(&Report { summary, claims: Vec::new() }).unwrap();
        assert_eq!(md.matches("### P(optimal), h2 = ").count(), 2, "{md}");
        assert_eq!(md.matches("### P(all-gray), h2 = ").count(), 2, "{md}");
        // h2 = 1: h1 ∈ {1, 2}, h3 ∈ {1, 2}; 1-1-1 was not run and stays empty.
        assert!(md.contains("| h1 \\ h3 | 1 | 2 |\n|---|---|---|\n| **1** |  | 0.250 (0.006–0.806) |\n"), "{md}");
        assert!(md.contains("| **2** | 0.250 (0.006–0.806) | 0.250 (0.006–0.806) |"), "{md}");
    }
}
