//! Beyond the sheet — Exercise 3, deeper: the time-averaged iterate of the flow on a diagonal network against
//! the Lasso path (Berthier 2025, arXiv 2509.18766; SPEC §9). For the `(u, v)` flow from `u = v = α` (the mirror
//! flow of the hyperbolic entropy with `c = 2α²`, θ = S = −∫∇R), `x̄(t) = (1/t)∫₀ᵗ w` satisfies
//! `−∇R(x̄(t)) = S(t)/t` exactly (R is quadratic), and where `|wᵢ| ≫ α²`, `Sᵢ = sign(wᵢ)(ln|wᵢ| + 2 ln(1/α)) + o(1)`:
//! so x̄(t) nearly meets the Lasso's optimality conditions at `λ(t) = 2 ln(1/α)/t` (our calibration for this
//! parametrisation; for EG from `w₀ = α`, `λ = ln(1/α)/t`). The study integrates `(θ, ∫w)` together, compares
//! x̄(t) and w(t) with the exact Lasso solution at λ(t), and reports x̄'s Lasso KKT residual along the path.

use super::{Column, Figure, Fmt, Section, Series, Study, Table, Validate, count_in, in_range};
use crate::Result;
use crate::control::{Progress, ProgressFn};
use crate::dynamics::ode::{OdeOptions, dopri5};
use crate::exact::lasso::{CdOptions, lambda_max, lasso_cd};
use crate::kernels::linalg::{dist2, logspace, norm2};
use crate::potential::{Hyperbolic, Potential};
use crate::problem::generate::GenSpec;
use crate::problem::{GradPlan, Parallelism};
use serde::{Deserialize, Serialize};

/// The time-averaged-flow study.
pub struct TimeAvg;

/// Configuration.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct TimeAvgConfig {
    /// Seed of the `ex3` preset (n = 100, d = 2, w* = (1, 0), unit noise).
    pub seed: u64,
    /// The initialisation scale α of the network (`c = 2α²`).
    pub alpha: f64,
    /// Points of the λ grid (log-spaced from λ_max to `lambda_min_rel`·λ_max).
    pub n_lambdas: usize,
    /// Smallest λ relative to λ_max.
    pub lambda_min_rel: f64,
}

impl Default for TimeAvgConfig {
    fn default() -> Self {
        TimeAvgConfig { seed: 0, alpha: 1e-6, n_lambdas: 60, lambda_min_rel: 1e-3 }
    }
}

impl Validate for TimeAvgConfig {
    fn validate(&self) -> Result<()> {
        const K: &str = "timeavg";
        in_range(K, "alpha", self.alpha, 1e-100, 0.5)?;
        count_in(K, "n_lambdas", self.n_lambdas, 3, 10_000)?;
        in_range(K, "lambda_min_rel", self.lambda_min_rel, 1e-8, 0.5)
    }
}

/// One point of the path.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AvgRow {
    /// Flow time t.
    pub t: f64,
    /// λ(t) = 2 ln(1/α)/t.
    pub lambda: f64,
    /// The time average x̄(t).
    pub x_bar: Vec<f64>,
    /// The iterate w(t).
    pub w: Vec<f64>,
    /// The Lasso solution at λ(t).
    pub lasso: Vec<f64>,
    /// `‖x̄ − w_λ‖/max(‖w_λ‖, λ)`.
    pub avg_distance_rel: f64,
    /// `‖w − w_λ‖/max(‖w_λ‖, λ)`.
    pub iterate_distance_rel: f64,
    /// The Lasso KKT residual of x̄ at λ(t), relative to λ: `maxᵢ` of `|∇ᵢR + λ sign x̄ᵢ|` on the support and
    /// `max(0, |∇ᵢR| − λ)` off it, divided by λ.
    pub kkt_rel: f64,
    /// `‖∇R(x̄) + S/t‖∞/‖S/t‖∞`: the identity −∇R(x̄) = S(t)/t, to the integrator's accuracy.
    pub identity_rel: f64,
}

/// Results.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TimeAvgResult {
    /// Along the path.
    pub rows: Vec<AvgRow>,
}

