//! The charts of a finished study, drawn from the CSV files in its results directory (what a
//! reader of the study has, and all the charts need):
//!
//! - `classes.svg` (summary.csv, claims.csv): each outcome class's frequency per configuration
//!   with its 95% interval, the paper's figures marked — the claims table as a chart; for
//!   studies of at most [`MAX_SERIES`] configurations;
//! - `p-optimal.svg`, `p-all-gray.svg` (summary.csv): P(optimal) and P(all gray) over a grid of
//!   widths, one panel per bottleneck width, rows h1 and columns h3;
//! - `roc.svg` (roc.csv): each configuration's ROC curve pooled over its runs, the AUC in the
//!   legend (the paper's Fig. 22);
//! - `sigma.svg` (runs.csv): histograms of A2's σ per run (the median over images and latent
//!   units), one panel per A2 configuration (the paper's Figs. 12–13 show σ of one run);
//! - `reconstructions.svg` (runs.csv, the 2×2 images): for each configuration (at most
//!   [`MAX_RECONSTRUCTED`]) and each class its runs ended in, the first such run's four
//!   reconstructions before and after the post-processing (output > 0.5), as the paper's
//!   Figs. 2, 9, 10 and 14–19 show single runs.

use std::path::Path;

use anyhow::Context;

use super::Figure;
use super::chart::{self, Axes, Curve, Estimate, HeatPanel};

/// Configurations a chart with one series each can show legibly.
pub const MAX_SERIES: usize = 10;

/// Configurations whose reconstructions one chart shows.
pub const MAX_RECONSTRUCTED: usize = 4;

/// Columns that say which configuration a row belongs to, in the order the CSVs write them.
const CONFIG_COLUMNS: [&str; 7] = ["dataset", "model", "widths", "init", "optimizer", "lr", "epochs"];

/// A CSV file of the study: its header and rows.
struct Table {
    header: Vec<String>,
    rows: Vec<csv::StringRecord>,
}

impl Table {
    /// `dir/name`, or None where the study has no such file.
    fn read(dir: &Path, name: &str) -> anyhow::Result<Option<Table>> {
        let path = dir.join(name);
        if !path.exists() {
            return Ok(None);
        }
        let mut reader = csv::Reader::from_path(&path).with_context(|| format!("reading {}", path.display()))?;
        let header = reader.headers()?.iter().map(str::to_owned).collect();
        let rows = reader.records().collect::<Result<_, _>>().with_context(|| format!("reading {}", path.display()))?;
        Ok(Some(Table { header, rows }))
    }

    /// Only the header of `dir/name`, or None.
    fn header(dir: &Path, name: &str) -> anyhow::Result<Option<Vec<String>>> {
        let path = dir.join(name);
        if !path.exists() {
            return Ok(None);
        }
        let mut reader = csv::Reader::from_path(&path).with_context(|| format!("reading {}", path.display()))?;
        Ok(Some(reader.headers()?.iter().map(str::to_owned).collect()))
    }

    fn column(&self, name: &str) -> anyhow::Result<usize> {
        self.header.iter().position(|h| h == name).with_context(|| format!("no column {name}"))
    }

    /// The configuration columns whose value differs between rows (so a label names what
    /// tells configurations apart), else `widths`.
    fn varying_config(&self) -> Vec<usize> {
        let present: Vec<usize> =
            CONFIG_COLUMNS.iter().filter_map(|name| self.header.iter().position(|h| h == name)).collect();
        let varying: Vec<usize> =
            present.iter().copied().filter(|&c| self.rows.iter().any(|r| r.get(c) != self.rows[0].get(c))).collect();
        if varying.is_empty() { self.header.iter().position(|h| h == "widths").into_iter().collect() } else { varying }
    }

