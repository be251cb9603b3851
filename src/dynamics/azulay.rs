//! Gradient descent on Azulay et al.'s (ICML 2021) diagonal model `w = u₊⊙v₊ − u₋⊙v₋` from the balanced
//! start `u₊ = u₋ = u₀`, `v₊ = v₋ = v₀` (so `w₀ = 0`), with the matrix-free step of SPEC §2 for products of
//! two factors: GD on `R/2`, i.e. `u₊ ← u₊ − (η/2) g⊙v₊`, `v₊ ← v₊ − (η/2) g⊙u₊`, `u₋ ← u₋ + (η/2) g⊙v₋`,
//! `v₋ ← v₋ + (η/2) g⊙u₋`, `g = ∇R(w)` (all factors updated from the same iterate).
//!
//! Along the flow, `(u ± v)` of each product evolves by `e^{∓S/2}` with `S(t) = ∫∇R`, so
//! `w(t) = −k ⊙ sinh(S(t))` with `kᵢ = u₀ᵢ² + v₀ᵢ²` (SPEC §9): the limit is the Bregman projection of 0 for
//! the hyperbolic entropy with scales `c = u₀² + v₀²` ([`azulay_potential`]). This is not the sheet's model
//! `w = u⊙u − v⊙v` with `u₀ ≠ v₀` (there `w₀ ≠ 0` and `c = 2u₀v₀`): as the shape `s → ±1` at fixed `u₀v₀`,
//! `k` grows without bound and Azulay et al.'s limit goes to the minimum-ℓ2 point, while the sheet's goes to
//! an entropic point around `w₀` (the shape study shows both).

use super::config::{RunConfig, StepRule, metric_grad};
use super::driver::{Finish, Method, StepOutcome, check_risk_stop_reachable, drive, require_rule};
use super::result::{Algorithm, RunResult};
use super::step::{Fixed, Safe, ScalarRule};
use crate::error::num;
use crate::kernels::linalg::norm_inf;
use crate::potential::{Hyperbolic, PotentialKind};
use crate::problem::{GradPlan, Problem};
use crate::{Error, Result};

/// The limit's mirror map: the hyperbolic entropy with `cᵢ = u₀ᵢ² + v₀ᵢ²` (projection from `w₀ = 0`).
pub fn azulay_potential(u0: &[f64], v0: &[f64]) -> Result<Hyperbolic> {
    Hyperbolic::with_scales(u0.iter().zip(v0).map(|(u, v)| u * u + v * v).collect())
}

/// The safe step: `min(1/(L·m/2 + ‖g‖_∞/2), 1/(2‖g‖_∞))` with `m = maxᵢ(u₊ᵢ² + v₊ᵢ² + u₋ᵢ² + v₋ᵢ²)`: the
/// Gauss–Newton curvature of `R/2` in the factors is at most `L·m/2` and the product terms add `‖g‖_∞/2`;
/// the second bound caps the relative change of a factor.
fn safe_step(l: f64, f: &[Vec<f64>; 4], g: &[f64]) -> f64 {
    let m = (0..g.len()).map(|i| f.iter().map(|x| x[i] * x[i]).sum::<f64>()).fold(0.0, f64::max);
    let gi = norm_inf(g);
    let a = 1.0 / (0.5 * l * m + 0.5 * gi).max(f64::MIN_POSITIVE);
    let b = if gi > 0.0 { 0.5 / gi } else { f64::INFINITY };
    a.min(b)
}

/// GD on the four factors `[u₊, v₊, u₋, v₋]`.
pub struct Azulay<'a, R: ScalarRule> {
    plan: GradPlan<'a>,
    rule: R,
    l: f64,
    f: [Vec<f64>; 4],
    w: Vec<f64>,
    g: Vec<f64>,
    r: Vec<f64>,
    risk: f64,
    safe0: f64,
}

impl<R: ScalarRule> Method for Azulay<'_, R> {
    fn algorithm(&self) -> Algorithm {
        Algorithm::Azulay
    }
    fn potential(&self) -> PotentialKind {
        PotentialKind::Hyperbolic
    }
    fn w(&self) -> &[f64] {
        &self.w
    }
    fn risk(&self) -> f64 {
        self.risk
    }
    fn metric_grad(&mut self) -> f64 {
        // The flow's metric on w: ∂w/∂S = √(w² + k²) per coordinate, k = u₊v₊ + … at the start; use the
        // current factors' squared norms.
        let h: Vec<f64> = (0..self.w.len()).map(|i| self.f.iter().map(|x| x[i] * x[i]).sum::<f64>() / 2.0).collect();
        metric_grad(h.into_iter(), &self.g)
    }
    fn step(&mut self) -> Result<StepOutcome> {
        let (l, f, g) = (self.l, &self.f, &self.g);
        let eta = self.rule.eta(|| safe_step(l, f, g));
        let h = 0.5 * eta;
        let [up, vp, um, vm] = &mut self.f;
        for i in 0..self.w.len() {
            let gi = self.g[i];
            let (a, b, c, d) = (up[i], vp[i], um[i], vm[i]);
            up[i] = a - h * gi * b;
            vp[i] = b - h * gi * a;
            um[i] = c + h * gi * d;
            vm[i] = d + h * gi * c;
            self.w[i] = up[i] * vp[i] - um[i] * vm[i];
        }
        self.risk = self.plan.grad(&self.w, &mut self.r, &mut self.g);
        Ok(StepOutcome::Moved { eta, grad_evals: 1 })
    }
    fn safe_eta(&self) -> f64 {
        self.safe0
    }
    fn finish(self, _: &Problem) -> Result<Finish> {
        Ok(Finish {
            w: self.w, reparam: None, notes: vec!["w = u₊⊙v₊ − u₋⊙v₋ (Azulay et al. 2021)".into()]
        })
    }
}

/// GD on Azulay et al.'s model from `u₊ = u₋ = u0`, `v₊ = v₋ = v0` (entries finite and > 0), a fixed step or
/// the safe rule.
pub fn run_azulay(p: &Problem, u0: &[f64], v0: &[f64], cfg: &RunConfig) -> Result<RunResult> {
    let d = p.d();
    cfg.validate(d)?;
    for (name, x) in [("u0", u0), ("v0", v0)] {
        if x.len() != d {
            return Err(Error::param(name, format!("has {} entries, the problem has d = {d}", x.len())));
        }
        if let Some(i) = x.iter().position(|v| !(v.is_finite() && *v > 0.0)) {
            return Err(Error::param(name, format!("entry {i} is {}: must be finite and > 0", num(x[i]))));
        }
    }
    require_rule("GD on w = u₊⊙v₊ − u₋⊙v₋", cfg.step, &["fixed", "safe"])?;
    check_risk_stop_reachable(p, cfg)?;
    let plan = GradPlan::new(p, cfg.parallelism);
    let f = [u0.to_vec(), v0.to_vec(), u0.to_vec(), v0.to_vec()];
    let w = vec![0.0; d];
    let (mut r, mut g) = (vec![0.0; p.n()], vec![0.0; d]);
    let risk = plan.grad(&w, &mut r, &mut g);
    let l = p.smoothness();
    let safe0 = safe_step(l, &f, &g);
    match cfg.step {
        StepRule::Fixed(e) => drive(p, Azulay { plan, rule: Fixed(e), l, f, w, g, r, risk, safe0 }, cfg),
        _ => drive(p, Azulay { plan, rule: Safe, l, f, w, g, r, risk, safe0 }, cfg),
    }
}
