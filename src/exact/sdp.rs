//! A primal–dual interior-point method for small dense block-diagonal semidefinite programs (SPEC §13):
//!
//! `min ⟨C, X⟩ s.t. ⟨Aᵢ, X⟩ = bᵢ, X ⪰ 0`, dual `max bᵀy s.t. Z = C − Σ yᵢAᵢ ⪰ 0`,
//!
//! with `X = diag(X₁, …, X_B)` and symmetric `Aᵢ`, `C` of the same blocks. Infeasible start (SDPT3's scaled
//! identities), the HKM search direction with Mehrotra's predictor–corrector: per iteration the Schur complement
//! `Mᵢⱼ = ⟨Aᵢ, X Aⱼ Z⁻¹⟩` (one GEMM of the vectorised constraints), a Cholesky solve, and steps to 0.98 of the
//! boundary of each cone (eigenvalues of `X^{−1/2} ΔX X^{−1/2}`). The constraints must be linearly independent
//! (callers select a basis first). It reports its own residuals; the callers certify the answer themselves
//! (feasibility, a dual-feasible scaled `y`, the gap) and refuse an answer that fails.

use crate::kernels::spectral::{eigh, symmetrise};
use faer::linalg::solvers::Solve;
use faer::{Mat, MatRef};

/// A block-diagonal SDP in standard form.
pub struct Sdp {
    /// Block sizes `m_b`.
    pub blocks: Vec<usize>,
    /// Per block, the constraints vectorised: an `n × m_b²` matrix whose row `i` is `vec(A_{i,b})` (row-major).
    pub avec: Vec<Mat<f64>>,
    /// The objective `C`, per block.
    pub c: Vec<Mat<f64>>,
    /// The right-hand side `b ∈ Rⁿ`.
    pub b: Vec<f64>,
}

/// The last iterate and how far it is from optimal.
pub struct SdpPoint {
    /// Primal blocks.
    pub x: Vec<Mat<f64>>,
    /// Dual multipliers.
    pub y: Vec<f64>,
    /// Dual slack blocks.
    pub z: Vec<Mat<f64>>,
    /// Iterations done.
    pub iterations: usize,
    /// `|⟨C, X⟩ − bᵀy| / (1 + |⟨C, X⟩| + |bᵀy|)`.
    pub gap_rel: f64,
    /// `‖b − 𝒜(X)‖ / (1 + ‖b‖)`.
    pub primal_infeasibility_rel: f64,
    /// `‖C − 𝒜*(y) − Z‖_F / (1 + ‖C‖_F)`.
    pub dual_infeasibility_rel: f64,
    /// Whether all three fell below the tolerance.
    pub converged: bool,
}

fn vecmat(a: MatRef<'_, f64>) -> Mat<f64> {
    let m = a.nrows();
    Mat::from_fn(m * m, 1, |k, _| a[(k / m, k % m)])
}

fn unvec(v: MatRef<'_, f64>, m: usize) -> Mat<f64> {
    let mut a = Mat::from_fn(m, m, |i, j| v[(i * m + j, 0)]);
    symmetrise(&mut a);
    a
}

impl Sdp {
    fn n(&self) -> usize {
        self.b.len()
    }

    /// `𝒜(X) = (⟨Aᵢ, X⟩)ᵢ` (the symmetric part of `X` is what counts).
    fn op(&self, x: &[Mat<f64>]) -> Vec<f64> {
        let mut out = vec![0.0; self.n()];
        for (a, xb) in self.avec.iter().zip(x) {
            let v = a * vecmat(xb.as_ref());
            out.iter_mut().enumerate().for_each(|(i, o)| *o += v[(i, 0)]);
        }
        out
    }

    /// `𝒜*(y) = Σ yᵢAᵢ`, per block.
    fn adj(&self, y: &[f64]) -> Vec<Mat<f64>> {
        let yv = Mat::from_fn(self.n(), 1, |i, _| y[i]);
        self.avec.iter().zip(&self.blocks).map(|(a, &m)| unvec((a.transpose() * &yv).as_ref(), m)).collect()
    }
}

