//! `ibias ex1|ex2|ex3|report|sweep`: the studies and the report.

use crate::cli::print_json;
use crate::report::{self, ReportConfig};
use crate::study::{Section, ex1, ex2, ex3};
use crate::{Error, Result};
use std::path::{Path, PathBuf};
use std::time::Instant;

/// Arguments of `ibias ex1|ex2|ex3`.
#[derive(clap::Args, Debug)]
pub struct StudyArgs {
    /// TOML configuration (sections [ex1], [ex2], [ex3]; missing fields keep their defaults).
    #[arg(long)]
    config: Option<PathBuf>,
    /// Write this exercise's report page into DIR.
    #[arg(long)]
    out: Option<PathBuf>,
    /// Print the measured results as JSON.
    #[arg(long)]
    json: bool,
}

/// Arguments of `ibias report`.
#[derive(clap::Args, Debug, Clone)]
pub struct ReportArgs {
    /// TOML configuration (sections [ex1], [ex2], [ex3]).
    #[arg(long)]
    config: Option<PathBuf>,
    /// Output folder.
    #[arg(long, default_value = "report")]
    out: PathBuf,
    /// No progress output.
    #[arg(long)]
    quiet: bool,
}

impl Default for ReportArgs {
    fn default() -> Self {
        ReportArgs { config: None, out: PathBuf::from("report"), quiet: false }
    }
}

fn load_config(path: &Option<PathBuf>) -> Result<ReportConfig> {
    match path {
        None => Ok(ReportConfig::default()),
        Some(p) => {
            let text =
                std::fs::read_to_string(p).map_err(|e| Error::Io(format!("cannot read {}: {e}", p.display())))?;
            ReportConfig::from_toml(&text)
        }
    }
}

fn spinner(quiet: bool) -> Option<indicatif::ProgressBar> {
    if quiet {
        return None;
    }
    let pb = indicatif::ProgressBar::new_spinner();
    pb.set_draw_target(indicatif::ProgressDrawTarget::stderr());
    pb.enable_steady_tick(std::time::Duration::from_millis(120));
    Some(pb)
}

fn finish_study<T: serde::Serialize>(
    res: &T,
    section: Section,
    args: &StudyArgs,
    cfg: &ReportConfig,
    t: Instant,
) -> Result<()> {
    if let Some(out) = &args.out {
        let page = report::write(out, cfg, std::slice::from_ref(&section), t.elapsed().as_secs_f64())?;
        eprintln!("wrote {}", page.display());
    }
    if args.json {
        print_json(res)
    } else {
        println!("{}", section.title);
        for a in &section.answers {
            println!("- {a}");
        }
        Ok(())
    }
}

pub(crate) fn ex1(a: StudyArgs) -> Result<()> {
    let t = Instant::now();
    let cfg = load_config(&a.config)?;
    let (r, s) = ex1::run(&cfg.ex1)?;
    finish_study(&r, s, &a, &cfg, t)
}

pub(crate) fn ex2(a: StudyArgs) -> Result<()> {
    let t = Instant::now();
    let cfg = load_config(&a.config)?;
    let (r, s) = ex2::run(&cfg.ex2, &|_| {})?;
    finish_study(&r, s, &a, &cfg, t)
}

pub(crate) fn ex3(a: StudyArgs) -> Result<()> {
    let t = Instant::now();
    let cfg = load_config(&a.config)?;
    let (r, s) = ex3::run(&cfg.ex3, &|_| {})?;
    finish_study(&r, s, &a, &cfg, t)
}

/// Runs all three studies and writes the report into `out`; returns the page path.
pub fn run_report(cfg: &ReportConfig, out: &Path, quiet: bool) -> Result<PathBuf> {
    let t = Instant::now();
    let pb = spinner(quiet);
    let say = |m: &str| {
        if let Some(pb) = &pb {
            pb.set_message(m.to_string());
        }
    };
    say("Exercise 1: claims and limits");
    let (_, s1) = ex1::run(&cfg.ex1)?;
    let (_, s2) = ex2::run(&cfg.ex2, &say)?;
    let (_, s3) = ex3::run(&cfg.ex3, &say)?;
    let page = report::write(out, cfg, &[s1, s2, s3], t.elapsed().as_secs_f64())?;
    if let Some(pb) = pb {
        pb.finish_and_clear();
    }
    Ok(page)
}

pub(crate) fn report(a: &ReportArgs) -> Result<()> {
    let t = Instant::now();
    let cfg = load_config(&a.config)?;
    let page = run_report(&cfg, &a.out, a.quiet)?;
    println!("wrote {} in {:.1} s", page.display(), t.elapsed().as_secs_f64());
    Ok(())
}

