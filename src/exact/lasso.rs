//! The Lasso in the sheet's convention `w_{1,λ} ∈ argmin R(w) + λ‖w‖₁`, `R(w) = (1/n)‖Xw − y‖²`
//! (scikit-learn's `alpha = λ/2`); `w = 0` iff `λ ≥ λ_max = (2/n)‖Xᵀy‖_∞`.
//!
//! Two solvers: the exact homotopy ([`super::homotopy`]) and cyclic coordinate descent on a grid with warm
//! starts, an active set with the sequential strong rule, and a duality-gap stop (optionally `w ≥ 0`).
//! Every point carries its KKT violation and duality gap ([`super::penalty`]).

use super::homotopy;
use super::path::{Path, PathCertificate, PathKind, check_lambdas};
use super::penalty::{L1, Penalty, duality_gap_from, kkt_from_xtr};
use crate::kernels::linalg;
use crate::problem::{GradPlan, Parallelism, Problem};
use crate::{Error, Result};

/// `λ_max = (2/n)‖Xᵀy‖_∞` (with `positive`: `(2/n) max_j (Xᵀy)_j`).
pub fn lambda_max(p: &Problem, positive: bool) -> f64 {
    let mut xty = vec![0.0; p.d()];
    GradPlan::new(p, Parallelism::Auto).xt_mul(p.y(), &mut xty);
    2.0 * L1 { positive }.lambda_max(&xty) / p.n() as f64
}

/// The smallest relative duality gap that is measurable (the gap's own rounding error is about
/// `ε·R(0)`): a tolerance below it is raised to it.
pub const GAP_FLOOR: f64 = 64.0 * f64::EPSILON;

/// Options of coordinate descent.
#[derive(Debug, Clone, Copy)]
pub struct CdOptions {
    /// Stop when the duality gap is `≤ max(gap_tol, GAP_FLOOR) · R(0)`.
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
    // y = 0 or X = 0 (or, with `positive`, no positive correlation): the solution is 0 for every λ ≥ 0.
    if lm <= 0.0 {
        return vec![0.0];
    }
    let mut g = linalg::logspace(lm * 1e-3, lm, k.max(1));
    g.reverse();
    g
}

/// The exact Lasso path: the homotopy's breakpoints when each passes its KKT check. Otherwise (a step too
/// ill-conditioned for the homotopy in floating point) the breakpoints before the first failed check are
/// kept — they are exact — and coordinate descent runs at the homotopy's remaining λ values, each point
/// certified by its duality gap; the method names the exact segments. A homotopy that stops (no direction
/// keeps the KKT conditions) falls back to coordinate descent on the default grid. Fails if neither
/// certifies.
pub fn lasso_path(p: &Problem) -> Result<Path> {
    let (exact_part, rest, why) = match homotopy::homotopy(p) {
        Ok(h) => match homotopy::certified(p, &h.path) {
            Ok(()) => return Ok(h.path),
            Err(e) => {
                let k = homotopy::first_uncertified(p, &h.path).unwrap_or(0);
                let mut rest = h.path.lambdas[k..].to_vec();
                rest.dedup();
                (Some((h.path, k)), rest, e.brief())
            }
        },
        Err(e @ Error::Interrupted) => return Err(e),
        Err(e) => (None, default_lasso_grid(p, 100, false), e.brief()),
    };
    let mut path = lasso_cd(p, &rest, CdOptions { gap_tol: 1e-14, ..Default::default() }).map_err(|e| {
        Error::CertificateFailed { solver: "Lasso path".into(), detail: format!("{why}; then {}", e.brief()) }
    })?;
    let scale = p.risk_at_zero().max(f64::MIN_POSITIVE);
    let lmax = lambda_max(p, false);
    if let Some(k) = path.certificates.iter().position(|c| {
        !(c.duality_gap_abs.is_some_and(|g| g <= 1e-12 * scale) && c.kkt_violation <= 1e-6 * lmax.max(1e-300))
    }) {
        return Err(Error::CertificateFailed {
            solver: "Lasso path (homotopy, then coordinate descent)".into(),
            detail: format!(
                "{why}; coordinate descent at λ = {:e} reaches only duality gap {:.3e} (KKT {:.3e})",
                rest[k],
                path.certificates[k].duality_gap_abs.unwrap_or(f64::NAN),
                path.certificates[k].kkt_violation
            ),
        });
    }
    match exact_part {
        Some((h, k)) if k > 0 => {
            let cut = h.lambdas[k - 1];
            path.method = format!(
                "exact homotopy breakpoints from λ = {:e} down to λ = {cut:e} ({k} breakpoints, linear between them); \
                 below, coordinate descent at the homotopy's {} remaining λ values (its check failed there: {why}), \
                 where the path is not guaranteed linear between points",
                h.lambdas[0],
                rest.len()
            );
            let mut lambdas = h.lambdas[..k].to_vec();
            let mut coefs = h.coefs[..k].to_vec();
            let mut certs = h.certificates[..k].to_vec();
            lambdas.append(&mut path.lambdas);
            coefs.append(&mut path.coefs);
            certs.append(&mut path.certificates);
            path.lambdas = lambdas;
            path.coefs = coefs;
            path.certificates = certs;
        }
        Some(_) => {
            path.method = format!(
                "coordinate descent at the homotopy's {} λ values (the homotopy failed its own check: {why}); \
                 between them the path is not guaranteed linear",
                rest.len()
            )
        }
        None => {
            path.method = format!(
                "coordinate descent on {} log-spaced λ values (the homotopy stopped: {why}); between them the \
                 path is not guaranteed linear",
                rest.len()
            )
        }
    }
    Ok(path)
}

