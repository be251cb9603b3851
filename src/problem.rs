//! Least-squares data `(X, y)`: risk `R(w) = (1/n)‖Xw − y‖²`, gradient `∇R(w) = (2/n)Xᵀ(Xw − y)`,
//! smoothness `L = 2‖X‖₂²/n` (SPEC §1).

use crate::linalg::{self, Dense};
use crate::{Error, Result};
use serde::Serialize;

/// A least-squares problem. `X` is `n × d`, row-major; every entry is finite.
#[derive(Debug, Clone)]
pub struct Problem {
    /// Design matrix `X` (`n × d`).
    pub x: Dense,
    /// Responses `y` (length `n`).
    pub y: Vec<f64>,
    /// Singular values of `X`, decreasing.
    pub sigma: Vec<f64>,
    /// `Xᵀ` stored row-major (the columns of `X`): `Xw = Σⱼ wⱼ·X[:, j]` runs as contiguous axpys,
    /// measured faster than row dot products (`ibias bench`, BENCHMARKS.md).
    xt: Dense,
    /// Where the rows are split for two cores (the helper thread of [`crate::par`]): each half
    /// forms its residual and its share of `Xᵀr` in one pass over its rows, with no barrier between.
    split: Option<usize>,
    /// For `4d ≤ n`: `G = XᵀX`, `b = Xᵀy`, `‖y‖²`, so an iteration costs `d²` instead of `n·d`.
    gram: Option<(Dense, Vec<f64>, f64)>,
    /// An orthonormal basis of `range(Xᵀ)` (rows), from one SVD computed on first use.
    row_basis: std::sync::OnceLock<Dense>,
}

/// `n·d` from which one gradient is split over two cores outside a thread pool: the helper's
/// hand-over costs 0.1–0.2 µs, against ~6 µs for the half of a gradient at this size (BENCHMARKS.md).
const SPLIT_WORK: usize = 50_000;
/// `n·d` from which a gradient is split inside a rayon worker too (there a split competes with the
/// sweep's other runs for the cores).
const PARALLEL_WORK: usize = 200_000;

thread_local! {
    /// The second half's share of `Xᵀv` in a split product or gradient (no allocation per call).
    static SCRATCH: std::cell::RefCell<Vec<f64>> = const { std::cell::RefCell::new(Vec::new()) };
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
    /// Smoothness constant `L = 2σ_max²/n`.
    pub smoothness: f64,
    /// `d > n` and `X` has full row rank: the interpolators form an affine space.
    pub overparametrised_full_row_rank: bool,
    /// `R(0) = ‖y‖²/n`.
    pub risk_at_zero: f64,
}

