//! Small dense symmetric matrices (row-major `m × m` slices): products, the eigendecomposition (faer's
//! self-adjoint solver) and spectral functions `f(A) = Q f(Λ) Qᵀ` — what the matrix methods and the
//! semidefinite solver are built from (SPEC §13).

use faer::{Mat, MatRef, Side};

/// `A` as a faer matrix (row-major slice of `m × m`).
pub fn mat(a: &[f64], m: usize) -> Mat<f64> {
    Mat::from_fn(m, m, |i, j| a[i * m + j])
}

/// A faer matrix as a row-major vector.
pub fn to_vec(a: MatRef<'_, f64>) -> Vec<f64> {
    let (r, c) = (a.nrows(), a.ncols());
    let mut v = Vec::with_capacity(r * c);
    for i in 0..r {
        for j in 0..c {
            v.push(a[(i, j)]);
        }
    }
    v
}

/// `out = A·B` for a row-major `m × m` `A` and `m × c` `B`, `C` (faer's small-matrix kernels, one thread).
pub fn mul_rect(a: &[f64], b: &[f64], out: &mut [f64], m: usize, c: usize) {
    let (a, b) = (MatRef::from_row_major_slice(a, m, m), MatRef::from_row_major_slice(b, m, c));
    let out = faer::MatMut::from_row_major_slice_mut(out, m, c);
    faer::linalg::matmul::matmul(out, faer::Accum::Replace, a, b, 1.0, faer::Par::Seq);
}

/// `out = A Dᵀ` for row-major `m × c` `A` and `D` whose product is known to be symmetric (faer's kernels, then the
/// lower half mirrored, so the result is exactly symmetric).
pub fn sym_product(a: &[f64], d: &[f64], out: &mut [f64], m: usize, c: usize) {
    let (a, d) = (MatRef::from_row_major_slice(a, m, c), MatRef::from_row_major_slice(d, m, c));
    {
        let o = faer::MatMut::from_row_major_slice_mut(out, m, m);
        faer::linalg::matmul::matmul(o, faer::Accum::Replace, a, d.transpose(), 1.0, faer::Par::Seq);
    }
    // Exactly symmetric: the lower half mirrored (the two halves agree to rounding).
    for i in 0..m {
        for j in 0..i {
            out[j * m + i] = out[i * m + j];
        }
    }
}

/// `(A + Aᵀ)/2` in place.
pub fn symmetrise(a: &mut Mat<f64>) {
    let m = a.nrows();
    for i in 0..m {
        for j in 0..i {
            let s = 0.5 * (a[(i, j)] + a[(j, i)]);
            a[(i, j)] = s;
            a[(j, i)] = s;
        }
    }
}

/// The eigendecomposition `A = Q diag(λ) Qᵀ` of a symmetric matrix (its lower half is read): eigenvalues
/// ascending, eigenvectors in the columns of `Q`. Errors when the solver does not converge (non-finite input).
pub fn eigh(a: MatRef<'_, f64>) -> crate::Result<(Vec<f64>, Mat<f64>)> {
    let e =
        a.self_adjoint_eigen(Side::Lower).map_err(|e| crate::Error::Numerical(format!("eigendecomposition: {e:?}")))?;
    let s = e.S().column_vector();
    let lam: Vec<f64> = (0..a.nrows()).map(|i| s[i]).collect();
    if lam.iter().any(|v| !v.is_finite()) {
        return Err(crate::Error::Numerical("eigendecomposition: non-finite eigenvalue".into()));
    }
    Ok((lam, e.U().to_owned()))
}

/// The eigenvalues of a symmetric matrix, ascending.
pub fn eigvalsh(a: MatRef<'_, f64>) -> crate::Result<Vec<f64>> {
    Ok(eigh(a)?.0)
}

/// The eigenvalues of the symmetric `vec(W)` (row-major, side `m`), decreasing.
pub fn eigenvalues_desc(w: &[f64], m: usize) -> crate::Result<Vec<f64>> {
    let mut lam = eigvalsh(mat(w, m).as_ref())?;
    lam.reverse();
    Ok(lam)
}

/// The Cholesky factor of a symmetric positive semi-definite `h`; where it is singular to rounding, of `h` plus
/// growing diagonal shifts (`1e-14`, `1e-12`, `1e-10` of its largest diagonal entry, cumulated). `None` if none
/// factors (interior-point Schur complements and Newton Hessians near their optimum).
pub fn llt_shifted(mut h: Mat<f64>) -> Option<faer::linalg::solvers::Llt<f64>> {
    let k = h.nrows();
    let dmax = (0..k).fold(0.0f64, |s, i| s.max(h[(i, i)]));
    let mut llt = h.llt(Side::Lower).ok();
    for shift in [1e-14, 1e-12, 1e-10] {
        if llt.is_some() {
            break;
        }
        for i in 0..k {
            h[(i, i)] += shift * dmax;
        }
        llt = h.llt(Side::Lower).ok();
    }
    llt
}