fn dot(a: &[Mat<f64>], b: &[Mat<f64>]) -> f64 {
    a.iter().zip(b).map(|(x, y)| crate::kernels::spectral::inner(x.as_ref(), y.as_ref())).sum()
}

fn fro(a: &[Mat<f64>]) -> f64 {
    dot(a, a).sqrt()
}

/// The largest `t` with `X + tΔX ⪰ 0` (`∞` if every direction stays inside), `X ≻ 0`.
fn max_step(x: &Mat<f64>, dx: &Mat<f64>) -> crate::Result<f64> {
    let (lam, q) = eigh(x.as_ref())?;
    let m = x.nrows();
    let s: Vec<f64> = lam.iter().map(|l| 1.0 / l.max(f64::MIN_POSITIVE).sqrt()).collect();
    let qt_dx_q = q.transpose() * dx * &q;
    let mut r = Mat::from_fn(m, m, |i, j| s[i] * qt_dx_q[(i, j)] * s[j]);
    symmetrise(&mut r);
    let lmin = eigh(r.as_ref())?.0[0];
    Ok(if lmin >= 0.0 { f64::INFINITY } else { -1.0 / lmin })
}

fn inverse_spd(z: &Mat<f64>) -> crate::Result<Mat<f64>> {
    let (lam, q) = eigh(z.as_ref())?;
    let f: Vec<f64> = lam.iter().map(|l| 1.0 / l.max(f64::MIN_POSITIVE)).collect();
    Ok(crate::kernels::spectral::compose(q.as_ref(), &f))
}

fn sym(a: Mat<f64>) -> Mat<f64> {
    let mut a = a;
    symmetrise(&mut a);
    a
}

