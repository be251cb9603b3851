//! Gradient descent on factorised symmetric matrices (SPEC §13): `W = U₁⋯U_L − V₁⋯V_L` (`factored`) or
//! `W = U₁⋯U_L` (`factored_psd`), every factor started at `α·I`, on `F = R(W)/2` with the matrix-sensing risk —
//! at depth `L = 2` this is GD on `U Uᵀ − V Vᵀ` with `F = R/4` (the factors stay `U₂ = U₁ᵀ`), the issue's and the
//! sheet's convention:
//!
//! `U₊ = U − (η/2)∇R(W)U`, `V₊ = V + (η/2)∇R(W)V`,
//!
//! so that with diagonal measurements it is GD on `(u, v)` of the sheet on the diagonal, step for step. At depth
//! `L`, `∂F/∂Uⱼ = ½(U₁⋯Uⱼ₋₁)ᵀ ∇R(W) (Uⱼ₊₁⋯U_L)ᵀ`; a product started at `α·I` stays symmetric (`U_{L+1−j} = Uⱼᵀ`), and
//! with diagonal measurements it is GD on `w = u^L − v^L` (SPEC §9) step for step.
//!
//! Safe step: SPEC §6's rule with the factors' norms, `min(1/(C·h + ‖G‖_F s/2), 1/(2‖G‖_F s))`,
//! `h = ½Σⱼ Π_{i≠j}‖Uᵢ‖_F² (+ the same for V)`, `s = (maxᵢ‖Uᵢ‖_F)^{L−2}` (Frobenius norms bound the spectral ones).
//!
//! ```
//! use ibias::request::RunRequest;
//! use ibias::problem::matrix::MatrixSpec;
//! use ibias::dynamics::StepRule;
//! let g = MatrixSpec::gaussian(5, 20, 1, true, 0).generate().unwrap();
//! let r = RunRequest { alpha: Some(1e-3), eta: Some(StepRule::Fixed(0.05)), tol: 1e-6, ..RunRequest::new("factored") }
//!     .run(&g.problem)
//!     .unwrap();
//! assert!(r.converged);
//! // Small initialisation, enough measurements: the rank-1 target (the unused directions shrink slowly, like the
//! // sheet's 1/t tail).
//! let w = r.w_matrix.as_ref().unwrap();
//! assert!((0..5).all(|i| (0..5).all(|j| (w[i][j] - g.w_star[i * 5 + j]).abs() < 1e-2)));
//! ```

use super::driver::{Finish, Method, StepOutcome, drive};
use super::fit::{Entry, FitArgs, FitState, Scalar};
use super::result::{Algorithm, RunResult};
use crate::Result;
use crate::datafit::{LossKind, MatrixSensing, StepNorm};
use crate::fit_method_common;
use crate::kernels::linalg::norm2;
use crate::potential::PotentialKind;
use crate::problem::Problem;
use faer::Mat;

/// The registry's line of `factored`.
pub const ENTRY: Entry = Entry {
    name: "factored",
    summary: "GD on a factorised symmetric matrix W = U₁⋯U_L − V₁⋯V_L from α·I (depth L = 2: U Uᵀ − V Vᵀ); matrix sensing",
    margin_norm: None,
    takes_alpha: true,
    takes_depth: true,
    matrix: true,
    run,
    flow: None,
};

/// The registry's line of `factored_psd`.
pub const ENTRY_PSD: Entry = Entry {
    name: "factored_psd",
    summary: "GD on a factorised PSD matrix W = U₁⋯U_L from α·I (depth L = 2: U Uᵀ); matrix sensing",
    margin_norm: None,
    takes_alpha: true,
    takes_depth: true,
    matrix: true,
    run: run_psd,
    flow: None,
};

/// `U₁⋯U_L` with its prefix and suffix products: `pre[j] = U₁⋯Uⱼ` (`pre[0] = I`), `suf[j] = Uⱼ₊₁⋯U_L`.
fn products(u: &[Mat<f64>]) -> (Vec<Mat<f64>>, Vec<Mat<f64>>) {
    let m = u[0].nrows();
    let l = u.len();
    let eye = Mat::<f64>::identity(m, m);
    let mut pre = vec![eye.clone()];
    for f in u {
        let next = pre.last().map(|p| p * f).unwrap_or_else(|| f.clone());
        pre.push(next);
    }
    let mut suf = vec![eye; l + 1];
    for j in (0..l).rev() {
        suf[j] = &u[j] * &suf[j + 1];
    }
    (pre, suf)
}

