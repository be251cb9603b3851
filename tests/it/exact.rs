//! The exact reference solvers, each against an independent method.

use crate::helpers::{ex2, make, rel};
use ibias::Error;
use ibias::dynamics::{RunConfig, StopRule, run_eg, run_md};
use ibias::exact::bregman::{BregmanOptions, bregman_projection};
use ibias::exact::homotopy::lasso_homotopy;
use ibias::exact::lasso::{CdOptions, default_lasso_grid, lasso_cd, lasso_path};
use ibias::exact::penalty::{L1, duality_gap, kkt_violation};
use ibias::exact::ridge::{default_ridge_grid, ridge_path};
use ibias::exact::{BpMethod, basis_pursuit, basis_pursuit_with, min_l2};
use ibias::kernels::linalg::{Dense, dist2, norm1, norm2, spd_solve};
use ibias::potential::{Euclidean, Hyperbolic, NegEntropy};
use ibias::problem::Problem;
use ibias::problem::generate::GenSpec;

fn gram(x: &Dense) -> Dense {
    Dense::from_fn(x.cols, x.cols, |a, b| (0..x.rows).map(|i| x.get(i, a) * x.get(i, b)).sum())
}

#[test]
fn min_l2_matches_normal_equations() {
    let p = make(30, 10, None, 0.5, 1);
    let mut xty = vec![0.0; 10];
    p.x().tmul_vec(p.y(), &mut xty);
    let ne = spd_solve(&gram(p.x()), &xty, 0.0).unwrap();
    assert!(rel(&min_l2(&p).unwrap().w, &ne) <= 1e-12);
    let p = make(10, 30, None, 0.0, 2);
    let a = spd_solve(&gram(&p.x().transpose()), p.y(), 0.0).unwrap();
    let mut w = vec![0.0; 30];
    p.x().tmul_vec(&a, &mut w);
    let s = min_l2(&p).unwrap();
    assert!(rel(&s.w, &w) <= 1e-12 && s.certificate.outside_row_space_rel.unwrap() < 1e-13);
}

#[test]
fn min_l2_handles_rank_deficient_x() {
    let base = make(8, 3, None, 0.3, 3);
    let x = Dense::from_fn(8, 5, |i, j| match j {
        0..=2 => base.x().get(i, j),
        3 => base.x().get(i, 0),
        _ => 0.0,
    });
    let p = Problem::new(x, base.y().to_vec()).unwrap();
    assert_eq!(p.rank(), 3);
    let s = min_l2(&p).unwrap();
    assert_eq!(s.certificate.rank, Some(3));
    assert!(s.certificate.normal_residual_norm.unwrap() < 1e-12);
    assert!((s.w[0] - s.w[3]).abs() < 1e-12 && s.w[4] == 0.0);
    assert!((s.w[0] + s.w[3] - min_l2(&base).unwrap().w[0]).abs() < 1e-11);
}

/// Brute force over all supports: the minimum ℓ1 norm among basic solutions `X_S w_S = y`.
fn brute_force_l1(p: &Problem) -> f64 {
    let d = p.d();
    let mut best = f64::INFINITY;
    for mask in 1u32..(1 << d) {
        let s: Vec<usize> = (0..d).filter(|j| mask & (1 << j) != 0).collect();
        if s.len() > p.n() {
            continue;
        }
        let xs = p.x().select_cols(&s);
        let mut b = vec![0.0; s.len()];
        xs.tmul_vec(p.y(), &mut b);
        let Some(ws) = spd_solve(&gram(&xs), &b, 0.0) else { continue };
        let mut r = vec![0.0; p.n()];
        xs.mul_vec(&ws, &mut r);
        if dist2(&r, p.y()) <= 1e-9 * norm2(p.y()) {
            best = best.min(norm1(&ws));
        }
    }
    best
}

