//! Minimum-norm least squares `w₂* = X⁺y` from a thin SVD; numerical rank uses the threshold
//! `σ > max(n, d)·ε·σ_max`, so rank-deficient `X` is handled.

use super::{Certificate, Solution};
use crate::Result;
use crate::linalg::{self, Dense};
use crate::problem::Problem;
use std::time::Instant;

/// `X⁺y` for a matrix `x` and vector `y`, returning the solution and the numerical rank.
pub fn pinv_solve(x: &Dense, y: &[f64]) -> Result<(Vec<f64>, usize)> {
    let svd = linalg::svd(x)?;
    let smax = svd.s.first().copied().unwrap_or(0.0);
    let tol = x.rows.max(x.cols) as f64 * f64::EPSILON * smax;
    let mut w = vec![0.0; x.cols];
    let mut rank = 0;
    for k in 0..svd.s.len() {
        if svd.s[k] <= tol {
            continue;
        }
        rank += 1;
        let mut uty = 0.0;
        for i in 0..x.rows {
            uty += svd.u.get(i, k) * y[i];
        }
        let c = uty / svd.s[k];
        for j in 0..x.cols {
            w[j] += c * svd.v.get(j, k);
        }
    }
    Ok((w, rank))
}

/// The minimum-ℓ2-norm least-squares solution `X⁺y` (the interpolator `Xᵀ(XXᵀ)⁻¹y` for full row
/// rank). Certificate: residual, normal-equations residual, component outside `range(Xᵀ)`, rank.
pub fn min_l2(p: &Problem) -> Result<Solution> {
    let t = Instant::now();
    let (w, rank) = pinv_solve(&p.x, &p.y)?;
    let r = p.residual(&w);
    let mut xtr = vec![0.0; p.d()];
    p.xt_mul(&r, &mut xtr);
    let cert = Certificate {
        normal_residual: Some(linalg::norm2(&xtr)),
        outside_row_space: Some(p.outside_row_space(&w)?),
        rank: Some(rank),
        ..Default::default()
    };
    Ok(Solution::new("min-l2 (SVD pseudo-inverse)", p, w, cert, t.elapsed().as_secs_f64()))
}

/// Checks that `Xw = y` has a solution: always when `rank X = n` (from the singular values known
/// since construction); otherwise `‖X X⁺y − y‖ ≤ 1e-9·max(‖y‖, 1)` is tested.
pub fn require_interpolator(p: &Problem, what: &str) -> Result<()> {
    if p.rank() == p.n() {
        return Ok(());
    }
    let (w, _) = pinv_solve(&p.x, &p.y)?;
    let res = linalg::norm2(&p.residual(&w));
    let ny = linalg::norm2(&p.y);
    if res > 1e-9 * ny.max(1.0) {
        return Err(crate::Error::Infeasible(format!(
            "{what} needs an interpolator, but Xw = y has no solution: the least-squares residual is {res:.3e} (‖y‖ = {ny:.3e}); \
             this happens when d ≤ n with noise, or X is rank-deficient"
        )));
    }
    Ok(())
}
