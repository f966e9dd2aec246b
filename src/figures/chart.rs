//! Charts as SVG text, drawn with plotters' SVG backend. No font library is involved: text is
//! written as `<text>` elements (plotters escapes it) and the viewer renders it, so labels are
//! placed from an estimate of their width; keep them short.
//!
//! Four kinds serve every figure: curves (ROC), estimates with intervals over categories
//! (class frequencies), heat maps over a grid (widths), and histograms in small multiples
//! (σ). Each takes plain numbers and labels; the caller decides what they mean.

use anyhow::anyhow;
use plotters::coord::ranged1d::{DefaultFormatting, KeyPointHint, Ranged};
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

use super::Colormap;

/// Series colours (matplotlib's tab10, the paper's plotting library's default cycle).
const PALETTE: [RGBColor; 10] = [
    RGBColor(31, 119, 180),
    RGBColor(255, 127, 14),
    RGBColor(44, 160, 44),
    RGBColor(214, 39, 40),
    RGBColor(148, 103, 189),
    RGBColor(140, 86, 75),
    RGBColor(227, 119, 194),
    RGBColor(127, 127, 127),
    RGBColor(188, 189, 34),
    RGBColor(23, 190, 207),
];

/// The colour of series `k`.
pub fn colour(k: usize) -> RGBColor {
    PALETTE[k % PALETTE.len()]
}

/// Font sizes (plotters writes 1/1.24 of them into the SVG).
const TITLE: u32 = 22;
const AXIS: u32 = 17;
const TICKS: u32 = 14;

/// plotters' errors borrow the backend; keep their text.
fn drawing<E: std::fmt::Debug>(e: E) -> anyhow::Error {
    anyhow!("drawing a chart: {e:?}")
}

/// A named series of points.
#[derive(Clone, Debug, PartialEq)]
pub struct Curve {
    /// Its legend entry.
    pub name: String,
    /// (x, y) in order.
    pub points: Vec<(f64, f64)>,
}

/// Axis descriptions of a chart.
#[derive(Clone, Copy, Debug)]
pub struct Axes<'a> {
    pub title: &'a str,
    pub x: &'a str,
    pub y: &'a str,
}

/// Curves on [0, 1]² with the diagonal dashed (a ROC chart), legend at the lower right.
pub fn unit_square_curves(axes: Axes, curves: &[Curve]) -> anyhow::Result<String> {
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (640, 600)).into_drawing_area();
        root.fill(&WHITE).map_err(drawing)?;
        let mut chart = ChartBuilder::on(&root)
            .caption(axes.title, ("sans-serif", TITLE))
            .margin(16)
            .x_label_area_size(48)
            .y_label_area_size(60)
            .build_cartesian_2d(0f64..1f64, 0f64..1f64)
            .map_err(drawing)?;
        chart
            .configure_mesh()
            .x_desc(axes.x)
            .y_desc(axes.y)
            .axis_desc_style(("sans-serif", AXIS))
            .label_style(("sans-serif", TICKS))
            .x_labels(6)
            .y_labels(6)
            .x_label_formatter(&|v| format!("{v:.1}"))
            .y_label_formatter(&|v| format!("{v:.1}"))
            .light_line_style(TRANSPARENT)
            .draw()
            .map_err(drawing)?;
        chart
            .draw_series(DashedLineSeries::new([(0.0, 0.0), (1.0, 1.0)], 5, 5, BLACK.mix(0.4).stroke_width(1)))
            .map_err(drawing)?;
        for (k, curve) in curves.iter().enumerate() {
            let style = colour(k).stroke_width(2);
            chart
                .draw_series(LineSeries::new(curve.points.iter().copied(), style))
                .map_err(drawing)?
                .label(curve.name.as_str())
                .legend(move |(x, y)| PathElement::new([(x, y), (x + 20, y)], style));
        }
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::LowerRight)
            .label_font(("sans-serif", TICKS))
            .background_style(WHITE.mix(0.9))
            .border_style(BLACK)
            .draw()
            .map_err(drawing)?;
        root.present().map_err(drawing)?;
    }
    Ok(svg)
}

/// Categories on an axis: category i sits at i, one tick each (plotters' segmented integer
/// axes add an empty slot, and f64 key points cannot be formatted by the mesh).
#[derive(Clone)]
struct Categories(usize);

