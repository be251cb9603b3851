//! A report section from a merged sweep table (`ibias sweep merge DIR -o results.csv|jsonl`; SPEC §10): the
//! measurements of a cluster-scale sweep drawn like the report's own studies. Rows are grouped by everything but
//! the seed (source, method, step rule, n, d, sparsity, noise) and summarised per α by the median and the 10–90%
//! band over seeds. When rows carry the recovery error `‖w − w*‖²` (generated or preset data), the section draws
//! it against α and, with several n, the sample-complexity panel of Woodworth et al. (2020, Figure 1(c)): per
//! (n, seed) the largest α of the grid whose run has error ≤ the target (the grid walked down from its largest
//! α to the first that meets the target, as in the `woodworth` study, without its bisection), median and band
//! over seeds against n.

use super::engine::Variant;
use super::plan::ProblemKey;
use crate::kernels::stats::{median, quantile};
use crate::study::{Column, Figure, Fmt, Section, Series, Table};
use crate::{Error, Result};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::Path;

/// One row of a merged table, as the section reads it.
#[derive(Debug, Clone, PartialEq)]
pub struct MergedRow {
    /// The dataset: source, seed, n, d, sparsity, noise.
    pub key: ProblemKey,
    /// Method (`md`, `reparam`, `bregman`, or another with an α).
    pub method: String,
    /// α.
    pub alpha: f64,
    /// Step rule label.
    pub step_rule: String,
    /// Depth, shape, mini-batch.
    pub variant: Variant,
    /// Whether the run met its stop rule.
    pub converged: bool,
    /// `‖w‖₁ − ‖w₁*‖₁` (absolute; NaN when missing).
    pub l1_gap_abs: f64,
    /// `‖w‖₂ − ‖w₂*‖₂` (absolute; NaN when missing).
    pub l2_gap_abs: f64,
    /// `‖w − w∞(α)‖/‖w∞(α)‖` (relative; NaN when missing).
    pub distance_to_exact_rel: f64,
    /// `‖w − w*‖²` when `w*` is known (absolute).
    pub recovery_error_sq_abs: Option<f64>,
}

/// A row of the merged table as `ibias sweep merge` writes it (CSV columns, or the keys of a JSON line).
#[derive(Deserialize)]
struct CsvRow {
    source: String,
    seed: Option<u64>,
    n: usize,
    d: usize,
    sparsity: Option<usize>,
    noise: Option<f64>,
    method: String,
    alpha: Option<f64>,
    step_rule: String,
    #[serde(default)]
    loss: Option<String>,
    #[serde(default)]
    depth: Option<u32>,
    #[serde(default)]
    shape: Option<f64>,
    #[serde(default)]
    batch: Option<usize>,
    #[serde(default)]
    sgd_seed: Option<u64>,
    #[serde(default)]
    p: Option<f64>,
    converged: bool,
    l1_gap_abs: Option<f64>,
    l2_gap_abs: Option<f64>,
    distance_to_exact_rel: Option<f64>,
    recovery_error_sq_abs: Option<f64>,
}

impl From<CsvRow> for MergedRow {
    fn from(r: CsvRow) -> Self {
        MergedRow {
            key: ProblemKey { source: r.source, seed: r.seed, n: r.n, d: r.d, sparsity: r.sparsity, noise: r.noise },
            method: r.method,
            alpha: r.alpha.unwrap_or(f64::NAN),
            step_rule: r.step_rule,
            variant: Variant {
                depth: r.depth.unwrap_or(2),
                shape: r.shape.unwrap_or(0.0),
                batch: r.batch,
                sgd_seed: r.sgd_seed.unwrap_or(0),
                loss: r.loss.and_then(|l| l.parse().ok()).unwrap_or_default(),
                p: r.p,
            },
            converged: r.converged,
            l1_gap_abs: r.l1_gap_abs.unwrap_or(f64::NAN),
            l2_gap_abs: r.l2_gap_abs.unwrap_or(f64::NAN),
            distance_to_exact_rel: r.distance_to_exact_rel.unwrap_or(f64::NAN),
            recovery_error_sq_abs: r.recovery_error_sq_abs,
        }
    }
}

