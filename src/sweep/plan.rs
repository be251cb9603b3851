//! A spec resolved into a [`Plan`]: its datasets (loaded or generated once) and its runs, each with a stable id (a
//! hash of its resolved parameters and of its data's content) and an estimated cost that [`Plan::shard`] balances.

use super::engine::{self, SweepMethod, SweepOptions, Variant};
use super::spec::{MAX_RUNS, StopSpec, SweepSpec};
use crate::dynamics::StepRule;
use crate::problem::Problem;
use crate::problem::generate::GenSpec;
use crate::{Error, Result};
use serde::{Deserialize, Serialize};
use std::collections::HashSet;
use std::path::Path;
/// One dataset of the plan.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ProblemKey {
    /// Preset name, file name or `generated`.
    pub source: String,
    /// Seed (presets and generator grids).
    pub seed: Option<u64>,
    /// Samples.
    pub n: usize,
    /// Features.
    pub d: usize,
    /// Non-zeros of `w*` (generated data).
    pub sparsity: Option<usize>,
    /// Noise (generated data).
    pub noise: Option<f64>,
}

/// One planned run.
#[derive(Debug, Clone, Serialize)]
pub struct PlannedRun {
    /// Stable id: hash of the resolved parameters and the data's content.
    pub run_id: String,
    /// Index of its problem.
    pub problem: usize,
    /// Method.
    pub method: SweepMethod,
    /// α.
    pub alpha: f64,
    /// Step rule.
    pub eta: StepRule,
    /// Depth, shape, mini-batch.
    pub variant: Variant,
    /// Estimated seconds (a cost model, not a measurement).
    pub est_seconds: f64,
}

/// A resolved spec: its problems and runs.
pub struct Plan {
    /// The spec.
    pub spec: SweepSpec,
    /// Its hash.
    pub spec_hash: String,
    /// The datasets with their keys and (when known) planted `w*`.
    pub problems: Vec<(ProblemKey, Problem, Option<Vec<f64>>)>,
    /// Every run, in plan order.
    pub runs: Vec<PlannedRun>,
}

/// A row of a spec sweep: the run's parameters, its problem and its measurements.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct SpecRow {
    /// The spec's hash.
    pub spec_hash: String,
    /// The problem.
    pub key: ProblemKey,
    /// The run.
    pub row: engine::Row,
    /// Depth, shape, mini-batch.
    #[serde(default)]
    pub variant: Variant,
    /// `‖w − w*‖²` when `w*` is known (the population excess risk for isotropic Gaussian x), absolute.
    pub recovery_error_sq_abs: Option<f64>,
    /// The final iterate, when the spec records it (`[record] w = true`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub w: Option<Vec<f64>>,
}

pub(super) fn options(spec: &SweepSpec, method: SweepMethod, alphas: &[f64]) -> Result<SweepOptions> {
    let etas = match &spec.axes.eta {
        Some(e) if method != SweepMethod::Bregman => Some(
            e.iter()
                .map(|x| x.parse::<StepRule>().map_err(|m| Error::param("[axes] eta", m)))
                .collect::<Result<_>>()?,
        ),
        _ => None,
    };
    let o = SweepOptions {
        method,
        alphas: alphas.to_vec(),
        etas,
        risk_tol: spec.stop.tol,
        max_iter: spec.stop.max_iter,
        max_seconds: spec.stop.max_seconds,
        record_w: false,
    };
    o.validate()?;
    Ok(o)
}

/// A cost model for balancing shards, in seconds on one core, fitted to measured runs (journal `wall_seconds`,
/// this machine class; BENCHMARKS.md): Bregman projections cost `n²d` per Newton iteration and take about
/// `3 + ln(1/α)` of them; dual L-BFGS mirror descent grows like `α^-0.55` and GD on `(u, v)` with safe steps like
/// `α^-1.3` (both per `nd`), each capped by the iteration and time caps of the stop rule.
fn est_seconds(method: SweepMethod, n: usize, d: usize, alpha: f64, stop: &StopSpec) -> f64 {
    let (n, d) = (n as f64, d as f64);
    let nd = n * d;
    let cap = (stop.max_iter as f64 * 2e-10 * nd).min(stop.max_seconds);
    let t = match method {
        SweepMethod::Bregman => (n * nd / 3e10 + nd / 5e8) * (3.0 + (1.0 / alpha).ln().max(0.0)),
        SweepMethod::Md => 5.6e-8 * nd * alpha.min(1.0).powf(-0.55),
        SweepMethod::Reparam => 8.3e-8 * nd * alpha.min(1.0).powf(-1.3),
        // Other methods (and classification losses, which run to their caps): the iteration cap's cost.
        SweepMethod::Run(_) => cap,
    };
    1e-4 + t.min(cap)
}

