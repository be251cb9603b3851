//! Beyond the sheet — the initialisation shape, in two models (SPEC §9). Azulay et al. (ICML 2021) study
//! `w = u₊⊙v₊ − u₋⊙v₋` from `w₀ = 0`, whose limit is the projection of 0 with `c = u₀² + v₀²`
//! ([`crate::dynamics::azulay`]): it tends to `X⁺y` as `|s| → 1`. The sheet's model, below, is ours: at a fixed α, `u₀ =
//! α√((1−s)/(1+s))`, `v₀ = α√((1+s)/(1−s))` (`u₀v₀ = α²`); the limit is the Bregman projection of `w₀ = u₀² − v₀²`
//! for the hyperbolic entropy with `c = 2α²`. As `|s| → 1`, `|w₀|` grows like `2α²/(1 − |s|)`; measured against
//! two candidate limits: the kernel-regime point `w_K = w₀ + X⁺(y − Xw₀)` (the ℓ2 projection of `w₀`) and the
//! entropic point `w₀·q*`, `q* = argmin {KL(q‖1) : Xq = y/w₀}` — where `|θ₀| = |ln(u₀/v₀)|` is large, `w =
//! 2α² sinh(θ₀ + Xᵀμ) = w₀e^{±Xᵀμ}(1 + O((u₀/v₀)^{±2}))`, a multiplicative (negative-entropy) geometry around `w₀`.

use super::{Column, Figure, Fmt, Section, Series, Study, Table, Validate, count_in, in_range, non_empty};
use crate::Result;
use crate::control::{Progress, ProgressFn};
use crate::dynamics::azulay::azulay_potential;
use crate::dynamics::{Init, RunConfig, StepRule, StopRule, run_azulay, run_md, run_reparam};
use crate::exact::bregman::{BregmanOptions, bregman_projection};
use crate::exact::{basis_pursuit, min_l2};
use crate::kernels::linalg::{dist2, norm2, pinv_solve};
use crate::potential::NegEntropy;
use crate::problem::Problem;
use crate::problem::generate::GenSpec;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

/// The shape study.
pub struct Shape;

/// Configuration.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(default, deny_unknown_fields)]
pub struct ShapeConfig {
    /// Seed of the problem (the `ex2` preset: 40 × 100, 5-sparse, noiseless).
    pub seed: u64,
    /// The scale α (`u₀v₀ = α²`).
    pub alpha: f64,
    /// `log10(1 − |s|)` of the shapes (each used with both signs; s = 0 is added).
    pub log10_one_minus_s: Vec<f64>,
    /// GD on `(u, v)` is run for the shapes with `|s| ≤` this.
    pub network_max_abs_s: f64,
    /// GD on `(u, v)`: iteration cap.
    pub network_max_iter: usize,
}

impl Default for ShapeConfig {
    fn default() -> Self {
        ShapeConfig {
            seed: 0,
            alpha: 1e-3,
            log10_one_minus_s: vec![
                -std::f64::consts::LOG10_2,
                -1.0,
                -2.0,
                -3.0,
                -4.0,
                -5.0,
                -6.0,
                -7.0,
                -8.0,
                -9.0,
                -10.0,
            ],
            network_max_abs_s: 0.5,
            network_max_iter: 5_000_000,
        }
    }
}

impl Validate for ShapeConfig {
    fn validate(&self) -> Result<()> {
        const K: &str = "shape";
        in_range(K, "alpha", self.alpha, 1e-100, 1e3)?;
        non_empty(K, "log10_one_minus_s", &self.log10_one_minus_s)?;
        for &v in &self.log10_one_minus_s {
            // 1 − |s| ≥ 1e-14 keeps s representable and distinct from ±1.
            in_range(K, "log10_one_minus_s", v, -14.0, -1e-3)?;
        }
        in_range(K, "network_max_abs_s", self.network_max_abs_s, 0.0, 0.999)?;
        count_in(K, "network_max_iter", self.network_max_iter, 1, 100_000_000)
    }
}