#[test]
fn basis_pursuit_matches_brute_force_on_tiny_instances() {
    for seed in 0..12 {
        let n = 2 + (seed as usize % 3);
        let d = n + 2 + (seed as usize % 4);
        let p = make(n, d.min(8), None, 0.0, 100 + seed);
        let bf = brute_force_l1(&p);
        for m in [BpMethod::Lp, BpMethod::Homotopy, BpMethod::Auto] {
            let bp = basis_pursuit_with(&p, m).unwrap();
            assert!((bp.l1_norm - bf).abs() <= 1e-9 * bf, "seed {seed}, {m:?}: BP {} vs brute force {bf}", bp.l1_norm);
            assert!(bp.certificate.duality_gap_rel.unwrap() <= 1e-9);
            assert!(bp.certificate.dual_sup_norm.unwrap() <= 1.0 + 1e-9);
        }
    }
}

#[test]
fn basis_pursuit_certificate_on_ex2() {
    for (seed, m) in [(0, BpMethod::Lp), (1, BpMethod::Homotopy), (2, BpMethod::Auto), (0, BpMethod::Homotopy)] {
        let g = GenSpec::ex2(seed).generate().unwrap();
        let bp = basis_pursuit_with(&g.problem, m).unwrap();
        assert!(bp.certificate.duality_gap_rel.unwrap() <= 1e-9 && bp.certificate.residual_rel <= 1e-12);
        assert!(dist2(&bp.w, &g.w_star) < 1e-10);
        assert_eq!(bp.support.as_ref().unwrap().len(), 5);
        assert_eq!(bp.certificate.unique, Some(ibias::exact::Uniqueness::Unique));
    }
}

#[test]
fn lasso_homotopy_agrees_with_coordinate_descent() {
    for (seed, n, d) in [(1, 20, 50), (2, 40, 100), (3, 50, 10), (4, 15, 15)] {
        let p = make(n, d, Some(5.min(d)), 0.1, seed);
        let exact = lasso_homotopy(&p).unwrap();
        let grid = default_lasso_grid(&p, 50, false);
        let cd =
            lasso_cd(&p, &grid, CdOptions { gap_tol: 1e-22, max_sweeps: 1_000_000, ..Default::default() }).unwrap();
        for (k, &l) in grid.iter().enumerate() {
            let we = exact.at(l);
            assert!(dist2(&we, &cd.coefs[k]) <= 1e-8 * norm2(&we).max(1.0), "seed {seed}, λ = {l:e}");
        }
        for (k, c) in exact.certificates.iter().enumerate() {
            let (w, l) = (&exact.coefs[k], exact.lambdas[k]);
            let kkt = kkt_violation(&L1::default(), &p, w, l);
            let gap = duality_gap(&L1::default(), &p, w, l).unwrap();
            assert!(c.kkt_violation <= 1e-9 && kkt <= 1e-9, "{kkt} {c:?}");
            assert!((gap - c.duality_gap_abs.unwrap()).abs() <= 1e-10 * p.risk_at_zero().max(1.0));
        }
    }
}

#[test]
fn lasso_exact_path_limit_is_basis_pursuit() {
    for seed in 0..3 {
        let p = make(30, 80, Some(20), 0.0, 20 + seed);
        let path = lasso_homotopy(&p).unwrap();
        assert_eq!(*path.lambdas.last().unwrap(), 0.0);
        let last = path.coefs.last().unwrap();
        let bp = basis_pursuit_with(&p, BpMethod::Lp).unwrap();
        assert!((norm1(last) - bp.l1_norm).abs() <= 1e-9 * bp.l1_norm);
        assert!(norm2(&p.residual(last)) <= 1e-9 * norm2(p.y()));
    }
}

#[test]
fn lasso_positive_stays_nonnegative_with_small_gap() {
    let p = make(40, 60, Some(5), 0.1, 9);
    let grid = default_lasso_grid(&p, 20, true);
    let path = lasso_cd(&p, &grid, CdOptions { positive: true, ..Default::default() }).unwrap();
    for (w, c) in path.coefs.iter().zip(&path.certificates) {
        assert!(w.iter().all(|v| *v >= 0.0));
        assert!(c.duality_gap_abs.unwrap() <= 1e-12 && c.kkt_violation <= 1e-6);
    }
}

