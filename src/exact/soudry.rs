//! Soudry et al. (2018)'s full asymptotics of gradient descent on separable data (SPEC §11): with a loss of
//! exponential tail (exponential, logistic) and the mean `F = (1/n)Σ ℓ(yᵢ⟨xᵢ, w⟩)`, gradient flow satisfies
//!
//! `w(t) = ŵ·ln t + w̃ + o(1)`,
//!
//! where `ŵ` is the hard-margin SVM (`min ‖w‖₂` subject to `yᵢ⟨xᵢ, w⟩ ≥ 1`), `ŵ = Σ_{i∈S} αᵢ yᵢxᵢ` over its
//! support vectors `S`, and `w̃` solves `yᵢ⟨xᵢ, w̃⟩ = −ln(n·αᵢ)` for `i ∈ S` (substitute: the support vectors'
//! terms of `−∇F` are `(1/n)e^{−⟨x̃ᵢ, w̃⟩}x̃ᵢ/t`, and they must sum to `ŵ/t`). GD with step `η` follows it in flow
//! time `t = ηk`. The component of `w̃` in `span{x̃ᵢ : i ∈ S}` is determined by these equations; when the support
//! vectors span `ℝᵈ` it is all of `w̃`, otherwise the rest depends on the early trajectory and is not predicted.
//!
//! The direction then converges like `1/ln t`: `‖w/‖w‖ − ŵ/‖ŵ‖‖₂ ≈ C/ln t` with `C = ‖P⊥w̃‖₂/‖ŵ‖₂`, `P⊥` the
//! projector orthogonal to `ŵ`.
//!
//! Certificate: the support set of the interior-point max-margin solution is polished to the exact KKT system
//! (`Gα_S = 1`, `G = X̃_S X̃_Sᵀ`, `ŵ = X̃_Sᵀα_S`); it is accepted only if `α_S > 0` and every other row has margin
//! `≥ 1`, which makes `ŵ` the SVM solution to round-off, independently of the solver's tolerance.

use super::max_margin::{MarginNorm, max_margin};
use crate::kernels::linalg::{self, Dense, dot, norm2};
use crate::problem::Problem;
use crate::{Error, Result};
use serde::{Deserialize, Serialize};

/// What certifies the asymptotics.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct SoudryCertificate {
    /// `max_{i∈S} |yᵢ⟨xᵢ, ŵ⟩ − 1|` (absolute): the support vectors sit on the margin.
    pub support_margin_residual_abs: f64,
    /// `min_{i∉S} yᵢ⟨xᵢ, ŵ⟩` (≥ 1: every other row is outside the margin; `+∞` if all rows are support vectors).
    pub min_margin_off_support: f64,
    /// `min_{i∈S} αᵢ` (> 0: strict complementarity, the non-degeneracy the theorem assumes).
    pub min_alpha: f64,
    /// `max_{i∈S} |yᵢ⟨xᵢ, w̃⟩ + ln(n·αᵢ)|` (absolute): `w̃` solves its equations.
    pub w_tilde_residual_abs: f64,
    /// The interior-point solution's relative duality gap, before polishing.
    pub solver_duality_gap_rel: f64,
}

/// `ŵ`, `w̃` and what follows from them.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct SoudryAsymptotics {
    /// `ŵ`: the hard-margin SVM, `‖ŵ‖₂ = 1/γ₂*`.
    pub w_hat: Vec<f64>,
    /// `w̃` (its component in the span of the support vectors; all of it when `determined`).
    pub w_tilde: Vec<f64>,
    /// Support vectors (0-based rows).
    pub support_vectors: Vec<usize>,
    /// `αᵢ` of each support vector, in the order of `support_vectors` (`ŵ = Σ αᵢyᵢxᵢ`).
    pub alpha: Vec<f64>,
    /// Whether the support vectors span `ℝᵈ` (then `w̃` is the whole limit of `w(t) − ŵ ln t`).
    pub determined: bool,
    /// The ℓ2 maximum margin `γ₂* = 1/‖ŵ‖₂`.
    pub margin: f64,
    /// `C = ‖P⊥w̃‖₂/‖ŵ‖₂`: the direction gap `‖w/‖w‖ − ŵ/‖ŵ‖‖₂ ≈ C/ln t` (absolute, with `determined`).
    pub gap_constant: f64,
    /// The certificate.
    pub certificate: SoudryCertificate,
}

