//! The one figure style of the project (what a matplotlib style sheet is to a paper's figures): a
//! colour-blind-safe palette, marker shapes, font sizes and margins. Every figure of the report is drawn
//! with these and nothing else.
//!
//! - **Palette**: Okabe & Ito's (2002) colours without yellow (too light on white) — blue, vermillion,
//!   bluish green, reddish purple, orange, black, sky blue. Under simulated deuteranopia and protanopia
//!   (Machado, Oliveira & Fernandes 2009, severity 1) every pair stays at least [`MIN_DELTA_E`] apart in
//!   CIELAB (ΔE*ab); the test below checks it.
//! - **Markers**: the k-th series of a figure carries the k-th marker shape at a few evenly spaced points
//!   (shifted per series so that markers of coinciding curves do not sit on each other), so that a curve
//!   drawn under another one stays visible, and every pair of series differs by shape as well as colour.
//! - **Fonts**: sizes in pixels of the 800-pixel-wide figure; printed 6.5 in wide, one pixel is 0.585 pt,
//!   so the smallest size (14 px) prints at 8.2 pt.
//! - **Layout**: the title sits in its own band above the plot, clear of the tick labels; axis ranges are
//!   fitted to the data with margins.

use plotters::style::RGBColor;

/// The palette (Okabe–Ito, without yellow); a series' `color` indexes it modulo its length.
pub const PALETTE: [RGBColor; 7] = [
    RGBColor(0, 114, 178),   // blue
    RGBColor(213, 94, 0),    // vermillion
    RGBColor(0, 158, 115),   // bluish green
    RGBColor(204, 121, 167), // reddish purple
    RGBColor(230, 159, 0),   // orange
    RGBColor(0, 0, 0),       // black (references, floors)
    RGBColor(86, 180, 233),  // sky blue
];

/// The smallest CIELAB distance (ΔE*ab) between two palette colours, for normal vision and under
/// simulated deuteranopia and protanopia (the test checks it; 10 is a clearly visible difference for
/// thin lines, Okabe–Ito's closest pair under deuteranopia is 17.9).
pub const MIN_DELTA_E: f64 = 15.0;

/// Tick labels (px at the 800-px figure width; 8.2 pt printed 6.5 in wide).
pub const TICK_PX: u32 = 14;
/// Legend text.
pub const LEGEND_PX: u32 = 15;
/// Axis descriptions.
pub const AXIS_PX: u32 = 16;
/// The title.
pub const TITLE_PX: u32 = 19;
/// The smallest font of a figure, in points, printed at `width_in` inches.
pub fn smallest_font_pt(width_in: f64) -> f64 {
    TICK_PX.min(LEGEND_PX).min(AXIS_PX) as f64 * width_in * 72.0 / 800.0
}

/// How many markers a line carries.
pub const MARKERS_PER_LINE: usize = 7;

/// Marker shapes, in the order series receive them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Marker {
    /// A filled circle.
    Circle,
    /// A filled square.
    Square,
    /// A filled triangle, apex up.
    Triangle,
    /// A filled diamond.
    Diamond,
    /// An open circle.
    OpenCircle,
    /// An open square.
    OpenSquare,
    /// An open triangle.
    OpenTriangle,
    /// A cross (×).
    Cross,
}

const MARKERS: [Marker; 8] = [
    Marker::Circle,
    Marker::Square,
    Marker::Triangle,
    Marker::Diamond,
    Marker::OpenCircle,
    Marker::OpenSquare,
    Marker::OpenTriangle,
    Marker::Cross,
];

/// The marker of the `k`-th series of a figure.
pub fn marker(k: usize) -> Marker {
    MARKERS[k % MARKERS.len()]
}

/// The palette colour of index `i`.
pub fn color(i: usize) -> RGBColor {
    PALETTE[i % PALETTE.len()]
}

/// Which of a line's points carry markers for the `k`-th of `n` series: about
/// [`MARKERS_PER_LINE`] evenly spaced ones, shifted by `k/n` of the spacing.
pub fn marker_positions(len: usize, k: usize, n: usize) -> Vec<usize> {
    if len == 0 {
        return Vec::new();
    }
    if len <= MARKERS_PER_LINE {
        return (0..len).collect();
    }
    let step = (len - 1) as f64 / MARKERS_PER_LINE as f64;
    let shift = step * (k % n.max(1)) as f64 / n.max(1) as f64;
    let first = 0.5 * step - 0.5 * step / n.max(1) as f64 + shift;
    let mut v: Vec<usize> = (0..MARKERS_PER_LINE)
        .map(|i| (first + i as f64 * step).round().clamp(0.0, (len - 1) as f64) as usize)
        .collect();
    v.dedup();
    v
}

/// Colour-vision deficiencies that figures are checked against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Vision {
    /// Normal trichromatic vision.
    Normal,
    /// No green cones (about 1% of men).
    Deuteranopia,
    /// No red cones (about 1% of men).
    Protanopia,
}

fn to_linear(c: u8) -> f64 {
    let v = c as f64 / 255.0;
    if v <= 0.04045 { v / 12.92 } else { ((v + 0.055) / 1.055).powf(2.4) }
}