#[test]
fn ridge_path_matches_direct_solves() {
    let p = make(25, 40, None, 0.2, 5);
    let grid = default_ridge_grid(&p, 30).unwrap();
    assert_eq!(*grid.last().unwrap(), 0.0);
    let path = ridge_path(&p, &grid).unwrap();
    let w0 = norm2(&path.coefs[grid.len() - 1]);
    assert!(norm2(&path.coefs[0]) <= 1e-3 * w0);
    let n = p.n() as f64;
    let mut xty = vec![0.0; p.d()];
    p.x().tmul_vec(p.y(), &mut xty);
    let b: Vec<f64> = xty.iter().map(|v| v / n).collect();
    let g = gram(p.x());
    let gn = Dense::from_fn(p.d(), p.d(), |i, j| g.get(i, j) / n);
    for (k, &l) in grid.iter().enumerate() {
        if l == 0.0 {
            assert!(rel(&path.coefs[k], &min_l2(&p).unwrap().w) <= 1e-10);
            continue;
        }
        let direct = spd_solve(&gn, &b, l).unwrap();
        assert!(dist2(&path.coefs[k], &direct) <= 1e-9 * norm2(&direct).max(1e-300), "λ = {l:e}");
        assert!(path.certificates[k].kkt_violation <= 1e-10);
    }
}

#[test]
fn bregman_projection_agrees_with_long_md_runs() {
    let p = ex2(0);
    let d = p.d();
    for (alpha, tol_md, agree) in [(1e-6, 1e-16, 1e-5), (1e-2, 1e-24, 1e-9), (1.0, 1e-26, 1e-10), (1e2, 1e-26, 1e-10)] {
        let pot = Hyperbolic::uniform(alpha, d).unwrap();
        let exact = bregman_projection(&p, &pot, &vec![0.0; d], BregmanOptions::default()).unwrap();
        let md = run_md(
            &p,
            &pot,
            &vec![0.0; d],
            &RunConfig::default().stop(StopRule::default().risk_tol(tol_md).max_iter(3_000_000)),
        )
        .unwrap();
        assert!(rel(&md.w, &exact.w) <= agree, "α = {alpha}: {:e}", rel(&md.w, &exact.w));
    }
}

#[test]
fn bregman_projection_limits_in_alpha() {
    for seed in 0..3 {
        let p = ex2(seed);
        let d = p.d();
        let w2 = min_l2(&p).unwrap();
        let big =
            bregman_projection(&p, &Hyperbolic::uniform(1e3, d).unwrap(), &vec![0.0; d], BregmanOptions::default())
                .unwrap();
        assert!(rel(&big.w, &w2.w) <= 1e-8);
        let small =
            bregman_projection(&p, &Hyperbolic::uniform(1e-10, d).unwrap(), &vec![0.0; d], BregmanOptions::default())
                .unwrap();
        let bp = basis_pursuit(&p).unwrap();
        assert!((small.l1_norm - bp.l1_norm).abs() <= 1e-6 * bp.l1_norm);
        let eu = bregman_projection(&p, &Euclidean, &vec![0.0; d], BregmanOptions::default()).unwrap();
        assert!(rel(&eu.w, &w2.w) <= 1e-12);
        assert!(small.certificate.residual_rel <= 1e-12 && big.certificate.residual_rel <= 1e-12);
    }
}

#[test]
fn entropy_projection_is_positive_and_feasible() {
    let mut spec = GenSpec::ex2(4);
    spec.w_star = Some((0..100).map(|j| if j % 10 == 0 { 1.0 } else { 0.0 }).collect());
    let p = spec.generate().unwrap().problem;
    let s = bregman_projection(&p, &NegEntropy, &vec![1.0; 100], BregmanOptions::default()).unwrap();
    assert!(s.w.iter().all(|v| *v > 0.0) && s.certificate.residual_rel <= 1e-12);
    let eg = run_eg(&p, &vec![1.0; 100], &RunConfig::default().stop(StopRule::default().risk_tol(1e-26))).unwrap();
    assert!(rel(&eg.w, &s.w) <= 1e-8);
}

