//! Command-line interface (`clap` derive): parses, calls the library, prints or writes.

use crate::data::{self, Entries, GenSpec};
use crate::dynamics::flow::{FlowKind, run_flow};
use crate::dynamics::md::RunConfig;
use crate::dynamics::ode::OdeOptions;
use crate::dynamics::reparam::run_reparam_alpha;
use crate::dynamics::{RunResult, StepRule, run_eg, run_gd, run_md};
use crate::potential::{Euclidean, Hyperbolic, NegEntropy, Potential};
use crate::{Error, Result};
use clap::{Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

/// ibias — the implicit bias of gradient methods on least squares, simulated, verified and drawn.
///
/// Without a subcommand it runs the full report (`ibias report`).
#[derive(Parser, Debug)]
#[command(name = "ibias", version, about, long_about = None)]
pub struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Generate or inspect datasets.
    Data {
        #[command(subcommand)]
        cmd: DataCmd,
    },
    /// Run one algorithm (discrete, or its flow with --flow).
    Run(RunArgs),
    /// Solve an exact reference problem (min-ℓ2, basis pursuit, Bregman projection).
    Solve(crate::cli_exact::SolveArgs),
    /// Regularisation paths (ridge, Lasso) in the sheet's convention R(w) + λ·pen(w).
    Path(crate::cli_exact::PathArgs),
    /// Exercise 1: the claims of the theory, measured.
    Ex1(crate::cli_study::StudyArgs),
    /// Exercise 2: discrete GD on z vs MD, and the α sweep.
    Ex2(crate::cli_study::StudyArgs),
    /// Exercise 3: regularisation paths vs optimisation paths.
    Ex3(crate::cli_study::StudyArgs),
    /// The full report: all three exercises, figures and one HTML page (default: report/).
    Report(crate::cli_study::ReportArgs),
    /// Certified sweeps over α × η × seed, each run compared with its exact limit.
    Sweep(crate::cli_study::SweepArgs),
    /// Time the kernels and solvers on a dataset (see bench/compare.py for ratios against NumPy/scikit-learn/SciPy).
    Bench(crate::cli_study::BenchArgs),
}

#[derive(Subcommand, Debug)]
enum DataCmd {
    /// Generate a seeded synthetic dataset (ChaCha8) and write it as CSV (last column y).
    Gen {
        /// A preset: ex2 (40×100, 5-sparse ±1, noiseless), ex3 (100×2, w* = (1,0), unit noise), woodworth.
        #[arg(long)]
        preset: Option<String>,
        /// Samples (without --preset).
        #[arg(long)]
        n: Option<usize>,
        /// Features (without --preset).
        #[arg(long)]
        d: Option<usize>,
        /// Non-zeros of w* (default: dense).
        #[arg(long)]
        sparsity: Option<usize>,
        /// Entries of w*: signs, gaussian or constant (1/√k).
        #[arg(long, default_value = "signs")]
        entries: String,
        /// Noise standard deviation.
        #[arg(long, default_value_t = 0.0)]
        noise: f64,
        /// Seed of the ChaCha8 generator.
        #[arg(long, default_value_t = 0)]
        seed: u64,
        /// Output CSV file.
        #[arg(short, long)]
        out: PathBuf,
    },
    /// Describe a CSV dataset: shape, rank, singular values, smoothness.
    Info {
        /// CSV file (numeric, last column y, optional header).
        file: PathBuf,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq)]
enum Algo {
    Gd,
    Md,
    Reparam,
    Eg,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq)]
pub(crate) enum PotentialArg {
    Euclidean,
    Hyperbolic,
    Entropy,
}

