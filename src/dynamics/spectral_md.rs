//! Spectral mirror descent (SPEC §13; Wu & Rebeschini 2021): mirror descent on symmetric matrices with the
//! spectral hyperbolic entropy `Φ(W) = Σₖ ψ_α(λₖ(W))` — the sheet's `ψ_α` applied to the eigenvalues. The dual
//! iterate moves by the gradient, `Θ₊ = Θ − η∇R(W)`, from `Θ₀ = ∇Φ(0) = 0`, and `W = ∇Φ*(Θ) = Q diag(ψ_α'^{-1}(μ)) Qᵀ`
//! for `Θ = Q diag(μ) Qᵀ`. With commuting (diagonal) measurements it is the sheet's mirror descent on the diagonal,
//! step for step.
//!
//! Safe step: SPEC §6's, `min(1/(L·maxₖ h(λₖ)), 1/(2‖∇R‖₂))`, with `h = 1/ψ''` at the eigenvalues of `W` (the divided
//! differences of `ψ'^{-1}` that make up `∇²Φ*` are bounded by its largest derivative).

use super::driver::{Finish, Method, StepOutcome, drive};
use super::fit::{Entry, FitArgs, FitState, Scalar};
use super::result::{Algorithm, RunResult};
use crate::Result;
use crate::datafit::StepNorm;
use crate::fit_method_common;
use crate::kernels::linalg::norm2;
use crate::kernels::spectral::{compose, eigh};
use crate::potential::{Hyperbolic, Potential, PotentialKind};
use crate::problem::Problem;

/// The registry's line.
pub const ENTRY: Entry = Entry {
    name: "spectral_md",
    summary: "mirror descent on symmetric matrices with the spectral hyperbolic entropy at α, from W = 0; matrix sensing",
    margin_norm: None,
    takes_alpha: true,
    takes_depth: false,
    matrix: true,
    run,
    flow: Some(flow),
};

struct SpectralMd<'a> {
    s: FitState<'a>,
    rule: Scalar,
    m: usize,
    /// `vec Θ`, row-major.
    theta: Vec<f64>,
    pot: Hyperbolic,
    /// Eigenvalues of the current `W`.
    lam: Vec<f64>,
}

/// `W = ∇Φ*(Θ) = Q diag(ψ'^{-1}(μ)) Qᵀ` for `Θ = Q diag(μ) Qᵀ` (row-major `vec Θ`), with the eigenvalues of `W`.
fn mirror(pot: &Hyperbolic, theta: &[f64], m: usize) -> Result<(Vec<f64>, Vec<f64>)> {
    let (mu, q) = eigh(crate::kernels::spectral::mat(theta, m).as_ref())?;
    let lam: Vec<f64> = mu.iter().map(|&t| pot.inv_grad_i(0, t)).collect();
    let w = crate::kernels::spectral::to_vec(compose(q.as_ref(), &lam).as_ref());
    Ok((lam, w))
}

/// The checks of the run and the flow: least-squares sensing data, no depth; the side and the potential at `α`.
fn setup(p: &Problem, a: &FitArgs) -> Result<(usize, Hyperbolic)> {
    let (m, _) = super::factored::matrix_args(p, a, ENTRY.name)?;
    if a.depth.is_some() {
        return Err(crate::Error::param("depth", "spectral_md has no depth (factored has)"));
    }
    Ok((m, Hyperbolic::uniform(a.alpha, 1)?))
}

impl SpectralMd<'_> {
    fn safe(&self) -> f64 {
        let h = self.lam.iter().map(|&l| self.pot.inv_hess_i(0, l)).fold(0.0f64, f64::max);
        let c = self.s.f.curvature(self.s.value, StepNorm::L2);
        let mut eta = 1.0 / (c * h).max(f64::MIN_POSITIVE);
        let g = norm2(&self.s.g);
        if g > 0.0 {
            eta = eta.min(0.5 / g);
        }
        eta
    }
}

impl Method for SpectralMd<'_> {
    fn algorithm(&self) -> Algorithm {
        Algorithm::Registered(ENTRY.name)
    }
    fn potential(&self) -> PotentialKind {
        PotentialKind::Hyperbolic
    }
    fn metric_grad(&mut self) -> f64 {
        self.s.rms_grad()
    }
    fn step(&mut self) -> Result<StepOutcome> {
        self.s.gradient();
        let eta = self.rule.at(|| self.safe());
        let m = self.m;
        for i in 0..m {
            for j in 0..m {
                self.theta[i * m + j] -= eta * 0.5 * (self.s.g[i * m + j] + self.s.g[j * m + i]);
            }
        }
        (self.lam, self.s.w) = mirror(&self.pot, &self.theta, m)?;
        self.s.moved();
        Ok(StepOutcome::Moved { eta, grad_evals: 1 })
    }
    fit_method_common!();
    fn finish(self, _: &Problem) -> Result<Finish> {
        Ok(self.s.into_finish())
    }
}

fn run(p: &Problem, a: &FitArgs) -> Result<RunResult> {
    let (m, pot) = setup(p, a)?;
    let rule = a.scalar_rule(ENTRY.name)?;
    let s = a.state_on(p, Box::new(crate::datafit::MatrixSensing::new(p, m, a.cfg.parallelism)), vec![0.0; m * m])?;
    let mut md = SpectralMd { s, rule, m, theta: vec![0.0; m * m], pot, lam: vec![0.0; m] };
    let safe0 = md.safe();
    md.s.start(&mut md.rule, safe0);
    super::result::with_matrix(drive(p, md, &a.cfg)?, m)
}

/// The spectral mirror flow `Θ̇ = −∇R(W(Θ))` from `Θ₀ = 0` (DOPRI5, SPEC §13): its limit is the spectral Bregman
/// projection.
fn flow(p: &Problem, a: &FitArgs, stop: &crate::dynamics::StopRule, checkpoints: usize) -> Result<RunResult> {
    let (m, pot) = setup(p, a)?;
    let map = |th: &[f64]| -> Vec<f64> { mirror(&pot, th, m).map_or_else(|_| vec![f64::NAN; m * m], |(_, w)| w) };
    let kind = super::flow::FlowKind::Map {
        map: &map,
        theta0: vec![0.0; m * m],
        algorithm: Algorithm::Registered("spectral_md_flow"),
        potential: PotentialKind::Hyperbolic,
    };
    let r = super::flow::run_flow(p, kind, stop, checkpoints, crate::dynamics::ode::OdeOptions::default())?;
    super::result::with_matrix(r, m)
}
