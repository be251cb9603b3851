//! Exercise 3: regularisation paths vs optimisation paths in the plane (`n = 100`, `d = 2`): ridge vs
//! gradient descent from 0, Lasso vs exponentiated gradient from `10⁻¹⁰(1, 1)` — and the signed EG±
//! (`w = w⁺ − w⁻`), since plain EG is confined to `w > 0`.
//!
//! Best points are exact: on the Lasso path (piecewise linear between its breakpoints) the closest point
//! of its segments; on the ridge path the minimum over λ refined by golden-section search; on the
//! optimisation paths every iterate counts.

use super::{Cell, Column, Figure, Fmt, Section, Series, Study, Table, Validate, count_in, in_range};
use crate::Result;
use crate::control::{Progress, ProgressFn};
use crate::dynamics::{RunConfig, StopRule, run_eg, run_gd, run_md};
use crate::exact::lasso::lasso_path;
use crate::exact::min_l2;
use crate::exact::ridge::{RidgeSvd, default_ridge_grid};
use crate::kernels::stats::median;
use crate::potential::Hyperbolic;
use crate::problem::Problem;
use crate::problem::generate::GenSpec;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

/// Exercise 3.
pub struct Ex3;

/// Configuration of Exercise 3.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct Ex3Config {
    /// Seed of the drawn dataset.
    pub seed: u64,
    /// GD and EG step size as a fraction of `1/L`.
    pub eta_fraction: f64,
    /// EG starting point (all coordinates), and the scale of EG± (`w⁺₀ = w⁻₀`).
    pub eg_init: f64,
    /// Number of λ values of the ridge grid (before the exact refinement of the best point).
    pub n_lambdas: usize,
    /// Stop the optimisation paths when the gradient is below `grad_tol·‖∇R(0)‖∞`.
    pub grad_tol: f64,
    /// Number of further seeds of the repetition.
    pub repeats: usize,
}

impl Default for Ex3Config {
    fn default() -> Self {
        Ex3Config { seed: 0, eta_fraction: 0.1, eg_init: 1e-10, n_lambdas: 200, grad_tol: 1e-10, repeats: 200 }
    }
}

impl Validate for Ex3Config {
    fn validate(&self) -> Result<()> {
        in_range("ex3", "eta_fraction", self.eta_fraction, 1e-6, 1.0)?;
        in_range("ex3", "eg_init", self.eg_init, 1e-300, 1e3)?;
        count_in("ex3", "n_lambdas", self.n_lambdas, 3, 100_000)?;
        in_range("ex3", "grad_tol", self.grad_tol, 1e-15, 1e-1)?;
        count_in("ex3", "repeats", self.repeats, 1, 100_000)
    }
}

/// Which pair of paths.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Pair {
    /// Ridge path vs gradient descent.
    RidgeGd,
    /// Lasso path vs exponentiated gradient (w > 0).
    LassoEg,
    /// Lasso path vs signed exponentiated gradient EG±.
    LassoEgPm,
}

impl Pair {
    /// Label on the page.
    pub fn label(&self) -> &'static str {
        match self {
            Pair::RidgeGd => "ridge vs GD",
            Pair::LassoEg => "Lasso vs EG",
            Pair::LassoEgPm => "Lasso vs EG±",
        }
    }
}

/// The measured comparison of one pair of paths.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PathPair {
    /// Which pair.
    pub pair: Pair,
    /// Best distance to `w*` on the regularisation path (exact).
    pub reg_best_distance: f64,
    /// λ at that point.
    pub reg_best_lambda: f64,
    /// Best distance to `w*` over the optimisation iterates.
    pub opt_best_distance: f64,
    /// Iteration at that point.
    pub opt_best_iteration: usize,
    /// Symmetric Hausdorff distance between the two polylines.
    pub hausdorff: f64,
    /// Regularisation path: points computed, flops, wall seconds.
    pub reg_points: usize,
    /// Flops of the regularisation path (estimate).
    pub reg_flops: f64,
    /// Wall seconds of the regularisation path.
    pub reg_seconds: f64,
    /// Optimisation path: gradient evaluations.
    pub opt_gradients: usize,
    /// Flops of the optimisation path (estimate: 4nd per gradient).
    pub opt_flops: f64,
    /// Wall seconds of the optimisation path.
    pub opt_seconds: f64,
}

