//! Matrix sensing (SPEC §13): `n` measurements `yᵢ = ⟨Aᵢ, W*⟩ = tr(AᵢW*)` of a symmetric `m × m` matrix, with
//! symmetric `Aᵢ`. A sensing problem *is* a [`Problem`] whose row `i` is `vec(Aᵢ)` (row-major, `d = m²`): the risk
//! `R(W) = (1/n)Σ(⟨Aᵢ, W⟩ − yᵢ)²` is the least-squares datafit on `vec(W)`, and its gradient reshapes to
//! `∇R(W) = (2/n)Σ rᵢAᵢ`, symmetric. The CSV format is the regression one: `m²` columns of `vec(Aᵢ)`, then `yᵢ`.
//!
//! Generators (ChaCha8, seeded): Gaussian sensing (`Aᵢ = (Gᵢ + Gᵢᵀ)/2`, `G` iid N(0, 1)) of a rank-`r` target,
//! positive semidefinite or indefinite, and completion (indicator measurements `(eⱼeₖᵀ + eₖeⱼᵀ)/2` of distinct
//! entries `j ≤ k`); the preset `razin_cohen` is Razin & Cohen's (2020) 2 × 2 completion example.
//!
//! ```
//! use ibias::problem::matrix::{MatrixSpec, side};
//! let g = MatrixSpec::gaussian(6, 30, 2, true, 0).generate().unwrap();
//! assert_eq!(side(&g.problem).unwrap(), 6);
//! // y = 𝒜(W*) exactly: the planted matrix is an interpolator.
//! assert!(g.problem.risk(&g.w_star) < 1e-28);
//! ```

use super::Problem;
use crate::kernels::linalg::Dense;
use crate::{Error, Result};
use rand_chacha::ChaCha8Rng;
use rand_chacha::rand_core::SeedableRng;
use rand_distr::{Distribution, StandardNormal};
use serde::{Deserialize, Serialize};

/// The side `m` of the measured matrices: `d = m²`, else an error naming `data`.
pub fn side(p: &Problem) -> Result<usize> {
    side_of(p.d())
}

/// `m` with `m² = d`, else an error naming `data`.
pub fn side_of(d: usize) -> Result<usize> {
    let m = (d as f64).sqrt().round() as usize;
    if m * m != d || m == 0 {
        return Err(Error::param(
            "data",
            format!(
                "matrix sensing needs m·m columns of vec(Aᵢ) (row-major) before y, but there are d = {d}, not a square"
            ),
        ));
    }
    Ok(m)
}

/// The first measurement that is not symmetric to `1e-12·maxⱼₖ|Aᵢ|` per entry: `(i, j, k, Aᵢ[j][k], Aᵢ[k][j])`.
fn asymmetry(p: &Problem, m: usize) -> Option<(usize, usize, usize, f64, f64)> {
    let x = p.x();
    for i in 0..p.n() {
        let a = x.row(i);
        let scale = a.iter().fold(0.0f64, |s, v| s.max(v.abs()));
        for j in 0..m {
            for k in 0..j {
                if (a[j * m + k] - a[k * m + j]).abs() > 1e-12 * scale {
                    return Some((i, j, k, a[j * m + k], a[k * m + j]));
                }
            }
        }
    }
    None
}

/// Checks that every measurement `Aᵢ` is symmetric, to `1e-12·maxⱼₖ|Aᵢ|` per entry. The error names `name`, the
/// first measurement that is not (0-based; with `data_rows`, also its 1-based row of a data file) and the entry,
/// and says how to make it so.
pub fn check_symmetric(p: &Problem, m: usize, name: &str, data_rows: bool) -> Result<()> {
    match asymmetry(p, m) {
        None => Ok(()),
        Some((i, j, k, a, b)) => Err(Error::param(
            name,
            format!(
                "measurement {i} (0-based{}) is not symmetric: A[{j}][{k}] = {a} but A[{k}][{j}] = {b}; replace each Aᵢ \
                 by (Aᵢ + Aᵢᵀ)/2, which measures every symmetric W the same",
                if data_rows { format!("; data row {}", i + 1) } else { String::new() }
            ),
        )),
    }
}

