//! The dynamics (SPEC §7 claims 1–4) through the one driver: limits, identities, step rules, divergence,
//! two-core runs, batched runs, heavy ball and the finite-step identity of GD on (u, v).

use crate::helpers::{ex2, make, rel};
use ibias::Error;
use ibias::dynamics::batch::run_md_batch;
use ibias::dynamics::dual::safe_step;
use ibias::dynamics::flow::{md_flow, md_flow_stiff, reparam_flow};
use ibias::dynamics::ode::OdeOptions;
use ibias::dynamics::{
    Init, RunConfig, StepRule, StopReason, StopRule, run_gd, run_heavy_ball, run_md, run_reparam, run_reparam_alpha,
};
use ibias::exact::bregman::{BregmanOptions, bregman_projection};
use ibias::exact::min_l2;
use ibias::kernels::linalg::{dist2, logspace, norm2};
use ibias::potential::{Euclidean, Hyperbolic, NegEntropy};
use ibias::problem::{GradPlan, Parallelism};

#[test]
fn gd_from_zero_reaches_min_l2_and_stays_in_row_space() {
    for seed in [1, 2] {
        let p = ex2(seed);
        let cfg = RunConfig::fixed(1.0 / p.smoothness())
            .checkpoints(25)
            .stop(StopRule::default().risk_tol(1e-30).max_iter(100_000));
        let r = run_gd(&p, &cfg).unwrap();
        let w2 = min_l2(&p).unwrap().w;
        assert!(rel(&r.w, &w2) < 1e-8, "GD is {:e} (relative) from X⁺y", rel(&r.w, &w2));
        for c in &r.checkpoints {
            let off = p.outside_row_space(&c.w).unwrap();
            assert!(off < 1e-12, "iterate {:?} has {off:e} outside range(Xᵀ)", c.iteration);
        }
        // Checkpoints say what they are: the iteration, and the time Σ η = k·η for a fixed step.
        let c = r.checkpoints.last().unwrap();
        assert_eq!(c.iteration, Some(r.iterations));
        assert!((c.time - r.iterations as f64 / p.smoothness()).abs() <= 1e-9 * c.time);
    }
}

#[test]
fn heavy_ball_reaches_min_l2_and_equals_a_hand_written_loop() {
    let p = ex2(3);
    let d = p.d();
    let (eta, beta) = (0.5 / p.smoothness(), 0.9);
    // Against a plain loop: w_{k+1} = w_k − η∇R(w_k) + β(w_k − w_{k−1}), from w₀ = w₋₁ = 0.
    let steps = 500;
    let r = run_heavy_ball(&p, beta, &RunConfig::fixed(eta).checkpoints(0).stop(StopRule::steps(steps))).unwrap();
    let (mut w, mut prev) = (vec![0.0; d], vec![0.0; d]);
    for _ in 0..steps {
        let g = p.grad(&w);
        let next: Vec<f64> = (0..d).map(|i| w[i] - eta * g[i] + beta * (w[i] - prev[i])).collect();
        prev = std::mem::replace(&mut w, next);
    }
    assert!(rel(&r.w, &w) <= 1e-12, "driver vs loop: {:e}", rel(&r.w, &w));
    // Converges to X⁺y (its increments stay in range(Xᵀ)).
    let r =
        run_heavy_ball(&p, beta, &RunConfig::fixed(eta).stop(StopRule::default().risk_tol(1e-30).max_iter(100_000)))
            .unwrap();
    let w2 = min_l2(&p).unwrap().w;
    assert!(r.converged && rel(&r.w, &w2) < 1e-8, "{:e}", rel(&r.w, &w2));
    assert!(p.outside_row_space(&r.w).unwrap() < 1e-12);
    // Bad β and rules are refused by name.
    let e = run_heavy_ball(&p, 1.0, &RunConfig::fixed(eta)).unwrap_err().to_string();
    assert!(e.contains("parameter momentum"), "{e}");
    assert!(run_heavy_ball(&p, 0.5, &RunConfig::new(StepRule::Lbfgs)).is_err());
}

