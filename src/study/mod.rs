//! The exercises of the sheet, each a function from a typed configuration to typed results
//! (numbers, tables, figures) that the report renders.

pub mod ex1;
pub mod ex2;
pub mod ex3;
pub mod sweep;

use serde::{Deserialize, Serialize};

/// A rendered figure (SVG) with the data behind it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Figure {
    /// File stem (`ex2_alpha_sweep`).
    pub name: String,
    /// Caption: what is drawn and how to read it.
    pub caption: String,
    /// The SVG document.
    #[serde(skip)]
    pub svg: String,
    /// The same figure as PNG (twice the resolution).
    #[serde(skip)]
    pub png: Vec<u8>,
    /// Every plotted series: label and points.
    pub series: Vec<(String, Vec<(f64, f64)>)>,
}

/// A table of measured numbers.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Table {
    /// File stem.
    pub name: String,
    /// Title.
    pub title: String,
    /// Column names.
    pub header: Vec<String>,
    /// Rows of cells (already formatted).
    pub rows: Vec<Vec<String>>,
}

/// What a study returns for the report.
#[derive(Debug, Clone, Serialize, Deserialize, Default)]
pub struct Section {
    /// Heading.
    pub title: String,
    /// Sentences answering the sheet's questions, generated from the numbers.
    pub answers: Vec<String>,
    /// Tables.
    pub tables: Vec<Table>,
    /// Figures.
    pub figures: Vec<Figure>,
}

/// Builds a figure from series, keeping the data alongside the SVG.
pub fn figure(
    name: &str,
    caption: &str,
    axes: crate::report::plot::Axes<'_>,
    series: Vec<crate::report::plot::Series>,
) -> crate::Result<Figure> {
    let err = |e: String| crate::Error::Io(format!("plotting {name}: {e}"));
    let svg = crate::report::plot::render(&axes, &series).map_err(err)?;
    let png = crate::report::plot::render_png(&axes, &series).map_err(err)?;
    Ok(Figure {
        name: name.into(),
        caption: caption.into(),
        svg,
        png,
        series: series.into_iter().map(|s| (s.label, s.points)).collect(),
    })
}

/// `{:.3e}` formatting for tables.
pub fn e3(v: f64) -> String {
    format!("{v:.3e}")
}
