//! `ibias path ridge|lasso`: regularisation paths with a certificate per point.

use super::{args, out};
use ibias::exact::saddle::SaddlePath;
use ibias::kernels::linalg;
use ibias::problem::Problem;
use ibias::problem::csv::load_csv;
use ibias::request::path::{PathOutput, PathRequest, RegKind};
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
    /// Number of λ values of the default grid (100; 1 to 100000; not with --lambdas).
    #[arg(long)]
    n_lambdas: Option<usize>,
    /// Lasso: the exact homotopy path (every breakpoint, decreasing λ): the default unless --lambdas, --n-lambdas
    /// or --positive is given.
    #[arg(long)]
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
    let req = PathRequest {
        kind: match a.kind {
            PathKind::Ridge => RegKind::Ridge,
            PathKind::Lasso => RegKind::Lasso,
            PathKind::Saddle => RegKind::Saddle,
        },
        lambdas: a.lambdas.clone(),
        n_lambdas: a.n_lambdas,
        exact: a.exact.then_some(true),
        positive: a.positive,
        uniqueness: a.uniqueness,
    };
    req.validate()?;
    let p = load_csv(&a.data)?;
    let (path, unique) = match req.run(&p)? {
        PathOutput::Saddle(s) => return saddle(&a, &p, s),
        PathOutput::Regularisation { path, unique } => (path, unique),
    };
    let unique: Option<Vec<String>> = unique.map(|u| {
        u.iter()
            .map(|u| serde_json::to_value(u).ok().and_then(|v| v.as_str().map(String::from)).unwrap_or_default())
            .collect()
    });
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
fn saddle(a: &PathArgs, p: &Problem, path: SaddlePath) -> Result<i32> {
    let last = path.saddles.last().cloned().unwrap_or_default();
    let bp = ibias::exact::basis_pursuit(p).ok();
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
