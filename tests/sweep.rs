//! Certified sweeps: rows, parallel runs and resumption from the journal.

use ibias::dynamics::StepRule;
use ibias::study::sweep::{SweepMethod, SweepOptions, parse_alphas, problems_from, run};

fn opts(method: SweepMethod, alphas: &str) -> SweepOptions {
    SweepOptions {
        method,
        alphas: parse_alphas(alphas).unwrap(),
        etas: vec![StepRule::Lbfgs],
        risk_tol: 1e-24,
        max_iter: 1_000_000,
        max_seconds: 30.0,
    }
}

#[test]
fn md_sweep_rows_reach_their_exact_limits() {
    let probs = problems_from(None, "ex2", &[0, 1]).unwrap();
    let rows = run(&probs, &opts(SweepMethod::Md, "1e-10:1e3:4"), None).unwrap();
    assert_eq!(rows.len(), 8);
    for r in &rows {
        assert!(r.converged, "{r:?}");
        assert!(r.distance_to_exact < 1e-8, "{r:?}");
    }
    let exact = run(&probs, &opts(SweepMethod::Bregman, "1e-10:1e3:4"), None).unwrap();
    assert!(exact.iter().all(|r| r.distance_to_exact == 0.0));
    // ℓ1 gap → 0 as α → 0, ℓ2 gap → 0 as α → ∞.
    assert!(exact[0].l1_gap < 1e-6 && exact[3].l2_gap.abs() < 1e-8);
}

#[test]
fn an_interrupted_sweep_resumes_from_its_journal() {
    let dir = std::env::temp_dir().join(format!("ibias-sweep-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let j = dir.join("journal.jsonl");
    let _ = std::fs::remove_file(&j);
    let probs = problems_from(None, "ex2", &[3]).unwrap();
    let o = opts(SweepMethod::Md, "1e-3,1e-1,1,10");
    let first = run(&probs, &o, Some(&j)).unwrap();
    let text = std::fs::read_to_string(&j).unwrap();
    assert_eq!(text.lines().count(), 4);
    // Simulate an interruption: drop the last row and cut the one before in the middle.
    let lines: Vec<&str> = text.lines().collect();
    let cut = format!("{}\n{}\n{}", lines[0], lines[1], &lines[2][..lines[2].len() / 2]);
    std::fs::write(&j, cut).unwrap();
    let second = run(&probs, &o, Some(&j)).unwrap();
    assert_eq!(second.len(), 4);
    for (a, b) in first.iter().zip(&second) {
        assert_eq!((a.alpha, &a.eta), (b.alpha, &b.eta));
        assert_eq!(a.l1, b.l1, "same input and settings must give identical output");
    }
    // Nothing left to do: a third run computes nothing new.
    let before = std::fs::read_to_string(&j).unwrap().lines().count();
    run(&probs, &o, Some(&j)).unwrap();
    assert_eq!(std::fs::read_to_string(&j).unwrap().lines().count(), before);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn bad_alpha_grids_are_rejected() {
    assert!(parse_alphas("1e-3:1:0").is_err());
    assert!(parse_alphas("0:1:3").is_err());
    assert!(parse_alphas("1,-2").is_err());
    assert!(parse_alphas("a:b").is_err());
    assert_eq!(parse_alphas("1e-10:1e3:27").unwrap().len(), 27);
}
