//! Sweep specifications for clusters (SPEC §10): a TOML file names the problems (a preset at seeds, data files, or
//! a generator grid over n, d, sparsity, noise and seeds), the axes (method, α, step rule) and the stop rule.
//! [`Plan`] resolves it into runs, each with a stable id (a hash of its resolved parameters and of its data's
//! content) and an estimated cost; [`Plan::shard`] splits the runs into N deterministic shards balanced by
//! estimated cost (longest first, to the least loaded); [`run_shard`] runs one shard into its own journal in a
//! folder, skipping runs already there (restartable after any kill); [`status`] and [`merge`] read the folder
//! back. Every row carries the spec's hash, so journals of another spec are refused, never mixed. A sharded
//! run, a single-process run and an interrupted-then-resumed run merge to the same rows, bit for bit (only the
//! timing column differs).

use super::journal;
use super::sweep::{self, SweepMethod, SweepOptions, Variant};
use super::{Column, Fmt, Table};
use crate::control::{Progress, ProgressFn};
use crate::datafit::LossKind;
use crate::dynamics::StepRule;
use crate::problem::Problem;
use crate::problem::generate::{Entries, GenSpec};
use crate::{Error, Result};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

/// A sweep specification (the TOML file; unknown keys are errors).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct SweepSpec {
    /// The problems.
    pub problem: ProblemSpec,
    /// The axes.
    pub axes: Axes,
    /// The stop rule of every run.
    #[serde(default)]
    pub stop: StopSpec,
    /// What each row records besides its parameters and metrics.
    #[serde(default)]
    pub record: RecordSpec,
}

/// What each row records besides its parameters and metrics (which it always has).
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct RecordSpec {
    /// The final iterate `w` (d numbers per run, in the journal and the merged JSON lines; not in the CSV).
    pub w: bool,
}

/// Where the data come from: exactly one of `preset` (with `seeds`), `data`, or `generate`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ProblemSpec {
    /// A preset (`ex2`, `ex3`, `woodworth`) at each of `seeds`.
    pub preset: Option<String>,
    /// Seeds of the preset.
    pub seeds: Option<Vec<u64>>,
    /// CSV files (paths relative to the spec's folder).
    pub data: Option<Vec<PathBuf>>,
    /// A generator grid.
    pub generate: Option<GenGrid>,
}

/// A generator grid: every combination of `n × d × sparsity × noise × seeds` (Gaussian design; `w*` entries
/// `1/√k`, signs or Gaussian).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct GenGrid {
    /// Samples.
    pub n: Vec<usize>,
    /// Features.
    pub d: Vec<usize>,
    /// Non-zeros of `w*`.
    pub sparsity: Vec<usize>,
    /// Noise standard deviations.
    pub noise: Vec<f64>,
    /// Seeds.
    pub seeds: Vec<u64>,
    /// `constant` (1/√k, Woodworth et al.), `signs` or `gaussian`.
    #[serde(default = "default_entries")]
    pub entries: Entries,
    /// Nested samples: each (d, sparsity, noise, seed) draws one dataset of max(n) rows and each n takes its
    /// first n rows (as Woodworth et al.'s sample-complexity panel needs).
    #[serde(default)]
    pub nested: bool,
}

fn default_entries() -> Entries {
    Entries::Constant
}

/// The axes of the grid.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Axes {
    /// Methods: `md` (mirror descent, hyperbolic entropy), `reparam` (GD on (u, v)), `bregman` (exact limits), or
    /// any other method of `ibias run` (`gd`, `eg`, `azulay`, `sign_gd`, `normalized_gd`, …).
    pub method: Vec<String>,
    /// α: `"LO:HI:K"` (log-spaced) or a list.
    pub alpha: AlphaAxis,
    /// Step rules (`lbfgs`, `auto`, `safe` or numbers as strings); default: `lbfgs` for md, `safe` for reparam
    /// and for mini-batch runs.
    #[serde(default)]
    pub eta: Option<Vec<String>>,
    /// Network depths `D ≥ 2` (default `[2]`): GD on `w = u^D − v^D`, mirror descent on the depth-D potential,
    /// and their exact limit.
    #[serde(default)]
    pub depth: Option<Vec<u32>>,
    /// Initialisation shapes `s ∈ (−1, 1)` (default `[0]`; depth 2).
    #[serde(default)]
    pub shape: Option<Vec<f64>>,
    /// Mini-batch sizes (default: full batch); the exact limit ignores them.
    #[serde(default)]
    pub batch: Option<Vec<usize>>,
    /// Seeds of the mini-batch stream (default `[0]`; only with `batch`).
    #[serde(default)]
    pub sgd_seed: Option<Vec<u64>>,
    /// Losses (`least_squares`, `logistic`, `exponential`; default `["least_squares"]`). A classification loss
    /// needs labels ±1 and measures each run's margin against the maximum margin of its method's norm.
    #[serde(default)]
    pub loss: Option<Vec<String>>,
}

impl Axes {
    /// How many variants the extra axes make (depth × shape × batch × sgd_seed × loss), counted without building
    /// them.
    pub fn variant_count(&self) -> f64 {
        [
            self.loss.as_ref().map_or(1, Vec::len),
            self.depth.as_ref().map_or(1, Vec::len),
            self.shape.as_ref().map_or(1, Vec::len),
            self.batch.as_ref().map_or(1, Vec::len),
            self.sgd_seed.as_ref().map_or(1, Vec::len),
        ]
        .iter()
        .map(|&k| k as f64)
        .product()
    }

    /// The losses of the loss axis (names checked).
    pub fn losses(&self) -> Result<Vec<LossKind>> {
        match &self.loss {
            None => Ok(vec![LossKind::LeastSquares]),
            Some(v) => v.iter().map(|l| l.parse::<LossKind>().map_err(|e| Error::param("[axes] loss", e))).collect(),
        }
    }

