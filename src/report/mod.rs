//! The report: one self-contained HTML page (inline SVG figures, tables, configuration, version,
//! run time) plus `figures/*.svg` and `data/*.json|csv` holding every plotted series and table.

pub mod plot;

use crate::data::write_atomic;
use crate::study::{Section, Table, ex1, ex2, ex3};
use crate::{Error, Result};
use serde::{Deserialize, Serialize};
use std::path::Path;

/// Configuration of the whole report (every field overridable from TOML).
#[derive(Debug, Clone, Serialize, Deserialize, Default)]
#[serde(default, deny_unknown_fields)]
pub struct ReportConfig {
    /// Exercise 1.
    pub ex1: ex1::Ex1Config,
    /// Exercise 2.
    pub ex2: ex2::Ex2Config,
    /// Exercise 3.
    pub ex3: ex3::Ex3Config,
}

impl ReportConfig {
    /// Parses a TOML configuration (missing fields keep their defaults; unknown ones are errors).
    pub fn from_toml(text: &str) -> Result<Self> {
        toml::from_str(text).map_err(|e| Error::Param(format!("configuration: {e}")))
    }
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}

fn table_html(t: &Table) -> String {
    let mut h = format!("<table id=\"{}\"><caption>{}</caption><thead><tr>", t.name, esc(&t.title));
    for c in &t.header {
        h.push_str(&format!("<th>{}</th>", esc(c)));
    }
    h.push_str("</tr></thead><tbody>");
    for r in &t.rows {
        h.push_str("<tr>");
        for c in r {
            h.push_str(&format!("<td>{}</td>", esc(c)));
        }
        h.push_str("</tr>");
    }
    h.push_str("</tbody></table>\n");
    h
}

fn table_csv(t: &Table) -> String {
    let q = |s: &str| {
        if s.contains(',') || s.contains('"') { format!("\"{}\"", s.replace('"', "\"\"")) } else { s.to_string() }
    };
    let mut s = t.header.iter().map(|c| q(c)).collect::<Vec<_>>().join(",");
    s.push('\n');
    for r in &t.rows {
        s.push_str(&r.iter().map(|c| q(c)).collect::<Vec<_>>().join(","));
        s.push('\n');
    }
    s
}

/// Writes the report for the given sections into `out` and returns the path of the page.
pub fn write(out: &Path, cfg: &ReportConfig, sections: &[Section], seconds: f64) -> Result<std::path::PathBuf> {
    let mut body = String::new();
    for s in sections {
        body.push_str(&format!("<section><h2>{}</h2>\n<ul class=\"answers\">", esc(&s.title)));
        for a in &s.answers {
            body.push_str(&format!("<li>{}</li>", esc(a)));
        }
        body.push_str("</ul>\n");
        for f in &s.figures {
            let svg = f.svg.trim_start_matches("<?xml version=\"1.0\" encoding=\"UTF-8\"?>").trim();
            body.push_str(&format!(
                "<figure id=\"fig-{}\">{}<figcaption>{} <a href=\"figures/{}.svg\">SVG</a> · <a href=\"figures/{}.png\">PNG</a> · <a href=\"data/{}.json\">data</a></figcaption></figure>\n",
                f.name,
                svg,
                esc(&f.caption),
                f.name,
                f.name,
                f.name
            ));
            write_atomic(&out.join("figures").join(format!("{}.svg", f.name)), f.svg.as_bytes())?;
            write_atomic(&out.join("figures").join(format!("{}.png", f.name)), &f.png)?;
            let data = serde_json::to_string_pretty(&f.series).map_err(|e| Error::Io(e.to_string()))?;
            write_atomic(&out.join("data").join(format!("{}.json", f.name)), data.as_bytes())?;
        }
        for t in &s.tables {
            body.push_str(&table_html(t));
            write_atomic(&out.join("data").join(format!("{}.csv", t.name)), table_csv(t).as_bytes())?;
        }
        body.push_str("</section>\n");
    }
    let cfg_toml = toml::to_string_pretty(cfg).map_err(|e| Error::Io(e.to_string()))?;
    let page = format!(
        r#"<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>ibias report — implicit bias of gradient methods</title>
<style>
body {{ font-family: system-ui, sans-serif; max-width: 980px; margin: 2em auto; padding: 0 1em; color: #222; line-height: 1.45; }}
h1 {{ font-size: 1.6em; }} h2 {{ border-bottom: 1px solid #ccc; padding-bottom: .2em; margin-top: 2em; }}
table {{ border-collapse: collapse; margin: 1em 0; font-size: .85em; width: 100%; }}
caption {{ text-align: left; font-weight: 600; padding: .3em 0; }}
th, td {{ border: 1px solid #ddd; padding: .25em .5em; text-align: right; }} th {{ background: #f4f4f4; }}
td:first-child, th:first-child {{ text-align: left; }}
figure {{ margin: 1.5em 0; }} figure svg {{ width: 100%; height: auto; }} figcaption {{ font-size: .9em; color: #444; }}
.answers li {{ margin: .4em 0; }} pre {{ background: #f7f7f7; padding: .8em; overflow-x: auto; font-size: .85em; }}
</style></head><body>
<h1>ibias report — implicit bias of gradient methods on least squares</h1>
<p>ibias {version}; conventions of SPEC.md: R(w) = (1/n)‖Xw − y‖², Lasso R(w) + λ‖w‖₁ (scikit-learn alpha = λ/2). Data from the ChaCha8 generator with the seeds below. Generated in {seconds:.1} s.</p>
{body}
<section><h2>Configuration</h2><pre>{cfg}</pre></section>
</body></html>
"#,
        version = env!("CARGO_PKG_VERSION"),
        seconds = seconds,
        body = body,
        cfg = esc(&cfg_toml)
    );
    let path = out.join("index.html");
    write_atomic(&path, page.as_bytes())?;
    write_atomic(&out.join("data").join("config.toml"), cfg_toml.as_bytes())?;
    Ok(path)
}
