//! The geometry: separable mirror maps `ψ(w) = Σᵢ ψᵢ(wᵢ)` behind one trait (SPEC §3), with the
//! Euclidean ([`Euclidean`]), hyperbolic-entropy ([`Hyperbolic`]), negative-entropy ([`NegEntropy`]) and
//! depth-D ([`DepthD`]) potentials. Each potential states its primal domain and the domain of its dual variable `θ = ∇ψ(w)`.
//!
//! ```
//! use ibias::potential::{Hyperbolic, Potential};
//! let pot = Hyperbolic::uniform(1e-3, 1).unwrap(); // c = 2α² = 2e-6
//! let theta = pot.grad_i(0, 0.5);                   // ∇ψ = arcsinh(w/c)
//! assert!((pot.inv_grad_i(0, theta) - 0.5).abs() < 1e-15);
//! ```

mod depth;
mod entropy;
mod euclidean;
mod hyperbolic;
mod pnorm;

pub use depth::DepthD;
pub use entropy::NegEntropy;
pub use euclidean::Euclidean;
pub use hyperbolic::{ALPHA_RANGE, Hyperbolic, check_alpha};
pub use pnorm::{P_RANGE, PNorm};

use serde::{Deserialize, Serialize};

/// Which potential (for results and configuration).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PotentialKind {
    /// `‖w‖²/2`.
    Euclidean,
    /// Hyperbolic entropy (the reparametrisation `w = u⊙u − v⊙v`).
    Hyperbolic,
    /// Negative entropy `Σ w log w − w` (exponentiated gradient).
    Entropy,
    /// The depth-D network `w = u^D − v^D` (D ≥ 3).
    Depth,
    /// `Σ|wᵢ|^p/p` (p-GD; its exponent `p` is the potential's own).
    #[serde(rename = "pnorm")]
    PNorm,
}

impl PotentialKind {
    /// The name used on the command line and in outputs.
    pub fn name(&self) -> &'static str {
        match self {
            PotentialKind::Euclidean => "euclidean",
            PotentialKind::Hyperbolic => "hyperbolic",
            PotentialKind::Entropy => "entropy",
            PotentialKind::Depth => "depth",
            PotentialKind::PNorm => "pnorm",
        }
    }
}

impl std::str::FromStr for PotentialKind {
    type Err = String;
    fn from_str(s: &str) -> std::result::Result<Self, String> {
        match s {
            "euclidean" => Ok(PotentialKind::Euclidean),
            "hyperbolic" => Ok(PotentialKind::Hyperbolic),
            "entropy" => Ok(PotentialKind::Entropy),
            "depth" => Ok(PotentialKind::Depth),
            "pnorm" => Ok(PotentialKind::PNorm),
            _ => Err(format!("unknown potential '{s}' (euclidean, hyperbolic, entropy, depth or pnorm)")),
        }
    }
}

