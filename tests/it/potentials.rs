//! The potentials at the extremes users hit (α from 1e-100 to 1e3), through their exact limits.

use crate::helpers::{ex2, make, rel};
use ibias::exact::bregman::{BregmanOptions, bregman_projection};
use ibias::exact::{basis_pursuit, min_l2};
use ibias::potential::{Hyperbolic, check_potential};

#[test]
fn every_potential_meets_its_contract_at_the_extremes() {
    for alpha in [1e-100, 1e-30, 1e-10, 1e-3, 1.0, 1e3] {
        let pot = Hyperbolic::uniform(alpha, 1).unwrap();
        for w in [-1e3, -1.0, -1e-12, 1e-30, 1e-12, 0.5, 1e3] {
            check_potential(&pot, 0, w).unwrap();
        }
    }
    for w in [1e-300, 1e-8, 1.0, 1e300] {
        check_potential(&ibias::potential::NegEntropy, 0, w).unwrap();
    }
}

#[test]
fn bregman_limits_cover_alpha_from_1e_100_to_1e3() {
    let p = ex2(1);
    let d = p.d();
    let bp = basis_pursuit(&p).unwrap();
    let w2 = min_l2(&p).unwrap();
    for alpha in [1e-100, 1e-30] {
        let s =
            bregman_projection(&p, &Hyperbolic::uniform(alpha, d).unwrap(), &vec![0.0; d], BregmanOptions::default())
                .unwrap();
        assert!((s.l1_norm - bp.l1_norm).abs() <= 1e-9 * bp.l1_norm, "α = {alpha}: {} vs {}", s.l1_norm, bp.l1_norm);
        assert!(s.certificate.residual_rel <= 1e-12);
    }
    let big = bregman_projection(&p, &Hyperbolic::uniform(1e3, d).unwrap(), &vec![0.0; d], BregmanOptions::default())
        .unwrap();
    assert!(rel(&big.w, &w2.w) <= 1e-8);
    // Below α ≈ 1e-154 (c = 2α² underflows) the log-scale form is used.
    let tiny = Hyperbolic::uniform_ln(-1000.0, d).unwrap();
    let s = bregman_projection(&p, &tiny, &vec![0.0; d], BregmanOptions::default()).unwrap();
    assert!((s.l1_norm - bp.l1_norm).abs() <= 1e-9 * bp.l1_norm);
}

/// The screened Newton matrices of the global phase change the path to the projection, not the projection: with
/// and without screening the answers agree (to the sum of their forward tolerances, 2·1e-9) and both are certified,
/// from α = 1e-2 to 1e-30, on a d ≫ n problem (15 columns a row) and on ex2 (40 × 100: d ≤ 2.5n, where
/// screening never applies — the control).
#[test]
fn screened_newton_matrices_reach_the_same_projection() {
    for p in [make(60, 900, Some(5), 0.1, 3), ex2(2)] {
        let d = p.d();
        for alpha in [1e-2, 1e-4, 1e-10, 1e-30] {
            let pot = Hyperbolic::uniform(alpha, d).unwrap();
            let solve = |screen: f64| {
                bregman_projection(&p, &pot, &vec![0.0; d], BregmanOptions { screen, ..Default::default() }).unwrap()
            };
            let (a, b) = (solve(1e-6), solve(0.0));
            for s in [&a, &b] {
                assert!(s.certificate.residual_rel <= 1e-12, "α = {alpha}: residual {}", s.certificate.residual_rel);
            }
            assert!(rel(&a.w, &b.w) <= 2e-9, "α = {alpha}: {}", rel(&a.w, &b.w));
        }
    }
}

/// A uniform metric's Newton matrix is `h·XXᵀ` from the problem's kept row Gram matrix: that matrix is `XXᵀ`; the
/// Euclidean projection (a uniform metric at every iterate) from an arbitrary `w₀` is the closed form
/// `w₀ + X⁺(y − Xw₀)` (to 1e-12 relative); and a hyperbolic projection from `w₀ = 0` (a uniform first iterate)
/// agrees with the same projection under scales that differ in one coordinate by one part in 10¹⁵ (a non-uniform
/// metric: the generic product), to 1e-9 and in as many Newton iterations, at α from 1e-4 to 1e3, both certified.
#[test]
fn a_uniform_metric_uses_the_kept_row_gram_matrix() {
    use ibias::potential::Euclidean;
    use ibias::problem::Problem;
    let p = make(30, 200, Some(4), 0.1, 5);
    let (n, d) = (p.n(), p.d());
    let g = p.row_gram();
    for a in 0..n {
        for b in 0..n {
            let want: f64 = (0..d).map(|j| p.x().get(a, j) * p.x().get(b, j)).sum();
            assert!((g.get(a, b) - want).abs() <= 1e-12 * want.abs().max(1.0), "({a}, {b})");
        }
    }
    let w0: Vec<f64> = (0..d).map(|j| ((j * 7) % 5) as f64 - 2.0).collect();
    let s = bregman_projection(&p, &Euclidean, &w0, BregmanOptions::default()).unwrap();
    let shifted = Problem::new(p.x().clone(), p.residual(&w0).iter().map(|r| -r).collect()).unwrap();
    let closed: Vec<f64> = min_l2(&shifted).unwrap().w.iter().zip(&w0).map(|(a, b)| a + b).collect();
    assert!(rel(&s.w, &closed) <= 1e-12, "{}", rel(&s.w, &closed));
    // On a quadratic an exact Newton matrix lands in one step (a wrongly scaled one would need more).
    assert_eq!(s.certificate.iterations, Some(1));
    for alpha in [1e-4, 1e-2, 1.0, 1e3] {
        let uniform = Hyperbolic::uniform(alpha, d).unwrap();
        let mut c = uniform.scales().to_vec();
        c[7] *= 1.0 + 1e-15;
        let generic = Hyperbolic::with_scales(c).unwrap();
        let [a, b] = [&uniform, &generic]
            .map(|pot| bregman_projection(&p, pot, &vec![0.0; d], BregmanOptions::default()).unwrap());
        for s in [&a, &b] {
            assert!(s.certificate.residual_rel <= 1e-12, "α = {alpha}: residual {}", s.certificate.residual_rel);
        }
        assert!(rel(&a.w, &b.w) <= 1e-9, "α = {alpha}: {}", rel(&a.w, &b.w));
        assert_eq!(a.certificate.iterations, b.certificate.iterations, "α = {alpha}");
    }
}
