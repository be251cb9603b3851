//! Lasso in the sheet's convention `w_{1,λ} ∈ argmin R(w) + λ‖w‖₁`, `R(w) = (1/n)‖Xw − y‖²`
//! (scikit-learn's `alpha = λ/2`). `w = 0` iff `λ ≥ λ_max = (2/n)‖Xᵀy‖_∞`.
//!
//! Two solvers: the exact homotopy (LARS with the lasso modification), which returns every
//! breakpoint of the piecewise-linear path, and coordinate descent on a grid with warm starts and
//! a duality-gap stopping rule (optionally with `w ≥ 0`). Every point carries its KKT violation
//! and duality gap.

use super::ridge::{Path, PathCertificate, check_lambdas};
use crate::linalg::{self, Dense};
use crate::problem::Problem;
use crate::{Error, Result};

/// `λ_max = (2/n)‖Xᵀy‖_∞` (with `positive`: `(2/n) max_j (Xᵀy)_j`).
pub fn lambda_max(p: &Problem, positive: bool) -> f64 {
    let mut xty = vec![0.0; p.d()];
    p.xt_mul(&p.y, &mut xty);
    let m = if positive { xty.iter().copied().fold(0.0, f64::max) } else { linalg::norm_inf(&xty) };
    2.0 * m / p.n() as f64
}

/// KKT violation at `(w, λ)`: on the support `|∇R(w)_j + λ·sign(w_j)|`, off it `max(0, |∇R(w)_j| − λ)`
/// (with `positive`: off the support `max(0, −∇R(w)_j − λ)`).
pub fn kkt_violation(p: &Problem, w: &[f64], lambda: f64, positive: bool) -> f64 {
    let g = p.grad(w);
    let mut v = 0.0f64;
    for j in 0..w.len() {
        let e = if w[j] != 0.0 {
            (g[j] + lambda * w[j].signum()).abs()
        } else if positive {
            (-g[j] - lambda).max(0.0)
        } else {
            (g[j].abs() - lambda).max(0.0)
        };
        v = v.max(e);
    }
    v
}

/// Duality gap of `R(w) + λ‖w‖₁` at `w`, using the dual point `θ = s·(y − Xw)` scaled to be feasible:
/// `gap = (2/n)[½‖r‖² + (nλ/2)‖w‖₁ − ½‖y‖² + ½‖y − θ‖²]`.
pub fn duality_gap(p: &Problem, w: &[f64], lambda: f64, positive: bool) -> f64 {
    let n = p.n() as f64;
    let r: Vec<f64> = p.residual(w).iter().map(|v| -v).collect(); // y − Xw
    let mut xtr = vec![0.0; p.d()];
    p.xt_mul(&r, &mut xtr);
    let a = 0.5 * n * lambda;
    let m = if positive { xtr.iter().copied().fold(0.0, f64::max) } else { linalg::norm_inf(&xtr) };
    let s = if a > 0.0 { if m > a { a / m } else { 1.0 } } else { 1.0 };
    let rr = linalg::dot(&r, &r);
    let primal = 0.5 * rr + a * linalg::norm1(w);
    let mut ymt2 = 0.0;
    for i in 0..p.n() {
        let t = p.y[i] - s * r[i];
        ymt2 += t * t;
    }
    let dual = 0.5 * linalg::dot(&p.y, &p.y) - 0.5 * ymt2;
    (2.0 / n) * (primal - dual)
}

/// Duality gap from `r = y − Xw` and `xtr = Xᵀr` already computed from `w` (same formula as [`duality_gap`]).
fn gap_from(p: &Problem, r: &[f64], xtr: &[f64], w: &[f64], lambda: f64, positive: bool) -> f64 {
    let n = p.n() as f64;
    let a = 0.5 * n * lambda;
    let m = if positive { xtr.iter().copied().fold(0.0, f64::max) } else { linalg::norm_inf(xtr) };
    let s = if a > 0.0 && m > a { a / m } else { 1.0 };
    let rr = linalg::dot(r, r);
    let mut ymt2 = 0.0;
    for i in 0..p.n() {
        let t = p.y[i] - s * r[i];
        ymt2 += t * t;
    }
    (2.0 / n) * (0.5 * rr + a * linalg::norm1(w) - 0.5 * linalg::dot(&p.y, &p.y) + 0.5 * ymt2)
}

