//! What a study produces for the report, as data (a leaf module: it uses nothing else of the crate):
//! [`Section`]s of generated answers, [`Table`]s of typed cells with a display format per column, and
//! [`Figure`]s described by their series and axes. The report renders them; the tables' CSV files keep
//! every number at full precision under plain ASCII column names.

use serde::{Deserialize, Serialize};

/// A table cell.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Cell {
    /// A number (written at full precision in CSV).
    Num(f64),
    /// An integer.
    Int(i64),
    /// A flag.
    Bool(bool),
    /// Text.
    Text(String),
    /// No value.
    Missing,
}

impl From<f64> for Cell {
    fn from(v: f64) -> Self {
        Cell::Num(v)
    }
}
impl From<usize> for Cell {
    fn from(v: usize) -> Self {
        Cell::Int(v as i64)
    }
}
impl From<u64> for Cell {
    fn from(v: u64) -> Self {
        Cell::Int(v as i64)
    }
}
impl From<bool> for Cell {
    fn from(v: bool) -> Self {
        Cell::Bool(v)
    }
}
impl From<&str> for Cell {
    fn from(v: &str) -> Self {
        Cell::Text(v.into())
    }
}
impl From<String> for Cell {
    fn from(v: String) -> Self {
        Cell::Text(v)
    }
}
impl<T: Into<Cell>> From<Option<T>> for Cell {
    fn from(v: Option<T>) -> Self {
        v.map_or(Cell::Missing, Into::into)
    }
}

/// How a column is shown on the page (the CSV always keeps full precision).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Fmt {
    /// `1.234e-5` with this many decimals.
    Sci(usize),
    /// `12.345` with this many decimals.
    Fixed(usize),
    /// A fraction shown as a percentage with this many decimals (`0.205` → `20.5%`).
    Percent(usize),
    /// As is (integers, text, flags).
    Plain,
}

/// A column: its CSV key (ASCII snake_case, with the unit or `_rel`/`_abs` where it matters), its label
/// on the page, and its format.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Column {
    /// CSV header (ASCII, snake_case).
    pub key: String,
    /// Label on the page.
    pub label: String,
    /// Display format.
    pub fmt: Fmt,
}

impl Column {
    /// A column.
    pub fn new(key: &str, label: &str, fmt: Fmt) -> Self {
        debug_assert!(
            key.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_'),
            "column key '{key}' must be ASCII snake_case"
        );
        Column { key: key.into(), label: label.into(), fmt }
    }
}

/// A table of measured numbers.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Table {
    /// File stem (`data/NAME.csv`) and HTML id.
    pub name: String,
    /// Title.
    pub title: String,
    /// Columns.
    pub columns: Vec<Column>,
    /// Rows of cells.
    pub rows: Vec<Vec<Cell>>,
    /// Show only the first rows on the page, the rest behind a "show all" fold (long tables).
    pub fold_after: Option<usize>,
}

impl Table {
    /// An empty table.
    pub fn new(name: &str, title: &str, columns: Vec<Column>) -> Self {
        Table { name: name.into(), title: title.into(), columns, rows: Vec::new(), fold_after: None }
    }

    /// Appends a row (one cell per column).
    pub fn push(&mut self, row: Vec<Cell>) {
        debug_assert_eq!(row.len(), self.columns.len(), "table {}: row width", self.name);
        self.rows.push(row);
    }

    /// The page text of cell `(i, j)`.
    pub fn display(&self, i: usize, j: usize) -> String {
        display(&self.rows[i][j], self.columns[j].fmt)
    }

    /// JSON lines: one object per row keyed by the columns' ASCII keys (numbers at full precision; a missing or
    /// non-finite value is `null`).
    pub fn to_jsonl(&self) -> String {
        let mut s = String::new();
        for r in &self.rows {
            let obj: serde_json::Map<String, serde_json::Value> = self
                .columns
                .iter()
                .zip(r)
                .map(|(c, v)| (c.key.clone(), serde_json::to_value(v).unwrap_or(serde_json::Value::Null)))
                .collect();
            s.push_str(&serde_json::Value::Object(obj).to_string());
            s.push('\n');
        }
        s
    }

    /// The CSV text: ASCII keys, numbers at full (shortest round-trip) precision.
    pub fn to_csv(&self) -> String {
        let mut s = self.columns.iter().map(|c| c.key.clone()).collect::<Vec<_>>().join(",");
        s.push('\n');
        for r in &self.rows {
            s.push_str(&r.iter().map(csv_cell).collect::<Vec<_>>().join(","));
            s.push('\n');
        }
        s
    }
}

/// The text of a cell in a format.
pub fn display(c: &Cell, fmt: Fmt) -> String {
    match (c, fmt) {
        (Cell::Num(v), _) if !v.is_finite() => format!("{v}"),
        (Cell::Num(v), Fmt::Sci(k)) => format!("{v:.k$e}"),
        (Cell::Num(v), Fmt::Fixed(k)) => format!("{v:.k$}"),
        (Cell::Num(v), Fmt::Percent(k)) => format!("{:.k$}%", 100.0 * v),
        (Cell::Num(v), Fmt::Plain) => format!("{v:?}"),
        (Cell::Int(v), _) => v.to_string(),
        (Cell::Bool(b), _) => {
            if *b {
                "yes".into()
            } else {
                "no".into()
            }
        }
        (Cell::Text(t), _) => t.clone(),
        (Cell::Missing, _) => "–".into(),
    }
}

