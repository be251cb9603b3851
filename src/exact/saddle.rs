//! The α → 0 limit of the `(u, v)` gradient flow in accelerated time: a piecewise-constant path that jumps
//! from saddle to saddle (Pesme & Flammarion, NeurIPS 2023, Algorithm 1; SPEC §9).
//!
//! State `q ∈ [−1, 1]^d` (`q = 0` at `τ = 0`). The current saddle `β` minimises `R` over
//! `{βᵢ = 0 if |qᵢ| < 1, sign βᵢ = qᵢ if |qᵢ| = 1}`: a non-negative least squares on the signed active columns
//! ([`nnls`], Lawson–Hanson, warm-started from the previous saddle's support). Then, with `g = ∇R(β)`,
//! `q` moves as `q − Δg` until a coordinate reaches the boundary it is pushed to (`qᵢ − Δgᵢ = −sign gᵢ`);
//! coordinates whose gradient pushes them inward leave. It stops when `∇R(β) = 0`: the last saddle is a
//! minimum-ℓ1 interpolator. Each saddle is certified: the KKT residual of its sign-constrained least squares
//! and `‖q‖_∞ ≤ 1 + 1e-12`.

use crate::kernels::linalg::{self, Dense, SymFactor};
use crate::problem::{GradPlan, Parallelism, Problem};
use crate::{Error, Result};
use serde::{Deserialize, Serialize};

/// The saddle-to-saddle path.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SaddlePath {
    /// Jump times `τ_k` (accelerated time `t/(2 ln(1/α))`), starting with 0.
    pub times: Vec<f64>,
    /// The saddles `β_k` (`β_0 = 0`); `β_k` holds on `[τ_k, τ_{k+1})`.
    pub saddles: Vec<Vec<f64>>,
    /// The saturated set `{i : |qᵢ| = 1}` on each plateau: the coordinates allowed to be non-zero (with sign
    /// `qᵢ`), not the support (a saturated coordinate can carry zero weight).
    pub saturated: Vec<Vec<usize>>,
    /// The signs `qᵢ` of the saturated coordinates on each plateau.
    pub signs: Vec<Vec<f64>>,
    /// Per saddle: the KKT residual of its sign-constrained least squares (absolute, gradient units).
    pub kkt_residual: Vec<f64>,
    /// Largest `|qᵢ|` seen along the path (≤ 1 + 1e-12 is certified).
    pub q_max: f64,
    /// Wall-clock seconds.
    pub wall_seconds: f64,
}

impl SaddlePath {
    /// The limit path at accelerated time `τ` (the saddle of the plateau containing `τ`).
    pub fn at(&self, tau: f64) -> &[f64] {
        let k = self.times.partition_point(|&t| t <= tau).max(1) - 1;
        &self.saddles[k]
    }
}

