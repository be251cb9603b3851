//! Exercise 1: the claims of the theory measured (SPEC §7 claims 1–3) and the α → 0, α → ∞ limits of the
//! Bregman projection against `w₁*` and `w₂*`.

use super::{Cell, Column, Fmt, Section, Study, Table, Validate, count_in, in_range, non_empty};
use crate::Result;
use crate::control::{Progress, ProgressFn};
use crate::dynamics::flow::{md_flow, reparam_flow};
use crate::dynamics::ode::OdeOptions;
use crate::dynamics::{Init, RunConfig, StopRule, run_gd};
use crate::exact::bregman::{BregmanOptions, bregman_projection};
use crate::exact::{basis_pursuit, min_l2};
use crate::kernels::linalg::{dist2, logspace, norm2};
use crate::potential::Hyperbolic;
use crate::problem::Problem;
use crate::problem::generate::GenSpec;
use serde::{Deserialize, Serialize};

/// Exercise 1.
pub struct Ex1;

/// Configuration of Exercise 1.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct Ex1Config {
    /// Dataset seed (preset `ex2`).
    pub seed: u64,
    /// α values of the flow comparison (claims 2–3).
    pub flow_alphas: Vec<f64>,
    /// α values of the limit table.
    pub limit_alphas: Vec<f64>,
    /// Relative tolerance of the ODE integrator.
    pub rtol: f64,
}

impl Default for Ex1Config {
    fn default() -> Self {
        Ex1Config {
            seed: 0,
            flow_alphas: vec![1e-3, 0.1, 1.0, 10.0],
            limit_alphas: vec![1e-10, 1e-6, 1e-3, 1e-1, 1.0, 10.0, 1e3],
            rtol: 1e-11,
        }
    }
}

impl Validate for Ex1Config {
    fn validate(&self) -> Result<()> {
        non_empty("ex1", "flow_alphas", &self.flow_alphas)?;
        non_empty("ex1", "limit_alphas", &self.limit_alphas)?;
        count_in("ex1", "flow_alphas (length)", self.flow_alphas.len(), 1, 12)?;
        count_in("ex1", "limit_alphas (length)", self.limit_alphas.len(), 1, 200)?;
        for &a in &self.flow_alphas {
            in_range("ex1", "flow_alphas", a, 1e-4, 1e3)?;
        }
        for &a in &self.limit_alphas {
            in_range("ex1", "limit_alphas", a, 1e-100, 1e6)?;
        }
        in_range("ex1", "rtol", self.rtol, 1e-14, 1e-3)
    }
}

/// Measured numbers of Exercise 1.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Ex1Result {
    /// `‖w_GD − X⁺y‖/‖X⁺y‖` at the end of GD (relative).
    pub gd_distance_to_min_l2_rel: f64,
    /// Largest relative component of a GD iterate outside `range(Xᵀ)`.
    pub gd_outside_row_space_rel: f64,
    /// Largest relative error of `ẇ = −(u²+v²)⊙∇R` at sampled points of the flow.
    pub velocity_identity_error_rel: f64,
    /// Per α: largest relative drift of `u⊙v` along the integrated flow.
    pub invariant_drift_rel: Vec<(f64, f64)>,
    /// Per α: largest gap between the (u, v) flow and the mirror flow, relative to `max‖w‖`.
    pub flow_gap_rel: Vec<(f64, f64)>,
    /// Per α: `(α, ‖w_α‖₁ − ‖w₁*‖₁, ‖w_α − w₂*‖₂/‖w₂*‖₂)` of the Bregman projection.
    pub limits: Vec<(f64, f64, f64)>,
    /// `‖w₁*‖₁`.
    pub l1_star: f64,
    /// `‖w₂*‖₂`.
    pub l2_star: f64,
}

