//! Mirror descent `θ_{t+1} = θ_t − η_t∇R(w_t)`, `w_t = (∇ψ)⁻¹(θ_t)` for any potential (SPEC §2);
//! gradient descent (Euclidean ψ, from 0) and exponentiated gradient (negative entropy) are instances.
//!
//! ```
//! use ibias::dynamics::{RunConfig, StopRule, run_md};
//! use ibias::potential::Hyperbolic;
//! use ibias::problem::generate::GenSpec;
//! let p = GenSpec::ex2(0).generate().unwrap().problem;
//! let pot = Hyperbolic::uniform(0.1, p.d()).unwrap();
//! let cfg = RunConfig::default().stop(StopRule::default().risk_tol(1e-20));
//! let r = run_md(&p, &pot, &vec![0.0; p.d()], &cfg).unwrap();
//! assert!(r.converged && r.risk <= 1e-20 * r.risk_at_zero);
//! ```

use super::config::metric_grad;
use super::config::{RunConfig, StepRule};
use super::driver::{Finish, Method, StepOutcome, check_risk_stop_reachable, drive};
use super::dual::DualState;
use super::result::{Algorithm, RunResult};
use super::step::{BarzilaiBorwein, DualLbfgs, DualRule, Fixed, Safe};
use crate::potential::{Euclidean, NegEntropy, Potential, PotentialKind};
use crate::problem::{GradPlan, Problem};
use crate::{Error, Result};

/// Mirror descent with a step-size rule `R`.
pub struct MirrorDescent<'a, P: Potential + ?Sized, R: DualRule<P>> {
    state: DualState<'a, P>,
    rule: R,
    algorithm: Algorithm,
}

impl<P: Potential + ?Sized, R: DualRule<P>> Method for MirrorDescent<'_, P, R> {
    fn algorithm(&self) -> Algorithm {
        self.algorithm
    }
    fn potential(&self) -> PotentialKind {
        self.state.pot.kind()
    }
    #[inline]
    fn w(&self) -> &[f64] {
        &self.state.w
    }
    #[inline]
    fn risk(&self) -> f64 {
        self.state.risk
    }
    fn metric_grad(&mut self) -> f64 {
        self.state.refresh_gradient();
        let s = &self.state;
        metric_grad(s.w.iter().enumerate().map(|(i, &x)| s.pot.inv_hess_i(i, x)), &s.g)
    }
    #[inline]
    fn step(&mut self) -> Result<StepOutcome> {
        self.rule.advance(&mut self.state)
    }
    fn safe_eta(&self) -> f64 {
        self.state.safe0
    }
    fn watches_rising_risk(&self) -> bool {
        self.rule.watches_rising_risk()
    }
    fn finish(self, _: &Problem) -> Result<Finish> {
        Ok(Finish { w: self.state.w, reparam: None, notes: Vec::new() })
    }
}

/// Gradient descent from `w₀ = 0` (mirror descent with the Euclidean potential).
pub fn run_gd(p: &Problem, cfg: &RunConfig) -> Result<RunResult> {
    run_mirror(p, &Euclidean, &vec![0.0; p.d()], cfg, Algorithm::Gd)
}

/// Exponentiated gradient `w_{t+1} = w_t ⊙ exp(−η∇R(w_t))` from `w₀ > 0` (negative entropy).
pub fn run_eg(p: &Problem, w0: &[f64], cfg: &RunConfig) -> Result<RunResult> {
    run_mirror(p, &NegEntropy, w0, cfg, Algorithm::Eg)
}

/// Mirror descent with potential `pot` from `w0`.
pub fn run_md<P: Potential + ?Sized>(p: &Problem, pot: &P, w0: &[f64], cfg: &RunConfig) -> Result<RunResult> {
    run_mirror(p, pot, w0, cfg, Algorithm::Md)
}

fn run_mirror<P: Potential + ?Sized>(
    p: &Problem,
    pot: &P,
    w0: &[f64],
    cfg: &RunConfig,
    algorithm: Algorithm,
) -> Result<RunResult> {
    let d = p.d();
    cfg.validate(d)?;
    if w0.len() != d {
        return Err(Error::param("w0", format!("has length {} but d = {d}", w0.len())));
    }
    if let Some(i) = (0..d).find(|&i| !pot.in_domain(i, w0[i])) {
        let hint =
            if pot.kind() == PotentialKind::Entropy { " (the entropy needs w0 > 0: give alpha > 0)" } else { "" };
        return Err(Error::param(
            "w0",
            format!("w0[{i}] = {} is outside the domain of the {} potential{hint}", w0[i], pot.name()),
        ));
    }
    check_risk_stop_reachable(p, cfg)?;
    let plan = GradPlan::new(p, cfg.parallelism);
    let mut state = DualState::new(plan, pot, w0);
    match cfg.step {
        StepRule::Fixed(e) => drive(p, MirrorDescent { state, rule: Fixed(e), algorithm }, cfg),
        StepRule::Safe => drive(p, MirrorDescent { state, rule: Safe, algorithm }, cfg),
        StepRule::Auto => {
            let rule = BarzilaiBorwein::new(&state);
            drive(p, MirrorDescent { state, rule, algorithm }, cfg)
        }
        StepRule::Lbfgs => {
            if p.rank() < p.n() {
                return Err(Error::param(
                    "eta",
                    format!(
                        "the lbfgs rule works on the dual of mirror descent, which needs an interpolator (rank X = n); \
                         here rank X = {} < n = {}: use the step rule auto",
                        p.rank(),
                        p.n()
                    ),
                ));
            }
            let rule = DualLbfgs::new(&mut state);
            drive(p, MirrorDescent { state, rule, algorithm }, cfg)
        }
    }
}
