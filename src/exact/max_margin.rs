//! Maximum-margin classifiers (SPEC §11), each with a certificate: for a norm `‖·‖` and labels `yᵢ ∈ {−1, +1}`,
//!
//! `min ‖w‖ s.t. yᵢ⟨xᵢ, w⟩ ≥ 1`  (primal)      `max 1ᵀλ s.t. λ ≥ 0, ‖Σλᵢyᵢxᵢ‖_* ≤ 1`  (dual),
//!
//! whose common value `P* = 1/γ*` gives the maximum margin `γ* = max_{‖w‖≤1} minᵢ yᵢ⟨xᵢ, w⟩`. Solved first by a
//! fast path — the dual active set on the Gram matrix for `ℓ2`, ibias' interior point on the `n × n` normal
//! equations for the `ℓ1` and `ℓ∞` LPs — and otherwise by clarabel — a QP for `ℓ2` (hard-margin SVM), LPs for `ℓ1`
//! and `ℓ∞`, power cones for `ℓp`, `1 < p < ∞` — and then certified by ibias itself, not by the solver's status: the primal point is scaled to exact feasibility (`minᵢ mᵢ = 1`),
//! giving `P ≥ P*`; the multipliers are clipped to `λ ≥ 0` and scaled to `‖Σλᵢyᵢxᵢ‖_* = 1`, giving `D = 1ᵀλ ≤ P*`.
//! The relative gap `(P − D)/P` bounds the suboptimality of the returned direction's margin; above `1e-8` the
//! solver re-solves with tighter settings, and fails rather than return an uncertified answer.
//!
//! Separability (Gordan's alternative): either some `w` has `yᵢ⟨xᵢ, w⟩ > 0` for all `i`, or a convex combination
//! `Σλᵢyᵢxᵢ = 0` (`λ ≥ 0`, `1ᵀλ = 1`) exists. [`separability`] returns the certificate either way.
//!
//! ```
//! use ibias::exact::max_margin::{MarginNorm, max_margin};
//! use ibias::kernels::linalg::Dense;
//! use ibias::problem::Problem;
//! let x = Dense::from_fn(3, 2, |i, j| [[2.0, 1.0], [-2.0, 1.0], [1.0, -3.0]][i][j]);
//! let p = Problem::new(x, vec![1.0, -1.0, 1.0]).unwrap();
//! let m = max_margin(&p, MarginNorm::L2).unwrap();
//! assert!(m.certificate.duality_gap_rel <= 1e-8);
//! assert!((m.norm_of_w - 1.0).abs() < 1e-12); // a unit direction in the chosen norm
//! ```

use super::lp_ipm;
use crate::datafit::separable_labels;
use crate::kernels::linalg;
use crate::problem::Problem;
use crate::{Error, Result};
use clarabel::algebra::CscMatrix;
use clarabel::solver::{
    DefaultSettings, DefaultSettingsBuilder, DefaultSolver, IPSolver, NonnegativeConeT, PowerConeT, SolverStatus,
    SupportedConeT, ZeroConeT,
};
use serde::{Deserialize, Serialize};
use std::time::Instant;

/// Relative duality gap a max-margin solution must reach to be returned.
pub const GAP_TOL: f64 = 1e-8;

/// The norm of a max-margin problem.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MarginNorm {
    /// `‖w‖₁` (an LP; the limit of coordinate descent, of mirror descent with the hyperbolic entropy, of deep
    /// diagonal networks).
    L1,
    /// `‖w‖₂` (a QP: the hard-margin SVM; the limit of GD).
    L2,
    /// `‖w‖_∞` (an LP; the limit of sign gradient descent).
    Linf,
    /// `‖w‖_p`, `1 < p < ∞` (power cones).
    Lp(f64),
}

impl MarginNorm {
    /// From a name (`l1`, `l2`, `linf`, `lp`) and, for `lp`, the exponent `p` (errors name `norm` and `p`).
    pub fn parse(name: &str, p: Option<f64>) -> Result<Self> {
        let n = match name.trim() {
            "l1" => MarginNorm::L1,
            "l2" => MarginNorm::L2,
            "linf" => MarginNorm::Linf,
            "lp" => {
                let p = p.ok_or_else(|| Error::param("p", "the lp norm needs its exponent p ∈ (1, ∞)"))?;
                if !(p.is_finite() && p > 1.0) {
                    return Err(Error::param("p", format!("p must be finite and > 1, got {}", crate::error::num(p))));
                }
                MarginNorm::Lp(p)
            }
            other => return Err(Error::param("norm", format!("unknown norm '{other}' (l1, l2, linf or lp)"))),
        };
        if p.is_some() && !matches!(n, MarginNorm::Lp(_)) {
            return Err(Error::param("p", "an exponent p is for the lp norm"));
        }
        Ok(n)
    }

    /// The name (`l1`, `l2`, `linf`, `lp`).
    pub fn name(&self) -> &'static str {
        match self {
            MarginNorm::L1 => "l1",
            MarginNorm::L2 => "l2",
            MarginNorm::Linf => "linf",
            MarginNorm::Lp(_) => "lp",
        }
    }

    /// `‖v‖` in this norm.
    pub fn norm(&self, v: &[f64]) -> f64 {
        match self {
            MarginNorm::L1 => linalg::norm1(v),
            MarginNorm::L2 => linalg::norm2(v),
            MarginNorm::Linf => linalg::norm_inf(v),
            MarginNorm::Lp(p) => lp_norm(v, *p),
        }
    }

    /// `‖v‖_*`, the dual norm.
    pub fn dual_norm(&self, v: &[f64]) -> f64 {
        match self {
            MarginNorm::L1 => linalg::norm_inf(v),
            MarginNorm::L2 => linalg::norm2(v),
            MarginNorm::Linf => linalg::norm1(v),
            MarginNorm::Lp(p) => lp_norm(v, p / (p - 1.0)),
        }
    }

    /// Whether the norm is strictly convex (then the max-margin direction is unique).
    pub fn strictly_convex(&self) -> bool {
        matches!(self, MarginNorm::L2 | MarginNorm::Lp(_))
    }
}

/// `‖v‖_p`, scaled by `‖v‖_∞` against overflow.
pub fn lp_norm(v: &[f64], p: f64) -> f64 {
    let m = linalg::norm_inf(v);
    if m == 0.0 {
        return 0.0;
    }
    m * v.iter().map(|x| (x.abs() / m).powf(p)).sum::<f64>().powf(1.0 / p)
}

