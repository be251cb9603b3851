//! Certified sweeps over α × η × seed: every run reports its distance to the exact Bregman projection (its
//! limit), runs are spread over all cores (`rayon`), and finished rows are appended to a journal
//! ([`super::journal`]) so that an interrupted sweep resumes without redoing or mixing them.

use super::journal;
use crate::control::{Progress, ProgressFn};
use crate::dynamics::sgd::{SgdKind, SgdOptions, run_sgd};
use crate::dynamics::{Init, RunConfig, StepRule, StopReason, StopRule, run_md, run_reparam};
use crate::error::{non_negative, num, positive};
use crate::exact::bregman::{BregmanOptions, bregman_projection};
use crate::exact::{basis_pursuit, min_l2};
use crate::kernels::linalg::{dist2, norm1, norm2};
use crate::potential::{DepthD, Hyperbolic, Potential};
use crate::problem::generate::GenSpec;
use crate::problem::{Problem, text_hash};
use crate::{Error, Result};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use std::collections::HashSet;
use std::path::Path;

/// What a sweep runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SweepMethod {
    /// Mirror descent with the hyperbolic entropy, from 0.
    Md,
    /// GD on (u, v) from `α·1`.
    Reparam,
    /// The exact Bregman projection.
    Bregman,
}

impl std::str::FromStr for SweepMethod {
    type Err = String;
    fn from_str(s: &str) -> std::result::Result<Self, String> {
        match s {
            "md" => Ok(SweepMethod::Md),
            "reparam" => Ok(SweepMethod::Reparam),
            "bregman" => Ok(SweepMethod::Bregman),
            _ => Err(format!("unknown sweep method '{s}' (md, reparam or bregman)")),
        }
    }
}

impl std::fmt::Display for SweepMethod {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            SweepMethod::Md => "md",
            SweepMethod::Reparam => "reparam",
            SweepMethod::Bregman => "bregman",
        })
    }
}

/// What a run varies besides method, α and step rule (sweep specifications' extra axes; SPEC §10): the
/// network depth `D` (`w = u^D − v^D`; mirror descent on the depth-D potential), the initialisation shape `s`
/// (depth 2 only), a mini-batch size (stochastic runs; `None`: full batch) and the seed of its sampling stream.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Variant {
    /// Depth `D ≥ 2`.
    pub depth: u32,
    /// Shape `s ∈ (−1, 1)` (0: `u₀ = v₀ = α`).
    pub shape: f64,
    /// Mini-batch size (`None`: full batch).
    pub batch: Option<usize>,
    /// Seed of the mini-batch stream (0 without a batch).
    pub sgd_seed: u64,
}

impl Default for Variant {
    fn default() -> Self {
        Variant { depth: 2, shape: 0.0, batch: None, sgd_seed: 0 }
    }
}

impl Variant {
    /// The sheet's setting: depth 2, `u₀ = v₀ = α`, full batch.
    pub fn is_plain(&self) -> bool {
        *self == Variant::default()
    }

    /// The variant as `method` runs it: the exact limit ignores batches; a full-batch run ignores the seed.
    pub fn normalized(mut self, method: SweepMethod) -> Self {
        if method == SweepMethod::Bregman {
            self.batch = None;
        }
        if self.batch.is_none() {
            self.sgd_seed = 0;
        }
        self
    }

    /// Checks the variant (names the spec's keys).
    pub fn validate(&self) -> Result<()> {
        if !(2..=64).contains(&self.depth) {
            return Err(Error::param("[axes] depth", format!("depth must be in [2, 64], got {}", self.depth)));
        }
        if !(self.shape.is_finite() && self.shape.abs() < 1.0) {
            return Err(Error::param("[axes] shape", format!("s must lie in (−1, 1), got {}", num(self.shape))));
        }
        if self.shape != 0.0 && self.depth != 2 {
            return Err(Error::param("[axes] shape", "a shape s ≠ 0 is defined for depth 2 only"));
        }
        if self.batch == Some(0) {
            return Err(Error::param("[axes] batch", "a batch size must be ≥ 1"));
        }
        Ok(())
    }

    fn id_part(&self) -> String {
        format!(
            "|D{}|s{:016x}|b{}|r{}",
            self.depth,
            self.shape.to_bits(),
            self.batch.map_or("full".into(), |b| b.to_string()),
            self.sgd_seed
        )
    }
}