#[derive(clap::Args, Debug)]
struct RunArgs {
    /// gd (from 0), md (mirror descent, hyperbolic entropy by default), reparam (GD on u,v), eg (exponentiated gradient).
    algorithm: Algo,
    /// CSV file (last column y).
    #[arg(long)]
    data: PathBuf,
    /// Initialisation scale α: md/reparam use u0 = v0 = α (c = 2α²), eg starts at w0 = α·1.
    #[arg(long, default_value_t = 1.0)]
    alpha: f64,
    /// Potential of md.
    #[arg(long, value_enum, default_value = "hyperbolic")]
    potential: PotentialArg,
    /// Step size: a number, `safe` (SPEC §6 rule) or `auto` (adaptive, keeps MD's implicit bias).
    #[arg(long, default_value = "auto")]
    eta: String,
    /// Stop when R(w) ≤ tol·R(0); 0 disables the risk stop (then --max-iter runs exactly N iterations).
    #[arg(long, default_value_t = 1e-16)]
    tol: f64,
    /// Stop when the local-metric gradient ≤ grad_tol·‖∇R(0)‖∞; 0 disables it.
    #[arg(long, default_value_t = 0.0)]
    grad_tol: f64,
    /// Iteration cap.
    #[arg(long, default_value_t = 1_000_000)]
    max_iter: usize,
    /// Wall-clock cap in seconds.
    #[arg(long)]
    max_seconds: Option<f64>,
    /// Number of log-spaced checkpoints recorded.
    #[arg(long, default_value_t = 30)]
    checkpoints: usize,
    /// Integrate the continuous-time flow instead (Dormand–Prince 5(4), rtol 1e-10).
    #[arg(long)]
    flow: bool,
    /// With --flow: the stiff L-stable Rosenbrock integrator ROS2 (md, eg and gd flows), for large α or long horizons.
    #[arg(long)]
    stiff: bool,
    /// Flow horizon (with --flow).
    #[arg(long, default_value_t = 1e4)]
    t_max: f64,
    /// Print one JSON object.
    #[arg(long)]
    json: bool,
}

/// Runs the program on `args`; returns the exit code (0 ok, 1 error, 2 usage).
pub fn main_with_args<I, T>(args: I) -> i32
where
    I: IntoIterator<Item = T>,
    T: Into<std::ffi::OsString> + Clone,
{
    let cli = match Cli::try_parse_from(args) {
        Ok(c) => c,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() { 2 } else { 0 };
        }
    };
    match dispatch(cli) {
        Ok(()) => 0,
        Err(e) => {
            eprintln!("error: {e}");
            1
        }
    }
}

fn dispatch(cli: Cli) -> Result<()> {
    match cli.command {
        None => crate::cli_study::report(&crate::cli_study::ReportArgs::default()),
        Some(Command::Data { cmd }) => data_cmd(cmd),
        Some(Command::Run(a)) => run_cmd(a),
        Some(Command::Solve(a)) => crate::cli_exact::solve(a),
        Some(Command::Path(a)) => crate::cli_exact::path(a),
        Some(Command::Ex1(a)) => crate::cli_study::ex1(a),
        Some(Command::Ex2(a)) => crate::cli_study::ex2(a),
        Some(Command::Ex3(a)) => crate::cli_study::ex3(a),
        Some(Command::Report(a)) => crate::cli_study::report(&a),
        Some(Command::Sweep(a)) => crate::cli_study::sweep(a),
        Some(Command::Bench(a)) => crate::cli_study::bench(a),
    }
}

/// Prints a value as pretty JSON on stdout.
pub(crate) fn print_json<T: serde::Serialize>(v: &T) -> Result<()> {
    let s = serde_json::to_string_pretty(v).map_err(|e| Error::Io(format!("JSON encoding failed: {e}")))?;
    println!("{s}");
    Ok(())
}

fn data_cmd(cmd: DataCmd) -> Result<()> {
    match cmd {
        DataCmd::Gen { preset, n, d, sparsity, entries, noise, seed, out } => {
            let spec = match preset {
                Some(p) => GenSpec::preset(&p, seed)?,
                None => {
                    let (n, d) = match (n, d) {
                        (Some(n), Some(d)) => (n, d),
                        _ => return Err(Error::Param("give --preset, or both --n and --d".into())),
                    };
                    let entries = match entries.as_str() {
                        "signs" => Entries::Signs,
                        "gaussian" => Entries::Gaussian,
                        "constant" => Entries::Constant,
                        o => return Err(Error::Param(format!("unknown --entries '{o}' (signs, gaussian, constant)"))),
                    };
                    GenSpec { n, d, sparsity, entries, w_star: None, noise, seed }
                }
            };
            let g = spec.generate()?;
            data::write_atomic(&out, data::to_csv(&g.problem).as_bytes())?;
            eprintln!("wrote {} ({} × {}, seed {})", out.display(), g.problem.n(), g.problem.d(), spec.seed);
            Ok(())
        }
        DataCmd::Info { file, json } => {
            let p = data::load_csv(&file)?;
            let desc = p.describe();
            if json {
                print_json(&desc)
            } else {
                println!("{}: n = {}, d = {}, rank = {}", file.display(), desc.n, desc.d, desc.rank);
                println!(
                    "σ_max = {:.6e}, σ_min = {:.6e}, L = 2σ_max²/n = {:.6e}",
                    desc.sigma_max, desc.sigma_min, desc.smoothness
                );
                println!(
                    "R(0) = {:.6e}; overparametrised with full row rank: {}",
                    desc.risk_at_zero, desc.overparametrised_full_row_rank
                );
                Ok(())
            }
        }
    }
}