/// What certifies a max-margin solution.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct MarginCertificate {
    /// `P = ‖w‖` of the primal point scaled to `minᵢ yᵢ⟨xᵢ, w⟩ = 1` (an upper bound of `1/γ*`).
    pub primal_norm: f64,
    /// `D = 1ᵀλ` of the dual point scaled to `‖Σλᵢyᵢxᵢ‖_* = 1` (a lower bound of `1/γ*`).
    pub dual_value: f64,
    /// `P − D` (absolute).
    pub duality_gap_abs: f64,
    /// `(P − D)/P` (relative): the returned margin is within this fraction of the maximum.
    pub duality_gap_rel: f64,
    /// `1/D`: no direction of unit norm has a larger margin.
    pub margin_upper_bound: f64,
    /// `‖Σλᵢyᵢxᵢ‖_*` before scaling (1 at an exact dual optimum).
    pub dual_norm_before_scaling: f64,
    /// Interior-point iterations.
    pub iterations: usize,
}

/// A maximum-margin classifier.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct MaxMargin {
    /// The solver.
    pub method: String,
    /// The norm (`l1`, `l2`, `linf`, `lp`).
    pub norm: String,
    /// `p` of the `ℓp` norm (`None` for the others).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub p: Option<f64>,
    /// The direction `ŵ`, of unit norm.
    pub w: Vec<f64>,
    /// `‖ŵ‖` in the chosen norm (1 up to rounding).
    pub norm_of_w: f64,
    /// `γ = minᵢ yᵢ⟨xᵢ, ŵ⟩`, the margin of `ŵ` (absolute, in the data's units).
    pub margin: f64,
    /// Support vectors: rows with `λᵢ > 1e-8·maxⱼ λⱼ` (0-based).
    pub support_vectors: Vec<usize>,
    /// The dual multipliers `λ ≥ 0` (scaled: `‖Σλᵢyᵢxᵢ‖_* = 1`, `1ᵀλ = D`).
    pub dual: Vec<f64>,
    /// `true`: the direction is the only one (strictly convex norm); `None`: not decided (`ℓ1`, `ℓ∞`).
    pub unique: Option<bool>,
    /// The certificate.
    pub certificate: MarginCertificate,
    /// Wall-clock seconds.
    pub wall_seconds: f64,
}

/// Whether the data is linearly separable through the origin, with the certificate either way.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Separability {
    /// Whether some `w` has `yᵢ⟨xᵢ, w⟩ > 0` for every row.
    pub separable: bool,
    /// Separable: a `w` with `minᵢ yᵢ⟨xᵢ, w⟩ = 1` (checked).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub witness_w: Option<Vec<f64>>,
    /// Not separable: `λ ≥ 0`, `1ᵀλ = 1`, with `‖Σλᵢyᵢxᵢ‖_∞` below (checked).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub witness_lambda: Option<Vec<f64>>,
    /// Not separable: `‖Σλᵢyᵢxᵢ‖_∞ / maxᵢ‖xᵢ‖_∞` (relative; ≤ 1e-9 to count).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub combination_residual_rel: Option<f64>,
    /// Rows in the support of `λ` (not separable), 0-based.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub conflicting_rows: Option<Vec<usize>>,
}

/// A conic program in clarabel's form `min ½xᵀPx + qᵀx`, `Ax + s = b`, `s ∈ K`, built column by column.
struct Program {
    cols: Vec<Vec<(usize, f64)>>,
    rows: usize,
    b: Vec<f64>,
    q: Vec<f64>,
    p_diag: Option<Vec<f64>>,
    cones: Vec<SupportedConeT<f64>>,
}

impl Program {
    fn solve(&self, settings: DefaultSettings<f64>) -> Result<(SolverStatus, Vec<f64>, Vec<f64>, usize)> {
        let m = self.cols.len();
        let mut colptr = vec![0];
        let (mut rowval, mut nzval) = (Vec::new(), Vec::new());
        for c in &self.cols {
            let mut c = c.clone();
            c.sort_by_key(|e| e.0);
            for (r, v) in c {
                if v != 0.0 {
                    rowval.push(r);
                    nzval.push(v);
                }
            }
            colptr.push(rowval.len());
        }
        let a = CscMatrix::new(self.rows, m, colptr, rowval, nzval);
        let pm = match &self.p_diag {
            Some(d) => {
                let idx: Vec<usize> = (0..m).filter(|&j| d[j] != 0.0).collect();
                let mut cp = vec![0];
                let (mut rv, mut nz) = (Vec::new(), Vec::new());
                for j in 0..m {
                    if d[j] != 0.0 {
                        rv.push(j);
                        nz.push(d[j]);
                    }
                    cp.push(rv.len());
                }
                let _ = idx;
                CscMatrix::new(m, m, cp, rv, nz)
            }
            None => CscMatrix::<f64>::zeros((m, m)),
        };
        let mut solver = DefaultSolver::new(&pm, &self.q, &a, &self.b, &self.cones, settings)
            .map_err(|e| Error::Numerical(format!("clarabel setup failed: {e:?}")))?;
        solver.solve();
        crate::control::check()?;
        let s = &solver.solution;
        Ok((s.status, s.x.clone(), s.z.clone(), s.iterations as usize))
    }
}

fn settings(strict: bool) -> Result<DefaultSettings<f64>> {
    let tol = if strict { 1e-13 } else { 1e-11 };
    DefaultSettingsBuilder::default()
        .verbose(false)
        .tol_gap_abs(tol)
        .tol_gap_rel(tol)
        .tol_feas(tol)
        .max_iter(if strict { 800 } else { 300 })
        .build()
        .map_err(|e| Error::Numerical(format!("clarabel settings: {e:?}")))
}

/// The margin rows `−yᵢxᵢᵀw + sᵢ = −1`, `s ≥ 0`, for the `w` columns `0..d` (scaled rows: `xᵢ/cᵢ`, `cᵢ = ‖xᵢ‖_∞`,
/// keep the program well scaled; the multipliers are unscaled after solving).
fn margin_rows(p: &Problem, scale: &[f64], cols: &mut [Vec<(usize, f64)>]) {
    for i in 0..p.n() {
        let (row, yi) = (p.x().row(i), p.y()[i]);
        for j in 0..p.d() {
            if row[j] != 0.0 {
                cols[j].push((i, -yi * row[j] / scale[i]));
            }
        }
    }
}