/// Non-negative least squares `min ‖Cz − y‖²`, `z ≥ 0`, by Lawson–Hanson on the Gram form: `g = CᵀC`
/// (`k × k`), `b = Cᵀy`. `start` is a warm passive set. Returns `z` and its KKT residual
/// `max(max_{z>0} |∇|, max_{z=0} max(0, −∇))` with `∇ = g z − b` (half the gradient of the squared norm).
pub fn nnls(g: &Dense, b: &[f64], start: &[usize]) -> Result<(Vec<f64>, f64)> {
    let k = b.len();
    let mut passive: Vec<bool> = vec![false; k];
    for &j in start {
        if j < k {
            passive[j] = true;
        }
    }
    let mut z = vec![0.0; k];
    let scale = b.iter().map(|v| v.abs()).fold(0.0, f64::max).max(f64::MIN_POSITIVE);
    let tol = 1e-12 * scale;
    let grad =
        |z: &[f64]| -> Vec<f64> { (0..k).map(|i| (0..k).map(|j| g.get(i, j) * z[j]).sum::<f64>() - b[i]).collect() };
    let solve_passive = |passive: &[bool]| -> Result<Vec<f64>> {
        let idx: Vec<usize> = (0..k).filter(|&i| passive[i]).collect();
        let mut out = vec![0.0; k];
        if idx.is_empty() {
            return Ok(out);
        }
        let sub = Dense::from_fn(idx.len(), idx.len(), |a, c| g.get(idx[a], idx[c]));
        let rhs: Vec<f64> = idx.iter().map(|&i| b[i]).collect();
        let s = SymFactor::new(&sub)?.solve(&rhs);
        for (a, &i) in idx.iter().enumerate() {
            out[i] = s[a];
        }
        Ok(out)
    };
    for _outer in 0..(3 * k + 10) {
        // Inner loop: make the passive solution feasible by moving towards it and dropping the zeros.
        for _inner in 0..(k + 1) {
            let s = solve_passive(&passive)?;
            if (0..k).all(|i| !passive[i] || s[i] > 0.0) {
                z = s;
                break;
            }
            let mut step = 1.0f64;
            for i in 0..k {
                if passive[i] && s[i] <= 0.0 {
                    let den = z[i] - s[i];
                    let t = if den > 0.0 { z[i] / den } else { 0.0 };
                    step = step.min(t);
                }
            }
            for i in 0..k {
                if passive[i] {
                    z[i] += step * (s[i] - z[i]);
                    if z[i] <= 1e-15 * scale.max(1.0) {
                        z[i] = 0.0;
                        passive[i] = false;
                    }
                }
            }
        }
        let w = grad(&z);
        // The most negative gradient among the zero set enters.
        let enter = (0..k).filter(|&i| !passive[i]).min_by(|&a, &c| w[a].total_cmp(&w[c]));
        match enter {
            Some(i) if w[i] < -tol => passive[i] = true,
            _ => break,
        }
    }
    let w = grad(&z);
    let kkt = (0..k).map(|i| if z[i] > 0.0 { w[i].abs() } else { (-w[i]).max(0.0) }).fold(0.0, f64::max);
    Ok((z, kkt))
}

/// The Cholesky factor `L Lᵀ = G_P` of the Gram matrix of the passive (positive) signed columns, kept across
/// jumps and updated one column at a time ([`linalg::GrowingCholesky`]): O(k²) per change instead of a fresh
/// O(k³) factorisation per jump (as `scipy.optimize.nnls` would do).
struct ActiveFactor {
    /// Global coordinates in factor order.
    idx: Vec<usize>,
    /// Their signs.
    sign: Vec<f64>,
    /// `L`.
    chol: linalg::GrowingCholesky,
    /// The passive solution `G_P⁻¹ s⊙(Xᵀy)_P` of the factor as it is (cleared by every change): `Xᵀy` is fixed
    /// along the path, so a jump whose factor did not change reuses the last one's.
    passive: Option<Vec<f64>>,
}

impl ActiveFactor {
    fn new() -> Self {
        ActiveFactor { idx: Vec::new(), sign: Vec::new(), chol: linalg::GrowingCholesky::new(), passive: None }
    }

    /// `G_P⁻¹ s⊙(Xᵀy)_P` for the current factor (solved once per factor state).
    fn passive_solution(&mut self, xty: &[f64]) -> Vec<f64> {
        if let Some(sol) = &self.passive {
            return sol.clone();
        }
        let b: Vec<f64> = self.idx.iter().zip(&self.sign).map(|(&j, &s)| s * xty[j]).collect();
        let sol = self.solve(&b);
        self.passive = Some(sol.clone());
        sol
    }

    /// Appends coordinate `j` with sign `s`; `gram(a, b)` is the signed Gram entry of two coordinates.
    /// Returns false (and changes nothing) when the column is numerically in the span of the others.
    fn append(&mut self, j: usize, s: f64, gram: impl Fn(usize, f64, usize, f64) -> f64) -> bool {
        let (idx, sign) = (&self.idx, &self.sign);
        if !self.chol.append(|a| gram(idx[a], sign[a], j, s), gram(j, s, j, s), 1e-12) {
            return false;
        }
        self.passive = None;
        self.idx.push(j);
        self.sign.push(s);
        true
    }

