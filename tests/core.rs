//! Issue "Core": problems, potentials, dynamics and flows (SPEC §7 claims 1–4).

use ibias::Error;
use ibias::data::{GenSpec, parse_csv};
use ibias::dynamics::flow::{md_flow, reparam_flow};
use ibias::dynamics::md::RunConfig;
use ibias::dynamics::ode::OdeOptions;
use ibias::dynamics::reparam::run_reparam_alpha;
use ibias::dynamics::{StepRule, run_gd, run_md};
use ibias::exact::min_l2;
use ibias::linalg::{dist2, logspace, norm2};
use ibias::potential::{Euclidean, Hyperbolic, NegEntropy, Potential};

fn ex2(seed: u64) -> ibias::problem::Problem {
    GenSpec::ex2(seed).generate().unwrap().problem
}

#[test]
fn gd_from_zero_reaches_min_l2_and_stays_in_row_space() {
    for seed in [1, 2] {
        let p = ex2(seed);
        let mut cfg = RunConfig { step: StepRule::Fixed(1.0 / p.smoothness()), checkpoints: 25, ..Default::default() };
        cfg.stop.risk_tol = 1e-30;
        cfg.stop.grad_tol = 0.0;
        cfg.stop.max_iter = 100_000;
        let r = run_gd(&p, &cfg).unwrap();
        let w2 = min_l2(&p).unwrap().w;
        let rel = dist2(&r.w, &w2) / norm2(&w2);
        assert!(rel < 1e-8, "GD is {rel:e} (relative) from X⁺y");
        for c in &r.checkpoints {
            let off = p.outside_row_space(&c.w).unwrap();
            assert!(off < 1e-12, "iterate at t = {} has {off:e} outside range(Xᵀ)", c.t);
        }
    }
}

#[test]
fn reparam_velocity_is_minus_metric_times_gradient() {
    let p = ex2(3);
    let d = p.d();
    // Deterministic "random" points from the generator's normal stream.
    let pts =
        GenSpec { n: 6, d, sparsity: None, entries: ibias::data::Entries::Gaussian, w_star: None, noise: 0.0, seed: 9 }
            .generate()
            .unwrap()
            .problem;
    for k in 0..3 {
        let u: Vec<f64> = pts.x.row(2 * k).to_vec();
        let v: Vec<f64> = pts.x.row(2 * k + 1).to_vec();
        let w: Vec<f64> = (0..d).map(|i| u[i] * u[i] - v[i] * v[i]).collect();
        let g = p.grad(&w);
        // ż = −∇R̃(z) with ∇_u R̃ = ½g⊙u, ∇_v R̃ = −½g⊙v; ẇ = 2u⊙u̇ − 2v⊙v̇.
        let wdot: Vec<f64> =
            (0..d).map(|i| 2.0 * u[i] * (-0.5 * g[i] * u[i]) - 2.0 * v[i] * (0.5 * g[i] * v[i])).collect();
        let pred: Vec<f64> = (0..d).map(|i| -(u[i] * u[i] + v[i] * v[i]) * g[i]).collect();
        assert!(dist2(&wdot, &pred) <= 1e-12 * norm2(&pred));
        // ∇R̃ against central finite differences of R̃(z) = R(u² − v²)/4.
        let rt = |u: &[f64], v: &[f64]| {
            let w: Vec<f64> = (0..d).map(|i| u[i] * u[i] - v[i] * v[i]).collect();
            0.25 * p.risk(&w)
        };
        for i in [0, 17, d - 1] {
            let h = 1e-6;
            let (mut up, mut um) = (u.clone(), u.clone());
            up[i] += h;
            um[i] -= h;
            let fd = (rt(&up, &v) - rt(&um, &v)) / (2.0 * h);
            let an = 0.5 * g[i] * u[i];
            assert!((fd - an).abs() <= 1e-6 * (1.0 + an.abs()), "∂R̃/∂u_{i}: fd {fd} vs {an}");
        }
    }
}

