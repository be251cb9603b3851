//! Basis pursuit `min ‖w‖₁ s.t. Xw = y`, two ways: the λ → 0 end of the exact Lasso homotopy, and the
//! linear program `min 1ᵀ(p + q)`, `X(p − q) = y`, `p, q ≥ 0` (interior point, `clarabel`). Either answer
//! is polished on its support to full precision and must pass its certificate — a dual `μ` with
//! `‖Xᵀμ‖_∞ ≤ 1` (scaled to be feasible), relative residual and relative duality gap within
//! [`CERT_TOL`] — or it is repaired (a basis taken from the answer's largest entries, re-solved and
//! re-certified) or refused with the failed numbers. The answer says whether it is unique.

use super::Uniqueness;
use super::min_l2::require_interpolator;
use super::uniqueness::{bp_uniqueness, uniqueness};
use super::{Certificate, Solution};
use crate::kernels::linalg::{self, Dense};
use crate::problem::{GradPlan, Parallelism, Problem};
use crate::{Error, Result};
use clarabel::algebra::CscMatrix;
use clarabel::solver::{DefaultSettingsBuilder, DefaultSolver, IPSolver, NonnegativeConeT, SolverStatus, ZeroConeT};
use serde::{Deserialize, Serialize};
use std::time::Instant;

/// The certificate's tolerance: relative residual `‖Xw − y‖/‖y‖` and relative duality gap.
pub const CERT_TOL: f64 = 1e-9;

/// How basis pursuit is solved.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BpMethod {
    /// The Lasso homotopy to λ = 0, with the LP as fallback when its certificate fails.
    Auto,
    /// Interior-point LP (clarabel) with support polish.
    Lp,
    /// The Lasso homotopy to λ = 0 (exact breakpoints), certificate from its last segment.
    Homotopy,
}

impl std::str::FromStr for BpMethod {
    type Err = String;
    fn from_str(s: &str) -> std::result::Result<Self, String> {
        match s {
            "auto" => Ok(BpMethod::Auto),
            "lp" => Ok(BpMethod::Lp),
            "homotopy" => Ok(BpMethod::Homotopy),
            _ => Err(format!("unknown basis pursuit method '{s}' (auto, lp or homotopy)")),
        }
    }
}

/// A minimum-ℓ1 interpolator with its certificate (`BpMethod::Auto`).
pub fn basis_pursuit(p: &Problem) -> Result<Solution> {
    basis_pursuit_with(p, BpMethod::Auto)
}

/// Basis pursuit by the chosen method; every returned solution passed its certificate. When the direct
/// attempt fails its certificate (an ill-conditioned `X`), the same basis pursuit is solved on the
/// row-space form of the constraints ([`row_space_form`]) and certified again on the original data.
pub fn basis_pursuit_with(p: &Problem, method: BpMethod) -> Result<Solution> {
    require_interpolator(p, "basis pursuit")?;
    let first = match attempt(p, method) {
        Ok(s) => return Ok(s),
        Err(Error::Interrupted) => return Err(Error::Interrupted),
        Err(e) => e,
    };
    let t = Instant::now();
    let (q, map) = row_space_form(p)?;
    let s = attempt(&q, method).map_err(|e2| match e2 {
        Error::Interrupted => e2,
        _ => Error::CertificateFailed {
            solver: "basis pursuit".into(),
            detail: format!("{}; on the row-space form: {}", first.brief(), e2.brief()),
        },
    })?;
    let mu_q = s.dual.clone().unwrap_or_default();
    let mut mu = vec![0.0; p.n()];
    map.mul_vec(&mu_q, &mut mu);
    // Certified again on the original data: Xᵀμ and yᵀμ computed from X and y themselves.
    let iters = s.certificate.iterations.unwrap_or(0);
    let method = format!("{} on the row-space form (X = USVᵀ → Vᵀ, y → S⁻¹Uᵀy)", s.method);
    let mut out = finish(p, s.w, mu, iters, &method, t)?;
    out.wall_seconds += s.wall_seconds;
    match check(&out) {
        Ok(()) => with_uniqueness(p, out),
        Err(why) => {
            let c = &out.certificate;
            let d = p.describe();
            Err(Error::CertificateFailed {
                solver: "basis pursuit".into(),
                detail: format!(
                    "{}; on the row-space form the answer fits y to {:.1e} (relative) but {why}: at this condition \
                     number (σ_max/σ_min = {:.1e}) double precision places the minimum ℓ1 norm only roughly in \
                     [{:.9}, {:.9}] (the bounds carry rounding errors of the same order)",
                    first.brief(),
                    c.residual_rel,
                    d.condition_number,
                    c.dual_objective.unwrap_or(f64::NAN),
                    out.l1_norm
                ),
            })
        }
    }
}

