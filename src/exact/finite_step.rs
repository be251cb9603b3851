//! The limit of GD on `(u, v)` at a finite step, against what the theory predicts (SPEC §8–§9; Even, Pesme,
//! Gunasekar & Flammarion 2023; Nacson et al. 2022): the gradient-flow limit (the Bregman projection at the
//! initial scale), the effective-scale prediction (the Bregman projection with `cᵢ = 2a_∞,ᵢ²`, `a_∞² = u⊙v` at the
//! end, from the point whose mirror coordinate is `θ₀ = ln(u₀/v₀)`), and the stability of the limit: the
//! sharpness `λ_max((2/n) X diag(u² + v²) Xᵀ)` against `2/η`, and `Σ|wᵢ|‖xᵢ‖² ≤ n²/η`.

use super::bregman::{BregmanOptions, bregman_projection};
use crate::dynamics::{Init, RunResult, StepEffect};
use crate::kernels::linalg;
use crate::potential::Hyperbolic;
use crate::problem::{GradPlan, Parallelism, Problem};
use crate::{Error, Result};

/// The finite-step effect of a converged run `res` of GD on `(u, v)` (depth 2) from `init` at the fixed step `eta`.
pub fn step_effect(p: &Problem, init: &Init, res: &RunResult, eta: f64) -> Result<StepEffect> {
    let info = res
        .reparam
        .as_ref()
        .ok_or_else(|| Error::param("run", "the finite-step effect needs a run of GD on (u, v) (depth 2)"))?;
    if init.network_depth() != 2 {
        return Err(Error::param("depth", "the finite-step effect is computed for depth 2"));
    }
    let (n, d) = (p.n(), p.d());
    let w = &res.w;
    let flow = bregman_projection(p, &init.potential(), &init.w0(), BregmanOptions::default())?;
    // The effective scale: ln a² = ln(u⊙v) at the end (log scale: it can be tiny).
    let ln_a2: Vec<f64> = match info.tracked.as_ref() {
        Some(t) => t.ln_a2.clone(),
        None => info.uv_final.iter().map(|x| x.abs().ln()).collect(),
    };
    let theta0: Vec<f64> = init.u0().iter().zip(init.v0()).map(|(u, v)| (u / v).ln()).collect();
    let eff_pot = Hyperbolic::from_ln_half_scales(ln_a2.clone());
    let w0_eff: Vec<f64> = (0..d).map(|i| 2.0 * ln_a2[i].exp() * theta0[i].sinh()).collect();
    let eff = bregman_projection(p, &eff_pot, &w0_eff, BregmanOptions::default())?;
    let rel = |a: &[f64], b: &[f64]| linalg::dist2(a, b) / linalg::norm2(b).max(f64::MIN_POSITIVE);
    // Sharpness: u² + v² = √(w² + 4(u⊙v)²).
    let s: Vec<f64> = (0..d).map(|i| (w[i] * w[i] + 4.0 * (2.0 * ln_a2[i]).exp()).sqrt()).collect();
    let plan = GradPlan::new(p, Parallelism::Auto);
    let mut t = vec![0.0; d];
    let (sharpness, _) = linalg::power_lambda_max(
        n,
        |v, out| {
            plan.xt_mul(v, &mut t);
            for (ti, si) in t.iter_mut().zip(&s) {
                *ti *= si;
            }
            for (a, o) in out.iter_mut().enumerate() {
                *o = 2.0 / n as f64 * linalg::dot(p.x().row(a), &t);
            }
        },
        1e-10,
        100_000,
    )
    .ok_or_else(|| Error::Numerical("sharpness: power iteration did not converge in 100000 iterations".into()))?;
    let cols = p.columns();
    let stability_sum = (0..d).map(|i| w[i].abs() * linalg::norm2(cols.row(i)).powi(2)).sum::<f64>();
    Ok(StepEffect {
        eta,
        flow_limit_distance_rel: rel(w, &flow.w),
        effective_limit_distance_rel: rel(w, &eff.w),
        effective_vs_flow_rel: rel(&eff.w, &flow.w),
        sharpness,
        two_over_eta: 2.0 / eta,
        stability_sum,
        stability_bound: (n * n) as f64 / eta,
    })
}
