//! The α → 0 limit of the `(u, v)` gradient flow in accelerated time: a piecewise-constant path that jumps
//! from saddle to saddle (Pesme & Flammarion, NeurIPS 2023, Algorithm 1; SPEC §9).
//!
//! State `q ∈ [−1, 1]^d` (`q = 0` at `τ = 0`). The current saddle `β` minimises `R` over
//! `{βᵢ = 0 if |qᵢ| < 1, sign βᵢ = qᵢ if |qᵢ| = 1}`: a non-negative least squares on the signed active columns
//! ([`nnls`], Lawson–Hanson, warm-started from the previous saddle's support). Then, with `g = ∇R(β)`,
//! `q` moves as `q − Δg` until a coordinate reaches the boundary it is pushed to (`qᵢ − Δgᵢ = −sign gᵢ`);
//! coordinates whose gradient pushes them inward leave. It stops when `∇R(β) = 0`: the last saddle is a
//! minimum-ℓ1 interpolator. Each saddle is certified: the KKT residual of its sign-constrained least squares
//! and `‖q‖_∞ ≤ 1 + 1e-12`.

use crate::kernels::linalg::{self, Dense, SymFactor};
use crate::problem::{GradPlan, Parallelism, Problem};
use crate::{Error, Result};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// The saddle-to-saddle path.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SaddlePath {
    /// Jump times `τ_k` (accelerated time `t/(2 ln(1/α))`), starting with 0.
    pub times: Vec<f64>,
    /// The saddles `β_k` (`β_0 = 0`); `β_k` holds on `[τ_k, τ_{k+1})`.
    pub saddles: Vec<Vec<f64>>,
    /// The active set `{i : |qᵢ| = 1}` on each plateau.
    pub active: Vec<Vec<usize>>,
    /// The signs `qᵢ` of the active coordinates on each plateau.
    pub signs: Vec<Vec<f64>>,
    /// Per saddle: the KKT residual of its sign-constrained least squares (absolute, gradient units).
    pub kkt_residual: Vec<f64>,
    /// Largest `|qᵢ|` seen along the path (≤ 1 + 1e-12 is certified).
    pub q_max: f64,
    /// Wall-clock seconds.
    pub wall_seconds: f64,
}

impl SaddlePath {
    /// The limit path at accelerated time `τ` (the saddle of the plateau containing `τ`).
    pub fn at(&self, tau: f64) -> &[f64] {
        let k = self.times.partition_point(|&t| t <= tau).max(1) - 1;
        &self.saddles[k]
    }
}