    /// Every variant of the extra axes (loss × depth × shape × batch × sgd_seed), in spec order.
    pub fn variants(&self) -> Vec<Variant> {
        let depths = self.depth.clone().unwrap_or_else(|| vec![2]);
        let shapes = self.shape.clone().unwrap_or_else(|| vec![0.0]);
        let batches: Vec<Option<usize>> = match &self.batch {
            Some(b) => b.iter().map(|&x| Some(x)).collect(),
            None => vec![None],
        };
        let seeds = self.sgd_seed.clone().unwrap_or_else(|| vec![0]);
        let mut out = Vec::new();
        for loss in self.losses().unwrap_or_default() {
            for &depth in &depths {
                for &shape in &shapes {
                    for &batch in &batches {
                        for &sgd_seed in &seeds {
                            out.push(Variant { depth, shape, batch, sgd_seed, loss });
                        }
                    }
                }
            }
        }
        out
    }
}

/// α as a log grid or a list.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(untagged)]
pub enum AlphaAxis {
    /// `"LO:HI:K"`.
    Grid(String),
    /// Explicit values.
    List(Vec<f64>),
}

/// The stop rule of every run.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct StopSpec {
    /// `R ≤ tol·R(0)`.
    pub tol: f64,
    /// Iteration cap.
    pub max_iter: usize,
    /// Seconds cap per run.
    pub max_seconds: f64,
}

impl Default for StopSpec {
    fn default() -> Self {
        StopSpec { tol: 1e-24, max_iter: 10_000_000, max_seconds: 60.0 }
    }
}

impl SweepSpec {
    /// Parses a spec (unknown keys and empty axes are errors naming them).
    pub fn from_toml(text: &str) -> Result<Self> {
        let s: SweepSpec = toml::from_str(text).map_err(|e| Error::param("spec", e.to_string().trim().to_string()))?;
        s.validate()?;
        Ok(s)
    }

    /// Reads and parses a spec file.
    pub fn from_file(path: &Path) -> Result<Self> {
        let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
        Self::from_toml(&text).map_err(|e| match e {
            Error::Param { name, message } => Error::param(format!("{} ({name})", path.display()), message),
            other => other,
        })
    }

    fn validate(&self) -> Result<()> {
        let p = &self.problem;
        let sources = [p.preset.is_some(), p.data.is_some(), p.generate.is_some()].iter().filter(|x| **x).count();
        if sources != 1 {
            return Err(Error::param("[problem]", "give exactly one of preset (with seeds), data, generate"));
        }
        if p.seeds.is_some() && p.preset.is_none() {
            return Err(Error::param("[problem] seeds", "go with preset (a generator grid has its own seeds)"));
        }
        let empty = |name: &str, len: usize| -> Result<()> {
            if len == 0 { Err(Error::param(name, "is an empty axis")) } else { Ok(()) }
        };
        if let Some(s) = &p.seeds {
            empty("[problem] seeds", s.len())?;
        }
        if let Some(d) = &p.data {
            empty("[problem] data", d.len())?;
        }
        if let Some(g) = &p.generate {
            empty("[problem.generate] n", g.n.len())?;
            empty("[problem.generate] d", g.d.len())?;
            empty("[problem.generate] sparsity", g.sparsity.len())?;
            empty("[problem.generate] noise", g.noise.len())?;
            empty("[problem.generate] seeds", g.seeds.len())?;
        }
        empty("[axes] method", self.axes.method.len())?;
        for m in &self.axes.method {
            m.parse::<SweepMethod>().map_err(|e| Error::param("[axes] method", e))?;
        }
        if let Some(e) = &self.axes.eta {
            empty("[axes] eta", e.len())?;
            for x in e {
                x.parse::<StepRule>().map_err(|e| Error::param("[axes] eta", e))?;
            }
        }
        let alphas = self.alphas()?;
        empty("[axes] alpha", alphas.len())?;
        let ax = &self.axes;
        for (name, len) in [
            ("[axes] depth", ax.depth.as_ref().map(Vec::len)),
            ("[axes] shape", ax.shape.as_ref().map(Vec::len)),
            ("[axes] batch", ax.batch.as_ref().map(Vec::len)),
            ("[axes] sgd_seed", ax.sgd_seed.as_ref().map(Vec::len)),
            ("[axes] loss", ax.loss.as_ref().map(Vec::len)),
        ] {
            if let Some(l) = len {
                empty(name, l)?;
            }
        }
        if ax.sgd_seed.is_some() && ax.batch.is_none() {
            return Err(Error::param("[axes] sgd_seed", "goes with batch (full-batch runs draw nothing)"));
        }
        // Each axis value on its own, and the one rule across axes, without expanding the product (a few hundred
        // values per axis make billions of variants): the count is checked first.
        if ax.variant_count() > MAX_RUNS as f64 {
            return Err(Error::param(
                "[axes]",
                format!(
                    "depth × shape × batch × sgd_seed make {:.3e} variants, more than the {MAX_RUNS} runs one plan \
                     holds: split the spec",
                    ax.variant_count()
                ),
            ));
        }
        for &depth in ax.depth.as_deref().unwrap_or(&[2]) {
            Variant { depth, ..Variant::default() }.validate()?;
        }
        for &shape in ax.shape.as_deref().unwrap_or(&[0.0]) {
            Variant { shape, ..Variant::default() }.validate()?;
        }
        for &b in ax.batch.as_deref().unwrap_or(&[]) {
            Variant { batch: Some(b), ..Variant::default() }.validate()?;
        }
        let losses = ax.losses()?;
        if losses.iter().any(LossKind::is_classification)
            && (ax.depth.as_deref().unwrap_or(&[2]).iter().any(|&d| d != 2)
                || ax.shape.as_deref().unwrap_or(&[0.0]).iter().any(|&s| s != 0.0))
        {
            return Err(Error::param(
                "[axes] loss",
                "a classification loss runs the sheet's setting only (depth 2, shape 0): give it its own spec",
            ));
        }
        // Each method against each loss and run-shaping axis, as the front door would take it (errors name the
        // spec's keys), without the data.
        let o = SweepOptions {
            method: SweepMethod::Md,
            alphas: vec![1.0],
            etas: vec![],
            risk_tol: self.stop.tol,
            max_iter: self.stop.max_iter.max(1),
            max_seconds: self.stop.max_seconds,
            record_w: false,
        };
        let etas: Vec<StepRule> = match &ax.eta {
            Some(e) => e.iter().filter_map(|x| x.parse().ok()).collect(),
            None => vec![],
        };
        for m in &self.axes.method {
            let m: SweepMethod = m.parse().map_err(|e| Error::param("[axes] method", e))?;
            if m == SweepMethod::Bregman {
                if losses.iter().any(LossKind::is_classification) {
                    return Err(Error::param(
                        "[axes] method",
                        "bregman is the least-squares limit: sweep a classification loss with the methods themselves",
                    ));
                }
                continue;
            }
            for &loss in &losses {
                for batch in [None, ax.batch.as_ref().and_then(|b| b.first().copied())] {
                    let v = Variant { loss, batch, ..Variant::default() };
                    let default_eta = sweep::default_rule(m, &v);
                    for &e in etas.iter().chain(ax.eta.is_none().then_some(&default_eta)) {
                        o.request(m, 1.0, e, &v, 1)?;
                    }
                }
            }
        }
        let (deep, shaped) = (
            ax.depth.as_deref().unwrap_or(&[2]).iter().find(|&&d| d != 2),
            ax.shape.as_deref().unwrap_or(&[0.0]).iter().any(|&s| s != 0.0),
        );
        if let (Some(_), true) = (deep, shaped) {
            return Err(Error::param("[axes] shape", "a shape s ≠ 0 is defined for depth 2 only"));
        }
        if ax.batch.is_some()
            && let Some(e) = &ax.eta
            && let Some(bad) = e.iter().find(|x| matches!(x.parse::<StepRule>(), Ok(StepRule::Auto | StepRule::Lbfgs)))
        {
            return Err(Error::param(
                "[axes] eta",
                format!("mini-batch runs take a number or safe, not '{bad}' (give the full-batch runs their own spec)"),
            ));
        }
        crate::error::non_negative("[stop] tol", self.stop.tol)?;
        if self.stop.max_iter == 0 {
            return Err(Error::param("[stop] max_iter", "must be ≥ 1"));
        }
        crate::error::positive("[stop] max_seconds", self.stop.max_seconds)?;
        Ok(())
    }