fn fro2(a: &Mat<f64>) -> f64 {
    let n = a.norm_l2();
    n * n
}

struct Factored<'a> {
    s: FitState<'a>,
    rule: Scalar,
    m: usize,
    u: Vec<Mat<f64>>,
    v: Option<Vec<Mat<f64>>>,
    name: &'static str,
    /// Depth 2: `[U | V]` (`m × 2m`; `U` alone, `m × m`, for the PSD product), row-major; the faer factors are then
    /// unused. Empty at depth > 2.
    uv: Vec<f64>,
    scratch: Vec<f64>,
    signed: Vec<f64>,
}

impl Factored<'_> {
    fn grad_matrix(&self) -> Mat<f64> {
        let m = self.m;
        Mat::from_fn(m, m, |i, j| self.s.g[i * m + j])
    }

    /// `h` and `s` of the safe rule for one product.
    fn scales(u: &[Mat<f64>]) -> (f64, f64) {
        let n2: Vec<f64> = u.iter().map(fro2).collect();
        let l = u.len();
        let h = 0.5 * (0..l).map(|j| (0..l).filter(|&i| i != j).map(|i| n2[i]).product::<f64>()).sum::<f64>();
        let s = n2.iter().fold(0.0f64, |a, b| a.max(*b)).sqrt().powi(l as i32 - 2);
        (h, s)
    }

    fn safe(&self) -> f64 {
        let (mut h, mut sc) = if self.uv.is_empty() {
            Self::scales(&self.u)
        } else {
            (crate::kernels::linalg::dot(&self.uv, &self.uv), 1.0)
        };
        if let (Some(v), true) = (&self.v, self.uv.is_empty()) {
            let (hv, sv) = Self::scales(v);
            h += hv;
            sc = sc.max(sv);
        }
        let gi = norm2(&self.s.g) * sc;
        let c = self.s.f.curvature(self.s.value, StepNorm::L2);
        let mut eta = 1.0 / (c * h + 0.5 * gi).max(f64::MIN_POSITIVE);
        if gi > 0.0 {
            eta = eta.min(0.5 / gi);
        }
        eta
    }

    /// Depth 2: `U ← U − (η/2)GU`, `V ← V + (η/2)GV`, `W = UUᵀ − VVᵀ`, on `[U | V]` (`m × 2m`, row-major; `m × m`
    /// for the PSD product): one product `G·[U | V]` and one `[U | V]·[U | −V]ᵀ`, inner loops of length `2m` (the
    /// factors of depth 2 are `U₁ = U`, `U₂ = Uᵀ`; these kernels skip the general path's prefix and suffix products).
    fn step2(&mut self, eta: f64) {
        let m = self.m;
        let c = self.uv.len() / m;
        let mut tmp = std::mem::take(&mut self.scratch);
        tmp.resize(m * c, 0.0);
        crate::kernels::spectral::mul_rect(&self.s.g, &self.uv, &mut tmp, m, c);
        let mut signed = std::mem::take(&mut self.signed);
        signed.resize(m * c, 0.0);
        for i in 0..m {
            let (row, t, d) =
                (&mut self.uv[i * c..(i + 1) * c], &tmp[i * c..(i + 1) * c], &mut signed[i * c..(i + 1) * c]);
            for k in 0..c {
                // U columns (k < m) descend, V columns ascend; D = [U | −V].
                let (s, sign) = if k < m { (-0.5 * eta, 1.0) } else { (0.5 * eta, -1.0) };
                row[k] += s * t[k];
                d[k] = sign * row[k];
            }
        }
        crate::kernels::spectral::sym_product(&self.uv, &signed, &mut self.s.w, m, c);
        self.scratch = tmp;
        self.signed = signed;
    }

    /// One factor product's GD step on `±F`.
    fn descend(u: &mut [Mat<f64>], g: &Mat<f64>, eta_half: f64) {
        let (pre, suf) = products(u);
        let steps: Vec<Mat<f64>> = (0..u.len()).map(|j| pre[j].transpose() * g * suf[j + 1].transpose()).collect();
        for (f, st) in u.iter_mut().zip(steps) {
            *f -= st * eta_half;
        }
    }

    fn refresh_w(&mut self) {
        let m = self.m;
        let mut w = products(&self.u).0.pop().unwrap_or_else(|| Mat::zeros(m, m));
        if let Some(v) = &self.v {
            w -= products(v).0.pop().unwrap_or_else(|| Mat::zeros(m, m));
        }
        for i in 0..m {
            for j in 0..m {
                self.s.w[i * m + j] = 0.5 * (w[(i, j)] + w[(j, i)]);
            }
        }
    }
}