/// Non-negative least squares `min ‖Cz − y‖²`, `z ≥ 0`, by Lawson–Hanson on the Gram form: `g = CᵀC`
/// (`k × k`), `b = Cᵀy`. `start` is a warm passive set. Returns `z` and its KKT residual
/// `max(max_{z>0} |∇|, max_{z=0} max(0, −∇))` with `∇ = g z − b` (half the gradient of the squared norm).
pub fn nnls(g: &Dense, b: &[f64], start: &[usize]) -> Result<(Vec<f64>, f64)> {
    let k = b.len();
    let mut passive: Vec<bool> = vec![false; k];
    for &j in start {
        if j < k {
            passive[j] = true;
        }
    }
    let mut z = vec![0.0; k];
    let scale = b.iter().map(|v| v.abs()).fold(0.0, f64::max).max(f64::MIN_POSITIVE);
    let tol = 1e-12 * scale;
    let grad =
        |z: &[f64]| -> Vec<f64> { (0..k).map(|i| (0..k).map(|j| g.get(i, j) * z[j]).sum::<f64>() - b[i]).collect() };
    let solve_passive = |passive: &[bool]| -> Result<Vec<f64>> {
        let idx: Vec<usize> = (0..k).filter(|&i| passive[i]).collect();
        let mut out = vec![0.0; k];
        if idx.is_empty() {
            return Ok(out);
        }
        let sub = Dense::from_fn(idx.len(), idx.len(), |a, c| g.get(idx[a], idx[c]));
        let rhs: Vec<f64> = idx.iter().map(|&i| b[i]).collect();
        let s = SymFactor::new(&sub)?.solve(&rhs);
        for (a, &i) in idx.iter().enumerate() {
            out[i] = s[a];
        }
        Ok(out)
    };
    for _outer in 0..(3 * k + 10) {
        // Inner loop: make the passive solution feasible by moving towards it and dropping the zeros.
        for _inner in 0..(k + 1) {
            let s = solve_passive(&passive)?;
            if (0..k).all(|i| !passive[i] || s[i] > 0.0) {
                z = s;
                break;
            }
            let mut step = 1.0f64;
            for i in 0..k {
                if passive[i] && s[i] <= 0.0 {
                    let den = z[i] - s[i];
                    let t = if den > 0.0 { z[i] / den } else { 0.0 };
                    step = step.min(t);
                }
            }
            for i in 0..k {
                if passive[i] {
                    z[i] += step * (s[i] - z[i]);
                    if z[i] <= 1e-15 * scale.max(1.0) {
                        z[i] = 0.0;
                        passive[i] = false;
                    }
                }
            }
        }
        let w = grad(&z);
        // The most negative gradient among the zero set enters.
        let enter = (0..k).filter(|&i| !passive[i]).min_by(|&a, &c| w[a].total_cmp(&w[c]));
        match enter {
            Some(i) if w[i] < -tol => passive[i] = true,
            _ => break,
        }
    }
    let w = grad(&z);
    let kkt = (0..k).map(|i| if z[i] > 0.0 { w[i].abs() } else { (-w[i]).max(0.0) }).fold(0.0, f64::max);
    Ok((z, kkt))
}

