//! The mirror map of a depth-D diagonal network `w = u^D − v^D` from `u = v = α` (Woodworth et al., COLT 2020,
//! §5; SPEC §9), `D ≥ 3`, with `F = R(w)/(2D)` so that `D = 2` is the sheet's `R/4`.
//!
//! With `a = α^{2−D}`, `k = (D−2)/2`, `p = D/(D−2)` and the dual variable `θ = S = −∫∇R`:
//! `u^{2−D} = a − kθ`, `v^{2−D} = a + kθ`, so
//! - `w = h(θ) = (a − kθ)^{−p} − (a + kθ)^{−p}` (the inverse mirror map `∇ψ*`), on the open interval
//!   `|θ| < a/k` (the dual domain);
//! - `ψ*(θ) = H(θ) = (a − kθ)^{−2/(D−2)} + (a + kθ)^{−2/(D−2)} = u² + v²` (since `k(p − 1) = 1`);
//! - `ψ*''(θ) = h'(θ) = (D/2)(u^{2D−2} + v^{2D−2})`, the metric of the flow `ẇ = −(D/2)(u^{2D−2} + v^{2D−2})∇R`.
//!
//! Powers are taken as `exp(·ln·)` with `ln1p`/`expm1`, so that `h` near 0 and the Bregman divergences have no
//! cancellation; `∇ψ = h⁻¹` is solved by safeguarded Newton on the bounded interval.

use super::{Potential, PotentialKind};
use crate::error::num;
use crate::{Error, Result};

/// The depth-D potential (uniform α).
#[derive(Debug, Clone, PartialEq)]
pub struct DepthD {
    depth: u32,
    alpha: f64,
    /// `a = α^{2−D}`.
    a: f64,
    /// `k = (D − 2)/2`.
    k: f64,
    /// `p = D/(D − 2)`.
    p: f64,
    /// `q = 2/(D − 2)`.
    q: f64,
}

impl DepthD {
    /// The potential of depth `depth ≥ 3` at scale `alpha > 0`.
    pub fn new(depth: u32, alpha: f64) -> Result<Self> {
        if depth < 3 {
            return Err(Error::param(
                "depth",
                format!("depth {depth}: the depth-D potential is for D ≥ 3 (D = 2 is the hyperbolic entropy)"),
            ));
        }
        if depth > 64 {
            return Err(Error::param("depth", format!("depth {depth}: at most 64")));
        }
        if !(alpha.is_finite() && alpha > 0.0) {
            return Err(Error::param("alpha", format!("α must be finite and > 0, got {}", num(alpha))));
        }
        let dd = depth as f64;
        let a = alpha.powf(2.0 - dd);
        // Near convergence 1 − kθ/a ≈ α^{D−2}/u^{D−2} must be resolved in double precision: a relative error
        // ε of θ moves w by about ε·α^{2−D}, so α^{2−D} is capped.
        if !(a.is_finite() && a > 0.0 && a <= 1e10) {
            return Err(Error::param(
                "alpha",
                format!(
                    "α^(2−D) = {:e} at α = {}, D = {depth}: above 1e10, the depth-D mirror map cannot be resolved in double \
                     precision (take α ≥ {:.3e})",
                    a,
                    num(alpha),
                    1e10f64.powf(-1.0 / (dd - 2.0))
                ),
            ));
        }
        Ok(DepthD { depth, alpha, a, k: 0.5 * (dd - 2.0), p: dd / (dd - 2.0), q: 2.0 / (dd - 2.0) })
    }

    /// The depth D.
    pub fn depth(&self) -> u32 {
        self.depth
    }

    /// The scale α.
    pub fn alpha(&self) -> f64 {
        self.alpha
    }

    /// Half-width `a/k` of the dual domain.
    pub fn dual_half_width(&self) -> f64 {
        self.a / self.k
    }

    /// `x = kθ/a`, in `(−1, 1)` on the domain.
    #[inline]
    fn x(&self, t: f64) -> f64 {
        self.k * t / self.a
    }

    /// `(1 − x)^{−e} − (1 + x)^{−e}` without cancellation near 0.
    #[inline]
    fn odd_diff(x: f64, e: f64) -> f64 {
        (-e * (-x).ln_1p()).exp_m1() - (-e * x.ln_1p()).exp_m1()
    }

    /// `(1 − x)^{−e}`.
    #[inline]
    fn pow_m(x: f64, e: f64) -> f64 {
        (-e * (-x).ln_1p()).exp()
    }
}

/// `(1 − r)^{−q} − 1 − q·r ≥ 0` for `r < 1`, accurate for small `r`.
#[inline]
fn breg(r: f64, q: f64) -> f64 {
    if r.abs() < 1e-3 {
        let (c2, c3, c4) =
            (q * (q + 1.0) / 2.0, q * (q + 1.0) * (q + 2.0) / 6.0, q * (q + 1.0) * (q + 2.0) * (q + 3.0) / 24.0);
        r * r * (c2 + r * (c3 + r * c4))
    } else if r < 1.0 {
        (-q * (-r).ln_1p()).exp_m1() - q * r
    } else {
        f64::INFINITY
    }
}

