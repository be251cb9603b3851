//! The command-line program end to end.

use std::process::Command;

fn ibias(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_ibias")).args(args).output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into(),
        String::from_utf8_lossy(&out.stderr).into(),
    )
}

#[test]
fn data_run_solve_path_round_trip() {
    let dir = std::env::temp_dir().join(format!("ibias-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let f = dir.join("ex2.csv");
    let fs = f.to_str().unwrap();
    assert_eq!(ibias(&["data", "gen", "--preset", "ex2", "--seed", "3", "-o", fs]).0, 0);
    let (c, out, _) = ibias(&["data", "info", fs, "--json"]);
    assert_eq!(c, 0);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["n"], 40);
    assert_eq!(v["overparametrised_full_row_rank"], true);
    let (c, out, _) = ibias(&["run", "md", "--data", fs, "--alpha", "0.01", "--json"]);
    assert_eq!(c, 0);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    for k in [
        "algorithm",
        "alpha",
        "eta",
        "iterations",
        "converged",
        "stop_reason",
        "risk",
        "w",
        "l1",
        "l2",
        "seconds",
        "checkpoints",
    ] {
        assert!(v.get(k).is_some(), "key {k} missing");
    }
    assert_eq!(v["converged"], true);
    let (c, out, _) =
        ibias(&["run", "reparam", "--data", fs, "--tol", "0", "--max-iter", "7", "--eta", "0.01", "--json"]);
    assert_eq!(c, 0);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["iterations"], 7);
    let (c, out, _) = ibias(&["solve", "min-l1", "--data", fs, "--json"]);
    assert_eq!(c, 0);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert!(v["certificate"]["duality_gap_rel"].as_f64().unwrap() <= 1e-9);
    let (c, out, _) = ibias(&["path", "lasso", "--exact", "--data", fs, "--json"]);
    assert_eq!(c, 0);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let l = v["lambdas"].as_array().unwrap();
    assert_eq!(l.last().unwrap().as_f64(), Some(0.0));
    assert_eq!(v["coefs"].as_array().unwrap().len(), l.len());
    let (_, _, help) = (0, 0, ibias(&["path", "--help"]).1);
    assert!(help.contains("λ/2"));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn bad_input_exits_with_a_message() {
    let dir = std::env::temp_dir().join(format!("ibias-cli-bad-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let f = dir.join("bad.csv");
    std::fs::write(&f, "1,2,3\n4,oops,6\n").unwrap();
    let (c, _, err) = ibias(&["data", "info", f.to_str().unwrap()]);
    assert_eq!(c, 1);
    assert!(err.contains("line 2, column 2"), "{err}");
    std::fs::write(&f, "1,2,3\n4,5,6\n").unwrap();
    let (c, _, err) = ibias(&["run", "md", "--data", f.to_str().unwrap(), "--alpha=-1"]);
    assert_eq!(c, 1);
    assert!(err.contains("α must be"), "{err}");
    let (c, _, err) = ibias(&["run", "gd", "--data", f.to_str().unwrap(), "--eta", "1e3"]);
    assert_eq!(c, 1);
    assert!(err.contains("diverged"), "{err}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn sweep_cli_prints_certified_rows() {
    let (c, out, err) = ibias(&["sweep", "md", "--preset", "ex2", "--seeds", "0,1", "--alphas", "1e-6,1", "--json"]);
    assert_eq!(c, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let rows = v["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 4);
    for r in rows {
        for k in
            ["alpha", "eta", "iterations", "seconds", "converged", "l1", "l2", "l1_gap", "l2_gap", "distance_to_exact"]
        {
            assert!(r.get(k).is_some(), "key {k} missing");
        }
        assert!(r["distance_to_exact"].as_f64().unwrap() < 1e-8);
    }
    let (c, _, err) = ibias(&["sweep", "md", "--data", "x.csv", "--seeds", "1"]);
    assert_eq!(c, 1);
    assert!(err.contains("--seeds"), "{err}");
}
