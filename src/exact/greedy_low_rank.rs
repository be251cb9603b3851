//! Greedy low-rank learning (SPEC §13; Li, Luo & Lyu, ICLR 2021): the α → 0 limit of GD on `U Uᵀ` from `α·I`, the
//! matrix version of the saddle-to-saddle path. From `W₀ = 0`, stage `r` escapes the saddle `W_{r−1}` along the top
//! eigenvector `v` of `−∇R(W_{r−1})` (rate `λ_r`, its eigenvalue): a column `ε·v` is appended to `U`, and GD on
//! `R(UUᵀ)/4` with `r` columns runs to its limit `W_r`. It stops when `−∇R(W) ⪯ tol` (then `W ⪰ 0` is a minimiser of
//! the convex `R` over the PSD cone: `∇R(W) ⪰ 0`, and the certificate reports `⟨∇R(W), W⟩` too).
//!
//! Along GD from `α·I` a direction with rate `λ` grows like `α²e^{λt}`: from scale `α²` it needs about
//! `2 ln(1/α)/λ` of flow time to reach order 1. The stages report that time scale per unit of `ln(1/α)`, `2/λ_r`
//! (exact for the first plateau as α → 0; later plateaus also depend on how each direction grew or shrank during
//! the earlier stages, as in the vector saddle-to-saddle path).

use crate::kernels::linalg;
use crate::kernels::spectral::{eigenvalues_desc, eigh, mat, mul_rect, sym_product};
use crate::problem::Problem;
use crate::problem::matrix::{rows, sensing};
use crate::{Error, Result};
use serde::{Deserialize, Serialize};

/// One stage of the greedy path.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct GreedyStage {
    /// Rank of `U` in this stage.
    pub rank: usize,
    /// `λ_r = λ_max(−∇R(W_{r−1}))`: the escape rate from the previous saddle.
    pub escape_rate: f64,
    /// `2/λ_r`: the flow time a direction needs at rate `λ_r` to grow from `α²` to order 1, per unit of `ln(1/α)`.
    pub plateau_per_log_inv_alpha: f64,
    /// `R(W_r)` at the stage's limit.
    pub risk: f64,
    /// Eigenvalues of `W_r`, decreasing.
    pub eigenvalues: Vec<f64>,
    /// GD steps of the stage.
    pub steps: usize,
}

/// The greedy path and where it ends.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct GreedyLowRank {
    /// Side `m`.
    pub m: usize,
    /// The stages, in order.
    pub stages: Vec<GreedyStage>,
    /// The last `W`, `m` rows.
    #[serde(rename = "W")]
    pub w: Vec<Vec<f64>>,
    /// `λ_max(−∇R(W))` at the end (≤ `tol·λ₁`: no direction left to escape along).
    pub final_escape_rate: f64,
    /// `⟨∇R(W), W⟩` at the end (0 at a minimiser over the PSD cone).
    pub complementarity_abs: f64,
    /// `R(W)/R(0)` at the end (relative).
    pub risk_rel: f64,
    /// Whether the path ended because no direction was left (else: `max_rank` was reached).
    pub complete: bool,
}

/// Options.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GreedyOptions {
    /// Largest rank (default `m`).
    pub max_rank: Option<usize>,
    /// Scale `ε` of each new column (default 1e-6).
    pub epsilon: f64,
    /// Stop when `λ_max(−∇R) ≤ tol·λ₁` (default 1e-8).
    pub tol: f64,
    /// GD steps per stage at most (default 200,000).
    pub max_steps: usize,
}

impl Default for GreedyOptions {
    fn default() -> Self {
        GreedyOptions { max_rank: None, epsilon: 1e-6, tol: 1e-8, max_steps: 200_000 }
    }
}

/// `(∇R(W) as m × m, R(W))`, from one residual.
fn grad(p: &Problem, w: &[f64]) -> (Vec<f64>, f64) {
    let (mut r, mut g) = (vec![0.0; p.n()], vec![0.0; p.d()]);
    let risk = p.grad_into(w, &mut r, &mut g);
    (g, risk)
}

