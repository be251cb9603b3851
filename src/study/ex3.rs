//! Exercise 3: regularisation paths vs optimisation paths in the plane (`n = 100`, `d = 2`):
//! ridge vs gradient descent from 0, Lasso vs exponentiated gradient from `10⁻¹⁰(1, 1)`.

use super::{Section, Table, e3, figure};
use crate::Result;
use crate::data::GenSpec;
use crate::dynamics::md::RunConfig;
use crate::dynamics::{StepRule, run_eg, run_gd};
use crate::exact::lasso::{interpolate_path, lasso_homotopy};
use crate::exact::min_l2;
use crate::exact::ridge::{default_ridge_grid, ridge_path};
use crate::linalg::logspace;
use crate::problem::Problem;
use crate::report::plot::{Axes, Series};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

/// Configuration of Exercise 3.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Ex3Config {
    /// Seed of the drawn dataset.
    pub seed: u64,
    /// GD and EG step size as a fraction of `1/L`.
    pub eta_fraction: f64,
    /// EG starting point (all coordinates).
    pub eg_init: f64,
    /// Number of λ values of the ridge grid.
    pub n_lambdas: usize,
    /// Stop the optimisation paths when the gradient is below `grad_tol·‖∇R(0)‖∞`.
    pub grad_tol: f64,
    /// Seeds of the repetition.
    pub repeats: usize,
}

impl Default for Ex3Config {
    fn default() -> Self {
        Ex3Config { seed: 0, eta_fraction: 0.1, eg_init: 1e-10, n_lambdas: 200, grad_tol: 1e-10, repeats: 200 }
    }
}

/// The measured comparison of one pair of paths.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PathPair {
    /// Name (`ridge vs GD`, `Lasso vs EG`).
    pub name: String,
    /// Best distance to `w*` on the regularisation path, and λ there.
    pub reg_best: (f64, f64),
    /// Best distance to `w*` on the optimisation path, and the iteration there.
    pub opt_best: (f64, f64),
    /// Symmetric Hausdorff distance between the two polylines.
    pub hausdorff: f64,
    /// Cost of the regularisation path: (points, flops, seconds).
    pub reg_cost: (usize, f64, f64),
    /// Cost of the optimisation path: (gradient evaluations, flops, seconds).
    pub opt_cost: (usize, f64, f64),
}

/// Results of Exercise 3.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Ex3Result {
    /// Ridge vs GD and Lasso vs EG.
    pub pairs: Vec<PathPair>,
    /// Over `repeats` seeds: fraction where the regularisation path's best point is closer to `w*`, and
    /// the median ratio (optimisation best / regularisation best), per pair.
    pub repeat: Vec<(String, f64, f64)>,
    /// `w*`, the least-squares solution.
    pub w_ls: Vec<f64>,
}

fn seg_dist(p: (f64, f64), a: (f64, f64), b: (f64, f64)) -> f64 {
    let (dx, dy) = (b.0 - a.0, b.1 - a.1);
    let l2 = dx * dx + dy * dy;
    let t = if l2 > 0.0 { (((p.0 - a.0) * dx + (p.1 - a.1) * dy) / l2).clamp(0.0, 1.0) } else { 0.0 };
    ((p.0 - a.0 - t * dx).powi(2) + (p.1 - a.1 - t * dy).powi(2)).sqrt()
}

/// Distance from a point to a polyline.
pub fn dist_to_polyline(p: (f64, f64), line: &[(f64, f64)]) -> f64 {
    if line.len() == 1 {
        return seg_dist(p, line[0], line[0]);
    }
    line.windows(2).map(|w| seg_dist(p, w[0], w[1])).fold(f64::INFINITY, f64::min)
}

/// Symmetric Hausdorff distance between two polylines, measured from the vertices of each to the other.
pub fn hausdorff(a: &[(f64, f64)], b: &[(f64, f64)]) -> f64 {
    let h = |x: &[(f64, f64)], y: &[(f64, f64)]| x.iter().map(|&p| dist_to_polyline(p, y)).fold(0.0, f64::max);
    h(a, b).max(h(b, a))
}

/// Best point of a sequence: (distance to `w*`, index).
fn best(points: &[(f64, f64)], ws: (f64, f64)) -> (f64, usize) {
    points
        .iter()
        .enumerate()
        .map(|(k, p)| (((p.0 - ws.0).powi(2) + (p.1 - ws.1).powi(2)).sqrt(), k))
        .fold((f64::INFINITY, 0), |m, x| if x.0 < m.0 { x } else { m })
}

struct Paths {
    ridge: (Vec<f64>, Vec<(f64, f64)>, f64),
    gd: (Vec<(f64, f64)>, usize, f64),
    lasso: (Vec<f64>, Vec<(f64, f64)>, f64),
    eg: (Vec<(f64, f64)>, usize, f64),
}

