//! Exact estimation risks of spectral estimators (SPEC §9; Ali, Kolter & Tibshirani, AISTATS 2019): for
//! `y = Xw* + σε`, an estimator `ŵ = V diag(f(sᵢ)/sᵢ) Vᵀ Xᵀy/n` with eigenvalues `sᵢ` of `XᵀX/n` has
//! `E‖ŵ − w*‖² = Σᵢ (1 − f(sᵢ))²(vᵢᵀw*)² + f(sᵢ)²σ²/(n sᵢ) + ‖P_null w*‖²`. Ridge at λ is `f(s) = s/(s + λ)`,
//! the gradient flow at time t from 0 is `f(s) = 1 − e^{−2st}` (the sheet's `R = (1/n)‖Xw − y‖²`). With
//! `x = 2st` and `λ = 1/(2t)`, componentwise the bias ratio is `(e^{−x}(1 + x))² ≤ 1` and the variance ratio
//! `((1 − e^{−x})(1 + x)/x)² ≤ C = 1.6859…` (at `x ≈ 1.7933`): the flow's risk is at most `C` times ridge's.

use crate::kernels::linalg;
use crate::problem::Problem;
use crate::{Error, Result};

/// The spectrum of `XᵀX/n` with the components of `w*`, for exact risks.
#[derive(Debug, Clone)]
pub struct SpectralRisk {
    /// Eigenvalues `sᵢ > 0` of `XᵀX/n`.
    pub s: Vec<f64>,
    /// `(vᵢᵀw*)²`.
    pub b: Vec<f64>,
    /// `‖P_null w*‖²`: the part of `w*` no spectral estimator sees.
    pub null: f64,
    /// `σ²/n`.
    pub var: f64,
}

impl SpectralRisk {
    /// From the problem's design, the true `w*` and the noise level `σ`.
    pub fn new(p: &Problem, w_star: &[f64], sigma: f64) -> Result<Self> {
        if w_star.len() != p.d() {
            return Err(Error::param("w_star", format!("has length {} but d = {}", w_star.len(), p.d())));
        }
        crate::error::non_negative("sigma", sigma)?;
        let svd = linalg::svd(p.x())?;
        let smax = svd.s.first().copied().unwrap_or(0.0);
        let tol = p.n().max(p.d()) as f64 * f64::EPSILON * smax;
        let n = p.n() as f64;
        let (mut s, mut b) = (Vec::new(), Vec::new());
        for c in 0..svd.s.len() {
            if svd.s[c] > tol {
                s.push(svd.s[c] * svd.s[c] / n);
                let proj: f64 = (0..p.d()).map(|j| svd.v.get(j, c) * w_star[j]).sum();
                b.push(proj * proj);
            }
        }
        let null = (linalg::norm2(w_star).powi(2) - b.iter().sum::<f64>()).max(0.0);
        Ok(SpectralRisk { s, b, null, var: sigma * sigma / n })
    }

    /// The exact risk `E‖ŵ − w*‖²` of the spectral filter `f`.
    pub fn risk(&self, f: impl Fn(f64) -> f64) -> f64 {
        self.s.iter().zip(&self.b).map(|(&s, &b)| (1.0 - f(s)).powi(2) * b + f(s).powi(2) * self.var / s).sum::<f64>()
            + self.null
    }

    /// The gradient flow from 0 at time `t`.
    pub fn flow(&self, t: f64) -> f64 {
        self.risk(|s| -(-2.0 * s * t).exp_m1())
    }

    /// Ridge at `λ`.
    pub fn ridge(&self, lambda: f64) -> f64 {
        self.risk(|s| s / (s + lambda))
    }

    /// `flow(t) / ridge(1/(2t))`.
    pub fn ratio(&self, t: f64) -> f64 {
        self.flow(t) / self.ridge(0.5 / t)
    }

    /// `sup_t ratio(t)` and its argument: a log-spaced scan over `[t_lo, t_hi]` then golden-section refinement
    /// around the best point.
    pub fn max_ratio(&self, t_lo: f64, t_hi: f64) -> (f64, f64) {
        let grid = linalg::logspace(t_lo, t_hi, 400);
        let (k, _) = grid.iter().enumerate().fold((0, f64::NEG_INFINITY), |m, (i, &t)| {
            let r = self.ratio(t);
            if r > m.1 { (i, r) } else { m }
        });
        let (mut a, mut b) = (grid[k.saturating_sub(1)].ln(), grid[(k + 1).min(grid.len() - 1)].ln());
        let g = 0.5 * (5f64.sqrt() - 1.0);
        for _ in 0..80 {
            let (c, d) = (b - g * (b - a), a + g * (b - a));
            if self.ratio(c.exp()) > self.ratio(d.exp()) { b = d } else { a = c }
        }
        let t = (0.5 * (a + b)).exp();
        (self.ratio(t), t)
    }
}

/// `C = sup_x ((1 − e^{−x})(1 + x)/x)²` and its argument `x*`. The derivative of `(1 − e^{−x})(1 + x)/x`
/// vanishes where `eˣ = 1 + x + x²`, solved by Newton's method from 1.8 (quadratic convergence, to the last
/// bits: a search on the flat maximum itself resolves `x*` only to about √ε ≈ 1e-8). `C = 1.6859090583…`
/// is the exact supremum; Ali, Kolter & Tibshirani (2019) state 1.6862 (1.69 in their abstract).
pub fn ali_constant() -> (f64, f64) {
    let h = |x: f64| (-(-x).exp_m1() * (1.0 + x) / x).powi(2);
    let mut x = 1.8f64;
    for _ in 0..60 {
        let g = x.exp_m1() - x - x * x;
        let dg = x.exp_m1() - 2.0 * x;
        let step = g / dg;
        x -= step;
        if step.abs() <= 1e-16 * x {
            break;
        }
    }
    (h(x), x)
}
