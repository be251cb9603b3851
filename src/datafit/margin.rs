//! Margin losses `F(w) = (1/n)Σ ℓ(mᵢ)`, `mᵢ = yᵢ⟨xᵢ, w⟩`, labels `yᵢ ∈ {−1, +1}` (SPEC §11): the logistic loss
//! `ℓ(m) = ln(1 + e^{−m})` and the exponential loss `ℓ(m) = e^{−m}`. Gradient `∇F = (1/n)Σ ℓ'(mᵢ)yᵢxᵢ`.
//!
//! Curvature: `ℓ'' ≤ ℓ` for both (logistic: `e^{−m}/(1+e^{−m})² ≤ e^{−m}/(1+e^{−m}) ≤ ln(1+e^{−m})`), and a move of
//! every margin by at most 1 multiplies `ℓ` by at most `e` (`ln(1 + e·z) ≤ e·ln(1 + z)`), so on the trust region
//! `|⟨xᵢ, Δw⟩| ≤ 1`: `vᵀ∇²F v ≤ e·F(w)·maxᵢ‖xᵢ‖_*²·‖v‖²`. The logistic loss is also globally smooth
//! (`ℓ'' ≤ 1/4`): `vᵀ∇²F v ≤ σ_max²/(4n)·‖v‖²`.

use super::{Datafit, LossKind, StepNorm, row_norm_max};
use crate::kernels::{fastmath, linalg};
use crate::problem::Problem;
use crate::{Error, Result};
use std::marker::PhantomData;

/// One margin loss `ℓ`.
pub trait MarginFn: Send + Sync + 'static {
    /// Which loss.
    const KIND: LossKind;
    /// `sup ℓ''` when finite (global smoothness).
    const SUP_CURVATURE: Option<f64>;
    /// `ℓ(m)`, accurate for large `|m|`.
    fn loss(m: f64) -> f64;
    /// `ℓ'(m)`.
    fn dloss(m: f64) -> f64;
    /// `(ℓ(m), ℓ'(m))` together (one exponential where they share it).
    #[inline]
    fn loss_dloss(m: f64) -> (f64, f64) {
        (Self::loss(m), Self::dloss(m))
    }
}

/// `ℓ(m) = ln(1 + e^{−m})`.
pub struct Logistic;
/// `ℓ(m) = e^{−m}`.
pub struct Exponential;

impl MarginFn for Logistic {
    const KIND: LossKind = LossKind::Logistic;
    const SUP_CURVATURE: Option<f64> = Some(0.25);
    #[inline]
    fn loss(m: f64) -> f64 {
        Logistic::both(m).0
    }
    #[inline]
    fn loss_dloss(m: f64) -> (f64, f64) {
        Logistic::both(m)
    }
    #[inline]
    fn dloss(m: f64) -> f64 {
        Logistic::both(m).1
    }
}

impl Logistic {
    /// `(ℓ(m), ℓ'(m))` from one `e = e^{−|m|}`: `ℓ = max(−m, 0) + ln1p(e)`, `ℓ' = −e/(1 + e)` (`m > 0`) or
    /// `−1/(1 + e)` — without overflow for any `m`, and branch-free (selects, and `kernels::fastmath`'s
    /// exponential and `ln(1 + z)` on `[0, 1]`), so that a loop over margins vectorises.
    #[inline(always)]
    fn both(m: f64) -> (f64, f64) {
        let e = fastmath::exp(-m.abs());
        let l = (-m).max(0.0) + fastmath::ln1p_unit(e);
        let num = if m > 0.0 { e } else { 1.0 };
        (l, -num / (1.0 + e))
    }
}

impl MarginFn for Exponential {
    const KIND: LossKind = LossKind::Exponential;
    const SUP_CURVATURE: Option<f64> = None;
    #[inline]
    fn loss(m: f64) -> f64 {
        fastmath::exp(-m)
    }
    #[inline]
    fn dloss(m: f64) -> f64 {
        -fastmath::exp(-m)
    }
}