fn compute_paths(p: &Problem, cfg: &Ex3Config) -> Result<Paths> {
    let grid = default_ridge_grid(p, cfg.n_lambdas)?;
    let rp = ridge_path(p, &grid)?;
    let ridge: Vec<(f64, f64)> = rp.coefs.iter().map(|w| (w[0], w[1])).collect();
    let eta = cfg.eta_fraction / p.smoothness();
    let mut rc = RunConfig { step: StepRule::Fixed(eta), record_every: true, ..Default::default() };
    rc.stop.risk_tol = 0.0;
    rc.stop.grad_tol = cfg.grad_tol;
    rc.stop.max_iter = 1_000_000;
    let gd = run_gd(p, &rc)?;
    let gdp: Vec<(f64, f64)> = gd.checkpoints.iter().map(|c| (c.w[0], c.w[1])).collect();
    let t = std::time::Instant::now();
    let lp = lasso_homotopy(p)?;
    let lmax = lp.lambdas[0];
    // Dense evaluation of the piecewise-linear path for drawing and distances (breakpoints included).
    let mut lams: Vec<f64> = logspace(lmax * 1e-6, lmax, 400);
    lams.extend(lp.lambdas.iter().copied());
    lams.push(0.0);
    lams.sort_by(|a, b| b.total_cmp(a));
    lams.dedup();
    let lasso: Vec<(f64, f64)> = lams.iter().map(|&l| interpolate_path(&lp, l)).map(|w| (w[0], w[1])).collect();
    let lasso_secs = lp.seconds + t.elapsed().as_secs_f64() * 0.0;
    let eg = run_eg(p, &vec![cfg.eg_init; p.d()], &rc)?;
    let egp: Vec<(f64, f64)> = eg.checkpoints.iter().map(|c| (c.w[0], c.w[1])).collect();
    Ok(Paths {
        ridge: (grid, ridge, rp.seconds),
        gd: (gdp, gd.grad_evals, gd.seconds),
        lasso: (lams, lasso, lasso_secs),
        eg: (egp, eg.grad_evals, eg.seconds),
    })
}

