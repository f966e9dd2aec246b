//! `aemc inspect`: one run replayed from its seed and shown whole — its initial and final
//! parameters layer by layer, what its initial weights already decide (on the 2×2 images),
//! its codes, reconstructions and class, A2's σ per image, and for a one-unit bottleneck the
//! decoder read as a function of the bottleneck value c (the paper's Figs. 4–8 and their
//! tables: each output's pre-sigmoid value and output against c, and the intervals of c where
//! each output is on).
//!
//! It draws the decoder figure and the run's reconstructions (its first images, before and
//! after the post-processing) as a PNG.
//!
//! The replay is the study's own training of that run ([`train_runs`]), so its final
//! parameters are those the study recorded, bit for bit.

use std::fmt::Write as _;

use crate::analysis::bottleneck::DecoderMap;
use crate::error::InputError;
use crate::figures::chart::{self, Curve};
use crate::figures::results::RunRows;
use crate::figures::{Colormap, Figure, grid};
use crate::float::shortest;
use crate::model::ParamLayout;
use crate::study::run::{RunRecord, train_runs};
use crate::study::runs_csv::{config_cells, config_columns};
use crate::study::{Configuration, StudySpec};

/// One replayed run and what it is judged by.
pub struct Inspection {
    /// Its configuration's columns and values, as runs.csv writes them.
    pub configuration: Vec<(&'static str, String)>,
    /// Its configuration's place in the study's grid.
    pub config_index: usize,
    /// The parameter layout.
    pub layout: ParamLayout,
    /// The replayed run.
    pub record: RunRecord,
    /// For a one-unit bottleneck, the decoder as a function of the bottleneck value.
    pub decoder: Option<DecoderMap>,
    /// The first [`SHOWN`] training images and their shape (height, width).
    pub images: Vec<Vec<f32>>,
    pub shape: (usize, usize),
}

/// Images of the data set the reconstruction figure shows, at most.
pub const SHOWN: usize = 8;

/// Replays run `run` of configuration `config_index` of `spec`.
pub fn inspect(spec: &StudySpec, config_index: usize, run: u64) -> anyhow::Result<Inspection> {
    let configs = spec.configurations();
    let config: &Configuration = configs.get(config_index).ok_or_else(|| {
        InputError::field(
            "--config",
            format!("the study has {} configurations; use 0 to {}", configs.len(), configs.len() - 1),
        )
    })?;
    if run >= spec.runs {
        return Err(InputError::field(
            "--run",
            format!("the study has {} runs; use 0 to {}", spec.runs, spec.runs - 1),
        )
        .into());
    }
    let engine = spec.engine.engine(spec.device)?;
    let record = train_runs(spec, engine.as_ref(), config_index, &[run])?.pop().expect("one run replayed");
    let layout = config.layout();
    let decoder = DecoderMap::new(&layout, &record.final_params);
    let configuration = config_columns(config).into_iter().zip(config_cells(config)).collect();
    let data = config.dataset.load().map_err(|e| InputError::field("dataset", e))?;
    let images = (0..data.count().min(SHOWN)).map(|k| data.image(k).to_vec()).collect();
    Ok(Inspection { configuration, config_index, layout, record, decoder, images, shape: data.shape })
}

impl Inspection {
    /// The report on stdout.
    pub fn render(&self) -> String {
        let mut out = String::new();
        let r = &self.record;
        let config: Vec<String> = self.configuration.iter().map(|(k, v)| format!("{k} {v}")).collect();
        let _ = writeln!(
            out,
            "Run {} of configuration {} ({}), seed {}",
            r.run,
            self.config_index,
            config.join(", "),
            r.seed
        );
        self.render_parameters(&mut out);
        if let Some(squares) = &r.squares {
            let init = &squares.init;
            let _ = writeln!(out, "\nWhat the initial weights decide (images 1-4):");
            let _ = writeln!(out, "  images each layer-1 unit is dead on: {}", init.dead_sets_string());
            let _ = writeln!(out, "  images sharing layer-1 activations:  {}", init.l1_partition);
            let _ = writeln!(out, "  decoder-sign kill:                   {}", yes_no(init.decoder_sign_kill));
            let _ = writeln!(out, "  layer-3 units dead on every image:   {}", init.l3_dead_units);
            let _ = writeln!(out, "  images sharing outputs at init:      {}", init.output_partition);
        }
        self.render_images(&mut out);
        if let Some(squares) = &r.squares {
            let _ = writeln!(
                out,
                "\nClass: {} (images sharing an output: {})",
                squares.outcome.class, squares.outcome.partition
            );
        }
        if let Some(decoder) = &self.decoder {
            render_decoder(&mut out, decoder, &self.codes());
        }
        out
    }

