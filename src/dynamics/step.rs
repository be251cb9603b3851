//! Step-size rules, each a small type. Mirror methods take any [`DualRule`] (fixed, safe,
//! Barzilai–Borwein with a non-monotone Armijo test, dual L-BFGS); methods with a scalar step
//! (GD on `(u, v)`, heavy ball) take a [`ScalarRule`] (fixed or safe).

use super::config::{StepRule, StopReason};
use super::driver::StepOutcome;
use super::dual::{DualState, safe_step};
use crate::kernels::linalg::{self, norm_inf};
use crate::potential::Potential;
use crate::{Error, Result};
use std::collections::VecDeque;

/// Armijo constant of the line searches.
const ARMIJO: f64 = 1e-4;
/// Memory of the non-monotone line search.
const MEMORY: usize = 10;
/// Largest dual move `η‖∇R‖_∞` (or `‖Δθ‖_∞`) of one step: keeps `c·sinh θ` from overflowing.
const MAX_DUAL_MOVE: f64 = 5.0;
/// Memory of the dual L-BFGS rule.
const LBFGS_MEMORY: usize = 12;

/// A step-size rule of a mirror method: moves the state one step.
pub trait DualRule<P: Potential + ?Sized> {
    /// The rule, for results and messages.
    fn rule(&self) -> StepRule;
    /// Takes one step from `s`.
    fn advance(&mut self, s: &mut DualState<'_, P>) -> Result<StepOutcome>;
    /// Whether a risk rising for 100 steps means divergence under this rule.
    fn watches_rising_risk(&self) -> bool {
        true
    }
}

/// A scalar step size of a method without a dual (GD on `(u, v)`, heavy ball).
pub trait ScalarRule {
    /// The rule, for results and messages.
    fn rule(&self) -> StepRule;
    /// The step to take, given the method's safe step (evaluated only when needed).
    fn eta(&mut self, safe: impl FnOnce() -> f64) -> f64;
}

/// A fixed step `η`.
#[derive(Debug, Clone, Copy)]
pub struct Fixed(pub f64);

/// The safe rule, re-evaluated at every iterate.
#[derive(Debug, Clone, Copy)]
pub struct Safe;

impl ScalarRule for Fixed {
    fn rule(&self) -> StepRule {
        StepRule::Fixed(self.0)
    }
    #[inline]
    fn eta(&mut self, _: impl FnOnce() -> f64) -> f64 {
        self.0
    }
}

impl ScalarRule for Safe {
    fn rule(&self) -> StepRule {
        StepRule::Safe
    }
    #[inline]
    fn eta(&mut self, safe: impl FnOnce() -> f64) -> f64 {
        safe()
    }
}

impl<P: Potential + ?Sized> DualRule<P> for Fixed {
    fn rule(&self) -> StepRule {
        StepRule::Fixed(self.0)
    }
    #[inline]
    fn advance(&mut self, s: &mut DualState<'_, P>) -> Result<StepOutcome> {
        s.propose(self.0);
        s.accept();
        Ok(StepOutcome::Moved { eta: self.0, grad_evals: 1 })
    }
}

impl<P: Potential + ?Sized> DualRule<P> for Safe {
    fn rule(&self) -> StepRule {
        StepRule::Safe
    }
    fn advance(&mut self, s: &mut DualState<'_, P>) -> Result<StepOutcome> {
        let eta = safe_step(&s.plan, s.pot, &s.w, &s.g);
        s.propose(eta);
        s.accept();
        Ok(StepOutcome::Moved { eta, grad_evals: 1 })
    }
}

/// Barzilai–Borwein steps on the dual of mirror descent (BB1/BB2 alternated on `μ`, `θ = θ₀ + Xᵀμ`),
/// accepted by a non-monotone Armijo test on the exact change of the dual objective
/// `ΔF = Σ D_ψ*(θ − ηg, θ) − 2ηR(w)`; started from the safe step. Without an interpolator (`rank X < n`,
/// the dual is unbounded) the merit is the risk itself, `ΔR = ⟨g, Δw⟩ + ‖XΔw‖²/n`, and the proposals stay
/// within 1–10 safe steps. Either way every step is `θ ← θ − η∇R(w)`: the implicit bias is mirror descent's.
pub struct BarzilaiBorwein {
    /// The last merit values relative to the current one (kept as small differences so that decreases
    /// far below the merit's own ulp still count).
    f_hist: VecDeque<f64>,
    eta_prop: f64,
    flip: bool,
    dual_merit: bool,
    steps: usize,
    dw: Vec<f64>,
    g_old: Vec<f64>,
    r_old: Vec<f64>,
    xdw: Vec<f64>,
}

impl BarzilaiBorwein {
    /// The rule for the state `s`.
    pub fn new<P: Potential + ?Sized>(s: &DualState<'_, P>) -> Self {
        let p = s.plan.problem();
        let (n, d) = (p.n(), p.d());
        BarzilaiBorwein {
            f_hist: VecDeque::from([0.0]),
            eta_prop: s.safe0,
            flip: false,
            dual_merit: p.rank() == n,
            steps: 0,
            dw: vec![0.0; d],
            g_old: vec![0.0; d],
            r_old: vec![0.0; n],
            xdw: vec![0.0; n],
        }
    }
}

impl<P: Potential + ?Sized> DualRule<P> for BarzilaiBorwein {
    fn rule(&self) -> StepRule {
        StepRule::Auto
    }

