//! `ibias ex1|ex2|ex3|report|sweep`: the studies and the report.

use crate::cli::print_json;
use crate::report::{self, ReportConfig};
use crate::study::{Section, ex1, ex2, ex3};
use crate::{Error, Result};
use std::path::{Path, PathBuf};
use std::time::Instant;

/// Arguments of `ibias ex1|ex2|ex3`.
#[derive(clap::Args, Debug)]
pub struct StudyArgs {
    /// TOML configuration (sections [ex1], [ex2], [ex3]; missing fields keep their defaults).
    #[arg(long)]
    config: Option<PathBuf>,
    /// Write this exercise's report page into DIR.
    #[arg(long)]
    out: Option<PathBuf>,
    /// Print the measured results as JSON.
    #[arg(long)]
    json: bool,
}

/// Arguments of `ibias report`.
#[derive(clap::Args, Debug, Clone)]
pub struct ReportArgs {
    /// TOML configuration (sections [ex1], [ex2], [ex3]).
    #[arg(long)]
    config: Option<PathBuf>,
    /// Output folder.
    #[arg(long, default_value = "report")]
    out: PathBuf,
    /// No progress output.
    #[arg(long)]
    quiet: bool,
}

impl Default for ReportArgs {
    fn default() -> Self {
        ReportArgs { config: None, out: PathBuf::from("report"), quiet: false }
    }
}

fn load_config(path: &Option<PathBuf>) -> Result<ReportConfig> {
    match path {
        None => Ok(ReportConfig::default()),
        Some(p) => {
            let text =
                std::fs::read_to_string(p).map_err(|e| Error::Io(format!("cannot read {}: {e}", p.display())))?;
            ReportConfig::from_toml(&text)
        }
    }
}

fn spinner(quiet: bool) -> Option<indicatif::ProgressBar> {
    if quiet {
        return None;
    }
    let pb = indicatif::ProgressBar::new_spinner();
    pb.set_draw_target(indicatif::ProgressDrawTarget::stderr());
    pb.enable_steady_tick(std::time::Duration::from_millis(120));
    Some(pb)
}

fn finish_study<T: serde::Serialize>(
    res: &T,
    section: Section,
    args: &StudyArgs,
    cfg: &ReportConfig,
    t: Instant,
) -> Result<()> {
    if let Some(out) = &args.out {
        let page = report::write(out, cfg, std::slice::from_ref(&section), t.elapsed().as_secs_f64())?;
        eprintln!("wrote {}", page.display());
    }
    if args.json {
        print_json(res)
    } else {
        println!("{}", section.title);
        for a in &section.answers {
            println!("- {a}");
        }
        Ok(())
    }
}

pub(crate) fn ex1(a: StudyArgs) -> Result<()> {
    let t = Instant::now();
    let cfg = load_config(&a.config)?;
    let (r, s) = ex1::run(&cfg.ex1)?;
    finish_study(&r, s, &a, &cfg, t)
}

pub(crate) fn ex2(a: StudyArgs) -> Result<()> {
    let t = Instant::now();
    let cfg = load_config(&a.config)?;
    let (r, s) = ex2::run(&cfg.ex2, &|_| {})?;
    finish_study(&r, s, &a, &cfg, t)
}

pub(crate) fn ex3(a: StudyArgs) -> Result<()> {
    let t = Instant::now();
    let cfg = load_config(&a.config)?;
    let (r, s) = ex3::run(&cfg.ex3, &|_| {})?;
    finish_study(&r, s, &a, &cfg, t)
}

/// Runs all three studies and writes the report into `out`; returns the page path.
pub fn run_report(cfg: &ReportConfig, out: &Path, quiet: bool) -> Result<PathBuf> {
    let t = Instant::now();
    let pb = spinner(quiet);
    let say = |m: &str| {
        if let Some(pb) = &pb {
            pb.set_message(m.to_string());
        }
    };
    say("Exercise 1: claims and limits");
    let (_, s1) = ex1::run(&cfg.ex1)?;
    let (_, s2) = ex2::run(&cfg.ex2, &say)?;
    let (_, s3) = ex3::run(&cfg.ex3, &say)?;
    let page = report::write(out, cfg, &[s1, s2, s3], t.elapsed().as_secs_f64())?;
    if let Some(pb) = pb {
        pb.finish_and_clear();
    }
    Ok(page)
}

pub(crate) fn report(a: &ReportArgs) -> Result<()> {
    let t = Instant::now();
    let cfg = load_config(&a.config)?;
    let page = run_report(&cfg, &a.out, a.quiet)?;
    println!("wrote {} in {:.1} s", page.display(), t.elapsed().as_secs_f64());
    Ok(())
}