impl Problem {
    /// Builds a problem, checking shapes and finiteness.
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
        let sigma = linalg::singular_values(&x)?;
        let xt = x.transpose();
        let (n, d) = (x.rows, x.cols);
        let split = (n * d >= SPLIT_WORK && n >= 8 && rayon::current_num_threads() > 1).then_some(n / 2);
        let gram = (4 * d <= n).then(|| {
            let g = Dense::from_fn(d, d, |a, b| linalg::dot(xt.row(a), xt.row(b)));
            let bv: Vec<f64> = (0..d).map(|j| linalg::dot(xt.row(j), &y)).collect();
            (g, bv, linalg::dot(&y, &y))
        });
        Ok(Problem { x, y, sigma, xt, split, gram, row_basis: std::sync::OnceLock::new() })
    }

    /// The columns of `X` as the rows of a matrix (`Xᵀ`, row-major).
    pub fn columns(&self) -> &Dense {
        &self.xt
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

    /// The row split, for problems large enough to split `Xᵀv` and per-coordinate updates as well.
    fn split_large(&self) -> Option<usize> {
        self.split.filter(|_| self.n() * self.d() >= PARALLEL_WORK)
    }

    /// The row split for a gradient, when this call should use it: large problems always, smaller
    /// ones only outside a thread pool (see [`crate::par`]).
    fn split_here(&self) -> Option<usize> {
        self.split_large().or(self.split.filter(|_| rayon::current_thread_index().is_none()))
    }

    /// Whether per-coordinate work of a step on this problem is worth splitting over two cores.
    pub fn splits(&self) -> bool {
        self.split_large().is_some()
    }

    /// `out = Xᵀv` (length `d`), on two cores by halves of the rows for large problems.
    pub fn xt_mul(&self, v: &[f64], out: &mut [f64]) {
        if let Some(n0) = self.split_large() {
            let d = self.d();
            let (va, vb) = v.split_at(n0);
            let (da, db) = self.x.data.split_at(n0 * d);
            SCRATCH.with_borrow_mut(|ob| {
                ob.resize(d, 0.0);
                crate::par::join(|| linalg::tmul_rows(da, d, va, out), || linalg::tmul_rows(db, d, vb, ob));
                for (o, b) in out.iter_mut().zip(ob.iter()) {
                    *o += b;
                }
            });
            return;
        }
        self.x.tmul_vec(v, out);
    }

    /// Gradient `∇R(w) = (2/n)Xᵀ(Xw − y)` into `g`, using the scratch `r` (length `n`);
    /// returns the risk at `w`.
    pub fn grad_into(&self, w: &[f64], r: &mut [f64], g: &mut [f64]) -> f64 {
        if let Some(n0) = self.split_here() {
            // Each half of the rows: its residual and its share of Xᵀr in one pass; one join, one sum.
            let d = self.d();
            let (ra, rb) = r.split_at_mut(n0);
            let (ya, yb) = self.y.split_at(n0);
            let (da, db) = self.x.data.split_at(n0 * d);
            let s = 2.0 / self.n() as f64;
            let risk = SCRATCH.with_borrow_mut(|gb| {
                gb.resize(d, 0.0);
                let (sa, sb) = crate::par::join(
                    || linalg::residual_tmul_rows(da, d, w, ya, ra, g),
                    || linalg::residual_tmul_rows(db, d, w, yb, rb, gb),
                );
                for (gi, bi) in g.iter_mut().zip(gb.iter()) {
                    *gi = s * (*gi + bi);
                }
                sa + sb
            });
            return risk / self.n() as f64;
        }
        self.residual_into(w, r);
        self.x.tmul_vec(r, g);
        let s = 2.0 / self.n() as f64;
        g.iter_mut().for_each(|v| *v *= s);
        linalg::dot(r, r) / self.n() as f64
    }

    /// Gradient into `g` and risk, by the cheapest exact route: for `4d ≤ n` from the Gram matrix,
    /// `∇R = (2/n)(Gw − b)` and `R = (‖y‖² − 2bᵀw + wᵀGw)/n` (then `r` is not filled; when that risk
    /// falls below `1e-8·R(0)`, where its cancellation would matter, it is recomputed from the residual);
    /// otherwise [`Problem::grad_into`].
    pub fn grad_step(&self, w: &[f64], r: &mut [f64], g: &mut [f64]) -> f64 {
        let Some((gm, b, yy)) = &self.gram else {
            return self.grad_into(w, r, g);
        };
        let nf = self.n() as f64;
        gm.mul_vec(w, g);
        let quad = linalg::dot(w, g);
        let bw = linalg::dot(b, w);
        for (gi, bi) in g.iter_mut().zip(b) {
            *gi = 2.0 / nf * (*gi - bi);
        }
        let risk = (yy - 2.0 * bw + quad) / nf;
        if risk < 1e-8 * yy / nf || !risk.is_finite() {
            self.residual_into(w, r);
            return linalg::dot(r, r) / nf;
        }
        risk
    }

    /// `‖X v‖²`, from the Gram matrix when there is one (`scratch` has length `n`).
    pub fn x_norm2(&self, v: &[f64], scratch: &mut [f64]) -> f64 {
        if let Some((gm, _, _)) = &self.gram {
            // 4d ≤ n, so the first d entries of the scratch hold Gv.
            let gv = &mut scratch[..v.len()];
            gm.mul_vec(v, gv);
            return linalg::dot(v, gv).max(0.0);
        }
        self.x.mul_vec(v, scratch);
        linalg::dot(scratch, scratch)
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

    /// A summary of shape, rank and conditioning.
    pub fn describe(&self) -> Description {
        let rank = self.rank();
        Description {
            n: self.n(),
            d: self.d(),
            rank,
            sigma_max: self.sigma.first().copied().unwrap_or(0.0),
            sigma_min: self.sigma.last().copied().unwrap_or(0.0),
            smoothness: self.smoothness(),
            overparametrised_full_row_rank: self.d() > self.n() && rank == self.n(),
            risk_at_zero: self.risk_at_zero(),
        }
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