impl Ranged for Categories {
    type ValueType = f64;
    type FormatOption = DefaultFormatting;
    fn range(&self) -> std::ops::Range<f64> {
        -0.5..self.0 as f64 - 0.5
    }
    fn map(&self, v: &f64, limit: (i32, i32)) -> i32 {
        let t = (v + 0.5) / self.0.max(1) as f64;
        limit.0 + (t * f64::from(limit.1 - limit.0)).round() as i32
    }
    fn key_points<H: KeyPointHint>(&self, _hint: H) -> Vec<f64> {
        (0..self.0).map(|i| i as f64).collect()
    }
}

/// The label of category `v` (a tick at an integer), else nothing.
fn category_label(labels: &[String], v: f64) -> String {
    let i = v.round();
    if (v - i).abs() < 1e-9 && i >= 0.0 && (i as usize) < labels.len() {
        labels[i as usize].clone()
    } else {
        String::new()
    }
}

/// An estimate and its interval.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Estimate {
    pub value: f64,
    pub low: f64,
    pub high: f64,
}

/// Estimates with intervals over categories, one row per category (top to bottom, so long
/// names stay legible) and one series per group side by side within it, and reference values
/// drawn as short black bars across their category (the paper's figures); on [0, 1], or
/// [0, max] when everything is lower.
pub fn intervals_by_category(
    axes: Axes,
    categories: &[String],
    series: &[(String, Vec<Option<Estimate>>)],
    references: &[(usize, f64)],
    reference_name: &str,
) -> anyhow::Result<String> {
    let n = categories.len();
    let top = series
        .iter()
        .flat_map(|(_, values)| values.iter().flatten().map(|e| e.high))
        .chain(references.iter().map(|r| r.1))
        .fold(0.0f64, f64::max);
    let top = if top > 0.0 { (top * 1.15).min(1.0) } else { 1.0 };
    let longest = categories.iter().map(|c| c.chars().count()).max().unwrap_or(0) as u32;
    // Row k of the chart (from the top) is category k.
    let at = |k: usize| (n - 1 - k) as f64;
    let mut svg = String::new();
    {
        let height = (150 + 34 * (n as u32) * (series.len().max(2) as u32).min(4)).max(120 + 24 * series.len() as u32);
        let legend_width = 40
            + 8 * series
                .iter()
                .map(|(name, _)| name.chars().count())
                .chain([reference_name.chars().count()])
                .max()
                .unwrap_or(0) as u32;
        let root = SVGBackend::with_string(&mut svg, (700 + legend_width, height)).into_drawing_area();
        root.fill(&WHITE).map_err(drawing)?;
        // The legend beside the chart, where it cannot cover a point.
        let (plot, legend) = root.split_horizontally(700);
        let mut chart = ChartBuilder::on(&plot)
            .caption(axes.title, ("sans-serif", TITLE))
            .margin(16)
            .x_label_area_size(48)
            .y_label_area_size(24 + 8 * longest)
            .build_cartesian_2d(0f64..top, Categories(n))
            .map_err(drawing)?;
        let labels = categories.to_vec();
        chart
            .configure_mesh()
            .disable_y_mesh()
            .light_line_style(TRANSPARENT)
            .x_desc(axes.x)
            .y_desc(axes.y)
            .axis_desc_style(("sans-serif", AXIS))
            .label_style(("sans-serif", TICKS))
            .y_label_formatter(&|v| category_label(&labels, (n as f64 - 1.0) - *v))
            .x_label_formatter(&|v| format!("{v:.2}"))
            .draw()
            .map_err(drawing)?;
        let groups = series.len().max(1) as f64;
        let spread = 0.6;
        let entry = |k: usize| 60 + 24 * k as i32;
        let font = ("sans-serif", TICKS).into_font().color(&BLACK).pos(Pos::new(HPos::Left, VPos::Center));
        for (k, (name, values)) in series.iter().enumerate() {
            let shift = if groups > 1.0 { spread / 2.0 - spread * k as f64 / (groups - 1.0) } else { 0.0 };
            let style = colour(k).filled().stroke_width(2);
            chart
                .draw_series(values.iter().enumerate().filter_map(|(i, e)| {
                    e.map(|e| ErrorBar::new_horizontal(at(i) + shift, e.low, e.value, e.high, style, 8))
                }))
                .map_err(drawing)?;
            legend.draw(&Circle::new((14, entry(k)), 4, style)).map_err(drawing)?;
            legend.draw(&Text::new(name.as_str(), (28, entry(k)), font.clone())).map_err(drawing)?;
        }
        if !references.is_empty() {
            let style = BLACK.stroke_width(3);
            chart
                .draw_series(
                    references.iter().map(|&(i, v)| PathElement::new([(v, at(i) - 0.42), (v, at(i) + 0.42)], style)),
                )
                .map_err(drawing)?;
            let y = entry(series.len());
            legend.draw(&PathElement::new([(14, y - 8), (14, y + 8)], style)).map_err(drawing)?;
            legend.draw(&Text::new(reference_name, (28, y), font.clone())).map_err(drawing)?;
        }
        root.present().map_err(drawing)?;
    }
    Ok(svg)
}

