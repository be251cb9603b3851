//! What a run is asked to do: the step-size rule ([`StepRule`]), when to stop ([`StopRule`]), what to
//! record ([`Record`]) and how many cores its kernels use — built with builders and validated once.
//!
//! Defaults (the same in the library, the command line and the Python package): `R(w) ≤ 1e-16·R(0)`,
//! gradient rule off, at most 1,000,000 iterations, no time cap, 40 log-spaced checkpoints.

use crate::error::{non_negative, num, positive};
use crate::problem::Parallelism;
use crate::{Error, Result};
use serde::{Deserialize, Serialize};

/// How the step size η is chosen.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum StepRule {
    /// A fixed η.
    Fixed(f64),
    /// The safe rule of SPEC §6, re-evaluated every iteration:
    /// `η_t = min(1/(L·maxᵢ hᵢ(w_t)), 1/(2‖∇R(w_t)‖_∞))` with `hᵢ = 1/ψᵢ''` the local metric
    /// (for GD on `(u, v)`: `min(1/(L·maxᵢ(uᵢ² + vᵢ²) + ‖g‖_∞/2), 1/(2‖g‖_∞))`).
    Safe,
    /// Mirror descent: Barzilai–Borwein steps on the dual of mirror descent with a non-monotone Armijo
    /// test, started from the safe rule. Every step is `θ ← θ − η_t∇R(w_t)`, so `θ_t − θ_0 ∈ range(Xᵀ)`
    /// and the implicit bias is exactly that of mirror descent.
    Auto,
    /// Mirror descent only: dual L-BFGS directions `θ ← θ + t·Xᵀd` (memory 12, Armijo on the exact change
    /// of the dual objective). Still `θ_t − θ_0 ∈ range(Xᵀ)`: same limit, reached far faster at small α
    /// where scalar steps crawl along the `1/t` tail. Needs an interpolator (`rank X = n`).
    Lbfgs,
}

impl StepRule {
    /// A short label (`auto`, `safe`, `lbfgs`, or the number).
    pub fn label(&self) -> String {
        match self {
            StepRule::Fixed(e) => num(*e),
            StepRule::Safe => "safe".into(),
            StepRule::Auto => "auto".into(),
            StepRule::Lbfgs => "lbfgs".into(),
        }
    }
}

impl std::fmt::Display for StepRule {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.label())
    }
}

impl std::str::FromStr for StepRule {
    type Err = String;
    fn from_str(s: &str) -> std::result::Result<Self, String> {
        match s.trim() {
            "auto" => Ok(StepRule::Auto),
            "safe" => Ok(StepRule::Safe),
            "lbfgs" => Ok(StepRule::Lbfgs),
            t => {
                let v: f64 = t.parse().map_err(|_| format!("'{s}' is not 'auto', 'safe', 'lbfgs' or a number"))?;
                if !(v.is_finite() && v > 0.0) {
                    return Err(format!("a fixed step size must be finite and > 0, got '{s}'"));
                }
                Ok(StepRule::Fixed(v))
            }
        }
    }
}

impl Serialize for StepRule {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.serialize_str(&self.label())
    }
}

impl<'de> Deserialize<'de> for StepRule {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            Num(f64),
            Text(String),
        }
        match Raw::deserialize(d)? {
            Raw::Num(v) => {
                if v.is_finite() && v > 0.0 {
                    Ok(StepRule::Fixed(v))
                } else {
                    Err(serde::de::Error::custom(format!("a fixed step size must be finite and > 0, got {}", num(v))))
                }
            }
            Raw::Text(t) => t.parse().map_err(serde::de::Error::custom),
        }
    }
}

/// When to stop. A run stops at the first rule met; `risk_tol = 0` and `grad_tol = 0` disable those
/// rules, so `max_iter` then runs exactly that many iterations ([`StopRule::steps`]).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct StopRule {
    /// Stop when `R(w) ≤ risk_tol · R(0)`.
    pub(crate) risk_tol: f64,
    /// Stop when the gradient in the local metric, `√(Σ hᵢgᵢ² / Σ hᵢ)`, is `≤ grad_tol·‖∇R(0)‖_∞`.
    pub(crate) grad_tol: f64,
    /// Iteration cap.
    pub(crate) max_iter: usize,
    /// Wall-clock cap in seconds.
    pub(crate) max_seconds: Option<f64>,
    /// Flows: the largest time integrated to.
    pub(crate) max_time: f64,
}

impl Default for StopRule {
    fn default() -> Self {
        StopRule { risk_tol: 1e-16, grad_tol: 0.0, max_iter: 1_000_000, max_seconds: None, max_time: 1e6 }
    }
}