    fn alphas(&self) -> Result<Vec<f64>> {
        match &self.axes.alpha {
            AlphaAxis::Grid(s) => sweep::parse_alphas(s).map_err(|e| Error::param("[axes] alpha", e.to_string())),
            AlphaAxis::List(v) => {
                for &a in v {
                    crate::potential::check_alpha("[axes] alpha", a)?;
                }
                Ok(v.clone())
            }
        }
    }

    /// A hash of the spec's content (its canonical TOML).
    pub fn hash(&self) -> String {
        crate::problem::text_hash(&toml::to_string(self).unwrap_or_default())
    }
}

/// One dataset of the plan.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ProblemKey {
    /// Preset name, file name or `generated`.
    pub source: String,
    /// Seed (presets and generator grids).
    pub seed: Option<u64>,
    /// Samples.
    pub n: usize,
    /// Features.
    pub d: usize,
    /// Non-zeros of `w*` (generated data).
    pub sparsity: Option<usize>,
    /// Noise (generated data).
    pub noise: Option<f64>,
}

/// One planned run.
#[derive(Debug, Clone, Serialize)]
pub struct PlannedRun {
    /// Stable id: hash of the resolved parameters and the data's content.
    pub run_id: String,
    /// Index of its problem.
    pub problem: usize,
    /// Method.
    pub method: SweepMethod,
    /// α.
    pub alpha: f64,
    /// Step rule.
    pub eta: StepRule,
    /// Depth, shape, mini-batch.
    pub variant: Variant,
    /// Estimated seconds (a cost model, not a measurement).
    pub est_seconds: f64,
}

/// A resolved spec: its problems and runs.
pub struct Plan {
    /// The spec.
    pub spec: SweepSpec,
    /// Its hash.
    pub spec_hash: String,
    /// The datasets with their keys and (when known) planted `w*`.
    pub problems: Vec<(ProblemKey, Problem, Option<Vec<f64>>)>,
    /// Every run, in plan order.
    pub runs: Vec<PlannedRun>,
}

/// A row of a spec sweep: the run's parameters, its problem and its measurements.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct SpecRow {
    /// The spec's hash.
    pub spec_hash: String,
    /// The problem.
    pub key: ProblemKey,
    /// The run.
    pub row: sweep::Row,
    /// Depth, shape, mini-batch.
    #[serde(default)]
    pub variant: Variant,
    /// `‖w − w*‖²` when `w*` is known (the population excess risk for isotropic Gaussian x), absolute.
    pub recovery_error_sq_abs: Option<f64>,
    /// The final iterate, when the spec records it (`[record] w = true`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub w: Option<Vec<f64>>,
}

fn options(spec: &SweepSpec, method: SweepMethod, alphas: &[f64]) -> Result<SweepOptions> {
    let etas = match &spec.axes.eta {
        Some(e) if method != SweepMethod::Bregman => {
            e.iter().map(|x| x.parse::<StepRule>().map_err(|m| Error::param("[axes] eta", m))).collect::<Result<_>>()?
        }
        _ => vec![sweep::default_rule(method, &Variant::default())],
    };
    let o = SweepOptions {
        method,
        alphas: alphas.to_vec(),
        etas,
        risk_tol: spec.stop.tol,
        max_iter: spec.stop.max_iter,
        max_seconds: spec.stop.max_seconds,
        record_w: false,
    };
    o.validate()?;
    Ok(o)
}