/// The program of `norm` (variables: `w` first).
fn program(p: &Problem, norm: MarginNorm, scale: &[f64]) -> Program {
    let (n, d) = (p.n(), p.d());
    let b_margin: Vec<f64> = scale.iter().map(|c| -1.0 / c).collect();
    match norm {
        MarginNorm::L2 => {
            let mut cols = vec![Vec::new(); d];
            margin_rows(p, scale, &mut cols);
            Program {
                cols,
                rows: n,
                b: b_margin,
                q: vec![0.0; d],
                p_diag: Some(vec![1.0; d]),
                cones: vec![NonnegativeConeT(n)],
            }
        }
        MarginNorm::L1 => {
            // Variables w (d), a (d) with |wⱼ| ≤ aⱼ: rows wⱼ − aⱼ ≤ 0, −wⱼ − aⱼ ≤ 0; minimise 1ᵀa.
            let mut cols = vec![Vec::new(); 2 * d];
            margin_rows(p, scale, &mut cols);
            for j in 0..d {
                cols[j].push((n + j, 1.0));
                cols[j].push((n + d + j, -1.0));
                cols[d + j].push((n + j, -1.0));
                cols[d + j].push((n + d + j, -1.0));
            }
            let mut b = b_margin;
            b.extend(std::iter::repeat_n(0.0, 2 * d));
            let mut q = vec![0.0; d];
            q.extend(std::iter::repeat_n(1.0, d));
            Program { cols, rows: n + 2 * d, b, q, p_diag: None, cones: vec![NonnegativeConeT(n + 2 * d)] }
        }
        MarginNorm::Linf => {
            // Variables w (d), t: rows wⱼ − t ≤ 0, −wⱼ − t ≤ 0; minimise t.
            let mut cols = vec![Vec::new(); d + 1];
            margin_rows(p, scale, &mut cols);
            for j in 0..d {
                cols[j].push((n + j, 1.0));
                cols[j].push((n + d + j, -1.0));
                cols[d].push((n + j, -1.0));
                cols[d].push((n + d + j, -1.0));
            }
            let mut b = b_margin;
            b.extend(std::iter::repeat_n(0.0, 2 * d));
            let mut q = vec![0.0; d];
            q.push(1.0);
            Program { cols, rows: n + 2 * d, b, q, p_diag: None, cones: vec![NonnegativeConeT(n + 2 * d)] }
        }
        MarginNorm::Lp(pp) => {
            // Variables w (d), r (d), t: Σr − t = 0 and (rⱼ, t, wⱼ) ∈ K_{1/p} (rⱼ^{1/p} t^{1−1/p} ≥ |wⱼ|), so
            // ‖w‖_p ≤ t; minimise t.
            let mut cols = vec![Vec::new(); 2 * d + 1];
            margin_rows(p, scale, &mut cols);
            let zero_row = n;
            for j in 0..d {
                cols[d + j].push((zero_row, 1.0));
            }
            cols[2 * d].push((zero_row, -1.0));
            let mut cones = vec![NonnegativeConeT(n), ZeroConeT(1)];
            for j in 0..d {
                let r0 = n + 1 + 3 * j;
                cols[d + j].push((r0, -1.0));
                cols[2 * d].push((r0 + 1, -1.0));
                cols[j].push((r0 + 2, -1.0));
                cones.push(PowerConeT(1.0 / pp));
            }
            let mut b = b_margin;
            b.extend(std::iter::repeat_n(0.0, 1 + 3 * d));
            let mut q = vec![0.0; 2 * d];
            q.push(1.0);
            Program { cols, rows: n + 1 + 3 * d, b, q, p_diag: None, cones }
        }
    }
}

/// The maximum-margin direction for `norm`, certified (module notes). Errors: labels other than ±1; data that is
/// not separable (with Gordan's certificate in the message); a certificate that fails after the re-solve.
pub fn max_margin(p: &Problem, norm: MarginNorm) -> Result<MaxMargin> {
    let t0 = Instant::now();
    separable_labels(p, "a max-margin classifier")?;
    let (n, d) = (p.n(), p.d());
    let vars = match norm {
        MarginNorm::L2 => d,
        MarginNorm::Linf => d + 1,
        MarginNorm::L1 => 2 * d,
        MarginNorm::Lp(_) => 2 * d + 1,
    };
    crate::io::require_memory("the max-margin program", 8.0 * (3.0 * (n * d) as f64 + 60.0 * (n + vars) as f64))?;
    if let Some(i) = (0..n).find(|&i| linalg::norm_inf(p.x().row(i)) == 0.0) {
        return Err(Error::Infeasible(format!(
            "the data is not separable: row {} is zero, so its margin yᵢ⟨xᵢ, w⟩ is 0 for every w",
            i + 1
        )));
    }
    // ℓ2 with at most d distinct rows yᵢxᵢ: the hard-margin SVM through its dual's active set on their Gram matrix
    // (no interior point). ℓ1 and ℓ∞: the LP by ibias' interior point on its n-row normal equations.
    let (fast, method) = match norm {
        MarginNorm::L2 => (l2_dual_active_set(p), "dual active set on the Gram matrix (Cholesky; hard-margin SVM)"),
        MarginNorm::L1 | MarginNorm::Linf => {
            (by_block_lp(p, norm), "interior point on the LP's normal equations (Mehrotra; n × n Cholesky)")
        }
        MarginNorm::Lp(_) => (None, ""),
    };
    certified_or_program(p, norm, fast, method, t0)
}

/// A fast path's candidate `(w, λ, iterations)` returned when ibias' certificate accepts it, else clarabel's
/// program decides (the hand-over every fast path relies on).
fn certified_or_program(
    p: &Problem,
    norm: MarginNorm,
    candidate: Option<(Vec<f64>, Vec<f64>, usize)>,
    method: &str,
    t0: Instant,
) -> Result<MaxMargin> {
    if let Some((w, lam, iters)) = candidate
        && let Ok(mut m) = certify(p, norm, &w, &lam, iters)
    {
        m.method = method.into();
        m.wall_seconds = t0.elapsed().as_secs_f64();
        return Ok(m);
    }
    by_program(p, norm, t0)
}