fn csv_cell(c: &Cell) -> String {
    match c {
        Cell::Num(v) => format!("{v:?}"),
        Cell::Int(v) => v.to_string(),
        Cell::Bool(b) => b.to_string(),
        Cell::Text(t) => {
            if t.contains([',', '"', '\n']) {
                format!("\"{}\"", t.replace('"', "\"\""))
            } else {
                t.clone()
            }
        }
        Cell::Missing => String::new(),
    }
}

/// How a series is drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Style {
    /// A solid line.
    Line,
    /// A dashed line.
    Dashed,
    /// Markers only.
    Markers,
}

/// One plotted series, optionally with a band (a 10–90% range, say) drawn behind it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Series {
    /// Legend label.
    pub label: String,
    /// Points `(x, y)`.
    pub points: Vec<(f64, f64)>,
    /// Palette index.
    pub color: usize,
    /// Drawing style.
    pub style: Style,
    /// `(x, low, high)` of a shaded band.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub band: Option<Vec<(f64, f64, f64)>>,
}

impl Series {
    /// A solid line.
    pub fn line(label: &str, points: Vec<(f64, f64)>, color: usize) -> Self {
        Series { label: label.into(), points, color, style: Style::Line, band: None }
    }
    /// Markers only.
    pub fn markers(label: &str, points: Vec<(f64, f64)>, color: usize) -> Self {
        Series { label: label.into(), points, color, style: Style::Markers, band: None }
    }
    /// A dashed line.
    pub fn dashed(label: &str, points: Vec<(f64, f64)>, color: usize) -> Self {
        Series { label: label.into(), points, color, style: Style::Dashed, band: None }
    }
    /// Adds a band `(x, low, high)`.
    pub fn with_band(mut self, band: Vec<(f64, f64, f64)>) -> Self {
        self.band = Some(band);
        self
    }
}

/// A figure: axes and series (the report draws it as SVG and PNG and writes its data).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Figure {
    /// File stem (`figures/NAME.svg`, `data/NAME.json`).
    pub name: String,
    /// Caption: what is drawn and how to read it.
    pub caption: String,
    /// Title.
    pub title: String,
    /// x-axis label (one quantity).
    pub x_label: String,
    /// y-axis label (one quantity).
    pub y_label: String,
    /// Log-scale x.
    pub log_x: bool,
    /// Log-scale y.
    pub log_y: bool,
    /// Same scale on both axes (paths in the plane).
    pub equal_axes: bool,
    /// The series.
    pub series: Vec<Series>,
}

impl Figure {
    /// A figure with linear axes.
    pub fn new(name: &str, title: &str, x_label: &str, y_label: &str) -> Self {
        Figure {
            name: name.into(),
            caption: String::new(),
            title: title.into(),
            x_label: x_label.into(),
            y_label: y_label.into(),
            log_x: false,
            log_y: false,
            equal_axes: false,
            series: Vec::new(),
        }
    }
    /// Log scales.
    pub fn log(mut self, x: bool, y: bool) -> Self {
        self.log_x = x;
        self.log_y = y;
        self
    }
    /// Equal axes.
    pub fn equal(mut self) -> Self {
        self.equal_axes = true;
        self
    }
    /// The caption.
    pub fn caption(mut self, c: impl Into<String>) -> Self {
        self.caption = c.into();
        self
    }
    /// The series.
    pub fn series(mut self, s: Vec<Series>) -> Self {
        self.series = s;
        self
    }
}

/// What a study returns for the report.
#[derive(Debug, Clone, Serialize, Deserialize, Default)]
pub struct Section {
    /// The study's key (`ex1`, …): the HTML id.
    pub key: String,
    /// Heading.
    pub title: String,
    /// Which part of the report (`The exercise sheet`, `Beyond the sheet`).
    pub part: String,
    /// Sentences answering the questions, generated from the numbers.
    pub answers: Vec<String>,
    /// Tables.
    pub tables: Vec<Table>,
    /// Figures.
    pub figures: Vec<Figure>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_keeps_full_precision_and_the_page_rounds() {
        let mut t = Table::new(
            "t",
            "T",
            vec![Column::new("x_rel", "x (relative)", Fmt::Sci(2)), Column::new("n", "n", Fmt::Plain)],
        );
        let v = 0.1 + 0.2;
        t.push(vec![v.into(), 3usize.into()]);
        t.push(vec![Cell::Missing, true.into()]);
        let csv = t.to_csv();
        let back: f64 = csv.lines().nth(1).unwrap().split(',').next().unwrap().parse().unwrap();
        assert_eq!(back, v, "full precision round-trip");
        assert_eq!(t.display(0, 0), "3.00e-1");
        assert_eq!(csv.lines().next().unwrap(), "x_rel,n");
        assert_eq!(display(&Cell::Num(0.205), Fmt::Percent(1)), "20.5%");
    }
}