/// One panel of a heat map: `values[row][column]`, row 0 drawn at the top; a missing value
/// is left white.
#[derive(Clone, Debug, PartialEq)]
pub struct HeatPanel {
    pub caption: String,
    pub columns: Vec<String>,
    pub rows: Vec<String>,
    pub values: Vec<Vec<Option<f64>>>,
}

/// Heat maps side by side on one colour scale from 0 to the largest value (viridis), each cell
/// printed with its value.
pub fn heat_maps(axes: Axes, panels: &[HeatPanel]) -> anyhow::Result<String> {
    let top = panels.iter().flat_map(|p| p.values.iter().flatten().flatten()).fold(0.0f64, |m, &v| m.max(v));
    let scale = if top > 0.0 { top } else { 1.0 };
    let mut svg = String::new();
    {
        let side = 420u32;
        let root =
            SVGBackend::with_string(&mut svg, (side * panels.len().max(1) as u32, side + 60)).into_drawing_area();
        root.fill(&WHITE).map_err(drawing)?;
        let root = root.titled(axes.title, ("sans-serif", TITLE)).map_err(drawing)?;
        for (panel, area) in panels.iter().zip(root.split_evenly((1, panels.len().max(1)))) {
            let (nx, ny) = (panel.columns.len(), panel.rows.len());
            let mut chart = ChartBuilder::on(&area)
                .caption(&panel.caption, ("sans-serif", AXIS))
                .margin(12)
                .x_label_area_size(44)
                .y_label_area_size(52)
                .build_cartesian_2d(Categories(nx), Categories(ny))
                .map_err(drawing)?;
            let (columns, rows) = (panel.columns.clone(), panel.rows.clone());
            chart
                .configure_mesh()
                .disable_mesh()
                .x_desc(axes.x)
                .y_desc(axes.y)
                .axis_desc_style(("sans-serif", AXIS))
                .label_style(("sans-serif", TICKS))
                .x_label_formatter(&|v| category_label(&columns, *v))
                .y_label_formatter(&|v| category_label(&rows, (ny as f64 - 1.0) - *v))
                .draw()
                .map_err(drawing)?;
            for (r, row) in panel.values.iter().enumerate() {
                let y = (ny - 1 - r) as f64;
                for (c, value) in row.iter().enumerate() {
                    let Some(v) = value else { continue };
                    let x = c as f64;
                    let [red, green, blue] = Colormap::Viridis.rgb((v / scale) as f32);
                    let cell = [(x - 0.5, y - 0.5), (x + 0.5, y + 0.5)];
                    chart
                        .draw_series([
                            Rectangle::new(cell, RGBColor(red, green, blue).filled()),
                            Rectangle::new(cell, WHITE.stroke_width(1)),
                        ])
                        .map_err(drawing)?;
                    let ink = if v / scale > 0.6 { BLACK } else { WHITE };
                    let style = ("sans-serif", TICKS).into_font().color(&ink).pos(Pos::new(HPos::Center, VPos::Center));
                    chart.draw_series([Text::new(format!("{v:.2}"), (x, y), style)]).map_err(drawing)?;
                }
            }
        }
        root.present().map_err(drawing)?;
    }
    Ok(svg)
}

