//! The algorithms (SPEC §2): gradient descent, mirror descent with any potential, reparametrised
//! gradient descent on `w = u⊙u − v⊙v`, exponentiated gradient — as discrete iterations and as
//! continuous-time flows — sharing step-size rules, stopping rules and a trajectory recorder.

pub mod batch;
pub mod flow;
pub mod md;
pub mod ode;
pub mod recorder;
pub mod reparam;

pub use md::{run_eg, run_gd, run_md};
pub use recorder::{Checkpoint, Recorder};
pub use reparam::run_reparam;

use serde::{Deserialize, Serialize};

/// How the step size η is chosen.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum StepRule {
    /// A fixed η.
    Fixed(f64),
    /// The safe rule of SPEC §6, re-evaluated every iteration:
    /// `η_t = min(1/(L·maxᵢ hᵢ(w_t)), 1/(2‖∇R(w_t)‖_∞))` with `hᵢ = 1/ψᵢ''` the local metric.
    Safe,
    /// Adaptive: Barzilai–Borwein steps on the dual of mirror descent with a non-monotone Armijo
    /// test on the dual objective, started from the safe rule. Every step is `θ ← θ − η_t∇R(w_t)`,
    /// so `θ_t − θ_0 ∈ range(Xᵀ)` and the implicit bias is exactly that of mirror descent.
    /// For reparametrised GD (no dual) it is the safe rule.
    Auto,
    /// Mirror descent only: dual L-BFGS directions `θ ← θ + t·Xᵀd` (memory 12, Armijo on the exact
    /// change of the dual objective). Still `θ_t − θ_0 ∈ range(Xᵀ)`: same limit, reached far faster
    /// at small α where scalar steps crawl along the `1/t` tail. Needs `rank X = n`.
    Lbfgs,
}

impl StepRule {
    /// Parses `auto`, `safe` or a positive number.
    pub fn parse(s: &str) -> crate::Result<Self> {
        match s {
            "auto" => Ok(StepRule::Auto),
            "safe" => Ok(StepRule::Safe),
            "lbfgs" => Ok(StepRule::Lbfgs),
            _ => {
                let v: f64 = s.parse().map_err(|_| {
                    crate::Error::Param(format!("step size '{s}' is not 'auto', 'safe', 'lbfgs' or a number"))
                })?;
                if !(v.is_finite() && v > 0.0) {
                    return Err(crate::Error::Param(format!("step size must be finite and > 0, got {v}")));
                }
                Ok(StepRule::Fixed(v))
            }
        }
    }

    /// A short label (`auto`, `safe`, or the number).
    pub fn label(&self) -> String {
        match self {
            StepRule::Fixed(e) => format!("{e}"),
            StepRule::Safe => "safe".into(),
            StepRule::Auto => "auto".into(),
            StepRule::Lbfgs => "lbfgs".into(),
        }
    }
}

/// When to stop. A run stops at the first rule met; `risk_tol = 0` and `grad_tol = 0` disable
/// those rules, so `max_iter` then runs exactly that many iterations.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct StopRule {
    /// Stop when `R(w) ≤ risk_tol · R(0)`.
    pub risk_tol: f64,
    /// Stop when the gradient in the local metric, `√(Σ hᵢgᵢ² / Σ hᵢ)`, is `≤ grad_tol·‖∇R(0)‖_∞`.
    pub grad_tol: f64,
    /// Iteration cap (for flows: the number of doublings of the time horizon is unrelated; see `max_time`).
    pub max_iter: usize,
    /// Wall-clock cap in seconds (`None`: no cap).
    pub max_seconds: Option<f64>,
    /// For flows: the largest time integrated to.
    pub max_time: f64,
}

impl Default for StopRule {
    fn default() -> Self {
        StopRule { risk_tol: 1e-16, grad_tol: 1e-10, max_iter: 1_000_000, max_seconds: None, max_time: 1e6 }
    }
}

/// Why a run stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StopReason {
    /// `R(w) ≤ risk_tol·R(0)`.
    RiskTolerance,
    /// The local-metric gradient fell below its tolerance.
    GradientTolerance,
    /// The iteration cap was reached.
    MaxIterations,
    /// The wall-clock cap was reached.
    TimeLimit,
    /// A flow reached its final time.
    FinalTime,
}

impl StopRule {
    /// The first rule met at iteration `k` with risk `risk` (of `R(0) = risk0`), or `None`.
    /// `metric_grad` is evaluated only when the gradient rule is on; `g0_inf = ‖∇R(0)‖_∞`.
    #[inline]
    pub fn check(
        &self,
        k: usize,
        risk: f64,
        risk0: f64,
        metric_grad: impl FnOnce() -> f64,
        g0_inf: f64,
        start: &std::time::Instant,
    ) -> Option<StopReason> {
        if self.risk_tol > 0.0 && risk <= self.risk_tol * risk0 {
            return Some(StopReason::RiskTolerance);
        }
        if self.grad_tol > 0.0 && metric_grad() <= self.grad_tol * g0_inf {
            return Some(StopReason::GradientTolerance);
        }
        if k >= self.max_iter {
            return Some(StopReason::MaxIterations);
        }
        if k.is_multiple_of(64)
            && let Some(ms) = self.max_seconds
            && start.elapsed().as_secs_f64() > ms
        {
            return Some(StopReason::TimeLimit);
        }
        None
    }
}