impl Potential for DepthD {
    fn kind(&self) -> PotentialKind {
        PotentialKind::Depth
    }
    fn psi_i(&self, i: usize, w: f64) -> f64 {
        // ψ(w) = wθ − ψ*(θ) at θ = ∇ψ(w).
        let t = self.grad_i(i, w);
        w * t - self.conj_i(i, t)
    }
    fn grad_i(&self, i: usize, w: f64) -> f64 {
        if w == 0.0 {
            return 0.0;
        }
        // Solve h(θ) = w on (−a/k, a/k) by Newton from the side of w, safeguarded by bisection.
        let b = self.dual_half_width();
        let (mut lo, mut hi) = if w > 0.0 { (0.0, b) } else { (-b, 0.0) };
        let mut t = 0.5 * (lo + hi);
        for _ in 0..200 {
            let f = self.inv_grad_i(i, t) - w;
            if f == 0.0 {
                return t;
            }
            if f > 0.0 {
                hi = t
            } else {
                lo = t
            }
            let fp = self.inv_hess_theta(t);
            let mut nt = t - f / fp;
            if !(nt > lo && nt < hi && nt.is_finite()) {
                nt = 0.5 * (lo + hi);
            }
            if (nt - t).abs() <= 4.0 * f64::EPSILON * t.abs().max(f64::MIN_POSITIVE)
                || hi - lo <= 4.0 * f64::EPSILON * t.abs()
            {
                return nt;
            }
            t = nt;
        }
        t
    }
    fn inv_grad_i(&self, _: usize, t: f64) -> f64 {
        let x = self.x(t);
        if !(x.abs() < 1.0) {
            return f64::NAN;
        }
        self.a.powf(-self.p) * Self::odd_diff(x, self.p)
    }
    fn hess_i(&self, i: usize, w: f64) -> f64 {
        1.0 / self.inv_hess_i(i, w)
    }
    fn inv_hess_i(&self, i: usize, w: f64) -> f64 {
        self.inv_hess_theta(self.grad_i(i, w))
    }
    fn conj_i(&self, _: usize, t: f64) -> f64 {
        let x = self.x(t);
        if !(x.abs() < 1.0) {
            return f64::INFINITY;
        }
        self.a.powf(-self.q) * (Self::pow_m(x, self.q) + Self::pow_m(-x, self.q))
    }
    fn conj_bregman_i(&self, _: usize, t: f64, d: f64) -> f64 {
        // Two Bregman divergences of the convex maps θ ↦ (a ∓ kθ)^{−q}: each (a ∓ kθ)^{−q}·B(±kδ/(a ∓ kθ)).
        let (t1, t2) = (self.a - self.k * t, self.a + self.k * t);
        if !(t1 > 0.0 && t2 > 0.0) {
            return f64::INFINITY;
        }
        let r1 = self.k * d / t1;
        let r2 = -self.k * d / t2;
        t1.powf(-self.q) * breg(r1, self.q) + t2.powf(-self.q) * breg(r2, self.q)
    }
    fn conj_hess_i(&self, _: usize, t: f64) -> f64 {
        self.inv_hess_theta(t)
    }
    fn in_domain(&self, _: usize, w: f64) -> bool {
        w.is_finite()
    }
    fn dual_domain_i(&self, _: usize) -> (f64, f64) {
        let b = self.dual_half_width();
        (-b, b)
    }
}

impl DepthD {
    /// `h'(θ) = pk·a^{−p−1}[(1 − x)^{−p−1} + (1 + x)^{−p−1}]`.
    fn inv_hess_theta(&self, t: f64) -> f64 {
        let x = self.x(t);
        self.p * self.k * self.a.powf(-self.p - 1.0) * (Self::pow_m(x, self.p + 1.0) + Self::pow_m(-x, self.p + 1.0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::potential::check_potential;

    #[test]
    fn depth_d_meets_the_contract_and_matches_its_closed_forms() {
        // The contract's 1e-12 round trip needs α^{2−D} ≲ 1e2 (the map's own conditioning, see `new`).
        for depth in [3, 4, 8] {
            for alpha in [1e-3f64, 0.1, 0.5, 1.0, 3.0] {
                if alpha.powf(2.0 - depth as f64) > 1e2 {
                    continue;
                }
                let pot = DepthD::new(depth, alpha).unwrap();
                for w in [-5.0, -1e-3, 1e-9, 0.2, 1.0, 30.0] {
                    check_potential(&pot, 0, w).unwrap_or_else(|e| panic!("D = {depth}, α = {alpha}: {e}"));
                }
                // h(θ) = u^D − v^D and ψ* = u² + v² with u^{2−D} = a − kθ.
                let t = 0.3 * pot.dual_half_width();
                let (u, v) = (
                    (pot.a - pot.k * t).powf(-1.0 / (depth as f64 - 2.0)),
                    (pot.a + pot.k * t).powf(-1.0 / (depth as f64 - 2.0)),
                );
                let d = depth as i32;
                assert!((pot.inv_grad_i(0, t) - (u.powi(d) - v.powi(d))).abs() <= 1e-12 * u.powi(d));
                assert!((pot.conj_i(0, t) - (u * u + v * v)).abs() <= 1e-12 * (u * u + v * v));
                // The metric (D/2)(u^{2D−2} + v^{2D−2}).
                let m = 0.5 * depth as f64 * (u.powi(2 * d - 2) + v.powi(2 * d - 2));
                assert!((pot.inv_hess_theta(t) - m).abs() <= 1e-12 * m);
            }
        }
        assert!(DepthD::new(2, 1.0).is_err() && DepthD::new(3, 0.0).is_err() && DepthD::new(3, f64::NAN).is_err());
        // Outside the dual domain the inverse map is undefined.
        let pot = DepthD::new(3, 0.5).unwrap();
        assert!(pot.inv_grad_i(0, 1.01 * pot.dual_half_width()).is_nan());
    }
}