/// One row of a sweep.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Row {
    /// Hash of the run's resolved parameters and data (the journal key).
    pub run_id: String,
    /// Hash of the dataset's content.
    pub data_hash: String,
    /// Seed of the dataset (`None` for a file).
    pub seed: Option<u64>,
    /// What ran.
    pub method: SweepMethod,
    /// α.
    pub alpha: f64,
    /// Step rule (`dual_newton` for the exact limit).
    pub step_rule: String,
    /// Iterations.
    pub iterations: usize,
    /// Wall-clock seconds.
    pub wall_seconds: f64,
    /// Met its stopping rule.
    pub converged: bool,
    /// Why it stopped.
    pub stop_reason: Option<StopReason>,
    /// `‖w‖₁`.
    pub l1_norm: f64,
    /// `‖w‖₂`.
    pub l2_norm: f64,
    /// `‖w‖₁ − ‖w₁*‖₁` (absolute).
    pub l1_gap_abs: f64,
    /// `‖w‖₂ − ‖w₂*‖₂` (absolute).
    pub l2_gap_abs: f64,
    /// `‖w − w_exact(α)‖₂/‖w_exact(α)‖₂` (relative).
    pub distance_to_exact_rel: f64,
    /// The run's final iterate, when the sweep records it ([`SweepOptions::record_w`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub w: Option<Vec<f64>>,
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
    /// Keep each run's final iterate `w` in its row (and journal).
    pub record_w: bool,
}

impl SweepOptions {
    /// Checks every option.
    pub fn validate(&self) -> Result<()> {
        if self.alphas.is_empty() {
            return Err(Error::param("alphas", "is empty"));
        }
        for &a in &self.alphas {
            crate::potential::check_alpha("alphas", a)?;
        }
        if self.method != SweepMethod::Bregman && self.etas.is_empty() {
            return Err(Error::param("etas", "is empty"));
        }
        if self.method == SweepMethod::Reparam {
            for e in &self.etas {
                if matches!(e, StepRule::Auto | StepRule::Lbfgs) {
                    return Err(Error::param("etas", format!("GD on (u, v) takes safe or a number, not '{e}'")));
                }
            }
        }
        non_negative("tol", self.risk_tol)?;
        if self.max_iter == 0 {
            return Err(Error::param("max_iter", "must be ≥ 1"));
        }
        positive("max_seconds", self.max_seconds)?;
        Ok(())
    }

    pub(crate) fn rule_label(&self, e: StepRule) -> String {
        if self.method == SweepMethod::Bregman { "dual_newton".into() } else { e.label() }
    }

    /// The run id of a variant (the plain variant's id is [`Self::run_id`]'s).
    pub fn variant_run_id(&self, data_hash: &str, alpha: f64, e: StepRule, v: &Variant) -> String {
        let v = v.normalized(self.method);
        if v.is_plain() {
            return self.run_id(data_hash, alpha, e);
        }
        let base = self.run_id(data_hash, alpha, e);
        text_hash(&format!("{base}{}", v.id_part()))
    }

    /// The run id: a hash of every resolved parameter of one run and of its data's content.
    pub fn run_id(&self, data_hash: &str, alpha: f64, e: StepRule) -> String {
        let what = match self.method {
            SweepMethod::Bregman => format!("bregman|{data_hash}|{:016x}", alpha.to_bits()),
            m => format!(
                "{m:?}|{data_hash}|{:016x}|{}|{:016x}|{}|{:016x}",
                alpha.to_bits(),
                e.label(),
                self.risk_tol.to_bits(),
                self.max_iter,
                self.max_seconds.to_bits()
            ),
        };
        text_hash(&what)
    }
}

/// Parses `LO:HI:K` into `K` log-spaced values (end points exactly `LO` and `HI`, as every door gives
/// them: see [`crate::kernels::linalg::logspace`]), or a comma-separated list.
pub fn parse_alphas(s: &str) -> Result<Vec<f64>> {
    let bad = || Error::param("alphas", format!("'{s}': expected LO:HI:K (log-spaced) or a comma-separated list"));
    let v: Vec<f64> = if s.contains(':') {
        let parts: Vec<&str> = s.split(':').collect();
        if parts.len() != 3 {
            return Err(bad());
        }
        let lo: f64 = parts[0].trim().parse().map_err(|_| bad())?;
        let hi: f64 = parts[1].trim().parse().map_err(|_| bad())?;
        let k: usize = parts[2].trim().parse().map_err(|_| bad())?;
        if k == 0 || k > 100_000 || !(lo > 0.0 && hi >= lo && hi.is_finite()) {
            return Err(Error::param("alphas", format!("'{s}': need 0 < LO ≤ HI and 1 ≤ K ≤ 100000")));
        }
        crate::kernels::linalg::logspace(lo, hi, k)
    } else {
        s.split(',').map(|x| x.trim().parse::<f64>().map_err(|_| bad())).collect::<Result<_>>()?
    };
    for &a in &v {
        crate::potential::check_alpha("alphas", a)?;
    }
    Ok(v)
}

