//! Basis pursuit `min ‖w‖₁ s.t. Xw = y` as the linear program `min 1ᵀ(p + q)`, `X(p − q) = y`,
//! `p, q ≥ 0` (interior point, `clarabel`), then polished on its support to full f64 precision.
//! Certificate: a dual `μ` with `‖Xᵀμ‖_∞ ≤ 1` and the gap `‖w‖₁ − yᵀμ`.

use super::min_l2::{pinv_solve, require_interpolator};
use super::{Certificate, Solution};
use crate::linalg;
use crate::problem::Problem;
use crate::{Error, Result};
use clarabel::algebra::CscMatrix;
use clarabel::solver::{DefaultSettingsBuilder, DefaultSolver, IPSolver, NonnegativeConeT, SolverStatus, ZeroConeT};
use std::time::Instant;

/// How basis pursuit is solved.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum BpMethod {
    /// The Lasso homotopy to λ = 0, with the LP as fallback when its certificate is not tight.
    Auto,
    /// Interior-point LP (clarabel) with support polish.
    Lp,
    /// The Lasso homotopy to λ = 0 (exact breakpoints), certificate from its last segment.
    Homotopy,
}

/// A minimum-ℓ1 interpolator with its certificate (`support` is reported); `BpMethod::Auto`.
pub fn basis_pursuit(p: &Problem) -> Result<Solution> {
    basis_pursuit_with(p, BpMethod::Auto)
}

/// Basis pursuit by the chosen method.
pub fn basis_pursuit_with(p: &Problem, method: BpMethod) -> Result<Solution> {
    match method {
        BpMethod::Lp => basis_pursuit_lp(p),
        BpMethod::Homotopy => basis_pursuit_homotopy(p),
        BpMethod::Auto => match basis_pursuit_homotopy(p) {
            Ok(s)
                if s.certificate.duality_gap_rel.is_some_and(|g| g <= 1e-10) && s.certificate.residual_rel <= 1e-10 =>
            {
                Ok(s)
            }
            _ => basis_pursuit_lp(p),
        },
    }
}

/// Basis pursuit as the λ → 0 end of the exact Lasso path (`d > n`, full row rank): the last
/// segment's active set `A` and signs `s_A` give `w` (re-solved on its support) and the dual
/// certificate `μ = X_A(X_AᵀX_A)⁻¹s_A`.
pub fn basis_pursuit_homotopy(p: &Problem) -> Result<Solution> {
    let t = Instant::now();
    require_interpolator(p, "basis pursuit")?;
    let (path, active, signs) = super::lasso::homotopy(p)?;
    if path.lambdas.last() != Some(&0.0) || active.is_empty() {
        return Err(Error::Numerical("the Lasso homotopy did not reach λ = 0".into()));
    }
    let xa = p.x.select_cols(&active);
    let v = super::lasso::gram_solve(&xa, &signs)
        .ok_or_else(|| Error::Numerical("basis pursuit: singular active Gram matrix".into()))?;
    let mut mu = vec![0.0; p.n()];
    xa.mul_vec(&v, &mut mu);
    let w_path = path.coefs.last().cloned().unwrap_or_default();
    let w = polish_support(p, &w_path).unwrap_or(w_path);
    finish_bp(p, w, mu, path.lambdas.len(), "basis pursuit (Lasso homotopy to λ = 0 + support polish)", t)
}

/// Re-solves `X_S w_S = y` on the support of `w` (full precision); `None` if that fails.
fn polish_support(p: &Problem, w: &[f64]) -> Option<Vec<f64>> {
    let wmax = linalg::norm_inf(w);
    let support: Vec<usize> = (0..p.d()).filter(|&j| w[j].abs() > 1e-12 * wmax).collect();
    if support.is_empty() || support.len() > p.n() {
        return None;
    }
    let xs = p.x.select_cols(&support);
    let (ws, rank) = pinv_solve(&xs, &p.y).ok()?;
    if rank < support.len() {
        return None;
    }
    let mut out = vec![0.0; p.d()];
    for (k, &j) in support.iter().enumerate() {
        if ws[k].signum() != w[j].signum() {
            return None;
        }
        out[j] = ws[k];
    }
    Some(out)
}

fn finish_bp(p: &Problem, w: Vec<f64>, mu: Vec<f64>, iters: usize, method: &str, t: Instant) -> Result<Solution> {
    let (mu, dual_inf) = feasible_dual(p, &mu);
    let l1 = linalg::norm1(&w);
    let dual_obj = linalg::dot(&p.y, &mu);
    let gap = l1 - dual_obj;
    let cert = Certificate {
        dual_objective: Some(dual_obj),
        duality_gap: Some(gap),
        duality_gap_rel: Some(gap.abs() / l1.max(f64::MIN_POSITIVE)),
        dual_infeasibility: Some(dual_inf),
        iterations: Some(iters),
        ..Default::default()
    };
    let support: Vec<usize> = (0..p.d()).filter(|&j| w[j] != 0.0).collect();
    let mut s = Solution::new(method, p, w, cert, t.elapsed().as_secs_f64());
    s.support = Some(support);
    Ok(s)
}

