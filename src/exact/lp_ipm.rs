//! A primal–dual interior-point method for linear programs whose constraint matrix is one dense block with few
//! rows and many columns (SPEC §11: the ℓ1 and ℓ∞ maximum margins, `n` rows, `d ≫ n` columns):
//!
//! `min cᵀx  s.t.  A x = b,  0 ≤ x ≤ u`  (`uₖ = ∞` allowed),   `A = [Z·M | E | −I]`,
//!
//! where `Z` is `n × m` (row-major), every one of the first variables is a multiple `aₖ` of one column `j(k)` of
//! `Z` (the map `M`), `E` holds a few dense columns and `−I` the slacks. Mehrotra's predictor–corrector on the
//! normal equations `A Θ Aᵀ Δy = r` (`Θ = (X⁻¹S + R⁻¹W)⁻¹`, `R = U − X`): one `n × n` matrix per iteration,
//! `Z diag(δ) Zᵀ` with `δⱼ = Σ_{j(k)=j} aₖ²Θₖ` (`n²m/2` multiply-adds on two cores) plus the dense columns and the
//! slacks' diagonal, factored once by Cholesky and solved twice.
//!
//! The normal equations of an LP become ill-conditioned as the iterates approach a vertex; one step of iterative
//! refinement against the exact operator `A Θ Aᵀ` (two mat-vecs) restores the corrector's accuracy. Nothing here
//! is trusted: the caller measures every late iterate by its own certificate on the original problem, keeps the
//! best (and falls back to another solver when the certificate fails or this returns `None`).

use crate::kernels::linalg::{self, Dense};
use faer::linalg::solvers::Solve;

/// A linear program in the block form of the module notes.
pub(crate) struct BlockLp<'a> {
    /// `Z` (`n × m`, row-major).
    pub z: &'a Dense,
    /// The first variables: `(column of Z, coefficient)`.
    pub zmap: Vec<(usize, f64)>,
    /// Further variables with explicit columns (length `n` each).
    pub dense: Vec<Vec<f64>>,
    /// `n` final variables with columns `−eᵢ` (surplus variables of `≥` rows).
    pub slacks: bool,
    /// Right-hand side (`n`).
    pub b: Vec<f64>,
    /// Costs (one per variable).
    pub c: Vec<f64>,
    /// Upper bounds (one per variable; `f64::INFINITY` for none).
    pub upper: Vec<f64>,
}

/// The point an interior-point run ended at.
pub(crate) struct LpPoint {
    /// Primal variables.
    pub x: Vec<f64>,
    /// Multipliers of the rows.
    pub y: Vec<f64>,
    /// Iterations.
    pub iterations: usize,
}

/// The certified relative duality gap at which the iteration stops.
const TARGET_GAP: f64 = 1e-12;
const MAX_ITER: usize = 100;
const REFINE: usize = 1;

