//! Adaptive Dormand–Prince 5(4) integrator with error control, used for the continuous-time flows.

use crate::{Error, Result};

// The integrators check `crate::control::cancelled()` between steps, so a long flow stops on Ctrl-C.

/// Tolerances and limits of the integrator.
#[derive(Debug, Clone, Copy)]
pub struct OdeOptions {
    /// Relative tolerance per component.
    pub rtol: f64,
    /// Absolute tolerance per component.
    pub atol: f64,
    /// Cap on the number of accepted plus rejected steps.
    pub max_steps: usize,
    /// Use the stiff integrator [`ros2`] where the flow supports it (mirror and gradient flows).
    pub stiff: bool,
}

impl Default for OdeOptions {
    fn default() -> Self {
        OdeOptions { rtol: 1e-10, atol: 1e-14, max_steps: 5_000_000, stiff: false }
    }
}

/// Step counts of an integration.
#[derive(Debug, Clone, Copy, Default)]
pub struct OdeStats {
    /// Accepted steps.
    pub accepted: usize,
    /// Rejected steps.
    pub rejected: usize,
    /// Evaluations of the right-hand side (gradients).
    pub evals: usize,
}

const C: [f64; 7] = [0.0, 0.2, 0.3, 0.8, 8.0 / 9.0, 1.0, 1.0];
const A: [[f64; 6]; 7] = [
    [0.0; 6],
    [0.2, 0.0, 0.0, 0.0, 0.0, 0.0],
    [3.0 / 40.0, 9.0 / 40.0, 0.0, 0.0, 0.0, 0.0],
    [44.0 / 45.0, -56.0 / 15.0, 32.0 / 9.0, 0.0, 0.0, 0.0],
    [19372.0 / 6561.0, -25360.0 / 2187.0, 64448.0 / 6561.0, -212.0 / 729.0, 0.0, 0.0],
    [9017.0 / 3168.0, -355.0 / 33.0, 46732.0 / 5247.0, 49.0 / 176.0, -5103.0 / 18656.0, 0.0],
    [35.0 / 384.0, 0.0, 500.0 / 1113.0, 125.0 / 192.0, -2187.0 / 6784.0, 11.0 / 84.0],
];
const E: [f64; 7] =
    [71.0 / 57600.0, 0.0, -71.0 / 16695.0, 71.0 / 1920.0, -17253.0 / 339200.0, 22.0 / 525.0, -1.0 / 40.0];

/// Integrates `ẏ = f(t, y)` from `(t0, y0)` and returns `y` at each of `times` (increasing, `≥ t0`).
/// The callback `at(t, y)` is called at each output time; returning `true` stops the integration
/// there (the outputs so far are returned).
pub fn dopri5<F, G>(
    mut f: F,
    t0: f64,
    y0: &[f64],
    times: &[f64],
    opts: OdeOptions,
    mut at: G,
) -> Result<(Vec<Vec<f64>>, OdeStats)>
where
    F: FnMut(f64, &[f64], &mut [f64]),
    G: FnMut(f64, &[f64]) -> bool,
{
    let m = y0.len();
    let mut y = y0.to_vec();
    let mut t = t0;
    let mut k: Vec<Vec<f64>> = vec![vec![0.0; m]; 7];
    let mut tmp = vec![0.0; m];
    let mut ynew = vec![0.0; m];
    let mut out = Vec::with_capacity(times.len());
    let mut stats = OdeStats::default();
    f(t, &y, &mut k[0]);
    stats.evals += 1;
    // Initial step from the size of the derivative.
    let scale0: f64 = y.iter().map(|v| opts.atol + opts.rtol * v.abs()).fold(f64::INFINITY, f64::min);
    let dnorm = k[0].iter().map(|v| v.abs()).fold(0.0, f64::max);
    let mut h = if dnorm > 0.0 { (0.01 * scale0.max(1e-300) / dnorm).clamp(1e-300, 1e-2) } else { 1e-6 };
    h = h.max(1e-12 * (times.last().copied().unwrap_or(1.0) - t0).abs()).max(f64::MIN_POSITIVE);
    for &tout in times {
        if tout < t {
            return Err(Error::param("times", "output times must be increasing"));
        }
        while t < tout {
            if crate::control::cancelled() {
                return Err(Error::Interrupted);
            }
            if stats.accepted + stats.rejected >= opts.max_steps {
                return Err(Error::Numerical(format!(
                    "ODE integrator exceeded {} steps before t = {tout:e} (reached t = {t:e}); the flow is too stiff for this tolerance",
                    opts.max_steps
                )));
            }
            let last = t + h >= tout;
            let hs = if last { tout - t } else { h };
            for s in 1..7 {
                for i in 0..m {
                    let mut acc = 0.0;
                    for j in 0..s {
                        acc += A[s][j] * k[j][i];
                    }
                    tmp[i] = y[i] + hs * acc;
                }
                let (_, tail) = k.split_at_mut(s);
                f(t + C[s] * hs, &tmp, &mut tail[0]);
            }
            stats.evals += 6;
            // tmp now holds the 5th-order solution (stage 7 is evaluated at it: FSAL).
            ynew.copy_from_slice(&tmp);
            let mut err2 = 0.0;
            for i in 0..m {
                let mut e = 0.0;
                for s in 0..7 {
                    e += E[s] * k[s][i];
                }
                let sc = opts.atol + opts.rtol * y[i].abs().max(ynew[i].abs());
                let q = hs * e / sc;
                err2 += q * q;
            }
            let err = (err2 / m.max(1) as f64).sqrt();
            if !err.is_finite() {
                stats.rejected += 1;
                h = hs * 0.1;
                if h < 1e-300 {
                    return Err(Error::Numerical(format!("ODE solution became non-finite near t = {t:e}")));
                }
                continue;
            }
            let fac = if err == 0.0 { 5.0 } else { (0.9 * err.powf(-0.2)).clamp(0.2, 5.0) };
            if err <= 1.0 {
                t = if last { tout } else { t + hs };
                y.copy_from_slice(&ynew);
                k.swap(0, 6);
                stats.accepted += 1;
                if !last {
                    h = hs * fac;
                } else {
                    h = h.max(hs * fac).min(h * 5.0);
                }
            } else {
                stats.rejected += 1;
                h = hs * fac.min(1.0);
            }
        }
        out.push(y.clone());
        if at(t, &y) {
            break;
        }
    }
    Ok((out, stats))
}

