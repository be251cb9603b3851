//! The exact Lasso path by homotopy (LARS with the lasso modification) in the sheet's convention
//! `min R(w) + λ‖w‖₁`: every breakpoint `(λ_k, w_k)` from `λ_max = (2/n)‖Xᵀy‖_∞` down to 0; between
//! two breakpoints the path is linear.
//!
//! On the active set `A` with signs `s_A`, `w_A(λ) = G_A⁺(X_Aᵀy − (n/2)λ s_A)` with `G_A = X_AᵀX_A`.
//! Degenerate designs (duplicated, negated or collinear columns, ties) make `G_A` singular: the
//! factorisation then switches to the pseudo-inverse ([`SymFactor`]), which returns the element of the
//! solution set that is minimum-ℓ2 on the active set (equal splits over duplicated or negated columns),
//! and a column joins only while it raises the rank of `X_A`. Every breakpoint is certified (KKT violation
//! and duality gap from cached products); a path whose certificate fails is not returned as exact:
//! the caller falls back ([`super::lasso::lasso_path`]) or reports the failed check.

use super::path::{Path, PathCertificate, PathKind};
use super::penalty::{L1, duality_gap_from, kkt_from_xtr};
use crate::kernels::linalg::{self, Dense, GrowingCholesky, SymFactor};
use crate::problem::{GradPlan, Parallelism, Problem};
use crate::{Error, Result};

/// The KKT tolerance of a certified breakpoint, relative to `λ_max` (plus the rounding floor of
/// [`kkt_tolerance`]).
pub const KKT_REL: f64 = 1e-9;

/// The KKT tolerance of a Lasso point: `KKT_REL·λ_max` plus the rounding of the gradient itself,
/// `1e3·ε·(2/n)·σ_max·‖y‖` (which dominates only when `λ_max` is at rounding level).
pub fn kkt_tolerance(p: &Problem, lambda_max: f64) -> f64 {
    let smax = p.sigma().first().copied().unwrap_or(0.0);
    KKT_REL * lambda_max + 1e3 * f64::EPSILON * 2.0 / p.n() as f64 * smax * linalg::norm2(p.y())
}

/// The homotopy's end state: the path, and the active set and signs of its last segment (for basis
/// pursuit: as λ → 0 on that segment, `μ = X_A G_A⁺ s_A` is a dual certificate with `‖Xᵀμ‖_∞ ≤ 1`).
pub struct Homotopy {
    /// The path (breakpoints, λ decreasing).
    pub path: Path,
    /// Active set of the last segment.
    pub active: Vec<usize>,
    /// Signs of the last segment.
    pub signs: Vec<f64>,
    /// Whether some active Gram matrix was numerically singular (a degenerate design).
    pub degenerate: bool,
}

/// The exact Lasso path (breakpoints); fails with the failed certificate if a breakpoint does not pass
/// its KKT check (see [`super::lasso::lasso_path`] for the version that falls back).
pub fn lasso_homotopy(p: &Problem) -> Result<Path> {
    let h = homotopy(p)?;
    certified(p, &h.path)?;
    Ok(h.path)
}

/// Checks every breakpoint's KKT violation against [`kkt_tolerance`].
pub fn certified(p: &Problem, path: &Path) -> Result<()> {
    match first_uncertified(p, path) {
        Some(k) => Err(Error::CertificateFailed {
            solver: "Lasso homotopy".into(),
            detail: format!(
                "at λ = {:e} the KKT violation is {:.3e} > {:.3e} ({:.0e}·λ_max and the rounding floor)",
                path.lambdas[k],
                path.certificates[k].kkt_violation,
                kkt_tolerance(p, path.lambdas.first().copied().unwrap_or(0.0)),
                KKT_REL
            ),
        }),
        None => Ok(()),
    }
}

/// The first breakpoint whose KKT violation exceeds [`kkt_tolerance`] (the exact part of the path ends before it).
pub fn first_uncertified(p: &Problem, path: &Path) -> Option<usize> {
    let tol = kkt_tolerance(p, path.lambdas.first().copied().unwrap_or(0.0));
    path.certificates.iter().position(|c| !(c.kkt_violation <= tol))
}

