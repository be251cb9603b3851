//! How results are shown: one self-contained HTML page (answers, tables, inline SVG figures, the
//! configuration, version and run time) plus `figures/*.svg|png` and `data/*.json|csv` holding every
//! plotted series and table at full precision. Files are staged inside the output folder and moved into
//! place one by one at the end; files that ibias did not write are never replaced or deleted.
//!
//! ```no_run
//! // The main job: every registered study with its defaults, into report/.
//! let cfg = ibias::study::Config::default();
//! let page = ibias::report::run_report(&cfg, std::path::Path::new("report"), &ibias::control::quiet).unwrap();
//! println!("wrote {}", page.display());
//! ```

pub mod plot;
pub mod style;

use crate::control::ProgressFn;
use crate::io::{StagedDir, write_atomic};
use crate::study::{Config, Figure, Section, Style, Table, registry};
use crate::{Error, Result};
use std::path::{Path, PathBuf};
use std::time::Instant;

/// Runs every study of the registry (report order) and writes the report into `out`; returns the page.
pub fn run_report(cfg: &Config, out: &Path, progress: ProgressFn<'_>) -> Result<PathBuf> {
    run_studies(cfg, out, registry().iter().map(|s| s.key()).collect(), progress)
}

/// Runs the studies `keys` and writes their report into `out` (checked to be writable before anything
/// is computed); returns the page.
pub fn run_studies(cfg: &Config, out: &Path, keys: Vec<&str>, progress: ProgressFn<'_>) -> Result<PathBuf> {
    let t = Instant::now();
    crate::io::check_output_dir(out)?;
    let mut sections = Vec::new();
    for key in keys {
        let study = crate::study::find(key).ok_or_else(|| Error::param("study", format!("unknown study '{key}'")))?;
        let (_, s) = study.run(cfg.section(key), progress)?;
        sections.push(s);
    }
    write(out, cfg, &sections, &Source::Computed { seconds: t.elapsed().as_secs_f64() })
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

fn table_rows(t: &Table, rows: std::ops::Range<usize>) -> String {
    let mut h = String::from("<thead><tr>");
    for c in &t.columns {
        h.push_str(&format!("<th title=\"{}\">{}</th>", esc(&c.key), esc(&c.label)));
    }
    h.push_str("</tr></thead><tbody>");
    for i in rows {
        h.push_str("<tr>");
        for j in 0..t.columns.len() {
            // Numbers never wrap (`1.00e-10` stays whole); sentences may.
            let text = t.display(i, j);
            if text.contains(' ') && text.chars().any(|c| c.is_alphabetic()) && text.len() > 24 {
                h.push_str(&format!("<td class=\"text\">{}</td>", esc(&text)));
            } else {
                h.push_str(&format!("<td>{}</td>", esc(&text)));
            }
        }
        h.push_str("</tr>");
    }
    h.push_str("</tbody>");
    h
}

/// Tables longer than this are folded when their study sets no fold of its own.
const FOLD_LONG: usize = 25;
/// Rows shown above the fold of a long table.
const FOLD_SHOW: usize = 10;

/// A table as HTML: long tables show their first rows, the whole table behind a fold (`<details>`).
pub fn table_html(t: &Table) -> String {
    let n = t.rows.len();
    let fold = t.fold_after.or(if n > FOLD_LONG { Some(FOLD_SHOW) } else { None });
    match fold {
        Some(k) if n > k => format!(
            "<div class=\"scroll\"><table class=\"preview\"><caption>{}</caption>{}</table></div>\n<details><summary>all {n} rows</summary><div class=\"scroll\"><table id=\"{}\">{}</table></div></details>\n",
            esc(&t.title),
            table_rows(t, 0..k),
            t.name,
            table_rows(t, 0..n)
        ),
        _ => format!(
            "<div class=\"scroll\"><table id=\"{}\"><caption>{}</caption>{}</table></div>\n",
            t.name,
            esc(&t.title),
            table_rows(t, 0..n)
        ),
    }
}

/// A figure's data as JSON: axes and, per series, its label, style and columns `x`, `y` (and the band).
pub fn figure_json(f: &Figure) -> String {
    let series: Vec<serde_json::Value> = f
        .series
        .iter()
        .map(|s| {
            let mut v = serde_json::json!({
                "label": s.label,
                "style": match s.style { Style::Line => "line", Style::Dashed => "dashed", Style::Markers => "markers" },
                "x": s.points.iter().map(|p| p.0).collect::<Vec<_>>(),
                "y": s.points.iter().map(|p| p.1).collect::<Vec<_>>(),
            });
            if let Some(b) = &s.band {
                v["band_x"] = b.iter().map(|p| p.0).collect::<Vec<_>>().into();
                v["band_low"] = b.iter().map(|p| p.1).collect::<Vec<_>>().into();
                v["band_high"] = b.iter().map(|p| p.2).collect::<Vec<_>>().into();
            }
            v
        })
        .collect();
    let v = serde_json::json!({
        "name": f.name, "title": f.title, "x_label": f.x_label, "y_label": f.y_label,
        "log_x": f.log_x, "log_y": f.log_y, "series": series,
    });
    serde_json::to_string_pretty(&v).unwrap_or_default()
}

/// Where a page's numbers came from, stated at its top.
#[derive(Debug, Clone)]
pub enum Source<'a> {
    /// Computed by the studies in this run, with the configuration shown on the page.
    Computed {
        /// Wall time of the computation.
        seconds: f64,
    },
    /// Read from a merged sweep table; nothing was computed.
    Merged {
        /// The table's path.
        file: &'a Path,
        /// How many rows it held.
        rows: usize,
    },
}

