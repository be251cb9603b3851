//! The audit's defect classes, each with its regression: meaningless options refused by name, Slurm options
//! validated, badly scaled data refused with what to do, a huge spec refused before it is expanded.

use crate::helpers::{Tmp, ibias, json, vec_of, write_csv};

/// The audit's conflicting or meaningless flags are refused, each naming the flag and what it applies to.
#[test]
fn meaningless_flags_are_refused() {
    let dir = Tmp::new("meaningless");
    let f = write_csv(&dir, "ex2.csv", &crate::helpers::ex2(0));
    let cases: &[(&[&str], &str)] = &[
        (&["run", "md", "--potential", "euclidean", "--alpha", "0.5", "--data", &f], "--alpha"),
        (&["run", "gd", "--alpha", "0.5", "--data", &f], "--alpha"),
        (&["run", "md", "--momentum", "0.5", "--data", &f], "--momentum"),
        (&["solve", "bregman", "--w0", "2", "--shape", "0.5", "--data", &f], "--w0"),
        (&["solve", "bregman", "--potential", "entropy", "--w0", "-1", "--data", &f], "--w0"),
        (&["solve", "bregman", "--potential", "euclidean", "--alpha", "0.5", "--data", &f], "--alpha"),
        (&["solve", "bregman", "--potential", "entropy", "--shape", "0.5", "--data", &f], "--shape/--u0/--v0"),
        (&["solve", "bregman", "--depth", "3", "--data", &f], "--depth"),
        (&["solve", "min-l2", "--w0", "1", "--data", &f], "--w0"),
        (&["solve", "min-l1", "--norm", "l1", "--data", &f], "--norm/--p"),
        (&["solve", "max-margin", "--norm", "l7", "--data", &f], "--norm"),
        (&["solve", "min-l2", "--alpha", "0.5", "--data", &f], "--alpha"),
        (&["solve", "bregman", "--bp-method", "lp", "--data", &f], "--bp-method"),
        (&["solve", "min-l1", "--depth", "3", "--data", &f], "--depth"),
        (&["path", "ridge", "--lambdas", "1", "--n-lambdas", "5", "--data", &f], "--lambdas/--n-lambdas"),
        (&["path", "lasso", "--exact", "--n-lambdas", "5", "--data", &f], "--exact/--n-lambdas"),
        (&["path", "lasso", "--exact", "--positive", "--data", &f], "--exact/--positive"),
        (&["path", "ridge", "--n-lambdas", "1000000000", "--data", &f], "--n-lambdas"),
        (&["path", "ridge", "--n-lambdas", "0", "--data", &f], "--n-lambdas"),
        (&["path", "saddle", "--n-lambdas", "3", "--data", &f], "--n-lambdas"),
        (&["sweep", "md", "--data", &f, "--alphas", "1e-2:1:2", "--threads", "0"], "--threads"),
        (&["sweep", "md", "--data", &f, "--preset", "woodworth"], "cannot be used with"),
    ];
    for (args, want) in cases {
        let (c, _, err) = ibias(args);
        assert!(c != 0 && err.contains(want) && !err.contains("panicked"), "{args:?}: {err}");
    }
    // sbatch validates Slurm's formats before writing anything.
    let spec = concat!(env!("CARGO_MANIFEST_DIR"), "/examples/sweep-small.toml");
    for (flag, value) in
        [("--partition", "a b;rm -rf /"), ("--time", "garbage"), ("--mem", "1G; reboot"), ("--time", "1:2:3:4")]
    {
        let out = dir.s("array");
        let (c, _, err) = ibias(&["sweep", "sbatch", spec, "--tasks", "2", "--out", &out, flag, value]);
        assert!(c != 0 && err.contains(flag) && !dir.path("array").exists(), "{flag} {value}: {err}");
    }
    for (flag, value) in [("--time", "2-00:30:00"), ("--mem", "2G"), ("--partition", "gpu,cpu_long")] {
        let out = dir.s("array-ok");
        let (c, _, err) = ibias(&["sweep", "sbatch", spec, "--tasks", "2", "--out", &out, flag, value]);
        assert_eq!(c, 0, "{flag} {value}: {err}");
    }
    let (c, _, err) =
        ibias(&["run", "gd", "--tol", "0", "--max-iter", "1000000000000", "--max-seconds", "0.2", "--data", &f]);
    assert!(c == 3 && !err.contains("note: --tol 0"), "{c}: {err}"); // the time cap: exit 3, no warning
    // What they apply to still works.
    assert_eq!(ibias(&["solve", "bregman", "--potential", "entropy", "--w0", "2", "--data", &f]).0, 0);
    // --w0 is the start of every potential's projection (it was ignored for the hyperbolic entropy): the
    // projection from 2·1 is another point than the projection from 0, and both interpolate.
    let from = |w0: &str| {
        let v = json(&["solve", "bregman", "--alpha", "0.1", "--w0", w0, "--json", "--data", &f]);
        assert!(v["certificate"]["residual_rel"].as_f64().unwrap() < 1e-9);
        vec_of(&v["w"])
    };
    let (w_zero, w_two) = (from("0"), from("2"));
    assert!(w_zero.iter().zip(&w_two).map(|(a, b)| (a - b).abs()).fold(0.0, f64::max) > 1e-3);
    assert_eq!(ibias(&["run", "md", "--alpha", "0.5", "--max-iter", "10", "--tol", "0", "--data", &f]).0, 0);
}

