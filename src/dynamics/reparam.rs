//! Gradient descent on the reparametrisation `w = u⊙u − v⊙v` ("diagonal linear network", SPEC §2):
//! `R̃(u, v) = R(w)/4`, `u ← u⊙(1 − η∇R(w)/2)`, `v ← v⊙(1 + η∇R(w)/2)`, from any `(u₀, v₀) > 0`.
//!
//! Finite steps (SPEC §8): `uₖvₖ = u₀v₀ Π(1 − η²g²/4)` and `ln(uₖ/vₖ) = ln(u₀/v₀) − 2Σ artanh(ηg/2)`, so
//! `wₖ = 2aₖ² sinh(θₖ + ln(u₀/v₀))` with `aₖ² = uₖvₖ`: a mirror method whose scale shrinks. The run
//! reports the effective scale, the drift of `θ` out of `range(Xᵀ)`, and the steps where some
//! `|ηgᵢ/2| ≥ 1` (then `u` or `v` changes sign and the identity stops holding); on request it tracks
//! `ln aₖ²` and `θₖ` in log scale (the products underflow at small α).

use super::config::{RunConfig, StepRule, metric_grad};
use super::driver::{Finish, Method, StepOutcome, check_risk_stop_reachable, drive, require_rule};
use super::result::{Algorithm, ReparamInfo, RunResult, ScaleTrack};
use super::step::{Fixed, Safe, ScalarRule};
use crate::error::num;
use crate::kernels::linalg::{self, norm_inf};
use crate::potential::PotentialKind;
use crate::problem::{GradPlan, Problem};
use crate::{Error, Result};

/// The initialisation `(u₀, v₀)` of GD on `(u, v)`, and whether to track the finite-step identity.
#[derive(Debug, Clone, PartialEq)]
pub struct Init {
    u0: Vec<f64>,
    v0: Vec<f64>,
    alpha: Option<f64>,
    track: bool,
    depth: u32,
}

impl Init {
    /// `u₀ = v₀ = α·1` (the sheet's initialisation; `w₀ = 0`, scale `c = 2α²`).
    pub fn uniform(alpha: f64, d: usize) -> Result<Self> {
        crate::potential::check_alpha("alpha", alpha)?;
        Ok(Init { u0: vec![alpha; d], v0: vec![alpha; d], alpha: Some(alpha), track: false, depth: 2 })
    }

    /// The shape `s ∈ (−1, 1)` of Azulay et al. (2021): `u₀ = α√((1−s)/(1+s))`, `v₀ = α√((1+s)/(1−s))`, so
    /// `u₀v₀ = α²` and `w₀ = u₀² − v₀² = −4α²s/(1 − s²)`.
    pub fn shape(alpha: f64, s: f64, d: usize) -> Result<Self> {
        crate::potential::check_alpha("alpha", alpha)?;
        if !(s.is_finite() && s.abs() < 1.0) {
            return Err(Error::param("shape", format!("s must lie in (−1, 1), got {}", num(s))));
        }
        let (a, b) = (alpha * ((1.0 - s) / (1.0 + s)).sqrt(), alpha * ((1.0 + s) / (1.0 - s)).sqrt());
        Self::explicit(vec![a; d], vec![b; d]).map(|mut i| {
            i.alpha = Some(alpha);
            i
        })
    }

    /// Any `(u₀, v₀)` with positive, finite entries.
    pub fn explicit(u0: Vec<f64>, v0: Vec<f64>) -> Result<Self> {
        if u0.len() != v0.len() {
            return Err(Error::param("u0/v0", format!("lengths differ ({} and {})", u0.len(), v0.len())));
        }
        for (name, v) in [("u0", &u0), ("v0", &v0)] {
            if let Some(i) = v.iter().position(|x| !(x.is_finite() && *x > 0.0)) {
                return Err(Error::param(
                    name,
                    format!("entry {} is {}: every entry must be finite and > 0", i + 1, num(v[i])),
                ));
            }
        }
        Ok(Init { u0, v0, alpha: None, track: false, depth: 2 })
    }