/// A sensing problem from measurements given as arrays: `a` holds `n` rows of `m·m` entries (`vec(Aᵢ)`, row-major),
/// checked square and symmetric (errors name `name`).
pub fn sensing_problem(a: Dense, y: Vec<f64>, name: &str) -> Result<Problem> {
    let m = side_of(a.cols).map_err(|e| match e {
        Error::Param { message, .. } => Error::param(name, message),
        e => e,
    })?;
    let p = Problem::new(a, y)?;
    check_symmetric(&p, m, name, false)?;
    Ok(p)
}

/// The side of a sensing problem after checking its measurements are symmetric: what every matrix solver and
/// method calls first.
pub fn sensing(p: &Problem) -> Result<usize> {
    let m = side(p)?;
    check_symmetric(p, m, "data", true)?;
    Ok(m)
}

/// `vec(W)` (row-major) as `m` rows.
pub fn rows(w: &[f64], m: usize) -> Vec<Vec<f64>> {
    w.chunks(m).map(|r| r.to_vec()).collect()
}

/// What is measured.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Measurements {
    /// `Aᵢ = (Gᵢ + Gᵢᵀ)/2`, `G` iid N(0, 1).
    Gaussian,
    /// `Aᵢ = (eⱼeₖᵀ + eₖeⱼᵀ)/2` for distinct observed entries `j ≤ k` (so `yᵢ = W*ⱼₖ`).
    Completion,
    /// Diagonal `Aᵢ = diag(xᵢ)`, `x` iid N(0, 1): commuting measurements, the sheet's vector problem on the diagonal.
    Diagonal,
}

/// A recipe for a sensing problem.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MatrixSpec {
    /// Side `m`.
    pub m: usize,
    /// Measurements `n`.
    pub n: usize,
    /// Rank `r` of the target `W* = Σₖ sₖ uₖuₖᵀ` (`uₖ` orthonormal, `|sₖ| = 1`).
    pub rank: usize,
    /// `W* ⪰ 0` (all `sₖ = 1`), else signs alternate `+, −, +, …`.
    pub psd: bool,
    /// Gaussian, completion or diagonal measurements.
    pub measurements: Measurements,
    /// Seed of the ChaCha8 stream.
    pub seed: u64,
}

/// A generated sensing problem and its target.
#[derive(Debug, Clone)]
pub struct MatrixGenerated {
    /// Rows `vec(Aᵢ)`, labels `yᵢ = ⟨Aᵢ, W*⟩`.
    pub problem: Problem,
    /// `vec(W*)`, row-major.
    pub w_star: Vec<f64>,
}

/// The presets, with a line each.
pub const PRESETS: [(&str, &str); 4] = [
    ("sensing", "Gaussian sensing: m = 20, 150 measurements, a rank-2 PSD target"),
    ("sensing_indefinite", "Gaussian sensing: m = 20, 150 measurements, a rank-2 indefinite target (+1, −1)"),
    ("completion", "completion: m = 20, 120 observed entries of a rank-1 PSD target"),
    ("razin_cohen", "Razin & Cohen (2020): 2 × 2 completion, W₁₂ = 1 and W₂₂ = 0 observed, W₁₁ free"),
];

impl MatrixSpec {
    /// Gaussian sensing of a rank-`rank` target.
    pub fn gaussian(m: usize, n: usize, rank: usize, psd: bool, seed: u64) -> Self {
        MatrixSpec { m, n, rank, psd, measurements: Measurements::Gaussian, seed }
    }

