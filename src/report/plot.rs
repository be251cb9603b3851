//! Draws a study's [`Figure`] with `plotters` as SVG and PNG, in the project's one style ([`super::style`]:
//! palette, markers, fonts).
//!
//! Choices for figures at a paper's level: log axes are drawn in log₁₀ space with a tick and a label
//! (`10⁻⁶`) on every decade (every second one past 24 decades; 1–2–5 ticks when the data span less than
//! two decades); the legend has a panel of its own beside the plot, so it never covers data; axis ranges
//! are fitted to the data with 4% margins; every line carries its series' marker at a few points, so a
//! curve under another stays visible in the plot and the legend; the SVG is drawn at four times
//! its displayed size (the backend rounds coordinates to whole pixels, which made smooth paths look like
//! staircases) and shown at 800×520 through its `viewBox`; bands (10–90% ranges) are shaded behind their
//! lines.

use super::style::{self, Marker};
use crate::study::{Figure, Style};
use image::ImageEncoder;
use plotters::coord::ranged1d::{KeyPointHint, KeyPointWeight, NoDefaultFormatting, Ranged, ValueFormatter};
use plotters::prelude::*;
use std::ops::Range;

const W: u32 = 800;
const H: u32 = 520;
/// Width of the legend panel (at scale 1).
const LEGEND: u32 = 250;

/// DejaVu Sans (Bitstream Vera licence, see `assets/README.md`), embedded so that figures need no system fonts.
static FONT: &[u8] = include_bytes!("../../assets/DejaVuSans.ttf");

fn register_font() -> Result<(), String> {
    static ONCE: std::sync::OnceLock<Result<(), String>> = std::sync::OnceLock::new();
    ONCE.get_or_init(|| {
        plotters::style::register_font("sans-serif", FontStyle::Normal, FONT)
            .map_err(|_| "cannot load the embedded font".to_string())
    })
    .clone()
}

/// Renders a figure as an SVG document (displayed 800×520).
pub fn render_svg(fig: &Figure) -> Result<String, String> {
    register_font()?;
    let s = 4;
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (W * s, H * s)).into_drawing_area();
        draw_on(&root, fig, s)?;
    }
    let big = format!("width=\"{}\" height=\"{}\"", W * s, H * s);
    Ok(svg.replacen(&big, &format!("width=\"{W}\" height=\"{H}\""), 1))
}

/// Renders a figure as PNG bytes (1600×1040).
pub fn render_png(fig: &Figure) -> Result<Vec<u8>, String> {
    register_font()?;
    let s = 2;
    let (w, h) = (W * s, H * s);
    let mut rgb = vec![0u8; (w * h * 3) as usize];
    {
        let root = BitMapBackend::with_buffer(&mut rgb, (w, h)).into_drawing_area();
        draw_on(&root, fig, s)?;
    }
    let mut out = Vec::new();
    image::codecs::png::PngEncoder::new(&mut out)
        .write_image(&rgb, w, h, image::ColorType::Rgb8)
        .map_err(|e| format!("PNG encoding: {e}"))?;
    Ok(out)
}

/// Characters per legend line (the panel is 250 px wide; text starts 42 px in; DejaVu Sans at 15 px averages
/// about 8 px a character).
const LEGEND_CHARS: usize = 24;

/// The lines a legend label is drawn on.
pub fn legend_lines(label: &str) -> Vec<String> {
    wrap(label, LEGEND_CHARS)
}

/// Splits a legend label into lines of at most `width` characters at spaces (a longer word stays whole).
fn wrap(label: &str, width: usize) -> Vec<String> {
    let mut lines: Vec<String> = Vec::new();
    let mut cur = String::new();
    for word in label.split(' ') {
        if !cur.is_empty() && cur.chars().count() + 1 + word.chars().count() > width {
            lines.push(std::mem::take(&mut cur));
        }
        if !cur.is_empty() {
            cur.push(' ');
        }
        cur.push_str(word);
    }
    lines.push(cur);
    lines
}

