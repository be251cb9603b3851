//! Beyond the sheet: the saddle-to-saddle limit, deeper networks and the initialisation shape, each checked
//! against an independent computation (published closed forms, basis pursuit, the flow, long discrete runs).

use crate::helpers::{make, rel};
use faer::linalg::solvers::Solve;
use ibias::dynamics::flow::{accelerated_flow, reparam_flow};
use ibias::dynamics::ode::OdeOptions;
use ibias::dynamics::reparam::run_reparam;
use ibias::dynamics::{Init, RunConfig, StopRule};
use ibias::exact::basis_pursuit;
use ibias::exact::bregman::{BregmanOptions, bregman_projection};
use ibias::exact::saddle::saddle_path;
use ibias::kernels::linalg::norm1;
use ibias::potential::DepthD;
use ibias::study::saddle::toy;

/// Pesme & Flammarion (2023), Figure 1: jumps at τ = 1, 4, 4 + 80/49 with saddles (0.8, 0, 0, 0),
/// (0, 0, 1.4, 0), (0, 0, 10/7, −10/49). Every quantity is a ratio of small integers, so the solver (a few
/// Cholesky solves on a 2 × 2 or 1 × 1 system) must hit them to rounding: 1e-12.
#[test]
fn the_toy_saddle_path_matches_the_published_one() {
    let path = saddle_path(&toy().unwrap()).unwrap();
    let times = [0.0, 1.0, 4.0, 4.0 + 80.0 / 49.0];
    let saddles = [[0.0; 4], [0.8, 0.0, 0.0, 0.0], [0.0, 0.0, 1.4, 0.0], [0.0, 0.0, 10.0 / 7.0, -10.0 / 49.0]];
    assert_eq!(path.times.len(), 4, "{:?}", path.times);
    for k in 0..4 {
        assert!((path.times[k] - times[k]).abs() <= 1e-12, "τ_{k} = {}", path.times[k]);
        let err = path.saddles[k].iter().zip(&saddles[k]).map(|(a, b)| (a - b).abs()).fold(0.0, f64::max);
        assert!(err <= 1e-12, "β_{k} = {:?}", path.saddles[k]);
    }
    assert!(path.kkt_residual.iter().all(|r| *r <= 1e-12) && (path.q_max - 1.0).abs() <= 1e-12);
}

/// The last saddle interpolates and has the minimum ℓ1 norm: on random problems (d ≫ n, with and without a
/// sparse signal) its ℓ1 norm equals basis pursuit's to 1e-9 (both are certified to ~1e-12 relative).
#[test]
fn the_last_saddle_is_a_minimum_l1_interpolator() {
    for (seed, k, n, d, noise) in [
        (0, Some(3), 15, 60, 0.0),
        (1, Some(8), 15, 60, 0.0),
        (2, None, 15, 60, 0.0),
        (3, None, 15, 60, 0.0),
        (4, Some(5), 80, 400, 0.5),
    ] {
        // The last case is noisy: a long path (over a hundred jumps) where rounding accumulates in q.
        let p = make(n, d, k, noise, seed);
        let path = saddle_path(&p).unwrap();
        let last = path.saddles.last().unwrap();
        let bp = basis_pursuit(&p).unwrap();
        assert!(
            (norm1(last) - bp.l1_norm).abs() <= 1e-9 * bp.l1_norm,
            "seed {seed}: {} vs {}",
            norm1(last),
            bp.l1_norm
        );
        assert!(p.risk(last) <= 1e-20 * p.risk_at_zero().max(1.0), "seed {seed}: the last saddle does not interpolate");
        assert!(path.times.windows(2).all(|t| t[1] > t[0]), "jump times increase");
    }
}

