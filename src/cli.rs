//! The command line (clap derive) and its conversion into a study to run.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use crate::analysis::monte_carlo::{DEFAULT_SAMPLES, DEFAULT_SEED};
use crate::audit::Sample;
use crate::data::DatasetSpec;
use crate::engine::{BurnDevice, EngineKind};
use crate::error::InputError;
use crate::model::vae::{ModelKind, VaeSpec};
use crate::model::{Initializer, Widths};
use crate::optim::Optimizer;
use crate::outcome::Tolerances;
use crate::report::predict::Format;
use crate::study::StudySpec;
use crate::study::execute::Invocation;
use crate::study::run::RunOptions;
use crate::study::state::Shard;

/// aemc: Monte Carlo studies of how tiny autoencoders fail to train.
#[derive(Debug, Parser)]
#[command(name = "aemc", version, about)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
// Parsed once per process: the size of its largest variant costs nothing worth boxing for.
#[allow(clippy::large_enum_variant)]
pub enum Command {
    /// Run a study file.
    Run(RunArgs),
    /// Run a grid given on the command line.
    Sweep(SweepArgs),
    /// Print the init-time probabilities of the dead-ReLU events (exact, else Monte Carlo).
    Predict(PredictArgs),
    /// Merge the output directories of all shards of a study into one.
    Merge(MergeArgs),
    /// Audit a results directory: checksums, rows, replayed runs, summaries.
    Verify(VerifyArgs),
    /// Compare two finished studies run by run, paired by seed (B − A per metric).
    Compare(CompareArgs),
    /// Draw a study's figures into its `figures/` folder.
    Plot(PlotArgs),
    /// Replay one run from its seed: weights, init-time events, outputs, class, and the
    /// decoder against the bottleneck value (the paper's Figs. 4–8).
    Inspect(InspectArgs),
}

/// `aemc inspect RESULTS_DIR|STUDY.toml --run N [--config K] [--svg FILE] [--trace N]`.
#[derive(Debug, Args)]
pub struct InspectArgs {
    /// A results directory, or a study file (the run is replayed from the file's seed and
    /// grid; no results are needed).
    pub target: PathBuf,
    /// The run within its configuration (runs.csv's `run`, from 0).
    #[arg(long)]
    pub run: u64,
    /// The configuration, by its place in the study's grid (from 0, in runs.csv's order).
    #[arg(long, default_value_t = 0)]
    pub config: usize,
    /// Where to draw the decoder figure [default: the results directory's
    /// figures/inspect-config<K>-run<N>.svg; none for a study file].
    #[arg(long, value_name = "FILE")]
    pub svg: Option<PathBuf>,
    /// Also print the loss every N epochs (A1 on the 2×2 images in full batches).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    pub trace: Option<u32>,
}

/// `aemc plot RESULTS_DIR [--colormap viridis|grey]`.
#[derive(Debug, Args)]
pub struct PlotArgs {
    /// The study's results directory.
    pub dir: PathBuf,
    /// How values from 0 to 1 are coloured.
    #[arg(long, value_enum, default_value = "viridis")]
    pub colormap: crate::figures::Colormap,
}

/// `aemc compare A_DIR B_DIR [--format table|csv]`.
#[derive(Debug, Args)]
pub struct CompareArgs {
    /// Study A's results directory.
    pub a: PathBuf,
    /// Study B's results directory.
    pub b: PathBuf,
    /// Output format.
    #[arg(long, value_enum, default_value = "table")]
    pub format: crate::report::paired::Format,
}

/// `aemc verify RESULTS_DIR [--sample N | --all]`.
#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// The results directory.
    pub dir: PathBuf,
    /// Runs to replay from their seeds, chosen at random.
    #[arg(long, default_value_t = 100, value_parser = clap::value_parser!(u64).range(0..), conflicts_with = "all")]
    pub sample: u64,
    /// Replay every run.
    #[arg(long)]
    pub all: bool,
    /// Seed of the random choice of runs.
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
}

impl VerifyArgs {
    /// Which runs to replay.
    pub fn sample(&self) -> Sample {
        if self.all { Sample::All } else { Sample::Some(self.sample) }
    }
}

/// `aemc merge OUT_DIR SHARD_DIR...`.
#[derive(Debug, Args)]
pub struct MergeArgs {
    /// Where the merged study goes.
    pub out: PathBuf,
    /// The shards' output directories, in any order.
    #[arg(required = true)]
    pub shards: Vec<PathBuf>,
}

