//! `ibias solve min-l2|min-l1|bregman|max-margin|separability`: the exact reference solvers, with their
//! certificates.

use super::{args, out, timed_out, watchdog};
use ibias::exact::BpMethod;
use ibias::exact::max_margin::{MaxMargin, Separability};
use ibias::potential::PotentialKind;
use ibias::problem::csv::{load_csv, load_vector};
use ibias::request::PotentialChoice;
use ibias::request::solve::{SolveKind, SolveOutput, SolveRequest};
use ibias::{Error, Result};
use std::path::PathBuf;

#[derive(clap::ValueEnum, Clone, Copy, Debug)]
pub enum SolveName {
    /// Minimum-ℓ2-norm least squares X⁺y.
    MinL2,
    /// Minimum-ℓ1 interpolator (basis pursuit), with its dual certificate and a uniqueness verdict.
    MinL1,
    /// Bregman projection argmin_{Xw=y} D_ψ(w, w0): the limit of mirror descent.
    Bregman,
    /// Maximum-margin classifier for --norm (labels ±1): unit-norm direction, margin, support vectors, duality gap.
    MaxMargin,
    /// Whether labels ±1 are linearly separable through the origin, with the certificate either way.
    Separability,
    /// Soudry et al.'s asymptotics of GD on separable data: w(t) = ŵ ln t + w̃ + o(1), certified.
    Soudry,
    /// Matrix sensing (rows vec(Aᵢ), m² columns, then y): the minimum nuclear norm interpolator (symmetric W, or
    /// W ⪰ 0 with --psd), an SDP certified by its dual (‖Σλᵢ Aᵢ‖₂ ≤ 1) and duality gap.
    MinNuclear,
    /// Matrix sensing: the minimum Frobenius interpolator.
    MinFrobenius,
    /// Matrix sensing: the spectral Bregman projection for the spectral hyperbolic entropy at --alpha (default 1),
    /// the limit of spectral mirror descent (`ibias run spectral-md`).
    SpectralBregman,
    /// Matrix sensing: greedy low-rank learning (Li, Luo & Lyu 2021), the α → 0 limit of GD on U Uᵀ: stages, escape
    /// rates λ_r and their time scales 2/λ_r per unit of ln(1/α) (up to --max-rank).
    GreedyLowRank,
}

impl From<SolveName> for SolveKind {
    fn from(k: SolveName) -> Self {
        match k {
            SolveName::MinL2 => SolveKind::MinL2,
            SolveName::MinL1 => SolveKind::MinL1,
            SolveName::Bregman => SolveKind::Bregman,
            SolveName::MaxMargin => SolveKind::MaxMargin,
            SolveName::Separability => SolveKind::Separability,
            SolveName::Soudry => SolveKind::Soudry,
            SolveName::MinNuclear => SolveKind::MinNuclear,
            SolveName::MinFrobenius => SolveKind::MinFrobenius,
            SolveName::SpectralBregman => SolveKind::SpectralBregman,
            SolveName::GreedyLowRank => SolveKind::GreedyLowRank,
        }
    }
}

