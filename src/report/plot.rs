//! Figures with `plotters` (SVG): line plots with optional log axes, and paths in the plane.

use image::ImageEncoder;
use plotters::prelude::*;

/// One plotted series.
pub struct Series {
    /// Legend label.
    pub label: String,
    /// Points `(x, y)`.
    pub points: Vec<(f64, f64)>,
    /// Palette index.
    pub color: usize,
    /// Draw markers instead of a line.
    pub markers: bool,
    /// Dashed line.
    pub dashed: bool,
}

impl Series {
    /// A solid line.
    pub fn line(label: &str, points: Vec<(f64, f64)>, color: usize) -> Self {
        Series { label: label.into(), points, color, markers: false, dashed: false }
    }
    /// Markers only.
    pub fn markers(label: &str, points: Vec<(f64, f64)>, color: usize) -> Self {
        Series { label: label.into(), points, color, markers: true, dashed: false }
    }
    /// A dashed line.
    pub fn dashed(label: &str, points: Vec<(f64, f64)>, color: usize) -> Self {
        Series { label: label.into(), points, color, markers: false, dashed: true }
    }
}

/// Axes of a figure.
pub struct Axes<'a> {
    /// Title.
    pub title: &'a str,
    /// x label.
    pub xlabel: &'a str,
    /// y label.
    pub ylabel: &'a str,
    /// Log-scale x.
    pub logx: bool,
    /// Log-scale y.
    pub logy: bool,
    /// Same scale on both axes (paths in the plane).
    pub equal: bool,
}

/// Tick label: `1e-6` on log axes, a short decimal on linear ones.
fn tick(v: f64, log: bool) -> String {
    if log {
        let e = v.log10().round();
        if (v.log10() - e).abs() < 1e-6 { format!("1e{}", e as i32) } else { format!("{v:.0e}") }
    } else if v.abs() < 1e-12 {
        "0".into()
    } else if v.abs() >= 1e4 || v.abs() < 1e-3 {
        format!("{v:.1e}")
    } else {
        let s = format!("{v:.4}");
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    }
}

const PALETTE: [RGBColor; 6] = [
    RGBColor(31, 119, 180),
    RGBColor(214, 39, 40),
    RGBColor(44, 160, 44),
    RGBColor(148, 103, 189),
    RGBColor(255, 127, 14),
    RGBColor(80, 80, 80),
];

fn bounds(series: &[Series], log: bool, pick: fn(&(f64, f64)) -> f64) -> (f64, f64) {
    let vals: Vec<f64> =
        series.iter().flat_map(|s| s.points.iter().map(pick)).filter(|v| v.is_finite() && (!log || *v > 0.0)).collect();
    let lo = vals.iter().copied().fold(f64::INFINITY, f64::min);
    let hi = vals.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    if !lo.is_finite() {
        return if log { (1e-16, 1.0) } else { (0.0, 1.0) };
    }
    if log {
        let (a, b) = (lo.log10().floor(), hi.log10().ceil());
        (10f64.powf(a), 10f64.powf(if b > a { b } else { a + 1.0 }))
    } else {
        let pad = if hi > lo { 0.05 * (hi - lo) } else { 0.5 * lo.abs().max(1.0) };
        (lo - pad, hi + pad)
    }
}

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

/// Renders the series as an SVG document (800×520).
pub fn render(axes: &Axes<'_>, series: &[Series]) -> Result<String, String> {
    register_font()?;
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (800, 520)).into_drawing_area();
        draw_on(&root, axes, series)?;
    }
    Ok(svg)
}

/// Renders the series as PNG bytes (1600×1040: the SVG layout at twice the scale).
pub fn render_png(axes: &Axes<'_>, series: &[Series]) -> Result<Vec<u8>, String> {
    register_font()?;
    let (w, h) = (1600u32, 1040u32);
    let mut rgb = vec![0u8; (w * h * 3) as usize];
    SCALE.with(|s| s.set(2));
    let res = {
        let root = BitMapBackend::with_buffer(&mut rgb, (w, h)).into_drawing_area();
        draw_on(&root, axes, series)
    };
    SCALE.with(|s| s.set(1));
    res?;
    let mut out = Vec::new();
    image::codecs::png::PngEncoder::new(&mut out)
        .write_image(&rgb, w, h, image::ColorType::Rgb8)
        .map_err(|e| format!("PNG encoding: {e}"))?;
    Ok(out)
}

thread_local! {
    static SCALE: std::cell::Cell<u32> = const { std::cell::Cell::new(1) };
}

fn sc(v: u32) -> u32 {
    SCALE.with(|s| s.get()) * v
}

