//! Timed workloads shared by `ibias bench` and `cargo bench`: one step of each dynamic, the
//! machine's lower bound for a step (the two mat-vecs alone), the exact solvers and a sweep.
//! Times are medians of repeated batches (these machines are noisy: compare ratios within one run).

use crate::Result;
use crate::dynamics::dual::safe_step;
use crate::dynamics::{RunConfig, StopRule, run_eg, run_gd, run_md, run_reparam_alpha};
use crate::exact::bregman::{BregmanOptions, bregman_projection};
use crate::exact::homotopy::lasso_homotopy;
use crate::exact::lasso::{CdOptions, default_lasso_grid, lasso_cd};
use crate::exact::{basis_pursuit, min_l2};
use crate::kernels::linalg;
use crate::potential::Hyperbolic;
use crate::problem::{GradPlan, Parallelism, Problem};
use serde::Serialize;
use std::time::Instant;

/// Median seconds per call of `f`, from `batches` batches each running at least `min_batch_s`.
pub fn time_per_call(mut f: impl FnMut(), batches: usize, min_batch_s: f64) -> f64 {
    f();
    let mut reps = 1usize;
    loop {
        let t = Instant::now();
        for _ in 0..reps {
            f();
        }
        if t.elapsed().as_secs_f64() >= min_batch_s || reps > 1 << 30 {
            break;
        }
        reps *= 2;
    }
    let mut v: Vec<f64> = (0..batches.max(1))
        .map(|_| {
            let t = Instant::now();
            for _ in 0..reps {
                f();
            }
            t.elapsed().as_secs_f64() / reps as f64
        })
        .collect();
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn steps_cfg(eta: f64, steps: usize) -> RunConfig {
    RunConfig::fixed(eta).checkpoints(0).stop(StopRule::steps(steps))
}

/// Times `f` (see [`time_per_call`]); the first error of `f` is returned instead of a timing.
fn time_result<T>(mut f: impl FnMut() -> Result<T>, batches: usize, min_batch_s: f64) -> Result<f64> {
    let mut err = None;
    let t = time_per_call(
        || {
            if err.is_none()
                && let Err(e) = f()
            {
                err = Some(e);
            }
        },
        batches,
        min_batch_s,
    );
    match err {
        Some(e) => Err(e),
        None => Ok(t),
    }
}

/// One timing.
#[derive(Debug, Clone, Serialize)]
pub struct Timing {
    /// Workload name (matches the Python baselines).
    pub name: String,
    /// Median seconds per unit (per step for dynamics, per solve otherwise).
    pub seconds: f64,
    /// What the unit is.
    pub unit: String,
}

/// The names of the standard workloads (the Python baselines use the same names).
pub const WORKLOADS: &[&str] = &[
    "lower_bound_two_matvecs",
    "two_matvecs_one_core",
    "md_step",
    "reparam_step",
    "md_step_batched_32",
    "md_step_sequential_32",
    "gd_step",
    "datafit_md_step",
    "datafit_reparam_step",
    "datafit_gd_step",
    "eg_step",
    "min_l2",
    "lasso_exact_path",
    "lasso_grid_100",
    "basis_pursuit",
    "bregman_projection",
    "saddle_path",
    "newton_matrix",
    "gemm_512",
    "sgd_step_b1",
    "sgd_step_b10",
    "empty_join_helper",
    "empty_join_rayon",
];

/// Runs the standard workloads on `p` with initialisation scale `alpha` (all of them, or those named in `only`).
pub fn standard(p: &Problem, alpha: f64, quick: bool, only: &[String]) -> Result<Vec<Timing>> {
    if let Some(bad) = only.iter().find(|o| !WORKLOADS.contains(&o.as_str())) {
        return Err(crate::Error::param("only", format!("unknown workload '{bad}' (known: {})", WORKLOADS.join(", "))));
    }
    let want = |name: &str| only.is_empty() || only.iter().any(|o| o == name);
    let d = p.d();
    let (batches, min_s) = if quick { (3, 0.02) } else { (7, 0.1) };
    let steps = 2000;
    let pot = Hyperbolic::uniform(alpha, d)?;
    let g0 = p.grad(&vec![0.0; d]);
    let plan = GradPlan::new(p, Parallelism::Auto);
    let eta = safe_step(&plan, &pot, &vec![0.0; d], &g0);
    let mut out = Vec::new();
    let per = |x: f64| x / steps as f64;
    // Lower bound: r = Xw − y and g = (2/n)Xᵀr, nothing else.
    let w = vec![0.01; d];
    let mut r = vec![0.0; p.n()];
    let mut g = vec![0.0; d];
    if want("lower_bound_two_matvecs") {
        let lb = time_per_call(
            || {
                std::hint::black_box(plan.grad(std::hint::black_box(&w), &mut r, &mut g));
            },
            batches,
            min_s,
        );
        out.push(Timing { name: "lower_bound_two_matvecs".into(), seconds: lb, unit: "step".into() });
    }
    if want("two_matvecs_one_core") {
        // The same two products on one core, so the split's gain is read in one run.
        let t = time_per_call(
            || {
                p.residual_into(std::hint::black_box(&w), &mut r);
                p.xt_mul(&r, &mut g);
            },
            batches,
            min_s,
        );
        out.push(Timing { name: "two_matvecs_one_core".into(), seconds: t, unit: "step".into() });
    }

    let cfg = steps_cfg(eta, steps);
    if want("md_step") {
        let t = time_result(|| run_md(p, &pot, &vec![0.0; d], &cfg), batches, min_s)?;
        out.push(Timing { name: "md_step".into(), seconds: per(t), unit: "step".into() });
    }
    if want("reparam_step") {
        let t = time_result(|| run_reparam_alpha(p, alpha, &cfg), batches, min_s)?;
        out.push(Timing { name: "reparam_step".into(), seconds: per(t), unit: "step".into() });
    }
    // 32 runs (α log-spaced, the safe fixed step of each) advanced together vs one after the other.
    let runs: Vec<(f64, f64)> = crate::kernels::linalg::logspace(1e-3, 10.0, 32)
        .into_iter()
        .map(|a| -> Result<(f64, f64)> { Ok((a, safe_step(&plan, &Hyperbolic::uniform(a, d)?, &vec![0.0; d], &g0))) })
        .collect::<Result<_>>()?;
    let bsteps = 200;
    if want("md_step_batched_32") {
        let t = time_result(|| crate::dynamics::batch::run_md_batch(p, &runs, 0.0, bsteps), batches, min_s)?;
        out.push(Timing {
            name: "md_step_batched_32".into(),
            seconds: t / (32 * bsteps) as f64,
            unit: "run-step".into(),
        });
    }
    let t = if !want("md_step_sequential_32") {
        f64::NAN
    } else {
        time_result(
            || -> Result<()> {
                for &(a, e) in &runs {
                    run_md(p, &Hyperbolic::uniform(a, d)?, &vec![0.0; d], &steps_cfg(e, bsteps))?;
                }
                Ok(())
            },
            batches,
            min_s,
        )?
    };
    if want("md_step_sequential_32") {
        out.push(Timing {
            name: "md_step_sequential_32".into(),
            seconds: t / (32 * bsteps) as f64,
            unit: "run-step".into(),
        });
    }
    let cfg_gd = steps_cfg(0.5 / p.smoothness().max(f64::MIN_POSITIVE), steps);
    if want("gd_step") {
        let t = time_result(|| run_gd(p, &cfg_gd), batches, min_s)?;
        out.push(Timing { name: "gd_step".into(), seconds: per(t), unit: "step".into() });
    }
    // Stochastic steps (GD on w, fixed step, epochs of a seeded permutation): cost per step.
    for (name, b) in [("sgd_step_b1", 1usize), ("sgd_step_b10", 10)] {
        if want(name) && b <= p.n() {
            let o =
                crate::dynamics::sampling::SgdOptions { batch: b, check_every: usize::MAX / 2, ..Default::default() };
            let eta_s = 0.1 / (p.smoothness().max(f64::MIN_POSITIVE) * p.d() as f64);
            let a = crate::dynamics::fit::FitArgs::new(
                crate::datafit::LossKind::LeastSquares,
                steps_cfg(eta_s, 20 * steps),
            )
            .sampled(o);
            let t = time_result(|| crate::dynamics::fit::run_gd(p, &a), batches, min_s)?;
            out.push(Timing { name: name.into(), seconds: t / (20 * steps) as f64, unit: "step".into() });
        }
    }
    // The same full-batch least-squares steps through the loss-generic path (`dynamics::fit` on the `Datafit`
    // trait): the price of the trait, read against the dedicated kernels above in the same run.
    let fit = |cfg: &RunConfig| crate::dynamics::fit::FitArgs {
        alpha,
        ..crate::dynamics::fit::FitArgs::new(crate::datafit::LossKind::LeastSquares, *cfg)
    };
    if want("datafit_md_step") {
        let a = fit(&cfg);
        let t = time_result(|| crate::dynamics::fit::run_md(p, &a), batches, min_s)?;
        out.push(Timing { name: "datafit_md_step".into(), seconds: per(t), unit: "step".into() });
    }
    if want("datafit_reparam_step") {
        let a = fit(&cfg);
        let t = time_result(|| crate::dynamics::fit::run_reparam(p, &a), batches, min_s)?;
        out.push(Timing { name: "datafit_reparam_step".into(), seconds: per(t), unit: "step".into() });
    }
    if want("datafit_gd_step") {
        let a = fit(&cfg_gd);
        let t = time_result(|| crate::dynamics::fit::run_gd(p, &a), batches, min_s)?;
        out.push(Timing { name: "datafit_gd_step".into(), seconds: per(t), unit: "step".into() });
    }
    if want("eg_step") {
        let t = time_result(|| run_eg(p, &vec![1.0; d], &cfg_gd), batches, min_s)?;
        out.push(Timing { name: "eg_step".into(), seconds: per(t), unit: "step".into() });
    }
    if want("min_l2") {
        let t = time_result(|| min_l2(p), batches, min_s)?;
        out.push(Timing { name: "min_l2".into(), seconds: t, unit: "solve".into() });
    }
    if p.risk_at_zero() > 0.0 && p.grad_zero_inf() > 0.0 {
        if want("lasso_exact_path") {
            let t = time_result(|| lasso_homotopy(p), batches, min_s)?;
            out.push(Timing { name: "lasso_exact_path".into(), seconds: t, unit: "path".into() });
        }
        if want("lasso_grid_100") {
            let grid = default_lasso_grid(p, 100, false);
            let cd = CdOptions { gap_tol: 1e-10, ..Default::default() };
            let t = time_result(|| lasso_cd(p, &grid, cd), batches, min_s)?;
            out.push(Timing { name: "lasso_grid_100".into(), seconds: t, unit: "path".into() });
        }
    }
    if p.rank() == p.n() {
        if want("basis_pursuit") {
            let t = time_result(|| basis_pursuit(p), batches.min(3), min_s)?;
            out.push(Timing { name: "basis_pursuit".into(), seconds: t, unit: "solve".into() });
        }
        if want("bregman_projection") {
            let t =
                time_result(|| bregman_projection(p, &pot, &vec![0.0; d], BregmanOptions::default()), batches, min_s)?;
            out.push(Timing { name: "bregman_projection".into(), seconds: t, unit: "solve".into() });
        }
        if want("saddle_path") {
            let t = time_result(|| crate::exact::saddle::saddle_path(p), batches.min(3), min_s)?;
            out.push(Timing { name: "saddle_path".into(), seconds: t, unit: "path".into() });
        }
    }
    // The roofline: the product each Newton step of a projection forms, `X diag(h) Xᵀ` (its lower half,
    // `n²d/2` multiply-adds, on the cores the solver uses), and the machine's dense product rate, `C = A·B` at
    // 512 × 512 (`2·512³` flops), faer's kernel on two cores (the columns of `B` in halves).
    if want("newton_matrix") {
        let (h, mut g, mut scratch) = (vec![1.0; d], linalg::Dense::zeros(0, 0), linalg::GramScratch::default());
        let t = time_per_call(|| linalg::weighted_gram(p.x(), &h, &mut g, &mut scratch), batches, min_s);
        out.push(Timing { name: "newton_matrix".into(), seconds: t, unit: "product".into() });
    }
    if want("gemm_512") {
        let m = 512;
        let a = faer::Mat::<f64>::from_fn(m, m, |i, j| ((i * 7 + j * 3) % 13) as f64 - 6.0);
        let b = faer::Mat::<f64>::from_fn(m, m, |i, j| ((i * 5 + j * 11) % 17) as f64 - 8.0);
        let mut c = faer::Mat::<f64>::zeros(m, m);
        let t = time_per_call(
            || {
                let (c0, c1) = c.as_mut().split_at_col_mut(m / 2);
                let (b0, b1) = b.as_ref().split_at_col(m / 2);
                let product = |dst: faer::MatMut<'_, f64>, rhs: faer::MatRef<'_, f64>| {
                    faer::linalg::matmul::matmul(dst, faer::Accum::Replace, a.as_ref(), rhs, 1.0, faer::Par::Seq)
                };
                crate::kernels::par::join(|| product(c0, b0), || product(c1, b1));
            },
            batches,
            min_s,
        );
        out.push(Timing { name: "gemm_512".into(), seconds: t, unit: "product".into() });
    }
    if !want("empty_join_helper") {
        return Ok(out);
    }
    // The hand-over that splits a kernel over two cores: `par::join` against `rayon::join` called from
    // outside its pool (last, so that the pool's spinning threads do not disturb the other timings).
    let t = time_per_call(
        || {
            std::hint::black_box(crate::kernels::par::join(|| 1, || 2));
        },
        batches,
        min_s,
    );
    out.push(Timing { name: "empty_join_helper".into(), seconds: t, unit: "call".into() });
    let t = time_per_call(
        || {
            std::hint::black_box(rayon::join(|| 1, || 2));
        },
        batches,
        min_s,
    );
    out.push(Timing { name: "empty_join_rayon".into(), seconds: t, unit: "call".into() });
    Ok(out)
}