#[test]
fn bad_inputs_give_clear_errors() {
    let p = ex2(0);
    assert!(matches!(ridge_path(&p, &[1.0, -0.5]), Err(Error::Param { message, .. }) if message.contains("≥ 0")));
    assert!(
        matches!(lasso_cd(&p, &[], CdOptions::default()), Err(Error::Param { message, .. }) if message.contains("empty"))
    );
    match bregman_projection(&p, &NegEntropy, &vec![0.0; 100], BregmanOptions::default()) {
        Err(Error::Param { message, .. }) => assert!(message.contains("w0 > 0"), "{message}"),
        other => panic!("{other:?}"),
    }
    let noisy = GenSpec::ex3(0).generate().unwrap().problem;
    match basis_pursuit(&noisy) {
        Err(Error::Infeasible(m)) => assert!(m.contains("no solution"), "{m}"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn lasso_matches_committed_scikit_learn_fixtures() {
    for s in 1..=3 {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures");
        let p = ibias::problem::csv::load_csv(std::path::Path::new(&format!("{dir}/lasso_seed{s}.csv"))).unwrap();
        let fx: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(format!("{dir}/lasso_seed{s}.sklearn.json")).unwrap())
                .unwrap();
        let nums = |k: &str| -> Vec<f64> { fx[k].as_array().unwrap().iter().map(|v| v.as_f64().unwrap()).collect() };
        let rows = |k: &str| -> Vec<Vec<f64>> {
            fx[k]
                .as_array()
                .unwrap()
                .iter()
                .map(|r| r.as_array().unwrap().iter().map(|v| v.as_f64().unwrap()).collect())
                .collect()
        };
        let exact = lasso_path(&p).unwrap();
        for (l, w) in nums("lars_lambdas").iter().zip(rows("lars_coefs")) {
            assert!(dist2(&exact.at(*l), &w) <= 1e-8 * norm2(&w).max(1.0), "seed {s}, lars λ = {l:e}");
        }
        let grid = nums("grid_lambdas");
        let cd =
            lasso_cd(&p, &grid, CdOptions { gap_tol: 1e-22, max_sweeps: 1_000_000, ..Default::default() }).unwrap();
        for (k, w) in rows("grid_coefs").iter().enumerate() {
            assert!(dist2(&cd.coefs[k], w) <= 1e-8 * norm2(w).max(1.0), "seed {s}, grid λ = {:e}", grid[k]);
        }
    }
}

#[test]
fn rank_deficient_x_with_consistent_y() {
    let base = GenSpec::ex2(5).generate().unwrap();
    let (n, d) = (base.problem.n(), base.problem.d());
    let x = Dense::from_fn(n + 1, d, |i, j| base.problem.x().get(i.min(n - 1), j));
    let mut y = base.problem.y().to_vec();
    y.push(base.problem.y()[n - 1]);
    let p = Problem::new(x, y).unwrap();
    assert_eq!(p.rank(), n);
    let pot = Hyperbolic::uniform(0.1, d).unwrap();
    let exact = bregman_projection(&p, &pot, &vec![0.0; d], BregmanOptions::default()).unwrap();
    assert!(exact.certificate.residual_rel <= 1e-10);
    let md = run_md(&p, &pot, &vec![0.0; d], &RunConfig::default().stop(StopRule::default().risk_tol(1e-26))).unwrap();
    assert!(rel(&md.w, &exact.w) <= 1e-7);
    let lp = basis_pursuit_with(&p, BpMethod::Lp).unwrap();
    assert!((lp.l1_norm - basis_pursuit(&p).unwrap().l1_norm).abs() <= 1e-9 * lp.l1_norm);
    let m2 = min_l2(&p).unwrap();
    assert_eq!(m2.certificate.rank, Some(n));
    assert!(m2.certificate.residual_rel <= 1e-12);
}
