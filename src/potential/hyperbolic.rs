//! The hyperbolic entropy with per-coordinate scales `cᵢ > 0` (SPEC §3):
//! `ψᵢ(w) = w·arcsinh(w/cᵢ) − √(w² + cᵢ²)`, `∇ψ = arcsinh(w/c)`, `(∇ψ)⁻¹ = c·sinh θ`,
//! `∇²ψ = 1/√(w² + c²)`, `ψ* = c·cosh θ`.
//!
//! Every formula goes through `ln(c/2)` where `c` itself could overflow or underflow, so the potential
//! works in a log-scale parametrisation: `c = 2α²` underflows below `α ≈ 1.5e-154`, and
//! [`Hyperbolic::uniform_ln`] takes `ln α` directly (SPEC §9, the α → 0 limit).

use super::{Potential, PotentialKind};
use crate::error::num;
use crate::kernels::fastmath::{self, expm1_m_x};
use crate::{Error, Result};

/// Hyperbolic entropy with per-coordinate scales.
#[derive(Debug, Clone, PartialEq)]
pub struct Hyperbolic {
    /// Scales `cᵢ = 2|u₀ᵢ v₀ᵢ|` (uniform initialisation: `c = 2α²`); 0 where `c` underflows.
    c: Vec<f64>,
    /// `ln(cᵢ/2)`, exact even where `cᵢ` underflows.
    lc: Vec<f64>,
}

/// The supported range of a uniform `α` given as a number (smaller α: [`Hyperbolic::uniform_ln`]).
pub const ALPHA_RANGE: (f64, f64) = (1e-300, 1e150);

/// Checks that `α` is a finite number in [`ALPHA_RANGE`], naming the parameter.
pub fn check_alpha(name: &str, alpha: f64) -> Result<f64> {
    if !(alpha.is_finite() && alpha > 0.0) {
        return Err(Error::param(name, format!("α must be finite and > 0, got {}", num(alpha))));
    }
    if !(ALPHA_RANGE.0..=ALPHA_RANGE.1).contains(&alpha) {
        return Err(Error::param(
            name,
            format!(
                "α = {} is outside the supported range [{:e}, {:e}] (for smaller α use the log-scale form, ln α)",
                num(alpha),
                ALPHA_RANGE.0,
                ALPHA_RANGE.1
            ),
        ));
    }
    Ok(alpha)
}

impl Hyperbolic {
    /// Uniform scale `c = 2α²` in dimension `d` (the initialisation `u₀ = v₀ = α1`).
    pub fn uniform(alpha: f64, d: usize) -> Result<Self> {
        check_alpha("alpha", alpha)?;
        Self::uniform_ln(alpha.ln(), d)
    }

    /// Uniform scale from `ln α` (any value up to `ln 1e150`): `ln(c/2) = 2 ln α`.
    pub fn uniform_ln(ln_alpha: f64, d: usize) -> Result<Self> {
        if !(ln_alpha.is_finite() && ln_alpha <= ALPHA_RANGE.1.ln()) {
            return Err(Error::param(
                "ln_alpha",
                format!("must be finite and ≤ {:.1}, got {}", ALPHA_RANGE.1.ln(), num(ln_alpha)),
            ));
        }
        let lc = 2.0 * ln_alpha;
        Ok(Hyperbolic { c: vec![2.0 * lc.exp(); d], lc: vec![lc; d] })
    }

    /// Scales from a reparametrisation's initialisation: `cᵢ = 2|u₀ᵢ v₀ᵢ|` (needs `u₀ᵢ ≠ 0`, `v₀ᵢ ≠ 0`).
    pub fn from_init(u0: &[f64], v0: &[f64]) -> Result<Self> {
        if u0.len() != v0.len() {
            return Err(Error::param("u0/v0", format!("lengths differ ({} and {})", u0.len(), v0.len())));
        }
        let mut lc = Vec::with_capacity(u0.len());
        for (i, (&u, &v)) in u0.iter().zip(v0).enumerate() {
            if !(u.is_finite() && v.is_finite() && u != 0.0 && v != 0.0) {
                return Err(Error::param(
                    "u0/v0",
                    format!(
                        "coordinate {i}: the hyperbolic entropy needs u0 ≠ 0 and v0 ≠ 0, finite (got u0 = {}, v0 = {})",
                        num(u),
                        num(v)
                    ),
                ));
            }
            lc.push(u.abs().ln() + v.abs().ln());
        }
        Ok(Self::from_ln_half_scales(lc))
    }

