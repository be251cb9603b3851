//! `ibias solve min-l2|min-l1|bregman|max-margin|separability`: the exact reference solvers, with their
//! certificates.

use super::{args, out, timed_out, watchdog};
use ibias::exact::bregman::{BregmanOptions, bregman_projection};
use ibias::exact::min_l2::require_interpolator;
use ibias::exact::{BpMethod, Solution, basis_pursuit_with, min_l2};
use ibias::potential::{DepthD, Euclidean, Hyperbolic, NegEntropy, Potential, PotentialKind};
use ibias::problem::csv::load_csv;
use ibias::{Error, Result};
use std::path::PathBuf;

#[derive(clap::ValueEnum, Clone, Copy, Debug)]
pub enum SolveKind {
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
}

#[derive(clap::Args, Debug)]
pub struct SolveArgs {
    /// min-l2, min-l1, bregman, max-margin or separability.
    kind: SolveKind,
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
    /// Starting point of the entropy potential (bregman --potential entropy): w0 = this value in every coordinate
    /// (> 0; default 1).
    #[arg(long, value_parser = args::positive)]
    w0: Option<f64>,
    /// The norm of max-margin: l2 (hard-margin SVM), l1, linf or lp (with --p).
    #[arg(long)]
    norm: Option<String>,
    /// The exponent p ∈ (1, ∞) of --norm lp.
    #[arg(long, value_parser = args::finite)]
    p: Option<f64>,
    /// Stop the solver after this many seconds (with an error).
    #[arg(long, value_parser = args::positive)]
    max_seconds: Option<f64>,
    /// Print JSON.
    #[arg(long)]
    json: bool,
}

/// `(u₀, v₀)` from two files, checked against `d`.
pub fn explicit_init(u0: &std::path::Path, v0: &std::path::Path, d: usize) -> Result<ibias::dynamics::Init> {
    let (u, v) = (ibias::problem::csv::load_vector(u0)?, ibias::problem::csv::load_vector(v0)?);
    for (name, x) in [("--u0", &u), ("--v0", &v)] {
        if x.len() != d {
            return Err(Error::param(name, format!("has {} entries but the data has d = {d} features", x.len())));
        }
    }
    ibias::dynamics::Init::explicit(u, v)
}

/// The potential named on the command line (`--potential`, with `--alpha` and `--depth`).
fn named_potential(name: &str, alpha: f64, depth: Option<u32>, d: usize) -> Result<Box<dyn Potential>> {
    let kind = name.parse::<PotentialKind>().map_err(|m| Error::param("--potential", m))?;
    if depth.is_some() && kind != PotentialKind::Depth {
        return Err(Error::param("--depth", "takes --potential depth (or run reparam --depth D)"));
    }
    Ok(match kind {
        PotentialKind::Euclidean => Box::new(Euclidean),
        PotentialKind::Hyperbolic => Box::new(Hyperbolic::uniform(alpha, d)?),
        PotentialKind::Entropy => Box::new(NegEntropy),
        PotentialKind::Depth => Box::new(DepthD::new(
            depth.ok_or_else(|| Error::param("--depth", "--potential depth needs --depth D (D ≥ 3)"))?,
            alpha,
        )?),
    })
}

/// Refuses options the chosen solver would ignore, naming what they apply to.
fn check_options(a: &SolveArgs) -> Result<()> {
    let kind = a.kind;
    let bregman = matches!(kind, SolveKind::Bregman);
    let pot = a.potential.as_deref().unwrap_or("hyperbolic");
    let refuse = |flag: &str, why: &str| Err(Error::param(flag, why.to_string()));
    if !bregman {
        for (on, flag) in [
            (a.potential.is_some(), "--potential"),
            (a.depth.is_some(), "--depth"),
            (a.shape.is_some(), "--shape"),
            (a.u0.is_some(), "--u0/--v0"),
            (a.alpha.is_some(), "--alpha"),
            (a.w0.is_some(), "--w0"),
        ] {
            if on {
                return refuse(flag, "is an option of solve bregman (the Bregman projection's potential and start)");
            }
        }
    }
    if a.bp_method.is_some() && !matches!(kind, SolveKind::MinL1) {
        return refuse("--bp-method", "is an option of solve min-l1 (the basis pursuit method)");
    }
    if (a.norm.is_some() || a.p.is_some()) && !matches!(kind, SolveKind::MaxMargin) {
        return refuse("--norm/--p", "are options of solve max-margin");
    }
    if bregman {
        if a.w0.is_some() && pot != "entropy" {
            return refuse(
                "--w0",
                "is the start of the entropy potential (--potential entropy); the hyperbolic entropy starts from w0 = 0 (or --shape/--u0/--v0)",
            );
        }
        if a.alpha.is_some() && !matches!(pot, "hyperbolic" | "depth") {
            return refuse("--alpha", "is the scale of the hyperbolic and depth potentials");
        }
        if a.alpha.is_some() && a.u0.is_some() {
            return refuse("--alpha", "an explicit --u0/--v0 sets the scales itself");
        }
    }
    Ok(())
}

