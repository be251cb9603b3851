//! Whether an ℓ1 solution is the only one (SPEC §4; Tibshirani 2013, "The lasso problem and
//! uniqueness"). Both basis pursuit and the Lasso at λ have the form: `w` optimal with support `S`, and a
//! dual vector `ρ = Xᵀμ` (basis pursuit) or `ρ = −∇R(w)/λ` (Lasso) with `|ρ| ≤ 1` and `ρ_S = sign(w_S)`;
//! the equicorrelation set is `E = {j : |ρ_j| = 1}`.
//!
//! - **Unique** when `X_S` has full column rank and `E = S` (strict dual feasibility off the support).
//! - **Not unique** when `X_S` is rank-deficient (a null direction of `X_S` keeps the fit and, by
//!   optimality, the ℓ1 norm), or when some `j ∈ E∖S` has `x_j = X_S c` with `ρ_S·c = ρ_j` (moving weight
//!   from `S` to `j` keeps the fit and the ℓ1 norm): a face of solutions.
//! - Otherwise an **LP range test** decides: every solution `w'` lies in `{b : X_E b = Xw, s_j b_j ≥ 0}`
//!   (supported in `E` with the signs `s = ρ_E`, the same fit and, by `ℓ1 = ρᵀb`, the same norm). With
//!   `X_S` of full column rank, a second solution exists iff some `t ≥ 0`, `1ᵀt = 1` on `E∖S` has
//!   `P⊥ X_{E∖S} diag(s) t = 0` (`P⊥` projects out `range(X_S)`): a feasibility LP (clarabel), solved
//!   → **not unique** (the witness `t` is checked), proven infeasible → **unique**.
//! - **Unknown** only when the LP is inconclusive (neither status nor a checked witness), with the reason
//!   in the solver's notes.
//! - The Lasso at `λ = 0` is least squares: unique iff `X` has full column rank.

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
        // w = 0: any other solution is a non-negative signed mix of E's columns with zero fit.
        if equi.is_empty() {
            return Ok(Uniqueness::Unique);
        }
        let none = p.x().select_cols(&[]);
        return Ok(match range_test(p, &none, &equi, rho)? {
            Some(true) => Uniqueness::NotUnique,
            Some(false) => Uniqueness::Unique,
            None => Uniqueness::Unknown,
        });
    }
    if support.len() > p.n() {
        return Ok(Uniqueness::NotUnique);
    }
    let xs = p.x().select_cols(&support);
    // Full column rank of X_S: at once when the Cholesky factorisation of its (small) Gram matrix keeps every
    // pivot (cond X_S ≲ 1e5), else from the singular values of X_S itself (the Gram matrix squares them).
    let k = support.len();
    let xsf = xs.to_faer();
    let gram = linalg::Dense::from_faer((xsf.transpose() * &xsf).as_ref());
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
    match range_test(p, &xs, &off, rho)? {
        Some(true) => return Ok(Uniqueness::NotUnique),
        Some(false) => return Ok(Uniqueness::Unique),
        None => {}
    }
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

