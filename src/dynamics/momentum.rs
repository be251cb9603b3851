//! Heavy-ball gradient descent (Polyak momentum) from `w₀ = w₋₁ = 0`:
//! `w_{k+1} = w_k − η∇R(w_k) + β(w_k − w_{k−1})`. Every increment lies in `range(Xᵀ)`, so a run that
//! converges reaches the minimum-ℓ2 interpolator `X⁺y`, as plain GD does (SPEC §4).

use super::config::{RunConfig, StepRule, metric_grad};
use super::driver::{Finish, Method, StepOutcome, check_risk_stop_reachable, drive, require_rule};
use super::dual::safe_step;
use super::result::{Algorithm, RunResult};
use super::step::{Fixed, Safe, ScalarRule};
use crate::error::num;
use crate::potential::{Euclidean, PotentialKind};
use crate::problem::{GradPlan, Problem};
use crate::{Error, Result};

/// Heavy-ball GD with momentum `beta` and a scalar step rule.
pub struct HeavyBall<'a, R: ScalarRule> {
    plan: GradPlan<'a>,
    rule: R,
    beta: f64,
    w: Vec<f64>,
    w_prev: Vec<f64>,
    w_next: Vec<f64>,
    g: Vec<f64>,
    r: Vec<f64>,
    risk: f64,
    safe0: f64,
}

impl<R: ScalarRule> Method for HeavyBall<'_, R> {
    fn algorithm(&self) -> Algorithm {
        Algorithm::HeavyBall
    }
    fn potential(&self) -> PotentialKind {
        PotentialKind::Euclidean
    }
    fn w(&self) -> &[f64] {
        &self.w
    }
    fn risk(&self) -> f64 {
        self.risk
    }
    fn metric_grad(&mut self) -> f64 {
        metric_grad(std::iter::repeat_n(1.0, self.g.len()), &self.g)
    }
    fn step(&mut self) -> Result<StepOutcome> {
        let (plan, w, g) = (&self.plan, &self.w, &self.g);
        let eta = self.rule.eta(|| safe_step(plan, &Euclidean, w, g));
        let beta = self.beta;
        for i in 0..self.w.len() {
            self.w_next[i] = self.w[i] - eta * self.g[i] + beta * (self.w[i] - self.w_prev[i]);
        }
        // w_prev ← w, w ← w_next (w_next keeps the old w_prev as scratch).
        std::mem::swap(&mut self.w_prev, &mut self.w);
        std::mem::swap(&mut self.w, &mut self.w_next);
        self.risk = self.plan.grad(&self.w, &mut self.r, &mut self.g);
        Ok(StepOutcome::Moved { eta, grad_evals: 1 })
    }
    fn safe_eta(&self) -> f64 {
        self.safe0
    }
    fn finish(self, _: &Problem) -> Result<Finish> {
        Ok(Finish { w: self.w, reparam: None, notes: Vec::new() })
    }
}

/// Heavy-ball GD from 0 with momentum `beta ∈ [0, 1)` (β = 0 is plain GD), a fixed step or the safe rule.
pub fn run_heavy_ball(p: &Problem, beta: f64, cfg: &RunConfig) -> Result<RunResult> {
    let d = p.d();
    cfg.validate(d)?;
    if !(beta.is_finite() && (0.0..1.0).contains(&beta)) {
        return Err(Error::param("momentum", format!("β must lie in [0, 1), got {}", num(beta))));
    }
    require_rule("heavy-ball GD", cfg.step, &["fixed", "safe"])?;
    check_risk_stop_reachable(p, cfg)?;
    let plan = GradPlan::new(p, cfg.parallelism);
    let (mut r, mut g) = (vec![0.0; p.n()], vec![0.0; d]);
    let w = vec![0.0; d];
    let risk = plan.grad(&w, &mut r, &mut g);
    let safe0 = safe_step(&plan, &Euclidean, &w, &g);
    let (w_prev, w_next) = (w.clone(), w.clone());
    match cfg.step {
        StepRule::Fixed(e) => {
            drive(p, HeavyBall { plan, rule: Fixed(e), beta, w, w_prev, w_next, g, r, risk, safe0 }, cfg)
        }
        _ => drive(p, HeavyBall { plan, rule: Safe, beta, w, w_prev, w_next, g, r, risk, safe0 }, cfg),
    }
}
