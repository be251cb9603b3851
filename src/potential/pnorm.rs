//! The p-norm potential `ψ(w) = Σ|wᵢ|^p/p`, `1 < p < ∞` (SPEC §3, §11): mirror descent with it is Sun et al.
//! (2022)'s p-GD, whose direction on separable data tends to the `ℓp` maximum-margin classifier; on least squares
//! its limit is the minimum-`ℓp` interpolator (the Bregman projection of 0). `∇ψ(w) = sign(w)|w|^{p−1}`, its
//! inverse `sign(θ)|θ|^{q−1}` with `q = p/(p − 1)`, `ψ*(θ) = Σ|θ|^q/q` on all of `ℝᵈ`. At `w = 0` the metric
//! `1/ψ'' = |w|^{2−p}/(p − 1)` is 0 for `p < 2` and infinite for `p > 2` (take a fixed step there).

use super::{Potential, PotentialKind};
use crate::{Error, Result};

/// `ψ(w) = Σ|wᵢ|^p/p`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PNorm {
    p: f64,
    q: f64,
}

/// The exponents a p-norm potential accepts (beyond them `|w|^{p−1}` or `|θ|^{q−1}` leaves double precision for
/// ordinary iterates).
pub const P_RANGE: (f64, f64) = (1.05, 20.0);

impl PNorm {
    /// The potential of exponent `p ∈ [1.05, 20]`; errors name `p`.
    pub fn new(p: f64) -> Result<Self> {
        if !(p.is_finite() && (P_RANGE.0..=P_RANGE.1).contains(&p)) {
            return Err(Error::param(
                "p",
                format!("the p-norm potential needs p in [{}, {}], got {}", P_RANGE.0, P_RANGE.1, crate::error::num(p)),
            ));
        }
        Ok(PNorm { p, q: p / (p - 1.0) })
    }

    /// `p`.
    pub fn p(&self) -> f64 {
        self.p
    }
}

impl Potential for PNorm {
    fn kind(&self) -> PotentialKind {
        PotentialKind::PNorm
    }
    fn psi_i(&self, _: usize, w: f64) -> f64 {
        w.abs().powf(self.p) / self.p
    }
    fn grad_i(&self, _: usize, w: f64) -> f64 {
        w.signum() * w.abs().powf(self.p - 1.0) * (w != 0.0) as u8 as f64
    }
    fn inv_grad_i(&self, _: usize, t: f64) -> f64 {
        t.signum() * t.abs().powf(self.q - 1.0) * (t != 0.0) as u8 as f64
    }
    fn hess_i(&self, _: usize, w: f64) -> f64 {
        (self.p - 1.0) * w.abs().powf(self.p - 2.0)
    }
    fn inv_hess_i(&self, _: usize, w: f64) -> f64 {
        w.abs().powf(2.0 - self.p) / (self.p - 1.0)
    }
    fn conj_hess_i(&self, _: usize, t: f64) -> f64 {
        (self.q - 1.0) * t.abs().powf(self.q - 2.0)
    }
    fn conj_i(&self, _: usize, t: f64) -> f64 {
        t.abs().powf(self.q) / self.q
    }
    /// `ψ*(θ + δ) − ψ*(θ) − ψ*'(θ)δ`: by its Taylor series in `δ/θ` where `|δ| ≤ 1e-3|θ|` (the direct form cancels),
    /// directly otherwise.
    fn conj_bregman_i(&self, i: usize, t: f64, d: f64) -> f64 {
        let q = self.q;
        if t != 0.0 && d.abs() <= 1e-3 * t.abs() {
            // |θ|^q/q·[(1 + x)^q − 1 − qx], x = δ/θ: Σ_{k≥2} C(q, k)x^k (six terms: error below 1e-18 relative).
            let x = d / t;
            let (mut c, mut sum, mut xk) = (q, 0.0, x);
            for k in 2..8 {
                c *= (q - (k - 1) as f64) / k as f64;
                xk *= x;
                sum += c * xk;
            }
            return (t.abs().powf(q) / q * sum).max(0.0);
        }
        // ψ*'(θ) = (∇ψ)⁻¹(θ).
        (self.conj_i(i, t + d) - self.conj_i(i, t) - self.inv_grad_i(i, t) * d).max(0.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::potential::check_potential;

    #[test]
    fn the_p_norm_potential_meets_the_contract() {
        for p in [1.05, 1.5, 2.0, 3.0, 7.0] {
            let pot = PNorm::new(p).unwrap();
            for w in [-3.0f64, -0.7, -1e-3, 1e-3, 0.4, 2.5] {
                // The contract's finite-difference step scales with the metric 1/ψ'' = |w|^{2−p}/(p − 1), which
                // blows up near 0 for p > 2: check those points away from 0 only.
                if p <= 2.0 || w.abs() >= 0.1 {
                    check_potential(&pot, 0, w).unwrap_or_else(|e| panic!("p = {p}, w = {w}: {e}"));
                }
                // The inverse gradient inverts the gradient; ψ + ψ* = ⟨w, θ⟩ (Fenchel–Young, equality).
                let t = pot.grad_i(0, w);
                assert!((pot.inv_grad_i(0, t) - w).abs() <= 1e-13 * w.abs());
                assert!((pot.psi_i(0, w) + pot.conj_i(0, t) - w * t).abs() <= 1e-13 * (w * t).abs());
            }
            // The Bregman divergence of ψ* against a direct high-precision form at small and large δ.
            // Tiny δ: three Taylor terms (truncation ~x⁵ ≪ 1e-12 at x = 1e-6); larger δ: the definition, whose
            // cancellation costs ~1e-16/x² relative (1e-10 at x = 1e-3).
            let q = pot.q;
            for (t, d) in [(1.3f64, 1e-6f64), (-0.9, 2e-6), (1.3, 1e-3), (-0.8, 0.5), (2.0, -3.0)] {
                let got = pot.conj_bregman_i(0, t, d);
                let x = d / t;
                let (exact, tol) = if x.abs() <= 1e-5 {
                    let c2 = q * (q - 1.0) / 2.0;
                    let c3 = c2 * (q - 2.0) / 3.0;
                    let c4 = c3 * (q - 3.0) / 4.0;
                    (t.abs().powf(q) / q * (c2 * x * x + c3 * x.powi(3) + c4 * x.powi(4)), 1e-12)
                } else {
                    (pot.conj_i(0, t + d) - pot.conj_i(0, t) - pot.inv_grad_i(0, t) * d, 1e-8)
                };
                assert!((got - exact).abs() <= tol * exact.abs() + 1e-300, "p = {p}: {got} vs {exact}");
            }
        }
        assert!(PNorm::new(1.0).is_err() && PNorm::new(f64::NAN).is_err() && PNorm::new(50.0).is_err());
        assert_eq!(PNorm::new(3.0).unwrap().grad_i(0, 0.0), 0.0);
    }
}
