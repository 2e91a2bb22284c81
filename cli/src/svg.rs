//! Hand-written SVG charts: self-contained, no scripts, well-formed XML.

use std::fmt::Write;

/// One line of a chart.
#[derive(Debug, Clone)]
pub struct Series {
    /// Legend label.
    pub name: String,
    /// `(x, y)` points in data units.
    pub points: Vec<(f64, f64)>,
    /// Draw markers only (no line), e.g. for published reference points.
    pub markers_only: bool,
}

const COLORS: &[&str] = &[
    "#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#17becf", "#7f7f7f", "#e377c2", "#bcbd22",
];

/// Escapes text for XML.
pub fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn nice_log_ticks(lo: f64, hi: f64) -> Vec<f64> {
    let mut v = Vec::new();
    let mut e = lo.log10().floor() as i32;
    while 10f64.powi(e) <= hi * 1.0001 {
        for m in [1.0, 2.0, 5.0] {
            let t = m * 10f64.powi(e);
            if t >= lo * 0.9999 && t <= hi * 1.0001 {
                v.push(t);
            }
        }
        e += 1;
    }
    v
}

fn nice_lin_ticks(lo: f64, hi: f64) -> Vec<f64> {
    let span = (hi - lo).max(1e-12);
    let raw = span / 6.0;
    let mag = 10f64.powf(raw.log10().floor());
    let step = [1.0, 2.0, 5.0, 10.0]
        .iter()
        .map(|m| m * mag)
        .find(|s| span / s <= 8.0)
        .unwrap_or(mag * 10.0);
    let mut v = Vec::new();
    let mut t = (lo / step).ceil() * step;
    while t <= hi + step * 1e-9 {
        v.push(t);
        t += step;
    }
    v
}

fn fmt_tick(t: f64) -> String {
    if t == 0.0 {
        "0".into()
    } else if t.abs() >= 1000.0 || t.abs() < 0.001 {
        format!("{t:.0e}")
    } else {
        let s = format!("{t:.4}");
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    }
}

/// A log–log or linear line chart.
#[derive(Debug, Clone)]
pub struct Chart {
    /// Title.
    pub title: String,
    /// X axis label.
    pub x_label: String,
    /// Y axis label.
    pub y_label: String,
    /// Logarithmic x axis.
    pub log_x: bool,
    /// Logarithmic y axis.
    pub log_y: bool,
    /// The lines.
    pub series: Vec<Series>,
    /// Horizontal reference lines `(y, label)`.
    pub h_lines: Vec<(f64, String)>,
    /// Vertical markers `(x, label)` (drawn red).
    pub v_marks: Vec<(f64, String)>,
    /// Fixed y range (otherwise from the data).
    pub y_range: Option<(f64, f64)>,
}

impl Chart {
    /// An empty chart.
    pub fn new(title: &str, x_label: &str, y_label: &str, log_x: bool, log_y: bool) -> Chart {
        Chart {
            title: title.into(),
            x_label: x_label.into(),
            y_label: y_label.into(),
            log_x,
            log_y,
            series: Vec::new(),
            h_lines: Vec::new(),
            v_marks: Vec::new(),
            y_range: None,
        }
    }