/// Runs Exercise 3.
pub fn run(cfg: &Ex3Config, progress: &(dyn Fn(&str) + Sync)) -> Result<(Ex3Result, Section)> {
    progress("Exercise 3: regularisation vs optimisation paths");
    let g = GenSpec::ex3(cfg.seed).generate()?;
    let p = &g.problem;
    let (n, d) = (p.n() as f64, p.d() as f64);
    let ws = (g.w_star[0], g.w_star[1]);
    let ls = min_l2(p)?.w;
    let paths = compute_paths(p, cfg)?;
    let gflops = 4.0 * n * d; // one gradient: Xw and Xᵀr
    let pair =
        |name: &str, reg: &(Vec<f64>, Vec<(f64, f64)>, f64), opt: &(Vec<(f64, f64)>, usize, f64), reg_flops: f64| {
            let (rb, rk) = best(&reg.1, ws);
            let (ob, ok) = best(&opt.0, ws);
            PathPair {
                name: name.into(),
                reg_best: (rb, reg.0[rk]),
                opt_best: (ob, ok as f64),
                hausdorff: hausdorff(&reg.1, &opt.0),
                reg_cost: (reg.1.len(), reg_flops, reg.2),
                opt_cost: (opt.1, opt.1 as f64 * gflops, opt.2),
            }
        };
    // SVD of X (n·d² + d³) plus d² per λ; homotopy: a gradient-sized product per breakpoint.
    let ridge_flops = 4.0 * n * d * d + paths.ridge.0.len() as f64 * 2.0 * d * d;
    let lasso_flops = 8.0 * n * d * paths.lasso.0.len().min(3 * p.d() + 2) as f64;
    let pairs = vec![
        pair("ridge vs GD", &paths.ridge, &paths.gd, ridge_flops),
        pair("Lasso vs EG", &paths.lasso, &paths.eg, lasso_flops),
    ];
    progress(&format!("Exercise 3: repeating over {} seeds", cfg.repeats));
    let reps: Vec<Result<[(f64, f64); 2]>> = (0..cfg.repeats as u64)
        .into_par_iter()
        .map(|s| {
            let g = GenSpec::ex3(cfg.seed + 1 + s).generate()?;
            let ps = compute_paths(&g.problem, cfg)?;
            let w = (g.w_star[0], g.w_star[1]);
            Ok([(best(&ps.ridge.1, w).0, best(&ps.gd.0, w).0), (best(&ps.lasso.1, w).0, best(&ps.eg.0, w).0)])
        })
        .collect();
    let mut repeat = Vec::new();
    let reps: Vec<[(f64, f64); 2]> = reps.into_iter().collect::<Result<_>>()?;
    for (k, name) in ["ridge vs GD", "Lasso vs EG"].iter().enumerate() {
        let wins = reps.iter().filter(|r| r[k].0 < r[k].1).count() as f64 / reps.len().max(1) as f64;
        let mut ratios: Vec<f64> = reps.iter().map(|r| r[k].1 / r[k].0).collect();
        ratios.sort_by(f64::total_cmp);
        let med = if ratios.is_empty() { f64::NAN } else { ratios[ratios.len() / 2] };
        repeat.push((name.to_string(), wins, med));
    }
    let marks = |color| {
        vec![
            Series::markers("w* = (1, 0)", vec![ws], 5),
            Series::markers("least squares", vec![(ls[0], ls[1])], color),
            Series::markers("origin", vec![(0.0, 0.0)], 2),
        ]
    };
    let eta = cfg.eta_fraction / p.smoothness();
    let mut s1 = vec![
        Series::line(&format!("ridge path ({} λ)", paths.ridge.0.len()), paths.ridge.1.clone(), 0),
        Series::dashed(&format!("GD path (η = {eta:.3e})"), paths.gd.0.clone(), 1),
    ];
    s1.extend(marks(3));
    let mut s2 = vec![
        Series::line("Lasso path (exact homotopy)", paths.lasso.1.clone(), 0),
        Series::dashed(&format!("EG path (η = {eta:.3e}, w₀ = {:e}·1)", cfg.eg_init), paths.eg.0.clone(), 1),
    ];
    s2.extend(marks(3));
    let f1 = figure(
        "ex3_ridge_gd",
        &format!(
            "Ridge path w_{{2,λ}} (λ from {:.2e} down to 0) and the gradient-descent path from 0 (η = {eta:.3e}, every iterate) in the (w₁, w₂) plane.",
            paths.ridge.0[0]
        ),
        Axes {
            title: "Ridge path vs gradient descent",
            xlabel: "w₁",
            ylabel: "w₂",
            logx: false,
            logy: false,
            equal: true,
        },
        s1,
    )?;
    let f2 = figure(
        "ex3_lasso_eg",
        &format!(
            "Lasso path w_{{1,λ}} (exact breakpoints, λ from {:.2e} to 0) and the exponentiated-gradient path from {:e}·(1, 1) (η = {eta:.3e}).",
            paths.lasso.0[0], cfg.eg_init
        ),
        Axes {
            title: "Lasso path vs exponentiated gradient",
            xlabel: "w₁",
            ylabel: "w₂",
            logx: false,
            logy: false,
            equal: true,
        },
        s2,
    )?;
    let table = Table {
        name: "ex3_paths".into(),
        title: format!("Seed {}: best point on each path (distance to w*), distance between paths, cost", cfg.seed),
        header: [
            "pair",
            "reg. best ‖w − w*‖",
            "at λ",
            "opt. best ‖w − w*‖",
            "at iteration",
            "Hausdorff",
            "reg. points / flops / s",
            "opt. gradients / flops / s",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect(),
        rows: pairs
            .iter()
            .map(|q| {
                vec![
                    q.name.clone(),
                    e3(q.reg_best.0),
                    e3(q.reg_best.1),
                    e3(q.opt_best.0),
                    format!("{}", q.opt_best.1),
                    e3(q.hausdorff),
                    format!("{} / {:.2e} / {:.2e}", q.reg_cost.0, q.reg_cost.1, q.reg_cost.2),
                    format!("{} / {:.2e} / {:.2e}", q.opt_cost.0, q.opt_cost.1, q.opt_cost.2),
                ]
            })
            .collect(),
    };
    let rtable = Table {
        name: "ex3_repeat".into(),
        title: format!(
            "Over {} further seeds: how often the regularisation path's best point is closer to w*",
            cfg.repeats
        ),
        header: vec!["pair".into(), "regularisation wins".into(), "median (opt. best)/(reg. best)".into()],
        rows: repeat.iter().map(|(n, w, m)| vec![n.clone(), format!("{:.1}%", 100.0 * w), format!("{m:.4}")]).collect(),
    };
    let mut answers = Vec::new();
    for (q, (_, wins, med)) in pairs.iter().zip(&repeat) {
        let scale = ((ls[0] - 0.0f64).powi(2) + ls[1].powi(2)).sqrt();
        let near = q.hausdorff < 0.05 * scale;
        answers.push(format!(
            "{}: the paths {} (Hausdorff distance {:.3e}, {:.1}% of ‖w_LS‖). Best point: regularisation {:.4e} vs optimisation {:.4e} from w*, so {} path is better on this draw; over {} seeds the regularisation path wins {:.0}% of the time (median ratio {:.4}). Cost: {} regularisation points ({:.1e} flops, {:.1e} s) vs {} gradient steps ({:.1e} flops, {:.1e} s) — the {} path is cheaper here.",
            q.name,
            if near { "nearly match" } else { "do not match" },
            q.hausdorff,
            100.0 * q.hausdorff / scale,
            q.reg_best.0,
            q.opt_best.0,
            if q.reg_best.0 <= q.opt_best.0 { "the regularisation" } else { "the optimisation" },
            cfg.repeats,
            100.0 * wins,
            med,
            q.reg_cost.0,
            q.reg_cost.1,
            q.reg_cost.2,
            q.opt_cost.0,
            q.opt_cost.1,
            q.opt_cost.2,
            if q.reg_cost.1 <= q.opt_cost.1 { "regularisation" } else { "optimisation" }
        ));
    }
    let res = Ex3Result { pairs, repeat, w_ls: ls };
    Ok((
        res,
        Section {
            title: "Exercise 3 — regularisation paths vs optimisation paths".into(),
            answers,
            tables: vec![table, rtable],
            figures: vec![f1, f2],
        },
    ))
}
