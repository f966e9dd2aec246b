//! `aemc`: parse, plan, run, report.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::Parser;

use aemc::analysis::exact::{predictions, predictions_with};
use aemc::audit;
use aemc::cli::{Cli, Command, InspectArgs, VerifyArgs};
use aemc::data::DatasetSpec;
use aemc::error::InputError;
use aemc::figures::{Colormap, FIGURES_DIR, Figure, figures};
use aemc::report::paired::Comparison;
use aemc::report::terminal::terminal;
use aemc::report::{Exporter, Report, Summary, exporters, predict};
use aemc::study::StudySpec;
use aemc::study::compare::pair_runs;
use aemc::study::execute::{Invocation, execute};
use aemc::study::merge::Merge;
use aemc::study::output::{STUDY_FILE, write_atomically};
use aemc::study::run_files::roc_curves;

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
    match run(cli.command) {
        Ok(code) => code,
        Err(e) => match e.downcast_ref::<InputError>() {
            Some(input) => {
                eprintln!("error: {input}");
                ExitCode::from(2)
            }
            None => {
                eprintln!("error: {}", format!("{e:#}").replace('\n', " ")); // the causes, one line
                ExitCode::FAILURE
            }
        },
    }
}

fn run(command: Command) -> anyhow::Result<ExitCode> {
    let exporters = exporters();
    let derived: Vec<&str> = exporters.iter().map(|e| e.file_name()).collect();
    let (out, summary, plots) = match command {
        Command::Run(args) => study(args.invocation()?, &derived)?,
        Command::Sweep(args) => study(args.invocation()?, &derived)?,
        Command::Merge(args) => {
            let merge = Merge::new(&args.shards)?;
            let mut summary = Summary::new(&merge.spec);
            merge.write(&args.out, &derived, |row| summary.add(row))?;
            (args.out, summary, true)
        }
        Command::Predict(args) => {
            let predictions = predictions_with(args.widths, args.init, args.samples, args.seed);
            print!("{}", predict::render(&predictions, args.format)?);
            return Ok(ExitCode::SUCCESS);
        }
        Command::Verify(args) => return verify(&args),
        Command::Compare(args) => {
            print!("{}", Comparison::of(&pair_runs(&args.a, &args.b)?).render(args.format)?);
            return Ok(ExitCode::SUCCESS);
        }
        Command::Plot(args) => {
            draw(&args.dir, args.colormap)?;
            return Ok(ExitCode::SUCCESS);
        }
        Command::Inspect(args) => return inspect(&args),
    };
    let roc = roc_curves(&out, summary.configs.iter().map(|c| &c.config))?;
    report(&out, &Report::new(summary, predictions).with_roc(roc), &exporters)?;
    if plots {
        draw(&out, Colormap::default())?;
    }
    Ok(ExitCode::SUCCESS)
}

/// Draws the figures of the study in `dir` into `dir/figures/`, one path a line.
fn draw(dir: &Path, colormap: Colormap) -> anyhow::Result<()> {
    let spec = StudySpec::from_file(&dir.join(STUDY_FILE))?;
    let data = spec.datasets.iter().map(DatasetSpec::label).zip(spec.load_datasets()?).collect::<Vec<_>>();
    let mut figures = figures(dir, &data, colormap)?;
    figures.extend(aemc::trace::loss_figure(dir, &spec)?);
    figures.extend(aemc::inspect::representative_reconstructions(dir, &spec, colormap)?);
    write_figures(&dir.join(FIGURES_DIR), &figures)
}

/// Writes `figures` into `dir` (created if need be), one path a line.
fn write_figures(dir: &Path, figures: &[Figure]) -> anyhow::Result<()> {
    std::fs::create_dir_all(dir)
        .map_err(|e| InputError::field(dir.display().to_string(), format!("cannot create it: {e}")))?;
    for figure in figures {
        write_atomically(dir, &figure.file_name, &figure.bytes)?;
        println!("{}", dir.join(&figure.file_name).display());
    }
    Ok(())
}

/// `aemc verify`: exit 0 when everything matches, else 1 with one line per problem (the first 20).
fn verify(args: &VerifyArgs) -> anyhow::Result<ExitCode> {
    let problems = audit::verify(&args.dir, args.sample(), args.seed)?;
    problems.iter().take(20).for_each(|line| println!("{line}"));
    if problems.len() > 20 {
        println!("… and {} more", problems.len() - 20);
    }
    let verdict =
        if problems.is_empty() { (ExitCode::SUCCESS, "verified") } else { (ExitCode::FAILURE, "NOT verified") };
    println!("{}: {}", args.dir.display(), verdict.1);
    Ok(verdict.0)
}

/// `aemc inspect`: the run's report on stdout and its decoder figure where asked for (by
/// default into a results directory's figures).
fn inspect(args: &InspectArgs) -> anyhow::Result<ExitCode> {
    let results = args.target.is_dir();
    let spec = StudySpec::from_file(&if results { args.target.join(STUDY_FILE) } else { args.target.clone() })?;
    let inspection = aemc::inspect::inspect(&spec, args.config, args.run)?;
    let trace = args.trace.map(|every| aemc::trace::trace(&spec, &spec.configurations()[args.config], args.run, every));
    let trace = trace.transpose()?;
    print!("{}", inspection.render());
    if let (Some(every), Some(trace)) = (args.trace, trace) {
        println!("\nLoss every {every} epochs:\n  epoch  loss");
        for (epoch, loss) in &trace.points {
            println!("  {epoch:<6} {}", aemc::float::shortest(*loss));
        }
    }
    let path = args.svg.clone().or_else(|| {
        results.then(|| args.target.join(FIGURES_DIR).join(aemc::inspect::figure_name(args.config, args.run)))
    });
    if let Some(path) = path {
        let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        let dir = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
        let decoder = inspection.figure(&name)?;
        let mut figures =
            vec![inspection.reconstructions(&aemc::inspect::beside(&name, "-images.png"), Colormap::default())?];
        figures.extend(inspection.vae_histograms(&aemc::inspect::beside(&name, "-vae.svg"))?);
        let has_decoder = decoder.is_some();
        figures.extend(decoder);
        println!();
        write_figures(dir, &figures)?;
        if !has_decoder {
            println!("No decoder figure: it needs a one-unit bottleneck (h2 = 1).");
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Trains (or resumes) a study into its output directory and counts its rows.
fn study(plan: Invocation, derived: &[&str]) -> anyhow::Result<(PathBuf, Summary, bool)> {
    let mut summary = Summary::new(&plan.spec);
    execute(&plan, derived, |row| summary.add(row))?;
    Ok((plan.out, summary, plan.plots))
}

/// Writes every export of the report into `out` and prints the terminal report.
fn report(out: &Path, report: &Report, exporters: &[Box<dyn Exporter>]) -> anyhow::Result<()> {
    for exporter in exporters.iter().filter(|e| e.applies(report)) {
        write_atomically(out, exporter.file_name(), exporter.render(report)?.as_bytes())?;
    }
    print!("{}", terminal(report));
    println!("\nResults in {}", out.display());
    Ok(())
}