/// Reads a merged table (`.csv` or `.jsonl`, as `ibias sweep merge` writes them).
pub fn read(path: &Path) -> Result<Vec<MergedRow>> {
    let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
    let rows: Vec<MergedRow> = match path.extension().and_then(|e| e.to_str()) {
        Some("csv") => {
            let mut rd = csv::ReaderBuilder::new().from_reader(text.as_bytes());
            rd.deserialize::<CsvRow>()
                .enumerate()
                .map(|(k, r)| {
                    r.map(MergedRow::from).map_err(|e| Error::Parse {
                        path: Some(path.to_path_buf()),
                        line: k + 2,
                        column: None,
                        message: format!("not a row of a merged sweep table: {e}"),
                    })
                })
                .collect::<Result<_>>()?
        }
        Some("jsonl") => text
            .lines()
            .enumerate()
            .filter(|(_, l)| !l.trim().is_empty())
            .map(|(k, l)| {
                serde_json::from_str::<CsvRow>(l).map(MergedRow::from).map_err(|e| Error::Parse {
                    path: Some(path.to_path_buf()),
                    line: k + 1,
                    column: None,
                    message: format!("not a row of a merged sweep table: {e}"),
                })
            })
            .collect::<Result<_>>()?,
        _ => {
            return Err(Error::param(
                "from",
                format!("{}: a merged sweep table ends in .csv or .jsonl", path.display()),
            ));
        }
    };
    // Runs without an initialisation scale (gd, sign-GD: α missing) have no place on an α axis.
    let rows: Vec<MergedRow> = rows.into_iter().filter(|r| !r.alpha.is_nan()).collect();
    if rows.is_empty() {
        return Err(Error::param("from", format!("{} holds no rows with an α", path.display())));
    }
    if let Some(r) = rows.iter().find(|r| !(r.alpha.is_finite() && r.alpha > 0.0)) {
        return Err(Error::param("from", format!("{}: a row has α = {}", path.display(), r.alpha)));
    }
    Ok(rows)
}

/// A metric of a row (None: not measured).
type Metric = fn(&MergedRow) -> Option<f64>;

/// A group without its n: method, step rule, (depth, shape bits, batch), source, d, sparsity, noise (bits).
type Family = (String, String, (u32, u64, Option<usize>), String, usize, Option<usize>, Option<u64>);

/// A group of runs that differ only by seed and α.
#[derive(Debug, Clone, PartialEq, PartialOrd)]
struct Group {
    method: String,
    step_rule: String,
    depth: u32,
    shape: f64,
    batch: Option<usize>,
    source: String,
    d: usize,
    sparsity: Option<usize>,
    noise: Option<f64>,
    n: usize,
}

impl Group {
    fn of(r: &MergedRow) -> Self {
        Group {
            // A classification loss is part of what ran.
            method: if r.variant.loss.is_classification() {
                format!("{} on the {} loss", r.method, r.variant.loss)
            } else {
                r.method.clone()
            },
            step_rule: r.step_rule.clone(),
            depth: r.variant.depth,
            shape: r.variant.shape,
            batch: r.variant.batch,
            source: r.key.source.clone(),
            d: r.key.d,
            sparsity: r.key.sparsity,
            noise: r.key.noise,
            n: r.key.n,
        }
    }
    fn label(&self) -> String {
        format!("{}, n = {}", self.family_label(), self.n)
    }
    /// The label without n.
    fn family_label(&self) -> String {
        let mut s = if self.method == "bregman" {
            "exact limit".to_string()
        } else {
            format!("{} ({})", self.method, self.step_rule)
        };
        if self.depth != 2 {
            s.push_str(&format!(", D = {}", self.depth));
        }
        if self.shape != 0.0 {
            s.push_str(&format!(", s = {}", self.shape));
        }
        if let Some(b) = self.batch {
            s.push_str(&format!(", b = {b}"));
        }
        s
    }
    /// The group without n (the sample-complexity curve).
    fn family(&self) -> Family {
        (
            self.method.clone(),
            self.step_rule.clone(),
            (self.depth, self.shape.to_bits(), self.batch),
            self.source.clone(),
            self.d,
            self.sparsity,
            self.noise.map(f64::to_bits),
        )
    }
}