impl StopReason {
    /// Whether this reason counts as convergence.
    pub fn converged(&self) -> bool {
        matches!(self, StopReason::RiskTolerance | StopReason::GradientTolerance)
    }
}

/// What the reparametrisation leaves behind (SPEC §8): the effective scale and the drift of `θ` out of `range(Xᵀ)`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ReparamInfo {
    /// `u⊙v` at the end (initially `α²`): per step it is multiplied by `1 − η²gᵢ²/4`.
    pub uv_final: Vec<f64>,
    /// `min_i √(uᵢvᵢ)/α` at the end: the effective initialisation scale `a_∞/α`.
    pub a_ratio_min: f64,
    /// `max_i √(uᵢvᵢ)/α`.
    pub a_ratio_max: f64,
    /// `‖(I − P)(θ_∞ − θ_0)‖/‖θ_∞ − θ_0‖`, `θ = ln(u/v)`, `P` the projector onto `range(Xᵀ)`.
    pub theta_outside_range: f64,
}

/// The result of one run (discrete or flow).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RunResult {
    /// `gd`, `md`, `reparam` or `eg` (with `-flow` for flows).
    pub algorithm: String,
    /// Potential used (`euclidean`, `hyperbolic`, `entropy`).
    pub potential: String,
    /// Initialisation scale α, where there is one.
    pub alpha: Option<f64>,
    /// Step rule (`auto`, `safe` or the fixed value).
    pub eta_rule: String,
    /// Step size of the first iteration.
    pub eta: f64,
    /// Smallest and largest step used.
    pub eta_range: (f64, f64),
    /// Iterations done (for flows: accepted integrator steps).
    pub iterations: usize,
    /// Gradient evaluations (including rejected line-search trials that needed one).
    pub grad_evals: usize,
    /// Whether a convergence criterion was met.
    pub converged: bool,
    /// Why it stopped.
    pub stop_reason: StopReason,
    /// Final risk `R(w)`.
    pub risk: f64,
    /// `R(0)`, the scale of the risk tolerance.
    pub risk0: f64,
    /// Final iterate.
    pub w: Vec<f64>,
    /// `‖w‖₁`.
    pub l1: f64,
    /// `‖w‖₂`.
    pub l2: f64,
    /// Wall-clock seconds.
    pub seconds: f64,
    /// Final time (flows) or iteration count as a float.
    pub time: f64,
    /// Recorded checkpoints.
    pub checkpoints: Vec<Checkpoint>,
    /// Reparametrisation diagnostics (reparametrised GD only).
    pub reparam: Option<ReparamInfo>,
}

/// What a discrete run ends with; [`RunResult`] derives the rest (norms, convergence, times) from it.
pub(crate) struct Ending {
    pub algorithm: &'static str,
    pub potential: String,
    pub rule: StepRule,
    /// First, smallest and largest step used (NaN / ∞ / 0 when no step was taken).
    pub etas: (f64, f64, f64),
    pub iterations: usize,
    pub grad_evals: usize,
    pub reason: StopReason,
    pub risk: f64,
    pub risk0: f64,
    pub w: Vec<f64>,
    pub start: std::time::Instant,
    pub checkpoints: Vec<Checkpoint>,
    pub reparam: Option<ReparamInfo>,
}

impl From<Ending> for RunResult {
    fn from(e: Ending) -> Self {
        RunResult {
            algorithm: e.algorithm.into(),
            potential: e.potential,
            alpha: None,
            eta_rule: e.rule.label(),
            eta: if e.etas.0.is_nan() { 0.0 } else { e.etas.0 },
            eta_range: (if e.etas.1.is_finite() { e.etas.1 } else { 0.0 }, e.etas.2),
            iterations: e.iterations,
            grad_evals: e.grad_evals,
            converged: e.reason.converged(),
            stop_reason: e.reason,
            risk: e.risk,
            risk0: e.risk0,
            l1: crate::linalg::norm1(&e.w),
            l2: crate::linalg::norm2(&e.w),
            w: e.w,
            seconds: e.start.elapsed().as_secs_f64(),
            time: e.iterations as f64,
            checkpoints: e.checkpoints,
            reparam: e.reparam,
        }
    }
}

/// The local-metric gradient `√(Σ hᵢgᵢ² / Σ hᵢ)`.
pub fn metric_grad(h: impl Iterator<Item = f64>, g: &[f64]) -> f64 {
    let (mut num, mut den) = (0.0, 0.0);
    for (hi, gi) in h.zip(g) {
        num += hi * gi * gi;
        den += hi;
    }
    if den > 0.0 { (num / den).sqrt() } else { 0.0 }
}
