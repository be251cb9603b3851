//! The command-line program end to end: outputs that say what they are, exit codes, conflicting flags,
//! bad input, a closed pipe.

use crate::helpers::{Tmp, ibias, make, write_csv};
use std::io::Read;
use std::process::{Command, Stdio};

fn ex2_file(dir: &Tmp) -> String {
    let f = dir.s("ex2.csv");
    assert_eq!(ibias(&["data", "gen", "--preset", "ex2", "--seed", "3", "-o", &f]).0, 0);
    f
}

#[test]
fn data_run_solve_path_round_trip_with_named_fields() {
    let dir = Tmp::new("cli-round-trip");
    let f = ex2_file(&dir);
    let (c, out, _) = ibias(&["data", "info", &f, "--json"]);
    assert_eq!(c, 0);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!((v["n"].as_u64(), v["overparametrised_full_row_rank"].as_bool()), (Some(40), Some(true)));
    let (c, out, _) = ibias(&["run", "md", "--data", &f, "--alpha", "0.01", "--json"]);
    assert_eq!(c, 0);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    for k in [
        "algorithm",
        "alpha",
        "step_rule",
        "eta_first",
        "iterations",
        "converged",
        "stop_reason",
        "risk",
        "risk_rel",
        "w",
        "l1_norm",
        "l2_norm",
        "wall_seconds",
        "flow_time",
        "checkpoints",
    ] {
        assert!(v.get(k).is_some(), "key {k} missing");
    }
    assert!(v.get("time").is_none() && v.get("seconds").is_none(), "ambiguous names are gone");
    assert_eq!(v["converged"], true);
    assert!(v["checkpoints"][1]["iteration"].is_u64() && v["checkpoints"][1]["time"].is_f64());
    // Flows have an integrator and no step size; their checkpoints have a time and no iteration.
    let (c, out, _) =
        ibias(&["run", "md", "--data", &f, "--alpha", "0.5", "--flow", "--t-max", "10", "--tol", "0", "--json"]);
    assert_eq!(c, 0);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert!(v["eta_first"].is_null() && v["integrator"]["method"] == "dopri5");
    assert!(v["checkpoints"][3]["iteration"].is_null());
    let (c, out, _) =
        ibias(&["run", "reparam", "--data", &f, "--tol", "0", "--max-iter", "7", "--eta", "0.01", "--json"]);
    assert_eq!(c, 0);
    assert_eq!(serde_json::from_str::<serde_json::Value>(&out).unwrap()["iterations"], 7);
    let (c, out, _) = ibias(&["solve", "min-l1", "--data", &f, "--json"]);
    assert_eq!(c, 0);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert!(v["certificate"]["duality_gap_rel"].as_f64().unwrap() <= 1e-9);
    assert_eq!(v["certificate"]["unique"], "unique");
    assert!(v["certificate"].get("dual_sup_norm").is_some() && v.get("support_threshold").is_some());
    let (c, out, _) = ibias(&["path", "lasso", "--exact", "--data", &f, "--json"]);
    assert_eq!(c, 0);
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let l = v["lambdas"].as_array().unwrap();
    assert_eq!(l.last().unwrap().as_f64(), Some(0.0));
    assert_eq!(v["coefs"].as_array().unwrap().len(), l.len());
    assert!(ibias(&["path", "--help"]).1.contains("λ/2"));
    // Ridge prints what ridge is about (‖w‖₂), not ℓ1 and non-zeros.
    let (c, out, _) = ibias(&["path", "ridge", "--data", &f, "--n-lambdas", "5"]);
    assert_eq!(c, 0);
    assert!(out.contains("‖w‖₂") && !out.contains("non-zeros"), "{out}");
    // Heavy ball is `run gd --momentum`.
    let (c, out, _) = ibias(&["run", "gd", "--data", &f, "--momentum", "0.9", "--eta", "0.01", "--json"]);
    assert_eq!(c, 0, "{out}");
    assert_eq!(serde_json::from_str::<serde_json::Value>(&out).unwrap()["algorithm"], "heavy_ball");
}

#[test]
fn exit_codes_follow_one_policy() {
    let dir = Tmp::new("cli-exit");
    let f = ex2_file(&dir);
    // 3: a cap hit before the convergence criterion; the result is printed and marked.
    let (c, out, _) = ibias(&["run", "md", "--data", &f, "--alpha", "1e-6", "--eta", "safe", "--max-iter", "50"]);
    assert_eq!(c, 3, "{out}");
    assert!(out.contains("NOT converged") && out.contains("cap"), "{out}");
    // 0: the requested iterations with no criterion set.
    assert_eq!(ibias(&["run", "md", "--data", &f, "--tol", "0", "--max-iter", "50"]).0, 0);
    // 1: an error; 2: usage.
    assert_eq!(ibias(&["run", "gd", "--data", &f, "--eta", "1e3"]).0, 1);
    assert_eq!(ibias(&["run", "gd"]).0, 2);
}