/// One shape.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ShapeRow {
    /// The shape s.
    pub s: f64,
    /// `w₀ = −4α²s/(1 − s²)` (every coordinate).
    pub w0: f64,
    /// `(‖w‖₁ − ‖w₁*‖₁)/‖w₁*‖₁` of the exact limit.
    pub l1_gap_rel: f64,
    /// `‖w − w_K‖/‖w_K − w₀‖`: distance to the kernel-regime point, relative to the distance travelled there.
    pub kernel_distance_rel: f64,
    /// `‖w/w₀ − q*‖/‖q*‖`: distance to the entropic point (None at s = 0, or where `{q > 0 : Xq = y/w₀}` is
    /// empty).
    pub entropic_distance_rel: Option<f64>,
    /// Mirror descent (L-BFGS step) from `w₀`: `‖w − w_exact‖/‖w_exact‖`.
    pub md_distance_rel: Option<f64>,
    /// GD on `(u, v)` from `(u₀, v₀)` (safe step): `‖w − w_exact‖/‖w_exact‖` when run and converged.
    pub network_distance_rel: Option<f64>,
    /// Azulay et al.'s model `w = u₊⊙v₊ − u₋⊙v₋` from the same `(u₀, v₀)` (`w₀ = 0`): its exact limit's distance
    /// to the minimum-ℓ2 point `X⁺y`, relative to `‖X⁺y‖`.
    pub azulay_kernel_distance_rel: f64,
    /// Its relative ℓ1 gap.
    pub azulay_l1_gap_rel: f64,
    /// GD on Azulay et al.'s four factors (safe step): distance to that exact limit, when run and converged.
    pub azulay_network_distance_rel: Option<f64>,
}

/// Results.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ShapeResult {
    /// Every shape, by increasing s.
    pub rows: Vec<ShapeRow>,
}

impl Study for Shape {
    type Config = ShapeConfig;
    type Output = ShapeResult;
    const KEY: &'static str = "shape";
    const ABOUT: &'static str = "Beyond the sheet: the initialisation shape u₀ ≠ v₀ at fixed α, in the sheet's model and in Azulay et al.'s (2021)";

