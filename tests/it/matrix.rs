//! Matrix sensing (SPEC §13): the commuting identity (factorised GD = the sheet's GD on (u, v), spectral mirror
//! descent = the sheet's mirror descent, step for step), GD on the factorisation against an independent
//! implementation and a long run, the certified minimum nuclear norm, and the three doors' contracts.

use crate::helpers::{Tmp, ibias, json, spec_rows, write_csv};
use ibias::dynamics::StepRule;
use ibias::kernels::linalg::Dense;
use ibias::problem::Problem;
use ibias::problem::matrix::{MatrixSpec, Measurements};
use ibias::request::RunRequest;
use serde_json::Value;

fn diagonal(m: usize, n: usize, seed: u64) -> (Problem, Problem) {
    let s = MatrixSpec { m, n, rank: 2, psd: false, measurements: Measurements::Diagonal, seed };
    let g = s.generate().unwrap();
    let xd = Dense::from_fn(n, m, |i, j| g.problem.x().row(i)[j * m + j]);
    let pv = Problem::new(xd, g.problem.y().to_vec()).unwrap();
    (g.problem, pv)
}

fn max_rel(a: &[f64], b: &[f64]) -> f64 {
    let scale = b.iter().fold(0.0f64, |s, v| s.max(v.abs())).max(f64::MIN_POSITIVE);
    a.iter().zip(b).map(|(x, y)| (x - y).abs()).fold(0.0, f64::max) / scale
}

/// Commuting (diagonal) measurements: after T fixed steps, `factored` (depth 2 and 3) equals GD on (u, v) at the
/// same α, η and depth on the diagonal, and `spectral_md` equals the sheet's mirror descent — to 1e-12 relative
/// (measured ≈ 1e-15: the two sides sum the same products in different orders). Off-diagonal entries stay 0.
#[test]
fn commuting_measurements_give_the_sheets_dynamics_step_for_step() {
    let (pm, pv) = diagonal(8, 5, 1);
    let m = 8;
    for (matrix_method, vector_method, depth, alpha, eta) in [
        ("factored", "reparam", None, 0.1, 0.05),
        ("factored", "reparam", Some(3), 0.3, 0.05),
        ("spectral_md", "md", None, 0.1, 0.05),
    ] {
        let req = |method: &str| RunRequest {
            alpha: Some(alpha),
            depth,
            eta: Some(StepRule::Fixed(eta)),
            tol: 0.0,
            max_iter: 400,
            ..RunRequest::new(method)
        };
        let rm = req(matrix_method).run(&pm).unwrap();
        let rv = req(vector_method).run(&pv).unwrap();
        let diag: Vec<f64> = (0..m).map(|j| rm.w[j * m + j]).collect();
        let e = max_rel(&diag, &rv.w);
        assert!(e <= 1e-12, "{matrix_method} vs {vector_method} at depth {depth:?}: {e:e}");
        let off = (0..m).flat_map(|i| (0..m).filter(move |&j| j != i).map(move |j| (i, j)));
        assert!(off.map(|(i, j)| rm.w[i * m + j].abs()).fold(0.0, f64::max) <= 1e-14);
        assert!((rm.risk - rv.risk).abs() <= 1e-12 * rv.risk_at_zero);
    }
}

