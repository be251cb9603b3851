//! Least squares `F(w) = (1/n)‖Xw − y‖²` (SPEC §1) as a [`Datafit`]: its gradient takes the problem's
//! [`GradPlan`] route (dense, Gram or split over two cores), so the loss-generic methods pay nothing for the trait.

use super::{Datafit, LossKind, StepNorm};
use crate::kernels::linalg;
use crate::problem::{GradPlan, Parallelism, Problem};

/// `(1/n)‖Xw − y‖²`.
pub struct LeastSquares<'a> {
    plan: GradPlan<'a>,
    /// `(2/n)·min(Σᵢ‖xᵢ‖₁², d·σ_max²)`: the curvature bound in `‖·‖_∞`.
    linf_curvature: f64,
    /// `(2/n)·max_j‖X_{:,j}‖₂²`: the curvature bound in `‖·‖₁`.
    l1_curvature: f64,
}

impl<'a> LeastSquares<'a> {
    /// The datafit of `p`, its gradients planned under `par`.
    pub fn new(p: &'a Problem, par: Parallelism) -> Self {
        let rows: f64 = (0..p.n()).map(|i| linalg::norm1(p.x().row(i)).powi(2)).sum();
        let linf = (2.0 / p.n() as f64) * rows.min(p.d() as f64 * p.sigma().first().copied().unwrap_or(0.0).powi(2));
        let l1 = (2.0 / p.n() as f64) * super::col_norm2_max_sq(p);
        LeastSquares { plan: GradPlan::new(p, par), linf_curvature: linf, l1_curvature: l1 }
    }
}

impl Datafit for LeastSquares<'_> {
    fn kind(&self) -> LossKind {
        LossKind::LeastSquares
    }
    fn problem(&self) -> &Problem {
        self.plan.problem()
    }
    #[inline]
    fn value_grad(&self, w: &[f64], scratch: &mut [f64], g: &mut [f64]) -> f64 {
        self.plan.grad(w, scratch, g)
    }
    fn value(&self, w: &[f64], scratch: &mut [f64]) -> f64 {
        let p = self.plan.problem();
        p.residual_into(w, scratch);
        linalg::dot(scratch, scratch) / p.n() as f64
    }
    fn batch_coefs(&self, w: &[f64], rows: &[usize], noise: &[f64], c: &mut Vec<f64>) -> f64 {
        let p = self.plan.problem();
        c.clear();
        let mut value = 0.0;
        let scale = 2.0 / rows.len().max(1) as f64;
        for (a, &i) in rows.iter().enumerate() {
            let r = linalg::dot(p.x().row(i), w) - p.y()[i] - noise.get(a).copied().unwrap_or(0.0);
            value += r * r;
            c.push(scale * r);
        }
        value / rows.len().max(1) as f64
    }
    fn value_at_zero(&self) -> f64 {
        self.plan.problem().risk_at_zero()
    }
    fn grad_zero_inf(&self) -> f64 {
        self.plan.problem().grad_zero_inf()
    }
    fn curvature(&self, _: f64, norm: StepNorm) -> f64 {
        match norm {
            StepNorm::L2 => self.plan.problem().smoothness(),
            StepNorm::Linf => self.linf_curvature,
            StepNorm::L1 => self.l1_curvature,
        }
    }
    fn trust_scale(&self, _: StepNorm) -> Option<f64> {
        None
    }
}
