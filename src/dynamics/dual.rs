//! The state of a mirror method (SPEC §2, §4): the dual variable `θ = ∇ψ(w)`, the iterate
//! `w = (∇ψ)⁻¹(θ)`, its gradient and residual, and the trial point of the next step. Mirror descent is
//! gradient descent on the dual `F(μ) = Σψ*(θ₀ + Xᵀμ) − μᵀy`: every move of `θ` along `range(Xᵀ)` keeps
//! the implicit bias, and `ΔF = Σ D_ψ*(θ + Δθ, θ) + ⟨Xw − y, Δμ⟩` measures a step without cancellation.

use crate::kernels::linalg::norm_inf;
use crate::potential::Potential;
use crate::problem::GradPlan;

/// The state of a mirror method, shared by its step-size rules ([`super::step`]).
pub struct DualState<'a, P: Potential + ?Sized> {
    /// How gradients are computed.
    pub plan: GradPlan<'a>,
    /// The potential.
    pub pot: &'a P,
    /// `θ = ∇ψ(w)`.
    pub theta: Vec<f64>,
    /// The iterate.
    pub w: Vec<f64>,
    /// `∇R(w)` (current when `g_current`).
    pub g: Vec<f64>,
    /// `Xw − y` (not filled on the Gram route).
    pub r: Vec<f64>,
    /// `R(w)`.
    pub risk: f64,
    /// Whether `g` is the gradient at `w` (direction rules update only the residual).
    pub g_current: bool,
    /// Trial `θ`.
    pub theta_new: Vec<f64>,
    /// Trial `w`.
    pub w_new: Vec<f64>,
    /// The safe step at the start (for divergence messages and first proposals).
    pub safe0: f64,
}

/// The safe step of SPEC §6: `min(1/(L·maxᵢ hᵢ(w)), 1/(2‖g‖_∞))`, `hᵢ = 1/ψᵢ''(wᵢ)`.
pub fn safe_step<P: Potential + ?Sized>(plan: &GradPlan<'_>, pot: &P, w: &[f64], g: &[f64]) -> f64 {
    let hmax = w.iter().enumerate().map(|(i, &x)| pot.inv_hess_i(i, x)).fold(0.0, f64::max);
    let lip = plan.problem().smoothness().max(f64::MIN_POSITIVE);
    let a = 1.0 / (lip * hmax.max(f64::MIN_POSITIVE));
    let gi = norm_inf(g);
    if gi > 0.0 { a.min(0.5 / gi) } else { a }
}

impl<'a, P: Potential + ?Sized> DualState<'a, P> {
    /// The state at `w0` (in the potential's domain: checked by the caller).
    pub fn new(plan: GradPlan<'a>, pot: &'a P, w0: &[f64]) -> Self {
        let p = plan.problem();
        let (n, d) = (p.n(), p.d());
        let mut s = DualState {
            plan,
            pot,
            theta: pot.grad(w0),
            w: w0.to_vec(),
            g: vec![0.0; d],
            r: vec![0.0; n],
            risk: 0.0,
            g_current: true,
            theta_new: vec![0.0; d],
            w_new: vec![0.0; d],
            safe0: 0.0,
        };
        s.risk = s.plan.grad(&s.w, &mut s.r, &mut s.g);
        s.safe0 = safe_step(&s.plan, pot, &s.w, &s.g);
        s
    }

    /// The trial point `θ' = θ − ηg`, `w' = (∇ψ)⁻¹(θ')` (by halves of the coordinates for large problems).
    #[inline]
    pub fn propose(&mut self, eta: f64) {
        let pot = self.pot;
        self.plan.coords(
            (self.theta.as_slice(), self.g.as_slice(), self.theta_new.as_mut_slice(), self.w_new.as_mut_slice()),
            |start, (t, g, tn, wn)| {
                for ((a, &b), &c) in tn.iter_mut().zip(t).zip(g) {
                    *a = b - eta * c;
                }
                pot.inv_grad_range(start, tn, wn);
            },
            |_, _| (),
        );
    }

    /// Makes the trial point current and evaluates its gradient and risk.
    #[inline]
    pub fn accept(&mut self) {
        std::mem::swap(&mut self.theta, &mut self.theta_new);
        std::mem::swap(&mut self.w, &mut self.w_new);
        self.risk = self.plan.grad(&self.w, &mut self.r, &mut self.g);
        self.g_current = true;
    }

    /// Makes sure `g` is the gradient at `w` (and `r` the residual).
    pub fn refresh_gradient(&mut self) {
        if !self.g_current {
            self.risk = self.plan.grad_residual(&self.w, &mut self.r, &mut self.g);
            self.g_current = true;
        }
    }
}