/// A problem's reference norms `‖w₁*‖₁` (basis pursuit) and `‖w₂*‖₂` (minimum ℓ2), which every row's gaps use.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Refs {
    l1: f64,
    l2: f64,
}

impl Refs {
    /// Solves both reference problems.
    pub(crate) fn of(p: &Problem) -> Result<Self> {
        Ok(Refs { l1: basis_pursuit(p)?.l1_norm, l2: min_l2(p)?.l2_norm })
    }
}

fn one(p: &Problem, refs: &Refs, seed: Option<u64>, alpha: f64, eta: StepRule, o: &SweepOptions) -> Result<Row> {
    let (mut row, w) = one_variant(p, refs, seed, alpha, eta, o, &Variant::default())?;
    if o.record_w {
        row.w = Some(w);
    }
    Ok(row)
}

/// One run of a sweep in a variant (depth, shape, mini-batches; [`Variant::default`] is the sheet's setting):
/// its row and final `w`. The exact limit is the Bregman projection of the variant's potential from its `w₀`
/// (depth D: SPEC §9's depth-D potential; shape: the hyperbolic entropy with `c = 2u₀v₀` from `w₀`).
pub(crate) fn one_variant(
    p: &Problem,
    refs: &Refs,
    seed: Option<u64>,
    alpha: f64,
    eta: StepRule,
    o: &SweepOptions,
    v: &Variant,
) -> Result<(Row, Vec<f64>)> {
    let v = v.normalized(o.method);
    v.validate()?;
    let d = p.d();
    let init =
        if v.shape != 0.0 { Init::shape(alpha, v.shape, d)? } else { Init::uniform(alpha, d)? }.depth(v.depth)?;
    // The sheet's setting keeps the uniform potential (the same bits as a plain `ibias sweep`).
    let (pot, w0): (Box<dyn Potential>, Vec<f64>) = if v.depth != 2 {
        (Box::new(DepthD::new(v.depth, alpha)?), vec![0.0; d])
    } else if v.shape != 0.0 {
        (Box::new(init.potential()), init.w0())
    } else {
        (Box::new(Hyperbolic::uniform(alpha, d)?), vec![0.0; d])
    };
    let exact = bregman_projection(p, pot.as_ref(), &w0, BregmanOptions::default())?;
    let (w, it, secs, reason) = match o.method {
        SweepMethod::Bregman => (exact.w.clone(), exact.certificate.iterations.unwrap_or(0), exact.wall_seconds, None),
        SweepMethod::Md | SweepMethod::Reparam => {
            let cfg = RunConfig::new(eta)
                .checkpoints(0)
                .stop(StopRule::default().risk_tol(o.risk_tol).max_iter(o.max_iter).max_seconds(Some(o.max_seconds)));
            let r = match (o.method, v.batch) {
                (SweepMethod::Md, None) => run_md(p, pot.as_ref(), &w0, &cfg)?,
                (_, None) => run_reparam(p, &init, &cfg)?,
                (m, Some(b)) => {
                    let opts = SgdOptions { batch: b, seed: v.sgd_seed, ..SgdOptions::default() };
                    let kind = if m == SweepMethod::Md {
                        SgdKind::Md(pot.as_ref(), w0.clone())
                    } else {
                        SgdKind::Reparam(&init)
                    };
                    run_sgd(p, &kind, &opts, &cfg)?
                }
            };
            (r.w, r.iterations, r.wall_seconds, Some(r.stop_reason))
        }
    };
    let (l1, l2) = (norm1(&w), norm2(&w));
    let row = Row {
        run_id: o.variant_run_id(p.data_hash(), alpha, eta, &v),
        data_hash: p.data_hash().to_string(),
        seed,
        method: o.method,
        alpha,
        step_rule: o.rule_label(eta),
        iterations: it,
        wall_seconds: secs,
        converged: reason.is_none_or(|r| r.converged()),
        stop_reason: reason,
        l1_norm: l1,
        l2_norm: l2,
        l1_gap_abs: l1 - refs.l1,
        l2_gap_abs: l2 - refs.l2,
        distance_to_exact_rel: dist2(&w, &exact.w) / exact.l2_norm.max(f64::MIN_POSITIVE),
        w: None,
    };
    Ok((row, w))
}