/// KKT violation from `xtr = Xᵀ(y − Xw)` (so `∇R(w) = −(2/n)·xtr`), as [`kkt_violation`].
fn kkt_from(n: usize, xtr: &[f64], w: &[f64], lambda: f64, positive: bool) -> f64 {
    let f = -2.0 / n as f64;
    let mut v = 0.0f64;
    for j in 0..w.len() {
        let g = f * xtr[j];
        let e = if w[j] != 0.0 {
            (g + lambda * w[j].signum()).abs()
        } else if positive {
            (-g - lambda).max(0.0)
        } else {
            (g.abs() - lambda).max(0.0)
        };
        v = v.max(e);
    }
    v
}

/// `r = y − Xw` using only the non-zeros of `w` (`xt` holds the columns of `X` as rows).
fn sparse_residual(p: &Problem, xt: &Dense, w: &[f64], r: &mut Vec<f64>) {
    r.clear();
    r.extend_from_slice(&p.y);
    for (j, &wj) in w.iter().enumerate() {
        if wj != 0.0 {
            linalg::axpy(-wj, xt.row(j), r);
        }
    }
}

/// Solves `G_A v = b` for the active Gram matrix.
pub(crate) fn gram_solve(xa: &Dense, b: &[f64]) -> Option<Vec<f64>> {
    let k = xa.cols;
    let g = Dense::from_fn(k, k, |a, c| (0..xa.rows).map(|i| xa.get(i, a) * xa.get(i, c)).sum());
    linalg::spd_solve(&g, b, 0.0)
}

/// The exact Lasso path by homotopy: breakpoints `(λ_k, w_k)` from `λ_max` down to 0 (or until the
/// active Gram matrix becomes singular); between two breakpoints the path is linear.
pub fn lasso_homotopy(p: &Problem) -> Result<Path> {
    Ok(homotopy(p)?.0)
}