    /// Renders the chart as a standalone SVG document (`width` × `height` px).
    pub fn render(&self, width: f64, height: f64) -> String {
        let (ml, mr, mt, mb) = (70.0, 170.0, 40.0, 50.0);
        let pw = width - ml - mr;
        let ph = height - mt - mb;
        let ok = |v: f64, log: bool| v.is_finite() && (!log || v > 0.0);
        let xs: Vec<f64> = self
            .series
            .iter()
            .flat_map(|s| s.points.iter().map(|p| p.0))
            .filter(|&v| ok(v, self.log_x))
            .collect();
        let mut ys: Vec<f64> = self
            .series
            .iter()
            .flat_map(|s| s.points.iter().map(|p| p.1))
            .filter(|&v| ok(v, self.log_y))
            .collect();
        ys.extend(self.h_lines.iter().map(|h| h.0).filter(|&v| ok(v, self.log_y)));
        let range = |v: &[f64], log: bool| -> (f64, f64) {
            let lo = v.iter().copied().fold(f64::INFINITY, f64::min);
            let hi = v.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            if !lo.is_finite() {
                return if log { (0.1, 10.0) } else { (0.0, 1.0) };
            }
            if log {
                (lo / 1.3, hi * 1.3)
            } else if hi > lo {
                let pad = (hi - lo) * 0.05;
                (lo - pad, hi + pad)
            } else {
                (lo - 1.0, hi + 1.0)
            }
        };
        let (x0, x1) = range(&xs, self.log_x);
        let (y0, y1) = self.y_range.unwrap_or_else(|| range(&ys, self.log_y));
        let tx = |v: f64| -> f64 {
            let f = if self.log_x {
                (v.ln() - x0.ln()) / (x1.ln() - x0.ln())
            } else {
                (v - x0) / (x1 - x0)
            };
            ml + f * pw
        };
        let ty = |v: f64| -> f64 {
            let v = v.clamp(y0, y1);
            let f = if self.log_y {
                (v.ln() - y0.ln()) / (y1.ln() - y0.ln())
            } else {
                (v - y0) / (y1 - y0)
            };
            mt + ph - f * ph
        };
        let mut o = String::new();
        let _ = writeln!(
            o,
            r#"<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} {height}" font-family="sans-serif" font-size="12">"#
        );
        let _ = writeln!(
            o,
            r#"<rect x="0" y="0" width="{width}" height="{height}" fill="white"/>"#
        );
        let _ = writeln!(
            o,
            r#"<text x="{}" y="22" font-size="15" text-anchor="middle">{}</text>"#,
            ml + pw / 2.0,
            esc(&self.title)
        );
        let _ = writeln!(
            o,
            r##"<rect x="{ml}" y="{mt}" width="{pw}" height="{ph}" fill="none" stroke="#444"/>"##
        );
        let xt = if self.log_x {
            nice_log_ticks(x0, x1)
        } else {
            nice_lin_ticks(x0, x1)
        };
        let yt = if self.log_y {
            nice_log_ticks(y0, y1)
        } else {
            nice_lin_ticks(y0, y1)
        };
        for t in xt {
            let x = tx(t);
            let _ = writeln!(
                o,
                r##"<line x1="{x:.1}" y1="{mt}" x2="{x:.1}" y2="{:.1}" stroke="#ddd"/>"##,
                mt + ph
            );
            let _ = writeln!(
                o,
                r#"<text x="{x:.1}" y="{:.1}" text-anchor="middle">{}</text>"#,
                mt + ph + 16.0,
                fmt_tick(t)
            );
        }
        for t in yt {
            let y = ty(t);
            let _ = writeln!(
                o,
                r##"<line x1="{ml}" y1="{y:.1}" x2="{:.1}" y2="{y:.1}" stroke="#ddd"/>"##,
                ml + pw
            );
            let _ = writeln!(
                o,
                r#"<text x="{:.1}" y="{:.1}" text-anchor="end">{}</text>"#,
                ml - 5.0,
                y + 4.0,
                fmt_tick(t)
            );
        }
        let _ = writeln!(
            o,
            r#"<text x="{}" y="{}" text-anchor="middle">{}</text>"#,
            ml + pw / 2.0,
            height - 10.0,
            esc(&self.x_label)
        );
        let _ = writeln!(
            o,
            r#"<text x="16" y="{}" text-anchor="middle" transform="rotate(-90 16 {})">{}</text>"#,
            mt + ph / 2.0,
            mt + ph / 2.0,
            esc(&self.y_label)
        );
        for (y, label) in &self.h_lines {
            if ok(*y, self.log_y) {
                let yy = ty(*y);
                let _ = writeln!(
                    o,
                    r##"<line x1="{ml}" y1="{yy:.1}" x2="{:.1}" y2="{yy:.1}" stroke="#888" stroke-dasharray="6 4"/>"##,
                    ml + pw
                );
                let _ = writeln!(
                    o,
                    r##"<text x="{:.1}" y="{:.1}" fill="#555">{}</text>"##,
                    ml + pw + 4.0,
                    yy + 4.0,
                    esc(label)
                );
            }
        }
        for (x, _label) in &self.v_marks {
            if ok(*x, self.log_x) && *x >= x0 && *x <= x1 {
                let xx = tx(*x);
                let _ = writeln!(
                    o,
                    r##"<line x1="{xx:.1}" y1="{mt}" x2="{xx:.1}" y2="{:.1}" stroke="#d62728" stroke-width="1" opacity="0.6"/>"##,
                    mt + ph
                );
            }
        }
        for (i, s) in self.series.iter().enumerate() {
            let c = COLORS[i % COLORS.len()];
            let pts: Vec<(f64, f64)> = s
                .points
                .iter()
                .copied()
                .filter(|p| ok(p.0, self.log_x) && ok(p.1, self.log_y) && p.0 >= x0 && p.0 <= x1)
                .collect();
            if !s.markers_only && pts.len() > 1 {
                let mut d = String::new();
                for (j, p) in pts.iter().enumerate() {
                    let _ = write!(d, "{}{:.1},{:.1}", if j == 0 { "M" } else { " L" }, tx(p.0), ty(p.1));
                }
                let _ = writeln!(o, r#"<path d="{d}" fill="none" stroke="{c}" stroke-width="1.6"/>"#);
            }
            if pts.len() <= 200 {
                for p in &pts {
                    if s.markers_only {
                        let _ = writeln!(
                            o,
                            r#"<rect x="{:.1}" y="{:.1}" width="5" height="5" fill="none" stroke="{c}"/>"#,
                            tx(p.0) - 2.5,
                            ty(p.1) - 2.5
                        );
                    } else {
                        let _ = writeln!(
                            o,
                            r#"<circle cx="{:.1}" cy="{:.1}" r="2.5" fill="{c}"/>"#,
                            tx(p.0),
                            ty(p.1)
                        );
                    }
                }
            }
            let ly = mt + 10.0 + 18.0 * i as f64;
            let lx = ml + pw + 10.0;
            let _ = writeln!(
                o,
                r#"<line x1="{lx}" y1="{ly}" x2="{}" y2="{ly}" stroke="{c}" stroke-width="2"/>"#,
                lx + 18.0
            );
            let _ = writeln!(o, r#"<text x="{}" y="{}">{}</text>"#, lx + 22.0, ly + 4.0, esc(&s.name));
        }
        o.push_str("</svg>\n");
        o
    }
}