#[test]
fn uv_invariant_is_constant_along_the_flow() {
    let p = ex2(4);
    let d = p.d();
    for alpha in [1e-2, 0.5] {
        let u0 = vec![alpha; d];
        let times = logspace(1e-3, 50.0, 30);
        let opts = OdeOptions { rtol: 1e-11, atol: 1e-300, ..Default::default() };
        let path = reparam_flow(&p, &u0, &u0, &times, opts).unwrap();
        let a2 = alpha * alpha;
        for uv in path.uv.unwrap() {
            for x in uv {
                assert!((x - a2).abs() <= 1e-8 * a2, "u⊙v drifted to {x} from {a2}");
            }
        }
    }
}

#[test]
fn reparam_flow_equals_hyperbolic_mirror_flow() {
    let p = ex2(5);
    let d = p.d();
    for alpha in [1e-3, 0.1, 1.0, 10.0] {
        let c = 2.0 * alpha * alpha;
        let c: f64 = c;
        let horizon = 50.0 * (1.0 + (1.0 / c).ln().max(0.0)) / (p.smoothness() * c.max(1.0));
        let times = logspace(horizon * 1e-4, horizon, 25);
        let opts = OdeOptions { rtol: 1e-11, atol: 1e-300, ..Default::default() };
        let z = reparam_flow(&p, &vec![alpha; d], &vec![alpha; d], &times, opts).unwrap();
        let pot = Hyperbolic::uniform(alpha, d).unwrap();
        let m = md_flow(&p, &pot, &vec![0.0; d], &times, OdeOptions { rtol: 1e-11, atol: 1e-12, ..Default::default() })
            .unwrap();
        let scale = z.w.iter().map(|w| norm2(w)).fold(0.0, f64::max);
        for (a, b) in z.w.iter().zip(&m.w) {
            let gap = dist2(a, b);
            assert!(gap <= 1e-6 * scale, "α = {alpha}: flows differ by {gap:e} (scale {scale:e})");
        }
    }
}

/// Largest gap over a fixed time horizon between discrete GD on z and discrete MD with the same η.
fn discrete_gap(p: &ibias::problem::Problem, alpha: f64, eta: f64, horizon: f64) -> f64 {
    let d = p.d();
    let steps = (horizon / eta).round() as usize;
    let mut cfg = RunConfig { step: StepRule::Fixed(eta), record_every: true, ..Default::default() };
    cfg.stop.risk_tol = 0.0;
    cfg.stop.grad_tol = 0.0;
    cfg.stop.max_iter = steps;
    let z = run_reparam_alpha(p, alpha, &cfg).unwrap();
    let pot = Hyperbolic::uniform(alpha, d).unwrap();
    let m = run_md(p, &pot, &vec![0.0; d], &cfg).unwrap();
    z.checkpoints.iter().zip(&m.checkpoints).map(|(a, b)| dist2(&a.w, &b.w)).fold(0.0, f64::max)
}

#[test]
fn discrete_reparam_and_md_agree_to_first_order_in_eta() {
    let p = ex2(6);
    let alpha = 0.3;
    let base = 0.2 / p.smoothness();
    let horizon = 40.0 * base;
    let etas: Vec<f64> = (0..5).map(|k| base / 2f64.powi(k)).collect();
    let gaps: Vec<f64> = etas.iter().map(|&e| discrete_gap(&p, alpha, e, horizon)).collect();
    let lx: Vec<f64> = etas.iter().map(|e| e.ln()).collect();
    let ly: Vec<f64> = gaps.iter().map(|g| g.ln()).collect();
    let (mx, my) = (lx.iter().sum::<f64>() / 5.0, ly.iter().sum::<f64>() / 5.0);
    let slope = lx.iter().zip(&ly).map(|(x, y)| (x - mx) * (y - my)).sum::<f64>()
        / lx.iter().map(|x| (x - mx).powi(2)).sum::<f64>();
    assert!((0.8..=1.2).contains(&slope), "log-log slope {slope} (gaps {gaps:?})");
}