    /// Removes the coordinate at position `p`.
    fn remove(&mut self, p: usize) {
        self.passive = None;
        self.chol.remove(p);
        self.idx.remove(p);
        self.sign.remove(p);
    }

    /// Solves `L Lᵀ z = b`.
    fn solve(&self, b: &[f64]) -> Vec<f64> {
        self.chol.solve(b)
    }
}

/// Lawson–Hanson on the signed active columns with a persistent [`ActiveFactor`] (its passive set is the
/// previous saddle's support). `grad_units` is `XᵀXβ − Xᵀy` at the incoming β (the caller's gradient, rescaled).
/// Writes `β` and returns `Xβ` when it formed it for this β (`None`: β is the incoming one, unchanged). Its KKT
/// residual is the caller's to compute, from the next gradient `Xᵀ(Xβ − y)` (one mat-vec it forms anyway).
fn active_set_nnls(
    factor: &mut ActiveFactor,
    active: &[usize],
    cols: &Dense,
    xty: &[f64],
    q: &[f64],
    beta: &mut [f64],
    grad_units: &[f64],
) -> Result<Option<Vec<f64>>> {
    let gram = |a: usize, sa: f64, b: usize, sb: f64| sa * sb * linalg::dot(cols.row(a), cols.row(b));
    // The active coordinates' signs: q = ±1 there.
    let signs: Vec<f64> = active.iter().map(|&j| q[j]).collect();
    let sign_of = |j: usize| (q[j].abs() == 1.0).then_some(q[j]);
    // Leave the factor: coordinates no longer active, or active with the other sign.
    let mut p = 0;
    while p < factor.idx.len() {
        if sign_of(factor.idx[p]) != Some(factor.sign[p]) {
            factor.remove(p);
        } else {
            p += 1;
        }
    }
    let scale = active.iter().map(|&j| xty[j].abs()).fold(0.0, f64::max).max(f64::MIN_POSITIVE);
    let tol = 1e-12 * scale;
    // z on the factor's coordinates (feasible start: the previous β there, clipped to ≥ 0).
    let mut z: Vec<f64> = factor.idx.iter().zip(&factor.sign).map(|(&j, &s)| (s * beta[j]).max(0.0)).collect();
    let mut blocked: Vec<usize> = Vec::new();
    let k = active.len();
    // An unchanged factor (nothing left it above) still holds the last solution, which is β: while z stays there,
    // the gradients are the caller's `grad_units` (XᵀXβ − Xᵀy at this β) and no Xβ needs forming.
    let mut at_beta = factor.passive.is_some();
    for _outer in 0..(3 * k + 10) {
        for _inner in 0..(k + 1) {
            crate::control::check()?;
            let sol = factor.passive_solution(xty);
            if sol.iter().all(|v| *v > 0.0) {
                z = sol;
                break;
            }
            at_beta = false;
            // Move towards the passive solution until a coordinate hits 0, and drop it.
            let mut step = 1.0f64;
            for (zi, si) in z.iter().zip(&sol) {
                if *si <= 0.0 {
                    let den = zi - si;
                    step = step.min(if den > 0.0 { zi / den } else { 0.0 });
                }
            }
            for (zi, si) in z.iter_mut().zip(&sol) {
                *zi += step * (si - *zi);
            }
            let mut a = 0;
            while a < z.len() {
                if z[a] <= 1e-15 * scale.max(1.0) || sol[a] <= 0.0 && z[a] <= 0.0 {
                    z.remove(a);
                    factor.remove(a);
                } else {
                    a += 1;
                }
            }
        }
        // Xβ = Σ_P z_j s_j x_j (an n-vector), then (XᵀXβ)_i on the active set only; the Gram gradient is
        // ∇_i = s_i((XᵀXβ)_i − (Xᵀy)_i).
        let xb = (!at_beta).then(|| {
            let mut xb = vec![0.0; cols.cols];
            for ((&j, &sj), &zj) in factor.idx.iter().zip(&factor.sign).zip(&z) {
                linalg::axpy(zj * sj, cols.row(j), &mut xb);
            }
            xb
        });
        // Only the active coordinates outside the factor can enter: their gradients only (usually one or two
        // n-vector dots; the saddle's KKT residual is the caller's, from its next gradient).
        let grad_a = |a: usize| -> f64 {
            signs[a]
                * match &xb {
                    None => grad_units[active[a]],
                    Some(xb) => linalg::dot(cols.row(active[a]), xb) - xty[active[a]],
                }
        };
        let mut in_factor = vec![false; xty.len()];
        for &j in &factor.idx {
            in_factor[j] = true;
        }
        let enter = (0..k)
            .filter(|&a| !in_factor[active[a]] && !blocked.contains(&active[a]))
            .map(|a| (active[a], signs[a], grad_a(a)))
            .min_by(|a, b| a.2.total_cmp(&b.2));
        match enter {
            Some((j, s, w)) if w < -tol => {
                at_beta = false;
                if factor.append(j, s, gram) {
                    z.push(0.0);
                } else {
                    // In the span of the passive columns: its gradient is zero up to rounding.
                    blocked.push(j);
                }
            }
            _ => {
                beta.iter_mut().for_each(|v| *v = 0.0);
                for ((&j, &s), &zj) in factor.idx.iter().zip(&factor.sign).zip(&z) {
                    beta[j] = s * zj;
                }
                return Ok(xb);
            }
        }
    }
    Err(Error::Numerical("saddle path: the active-set NNLS did not settle".into()))
}

