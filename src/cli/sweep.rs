//! `ibias sweep md|reparam|bregman`: certified α × η × seed sweeps, resumable from a journal; and
//! `ibias sweep plan|run|sbatch|status|merge`: sweeps from a specification file, sharded (Slurm job arrays).

use super::{NOT_CONVERGED, args, out};
use ibias::dynamics::StepRule;
use ibias::sweep::{self, SweepMethod, SweepOptions};
use ibias::{Error, Result};
use std::path::PathBuf;

#[derive(clap::Args, Debug)]
pub struct SweepArgs {
    #[command(subcommand)]
    cmd: SweepCmd,
}

#[derive(clap::Subcommand, Debug)]
enum SweepCmd {
    /// Mirror descent (hyperbolic entropy) over α × η × seed, each run against its exact limit.
    Md(GridArgs),
    /// GD on (u, v) over α × η × seed, each run against its exact limit.
    Reparam(GridArgs),
    /// The exact limits (Bregman projections) over α × seed.
    Bregman(GridArgs),
    /// A specification file's runs: count, estimated time and memory, and the run list.
    Plan(super::spec::PlanArgs),
    /// Run one shard of a specification into a folder (restartable; K/N from Slurm's array variables).
    Run(super::spec::RunArgs),
    /// Write a Slurm job-array script for a specification and print the sbatch line.
    Sbatch(super::spec::SbatchArgs),
    /// Done, failing and missing runs per shard of a sweep folder.
    Status(super::spec::StatusArgs),
    /// Check that every planned run is present exactly once and write one table.
    Merge(super::spec::MergeArgs),
}

#[derive(clap::Args, Debug)]
pub struct GridArgs {
    /// CSV file; without it, the preset at each of --seeds.
    #[arg(long, conflicts_with = "seeds")]
    data: Option<PathBuf>,
    /// Preset used with --seeds (ex2, woodworth; default ex2); not with --data.
    #[arg(long, conflicts_with = "data")]
    preset: Option<String>,
    /// Dataset seeds of the preset (without --data), comma-separated; default 0.
    #[arg(long, value_delimiter = ',')]
    seeds: Option<Vec<u64>>,
    /// α values: LO:HI:K (log-spaced) or a comma-separated list.
    #[arg(long, default_value = "1e-10:1e3:27")]
    alphas: String,
    /// Step rules, comma-separated: lbfgs, auto, safe or numbers (default: ibias run's on each dataset — md lbfgs
    /// where X has full row rank, else auto; reparam safe).
    #[arg(long, value_delimiter = ',', value_parser = args::step_rule)]
    etas: Option<Vec<StepRule>>,
    /// Stop each run when R ≤ tol·R(0).
    #[arg(long, default_value = "1e-24", value_parser = args::non_negative)]
    tol: f64,
    /// Iteration cap per run.
    #[arg(long, default_value_t = 10_000_000)]
    max_iter: usize,
    /// Seconds cap per run.
    #[arg(long, default_value = "60.0", value_parser = args::positive)]
    max_seconds: f64,
    /// Keep each run's final iterate w in its row (in --json and the journal).
    #[arg(long)]
    record_w: bool,
    /// Journal of finished rows (JSON lines): an interrupted sweep resumes from it; rows of other
    /// requests in it are left alone.
    #[arg(long)]
    resume: Option<PathBuf>,
    /// Worker threads (default: all cores).
    #[arg(long, value_parser = args::threads)]
    threads: Option<usize>,
    /// Print JSON.
    #[arg(long)]
    json: bool,
    /// No progress output.
    #[arg(long)]
    quiet: bool,
}

#[derive(serde::Serialize)]
struct SweepOut {
    method: SweepMethod,
    rows: Vec<sweep::Row>,
    report: sweep::SweepReport,
    wall_seconds: f64,
    threads: usize,
    peak_rss_mib: Option<f64>,
}