impl Method for Factored<'_> {
    fn algorithm(&self) -> Algorithm {
        Algorithm::Registered(self.name)
    }
    fn potential(&self) -> PotentialKind {
        PotentialKind::Hyperbolic
    }
    fn metric_grad(&mut self) -> f64 {
        self.s.rms_grad()
    }
    fn step(&mut self) -> Result<StepOutcome> {
        self.s.gradient();
        let eta = self.rule.at(|| self.safe());
        if self.uv.is_empty() {
            let g = self.grad_matrix();
            Self::descend(&mut self.u, &g, 0.5 * eta);
            if let Some(v) = &mut self.v {
                Self::descend(v, &g, -0.5 * eta);
            }
            self.refresh_w();
        } else {
            self.step2(eta);
        }
        self.s.moved();
        Ok(StepOutcome::Moved { eta, grad_evals: 1 })
    }
    fit_method_common!();
    fn finish(self, _: &Problem) -> Result<Finish> {
        Ok(self.s.into_finish())
    }
}

/// The checks every matrix method makes: least squares on sensing data, depth in `[2, 16]`. Returns `(m, L)`.
pub(crate) fn matrix_args(p: &Problem, a: &FitArgs, name: &str) -> Result<(usize, usize)> {
    if a.loss != LossKind::LeastSquares {
        return Err(crate::Error::param(
            "loss",
            format!("{name} fits matrix sensing measurements: the least-squares loss, not {}", a.loss),
        ));
    }
    let m = crate::problem::matrix::sensing(p)?;
    let depth = a.depth.unwrap_or(2);
    if !(2..=16).contains(&depth) {
        return Err(crate::Error::param("depth", format!("the number of factors must be in [2, 16], got {depth}")));
    }
    Ok((m, depth as usize))
}

fn start(p: &Problem, a: &FitArgs, psd: bool) -> Result<RunResult> {
    let name = if psd { ENTRY_PSD.name } else { ENTRY.name };
    let (m, depth) = matrix_args(p, a, name)?;
    crate::potential::check_alpha("alpha", a.alpha)?;
    let rule = a.scalar_rule(name)?;
    let init = || vec![Mat::<f64>::identity(m, m) * a.alpha; depth];
    let mut w0 = vec![0.0; m * m];
    if psd {
        let c = a.alpha.powi(depth as i32);
        (0..m).for_each(|i| w0[i * m + i] = c);
    }
    let s = a.state_on(p, Box::new(MatrixSensing::new(p, m, a.cfg.parallelism)), w0)?;
    let uv = if depth == 2 {
        let c = if psd { m } else { 2 * m };
        // [αI | αI] (or αI): entry (i, k) is α where k ≡ i (mod m).
        (0..m * c).map(|x| if x % c % m == x / c { a.alpha } else { 0.0 }).collect()
    } else {
        Vec::new()
    };
    let (u, v) = if depth == 2 { (Vec::new(), None) } else { (init(), (!psd).then(init)) };
    let mut f = Factored { s, rule, m, u, v, name, uv, scratch: Vec::new(), signed: Vec::new() };
    let safe0 = f.safe();
    f.s.start(&mut f.rule, safe0);
    super::result::with_matrix(drive(p, f, &a.cfg)?, m)
}

fn run(p: &Problem, a: &FitArgs) -> Result<RunResult> {
    start(p, a, false)
}

fn run_psd(p: &Problem, a: &FitArgs) -> Result<RunResult> {
    start(p, a, true)
}