#[test]
fn md_auto_converges_on_ex2_across_alpha() {
    let p = ex2(0);
    let d = p.d();
    for alpha in [1e-10, 1e-5, 1.0, 1e3] {
        let pot = Hyperbolic::uniform(alpha, d).unwrap();
        let mut cfg = RunConfig::default();
        cfg.stop.risk_tol = 1e-12;
        cfg.stop.grad_tol = 0.0;
        cfg.stop.max_iter = 200_000;
        let r = run_md(&p, &pot, &vec![0.0; d], &cfg).unwrap();
        eprintln!("α = {alpha:e}: {} iterations, R/R0 = {:.2e}", r.iterations, r.risk / r.risk0);
        assert!(r.converged, "α = {alpha}: not converged after {} iterations", r.iterations);
    }
}

#[test]
fn fixed_step_too_large_is_detected_as_divergence() {
    let p = ex2(0);
    let mut cfg = RunConfig { step: StepRule::Fixed(5.0 / p.smoothness()), ..Default::default() };
    cfg.stop.max_iter = 100_000;
    match run_gd(&p, &cfg) {
        Err(Error::Diverged(m)) => {
            assert!(m.contains("η = "), "{m}");
            assert!(m.contains("safe step"), "{m}");
        }
        other => panic!("expected divergence, got {other:?}"),
    }
    // MD at small α with the plain rule of SPEC §6 but a huge fixed step also stops with an error.
    let pot = Hyperbolic::uniform(1e-3, p.d()).unwrap();
    let cfg = RunConfig { step: StepRule::Fixed(100.0), ..Default::default() };
    assert!(run_md(&p, &pot, &vec![0.0; p.d()], &cfg).is_err());
}

mod potentials {
    use super::*;
    use proptest::prelude::*;

    fn check_all(pot: &dyn Potential, w: f64) {
        let i = 0;
        let t = pot.grad_i(i, w);
        let back = pot.inv_grad_i(i, t);
        assert!((back - w).abs() <= 1e-12 * w.abs().max(1e-300), "{}: inverse gives {back} for {w}", pot.name());
        // Fenchel–Young equality ψ(w) + ψ*(∇ψ(w)) = w·∇ψ(w).
        let lhs = pot.psi_i(i, w) + pot.conj_i(i, t);
        let rhs = w * t;
        let scale = (w * t).abs() + pot.conj_i(i, t).abs() + pot.psi_i(i, w).abs();
        assert!((lhs - rhs).abs() <= 1e-12 * scale, "{}: Fenchel–Young {lhs} vs {rhs}", pot.name());
        // Finite differences of ψ' and ψ''.
        let h = 1e-5 * w.abs().max(1e-3 * pot.inv_hess_i(i, w));
        if pot.in_domain(i, w - h) {
            let fd1 = (pot.psi_i(i, w + h) - pot.psi_i(i, w - h)) / (2.0 * h);
            let tol1 = 1e-6 * (t.abs() + pot.psi_i(i, w).abs() / w.abs().max(h) * 1e-4 + 1.0);
            assert!((fd1 - t).abs() <= tol1, "{}: ψ' fd {fd1} vs {t} at {w}", pot.name());
            let fd2 = (pot.grad_i(i, w + h) - pot.grad_i(i, w - h)) / (2.0 * h);
            let h2 = pot.hess_i(i, w);
            assert!((fd2 - h2).abs() <= 1e-5 * h2, "{}: ψ'' fd {fd2} vs {h2} at {w}", pot.name());
            assert!((pot.inv_hess_i(i, w) * h2 - 1.0).abs() < 1e-12);
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(200))]
        #[test]
        fn hyperbolic_identities(alpha_exp in -10.0f64..3.0, w_exp in -12.0f64..3.0, neg in any::<bool>(), w2_exp in -12.0f64..3.0) {
            let alpha = 10f64.powf(alpha_exp);
            let pot = Hyperbolic::uniform(alpha, 1).unwrap();
            let w = if neg { -10f64.powf(w_exp) } else { 10f64.powf(w_exp) };
            check_all(&pot, w);
            let w2 = 10f64.powf(w2_exp);
            let dv = pot.bregman(&[w], &[w2]);
            prop_assert!(dv >= 0.0);
            prop_assert!(pot.bregman(&[w], &[w]) == 0.0);
        }

