//! Running a plan's shard into its own journal in a sweep folder, skipping runs already there (restartable after
//! any kill), and reading the folder back: its journals, failures and per-shard status.

use super::engine::{self, SweepMethod, SweepOptions};
use super::journal;
use super::plan::{Plan, PlannedRun, ProblemKey, SpecRow, options};
use super::spec::SweepSpec;
use crate::control::{Progress, ProgressFn};
use crate::{Error, Result};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
/// A whole number from the environment (None when unset; an error naming the variable when not a number).
pub fn env_usize(name: &str) -> Result<Option<usize>> {
    match std::env::var(name) {
        Ok(v) => v.trim().parse().map(Some).map_err(|_| Error::param(name, format!("'{v}' is not a whole number"))),
        Err(_) => Ok(None),
    }
}

/// The shard `(K, N)` of a Slurm array task: `SLURM_ARRAY_TASK_ID − SLURM_ARRAY_TASK_MIN` of
/// `SLURM_ARRAY_TASK_COUNT` (None outside an array task; an error when K ≥ N).
pub fn slurm_shard() -> Result<Option<(usize, usize)>> {
    match (env_usize("SLURM_ARRAY_TASK_ID")?, env_usize("SLURM_ARRAY_TASK_COUNT")?) {
        (Some(id), Some(n)) => {
            let k = id - env_usize("SLURM_ARRAY_TASK_MIN")?.unwrap_or(0).min(id);
            if n == 0 || k >= n {
                return Err(Error::param(
                    "SLURM_ARRAY_TASK_ID",
                    format!("task {id} of an array of {n}: need 0 ≤ K < N (K = {k}); give the shard K/N"),
                ));
            }
            Ok(Some((k, n)))
        }
        _ => Ok(None),
    }
}

/// The journals of a sweep folder.
fn journals(dir: &Path) -> Result<Vec<PathBuf>> {
    files_ending(dir, "jsonl")
}

/// The files of `dir` with extension `ext`, sorted (none when the folder does not exist).
fn files_ending(dir: &Path, ext: &str) -> Result<Vec<PathBuf>> {
    if !dir.exists() {
        return Ok(Vec::new());
    }
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| Error::io(dir, e))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == ext))
        .collect();
    v.sort();
    Ok(v)
}

/// What is in a folder: the rows of this plan (first copy of each run), and what was left out.
pub struct FolderRows {
    /// The rows, keyed by run id.
    pub rows: HashMap<String, SpecRow>,
    /// Duplicate rows dropped (the same run in two journals).
    pub duplicates: usize,
    /// Journals whose cut last line was dropped (its run is redone).
    pub truncated: Vec<PathBuf>,
}

/// Reads every journal of `dir`; a row of another spec is an error (never mixed).
pub fn read_folder(plan: &Plan, dir: &Path) -> Result<FolderRows> {
    let wanted: HashSet<String> = plan.runs.iter().map(|r| r.run_id.clone()).collect();
    let mut out = FolderRows { rows: HashMap::new(), duplicates: 0, truncated: Vec::new() };
    for j in journals(dir)? {
        let (rows, rep) = journal::read::<SpecRow>(&j, None, |r| &r.row.run_id)?;
        if rep.truncated_last_line {
            out.truncated.push(j.clone());
        }
        out.duplicates += rep.duplicates;
        for r in rows {
            if r.spec_hash != plan.spec_hash {
                return Err(Error::param(
                    "out",
                    format!(
                        "{} holds rows of another sweep spec (hash {}, this spec's is {}): use another folder",
                        j.display(),
                        r.spec_hash,
                        plan.spec_hash
                    ),
                ));
            }
            if !wanted.contains(&r.row.run_id) {
                return Err(Error::param(
                    "out",
                    format!("{} holds a run this spec does not plan ({})", j.display(), r.row.run_id),
                ));
            }
            if out.rows.contains_key(&r.row.run_id) {
                out.duplicates += 1;
            } else {
                out.rows.insert(r.row.run_id.clone(), r);
            }
        }
    }
    Ok(out)
}

/// What a shard did.
#[derive(Debug, Clone, Serialize)]
pub struct ShardReport {
    /// Runs of the shard.
    pub planned: usize,
    /// Already in the folder (skipped).
    pub skipped: usize,
    /// Computed now.
    pub computed: usize,
    /// Runs that failed now (diverged, refused by a certificate…): listed with their errors in
    /// [`failures_path`]; they are retried by the next run of the shard.
    pub failed: usize,
    /// Whether this shard's journal had a cut last line (dropped, its run redone).
    pub truncated_last_line: bool,
}

