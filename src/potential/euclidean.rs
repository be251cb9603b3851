//! The Euclidean potential `ψ(w) = ‖w‖²/2`: mirror descent is gradient descent.

use super::{Potential, PotentialKind};

/// Euclidean potential `ψ(w) = ‖w‖²/2`.
#[derive(Debug, Clone, Copy, Default)]
pub struct Euclidean;

impl Potential for Euclidean {
    fn kind(&self) -> PotentialKind {
        PotentialKind::Euclidean
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
    fn inv_grad_range(&self, _start: usize, theta: &[f64], w: &mut [f64]) {
        w.copy_from_slice(theta);
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
