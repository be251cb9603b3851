//! `ibias solve min-l2|min-l1|bregman`: the exact reference solvers, with their certificates.

use super::{args, out, timed_out, watchdog};
use ibias::exact::bregman::{BregmanOptions, bregman_projection};
use ibias::exact::min_l2::require_interpolator;
use ibias::exact::{BpMethod, Solution, basis_pursuit_with, min_l2};
use ibias::potential::{NegEntropy, Potential, PotentialKind};
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
}

#[derive(clap::Args, Debug)]
pub struct SolveArgs {
    /// min-l2, min-l1 or bregman.
    kind: SolveKind,
    /// CSV file (last column y).
    #[arg(long)]
    data: PathBuf,
    /// Potential of the Bregman projection (depth: the depth-D network's, with --depth).
    #[arg(long, default_value = "hyperbolic", value_parser = ["euclidean", "hyperbolic", "entropy", "depth"])]
    potential: String,
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
    /// α of the hyperbolic entropy (c = 2α²), from w0 = 0.
    #[arg(long, default_value = "1.0", value_parser = args::alpha)]
    alpha: f64,
    /// Basis pursuit method: auto (homotopy, LP fallback), lp (clarabel) or homotopy.
    #[arg(long, default_value = "auto", value_parser = ["auto", "lp", "homotopy"])]
    bp_method: String,
    /// Starting point w0 for the entropy potential: w0 = this value in every coordinate (must be > 0).
    #[arg(long, default_value = "1.0", value_parser = args::positive)]
    w0: f64,
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

pub fn run(a: SolveArgs) -> Result<i32> {
    let p = load_csv(&a.data)?;
    let d = p.d();
    let bar = out::Bar::new(a.json);
    bar.callback()(ibias::control::Progress::Stage("solving"));
    watchdog(a.max_seconds);
    let sol: Result<Solution> = match a.kind {
        SolveKind::MinL2 => min_l2(&p),
        SolveKind::MinL1 => {
            basis_pursuit_with(&p, a.bp_method.parse::<BpMethod>().map_err(|m| Error::param("--bp-method", m))?)
        }
        SolveKind::Bregman => {
            let kind = a.potential.parse::<PotentialKind>().map_err(|m| Error::param("--potential", m))?;
            if (a.shape.is_some() || a.u0.is_some()) && kind != PotentialKind::Hyperbolic {
                return Err(Error::param("--shape/--u0/--v0", "are options of the hyperbolic entropy"));
            }
            let (pot, w0): (Box<dyn Potential>, Vec<f64>) = match (kind, a.shape, &a.u0, &a.v0) {
                (PotentialKind::Entropy, ..) => (Box::new(NegEntropy), vec![a.w0; d]),
                (PotentialKind::Hyperbolic, Some(s), _, _) => {
                    let init = ibias::dynamics::Init::shape(a.alpha, s, d)?;
                    (Box::new(init.potential()), init.w0())
                }
                (PotentialKind::Hyperbolic, None, Some(u), Some(v)) => {
                    let init = explicit_init(u, v, d)?;
                    (Box::new(init.potential()), init.w0())
                }
                _ => (super::run::potential(&a.potential, a.alpha, a.depth, d)?, vec![0.0; d]),
            };
            require_interpolator(&p, "the Bregman projection")?;
            bregman_projection(&p, pot.as_ref(), &w0, BregmanOptions::default())
        }
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