/// Panels stacked over one x range, each with its curves (the same series in every panel,
/// one legend beside them), an optional dashed reference level, and dashed vertical markers
/// labelled at the top of the first panel (the images' codes in `aemc inspect`).
pub fn stacked_curves(
    title: &str,
    x: &str,
    panels: &[(String, Vec<Curve>, Option<f64>)],
    x_range: (f64, f64),
    markers: &[(f64, String)],
) -> anyhow::Result<String> {
    let mut svg = String::new();
    {
        let height = 60 + 300 * panels.len().max(1) as u32;
        let root = SVGBackend::with_string(&mut svg, (860, height)).into_drawing_area();
        root.fill(&WHITE).map_err(drawing)?;
        let root = root.titled(title, ("sans-serif", TITLE)).map_err(drawing)?;
        let (plots, legend) = root.split_horizontally(720);
        for (k, ((y, curves, reference), area)) in
            panels.iter().zip(plots.split_evenly((panels.len().max(1), 1))).enumerate()
        {
            let values =
                curves.iter().flat_map(|c| c.points.iter().map(|p| p.1)).chain(*reference).filter(|v| v.is_finite());
            let (low, high) = values.fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), v| (a.min(v), b.max(v)));
            let (low, high) = if low < high { (low, high) } else { (low - 1.0, low + 1.0) };
            let pad = (high - low) * 0.08;
            let mut chart = ChartBuilder::on(&area)
                .margin(12)
                .margin_top(if k == 0 { 28 } else { 12 })
                .x_label_area_size(44)
                .y_label_area_size(64)
                .build_cartesian_2d(x_range.0..x_range.1, (low - pad)..(high + pad))
                .map_err(drawing)?;
            chart
                .configure_mesh()
                .light_line_style(TRANSPARENT)
                .x_desc(x)
                .y_desc(y.as_str())
                .axis_desc_style(("sans-serif", AXIS))
                .label_style(("sans-serif", TICKS))
                .x_label_formatter(&|v| format!("{v:.1}"))
                .y_label_formatter(&|v| format!("{v:.2}"))
                .draw()
                .map_err(drawing)?;
            if let Some(level) = *reference {
                chart
                    .draw_series(DashedLineSeries::new(
                        [(x_range.0, level), (x_range.1, level)],
                        6,
                        4,
                        BLACK.mix(0.5).stroke_width(1),
                    ))
                    .map_err(drawing)?;
            }
            for (at, _) in markers {
                chart
                    .draw_series(DashedLineSeries::new(
                        [(*at, low - pad), (*at, high + pad)],
                        3,
                        3,
                        BLACK.mix(0.35).stroke_width(1),
                    ))
                    .map_err(drawing)?;
            }
            for (j, curve) in curves.iter().enumerate() {
                chart
                    .draw_series(LineSeries::new(curve.points.iter().copied(), colour(j).stroke_width(2)))
                    .map_err(drawing)?;
            }
            if k == 0 {
                // Marker labels above the panel, staggered so that close codes stay legible.
                let font = ("sans-serif", 12).into_font().color(&BLACK).pos(Pos::new(HPos::Center, VPos::Bottom));
                for (m, (at, label)) in markers.iter().enumerate() {
                    let (px, _) = chart.backend_coord(&(*at, high + pad));
                    let top = area.get_base_pixel().1;
                    let row = if m % 2 == 0 { 14 } else { 26 };
                    root.draw(&Text::new(label.as_str(), (px, top + row), font.clone())).map_err(drawing)?;
                }
            }
        }
        let font = ("sans-serif", TICKS).into_font().color(&BLACK).pos(Pos::new(HPos::Left, VPos::Center));
        if let Some((_, curves, _)) = panels.first() {
            for (j, curve) in curves.iter().enumerate() {
                let y = 40 + 24 * j as i32;
                let style = colour(j).stroke_width(2);
                legend.draw(&PathElement::new([(8, y), (28, y)], style)).map_err(drawing)?;
                legend.draw(&Text::new(curve.name.as_str(), (34, y), font.clone())).map_err(drawing)?;
            }
        }
        root.present().map_err(drawing)?;
    }
    Ok(svg)
}

/// One row of images: its label and the images (row-major values in [0, 1]).
#[derive(Clone, Debug, PartialEq)]
pub struct ImageRow {
    pub label: String,
    pub images: Vec<Vec<f32>>,
}