/// Runs the homotopy to λ = 0 (see the module notes).
pub fn homotopy(p: &Problem) -> Result<Homotopy> {
    let t0 = std::time::Instant::now();
    let (n, d) = (p.n(), p.d());
    let nf = n as f64;
    let rank = p.rank();
    let plan = GradPlan::new(p, Parallelism::Auto);
    let mut xty = vec![0.0; d];
    plan.xt_mul(p.y(), &mut xty);
    let lmax = 2.0 * linalg::norm_inf(&xty) / nf;
    let mut lambdas = vec![lmax];
    let mut coefs = vec![vec![0.0; d]];
    let empty = |path| Homotopy { path, active: vec![], signs: vec![], degenerate: false };
    if lmax == 0.0 {
        return Ok(empty(finish(p, lambdas, coefs, vec![], t0)));
    }
    let mut lam = lmax;
    let mut w = vec![0.0; d];
    // Two correlations within this of λ (relative to λ_max) are tied; events closer than it coincide.
    let tie = 1e-11;
    let mut degenerate = false;
    let cols = p.columns();
    let mut r = Vec::with_capacity(n);
    let mut certs: Vec<PathCertificate> = Vec::new();
    let mut join_p = vec![f64::INFINITY; d];
    let mut join_m = vec![f64::INFINITY; d];
    let mut active: Vec<usize> = Vec::new();
    let mut signs: Vec<f64> = Vec::new();
    // Whether the previous segment's X_A already had the rank of X (then no column joins; reset by a leave).
    let mut full_rank = false;
    let mut xtx = XtxCache::new(d);
    // The Cholesky factor of the last segment's G_A, in the order of `active` (absent when it was singular).
    let mut kept: Option<GrowingCholesky> = None;
    for _ in 0..(20 * d + 100) {
        crate::control::check()?;
        // The correlations c = (2/n)Xᵀ(y − Xw) at this breakpoint, and its certificate. The support keeps the
        // order of the last active set (w is zero off it), so that its factor is updated, not rebuilt.
        let mut support: Vec<usize> = active.iter().copied().filter(|&j| w[j] != 0.0).collect();
        if support.len() != w.iter().filter(|&&v| v != 0.0).count() {
            support = (0..d).filter(|&j| w[j] != 0.0).collect();
        }
        for &j in &support {
            xtx.ensure(&plan, cols, j);
        }
        let (xtr, cert) = cached_certificate(p, &xty, &xtx, &support, &w, lam, &mut r);
        let c: Vec<f64> = xtr.iter().map(|v| v * 2.0 / nf).collect();
        certs.push(cert);
        // The equicorrelation set: the support (which must stay active, with the signs of w) and the
        // variables at zero whose |c_j| is at λ (tied: each may enter or not).
        let must_signs: Vec<f64> = support.iter().map(|&j| w[j].signum()).collect();
        let optional: Vec<usize> = if full_rank {
            Vec::new()
        } else {
            (0..d).filter(|&j| w[j] == 0.0 && c[j].abs() >= lam - tie * lmax && c[j] != 0.0).collect()
        };
        let opt_signs: Vec<f64> = optional.iter().map(|&j| c[j].signum()).collect();
        for &j in &optional {
            xtx.ensure(&plan, cols, j);
        }
        // Which of the tied variables enter: the subset whose direction keeps every sign and every other
        // tied correlation inside [−λ, λ] (a linear complementarity problem on the tied set; see `direction`).
        let dir = direction(&xtx, (&active, kept.take()), (&support, &must_signs), &optional, &opt_signs, nf)?;
        active = dir.active;
        signs = dir.signs;
        let (fac, v, a) = (dir.fac, dir.v, dir.a);
        degenerate |= fac.degenerate();
        full_rank = fac.rank() >= rank;
        // Joining times, branch-free over all variables so that the divisions vectorise:
        // Δ⁺_j = (λ − c_j)/(1 − a_j) (enters with sign +1), Δ⁻_j = (λ + c_j)/(1 + a_j) (sign −1);
        // INFINITY where there is no event. A join at Δ ≈ λ is the 0/0 of a path that already
        // interpolates: not an event. A column joins only while X_A has not reached the rank of X.
        let lam_cut = lam * (1.0 - 1e-9);
        let joinable = !full_rank;
        for j in 0..d {
            let (dp, dm) = (1.0 - a[j], 1.0 + a[j]);
            let tp = ((lam - c[j]) / dp).max(0.0);
            let tm = ((lam + c[j]) / dm).max(0.0);
            join_p[j] = if joinable && dp > 1e-14 && tp < lam_cut { tp } else { f64::INFINITY };
            join_m[j] = if joinable && dm > 1e-14 && tm < lam_cut { tm } else { f64::INFINITY };
        }
        for &j in &active {
            join_p[j] = f64::INFINITY;
            join_m[j] = f64::INFINITY;
        }
        // A tied variable that stays out leaves its own boundary at once (s_j a_j ≥ 1): it has no event
        // there, only at the opposite boundary.
        for (&j, &sj) in optional.iter().zip(&opt_signs) {
            if !active.contains(&j) {
                if sj > 0.0 {
                    join_p[j] = f64::INFINITY;
                } else {
                    join_m[j] = f64::INFINITY;
                }
            }
        }
        let mut step = lam; // Δ to λ = 0
        let mut leave_events: Vec<(f64, usize)> = Vec::new();
        for (kk, &j) in active.iter().enumerate() {
            if v[kk] != 0.0 && w[j] != 0.0 {
                let dl = -w[j] / v[kk];
                if dl > 0.0 {
                    leave_events.push((dl, j));
                }
            }
        }
        let min_join = join_p.iter().chain(join_m.iter()).copied().fold(f64::INFINITY, f64::min);
        let min_ev = leave_events.iter().map(|e| e.0).fold(min_join, f64::min);
        // Events below 1e-11·λ_max are rounding artefacts of a path that already interpolates on its
        // active set: go straight to λ = 0.
        if min_ev < step && lam - min_ev > 1e-11 * lmax {
            step = min_ev;
        }
        let new_lam = (lam - step).max(0.0);
        // w on the current active set at the new λ (no drift): G_A w_A = X_Aᵀy − (n/2)λ s_A.
        let rhs_w: Vec<f64> = active.iter().zip(&signs).map(|(&j, s)| xty[j] - 0.5 * nf * new_lam * s).collect();
        let wa = fac.solve(&rhs_w);
        kept = match fac {
            SymFactor::Cholesky(f) => Some(f),
            SymFactor::Pinv { .. } => None,
        };
        for (kk, &j) in active.iter().enumerate() {
            w[j] = wa[kk];
        }
        // Variables whose leave event coincides with this step reach zero exactly here.
        let thresh = step + tie * lmax;
        for e in leave_events.iter().filter(|e| e.0 <= thresh) {
            w[e.1] = 0.0;
            full_rank = false;
        }
        // A variable that entered at this breakpoint with a zero rate, or that rounding pushed past zero
        // against its sign, is at zero.
        for (&j, &sj) in active.iter().zip(&signs) {
            if w[j] * sj < 0.0 && w[j].abs() <= 1e-12 * linalg::norm_inf(&w).max(f64::MIN_POSITIVE) {
                w[j] = 0.0;
            }
        }
        lam = new_lam;
        if lam <= 0.0 || !step.is_finite() {
            let support: Vec<usize> = (0..d).filter(|&j| w[j] != 0.0).collect();
            certs.push(cached_certificate(p, &xty, &xtx, &support, &w, 0.0, &mut r).1);
            lambdas.push(0.0);
            coefs.push(w.clone());
            break;
        }
        lambdas.push(lam);
        coefs.push(w.clone());
        if w.iter().all(|&x| x == 0.0) && lam < lmax * (1.0 - tie) {
            return Err(Error::Numerical(format!("Lasso homotopy: the solution returned to 0 at λ = {lam:e}")));
        }
    }
    if lambdas.last() != Some(&0.0) {
        return Err(Error::Numerical(format!(
            "Lasso homotopy: no end after {} breakpoints (λ = {lam:e}); the design may be too degenerate",
            lambdas.len()
        )));
    }
    Ok(Homotopy { path: finish(p, lambdas, coefs, certs, t0), active, signs, degenerate })
}

