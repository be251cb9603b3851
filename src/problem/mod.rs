//! What is optimised: least-squares data `(X, y)` with the risk `R(w) = (1/n)‖Xw − y‖²`, its gradient
//! `∇R(w) = (2/n)Xᵀ(Xw − y)` and smoothness `L = 2‖X‖₂²/n` (SPEC §1); loaders ([`csv`]), seeded
//! generators ([`generate`]) and how a gradient is computed ([`plan`]).
//!
//! ```
//! use ibias::problem::{Problem, generate::GenSpec};
//! let p = GenSpec::ex2(0).generate().unwrap().problem; // 40 × 100, 5-sparse, noiseless
//! assert_eq!((p.n(), p.d(), p.rank()), (40, 100, 40));
//! let w = vec![0.0; p.d()];
//! assert!((p.risk(&w) - p.risk_at_zero()).abs() < 1e-15);
//! ```

pub mod csv;
pub mod generate;
pub mod matrix;
pub mod plan;

pub use plan::{GradPlan, Parallelism};

use crate::kernels::linalg::{self, Dense};
use crate::{Error, Result};
use serde::Serialize;
use std::sync::OnceLock;

/// Any preset by name at `seed`: the vector presets of [`generate::PRESETS`] and the matrix sensing ones of
/// [`matrix::PRESETS`] (whose `w*` is `vec(W*)`; Razin & Cohen's example has none and gives an empty `w*`).
pub fn preset(name: &str, seed: u64) -> Result<generate::Generated> {
    if matrix::PRESETS.iter().any(|p| p.0 == name.replace('-', "_")) {
        let (x, y, w) = matrix::preset_arrays(name, seed)?;
        return Ok(generate::Generated { problem: Problem::new(x, y)?, w_star: w.unwrap_or_default() });
    }
    generate::GenSpec::preset(name, seed)?.generate()
}

/// `(n, d)` of a preset, without drawing it.
pub fn preset_shape(name: &str) -> Result<(usize, usize)> {
    if matrix::PRESETS.iter().any(|p| p.0 == name.replace('-', "_")) {
        return Ok(match matrix::MatrixSpec::preset(name, 0)? {
            Some(s) => (s.n, s.m * s.m),
            None => (2, 4),
        });
    }
    let g = generate::GenSpec::preset(name, 0)?;
    Ok((g.n, g.d))
}

/// A least-squares problem. `X` is `n × d`, row-major; every entry is finite. The caches derived from
/// `(X, y)` (singular values, the column copy, the Gram matrix, the row-space basis) are private, so
/// they cannot go out of step with the data.
#[derive(Debug, Clone)]
pub struct Problem {
    x: Dense,
    y: Vec<f64>,
    /// Singular values of `X`, decreasing.
    sigma: Vec<f64>,
    /// `Xᵀ` stored row-major (the columns of `X`): `Xw = Σⱼ wⱼ·X[:, j]` runs as contiguous axpys.
    xt: Dense,
    /// For `4d ≤ n`: `XᵀX`, `Xᵀy`, `‖y‖²`, so an iteration costs `d²` instead of `n·d`.
    gram: Option<Gram>,
    /// `‖∇R(0)‖_∞ = (2/n)‖Xᵀy‖_∞`, the scale of the gradient stop rule.
    grad0_inf: f64,
    /// An orthonormal basis of `range(Xᵀ)` (rows), from one SVD computed on first use.
    row_basis: OnceLock<Dense>,
    /// `XXᵀ` (`n × n`), computed on first use.
    row_gram: OnceLock<Dense>,
    /// A hash of the shape and of every bit of `X` and `y`.
    hash: OnceLock<String>,
}

/// The Gram form of a problem with `4d ≤ n`.
#[derive(Debug, Clone)]
pub struct Gram {
    /// `XᵀX` (`d × d`).
    pub g: Dense,
    /// `Xᵀy`.
    pub b: Vec<f64>,
    /// `‖y‖²`.
    pub yy: f64,
}

/// A summary of a problem: shape, numerical rank and conditioning.
#[derive(Debug, Clone, Serialize)]
pub struct Description {
    /// Samples.
    pub n: usize,
    /// Features.
    pub d: usize,
    /// Numerical rank (singular values above `max(n, d)·ε·σ_max`).
    pub rank: usize,
    /// Largest singular value of `X`.
    pub sigma_max: f64,
    /// Smallest of the `min(n, d)` singular values of `X`.
    pub sigma_min: f64,
    /// `σ_max/σ_min` (∞ for a rank-deficient `X`).
    pub condition_number: f64,
    /// Smoothness constant `L = 2σ_max²/n`.
    pub smoothness_l: f64,
    /// `d > n` and `X` has full row rank: the interpolators form an affine space.
    pub overparametrised_full_row_rank: bool,
    /// `R(0) = ‖y‖²/n`.
    pub risk_at_zero: f64,
    /// Hash of the data (shape and every bit of `X` and `y`).
    pub data_hash: String,
}