#[test]
fn bad_input_and_conflicting_flags_get_clear_messages() {
    let dir = Tmp::new("cli-bad");
    let f = dir.s("bad.csv");
    std::fs::write(&f, "1,2,3\n4,oops,6\n").unwrap();
    let (c, _, err) = ibias(&["data", "info", &f]);
    assert!(c == 1 && err.contains("line 2, column 2"), "{err}");
    std::fs::write(&f, "1\t2\t3\n4\t5\t6\n").unwrap();
    assert!(ibias(&["data", "info", &f]).2.contains("tab-separated"));
    std::fs::write(&f, "1,2,3\n4,5,6\n").unwrap();
    let cases: &[(&[&str], &str)] = &[
        (&["run", "md", "--data", &f, "--alpha=-1"], "α must be"),
        (&["run", "md", "--data", &f, "--alpha", "1e400"], "'1e400' overflows"),
        (&["run", "md", "--data", &f, "--alpha", "1e-400"], "underflows"),
        (&["run", "md", "--data", &f, "--alpha", "1e-320"], "supported range"),
        (&["run", "gd", "--data", &f, "--batch", "0"], "--batch"),
        (&["run", "gd", "--data", &f, "--batch", "99"], "--batch"),
        (&["run", "gd", "--data", &f, "--batch", "1", "--label-noise=-1"], "must be ≥ 0"),
        (&["run", "gd", "--data", &f, "--label-noise", "0.1"], "--batch"),
        (&["run", "gd", "--data", &f, "--batch", "1", "--eta", "1e3"], "diverged"),
        (&["run", "md", "--data", &f, "--grad-tol=-1"], "must be ≥ 0"),
        (&["run", "md", "--data", &f, "--max-seconds", "nan"], "not a finite number"),
        (&["run", "md", "--data", &f, "--checkpoints", "100000000"], "at most 100000"),
        (&["run", "gd", "--data", &f, "--eta", "1e3"], "diverged"),
        (&["run", "md", "--data", &f, "--stiff"], "--flow"),
        (&["run", "md", "--data", &f, "--flow", "--eta", "0.1"], "no step size"),
        (&["run", "reparam", "--data", &f, "--eta", "lbfgs"], "dual of mirror descent"),
        (&["path", "ridge", "--data", &f, "--exact"], "Lasso"),
        (&["path", "lasso", "--data", &f, "--exact", "--positive"], "--exact/--positive"),
        (&["data", "gen", "--preset", "ex2", "--n", "5", "-o", "x.csv"], "cannot be used with"),
        (&["sweep", "md", "--data", "x.csv", "--seeds", "1"], "cannot be used with"),
        (&["sweep", "md", "--preset", "ex2", "--tol=-1"], "must be ≥ 0"),
        (&["sweep", "md", "--preset", "ex2", "--threads", "10000"], "threads"),
        (&["data", "gen", "--n", "100000", "--d", "100000", "-o", "x.csv"], "refused"),
        (&["ex2", "--set", "n_etas=16", "--set", "horizon_l=1e9"], "horizon_l"),
    ];
    for (args, want) in cases {
        let (c, _, err) = ibias(args);
        assert!(c == 1 || c == 2, "{args:?}: exit {c}");
        assert!(err.contains(want), "{args:?}: expected '{want}' in: {err}");
        assert!(!err.contains("panicked"), "{args:?}: {err}");
    }
}

#[test]
fn a_closed_pipe_ends_quietly() {
    let dir = Tmp::new("cli-pipe");
    let f = ex2_file(&dir);
    for args in [
        vec!["run", "md", "--data", f.as_str(), "--json", "--checkpoints", "2000", "--tol", "0", "--max-iter", "3000"],
        vec!["sweep", "bregman", "--data", f.as_str(), "--alphas", "1e-3:1:200"],
    ] {
        let mut child = Command::new(env!("CARGO_BIN_EXE_ibias"))
            .args(&args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut buf = [0u8; 100];
        child.stdout.as_mut().unwrap().read_exact(&mut buf).unwrap();
        drop(child.stdout.take());
        let out = child.wait_with_output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(0), "{args:?}: {err}");
        assert!(!err.contains("panicked") && !err.contains("Broken pipe"), "{args:?}: {err}");
    }
}

