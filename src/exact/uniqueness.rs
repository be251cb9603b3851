//! Whether an ℓ1 solution is the only one (SPEC §4; Tibshirani 2013, "The lasso problem and
//! uniqueness"). Both basis pursuit and the Lasso at λ have the form: `w` optimal with support `S`, and a
//! dual vector `ρ = Xᵀμ` (basis pursuit) or `ρ = −∇R(w)/λ` (Lasso) with `|ρ| ≤ 1` and `ρ_S = sign(w_S)`;
//! the equicorrelation set is `E = {j : |ρ_j| = 1}`.
//!
//! - **Unique** when `X_S` has full column rank and `E = S` (strict dual feasibility off the support).
//! - **Not unique** when `X_S` is rank-deficient (a null direction of `X_S` keeps the fit and, by
//!   optimality, the ℓ1 norm), or when some `j ∈ E∖S` has `x_j = X_S c` with `ρ_S·c = ρ_j` (moving weight
//!   from `S` to `j` keeps the fit and the ℓ1 norm): a face of solutions.
//! - **Unknown** otherwise (another dual vector might be strictly feasible).

use super::Uniqueness;
use crate::Result;
use crate::kernels::linalg;
use crate::problem::Problem;

/// Relative tolerance for `|ρ_j| = 1` and for linear dependence.
const TOL: f64 = 1e-9;

/// Decides uniqueness for the ℓ1 solution `w` with dual correlations `rho` (see the module notes).
pub fn uniqueness(p: &Problem, w: &[f64], rho: &[f64]) -> Result<Uniqueness> {
    let wmax = linalg::norm_inf(w);
    let support: Vec<usize> = (0..w.len()).filter(|&j| w[j].abs() > super::SUPPORT_REL * wmax).collect();
    let equi: Vec<usize> = (0..w.len()).filter(|&j| rho[j].abs() >= 1.0 - TOL).collect();
    if support.is_empty() {
        return Ok(if equi.is_empty() { Uniqueness::Unique } else { Uniqueness::Unknown });
    }
    if support.len() > p.n() {
        return Ok(Uniqueness::NotUnique);
    }
    let xs = p.x().select_cols(&support);
    // Full column rank of X_S: at once when the Cholesky factorisation of its (small) Gram matrix keeps every
    // pivot (cond X_S ≲ 1e5), else from the singular values of X_S itself (the Gram matrix squares them).
    let k = support.len();
    let cols = p.columns();
    let gram = linalg::Dense::from_fn(k, k, |a, b| linalg::dot(cols.row(support[a]), cols.row(support[b])));
    let full = !linalg::SymFactor::new(&gram)?.degenerate() || {
        let s = linalg::singular_values(&xs)?;
        let smax = s.first().copied().unwrap_or(0.0);
        s.iter().filter(|&&v| v > TOL * smax * (k as f64).sqrt()).count() == k
    };
    if !full {
        return Ok(Uniqueness::NotUnique);
    }
    let off: Vec<usize> = equi.iter().copied().filter(|j| !support.contains(j)).collect();
    if off.is_empty() {
        return Ok(Uniqueness::Unique);
    }
    let rho_s: Vec<f64> = support.iter().map(|&j| rho[j]).collect();
    for &j in &off {
        let xj: Vec<f64> = (0..p.n()).map(|i| p.x().get(i, j)).collect();
        let (c, _) = linalg::pinv_solve(&xs, &xj)?;
        let mut fit = vec![0.0; p.n()];
        xs.mul_vec(&c, &mut fit);
        let in_span = linalg::dist2(&fit, &xj) <= 1e-8 * linalg::norm2(&xj).max(f64::MIN_POSITIVE);
        if in_span && (linalg::dot(&rho_s, &c) - rho[j]).abs() <= 1e-8 * (1.0 + linalg::norm1(&c)) {
            return Ok(Uniqueness::NotUnique);
        }
    }
    Ok(Uniqueness::Unknown)
}

/// Uniqueness of a Lasso solution `w` at `λ > 0` (`ρ = −∇R(w)/λ`).
pub fn lasso_uniqueness(p: &Problem, w: &[f64], lambda: f64) -> Result<Uniqueness> {
    if !(lambda > 0.0) {
        return Ok(Uniqueness::Unknown);
    }
    let g = p.grad(w);
    let rho: Vec<f64> = g.iter().map(|v| -v / lambda).collect();
    uniqueness(p, w, &rho)
}

/// Uniqueness of a basis pursuit solution `w` with the dual correlations `ρ = Xᵀμ` of its certificate;
/// when that dual is not strict, the least-norm dual `μ = X_S(X_SᵀX_S)⁻¹sign(w_S)` is tried too (the
/// dual of basis pursuit need not be unique, and one strictly feasible dual proves uniqueness).
pub fn bp_uniqueness(p: &Problem, w: &[f64], rho: &[f64]) -> Result<Uniqueness> {
    let u = uniqueness(p, w, rho)?;
    if u != Uniqueness::Unknown {
        return Ok(u);
    }
    let wmax = linalg::norm_inf(w);
    let support: Vec<usize> = (0..w.len()).filter(|&j| w[j].abs() > super::SUPPORT_REL * wmax).collect();
    if support.is_empty() || support.len() > p.n() {
        return Ok(u);
    }
    let xs = p.x().select_cols(&support);
    let signs: Vec<f64> = support.iter().map(|&j| w[j].signum()).collect();
    // μ = X_S c with X_SᵀX_S c = s: the minimum-norm solution of X_Sᵀμ = s.
    let (mu, _) = linalg::pinv_solve(&xs.transpose(), &signs)?;
    let mut r2 = vec![0.0; p.d()];
    p.xt_mul(&mu, &mut r2);
    let on = support.iter().all(|&j| (r2[j] - w[j].signum()).abs() <= TOL);
    let strict = (0..p.d()).filter(|j| !support.contains(j)).all(|j| r2[j].abs() < 1.0 - TOL);
    Ok(if on && strict { Uniqueness::Unique } else { u })
}