    /// Tracks `ln aₖ²` and `θₖ` per coordinate along the run (SPEC §8; two transcendental functions per
    /// coordinate and step).
    pub fn track_scale(mut self, on: bool) -> Self {
        self.track = on;
        self
    }

    /// The depth `D ≥ 2` of the network `w = u^D − v^D`, with `F = R(w)/(2D)` (`D = 2`: the sheet's `R/4`;
    /// SPEC §9).
    pub fn depth(mut self, depth: u32) -> Result<Self> {
        if !(2..=64).contains(&depth) {
            return Err(Error::param("depth", format!("depth must be in [2, 64], got {depth}")));
        }
        self.depth = depth;
        Ok(self)
    }

    /// The initialisation a request describes, decided in one place for every door: a `shape` at scale `alpha`,
    /// or an explicit `(u0, v0)`, or uniform `u₀ = v₀ = alpha`. Errors name `u0/v0/shape` when both or half are given.
    pub fn from_options(
        alpha: f64,
        shape: Option<f64>,
        u0: Option<Vec<f64>>,
        v0: Option<Vec<f64>>,
        d: usize,
    ) -> Result<Self> {
        match (shape, u0, v0) {
            (Some(s), None, None) => Self::shape(alpha, s, d),
            (None, Some(u), Some(v)) => Self::explicit(u, v),
            (None, None, None) => Self::uniform(alpha, d),
            _ => Err(Error::param("u0/v0/shape", "give u0 and v0 together, or shape, not both")),
        }
    }

    /// Whether the finite-step identity is tracked.
    pub fn tracks_scale(&self) -> bool {
        self.track
    }

    /// The depth `D`.
    pub fn network_depth(&self) -> u32 {
        self.depth
    }

    /// `u₀`.
    pub fn u0(&self) -> &[f64] {
        &self.u0
    }
    /// `v₀`.
    pub fn v0(&self) -> &[f64] {
        &self.v0
    }
    /// The uniform α, when the initialisation has one.
    pub fn alpha(&self) -> Option<f64> {
        self.alpha
    }
    /// `w₀ = u₀^D − v₀^D`.
    pub fn w0(&self) -> Vec<f64> {
        let d = self.depth as i32;
        self.u0.iter().zip(&self.v0).map(|(u, v)| u.powi(d) - v.powi(d)).collect()
    }
    /// The mirror map of the flow from this initialisation: the hyperbolic entropy with `cᵢ = 2u₀ᵢv₀ᵢ`.
    pub fn potential(&self) -> crate::potential::Hyperbolic {
        crate::potential::Hyperbolic::from_ln_half_scales(
            self.u0.iter().zip(&self.v0).map(|(u, v)| u.ln() + v.ln()).collect(),
        )
    }
}

/// The safe step for `z = (u, v)`: `min(1/(L·maxᵢ(uᵢ² + vᵢ²) + ‖g‖_∞/2), 1/(2‖g‖_∞))`
/// (a bound on the curvature of `R̃` plus a cap on the multiplicative change of `u`, `v`).
pub fn safe_step_reparam(p: &Problem, u: &[f64], v: &[f64], g: &[f64]) -> f64 {
    let m = u.iter().zip(v).map(|(a, b)| a * a + b * b).fold(0.0, f64::max);
    let gi = norm_inf(g);
    let a = 1.0 / (p.smoothness() * m + 0.5 * gi).max(f64::MIN_POSITIVE);
    if gi > 0.0 { a.min(0.5 / gi) } else { a }
}

