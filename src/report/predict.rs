//! `aemc predict`'s output: the init-time events' probabilities as a table, CSV or JSON,
//! each marked exact or Monte Carlo.

use super::table::Table;
use super::{csv_string, num};
use crate::analysis::exact::Prediction;

/// Output formats of `aemc predict`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Aligned text.
    Table,
    /// CSV with columns event,paper,probability,method,error,ci_low,ci_high,note.
    Csv,
    /// JSON.
    Json,
}

/// The predictions in the chosen format.
pub fn render(preds: &[Prediction], format: Format) -> anyhow::Result<String> {
    Ok(match format {
        Format::Csv => {
            let opt = |x: Option<f64>| x.map_or(String::new(), num);
            csv_string(
                &["event", "paper", "probability", "method", "error", "ci_low", "ci_high", "note"],
                preds.iter().map(|p| {
                    vec![
                        p.event.clone(),
                        opt(p.paper),
                        num(p.probability),
                        p.method.name().to_string(),
                        opt(p.error),
                        opt(p.ci.map(|c| c.0)),
                        opt(p.ci.map(|c| c.1)),
                        p.note.clone(),
                    ]
                }),
            )?
        }
        Format::Json => serde_json::to_string_pretty(preds)? + "\n",
        Format::Table => {
            let mut t = Table::new(&["event", "paper", "probability", "method", "error ≤ or 95% CI"]);
            for p in preds {
                let precision = match (p.error, p.ci) {
                    (Some(e), _) => format!("{e:.0e}"),
                    (None, Some((lo, hi))) => format!("[{lo:.6}, {hi:.6}]"),
                    (None, None) => "—".to_string(),
                };
                let paper = p.paper.map_or("—".to_string(), |v| format!("{v:.6}"));
                t.push(vec![
                    p.event.clone(),
                    paper,
                    format!("{:.6}", p.probability),
                    p.method.name().to_string(),
                    precision,
                ]);
            }
            let notes: Vec<String> = preds.iter().map(|p| format!("  {}: {}", p.event, p.note)).collect();
            format!("{}\nNotes:\n{}\n", t.to_text(), notes.join("\n"))
        }
    })
}