        #[test]
        fn entropy_and_euclidean_identities(w_exp in -8.0f64..3.0, w2_exp in -8.0f64..3.0) {
            let w = 10f64.powf(w_exp);
            check_all(&NegEntropy, w);
            check_all(&Euclidean, w);
            check_all(&Euclidean, -w);
            let w2 = 10f64.powf(w2_exp);
            prop_assert!(NegEntropy.bregman(&[w], &[w2]) >= 0.0);
            let e = Euclidean.bregman(&[w], &[w2]);
            prop_assert!((e - 0.5 * (w - w2).powi(2)).abs() <= 1e-12 * (w * w + w2 * w2));
        }
    }

    #[test]
    fn extremes_are_covered() {
        for alpha in [1e-10, 1e3] {
            let pot = Hyperbolic::uniform(alpha, 1).unwrap();
            for w in [-1e3, -1.0, -1e-12, 1e-30, 1e-12, 0.5, 1e3] {
                check_all(&pot, w);
            }
        }
        // Bregman divergence from 0 against the closed form of SPEC §3 (cancellation-free form).
        let pot = Hyperbolic::uniform(1e3, 1).unwrap();
        let c = 2e6;
        let w = 3.0f64;
        let closed = w * (w / c).asinh() - w * w / ((w * w + c * c).sqrt() + c);
        let got = pot.bregman(&[w], &[0.0]);
        assert!((got - closed).abs() <= 1e-12 * closed, "{got} vs {closed}");
        assert!(Hyperbolic::uniform(0.0, 3).is_err());
        assert!(Hyperbolic::uniform(-1.0, 3).is_err());
        assert!(Hyperbolic::uniform(f64::NAN, 3).is_err());
    }
}

mod loader {
    use super::*;

    fn err(text: &str) -> String {
        match parse_csv(text) {
            Err(Error::Data(m)) => m,
            other => panic!("expected a data error for {text:?}, got {other:?}"),
        }
    }

    #[test]
    fn good_files_load_with_or_without_header() {
        let p = parse_csv("a,b,y\n1,2,3\n4,5,6\n").unwrap();
        assert_eq!((p.n(), p.d()), (2, 2));
        assert_eq!(p.y, vec![3.0, 6.0]);
        let q = parse_csv("1,2,3\r\n4,5,6\r\n\n").unwrap();
        assert_eq!(q.x.data, vec![1.0, 2.0, 4.0, 5.0]);
    }

    #[test]
    fn each_error_names_its_place() {
        assert!(err("").contains("empty"));
        assert!(err("x,y\n").contains("no data rows"));
        let m = err("1,2,3\n4,5\n");
        assert!(m.contains("line 2") && m.contains("ragged"), "{m}");
        let m = err("1,2,3\n4,abc,6\n");
        assert!(m.contains("line 2, column 2") && m.contains("not a number"), "{m}");
        let m = err("1,2,3\n4,NaN,6\n");
        assert!(m.contains("line 2, column 2") && m.contains("non-finite"), "{m}");
        let m = err("1,2,inf\n");
        assert!(m.contains("line 1, column 3") && m.contains("non-finite"), "{m}");
        let m = err("1\n2\n");
        assert!(m.contains("two columns"), "{m}");
        let m = err("1,2,3\nx,y,z\n");
        assert!(m.contains("line 2") && m.contains("header"), "{m}");
        let m = err("1,,3\n");
        assert!(m.contains("line 1, column 2") && m.contains("empty cell"), "{m}");
    }

