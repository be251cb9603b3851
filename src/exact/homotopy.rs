//! The exact Lasso path by homotopy (LARS with the lasso modification) in the sheet's convention
//! `min R(w) + λ‖w‖₁`: every breakpoint `(λ_k, w_k)` from `λ_max = (2/n)‖Xᵀy‖_∞` down to 0; between
//! two breakpoints the path is linear.
//!
//! On the active set `A` with signs `s_A`, `w_A(λ) = G_A⁺(X_Aᵀy − (n/2)λ s_A)` with `G_A = X_AᵀX_A`.
//! Degenerate designs (duplicated, negated or collinear columns, ties) make `G_A` singular: the
//! factorisation then switches to the pseudo-inverse ([`SymFactor`]), which returns the element of the
//! solution set that is minimum-ℓ2 on the active set (equal splits over duplicated or negated columns),
//! and a column joins only while it raises the rank of `X_A`. Every breakpoint is certified (KKT violation
//! and duality gap from cached products); a path whose certificate fails is not returned as exact:
//! the caller falls back ([`super::lasso::lasso_path`]) or reports the failed check.

use super::path::{Path, PathCertificate, PathKind};
use super::penalty::{L1, duality_gap_from, kkt_from_xtr};
use crate::kernels::linalg::{self, Dense, SymFactor};
use crate::problem::{GradPlan, Parallelism, Problem};
use crate::{Error, Result};
use std::collections::HashMap;

/// The KKT tolerance of a certified breakpoint, relative to `λ_max` (plus the rounding floor of
/// [`kkt_tolerance`]).
pub const KKT_REL: f64 = 1e-9;

/// The KKT tolerance of a Lasso point: `KKT_REL·λ_max` plus the rounding of the gradient itself,
/// `1e3·ε·(2/n)·σ_max·‖y‖` (which dominates only when `λ_max` is at rounding level).
pub fn kkt_tolerance(p: &Problem, lambda_max: f64) -> f64 {
    let smax = p.sigma().first().copied().unwrap_or(0.0);
    KKT_REL * lambda_max + 1e3 * f64::EPSILON * 2.0 / p.n() as f64 * smax * linalg::norm2(p.y())
}

/// The homotopy's end state: the path, and the active set and signs of its last segment (for basis
/// pursuit: as λ → 0 on that segment, `μ = X_A G_A⁺ s_A` is a dual certificate with `‖Xᵀμ‖_∞ ≤ 1`).
pub struct Homotopy {
    /// The path (breakpoints, λ decreasing).
    pub path: Path,
    /// Active set of the last segment.
    pub active: Vec<usize>,
    /// Signs of the last segment.
    pub signs: Vec<f64>,
    /// Whether some active Gram matrix was numerically singular (a degenerate design).
    pub degenerate: bool,
}

/// The exact Lasso path (breakpoints); fails with the failed certificate if a breakpoint does not pass
/// its KKT check (see [`super::lasso::lasso_path`] for the version that falls back).
pub fn lasso_homotopy(p: &Problem) -> Result<Path> {
    let h = homotopy(p)?;
    certified(p, &h.path)?;
    Ok(h.path)
}

/// Checks every breakpoint's KKT violation against [`kkt_tolerance`].
pub fn certified(p: &Problem, path: &Path) -> Result<()> {
    let tol = kkt_tolerance(p, path.lambdas.first().copied().unwrap_or(0.0));
    if let Some(k) = path.certificates.iter().position(|c| !(c.kkt_violation <= tol)) {
        return Err(Error::CertificateFailed {
            solver: "Lasso homotopy".into(),
            detail: format!(
                "at λ = {:e} the KKT violation is {:.3e} > {tol:.3e} ({:.0e}·λ_max and the rounding floor)",
                path.lambdas[k], path.certificates[k].kkt_violation, KKT_REL
            ),
        });
    }
    Ok(())
}