/// At α = 1e-100 the accelerated flow sits on the limit path away from the jumps: 2e-2 at the middle of each
/// plateau (the distance scales like 1/ln(1/α) ≈ 4e-3 near a jump; mid-plateau it is far smaller).
#[test]
fn the_flow_at_tiny_alpha_follows_the_saddle_path() {
    let p = toy().unwrap();
    let path = saddle_path(&p).unwrap();
    let mids = [0.5, 2.5, 4.8, 7.0];
    let opts = OdeOptions { rtol: 1e-10, atol: 1e-12, ..Default::default() };
    let f = accelerated_flow(&p, -100.0 * std::f64::consts::LN_10, &mids, opts).unwrap();
    for (t, w) in mids.iter().zip(&f.w) {
        let d = w.iter().zip(path.at(*t)).map(|(a, b)| (a - b).abs()).fold(0.0, f64::max);
        assert!(d <= 2e-2, "τ = {t}: ‖w − β‖∞ = {d:e}");
    }
    // At α = 1e-5 it is still far: the limit is a limit.
    let f = accelerated_flow(&p, -5.0 * std::f64::consts::LN_10, &[7.0], opts).unwrap();
    assert!(f.w[0].iter().zip(path.at(7.0)).any(|(a, b)| (a - b).abs() > 0.1));
    // α ≥ 1 is refused.
    assert!(accelerated_flow(&p, 0.0, &[1.0], opts).is_err());
}

/// Depth D: the flow of `w = u^D − v^D` from `u = v = α` converges to the Bregman projection of 0 for the
/// depth-D potential (SPEC §9). Checked against the integrated flow (1e-8: the integrator's tolerance 1e-10
/// times the conditioning of the tail; measured ≤ 7e-10) and a long discrete run with η = 0.02/L (its O(η)
/// bias: measured 6e-5 … 1.2e-4, bound 5e-4).
#[test]
fn deeper_networks_reach_the_depth_d_bregman_projection() {
    let p = make(8, 20, Some(2), 0.0, 11);
    let d = p.d();
    for (depth, alpha) in [(3u32, 0.5), (4, 0.6), (8, 0.8)] {
        let pot = DepthD::new(depth, alpha).unwrap();
        let exact = bregman_projection(&p, &pot, &vec![0.0; d], BregmanOptions::default()).unwrap();
        let init = Init::uniform(alpha, d).unwrap().depth(depth).unwrap();
        let t_end = 2e5 / p.smoothness();
        let opts = OdeOptions { rtol: 1e-10, atol: 1e-13, max_steps: 5_000_000, ..Default::default() };
        let flow = reparam_flow(&p, &init, &[t_end], opts).unwrap();
        assert!(p.risk(&flow.w[0]) <= 1e-14 * p.risk_at_zero(), "D = {depth}: the flow has not converged");
        assert!(rel(&flow.w[0], &exact.w) <= 1e-8, "D = {depth}: flow vs exact {:e}", rel(&flow.w[0], &exact.w));
        let cfg =
            RunConfig::fixed(0.02 / p.smoothness()).stop(StopRule::default().risk_tol(1e-22).max_iter(20_000_000));
        let r = run_reparam(&p, &init, &cfg).unwrap();
        assert!(r.converged, "D = {depth}: the discrete run did not converge");
        assert!(rel(&r.w, &exact.w) <= 5e-4, "D = {depth}: discrete vs exact {:e}", rel(&r.w, &exact.w));
    }
}

/// Shape: from `u₀ ≠ v₀` (s ≠ 0) the flow reaches the Bregman projection of `w₀ = u₀² − v₀²` for the
/// hyperbolic entropy with `c = 2u₀v₀` (Azulay et al. 2021), not the one from 0.
#[test]
fn the_initialisation_shape_moves_the_limit_as_predicted() {
    let p = make(8, 20, Some(2), 0.0, 12);
    let d = p.d();
    for s in [-0.6, 0.5, 0.9] {
        let init = Init::shape(0.3, s, d).unwrap();
        let exact = bregman_projection(&p, &init.potential(), &init.w0(), BregmanOptions::default()).unwrap();
        let from_zero = bregman_projection(&p, &init.potential(), &vec![0.0; d], BregmanOptions::default()).unwrap();
        let opts = OdeOptions { rtol: 1e-10, atol: 1e-13, max_steps: 5_000_000, ..Default::default() };
        let flow = reparam_flow(&p, &init, &[2e5 / p.smoothness()], opts).unwrap();
        let e = rel(&flow.w[0], &exact.w);
        assert!(e <= 1e-8, "s = {s}: flow vs exact {e:e}");
        assert!(rel(&flow.w[0], &from_zero.w) > 100.0 * e, "s = {s}: the shape made no difference");
    }
    assert!(Init::shape(0.3, 1.0, d).is_err() && Init::shape(0.3, f64::NAN, d).is_err());
}