    fn watches_rising_risk(&self) -> bool {
        false
    }

    fn advance(&mut self, s: &mut DualState<'_, P>) -> Result<StepOutcome> {
        let p = s.plan.problem();
        let (n, d) = (p.n(), p.d());
        let ginf = norm_inf(&s.g);
        let cap = if ginf > 0.0 { MAX_DUAL_MOVE / ginf } else { f64::INFINITY };
        let mut e = self.eta_prop.min(cap);
        let f_ref = self.f_hist.iter().copied().fold(0.0, f64::max);
        let mut tries = 0;
        loop {
            s.propose(e);
            let (df, slope) = if self.dual_merit {
                let dstar: f64 = (0..d).map(|i| s.pot.conj_bregman_i(i, s.theta[i], -e * s.g[i])).sum();
                (dstar - 2.0 * e * s.risk, -2.0 * e * s.risk)
            } else {
                for i in 0..d {
                    self.dw[i] = s.w_new[i] - s.w[i];
                }
                let gdw = linalg::dot(&s.g, &self.dw);
                (gdw + s.plan.x_norm2(&self.dw, &mut self.xdw) / n as f64, gdw)
            };
            if df.is_finite() && linalg::all_finite(&s.w_new) && df <= f_ref + ARMIJO * slope {
                self.f_hist.iter_mut().for_each(|v| *v -= df);
                break;
            }
            tries += 1;
            if tries > 200 || e == 0.0 {
                return Err(Error::Numerical(format!(
                    "mirror descent line search found no decrease at iteration {} (risk {:e}); the problem may be \
                     too ill-conditioned for the step rule auto (try eta = safe)",
                    self.steps, s.risk
                )));
            }
            e *= 0.5;
        }
        // ⟨Δθ, Δw⟩ and the old residual and gradient, for the Barzilai–Borwein proposal.
        self.r_old.copy_from_slice(&s.r);
        self.g_old.copy_from_slice(&s.g);
        let mut sty = 0.0;
        for i in 0..d {
            sty += (s.theta_new[i] - s.theta[i]) * (s.w_new[i] - s.w[i]);
        }
        let risk_old = s.risk;
        s.accept();
        self.steps += 1;
        self.f_hist.push_back(0.0);
        if self.f_hist.len() > MEMORY {
            self.f_hist.pop_front();
        }
        let prop = if self.dual_merit {
            let mut dr2 = 0.0;
            for i in 0..n {
                let t = s.r[i] - self.r_old[i];
                dr2 += t * t;
            }
            if sty > 0.0 {
                if self.flip { 2.0 * e * e * risk_old / sty } else { 0.5 * n as f64 * sty / dr2.max(f64::MIN_POSITIVE) }
            } else {
                e * 2.0
            }
        } else {
            // Barzilai–Borwein in θ-space with Δg = ∇R(w_{t+1}) − ∇R(w_t).
            let (mut tt, mut tg) = (0.0, 0.0);
            for i in 0..d {
                let dt = -e * self.g_old[i];
                tt += dt * dt;
                tg += dt * (s.g[i] - self.g_old[i]);
            }
            // Without a dual merit function, long BB steps can stall on boundary solutions
            // (entropy): keep them within [1, 10]× the current safe step.
            let safe = safe_step(&s.plan, s.pot, &s.w, &s.g);
            (if tg > 0.0 { tt / tg } else { e * 2.0 }).clamp(safe, 10.0 * safe)
        };
        self.flip = !self.flip;
        self.eta_prop = if !(prop.is_finite() && prop > 0.0) {
            e
        } else if self.dual_merit {
            prop.clamp(e * 1e-3, e * 1e4)
        } else {
            prop
        };
        Ok(StepOutcome::Moved { eta: e, grad_evals: 1 })
    }
}

/// Dual L-BFGS directions: `θ ← θ + t·Xᵀd`, where `d ∈ Rⁿ` comes from the two-loop recursion on the last
/// dual steps `Δμ` and dual gradients `Δ(Xw − y)`, and `t` from an Armijo test on the exact change of the
/// dual objective. Any update of the form `θ ← θ − Xᵀ(·)` keeps `θ − θ₀ ∈ range(Xᵀ)`: the same limit as
/// mirror descent. Needs an interpolator (`rank X = n`; checked by the caller).
pub struct DualLbfgs {
    mem_s: VecDeque<Vec<f64>>,
    mem_y: VecDeque<Vec<f64>>,
    dir: Vec<f64>,
    dtheta: Vec<f64>,
    r_new: Vec<f64>,
    alphas: Vec<f64>,
    /// Scale of the first direction: `2·safe/n` (a safe mirror-descent step, as a dual step).
    gamma0: f64,
}

impl DualLbfgs {
    /// The rule for the state `s` (its residual is made current).
    pub fn new<P: Potential + ?Sized>(s: &mut DualState<'_, P>) -> Self {
        let p = s.plan.problem();
        let (n, d) = (p.n(), p.d());
        p.residual_into(&s.w, &mut s.r);
        DualLbfgs {
            mem_s: VecDeque::new(),
            mem_y: VecDeque::new(),
            dir: vec![0.0; n],
            dtheta: vec![0.0; d],
            r_new: vec![0.0; n],
            alphas: Vec::with_capacity(LBFGS_MEMORY),
            gamma0: 2.0 * s.safe0 / n as f64,
        }
    }
}

impl<P: Potential + ?Sized> DualRule<P> for DualLbfgs {
    fn rule(&self) -> StepRule {
        StepRule::Lbfgs
    }