/// Two best distances that agree within this relative margin are a tie. Why 1e-6: on many seeds both paths'
/// closest point is their shared end point, the least-squares solution; gradient descent stops at its
/// gradient tolerance (1e-10) a relative 1e-8 or so short of it, which is no win of either path.
pub const TIE_REL: f64 = 1e-6;

/// One pair's record over the further seeds.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RepeatRow {
    /// The pair.
    pub pair: Pair,
    /// Seeds where the regularisation path's best point is closer to `w*` by more than [`TIE_REL`].
    pub wins: usize,
    /// Seeds where both best distances agree within [`TIE_REL`] (relative).
    pub ties: usize,
    /// Seeds where the optimisation path's best point is closer by more than [`TIE_REL`].
    pub losses: usize,
    /// Median over seeds of (optimisation best)/(regularisation best).
    pub median_ratio: f64,
}

impl RepeatRow {
    /// The regularisation path's share of the decided seeds (ties left out); NaN when every seed is a tie.
    pub fn win_fraction_decided(&self) -> f64 {
        self.wins as f64 / (self.wins + self.losses) as f64
    }
}

/// Results of Exercise 3.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Ex3Result {
    /// The three pairs on the configured seed.
    pub pairs: Vec<PathPair>,
    /// Over `repeats` further seeds, per pair: wins, ties and losses of the regularisation path (ties: the
    /// best distances agree within [`TIE_REL`]), and the median ratio (optimisation best / regularisation best).
    pub repeat: Vec<RepeatRow>,
    /// The least-squares solution.
    pub w_ls: Vec<f64>,
}

type Pt = (f64, f64);

fn seg_closest(p: Pt, a: Pt, b: Pt) -> (f64, f64) {
    let (dx, dy) = (b.0 - a.0, b.1 - a.1);
    let l2 = dx * dx + dy * dy;
    let t = if l2 > 0.0 { (((p.0 - a.0) * dx + (p.1 - a.1) * dy) / l2).clamp(0.0, 1.0) } else { 0.0 };
    (((p.0 - a.0 - t * dx).powi(2) + (p.1 - a.1 - t * dy).powi(2)).sqrt(), t)
}

/// Distance from a point to a polyline.
pub fn dist_to_polyline(p: Pt, line: &[Pt]) -> f64 {
    if line.len() == 1 {
        return seg_closest(p, line[0], line[0]).0;
    }
    line.windows(2).map(|w| seg_closest(p, w[0], w[1]).0).fold(f64::INFINITY, f64::min)
}

/// Symmetric Hausdorff distance between two polylines, measured from the vertices of each to the other.
pub fn hausdorff(a: &[Pt], b: &[Pt]) -> f64 {
    let h = |x: &[Pt], y: &[Pt]| x.iter().map(|&p| dist_to_polyline(p, y)).fold(0.0, f64::max);
    h(a, b).max(h(b, a))
}

fn dist(a: Pt, b: Pt) -> f64 {
    ((a.0 - b.0).powi(2) + (a.1 - b.1).powi(2)).sqrt()
}

/// The best iterate: (distance to `w*`, index).
fn best_iterate(points: &[Pt], ws: Pt) -> (f64, usize) {
    points
        .iter()
        .enumerate()
        .map(|(k, &p)| (dist(p, ws), k))
        .fold((f64::INFINITY, 0), |m, x| if x.0 < m.0 { x } else { m })
}

