//! Mirror maps (SPEC §3): one trait for separable potentials `ψ(w) = Σᵢ ψᵢ(wᵢ)` with the Euclidean,
//! hyperbolic-entropy and negative-entropy implementations, accurate for `c = 2α²` from `2e-20` to `2e6`.

use crate::{Error, Result};

/// A separable, strictly convex potential. Per-coordinate methods take the coordinate index `i`
/// (scales may differ per coordinate); vector helpers sum or map them.
pub trait Potential: Send + Sync {
    /// Short name (`euclidean`, `hyperbolic`, `entropy`).
    fn name(&self) -> &'static str;
    /// `ψᵢ(w)`.
    fn psi_i(&self, i: usize, w: f64) -> f64;
    /// `ψᵢ'(w)`, the mirror map `∇ψ`.
    fn grad_i(&self, i: usize, w: f64) -> f64;
    /// `(ψᵢ')⁻¹(θ)`, the inverse mirror map `∇ψ* = (∇ψ)⁻¹`.
    fn inv_grad_i(&self, i: usize, theta: f64) -> f64;
    /// `ψᵢ''(w)`, the Hessian diagonal.
    fn hess_i(&self, i: usize, w: f64) -> f64;
    /// `1/ψᵢ''(w)`, the metric of the mirror flow `ẇ = −(∇²ψ)⁻¹∇R` (also `ψᵢ*''(∇ψᵢ(w))`).
    fn inv_hess_i(&self, i: usize, w: f64) -> f64;
    /// The convex conjugate `ψᵢ*(θ)`.
    fn conj_i(&self, i: usize, theta: f64) -> f64;
    /// `D_{ψᵢ*}(θ + δ, θ) = ψᵢ*(θ+δ) − ψᵢ*(θ) − ψᵢ*'(θ)δ ≥ 0`, computed without cancellation.
    fn conj_bregman_i(&self, i: usize, theta: f64, delta: f64) -> f64;
    /// `w = (∇ψ)⁻¹(θ)` for the coordinates `start..start + θ.len()` (potentials may override it
    /// with a vectorised kernel).
    fn inv_grad_range(&self, start: usize, theta: &[f64], w: &mut [f64]) {
        for i in 0..theta.len() {
            w[i] = self.inv_grad_i(start + i, theta[i]);
        }
    }
    /// `w = (∇ψ)⁻¹(θ)` for a whole vector.
    fn inv_grad_into(&self, theta: &[f64], w: &mut [f64]) {
        self.inv_grad_range(0, theta, w);
    }
    /// Whether `w` lies in the domain of `ψᵢ`.
    fn in_domain(&self, _i: usize, w: f64) -> bool {
        w.is_finite()
    }

    /// `ψ(w) = Σ ψᵢ(wᵢ)`.
    fn value(&self, w: &[f64]) -> f64 {
        w.iter().enumerate().map(|(i, &x)| self.psi_i(i, x)).sum()
    }
    /// `∇ψ(w)`.
    fn grad(&self, w: &[f64]) -> Vec<f64> {
        w.iter().enumerate().map(|(i, &x)| self.grad_i(i, x)).collect()
    }
    /// `(∇ψ)⁻¹(θ)`.
    fn inv_grad(&self, theta: &[f64]) -> Vec<f64> {
        theta.iter().enumerate().map(|(i, &t)| self.inv_grad_i(i, t)).collect()
    }
    /// `ψ*(θ) = Σ ψᵢ*(θᵢ)`.
    fn conj(&self, theta: &[f64]) -> f64 {
        theta.iter().enumerate().map(|(i, &t)| self.conj_i(i, t)).sum()
    }
    /// Bregman divergence `D_ψ(w, w') = ψ(w) − ψ(w') − ⟨∇ψ(w'), w − w'⟩`, via the dual form
    /// `D_{ψ*}(∇ψ(w'), ∇ψ(w))`, which has no cancellation.
    fn bregman(&self, w: &[f64], w_ref: &[f64]) -> f64 {
        w.iter()
            .zip(w_ref)
            .enumerate()
            .map(|(i, (&a, &b))| {
                let ta = self.grad_i(i, a);
                let tb = self.grad_i(i, b);
                self.conj_bregman_i(i, ta, tb - ta)
            })
            .sum()
    }
}