/// A colour as seen with `vision`, in linear sRGB (Machado et al. 2009, severity 1).
pub fn simulate(c: RGBColor, vision: Vision) -> [f64; 3] {
    let rgb = [to_linear(c.0), to_linear(c.1), to_linear(c.2)];
    let m: [[f64; 3]; 3] = match vision {
        Vision::Normal => return rgb,
        Vision::Protanopia => {
            [[0.152286, 1.052583, -0.204868], [0.114503, 0.786281, 0.099216], [-0.003882, -0.048116, 1.051998]]
        }
        Vision::Deuteranopia => {
            [[0.367322, 0.860646, -0.227968], [0.280085, 0.672501, 0.047413], [-0.011820, 0.042940, 0.968881]]
        }
    };
    let mut out = [0.0; 3];
    for (i, row) in m.iter().enumerate() {
        out[i] = (row[0] * rgb[0] + row[1] * rgb[1] + row[2] * rgb[2]).clamp(0.0, 1.0);
    }
    out
}

/// CIELAB coordinates (D65) of a linear-sRGB colour.
pub fn lab(rgb: [f64; 3]) -> [f64; 3] {
    let x = 0.4124 * rgb[0] + 0.3576 * rgb[1] + 0.1805 * rgb[2];
    let y = 0.2126 * rgb[0] + 0.7152 * rgb[1] + 0.0722 * rgb[2];
    let z = 0.0193 * rgb[0] + 0.1192 * rgb[1] + 0.9505 * rgb[2];
    let f = |t: f64| if t > 0.008856 { t.cbrt() } else { 7.787 * t + 16.0 / 116.0 };
    let (fx, fy, fz) = (f(x / 0.95047), f(y), f(z / 1.08883));
    [116.0 * fy - 16.0, 500.0 * (fx - fy), 200.0 * (fy - fz)]
}

/// The CIELAB distance (ΔE*ab) between two palette colours as seen with `vision`.
pub fn delta_e(a: RGBColor, b: RGBColor, vision: Vision) -> f64 {
    let (p, q) = (lab(simulate(a, vision)), lab(simulate(b, vision)));
    ((p[0] - q[0]).powi(2) + (p[1] - q[1]).powi(2) + (p[2] - q[2]).powi(2)).sqrt()
}

/// Checks that every pair of a figure's series can be told apart by a reader with normal vision,
/// deuteranopia or protanopia: by colour (palette colours at least [`MIN_DELTA_E`] apart as they see
/// them) or, for series sharing a colour, by drawing style or marker. Returns the first pair that fails.
pub fn check_distinguishable(fig: &crate::study::Figure) -> Result<(), String> {
    for (i, a) in fig.series.iter().enumerate() {
        for (j, b) in fig.series.iter().enumerate().skip(i + 1) {
            let (ca, cb) = (color(a.color), color(b.color));
            let by_shape = a.style != b.style || marker(i) != marker(j);
            for v in [Vision::Normal, Vision::Deuteranopia, Vision::Protanopia] {
                let d = delta_e(ca, cb, v);
                if d < MIN_DELTA_E && !by_shape {
                    return Err(format!(
                        "figure {}: series '{}' and '{}' differ by ΔE = {d:.1} under {v:?} and by nothing else",
                        fig.name, a.label, b.label
                    ));
                }
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_palette_stays_distinguishable_under_colour_blindness() {
        for v in [Vision::Normal, Vision::Deuteranopia, Vision::Protanopia] {
            for (i, a) in PALETTE.iter().enumerate() {
                for b in PALETTE.iter().skip(i + 1) {
                    let d = delta_e(*a, *b, v);
                    assert!(d >= MIN_DELTA_E, "{a:?} vs {b:?} under {v:?}: ΔE = {d:.1}");
                }
            }
        }
        // The simulation is not the identity: the old palette's red and green collapse under deuteranopia.
        let (red, green) = (RGBColor(214, 39, 40), RGBColor(44, 160, 44));
        assert!(delta_e(red, green, Vision::Normal) > 60.0);
        assert!(
            delta_e(red, green, Vision::Deuteranopia) < MIN_DELTA_E,
            "{}",
            delta_e(red, green, Vision::Deuteranopia)
        );
        // White stays white, black black.
        assert_eq!(simulate(RGBColor(255, 255, 255), Vision::Protanopia).map(|x| (x * 1e3).round()), [1e3; 3]);
        assert_eq!(lab(simulate(RGBColor(0, 0, 0), Vision::Deuteranopia))[0], 0.0);
    }

    #[test]
    fn fonts_print_at_eight_points_or_more_and_markers_spread() {
        assert!(smallest_font_pt(6.5) >= 8.0, "{}", smallest_font_pt(6.5));
        let a = marker_positions(200, 0, 3);
        let b = marker_positions(200, 1, 3);
        assert_eq!(a.len(), MARKERS_PER_LINE);
        assert!(a.iter().zip(&b).all(|(x, y)| x != y), "{a:?} {b:?}");
        assert!(a.iter().chain(&b).all(|&i| i < 200));
        assert_eq!(marker_positions(3, 2, 4), vec![0, 1, 2]);
        assert!(marker_positions(0, 0, 1).is_empty());
    }
}
