//! Bregman projection `argmin_{Xw = y} D_ψ(w, w₀)` (SPEC §4) by damped Newton on the dual
//! `F(μ) = Σ ψ*(θ₀ + Xᵀμ) − μᵀy`, `w = (∇ψ)⁻¹(θ₀ + Xᵀμ)`: `∇F = Xw − y`, `∇²F = X diag(ψ*''(θ)) Xᵀ`.
//!
//! Survives the extreme scales (`c = 2α²` from `2e-200` to `2e6`, Hessian entries spanning 40 orders) by
//! three devices: the step is capped so that `θ` moves by at most 20 per iteration, the Armijo test uses
//! `F(μ+tΔ) − F(μ) = Σ D_{ψ*}(θ + tδ, θ) + t⟨Xw − y, Δ⟩` (no cancellation), and the Newton system gets a
//! relative diagonal shift when its Cholesky factorisation fails. The stop is scale-invariant:
//! `‖Xw − y‖ ≤ tol·(‖y‖ + σ_max‖w‖)` (multiplying `y` or `X` by any factor changes nothing). The result is
//! exactly the limit of mirror descent from `w₀`: `θ − θ₀ = Xᵀμ` holds by construction and `Xw = y` is
//! the certificate (the dual gradient).

use super::{Certificate, Solution};
use crate::kernels::linalg::{self, Dense};
use crate::potential::{Potential, PotentialKind};
use crate::problem::{GradPlan, Parallelism, Problem};
use crate::{Error, Result};
use std::time::Instant;

/// Options of the dual Newton solver.
#[derive(Debug, Clone, Copy)]
pub struct BregmanOptions {
    /// Stop when `‖Xw − y‖ ≤ tol·(‖y‖ + σ_max‖w‖)`.
    pub tol: f64,
    /// Iteration cap.
    pub max_iter: usize,
    /// Largest move of `θ` (∞-norm) per iteration.
    pub max_move: f64,
    /// Largest accepted a-posteriori forward error `‖δw‖/‖w‖` (one more Newton correction; relative).
    pub forward_tol: f64,
    /// Screening of the global phase's Newton matrices: coordinates whose metric is below `screen` times the
    /// largest (beyond the `2n` largest) stand in as their trace on the diagonal while `‖Xw − y‖` exceeds 1e-3
    /// of its scale (0: every matrix exact). It changes the path to the projection, not the projection.
    pub screen: f64,
}

impl Default for BregmanOptions {
    fn default() -> Self {
        BregmanOptions { tol: 1e-13, max_iter: 500, max_move: 20.0, forward_tol: 1e-9, screen: 1e-6 }
    }
}

/// The Bregman projection of `w₀` onto `{Xw = y}` for the potential `pot`, with its certificate and dual `μ`.
pub fn bregman_projection<P: Potential + ?Sized>(
    p: &Problem,
    pot: &P,
    w0: &[f64],
    opts: BregmanOptions,
) -> Result<Solution> {
    let t0 = Instant::now();
    let (w, mu, cert) = bregman_dual_newton(p, pot, w0, None, opts)?;
    let mut s = Solution::new(
        &format!("Bregman projection ({}, dual Newton)", pot.name()),
        p,
        w,
        cert,
        t0.elapsed().as_secs_f64(),
    );
    s.dual = Some(mu);
    Ok(s)
}