/// Groups (sorted), each with its rows sorted by α then seed.
fn groups(rows: &[MergedRow]) -> Vec<(Group, Vec<&MergedRow>)> {
    let mut out: Vec<(Group, Vec<&MergedRow>)> = Vec::new();
    for r in rows {
        let g = Group::of(r);
        match out.iter_mut().find(|(h, _)| *h == g) {
            Some((_, v)) => v.push(r),
            None => out.push((g, vec![r])),
        }
    }
    out.sort_by(|a, b| a.0.partial_cmp(&b.0).unwrap_or(std::cmp::Ordering::Equal));
    for (_, v) in &mut out {
        v.sort_by(|a, b| a.alpha.total_cmp(&b.alpha).then(a.key.seed.cmp(&b.key.seed)));
    }
    out
}

/// Per α: (α, median, 10%, 90%, count) of `f` over the rows at that α.
fn per_alpha(rows: &[&MergedRow], f: impl Fn(&MergedRow) -> Option<f64>) -> Vec<(f64, f64, f64, f64, usize)> {
    let mut by: BTreeMap<u64, Vec<f64>> = BTreeMap::new();
    for r in rows {
        if let Some(v) = f(r).filter(|v| v.is_finite()) {
            by.entry(r.alpha.to_bits()).or_default().push(v);
        }
    }
    by.into_iter()
        .map(|(a, v)| (f64::from_bits(a), median(&v), quantile(&v, 0.1), quantile(&v, 0.9), v.len()))
        .collect()
}

/// The largest α of a seed's grid whose error is ≤ `target`, walking down from the largest α (NaN: none).
fn alpha_star(points: &[(f64, f64)], target: f64) -> f64 {
    points.iter().rev().find(|p| p.1 <= target).map_or(f64::NAN, |p| p.0)
}