/// Basis pursuit as an interior-point LP (clarabel), polished on its support.
pub fn basis_pursuit_lp(p: &Problem) -> Result<Solution> {
    let t = Instant::now();
    require_interpolator(p, "basis pursuit")?;
    let (n, d) = (p.n(), p.d());
    // Columns: p (d), q (d). Rows: n equalities, then 2d sign constraints −x + s = 0.
    let mut colptr = Vec::with_capacity(2 * d + 1);
    let mut rowval = Vec::new();
    let mut nzval = Vec::new();
    colptr.push(0);
    for sign in [1.0, -1.0] {
        for j in 0..d {
            for i in 0..n {
                let v = p.x.get(i, j);
                if v != 0.0 {
                    rowval.push(i);
                    nzval.push(sign * v);
                }
            }
            rowval.push(n + if sign > 0.0 { j } else { d + j });
            nzval.push(-1.0);
            colptr.push(rowval.len());
        }
    }
    let a = CscMatrix::new(n + 2 * d, 2 * d, colptr, rowval, nzval);
    let pm = CscMatrix::<f64>::zeros((2 * d, 2 * d));
    let q = vec![1.0; 2 * d];
    let mut b = p.y.clone();
    b.extend(std::iter::repeat_n(0.0, 2 * d));
    let cones = [ZeroConeT(n), NonnegativeConeT(2 * d)];
    let settings = DefaultSettingsBuilder::default()
        .verbose(false)
        .tol_gap_abs(1e-12)
        .tol_gap_rel(1e-12)
        .tol_feas(1e-12)
        .max_iter(400)
        .build()
        .map_err(|e| Error::Numerical(format!("clarabel settings: {e:?}")))?;
    let mut solver = DefaultSolver::new(&pm, &q, &a, &b, &cones, settings)
        .map_err(|e| Error::Numerical(format!("clarabel setup failed: {e:?}")))?;
    solver.solve();
    let st = solver.solution.status;
    if !matches!(st, SolverStatus::Solved | SolverStatus::AlmostSolved) {
        return Err(Error::Numerical(format!("basis pursuit LP was not solved (clarabel status {st:?})")));
    }
    let x = &solver.solution.x;
    let w_lp: Vec<f64> = (0..d).map(|j| x[j] - x[d + j]).collect();
    let mu_lp: Vec<f64> = (0..n).map(|i| -solver.solution.z[i]).collect();
    let iters = solver.solution.iterations as usize;
    let (w, mu, polished) = match polish(p, &w_lp, &mu_lp) {
        Some((w, mu)) if linalg::norm1(&w) <= linalg::norm1(&w_lp) + 1e-9 * linalg::norm1(&w_lp).max(1.0) => {
            (w, mu, true)
        }
        _ => (w_lp, mu_lp, false),
    };
    let method = if polished { "basis pursuit (clarabel LP + support polish)" } else { "basis pursuit (clarabel LP)" };
    finish_bp(p, w, mu, iters, method, t)
}

/// Scales `μ` so that `‖Xᵀμ‖_∞ ≤ 1`; returns it with the `‖Xᵀμ‖_∞` before scaling.
fn feasible_dual(p: &Problem, mu: &[f64]) -> (Vec<f64>, f64) {
    let mut xtm = vec![0.0; p.d()];
    p.xt_mul(mu, &mut xtm);
    let m = linalg::norm_inf(&xtm);
    let s = if m > 1.0 { 1.0 / m } else { 1.0 };
    (mu.iter().map(|v| v * s).collect(), m)
}

/// Re-solves `X_S w_S = y` on the support `S` of the LP solution and projects the LP dual onto
/// `{X_Sᵀμ = sign(w_S)}`; `None` when the support is not a basis.
fn polish(p: &Problem, w_lp: &[f64], mu_lp: &[f64]) -> Option<(Vec<f64>, Vec<f64>)> {
    let (n, d) = (p.n(), p.d());
    let wmax = linalg::norm_inf(w_lp);
    let support: Vec<usize> = (0..d).filter(|&j| w_lp[j].abs() > 1e-7 * wmax).collect();
    if support.is_empty() || support.len() > n {
        return None;
    }
    let xs = p.x.select_cols(&support);
    let (ws, rank) = pinv_solve(&xs, &p.y).ok()?;
    if rank < support.len() {
        return None;
    }
    let mut w = vec![0.0; d];
    for (k, &j) in support.iter().enumerate() {
        if ws[k].signum() != w_lp[j].signum() {
            return None;
        }
        w[j] = ws[k];
    }
    let res = linalg::norm2(&p.residual(&w));
    if res > 1e-10 * linalg::norm2(&p.y).max(1.0) {
        return None;
    }
    // μ = μ0 + X_S (X_SᵀX_S)⁻¹ (s − X_Sᵀμ0): the least change of μ0 meeting X_Sᵀμ = s.
    let mut xtm = vec![0.0; support.len()];
    xs.tmul_vec(mu_lp, &mut xtm);
    let rhs: Vec<f64> = support.iter().enumerate().map(|(k, &j)| w[j].signum() - xtm[k]).collect();
    let xst = xs.transpose();
    let (corr, _) = pinv_solve(&xst, &rhs).ok()?; // minimum-norm solution of X_Sᵀ c = rhs, c ∈ range(X_S)
    let mu: Vec<f64> = mu_lp.iter().zip(&corr).map(|(a, b)| a + b).collect();
    Some((w, mu))
}