/// Bytes a problem of this shape needs (X, its column copy, the SVD's copy and workspace, `y`), for the
/// memory check made before anything is allocated.
pub fn memory_estimate(n: usize, d: usize) -> f64 {
    let (n, d) = (n as f64, d as f64);
    8.0 * (3.0 * n * d + n.min(d) * n.min(d) + 4.0 * (n + d))
}

/// The scales of data ibias computes with (SPEC §6): `max|xᵢⱼ|` and `max|yᵢ|` (when not 0) in
/// `[1e-155, 1e155]`, and `max|y|/max|X|` in the same range. Beyond them the squares that risks, Gram matrices and
/// rank decisions are made of leave double precision (a 2 × 2 X near 1e-310 has singular values that round to 0,
/// so it would look like rank 0): such data is refused with what to do, never solved wrongly.
pub const SCALE_RANGE: (f64, f64) = (1e-155, 1e155);

fn check_scale(x: &[f64], y: &[f64]) -> Result<()> {
    let (lo, hi) = SCALE_RANGE;
    let xmax = linalg::norm_inf(x);
    let ymax = linalg::norm_inf(y);
    let fix = |what: &str, v: f64| {
        let k = v.log10().round();
        format!(
            "{what} is {v:.3e}, outside [{lo:e}, {hi:e}]: in double precision its squares (risks, Gram matrices, rank \
             decisions) over- or underflow, so results would be wrong; rescale the data first (for instance multiply \
             it by 1e{}: a minimum-norm interpolator of (cX, y) is w/c, of (X, cy) it is c·w)",
            -k
        )
    };
    if xmax > 0.0 && !(lo..=hi).contains(&xmax) {
        return Err(Error::Data(fix("the largest entry of X", xmax)));
    }
    if ymax > 0.0 && !(lo..=hi).contains(&ymax) {
        return Err(Error::Data(fix("the largest entry of y", ymax)));
    }
    if xmax > 0.0 && ymax > 0.0 && !(lo..=hi).contains(&(ymax / xmax)) {
        return Err(Error::Data(format!(
            "max|y|/max|X| = {:.3e} is outside [{lo:e}, {hi:e}]: the solutions w (of order y/X) would have squares \
             beyond double precision; rescale X or y",
            ymax / xmax
        )));
    }
    Ok(())
}

impl Problem {
    /// Builds a problem, checking shapes and finiteness (and the memory budget).
    pub fn new(x: Dense, y: Vec<f64>) -> Result<Self> {
        if x.rows == 0 || x.cols == 0 {
            return Err(Error::Data(format!("X must be non-empty, got {} × {}", x.rows, x.cols)));
        }
        if x.data.len() != x.rows * x.cols {
            return Err(Error::Data("X storage does not match its shape".into()));
        }
        if y.len() != x.rows {
            return Err(Error::Data(format!("y has length {} but X has {} rows", y.len(), x.rows)));
        }
        if let Some(k) = x.data.iter().position(|v| !v.is_finite()) {
            return Err(Error::Data(format!(
                "X has a non-finite entry at row {}, column {}",
                k / x.cols + 1,
                k % x.cols + 1
            )));
        }
        if let Some(i) = y.iter().position(|v| !v.is_finite()) {
            return Err(Error::Data(format!("y has a non-finite entry at row {}", i + 1)));
        }
        check_scale(&x.data, &y)?;
        crate::io::require_memory(&format!("a {} × {} problem", x.rows, x.cols), memory_estimate(x.rows, x.cols))?;
        let sigma = linalg::singular_values(&x)?;
        let xt = x.transpose();
        let (n, d) = (x.rows, x.cols);
        let gram = (4 * d <= n).then(|| {
            let g = Dense::from_fn(d, d, |a, b| linalg::dot(xt.row(a), xt.row(b)));
            let bv: Vec<f64> = (0..d).map(|j| linalg::dot(xt.row(j), &y)).collect();
            Gram { g, b: bv, yy: linalg::dot(&y, &y) }
        });
        let mut xty = vec![0.0; d];
        x.tmul_vec(&y, &mut xty);
        let grad0_inf = 2.0 * linalg::norm_inf(&xty) / n as f64;
        Ok(Problem {
            x,
            y,
            sigma,
            xt,
            gram,
            grad0_inf,
            row_basis: OnceLock::new(),
            row_gram: OnceLock::new(),
            hash: OnceLock::new(),
        })
    }

    /// The design matrix `X` (`n × d`, row-major).
    pub fn x(&self) -> &Dense {
        &self.x
    }