/// The saddle-to-saddle path of `p` (see the module notes).
pub fn saddle_path(p: &Problem) -> Result<SaddlePath> {
    let t0 = std::time::Instant::now();
    let (n, d) = (p.n(), p.d());
    let nf = n as f64;
    let plan = GradPlan::new(p, Parallelism::Auto);
    let cols = p.columns();
    let mut xty = vec![0.0; d];
    plan.xt_mul(p.y(), &mut xty);
    let g_scale = 2.0 / nf * linalg::norm_inf(&xty);
    // Xᵀx_j for every coordinate that has been active (as in the Lasso homotopy).
    let mut xtx: HashMap<usize, Vec<f64>> = HashMap::new();
    let mut q = vec![0.0; d];
    let mut beta = vec![0.0; d];
    let mut times = vec![0.0];
    let mut saddles = vec![beta.clone()];
    let mut active_hist = vec![Vec::new()];
    let mut signs_hist = vec![Vec::new()];
    let mut kkts = vec![0.0];
    let mut tau = 0.0;
    let mut q_max = 0.0f64;
    let mut g = vec![0.0; d];
    let tol_g = 1e-11 * g_scale.max(f64::MIN_POSITIVE);
    for _jump in 0..(10 * d + 100) {
        crate::control::check()?;
        // g = ∇R(β) = (2/n)(Σ_{βⱼ≠0} βⱼ Xᵀxⱼ − Xᵀy), from the cached products.
        g.iter_mut().zip(&xty).for_each(|(a, b)| *a = -b);
        for (j, &bj) in beta.iter().enumerate() {
            if bj != 0.0 {
                linalg::axpy(bj, &xtx[&j], &mut g);
            }
        }
        g.iter_mut().for_each(|v| *v *= 2.0 / nf);
        if linalg::norm_inf(&g) <= tol_g {
            return Ok(SaddlePath {
                times,
                saddles,
                active: active_hist,
                signs: signs_hist,
                kkt_residual: kkts,
                q_max,
                wall_seconds: t0.elapsed().as_secs_f64(),
            });
        }
        // The first coordinate to reach the boundary it is pushed to.
        let mut delta = f64::INFINITY;
        for i in 0..d {
            if g[i].abs() > tol_g {
                let di = (1.0 + g[i].signum() * q[i]) / g[i].abs();
                if di > 1e-14 * (1.0 + tau) && di < delta {
                    delta = di;
                }
            }
        }
        if !delta.is_finite() {
            return Err(Error::Numerical(format!(
                "saddle path: no coordinate moves at τ = {tau:e} while ‖∇R‖∞ = {:e}",
                linalg::norm_inf(&g)
            )));
        }
        tau += delta;
        for i in 0..d {
            q[i] -= delta * g[i];
        }
        // Snap the coordinates that reached ±1 (within rounding), so ties join together.
        for qi in q.iter_mut() {
            if (qi.abs() - 1.0).abs() <= 1e-12 {
                *qi = qi.signum();
            }
            q_max = q_max.max(qi.abs());
        }
        let active: Vec<usize> = (0..d).filter(|&i| q[i].abs() == 1.0).collect();
        let signs: Vec<f64> = active.iter().map(|&i| q[i]).collect();
        for &j in &active {
            xtx.entry(j).or_insert_with(|| {
                let mut col = vec![0.0; d];
                plan.xt_mul(cols.row(j), &mut col);
                col
            });
        }
        // β = argmin R over the signed active columns: NNLS on C = X_A diag(s), warm from the last support.
        let k = active.len();
        let gram = Dense::from_fn(k, k, |a, c| signs[a] * signs[c] * xtx[&active[c]][active[a]]);
        let b: Vec<f64> = active.iter().zip(&signs).map(|(&j, s)| s * xty[j]).collect();
        let warm: Vec<usize> = (0..k).filter(|&a| beta[active[a]] != 0.0).collect();
        let (z, kkt) = nnls(&gram, &b, &warm)?;
        beta.iter_mut().for_each(|v| *v = 0.0);
        for (a, &j) in active.iter().enumerate() {
            beta[j] = signs[a] * z[a];
        }
        // In gradient units: ∇R restricted to the active block is (2/n)·s⊙(Gz − b).
        let kkt = 2.0 / nf * kkt;
        times.push(tau);
        saddles.push(beta.clone());
        active_hist.push(active);
        signs_hist.push(signs);
        kkts.push(kkt);
        let tol_kkt = 1e-9 * g_scale.max(f64::MIN_POSITIVE);
        if !(kkt <= tol_kkt) || !(q_max <= 1.0 + 1e-12) {
            return Err(Error::CertificateFailed {
                solver: "saddle path".into(),
                detail: format!("at τ = {tau:e}: KKT residual {kkt:.3e} (tolerance {tol_kkt:.1e}), max |q| = {q_max}"),
            });
        }
    }
    Err(Error::Numerical(format!("saddle path: no end after {} jumps (τ = {tau:e})", 10 * d + 100)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nnls_against_the_unconstrained_and_the_clipped_solutions() {
        // Unconstrained solution positive: NNLS returns it.
        let g = Dense { rows: 2, cols: 2, data: vec![2.0, 0.5, 0.5, 1.0] };
        let (z, kkt) = nnls(&g, &[1.0, 1.0], &[]).unwrap();
        let want = SymFactor::new(&g).unwrap().solve(&[1.0, 1.0]);
        assert!(want.iter().all(|v| *v > 0.0) && linalg::dist2(&z, &want) < 1e-14 && kkt < 1e-14);
        // A negative unconstrained coordinate: clipped to 0, the other re-solved alone.
        let (z, kkt) = nnls(&g, &[1.0, -1.0], &[0, 1]).unwrap();
        assert!(z[1] == 0.0 && (z[0] - 0.5).abs() < 1e-15 && kkt < 1e-14, "{z:?}");
    }
}