    #[test]
    fn generator_is_reproducible_and_csv_round_trips() {
        let a = GenSpec::ex2(7).generate().unwrap();
        let b = GenSpec::ex2(7).generate().unwrap();
        assert_eq!(a.problem.x.data, b.problem.x.data);
        assert_eq!(a.w_star, b.w_star);
        assert_eq!(a.w_star.iter().filter(|v| **v != 0.0).count(), 5);
        let c = GenSpec::ex2(8).generate().unwrap();
        assert_ne!(a.problem.x.data, c.problem.x.data);
        let back = parse_csv(&ibias::data::to_csv(&a.problem)).unwrap();
        assert_eq!(back.x.data, a.problem.x.data);
        assert_eq!(back.y, a.problem.y);
        let e3 = GenSpec::ex3(0).generate().unwrap();
        assert_eq!((e3.problem.n(), e3.problem.d()), (100, 2));
        assert_eq!(e3.w_star, vec![1.0, 0.0]);
    }
}

#[test]
fn md_lbfgs_reaches_the_bregman_projection_at_small_alpha() {
    use ibias::exact::bregman::{BregmanOptions, bregman_projection};
    let p = ex2(0);
    let d = p.d();
    for alpha in [1e-10, 1e-4] {
        let pot = Hyperbolic::uniform(alpha, d).unwrap();
        let exact = bregman_projection(&p, &pot, &vec![0.0; d], BregmanOptions::default()).unwrap();
        let mut cfg = RunConfig { step: StepRule::Lbfgs, checkpoints: 10, ..Default::default() };
        cfg.stop.risk_tol = 1e-24;
        cfg.stop.grad_tol = 0.0;
        let r = run_md(&p, &pot, &vec![0.0; d], &cfg).unwrap();
        assert!(r.converged);
        let rel = dist2(&r.w, &exact.w) / norm2(&exact.w);
        assert!(rel < 1e-8, "α = {alpha}: {rel:e}");
    }
    // Without an interpolator the dual is unbounded: a clear error, not a silent wrong answer.
    let p3 = GenSpec::ex3(0).generate().unwrap().problem;
    let cfg = RunConfig { step: StepRule::Lbfgs, ..Default::default() };
    assert!(matches!(run_md(&p3, &Euclidean, &[0.0, 0.0], &cfg), Err(Error::Param(_))));
}

#[test]
fn batched_md_equals_single_runs() {
    use ibias::dynamics::batch::run_md_batch;
    let p = ex2(2);
    let d = p.d();
    let runs: Vec<(f64, f64)> = [1e-3, 0.1, 1.0, 10.0]
        .iter()
        .map(|&a| {
            let pot = Hyperbolic::uniform(a, d).unwrap();
            let g0 = p.grad(&vec![0.0; d]);
            (a, ibias::dynamics::md::safe_step(&p, &pot, &vec![0.0; d], &g0))
        })
        .collect();
    let b = run_md_batch(&p, &runs, 0.0, 300).unwrap();
    for (j, &(a, eta)) in runs.iter().enumerate() {
        let pot = Hyperbolic::uniform(a, d).unwrap();
        let mut cfg = RunConfig { step: StepRule::Fixed(eta), checkpoints: 0, ..Default::default() };
        cfg.stop.risk_tol = 0.0;
        cfg.stop.grad_tol = 0.0;
        cfg.stop.max_iter = 300;
        let s = run_md(&p, &pot, &vec![0.0; d], &cfg).unwrap();
        let rel = dist2(&s.w, &b.w[j]) / norm2(&s.w);
        assert!(rel < 1e-10, "α = {a}: batched and single runs differ by {rel:e}");
    }
}