/// A separable, strictly convex potential. Per-coordinate methods take the coordinate index `i`
/// (scales may differ per coordinate); vector helpers sum or map them.
pub trait Potential: Send + Sync {
    /// Which potential.
    fn kind(&self) -> PotentialKind;
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
    /// `ψᵢ*''(θ) = 1/ψᵢ''(∇ψᵢ*(θ))`, the metric at the dual point `θ` (potentials whose inverse map is costly
    /// override it).
    fn conj_hess_i(&self, i: usize, theta: f64) -> f64 {
        self.inv_hess_i(i, self.inv_grad_i(i, theta))
    }
    /// `ln(1/ψᵢ''(w))` (potentials whose metric can underflow compute it in log scale).
    fn ln_inv_hess_i(&self, i: usize, w: f64) -> f64 {
        self.inv_hess_i(i, w).ln()
    }
    /// The convex conjugate `ψᵢ*(θ)`.
    fn conj_i(&self, i: usize, theta: f64) -> f64;
    /// `D_{ψᵢ*}(θ + δ, θ) = ψᵢ*(θ+δ) − ψᵢ*(θ) − ψᵢ*'(θ)δ ≥ 0`, computed without cancellation.
    fn conj_bregman_i(&self, i: usize, theta: f64, delta: f64) -> f64;
    /// `Σᵢ D_{ψᵢ*}(θᵢ + t·δᵢ, θᵢ)` over all coordinates (potentials may override it with a vectorised kernel).
    fn conj_bregman_sum(&self, theta: &[f64], delta: &[f64], t: f64) -> f64 {
        theta.iter().zip(delta).enumerate().map(|(i, (&th, &dl))| self.conj_bregman_i(i, th, t * dl)).sum()
    }
    /// `ψᵢ*''(θᵢ)` for all coordinates into `out`, given also `w = ∇ψ*(θ)` (potentials may override it with a
    /// vectorised kernel on `w`).
    fn conj_hess_into(&self, theta: &[f64], _w: &[f64], out: &mut [f64]) {
        for (i, (o, &th)) in out.iter_mut().zip(theta).enumerate() {
            *o = self.conj_hess_i(i, th);
        }
    }
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
    /// Whether `w` lies in the (primal) domain of `ψᵢ`.
    fn in_domain(&self, _i: usize, w: f64) -> bool {
        w.is_finite()
    }
    /// The open interval of dual values `θᵢ` where `∇ψᵢ*` is defined (`(−∞, ∞)` for these three).
    fn dual_domain_i(&self, _i: usize) -> (f64, f64) {
        (f64::NEG_INFINITY, f64::INFINITY)
    }
    /// Short name (`euclidean`, `hyperbolic`, `entropy`).
    fn name(&self) -> &'static str {
        self.kind().name()
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

/// The contract every potential meets, checked at a point `w` of coordinate `i`: `(∇ψ)⁻¹(∇ψ(w)) = w`,
/// Fenchel–Young `ψ(w) + ψ*(∇ψ(w)) = w·∇ψ(w)`, `ψ'` and `ψ''` against central finite differences,
/// `ψ''·(1/ψ'') = 1`, `D_ψ* ≥ 0` against its definition, and the vectorised `inv_grad_range` against
/// `inv_grad_i`. Returns the first violation.
pub fn check_potential(pot: &dyn Potential, i: usize, w: f64) -> std::result::Result<(), String> {
    let name = pot.name();
    let t = pot.grad_i(i, w);
    let back = pot.inv_grad_i(i, t);
    if (back - w).abs() > 1e-12 * w.abs().max(1e-300) {
        return Err(format!("{name}: (∇ψ)⁻¹(∇ψ({w})) = {back}"));
    }
    let lhs = pot.psi_i(i, w) + pot.conj_i(i, t);
    let rhs = w * t;
    let scale = (w * t).abs() + pot.conj_i(i, t).abs() + pot.psi_i(i, w).abs();
    if (lhs - rhs).abs() > 1e-12 * scale {
        return Err(format!("{name}: Fenchel–Young {lhs} vs {rhs} at {w}"));
    }
    let h = 1e-5 * w.abs().max(1e-3 * pot.inv_hess_i(i, w));
    if pot.in_domain(i, w - h) && pot.in_domain(i, w + h) {
        let fd1 = (pot.psi_i(i, w + h) - pot.psi_i(i, w - h)) / (2.0 * h);
        let tol1 = 1e-6 * (t.abs() + pot.psi_i(i, w).abs() / w.abs().max(h) * 1e-4 + 1.0);
        if (fd1 - t).abs() > tol1 {
            return Err(format!("{name}: ψ' by finite differences {fd1} vs {t} at {w}"));
        }
        let fd2 = (pot.grad_i(i, w + h) - pot.grad_i(i, w - h)) / (2.0 * h);
        let h2 = pot.hess_i(i, w);
        if (fd2 - h2).abs() > 1e-5 * h2 {
            return Err(format!("{name}: ψ'' by finite differences {fd2} vs {h2} at {w}"));
        }
    }
    if (pot.inv_hess_i(i, w) * pot.hess_i(i, w) - 1.0).abs() > 1e-12 {
        return Err(format!("{name}: ψ''·(1/ψ'') ≠ 1 at {w}"));
    }
    for delta in [-1.0, -1e-3, 1e-7, 0.5] {
        let d = pot.conj_bregman_i(i, t, delta);
        let def = pot.conj_i(i, t + delta) - pot.conj_i(i, t) - pot.inv_grad_i(i, t) * delta;
        let sc = pot.conj_i(i, t + delta).abs() + pot.conj_i(i, t).abs() + (pot.inv_grad_i(i, t) * delta).abs();
        if !(d >= 0.0) || (d - def).abs() > 1e-9 * sc + 1e-300 {
            return Err(format!("{name}: D_ψ*({t} + {delta}, {t}) = {d}, definition {def}"));
        }
    }
    for k in 0..17 {
        let th = t + (k as f64 - 8.0) * 0.37;
        let mut fast = [0.0];
        pot.inv_grad_range(i, &[th], &mut fast);
        let one = pot.inv_grad_i(i, th);
        if (fast[0] - one).abs() > 2e-14 * one.abs() {
            return Err(format!("{name}: inv_grad_range {} vs inv_grad_i {one} at θ = {th}", fast[0]));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(300))]
        #[test]
        fn hyperbolic_meets_the_contract(alpha_exp in -100.0f64..3.0, w_exp in -12.0f64..3.0, neg in any::<bool>()) {
            let alpha = 10f64.powf(alpha_exp);
            let pot = Hyperbolic::uniform(alpha, 1).unwrap();
            let w = if neg { -10f64.powf(w_exp) } else { 10f64.powf(w_exp) };
            prop_assert_eq!(check_potential(&pot, 0, w), Ok(()));
            prop_assert!(pot.bregman(&[w], &[w * 0.3 + 1e-3]) >= 0.0);
            prop_assert!(pot.bregman(&[w], &[w]) == 0.0);
        }

        #[test]
        fn entropy_and_euclidean_meet_the_contract(w_exp in -8.0f64..3.0) {
            let w = 10f64.powf(w_exp);
            prop_assert_eq!(check_potential(&NegEntropy, 0, w), Ok(()));
            prop_assert_eq!(check_potential(&Euclidean, 0, w), Ok(()));
            prop_assert_eq!(check_potential(&Euclidean, 0, -w), Ok(()));
            let e = Euclidean.bregman(&[w], &[0.5]);
            prop_assert!((e - 0.5 * (w - 0.5).powi(2)).abs() <= 1e-12 * (w * w + 0.25));
        }
    }

