//! Merging a sweep folder: every planned run exactly once, in plan order, and the merged rows as a table, JSON
//! lines or CSV.

use super::plan::{Plan, PlannedRun, SpecRow};
use super::shard::{failures_in, read_folder, shard_count};
use crate::study::{Column, Fmt, Table};
use crate::{Error, Result};
use std::path::Path;
/// Every planned run exactly once, in plan order; an error listing the missing runs (and the shards to rerun).
pub fn merge(plan: &Plan, dir: &Path) -> Result<Vec<SpecRow>> {
    merge_counted(plan, dir).map(|m| m.0)
}

/// [`merge`], with the number of duplicate rows dropped (runs done twice, e.g. by overlapping shardings).
pub fn merge_counted(plan: &Plan, dir: &Path) -> Result<(Vec<SpecRow>, usize)> {
    let mut done = read_folder(plan, dir)?;
    let missing: Vec<&PlannedRun> = plan.runs.iter().filter(|r| !done.rows.contains_key(&r.run_id)).collect();
    if !missing.is_empty() {
        let n = shard_count(dir)?.unwrap_or(1);
        let shards: Vec<usize> = (0..n)
            .filter(|&k| plan.shard(k, n).is_ok_and(|m| m.iter().any(|r| !done.rows.contains_key(&r.run_id))))
            .collect();
        let failed = failures_in(plan, dir, &done)?;
        let failing = missing.iter().filter_map(|r| failed.get(&r.run_id)).collect::<Vec<_>>();
        let why = match failing.first() {
            Some(f) => {
                format!("; {} of them failed (e.g. {} at α = {:e}: {})", failing.len(), f.method, f.alpha, f.error)
            }
            None => String::new(),
        };
        return Err(Error::param(
            "merge",
            format!(
                "{} of {} planned runs are missing from {} (e.g. {} at α = {:e}){why}; rerun: {}",
                missing.len(),
                plan.runs.len(),
                dir.display(),
                missing[0].method,
                missing[0].alpha,
                shards
                    .iter()
                    .map(|k| format!(
                        "ibias sweep run {} --out {} --shard {k}/{n}",
                        dir.join("spec.toml").display(),
                        dir.display()
                    ))
                    .collect::<Vec<_>>()
                    .join(" ; ")
            ),
        ));
    }
    let rows = plan.runs.iter().filter_map(|r| done.rows.remove(&r.run_id)).collect();
    Ok((rows, done.duplicates))
}

/// A value a row may lack (NaN: missing).
fn known(v: f64) -> Option<f64> {
    (!v.is_nan()).then_some(v)
}

/// The merged rows as a table: one column per parameter and metric (ASCII names; `Missing` where a row has no
/// value, e.g. no seed for a data file or no `w*`).
pub fn to_table(rows: &[SpecRow]) -> Table {
    let col = |k: &str, f: Fmt| Column::new(k, k, f);
    let mut t = Table::new(
        "sweep_merged",
        "Every planned run of the sweep, in plan order",
        vec![
            col("run_id", Fmt::Plain),
            col("source", Fmt::Plain),
            col("seed", Fmt::Plain),
            col("n", Fmt::Plain),
            col("d", Fmt::Plain),
            col("sparsity", Fmt::Plain),
            col("noise", Fmt::Sci(3)),
            col("method", Fmt::Plain),
            col("alpha", Fmt::Sci(3)),
            col("step_rule", Fmt::Plain),
            col("loss", Fmt::Plain),
            col("potential", Fmt::Plain),
            col("p", Fmt::Plain),
            col("depth", Fmt::Plain),
            col("shape", Fmt::Plain),
            col("batch", Fmt::Plain),
            col("sgd_seed", Fmt::Plain),
            col("iterations", Fmt::Plain),
            col("wall_seconds", Fmt::Sci(3)),
            col("converged", Fmt::Plain),
            col("stop_reason", Fmt::Plain),
            col("risk", Fmt::Sci(6)),
            col("l1_norm", Fmt::Sci(6)),
            col("l2_norm", Fmt::Sci(6)),
            col("l1_gap_abs", Fmt::Sci(3)),
            col("l2_gap_abs", Fmt::Sci(3)),
            col("distance_to_exact_rel", Fmt::Sci(3)),
            col("margin_gap_rel", Fmt::Sci(3)),
            col("nuclear_norm", Fmt::Sci(6)),
            col("nuclear_gap_rel", Fmt::Sci(3)),
            col("recovery_error_sq_abs", Fmt::Sci(4)),
        ],
    );
    for r in rows {
        let x = &r.row;
        t.push(vec![
            x.run_id.clone().into(),
            r.key.source.clone().into(),
            r.key.seed.into(),
            r.key.n.into(),
            r.key.d.into(),
            r.key.sparsity.into(),
            r.key.noise.into(),
            x.method.to_string().into(),
            known(x.alpha).into(),
            x.step_rule.clone().into(),
            r.variant.loss.name().to_string().into(),
            x.potential.map(|k| k.name().to_string()).into(),
            r.variant.p.into(),
            (r.variant.depth as usize).into(),
            r.variant.shape.into(),
            r.variant.batch.into(),
            r.variant.batch.map(|_| r.variant.sgd_seed).into(),
            x.iterations.into(),
            x.wall_seconds.into(),
            x.converged.into(),
            x.stop_reason.map(|s| s.name().to_string()).into(),
            known(x.risk).into(),
            x.l1_norm.into(),
            x.l2_norm.into(),
            known(x.l1_gap_abs).into(),
            known(x.l2_gap_abs).into(),
            known(x.distance_to_exact_rel).into(),
            known(x.margin_gap_rel).into(),
            known(x.nuclear_norm).into(),
            known(x.nuclear_gap_rel).into(),
            r.recovery_error_sq_abs.into(),
        ]);
    }
    t
}

/// The merged rows as JSON lines: the objects of [`to_table`] (flat, one key per column), plus `w` (a list) when
/// the spec records it.
pub fn to_jsonl(rows: &[SpecRow]) -> String {
    let text = to_table(rows).to_jsonl();
    let mut s = String::with_capacity(text.len());
    for (line, r) in text.lines().zip(rows) {
        match (&r.w, serde_json::from_str::<serde_json::Map<String, serde_json::Value>>(line)) {
            (Some(w), Ok(mut obj)) => {
                obj.insert("w".into(), serde_json::json!(w));
                s.push_str(&serde_json::Value::Object(obj).to_string());
            }
            _ => s.push_str(line),
        }
        s.push('\n');
    }
    s
}

/// The merged rows as CSV (the columns of [`to_table`], numbers at full precision).
pub fn to_csv(rows: &[SpecRow]) -> String {
    to_table(rows).to_csv()
}