/// Claims 2–3 at one α: velocity identity error, `u⊙v` drift, and the gap between the two flows.
fn flows_at(p: &Problem, alpha: f64, rtol: f64) -> Result<(f64, f64, f64)> {
    let d = p.d();
    let c = 2.0 * alpha * alpha;
    let horizon = 50.0 * (1.0 + (1.0 / c).ln().max(0.0)) / (p.smoothness() * c.max(1.0));
    let times = logspace(horizon * 1e-4, horizon, 25);
    let init = Init::uniform(alpha, d)?;
    let z = reparam_flow(p, &init, &times, OdeOptions { rtol, atol: 1e-300, ..Default::default() })?;
    let pot = Hyperbolic::uniform(alpha, d)?;
    let m = md_flow(p, &pot, &vec![0.0; d], &times, OdeOptions { rtol, atol: 1e-12, ..Default::default() })?;
    let scale = z.w.iter().map(|w| norm2(w)).fold(0.0, f64::max);
    let gap = z.w.iter().zip(&m.w).map(|(a, b)| dist2(a, b)).fold(0.0, f64::max) / scale;
    let a2 = alpha * alpha;
    let drift = z.uv.iter().flatten().flatten().map(|x| (x - a2).abs() / a2).fold(0.0, f64::max);
    // ẇ from (u̇, v̇) vs −(u² + v²)⊙∇R(w), with u² + v² = √(w² + 4α⁴), at the flow's points.
    let mut vel = 0.0f64;
    for w in &z.w {
        let g = p.grad(w);
        let (mut num, mut den) = (0.0, 0.0);
        for i in 0..d {
            let s = (w[i] * w[i] + c * c).sqrt();
            let (u2, v2) = (0.5 * (s + w[i]), 0.5 * (s - w[i]));
            let wdot = 2.0 * (-0.5 * g[i] * u2) - 2.0 * (0.5 * g[i] * v2);
            let pred = -(u2 + v2) * g[i];
            num += (wdot - pred).powi(2);
            den += pred * pred;
        }
        if den > 0.0 {
            vel = vel.max((num / den).sqrt());
        }
    }
    Ok((vel, drift, gap))
}

impl Study for Ex1 {
    type Config = Ex1Config;
    type Output = Ex1Result;
    const KEY: &'static str = "ex1";
    const ABOUT: &'static str = "Exercise 1: the claims of the theory, measured";