/// The safe step for depth `D` (SPEC §6 for `D = 2`): the metric is `(D/2)(u^{2D−2} + v^{2D−2})` and one step
/// changes `u` by the factor `1 − ηgu^{D−2}/2`: `min(1/(L·max metric + ‖g‖_∞m/2), 1/(2‖g‖_∞m))`, `m = max(u, v)^{D−2}`.
pub fn safe_step_depth(p: &Problem, depth: u32, u: &[f64], v: &[f64], g: &[f64]) -> f64 {
    if depth == 2 {
        return safe_step_reparam(p, u, v, g);
    }
    let e = depth as i32;
    let metric =
        u.iter().zip(v).map(|(a, b)| 0.5 * depth as f64 * (a.powi(2 * e - 2) + b.powi(2 * e - 2))).fold(0.0, f64::max);
    let m = u.iter().zip(v).map(|(a, b)| a.abs().max(b.abs()).powi(e - 2)).fold(0.0, f64::max);
    let gi = norm_inf(g) * m;
    let a = 1.0 / (p.smoothness() * metric + 0.5 * gi).max(f64::MIN_POSITIVE);
    if gi > 0.0 { a.min(0.5 / gi) } else { a }
}

/// `w = u⊙u − v⊙v`.
pub fn w_of(u: &[f64], v: &[f64], w: &mut [f64]) {
    for i in 0..w.len() {
        w[i] = u[i] * u[i] - v[i] * v[i];
    }
}

/// `w = u^D − v^D`.
pub fn w_of_depth(depth: u32, u: &[f64], v: &[f64], w: &mut [f64]) {
    if depth == 2 {
        return w_of(u, v, w);
    }
    let e = depth as i32;
    for i in 0..w.len() {
        w[i] = u[i].powi(e) - v[i].powi(e);
    }
}

/// The end of a run on `(u, v)` (deterministic or stochastic): the diagnostics of SPEC §8 and, when tracked, the
/// finite-step identity's residual.
pub(crate) fn finish_reparam(
    p: &Problem,
    init: &Init,
    u: Vec<f64>,
    v: Vec<f64>,
    w: Vec<f64>,
    sign_changes: usize,
    track: Option<(Vec<f64>, Vec<f64>)>,
) -> Result<Finish> {
    if init.depth != 2 {
        let notes = if sign_changes > 0 {
            vec![format!("in {} steps some factor 1 ∓ ηgu^(D−2)/2 changed sign", sign_changes)]
        } else {
            Vec::new()
        };
        return Ok(Finish { w, reparam: None, notes });
    }
    let mut info = reparam_info(p, &init.u0, &init.v0, &u, &v)?;
    info.steps_with_sign_change = sign_changes;
    if let Some((ln_a2, theta)) = track {
        let mut err = 0.0f64;
        for i in 0..w.len() {
            let t = theta[i] + (init.u0[i] / init.v0[i]).ln();
            let pred = ((ln_a2[i] + t.abs()).exp() - (ln_a2[i] - t.abs()).exp()).copysign(t);
            err = err.max((w[i] - pred).abs());
        }
        let scale = norm_inf(&w).max(f64::MIN_POSITIVE);
        info.tracked = Some(ScaleTrack { ln_a2, theta, identity_error_rel: err / scale });
    }
    let mut notes = Vec::new();
    if sign_changes > 0 {
        notes.push(format!(
            "in {} steps some |ηgᵢ/2| ≥ 1: u or v changed sign or hit 0, and w = 2a² sinh θ (SPEC §8) no longer holds",
            sign_changes
        ));
    }
    Ok(Finish { w, reparam: Some(info), notes })
}

/// GD on `(u, v)` with a scalar step rule.
pub struct Reparam<'a, R: ScalarRule> {
    plan: GradPlan<'a>,
    rule: R,
    init: &'a Init,
    u: Vec<f64>,
    v: Vec<f64>,
    w: Vec<f64>,
    g: Vec<f64>,
    r: Vec<f64>,
    risk: f64,
    safe0: f64,
    sign_changes: usize,
    /// `(ln a², θ)` per coordinate, when tracked.
    track: Option<(Vec<f64>, Vec<f64>)>,
}