/// Lasso on a grid by cyclic coordinate descent with warm starts (grid visited from the largest λ).
pub fn lasso_cd(p: &Problem, lambdas: &[f64], opts: CdOptions) -> Result<Path> {
    check_lambdas(lambdas)?;
    crate::error::non_negative("gap_tol", opts.gap_tol)?;
    let t0 = std::time::Instant::now();
    let (n, d) = (p.n(), p.d());
    let nf = n as f64;
    let pen = L1 { positive: opts.positive };
    let plan = GradPlan::new(p, Parallelism::Auto);
    let xt = p.columns(); // columns of X as rows
    let sq: Vec<f64> = (0..d).map(|j| linalg::dot(xt.row(j), xt.row(j))).collect();
    let mut order: Vec<usize> = (0..lambdas.len()).collect();
    order.sort_by(|&a, &b| lambdas[b].total_cmp(&lambdas[a]));
    let mut w = vec![0.0; d];
    let mut r = p.y().to_vec(); // y − Xw
    let mut coefs = vec![Vec::new(); lambdas.len()];
    let mut certs = vec![PathCertificate { kkt_violation: 0.0, duality_gap_abs: None }; lambdas.len()];
    let scale = p.risk_at_zero().max(f64::MIN_POSITIVE);
    let gap_tol = opts.gap_tol.max(GAP_FLOOR);
    // One cyclic pass over `set` (threshold a = nλ/2), keeping r = y − Xw; returns the largest scaled change.
    let pass = |set: &[usize], w: &mut [f64], r: &mut [f64], a: f64| -> f64 {
        let mut change = 0.0f64;
        for &j in set {
            let xj = xt.row(j);
            let old = w[j];
            let new = pen.prox(linalg::dot(xj, r) + sq[j] * old, a) / sq[j];
            if new != old {
                linalg::axpy(old - new, xj, r);
                w[j] = new;
                change = change.max((new - old).abs() * sq[j].sqrt());
            }
        }
        change
    };
    let mut xtr = vec![0.0; d];
    plan.xt_mul(&r, &mut xtr);
    let mut lam_prev = lambda_max(p, opts.positive);
    for &k in &order {
        crate::control::check()?;
        let lam = lambdas[k];
        let a = 0.5 * nf * lam;
        let mut sweeps = 0;
        // Working set: the non-zeros and the coordinates the sequential strong rule keeps
        // (|(2/n)x_jᵀr| ≥ 2λ − λ_prev); the KKT check on all coordinates adds any it missed.
        let thresh = 0.5 * nf * (2.0 * lam - lam_prev);
        let dual = |v: f64| if opts.positive { v } else { v.abs() };
        let mut in_set: Vec<bool> = (0..d).map(|j| w[j] != 0.0 || dual(xtr[j]) >= thresh).collect();
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
            super::homotopy::sparse_residual(p, &w, &mut r);
            plan.xt_mul(&r, &mut xtr);
            let mut grew = false;
            for j in 0..d {
                if !in_set[j] && dual(xtr[j]) > a {
                    in_set[j] = true;
                    grew = true;
                }
            }
            if grew && sweeps < opts.max_sweeps {
                continue;
            }
            let gap = duality_gap_from(&pen, p, &r, &xtr, &w, lam).unwrap_or(f64::NAN);
            if gap <= gap_tol * scale {
                // r and xtr were computed afresh from w: they certify this point.
                certs[k] =
                    PathCertificate { kkt_violation: kkt_from_xtr(&pen, n, &xtr, &w, lam), duality_gap_abs: Some(gap) };
                break;
            }
            if sweeps >= opts.max_sweeps {
                return Err(Error::CertificateFailed {
                    solver: "Lasso coordinate descent".into(),
                    detail: format!(
                        "at λ = {lam:e} the duality gap is {gap:.3e} after {sweeps} sweeps, above {:e}·R(0)",
                        gap_tol
                    ),
                });
            }
            // Not converged on the set: widen to every coordinate.
            in_set.iter_mut().for_each(|v| *v = true);
        }
        lam_prev = lam;
        coefs[k] = w.clone();
    }
    Ok(Path {
        kind: PathKind::Lasso,
        lambdas: lambdas.to_vec(),
        coefs,
        certificates: certs,
        method: format!(
            "coordinate descent, warm starts, gap ≤ {:e}·R(0){}",
            gap_tol,
            if opts.positive { ", w ≥ 0" } else { "" }
        ),
        wall_seconds: t0.elapsed().as_secs_f64(),
    })
}
