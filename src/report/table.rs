//! A small table that renders as aligned text (terminal) or as Markdown.

/// Rows of cells under headers.
#[derive(Clone, Debug, Default)]
pub struct Table {
    /// Column headers.
    pub headers: Vec<String>,
    /// Rows, each as long as `headers`.
    pub rows: Vec<Vec<String>>,
}

impl Table {
    /// A table with the given headers and no rows.
    pub fn new(headers: &[&str]) -> Self {
        Table { headers: headers.iter().map(|h| h.to_string()).collect(), rows: Vec::new() }
    }

    /// Appends a row.
    pub fn push(&mut self, row: Vec<String>) {
        debug_assert_eq!(row.len(), self.headers.len());
        self.rows.push(row);
    }

    fn widths(&self) -> Vec<usize> {
        (0..self.headers.len())
            .map(|c| {
                self.rows
                    .iter()
                    .map(|r| r[c].chars().count())
                    .chain([self.headers[c].chars().count()])
                    .max()
                    .unwrap_or(0)
            })
            .collect()
    }

    fn render(&self, sep: &str, edge: bool, rule: impl Fn(usize) -> String) -> String {
        let widths = self.widths();
        let line = |cells: &[String]| {
            let padded: Vec<String> = cells.iter().zip(&widths).map(|(c, w)| format!("{c:<w$}")).collect();
            let body = padded.join(sep);
            if edge { format!("| {body} |") } else { body.trim_end().to_string() }
        };
        let mut out = vec![line(&self.headers)];
        let rules: Vec<String> = widths.iter().map(|&w| rule(w)).collect();
        out.push(if edge { format!("|{}|", rules.join("|")) } else { rules.join(sep) });
        out.extend(self.rows.iter().map(|r| line(r)));
        out.join("\n") + "\n"
    }

    /// Aligned plain text.
    pub fn to_text(&self) -> String {
        self.render("  ", false, |w| "─".repeat(w))
    }

    /// A GitHub-flavoured Markdown table.
    pub fn to_markdown(&self) -> String {
        self.render(" | ", true, |w| "-".repeat(w + 2))
    }
}
