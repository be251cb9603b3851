//! Flows on a margin loss (logistic, exponential) integrated in log time (SPEC §11): on separable data the
//! iterate grows like `ŵ·ln t` and its direction converges like `1/ln t`, so a flow in `t` needs ever longer
//! steps and its gradients underflow (`e^{−m}` at `m ≈ ln t`). In `s = ln(1 + t)` the mirror flow
//! `θ̇ = −∇F(w)`, `w = (∇ψ)⁻¹(θ)`, reads
//!
//! `dθ/ds = e^s·(−∇F(w)) = (1/n)Σᵢ cᵢ yᵢ xᵢ`,  `cᵢ = −e^s ℓ'(mᵢ)`,  `mᵢ = yᵢ⟨xᵢ, w⟩`,
//!
//! whose right-hand side stays of order one (`cᵢ = e^{s − mᵢ}` for the exponential loss, computed without
//! forming either factor: [`crate::datafit::margin::scaled_neg_dloss`]). Dormand–Prince 5(4) to `rtol` then takes
//! a few hundred steps to `t = 1e30` or `1e300`. Gradient flow is the Euclidean potential from 0, exponentiated
//! gradient's flow the negative entropy from `α·1`, the `(u, v)` flow of depth 2 the hyperbolic entropy with
//! `c = 2u₀⊙v₀` from `w₀ = u₀² − v₀²` (SPEC §8: `u⊙v` is constant along it).

use super::config::{StopReason, StopRule};
use super::flow::{FlowPath, output_times};
use super::ode::{OdeOptions, dopri5};
use super::reparam::{Init, reparam_info};
use super::result::{Algorithm, Checkpoint, Integrator, RunResult};
use crate::datafit::LossKind;
use crate::datafit::margin::{ln_loss, scaled_neg_dloss, separable_labels};
use crate::kernels::linalg;
use crate::potential::Potential;
use crate::problem::Problem;
use crate::{Error, Result};
use std::time::Instant;

/// The largest horizon: `t = 1e300` (`s ≈ 691`), where `F(w) ≈ e^{−s}` is still a normal float.
pub const MAX_LOG_TIME_HORIZON: f64 = 1e300;

/// `ln F(w) = ln((1/n)Σ ℓ(mᵢ))` in the log domain (log-sum-exp of [`ln_loss`]).
pub fn ln_value(p: &Problem, loss: LossKind, w: &[f64]) -> f64 {
    let mut m = vec![0.0; p.n()];
    p.x().mul_vec(w, &mut m);
    let l: Vec<f64> = m.iter().zip(p.y()).map(|(a, y)| ln_loss(loss, a * y)).collect();
    let top = l.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    top + l.iter().map(|v| (v - top).exp()).sum::<f64>().ln() - (p.n() as f64).ln()
}

/// The mirror flow of `pot` from `w₀` on the margin loss `loss`, at flow times `times` (increasing, `≥ 0`),
/// integrated in `s = ln(1 + t)`. `at(t, w)` is called at each output time; `true` stops there.
pub fn margin_flow(
    p: &Problem,
    loss: LossKind,
    pot: &dyn Potential,
    w0: &[f64],
    times: &[f64],
    opts: OdeOptions,
    mut at: impl FnMut(f64, &[f64]) -> bool,
) -> Result<FlowPath> {
    if !loss.is_classification() {
        return Err(Error::param("loss", "flows in log time are for the logistic and exponential losses"));
    }
    separable_labels(p, &format!("the {loss} loss"))?;
    let (n, d) = (p.n(), p.d());
    let (mut m, mut w) = (vec![0.0; n], vec![0.0; d]);
    let inv_n = 1.0 / n as f64;
    let rhs = |s: f64, th: &[f64], dth: &mut [f64]| {
        pot.inv_grad_range(0, th, &mut w);
        p.x().mul_vec(&w, &mut m);
        for (mi, yi) in m.iter_mut().zip(p.y()) {
            *mi = scaled_neg_dloss(loss, *mi * yi, s) * yi * inv_n;
        }
        p.xt_mul(&m, dth);
    };
    let ss: Vec<f64> = times.iter().map(|t| t.ln_1p()).collect();
    let theta0 = pot.grad(w0);
    let (th, stats) = dopri5(rhs, 0.0, &theta0, &ss, opts, |s, th| at(s.exp_m1(), &pot.inv_grad(th)))?;
    let ws = th.iter().map(|t| pot.inv_grad(t)).collect();
    Ok(FlowPath { times: times[..th.len()].to_vec(), w: ws, uv: None, stats })
}