/// `Xᵀx_j` for every variable that has been a candidate, computed once (indexed by `j`): the active Gram
/// matrix is read off them, and both products of a breakpoint cost `d·|A|` instead of `n·d`.
struct XtxCache {
    cols: Vec<Option<Vec<f64>>>,
}

impl XtxCache {
    fn new(d: usize) -> Self {
        XtxCache { cols: vec![None; d] }
    }

    fn ensure(&mut self, plan: &GradPlan, xt: &Dense, j: usize) {
        let d = self.cols.len();
        self.cols[j].get_or_insert_with(|| {
            let mut col = vec![0.0; d];
            plan.xt_mul(xt.row(j), &mut col);
            col
        });
    }

    /// `Xᵀx_j` (ensured before use).
    fn get(&self, j: usize) -> &[f64] {
        self.cols[j].as_deref().expect("Xᵀx_j is cached before it is read")
    }

    fn d(&self) -> usize {
        self.cols.len()
    }
}

/// The direction of a segment: its active set and signs, the factor of `G_A`, the rate `v = dw_A/d(−λ)`
/// and `a = (2/n)XᵀX_A v` (the rate at which the correlations change as λ decreases).
struct Direction {
    active: Vec<usize>,
    signs: Vec<f64>,
    fac: SymFactor,
    v: Vec<f64>,
    a: Vec<f64>,
}

