//! Certified sweeps over α × η × seed: every run reports its distance to the exact Bregman projection
//! (its limit), runs are spread over all cores (`rayon`), and finished rows can be appended to a
//! journal so that an interrupted sweep resumes without redoing them.

use crate::data::GenSpec;
use crate::dynamics::md::RunConfig;
use crate::dynamics::reparam::run_reparam_alpha;
use crate::dynamics::{StepRule, run_md};
use crate::exact::bregman::{BregmanOptions, bregman_projection};
use crate::exact::{basis_pursuit, min_l2};
use crate::linalg::{dist2, norm1, norm2};
use crate::potential::Hyperbolic;
use crate::problem::Problem;
use crate::{Error, Result};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use std::io::Write;
use std::path::Path;

/// What a sweep runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum SweepMethod {
    /// Mirror descent with the hyperbolic entropy, from 0.
    Md,
    /// Reparametrised GD from `α·1`.
    Reparam,
    /// The exact Bregman projection.
    Bregman,
}

/// One row of a sweep.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Row {
    /// Seed of the dataset (`None` for a file).
    pub seed: Option<u64>,
    /// α.
    pub alpha: f64,
    /// Step rule (or `dual Newton`).
    pub eta: String,
    /// Iterations.
    pub iterations: usize,
    /// Seconds.
    pub seconds: f64,
    /// Met its stopping rule.
    pub converged: bool,
    /// `‖w‖₁`.
    pub l1: f64,
    /// `‖w‖₂`.
    pub l2: f64,
    /// `‖w‖₁ − ‖w₁*‖₁`.
    pub l1_gap: f64,
    /// `‖w‖₂ − ‖w₂*‖₂`.
    pub l2_gap: f64,
    /// `‖w − w_exact(α)‖₂/‖w_exact(α)‖₂`.
    pub distance_to_exact: f64,
}

/// Options of a sweep.
#[derive(Debug, Clone)]
pub struct SweepOptions {
    /// Method.
    pub method: SweepMethod,
    /// α values.
    pub alphas: Vec<f64>,
    /// Step rules (ignored for `bregman`).
    pub etas: Vec<StepRule>,
    /// Stop when `R ≤ risk_tol·R(0)`.
    pub risk_tol: f64,
    /// Iteration cap per run.
    pub max_iter: usize,
    /// Seconds cap per run.
    pub max_seconds: f64,
}

/// Parses `LO:HI:K` into `K` log-spaced values, or a comma-separated list.
pub fn parse_alphas(s: &str) -> Result<Vec<f64>> {
    let bad = || Error::Param(format!("--alphas '{s}': expected LO:HI:K (log-spaced) or a comma-separated list"));
    let v: Vec<f64> = if s.contains(':') {
        let parts: Vec<&str> = s.split(':').collect();
        if parts.len() != 3 {
            return Err(bad());
        }
        let lo: f64 = parts[0].trim().parse().map_err(|_| bad())?;
        let hi: f64 = parts[1].trim().parse().map_err(|_| bad())?;
        let k: usize = parts[2].trim().parse().map_err(|_| bad())?;
        if k == 0 || !(lo > 0.0 && hi >= lo) {
            return Err(Error::Param(format!("--alphas '{s}': need 0 < LO ≤ HI and K ≥ 1")));
        }
        crate::linalg::logspace(lo, hi, k)
    } else {
        s.split(',').map(|x| x.trim().parse::<f64>().map_err(|_| bad())).collect::<Result<_>>()?
    };
    for &a in &v {
        crate::potential::check_alpha(a)?;
    }
    Ok(v)
}

struct Refs {
    l1: f64,
    l2: f64,
}

fn one(p: &Problem, refs: &Refs, seed: Option<u64>, alpha: f64, eta: StepRule, o: &SweepOptions) -> Result<Row> {
    let d = p.d();
    let pot = Hyperbolic::uniform(alpha, d)?;
    let exact = bregman_projection(p, &pot, &vec![0.0; d], BregmanOptions::default())?;
    let (w, eta_s, it, secs, conv) = match o.method {
        SweepMethod::Bregman => {
            (exact.w.clone(), "dual Newton".to_string(), exact.certificate.iterations.unwrap_or(0), exact.seconds, true)
        }
        SweepMethod::Md | SweepMethod::Reparam => {
            let mut cfg = RunConfig { step: eta, checkpoints: 0, ..Default::default() };
            cfg.stop.risk_tol = o.risk_tol;
            cfg.stop.grad_tol = 0.0;
            cfg.stop.max_iter = o.max_iter;
            cfg.stop.max_seconds = Some(o.max_seconds);
            let r = if o.method == SweepMethod::Md {
                run_md(p, &pot, &vec![0.0; d], &cfg)?
            } else {
                run_reparam_alpha(p, alpha, &cfg)?
            };
            (r.w, eta.label(), r.iterations, r.seconds, r.converged)
        }
    };
    Ok(Row {
        seed,
        alpha,
        eta: eta_s,
        iterations: it,
        seconds: secs,
        converged: conv,
        l1: norm1(&w),
        l2: norm2(&w),
        l1_gap: norm1(&w) - refs.l1,
        l2_gap: norm2(&w) - refs.l2,
        distance_to_exact: dist2(&w, &exact.w) / exact.l2.max(f64::MIN_POSITIVE),
    })
}