impl StopRule {
    /// Exactly `n` iterations (risk and gradient rules off).
    pub fn steps(n: usize) -> Self {
        StopRule { risk_tol: 0.0, grad_tol: 0.0, max_iter: n, ..Default::default() }
    }
    /// Stop when `R(w) ≤ tol·R(0)` (0: off).
    pub fn risk_tol(mut self, tol: f64) -> Self {
        self.risk_tol = tol;
        self
    }
    /// Stop when the local-metric gradient is `≤ tol·‖∇R(0)‖_∞` (0: off).
    pub fn grad_tol(mut self, tol: f64) -> Self {
        self.grad_tol = tol;
        self
    }
    /// Iteration cap.
    pub fn max_iter(mut self, n: usize) -> Self {
        self.max_iter = n;
        self
    }
    /// Wall-clock cap in seconds.
    pub fn max_seconds(mut self, s: Option<f64>) -> Self {
        self.max_seconds = s;
        self
    }
    /// Flows: the final time.
    pub fn max_time(mut self, t: f64) -> Self {
        self.max_time = t;
        self
    }
    /// The risk tolerance.
    pub fn risk_tolerance(&self) -> f64 {
        self.risk_tol
    }
    /// The iteration cap.
    pub fn iteration_cap(&self) -> usize {
        self.max_iter
    }
    /// The final time of flows.
    pub fn final_time(&self) -> f64 {
        self.max_time
    }

    /// Checks every field (finite, in range).
    pub fn validate(&self) -> Result<()> {
        non_negative("tol", self.risk_tol)?;
        non_negative("grad_tol", self.grad_tol)?;
        if let Some(s) = self.max_seconds {
            positive("max_seconds", s)?;
        }
        positive("t_max", self.max_time)?;
        Ok(())
    }

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
        if k.is_multiple_of(64) {
            if let Some(ms) = self.max_seconds
                && start.elapsed().as_secs_f64() > ms
            {
                return Some(StopReason::TimeLimit);
            }
            if crate::control::cancelled() {
                return Some(StopReason::Interrupted);
            }
        }
        None
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
    /// Dual L-BFGS: no decrease of the dual objective is measurable along a descent direction, i.e. its
    /// gradient (the residual) is at rounding level.
    DualStationary,
    /// The iteration cap was reached.
    MaxIterations,
    /// The wall-clock cap was reached.
    TimeLimit,
    /// A flow reached its final time.
    FinalTime,
    /// Interrupted by the user.
    Interrupted,
}

impl StopReason {
    /// Whether this reason counts as convergence.
    pub fn converged(&self) -> bool {
        matches!(self, StopReason::RiskTolerance | StopReason::GradientTolerance | StopReason::DualStationary)
    }

    /// Whether the run stopped at a cap (iterations, time, final time) rather than by a criterion.
    pub fn hit_cap(&self) -> bool {
        matches!(self, StopReason::MaxIterations | StopReason::TimeLimit | StopReason::FinalTime)
    }
}

impl StopReason {
    /// The snake-case name every output uses (`--json`, Python, sweep tables): `max_iterations`, ….
    pub fn name(&self) -> &'static str {
        match self {
            StopReason::RiskTolerance => "risk_tolerance",
            StopReason::GradientTolerance => "gradient_tolerance",
            StopReason::DualStationary => "dual_stationary",
            StopReason::MaxIterations => "max_iterations",
            StopReason::TimeLimit => "time_limit",
            StopReason::FinalTime => "final_time",
            StopReason::Interrupted => "interrupted",
        }
    }
}

impl std::fmt::Display for StopReason {
    /// In words, for printed results (`--json` keeps the snake-case names).
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            StopReason::RiskTolerance => "the risk reached its tolerance",
            StopReason::GradientTolerance => "the gradient reached its tolerance",
            StopReason::DualStationary => "the dual objective stopped decreasing at rounding level",
            StopReason::MaxIterations => "the iteration cap was reached",
            StopReason::TimeLimit => "the time cap was reached",
            StopReason::FinalTime => "the flow reached its final time",
            StopReason::Interrupted => "interrupted",
        })
    }
}

/// Largest number of log-spaced checkpoints a run may record.
pub const MAX_CHECKPOINTS: usize = 100_000;

/// What a run records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Record {
    /// Nothing but the end point.
    EndOnly,
    /// `0`, then this many log-spaced iterations up to the iteration cap (at most [`MAX_CHECKPOINTS`]).
    LogSpaced(usize),
    /// Every iterate (memory grows with the run: checked against the budget before the run starts).
    Every,
}