pub fn run(a: SweepArgs) -> Result<i32> {
    match a.cmd {
        SweepCmd::Md(g) => grid(SweepMethod::Md, g),
        SweepCmd::Reparam(g) => grid(SweepMethod::Reparam, g),
        SweepCmd::Bregman(g) => grid(SweepMethod::Bregman, g),
        SweepCmd::Plan(x) => super::spec::plan(x),
        SweepCmd::Run(x) => super::spec::run(x),
        SweepCmd::Sbatch(x) => super::spec::sbatch(x),
        SweepCmd::Status(x) => super::spec::status(x),
        SweepCmd::Merge(x) => super::spec::merge(x),
    }
}

fn grid(method: SweepMethod, a: GridArgs) -> Result<i32> {
    let t = std::time::Instant::now();
    let alphas = sweep::parse_alphas(&a.alphas)?;
    let etas = a.etas.clone();
    if method == SweepMethod::Bregman && a.etas.is_some() {
        return Err(Error::param("--etas", "the exact limits (bregman) take no step rule"));
    }
    let seeds = a.seeds.clone().unwrap_or_else(|| vec![0]);
    let o = SweepOptions {
        method,
        alphas,
        etas,
        risk_tol: a.tol,
        max_iter: a.max_iter,
        max_seconds: a.max_seconds,
        record_w: a.record_w,
    };
    o.validate()?;
    let problems = sweep::problems_from(a.data.as_deref(), a.preset.as_deref().unwrap_or("ex2"), &seeds)?;
    let pool = ibias::kernels::par::thread_pool(a.threads).map_err(super::flag_names)?;
    let threads = pool.current_num_threads();
    let bar = out::Bar::new(a.quiet || a.json);
    let cb = bar.callback();
    let res = pool.install(|| sweep::run(&problems, &o, a.resume.as_deref(), &cb));
    bar.finish();
    let (rows, report) = res?;
    let all_converged = rows.iter().all(|r| r.converged);
    let o = SweepOut {
        method,
        rows,
        report,
        wall_seconds: t.elapsed().as_secs_f64(),
        threads,
        peak_rss_mib: sweep::peak_rss_mib(),
    };
    let code = if all_converged { 0 } else { NOT_CONVERGED };
    if a.json {
        out::json(&o)?;
        return Ok(code);
    }
    out::line(format!(
        "{:>6} {:>10} {:>8} {:>10} {:>9} {:>5} {:>11} {:>11} {:>11}",
        "seed", "alpha", "eta", "iters", "seconds", "conv", "l1_gap_abs", "l2_gap_abs", "to_exact_rel"
    ))?;
    for r in &o.rows {
        out::line(format!(
            "{:>6} {:>10.3e} {:>8} {:>10} {:>9.4} {:>5} {:>11.3e} {:>11.3e} {:>11.3e}",
            r.seed.map_or("file".into(), |s| s.to_string()),
            r.alpha,
            r.step_rule,
            r.iterations,
            r.wall_seconds,
            r.converged,
            r.l1_gap_abs,
            r.l2_gap_abs,
            r.distance_to_exact_rel
        ))?;
    }
    out::line(format!(
        "{} rows ({} resumed, {} computed) in {:.2} s on {} threads; peak RSS {:.1} MiB",
        o.rows.len(),
        o.report.resumed,
        o.report.computed,
        o.wall_seconds,
        threads,
        o.peak_rss_mib.unwrap_or(f64::NAN)
    ))?;
    if o.report.foreign_rows > 0 || o.report.duplicate_rows > 0 || o.report.truncated_last_line {
        out::line(format!(
            "journal: {} rows of other requests left alone, {} duplicates dropped{}",
            o.report.foreign_rows,
            o.report.duplicate_rows,
            if o.report.truncated_last_line { ", a cut last line dropped (its run was redone)" } else { "" }
        ))?;
    }
    let caps = o.rows.iter().filter(|r| !r.converged).count();
    if caps > 0 {
        out::line(format!("{caps} runs hit a cap before R ≤ {:e}·R(0) (stop_reason in --json)", a.tol))?;
    }
    Ok(code)
}
