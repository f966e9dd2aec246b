//! A study run into its output directory: engine chosen, directory prepared, rows already on
//! disk counted back (resume), the rest trained wave by wave, each wave synced before the
//! next, and runs.csv completed.

use std::path::PathBuf;

use anyhow::Context;
use indicatif::{ProgressBar, ProgressStyle};

use super::StudySpec;
use super::output::{prepare, write_state};
use super::run::{RunOptions, run_study};
use super::run_files::RunFiles;
use super::runs_csv::{RunRow, RunsCsv};
use super::state::{Shard, State};

/// A validated study with where and how to run it.
#[derive(Debug)]
pub struct Invocation {
    /// The study.
    pub spec: StudySpec,
    /// Output directory.
    pub out: PathBuf,
    /// Threads and population size.
    pub options: RunOptions,
    /// Whether every parameter is recorded: as runs.csv columns on the 2×2 images, else in
    /// per-run files ([`super::run_files`]).
    pub weights: bool,
    /// Whether every run's codes and reconstructions go to per-run files.
    pub outputs: bool,
    /// Which part of the runs to do.
    pub shard: Shard,
    /// Whether to discard another study's results in `out`.
    pub restart: bool,
    /// Whether the study's figures are drawn at the end (the caller draws them).
    pub plots: bool,
}

/// Test-only: with `AEMC_TEST_KILL_AFTER_WAVE=N` the process sends itself SIGKILL right after
/// its N-th wave is synced, so the resume tests interrupt a study at an exact point whatever
/// the machine's speed.
const KILL_AFTER_WAVE: &str = "AEMC_TEST_KILL_AFTER_WAVE";

fn kill_after_wave() -> Option<u64> {
    std::env::var(KILL_AFTER_WAVE).ok()?.parse().ok()
}

fn kill_self() -> ! {
    #[cfg(unix)]
    // SAFETY: kill(2) on this process's own id has no memory effects; SIGKILL ends it here.
    unsafe {
        libc::kill(libc::getpid(), libc::SIGKILL);
    }
    std::process::abort()
}

/// Runs the study `inv` describes into `inv.out`, handing every row (resumed ones first) to
/// `on_row` in run order. `derived` names the summary files a fresh start removes.
pub fn execute(inv: &Invocation, derived: &[&str], mut on_row: impl FnMut(&RunRow)) -> anyhow::Result<()> {
    let spec = &inv.spec;
    // The engine first: a missing GPU or feature is reported before any file is touched.
    let engine = spec.engine.engine(spec.device)?;
    let data = spec.load_datasets()?;
    let mut state = State::new(spec, inv.shard);
    let resume = prepare(&inv.out, spec, &state, inv.restart, derived)?;
    let range = inv.shard.runs(spec.runs);
    let total = (range.end - range.start) * spec.configurations().len() as u64;
    let mut runs_csv = match resume {
        Some(checksums) => {
            let (runs_csv, note) =
                RunsCsv::resume(&inv.out, spec, inv.weights, range.clone(), &checksums, &mut on_row)?;
            if let Some(note) = note {
                eprintln!("{note}");
            }
            runs_csv
        }
        None => RunsCsv::create(&inv.out, spec, inv.weights)?,
    };
    let done = runs_csv.rows();
    let progress = ProgressBar::new(total).with_position(done).with_style(
        ProgressStyle::with_template("{elapsed_precise} [{bar:30}] {pos}/{len} runs  {per_sec}  ETA {eta}")
            .expect("a valid template")
            .progress_chars("=> "),
    );
    // On the 2×2 images alone --weights adds runs.csv columns instead (`RowFormat`).
    let per_run_weights = inv.weights && !spec.squares_only();
    let run_files = RunFiles::new(&inv.out, spec, inv.outputs, per_run_weights);
    let kill_after = kill_after_wave();
    let mut waves = 0;
    run_study(spec, &data, engine.as_ref(), &inv.options, range, done, |wave| {
        for record in &wave {
            if let Some(files) = &run_files {
                files.write(record)?;
            }
            let row = runs_csv.row_of(record);
            runs_csv.write(&row)?;
            on_row(&row);
        }
        // A wave is on disk, and its checksums in the state, before the next starts: a crash
        // loses at most the wave in flight.
        runs_csv.sync().context("cannot write runs.csv.partial")?;
        state.checksums = runs_csv.checksums();
        write_state(&inv.out, &state)?;
        progress.inc(wave.len() as u64);
        waves += 1;
        if kill_after == Some(waves) {
            kill_self();
        }
        anyhow::Ok(())
    })?;
    progress.finish_and_clear();
    runs_csv.finish()
}