/// A run that failed: its parameters and the error (one line of `shard-K-of-N.failed`).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct FailedRun {
    /// The spec's hash.
    pub spec_hash: String,
    /// The run's id.
    pub run_id: String,
    /// The problem.
    pub key: ProblemKey,
    /// Method.
    pub method: SweepMethod,
    /// α (NaN, `null` in JSON, for a method without one).
    #[serde(with = "engine::nan_as_null")]
    pub alpha: f64,
    /// Step rule.
    pub step_rule: String,
    /// The error, as the command line would print it.
    pub error: String,
}

/// The failure list of shard `k` of `n` (JSON lines; not a journal: its runs are not results).
pub fn failures_path(dir: &Path, k: usize, n: usize) -> PathBuf {
    dir.join(format!("shard-{k:04}-of-{n:04}.failed"))
}

/// The failed runs recorded in `dir` that are still not done (last error of each run), for this plan.
pub fn failures(plan: &Plan, dir: &Path) -> Result<HashMap<String, FailedRun>> {
    failures_in(plan, dir, &read_folder(plan, dir)?)
}

/// [`failures`], given the folder's rows already read.
pub(super) fn failures_in(plan: &Plan, dir: &Path, done: &FolderRows) -> Result<HashMap<String, FailedRun>> {
    let mut out = HashMap::new();
    let files = files_ending(dir, "failed")?;
    for f in files {
        let text = std::fs::read_to_string(&f).map_err(|e| Error::io(&f, e))?;
        for line in text.lines() {
            // A cut last line is ignored (the run is retried anyway).
            if let Ok(r) = serde_json::from_str::<FailedRun>(line)
                && r.spec_hash == plan.spec_hash
                && !done.rows.contains_key(&r.run_id)
            {
                out.insert(r.run_id.clone(), r);
            }
        }
    }
    Ok(out)
}

/// The journal file of shard `k` of `n`.
pub fn journal_path(dir: &Path, k: usize, n: usize) -> PathBuf {
    dir.join(format!("shard-{k:04}-of-{n:04}.jsonl"))
}

/// Creates a sweep folder for `plan` with the spec copied in (`DIR/spec.toml`, data paths resolved); a folder
/// that holds another spec is refused.
pub fn prepare_folder(plan: &Plan, dir: &Path) -> Result<()> {
    std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
    // The spec travels with the results.
    let spec_copy = dir.join("spec.toml");
    let text = toml::to_string(&plan.spec).map_err(|e| Error::Numerical(format!("encoding the spec: {e}")))?;
    match std::fs::read_to_string(&spec_copy) {
        Ok(old) if SweepSpec::from_toml(&old).map(|s| s.hash()).ok() != Some(plan.spec_hash.clone()) => {
            return Err(Error::param("out", format!("{} holds another sweep spec: use another folder", dir.display())));
        }
        Ok(_) => {}
        Err(_) => crate::io::write_atomic(&spec_copy, text.as_bytes())?,
    }
    Ok(())
}