impl<'a, R: ScalarRule> Reparam<'a, R> {
    fn new(plan: GradPlan<'a>, init: &'a Init, rule: R) -> Self {
        let p = plan.problem();
        let d = p.d();
        let (u, v) = (init.u0.clone(), init.v0.clone());
        let mut w = vec![0.0; d];
        w_of_depth(init.depth, &u, &v, &mut w);
        let (mut r, mut g) = (vec![0.0; p.n()], vec![0.0; d]);
        let risk = plan.grad(&w, &mut r, &mut g);
        let safe0 = safe_step_depth(p, init.depth, &u, &v, &g);
        let track = init.track.then(|| track_start(&u, &v));
        Reparam { plan, rule, init, u, v, w, g, r, risk, safe0, sign_changes: 0, track }
    }
}

/// The tracked finite-step quantities of SPEC §8 at the start: `ln aᵢ² = ln u₀ᵢ + ln v₀ᵢ` and `θᵢ = 0`.
pub(crate) fn track_start(u: &[f64], v: &[f64]) -> (Vec<f64>, Vec<f64>) {
    (u.iter().zip(v).map(|(a, b)| a.ln() + b.ln()).collect(), vec![0.0; u.len()])
}

/// One step of the tracked quantities (SPEC §8) with `h = η/2` and gradient `g`:
/// `ln aᵢ² += ln(1 − (h gᵢ)²)`, `θᵢ −= 2 artanh(h gᵢ)`.
#[inline]
pub(crate) fn track_step(track: &mut Option<(Vec<f64>, Vec<f64>)>, h: f64, g: &[f64]) {
    if let Some((la, th)) = track {
        for i in 0..g.len() {
            let x = h * g[i];
            la[i] += (-x * x).ln_1p();
            th[i] -= 2.0 * x.atanh();
        }
    }
}

/// One step of depth `D > 2`: `u ← u⊙(1 − h·g⊙u^{D−2})`, `v ← v⊙(1 + h·g⊙v^{D−2})`, `w = u^D − v^D`.
pub(crate) fn update_depth(depth: u32, h: f64, g: &[f64], u: &mut [f64], v: &mut [f64], w: &mut [f64]) -> bool {
    let e = depth as i32;
    let mut flip = false;
    for i in 0..g.len() {
        let (a, b) = (h * g[i] * u[i].powi(e - 2), h * g[i] * v[i].powi(e - 2));
        flip |= a.abs() >= 1.0 || b.abs() >= 1.0;
        u[i] *= 1.0 - a;
        v[i] *= 1.0 + b;
        w[i] = u[i].powi(e) - v[i].powi(e);
    }
    flip
}

/// One step `u ← u⊙(1 − h·g)`, `v ← v⊙(1 + h·g)`, `w = u⊙u − v⊙v` with `h = η/2`; returns whether some
/// `|h·gᵢ| ≥ 1` (an OR of comparisons, which vectorises; a running maximum would not).
#[inline]
pub(crate) fn update(h: f64, g: &[f64], u: &mut [f64], v: &mut [f64], w: &mut [f64]) -> bool {
    let mut flip = false;
    for i in 0..g.len() {
        let gi = h * g[i];
        flip |= gi.abs() >= 1.0;
        u[i] *= 1.0 - gi;
        v[i] *= 1.0 + gi;
        w[i] = u[i] * u[i] - v[i] * v[i];
    }
    flip
}