impl Study for TimeAvg {
    type Config = TimeAvgConfig;
    type Output = TimeAvgResult;
    const KEY: &'static str = "timeavg";
    const ABOUT: &'static str =
        "Beyond the sheet: the time-averaged flow of a diagonal network against the Lasso path (Berthier 2025)";

    fn run(cfg: &TimeAvgConfig, progress: ProgressFn<'_>) -> Result<(TimeAvgResult, Section)> {
        progress(Progress::Stage("time-averaged flow vs Lasso"));
        let p = GenSpec::ex3(cfg.seed).generate()?.problem;
        let d = p.d();
        let lmax = lambda_max(&p, false);
        let lambdas = logspace(lmax, cfg.lambda_min_rel * lmax, cfg.n_lambdas);
        let calib = 2.0 * (1.0 / cfg.alpha).ln();
        let times: Vec<f64> = lambdas.iter().map(|l| calib / l).collect();
        let pot = Hyperbolic::uniform(cfg.alpha, d)?;
        let plan = GradPlan::new(&p, Parallelism::Sequential);
        let (mut r, mut g, mut w) = (vec![0.0; p.n()], vec![0.0; d], vec![0.0; d]);
        // State (θ, A): θ̇ = −∇R(w(θ)), Ȧ = w(θ).
        let rhs = |_t: f64, z: &[f64], dz: &mut [f64]| {
            for i in 0..d {
                w[i] = pot.inv_grad_i(i, z[i]);
            }
            plan.grad(&w, &mut r, &mut g);
            for i in 0..d {
                dz[i] = -g[i];
                dz[d + i] = w[i];
            }
        };
        let opts = OdeOptions { rtol: 1e-11, atol: 1e-14, max_steps: 20_000_000, ..Default::default() };
        let (zs, _) = dopri5(rhs, 0.0, &vec![0.0; 2 * d], &times, opts, |_, _| false)?;
        let lasso = lasso_cd(&p, &lambdas, CdOptions { gap_tol: 1e-16, ..Default::default() })?;
        let mut rows = Vec::new();
        for k in 0..times.len() {
            let (t, lam) = (times[k], lambdas[k]);
            let theta = &zs[k][..d];
            let x_bar: Vec<f64> = zs[k][d..].iter().map(|a| a / t).collect();
            let wt: Vec<f64> = (0..d).map(|i| pot.inv_grad_i(i, theta[i])).collect();
            let gx = p.grad(&x_bar);
            let wl = lasso.coefs[k].clone();
            let scale = norm2(&wl).max(lam);
            let thr = 1e-9 * x_bar.iter().map(|v| v.abs()).fold(0.0, f64::max);
            let kkt = (0..d)
                .map(|i| {
                    if x_bar[i].abs() > thr {
                        (gx[i] + lam * x_bar[i].signum()).abs()
                    } else {
                        (gx[i].abs() - lam).max(0.0)
                    }
                })
                .fold(0.0, f64::max)
                / lam;
            let s_over_t: Vec<f64> = theta.iter().map(|s| s / t).collect();
            let id = (0..d).map(|i| (gx[i] + s_over_t[i]).abs()).fold(0.0, f64::max)
                / s_over_t.iter().map(|v| v.abs()).fold(f64::MIN_POSITIVE, f64::max);
            rows.push(AvgRow {
                t,
                lambda: lam,
                avg_distance_rel: dist2(&x_bar, &wl) / scale,
                iterate_distance_rel: dist2(&wt, &wl) / scale,
                kkt_rel: kkt,
                identity_rel: id,
                x_bar,
                w: wt,
                lasso: wl,
            });
        }
        let section = render(cfg, &rows);
        Ok((TimeAvgResult { rows }, section))
    }
}