/// `aemc predict --widths 2-1-2 --init glorot-uniform`.
#[derive(Debug, Args)]
pub struct PredictArgs {
    /// Widths h1-h2-h3.
    #[arg(long, default_value = "2-1-2")]
    pub widths: Widths,
    /// Initialiser.
    #[arg(long, default_value = "glorot-uniform")]
    pub init: Initializer,
    /// Output format.
    #[arg(long, value_enum, default_value = "table")]
    pub format: Format,
    /// Networks drawn for the events with no exact law (the default gives 95% intervals no
    /// wider than ±1e-3).
    #[arg(long, default_value_t = DEFAULT_SAMPLES, value_parser = clap::value_parser!(u64).range(1..=1_000_000_000))]
    pub samples: u64,
    /// Seed of those draws: network i is run i's initial network in a study with this seed.
    #[arg(long, default_value_t = DEFAULT_SEED)]
    pub seed: u64,
}

/// How to execute; never changes results.
#[derive(Debug, Args)]
pub struct ExecArgs {
    /// Worker threads [default: the number of cores].
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..=1024))]
    pub threads: Option<u64>,
    /// Networks trained together per engine call [default: the study's, else 256, or 65536
    /// for the gpu engine].
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..=1_000_000))]
    pub population: Option<u64>,
    /// Record every initial and final parameter: as runs.csv columns on squares-2x2, else in
    /// a file per run under runs/.
    #[arg(long)]
    pub weights: bool,
    /// Write every run's bottleneck codes and reconstructions to a file per run under runs/.
    #[arg(long)]
    pub outputs: bool,
    /// The training engine [default: the study's, else native].
    #[arg(long, value_enum)]
    pub engine: Option<EngineKind>,
    /// The burn engine's device [default: the study's, else flex].
    #[arg(long, value_enum)]
    pub device: Option<BurnDevice>,
    /// Run only shard K of N of every configuration's runs (merge them with `aemc merge`).
    #[arg(long, value_name = "K/N")]
    pub shard: Option<Shard>,
    /// Discard results of another study (or a changed one) in the output directory.
    #[arg(long)]
    pub restart: bool,
    /// The directory of the four MNIST IDX files (raw or .gz), for a study on mnist [default:
    /// the study's `[dataset] path`, else data/mnist-5k].
    #[arg(long, value_name = "DIR")]
    pub data: Option<PathBuf>,
    /// Do not draw the study's figures into its `figures/` folder at the end (`aemc plot`
    /// draws them later).
    #[arg(long)]
    pub no_plots: bool,
}

impl ExecArgs {
    /// The part of the runs to do.
    fn shard(&self) -> Shard {
        self.shard.unwrap_or(Shard::WHOLE)
    }

    /// `spec` run into `out` under these settings.
    fn invocation(&self, spec: StudySpec, out: PathBuf, options: RunOptions) -> Invocation {
        Invocation {
            spec,
            out,
            options,
            weights: self.weights,
            outputs: self.outputs,
            shard: self.shard(),
            restart: self.restart,
            plots: !self.no_plots,
        }
    }
}

/// `aemc run STUDY.toml`.
#[derive(Debug, Args)]
pub struct RunArgs {
    /// The study file.
    pub study: PathBuf,
    /// Output directory [default: results/NAME, NAME the study's name].
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Override the runs per configuration.
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..))]
    pub runs: Option<u64>,
    /// Override the study seed.
    #[arg(long)]
    pub seed: Option<u64>,
    /// Execution settings.
    #[command(flatten)]
    pub exec: ExecArgs,
}