    /// Scales `cᵢ` given explicitly (each finite and > 0).
    pub fn with_scales(c: Vec<f64>) -> Result<Self> {
        if let Some(i) = c.iter().position(|&x| !(x.is_finite() && x > 0.0)) {
            return Err(Error::param("c", format!("scale c[{i}] = {} must be finite and > 0", num(c[i]))));
        }
        Ok(Self::from_ln_half_scales(c.iter().map(|v| (0.5 * v).ln()).collect()))
    }

    /// Scales given as `ln(cᵢ/2)` (the log-scale form; each finite).
    pub fn from_ln_half_scales(lc: Vec<f64>) -> Self {
        let c = lc.iter().map(|l| 2.0 * l.exp()).collect();
        Hyperbolic { c, lc }
    }

    /// The scales `cᵢ` (0 where they underflow).
    pub fn scales(&self) -> &[f64] {
        &self.c
    }

    /// `ln(cᵢ/2)` per coordinate.
    pub fn ln_half_scales(&self) -> &[f64] {
        &self.lc
    }
}

impl Potential for Hyperbolic {
    fn kind(&self) -> PotentialKind {
        PotentialKind::Hyperbolic
    }
    fn psi_i(&self, i: usize, w: f64) -> f64 {
        w * self.grad_i(i, w) - w.hypot(self.c[i])
    }
    fn grad_i(&self, i: usize, w: f64) -> f64 {
        let (c, lc) = (self.c[i], self.lc[i]);
        let a = w.abs();
        if a == 0.0 {
            w
        } else if a > 1e8 * c {
            // arcsinh(a/c) = ln(2a/c) + O((c/a)²) = ln a − ln(c/2): no overflow of a/c, no underflow of c.
            (a.ln() - lc).copysign(w)
        } else {
            (w / c).asinh()
        }
    }
    fn inv_grad_i(&self, i: usize, t: f64) -> f64 {
        let (c, lc) = (self.c[i], self.lc[i]);
        if t.abs() < 20.0 { c * t.sinh() } else { (t.abs() + lc).exp().copysign(t) }
    }
    fn hess_i(&self, i: usize, w: f64) -> f64 {
        1.0 / w.hypot(self.c[i])
    }
    fn inv_grad_range(&self, start: usize, theta: &[f64], w: &mut [f64]) {
        let (c, lc) = (&self.c[start..start + theta.len()], &self.lc[start..start + theta.len()]);
        for ((wi, &t), (&c, &lc)) in w.iter_mut().zip(theta).zip(c.iter().zip(lc)) {
            *wi = fastmath::c_sinh(c, lc, t);
        }
    }
    fn inv_hess_i(&self, i: usize, w: f64) -> f64 {
        w.hypot(self.c[i])
    }
    fn ln_inv_hess_i(&self, i: usize, w: f64) -> f64 {
        // ln √(w² + c²) with ln c = ln 2 + ln(c/2), exact where c underflows.
        let lc = std::f64::consts::LN_2 + self.lc[i];
        if w == 0.0 {
            return lc;
        }
        let lw = w.abs().ln();
        let m = lw.max(lc);
        m + 0.5 * ((2.0 * (lw - m)).exp() + (2.0 * (lc - m)).exp()).ln()
    }
    fn conj_i(&self, i: usize, t: f64) -> f64 {
        let (c, lc) = (self.c[i], self.lc[i]);
        if t.abs() < 20.0 { c * t.cosh() } else { (t.abs() + lc).exp() }
    }
    fn conj_bregman_sum(&self, theta: &[f64], delta: &[f64], t: f64) -> f64 {
        // conj_bregman_i's three regimes computed branch-free with the vectorised exponential and selected
        // (the same formulas: below |sδ| = 0.5 the Taylor series of e^x − 1 − x, past sδ = 30 the factor
        // taken into the exponent), eight lanes.
        let n = theta.len().min(delta.len()).min(self.lc.len());
        let (theta, delta, lc) = (&theta[..n], &delta[..n], &self.lc[..n]);
        let mut acc = [0.0f64; 8];
        let (body, rest) = (n / 8 * 8, n % 8);
        for ((th, dl), a) in theta[..body].chunks_exact(8).zip(delta[..body].chunks_exact(8)).zip(lc.chunks_exact(8)) {
            for l in 0..8 {
                acc[l] += fastmath::c_conj_bregman(th[l], t * dl[l], a[l]);
            }
        }
        let mut tail = 0.0;
        for k in body..body + rest {
            tail += fastmath::c_conj_bregman(theta[k], t * delta[k], lc[k]);
        }
        acc.iter().sum::<f64>() + tail
    }
    fn conj_hess_into(&self, _theta: &[f64], w: &[f64], out: &mut [f64]) {
        // √(w² + c²) = m·√((w/m)² + (c/m)²), m = max(|w|, c): no overflow or underflow of the squares.
        for ((o, &wi), &c) in out.iter_mut().zip(w).zip(&self.c) {
            let m = wi.abs().max(c);
            let (a, b) = (wi / m, c / m);
            let h = m * a.mul_add(a, b * b).sqrt();
            *o = if m > 0.0 { h } else { 0.0 };
        }
    }
    fn conj_bregman_i(&self, i: usize, t: f64, d: f64) -> f64 {
        // c(cosh(θ+δ) − cosh θ − δ sinh θ) = (c/2)[e^θ(e^δ − 1 − δ) + e^{−θ}(e^{−δ} − 1 + δ)]:
        // two non-negative terms, so no cancellation at any θ, δ.
        // Past sδ = 30 the factor e^{sδ} − 1 − sδ is taken into the exponent, so a tiny e^{sθ + ln(c/2)}
        // times a huge e^{sδ} never becomes 0·∞.
        let a = self.lc[i];
        let term = |s: f64| {
            let x = s * d;
            if x > 30.0 {
                (s * t + a + x).exp() * (1.0 - (1.0 + x) * (-x).exp())
            } else {
                let e = expm1_m_x(x);
                if e == 0.0 { 0.0 } else { (s * t + a).exp() * e }
            }
        };
        term(1.0) + term(-1.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The vectorised sum of dual Bregman divergences equals the sum of the scalar reference
    /// (`conj_bregman_i`) to a few ulp per term (every term is non-negative: no cancellation), over scales
    /// from `c = 2e-200` to `2e6`, duals to ±700 and moves from 1e-12 to 200; and the vectorised metric
    /// equals `conj_hess_i` (`hypot`).
    #[test]
    fn vectorised_dual_bregman_sum_and_metric_match_the_scalar_forms() {
        for &alpha in &[1e-100, 1e-10, 1e-4, 1.0, 1e3] {
            let d = 203; // not a multiple of the 8 lanes
            let pot = Hyperbolic::uniform(alpha, d).unwrap();
            for &scale in &[1e-12, 1e-3, 0.3, 0.7, 5.0, 40.0, 200.0] {
                let theta: Vec<f64> = (0..d).map(|i| (i as f64 * 0.731).sin() * 350.0 * (i % 3) as f64 / 2.0).collect();
                let delta: Vec<f64> = (0..d).map(|i| (i as f64 * 1.37).cos() * scale).collect();
                for &t in &[1.0, 0.25] {
                    let reference: f64 = (0..d).map(|i| pot.conj_bregman_i(i, theta[i], t * delta[i])).sum();
                    let got = pot.conj_bregman_sum(&theta, &delta, t);
                    if reference.is_finite() {
                        assert!(
                            (got - reference).abs() <= 1e-13 * reference,
                            "alpha {alpha}, scale {scale}, t {t}: {got:e} vs {reference:e}"
                        );
                    } else {
                        assert_eq!(got, reference, "alpha {alpha}, scale {scale}");
                    }
                }
                let mut w = vec![0.0; d];
                pot.inv_grad_into(&theta, &mut w);
                let mut h = vec![0.0; d];
                pot.conj_hess_into(&theta, &w, &mut h);
                for i in 0..d {
                    let reference = pot.inv_hess_i(i, w[i]);
                    assert!((h[i] - reference).abs() <= 4.0 * f64::EPSILON * reference, "{i}: {} vs {reference}", h[i]);
                }
            }
        }
    }
}