/// A number as a power of ten with Unicode superscripts (`-6` → `10⁻⁶`).
pub fn decade(k: i32) -> String {
    let sup = |c: char| match c {
        '-' => '⁻',
        '0' => '⁰',
        '1' => '¹',
        '2' => '²',
        '3' => '³',
        '4' => '⁴',
        '5' => '⁵',
        '6' => '⁶',
        '7' => '⁷',
        '8' => '⁸',
        _ => '⁹',
    };
    match k {
        0 => "1".into(),
        1 => "10".into(),
        _ => format!("10{}", k.to_string().chars().map(sup).collect::<String>()),
    }
}

/// Tick label of a linear axis.
fn tick(v: f64) -> String {
    if v.abs() < 1e-12 {
        "0".into()
    } else if v.abs() >= 1e4 || v.abs() < 1e-3 {
        format!("{v:.1e}")
    } else {
        let s = format!("{v:.4}");
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    }
}

/// One axis: its range in drawing space (log₁₀ for log axes) and its ticks.
struct Axis {
    lo: f64,
    hi: f64,
    ticks: Option<Vec<f64>>,
    log: bool,
}

fn axis(values: impl Iterator<Item = f64>, log: bool) -> Axis {
    let v: Vec<f64> =
        values.filter(|v| v.is_finite() && (!log || *v > 0.0)).map(|v| if log { v.log10() } else { v }).collect();
    let (lo, hi) = v.iter().fold((f64::INFINITY, f64::NEG_INFINITY), |m, &x| (m.0.min(x), m.1.max(x)));
    if !lo.is_finite() {
        return Axis { lo: 0.0, hi: 1.0, ticks: None, log };
    }
    let pad = if hi > lo {
        0.04 * (hi - lo)
    } else if log {
        0.3
    } else {
        0.5 * lo.abs().max(1.0)
    };
    let (lo, hi) = (lo - pad, hi + pad);
    if log {
        let (a, b) = (lo.ceil() as i64, hi.floor() as i64);
        let n = b - a;
        let ticks: Vec<f64> = if n >= 2 {
            let every = if n > 24 { 2 } else { 1 };
            (a..=b).filter(|k| k % every == 0).map(|k| k as f64).collect()
        } else {
            // Less than two decades: 1, 2, 5 times powers of ten inside the range (every multiple when
            // that gives fewer than three).
            let inside = |ms: &[f64]| {
                let mut t = Vec::new();
                for k in (lo.floor() as i64)..=(hi.ceil() as i64) {
                    for m in ms {
                        let v = k as f64 + m.log10();
                        if v >= lo && v <= hi {
                            t.push(v);
                        }
                    }
                }
                t
            };
            let t = inside(&[1.0, 2.0, 5.0]);
            if t.len() >= 3 { t } else { inside(&[1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0]) }
        };
        Axis { lo, hi, ticks: Some(ticks), log }
    } else {
        Axis { lo, hi, ticks: None, log }
    }
}

/// The label of a tick at `v` (log₁₀ of the value on log axes).
fn tick_label(v: f64, log: bool) -> String {
    if !log {
        tick(v)
    } else if (v - v.round()).abs() < 1e-9 {
        decade(v.round() as i32)
    } else {
        let x = 10f64.powf(v);
        if (1e-3..1e4).contains(&x) {
            tick(x)
        } else {
            // m·10ᵏ, in the decades' own notation.
            let k = v.floor();
            let m = (10f64.powf(v - k)).round();
            format!("{m}·{}", decade(k as i32))
        }
    }
}

/// Draws one marker (pixel-sized, centred at `at` in the area's coordinates).
fn draw_marker<DB, CT>(area: &DrawingArea<DB, CT>, at: CT::From, m: Marker, c: RGBColor, s: u32) -> Result<(), String>
where
    DB: DrawingBackend,
    DB::ErrorType: 'static,
    CT: plotters::coord::CoordTranslate,
{
    let e = |x: DrawingAreaErrorKind<DB::ErrorType>| x.to_string();
    let r = 4 * s as i32;
    let fill = c.filled();
    let open = c.stroke_width(s + s / 2);
    let at = EmptyElement::at(at);
    match m {
        Marker::Circle => area.draw(&(at + Circle::new((0, 0), r, fill))),
        Marker::OpenCircle => area.draw(&(at + Circle::new((0, 0), r, open))),
        Marker::Square => area.draw(&(at + Rectangle::new([(-r, -r), (r, r)], fill))),
        Marker::OpenSquare => area.draw(&(at + Rectangle::new([(-r, -r), (r, r)], open))),
        Marker::Triangle => area.draw(&(at + TriangleMarker::new((0, 0), r + s as i32, fill))),
        Marker::OpenTriangle => {
            area.draw(&(at + PathElement::new(vec![(0, -r - 1), (r + 1, r), (-r - 1, r), (0, -r - 1)], open)))
        }
        Marker::Diamond => {
            area.draw(&(at + Polygon::new(vec![(0, -r - 1), (r + 1, 0), (0, r + 1), (-r - 1, 0)], fill)))
        }
        Marker::Cross => area.draw(&(at + Cross::new((0, 0), r, c.stroke_width(2 * s)))),
    }
    .map_err(e)
}