fn render(cfg: &TimeAvgConfig, rows: &[AvgRow]) -> Section {
    let pts = |f: fn(&AvgRow) -> &Vec<f64>| -> Vec<(f64, f64)> { rows.iter().map(|r| (f(r)[0], f(r)[1])).collect() };
    let fig_plane = Figure::new("timeavg_paths", "The time-averaged flow beside the Lasso path", "w₁", "w₂")
        .equal()
        .caption(format!(
            "ex3 preset (seed {}): the flow of GD on (u, v) from α = {:.0e} (w(t), dotted markers), its time average x̄(t) = (1/t)∫w (solid) and the exact Lasso path (dashed), matched by λ(t) = 2 ln(1/α)/t.",
            cfg.seed, cfg.alpha
        ))
        .series(vec![
            Series::dashed("Lasso path", pts(|r| &r.lasso), 1),
            Series::line("time average x̄(t)", pts(|r| &r.x_bar), 0),
            Series::markers("flow w(t)", pts(|r| &r.w), 3),
        ]);
    let fig_kkt = Figure::new("timeavg_kkt", "How well x̄(t) solves the Lasso at λ(t)", "λ(t) = 2 ln(1/α)/t", "relative quantity")
        .log(true, true)
        .caption("The Lasso KKT residual of x̄(t) at λ(t) (relative to λ), and the distances of x̄(t) and of w(t) to the exact Lasso solution (relative to max(‖w_λ‖, λ)).")
        .series(vec![
            Series::line("KKT residual of x̄ / λ", rows.iter().map(|r| (r.lambda, r.kkt_rel.max(1e-16))).collect(), 0),
            Series::line("‖x̄ − w_λ‖ (relative)", rows.iter().map(|r| (r.lambda, r.avg_distance_rel.max(1e-16))).collect(), 1),
            Series::dashed("‖w(t) − w_λ‖ (relative)", rows.iter().map(|r| (r.lambda, r.iterate_distance_rel.max(1e-16))).collect(), 3),
        ]);
    let mut t = Table::new(
        "timeavg_path",
        "Along the path: x̄(t) and w(t) against the Lasso solution at λ(t) = 2 ln(1/α)/t",
        vec![
            Column::new("t", "t", Fmt::Sci(3)),
            Column::new("lambda", "λ(t)", Fmt::Sci(3)),
            Column::new("avg_distance_rel", "‖x̄ − w_λ‖ (rel.)", Fmt::Sci(2)),
            Column::new("iterate_distance_rel", "‖w − w_λ‖ (rel.)", Fmt::Sci(2)),
            Column::new("kkt_rel", "KKT(x̄)/λ", Fmt::Sci(2)),
            Column::new("identity_rel", "‖∇R(x̄) + S/t‖ (rel.)", Fmt::Sci(1)),
        ],
    );
    for r in rows {
        t.push(vec![
            r.t.into(),
            r.lambda.into(),
            r.avg_distance_rel.into(),
            r.iterate_distance_rel.into(),
            r.kkt_rel.into(),
            r.identity_rel.into(),
        ]);
    }
    let med = |f: fn(&AvgRow) -> f64| crate::kernels::stats::median(&rows.iter().map(f).collect::<Vec<_>>());
    let max_id = rows.iter().map(|r| r.identity_rel).fold(0.0, f64::max);
    let better = rows.iter().filter(|r| r.avg_distance_rel < r.iterate_distance_rel).count();
    let answers = vec![
        format!(
            "Calibration: for the (u, v) flow from α (c = 2α²), Sᵢ = sign(wᵢ)(ln|wᵢ| + 2 ln(1/α)) + o(1) where |wᵢ| ≫ α², so λ(t) = 2 ln(1/α)/t (EG from w₀ = α: ln(1/α)/t). The identity −∇R(x̄(t)) = S(t)/t holds along the path to {max_id:.1e} (the integrator's accuracy)."
        ),
        format!(
            "On ex3 (seed {}) at α = {:.0e}, over {} λ from λ_max to {}·λ_max: x̄(t)'s Lasso KKT residual is {:.2e}·λ (median; by the identity it is about maxᵢ |ln|wᵢ(t)||/(2 ln(1/α)) on the support, which shrinks like 1/ln(1/α)), its distance to the exact Lasso solution {:.2e} (median, relative) against {:.2e} for the iterate w(t) itself; the average is the closer of the two at {} of {} points.",
            cfg.seed,
            cfg.alpha,
            rows.len(),
            cfg.lambda_min_rel,
            med(|r| r.kkt_rel),
            med(|r| r.avg_distance_rel),
            med(|r| r.iterate_distance_rel),
            better,
            rows.len()
        ),
    ];
    Section {
        key: String::new(),
        title: "Time-averaged flow vs the Lasso path".into(),
        part: "Beyond the sheet".into(),
        answers,
        tables: vec![t],
        figures: vec![fig_plane, fig_kkt],
    }
}