/// A cost model for balancing shards, in seconds on one core, fitted to measured runs (journal `wall_seconds`,
/// this machine class; BENCHMARKS.md): Bregman projections cost `n²d` per Newton iteration and take about
/// `3 + ln(1/α)` of them; dual L-BFGS mirror descent grows like `α^-0.55` and GD on `(u, v)` with safe steps like
/// `α^-1.3` (both per `nd`), each capped by the iteration and time caps of the stop rule.
fn est_seconds(method: SweepMethod, n: usize, d: usize, alpha: f64, stop: &StopSpec) -> f64 {
    let (n, d) = (n as f64, d as f64);
    let nd = n * d;
    let cap = (stop.max_iter as f64 * 2e-10 * nd).min(stop.max_seconds);
    let t = match method {
        SweepMethod::Bregman => (n * nd / 3e10 + nd / 5e8) * (3.0 + (1.0 / alpha).ln().max(0.0)),
        SweepMethod::Md => 5.6e-8 * nd * alpha.min(1.0).powf(-0.55),
        SweepMethod::Reparam => 8.3e-8 * nd * alpha.min(1.0).powf(-1.3),
        // Other methods (and classification losses, which run to their caps): the iteration cap's cost.
        SweepMethod::Run(_) => cap,
    };
    1e-4 + t.min(cap)
}

/// Seconds of a problem's reference solutions (basis pursuit and minimum ℓ2), paid once by each shard that holds
/// one of its runs.
fn ref_seconds(n: usize, d: usize) -> f64 {
    1e-3 + (n * n * d) as f64 / 5e8
}

/// The most runs a plan holds (each planned run costs a few hundred bytes before anything runs).
pub const MAX_RUNS: usize = 10_000_000;

/// Refuses, before generating anything, a spec whose datasets exceed the memory budget or whose runs exceed
/// [`MAX_RUNS`] (counted without deduplication: an upper bound).
fn check_size(spec: &SweepSpec) -> Result<()> {
    let p = &spec.problem;
    let (datasets, bytes) = if let Some(preset) = &p.preset {
        let seeds = p.seeds.as_deref().unwrap_or(&[0]);
        let g = GenSpec::preset(preset, 0)?;
        (seeds.len(), seeds.len() as f64 * crate::problem::memory_estimate(g.n, g.d))
    } else if let Some(g) = &p.generate {
        let per: f64 =
            g.d.iter().map(|&d| g.n.iter().map(|&n| crate::problem::memory_estimate(n, d)).sum::<f64>()).sum();
        let k = g.sparsity.len() * g.noise.len() * g.seeds.len();
        (k * g.n.len() * g.d.len(), per * k as f64)
    } else {
        (p.data.as_ref().map_or(0, Vec::len), 0.0) // each file is checked as it loads
    };
    crate::io::require_memory("the sweep's datasets (all held by every shard)", bytes)?;
    let etas = spec.axes.eta.as_ref().map_or(1, Vec::len);
    let runs = (datasets as f64)
        * spec.axes.method.len() as f64
        * spec.alphas()?.len() as f64
        * etas as f64
        * spec.axes.variant_count();
    if runs > MAX_RUNS as f64 {
        return Err(Error::param(
            "spec",
            format!(
                "plans up to {runs:.3e} runs, more than the {MAX_RUNS} one plan holds: split it into several specs"
            ),
        ));
    }
    Ok(())
}

/// A whole number from the environment (None when unset; an error naming the variable when not a number).
pub fn env_usize(name: &str) -> Result<Option<usize>> {
    match std::env::var(name) {
        Ok(v) => v.trim().parse().map(Some).map_err(|_| Error::param(name, format!("'{v}' is not a whole number"))),
        Err(_) => Ok(None),
    }
}

/// The shard `(K, N)` of a Slurm array task: `SLURM_ARRAY_TASK_ID − SLURM_ARRAY_TASK_MIN` of
/// `SLURM_ARRAY_TASK_COUNT` (None outside an array task; an error when K ≥ N).
pub fn slurm_shard() -> Result<Option<(usize, usize)>> {
    match (env_usize("SLURM_ARRAY_TASK_ID")?, env_usize("SLURM_ARRAY_TASK_COUNT")?) {
        (Some(id), Some(n)) => {
            let k = id - env_usize("SLURM_ARRAY_TASK_MIN")?.unwrap_or(0).min(id);
            if n == 0 || k >= n {
                return Err(Error::param(
                    "SLURM_ARRAY_TASK_ID",
                    format!("task {id} of an array of {n}: need 0 ≤ K < N (K = {k}); give the shard K/N"),
                ));
            }
            Ok(Some((k, n)))
        }
        _ => Ok(None),
    }
}

impl Plan {
    /// The plan of a spec file (relative data paths resolve against the file's folder).
    pub fn from_file(path: &Path) -> Result<Plan> {
        let s = SweepSpec::from_file(path)?;
        let base = path.parent().map(Path::to_path_buf).unwrap_or_default();
        Plan::new(&s, &base)
    }

