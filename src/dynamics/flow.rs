//! Continuous-time flows (SPEC §2), integrated by [`super::ode::dopri5`] to a stated tolerance:
//! gradient flow `ẇ = −∇R(w)`, mirror flow `θ̇ = −∇R((∇ψ)⁻¹(θ))` (equivalently
//! `ẇ = −(∇²ψ(w))⁻¹∇R(w)`), and the reparametrised flow `u̇ = −½∇R(w)⊙u`, `v̇ = ½∇R(w)⊙v`.

use super::config::{MAX_CHECKPOINTS, StopReason, StopRule};
use super::ode::{OdeOptions, OdeStats, dopri5};
use super::reparam::{Init, reparam_info, w_of_depth};
use super::result::{Algorithm, Checkpoint, Integrator, RunResult};
use crate::kernels::linalg::{self, logspace};
use crate::potential::{Potential, PotentialKind};
use crate::problem::{GradPlan, Parallelism, Problem};
use crate::{Error, Result};
use std::time::Instant;

/// The mirror flow of `pot` from `w₀`, integrated in `θ` by the stiff (L-stable) ROS2 method with the
/// exact Jacobian `J = −(2/n)XᵀX·diag(ψ*''(θ))`: for large α, where `L·c` makes explicit steps tiny,
/// and for long horizons at small α.
pub fn md_flow_stiff<P: Potential + ?Sized>(
    p: &Problem,
    pot: &P,
    w0: &[f64],
    times: &[f64],
    opts: OdeOptions,
) -> Result<FlowPath> {
    let (n, d) = (p.n(), p.d());
    let gram: Vec<f64> = {
        let xt = p.columns();
        crate::io::require_memory("the stiff integrator's Jacobian", 8.0 * 4.0 * (d * d) as f64)?;
        let mut g = vec![0.0; d * d];
        for a in 0..d {
            for b in 0..=a {
                let v = crate::kernels::linalg::dot(xt.row(a), xt.row(b));
                g[a * d + b] = v;
                g[b * d + a] = v;
            }
        }
        g
    };
    let scale = 2.0 / n as f64;
    let theta0 = pot.grad(w0);
    let f = md_rhs(p, pot);
    let jac = |_t: f64, th: &[f64], jm: &mut [f64]| {
        let h: Vec<f64> = (0..d).map(|i| pot.inv_hess_i(i, pot.inv_grad_i(i, th[i]))).collect();
        for a in 0..d {
            for b in 0..d {
                jm[a * d + b] = -scale * gram[a * d + b] * h[b];
            }
        }
    };
    let (th, st) = super::ode::ros2(f, jac, 0.0, &theta0, times, opts, |_, _| false)?;
    let w = th.iter().map(|t| pot.inv_grad(t)).collect();
    Ok(FlowPath { times: times.to_vec(), w, uv: None, stats: st })
}

/// A flow's trajectory at the requested times.
#[derive(Debug, Clone)]
pub struct FlowPath {
    /// Output times.
    pub times: Vec<f64>,
    /// `w(t)` at each time.
    pub w: Vec<Vec<f64>>,
    /// `u⊙v` at each time (reparametrised flow only).
    pub uv: Option<Vec<Vec<f64>>>,
    /// The integrator's step and evaluation counts.
    pub stats: OdeStats,
}

/// Right-hand side of the gradient flow, `ẇ = −∇R(w)`.
fn gd_rhs(p: &Problem) -> impl FnMut(f64, &[f64], &mut [f64]) + '_ {
    let plan = GradPlan::new(p, Parallelism::Auto);
    let mut r = vec![0.0; p.n()];
    move |_t, w, dw| {
        plan.grad_residual(w, &mut r, dw);
        dw.iter_mut().for_each(|v| *v = -*v);
    }
}

