//! `ibias solve` and `ibias path`: the exact reference solvers on a CSV dataset.

use crate::cli::{PotentialArg, print_json};
use crate::data;
use crate::exact::bregman::{BregmanOptions, bregman_projection};
use crate::exact::lasso::{CdOptions, default_lasso_grid, lasso_cd, lasso_homotopy};
use crate::exact::min_l2;
use crate::exact::ridge::{default_ridge_grid, ridge_path};
use crate::{Error, Result};
use clap::ValueEnum;
use std::path::PathBuf;

#[derive(ValueEnum, Clone, Copy, Debug)]
pub(crate) enum SolveKind {
    /// Minimum-ℓ2-norm least squares X⁺y.
    MinL2,
    /// Minimum-ℓ1 interpolator (basis pursuit).
    MinL1,
    /// Bregman projection argmin_{Xw=y} D_ψ(w, w0): the limit of mirror descent.
    Bregman,
}

/// Arguments of `ibias solve`.
#[derive(clap::Args, Debug)]
pub struct SolveArgs {
    /// min-l2, min-l1 or bregman.
    kind: SolveKind,
    /// CSV file (last column y).
    #[arg(long)]
    data: PathBuf,
    /// Potential of the Bregman projection.
    #[arg(long, value_enum, default_value = "hyperbolic")]
    potential: PotentialArg,
    /// α of the hyperbolic entropy (c = 2α²), from w0 = 0.
    #[arg(long, default_value_t = 1.0)]
    alpha: f64,
    /// Basis pursuit method: auto (homotopy, LP fallback), lp (clarabel) or homotopy.
    #[arg(long, value_enum, default_value = "auto")]
    bp_method: crate::exact::BpMethod,
    /// Starting point w0 for the entropy potential: w0 = this value in every coordinate (must be > 0).
    #[arg(long, default_value_t = 1.0)]
    w0: f64,
    /// Print JSON.
    #[arg(long)]
    json: bool,
}

#[derive(ValueEnum, Clone, Copy, Debug)]
pub(crate) enum PathKind {
    Ridge,
    Lasso,
}

/// Arguments of `ibias path`.
///
/// λ is in the sheet's convention R(w) + λ·‖w‖₁ with R(w) = (1/n)‖Xw − y‖²; scikit-learn's Lasso
/// minimises (1/(2n))‖y − Xw‖² + a‖w‖₁, so its `alpha` is a = λ/2 (fit_intercept=False).
#[derive(clap::Args, Debug)]
#[command(
    after_help = "λ convention: R(w) + λ·pen(w), R(w) = (1/n)‖Xw − y‖². scikit-learn's Lasso alpha is a = λ/2 (fit_intercept=False); its Ridge alpha is n·λ."
)]
pub struct PathArgs {
    /// ridge or lasso.
    kind: PathKind,
    /// CSV file (last column y).
    #[arg(long)]
    data: PathBuf,
    /// Comma-separated λ values.
    #[arg(long, value_delimiter = ',')]
    lambdas: Option<Vec<f64>>,
    /// Number of λ values of the default grid.
    #[arg(long, default_value_t = 100)]
    n_lambdas: usize,
    /// Lasso: the exact homotopy path (breakpoints, decreasing λ).
    #[arg(long)]
    exact: bool,
    /// Lasso: constrain w ≥ 0 (coordinate descent).
    #[arg(long)]
    positive: bool,
    /// Print JSON.
    #[arg(long)]
    json: bool,
}

pub(crate) fn solve(a: SolveArgs) -> Result<()> {
    let p = data::load_csv(&a.data)?;
    let d = p.d();
    let sol = match a.kind {
        SolveKind::MinL2 => min_l2(&p)?,
        SolveKind::MinL1 => crate::exact::basis_pursuit_with(&p, a.bp_method)?,
        SolveKind::Bregman => {
            let w0 = match a.potential {
                PotentialArg::Entropy => {
                    if !(a.w0.is_finite() && a.w0 > 0.0) {
                        return Err(Error::Param(format!(
                            "--potential entropy needs a positive starting point, got --w0 {}",
                            a.w0
                        )));
                    }
                    vec![a.w0; d]
                }
                _ => vec![0.0; d],
            };
            crate::exact::min_l2::require_interpolator(&p, "the Bregman projection")?;
            let pot = crate::cli::potential_of(a.potential, a.alpha, d)?;
            bregman_projection(&p, pot.as_ref(), &w0, BregmanOptions::default())?
        }
    };
    if a.json {
        print_json(&sol)
    } else {
        println!("{}: ‖w‖₁ = {:.15}, ‖w‖₂ = {:.15}", sol.method, sol.l1, sol.l2);
        println!(
            "residual ‖Xw − y‖ = {:.3e} (relative {:.3e}), {:.4} s",
            sol.residual, sol.certificate.residual_rel, sol.seconds
        );
        if let Some(g) = sol.certificate.duality_gap {
            println!("duality gap {:.3e} (relative {:.3e})", g, sol.certificate.duality_gap_rel.unwrap_or(0.0));
        }
        if let Some(s) = &sol.support {
            println!("support ({}): {:?}", s.len(), s);
        }
        Ok(())
    }
}

pub(crate) fn path(a: PathArgs) -> Result<()> {
    let p = data::load_csv(&a.data)?;
    if a.n_lambdas == 0 && a.lambdas.is_none() {
        return Err(Error::Param("--n-lambdas must be ≥ 1".into()));
    }
    let path = match a.kind {
        PathKind::Ridge => {
            let grid = match a.lambdas {
                Some(l) => l,
                None => default_ridge_grid(&p, a.n_lambdas)?,
            };
            ridge_path(&p, &grid)?
        }
        PathKind::Lasso => {
            if a.exact {
                if a.positive {
                    return Err(Error::Param(
                        "--exact computes the unconstrained path; drop --positive or --exact".into(),
                    ));
                }
                if a.lambdas.is_some() {
                    return Err(Error::Param("--exact returns the breakpoints; it takes no --lambdas".into()));
                }
                lasso_homotopy(&p)?
            } else {
                let grid = match a.lambdas {
                    Some(l) => l,
                    None => default_lasso_grid(&p, a.n_lambdas, a.positive),
                };
                lasso_cd(&p, &grid, CdOptions { positive: a.positive, ..Default::default() })?
            }
        }
    };
    if a.json {
        print_json(&path)
    } else {
        println!("{} path ({}), {} values of λ, {:.4} s", path.kind, path.method, path.lambdas.len(), path.seconds);
        for (l, (w, c)) in path.lambdas.iter().zip(path.coefs.iter().zip(&path.certificates)) {
            let nz = w.iter().filter(|v| **v != 0.0).count();
            println!("λ = {l:.6e}: ‖w‖₁ = {:.6e}, non-zeros {nz}, KKT {:.1e}", crate::linalg::norm1(w), c.kkt);
        }
        Ok(())
    }
}