/// Integrates `ẏ = f(t, y)` with the L-stable two-stage Rosenbrock method ROS2
/// (Verwer, Spee, Blom & Hundsdorfer 1999), `γ = 1 + 1/√2`:
/// `(I − γhJ)k₁ = f(y)`, `(I − γhJ)k₂ = f(y + hk₁) − 2k₁`, `y₊ = y + (3/2)hk₁ + (1/2)hk₂`,
/// with the embedded first-order `y + hk₁` for step control. `jac(t, y, J)` fills the Jacobian
/// (row-major `m × m`). For stiff flows (hyperbolic entropy at large α, long horizons at small α),
/// where explicit steps are limited by stability rather than accuracy.
pub fn ros2<F, Jf, G>(
    mut f: F,
    mut jac: Jf,
    t0: f64,
    y0: &[f64],
    times: &[f64],
    opts: OdeOptions,
    mut at: G,
) -> Result<(Vec<Vec<f64>>, OdeStats)>
where
    F: FnMut(f64, &[f64], &mut [f64]),
    Jf: FnMut(f64, &[f64], &mut [f64]),
    G: FnMut(f64, &[f64]) -> bool,
{
    use faer::linalg::solvers::Solve;
    let m = y0.len();
    let gamma = 1.0 + 1.0 / std::f64::consts::SQRT_2;
    let mut y = y0.to_vec();
    let mut t = t0;
    let mut fy = vec![0.0; m];
    let mut jm = vec![0.0; m * m];
    let mut tmp = vec![0.0; m];
    let mut f2 = vec![0.0; m];
    let mut out = Vec::with_capacity(times.len());
    let mut stats = OdeStats::default();
    f(t, &y, &mut fy);
    stats.evals += 1;
    let dnorm = fy.iter().map(|v| v.abs()).fold(0.0, f64::max);
    let ynorm = y.iter().map(|v| v.abs()).fold(0.0, f64::max);
    let mut h = if dnorm > 0.0 {
        (1e-3 * (opts.atol + opts.rtol * ynorm).max(1e-300) / (opts.rtol * dnorm)).clamp(1e-300, 1e-2)
    } else {
        1e-6
    };
    let mut fresh = true;
    for &tout in times {
        if tout < t {
            return Err(Error::param("times", "output times must be increasing"));
        }
        while t < tout {
            if crate::control::cancelled() {
                return Err(Error::Interrupted);
            }
            if stats.accepted + stats.rejected >= opts.max_steps {
                return Err(Error::Numerical(format!(
                    "ROS2 exceeded {} steps before t = {tout:e} (reached t = {t:e})",
                    opts.max_steps
                )));
            }
            if fresh {
                f(t, &y, &mut fy);
                jac(t, &y, &mut jm);
                stats.evals += 1;
                fresh = false;
            }
            let last = t + h >= tout;
            let hs = if last { tout - t } else { h };
            let a = faer::Mat::from_fn(m, m, |i, j| (if i == j { 1.0 } else { 0.0 }) - gamma * hs * jm[i * m + j]);
            let lu = a.partial_piv_lu();
            let rhs1 = faer::Mat::from_fn(m, 1, |i, _| fy[i]);
            let k1m = lu.solve(&rhs1);
            let k1: Vec<f64> = (0..m).map(|i| k1m[(i, 0)]).collect();
            for i in 0..m {
                tmp[i] = y[i] + hs * k1[i];
            }
            f(t + hs, &tmp, &mut f2);
            stats.evals += 1;
            let rhs2 = faer::Mat::from_fn(m, 1, |i, _| f2[i] - 2.0 * k1[i]);
            let k2m = lu.solve(&rhs2);
            let mut err2 = 0.0;
            let mut ynew = vec![0.0; m];
            for i in 0..m {
                let k2 = k2m[(i, 0)];
                ynew[i] = y[i] + 1.5 * hs * k1[i] + 0.5 * hs * k2;
                let e = 0.5 * hs * (k1[i] + k2);
                let sc = opts.atol + opts.rtol * y[i].abs().max(ynew[i].abs());
                err2 += (e / sc) * (e / sc);
            }
            let err = (err2 / m.max(1) as f64).sqrt();
            if !err.is_finite() {
                stats.rejected += 1;
                h = hs * 0.1;
                continue;
            }
            let fac = if err == 0.0 { 5.0 } else { (0.8 * err.powf(-0.5)).clamp(0.2, 5.0) };
            if err <= 1.0 {
                t = if last { tout } else { t + hs };
                y = ynew;
                stats.accepted += 1;
                fresh = true;
                if !last {
                    h = hs * fac;
                }
            } else {
                stats.rejected += 1;
                h = hs * fac.min(1.0);
            }
        }
        out.push(y.clone());
        if at(t, &y) {
            break;
        }
    }
    Ok((out, stats))
}