pub(crate) fn potential_of(kind: PotentialArg, alpha: f64, d: usize) -> Result<Box<dyn Potential>> {
    Ok(match kind {
        PotentialArg::Euclidean => Box::new(Euclidean),
        PotentialArg::Hyperbolic => Box::new(Hyperbolic::uniform(alpha, d)?),
        PotentialArg::Entropy => Box::new(NegEntropy),
    })
}

fn run_cmd(a: RunArgs) -> Result<()> {
    let p = data::load_csv(&a.data)?;
    let d = p.d();
    crate::potential::check_alpha(a.alpha)?;
    if !(a.tol.is_finite() && a.tol >= 0.0) {
        return Err(Error::Param(format!("--tol must be ≥ 0, got {}", a.tol)));
    }
    let mut cfg = RunConfig { step: StepRule::parse(&a.eta)?, checkpoints: a.checkpoints, ..Default::default() };
    cfg.stop.risk_tol = a.tol;
    cfg.stop.grad_tol = a.grad_tol;
    cfg.stop.max_iter = a.max_iter;
    cfg.stop.max_seconds = a.max_seconds;
    cfg.stop.max_time = a.t_max;
    let mut res: RunResult = if a.flow {
        let opts = if a.stiff {
            OdeOptions { rtol: 1e-8, atol: 1e-12, stiff: true, ..Default::default() }
        } else {
            OdeOptions::default()
        };
        if a.stiff && a.algorithm == Algo::Reparam {
            return Err(Error::Param(
                "--stiff integrates mirror and gradient flows; the reparam flow uses DOPRI5".into(),
            ));
        }
        let pot = potential_of(a.potential, a.alpha, d)?;
        let kind = match a.algorithm {
            Algo::Gd => FlowKind::Gd,
            Algo::Md => {
                let w0 = if a.potential == PotentialArg::Entropy { vec![a.alpha; d] } else { vec![0.0; d] };
                FlowKind::Md(pot.as_ref(), w0)
            }
            Algo::Eg => FlowKind::Md(&NegEntropy, vec![a.alpha; d]),
            Algo::Reparam => FlowKind::Reparam(vec![a.alpha; d], vec![a.alpha; d]),
        };
        let mut r = run_flow(&p, kind, &cfg.stop, a.checkpoints, opts)?;
        if a.algorithm == Algo::Eg {
            r.algorithm = "eg-flow".into();
        }
        r
    } else {
        match a.algorithm {
            Algo::Gd => run_gd(&p, &cfg)?,
            Algo::Md => {
                let pot = potential_of(a.potential, a.alpha, d)?;
                let w0 = if a.potential == PotentialArg::Entropy { vec![a.alpha; d] } else { vec![0.0; d] };
                run_md(&p, pot.as_ref(), &w0, &cfg)?
            }
            Algo::Eg => run_eg(&p, &vec![a.alpha; d], &cfg)?,
            Algo::Reparam => run_reparam_alpha(&p, a.alpha, &cfg)?,
        }
    };
    if a.algorithm != Algo::Gd {
        res.alpha = Some(a.alpha);
    }
    if a.json {
        print_json(&res)
    } else {
        println!(
            "{} ({}), α = {}, η rule {} (first η = {:.4e}, range {:.3e}..{:.3e})",
            res.algorithm,
            res.potential,
            res.alpha.map(|v| format!("{v:e}")).unwrap_or_else(|| "-".into()),
            res.eta_rule,
            res.eta,
            res.eta_range.0,
            res.eta_range.1
        );
        println!(
            "{} after {} iterations ({:?}) in {:.3} s; R(w) = {:.3e} (R(0) = {:.3e})",
            if res.converged { "converged" } else { "NOT converged" },
            res.iterations,
            res.stop_reason,
            res.seconds,
            res.risk,
            res.risk0
        );
        println!("‖w‖₁ = {:.12}, ‖w‖₂ = {:.12}", res.l1, res.l2);
        Ok(())
    }
}
