//! `ibias bench`: the timed workloads (see BENCHMARKS.md and bench/compare.py).

use super::{args, out};
use ibias::Result;
use std::path::PathBuf;

#[derive(clap::Args, Debug)]
pub struct BenchArgs {
    /// CSV file (last column y).
    #[arg(long)]
    data: PathBuf,
    /// α of the hyperbolic entropy for the MD/reparam steps.
    #[arg(long, default_value = "1.0", value_parser = args::alpha)]
    alpha: f64,
    /// Fewer, shorter batches.
    #[arg(long)]
    quick: bool,
    /// Only these workloads (comma-separated names, e.g. saddle_path,bregman_projection).
    #[arg(long, value_delimiter = ',')]
    only: Vec<String>,
    /// Print JSON.
    #[arg(long)]
    json: bool,
}

pub fn run(a: BenchArgs) -> Result<i32> {
    let p = ibias::problem::csv::load_csv(&a.data)?;
    let t = ibias::bench::standard(&p, a.alpha, a.quick, &a.only)?;
    if a.json {
        out::json(&t)?;
    } else {
        for x in &t {
            out::line(format!("{:<28} {:>12.3} µs per {}", x.name, x.seconds * 1e6, x.unit))?;
        }
    }
    Ok(0)
}