/// The dual Newton solver; returns `w`, the dual `μ` and the certificate. `mu0` warm-starts the dual.
pub fn bregman_dual_newton<P: Potential + ?Sized>(
    p: &Problem,
    pot: &P,
    w0: &[f64],
    mu0: Option<&[f64]>,
    opts: BregmanOptions,
) -> Result<(Vec<f64>, Vec<f64>, Certificate)> {
    let (n, d) = (p.n(), p.d());
    if w0.len() != d {
        return Err(Error::param("w0", format!("has length {} but d = {d}", w0.len())));
    }
    if let Some(i) = (0..d).find(|&i| !pot.in_domain(i, w0[i])) {
        let hint = if pot.kind() == PotentialKind::Entropy { " (the entropy needs w0 > 0)" } else { "" };
        return Err(Error::param(
            "w0",
            format!("w0[{i}] = {} is outside the domain of the {} potential{hint}", w0[i], pot.name()),
        ));
    }
    crate::io::require_memory("the dual Newton system", 8.0 * (n * d + 3 * n * n) as f64)?;
    let plan = GradPlan::new(p, Parallelism::Auto);
    let theta0 = pot.grad(w0);
    let mut mu = mu0.map(|m| m.to_vec()).unwrap_or_else(|| vec![0.0; n]);
    let mut theta = theta0.clone();
    let mut xtmu = vec![0.0; d];
    plan.xt_mul(&mu, &mut xtmu);
    for i in 0..d {
        theta[i] = theta0[i] + xtmu[i];
    }
    let mut w = vec![0.0; d];
    pot.inv_grad_into(&theta, &mut w);
    let ny = linalg::norm2(p.y());
    let smax = p.sigma().first().copied().unwrap_or(0.0);
    let mut r = p.residual(&w);
    let mut h = vec![0.0; d];
    let mut hess = Dense::zeros(n, n);
    let mut pooled = PooledScratch(GRAM_SCRATCH.with_borrow_mut(std::mem::take));
    let gram_scratch = &mut pooled.0;
    let mut delta_theta = vec![0.0; d];
    let mut theta_new = vec![0.0; d];
    let mut w_new = vec![0.0; d];
    let mut last_decrement = f64::NAN;
    // The cap on θ's move: `max_move`, or a quarter of a bounded dual domain when that is wider.
    let half_width = (0..d)
        .map(|i| {
            let (a, b) = pot.dual_domain_i(i);
            0.5 * (b - a)
        })
        .fold(f64::INFINITY, f64::min);
    let max_move = if half_width.is_finite() { opts.max_move.max(0.25 * half_width) } else { opts.max_move };
    let entropy_hint = if pot.kind() == PotentialKind::Entropy {
        "; for the entropy potential the set {Xw = y, w > 0} may be empty"
    } else {
        ""
    };
    let (mut best_res, mut since_best) = (f64::INFINITY, 0usize);
    let mut kept: Option<KeptFactor> = None;
    // The screened coordinates' list, and (once screening is used) the squared column norms and a mask.
    let mut kept_idx: Vec<usize> = Vec::new();
    let mut screen_scratch: Option<(Vec<f64>, Vec<bool>)> = None;
    for it in 0..=opts.max_iter {
        crate::control::check()?;
        if !linalg::all_finite(&w) {
            return Err(Error::Numerical(format!("Bregman projection: the iterate overflowed at iteration {it}")));
        }
        let res = linalg::norm2(&r);
        let scale = ny + smax * linalg::norm2(&w);
        // Newton direction at the current iterate: H Δ = −(Xw − y), H = X diag(h) Xᵀ = B·Bᵀ, B = X·diag(√h).
        // The metric h is scaled by e^{−s} (s = max ln h, in log scale: h can underflow at tiny α), so the
        // system solved is H̃Δ̃ = −r with H = e^{s}H̃, and the full Newton step along Δ̃ is t = e^{−s}.
        pot.conj_hess_into(&theta, &w, &mut h);
        // The precision w can have: a relative error ε in θ moves w by ε·|θ|ψ*''(θ)/|w| (relative). For the
        // hyperbolic entropy that factor is θ·coth θ (≲ 50); for depth D it reaches α^{2−D}. ψ*''(θ) is the
        // metric just computed (where it is a positive finite number, else its scalar form).
        let wmax = linalg::norm_inf(&w);
        let kappa = (0..d)
            .filter(|&i| w[i].abs() > 1e-3 * wmax)
            .map(|i| {
                let hi = if h[i] > 0.0 && h[i].is_finite() { h[i] } else { pot.conj_hess_i(i, theta[i]) };
                theta[i].abs() * hi / w[i].abs()
            })
            .fold(1.0, f64::max);
        let tol = opts.tol.max(16.0 * f64::EPSILON * kappa);
        let (hmin, hmax) = h.iter().fold((f64::INFINITY, 0.0f64), |m, &v| (m.0.min(v), m.1.max(v)));
        let s_log = if hmin > 1e-250 && hmax < 1e250 {
            0.0
        } else {
            for i in 0..d {
                h[i] = pot.ln_inv_hess_i(i, w[i]);
            }
            let s = h.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            for v in h.iter_mut() {
                *v = (*v - s).exp();
            }
            s
        };
        // The metric's common value when every coordinate has the same (in the scale the system is solved in).
        let uniform = h.first().copied().filter(|&h0| h0 > 0.0 && h0.is_finite() && h.iter().all(|&v| v == h0));
        let neg_g: Vec<f64> = r.iter().map(|v| -v).collect();
        // The Newton system's accuracy (inexact Newton): its residual may add at most a hundredth of the stopping
        // tolerance to the next residual of Xw = y, within [1e-12, 1e-3] relative.
        let eta = (1e-2 * tol * scale / res.max(f64::MIN_POSITIVE)).clamp(1e-12, 1e-3);
        let reused = match (&kept, s_log == 0.0) {
            (Some(k), true) => k.newton_direction(p, &plan, &h, &neg_g, eta),
            _ => None,
        };
        let dir = match reused {
            Some(dir) => dir,
            None => {
                // Far from the solution (the global phase: ‖Xw − y‖ above 1e-3 of its scale) the Newton matrix is
                // screened: the coordinates with h_j < screen·max h, beyond the 2n largest (fewer, and σ·I would
                // stand for whole directions of H), are replaced by σ·I, σ = Σ h_j‖x_j‖²/n over them (their trace).
                // Any positive-definite matrix gives a descent direction, and the line search and the certificate
                // (the residual of Xw = y) are the same; near the solution the matrix is exact.
                let screened = if uniform.is_none()
                    && opts.screen > 0.0
                    && s_log == 0.0
                    && res > 1e-3 * scale
                    && 5 * (2 * n) < 4 * d
                {
                    kept_idx.clear();
                    kept_idx.extend((0..d).filter(|&j| h[j] >= opts.screen * hmax));
                    if kept_idx.len() < 2 * n {
                        kept_idx.clear();
                        kept_idx.extend(0..d);
                        kept_idx.select_nth_unstable_by(2 * n, |&a, &b| h[b].total_cmp(&h[a]));
                        kept_idx.truncate(2 * n);
                    }
                    kept_idx.len() * 5 < d * 4
                } else {
                    false
                };
                // A uniform metric (the first iterate from w₀ = 0 under a uniform potential; every iterate under
                // the Euclidean one): H̃ = h·XXᵀ, from the problem's kept Gram matrix of the rows.
                if let Some(hu) = uniform {
                    let g = p.row_gram();
                    hess.rows = n;
                    hess.cols = n;
                    hess.data.clear();
                    hess.data.extend(g.data.iter().map(|v| hu * v));
                } else if screened {
                    let (col_sq, dropped) = screen_scratch.get_or_insert_with(|| {
                        let cols = p.columns();
                        ((0..d).map(|j| linalg::dot(cols.row(j), cols.row(j))).collect(), vec![true; d])
                    });
                    for &j in &kept_idx {
                        dropped[j] = false;
                    }
                    let sigma = (0..d).filter(|&j| dropped[j]).map(|j| h[j] * col_sq[j]).sum::<f64>() / n as f64;
                    for &j in &kept_idx {
                        dropped[j] = true;
                    }
                    linalg::weighted_gram_subset(p.columns(), &kept_idx, &h, &mut hess, gram_scratch);
                    for a in 0..n {
                        hess.data[a * n + a] += sigma;
                    }
                } else {
                    linalg::weighted_gram(p.x(), &h, &mut hess, gram_scratch);
                }
                let dmax = (0..n).map(|a| hess.data[a * n + a]).fold(0.0, f64::max);
                let (fac, dir, shift) = [0.0, 1e-13, 1e-10, 1e-7]
                    .iter()
                    .find_map(|&shift| {
                        let fac = linalg::SpdFactor::new(&hess, shift * dmax)?;
                        let dir = fac.solve(&neg_g);
                        linalg::all_finite(&dir).then_some((fac, dir, shift))
                    })
                    .ok_or_else(|| Error::Numerical("Bregman projection: singular Newton system".into()))?;
                kept = (s_log == 0.0 && shift == 0.0 && !screened).then(|| KeptFactor { fac, h: h.clone() });
                dir
            }
        };
        let slope = linalg::dot(&r, &dir); // ⟨∇F, Δ̃⟩ < 0
        plan.xt_mul(&dir, &mut delta_theta);
        // The full Newton correction of w, δw = h ⊙ Xᵀ(t·Δ̃) = h̃ ⊙ XᵀΔ̃ (the scalings cancel): its size estimates
        // the distance to the exact projection.
        let dw = (0..d).map(|i| (h[i] * delta_theta[i]).powi(2)).sum::<f64>().sqrt();
        let forward = dw / linalg::norm2(&w).max(f64::MIN_POSITIVE);
        let dec = last_decrement;
        let cert = |it: usize| Certificate {
            residual_backward_rel: Some(res / scale.max(f64::MIN_POSITIVE)),
            residual_tolerance_rel: Some(tol),
            newton_decrement_last_step: (it > 0).then_some(dec),
            forward_error_rel: Some(forward),
            iterations: Some(it),
            ..Default::default()
        };
        if res <= tol * scale && forward <= opts.forward_tol {
            // Polish: the full Newton step along the direction just computed (it served the forward estimate),
            // kept when it lowers the residual — the certificate then describes the polished point, its forward
            // estimate (the pre-polish one) an upper bound. One residual, no new Newton system.
            let t = (-s_log).exp();
            for i in 0..d {
                theta_new[i] = theta[i] + t * delta_theta[i];
            }
            pot.inv_grad_into(&theta_new, &mut w_new);
            if linalg::all_finite(&w_new) {
                let r_new = p.residual(&w_new);
                let res_new = linalg::norm2(&r_new);
                if res_new < res {
                    let scale_new = ny + smax * linalg::norm2(&w_new);
                    for a in 0..n {
                        mu[a] += t * dir[a];
                    }
                    let c = Certificate {
                        residual_backward_rel: Some(res_new / scale_new.max(f64::MIN_POSITIVE)),
                        ..cert(it)
                    };
                    return Ok((w_new, mu, c));
                }
            }
            return Ok((w, mu, cert(it)));
        }
        // The hint for a failure: where the precision is lost.
        let precision_hint = || {
            if kappa > 1e6 {
                format!(
                    "the mirror map's sensitivity |θ|ψ*''(θ)/|w| reaches {kappa:.1e}, too large for double precision \
                     (a larger α lowers it)"
                )
            } else {
                "the line search found no decrease".to_string()
            }
        };
        if it == opts.max_iter {
            return Err(Error::Numerical(format!(
                "Bregman projection did not converge in {it} Newton iterations: ‖Xw − y‖ = {res:.3e} = \
                 {:.3e}·(‖y‖ + σ_max‖w‖) (tolerance {tol:.1e}), estimated relative error of w {forward:.1e} \
                 (tolerance {:.0e}){entropy_hint}",
                res / scale,
                opts.forward_tol,
            )));
        }
        last_decrement = (0.5 * ((-slope).max(0.0).ln() - s_log)).exp();
        let dinf = linalg::norm_inf(&delta_theta);
        let t_newton = (-s_log).exp();
        // Stagnation: 30 uncapped Newton iterations without a 10% smaller residual end the run (capped steps,
        // far from the solution, make progress in θ that the residual does not show yet).
        if res < 0.9 * best_res {
            (best_res, since_best) = (res, 0);
        } else if dinf * t_newton <= max_move {
            since_best += 1;
        }
        if since_best >= 30 {
            return Err(Error::Numerical(format!(
                "Bregman projection stagnated at iteration {it}: ‖Xw − y‖ = {res:.3e} = {:.3e}·(‖y‖ + σ_max‖w‖) \
                 (tolerance {tol:.1e}), estimated relative error of w {forward:.1e} (tolerance {:.0e}); {}{entropy_hint}",
                res / scale,
                opts.forward_tol,
                precision_hint()
            )));
        }
        let capped = dinf * t_newton > max_move;
        let mut t = if capped { max_move / dinf } else { t_newton };
        let mut accepted = false;
        for _ in 0..80 {
            for i in 0..d {
                theta_new[i] = theta[i] + t * delta_theta[i];
            }
            let dstar = pot.conj_bregman_sum(&theta, &delta_theta, t);
            // The mirror map's inverse over all coordinates at once (vectorised where the potential has a form).
            pot.inv_grad_into(&theta_new, &mut w_new);
            let df = dstar + t * slope;
            if df.is_finite() && linalg::all_finite(&w_new) && df <= 1e-4 * t * slope {
                accepted = true;
                // A capped step that F accepts at once: the cap may be far short of the minimum along Δ̃ (the
                // Newton step of a tiny Hessian is huge). Double it while F keeps falling (O(d) a trial, no
                // new Newton system), up to the full step and at most 2¹⁶ times the cap — for the hyperbolic
                // entropy with its metric in linear scale only (in log scale ψ*'s values underflow and F's change
                // is not measurable; the depth-D maps lose their precision far out, where a doubled step lands).
                if capped && s_log == 0.0 && pot.kind() == PotentialKind::Hyperbolic {
                    let mut best = df;
                    let limit = t_newton.min(65_536.0 * t);
                    while 2.0 * t <= limit {
                        let t2 = 2.0 * t;
                        let dstar2 = pot.conj_bregman_sum(&theta, &delta_theta, t2);
                        let df2 = dstar2 + t2 * slope;
                        if !(df2.is_finite() && df2 < best) {
                            break;
                        }
                        for i in 0..d {
                            theta_new[i] = theta[i] + t2 * delta_theta[i];
                        }
                        pot.inv_grad_into(&theta_new, &mut w_new);
                        if !linalg::all_finite(&w_new) {
                            for i in 0..d {
                                theta_new[i] = theta[i] + t * delta_theta[i];
                            }
                            pot.inv_grad_into(&theta_new, &mut w_new);
                            break;
                        }
                        (t, best) = (t2, df2);
                    }
                }
                break;
            }
            t *= 0.5;
        }
        if !accepted {
            // No decrease of F is measurable in double precision: polish with the full Newton step when it
            // halves the residual (Newton converges quadratically here), else stop with what was reached.
            t = t_newton;
            for i in 0..d {
                theta_new[i] = theta[i] + t * delta_theta[i];
            }
            pot.inv_grad_into(&theta_new, &mut w_new);
            let r_new = p.residual(&w_new);
            if !(linalg::all_finite(&w_new) && linalg::norm2(&r_new) <= 0.5 * res) {
                return Err(Error::Numerical(format!(
                    "Bregman projection stalled at iteration {it}: ‖Xw − y‖ = {res:.3e} = {:.3e}·(‖y‖ + σ_max‖w‖) \
                     (tolerance {tol:.1e}), estimated relative error of w {forward:.1e} (tolerance {:.0e}); \
                     {}{entropy_hint}",
                    res / scale,
                    opts.forward_tol,
                    precision_hint()
                )));
            }
        }
        for a in 0..n {
            mu[a] += t * dir[a];
        }
        std::mem::swap(&mut theta, &mut theta_new);
        std::mem::swap(&mut w, &mut w_new);
        p.residual_into(&w, &mut r);
    }
    unreachable!("the loop returns at it = max_iter")
}