    /// The responses `y`.
    pub fn y(&self) -> &[f64] {
        &self.y
    }

    /// Singular values of `X`, decreasing.
    pub fn sigma(&self) -> &[f64] {
        &self.sigma
    }

    /// The columns of `X` as the rows of a matrix (`Xᵀ`, row-major).
    pub fn columns(&self) -> &Dense {
        &self.xt
    }

    /// The Gram form (`XᵀX`, `Xᵀy`, `‖y‖²`), kept for problems with `4d ≤ n`.
    pub fn gram(&self) -> Option<&Gram> {
        self.gram.as_ref()
    }

    /// Number of samples `n`.
    pub fn n(&self) -> usize {
        self.x.rows
    }

    /// Number of features `d`.
    pub fn d(&self) -> usize {
        self.x.cols
    }

    /// Smoothness `L = 2‖X‖₂²/n`.
    pub fn smoothness(&self) -> f64 {
        let s = self.sigma.first().copied().unwrap_or(0.0);
        2.0 * s * s / self.n() as f64
    }

    /// Numerical rank of `X`: singular values above `max(n, d)·ε·σ_max`.
    pub fn rank(&self) -> usize {
        let smax = self.sigma.first().copied().unwrap_or(0.0);
        let tol = self.n().max(self.d()) as f64 * f64::EPSILON * smax;
        self.sigma.iter().filter(|&&s| s > tol).count()
    }

    /// Residual `r = Xw − y` into `r`.
    pub fn residual_into(&self, w: &[f64], r: &mut [f64]) {
        self.xt.tmul_vec(w, r);
        for (ri, yi) in r.iter_mut().zip(&self.y) {
            *ri -= yi;
        }
    }

    /// Residual `Xw − y`.
    pub fn residual(&self, w: &[f64]) -> Vec<f64> {
        let mut r = vec![0.0; self.n()];
        self.residual_into(w, &mut r);
        r
    }

    /// Risk `R(w) = (1/n)‖Xw − y‖²`.
    pub fn risk(&self, w: &[f64]) -> f64 {
        let r = self.residual(w);
        linalg::dot(&r, &r) / self.n() as f64
    }

    /// `out = Xᵀv` on this thread.
    pub fn xt_mul(&self, v: &[f64], out: &mut [f64]) {
        self.x.tmul_vec(v, out);
    }

    /// Gradient `∇R(w)` and risk on this thread (`r` receives `Xw − y`).
    pub fn grad_into(&self, w: &[f64], r: &mut [f64], g: &mut [f64]) -> f64 {
        self.residual_into(w, r);
        self.x.tmul_vec(r, g);
        let s = 2.0 / self.n() as f64;
        g.iter_mut().for_each(|v| *v *= s);
        linalg::dot(r, r) / self.n() as f64
    }

    /// Gradient `∇R(w)`.
    pub fn grad(&self, w: &[f64]) -> Vec<f64> {
        let mut r = vec![0.0; self.n()];
        let mut g = vec![0.0; self.d()];
        self.grad_into(w, &mut r, &mut g);
        g
    }

    /// `R(0) = ‖y‖²/n`.
    pub fn risk_at_zero(&self) -> f64 {
        linalg::dot(&self.y, &self.y) / self.n() as f64
    }

    /// `‖∇R(0)‖_∞ = (2/n)‖Xᵀy‖_∞`.
    pub fn grad_zero_inf(&self) -> f64 {
        self.grad0_inf
    }

    /// A hash (16 hex digits, FNV-1a over the shape and the bit patterns of `X` and `y`): two problems
    /// with the same hash hold the same numbers. Sweeps record it in every row.
    pub fn data_hash(&self) -> &str {
        self.hash.get_or_init(|| {
            let mut h = Fnv::new();
            h.write_u64(self.n() as u64);
            h.write_u64(self.d() as u64);
            for v in self.x.data.iter().chain(&self.y) {
                h.write_u64(v.to_bits());
            }
            format!("{:016x}", h.finish())
        })
    }

    /// `min R = R(X⁺y)`, the least-squares risk (0 when an interpolator exists, up to rounding).
    pub fn least_squares_risk(&self) -> Result<f64> {
        let (w, _) = linalg::pinv_solve(&self.x, &self.y)?;
        Ok(self.risk(&w))
    }

    /// Whether `Xw = y` has a solution: always when `rank X = n`; otherwise when the least-squares
    /// residual is `≤ 1e-9·max(‖y‖, 1)`. Returns the residual norm `‖XX⁺y − y‖` as well.
    pub fn has_interpolator(&self) -> Result<(bool, f64)> {
        if self.rank() == self.n() {
            return Ok((true, 0.0));
        }
        let res = (self.least_squares_risk()? * self.n() as f64).sqrt();
        Ok((res <= 1e-9 * linalg::norm2(&self.y).max(1.0), res))
    }

