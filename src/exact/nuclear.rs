//! The exact objects of matrix sensing (SPEC §13), each with its certificate: the minimum nuclear norm
//! interpolator (symmetric `W`, or `W ⪰ 0`), solved as a semidefinite program ([`super::sdp`]) and certified by
//! its dual — `max yᵀλ s.t. ‖Σλᵢ Aᵢ‖₂ ≤ 1` (PSD: `λ_max(Σλᵢ Aᵢ) ≤ 1`), the multipliers scaled into the dual
//! feasible set and the gap measured on the answer itself — and the minimum Frobenius interpolator
//! (the minimum-ℓ2 interpolator of the vectorised problem).
//!
//! ```
//! use ibias::exact::nuclear::{NuclearKind, min_nuclear};
//! use ibias::problem::matrix::MatrixSpec;
//! let g = MatrixSpec::gaussian(5, 18, 1, true, 0).generate().unwrap();
//! let s = min_nuclear(&g.problem, NuclearKind::Symmetric).unwrap();
//! assert!(s.certificate.duality_gap_rel.unwrap() <= 1e-8);
//! // With enough measurements the rank-1 target is recovered.
//! let err: f64 = s.w.iter().flatten().zip(&g.w_star).map(|(a, b)| (a - b).abs()).fold(0.0, f64::max);
//! assert!(err < 1e-6);
//! ```

use super::sdp::{Sdp, solve};
use crate::kernels::linalg;
use crate::kernels::spectral::{eigenvalues_desc, eigvalsh, summaries};
use crate::problem::Problem;
use crate::problem::matrix::{rows, sensing};
use crate::{Error, Result};
use faer::linalg::solvers::Solve;
use faer::{Mat, Side};
use serde::{Deserialize, Serialize};
use std::time::Instant;

/// Which minimum nuclear norm program.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NuclearKind {
    /// Symmetric `W = P − N`, `P, N ⪰ 0`, minimising `tr P + tr N = ‖W‖_*`.
    Symmetric,
    /// `W ⪰ 0`, minimising `tr W = ‖W‖_*`.
    Psd,
    /// The general embedding `[[Y, W], [Wᵀ, Z]] ⪰ 0`, minimising `(tr Y + tr Z)/2` (a second, independent
    /// formulation of [`NuclearKind::Symmetric`]'s program, of twice the size).
    Block,
}

impl std::str::FromStr for NuclearKind {
    type Err = String;
    fn from_str(s: &str) -> std::result::Result<Self, String> {
        match s.trim() {
            "symmetric" => Ok(NuclearKind::Symmetric),
            "psd" => Ok(NuclearKind::Psd),
            "block" => Ok(NuclearKind::Block),
            _ => Err(format!("unknown variant '{s}' (symmetric, psd or block)")),
        }
    }
}

/// What certifies a matrix solution (`None`: not applicable to this solver).
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct MatrixCertificate {
    /// `‖𝒜(W) − y‖₂` (absolute).
    pub residual_norm: f64,
    /// `‖𝒜(W) − y‖₂/‖y‖₂` (relative).
    pub residual_rel: f64,
    /// Nuclear norm: `yᵀλ` of the scaled, feasible dual.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dual_objective: Option<f64>,
    /// Nuclear norm: `‖W‖_* − yᵀλ` (absolute; ≥ 0 up to rounding for a feasible pair).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub duality_gap_abs: Option<f64>,
    /// The gap relative to `‖W‖_*`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub duality_gap_rel: Option<f64>,
    /// `‖Σλᵢ Aᵢ‖₂` (PSD: `λ_max`) of the solver's multipliers before scaling (≤ 1: feasible; 1 at the optimum).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dual_operator_norm: Option<f64>,
    /// PSD program: the smallest eigenvalue of `W` (≥ 0 up to rounding).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub min_eigenvalue: Option<f64>,
    /// Minimum Frobenius: `‖(I − P)vec(W)‖/‖W‖_F`, `P` the projector onto the span of the `vec(Aᵢ)` (relative).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub outside_span_rel: Option<f64>,
    /// Spectral Bregman projection: the last Newton step's `‖ΔW‖_F/‖W‖_F` (relative), a forward-error estimate.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub forward_error_rel: Option<f64>,
    /// Interior-point (or Newton) iterations.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub iterations: Option<usize>,
    /// Linearly independent measurements the program kept (the others are implied by them).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub independent_measurements: Option<usize>,
}

