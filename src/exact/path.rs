//! A regularisation path: solutions at a sequence of λ (sheet's convention `R(w) + λ·pen(w)`), each with
//! its certificate.

use crate::error::num;
use crate::{Error, Result};
use serde::{Deserialize, Serialize};

/// Which regularisation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PathKind {
    /// `R(w) + λ‖w‖₂²`.
    Ridge,
    /// `R(w) + λ‖w‖₁`.
    Lasso,
}

/// A regularisation path: `coefs[k]` is the solution at `lambdas[k]`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Path {
    /// Ridge or Lasso.
    pub kind: PathKind,
    /// λ values (sheet's convention).
    pub lambdas: Vec<f64>,
    /// One row of `d` coefficients per λ.
    pub coefs: Vec<Vec<f64>>,
    /// Per-λ certificates.
    pub certificates: Vec<PathCertificate>,
    /// How the path was computed.
    pub method: String,
    /// Wall-clock seconds.
    pub wall_seconds: f64,
}

/// Optimality certificate of one path point.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct PathCertificate {
    /// KKT violation (absolute, in the units of `∇R`): ridge `‖∇R(w) + 2λw‖_∞`; Lasso the largest
    /// distance of `−∇R(w)_j` to `λ·∂|w_j|`.
    pub kkt_violation: f64,
    /// Duality gap of the objective (absolute; Lasso), `None` for ridge (its KKT residual certifies it).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub duality_gap_abs: Option<f64>,
}

/// Checks a λ grid: non-empty, finite, `≥ 0`.
pub fn check_lambdas(l: &[f64]) -> Result<()> {
    if l.is_empty() {
        return Err(Error::param("lambdas", "the λ grid is empty"));
    }
    if let Some(v) = l.iter().find(|v| !(v.is_finite() && **v >= 0.0)) {
        return Err(Error::param("lambdas", format!("λ must be finite and ≥ 0, got {}", num(*v))));
    }
    Ok(())
}

impl Path {
    /// Evaluates a piecewise-linear path (the exact Lasso homotopy's breakpoints, λ decreasing) at any `λ`.
    pub fn at(&self, lambda: f64) -> Vec<f64> {
        let l = &self.lambdas;
        if lambda >= l[0] {
            return self.coefs[0].clone();
        }
        for k in 1..l.len() {
            if lambda >= l[k] {
                let t = (l[k - 1] - lambda) / (l[k - 1] - l[k]);
                return self.coefs[k - 1].iter().zip(&self.coefs[k]).map(|(a, b)| a + t * (b - a)).collect();
            }
        }
        self.coefs.last().cloned().unwrap_or_default()
    }

    /// The largest KKT violation over the path.
    pub fn worst_kkt(&self) -> f64 {
        self.certificates.iter().map(|c| c.kkt_violation).fold(0.0, f64::max)
    }
}