#[derive(clap::Args, Debug)]
pub struct SolveArgs {
    /// min-l2, min-l1, bregman, max-margin, separability or soudry.
    kind: SolveName,
    /// CSV file (last column y).
    #[arg(long)]
    data: PathBuf,
    /// Potential of the Bregman projection (depth: the depth-D network's, with --depth).
    #[arg(long, value_parser = ["euclidean", "hyperbolic", "entropy", "depth"])]
    potential: Option<String>,
    /// Depth D ≥ 3 of --potential depth.
    #[arg(long)]
    depth: Option<u32>,
    /// Hyperbolic entropy from the initialisation shape s ∈ (−1, 1) (u0 = α√((1−s)/(1+s)), v0 = α√((1+s)/(1−s))):
    /// the projection of w0 = u0² − v0² with c = 2u0v0 (Azulay et al. 2021).
    #[arg(long, value_parser = args::finite)]
    shape: Option<f64>,
    /// Hyperbolic entropy from an explicit initialisation: u0 from a file (d numbers > 0); needs --v0.
    #[arg(long, requires = "v0", conflicts_with = "shape")]
    u0: Option<PathBuf>,
    /// v0 from a file (with --u0): the projection of w0 = u0² − v0² with c = 2u0⊙v0.
    #[arg(long, requires = "u0")]
    v0: Option<PathBuf>,
    /// α of the hyperbolic entropy (c = 2α², default 1), from w0 = 0; or of the depth potential.
    #[arg(long, value_parser = args::alpha)]
    alpha: Option<f64>,
    /// Basis pursuit method (min-l1): auto (homotopy, LP fallback; default), lp (clarabel) or homotopy.
    #[arg(long, value_parser = ["auto", "lp", "homotopy"])]
    bp_method: Option<String>,
    /// Start of the Bregman projection: w0 = this value in every coordinate (default 0; the entropy's 1, where it
    /// must be > 0). Not with --shape/--u0/--v0, which set the start themselves.
    #[arg(long, value_parser = args::finite)]
    w0: Option<f64>,
    /// The norm of max-margin: l2 (hard-margin SVM), l1, linf or lp (with --p).
    #[arg(long)]
    norm: Option<String>,
    /// The exponent p ∈ (1, ∞) of --norm lp.
    #[arg(long, value_parser = args::finite)]
    p: Option<f64>,
    /// min-nuclear: over positive semidefinite W (min tr W) instead of every symmetric W.
    #[arg(long)]
    psd: bool,
    /// greedy-low-rank: the largest rank (default m).
    #[arg(long)]
    max_rank: Option<usize>,
    /// Stop the solver after this many seconds (with an error).
    #[arg(long, value_parser = args::positive)]
    max_seconds: Option<f64>,
    /// Print JSON.
    #[arg(long)]
    json: bool,
}

/// The library's request from the command line (files read, names parsed; the library validates).
fn request(a: &SolveArgs) -> Result<SolveRequest> {
    let potential = match a.potential.as_deref() {
        Some(name) => {
            Some(PotentialChoice::Kind(name.parse::<PotentialKind>().map_err(|m| Error::param("potential", m))?))
        }
        None => None,
    };
    let bp_method = match a.bp_method.as_deref() {
        Some(m) => Some(m.parse::<BpMethod>().map_err(|m| Error::param("bp_method", m))?),
        None => None,
    };
    Ok(SolveRequest {
        kind: a.kind.into(),
        potential,
        alpha: a.alpha,
        depth: a.depth,
        shape: a.shape,
        u0: a.u0.as_deref().map(load_vector).transpose()?,
        v0: a.v0.as_deref().map(load_vector).transpose()?,
        w0: a.w0.map(|v| vec![v]),
        bp_method,
        norm: a.norm.clone(),
        p: a.p,
        psd: a.psd,
        max_rank: a.max_rank,
    })
}

pub fn run(a: SolveArgs) -> Result<i32> {
    let req = request(&a)?;
    req.validate()?;
    let p = load_csv(&a.data)?;
    let bar =
        out::Bar::new(a.json || matches!(a.kind, SolveName::MaxMargin | SolveName::Separability | SolveName::Soudry));
    bar.callback()(ibias::control::Progress::Stage("solving"));
    watchdog(a.max_seconds);
    let what = match a.kind {
        SolveName::MaxMargin => "the max-margin solver",
        SolveName::Separability => "the separability test",
        SolveName::Soudry => "the asymptotics solver",
        _ => "the solver",
    };
    let answer = req.run(&p);
    bar.finish();
    let sol = match answer.map_err(|e| timed_out(e, what, a.max_seconds))? {
        SolveOutput::Solution(s) => s,
        SolveOutput::MaxMargin(m) => return show_max_margin(&a, &m),
        SolveOutput::Separability(s) => return show_separability(&a, &s),
        SolveOutput::Soudry(s) => return show_soudry(&a, &s),
        SolveOutput::Matrix(s) => return show_matrix(&a, &s),
        SolveOutput::Greedy(g) => return show_greedy(&a, &g),
    };
    if a.json {
        out::json(&sol)?;
        return Ok(0);
    }
    let c = &sol.certificate;
    out::line(format!("{}: ‖w‖₁ = {:.15}, ‖w‖₂ = {:.15}", sol.method, sol.l1_norm, sol.l2_norm))?;
    out::line(format!(
        "residual ‖Xw − y‖₂ = {:.3e} (relative {:.3e}), {:.4} s",
        c.residual_norm, c.residual_rel, sol.wall_seconds
    ))?;
    if let Some(g) = c.duality_gap_abs {
        out::line(format!(
            "duality gap ‖w‖₁ − yᵀμ = {:.3e} (relative {:.3e}); ‖Xᵀμ‖∞ before scaling {:.6}",
            g,
            c.duality_gap_rel.unwrap_or(f64::NAN),
            c.dual_sup_norm.unwrap_or(f64::NAN)
        ))?;
    }
    if let Some(r) = c.normal_residual_norm {
        out::line(format!("normal residual ‖Xᵀ(Xw − y)‖₂ = {r:.3e}; rank {}", c.rank.unwrap_or(0)))?;
    }
    if let Some(it) = c.iterations {
        out::line(format!("solver iterations {it}"))?;
    }
    if let (Some(s), Some(t)) = (&sol.support, sol.support_threshold) {
        let shown: Vec<String> = s.iter().take(40).map(|j| j.to_string()).collect();
        out::line(format!(
            "support ({} coefficients with |wⱼ| > {t:.1e} = 1e-9·‖w‖∞): [{}{}]",
            s.len(),
            shown.join(", "),
            if s.len() > 40 { ", …" } else { "" }
        ))?;
    }
    if let Some(u) = c.unique {
        out::line(format!("uniqueness: {u}"))?;
    }
    Ok(0)
}