/// Regression: at depth 8 and α = 0.03 the mirror map's sensitivity (α^{2−D} ≈ 1.4e9) leaves the dual Newton
/// solver with a residual of 1e-8 and a 5e-8 forward error; it used to return that point (its ℓ1 gap 400× too
/// large, by an independent stiff flow) — it must refuse, naming the cause. Every returned projection carries
/// a forward-error estimate within its tolerance.
#[test]
fn an_unresolvable_depth_d_projection_is_refused_not_returned() {
    let p = crate::helpers::ex2(0);
    let d = p.d();
    let e = bregman_projection(&p, &DepthD::new(8, 0.03).unwrap(), &vec![0.0; d], BregmanOptions::default())
        .unwrap_err()
        .to_string();
    assert!(e.contains("sensitivity") && e.contains("larger α"), "{e}");
    for (depth, alpha) in [(8, 0.1), (4, 1e-3), (3, 1e-6)] {
        let s = bregman_projection(&p, &DepthD::new(depth, alpha).unwrap(), &vec![0.0; d], BregmanOptions::default())
            .unwrap();
        assert!(s.certificate.forward_error_rel.unwrap() <= 1e-9, "D = {depth}, α = {alpha}");
    }
}

/// Exact estimation risks against a direct computation: `E‖Ay − w*‖² = ‖(AX − I)w*‖² + σ²‖A‖²_F` with the
/// estimator matrix `A` built independently (ridge: a dense solve; flow: an eigendecomposition of XᵀX/n);
/// Ali et al.'s constant; the bound on random problems and its attainment.
#[test]
fn spectral_risks_match_a_direct_computation_and_the_bound_holds() {
    use ibias::exact::spectral_risk::{SpectralRisk, ali_constant};
    let (n, d, sigma) = (12, 7, 0.7);
    let p = make(n, d, None, 0.0, 21);
    let w_star: Vec<f64> = (0..d).map(|j| (j as f64 - 3.0) / 5.0).collect();
    let sr = SpectralRisk::new(&p, &w_star, sigma).unwrap();
    let x = faer::Mat::from_fn(n, d, |i, j| p.x().get(i, j));
    let s_mat = x.transpose() * &x * faer::Scale(1.0 / n as f64);
    let direct = |a: &faer::Mat<f64>| {
        // a: d × n.
        let ax = a * &x;
        let bias: f64 = (0..d)
            .map(|i| {
                let v: f64 = (0..d).map(|j| (ax[(i, j)] - if i == j { 1.0 } else { 0.0 }) * w_star[j]).sum();
                v * v
            })
            .sum();
        let frob: f64 = (0..d).map(|i| (0..n).map(|k| a[(i, k)].powi(2)).sum::<f64>()).sum();
        bias + sigma * sigma * frob
    };
    for lam in [1e-3, 0.1, 2.0] {
        let m = &s_mat + faer::Mat::<f64>::identity(d, d) * faer::Scale(lam);
        let a = m.llt(faer::Side::Lower).unwrap().solve(x.transpose() * faer::Scale(1.0 / n as f64));
        let (e, want) = (sr.ridge(lam), direct(&a));
        assert!((e - want).abs() <= 1e-10 * want, "ridge λ = {lam}: {e} vs {want}");
    }
    let eig = s_mat.self_adjoint_eigen(faer::Side::Lower).unwrap();
    for t in [0.05, 1.0, 30.0] {
        let f = faer::Mat::from_fn(d, d, |i, j| {
            (0..d)
                .map(|k| {
                    let s = eig.S()[k];
                    let g = if s > 1e-12 { -(-2.0 * s * t).exp_m1() / s } else { 2.0 * t };
                    eig.U()[(i, k)] * g * eig.U()[(j, k)]
                })
                .sum::<f64>()
        });
        let a = f * x.transpose() * faer::Scale(1.0 / n as f64);
        let (e, want) = (sr.flow(t), direct(&a));
        assert!((e - want).abs() <= 1e-9 * want, "flow t = {t}: {e} vs {want}");
    }
    let (c, xs) = ali_constant();
    assert!((c - 1.685_909_058).abs() <= 1e-8, "{c} at {xs}");
    // x* solves eˣ = 1 + x + x²: 1.7932821329007610 (mpmath, 30 digits), to a few ulps.
    assert!((xs - 1.793_282_132_900_761).abs() <= 4.0 * f64::EPSILON * xs, "{xs}");
    for seed in 0..20 {
        let q = make(20, 40, None, 0.5, seed);
        let w: Vec<f64> = (0..40).map(|j| ((j * 7 + seed as usize) % 5) as f64 - 2.0).collect();
        let (r, _) = SpectralRisk::new(&q, &w, 0.5).unwrap().max_ratio(1e-5, 1e5);
        assert!(r <= c * (1.0 + 1e-12), "seed {seed}: {r}");
    }
    let one =
        ibias::problem::Problem::new(ibias::kernels::linalg::Dense::from_fn(9, 1, |_, _| 1.0), vec![0.0; 9]).unwrap();
    let (r, _) = SpectralRisk::new(&one, &[0.0], 1.0).unwrap().max_ratio(1e-5, 1e5);
    assert!((r - c).abs() <= 1e-10, "tight: {r} vs {c}");
}

