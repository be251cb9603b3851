//! A sweep specification (SPEC §10): the TOML file that names the problems (a preset at seeds, data files, or
//! a generator grid over n, d, sparsity, noise and seeds), the axes (method, loss, α, step rule, variants) and the
//! stop rule, parsed and validated once.

use super::engine::{self, SweepMethod, SweepOptions, Variant};
use crate::datafit::LossKind;
use crate::dynamics::StepRule;
use crate::problem::generate::Entries;
use crate::{Error, Result};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// The most runs a plan holds (each planned run costs a few hundred bytes before anything runs).
pub const MAX_RUNS: usize = 10_000_000;

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
    /// A preset (`ex2`, `ex3`, `woodworth`; classification, labels ±1: `toy`, `teacher`, `sparse_teacher`) at each
    /// of `seeds`.
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
    /// Classification: labels sign(⟨x, w*⟩) (±1), rows with |⟨x, w*⟩|/‖w*‖₂ below this margin drawn again (0 to 3;
    /// `noise` must be `[0.0]`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub margin: Option<f64>,
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
    /// Step rules (`lbfgs`, `auto`, `safe` or numbers as strings); default: `ibias run`'s on each dataset — `lbfgs`
    /// for md where X has full row rank (else `auto`), `safe` for reparam, mini-batch runs and registered methods.
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
    /// p-GD's exponents `p ∈ [1.05, 20]` (method `md` only): mirror descent with `ψ = Σ|wᵢ|^p/p` from 0, which
    /// has no α (each p runs once, α missing); on a classification loss its row's margin gap is in `ℓp`.
    #[serde(default)]
    pub p: Option<Vec<f64>>,
}

impl Axes {
    /// How many variants the extra axes make (loss × depth × shape × batch × sgd_seed × p), counted without building
    /// them.
    pub fn variant_count(&self) -> f64 {
        [
            self.loss.as_ref().map_or(1, Vec::len),
            self.depth.as_ref().map_or(1, Vec::len),
            self.shape.as_ref().map_or(1, Vec::len),
            self.batch.as_ref().map_or(1, Vec::len),
            self.sgd_seed.as_ref().map_or(1, Vec::len),
            self.p.as_ref().map_or(1, Vec::len),
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

    /// Every variant of the extra axes (loss × depth × shape × batch × sgd_seed × p), in spec order.
    pub fn variants(&self) -> Vec<Variant> {
        let depths = self.depth.clone().unwrap_or_else(|| vec![2]);
        let shapes = self.shape.clone().unwrap_or_else(|| vec![0.0]);
        let batches: Vec<Option<usize>> = match &self.batch {
            Some(b) => b.iter().map(|&x| Some(x)).collect(),
            None => vec![None],
        };
        let seeds = self.sgd_seed.clone().unwrap_or_else(|| vec![0]);
        let ps: Vec<Option<f64>> = match &self.p {
            Some(v) => v.iter().map(|&x| Some(x)).collect(),
            None => vec![None],
        };
        let mut out = Vec::new();
        for loss in self.losses().unwrap_or_default() {
            for &depth in &depths {
                for &shape in &shapes {
                    for &batch in &batches {
                        for &sgd_seed in &seeds {
                            for &p in &ps {
                                out.push(Variant { depth, shape, batch, sgd_seed, loss, p });
                            }
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
            if let Some(m) = g.margin {
                let max = crate::problem::generate::MAX_MARGIN;
                if !(m.is_finite() && (0.0..=max).contains(&m)) {
                    return Err(Error::param("[problem.generate] margin", format!("must be in [0, {max}], got {m}")));
                }
                if g.noise.iter().any(|&s| s != 0.0) {
                    return Err(Error::param(
                        "[problem.generate] noise",
                        "classification labels (margin) take no noise: give noise = [0.0]",
                    ));
                }
            }
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
            ("[axes] p", ax.p.as_ref().map(Vec::len)),
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
        if let Some(ps) = &ax.p {
            for &p in ps {
                Variant { p: Some(p), ..Variant::default() }.validate()?;
            }
            if let Some(m) = ax.method.iter().find(|m| m.parse::<SweepMethod>() != Ok(SweepMethod::Md)) {
                return Err(Error::param(
                    "[axes] p",
                    format!(
                        "p is p-GD's exponent and goes with method = [\"md\"] alone, not '{m}' (give it its own spec)"
                    ),
                ));
            }
            if ax.depth.as_deref().unwrap_or(&[2]).iter().any(|&d| d != 2)
                || ax.shape.as_deref().unwrap_or(&[0.0]).iter().any(|&s| s != 0.0)
            {
                return Err(Error::param("[axes] p", "p-GD has no depth or shape: sweep them in another spec"));
            }
        }
        let losses = ax.losses()?;
        // Each method against each loss and run-shaping axis, as the front door would take it (errors name the
        // spec's keys), without the data.
        let o = SweepOptions {
            method: SweepMethod::Md,
            alphas: vec![1.0],
            etas: None,
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
                    let p = ax.p.as_ref().and_then(|p| p.first().copied());
                    let v = Variant { loss, batch, p, ..Variant::default() };
                    let default_eta = engine::default_rule(m, &v, None);
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

    /// The α axis, resolved to its values.
    pub fn alphas(&self) -> Result<Vec<f64>> {
        match &self.axes.alpha {
            AlphaAxis::Grid(s) => engine::parse_alphas(s).map_err(|e| Error::param("[axes] alpha", e.to_string())),
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