fn draw_on<DB: DrawingBackend>(
    root: &DrawingArea<DB, plotters::coord::Shift>,
    axes: &Axes<'_>,
    series: &[Series],
) -> Result<(), String>
where
    DB::ErrorType: 'static,
{
    {
        root.fill(&WHITE).map_err(|e| e.to_string())?;
        let (mut x0, mut x1) = bounds(series, axes.logx, |p| p.0);
        let (mut y0, mut y1) = bounds(series, axes.logy, |p| p.1);
        // Headroom above the data for the legend.
        if axes.logy {
            y1 *= 10f64.powf(((y1 / y0).log10() * 0.3).max(1.0).round());
        } else {
            y1 += 0.45 * (y1 - y0);
        }
        if axes.equal {
            let (cx, cy) = (0.5 * (x0 + x1), 0.5 * (y0 + y1));
            let h = 0.5 * (x1 - x0).max((y1 - y0) * 1.3);
            (x0, x1) = (cx - h, cx + h);
            (y0, y1) = (cy - h / 1.3, cy + h / 1.3);
        }
        macro_rules! draw {
            ($chart:expr) => {{
                let mut chart = $chart;
                chart
                    .configure_mesh()
                    .x_desc(axes.xlabel)
                    .y_desc(axes.ylabel)
                    .label_style(("sans-serif", sc(15)))
                    .axis_desc_style(("sans-serif", sc(17)))
                    .light_line_style(RGBColor(235, 235, 235))
                    .x_label_formatter(&|v| tick(*v, axes.logx))
                    .y_label_formatter(&|v| tick(*v, axes.logy))
                    .draw()
                    .map_err(|e| e.to_string())?;
                for s in series {
                    let c = PALETTE[s.color % PALETTE.len()];
                    let pts: Vec<(f64, f64)> = s
                        .points
                        .iter()
                        .copied()
                        .filter(|p| {
                            p.0.is_finite() && p.1.is_finite() && (!axes.logx || p.0 > 0.0) && (!axes.logy || p.1 > 0.0)
                        })
                        .collect();
                    if s.markers {
                        chart
                            .draw_series(pts.iter().map(|&p| Circle::new(p, sc(4), c.filled())))
                            .map_err(|e| e.to_string())?
                            .label(s.label.as_str())
                            .legend(move |(x, y)| Circle::new((x + sc(10) as i32, y), sc(4), c.filled()));
                    } else if s.dashed {
                        chart
                            .draw_series(DashedLineSeries::new(pts, sc(8), sc(5), c.stroke_width(sc(2))))
                            .map_err(|e| e.to_string())?
                            .label(s.label.as_str())
                            .legend(move |(x, y)| {
                                let (a, b) = (sc(8) as i32, sc(12) as i32);
                                EmptyElement::at((x, y))
                                    + PathElement::new(vec![(0, 0), (a, 0)], c.stroke_width(sc(2)))
                                    + PathElement::new(vec![(b, 0), (b + a, 0)], c.stroke_width(sc(2)))
                            });
                    } else {
                        chart
                            .draw_series(LineSeries::new(pts, c.stroke_width(sc(2))))
                            .map_err(|e| e.to_string())?
                            .label(s.label.as_str())
                            .legend(move |(x, y)| {
                                PathElement::new(vec![(x, y), (x + sc(20) as i32, y)], c.stroke_width(sc(2)))
                            });
                    }
                }
                chart
                    .configure_series_labels()
                    .background_style(WHITE.mix(0.85))
                    .border_style(BLACK)
                    .label_font(("sans-serif", sc(14)))
                    .legend_area_size(sc(30))
                    .position(SeriesLabelPosition::UpperRight)
                    .draw()
                    .map_err(|e| e.to_string())?;
            }};
        }
        let mut builder = ChartBuilder::on(root);
        builder
            .caption(axes.title, ("sans-serif", sc(20)))
            .margin(sc(15))
            .x_label_area_size(sc(50))
            .y_label_area_size(sc(75));
        match (axes.logx, axes.logy) {
            (false, false) => draw!(builder.build_cartesian_2d(x0..x1, y0..y1).map_err(|e| e.to_string())?),
            (true, false) => {
                draw!(builder.build_cartesian_2d((x0..x1).log_scale(), y0..y1).map_err(|e| e.to_string())?)
            }
            (false, true) => {
                draw!(builder.build_cartesian_2d(x0..x1, (y0..y1).log_scale()).map_err(|e| e.to_string())?)
            }
            (true, true) => {
                draw!(
                    builder.build_cartesian_2d((x0..x1).log_scale(), (y0..y1).log_scale()).map_err(|e| e.to_string())?
                )
            }
        }
        root.present().map_err(|e| e.to_string())?;
    }
    Ok(())
}