    fn run(cfg: &Ex1Config, progress: ProgressFn<'_>) -> Result<(Ex1Result, Section)> {
        progress(Progress::Stage("Exercise 1: claims and limits"));
        let p = GenSpec::ex2(cfg.seed).generate()?.problem;
        let d = p.d();
        let w2 = min_l2(&p)?;
        let w1 = basis_pursuit(&p)?;
        // Claim 1: GD from 0.
        let rc = RunConfig::fixed(1.0 / p.smoothness())
            .checkpoints(20)
            .stop(StopRule::default().risk_tol(1e-30).max_iter(100_000));
        let gd = run_gd(&p, &rc)?;
        let gd_dist = dist2(&gd.w, &w2.w) / norm2(&w2.w);
        let mut off = 0.0f64;
        for c in &gd.checkpoints {
            off = off.max(p.outside_row_space(&c.w)?);
        }
        let mut vel_err = 0.0f64;
        let (mut drift, mut gaps) = (Vec::new(), Vec::new());
        for &alpha in &cfg.flow_alphas {
            let (v, dr, g) = flows_at(&p, alpha, cfg.rtol)?;
            vel_err = vel_err.max(v);
            drift.push((alpha, dr));
            gaps.push((alpha, g));
        }
        let mut limits = Vec::new();
        for &alpha in &cfg.limit_alphas {
            let pot = Hyperbolic::uniform(alpha, d)?;
            let s = bregman_projection(&p, &pot, &vec![0.0; d], BregmanOptions::default())?;
            limits.push((alpha, s.l1_norm - w1.l1_norm, dist2(&s.w, &w2.w) / w2.l2_norm));
        }
        let res = Ex1Result {
            gd_distance_to_min_l2_rel: gd_dist,
            gd_outside_row_space_rel: off,
            velocity_identity_error_rel: vel_err,
            invariant_drift_rel: drift.clone(),
            flow_gap_rel: gaps.clone(),
            limits: limits.clone(),
            l1_star: w1.l1_norm,
            l2_star: w2.l2_norm,
        };
        let mut claims = Table::new(
            "ex1_claims",
            &format!("Claims 1–3 measured on the ex2 preset (n = {}, d = {d}, seed {})", p.n(), cfg.seed),
            vec![
                Column::new("claim", "claim", Fmt::Plain),
                Column::new("statement", "statement", Fmt::Plain),
                Column::new("measured", "measured", Fmt::Plain),
                Column::new("value", "value", Fmt::Sci(3)),
                Column::new("tolerance", "tolerance", Fmt::Sci(0)),
                Column::new("holds", "holds", Fmt::Plain),
            ],
        );
        let mut row = |c: usize, s: String, m: &str, v: f64, tol: f64| {
            claims.push(vec![c.into(), s.into(), m.into(), v.into(), tol.into(), (v <= tol).into()]);
        };
        row(1, "GD from 0 reaches X⁺y".into(), "‖w_GD − w₂*‖₂/‖w₂*‖₂ (relative)", gd_dist, 1e-8);
        row(1, "GD iterates stay in range(Xᵀ)".into(), "max relative component outside", off, 1e-12);
        row(2, "ẇ = −(u²+v²)⊙∇R(w)".into(), "max relative error", vel_err, 1e-12);
        for (a, dr) in &drift {
            row(2, format!("u⊙v constant along the flow, α = {a:e}"), "max relative drift", *dr, 1e-8);
        }
        for (a, g) in &gaps {
            row(3, format!("(u,v) flow = mirror flow, α = {a:e}"), "max ‖w_uv − w_md‖₂ / max ‖w‖₂", *g, 1e-6);
        }
        let mut lim = Table::new(
            "ex1_limits",
            &format!(
                "Bregman projection (limit of the mirror flow) against w₁* (‖w₁*‖₁ = {:.6}) and w₂* (‖w₂*‖₂ = {:.6})",
                w1.l1_norm, w2.l2_norm
            ),
            vec![
                Column::new("alpha", "α", Fmt::Sci(0)),
                Column::new("l1_excess_abs", "‖w_α‖₁ − ‖w₁*‖₁", Fmt::Sci(3)),
                Column::new("distance_to_min_l2_rel", "‖w_α − w₂*‖₂/‖w₂*‖₂", Fmt::Sci(3)),
            ],
        );
        for (a, l1, l2) in &limits {
            lim.push(vec![Cell::Num(*a), Cell::Num(*l1), Cell::Num(*l2)]);
        }
        let smallest =
            limits.iter().min_by(|a, b| a.0.total_cmp(&b.0)).copied().unwrap_or((f64::NAN, f64::NAN, f64::NAN));
        let largest =
            limits.iter().max_by(|a, b| a.0.total_cmp(&b.0)).copied().unwrap_or((f64::NAN, f64::NAN, f64::NAN));
        let answers = vec![
            format!(
                "1.1 Gradient flow/descent from 0 converges to the minimum-ℓ2 interpolator: after {} steps GD is {:.1e} (relative) from X⁺y and its iterates never leave range(Xᵀ) by more than {:.1e}.",
                gd.iterations, gd_dist, off
            ),
            format!(
                "1.2 ẇ = −diag(u² + v²)∇R(w): the identity holds to {vel_err:.1e} (relative) at every sampled point of the flows integrated at α ∈ {:?}.",
                cfg.flow_alphas
            ),
            format!(
                "1.3 (u² + v²)² − w² = 4u²v² is conserved: u⊙v drifts by at most {:.1e} (relative) along the integrated flows.",
                drift.iter().map(|x| x.1).fold(0.0, f64::max)
            ),
            format!(
                "1.4 The (u, v) flow and the mirror flow with ψ(w) = Σ w·arcsinh(w/2α²) − √(w² + 4α⁴) trace the same curve: largest gap {:.1e} (relative to max ‖w‖₂) over α ∈ {:?}.",
                gaps.iter().map(|x| x.1).fold(0.0, f64::max),
                cfg.flow_alphas
            ),
            format!(
                "1.5 (a) α → 0 gives a minimum-ℓ1 interpolator: at α = {:e} the ℓ1 excess ‖w_α‖₁ − ‖w₁*‖₁ is {:.1e}; (b) α → ∞ gives the minimum-ℓ2 interpolator: at α = {:e} the relative distance to w₂* is {:.1e}.",
                smallest.0, smallest.1, largest.0, largest.2
            ),
        ];
        Ok((
            res,
            Section {
                key: String::new(),
                title: "Exercise 1 — reparametrised gradient flow as mirror flow".into(),
                part: "The exercise sheet".into(),
                answers,
                tables: vec![claims, lim],
                figures: vec![],
            },
        ))
    }
}