/// Right-hand side of the mirror flow in the dual variable, `θ̇ = −∇R((∇ψ)⁻¹(θ))`.
pub(crate) fn md_rhs<'a, P: Potential + ?Sized>(
    p: &'a Problem,
    pot: &'a P,
) -> impl FnMut(f64, &[f64], &mut [f64]) + 'a {
    let plan = GradPlan::new(p, Parallelism::Auto);
    let mut r = vec![0.0; p.n()];
    let mut w = vec![0.0; p.d()];
    move |_t, th, dth| {
        for i in 0..th.len() {
            w[i] = pot.inv_grad_i(i, th[i]);
        }
        plan.grad_residual(&w, &mut r, dth);
        dth.iter_mut().for_each(|v| *v = -*v);
    }
}

/// Right-hand side of the reparametrised flow of depth `D` in `z = (u, v)` (`F = R(w)/(2D)`, `w = u^D − v^D`):
/// `u̇ = −½∇R(w)⊙u^{D−1}`, `v̇ = ½∇R(w)⊙v^{D−1}` (`D = 2`: the sheet's flow).
fn reparam_rhs(p: &Problem, depth: u32) -> impl FnMut(f64, &[f64], &mut [f64]) + '_ {
    let d = p.d();
    let plan = GradPlan::new(p, Parallelism::Auto);
    let (mut r, mut w, mut g) = (vec![0.0; p.n()], vec![0.0; d], vec![0.0; d]);
    let e = depth as i32;
    move |_t, z, dz| {
        let (u, v) = z.split_at(d);
        w_of_depth(depth, u, v, &mut w);
        plan.grad_residual(&w, &mut r, &mut g);
        for i in 0..d {
            dz[i] = -0.5 * g[i] * u[i].powi(e - 1);
            dz[d + i] = 0.5 * g[i] * v[i].powi(e - 1);
        }
    }
}

/// `w = u^D − v^D` and `u⊙v` of a state `z = (u, v)`.
fn split_state(depth: u32, z: &[f64]) -> (Vec<f64>, Vec<f64>) {
    let d = z.len() / 2;
    let (u, v) = z.split_at(d);
    let mut w = vec![0.0; d];
    w_of_depth(depth, u, v, &mut w);
    (w, u.iter().zip(v).map(|(a, b)| a * b).collect())
}

/// `w(t)` of the gradient flow from `w₀` at `times`.
pub fn gd_flow(p: &Problem, w0: &[f64], times: &[f64], opts: OdeOptions) -> Result<FlowPath> {
    let (w, st) = dopri5(gd_rhs(p), 0.0, w0, times, opts, |_, _| false)?;
    Ok(FlowPath { times: times.to_vec(), w, uv: None, stats: st })
}

/// `w(t)` of the mirror flow of `pot` from `w₀`, integrated in the dual variable `θ = ∇ψ(w)`.
pub fn md_flow<P: Potential + ?Sized>(
    p: &Problem,
    pot: &P,
    w0: &[f64],
    times: &[f64],
    opts: OdeOptions,
) -> Result<FlowPath> {
    let theta0 = pot.grad(w0);
    let (th, st) = dopri5(md_rhs(p, pot), 0.0, &theta0, times, opts, |_, _| false)?;
    let w = th.iter().map(|t| pot.inv_grad(t)).collect();
    Ok(FlowPath { times: times.to_vec(), w, uv: None, stats: st })
}

/// `w(t) = u(t)² − v(t)²` of the reparametrised gradient flow from `(u₀, v₀)`, integrated in `z = (u, v)`.
pub fn reparam_flow(p: &Problem, init: &Init, times: &[f64], opts: OdeOptions) -> Result<FlowPath> {
    let z0: Vec<f64> = init.u0().iter().chain(init.v0()).copied().collect();
    let depth = init.network_depth();
    let (zs, st) = dopri5(reparam_rhs(p, depth), 0.0, &z0, times, opts, |_, _| false)?;
    let (ws, uvs): (Vec<_>, Vec<_>) = zs.iter().map(|z| split_state(depth, z)).unzip();
    Ok(FlowPath { times: times.to_vec(), w: ws, uv: Some(uvs), stats: st })
}