/// The LP range test (module notes): with `X_S` (`xs`) of full column rank, whether another solution exists
/// using the equicorrelated columns `off` with signs `ρ_off`. `Some(true)`: a checked witness; `Some(false)`:
/// proven infeasible; `None`: inconclusive.
fn range_test(p: &Problem, xs: &linalg::Dense, off: &[usize], rho: &[f64]) -> Result<Option<bool>> {
    use clarabel::algebra::CscMatrix;
    use clarabel::solver::{
        DefaultSettingsBuilder, DefaultSolver, IPSolver, NonnegativeConeT, SolverStatus, ZeroConeT,
    };
    let (n, m) = (p.n(), off.len());
    // An orthonormal basis of range(X_S), then M = (I − QQᵀ) X_off diag(s), scaled column by column.
    let basis: Vec<Vec<f64>> = if xs.cols == 0 {
        Vec::new()
    } else {
        let svd = linalg::svd(xs)?;
        let smax = svd.s.first().copied().unwrap_or(0.0);
        let r = svd.s.iter().filter(|&&v| v > TOL * smax).count();
        (0..r).map(|k| (0..n).map(|i| svd.u.get(i, k)).collect()).collect()
    };
    let mut cols: Vec<Vec<f64>> = Vec::with_capacity(m);
    for &j in off {
        let mut c: Vec<f64> = (0..n).map(|i| rho[j].signum() * p.x().get(i, j)).collect();
        for uk in &basis {
            let a = linalg::dot(uk, &c);
            linalg::axpy(-a, uk, &mut c);
        }
        let scale = linalg::norm2(&(0..n).map(|i| p.x().get(i, j)).collect::<Vec<_>>()).max(f64::MIN_POSITIVE);
        cols.push(c.iter().map(|v| v / scale).collect());
    }
    // A column of M that vanishes (x_j ∈ range(X_S)) is a witness at once.
    if cols.iter().any(|c| linalg::norm2(c) <= 1e-10) {
        return Ok(Some(true));
    }
    // Rows: M t = 0 (n), 1ᵀt = 1 (1), −t ≤ 0 (m).
    let mut colptr = vec![0];
    let (mut rowval, mut nzval) = (Vec::new(), Vec::new());
    for (k, c) in cols.iter().enumerate() {
        for (i, &v) in c.iter().enumerate() {
            if v != 0.0 {
                rowval.push(i);
                nzval.push(v);
            }
        }
        rowval.push(n);
        nzval.push(1.0);
        rowval.push(n + 1 + k);
        nzval.push(-1.0);
        colptr.push(rowval.len());
    }
    let a = CscMatrix::new(n + 1 + m, m, colptr, rowval, nzval);
    let pm = CscMatrix::<f64>::zeros((m, m));
    let q = vec![0.0; m];
    let mut b = vec![0.0; n + 1 + m];
    b[n] = 1.0;
    let cones = [ZeroConeT(n + 1), NonnegativeConeT(m)];
    let settings = DefaultSettingsBuilder::default()
        .verbose(false)
        .tol_feas(1e-11)
        .max_iter(200)
        .build()
        .map_err(|e| crate::Error::Numerical(format!("clarabel settings: {e:?}")))?;
    let mut solver = DefaultSolver::new(&pm, &q, &a, &b, &cones, settings)
        .map_err(|e| crate::Error::Numerical(format!("clarabel setup failed: {e:?}")))?;
    solver.solve();
    Ok(match solver.solution.status {
        SolverStatus::Solved | SolverStatus::AlmostSolved => {
            // Check the witness ourselves: t ≥ 0 (clipped), normalised, and M t ≈ 0.
            let t: Vec<f64> = solver.solution.x.iter().map(|v| v.max(0.0)).collect();
            let sum: f64 = t.iter().sum();
            if sum <= 0.5 {
                None
            } else {
                let mut res = vec![0.0; n];
                for (c, tk) in cols.iter().zip(&t) {
                    linalg::axpy(tk / sum, c, &mut res);
                }
                if linalg::norm2(&res) <= 1e-8 { Some(true) } else { None }
            }
        }
        SolverStatus::PrimalInfeasible | SolverStatus::AlmostPrimalInfeasible => Some(false),
        _ => None,
    })
}

/// Uniqueness of a Lasso solution `w` at `λ ≥ 0` (`ρ = −∇R(w)/λ`; at `λ = 0`, least squares: unique iff
/// `X` has full column rank).
pub fn lasso_uniqueness(p: &Problem, w: &[f64], lambda: f64) -> Result<Uniqueness> {
    if lambda == 0.0 {
        return Ok(if p.rank() == p.d() { Uniqueness::Unique } else { Uniqueness::NotUnique });
    }
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