fn draw_on<DB: DrawingBackend>(
    root: &DrawingArea<DB, plotters::coord::Shift>,
    fig: &Figure,
    s: u32,
) -> Result<(), String>
where
    DB::ErrorType: 'static,
{
    let e = |x: DrawingAreaErrorKind<DB::ErrorType>| x.to_string();
    root.fill(&WHITE).map_err(e)?;
    let (plot_area, legend_area) = root.split_horizontally((W - LEGEND) * s);
    let tx = |v: f64| if fig.log_x { v.log10() } else { v };
    let ty = |v: f64| if fig.log_y { v.log10() } else { v };
    let ok =
        |p: &(f64, f64)| p.0.is_finite() && p.1.is_finite() && (!fig.log_x || p.0 > 0.0) && (!fig.log_y || p.1 > 0.0);
    let pts = |sr: &crate::study::Series| -> Vec<(f64, f64)> {
        sr.points.iter().filter(|p| ok(p)).map(|p| (tx(p.0), ty(p.1))).collect()
    };
    let xs = fig.series.iter().flat_map(|sr| sr.points.iter().filter(|p| ok(p)).map(|p| p.0));
    let ys = fig.series.iter().flat_map(|sr| {
        sr.points.iter().filter(|p| ok(p)).map(|p| p.1).chain(sr.band.iter().flatten().flat_map(|b| [b.1, b.2]))
    });
    let (mut ax, mut ay) = (axis(xs, fig.log_x), axis(ys, fig.log_y));
    if fig.equal_axes {
        // Same scale on both axes: widen the shorter range to the plot's aspect ratio.
        let aspect = (H as f64 - 110.0) / ((W - LEGEND) as f64 - 110.0);
        let (cx, cy) = (0.5 * (ax.lo + ax.hi), 0.5 * (ay.lo + ay.hi));
        let hx = 0.5 * (ax.hi - ax.lo).max((ay.hi - ay.lo) / aspect);
        ax.lo = cx - hx;
        ax.hi = cx + hx;
        ay.lo = cy - hx * aspect;
        ay.hi = cy + hx * aspect;
    }
    let xrange = ax.lo..ax.hi;
    let yrange = ay.lo..ay.hi;
    if ax.ticks.as_ref().is_some_and(|t| t.len() > 12) {
        // Wide log axes: every second decade labelled, so that labels never touch.
        ax.ticks = ax.ticks.map(|t| t.into_iter().filter(|v| (v.round() as i64) % 2 == 0).collect());
    }
    let fmt = |log: bool| move |v: &f64| tick_label(*v, log);
    let mut builder = ChartBuilder::on(&plot_area);
    builder
        .caption(&fig.title, ("sans-serif", style::TITLE_PX * s))
        .margin(12 * s)
        .margin_top(22 * s)
        .x_label_area_size(48 * s)
        .y_label_area_size(72 * s);
    let mut chart = builder.build_cartesian_2d(Ticked::new(&ax, xrange), Ticked::new(&ay, yrange)).map_err(e)?;
    chart
        .configure_mesh()
        .x_desc(&fig.x_label)
        .y_desc(&fig.y_label)
        .x_label_style(("sans-serif", style::TICK_PX * s))
        .y_label_style(("sans-serif", style::TICK_PX * s))
        .axis_desc_style(("sans-serif", style::AXIS_PX * s))
        .light_line_style(RGBColor(238, 238, 238))
        .bold_line_style(RGBColor(225, 225, 225).stroke_width(s))
        .axis_style(BLACK.stroke_width(s))
        .x_label_formatter(&fmt(ax.log))
        .y_label_formatter(&fmt(ay.log))
        .draw()
        .map_err(e)?;
    let nser = fig.series.len();
    for sr in &fig.series {
        let c = style::color(sr.color);
        if let Some(band) = &sr.band {
            let band: Vec<(f64, f64, f64)> = band
                .iter()
                .filter(|b| {
                    b.0.is_finite() && b.1.is_finite() && b.2.is_finite() && (!fig.log_y || (b.1 > 0.0 && b.2 > 0.0))
                })
                .map(|b| (tx(b.0), ty(b.1), ty(b.2)))
                .collect();
            let mut poly: Vec<(f64, f64)> = band.iter().map(|b| (b.0, b.1)).collect();
            poly.extend(band.iter().rev().map(|b| (b.0, b.2)));
            chart.draw_series(std::iter::once(Polygon::new(poly, c.mix(0.18).filled()))).map_err(e)?;
        }
    }
    // Lines first, widest first, so that a later curve lying on an earlier one leaves its edges visible;
    // then every series' markers on top.
    for (k, sr) in fig.series.iter().enumerate() {
        let c = style::color(sr.color);
        let p = pts(sr);
        let w = if nser > 1 && k + 1 < nser { 3 * s } else { 2 * s };
        match sr.style {
            Style::Markers => {}
            Style::Dashed => {
                chart.draw_series(DashedLineSeries::new(p, 8 * s, 5 * s, c.stroke_width(w))).map_err(e)?;
            }
            Style::Line => {
                chart.draw_series(LineSeries::new(p, c.stroke_width(w))).map_err(e)?;
            }
        }
    }
    for (k, sr) in fig.series.iter().enumerate() {
        let c = style::color(sr.color);
        let p = pts(sr);
        let idx: Vec<usize> = match sr.style {
            Style::Markers => (0..p.len()).collect(),
            _ => style::marker_positions(p.len(), k, nser),
        };
        for i in idx {
            draw_marker(chart.plotting_area(), p[i], style::marker(k), c, s)?;
        }
    }
    // The legend, in its own panel: a sample of each series (line and marker) and its label.
    let font = ("sans-serif", style::LEGEND_PX * s).into_font();
    let row = 24 * s as i32;
    let line = 18 * s as i32;
    let mut y = 48 * s as i32 - row;
    for (k, sr) in fig.series.iter().enumerate() {
        let c = style::color(sr.color);
        let lines = wrap(&sr.label, LEGEND_CHARS);
        y += row;
        let x0 = 6 * s as i32;
        let x1 = x0 + 30 * s as i32;
        if sr.band.is_some() {
            legend_area
                .draw(&Rectangle::new([(x0, y - 7 * s as i32), (x1, y + 7 * s as i32)], c.mix(0.18).filled()))
                .map_err(e)?;
        }
        match sr.style {
            Style::Markers => {}
            Style::Dashed => {
                let m = (x0 + x1) / 2;
                legend_area
                    .draw(&PathElement::new(vec![(x0, y), (m - 3 * s as i32, y)], c.stroke_width(2 * s)))
                    .map_err(e)?;
                legend_area
                    .draw(&PathElement::new(vec![(m + 3 * s as i32, y), (x1, y)], c.stroke_width(2 * s)))
                    .map_err(e)?;
            }
            Style::Line => {
                legend_area.draw(&PathElement::new(vec![(x0, y), (x1, y)], c.stroke_width(2 * s))).map_err(e)?
            }
        }
        draw_marker(&legend_area, ((x0 + x1) / 2, y), style::marker(k), c, s)?;
        for (i, l) in lines.iter().enumerate() {
            legend_area
                .draw(&Text::new(
                    l.clone(),
                    (x1 + 6 * s as i32, y - 8 * s as i32 + i as i32 * line),
                    font.clone().color(&BLACK),
                ))
                .map_err(e)?;
        }
        y += (lines.len() as i32 - 1) * line;
    }
    root.present().map_err(e)?;
    Ok(())
}