/// The greedy low-rank path of the PSD factorisation on the sensing problem `p`.
pub fn greedy_low_rank(p: &Problem, o: GreedyOptions) -> Result<GreedyLowRank> {
    let m = sensing(p)?;
    let max_rank = o.max_rank.unwrap_or(m);
    if max_rank == 0 || max_rank > m {
        return Err(Error::param("max_rank", format!("must lie in [1, m = {m}], got {max_rank}")));
    }
    crate::error::positive("epsilon", o.epsilon)?;
    if !(o.epsilon < 1e-2) {
        return Err(Error::param("epsilon", format!("must be below 1e-2 (the α → 0 limit), got {}", o.epsilon)));
    }
    crate::error::positive("tol", o.tol)?;
    let risk0 = p.risk_at_zero();
    let lsmooth = p.smoothness();
    // U: m × r, row-major with r columns (rebuilt as r grows).
    let mut u: Vec<f64> = Vec::new();
    let mut r = 0usize;
    let mut w = vec![0.0; m * m];
    let mut stages = Vec::new();
    let mut lambda1 = None;
    let top = |g: &[f64]| -> Result<(f64, Vec<f64>)> {
        let neg: Vec<f64> = g.iter().map(|v| -v).collect();
        let (lam, q) = eigh(mat(&neg, m).as_ref())?;
        Ok((lam[m - 1], (0..m).map(|i| q[(i, m - 1)]).collect()))
    };
    let complete = loop {
        let (g, _) = grad(p, &w);
        let (lam, v) = top(&g)?;
        let l1 = *lambda1.get_or_insert(lam.max(f64::MIN_POSITIVE));
        if lam <= o.tol * l1 {
            break true;
        }
        if r == max_rank {
            break false;
        }
        // Append the column ε·v.
        let mut nu = vec![0.0; m * (r + 1)];
        for i in 0..m {
            nu[i * (r + 1)..i * (r + 1) + r].copy_from_slice(&u[i * r..(i + 1) * r]);
            nu[i * (r + 1) + r] = o.epsilon * v[i];
        }
        u = nu;
        r += 1;
        sym_product(&u, &u, &mut w, m, r);
        // GD on R(UUᵀ)/4: U ← U − (η/2)GU, with SPEC §6's safe step for the factorisation.
        let mut steps = 0;
        let mut risk = p.risk(&w);
        while steps < o.max_steps {
            let (g, rk) = grad(p, &w);
            risk = rk;
            let gn = linalg::norm2(&g);
            let un = linalg::dot(&u, &u);
            // Stationary in U: ‖GU‖ small against the scale of the gradient at the start.
            let mut gu = vec![0.0; m * r];
            mul_rect(&g, &u, &mut gu, m, r);
            if risk <= 1e-28 * risk0 || linalg::norm2(&gu) <= 1e-13 * l1 * un.sqrt().max(1.0) {
                break;
            }
            let eta = (1.0 / (lsmooth * un + 0.5 * gn)).min(0.5 / gn.max(f64::MIN_POSITIVE));
            linalg::axpy(-0.5 * eta, &gu, &mut u);
            sym_product(&u, &u, &mut w, m, r);
            steps += 1;
        }
        if !risk.is_finite() {
            return Err(Error::Numerical("greedy low-rank: the stage's GD diverged".into()));
        }
        let eig = eigenvalues_desc(&w, m)?;
        stages.push(GreedyStage {
            rank: r,
            escape_rate: lam,
            plateau_per_log_inv_alpha: 2.0 / lam,
            risk,
            eigenvalues: eig,
            steps,
        });
    };
    let (g, risk) = grad(p, &w);
    let (lam, _) = top(&g)?;
    Ok(GreedyLowRank {
        m,
        stages,
        w: rows(&w, m),
        final_escape_rate: lam,
        complementarity_abs: linalg::dot(&g, &w).abs(),
        risk_rel: risk / risk0.max(f64::MIN_POSITIVE),
        complete,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::problem::matrix::MatrixSpec;

    /// A PSD rank-2 target measured by 40 Gaussian measurements of 6 × 6: two stages, the first escape rate is
    /// `λ_max((2/n)Σ yᵢAᵢ)` (computed here independently), the path ends at the target with nothing left to escape.
    #[test]
    fn two_stages_to_a_rank_two_target() {
        let g = MatrixSpec::gaussian(6, 40, 2, true, 3).generate().unwrap();
        let p = &g.problem;
        let path = greedy_low_rank(p, GreedyOptions::default()).unwrap();
        assert!(path.complete);
        assert_eq!(path.stages.len(), 2, "{:?}", path.stages);
        let mut s = vec![0.0; 36];
        for i in 0..40 {
            linalg::axpy(2.0 / 40.0 * p.y()[i], p.x().row(i), &mut s);
        }
        let top = crate::kernels::spectral::eigvalsh(mat(&s, 6).as_ref()).unwrap()[5];
        assert!((path.stages[0].escape_rate - top).abs() <= 1e-12 * top);
        let wv: Vec<f64> = path.w.iter().flatten().copied().collect();
        assert!(linalg::dist2(&wv, &g.w_star) <= 1e-6, "{}", linalg::dist2(&wv, &g.w_star));
        assert!(path.stages[0].eigenvalues[1].abs() <= 1e-6, "stage 1 is rank 1: {:?}", path.stages[0].eigenvalues);
        assert!(greedy_low_rank(p, GreedyOptions { max_rank: Some(7), ..Default::default() }).is_err());
    }
}
