//! Property tests: random bytes and random small CSV, TOML and journal files to every loader; random small
//! problems (with duplicated, negated, zero and nearly collinear columns) to the runs, solvers, paths and
//! sweeps. Never a panic, and never a success whose certificate fails.

use crate::helpers::problem;
use ibias::control::quiet;
use ibias::dynamics::{RunConfig, StepRule, StopRule, run_eg, run_gd, run_md, run_reparam_alpha};
use ibias::exact::bregman::{BregmanOptions, bregman_projection};
use ibias::exact::homotopy::kkt_tolerance;
use ibias::exact::lasso::{CdOptions, lasso_cd, lasso_path};
use ibias::exact::penalty::{L1, kkt_violation};
use ibias::exact::ridge::ridge_path;
use ibias::exact::{BpMethod, basis_pursuit_with, min_l2};
use ibias::potential::Hyperbolic;
use ibias::problem::Problem;
use ibias::problem::csv::parse_csv;
use ibias::study::Config;
use ibias::sweep::{SweepMethod, SweepOptions, run as sweep};
use proptest::prelude::*;

fn csv_like() -> impl Strategy<Value = String> {
    proptest::collection::vec(
        prop_oneof![
            Just("1".to_string()),
            Just("-2.5".to_string()),
            Just("1e-300".to_string()),
            Just("1e400".to_string()),
            Just("nan".to_string()),
            Just("x".to_string()),
            Just(",".to_string()),
            Just(",,".to_string()),
            Just("\n".to_string()),
            Just("\r\n".to_string()),
            Just("\t".to_string()),
            Just(";".to_string()),
            Just("\"".to_string()),
            Just("0".to_string()),
            Just(" ".to_string()),
        ],
        0..40,
    )
    .prop_map(|v| v.concat())
}