/// Solves `sdp` to the relative tolerance `tol` (gap, primal and dual infeasibility) in at most `max_iter`
/// iterations; returns the last iterate, converged or not (the caller certifies). Errors: non-finite iterates,
/// a singular Schur complement (dependent constraints).
pub fn solve(sdp: &Sdp, tol: f64, max_iter: usize) -> crate::Result<SdpPoint> {
    let n = sdp.n();
    let nb = sdp.blocks.len();
    let big_n: usize = sdp.blocks.iter().sum();
    let norm_b = crate::kernels::linalg::norm2(&sdp.b);
    let norm_c = fro(&sdp.c);
    // SDPT3's starting point: X = ξI, Z = ηI.
    let norm_a: Vec<f64> = (0..n)
        .map(|i| sdp.avec.iter().map(|a| (0..a.ncols()).map(|k| a[(i, k)].powi(2)).sum::<f64>()).sum::<f64>().sqrt())
        .collect();
    let mut xi = 10f64.max((big_n as f64).sqrt());
    let mut eta = xi.max(norm_c);
    for i in 0..n {
        xi = xi.max(big_n as f64 * (1.0 + sdp.b[i].abs()) / (1.0 + norm_a[i]));
        eta = eta.max(norm_a[i]);
    }
    let eye = |m: usize, s: f64| Mat::from_fn(m, m, |i, j| if i == j { s } else { 0.0 });
    let mut x: Vec<Mat<f64>> = sdp.blocks.iter().map(|&m| eye(m, xi)).collect();
    let mut z: Vec<Mat<f64>> = sdp.blocks.iter().map(|&m| eye(m, eta)).collect();
    let mut y = vec![0.0; n];
    let mut it = 0;
    let mut best: Option<SdpPoint> = None;
    let mut stalled = 0;
    let finish = |best: Option<SdpPoint>, it: usize| {
        let mut b = best.expect("the first iterate is always recorded");
        b.iterations = it;
        b
    };
    loop {
        let ax = sdp.op(&x);
        let rp: Vec<f64> = (0..n).map(|i| sdp.b[i] - ax[i]).collect();
        let aty = sdp.adj(&y);
        let rd: Vec<Mat<f64>> = (0..nb).map(|k| &sdp.c[k] - &aty[k] - &z[k]).collect();
        let pobj = dot(&sdp.c, &x);
        let dobj: f64 = sdp.b.iter().zip(&y).map(|(a, b)| a * b).sum();
        let xz = dot(&x, &z);
        let mu = xz / big_n as f64;
        let gap_rel = (pobj - dobj).abs().max(xz.abs()) / (1.0 + pobj.abs() + dobj.abs());
        let pinf = crate::kernels::linalg::norm2(&rp) / (1.0 + norm_b);
        let dinf = fro(&rd) / (1.0 + norm_c);
        if !(gap_rel.is_finite() && pinf.is_finite() && dinf.is_finite()) {
            return Err(crate::Error::Numerical("the SDP iterates became non-finite".into()));
        }
        let converged = gap_rel <= tol && pinf <= tol && dinf <= tol;
        let merit = gap_rel.max(pinf).max(dinf);
        if best
            .as_ref()
            .is_none_or(|b: &SdpPoint| merit < b.gap_rel.max(b.primal_infeasibility_rel).max(b.dual_infeasibility_rel))
        {
            best = Some(SdpPoint {
                x: x.clone(),
                y: y.clone(),
                z: z.clone(),
                iterations: it,
                gap_rel,
                primal_infeasibility_rel: pinf,
                dual_infeasibility_rel: dinf,
                converged,
            });
            stalled = 0;
        } else {
            stalled += 1;
        }
        // Converged, out of iterations, or five iterations without a better point (rounding has taken over):
        // the best point seen.
        if converged || it >= max_iter || stalled >= 5 {
            return Ok(finish(best, it));
        }
        it += 1;
        let zi: Vec<Mat<f64>> = z.iter().map(inverse_spd).collect::<crate::Result<_>>()?;
        // Schur complement M = Σ_b Avec_b · B_bᵀ, row j of B_b = vec(X_b A_{j,b} Z_b⁻¹).
        let mut schur = Mat::<f64>::zeros(n, n);
        for k in 0..nb {
            let m = sdp.blocks[k];
            let a = &sdp.avec[k];
            let mut bm = Mat::<f64>::zeros(n, m * m);
            for j in 0..n {
                let aj = Mat::from_fn(m, m, |r, c| a[(j, r * m + c)]);
                let t = &x[k] * &aj * &zi[k];
                for r in 0..m {
                    for c in 0..m {
                        bm[(j, r * m + c)] = t[(r, c)];
                    }
                }
            }
            schur += a * bm.transpose();
        }
        // Near the optimum M grows ill-conditioned (X and Z of complementary ranks): a shift of rounding size
        // first, then larger ones; if none factors, the current point is returned (the caller certifies it).
        let Some(llt) = crate::kernels::spectral::llt_shifted(sym(schur)) else {
            return Ok(finish(best, it));
        };
        // X R_d Z⁻¹ (its symmetric part is what 𝒜 sees).
        let xrz: Vec<Mat<f64>> = (0..nb).map(|k| &x[k] * &rd[k] * &zi[k]).collect();
        let a_xrz = sdp.op(&xrz);
        let direction = |sigma_mu: f64, second: Option<&[Mat<f64>]>| -> (Vec<f64>, Vec<Mat<f64>>, Vec<Mat<f64>>) {
            // G = σμZ⁻¹ − X − (ΔXₐΔZₐZ⁻¹); M Δy = r_p − 𝒜(G) + 𝒜(X R_d Z⁻¹).
            let g: Vec<Mat<f64>> = (0..nb)
                .map(|k| {
                    let mut g = &zi[k] * sigma_mu - &x[k];
                    if let Some(s) = second {
                        g -= &s[k];
                    }
                    g
                })
                .collect();
            let ag = sdp.op(&g);
            let rhs = Mat::from_fn(n, 1, |i, _| rp[i] - ag[i] + a_xrz[i]);
            let dy_m = llt.solve(&rhs);
            let dy: Vec<f64> = (0..n).map(|i| dy_m[(i, 0)]).collect();
            let ady = sdp.adj(&dy);
            let dz: Vec<Mat<f64>> = (0..nb).map(|k| &rd[k] - &ady[k]).collect();
            let dx: Vec<Mat<f64>> = (0..nb).map(|k| sym(&g[k] - &x[k] * &dz[k] * &zi[k])).collect();
            (dy, dx, dz)
        };
        let steps = |dx: &[Mat<f64>], dz: &[Mat<f64>]| -> crate::Result<(f64, f64)> {
            let mut ap = f64::INFINITY;
            let mut ad = f64::INFINITY;
            for k in 0..nb {
                ap = ap.min(max_step(&x[k], &dx[k])?);
                ad = ad.min(max_step(&z[k], &dz[k])?);
            }
            Ok((ap, ad))
        };
        // Predictor (σ = 0), then Mehrotra's σ = (μ_aff/μ)³ and the second-order corrector.
        let (_, dxa, dza) = direction(0.0, None);
        let (ap, ad) = steps(&dxa, &dza)?;
        let (ap, ad) = (ap.min(1.0), ad.min(1.0));
        let xa: Vec<Mat<f64>> = (0..nb).map(|k| &x[k] + &dxa[k] * ap).collect();
        let za: Vec<Mat<f64>> = (0..nb).map(|k| &z[k] + &dza[k] * ad).collect();
        let mu_aff = dot(&xa, &za) / big_n as f64;
        let sigma = (mu_aff / mu).clamp(0.0, 1.0).powi(3);
        let corr: Vec<Mat<f64>> = (0..nb).map(|k| &dxa[k] * &dza[k] * &zi[k]).collect();
        let (dy, dx, dz) = direction(sigma * mu, Some(&corr));
        let (ap, ad) = steps(&dx, &dz)?;
        let (ap, ad) = ((0.98 * ap).min(1.0), (0.98 * ad).min(1.0));
        for k in 0..nb {
            x[k] = sym(&x[k] + &dx[k] * ap);
            z[k] = sym(&z[k] + &dz[k] * ad);
        }
        y.iter_mut().zip(&dy).for_each(|(a, b)| *a += ad * b);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `min tr X s.t. X₁₁ = 1, X₂₂ = 2, X ⪰ 0` (2 × 2): optimum 3 at `X = diag(1, 2)`; and the max-cut-style
    /// `min ⟨C, X⟩ s.t. diag X = 1` with `C = [[0, 1], [1, 0]]`: optimum −2 at `X = [[1, −1], [−1, 1]]`.
    #[test]
    fn closed_form_sdps() {
        let mk = |c: [[f64; 2]; 2]| Mat::from_fn(2, 2, |i, j| c[i][j]);
        let avec = Mat::from_fn(2, 4, |i, k| if (i == 0 && k == 0) || (i == 1 && k == 3) { 1.0 } else { 0.0 });
        let s =
            Sdp { blocks: vec![2], avec: vec![avec.clone()], c: vec![mk([[1.0, 0.0], [0.0, 1.0]])], b: vec![1.0, 2.0] };
        let p = solve(&s, 1e-12, 100).unwrap();
        assert!(p.converged);
        assert!((p.x[0][(0, 0)] - 1.0).abs() < 1e-9 && (p.x[0][(1, 1)] - 2.0).abs() < 1e-9);
        assert!(p.x[0][(0, 1)].abs() < 1e-9);
        let s = Sdp { blocks: vec![2], avec: vec![avec], c: vec![mk([[0.0, 1.0], [1.0, 0.0]])], b: vec![1.0, 1.0] };
        let p = solve(&s, 1e-12, 100).unwrap();
        assert!(p.converged);
        assert!((p.x[0][(0, 1)] + 1.0).abs() < 1e-9, "{:?}", p.x[0]);
        assert!((p.y[0] + p.y[1] + 2.0).abs() < 1e-9);
    }
}
