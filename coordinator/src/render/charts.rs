//! Charts drawn on the server as SVG: no scripts, nothing fetched. Each chart has a title and a
//! description for screen readers, shows its interval as a line and its estimate as a dot (no
//! meaning carried by colour), and is always followed on the page by a table of the same numbers.

use maud::{Markup, html};

/// An estimate to plot: value and interval.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Point {
    /// The estimate.
    pub value: f64,
    /// Lower end of the 95% interval.
    pub low: f64,
    /// Upper end of the 95% interval.
    pub high: f64,
}

fn label(proportion: bool, v: f64) -> String {
    if proportion { format!("{:.0}%", v * 100.0) } else { format!("{v:.0}") }
}

fn scale_max(proportion: bool, rows: &[Option<Point>]) -> f64 {
    if proportion {
        return 1.0;
    }
    let max = rows.iter().flatten().map(|p| p.high).fold(0.0f64, f64::max);
    if max <= 0.0 {
        return 1.0;
    }
    let step = 10f64.powf(max.log10().floor());
    (max / step).ceil() * step
}

/// What a chart shows, for screen readers: each labelled point with its interval (`interval`
/// comes before the interval's ends), or "no data".
fn describe(points: &[(String, Option<Point>)], proportion: bool, interval: &str) -> String {
    points
        .iter()
        .map(|(l, p)| match p {
            Some(p) => format!(
                "{l}: {} ({interval}{} to {})",
                label(proportion, p.value),
                label(proportion, p.low),
                label(proportion, p.high)
            ),
            None => format!("{l}: no data"),
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// Horizontal dot-and-interval chart, one row per label.
pub fn intervals(id: &str, title: &str, rows: &[(String, Option<Point>)], proportion: bool) -> Markup {
    let (w, left, right, top, row_h) = (960.0, 260.0, 40.0, 34.0, 34.0);
    let h = top + row_h * rows.len() as f64 + 10.0;
    let max = scale_max(proportion, &rows.iter().map(|r| r.1).collect::<Vec<_>>());
    let x = |v: f64| left + (w - left - right) * (v / max).clamp(0.0, 1.0);
    let ticks: Vec<f64> = (0..=4).map(|i| max * f64::from(i) / 4.0).collect();
    let described = describe(rows, proportion, "95% interval ");
    html! {
        figure {
            svg.chart viewBox=(format!("0 0 {w} {h}")) role="img" aria-labelledby=(format!("{id}-title {id}-desc")) {
                title id=(format!("{id}-title")) { (title) }
                desc id=(format!("{id}-desc")) { (described) }
                @for t in &ticks {
                    line.grid x1=(x(*t)) x2=(x(*t)) y1=(top - 8.0) y2=(h - 10.0) {}
                    text x=(x(*t)) y=(top - 14.0) text-anchor="middle" { (label(proportion, *t)) }
                }
                @for (i, (name, point)) in rows.iter().enumerate() {
                    @let y = top + row_h * i as f64 + row_h / 2.0;
                    text x=(left - 12.0) y=(y + 4.0) text-anchor="end" { (name) }
                    @match point {
                        Some(p) => {
                            line.interval x1=(x(p.low)) x2=(x(p.high)) y1=(y) y2=(y) {}
                            line.interval x1=(x(p.low)) x2=(x(p.low)) y1=(y - 6.0) y2=(y + 6.0) {}
                            line.interval x1=(x(p.high)) x2=(x(p.high)) y1=(y - 6.0) y2=(y + 6.0) {}
                            circle.point cx=(x(p.value)) cy=(y) r="6" {}
                        }
                        None => { text x=(left) y=(y + 4.0) { "no data" } }
                    }
                }
                line.axis x1=(left) x2=(left) y1=(top - 8.0) y2=(h - 10.0) {}
            }
        }
    }
}

/// A line over quarters with its 95% interval as a band.
pub fn trend(id: &str, title: &str, points: &[(String, Option<Point>)], proportion: bool) -> Markup {
    let (w, h, left, right, top, bottom) = (960.0, 320.0, 70.0, 30.0, 20.0, 50.0);
    let max = scale_max(proportion, &points.iter().map(|p| p.1).collect::<Vec<_>>());
    let n = points.len().max(1);
    let x = |i: usize| {
        if n == 1 { (left + w - right) / 2.0 } else { left + (w - left - right) * i as f64 / (n - 1) as f64 }
    };
    let y = |v: f64| top + (h - top - bottom) * (1.0 - (v / max).clamp(0.0, 1.0));
    let known: Vec<(usize, Point)> = points.iter().enumerate().filter_map(|(i, (_, p))| p.map(|p| (i, p))).collect();
    let band = {
        let upper = known.iter().map(|(i, p)| format!("{:.1},{:.1}", x(*i), y(p.high)));
        let lower = known.iter().rev().map(|(i, p)| format!("{:.1},{:.1}", x(*i), y(p.low)));
        upper.chain(lower).collect::<Vec<_>>().join(" ")
    };
    let line = known.iter().map(|(i, p)| format!("{:.1},{:.1}", x(*i), y(p.value))).collect::<Vec<_>>().join(" ");
    let described = describe(points, proportion, "");
    html! {
        figure {
            svg.chart viewBox=(format!("0 0 {w} {h}")) role="img" aria-labelledby=(format!("{id}-title {id}-desc")) {
                title id=(format!("{id}-title")) { (title) }
                desc id=(format!("{id}-desc")) { (described) }
                @for i in 0..=4 {
                    @let v = max * f64::from(i) / 4.0;
                    line.grid x1=(left) x2=(w - right) y1=(y(v)) y2=(y(v)) {}
                    text x=(left - 10.0) y=(y(v) + 4.0) text-anchor="end" { (label(proportion, v)) }
                }
                @if known.len() > 1 { polygon.band points=(band) {} polyline.line points=(line) {} }
                @for (i, p) in &known {
                    line.interval x1=(x(*i)) x2=(x(*i)) y1=(y(p.low)) y2=(y(p.high)) {}
                    circle.point cx=(x(*i)) cy=(y(p.value)) r="5" {}
                }
                @for (i, (q, _)) in points.iter().enumerate() {
                    @let anchor = if n > 1 && i == 0 { "start" } else if n > 1 && i == n - 1 { "end" } else { "middle" };
                    text x=(x(i)) y=(h - bottom + 22.0) text-anchor=(anchor) { (q) }
                }
                line.axis x1=(left) x2=(w - right) y1=(h - bottom) y2=(h - bottom) {}
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn charts_describe_every_point_for_screen_readers_and_escape_labels() {
        let rows = vec![
            ("North <East>".to_owned(), Some(Point { value: 0.5, low: 0.4, high: 0.6 })),
            ("London".to_owned(), None),
        ];
        let svg = intervals("c1", "Fully achieved", &rows, true).into_string();
        assert!(svg.contains("role=\"img\"") && svg.contains("<title id=\"c1-title\">Fully achieved</title>"));
        assert!(svg.contains("North &lt;East&gt;: 50% (95% interval 40% to 60%)"), "{svg}");
        assert!(svg.contains("London: no data"));
        let t =
            trend("t1", "Trend", &[("2026-27-Q1".into(), Some(Point { value: 30.0, low: 20.0, high: 41.0 }))], false);
        assert!(t.into_string().contains("2026-27-Q1: 30 (20 to 41)"));
    }

    #[test]
    fn mean_scales_round_up_to_a_tidy_maximum() {
        assert_eq!(scale_max(false, &[Some(Point { value: 60.0, low: 50.0, high: 73.0 })]), 80.0);
        assert_eq!(scale_max(true, &[]), 1.0);
    }
}