#[test]
fn two_core_gradient_and_product_equal_the_plain_products() {
    // n·d ≥ 200 000 takes the split path (when the pool has two threads).
    let p = GenSpec {
        n: 101,
        d: 2000,
        sparsity: Some(7),
        entries: ibias::data::Entries::Gaussian,
        w_star: None,
        noise: 0.1,
        seed: 3,
    }
    .generate()
    .unwrap()
    .problem;
    let w: Vec<f64> = (0..p.d()).map(|j| ((j * 37 % 11) as f64 - 5.0) * 1e-2).collect();
    let (mut r, mut g) = (vec![0.0; p.n()], vec![0.0; p.d()]);
    let risk = p.grad_into(&w, &mut r, &mut g);
    let mut r2 = vec![0.0; p.n()];
    p.x.mul_vec(&w, &mut r2);
    for (a, b) in r2.iter_mut().zip(&p.y) {
        *a -= b;
    }
    let mut g2 = vec![0.0; p.d()];
    p.x.tmul_vec(&r2, &mut g2);
    // Xᵀv by halves of the rows, on the helper thread.
    let mut xtr = vec![0.0; p.d()];
    p.xt_mul(&r2, &mut xtr);
    assert!(dist2(&xtr, &g2) <= 1e-13 * norm2(&g2));
    g2.iter_mut().for_each(|v| *v *= 2.0 / p.n() as f64);
    assert!(dist2(&r, &r2) <= 1e-13 * norm2(&r2));
    assert!(dist2(&g, &g2) <= 1e-13 * norm2(&g2));
    assert!((risk - ibias::linalg::dot(&r2, &r2) / p.n() as f64).abs() <= 1e-13 * risk);
}

#[test]
fn stiff_integrator_matches_dopri5_and_reaches_the_limit_at_large_alpha() {
    use ibias::dynamics::flow::md_flow_stiff;
    use ibias::exact::bregman::{BregmanOptions, bregman_projection};
    let p = ex2(7);
    let d = p.d();
    // Moderate α and horizon: both integrators trace the same flow.
    let pot = Hyperbolic::uniform(0.1, d).unwrap();
    let times = logspace(1e-2, 5.0, 12);
    let a = md_flow(&p, &pot, &vec![0.0; d], &times, OdeOptions { rtol: 1e-10, atol: 1e-13, ..Default::default() })
        .unwrap();
    // ROS2 is second order: a looser tolerance keeps it to a few thousand steps.
    let opts = OdeOptions { rtol: 1e-7, atol: 1e-10, ..Default::default() };
    let b = md_flow_stiff(&p, &pot, &vec![0.0; d], &times, opts).unwrap();
    let scale = a.w.iter().map(|w| norm2(w)).fold(0.0, f64::max);
    for (x, y) in a.w.iter().zip(&b.w) {
        assert!(dist2(x, y) <= 1e-5 * scale, "ROS2 vs DOPRI5: {:e}", dist2(x, y) / scale);
    }
    // α = 1e3: L·c ≈ 2e7 makes explicit steps ~1e-7 long; ROS2 integrates to t = 1 in few steps
    // and lands on the Bregman projection (here w₂*).
    let pot = Hyperbolic::uniform(1e3, d).unwrap();
    let t = [1e-7, 1e-5, 1e-3, 1.0];
    let s = md_flow_stiff(&p, &pot, &vec![0.0; d], &t, opts).unwrap();
    let exact = bregman_projection(&p, &pot, &vec![0.0; d], BregmanOptions::default()).unwrap();
    let rel = dist2(s.w.last().unwrap(), &exact.w) / norm2(&exact.w);
    eprintln!("ROS2 at α = 1e3: {} steps, distance to the limit {rel:e}", s.steps);
    assert!(rel < 1e-6, "{rel:e}");
    assert!(s.steps < 5_000, "{} steps", s.steps);
}

