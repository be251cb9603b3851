//! `ibias <study>` (one subcommand per registered study) and `ibias report`.

use super::out;
use ibias::study::Config;
use ibias::{Error, Result};
use std::path::PathBuf;

/// Arguments of `ibias <study>`.
#[derive(clap::Args, Debug)]
pub struct StudyArgs {
    /// TOML configuration (one section per study, e.g. [ex2]; missing fields keep their defaults).
    #[arg(long)]
    config: Option<PathBuf>,
    /// Override one field: --set field=value (a TOML value), repeatable.
    #[arg(long = "set", value_name = "FIELD=VALUE")]
    set: Vec<String>,
    /// Write this study's report page into DIR.
    #[arg(long)]
    out: Option<PathBuf>,
    /// Print the measured results as JSON.
    #[arg(long)]
    json: bool,
    /// No progress output.
    #[arg(long)]
    quiet: bool,
}

/// Arguments of `ibias report`.
#[derive(clap::Args, Debug, Clone)]
pub struct ReportArgs {
    /// TOML configuration (one section per study: [ex1], [ex2], …).
    #[arg(long)]
    config: Option<PathBuf>,
    /// Output folder (replaced as a whole when the report is written).
    #[arg(long, default_value = "report")]
    out: PathBuf,
    /// Only these studies (comma-separated keys), in report order.
    #[arg(long, value_delimiter = ',')]
    only: Option<Vec<String>>,
    /// No progress output.
    #[arg(long)]
    quiet: bool,
    /// Render a merged sweep table (`ibias sweep merge DIR -o results.csv|jsonl`) instead of the studies.
    #[arg(long, value_name = "FILE", conflicts_with_all = ["only", "config"])]
    from: Option<PathBuf>,
    /// With --from: the population error of the sample-complexity panel.
    #[arg(long, default_value_t = 0.025, requires = "from", value_parser = super::args::positive)]
    target: f64,
}

impl Default for ReportArgs {
    fn default() -> Self {
        ReportArgs { config: None, out: PathBuf::from("report"), only: None, quiet: false, from: None, target: 0.025 }
    }
}

fn load(config: &Option<PathBuf>) -> Result<Config> {
    match config {
        None => Ok(Config::default()),
        Some(p) => Config::from_file(p),
    }
}

/// Runs one study.
pub fn one(key: &str, a: StudyArgs) -> Result<i32> {
    let t = std::time::Instant::now();
    let mut cfg = load(&a.config)?;
    for s in &a.set {
        let (f, v) = s.split_once('=').ok_or_else(|| Error::param("--set", format!("'{s}' is not FIELD=VALUE")))?;
        cfg.set(key, f.trim(), v.trim())?;
    }
    if let Some(o) = &a.out {
        ibias::io::check_output_dir(o)?;
    }
    let study = ibias::study::find(key).ok_or_else(|| Error::param("study", key.to_string()))?;
    let bar = out::Bar::new(a.quiet);
    let cb = bar.callback();
    let res = study.run(cfg.section(key), &cb);
    bar.finish();
    let (json, section) = res?;
    if let Some(o) = &a.out {
        let source = ibias::report::Source::Computed { seconds: t.elapsed().as_secs_f64() };
        let page = ibias::report::write(o, &cfg, std::slice::from_ref(&section), &source)?;
        out::note(format!("wrote {}", page.display()));
    }
    if a.json {
        out::json(&json)?;
    } else {
        out::line(&section.title)?;
        for s in &section.answers {
            out::line(format!("- {s}"))?;
        }
    }
    Ok(0)
}

/// Writes the report.
pub fn report(a: &ReportArgs) -> Result<i32> {
    let t = std::time::Instant::now();
    if let Some(from) = &a.from {
        ibias::io::check_output_dir(&a.out)?;
        let rows = ibias::sweep::section::read(from)?;
        let name = from.file_name().map_or_else(|| from.display().to_string(), |s| s.to_string_lossy().into_owned());
        let section = ibias::sweep::section::section(&rows, &name, a.target)?;
        let source = ibias::report::Source::Merged { file: from, rows: rows.len() };
        let page = ibias::report::write(&a.out, &Config::default(), &[section], &source)?;
        out::line(format!(
            "wrote {} ({} rows of {}) in {:.1} s",
            page.display(),
            rows.len(),
            from.display(),
            t.elapsed().as_secs_f64()
        ))?;
        return Ok(0);
    }
    let cfg = load(&a.config)?;
    let keys: Vec<&str> = match &a.only {
        Some(k) => {
            for key in k {
                if ibias::study::find(key).is_none() {
                    return Err(Error::param("--only", format!("'{key}' is not a study")));
                }
            }
            ibias::study::registry().iter().map(|s| s.key()).filter(|s| k.iter().any(|x| x == s)).collect()
        }
        None => ibias::study::registry().iter().map(|s| s.key()).collect(),
    };
    let bar = out::Bar::new(a.quiet);
    let cb = bar.callback();
    let page = ibias::report::run_studies(&cfg, &a.out, keys, &cb);
    bar.finish();
    out::line(format!("wrote {} in {:.1} s", page?.display(), t.elapsed().as_secs_f64()))?;
    Ok(0)
}