/// The homotopy with the active set and signs of its last segment (for basis pursuit: as λ → 0 on
/// that segment, `μ = X_A(X_AᵀX_A)⁻¹s_A` is a dual certificate with `‖Xᵀμ‖_∞ ≤ 1`).
pub fn homotopy(p: &Problem) -> Result<(Path, Vec<usize>, Vec<f64>)> {
    let t0 = std::time::Instant::now();
    let (n, d) = (p.n(), p.d());
    let nf = n as f64;
    let rank = p.rank();
    let mut xty = vec![0.0; d];
    p.xt_mul(&p.y, &mut xty);
    let lmax = 2.0 * linalg::norm_inf(&xty) / nf;
    let mut lambdas = vec![lmax];
    let mut coefs = vec![vec![0.0; d]];
    if lmax == 0.0 {
        return Ok((finish(p, lambdas, coefs, vec![], t0), vec![], vec![]));
    }
    let mut lam = lmax;
    let mut w = vec![0.0; d];
    let mut active: Vec<usize> = Vec::new();
    let mut signs: Vec<f64> = Vec::new();
    let tie = 1e-11;
    // Correlations c = (2/n)Xᵀ(y − Xw); at w = 0 they are (2/n)Xᵀy.
    let c: Vec<f64> = xty.iter().map(|v| 2.0 * v / nf).collect();
    for j in 0..d {
        if c[j].abs() >= lmax * (1.0 - tie) {
            active.push(j);
            signs.push(c[j].signum());
        }
    }
    let mut just_left: Vec<usize> = Vec::new();
    let cols = p.columns();
    let mut r = Vec::with_capacity(n);
    let mut certs: Vec<PathCertificate> = Vec::new();
    let mut join_p = vec![f64::INFINITY; d];
    let mut join_m = vec![f64::INFINITY; d];
    // Xᵀx_j for every variable that has been active, computed once: the active Gram matrix is read
    // off them, and both products of a breakpoint cost d·|A| instead of n·d.
    let mut xtx: std::collections::HashMap<usize, Vec<f64>> = std::collections::HashMap::new();
    for _iter in 0..(20 * d + 100) {
        for &j in &active {
            xtx.entry(j).or_insert_with(|| {
                let mut col = vec![0.0; d];
                p.xt_mul(cols.row(j), &mut col);
                col
            });
        }
        let k = active.len();
        let gram = Dense::from_fn(k, k, |a, b| xtx[&active[b]][active[a]]);
        let rhs: Vec<f64> = signs.iter().map(|s| 0.5 * nf * s).collect();
        let v = linalg::spd_solve(&gram, &rhs, 0.0).ok_or_else(|| {
            Error::Numerical(format!(
                "Lasso homotopy: active Gram matrix singular at λ = {lam:e} with {} active",
                active.len()
            ))
        })?;
        // a = (2/n) XᵀX_A v, the rate at which the correlations change as λ decreases, and
        // Xᵀ(y − Xw) = Xᵀy − XᵀX_A w_A at this breakpoint (its correlations and certificate).
        let mut a = vec![0.0; d];
        for (kk, &j) in active.iter().enumerate() {
            linalg::axpy(2.0 / nf * v[kk], &xtx[&j], &mut a);
        }
        let (xtr, cert) = cached_certificate(p, &xty, &xtx, &active, &w, lam, &mut r);
        let c: Vec<f64> = xtr.iter().map(|v| v * 2.0 / nf).collect();
        certs.push(cert);
        // Joining times, branch-free over all variables so that the divisions vectorise:
        // Δ⁺_j = (λ − c_j)/(1 − a_j) (enters with sign +1), Δ⁻_j = (λ + c_j)/(1 + a_j) (sign −1);
        // INFINITY where there is no event. A join at Δ ≈ λ is the 0/0 of a path that already
        // interpolates: not an event.
        let lam_cut = lam * (1.0 - 1e-9);
        let joinable = active.len() < rank;
        for j in 0..d {
            let (dp, dm) = (1.0 - a[j], 1.0 + a[j]);
            let tp = ((lam - c[j]) / dp).max(0.0);
            let tm = ((lam + c[j]) / dm).max(0.0);
            join_p[j] = if joinable && dp > 1e-14 && tp < lam_cut { tp } else { f64::INFINITY };
            join_m[j] = if joinable && dm > 1e-14 && tm < lam_cut { tm } else { f64::INFINITY };
        }
        for &j in &active {
            join_p[j] = f64::INFINITY;
            join_m[j] = f64::INFINITY;
        }
        // A variable that has just left may not re-enter at once (Δ ≈ 0).
        for &j in &just_left {
            if join_p[j] <= tie * lmax {
                join_p[j] = f64::INFINITY;
            }
            if join_m[j] <= tie * lmax {
                join_m[j] = f64::INFINITY;
            }
        }
        let mut step = lam; // Δ to λ = 0
        let mut leave_events: Vec<(f64, usize)> = Vec::new();
        for (k, &j) in active.iter().enumerate() {
            if v[k] != 0.0 {
                let dl = -w[j] / v[k];
                if dl > 0.0 {
                    leave_events.push((dl, j));
                }
            }
        }
        let min_join = join_p.iter().chain(join_m.iter()).copied().fold(f64::INFINITY, f64::min);
        let min_ev = leave_events.iter().map(|e| e.0).fold(min_join, f64::min);
        // Events below 1e-11·λ_max are rounding artefacts of a path that already interpolates on
        // its active set: go straight to λ = 0.
        if min_ev < step && lam - min_ev > 1e-11 * lmax {
            step = min_ev;
        }
        let has_event = step < lam;
        let new_lam = (lam - step).max(0.0);
        // Recompute w on the current active set at the new λ (no drift): G_A w_A = X_Aᵀy − (n/2)λ s_A.
        let rhs_w: Vec<f64> = active.iter().zip(&signs).map(|(&j, s)| xty[j] - 0.5 * nf * new_lam * s).collect();
        let wa = linalg::spd_solve(&gram, &rhs_w, 0.0)
            .ok_or_else(|| Error::Numerical("Lasso homotopy: singular Gram".into()))?;
        for (k, &j) in active.iter().enumerate() {
            w[j] = wa[k];
        }
        lam = new_lam;
        just_left.clear();
        if lam <= 0.0 || !step.is_finite() {
            certs.push(cached_certificate(p, &xty, &xtx, &active, &w, 0.0, &mut r).1);
            lambdas.push(0.0);
            coefs.push(w.clone());
            break;
        }
        // Apply all events tied with the first.
        let thresh = step + tie * lmax;
        let mut joins: Vec<(usize, f64)> = Vec::new();
        let mut leaves: Vec<usize> = Vec::new();
        if has_event {
            for j in 0..d {
                if join_p[j] <= thresh {
                    joins.push((j, 1.0));
                } else if join_m[j] <= thresh {
                    joins.push((j, -1.0));
                }
            }
            leaves.extend(leave_events.iter().filter(|e| e.0 <= thresh).map(|e| e.1));
        }
        for j in &leaves {
            if let Some(pos) = active.iter().position(|x| x == j) {
                active.remove(pos);
                signs.remove(pos);
                w[*j] = 0.0;
                just_left.push(*j);
            }
        }
        for (j, s) in joins {
            if active.len() < rank {
                active.push(j);
                signs.push(s);
            }
        }
        lambdas.push(lam);
        coefs.push(w.clone());
        if active.is_empty() {
            return Err(Error::Numerical("Lasso homotopy: active set became empty".into()));
        }
    }
    Ok((finish(p, lambdas, coefs, certs, t0), active, signs))
}