    fn watches_rising_risk(&self) -> bool {
        false
    }

    fn advance(&mut self, s: &mut DualState<'_, P>) -> Result<StepOutcome> {
        let p = s.plan.problem();
        let (n, d) = (p.n(), p.d());
        // Two-loop recursion: dir = −H r.
        self.dir.iter_mut().zip(&s.r).for_each(|(a, b)| *a = -b);
        let m = self.mem_s.len();
        self.alphas.clear();
        self.alphas.resize(m, 0.0);
        for i in (0..m).rev() {
            let rho = 1.0 / linalg::dot(&self.mem_y[i], &self.mem_s[i]);
            self.alphas[i] = rho * linalg::dot(&self.mem_s[i], &self.dir);
            linalg::axpy(-self.alphas[i], &self.mem_y[i], &mut self.dir);
        }
        let gamma = if m > 0 {
            linalg::dot(&self.mem_s[m - 1], &self.mem_y[m - 1]) / linalg::dot(&self.mem_y[m - 1], &self.mem_y[m - 1])
        } else {
            self.gamma0
        };
        self.dir.iter_mut().for_each(|v| *v *= gamma);
        for i in 0..m {
            let rho = 1.0 / linalg::dot(&self.mem_y[i], &self.mem_s[i]);
            let beta = rho * linalg::dot(&self.mem_y[i], &self.dir);
            linalg::axpy(self.alphas[i] - beta, &self.mem_s[i], &mut self.dir);
        }
        let mut slope = linalg::dot(&s.r, &self.dir);
        if slope.is_nan() || slope >= 0.0 {
            self.mem_s.clear();
            self.mem_y.clear();
            let g0 = self.gamma0;
            self.dir.iter_mut().zip(&s.r).for_each(|(a, b)| *a = -g0 * b);
            slope = linalg::dot(&s.r, &self.dir);
        }
        s.plan.xt_mul(&self.dir, &mut self.dtheta);
        let dinf = norm_inf(&self.dtheta);
        let mut t = if dinf > MAX_DUAL_MOVE { MAX_DUAL_MOVE / dinf } else { 1.0 };
        let mut tries = 0;
        loop {
            let mut dstar = 0.0;
            for i in 0..d {
                s.theta_new[i] = s.theta[i] + t * self.dtheta[i];
                s.w_new[i] = s.pot.inv_grad_i(i, s.theta_new[i]);
                dstar += s.pot.conj_bregman_i(i, s.theta[i], t * self.dtheta[i]);
            }
            let df = dstar + t * slope;
            if df.is_finite() && linalg::all_finite(&s.w_new) && df <= ARMIJO * t * slope {
                break;
            }
            tries += 1;
            if tries > 100 {
                // No measurable decrease along a descent direction: the dual is minimised to working precision.
                return Ok(StepOutcome::Stopped(StopReason::DualStationary));
            }
            t *= 0.5;
        }
        p.residual_into(&s.w_new, &mut self.r_new);
        let sv: Vec<f64> = self.dir.iter().map(|v| t * v).collect();
        let yv: Vec<f64> = self.r_new.iter().zip(&s.r).map(|(a, b)| a - b).collect();
        if linalg::dot(&sv, &yv) > 1e-300 {
            if self.mem_s.len() == LBFGS_MEMORY {
                self.mem_s.pop_front();
                self.mem_y.pop_front();
            }
            self.mem_s.push_back(sv);
            self.mem_y.push_back(yv);
        }
        std::mem::swap(&mut s.theta, &mut s.theta_new);
        std::mem::swap(&mut s.w, &mut s.w_new);
        std::mem::swap(&mut s.r, &mut self.r_new);
        s.risk = linalg::dot(&s.r, &s.r) / n as f64;
        s.g_current = false;
        Ok(StepOutcome::Moved { eta: t, grad_evals: 1 })
    }
}