/// Badly scaled data is refused with what to do, by every door, instead of a wrong answer (a 2 × 2 X near 1e-310
/// looked like rank 0: min-l2 = 0 with exit 0) or a solver's internal error near 1e300.
#[test]
fn badly_scaled_data_is_refused_with_what_to_do() {
    let dir = Tmp::new("scale");
    for (scale, word) in [(1e-310, "X"), (1e300, "X")] {
        let f = dir.s("bad.csv");
        std::fs::write(
            &f,
            format!("x1,x2,y\n{:e},{:e},1\n{:e},{:e},1\n", scale, 2.0 * scale, 3.0 * scale, 4.0 * scale),
        )
        .unwrap();
        for cmd in [&["solve", "min-l2"][..], &["run", "md"], &["solve", "min-l1"], &["path", "lasso", "--exact"]] {
            let mut args = cmd.to_vec();
            args.extend(["--data", &f]);
            let (c, _, err) = ibias(&args);
            assert!(
                c == 1 && err.contains(&format!("largest entry of {word}")) && err.contains("rescale"),
                "{args:?}: {err}"
            );
        }
    }
    let (c, _, err) = ibias(&["data", "info", &{
        let f = dir.s("y.csv");
        std::fs::write(&f, "x1,x2,y\n1,2,1e-200\n3,4,1e-200\n").unwrap();
        f
    }]);
    assert!(c == 1 && err.contains("largest entry of y"), "{err}");
    // The edges of the range still solve, certified: X near 1e-150 (a Gram scale of 1e-300).
    let f = dir.s("edge.csv");
    std::fs::write(&f, "x1,x2,y\n1e-150,2e-150,1\n3e-150,4e-150,1\n").unwrap();
    let r = json(&["solve", "min-l2", "--data", &f, "--json"]);
    let w = vec_of(&r["w"]);
    assert!((w[0] / 1e150 + 1.0).abs() < 1e-9 && (w[1] / 1e150 - 1.0).abs() < 1e-9, "{w:?}"); // X⁺y = (−1, 1)·1e150
}

/// A 6 KB spec whose axes make 2.7e7 variants (300 shapes × 300 batches × 300 seeds) is refused from its counts,
/// before anything is expanded (it used to abort at 5 GB under --max-memory 1G).
#[test]
fn a_huge_spec_is_refused_before_it_is_expanded() {
    let dir = Tmp::new("hugespec");
    let list = |f: &dyn Fn(usize) -> String| (0..300).map(f).collect::<Vec<_>>().join(",");
    let spec = format!(
        "[problem]\npreset = \"ex2\"\nseeds = [0]\n[axes]\nmethod = [\"reparam\"]\nalpha = [0.1]\nshape = [{}]\nbatch = [{}]\nsgd_seed = [{}]\n",
        list(&|i| format!("{}", i as f64 / 1000.0)),
        list(&|i| format!("{}", i + 1)),
        list(&|i| format!("{i}"))
    );
    let f = dir.s("huge.toml");
    std::fs::write(&f, spec).unwrap();
    for cmd in ["plan", "run"] {
        let out = dir.s("out");
        let mut args = vec!["sweep", cmd, &f, "--max-memory", "1G"];
        if cmd == "run" {
            args.extend(["--out", &out]);
        }
        let (c, _, err) = ibias(&args);
        assert!(c == 1 && err.contains("2.700e7 variants") && err.contains("[axes]"), "{cmd}: {err}");
    }
}

