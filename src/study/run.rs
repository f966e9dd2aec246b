//! The runner: trains every run of every configuration, population by population, spread
//! over a rayon pool, and hands the records to a sink in run order, so what is written does
//! not depend on the thread count or population size.

use rayon::prelude::*;

use super::{Configuration, StudySpec};
use crate::analysis::{InitEvents, init_events};
use crate::data::Dataset;
use crate::engine::Engine;
use crate::error::InputError;
use crate::metrics::Reconstruction;
use crate::metrics::anomaly::{AnomalyMeasures, Sampling, Scores};
use crate::metrics::variational::VaeMeasures;
use crate::model::{Evaluation, ParamLayout, evaluate, reconstruct};
use crate::outcome::{Outcome, classify};
use crate::rng::{RunRng, run_seed};

/// One trained run: what runs.csv holds a row of.
#[derive(Clone, Debug)]
pub struct RunRecord {
    /// Index of the configuration in the study's grid.
    pub config_index: usize,
    /// Index of the run within its configuration.
    pub run: u64,
    /// The run's seed.
    pub seed: u64,
    /// Initial parameters.
    pub initial: Vec<f32>,
    /// Final parameters.
    pub final_params: Vec<f32>,
    /// Every image's bottleneck code, one after another.
    pub codes: Vec<f32>,
    /// Every image's reconstruction, laid out as the data set's images.
    pub outputs: Vec<f32>,
    /// The reconstructions measured.
    pub metrics: Reconstruction,
    /// On the paper's 2×2 images, the 2×2 experiment's analysis of the run.
    pub squares: Option<SquaresAnalysis>,
    /// For A2, its σ, sampled reconstructions and decoder weights.
    pub vae: Option<VaeMeasures>,
    /// For A2, every image's sampling standard deviations noise_std·σ(b), laid out as `codes`
    /// (empty for A1).
    pub sigmas: Vec<f32>,
    /// On a data set with a test set (MNIST), the anomaly detector's measures.
    pub anomaly: Option<AnomalyMeasures>,
    /// Their scores of the test images.
    pub scores: Option<Scores>,
}

/// What the 2×2 experiment adds to a run: its init-time events and its outcome class.
#[derive(Clone, Debug)]
pub struct SquaresAnalysis {
    /// What the initial parameters already decide.
    pub init: InitEvents,
    /// The trained network on the four images.
    pub eval: Evaluation,
    /// Its classification.
    pub outcome: Outcome,
}

/// A2's sampled reconstructions per run where the study does not say ([`StudySpec::vae_samples`]).
pub const DEFAULT_VAE_SAMPLES: u32 = 100;

/// How to spread the work; results never depend on these.
#[derive(Clone, Copy, Debug)]
pub struct RunOptions {
    /// Worker threads.
    pub threads: usize,
    /// Networks per engine call.
    pub population: usize,
}

/// The seed and initial parameters of run `run` of a configuration.
pub fn initial_params(spec: &StudySpec, config: &Configuration, run: u64) -> (u64, Vec<f32>) {
    let seed = run_seed(spec.seed, &config.init_key(), run);
    let layout = config.layout();
    (seed, config.init.draw(&layout, &mut RunRng::new(seed)))
}

/// Trains the given runs of configuration `config_index` as one population (any runs: a
/// run's result does not depend on the population it is in).
pub fn train_runs(
    spec: &StudySpec,
    engine: &dyn Engine,
    config_index: usize,
    runs: &[u64],
) -> Result<Vec<RunRecord>, InputError> {
    let config = &spec.configurations()[config_index];
    let data = config.dataset.load().map_err(|e| InputError::field("dataset", e))?;
    Ok(train_population(spec, &data, engine, (config_index, config), runs.iter().copied()))
}

/// A trained network judged on `data`: its codes, outputs and metrics, and on the 2×2 images
/// the 2×2 experiment's analysis.
fn judge(spec: &StudySpec, data: &Dataset, layout: &ParamLayout, initial: &[f32], final_params: &[f32]) -> JudgedRun {
    if data.is_squares_2x2() {
        let eval = evaluate(layout, final_params);
        let (codes, outputs): (Vec<f32>, Vec<f32>) =
            (eval.codes.concat(), eval.outputs.iter().flatten().copied().collect());
        let outcome = classify(&eval, &spec.tolerances);
        let squares = SquaresAnalysis { init: init_events(layout, initial), eval, outcome };
        let metrics = Reconstruction::of(data, &outputs, &codes);
        return JudgedRun { codes, outputs, metrics, squares: Some(squares) };
    }
    let (mut codes, mut outputs) = (Vec::new(), Vec::with_capacity(data.images.len()));
    for k in 0..data.count() {
        let (code, output) = reconstruct(layout, final_params, data.image(k));
        codes.extend(code);
        outputs.extend(output);
    }
    let metrics = Reconstruction::of(data, &outputs, &codes);
    JudgedRun { codes, outputs, metrics, squares: None }
}