/// Seconds of a problem's reference solutions (basis pursuit and minimum ℓ2), paid once by each shard that holds
/// one of its runs.
fn ref_seconds(n: usize, d: usize) -> f64 {
    1e-3 + (n * n * d) as f64 / 5e8
}

/// Refuses, before generating anything, a spec whose datasets exceed the memory budget or whose runs exceed
/// [`MAX_RUNS`] (counted without deduplication: an upper bound).
fn check_size(spec: &SweepSpec) -> Result<()> {
    let p = &spec.problem;
    let (datasets, bytes) = if let Some(preset) = &p.preset {
        let seeds = p.seeds.as_deref().unwrap_or(&[0]);
        let (n, d) = crate::problem::preset_shape(preset)?;
        (seeds.len(), seeds.len() as f64 * crate::problem::memory_estimate(n, d))
    } else if let Some(g) = &p.generate {
        let per: f64 =
            g.d.iter().map(|&d| g.n.iter().map(|&n| crate::problem::memory_estimate(n, d)).sum::<f64>()).sum();
        let k = g.sparsity.len() * g.noise.len() * g.seeds.len();
        (k * g.n.len() * g.d.len(), per * k as f64)
    } else {
        (p.data.as_ref().map_or(0, Vec::len), 0.0) // each file is checked as it loads
    };
    crate::io::require_memory("the sweep's datasets (all held by every shard)", bytes)?;
    let etas = spec.axes.eta.as_ref().map_or(1, Vec::len);
    let runs = (datasets as f64)
        * spec.axes.method.len() as f64
        * spec.alphas()?.len() as f64
        * etas as f64
        * spec.axes.variant_count();
    if runs > MAX_RUNS as f64 {
        return Err(Error::param(
            "spec",
            format!(
                "plans up to {runs:.3e} runs, more than the {MAX_RUNS} one plan holds: split it into several specs"
            ),
        ));
    }
    Ok(())
}

impl Plan {
    /// The plan of a spec file (relative data paths resolve against the file's folder).
    pub fn from_file(path: &Path) -> Result<Plan> {
        let s = SweepSpec::from_file(path)?;
        let base = path.parent().map(Path::to_path_buf).unwrap_or_default();
        Plan::new(&s, &base)
    }

    /// Resolves a spec (relative data paths against `base`): loads or generates every dataset and lists the runs.
    pub fn new(spec: &SweepSpec, base: &Path) -> Result<Plan> {
        // Data paths resolved once (absolute), so that the spec copied into a sweep folder means the same and
        // hashes the same.
        let mut spec = spec.clone();
        if let Some(files) = &mut spec.problem.data {
            for f in files.iter_mut() {
                let path = if f.is_absolute() { f.clone() } else { base.join(&*f) };
                *f = std::fs::canonicalize(&path).map_err(|e| Error::io(&path, e))?;
            }
        }
        let spec = &spec;
        check_size(spec)?;
        let mut problems = Vec::new();
        let p = &spec.problem;
        if let Some(preset) = &p.preset {
            for &s in p.seeds.as_deref().unwrap_or(&[0]) {
                let g = crate::problem::preset(preset, s)?;
                let key = ProblemKey {
                    source: preset.clone(),
                    seed: Some(s),
                    n: g.problem.n(),
                    d: g.problem.d(),
                    sparsity: None,
                    noise: None,
                };
                problems.push((key, g.problem, Some(g.w_star)));
            }
        } else if let Some(files) = &p.data {
            for f in files {
                let pr = crate::problem::csv::load_csv(f)?;
                let key = ProblemKey {
                    source: f.display().to_string(),
                    seed: None,
                    n: pr.n(),
                    d: pr.d(),
                    sparsity: None,
                    noise: None,
                };
                problems.push((key, pr, None));
            }
        } else if let Some(g) = &p.generate {
            let n_max = g.n.iter().copied().max().unwrap_or(0);
            for &d in &g.d {
                for &k in &g.sparsity {
                    for &noise in &g.noise {
                        for &seed in &g.seeds {
                            let at = |n| GenSpec {
                                n,
                                d,
                                sparsity: Some(k),
                                entries: g.entries,
                                w_star: None,
                                noise,
                                seed,
                                margin: g.margin,
                            };
                            // Nested samples: one draw of max(n) rows (its arrays only; each n builds its Problem).
                            let nested = if g.nested { Some(at(n_max).draw()?) } else { None };
                            for &n in &g.n {
                                let (pr, w) = match &nested {
                                    Some((x, y, w)) => {
                                        let xn = crate::kernels::linalg::Dense::from_fn(n, d, |i, j| x.get(i, j));
                                        (Problem::new(xn, y[..n].to_vec())?, w.clone())
                                    }
                                    None => {
                                        let gg = at(n).generate()?;
                                        (gg.problem, gg.w_star)
                                    }
                                };
                                let key = ProblemKey {
                                    source: "generated".into(),
                                    seed: Some(seed),
                                    n,
                                    d,
                                    sparsity: Some(k),
                                    noise: Some(noise),
                                };
                                problems.push((key, pr, Some(w)));
                            }
                        }
                    }
                }
            }
        }
        let alphas = spec.alphas()?;
        let variants = spec.axes.variants();
        let mut runs = Vec::new();
        for m in &spec.axes.method {
            let method = m.parse::<SweepMethod>().map_err(|e| Error::param("[axes] method", e))?;
            let o = options(spec, method, &alphas)?;
            // A method without α runs once (α missing in its rows).
            let alphas_m = if method.takes_alpha() { alphas.clone() } else { vec![f64::NAN] };
            for (pi, (key, pr, _)) in problems.iter().enumerate() {
                for &a in &alphas_m {
                    for v in &variants {
                        let v = v.normalized(method);
                        // p-GD has no α: each p runs once (the other α values give the same run id, dropped below).
                        let a = if v.p.is_some() { f64::NAN } else { a };
                        if let Some(b) = v.batch
                            && b > key.n
                        {
                            return Err(Error::param(
                                "[axes] batch",
                                format!("batch {b} exceeds the n = {} samples of a dataset ({})", key.n, key.source),
                            ));
                        }
                        // Without an eta axis each run takes the front door's default on its dataset.
                        let etas = match &o.etas {
                            Some(e) if method != SweepMethod::Bregman => e.clone(),
                            _ => vec![engine::default_rule(method, &v, Some(pr))],
                        };
                        for e in etas {
                            runs.push(PlannedRun {
                                run_id: o.variant_run_id(pr.data_hash(), a, e, &v),
                                problem: pi,
                                method,
                                alpha: a,
                                eta: e,
                                variant: v,
                                est_seconds: est_seconds(method, key.n, key.d, a, &spec.stop),
                            });
                        }
                    }
                }
            }
        }
        let mut seen = HashSet::new();
        runs.retain(|r| seen.insert(r.run_id.clone()));
        Ok(Plan { spec: spec.clone(), spec_hash: spec.hash(), problems, runs })
    }