/// The ℓ1 or ℓ∞ max margin as a [`lp_ipm::BlockLp`] over the scaled rows `z̃ᵢ = yᵢxᵢ/cᵢ` (`cᵢ = ‖xᵢ‖_∞`):
/// `ℓ1`: `min 1ᵀ(w⁺ + w⁻)` s.t. `z̃ᵢᵀ(w⁺ − w⁻) − sᵢ = 1/cᵢ`, `w±, s ≥ 0`;
/// `ℓ∞`: `max γ` s.t. `z̃ᵢᵀw − γ/cᵢ − sᵢ = 0`, `−1 ≤ w ≤ 1`, `γ, s ≥ 0`, with `w = 2v − 1`, `0 ≤ v ≤ 1`.
/// Returns `(w, λ, iterations)` with the multipliers unscaled (`λᵢ = yᵢ/cᵢ` of the rows' multipliers `y`).
fn by_block_lp(p: &Problem, norm: MarginNorm) -> Option<(Vec<f64>, Vec<f64>, usize)> {
    let (n, d) = (p.n(), p.d());
    let scale: Vec<f64> = (0..n).map(|i| linalg::norm_inf(p.x().row(i))).collect();
    let mut z = linalg::Dense::zeros(n, d);
    for (i, out) in z.data.chunks_exact_mut(d).enumerate() {
        let f = p.y()[i] / scale[i];
        for (o, v) in out.iter_mut().zip(p.x().row(i)) {
            *o = f * v;
        }
    }
    let inv_scale: Vec<f64> = scale.iter().map(|c| 1.0 / c).collect();
    let unscale = |y: &[f64]| (0..n).map(|i| (y[i] / scale[i]).max(0.0)).collect::<Vec<f64>>();
    let gap = |w: &[f64], y: &[f64]| {
        certify(p, norm, w, &unscale(y), 0).map_or(f64::INFINITY, |m| m.certificate.duality_gap_rel)
    };
    let (w, point) = match norm {
        MarginNorm::L1 => {
            let lp = lp_ipm::BlockLp {
                z: &z,
                zmap: (0..d).map(|j| (j, 1.0)).chain((0..d).map(|j| (j, -1.0))).collect(),
                dense: Vec::new(),
                slacks: true,
                b: inv_scale,
                c: [vec![1.0; 2 * d], vec![0.0; n]].concat(),
                upper: vec![f64::INFINITY; 2 * d + n],
            };
            let w_of = |x: &[f64]| (0..d).map(|j| x[j] - x[d + j]).collect::<Vec<f64>>();
            let pt = lp.solve(|x, y| gap(&w_of(x), y))?;
            (w_of(&pt.x), pt)
        }
        MarginNorm::Linf => {
            let mut b = vec![0.0; n];
            z.mul_vec(&vec![1.0; d], &mut b);
            let lp = lp_ipm::BlockLp {
                z: &z,
                zmap: (0..d).map(|j| (j, 2.0)).collect(),
                dense: vec![inv_scale.iter().map(|v| -v).collect()],
                slacks: true,
                b,
                c: [vec![0.0; d], vec![-1.0], vec![0.0; n]].concat(),
                upper: [vec![1.0; d], vec![f64::INFINITY; n + 1]].concat(),
            };
            let w_of = |x: &[f64]| (0..d).map(|j| 2.0 * x[j] - 1.0).collect::<Vec<f64>>();
            let pt = lp.solve(|x, y| gap(&w_of(x), y))?;
            (w_of(&pt.x), pt)
        }
        _ => return None,
    };
    Some((w, unscale(&point.y), point.iterations))
}

/// The max-margin direction by clarabel's program for `norm`, certified (re-solved once with tolerances 1e-13).
fn by_program(p: &Problem, norm: MarginNorm, t0: Instant) -> Result<MaxMargin> {
    let (n, d) = (p.n(), p.d());
    let scale: Vec<f64> = (0..n).map(|i| linalg::norm_inf(p.x().row(i))).collect();
    let prog = program(p, norm, &scale);
    let mut last_err = String::new();
    for strict in [false, true] {
        let (status, x, z, iters) = prog.solve(settings(strict)?)?;
        if matches!(status, SolverStatus::PrimalInfeasible | SolverStatus::AlmostPrimalInfeasible) {
            let s = separability(p)?;
            if !s.separable {
                return Err(not_separable(&s));
            }
            last_err = format!("clarabel reported the program infeasible ({status:?}) but the data is separable");
            continue;
        }
        let w: Vec<f64> = x[..d].to_vec();
        // Multipliers of the scaled rows, unscaled: λᵢ = zᵢ/cᵢ.
        let lam: Vec<f64> = (0..n).map(|i| (z[i] / scale[i]).max(0.0)).collect();
        match certify(p, norm, &w, &lam, iters) {
            Ok(mut m) => {
                m.method = format!(
                    "clarabel {} ({status:?}{})",
                    match norm {
                        MarginNorm::L2 => "QP (hard-margin SVM)",
                        MarginNorm::L1 | MarginNorm::Linf => "LP",
                        MarginNorm::Lp(_) => "power-cone program",
                    },
                    if strict { ", re-solved with tolerances 1e-13" } else { "" }
                );
                m.wall_seconds = t0.elapsed().as_secs_f64();
                return Ok(m);
            }
            Err(e) => last_err = format!("{e} (clarabel status {status:?})"),
        }
    }
    Err(Error::CertificateFailed { solver: format!("max-margin ({})", norm.name()), detail: last_err })
}

/// The most distinct rows for which the ℓ2 problem is tried on their Gram matrix.
const MAX_GRAM_ROWS: usize = 4000;