/// Columns that are exact copies of each other up to sign (`x_j = ±x_i`, bit for bit): one class per
/// distinct non-zero column, as `(member, sign)` pairs with the representative first (sign +1). Zero columns
/// are classes of their own (they never move).
fn copy_classes(p: &Problem) -> Vec<Vec<(usize, f64)>> {
    let cols = p.columns();
    let mut classes: Vec<Vec<(usize, f64)>> = Vec::new();
    // Classes by the hash of their representative's bits (sign-normalised), candidates compared entry by entry.
    let mut index: std::collections::HashMap<u64, Vec<usize>> = std::collections::HashMap::new();
    let mut rep_sign: Vec<f64> = Vec::new();
    for j in 0..p.d() {
        let c = cols.row(j);
        let Some(first) = c.iter().copied().find(|v| *v != 0.0) else {
            classes.push(vec![(j, 1.0)]);
            rep_sign.push(1.0);
            continue;
        };
        let s = first.signum();
        let same = index.entry(linalg::signed_bits_hash(c, s)).or_default();
        let found = same.iter().copied().find(|&k| {
            let (r, rs) = (cols.row(classes[k][0].0), rep_sign[k]);
            r.iter().zip(c).all(|(a, b)| rs * a + 0.0 == s * b + 0.0)
        });
        match found {
            Some(k) => classes[k].push((j, s * rep_sign[k])),
            None => {
                same.push(classes.len());
                classes.push(vec![(j, s)]);
                rep_sign.push(s);
            }
        }
    }
    // Members already hold their sign relative to the representative; the representative's own is +1.
    for c in &mut classes {
        c[0].1 = 1.0;
    }
    classes
}

/// The saddle-to-saddle path of `p` (see the module notes).
///
/// Exact copies of a column (`x_j = ±x_i`) receive the same gradient up to sign from the same start, so the
/// `(u, v)` flow keeps `w_j = ±w_i` for all time: among the sign-constrained least-squares solutions of a
/// plateau it takes the one that splits the weight equally between copies. The path is computed on one
/// representative per class of copies and each representative's weight is then split equally (with its sign)
/// among the class; jump times, `q` and the certificates are those of the reduced problem, which has the
/// same residuals.
pub fn saddle_path(p: &Problem) -> Result<SaddlePath> {
    let classes = copy_classes(p);
    if classes.len() == p.d() {
        return saddle_path_distinct(p);
    }
    let x = p.x();
    let reps: Vec<usize> = classes.iter().map(|c| c[0].0).collect();
    let reduced = Problem::new(Dense::from_fn(p.n(), reps.len(), |i, k| x.get(i, reps[k])), p.y().to_vec())?;
    let mut path = saddle_path_distinct(&reduced)?;
    let d = p.d();
    for b in &mut path.saddles {
        let mut full = vec![0.0; d];
        for (k, c) in classes.iter().enumerate() {
            let share = b[k] / c.len() as f64;
            for &(j, s) in c {
                full[j] = s * share;
            }
        }
        *b = full;
    }
    for (act, sig) in path.saturated.iter_mut().zip(path.signs.iter_mut()) {
        let mut pairs: Vec<(usize, f64)> =
            act.iter().zip(sig.iter()).flat_map(|(&k, &q)| classes[k].iter().map(move |&(j, s)| (j, s * q))).collect();
        pairs.sort_by_key(|x| x.0);
        *act = pairs.iter().map(|x| x.0).collect();
        *sig = pairs.iter().map(|x| x.1).collect();
    }
    Ok(path)
}

