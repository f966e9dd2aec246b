//! `aemc`: parse, plan, run, report.

use std::path::Path;
use std::process::ExitCode;

use anyhow::Context;
use clap::Parser;
use indicatif::{ProgressBar, ProgressStyle};

use aemc::analysis::exact::predictions;
use aemc::cli::{Cli, Command, Invocation, MergeArgs};
use aemc::engine::Engine;
use aemc::error::InputError;
use aemc::report::runs::{PARTIAL_RUNS_FILE, RUNS_FILE, RunsCsv, read_rows};
use aemc::report::{self, Summary, write_atomically};
use aemc::study::StudySpec;
use aemc::study::run::run_study;
use aemc::study::state::{STATE_FILE, Shard, State};

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) if e.use_stderr() => {
            // clap's usage errors span several lines; keep the paragraph that says what is
            // wrong (and what is accepted) as one line, without the usage.
            let text = e.to_string();
            let first: Vec<&str> = text.lines().take_while(|l| !l.trim().is_empty()).map(str::trim).collect();
            eprintln!("{}", first.join(" "));
            return ExitCode::from(2);
        }
        Err(e) => {
            let _ = e.print();
            return ExitCode::SUCCESS;
        }
    };
    match execute(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => match e.downcast_ref::<InputError>() {
            Some(input) => {
                eprintln!("error: {input}");
                ExitCode::from(2)
            }
            None => {
                // One line: the causes joined, as `{:#}` does.
                eprintln!("error: {}", format!("{e:#}").replace('\n', " "));
                ExitCode::FAILURE
            }
        },
    }
}

fn execute(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Run(args) => study(args.invocation()?),
        Command::Sweep(args) => study(args.invocation()?),
        Command::Merge(args) => merge(args),
        Command::Predict(args) => {
            print!("{}", report::predictions(&predictions(args.widths, args.init), args.format)?);
            Ok(())
        }
    }
}

fn study(inv: Invocation) -> anyhow::Result<()> {
    // The engine first: a missing GPU or feature is reported before any file is touched.
    let engine = inv.spec.engine.engine(inv.spec.device)?;
    let state = State::new(&inv.spec, inv.shard);
    let resume = prepare_output(&inv.out, &inv.spec, &state, inv.restart)?;
    let summary = run(&inv, engine.as_ref(), resume)?;
    report(&inv.out, &summary)
}

/// Writes the summary exports and prints the terminal report.
fn report(out: &Path, summary: &Summary) -> anyhow::Result<()> {
    for exporter in report::exporters() {
        write_atomically(out, exporter.file_name(), exporter.render(summary)?.as_bytes())?;
    }
    print!("{}", report::terminal(summary));
    println!("\nResults in {}", out.display());
    Ok(())
}

/// Creates the output directory, proves it writable, and decides between a fresh start and
/// resuming what it holds. Refuses to touch another study's results unless `restart`.
fn prepare_output(out: &Path, spec: &StudySpec, state: &State, restart: bool) -> anyhow::Result<bool> {
    let unwritable = |e: std::io::Error| {
        InputError::field("--out", format!("cannot write to {}: {e}; give a writable directory", out.display()))
    };
    std::fs::create_dir_all(out).map_err(unwritable)?;
    tempfile::tempfile_in(out).map_err(unwritable)?;
    let prior = State::read(out);
    let same_study = matches!(prior, Ok(Some(ref p)) if p == state);
    let resume = match prior {
        // Same study: resume what is on disk (a clean clone of the results has summaries only).
        Ok(Some(_)) if same_study => !restart && (out.join(PARTIAL_RUNS_FILE).exists() || out.join(RUNS_FILE).exists()),
        Ok(Some(prior)) if !restart => {
            return Err(InputError::field(
                "--out",
                format!(
                    "{} holds results of another study or shard (study {}, fingerprint {}, shard {}; this is {}, {}, {}); \
                     pass --restart to replace them or choose another --out",
                    out.display(),
                    prior.study,
                    prior.fingerprint,
                    prior.shard,
                    state.study,
                    state.fingerprint,
                    state.shard
                ),
            )
            .into());
        }
        Err(e) if !restart => return Err(e.into()),
        _ => false,
    };
    // Starting over: another study's files go (this study's summaries are rewritten at the
    // end, atomically, and stay until then).
    if !resume {
        let exports = report::exporters();
        let derived = exports.iter().map(|e| e.file_name()).filter(|_| !same_study || restart);
        for stale in [RUNS_FILE, PARTIAL_RUNS_FILE].into_iter().chain(derived) {
            match std::fs::remove_file(out.join(stale)) {
                Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(e.into()),
                _ => {}
            }
        }
    }
    let recorded = format!("# Study as run by aemc {}\n{}", env!("CARGO_PKG_VERSION"), spec.to_toml());
    write_atomically(out, "study.toml", recorded.as_bytes())?;
    write_atomically(out, STATE_FILE, state.to_json().as_bytes())?;
    Ok(resume)
}

/// Checks that the `index`-th row of a shard's runs.csv is the run it should be.
fn expect_row(spec: &StudySpec, shard: Shard, index: u64, found: (usize, u64)) -> anyhow::Result<()> {
    let range = shard.runs(spec.runs);
    let per_config = range.end - range.start;
    let expected = ((index / per_config) as usize, range.start + index % per_config);
    anyhow::ensure!(
        found == expected,
        InputError::field(
            "runs.csv",
            format!(
                "row {} is configuration {} run {}, expected {} run {}; pass --restart",
                index + 1,
                found.0,
                found.1,
                expected.0,
                expected.1
            )
        )
    );
    Ok(())
}