#[test]
fn gram_route_matches_the_products_and_stays_exact_near_a_fit() {
    // 4d ≤ n: the Gram route is taken.
    let g = GenSpec {
        n: 100,
        d: 5,
        sparsity: None,
        entries: ibias::data::Entries::Gaussian,
        w_star: None,
        noise: 0.5,
        seed: 4,
    }
    .generate()
    .unwrap();
    let p = &g.problem;
    let w = vec![0.3, -0.2, 0.1, 0.0, 1.0];
    let (mut r, mut g1, mut g2) = (vec![0.0; 100], vec![0.0; 5], vec![0.0; 5]);
    let a = p.grad_step(&w, &mut r, &mut g1);
    let b = p.grad_into(&w, &mut r, &mut g2);
    assert!(dist2(&g1, &g2) <= 1e-13 * norm2(&g2));
    assert!((a - b).abs() <= 1e-13 * b);
    // Noiseless: at (almost) the planted vector the risk is tiny and must not be cancellation noise.
    let g0 = GenSpec {
        n: 100,
        d: 5,
        sparsity: None,
        entries: ibias::data::Entries::Gaussian,
        w_star: None,
        noise: 0.0,
        seed: 4,
    }
    .generate()
    .unwrap();
    let mut w = g0.w_star.clone();
    w[0] += 1e-9;
    let a = g0.problem.grad_step(&w, &mut r, &mut g1);
    let b = g0.problem.grad_into(&w, &mut r, &mut g2);
    assert!((a - b).abs() <= 1e-10 * b, "{a:e} vs {b:e}");
    // GD on it still reaches the least-squares solution through the Gram route.
    let mut cfg = RunConfig { step: StepRule::Auto, ..Default::default() };
    cfg.stop.risk_tol = 1e-28;
    cfg.stop.grad_tol = 0.0;
    let r = run_gd(&g0.problem, &cfg).unwrap();
    assert!(r.converged && dist2(&r.w, &g0.w_star) <= 1e-10 * norm2(&g0.w_star));
}

#[test]
fn runs_split_over_two_cores_equal_the_one_core_runs() {
    // n·d ≥ 200 000: gradient and per-coordinate updates of fixed-step runs go to the helper thread.
    let g = GenSpec {
        n: 101,
        d: 2000,
        sparsity: Some(7),
        entries: ibias::data::Entries::Gaussian,
        w_star: None,
        noise: 0.0,
        seed: 5,
    }
    .generate()
    .unwrap()
    .problem;
    let split = ibias::problem::Problem::new(g.x.clone(), g.y.clone()).unwrap();
    // Built inside a one-thread pool, the same data is never split.
    let one = rayon::ThreadPoolBuilder::new().num_threads(1).build().unwrap();
    let plain = one.install(|| ibias::problem::Problem::new(g.x.clone(), g.y.clone()).unwrap());
    assert!(!plain.splits());
    if rayon::current_num_threads() > 1 {
        assert!(split.splits(), "a two-thread machine splits this size");
    }
    let d = g.d();
    let pot = Hyperbolic::uniform(0.3, d).unwrap();
    let mut cfg = RunConfig { step: StepRule::Fixed(0.5 / g.smoothness()), checkpoints: 0, ..Default::default() };
    cfg.stop.risk_tol = 0.0;
    cfg.stop.grad_tol = 0.0;
    cfg.stop.max_iter = 200;
    let close = |a: &[f64], b: &[f64]| dist2(a, b) <= 1e-12 * norm2(b);
    let (a, b) =
        (run_md(&split, &pot, &vec![0.0; d], &cfg).unwrap(), run_md(&plain, &pot, &vec![0.0; d], &cfg).unwrap());
    assert!(close(&a.w, &b.w) && a.w.iter().all(|v| v.is_finite()));
    assert!(a.risk < 0.5 * g.risk_at_zero(), "the runs moved: risk {} of {}", a.risk, g.risk_at_zero());
    let (a, b) = (run_reparam_alpha(&split, 0.3, &cfg).unwrap(), run_reparam_alpha(&plain, 0.3, &cfg).unwrap());
    assert!(close(&a.w, &b.w));
    let w0 = vec![0.05; d];
    let (a, b) = (run_md(&split, &NegEntropy, &w0, &cfg).unwrap(), run_md(&plain, &NegEntropy, &w0, &cfg).unwrap());
    assert!(close(&a.w, &b.w));
}