/// A linear coordinate (in log₁₀ space for log axes) with our own ticks: every decade (log axes) or
/// about six round values (linear axes) bold, the minor ticks light.
struct Ticked {
    range: Range<f64>,
    bold: Vec<f64>,
    light: Vec<f64>,
}

impl Ticked {
    fn new(a: &Axis, range: Range<f64>) -> Self {
        let bold = a.ticks.clone().unwrap_or_else(|| nice_ticks(range.start, range.end));
        let light = if a.log {
            let (lo, hi) = (range.start.floor() as i32, range.end.ceil() as i32);
            (lo..hi)
                .flat_map(|k| (2..10).map(move |m| k as f64 + (m as f64).log10()))
                .filter(|v| range.contains(v))
                .collect()
        } else {
            Vec::new()
        };
        Ticked { range, bold, light }
    }
}

impl Ranged for Ticked {
    type FormatOption = NoDefaultFormatting;
    type ValueType = f64;
    fn map(&self, v: &f64, limit: (i32, i32)) -> i32 {
        let span = self.range.end - self.range.start;
        let r = if span > 0.0 { (v - self.range.start) / span } else { 0.5 };
        limit.0 + (r * (limit.1 - limit.0) as f64).round() as i32
    }
    fn key_points<H: KeyPointHint>(&self, hint: H) -> Vec<f64> {
        match hint.weight() {
            KeyPointWeight::Bold => self.bold.clone(),
            KeyPointWeight::Any => self.bold.iter().chain(&self.light).copied().collect(),
        }
    }
    fn range(&self) -> Range<f64> {
        self.range.clone()
    }
}