    /// A summary of shape, rank and conditioning.
    pub fn describe(&self) -> Description {
        let rank = self.rank();
        let smax = self.sigma.first().copied().unwrap_or(0.0);
        let smin = self.sigma.last().copied().unwrap_or(0.0);
        Description {
            n: self.n(),
            d: self.d(),
            rank,
            sigma_max: smax,
            sigma_min: smin,
            condition_number: if rank == self.n().min(self.d()) && smin > 0.0 { smax / smin } else { f64::INFINITY },
            smoothness_l: self.smoothness(),
            overparametrised_full_row_rank: self.d() > self.n() && rank == self.n(),
            risk_at_zero: self.risk_at_zero(),
            data_hash: self.data_hash().to_string(),
        }
    }

    /// `XXᵀ` (`n × n`, the Gram matrix of the rows), computed on first use (`n²d/2` multiply-adds, two cores) and
    /// kept: a Newton matrix `X diag(h) Xᵀ` of the Bregman projections with a uniform metric `h` (the first one from
    /// `w₀ = 0` under a uniform potential, every one under the Euclidean potential) is `h·XXᵀ`.
    pub fn row_gram(&self) -> &Dense {
        self.row_gram.get_or_init(|| linalg::gram_two_cores(&self.x))
    }

    /// An orthonormal basis of the row space `range(Xᵀ)` (the first `rank` right singular vectors,
    /// as rows), computed by one SVD on first use and kept.
    pub fn row_basis(&self) -> Result<&Dense> {
        if let Some(b) = self.row_basis.get() {
            return Ok(b);
        }
        let svd = linalg::svd(&self.x)?;
        let k = self.rank();
        let basis = Dense::from_fn(k, self.d(), |c, j| svd.v.get(j, c));
        Ok(self.row_basis.get_or_init(|| basis))
    }

    /// The component of `w` outside `range(Xᵀ)`, relative to `‖w‖`: `‖(I − P)w‖/‖w‖` with `P` the
    /// orthogonal projector onto the row space ([`Problem::row_basis`]).
    pub fn outside_row_space(&self, w: &[f64]) -> Result<f64> {
        let basis = self.row_basis()?;
        let mut proj = vec![0.0; self.d()];
        for c in 0..basis.rows {
            let vc = basis.row(c);
            linalg::axpy(linalg::dot(vc, w), vc, &mut proj);
        }
        let nw = linalg::norm2(w);
        let off = linalg::dist2(w, &proj);
        Ok(if nw > 0.0 { off / nw } else { off })
    }
}

/// 64-bit FNV-1a: a small, stable hash (the same on every machine and Rust version).
pub(crate) struct Fnv(u64);

impl Fnv {
    pub(crate) fn new() -> Self {
        Fnv(0xcbf2_9ce4_8422_2325)
    }
    pub(crate) fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 ^= b as u64;
            self.0 = self.0.wrapping_mul(0x0100_0000_01b3);
        }
    }
    pub(crate) fn write_u64(&mut self, v: u64) {
        self.write(&v.to_le_bytes());
    }
    pub(crate) fn finish(&self) -> u64 {
        self.0
    }
}

/// The hash of a text (16 hex digits, FNV-1a), for specifications and parameters.
pub fn text_hash(s: &str) -> String {
    let mut h = Fnv::new();
    h.write(s.as_bytes());
    format!("{:016x}", h.finish())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hash_tells_data_apart_and_is_stable() {
        let a = Problem::new(Dense::from_fn(2, 3, |i, j| (i * 3 + j) as f64), vec![1.0, 2.0]).unwrap();
        let b = Problem::new(Dense::from_fn(2, 3, |i, j| (i * 3 + j) as f64), vec![1.0, 2.0 + 1e-15]).unwrap();
        let c = Problem::new(Dense::from_fn(3, 2, |i, j| (i * 2 + j) as f64), vec![1.0, 2.0, 0.0]).unwrap();
        assert_ne!(a.data_hash(), b.data_hash());
        assert_ne!(a.data_hash(), c.data_hash());
        assert_eq!(a.data_hash(), a.clone().data_hash());
        assert_eq!(text_hash("abc"), "e71fa2190541574b");
    }

    #[test]
    fn grad_zero_inf_is_the_gradient_at_zero() {
        let p = Problem::new(Dense::from_fn(3, 2, |i, j| (i as f64) - (j as f64) * 0.5), vec![1.0, -2.0, 0.5]).unwrap();
        let g = p.grad(&[0.0, 0.0]);
        assert!((linalg::norm_inf(&g) - p.grad_zero_inf()).abs() < 1e-15);
    }
}
