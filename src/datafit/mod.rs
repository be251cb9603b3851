//! What is optimised (SPEC §11): a data-fitting term `F(w)` behind one trait, as skglm separates the datafit
//! from the penalty. The driver, the step rules and the observers of the loss-generic methods
//! ([`crate::dynamics::fit`]) see only this trait: value, gradient, the curvature bounds their safe steps need
//! and a mini-batch gradient.
//!
//! | datafit | `F(w)` | labels |
//! |---|---|---|
//! | [`LeastSquares`] | `(1/n)‖Xw − y‖²` | any real `y` |
//! | [`Margin`]`<`[`Logistic`]`>` | `(1/n)Σ ln(1 + e^{−yᵢ⟨xᵢ, w⟩})` | `yᵢ ∈ {−1, +1}` |
//! | [`Margin`]`<`[`Exponential`]`>` | `(1/n)Σ e^{−yᵢ⟨xᵢ, w⟩}` | `yᵢ ∈ {−1, +1}` |
//! | [`MatrixSensing`] | `(1/n)Σ(⟨Aᵢ, W⟩ − yᵢ)²` on `vec(W)` (least squares, packed; SPEC §13) | any real `y` |
//!
//! ```
//! use ibias::datafit::{Datafit, LossKind, Margin, Logistic};
//! use ibias::kernels::linalg::Dense;
//! use ibias::problem::Problem;
//! let p = Problem::new(Dense::from_fn(2, 2, |i, j| if i == j { 1.0 } else { 0.0 }), vec![1.0, -1.0]).unwrap();
//! let f = Margin::<Logistic>::new(&p).unwrap();
//! assert_eq!(f.kind(), LossKind::Logistic);
//! assert!((f.value_at_zero() - 2f64.ln()).abs() < 1e-15);
//! ```

pub mod least_squares;
pub mod margin;
pub mod matrix_sensing;

pub use least_squares::LeastSquares;
pub use margin::{Exponential, Logistic, Margin, MarginFn, separable_labels};
pub use matrix_sensing::MatrixSensing;

use crate::problem::Problem;
use serde::{Deserialize, Serialize};

/// Which loss.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LossKind {
    /// `(1/n)‖Xw − y‖²` (the sheet's risk).
    #[default]
    LeastSquares,
    /// `(1/n)Σ ln(1 + e^{−yᵢ⟨xᵢ, w⟩})`.
    Logistic,
    /// `(1/n)Σ e^{−yᵢ⟨xᵢ, w⟩}`.
    Exponential,
}

impl LossKind {
    /// Every loss, in the order help texts list them.
    pub const ALL: [LossKind; 3] = [LossKind::LeastSquares, LossKind::Logistic, LossKind::Exponential];

    /// The name used in outputs and accepted by every door.
    pub fn name(&self) -> &'static str {
        match self {
            LossKind::LeastSquares => "least_squares",
            LossKind::Logistic => "logistic",
            LossKind::Exponential => "exponential",
        }
    }

    /// Whether labels must be ±1 (a classification loss).
    pub fn is_classification(&self) -> bool {
        !matches!(self, LossKind::LeastSquares)
    }
}

impl std::fmt::Display for LossKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

impl std::str::FromStr for LossKind {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s.trim().replace('-', "_").as_str() {
            "least_squares" | "squared" | "square" => Ok(LossKind::LeastSquares),
            "logistic" => Ok(LossKind::Logistic),
            "exponential" | "exp" => Ok(LossKind::Exponential),
            _ => Err(format!("unknown loss '{s}' (least_squares, logistic or exponential)")),
        }
    }
}

/// The geometry a step is measured in, for curvature bounds: the Euclidean norm (GD, mirror descent in its local
/// metric) or `‖·‖_∞` (sign gradient descent, steepest descent for `ℓ∞`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StepNorm {
    /// `‖v‖₂`; the dual norm of a row is `‖xᵢ‖₂`.
    L2,
    /// `‖v‖_∞`; the dual norm of a row is `‖xᵢ‖₁`.
    Linf,
    /// `‖v‖₁`; the dual norm of a row is `‖xᵢ‖_∞`.
    L1,
}