impl ValueFormatter<f64> for Ticked {
    fn format(v: &f64) -> String {
        tick(*v)
    }
}

/// About six round tick positions covering `[lo, hi]`.
fn nice_ticks(lo: f64, hi: f64) -> Vec<f64> {
    let span = (hi - lo).abs().max(f64::MIN_POSITIVE);
    let raw = span / 6.0;
    let mag = 10f64.powf(raw.log10().floor());
    let step = [1.0, 2.0, 2.5, 5.0, 10.0].iter().map(|m| m * mag).find(|s| span / s <= 7.0).unwrap_or(10.0 * mag);
    let start = (lo / step).ceil() * step;
    (0..50)
        .map(|k| start + k as f64 * step)
        .take_while(|v| *v <= hi + 1e-9 * step)
        .map(|v| if v.abs() < 1e-12 * step { 0.0 } else { v })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn legend_labels_wrap_at_spaces_and_keep_every_character() {
        let l = "Lasso path (exact homotopy)";
        let w = wrap(l, LEGEND_CHARS);
        assert!(w.len() == 2 && w.iter().all(|x| x.chars().count() <= LEGEND_CHARS), "{w:?}");
        assert_eq!(w.join(" "), l);
        assert_eq!(wrap("short", LEGEND_CHARS), vec!["short".to_string()]);
    }

    #[test]
    fn decades_and_ticks_read_well() {
        assert_eq!(decade(-6), "10⁻⁶");
        assert_eq!(decade(3), "10³");
        assert_eq!(decade(0), "1");
        let t = nice_ticks(-0.13, 1.27);
        assert!(t.first().unwrap() >= &-0.13 && t.len() >= 4 && t.len() <= 8, "{t:?}");
        let a = axis([1e-10, 3.0, 1e3].into_iter(), true);
        assert!(a.lo < -10.0 && a.lo > -10.6 && a.hi > 3.0 && a.hi < 3.6, "{} {}", a.lo, a.hi);
        assert_eq!(a.ticks.unwrap().len(), 14, "one label per decade");
        // Data in 0.7–1.5 are drawn on 0.7–1.5 (with margins), not on 10⁻¹–10, with 1–2–5 ticks.
        let a = axis([0.7, 1.5].into_iter(), true);
        assert!(10f64.powf(a.lo) > 0.65 && 10f64.powf(a.hi) < 1.6, "{} {}", a.lo, a.hi);
        let labels: Vec<String> = a.ticks.unwrap().iter().map(|v| tick_label(*v, true)).collect();
        assert_eq!(labels, vec!["0.7", "0.8", "0.9", "1"]);
        assert_eq!(tick_label(2f64.log10(), true), "2");
        assert_eq!(tick_label((5e-4f64).log10(), true), "5·10⁻⁴");
    }
}
