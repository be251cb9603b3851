//! The spectral Bregman projection (SPEC §13): `argmin_{𝒜(W) = y} D_Φ(W, 0)` for the spectral hyperbolic entropy
//! `Φ(W) = Σₖ ψ_α(λₖ(W))` — the exact limit of spectral mirror descent from `W = 0` (its dual iterate stays in
//! `range(𝒜*)`), and the candidate limit of GD on `U Uᵀ − V Vᵀ`, which it is exactly when the measurements commute.
//!
//! Dual Newton: `W(λ) = ∇Φ*(Σλᵢ Aᵢ) = Q diag(c·sinh μ) Qᵀ` for `Σλᵢ Aᵢ = Q diag(μ) Qᵀ`, `c = 2α²`; the dual
//! `Φ*(𝒜*λ) − yᵀλ` is minimised by Newton steps with an Armijo backtracking, its Hessian
//! `Hᵢⱼ = ⟨QᵀAᵢQ, Γ ∘ QᵀAⱼQ⟩` from the divided differences of `c·sinh`,
//! `Γₖₗ = c·cosh((μₖ + μₗ)/2)·sinh(δ)/δ`, `δ = (μₖ − μₗ)/2` (Daleckii–Krein; no cancellation at close eigenvalues).
//! Optimality is built into `W(λ)`; the certificate is the residual `‖𝒜(W) − y‖/‖y‖ ≤ 1e-10`, and the last Newton
//! step's relative size is reported as a forward-error estimate.

use super::nuclear::{MatrixCertificate, MatrixSolution, independent_rows};
use crate::kernels::linalg;
use crate::kernels::spectral::{compose, eigh};
use crate::potential::{Hyperbolic, Potential};
use crate::problem::Problem;
use crate::problem::matrix::sensing;
use crate::{Error, Result};
use faer::Mat;
use faer::linalg::solvers::Solve;
use std::time::Instant;

/// At a dual point: the eigenvalues `μ` and eigenvectors `Q` of `Σλᵢ Aᵢ`, `vec(W)` and the dual objective.
type DualState = (Vec<f64>, Mat<f64>, Vec<f64>, f64);

fn sinhc(x: f64) -> f64 {
    if x.abs() < 1e-4 { 1.0 + x * x / 6.0 } else { x.sinh() / x }
}