    /// Resolves a spec (relative data paths against `base`): loads or generates every dataset and lists the runs.
    pub fn new(spec: &SweepSpec, base: &Path) -> Result<Plan> {
        // Data paths resolved once (absolute), so that the spec copied into a sweep folder means the same and
        // hashes the same.
        let mut spec = spec.clone();
        if let Some(files) = &mut spec.problem.data {
            for f in files.iter_mut() {
                let path = if f.is_absolute() { f.clone() } else { base.join(&*f) };
                *f = std::fs::canonicalize(&path).map_err(|e| Error::io(&path, e))?;
            }
        }
        let spec = &spec;
        check_size(spec)?;
        let mut problems = Vec::new();
        let p = &spec.problem;
        if let Some(preset) = &p.preset {
            for &s in p.seeds.as_deref().unwrap_or(&[0]) {
                let g = GenSpec::preset(preset, s)?.generate()?;
                let key = ProblemKey {
                    source: preset.clone(),
                    seed: Some(s),
                    n: g.problem.n(),
                    d: g.problem.d(),
                    sparsity: None,
                    noise: None,
                };
                problems.push((key, g.problem, Some(g.w_star)));
            }
        } else if let Some(files) = &p.data {
            for f in files {
                let pr = crate::problem::csv::load_csv(f)?;
                let key = ProblemKey {
                    source: f.display().to_string(),
                    seed: None,
                    n: pr.n(),
                    d: pr.d(),
                    sparsity: None,
                    noise: None,
                };
                problems.push((key, pr, None));
            }
        } else if let Some(g) = &p.generate {
            let n_max = g.n.iter().copied().max().unwrap_or(0);
            for &d in &g.d {
                for &k in &g.sparsity {
                    for &noise in &g.noise {
                        for &seed in &g.seeds {
                            let nested = if g.nested {
                                Some(
                                    GenSpec {
                                        n: n_max,
                                        d,
                                        sparsity: Some(k),
                                        entries: g.entries,
                                        w_star: None,
                                        noise,
                                        seed,
                                    }
                                    .generate()?,
                                )
                            } else {
                                None
                            };
                            for &n in &g.n {
                                let (pr, w) = match &nested {
                                    Some(full) => {
                                        let x = crate::kernels::linalg::Dense::from_fn(n, d, |i, j| {
                                            full.problem.x().get(i, j)
                                        });
                                        (Problem::new(x, full.problem.y()[..n].to_vec())?, full.w_star.clone())
                                    }
                                    None => {
                                        let gg = GenSpec {
                                            n,
                                            d,
                                            sparsity: Some(k),
                                            entries: g.entries,
                                            w_star: None,
                                            noise,
                                            seed,
                                        }
                                        .generate()?;
                                        (gg.problem, gg.w_star)
                                    }
                                };
                                let key = ProblemKey {
                                    source: "generated".into(),
                                    seed: Some(seed),
                                    n,
                                    d,
                                    sparsity: Some(k),
                                    noise: Some(noise),
                                };
                                problems.push((key, pr, Some(w)));
                            }
                        }
                    }
                }
            }
        }
        let alphas = spec.alphas()?;
        let variants = spec.axes.variants();
        let mut runs = Vec::new();
        for m in &spec.axes.method {
            let method = m.parse::<SweepMethod>().map_err(|e| Error::param("[axes] method", e))?;
            let o = options(spec, method, &alphas)?;
            // A method without α runs once (α missing in its rows).
            let alphas_m = if method.takes_alpha() { alphas.clone() } else { vec![f64::NAN] };
            for (pi, (key, pr, _)) in problems.iter().enumerate() {
                for &a in &alphas_m {
                    for v in &variants {
                        let v = v.normalized(method);
                        if let Some(b) = v.batch
                            && b > key.n
                        {
                            return Err(Error::param(
                                "[axes] batch",
                                format!("batch {b} exceeds the n = {} samples of a dataset ({})", key.n, key.source),
                            ));
                        }
                        // Without an eta axis each run takes its default (dual L-BFGS is a full-batch,
                        // least-squares rule).
                        let etas = if spec.axes.eta.is_none() {
                            vec![sweep::default_rule(method, &v)]
                        } else {
                            o.etas.clone()
                        };
                        for e in etas {
                            runs.push(PlannedRun {
                                run_id: o.variant_run_id(pr.data_hash(), a, e, &v),
                                problem: pi,
                                method,
                                alpha: a,
                                eta: e,
                                variant: v,
                                est_seconds: est_seconds(method, key.n, key.d, a, &spec.stop),
                            });
                        }
                    }
                }
            }
        }
        let mut seen = HashSet::new();
        runs.retain(|r| seen.insert(r.run_id.clone()));
        Ok(Plan { spec: spec.clone(), spec_hash: spec.hash(), problems, runs })
    }

    /// The runs of shard `k` of `n` (0-based): deterministic, balanced by estimated cost (longest first, each to
    /// the least-loaded shard, ties by run id and shard index). With at least 4N datasets, a dataset's runs stay
    /// together (each shard then computes the reference solutions of its own datasets only); otherwise runs are
    /// dealt one by one.
    pub fn shard(&self, k: usize, n: usize) -> Result<Vec<&PlannedRun>> {
        if n == 0 || k >= n {
            return Err(Error::param("shard", format!("K/N needs 0 ≤ K < N, got {k}/{n}")));
        }
        let mut units: Vec<(f64, &str, Vec<&PlannedRun>)> = if self.problems.len() >= 4 * n {
            let mut by: Vec<Vec<&PlannedRun>> = vec![Vec::new(); self.problems.len()];
            for r in &self.runs {
                by[r.problem].push(r);
            }
            by.into_iter()
                .enumerate()
                .filter(|(_, v)| !v.is_empty())
                .map(|(pi, v)| {
                    let key = &self.problems[pi].0;
                    let cost = ref_seconds(key.n, key.d) + v.iter().map(|r| r.est_seconds).sum::<f64>();
                    (cost, v[0].run_id.as_str(), v)
                })
                .collect()
        } else {
            self.runs.iter().map(|r| (r.est_seconds, r.run_id.as_str(), vec![r])).collect()
        };
        units.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(b.1)));
        let mut load = vec![0.0f64; n];
        let mut mine = Vec::new();
        for (cost, _, runs) in units {
            let s = (0..n).min_by(|&a, &b| load[a].total_cmp(&load[b]).then(a.cmp(&b))).unwrap_or(0);
            load[s] += cost;
            if s == k {
                mine.extend(runs);
            }
        }
        // Longest first within the shard too (a killed shard has done its big runs).
        mine.sort_by(|a, b| b.est_seconds.total_cmp(&a.est_seconds).then(a.run_id.cmp(&b.run_id)));
        Ok(mine)
    }

    /// Estimated seconds and memory (bytes) of the whole plan.
    pub fn estimate(&self) -> (f64, f64) {
        let secs = self.runs.iter().map(|r| r.est_seconds).sum::<f64>()
            + self.problems.iter().map(|(k, ..)| ref_seconds(k.n, k.d)).sum::<f64>();
        let mem =
            self.problems.iter().map(|(_, p, _)| crate::problem::memory_estimate(p.n(), p.d())).fold(0.0, f64::max);
        (secs, mem)
    }
}

