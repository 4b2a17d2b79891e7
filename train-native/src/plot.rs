//! A dependency-free SVG loss curve, written beside the checkpoints.

use std::fmt::Write;
use std::path::Path;

/// Reads `(step, loss)` pairs from a `metrics.jsonl`.
pub fn read_losses(metrics: &Path) -> Vec<(f64, f64)> {
    let Ok(text) = std::fs::read_to_string(metrics) else {
        return Vec::new();
    };
    text.lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter_map(|v| Some((v.get("step")?.as_f64()?, v.get("loss")?.as_f64()?)))
        .collect()
}

/// Renders the training loss against the step as an SVG document.
pub fn loss_svg(points: &[(f64, f64)], title: &str) -> String {
    let (x_max, y_min, y_max) = bounds(points);
    let f = Frame {
        w: 720.0,
        h: 420.0,
        left: 70.0,
        right: 20.0,
        top: 40.0,
        bottom: 50.0,
        x_max,
        y_min,
        y_max,
    };
    let (w, h) = (f.w, f.h);
    let mut svg = String::new();
    let _ = writeln!(
        svg,
        r##"<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" viewBox="0 0 {w} {h}" font-family="sans-serif" font-size="12">"##
    );
    let _ = writeln!(
        svg,
        r##"<rect width="100%" height="100%" fill="#ffffff"/>"##
    );
    let _ = writeln!(
        svg,
        r##"<text x="{}" y="22" text-anchor="middle" font-size="15">{}</text>"##,
        w / 2.0,
        escape(title)
    );
    axes(&mut svg, &f);
    let path: Vec<String> = points
        .iter()
        .map(|&(s, l)| format!("{:.1},{:.1}", f.x(s), f.y(l)))
        .collect();
    let _ = writeln!(
        svg,
        r##"<polyline fill="none" stroke="#c0392b" stroke-width="1.5" points="{}"/>"##,
        path.join(" ")
    );
    svg.push_str("</svg>\n");
    svg
}

/// The plot's size, margins and data ranges: where a (step, loss) point lands.
struct Frame {
    w: f64,
    h: f64,
    left: f64,
    right: f64,
    top: f64,
    bottom: f64,
    x_max: f64,
    y_min: f64,
    y_max: f64,
}

impl Frame {
    fn x(&self, step: f64) -> f64 {
        self.left + (step / self.x_max) * (self.w - self.left - self.right)
    }

    fn y(&self, loss: f64) -> f64 {
        self.top
            + (self.y_max - loss) / (self.y_max - self.y_min) * (self.h - self.top - self.bottom)
    }
}

/// Grid lines with loss labels, step ticks, and both axis titles.
fn axes(svg: &mut String, f: &Frame) {
    let (w, h, left, right, bottom) = (f.w, f.h, f.left, f.right, f.bottom);
    let (x_max, y_min, y_max) = (f.x_max, f.y_min, f.y_max);
    for i in 0..=4 {
        let value = y_min + (y_max - y_min) * i as f64 / 4.0;
        let _ = writeln!(
            svg,
            r##"<line x1="{left}" x2="{}" y1="{y:.1}" y2="{y:.1}" stroke="#e5e5e5"/><text x="{}" y="{:.1}" text-anchor="end">{value:.2}</text>"##,
            w - right,
            left - 6.0,
            f.y(value) + 4.0,
            y = f.y(value)
        );
    }
    for i in 0..=4 {
        let step = x_max * i as f64 / 4.0;
        let _ = writeln!(
            svg,
            r##"<text x="{:.1}" y="{}" text-anchor="middle">{step:.0}</text>"##,
            f.x(step),
            h - bottom + 18.0
        );
    }
    let _ = writeln!(
        svg,
        r##"<text x="{}" y="{}" text-anchor="middle">step</text>"##,
        (left + w - right) / 2.0,
        h - 10.0
    );
    let _ = writeln!(
        svg,
        r##"<text x="16" y="{}" text-anchor="middle" transform="rotate(-90 16 {})">training loss</text>"##,
        h / 2.0,
        h / 2.0
    );
}

fn bounds(points: &[(f64, f64)]) -> (f64, f64, f64) {
    let x_max = points.iter().map(|p| p.0).fold(1.0, f64::max);
    let y_min = points.iter().map(|p| p.1).fold(f64::INFINITY, f64::min);
    let y_max = points.iter().map(|p| p.1).fold(f64::NEG_INFINITY, f64::max);
    if !y_min.is_finite() || !y_max.is_finite() {
        return (x_max, 0.0, 1.0);
    }
    let pad = ((y_max - y_min) * 0.05).max(1e-3);
    ((x_max), (y_min - pad).max(0.0), y_max + pad)
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn svg_has_one_point_per_step() {
        let svg = loss_svg(&[(1.0, 5.0), (2.0, 4.0), (3.0, 3.5)], "run <a>");
        assert!(svg.starts_with("<svg"));
        assert!(svg.contains("run &lt;a&gt;"));
        let points = svg
            .split("points=\"")
            .nth(1)
            .unwrap()
            .split('"')
            .next()
            .unwrap();
        assert_eq!(points.split(' ').count(), 3);
    }
}
