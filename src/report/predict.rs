//! `aemc predict`'s output: the init-time events' probabilities as a table, CSV or JSON.

use super::table::Table;
use super::{csv_string, num};
use crate::analysis::exact::Prediction;

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

/// The predictions in the chosen format.
pub fn render(preds: &[Prediction], format: Format) -> anyhow::Result<String> {
    Ok(match format {
        Format::Csv => {
            let opt = |x: Option<f64>| x.map_or(String::new(), num);
            csv_string(
                &["event", "paper", "exact", "error", "note"],
                preds.iter().map(|p| vec![p.event.clone(), opt(p.paper), opt(p.exact), opt(p.error), p.note.clone()]),
            )?
        }
        Format::Json => serde_json::to_string_pretty(preds)? + "\n",
        Format::Table => {
            let mut t = Table::new(&["event", "paper", "exact", "error ≤"]);
            let fixed = |x: Option<f64>| x.map_or("—".to_string(), |v| format!("{v:.6}"));
            for p in preds {
                let error = p.error.map_or("—".to_string(), |e| format!("{e:.0e}"));
                t.push(vec![p.event.clone(), fixed(p.paper), fixed(p.exact), error]);
            }
            let notes: Vec<String> = preds.iter().map(|p| format!("  {}: {}", p.event, p.note)).collect();
            format!("{}\nNotes:\n{}\n", t.to_text(), notes.join("\n"))
        }
    })
}