/// The default memory budget honours `ulimit -v` (and the cgroup's limit, unit-tested in `io`): a request that
/// fits half of physical memory but not half of the address-space limit is refused up front, not aborted.
#[test]
fn the_memory_budget_honours_ulimit() {
    let dir = Tmp::new("ulimit");
    let bin = env!("CARGO_BIN_EXE_ibias");
    let out = std::process::Command::new("sh")
        .arg("-c")
        .arg(format!("ulimit -v 2000000 && '{bin}' data gen --n 5000 --d 20000 -o '{}'", dir.s("x.csv")))
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("refused") && err.contains("976.6 MiB"), "{err}");
    assert!(!dir.path("x.csv").exists());
}

/// A diverging step names a safe one for the method that ran: sign-GD's (in `‖·‖∞`) and normalised GD's, not
/// GD's; rerun with the suggested step, the run does not diverge.
#[test]
fn a_divergence_suggests_the_methods_own_safe_step() {
    use ibias::request::RunRequest;
    let p = crate::helpers::ex2(0);
    {
        let (method, eta) = ("sign_gd", 0.01);
        let req = |e: f64| RunRequest {
            eta: Some(ibias::dynamics::StepRule::Fixed(e)),
            tol: 0.0,
            max_iter: 300,
            ..RunRequest::new(method)
        };
        let err = req(eta).run(&p).unwrap_err().to_string();
        let Some(safe) =
            err.split("η ≤ ").nth(1).and_then(|s| s.split(';').next()).and_then(|s| s.trim().parse::<f64>().ok())
        else {
            panic!("{method}: no safe step in {err}")
        };
        assert!(safe < eta, "{method}: suggested η ≤ {safe} is not below the diverging {eta}");
        let r = req(safe).run(&p).unwrap_or_else(|e| panic!("{method} at the suggested η = {safe}: {e}"));
        assert!(r.risk <= r.risk_at_zero, "{method}: risk rose from {} to {}", r.risk_at_zero, r.risk);
    }
    // Normalised GD's step has a fixed length: a large η oscillates without exploding. The run says that it
    // ended above its start and names the method's own safe step, which then descends.
    let req = |e: f64| RunRequest {
        eta: Some(ibias::dynamics::StepRule::Fixed(e)),
        tol: 0.0,
        max_iter: 300,
        ..RunRequest::new("normalized_gd")
    };
    let r = req(50.0).run(&p).unwrap();
    let note = r.notes.iter().find(|n| n.contains("ended above its start")).expect("a note on the rising loss");
    let safe: f64 = note.split("η ≤ ").nth(1).unwrap().trim().parse().unwrap();
    assert!(safe < 50.0, "{note}");
    let r = req(safe).run(&p).unwrap();
    assert!(r.risk < r.risk_at_zero && !r.notes.iter().any(|n| n.contains("ended above")), "{:?}", r.notes);
}

/// Mirror descent's default step rule is decided once, with the data: `lbfgs` where X has full row rank, `auto`
/// where it does not (the rule needs rank X = n), whichever door builds the request.
#[test]
fn the_default_step_rule_of_md_is_decided_with_the_data() {
    use ibias::dynamics::StepRule;
    use ibias::request::RunRequest;
    let full = crate::helpers::ex2(0);
    let r = RunRequest { max_iter: 50, ..RunRequest::new("md") }.run(&full).unwrap();
    assert_eq!(r.step_rule, Some(StepRule::Lbfgs));
    // Two equal rows: rank 1 < n = 2.
    let deficient = crate::helpers::problem(2, 3, |_, j| (j + 1) as f64, vec![1.0, 1.0]);
    let r = RunRequest { max_iter: 50, ..RunRequest::new("md") }.run(&deficient).unwrap();
    assert_eq!(r.step_rule, Some(StepRule::Auto));
    // An explicit rule is kept as given.
    let r = RunRequest { eta: Some(StepRule::Auto), max_iter: 50, ..RunRequest::new("md") }.run(&full).unwrap();
    assert_eq!(r.step_rule, Some(StepRule::Auto));
}