/// Options of a discrete run.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct RunConfig {
    pub(crate) step: StepRule,
    pub(crate) stop: StopRule,
    pub(crate) record: Record,
    pub(crate) parallelism: Parallelism,
}

impl Default for RunConfig {
    fn default() -> Self {
        RunConfig {
            step: StepRule::Auto,
            stop: StopRule::default(),
            record: Record::LogSpaced(40),
            parallelism: Parallelism::Auto,
        }
    }
}

impl RunConfig {
    /// A run with the given step rule and the default stop rule.
    pub fn new(step: StepRule) -> Self {
        RunConfig { step, ..Default::default() }
    }
    /// A fixed step `eta`.
    pub fn fixed(eta: f64) -> Self {
        Self::new(StepRule::Fixed(eta))
    }
    /// The stop rule.
    pub fn stop(mut self, stop: StopRule) -> Self {
        self.stop = stop;
        self
    }
    /// `k` log-spaced checkpoints (0: the end point only).
    pub fn checkpoints(mut self, k: usize) -> Self {
        self.record = if k == 0 { Record::EndOnly } else { Record::LogSpaced(k) };
        self
    }
    /// Record every iterate.
    pub fn record_every(mut self) -> Self {
        self.record = Record::Every;
        self
    }
    /// How many cores the run's kernels use.
    pub fn parallelism(mut self, p: Parallelism) -> Self {
        self.parallelism = p;
        self
    }
    /// The step rule.
    pub fn step_rule(&self) -> StepRule {
        self.step
    }
    /// The stop rule.
    pub fn stop_rule(&self) -> &StopRule {
        &self.stop
    }
    /// What is recorded.
    pub fn recording(&self) -> Record {
        self.record
    }

    /// Checks every field, and that what is recorded fits the memory budget for iterates of length `d`.
    pub fn validate(&self, d: usize) -> Result<()> {
        self.stop.validate()?;
        if let StepRule::Fixed(e) = self.step {
            positive("eta", e)?;
        }
        let points = match self.record {
            Record::EndOnly => 1.0,
            Record::LogSpaced(k) => {
                if k > MAX_CHECKPOINTS {
                    return Err(Error::param("checkpoints", format!("at most {MAX_CHECKPOINTS}, got {k}")));
                }
                k as f64 + 2.0
            }
            Record::Every => self.stop.max_iter as f64 + 1.0,
        };
        crate::io::require_memory("the recorded trajectory", points * (d as f64 + 4.0) * 8.0 * 2.0)
    }
}

/// The local-metric gradient `√(Σ hᵢgᵢ² / Σ hᵢ)`.
#[inline]
pub fn metric_grad(h: impl Iterator<Item = f64>, g: &[f64]) -> f64 {
    let (mut num, mut den) = (0.0, 0.0);
    for (hi, gi) in h.zip(g) {
        num += hi * gi * gi;
        den += hi;
    }
    if den > 0.0 { (num / den).sqrt() } else { 0.0 }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn step_rules_parse_once_and_print_back() {
        for s in ["auto", "safe", "lbfgs", "0.01", "1e-300"] {
            let r: StepRule = s.parse().unwrap();
            assert_eq!(r.label().parse::<StepRule>().unwrap(), r);
        }
        for s in ["-1", "0", "nan", "1e400", "fast"] {
            assert!(s.parse::<StepRule>().is_err(), "{s}");
        }
        let j = serde_json::to_string(&StepRule::Fixed(0.5)).unwrap();
        assert_eq!(j, "\"0.5\"");
        let back: StepRule = serde_json::from_str("0.25").unwrap();
        assert_eq!(back, StepRule::Fixed(0.25));
    }

    #[test]
    fn configurations_are_validated() {
        assert!(StopRule::default().risk_tol(-1.0).validate().is_err());
        assert!(StopRule::default().risk_tol(f64::NAN).validate().is_err());
        assert!(StopRule::default().grad_tol(-1e-3).validate().is_err());
        assert!(StopRule::default().max_seconds(Some(-1.0)).validate().is_err());
        assert!(StopRule::default().max_seconds(Some(f64::NAN)).validate().is_err());
        assert!(RunConfig::default().checkpoints(100_000_000).validate(10).is_err());
        assert!(RunConfig::fixed(0.1).record_every().stop(StopRule::steps(usize::MAX / 4)).validate(100).is_err());
        assert!(RunConfig::fixed(0.1).stop(StopRule::steps(10)).validate(100).is_ok());
        let e = StopRule::default().risk_tol(-1.0).validate().unwrap_err().to_string();
        assert!(e.contains("tol") && e.contains("-1.0"), "{e}");
    }
}
