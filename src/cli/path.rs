//! `ibias path ridge|lasso`: regularisation paths with a certificate per point.

use super::{args, out};
use ibias::exact::Path;
use ibias::exact::lasso::{CdOptions, default_lasso_grid, lasso_cd, lasso_path};
use ibias::exact::ridge::{default_ridge_grid, ridge_path};
use ibias::exact::uniqueness::lasso_uniqueness;
use ibias::kernels::linalg;
use ibias::problem::csv::load_csv;
use ibias::{Error, Result};
use std::path::PathBuf;

#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq)]
pub enum PathKind {
    /// R(w) + λ‖w‖₂².
    Ridge,
    /// R(w) + λ‖w‖₁.
    Lasso,
    /// The α → 0 limit of GD on (u, v) in accelerated time: the saddle-to-saddle path (Pesme & Flammarion 2023).
    Saddle,
}

/// λ is in the sheet's convention R(w) + λ·pen(w) with R(w) = (1/n)‖Xw − y‖²; scikit-learn's Lasso
/// minimises (1/(2n))‖y − Xw‖² + a‖w‖₁, so its `alpha` is a = λ/2 (fit_intercept=False).
#[derive(clap::Args, Debug)]
#[command(
    after_help = "λ convention: R(w) + λ·pen(w), R(w) = (1/n)‖Xw − y‖². scikit-learn's Lasso alpha is a = λ/2 (fit_intercept=False); its Ridge alpha is n·λ."
)]
pub struct PathArgs {
    /// ridge, lasso or saddle (the α → 0 saddle-to-saddle path).
    kind: PathKind,
    /// CSV file (last column y).
    #[arg(long)]
    data: PathBuf,
    /// Comma-separated λ values (each finite and ≥ 0).
    #[arg(long, value_delimiter = ',', value_parser = args::non_negative, num_args = 1..)]
    lambdas: Option<Vec<f64>>,
    /// Number of λ values of the default grid (100; not with --lambdas).
    #[arg(long, conflicts_with = "lambdas")]
    n_lambdas: Option<usize>,
    /// Lasso: the exact homotopy path (every breakpoint, decreasing λ).
    #[arg(long, conflicts_with_all = ["lambdas", "positive"])]
    exact: bool,
    /// Lasso: constrain w ≥ 0 (coordinate descent).
    #[arg(long)]
    positive: bool,
    /// Lasso: report for every point whether it is the unique solution at its λ.
    #[arg(long)]
    uniqueness: bool,
    /// Print JSON.
    #[arg(long)]
    json: bool,
}