/// The KKT residual of a saddle's sign-constrained least squares over its active block, in gradient units, from
/// `g = ∇R(β)`: `s_a g_a` vanishes on the passive set and is ≥ 0 off it. `mark` (all false, length d) is
/// scratch, returned all false.
fn saddle_kkt(g: &[f64], active: &[usize], signs: &[f64], passive: &[usize], mark: &mut [bool]) -> f64 {
    for &j in passive {
        mark[j] = true;
    }
    let kkt = active
        .iter()
        .zip(signs)
        .map(|(&j, &s)| {
            let w = s * g[j];
            if mark[j] { w.abs() } else { (-w).max(0.0) }
        })
        .fold(0.0, f64::max);
    for &j in passive {
        mark[j] = false;
    }
    kkt
}

/// The path of a design without exact copies of columns.
fn saddle_path_distinct(p: &Problem) -> Result<SaddlePath> {
    let t0 = std::time::Instant::now();
    let (n, d) = (p.n(), p.d());
    let nf = n as f64;
    let plan = GradPlan::new(p, Parallelism::Auto);
    let cols = p.columns();
    let mut xty = vec![0.0; d];
    plan.xt_mul(p.y(), &mut xty);
    let g_scale = 2.0 / nf * linalg::norm_inf(&xty);
    // Column norms: |x_iᵀx_j| ≤ ‖x_i‖‖x_j‖ bounds the terms of g for the rounding budget of q.
    let col_norm: Vec<f64> = (0..d).map(|j| linalg::norm2(cols.row(j))).collect();
    let col_norm_max = col_norm.iter().copied().fold(0.0, f64::max);
    let mut factor = ActiveFactor::new();
    let mut r = vec![0.0; n];
    let mut q = vec![0.0; d];
    let mut beta = vec![0.0; d];
    let mut times = vec![0.0];
    let mut saddles = vec![beta.clone()];
    let mut active_hist = vec![Vec::new()];
    let mut signs_hist = vec![Vec::new()];
    let mut kkts = vec![0.0];
    let mut tau = 0.0;
    let mut q_max = 0.0f64;
    let mut g = vec![0.0; d];
    let tol_g = 1e-11 * g_scale.max(f64::MIN_POSITIVE);
    // Rounding accumulated in q: each update q −= Δg adds about ε·Δ·(the magnitude of the terms of g), so the
    // snap to ±1 and the |q| ≤ 1 check allow 1e-12 plus 16ε times that sum (long paths: thousands of jumps).
    let mut drift = 0.0f64;
    let xty_inf = linalg::norm_inf(&xty);
    // The non-zeros of β (empty at β = 0).
    let mut support: Vec<usize> = Vec::new();
    let mut grad_units = vec![0.0; d];
    // Xβ for the next gradient (0 at β = 0; afterwards the NNLS's, None when β did not change), and the rounding
    // budget of q at the last saddle while its certificate waits for that gradient (its active block and signs are
    // the last of the histories, its passive set the factor's coordinates).
    let mut xb: Option<Vec<f64>> = Some(vec![0.0; n]);
    let mut pending_tol_q: Option<f64> = None;
    let mut in_passive = vec![false; d];
    for _jump in 0..(10 * d + 100) {
        crate::control::check()?;
        // g = ∇R(β) = (2/n)Xᵀ(Xβ − y): Xβ handed over by the NNLS (n per non-zero of β), then one mat-vec Xᵀr
        // (split over two cores on large problems), the only O(nd) work of a jump; the sign-constrained least
        // squares below works on the n-vectors of the columns. An unchanged β keeps r and g.
        if let Some(xb) = xb.take() {
            for ((ri, yi), bi) in r.iter_mut().zip(p.y()).zip(&xb) {
                *ri = bi - yi;
            }
            plan.xt_mul(&r, &mut g);
            for gi in g.iter_mut() {
                *gi *= 2.0 / nf;
            }
        }
        // The last saddle's certificate from this gradient: its KKT residual and |q| ≤ 1.
        if let Some(tol_q) = pending_tol_q.take() {
            let (act, sg) = (active_hist.last().map_or(&[][..], |v| v), signs_hist.last().map_or(&[][..], |v| v));
            let kkt = saddle_kkt(&g, act, sg, &factor.idx, &mut in_passive);
            kkts.push(kkt);
            let tol_kkt = 1e-9 * g_scale.max(f64::MIN_POSITIVE);
            if !(kkt <= tol_kkt) || !(q_max <= 1.0 + tol_q) {
                return Err(Error::CertificateFailed {
                    solver: "saddle path".into(),
                    detail: format!(
                        "at τ = {tau:e}: KKT residual {kkt:.3e} (tolerance {tol_kkt:.1e}), max |q| = {q_max} (tolerance 1 + {tol_q:.1e})"
                    ),
                });
            }
        }
        if linalg::norm_inf(&g) <= tol_g {
            return Ok(SaddlePath {
                times,
                saddles,
                saturated: active_hist,
                signs: signs_hist,
                kkt_residual: kkts,
                q_max,
                wall_seconds: t0.elapsed().as_secs_f64(),
            });
        }
        // The first coordinate to reach the boundary it is pushed to.
        // Branch-free over the coordinates (eight lanes of selects the compiler vectorises).
        let floor = 1e-14 * (1.0 + tau);
        let mut lanes = [f64::INFINITY; 8];
        for (k, (gi, qi)) in g.iter().zip(&q).enumerate() {
            let a = gi.abs();
            let di = (1.0 + gi.signum() * qi) / a;
            let ok = a > tol_g && di > floor && di < lanes[k % 8];
            lanes[k % 8] = if ok { di } else { lanes[k % 8] };
        }
        let delta = lanes.iter().fold(f64::INFINITY, |m, &v| if v < m { v } else { m });
        if !delta.is_finite() {
            return Err(Error::Numerical(format!(
                "saddle path: no coordinate moves at τ = {tau:e} while ‖∇R‖∞ = {:e}",
                linalg::norm_inf(&g)
            )));
        }
        tau += delta;
        let g_terms =
            2.0 / nf * (xty_inf + col_norm_max * support.iter().map(|&j| beta[j].abs() * col_norm[j]).sum::<f64>());
        drift += delta * g_terms;
        let tol_q = 1e-12 + 16.0 * f64::EPSILON * drift;
        // q −= Δg, and the coordinates that reached ±1 (within rounding) snapped, so ties join together: one
        // branch-free pass, the largest |q| in eight lanes.
        let mut qm = [q_max; 8];
        for (k, (qi, gi)) in q.iter_mut().zip(&g).enumerate() {
            let v = *qi - delta * gi;
            let snapped = if (v.abs() - 1.0).abs() <= tol_q { v.signum() } else { v };
            *qi = snapped;
            qm[k % 8] = if snapped.abs() > qm[k % 8] { snapped.abs() } else { qm[k % 8] };
        }
        q_max = qm.iter().fold(q_max, |m, &v| if v > m { v } else { m });
        let active: Vec<usize> = (0..d).filter(|&i| q[i].abs() == 1.0).collect();
        let signs: Vec<f64> = active.iter().map(|&i| q[i]).collect();
        // β = argmin R over the signed active columns: Lawson–Hanson NNLS on C = X_A diag(s), from the last
        // saddle's support, with the Cholesky factor of the passive Gram block kept and updated (ActiveFactor).
        // ∇R(β) in the NNLS' Gram units: XᵀXβ − Xᵀy = (n/2)·g.
        grad_units.iter_mut().zip(&g).for_each(|(u, gi)| *u = 0.5 * nf * gi);
        xb = active_set_nnls(&mut factor, &active, cols, &xty, &q, &mut beta, &grad_units)?;
        // β's non-zeros: the factor's coordinates (the NNLS writes β there only).
        support.clear();
        support.extend(factor.idx.iter().copied().filter(|&j| beta[j] != 0.0));
        times.push(tau);
        saddles.push(beta.clone());
        pending_tol_q = Some(tol_q);
        active_hist.push(active);
        signs_hist.push(signs);
    }
    Err(Error::Numerical(format!("saddle path: no end after {} jumps (τ = {tau:e})", 10 * d + 100)))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The saddle certificate: zero at a KKT point; an off-passive coordinate whose gradient pushes it to enter
    /// (s·g < 0) and a passive one with a non-zero gradient are both measured, and the scratch is left clean.
    #[test]
    fn saddle_kkt_measures_each_violation() {
        let mut mark = vec![false; 5];
        // Active {0, 2, 4} with signs (+, −, +); passive {0}.
        let (active, signs, passive) = ([0, 2, 4], [1.0, -1.0, 1.0], [0]);
        let at_kkt = [0.0, 9.0, -0.5, 9.0, 0.25]; // s·g = 0 on the passive one, ≥ 0 off it
        assert_eq!(saddle_kkt(&at_kkt, &active, &signs, &passive, &mut mark), 0.0);
        let wants_in = [0.0, 9.0, 0.5, 9.0, 0.25]; // coordinate 2: s·g = −0.5
        assert_eq!(saddle_kkt(&wants_in, &active, &signs, &passive, &mut mark), 0.5);
        let passive_off = [-0.75, 9.0, -0.5, 9.0, 0.25]; // the passive coordinate's gradient is not zero
        assert_eq!(saddle_kkt(&passive_off, &active, &signs, &passive, &mut mark), 0.75);
        assert!(mark.iter().all(|m| !m));
    }

    #[test]
    fn copies_of_columns_are_grouped_with_their_signs() {
        let x = Dense::from_fn(3, 5, |i, j| match j {
            2 => (i + 1) as f64,
            0 | 3 => -((i + 1) as f64),
            1 => (i * i) as f64 - 1.0,
            _ => 0.0,
        });
        let p = Problem::new(x, vec![1.0, 2.0, 3.0]).unwrap();
        let c = copy_classes(&p);
        assert_eq!(c.len(), 3, "{c:?}");
        // Column 0 = −(1, 2, 3) is the representative; column 2 is its negative, column 3 its copy.
        assert_eq!(c[0], vec![(0, 1.0), (2, -1.0), (3, 1.0)]);
        assert_eq!(c[1], vec![(1, 1.0)]);
        assert_eq!(c[2], vec![(4, 1.0)]);
    }

    #[test]
    fn nnls_against_the_unconstrained_and_the_clipped_solutions() {
        // Unconstrained solution positive: NNLS returns it.
        let g = Dense { rows: 2, cols: 2, data: vec![2.0, 0.5, 0.5, 1.0] };
        let (z, kkt) = nnls(&g, &[1.0, 1.0], &[]).unwrap();
        let want = SymFactor::new(&g).unwrap().solve(&[1.0, 1.0]);
        assert!(want.iter().all(|v| *v > 0.0) && linalg::dist2(&z, &want) < 1e-14 && kkt < 1e-14);
        // A negative unconstrained coordinate: clipped to 0, the other re-solved alone.
        let (z, kkt) = nnls(&g, &[1.0, -1.0], &[0, 1]).unwrap();
        assert!(z[1] == 0.0 && (z[0] - 0.5).abs() < 1e-15 && kkt < 1e-14, "{z:?}");
    }
}