/// Rows of images of `side` × `side` pixels, each pixel a viridis block, each row labelled at
/// its left and a gap after every `group` images (a reconstruction beside its post-processed
/// copy); `columns` heads the groups.
pub fn image_rows(
    title: &str,
    side: usize,
    group: usize,
    columns: &[&str],
    rows: &[ImageRow],
) -> anyhow::Result<String> {
    let block = (48 / side.max(1)).max(2) as i32;
    let image = block * side as i32;
    let gap = 6;
    let label_width = 8 * rows.iter().map(|r| r.label.chars().count()).max().unwrap_or(0) as i32 + 16;
    let per_row = rows.iter().map(|r| r.images.len()).max().unwrap_or(0) as i32;
    let groups = (per_row + group as i32 - 1) / group.max(1) as i32;
    let width = label_width + per_row * (image + gap) + groups * 3 * gap + gap;
    let (top, row_height) = (64, image + 2 * gap);
    let height = top + rows.len() as i32 * row_height + gap;
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (width.max(320) as u32, height as u32)).into_drawing_area();
        root.fill(&WHITE).map_err(drawing)?;
        let root = root.titled(title, ("sans-serif", TITLE)).map_err(drawing)?;
        let x_of = |k: usize| label_width + k as i32 * (image + gap) + (k / group.max(1)) as i32 * 3 * gap;
        let head = ("sans-serif", TICKS).into_font().color(&BLACK).pos(Pos::new(HPos::Left, VPos::Bottom));
        for (g, name) in columns.iter().enumerate() {
            root.draw(&Text::new(*name, (x_of(g * group), top - 36), head.clone())).map_err(drawing)?;
        }
        let font = ("sans-serif", TICKS).into_font().color(&BLACK).pos(Pos::new(HPos::Right, VPos::Center));
        for (r, row) in rows.iter().enumerate() {
            let y0 = top - 30 + r as i32 * row_height;
            root.draw(&Text::new(row.label.as_str(), (label_width - 10, y0 + image / 2), font.clone()))
                .map_err(drawing)?;
            for (k, pixels) in row.images.iter().enumerate() {
                let x0 = x_of(k);
                for (p, &v) in pixels.iter().enumerate() {
                    let (i, j) = ((p / side) as i32, (p % side) as i32);
                    let [red, green, blue] = Colormap::Viridis.rgb(v);
                    let corner = (x0 + j * block, y0 + i * block);
                    root.draw(&Rectangle::new(
                        [corner, (corner.0 + block, corner.1 + block)],
                        RGBColor(red, green, blue).filled(),
                    ))
                    .map_err(drawing)?;
                }
            }
        }
        root.present().map_err(drawing)?;
    }
    Ok(svg)
}

/// Curves drawn in one colour under one legend entry: its name and each run's points.
pub type CurveGroup = (String, Vec<Vec<(f64, f64)>>);

/// A panel of curve groups: its caption and groups.
pub type GroupPanel = (String, Vec<CurveGroup>);

/// Loss traces on a log y axis, one panel per configuration (name, groups) side by side;
/// within a panel, each group (a class) is several runs' curves (x, y) in one colour, and one
/// legend beside the panels names the groups. Values ≤ 0 are left out.
pub fn grouped_traces(axes: Axes, panels: &[GroupPanel]) -> anyhow::Result<String> {
    let mut names: Vec<&str> = Vec::new();
    for (_, groups) in panels {
        for (name, _) in groups {
            if !names.contains(&name.as_str()) {
                names.push(name);
            }
        }
    }
    let points = || panels.iter().flat_map(|(_, g)| g.iter().flat_map(|(_, runs)| runs.iter().flatten()));
    let x_high = points().map(|p| p.0).fold(1.0f64, f64::max);
    let positive = || points().map(|p| p.1).filter(|y| y.is_finite() && *y > 0.0);
    let low = 10f64.powf(positive().fold(f64::INFINITY, f64::min).log10().floor());
    let high = 10f64.powf(positive().fold(f64::NEG_INFINITY, f64::max).log10().ceil());
    let (low, high) = if low.is_finite() && high > low { (low, high) } else { (1e-3, 1.0) };
    let legend_width = 40 + 8 * names.iter().map(|n| n.chars().count()).max().unwrap_or(0) as u32;
    let panel_width = 520u32;
    let mut svg = String::new();
    {
        let width = panel_width * panels.len().max(1) as u32;
        let root = SVGBackend::with_string(&mut svg, (width + legend_width, 460)).into_drawing_area();
        root.fill(&WHITE).map_err(drawing)?;
        let root = root.titled(axes.title, ("sans-serif", TITLE)).map_err(drawing)?;
        let (plots, legend) = root.split_horizontally(width);
        for ((caption, groups), area) in panels.iter().zip(plots.split_evenly((1, panels.len().max(1)))) {
            let mut chart = ChartBuilder::on(&area)
                .caption(caption, ("sans-serif", TICKS))
                .margin(12)
                .x_label_area_size(44)
                .y_label_area_size(64)
                .build_cartesian_2d(0f64..x_high, (low..high).log_scale())
                .map_err(drawing)?;
            chart
                .configure_mesh()
                .light_line_style(TRANSPARENT)
                .x_desc(axes.x)
                .y_desc(axes.y)
                .axis_desc_style(("sans-serif", AXIS))
                .label_style(("sans-serif", TICKS))
                .x_labels(5)
                .x_label_formatter(&|v| format!("{v:.0}"))
                .y_label_formatter(&|v| log_tick(*v))
                .draw()
                .map_err(drawing)?;
            for (name, runs) in groups {
                let k = names.iter().position(|n| n == name).unwrap_or(0);
                for run in runs {
                    let kept = run.iter().copied().filter(|p| p.1.is_finite() && p.1 > 0.0);
                    chart.draw_series(LineSeries::new(kept, colour(k).stroke_width(2))).map_err(drawing)?;
                }
            }
        }
        let font = ("sans-serif", TICKS).into_font().color(&BLACK).pos(Pos::new(HPos::Left, VPos::Center));
        for (k, name) in names.iter().enumerate() {
            let y = 40 + 24 * k as i32;
            legend.draw(&PathElement::new([(8, y), (28, y)], colour(k).stroke_width(2))).map_err(drawing)?;
            legend.draw(&Text::new(*name, (34, y), font.clone())).map_err(drawing)?;
        }
        root.present().map_err(drawing)?;
    }
    Ok(svg)
}