    /// A row's configuration label over `columns`: the model as A1 or A2 with its reading.
    fn label(&self, row: &csv::StringRecord, columns: &[usize]) -> String {
        columns
            .iter()
            .map(|&c| {
                let value = row.get(c).unwrap_or("");
                match (self.header[c].as_str(), value.strip_prefix("vae:")) {
                    ("model", Some(reading)) => format!("A2 {reading}"),
                    ("model", None) if value == "ae" => "A1".to_owned(),
                    _ => value.to_owned(),
                }
            })
            .collect::<Vec<_>>()
            .join(" ")
    }

    /// Distinct labels over `columns` in order of first appearance.
    fn labels(&self, columns: &[usize]) -> Vec<String> {
        let mut seen: Vec<String> = Vec::new();
        for row in &self.rows {
            let label = self.label(row, columns);
            if !seen.contains(&label) {
                seen.push(label);
            }
        }
        seen
    }
}

fn number(row: &csv::StringRecord, column: usize) -> Option<f64> {
    row.get(column).and_then(|v| v.parse::<f64>().ok())
}

fn svg(file_name: &str, text: String) -> Figure {
    Figure { file_name: file_name.to_owned(), bytes: text.into_bytes() }
}

/// Every chart the study in `dir` has data for.
pub fn charts(dir: &Path) -> anyhow::Result<Vec<Figure>> {
    let mut figures = Vec::new();
    if let Some(summary) = Table::read(dir, "summary.csv")? {
        let claims = Table::read(dir, "claims.csv")?;
        figures.extend(class_charts(&summary, claims.as_ref())?);
    }
    if let Some(roc) = Table::read(dir, "roc.csv")? {
        figures.push(roc_chart(&roc)?);
    }
    if let Some(figure) = reconstructions(dir)? {
        figures.push(figure);
    }
    if Table::header(dir, "runs.csv")?.is_some_and(|h| h.iter().any(|c| c == "sigma_median")) {
        let runs = Table::read(dir, "runs.csv")?.expect("runs.csv exists");
        if let Some(figure) = sigma_chart(&runs)? {
            figures.push(figure);
        }
    }
    Ok(figures)
}

/// `classes.svg`, and the width heat maps where the study is a grid of widths.
fn class_charts(summary: &Table, claims: Option<&Table>) -> anyhow::Result<Vec<Figure>> {
    let (class, frequency, low, high) =
        (summary.column("class")?, summary.column("frequency")?, summary.column("ci_low")?, summary.column("ci_high")?);
    let config = summary.varying_config();
    let configs = summary.labels(&config);
    let mut classes: Vec<String> = Vec::new();
    for row in &summary.rows {
        let c = row.get(class).unwrap_or("").to_owned();
        if !classes.contains(&c) {
            classes.push(c);
        }
    }
    let mut figures = Vec::new();
    if configs.len() <= MAX_SERIES {
        let classes = &classes;
        let series: Vec<(String, Vec<Option<Estimate>>)> = configs
            .iter()
            .map(|label| {
                let values = classes
                    .iter()
                    .map(|c| {
                        summary
                            .rows
                            .iter()
                            .find(|r| summary.label(r, &config) == *label && r.get(class) == Some(c))
                            .and_then(|r| {
                                Some(Estimate {
                                    value: number(r, frequency)?,
                                    low: number(r, low)?,
                                    high: number(r, high)?,
                                })
                            })
                    })
                    .collect();
                (label.clone(), values)
            })
            .collect();
        let mut references: Vec<(usize, f64)> = Vec::new();
        if let Some(claims) =
            claims.filter(|t| t.header.iter().any(|h| h == "paper") && t.header.iter().any(|h| h == "class"))
        {
            let (class_column, paper) = (claims.column("class")?, claims.column("paper")?);
            for row in &claims.rows {
                let Some(i) = classes.iter().position(|c| Some(c.as_str()) == row.get(class_column)) else { continue };
                if let Some(v) = number(row, paper).filter(|v| !references.contains(&(i, *v))) {
                    references.push((i, v));
                }
            }
        }
        // Classes no run ended in, and no claim names, would only crowd the chart.
        let kept: Vec<usize> = (0..classes.len())
            .filter(|&i| {
                series.iter().any(|(_, v)| v[i].is_some_and(|e| e.value > 0.0)) || references.iter().any(|r| r.0 == i)
            })
            .collect();
        let classes: Vec<String> = kept.iter().map(|&i| classes[i].clone()).collect();
        let series: Vec<(String, Vec<Option<Estimate>>)> =
            series.into_iter().map(|(name, v)| (name, kept.iter().map(|&i| v[i]).collect())).collect();
        let references: Vec<(usize, f64)> =
            references.iter().filter_map(|&(i, v)| Some((kept.iter().position(|&k| k == i)?, v))).collect();
        let axes = Axes { title: "Outcome classes: frequency and 95% interval", x: "frequency", y: "" };
        figures.push(svg(
            "classes.svg",
            chart::intervals_by_category(axes, &classes, &series, &references, "the paper's figures")?,
        ));
    }
    if let Some(points) = width_grid(summary, class)? {
        let panels = grid_panels(&points);
        for (name, title) in [("optimal", "P(optimal)"), ("all-gray", "P(all gray)")] {
            let panels: Vec<HeatPanel> = panels.iter().map(|p| p.of(name)).collect();
            let axes = Axes { title, x: "h3", y: "h1" };
            figures.push(svg(&format!("p-{name}.svg"), chart::heat_maps(axes, &panels)?));
        }
    }
    Ok(figures)
}