impl SoudryAsymptotics {
    /// The predicted `w(t) = ŵ ln t + w̃` at flow time `t` (GD with step `η`: `t = ηk`).
    pub fn predict(&self, t: f64) -> Vec<f64> {
        let l = t.ln();
        self.w_hat.iter().zip(&self.w_tilde).map(|(a, b)| a * l + b).collect()
    }

    /// The direction gap `‖w/‖w‖ − ŵ/‖ŵ‖‖₂` of the predicted `w(t)` at flow time `t` (`≈ C/ln t` for large `t`;
    /// meaningful when `determined`).
    pub fn predicted_gap(&self, t: f64) -> f64 {
        direction_gap(&self.predict(t), &self.w_hat)
    }

    /// `‖P_S(w − ŵ ln t) − w̃‖₂/‖w̃‖₂` (relative): how far a run's residual at flow time `t` is from `w̃`, measured
    /// in the span of the support vectors (all of `ℝᵈ` when `determined`). `x` is the problem's data.
    pub fn residual_distance_rel(&self, p: &Problem, w: &[f64], t: f64) -> Result<f64> {
        let r: Vec<f64> = self.predict(t).iter().zip(w).map(|(pr, wi)| wi - pr).collect();
        // P_S r = X̃_Sᵀ G⁻¹ X̃_S r (r here is w − ŵ ln t − w̃; w̃ already lies in the span).
        let xs = support_rows(p, &self.support_vectors);
        let mut b = vec![0.0; xs.rows];
        xs.mul_vec(&r, &mut b);
        let a = solve(&xs, &b)?;
        let mut pr = vec![0.0; p.d()];
        xs.tmul_vec(&a, &mut pr);
        Ok(norm2(&pr) / norm2(&self.w_tilde).max(f64::MIN_POSITIVE))
    }
}

/// `‖a/‖a‖₂ − b/‖b‖₂‖₂` (absolute; 0 to 2).
pub fn direction_gap(a: &[f64], b: &[f64]) -> f64 {
    let (na, nb) = (norm2(a).max(f64::MIN_POSITIVE), norm2(b).max(f64::MIN_POSITIVE));
    a.iter().zip(b).map(|(x, y)| (x / na - y / nb).powi(2)).sum::<f64>().sqrt()
}

/// Rows `yᵢxᵢ`, `i ∈ s`.
fn support_rows(p: &Problem, s: &[usize]) -> Dense {
    Dense::from_fn(s.len(), p.d(), |a, j| p.y()[s[a]] * p.x().get(s[a], j))
}

fn gram(xs: &Dense) -> Dense {
    Dense::from_fn(xs.rows, xs.rows, |a, b| dot(xs.row(a), xs.row(b)))
}

/// The rows `yᵢxᵢ` of `s` and their numerical rank.
fn support(p: &Problem, s: &[usize]) -> Result<(Dense, usize)> {
    let xs = support_rows(p, s);
    let sv = linalg::singular_values(&xs)?;
    let tol = 1e3 * (s.len().max(p.d()) as f64) * f64::EPSILON * sv.first().copied().unwrap_or(0.0);
    let rank = sv.iter().filter(|&&v| v > tol).count();
    Ok((xs, rank))
}

/// `(X̃_S X̃_Sᵀ)⁻¹b`.
fn solve(xs: &Dense, b: &[f64]) -> Result<Vec<f64>> {
    linalg::spd_solve(&gram(xs), b, 0.0)
        .ok_or_else(|| Error::Numerical("the support vectors' Gram matrix is singular".into()))
}