/// `solve min-nuclear` and `solve min-frobenius`.
fn show_matrix(a: &SolveArgs, s: &ibias::exact::nuclear::MatrixSolution) -> Result<i32> {
    if a.json {
        out::json(s)?;
        return Ok(0);
    }
    let c = &s.certificate;
    out::line(format!(
        "{}: W is {} × {}, ‖W‖_* = {:.15}, ‖W‖_F = {:.15}, ‖W‖₂ = {:.6}",
        s.method, s.m, s.m, s.nuclear_norm, s.frobenius_norm, s.operator_norm
    ))?;
    let shown: Vec<String> = s.eigenvalues.iter().take(8).map(|l| format!("{l:.6e}")).collect();
    out::line(format!(
        "eigenvalues (decreasing): [{}{}]; numerical rank {} (|λ| > 1e-8·‖W‖₂), effective rank {:.4}",
        shown.join(", "),
        if s.eigenvalues.len() > 8 { ", …" } else { "" },
        s.numerical_rank,
        s.effective_rank
    ))?;
    out::line(format!(
        "residual ‖𝒜(W) − y‖₂ = {:.3e} (relative {:.3e}), {:.4} s",
        c.residual_norm, c.residual_rel, s.wall_seconds
    ))?;
    if let (Some(g), Some(gr), Some(op)) = (c.duality_gap_abs, c.duality_gap_rel, c.dual_operator_norm) {
        out::line(format!(
            "duality gap ‖W‖_* − yᵀλ = {g:.3e} (relative {gr:.3e}); ‖Σλᵢ Aᵢ‖₂ before scaling {op:.9}; {} interior-point \
             iterations",
            c.iterations.unwrap_or(0)
        ))?;
    }
    if let Some(e) = c.min_eigenvalue {
        out::line(format!("smallest eigenvalue of W {e:.3e} (W ⪰ 0)"))?;
    }
    if let Some(f) = c.forward_error_rel {
        out::line(format!("last Newton step ‖ΔW‖_F/‖W‖_F {f:.3e}; {} Newton steps", c.iterations.unwrap_or(0)))?;
    }
    if let Some(o) = c.outside_span_rel {
        out::line(format!("component outside span{{vec Aᵢ}} (relative) {o:.3e}"))?;
    }
    out::line("--json prints W")?;
    Ok(0)
}

/// `solve greedy-low-rank`.
fn show_greedy(a: &SolveArgs, g: &ibias::exact::greedy_low_rank::GreedyLowRank) -> Result<i32> {
    if a.json {
        out::json(g)?;
        return Ok(0);
    }
    out::line(format!("greedy low-rank learning ({} × {}): {} stages", g.m, g.m, g.stages.len()))?;
    for s in &g.stages {
        out::line(format!(
            "rank {}: escape rate λ = {:.6e} (time scale 2/λ = {:.4}·ln(1/α) of flow time), R = {:.3e}, top eigenvalue {:.6}, {} GD steps",
            s.rank,
            s.escape_rate,
            s.plateau_per_log_inv_alpha,
            s.risk,
            s.eigenvalues.first().copied().unwrap_or(0.0),
            s.steps
        ))?;
    }
    out::line(format!(
        "end: {} (λ_max(−∇R) = {:.3e}, ⟨∇R(W), W⟩ = {:.3e}), R/R(0) = {:.3e}; --json prints W",
        if g.complete { "no direction left to escape along" } else { "stopped at --max-rank" },
        g.final_escape_rate,
        g.complementarity_abs,
        g.risk_rel
    ))?;
    Ok(0)
}

