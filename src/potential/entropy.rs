//! The negative entropy `ψ(w) = Σ w log w − w` on `w > 0`: mirror descent with it is exponentiated
//! gradient.

use super::{Potential, PotentialKind};
use crate::kernels::fastmath::{self, expm1_m_x};

/// Negative entropy: `∇ψ = log w`, `(∇ψ)⁻¹ = exp θ`, `∇²ψ = 1/w`, `ψ* = exp θ`.
#[derive(Debug, Clone, Copy, Default)]
pub struct NegEntropy;

impl Potential for NegEntropy {
    fn kind(&self) -> PotentialKind {
        PotentialKind::Entropy
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
            *wi = fastmath::exp(t);
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
        // e^θ(e^δ − 1 − δ); past δ = 30 the factor goes into the exponent (no 0·∞).
        if d > 30.0 { (t + d).exp() * (1.0 - (1.0 + d) * (-d).exp()) } else { t.exp() * expm1_m_x(d) }
    }
    fn in_domain(&self, _: usize, w: f64) -> bool {
        w.is_finite() && w > 0.0
    }
}