/// The section for the rows of a merged table (`name`: the file, for the text).
pub fn section(rows: &[MergedRow], name: &str, target: f64) -> Result<Section> {
    crate::error::positive("target", target)?;
    let gs = groups(rows);
    let seeds = |v: &[&MergedRow]| {
        let mut s: Vec<Option<u64>> = v.iter().map(|r| r.key.seed).collect();
        s.sort();
        s.dedup();
        s.len()
    };
    let mut summary = Table::new(
        "sweep_summary",
        &format!("{name}: per group and α, the median over seeds (10–90% band of the recovery error)"),
        vec![
            Column::new("method", "method", Fmt::Plain),
            Column::new("step_rule", "step rule", Fmt::Plain),
            Column::new("depth", "D", Fmt::Plain),
            Column::new("shape", "s", Fmt::Plain),
            Column::new("batch", "batch", Fmt::Plain),
            Column::new("n", "n", Fmt::Plain),
            Column::new("d", "d", Fmt::Plain),
            Column::new("alpha", "α", Fmt::Sci(3)),
            Column::new("seeds", "seeds", Fmt::Plain),
            Column::new("converged", "converged", Fmt::Plain),
            Column::new("l1_gap_median_abs", "ℓ1 gap (median)", Fmt::Sci(3)),
            Column::new("l2_gap_median_abs", "ℓ2 gap (median)", Fmt::Sci(3)),
            Column::new("distance_to_exact_median_rel", "distance to the exact limit (relative)", Fmt::Sci(3)),
            Column::new("recovery_error_sq_median_abs", "‖w − w*‖² median", Fmt::Sci(4)),
            Column::new("recovery_error_sq_q10_abs", "10%", Fmt::Sci(3)),
            Column::new("recovery_error_sq_q90_abs", "90%", Fmt::Sci(3)),
        ],
    );
    for (g, v) in &gs {
        let l1 = per_alpha(v, |r| Some(r.l1_gap_abs).filter(|v| !v.is_nan()));
        let l2 = per_alpha(v, |r| Some(r.l2_gap_abs).filter(|v| !v.is_nan()));
        let de = per_alpha(v, |r| Some(r.distance_to_exact_rel).filter(|v| !v.is_nan()));
        let re = per_alpha(v, |r| r.recovery_error_sq_abs);
        let at_alpha = |v: &[(f64, f64, f64, f64, usize)], a: f64| v.iter().find(|x| x.0 == a).map(|x| x.1);
        for &(a, m1, ..) in &l1 {
            let at: Vec<&&MergedRow> = v.iter().filter(|r| r.alpha == a).collect();
            let rec = re.iter().find(|x| x.0 == a);
            summary.push(vec![
                g.method.clone().into(),
                g.step_rule.clone().into(),
                (g.depth as usize).into(),
                g.shape.into(),
                g.batch.into(),
                g.n.into(),
                g.d.into(),
                a.into(),
                at.len().into(),
                at.iter().filter(|r| r.converged).count().into(),
                m1.into(),
                at_alpha(&l2, a).into(),
                at_alpha(&de, a).into(),
                rec.map(|x| x.1).into(),
                rec.map(|x| x.2).into(),
                rec.map(|x| x.3).into(),
            ]);
        }
    }
    let has_rec = rows.iter().any(|r| r.recovery_error_sq_abs.is_some());
    let mut figures = Vec::new();
    let mut tables = vec![summary];
    let mut answers = vec![format!(
        "{name}: {} runs in {} groups (method × step rule × data), {} of them converged; α from {:.3e} to {:.3e}.",
        rows.len(),
        gs.len(),
        rows.iter().filter(|r| r.converged).count(),
        rows.iter().map(|r| r.alpha).fold(f64::INFINITY, f64::min),
        rows.iter().map(|r| r.alpha).fold(0.0, f64::max),
    )];
    // Curves against α: at most five groups drawn (colour 5 is the target) (spread over the list), every group in the table.
    let pick: Vec<usize> = if gs.len() <= 5 { (0..gs.len()).collect() } else { spread(gs.len(), 5) };
    let (metric, y_label, f): (&str, &str, Metric) = if has_rec {
        ("recovery_error", "population error ‖w − w*‖² (absolute)", |r| r.recovery_error_sq_abs)
    } else {
        ("l1_gap", "ℓ1 gap ‖w‖₁ − ‖w₁*‖₁ (absolute, floor 1e-12)", |r| {
            Some(r.l1_gap_abs).filter(|v| !v.is_nan()).map(|v| v.max(1e-12))
        })
    };
    let mut series = Vec::new();
    for (c, &k) in pick.iter().enumerate() {
        let (g, v) = &gs[k];
        let pa = per_alpha(v, f);
        series.push(
            Series::line(&g.label(), pa.iter().map(|x| (x.0, x.1)).collect(), c)
                .with_band(pa.iter().map(|x| (x.0, x.2, x.3)).collect()),
        );
    }
    if has_rec {
        let (amin, amax) = (
            rows.iter().map(|r| r.alpha).fold(f64::INFINITY, f64::min),
            rows.iter().map(|r| r.alpha).fold(0.0, f64::max),
        );
        series.push(Series::dashed("target", vec![(amin, target), (amax, target)], 5));
    }
    figures.push(
        Figure::new(
            &format!("merged_{metric}_vs_alpha"),
            &format!("{name}: {} against α", if has_rec { "population error" } else { "ℓ1 gap" }),
            "initialisation scale α",
            y_label,
        )
        .log(true, true)
        .caption(format!(
            "Median over seeds (line) and 10–90% band, per group{}; every group is in the table sweep_summary.",
            if pick.len() < gs.len() {
                format!(" ({} of {} groups drawn, spread over n)", pick.len(), gs.len())
            } else {
                String::new()
            }
        ))
        .series(series),
    );
    // Sample complexity: per family with several n.
    if has_rec {
        let mut fams: Vec<(Family, Vec<usize>)> = Vec::new();
        for (k, (g, _)) in gs.iter().enumerate() {
            match fams.iter_mut().find(|(f, _)| *f == g.family()) {
                Some((_, v)) => v.push(k),
                None => fams.push((g.family(), vec![k])),
            }
        }
        let mut t = Table::new(
            "sweep_sample_complexity",
            &format!(
                "The largest α of the grid whose run has population error ≤ {target} (per n: median and 10–90% over seeds; a seed that never reaches it counts below the grid)"
            ),
            vec![
                Column::new("method", "method", Fmt::Plain),
                Column::new("n", "n", Fmt::Plain),
                Column::new("alpha_star_median", "α* median", Fmt::Sci(3)),
                Column::new("alpha_star_q10", "α* 10%", Fmt::Sci(3)),
                Column::new("alpha_star_q90", "α* 90%", Fmt::Sci(3)),
                Column::new("seeds_reaching", "seeds reaching the target", Fmt::Plain),
                Column::new("seeds", "seeds", Fmt::Plain),
            ],
        );
        let mut series = Vec::new();
        for (c, (fam, ks)) in fams.iter().enumerate().filter(|(_, (_, ks))| ks.len() >= 2) {
            let mut mid = Vec::new();
            let mut band = Vec::new();
            let mut amin = f64::INFINITY;
            for &k in ks {
                let (g, v) = &gs[k];
                let mut by_seed: BTreeMap<Option<u64>, Vec<(f64, f64)>> = BTreeMap::new();
                for r in v {
                    if let Some(e) = r.recovery_error_sq_abs {
                        by_seed.entry(r.key.seed).or_default().push((r.alpha, e));
                        amin = amin.min(r.alpha);
                    }
                }
                let stars: Vec<f64> = by_seed.values().map(|p| alpha_star(p, target)).collect();
                let reach = stars.iter().filter(|a| a.is_finite()).count();
                let al: Vec<f64> = stars.iter().map(|a| if a.is_finite() { *a } else { 0.0 }).collect();
                let (m, lo, hi) = (median(&al), quantile(&al, 0.1), quantile(&al, 0.9));
                if m > 0.0 {
                    mid.push((g.n as f64, m));
                    band.push((g.n as f64, lo.max(amin), hi));
                }
                t.push(vec![
                    g.family_label().into(),
                    g.n.into(),
                    m.into(),
                    lo.into(),
                    hi.into(),
                    reach.into(),
                    seeds(v).into(),
                ]);
            }
            let below: Vec<String> = ks
                .iter()
                .map(|&k| gs[k].0.n)
                .filter(|&n| !mid.iter().any(|p| p.0 == n as f64))
                .map(|n| n.to_string())
                .collect();
            let at = |p: Option<&(f64, f64)>| {
                p.map_or("— (not reached)".into(), |p| format!("{:.3e} at n = {}", p.1, p.0))
            };
            answers.push(format!(
                "Sample complexity ({}, d = {}, {} n values): the median over seeds of the largest α reaching population error ≤ {target} is {} and grows to {}{}.",
                gs[ks[0]].0.family_label(),
                fam.4,
                ks.len(),
                at(mid.first()),
                at(mid.last()),
                if below.is_empty() {
                    String::new()
                } else {
                    format!("; at n = {} fewer than half of the seeds reach it at any α of the grid", below.join(", "))
                }
            ));
            let name = gs[ks[0]].0.family_label();
            series.push(Series::line(&format!("α*(n), {name}, median"), mid, c).with_band(band));
        }
        if !series.is_empty() {
            figures.push(
                Figure::new(
                    "merged_sample_complexity",
                    &format!("{name}: the largest α with population error ≤ {target}"),
                    "samples n",
                    "largest α reaching the target",
                )
                .log(false, true)
                .caption(format!(
                    "Per (n, seed), the largest α of the sweep's grid whose run has population error ≤ {target} (the grid walked down from its largest α; no bisection, so α* is resolved to one grid step); median over seeds with the 10–90% band. With the woodworth-fig1c example this is Woodworth et al.'s Figure 1(c), as in the report's woodworth section."
                ))
                .series(series),
            );
            tables.push(t);
        }
    }
    Ok(Section {
        key: "merged".into(),
        title: format!("Merged sweep: {name}"),
        part: "Sweeps".into(),
        answers,
        tables,
        figures,
    })
}

/// `k` indices spread over `0..n` (first and last included).
fn spread(n: usize, k: usize) -> Vec<usize> {
    let mut v: Vec<usize> = (0..k).map(|i| (i * (n - 1) + (k - 1) / 2) / (k - 1)).collect();
    v.dedup();
    v
}