/// Duplicated and negated columns (column 7 = column 2, column 9 = −column 4, 6 × 10): the `(u, v)` flow gives
/// copies the same gradient (up to sign) from the same start, so it splits the weight equally between them; the
/// saddle path must take that split, not put everything on one copy. Checked against the independently
/// integrated accelerated flow at α = 1e-300 (equal split to 1e-12; within its finite-α distance of the path
/// mid-plateau, while the one-copy answer would be a whole saddle weight away) and against the path of the design
/// without the copies (same jump times, weights split).
#[test]
fn the_saddle_path_splits_weight_equally_between_copied_columns_as_the_flow_does() {
    let base = make(6, 10, Some(3), 0.0, 11);
    let x = base.x();
    let col = |j: usize| {
        if j == 7 {
            2
        } else if j == 9 {
            4
        } else {
            j
        }
    };
    let sign = |j: usize| if j == 9 { -1.0 } else { 1.0 };
    let xd = ibias::kernels::linalg::Dense::from_fn(6, 10, |i, j| sign(j) * x.get(i, col(j)));
    // y puts weight on both copied columns.
    let w_true = [0.0, 0.0, 1.5, 0.0, -1.0, 0.3, 0.0, 0.0, 0.0, 0.0];
    let y: Vec<f64> = (0..6).map(|i| (0..10).map(|j| xd.get(i, j) * w_true[j]).sum()).collect();
    let p = ibias::problem::Problem::new(xd.clone(), y.clone()).unwrap();
    let path = saddle_path(&p).unwrap();
    let mut saw_copy = false;
    for b in &path.saddles {
        assert_eq!(b[2], b[7], "{b:?}");
        assert_eq!(b[9], -b[4], "{b:?}");
        saw_copy |= b[2].abs() > 0.1 || b[4].abs() > 0.1;
    }
    assert!(saw_copy, "the copies carry weight on some plateau");
    // Active sets list both copies, with their signs.
    for (act, sig) in path.saturated.iter().zip(&path.signs) {
        assert_eq!(act.contains(&2), act.contains(&7));
        assert_eq!(act.contains(&4), act.contains(&9));
        if let (Some(a), Some(b)) = (act.iter().position(|&j| j == 4), act.iter().position(|&j| j == 9)) {
            assert_eq!(sig[a], -sig[b]);
        }
    }
    // The design without the copies: the same jump times; its weights, split, are ours.
    let keep: Vec<usize> = vec![0, 1, 2, 3, 4, 5, 6, 8];
    let reduced = ibias::problem::Problem::new(
        ibias::kernels::linalg::Dense::from_fn(6, keep.len(), |i, k| xd.get(i, keep[k])),
        y.clone(),
    )
    .unwrap();
    let rpath = saddle_path(&reduced).unwrap();
    assert_eq!(rpath.times, path.times);
    for (rb, b) in rpath.saddles.iter().zip(&path.saddles) {
        assert!((rb[2] / 2.0 - b[2]).abs() <= 1e-15 * rb[2].abs().max(1.0));
        assert!((rb[4] / 2.0 - b[4]).abs() <= 1e-15 * rb[4].abs().max(1.0));
    }
    // The flow itself, integrated independently in accelerated time at α = 1e-300.
    let mids: Vec<f64> = path
        .times
        .windows(2)
        .map(|t| 0.5 * (t[0] + t[1]))
        .chain(std::iter::once(path.times.last().unwrap() + 1.0))
        .collect();
    let opts = OdeOptions { rtol: 1e-11, atol: 1e-13, ..Default::default() };
    let f = accelerated_flow(&p, -300.0 * std::f64::consts::LN_10, &mids, opts).unwrap();
    for (t, w) in mids.iter().zip(&f.w) {
        let scale = w.iter().map(|v| v.abs()).fold(1e-300, f64::max);
        assert!((w[2] - w[7]).abs() <= 1e-12 * scale && (w[9] + w[4]).abs() <= 1e-12 * scale, "τ = {t}: {w:?}");
        let beta = path.at(*t);
        let d = w.iter().zip(beta).map(|(a, b)| (a - b).abs()).fold(0.0, f64::max);
        assert!(d <= 1e-2, "τ = {t}: ‖w − β‖∞ = {d:e}");
    }
}