/// `solve soudry`.
fn show_soudry(a: &SolveArgs, s: &ibias::exact::soudry::SoudryAsymptotics) -> Result<i32> {
    if a.json {
        out::json(s)?;
        return Ok(0);
    }
    let c = &s.certificate;
    let show = |v: &[f64]| v.iter().take(8).map(|x| format!("{x:.6}")).collect::<Vec<_>>().join(", ");
    let more = if s.w_hat.len() > 8 { ", …" } else { "" };
    out::line("GD on separable data: w(t) = ŵ·ln t + w̃ + o(1) in flow time t (GD with step η: t = ηk)")?;
    out::line(format!("ŵ (hard-margin SVM, ‖ŵ‖₂ = 1/γ₂* = {:.12}) = [{}{more}]", 1.0 / s.margin, show(&s.w_hat)))?;
    out::line(format!(
        "w̃ = [{}{more}] ({})",
        show(&s.w_tilde),
        if s.determined {
            "the support vectors span ℝᵈ: all of the limit of w(t) − ŵ ln t"
        } else {
            "its component in the span of the support vectors; the rest depends on the early trajectory"
        }
    ))?;
    out::line(format!("direction gap ‖w/‖w‖ − ŵ/‖ŵ‖‖₂ ≈ {:.6}/ln t", s.gap_constant))?;
    out::line(format!(
        "certificate: support vectors {:?} (0-based) on the margin to {:.1e}, every other row's margin ≥ {:.6}, \
         min α = {:.3e}; w̃ solves its equations to {:.1e}",
        s.support_vectors, c.support_margin_residual_abs, c.min_margin_off_support, c.min_alpha, c.w_tilde_residual_abs
    ))?;
    Ok(0)
}

/// `solve separability`.
fn show_separability(a: &SolveArgs, s: &Separability) -> Result<i32> {
    if a.json {
        out::json(s)?;
    } else if s.separable {
        out::line("separable: a w with yᵢ⟨xᵢ, w⟩ ≥ 1 for every row was found and checked (--json prints it)")?;
    } else {
        let rows: Vec<String> = s.conflicting_rows.iter().flatten().take(20).map(|i| (i + 1).to_string()).collect();
        out::line(format!(
            "not separable: a convex combination Σλᵢyᵢxᵢ of rows {} (1-based) is 0 (‖·‖∞ = {:.1e}, relative; --json prints λ)",
            rows.join(", "),
            s.combination_residual_rel.unwrap_or(f64::NAN)
        ))?;
    }
    Ok(0)
}

/// `solve max-margin`.
fn show_max_margin(a: &SolveArgs, m: &MaxMargin) -> Result<i32> {
    if a.json {
        out::json(m)?;
        return Ok(0);
    }
    let c = &m.certificate;
    out::line(format!(
        "{}: ‖w‖_{} = 1, margin γ = minᵢ yᵢ⟨xᵢ, w⟩ = {:.15} (no unit direction exceeds {:.15})",
        m.method,
        match m.p {
            Some(p) => format!("p (p = {p})"),
            None => m.norm.trim_start_matches('l').to_string(),
        },
        m.margin,
        c.margin_upper_bound
    ))?;
    out::line(format!(
        "duality gap P − D = {:.3e} (relative {:.3e}), {} interior-point iterations, {:.4} s",
        c.duality_gap_abs, c.duality_gap_rel, c.iterations, m.wall_seconds
    ))?;
    let shown: Vec<String> = m.support_vectors.iter().take(40).map(|i| i.to_string()).collect();
    out::line(format!(
        "support vectors ({} rows with λᵢ > 1e-8·max λ, 0-based): [{}{}]",
        m.support_vectors.len(),
        shown.join(", "),
        if m.support_vectors.len() > 40 { ", …" } else { "" }
    ))?;
    out::line(format!(
        "uniqueness: {}",
        match m.unique {
            Some(true) => "the direction is unique (strictly convex norm)",
            _ => "not decided (ℓ1 and ℓ∞ max-margin directions need not be unique)",
        }
    ))?;
    Ok(0)
}
