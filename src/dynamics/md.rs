//! Discrete mirror descent `θ_{t+1} = θ_t − η_t∇R(w_t)`, `w_t = (∇ψ)⁻¹(θ_t)`, for any potential;
//! gradient descent (Euclidean ψ) and exponentiated gradient (negative entropy) are instances.

use super::{Ending, Recorder, RunResult, StepRule, StopReason, StopRule, metric_grad};
use crate::linalg::{self, norm_inf};
use crate::potential::{Euclidean, NegEntropy, Potential};
use crate::problem::Problem;
use crate::{Error, Result};
use std::time::Instant;

/// Options of a discrete run.
#[derive(Debug, Clone, Copy)]
pub struct RunConfig {
    /// Step-size rule.
    pub step: StepRule,
    /// Stopping rule.
    pub stop: StopRule,
    /// Number of log-spaced checkpoints.
    pub checkpoints: usize,
    /// Record every iterate instead (memory grows with the run).
    pub record_every: bool,
}

impl Default for RunConfig {
    fn default() -> Self {
        RunConfig { step: StepRule::Auto, stop: StopRule::default(), checkpoints: 40, record_every: false }
    }
}

impl RunConfig {
    pub(crate) fn recorder(&self) -> Recorder {
        if self.record_every { Recorder::every() } else { Recorder::log_spaced(self.checkpoints, self.stop.max_iter) }
    }
}

/// Armijo constant and memory of the non-monotone line search.
const ARMIJO: f64 = 1e-4;
const MEMORY: usize = 10;
/// Largest dual move `η‖∇R‖_∞` of one step: keeps `c·sinh θ` from overflowing.
const MAX_DUAL_MOVE: f64 = 5.0;

/// The safe step of SPEC §6: `min(1/(L·maxᵢ hᵢ(w)), 1/(2‖g‖_∞))`, `hᵢ = 1/ψᵢ''(wᵢ)`.
pub fn safe_step<P: Potential + ?Sized>(p: &Problem, pot: &P, w: &[f64], g: &[f64]) -> f64 {
    let hmax = w.iter().enumerate().map(|(i, &x)| pot.inv_hess_i(i, x)).fold(0.0, f64::max);
    let lip = p.smoothness().max(f64::MIN_POSITIVE);
    let a = 1.0 / (lip * hmax.max(f64::MIN_POSITIVE));
    let gi = norm_inf(g);
    if gi > 0.0 { a.min(0.5 / gi) } else { a }
}

/// Gradient descent from `w₀ = 0` (mirror descent with the Euclidean potential).
pub fn run_gd(p: &Problem, cfg: &RunConfig) -> Result<RunResult> {
    let mut r = run_md(p, &Euclidean, &vec![0.0; p.d()], cfg)?;
    r.algorithm = "gd".into();
    Ok(r)
}

/// Exponentiated gradient `w_{t+1} = w_t ⊙ exp(−η∇R(w_t))` from `w₀ > 0` (negative entropy).
pub fn run_eg(p: &Problem, w0: &[f64], cfg: &RunConfig) -> Result<RunResult> {
    if let Some(i) = w0.iter().position(|&x| !(x.is_finite() && x > 0.0)) {
        return Err(Error::Param(format!(
            "exponentiated gradient needs w0 > 0 in every coordinate; w0[{i}] = {}",
            w0[i]
        )));
    }
    let mut r = run_md(p, &NegEntropy, w0, cfg)?;
    r.algorithm = "eg".into();
    Ok(r)
}