/// Soudry et al.'s `ŵ` and `w̃` for `p` (labels ±1, separable), certified. Errors: inseparable data or bad labels
/// (from the max-margin solver); a degenerate support set (linearly dependent support vectors, or a support
/// vector with `α = 0`), where `w̃` is not unique and the theorem's non-degeneracy assumption fails.
pub fn soudry(p: &Problem) -> Result<SoudryAsymptotics> {
    let mm = max_margin(p, MarginNorm::L2)?;
    // Polish the solver's support set to the exact KKT system by a few active-set moves: drop a support vector
    // whose α is not positive, add the row that violates the margin most (each move is certified below).
    let mut s = mm.support_vectors.clone();
    let mut margins = vec![0.0; p.n()];
    for _ in 0..=2 * p.n().min(50) {
        let (xs, rank) = support(p, &s)?;
        if rank < s.len() {
            return Err(Error::Numerical(format!(
                "the {} support vectors are linearly dependent (rank {rank}): w̃ is not unique (Soudry et al.'s \
                 non-degeneracy assumption fails, e.g. duplicated rows)",
                s.len()
            )));
        }
        let alpha = solve(&xs, &vec![1.0; s.len()])?;
        let mut w = vec![0.0; p.d()];
        xs.tmul_vec(&alpha, &mut w);
        p.x().mul_vec(&w, &mut margins);
        margins.iter_mut().zip(p.y()).for_each(|(a, y)| *a *= y);
        let (k, amin) =
            alpha.iter().enumerate().fold((0, f64::INFINITY), |b, (k, &a)| if a < b.1 { (k, a) } else { b });
        if amin <= 0.0 && s.len() > 1 {
            s.remove(k);
            continue;
        }
        let worst = (0..p.n()).filter(|i| !s.contains(i)).min_by(|&a, &b| margins[a].total_cmp(&margins[b]));
        if let Some(i) = worst.filter(|&i| margins[i] < 1.0 - 1e-12) {
            s.push(i);
            s.sort_unstable();
            continue;
        }
        break;
    }
    let (xs, rank) = support(p, &s)?;
    let alpha = solve(&xs, &vec![1.0; s.len()])?;
    let mut w_hat = vec![0.0; p.d()];
    xs.tmul_vec(&alpha, &mut w_hat);
    p.x().mul_vec(&w_hat, &mut margins);
    margins.iter_mut().zip(p.y()).for_each(|(a, y)| *a *= y);
    let support_res = s.iter().map(|&i| (margins[i] - 1.0).abs()).fold(0.0, f64::max);
    let off = (0..p.n()).filter(|i| !s.contains(i)).map(|i| margins[i]).fold(f64::INFINITY, f64::min);
    let min_alpha = alpha.iter().copied().fold(f64::INFINITY, f64::min);
    if !(min_alpha > 0.0) {
        return Err(Error::Numerical(format!(
            "a support vector has α = {min_alpha:e} ≤ 0: strict complementarity fails (Soudry et al.'s \
             non-degeneracy assumption), w̃ is not defined"
        )));
    }
    if off < 1.0 - 1e-9 || support_res > 1e-9 {
        return Err(Error::Numerical(format!(
            "the polished support set does not satisfy the SVM's KKT conditions (margin off the support {off}, \
             support residual {support_res:e})"
        )));
    }
    let n = p.n() as f64;
    let b: Vec<f64> = alpha.iter().map(|a| -(n * a).ln()).collect();
    let c = solve(&xs, &b)?;
    let mut w_tilde = vec![0.0; p.d()];
    xs.tmul_vec(&c, &mut w_tilde);
    let mut check = vec![0.0; s.len()];
    xs.mul_vec(&w_tilde, &mut check);
    let wt_res = check.iter().zip(&b).map(|(a, bb)| (a - bb).abs()).fold(0.0, f64::max);
    let nh = norm2(&w_hat);
    let proj = dot(&w_tilde, &w_hat) / (nh * nh);
    let perp: Vec<f64> = w_tilde.iter().zip(&w_hat).map(|(a, h)| a - proj * h).collect();
    Ok(SoudryAsymptotics {
        determined: rank == p.d(),
        margin: 1.0 / nh,
        gap_constant: norm2(&perp) / nh,
        w_hat,
        w_tilde,
        support_vectors: s,
        alpha,
        certificate: SoudryCertificate {
            support_margin_residual_abs: support_res,
            min_margin_off_support: off,
            min_alpha,
            w_tilde_residual_abs: wt_res,
            solver_duality_gap_rel: mm.certificate.duality_gap_rel,
        },
    })
}