/// `U₊ = U − (η/2)∇R(W)U`, `V₊ = V + (η/2)∇R(W)V`, `W = UUᵀ − VVᵀ`, written out here with plain loops (an
/// independent implementation) for 50 steps on Gaussian sensing: the library's `factored` agrees to 1e-12. A long
/// run from a small α interpolates and recovers the low-rank target (rank 1, 40 measurements of 6 × 6), and its
/// nuclear norm approaches the certified minimum.
#[test]
fn factored_gd_matches_an_independent_implementation_and_a_long_run() {
    let g = MatrixSpec::gaussian(6, 40, 1, false, 2).generate().unwrap();
    let p = &g.problem;
    let (m, n) = (6, 40);
    let (alpha, eta, steps) = (0.2, 0.03, 50);
    let mut u = vec![0.0; m * m];
    let mut v = vec![0.0; m * m];
    for i in 0..m {
        u[i * m + i] = alpha;
        v[i * m + i] = alpha;
    }
    let mat = |a: &[f64], b: &[f64], bt: bool| {
        let mut c = vec![0.0; m * m];
        for i in 0..m {
            for j in 0..m {
                c[i * m + j] = (0..m).map(|k| a[i * m + k] * if bt { b[j * m + k] } else { b[k * m + j] }).sum();
            }
        }
        c
    };
    let mut w = vec![0.0; m * m];
    for _ in 0..steps {
        let mut grad = vec![0.0; m * m];
        for i in 0..n {
            let a = p.x().row(i);
            let r: f64 = a.iter().zip(&w).map(|(x, y)| x * y).sum::<f64>() - p.y()[i];
            grad.iter_mut().zip(a).for_each(|(g, x)| *g += 2.0 / n as f64 * r * x);
        }
        let gu = mat(&grad, &u, false);
        let gv = mat(&grad, &v, false);
        u.iter_mut().zip(&gu).for_each(|(a, b)| *a -= eta / 2.0 * b);
        v.iter_mut().zip(&gv).for_each(|(a, b)| *a += eta / 2.0 * b);
        let uu = mat(&u, &u, true);
        let vv = mat(&v, &v, true);
        w = uu.iter().zip(&vv).map(|(a, b)| a - b).collect();
    }
    let r = RunRequest {
        alpha: Some(alpha),
        eta: Some(StepRule::Fixed(eta)),
        tol: 0.0,
        max_iter: steps,
        ..RunRequest::new("factored")
    }
    .run(p)
    .unwrap();
    assert!(max_rel(&r.w, &w) <= 1e-12, "{:e}", max_rel(&r.w, &w));
    // The long run (safe steps) from α = 1e-3.
    // The directions W* does not use shrink like the sheet's 1/t tail (measured: R/R(0) = 1e-8 after 85 steps,
    // 1e-10 after 3.5e5, eigenvalues off the target's ≈ 1e-5 there).
    let r =
        RunRequest { alpha: Some(1e-3), tol: 1e-10, max_iter: 600_000, ..RunRequest::new("factored") }.run(p).unwrap();
    assert!(r.converged, "{:?}", r.stop_reason);
    assert!(max_rel(&r.w, &g.w_star) <= 1e-4, "{:e}", max_rel(&r.w, &g.w_star));
    let best = ibias::exact::nuclear::min_nuclear(p, ibias::exact::nuclear::NuclearKind::Symmetric).unwrap();
    let nuc = r.spectrum.as_ref().unwrap().nuclear_norm;
    assert!((nuc - best.nuclear_norm).abs() <= 1e-4 * best.nuclear_norm, "{nuc} vs {}", best.nuclear_norm);
}