/// `Q diag(f(λ)) Qᵀ`.
pub fn compose(q: MatRef<'_, f64>, f: &[f64]) -> Mat<f64> {
    let m = q.nrows();
    let qf = Mat::from_fn(m, m, |i, j| q[(i, j)] * f[j]);
    let mut out = &qf * q.transpose();
    symmetrise(&mut out);
    out
}

/// `f(A) = Q f(Λ) Qᵀ` for a symmetric `A`, with `f` applied to each eigenvalue.
pub fn apply(a: MatRef<'_, f64>, f: impl Fn(f64) -> f64) -> crate::Result<Mat<f64>> {
    let (lam, q) = eigh(a)?;
    let fl: Vec<f64> = lam.iter().map(|&l| f(l)).collect();
    Ok(compose(q.as_ref(), &fl))
}

/// The Frobenius inner product `⟨A, B⟩ = Σᵢⱼ AᵢⱼBᵢⱼ`.
pub fn inner(a: MatRef<'_, f64>, b: MatRef<'_, f64>) -> f64 {
    let mut s = 0.0;
    for j in 0..a.ncols() {
        for i in 0..a.nrows() {
            s += a[(i, j)] * b[(i, j)];
        }
    }
    s
}

/// The spectrum's summaries of a symmetric matrix: `‖A‖_*`, `‖A‖_F`, `‖A‖₂` and the effective rank
/// `exp(−Σ pₖ ln pₖ)`, `pₖ = σₖ/Σσ` (Roy & Vetterli 2007), from its eigenvalues.
pub fn summaries(eigenvalues: &[f64]) -> (f64, f64, f64, f64) {
    let nuc: f64 = eigenvalues.iter().map(|l| l.abs()).sum();
    let fro = eigenvalues.iter().map(|l| l * l).sum::<f64>().sqrt();
    let op = eigenvalues.iter().fold(0.0f64, |a, l| a.max(l.abs()));
    let erank = if nuc > 0.0 {
        let h: f64 = eigenvalues.iter().map(|l| l.abs() / nuc).filter(|&p| p > 0.0).map(|p| -p * p.ln()).sum();
        h.exp()
    } else {
        0.0
    };
    (nuc, fro, op, erank)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn eigh_reconstructs_and_apply_matches_closed_forms() {
        let m = 5;
        let a = Mat::from_fn(m, m, |i, j| ((i + 1) * (j + 1)) as f64 / 7.0 + if i == j { i as f64 } else { 0.0 });
        let (lam, q) = eigh(a.as_ref()).unwrap();
        assert!(lam.windows(2).all(|w| w[0] <= w[1]));
        let back = compose(q.as_ref(), &lam);
        let err = (0..m).flat_map(|i| (0..m).map(move |j| (i, j))).map(|(i, j)| (back[(i, j)] - a[(i, j)]).abs());
        assert!(err.fold(0.0, f64::max) < 1e-13);
        // A² through apply equals the product.
        let sq = apply(a.as_ref(), |l| l * l).unwrap();
        let prod = &a * &a;
        assert!(
            (0..m).all(|i| (0..m).all(|j| (sq[(i, j)] - prod[(i, j)]).abs() < 1e-12 * prod[(i, j)].abs().max(1.0)))
        );
        // The row-major kernels against faer.
        let av = to_vec(a.as_ref());
        let mut out = vec![0.0; m * m];
        mul_rect(&av, &av, &mut out, m, m);
        assert!(
            (0..m * m).all(|k| (out[k] - prod[(k / m, k % m)]).abs() < 1e-12 * prod[(k / m, k % m)].abs().max(1.0))
        );
        sym_product(&av, &av, &mut out, m, m);
        let aat = &a * a.transpose();
        assert!((0..m * m).all(|k| (out[k] - aat[(k / m, k % m)]).abs() < 1e-12 * aat[(k / m, k % m)].abs().max(1.0)));
        assert_eq!(eigenvalues_desc(&av, m).unwrap(), lam.iter().rev().copied().collect::<Vec<_>>());
        // Summaries of diag(3, −4): nuclear 7, Frobenius 5, operator 4.
        let (nuc, fro, op, er) = summaries(&[3.0, -4.0]);
        assert_eq!((nuc, fro, op), (7.0, 5.0, 4.0));
        let p: [f64; 2] = [3.0 / 7.0, 4.0 / 7.0];
        assert!((er - (-p[0] * p[0].ln() - p[1] * p[1].ln()).exp()).abs() < 1e-15);
    }
}