/// The closest point of a piecewise-linear path (vertices at `lambdas`): (distance, λ there).
fn best_on_segments(points: &[Pt], lambdas: &[f64], ws: Pt) -> (f64, f64) {
    if points.len() == 1 {
        return (dist(points[0], ws), lambdas[0]);
    }
    let mut best = (f64::INFINITY, lambdas[0]);
    for k in 1..points.len() {
        let (d, t) = seg_closest(ws, points[k - 1], points[k]);
        if d < best.0 {
            best = (d, lambdas[k - 1] + t * (lambdas[k] - lambdas[k - 1]));
        }
    }
    best
}

/// The ridge path's best point: the best grid λ, refined by golden-section search in `ln λ` between its
/// neighbours (the distance is smooth in λ); λ = 0 is a grid point.
fn ridge_best(svd: &RidgeSvd, grid: &[f64], ws: Pt) -> (f64, f64) {
    let f = |l: f64| {
        let w = svd.at(l);
        dist((w[0], w[1]), ws)
    };
    let vals: Vec<f64> = grid.iter().map(|&l| f(l)).collect();
    let k = (0..grid.len()).min_by(|&a, &b| vals[a].total_cmp(&vals[b])).unwrap_or(0);
    let mut best = (vals[k], grid[k]);
    let lo = grid.get(k + 1).copied().unwrap_or(grid[k]);
    let hi = if k > 0 { grid[k - 1] } else { grid[k] };
    let lo = if lo > 0.0 { lo } else { grid[k].max(hi) * 1e-12 };
    if hi > lo && lo > 0.0 {
        let g = 0.5 * (5f64.sqrt() - 1.0);
        let (mut a, mut b) = (lo.ln(), hi.ln());
        for _ in 0..100 {
            let (c, d) = (b - g * (b - a), a + g * (b - a));
            if f(c.exp()) < f(d.exp()) { b = d } else { a = c }
        }
        let l = (0.5 * (a + b)).exp();
        if f(l) < best.0 {
            best = (f(l), l);
        }
    }
    best
}

struct Paths {
    ridge_lambdas: Vec<f64>,
    ridge: Vec<Pt>,
    ridge_best: (f64, f64),
    ridge_seconds: f64,
    lasso_lambdas: Vec<f64>,
    lasso: Vec<Pt>,
    lasso_seconds: f64,
    opt: [(Vec<Pt>, usize, f64); 3],
}

fn compute_paths(p: &Problem, cfg: &Ex3Config, ws: Pt) -> Result<Paths> {
    let t = std::time::Instant::now();
    let grid = default_ridge_grid(p, cfg.n_lambdas)?;
    let svd = RidgeSvd::new(p)?;
    let ridge: Vec<Pt> = grid.iter().map(|&l| svd.at(l)).map(|w| (w[0], w[1])).collect();
    let ridge_best = ridge_best(&svd, &grid, ws);
    let ridge_seconds = t.elapsed().as_secs_f64();
    let lp = lasso_path(p)?;
    let lasso: Vec<Pt> = lp.coefs.iter().map(|w| (w[0], w[1])).collect();
    let eta = cfg.eta_fraction / p.smoothness();
    let rc = RunConfig::fixed(eta)
        .record_every()
        .stop(StopRule::default().risk_tol(0.0).grad_tol(cfg.grad_tol).max_iter(1_000_000));
    let pts = |r: &crate::dynamics::RunResult| -> (Vec<Pt>, usize, f64) {
        (r.checkpoints.iter().map(|c| (c.w[0], c.w[1])).collect(), r.grad_evals, r.wall_seconds)
    };
    let gd = run_gd(p, &rc)?;
    let eg = run_eg(p, &vec![cfg.eg_init; p.d()], &rc)?;
    // EG±: w⁺ ← w⁺e^{−ηg}, w⁻ ← w⁻e^{ηg} from w⁺ = w⁻ = eg_init is mirror descent with the hyperbolic
    // entropy at scale c = 2·eg_init (SPEC §8), from w = 0.
    let pm = Hyperbolic::with_scales(vec![2.0 * cfg.eg_init; p.d()])?;
    let egpm = run_md(p, &pm, &vec![0.0; p.d()], &rc)?;
    Ok(Paths {
        ridge_lambdas: grid,
        ridge,
        ridge_best,
        ridge_seconds,
        lasso_lambdas: lp.lambdas.clone(),
        lasso,
        lasso_seconds: lp.wall_seconds,
        opt: [pts(&gd), pts(&eg), pts(&egpm)],
    })
}