#[test]
fn reparam_velocity_is_minus_metric_times_gradient() {
    let p = ex2(3);
    let d = p.d();
    let pts = make(6, d, None, 0.0, 9);
    for k in 0..3 {
        let u: Vec<f64> = pts.x().row(2 * k).to_vec();
        let v: Vec<f64> = pts.x().row(2 * k + 1).to_vec();
        let w: Vec<f64> = (0..d).map(|i| u[i] * u[i] - v[i] * v[i]).collect();
        let g = p.grad(&w);
        // ż = −∇R̃(z) with ∇_u R̃ = ½g⊙u, ∇_v R̃ = −½g⊙v; ẇ = 2u⊙u̇ − 2v⊙v̇.
        let wdot: Vec<f64> =
            (0..d).map(|i| 2.0 * u[i] * (-0.5 * g[i] * u[i]) - 2.0 * v[i] * (0.5 * g[i] * v[i])).collect();
        let pred: Vec<f64> = (0..d).map(|i| -(u[i] * u[i] + v[i] * v[i]) * g[i]).collect();
        assert!(dist2(&wdot, &pred) <= 1e-12 * norm2(&pred));
        // ∇R̃ against central finite differences of R̃(z) = R(u² − v²)/4.
        let rt = |u: &[f64], v: &[f64]| 0.25 * p.risk(&(0..d).map(|i| u[i] * u[i] - v[i] * v[i]).collect::<Vec<_>>());
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
fn uv_invariant_is_constant_and_the_two_flows_coincide() {
    let p = ex2(4);
    let d = p.d();
    for alpha in [1e-2, 0.5] {
        let times = logspace(1e-3, 50.0, 30);
        let path = reparam_flow(
            &p,
            &Init::uniform(alpha, d).unwrap(),
            &times,
            OdeOptions { rtol: 1e-11, atol: 1e-300, ..Default::default() },
        )
        .unwrap();
        let a2 = alpha * alpha;
        assert!(path.uv.unwrap().iter().flatten().all(|x| (x - a2).abs() <= 1e-8 * a2));
    }
    let p = ex2(5);
    for alpha in [1e-3, 0.1, 1.0, 10.0] {
        let c: f64 = 2.0 * alpha * alpha;
        let horizon = 50.0 * (1.0 + (1.0 / c).ln().max(0.0)) / (p.smoothness() * c.max(1.0));
        let times = logspace(horizon * 1e-4, horizon, 25);
        let z = reparam_flow(
            &p,
            &Init::uniform(alpha, d).unwrap(),
            &times,
            OdeOptions { rtol: 1e-11, atol: 1e-300, ..Default::default() },
        )
        .unwrap();
        let pot = Hyperbolic::uniform(alpha, d).unwrap();
        let m = md_flow(&p, &pot, &vec![0.0; d], &times, OdeOptions { rtol: 1e-11, atol: 1e-12, ..Default::default() })
            .unwrap();
        let scale = z.w.iter().map(|w| norm2(w)).fold(0.0, f64::max);
        for (a, b) in z.w.iter().zip(&m.w) {
            assert!(dist2(a, b) <= 1e-6 * scale, "α = {alpha}: flows differ by {:e}", dist2(a, b) / scale);
        }
    }
}

/// Largest gap over a fixed time horizon between discrete GD on z and discrete MD with the same η.
fn discrete_gap(p: &ibias::problem::Problem, alpha: f64, eta: f64, horizon: f64) -> f64 {
    let cfg = RunConfig::fixed(eta).record_every().stop(StopRule::steps((horizon / eta).round() as usize));
    let z = run_reparam_alpha(p, alpha, &cfg).unwrap();
    let m = run_md(p, &Hyperbolic::uniform(alpha, p.d()).unwrap(), &vec![0.0; p.d()], &cfg).unwrap();
    z.checkpoints.iter().zip(&m.checkpoints).map(|(a, b)| dist2(&a.w, &b.w)).fold(0.0, f64::max)
}

#[test]
fn discrete_reparam_and_md_agree_to_first_order_in_eta() {
    let p = ex2(6);
    let base = 0.2 / p.smoothness();
    let etas: Vec<f64> = (0..5).map(|k| base / 2f64.powi(k)).collect();
    let gaps: Vec<f64> = etas.iter().map(|&e| discrete_gap(&p, 0.3, e, 40.0 * base)).collect();
    let slope = ibias::kernels::stats::loglog_slope(&etas, &gaps);
    assert!((0.8..=1.2).contains(&slope), "log-log slope {slope} (gaps {gaps:?})");
}

#[test]
fn md_auto_converges_on_ex2_across_alpha() {
    let p = ex2(0);
    let d = p.d();
    for alpha in [1e-10, 1e-5, 1.0, 1e3] {
        let pot = Hyperbolic::uniform(alpha, d).unwrap();
        let r = run_md(
            &p,
            &pot,
            &vec![0.0; d],
            &RunConfig::default().stop(StopRule::default().risk_tol(1e-12).max_iter(200_000)),
        )
        .unwrap();
        assert!(r.converged, "α = {alpha}: not converged after {} iterations", r.iterations);
    }
}

#[test]
fn a_diverging_step_is_detected_and_named() {
    let p = ex2(0);
    match run_gd(&p, &RunConfig::fixed(5.0 / p.smoothness()).stop(StopRule::default().max_iter(100_000))) {
        Err(Error::Diverged { eta, safe_eta, .. }) => {
            assert!((eta - 5.0 / p.smoothness()).abs() < 1e-12 * eta && safe_eta > 0.0 && safe_eta < eta);
        }
        other => panic!("expected divergence, got {other:?}"),
    }
    let e = run_gd(&p, &RunConfig::fixed(5.0 / p.smoothness())).unwrap_err().to_string();
    assert!(e.contains("η = ") && e.contains("safe step"), "{e}");
    let pot = Hyperbolic::uniform(1e-3, p.d()).unwrap();
    assert!(run_md(&p, &pot, &vec![0.0; p.d()], &RunConfig::fixed(100.0)).is_err());
}

#[test]
fn md_lbfgs_reaches_the_bregman_projection_at_small_alpha() {
    let p = ex2(0);
    let d = p.d();
    for alpha in [1e-10, 1e-4] {
        let pot = Hyperbolic::uniform(alpha, d).unwrap();
        let exact = bregman_projection(&p, &pot, &vec![0.0; d], BregmanOptions::default()).unwrap();
        let r = run_md(
            &p,
            &pot,
            &vec![0.0; d],
            &RunConfig::new(StepRule::Lbfgs).checkpoints(10).stop(StopRule::default().risk_tol(1e-24)),
        )
        .unwrap();
        assert!(r.converged && rel(&r.w, &exact.w) < 1e-8, "α = {alpha}: {:e}", rel(&r.w, &exact.w));
    }
    // Without an interpolator the dual is unbounded: a clear error, not a silent wrong answer.
    let p3 = ibias::problem::generate::GenSpec::ex3(0).generate().unwrap().problem;
    let cfg = RunConfig::new(StepRule::Lbfgs).stop(StopRule::default().risk_tol(0.0).max_iter(10));
    assert!(matches!(run_md(&p3, &Euclidean, &[0.0, 0.0], &cfg), Err(Error::Param { .. })));
    // And a risk stop that cannot be met is refused up front, with the least-squares risk.
    let e = run_gd(&p3, &RunConfig::default()).unwrap_err().to_string();
    assert!(e.contains("no solution") && e.contains("R*"), "{e}");
}

#[test]
fn batched_md_equals_single_runs() {
    let p = ex2(2);
    let d = p.d();
    let plan = GradPlan::new(&p, Parallelism::Auto);
    let g0 = p.grad(&vec![0.0; d]);
    let runs: Vec<(f64, f64)> = [1e-3, 0.1, 1.0, 10.0]
        .iter()
        .map(|&a| (a, safe_step(&plan, &Hyperbolic::uniform(a, d).unwrap(), &vec![0.0; d], &g0)))
        .collect();
    let b = run_md_batch(&p, &runs, 0.0, 300).unwrap();
    for (j, &(a, eta)) in runs.iter().enumerate() {
        let s = run_md(
            &p,
            &Hyperbolic::uniform(a, d).unwrap(),
            &vec![0.0; d],
            &RunConfig::fixed(eta).checkpoints(0).stop(StopRule::steps(300)),
        )
        .unwrap();
        assert!(rel(&b.w[j], &s.w) < 1e-10, "α = {a}: batched and single runs differ by {:e}", rel(&b.w[j], &s.w));
        assert_eq!(b.iterations[j], 300);
    }
    // With a tolerance, each run stops on its own.
    let b = run_md_batch(&p, &runs, 1e-6, 100_000).unwrap();
    assert!(b.risk.iter().all(|r| *r <= 1e-6 * p.risk_at_zero()));
    assert!(b.iterations.windows(2).any(|w| w[0] != w[1]));
}

#[test]
fn stiff_integrator_matches_dopri5_and_reaches_the_limit_at_large_alpha() {
    let p = ex2(7);
    let d = p.d();
    let pot = Hyperbolic::uniform(0.1, d).unwrap();
    let times = logspace(1e-2, 5.0, 12);
    let a = md_flow(&p, &pot, &vec![0.0; d], &times, OdeOptions { rtol: 1e-10, atol: 1e-13, ..Default::default() })
        .unwrap();
    let opts = OdeOptions { rtol: 1e-7, atol: 1e-10, ..Default::default() };
    let b = md_flow_stiff(&p, &pot, &vec![0.0; d], &times, opts).unwrap();
    let scale = a.w.iter().map(|w| norm2(w)).fold(0.0, f64::max);
    for (x, y) in a.w.iter().zip(&b.w) {
        assert!(dist2(x, y) <= 1e-5 * scale, "ROS2 vs DOPRI5: {:e}", dist2(x, y) / scale);
    }
    let pot = Hyperbolic::uniform(1e3, d).unwrap();
    let s = md_flow_stiff(&p, &pot, &vec![0.0; d], &[1e-7, 1e-5, 1e-3, 1.0], opts).unwrap();
    let exact = bregman_projection(&p, &pot, &vec![0.0; d], BregmanOptions::default()).unwrap();
    assert!(rel(s.w.last().unwrap(), &exact.w) < 1e-6 && s.stats.accepted < 5_000);
}

#[test]
fn runs_split_over_two_cores_equal_the_one_core_runs() {
    let p = make(101, 2000, Some(7), 0.0, 5);
    let d = p.d();
    let pot = Hyperbolic::uniform(0.3, d).unwrap();
    let cfg = |par| RunConfig::fixed(0.5 / p.smoothness()).checkpoints(0).stop(StopRule::steps(200)).parallelism(par);
    let (two, one) = (cfg(Parallelism::TwoCores), cfg(Parallelism::Sequential));
    let (a, b) = (run_md(&p, &pot, &vec![0.0; d], &two).unwrap(), run_md(&p, &pot, &vec![0.0; d], &one).unwrap());
    assert!(rel(&a.w, &b.w) <= 1e-12 && a.w.iter().all(|v| v.is_finite()));
    assert!(a.risk < 0.5 * p.risk_at_zero(), "the runs moved");
    let (a, b) = (run_reparam_alpha(&p, 0.3, &two).unwrap(), run_reparam_alpha(&p, 0.3, &one).unwrap());
    assert!(rel(&a.w, &b.w) <= 1e-12);
    let w0 = vec![0.05; d];
    let (a, b) = (run_md(&p, &NegEntropy, &w0, &two).unwrap(), run_md(&p, &NegEntropy, &w0, &one).unwrap());
    assert!(rel(&a.w, &b.w) <= 1e-12);
}

#[test]
fn the_finite_step_identity_holds_along_ten_thousand_steps() {
    // SPEC §8: w_k = 2a_k² sinh(θ_k + ln(u₀/v₀)), a_k² = α²Π(1 − η²g²/4), θ_k = −2Σ artanh(ηg/2), tracked in
    // log scale; checked at several points of a 10,000-step run, from a uniform and a shaped start.
    let p = ex2(8);
    let d = p.d();
    for init in [Init::uniform(0.1, d).unwrap(), Init::shape(0.1, 0.4, d).unwrap()] {
        let init = init.track_scale(true);
        for steps in [1, 100, 10_000] {
            let r = run_reparam(&p, &init, &RunConfig::fixed(0.3).checkpoints(0).stop(StopRule::steps(steps))).unwrap();
            let info = r.reparam.as_ref().unwrap();
            let t = info.tracked.as_ref().unwrap();
            assert!(t.identity_error_rel <= 1e-12, "{steps} steps: identity residual {:e}", t.identity_error_rel);
            assert_eq!(info.steps_with_sign_change, 0);
            // a_k² = u_k v_k (the product of the factors) equals the tracked ln a².
            for i in 0..d {
                let uv = info.uv_final[i];
                assert!((uv.ln() - t.ln_a2[i]).abs() <= 1e-11, "coordinate {i}");
            }
        }
    }
    // A step too large for the identity (|ηg/2| ≥ 1) is reported.
    let r = run_reparam_alpha(&p, 1.0, &RunConfig::fixed(50.0).checkpoints(0).stop(StopRule::steps(1)));
    match r {
        Ok(r) => {
            assert!(r.reparam.unwrap().steps_with_sign_change == 1 && r.notes.iter().any(|n| n.contains("|ηgᵢ/2| ≥ 1")))
        }
        Err(e) => assert!(matches!(e, Error::Diverged { .. }), "{e}"),
    }
}

#[test]
fn reparam_refuses_dual_rules_and_bad_initialisations() {
    let p = ex2(0);
    for rule in [StepRule::Auto, StepRule::Lbfgs] {
        let e = run_reparam_alpha(&p, 0.1, &RunConfig::new(rule)).unwrap_err().to_string();
        assert!(e.contains("parameter eta") && e.contains("dual of mirror descent"), "{e}");
    }
    assert!(Init::explicit(vec![1.0; 3], vec![1.0, -1.0, 1.0]).unwrap_err().to_string().contains("v0"));
    assert!(Init::shape(0.1, 1.0, 3).is_err());
    assert!(Init::uniform(0.0, 3).is_err());
}

#[test]
fn tiny_alpha_runs_in_log_scale() {
    // α = 1e-160: c = 2α² underflows; the log-scale potential still moves the run and reaches the limit.
    let p = ex2(0);
    let d = p.d();
    for alpha in [1e-100, 1e-160] {
        let pot = Hyperbolic::uniform(alpha, d).unwrap();
        let r = run_md(
            &p,
            &pot,
            &vec![0.0; d],
            &RunConfig::new(StepRule::Lbfgs).checkpoints(0).stop(StopRule::default().risk_tol(1e-20)),
        )
        .unwrap();
        assert!(r.converged, "α = {alpha}: {:?}", r.stop_reason);
        let bp = ibias::exact::basis_pursuit(&p).unwrap();
        assert!(
            (r.l1_norm - bp.l1_norm).abs() <= 1e-6 * bp.l1_norm,
            "α = {alpha}: ‖w‖₁ {} vs {}",
            r.l1_norm,
            bp.l1_norm
        );
    }
    assert_eq!(
        run_md(
            &p,
            &Hyperbolic::uniform(1e-3, d).unwrap(),
            &vec![0.0; d],
            &RunConfig::default().stop(StopRule::default().max_iter(0))
        )
        .unwrap()
        .stop_reason,
        StopReason::MaxIterations
    );
}