/// Mirror descent with potential `pot` from `w0`.
pub fn run_md<P: Potential + ?Sized>(p: &Problem, pot: &P, w0: &[f64], cfg: &RunConfig) -> Result<RunResult> {
    let (n, d) = (p.n(), p.d());
    if w0.len() != d {
        return Err(Error::Param(format!("w0 has length {} but d = {d}", w0.len())));
    }
    if let Some(i) = (0..d).find(|&i| !pot.in_domain(i, w0[i])) {
        return Err(Error::Param(format!("w0[{i}] = {} is outside the domain of the {} potential", w0[i], pot.name())));
    }
    if cfg.step == StepRule::Lbfgs {
        return run_md_lbfgs(p, pot, w0, cfg);
    }
    let start = Instant::now();
    let stop = cfg.stop;
    let mut theta = pot.grad(w0);
    let mut w: Vec<f64> = w0.to_vec();
    let mut r = vec![0.0; n];
    let mut g = vec![0.0; d];
    let mut theta_new = vec![0.0; d];
    let mut w_new = vec![0.0; d];
    let mut r_old = vec![0.0; n];
    let risk0 = p.risk_at_zero();
    let g_zero_inf = norm_inf(&p.grad(&vec![0.0; d]));
    let mut risk = p.grad_step(&w, &mut r, &mut g);
    let risk_start = risk;
    let eta_safe0 = safe_step(p, pot, &w, &g);
    let mut rec = cfg.recorder();
    let mut grad_evals = 1usize;
    let (mut eta_first, mut eta_min, mut eta_max) = (f64::NAN, f64::INFINITY, 0.0f64);
    let mut k = 0usize;
    // Non-monotone line search state: the last merit values relative to the current one
    // (kept as small differences so that decreases far below the merit's own ulp still count).
    let mut f_hist: Vec<f64> = vec![0.0];
    let mut eta_prop = eta_safe0;
    let mut bb_flip = false;
    // The dual objective is a valid merit function only when an interpolator exists (rank X = n);
    // otherwise the risk itself is used.
    let dual_merit = p.rank() == n;
    let mut dw = vec![0.0; d];
    let mut g_old = vec![0.0; d];
    let mut xdw = vec![0.0; n];
    let mut rise_streak = 0usize;
    let reason;
    loop {
        if rec.wants(k) {
            rec.record(k, &w, risk, None);
        }
        // A non-finite iterate makes the residual, hence the risk, non-finite.
        if !risk.is_finite() {
            return Err(diverged(k, cfg.step, eta_max, eta_safe0, risk_start, risk));
        }
        let mg = || metric_grad(w.iter().enumerate().map(|(i, &x)| pot.inv_hess_i(i, x)), &g);
        if let Some(why) = stop.check(k, risk, risk0, mg, g_zero_inf, &start) {
            reason = why;
            break;
        }
        let auto = cfg.step == StepRule::Auto;
        let eta = match cfg.step {
            StepRule::Fixed(e) => {
                if p.splits() {
                    // Large problems: the two halves of the coordinates on two cores.
                    let h = d / 2;
                    let (ta, tb) = theta.split_at(h);
                    let (ga, gb) = g.split_at(h);
                    let (tna, tnb) = theta_new.split_at_mut(h);
                    let (wna, wnb) = w_new.split_at_mut(h);
                    crate::par::join(
                        || step_into(pot, 0, ta, ga, e, tna, wna),
                        || step_into(pot, h, tb, gb, e, tnb, wnb),
                    );
                } else {
                    step_into(pot, 0, &theta, &g, e, &mut theta_new, &mut w_new);
                }
                e
            }
            StepRule::Safe | StepRule::Lbfgs => {
                let e = safe_step(p, pot, &w, &g);
                step_into(pot, 0, &theta, &g, e, &mut theta_new, &mut w_new);
                e
            }
            StepRule::Auto => {
                let ginf = norm_inf(&g);
                let cap = if ginf > 0.0 { MAX_DUAL_MOVE / ginf } else { f64::INFINITY };
                let mut e = eta_prop.min(cap);
                let f_ref = f_hist.iter().copied().fold(0.0, f64::max);
                let mut tries = 0;
                loop {
                    step_into(pot, 0, &theta, &g, e, &mut theta_new, &mut w_new);
                    // Exact change of the merit function, without cancellation:
                    // dual F: ΔF = Σ D_ψ*(θ − ηg, θ) − 2ηR(w);  risk: ΔR = ⟨g, Δw⟩ + ‖XΔw‖²/n.
                    let (df, slope) = if dual_merit {
                        let dstar: f64 = (0..d).map(|i| pot.conj_bregman_i(i, theta[i], -e * g[i])).sum();
                        (dstar - 2.0 * e * risk, -2.0 * e * risk)
                    } else {
                        for i in 0..d {
                            dw[i] = w_new[i] - w[i];
                        }
                        let gdw = linalg::dot(&g, &dw);
                        (gdw + p.x_norm2(&dw, &mut xdw) / n as f64, gdw)
                    };
                    let ok = df.is_finite() && linalg::all_finite(&w_new) && df <= f_ref + ARMIJO * slope;
                    if ok {
                        f_hist.iter_mut().for_each(|v| *v -= df);
                        break;
                    }
                    tries += 1;
                    if tries > 200 || e == 0.0 {
                        return Err(Error::Numerical(format!(
                            "mirror descent line search failed at iteration {k} (risk {risk:e}); the problem may be too ill-conditioned"
                        )));
                    }
                    e *= 0.5;
                }
                e
            }
        };
        if eta_first.is_nan() {
            eta_first = eta;
        }
        eta_min = eta_min.min(eta);
        eta_max = eta_max.max(eta);
        // ⟨Δθ, Δw⟩ for the Barzilai–Borwein proposal (auto rule only).
        let mut sty = 0.0;
        if auto {
            r_old.copy_from_slice(&r);
            g_old.copy_from_slice(&g);
            for i in 0..d {
                sty += (theta_new[i] - theta[i]) * (w_new[i] - w[i]);
            }
        }
        std::mem::swap(&mut theta, &mut theta_new);
        std::mem::swap(&mut w, &mut w_new);
        let risk_old = risk;
        risk = p.grad_step(&w, &mut r, &mut g);
        grad_evals += 1;
        k += 1;
        if auto {
            f_hist.push(0.0);
            if f_hist.len() > MEMORY {
                f_hist.remove(0);
            }
            // BB1 / BB2 on the dual variable μ (θ = θ₀ + Xᵀμ), alternated.
            let mut dr2 = 0.0;
            for i in 0..n {
                let t = r[i] - r_old[i];
                dr2 += t * t;
            }
            let prop = if dual_merit {
                if sty > 0.0 {
                    if bb_flip {
                        2.0 * eta * eta * risk_old / sty
                    } else {
                        0.5 * n as f64 * sty / dr2.max(f64::MIN_POSITIVE)
                    }
                } else {
                    eta * 2.0
                }
            } else {
                // Barzilai–Borwein in θ-space with Δg = ∇R(w_{t+1}) − ∇R(w_t).
                let (mut tt, mut tg, mut gg) = (0.0, 0.0, 0.0);
                for i in 0..d {
                    let dt = -eta * g_old[i];
                    let dg = g[i] - g_old[i];
                    tt += dt * dt;
                    tg += dt * dg;
                    gg += dg * dg;
                }
                let _ = gg;
                // Without a dual merit function, long BB steps can stall on boundary solutions
                // (entropy): keep them within [1, 10]× the current safe step.
                let safe = safe_step(p, pot, &w, &g);
                (if tg > 0.0 { tt / tg } else { eta * 2.0 }).clamp(safe, 10.0 * safe)
            };
            bb_flip = !bb_flip;
            eta_prop = if !(prop.is_finite() && prop > 0.0) {
                eta
            } else if dual_merit {
                prop.clamp(eta * 1e-3, eta * 1e4)
            } else {
                prop
            };
        } else if risk > risk_old * (1.0 + 1e-12) {
            rise_streak += 1;
            if rise_streak >= 100 || risk > 1e12 * risk_start.max(risk0) {
                return Err(diverged(k, cfg.step, eta, eta_safe0, risk_start, risk));
            }
        } else {
            rise_streak = 0;
        }
    }
    rec.record(k, &w, risk, None);
    Ok(Ending {
        algorithm: "md",
        potential: pot.name().into(),
        rule: cfg.step,
        etas: (eta_first, eta_min, eta_max),
        iterations: k,
        grad_evals,
        reason,
        risk,
        risk0,
        w,
        start,
        checkpoints: rec.points,
        reparam: None,
    }
    .into())
}

