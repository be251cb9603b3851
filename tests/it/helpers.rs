//! Shared helpers: problems, a temporary folder, and the command-line program.

use ibias::kernels::linalg::Dense;
use ibias::problem::Problem;
use ibias::problem::generate::{Entries, GenSpec};
use std::path::PathBuf;
use std::process::Command;

/// The `ex2` preset (40 × 100, 5-sparse ±1, noiseless).
pub fn ex2(seed: u64) -> Problem {
    GenSpec::ex2(seed).generate().unwrap().problem
}

/// A Gaussian problem `n × d` with a `k`-sparse (or dense) Gaussian `w*` and noise.
pub fn make(n: usize, d: usize, k: Option<usize>, noise: f64, seed: u64) -> Problem {
    GenSpec { n, d, sparsity: k, entries: Entries::Gaussian, w_star: None, noise, seed, margin: None }
        .generate()
        .unwrap()
        .problem
}

/// A problem from `X` (built by `f(i, j)`) and `y`.
pub fn problem(n: usize, d: usize, f: impl Fn(usize, usize) -> f64, y: Vec<f64>) -> Problem {
    Problem::new(Dense::from_fn(n, d, f), y).unwrap()
}

/// A fresh temporary folder for one test (removed on drop).
pub struct Tmp(pub PathBuf);

impl Tmp {
    pub fn new(name: &str) -> Self {
        let p = std::env::temp_dir().join(format!("ibias-it-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&p);
        std::fs::create_dir_all(&p).unwrap();
        Tmp(p)
    }
    pub fn path(&self, f: &str) -> PathBuf {
        self.0.join(f)
    }
    pub fn s(&self, f: &str) -> String {
        self.path(f).to_string_lossy().into_owned()
    }
}

impl Drop for Tmp {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Runs the program: (exit code, stdout, stderr).
pub fn ibias(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_ibias")).args(args).output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into(),
        String::from_utf8_lossy(&out.stderr).into(),
    )
}

/// Writes a problem as CSV into `dir/name` and returns the path as text.
pub fn write_csv(dir: &Tmp, name: &str, p: &Problem) -> String {
    std::fs::write(dir.path(name), ibias::problem::csv::to_csv(p)).unwrap();
    dir.s(name)
}

/// `‖a − b‖₂ / ‖b‖₂`.
pub fn rel(a: &[f64], b: &[f64]) -> f64 {
    ibias::kernels::linalg::dist2(a, b) / ibias::kernels::linalg::norm2(b).max(f64::MIN_POSITIVE)
}

/// Runs `ibias ARGS` that must succeed and parses its JSON output.
pub fn json(args: &[&str]) -> serde_json::Value {
    let (c, out, err) = ibias(args);
    assert_eq!(c, 0, "{args:?}: {err}");
    serde_json::from_str(&out).unwrap()
}

/// Writes the sweep spec `text` into `dir` as `NAME.toml`, runs it into `NAME-out` and merges it: the rows, in order
/// (each command's exit status checked).
pub fn spec_rows(dir: &Tmp, name: &str, text: &str) -> Vec<serde_json::Value> {
    let (spec, out, merged) =
        (dir.s(&format!("{name}.toml")), dir.s(&format!("{name}-out")), dir.s(&format!("{name}.jsonl")));
    std::fs::write(&spec, text).unwrap();
    let (c, _, err) = ibias(&["sweep", "run", &spec, "--out", &out, "--quiet"]);
    assert_eq!(c, 0, "{err}");
    let (c, _, err) = ibias(&["sweep", "merge", &out, "-o", &merged]);
    assert_eq!(c, 0, "{err}");
    std::fs::read_to_string(&merged).unwrap().lines().map(|l| serde_json::from_str(l).unwrap()).collect()
}

/// A JSON array of numbers as a vector.
pub fn vec_of(v: &serde_json::Value) -> Vec<f64> {
    v.as_array().unwrap().iter().map(|x| x.as_f64().unwrap()).collect()
}