    #[test]
    fn the_vectorised_inverse_equals_the_scalar_one_over_coordinates_and_scales() {
        let c: Vec<f64> = (0..40).map(|k| 2.0 * 10f64.powf(-20.0 + k as f64 * 0.65)).collect();
        let pot = Hyperbolic::with_scales(c).unwrap();
        let theta: Vec<f64> = (0..40).map(|k| ((k * 7919) % 97) as f64 * 0.9 - 40.0).collect();
        for start in [0, 3, 17] {
            let mut fast = vec![0.0; 40 - start];
            pot.inv_grad_range(start, &theta[start..], &mut fast);
            for (k, v) in fast.iter().enumerate() {
                let one = pot.inv_grad_i(start + k, theta[start + k]);
                assert!((v - one).abs() <= 2e-14 * one.abs(), "coordinate {}: {v} vs {one}", start + k);
            }
        }
        let mut fast = vec![0.0; 40];
        NegEntropy.inv_grad_range(0, &theta, &mut fast);
        for (k, v) in fast.iter().enumerate() {
            assert!((v - theta[k].exp()).abs() <= 4e-16 * theta[k].exp() * 4.0);
        }
    }

    #[test]
    fn extremes_are_covered() {
        for alpha in [1e-100, 1e-10, 1e3] {
            let pot = Hyperbolic::uniform(alpha, 1).unwrap();
            for w in [-1e3, -1.0, -1e-12, 1e-30, 1e-12, 0.5, 1e3] {
                check_potential(&pot, 0, w).unwrap();
            }
        }
        // Bregman divergence from 0 against the closed form of SPEC §3 (cancellation-free form).
        let pot = Hyperbolic::uniform(1e3, 1).unwrap();
        let c = 2e6;
        let w = 3.0f64;
        let closed = w * (w / c).asinh() - w * w / ((w * w + c * c).sqrt() + c);
        let got = pot.bregman(&[w], &[0.0]);
        assert!((got - closed).abs() <= 1e-12 * closed, "{got} vs {closed}");
        assert!(Hyperbolic::uniform(0.0, 3).is_err());
        assert!(Hyperbolic::uniform(-1.0, 3).is_err());
        assert!(Hyperbolic::uniform(f64::NAN, 3).is_err());
        assert!(Hyperbolic::uniform(1e200, 3).is_err());
        // Below α ≈ 1e-154, c = 2α² underflows: the log-scale form still maps θ to w.
        let tiny = Hyperbolic::uniform_ln(-1000.0, 1).unwrap();
        let w = tiny.inv_grad_i(0, 2000.5);
        assert!((w - (0.5f64).exp()).abs() < 1e-12, "{w}");
        assert!((tiny.grad_i(0, w) - 2000.5).abs() < 1e-9);
    }
}