/// A data-fitting term `F(w)` on a problem's `(X, y)`.
///
/// Curvature bounds hold on the *trust region* of a step: `|⟨xᵢ, Δw⟩| ≤ 1` for every row (for least squares the
/// region is everything). A method whose step stays in the region and is `≤ 1/curvature` decreases `F`
/// (the descent lemma), which is what the safe step rules use (SPEC §11).
pub trait Datafit: Sync {
    /// Which loss.
    fn kind(&self) -> LossKind;
    /// The data.
    fn problem(&self) -> &Problem;
    /// `F(w)`, with `∇F(w)` written into `g` (length `d`); `scratch` has length `n`.
    fn value_grad(&self, w: &[f64], scratch: &mut [f64], g: &mut [f64]) -> f64;
    /// `F(w)` alone (`scratch` has length `n`).
    fn value(&self, w: &[f64], scratch: &mut [f64]) -> f64;
    /// The mini-batch estimate over `rows` (mean over the batch, repeated rows counted each time): its value,
    /// with one coefficient per row of the batch in `c` such that its gradient is `Σₐ cₐ·x_{rows[a]}` (so a
    /// step can move `w` row by row without forming the gradient). `noise[a]` is added to the label of `rows[a]`
    /// (least squares only; classification losses refuse label noise when the request is validated).
    fn batch_coefs(&self, w: &[f64], rows: &[usize], noise: &[f64], c: &mut Vec<f64>) -> f64;
    /// The mini-batch estimate's value, with its gradient `Σₐ cₐ·x_{rows[a]}` written into `g`.
    fn batch_value_grad(&self, w: &[f64], rows: &[usize], noise: &[f64], c: &mut Vec<f64>, g: &mut [f64]) -> f64 {
        let value = self.batch_coefs(w, rows, noise, c);
        g.iter_mut().for_each(|v| *v = 0.0);
        let x = self.problem().x();
        for (&ca, &i) in c.iter().zip(rows) {
            crate::kernels::linalg::axpy(ca, x.row(i), g);
        }
        value
    }
    /// `F(0)`.
    fn value_at_zero(&self) -> f64;
    /// `‖∇F(0)‖_∞`.
    fn grad_zero_inf(&self) -> f64;
    /// An upper bound of `vᵀ∇²F(w')v / ‖v‖²` over the trust region around `w`, where `F(w) = value`.
    fn curvature(&self, value: f64, norm: StepNorm) -> f64;
    /// `maxᵢ` of the dual norm of the rows (`‖xᵢ‖₂` for [`StepNorm::L2`], `‖xᵢ‖₁` for [`StepNorm::Linf`]); a step
    /// with `‖Δw‖ ≤ 1/row_norm_max` stays in the trust region. `None`: the region is everything.
    fn trust_scale(&self, norm: StepNorm) -> Option<f64>;
}

/// `maxᵢ ‖xᵢ‖` in the dual norm of `norm` (rows of `X`).
pub fn row_norm_max(p: &Problem, norm: StepNorm) -> f64 {
    (0..p.n())
        .map(|i| {
            let r = p.x().row(i);
            match norm {
                StepNorm::L2 => crate::kernels::linalg::norm2(r),
                StepNorm::Linf => crate::kernels::linalg::norm1(r),
                StepNorm::L1 => crate::kernels::linalg::norm_inf(r),
            }
        })
        .fold(0.0, f64::max)
}

/// The datafit `kind` on `p` (gradients of least squares planned under `par`). Errors: labels the loss does not
/// accept.
pub fn datafit<'a>(
    kind: LossKind,
    p: &'a Problem,
    par: crate::problem::Parallelism,
) -> crate::Result<Box<dyn Datafit + 'a>> {
    Ok(match kind {
        LossKind::LeastSquares => Box::new(LeastSquares::new(p, par)),
        LossKind::Logistic => Box::new(Margin::<Logistic>::new(p)?),
        LossKind::Exponential => Box::new(Margin::<Exponential>::new(p)?),
    })
}