/// `Xᵀ(y − Xw) = Xᵀy − Σ_A w_j Xᵀx_j` from the homotopy's cached products (`w` vanishes off the
/// active set `A`), and the certificate of `(w, λ)`; `r` receives `y − Xw`.
fn cached_certificate(
    p: &Problem,
    xty: &[f64],
    xtx: &std::collections::HashMap<usize, Vec<f64>>,
    active: &[usize],
    w: &[f64],
    lam: f64,
    r: &mut Vec<f64>,
) -> (Vec<f64>, PathCertificate) {
    let mut xtr = xty.to_vec();
    for &j in active {
        if w[j] != 0.0 {
            linalg::axpy(-w[j], &xtx[&j], &mut xtr);
        }
    }
    sparse_residual(p, p.columns(), w, r);
    let cert = PathCertificate {
        kkt: kkt_from(p.n(), &xtr, w, lam, false),
        duality_gap: Some(gap_from(p, r, &xtr, w, lam, false)),
    };
    (xtr, cert)
}

/// Assembles the path; points without a certificate from the homotopy get one computed afresh.
fn finish(
    p: &Problem,
    lambdas: Vec<f64>,
    coefs: Vec<Vec<f64>>,
    mut certificates: Vec<PathCertificate>,
    t0: std::time::Instant,
) -> Path {
    for k in certificates.len()..lambdas.len() {
        // Afresh from w: sparse residual and one product Xᵀr.
        let mut r = Vec::with_capacity(p.n());
        sparse_residual(p, p.columns(), &coefs[k], &mut r);
        let mut xtr = vec![0.0; p.d()];
        p.xt_mul(&r, &mut xtr);
        certificates.push(PathCertificate {
            kkt: kkt_from(p.n(), &xtr, &coefs[k], lambdas[k], false),
            duality_gap: Some(gap_from(p, &r, &xtr, &coefs[k], lambdas[k], false)),
        });
    }
    Path {
        kind: "lasso".into(),
        lambdas,
        coefs,
        certificates,
        method: "homotopy (LARS-lasso), exact breakpoints".into(),
        seconds: t0.elapsed().as_secs_f64(),
    }
}

/// Options of coordinate descent.
#[derive(Debug, Clone, Copy)]
pub struct CdOptions {
    /// Stop when the duality gap is `≤ gap_tol · R(0)`.
    pub gap_tol: f64,
    /// Cap on full sweeps per λ.
    pub max_sweeps: usize,
    /// Constrain `w ≥ 0`.
    pub positive: bool,
}

impl Default for CdOptions {
    fn default() -> Self {
        CdOptions { gap_tol: 1e-14, max_sweeps: 100_000, positive: false }
    }
}

/// Default Lasso grid: `k` log-spaced values from `λ_max` down to `1e-3·λ_max`.
pub fn default_lasso_grid(p: &Problem, k: usize, positive: bool) -> Vec<f64> {
    let lm = lambda_max(p, positive);
    let mut g = linalg::logspace(lm * 1e-3, lm, k.max(1));
    g.reverse();
    g
}