    /// Each image's bottleneck code (the first unit's: the decoder's argument).
    fn codes(&self) -> Vec<f64> {
        let h2 = self.layout.widths.h2;
        self.record.codes.chunks(h2).map(|c| f64::from(c[0])).collect()
    }

    /// Every layer's kernel rows and bias, initial beside final; `shortest` floats, so each
    /// value reads back to the same f32.
    fn render_parameters(&self, out: &mut String) {
        let names = ["1", "2", "3", "4", "2b"];
        let kinds = ["relu", "linear (the code)", "relu", "sigmoid", "A2's b head"];
        let row = |params: &[f32], from: usize, len: usize| -> String {
            params[from..from + len].iter().map(|&x| shortest(x)).collect::<Vec<_>>().join(" ")
        };
        for (k, slot) in self.layout.slots().enumerate() {
            let _ = writeln!(
                out,
                "\nLayer {} ({} → {}, {}): initial | final",
                names[k], slot.fan_in, slot.fan_out, kinds[k]
            );
            for i in 0..slot.fan_in {
                let at = slot.weight_offset + i * slot.fan_out;
                let _ = writeln!(
                    out,
                    "  w{}[{i}]  {} | {}",
                    names[k],
                    row(&self.record.initial, at, slot.fan_out),
                    row(&self.record.final_params, at, slot.fan_out)
                );
            }
            let at = slot.bias_offset;
            let _ = writeln!(
                out,
                "  b{}     {} | {}",
                names[k],
                row(&self.record.initial, at, slot.fan_out),
                row(&self.record.final_params, at, slot.fan_out)
            );
        }
    }

    /// Each image's code and reconstruction (on the 2×2 images; elsewhere the first 4), and
    /// A2's sampling σ.
    fn render_images(&self, out: &mut String) {
        let r = &self.record;
        let h2 = self.layout.widths.h2;
        let pixels = r.outputs.len() / (r.codes.len() / h2).max(1);
        let shown = (r.codes.len() / h2).min(4);
        let _ = writeln!(out, "\nImage  code{}  reconstruction", if r.sigmas.is_empty() { "" } else { " (A2: a)  σ" });
        for k in 0..shown {
            let code: Vec<String> = r.codes[k * h2..(k + 1) * h2].iter().map(|&x| shortest(x)).collect();
            let sigma: String = if r.sigmas.is_empty() {
                String::new()
            } else {
                format!(
                    "  {}",
                    r.sigmas[k * h2..(k + 1) * h2].iter().map(|&x| shortest(x)).collect::<Vec<_>>().join(" ")
                )
            };
            let output: Vec<String> =
                r.outputs[k * pixels..(k + 1) * pixels].iter().take(16).map(|x| format!("{x:.3}")).collect();
            let more = if pixels > 16 { " …" } else { "" };
            let _ = writeln!(out, "  {}    {}{sigma}  {}{more}", k + 1, code.join(" "), output.join(" "));
        }
    }

