//! Reference solvers (SPEC §4–5), each returning its answer with a certificate a reader can check:
//! minimum-ℓ2 interpolation, basis pursuit, Bregman projection, ridge and Lasso paths.

pub mod basis_pursuit;
pub mod bregman;
pub mod lasso;
pub mod min_l2;
pub mod ridge;

pub use basis_pursuit::{BpMethod, basis_pursuit, basis_pursuit_with};
pub use bregman::bregman_projection;
pub use min_l2::min_l2;

use serde::{Deserialize, Serialize};

/// The numbers that certify a solution. Fields a solver cannot certify are `None`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct Certificate {
    /// `‖Xw − y‖₂`.
    pub residual: f64,
    /// `‖Xw − y‖₂ / ‖y‖₂`.
    pub residual_rel: f64,
    /// `‖Xᵀ(Xw − y)‖₂`: least-squares stationarity (zero at any minimiser of R).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub normal_residual: Option<f64>,
    /// Relative component of `w` outside `range(Xᵀ)` (min-ℓ2 only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub outside_row_space: Option<f64>,
    /// Dual objective value (basis pursuit: `yᵀμ`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dual_objective: Option<f64>,
    /// Duality gap (basis pursuit: `‖w‖₁ − yᵀμ`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub duality_gap: Option<f64>,
    /// Duality gap relative to the primal objective.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub duality_gap_rel: Option<f64>,
    /// Dual feasibility (basis pursuit: `‖Xᵀμ‖_∞`, must be ≤ 1).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dual_infeasibility: Option<f64>,
    /// Norm of the dual gradient (Bregman projection: equals the residual).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dual_grad_norm: Option<f64>,
    /// Newton decrement `√(ΔᵀHΔ)` at the last iterate (Bregman projection).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub newton_decrement: Option<f64>,
    /// Solver iterations.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub iterations: Option<usize>,
    /// Numerical rank used (min-ℓ2).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rank: Option<usize>,
}

/// A reference solution with its certificate.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Solution {
    /// Which solver produced it.
    pub method: String,
    /// The solution.
    pub w: Vec<f64>,
    /// `‖w‖₁`.
    pub l1: f64,
    /// `‖w‖₂`.
    pub l2: f64,
    /// `‖Xw − y‖₂`.
    pub residual: f64,
    /// The certificate.
    pub certificate: Certificate,
    /// Support (indices with `|wᵢ| > 0` after polishing), where meaningful.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub support: Option<Vec<usize>>,
    /// Wall-clock seconds.
    pub seconds: f64,
}

impl Solution {
    pub(crate) fn new(
        method: &str,
        p: &crate::problem::Problem,
        w: Vec<f64>,
        mut cert: Certificate,
        seconds: f64,
    ) -> Self {
        let r = p.residual(&w);
        cert.residual = crate::linalg::norm2(&r);
        let ny = crate::linalg::norm2(&p.y);
        cert.residual_rel = if ny > 0.0 { cert.residual / ny } else { cert.residual };
        Solution {
            method: method.into(),
            l1: crate::linalg::norm1(&w),
            l2: crate::linalg::norm2(&w),
            residual: cert.residual,
            w,
            certificate: cert,
            support: None,
            seconds,
        }
    }
}
