//! `cargo bench`: the kernels and solvers on the `ex2` preset (40×100) and a 200×2000 instance,
//! with the two mat-vecs of a step (the lower bound) measured in the same run for ratios.

use criterion::{Criterion, criterion_group, criterion_main};
use ibias::dynamics::dual::safe_step;
use ibias::dynamics::{RunConfig, StopRule, run_md, run_reparam_alpha};
use ibias::exact::bregman::{BregmanOptions, bregman_projection};
use ibias::exact::homotopy::lasso_homotopy;
use ibias::exact::lasso::{CdOptions, default_lasso_grid, lasso_cd};
use ibias::exact::{BpMethod, basis_pursuit_with};
use ibias::potential::Hyperbolic;
use ibias::problem::generate::{Entries, GenSpec};
use ibias::problem::{GradPlan, Parallelism};
use std::hint::black_box;

fn fixed(eta: f64, steps: usize) -> RunConfig {
    RunConfig::fixed(eta).checkpoints(0).stop(StopRule::steps(steps))
}

fn kernels(c: &mut Criterion) {
    let problems = [
        ("40x100", GenSpec::ex2(0).generate().unwrap().problem),
        (
            "200x2000",
            GenSpec {
                n: 200,
                d: 2000,
                sparsity: Some(10),
                entries: Entries::Signs,
                w_star: None,
                noise: 0.0,
                seed: 0,
                margin: None,
            }
            .generate()
            .unwrap()
            .problem,
        ),
    ];
    for (name, p) in &problems {
        let d = p.d();
        let pot = Hyperbolic::uniform(1.0, d).unwrap();
        let g0 = p.grad(&vec![0.0; d]);
        let plan = GradPlan::new(p, Parallelism::Auto);
        let eta = safe_step(&plan, &pot, &vec![0.0; d], &g0);
        let mut g = c.benchmark_group(*name);
        g.sample_size(20);
        let w = vec![0.01; d];
        let (mut r, mut gr) = (vec![0.0; p.n()], vec![0.0; d]);
        g.bench_function("lower_bound_two_matvecs", |b| {
            b.iter(|| black_box(plan.grad(black_box(&w), &mut r, &mut gr)))
        });
        g.bench_function("md_100_steps", |b| b.iter(|| run_md(p, &pot, &vec![0.0; d], &fixed(eta, 100)).unwrap()));
        g.bench_function("reparam_100_steps", |b| b.iter(|| run_reparam_alpha(p, 1.0, &fixed(eta, 100)).unwrap()));
        g.bench_function("lasso_exact_path", |b| b.iter(|| lasso_homotopy(p).unwrap()));
        let grid = default_lasso_grid(p, 100, false);
        g.bench_function("lasso_grid_100", |b| {
            b.iter(|| lasso_cd(p, &grid, CdOptions { gap_tol: 1e-10, ..Default::default() }).unwrap())
        });
        g.bench_function("basis_pursuit_homotopy", |b| b.iter(|| basis_pursuit_with(p, BpMethod::Homotopy).unwrap()));
        g.bench_function("bregman_alpha_1e-6", |b| {
            let pot = Hyperbolic::uniform(1e-6, d).unwrap();
            b.iter(|| bregman_projection(p, &pot, &vec![0.0; d], BregmanOptions::default()).unwrap())
        });
        g.finish();
    }
}

criterion_group!(benches, kernels);
criterion_main!(benches);