/// `aemc sweep --widths ... --runs N --epochs E --out DIR`.
#[derive(Debug, Args)]
pub struct SweepArgs {
    /// Comma-separated widths h1-h2-h3, for example 2-1-2,5-2-5.
    #[arg(long, value_delimiter = ',', required = true)]
    pub widths: Vec<Widths>,
    /// Runs per configuration.
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..))]
    pub runs: u64,
    /// Comma-separated epochs (passes over the data set).
    #[arg(long, value_delimiter = ',', required_unless_present = "steps", value_parser = clap::value_parser!(u32).range(1..))]
    pub epochs: Vec<u32>,
    /// Comma-separated training steps, instead of epochs: each data set trains for the fewest
    /// whole epochs that take at least this many steps.
    #[arg(long, value_delimiter = ',', conflicts_with = "epochs", value_parser = clap::value_parser!(u64).range(1..))]
    pub steps: Vec<u64>,
    /// Comma-separated data sets, with their default options (a study file's dataset table
    /// sets others): squares-2x2, lines-32.
    #[arg(long, value_delimiter = ',', default_value = "squares-2x2")]
    pub dataset: Vec<DatasetSpec>,
    /// Images per training step [default: every image for squares-2x2, else 32].
    #[arg(long)]
    pub batch_size: Option<usize>,
    /// Comma-separated autoencoders: ae (A1), vae (A2).
    #[arg(long, value_enum, value_delimiter = ',', default_value = "ae")]
    pub model: Vec<ModelKind>,
    /// Comma-separated readings of A2's loss, by preset: paper (the default), keras-2016, sum,
    /// kingma (a study file's vae table sets single knobs).
    #[arg(long, value_delimiter = ',')]
    pub vae: Vec<VaeSpec>,
    /// Comma-separated initialisers.
    #[arg(long, value_delimiter = ',', default_value = "glorot-uniform")]
    pub init: Vec<Initializer>,
    /// Comma-separated optimisers.
    #[arg(long, value_delimiter = ',', default_value = "adam")]
    pub optimizer: Vec<Optimizer>,
    /// Comma-separated learning rates.
    #[arg(long, value_delimiter = ',', default_value = "0.001", allow_negative_numbers = true)]
    pub lr: Vec<f64>,
    /// Study seed.
    #[arg(long, default_value_t = 2020)]
    pub seed: u64,
    /// Name recorded in the results.
    #[arg(long, default_value = "sweep")]
    pub name: String,
    /// Output directory.
    #[arg(long)]
    pub out: PathBuf,
    /// Execution settings.
    #[command(flatten)]
    pub exec: ExecArgs,
}

/// The output directory a study goes to without `--out`.
fn default_out(spec: &StudySpec, shard: Shard) -> PathBuf {
    let name = if shard == Shard::WHOLE {
        spec.name.clone()
    } else {
        format!("{}-shard-{}-of-{}", spec.name, shard.index, shard.count)
    };
    PathBuf::from("results").join(name)
}

fn options(exec: &ExecArgs, spec: &mut StudySpec) -> Result<RunOptions, InputError> {
    spec.resolve_data(exec.data.as_deref())?;
    if let Some(e) = exec.engine {
        spec.engine = e;
    }
    if let Some(d) = exec.device {
        spec.device = d;
    }
    let threads =
        exec.threads.map(|t| t as usize).unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
    // Population and threads change speed only, so they stay out of the recorded study.
    let population =
        exec.population.map(|p| p as usize).or(spec.population).unwrap_or_else(|| spec.engine.default_population());
    Ok(RunOptions { threads, population })
}

impl RunArgs {
    /// Reads and validates the study and flags, touching no output file.
    pub fn invocation(self) -> Result<Invocation, InputError> {
        let mut spec = StudySpec::parse_file(&self.study)?;
        spec.runs = self.runs.unwrap_or(spec.runs);
        spec.seed = self.seed.unwrap_or(spec.seed);
        let options = options(&self.exec, &mut spec)?;
        spec.validate().map_err(|e| InputError::field(format!("{}: {}", self.study.display(), e.field), e.message))?;
        let out = self.out.unwrap_or_else(|| default_out(&spec, self.exec.shard()));
        Ok(self.exec.invocation(spec, out, options))
    }
}

impl SweepArgs {
    /// Builds and validates the study the flags describe, touching no output file.
    pub fn invocation(self) -> Result<Invocation, InputError> {
        let mut spec = StudySpec {
            name: self.name,
            seed: self.seed,
            runs: self.runs,
            datasets: self.dataset,
            batch_size: self.batch_size,
            models: self.model,
            readings: self.vae,
            vae_samples: None,
            widths: self.widths,
            init: self.init,
            optimizer: self.optimizer,
            lr: self.lr,
            epochs: self.epochs,
            steps: self.steps,
            population: None,
            engine: EngineKind::default(),
            device: BurnDevice::default(),
            tolerances: Tolerances::default(),
        };
        let options = options(&self.exec, &mut spec)?;
        // Study-file keys and sweep flags share names: report the flag.
        spec.validate().map_err(|e| InputError::field(format!("--{}", e.field.replace('_', "-")), e.message))?;
        Ok(self.exec.invocation(spec, self.out, options))
    }
}