/// What flows in log time: gradient flow from 0, a mirror flow from `w₀`, or the depth-2 `(u, v)` flow.
pub enum MarginFlowKind<'a> {
    /// Gradient flow from 0.
    Gd,
    /// The mirror flow of a potential from `w₀`, reported as `algorithm` (`MdFlow`, or `EgFlow`).
    Md(&'a dyn Potential, Vec<f64>, Algorithm),
    /// The `(u, v)` flow from an initialisation of depth 2.
    Reparam(&'a Init),
}

/// Integrates a flow on a margin loss on log-spaced times `t ∈ [min(1e-3, 1e-6·t_max), stop.max_time]`
/// (`checkpoints` of them, at least 200 for the stop test), stopping at the first where the loss rule is met.
pub fn run_margin_flow(
    p: &Problem,
    loss: LossKind,
    kind: MarginFlowKind<'_>,
    stop: &StopRule,
    checkpoints: usize,
    opts: OdeOptions,
) -> Result<RunResult> {
    let start = Instant::now();
    if stop.max_time > MAX_LOG_TIME_HORIZON {
        return Err(Error::param(
            "t_max",
            format!("flows on a margin loss run to t = {MAX_LOG_TIME_HORIZON:e} at most, got {:e}", stop.max_time),
        ));
    }
    let d = p.d();
    let times = output_times(stop, checkpoints, 1e-3, d)?;
    let f0 = ln_loss(loss, 0.0);
    let mut stopped = None;
    let on_time = |t: f64, w: &[f64], stopped: &mut Option<f64>| -> bool {
        if crate::control::cancelled() || stop.risk_tol > 0.0 && ln_value(p, loss, w) <= stop.risk_tol.ln() + f0 {
            *stopped = Some(t);
            return true;
        }
        false
    };
    let euclid = crate::potential::Euclidean;
    let hyper;
    let (algorithm, pot, w0): (Algorithm, &dyn Potential, Vec<f64>) = match &kind {
        MarginFlowKind::Gd => (Algorithm::GdFlow, &euclid, vec![0.0; d]),
        MarginFlowKind::Md(pot, w0, alg) => (*alg, *pot, w0.clone()),
        MarginFlowKind::Reparam(init) => {
            if init.network_depth() != 2 {
                return Err(Error::param(
                    "depth",
                    "the (u, v) flow on a margin loss is integrated as its mirror flow (depth 2); for depth D > 2 \
                     run md with the depth potential and flow",
                ));
            }
            hyper = init.potential();
            (Algorithm::ReparamFlow, &hyper, init.w0())
        }
    };
    if w0.len() != d {
        return Err(Error::param("w0", format!("has length {} but d = {d}", w0.len())));
    }
    let path = margin_flow(p, loss, pot, &w0, &times, opts, |t, w| on_time(t, w, &mut stopped))?;
    let ws = path.w;
    let m = ws.len();
    let risk_of = |w: &[f64]| ln_value(p, loss, w).exp();
    let (uvs, info) = match &kind {
        MarginFlowKind::Reparam(init) => {
            // u⊙v = u₀⊙v₀ along the flow: u² = (w + √(w² + 4(u₀v₀)²))/2, v = u₀v₀/u.
            let uv0: Vec<f64> = init.u0().iter().zip(init.v0()).map(|(u, v)| u * v).collect();
            let last = ws.last().cloned().unwrap_or_else(|| init.w0());
            let u: Vec<f64> =
                last.iter().zip(&uv0).map(|(w, c)| (0.5 * (w + (w * w + 4.0 * c * c).sqrt())).sqrt()).collect();
            let v: Vec<f64> = uv0.iter().zip(&u).map(|(c, u)| c / u).collect();
            (Some(vec![uv0; m]), Some(reparam_info(p, init.u0(), init.v0(), &u, &v)?))
        }
        _ => (None, None),
    };
    let checkpoints: Vec<Checkpoint> = (0..m)
        .map(|k| Checkpoint {
            iteration: None,
            time: times[k],
            w: ws[k].clone(),
            risk: risk_of(&ws[k]),
            uv: uvs.as_ref().map(|u| u[k].clone()),
        })
        .collect();
    let w = ws.last().cloned().unwrap_or_default();
    let risk = risk_of(&w);
    let reason = if crate::control::cancelled() {
        StopReason::Interrupted
    } else if stopped.is_some() {
        StopReason::RiskTolerance
    } else {
        StopReason::FinalTime
    };
    let risk0 = f0.exp();
    let mut notes = vec![format!(
        "integrated in log time s = ln(1 + t) with the log-domain loss ({} accepted steps, {} rejected)",
        path.stats.accepted, path.stats.rejected
    )];
    if reason == StopReason::FinalTime && stop.risk_tol > 0.0 {
        notes.push(format!(
            "reached the final time t = {:e} before F ≤ {:e}·F(0): F/F(0) = {:.3e} (raise t_max)",
            stop.max_time,
            stop.risk_tol,
            risk / risk0
        ));
    }
    let pot_kind = pot.kind();
    Ok(RunResult {
        algorithm,
        loss,
        potential: pot_kind,
        alpha: None,
        step_rule: None,
        integrator: Some(Integrator { method: "dopri5-log-time".into(), rtol: opts.rtol, atol: opts.atol }),
        eta_first: None,
        eta_min: None,
        eta_max: None,
        iterations: path.stats.accepted,
        grad_evals: path.stats.evals,
        converged: reason.converged(),
        stop_reason: reason,
        risk,
        risk_at_zero: risk0,
        risk_rel: risk / risk0,
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