/// Histograms side by side, one panel per sample (name, values) on its own x range from its
/// least to its largest value, `bins` bins each; values not finite are left out.
pub fn histograms(axes: Axes, samples: &[(String, Vec<f64>)], bins: usize) -> anyhow::Result<String> {
    let bins = bins.max(1);
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (420 * samples.len().max(1) as u32, 330)).into_drawing_area();
        root.fill(&WHITE).map_err(drawing)?;
        let root = root.titled(axes.title, ("sans-serif", TITLE)).map_err(drawing)?;
        for (k, ((name, values), area)) in samples.iter().zip(root.split_evenly((1, samples.len().max(1)))).enumerate()
        {
            let finite: Vec<f64> = values.iter().copied().filter(|v| v.is_finite()).collect();
            let (low, high) = finite.iter().fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &v| (a.min(v), b.max(v)));
            let (low, high) = if !low.is_finite() {
                (0.0, 1.0)
            } else if high > low {
                (low, high)
            } else {
                (low - 0.5 * low.abs().max(1e-3), high + 0.5 * high.abs().max(1e-3))
            };
            let width = (high - low) / bins as f64;
            let mut counts = vec![0u32; bins];
            for &v in &finite {
                counts[(((v - low) / width) as usize).min(bins - 1)] += 1;
            }
            let most = counts.iter().copied().max().unwrap_or(0).max(1);
            let mut chart = ChartBuilder::on(&area)
                .caption(name, ("sans-serif", AXIS))
                .margin(12)
                .x_label_area_size(40)
                .y_label_area_size(48)
                .build_cartesian_2d(low..high, 0f64..f64::from(most) * 1.1)
                .map_err(drawing)?;
            chart
                .configure_mesh()
                .disable_x_mesh()
                .light_line_style(TRANSPARENT)
                .x_desc(axes.x)
                .y_desc(axes.y)
                .axis_desc_style(("sans-serif", TICKS))
                .label_style(("sans-serif", 12))
                .x_labels(5)
                .y_labels(4)
                .x_label_formatter(&|v| format!("{v:.3}"))
                .y_label_formatter(&|v| format!("{v:.0}"))
                .draw()
                .map_err(drawing)?;
            let fill = colour(k).mix(0.8).filled();
            chart
                .draw_series(counts.iter().enumerate().filter(|(_, c)| **c > 0).map(|(b, &c)| {
                    let x = low + b as f64 * width;
                    Rectangle::new([(x, 0.0), (x + width, f64::from(c))], fill)
                }))
                .map_err(drawing)?;
        }
        root.present().map_err(drawing)?;
    }
    Ok(svg)
}

/// A tick label on a log axis: the value with as many decimals as its first digit needs, or
/// as `1e-5` below 0.001.
fn log_tick(v: f64) -> String {
    // Key points come as computed powers (9.999…e-5); a hair of tolerance names them.
    if v < 0.99e-3 {
        return format!("{v:.0e}");
    }
    let decimals = (-v.log10() - 1e-6).ceil().max(0.0) as usize;
    format!("{v:.decimals$}")
}