/// `e^δ − 1 − δ`, accurate for small `δ`.
#[inline]
pub fn expm1_m_x(d: f64) -> f64 {
    if d.abs() < 0.5 {
        let mut term = d * d / 2.0;
        let mut sum = term;
        for k in 3..18 {
            term *= d / k as f64;
            sum += term;
        }
        sum
    } else {
        d.exp_m1() - d
    }
}

/// `c·sinh θ` without overflow while the result is representable.
#[inline]
pub fn c_sinh(c: f64, t: f64) -> f64 {
    if t.abs() < 20.0 { c * t.sinh() } else { t.signum() * (t.abs() + (0.5 * c).ln()).exp() }
}

/// `c·cosh θ` without overflow while the result is representable.
#[inline]
pub fn c_cosh(c: f64, t: f64) -> f64 {
    if t.abs() < 20.0 { c * t.cosh() } else { (t.abs() + (0.5 * c).ln()).exp() }
}

/// Euclidean potential `ψ(w) = ‖w‖²/2`: mirror descent is gradient descent.
#[derive(Debug, Clone, Copy, Default)]
pub struct Euclidean;

impl Potential for Euclidean {
    fn name(&self) -> &'static str {
        "euclidean"
    }
    fn psi_i(&self, _: usize, w: f64) -> f64 {
        0.5 * w * w
    }
    fn grad_i(&self, _: usize, w: f64) -> f64 {
        w
    }
    fn inv_grad_i(&self, _: usize, t: f64) -> f64 {
        t
    }
    fn hess_i(&self, _: usize, _: f64) -> f64 {
        1.0
    }
    fn inv_hess_i(&self, _: usize, _: f64) -> f64 {
        1.0
    }
    fn conj_i(&self, _: usize, t: f64) -> f64 {
        0.5 * t * t
    }
    fn conj_bregman_i(&self, _: usize, _: f64, d: f64) -> f64 {
        0.5 * d * d
    }
}

/// Hyperbolic entropy with per-coordinate scales `cᵢ > 0`:
/// `ψᵢ(w) = w·arcsinh(w/cᵢ) − √(w² + cᵢ²)`, `∇ψ = arcsinh(w/c)`, `(∇ψ)⁻¹ = c·sinh θ`,
/// `∇²ψ = 1/√(w² + c²)`, `ψ* = c·cosh θ`.
#[derive(Debug, Clone, PartialEq)]
pub struct Hyperbolic {
    /// Scales `cᵢ = 2|u₀ᵢ v₀ᵢ|` (uniform initialisation: `c = 2α²`).
    c: Vec<f64>,
    /// `ln(cᵢ/2)`, for the overflow-free `c·sinh θ`.
    lc: Vec<f64>,
}

/// Checks `α > 0` and finite.
pub fn check_alpha(alpha: f64) -> Result<()> {
    if !(alpha.is_finite() && alpha > 0.0) {
        return Err(Error::Param(format!("α must be finite and > 0, got {alpha}")));
    }
    Ok(())
}

impl Hyperbolic {
    /// Uniform scale `c = 2α²` in dimension `d` (the initialisation `u₀ = v₀ = α1`).
    pub fn uniform(alpha: f64, d: usize) -> Result<Self> {
        check_alpha(alpha)?;
        let c = 2.0 * alpha * alpha;
        if !(c.is_finite() && c > 0.0) {
            return Err(Error::Param(format!("scale c = 2α² = {c} is not a positive finite number (α = {alpha})")));
        }
        Ok(Self::build(vec![c; d]))
    }

    /// Scales from a reparametrisation's initialisation: `cᵢ = 2|u₀ᵢ v₀ᵢ|` (needs `u₀ᵢ² > 0`, `v₀ᵢ² > 0`).
    pub fn from_init(u0: &[f64], v0: &[f64]) -> Result<Self> {
        if u0.len() != v0.len() {
            return Err(Error::Param("u0 and v0 differ in length".into()));
        }
        let mut c = Vec::with_capacity(u0.len());
        for (i, (&u, &v)) in u0.iter().zip(v0).enumerate() {
            let ci = 2.0 * (u * v).abs();
            if !(ci.is_finite() && ci > 0.0) {
                return Err(Error::Param(format!(
                    "coordinate {i}: the hyperbolic entropy needs u0² > 0 and v0² > 0 (got u0 = {u}, v0 = {v})"
                )));
            }
            c.push(ci);
        }
        Ok(Self::build(c))
    }

