//! Minimum-norm least squares `w₂* = X⁺y` from a thin SVD; the numerical rank uses the threshold
//! `σ > max(n, d)·ε·σ_max`, so rank-deficient `X` is handled.

use super::{Certificate, Solution};
use crate::kernels::linalg;
use crate::problem::{GradPlan, Parallelism, Problem};
use crate::{Error, Result};
use std::time::Instant;

/// The minimum-ℓ2-norm least-squares solution `X⁺y` (the interpolator `Xᵀ(XXᵀ)⁻¹y` for full row rank).
/// Certificate: residual, normal-equations residual, component outside `range(Xᵀ)`, rank.
pub fn min_l2(p: &Problem) -> Result<Solution> {
    let t = Instant::now();
    let (w, rank) = linalg::pinv_solve(p.x(), p.y())?;
    let r = p.residual(&w);
    let mut xtr = vec![0.0; p.d()];
    GradPlan::new(p, Parallelism::Auto).xt_mul(&r, &mut xtr);
    // A backward-stable solve leaves ‖Xᵀr‖ ≲ ε·σ_max(σ_max‖w‖ + ‖y‖) (times a modest factor): check it.
    let nr = linalg::norm2(&xtr);
    let smax = p.sigma().first().copied().unwrap_or(0.0);
    let bound = 1e-10 * smax * (smax * linalg::norm2(&w) + linalg::norm2(p.y()));
    if !(nr <= bound) {
        return Err(crate::Error::CertificateFailed {
            solver: "min-l2 (SVD pseudo-inverse)".into(),
            detail: format!("normal residual ‖Xᵀ(Xw − y)‖ = {nr:.3e} above 1e-10·σ_max(σ_max‖w‖ + ‖y‖) = {bound:.3e}"),
        });
    }
    let cert = Certificate {
        normal_residual_norm: Some(nr),
        outside_row_space_rel: Some(p.outside_row_space(&w)?),
        rank: Some(rank),
        ..Default::default()
    };
    Ok(Solution::new("min-l2 (SVD pseudo-inverse)", p, w, cert, t.elapsed().as_secs_f64()))
}

/// Checks that `Xw = y` has a solution (see [`Problem::has_interpolator`]); the error names `what`
/// needed it and gives the least-squares residual.
pub fn require_interpolator(p: &Problem, what: &str) -> Result<()> {
    let (ok, res) = p.has_interpolator()?;
    if !ok {
        let ny = linalg::norm2(p.y());
        return Err(Error::Infeasible(format!(
            "{what} needs an interpolator, but Xw = y has no solution: the least-squares residual is {res:.3e} \
             (‖y‖ = {ny:.3e}); this happens when d ≤ n with noise, or X is rank-deficient"
        )));
    }
    Ok(())
}
