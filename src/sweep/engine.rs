//! Certified sweeps over α × η × seed: every run reports its distance to the exact Bregman projection (its
//! limit), runs are spread over all cores (`rayon`), and finished rows are appended to a journal
//! ([`super::journal`]) so that an interrupted sweep resumes without redoing or mixing them.

use super::journal;
use crate::control::{Progress, ProgressFn};
use crate::datafit::LossKind;
use crate::dynamics::{Init, StepRule, StopReason};
use crate::error::{non_negative, num, positive};
use crate::exact::bregman::{BregmanOptions, bregman_projection};
use crate::exact::max_margin::{MarginNorm, max_margin};
use crate::exact::{basis_pursuit, min_l2};
use crate::kernels::linalg::{dist2, norm1, norm2};
use crate::potential::PotentialKind;
use crate::problem::{Problem, text_hash};
use crate::request::solve::{SolveKind, SolveRequest};
use crate::request::{PotentialChoice, RunRequest};
use crate::{Error, Result};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use std::collections::HashSet;
use std::path::Path;

/// What a sweep runs: the three certified least-squares workhorses, or any other method of the front door
/// ([`crate::request::method_names`], registered ones included), run through [`RunRequest`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SweepMethod {
    /// Mirror descent with the hyperbolic entropy, from 0.
    Md,
    /// GD on (u, v) from `α·1`.
    Reparam,
    /// The exact Bregman projection.
    Bregman,
    /// Another method of the front door, by its canonical name (`gd`, `eg`, `azulay`, `sign_gd`, …).
    Run(&'static str),
}

impl SweepMethod {
    /// Whether the method has an initialisation scale α (gd, sign-GD and normalised GD start from 0 and have
    /// none: a sweep runs them once, with α recorded as missing).
    pub fn takes_alpha(&self) -> bool {
        match self {
            SweepMethod::Run(m) => RunRequest::new(m).takes_alpha(),
            _ => true,
        }
    }

    /// The name every output uses.
    pub fn name(&self) -> &'static str {
        match self {
            SweepMethod::Md => "md",
            SweepMethod::Reparam => "reparam",
            SweepMethod::Bregman => "bregman",
            SweepMethod::Run(m) => m,
        }
    }
}

impl std::str::FromStr for SweepMethod {
    type Err = String;
    fn from_str(s: &str) -> std::result::Result<Self, String> {
        match s {
            "md" => Ok(SweepMethod::Md),
            "reparam" => Ok(SweepMethod::Reparam),
            "bregman" => Ok(SweepMethod::Bregman),
            other => crate::request::canonical_name(other).map(SweepMethod::Run).ok_or_else(|| {
                format!(
                    "unknown sweep method '{s}' (bregman or a method: {})",
                    crate::request::method_names().join(", ")
                )
            }),
        }
    }
}

impl std::fmt::Display for SweepMethod {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

impl Serialize for SweepMethod {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.serialize_str(self.name())
    }
}

impl<'de> Deserialize<'de> for SweepMethod {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        String::deserialize(d)?.parse().map_err(serde::de::Error::custom)
    }
}

/// Values that a run may lack (no known limit, no reference, no α) are NaN in memory, `null` in JSON journals
/// and an empty cell in tables.
pub(crate) mod nan_as_null {
    use serde::{Deserialize, Deserializer, Serializer};
    /// NaN as `null`.
    pub fn serialize<S: Serializer>(v: &f64, s: S) -> Result<S::Ok, S::Error> {
        if v.is_nan() { s.serialize_none() } else { s.serialize_f64(*v) }
    }
    /// `null` as NaN.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
        Ok(Option::<f64>::deserialize(d)?.unwrap_or(f64::NAN))
    }
}

fn nan() -> f64 {
    f64::NAN
}

/// What a run varies besides method, α and step rule (sweep specifications' extra axes; SPEC §10): the
/// network depth `D` (`w = u^D − v^D`; mirror descent on the depth-D potential), the initialisation shape `s`
/// (depth 2 only), a mini-batch size (stochastic runs; `None`: full batch), the seed of its sampling stream and
/// the loss.
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
    /// The datafit (least squares unless the spec sweeps `loss`).
    #[serde(default)]
    pub loss: LossKind,
    /// p-GD's exponent: md with the p-norm potential `ψ = Σ|wᵢ|^p/p` (Sun et al. 2022) from 0, whose
    /// classification limit is the `ℓp` max margin (`None`: md's hyperbolic entropy).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub p: Option<f64>,
}

