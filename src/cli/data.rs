//! `ibias data gen|info`.

use super::args;
use super::out;
use ibias::kernels::linalg::Dense;
use ibias::problem::csv::{arrays_to_csv, load_csv};
use ibias::problem::generate::{Entries, GenSpec};
use ibias::{Error, Result};
use std::path::PathBuf;

#[derive(clap::Subcommand, Debug)]
pub enum DataCmd {
    /// Generate a seeded synthetic dataset (ChaCha8) and write it as CSV (last column y).
    Gen(Box<GenArgs>),
    /// Describe a CSV dataset: shape, rank, singular values, smoothness, hash.
    Info {
        /// CSV file (numeric, comma-separated, last column y, optional header).
        file: PathBuf,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
}

#[derive(clap::Args, Debug)]
pub struct GenArgs {
    /// A preset: ex2 (40×100, 5-sparse ±1, noiseless), ex3 (100×2, w* = (1,0), unit noise), woodworth
    /// (100×1000, 5-sparse 1/√5, noise 0.1); classification (labels ±1, separable): toy (2-D, 30 points),
    /// teacher (100×20, Gaussian teacher), sparse-teacher (40×200, 5-sparse teacher). Excludes --n, --d,
    /// --sparsity, --entries, --noise, --margin. Matrix sensing (rows vec(Aᵢ), m² columns, then y): sensing (m = 20,
    /// 150 Gaussian measurements, rank-2 PSD target), sensing-indefinite, completion (m = 20, 120 entries, rank 1),
    /// razin-cohen (Razin & Cohen's 2 × 2 completion).
    #[arg(long, conflicts_with_all = ["n", "d", "sparsity", "entries", "noise", "margin", "m"])]
    preset: Option<String>,
    /// Matrix sensing: the side m of the symmetric target (with --n measurements, --rank, --measurements).
    #[arg(long, conflicts_with_all = ["d", "sparsity", "entries", "noise", "margin"])]
    m: Option<usize>,
    /// Matrix sensing: the rank of the target W* (default 1).
    #[arg(long, requires = "m")]
    rank: Option<usize>,
    /// Matrix sensing: gaussian (Aᵢ = (G + Gᵀ)/2), completion (observed entries) or diagonal (commuting).
    #[arg(long, requires = "m", value_parser = ["gaussian", "completion", "diagonal"])]
    measurements: Option<String>,
    /// Matrix sensing: an indefinite target (eigenvalue signs +, −, +, …) instead of a PSD one.
    #[arg(long, requires = "m")]
    indefinite: bool,
    /// Samples (without --preset).
    #[arg(long)]
    n: Option<usize>,
    /// Features (without --preset).
    #[arg(long)]
    d: Option<usize>,
    /// Non-zeros of w* (default: dense).
    #[arg(long)]
    sparsity: Option<usize>,
    /// Entries of w*: signs, gaussian or constant (1/√k).
    #[arg(long, value_parser = ["signs", "gaussian", "constant"])]
    entries: Option<String>,
    /// Noise standard deviation.
    #[arg(long, value_parser = args::non_negative)]
    noise: Option<f64>,
    /// Classification: labels sign(⟨x, w*⟩) (±1), rows with |⟨x, w*⟩|/‖w*‖₂ below this margin drawn again
    /// (0 to 3; without --preset; no --noise).
    #[arg(long, value_parser = args::non_negative)]
    margin: Option<f64>,
    /// Seed of the ChaCha8 generator.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Output CSV file.
    #[arg(short, long)]
    out: PathBuf,
    /// Also write the planted w* (one value a line).
    #[arg(long)]
    wstar_out: Option<PathBuf>,
}

pub fn run(cmd: DataCmd) -> Result<i32> {
    match cmd {
        DataCmd::Gen(a) => {
            if let Some(arrays) = matrix_arrays(&a)? {
                return write_generated(&a, arrays);
            }
            let spec = match &a.preset {
                Some(p) => GenSpec::preset(p, a.seed)?,
                None => {
                    let (n, d) = match (a.n, a.d) {
                        (Some(n), Some(d)) => (n, d),
                        _ => return Err(Error::param("--n/--d", "give --preset, or both --n and --d")),
                    };
                    let entries = match a.entries.as_deref().unwrap_or("signs") {
                        "gaussian" => Entries::Gaussian,
                        "constant" => Entries::Constant,
                        _ => Entries::Signs,
                    };
                    GenSpec {
                        n,
                        d,
                        sparsity: a.sparsity,
                        entries,
                        w_star: None,
                        noise: a.noise.unwrap_or(0.0),
                        seed: a.seed,
                        margin: a.margin,
                    }
                }
            };
            // The arrays alone: writing them needs no Problem (whose singular values cost an SVD).
            let (x, y, w_star) = spec.draw()?;
            write_generated(&a, (x, y, Some(w_star)))
        }
        DataCmd::Info { file, json } => {
            let p = load_csv(&file)?;
            let desc = p.describe();
            if json {
                out::json(&desc)?;
            } else {
                out::line(format!("{}: n = {}, d = {}, rank = {}", file.display(), desc.n, desc.d, desc.rank))?;
                out::line(format!(
                    "σ_max = {:.6e}, σ_min = {:.6e}, condition number {:.3e}, L = 2σ_max²/n = {:.6e}",
                    desc.sigma_max, desc.sigma_min, desc.condition_number, desc.smoothness_l
                ))?;
                out::line(format!(
                    "R(0) = {:.6e}; overparametrised with full row rank: {}; data hash {}",
                    desc.risk_at_zero, desc.overparametrised_full_row_rank, desc.data_hash
                ))?;
            }
            Ok(0)
        }
    }
}

/// Generated arrays: `X`, `y` and the planted target where there is one.
type Arrays = (Dense, Vec<f64>, Option<Vec<f64>>);

/// The arrays of a matrix sensing request (`--preset` naming a matrix preset, or `--m`), else `None`.
fn matrix_arrays(a: &GenArgs) -> Result<Option<Arrays>> {
    use ibias::problem::matrix::{MatrixSpec, Measurements, PRESETS, preset_arrays};
    if let Some(p) = &a.preset {
        let key = p.replace('-', "_");
        if PRESETS.iter().any(|q| q.0 == key) {
            return preset_arrays(&key, a.seed).map(Some);
        }
        return Ok(None);
    }
    let Some(m) = a.m else { return Ok(None) };
    let n = a.n.ok_or_else(|| Error::param("--n", "matrix sensing needs the number of measurements --n"))?;
    let measurements = match a.measurements.as_deref().unwrap_or("gaussian") {
        "completion" => Measurements::Completion,
        "diagonal" => Measurements::Diagonal,
        _ => Measurements::Gaussian,
    };
    let spec = MatrixSpec { m, n, rank: a.rank.unwrap_or(1), psd: !a.indefinite, measurements, seed: a.seed };
    spec.draw().map(|(x, y, w)| Some((x, y, Some(w))))
}

/// Writes generated arrays (and the planted target, where there is one) atomically.
fn write_generated(a: &GenArgs, (x, y, w_star): Arrays) -> Result<i32> {
    ibias::io::check_output_dir(
        a.out.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(std::path::Path::new(".")),
    )?;
    ibias::io::write_atomic(&a.out, arrays_to_csv(&x, &y).as_bytes())?;
    if let Some(wpath) = &a.wstar_out {
        let w = w_star.ok_or_else(|| Error::param("--wstar-out", "this preset has no planted target"))?;
        let text: String = w.iter().map(|v| format!("{v:?}\n")).collect();
        ibias::io::write_atomic(wpath, text.as_bytes())?;
    }
    out::note(format!("wrote {} ({} × {}, seed {})", a.out.display(), x.rows, x.cols, a.seed));
    Ok(0)
}