    fn run(cfg: &ShapeConfig, progress: ProgressFn<'_>) -> Result<(ShapeResult, Section)> {
        progress(Progress::Stage("initialisation shape"));
        let p: Problem = GenSpec::ex2(cfg.seed).generate()?.problem;
        let d = p.d();
        let bp = basis_pursuit(&p)?;
        let l2 = min_l2(&p)?;
        let mut shapes: Vec<f64> =
            cfg.log10_one_minus_s.iter().flat_map(|&l| [-(1.0 - 10f64.powf(l)), 1.0 - 10f64.powf(l)]).collect();
        shapes.push(0.0);
        shapes.sort_by(f64::total_cmp);
        shapes.dedup();
        let rows: Vec<ShapeRow> = shapes
            .par_iter()
            .with_max_len(1)
            .map(|&s| -> Result<ShapeRow> {
                let init = Init::shape(cfg.alpha, s, d)?;
                let w0 = init.w0();
                let pot = init.potential();
                let exact = bregman_projection(&p, &pot, &w0, BregmanOptions::default())?;
                let r0: Vec<f64> = p.residual(&w0).iter().map(|v| -v).collect();
                let (corr, _) = pinv_solve(p.x(), &r0)?;
                let wk: Vec<f64> = w0.iter().zip(&corr).map(|(a, b)| a + b).collect();
                let stop = StopRule::default().risk_tol(1e-22).max_iter(usize::MAX / 2).max_seconds(Some(5.0));
                let md = run_md(&p, &pot, &w0, &RunConfig::new(StepRule::Lbfgs).checkpoints(0).stop(stop))?;
                let network_distance_rel = if s.abs() <= cfg.network_max_abs_s {
                    let stop = StopRule::default().risk_tol(1e-20).max_iter(cfg.network_max_iter);
                    let z = run_reparam(&p, &init, &RunConfig::new(StepRule::Safe).checkpoints(0).stop(stop))?;
                    z.converged.then(|| dist2(&z.w, &exact.w) / norm2(&exact.w))
                } else {
                    None
                };
                // The entropic point: the negative-entropy projection of 1 onto {Xq = y/w₀}.
                let entropic_distance_rel = if s == 0.0 {
                    None
                } else {
                    let scaled = Problem::new(p.x().clone(), p.y().iter().map(|v| v / w0[0]).collect())?;
                    bregman_projection(&scaled, &NegEntropy, &vec![1.0; d], BregmanOptions::default()).ok().map(|q| {
                        let ratio: Vec<f64> = exact.w.iter().map(|v| v / w0[0]).collect();
                        dist2(&ratio, &q.w) / norm2(&q.w)
                    })
                };
                // Azulay et al.'s model from the same (u₀, v₀): the projection of 0 with c = u₀² + v₀².
                let (u0, v0) = (init.u0().to_vec(), init.v0().to_vec());
                let az =
                    bregman_projection(&p, &azulay_potential(&u0, &v0)?, &vec![0.0; d], BregmanOptions::default())?;
                let azulay_network_distance_rel = if s.abs() <= cfg.network_max_abs_s {
                    let stop = StopRule::default().risk_tol(1e-20).max_iter(cfg.network_max_iter);
                    let z = run_azulay(&p, &u0, &v0, &RunConfig::new(StepRule::Safe).checkpoints(0).stop(stop))?;
                    z.converged.then(|| dist2(&z.w, &az.w) / norm2(&az.w))
                } else {
                    None
                };
                Ok(ShapeRow {
                    azulay_kernel_distance_rel: dist2(&az.w, &l2.w) / norm2(&l2.w),
                    azulay_l1_gap_rel: (az.l1_norm - bp.l1_norm) / bp.l1_norm,
                    azulay_network_distance_rel,
                    s,
                    w0: w0[0],
                    entropic_distance_rel,
                    l1_gap_rel: (exact.l1_norm - bp.l1_norm) / bp.l1_norm,
                    kernel_distance_rel: dist2(&exact.w, &wk) / norm2(&corr).max(f64::MIN_POSITIVE),
                    md_distance_rel: md.converged.then(|| dist2(&md.w, &exact.w) / norm2(&exact.w)),
                    network_distance_rel,
                })
            })
            .collect::<Result<_>>()?;
        let section = render(cfg, &rows);
        Ok((ShapeResult { rows }, section))
    }
}

