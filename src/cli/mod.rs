//! The command line: argument types with clap value parsers ([`args`]) and one file per command group.
//! The library knows nothing of it.
//!
//! Exit codes (one policy everywhere, README "Exit codes"): 0 success (converged, certified, or the
//! requested iterations done); 1 an error (bad input, a failed certificate, divergence, I/O); 2 a usage
//! error; 3 finished without meeting the convergence criterion (a cap was hit: the result is printed and
//! marked NOT converged). A closed output pipe ends the program quietly with 0.

mod args;
mod bench;
mod data;
mod out;
mod path;
mod run;
mod solve;
mod spec;
mod study;
mod sweep;

use clap::{CommandFactory, FromArgMatches, Parser, Subcommand};
use ibias::Error;

/// Exit code: finished without meeting the convergence criterion.
pub const NOT_CONVERGED: i32 = 3;

/// ibias — the implicit bias of gradient methods on least squares, simulated, certified and drawn.
///
/// Without a subcommand it writes the full report (`ibias report`).
#[derive(Parser, Debug)]
#[command(name = "ibias", version, about, long_about = None, after_help = EXIT_CODES)]
struct Cli {
    /// Memory budget: requests estimated to need more are refused before allocating (e.g. 512M, 4G;
    /// default: half of physical memory).
    #[arg(long, global = true, value_parser = args::memory)]
    max_memory: Option<u64>,
    #[command(subcommand)]
    command: Option<Command>,
}

const EXIT_CODES: &str = "Exit codes: 0 success; 1 error (bad input, failed certificate, divergence, I/O); 2 usage; \
3 finished without meeting the convergence criterion (a cap was hit; the result is printed and marked NOT converged).";

#[derive(Subcommand, Debug)]
enum Command {
    /// Generate or inspect datasets.
    Data {
        #[command(subcommand)]
        cmd: data::DataCmd,
    },
    /// Run one algorithm (discrete, or its flow with --flow).
    Run(run::RunArgs),
    /// Solve an exact reference problem (min-ℓ2, basis pursuit, Bregman projection), with its certificate.
    Solve(solve::SolveArgs),
    /// Regularisation paths (ridge, Lasso) in the sheet's convention R(w) + λ·pen(w).
    Path(path::PathArgs),
    /// The full report: every study, figures and one HTML page (default: report/).
    Report(study::ReportArgs),
    /// Certified sweeps: α × η × seed grids here, or specification files in shards (Slurm job arrays), each run
    /// compared with its exact limit.
    Sweep(sweep::SweepArgs),
    /// Time the kernels and solvers on a dataset (bench/compare.py gives ratios against NumPy/SciPy).
    Bench(bench::BenchArgs),
}

/// Runs the program; returns the exit code.
pub fn main() -> i32 {
    let mut cmd = Cli::command();
    for s in ibias::study::registry() {
        cmd = cmd
            .subcommand(<study::StudyArgs as clap::Args>::augment_args(clap::Command::new(s.key())).about(s.about()));
    }
    // `--alpha -1` is a number (refused for its value by the library), not an unknown flag.
    let cmd = allow_negative_numbers(cmd);
    let matches = match cmd.try_get_matches() {
        Ok(m) => m,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() { 2 } else { 0 };
        }
    };
    if let Some(bytes) = matches.get_one::<u64>("max_memory") {
        ibias::io::set_max_memory(*bytes);
    }
    let result = match matches.subcommand() {
        Some((name, sub)) if ibias::study::find(name).is_some() => {
            study::StudyArgs::from_arg_matches(sub).map_err(|e| e.to_string()).map(|a| study::one(name, a))
        }
        _ => Cli::from_arg_matches(&matches).map_err(|e| e.to_string()).map(dispatch),
    };
    match result {
        Ok(Ok(code)) => code,
        Ok(Err(e)) => report_error(&e),
        Err(usage) => {
            eprintln!("{usage}");
            2
        }
    }
}

/// Lets every command take negative numbers as values, recursively.
fn allow_negative_numbers(cmd: clap::Command) -> clap::Command {
    cmd.allow_negative_numbers(true).mut_subcommands(allow_negative_numbers)
}

fn dispatch(cli: Cli) -> ibias::Result<i32> {
    match cli.command {
        None => study::report(&study::ReportArgs::default()),
        Some(Command::Data { cmd }) => data::run(cmd),
        Some(Command::Run(a)) => run::run(a),
        Some(Command::Solve(a)) => solve::run(a),
        Some(Command::Path(a)) => path::run(a),
        Some(Command::Report(a)) => study::report(&a),
        Some(Command::Sweep(a)) => sweep::run(a),
        Some(Command::Bench(a)) => bench::run(a),
    }
}

/// Prints an error and returns its exit code; a closed output pipe is not an error.
fn report_error(e: &Error) -> i32 {
    if out::is_broken_pipe(e) {
        return 0;
    }
    use std::io::Write;
    let e = flag_names(e.clone());
    let _ = writeln!(std::io::stderr(), "error: {e}");
    e.exit_code()
}

/// The library names parameters (`eta`, `max_iter`, `shape/u0/v0`); the command line shows them as its flags
/// (`--eta`, `--max-iter`, `--shape/--u0/--v0`). Names already written otherwise (`[axes] depth`) are kept.
pub(crate) fn flag_names(e: Error) -> Error {
    match e {
        Error::Param { name, message } => {
            let plain =
                |p: &str| !p.is_empty() && p.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
            let name = if name != "method" && name.split('/').all(plain) {
                let flag = |p: &str| match p {
                    "replacement" => "--with-replacement".to_string(),
                    p => format!("--{}", p.replace('_', "-")),
                };
                name.split('/').map(flag).collect::<Vec<_>>().join("/")
            } else {
                name
            };
            Error::Param { name, message }
        }
        other => other,
    }
}

/// Stops a long computation after `seconds` (the library's cancellation check ends it cleanly).
pub(crate) fn watchdog(seconds: Option<f64>) {
    if let Some(s) = seconds {
        std::thread::spawn(move || {
            std::thread::sleep(std::time::Duration::from_secs_f64(s));
            ibias::control::cancel();
        });
    }
}

/// The error for a computation stopped by `--max-seconds`.
pub(crate) fn timed_out(e: Error, what: &str, seconds: Option<f64>) -> Error {
    match (e, seconds) {
        (Error::Interrupted, Some(s)) => Error::param("--max-seconds", format!("{what} was stopped after {s} s")),
        (e, _) => e,
    }
}
