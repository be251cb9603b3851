//! Ridge path in the sheet's convention: `w_{2,λ} = argmin R(w) + λ‖w‖₂² = (XᵀX/n + λI)⁻¹Xᵀy/n`, from one
//! SVD `X = UΣVᵀ`: `w_λ = V diag(σ/(σ² + nλ)) Uᵀy` (λ = 0: the pseudo-inverse).

use super::path::{Path, PathCertificate, PathKind, check_lambdas};
use super::penalty::{L2, Penalty};
use crate::Result;
use crate::kernels::linalg::{self, logspace};
use crate::problem::Problem;

/// The SVD of `X` with `Uᵀy`, ready to evaluate the ridge solution (or any spectral filter) at any λ.
pub struct RidgeSvd {
    s: Vec<f64>,
    v: linalg::Dense,
    uty: Vec<f64>,
    n: f64,
}

impl RidgeSvd {
    /// One SVD of `X` (singular values below `max(n, d)·ε·σ_max` dropped).
    pub fn new(p: &Problem) -> Result<Self> {
        let svd = linalg::svd(p.x())?;
        let smax = svd.s.first().copied().unwrap_or(0.0);
        let tol = p.n().max(p.d()) as f64 * f64::EPSILON * smax;
        let keep: Vec<usize> = (0..svd.s.len()).filter(|&c| svd.s[c] > tol).collect();
        let uty = keep.iter().map(|&c| (0..p.n()).map(|i| svd.u.get(i, c) * p.y()[i]).sum()).collect();
        let v = linalg::Dense::from_fn(p.d(), keep.len(), |j, c| svd.v.get(j, keep[c]));
        Ok(RidgeSvd { s: keep.iter().map(|&c| svd.s[c]).collect(), v, uty, n: p.n() as f64 })
    }

    /// `w = V diag(f(σ)/σ) Uᵀy` for a filter `f` of the eigenvalues `σ²/n` of `XᵀX/n` (ridge:
    /// `f(s) = s/(s + λ)`; the gradient flow at time t: `f(s) = 1 − e^{−2st}`).
    pub fn filtered(&self, f: impl Fn(f64) -> f64) -> Vec<f64> {
        let mut w = vec![0.0; self.v.rows];
        for c in 0..self.s.len() {
            let s = self.s[c];
            let coef = f(s * s / self.n) / s * self.uty[c];
            for j in 0..self.v.rows {
                w[j] += coef * self.v.get(j, c);
            }
        }
        w
    }

    /// The ridge solution at `λ`.
    pub fn at(&self, lambda: f64) -> Vec<f64> {
        self.filtered(|e| e / (e + lambda))
    }
}

/// The ridge path at the given λ values, from one SVD.
pub fn ridge_path(p: &Problem, lambdas: &[f64]) -> Result<Path> {
    check_lambdas(lambdas)?;
    let t = std::time::Instant::now();
    let svd = RidgeSvd::new(p)?;
    let mut coefs = Vec::with_capacity(lambdas.len());
    let mut certs = Vec::with_capacity(lambdas.len());
    for &lam in lambdas {
        let w = svd.at(lam);
        let g = p.grad(&w);
        let kkt = (0..w.len()).map(|j| L2.kkt_residual(w[j], g[j], lam)).fold(0.0, f64::max);
        certs.push(PathCertificate { kkt_violation: kkt, duality_gap_abs: None });
        coefs.push(w);
    }
    Ok(Path {
        kind: PathKind::Ridge,
        lambdas: lambdas.to_vec(),
        coefs,
        certificates: certs,
        method: "SVD".into(),
        wall_seconds: t.elapsed().as_secs_f64(),
    })
}

/// Default ridge grid: `k − 1` log-spaced values down from the first `λ` (found by doubling from
/// `σ_max²/n`) with `‖w_{2,λ}‖ ≤ 1e-3‖w_{2,0}‖` to `1e-6` of it, then `0`.
pub fn default_ridge_grid(p: &Problem, k: usize) -> Result<Vec<f64>> {
    let n = p.n() as f64;
    let s = p.sigma().first().copied().unwrap_or(1.0);
    let svd = RidgeSvd::new(p)?;
    let norm_at = |lam: f64| linalg::norm2(&svd.at(lam));
    let w0 = norm_at(0.0);
    let mut hi = (s * s / n).max(1e-300);
    let mut guard = 0;
    while norm_at(hi) > 1e-3 * w0 && guard < 200 {
        hi *= 2.0;
        guard += 1;
    }
    let mut lg = logspace(hi * 1e-6, hi, k.max(2) - 1);
    lg.reverse();
    lg.push(0.0);
    Ok(lg)
}