fn run(inv: &Invocation, engine: &dyn Engine, resume: bool) -> anyhow::Result<Summary> {
    let spec = &inv.spec;
    let range = inv.shard.runs(spec.runs);
    let total = (range.end - range.start) * spec.configurations().len() as u64;
    let mut summary = Summary::new(spec);
    let mut runs_csv = if resume {
        let mut index = 0;
        RunsCsv::resume(&inv.out, spec, inv.weights, |row| {
            expect_row(spec, inv.shard, index, summary.add_row(row)?)?;
            index += 1;
            anyhow::ensure!(
                index <= total,
                InputError::field("runs.csv", "has more rows than the study; pass --restart")
            );
            Ok(())
        })?
    } else {
        RunsCsv::create(&inv.out, spec, inv.weights)?
    };
    let done = runs_csv.rows();
    let progress = ProgressBar::new(total).with_position(done).with_style(
        ProgressStyle::with_template("{elapsed_precise} [{bar:30}] {pos}/{len} runs  {per_sec}  ETA {eta}")
            .expect("a valid template")
            .progress_chars("=> "),
    );
    run_study(spec, engine, &inv.options, range, done, |wave| {
        for record in &wave {
            runs_csv.write(record)?;
            summary.add(record);
        }
        // A wave is on disk before the next starts: a crash loses at most the wave in flight.
        runs_csv.sync().context("cannot write runs.csv.partial")?;
        progress.inc(wave.len() as u64);
        anyhow::Ok(())
    })?;
    progress.finish_and_clear();
    runs_csv.finish()?;
    Ok(summary)
}

/// `aemc merge`: the shards' rows in the order one unsharded run writes them.
fn merge(args: MergeArgs) -> anyhow::Result<()> {
    let mut shards = Vec::new();
    for dir in &args.shards {
        let state = State::read(dir)?.ok_or_else(|| {
            InputError::field(dir.display().to_string(), format!("not an aemc output directory (no {STATE_FILE})"))
        })?;
        shards.push((dir.clone(), state));
    }
    let (first_dir, first) = shards[0].clone();
    for (dir, state) in &shards {
        if state.fingerprint != first.fingerprint || state.shard.count != first.shard.count {
            return Err(InputError::field(
                "merge",
                format!(
                    "{} holds study {} ({}, {} shards) but {} holds study {} ({}, {} shards): shards of different studies",
                    dir.display(),
                    state.study,
                    state.fingerprint,
                    state.shard.count,
                    first_dir.display(),
                    first.study,
                    first.fingerprint,
                    first.shard.count
                ),
            )
            .into());
        }
    }
    shards.sort_by_key(|(_, s)| s.shard.index);
    for pair in shards.windows(2) {
        if pair[0].1.shard.index == pair[1].1.shard.index {
            return Err(InputError::field(
                "merge",
                format!(
                    "overlapping shards: {} is in both {} and {}",
                    pair[0].1.shard,
                    pair[0].0.display(),
                    pair[1].0.display()
                ),
            )
            .into());
        }
    }
    let missing: Vec<String> = (1..=first.shard.count)
        .filter(|k| !shards.iter().any(|(_, s)| s.shard.index == *k))
        .map(|k| format!("{k}/{}", first.shard.count))
        .collect();
    if !missing.is_empty() {
        return Err(InputError::field("merge", format!("missing shards: {}", missing.join(", "))).into());
    }
    let spec = StudySpec::from_file(&first_dir.join("study.toml"))?;
    let state = State::new(&spec, Shard::WHOLE);
    if state.fingerprint != first.fingerprint {
        return Err(InputError::field(
            first_dir.join("study.toml").display().to_string(),
            "does not match its aemc-state.json",
        )
        .into());
    }
    prepare_output(&args.out, &spec, &state, true)?;
    let mut readers = Vec::new();
    let mut weights = None;
    for (dir, _) in &shards {
        let (with_weights, rows) = read_rows(dir, &spec)?;
        if *weights.get_or_insert(with_weights) != with_weights {
            return Err(InputError::field(
                dir.join(RUNS_FILE).display().to_string(),
                "its columns differ from the other shards' (--weights on some shards only)",
            )
            .into());
        }
        readers.push(rows);
    }
    let weights = weights.unwrap_or(false);
    let mut runs_csv = RunsCsv::create(&args.out, &spec, weights)?;
    let mut summary = Summary::new(&spec);
    let mut index = 0;
    for _ in spec.configurations() {
        for ((dir, s), rows) in shards.iter().zip(readers.iter_mut()) {
            let range = s.shard.runs(spec.runs);
            for _ in range.clone() {
                let row = rows.next().ok_or_else(|| {
                    InputError::field(dir.join(RUNS_FILE).display().to_string(), "ends early: is this shard finished?")
                })??;
                expect_row(&spec, Shard::WHOLE, index, summary.add_row(&row)?)?;
                runs_csv.write_row(&row)?;
                index += 1;
            }
        }
    }
    runs_csv.finish()?;
    report(&args.out, &summary)
}