/// Arguments of `ibias sweep`.
#[derive(clap::Args, Debug)]
pub struct SweepArgs {
    /// md (mirror descent, hyperbolic entropy), reparam (GD on u, v) or bregman (the exact limits).
    method: crate::study::sweep::SweepMethod,
    /// CSV file; without it, the preset at each of --seeds.
    #[arg(long)]
    data: Option<PathBuf>,
    /// Preset used with --seeds (ex2, woodworth).
    #[arg(long, default_value = "ex2")]
    preset: String,
    /// Dataset seeds of the preset (without --data), comma-separated; default 0.
    #[arg(long, value_delimiter = ',')]
    seeds: Option<Vec<u64>>,
    /// α values: LO:HI:K (log-spaced) or a comma-separated list.
    #[arg(long, default_value = "1e-10:1e3:27")]
    alphas: String,
    /// Step rules, comma-separated: lbfgs, auto, safe or numbers (md default lbfgs, reparam default safe).
    #[arg(long, value_delimiter = ',')]
    etas: Option<Vec<String>>,
    /// Stop each run when R ≤ tol·R(0).
    #[arg(long, default_value_t = 1e-24)]
    tol: f64,
    /// Iteration cap per run.
    #[arg(long, default_value_t = 10_000_000)]
    max_iter: usize,
    /// Seconds cap per run.
    #[arg(long, default_value_t = 60.0)]
    max_seconds: f64,
    /// Journal of finished rows (JSON lines): an interrupted sweep resumes from it.
    #[arg(long)]
    resume: Option<PathBuf>,
    /// Worker threads (default: all cores).
    #[arg(long)]
    threads: Option<usize>,
    /// Print JSON.
    #[arg(long)]
    json: bool,
}

#[derive(serde::Serialize)]
struct SweepOut {
    method: crate::study::sweep::SweepMethod,
    rows: Vec<crate::study::sweep::Row>,
    seconds: f64,
    threads: usize,
    peak_rss_mib: Option<f64>,
}

pub(crate) fn sweep(a: SweepArgs) -> Result<()> {
    use crate::dynamics::StepRule;
    use crate::study::sweep::{self, SweepMethod, SweepOptions};
    let t = Instant::now();
    let alphas = sweep::parse_alphas(&a.alphas)?;
    let etas: Vec<StepRule> = match &a.etas {
        Some(v) => v.iter().map(|s| StepRule::parse(s)).collect::<Result<_>>()?,
        None => vec![if a.method == SweepMethod::Reparam { StepRule::Safe } else { StepRule::Lbfgs }],
    };
    if a.data.is_some() && a.seeds.is_some() {
        return Err(Error::Param("--seeds draws datasets from --preset; it cannot be combined with --data".into()));
    }
    let seeds = a.seeds.unwrap_or_else(|| vec![0]);
    if seeds.is_empty() {
        return Err(Error::Param("--seeds is empty".into()));
    }
    let problems = sweep::problems_from(a.data.as_deref(), &a.preset, &seeds)?;
    let o = SweepOptions {
        method: a.method,
        alphas,
        etas,
        risk_tol: a.tol,
        max_iter: a.max_iter,
        max_seconds: a.max_seconds,
    };
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(a.threads.unwrap_or(0))
        .build()
        .map_err(|e| Error::Param(format!("thread pool: {e}")))?;
    let threads = pool.current_num_threads();
    let rows = pool.install(|| sweep::run(&problems, &o, a.resume.as_deref()))?;
    let out = SweepOut {
        method: a.method,
        rows,
        seconds: t.elapsed().as_secs_f64(),
        threads,
        peak_rss_mib: sweep::peak_rss_mib(),
    };
    if a.json {
        print_json(&out)
    } else {
        println!(
            "{:>10} {:>8} {:>10} {:>9} {:>5} {:>11} {:>11} {:>11}",
            "alpha", "eta", "iters", "seconds", "conv", "l1_gap", "l2_gap", "to_exact"
        );
        for r in &out.rows {
            println!(
                "{:>10.3e} {:>8} {:>10} {:>9.4} {:>5} {:>11.3e} {:>11.3e} {:>11.3e}",
                r.alpha, r.eta, r.iterations, r.seconds, r.converged, r.l1_gap, r.l2_gap, r.distance_to_exact
            );
        }
        println!(
            "{} rows in {:.2} s on {} threads; peak RSS {:.1} MiB",
            out.rows.len(),
            out.seconds,
            threads,
            out.peak_rss_mib.unwrap_or(f64::NAN)
        );
        Ok(())
    }
}

/// Arguments of `ibias bench`.
#[derive(clap::Args, Debug)]
pub struct BenchArgs {
    /// CSV file (last column y).
    #[arg(long)]
    data: PathBuf,
    /// α of the hyperbolic entropy for the MD/reparam steps.
    #[arg(long, default_value_t = 1.0)]
    alpha: f64,
    /// Fewer, shorter batches.
    #[arg(long)]
    quick: bool,
    /// Print JSON.
    #[arg(long)]
    json: bool,
}

pub(crate) fn bench(a: BenchArgs) -> Result<()> {
    let p = crate::data::load_csv(&a.data)?;
    let t = crate::bench::standard(&p, a.alpha, a.quick)?;
    if a.json {
        print_json(&t)
    } else {
        for x in &t {
            println!("{:<28} {:>12.3} µs per {}", x.name, x.seconds * 1e6, x.unit);
        }
        Ok(())
    }
}