pub fn run(a: SolveArgs) -> Result<i32> {
    check_options(&a)?;
    if matches!(a.kind, SolveKind::MaxMargin | SolveKind::Separability) {
        return classify(&a);
    }
    let p = load_csv(&a.data)?;
    let d = p.d();
    let alpha = a.alpha.unwrap_or(1.0);
    let potential = a.potential.clone().unwrap_or_else(|| "hyperbolic".into());
    let bar = out::Bar::new(a.json);
    bar.callback()(ibias::control::Progress::Stage("solving"));
    watchdog(a.max_seconds);
    let sol: Result<Solution> = match a.kind {
        SolveKind::MinL2 => min_l2(&p),
        SolveKind::MinL1 => {
            let m = a.bp_method.as_deref().unwrap_or("auto");
            basis_pursuit_with(&p, m.parse::<BpMethod>().map_err(|m| Error::param("--bp-method", m))?)
        }
        SolveKind::Bregman => {
            let kind = potential.parse::<PotentialKind>().map_err(|m| Error::param("--potential", m))?;
            if (a.shape.is_some() || a.u0.is_some()) && kind != PotentialKind::Hyperbolic {
                return Err(Error::param("--shape/--u0/--v0", "are options of the hyperbolic entropy"));
            }
            let (pot, w0): (Box<dyn Potential>, Vec<f64>) = match (kind, a.shape, &a.u0, &a.v0) {
                (PotentialKind::Entropy, ..) => (Box::new(NegEntropy), vec![a.w0.unwrap_or(1.0); d]),
                (PotentialKind::Hyperbolic, Some(s), _, _) => {
                    let init = ibias::dynamics::Init::shape(alpha, s, d)?;
                    (Box::new(init.potential()), init.w0())
                }
                (PotentialKind::Hyperbolic, None, Some(u), Some(v)) => {
                    let init = explicit_init(u, v, d)?;
                    (Box::new(init.potential()), init.w0())
                }
                _ => (named_potential(&potential, alpha, a.depth, d)?, vec![0.0; d]),
            };
            require_interpolator(&p, "the Bregman projection")?;
            bregman_projection(&p, pot.as_ref(), &w0, BregmanOptions::default())
        }
        SolveKind::MaxMargin | SolveKind::Separability => unreachable!("answered by classify"),
    };
    bar.finish();
    let sol = sol.map_err(|e| timed_out(e, "the solver", a.max_seconds))?;
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

/// `solve max-margin` and `solve separability`.
fn classify(a: &SolveArgs) -> Result<i32> {
    use ibias::exact::max_margin::{MarginNorm, max_margin, separability};
    let norm = MarginNorm::parse(a.norm.as_deref().unwrap_or("l2"), a.p)?;
    let p = load_csv(&a.data)?;
    watchdog(a.max_seconds);
    if matches!(a.kind, SolveKind::Separability) {
        let s = separability(&p).map_err(|e| timed_out(e, "the separability test", a.max_seconds))?;
        if a.json {
            out::json(&s)?;
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
        return Ok(0);
    }
    let m = max_margin(&p, norm).map_err(|e| timed_out(e, "the max-margin solver", a.max_seconds))?;
    if a.json {
        out::json(&m)?;
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