    /// The runs of shard `k` of `n` (0-based): deterministic, balanced by estimated cost (longest first, each to
    /// the least-loaded shard, ties by run id and shard index). With at least 4N datasets, a dataset's runs stay
    /// together (each shard then computes the reference solutions of its own datasets only); otherwise runs are
    /// dealt one by one.
    pub fn shard(&self, k: usize, n: usize) -> Result<Vec<&PlannedRun>> {
        if n == 0 || k >= n {
            return Err(Error::param("shard", format!("K/N needs 0 ≤ K < N, got {k}/{n}")));
        }
        let mut units: Vec<(f64, &str, Vec<&PlannedRun>)> = if self.problems.len() >= 4 * n {
            let mut by: Vec<Vec<&PlannedRun>> = vec![Vec::new(); self.problems.len()];
            for r in &self.runs {
                by[r.problem].push(r);
            }
            by.into_iter()
                .enumerate()
                .filter(|(_, v)| !v.is_empty())
                .map(|(pi, v)| {
                    let key = &self.problems[pi].0;
                    let cost = ref_seconds(key.n, key.d) + v.iter().map(|r| r.est_seconds).sum::<f64>();
                    (cost, v[0].run_id.as_str(), v)
                })
                .collect()
        } else {
            self.runs.iter().map(|r| (r.est_seconds, r.run_id.as_str(), vec![r])).collect()
        };
        units.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(b.1)));
        let mut load = vec![0.0f64; n];
        let mut mine = Vec::new();
        for (cost, _, runs) in units {
            let s = (0..n).min_by(|&a, &b| load[a].total_cmp(&load[b]).then(a.cmp(&b))).unwrap_or(0);
            load[s] += cost;
            if s == k {
                mine.extend(runs);
            }
        }
        // Longest first within the shard too (a killed shard has done its big runs).
        mine.sort_by(|a, b| b.est_seconds.total_cmp(&a.est_seconds).then(a.run_id.cmp(&b.run_id)));
        Ok(mine)
    }

    /// Estimated seconds and memory (bytes) of the whole plan.
    pub fn estimate(&self) -> (f64, f64) {
        let secs = self.runs.iter().map(|r| r.est_seconds).sum::<f64>()
            + self.problems.iter().map(|(k, ..)| ref_seconds(k.n, k.d)).sum::<f64>();
        let mem =
            self.problems.iter().map(|(_, p, _)| crate::problem::memory_estimate(p.n(), p.d())).fold(0.0, f64::max);
        (secs, mem)
    }
}