/// The journals of a sweep folder.
fn journals(dir: &Path) -> Result<Vec<PathBuf>> {
    files_ending(dir, "jsonl")
}

/// The files of `dir` with extension `ext`, sorted (none when the folder does not exist).
fn files_ending(dir: &Path, ext: &str) -> Result<Vec<PathBuf>> {
    if !dir.exists() {
        return Ok(Vec::new());
    }
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| Error::io(dir, e))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == ext))
        .collect();
    v.sort();
    Ok(v)
}

/// What is in a folder: the rows of this plan (first copy of each run), and what was left out.
pub struct FolderRows {
    /// The rows, keyed by run id.
    pub rows: HashMap<String, SpecRow>,
    /// Duplicate rows dropped (the same run in two journals).
    pub duplicates: usize,
    /// Journals whose cut last line was dropped (its run is redone).
    pub truncated: Vec<PathBuf>,
}

/// Reads every journal of `dir`; a row of another spec is an error (never mixed).
pub fn read_folder(plan: &Plan, dir: &Path) -> Result<FolderRows> {
    let wanted: HashSet<String> = plan.runs.iter().map(|r| r.run_id.clone()).collect();
    let mut out = FolderRows { rows: HashMap::new(), duplicates: 0, truncated: Vec::new() };
    for j in journals(dir)? {
        let (rows, rep) = journal::read::<SpecRow>(&j, None, |r| &r.row.run_id)?;
        if rep.truncated_last_line {
            out.truncated.push(j.clone());
        }
        out.duplicates += rep.duplicates;
        for r in rows {
            if r.spec_hash != plan.spec_hash {
                return Err(Error::param(
                    "out",
                    format!(
                        "{} holds rows of another sweep spec (hash {}, this spec's is {}): use another folder",
                        j.display(),
                        r.spec_hash,
                        plan.spec_hash
                    ),
                ));
            }
            if !wanted.contains(&r.row.run_id) {
                return Err(Error::param(
                    "out",
                    format!("{} holds a run this spec does not plan ({})", j.display(), r.row.run_id),
                ));
            }
            if out.rows.contains_key(&r.row.run_id) {
                out.duplicates += 1;
            } else {
                out.rows.insert(r.row.run_id.clone(), r);
            }
        }
    }
    Ok(out)
}

/// What a shard did.
#[derive(Debug, Clone, Serialize)]
pub struct ShardReport {
    /// Runs of the shard.
    pub planned: usize,
    /// Already in the folder (skipped).
    pub skipped: usize,
    /// Computed now.
    pub computed: usize,
    /// Runs that failed now (diverged, refused by a certificate…): listed with their errors in
    /// [`failures_path`]; they are retried by the next run of the shard.
    pub failed: usize,
    /// Whether this shard's journal had a cut last line (dropped, its run redone).
    pub truncated_last_line: bool,
}

/// A run that failed: its parameters and the error (one line of `shard-K-of-N.failed`).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct FailedRun {
    /// The spec's hash.
    pub spec_hash: String,
    /// The run's id.
    pub run_id: String,
    /// The problem.
    pub key: ProblemKey,
    /// Method.
    pub method: SweepMethod,
    /// α (NaN, `null` in JSON, for a method without one).
    #[serde(with = "sweep::nan_as_null")]
    pub alpha: f64,
    /// Step rule.
    pub step_rule: String,
    /// The error, as the command line would print it.
    pub error: String,
}

/// The failure list of shard `k` of `n` (JSON lines; not a journal: its runs are not results).
pub fn failures_path(dir: &Path, k: usize, n: usize) -> PathBuf {
    dir.join(format!("shard-{k:04}-of-{n:04}.failed"))
}

/// The failed runs recorded in `dir` that are still not done (last error of each run), for this plan.
pub fn failures(plan: &Plan, dir: &Path) -> Result<HashMap<String, FailedRun>> {
    failures_in(plan, dir, &read_folder(plan, dir)?)
}

/// [`failures`], given the folder's rows already read.
fn failures_in(plan: &Plan, dir: &Path, done: &FolderRows) -> Result<HashMap<String, FailedRun>> {
    let mut out = HashMap::new();
    let files = files_ending(dir, "failed")?;
    for f in files {
        let text = std::fs::read_to_string(&f).map_err(|e| Error::io(&f, e))?;
        for line in text.lines() {
            // A cut last line is ignored (the run is retried anyway).
            if let Ok(r) = serde_json::from_str::<FailedRun>(line)
                && r.spec_hash == plan.spec_hash
                && !done.rows.contains_key(&r.run_id)
            {
                out.insert(r.run_id.clone(), r);
            }
        }
    }
    Ok(out)
}

/// The journal file of shard `k` of `n`.
pub fn journal_path(dir: &Path, k: usize, n: usize) -> PathBuf {
    dir.join(format!("shard-{k:04}-of-{n:04}.jsonl"))
}

/// Creates a sweep folder for `plan` with the spec copied in (`DIR/spec.toml`, data paths resolved); a folder
/// that holds another spec is refused.
pub fn prepare_folder(plan: &Plan, dir: &Path) -> Result<()> {
    std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
    // The spec travels with the results.
    let spec_copy = dir.join("spec.toml");
    let text = toml::to_string(&plan.spec).map_err(|e| Error::Numerical(format!("encoding the spec: {e}")))?;
    match std::fs::read_to_string(&spec_copy) {
        Ok(old) if SweepSpec::from_toml(&old).map(|s| s.hash()).ok() != Some(plan.spec_hash.clone()) => {
            return Err(Error::param("out", format!("{} holds another sweep spec: use another folder", dir.display())));
        }
        Ok(_) => {}
        Err(_) => crate::io::write_atomic(&spec_copy, text.as_bytes())?,
    }
    Ok(())
}

