//! Certified sweeps: rows, parallel runs, and a journal that resumes without mixing requests.

use crate::helpers::Tmp;
use ibias::control::quiet;
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
    let (rows, _) = run(&probs, &opts(SweepMethod::Md, "1e-10:1e3:4"), None, &quiet).unwrap();
    assert_eq!(rows.len(), 8);
    for r in &rows {
        assert!(r.converged && r.distance_to_exact_rel < 1e-8, "{r:?}");
    }
    let (exact, _) = run(&probs, &opts(SweepMethod::Bregman, "1e-10:1e3:4"), None, &quiet).unwrap();
    assert!(exact.iter().all(|r| r.distance_to_exact_rel == 0.0));
    assert!(exact[0].l1_gap_abs < 1e-6 && exact[3].l2_gap_abs.abs() < 1e-8);
}

#[test]
fn an_interrupted_sweep_resumes_from_its_journal() {
    let dir = Tmp::new("sweep-resume");
    let j = dir.path("journal.jsonl");
    let probs = problems_from(None, "ex2", &[3]).unwrap();
    let o = opts(SweepMethod::Md, "1e-3,1e-1,1,10");
    let (first, _) = run(&probs, &o, Some(&j), &quiet).unwrap();
    let text = std::fs::read_to_string(&j).unwrap();
    assert_eq!(text.lines().count(), 4);
    let lines: Vec<&str> = text.lines().collect();
    std::fs::write(&j, format!("{}\n{}\n{}", lines[0], lines[1], &lines[2][..lines[2].len() / 2])).unwrap();
    let (second, rep) = run(&probs, &o, Some(&j), &quiet).unwrap();
    assert!(rep.truncated_last_line && rep.resumed == 2 && rep.computed == 2);
    assert_eq!(second.len(), 4);
    for (a, b) in first.iter().zip(&second) {
        assert_eq!(
            (a.run_id.as_str(), a.l1_norm),
            (b.run_id.as_str(), b.l1_norm),
            "same input and settings, identical output"
        );
    }
    let before = std::fs::read_to_string(&j).unwrap().lines().count();
    let (_, rep) = run(&probs, &o, Some(&j), &quiet).unwrap();
    assert_eq!((rep.computed, std::fs::read_to_string(&j).unwrap().lines().count()), (0, before));
}

#[test]
fn a_journal_never_mixes_requests() {
    let dir = Tmp::new("sweep-mix");
    let j = dir.path("journal.jsonl");
    // Seed 0 rows in the journal must not answer a request for seed 7.
    let p0 = problems_from(None, "ex2", &[0]).unwrap();
    let p7 = problems_from(None, "ex2", &[7]).unwrap();
    let o = opts(SweepMethod::Md, "1,10");
    run(&p0, &o, Some(&j), &quiet).unwrap();
    let (rows7, rep) = run(&p7, &o, Some(&j), &quiet).unwrap();
    assert_eq!((rep.resumed, rep.computed, rep.foreign_rows), (0, 2, 2));
    assert!(rows7.iter().all(|r| r.data_hash == p7[0].1.data_hash()));
    // Another method, another grid: computed afresh; asking for α = 1, 10 returns exactly two rows.
    let mut oz = opts(SweepMethod::Reparam, "1,10");
    oz.etas = vec![StepRule::Safe];
    let (rz, rep) = run(&p0, &oz, Some(&j), &quiet).unwrap();
    assert_eq!((rz.len(), rep.resumed), (2, 0));
    assert!(rz.iter().all(|r| r.method == SweepMethod::Reparam));
    let (again, rep) = run(&p0, &o, Some(&j), &quiet).unwrap();
    assert_eq!((again.len(), rep.resumed, rep.computed), (2, 2, 0));
    // Duplicated lines (two writers in the past) are dropped on read.
    let text = std::fs::read_to_string(&j).unwrap();
    std::fs::write(&j, format!("{text}{text}")).unwrap();
    let (rows, rep) = run(&p0, &o, Some(&j), &quiet).unwrap();
    assert_eq!(rows.len(), 2);
    assert!(rep.duplicate_rows >= 2);
    // A second writer while the first holds the journal is refused, naming the file.
    let w = ibias::study::journal::Writer::open(&j).unwrap();
    let e = run(&p0, &o, Some(&j), &quiet).unwrap_err().to_string();
    assert!(e.contains("journal.jsonl") && e.contains("another process"), "{e}");
    drop(w);
}

#[test]
fn bad_options_are_rejected() {
    assert!(parse_alphas("1e-3:1:0").is_err());
    assert!(parse_alphas("0:1:3").is_err());
    assert!(parse_alphas("1,-2").is_err());
    assert!(parse_alphas("a:b").is_err());
    assert!(parse_alphas("1e-400").is_err());
    assert_eq!(parse_alphas("1e-10:1e3:27").unwrap().len(), 27);
    let probs = problems_from(None, "ex2", &[0]).unwrap();
    for (tol, secs) in [(-1.0, 1.0), (f64::NAN, 1.0), (0.0, -1.0), (0.0, f64::NAN)] {
        let mut o = opts(SweepMethod::Md, "1");
        o.risk_tol = tol;
        o.max_seconds = secs;
        assert!(run(&probs, &o, None, &quiet).is_err(), "tol {tol}, seconds {secs}");
    }
}