/// The command line's contract: `solve min-nuclear|min-frobenius --json` print `W` (m rows), `nuclear_norm` and the
/// certificate; `run factored --alpha --eta --max-iter --tol 0 --json` prints `W`; the generator writes m² + 1
/// columns; bad shapes, non-symmetric measurements and classification losses get clear errors, by name.
#[test]
fn the_command_line_contract_for_matrices() {
    let dir = Tmp::new("matrix-cli");
    let f = dir.s("sensing.csv");
    let (c, _, err) = ibias(&["data", "gen", "--m", "5", "--n", "16", "--rank", "1", "--seed", "3", "-o", &f]);
    assert_eq!(c, 0, "{err}");
    let nuc = json(&["solve", "min-nuclear", "--data", &f, "--json"]);
    let w = nuc["W"].as_array().unwrap();
    assert_eq!(w.len(), 5);
    assert!(w.iter().all(|r| r.as_array().unwrap().len() == 5));
    assert!(nuc["certificate"]["duality_gap_rel"].as_f64().unwrap() <= 1e-8);
    assert!(nuc["certificate"]["residual_rel"].as_f64().unwrap() <= 1e-12);
    let fro = json(&["solve", "min-frobenius", "--data", &f, "--json"]);
    assert!(fro["nuclear_norm"].as_f64().unwrap() >= nuc["nuclear_norm"].as_f64().unwrap() - 1e-9);
    let sb = json(&["solve", "spectral-bregman", "--alpha", "0.01", "--data", &f, "--json"]);
    assert!(sb["certificate"]["residual_rel"].as_f64().unwrap() <= 1e-10);
    assert_eq!(sb["W"].as_array().unwrap().len(), 5);
    // The spectral mirror flow's limit is the spectral Bregman projection (measured 1.4e-10 relative), on 9
    // measurements of a 5 × 5 indefinite target.
    let f9 = dir.s("nine.csv");
    let make = ["data", "gen", "--m", "5", "--n", "9", "--rank", "2", "--indefinite", "--seed", "0", "-o", &f9];
    assert_eq!(ibias(&make).0, 0);
    let sb = json(&["solve", "spectral-bregman", "--alpha", "0.3", "--data", &f9, "--json"]);
    let fl = json(&["run", "spectral-md", "--flow", "--alpha", "0.3", "--tol", "1e-20", "--data", &f9, "--json"]);
    assert_eq!(fl["algorithm"].as_str(), Some("spectral_md_flow"));
    let flat = |v: &Value| -> Vec<f64> {
        v.as_array().unwrap().iter().flat_map(|r| r.as_array().unwrap().iter().map(|x| x.as_f64().unwrap())).collect()
    };
    let (a, b) = (flat(&fl["W"]), flat(&sb["W"]));
    assert!(ibias::kernels::linalg::dist2(&a, &b) <= 1e-8 * ibias::kernels::linalg::norm2(&b));
    let gl = json(&["solve", "greedy-low-rank", "--data", &f, "--json"]);
    assert_eq!(gl["stages"].as_array().unwrap().len(), 1, "a rank-1 PSD target: one stage");
    assert!(gl["complete"].as_bool().unwrap() && gl["risk_rel"].as_f64().unwrap() < 1e-20);
    let psd = json(&["solve", "min-nuclear", "--psd", "--data", &f, "--json"]);
    assert!(psd["certificate"]["min_eigenvalue"].as_f64().unwrap() >= -1e-9);
    let r = json(&[
        "run",
        "factored",
        "--alpha",
        "0.01",
        "--eta",
        "0.05",
        "--max-iter",
        "300",
        "--tol",
        "0",
        "--data",
        &f,
        "--json",
    ]);
    assert_eq!(r["iterations"].as_u64(), Some(300));
    assert_eq!(r["W"].as_array().unwrap().len(), 5);
    assert!(r["spectrum"]["nuclear_norm"].as_f64().unwrap() > 0.0);
    for method in ["factored-psd", "spectral-md"] {
        let r = json(&["run", method, "--alpha", "0.01", "--max-iter", "50", "--tol", "0", "--data", &f, "--json"]);
        assert_eq!(r["W"].as_array().unwrap().len(), 5, "{method}");
    }
    // Bad input.
    let bad = dir.s("bad.csv");
    std::fs::write(&bad, "1,2,3,4,5,6\n0,1,0,1,1,2\n").unwrap(); // d = 5: not a square
    let asym = dir.s("asym.csv");
    std::fs::write(&asym, "1,0,0,1,1\n0,1,0,0,2\n").unwrap(); // A₁ = [[0, 1], [0, 0]]
    let rc = dir.s("rc.csv");
    assert_eq!(ibias(&["data", "gen", "--preset", "razin-cohen", "-o", &rc]).0, 0);
    let text = ibias(&["data", "gen", "--preset", "ex2", "-o", &dir.s("ex2.csv")]);
    assert_eq!(text.0, 0);
    for (args, want) in [
        (vec!["solve", "min-nuclear", "--data", &bad], "not a square"),
        (vec!["solve", "min-nuclear", "--data", &asym], "measurement 1 (0-based; data row 2) is not symmetric"),
        (vec!["run", "factored", "--data", &asym, "--max-iter", "5"], "not symmetric"),
        (vec!["solve", "min-frobenius", "--data", &bad], "not a square"),
        // No PSD matrix fits Razin & Cohen's measurements: the certificate fails, no W is printed.
        (vec!["solve", "min-nuclear", "--psd", "--data", &rc], "certificate failed"),
        (vec!["run", "factored", "--loss", "logistic", "--data", &f], "least-squares"),
        (vec!["run", "spectral-md", "--depth", "3", "--data", &f], "depth"),
        (vec!["run", "factored", "--flow", "--data", &f], "flow"),
        (vec!["run", "factored", "--depth", "40", "--data", &f], "depth"),
        (vec!["solve", "min-l2", "--psd", "--data", &f], "psd"),
        (vec!["solve", "min-nuclear", "--alpha", "0.1", "--data", &f], "alpha"),
        (vec!["solve", "min-nuclear", "--max-rank", "2", "--data", &f], "--max-rank"),
        (vec!["solve", "greedy-low-rank", "--max-rank", "6", "--data", &f], "--max-rank: must lie in [1, m = 5]"),
        (vec!["solve", "spectral-bregman", "--alpha", "1e-9", "--data", &f], "alpha"),
    ] {
        let (c, _, err) = ibias(&args);
        assert!(c != 0 && err.contains(want) && !err.contains("panicked"), "{args:?}: {err}");
    }
}