pub fn run(a: PathArgs) -> Result<i32> {
    if a.kind == PathKind::Saddle {
        if a.exact || a.positive || a.uniqueness || a.lambdas.is_some() {
            return Err(Error::param("--exact/--positive/--uniqueness/--lambdas", "are options of the Lasso path"));
        }
        return saddle(&a);
    }
    if a.kind == PathKind::Ridge && (a.exact || a.positive || a.uniqueness) {
        return Err(Error::param(
            "--exact/--positive/--uniqueness",
            "are options of the Lasso path; the ridge path is computed exactly from one SVD",
        ));
    }
    let n_lambdas = a.n_lambdas.unwrap_or(100);
    if n_lambdas == 0 || n_lambdas > 100_000 {
        return Err(Error::param("--n-lambdas", format!("must be in [1, 100000], got {n_lambdas}")));
    }
    let p = load_csv(&a.data)?;
    let path: Path = match a.kind {
        PathKind::Ridge => {
            let grid = match a.lambdas {
                Some(l) => l,
                None => default_ridge_grid(&p, n_lambdas)?,
            };
            ridge_path(&p, &grid)?
        }
        PathKind::Lasso if a.exact => lasso_path(&p)?,
        PathKind::Saddle => unreachable!("handled above"),
        PathKind::Lasso => {
            let grid = match a.lambdas {
                Some(l) => l,
                None => default_lasso_grid(&p, n_lambdas, a.positive),
            };
            lasso_cd(&p, &grid, CdOptions { positive: a.positive, ..Default::default() })?
        }
    };
    let unique: Option<Vec<String>> = if a.uniqueness {
        Some(
            path.lambdas
                .iter()
                .zip(&path.coefs)
                .map(|(&l, w)| {
                    lasso_uniqueness(&p, w, l).map(|u| {
                        serde_json::to_value(u).ok().and_then(|v| v.as_str().map(String::from)).unwrap_or_default()
                    })
                })
                .collect::<Result<_>>()?,
        )
    } else {
        None
    };
    if a.json {
        let mut v = serde_json::to_value(&path).map_err(|e| Error::Numerical(e.to_string()))?;
        if let Some(u) = unique {
            v["unique"] = u.into();
        }
        out::json(&v)?;
        return Ok(0);
    }
    out::line(format!(
        "{:?} path ({}), {} values of λ, {:.4} s",
        path.kind,
        path.method,
        path.lambdas.len(),
        path.wall_seconds
    ))?;
    for (k, (l, (w, c))) in path.lambdas.iter().zip(path.coefs.iter().zip(&path.certificates)).enumerate() {
        let u = unique.as_ref().map(|u| format!(", unique: {}", u[k])).unwrap_or_default();
        match a.kind {
            PathKind::Ridge | PathKind::Saddle => out::line(format!(
                "λ = {l:.6e}: ‖w‖₂ = {:.6e}, KKT violation {:.1e}",
                linalg::norm2(w),
                c.kkt_violation
            ))?,
            PathKind::Lasso => {
                let t = 1e-9 * linalg::norm_inf(w);
                let nz = w.iter().filter(|v| v.abs() > t).count();
                out::line(format!(
                    "λ = {l:.6e}: ‖w‖₁ = {:.6e}, non-zeros {nz}, KKT violation {:.1e}, duality gap {:.1e}{u}",
                    linalg::norm1(w),
                    c.kkt_violation,
                    c.duality_gap_abs.unwrap_or(f64::NAN)
                ))?
            }
        }
    }
    Ok(0)
}

/// `ibias path saddle`: every plateau of the limit path, its certificate, and the last saddle against basis pursuit.
fn saddle(a: &PathArgs) -> Result<i32> {
    let p = load_csv(&a.data)?;
    let path = ibias::exact::saddle::saddle_path(&p)?;
    let last = path.saddles.last().cloned().unwrap_or_default();
    let bp = ibias::exact::basis_pursuit(&p).ok();
    if a.json {
        let mut v = serde_json::to_value(&path).map_err(|e| Error::Numerical(e.to_string()))?;
        if let Some(bp) = &bp {
            v["basis_pursuit_l1_norm"] = bp.l1_norm.into();
        }
        out::json(&v)?;
        return Ok(0);
    }
    out::line(format!(
        "saddle-to-saddle path: {} jumps, {:.4} s; max |q| = {:.15}",
        path.times.len() - 1,
        path.wall_seconds,
        path.q_max
    ))?;
    for k in 0..path.times.len() {
        let nz: Vec<String> = path.saddles[k]
            .iter()
            .enumerate()
            .filter(|(_, v)| **v != 0.0)
            .map(|(j, v)| format!("{j}: {v:.6}"))
            .collect();
        out::line(format!(
            "τ = {:.12}: saturated (|q| = 1) {:?}, saddle {{{}}}, KKT residual {:.1e}",
            path.times[k],
            path.saturated[k],
            nz.join(", "),
            path.kkt_residual[k]
        ))?;
    }
    if let Some(bp) = bp {
        out::line(format!(
            "last saddle ‖β‖₁ = {:.15}; basis pursuit ‖w₁*‖₁ = {:.15}",
            linalg::norm1(&last),
            bp.l1_norm
        ))?;
    }
    Ok(0)
}