fn key(r: &Row) -> String {
    format!("{:?}|{:e}|{}", r.seed, r.alpha, r.eta)
}

/// Runs the sweep over `problems` (each with its seed), in parallel. With `journal`, rows already in it
/// are not recomputed and each new row is appended (one JSON object a line) as soon as it finishes.
pub fn run(problems: &[(Option<u64>, Problem)], o: &SweepOptions, journal: Option<&Path>) -> Result<Vec<Row>> {
    let mut done: Vec<Row> = Vec::new();
    if let Some(j) = journal
        && j.exists()
    {
        let text = std::fs::read_to_string(j)?;
        for (k, line) in text.lines().enumerate() {
            if line.trim().is_empty() {
                continue;
            }
            // A line cut by an interruption is skipped (its run is redone).
            if let Ok(r) = serde_json::from_str::<Row>(line) {
                done.push(r);
            } else if k + 1 != text.lines().count() {
                return Err(Error::Data(format!("{}: line {} is not a sweep row", j.display(), k + 1)));
            }
        }
        // Rewrite the journal without a cut last line, so that new rows start on a line of their own.
        if !text.is_empty()
            && (!text.ends_with('\n') || done.len() != text.lines().filter(|l| !l.trim().is_empty()).count())
        {
            let mut clean = String::new();
            for r in &done {
                clean.push_str(&serde_json::to_string(r).map_err(|e| Error::Io(e.to_string()))?);
                clean.push('\n');
            }
            crate::data::write_atomic(j, clean.as_bytes())?;
        }
    }
    let refs: Vec<Refs> = problems
        .iter()
        .map(|(_, p)| -> Result<Refs> { Ok(Refs { l1: basis_pursuit(p)?.l1, l2: min_l2(p)?.l2 }) })
        .collect::<Result<_>>()?;
    let etas: Vec<StepRule> = if o.method == SweepMethod::Bregman { vec![StepRule::Auto] } else { o.etas.clone() };
    let mut jobs = Vec::new();
    for (pi, (seed, _)) in problems.iter().enumerate() {
        for &a in &o.alphas {
            for &e in &etas {
                let label = if o.method == SweepMethod::Bregman { "dual Newton".to_string() } else { e.label() };
                let k = format!("{seed:?}|{a:e}|{label}");
                if !done.iter().any(|r| key(r) == k) {
                    jobs.push((pi, a, e));
                }
            }
        }
    }
    let file = match journal {
        Some(j) => Some(std::sync::Mutex::new(
            std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(j)
                .map_err(|e| Error::Io(format!("{}: {e}", j.display())))?,
        )),
        None => None,
    };
    // One job per task: run times differ by orders of magnitude across α, so no static split.
    let new: Vec<Row> = jobs
        .par_iter()
        .with_max_len(1)
        .map(|&(pi, a, e)| -> Result<Row> {
            let (seed, p) = &problems[pi];
            let r = one(p, &refs[pi], *seed, a, e, o)?;
            if let Some(f) = &file {
                let mut line = serde_json::to_string(&r).map_err(|e| Error::Io(e.to_string()))?;
                line.push('\n');
                let mut f = f.lock().map_err(|_| Error::Io("journal lock poisoned".into()))?;
                f.write_all(line.as_bytes())?;
                f.flush()?;
            }
            Ok(r)
        })
        .collect::<Result<_>>()?;
    let mut rows = done;
    rows.extend(new);
    rows.sort_by(|a, b| a.seed.cmp(&b.seed).then(a.alpha.total_cmp(&b.alpha)).then(a.eta.cmp(&b.eta)));
    Ok(rows)
}

/// The datasets of a sweep: one file, or the `ex2`-type preset at several seeds.
pub fn problems_from(data: Option<&Path>, preset: &str, seeds: &[u64]) -> Result<Vec<(Option<u64>, Problem)>> {
    match data {
        Some(f) => Ok(vec![(None, crate::data::load_csv(f)?)]),
        None => seeds.iter().map(|&s| Ok((Some(s), GenSpec::preset(preset, s)?.generate()?.problem))).collect(),
    }
}

/// Peak resident memory of this process in MiB (Linux `VmHWM`), if known.
pub fn peak_rss_mib() -> Option<f64> {
    let s = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = s.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024.0)
}