thread_local! {
    /// The Newton matrices' buffers (`d·n` doubles and more), kept per thread between projections: a study
    /// projects hundreds of times on one problem, and fresh buffers cost their zeroing and page faults each time.
    static GRAM_SCRATCH: std::cell::RefCell<linalg::GramScratch> = std::cell::RefCell::new(linalg::GramScratch::default());
}

/// The thread's Newton-matrix buffers, taken for one projection and given back when it ends (by any return),
/// unless they grew beyond 2²² doubles (32 MB: a problem that large pays for its allocation anyway).
struct PooledScratch(linalg::GramScratch);

impl Drop for PooledScratch {
    fn drop(&mut self) {
        if self.0.doubles() <= 1 << 22 {
            let s = std::mem::take(&mut self.0);
            GRAM_SCRATCH.with_borrow_mut(|x| *x = s);
        }
    }
}

/// The factor of a Newton matrix `H_f = X diag(h_f) Xᵀ` formed at an earlier iterate (metric in linear scale,
/// no shift), kept as a preconditioner for the later ones.
struct KeptFactor {
    fac: linalg::SpdFactor,
    h: Vec<f64>,
}

impl KeptFactor {
    /// The most conjugate-gradient iterations a reused factor may take (each costs two products with `X`,
    /// `2nd` multiply-adds, against `n²d/2` for a new Newton matrix; measured break-even about six).
    const MAX_PCG: usize = 6;