/// `ln ℓ(m)` of a margin loss (NaN for least squares), accurate where `ℓ(m)` itself underflows (`m > 745`): the log-domain loss of flows run to
/// `t = 1e300` (SPEC §11).
pub fn ln_loss(kind: LossKind, m: f64) -> f64 {
    match kind {
        LossKind::Exponential => -m,
        // ln ln(1 + z) = −m + ln(ln1p(z)/z), z = e^{−m}, and ln(ln1p(z)/z) = −z/2 + O(z²) (< 1e-26 at m > 30;
        // the ratio itself is 0/0 once z underflows, beyond m = 745).
        LossKind::Logistic if m > 30.0 => -m - 0.5 * (-m).exp(),
        LossKind::Logistic => Logistic::loss(m).ln(),
        LossKind::LeastSquares => f64::NAN,
    }
}

/// `−e^s·ℓ'(m) ≥ 0` of a margin loss (NaN for least squares) without forming `e^s` (which overflows beyond `s = 709`) or `ℓ'(m)` (which underflows):
/// the gradient coefficient of a flow in log time `s` (SPEC §11).
pub fn scaled_neg_dloss(kind: LossKind, m: f64, s: f64) -> f64 {
    match kind {
        LossKind::Exponential => (s - m).exp(),
        // −ℓ'(m) = 1/(1 + e^m) = e^{−m}/(1 + e^{−m}).
        LossKind::Logistic if m > 0.0 => (s - m).exp() / (1.0 + (-m).exp()),
        LossKind::Logistic => (s - m.exp().ln_1p()).exp(),
        LossKind::LeastSquares => f64::NAN,
    }
}

/// Checks that every label is `−1` or `+1` (`what` names the loss or the solver in the message).
pub fn separable_labels(p: &Problem, what: &str) -> Result<()> {
    if let Some(i) = p.y().iter().position(|&v| v != 1.0 && v != -1.0) {
        return Err(Error::Data(format!(
            "{what} needs labels −1 or +1 in the last column; row {} has y = {}",
            i + 1,
            crate::error::num(p.y()[i])
        )));
    }
    Ok(())
}

/// `(1/n)Σ ℓ(yᵢ⟨xᵢ, w⟩)`.
pub struct Margin<'a, L: MarginFn> {
    p: &'a Problem,
    /// `maxᵢ‖xᵢ‖₂`, `maxᵢ‖xᵢ‖₁`, `maxᵢ‖xᵢ‖_∞`.
    b2: f64,
    b1: f64,
    binf: f64,
    /// Global bounds (logistic): `σ_max²/(4n)`, `Σᵢ‖xᵢ‖₁²/(4n)` and `max_j‖X_{:,j}‖₂²/(4n)`.
    global_l2: f64,
    global_linf: f64,
    global_l1: f64,
    g0_inf: f64,
    _loss: PhantomData<L>,
}

impl<'a, L: MarginFn> Margin<'a, L> {
    /// The loss on `p`; errors when a label is not ±1.
    pub fn new(p: &'a Problem) -> Result<Self> {
        separable_labels(p, &format!("the {} loss", L::KIND))?;
        let n = p.n() as f64;
        let smax = p.sigma().first().copied().unwrap_or(0.0);
        let rows1: f64 = (0..p.n()).map(|i| linalg::norm1(p.x().row(i)).powi(2)).sum();
        let (global_l2, global_linf, global_l1) = match L::SUP_CURVATURE {
            Some(c) => (c * smax * smax / n, c * rows1 / n, c * super::col_norm2_max_sq(p) / n),
            None => (f64::INFINITY, f64::INFINITY, f64::INFINITY),
        };
        let mut g0 = vec![0.0; p.d()];
        p.xt_mul(p.y(), &mut g0);
        let g0_inf = -L::dloss(0.0) * linalg::norm_inf(&g0) / n;
        Ok(Margin {
            p,
            b2: row_norm_max(p, StepNorm::L2),
            b1: row_norm_max(p, StepNorm::Linf),
            binf: row_norm_max(p, StepNorm::L1),
            global_l2,
            global_linf,
            global_l1,
            g0_inf,
            _loss: PhantomData,
        })
    }