/// The output times of a flow run — 0, then `max(checkpoints, 200)` log-spaced times from
/// `min(t_lo, 1e-6·t_max)` to `stop.max_time` (at least 200 for the stop test) — after checking the stop rule,
/// the checkpoint cap and the memory of a trajectory of states with `state_len` entries.
pub(crate) fn output_times(stop: &StopRule, checkpoints: usize, t_lo: f64, state_len: usize) -> Result<Vec<f64>> {
    stop.validate()?;
    if checkpoints > MAX_CHECKPOINTS {
        return Err(Error::param("checkpoints", format!("at most {MAX_CHECKPOINTS}, got {checkpoints}")));
    }
    let count = checkpoints.max(200);
    crate::io::require_memory("the flow's trajectory", 8.0 * (count * state_len) as f64 * 2.0)?;
    let mut times = vec![0.0];
    times.extend(logspace(t_lo.min(stop.max_time * 1e-6), stop.max_time, count));
    Ok(times)
}

/// Which flow [`run_flow`] integrates.
pub enum FlowKind<'a> {
    /// Gradient flow from 0.
    Gd,
    /// Mirror flow of a potential from `w₀`.
    Md(&'a dyn Potential, Vec<f64>),
    /// Reparametrised flow from an initialisation.
    Reparam(&'a Init),
    /// A mirror flow `θ̇ = −∇R(w(θ))` through any mirror map `w(θ)` (spectral potentials: `w` from the eigenvalues of
    /// the matrix `θ`), from `θ₀`, reported as `algorithm` with `potential`.
    Map {
        /// `θ ↦ w`.
        map: &'a dyn Fn(&[f64]) -> Vec<f64>,
        /// `θ₀`.
        theta0: Vec<f64>,
        /// The result's algorithm.
        algorithm: Algorithm,
        /// The result's potential.
        potential: PotentialKind,
    },
}

/// Integrates a flow on log-spaced times `t ∈ [1e-3/L, stop.max_time]` (`checkpoints` of them,
/// at least 200 for the stop test), stopping at the first checkpoint where the risk rule is met.
pub fn run_flow(
    p: &Problem,
    kind: FlowKind<'_>,
    stop: &StopRule,
    checkpoints: usize,
    opts: OdeOptions,
) -> Result<RunResult> {
    let start = Instant::now();
    let times = output_times(stop, checkpoints, 1e-3 / p.smoothness(), 2 * p.d())?;
    let risk0 = p.risk_at_zero();
    let d = p.d();
    let mut stopped = None;
    let mut on_time = |t: f64, w: &[f64]| -> bool {
        if crate::control::cancelled() || stop.risk_tol > 0.0 && p.risk(w) <= stop.risk_tol * risk0 {
            stopped = Some(t);
            return true;
        }
        false
    };
    let kind = match kind {
        FlowKind::Gd if opts.stiff => FlowKind::Md(&crate::potential::Euclidean, vec![0.0; d]),
        k => k,
    };
    let (name, pot_kind, ws, uvs, stats, info) = match kind {
        FlowKind::Md(pot, w0) if opts.stiff => {
            let path = md_flow_stiff(p, pot, &w0, &times, opts)?;
            let mut ws = path.w;
            if let Some(k) = ws.iter().position(|w| stop.risk_tol > 0.0 && p.risk(w) <= stop.risk_tol * risk0) {
                ws.truncate(k + 1);
                stopped = Some(times[k]);
            }
            let alg = if pot.kind() == PotentialKind::Euclidean { Algorithm::GdFlow } else { Algorithm::MdFlow };
            (alg, pot.kind(), ws, None, path.stats, None)
        }
        FlowKind::Gd => {
            let (w, st) = dopri5(gd_rhs(p), 0.0, &vec![0.0; d], &times, opts, |t, w| on_time(t, w))?;
            (Algorithm::GdFlow, PotentialKind::Euclidean, w, None, st, None)
        }
        FlowKind::Md(pot, w0) => {
            let th0 = pot.grad(&w0);
            let (th, st) = dopri5(md_rhs(p, pot), 0.0, &th0, &times, opts, |t, th| on_time(t, &pot.inv_grad(th)))?;
            let ws: Vec<Vec<f64>> = th.iter().map(|t| pot.inv_grad(t)).collect();
            (Algorithm::MdFlow, pot.kind(), ws, None, st, None)
        }
        FlowKind::Map { map, theta0, algorithm, potential } => {
            let plan = GradPlan::new(p, Parallelism::Auto);
            let mut r = vec![0.0; p.n()];
            let rhs = |_t: f64, th: &[f64], dth: &mut [f64]| {
                plan.grad_residual(&map(th), &mut r, dth);
                dth.iter_mut().for_each(|v| *v = -*v);
            };
            let (th, st) = dopri5(rhs, 0.0, &theta0, &times, opts, |t, th| on_time(t, &map(th)))?;
            let ws: Vec<Vec<f64>> = th.iter().map(|t| map(t)).collect();
            (algorithm, potential, ws, None, st, None)
        }
        FlowKind::Reparam(init) if opts.stiff => {
            // Depth 2: the (u, v) flow is the mirror flow of the hyperbolic entropy with c = 2u₀v₀ from
            // w₀ = u₀² − v₀² (SPEC §8), integrated by the stiff ROS2 method; u⊙v = u₀⊙v₀ along the flow, so
            // u and v are recovered exactly from w: u² = (w + √(w² + 4(u₀v₀)²))/2, v = u₀v₀/u.
            if init.network_depth() != 2 {
                return Err(Error::param(
                    "stiff",
                    "the stiff integrator covers the depth-2 (u, v) flow (a mirror flow); depth D > 2 uses DOPRI5",
                ));
            }
            let pot = init.potential();
            let path = md_flow_stiff(p, &pot, &init.w0(), &times, opts)?;
            let mut ws = path.w;
            if let Some(k) = ws.iter().position(|w| stop.risk_tol > 0.0 && p.risk(w) <= stop.risk_tol * risk0) {
                ws.truncate(k + 1);
                stopped = Some(times[k]);
            }
            let uv0: Vec<f64> = init.u0().iter().zip(init.v0()).map(|(u, v)| u * v).collect();
            let last = ws.last().cloned().unwrap_or_else(|| init.w0());
            let u: Vec<f64> =
                last.iter().zip(&uv0).map(|(w, c)| (0.5 * (w + (w * w + 4.0 * c * c).sqrt())).sqrt()).collect();
            let v: Vec<f64> = uv0.iter().zip(&u).map(|(c, u)| c / u).collect();
            let info = Some(reparam_info(p, init.u0(), init.v0(), &u, &v)?);
            let uvs = vec![uv0; ws.len()];
            (Algorithm::ReparamFlow, PotentialKind::Hyperbolic, ws, Some(uvs), path.stats, info)
        }
        FlowKind::Reparam(init) => {
            let z0: Vec<f64> = init.u0().iter().chain(init.v0()).copied().collect();
            let depth = init.network_depth();
            let (zs, st) =
                dopri5(reparam_rhs(p, depth), 0.0, &z0, &times, opts, |t, z| on_time(t, &split_state(depth, z).0))?;
            let (ws, uvs): (Vec<Vec<f64>>, Vec<Vec<f64>>) = zs.iter().map(|z| split_state(depth, z)).unzip();
            let last = zs.last().cloned().unwrap_or(z0.clone());
            let info =
                if depth == 2 { Some(reparam_info(p, init.u0(), init.v0(), &last[..d], &last[d..])?) } else { None };
            let kind = if depth == 2 { PotentialKind::Hyperbolic } else { PotentialKind::Depth };
            (Algorithm::ReparamFlow, kind, ws, Some(uvs), st, info)
        }
    };
    let m = ws.len();
    let checkpoints: Vec<Checkpoint> = (0..m)
        .map(|k| Checkpoint {
            iteration: None,
            time: times[k],
            w: ws[k].clone(),
            risk: p.risk(&ws[k]),
            uv: uvs.as_ref().map(|u| u[k].clone()),
        })
        .collect();
    let w = ws.last().cloned().unwrap_or_default();
    let risk = p.risk(&w);
    let reason = if crate::control::cancelled() {
        StopReason::Interrupted
    } else if stopped.is_some() {
        StopReason::RiskTolerance
    } else {
        StopReason::FinalTime
    };
    let mut notes = Vec::new();
    if reason == StopReason::FinalTime && stop.risk_tol > 0.0 {
        notes.push(format!(
            "reached the final time t = {:e} before R ≤ {:e}·R(0): R/R(0) = {:.3e} (raise t_max)",
            stop.max_time,
            stop.risk_tol,
            risk / risk0
        ));
    }
    Ok(RunResult {
        algorithm: name,
        loss: crate::datafit::LossKind::LeastSquares,
        potential: pot_kind,
        alpha: None,
        step_rule: None,
        integrator: Some(Integrator {
            method: if opts.stiff { "ros2" } else { "dopri5" }.into(),
            rtol: opts.rtol,
            atol: opts.atol,
        }),
        eta_first: None,
        eta_min: None,
        eta_max: None,
        iterations: stats.accepted,
        grad_evals: stats.evals,
        converged: reason.converged(),
        stop_reason: reason,
        risk,
        risk_at_zero: risk0,
        risk_rel: if risk0 > 0.0 { risk / risk0 } else { risk },
        l1_norm: linalg::norm1(&w),
        l2_norm: linalg::norm2(&w),
        w,
        wall_seconds: start.elapsed().as_secs_f64(),
        flow_time: times[m - 1],
        checkpoints,
        reparam: info,
        notes,
        step_effect: None,
        w_matrix: None,
        spectrum: None,
    })
}

/// The `(u, v)` gradient flow from `u = v = α` in accelerated time `τ = t/(2 ln(1/α))` (SPEC §9), given
/// `ln α < 0`: with `q = θ/(2 ln(1/α))` (`θ` the mirror variable, `w = 2α² sinh θ`), `dq/dτ = −∇R(w)`. As
/// α → 0 it tends to the saddle-to-saddle path (`exact::saddle`). Works at any α, far below 1e-154 where
/// `2α²` underflows: the potential is evaluated in log scale. Returns `w` at each of `taus`.
pub fn accelerated_flow(p: &Problem, ln_alpha: f64, taus: &[f64], opts: OdeOptions) -> Result<FlowPath> {
    if !(ln_alpha.is_finite() && ln_alpha < 0.0) {
        return Err(Error::param("ln_alpha", format!("the accelerated flow needs α < 1, got ln α = {ln_alpha}")));
    }
    let d = p.d();
    let big_l = -2.0 * ln_alpha;
    let pot = crate::potential::Hyperbolic::uniform_ln(ln_alpha, d)?;
    let plan = GradPlan::new(p, Parallelism::Auto);
    let (mut r, mut w) = (vec![0.0; p.n()], vec![0.0; d]);
    let rhs = |_t: f64, q: &[f64], dq: &mut [f64]| {
        for i in 0..d {
            w[i] = pot.inv_grad_i(i, big_l * q[i]);
        }
        plan.grad_residual(&w, &mut r, dq);
        dq.iter_mut().for_each(|v| *v = -*v);
    };
    let (qs, st) = dopri5(rhs, 0.0, &vec![0.0; d], taus, opts, |_, _| false)?;
    let ws = qs.iter().map(|q| (0..d).map(|i| pot.inv_grad_i(i, big_l * q[i])).collect()).collect();
    Ok(FlowPath { times: taus.to_vec(), w: ws, uv: None, stats: st })
}
