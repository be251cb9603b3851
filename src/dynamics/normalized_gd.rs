//! Normalised gradient descent (SPEC §11; Nacson et al. 2019): `w₊ = w − η∇F(w)/‖∇F(w)‖₂`, from `w₀ = 0`, on any
//! datafit. On separable data a step of fixed length keeps the margin growing linearly in `t`, where GD's grows like
//! `log t`: the direction reaches the `ℓ2` maximum-margin classifier far sooner.
//!
//! Safe step: the descent lemma along the unit direction, `η ≤ ‖g‖₂/C`, inside the trust region
//! `η·maxᵢ‖xᵢ‖₂ ≤ 1` (so on margin losses the step length settles at about the margin over the data's scale).

use super::driver::{Finish, Method, StepOutcome, drive};
use super::fit::{Entry, FitArgs, FitState, Scalar};
use super::result::{Algorithm, RunResult};
use crate::Result;
use crate::datafit::StepNorm;
use crate::fit_method_common;
use crate::kernels::linalg::norm2;
use crate::potential::PotentialKind;
use crate::problem::Problem;

/// The registry's line.
pub const ENTRY: Entry = Entry {
    name: "normalized_gd",
    summary: "normalised GD from 0: steps of length η along −∇F/‖∇F‖₂ (→ the ℓ2 max-margin direction, fast)",
    margin_norm: Some("l2"),
    takes_alpha: false,
    takes_depth: false,
    matrix: false,
    run,
    flow: None,
};

struct NormalizedGd<'a> {
    s: FitState<'a>,
    rule: Scalar,
}

impl NormalizedGd<'_> {
    fn safe(&self) -> f64 {
        let s = &self.s;
        let gn = norm2(&s.g);
        let mut eta = gn / s.f.curvature(s.value, StepNorm::L2).max(f64::MIN_POSITIVE);
        if let Some(b) = s.f.trust_scale(StepNorm::L2)
            && b > 0.0
        {
            eta = eta.min(1.0 / b);
        }
        eta
    }
}

impl Method for NormalizedGd<'_> {
    fn algorithm(&self) -> Algorithm {
        Algorithm::Registered(ENTRY.name)
    }
    fn potential(&self) -> PotentialKind {
        PotentialKind::Euclidean
    }
    fn metric_grad(&mut self) -> f64 {
        norm2(&self.s.g) / (self.s.g.len() as f64).sqrt()
    }
    fn step(&mut self) -> Result<StepOutcome> {
        self.s.gradient();
        let gn = norm2(&self.s.g);
        if gn == 0.0 {
            return Ok(StepOutcome::Stopped(super::StopReason::GradientTolerance));
        }
        let eta = self.rule.at(|| self.safe());
        for (w, g) in self.s.w.iter_mut().zip(&self.s.g) {
            *w -= eta * g / gn;
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
    let mut m = NormalizedGd { s, rule };
    // Divergence messages suggest this method's own safe step at the start, not GD's (sampled runs hold it).
    let safe0 = m.safe();
    m.s.start(&mut m.rule, safe0);
    drive(p, m, &a.cfg)
}