/// `max_j ‖X_{:,j}‖₂²`: `‖Xv‖₂² ≤ max_j‖X_{:,j}‖₂²·‖v‖₁²` (the triangle inequality over columns), the curvature of a
/// quadratic datafit in `‖·‖₁` per unit of `‖X·‖²`.
pub fn col_norm2_max_sq(p: &Problem) -> f64 {
    let mut c = vec![0.0; p.d()];
    for i in 0..p.n() {
        for (cj, x) in c.iter_mut().zip(p.x().row(i)) {
            *cj += x * x;
        }
    }
    c.into_iter().fold(0.0, f64::max)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kernels::linalg::Dense;
    use crate::problem::Parallelism;

    fn labelled(n: usize, d: usize, seed: u64) -> Problem {
        let mut s = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        let data: Vec<f64> = (0..n * d)
            .map(|_| {
                s = s.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
                ((s >> 11) as f64 / (1u64 << 53) as f64) * 2.0 - 1.0
            })
            .collect();
        let x = Dense::from_fn(n, d, |i, j| data[i * d + j]);
        let y = (0..n).map(|i| if (i * 7 + seed as usize).is_multiple_of(3) { -1.0 } else { 1.0 }).collect();
        Problem::new(x, y).unwrap()
    }

    /// Central differences of `F` against `∇F`: `|∂ᵢF − (F(w+heᵢ) − F(w−heᵢ))/2h| ≤ 1e-7·(1 + |∂ᵢF|)` with
    /// `h = 1e-5` (truncation `O(h²·F''') ≈ 1e-10`, rounding `ε·F/h ≈ 1e-11`).
    fn check_gradient(f: &dyn Datafit, w: &[f64]) {
        let (n, d) = (f.problem().n(), f.problem().d());
        let (mut s, mut g) = (vec![0.0; n], vec![0.0; d]);
        let v = f.value_grad(w, &mut s, &mut g);
        assert!((v - f.value(w, &mut s)).abs() <= 1e-14 * v.abs().max(1.0));
        let h = 1e-5;
        for i in 0..d {
            let (mut a, mut b) = (w.to_vec(), w.to_vec());
            a[i] += h;
            b[i] -= h;
            let fd = (f.value(&a, &mut s) - f.value(&b, &mut s)) / (2.0 * h);
            assert!((fd - g[i]).abs() <= 1e-7 * (1.0 + g[i].abs()), "{:?} i = {i}: {fd} vs {}", f.kind(), g[i]);
        }
        // The full batch (each row once) is the full gradient.
        let rows: Vec<usize> = (0..n).collect();
        let mut gb = vec![0.0; d];
        let vb = f.batch_value_grad(w, &rows, &vec![0.0; n], &mut Vec::new(), &mut gb);
        assert!((vb - v).abs() <= 1e-13 * v.abs().max(1e-300), "{vb} vs {v}");
        for i in 0..d {
            assert!((gb[i] - g[i]).abs() <= 1e-13 * (1.0 + g[i].abs()));
        }
    }

    #[test]
    fn gradients_match_finite_differences_and_batches() {
        let p = labelled(9, 5, 1);
        let w: Vec<f64> = (0..5).map(|j| 0.3 * (j as f64 - 2.0)).collect();
        check_gradient(&LeastSquares::new(&p, Parallelism::Sequential), &w);
        check_gradient(&Margin::<Logistic>::new(&p).unwrap(), &w);
        check_gradient(&Margin::<Exponential>::new(&p).unwrap(), &w);
    }

    #[test]
    fn least_squares_is_the_problem_risk() {
        let p = labelled(12, 4, 2);
        let f = LeastSquares::new(&p, Parallelism::Auto);
        let w = vec![0.1, -0.2, 0.3, 0.05];
        let (mut s, mut g) = (vec![0.0; 12], vec![0.0; 4]);
        let v = f.value_grad(&w, &mut s, &mut g);
        assert!((v - p.risk(&w)).abs() <= 1e-15 * v);
        let g2 = p.grad(&w);
        for j in 0..4 {
            assert!((g[j] - g2[j]).abs() <= 1e-15 * (1.0 + g2[j].abs()));
        }
        assert_eq!(f.value_at_zero(), p.risk_at_zero());
        assert_eq!(f.curvature(1.0, StepNorm::L2), p.smoothness());
        // In ‖·‖₁ and ‖·‖_∞: vᵀ∇²F v = (2/n)‖Xv‖² ≤ curvature·‖v‖² for every v (here ±1 patterns and coordinates).
        for k in 0..16 {
            let v: Vec<f64> = (0..4).map(|j| if (k >> j) & 1 == 1 { 1.0 } else { -0.5 }).collect();
            let mut xv = vec![0.0; 12];
            p.x().mul_vec(&v, &mut xv);
            let hv = 2.0 * crate::kernels::linalg::dot(&xv, &xv) / 12.0;
            let l1 = crate::kernels::linalg::norm1(&v);
            let li = crate::kernels::linalg::norm_inf(&v);
            assert!(hv <= f.curvature(1.0, StepNorm::L1) * l1 * l1 * (1.0 + 1e-12));
            assert!(hv <= f.curvature(1.0, StepNorm::Linf) * li * li * (1.0 + 1e-12));
        }
    }

    /// The curvature bound holds: `vᵀ∇²F(w')v ≤ curvature(F(w))·‖v‖²` at points `w' = w + t·v` of the trust region,
    /// the Hessian-vector product measured by differences of gradients.
    #[test]
    fn curvature_bounds_hold_on_the_trust_region() {
        let p = labelled(10, 6, 3);
        for kind in [LossKind::Logistic, LossKind::Exponential] {
            let f: Box<dyn Datafit> = match kind {
                LossKind::Logistic => Box::new(Margin::<Logistic>::new(&p).unwrap()),
                _ => Box::new(Margin::<Exponential>::new(&p).unwrap()),
            };
            for norm in [StepNorm::L2, StepNorm::Linf, StepNorm::L1] {
                for k in 0..20 {
                    let w: Vec<f64> = (0..6).map(|j| ((k * 5 + j * 3) % 7) as f64 * 0.4 - 1.2).collect();
                    let v: Vec<f64> = (0..6).map(|j| ((k * 3 + j * 5) % 11) as f64 - 5.0).collect();
                    let vn = match norm {
                        StepNorm::L2 => crate::kernels::linalg::norm2(&v),
                        StepNorm::Linf => crate::kernels::linalg::norm_inf(&v),
                        StepNorm::L1 => crate::kernels::linalg::norm1(&v),
                    };
                    let scale = 1.0 / (vn * f.trust_scale(norm).unwrap());
                    let u: Vec<f64> = v.iter().map(|x| x * scale).collect(); // |⟨xᵢ, u⟩| ≤ 1
                    let mut s = vec![0.0; 10];
                    let bound = f.curvature(f.value(&w, &mut s), norm) * (vn * scale).powi(2);
                    for t in [0.0, 0.5, 1.0] {
                        let at = |e: f64| -> f64 {
                            let x: Vec<f64> = w.iter().zip(&u).map(|(a, b)| a + (t + e) * b).collect();
                            f.value(&x, &mut [0.0; 10])
                        };
                        let h = 1e-4;
                        let second = (at(h) - 2.0 * at(0.0) + at(-h)) / (h * h);
                        assert!(second <= bound * (1.0 + 1e-5), "{kind:?} {norm:?}: {second} > {bound}");
                    }
                }
            }
        }
    }
}