/// The ℓ2 maximum margin by the active set of its dual (SPEC §11): `min ½λᵀKλ − 1ᵀλ` over `λ ≥ 0`,
/// `K = X̃X̃ᵀ`, `X̃ = diag(y)X`; at the optimum `ŵ ∝ X̃ᵀλ`. From the full set `P` of rows (at `n ≤ d` every row is
/// usually a support vector): solve `K_PP λ_P = 1` by Cholesky; rows with `λ ≤ 0` leave, else the row whose margin
/// `(Kλ)ⱼ` is most below 1 enters; done when `λ_P > 0` and every margin is `≥ 1` (the KKT conditions). `None` when
/// a factorisation fails (a rank-deficient `K`: duplicated or dependent rows) or after `2n + 10` moves: the
/// interior-point program then decides. Returns `(X̃ᵀλ, λ, moves)`.
fn l2_dual_active_set(p: &Problem) -> Option<(Vec<f64>, Vec<f64>, usize)> {
    // Identical rows yᵢxᵢ are one constraint (a symmetrised dataset {(x, y), (−x, −y)} has each twice): solve on
    // the distinct ones, the copies get their row's multiplier shared. X̃ = diag(y)X is never formed: rows are
    // hashed and compared through their signs, and the Gram matrix of the distinct rows of X is signed afterwards.
    let (x, y, d) = (p.x(), p.y(), p.d());
    // A row's hash (of the bits of yᵢxᵢ); equal hashes are compared entry by entry.
    let hash = |i: usize| linalg::signed_bits_hash(x.row(i), y[i]);
    let same_row = |i: usize, k: usize| x.row(i).iter().zip(x.row(k)).all(|(a, b)| y[i] * a == y[k] * b);
    let mut seen: std::collections::HashMap<u64, Vec<usize>> = std::collections::HashMap::new();
    let mut keep = Vec::with_capacity(p.n());
    // copy_of[i]: the position in `keep` of row i's first copy.
    let mut copy_of = vec![0; p.n()];
    for i in 0..p.n() {
        let same = seen.entry(hash(i)).or_default();
        match same.iter().find(|&&k| same_row(i, k)) {
            Some(&k) => copy_of[i] = copy_of[k],
            None => {
                same.push(i);
                copy_of[i] = keep.len();
                keep.push(i);
            }
        }
    }
    let n = keep.len();
    if n > d || n > MAX_GRAM_ROWS {
        return None;
    }
    crate::io::require_memory("the Gram matrix", 16.0 * (n * n) as f64 + 8.0 * (n * d) as f64).ok()?;
    let copied;
    let xs: &linalg::Dense = if n == p.n() {
        x
    } else {
        let mut c = linalg::Dense::zeros(n, d);
        for (out, &i) in c.data.chunks_exact_mut(d).zip(&keep) {
            out.copy_from_slice(x.row(i));
        }
        copied = c;
        &copied
    };
    let ys: Vec<f64> = keep.iter().map(|&i| y[i]).collect();
    // One product of n²d/2 multiply-adds with nothing else to run: on two cores; then K = diag(y)XXᵀdiag(y).
    let mut g = linalg::gram_two_cores(xs);
    for (a, row) in g.data.chunks_exact_mut(n).enumerate() {
        for (v, yc) in row.iter_mut().zip(&ys) {
            *v *= ys[a] * yc;
        }
    }
    let mut in_p = vec![true; n];
    let mut lam = vec![0.0; n];
    for moves in 0..2 * n + 10 {
        let idx: Vec<usize> = (0..n).filter(|&i| in_p[i]).collect();
        if idx.is_empty() {
            return None;
        }
        let k = idx.len();
        let sub = linalg::Dense::from_fn(k, k, |a, c| g.data[idx[a] * n + idx[c]]);
        let z = linalg::spd_solve(&sub, &vec![1.0; k], 0.0)?;
        if let Some(a) = (0..k).filter(|&a| z[a] <= 0.0).min_by(|&a, &b| z[a].total_cmp(&z[b])) {
            in_p[idx[a]] = false;
            continue;
        }
        lam.iter_mut().for_each(|v| *v = 0.0);
        for (a, &i) in idx.iter().enumerate() {
            lam[i] = z[a];
        }
        let margin = |j: usize| idx.iter().zip(&z).map(|(&i, zi)| g.data[j * n + i] * zi).sum::<f64>();
        let worst = (0..n).filter(|&j| !in_p[j]).map(|j| (j, margin(j))).min_by(|a, b| a.1.total_cmp(&b.1));
        match worst {
            Some((j, m)) if m < 1.0 - 1e-12 => in_p[j] = true,
            _ => {
                let mut w = vec![0.0; d];
                let ly: Vec<f64> = lam.iter().zip(&ys).map(|(l, yi)| l * yi).collect();
                xs.tmul_vec(&ly, &mut w);
                // Copies share their row's multiplier equally (every split is a dual optimum; this one keeps
                // every copy of a support vector in the support).
                let mut copies = vec![0usize; n];
                copy_of.iter().for_each(|&a| copies[a] += 1);
                let full: Vec<f64> = copy_of.iter().map(|&a| lam[a] / copies[a] as f64).collect();
                return Some((w, full, moves + 1));
            }
        }
    }
    None
}

fn not_separable(s: &Separability) -> Error {
    let rows = s.conflicting_rows.clone().unwrap_or_default();
    let shown: Vec<String> = rows.iter().take(12).map(|i| (i + 1).to_string()).collect();
    Error::Infeasible(format!(
        "the data is not linearly separable (through the origin): a convex combination of the rows yᵢxᵢ is 0 \
         (‖Σλᵢyᵢxᵢ‖∞ = {:.1e} relative; rows {}{} — 1-based), so no w has yᵢ⟨xᵢ, w⟩ > 0 for all i; a max-margin \
         classifier needs separable data (`ibias solve separability` prints the certificate)",
        s.combination_residual_rel.unwrap_or(f64::NAN),
        shown.join(", "),
        if rows.len() > 12 { ", …" } else { "" }
    ))
}