/// [`judge`]'s findings.
struct JudgedRun {
    codes: Vec<f32>,
    outputs: Vec<f32>,
    metrics: Reconstruction,
    squares: Option<SquaresAnalysis>,
}

/// Trains `runs` of one configuration as one population.
fn train_population(
    spec: &StudySpec,
    data: &Dataset,
    engine: &dyn Engine,
    (config_index, config): (usize, &Configuration),
    runs: impl Iterator<Item = u64> + Clone,
) -> Vec<RunRecord> {
    // A1's layout, which is also A2's deterministic path (z = a: the b head comes after it).
    let a1_layout = ParamLayout::for_pixels(data.pixels(), config.widths);
    let (seeds, initial): (Vec<u64>, Vec<Vec<f32>>) = runs.clone().map(|r| initial_params(spec, config, r)).unzip();
    let finals = engine.train_on(&config.train_spec(), data, config.batching, &initial, &seeds);
    runs.zip(seeds)
        .zip(initial.into_iter().zip(finals))
        .map(|((run, seed), (initial, final_params))| {
            let JudgedRun { codes, outputs, metrics, squares } = judge(spec, data, &a1_layout, &initial, &final_params);
            let samples = spec.vae_samples.unwrap_or(DEFAULT_VAE_SAMPLES);
            let (vae, sigmas) = config
                .vae
                .map(|reading| VaeMeasures::of(data, &config.layout(), &final_params, &reading, seed, samples))
                .unzip();
            let (anomaly, scores) = data
                .test
                .as_ref()
                .map(|test| {
                    let sampling = config.vae.as_ref().map(|vae| Sampling { vae, run_seed: seed, samples });
                    AnomalyMeasures::of(test, &config.layout(), &final_params, sampling)
                })
                .unzip();
            RunRecord {
                config_index,
                run,
                seed,
                initial,
                final_params,
                codes,
                outputs,
                metrics,
                squares,
                vae,
                sigmas: sigmas.unwrap_or_default(),
                anomaly,
                scores,
            }
        })
        .collect()
}

/// Runs the study on its data sets (`data`, one per entry of [`StudySpec::datasets`], from
/// [`StudySpec::load_datasets`]), handing `sink` each wave of finished records in order
/// (configuration, then run). `runs` selects which run indices of each configuration to do (a
/// shard); the first `skip` of those, counted across configurations in that order, are
/// already done.
pub fn run_study<E>(
    spec: &StudySpec,
    data: &[Dataset],
    engine: &dyn Engine,
    options: &RunOptions,
    runs: std::ops::Range<u64>,
    skip: u64,
    mut sink: impl FnMut(Vec<RunRecord>) -> Result<(), E>,
) -> Result<(), E> {
    let pool = crate::engine::flush::flushing_pool(options.threads);
    let population = options.population as u64;
    let wave = population * options.threads as u64 * 2;
    let per_config = runs.end - runs.start;
    let configurations = spec.configurations();
    for (config_index, config) in configurations.iter().enumerate() {
        let data = &data[spec.datasets.iter().position(|d| *d == config.dataset).expect("a listed data set")];
        let done = skip.saturating_sub(config_index as u64 * per_config).min(per_config);
        let mut start = runs.start + done;
        while start < runs.end {
            let end = (start + wave).min(runs.end);
            // Smaller populations than asked when a wave would leave threads idle.
            let size = population.min((end - start).div_ceil(options.threads as u64)).max(1);
            let chunks: Vec<std::ops::Range<u64>> =
                (start..end).step_by(size as usize).map(|s| s..(s + size).min(end)).collect();
            let trained: Vec<Vec<RunRecord>> = pool.install(|| {
                chunks
                    .into_par_iter()
                    .map(|c| train_population(spec, data, engine, (config_index, config), c))
                    .collect()
            });
            sink(trained.into_iter().flatten().collect())?;
            start = end;
        }
    }
    Ok(())
}