/// A symmetric matrix answer with its spectrum and certificate.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct MatrixSolution {
    /// Which solver.
    pub method: String,
    /// Side `m`.
    pub m: usize,
    /// `W`, `m` rows.
    #[serde(rename = "W")]
    pub w: Vec<Vec<f64>>,
    /// Eigenvalues of `W`, decreasing.
    pub eigenvalues: Vec<f64>,
    /// `‖W‖_* = Σ|λₖ|`.
    pub nuclear_norm: f64,
    /// `‖W‖_F`.
    pub frobenius_norm: f64,
    /// `‖W‖₂ = max|λₖ|`.
    pub operator_norm: f64,
    /// `exp(entropy of |λ|/Σ|λ|)` (Roy & Vetterli 2007).
    pub effective_rank: f64,
    /// Eigenvalues with `|λ| > 1e-8·‖W‖₂`.
    pub numerical_rank: usize,
    /// The certificate.
    pub certificate: MatrixCertificate,
    /// Nuclear norm: the scaled dual `λ ∈ Rⁿ` (feasible).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dual: Option<Vec<f64>>,
    /// Wall-clock seconds.
    pub wall_seconds: f64,
}

impl MatrixSolution {
    pub(crate) fn new(
        method: &str,
        p: &Problem,
        m: usize,
        w: Vec<f64>,
        cert: MatrixCertificate,
        t: Instant,
    ) -> Result<Self> {
        let mut cert = cert;
        let r = p.residual(&w);
        cert.residual_norm = linalg::norm2(&r);
        let ny = linalg::norm2(p.y());
        cert.residual_rel = if ny > 0.0 { cert.residual_norm / ny } else { cert.residual_norm };
        let eig = eigenvalues_desc(&w, m)?;
        let (nuc, fro, op, erank) = summaries(&eig);
        Ok(MatrixSolution {
            method: method.into(),
            m,
            w: rows(&w, m),
            numerical_rank: eig.iter().filter(|l| l.abs() > 1e-8 * op).count(),
            eigenvalues: eig,
            nuclear_norm: nuc,
            frobenius_norm: fro,
            operator_norm: op,
            effective_rank: erank,
            certificate: cert,
            dual: None,
            wall_seconds: t.elapsed().as_secs_f64(),
        })
    }

    /// `vec(W)`, row-major.
    pub fn vec(&self) -> Vec<f64> {
        self.w.iter().flatten().copied().collect()
    }
}

/// The minimum Frobenius interpolator: `vec(W) = X⁺y` with rows `vec(Aᵢ)`, symmetric because it lies in the span of
/// the symmetric `Aᵢ`. Certificate: the residual and the component outside that span.
pub fn min_frobenius(p: &Problem) -> Result<MatrixSolution> {
    let t = Instant::now();
    let m = sensing(p)?;
    super::min_l2::require_interpolator(p, "the minimum Frobenius interpolator")?;
    let s = super::min_l2(p)?;
    let cert = MatrixCertificate { outside_span_rel: s.certificate.outside_row_space_rel, ..Default::default() };
    let mut w = s.w;
    symmetrise_vec(&mut w, m);
    MatrixSolution::new("min-frobenius (SVD pseudo-inverse)", p, m, w, cert, t)
}

fn symmetrise_vec(w: &mut [f64], m: usize) {
    for i in 0..m {
        for j in 0..i {
            let s = 0.5 * (w[i * m + j] + w[j * m + i]);
            w[i * m + j] = s;
            w[j * m + i] = s;
        }
    }
}

/// A maximal linearly independent set of rows of `X` (pivoted Cholesky of `XXᵀ`, pivots above `1e-12` of the
/// largest diagonal), in increasing order.
pub(crate) fn independent_rows(p: &Problem) -> Vec<usize> {
    let n = p.n();
    if p.rank() == n {
        return (0..n).collect();
    }
    let x = p.x();
    let mut g: Vec<Vec<f64>> =
        (0..n).map(|i| (0..n).map(|j| x.row(i).iter().zip(x.row(j)).map(|(a, b)| a * b).sum()).collect()).collect();
    let dmax = (0..n).fold(0.0f64, |s, i| s.max(g[i][i]));
    let mut chosen = Vec::new();
    let mut left: Vec<usize> = (0..n).collect();
    // Schur complements in place: g ← g − g[:,k]g[k,:]/g[k,k].
    while !left.is_empty() {
        let (pos, &k) = left.iter().enumerate().max_by(|a, b| g[*a.1][*a.1].total_cmp(&g[*b.1][*b.1])).unwrap();
        let piv = g[k][k];
        if !(piv > 1e-12 * dmax) {
            break;
        }
        left.remove(pos);
        chosen.push(k);
        let col: Vec<f64> = (0..n).map(|i| g[i][k]).collect();
        for &i in &left {
            for &j in &left {
                g[i][j] -= col[i] * col[j] / piv;
            }
        }
    }
    chosen.sort_unstable();
    chosen
}