/// Azulay et al.'s model `w = u₊⊙v₊ − u₋⊙v₋` (from `w₀ = 0`): GD on its four factors converges to the
/// Bregman projection of 0 with `c = u₀² + v₀²` up to a first-order step effect (halving the step halves the
/// distance), and as the shape `s → 1` at fixed `u₀v₀ = α²` that limit goes to the minimum-ℓ2 point `X⁺y`.
#[test]
fn azulay_model_reaches_its_projection_and_the_kernel_point_as_the_shape_grows() {
    use ibias::dynamics::azulay::azulay_potential;
    use ibias::dynamics::{StepRule, run_azulay};
    let p = make(10, 30, Some(3), 0.0, 4);
    let init = Init::shape(0.3, 0.5, 30).unwrap();
    let (u0, v0) = (init.u0().to_vec(), init.v0().to_vec());
    let exact =
        bregman_projection(&p, &azulay_potential(&u0, &v0).unwrap(), &[0.0; 30], BregmanOptions::default()).unwrap();
    let dist = |eta: f64| {
        let cfg = RunConfig::new(StepRule::Fixed(eta))
            .checkpoints(0)
            .stop(StopRule::default().risk_tol(1e-24).max_iter(50_000_000));
        let r = run_azulay(&p, &u0, &v0, &cfg).unwrap();
        assert!(r.converged, "η = {eta}");
        rel(&r.w, &exact.w)
    };
    let eta = 0.2 / p.smoothness();
    let (d1, d2) = (dist(eta), dist(eta / 2.0));
    assert!(d1 <= 2e-2 && d2 <= 0.6 * d1, "{d1:e} {d2:e}");
    // s → 1: the scale u₀² + v₀² grows without bound and the limit is the kernel point.
    let l2 = ibias::exact::min_l2(&p).unwrap();
    let far = Init::shape(0.3, 1.0 - 1e-8, 30).unwrap();
    let pot = azulay_potential(far.u0(), far.v0()).unwrap();
    let w = bregman_projection(&p, &pot, &[0.0; 30], BregmanOptions::default()).unwrap();
    assert!(rel(&w.w, &l2.w) <= 1e-6, "{}", rel(&w.w, &l2.w));
    // Bad starts are refused by name.
    let cfg = RunConfig::new(StepRule::Safe);
    assert!(run_azulay(&p, &vec![0.0; 30], &v0, &cfg).unwrap_err().to_string().contains("u0"));
}