/// The most tied variables whose entering subsets are searched exhaustively (2^m subsets).
const MAX_TIED: usize = 14;

/// Chooses which tied variables enter (Efron et al. 2004's lasso modification, with ties resolved exactly).
///
/// Rule when the Lasso solution is not unique (columns not in general position): the active columns stay
/// linearly independent up to exact copies, which share equally.
///
/// The support `must` stays active with the signs of `w`. Each variable of `optional` sits at zero with
/// `|c_j| = λ` and sign `s_j`. A subset `S` of them is a valid choice when, with `A = must ∪ S` and
/// `v = (n/2)G_A⁺s_A`, (i) `(2/n)G_A v = s_A` (the active correlations all move with λ), (ii) `s_j v_j ≥ 0` on
/// `S` (an entering variable moves away from zero with its sign) and (iii) `s_j a_j ≥ 1` off `S` (a variable
/// left out does not cross λ). These are the complementarity conditions of the one-sided derivative of the
/// Lasso path; in general position exactly one subset satisfies them. Subsets are tried largest first (with
/// duplicated columns several are valid, and the largest gives the minimum-ℓ2 split); none valid, or more
/// than [`MAX_TIED`] tied variables with the full set invalid, is an error (the caller falls back).
fn direction(
    xtx: &XtxCache,
    (last, kept): (&[usize], Option<GrowingCholesky>),
    (must, must_signs): (&[usize], &[f64]),
    optional: &[usize],
    opt_signs: &[f64],
    nf: f64,
) -> Result<Direction> {
    let d = xtx.d();
    let m = optional.len();
    let mut masks: Vec<u32> =
        if m <= MAX_TIED { (0..(1u32 << m)).collect() } else { vec![u32::MAX >> (32 - m.min(32))] };
    masks.sort_by_key(|mask| std::cmp::Reverse(mask.count_ones()));
    // The factor of G_must: the last segment's (`kept`, in the order of its active set `last`) with the coordinates
    // that left removed (`must` is `last` minus those, in its order), else built from scratch; None when its
    // Cholesky factorisation fails.
    let from_kept = kept.and_then(|mut f| {
        let mut gone = Vec::new();
        let mut next = 0;
        for (pos, &j) in last.iter().enumerate() {
            if next < must.len() && must[next] == j {
                next += 1;
            } else {
                gone.push(pos);
            }
        }
        (next == must.len()).then(|| {
            for &pos in gone.iter().rev() {
                f.remove(pos);
            }
            f
        })
    });
    let base = from_kept.or_else(|| {
        let mut f = GrowingCholesky::new();
        must.iter().all(|&j| f.append(|a| xtx.get(j)[must[a]], xtx.get(j)[j], SymFactor::PIVOT)).then_some(f)
    });
    let mut last_err = String::new();
    for mask in masks {
        let mut active: Vec<usize> = must.to_vec();
        let mut signs: Vec<f64> = must_signs.to_vec();
        let mut chol = base.clone();
        for (i, (&j, &sj)) in optional.iter().zip(opt_signs).enumerate() {
            if m > MAX_TIED || mask & (1 << i) != 0 {
                if let Some(f) = chol.as_mut()
                    && !f.append(|a| xtx.get(j)[active[a]], xtx.get(j)[j], SymFactor::PIVOT)
                {
                    chol = None;
                }
                active.push(j);
                signs.push(sj);
            }
        }
        if active.is_empty() {
            continue;
        }
        let k = active.len();
        let fac = match chol {
            Some(f) => SymFactor::Cholesky(f),
            None => SymFactor::new(&Dense::from_fn(k, k, |x, y| xtx.get(active[y])[active[x]]))?,
        };
        // The active columns stay linearly independent, except for exact copies (x_j = ±x_i), which enter
        // together and share the weight equally (the pseudo-inverse's minimum-ℓ2 split): a subset whose
        // Gram matrix is singular for any other reason is a face of the solution set, not a new direction.
        if fac.rank() < k && fac.rank() < distinct_columns(&active, xtx) {
            last_err = "the tied columns are linearly dependent".into();
            continue;
        }
        let rhs: Vec<f64> = signs.iter().map(|s| 0.5 * nf * s).collect();
        let v = fac.solve(&rhs);
        let mut a = vec![0.0; d];
        let terms: Vec<(f64, &[f64])> = active.iter().zip(&v).map(|(&j, &vk)| (2.0 / nf * vk, xtx.get(j))).collect();
        linalg::axpy_many(&terms, &mut a);
        let tol = 1e-9;
        // (i) consistency: the active correlations move at rate 1 with λ.
        let incons = active.iter().zip(&signs).map(|(&j, s)| (a[j] - s).abs()).fold(0.0, f64::max);
        // (ii) entering variables move with their signs.
        let vmax = v.iter().map(|x| x.abs()).fold(0.0, f64::max);
        let wrong_sign =
            signs[must.len()..].iter().zip(&v[must.len()..]).map(|(s, vj)| (-s * vj).max(0.0)).fold(0.0, f64::max);
        // (iii) left-out tied variables stay inside.
        let crossing = optional
            .iter()
            .zip(opt_signs)
            .filter(|(j, _)| !active.contains(j))
            .map(|(&j, s)| (1.0 - s * a[j]).max(0.0))
            .fold(0.0, f64::max);
        if incons <= tol && wrong_sign <= tol * vmax.max(f64::MIN_POSITIVE) && crossing <= tol {
            return Ok(Direction { active, signs, fac, v, a });
        }
        last_err =
            format!("active-rate mismatch {incons:.1e}, wrong-sign rate {wrong_sign:.1e}, crossing {crossing:.1e}");
    }
    Err(Error::Numerical(format!(
        "Lasso homotopy: no direction keeps the KKT conditions on the {m} tied variables ({last_err})"
    )))
}