    /// The Newton direction `H Δ = −r`, `H = X diag(h) Xᵀ`, by conjugate gradients preconditioned with this
    /// factor, to `‖HΔ + r‖ ≤ eta·‖r‖` — when the metric moved little since the factor was formed: with
    /// `ρ_j = h_j / h_f,j ∈ [lo, hi]`, `lo·H_f ⪯ H ⪯ hi·H_f`, and the conjugate gradients gain at least
    /// `(√κ − 1)/(√κ + 1)` an iteration (`κ = hi/lo`). Tried only when that bound promises `eta` within
    /// [`Self::MAX_PCG`] iterations; `None` (form a new matrix) otherwise or if they do not get there.
    fn newton_direction(&self, p: &Problem, plan: &GradPlan, h: &[f64], neg_g: &[f64], eta: f64) -> Option<Vec<f64>> {
        let (lo, hi) = h.iter().zip(&self.h).fold((f64::INFINITY, 0.0f64), |(lo, hi), (&a, &b)| {
            let q = a / b;
            (lo.min(q), hi.max(q))
        });
        let kappa = hi / lo;
        if !kappa.is_finite() {
            return None;
        }
        let rate = (kappa.sqrt() - 1.0) / (kappa.sqrt() + 1.0);
        let predicted = if rate <= 0.0 { 1.0 } else { ((0.5 * eta).ln() / rate.ln()).ceil() };
        if predicted > Self::MAX_PCG as f64 {
            return None;
        }
        let d = h.len();
        let mut t = vec![0.0; d];
        let apply = |v: &[f64], out: &mut [f64]| {
            plan.xt_mul(v, &mut t);
            for (ti, hi) in t.iter_mut().zip(h) {
                *ti *= hi;
            }
            p.columns().tmul_vec(&t, out);
        };
        linalg::pcg(apply, |r| self.fac.solve(r), neg_g, eta, Self::MAX_PCG + 1).map(|(x, _)| x)
    }
}