    /// The paper's Figs. 4–8 for this run: each output's pre-sigmoid value and output against
    /// the bottleneck value, the images' codes marked; None without a one-unit bottleneck.
    pub fn figure(&self, file_name: &str) -> anyhow::Result<Option<Figure>> {
        let Some(decoder) = &self.decoder else { return Ok(None) };
        let codes = self.codes();
        let (low, high) = span(decoder, &codes);
        let samples = 400;
        let at = |k: usize| low + (high - low) * k as f64 / samples as f64;
        let curves = |f: &dyn Fn(usize, f64) -> f64| -> Vec<Curve> {
            (0..decoder.outputs())
                .map(|p| Curve {
                    name: format!("output {}", p + 1),
                    points: (0..=samples).map(|k| (at(k), f(p, at(k)))).collect(),
                })
                .collect()
        };
        let markers: Vec<(f64, String)> =
            codes.iter().enumerate().map(|(k, &c)| (c, format!("image {}", k + 1))).collect();
        let svg = chart::stacked_curves(
            &format!("Decoder of run {} against the bottleneck value", self.record.run),
            "bottleneck value c",
            &[
                ("pre-sigmoid value z".to_owned(), curves(&|p, c| decoder.pre_sigmoid(p, c)), Some(0.0)),
                ("output σ(z)".to_owned(), curves(&|p, c| decoder.output(p, c)), Some(0.5)),
            ],
            (low, high),
            &markers,
        )?;
        Ok(Some(Figure { file_name: file_name.to_owned(), bytes: svg.into_bytes() }))
    }
}

impl Inspection {
    /// The run's reconstructions as a PNG in `colormap`: the first [`SHOWN`] training images
    /// (row 1), their reconstructions (row 2) and those after the post-processing, output >
    /// 0.5 → 1 (row 3): the paper's Figs. 2, 9–10, 14–19 and 21 for one run.
    pub fn reconstructions(&self, file_name: &str, colormap: Colormap) -> anyhow::Result<Figure> {
        let pixels = self.shape.0 * self.shape.1;
        let outputs: Vec<&[f32]> = self.record.outputs.chunks(pixels).take(self.images.len()).collect();
        let post: Vec<Vec<f32>> =
            outputs.iter().map(|o| o.iter().map(|&y| if y > 0.5 { 1.0 } else { 0.0 }).collect()).collect();
        let data: Vec<&[f32]> = self.images.iter().map(Vec::as_slice).collect();
        let post: Vec<&[f32]> = post.iter().map(Vec::as_slice).collect();
        let side = self.shape.0.max(self.shape.1).max(1);
        let image =
            grid::rows_grid(&[&data, &outputs, &post], self.shape, grid::MIN_SIDE.div_ceil(side) / 2 + 1, colormap);
        let mut bytes = Vec::new();
        image.write_to(&mut std::io::Cursor::new(&mut bytes), image::ImageFormat::Png)?;
        Ok(Figure { file_name: file_name.to_owned(), bytes })
    }
}

impl Inspection {
    /// For an A2 run, histograms of its mean head a and its sampling σ over every training
    /// image and latent unit (the paper's Figs. 12–13); None for A1.
    pub fn vae_histograms(&self, file_name: &str) -> anyhow::Result<Option<Figure>> {
        if self.record.sigmas.is_empty() {
            return Ok(None);
        }
        let a: Vec<f64> = self.record.codes.iter().map(|&x| f64::from(x)).collect();
        let sigma: Vec<f64> = self.record.sigmas.iter().map(|&x| f64::from(x)).collect();
        let title = format!("A2's a and σ over the images, run {}", self.record.run);
        let axes = chart::Axes { title: &title, x: "value", y: "images × units" };
        let svg =
            chart::histograms(axes, &[("a (the mean head)".to_owned(), a), ("σ (sampling)".to_owned(), sigma)], 30)?;
        Ok(Some(Figure { file_name: file_name.to_owned(), bytes: svg.into_bytes() }))
    }
}

/// Configurations whose representative runs a study's figures replay, at most.
pub const MAX_REPRESENTED: usize = 5;

/// `reconstructions-config<K>.png` for each configuration (at most [`MAX_REPRESENTED`]) of a
/// study off the 2×2 images (whose runs.csv holds every output, drawn without replaying): its
/// run of median mse (the lower one of an even count) replayed and drawn by
/// [`Inspection::reconstructions`]; none without runs.csv.
pub fn representative_reconstructions(
    dir: &std::path::Path,
    spec: &StudySpec,
    colormap: Colormap,
) -> anyhow::Result<Vec<Figure>> {
    let configs = spec.configurations();
    if spec.squares_only() || configs.len() > MAX_REPRESENTED {
        return Ok(Vec::new());
    }
    let Some(rows) = RunRows::open(dir)? else { return Ok(Vec::new()) };
    let (Some(run), Some(mse)) = (rows.column("run"), rows.column("mse")) else { return Ok(Vec::new()) };
    // Each configuration's (mse, run) of every run.
    let mut runs: Vec<Vec<(f64, u64)>> = vec![Vec::new(); configs.len()];
    let mut seen = 0;
    for row in rows {
        let (config, row) = row?;
        seen = config + 1;
        let Some(of_config) = runs.get_mut(config) else { return Ok(Vec::new()) };
        if let (Some(m), Some(r)) =
            (row.get(mse).and_then(|m| m.parse().ok()), row.get(run).and_then(|r| r.parse().ok()))
        {
            of_config.push((m, r));
        }
    }
    if seen != configs.len() {
        return Ok(Vec::new());
    }
    let mut figures = Vec::new();
    for (k, mut runs) in runs.into_iter().enumerate() {
        runs.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
        let Some(&(_, median)) = runs.get(runs.len().saturating_sub(1) / 2) else { continue };
        let inspection = inspect(spec, k, median)?;
        figures.push(inspection.reconstructions(&format!("reconstructions-config{k}.png"), colormap)?);
    }
    Ok(figures)
}

fn yes_no(b: bool) -> &'static str {
    if b { "yes" } else { "no" }
}

