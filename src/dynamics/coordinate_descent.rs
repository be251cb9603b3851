//! Greedy coordinate descent — steepest descent for `‖·‖₁` (SPEC §11; Gunasekar et al. 2018, the AdaBoost view):
//! at each step the coordinate `j` of largest `|∂ⱼF(w)|` (the first on ties) moves, `wⱼ₊ = wⱼ − η∂ⱼF(w)`, from
//! `w₀ = 0`, on any datafit. On separable data with the exponential or logistic loss its direction tends to the
//! `ℓ1` maximum-margin classifier.
//!
//! Safe step: the descent lemma in `‖·‖₁` (`F(w − η∂ⱼF eⱼ) ≤ F − η‖g‖_∞² + (C₁/2)η²‖g‖_∞²`, so `η ≤ 1/C₁` decreases
//! `F`), inside the trust region `η‖g‖_∞·maxᵢ‖xᵢ‖_∞ ≤ 1`.

use super::driver::{Finish, Method, StepOutcome, drive};
use super::fit::{Entry, FitArgs, FitState, Scalar};
use super::result::{Algorithm, RunResult};
use crate::Result;
use crate::datafit::StepNorm;
use crate::fit_method_common;
use crate::kernels::linalg::norm_inf;
use crate::potential::PotentialKind;
use crate::problem::Problem;

/// The registry's line.
pub const ENTRY: Entry = Entry {
    name: "coordinate_descent",
    summary: "greedy coordinate descent from 0: steepest descent for ‖·‖₁ (→ the ℓ1 max-margin direction)",
    margin_norm: Some("l1"),
    takes_alpha: false,
    takes_depth: false,
    matrix: false,
    run,
    flow: None,
};

struct CoordinateDescent<'a> {
    s: FitState<'a>,
    rule: Scalar,
}

impl CoordinateDescent<'_> {
    fn safe(&self) -> f64 {
        self.s.safe_steepest(StepNorm::L1, norm_inf(&self.s.g))
    }
}

impl Method for CoordinateDescent<'_> {
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
        // The first coordinate of largest |∂ⱼF| (a NaN gradient is caught by the driver's divergence check).
        let (mut j, mut best) = (0, -1.0);
        for (k, g) in self.s.g.iter().enumerate() {
            if g.abs() > best {
                (j, best) = (k, g.abs());
            }
        }
        self.s.w[j] -= eta * self.s.g[j];
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
    let mut m = CoordinateDescent { s, rule };
    // Divergence messages suggest this method's own safe step at the start, not GD's (sampled runs hold it).
    let safe0 = m.safe();
    m.s.start(&mut m.rule, safe0);
    drive(p, m, &a.cfg)
}
