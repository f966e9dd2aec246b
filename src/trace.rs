//! Loss traces by replay: a run's loss every N epochs, found by training it again in
//! stretches of N epochs with the native kernel and measuring the loss between them.
//! Training E₁ epochs and then E₂ more is bit-identical to training E₁ + E₂ at once (Adam's
//! moments and step count carry over; tests/engines.rs), so a trace ends at the very
//! parameters the study recorded, the study's results are untouched, and any finished run can
//! be traced after the fact.
//!
//! This is the 2×2 experiment's trace (A1 on the four images in full batches, where the
//! classes live): `loss.svg` draws a few runs of each class, and `aemc inspect --trace N`
//! prints one run's.

use std::path::Path;

use crate::data::DatasetSpec;
use crate::engine::{Batching, NativeEngine, TrainSpec, TrainState};
use crate::error::InputError;
use crate::figures::Figure;
use crate::figures::chart::{self, Axes};
use crate::figures::results::first_runs_of_each_class;
use crate::model::{Widths, evaluate};
use crate::study::run::initial_params;
use crate::study::{Configuration, StudySpec};

/// Runs of each class a loss figure traces, at most.
pub const RUNS_PER_CLASS: usize = 3;

/// Points a loss figure's traces have, about.
pub const POINTS: u32 = 200;

/// Configurations a loss figure shows, at most (one panel each).
pub const MAX_PANELS: usize = 4;

/// One run's loss (mean squared error over the four images, as runs.csv's `final_loss`)
/// after 0, N, 2N, … epochs and after the last.
#[derive(Clone, Debug, PartialEq)]
pub struct Trace {
    pub points: Vec<(u32, f32)>,
    /// The parameters after the last epoch.
    pub final_params: Vec<f32>,
}

/// Why a configuration cannot be traced, if it cannot.
pub fn untraceable(config: &Configuration) -> Option<&'static str> {
    let fused = Widths::new(16, 16, 16).expect("valid widths");
    if config.dataset != DatasetSpec::SQUARES || config.vae.is_some() || config.batching != Batching::Full {
        Some("traces need A1 on the 2×2 images in full batches")
    } else if config.widths.max(fused) != fused {
        Some("traces need widths up to 16 (the native kernel's)")
    } else {
        None
    }
}

/// Run `run` of configuration `config` of `spec`, traced every `every` epochs.
pub fn trace(spec: &StudySpec, config: &Configuration, run: u64, every: u32) -> Result<Trace, InputError> {
    if let Some(why) = untraceable(config) {
        return Err(InputError::field("--trace", why));
    }
    let layout = config.layout();
    let (_, initial) = initial_params(spec, config, run);
    let mut state = TrainState::new(&[initial]);
    let loss = |state: &TrainState| evaluate(&layout, &state.params[0]).loss;
    let mut points = vec![(0, loss(&state))];
    let every = every.max(1);
    while state.epochs_done < config.epochs {
        let stretch = every.min(config.epochs - state.epochs_done);
        NativeEngine.train_further(&TrainSpec { epochs: stretch, ..config.train_spec() }, &mut state);
        points.push((state.epochs_done, loss(&state)));
    }
    Ok(Trace { points, final_params: state.params.swap_remove(0) })
}

/// `loss.svg` for the study in `dir`: for each configuration that can be traced (at most
/// [`MAX_PANELS`]), the first [`RUNS_PER_CLASS`] runs of each class in runs.csv, traced at
/// about [`POINTS`] points; None where runs.csv or traceable configurations are missing.
pub fn loss_figure(dir: &Path, spec: &StudySpec) -> anyhow::Result<Option<Figure>> {
    let configs = spec.configurations();
    let traceable: Vec<usize> = (0..configs.len()).filter(|&k| untraceable(&configs[k]).is_none()).collect();
    if traceable.is_empty() || traceable.len() > MAX_PANELS {
        return Ok(None);
    }
    let Some((header, chosen)) = first_runs_of_each_class(dir, RUNS_PER_CLASS, configs.len())? else {
        return Ok(None);
    };
    let Some(run) = header.iter().position(|h| h == "run") else { return Ok(None) };
    if chosen.len() != configs.len() {
        return Ok(None);
    }
    let mut panels = Vec::new();
    for &k in &traceable {
        let config = &configs[k];
        let every = config.epochs.div_ceil(POINTS).max(1);
        let mut groups: Vec<chart::CurveGroup> = Vec::new();
        for class_name in crate::outcome::OutcomeClass::ALL.iter().map(ToString::to_string) {
            let Some((_, rows)) = chosen[k].iter().find(|(c, _)| *c == class_name) else { continue };
            let traces = rows
                .iter()
                .filter_map(|row| row.get(run)?.parse::<u64>().ok())
                .map(|r| {
                    let t = trace(spec, config, r, every)?;
                    Ok(t.points.iter().map(|&(e, l)| (f64::from(e), f64::from(l))).collect())
                })
                .collect::<Result<Vec<_>, InputError>>()?;
            groups.push((class_name, traces));
        }
        let label = crate::study::runs_csv::config_cells(config).join(" ");
        panels.push((label, groups));
    }
    let axes = Axes { title: "Training loss of the first runs of each class", x: "epoch", y: "loss (mse)" };
    let svg = chart::grouped_traces(axes, &panels)?;
    Ok(Some(Figure { file_name: "loss.svg".to_owned(), bytes: svg.into_bytes() }))
}