/// ibias' own certificate of a primal point `w` and multipliers `λ` (module notes).
fn certify(p: &Problem, norm: MarginNorm, w: &[f64], lam: &[f64], iterations: usize) -> Result<MaxMargin> {
    let (n, d) = (p.n(), p.d());
    let mut m = vec![0.0; n];
    p.x().mul_vec(w, &mut m);
    let mmin = m.iter().zip(p.y()).map(|(a, b)| a * b).fold(f64::INFINITY, f64::min);
    if !(mmin > 0.0) || !linalg::all_finite(w) {
        return Err(Error::Numerical(format!("the primal point does not separate the data (min margin {mmin:e})")));
    }
    let wf: Vec<f64> = w.iter().map(|v| v / mmin).collect();
    let primal = norm.norm(&wf);
    let mut v = vec![0.0; d];
    let ly: Vec<f64> = lam.iter().zip(p.y()).map(|(l, y)| l * y).collect();
    p.xt_mul(&ly, &mut v);
    let dn = norm.dual_norm(&v);
    if !(dn > 0.0) {
        return Err(Error::Numerical("the dual point is zero".into()));
    }
    let lam_f: Vec<f64> = lam.iter().map(|l| l / dn).collect();
    let dual: f64 = lam_f.iter().sum();
    let gap = primal - dual;
    let gap_rel = gap / primal;
    if !(gap_rel <= GAP_TOL) || gap_rel < -1e-10 {
        return Err(Error::Numerical(format!(
            "relative duality gap (P − D)/P = {gap_rel:.3e} with P = {primal:.12e}, D = {dual:.12e} (tolerance {GAP_TOL:e})"
        )));
    }
    let w_hat: Vec<f64> = wf.iter().map(|x| x / primal).collect();
    let lmax = lam_f.iter().copied().fold(0.0, f64::max);
    Ok(MaxMargin {
        method: String::new(),
        norm: norm.name().into(),
        p: match norm {
            MarginNorm::Lp(pp) => Some(pp),
            _ => None,
        },
        norm_of_w: norm.norm(&w_hat),
        margin: 1.0 / primal,
        support_vectors: (0..n).filter(|&i| lam_f[i] > 1e-8 * lmax).collect(),
        dual: lam_f,
        unique: norm.strictly_convex().then_some(true),
        certificate: MarginCertificate {
            primal_norm: primal,
            dual_value: dual,
            duality_gap_abs: gap,
            duality_gap_rel: gap_rel.max(0.0),
            margin_upper_bound: 1.0 / dual,
            dual_norm_before_scaling: dn,
            iterations,
        },
        w: w_hat,
        wall_seconds: 0.0,
    })
}