/// Runs shard `k` of `n` of `plan` into `dir` (its own journal), skipping runs already in the folder.
pub fn run_shard(plan: &Plan, k: usize, n: usize, dir: &Path, progress: ProgressFn<'_>) -> Result<ShardReport> {
    let mine = plan.shard(k, n)?;
    prepare_folder(plan, dir)?;
    let path = journal_path(dir, k, n);
    let writer = journal::Writer::open(&path)?;
    let failed_writer = journal::Writer::open(&failures_path(dir, k, n))?;
    let failed = std::sync::atomic::AtomicUsize::new(0);
    let truncated = writer.dropped_cut_line();
    let done = read_folder(plan, dir)?;
    let todo: Vec<&&PlannedRun> = mine.iter().filter(|r| !done.rows.contains_key(&r.run_id)).collect();
    let total = todo.len();
    let count = std::sync::atomic::AtomicUsize::new(0);
    // Reference norms per problem, computed once for the problems this shard touches.
    // (Least-squares runs only: a classification dataset need not have an interpolator.)
    let need: HashSet<usize> = todo.iter().filter(|r| !r.variant.loss.is_classification()).map(|r| r.problem).collect();
    let refs: HashMap<usize, sweep::Refs> =
        need.into_par_iter().map(|pi| Ok((pi, sweep::Refs::of(&plan.problems[pi].1)?))).collect::<Result<_>>()?;
    // Each method's options, resolved once for the shard.
    let alphas = plan.spec.alphas()?;
    let opts: HashMap<SweepMethod, SweepOptions> = todo
        .iter()
        .map(|r| r.method)
        .collect::<HashSet<_>>()
        .into_iter()
        .map(|m| Ok((m, options(&plan.spec, m, &alphas)?)))
        .collect::<Result<_>>()?;
    todo.par_iter().with_max_len(1).try_for_each(|r| -> Result<()> {
        crate::control::check()?;
        let (key, p, w_star) = &plan.problems[r.problem];
        let o = &opts[&r.method];
        let (row, w) = match sweep::one_variant(p, refs.get(&r.problem), key.seed, r.alpha, r.eta, o, &r.variant) {
            Ok(x) => x,
            Err(Error::Interrupted) => return Err(Error::Interrupted),
            // A failed run is recorded with its error and the shard goes on; the next run of the shard retries it.
            Err(e) => {
                failed.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                failed_writer.append(&FailedRun {
                    spec_hash: plan.spec_hash.clone(),
                    run_id: r.run_id.clone(),
                    key: key.clone(),
                    method: r.method,
                    alpha: r.alpha,
                    step_rule: o.rule_label(r.eta),
                    error: e.to_string(),
                })?;
                let c = count.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
                progress(Progress::Count { done: c, total });
                return Ok(());
            }
        };
        let rec = w_star.as_ref().map(|ws| w.iter().zip(ws).map(|(a, b)| (a - b) * (a - b)).sum::<f64>());
        writer.append(&SpecRow {
            spec_hash: plan.spec_hash.clone(),
            key: key.clone(),
            row,
            variant: r.variant,
            recovery_error_sq_abs: rec,
            w: plan.spec.record.w.then_some(w),
        })?;
        let c = count.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
        progress(Progress::Count { done: c, total });
        Ok(())
    })?;
    writer.close()?;
    failed_writer.close()?;
    let failed = failed.into_inner();
    Ok(ShardReport {
        planned: mine.len(),
        skipped: mine.len() - total,
        computed: total - failed,
        failed,
        truncated_last_line: truncated,
    })
}

/// One shard's state in a folder.
#[derive(Debug, Clone, Serialize)]
pub struct ShardStatus {
    /// Runs of the shard.
    pub planned: usize,
    /// Runs with a row.
    pub done: usize,
    /// Runs without a row whose last attempt failed.
    pub failing: usize,
    /// Runs without a row (failing ones included).
    pub missing: usize,
    /// The last error of a failing run of this shard.
    pub last_error: Option<String>,
}

/// Per shard of an N-way split: planned, done, failing and missing runs.
pub fn status(plan: &Plan, dir: &Path, n: usize) -> Result<Vec<ShardStatus>> {
    let done = read_folder(plan, dir)?;
    let failed = failures_in(plan, dir, &done)?;
    (0..n)
        .map(|k| {
            let mine = plan.shard(k, n)?;
            let have = mine.iter().filter(|r| done.rows.contains_key(&r.run_id)).count();
            let fails: Vec<&FailedRun> = mine.iter().filter_map(|r| failed.get(&r.run_id)).collect();
            Ok(ShardStatus {
                planned: mine.len(),
                done: have,
                failing: fails.len(),
                missing: mine.len() - have,
                last_error: fails.first().map(|f| format!("{} at α = {:e}: {}", f.method, f.alpha, f.error)),
            })
        })
        .collect()
}

/// The shard count of a folder, from its journals' names (`shard-K-of-N.jsonl`).
pub fn shard_count(dir: &Path) -> Result<Option<usize>> {
    for j in journals(dir)? {
        let name = j.file_name().and_then(|s| s.to_str()).unwrap_or("");
        if let Some(n) =
            name.strip_prefix("shard-").and_then(|r| r.split("-of-").nth(1)).and_then(|r| r.strip_suffix(".jsonl"))
        {
            return Ok(n.parse().ok());
        }
    }
    Ok(None)
}

/// Every planned run exactly once, in plan order; an error listing the missing runs (and the shards to rerun).
pub fn merge(plan: &Plan, dir: &Path) -> Result<Vec<SpecRow>> {
    merge_counted(plan, dir).map(|m| m.0)
}