impl<R: ScalarRule> Method for Reparam<'_, R> {
    fn algorithm(&self) -> Algorithm {
        Algorithm::Reparam
    }
    fn potential(&self) -> PotentialKind {
        if self.init.depth == 2 { PotentialKind::Hyperbolic } else { PotentialKind::Depth }
    }
    #[inline]
    fn w(&self) -> &[f64] {
        &self.w
    }
    #[inline]
    fn risk(&self) -> f64 {
        self.risk
    }
    fn metric_grad(&mut self) -> f64 {
        let (dd, e) = (self.init.depth as f64, self.init.depth as i32);
        metric_grad(
            self.u.iter().zip(&self.v).map(|(a, b)| 0.5 * dd * (a.powi(2 * e - 2) + b.powi(2 * e - 2))),
            &self.g,
        )
    }
    #[inline]
    fn step(&mut self) -> Result<StepOutcome> {
        let p = self.plan.problem();
        let (u, v, g) = (&self.u, &self.v, &self.g);
        let depth = self.init.depth;
        let eta = self.rule.eta(|| safe_step_depth(p, depth, u, v, g));
        let h = 0.5 * eta;
        track_step(&mut self.track, h, &self.g);
        let flip = self.plan.coords(
            (self.g.as_slice(), self.u.as_mut_slice(), self.v.as_mut_slice(), self.w.as_mut_slice()),
            |_, (g, u, v, w)| if depth == 2 { update(h, g, u, v, w) } else { update_depth(depth, h, g, u, v, w) },
            |a, b| a | b,
        );
        if flip {
            self.sign_changes += 1;
        }
        self.risk = self.plan.grad(&self.w, &mut self.r, &mut self.g);
        Ok(StepOutcome::Moved { eta, grad_evals: 1 })
    }
    fn safe_eta(&self) -> f64 {
        self.safe0
    }
    fn uv(&self) -> Option<Vec<f64>> {
        Some(self.u.iter().zip(&self.v).map(|(a, b)| a * b).collect())
    }
    fn finish(self, p: &Problem) -> Result<Finish> {
        finish_reparam(p, self.init, self.u, self.v, self.w, self.sign_changes, self.track)
    }
}

/// GD on `(u, v)` from `u₀ = v₀ = α·1`.
pub fn run_reparam_alpha(p: &Problem, alpha: f64, cfg: &RunConfig) -> Result<RunResult> {
    run_reparam(p, &Init::uniform(alpha, p.d())?, cfg)
}

/// GD on `(u, v)` from `init`, with a fixed step or the safe rule.
pub fn run_reparam(p: &Problem, init: &Init, cfg: &RunConfig) -> Result<RunResult> {
    let d = p.d();
    cfg.validate(d)?;
    if init.u0.len() != d {
        return Err(Error::param("u0/v0", format!("have length {} but d = {d}", init.u0.len())));
    }
    require_rule("GD on (u, v)", cfg.step, &["fixed", "safe"])?;
    if init.track && init.depth != 2 {
        return Err(Error::param("track_scale", "the finite-step identity w = 2a² sinh θ is for depth 2"));
    }
    check_risk_stop_reachable(p, cfg)?;
    let plan = GradPlan::new(p, cfg.parallelism);
    let mut res = match cfg.step {
        StepRule::Fixed(e) => drive(p, Reparam::new(plan, init, Fixed(e)), cfg)?,
        _ => drive(p, Reparam::new(plan, init, Safe), cfg)?,
    };
    res.alpha = init.alpha;
    Ok(res)
}

/// Diagnostics of SPEC §8: effective scale `√(u⊙v)` relative to `√(u₀⊙v₀)` (computed in log scale) and
/// the drift of `θ = ln(u/v)` out of `range(Xᵀ)`.
pub fn reparam_info(p: &Problem, u0: &[f64], v0: &[f64], u: &[f64], v: &[f64]) -> Result<ReparamInfo> {
    let d = u.len();
    let uv_final: Vec<f64> = (0..d).map(|i| u[i] * v[i]).collect();
    let ratio = |i: usize| (0.5 * (u[i].abs().ln() + v[i].abs().ln() - u0[i].abs().ln() - v0[i].abs().ln())).exp();
    let mut ratios: Vec<f64> = (0..d).map(ratio).collect();
    ratios.sort_by(f64::total_cmp);
    let dtheta: Vec<f64> = (0..d).map(|i| (u[i] / v[i]).abs().ln() - (u0[i] / v0[i]).abs().ln()).collect();
    let out = if linalg::all_finite(&dtheta) { p.outside_row_space(&dtheta)? } else { f64::NAN };
    Ok(ReparamInfo {
        uv_final,
        scale_ratio_min: ratios.first().copied().unwrap_or(f64::NAN),
        scale_ratio_median: ratios.get(d / 2).copied().unwrap_or(f64::NAN),
        scale_ratio_max: ratios.last().copied().unwrap_or(f64::NAN),
        theta_outside_range_rel: out,
        steps_with_sign_change: 0,
        tracked: None,
    })
}