/// What a sweep did besides its rows.
#[derive(Debug, Clone, Default, Serialize)]
pub struct SweepReport {
    /// Rows taken from the journal.
    pub resumed: usize,
    /// Rows computed now.
    pub computed: usize,
    /// Journal rows of other requests, left alone.
    pub foreign_rows: usize,
    /// Duplicate journal rows dropped.
    pub duplicate_rows: usize,
    /// Whether a cut last line was dropped from the journal (its run redone).
    pub truncated_last_line: bool,
}

/// Runs the sweep over `problems` (each with its seed), in parallel. With `journal`, rows of this request
/// already in it are not recomputed, and each new row is appended as soon as it finishes.
pub fn run(
    problems: &[(Option<u64>, Problem)],
    o: &SweepOptions,
    journal_path: Option<&Path>,
    progress: ProgressFn<'_>,
) -> Result<(Vec<Row>, SweepReport)> {
    o.validate()?;
    let etas: Vec<StepRule> = if o.method == SweepMethod::Bregman { vec![StepRule::Auto] } else { o.etas.clone() };
    let mut jobs = Vec::new();
    for (pi, (_, p)) in problems.iter().enumerate() {
        for &a in &o.alphas {
            for &e in &etas {
                jobs.push((o.run_id(p.data_hash(), a, e), pi, a, e));
            }
        }
    }
    let wanted: HashSet<String> = jobs.iter().map(|j| j.0.clone()).collect();
    let mut report = SweepReport::default();
    let writer = match journal_path {
        Some(j) => Some(journal::Writer::open(j)?),
        None => None,
    };
    let mut done: Vec<Row> = Vec::new();
    if let Some(j) = journal_path {
        let (rows, rep) = journal::read::<Row>(j, Some(&wanted), |r| &r.run_id)?;
        // A sweep that records w redoes journalled runs that did not record it.
        done = rows.into_iter().filter(|r| !o.record_w || r.w.is_some()).collect();
        report.foreign_rows = rep.foreign;
        report.duplicate_rows = rep.duplicates;
        report.truncated_last_line = rep.truncated_last_line || writer.as_ref().is_some_and(|w| w.dropped_cut_line());
    }
    let have: HashSet<String> = done.iter().map(|r| r.run_id.clone()).collect();
    let mut seen = HashSet::new();
    jobs.retain(|j| !have.contains(&j.0) && seen.insert(j.0.clone()));
    report.resumed = done.len();
    let refs: Vec<Refs> = problems.iter().map(|(_, p)| Refs::of(p)).collect::<Result<_>>()?;
    let total = jobs.len();
    let count = std::sync::atomic::AtomicUsize::new(0);
    // One job per task: run times differ by orders of magnitude across α, so no static split.
    let new: Vec<Row> = jobs
        .par_iter()
        .with_max_len(1)
        .map(|(_, pi, a, e)| -> Result<Row> {
            crate::control::check()?;
            let (seed, p) = &problems[*pi];
            let r = one(p, &refs[*pi], *seed, *a, *e, o)?;
            if let Some(w) = &writer {
                w.append(&r)?;
            }
            let k = count.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
            progress(Progress::Count { done: k, total });
            Ok(r)
        })
        .collect::<Result<_>>()?;
    if let Some(w) = writer {
        w.close()?;
    }
    report.computed = new.len();
    let mut rows = done;
    rows.extend(new);
    rows.sort_by(|a, b| a.seed.cmp(&b.seed).then(a.alpha.total_cmp(&b.alpha)).then(a.step_rule.cmp(&b.step_rule)));
    Ok((rows, report))
}

/// The datasets of a sweep: one file, or a preset at several seeds.
pub fn problems_from(data: Option<&Path>, preset: &str, seeds: &[u64]) -> Result<Vec<(Option<u64>, Problem)>> {
    match data {
        Some(f) => Ok(vec![(None, crate::problem::csv::load_csv(f)?)]),
        None => {
            if seeds.is_empty() {
                return Err(Error::param("seeds", "is empty"));
            }
            seeds.iter().map(|&s| Ok((Some(s), GenSpec::preset(preset, s)?.generate()?.problem))).collect()
        }
    }
}

/// Peak resident memory of this process in MiB (Linux `VmHWM`), if known.
pub fn peak_rss_mib() -> Option<f64> {
    let s = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = s.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024.0)
}

/// A short description of an α grid for messages.
pub fn describe_alphas(a: &[f64]) -> String {
    match a {
        [] => "none".into(),
        [x] => num(*x),
        _ => format!("{} values from {} to {}", a.len(), num(a[0]), num(a[a.len() - 1])),
    }
}