/// One class's frequency at one point of a width grid.
struct GridPoint<'a> {
    widths: [usize; 3],
    class: &'a str,
    frequency: f64,
}

/// A width grid's frequencies on one bottleneck width h2, over h1 (rows) and h3 (columns).
struct GridPanel<'a> {
    h2: usize,
    h1s: Vec<usize>,
    h3s: Vec<usize>,
    points: Vec<&'a GridPoint<'a>>,
}

impl GridPanel<'_> {
    fn of(&self, class: &str) -> HeatPanel {
        let at = |h1: usize, h3: usize| {
            self.points.iter().find(|p| p.widths[0] == h1 && p.widths[2] == h3 && p.class == class).map(|p| p.frequency)
        };
        HeatPanel {
            caption: format!("bottleneck h2 = {}", self.h2),
            columns: self.h3s.iter().map(usize::to_string).collect(),
            rows: self.h1s.iter().map(usize::to_string).collect(),
            values: self.h1s.iter().map(|&h1| self.h3s.iter().map(|&h3| at(h1, h3)).collect()).collect(),
        }
    }
}

/// The distinct values of layer `k`'s width among `points`, in order.
fn distinct(points: &[GridPoint], k: usize) -> Vec<usize> {
    let mut v: Vec<usize> = points.iter().map(|p| p.widths[k]).collect();
    v.sort_unstable();
    v.dedup();
    v
}

/// The points of a width grid: where widths take at least 4 values and no other
/// configuration column varies.
fn width_grid(summary: &Table, class: usize) -> anyhow::Result<Option<Vec<GridPoint<'_>>>> {
    let widths = summary.column("widths")?;
    let frequency = summary.column("frequency")?;
    if summary.varying_config() != [widths] {
        return Ok(None);
    }
    let mut points = Vec::new();
    for row in &summary.rows {
        let parts: Vec<usize> = row.get(widths).unwrap_or("").split('-').filter_map(|w| w.parse().ok()).collect();
        let Ok(widths) = <[usize; 3]>::try_from(parts) else { return Ok(None) };
        points.push(GridPoint {
            widths,
            class: row.get(class).unwrap_or(""),
            frequency: number(row, frequency).unwrap_or(f64::NAN),
        });
    }
    let mut grid: Vec<[usize; 3]> = points.iter().map(|p| p.widths).collect();
    grid.sort_unstable();
    grid.dedup();
    Ok((grid.len() >= 4).then_some(points))
}