impl BlockLp<'_> {
    fn nz(&self) -> usize {
        self.zmap.len()
    }

    fn vars(&self) -> usize {
        self.nz() + self.dense.len() + if self.slacks { self.z.rows } else { 0 }
    }

    /// `A x`.
    fn ax(&self, x: &[f64]) -> Vec<f64> {
        let (n, m, nz) = (self.z.rows, self.z.cols, self.nz());
        let mut v = vec![0.0; m];
        for (&(j, a), xk) in self.zmap.iter().zip(x) {
            v[j] += a * xk;
        }
        let mut out = vec![0.0; n];
        self.z.mul_vec(&v, &mut out);
        for (q, col) in self.dense.iter().enumerate() {
            linalg::axpy(x[nz + q], col, &mut out);
        }
        if self.slacks {
            let off = nz + self.dense.len();
            for i in 0..n {
                out[i] -= x[off + i];
            }
        }
        out
    }

    /// `Aᵀ y`.
    fn aty(&self, y: &[f64]) -> Vec<f64> {
        let (n, m) = (self.z.rows, self.z.cols);
        let mut t = vec![0.0; m];
        self.z.tmul_vec(y, &mut t);
        let mut out: Vec<f64> = self.zmap.iter().map(|&(j, a)| a * t[j]).collect();
        out.extend(self.dense.iter().map(|col| linalg::dot(col, y)));
        if self.slacks {
            out.extend((0..n).map(|i| -y[i]));
        }
        out
    }

    /// The Cholesky factor of `A Θ Aᵀ` (a diagonal shift of `1e-14` or `1e-11` of its largest diagonal entry when
    /// the plain factorisation fails).
    fn normal_factor(&self, theta: &[f64]) -> Option<faer::linalg::solvers::Llt<f64>> {
        let (n, m, nz) = (self.z.rows, self.z.cols, self.nz());
        let mut delta = vec![0.0; m];
        for (&(j, a), t) in self.zmap.iter().zip(theta) {
            delta[j] += a * a * t;
        }
        let root: Vec<f64> = delta.iter().map(|v| v.sqrt()).collect();
        let mut scaled = Dense::zeros(n, m);
        for (out, row) in scaled.data.chunks_exact_mut(m).zip(self.z.data.chunks_exact(m)) {
            out.iter_mut().zip(row).zip(&root).for_each(|((o, v), r)| *o = v * r);
        }
        let g = linalg::gram_two_cores(&scaled);
        let mut mat = faer::Mat::from_fn(n, n, |a, c| g.data[a * n + c]);
        for (q, col) in self.dense.iter().enumerate() {
            let t = theta[nz + q];
            for c in 0..n {
                for a in 0..n {
                    mat[(a, c)] += t * col[a] * col[c];
                }
            }
        }
        if self.slacks {
            let off = nz + self.dense.len();
            for i in 0..n {
                mat[(i, i)] += theta[off + i];
            }
        }
        let top = (0..n).map(|i| mat[(i, i)]).fold(0.0, f64::max);
        if !(top > 0.0) || !top.is_finite() {
            return None;
        }
        for shift in [0.0, 1e-14, 1e-11] {
            let mut m2 = mat.clone();
            for i in 0..n {
                m2[(i, i)] += shift * top;
            }
            if let Ok(l) = m2.llt(faer::Side::Lower) {
                return Some(l);
            }
        }
        None
    }

    /// Solves the program from a default interior start. `certified_gap(x, y)` is the caller's certificate of a
    /// point (its relative duality gap on the original problem, `∞` when it fails): once the residuals and the
    /// gap are below `1e-8`, every iterate is measured by it and the best is returned — at the first with
    /// `certified_gap ≤ 1e-12`, when the iteration breaks down, or after `MAX_ITER` iterations. `None` when no
    /// iterate got that far.
    pub fn solve(&self, certified_gap: impl Fn(&[f64], &[f64]) -> f64) -> Option<LpPoint> {
        let (n, nv) = (self.z.rows, self.vars());
        debug_assert_eq!(self.c.len(), nv);
        debug_assert_eq!(self.upper.len(), nv);
        let bounded: Vec<bool> = self.upper.iter().map(|u| u.is_finite()).collect();
        let nb = bounded.iter().filter(|&&b| b).count();
        let mut x: Vec<f64> = self.upper.iter().map(|&u| if u.is_finite() { u / 2.0 } else { 1.0 }).collect();
        let mut r: Vec<f64> =
            self.upper.iter().zip(&x).map(|(&u, x)| if u.is_finite() { u - x } else { 1.0 }).collect();
        let mut s = vec![1.0; nv];
        let mut w: Vec<f64> = bounded.iter().map(|&b| if b { 1.0 } else { 0.0 }).collect();
        let mut y = vec![0.0; n];
        let bnorm = 1.0 + linalg::norm_inf(&self.b);
        let cnorm = 1.0 + linalg::norm_inf(&self.c);
        let unorm = 1.0 + self.upper.iter().filter(|u| u.is_finite()).fold(0.0f64, |a, &u| a.max(u.abs()));
        let mut best: Option<(f64, LpPoint)> = None;
        for it in 0..MAX_ITER {
            crate::control::check().ok()?;
            let ax = self.ax(&x);
            let rb: Vec<f64> = self.b.iter().zip(&ax).map(|(b, a)| b - a).collect();
            let aty = self.aty(&y);
            let rc: Vec<f64> = (0..nv).map(|k| self.c[k] - aty[k] - s[k] + w[k]).collect();
            let ru: Vec<f64> = (0..nv).map(|k| if bounded[k] { self.upper[k] - x[k] - r[k] } else { 0.0 }).collect();
            let comp: f64 = (0..nv).map(|k| x[k] * s[k] + if bounded[k] { r[k] * w[k] } else { 0.0 }).sum::<f64>();
            let mu = comp / (nv + nb) as f64;
            let pobj = linalg::dot(&self.c, &x);
            let dobj =
                linalg::dot(&self.b, &y) - (0..nv).filter(|&k| bounded[k]).map(|k| self.upper[k] * w[k]).sum::<f64>();
            if !(mu.is_finite() && pobj.is_finite() && dobj.is_finite()) {
                break;
            }
            let feas =
                (linalg::norm_inf(&rb) / bnorm).max(linalg::norm_inf(&rc) / cnorm).max(linalg::norm_inf(&ru) / unorm);
            let gap = (pobj - dobj).abs() / (1.0 + pobj.abs());
            // Near the end, the caller's certificate measures each point; the best one is kept, and the target
            // ends the iteration.
            if feas <= 1e-8 && gap <= 1e-8 {
                let g = certified_gap(&x, &y);
                if best.as_ref().is_none_or(|(b, _)| g < *b) {
                    best = Some((g, LpPoint { x: x.clone(), y: y.clone(), iterations: it }));
                }
                if g <= TARGET_GAP {
                    break;
                }
            }
            let theta: Vec<f64> =
                (0..nv).map(|k| 1.0 / (s[k] / x[k] + if bounded[k] { w[k] / r[k] } else { 0.0 })).collect();
            let Some(llt) = self.normal_factor(&theta) else { break };
            // One Newton direction for the complementarity targets (r_xs, r_rw).
            let direction = |rxs: &[f64], rrw: &[f64], refine: usize| {
                let rho: Vec<f64> = (0..nv)
                    .map(|k| rc[k] - rxs[k] / x[k] + if bounded[k] { (rrw[k] - w[k] * ru[k]) / r[k] } else { 0.0 })
                    .collect();
                let trho: Vec<f64> = theta.iter().zip(&rho).map(|(t, p)| t * p).collect();
                let at = self.ax(&trho);
                let rhs: Vec<f64> = (0..n).map(|i| rb[i] + at[i]).collect();
                let solve = |v: &[f64]| {
                    let sol = llt.solve(faer::Mat::from_fn(n, 1, |i, _| v[i]));
                    (0..n).map(|i| sol[(i, 0)]).collect::<Vec<f64>>()
                };
                // Steps of iterative refinement against the exact `A Θ Aᵀ` (two mat-vecs each; one for the
                // corrector, none for the predictor): they restore what the left-out columns and the rounding of an
                // ill-conditioned factor lose.
                let mut dy = solve(&rhs);
                for _ in 0..refine {
                    let t: Vec<f64> = self.aty(&dy).iter().zip(&theta).map(|(a, t)| a * t).collect();
                    let res: Vec<f64> = rhs.iter().zip(self.ax(&t)).map(|(r, a)| r - a).collect();
                    linalg::axpy(1.0, &solve(&res), &mut dy);
                }
                let atdy = self.aty(&dy);
                let dx: Vec<f64> = (0..nv).map(|k| theta[k] * (atdy[k] - rho[k])).collect();
                let ds: Vec<f64> = (0..nv).map(|k| (rxs[k] - s[k] * dx[k]) / x[k]).collect();
                let dr: Vec<f64> = (0..nv).map(|k| if bounded[k] { ru[k] - dx[k] } else { 0.0 }).collect();
                let dw: Vec<f64> =
                    (0..nv).map(|k| if bounded[k] { (rrw[k] - w[k] * dr[k]) / r[k] } else { 0.0 }).collect();
                (dx, dy, ds, dr, dw)
            };
            let max_step = |v: &[f64], dv: &[f64], mask: Option<&[bool]>| {
                let mut a = 1.0f64;
                for k in 0..v.len() {
                    if mask.is_none_or(|m| m[k]) && dv[k] < 0.0 {
                        a = a.min(-v[k] / dv[k]);
                    }
                }
                a
            };
            let rxs: Vec<f64> = (0..nv).map(|k| -x[k] * s[k]).collect();
            let rrw: Vec<f64> = (0..nv).map(|k| if bounded[k] { -r[k] * w[k] } else { 0.0 }).collect();
            let (dx, _, ds, dr, dw) = direction(&rxs, &rrw, 0);
            let ap = max_step(&x, &dx, None).min(max_step(&r, &dr, Some(&bounded)));
            let ad = max_step(&s, &ds, None).min(max_step(&w, &dw, Some(&bounded)));
            let comp_aff: f64 = (0..nv)
                .map(|k| {
                    (x[k] + ap * dx[k]) * (s[k] + ad * ds[k])
                        + if bounded[k] { (r[k] + ap * dr[k]) * (w[k] + ad * dw[k]) } else { 0.0 }
                })
                .sum();
            let sigma = (comp_aff / comp).clamp(0.0, 1.0).powi(3);
            let rxs: Vec<f64> = (0..nv).map(|k| sigma * mu - x[k] * s[k] - dx[k] * ds[k]).collect();
            let rrw: Vec<f64> =
                (0..nv).map(|k| if bounded[k] { sigma * mu - r[k] * w[k] - dr[k] * dw[k] } else { 0.0 }).collect();
            let (dx, dy, ds, dr, dw) = direction(&rxs, &rrw, REFINE);
            let eta = (1.0 - mu).clamp(0.995, 1.0 - 1e-6);
            let ap = (eta * max_step(&x, &dx, None).min(max_step(&r, &dr, Some(&bounded)))).min(1.0);
            let ad = (eta * max_step(&s, &ds, None).min(max_step(&w, &dw, Some(&bounded)))).min(1.0);
            if !(ap > 0.0 && ad > 0.0) {
                break;
            }
            for k in 0..nv {
                x[k] += ap * dx[k];
                s[k] += ad * ds[k];
                if bounded[k] {
                    r[k] += ap * dr[k];
                    w[k] += ad * dw[k];
                }
            }
            linalg::axpy(ad, &dy, &mut y);
            if x.iter().chain(&s).any(|v| !(*v > 0.0)) {
                break;
            }
        }
        best.map(|(_, point)| point)
    }
}