fn attempt(p: &Problem, method: BpMethod) -> Result<Solution> {
    match method {
        BpMethod::Lp => certified_or_repaired(p, basis_pursuit_lp(p)?),
        BpMethod::Homotopy => certified_or_repaired(p, basis_pursuit_homotopy(p)?),
        BpMethod::Auto => {
            let first = basis_pursuit_homotopy(p).and_then(|s| certified_or_repaired(p, s));
            match first {
                Ok(s) => Ok(s),
                Err(Error::Interrupted) => Err(Error::Interrupted),
                Err(e1) => certified_or_repaired(p, basis_pursuit_lp(p)?).map_err(|e2| Error::CertificateFailed {
                    solver: "basis pursuit".into(),
                    detail: format!("homotopy: {}; LP: {}", e1.brief(), e2.brief()),
                }),
            }
        }
    }
}

/// The row-space form of `{Xw = y}`: with `X = U S Vᵀ` (rank `r`), the same affine set is
/// `{Vᵀw = S⁻¹Uᵀy}`, whose constraint matrix has orthonormal rows (condition number 1). Returns that problem
/// and the map `U S⁻¹` taking its dual vectors to duals of the original (`Xᵀ(US⁻¹μ') = Vμ'`).
pub fn row_space_form(p: &Problem) -> Result<(Problem, Dense)> {
    let svd = linalg::svd(p.x())?;
    let r = p.rank();
    let q = Dense::from_fn(r, p.d(), |c, j| svd.v.get(j, c));
    let b: Vec<f64> = (0..r).map(|c| (0..p.n()).map(|i| svd.u.get(i, c) * p.y()[i]).sum::<f64>() / svd.s[c]).collect();
    let map = Dense::from_fn(p.n(), r, |i, c| svd.u.get(i, c) / svd.s[c]);
    Ok((Problem::new(q, b)?, map))
}

/// Accepts a solution whose certificate passes; else tries the basis repair; else fails with the numbers.
fn certified_or_repaired(p: &Problem, s: Solution) -> Result<Solution> {
    let first = match check(&s) {
        Ok(()) => return with_uniqueness(p, s),
        Err(why) => why,
    };
    let t = Instant::now();
    if let Some(r) = repair_by_basis(p, &s.w) {
        let mut fixed =
            finish(p, r.0, r.1, s.certificate.iterations.unwrap_or(0), &format!("{} + basis repair", s.method), t)?;
        fixed.wall_seconds += s.wall_seconds;
        if check(&fixed).is_ok() {
            return with_uniqueness(p, fixed);
        }
    }
    Err(Error::CertificateFailed { solver: s.method, detail: first })
}

/// The certificate's checks (see the module notes).
fn check(s: &Solution) -> std::result::Result<(), String> {
    let c = &s.certificate;
    let gap = c.duality_gap_rel.unwrap_or(f64::NAN);
    let gap_abs = c.duality_gap_abs.unwrap_or(f64::NAN);
    if !(c.residual_rel <= CERT_TOL) {
        return Err(format!("relative residual ‖Xw − y‖/‖y‖ = {:.3e} > {CERT_TOL:e}", c.residual_rel));
    }
    if !(gap <= CERT_TOL && gap_abs >= -CERT_TOL * s.l1_norm.max(f64::MIN_POSITIVE)) {
        return Err(format!(
            "duality gap ‖w‖₁ − yᵀμ = {gap_abs:.3e} (relative {gap:.3e}) is not within ±{CERT_TOL:e} (‖w‖₁ = {:.6e})",
            s.l1_norm
        ));
    }
    Ok(())
}

/// Adds the uniqueness verdict: from the certificate's dual, the least-norm dual, and — when both are on
/// the boundary — the interior-point LP's dual (strictly complementary when the solution is unique).
fn with_uniqueness(p: &Problem, mut s: Solution) -> Result<Solution> {
    let Some(rho) = s.dual_correlations.take() else { return Ok(s) };
    let mut u = bp_uniqueness(p, &s.w, &rho)?;
    if u == Uniqueness::Unknown
        && !s.method.contains("clarabel")
        && let Ok(lp) = basis_pursuit_lp(p)
        && check(&lp).is_ok()
        && lp.support == s.support
        && let Some(rho_lp) = &lp.dual_correlations
    {
        u = uniqueness(p, &s.w, rho_lp)?;
    }
    s.certificate.unique = Some(u);
    Ok(s)
}