/// Lasso on a grid by cyclic coordinate descent with warm starts (grid visited from the largest λ).
pub fn lasso_cd(p: &Problem, lambdas: &[f64], opts: CdOptions) -> Result<Path> {
    check_lambdas(lambdas)?;
    let t0 = std::time::Instant::now();
    let (n, d) = (p.n(), p.d());
    let nf = n as f64;
    let xt = p.columns(); // columns of X as rows
    let sq: Vec<f64> = (0..d).map(|j| linalg::dot(xt.row(j), xt.row(j))).collect();
    let mut order: Vec<usize> = (0..lambdas.len()).collect();
    order.sort_by(|&a, &b| lambdas[b].total_cmp(&lambdas[a]));
    let mut w = vec![0.0; d];
    let mut r = p.y.clone(); // y − Xw
    let mut coefs = vec![Vec::new(); lambdas.len()];
    let mut certs = vec![PathCertificate { kkt: 0.0, duality_gap: None }; lambdas.len()];
    let scale = p.risk_at_zero().max(f64::MIN_POSITIVE);
    // Correlations Xᵀ(y − Xw) at the last solution, for the sequential strong rule.
    let soft = |rho: f64, a: f64, sq: f64| -> f64 {
        if opts.positive { (rho - a).max(0.0) / sq } else { rho.signum() * (rho.abs() - a).max(0.0) / sq }
    };
    // One cyclic pass over `set` (threshold a = nλ/2), keeping r = y − Xw; returns the largest scaled change.
    let pass = |set: &[usize], w: &mut [f64], r: &mut [f64], a: f64| -> f64 {
        let mut change = 0.0f64;
        for &j in set {
            let xj = xt.row(j);
            let old = w[j];
            let new = soft(linalg::dot(xj, r) + sq[j] * old, a, sq[j]);
            if new != old {
                linalg::axpy(old - new, xj, r);
                w[j] = new;
                change = change.max((new - old).abs() * sq[j].sqrt());
            }
        }
        change
    };
    let mut xtr = vec![0.0; d];
    p.xt_mul(&r, &mut xtr);
    let mut lam_prev = lambda_max(p, opts.positive);
    for &k in &order {
        let lam = lambdas[k];
        let a = 0.5 * nf * lam;
        let mut sweeps = 0;
        // Working set: the non-zeros and the coordinates the sequential strong rule keeps
        // (|(2/n)x_jᵀr| ≥ 2λ − λ_prev); the KKT check on all coordinates adds any it missed.
        let thresh = 0.5 * nf * (2.0 * lam - lam_prev);
        let mut in_set: Vec<bool> =
            (0..d).map(|j| w[j] != 0.0 || (if opts.positive { xtr[j] } else { xtr[j].abs() }) >= thresh).collect();
        loop {
            let set: Vec<usize> = (0..d).filter(|&j| in_set[j] && sq[j] > 0.0).collect();
            // Sweeps over the working set, then over the non-zeros only until they settle.
            let max_change = pass(&set, &mut w, &mut r, a);
            sweeps += 1;
            let active: Vec<usize> = set.iter().copied().filter(|&j| w[j] != 0.0).collect();
            for _ in 0..1000 {
                let change = pass(&active, &mut w, &mut r, a);
                sweeps += 1;
                if change <= 1e-9 * max_change.max(f64::MIN_POSITIVE) || change == 0.0 {
                    break;
                }
            }
            // Refresh the residual (no drift); KKT outside the working set, then the gap.
            sparse_residual(p, xt, &w, &mut r);
            p.xt_mul(&r, &mut xtr);
            let mut grew = false;
            for j in 0..d {
                let cj = if opts.positive { xtr[j] } else { xtr[j].abs() };
                if !in_set[j] && cj > a {
                    in_set[j] = true;
                    grew = true;
                }
            }
            if grew && sweeps < opts.max_sweeps {
                continue;
            }
            let gap = gap_from(p, &r, &xtr, &w, lam, opts.positive);
            if gap <= opts.gap_tol * scale || sweeps >= opts.max_sweeps {
                // r and xtr were computed afresh from w: they certify this point.
                certs[k] = PathCertificate { kkt: kkt_from(n, &xtr, &w, lam, opts.positive), duality_gap: Some(gap) };
                break;
            }
            // Not converged on the set: widen to every coordinate.
            in_set.iter_mut().for_each(|v| *v = true);
        }
        lam_prev = lam;
        coefs[k] = w.clone();
    }
    Ok(Path {
        kind: "lasso".into(),
        lambdas: lambdas.to_vec(),
        coefs,
        certificates: certs,
        method: format!(
            "coordinate descent, warm starts, gap ≤ {:e}·R(0){}",
            opts.gap_tol,
            if opts.positive { ", w ≥ 0" } else { "" }
        ),
        seconds: t0.elapsed().as_secs_f64(),
    })
}

/// Evaluates the exact (piecewise-linear) homotopy path at an arbitrary `λ`.
pub fn interpolate_path(path: &Path, lambda: f64) -> Vec<f64> {
    let l = &path.lambdas;
    if lambda >= l[0] {
        return path.coefs[0].clone();
    }
    for k in 1..l.len() {
        if lambda >= l[k] {
            let t = (l[k - 1] - lambda) / (l[k - 1] - l[k]);
            return path.coefs[k - 1].iter().zip(&path.coefs[k]).map(|(a, b)| a + t * (b - a)).collect();
        }
    }
    path.coefs.last().cloned().unwrap_or_default()
}