/// Best distances of the three pairs: `[(regularisation, optimisation); 3]`.
fn best_distances(ps: &Paths, ws: Pt) -> [(f64, f64); 3] {
    let lasso = best_on_segments(&ps.lasso, &ps.lasso_lambdas, ws).0;
    [
        (ps.ridge_best.0, best_iterate(&ps.opt[0].0, ws).0),
        (lasso, best_iterate(&ps.opt[1].0, ws).0),
        (lasso, best_iterate(&ps.opt[2].0, ws).0),
    ]
}

impl Study for Ex3 {
    type Config = Ex3Config;
    type Output = Ex3Result;
    const KEY: &'static str = "ex3";
    const ABOUT: &'static str = "Exercise 3: regularisation paths vs optimisation paths";

    fn run(cfg: &Ex3Config, progress: ProgressFn<'_>) -> Result<(Ex3Result, Section)> {
        progress(Progress::Stage("Exercise 3: regularisation vs optimisation paths"));
        let g = GenSpec::ex3(cfg.seed).generate()?;
        let p = &g.problem;
        let (n, d) = (p.n() as f64, p.d() as f64);
        let ws = (g.w_star[0], g.w_star[1]);
        let ls = min_l2(p)?.w;
        let ps = compute_paths(p, cfg, ws)?;
        let gflops = 4.0 * n * d; // one gradient: Xw and Xᵀr
        let ridge_flops = 4.0 * n * d * d + ps.ridge_lambdas.len() as f64 * 2.0 * d * d;
        let lasso_flops = 2.0 * n * d * d + ps.lasso_lambdas.len() as f64 * (4.0 * d * d + d * d * d);
        let lasso_best = best_on_segments(&ps.lasso, &ps.lasso_lambdas, ws);
        let mk = |pair: Pair, reg: (&[Pt], (f64, f64), f64, f64), k: usize| {
            let (o, grads, secs) = &ps.opt[k];
            let (ob, oi) = best_iterate(o, ws);
            PathPair {
                pair,
                reg_best_distance: reg.1.0,
                reg_best_lambda: reg.1.1,
                opt_best_distance: ob,
                opt_best_iteration: oi,
                hausdorff: hausdorff(reg.0, o),
                reg_points: reg.0.len(),
                reg_flops: reg.2,
                reg_seconds: reg.3,
                opt_gradients: *grads,
                opt_flops: *grads as f64 * gflops,
                opt_seconds: *secs,
            }
        };
        let pairs = vec![
            mk(Pair::RidgeGd, (&ps.ridge, ps.ridge_best, ridge_flops, ps.ridge_seconds), 0),
            mk(Pair::LassoEg, (&ps.lasso, lasso_best, lasso_flops, ps.lasso_seconds), 1),
            mk(Pair::LassoEgPm, (&ps.lasso, lasso_best, lasso_flops, ps.lasso_seconds), 2),
        ];
        progress(Progress::Stage("Exercise 3: repeating over further seeds"));
        let done = std::sync::atomic::AtomicUsize::new(0);
        let reps: Vec<[(f64, f64); 3]> = (0..cfg.repeats as u64)
            .into_par_iter()
            .map(|s| -> Result<[(f64, f64); 3]> {
                let g = GenSpec::ex3(cfg.seed + 1 + s).generate()?;
                let w = (g.w_star[0], g.w_star[1]);
                let b = best_distances(&compute_paths(&g.problem, cfg, w)?, w);
                let k = done.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
                progress(Progress::Count { done: k, total: cfg.repeats });
                Ok(b)
            })
            .collect::<Result<_>>()?;
        let repeat: Vec<RepeatRow> = [Pair::RidgeGd, Pair::LassoEg, Pair::LassoEgPm]
            .iter()
            .enumerate()
            .map(|(k, &pair)| {
                let tie = |r: &[(f64, f64); 3]| (r[k].0 - r[k].1).abs() <= TIE_REL * r[k].0.max(r[k].1);
                let ties = reps.iter().filter(|r| tie(r)).count();
                let wins = reps.iter().filter(|r| !tie(r) && r[k].0 < r[k].1).count();
                let ratios: Vec<f64> = reps.iter().map(|r| r[k].1 / r[k].0).collect();
                RepeatRow { pair, wins, ties, losses: reps.len() - wins - ties, median_ratio: median(&ratios) }
            })
            .collect();
        let marks = |c| {
            vec![
                Series::markers("w* = (1, 0)", vec![ws], 5),
                Series::markers("least squares", vec![(ls[0], ls[1])], c),
                Series::markers("origin", vec![(0.0, 0.0)], 2),
            ]
        };
        let eta = cfg.eta_fraction / p.smoothness();
        let mut s1 = vec![
            Series::line(&format!("ridge path ({} λ)", ps.ridge_lambdas.len()), ps.ridge.clone(), 0),
            Series::dashed(&format!("GD path (η = {eta:.3e})"), ps.opt[0].0.clone(), 1),
        ];
        s1.extend(marks(3));
        let mut s2 = vec![
            Series::line("Lasso path (exact homotopy)", ps.lasso.clone(), 0),
            Series::dashed(&format!("EG path (w₀ = {:e}·1)", cfg.eg_init), ps.opt[1].0.clone(), 1),
            Series::dashed(&format!("EG± path (w₀⁺ = w₀⁻ = {:e}·1)", cfg.eg_init), ps.opt[2].0.clone(), 4),
        ];
        s2.extend(marks(3));
        let figures = vec![
            Figure::new("ex3_ridge_gd", "Ridge path vs gradient descent", "w₁", "w₂").caption(format!(
                "Ridge path w₂,λ (λ from {:.2e} down to 0) and the gradient-descent path from 0 (η = {eta:.3e}, every iterate) in the (w₁, w₂) plane.",
                ps.ridge_lambdas[0]
            )).series(s1),
            Figure::new("ex3_lasso_eg", "Lasso path vs exponentiated gradient", "w₁", "w₂").caption(format!(
                "Lasso path w₁,λ (exact breakpoints, λ from {:.2e} to 0), the exponentiated-gradient path from {:e}·(1, 1) — confined to w > 0 — and the signed EG± path (w = w⁺ − w⁻), both with η = {eta:.3e}.",
                ps.lasso_lambdas[0], cfg.eg_init
            )).series(s2),
        ];
        let mut table = Table::new(
            "ex3_paths",
            &format!("Seed {}: best point on each path (distance to w*), distance between the paths, cost", cfg.seed),
            vec![
                Column::new("pair", "pair", Fmt::Plain),
                Column::new("reg_best_distance", "reg. best ‖w − w*‖₂", Fmt::Sci(3)),
                Column::new("reg_best_lambda", "at λ", Fmt::Sci(3)),
                Column::new("opt_best_distance", "opt. best ‖w − w*‖₂", Fmt::Sci(3)),
                Column::new("opt_best_iteration", "at iteration", Fmt::Plain),
                Column::new("hausdorff_distance", "Hausdorff distance", Fmt::Sci(3)),
                Column::new("reg_points", "reg. points", Fmt::Plain),
                Column::new("reg_flops", "reg. flops", Fmt::Sci(2)),
                Column::new("reg_seconds", "reg. seconds", Fmt::Sci(2)),
                Column::new("opt_gradients", "opt. gradients", Fmt::Plain),
                Column::new("opt_flops", "opt. flops", Fmt::Sci(2)),
                Column::new("opt_seconds", "opt. seconds", Fmt::Sci(2)),
            ],
        );
        for q in &pairs {
            table.push(vec![
                q.pair.label().into(),
                q.reg_best_distance.into(),
                q.reg_best_lambda.into(),
                q.opt_best_distance.into(),
                q.opt_best_iteration.into(),
                q.hausdorff.into(),
                q.reg_points.into(),
                q.reg_flops.into(),
                q.reg_seconds.into(),
                q.opt_gradients.into(),
                q.opt_flops.into(),
                q.opt_seconds.into(),
            ]);
        }
        let mut rtable = Table::new(
            "ex3_repeat",
            &format!(
                "Over {} further seeds: how often the regularisation path's best point is closer to w*",
                cfg.repeats
            ),
            vec![
                Column::new("pair", "pair", Fmt::Plain),
                Column::new("seeds", "seeds", Fmt::Plain),
                Column::new("regularisation_wins", "regularisation wins", Fmt::Plain),
                Column::new("ties", "ties", Fmt::Plain),
                Column::new("regularisation_losses", "optimisation wins", Fmt::Plain),
                Column::new(
                    "regularisation_wins_fraction_of_decided",
                    "regularisation wins (of decided)",
                    Fmt::Percent(1),
                ),
                Column::new("median_ratio_opt_over_reg", "median (opt. best)/(reg. best)", Fmt::Fixed(4)),
            ],
        );
        for r in &repeat {
            rtable.push(vec![
                r.pair.label().into(),
                cfg.repeats.into(),
                r.wins.into(),
                r.ties.into(),
                r.losses.into(),
                Cell::Num(r.win_fraction_decided()),
                Cell::Num(r.median_ratio),
            ]);
        }
        let scale = (ls[0].powi(2) + ls[1].powi(2)).sqrt();
        let mut answers = Vec::new();
        for (q, rep) in pairs.iter().zip(&repeat) {
            let near = q.hausdorff < 0.05 * scale;
            let better = if q.reg_best_distance < q.opt_best_distance {
                "the regularisation path"
            } else if q.reg_best_distance > q.opt_best_distance {
                "the optimisation path"
            } else {
                "neither path"
            };
            let cheaper = if q.reg_seconds <= q.opt_seconds { "regularisation" } else { "optimisation" };
            let fl = if (q.reg_flops <= q.opt_flops) == (q.reg_seconds <= q.opt_seconds) {
                "by both measures"
            } else {
                "in seconds, though not in the flop estimate"
            };
            answers.push(format!(
                "{}: the paths {} (Hausdorff distance {:.3e}, {:.1}% of ‖w_LS‖). Best point (exact): regularisation {:.4e} vs optimisation {:.4e} from w*, so {better} gets closer on this draw; over {} further seeds the regularisation path wins {}, ties {} and loses {} (a tie: best distances equal within {TIE_REL:e} relative), {:.1}% of the decided seeds (median ratio {:.4}). Cost: {} regularisation points ({:.1e} flops, {:.1e} s) vs {} gradient steps ({:.1e} flops, {:.1e} s): the {cheaper} path is cheaper {fl}.",
                q.pair.label(),
                if near { "nearly match" } else { "do not match" },
                q.hausdorff,
                100.0 * q.hausdorff / scale,
                q.reg_best_distance,
                q.opt_best_distance,
                cfg.repeats,
                rep.wins,
                rep.ties,
                rep.losses,
                100.0 * rep.win_fraction_decided(),
                rep.median_ratio,
                q.reg_points,
                q.reg_flops,
                q.reg_seconds,
                q.opt_gradients,
                q.opt_flops,
                q.opt_seconds,
            ));
        }
        answers.push(format!(
            "Why EG does well here: exponentiated gradient keeps w > 0 (w = w₀⊙e^{{−ηΣg}}), so it can only reach w* = ({}, {}) because w* ≥ 0; the signed EG± (w = w⁺ − w⁻) has no such restriction and is the fair comparison with the Lasso path.",
            ws.0, ws.1
        ));
        Ok((
            Ex3Result { pairs, repeat, w_ls: ls },
            Section {
                key: String::new(),
                title: "Exercise 3 — regularisation paths vs optimisation paths".into(),
                part: "The exercise sheet".into(),
                answers,
                tables: vec![table, rtable],
                figures,
            },
        ))
    }
}