/// The minimum nuclear norm interpolator of `kind`, certified (residual ≤ 1e-9 relative, duality gap ≤ 1e-8
/// relative); an answer that fails its certificate is an error, never returned.
pub fn min_nuclear(p: &Problem, kind: NuclearKind) -> Result<MatrixSolution> {
    let t = Instant::now();
    let m = sensing(p)?;
    let what = match kind {
        NuclearKind::Psd => "the minimum nuclear norm PSD interpolator",
        _ => "the minimum nuclear norm interpolator",
    };
    super::min_l2::require_interpolator(p, what)?;
    let method = match kind {
        NuclearKind::Symmetric => "min-nuclear (SDP, W = P − N, P, N ⪰ 0; primal–dual interior point)",
        NuclearKind::Psd => "min-nuclear PSD (SDP, W ⪰ 0; primal–dual interior point)",
        NuclearKind::Block => "min-nuclear (SDP, [[Y, W], [Wᵀ, Z]] ⪰ 0; primal–dual interior point)",
    };
    let n = p.n();
    if linalg::norm2(p.y()) == 0.0 {
        let cert = MatrixCertificate {
            dual_objective: Some(0.0),
            duality_gap_abs: Some(0.0),
            duality_gap_rel: Some(0.0),
            dual_operator_norm: Some(0.0),
            iterations: Some(0),
            ..Default::default()
        };
        let mut s = MatrixSolution::new(method, p, m, vec![0.0; m * m], cert, t)?;
        s.dual = Some(vec![0.0; n]);
        return Ok(s);
    }
    let keep = independent_rows(p);
    let k = keep.len();
    let x = p.x();
    let a_of = |i: usize| Mat::from_fn(m, m, |r, c| x.row(keep[i])[r * m + c]);
    let eye = |s: usize, v: f64| Mat::from_fn(s, s, |i, j| if i == j { v } else { 0.0 });
    let vec_rows = |f: &dyn Fn(&Mat<f64>) -> Mat<f64>, s: usize| {
        let mut out = Mat::<f64>::zeros(k, s * s);
        for i in 0..k {
            let a = f(&a_of(i));
            for r in 0..s {
                for c in 0..s {
                    out[(i, r * s + c)] = a[(r, c)];
                }
            }
        }
        out
    };
    let b: Vec<f64> = keep.iter().map(|&i| p.y()[i]).collect();
    let sdp = match kind {
        NuclearKind::Symmetric => Sdp {
            blocks: vec![m, m],
            avec: vec![vec_rows(&|a| a.clone(), m), vec_rows(&|a| -a, m)],
            c: vec![eye(m, 1.0), eye(m, 1.0)],
            b,
        },
        NuclearKind::Psd => Sdp { blocks: vec![m], avec: vec![vec_rows(&|a| a.clone(), m)], c: vec![eye(m, 1.0)], b },
        NuclearKind::Block => {
            let emb = |a: &Mat<f64>| {
                Mat::from_fn(2 * m, 2 * m, |r, c| if (r < m) != (c < m) { 0.5 * a[(r % m, c % m)] } else { 0.0 })
            };
            Sdp { blocks: vec![2 * m], avec: vec![vec_rows(&emb, 2 * m)], c: vec![eye(2 * m, 0.5)], b }
        }
    };
    let pt = solve(&sdp, 1e-10, 120)?;
    let mut w = vec![0.0; m * m];
    for r in 0..m {
        for c in 0..m {
            w[r * m + c] = match kind {
                NuclearKind::Symmetric => pt.x[0][(r, c)] - pt.x[1][(r, c)],
                NuclearKind::Psd => pt.x[0][(r, c)],
                NuclearKind::Block => 0.5 * (pt.x[0][(r, m + c)] + pt.x[0][(m + c, r)]),
            };
        }
    }
    symmetrise_vec(&mut w, m);
    // Onto the affine set: the least-norm correction over the independent rows (moves ‖W‖_* by ≤ √m‖δ‖_F).
    polish(p, &keep, &mut w);
    // The certificate, from the definitions: λ scaled into the dual feasible set, gap on the returned W.
    let mut lam = vec![0.0; n];
    for (i, &r) in keep.iter().enumerate() {
        lam[r] = pt.y[i];
    }
    let mut s = vec![0.0; m * m];
    p.xt_mul(&lam, &mut s);
    let s_eig = eigvalsh(crate::kernels::spectral::mat(&s, m).as_ref())?;
    let s_norm = match kind {
        NuclearKind::Psd => s_eig.last().copied().unwrap_or(0.0).max(0.0),
        _ => s_eig.iter().fold(0.0f64, |a, l| a.max(l.abs())),
    };
    let scale = s_norm.max(1.0);
    lam.iter_mut().for_each(|l| *l /= scale);
    let dual: f64 = lam.iter().zip(p.y()).map(|(a, b)| a * b).sum();
    let w_eig = eigvalsh(crate::kernels::spectral::mat(&w, m).as_ref())?;
    let primal = match kind {
        NuclearKind::Psd => w_eig.iter().sum::<f64>(),
        _ => w_eig.iter().map(|l| l.abs()).sum::<f64>(),
    };
    let gap = primal - dual;
    let gap_rel = gap.abs() / primal.abs().max(f64::MIN_POSITIVE);
    let min_eig = w_eig.first().copied().unwrap_or(0.0);
    let cert = MatrixCertificate {
        dual_objective: Some(dual),
        duality_gap_abs: Some(gap),
        duality_gap_rel: Some(gap_rel),
        dual_operator_norm: Some(s_norm),
        min_eigenvalue: (kind == NuclearKind::Psd).then_some(min_eig),
        iterations: Some(pt.iterations),
        independent_measurements: Some(k),
        ..Default::default()
    };
    let sol = MatrixSolution::new(method, p, m, w, cert, t)?;
    let c = &sol.certificate;
    let op = sol.operator_norm;
    let fail = if !(pt.converged || c.residual_rel <= 1e-9 && gap_rel <= 1e-8) {
        Some(format!(
            "the interior point stopped after {} iterations at relative gap {:.1e}, primal infeasibility {:.1e}, dual \
             infeasibility {:.1e}{}",
            pt.iterations,
            pt.gap_rel,
            pt.primal_infeasibility_rel,
            pt.dual_infeasibility_rel,
            if kind == NuclearKind::Psd { " (the measurements may admit no PSD W)" } else { "" }
        ))
    } else if !(c.residual_rel <= 1e-9) {
        Some(format!("residual ‖𝒜(W) − y‖/‖y‖ = {:.3e} above 1e-9", c.residual_rel))
    } else if !(gap_rel <= 1e-8) {
        Some(format!("duality gap ‖W‖_* − yᵀλ = {gap:.3e} (relative {gap_rel:.3e}) above 1e-8"))
    } else if kind == NuclearKind::Psd && !(min_eig >= -1e-9 * op.max(f64::MIN_POSITIVE)) {
        Some(format!("W has the eigenvalue {min_eig:.3e} < −1e-9·‖W‖₂"))
    } else {
        None
    };
    if let Some(detail) = fail {
        return Err(Error::CertificateFailed { solver: method.into(), detail });
    }
    Ok(MatrixSolution { dual: Some(lam), ..sol })
}