/// Basis pursuit as the λ → 0 end of the exact Lasso path (`rank X = n`): the last segment's active set
/// `A` and signs `s_A` give `w` (re-solved on its support) and the dual `μ = X_A G_A⁺ s_A`.
pub fn basis_pursuit_homotopy(p: &Problem) -> Result<Solution> {
    let t = Instant::now();
    require_interpolator(p, "basis pursuit")?;
    let h = super::homotopy::homotopy(p)?;
    if h.path.lambdas.last() != Some(&0.0) || h.active.is_empty() {
        return Err(Error::Numerical("the Lasso homotopy did not reach λ = 0".into()));
    }
    let mu = project_dual(p, &h.active, &h.signs, &vec![0.0; p.n()])
        .ok_or_else(|| Error::Numerical("basis pursuit: no dual point on the active set".into()))?;
    let w_path = h.path.coefs.last().cloned().unwrap_or_default();
    let w = polish(p, &w_path, 1e-12).unwrap_or(w_path);
    finish(p, w, mu, h.path.lambdas.len(), "basis pursuit (Lasso homotopy to λ = 0 + support polish)", t)
}

/// Basis pursuit as an interior-point LP (clarabel), polished on its support.
pub fn basis_pursuit_lp(p: &Problem) -> Result<Solution> {
    let t = Instant::now();
    require_interpolator(p, "basis pursuit")?;
    let (n, d) = (p.n(), p.d());
    crate::io::require_memory("the basis pursuit LP", 8.0 * (4.0 * (n * d) as f64 + 40.0 * (n + 2 * d) as f64))?;
    // Columns: p (d), q (d). Rows: n equalities, then 2d sign constraints −x + s = 0.
    let mut colptr = Vec::with_capacity(2 * d + 1);
    let mut rowval = Vec::new();
    let mut nzval = Vec::new();
    colptr.push(0);
    for sign in [1.0, -1.0] {
        for j in 0..d {
            for i in 0..n {
                let v = p.x().get(i, j);
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
    let mut b = p.y().to_vec();
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
    crate::control::check()?;
    let st = solver.solution.status;
    if !matches!(st, SolverStatus::Solved | SolverStatus::AlmostSolved) {
        return Err(Error::Numerical(format!("basis pursuit LP was not solved (clarabel status {st:?})")));
    }
    let x = &solver.solution.x;
    let w_lp: Vec<f64> = (0..d).map(|j| x[j] - x[d + j]).collect();
    let mu_lp: Vec<f64> = (0..n).map(|i| -solver.solution.z[i]).collect();
    let iters = solver.solution.iterations as usize;
    if let Some(w) = polish(p, &w_lp, 1e-7) {
        let support: Vec<usize> = (0..d).filter(|&j| w[j] != 0.0).collect();
        let signs: Vec<f64> = support.iter().map(|&j| w[j].signum()).collect();
        let l1 = linalg::norm1(&w_lp);
        if linalg::norm1(&w) <= l1 + 1e-9 * l1.max(1.0)
            && let Some(mu) = project_dual(p, &support, &signs, &mu_lp)
        {
            return finish(p, w, mu, iters, "basis pursuit (clarabel LP + support polish)", t);
        }
    }
    finish(p, w_lp, mu_lp, iters, &format!("basis pursuit (clarabel LP, status {st:?})"), t)
}

/// Re-solves `X_S w_S = y` on the support `S = {|wⱼ| > rel·‖w‖_∞}` (minimum norm, so duplicated columns
/// share their weight); `None` when `S` is empty or larger than `n`, a sign flips, or `y` is not fitted.
fn polish(p: &Problem, w: &[f64], rel: f64) -> Option<Vec<f64>> {
    let wmax = linalg::norm_inf(w);
    let support: Vec<usize> = (0..p.d()).filter(|&j| w[j].abs() > rel * wmax).collect();
    if support.is_empty() || support.len() > p.n() {
        return None;
    }
    let xs = p.x().select_cols(&support);
    let ws = match linalg::ThinQr::new(&xs) {
        Some(qr) => qr.lstsq(p.y()),
        None => linalg::pinv_solve(&xs, p.y()).ok()?.0,
    };
    let mut out = vec![0.0; p.d()];
    for (k, &j) in support.iter().enumerate() {
        if ws[k].signum() != w[j].signum() {
            return None;
        }
        out[j] = ws[k];
    }
    let res = linalg::norm2(&p.residual(&out));
    (res <= 1e-10 * linalg::norm2(p.y()).max(f64::MIN_POSITIVE)).then_some(out)
}

/// The least change of `μ0` meeting `X_Sᵀμ = s_S`: `μ = μ0 + X_S (X_SᵀX_S)⁺ (s − X_Sᵀμ0)`.
fn project_dual(p: &Problem, support: &[usize], signs: &[f64], mu0: &[f64]) -> Option<Vec<f64>> {
    let xs = p.x().select_cols(support);
    let mut xtm = vec![0.0; support.len()];
    xs.tmul_vec(mu0, &mut xtm);
    let rhs: Vec<f64> = signs.iter().zip(&xtm).map(|(s, v)| s - v).collect();
    // Minimum-norm solution of X_Sᵀ c = rhs (c ∈ range(X_S)): by a thin QR of X_S when it has full column
    // rank, else by the pseudo-inverse.
    let corr = match linalg::ThinQr::new(&xs) {
        Some(qr) => qr.min_norm_t(&rhs),
        None => linalg::pinv_solve(&xs.transpose(), &rhs).ok()?.0,
    };
    let mu: Vec<f64> = mu0.iter().zip(&corr).map(|(a, b)| a + b).collect();
    linalg::all_finite(&mu).then_some(mu)
}

/// A basis from the largest entries of `w` (greedy, linearly independent, at most `n` columns), the basic
/// solution on it and its dual `X_Bᵀμ = sign(w_B)`; `None` if the basis does not fit `y`.
fn repair_by_basis(p: &Problem, w: &[f64]) -> Option<(Vec<f64>, Vec<f64>)> {
    let (n, d) = (p.n(), p.d());
    let mut order: Vec<usize> = (0..d).filter(|&j| w[j] != 0.0).collect();
    order.sort_by(|&a, &b| w[b].abs().total_cmp(&w[a].abs()));
    let mut basis: Vec<usize> = Vec::new();
    let mut q: Vec<Vec<f64>> = Vec::new();
    for &j in &order {
        if basis.len() == n {
            break;
        }
        let mut v: Vec<f64> = (0..n).map(|i| p.x().get(i, j)).collect();
        let nv = linalg::norm2(&v);
        for _ in 0..2 {
            for qk in &q {
                let c = linalg::dot(qk, &v);
                linalg::axpy(-c, qk, &mut v);
            }
        }
        let nr = linalg::norm2(&v);
        if nr > 1e-10 * nv {
            v.iter_mut().for_each(|x| *x /= nr);
            q.push(v);
            basis.push(j);
        }
    }
    if basis.is_empty() {
        return None;
    }
    let xb: Dense = p.x().select_cols(&basis);
    let (wb, _) = linalg::pinv_solve(&xb, p.y()).ok()?;
    let mut out = vec![0.0; d];
    for (k, &j) in basis.iter().enumerate() {
        out[j] = wb[k];
    }
    if linalg::norm2(&p.residual(&out)) > 1e-10 * linalg::norm2(p.y()) {
        return None;
    }
    let support: Vec<usize> = basis.iter().copied().filter(|&j| out[j] != 0.0).collect();
    let signs: Vec<f64> = support.iter().map(|&j| out[j].signum()).collect();
    let mu = project_dual(p, &support, &signs, &vec![0.0; n])?;
    Some((out, mu))
}

/// The certificate: `μ` scaled so that `‖Xᵀμ‖_∞ ≤ 1`, the gap `‖w‖₁ − yᵀμ`, the support by threshold.
fn finish(p: &Problem, w: Vec<f64>, mu: Vec<f64>, iters: usize, method: &str, t: Instant) -> Result<Solution> {
    let mut xtm = vec![0.0; p.d()];
    GradPlan::new(p, Parallelism::Auto).xt_mul(&mu, &mut xtm);
    let m = linalg::norm_inf(&xtm);
    let scale = if m > 1.0 { 1.0 / m } else { 1.0 };
    let mu: Vec<f64> = mu.iter().map(|v| v * scale).collect();
    let l1 = linalg::norm1(&w);
    let dual_obj = linalg::dot(p.y(), &mu);
    let gap = l1 - dual_obj;
    let cert = Certificate {
        dual_objective: Some(dual_obj),
        duality_gap_abs: Some(gap),
        duality_gap_rel: Some(gap.abs() / l1.max(f64::MIN_POSITIVE)),
        dual_sup_norm: Some(m),
        iterations: Some(iters),
        ..Default::default()
    };
    let mut s = Solution::new(method, p, w, cert, t.elapsed().as_secs_f64()).with_support();
    s.dual = Some(mu);
    s.dual_correlations = Some(xtm.iter().map(|v| v * scale).collect());
    Ok(s)
}
