//! Ridge path in the sheet's convention: `w_{2,λ} = argmin R(w) + λ‖w‖₂² = (XᵀX/n + λI)⁻¹Xᵀy/n`,
//! from one SVD `X = UΣVᵀ`: `w_λ = V diag(σ/(σ² + nλ)) Uᵀy` (λ = 0: the pseudo-inverse).

use crate::linalg::{self, logspace};
use crate::problem::Problem;
use crate::{Error, Result};
use serde::{Deserialize, Serialize};

/// A regularisation path: `coefs[k]` is the solution at `lambdas[k]`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Path {
    /// `ridge` or `lasso`.
    pub kind: String,
    /// λ values (sheet's convention).
    pub lambdas: Vec<f64>,
    /// One row of `d` coefficients per λ.
    pub coefs: Vec<Vec<f64>>,
    /// Per-λ certificates.
    pub certificates: Vec<PathCertificate>,
    /// How the path was computed.
    pub method: String,
    /// Wall-clock seconds.
    pub seconds: f64,
}

/// Optimality certificate of one path point.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct PathCertificate {
    /// KKT violation: ridge `‖∇R(w) + 2λw‖_∞`; Lasso `max_j` of the subgradient violation.
    pub kkt: f64,
    /// Duality gap (Lasso), `None` for ridge (the KKT residual certifies it).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub duality_gap: Option<f64>,
}

/// Checks a λ grid: non-empty, finite, `≥ 0`.
pub fn check_lambdas(l: &[f64]) -> Result<()> {
    if l.is_empty() {
        return Err(Error::Param("the λ grid is empty".into()));
    }
    if let Some(v) = l.iter().find(|v| !(v.is_finite() && **v >= 0.0)) {
        return Err(Error::Param(format!("λ must be finite and ≥ 0, got {v}")));
    }
    Ok(())
}

/// The ridge path at the given λ values, from one SVD.
pub fn ridge_path(p: &Problem, lambdas: &[f64]) -> Result<Path> {
    check_lambdas(lambdas)?;
    let t = std::time::Instant::now();
    let svd = linalg::svd(&p.x)?;
    let n = p.n() as f64;
    let smax = svd.s.first().copied().unwrap_or(0.0);
    let tol = p.n().max(p.d()) as f64 * f64::EPSILON * smax;
    let k = svd.s.len();
    let uty: Vec<f64> = (0..k).map(|c| (0..p.n()).map(|i| svd.u.get(i, c) * p.y[i]).sum()).collect();
    let mut coefs = Vec::with_capacity(lambdas.len());
    let mut certs = Vec::with_capacity(lambdas.len());
    for &lam in lambdas {
        let mut w = vec![0.0; p.d()];
        for c in 0..k {
            let s = svd.s[c];
            if s <= tol {
                continue;
            }
            let f = s / (s * s + n * lam) * uty[c];
            for j in 0..p.d() {
                w[j] += f * svd.v.get(j, c);
            }
        }
        let g = p.grad(&w);
        let kkt = g.iter().zip(&w).map(|(gi, wi)| (gi + 2.0 * lam * wi).abs()).fold(0.0, f64::max);
        certs.push(PathCertificate { kkt, duality_gap: None });
        coefs.push(w);
    }
    Ok(Path {
        kind: "ridge".into(),
        lambdas: lambdas.to_vec(),
        coefs,
        certificates: certs,
        method: "SVD".into(),
        seconds: t.elapsed().as_secs_f64(),
    })
}

/// Default ridge grid: `0` then `k − 1` log-spaced values up to the first `λ` (found by doubling
/// from `σ_max²/n`) with `‖w_{2,λ}‖ ≤ 1e-3‖w_{2,0}‖`, down to `1e-6` of it.
pub fn default_ridge_grid(p: &Problem, k: usize) -> Result<Vec<f64>> {
    let n = p.n() as f64;
    let s = p.sigma.first().copied().unwrap_or(1.0);
    let norm_at = |lam: f64| -> Result<f64> { Ok(linalg::norm2(&ridge_path(p, &[lam])?.coefs[0])) };
    let w0 = norm_at(0.0)?;
    let mut hi = (s * s / n).max(1e-300);
    let mut guard = 0;
    while norm_at(hi)? > 1e-3 * w0 && guard < 200 {
        hi *= 2.0;
        guard += 1;
    }
    let mut grid = vec![0.0];
    let mut lg = logspace(hi * 1e-6, hi, k.max(2) - 1);
    lg.reverse();
    grid.splice(0..0, lg);
    Ok(grid)
}