/// How many of `active` are distinct up to sign: exact copies `x_j = ±x_i` have `Xᵀx_j = ±Xᵀx_i` bit for bit
/// (the same products of the same numbers; negation is exact).
fn distinct_columns(active: &[usize], xtx: &XtxCache) -> usize {
    let mut reps: Vec<&[f64]> = Vec::new();
    for &j in active {
        let c = xtx.get(j);
        let copy = reps
            .iter()
            .any(|r| r.iter().zip(c.iter()).all(|(a, b)| a == b) || r.iter().zip(c.iter()).all(|(a, b)| *a == -b));
        if !copy {
            reps.push(c);
        }
    }
    reps.len()
}

/// `Xᵀ(y − Xw) = Xᵀy − Σ_A w_j Xᵀx_j` from the homotopy's cached products (`w` vanishes off the active
/// set `A`), and the certificate of `(w, λ)`; `r` receives `y − Xw`.
fn cached_certificate(
    p: &Problem,
    xty: &[f64],
    xtx: &XtxCache,
    active: &[usize],
    w: &[f64],
    lam: f64,
    r: &mut Vec<f64>,
) -> (Vec<f64>, PathCertificate) {
    let mut xtr = xty.to_vec();
    let terms: Vec<(f64, &[f64])> = active.iter().filter(|&&j| w[j] != 0.0).map(|&j| (-w[j], xtx.get(j))).collect();
    linalg::axpy_many(&terms, &mut xtr);
    sparse_residual(p, w, r);
    let l1 = L1 { positive: false };
    let cert = PathCertificate {
        kkt_violation: kkt_from_xtr(&l1, p.n(), &xtr, w, lam),
        duality_gap_abs: duality_gap_from(&l1, p, r, &xtr, w, lam),
    };
    (xtr, cert)
}

/// `r = y − Xw` using only the non-zeros of `w`.
pub(crate) fn sparse_residual(p: &Problem, w: &[f64], r: &mut Vec<f64>) {
    let xt = p.columns();
    r.clear();
    r.extend_from_slice(p.y());
    for (j, &wj) in w.iter().enumerate() {
        if wj != 0.0 {
            linalg::axpy(-wj, xt.row(j), r);
        }
    }
}

/// Assembles the path.
fn finish(
    p: &Problem,
    lambdas: Vec<f64>,
    coefs: Vec<Vec<f64>>,
    mut certificates: Vec<PathCertificate>,
    t0: std::time::Instant,
) -> Path {
    for k in certificates.len()..lambdas.len() {
        let mut r = Vec::with_capacity(p.n());
        sparse_residual(p, &coefs[k], &mut r);
        let mut xtr = vec![0.0; p.d()];
        p.xt_mul(&r, &mut xtr);
        let l1 = L1 { positive: false };
        certificates.push(PathCertificate {
            kkt_violation: kkt_from_xtr(&l1, p.n(), &xtr, &coefs[k], lambdas[k]),
            duality_gap_abs: duality_gap_from(&l1, p, &r, &xtr, &coefs[k], lambdas[k]),
        });
    }
    Path {
        kind: PathKind::Lasso,
        lambdas,
        coefs,
        certificates,
        method: "homotopy (LARS-lasso), exact breakpoints".into(),
        wall_seconds: t0.elapsed().as_secs_f64(),
    }
}