/// A small design whose columns are random, or copies (±, scaled, nearly equal) of earlier columns, or 0.
fn design() -> impl Strategy<Value = Problem> {
    (
        1usize..7,
        1usize..9,
        proptest::collection::vec(-3i32..4, 64),
        proptest::collection::vec(0u8..6, 9),
        proptest::collection::vec(-3i32..4, 8),
    )
        .prop_map(|(n, d, vals, kinds, ys)| {
            let base = |i: usize, j: usize| vals[(i * 8 + j) % 64] as f64 * 0.5;
            let col = move |i: usize, j: usize| -> f64 {
                let src = j / 2;
                match kinds[j] {
                    0 if j > 0 => base(i, src),
                    1 if j > 0 => -base(i, src),
                    2 if j > 0 => 2.0 * base(i, src),
                    3 if j > 0 => base(i, src) + 1e-9 * (i as f64 + 1.0),
                    4 => 0.0,
                    _ => base(i, j),
                }
            };
            let y: Vec<f64> = (0..n).map(|i| ys[i % 8] as f64 * 0.7).collect();
            problem(n, d, col, y)
        })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1500, ..ProptestConfig::default() })]

    #[test]
    fn loaders_never_panic_on_random_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
        let text = String::from_utf8_lossy(&bytes);
        let _ = parse_csv(&text);
        let _ = Config::from_toml(&text);
        let dir = std::env::temp_dir().join(format!("ibias-prop-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let j = dir.join("j.jsonl");
        std::fs::write(&j, &bytes).unwrap();
        let _ = ibias::sweep::journal::read::<ibias::sweep::Row>(&j, None, |r| &r.run_id);
    }

    #[test]
    fn the_csv_loader_never_panics_on_csv_like_text(text in csv_like()) {
        if let Ok(p) = parse_csv(&text) {
            prop_assert!(p.x().data.iter().all(|v| v.is_finite()) && p.y().iter().all(|v| v.is_finite()));
        }
    }

    #[test]
    fn configurations_never_panic(seed in 0u64..5, n in -3i64..40, x in -1e3f64..1e3, key in 0usize..6) {
        let field = ["n_alphas", "n_etas", "horizon_l", "md_seconds", "alpha_eta", "reparam_max_iter"][key];
        let _ = Config::from_toml(&format!("[ex2]\nseed = {seed}\n{field} = {n}\n"));
        let _ = Config::from_toml(&format!("[ex2]\n{field} = {x:?}\n[ex3]\nrepeats = {n}\n"));
        let _ = Config::from_toml(&format!("[ex1]\nflow_alphas = [{x:?}]\nrtol = {x:?}\n"));
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 600, ..ProptestConfig::default() })]

    #[test]
    fn solvers_on_random_degenerate_designs_are_certified_or_fail(p in design()) {
        let lmax = 2.0 * {
            let mut xty = vec![0.0; p.d()];
            p.xt_mul(p.y(), &mut xty);
            ibias::kernels::linalg::norm_inf(&xty)
        } / p.n() as f64;
        if let Ok(path) = lasso_path(&p) {
            for (&l, w) in path.lambdas.iter().zip(&path.coefs) {
                let k = kkt_violation(&L1::default(), &p, w, l);
                let tol = kkt_tolerance(&p, lmax);
                prop_assert!(k <= 1e-6 * lmax + 10.0 * tol, "λ = {l:e}: KKT {k:e} > {tol:e} ({})", path.method);
            }
        }
        for m in [BpMethod::Auto, BpMethod::Lp, BpMethod::Homotopy] {
            if let Ok(s) = basis_pursuit_with(&p, m) {
                prop_assert!(s.certificate.residual_rel <= 1e-9, "{m:?}: residual {:e}", s.certificate.residual_rel);
                prop_assert!(s.certificate.duality_gap_rel.unwrap() <= 1e-9);
            }
        }
        if let Ok(s) = min_l2(&p) {
            let sm = p.sigma()[0];
            let bound = 1e-10 * sm * (sm * s.l2_norm + ibias::kernels::linalg::norm2(p.y()));
            prop_assert!(s.certificate.normal_residual_norm.unwrap() <= bound);
        }
        let _ = ridge_path(&p, &[0.0, 0.1, 10.0]);
        let _ = lasso_cd(&p, &[0.5 * lmax, 0.1 * lmax], CdOptions::default());
        if let Ok(s) = bregman_projection(&p, &Hyperbolic::uniform(0.1, p.d()).unwrap(), &vec![0.0; p.d()], BregmanOptions::default()) {
            prop_assert!(s.certificate.residual_backward_rel.unwrap() <= 1e-10);
        }
    }

    #[test]
    fn runs_on_random_degenerate_designs_never_panic(p in design(), a in -6i32..3) {
        let alpha = 10f64.powi(a);
        let d = p.d();
        let stop = StopRule::default().risk_tol(1e-12).max_iter(2000);
        for rule in [StepRule::Auto, StepRule::Safe, StepRule::Lbfgs, StepRule::Fixed(0.1)] {
            let cfg = RunConfig::new(rule).checkpoints(5).stop(stop);
            if let Ok(r) = run_md(&p, &Hyperbolic::uniform(alpha, d).unwrap(), &vec![0.0; d], &cfg) {
                prop_assert!(r.w.iter().all(|v| v.is_finite()));
                if r.converged && r.stop_reason == ibias::dynamics::StopReason::RiskTolerance {
                    prop_assert!(r.risk <= 1e-12 * r.risk_at_zero * (1.0 + 1e-9));
                }
            }
            let _ = run_gd(&p, &cfg);
            let _ = run_eg(&p, &vec![alpha; d], &cfg);
        }
        let _ = run_reparam_alpha(&p, alpha, &RunConfig::new(StepRule::Safe).stop(stop));
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 60, ..ProptestConfig::default() })]

    #[test]
    fn sweeps_on_random_designs_never_panic(p in design()) {
        let o = SweepOptions {
            method: SweepMethod::Md,
            alphas: vec![1e-3, 1.0],
            etas: Some(vec![StepRule::Lbfgs, StepRule::Auto]),
            risk_tol: 1e-20,
            max_iter: 2000,
            max_seconds: 2.0,
            record_w: false,
        };
        if let Ok((rows, _)) = sweep(&[(None, p)], &o, None, &quiet) {
            prop_assert!(rows.iter().all(|r| r.distance_to_exact_rel.is_finite()));
        }
    }
}