/// Sweep specs sweep matrix methods over α and depth (registered methods, through the front door): a row per
/// (α, depth), each equal to the command line's run, with `nuclear_norm` and its gap to the certified minimum.
#[test]
fn sweep_specs_sweep_matrix_methods_over_alpha_and_depth() {
    let dir = Tmp::new("matrix-sweep");
    let g = MatrixSpec::gaussian(5, 16, 1, true, 4).generate().unwrap();
    let f = write_csv(&dir, "s.csv", &g.problem);
    let rows = spec_rows(
        &dir,
        "spec",
        &format!(
            "[problem]\ndata = [\"{f}\"]\n[axes]\nmethod = [\"factored\"]\nalpha = [0.01, 1.0]\ndepth = [2, 3]\neta = [\"0.05\"]\n[stop]\nmax_iter = 400\ntol = 0.0\n"
        ),
    );
    assert_eq!(rows.len(), 4);
    for r in &rows {
        let (alpha, depth) = (r["alpha"].as_f64().unwrap(), r["depth"].as_u64().unwrap());
        let cli = json(&[
            "run",
            "factored",
            "--alpha",
            &alpha.to_string(),
            "--depth",
            &depth.to_string(),
            "--eta",
            "0.05",
            "--max-iter",
            "400",
            "--tol",
            "0",
            "--data",
            &f,
            "--json",
        ]);
        let nuc = cli["spectrum"]["nuclear_norm"].as_f64().unwrap();
        assert!((r["nuclear_norm"].as_f64().unwrap() - nuc).abs() <= 1e-12 * nuc, "{r}");
        // Below 0 only where the run has not interpolated yet (α = 0.01 at depth 3 is still on its plateau).
        let gap = r["nuclear_gap_rel"].as_f64().unwrap();
        assert!(gap > -1e-8 || r["risk"].as_f64().unwrap() > 1e-3, "{r}");
    }
    // The matrix presets are sweep presets too.
    let spec = dir.s("presets.toml");
    std::fs::write(
        &spec,
        "[problem]\npreset = \"sensing\"\nseeds = [0]\n[axes]\nmethod = [\"spectral_md\"]\nalpha = [0.1]\neta = [\"0.05\"]\n[stop]\nmax_iter = 20\ntol = 0.0\n",
    )
    .unwrap();
    let out2 = dir.s("sweep2");
    let (c, _, err) = ibias(&["sweep", "run", &spec, "--out", &out2, "--quiet"]);
    assert_eq!(c, 0, "{err}");
    // A depth for a method without one fails its run, refused by the spec's key in the spec's words (the plan
    // checks depths per method only for md and reparam).
    std::fs::write(
        &spec,
        "[problem]\npreset = \"sensing\"\nseeds = [0]\n[axes]\nmethod = [\"spectral_md\"]\nalpha = [0.1]\ndepth = [3]\n",
    )
    .unwrap();
    let out3 = dir.s("sweep3");
    assert_ne!(ibias(&["sweep", "run", &spec, "--out", &out3, "--quiet"]).0, 0);
    let failed = std::fs::read_to_string(std::path::Path::new(&out3).join("shard-0000-of-0001.failed")).unwrap();
    assert!(failed.contains("[axes] depth") && failed.contains("factored"), "{failed}");
}