    /// Scales `cᵢ` given explicitly (each finite and > 0).
    pub fn with_scales(c: Vec<f64>) -> Result<Self> {
        if let Some(i) = c.iter().position(|&x| !(x.is_finite() && x > 0.0)) {
            return Err(Error::Param(format!("scale c[{i}] = {} must be finite and > 0", c[i])));
        }
        Ok(Self::build(c))
    }

    fn build(c: Vec<f64>) -> Self {
        let lc = c.iter().map(|v| (0.5 * v).ln()).collect();
        Hyperbolic { c, lc }
    }

    /// The scales `cᵢ`.
    pub fn scales(&self) -> &[f64] {
        &self.c
    }
}

impl Potential for Hyperbolic {
    fn name(&self) -> &'static str {
        "hyperbolic"
    }
    fn psi_i(&self, i: usize, w: f64) -> f64 {
        let c = self.c[i];
        w * (w / c).asinh() - w.hypot(c)
    }
    fn grad_i(&self, i: usize, w: f64) -> f64 {
        (w / self.c[i]).asinh()
    }
    fn inv_grad_i(&self, i: usize, t: f64) -> f64 {
        c_sinh(self.c[i], t)
    }
    fn hess_i(&self, i: usize, w: f64) -> f64 {
        1.0 / w.hypot(self.c[i])
    }
    fn inv_grad_range(&self, start: usize, theta: &[f64], w: &mut [f64]) {
        let (c, lc) = (&self.c[start..start + theta.len()], &self.lc[start..start + theta.len()]);
        for ((wi, &t), (&c, &lc)) in w.iter_mut().zip(theta).zip(c.iter().zip(lc)) {
            *wi = crate::fastmath::c_sinh(c, lc, t);
        }
    }
    fn inv_hess_i(&self, i: usize, w: f64) -> f64 {
        w.hypot(self.c[i])
    }
    fn conj_i(&self, i: usize, t: f64) -> f64 {
        c_cosh(self.c[i], t)
    }
    fn conj_bregman_i(&self, i: usize, t: f64, d: f64) -> f64 {
        // c(cosh(θ+δ) − cosh θ − δ sinh θ) = (c/2)[e^θ(e^δ − 1 − δ) + e^{−θ}(e^{−δ} − 1 + δ)]:
        // two non-negative terms, so no cancellation at any θ, δ.
        let a = (0.5 * self.c[i]).ln();
        let term = |s: f64| {
            let e = expm1_m_x(s * d);
            if e == 0.0 { 0.0 } else { (s * t + a).exp() * e }
        };
        term(1.0) + term(-1.0)
    }
}

/// Negative entropy `ψ(w) = Σ w log w − w` on `w > 0`: `∇ψ = log w`, `(∇ψ)⁻¹ = exp θ`,
/// `∇²ψ = 1/w`, `ψ* = exp θ`. Mirror descent with it is exponentiated gradient.
#[derive(Debug, Clone, Copy, Default)]
pub struct NegEntropy;

impl Potential for NegEntropy {
    fn name(&self) -> &'static str {
        "entropy"
    }
    fn psi_i(&self, _: usize, w: f64) -> f64 {
        if w == 0.0 { 0.0 } else { w * w.ln() - w }
    }
    fn grad_i(&self, _: usize, w: f64) -> f64 {
        w.ln()
    }
    fn inv_grad_i(&self, _: usize, t: f64) -> f64 {
        t.exp()
    }
    fn inv_grad_range(&self, _start: usize, theta: &[f64], w: &mut [f64]) {
        for (wi, &t) in w.iter_mut().zip(theta) {
            *wi = crate::fastmath::exp(t);
        }
    }
    fn hess_i(&self, _: usize, w: f64) -> f64 {
        1.0 / w
    }
    fn inv_hess_i(&self, _: usize, w: f64) -> f64 {
        w
    }
    fn conj_i(&self, _: usize, t: f64) -> f64 {
        t.exp()
    }
    fn conj_bregman_i(&self, _: usize, t: f64, d: f64) -> f64 {
        t.exp() * expm1_m_x(d)
    }
    fn in_domain(&self, _: usize, w: f64) -> bool {
        w.is_finite() && w > 0.0
    }
}