fn render(cfg: &ShapeConfig, rows: &[ShapeRow]) -> Section {
    let side = |pos: bool, f: fn(&ShapeRow) -> Option<f64>| -> Vec<(f64, f64)> {
        rows.iter()
            .filter(|r| (r.s > 0.0) == pos && r.s != 0.0)
            .filter_map(|r| f(r).map(|v| (1.0 - r.s.abs(), v.abs().max(1e-16))))
            .collect()
    };
    let fig = Figure::new("shape_sweep", &format!("The initialisation shape at α = {:.0e}", cfg.alpha), "1 − |s|", "relative quantity")
        .log(true, true)
        .caption(format!(
            "At fixed α = {:.0e} (u₀v₀ = α²), the exact limit for shapes s → ±1 (read from right to left): its relative ℓ1 gap (solid), its distance to the kernel-regime point w_K = w₀ + X⁺(y − Xw₀) relative to ‖w_K − w₀‖ (dashed), and its distance to the entropic point w₀·q*, q* the negative-entropy projection of 1 onto {{Xq = y/w₀}} (markers); s > 0 and s < 0 in two colours. In green and purple, Azulay et al.'s model w = u₊⊙v₊ − u₋⊙v₋ from the same (u₀, v₀) (w₀ = 0; its limit is the projection of 0 with c = u₀² + v₀²): its distance to the minimum-ℓ2 point X⁺y relative to ‖X⁺y‖. Values below 1e-16 are drawn on it.",
            cfg.alpha
        ))
        .series(vec![
            Series::line("ℓ1 gap, s > 0", side(true, |r| Some(r.l1_gap_rel)), 0),
            Series::dashed("to w_K, s > 0", side(true, |r| Some(r.kernel_distance_rel)), 0),
            Series::markers("to w₀q*, s > 0", side(true, |r| r.entropic_distance_rel), 0),
            Series::line("ℓ1 gap, s < 0", side(false, |r| Some(r.l1_gap_rel)), 1),
            Series::dashed("to w_K, s < 0", side(false, |r| Some(r.kernel_distance_rel)), 1),
            Series::markers("to w₀q*, s < 0", side(false, |r| r.entropic_distance_rel), 1),
            Series::line("Azulay: to X⁺y, s > 0", side(true, |r| Some(r.azulay_kernel_distance_rel)), 2),
            Series::dashed("Azulay: to X⁺y, s < 0", side(false, |r| Some(r.azulay_kernel_distance_rel)), 3),
        ]);
    let mut t = Table::new(
        "shape_sweep",
        &format!(
            "The limit against the shape s at α = {:.0e} in two models: the sheet's w = u⊙u − v⊙v (exact: Bregman projection of w₀ with c = 2α²; mirror descent from w₀; GD on (u, v)) and Azulay et al.'s w = u₊⊙v₊ − u₋⊙v₋ (exact: projection of 0 with c = u₀² + v₀²; GD on its four factors)",
            cfg.alpha
        ),
        vec![
            Column::new("s", "s", Fmt::Fixed(10)),
            Column::new("w0", "w₀ (each coordinate)", Fmt::Sci(3)),
            Column::new("l1_gap_rel", "ℓ1 gap (relative)", Fmt::Sci(3)),
            Column::new("kernel_distance_rel", "‖w − w_K‖/‖w_K − w₀‖", Fmt::Sci(3)),
            Column::new("entropic_distance_rel", "‖w/w₀ − q*‖/‖q*‖", Fmt::Sci(3)),
            Column::new("md_distance_rel", "MD → exact", Fmt::Sci(2)),
            Column::new("network_distance_rel", "GD on (u, v) → exact", Fmt::Sci(2)),
            Column::new("azulay_kernel_distance_rel", "Azulay: ‖w − X⁺y‖/‖X⁺y‖", Fmt::Sci(3)),
            Column::new("azulay_l1_gap_rel", "Azulay: ℓ1 gap (relative)", Fmt::Sci(3)),
            Column::new("azulay_network_distance_rel", "Azulay: GD → exact", Fmt::Sci(2)),
        ],
    );
    for r in rows {
        t.push(vec![
            r.s.into(),
            r.w0.into(),
            r.l1_gap_rel.into(),
            r.kernel_distance_rel.into(),
            r.entropic_distance_rel.into(),
            r.md_distance_rel.into(),
            r.network_distance_rel.into(),
            r.azulay_kernel_distance_rel.into(),
            r.azulay_l1_gap_rel.into(),
            r.azulay_network_distance_rel.into(),
        ]);
    }
    let zero = rows.iter().find(|r| r.s == 0.0);
    let extreme = rows.iter().max_by(|a, b| a.s.abs().total_cmp(&b.s.abs()));
    let md: Vec<f64> = rows.iter().filter_map(|r| r.md_distance_rel).collect();
    let net: Vec<f64> = rows.iter().filter_map(|r| r.network_distance_rel).collect();
    // The smallest |s| from which the limit is within 1e-9 of the entropic point, on both sides.
    let entropic_from = rows
        .iter()
        .filter(|r| r.entropic_distance_rel.is_some_and(|e| e <= 1e-9))
        .map(|r| r.s.abs())
        .fold(f64::INFINITY, f64::min);
    let kernel_min = rows.iter().map(|r| r.kernel_distance_rel).fold(f64::INFINITY, f64::min);
    let l1_like: Vec<f64> = rows.iter().filter(|r| r.l1_gap_rel <= 0.01).map(|r| r.s).collect();
    let answers = vec![
        format!(
            "At α = {:.0e} the limit stays ℓ1-like (relative ℓ1 gap ≤ 1%) for s ∈ [{:.4}, {:.4}] (s = 0: {}); beyond, as |s| → 1 and |w₀| = 4α²|s|/(1 − s²) grows, its ℓ1 gap grows like |w₀| ({:.3e} at s = {}, w₀ = {:.3e}).",
            cfg.alpha,
            l1_like.iter().copied().fold(f64::INFINITY, f64::min),
            l1_like.iter().copied().fold(f64::NEG_INFINITY, f64::max),
            zero.map(|r| format!("{:.2e}", r.l1_gap_rel)).unwrap_or("—".into()),
            extreme.map(|r| r.l1_gap_rel).unwrap_or(f64::NAN),
            extreme.map(|r| format!("{:.12}", r.s)).unwrap_or_default(),
            extreme.map(|r| r.w0).unwrap_or(f64::NAN),
        ),
        format!(
            "The sheet's model (w = u⊙u − v⊙v, w₀ = u₀² − v₀² ≠ 0, c = 2u₀v₀; our computation, not Azulay et al.'s): it does not become ℓ2-like: its distance to the kernel point w_K (the ℓ2 projection of w₀) never falls below {kernel_min:.2} of ‖w_K − w₀‖. Instead it becomes the entropic point w₀·q* (q* the negative-entropy projection of 1 onto {{Xq = y/w₀}}): within 1e-9 for every |s| ≥ {} on this grid — the multiplicative geometry w = w₀e^(±Xᵀμ) that a large |ln(u₀/v₀)| imposes, every coordinate keeping the sign of w₀.",
            if entropic_from.is_finite() { format!("{entropic_from:.10}") } else { "— (none)".into() }
        ),
        {
            let az_extreme = extreme.map(|r| r.azulay_kernel_distance_rel).unwrap_or(f64::NAN);
            let az_zero = zero.map(|r| r.azulay_kernel_distance_rel).unwrap_or(f64::NAN);
            let az_net: Vec<f64> = rows.iter().filter_map(|r| r.azulay_network_distance_rel).collect();
            format!(
                "Azulay et al.'s model (w = u₊⊙v₊ − u₋⊙v₋ from u₊ = u₋ = u₀, v₊ = v₋ = v₀, so w₀ = 0 and the scale is u₀² + v₀² = 2α²(1 + s²)/(1 − s²)): as |s| → 1 its limit goes to the minimum-ℓ2 point X⁺y, as they show — relative distance {az_zero:.3e} at s = 0, {az_extreme:.3e} at |s| = {} — the opposite of the sheet's model above. GD on its four factors (safe step, |s| ≤ {}) converged at {} shapes and lands within {:.1e} (relative) of that exact limit.",
                extreme.map(|r| format!("{:.12}", r.s.abs())).unwrap_or_default(),
                cfg.network_max_abs_s,
                az_net.len(),
                az_net.iter().copied().fold(0.0, f64::max)
            )
        },
        format!(
            "Mirror descent (L-BFGS) from w₀ with c = 2α² converged at {} of {} shapes and lands within {:.1e} (relative) of the exact projection; GD on (u, v) from (u₀, v₀) (|s| ≤ {}) converged at {} and lands within {:.1e} — the identity w(t) = 2u₀v₀ sinh(S(t) + ln(u₀/v₀)) of the sheet's model checked by independent dynamics.",
            md.len(),
            rows.len(),
            md.iter().copied().fold(0.0, f64::max),
            cfg.network_max_abs_s,
            net.len(),
            net.iter().copied().fold(0.0, f64::max)
        ),
    ];
    Section {
        key: String::new(),
        title: "Initialisation shape".into(),
        part: "Beyond the sheet".into(),
        answers,
        tables: vec![t],
        figures: vec![fig],
    }
}