/// Whether the data is separable through the origin (module notes), with a checked witness either way.
pub fn separability(p: &Problem) -> Result<Separability> {
    separable_labels(p, "the separability test")?;
    let (n, d) = (p.n(), p.d());
    let scale: Vec<f64> = (0..n).map(|i| linalg::norm_inf(p.x().row(i)).max(f64::MIN_POSITIVE)).collect();
    // Feasibility of yᵢ⟨xᵢ, w⟩ ≥ 1 with ‖w‖∞ bounded: the ℓ∞ program.
    if (0..n).all(|i| linalg::norm_inf(p.x().row(i)) > 0.0) {
        let prog = program(p, MarginNorm::Linf, &scale);
        let (status, x, _, _) = prog.solve(settings(false)?)?;
        if matches!(status, SolverStatus::Solved | SolverStatus::AlmostSolved) {
            let w = &x[..d];
            let mut m = vec![0.0; n];
            p.x().mul_vec(w, &mut m);
            let mmin = m.iter().zip(p.y()).map(|(a, b)| a * b).fold(f64::INFINITY, f64::min);
            if mmin > 0.0 {
                return Ok(Separability {
                    separable: true,
                    witness_w: Some(w.iter().map(|v| v / mmin).collect()),
                    witness_lambda: None,
                    combination_residual_rel: None,
                    conflicting_rows: None,
                });
            }
        }
    }
    // Gordan: λ ≥ 0, 1ᵀλ = 1, Σλᵢyᵢxᵢ = 0 (rows scaled by ‖xᵢ‖∞).
    let mut cols = vec![Vec::new(); n];
    for i in 0..n {
        let (row, yi) = (p.x().row(i), p.y()[i]);
        for j in 0..d {
            if row[j] != 0.0 {
                cols[i].push((j, yi * row[j] / scale[i]));
            }
        }
        cols[i].push((d, 1.0));
        cols[i].push((d + 1 + i, -1.0));
    }
    let mut b = vec![0.0; d + 1 + n];
    b[d] = 1.0;
    let prog = Program {
        cols,
        rows: d + 1 + n,
        b,
        q: vec![0.0; n],
        p_diag: None,
        cones: vec![ZeroConeT(d + 1), NonnegativeConeT(n)],
    };
    let (status, x, _, _) = prog.solve(settings(true)?)?;
    if matches!(status, SolverStatus::Solved | SolverStatus::AlmostSolved) {
        let mut lam: Vec<f64> = (0..n).map(|i| x[i].max(0.0) / scale[i]).collect();
        let s: f64 = lam.iter().sum();
        if s > 0.0 {
            lam.iter_mut().for_each(|l| *l /= s);
            let ly: Vec<f64> = lam.iter().zip(p.y()).map(|(l, y)| l * y).collect();
            let mut v = vec![0.0; d];
            p.xt_mul(&ly, &mut v);
            let xmax = linalg::norm_inf(&p.x().data).max(f64::MIN_POSITIVE);
            let res = linalg::norm_inf(&v) / xmax;
            if res <= 1e-9 {
                let lmax = lam.iter().copied().fold(0.0, f64::max);
                return Ok(Separability {
                    separable: false,
                    conflicting_rows: Some((0..n).filter(|&i| lam[i] > 1e-9 * lmax).collect()),
                    witness_w: None,
                    witness_lambda: Some(lam),
                    combination_residual_rel: Some(res),
                });
            }
        }
    }
    Err(Error::CertificateFailed {
        solver: "separability test".into(),
        detail: format!(
            "neither a separating w nor a checked convex combination Σλᵢyᵢxᵢ = 0 was found (clarabel {status:?}); the data may be separable only with margin at rounding level"
        ),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kernels::linalg::Dense;

    fn toy() -> Problem {
        // Two points per class, symmetric: the ℓ2 max-margin direction is (1, 0) with margin 1.
        let x = Dense::from_fn(4, 2, |i, j| [[1.0, 1.0], [1.0, -1.0], [-1.0, 1.0], [-1.0, -1.0]][i][j]);
        Problem::new(x, vec![1.0, 1.0, -1.0, -1.0]).unwrap()
    }

    /// The ℓ2 dual active set (n ≤ d) against clarabel's QP on random problems: the same margin to 1e-9
    /// (relative) and direction to 1e-7, both certified; rows scaled far out (margins > 1, λ = 0) leave the set,
    /// a symmetrised dataset (each yᵢxᵢ twice) is solved on its distinct rows, and n > d goes to the program.
    #[test]
    fn the_l2_dual_active_set_agrees_with_the_interior_point_program() {
        let mut s = 3u64;
        let mut rnd = || {
            s = s.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            ((s >> 11) as f64 / (1u64 << 53) as f64) * 2.0 - 1.0
        };
        for (n, d, far) in [(5, 8, 0), (20, 50, 0), (30, 40, 10), (12, 12, 4)] {
            let vals: Vec<f64> = (0..n * d).map(|_| rnd()).collect();
            let mut x = Dense::from_fn(n, d, |i, j| vals[i * d + j]);
            let wt: Vec<f64> = (0..d).map(|_| rnd()).collect();
            let y: Vec<f64> = (0..n).map(|i| if linalg::dot(x.row(i), &wt) >= 0.0 { 1.0 } else { -1.0 }).collect();
            // Rows i < far: yᵢxᵢ ≈ 2·yₖxₖ (k = i + far), a constraint the k-th implies: λᵢ = 0.
            for i in 0..far {
                let k = i + far;
                for j in 0..d {
                    x.data[i * d + j] = 2.0 * y[i] * y[k] * x.get(k, j) + 0.01 * vals[(i * 7 + j) % (n * d)];
                }
            }
            for sym in [false, true] {
                let (x2, y2) = if sym {
                    let xs = Dense::from_fn(2 * n, d, |i, j| if i < n { x.get(i, j) } else { -x.get(i - n, j) });
                    let ys: Vec<f64> = (0..2 * n).map(|i| if i < n { y[i] } else { -y[i - n] }).collect();
                    (xs, ys)
                } else {
                    (x.clone(), y.clone())
                };
                let p = Problem::new(x2, y2).unwrap();
                let fast = max_margin(&p, MarginNorm::L2).unwrap();
                assert!(fast.method.starts_with("dual active set"), "{}", fast.method);
                let ipm = by_program(&p, MarginNorm::L2, Instant::now()).unwrap();
                assert!(
                    (fast.margin - ipm.margin).abs() <= 1e-9 * ipm.margin,
                    "{n}×{d}: {} vs {}",
                    fast.margin,
                    ipm.margin
                );
                assert!(linalg::dist2(&fast.w, &ipm.w) <= 1e-7, "{n}×{d} sym {sym}");
                assert!(fast.certificate.duality_gap_rel <= 1e-12);
                if far > 0 && !sym {
                    assert!((0..far).all(|i| !fast.support_vectors.contains(&i)), "{:?}", fast.support_vectors);
                }
            }
        }
        // More distinct rows yᵢxᵢ than d: the program.
        let x = Dense::from_fn(3, 2, |i, j| [[1.0, 0.5], [-1.0, 0.5], [0.3, 1.0]][i][j]);
        let q = Problem::new(x, vec![1.0, -1.0, 1.0]).unwrap();
        assert!(max_margin(&q, MarginNorm::L2).unwrap().method.starts_with("clarabel"));
    }

    /// The ℓ1 and ℓ∞ LPs by ibias' interior point against clarabel's programs on random problems (n < d, n > d,
    /// a duplicated and a negated column, duplicated rows, widely scaled rows): the same certified margin to 1e-9
    /// (relative), each with a relative duality gap ≤ 1e-10; where the optimum is a vertex the directions agree
    /// too. A row far outside the margin (λ = 0) stays out of the support.
    #[test]
    fn the_lp_interior_point_agrees_with_clarabel() {
        let mut s = 11u64;
        let mut rnd = || {
            s = s.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            ((s >> 11) as f64 / (1u64 << 53) as f64) * 2.0 - 1.0
        };
        for (n, d, twist) in [(6, 10, 0), (25, 60, 1), (40, 30, 0), (30, 80, 2), (20, 50, 3)] {
            let vals: Vec<f64> = (0..n * d).map(|_| rnd()).collect();
            let mut x = Dense::from_fn(n, d, |i, j| vals[i * d + j]);
            match twist {
                // Column 1 duplicates column 0 and column 3 is −column 2: the ℓ1 optimum is not a unique point.
                1 => {
                    for i in 0..n {
                        x.data[i * d + 1] = x.get(i, 0);
                        x.data[i * d + 3] = -x.get(i, 2);
                    }
                }
                // Rows 0..5 copy rows 5..10.
                2 => {
                    for i in 0..5 {
                        for j in 0..d {
                            x.data[i * d + j] = x.get(i + 5, j);
                        }
                    }
                }
                // Rows scaled from 1e-3 to 1e3.
                3 => {
                    for i in 0..n {
                        let f = 10f64.powf(-3.0 + 6.0 * i as f64 / (n - 1) as f64);
                        x.data[i * d..(i + 1) * d].iter_mut().for_each(|v| *v *= f);
                    }
                }
                _ => {}
            }
            let wt: Vec<f64> = (0..d).map(|_| rnd()).collect();
            let y: Vec<f64> = (0..n).map(|i| if linalg::dot(x.row(i), &wt) >= 0.0 { 1.0 } else { -1.0 }).collect();
            let p = Problem::new(x, y).unwrap();
            for norm in [MarginNorm::L1, MarginNorm::Linf] {
                if separability(&p).is_ok_and(|s| !s.separable) {
                    continue;
                }
                let fast = max_margin(&p, norm).unwrap();
                assert!(fast.method.starts_with("interior point"), "{n}×{d} {norm:?}: {}", fast.method);
                let reference = by_program(&p, norm, Instant::now()).unwrap();
                assert!(
                    (fast.margin - reference.margin).abs() <= 1e-9 * reference.margin,
                    "{n}×{d} {norm:?}: {} vs {}\n{:?}\n{:?}",
                    fast.margin,
                    reference.margin,
                    fast.certificate,
                    reference.certificate
                );
                assert!(fast.certificate.duality_gap_rel <= 1e-10, "{:?}", fast.certificate);
                assert!((fast.norm_of_w - 1.0).abs() <= 1e-12);
                if twist == 0 && norm == MarginNorm::L1 {
                    assert!(linalg::dist2(&fast.w, &reference.w) <= 1e-7, "{n}×{d} {norm:?}");
                }
            }
        }
    }

    /// A fast path whose candidate fails the certificate hands over to clarabel's program: a direction moved off
    /// the optimum (gap ~1e-3), multipliers of the wrong rows, or no candidate at all give the program's certified
    /// answer, never the candidate.
    #[test]
    fn a_failing_fast_path_hands_over_to_the_program() {
        let x = Dense::from_fn(6, 4, |i, j| ((i * 7 + j * 3) % 5) as f64 - 2.0 + if j == i % 4 { 3.0 } else { 0.0 });
        let y: Vec<f64> = (0..6).map(|i| if i % 2 == 0 { 1.0 } else { -1.0 }).collect();
        let p = Problem::new(x, y).unwrap();
        for norm in [MarginNorm::L2, MarginNorm::L1, MarginNorm::Linf] {
            let good = max_margin(&p, norm).unwrap();
            let w_off: Vec<f64> = good.w.iter().enumerate().map(|(j, v)| v + if j == 0 { 1e-3 } else { 0.0 }).collect();
            let lam_wrong: Vec<f64> = good.dual.iter().map(|l| if *l > 0.0 { 0.0 } else { 1.0 }).collect();
            for candidate in [Some((w_off, good.dual.clone(), 3)), Some((good.w.clone(), lam_wrong, 3)), None] {
                let m = certified_or_program(&p, norm, candidate, "fast", Instant::now()).unwrap();
                assert!(m.method.starts_with("clarabel"), "{norm:?}: {}", m.method);
                assert!((m.margin - good.margin).abs() <= 1e-9 * good.margin, "{norm:?}");
                assert!(m.certificate.duality_gap_rel <= GAP_TOL);
            }
            // The exact candidate is accepted as the fast path's.
            let m =
                certified_or_program(&p, norm, Some((good.w.clone(), good.dual.clone(), 3)), "fast", Instant::now());
            assert_eq!(m.unwrap().method, "fast");
        }
    }

    #[test]
    fn closed_forms_for_a_symmetric_toy() {
        let p = toy();
        let m2 = max_margin(&p, MarginNorm::L2).unwrap();
        assert!((m2.w[0] - 1.0).abs() < 1e-8 && m2.w[1].abs() < 1e-8, "{:?}", m2.w);
        assert!((m2.margin - 1.0).abs() < 1e-8);
        assert_eq!(m2.support_vectors, vec![0, 1, 2, 3]);
        let m1 = max_margin(&p, MarginNorm::L1).unwrap();
        assert!((m1.margin - 1.0).abs() < 1e-8);
        // ℓ∞: w = (1, 0) has ‖w‖∞ = 1 and margin 1; no unit-ℓ∞ w does better (row pairs cancel x₂).
        let mi = max_margin(&p, MarginNorm::Linf).unwrap();
        assert!((mi.margin - 1.0).abs() < 1e-8);
        let m3 = max_margin(&p, MarginNorm::Lp(3.0)).unwrap();
        assert!((m3.margin - 1.0).abs() < 1e-7 && m3.certificate.duality_gap_rel <= GAP_TOL);
    }

    /// Each norm's margin is the best among many random unit directions (an independent check), and the
    /// ℓ2 answer equals the two-point closed form: both margins tight, `w = λ₁x₊ − λ₂x₋` with `Gλ = 1`,
    /// `G = [[x₊·x₊, −x₊·x₋], [−x₊·x₋, x₋·x₋]]` (here λ > 0).
    #[test]
    fn margins_beat_random_directions_and_match_two_points() {
        let x = Dense::from_fn(2, 3, |i, j| [[2.0, 1.0, 0.5], [-1.0, 0.5, 1.5]][i][j]);
        let p = Problem::new(x, vec![1.0, -1.0]).unwrap();
        let m2 = max_margin(&p, MarginNorm::L2).unwrap();
        let (a, b) = ([2.0, 1.0, 0.5], [-1.0, 0.5, 1.5]);
        let (g11, g22, g12) = (linalg::dot(&a, &a), linalg::dot(&b, &b), -linalg::dot(&a, &b));
        let det = g11 * g22 - g12 * g12;
        let (l1, l2) = ((g22 - g12) / det, (g11 - g12) / det);
        assert!(l1 > 0.0 && l2 > 0.0);
        let w: Vec<f64> = (0..3).map(|j| l1 * a[j] - l2 * b[j]).collect();
        let nw = linalg::norm2(&w);
        for j in 0..3 {
            assert!((m2.w[j] - w[j] / nw).abs() < 1e-8, "{:?} vs {w:?}", m2.w);
        }
        assert!((m2.margin - 1.0 / nw).abs() < 1e-9);
        let mut s = 7u64;
        let mut rnd = || {
            s = s.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            ((s >> 11) as f64 / (1u64 << 53) as f64) * 2.0 - 1.0
        };
        for norm in [MarginNorm::L1, MarginNorm::L2, MarginNorm::Linf, MarginNorm::Lp(1.5), MarginNorm::Lp(4.0)] {
            let m = max_margin(&p, norm).unwrap();
            assert!(m.certificate.duality_gap_rel <= GAP_TOL);
            assert!((m.norm_of_w - 1.0).abs() < 1e-12);
            for _ in 0..2000 {
                let v: Vec<f64> = (0..3).map(|_| rnd()).collect();
                let nv = norm.norm(&v);
                let margin =
                    (0..2).map(|i| p.y()[i] * linalg::dot(p.x().row(i), &v) / nv).fold(f64::INFINITY, f64::min);
                assert!(margin <= m.margin * (1.0 + 1e-9), "{norm:?}: {margin} > {}", m.margin);
            }
        }
    }

    #[test]
    fn non_separable_data_is_refused_with_a_certificate() {
        let x = Dense::from_fn(3, 2, |i, j| [[1.0, 0.0], [-1.0, 0.0], [0.0, 1.0]][i][j]);
        let p = Problem::new(x, vec![1.0, 1.0, 1.0]).unwrap();
        let s = separability(&p).unwrap();
        assert!(!s.separable && s.combination_residual_rel.unwrap() <= 1e-9);
        assert_eq!(s.conflicting_rows.as_deref(), Some(&[0usize, 1][..]));
        match max_margin(&p, MarginNorm::L2) {
            Err(Error::Infeasible(m)) => assert!(m.contains("not linearly separable"), "{m}"),
            other => panic!("{other:?}"),
        }
        assert!(separability(&toy()).unwrap().separable);
        let bad = Problem::new(Dense::from_fn(2, 1, |i, _| i as f64 + 1.0), vec![1.0, 0.5]).unwrap();
        assert!(matches!(max_margin(&bad, MarginNorm::L2), Err(Error::Data(_))));
        assert!(MarginNorm::parse("lp", Some(1.0)).is_err());
        assert!(MarginNorm::parse("l2", Some(3.0)).is_err());
    }
}