/// Histograms in small multiples, one panel per sample (name, positive values), on one
/// logarithmic x range spanning every sample's decades, `bins` bins of equal width in log x;
/// values ≤ 0 or not finite are left out.
pub fn log_histograms(axes: Axes, samples: &[(String, Vec<f64>)], bins: usize) -> anyhow::Result<String> {
    let positive = || samples.iter().flat_map(|(_, v)| v.iter().copied()).filter(|v| v.is_finite() && *v > 0.0);
    let low = 10f64.powf(positive().fold(f64::INFINITY, f64::min).log10().floor());
    // A decade past the largest value when it sits near a power of 10, so its bar shows.
    let high = 10f64.powf((positive().fold(f64::NEG_INFINITY, f64::max) * 1.2).log10().ceil());
    let (low, high) = if low.is_finite() && high > low { (low, high) } else { (0.1, 1.0) };
    let bins = bins.max(1);
    let step = (high / low).log10() / bins as f64;
    let edge = |b: usize| low * 10f64.powf(step * b as f64);
    let columns = samples.len().clamp(1, 4);
    let rows = samples.len().div_ceil(columns).max(1);
    let mut svg = String::new();
    {
        // Wide enough for the longest caption (about 7 pixels a character at this size).
        let longest = samples.iter().map(|(name, _)| name.chars().count()).max().unwrap_or(0) as u32;
        let (panel_w, panel_h) = ((7 * longest + 40).max(340), 240u32);
        let root = SVGBackend::with_string(&mut svg, (panel_w * columns as u32, panel_h * rows as u32 + 50))
            .into_drawing_area();
        root.fill(&WHITE).map_err(drawing)?;
        let root = root.titled(axes.title, ("sans-serif", TITLE)).map_err(drawing)?;
        for (k, ((name, values), area)) in samples.iter().zip(root.split_evenly((rows, columns))).enumerate() {
            let mut counts = vec![0u32; bins];
            for &v in values.iter().filter(|v| v.is_finite() && **v > 0.0) {
                counts[(((v / low).log10() / step) as usize).min(bins - 1)] += 1;
            }
            let most = counts.iter().copied().max().unwrap_or(0).max(1);
            let mut chart = ChartBuilder::on(&area)
                .caption(name, ("sans-serif", TICKS))
                .margin(8)
                .x_label_area_size(36)
                .y_label_area_size(44)
                .build_cartesian_2d((low..high).log_scale(), 0f64..f64::from(most) * 1.1)
                .map_err(drawing)?;
            chart
                .configure_mesh()
                .disable_x_mesh()
                .light_line_style(TRANSPARENT)
                .x_desc(axes.x)
                .y_desc(axes.y)
                .axis_desc_style(("sans-serif", TICKS))
                .label_style(("sans-serif", 12))
                .y_labels(4)
                .x_label_formatter(&|v| log_tick(*v))
                .y_label_formatter(&|v| format!("{v:.0}"))
                .draw()
                .map_err(drawing)?;
            let fill = colour(k).mix(0.8).filled();
            chart
                .draw_series(
                    counts
                        .iter()
                        .enumerate()
                        .filter(|(_, c)| **c > 0)
                        .map(|(b, &c)| Rectangle::new([(edge(b), 0.0), (edge(b + 1), f64::from(c))], fill)),
                )
                .map_err(drawing)?;
        }
        root.present().map_err(drawing)?;
    }
    Ok(svg)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The SVG parsed as XML (a test fails on malformed output).
    fn parse(svg: &str) -> roxmltree::Document<'_> {
        roxmltree::Document::parse(svg).expect("the SVG is well-formed XML")
    }

    /// Texts of the `<text>` elements (plotters ends each with a newline).
    fn texts(doc: &roxmltree::Document) -> Vec<String> {
        doc.descendants().filter(|n| n.has_tag_name("text")).map(|n| n.text().unwrap_or("").trim().to_owned()).collect()
    }

    /// Elements named `tag` whose attribute `attribute` is series k's colour.
    fn in_colour(doc: &roxmltree::Document, tag: &str, attribute: &str, k: usize) -> usize {
        let RGBColor(r, g, b) = colour(k);
        let hex = format!("#{r:02X}{g:02X}{b:02X}");
        doc.descendants().filter(|n| n.has_tag_name(tag) && n.attribute(attribute) == Some(hex.as_str())).count()
    }

    const AXES: Axes = Axes { title: "a & b < c", x: "x", y: "y" };

    #[test]
    fn curves_have_one_line_and_one_legend_entry_each() {
        let curves: Vec<Curve> = (0..3)
            .map(|k| Curve {
                name: format!("model {k} <AUC>"),
                points: vec![(0.0, 0.0), (0.5, 0.2 * k as f64), (1.0, 1.0)],
            })
            .collect();
        let svg = unit_square_curves(AXES, &curves).unwrap();
        let doc = parse(&svg);
        let texts = texts(&doc);
        assert!(texts.contains(&"a & b < c".to_owned()), "the title, escaped and parsed back: {texts:?}");
        for k in 0..3 {
            assert!(texts.contains(&format!("model {k} <AUC>")));
            // The curve and its legend sample.
            assert_eq!(in_colour(&doc, "polyline", "stroke", k), 2, "series {k}");
        }
    }

    #[test]
    fn intervals_draw_a_point_per_estimate_and_the_references() {
        let categories: Vec<String> = ["optimal", "gray-pair", "all-gray"].map(String::from).to_vec();
        let estimate = |v: f64| Some(Estimate { value: v, low: v - 0.05, high: v + 0.05 });
        let series = vec![
            ("2-1-2".to_owned(), vec![estimate(0.1), estimate(0.3), estimate(0.3)]),
            ("5-2-5".to_owned(), vec![estimate(0.9), None, estimate(0.05)]),
        ];
        let svg =
            intervals_by_category(AXES, &categories, &series, &[(0, 0.125), (2, 1.0 / 3.0)], "the paper").unwrap();
        let doc = parse(&svg);
        // One point per estimate, one in the legend.
        assert_eq!(in_colour(&doc, "circle", "fill", 0), 4);
        assert_eq!(in_colour(&doc, "circle", "fill", 1), 3);
        let texts = texts(&doc);
        for label in ["optimal", "gray-pair", "all-gray", "2-1-2", "5-2-5", "the paper"] {
            assert!(texts.contains(&label.to_owned()), "{label}: {texts:?}");
        }
    }

    #[test]
    fn heat_maps_print_every_cell() {
        let panel = |caption: &str| HeatPanel {
            caption: caption.to_owned(),
            columns: vec!["1".into(), "2".into(), "3".into()],
            rows: vec!["1".into(), "2".into()],
            values: vec![vec![Some(0.0), Some(0.25), None], vec![Some(0.5), Some(0.75), Some(1.0)]],
        };
        let svg = heat_maps(AXES, &[panel("h2 = 1"), panel("h2 = 2")]).unwrap();
        let texts = texts(&parse(&svg));
        let cells = texts.iter().filter(|t| t.len() == 4 && t.starts_with(['0', '1']) && t.contains('.')).count();
        assert_eq!(cells, 2 * 5, "{texts:?}");
        assert!(texts.contains(&"h2 = 1".to_owned()) && texts.contains(&"h2 = 2".to_owned()));
    }

    #[test]
    fn image_rows_draw_every_pixel_in_its_colour() {
        let rows = vec![
            ImageRow { label: "optimal".into(), images: vec![vec![0.0, 1.0, 1.0, 0.0], vec![1.0, 1.0, 0.0, 0.0]] },
            ImageRow { label: "all-gray".into(), images: vec![vec![0.5; 4], vec![0.5; 4]] },
        ];
        let svg = image_rows("t", 2, 1, &["a", "b"], &rows).unwrap();
        let doc = parse(&svg);
        let fill = |v: f32| {
            let [r, g, b] = Colormap::Viridis.rgb(v);
            let hex = format!("#{r:02X}{g:02X}{b:02X}");
            doc.descendants().filter(|n| n.has_tag_name("rect") && n.attribute("fill") == Some(hex.as_str())).count()
        };
        assert_eq!((fill(0.0), fill(1.0), fill(0.5)), (4, 4, 8));
        let texts = texts(&doc);
        assert!(texts.contains(&"optimal".to_owned()) && texts.contains(&"all-gray".to_owned()));
    }

    #[test]
    fn histograms_have_a_panel_per_sample_and_a_bar_per_filled_bin() {
        let samples = vec![
            ("A2 paper".to_owned(), vec![0.9, 1.0, 1.1, 1.0]),
            ("A2 kingma".to_owned(), vec![0.01, 0.05, 0.5]),
            ("A2 sum".to_owned(), vec![0.3, f64::NAN, -1.0]),
        ];
        let doc_text = log_histograms(AXES, &samples, 24).unwrap();
        let doc = parse(&doc_text);
        let texts = texts(&doc);
        for (name, _) in &samples {
            assert!(texts.contains(name), "{name}");
        }
        // Bars are filled rectangles in the sample's colour (80% opaque).
        let bars = |k: usize| {
            let RGBColor(r, g, b) = colour(k);
            let hex = format!("#{r:02X}{g:02X}{b:02X}");
            doc.descendants().filter(|n| n.has_tag_name("rect") && n.attribute("fill") == Some(hex.as_str())).count()
        };
        assert!((1..=3).contains(&bars(0)), "{}", bars(0));
        assert_eq!(bars(1), 3);
        assert_eq!(bars(2), 1, "NaN and negative values are left out");
        assert_eq!(log_tick(0.01), "0.01");
        assert_eq!(log_tick(10.0), "10");
        assert_eq!(log_tick(1e-5), "1e-5");
        assert_eq!(log_tick(9.999999999999999e-5), "1e-4");
        assert_eq!(log_tick(0.009999999999999998), "0.01");
        assert_eq!(log_tick(0.05), "0.05");
    }
}