/// `YYYY-MM-DD HH:MM UTC` of a time (civil calendar from days since 1970, Hinnant's algorithm).
pub fn utc(t: std::time::SystemTime) -> String {
    let secs = t.duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs()) as i64;
    let (days, rem) = (secs.div_euclid(86_400), secs.rem_euclid(86_400));
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02} {:02}:{:02} UTC", rem / 3600, rem % 3600 / 60)
}

impl Source<'_> {
    fn sentence(&self) -> String {
        let now = utc(std::time::SystemTime::now());
        match self {
            Source::Computed { seconds } => format!(
                "Data from the ChaCha8 generator with the seeds of the configuration below. Computed in {seconds:.1} s, written {now}."
            ),
            Source::Merged { file, rows } => {
                let modified =
                    std::fs::metadata(file).and_then(|m| m.modified()).map(utc).unwrap_or_else(|_| "unknown".into());
                format!(
                    "Drawn from the merged sweep table {} ({rows} rows, last modified {modified}); nothing was computed for this page. Written {now}.",
                    file.display()
                )
            }
        }
    }
}

/// Writes the report for `sections` into `out` (files moved in one by one; files ibias did not write are
/// kept, see [`crate::io::StagedDir`]); returns the page.
pub fn write(out: &Path, cfg: &Config, sections: &[Section], source: &Source<'_>) -> Result<PathBuf> {
    let stage = StagedDir::new(out)?;
    let dir = stage.path().to_path_buf();
    let mut body = String::new();
    let mut part = "";
    let mut toc = String::new();
    for s in sections {
        if s.part != part {
            part = &s.part;
            body.push_str(&format!("<h1 class=\"part\">{}</h1>\n", esc(part)));
            toc.push_str(&format!("<li class=\"part\">{}</li>", esc(part)));
        }
        toc.push_str(&format!("<li><a href=\"#{}\">{}</a></li>", s.key, esc(&s.title)));
        body.push_str(&format!("<section id=\"{}\"><h2>{}</h2>\n<ul class=\"answers\">", s.key, esc(&s.title)));
        for a in &s.answers {
            body.push_str(&format!("<li>{}</li>", esc(a)));
        }
        body.push_str("</ul>\n");
        for f in &s.figures {
            let svg = plot::render_svg(f).map_err(|m| Error::Numerical(format!("plotting {}: {m}", f.name)))?;
            let png = plot::render_png(f).map_err(|m| Error::Numerical(format!("plotting {}: {m}", f.name)))?;
            let inline = svg.trim_start_matches("<?xml version=\"1.0\" encoding=\"UTF-8\"?>").trim();
            body.push_str(&format!(
                "<figure id=\"fig-{0}\">{1}<figcaption>{2} <a href=\"figures/{0}.svg\">SVG</a> · <a href=\"figures/{0}.png\">PNG</a> · <a href=\"data/{0}.json\">data</a></figcaption></figure>\n",
                f.name,
                inline,
                esc(&f.caption)
            ));
            write_atomic(&dir.join("figures").join(format!("{}.svg", f.name)), svg.as_bytes())?;
            write_atomic(&dir.join("figures").join(format!("{}.png", f.name)), &png)?;
            write_atomic(&dir.join("data").join(format!("{}.json", f.name)), figure_json(f).as_bytes())?;
        }
        for t in &s.tables {
            body.push_str(&table_html(t));
            write_atomic(&dir.join("data").join(format!("{}.csv", t.name)), t.to_csv().as_bytes())?;
        }
        body.push_str("</section>\n");
    }
    let cfg_toml = cfg.to_toml();
    let page = format!(
        r#"<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>ibias report — implicit bias of gradient methods</title>
<style>
body {{ font-family: system-ui, sans-serif; max-width: 1000px; margin: 2em auto; padding: 0 1em; color: #222; line-height: 1.45; }}
h1 {{ font-size: 1.6em; }} h1.part {{ margin-top: 2.2em; color: #444; border-bottom: 2px solid #888; }}
h2 {{ border-bottom: 1px solid #ccc; padding-bottom: .2em; margin-top: 2em; }}
table {{ border-collapse: collapse; margin: 1em 0; font-size: .85em; width: 100%; }}
caption {{ text-align: left; font-weight: 600; padding: .3em 0; }}
th, td {{ border: 1px solid #ddd; padding: .25em .5em; text-align: right; }} th {{ background: #f4f4f4; }}
td {{ white-space: nowrap; }} td.text {{ white-space: normal; text-align: left; min-width: 14em; }}
.scroll {{ overflow-x: auto; }}
td:first-child, th:first-child {{ text-align: left; }}
figure {{ margin: 1.5em 0; }} figure svg {{ width: 100%; height: auto; }} figcaption {{ font-size: .9em; color: #444; }}
.answers li {{ margin: .4em 0; }} pre {{ background: #f7f7f7; padding: .8em; overflow-x: auto; font-size: .85em; }}
nav li.part {{ font-weight: 600; list-style: none; margin-top: .4em; }} details {{ margin: .5em 0 1.5em; }}
</style></head><body>
<h1>ibias report — implicit bias of gradient methods on least squares</h1>
<p>ibias {version}; conventions of docs/SPEC.md: R(w) = (1/n)‖Xw − y‖², Lasso R(w) + λ‖w‖₁ (scikit-learn alpha = λ/2). {source} Every table is in <code>data/NAME.csv</code> at full precision; every figure's series in <code>data/NAME.json</code>.</p>
<nav><h2>Contents</h2><ul>{toc}</ul></nav>
{body}
{cfg}
</body></html>
"#,
        version = env!("CARGO_PKG_VERSION"),
        source = esc(&source.sentence()),
        toc = toc,
        body = body,
        cfg = match source {
            Source::Computed { .. } => {
                format!("<section id=\"configuration\"><h2>Configuration</h2><pre>{}</pre></section>", esc(&cfg_toml))
            }
            Source::Merged { .. } => String::new(),
        }
    );
    write_atomic(&dir.join("index.html"), page.as_bytes())?;
    if let Source::Computed { .. } = source {
        write_atomic(&dir.join("data").join("config.toml"), cfg_toml.as_bytes())?;
    }
    let target = stage.commit()?;
    Ok(target.join("index.html"))
}
