//! Reparametrised gradient descent ("diagonal linear network", SPEC §2): `w = u⊙u − v⊙v`,
//! `R̃(u, v) = R(w)/4`, `u ← u⊙(1 − η∇R(w)/2)`, `v ← v⊙(1 + η∇R(w)/2)`.

use super::md::{RunConfig, diverged};
use super::{Ending, ReparamInfo, RunResult, StepRule, metric_grad};
use crate::linalg::{self, norm_inf};
use crate::problem::Problem;
use crate::{Error, Result};
use std::time::Instant;

/// The safe step for `z = (u, v)`: `min(1/(L·maxᵢ(uᵢ² + vᵢ²) + ‖g‖_∞/2), 1/(2‖g‖_∞))`
/// (a bound on the curvature of `R̃` plus a cap on the multiplicative change of `u`, `v`).
pub fn safe_step_reparam(p: &Problem, u: &[f64], v: &[f64], g: &[f64]) -> f64 {
    let m = u.iter().zip(v).map(|(a, b)| a * a + b * b).fold(0.0, f64::max);
    let gi = norm_inf(g);
    let a = 1.0 / (p.smoothness() * m + 0.5 * gi).max(f64::MIN_POSITIVE);
    if gi > 0.0 { a.min(0.5 / gi) } else { a }
}

/// `w = u⊙u − v⊙v`.
pub fn w_of(u: &[f64], v: &[f64], w: &mut [f64]) {
    for i in 0..w.len() {
        w[i] = u[i] * u[i] - v[i] * v[i];
    }
}

/// Reparametrised GD from `u₀ = v₀ = α1`.
pub fn run_reparam_alpha(p: &Problem, alpha: f64, cfg: &RunConfig) -> Result<RunResult> {
    crate::potential::check_alpha(alpha)?;
    let u0 = vec![alpha; p.d()];
    let mut r = run_reparam(p, &u0, &u0, cfg)?;
    r.alpha = Some(alpha);
    Ok(r)
}

/// Reparametrised GD from `(u₀, v₀)`; `StepRule::Auto` is the safe rule re-evaluated per step.
pub fn run_reparam(p: &Problem, u0: &[f64], v0: &[f64], cfg: &RunConfig) -> Result<RunResult> {
    let (n, d) = (p.n(), p.d());
    if u0.len() != d || v0.len() != d {
        return Err(Error::Param(format!("u0 and v0 must have length d = {d}")));
    }
    if !linalg::all_finite(u0) || !linalg::all_finite(v0) {
        return Err(Error::Param("u0 and v0 must be finite".into()));
    }
    let start = Instant::now();
    let stop = cfg.stop;
    let (mut u, mut v) = (u0.to_vec(), v0.to_vec());
    let mut w = vec![0.0; d];
    w_of(&u, &v, &mut w);
    let mut r = vec![0.0; n];
    let mut g = vec![0.0; d];
    let risk0 = p.risk_at_zero();
    let g_zero_inf = norm_inf(&p.grad(&vec![0.0; d]));
    let mut risk = p.grad_step(&w, &mut r, &mut g);
    let risk_start = risk;
    let eta_safe0 = safe_step_reparam(p, &u, &v, &g);
    let mut rec = cfg.recorder();
    let (mut eta_first, mut eta_min, mut eta_max) = (f64::NAN, f64::INFINITY, 0.0f64);
    let mut k = 0usize;
    let mut rise_streak = 0usize;
    let uv = |u: &[f64], v: &[f64]| -> Vec<f64> { u.iter().zip(v).map(|(a, b)| a * b).collect() };
    let reason;
    loop {
        if rec.wants(k) {
            rec.record(k, &w, risk, Some(uv(&u, &v)));
        }
        if !risk.is_finite() || !linalg::all_finite(&w) {
            return Err(diverged(k, cfg.step, eta_max, eta_safe0, risk_start, risk));
        }
        let mg = || metric_grad(u.iter().zip(&v).map(|(a, b)| a * a + b * b), &g);
        if let Some(why) = stop.check(k, risk, risk0, mg, g_zero_inf, &start) {
            reason = why;
            break;
        }
        let eta = match cfg.step {
            StepRule::Fixed(e) => e,
            StepRule::Safe | StepRule::Auto | StepRule::Lbfgs => safe_step_reparam(p, &u, &v, &g),
        };
        if eta_first.is_nan() {
            eta_first = eta;
        }
        eta_min = eta_min.min(eta);
        eta_max = eta_max.max(eta);
        let h = 0.5 * eta;
        if p.splits() {
            // Large problems: the two halves of the coordinates on two cores.
            let m = d / 2;
            let (ua, ub) = u.split_at_mut(m);
            let (va, vb) = v.split_at_mut(m);
            let (wa, wb) = w.split_at_mut(m);
            let (ga, gb) = g.split_at(m);
            crate::par::join(|| update(h, ga, ua, va, wa), || update(h, gb, ub, vb, wb));
        } else {
            update(h, &g, &mut u, &mut v, &mut w);
        }
        let risk_old = risk;
        risk = p.grad_step(&w, &mut r, &mut g);
        k += 1;
        if risk > risk_old * (1.0 + 1e-12) {
            rise_streak += 1;
            if rise_streak >= 100 || risk > 1e12 * risk_start.max(risk0) {
                return Err(diverged(k, cfg.step, eta, eta_safe0, risk_start, risk));
            }
        } else {
            rise_streak = 0;
        }
    }
    rec.record(k, &w, risk, Some(uv(&u, &v)));
    let info = reparam_info(p, u0, v0, &u, &v)?;
    Ok(Ending {
        algorithm: "reparam",
        potential: "hyperbolic".into(),
        rule: cfg.step,
        etas: (eta_first, eta_min, eta_max),
        iterations: k,
        grad_evals: k + 1,
        reason,
        risk,
        risk0,
        w,
        start,
        checkpoints: rec.points,
        reparam: Some(info),
    }
    .into())
}

/// One step `u ← u⊙(1 − h·g)`, `v ← v⊙(1 + h·g)`, `w = u⊙u − v⊙v` with `h = η/2`.
#[inline]
fn update(h: f64, g: &[f64], u: &mut [f64], v: &mut [f64], w: &mut [f64]) {
    for i in 0..g.len() {
        let gi = h * g[i];
        u[i] *= 1.0 - gi;
        v[i] *= 1.0 + gi;
        w[i] = u[i] * u[i] - v[i] * v[i];
    }
}

/// Diagnostics of SPEC §8: effective scale `√(u⊙v)` relative to `√(u₀⊙v₀)` and the drift of
/// `θ = ln(u/v)` out of `range(Xᵀ)`.
pub fn reparam_info(p: &Problem, u0: &[f64], v0: &[f64], u: &[f64], v: &[f64]) -> Result<ReparamInfo> {
    let d = u.len();
    let uv_final: Vec<f64> = (0..d).map(|i| u[i] * v[i]).collect();
    let ratios: Vec<f64> = (0..d).map(|i| (uv_final[i] / (u0[i] * v0[i])).abs().sqrt()).collect();
    let dtheta: Vec<f64> = (0..d).map(|i| (u[i] / v[i]).abs().ln() - (u0[i] / v0[i]).abs().ln()).collect();
    let out = if linalg::all_finite(&dtheta) { p.outside_row_space(&dtheta)? } else { f64::NAN };
    Ok(ReparamInfo {
        uv_final,
        a_ratio_min: ratios.iter().copied().fold(f64::INFINITY, f64::min),
        a_ratio_max: ratios.iter().copied().fold(0.0, f64::max),
        theta_outside_range: out,
    })
}