    /// The margins `mᵢ = yᵢ⟨xᵢ, w⟩` into `m`.
    #[inline]
    fn margins(&self, w: &[f64], m: &mut [f64]) {
        self.p.x().mul_vec(w, m);
        for (mi, yi) in m.iter_mut().zip(self.p.y()) {
            *mi *= yi;
        }
    }
}

impl<L: MarginFn> Datafit for Margin<'_, L> {
    fn kind(&self) -> LossKind {
        L::KIND
    }
    fn problem(&self) -> &Problem {
        self.p
    }
    fn value_grad(&self, w: &[f64], scratch: &mut [f64], g: &mut [f64]) -> f64 {
        // One pass over X in chunks of up to 64 rows (at most ~32 KiB of X, so a chunk is still in cache when it is
        // read the second time): the chunk's margins, eight rows at a time; its losses and derivatives in one
        // branch-free loop the compiler vectorises; then its share of the gradient. `scratch` keeps the
        // coefficients ℓ'(mᵢ)yᵢ/n.
        const MAX: usize = 64;
        let (x, y) = (self.p.x(), self.p.y());
        let (rows, d) = (x.rows, x.cols);
        let inv_n = 1.0 / rows as f64;
        let chunk = ((32_768 / d.max(1)) / 8 * 8).clamp(8, MAX);
        g.iter_mut().for_each(|v| *v = 0.0);
        let (mut value, mut m, mut l) = (0.0, [0.0; MAX], [0.0; MAX]);
        let mut i = 0;
        while i < rows {
            let len = chunk.min(rows - i);
            let blocks = len / 8 * 8;
            for k in (0..blocks).step_by(8) {
                let o = linalg::dot8(&x.data[(i + k) * d..(i + k + 8) * d], w);
                m[k..k + 8].copy_from_slice(&o);
            }
            for k in blocks..len {
                m[k] = linalg::dot(x.row(i + k), w);
            }
            let (yc, c) = (&y[i..i + len], &mut scratch[i..i + len]);
            for (((ck, lk), &mk), &yk) in c.iter_mut().zip(&mut l[..len]).zip(&m[..len]).zip(yc) {
                let (lv, dl) = L::loss_dloss(mk * yk);
                *lk = lv;
                *ck = dl * yk * inv_n;
            }
            value += l[..len].iter().sum::<f64>();
            for k in (0..blocks).step_by(8) {
                let ck: &[f64; 8] = c[k..k + 8].try_into().unwrap();
                linalg::axpy8(&x.data[(i + k) * d..(i + k + 8) * d], ck, g);
            }
            for k in blocks..len {
                linalg::axpy(c[k], x.row(i + k), g);
            }
            i += len;
        }
        value * inv_n
    }
    fn value(&self, w: &[f64], scratch: &mut [f64]) -> f64 {
        self.margins(w, scratch);
        scratch.iter().map(|&m| L::loss(m)).sum::<f64>() / self.p.n() as f64
    }
    fn batch_coefs(&self, w: &[f64], rows: &[usize], _noise: &[f64], c: &mut Vec<f64>) -> f64 {
        c.clear();
        let mut value = 0.0;
        let b = rows.len().max(1) as f64;
        for &i in rows {
            let m = self.p.y()[i] * linalg::dot(self.p.x().row(i), w);
            value += L::loss(m);
            c.push(L::dloss(m) * self.p.y()[i] / b);
        }
        value / b
    }
    fn value_at_zero(&self) -> f64 {
        L::loss(0.0)
    }
    fn grad_zero_inf(&self) -> f64 {
        self.g0_inf
    }
    fn curvature(&self, value: f64, norm: StepNorm) -> f64 {
        let e = std::f64::consts::E;
        match norm {
            StepNorm::L2 => self.global_l2.min(e * value * self.b2 * self.b2),
            StepNorm::Linf => self.global_linf.min(e * value * self.b1 * self.b1),
            StepNorm::L1 => self.global_l1.min(e * value * self.binf * self.binf),
        }
    }
    fn trust_scale(&self, norm: StepNorm) -> Option<f64> {
        Some(match norm {
            StepNorm::L2 => self.b2,
            StepNorm::Linf => self.b1,
            StepNorm::L1 => self.binf,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The log-domain loss against the direct formulas where those are representable, and its asymptote
    /// `−m` where `ℓ(m)` underflows; the scaled derivative against `−e^s ℓ'(m)` (relative 1e-14) and finite where
    /// `e^s` alone would overflow.
    #[test]
    fn the_log_domain_loss_matches_the_direct_formulas_and_extends_them() {
        for kind in [LossKind::Logistic, LossKind::Exponential] {
            type F = fn(f64) -> f64;
            let (l, dl): (F, F) = match kind {
                LossKind::Logistic => (Logistic::loss, Logistic::dloss),
                _ => (Exponential::loss, Exponential::dloss),
            };
            for m in [-50.0, -1.0, 0.0, 0.5, 1.0, 29.0, 30.5, 100.0, 700.0] {
                let direct = l(m).ln();
                assert!((ln_loss(kind, m) - direct).abs() <= 1e-14 * direct.abs().max(1.0), "{kind} m = {m}");
                for s in [0.0f64, 3.0, 50.0] {
                    let d = -s.exp() * dl(m);
                    let got = scaled_neg_dloss(kind, m, s);
                    assert!((got - d).abs() <= 1e-14 * d.abs(), "{kind} m = {m}, s = {s}: {got} vs {d}");
                }
            }
            // Beyond underflow: ℓ(800) = 0 in floating point, its logarithm is −800; e^{800 − 790} is finite.
            assert!((ln_loss(kind, 800.0) + 800.0).abs() <= 1e-12);
            assert!((ln_loss(kind, 1e5) + 1e5).abs() <= 1e-9);
            let v = scaled_neg_dloss(kind, 800.0, 790.0);
            assert!((v - (-10f64).exp()).abs() <= 1e-14 * v, "{v}");
        }
        assert!(ln_loss(LossKind::LeastSquares, 1.0).is_nan());
        // The vectorised logistic loss and derivative against the standard library's `exp`/`ln_1p` forms over
        // margins from −800 to 800 (every branch, overflow of e^{|m|} included): relative 1e-15 (a few ulp of
        // each of `fastmath::exp`, `fastmath::ln1p_unit`, one division and one addition).
        let reference = |m: f64| {
            let l = if m > 0.0 { (-m).exp().ln_1p() } else { -m + m.exp().ln_1p() };
            let dl = if m > 0.0 { -(-m).exp() / (1.0 + (-m).exp()) } else { -1.0 / (1.0 + m.exp()) };
            (l, dl)
        };
        let mut ms = vec![-800.0, -40.0, -1.0, -1e-9, 0.0, 1e-9, 0.7, 35.0, 700.0, 744.0, 800.0];
        ms.extend((0..4001).map(|k| -40.0 + 0.02 * k as f64));
        for m in ms {
            let (l, dl) = Logistic::loss_dloss(m);
            let (a, b) = reference(m);
            assert!((l - a).abs() <= 1e-15 * a.abs() && (dl - b).abs() <= 1e-15 * b.abs(), "m = {m}: {l} {a} {dl} {b}");
            assert_eq!((Logistic::loss(m), Logistic::dloss(m)), (l, dl));
            let (e, de) = (Exponential::loss(m), Exponential::dloss(m));
            if m > -709.0 {
                assert!((e - (-m).exp()).abs() <= 1e-15 * e && de == -e, "m = {m}");
            }
        }
    }
}