/// The range of c to draw: every breakpoint, interval end and code, with a margin.
fn span(decoder: &DecoderMap, codes: &[f64]) -> (f64, f64) {
    let ends = (0..decoder.outputs()).flat_map(|p| decoder.on_intervals(p)).flat_map(|i| [i.low, i.high]);
    let points: Vec<f64> =
        decoder.breakpoints().into_iter().chain(ends).chain(codes.iter().copied()).filter(|x| x.is_finite()).collect();
    let (low, high) = points.iter().fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &x| (a.min(x), b.max(x)));
    if !low.is_finite() {
        return (-1.0, 1.0);
    }
    let margin = ((high - low) * 0.15).max(0.5);
    (low - margin, high + margin)
}

/// The decoder's table: the intervals of c between consecutive ends of any output's on
/// intervals, each with the outputs on there (1) or off (0), and each image's code.
fn render_decoder(out: &mut String, decoder: &DecoderMap, codes: &[f64]) {
    let fmt = |x: f64| {
        if x.is_infinite() { if x < 0.0 { "-inf".to_owned() } else { "inf".to_owned() } } else { format!("{x:.4}") }
    };
    let kinks: Vec<String> = decoder.breakpoints().into_iter().map(fmt).collect();
    let _ = writeln!(
        out,
        "\nDecoder against the bottleneck value c (layer-3 units switch at c = {}):",
        if kinks.is_empty() { "-".to_owned() } else { kinks.join(", ") }
    );
    for p in 0..decoder.outputs() {
        let on: Vec<String> =
            decoder.on_intervals(p).iter().map(|i| format!("({}, {})", fmt(i.low), fmt(i.high))).collect();
        let _ = writeln!(
            out,
            "  output {} on (σ(z) > 0.5) for c in {}",
            p + 1,
            if on.is_empty() { "no interval".to_owned() } else { on.join(" ∪ ") }
        );
    }
    let mut ends: Vec<f64> = (0..decoder.outputs())
        .flat_map(|p| decoder.on_intervals(p))
        .flat_map(|i| [i.low, i.high])
        .filter(|x| x.is_finite())
        .collect();
    ends.sort_by(f64::total_cmp);
    ends.dedup();
    let bounds: Vec<f64> = std::iter::once(f64::NEG_INFINITY).chain(ends).chain([f64::INFINITY]).collect();
    let pattern = |c: f64| -> String {
        (0..decoder.outputs()).map(|p| if decoder.pre_sigmoid(p, c) > 0.0 { '1' } else { '0' }).collect()
    };
    let _ = writeln!(out, "  c in                        outputs on");
    for w in bounds.windows(2) {
        let inside = match (w[0].is_finite(), w[1].is_finite()) {
            (true, true) => (w[0] + w[1]) / 2.0,
            (false, true) => w[1] - 1.0,
            (true, false) => w[0] + 1.0,
            (false, false) => 0.0,
        };
        let _ = writeln!(out, "  {:<27} {}", format!("({}, {})", fmt(w[0]), fmt(w[1])), pattern(inside));
    }
    for (k, &c) in codes.iter().enumerate() {
        let _ = writeln!(out, "  image {}: c = {}  → {}", k + 1, fmt(c), pattern(c));
    }
}

/// Where `aemc inspect` draws a results directory's run: `figures/inspect-config<K>-run<N>.svg`
/// (the decoder) and `…-images.png` beside it (the reconstructions).
pub fn figure_name(config_index: usize, run: u64) -> String {
    format!("inspect-config{config_index}-run{run}.svg")
}

/// The file beside the decoder figure `svg_name` that ends in `suffix`: `-images.png` for the
/// reconstructions, `-vae.svg` for A2's histograms.
pub fn beside(svg_name: &str, suffix: &str) -> String {
    format!("{}{suffix}", svg_name.strip_suffix(".svg").unwrap_or(svg_name))
}