#[test]
fn sweep_prints_seeded_certified_rows() {
    let (c, out, err) = ibias(&["sweep", "md", "--preset", "ex2", "--seeds", "0,1", "--alphas", "1e-6,1", "--json"]);
    assert_eq!(c, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    let rows = v["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 4);
    for r in rows {
        for k in [
            "run_id",
            "data_hash",
            "seed",
            "alpha",
            "step_rule",
            "iterations",
            "wall_seconds",
            "converged",
            "l1_gap_abs",
            "l2_gap_abs",
            "distance_to_exact_rel",
        ] {
            assert!(r.get(k).is_some(), "key {k} missing");
        }
        assert!(r["distance_to_exact_rel"].as_f64().unwrap() < 1e-8);
    }
    let (_, out, _) = ibias(&["sweep", "bregman", "--preset", "ex2", "--seeds", "4", "--alphas", "1"]);
    assert!(out.lines().next().unwrap().contains("seed") && out.contains("     4 "), "{out}");
}

#[test]
fn bench_and_solve_survive_degenerate_data() {
    let dir = Tmp::new("cli-degenerate");
    // X = 0 and y = 0: no panic, a clear outcome.
    let zx = make(10, 20, None, 0.0, 1);
    let x0 = crate::helpers::problem(10, 20, |_, _| 0.0, zx.y().to_vec());
    let y0 = crate::helpers::problem(10, 20, |i, j| zx.x().get(i, j), vec![0.0; 10]);
    for (name, p) in [("x0.csv", &x0), ("y0.csv", &y0)] {
        let f = write_csv(&dir, name, p);
        let (c, _, err) = ibias(&["bench", "--data", &f, "--quick"]);
        assert!(!err.contains("panicked") && (c == 0 || c == 1), "{name}: {c} {err}");
        for kind in ["min-l2", "min-l1", "bregman"] {
            let (c, _, err) = ibias(&["solve", kind, "--data", &f]);
            assert!(!err.contains("panicked") && (c == 0 || c == 1), "{name} {kind}: {c} {err}");
        }
    }
    // A time cap on a solver ends it with a message (a large problem would run for minutes).
    let big = write_csv(&dir, "big.csv", &make(200, 2000, Some(150), 0.0, 2));
    let (c, _, err) = ibias(&["solve", "min-l1", "--bp-method", "lp", "--data", &big, "--max-seconds", "0.05"]);
    assert!(c == 0 || err.contains("--max-seconds"), "{c}: {err}");
}

/// Beyond the sheet on the command line: the saddle path's keys, depth D and an explicit `(u₀, v₀)` whose
/// discrete run lands on the solver's projection, and the bad inputs the issue names.
#[test]
fn saddle_depth_and_explicit_initialisation_from_the_command_line() {
    let dir = Tmp::new("cli-beyond");
    let f = ex2_file(&dir);
    let (c, out, err) = ibias(&["path", "saddle", "--data", &f, "--json"]);
    assert_eq!(c, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v["times"][0], 0.0);
    assert!(v["saddles"][0].as_array().unwrap().iter().all(|x| x == 0.0));
    assert!(v["saturated"].is_array() && v["signs"].is_array() && v["kkt_residual"].is_array());
    // Explicit (u0, v0): the flow and the solver agree (1e-7: the integrator at rtol 1e-10).
    let d = 100;
    let (u0, v0) = (dir.s("u0.txt"), dir.s("v0.txt"));
    std::fs::write(&u0, (0..d).map(|i| format!("{}", 0.05 + 0.001 * i as f64)).collect::<Vec<_>>().join("\n")).unwrap();
    std::fs::write(&v0, (0..d).map(|i| format!("{}", 0.08 - 0.0005 * i as f64)).collect::<Vec<_>>().join(",")).unwrap();
    let (c, out, err) = ibias(&["solve", "bregman", "--data", &f, "--u0", &u0, "--v0", &v0, "--json"]);
    assert_eq!(c, 0, "{err}");
    let exact: Vec<f64> =
        serde_json::from_value(serde_json::from_str::<serde_json::Value>(&out).unwrap()["w"].clone()).unwrap();
    let (c, out, err) =
        ibias(&["run", "reparam", "--data", &f, "--u0", &u0, "--v0", &v0, "--flow", "--tol", "1e-18", "--json"]);
    assert_eq!(c, 0, "{err}");
    let w: Vec<f64> =
        serde_json::from_value(serde_json::from_str::<serde_json::Value>(&out).unwrap()["w"].clone()).unwrap();
    assert!(crate::helpers::rel(&w, &exact) <= 1e-7, "{:e}", crate::helpers::rel(&w, &exact));
    // Depth 3 through the solver and the run.
    let (c, _, err) =
        ibias(&["solve", "bregman", "--potential", "depth", "--depth", "3", "--alpha", "0.3", "--data", &f, "--json"]);
    assert_eq!(c, 0, "{err}");
    // Bad input: named, exit 1 or 2, no panic.
    std::fs::write(dir.path("bad.txt"), "0.1\n-0.2\n").unwrap();
    let short = dir.s("bad.txt");
    for (args, needle) in [
        (vec!["run", "reparam", "--data", &f, "--depth", "1"], "--depth"),
        (vec!["solve", "bregman", "--potential", "depth", "--depth", "2", "--data", &f], "--depth"),
        (vec!["run", "reparam", "--data", &f, "--alpha", "0"], "--alpha"),
        (vec!["run", "reparam", "--data", &f, "--alpha", "nan"], "--alpha"),
        (vec!["run", "reparam", "--data", &f, "--u0", &short, "--v0", &v0], "--u0"),
        (vec!["solve", "bregman", "--data", &f, "--u0", &u0, "--v0", &short], "--v0"),
        (vec!["run", "reparam", "--data", &f, "--shape", "1"], "--shape"),
    ] {
        let (c, _, err) = ibias(&args);
        assert!(c == 1 || c == 2, "{args:?}: exit {c}");
        assert!(err.contains(needle) && !err.contains("panicked"), "{args:?}: {err}");
    }
}

/// Numbers a user typed are reported as typed: defaults in `--help` in scientific notation, an underflowing
/// or overflowing literal named as such (not "got 0" or "got NaN").
#[test]
fn help_and_number_messages_say_what_was_typed() {
    let (_, out, _) = ibias(&["sweep", "md", "--help"]);
    assert!(out.contains("1e-24") && !out.contains("0.000000000000000000000001"), "{out}");
    let dir = Tmp::new("cli-numbers");
    let f = ex2_file(&dir);
    let (c, _, err) = ibias(&["run", "md", "--data", &f, "--alpha", "1e-400"]);
    assert!(c == 2 && err.contains("underflows"), "{err}");
    let (c, _, err) = ibias(&["run", "md", "--data", &f, "--alpha", "1e400"]);
    assert!(c == 2 && err.contains("overflows"), "{err}");
    let (c, _, err) = ibias(&["run", "md", "--data", &f, "--alpha", "nan"]);
    assert!(c == 2 && err.contains("not a finite number"), "{err}");
}

#[test]
fn an_output_folder_keeps_files_ibias_did_not_write_and_dot_works() {
    let dir = Tmp::new("cli-out-foreign");
    let out = dir.path("mydir");
    std::fs::create_dir_all(&out).unwrap();
    std::fs::write(out.join("important.txt"), b"user data").unwrap();
    let o = out.to_string_lossy().into_owned();
    for _ in 0..2 {
        // Twice: the second run replaces its own files (listed in the manifest), never the foreign one.
        let (c, _, err) = ibias(&["report", "--only", "ex1", "--quiet", "--out", &o]);
        assert_eq!(c, 0, "{err}");
        assert_eq!(std::fs::read(out.join("important.txt")).unwrap(), b"user data");
        assert!(out.join("index.html").exists() && out.join("data/ex1_limits.csv").exists());
    }
    // A file ibias would write, but did not: refused, kept.
    let other = dir.path("other");
    std::fs::create_dir_all(&other).unwrap();
    std::fs::write(other.join("index.html"), b"<p>mine</p>").unwrap();
    let (c, _, err) = ibias(&["ex1", "--out", &other.to_string_lossy()]);
    assert_eq!(c, 1);
    assert!(err.contains("did not write") && err.contains("index.html"), "{err}");
    assert_eq!(std::fs::read(other.join("index.html")).unwrap(), b"<p>mine</p>");
    // `--out .` writes into the current folder.
    let here = dir.path("here");
    std::fs::create_dir_all(&here).unwrap();
    std::fs::write(here.join("notes.md"), b"keep").unwrap();
    let st = Command::new(env!("CARGO_BIN_EXE_ibias")).args(["ex1", "--out", "."]).current_dir(&here).output().unwrap();
    assert!(st.status.success(), "{}", String::from_utf8_lossy(&st.stderr));
    assert!(here.join("index.html").exists());
    assert_eq!(std::fs::read(here.join("notes.md")).unwrap(), b"keep");
    let names: Vec<String> =
        std::fs::read_dir(&here).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    assert!(names.iter().all(|n| !n.contains("staging") && !n.ends_with(".tmp")), "{names:?}");
}

#[cfg(unix)]
#[test]
fn dash_o_writes_through_a_symbolic_link() {
    let dir = Tmp::new("cli-out-link");
    std::fs::write(dir.path("target.csv"), b"").unwrap();
    std::os::unix::fs::symlink(dir.path("target.csv"), dir.path("link.csv")).unwrap();
    let (c, _, err) = ibias(&["data", "gen", "--preset", "ex2", "--seed", "1", "-o", &dir.s("link.csv")]);
    assert_eq!(c, 0, "{err}");
    assert!(std::fs::symlink_metadata(dir.path("link.csv")).unwrap().file_type().is_symlink(), "the link stays");
    assert!(std::fs::read_to_string(dir.path("target.csv")).unwrap().lines().count() > 40, "written through it");
}

#[test]
fn every_flow_has_a_stiff_integrator_including_the_reparam_flow() {
    // The case: DOPRI5 ran out of steps on it; ROS2 reaches the risk tolerance, near the exact limit.
    let dir = Tmp::new("cli-stiff-reparam");
    let f = ex2_file(&dir);
    let (c, out, err) =
        ibias(&["run", "reparam", "--data", &f, "--flow", "--stiff", "--shape", "0.9999", "--alpha", "1", "--json"]);
    assert_eq!(c, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!((v["integrator"]["method"].as_str(), v["converged"].as_bool()), (Some("ros2"), Some(true)));
    let (c, out, err) = ibias(&["solve", "bregman", "--data", &f, "--shape", "0.9999", "--alpha", "1", "--json"]);
    assert_eq!(c, 0, "{err}");
    let e: serde_json::Value = serde_json::from_str(&out).unwrap();
    let (w, x): (Vec<f64>, Vec<f64>) = (
        v["w"].as_array().unwrap().iter().map(|t| t.as_f64().unwrap()).collect(),
        e["w"].as_array().unwrap().iter().map(|t| t.as_f64().unwrap()).collect(),
    );
    let num: f64 = w.iter().zip(&x).map(|(a, b)| (a - b).powi(2)).sum::<f64>().sqrt();
    let den: f64 = x.iter().map(|b| b * b).sum::<f64>().sqrt();
    assert!(num <= 1e-5 * den, "{}", num / den);
    // Depth D > 2 keeps DOPRI5 and says so.
    let (c, _, err) = ibias(&["run", "reparam", "--data", &f, "--flow", "--stiff", "--depth", "3", "--alpha", "0.5"]);
    assert_eq!(c, 1, "{err}");
    assert!(err.contains("--stiff"), "{err}");
}

#[test]
fn audit_defects_negative_numbers_zero_data_and_devices() {
    let dir = Tmp::new("cli-audit");
    let f = ex2_file(&dir);
    // `--alpha -1` is a number refused for its value (clap used to suggest `-- -1`).
    let (c, _, err) = ibias(&["run", "md", "--data", &f, "--alpha", "-1"]);
    assert_eq!(c, 2, "{err}");
    assert!(err.contains("--alpha") && err.contains("> 0") && !err.contains("-- -1"), "{err}");
    // y = 0: the Lasso path is the zero solution, not an error about NaN λ.
    std::fs::write(dir.path("y0.csv"), "x1,x2,y\n1,2,0\n3,4,0\n5,6,0\n").unwrap();
    for exact in [false, true] {
        let mut args = vec!["path", "lasso", "--data", &*dir.s("y0.csv").leak(), "--json"];
        if exact {
            args.push("--exact");
        } else {
            args.extend(["--n-lambdas", "100"]);
        }
        let (c, out, err) = ibias(&args);
        assert_eq!(c, 0, "{err}");
        let v: serde_json::Value = serde_json::from_str(&out).unwrap();
        assert!(v["coefs"].as_array().unwrap().iter().all(|w| w.as_array().unwrap().iter().all(|x| x == 0.0)));
    }
    // A device is refused before reading (it used to read /dev/zero without end).
    #[cfg(unix)]
    {
        let (c, _, err) = ibias(&["data", "info", "/dev/zero"]);
        assert_eq!(c, 1);
        assert!(err.contains("device"), "{err}");
    }
}
