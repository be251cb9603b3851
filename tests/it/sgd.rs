//! Stochastic gradients: full batch is GD exactly, seeded runs are reproducible, the finite-step identity holds
//! along mini-batch runs, and bad input is refused.

use crate::helpers::{ex2, rel};
use ibias::datafit::LossKind;
use ibias::dynamics::fit::{FitArgs, run_gd as fit_gd, run_mirror, run_reparam_init};
use ibias::dynamics::sampling::SgdOptions;
use ibias::dynamics::{Algorithm, Init, RunConfig, RunResult, StopRule, run_gd, run_reparam};
use ibias::potential::{Hyperbolic, NegEntropy};
use ibias::problem::Problem;

/// The methods the old per-method copy ran, now the loss-generic methods under the driver's sampling policy.
enum Kind<'a> {
    Gd,
    Md(&'a Hyperbolic, Vec<f64>),
    Eg(Vec<f64>),
    Reparam(&'a Init),
}

fn run_sgd(p: &Problem, kind: &Kind<'_>, o: &SgdOptions, cfg: &RunConfig) -> ibias::Result<RunResult> {
    let a = FitArgs::new(LossKind::LeastSquares, *cfg).sampled(*o);
    match kind {
        Kind::Gd => fit_gd(p, &a),
        Kind::Md(pot, w0) => run_mirror(p, &a, Box::new((*pot).clone()), w0.clone(), Algorithm::Md),
        Kind::Eg(w0) => run_mirror(p, &a, Box::new(NegEntropy), w0.clone(), Algorithm::Eg),
        Kind::Reparam(init) => run_reparam_init(p, &a, init),
    }
}

#[test]
fn batch_n_is_full_batch_gd_and_seeded_runs_are_reproducible() {
    let p = ex2(1);
    let (n, d) = (p.n(), p.d());
    let cfg = RunConfig::fixed(0.01).checkpoints(0).stop(StopRule::steps(500));
    let full = run_sgd(&p, &Kind::Gd, &SgdOptions { batch: n, ..Default::default() }, &cfg).unwrap();
    let gd = run_gd(&p, &cfg).unwrap();
    assert_eq!(full.w, gd.w, "b = n without replacement is full-batch GD, bit for bit");
    let init = Init::uniform(0.1, d).unwrap();
    let zfull = run_sgd(&p, &Kind::Reparam(&init), &SgdOptions { batch: n, ..Default::default() }, &cfg).unwrap();
    assert_eq!(zfull.w, run_reparam(&p, &init, &cfg).unwrap().w);
    for kind in [Kind::Gd, Kind::Reparam(&init), Kind::Eg(vec![0.1; d])] {
        let o = SgdOptions { batch: 3, seed: 11, label_noise: 0.05, ..Default::default() };
        let (a, b) = (run_sgd(&p, &kind, &o, &cfg).unwrap(), run_sgd(&p, &kind, &o, &cfg).unwrap());
        assert_eq!(a.w, b.w, "the same seed gives the same run, bit for bit");
        let c = run_sgd(&p, &kind, &SgdOptions { seed: 12, ..o }, &cfg).unwrap();
        assert!(rel(&a.w, &c.w) > 1e-6, "another seed, another run");
        let r = run_sgd(&p, &kind, &SgdOptions { replacement: true, ..o }, &cfg).unwrap();
        assert!(rel(&a.w, &r.w) > 1e-6);
    }
}

/// Noiseless and overparametrised: mini-batch SGD interpolates with a constant step, and mirror SGD keeps
/// θ − θ₀ ∈ range(Xᵀ), so it lands on the same Bregman projection as full-batch mirror descent.
#[test]
fn mirror_sgd_reaches_the_bregman_projection() {
    let p = ex2(2);
    let d = p.d();
    let pot = Hyperbolic::uniform(0.1, d).unwrap();
    let exact = ibias::exact::bregman::bregman_projection(&p, &pot, &vec![0.0; d], Default::default()).unwrap();
    let cfg = RunConfig::fixed(0.005).checkpoints(0).stop(StopRule::default().risk_tol(1e-24).max_iter(20_000_000));
    let r = run_sgd(
        &p,
        &Kind::Md(&pot, vec![0.0; d]),
        &SgdOptions { batch: 5, seed: 3, check_every: 50, ..Default::default() },
        &cfg,
    )
    .unwrap();
    assert!(r.converged);
    assert!(rel(&r.w, &exact.w) <= 1e-8, "{:e}", rel(&r.w, &exact.w));
}

/// SPEC §8: `w_k = 2a_k² sinh θ_k` holds exactly along a 10,000-step run, full batch and mini-batch (1e-12).
#[test]
fn the_finite_step_identity_holds_along_stochastic_runs() {
    let p = ex2(3);
    let d = p.d();
    let init = Init::uniform(0.05, d).unwrap().track_scale(true);
    let cfg = RunConfig::fixed(0.05).checkpoints(0).stop(StopRule::steps(10_000));
    for b in [p.n(), 8, 1] {
        let r =
            run_sgd(&p, &Kind::Reparam(&init), &SgdOptions { batch: b, seed: 5, ..Default::default() }, &cfg).unwrap();
        let t = r.reparam.as_ref().unwrap().tracked.as_ref().unwrap();
        assert!(t.identity_error_rel <= 1e-12, "b = {b}: {:e}", t.identity_error_rel);
    }
}

#[test]
fn bad_stochastic_input_is_refused_with_its_name() {
    let p = ex2(0);
    let n = p.n();
    let cfg = RunConfig::fixed(0.01).stop(StopRule::steps(10));
    for (o, word) in [
        (SgdOptions { batch: 0, ..Default::default() }, "parameter batch"),
        (SgdOptions { batch: n + 1, ..Default::default() }, "parameter batch"),
        (SgdOptions { batch: 2, label_noise: -1.0, ..Default::default() }, "parameter label_noise"),
        (SgdOptions { batch: 2, check_every: 0, ..Default::default() }, "parameter check_every"),
    ] {
        let e = run_sgd(&p, &Kind::Gd, &o, &cfg).unwrap_err().to_string();
        assert!(e.contains(word), "{e}");
    }
    // A diverging step: the message names the step and a safe one.
    let big = RunConfig::fixed(50.0).stop(StopRule::default().max_iter(100_000));
    let e = run_sgd(&p, &Kind::Gd, &SgdOptions { batch: 4, check_every: 10, ..Default::default() }, &big)
        .unwrap_err()
        .to_string();
    assert!(e.contains("η = ") && e.contains("safe step"), "{e}");
}

/// The finite-step effect (SPEC §9): the effective-scale prediction explains the run better than the flow limit
/// (here by 10× or more at η ≤ 0.1), a converged run sits where GD is stable (sharpness ≤ 2/η, hence
/// Σ|wᵢ|‖xᵢ‖² ≤ n²/η), and the sharpness is the top eigenvalue of (2/n) X diag(u² + v²) Xᵀ (dense check).
#[test]
fn the_effective_scale_explains_the_finite_step_limit() {
    let p = ex2(0);
    let d = p.d();
    let init = Init::uniform(0.1, d).unwrap().track_scale(true);
    for eta in [0.01, 0.1, 0.5] {
        let cfg = RunConfig::fixed(eta).checkpoints(0).stop(StopRule::default().risk_tol(1e-22).max_iter(5_000_000));
        let r = run_reparam(&p, &init, &cfg).unwrap();
        assert!(r.converged);
        let e = ibias::exact::finite_step::step_effect(&p, &init, &r, eta).unwrap();
        assert!(e.sharpness <= e.two_over_eta && e.stability_sum <= e.stability_bound, "{e:?}");
        if eta <= 0.1 {
            assert!(e.effective_limit_distance_rel * 10.0 <= e.flow_limit_distance_rel, "{e:?}");
        }
        // Dense check of the sharpness.
        let info = r.reparam.as_ref().unwrap();
        let s: Vec<f64> =
            (0..d).map(|i| (r.w[i] * r.w[i] + 4.0 * info.uv_final[i] * info.uv_final[i]).sqrt()).collect();
        let n = p.n();
        let m = faer::Mat::from_fn(n, n, |a, c| {
            (0..d).map(|i| 2.0 / n as f64 * p.x().get(a, i) * s[i] * p.x().get(c, i)).sum::<f64>()
        });
        let top = m.self_adjoint_eigenvalues(faer::Side::Lower).unwrap().into_iter().fold(f64::NEG_INFINITY, f64::max);
        assert!((e.sharpness - top).abs() <= 1e-8 * top, "{} vs {top}", e.sharpness);
    }
}