impl Default for Variant {
    fn default() -> Self {
        Variant { depth: 2, shape: 0.0, batch: None, sgd_seed: 0, loss: LossKind::LeastSquares, p: None }
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
        if let Some(p) = self.p {
            crate::potential::PNorm::new(p).map_err(|e| Error::param("[axes] p", e.to_string()))?;
            if self.depth != 2 || self.shape != 0.0 {
                return Err(Error::param("[axes] p", "p-GD has no depth or shape: sweep them in another spec"));
            }
        }
        Ok(())
    }

    fn id_part(&self) -> String {
        // The loss and p join the id only when they are not the default (earlier journals keep their ids).
        let loss = if self.loss.is_classification() { format!("|{}", self.loss) } else { String::new() };
        let p = self.p.map_or(String::new(), |p| format!("|p{:016x}", p.to_bits()));
        format!(
            "|D{}|s{:016x}|b{}|r{}{loss}{p}",
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
    /// α (NaN, `null` in JSON, for a method without one).
    #[serde(with = "nan_as_null")]
    pub alpha: f64,
    /// Step rule (`dual_newton` for the exact limit).
    pub step_rule: String,
    /// The potential of the run's geometry (as `ibias run` reports it; the exact limit's: `hyperbolic`, or
    /// `depth` for D ≥ 3). Missing in journals written before it was recorded.
    #[serde(default)]
    pub potential: Option<PotentialKind>,
    /// The final training loss of the run's datafit (absolute; least squares: `(1/n)‖Xw − y‖²`).
    #[serde(with = "nan_as_null", default = "nan")]
    pub risk: f64,
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
    /// `‖w‖₁ − ‖w₁*‖₁` (absolute; least squares; NaN for a classification loss).
    #[serde(with = "nan_as_null")]
    pub l1_gap_abs: f64,
    /// `‖w‖₂ − ‖w₂*‖₂` (absolute; least squares; NaN for a classification loss).
    #[serde(with = "nan_as_null")]
    pub l2_gap_abs: f64,
    /// `‖w − w_exact(α)‖₂/‖w_exact(α)‖₂` (relative) against the method's exact limit on least squares (md,
    /// reparam, bregman: the Bregman projection; gd: the minimum-ℓ2 interpolator; eg: the entropy's projection
    /// from `α·1`); NaN where ibias knows no limit (a classification loss, sign-GD, …).
    #[serde(with = "nan_as_null")]
    pub distance_to_exact_rel: f64,
    /// `(γ* − γ(w))/γ*` (relative) on a classification loss: the margin `γ(w) = minᵢ yᵢ⟨xᵢ, w⟩/‖w‖` against the
    /// maximum margin `γ*` in the norm of the method's theorem ([`crate::request::margin_norm`]); NaN otherwise
    /// (and at depth D > 2, whose limit is a KKT point of the non-convex `ℓ_{2/D}` max-margin problem).
    #[serde(with = "nan_as_null", default = "nan")]
    pub margin_gap_rel: f64,
    /// Matrix methods (SPEC §13): `‖W‖_*` of the final `W`; NaN otherwise.
    #[serde(with = "nan_as_null", default = "nan")]
    pub nuclear_norm: f64,
    /// Matrix methods: `(‖W‖_* − ‖W_*‖_*)/‖W_*‖_*` (relative) against the certified minimum nuclear norm
    /// interpolator `W_*` (0: the run found it); NaN otherwise.
    #[serde(with = "nan_as_null", default = "nan")]
    pub nuclear_gap_rel: f64,
    /// The run's final iterate, when the sweep records it ([`SweepOptions::record_w`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub w: Option<Vec<f64>>,
}

/// A sweep's step rule for `m` in variant `v` on the dataset `p` when none is given (the CLI's `ibias sweep`,
/// Python's `ibias.sweep`, a spec without `[axes] eta` all take it): the front door's own decision,
/// [`RunRequest::step_rule_on`] — `lbfgs` for full-batch md on least squares where `X` has full row rank, `auto`
/// for the other md runs, `safe` for reparam, mini-batches, classification losses and registered methods. Without
/// the data (`None`: checking a spec before its datasets exist) the front door's data-free default
/// ([`RunRequest::step_rule`]). The exact limits (`bregman`) take no steps; their rows are labelled `lbfgs`, the
/// rule of the md runs they certify.
pub fn default_rule(m: SweepMethod, v: &Variant, p: Option<&Problem>) -> StepRule {
    if m == SweepMethod::Bregman {
        return StepRule::Lbfgs;
    }
    let potential = v.p.and_then(|p| crate::potential::PNorm::new(p).ok()).map(PotentialChoice::PNorm);
    let r = RunRequest { loss: v.loss, batch: v.batch, potential, ..RunRequest::new(m.name()) };
    match p {
        Some(p) => r.step_rule_on(p),
        None => r.step_rule(),
    }
}

/// Options of a sweep.
#[derive(Debug, Clone)]
pub struct SweepOptions {
    /// Method.
    pub method: SweepMethod,
    /// α values.
    pub alphas: Vec<f64>,
    /// Step rules (ignored for `bregman`); `None`: each dataset's default ([`default_rule`]).
    pub etas: Option<Vec<StepRule>>,
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
        if self.method != SweepMethod::Bregman && self.etas.as_ref().is_some_and(Vec::is_empty) {
            return Err(Error::param("etas", "is empty"));
        }
        if self.method == SweepMethod::Reparam {
            for e in self.etas.iter().flatten() {
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

    /// The run that `m` makes at `alpha` and step rule `eta` in variant `v` on `d` features: the front door's
    /// request ([`RunRequest`]), so that a sweep row and `ibias run` / `ibias.run` agree field by field. Errors
    /// name the spec's keys.
    pub fn request(&self, m: SweepMethod, alpha: f64, eta: StepRule, v: &Variant, d: usize) -> Result<RunRequest> {
        let mut r = RunRequest {
            loss: v.loss,
            eta: Some(eta),
            tol: self.risk_tol,
            max_iter: self.max_iter,
            max_seconds: Some(self.max_seconds),
            checkpoints: 0,
            batch: v.batch,
            seed: v.sgd_seed,
            ..RunRequest::new(m.name())
        };
        match m {
            SweepMethod::Bregman => {
                return Err(Error::param("[axes] method", "bregman is an exact limit, not a run"));
            }
            SweepMethod::Md if v.p.is_some() => {
                let pp = v.p.unwrap_or(2.0);
                r.potential = Some(PotentialChoice::PNorm(
                    crate::potential::PNorm::new(pp).map_err(|e| Error::param("[axes] p", e.to_string()))?,
                ));
            }
            _ if v.p.is_some() => {
                return Err(Error::param(
                    "[axes] p",
                    format!("p is p-GD's exponent (method md), not a parameter of {m}"),
                ));
            }
            SweepMethod::Md if v.depth != 2 => {
                r.potential = Some(PotentialChoice::Kind(PotentialKind::Depth));
                r.depth = Some(v.depth);
                r.alpha = Some(alpha);
            }
            SweepMethod::Md if v.shape != 0.0 => {
                let init = Init::shape(alpha, v.shape, d)?;
                r.potential = Some(PotentialChoice::Hyperbolic(init.potential()));
                r.w0 = Some(init.w0());
            }
            SweepMethod::Reparam => {
                r.alpha = Some(alpha);
                r.depth = (v.depth != 2).then_some(v.depth);
                r.shape = (v.shape != 0.0).then_some(v.shape);
            }
            SweepMethod::Run(name)
                if v.shape == 0.0 && crate::dynamics::registry::find(name).is_some_and(|e| e.takes_depth) =>
            {
                r.alpha = Some(alpha);
                r.depth = (v.depth != 2).then_some(v.depth);
            }
            _ if v.depth != 2 || v.shape != 0.0 => {
                return Err(Error::param(
                    "[axes] depth",
                    format!(
                        "depth is swept for md, reparam and {}, shape for md and reparam; not for {m}",
                        crate::dynamics::registry::REGISTRY
                            .iter()
                            .filter(|e| e.takes_depth)
                            .map(|e| e.name)
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                ));
            }
            _ => r.alpha = r.takes_alpha().then_some(alpha),
        }
        r.validate().map_err(spec_key)?;
        Ok(r)
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

/// A request's error with the parameter named as a sweep spec's key (`eta` → `[axes] eta`).
pub fn spec_key(e: Error) -> Error {
    match e {
        Error::Param { name, message } => {
            let key = match name.as_str() {
                "alpha" | "eta" | "depth" | "batch" | "loss" | "method" => format!("[axes] {name}"),
                "shape/u0/v0" => "[axes] shape".into(),
                "seed" => "[axes] sgd_seed".into(),
                "tol" | "max_iter" | "max_seconds" => format!("[stop] {name}"),
                "potential" | "flow" | "w0" => "[axes] method".into(),
                _ => name,
            };
            Error::Param { name: key, message }
        }
        other => other,
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
    let (mut row, w) = one_variant(p, Some(refs), seed, alpha, eta, o, &Variant::default())?;
    if o.record_w {
        row.w = Some(w);
    }
    Ok(row)
}

/// The exact limit of the variant's least-squares run, where ibias knows it (SPEC §4, §9): the Bregman projection
/// of the variant's potential from its `w₀` for md, reparam and bregman (depth D: the depth-D potential; shape:
/// the hyperbolic entropy with `c = 2u₀v₀`), the minimum-ℓ2 interpolator for gd, the entropy's projection from
/// `α·1` for eg.
/// Returns the limit, its solver's iterations and seconds.
fn least_squares_limit(p: &Problem, m: SweepMethod, alpha: f64, v: &Variant) -> Result<Option<(Vec<f64>, usize, f64)>> {
    // The projection as `ibias solve bregman` builds it (one place decides a potential and its start).
    let project = |req: SolveRequest| -> Result<Option<(Vec<f64>, usize, f64)>> {
        let (pot, w0) = req.bregman_setup(p.d())?;
        let s = bregman_projection(p, pot.as_ref(), &w0, BregmanOptions::default())?;
        Ok(Some((s.w, s.certificate.iterations.unwrap_or(0), s.wall_seconds)))
    };
    let bregman = SolveRequest { alpha: Some(alpha), ..SolveRequest::new(SolveKind::Bregman) };
    match m {
        SweepMethod::Md | SweepMethod::Reparam | SweepMethod::Bregman => {
            if v.depth != 2 {
                project(SolveRequest {
                    potential: Some(PotentialChoice::Kind(PotentialKind::Depth)),
                    depth: Some(v.depth),
                    ..bregman
                })
            } else if v.shape != 0.0 {
                project(SolveRequest { shape: Some(v.shape), ..bregman })
            } else {
                // The sheet's setting keeps the uniform potential (the same bits as a plain `ibias sweep`).
                project(bregman)
            }
        }
        SweepMethod::Run("gd") => {
            let s = min_l2(p)?;
            Ok(Some((s.w, 0, s.wall_seconds)))
        }
        SweepMethod::Run("eg") => project(SolveRequest {
            potential: Some(PotentialChoice::Kind(PotentialKind::Entropy)),
            alpha: None,
            w0: Some(vec![alpha]),
            ..bregman
        }),
        SweepMethod::Run(_) => Ok(None),
    }
}

/// The certified maximum margin `γ*` of a problem in `norm`, solved once per (dataset, norm) in this process: a
/// sweep over many α, η or seeds on one dataset asks for it once per row. At most 4,096 answers are kept.
fn best_margin(p: &Problem, norm: MarginNorm) -> Result<f64> {
    cached(p, format!("{norm:?}"), || Ok(max_margin(p, norm)?.margin))
}

/// A certified reference value of a dataset (`what`: a maximum margin's norm, the minimum nuclear norm), solved once
/// per process and kept by the data's hash (at most 4096 entries).
fn cached(p: &Problem, what: String, solve: impl FnOnce() -> Result<f64>) -> Result<f64> {
    use std::collections::HashMap;
    use std::sync::{Mutex, OnceLock};
    static CACHE: OnceLock<Mutex<HashMap<(String, String), f64>>> = OnceLock::new();
    let cache = CACHE.get_or_init(|| Mutex::new(HashMap::new()));
    let key = (p.data_hash().to_string(), what);
    if let Some(&m) = cache.lock().unwrap_or_else(|e| e.into_inner()).get(&key) {
        return Ok(m);
    }
    let m = solve()?;
    let mut c = cache.lock().unwrap_or_else(|e| e.into_inner());
    if c.len() >= 4096 {
        c.clear();
    }
    c.insert(key, m);
    Ok(m)
}

/// `(γ* − γ(w))/γ*` in the norm of the method's theorem (NaN where no theorem names a norm).
fn margin_gap(p: &Problem, m: SweepMethod, v: &Variant, w: &[f64]) -> Result<f64> {
    // Depth D > 2: the limit is a KKT point of the ℓ_{2/D} quasi-norm's max-margin problem (non-convex: no
    // certified optimum to measure against).
    if v.depth != 2 {
        return Ok(f64::NAN);
    }
    let norm = match v.p {
        Some(pp) => MarginNorm::Lp(pp),
        None => match crate::request::margin_norm(m.name()) {
            Some(norm) => MarginNorm::parse(norm, None)?,
            None => return Ok(f64::NAN),
        },
    };
    let best = best_margin(p, norm)?;
    let mut xw = vec![0.0; p.n()];
    p.x().mul_vec(w, &mut xw);
    let nw = norm.norm(w);
    let gamma =
        if nw > 0.0 { xw.iter().zip(p.y()).map(|(a, y)| a * y).fold(f64::INFINITY, f64::min) / nw } else { 0.0 };
    Ok((best - gamma) / best)
}

/// A matrix method's `‖W‖_*` and its gap to the certified minimum nuclear norm, solved once per dataset (NaN for
/// other methods).
fn nuclear_gap(p: &Problem, m: SweepMethod, w: &[f64]) -> Result<(f64, f64)> {
    if !crate::dynamics::registry::find(m.name()).is_some_and(|e| e.matrix) {
        return Ok((f64::NAN, f64::NAN));
    }
    let side = crate::problem::matrix::sensing(p)?;
    let nuc = crate::dynamics::result::Spectrum::of(w, side)?.nuclear_norm;
    let best = cached(p, "min_nuclear".into(), || {
        Ok(crate::exact::nuclear::min_nuclear(p, crate::exact::nuclear::NuclearKind::Symmetric)?.nuclear_norm)
    })?;
    Ok((nuc, (nuc - best) / best.max(f64::MIN_POSITIVE)))
}

/// One run of a sweep in a variant (depth, shape, mini-batches, loss; [`Variant::default`] is the sheet's
/// setting): its row and final `w`. Every run but the exact limit goes through the front door
/// ([`SweepOptions::request`]); `refs` (the least-squares reference norms) may be `None` for a classification
/// loss.
pub(crate) fn one_variant(
    p: &Problem,
    refs: Option<&Refs>,
    seed: Option<u64>,
    alpha: f64,
    eta: StepRule,
    o: &SweepOptions,
    v: &Variant,
) -> Result<(Row, Vec<f64>)> {
    let v = v.normalized(o.method);
    v.validate()?;
    let classification = v.loss.is_classification();
    let exact = if classification { None } else { least_squares_limit(p, o.method, alpha, &v)? };
    let (w, it, secs, reason, potential, risk) = match (o.method, &exact) {
        (SweepMethod::Bregman, Some((e, it, secs))) => {
            let pot = if v.depth != 2 { PotentialKind::Depth } else { PotentialKind::Hyperbolic };
            (e.clone(), *it, *secs, None, Some(pot), p.risk(e))
        }
        (SweepMethod::Bregman, None) => {
            return Err(Error::param("[axes] method", "bregman is the least-squares limit (no classification loss)"));
        }
        (m, _) => {
            let r = o.request(m, alpha, eta, &v, p.d())?.run(p)?;
            (r.w, r.iterations, r.wall_seconds, Some(r.stop_reason), Some(r.potential), r.risk)
        }
    };
    let (l1, l2) = (norm1(&w), norm2(&w));
    let (l1_gap, l2_gap) = match refs {
        Some(r) if !classification => (l1 - r.l1, l2 - r.l2),
        _ => (f64::NAN, f64::NAN),
    };
    let distance = exact.as_ref().map_or(f64::NAN, |(e, ..)| dist2(&w, e) / norm2(e).max(f64::MIN_POSITIVE));
    let margin_gap_rel = if classification { margin_gap(p, o.method, &v, &w)? } else { f64::NAN };
    let (nuclear_norm, nuclear_gap_rel) = nuclear_gap(p, o.method, &w)?;
    let row = Row {
        run_id: o.variant_run_id(p.data_hash(), alpha, eta, &v),
        data_hash: p.data_hash().to_string(),
        seed,
        method: o.method,
        alpha,
        step_rule: o.rule_label(eta),
        potential,
        risk,
        iterations: it,
        wall_seconds: secs,
        converged: reason.is_none_or(|r| r.converged()),
        stop_reason: reason,
        l1_norm: l1,
        l2_norm: l2,
        l1_gap_abs: l1_gap,
        l2_gap_abs: l2_gap,
        distance_to_exact_rel: distance,
        margin_gap_rel,
        nuclear_norm,
        nuclear_gap_rel,
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
    let mut jobs = Vec::new();
    for (pi, (_, p)) in problems.iter().enumerate() {
        let etas: Vec<StepRule> = match (&o.etas, o.method) {
            (_, SweepMethod::Bregman) => vec![StepRule::Auto],
            (Some(e), _) => e.clone(),
            (None, m) => vec![default_rule(m, &Variant::default(), Some(p))],
        };
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
            seeds.iter().map(|&s| Ok((Some(s), crate::problem::preset(preset, s)?.problem))).collect()
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