/// Runs shard `k` of `n` of `plan` into `dir` (its own journal), skipping runs already in the folder.
pub fn run_shard(plan: &Plan, k: usize, n: usize, dir: &Path, progress: ProgressFn<'_>) -> Result<ShardReport> {
    let mine = plan.shard(k, n)?;
    prepare_folder(plan, dir)?;
    let path = journal_path(dir, k, n);
    let writer = journal::Writer::open(&path)?;
    let failed_writer = journal::Writer::open(&failures_path(dir, k, n))?;
    let failed = std::sync::atomic::AtomicUsize::new(0);
    let truncated = writer.dropped_cut_line();
    let done = read_folder(plan, dir)?;
    let todo: Vec<&&PlannedRun> = mine.iter().filter(|r| !done.rows.contains_key(&r.run_id)).collect();
    let total = todo.len();
    let count = std::sync::atomic::AtomicUsize::new(0);
    // Reference norms per problem, computed once for the problems this shard touches.
    // (Least-squares runs only: a classification dataset need not have an interpolator.)
    let need: HashSet<usize> = todo.iter().filter(|r| !r.variant.loss.is_classification()).map(|r| r.problem).collect();
    let refs: HashMap<usize, engine::Refs> =
        need.into_par_iter().map(|pi| Ok((pi, engine::Refs::of(&plan.problems[pi].1)?))).collect::<Result<_>>()?;
    // Each method's options, resolved once for the shard.
    let alphas = plan.spec.alphas()?;
    let opts: HashMap<SweepMethod, SweepOptions> = todo
        .iter()
        .map(|r| r.method)
        .collect::<HashSet<_>>()
        .into_iter()
        .map(|m| Ok((m, options(&plan.spec, m, &alphas)?)))
        .collect::<Result<_>>()?;
    todo.par_iter().with_max_len(1).try_for_each(|r| -> Result<()> {
        crate::control::check()?;
        let (key, p, w_star) = &plan.problems[r.problem];
        let o = &opts[&r.method];
        let (row, w) = match engine::one_variant(p, refs.get(&r.problem), key.seed, r.alpha, r.eta, o, &r.variant) {
            Ok(x) => x,
            Err(Error::Interrupted) => return Err(Error::Interrupted),
            // A failed run is recorded with its error and the shard goes on; the next run of the shard retries it.
            Err(e) => {
                failed.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                failed_writer.append(&FailedRun {
                    spec_hash: plan.spec_hash.clone(),
                    run_id: r.run_id.clone(),
                    key: key.clone(),
                    method: r.method,
                    alpha: r.alpha,
                    step_rule: o.rule_label(r.eta),
                    error: e.to_string(),
                })?;
                let c = count.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
                progress(Progress::Count { done: c, total });
                return Ok(());
            }
        };
        let rec = w_star.as_ref().map(|ws| w.iter().zip(ws).map(|(a, b)| (a - b) * (a - b)).sum::<f64>());
        writer.append(&SpecRow {
            spec_hash: plan.spec_hash.clone(),
            key: key.clone(),
            row,
            variant: r.variant,
            recovery_error_sq_abs: rec,
            w: plan.spec.record.w.then_some(w),
        })?;
        let c = count.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
        progress(Progress::Count { done: c, total });
        Ok(())
    })?;
    writer.close()?;
    failed_writer.close()?;
    let failed = failed.into_inner();
    Ok(ShardReport {
        planned: mine.len(),
        skipped: mine.len() - total,
        computed: total - failed,
        failed,
        truncated_last_line: truncated,
    })
}

/// One shard's state in a folder.
#[derive(Debug, Clone, Serialize)]
pub struct ShardStatus {
    /// Runs of the shard.
    pub planned: usize,
    /// Runs with a row.
    pub done: usize,
    /// Runs without a row whose last attempt failed.
    pub failing: usize,
    /// Runs without a row (failing ones included).
    pub missing: usize,
    /// The last error of a failing run of this shard.
    pub last_error: Option<String>,
}

/// Per shard of an N-way split: planned, done, failing and missing runs.
pub fn status(plan: &Plan, dir: &Path, n: usize) -> Result<Vec<ShardStatus>> {
    let done = read_folder(plan, dir)?;
    let failed = failures_in(plan, dir, &done)?;
    (0..n)
        .map(|k| {
            let mine = plan.shard(k, n)?;
            let have = mine.iter().filter(|r| done.rows.contains_key(&r.run_id)).count();
            let fails: Vec<&FailedRun> = mine.iter().filter_map(|r| failed.get(&r.run_id)).collect();
            Ok(ShardStatus {
                planned: mine.len(),
                done: have,
                failing: fails.len(),
                missing: mine.len() - have,
                last_error: fails.first().map(|f| format!("{} at α = {:e}: {}", f.method, f.alpha, f.error)),
            })
        })
        .collect()
}

/// The shard count of a folder, from its journals' names (`shard-K-of-N.jsonl`).
pub fn shard_count(dir: &Path) -> Result<Option<usize>> {
    for j in journals(dir)? {
        let name = j.file_name().and_then(|s| s.to_str()).unwrap_or("");
        if let Some(n) =
            name.strip_prefix("shard-").and_then(|r| r.split("-of-").nth(1)).and_then(|r| r.strip_suffix(".jsonl"))
        {
            return Ok(n.parse().ok());
        }
    }
    Ok(None)
}