/// The spectral Bregman projection of `W₀ = 0` at scale `α` (`c = 2α²`), certified by its residual.
pub fn spectral_bregman(p: &Problem, alpha: f64) -> Result<MatrixSolution> {
    let t = Instant::now();
    crate::potential::check_alpha("alpha", alpha)?;
    if alpha < 1e-6 {
        return Err(Error::param(
            "alpha",
            format!("the spectral projection's dual Newton works for α ≥ 1e-6 (c = 2α² ≥ 2e-12), got {alpha:e}"),
        ));
    }
    let m = sensing(p)?;
    super::min_l2::require_interpolator(p, "the spectral Bregman projection")?;
    let pot = Hyperbolic::uniform(alpha, 1)?;
    let keep = independent_rows(p);
    let k = keep.len();
    let x = p.x();
    let y: Vec<f64> = keep.iter().map(|&i| p.y()[i]).collect();
    let ny = linalg::norm2(&y).max(f64::MIN_POSITIVE);
    let state = |lam: &[f64]| -> Result<DualState> {
        let mut s = vec![0.0; m * m];
        for (i, &l) in lam.iter().enumerate() {
            linalg::axpy(l, x.row(keep[i]), &mut s);
        }
        let (mu, q) = eigh(crate::kernels::spectral::mat(&s, m).as_ref())?;
        let f: Vec<f64> = mu.iter().map(|&u| pot.inv_grad_i(0, u)).collect();
        let w = compose(q.as_ref(), &f);
        let wv = crate::kernels::spectral::to_vec(w.as_ref());
        let dual =
            mu.iter().map(|&u| pot.conj_i(0, u)).sum::<f64>() - lam.iter().zip(&y).map(|(a, b)| a * b).sum::<f64>();
        Ok((mu, q, wv, dual))
    };
    let mut lam = vec![0.0; k];
    let (mut mu, mut q, mut w, mut dual) = state(&lam)?;
    let mut iterations = 0;
    let mut last_step_rel = f64::INFINITY;
    loop {
        let g: Vec<f64> = (0..k).map(|i| linalg::dot(x.row(keep[i]), &w) - y[i]).collect();
        let res = linalg::norm2(&g) / ny;
        if res <= 1e-13 || iterations >= 200 {
            break;
        }
        iterations += 1;
        // H = C Cᵀ, row i of C = vec(√Γ ∘ QᵀAᵢQ).
        let gamma = Mat::from_fn(m, m, |a, b| {
            let (s, d) = (0.5 * (mu[a] + mu[b]), 0.5 * (mu[a] - mu[b]));
            (pot.conj_hess_i(0, s) * sinhc(d)).sqrt()
        });
        let mut cm = Mat::<f64>::zeros(k, m * m);
        for i in 0..k {
            let a = crate::kernels::spectral::mat(x.row(keep[i]), m);
            let b = q.transpose() * &a * &q;
            for r in 0..m {
                for s in 0..m {
                    cm[(i, r * m + s)] = gamma[(r, s)] * b[(r, s)];
                }
            }
        }
        let Some(llt) = crate::kernels::spectral::llt_shifted(&cm * cm.transpose()) else { break };
        let step = llt.solve(&Mat::from_fn(k, 1, |i, _| -g[i]));
        let d: Vec<f64> = (0..k).map(|i| step[(i, 0)]).collect();
        let slope: f64 = g.iter().zip(&d).map(|(a, b)| a * b).sum();
        let mut tt = 1.0;
        let mut accepted = None;
        for _ in 0..60 {
            let trial: Vec<f64> = lam.iter().zip(&d).map(|(l, di)| l + tt * di).collect();
            if let Ok(st) = state(&trial)
                && st.3.is_finite()
                && st.3 <= dual + 1e-4 * tt * slope + 1e-15 * dual.abs()
            {
                accepted = Some((trial, st));
                break;
            }
            tt *= 0.5;
        }
        let Some((trial, st)) = accepted else { break };
        let before = w.clone();
        lam = trial;
        (mu, q, w, dual) = st;
        last_step_rel = linalg::dist2(&w, &before) / linalg::norm2(&w).max(f64::MIN_POSITIVE);
    }
    let cert = MatrixCertificate {
        iterations: Some(iterations),
        independent_measurements: Some(k),
        dual_objective: Some(dual),
        forward_error_rel: Some(last_step_rel),
        ..Default::default()
    };
    let method = format!("spectral Bregman projection (hyperbolic entropy, α = {alpha:e}; dual Newton)");
    let sol = MatrixSolution::new(&method, p, m, w, cert, t)?;
    if !(sol.certificate.residual_rel <= 1e-10) {
        return Err(Error::CertificateFailed {
            solver: method,
            detail: format!(
                "residual ‖𝒜(W) − y‖/‖y‖ = {:.3e} above 1e-10 after {iterations} Newton steps",
                sol.certificate.residual_rel
            ),
        });
    }
    Ok(sol)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::problem::matrix::{MatrixSpec, Measurements};

    /// Commuting measurements: the vector Bregman projection of the diagonal problem; Gaussian ones: the limit of
    /// spectral mirror descent (an independent method: a long run of small steps).
    #[test]
    fn matches_the_vector_projection_and_spectral_mirror_descent() {
        let m = 8;
        let s = MatrixSpec { m, n: 5, rank: 2, psd: false, measurements: Measurements::Diagonal, seed: 1 };
        let g = s.generate().unwrap();
        let xd = linalg::Dense::from_fn(5, m, |i, j| g.problem.x().row(i)[j * m + j]);
        let pv = Problem::new(xd, g.problem.y().to_vec()).unwrap();
        for alpha in [1.0, 0.1, 1e-3] {
            let v = crate::exact::bregman_projection(
                &pv,
                &Hyperbolic::uniform(alpha, m).unwrap(),
                &vec![0.0; m],
                Default::default(),
            )
            .unwrap();
            let sb = spectral_bregman(&g.problem, alpha).unwrap();
            let diag: Vec<f64> = (0..m).map(|j| sb.w[j][j]).collect();
            assert!(linalg::dist2(&diag, &v.w) <= 1e-9 * linalg::norm2(&v.w), "α = {alpha}");
        }
        let g = MatrixSpec::gaussian(5, 9, 2, false, 0).generate().unwrap();
        let sb = spectral_bregman(&g.problem, 0.3).unwrap();
        let cfg = crate::dynamics::RunConfig::new(crate::dynamics::StepRule::Safe)
            .stop(crate::dynamics::StopRule::default().risk_tol(1e-26).max_iter(400_000));
        let args =
            crate::dynamics::fit::FitArgs { alpha: 0.3, ..crate::dynamics::fit::FitArgs::new(Default::default(), cfg) };
        let r = (crate::dynamics::registry::find("spectral_md").unwrap().run)(&g.problem, &args).unwrap();
        let d = linalg::dist2(&r.w, &sb.vec()) / linalg::norm2(&sb.vec());
        assert!(d <= 1e-9, "{d:e}");
    }
}