/// [`merge`], with the number of duplicate rows dropped (runs done twice, e.g. by overlapping shardings).
pub fn merge_counted(plan: &Plan, dir: &Path) -> Result<(Vec<SpecRow>, usize)> {
    let mut done = read_folder(plan, dir)?;
    let missing: Vec<&PlannedRun> = plan.runs.iter().filter(|r| !done.rows.contains_key(&r.run_id)).collect();
    if !missing.is_empty() {
        let n = shard_count(dir)?.unwrap_or(1);
        let shards: Vec<usize> = (0..n)
            .filter(|&k| plan.shard(k, n).is_ok_and(|m| m.iter().any(|r| !done.rows.contains_key(&r.run_id))))
            .collect();
        let failed = failures_in(plan, dir, &done)?;
        let failing = missing.iter().filter_map(|r| failed.get(&r.run_id)).collect::<Vec<_>>();
        let why = match failing.first() {
            Some(f) => {
                format!("; {} of them failed (e.g. {} at α = {:e}: {})", failing.len(), f.method, f.alpha, f.error)
            }
            None => String::new(),
        };
        return Err(Error::param(
            "merge",
            format!(
                "{} of {} planned runs are missing from {} (e.g. {} at α = {:e}){why}; rerun: {}",
                missing.len(),
                plan.runs.len(),
                dir.display(),
                missing[0].method,
                missing[0].alpha,
                shards
                    .iter()
                    .map(|k| format!(
                        "ibias sweep run {} --out {} --shard {k}/{n}",
                        dir.join("spec.toml").display(),
                        dir.display()
                    ))
                    .collect::<Vec<_>>()
                    .join(" ; ")
            ),
        ));
    }
    let rows = plan.runs.iter().filter_map(|r| done.rows.remove(&r.run_id)).collect();
    Ok((rows, done.duplicates))
}

/// A value a row may lack (NaN: missing).
fn known(v: f64) -> Option<f64> {
    (!v.is_nan()).then_some(v)
}

/// The merged rows as a table: one column per parameter and metric (ASCII names; `Missing` where a row has no
/// value, e.g. no seed for a data file or no `w*`).
pub fn to_table(rows: &[SpecRow]) -> Table {
    let col = |k: &str, f: Fmt| Column::new(k, k, f);
    let mut t = Table::new(
        "sweep_merged",
        "Every planned run of the sweep, in plan order",
        vec![
            col("run_id", Fmt::Plain),
            col("source", Fmt::Plain),
            col("seed", Fmt::Plain),
            col("n", Fmt::Plain),
            col("d", Fmt::Plain),
            col("sparsity", Fmt::Plain),
            col("noise", Fmt::Sci(3)),
            col("method", Fmt::Plain),
            col("alpha", Fmt::Sci(3)),
            col("step_rule", Fmt::Plain),
            col("loss", Fmt::Plain),
            col("potential", Fmt::Plain),
            col("depth", Fmt::Plain),
            col("shape", Fmt::Plain),
            col("batch", Fmt::Plain),
            col("sgd_seed", Fmt::Plain),
            col("iterations", Fmt::Plain),
            col("wall_seconds", Fmt::Sci(3)),
            col("converged", Fmt::Plain),
            col("stop_reason", Fmt::Plain),
            col("risk", Fmt::Sci(6)),
            col("l1_norm", Fmt::Sci(6)),
            col("l2_norm", Fmt::Sci(6)),
            col("l1_gap_abs", Fmt::Sci(3)),
            col("l2_gap_abs", Fmt::Sci(3)),
            col("distance_to_exact_rel", Fmt::Sci(3)),
            col("margin_gap_rel", Fmt::Sci(3)),
            col("recovery_error_sq_abs", Fmt::Sci(4)),
        ],
    );
    for r in rows {
        let x = &r.row;
        t.push(vec![
            x.run_id.clone().into(),
            r.key.source.clone().into(),
            r.key.seed.into(),
            r.key.n.into(),
            r.key.d.into(),
            r.key.sparsity.into(),
            r.key.noise.into(),
            x.method.to_string().into(),
            known(x.alpha).into(),
            x.step_rule.clone().into(),
            r.variant.loss.name().to_string().into(),
            x.potential.map(|k| k.name().to_string()).into(),
            (r.variant.depth as usize).into(),
            r.variant.shape.into(),
            r.variant.batch.into(),
            r.variant.batch.map(|_| r.variant.sgd_seed).into(),
            x.iterations.into(),
            x.wall_seconds.into(),
            x.converged.into(),
            x.stop_reason.map(|s| s.name().to_string()).into(),
            known(x.risk).into(),
            x.l1_norm.into(),
            x.l2_norm.into(),
            known(x.l1_gap_abs).into(),
            known(x.l2_gap_abs).into(),
            known(x.distance_to_exact_rel).into(),
            known(x.margin_gap_rel).into(),
            r.recovery_error_sq_abs.into(),
        ]);
    }
    t
}

/// The merged rows as JSON lines: the objects of [`to_table`] (flat, one key per column), plus `w` (a list) when
/// the spec records it.
pub fn to_jsonl(rows: &[SpecRow]) -> String {
    let text = to_table(rows).to_jsonl();
    let mut s = String::with_capacity(text.len());
    for (line, r) in text.lines().zip(rows) {
        match (&r.w, serde_json::from_str::<serde_json::Map<String, serde_json::Value>>(line)) {
            (Some(w), Ok(mut obj)) => {
                obj.insert("w".into(), serde_json::json!(w));
                s.push_str(&serde_json::Value::Object(obj).to_string());
            }
            _ => s.push_str(line),
        }
        s.push('\n');
    }
    s
}

/// The merged rows as CSV (the columns of [`to_table`], numbers at full precision).
pub fn to_csv(rows: &[SpecRow]) -> String {
    to_table(rows).to_csv()
}