/// Runs the homotopy to λ = 0 (see the module notes).
pub fn homotopy(p: &Problem) -> Result<Homotopy> {
    let t0 = std::time::Instant::now();
    let (n, d) = (p.n(), p.d());
    let nf = n as f64;
    let rank = p.rank();
    let plan = GradPlan::new(p, Parallelism::Auto);
    let mut xty = vec![0.0; d];
    plan.xt_mul(p.y(), &mut xty);
    let lmax = 2.0 * linalg::norm_inf(&xty) / nf;
    let mut lambdas = vec![lmax];
    let mut coefs = vec![vec![0.0; d]];
    let empty = |path| Homotopy { path, active: vec![], signs: vec![], degenerate: false };
    if lmax == 0.0 {
        return Ok(empty(finish(p, lambdas, coefs, vec![], t0)));
    }
    let mut lam = lmax;
    let mut w = vec![0.0; d];
    let mut active: Vec<usize> = Vec::new();
    let mut signs: Vec<f64> = Vec::new();
    let tie = 1e-11;
    let mut degenerate = false;
    for j in 0..d {
        let cj = 2.0 * xty[j] / nf;
        if cj.abs() >= lmax * (1.0 - tie) {
            active.push(j);
            signs.push(cj.signum());
        }
    }
    let mut just_left: Vec<usize> = Vec::new();
    let cols = p.columns();
    let mut r = Vec::with_capacity(n);
    let mut certs: Vec<PathCertificate> = Vec::new();
    let mut join_p = vec![f64::INFINITY; d];
    let mut join_m = vec![f64::INFINITY; d];
    // Xᵀx_j for every variable that has been active, computed once: the active Gram matrix is read off
    // them, and both products of a breakpoint cost d·|A| instead of n·d.
    let mut xtx: HashMap<usize, Vec<f64>> = HashMap::new();
    for _ in 0..(20 * d + 100) {
        crate::control::check()?;
        for &j in &active {
            xtx.entry(j).or_insert_with(|| {
                let mut col = vec![0.0; d];
                plan.xt_mul(cols.row(j), &mut col);
                col
            });
        }
        let k = active.len();
        let gram = Dense::from_fn(k, k, |a, b| xtx[&active[b]][active[a]]);
        let fac = SymFactor::new(&gram)?;
        degenerate |= fac.degenerate();
        let rhs: Vec<f64> = signs.iter().map(|s| 0.5 * nf * s).collect();
        let v = fac.solve(&rhs);
        // a = (2/n) XᵀX_A v: the rate at which the correlations change as λ decreases; and
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
        // interpolates: not an event. A column joins only while X_A has not reached the rank of X.
        let lam_cut = lam * (1.0 - 1e-9);
        let joinable = fac.rank() < rank;
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
        for (kk, &j) in active.iter().enumerate() {
            if v[kk] != 0.0 {
                let dl = -w[j] / v[kk];
                if dl > 0.0 {
                    leave_events.push((dl, j));
                }
            }
        }
        let min_join = join_p.iter().chain(join_m.iter()).copied().fold(f64::INFINITY, f64::min);
        let min_ev = leave_events.iter().map(|e| e.0).fold(min_join, f64::min);
        // Events below 1e-11·λ_max are rounding artefacts of a path that already interpolates on its
        // active set: go straight to λ = 0.
        if min_ev < step && lam - min_ev > 1e-11 * lmax {
            step = min_ev;
        }
        let has_event = step < lam;
        let new_lam = (lam - step).max(0.0);
        // w on the current active set at the new λ (no drift): G_A w_A = X_Aᵀy − (n/2)λ s_A.
        let rhs_w: Vec<f64> = active.iter().zip(&signs).map(|(&j, s)| xty[j] - 0.5 * nf * new_lam * s).collect();
        let wa = fac.solve(&rhs_w);
        for (kk, &j) in active.iter().enumerate() {
            w[j] = wa[kk];
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
        active.extend(joins.iter().map(|e| e.0));
        signs.extend(joins.iter().map(|e| e.1));
        lambdas.push(lam);
        coefs.push(w.clone());
        if active.is_empty() {
            return Err(Error::Numerical(format!("Lasso homotopy: the active set became empty at λ = {lam:e}")));
        }
    }
    if lambdas.last() != Some(&0.0) {
        return Err(Error::Numerical(format!(
            "Lasso homotopy: no end after {} breakpoints (λ = {lam:e}); the design may be too degenerate",
            lambdas.len()
        )));
    }
    Ok(Homotopy { path: finish(p, lambdas, coefs, certs, t0), active, signs, degenerate })
}

/// `Xᵀ(y − Xw) = Xᵀy − Σ_A w_j Xᵀx_j` from the homotopy's cached products (`w` vanishes off the active
/// set `A`), and the certificate of `(w, λ)`; `r` receives `y − Xw`.
fn cached_certificate(
    p: &Problem,
    xty: &[f64],
    xtx: &HashMap<usize, Vec<f64>>,
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
    sparse_residual(p, w, r);
    let l1 = L1 { positive: false };
    let cert = PathCertificate {
        kkt_violation: kkt_from_xtr(&l1, p.n(), &xtr, w, lam),
        duality_gap_abs: duality_gap_from(&l1, p, r, &xtr, w, lam),
    };
    (xtr, cert)
}

/// `r = y − Xw` using only the non-zeros of `w`.
pub(crate) fn sparse_residual(p: &Problem, w: &[f64], r: &mut Vec<f64>) {
    let xt = p.columns();
    r.clear();
    r.extend_from_slice(p.y());
    for (j, &wj) in w.iter().enumerate() {
        if wj != 0.0 {
            linalg::axpy(-wj, xt.row(j), r);
        }
    }
}

/// Assembles the path.
fn finish(
    p: &Problem,
    lambdas: Vec<f64>,
    coefs: Vec<Vec<f64>>,
    mut certificates: Vec<PathCertificate>,
    t0: std::time::Instant,
) -> Path {
    for k in certificates.len()..lambdas.len() {
        let mut r = Vec::with_capacity(p.n());
        sparse_residual(p, &coefs[k], &mut r);
        let mut xtr = vec![0.0; p.d()];
        p.xt_mul(&r, &mut xtr);
        let l1 = L1 { positive: false };
        certificates.push(PathCertificate {
            kkt_violation: kkt_from_xtr(&l1, p.n(), &xtr, &coefs[k], lambdas[k]),
            duality_gap_abs: duality_gap_from(&l1, p, &r, &xtr, &coefs[k], lambdas[k]),
        });
    }
    Path {
        kind: PathKind::Lasso,
        lambdas,
        coefs,
        certificates,
        method: "homotopy (LARS-lasso), exact breakpoints".into(),
        wall_seconds: t0.elapsed().as_secs_f64(),
    }
}