/// `θ' = θ − ηg`, `w' = (∇ψ)⁻¹(θ')` on the coordinates `start..start + θ.len()`.
#[inline]
fn step_into<P: Potential + ?Sized>(
    pot: &P,
    start: usize,
    theta: &[f64],
    g: &[f64],
    eta: f64,
    theta_new: &mut [f64],
    w_new: &mut [f64],
) {
    for ((t, &a), &b) in theta_new.iter_mut().zip(theta).zip(g) {
        *t = a - eta * b;
    }
    pot.inv_grad_range(start, theta_new, w_new);
}

pub(crate) fn diverged(k: usize, rule: StepRule, eta: f64, safe: f64, r0: f64, r: f64) -> Error {
    Error::Diverged(format!(
        "the run diverged at iteration {k} with step size η = {eta:e} (rule {}): risk went from {r0:e} to {r:e}; \
         a safe step for this problem is η ≤ {safe:e}; use a smaller --eta or --eta auto",
        rule.label()
    ))
}

/// Memory of the dual L-BFGS rule.
const LBFGS_MEMORY: usize = 12;

/// Mirror descent with dual L-BFGS directions: `θ ← θ + t·Xᵀd`, where `d ∈ Rⁿ` comes from the
/// two-loop recursion on the last dual steps `Δμ` and dual gradients `Δ(Xw − y)`. Mirror descent is
/// gradient descent on `F(μ) = Σψ*(θ₀ + Xᵀμ) − μᵀy`; any update of the form `θ ← θ − Xᵀ(·)` keeps
/// `θ − θ₀ ∈ range(Xᵀ)`, so the limit is the same Bregman projection. Needs `rank X = n`.
pub(crate) fn run_md_lbfgs<P: Potential + ?Sized>(
    p: &Problem,
    pot: &P,
    w0: &[f64],
    cfg: &RunConfig,
) -> Result<RunResult> {
    let (n, d) = (p.n(), p.d());
    if p.rank() < n {
        return Err(Error::Param(format!(
            "the lbfgs step rule works on the dual of mirror descent, which needs an interpolator (rank X = n); here rank X = {} < n = {n}: use --eta auto",
            p.rank()
        )));
    }
    let start = Instant::now();
    let stop = cfg.stop;
    let mut theta = pot.grad(w0);
    let mut w = w0.to_vec();
    let mut r = p.residual(&w);
    let risk0 = p.risk_at_zero();
    let nf = n as f64;
    let mut risk = linalg::dot(&r, &r) / nf;
    let mut rec = cfg.recorder();
    let g0 = p.grad(&w);
    let eta_safe0 = safe_step(p, pot, &w, &g0);
    let g_zero_inf = norm_inf(&p.grad(&vec![0.0; d]));
    let mut mem_s: Vec<Vec<f64>> = Vec::new();
    let mut mem_y: Vec<Vec<f64>> = Vec::new();
    let mut dir = vec![0.0; n];
    let mut dtheta = vec![0.0; d];
    let mut theta_new = vec![0.0; d];
    let mut w_new = vec![0.0; d];
    let mut r_new = vec![0.0; n];
    let (mut t_first, mut t_min, mut t_max) = (f64::NAN, f64::INFINITY, 0.0f64);
    let mut grad_evals = 1usize;
    let mut k = 0usize;
    let reason;
    loop {
        if rec.wants(k) {
            rec.record(k, &w, risk, None);
        }
        if !risk.is_finite() {
            return Err(diverged(k, cfg.step, t_max, eta_safe0, risk0, risk));
        }
        let mg = || metric_grad(w.iter().enumerate().map(|(i, &x)| pot.inv_hess_i(i, x)), &p.grad(&w));
        if let Some(why) = stop.check(k, risk, risk0, mg, g_zero_inf, &start) {
            reason = why;
            break;
        }
        // Two-loop recursion: dir = −H r.
        dir.iter_mut().zip(&r).for_each(|(a, b)| *a = -b);
        let m = mem_s.len();
        let mut alphas = vec![0.0; m];
        for i in (0..m).rev() {
            let rho = 1.0 / linalg::dot(&mem_y[i], &mem_s[i]);
            alphas[i] = rho * linalg::dot(&mem_s[i], &dir);
            linalg::axpy(-alphas[i], &mem_y[i], &mut dir);
        }
        let gamma = if m > 0 {
            linalg::dot(&mem_s[m - 1], &mem_y[m - 1]) / linalg::dot(&mem_y[m - 1], &mem_y[m - 1])
        } else {
            2.0 * eta_safe0 / nf
        };
        dir.iter_mut().for_each(|v| *v *= gamma);
        for i in 0..m {
            let rho = 1.0 / linalg::dot(&mem_y[i], &mem_s[i]);
            let beta = rho * linalg::dot(&mem_y[i], &dir);
            linalg::axpy(alphas[i] - beta, &mem_s[i], &mut dir);
        }
        let mut slope = linalg::dot(&r, &dir);
        if slope.is_nan() || slope >= 0.0 {
            mem_s.clear();
            mem_y.clear();
            dir.iter_mut().zip(&r).for_each(|(a, b)| *a = -2.0 * eta_safe0 / nf * b);
            slope = linalg::dot(&r, &dir);
        }
        p.xt_mul(&dir, &mut dtheta);
        let dinf = norm_inf(&dtheta);
        let mut t = if dinf * 1.0 > MAX_DUAL_MOVE { MAX_DUAL_MOVE / dinf } else { 1.0 };
        let mut tries = 0;
        loop {
            let mut dstar = 0.0;
            for i in 0..d {
                theta_new[i] = theta[i] + t * dtheta[i];
                w_new[i] = pot.inv_grad_i(i, theta_new[i]);
                dstar += pot.conj_bregman_i(i, theta[i], t * dtheta[i]);
            }
            let df = dstar + t * slope;
            if df.is_finite() && linalg::all_finite(&w_new) && df <= ARMIJO * t * slope {
                break;
            }
            tries += 1;
            if tries > 100 {
                // No measurable decrease: the dual is minimised to working precision.
                reason = StopReason::GradientTolerance;
                rec.record(k, &w, risk, None);
                return Ok(lbfgs_end(
                    pot,
                    cfg,
                    w,
                    (risk, risk0),
                    (k, grad_evals),
                    reason,
                    (t_first, t_min, t_max),
                    start,
                    rec,
                ));
            }
            t *= 0.5;
        }
        if t_first.is_nan() {
            t_first = t;
        }
        t_min = t_min.min(t);
        t_max = t_max.max(t);
        p.residual_into(&w_new, &mut r_new);
        grad_evals += 1;
        let s: Vec<f64> = dir.iter().map(|v| t * v).collect();
        let yv: Vec<f64> = r_new.iter().zip(&r).map(|(a, b)| a - b).collect();
        if linalg::dot(&s, &yv) > 1e-300 {
            if mem_s.len() == LBFGS_MEMORY {
                mem_s.remove(0);
                mem_y.remove(0);
            }
            mem_s.push(s);
            mem_y.push(yv);
        }
        std::mem::swap(&mut theta, &mut theta_new);
        std::mem::swap(&mut w, &mut w_new);
        std::mem::swap(&mut r, &mut r_new);
        risk = linalg::dot(&r, &r) / nf;
        k += 1;
    }
    rec.record(k, &w, risk, None);
    Ok(lbfgs_end(pot, cfg, w, (risk, risk0), (k, grad_evals), reason, (t_first, t_min, t_max), start, rec))
}

#[allow(clippy::too_many_arguments)]
fn lbfgs_end<P: Potential + ?Sized>(
    pot: &P,
    cfg: &RunConfig,
    w: Vec<f64>,
    (risk, risk0): (f64, f64),
    (iterations, grad_evals): (usize, usize),
    reason: StopReason,
    etas: (f64, f64, f64),
    start: Instant,
    rec: Recorder,
) -> RunResult {
    Ending {
        algorithm: "md",
        potential: pot.name().into(),
        rule: cfg.step,
        etas,
        iterations,
        grad_evals,
        reason,
        risk,
        risk0,
        w,
        start,
        checkpoints: rec.points,
        reparam: None,
    }
    .into()
}
