//! `ibias data gen|info`.

use super::args;
use super::out;
use ibias::problem::csv::{arrays_to_csv, load_csv};
use ibias::problem::generate::{Entries, GenSpec};
use ibias::{Error, Result};
use std::path::PathBuf;

#[derive(clap::Subcommand, Debug)]
pub enum DataCmd {
    /// Generate a seeded synthetic dataset (ChaCha8) and write it as CSV (last column y).
    Gen(GenArgs),
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
    /// --sparsity, --entries, --noise, --margin.
    #[arg(long, conflicts_with_all = ["n", "d", "sparsity", "entries", "noise", "margin"])]
    preset: Option<String>,
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
            ibias::io::check_output_dir(
                a.out.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(std::path::Path::new(".")),
            )?;
            // The arrays alone: writing them needs no Problem (whose singular values cost an SVD).
            let (x, y, w_star) = spec.draw()?;
            ibias::io::write_atomic(&a.out, arrays_to_csv(&x, &y).as_bytes())?;
            if let Some(w) = &a.wstar_out {
                let text: String = w_star.iter().map(|v| format!("{v:?}\n")).collect();
                ibias::io::write_atomic(w, text.as_bytes())?;
            }
            out::note(format!("wrote {} ({} × {}, seed {})", a.out.display(), x.rows, x.cols, spec.seed));
            Ok(0)
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
