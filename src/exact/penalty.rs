//! Penalties of the regularisation paths as one trait (the datafit/penalty split of skglm): the value,
//! the scalar prox, the distance of a gradient to the subdifferential (the KKT check), `λ_max`, and the
//! duality gap where the penalty is a norm. The Lasso's gap and KKT check are written here once.
//!
//! Conventions (SPEC §5): `min R(w) + λ·pen(w)`, `R(w) = (1/n)‖Xw − y‖²`. Scaled by `n/2` this is
//! `½‖Xw − y‖² + a·pen(w)` with `a = nλ/2` (scikit-learn's Lasso `alpha = λ/2`, with its `1/n`).

use crate::kernels::linalg;
use crate::problem::Problem;

/// A separable penalty.
pub trait Penalty {
    /// `pen(w)`.
    fn value(&self, w: &[f64]) -> f64;
    /// `argmin_x ½(x − v)² + t·pen₁(x)` for one coordinate.
    fn prox(&self, v: f64, t: f64) -> f64;
    /// The distance of `−g` (a coordinate of `∇R(w)`) to `λ·∂pen₁(w_j)`: 0 at a KKT point.
    fn kkt_residual(&self, w_j: f64, g_j: f64, lambda: f64) -> f64;
    /// The smallest λ at which `w = 0` is optimal (∞ if none).
    fn lambda_max(&self, xty_2n: &[f64]) -> f64;
    /// The dual norm of `v` restricted to the penalty's constraint (for the gap), if the penalty is a norm.
    fn dual_norm(&self, v: &[f64]) -> Option<f64>;
}

/// `‖w‖₁`, optionally restricted to `w ≥ 0`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct L1 {
    /// Constrain `w ≥ 0`.
    pub positive: bool,
}

/// `‖w‖₂²`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct L2;

impl Penalty for L1 {
    fn value(&self, w: &[f64]) -> f64 {
        linalg::norm1(w)
    }
    #[inline]
    fn prox(&self, v: f64, t: f64) -> f64 {
        if self.positive { (v - t).max(0.0) } else { v.signum() * (v.abs() - t).max(0.0) }
    }
    #[inline]
    fn kkt_residual(&self, w_j: f64, g_j: f64, lambda: f64) -> f64 {
        if w_j != 0.0 {
            (g_j + lambda * w_j.signum()).abs()
        } else if self.positive {
            (-g_j - lambda).max(0.0)
        } else {
            (g_j.abs() - lambda).max(0.0)
        }
    }
    fn lambda_max(&self, c: &[f64]) -> f64 {
        if self.positive { c.iter().copied().fold(0.0, f64::max) } else { linalg::norm_inf(c) }
    }
    fn dual_norm(&self, v: &[f64]) -> Option<f64> {
        Some(if self.positive { v.iter().copied().fold(0.0, f64::max) } else { linalg::norm_inf(v) })
    }
}

impl Penalty for L2 {
    fn value(&self, w: &[f64]) -> f64 {
        linalg::dot(w, w)
    }
    fn prox(&self, v: f64, t: f64) -> f64 {
        v / (1.0 + 2.0 * t)
    }
    fn kkt_residual(&self, w_j: f64, g_j: f64, lambda: f64) -> f64 {
        (g_j + 2.0 * lambda * w_j).abs()
    }
    fn lambda_max(&self, _: &[f64]) -> f64 {
        f64::INFINITY
    }
    fn dual_norm(&self, _: &[f64]) -> Option<f64> {
        None
    }
}

/// The KKT violation `max_j dist(−∇R(w)_j, λ∂pen(w_j))` from `xtr = Xᵀ(y − Xw)` (so `∇R = −(2/n)·xtr`).
pub fn kkt_from_xtr<P: Penalty>(pen: &P, n: usize, xtr: &[f64], w: &[f64], lambda: f64) -> f64 {
    let f = -2.0 / n as f64;
    (0..w.len()).map(|j| pen.kkt_residual(w[j], f * xtr[j], lambda)).fold(0.0, f64::max)
}

/// The KKT violation at `(w, λ)`, computed afresh from `w`.
pub fn kkt_violation<P: Penalty>(pen: &P, p: &Problem, w: &[f64], lambda: f64) -> f64 {
    let g = p.grad(w);
    (0..w.len()).map(|j| pen.kkt_residual(w[j], g[j], lambda)).fold(0.0, f64::max)
}

/// The duality gap of `R(w) + λ·pen(w)` (a norm penalty) from `r = y − Xw` and `xtr = Xᵀr`, with the
/// dual point `θ = s·r` scaled to be feasible (`dual_norm(Xᵀθ) ≤ a = nλ/2`):
/// `gap = (2/n)[½‖r‖² + a·pen(w) − ½‖y‖² + ½‖y − θ‖²]` ≥ 0 (up to rounding). `None` for penalties
/// that are not norms.
pub fn duality_gap_from<P: Penalty>(
    pen: &P,
    p: &Problem,
    r: &[f64],
    xtr: &[f64],
    w: &[f64],
    lambda: f64,
) -> Option<f64> {
    let n = p.n() as f64;
    let a = 0.5 * n * lambda;
    let m = pen.dual_norm(xtr)?;
    let s = if a > 0.0 && m > a { a / m } else { 1.0 };
    let rr = linalg::dot(r, r);
    let y = p.y();
    let mut ymt2 = 0.0;
    for i in 0..p.n() {
        let t = y[i] - s * r[i];
        ymt2 += t * t;
    }
    Some((2.0 / n) * (0.5 * rr + a * pen.value(w) - 0.5 * linalg::dot(y, y) + 0.5 * ymt2))
}

/// The duality gap at `(w, λ)`, computed afresh from `w`.
pub fn duality_gap<P: Penalty>(pen: &P, p: &Problem, w: &[f64], lambda: f64) -> Option<f64> {
    let r: Vec<f64> = p.residual(w).iter().map(|v| -v).collect();
    let mut xtr = vec![0.0; p.d()];
    p.xt_mul(&r, &mut xtr);
    duality_gap_from(pen, p, &r, &xtr, w, lambda)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prox_and_kkt_agree_on_a_scalar_problem() {
        // min ½(x − v)² + t|x| has solution prox(v, t); at it, the KKT residual of the scaled problem vanishes.
        for &(v, t) in &[(3.0, 1.0), (-0.5, 1.0), (0.7, 0.2), (-2.0, 0.5)] {
            let pen = L1 { positive: false };
            let x = pen.prox(v, t);
            // gradient of ½(x − v)² is x − v; KKT: −(x − v) ∈ t∂|x|.
            assert!(pen.kkt_residual(x, x - v, t) < 1e-15, "v {v}, t {t}");
            let pos = L1 { positive: true };
            let xp = pos.prox(v, t);
            assert!(xp >= 0.0 && pos.kkt_residual(xp, xp - v, t) < 1e-15);
            let l2 = L2;
            let xr = l2.prox(v, t);
            assert!(l2.kkt_residual(xr, xr - v, t) < 1e-15);
        }
        assert_eq!(L1 { positive: true }.lambda_max(&[-3.0, 2.0]), 2.0);
        assert_eq!(L1 { positive: false }.lambda_max(&[-3.0, 2.0]), 3.0);
    }
}