    /// A preset by name ([`PRESETS`]; hyphens read as underscores).
    pub fn preset(name: &str, seed: u64) -> Result<Option<Self>> {
        Ok(match name.replace('-', "_").as_str() {
            "sensing" => Some(Self::gaussian(20, 150, 2, true, seed)),
            "sensing_indefinite" => Some(Self::gaussian(20, 150, 2, false, seed)),
            "completion" => {
                Some(MatrixSpec { m: 20, n: 120, rank: 1, psd: true, measurements: Measurements::Completion, seed })
            }
            "razin_cohen" => None,
            _ => {
                return Err(Error::param(
                    "preset",
                    format!(
                        "unknown matrix preset '{name}' (expected {})",
                        PRESETS.iter().map(|p| p.0).collect::<Vec<_>>().join(", ")
                    ),
                ));
            }
        })
    }

    /// Draws `W*` (its eigenvectors from a Gaussian matrix's QR), then the measurements, in that order.
    pub fn draw(&self) -> Result<(Dense, Vec<f64>, Vec<f64>)> {
        let (m, n, r) = (self.m, self.n, self.rank);
        if m == 0 || n == 0 {
            return Err(Error::param("m/n", format!("must be positive, got m = {m}, n = {n}")));
        }
        if r == 0 || r > m {
            return Err(Error::param("rank", format!("must lie in [1, m = {m}], got {r}")));
        }
        let entries = m * (m + 1) / 2;
        if self.measurements == Measurements::Completion && n > entries {
            return Err(Error::param(
                "n",
                format!("completion observes distinct entries j ≤ k: at most m(m+1)/2 = {entries}, got {n}"),
            ));
        }
        crate::io::require_memory(
            &format!("{n} measurements of {m} × {m}"),
            super::memory_estimate(n, m * m) + 8.0 * (n * m * m) as f64,
        )?;
        let mut rng = ChaCha8Rng::seed_from_u64(self.seed);
        let mut normal = || -> f64 { StandardNormal.sample(&mut rng) };
        // W* = Σ sₖ uₖuₖᵀ with orthonormal uₖ (Gram–Schmidt of Gaussian vectors).
        let mut basis: Vec<Vec<f64>> = Vec::with_capacity(r);
        while basis.len() < r {
            let mut v: Vec<f64> = (0..m).map(|_| normal()).collect();
            for b in &basis {
                let c: f64 = v.iter().zip(b).map(|(a, b)| a * b).sum();
                v.iter_mut().zip(b).for_each(|(a, b)| *a -= c * b);
            }
            let nv = v.iter().map(|a| a * a).sum::<f64>().sqrt();
            if nv > 1e-8 {
                basis.push(v.into_iter().map(|a| a / nv).collect());
            }
        }
        let mut w = vec![0.0; m * m];
        for (k, u) in basis.iter().enumerate() {
            let s = if self.psd || k % 2 == 0 { 1.0 } else { -1.0 };
            for i in 0..m {
                for j in 0..m {
                    w[i * m + j] += s * u[i] * u[j];
                }
            }
        }
        let mut x = Dense::zeros(n, m * m);
        match self.measurements {
            Measurements::Gaussian => {
                for i in 0..n {
                    let row = x.row_mut(i);
                    for j in 0..m {
                        for k in 0..=j {
                            let v = if j == k { normal() } else { normal() / 2f64.sqrt() };
                            row[j * m + k] = v;
                            row[k * m + j] = v;
                        }
                    }
                }
            }
            Measurements::Diagonal => {
                for i in 0..n {
                    let row = x.row_mut(i);
                    for j in 0..m {
                        row[j * m + j] = normal();
                    }
                }
            }
            Measurements::Completion => {
                // n distinct entries j ≤ k: the n smallest of iid normal keys over the upper triangle.
                let pairs: Vec<(usize, usize)> = (0..m).flat_map(|j| (j..m).map(move |k| (j, k))).collect();
                let keys: Vec<f64> = pairs.iter().map(|_| normal()).collect();
                let mut idx: Vec<usize> = (0..pairs.len()).collect();
                idx.sort_by(|&a, &b| keys[a].total_cmp(&keys[b]));
                let mut chosen: Vec<usize> = idx[..n].to_vec();
                chosen.sort_unstable();
                for (i, &c) in chosen.iter().enumerate() {
                    let (j, k) = pairs[c];
                    let row = x.row_mut(i);
                    if j == k {
                        row[j * m + j] = 1.0;
                    } else {
                        row[j * m + k] = 0.5;
                        row[k * m + j] = 0.5;
                    }
                }
            }
        }
        let y: Vec<f64> = (0..n).map(|i| x.row(i).iter().zip(&w).map(|(a, b)| a * b).sum()).collect();
        Ok((x, y, w))
    }

