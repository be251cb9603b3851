//! Reference solvers (SPEC §4–5), each returning its answer with a certificate a reader can check:
//! minimum-ℓ2 interpolation, basis pursuit, Bregman projection, ridge and Lasso paths. A solver acts on
//! its own certificate: it falls back to another method or fails with the failed check in the message;
//! it never returns a point whose certificate failed.
//!
//! ```
//! use ibias::exact::basis_pursuit;
//! use ibias::problem::generate::GenSpec;
//! let g = GenSpec::ex2(0).generate().unwrap();       // noiseless, 5-sparse, n = 40
//! let bp = basis_pursuit(&g.problem).unwrap();
//! assert!(bp.certificate.duality_gap_rel.unwrap() <= 1e-9); // certified optimal
//! assert_eq!(bp.support.as_ref().unwrap().len(), 5);          // recovers the planted support
//! ```

pub mod basis_pursuit;
pub mod bregman;
pub mod finite_step;
pub mod greedy_low_rank;
pub mod homotopy;
pub mod lasso;
mod lp_ipm;
pub mod max_margin;
pub mod min_l2;
pub mod nuclear;
pub mod path;
pub mod penalty;
pub mod ridge;
pub mod saddle;
pub mod sdp;
pub mod soudry;
pub mod spectral_bregman;
pub mod spectral_risk;
pub mod uniqueness;

pub use basis_pursuit::{BpMethod, basis_pursuit, basis_pursuit_with};
pub use bregman::bregman_projection;
pub use min_l2::min_l2;
pub use path::{Path, PathCertificate, PathKind};

use crate::kernels::linalg;
use crate::problem::Problem;
use serde::{Deserialize, Serialize};

/// Whether a solution is the only one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Uniqueness {
    /// Proven unique (strict dual feasibility off the support and `X_S` injective).
    Unique,
    /// Proven not unique (a face of solutions: e.g. duplicated columns on the support).
    NotUnique,
    /// Neither could be shown.
    Unknown,
}

impl std::fmt::Display for Uniqueness {
    /// In words, for printed results (`--json` keeps `unique`, `not_unique`, `unknown`).
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Uniqueness::Unique => "the solution is unique (proven)",
            Uniqueness::NotUnique => "the solution is not unique (proven: a face of solutions)",
            Uniqueness::Unknown => "not decided (neither uniqueness nor a second solution could be shown)",
        })
    }
}

/// The numbers that certify a solution. Fields a solver cannot certify are `None`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct Certificate {
    /// `‖Xw − y‖₂` (absolute).
    pub residual_norm: f64,
    /// `‖Xw − y‖₂ / ‖y‖₂` (relative).
    pub residual_rel: f64,
    /// `‖Xw − y‖₂ / (‖y‖₂ + σ_max‖w‖₂)`: the residual against its rounding scale (a backward error; the
    /// Bregman projection's stopping test, meaningful when `w` is large, as for a nearly singular `X`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub residual_backward_rel: Option<f64>,
    /// The tolerance `residual_backward_rel` was held to (raised above `1e-13` where the mirror map limits the
    /// precision of `w`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub residual_tolerance_rel: Option<f64>,
    /// `‖Xᵀ(Xw − y)‖₂`: least-squares stationarity (zero at any minimiser of R), absolute.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub normal_residual_norm: Option<f64>,
    /// `‖(I − P)w‖/‖w‖` (relative), `P` the projector onto `range(Xᵀ)` (min-ℓ2 only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub outside_row_space_rel: Option<f64>,
    /// Dual objective value (basis pursuit: `yᵀμ`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dual_objective: Option<f64>,
    /// Duality gap, absolute (basis pursuit: `‖w‖₁ − yᵀμ`, with `μ` scaled to be feasible).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub duality_gap_abs: Option<f64>,
    /// Duality gap relative to the primal objective.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub duality_gap_rel: Option<f64>,
    /// Basis pursuit: `‖Xᵀμ‖_∞` of the dual point before scaling (≤ 1 means feasible; 1 at the optimum).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dual_sup_norm: Option<f64>,
    /// Bregman projection: the Newton decrement `√(ΔᵀHΔ)` of the last Newton step taken (at the iterate
    /// before the returned one; the certificate itself is the residual).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub newton_decrement_last_step: Option<f64>,
    /// Bregman projection: `‖δw‖₂/‖w‖₂` for the Newton correction `δw = diag(ψ*'')Xᵀ(XHXᵀ)⁻¹(y − Xw)` at the
    /// returned point, an a-posteriori estimate of its relative distance to the exact projection (held to
    /// `forward_tol`, 1e-9 by default).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub forward_error_rel: Option<f64>,
    /// Solver iterations.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub iterations: Option<usize>,
    /// Numerical rank used (min-ℓ2).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rank: Option<usize>,
    /// Whether the solution is the only one (basis pursuit).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unique: Option<Uniqueness>,
}

/// A reference solution with its certificate.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Solution {
    /// Which solver produced it.
    pub method: String,
    /// The solution.
    pub w: Vec<f64>,
    /// `‖w‖₁`.
    pub l1_norm: f64,
    /// `‖w‖₂`.
    pub l2_norm: f64,
    /// The certificate.
    pub certificate: Certificate,
    /// Support: indices with `|wᵢ| > support_threshold` (where meaningful).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub support: Option<Vec<usize>>,
    /// The threshold of `support`: `1e-9·‖w‖_∞` (documented in SPEC §4).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub support_threshold: Option<f64>,
    /// The dual vector `μ ∈ Rⁿ` of the certificate, where there is one (basis pursuit: feasible,
    /// `‖Xᵀμ‖_∞ ≤ 1`; Bregman projection: `θ = θ₀ + Xᵀμ`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dual: Option<Vec<f64>>,
    /// Wall-clock seconds.
    pub wall_seconds: f64,
    /// `Xᵀμ` of the feasible dual (basis pursuit), kept for the uniqueness verdict.
    #[serde(skip)]
    pub(crate) dual_correlations: Option<Vec<f64>>,
}

/// Relative threshold below which a coefficient is not in the reported support.
pub const SUPPORT_REL: f64 = 1e-9;

impl Solution {
    pub(crate) fn new(method: &str, p: &Problem, w: Vec<f64>, mut cert: Certificate, seconds: f64) -> Self {
        let r = p.residual(&w);
        cert.residual_norm = linalg::norm2(&r);
        let ny = linalg::norm2(p.y());
        cert.residual_rel = if ny > 0.0 { cert.residual_norm / ny } else { cert.residual_norm };
        Solution {
            method: method.into(),
            l1_norm: linalg::norm1(&w),
            l2_norm: linalg::norm2(&w),
            w,
            certificate: cert,
            support: None,
            support_threshold: None,
            dual: None,
            wall_seconds: seconds,
            dual_correlations: None,
        }
    }

    /// Sets the reported support by the documented threshold `SUPPORT_REL·‖w‖_∞`.
    pub(crate) fn with_support(mut self) -> Self {
        let t = SUPPORT_REL * linalg::norm_inf(&self.w);
        self.support = Some((0..self.w.len()).filter(|&j| self.w[j].abs() > t).collect());
        self.support_threshold = Some(t);
        self
    }
}