/// `W ← W + δ`, `δ = X_Sᵀ(X_S X_Sᵀ)⁻¹(y_S − X_S vec W)` over the independent rows `S` (left as it is where their
/// Gram matrix does not factor: the certificate's residual then decides).
fn polish(p: &Problem, keep: &[usize], w: &mut [f64]) {
    let x = p.x();
    let k = keep.len();
    let g = Mat::from_fn(k, k, |i, j| linalg::dot(x.row(keep[i]), x.row(keep[j])));
    let Ok(llt) = g.llt(Side::Lower) else { return };
    for _ in 0..2 {
        let r = Mat::from_fn(k, 1, |i, _| p.y()[keep[i]] - linalg::dot(x.row(keep[i]), w));
        let c = llt.solve(&r);
        for i in 0..k {
            linalg::axpy(c[(i, 0)], x.row(keep[i]), w);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::problem::matrix::{MatrixSpec, Measurements};

    fn max_diff(a: &[f64], b: &[f64]) -> f64 {
        a.iter().zip(b).map(|(x, y)| (x - y).abs()).fold(0.0, f64::max)
    }

    /// Two formulations (`W = P − N` with two m-blocks; the 2m embedding) agree, each certified, on random
    /// Gaussian sensing problems below the recovery threshold (so the answer is not just `W*`).
    #[test]
    fn two_formulations_agree_and_certify() {
        for seed in 0..3 {
            let g = MatrixSpec::gaussian(6, 14, 3, false, seed).generate().unwrap();
            let a = min_nuclear(&g.problem, NuclearKind::Symmetric).unwrap();
            let b = min_nuclear(&g.problem, NuclearKind::Block).unwrap();
            for s in [&a, &b] {
                assert!(s.certificate.duality_gap_rel.unwrap() <= 1e-8, "{:?}", s.certificate);
                assert!(s.certificate.residual_rel <= 1e-12, "{:?}", s.certificate);
                assert!(s.certificate.dual_operator_norm.unwrap() <= 1.0 + 1e-6);
            }
            assert!((a.nuclear_norm - b.nuclear_norm).abs() <= 1e-8 * a.nuclear_norm);
            assert!(max_diff(&a.vec(), &b.vec()) <= 1e-5, "{}", max_diff(&a.vec(), &b.vec()));
            // The nuclear norm is below the target's and the Frobenius interpolator's.
            let f = min_frobenius(&g.problem).unwrap();
            assert!(a.nuclear_norm <= f.nuclear_norm + 1e-9);
        }
    }

    /// Diagonal (commuting) measurements: the minimum nuclear norm is the minimum ℓ1 norm of the diagonal
    /// (basis pursuit on the n × m problem), and the minimum Frobenius interpolator is its minimum ℓ2 one.
    #[test]
    fn commuting_measurements_reduce_to_the_vector_solvers() {
        let s = MatrixSpec { m: 12, n: 6, rank: 2, psd: false, measurements: Measurements::Diagonal, seed: 4 };
        let g = s.generate().unwrap();
        let m = 12;
        let xd = linalg::Dense::from_fn(6, m, |i, j| g.problem.x().row(i)[j * m + j]);
        let pv = Problem::new(xd, g.problem.y().to_vec()).unwrap();
        let l1 = crate::exact::basis_pursuit(&pv).unwrap();
        let nuc = min_nuclear(&g.problem, NuclearKind::Symmetric).unwrap();
        assert!((nuc.nuclear_norm - l1.l1_norm).abs() <= 1e-8 * l1.l1_norm, "{} {}", nuc.nuclear_norm, l1.l1_norm);
        let diag: Vec<f64> = (0..m).map(|j| nuc.w[j][j]).collect();
        assert!(max_diff(&diag, &l1.w) <= 1e-6);
        let l2 = crate::exact::min_l2(&pv).unwrap();
        let fro = min_frobenius(&g.problem).unwrap();
        let diag: Vec<f64> = (0..m).map(|j| fro.w[j][j]).collect();
        assert!(max_diff(&diag, &l2.w) <= 1e-12);
        assert!(fro.w.iter().enumerate().all(|(i, r)| r.iter().enumerate().all(|(j, v)| i == j || v.abs() <= 1e-14)));
    }

    #[test]
    fn psd_program_and_its_failures() {
        let g = MatrixSpec::gaussian(6, 14, 2, true, 1).generate().unwrap();
        let s = min_nuclear(&g.problem, NuclearKind::Psd).unwrap();
        assert!(s.certificate.min_eigenvalue.unwrap() >= -1e-9);
        let sym = min_nuclear(&g.problem, NuclearKind::Symmetric).unwrap();
        // The PSD program's feasible set is smaller: its optimum is at least the symmetric one.
        assert!(s.nuclear_norm >= sym.nuclear_norm - 1e-8);
        // Razin & Cohen's example has no PSD solution: no answer, an error that says why.
        let (x, y) = crate::problem::matrix::razin_cohen();
        let p = Problem::new(x, y).unwrap();
        assert!(min_nuclear(&p, NuclearKind::Psd).is_err());
        let s = min_nuclear(&p, NuclearKind::Symmetric).unwrap();
        assert!((s.nuclear_norm - 2.0).abs() < 1e-8 && s.w[0][0].abs() < 1e-6, "{:?}", s.w);
        // Dependent (duplicated) measurements are handled.
        let x2 = linalg::Dense::from_fn(28, 36, |i, j| g.problem.x().row(i % 14)[j]);
        let y2: Vec<f64> = (0..28).map(|i| g.problem.y()[i % 14]).collect();
        let s2 = min_nuclear(&Problem::new(x2, y2).unwrap(), NuclearKind::Symmetric).unwrap();
        assert_eq!(s2.certificate.independent_measurements, Some(14));
        assert!((s2.nuclear_norm - sym.nuclear_norm).abs() <= 1e-8 * sym.nuclear_norm);
    }
}
