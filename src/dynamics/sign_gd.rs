//! Sign gradient descent — steepest descent for `‖·‖_∞` (SPEC §11; Gunasekar et al. 2018):
//! `w₊ = w − η‖∇F(w)‖₁·sign(∇F(w))`, from `w₀ = 0`, on any datafit. On separable data with the exponential or
//! logistic loss its direction tends to the `ℓ∞` maximum-margin classifier.
//!
//! Safe step: the descent lemma in `‖·‖_∞` (`F(w − ηs) ≤ F − η‖g‖₁² + (C_∞/2)η²‖g‖₁²` with `s = ‖g‖₁ sign g`, so
//! `η ≤ 1/C_∞` decreases `F`), inside the trust region `η‖g‖₁·maxᵢ‖xᵢ‖₁ ≤ 1`.

use super::driver::{Finish, Method, StepOutcome, drive};
use super::fit::{Entry, FitArgs, FitState, Scalar};
use super::result::{Algorithm, RunResult};
use crate::Result;
use crate::datafit::StepNorm;
use crate::fit_method_common;
use crate::kernels::linalg::{norm_inf, norm1};
use crate::potential::PotentialKind;
use crate::problem::Problem;

/// The registry's line.
pub const ENTRY: Entry = Entry {
    name: "sign_gd",
    summary: "sign gradient descent from 0: steepest descent for ‖·‖∞ (→ the ℓ∞ max-margin direction)",
    margin_norm: Some("linf"),
    takes_alpha: false,
    takes_depth: false,
    matrix: false,
    run,
    flow: None,
};

struct SignGd<'a> {
    s: FitState<'a>,
    rule: Scalar,
}

impl SignGd<'_> {
    fn safe(&self) -> f64 {
        self.s.safe_steepest(StepNorm::Linf, norm1(&self.s.g))
    }
}

impl Method for SignGd<'_> {
    fn algorithm(&self) -> Algorithm {
        Algorithm::Registered(ENTRY.name)
    }
    fn potential(&self) -> PotentialKind {
        PotentialKind::Euclidean
    }
    fn metric_grad(&mut self) -> f64 {
        norm_inf(&self.s.g)
    }
    fn step(&mut self) -> Result<StepOutcome> {
        self.s.gradient();
        let eta = self.rule.at(|| self.safe());
        let len = eta * norm1(&self.s.g);
        for (w, g) in self.s.w.iter_mut().zip(&self.s.g) {
            if *g != 0.0 {
                *w -= len * g.signum();
            }
        }
        self.s.moved();
        Ok(StepOutcome::Moved { eta, grad_evals: 1 })
    }
    fit_method_common!();
    fn finish(self, _: &Problem) -> Result<Finish> {
        Ok(self.s.into_finish())
    }
}

fn run(p: &Problem, a: &FitArgs) -> Result<RunResult> {
    let rule = a.scalar_rule(ENTRY.name)?;
    let s = a.state(p, vec![0.0; p.d()])?;
    let mut m = SignGd { s, rule };
    // Divergence messages suggest this method's own safe step at the start, not GD's (sampled runs hold it).
    let safe0 = m.safe();
    m.s.start(&mut m.rule, safe0);
    drive(p, m, &a.cfg)
}