/// One panel per bottleneck width of a width grid's points.
fn grid_panels<'a>(points: &'a [GridPoint<'a>]) -> Vec<GridPanel<'a>> {
    let (h1s, h3s) = (distinct(points, 0), distinct(points, 2));
    distinct(points, 1)
        .into_iter()
        .map(|h2| GridPanel {
            h2,
            h1s: h1s.clone(),
            h3s: h3s.clone(),
            points: points.iter().filter(|p| p.widths[1] == h2).collect(),
        })
        .collect()
}

/// `roc.svg`: the pooled curve of every configuration.
fn roc_chart(roc: &Table) -> anyhow::Result<Figure> {
    let (curve, auc, fpr, tpr) = (roc.column("curve")?, roc.column("auc")?, roc.column("fpr")?, roc.column("tpr")?);
    let config = roc.varying_config();
    let mut curves: Vec<Curve> = Vec::new();
    for label in roc.labels(&config) {
        let rows: Vec<&csv::StringRecord> =
            roc.rows.iter().filter(|r| r.get(curve) == Some("pooled") && roc.label(r, &config) == label).collect();
        let Some(first) = rows.first() else { continue };
        let name = format!("{label} (AUC {:.3})", number(first, auc).unwrap_or(f64::NAN));
        curves.push(Curve {
            name,
            points: rows.iter().filter_map(|r| Some((number(r, fpr)?, number(r, tpr)?))).collect(),
        });
    }
    let axes = Axes { title: "ROC, pooled over runs", x: "false positive rate", y: "true positive rate" };
    Ok(svg("roc.svg", chart::unit_square_curves(axes, &curves)?))
}

/// `sigma.svg`, where some configuration has A2's σ.
fn sigma_chart(runs: &Table) -> anyhow::Result<Option<Figure>> {
    let sigma = runs.column("sigma_median")?;
    let config = runs.varying_config();
    let samples: Vec<(String, Vec<f64>)> = runs
        .labels(&config)
        .into_iter()
        .map(|label| {
            let values =
                runs.rows.iter().filter(|r| runs.label(r, &config) == label).filter_map(|r| number(r, sigma)).collect();
            (label, values)
        })
        .filter(|(_, values): &(String, Vec<f64>)| !values.is_empty())
        .collect();
    if samples.is_empty() {
        return Ok(None);
    }
    let axes = Axes { title: "A2's σ per run (median over images and latent units)", x: "σ", y: "runs" };
    Ok(Some(svg("sigma.svg", chart::log_histograms(axes, &samples, 24)?)))
}

/// `reconstructions.svg`, where runs.csv holds the 2×2 images' outputs; reads runs.csv row by
/// row and keeps only the first run of each (configuration, class).
fn reconstructions(dir: &Path) -> anyhow::Result<Option<Figure>> {
    let Some((header, chosen)) = first_runs_of_each_class(dir, 1, MAX_RECONSTRUCTED)? else { return Ok(None) };
    let position = |name: &str| header.iter().position(|h| h == name);
    let (Some(run), Some(first_output)) = (position("run"), position("out_1_1")) else { return Ok(None) };
    let firsts: Vec<&csv::StringRecord> = chosen.iter().flatten().flat_map(|(_, rows)| rows).collect();
    let table =
        Table { header: header.iter().map(str::to_owned).collect(), rows: firsts.into_iter().cloned().collect() };
    let shown = table.varying_config();
    let mut rows = Vec::new();
    for classes in &chosen {
        for class_name in crate::outcome::OutcomeClass::ALL.iter().map(|c| c.to_string()) {
            let Some((_, firsts)) = classes.iter().find(|(c, _)| *c == class_name) else { continue };
            let row = &firsts[0];
            let outputs: Vec<f32> =
                (0..16).map(|k| row.get(first_output + k).and_then(|v| v.parse().ok()).unwrap_or(f32::NAN)).collect();
            let before: Vec<Vec<f32>> = outputs.chunks(4).map(<[f32]>::to_vec).collect();
            let after: Vec<Vec<f32>> =
                before.iter().map(|image| image.iter().map(|&y| if y > 0.5 { 1.0 } else { 0.0 }).collect()).collect();
            rows.push(chart::ImageRow {
                label: format!("{} {class_name} (run {})", table.label(row, &shown), row.get(run).unwrap_or("")),
                images: before.into_iter().chain(after).collect(),
            });
        }
    }
    let svg = chart::image_rows(
        "Reconstructions of the 2×2 images, one run per class",
        2,
        4,
        &["reconstruction (images 1-4)", "after post-processing (> 0.5)"],
        &rows,
    )?;
    Ok(Some(Figure { file_name: "reconstructions.svg".to_owned(), bytes: svg.into_bytes() }))
}

/// runs.csv's rows as they stream, each with the index of its configuration (runs.csv's
/// order: a configuration ends where the cells before `run` change).
pub struct RunRows {
    /// runs.csv's header.
    pub header: csv::StringRecord,
    records: csv::StringRecordsIntoIter<std::fs::File>,
    path: std::path::PathBuf,
    /// Cells before `run`.
    key_len: usize,
    last: Option<csv::StringRecord>,
    config: usize,
}

impl RunRows {
    /// `dir/runs.csv`, or None where the directory has none (or it has no `run` column).
    pub fn open(dir: &Path) -> anyhow::Result<Option<RunRows>> {
        let path = dir.join("runs.csv");
        if !path.exists() {
            return Ok(None);
        }
        let mut reader = csv::Reader::from_path(&path).with_context(|| format!("reading {}", path.display()))?;
        let header = reader.headers()?.clone();
        let Some(key_len) = header.iter().position(|h| h == "run") else { return Ok(None) };
        Ok(Some(RunRows { header, records: reader.into_records(), path, key_len, last: None, config: 0 }))
    }

    /// The position of column `name`.
    pub fn column(&self, name: &str) -> Option<usize> {
        self.header.iter().position(|h| h == name)
    }
}

impl Iterator for RunRows {
    type Item = anyhow::Result<(usize, csv::StringRecord)>;

    fn next(&mut self) -> Option<Self::Item> {
        let row = match self.records.next()? {
            Ok(row) => row,
            Err(e) => return Some(Err(anyhow::Error::new(e).context(format!("reading {}", self.path.display())))),
        };
        let key_len = self.key_len;
        if self.last.as_ref().is_some_and(|last| !last.iter().take(key_len).eq(row.iter().take(key_len))) {
            self.config += 1;
        }
        self.last = Some(row.clone());
        Some(Ok((self.config, row)))
    }
}

/// One configuration's chosen rows, by class in order of first appearance.
pub type ClassRuns = Vec<(String, Vec<csv::StringRecord>)>;

/// Each configuration's first `k` rows of each class its runs ended in, in runs.csv's order;
/// None where runs.csv is missing, has no `class` column, or holds more than
/// `max_configs` configurations (found without reading on).
pub fn first_runs_of_each_class(
    dir: &Path,
    k: usize,
    max_configs: usize,
) -> anyhow::Result<Option<(csv::StringRecord, Vec<ClassRuns>)>> {
    let Some(rows) = RunRows::open(dir)? else { return Ok(None) };
    let Some(class) = rows.column("class") else { return Ok(None) };
    let header = rows.header.clone();
    let mut chosen: Vec<ClassRuns> = Vec::new();
    for row in rows {
        let (config, row) = row?;
        if config >= max_configs {
            return Ok(None);
        }
        if chosen.len() <= config {
            chosen.push(Vec::new());
        }
        let c = row.get(class).unwrap_or("");
        match chosen[config].iter_mut().find(|(name, _)| name == c) {
            Some((_, runs)) if runs.len() < k => runs.push(row),
            Some(_) => {}
            None => chosen[config].push((c.to_owned(), vec![row])),
        }
    }
    Ok(Some((header, chosen)))
}
