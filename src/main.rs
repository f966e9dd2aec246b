//! `aemc`: parse, plan, run, report.

use std::process::ExitCode;

use anyhow::Context;
use clap::Parser;
use indicatif::{ProgressBar, ProgressStyle};

use aemc::analysis::exact::predictions;
use aemc::cli::{Cli, Command, Invocation};
use aemc::error::InputError;
use aemc::report::runs::RunsCsv;
use aemc::report::{self, Summary, write_atomically};
use aemc::study::run::run_study;

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
                eprintln!("error: {e:#}");
                ExitCode::FAILURE
            }
        },
    }
}

fn execute(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Run(args) => study(args.invocation()?),
        Command::Sweep(args) => study(args.invocation()?),
        Command::Predict(args) => {
            print!("{}", report::predictions(&predictions(args.widths, args.init), args.format)?);
            Ok(())
        }
    }
}

fn study(invocation: Invocation) -> anyhow::Result<()> {
    prepare_output(&invocation)?;
    let summary = run(&invocation)?;
    for exporter in report::exporters() {
        write_atomically(&invocation.out, exporter.file_name(), exporter.render(&summary)?.as_bytes())?;
    }
    print!("{}", report::terminal(&summary));
    println!("\nResults in {}", invocation.out.display());
    Ok(())
}

/// Creates the output directory and proves it writable before any result is written.
fn prepare_output(inv: &Invocation) -> anyhow::Result<()> {
    let unwritable = |e: std::io::Error| {
        InputError::field("--out", format!("cannot write to {}: {e}; give a writable directory", inv.out.display()))
    };
    std::fs::create_dir_all(&inv.out).map_err(unwritable)?;
    tempfile::tempfile_in(&inv.out).map_err(unwritable)?;
    let recorded = format!("# Study as run by aemc {}\n{}", env!("CARGO_PKG_VERSION"), inv.spec.to_toml());
    write_atomically(&inv.out, "study.toml", recorded.as_bytes())
}

fn run(inv: &Invocation) -> anyhow::Result<Summary> {
    let spec = &inv.spec;
    let total = spec.runs * spec.configurations().len() as u64;
    let progress = ProgressBar::new(total).with_style(
        ProgressStyle::with_template("{elapsed_precise} [{bar:30}] {pos}/{len} runs  {per_sec}  ETA {eta}")
            .expect("a valid template")
            .progress_chars("=> "),
    );
    let mut runs_csv = RunsCsv::create(&inv.out, spec, inv.weights)?;
    let mut summary = Summary::new(spec);
    let engine = spec.engine.engine();
    run_study(spec, engine.as_ref(), &inv.options, 0..spec.runs, |record| {
        runs_csv.write(&record)?;
        summary.add(&record);
        progress.inc(1);
        anyhow::Ok(())
    })
    .context("training failed")?;
    progress.finish_and_clear();
    runs_csv.finish()?;
    Ok(summary)
}