    /// Draws and builds the problem.
    pub fn generate(&self) -> Result<MatrixGenerated> {
        let (x, y, w_star) = self.draw()?;
        Ok(MatrixGenerated { problem: Problem::new(x, y)?, w_star })
    }
}

/// Razin & Cohen's (2020) completion example: `W₁₂ = W₂₁ = 1` and `W₂₂ = 0` observed, `W₁₁` free. Every
/// solution `[[w, 1], [1, 0]]` is indefinite with determinant −1; the minimum nuclear norm (2) is at `w = 0`,
/// while the rank-1 limit `|w| → ∞` lowers the effective rank as every norm grows. Returns `(X, y)`.
pub fn razin_cohen() -> (Dense, Vec<f64>) {
    let mut x = Dense::zeros(2, 4);
    x.row_mut(0).copy_from_slice(&[0.0, 0.5, 0.5, 0.0]);
    x.row_mut(1).copy_from_slice(&[0.0, 0.0, 0.0, 1.0]);
    (x, vec![1.0, 0.0])
}

/// The arrays of a matrix preset by name (`razin_cohen` has no target; the others return `W*`).
pub fn preset_arrays(name: &str, seed: u64) -> Result<(Dense, Vec<f64>, Option<Vec<f64>>)> {
    match MatrixSpec::preset(name, seed)? {
        Some(s) => s.draw().map(|(x, y, w)| (x, y, Some(w))),
        None => {
            let (x, y) = razin_cohen();
            Ok((x, y, None))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shapes_and_symmetry_are_checked_by_name() {
        assert!(side_of(7).unwrap_err().to_string().contains("not a square"));
        assert_eq!(side_of(9).unwrap(), 3);
        let mut x = Dense::zeros(2, 4);
        x.row_mut(0).copy_from_slice(&[1.0, 0.0, 0.0, 1.0]);
        x.row_mut(1).copy_from_slice(&[0.0, 1.0, 0.0, 0.0]);
        let p = Problem::new(x, vec![1.0, 2.0]).unwrap();
        let e = sensing(&p).unwrap_err().to_string();
        assert!(e.contains("measurement 1") && e.contains("not symmetric"), "{e}");
    }

    #[test]
    fn generators_measure_their_target_exactly() {
        for meas in [Measurements::Gaussian, Measurements::Completion, Measurements::Diagonal] {
            for psd in [true, false] {
                let s = MatrixSpec { m: 5, n: 12, rank: 2, psd, measurements: meas, seed: 3 };
                let g = s.generate().unwrap();
                assert_eq!(sensing(&g.problem).unwrap(), 5);
                assert!(g.problem.risk(&g.w_star) < 1e-28);
                // Same seed, same bits.
                assert_eq!(s.draw().unwrap().1, g.problem.y().to_vec());
            }
        }
        let (x, y) = razin_cohen();
        let p = Problem::new(x, y).unwrap();
        assert_eq!(sensing(&p).unwrap(), 2);
        assert_eq!(p.risk(&[7.0, 1.0, 1.0, 0.0]), 0.0);
        assert!(
            MatrixSpec { n: 16, measurements: Measurements::Completion, ..MatrixSpec::gaussian(5, 1, 1, true, 0) }
                .draw()
                .is_err()
        );
    }
}
